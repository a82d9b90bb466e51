-- sequence.lua: edit distance, LCS and SAX from Lua.
-- Run: engine examples/sequence.lua
local engine = require "engine"

-- Levenshtein distance of two byte strings.
print("edit kitten/sitting", engine.edit("kitten", "sitting"))

-- With the alignment: the op string ('=' match, 'X' substitute, 'I' insert,
-- 'D' delete, applied to the first string) and its CIGAR form.
local d, ops, cigar = engine.edit("kitten", "sitting", { alignment = true })
print("alignment", d, ops, cigar)

-- A threshold: beyond max the call returns nil, a message and "ECUTOFF".
local r, msg, code = engine.edit("kitten", "sitting", { max = 2 })
print("max 2", r, code)

-- Optimal string alignment (Damerau): a swap of neighbours costs 1.
print("damerau abcd/acbd", engine.edit("abcd", "acbd", { damerau = true }))

-- Integer symbols: tables of integers in [0, 2^32).
print("edit symbols", engine.edit({ 1, 2, 3, 4 }, { 1, 3, 4, 5 }))

-- LCS length, and one longest common subsequence.
local n, seq = engine.lcs("ABCBDAB", "BDCABA", { sequence = true })
print("lcs", n, seq)

-- Series to symbols: z-normalise, 8 segments, alphabet of 4 letters.
local wave, shifted = {}, {}
for i = 1, 64 do
  wave[i] = math.sin(i / 5)
  shifted[i] = 10 + 3 * math.sin(i / 5)
end
local w1 = engine.sax(wave, { segments = 8, alphabet = 4 })
local w2 = engine.sax(shifted, { segments = 8, alphabet = 4 })
print("sax", w1, w2, "distance", engine.edit(w1, w2))

-- Futures: the same calls run on a worker.
local f = engine.edit_async("intention", "execution")
print("async edit", f:wait())

-- The result cache: off by default.
engine.cache({ enable = true, max_entries = 1000 })
engine.edit("abcdef", "azcdef")
engine.edit("abcdef", "azcdef")
local st = engine.cache()
print("cache hits", st.hits, "misses", st.misses)
engine.cache({ enable = false })
