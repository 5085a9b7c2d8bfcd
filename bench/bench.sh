#!/bin/bash
# jobssh benchmark: what --ssh costs at step launch and at batch job start,
# how soon the nodes accept ssh, how long one 'ssh nodeX true' takes inside
# a job, and jobssh's Dropbear against a stock OpenSSH sshd on loopback.
# Prints one report; every figure in it comes from the same run.
#
#   sudo bench/bench.sh
#
# Root only. Uses the test cluster (t/cluster/jobssh-cluster): brings it up if
# it is down and takes it down again at the end; a cluster that was up stays
# up. Holds the cluster lock (<state>.tests.lock) for the whole run, like a
# test file. Jobs and clients run as the test user jstest1. Installs
# openssh-server when /usr/sbin/sshd is missing (no system sshd is left
# running); starts its own daemons on 127.0.0.1 only and stops them.
#
# Environment:
#   BENCH_N            runs of each launch/readiness measurement (default 11, >= 10)
#   BENCH_SSH_N        connections per client/server for the ssh latencies (default 21, >= 20)
#   BENCH_TIMEOUT      seconds after which one srun/ssh is killed (default 120)
#   JOBSSH_CLUSTER_DIR cluster state dir (default /run/jobssh-cluster)
#   JOBSSH_BUILDDIR    build tree (default: the tree holding this script)
# shellcheck disable=SC2015,SC2317  # A && B || die; functions run from traps
set -uo pipefail
shopt -s nullglob

PROG=bench.sh
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
TOP=$(cd "$HERE/.." && pwd -P)
BUILDDIR=${JOBSSH_BUILDDIR:-$TOP}
CLUSTER_CMD=$TOP/t/cluster/jobssh-cluster
SETUP_USERS=$TOP/t/cluster/setup-users.sh
STATE=${JOBSSH_CLUSTER_DIR:-/run/jobssh-cluster}
N=${BENCH_N:-11}
SSH_N=${BENCH_SSH_N:-21}
T=${BENCH_TIMEOUT:-120}
BUSER=jstest1
DROPBEAR=$BUILDDIR/dropbear/dropbear
DROPBEARKEY=$BUILDDIR/dropbear/dropbearkey

msg() { echo "$PROG: $*" >&2; }
die() { msg "error: $*"; exit 1; }

# --- checks --------------------------------------------------------------------

[ "$(id -u)" -eq 0 ] || die "must run as root (sudo bench/bench.sh)"
case "$N$SSH_N$T" in *[!0-9]*) die "BENCH_N, BENCH_SSH_N and BENCH_TIMEOUT must be numbers" ;; esac
[ "$N" -ge 10 ] && [ "$N" -le 1000 ] || die "BENCH_N must be 10..1000"
[ "$SSH_N" -ge 20 ] && [ "$SSH_N" -le 1000 ] || die "BENCH_SSH_N must be 20..1000"
[ "$T" -ge 10 ] && [ "$T" -le 3600 ] || die "BENCH_TIMEOUT must be 10..3600"
[ "${JOBSSH_NO_PLUGIN:-0}" != 1 ] || die "JOBSSH_NO_PLUGIN=1: the benchmark needs the plugin"
for c in srun salloc sinfo squeue scancel flock setpriv timeout ssh ssh-keygen ss awk; do
    command -v "$c" >/dev/null 2>&1 || die "$c is not installed"
done
[ -f "$BUILDDIR/spank/.libs/jobssh.so" ] || die "the plugin is not built ($BUILDDIR/spank/.libs/jobssh.so)"
[ -x "$DROPBEAR" ] && [ -x "$DROPBEARKEY" ] || die "Dropbear is not built ($DROPBEAR)"
unset JOBSSH_NO_PLUGIN

# --- clean-up --------------------------------------------------------------------

CLUSTER_STARTED=0
UDIR=                 # the test user's scratch directory
LB=                   # root-owned directory of the loopback daemons
POLICY_CREATED=0
DAEMON_PIDS=()

stop_daemons() {
    local pid i
    [ ${#DAEMON_PIDS[@]} -gt 0 ] || return 0
    kill -TERM "${DAEMON_PIDS[@]}" 2>/dev/null
    for ((i = 0; i < 50; i++)); do
        kill -0 "${DAEMON_PIDS[@]}" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "${DAEMON_PIDS[@]}" 2>/dev/null
    for pid in "${DAEMON_PIDS[@]}"; do wait "$pid" 2>/dev/null; done
    DAEMON_PIDS=()
}

cleanup() {
    stop_daemons
    if [ -n "$LB" ] && [ -d "$LB" ]; then
        # sessions of our daemons name files under $LB on their command line
        local i
        for ((i = 0; i < 50; i++)); do
            pgrep -f -- "$LB/" >/dev/null || break
            sleep 0.1
        done
        pgrep -af -- "$LB/" >&2 && msg "warning: processes of the loopback daemons are left"
        rm -rf --one-file-system "$LB"
    fi
    [ "$POLICY_CREATED" = 1 ] && rm -f /usr/sbin/policy-rc.d
    [ -n "$UDIR" ] && rm -rf --one-file-system "$UDIR"
    if [ "$CLUSTER_STARTED" = 1 ]; then
        CLUSTER_STARTED=0
        msg "taking the test cluster down again"
        "$CLUSTER_CMD" down >/dev/null 2>&1 || msg "warning: jobssh-cluster down failed"
    fi
}
trap 'cleanup' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- helpers ---------------------------------------------------------------------

# as_user SECONDS CMD...: CMD as the test user with a clean environment (plus
# SLURM_CONF), in its scratch directory, stdin from /dev/null, killed after
# SECONDS.
as_user() {
    local t=$1
    shift
    (
        exec {LOCK_FD}>&- # nothing we start keeps the cluster lock
        cd "$UDIR" &&
            exec timeout --foreground -k 5 "$t" \
                setpriv --reuid="$BUSER" --regid="$BUSER" --init-groups \
                env -i HOME="$BHOME" USER="$BUSER" LOGNAME="$BUSER" SHELL=/bin/bash \
                PATH=/usr/local/bin:/usr/bin:/bin LANG=C SLURM_CONF="$SLURM_CONF" "$@"
    ) </dev/null
}

# user_file NAME: write stdin to an executable file of the test user in UDIR.
user_file() {
    cat >"$UDIR/$1" && chmod 0755 "$UDIR/$1" && chown "$BUSER:" "$UDIR/$1"
}

# stats DIVISOR: nanosecond samples on stdin -> "median p90 count" divided by
# DIVISOR (p90: nearest rank).
stats() {
    sort -n | awk -v d="$1" '{ v[NR] = $1 }
        END {
            if (NR == 0) { print "nan nan 0"; exit }
            m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
            k = int(0.9 * NR); if (k < 0.9 * NR) k++; if (k < 1) k = 1
            printf "%.3f %.3f %d\n", m / d, v[k] / d, NR
        }'
}

# samples FILE TAG: the times (ns) of the successful TAG lines ("TAG ns rc").
samples() { awk -v t="$2" '$1 == t && $3 == 0 { print $2 }' "$1"; }
# failures FILE TAG: how many TAG lines (warm-ups included) failed.
failures() { awk -v t="$2" '($1 == t || $1 == "warmup-" t) && $3 != 0 { n++ } END { print n + 0 }' "$1"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "nan" }'; }

FAILED=0
# show_errors FILE TAG...: print the stderr of the failed runs, count them.
show_errors() {
    local file=$1 tag n
    shift
    for tag; do
        n=$(failures "$file" "$tag")
        [ "$n" = 0 ] && continue
        FAILED=$((FAILED + n))
        msg "$n run(s) of '$tag' failed:"
        awk -v t="$tag" '($1 == t || $1 == "warmup-" t) && $3 != 0 { print $4 }' "$file" |
            while read -r f; do
                [ -n "$f" ] && [ -s "$UDIR/$f" ] && sed "s/^/    $f: /" "$UDIR/$f" >&2
            done
    done
}

fail_note() {   # fail_note FILE TAG...: " (K failed)" when some runs failed
    local n=0 tag
    for tag in "${@:2}"; do n=$((n + $(failures "$1" "$tag"))); done
    [ "$n" = 0 ] || printf ' (%d failed)' "$n"
}

# --- the cluster -----------------------------------------------------------------

"$SETUP_USERS" >/dev/null || die "setup-users.sh failed"
BHOME=$(getent passwd "$BUSER" | cut -d: -f6)

exec {LOCK_FD}>"$STATE.tests.lock" || die "cannot open $STATE.tests.lock"
if ! flock -n "$LOCK_FD"; then
    msg "waiting for the test run that uses the cluster ($STATE.tests.lock)"
    flock -w 1800 "$LOCK_FD" || die "timed out waiting for $STATE.tests.lock"
fi
export JOBSSH_TEST_LOCK_HELD=1 JOBSSH_CLUSTER_DIR=$STATE JOBSSH_BUILDDIR=$BUILDDIR

[ -f "$STATE/.jobssh-cluster" ] || CLUSTER_STARTED=1
if ! out=$("$CLUSTER_CMD" up 2>&1); then
    CLUSTER_STARTED=1
    printf '%s\n' "$out" >&2
    die "jobssh-cluster up failed"
fi
eval "$("$CLUSTER_CMD" env)"
NODES=$JOBSSH_CLUSTER_NODES
NN=$JOBSSH_CLUSTER_NNODES
[ "$NN" -ge 2 ] || die "the cluster needs at least 2 nodes"
TARGET=node2

# Start from an empty queue: jobs left by an interrupted run would add load.
if [ -n "$(squeue -h -o %i 2>/dev/null)" ]; then
    for ((i = 0; i < 300; i++)); do
        [ -z "$(squeue -h -o %i 2>/dev/null)" ] && break
        sleep 0.1
    done
    if [ -n "$(squeue -h -o %i 2>/dev/null)" ]; then
        msg "cancelling jobs left on the cluster: $(squeue -h -o %i | tr '\n' ' ')"
        squeue -h -o %i | xargs -r scancel
    fi
fi
for ((i = 0; i < 300; i++)); do
    st=$(sinfo -h -N -o %T 2>/dev/null | sort -u)
    [ "$st" = idle ] && break
    sleep 0.1
done
[ "$st" = idle ] || die "the nodes are not idle: $(sinfo -h -N -o '%N %T' | tr '\n' ' ')"

UDIR=$BHOME/jobssh-bench.$$
install -d -o "$BUSER" -g "$(id -gn "$BUSER")" -m 0755 "$UDIR" || die "cannot create $UDIR"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

# --- the scripts the test user runs ------------------------------------------------

# launch.sh job|step N NN TIMEOUT: one warm-up of each kind, then N pairs of
# 'srun -N<NN> --ntasks-per-node=1 [--ssh] true', interleaved (the order
# alternates). "job": each srun is a new job, and each starts with all nodes
# idle (the wait for that, after the previous job, is reported as
# "idle-TAG"). "step": run by salloc, each srun is a step of its allocation.
# Prints "TAG ns rc errfile".
user_file launch.sh <<'EOF'
#!/bin/bash
mode=$1 n=$2 nn=$3 t=$4
prev=
idle() {
    local t0 t1 i st=
    t0=$(date +%s%N)
    for ((i = 0; i < 1500; i++)); do
        st=$(sinfo -h -N -o %T 2>/dev/null | sort -u)
        [ "$st" = idle ] && break
        sleep 0.02
    done
    t1=$(date +%s%N)
    [ -n "$prev" ] && echo "idle-$prev $((t1 - t0)) $([ "$st" = idle ]; echo $?) -"
}
run() {
    local tag=$1 i=$2 t0 t1 rc err
    shift 2
    [ "$mode" = job ] && idle
    prev=$tag
    [ "$i" = 0 ] && tag=warmup-$tag
    err=err.$mode.$tag.$i
    t0=$(date +%s%N)
    timeout -k 5 "$t" srun -N"$nn" --ntasks-per-node=1 "$@" true </dev/null 2>"$err"
    rc=$?
    t1=$(date +%s%N)
    echo "$tag $((t1 - t0)) $rc $err"
}
for ((i = 0; i <= n; i++)); do
    if ((i % 2)); then
        run without "$i"; run with "$i" --ssh
    else
        run with "$i" --ssh; run without "$i"
    fi
done
[ "$mode" = job ] && idle
exit 0
EOF

# batch.sh N NN TIMEOUT: one warm-up of each kind, then N pairs of batch
# jobs 'sbatch -N<NN> [--ssh]' whose script prints the time it starts,
# interleaved (the order alternates), each with all nodes idle. Prints
# "start-TAG ns rc errfile" (submission to the script's first line) and
# "total-TAG ns rc errfile" (submission until squeue, polled every 20 ms, no
# longer lists the job: its end, epilog included). Not 'sbatch --wait': that
# polls after 2 s, then 8 s more.
user_file batch.sh <<'EOF'
#!/bin/bash
n=$1 nn=$2 t=$3
run() {
    local tag=$1 i=$2 t0 t1 ts rc err out j job
    shift 2
    for ((j = 0; j < 1500; j++)); do
        [ "$(sinfo -h -N -o %T 2>/dev/null | sort -u)" = idle ] && break
        sleep 0.02
    done
    [ "$i" = 0 ] && tag=warmup-$tag
    err=err.batch.$tag.$i out=out.batch.$tag.$i
    rm -f "$out"
    t0=$(date +%s%N)
    job=$(timeout -k 5 "$t" sbatch --parsable -N"$nn" --ntasks-per-node=1 "$@" -o "$out" \
        --wrap 'date +%s%N' </dev/null 2>"$err")
    rc=$?
    for ((j = 0; j < t * 50; j++)); do
        [ -z "$(squeue -h -j "$job" 2>/dev/null)" ] && break
        sleep 0.02
    done
    [ -n "$(squeue -h -j "$job" 2>/dev/null)" ] && rc=124
    t1=$(date +%s%N)
    ts=$(grep -m1 '^[0-9]*$' "$out" 2>/dev/null)
    echo "start-$tag $((${ts:-$t0} - t0)) $([ -n "$ts" ] && echo "$rc" || echo 1) $err"
    echo "total-$tag $((t1 - t0)) $rc $err"
}
for ((i = 0; i <= n; i++)); do
    if ((i % 2)); then
        run without "$i"; run with "$i" --ssh
    else
        run with "$i" --ssh; run without "$i"
    fi
done
exit 0
EOF

# ready.sh NODE...: task 0 of a launcher step. Time from its start until every
# node has accepted 'ssh NODE true' (all started at once).
user_file ready.sh <<'EOF'
#!/bin/bash
t0=$(date +%s%N)
pids=()
for node; do
    ssh "$node" true </dev/null &
    pids+=($!)
done
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=$?; done
t1=$(date +%s%N)
echo "ready $((t1 - t0)) $rc"
EOF

# readiness.sh RUNS NN TIMEOUT NODE...: a warm-up and RUNS launcher steps (new
# jobs, each started with all nodes idle) of ready.sh.
user_file readiness.sh <<'EOF'
#!/bin/bash
runs=$1 nn=$2 t=$3
shift 3
for ((i = 0; i <= runs; i++)); do
    for ((j = 0; j < 1500; j++)); do
        [ "$(sinfo -h -N -o %T 2>/dev/null | sort -u)" = idle ] && break
        sleep 0.02
    done
    err=err.ready.$i
    out=$(timeout -k 5 "$t" srun -N"$nn" --ntasks-per-node=1 --ssh=launcher ./ready.sh "$@" \
          </dev/null 2>"$err")
    rc=$?
    read -r _ ns rc2 <<<"$(grep '^ready ' <<<"$out")"
    [ "$rc" = 0 ] && rc=${rc2:-1}
    tag=ready
    [ "$i" = 0 ] && tag=warmup-ready
    echo "$tag ${ns:-0} $rc $err"
done
EOF

# latency.sh M NODE: task 0 of a launcher step. M sequential 'ssh NODE true'
# (OpenSSH client through the wrapper) and M 'dbclient NODE true', interleaved,
# after one warm-up of each.
user_file latency.sh <<'EOF'
#!/bin/bash
m=$1 node=$2
one() {
    local tag=$1 i=$2 t0 t1 rc err
    shift 2
    [ "$i" = 0 ] && tag=warmup-$tag
    err=err.$tag.$i
    t0=$(date +%s%N)
    "$@" "$node" true </dev/null 2>"$err"
    rc=$?
    t1=$(date +%s%N)
    echo "$tag $((t1 - t0)) $rc $err"
}
for ((i = 0; i <= m; i++)); do
    if ((i % 2)); then
        one openssh "$i" ssh; one dbclient "$i" dbclient
    else
        one dbclient "$i" dbclient; one openssh "$i" ssh
    fi
done
# Resident memory (KiB) of this step's processes, now that no session runs:
# per node a supervisor and its Dropbear; on the other nodes the launcher-mode
# holder, and on this node one Dropbear child per holder connection. All
# nodes share this machine's process table.
ps -eo pid=,ppid=,rss=,comm=,args= | awk -v t="--tag ${JOBSSH_TAG:-none} " '
    { ppid[NR] = $2; rss[NR] = $3; comm[NR] = $4; pid[NR] = $1 }
    $4 == "jobssh-sshd" && index($0, t) { sup[$1] = 1; print "rss-supervisor", $3, 0, "-" }
    $4 == "jobssh-connect" && index($0, "--hold " t) { print "rss-holder", $3, 0, "-" }
    END {
        for (i = 1; i <= NR; i++)
            if (comm[i] == "dropbear" && (ppid[i] in sup)) { db[pid[i]] = 1; print "rss-dropbear", rss[i], 0, "-" }
        for (i = 1; i <= NR; i++)
            if (comm[i] == "dropbear" && (ppid[i] in db)) print "rss-conn", rss[i], 0, "-"
    }'
EOF

# loopback.sh M PORT_SSHD PORT_DROPBEAR KEY KNOWN_HOSTS: M connections with
# the OpenSSH client to each server on 127.0.0.1, plus M to sshd with the key
# exchange Dropbear negotiates (curve25519-sha256) instead of the client's
# default; interleaved (the order rotates), after one warm-up of each and one
# verbose connection (not timed) per server that shows the algorithms.
user_file loopback.sh <<'EOF'
#!/bin/bash
m=$1 psshd=$2 pdb=$3 key=$4 kh=$5
c() {
    ssh -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=yes \
        -o UserKnownHostsFile="$kh" -i "$key" -p "$@" 127.0.0.1 true </dev/null
}
tags=(sshd sshd-c25519 dropbear)
args=("$psshd" "$psshd -o KexAlgorithms=curve25519-sha256" "$pdb")
one() {
    local k=$1 i=$2 tag=${tags[$1]} t0 t1 rc err
    [ "$i" = 0 ] && tag=warmup-$tag
    err=err.$tag.$i
    t0=$(date +%s%N)
    # shellcheck disable=SC2086
    c ${args[$k]} 2>"$err"
    rc=$?
    t1=$(date +%s%N)
    echo "$tag $((t1 - t0)) $rc $err"
}
for p in sshd:$psshd dropbear:$pdb; do
    c "${p#*:}" -v 2>&1 |
        sed -n "s/^debug1: kex: \(algorithm\|host key algorithm\|server->client cipher\): /algo ${p%%:*} \1: /p"
done
for ((i = 0; i <= m; i++)); do
    for ((j = 0; j < 3; j++)); do
        one $(((i + j) % 3)) "$i"
    done
done
EOF

# --- 1. step launch ---------------------------------------------------------------------

SRUN=(srun -N"$NN" --ntasks-per-node=1)
msg "1/4 step launch, new jobs: $N x '${SRUN[*]} true' and '${SRUN[*]} --ssh true', interleaved"
as_user $(((2 * N + 2) * (T + 40))) ./launch.sh job "$N" "$NN" "$T" >"$UDIR/launch.job" 2>&1
show_errors "$UDIR/launch.job" without with

msg "1/4 step launch, steps in one allocation (salloc -N$NN without --ssh)"
as_user $(((2 * N + 2) * (T + 10) + 60)) salloc -N"$NN" --ntasks-per-node=1 \
    ./launch.sh step "$N" "$NN" "$T" >"$UDIR/launch.step" 2>"$UDIR/err.salloc"
rc=$?
if [ $rc != 0 ] || [ ! -s "$UDIR/launch.step" ]; then
    msg "salloc failed (exit $rc):"
    sed 's/^/    /' "$UDIR/err.salloc" >&2
    FAILED=$((FAILED + 1))
fi
show_errors "$UDIR/launch.step" without with

msg "1/4 batch jobs: $N x 'sbatch -N$NN' with and without --ssh, interleaved"
as_user $(((2 * N + 2) * (T + 40))) ./batch.sh "$N" "$NN" "$T" >"$UDIR/batch" 2>&1
show_errors "$UDIR/batch" start-without start-with total-without total-with

# --- 2. readiness ------------------------------------------------------------------------

msg "2/4 readiness: $N launcher steps, task 0 runs 'ssh NODE true' to all $NN nodes at once"
# shellcheck disable=SC2086
as_user $(((N + 1) * (T + 40))) ./readiness.sh "$N" "$NN" "$T" $NODES >"$UDIR/ready" 2>&1
show_errors "$UDIR/ready" ready

# --- 3. ssh latency in a job --------------------------------------------------------------

msg "3/4 latency: $SSH_N x 'ssh $TARGET true' and 'dbclient $TARGET true' from task 0"
as_user $((T + 2 * (SSH_N + 1) * 30)) "${SRUN[@]}" --ssh=launcher ./latency.sh "$SSH_N" "$TARGET" \
    >"$UDIR/latency" 2>"$UDIR/err.latency"
rc=$?
if [ $rc != 0 ]; then
    msg "the latency step failed (exit $rc):"
    sed 's/^/    /' "$UDIR/err.latency" >&2
    FAILED=$((FAILED + 1))
fi
show_errors "$UDIR/latency" openssh dbclient

# --- 4. loopback: jobssh's Dropbear vs OpenSSH sshd -----------------------------------------

# install_sshd: install openssh-server without starting (or leaving) a system sshd.
install_sshd() {
    local before p args log=$UDIR/apt.log
    before=" $(pgrep -x sshd | tr '\n' ' ') "
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d &&
            chmod 0755 /usr/sbin/policy-rc.d && POLICY_CREATED=1
    fi
    msg "installing openssh-server (policy-rc.d keeps its service from starting)"
    DEBIAN_FRONTEND=noninteractive timeout 900 apt-get -q -y -o DPkg::Lock::Timeout=600 \
        install --no-install-recommends openssh-server >"$log" 2>&1 {LOCK_FD}>&- ||
        { tail -n 20 "$log" >&2; die "apt-get install openssh-server failed"; }
    if [ "$POLICY_CREATED" = 1 ]; then
        rm -f /usr/sbin/policy-rc.d
        POLICY_CREATED=0
    fi
    if [ -d /run/systemd/system ]; then
        systemctl disable --now ssh.service ssh.socket >/dev/null 2>&1
    fi
    # A system sshd the installation started anyway (ours always have -f).
    for p in $(pgrep -x sshd); do
        [[ $before == *" $p "* ]] && continue
        args=$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)
        [[ $args == *" -f "* ]] && continue
        msg "stopping the system sshd the installation started (pid $p)"
        kill -TERM "$p" 2>/dev/null
    done
    [ -x /usr/sbin/sshd ] || die "/usr/sbin/sshd missing after the installation"
}

# free_port [EXCLUDE]: a TCP port in 20000-29999 nobody listens on.
free_port() {
    local i p
    for ((i = 0; i < 100; i++)); do
        p=$((20000 + RANDOM % 10000))
        [ "$p" = "${1:-}" ] && continue
        [ -z "$(ss -Htlna "( sport = :$p )" 2>/dev/null)" ] && { echo "$p"; return 0; }
    done
    return 1
}

# wait_banner PORT PID: until 127.0.0.1:PORT sends "SSH-" (at most 10 s).
wait_banner() {
    local i b
    for ((i = 0; i < 100; i++)); do
        kill -0 "$2" 2>/dev/null || return 1
        b=$(timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1 && head -c 4 <&3" 2>/dev/null)
        [ "$b" = SSH- ] && return 0
        sleep 0.1
    done
    return 1
}

# as_daemon CMD...: CMD as the test user in the background (its pid in $!).
as_daemon() {
    (
        exec {LOCK_FD}>&-
        exec setpriv --reuid="$BUSER" --regid="$BUSER" --init-groups \
            env -i HOME="$BHOME" USER="$BUSER" LOGNAME="$BUSER" SHELL=/bin/bash \
            PATH=/usr/local/bin:/usr/bin:/bin LANG=C "$@"
    ) </dev/null &
}

rss() { ps -o rss= -p "$1" 2>/dev/null | tr -d ' '; }

msg "4/4 loopback: jobssh's Dropbear vs OpenSSH sshd, $SSH_N connections each"
[ -x /usr/sbin/sshd ] || install_sshd
LB=$(mktemp -d /var/lib/jobssh-bench.XXXXXX) || die "mktemp in /var/lib failed"
chmod 0755 "$LB"
# Dropbear reads authorized_keys only when every directory above it is
# root-owned and not writable by group or others.
d=$LB
while :; do
    st=$(stat -c '%u %a' "$d")
    [ "${st%% *}" = 0 ] && (((8#${st#* } & 8#022) == 0)) ||
        die "$d: must be root-owned and not group/world-writable"
    [ "$d" = / ] && break
    d=$(dirname "$d")
done
install -d -o root -g root -m 0755 "$LB/auth"
install -d -o "$BUSER" -g "$(id -gn "$BUSER")" -m 0700 "$LB/user"
U=$LB/user
as_u() { setpriv --reuid="$BUSER" --regid="$BUSER" --init-groups env -i HOME="$BHOME" PATH=/usr/bin:/bin "$@"; }
as_u ssh-keygen -q -t ed25519 -N '' -C bench-client -f "$U/id_ed25519" &&
    as_u ssh-keygen -q -t ed25519 -N '' -C bench-sshd -f "$U/sshd_host_ed25519" &&
    as_u "$DROPBEARKEY" -t ed25519 -f "$U/dropbear_host_ed25519" >/dev/null 2>&1 ||
    die "key generation failed"
install -o root -g root -m 0644 "$U/id_ed25519.pub" "$LB/auth/authorized_keys"
P_SSHD=$(free_port) && P_DB=$(free_port "$P_SSHD") || die "no free port in 20000-29999"
{
    echo "[127.0.0.1]:$P_SSHD $(cut -d' ' -f1,2 "$U/sshd_host_ed25519.pub")"
    echo "[127.0.0.1]:$P_DB $(as_u "$DROPBEARKEY" -y -f "$U/dropbear_host_ed25519" 2>/dev/null |
        awk '/^ssh-ed25519 / { print $1, $2 }')"
} >"$U/known_hosts"
cat >"$U/sshd_config" <<EOF
# sshd of jobssh's benchmark: one unprivileged user, public keys only
HostKey $U/sshd_host_ed25519
AuthorizedKeysFile $LB/auth/authorized_keys
StrictModes yes
UsePAM no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
DisableForwarding yes
PermitTTY yes
PrintMotd no
PrintLastLog no
UseDNS no
PidFile none
LogLevel ERROR
EOF
chown -R "$BUSER:" "$U"

as_daemon /usr/sbin/sshd -D -f "$U/sshd_config" -h "$U/sshd_host_ed25519" -p "$P_SSHD" \
    -o ListenAddress=127.0.0.1 -E "$U/sshd.log"
PID_SSHD=$!
DAEMON_PIDS+=("$PID_SSHD")
as_daemon "$DROPBEAR" -F -E -s -g -j -k -p "127.0.0.1:$P_DB" -r "$U/dropbear_host_ed25519" \
    -D "$LB/auth" -P "$U/dropbear.pid" -U "$BUSER:$BHOME:/bin/bash" 2>"$U/dropbear.log"
PID_DB=$!
DAEMON_PIDS+=("$PID_DB")
wait_banner "$P_SSHD" "$PID_SSHD" || { cat "$U/sshd.log" >&2; die "sshd did not start"; }
wait_banner "$P_DB" "$PID_DB" || { cat "$U/dropbear.log" >&2; die "dropbear did not start"; }
RSS0_SSHD=$(rss "$PID_SSHD")
RSS0_DB=$(rss "$PID_DB")

cp "$U/id_ed25519" "$U/known_hosts" "$UDIR/" && chown "$BUSER:" "$UDIR/id_ed25519" "$UDIR/known_hosts"
as_user $((6 * (SSH_N + 2) * 30)) ./loopback.sh "$SSH_N" "$P_SSHD" "$P_DB" \
    "$UDIR/id_ed25519" "$UDIR/known_hosts" >"$UDIR/loopback" 2>&1
show_errors "$UDIR/loopback" sshd sshd-c25519 dropbear
sleep 1
RSS1_SSHD=$(rss "$PID_SSHD")
RSS1_DB=$(rss "$PID_DB")
stop_daemons

LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# --- report ------------------------------------------------------------------------------------

# fig FILE TAG DIVISOR DECIMALS: "MEDIAN (p90 P90)" of the successful TAG runs,
# plus " (K failed)"; the median alone goes to the variable named by $5.
fig() {
    local m p n f
    read -r m p n <<<"$(samples "$1" "$2" | stats "$3")"
    m=$(printf "%.${4}f" "$m" 2>/dev/null || echo nan)
    p=$(printf "%.${4}f" "$p" 2>/dev/null || echo nan)
    f=$(failures "$1" "$2")
    [ "$f" = 0 ] && f= || f=" ($f failed)"
    printf -v "$5" '%s' "$m"
    FIG="$m (p90 $p)$f"
}
# queued FILE TAG...: how many of those runs waited in the queue for resources
queued() {
    local f=$1
    shift
    awk -v t=" $* " 'index(t, " " $1 " ") { print $4 }' "$f" | while read -r e; do
        grep -l 'queued and waiting for resources' "$UDIR/$e" 2>/dev/null
    done | wc -l
}
# algo SERVER WHAT: the algorithm the verbose connection reported
algo() {
    awk -v s="$1" -v w="$2:" '$1 == "algo" && $2 == s && index($0, w) {
        sub(/\r$/, ""); sub(".*" w " ", ""); print $1 }' \
        "$UDIR/loopback" | head -n 1
}

a='' b=''
J=$UDIR/launch.job S=$UDIR/launch.step
fig "$J" without 1e9 3 a; L1a=$FIG
fig "$J" with 1e9 3 b; L1b=$FIG; R1=$(ratio "$b" "$a")
fig "$S" without 1e9 3 a; L2a=$FIG
fig "$S" with 1e9 3 b; L2b=$FIG; R2=$(ratio "$b" "$a")
fig "$J" idle-without 1e9 3 a; L3a=$FIG
fig "$J" idle-with 1e9 3 b; L3b=$FIG
fig "$UDIR/batch" start-without 1e9 3 a; B1a=$FIG
fig "$UDIR/batch" start-with 1e9 3 b; B1b=$FIG; RB1=$(ratio "$b" "$a")
fig "$UDIR/batch" total-without 1e9 3 a; B2a=$FIG
fig "$UDIR/batch" total-with 1e9 3 b; B2b=$FIG; RB2=$(ratio "$b" "$a")
fig "$UDIR/ready" ready 1e9 3 a; L4=$FIG
fig "$UDIR/latency" openssh 1e6 1 a; L5a=$FIG
fig "$UDIR/latency" dbclient 1e6 1 b; L5b=$FIG
# rssfig TAG: "MEDIAN KiB (xCOUNT)" of the rss-TAG lines of the latency step
rssfig() {
    local m n
    read -r m _ n <<<"$(samples "$UDIR/latency" "rss-$1" | stats 1)"
    printf '%.0f KiB (x%s)' "$m" "$n" 2>/dev/null || printf 'nan'
}
fig "$UDIR/loopback" sshd 1e6 1 a; L6a=$FIG
fig "$UDIR/loopback" dropbear 1e6 1 b; L6b=$FIG; R6=$(ratio "$b" "$a")
fig "$UDIR/loopback" sshd-c25519 1e6 1 a; L7a=$FIG; R7=$(ratio "$b" "$a")
Q=$(($(queued "$J" without with warmup-without warmup-with) + $(queued "$UDIR/ready" ready warmup-ready)))

REV=$(git -C "$TOP" describe --always --dirty 2>/dev/null || echo unknown)
# shellcheck source=/dev/null
. /etc/os-release 2>/dev/null
cat <<EOF

== jobssh benchmark, $(date -u '+%Y-%m-%d %H:%M UTC') ==
machine: nproc $(nproc), kernel $(uname -r), Debian $(cat /etc/debian_version 2>/dev/null) (${VERSION_CODENAME:-?}), $(srun --version 2>/dev/null)
tree: $REV; cluster: $NN nodes, jobs as $BUSER, BENCH_N=$N, BENCH_SSH_N=$SSH_N; load $LOAD_BEFORE before, $LOAD_AFTER after
medians (p90); ratios: with/without --ssh, dropbear/sshd

step launch (new job):        without $L1a s, with $L1b s, ratio $R1
step launch (step in salloc): without $L2a s, with $L2b s, ratio $R2
nodes idle after job end:     without $L3a s, with $L3b s
batch job, submit to script:  without $B1a s, with $B1b s, ratio $RB1
batch job, submit to end:     without $B2a s, with $B2b s, ratio $RB2
ssh ready after task start:   $L4 s (all $NN nodes, --ssh=launcher)
ssh $TARGET true in a job:      OpenSSH client $L5a ms, dbclient $L5b ms
loopback connect+auth+true:   OpenSSH sshd $L6a ms, jobssh dropbear $L6b ms, ratio $R6
  sshd, curve25519-sha256:    $L7a ms, ratio $R7
RSS in a job (launcher step): supervisor $(rssfig supervisor), dropbear $(rssfig dropbear), holder $(rssfig holder), dropbear per holder connection $(rssfig conn)
idle daemon RSS (loopback):   OpenSSH sshd $RSS1_SSHD KiB, jobssh dropbear $RSS1_DB KiB (right after start: $RSS0_SSHD, $RSS0_DB KiB)
loopback key exchange:        sshd $(algo sshd algorithm), dropbear $(algo dropbear algorithm); host key $(algo sshd "host key algorithm")/$(algo dropbear "host key algorithm"), cipher $(algo sshd "server->client cipher")/$(algo dropbear "server->client cipher")
new jobs that waited in the queue: $Q; failed runs: $FAILED
EOF
if [ "$FAILED" != 0 ]; then
    msg "$FAILED run(s) failed (their errors are above); the figures count only successful runs"
    exit 1
fi
exit 0
