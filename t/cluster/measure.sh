#!/bin/bash
# Measure the test cluster: 'up' and 'down' times (median of ROUNDS cycles),
# and 'srun -N<all> true' as a new job and as a step inside an allocation
# (median of RUNS each), run as jstest1. Root only; leaves no cluster behind.
#
#   t/cluster/measure.sh [ROUNDS [RUNS]]      defaults: 5 10
#
# Honours the jobssh-cluster environment (JOBSSH_NODES, JOBSSH_NO_PLUGIN, ...).
set -euo pipefail

ROUNDS=${1:-5}
RUNS=${2:-10}
HERE=$(cd "$(dirname "$0")" && pwd -P)
CLUSTER=$HERE/jobssh-cluster

[ "$(id -u)" -eq 0 ] || { echo "measure.sh: must run as root" >&2; exit 1; }
"$HERE/setup-users.sh"

now() { echo "${EPOCHREALTIME/,/.}"; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2];
                                            else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
as_user() {
    setpriv --reuid=jstest1 --regid=jstest1 --init-groups \
        env -i HOME=/home/jstest1 USER=jstest1 PATH=/usr/bin:/bin SLURM_CONF="$SLURM_CONF" "$@"
}

# Hold the cluster for the whole measurement, like a test file does.
exec 7>"${JOBSSH_CLUSTER_DIR:-/run/jobssh-cluster}.tests.lock"
flock -w 1800 7 || { echo "measure.sh: the cluster is busy" >&2; exit 1; }
export JOBSSH_TEST_LOCK_HELD=1

"$CLUSTER" down >/dev/null 2>&1
ups=() downs=() jobs=() steps=()
for ((r = 1; r <= ROUNDS; r++)); do
    t=$(now)
    "$CLUSTER" up >/dev/null 2>&1
    ups+=("$(since "$t")")
    eval "$("$CLUSTER" env)"
    if [ "$r" = 1 ]; then
        cd /home/jstest1
        as_user srun -N"$JOBSSH_CLUSTER_NNODES" true      # warm-up, not counted
        for ((i = 1; i <= RUNS; i++)); do
            t=$(now)
            as_user srun -N"$JOBSSH_CLUSTER_NNODES" true
            jobs+=("$(since "$t")")
        done
        # Steps inside one allocation: the allocation runs a loop that times them.
        # shellcheck disable=SC2016
        mapfile -t steps < <(as_user salloc -N"$JOBSSH_CLUSTER_NNODES" bash -c '
            for ((i = 0; i <= '"$RUNS"'; i++)); do
                t=$EPOCHREALTIME
                srun true
                [ $i -gt 0 ] && awk -v a="$t" -v b="$EPOCHREALTIME" "BEGIN { printf \"%.3f\n\", b - a }"
            done' 2>/dev/null)
        cd /
    fi
    t=$(now)
    "$CLUSTER" down >/dev/null 2>&1
    downs+=("$(since "$t")")
done

echo "nodes: ${JOBSSH_CLUSTER_NNODES}  cpus: $(nproc)  load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "up:   median $(printf '%s\n' "${ups[@]}" | median) s   (${ups[*]})"
echo "down: median $(printf '%s\n' "${downs[@]}" | median) s   (${downs[*]})"
echo "srun -N$JOBSSH_CLUSTER_NNODES true, new job:        median $(printf '%s\n' "${jobs[@]}" | median) s   (${jobs[*]})"
echo "srun -N$JOBSSH_CLUSTER_NNODES true, step in salloc: median $(printf '%s\n' "${steps[@]}" | median) s   (${steps[*]})"
