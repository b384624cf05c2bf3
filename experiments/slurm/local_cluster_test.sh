#!/bin/bash
# Starts a single-node Slurm cluster on this machine (munged, slurmctld, slurmd; as root, every
# file in a temporary directory, the system's /etc/slurm and munge untouched), submits a real
# sharded sweep through submit_sweep.sh (sbatch job array + dependent merge), waits for it, and
# checks that the merged results.csv equals an unsharded run of the same plan, timing columns
# (plan_us_median, plan_us_min) aside. Stops the daemons it started on exit.
#   experiments/slurm/local_cluster_test.sh [PLAN] [SHARDS]
# Defaults: experiments/slurm/sweep.json, 3 shards. EPLB defaults to build/release/harness/eplb.
# Needs Debian's slurm-wlm and munge (apt-get install -y --no-install-recommends slurm-wlm munge).
set -euo pipefail
here=$(dirname "$(realpath "$0")")
root=$(realpath "$here/../..")
plan=$(realpath "${1:-$here/sweep.json}")
shards=${2:-3}
eplb=$(realpath "${EPLB:-$root/build/release/harness/eplb}")
start_time=$(date +%s)

fail() { echo "local_cluster_test: FAIL: $*" >&2; exit 1; }
# Outside CI a machine without Slurm, or a user who is not root, skips (exit 77, ctest's SKIP);
# in CI (CI=true, README command 2 installs slurm-wlm and munge, as root) it is a failure.
cannot_run() {
  if [[ ${CI:-} == true ]]; then fail "$*"; fi
  echo "local_cluster_test: SKIP: $*" >&2
  exit 77
}
for tool in munged slurmctld slurmd sbatch scontrol sinfo; do
  command -v "$tool" > /dev/null ||
    cannot_run "$tool not found; install Debian's slurm-wlm and munge (apt-get install -y --no-install-recommends slurm-wlm munge)"
done
[[ $(id -u) -eq 0 ]] || cannot_run "run as root (the daemons and jobs run as root here)"
[[ -x $eplb ]] || fail "$eplb is not an executable; build it first or set EPLB"

work=$(mktemp -d /tmp/eplb-slurm.XXXXXX)
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2> /dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2> /dev/null || break; sleep 0.1; done
  done
  if [[ ${KEEP:-0} == 1 ]]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

# Free TCP ports for slurmctld and slurmd, so a system Slurm (if any) is not disturbed.
port=$((20000 + RANDOM % 20000))
ctld_port=$port
slurmd_port=$((port + 1))
node=$(hostname -s)
mkdir -p "$work"/{munge,state,spool,log,out}
chmod 700 "$work/munge"

dd if=/dev/urandom of="$work/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$work/munge/munge.key"
munged --force --key-file="$work/munge/munge.key" --socket="$work/munge/munge.socket" \
  --pid-file="$work/munge/munged.pid" --log-file="$work/log/munged.log" \
  --seed-file="$work/munge/munged.seed"
for _ in $(seq 50); do [[ -s $work/munge/munged.pid ]] && break; sleep 0.1; done
pids+=("$(cat "$work/munge/munged.pid")")

cat > "$work/slurm.conf" << CONF
ClusterName=eplblab
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$work/munge/munge.socket
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/log/slurmctld.log
SlurmdLogFile=$work/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
MinJobAge=300
NodeName=$node NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=local Nodes=$node Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$work/slurm.conf

slurmctld -i
for _ in $(seq 100); do [[ -s $work/slurmctld.pid ]] && break; sleep 0.1; done
[[ -s $work/slurmctld.pid ]] || fail "slurmctld did not start: $(tail -5 "$work/log/slurmctld.log")"
pids+=("$(cat "$work/slurmctld.pid")")
slurmd
for _ in $(seq 100); do [[ -s $work/slurmd.pid ]] && break; sleep 0.1; done
[[ -s $work/slurmd.pid ]] || fail "slurmd did not start: $(tail -5 "$work/log/slurmd.log")"
pids+=("$(cat "$work/slurmd.pid")")
for _ in $(seq 300); do
  state=$(sinfo -h -N -o %t 2> /dev/null | head -1 || true)
  [[ $state == idle* ]] && break
  sleep 0.1
done
[[ $state == idle* ]] || fail "node not idle (state '$state'): $(tail -5 "$work/log/slurmd.log")"
echo "local_cluster_test: Slurm up after $(($(date +%s) - start_time)) s (node $node, state $state)"

read -r array merge < <(EPLB=$eplb "$here/submit_sweep.sh" "$plan" "$shards" "$work/out")
echo "local_cluster_test: submitted array job $array ($shards shards) and merge job $merge"
deadline=$(($(date +%s) + ${TIMEOUT:-600}))
while :; do
  merge_state=$(scontrol show job "$merge" 2> /dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p')
  case $merge_state in
    COMPLETED) break ;;
    FAILED | CANCELLED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY | BOOT_FAIL | DEADLINE)
      cat "$work"/out/logs/*.out >&2 || true
      fail "merge job $merge ended $merge_state" ;;
  esac
  [[ $(date +%s) -lt $deadline ]] || fail "merge job $merge not done in time (state '$merge_state')"
  sleep 0.5
done
for ((i = 0; i < shards; i++)); do
  [[ -s $work/out/shard_$i/results.csv ]] || fail "shard $i wrote no results.csv"
done

"$eplb" run "$plan" --out "$work/unsharded" --no-plots --no-progress > "$work/log/unsharded.log"

# results.csv without the columns that measure time. Fields may be quoted and hold commas
# ("zipf:seed=1,exponent=1.2"), so split on commas outside quotes (POSIX awk; mawk has no FPAT).
untimed() {
  awk '
    function split_csv(line, out,   n, i, c, field, quoted) {
      n = 0; field = ""; quoted = 0
      for (i = 1; i <= length(line); i++) {
        c = substr(line, i, 1)
        if (c == "\"") quoted = !quoted
        if (c == "," && !quoted) { out[++n] = field; field = "" } else field = field c
      }
      out[++n] = field
      return n
    }
    {
      n = split_csv($0, f)
      if (NR == 1) for (i = 1; i <= n; i++) if (f[i] != "plan_us_median" && f[i] != "plan_us_min") keep[++k] = i
      line = ""
      for (j = 1; j <= k; j++) line = line (j > 1 ? "," : "") f[keep[j]]
      print line
    }' "$1"
}
rows=$(($(wc -l < "$work/unsharded/results.csv") - 1))
[[ $rows -gt 0 ]] || fail "the unsharded run wrote no rows"
if ! diff <(untimed "$work/out/merged/results.csv") <(untimed "$work/unsharded/results.csv") > "$work/log/diff.txt"; then
  head -20 "$work/log/diff.txt" >&2
  fail "merged results.csv differs from the unsharded run"
fi
echo "local_cluster_test: PASS: $rows rows, $shards shards merged == unsharded (timing aside); $(($(date +%s) - start_time)) s in all"
