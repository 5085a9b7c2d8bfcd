#!/bin/bash

test_description='sbatch --ssh and salloc --ssh: one ssh daemon per node for the whole job, owned by the extern step'

. /usr/share/sharness/sharness.sh

jobssh_require PLUGIN DROPBEAR MPI MPICH PDSH
test_cluster_up

N=$JOBSSH_CLUSTER_NNODES
dir=$(user_workdir jstest1)

# batch FILE [SBATCH OPTIONS...] -- run FILE (in the work dir) as an
# `sbatch -N$N --ssh --wait` job; its output is in $dir/FILE.out.
batch() {
    local script=$1
    shift
    rm -f "$dir/$script.out"
    run_as jstest1 sbatch -N$N --ntasks-per-node=1 --ssh --wait -o "$script.out" "$@" \
        "./$script" >submitted
}

# The nodes' names, one per line, sorted.
nodes_sorted() {
    printf '%s\n' $JOBSSH_CLUSTER_NODES | sort
}

test_expect_success MPI,MPICH 'build the MPI test program with OpenMPI and MPICH' '
    build_mpi_hello "$dir"
'

# batch_ranks SCRIPT: the batch job SCRIPT printed one MPI rank per node.
batch_ranks() {
    batch "$1" &&
    grep "^rank" "$dir/$1.out" | sort >actual &&
    expect_ranks >expect &&
    test_cmp expect actual
}

write_script every-node.sh <<'EOF'
#!/bin/bash
echo "job=$SLURM_JOB_ID"
echo "batch-tmp" >/tmp/jobssh-marker
for n in $(cat "$JOBSSH_HOSTFILE"); do
    ssh "$n" 'echo "$(hostname) job=$SLURM_JOB_ID tmp=$(cat /tmp/jobssh-marker 2>/dev/null)" \
        "extern=$(grep -c "job_${SLURM_JOB_ID}/step_extern" /proc/self/cgroup)" \
        "$(grep -E "^(Seccomp|NoNewPrivs|CapEff):" /proc/self/status | tr -d "\t" | tr "\n" " ")"'
done
echo "tag=$JOBSSH_TAG"
EOF

test_expect_success CLUSTER,USERS 'sbatch --ssh: the batch script reaches every node, inside the job' '
    batch every-node.sh &&
    job=$(job_of "$dir/every-node.sh.out") &&
    test -n "$job" &&
    grep "^node" "$dir/every-node.sh.out" >sessions &&
    for n in $JOBSSH_CLUSTER_NODES; do
        grep "^$n job=$job " sessions || return 1
    done &&
    test "$(wc -l <sessions)" = $N &&
    grep "^tag=$job.extern$" "$dir/every-node.sh.out" &&
    wait_no_leftovers $job
'

test_expect_success CLUSTER,USERS 'ssh lands in the job container (its /tmp) and in the extern step (its cgroup)' '
    grep "^node1 job=$job tmp=batch-tmp " sessions &&
    grep "^node2 job=$job tmp= " sessions &&
    test "$(grep -c " extern=[1-9]" sessions)" = $N
'

test_expect_success CLUSTER,USERS 'sessions run with no capabilities, no_new_privs and the system call filter' '
    test "$(grep -c "CapEff:0000000000000000 NoNewPrivs:1 Seccomp:2 " sessions)" = $N
'

write_script ompi.sh <<'EOF'
#!/bin/bash
echo "job=$SLURM_JOB_ID"
mpirun.openmpi -np $SLURM_NNODES ./hello-ompi
EOF

test_expect_success CLUSTER,USERS,MPI 'sbatch --ssh: OpenMPI mpirun from the batch script, one rank per node' '
    batch_ranks ompi.sh
'

write_script mpich.sh <<'EOF'
#!/bin/bash
echo "job=$SLURM_JOB_ID"
mpiexec.mpich -n $SLURM_NNODES ./hello-mpich
EOF

test_expect_success CLUSTER,USERS,MPICH 'sbatch --ssh: MPICH mpiexec from the batch script, one rank per node' '
    batch_ranks mpich.sh
'

write_script pdsh.sh <<'EOF'
#!/bin/bash
echo "job=$SLURM_JOB_ID"
pdsh hostname
EOF

test_expect_success CLUSTER,USERS,PDSH 'sbatch --ssh: pdsh with no arguments reaches every node of the job' '
    batch pdsh.sh &&
    sed -n "s/^\(node[0-9]*\): \1$/\1/p" "$dir/pdsh.sh.out" | sort >actual &&
    nodes_sorted >expect &&
    test_cmp expect actual
'

write_script inner.sh <<'EOF'
#!/bin/bash
echo "job=$SLURM_JOB_ID"
srun -N$SLURM_NNODES --ntasks-per-node=1 bash -c \
    'echo "step $(hostname) tag=$JOBSSH_TAG via=$(ssh node3 hostname)"; ls -d @RUNDIR@/*/$SLURM_JOB_ID.0 2>/dev/null | sed "s/^/own /"'
srun -N$SLURM_NNODES --ntasks-per-node=1 --ssh=launcher bash -c 'echo "launcher $(hostname)"'
echo "after $(ssh node2 hostname)"
EOF
sed -i "s|@RUNDIR@|$JOBSSH_RUNDIR|" "$dir/inner.sh"

test_expect_success CLUSTER,USERS 'a step in an --ssh job uses the job daemons: no second daemon, ssh works, the daemons outlive it' '
    batch inner.sh &&
    out="$dir/inner.sh.out" &&
    job=$(job_of "$out") &&
    test "$(grep -c "^step node[0-9]* tag=$job.extern via=node3$" "$out")" = $N &&
    ! grep "^own " "$out" &&
    grep "^srun: jobssh: step $job.0 uses the ssh daemons of job $job" "$out" &&
    test "$(grep -c "^launcher " "$out")" = 1 &&
    grep "^after node2$" "$out" &&
    wait_no_leftovers $job
'

write_script salloc.sh <<'EOF'
#!/bin/bash
echo "job=$SLURM_JOB_ID"
for n in $(scontrol show hostnames "$SLURM_JOB_NODELIST"); do
    ssh "$n" 'echo "session $(hostname) job=$SLURM_JOB_ID"'
done
# mpirun runs here, on the submit host: keep its traffic on the nodes' network.
OMPI_MCA_oob_tcp_if_include=198.18.0.0/24 OMPI_MCA_btl_tcp_if_include=198.18.0.0/24 \
    mpirun.openmpi -np $SLURM_NNODES ./hello-ompi
pdsh -w "$SLURM_JOB_NODELIST" echo pdsh-ok
EOF

test_expect_success CLUSTER,USERS,MPI,PDSH 'salloc --ssh with a command: ssh, mpirun and pdsh from the submit host' '
    run_as jstest1 salloc -N$N --ntasks-per-node=1 --ssh ./salloc.sh >salloc.out 2>salloc.err &&
    job=$(job_of salloc.out) &&
    for n in $JOBSSH_CLUSTER_NODES; do
        grep "^session $n job=$job$" salloc.out || return 1
    done &&
    grep "^rank" salloc.out | sort >actual &&
    expect_ranks >expect &&
    test_cmp expect actual &&
    test "$(grep -c ": pdsh-ok$" salloc.out)" = $N &&
    wait_no_leftovers $job
'

test_expect_success CLUSTER,USERS 'sbatch --ssh=launcher is refused with a clear error, nothing is submitted' '
    test_must_fail run_as jstest1 sbatch -N1 --ssh=launcher --wrap true >out 2>err &&
    grep "sbatch: error: jobssh: --ssh=launcher is an srun option: sbatch and salloc take --ssh" err &&
    ! grep "Submitted" out
'

write_script steponly.sh <<'EOF'
#!/bin/bash
echo "job=$SLURM_JOB_ID"
srun -N1 --ssh bash -c 'echo "tag=$JOBSSH_TAG"; ls -d @RUNDIR@/*/$SLURM_JOB_ID.* | sed "s|.*/||"'
EOF
sed -i "s|@RUNDIR@|$JOBSSH_RUNDIR|" "$dir/steponly.sh"

test_expect_success CLUSTER,USERS 'srun --ssh in a job without --ssh keeps its own step daemon' '
    rm -f "$dir/steponly.out" &&
    run_as jstest1 sbatch -N1 --wait -o steponly.out ./steponly.sh >submitted &&
    job=$(job_of "$dir/steponly.out") &&
    grep "^tag=$job.0$" "$dir/steponly.out" &&
    grep "^$job.0$" "$dir/steponly.out" &&
    ! grep "extern" "$dir/steponly.out" &&
    wait_no_leftovers $job
'

# A session that outlives its ssh connection: setsid, stdio detached.
write_script escape.sh <<'EOF'
#!/bin/bash
echo "job=$SLURM_JOB_ID"
ssh node2 'setsid sleep 300 </dev/null >/dev/null 2>&1 & echo escaped'
ssh node3 'sleep 300' &
sleep 300
EOF

# submit_escape [SBATCH OPTIONS...]: submit escape.sh, wait until both
# sessions run; sets $job.
submit_escape() {
    rm -f "$dir/escape.sh.out" &&
    run_as jstest1 sbatch -N$N --ntasks-per-node=1 --ssh -o escape.sh.out "$@" ./escape.sh \
        >submitted &&
    job=$(sed -n "s/^Submitted batch job //p" submitted) &&
    test -n "$job" &&
    wait_for 30 grep -qs "^escaped$" "$dir/escape.sh.out" &&
    wait_for 30 pid_on node2 "^sleep 300" >/dev/null &&
    wait_for 30 pid_on node3 "^sleep 300" >/dev/null
}

test_expect_success CLUSTER,USERS 'scancel mid-session: the sessions, the one that escaped included, and everything else go' '
    submit_escape &&
    ls -d "$JOBSSH_RUNDIR"/*/$job.extern >daemons &&
    test "$(wc -l <daemons)" = $N &&
    scancel $job &&
    wait_for 30 job_gone $job &&
    scontrol show job $job | grep -q "JobState=CANCELLED" &&
    wait_no_leftovers $job
'

test_expect_success CLUSTER,USERS 'a time limit mid-session: nothing is left' '
    submit_escape --time=0:05 &&
    wait_for 90 job_gone $job &&
    scontrol show job $job | grep -q "JobState=TIMEOUT" &&
    wait_no_leftovers $job
'

test_expect_success CLUSTER,USERS 'scontrol requeuehold mid-session: nothing of the first run is left' '
    submit_escape --requeue &&
    scontrol requeuehold $job &&
    wait_for 60 eval "squeue -h -j $job -o %T | grep -qx PENDING" &&
    wait_no_leftovers $job &&
    scancel $job &&
    wait_for 30 job_gone $job
'

# kill_node NODE JOB: NODE fails: its slurmd and the job's slurmstepds die
# at once (SIGKILL), as in a crash of the node's Slurm.
kill_node() {
    local node=$1 job=$2 uts p
    uts=$(stat -L -c %i "$JOBSSH_CLUSTER_DIR/ns/$node.uts") &&
    kill -KILL "$(cat "$JOBSSH_CLUSTER_DIR/pids/slurmd.$node.pid")" &&
    for p in $(pgrep -x slurmstepd); do
        [ "$(stat -L -c %i "/proc/$p/ns/uts" 2>/dev/null)" = "$uts" ] &&
            tr "\0" " " <"/proc/$p/cmdline" | grep -qF "[$job." &&
            kill -KILL "$p"
    done
    return 0
}

test_expect_success CLUSTER,USERS 'another node of the job fails mid-session: nothing is left on any node' '
    test_when_finished "test_cluster_up" &&
    submit_escape --no-requeue &&
    kill_node node3 $job &&
    wait_for 150 job_gone $job &&
    scontrol show job $job | grep -q "JobState=NODE_FAIL" &&
    wait_no_leftovers $job
'

test_done
