#!/bin/sh
# mech_report.sh: the SF-dependent mechanical and thermal numbers of
# doc/mechanics.md (paper Figs. 3, 6, 7, 8 and S20) in one command.
#
#   scripts/mech_report.sh [GLASS_DIR ...]
#
# GLASS_DIRs are data-set directories (is.dump.gz, vflex.dump.gz); default:
# every data/glasses/*/ that has an is.dump.gz.  Settings (environment):
#   SFLEX=build/sflex  MODEL=examples/CuZr.sfmodel  OUT=/tmp/sf/mech_report
#   NP=1 (LAMMPS ranks)  STRAIN=0.05  STEP=2e-3 (AQS, mode xy)
#   FIG6=Cu50Zr50_1e13_s1 (the glass of the C44 map and of DIRECTIONS)
#   TF_GLASSES="Cu30Zr70_1e13_s1 Cu50Zr50_1e13_s1 Cu65Zr35_1e13_s1" (heating
#     runs for T_f, ~5 CPU-min each at 10 K/ps; "all" for every glass)
#   DIRECTIONS=0 (1: D2min averaged over the 12 shear modes of FIG6, Fig. S20)
#   LONG_STRAIN=0.2 (Fig. 8 through yielding and Fig. S22 layers: AQS of FIG6
#     to this strain, ~4 CPU-min per 0.1; 0: skip)
#   GDELTA=1e-4 (strain of the G finite difference)
#   MODULI_MODE=xy (local moduli of FIG6: xy gives C66, the C44 of an isotropic
#     glass; yz (C44 proper) has a rearrangement at 1e-4 in Cu50Zr50_1e13_s1)
#
# Nothing that LAMMPS computes depends on the SF model, so every simulation
# result is kept under OUT (shear/<glass>/traj.dump.gz, lammps/G_<glass>,
# lammps/Tf_<glass>, directions/) and a second run (e.g. with a retrained
# model) only replays them: a few minutes.  rm -r OUT to start afresh.
# Results: OUT/report.txt (all the numbers), and the tables and plots of
# each step (shear/<glass>/, fig7_pooled.*, fig6/, fig3/).
set -eu
SFLEX=${SFLEX:-build/sflex}
MODEL=${MODEL:-examples/CuZr.sfmodel}
OUT=${OUT:-/tmp/sf/mech_report}
NP=${NP:-1}
STRAIN=${STRAIN:-0.05}
STEP=${STEP:-2e-3}
FIG6=${FIG6:-Cu50Zr50_1e13_s1}
TF_GLASSES=${TF_GLASSES:-"Cu30Zr70_1e13_s1 Cu50Zr50_1e13_s1 Cu65Zr35_1e13_s1"}
DIRECTIONS=${DIRECTIONS:-0}
GDELTA=${GDELTA:-1e-4}
LONG_STRAIN=${LONG_STRAIN:-0.2}
MODULI_MODE=${MODULI_MODE:-xy}
RUN="nice -n 10 $SFLEX"

if [ $# -eq 0 ]; then
  for d in data/glasses/*/; do
    [ -f "$d/is.dump.gz" ] && set -- "$@" "${d%/}"
  done
fi
[ $# -gt 0 ] || { echo "mech_report.sh: no glass directories" >&2; exit 2; }
[ -f "$MODEL" ] || { echo "mech_report.sh: no model $MODEL" >&2; exit 2; }
mkdir -p "$OUT/shear" "$OUT/lammps"
log() { echo "[$(date +%H:%M:%S)] $*"; }
t0=$(date +%s)

# ---- Figs. 7 and 8: AQS of every glass ------------------------------------------------
shear() {   # shear GLASS_DIR OUTDIR STRAIN [extra options]
  g=$1 d=$2 strain=$3
  shift 3
  if [ -f "$d/traj.dump.gz" ]; then how="--replay $d"; else how="--traj --np $NP"; fi
  $RUN scripts/shear.lua "$g/is.dump.gz" --elements Cu,Zr --model "$MODEL" --mode xy \
    --strain "$strain" --step "$STEP" --baselines $how "$@" --quiet --out "$d"
}
dirs=""
for g in "$@"; do
  name=$(basename "$g")
  log "shear $name"
  shear "$g" "$OUT/shear/$name" "$STRAIN"
  dirs="$dirs $OUT/shear/$name"
done
$SFLEX scripts/pool_enrichment.lua $dirs --out "$OUT/fig7_pooled" > "$OUT/fig7_pooled.log"

# ---- Fig. S20: D2min averaged over the 12 simple-shear modes --------------------------
if [ "$DIRECTIONS" = 1 ]; then
  log "directions $FIG6"
  shear "data/glasses/$FIG6" "$OUT/directions/$FIG6" "$STRAIN" --directions all
  $SFLEX scripts/pool_enrichment.lua "$OUT/directions/$FIG6" --table directions \
    --out "$OUT/figS20" > "$OUT/figS20.log"
fi

# ---- Fig. 6: local shear moduli of one glass (a few minimisations, always rerun) ----------
log "local moduli $FIG6"
$RUN scripts/local_moduli.lua "data/glasses/$FIG6/is.dump.gz" --elements Cu,Zr --model "$MODEL" \
  --mode "$MODULI_MODE" --delta "$GDELTA" --coarse-grain 5 --baselines --np "$NP" --quiet --out "$OUT/fig6"

# ---- Fig. 3: G and T_f once per glass, then the sample table with this model -----------
reuse=""
for g in "$@"; do
  name=$(basename "$g")
  if [ ! -f "$OUT/lammps/G_$name/properties.txt" ]; then
    log "G $name"
    $RUN scripts/sample_properties.lua "$g" --elements Cu,Zr --G --delta "$GDELTA" --np "$NP" \
      --out "$OUT/lammps/G_$name" > "$OUT/lammps/G_$name.log"
  fi
  reuse="$reuse,$OUT/lammps/G_$name/properties.txt"
  case " $TF_GLASSES " in *" $name "*|*" all "*) tf=1 ;; *) tf=0 ;; esac
  if [ $tf = 1 ] && [ ! -f "$OUT/lammps/Tf_$name/properties.txt" ]; then
    log "T_f $name (heating 300 -> 1500 K at 10 K/ps)"
    $RUN scripts/sample_properties.lua "$g" --elements Cu,Zr --tf --np "$NP" \
      --out "$OUT/lammps/Tf_$name" > "$OUT/lammps/Tf_$name.log"
  fi
  [ -f "$OUT/lammps/Tf_$name/properties.txt" ] && reuse="$reuse,$OUT/lammps/Tf_$name/properties.txt"
done
log "sample table"
$SFLEX scripts/sample_properties.lua "$@" --elements Cu,Zr --model "$MODEL" --reuse "${reuse#,}" \
  --quiet --out "$OUT/fig3"

# ---- Fig. 8 through yielding, Fig. S22 layers -----------------------------------------------
if [ "$LONG_STRAIN" != 0 ]; then
  log "long shear $FIG6 to $LONG_STRAIN"
  shear "data/glasses/$FIG6" "$OUT/long/$FIG6" "$LONG_STRAIN" --layers 20 --layer-every 0.02
fi

# ---- the numbers in one file ------------------------------------------------------------
{
  echo "# mech_report.sh, model $MODEL ($(sha256sum "$MODEL" | cut -c1-16)), $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "# AQS xy to $STRAIN in steps of $STEP; glasses: $*"
  echo
  echo "## Fig. 7: share of each species' top 5 % D2min atoms in the lowest / highest decile, pooled"
  cat "$OUT/fig7_pooled.log"
  if [ -f "$OUT/figS20.log" ]; then
    echo
    echo "## Fig. S20: D2min averaged over 12 shear modes ($FIG6)"
    cat "$OUT/figS20.log"
  fi
  echo
  echo "## Figs. 7 and 8 per glass (shear/<glass>/summary.txt)"
  for d in $dirs; do
    echo "### $(basename "$d")"
    grep -v '^config' "$d/summary.txt"
  done
  if [ -f "$OUT/long/$FIG6/summary.txt" ]; then
    echo
    echo "## Fig. 8 / S22: $FIG6 sheared to $LONG_STRAIN (long/$FIG6/curve.txt, layers.txt)"
    grep -v '^config' "$OUT/long/$FIG6/summary.txt"
    awk 'NR > 2 && (NR - 3) % 5 == 0' "$OUT/long/$FIG6/curve.txt"
  fi
  echo
  echo "## Fig. 6: local moduli ($MODULI_MODE) of $FIG6 (fig6/correlations.txt)"
  grep -E '^(config|G_global|WARNING|one_sided|Cu_mean|Zr_mean)' "$OUT/fig6/summary.txt" || true
  cat "$OUT/fig6/correlations.txt"
  echo
  echo "## Fig. 3: sample averages (fig3/properties.txt) and correlations across glasses"
  cat "$OUT/fig3/properties.txt"
  echo
  cat "$OUT/fig3/correlations.txt"
} > "$OUT/report.txt.part"
mv "$OUT/report.txt.part" "$OUT/report.txt"
log "done in $(( $(date +%s) - t0 )) s: $OUT/report.txt"
