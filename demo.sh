#!/bin/bash
# The jobssh demo, on a fresh Debian 12 machine, as root:
#   ./demo.sh          build jobssh, start a local 3-node Slurm cluster (each
#                      node its own network namespace), run an MPI job across
#                      its nodes over `srun --ssh` and a batch script with
#                      `#SBATCH --ssh` that calls mpirun, take the cluster down
#   ./demo.sh --keep   leave the cluster up afterwards (t/cluster/jobssh-cluster down)
set -euo pipefail
cd "$(dirname "$0")"
top=$(pwd -P)
keep=0
[ "${1:-}" = --keep ] && keep=1

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "installing what jobssh needs (Debian packages)"
./tools/install-deps
say "building jobssh"
[ -x configure ] || ./autogen.sh >/dev/null
[ -f Makefile ] || ./configure >/dev/null
make -j2 >/dev/null
say "starting a 3-node Slurm cluster"
t/cluster/setup-users.sh
t/cluster/jobssh-cluster up
[ "$keep" = 1 ] || trap '"$top/t/cluster/jobssh-cluster" down >/dev/null' EXIT
eval "$(t/cluster/jobssh-cluster env)"
sinfo

# The job's files: a directory of the demo user, visible on every node.
user=jstest1
dir=$(getent passwd "$user" | cut -d: -f6)/jobssh-demo
install -d -o "$user" -g "$user" -m 0755 "$dir"
mpicc.openmpi -o "$dir/mpi-hello" t/helpers/mpi-hello.c
cat >"$dir/launcher.sh" <<'LAUNCHER'
#!/bin/bash
# Runs once, on the first node; the other nodes of the step only serve ssh.
echo "launcher on $(hostname), job $SLURM_JOB_ID, nodes $SLURM_JOB_NODELIST"
for n in $(cat "$JOBSSH_HOSTFILE"); do
    echo "  ssh $n -> $(ssh "$n" 'echo $(hostname), in the job container: $(readlink /proc/self/ns/mnt)')"
done
echo "mpirun over ssh:"
mpirun.openmpi -np "$SLURM_NNODES" ./mpi-hello
LAUNCHER
cat >"$dir/batch.sh" <<'BATCH'
#!/bin/bash
#SBATCH -N3 --ntasks-per-node=1 --ssh
# Every node of the job serves ssh for the job's whole life: mpirun right here.
echo "batch script on $(hostname), job $SLURM_JOB_ID, nodes $SLURM_JOB_NODELIST"
mpirun.openmpi -np "$SLURM_NNODES" ./mpi-hello
BATCH
chmod 0755 "$dir/launcher.sh" "$dir/batch.sh"
chown "$user:" "$dir"/*

as_user() { runuser -u "$user" -- env SLURM_CONF="$SLURM_CONF" PATH=/usr/bin:/bin "$@"; }
cd "$dir"
say "srun -N3 --ntasks-per-node=1 --ssh=launcher ./launcher.sh   (as $user)"
as_user srun -N3 --ntasks-per-node=1 --ssh=launcher ./launcher.sh
say "sbatch --wait ./batch.sh   (#SBATCH --ssh; as $user)"
rm -f batch.out
as_user sbatch --wait -o batch.out ./batch.sh >/dev/null
cat batch.out
say "done"
[ "$keep" = 1 ] && echo "the cluster is still up: SLURM_CONF=$SLURM_CONF; $top/t/cluster/jobssh-cluster down stops it"
exit 0
