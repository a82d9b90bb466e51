#!/bin/sh
# Installs the Debian 12 packages engine needs to build, test and benchmark,
# asking apt only for what is missing. Works as root or through sudo.
set -e

packages="build-essential autoconf automake libtool pkgconf git
  liblua5.4-dev lua5.4 libjemalloc-dev libhwloc-dev check libxxhash-dev
  libedlib-dev libtbb-dev libuv1-dev libevent-dev libomp-dev gnuplot-nox"

missing=""
for p in $packages; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  case "$status" in
    *"install ok installed"*) ;;
    *) missing="$missing $p" ;;
  esac
done

if [ -z "$missing" ]; then
  echo "install-deps: all packages present"
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  sudo=""
elif command -v sudo >/dev/null 2>&1; then
  sudo="sudo"
else
  echo "install-deps: missing packages:$missing; run this script as root" >&2
  exit 1
fi

echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing
