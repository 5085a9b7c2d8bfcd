# shellcheck shell=bash disable=SC2034,SC2119,SC2120,SC2154
# jobssh integration-test helpers. Sharness sources every t/sharness.d/*.sh
# before the first test; the test scripts run under bash.
#
# Prerequisites set here (use them as the first argument of test_expect_*):
#   ROOT      running as root
#   SLURM     Slurm daemons and clients, munge installed
#   USERS     the test users jstest1 and jstest2 exist
#   CLUSTER   the multi-node test cluster is up (after test_cluster_up)
#   PLUGIN    the jobssh SPANK plugin is built (the cluster then loads it)
#   DROPBEAR  the static Dropbear programs are built
#   MPI       OpenMPI (mpirun.openmpi)
#   MPICH     MPICH (mpiexec.mpich)
#   PDSH      pdsh
#
# A test whose prerequisite from this list is missing is skipped with the
# reason; with CI=true it FAILS instead: CI must run every test.
#
# Helpers:
#   test_cluster_up          bring the test cluster up (idempotent) and export
#                            its environment (SLURM_CONF, JOBSSH_CLUSTER_*);
#                            also creates the test users
#   jobssh_setup_users       (root) create/repair the test users, set USERS
#   jobssh_require PREREQ..  skip the whole file (CI: fail) unless all are set
#   run_as USER CMD...       run CMD as USER with a clean environment plus
#                            SLURM_CONF, in user_workdir USER
#   user_workdir USER        a per-test-file directory owned by USER
#   wait_for SECONDS CMD...  retry CMD every 0.1 s until it succeeds (bounded)
#   cluster_slurmd_log NODE  path of NODE's slurmd log
#   cluster_slurmd_log_since_mark NODE
#                            what NODE's slurmd logged since test_cluster_up
#                            (or the last cluster_log_mark)
#
# Environment read:
#   JOBSSH_BUILDDIR        top build dir (default: the parent of the test dir)
#   JOBSSH_CLUSTER_DIR     cluster state dir (default /run/jobssh-cluster)
#   JOBSSH_CLUSTER_KEEP=1  leave the cluster up at the end of the file (make
#                          check sets it when t9999-cluster-down.t is part of
#                          the run); otherwise a cluster this file brought up
#                          is taken down again when the file ends
#   JOBSSH_PLUGSTACK_ARGS  plugin arguments after basedir= (default
#                          libexec_dir=@INSTALL@/libexec, see
#                          cluster/jobssh-cluster); set before test_cluster_up
#   JOBSSH_RUN_TIMEOUT     seconds after which run_as kills its command (120)
#   JOBSSH_DROPBEAR_DIR    where the Dropbear programs are (default
#                          $JOBSSH_BUILDDIR/dropbear, see cluster/jobssh-cluster)
#   JOBSSH_TEST_VERBOSE=1  like --verbose, with the output on stderr (the log)
#   CI=true                turn skips of the prerequisites above into failures

if [ -z "${BASH_VERSION:-}" ]; then
    echo >&5 "Bail out! the jobssh tests need bash (run them as ./tNNNN-name.t)"
    exit 1
fi

# With --verbose, sharness writes the commands' output to stdout, which is
# also the TAP stream; keep TAP clean by sending it to stderr instead.
if [ "${JOBSSH_TEST_VERBOSE:-0}" = 1 ]; then
    verbose=t
fi
if [ "${verbose:-}" = t ]; then
    exec 3>&2 4>&2
fi

JOBSSH_TEST_SRCDIR=$SHARNESS_TEST_SRCDIR
: "${JOBSSH_BUILDDIR:=$(cd "$SHARNESS_TEST_DIRECTORY/.." && pwd -P)}"
: "${JOBSSH_CLUSTER_DIR:=/run/jobssh-cluster}"
JOBSSH_CLUSTER_CMD=$JOBSSH_TEST_SRCDIR/cluster/jobssh-cluster
JOBSSH_SETUP_USERS=$JOBSSH_TEST_SRCDIR/cluster/setup-users.sh
export JOBSSH_BUILDDIR JOBSSH_CLUSTER_DIR

# Prerequisites that CI must never skip.
JOBSSH_CI_PREREQS=" ROOT SLURM USERS CLUSTER PLUGIN DROPBEAR MPI MPICH PDSH "

declare -A JOBSSH_WHY=()

# jobssh_prereq NAME REASON CMD...: set NAME when CMD succeeds, else remember
# why it is missing.
jobssh_prereq() {
    local name=$1 why=$2
    shift 2
    if "$@" >/dev/null 2>&1; then
        test_set_prereq "$name"
    else
        JOBSSH_WHY[$name]=$why
    fi
}

jobssh_have_cmds() {
    local c
    for c; do
        command -v "$c" >/dev/null 2>&1 || return 1
    done
}

jobssh_have_users() {
    getent passwd jstest1 >/dev/null && getent passwd jstest2 >/dev/null
}

jobssh_prereq ROOT "needs root" test "$(id -u)" = 0
jobssh_prereq SLURM "Slurm or munge is not installed (slurm-wlm, munge)" \
    jobssh_have_cmds srun sbatch salloc sinfo scontrol slurmctld slurmd munged munge
jobssh_prereq USERS "test users jstest1/jstest2 missing (run t/cluster/setup-users.sh as root)" \
    jobssh_have_users
jobssh_prereq PLUGIN "the SPANK plugin is not built ($JOBSSH_BUILDDIR/spank/.libs/jobssh.so)" \
    test -f "$JOBSSH_BUILDDIR/spank/.libs/jobssh.so"
jobssh_prereq DROPBEAR "Dropbear is not built (${JOBSSH_DROPBEAR_DIR:-$JOBSSH_BUILDDIR/dropbear}/dropbear)" \
    test -x "${JOBSSH_DROPBEAR_DIR:-$JOBSSH_BUILDDIR/dropbear}/dropbear"
jobssh_prereq MPI "OpenMPI is not installed (openmpi-bin)" jobssh_have_cmds mpirun.openmpi
jobssh_prereq MPICH "MPICH is not installed (mpich)" jobssh_have_cmds mpiexec.mpich
jobssh_prereq PDSH "pdsh is not installed" jobssh_have_cmds pdsh
JOBSSH_WHY[CLUSTER]="the test cluster is not up (the test file did not call test_cluster_up)"

# jobssh_missing_ PREREQS: the positive prerequisites of a comma-separated
# list that are not set.
jobssh_missing_() {
    local p ps out=
    IFS=, read -ra ps <<<"$1"
    for p in "${ps[@]}"; do
        case $p in
            '!'*) continue ;;
        esac
        test_have_prereq "$p" || out="$out $p"
    done
    echo "${out# }"
}

# jobssh_reasons_ PREREQ...: "NAME: reason; ..."
jobssh_reasons_() {
    local p out=
    for p; do
        out="$out; $p: ${JOBSSH_WHY[$p]:-prerequisite not set}"
    done
    echo "${out#; }"
}

jobssh_ci_mandatory_() {
    local p
    [ "${CI:-}" = true ] || return 1
    for p; do
        case $JOBSSH_CI_PREREQS in
            *" $p "*) return 0 ;;
        esac
    done
    return 1
}

# Wrap test_expect_success/failure: print why a test is skipped, and under
# CI=true turn the skip into a failure.
eval "jobssh_sharness_$(declare -f test_expect_success)"
eval "jobssh_sharness_$(declare -f test_expect_failure)"

jobssh_expect_() {
    local kind=$1 missing why
    shift
    if [ $# = 3 ]; then
        missing=$(jobssh_missing_ "$1")
        if [ -n "$missing" ]; then
            # shellcheck disable=SC2086
            why=$(jobssh_reasons_ $missing)
            # shellcheck disable=SC2086
            if jobssh_ci_mandatory_ $missing; then
                jobssh_sharness_test_expect_success "$2" \
                    "echo >&2 'CI=true: a required prerequisite is missing: $why'; false"
                echo "# CI=true: cannot skip '$2': $why"
                return 0
            fi
            echo "# skip '$2': $why"
        fi
    fi
    "jobssh_sharness_test_expect_$kind" "$@"
}

test_expect_success() { jobssh_expect_ success "$@"; }
test_expect_failure() { jobssh_expect_ failure "$@"; }

# jobssh_require PREREQ...: skip the rest of the file unless all are set
# (under CI=true, fail instead). Call before the first test.
jobssh_require() {
    local missing why p
    missing=
    for p; do
        test_have_prereq "$p" || missing="$missing $p"
    done
    [ -z "$missing" ] && return 0
    # shellcheck disable=SC2086
    why=$(jobssh_reasons_ $missing)
    # shellcheck disable=SC2086
    if jobssh_ci_mandatory_ $missing; then
        jobssh_sharness_test_expect_success "prerequisites: $*" \
            "echo >&2 'CI=true: a required prerequisite is missing: $why'; false"
        test_done
    fi
    skip_all="missing $why"
    test_done
}

# --- the test cluster ----------------------------------------------------------

JOBSSH_CLUSTER_STARTED=0
JOBSSH_CLUSTER_TORN_DOWN=0

jobssh_cluster_teardown_() {
    [ "$JOBSSH_CLUSTER_STARTED" = 1 ] || return 0
    [ "$JOBSSH_CLUSTER_TORN_DOWN" = 0 ] || return 0
    JOBSSH_CLUSTER_TORN_DOWN=1
    [ "${JOBSSH_CLUSTER_KEEP:-0}" = 1 ] && return 0
    "$JOBSSH_CLUSTER_CMD" down 2>&1 | sed 's/^/# /'
}

# Take the cluster down at the end of the file (when this file started it and
# JOBSSH_CLUSTER_KEEP is not 1), whether the tests passed or not.
eval "jobssh_sharness_$(declare -f test_done)"
test_done() {
    jobssh_sanitizer_check_
    jobssh_cluster_teardown_
    if [ "$test_failure" = 0 ] && [ -z "${debug:-}" ]; then
        jobssh_remove_workdirs_
    fi
    jobssh_sharness_test_done "$@"
}
trap 'jobssh_rc=$?; jobssh_cluster_teardown_; (exit $jobssh_rc); die' EXIT

# jobssh_setup_users: (root) create or repair the test users, then set USERS.
jobssh_setup_users() {
    local out
    test_have_prereq ROOT || return 0
    if ! out=$("$JOBSSH_SETUP_USERS" 2>&1); then
        JOBSSH_WHY[USERS]="setup-users.sh failed: $out"
    fi
    jobssh_prereq USERS "${JOBSSH_WHY[USERS]:-test users missing}" jobssh_have_users
}

# jobssh_lock_cluster: wait (bounded) until no other test file uses the
# cluster; the lock is held until this file exits.
jobssh_lock_cluster() {
    [ -n "${JOBSSH_TEST_LOCK_FD:-}" ] && return 0
    exec {JOBSSH_TEST_LOCK_FD}>"$JOBSSH_CLUSTER_DIR.tests.lock" || return 1
    flock -w 1800 "$JOBSSH_TEST_LOCK_FD" || return 1
    # jobssh-cluster up/down wait for this lock unless told we hold it.
    export JOBSSH_TEST_LOCK_HELD=1
}

# test_cluster_up: start the test cluster (a no-op when it is up with the same
# configuration), export its environment, cancel any job left on it, and set
# CLUSTER. The cluster is shared by all test files; a lock serializes the
# files that use it, so a parallel 'make check' cannot restart it under
# another file's jobs.
test_cluster_up() {
    local p out rc
    for p in ROOT SLURM; do
        if ! test_have_prereq "$p"; then
            JOBSSH_WHY[CLUSTER]="cannot start the cluster: ${JOBSSH_WHY[$p]}"
            return 0
        fi
    done
    if ! jobssh_lock_cluster; then
        JOBSSH_WHY[CLUSTER]="timed out waiting for $JOBSSH_CLUSTER_DIR.tests.lock"
        return 0
    fi
    jobssh_setup_users

    if test_have_prereq PLUGIN; then
        unset JOBSSH_NO_PLUGIN
    else
        export JOBSSH_NO_PLUGIN=1
    fi
    [ -f "$JOBSSH_CLUSTER_DIR/.jobssh-cluster" ] || JOBSSH_CLUSTER_STARTED=1
    out=$("$JOBSSH_CLUSTER_CMD" up 2>&1)
    rc=$?
    printf '%s\n' "$out" | sed 's/^/# /'
    if [ $rc != 0 ]; then
        JOBSSH_CLUSTER_STARTED=1     # half-started: take it down at the end
        JOBSSH_WHY[CLUSTER]="jobssh-cluster up failed: $(printf '%s\n' "$out" | tail -n 1)"
        return 0
    fi
    eval "$("$JOBSSH_CLUSTER_CMD" env)"
    # Start from an empty queue: jobs left by an interrupted file would hold
    # CPUs. The lock makes the cluster ours for the whole file.
    if [ -n "$(squeue -h -o %i 2>/dev/null)" ]; then
        echo "# cancelling jobs left on the cluster"
        squeue -h -o %i | xargs -r scancel
        if ! wait_for 30 jobssh_queue_empty_; then
            JOBSSH_WHY[CLUSTER]="jobs left on the cluster would not go away: $(squeue -h 2>&1)"
            return 0
        fi
    fi
    cluster_log_mark
    if [ -n "${JOBSSH_CLUSTER_ASAN_PRELOAD:-}" ] && ! jobssh_sanitizer_start_; then
        return 0
    fi
    test_set_prereq CLUSTER
}

# --- a sanitizer build (cluster/jobssh-cluster, JOBSSH_CLUSTER_ASAN) -----------
#
# The plugin and jobssh-sshd are built with ASan and UBSan: run_as preloads
# the ASan runtime into what the test users run (srun, sbatch and salloc load
# the plugin; the jobs inherit it, so that an srun in a batch script does
# too), and every file ends with a check of the reports written meanwhile.

JOBSSH_SANITIZER_MARK=

jobssh_sanitizer_start_() {
    local dir=$JOBSSH_CLUSTER_ASAN_LOG_DIR
    if ! run_as jstest1 test -w "$dir" -a -x "$dir"; then
        JOBSSH_WHY[CLUSTER]="the sanitizer reports directory $dir is not writable by the test users"
        return 1
    fi
    JOBSSH_SANITIZER_MARK=$SHARNESS_TRASH_DIRECTORY/.sanitizer-mark
    touch "$JOBSSH_SANITIZER_MARK"
}

jobssh_sanitizer_check_() {
    [ -n "$JOBSSH_SANITIZER_MARK" ] || return 0
    # shellcheck disable=SC2016
    test_expect_success 'no sanitizer report about jobssh code' '
        "$JOBSSH_TEST_SRCDIR/cluster/sanitizer-reports" --since "$JOBSSH_SANITIZER_MARK" \
            "$JOBSSH_CLUSTER_ASAN_LOG_DIR" >&2
    '
    JOBSSH_SANITIZER_MARK=
}

jobssh_queue_empty_() {
    local q
    q=$(squeue -h -o %i 2>/dev/null) && [ -z "$q" ]
}

# cluster_slurmd_log NODE: path of NODE's slurmd log (the cluster outlives a
# test file, so the log also holds what earlier files did).
cluster_slurmd_log() {
    echo "$JOBSSH_CLUSTER_DIR/$1/slurmd.log"
}

declare -A JOBSSH_LOG_MARK=()

# cluster_log_mark: remember how far every node's slurmd log goes now
# (test_cluster_up does it once).
cluster_log_mark() {
    local n
    for n in ${JOBSSH_CLUSTER_NODES:-}; do
        JOBSSH_LOG_MARK[$n]=$(stat -c %s "$(cluster_slurmd_log "$n")" 2>/dev/null || echo 0)
    done
}

# cluster_slurmd_log_since_mark NODE: what NODE's slurmd logged since the
# last cluster_log_mark.
cluster_slurmd_log_since_mark() {
    tail -c +$((${JOBSSH_LOG_MARK[$1]:-0} + 1)) "$(cluster_slurmd_log "$1")"
}

# --- running things ------------------------------------------------------------

# user_workdir USER: a directory owned by USER, one per run of a test file
# (<home>/jobssh-tests/<test>.<pid>: two runs of a file at once do not
# share it), outside the trash directory, which the test user cannot write.
# Removed when the file passes, kept for inspection when it fails; the
# directories of runs that are gone are removed on first use.
user_workdir() {
    local user=$1 home dir base d
    home=$(getent passwd "$user" | cut -d: -f6) || {
        echo "user_workdir: no user $user" >&2
        return 1
    }
    base=${SHARNESS_TEST_FILE##*/}
    base=$home/jobssh-tests/${base%.t}
    dir=$base.$$
    if [ ! -d "$dir" ]; then
        for d in "$base".*; do
            [ -d "$d" ] || continue
            [ -d "/proc/${d##*.}" ] || rm -rf "$d"
        done
        install -d -o "$user" -g "$(id -gn "$user")" -m 0755 "$home/jobssh-tests" "$dir" ||
            return 1
    fi
    echo "$dir"
}

jobssh_remove_workdirs_() {
    local user home base
    for user in jstest1 jstest2 root; do
        home=$(getent passwd "$user" | cut -d: -f6) || continue
        base=${SHARNESS_TEST_FILE##*/}
        rm -rf "$home/jobssh-tests/${base%.t}.$$"
    done
}

# run_as USER CMD...: CMD as USER (uid, gid, supplementary groups), with an
# environment of only HOME USER LOGNAME SHELL PATH LANG and SLURM_CONF, in
# user_workdir USER, killed after JOBSSH_RUN_TIMEOUT seconds (default 120;
# exit status 124 then; --foreground keeps CMD in our process group, so that
# Ctrl-C reaches it). Put extra variables in front: run_as u env A=b cmd.
# On a cluster running a sanitizer build, also ASAN_OPTIONS and UBSAN_OPTIONS,
# and first in PATH the srun, sbatch and salloc that preload the runtime
# (see jobssh-cluster env). JOBSSH_RUN_PREFIX: words put in front of setpriv
# (run_in_node: nsenter into a node's namespaces).
run_as() {
    local user=$1 home dir asan=() path=/usr/local/bin:/usr/bin:/bin
    shift
    if [ -n "${JOBSSH_CLUSTER_ASAN_PRELOAD:-}" ]; then
        asan=("ASAN_OPTIONS=$JOBSSH_CLUSTER_ASAN_OPTIONS" "UBSAN_OPTIONS=$JOBSSH_CLUSTER_UBSAN_OPTIONS")
        path=$JOBSSH_CLUSTER_ASAN_BIN:$path
    fi
    home=$(getent passwd "$user" | cut -d: -f6) || {
        echo "run_as: no user $user" >&2
        return 1
    }
    dir=$(user_workdir "$user") || return 1
    # shellcheck disable=SC2086 # JOBSSH_RUN_PREFIX: words
    (
        cd "$dir" &&
            exec timeout --foreground -k 5 "${JOBSSH_RUN_TIMEOUT:-120}" \
                ${JOBSSH_RUN_PREFIX:-} setpriv --reuid="$user" --regid="$user" --init-groups \
                env -i HOME="$home" USER="$user" LOGNAME="$user" SHELL=/bin/bash \
                PATH="$path" LANG=C \
                ${SLURM_CONF:+SLURM_CONF="$SLURM_CONF"} "${asan[@]}" "$@"
    )
}

jobssh_now_ms_() {
    local t=${EPOCHREALTIME/[.,]/}
    echo $((t / 1000))
}

# wait_for SECONDS CMD...: run CMD every 0.1 s until it succeeds; fail (with a
# message) when SECONDS have passed.
wait_for() {
    local limit=$1 end
    shift
    end=$(($(jobssh_now_ms_) + limit * 1000))
    while :; do
        "$@" && return 0
        if [ "$(jobssh_now_ms_)" -ge "$end" ]; then
            echo "wait_for: '$*' did not succeed within ${limit}s" >&2
            return 1
        fi
        sleep 0.1
    done
}

# all_nodes_idle: every node of the cluster is idle.
all_nodes_idle() {
    local states
    states=$(sinfo -h -N -o '%T' 2>/dev/null) || return 1
    [ -n "$states" ] && [ -z "$(printf '%s\n' "$states" | grep -vx idle)" ]
}
