#!/bin/bash
# make_dataset.sh - the committed Cu-Zr training data set (doc/dataset.md).
#
#   scripts/make_dataset.sh [glasses|vflex|all|summary] [OUTDIR]
#
# Every glass is one directory OUTDIR/<composition>_<rate>_s<seed>/ with
#   50K.data.gz  lammps.log.gz  is.dump.gz  log.txt       (make_glass.lua)
#   vflex.dump.gz  vflex.txt                               (vflex.lua)
# A directory whose log.txt (vflex.txt) exists is skipped, so the script can
# be re-run after an interruption and each finished glass can be committed as
# it lands.  Glasses run in two lanes of single-rank LAMMPS jobs (on two
# cores that is ~30% faster than one two-rank job at a time).
#
# "summary" writes OUTDIR/summary.tsv: one line per finished glass.
#
# Environment: SFLEX (the sflex command, default "sflex"), POTENTIAL,
# LANES (default 2), NP (ranks per job, default 1), ONLY (a regular
# expression on COMPOSITION:RATE, e.g. ONLY=1e12 or ONLY='Cu50Zr50:1e1[23]').
set -u
cd "$(dirname "$0")/.."
what=${1:-all}
out=${2:-data/glasses}
sflex=${SFLEX:-sflex}
pot=${POTENTIAL:-/usr/share/lammps/potentials/CuZr_mm.eam.fs}
lanes=${LANES:-2}
np=${NP:-1}
only=${ONLY:-}   # a regular expression on COMPOSITION:RATE: run only those glasses
atoms=2000
runs=40   # v_flex runs: 20 vs 20 in the split-half check
seed=1

# lane:composition:rate   (lanes balanced by cost: a 1e12 K/s glass costs
# about four 1e13 K/s glasses, a 1e14 K/s glass about 0.7 of one)
jobs=(
  1:Cu30Zr70:1e13 1:Cu35Zr65:1e13 1:Cu40Zr60:1e13 1:Cu45Zr55:1e13
  1:Cu50Zr50:1e13 1:Cu55Zr45:1e13 1:Cu60Zr40:1e13 1:Cu65Zr35:1e13
  1:Cu70Zr30:1e13
  1:Cu50Zr50:1e14 1:Cu35Zr65:1e14 1:Cu65Zr35:1e14
  2:Cu50Zr50:1e12 2:Cu35Zr65:1e12 2:Cu65Zr35:1e12
  1:Cu40Zr60:1e12
)

run_job() {
  local comp=$1 rate=$2
  local dir=$out/${comp}_${rate}_s${seed}
  if [[ $what != vflex && ! -f $dir/log.txt ]]; then
    echo "[$(date +%T)] glass $dir"
    $sflex scripts/make_glass.lua --composition "$comp" --atoms $atoms \
      --rate "$rate" --seed $seed --potential "$pot" --out "$dir" --np "$np" \
      --quiet || { echo "FAILED: glass $dir"; return 1; }
  fi
  if [[ $what != glasses && -f $dir/log.txt && ! -f $dir/vflex.txt ]]; then
    echo "[$(date +%T)] vflex $dir"
    local elements
    elements=$(sed -E 's/[0-9.]+/,/g; s/,$//' <<<"$comp")
    $sflex scripts/vflex.lua "$dir/is.dump.gz" --elements "$elements" \
      --potential "$pot" --runs $runs --steps 1000 --temp 50 --seed $seed \
      --np "$np" --out "$dir/vflex.dump.gz" --quiet \
      || { echo "FAILED: vflex $dir"; return 1; }
  fi
}

lane() {
  local l=$1 job
  for job in "${jobs[@]}"; do
    IFS=: read -r jl comp rate <<<"$job"
    [[ -z $only || "$comp:$rate" =~ $only ]] || continue
    if (( (jl - 1) % lanes == l - 1 )); then run_job "$comp" "$rate"; fi
  done
}

summary() {
  local tsv=$out/summary.tsv dir
  {
    printf 'glass\tcomposition\trate_K_per_s\tatoms\tdensity_g_cm3\tis_pe_eV_per_atom\tglass_wall_s\tglass_core_h'
    printf '\tmean_T_K\tmean_msd_A2\tmean_vflex_A3\tmean_fivefold\tsplit_half_r\tspearman_brown\tvflex_wall_s\tvflex_core_h\n'
    for dir in "$out"/*/; do
      dir=${dir%/}
      [[ -f $dir/log.txt ]] || continue
      awk -F' = ' -v name="$(basename "$dir")" '
        FNR == 1 { file++ }
        file == 1 { g[$1] = $2 }
        file == 2 { v[$1] = $2 }
        END {
          printf "%s\t%s\t%s\t%s\t%.4f\t%.5f\t%.0f\t%.3f", name, g["composition"], g["rate"], g["atoms"],
            g["final_density_g_cm3"], g["is_pe_per_atom_eV"], g["wall_seconds"], g["core_hours"]
          if ("mean_T" in v)
            printf "\t%.2f\t%.6f\t%.6f\t%.4f\t%.4f\t%.4f\t%.0f\t%.3f\n", v["mean_T"], v["mean_msd_A2"],
              v["mean_vflex_A3"], v["mean_fivefold"], v["split_half_pearson_ln_msd"],
              v["split_half_spearman_brown"], v["wall_seconds"], v["core_hours"]
          else printf "\t-\t-\t-\t-\t-\t-\t-\t-\n"
        }' "$dir/log.txt" "$( [[ -f $dir/vflex.txt ]] && echo "$dir/vflex.txt" || echo /dev/null )"
    done
  } > "$tsv.tmp" && mv "$tsv.tmp" "$tsv"
  column -t -s $'\t' "$tsv"
}

if [[ $what == summary ]]; then summary; exit 0; fi
for ((l = 1; l <= lanes; l++)); do lane $l & done
wait
echo "[$(date +%T)] done"
summary
