#!/bin/bash
# bench_structure.sh - side-by-side timings of the structure kernels on a
# ~1M-atom Cu-Zr glass (not a test; results go into doc/benchmarks.md).
#
#   bench/bench_structure.sh [BUILD_DIR] [OUT_DIR]
#
# Environment: DATA (LAMMPS data file, default the corpus' 2048-atom
# quenched Cu64Zr36 glass), NREP (replicas per direction, default 8 ->
# 1,048,576 atoms), RC (neighbour cutoff, default 5.0 A), REPS (repetitions,
# default 3), NCENT (atoms for the numpy reference, default 8192).
#
# Measures, each with 1 and 2 threads / MPI ranks:
#   neighbour list   sflex.neighbors (full + vectors; half, j + distance;
#                    half rebuilt in place, memory reused) vs LAMMPS
#                    pair_style zero RC, 20 forced rebuilds ("Neigh" time of
#                    the timing breakdown / 20: a half list, memory reused)
#   g(r)             sflex.rdf rmax 10, dr 0.02 vs LAMMPS compute rdf 500
#                    bins cutoff 10 ("Modify" time / invocations)
#   descriptors      sflex.descriptor (paper definition) vs
#                    bench/ref_descriptors.py (numpy + scipy cKDTree) on
#                    NCENT atoms, extrapolated per atom; rows cross-checked
#   peak memory      /usr/bin/time -v (maximum resident set size)
# Wall-clock and CPU seconds are both recorded: the machine may be shared.
set -u
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$SRC/build}
OUT=${2:-$(mktemp -d /tmp/sflex-bench.XXXXXX)}
mkdir -p "$OUT"
SFLEX=$BUILD/sflex
DATA=${DATA:-$SRC/../shared/corpus/cuzr64_mace_2048_quenched.data}
NREP=${NREP:-8}
RC=${RC:-5.0}
REPS=${REPS:-3}
NCENT=${NCENT:-8192}
LMP=${LMP:-/usr/bin/lmp}
PY=${PY:-/usr/bin/python3}
LOG=$OUT/bench.log

[ -x "$SFLEX" ] || { echo "no sflex binary at $SFLEX (build first)" >&2; exit 1; }
[ -r "$DATA" ] || { echo "no data file $DATA" >&2; exit 1; }

say() { echo "$*" | tee -a "$LOG"; }
: > "$LOG"

say "# sflex structure benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
say "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs, $(free -g | awk '/Mem:/{print $2}') GiB"
say "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
say "sflex: $("$SFLEX" -e 'print(require("sflex").version)' 2>/dev/null || echo '?'), $(gcc --version | head -1)"
say "LAMMPS: $("$LMP" -h 2>/dev/null | sed -n '2p' | sed 's/^ *//')"
say "python: $("$PY" -c 'import numpy, scipy, sys; print(sys.version.split()[0], "numpy", numpy.__version__, "scipy", scipy.__version__)')"
say "data: $DATA x ${NREP}^3"

maxrss() { sed -n 's/.*Maximum resident set size (kbytes): //p' "$1"; }

# ---- sflex -------------------------------------------------------------------------
run_sflex() { # name threads kernel param
    local name=$1 th=$2 kernel=$3 param=$4
    OMP_NUM_THREADS=$th /usr/bin/time -v "$SFLEX" "$SRC/bench/bench_structure.lua" \
        "$kernel" "$DATA" "$NREP" "$param" "$REPS" > "$OUT/$name.out" 2> "$OUT/$name.time"
    local best cpu
    best=$(grep -o 'seconds=[0-9.]*' "$OUT/$name.out" | cut -d= -f2 | sort -g | head -1)
    cpu=$(grep -o 'cpu=[0-9.]*' "$OUT/$name.out" | cut -d= -f2 | sort -g | head -1)
    say "sflex $name: best of $REPS wall ${best} s, cpu ${cpu} s, peak RSS $(maxrss "$OUT/$name.time") kB  [$(tail -1 "$OUT/$name.out" | grep -o 'pairs=[0-9]*\|cols=[0-9]*\|bins=[0-9]*')]"
}

for th in 1 2; do
    run_sflex "neighbors-full-t$th" $th neighbors "$RC"
    run_sflex "neighbors-half-t$th" $th neighbors-half "$RC"
    run_sflex "neighbors-half-update-t$th" $th neighbors-half-update "$RC"
    run_sflex "rdf-t$th" $th rdf 10.0
    run_sflex "descriptors-t$th" $th descriptors paper
done
run_sflex "read-only" 1 read x

# ---- LAMMPS --------------------------------------------------------------------------
if [ -x "$LMP" ]; then
    cat > "$OUT/in.neigh" <<EOF
units metal
atom_style atomic
boundary p p p
read_data $DATA
replicate $NREP $NREP $NREP
pair_style zero $RC
pair_coeff * *
neighbor 0.0 bin
neigh_modify every 1 delay 0 check no
thermo_style custom step pe
run 20
EOF
    cat > "$OUT/in.rdf" <<EOF
units metal
atom_style atomic
boundary p p p
read_data $DATA
replicate $NREP $NREP $NREP
pair_style zero 2.0
pair_coeff * *
neighbor 0.0 bin
neigh_modify every 1000 delay 0 check no
comm_modify cutoff 10.5
compute r all rdf 500 1 1 1 2 2 2 cutoff 10.0
fix f all ave/time 1 1 1 c_r[*] file $OUT/lammps_rdf.out mode vector
thermo_style custom step pe
run 3
EOF
    for np in 1 2; do
        for what in neigh rdf; do
            name=lammps-$what-np$np
            if [ $np = 1 ]; then
                /usr/bin/time -v "$LMP" -in "$OUT/in.$what" -log none -screen "$OUT/$name.screen" \
                    > /dev/null 2> "$OUT/$name.time"
            else
                /usr/bin/time -v mpirun --allow-run-as-root -np $np "$LMP" -in "$OUT/in.$what" \
                    -log none -screen "$OUT/$name.screen" > /dev/null 2> "$OUT/$name.time"
            fi
            s=$OUT/$name.screen
            if [ $what = neigh ]; then
                t=$(awk '/^Neigh /{print $7}' "$s")   # avg time over ranks
                c=$(awk '/^Comm /{print $7}' "$s")
                say "LAMMPS neighbor list np=$np: Neigh $(echo "$t / 20" | bc -l | cut -c1-6) s per build (+ Comm $(echo "$c / 20" | bc -l | cut -c1-6) s), $(grep -m1 'Total # of neighbors' "$s" | sed 's/ *= */=/'), peak RSS $(maxrss "$OUT/$name.time") kB (per process)"
            else
                t=$(awk '/^Modify /{print $7}' "$s")
                say "LAMMPS compute rdf np=$np: Modify $(echo "$t / 3" | bc -l | cut -c1-6) s per g(r) (500 bins to 10 A; 3 invocations timed), peak RSS $(maxrss "$OUT/$name.time") kB (per process)"
            fi
            say "  user $(sed -n 's/.*User time (seconds): //p' "$OUT/$name.time") s, system $(sed -n 's/.*System time (seconds): //p' "$OUT/$name.time") s, wall $(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$OUT/$name.time") for the whole run"
        done
    done
else
    say "LAMMPS: $LMP not found, skipped"
fi

# ---- numpy / scipy reference ---------------------------------------------------------------
if "$PY" -c 'import numpy, scipy' 2>/dev/null; then
    /usr/bin/time -v "$PY" "$SRC/bench/ref_descriptors.py" "$DATA" "$NREP" "$NCENT" \
        --out "$OUT/ref_rows.txt" > "$OUT/ref.out" 2> "$OUT/ref.time"
    say "numpy/scipy reference: $(grep atoms= "$OUT/ref.out"), peak RSS $(maxrss "$OUT/ref.time") kB"
    OMP_NUM_THREADS=2 "$SFLEX" "$SRC/bench/bench_structure.lua" check "$DATA" "$NREP" \
        "$OUT/ref_rows.txt" > "$OUT/check.out" 2>&1
    say "cross-check: $(cat "$OUT/check.out")"
else
    say "numpy/scipy: not available to $PY, skipped"
fi

say "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
say "results in $OUT"
