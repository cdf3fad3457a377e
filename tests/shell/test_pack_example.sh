#!/bin/bash
# The shipped example package (examples/package: SF training and Fig. 2 on
# the bundled glasses) verifies: every input and recorded output matches its
# manifest, and a sandboxed re-run with two threads remakes every output
# byte for byte.  Skipped while the package has not been made
# (examples/make_package.sh).
# usage: bash test_pack_example.sh path/to/sflex
set -u
SFLEX=${1:?usage: test_pack_example.sh path/to/sflex}
SRC=${SFLEX_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
PKG=$SRC/examples/package
if [ ! -f "$PKG/MANIFEST" ]; then
    echo "skipped: $PKG/MANIFEST not made yet (examples/make_package.sh)"
    exit 77
fi
TMP=$(mktemp -d "${TMPDIR:-/tmp}/sflex_example.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
out=$("$SFLEX" verify "$PKG" --threads 2 --workdir "$TMP" 2>&1)
rc=$?
printf '%s\n' "$out" | grep -v '^  |'
if [ $rc != 0 ]; then
    echo "FAIL: sflex verify $PKG exited with $rc"
    exit 1
fi
if command -v sha256sum >/dev/null; then
    (cd "$PKG" && sha256sum --quiet -c MANIFEST.sha256) || { echo "FAIL: sha256sum -c"; exit 1; }
fi
echo "example package verified"
