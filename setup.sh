#!/usr/bin/env bash
# setup.sh - install what is missing, build sflex, then run a job.
#
#   ./setup.sh example   set up, build, and run the main job on the bundled example
#   ./setup.sh test      set up, build, and run the whole test suite (ctest)
#   ./setup.sh build     set up and build only
#
# Idempotent: packages already installed are not touched, and nothing is
# printed for them.  Needs root (or sudo) only when something is missing.
set -euo pipefail
cd "$(dirname "$0")"
here=$(pwd)

packages=(
  build-essential cmake pkg-config
  lua5.4 liblua5.4-dev liblinear-dev libfftw3-dev libopenblas-dev liblapack-dev
  libreadline-dev zlib1g-dev
  voro++-dev libarpack2-dev libsuitesparse-dev
  lammps lammps-data openmpi-bin
  gnuplot-nox python3-numpy python3-scipy
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

build=${SFLEX_BUILD_DIR:-$here/build}
jobs=$(nproc 2>/dev/null || echo 2)
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$build" -j "$jobs" >/dev/null || cmake --build "$build" -j 1

case "${1:-example}" in
  example)
    exec "$build/sflex" "$here/examples/quickstart.lua" "${@:2}"
    ;;
  test)
    cd "$build"
    exec ctest --output-on-failure -j "$jobs" "${@:2}"
    ;;
  build)
    echo "setup: built $build/sflex"
    ;;
  *)
    echo "usage: ./setup.sh [example|test|build]" >&2
    exit 2
    ;;
esac
