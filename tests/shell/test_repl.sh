#!/bin/bash
# The interactive shell through a pseudo-terminal (tests/shell/repl_pty.py):
# auto-print, multi-line input, TAB completion, Ctrl-C, Ctrl-D, history.
# usage: bash test_repl.sh path/to/sflex
set -u
SFLEX=${1:?usage: test_repl.sh path/to/sflex}
PY=/usr/bin/python3
if [ ! -x "$PY" ]; then
    echo "skipped: $PY not found"
    exit 77
fi
exec timeout 60 "$PY" "$(dirname "$0")/repl_pty.py" "$SFLEX"
