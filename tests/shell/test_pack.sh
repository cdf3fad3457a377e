#!/bin/bash
# sflex pack / sflex verify on a small self-contained package (an SF model
# trained on two frames of tests/data/cuzr_tri.dump, replicated 3x3x3,
# applied to the third;
# a data file, tables, a plot and scripts/rdf.lua run inside the package):
# the manifest is checkable with sha256sum -c; verify re-runs the package in
# the sandbox and every output is byte-identical with 1 and with 2 threads;
# one changed byte in an input, an output or the manifest makes verify fail
# naming the file; a script whose output changes from run to run fails.
# usage: bash test_pack.sh path/to/sflex
set -u
SFLEX=${1:?usage: test_pack.sh path/to/sflex}
SFLEX=$(cd "$(dirname "$SFLEX")" && pwd)/$(basename "$SFLEX")
SRC=${SFLEX_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/sflex_pack.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
cd "$TMP" || exit 1
# the re-run folders verify keeps after a failure go here, not into /tmp
mkdir -p "$TMP/tmp"
export TMPDIR=$TMP/tmp
command -v sha256sum >/dev/null || { echo "skipped: no sha256sum"; exit 77; }

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

PKG=$TMP/pkg
mkdir -p "$PKG/inputs" "$PKG/lib"
cp "$SRC/tests/data/cuzr_tri.dump" "$PKG/inputs/"
cat > "$PKG/lib/util.lua" <<'EOF'
local M = {}
function M.frames(path, n)
  local list = {}
  -- 3x3x3 copies (864 atoms): enough rows for the threads to share the
  -- descriptor loop (chunks of 256 atoms)
  for k = 1, n do list[k] = sflex.read(path, {frame = k}):replicate(3, 3, 3) end
  return list
end
return M
EOF
cat > "$PKG/run.lua" <<'EOF'
-- train an SF model (label: per-atom energy c_pe) on frames 1-2, apply it
-- to frame 3; write the model, tables, a dump, a plot and g(r).
local out = arg[1]
local util = require "lib.util"
local plot = require "sflex.plot"
local pkg = require "sflex.package"
local seed = tonumber(os.getenv("SFLEX_SEED") or "1")
local f = util.frames("inputs/cuzr_tri.dump", 3)
local model, report = sflex.train_sf{train = {f[1], f[2]}, test = {f[3]}, label = "c_pe", seed = seed,
  descriptor = {grid = {1.5, 5.0, 0.25}, sigma = 0.2, cutoff = 5.0, reduced = false}}
model:save(out .. "/pe.sfmodel")
local sf = model:sf(f[3])
plot.write_table(out .. "/sf.txt", {{"id", f[3].id}, {"sf", sf}, {"pe", f[3]:column("c_pe")}})
local a = f[3]:copy()
a:set_column("sf", sf)
sflex.write(out .. "/frame3.dump", a)
sflex.make_dirs(out .. "/figs")
if plot.available() then
  plot.render{out = out .. "/figs/sf_pe.png", xlabel = "SF", ylabel = "pe",
              series = {{x = sf, y = f[3]:column("c_pe"), style = "points pt 7", title = "frame 3"}}}
end
pkg.run_script("rdf", {"inputs/cuzr_tri.dump", "--rmax", "4", "--out", out .. "/gr.txt", "--quiet"})
print(string.format("test rho = %.4f", report.centres.Cu["test.pearson"]))
EOF

# ---- pack ----------------------------------------------------------------------------------
outp=$(OMP_NUM_THREADS=1 "$SFLEX" pack "$PKG" 2>&1)
rc=$?
expect "pack status" "$rc" 0
contains "pack output" "$outp" "pack: wrote $PKG/MANIFEST"
for f in MANIFEST MANIFEST.sha256 outputs/pe.sfmodel outputs/sf.txt outputs/frame3.dump outputs/gr.txt; do
    [ -s "$PKG/$f" ] || fail "pack did not make $f"
done
man=$(cat "$PKG/MANIFEST")
for k in "script = run.lua" 'args = ["outputs"]' "sandbox = true" "threads = 1" "seed = 1" \
         "source_date_epoch = 0" "version.sflex = " "version.Lua = " "version.LIBLINEAR = " \
         "version.FFTW = " "version.LAPACK = " "command = OMP_NUM_THREADS=1" \
         "inputs/cuzr_tri.dump" "lib/util.lua" "outputs/pe.sfmodel" "end sflex-package"; do
    contains "MANIFEST has $k" "$man" "$k"
done
case "$man" in *"/.sflex-"*|*" .sflex-"*) fail "MANIFEST lists pack's work folder" ;; esac
[ -e "$PKG/.sflex-pack-"* ] 2>/dev/null && fail "pack left its work folder"
outp=$(cd "$PKG" && sha256sum -c MANIFEST.sha256 2>&1)
expect "sha256sum -c status" "$?" 0
contains "sha256sum -c checks the MANIFEST too" "$outp" "MANIFEST: OK"

# ---- verify, 1 and 2 threads -------------------------------------------------------------------
for n in 2 1; do
    outp=$("$SFLEX" verify "$PKG" --threads $n 2>/dev/null)
    rc=$?
    expect "verify with $n threads status" "$rc" 0
    contains "verify with $n threads" "$outp" "verify: OK"
    contains "verify with $n threads re-ran" "$outp" "$n thread"
    contains "verify with $n threads sandboxed" "$outp" "sandboxed"
done
outputs1=$(sed -n '/^\[outputs\]/,$p' "$PKG/MANIFEST")
OMP_NUM_THREADS=2 "$SFLEX" pack "$PKG" >/dev/null 2>&1
outputs2=$(sed -n '/^\[outputs\]/,$p' "$PKG/MANIFEST")
expect "packing again with 2 threads gives the same outputs" "$outputs2" "$outputs1"
contains "the manifest records 2 threads" "$(cat "$PKG/MANIFEST")" "threads = 2"

# ---- tampering ---------------------------------------------------------------------------------
flip() { # FILE OFFSET: change one byte
    local c
    c=$(dd if="$1" bs=1 skip="$2" count=1 2>/dev/null)
    if [ "$c" = "7" ]; then c=8; else c=7; fi
    printf '%s' "$c" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}
cp -a "$PKG" "$TMP/orig"

flip "$PKG/inputs/cuzr_tri.dump" 300
outp=$("$SFLEX" verify "$PKG" 2>/dev/null)
rc=$?
expect "tampered input: status" "$rc" 1
contains "tampered input: named" "$outp" "MISMATCH  inputs/cuzr_tri.dump"
contains "tampered input: summary" "$outp" "verify: FAILED: 1 problem: MISMATCH inputs/cuzr_tri.dump"
(cd "$PKG" && sha256sum --quiet -c MANIFEST.sha256 >/dev/null 2>&1)
expect "tampered input: sha256sum -c fails" "$?" 1
cp "$TMP/orig/inputs/cuzr_tri.dump" "$PKG/inputs/"

flip "$PKG/lib/util.lua" 5
outp=$("$SFLEX" verify "$PKG" 2>/dev/null)
expect "tampered module: status" "$?" 1
contains "tampered module: named" "$outp" "MISMATCH  lib/util.lua"
cp "$TMP/orig/lib/util.lua" "$PKG/lib/"

flip "$PKG/outputs/sf.txt" 40
outp=$("$SFLEX" verify "$PKG" 2>/dev/null)
expect "tampered output: status" "$?" 1
contains "tampered output: named" "$outp" "MISMATCH  outputs/sf.txt"
cp "$TMP/orig/outputs/sf.txt" "$PKG/outputs/"

sed -i 's/^seed = 1$/seed = 2/' "$PKG/MANIFEST"
outp=$("$SFLEX" verify "$PKG" 2>/dev/null)
expect "edited MANIFEST: status" "$?" 1
contains "edited MANIFEST: named" "$outp" "MISMATCH  MANIFEST.sha256"
cp "$TMP/orig/MANIFEST" "$PKG/"

rm "$PKG/outputs/gr.txt"
outp=$("$SFLEX" verify "$PKG" 2>/dev/null)
expect "missing output: status" "$?" 1
contains "missing output: named" "$outp" "MISSING   outputs/gr.txt"
cp "$TMP/orig/outputs/gr.txt" "$PKG/outputs/"

outp=$("$SFLEX" verify "$PKG" 2>/dev/null)
expect "restored package verifies" "$?" 0

# ---- a script whose output changes -------------------------------------------------------------
P2=$TMP/moving
mkdir -p "$P2"
cat > "$P2/run.lua" <<'EOF'
local f = assert(io.open(arg[1] .. "/stable.txt", "w")); f:write("same\n"); f:close()
f = assert(io.open(arg[1] .. "/clock.txt", "w")); f:write(string.format("%.9f %s\n", os.clock(), tostring({}))); f:close()
EOF
"$SFLEX" pack "$P2" >/dev/null 2>&1
outp=$("$SFLEX" verify "$P2" 2>/dev/null)
expect "changing output: status" "$?" 1
contains "changing output: named" "$outp" "DIFFERS   outputs/clock.txt"
contains "stable output still ok" "$outp" "ok        outputs/stable.txt"
contains "the re-run is kept" "$outp" "the re-run is in"

# ---- verify runs the script in the sandbox ------------------------------------------------------
P3=$TMP/sneaky
mkdir -p "$P3"
printf 'local f = assert(io.open(arg[1] .. "/a.txt", "w")); f:write("a"); f:close()\n' > "$P3/run.lua"
"$SFLEX" pack "$P3" >/dev/null 2>&1
printf 'os.execute("touch %s/escaped")\n' "$TMP" > "$P3/run.lua"
outp=$("$SFLEX" verify "$P3" 2>&1)
expect "changed script: status" "$?" 1
contains "changed script: named" "$outp" "MISMATCH  run.lua"
# a package whose recorded script escapes: made with --no-sandbox, verified sandboxed
printf 'os.execute("touch %s/escaped")\nlocal f = assert(io.open(arg[1] .. "/a.txt", "w")); f:write("a"); f:close()\n' "$TMP" > "$P3/run.lua"
"$SFLEX" pack "$P3" --no-sandbox >/dev/null 2>&1
rm -f "$TMP/escaped"
outp=$("$SFLEX" verify "$P3" 2>&1)
expect "escaping script: status" "$?" 1
contains "escaping script: blocked" "$outp" "sandbox: blocked os.execute"
[ -e "$TMP/escaped" ]
expect "escaping script did not run the command" "$?" 1

# ---- errors -----------------------------------------------------------------------------------------
outp=$("$SFLEX" verify "$TMP/nosuch" 2>&1)
expect "verify of a missing folder: status" "$?" 2
mkdir -p "$TMP/empty"
outp=$("$SFLEX" verify "$TMP/empty" 2>&1)
expect "verify without MANIFEST: status" "$?" 2
contains "verify without MANIFEST" "$outp" "MANIFEST"
outp=$("$SFLEX" pack "$TMP/empty" 2>&1)
expect "pack without run.lua: status" "$?" 1
contains "pack without run.lua" "$outp" "run.lua not found"

echo "$checks checks, $fails failed"
[ "$fails" = 0 ]
