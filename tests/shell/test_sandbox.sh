#!/bin/bash
# sflex --sandbox from the command line: blocked operations end the script
# with "sandbox: blocked ..." naming them, writes land only in the output
# folder (.. and symbolic links included), runaway scripts are stopped by the
# instruction and memory limits (pcall cannot swallow them), LAMMPS shell
# commands are refused, and the option errors.
# usage: bash test_sandbox.sh path/to/sflex
set -u
SFLEX=${1:?usage: test_sandbox.sh path/to/sflex}
SFLEX=$(cd "$(dirname "$SFLEX")" && pwd)/$(basename "$SFLEX")
SRC=${SFLEX_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/sflex_sandbox.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
cd "$TMP" || exit 1
mkdir -p out elsewhere
ln -s "$TMP/elsewhere" out/escape

fails=0
checks=0
fail() {
    echo "FAIL: $*"
    fails=$((fails + 1))
}
contains() {
    checks=$((checks + 1))
    case "$2" in
    *"$3"*) ;;
    *) fail "$1: no '$3' in:"; printf '%s\n' "$2" | sed 's/^/  | /' ;;
    esac
}
expect() {
    checks=$((checks + 1))
    [ "$2" = "$3" ] || fail "$1: expected '$3', got '$2'"
}

# run_sb NAME 'lua code' [sflex options]: status in $rc, output in $outp
run_sb() {
    local name=$1 code=$2
    shift 2
    printf '%s\n' "$code" > "$name.lua"
    outp=$("$SFLEX" --sandbox --output-dir out "$@" "$name.lua" 2>&1)
    rc=$?
}

# ---- blocked operations end the script with a message naming them ---------------------
blocked() { # NAME CODE NEEDLE
    run_sb "$1" "$2"
    expect "$1 exit status" "$rc" 1
    contains "$1" "$outp" "sandbox: blocked $3"
}
blocked execute 'os.execute("touch '"$TMP"'/evil")' "os.execute"
blocked popen 'io.popen("ls")' "io.popen"
blocked loadlib 'package.loadlib("libc.so.6", "*")' "package.loadlib"
blocked debug 'debug.sethook()' "debug.sethook"
blocked spawn 'sflex.spawn({"ls"})' "sflex.spawn"
blocked write_abs 'io.open("'"$TMP"'/evil.txt", "w")' "io.open for writing"
blocked write_dotdot 'io.open("out/../evil.txt", "w")' "io.open for writing 'out/../evil.txt'"
blocked write_link 'io.open("out/escape/evil.txt", "w")' "io.open for writing 'out/escape/evil.txt'"
blocked remove 'os.remove("'"$SRC"'/CMakeLists.txt")' "os.remove"
blocked sflex_write 'sflex.write("evil.data", sflex.read("'"$SRC"'/tests/data/cuzr_tri.data"))' "sflex.write to 'evil.data'"
blocked gc 'setmetatable({}, {__gc = function() while true do end end})' "__gc"
[ -e "$TMP/evil" ] || [ -e "$TMP/evil.txt" ] || [ -e "$TMP/elsewhere/evil.txt" ] || [ -e evil.data ]
expect "nothing written outside the output folder" "$?" 1
[ -e "$SRC/CMakeLists.txt" ]
expect "nothing removed" "$?" 0

# binary chunks: load refuses them, and so do the script loader and require
printf 'print(string.dump, load(("").dump(function() end)))\n' > dump.lua
"$SFLEX" -e 'local f = io.open("bin.lua", "wb"); f:write(string.dump(load("print(1)"))); f:close()'
outp=$("$SFLEX" --sandbox --output-dir out dump.lua 2>&1)
contains "load of a binary chunk" "$outp" "sandbox: blocked loading a binary chunk"
outp=$("$SFLEX" --sandbox --output-dir out bin.lua 2>&1)
rc=$?
expect "binary script exit status" "$rc" 1
contains "binary script" "$outp" "sandbox: blocked loading the binary chunk bin.lua"
printf 'require "bin"\n' > req.lua
outp=$("$SFLEX" --sandbox --output-dir out req.lua 2>&1)
contains "require of a binary chunk" "$outp" "sandbox: blocked loading the binary chunk"

# ---- what is allowed works ---------------------------------------------------------------
mkdir -p lib
printf 'return {answer = 42}\n' > lib/mod.lua
run_sb allowed 'local m = require "lib.mod"
local a = sflex.read("'"$SRC"'/tests/data/cuzr_tri.dump")
sflex.write("out/copy.data", a)
local f = assert(io.open("out/note.txt", "w")); f:write(m.answer, " ", select("#", ...), " ", arg[1], "\n"); f:close()
print("atoms", a.n)'
outp=$("$SFLEX" --sandbox --output-dir out allowed.lua first 2>&1)
rc=$?
expect "allowed exit status" "$rc" 0
contains "allowed output" "$outp" "atoms	32"
expect "allowed note" "$(cat out/note.txt)" "42 1 first"
[ -s out/copy.data ]
expect "sflex.write inside" "$?" 0

# default output folder: the current directory
printf 'local f = assert(io.open("here.txt", "w")); f:write("ok"); f:close()\n' > cwd.lua
(cd out && "$SFLEX" --sandbox ../cwd.lua)
expect "default output folder is the current directory" "$(cat out/here.txt 2>/dev/null)" "ok"

# ---- limits --------------------------------------------------------------------------------
run_sb loop 'local n = 0 while true do n = n + 1 end' --max-instructions 1e7
expect "instruction limit status" "$rc" 1
contains "instruction limit" "$outp" "sandbox: instruction limit exceeded: the script ran 10000000 Lua instructions"

run_sb loop_pcall 'while true do pcall(function() while true do end end) end' --max-instructions 1e7
expect "instruction limit through pcall status" "$rc" 1
contains "instruction limit through pcall" "$outp" "instruction limit exceeded"

run_sb loop_coroutine 'local co = coroutine.wrap(function() while true do end end) co()' --max-instructions 1e7
contains "instruction limit in a coroutine" "$outp" "instruction limit exceeded"

run_sb mem 'local t = {} for i = 1, 1e9 do t[i] = {i} end' --max-memory 32M
expect "memory limit status" "$rc" 1
contains "memory limit" "$outp" "sandbox: memory limit exceeded: the Lua heap reached the cap of 32 MiB"

run_sb mem_pcall 'while true do pcall(function() local s = {} for i = 1, 1e9 do s[i] = ("x"):rep(64) .. i end end) end' --max-memory 32M
expect "memory limit through pcall status" "$rc" 1
contains "memory limit through pcall" "$outp" "memory limit exceeded"

run_sb under_limits 'local t = {} for i = 1, 1e5 do t[i] = i end print(#t)' --max-memory 64M --max-instructions 1e8
expect "under the limits" "$rc/$outp" "0/100000"

run_sb nolimit 'local n = 0 for i = 1, 2e6 do n = n + i end print(n)' --max-instructions 0
expect "no instruction limit" "$outp" "2000001000000"

# ---- LAMMPS ------------------------------------------------------------------------------------
if command -v "${SFLEX_LMP:-lmp}" >/dev/null 2>&1; then
    run_sb lammps 'local lmp = sflex.lammps{}
lmp:command("units metal")
local ok, err = pcall(lmp.command, lmp, "shell touch '"$TMP"'/evil_lmp")
print(err)
lmp:command("print \"inside\" file out/lmp.txt")
lmp:close()'
    expect "LAMMPS script status" "$rc" 0
    contains "LAMMPS shell" "$outp" "sandbox: blocked LAMMPS command 'shell touch"
    [ -e "$TMP/evil_lmp" ]
    expect "LAMMPS shell did not run" "$?" 1
    expect "LAMMPS print file inside" "$(cat out/lmp.txt 2>/dev/null)" "inside"
    # sflex's own LAMMPS workflows pass the checks (private temporary files,
    # box tilt, per-atom dumps), and give what they give outside
    code='local a = sflex.read("'"$SRC"'/tests/data/cuzr_tri.data", {elements = {"Cu", "Zr"}})
local lmp = sflex.mech_lammps(a, {})
sflex.lammps_minimize(lmp)
local st = sflex.lammps_state(lmp)
local b = lmp:get_atoms()
lmp:close()
print(string.format("%.6f %d", st.pe, b.n))'
    printf '%s\n' "$code" > mech.lua
    inside=$("$SFLEX" --sandbox --output-dir out mech.lua 2>&1)
    outside=$("$SFLEX" mech.lua 2>&1)
    contains "mech_lammps in the sandbox" "$inside" " 32"
    expect "mech_lammps the same in and out of the sandbox" "$inside" "$outside"
else
    echo "note: no LAMMPS; its checks skipped"
fi

# ---- the command line ----------------------------------------------------------------------------
printf 'os.execute("true") print("free")\n' > free.lua
outp=$("$SFLEX" --sandbox -e 'print(1)' 2>&1)
rc=$?
expect "--sandbox with -e status" "$rc" 1
contains "--sandbox with -e" "$outp" "--sandbox runs one script file"
outp=$("$SFLEX" --sandbox --max-memory 12Q x.lua 2>&1)
rc=$?
expect "bad --max-memory status" "$rc" 1
contains "bad --max-memory" "$outp" "--max-memory: bad value '12Q'"
outp=$("$SFLEX" --sandbox --max-instructions 2>&1)
contains "missing --max-instructions value" "$outp" "--max-instructions: missing value"
outp=$("$SFLEX" --sandbox --output-dir "$TMP/nosuch" allowed.lua 2>&1)
rc=$?
expect "missing output folder status" "$rc" 1
contains "missing output folder" "$outp" "output folder"
outp=$("$SFLEX" --max-memory 1G free.lua 2>&1)
rc=$?
expect "limit without --sandbox: status" "$rc" 1
contains "limit without --sandbox" "$outp" "--max-memory works only with --sandbox"
outp=$("$SFLEX" --help)
contains "help mentions --sandbox" "$outp" "--sandbox"
# without --sandbox the same script may do anything (the options are sandbox-only)
expect "no sandbox without --sandbox" "$("$SFLEX" free.lua)" "free"

echo "$checks checks, $fails failed"
[ "$fails" = 0 ]
