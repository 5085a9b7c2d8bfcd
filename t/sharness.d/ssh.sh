# Helpers for the --ssh tests (sourced by sharness after jobssh.sh).
#
#   write_script NAME [USER] write stdin as an executable script NAME in USER's
#                          (default jstest1) work dir, the jobs' working directory
#   job_gone JOB           Slurm no longer lists JOB
#   pid_on NODE PATTERN    pid of a test user's process on NODE (pgrep -f)
#   job_of FILE            the job id printed as "job=ID" in FILE
#   no_leftovers JOB       nothing of JOB is left: no process of the test users,
#                          no supervisor, no step directory, no key directory,
#                          no listener in the port range on any node
#   wait_no_leftovers JOB  the same, waiting (bounded) for the epilog
#   plugstack_args ARGS    replace the plugin's arguments after basedir=...
#                          (slurmstepd and srun read plugstack.conf per step)
#   plugstack_line LINE    replace the whole plugstack.conf line
#   plugstack_restore      put the cluster's own plugstack.conf back
#   node_net NODE          the network namespace file of NODE
#   build_mpi_hello DIR    build helpers/mpi-hello.c as DIR/hello-ompi (OpenMPI)
#                          and DIR/hello-mpich (MPICH)
#   expect_ranks           what hello-* prints with one rank per cluster node,
#                          sorted

JOBSSH_RUNDIR=$JOBSSH_CLUSTER_DIR/run

write_script() {
    local dir user=${2:-jstest1}
    dir=$(user_workdir "$user") &&
        cat >"$dir/$1" &&
        chmod 0755 "$dir/$1" &&
        chown "$user" "$dir/$1"
}

# job_gone JOB: Slurm no longer lists JOB.
job_gone() {
    [ -z "$(squeue -h -j "$1" 2>/dev/null)" ]
}

# pid_on NODE PATTERN: the pid of the test users' process matching PATTERN
# (pgrep -f) that runs on NODE (in NODE's UTS namespace).
pid_on() {
    local node=$1 pattern=$2 want pid
    want=$(stat -L -c %i "$JOBSSH_CLUSTER_DIR/ns/$node.uts") || return 1
    for pid in $(pgrep -u jstest1,jstest2 -f "$pattern"); do
        if [ "$(stat -L -c %i "/proc/$pid/ns/uts" 2>/dev/null)" = "$want" ]; then
            echo "$pid"
            return 0
        fi
    done
    return 1
}

job_of() {
    sed -n 's/^job=//p' "$1" | head -n 1
}

node_net() {
    echo "$JOBSSH_CLUSTER_DIR/ns/$1.net"
}

no_leftovers() {
    local job=$1 n left=0
    # Zombies are dead already (the machine's init reaps orphans late).
    if ps -u jstest1,jstest2 -o pid=,stat=,args= | awk '$2 !~ /^Z/' | grep . >&2; then
        echo "leftover: processes of the test users" >&2
        left=1
    fi
    if pgrep -a -f jobssh-sshd >&2; then
        echo "leftover: a jobssh-sshd supervisor" >&2
        left=1
    fi
    if [ -n "$job" ] && ls -d "$JOBSSH_RUNDIR"/*/"$job".* 2>/dev/null >&2; then
        echo "leftover: step files of job $job" >&2
        left=1
    fi
    if [ -n "$job" ] && ls -d "$JOBSSH_CLUSTER_KEYS"/*/"$job" "$JOBSSH_CLUSTER_KEYS"/*/."$job".* \
        2>/dev/null >&2; then
        echo "leftover: key directory of job $job" >&2
        left=1
    fi
    for n in $JOBSSH_CLUSTER_NODES; do
        if nsenter --net="$(node_net "$n")" ss -Htln 'sport >= :2222 and sport <= :3221' |
            grep . >&2; then
            echo "leftover: a listener on $n" >&2
            left=1
        fi
    done
    return $left
}

wait_no_leftovers() {
    wait_for 20 no_leftovers "$1" 2>/dev/null || no_leftovers "$1"
}

plugstack_line() {
    local conf=$JOBSSH_CLUSTER_DIR/etc/plugstack.conf
    [ -f "$conf.orig" ] || cp -p "$conf" "$conf.orig" || return 1
    printf '%s\n' "$1" >"$conf"
}

plugstack_args() {
    plugstack_line "required $JOBSSH_CLUSTER_INSTALL/lib/jobssh.so basedir=$JOBSSH_CLUSTER_KEYS \
libexec_dir=$JOBSSH_CLUSTER_INSTALL/libexec rundir=$JOBSSH_RUNDIR $*"
}

plugstack_restore() {
    local conf=$JOBSSH_CLUSTER_DIR/etc/plugstack.conf
    if [ -f "$conf.orig" ]; then
        mv -f "$conf.orig" "$conf"
    fi
}

build_mpi_hello() {
    mpicc.openmpi -o "$1/hello-ompi" "$SHARNESS_TEST_SRCDIR/helpers/mpi-hello.c" &&
        mpicc.mpich -o "$1/hello-mpich" "$SHARNESS_TEST_SRCDIR/helpers/mpi-hello.c" &&
        chmod 0755 "$1/hello-ompi" "$1/hello-mpich"
}

expect_ranks() {
    local i=0 n nn=$JOBSSH_CLUSTER_NNODES
    for n in $JOBSSH_CLUSTER_NODES; do
        echo "rank $i of $nn on $n sum $((nn * (nn - 1) / 2))"
        i=$((i + 1))
    done | sort
}
