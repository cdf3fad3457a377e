#!/bin/bash
# make_package.sh - assemble and pack the example package, examples/package/,
# from the data set.
#
#   examples/make_package.sh [DATA_DIR]     (default data/glasses)
#
# Copies DATA_DIR/<glass>/vflex.dump.gz of every finished glass into
# examples/package/inputs/glasses/<glass>/ (and examples/CuZr.sfmodel, when
# it exists, into inputs/), then runs `sflex pack` on the package with one
# thread: it runs run.lua in the sandbox and writes outputs/, MANIFEST and
# MANIFEST.sha256.  Check the result with `sflex verify examples/package`
# (doc/packages.md).  Run it again whenever the data set changes.
#
# Environment: SFLEX (the sflex command; default build/sflex, else sflex).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
here=$root/examples/package
data=${1:-$root/data/glasses}
sflex=${SFLEX:-}
if [ -z "$sflex" ]; then
  if [ -x "$root/build/sflex" ]; then sflex=$root/build/sflex; else sflex=sflex; fi
fi

shopt -s nullglob
dumps=()
for f in "$data"/*/vflex.dump.gz; do
  # finished: vflex.lua writes vflex.txt last
  [ -f "$(dirname "$f")/vflex.txt" ] && dumps+=("$f")
done
if [ ${#dumps[@]} -eq 0 ]; then
  echo "make_package.sh: no $data/*/vflex.dump.gz yet (scripts/make_dataset.sh makes them)" >&2
  exit 1
fi
rm -rf "$here/inputs/glasses"
for f in "${dumps[@]}"; do
  name=$(basename "$(dirname "$f")")
  mkdir -p "$here/inputs/glasses/$name"
  cp "$f" "$here/inputs/glasses/$name/vflex.dump.gz"
done
if [ -f "$root/examples/CuZr.sfmodel" ]; then
  cp "$root/examples/CuZr.sfmodel" "$here/inputs/CuZr.sfmodel"
fi
echo "make_package.sh: ${#dumps[@]} glasses from $data"
"$sflex" pack "$here" --threads 1 --seed 1 --name "sflex example: SF training and Fig. 2"
