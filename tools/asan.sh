#!/usr/bin/env bash
# tools/asan.sh - build sflex with AddressSanitizer, UndefinedBehaviorSanitizer
# and LeakSanitizer, and run the whole test suite under them (doc/hardening.md).
#
#   tools/asan.sh [BUILD_DIR] [ctest arguments...]     (default build-asan)
#   tools/asan.sh build-asan -R 'lua\.|fuzz\.'          (a subset)
#
# UBSan is made fatal (-fno-sanitize-recover=all, halt_on_error), so any
# undefined behaviour fails its test; LSan checks every process at exit,
# with tools/lsan.supp listing the leaks of system libraries that are not
# ours.  Lua raises errors with longjmp through the bindings: the tests'
# error paths exercise exactly that unwinding under ASan.  Children that
# are not instrumented (lmp, gnuplot, gzip) inherit the options and ignore
# them.  Takes about 3x the normal test time.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build=${1:-build-asan}
[ $# -gt 0 ] && shift
jobs=$(nproc 2>/dev/null || echo 2)

cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSFLEX_SANITIZE=ON \
  -DCMAKE_C_FLAGS="-fno-sanitize-recover=all -fno-omit-frame-pointer" >/dev/null
cmake --build "$build" -j "$jobs" >/dev/null

export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:strict_string_checks=1:check_initialization_order=1:detect_odr_violation=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS=suppressions=$root/tools/lsan.supp:print_suppressions=0
cd "$build"
exec ctest --output-on-failure -j "$jobs" "$@"
