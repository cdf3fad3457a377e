#!/bin/bash
# help(): the overview, functions, objects, classes and methods by value and by
# name, the standard library, unknown names, sflex.doc for Lua functions.
# usage: bash test_help.sh path/to/sflex
set -u
SFLEX=${1:?usage: test_help.sh path/to/sflex}
fails=0
checks=0
# contains NAME LUA-CODE NEEDLE...: the output of the code holds every needle
contains() {
    local name=$1 code=$2
    shift 2
    local out
    out=$("$SFLEX" -e "$code" 2>&1)
    for needle in "$@"; do
        checks=$((checks + 1))
        case "$out" in
        *"$needle"*) ;;
        *) echo "FAIL: $name: no '$needle' in:"; printf '%s\n' "$out" | sed 's/^/  | /'
           fails=$((fails + 1)) ;;
        esac
    done
}

contains "overview" 'help()' "Functions (help(sflex.NAME)" "sflex.atoms{" "sflex.box{" \
    "Classes" "Atoms: " "Box: "
contains "a function by value" 'help(sflex.box)' "sflex.box{lo = " "LAMMPS convention"
contains "a function by name" 'help "sflex.box"' "sflex.box{lo = "
contains "a function by short name" 'help "box"' "sflex.box{lo = "
contains "an object: class and methods" \
    'a = sflex.atoms{x = {{0, 0, 0}}, type = {1}, box = sflex.box{4, 4, 4}} help(a)' \
    "Atoms(n=1" "Methods:" "atoms:select(" "atoms:wrap("
contains "a method by value" \
    'a = sflex.atoms{x = {{0, 0, 0}}, type = {1}, box = sflex.box{4, 4, 4}} help(a.select)' \
    "atoms:select("
contains "a class by name" 'help "Box"' "Box: a periodic cell" "box:wrap("
contains "a method by name" 'help "Atoms:select"' "atoms:select("
contains "the help of help" 'help(help)' "help([x])"
contains "standard library" 'help(string.format)' "string.format: a function of the Lua standard library" \
    "manual.html#pdf-string.format"
contains "unknown name with suggestions" 'help "selec"' "nothing called 'selec'" "Atoms:select"
contains "nil" 'help(nil)' "the value is nil"
contains "Lua function without doc" 'local function f() end help(f)' "defined at (command line):1"
contains "sflex.doc" 'local f = sflex.doc(function() end, "f(x) -> y\nDoubles.") help(f)' "f(x) -> y" "Doubles."
contains "plain value" 'help(42)' "number 42"

echo "$checks checks, $fails failures"
[ "$fails" -eq 0 ]
