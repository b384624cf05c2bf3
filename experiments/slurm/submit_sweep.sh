#!/bin/bash
# Submits an eplb sweep to Slurm as a job array of SHARDS shards plus a dependent merge job.
#   experiments/slurm/submit_sweep.sh PLAN SHARDS OUT [extra sbatch options...]
# Prints "<array job id> <merge job id>". Results: OUT/shard_<i>/ per shard, OUT/merged/ joined
# (results.csv, summary.md). EPLB defaults to build/release/harness/eplb; give absolute paths or
# run from the repository root on a shared file system, as the jobs run where Slurm puts them.
set -euo pipefail
if [[ $# -lt 3 ]]; then
  echo "usage: $0 PLAN SHARDS OUT [sbatch options...]" >&2
  exit 2
fi
plan=$(realpath "$1") shards=$2 out=$(realpath -m "$3")
shift 3
if ! [[ $shards =~ ^[1-9][0-9]*$ ]]; then
  echo "$0: SHARDS must be a positive integer, got '$shards'" >&2
  exit 2
fi
[[ -f $plan ]] || { echo "$0: $plan: no such plan file" >&2; exit 2; }
here=$(dirname "$(realpath "$0")")
eplb=$(realpath "${EPLB:-build/release/harness/eplb}")
[[ -x $eplb ]] || { echo "$0: $eplb is not an executable (set EPLB)" >&2; exit 2; }
mkdir -p "$out/logs"
array=$(EPLB=$eplb PLAN=$plan OUT=$out sbatch --parsable --export=ALL \
  --array="0-$((shards - 1))" --output="$out/logs/shard_%a.out" "$@" "$here/sweep_array.sbatch")
array=${array%%;*}
merge=$(EPLB=$eplb OUT=$out SHARDS=$shards sbatch --parsable --export=ALL \
  --dependency="afterok:$array" --kill-on-invalid-dep=yes --output="$out/logs/merge.out" "$@" \
  "$here/merge.sbatch")
echo "${array} ${merge%%;*}"
