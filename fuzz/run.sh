#!/usr/bin/env bash
# fuzz/run.sh - run the libFuzzer harnesses until each has had GOAL CPU-minutes.
#
#   CC=clang cmake -S . -B build-fuzz -DSFLEX_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
#   cmake --build build-fuzz -j2
#   fuzz/run.sh [-b build-fuzz] [-g 30] [-s 300] [-n 19] [TARGET...]
#   fuzz/run.sh -r            # report: CPU-minutes, executions, crashes per target
#
# Targets: dump data xyz model lua_model manifest (default: all).  Each slice
# runs one harness for SLICE seconds (wall clock) at nice NICE, with the seed
# corpus fuzz/corpus/TARGET (read-only) and a growing work corpus in
# BUILD/fuzz-work/TARGET; its user+system CPU time is measured by
# /usr/bin/time and appended to BUILD/fuzz-ledger.tsv.  Targets are visited
# round-robin until every one has GOAL CPU-minutes.  libFuzzer runs in fork
# mode (-fork=1 -ignore_crashes=1), so a crash does not end the campaign:
# each leaves BUILD/fuzz-crashes/TARGET-crash-<sha1> (reproduce: run the
# harness on that file; add it to fuzz/regressions/TARGET/ once understood)
# and the ledger counts the crash files a slice added.  CPU time includes
# the forked children.  Replay a folder: BUILD/fuzz/fuzz_TARGET -runs=0 DIR.
# FUZZ_SKIP_KNOWN=1 in the environment makes the harnesses skip inputs that
# hit bugs already reported (fuzz/regressions/*/README.md).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$here/../build-fuzz
goal=30
slice=300
nice_level=19
report=0
while getopts "b:g:s:n:r" o; do
  case $o in
    b) build=$OPTARG ;;
    g) goal=$OPTARG ;;
    s) slice=$OPTARG ;;
    n) nice_level=$OPTARG ;;
    r) report=1 ;;
    *) sed -n '2,18p' "$0"; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
build=$(cd "$build" && pwd)
ledger=$build/fuzz-ledger.tsv
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(dump data xyz model lua_model manifest)

binary() { echo "$build/fuzz/fuzz_$1"; }
seeds() { case $1 in lua_model) echo "$here/corpus/model" ;; *) echo "$here/corpus/$1" ;; esac; }
dict() { case $1 in lua_model) echo "$here/dict/model.dict" ;; *) echo "$here/dict/$1.dict" ;; esac; }

# CPU seconds so far (sum of user+sys over the ledger)
cpu_of() { awk -F'\t' -v t="$1" '$1 == t { s += $3 + $4 } END { printf "%.1f", s + 0 }' "$ledger" 2>/dev/null || echo 0; }
ncrash() { ls "$build/fuzz-crashes" 2>/dev/null | grep -c "^$1-crash-" || true; }

if [ $report = 1 ]; then
  printf "%-10s %10s %12s %8s %s\n" target cpu_min executions slices status
  for t in "${targets[@]}"; do
    awk -F'\t' -v t="$t" '$1 == t { s += $3 + $4; e += $5; n++; if ($6 == "crash") st = "CRASH" }
      END { printf "%-10s %10.1f %12d %8d %s\n", t, s / 60, e, n, st ? st : (n ? "clean" : "not run") }' "$ledger" 2>/dev/null
    echo "           crash files: $(ncrash "$t")"
  done
  ls "$build/fuzz-crashes" 2>/dev/null | sed 's/^/crash file: /' || true
  exit 0
fi

mkdir -p "$build/fuzz-work" "$build/fuzz-crashes" "$build/fuzz-logs"
touch "$ledger"
while :; do
  progress=0
  for t in "${targets[@]}"; do
    bin=$(binary "$t")
    [ -x "$bin" ] || { echo "run.sh: $bin missing (build it first)" >&2; continue; }
    have=$(cpu_of "$t")
    awk -v h="$have" -v g="$goal" 'BEGIN { exit !(h < g * 60) }' || continue
    progress=1
    work=$build/fuzz-work/$t
    mkdir -p "$work"
    log=$build/fuzz-logs/$t.$(date +%s).log
    timef=$(mktemp)
    set +e
    before=$(ncrash "$t")
    nice -n "$nice_level" /usr/bin/time -f "%U %S" -o "$timef" \
      "$bin" -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
      -max_total_time="$slice" -timeout=30 -rss_limit_mb=2048 -max_len=20000 \
      -dict="$(dict "$t")" -artifact_prefix="$build/fuzz-crashes/$t-" \
      -print_final_stats=1 "$work" "$(seeds "$t")" >"$log" 2>&1
    rc=$?
    set -e
    read -r user sys < <(tail -n 1 "$timef")
    rm -f "$timef"
    execs=$(sed -n 's/^#\([0-9]*\): cov:.*/\1/p' "$log" | tail -n 1)
    after=$(ncrash "$t")
    status=clean
    [ "$after" = "$before" ] || status=crash
    [ $rc = 0 ] || [ $status = crash ] || status="exit$rc"
    printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\n" "$t" "$slice" "$user" "$sys" "${execs:-0}" "$status" "$log" >>"$ledger"
    echo "run.sh: $t slice done: cpu $(cpu_of "$t") s, $status"
  done
  [ $progress = 1 ] || break
done
"$0" -b "$build" -r "${targets[@]}"
