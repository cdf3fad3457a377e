#!/bin/bash
# reproduce.sh - every number and figure of doc/reproduction.md, from the
# committed data set and the shipped model.
#
#   scripts/reproduce.sh [learning|vib|mech|art|all] [OUTDIR]
#
#   learning  train (check the shipped model's scores), transfer, classify,
#             Fig. 1, 2, 3                              ~2 min on 2 cores
#   vib       Fig. 4 (softmodes.lua) and Fig. 5 (boson_peak.lua; LAMMPS)
#                                                       ~10 min
#   classify  classification of the least flexible atoms: repeated and
#             grouped (leave-one-glass-out) evaluation, training on a larger
#             fraction, learning curves (classify.lua)    ~7 min
#   beyond    richer features vs the paper's (compare_features.lua, seeded
#             split of the training glasses)               ~10 min
#   mech      Figs. 6-8 and 3 (scripts/mech_report.sh)  see that script
#   art       Fig. 9 (barriers.lua: every atom of the Cu50Zr50 1e12 K/s
#             glass, which the model never saw, 3 events each, saddles
#             refined with every atom free)      ~1 h on 2 threads
#             (ART_CENTERS=N: N random centres; ART_EVENTS=K: K events;
#             ART_ARGS: more barriers.lua options, ART_SUFFIX: output name
#             suffix; the gentle-search run of doc/reproduction.md is
#             ART_EVENTS=2 ART_SUFFIX=_gentle ART_ARGS="--art
#             push_step=0.1,perp_steps=12,lanczos_tol=0.001,follow_mode=0")
# Tables, plots and logs go to OUTDIR (default doc/figures).  Environment:
# SFLEX (default build/sflex).  Not a test: run it after a change of the
# data set, the model or the scripts, then update doc/reproduction.md.
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-learning}
out=${2:-doc/figures}
sflex=${SFLEX:-build/sflex}
model=examples/CuZr.sfmodel
mkdir -p "$out"
g=data/glasses
shopt -s nullglob

# the model's training glasses are the 1e13 K/s series without the bundled
# example (Cu35Zr65); everything else is held out
train=()
for f in $g/*_1e13_s1/vflex.dump.gz; do
  [[ $f == *Cu35Zr65* ]] || train+=("$f")
done
all=($g/*/vflex.dump.gz)
heldout=()
for f in "${all[@]}"; do
  [[ " ${train[*]} " == *" $f "* ]] || heldout+=("$f")
done

run() { echo "+ $*" >&2; "$@"; }

learning() {
  # the shipped model, retrained from its recorded command: same scores
  local tmp
  tmp=$(mktemp -d)
  run $sflex scripts/train.lua --train "${train[@]}" --label vflex --log --elements Cu,Zr \
    --grid-search --out "$tmp/retrained.sfmodel" --quiet | tee "$out/train.txt"
  if diff <(grep -v '^provenance' $model) <(grep -v '^provenance' "$tmp/retrained.sfmodel") >/dev/null; then
    echo "retrained model = $model (every line but the provenance)" | tee -a "$out/train.txt"
  else
    echo "retrained model DIFFERS from $model" | tee -a "$out/train.txt"
  fi
  rm -rf "$tmp"
  # SF on every glass, held-out ones included (Fig. 2, S3)
  run $sflex scripts/fig2_sf_vflex.lua --model $model "${all[@]}" --out "$out/fig2" | tee "$out/fig2.log"
  run $sflex scripts/fig1_gr.lua "${train[@]}" --elements Cu,Zr --out "$out/fig1" | tee "$out/fig1.log"
  run $sflex scripts/fig3_samples.lua --model $model "${all[@]}" --out "$out/fig3" | tee "$out/fig3.log"
  run $sflex scripts/transfer.lua --train "${train[@]}" --by composition --log --elements Cu,Zr \
    --out "$out/transfer_composition.txt" | tee "$out/transfer_composition.log"
  local rates=($g/*_1e12_s1/vflex.dump.gz $g/*_1e14_s1/vflex.dump.gz)
  if ((${#rates[@]})); then
    run $sflex scripts/transfer.lua --train "${all[@]}" --by rate --log --elements Cu,Zr \
      --out "$out/transfer_rate.txt" | tee "$out/transfer_rate.log"
  fi
  for m in "" "--cv 5" "--method sf --cv 5"; do
    # shellcheck disable=SC2086
    run $sflex scripts/classify.lua --train "${all[@]}" --elements Cu,Zr --model $model $m
  done | tee "$out/classify.log"
}

classify() {
  # every row of the classification table: sf/svr need the model's SF or
  # descriptor; "heldout" are the glasses the shipped model never saw
  # shellcheck disable=SC2054,SC2206
  local b=($sflex scripts/classify.lua --elements Cu,Zr --model $model)
  local grid=0.001,0.01,0.1,1,10
  local name
  c() { name=$1; shift; run "${b[@]}" "$@" --out "$out/classify_$name.txt"; }
  {
    c split --train "${all[@]}" --repeat 20
    c cv5 --train "${all[@]}" --repeat 20 --cv 5
    c sf_cv5 --train "${all[@]}" --repeat 20 --cv 5 --method sf
    c logo --train "${all[@]}" --repeat 20 --cv-by config
    c logo_grid --train "${all[@]}" --repeat 20 --cv-by config --grid-C $grid --standardize
    c sf_logo --train "${all[@]}" --repeat 20 --cv-by config --method sf
    c sf_heldout --train "${heldout[@]}" --repeat 20 --cv-by config --method sf
    c svr_logo --train "${all[@]}" --repeat 20 --cv-by config --method svr
    c svr_heldout --train "${heldout[@]}" --repeat 20 --cv-by config --method svr
    c sf_f02 --train "${all[@]}" --repeat 20 --cv-by config --method sf --train-fraction Cu=0.02,Zr=0.02
    c f01 --train "${all[@]}" --repeat 10 --cv-by config --train-fraction Cu=0.01,Zr=0.01 --grid-C $grid
    c f02 --train "${all[@]}" --repeat 10 --cv-by config --train-fraction Cu=0.02,Zr=0.02 --grid-C $grid
    c f05 --train "${all[@]}" --repeat 10 --cv-by config --train-fraction Cu=0.05,Zr=0.05 --grid-C $grid
    c f02_std --train "${all[@]}" --repeat 10 --cv-by config --train-fraction Cu=0.02,Zr=0.02 --grid-C $grid --standardize
    c f02_cut --train "${all[@]}" --repeat 10 --cv-by config --train-fraction Cu=0.02,Zr=0.02 --grid-C $grid --refit-cut
    c lc --train "${all[@]}" --repeat 20 --cv-by config --learning-curve 0.25,0.5,0.75,1
    c lc_grid --train "${all[@]}" --repeat 20 --cv-by config --learning-curve 0.25,0.5,0.75,1 --grid-C $grid --standardize
    c lc_f02 --train "${all[@]}" --repeat 10 --cv-by config --learning-curve 0.25,0.5,0.75,1 \
      --train-fraction Cu=0.02,Zr=0.02 --grid-C $grid
  } | tee "$out/classify_protocols.log"
}

beyond() {
  run $sflex scripts/compare_features.lua "${train[@]}" --elements Cu,Zr --seed 1 --sets 'R,R*,A*,R+A*,R+CG1*,R+CG1+CG2*' \
    --out "$out/beyond_split.txt" | tee "$out/beyond_split.log"
}

vib() {
  local d
  for d in Cu35Zr65_1e13_s1 Cu50Zr50_1e13_s1; do
    run $sflex scripts/softmodes.lua $g/$d/is.dump.gz --model $model --volume $g/$d/vflex.dump.gz \
      --out "$out/fig4_$d" | tee "$out/fig4_$d.log"
  done
  run $sflex scripts/boson_peak.lua $g/Cu35Zr65_1e13_s1/is.dump.gz --model $model --elements Cu,Zr \
    --temp 50 --seeds 4 --steps 4000 --every 4 --out "$out/fig5_Cu35Zr65_1e13_s1" | tee "$out/fig5.log"
}

mech() {
  # LAMMPS results are kept in MECH_OUT, so a re-run with another model only
  # replays them; the report and the small tables are copied to OUTDIR/mech
  local m=${MECH_OUT:-/tmp/sflex-mech-report}
  local dirs=()
  local d
  for d in $g/*/; do [[ -f $d/vflex.txt ]] && dirs+=("${d%/}"); done
  OUT=$m SFLEX=$sflex MODEL=$model run sh scripts/mech_report.sh "${dirs[@]}" | tee "$out/mech.log"
  mkdir -p "$out/mech"
  cp "$m/report.txt" "$out/mech/"
  find "$m" -maxdepth 2 \( -name '*.png' -o -name 'fig7_pooled*' -o -name 'summary.txt' -o -name 'correlations.txt' \) \
    -size -300k -exec cp {} "$out/mech/" \;
}

art() {
  local gl=$g/Cu50Zr50_1e12_s1
  run $sflex scripts/barriers.lua $gl/is.dump.gz --elements Cu,Zr --model $model \
    --volume $gl/vflex.dump.gz ${ART_CENTERS:+--centers $ART_CENTERS} --events ${ART_EVENTS:-3} \
    --local-radius 10 --threads 2 ${ART_ARGS:-} --out "$out/fig9_Cu50Zr50_1e12${ART_SUFFIX:-}" \
    | tee "$out/fig9${ART_SUFFIX:-}.log"
}

case $what in
  learning|classify|beyond|vib|mech|art) $what ;;
  all) learning; classify; beyond; vib; mech; art ;;
  *) echo "usage: scripts/reproduce.sh [learning|classify|beyond|vib|mech|art|all] [OUTDIR]" >&2; exit 2 ;;
esac
