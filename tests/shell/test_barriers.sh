#!/bin/bash
# scripts/barriers.lua end to end on two centres of a committed glass (one
# refined ART event each), then --replay of its events.txt gives the same
# tables; a broken events.txt is an error naming file and line.  Skips
# (77) without the CuZr_mm potential.
# usage: bash test_barriers.sh path/to/sflex
set -u
SFLEX=${1:?usage: test_barriers.sh path/to/sflex}
SFLEX=$(cd "$(dirname "$SFLEX")" && pwd)/$(basename "$SFLEX")
SRC=$(cd "$(dirname "$0")/../.." && pwd)
POT=/usr/share/lammps/potentials/CuZr_mm.eam.fs
[ -r "$POT" ] || { echo "skip: $POT missing"; exit 77; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/sflex_barriers.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
cd "$SRC" || exit 1

fails=0
checks=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
check() { checks=$((checks + 1)); if ! eval "$2"; then fail "$1"; fi; }

G=data/glasses/Cu50Zr50_1e13_s1
args=("$G/is.dump.gz" --elements Cu,Zr --model examples/CuZr.sfmodel --volume "$G/vflex.dump.gz"
      --ids 5,1017 --events 1 --local-radius 10 --threads 2 --quiet)
"$SFLEX" scripts/barriers.lua "${args[@]}" --out "$TMP/run" > "$TMP/run.log" 2>&1
check "barriers.lua runs" '[ $? -eq 0 ] || { cat "$TMP/run.log"; false; }'
check "events.txt: one row per event, 10 columns" \
    '[ "$(grep -vc "^#" "$TMP/run/events.txt")" = 2 ] && awk "!/^#/ && NF != 10 {exit 1}" "$TMP/run/events.txt"'
check "refinement is the default with --local-radius" 'grep -q "refine all atoms" "$TMP/run/summary.txt"'
check "a counted event" 'grep -q " new_minimum " "$TMP/run/events.txt"'
# counted events: the refined barrier is below the local one
check "refined barrier <= local barrier" \
    'awk "\$4 == \"new_minimum\" && \$5 > \$9 + 1e-9 {exit 1}" "$TMP/run/events.txt"'
check "the group difference carries a bootstrap error" 'grep -q "difference_low_minus_high .* +- " "$TMP/run/summary.txt"'

"$SFLEX" scripts/barriers.lua "${args[@]}" --replay "$TMP/run" --out "$TMP/replay" > "$TMP/replay.log" 2>&1
check "--replay runs" '[ $? -eq 0 ] || { cat "$TMP/replay.log"; false; }'
for f in events.txt atoms.txt; do
    check "--replay: same $f" 'cmp -s "$TMP/run/$f" "$TMP/replay/$f"'
done
check "--replay: same summary" \
    'diff <(grep -v "^force_calls" "$TMP/run/summary.txt") <(grep -v "^force_calls" "$TMP/replay/summary.txt")'

mkdir -p "$TMP/bad"
{ echo "# header"; echo "5 1 1 new_minimum 1.0 0.5 3 100 1.2 -"; echo "999999 1 1 new_minimum x"; } > "$TMP/bad/events.txt"
out=$("$SFLEX" scripts/barriers.lua "${args[@]}" --replay "$TMP/bad" --out "$TMP/bad_out" 2>&1)
rc=$?
check "bad events.txt: non-zero exit" '[ $rc -ne 0 ]'
check "bad events.txt: file and line named" '[[ $out == *"$TMP/bad/events.txt:3:"* ]]'
check "bad events.txt: nothing written" '[ ! -e "$TMP/bad_out/summary.txt" ]'

echo "$checks checks, $fails failures"
[ "$fails" -eq 0 ]
