# Optional benchmark peers. Each sets HAVE_PEER_<X> (AM_CONDITIONAL) and adds to the summary.
bench_peers_summary=""
