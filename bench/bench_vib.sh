#!/bin/bash
# bench_vib.sh - lowest 1 % of the normal modes + participation (paper
# Fig. 4), sflex against scipy on the same Hessian, and the harmonic MSD
# (dense and sparse).  Not a test; results go into doc/benchmarks.md.
#
#   bench/bench_vib.sh [BUILD_DIR] [OUT_DIR]
#
# Environment: CONFIG (inherent structure, default the committed 2000-atom
# Cu50Zr50 1e13 K/s glass), BIG (1: also the 10,000-atom run, CONFIG
# replicated 5 x 1 x 1, timing only; ~10 min on 2 loaded cores, 5 GB),
# PY (python with numpy/scipy, default /usr/bin/python3).
# Every line carries the load average: the machine may be shared.
set -u
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$SRC/build}
OUT=${2:-$(mktemp -d /tmp/sflex-bench.XXXXXX)}
mkdir -p "$OUT"
SFLEX=$BUILD/sflex
CONFIG=${CONFIG:-$SRC/data/glasses/Cu50Zr50_1e13_s1/is.dump.gz}
PY=${PY:-/usr/bin/python3}
LOG=$OUT/bench_vib.log
[ -x "$SFLEX" ] || { echo "no sflex binary at $SFLEX (build first)" >&2; exit 1; }
{
  echo "# bench_vib.sh $(date -u +%Y-%m-%dT%H:%M:%SZ) $(git -C "$SRC" rev-parse --short HEAD 2>/dev/null)"
  echo "# $(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-), $(free -g | awk '/Mem:/{print $2}') GB"
  echo "# config $CONFIG"
  "$SFLEX" "$SRC/bench/bench_vib.lua" "$CONFIG" --msd dense,sparse --export "$OUT/h"
  "$PY" "$SRC/bench/vib_scipy.py" "$OUT/h"
  rm -f "$OUT/h.coo"
  if [ "${BIG:-0}" = 1 ]; then
    /usr/bin/time -f "peak RSS %M KB, %e s wall, %U s user" \
      nice -n 10 "$SFLEX" "$SRC/bench/bench_vib.lua" "$CONFIG" --replicate 5 --msd sparse
  fi
} 2>&1 | tee "$LOG"
echo "log: $LOG"
