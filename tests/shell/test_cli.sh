#!/bin/bash
# The sflex command line: arg / ..., -e, -l, stdin scripts, --version, -h,
# errors with tracebacks, syntax errors with file:line, bad options,
# SFLEX_LUA_DIR, Ctrl-C (SIGINT) in a script, the non-terminal REPL.
# usage: bash test_cli.sh path/to/sflex
set -u
SFLEX=${1:?usage: test_cli.sh path/to/sflex}
SFLEX=$(cd "$(dirname "$SFLEX")" && pwd)/$(basename "$SFLEX")
TMP=$(mktemp -d "${TMPDIR:-/tmp}/sflex_cli.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
cd "$TMP" || exit 1

fails=0
checks=0
fail() {
    echo "FAIL: $*"
    fails=$((fails + 1))
}
# expect NAME ACTUAL EXPECTED
expect() {
    checks=$((checks + 1))
    if [ "$2" != "$3" ]; then
        fail "$1"
        echo "  expected: $(printf '%q' "$3")"
        echo "  actual:   $(printf '%q' "$2")"
    fi
}
# contains NAME TEXT NEEDLE
contains() {
    checks=$((checks + 1))
    case "$2" in
    *"$3"*) ;;
    *) fail "$1: no '$3' in:"; printf '%s\n' "$2" | sed 's/^/  | /' ;;
    esac
}

# ---- arg and ... -------------------------------------------------------------
cat > args.lua <<'EOF'
local t = {}
for i = -4, #arg do
  if arg[i] ~= nil then t[#t + 1] = i .. "=" .. arg[i] end
end
print(table.concat(t, " "))
print("#arg=" .. #arg, "select=" .. select("#", ...), "...=" .. table.concat({...}, ","))
EOF
out=$("$SFLEX" args.lua a "b c" 3)
expect "script args" "$out" "-1=$SFLEX 0=args.lua 1=a 2=b c 3=3
#arg=3	select=3	...=a,b c,3"

out=$("$SFLEX" -e 'x = 1' args.lua -x --y)
expect "options before the script are negative indices" "$out" "-3=$SFLEX -2=-e -1=x = 1 0=args.lua 1=-x 2=--y
#arg=2	select=2	...=-x,--y"

out=$("$SFLEX" -- args.lua)
expect "-- ends options" "$out" "-2=$SFLEX -1=-- 0=args.lua
#arg=0	select=0	...="

out=$("$SFLEX" args.lua)
expect "no arguments" "$out" "-1=$SFLEX 0=args.lua
#arg=0	select=0	...="

# ---- -e and -l -------------------------------------------------------------------
out=$("$SFLEX" -e 'a = 20' -e 'b = 22' -e 'print(a + b)')
expect "several -e in order" "$out" "42"
out=$("$SFLEX" -e'print("attached")')
expect "-e with attached code" "$out" "attached"
out=$("$SFLEX" -e 'print(arg[0], arg[-1], #arg)')
expect "arg without a script" "$out" "$SFLEX	nil	2"
out=$("$SFLEX" -l s=string -e 'print(s.upper("cu"))')
expect "-l g=mod" "$out" "CU"
echo 'return {answer = 42}' > mymod.lua
out=$("$SFLEX" -l mymod -e 'print(mymod.answer)')
expect "-l mod from ./" "$out" "42"

# ---- stdin ---------------------------------------------------------------------------
out=$(echo 'print("stdin", arg[0], ...)' | "$SFLEX" - p q)
expect "sflex - reads a script from stdin" "$out" "stdin	-	p	q"
out=$(echo 'print(6 * 7)' | "$SFLEX")
expect "no arguments and stdin not a terminal: run stdin" "$out" "42"

# ---- the environment of a script --------------------------------------------------
out=$("$SFLEX" -e 'print(type(sflex), type(help), type(package.preload.sflex_core), sflex == require "sflex", type(sflex.atoms))')
expect "globals sflex and help, preloaded sflex_core" "$out" "table	function	function	true	function"
out=$("$SFLEX" -e 'print(sflex.version)')
expect "sflex.version" "$out" "$("$SFLEX" --version | sed -n 's/^sflex //p')"

# ---- --version, -v, -h ----------------------------------------------------------------
out=$("$SFLEX" --version)
rc=$?
expect "--version exit status" "$rc" "0"
for lib in sflex Lua LIBLINEAR FFTW OpenBLAS zlib readline; do
    line=$(printf '%s\n' "$out" | grep -E "^$lib [0-9A-Za-z]" | head -1)
    checks=$((checks + 1))
    [ -n "$line" ] || fail "--version has no '$lib <version>' line: $out"
done
contains "--version: Lua release" "$out" "Lua $(lua5.4 -v 2>/dev/null | awk '{print $2}')"
contains "--version: zlib" "$out" "zlib 1."
if command -v lmp >/dev/null 2>&1; then
    contains "--version: LAMMPS when lmp is on PATH" "$out" "LAMMPS "
fi
out=$("$SFLEX" -v)
contains "-v" "$out" "sflex "
out=$("$SFLEX" -h)
rc=$?
expect "-h exit status" "$rc" "0"
contains "-h usage" "$out" "usage: sflex [options] [script [args]]"
contains "-h documents -e" "$out" "-e stat"

# ---- errors ----------------------------------------------------------------------------
cat > err.lua <<'EOF'
local function inner()
  error("boom at depth")
end
local function outer() inner() end
outer()
EOF
"$SFLEX" err.lua > out.txt 2> err.txt
rc=$?
checks=$((checks + 1))
[ "$rc" -ne 0 ] || fail "runtime error: exit status 0"
expect "runtime error: nothing on stdout" "$(cat out.txt)" ""
err=$(cat err.txt)
contains "runtime error message" "$err" "err.lua:2: boom at depth"
contains "runtime error traceback" "$err" "stack traceback:"
contains "traceback names the caller" "$err" "err.lua:4: in"

printf 'local x = 1\nlocal y = = 2\n' > syn.lua
err=$("$SFLEX" syn.lua 2>&1 >/dev/null)
rc=$?
checks=$((checks + 1))
[ "$rc" -ne 0 ] || fail "syntax error: exit status 0"
contains "syntax error with file:line" "$err" "syn.lua:2:"

err=$("$SFLEX" -e 'error(setmetatable({}, {__tostring = function() return "custom error object" end}))' 2>&1)
contains "error object with __tostring" "$err" "custom error object"
err=$("$SFLEX" -e 'error({})' 2>&1)
contains "error object without __tostring" "$err" "(error object is a table value)"

err=$("$SFLEX" missing_file.lua 2>&1)
rc=$?
expect "missing script exit status" "$rc" "1"
contains "missing script message" "$err" "cannot open missing_file.lua"

err=$("$SFLEX" -Z 2>&1)
rc=$?
expect "bad option exit status" "$rc" "1"
contains "bad option message" "$err" "unrecognized option '-Z'"
err=$("$SFLEX" -e 2>&1)
rc=$?
expect "-e without code exit status" "$rc" "1"
contains "-e without code message" "$err" "'-e' needs argument"

"$SFLEX" -e 'os.exit(7)'
expect "os.exit status" "$?" "7"

# ---- SFLEX_LUA_DIR --------------------------------------------------------------------
mkdir -p empty_lua
err=$(SFLEX_LUA_DIR="$TMP/empty_lua" "$SFLEX" -e 'print(1)' 2>&1)
rc=$?
expect "SFLEX_LUA_DIR without sflex/: exit status" "$rc" "1"
contains "SFLEX_LUA_DIR without sflex/: message" "$err" "cannot load the Lua module 'sflex' from $TMP/empty_lua"
out=$(SFLEX_LUA_DIR="$TMP/empty_lua" "$SFLEX" -E -e 'print(type(sflex))' 2>&1)
expect "-E ignores SFLEX_LUA_DIR" "$out" "table"

# ---- Ctrl-C (SIGINT) stops a script with a traceback and status 130 -------------------
cat > spin.lua <<'EOF'
local f = assert(io.open(arg[1], "w")); f:write("started\n"); f:close()
local function spin() local n = 0 while true do n = n + 1 end end
spin()
EOF
"$SFLEX" spin.lua started.txt 2> spin_err.txt &
pid=$!
for _ in $(seq 100); do [ -s started.txt ] && break; sleep 0.05; done
sleep 0.1
kill -INT "$pid"
wait "$pid"
rc=$?
expect "SIGINT exit status" "$rc" "130"
err=$(cat spin_err.txt)
contains "SIGINT message" "$err" "interrupted!"
contains "SIGINT traceback" "$err" "in local 'spin'"

# ---- the REPL without a terminal (sflex -i) ---------------------------------------------
out=$(printf 'x = 20\nx + 22\nfunction sq(v)\n  return v * v\nend\nsq(5), "s"\n{1, 2, k = "v"}\n' | "$SFLEX" -i 2>&1)
contains "-i: expression printed" "$out" "42"
contains "-i: multi-line function" "$out" "25	s"
contains "-i: table printed" "$out" '{1, 2, k = "v"}'
out=$(printf 'print(from_script)\n' | "$SFLEX" -i args.lua 2>&1)
contains "-i script runs the script first" "$out" "0=args.lua"
out=$(printf 'error("at prompt")\nprint("still here")\n' | "$SFLEX" -i 2>&1)
contains "-i: error at the prompt" "$out" "stdin:1: at prompt"
contains "-i: session continues after an error" "$out" "still here"

echo "$checks checks, $fails failures"
[ "$fails" -eq 0 ]
