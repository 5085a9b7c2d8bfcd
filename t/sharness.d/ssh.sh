# Helpers for the --ssh tests (sourced by sharness after jobssh.sh).
#
#   write_script NAME [USER] write stdin as an executable script NAME in USER's
#                          (default jstest1) work dir, the jobs' working directory
#   job_gone JOB           Slurm no longer lists JOB
#   pid_on NODE PATTERN    pid of a test user's process on NODE (pgrep -f)
#   job_of FILE            the job id printed as "job=ID" in FILE
#   supervisor_on NODE TAG pid of the jobssh-sshd supervisor of TAG on NODE
#   daemon_on NODE TAG     pid of the listening Dropbear of TAG on NODE (not of
#                          a session)
#   leftovers [JOB...]     one line per thing left: a process of the test users,
#                          a supervisor or a listener in the port range on any
#                          node; and of each JOB a node-local step directory,
#                          pid file or request, a key directory
#   no_leftovers JOB       nothing of JOB is left (leftovers prints nothing)
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

# ns_pid_on NODE PID...: the first PID that runs in NODE's UTS namespace.
ns_pid_on() {
    local node=$1 want pid
    shift
    want=$(stat -L -c %i "$JOBSSH_CLUSTER_DIR/ns/$node.uts") || return 1
    for pid; do
        if [ "$(stat -L -c %i "/proc/$pid/ns/uts" 2>/dev/null)" = "$want" ]; then
            echo "$pid"
            return 0
        fi
    done
    return 1
}

# pid_on NODE PATTERN: the pid of the test users' process matching PATTERN
# (pgrep -f) that runs on NODE (in NODE's UTS namespace).
pid_on() {
    # shellcheck disable=SC2046
    ns_pid_on "$1" $(pgrep -u jstest1,jstest2 -f "$2")
}

job_of() {
    sed -n 's/^job=//p' "$1" | head -n 1
}

node_net() {
    echo "$JOBSSH_CLUSTER_DIR/ns/$1.net"
}

supervisor_on() {
    # shellcheck disable=SC2046
    ns_pid_on "$1" $(pgrep -f "^jobssh-sshd --tag $2 ")
}

# The listener's command line ends with its -U argument; a session's
# (a re-executed Dropbear) has "-2 FD" after it.
daemon_on() {
    # shellcheck disable=SC2046
    ns_pid_on "$1" $(pgrep -u jstest1,jstest2 -f "dropbear -F .* -C jobssh-$2 -U [^ ]*\$")
}

leftovers() {
    local job n f
    # Zombies are dead already (the machine's init reaps orphans late).
    ps -u jstest1,jstest2 -o pid=,stat=,args= | awk '$2 !~ /^Z/ { print "process:", $0 }'
    # Only the cluster's: a supervisor runs in its node's UTS namespace.
    for n in $JOBSSH_CLUSTER_NODES; do
        for f in $(pgrep -f jobssh-sshd); do
            ns_pid_on "$n" "$f" >/dev/null && echo "supervisor on $n: $(ps -o args= -p "$f")"
        done
    done
    for job; do
        for f in "$JOBSSH_RUNDIR"/*/"$job".*; do
            [ -e "$f" ] && echo "node-local file: $f"
        done
        for f in "$JOBSSH_CLUSTER_KEYS"/*/"$job" "$JOBSSH_CLUSTER_KEYS"/*/."$job".*; do
            [ -e "$f" ] && echo "key directory: $f"
        done
    done
    for n in $JOBSSH_CLUSTER_NODES; do
        nsenter --net="$(node_net "$n")" ss -Htln 'sport >= :2222 and sport <= :3221' |
            sed "s/^/listener on $n: /"
    done
}

no_leftovers() {
    local left
    # shellcheck disable=SC2086
    left=$(leftovers $1)
    [ -z "$left" ] && return 0
    printf '%s\n' "$left" | sed 's/^/leftover: /' >&2
    return 1
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
