#!/bin/bash

test_description='attack matrix: every attack on a step daemon (srun --ssh) and a job daemon (sbatch --ssh) is tried for real and refused, with a clear message'

# Each attack is made for real on the test cluster, against a step daemon and
# against a job daemon wherever it applies, and each test asserts both the
# refusal (exit status) and what says so: the client's message, the
# daemon's log (<rundir>/<node>/<tag>/dropbear.log, read while the job runs),
# the step's error on the task's stderr, or the node's slurmd log.
# doc/SECURITY.md ("Attack matrix") lists them with the messages asserted.

. /usr/share/sharness/sharness.sh

jobssh_require PLUGIN DROPBEAR
test_cluster_up

LX=$JOBSSH_CLUSTER_INSTALL/libexec
dir1=$(user_workdir jstest1)
dir2=$(user_workdir jstest2)
jobssh_prereq CC "needs a C compiler (gcc)" command -v gcc

# section FILE NAME: the lines of FILE after "== NAME", up to the next "== "
# (without the CR that ssh puts at the end of its messages).
section() {
    tr -d '\r' <"$1" | awk -v n="== $2" '$0 == n { on = 1; next } /^== / { on = 0 } on'
}

# slurmd_log NODE: what NODE's slurmd logged during this file.
slurmd_log() {
    cluster_slurmd_log_since_mark "$1"
}

# listening NODE PORT: something listens on PORT in NODE's network.
listening() {
    nsenter --net="$(node_net "$1")" ss -Htln "sport = :$2" | grep -q .
}

# first_candidate TAG: the first candidate port of TAG (default settings).
first_candidate() {
    "$LX/jobssh-connect" --list --tag "$1" --ports 2222-3221 --count 16 | head -n 1
}

# as_jstest2_on NODE CMD...: CMD as jstest2 in NODE's network, in the
# background, with a clean environment; $! is CMD's own pid.
as_jstest2_on() {
    local node=$1
    shift
    nsenter --net="$(node_net "$node")" setpriv --reuid=jstest2 --regid=jstest2 --init-groups \
        env -i PATH=/usr/bin:/bin HOME=/home/jstest2 "$@" &
}

# ---------------------------------------------------------------------------
# The target: a job of jstest1 on node1 and node2. Its script runs the
# attacks from inside the job (root login, passwords, forwarding, the
# session's privileges), then holds the daemons until target.stop, while
# the tests attack node2's daemon from outside.

write_script target.sh <<'EOF'
#!/bin/bash
echo "job=$SLURM_JOB_ID"
echo "tag=$JOBSSH_TAG"
try() {
    echo "== $1"
    shift
    "$@" </dev/null 2>&1
    echo "rc=$?"
}
try root ssh root@node2 echo logged-in
try password ssh -o PreferredAuthentications=password,keyboard-interactive \
    -o PubkeyAuthentication=no node2 echo logged-in
try stdio-forward ssh -o LogLevel=INFO -W node1:22 node2
echo "== local-forward"
ssh -o LogLevel=INFO -o ExitOnForwardFailure=yes -L 127.0.0.1:40001:198.18.0.11:22 node2 \
    sleep 4 </dev/null 2>&1 &
fwd=$!
for i in $(seq 1 50); do
    python3 -c 'import socket; socket.create_connection(("127.0.0.1", 40001), 1)' 2>/dev/null &&
        break
    sleep 0.1
done
python3 - <<'PY'
import socket
s = socket.create_connection(("127.0.0.1", 40001), 5)
s.settimeout(5)
try:
    print("through the tunnel: %r" % s.recv(64))
except OSError as e:
    print("through the tunnel: %s" % e)
PY
wait $fwd
echo "rc=$?"
try remote-forward ssh -o LogLevel=INFO -o ExitOnForwardFailure=yes -R 40002:127.0.0.1:22 \
    node2 echo logged-in
eval "$(ssh-agent -s)" >/dev/null
ssh-add -q "$JOBSSH_DIR/id_ed25519"
try agent ssh -o LogLevel=INFO -A node2 'echo "agent=[$SSH_AUTH_SOCK]"'
ssh-agent -k >/dev/null
DISPLAY=localhost:10 try x11 ssh -o LogLevel=INFO -X node2 'echo "display=[$DISPLAY]"'
try caps ssh node2 'grep -E "^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs):" /proc/self/status'
touch target.ready
for i in $(seq 1 1200); do
    [ -e target.stop ] && break
    sleep 0.1
done
EOF

# start_target step|job: start the target; sets job, tag, port (node2's
# daemon) and log (its dropbear.log, readable while the job runs).
start_target() {
    rm -f "$dir1/target.ready" "$dir1/target.stop" "$dir1/target.out"
    target_pid=
    if [ "$1" = step ]; then
        { run_as jstest1 srun -N2 --ntasks-per-node=1 --ssh=launcher ./target.sh \
            >"$dir1/target.out" 2>&1 & }
        target_pid=$!
    else
        run_as jstest1 sbatch -N2 --ntasks-per-node=1 --ssh -o target.out ./target.sh \
            >submitted || return 1
    fi
    if ! wait_for 120 test -e "$dir1/target.ready"; then
        cat "$dir1/target.out" >&2
        return 1
    fi
    job=$(job_of "$dir1/target.out") &&
        tag=$(sed -n "s/^tag=//p" "$dir1/target.out") &&
        test -n "$job" && test -n "$tag" &&
        port=$(cut -d" " -f2 "$JOBSSH_RUNDIR/node2/$tag/status") &&
        log=$JOBSSH_RUNDIR/node2/$tag/dropbear.log &&
        test -f "$log"
}

stop_target() {
    touch "$dir1/target.stop"
    if [ -n "$target_pid" ]; then
        wait "$target_pid" || return 1
    fi
    wait_for 60 job_gone "$job" && wait_no_leftovers "$job"
}

# The attacker's job: a --ssh step of its own on node1 that aims its own
# job key at the target's daemon on node2, found by the target's tag like
# any client would (the attacker accepts any host key).
write_script attacker.sh <<'EOF'
#!/bin/bash
tag=$1 libexec=$2
echo "fp=$(ssh-keygen -lf "$JOBSSH_DIR/id_ed25519" | cut -d" " -f2)"
# node2 is not a node of this job: name the job key and the target's tag.
o=(-i "$JOBSSH_DIR/id_ed25519" -o IdentitiesOnly=yes -o BatchMode=yes
   -o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no -o LogLevel=ERROR
   -o "ProxyCommand=$libexec/jobssh-connect --tag $tag --timeout 10 %h")
echo "== as-self"
ssh "${o[@]}" node2 echo logged-in </dev/null 2>&1
echo "rc=$?"
echo "== as-jstest1"
ssh "${o[@]}" -l jstest1 node2 echo logged-in </dev/null 2>&1
echo "rc=$?"
EOF
write_script attacker.sh jstest2 <"$dir1/attacker.sh"

# attack_from USER: USER runs attacker.sh in a new job of its own on node1.
attack_from() {
    run_as "$1" srun -N1 -w node1 --ssh ./attacker.sh "$tag" "$LX" >"attack.$1" 2>&1
    cat "attack.$1"
    fp=$(sed -n "s/^fp=//p" "attack.$1")
    test -n "$fp"
}

# refused FILE SECTION WHO: SECTION of FILE shows a refused login of WHO.
refused() {
    section "$1" "$2" >"$2.out" &&
        grep -x "rc=255" "$2.out" &&
        ! grep "logged-in" "$2.out" &&
        grep -x "$3@node2: Permission denied (publickey)." "$2.out"
}

for kind in step job; do

test_expect_success CLUSTER,USERS "$kind daemon: start a target job of jstest1 on node1 and node2" '
    start_target '$kind' &&
    echo "target: job $job, tag $tag, node2 port $port"
'

test_expect_success CLUSTER,USERS "$kind daemon: root login with the job key is refused" '
    refused "$dir1/target.out" root root &&
    grep "Login attempt as .root. refused: this server logs in only .jstest1., from 198.18.0.11:" \
        "$log"
'

test_expect_success CLUSTER,USERS "$kind daemon: password and keyboard-interactive logins are not offered" '
    refused "$dir1/target.out" password jstest1 &&
    grep "Exit before auth from <198.18.0.11:[0-9]*>: (user .jstest1., 0 fails)" "$log" &&
    ! grep -i "password auth" "$log"
'

test_expect_success CLUSTER,USERS "$kind daemon: stdio and local TCP forwarding (-W, -L) are refused" '
    section "$dir1/target.out" stdio-forward >W.out &&
    grep "channel [0-9]*: open failed: unknown channel type" W.out &&
    grep "stdio forwarding failed" W.out &&
    grep -x "rc=255" W.out &&
    section "$dir1/target.out" local-forward >L.out &&
    grep "channel [0-9]*: open failed: unknown channel type" L.out &&
    grep "^through the tunnel: b..$" L.out &&
    grep "Port forwarding disabled" "$log"
'

test_expect_success CLUSTER,USERS "$kind daemon: remote TCP forwarding (-R) is refused" '
    section "$dir1/target.out" remote-forward >R.out &&
    grep -x "Error: remote port forwarding failed for listen port 40002" R.out &&
    grep -x "rc=255" R.out &&
    ! grep logged-in R.out
'

test_expect_success CLUSTER,USERS "$kind daemon: agent (-A) and X11 (-X) forwarding are not available" '
    section "$dir1/target.out" agent >A.out &&
    grep -x "agent=\[\]" A.out &&
    grep -x "rc=0" A.out &&
    section "$dir1/target.out" x11 >X.out &&
    grep -x "X11 forwarding request failed on channel 0" X.out &&
    grep -x "display=\[\]" X.out
'

test_expect_success CLUSTER,USERS "$kind daemon: a session has no capabilities and no_new_privs" '
    section "$dir1/target.out" caps >caps.out &&
    printf "%s:\t0000000000000000\n" CapInh CapPrm CapEff CapBnd CapAmb >expect &&
    printf "NoNewPrivs:\t1\nrc=0\n" >>expect &&
    test_cmp expect caps.out
'

test_expect_success CLUSTER,USERS "$kind daemon: the job keys are private to jstest1, unreadable to jstest2" '
    keys=$JOBSSH_CLUSTER_KEYS/jstest1/$job &&
    step=$JOBSSH_RUNDIR/node2/$tag &&
    test "$(stat -c "%U %a" "$JOBSSH_CLUSTER_KEYS/jstest1")" = "jstest1 700" &&
    test -z "$(find "$keys" "$step" -type d ! -perm 0700)" &&
    test -z "$(find "$keys" "$step" ! -user jstest1)" &&
    for f in "$keys"/host_ed25519* "$keys"/id_* "$keys"/authorized_keys \
        "$step"/host_ed25519 "$step"/id_* "$step"/auth/authorized_keys; do
        test "$(stat -c %a "$f")" = 600 || return 1
    done &&
    for f in "$keys/id_ed25519.pub" "$keys/id_ed25519" "$keys/authorized_keys" \
        "$step/id_ed25519" "$step/auth/authorized_keys"; do
        test_must_fail run_as jstest2 cat "$f" 2>err &&
        grep "Permission denied" err || return 1
    done
'

test_expect_success CLUSTER,USERS "$kind daemon: jstest2 with its own job key is refused, as jstest2 and as jstest1" '
    attack_from jstest2 &&
    refused attack.jstest2 as-self jstest2 &&
    refused attack.jstest2 as-jstest1 jstest1 &&
    grep "Login attempt as .jstest2. refused: this server logs in only .jstest1., from 198.18.0.11:" \
        "$log" &&
    grep -F "Pubkey auth refused for '"'"'jstest1'"'"' with ssh-ed25519 key $fp from 198.18.0.11:" \
        "$log"
'

test_expect_success CLUSTER,USERS "$kind daemon: the key of another job of the same user is refused" '
    attack_from jstest1 &&
    refused attack.jstest1 as-self jstest1 &&
    grep -F "Pubkey auth refused for '"'"'jstest1'"'"' with ssh-ed25519 key $fp from 198.18.0.11:" \
        "$log"
'

test_expect_success CLUSTER,USERS "$kind daemon: another user on the network with no valid key is refused" '
    rm -f k2 k2.pub && ssh-keygen -q -t ed25519 -N "" -f k2 &&
    install -o jstest2 -m 0600 k2 "$dir2/k2" &&
    fp2=$(ssh-keygen -lf k2.pub | cut -d" " -f2) &&
    test_expect_code 255 run_as jstest2 ssh -F none -i k2 -o IdentitiesOnly=yes -o BatchMode=yes \
        -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
        -p "$port" jstest1@198.18.0.12 echo logged-in >out 2>err &&
    tr -d "\r" <err | grep -x "jstest1@198.18.0.12: Permission denied (publickey)." &&
    grep -F "Pubkey auth refused for '"'"'jstest1'"'"' with ssh-ed25519 key $fp2 from 198.18.0.1:" \
        "$log" &&
    test_expect_code 255 run_as jstest2 ssh -F none -o PubkeyAuthentication=no -o BatchMode=yes \
        -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
        -p "$port" jstest1@198.18.0.12 echo logged-in >out 2>err &&
    tr -d "\r" <err | grep -x "jstest1@198.18.0.12: Permission denied (publickey)." &&
    grep "Exit before auth from <198.18.0.1:[0-9]*>: (user .jstest1., 0 fails)" "$log" &&
    ! grep logged-in out
'

test_expect_success CLUSTER,USERS "$kind daemon: raw TCP from another user: the daemon hangs up on garbage" '
    run_as jstest2 python3 -c "
import socket, sys
s = socket.create_connection((\"198.18.0.12\", $port), 5)
s.settimeout(10)
banner = b\"\"
for i in range(20):
    if b\"\\r\\n\" in banner:
        break
    banner += s.recv(64)
print(banner.split(b\"\\r\\n\")[0].decode())
s.sendall(b\"SSH-2.0-attacker\\r\\n\" + b\"x\" * 64)
try:
    for i in range(100):
        if not s.recv(4096):
            break
except ConnectionResetError:
    pass
print(\"closed\")
" >raw.out &&
    test "$(wc -l <raw.out)" = 2 &&
    grep -x "SSH-2.0-dropbear_[0-9.]* jobssh-$tag" raw.out &&
    grep -x closed raw.out &&
    wait_for 5 grep -q "Exit before auth from <198.18.0.1:[0-9]*>: Integrity error (bad packet size" \
        "$log"
'

test_expect_success CLUSTER,USERS "$kind daemon: stop the target; nothing is left" '
    stop_target
'

done

# ---------------------------------------------------------------------------
# Port hijack: jstest2 binds the first candidate port of a held job's tag
# on node1 before the job starts; then the job is released.

write_script hijack.sh <<'EOF'
#!/bin/bash
echo "job=$SLURM_JOB_ID"
if [ "$1" = step ]; then
    exec srun -N1 --ssh ./hijack.sh inner
fi
echo "status=$(cat "$JOBSSH_DIR/status")"
ssh node1 echo logged-in 2>&1
echo "rc=$?"
EOF

mkdir -p impostor &&
    "$LX/dropbearkey" -t ed25519 -f impostor/host_ed25519 >/dev/null 2>&1 &&
    rm -rf "$dir2/impostor" && cp -r impostor "$dir2/impostor" && mkdir "$dir2/impostor/auth" &&
    chown -R jstest2:jstest2 "$dir2/impostor" && chmod -R go-rwx "$dir2/impostor"

# hijack step|job silent|impostor: submit hijack.sh held, hold the first
# candidate of its tag on node1 as jstest2, release it; sets job, tag,
# first and holder.
hijack() {
    local kind=$1 how=$2 ssh=
    [ "$kind" = job ] && ssh=--ssh
    rm -f "$dir1/hijack.out" "$dir2/impostor/log"
    run_as jstest1 sbatch --hold -N1 -w node1 $ssh -o hijack.out ./hijack.sh "$kind" \
        >submitted || return 1
    job=$(sed -n "s/^Submitted batch job //p" submitted)
    if [ "$kind" = job ]; then tag=$job.extern; else tag=$job.0; fi
    first=$(first_candidate "$tag")
    if [ "$how" = silent ]; then
        as_jstest2_on node1 python3 -c "
import socket, time
s = socket.socket()
s.bind((\"0.0.0.0\", $first))
s.listen(16)
time.sleep(120)"
    else
        # A real ssh server of jstest2 with the job's banner on IPv4 only.
        as_jstest2_on node1 "$LX/dropbear" -F -E -p "0.0.0.0:$first" \
            -r "$dir2/impostor/host_ed25519" -D "$dir2/impostor/auth" -P "$dir2/impostor/pid" \
            -C "jobssh-$tag" -U "jstest2:/home/jstest2:/bin/bash" 2>"$dir2/impostor/log"
    fi
    holder=$!
    wait_for 10 listening node1 "$first" &&
        scontrol release "$job" &&
        wait_for 90 job_gone "$job"
    kill "$holder" 2>/dev/null
    wait "$holder" 2>/dev/null
    job_gone "$job" || scancel "$job"
    tr -d "\r" <"$dir1/hijack.out" >hijack.out
    cat hijack.out
    test -n "$first"
}

for kind in step job; do

test_expect_success CLUSTER,USERS "$kind daemon: a silent listener on the first candidate port: the daemon takes the next, ssh works" '
    hijack '$kind' silent &&
    note="1 earlier candidate passed over: port $first in use" &&
    grep "^status=ready [0-9]* ($note)$" hijack.out &&
    ! grep -x "status=ready $first.*" hijack.out &&
    grep -x logged-in hijack.out &&
    grep -x rc=0 hijack.out &&
    slurmd_log node1 | grep -F "jobssh: step $tag: ssh daemon on node1 listening on port" |
        grep -F "($note)" &&
    wait_no_leftovers $job
'

test_expect_success CLUSTER,USERS "$kind daemon: an impostor with the job banner on the first candidate: the daemon moves on, clients fail the host-key check" '
    hijack '$kind' impostor &&
    note="1 earlier candidate passed over: port $first held by another program that answers as this daemon" &&
    grep "^status=ready [0-9]* ($note)$" hijack.out &&
    slurmd_log node1 | grep -F "jobssh: step $tag: ssh daemon on node1 listening on port" |
        grep -F "($note)" &&
    grep -x "Host key for jobssh-$job has changed and you have requested strict checking." \
        hijack.out &&
    grep -x "Host key verification failed." hijack.out &&
    grep -x rc=255 hijack.out &&
    ! grep logged-in hijack.out &&
    grep "Child connection from 198.18.0.11:" "$dir2/impostor/log" &&
    ! grep -i "auth" "$dir2/impostor/log" | grep -v "Exit before auth" &&
    wait_no_leftovers $job
'

done

# ---------------------------------------------------------------------------
# The key directory (t1030-bad-input.t covers basedir itself and a
# <basedir>/<user> made by another user). Every srun --ssh of keys.sh
# follows one change to the job's key directory, then the directory is put
# back.

write_script keys.sh <<EOF
#!/bin/bash
K=$JOBSSH_CLUSTER_KEYS/jstest1/\$SLURM_JOB_ID
EOF
cat >>"$dir1/keys.sh" <<'EOF'
echo "job=$SLURM_JOB_ID"
srun --ssh true || exit 1
rm -rf keep && cp -a "$K" keep
try() {
    echo "== $1"
    timeout 60 srun -N1 --ssh bash -c 'ssh node1 echo logged-in' 2>&1
    echo "rc=$?"
    rm -rf "$K" && cp -a keep "$K"
}
mv "$K" "$K.real" && ln -s "$K.real" "$K"; try symlink; rm -rf "$K.real"
chmod 0770 "$K"; try group-writable
chmod 0777 "$K"; try world-writable
head -c 10000000 /dev/zero | tr '\0' a >"$K/authorized_keys"; try huge-authorized_keys
echo "not a key" >"$K/authorized_keys"; try malformed-authorized_keys
rm "$K/authorized_keys" && ln -s /etc/passwd "$K/authorized_keys"; try symlinked-authorized_keys
rm "$K/authorized_keys" && mkfifo "$K/authorized_keys"; try fifo-authorized_keys
echo "ssh-ed25519" >"$K/host_ed25519.pub"; try malformed-host_ed25519.pub
head -c 10000000 /dev/zero | tr '\0' a >"$K/host_ed25519.pub"; try huge-host_ed25519.pub
head -c 10000000 /dev/zero >"$K/known_hosts"; try huge-known_hosts
# root makes it another user's
touch want-chown
for i in $(seq 1 300); do [ -e chowned ] && break; sleep 0.1; done
echo "== owned-by-jstest2"
timeout 60 srun -N1 --ssh bash -c 'ssh node1 echo logged-in' 2>&1
echo "rc=$?"
EOF

# step_refused NAME PATTERN: srun of keys.sh phase NAME failed (exit 1),
# its message matches PATTERN (grep -E), and ssh never ran.
step_refused() {
    section keys.out "$1" >"$1.out" &&
        grep -E -- "$2" "$1.out" &&
        ! grep -x logged-in "$1.out" &&
        grep -x rc=1 "$1.out"
}

test_expect_success CLUSTER,USERS 'step daemon: run srun --ssh against changed key directories' '
    rm -f "$dir1/want-chown" "$dir1/chowned" &&
    { run_as jstest1 salloc -N1 -w node1 ./keys.sh >keys.out 2>&1 & } &&
    salloc_pid=$! &&
    wait_for 120 test -e "$dir1/want-chown" &&
    job=$(job_of keys.out) &&
    chown jstest2:jstest2 "$JOBSSH_CLUSTER_KEYS/jstest1/$job" &&
    touch "$dir1/chowned" &&
    wait $salloc_pid;
    cat keys.out &&
    keys=$JOBSSH_CLUSTER_KEYS/jstest1/$job &&
    wait_no_leftovers $job
'

test_expect_success CLUSTER,USERS 'step daemon: a key directory replaced by a symlink is refused' '
    step_refused symlink "jobssh: couldn.t make the keys of job $job: $keys is a symlink$"
'

test_expect_success CLUSTER,USERS 'step daemon: a group- or world-writable key directory is refused' '
    step_refused group-writable "jobssh: couldn.t make the keys of job $job: $keys is not private to uid 2001 \(owner 2001, mode 0770\)" &&
    step_refused world-writable "jobssh: couldn.t make the keys of job $job: $keys is not private to uid 2001 \(owner 2001, mode 0777\)"
'

test_expect_success CLUSTER,USERS 'step daemon: a key directory owned by another user is refused' '
    step_refused owned-by-jstest2 "jobssh: couldn.t make the keys of job $job: $keys is not private to uid 2001 \(owner 2002, mode 0700\)"
'

test_expect_success CLUSTER,USERS 'step daemon: a huge, malformed, symlinked or FIFO authorized_keys fails the step with the reason' '
    step_refused huge-authorized_keys "jobssh: error: node1: couldn.t prepare .*: $keys/authorized_keys is larger than 65536 bytes$" &&
    step_refused malformed-authorized_keys "jobssh: error: node1: couldn.t prepare .*: $keys/authorized_keys line 1 is not a public key$" &&
    step_refused symlinked-authorized_keys "jobssh: error: node1: couldn.t prepare .*: $keys/authorized_keys is a symlink$" &&
    step_refused fifo-authorized_keys "jobssh: error: node1: couldn.t prepare .*: $keys/authorized_keys is not a regular file$"
'

test_expect_success CLUSTER,USERS 'step daemon: a huge or malformed host_ed25519.pub fails the step with the reason' '
    step_refused malformed-host_ed25519.pub "jobssh: error: node1: couldn.t prepare .*: $keys/host_ed25519.pub: not a public key$" &&
    step_refused huge-host_ed25519.pub "jobssh: error: node1: couldn.t prepare .*: $keys/host_ed25519.pub is larger than 65536 bytes$"
'

test_expect_success CLUSTER,USERS 'step daemon: a huge known_hosts in the key directory is never read' '
    section keys.out huge-known_hosts >kh.out &&
    grep -x logged-in kh.out &&
    grep -x rc=0 kh.out
'

write_script batch.sh <<'EOF'
#!/bin/bash
echo "job=$SLURM_JOB_ID"
echo ran
ssh node2 echo logged-in
EOF

# job_with_keydir CMD...: a held sbatch -N2 --ssh job of batch.sh; CMD
# changes its key directory $keys before it is released. Sets job, out.
job_with_keydir() {
    rm -f "$dir1/batch.out"
    run_as jstest1 sbatch --hold -N2 --ntasks-per-node=1 --ssh -o batch.out ./batch.sh \
        >submitted || return 1
    job=$(sed -n "s/^Submitted batch job //p" submitted)
    keys=$JOBSSH_CLUSTER_KEYS/jstest1/$job
    "$@" || return 1
    scontrol release "$job" && wait_for 90 job_gone "$job" || return 1
    out=$dir1/batch.out
    cat "$out"
    ! grep -x ran "$out" && ! grep -x logged-in "$out" &&
        scontrol show job "$job" >state && grep "JobState=FAILED" state &&
        grep "ExitCode=1:0" state
}

canary=$JOBSSH_CLUSTER_DIR/attack-canary

test_expect_success CLUSTER,USERS 'job daemon: a key directory pre-made as a symlink: refused on every node; the epilog does not follow it' '
    test_when_finished "rm -rf $canary" &&
    mkdir -p "$canary" && echo keep >"$canary/file" &&
    job_with_keydir eval "run_as jstest1 ln -s $canary \$keys" &&
    grep -x "jobssh: error: node1: $keys is a symlink" "$out" &&
    slurmd_log node1 | grep -F "jobssh: job $job: couldn'"'"'t make the job'"'"'s keys: $keys is a symlink" &&
    slurmd_log node2 | grep -F "jobssh: step $job.extern on node2: " |
        grep -F "$keys is a symlink" &&
    test "$(cat "$canary/file")" = keep &&
    ! test -L "$keys" &&
    wait_no_leftovers $job
'

test_expect_success CLUSTER,USERS 'job daemon: a key directory pre-made by another user: refused on every node' '
    job_with_keydir eval "install -d -o jstest2 -g jstest2 -m 0700 \$keys" &&
    grep -x "jobssh: error: node1: $keys is not private to uid 2001 (owner 2002, mode 0700)" "$out" &&
    slurmd_log node1 | grep -F "jobssh: job $job: couldn'"'"'t make the job'"'"'s keys: $keys is not private to uid 2001 (owner 2002, mode 0700)" &&
    slurmd_log node2 | grep -F "jobssh: step $job.extern on node2: " |
        grep -F "$keys is not private to uid 2001 (owner 2002, mode 0700)" &&
    wait_no_leftovers $job
'

# A complete key directory of jstest1's, as the user could pre-make it,
# with a 10 MB authorized_keys.
huge_keydir() {
    mkdir "$keys" &&
        "$LX/dropbearkey" -t ed25519 -f "$keys/host_ed25519" | grep "^ssh-ed25519" \
            >"$keys/host_ed25519.pub" &&
        "$LX/dropbearkey" -t ed25519 -f "$keys/id_dropbear" >/dev/null &&
        "$LX/dropbearconvert" dropbear openssh "$keys/id_dropbear" "$keys/id_ed25519" \
            >/dev/null 2>&1 &&
        head -c 10000000 /dev/zero | tr "\0" a >"$keys/authorized_keys" &&
        chown -R jstest1:jstest1 "$keys" && chmod -R go-rwx "$keys"
}

test_expect_success CLUSTER,USERS 'job daemon: a pre-made key directory with a huge authorized_keys: refused on every node' '
    job_with_keydir huge_keydir &&
    grep -x "jobssh: error: node1: couldn.t prepare .*: $keys/authorized_keys is larger than 65536 bytes" "$out" &&
    slurmd_log node2 | grep -F "jobssh: step $job.extern on node2: couldn'"'"'t prepare" |
        grep -F "$keys/authorized_keys is larger than 65536 bytes" &&
    wait_no_leftovers $job
'

# ---------------------------------------------------------------------------
# Environment injection: everything the job environment could plant for a
# root-run part. The planted programs and library leave a marker named
# after the uid they ran as.

mark=$dir1/marks
rm -rf "$mark" && mkdir -p "$mark/bin"
for p in jobssh-sshd dropbear dropbearkey dropbearconvert dbclient jobssh-connect; do
    printf '#!/bin/sh\n/usr/bin/touch "%s/fake-%s.$(/usr/bin/id -u)"\nexit 1\n' "$mark" "$p" \
        >"$mark/bin/$p"
done
printf '/usr/bin/touch "%s/bash_env.$(/usr/bin/id -u)"\n' "$mark" >"$mark/bash_env"
cat >preload.c <<EOF
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
__attribute__((constructor)) static void planted(void)
{
    char path[512];
    snprintf(path, sizeof(path), "$mark/preload.%u", (unsigned)geteuid());
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0)
        close(fd);
}
EOF
chmod -R a+rX "$mark"
chown jstest1:jstest1 "$mark"

# planted_markers: the markers left so far, as "owner name" lines.
planted_markers() {
    find "$mark" -maxdepth 1 -type f \( -name "preload.*[0-9]" -o -name "fake-*" -o \
        -name "bash_env.*" \) -printf "%u %f\n"
}

write_script inject.sh <<'EOF'
#!/bin/bash
echo "job=$SLURM_JOB_ID"
echo "tag=$JOBSSH_TAG"
ssh node2 'echo "session dir=$JOBSSH_DIR tag=$JOBSSH_TAG"'
touch inject.ready
for i in $(seq 1 600); do
    [ -e inject.stop ] && break
    sleep 0.1
done
EOF

# inject step|job: run inject.sh on node1 and node2 with the planted
# environment; while it runs, save the supervisors' environments in
# supervisor.env (one file per supervisor, concatenated). Sets job, tag.
inject() {
    local p n=0
    rm -f "$dir1/inject.ready" "$dir1/inject.stop" "$dir1/inject.out" supervisor.env
    # (A sanitizer build's runtime must stay first in LD_PRELOAD.)
    local planted=(env
        LD_PRELOAD="${JOBSSH_CLUSTER_ASAN_PRELOAD:+$JOBSSH_CLUSTER_ASAN_PRELOAD }$mark/preload.so"
        LD_LIBRARY_PATH="$mark/bin"
        PATH="$mark/bin:/usr/local/bin:/usr/bin:/bin" BASH_ENV="$mark/bash_env" IFS=/
        JOBSSH_DIR=/etc JOBSSH_TAG=../../etc JOBSSH_SSH_CONFIG=/etc/shadow
        JOBSSH_JOBS_DIR=/etc JOBSSH_DBCLIENT="$mark/bin/dbclient"
        JOBSSH_CONNECT_ARGS="--tag ../../etc" SLURMD_NODENAME=../../etc)
    if [ "$1" = step ]; then
        { run_as jstest1 "${planted[@]}" srun -N2 --ntasks-per-node=1 --ssh=launcher ./inject.sh \
            >"$dir1/inject.out" 2>&1 & }
        inject_pid=$!
    else
        run_as jstest1 "${planted[@]}" sbatch -N2 --ntasks-per-node=1 --ssh -o inject.out \
            ./inject.sh >submitted || return 1
        inject_pid=
    fi
    wait_for 120 test -e "$dir1/inject.ready" || { cat "$dir1/inject.out"; return 1; }
    job=$(job_of "$dir1/inject.out")
    tag=$(sed -n "s/^tag=//p" "$dir1/inject.out")
    for p in $(pgrep -f "^jobssh-sshd --tag $tag "); do
        tr "\0" "\n" <"/proc/$p/environ" >>supervisor.env && n=$((n + 1))
    done
    touch "$dir1/inject.stop"
    if [ -n "$inject_pid" ]; then wait "$inject_pid" || return 1; fi
    wait_for 60 job_gone "$job" && wait_no_leftovers "$job" && cat "$dir1/inject.out" &&
        test $n = 2
}

test_expect_success CC 'build the planted library' '
    gcc -shared -fPIC -o "$mark/preload.so" preload.c &&
    chmod a+rx "$mark/preload.so"
'

for kind in step job; do

test_expect_success CLUSTER,USERS,CC "$kind daemon: a planted environment reaches no root-run part" '
    rm -f "$mark"/preload.*[0-9] "$mark"/fake-* "$mark"/bash_env.* &&
    inject '$kind' &&
    printf "PATH=/usr/sbin:/usr/bin:/sbin:/bin\n%.0s" 1 2 >expect &&
    test_cmp expect supervisor.env &&
    grep -x "session dir=$JOBSSH_RUNDIR/node2/$tag tag=$tag" "$dir1/inject.out" &&
    planted_markers >markers &&
    cat markers &&
    grep -x "jstest1 preload.2001" markers &&
    grep -x "jstest1 bash_env.2001" markers &&
    ! grep -v "^jstest1 .*\.2001$" markers &&
    ! test -e "/etc/$tag" &&
    ls "$JOBSSH_RUNDIR" >rundir &&
    ! grep -v "^node[0-9]*$" rundir
'

done

# Whatever failed above, let the jobs that wait for a file end.
touch "$dir1/target.stop" "$dir1/inject.stop"

test_done
