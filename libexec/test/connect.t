#!/bin/sh
# jobssh-connect and its ssh/dbclient personalities, on loopback only.
#
# Fake daemons are small python3 servers on 127.0.0.1 (and ::1 when the
# machine has it) that send an SSH identification line, echo what they
# receive and, at EOF, answer "bye <bytes>" and close. Every server stops
# by itself after 60 s and is killed at the end; every wait is bounded.
#
# Environment: JOBSSH_CONNECT = the binary under test (default: ../jobssh-connect
# beside this directory).
set -u

here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
JC=${JOBSSH_CONNECT:-$here/../jobssh-connect}
JC_RUN=${JOBSSH_CONNECT_RUN:-}   # e.g. "valgrind -q --error-exitcode=99"

n=0
failed=0
ok() { n=$((n + 1)); printf 'ok %d - %s\n' $n "$*"; }
nok() { n=$((n + 1)); failed=$((failed + 1)); printf 'not ok %d - %s\n' $n "$*"; }
# COND; is_ok $? "name"  (the status of the whole condition list)
is_ok() {
    if [ "$1" -eq 0 ]; then ok "$2"; else nok "$2"; fi
}
diag() { printf '%s\n' "$@" | sed 's/^/# /'; }
skip_all() {
    if [ "${CI:-}" = true ]; then echo "1..1"; echo "not ok 1 - $* (CI=true forbids skipping)"; exit 1; fi
    echo "1..0 # SKIP $*"; exit 0
}

command -v python3 >/dev/null 2>&1 || skip_all "python3 not found"
[ -x "$JC" ] || { echo "1..0"; echo "Bail out! $JC is not built"; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/jobssh-connect-test.XXXXXX") || exit 1
pids=""
cleanup() {
    for p in $pids; do kill "$p" 2>/dev/null; done
    for p in $pids; do wait "$p" 2>/dev/null; done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

# ---------------------------------------------------------------- fake daemon
cat > "$tmp/server.py" <<'EOF'
import os, signal, socket, sys, threading, time
# server.py ADDR PORT BANNER READYFILE [DELAY] [MODE]
#   MODE echo (default): send BANNER CR LF, echo lines, at EOF "bye N" and close
#   MODE split: send the banner in two parts 300 ms apart, then like echo
#   MODE silent: accept and say nothing
#   MODE idle: send BANNER CR LF, then neither read nor close
addr, port, banner, ready = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
delay = float(sys.argv[5]) if len(sys.argv) > 5 else 0.0
mode = sys.argv[6] if len(sys.argv) > 6 else "echo"
signal.alarm(60)
time.sleep(delay)
s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((addr, port))
s.listen(16)
open(ready, "w").close()

def handle(c):
    try:
        if mode == "silent":
            time.sleep(30)
            return
        if mode == "idle":
            c.sendall((banner + "\r\n").encode())
            time.sleep(30)
            return
        data = (banner + "\r\n").encode()
        if mode == "split":
            c.sendall(data[:9])
            time.sleep(0.3)
            c.sendall(data[9:])
        else:
            c.sendall(data)
        total = 0
        while True:
            b = c.recv(4096)
            if not b:
                break
            total += len(b)
            c.sendall(b)
        c.sendall(b"bye %d\n" % total)
    except OSError:
        pass
    finally:
        c.close()

while True:
    c, _ = s.accept()
    threading.Thread(target=handle, args=(c,), daemon=True).start()
EOF

# start_server ADDR PORT BANNER [DELAY] [MODE]: background server; waits
# until it listens unless DELAY > 0.
start_server() {
    ready=$tmp/ready.$2.$$.$n.$(date +%s%N)
    python3 "$tmp/server.py" "$1" "$2" "$3" "$ready" "${4:-0}" "${5:-echo}" 2>>"$tmp/server.log" &
    pids="$pids $!"
    last_server=$!
    if [ "${4:-0}" = 0 ]; then
        i=0
        while [ ! -e "$ready" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
        [ -e "$ready" ] || { diag "server on $1:$2 did not start"; cat "$tmp/server.log" >&2; }
    fi
}
stop_server() { kill "$1" 2>/dev/null; wait "$1" 2>/dev/null; }

# Pick a range whose 16 candidates for our tag are all free on 127.0.0.1.
tag=t$$
port_free() {
    python3 - "$1" <<'EOF'
import socket, sys
s = socket.socket()
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
EOF
}
found=
for try in 0 1 2 3 4 5 6 7 8 9; do
    low=$((20000 + (($$ + try * 7) % 12) * 1000))
    high=$((low + 999))
    set -- $($JC --list --tag "$tag" --ports "$low-$high" --count 16)
    all=yes
    for p in "$@"; do port_free "$p" || all=no; done
    [ $all = yes ] && [ $# -eq 16 ] && { found=yes; break; }
done
[ -n "$found" ] || { echo "1..0"; echo "Bail out! no free port range found"; exit 1; }
P1=$1 P2=$2 P3=$3 P4=$4 P5=$5 P6=$6
R="--ports $low-$high"
diag "tag $tag, range $low-$high, candidates $P1 $P2 $P3 $P4 $P5 $P6"

PLAN=60
echo "1..$PLAN"

# ---------------------------------------------------------------- --list, arguments
out=$($JC --list --tag "$tag" $R)
[ "$(printf '%s\n' "$out" | wc -l)" -eq 16 ]
is_ok $? "--list prints 16 candidates by default"
[ "$(printf '%s\n' "$out" | head -n 2 | tr '\n' ' ')" = "$P1 $P2 " ]
is_ok $? "--list starts with the same candidates"

bad_arg() { # bad_arg "what" expected-word args...
    what=$1 word=$2; shift 2
    $JC "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    if [ $rc -eq 2 ] && grep -q -e "$word" "$tmp/err" && [ ! -s "$tmp/out" ]; then
        ok "bad arguments ($what): exit 2, names $word"
    else
        nok "bad arguments ($what): exit 2, names $word (rc $rc)"
        diag "$(cat "$tmp/err")"
    fi
}
bad_arg "count 0" --count --tag 1 --count 0 h
bad_arg "count 65" --count --tag 1 --count 65 h
bad_arg "count abc" --count --tag 1 --count abc h
bad_arg "reversed range" --ports --tag 1 --ports 3000-2000 h
bad_arg "range 0" --ports --tag 1 --ports 0-10 h
bad_arg "tag with space" --tag --tag "a b" h
bad_arg "tag too long" --tag --tag aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa h
bad_arg "no tag" --tag h
bad_arg "no host" HOST --tag 1
bad_arg "two hosts" "unexpected argument 'h2'" --tag 1 h1 h2
bad_arg "unknown option" "--frob" --tag 1 --frob h
bad_arg "timeout abc" --timeout --tag 1 --timeout abc h
bad_arg "missing value" "--count: missing value" --tag 1 h --count
bad_arg "bad host" HOST --tag 1 'h;x'

# ---------------------------------------------------------------- relay mode
# candidate 1: another job's daemon; 2: nothing; 3: ours
start_server 127.0.0.1 "$P1" "SSH-2.0-dropbear_2025.89 jobssh-other.0"; s1=$last_server
start_server 127.0.0.1 "$P3" "SSH-2.0-dropbear_2025.89 jobssh-$tag"; s3=$last_server
printf 'ping\n' | timeout 20 $JC_RUN $JC --tag "$tag" $R --timeout 10 127.0.0.1 >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc -eq 0 ]
is_ok $? "relay: exit 0"
[ "$(head -n 1 "$tmp/out" | tr -d '\r')" = "SSH-2.0-dropbear_2025.89 jobssh-$tag" ]
is_ok $? "relay: stdout starts with our daemon's identification"
[ "$(sed -n 2p "$tmp/out")" = ping ]
is_ok $? "relay: the line sent comes back through the relay"
# "bye 5" is only sent once the server saw EOF: stdin's end was passed on
# with a half-close while the answer could still come back.
[ "$(sed -n 3p "$tmp/out")" = "bye 5" ]
is_ok $? "relay: half-close passes stdin's EOF, the answer still arrives"
[ ! -s "$tmp/err" ]
is_ok $? "relay: nothing on stderr"
[ -s "$tmp/err" ] && diag "$(cat "$tmp/err")"

# A bigger transfer both ways (more than the relay buffer, and stdout is a pipe).
python3 -c 'import sys; sys.stdout.buffer.write(b"x" * 300000 + b"\n")' >"$tmp/big"
timeout 20 $JC --tag "$tag" $R --timeout 10 127.0.0.1 <"$tmp/big" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc -eq 0 ] && [ "$(tail -n 1 "$tmp/out")" = "bye 300001" ] && [ "$(sed -n 2p "$tmp/out" | wc -c)" -eq 300001 ]
is_ok $? "relay: 300 kB echoed back intact"

# ---------------------------------------------------------------- fdpass mode
cat > "$tmp/fdrecv.py" <<'EOF'
import array, socket, subprocess, sys
# fdrecv.py CMD...: run CMD with stdin/stdout on a socketpair, receive one fd
# the way OpenSSH's ProxyUseFdpass does, print what it reads from it.
a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
p = subprocess.Popen(sys.argv[1:], stdin=b, stdout=b)
b.close()
fds = array.array("i")
msg, anc, flags, addr = a.recvmsg(1, socket.CMSG_SPACE(fds.itemsize))
for level, typ, data in anc:
    if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
        fds.frombytes(data[: len(data) - (len(data) % fds.itemsize)])
rc = p.wait(timeout=30)
print("rc=%d bytes=%d fds=%d" % (rc, len(msg), len(fds)))
if len(fds) == 1:
    s = socket.socket(fileno=fds[0])
    s.settimeout(10)
    print("nodelay=%d" % s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
    f = s.makefile("rb")
    print("banner=" + f.readline().decode().rstrip("\r\n"))
    s.sendall(b"hello\n")
    print("echo=" + f.readline().decode().rstrip("\n"))
EOF
timeout 30 python3 "$tmp/fdrecv.py" $JC_RUN $JC --fdpass --tag "$tag" $R --timeout 10 127.0.0.1 >"$tmp/out" 2>"$tmp/err"
grep -qx 'rc=0 bytes=1 fds=1' "$tmp/out"
is_ok $? "fdpass: exits 0 after passing one descriptor with one byte"
grep -qx "banner=SSH-2.0-dropbear_2025.89 jobssh-$tag" "$tmp/out"
is_ok $? "fdpass: the descriptor is connected to our daemon"
grep -qx "echo=hello" "$tmp/out"
is_ok $? "fdpass: the descriptor carries data both ways"
grep -qx "nodelay=1" "$tmp/out"
is_ok $? "fdpass: TCP_NODELAY is set on it"
[ -s "$tmp/err" ] && diag "$(cat "$tmp/err")"

$JC --fdpass --tag "$tag" $R --timeout 2 127.0.0.1 </dev/null >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc -eq 255 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q 'unix socket' "$tmp/err"
is_ok $? "fdpass with stdout not a socket: exit 255, one line"

# ---------------------------------------------------------------- only wrong daemons
stop_server "$s3"
start=$(date +%s%N)
$JC --tag "$tag" $R --timeout 1 127.0.0.1 </dev/null >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc -eq 255 ]
is_ok $? "only another job's daemon: exit 255"
grep -q "wrong daemon on $P1 (jobssh-other.0)" "$tmp/err"
is_ok $? "only another job's daemon: the error names it"
diag "$(cat "$tmp/err")"
stop_server "$s1"

# ---------------------------------------------------------------- slow, silent and split servers
# candidate 1 accepts and stays silent, candidate 2 sends its line in two
# pieces: the connector gives up on 1 after ~2 s and takes 2.
start_server 127.0.0.1 "$P1" x 0 silent; s1=$last_server
start_server 127.0.0.1 "$P2" "SSH-2.0-dropbear_2025.89 jobssh-$tag" 0 split; s2=$last_server
start=$(date +%s%N)
printf '' | timeout 20 $JC --tag "$tag" $R --timeout 10 127.0.0.1 >"$tmp/out" 2>"$tmp/err"
rc=$?
el=$((($(date +%s%N) - start) / 1000000))
[ $rc -eq 0 ] && grep -q "jobssh-$tag" "$tmp/out"
is_ok $? "silent server skipped, split identification matched"
[ $el -ge 1900 ] && [ $el -lt 6000 ]
is_ok $? "silent server costs about 2 s, not more ($el ms)"
stop_server "$s1"; stop_server "$s2"

# ---------------------------------------------------------------- a daemon that starts late
start_server 127.0.0.1 "$P2" "SSH-2.0-dropbear_2025.89 jobssh-$tag" 1
s2=$last_server
start=$(date +%s%N)
printf 'late\n' | timeout 20 $JC --tag "$tag" $R --timeout 10 127.0.0.1 >"$tmp/out" 2>"$tmp/err"
rc=$?
el=$((($(date +%s%N) - start) / 1000000))
[ $rc -eq 0 ] && [ "$(sed -n 2p "$tmp/out")" = late ]
is_ok $? "late daemon: the connector waits and gets through"
[ $el -ge 900 ] && [ $el -lt 8000 ]
is_ok $? "late daemon: found soon after it started ($el ms)"
stop_server "$s2"

# ---------------------------------------------------------------- no busy loop
# An idle connection, once with stdin at EOF (after the half-close only the
# socket is watched) and once with stdin open but silent: the relay sleeps.
start_server 127.0.0.1 "$P1" "SSH-2.0-dropbear_2025.89 jobssh-$tag" 0 idle; s1=$last_server
$JC --tag "$tag" $R --timeout 10 127.0.0.1 </dev/null >/dev/null 2>&1 &
r1=$!
sleep 3 | $JC --tag "$tag" $R --timeout 10 127.0.0.1 >/dev/null 2>&1 &
r2=$!
pids="$pids $r1 $r2"
sleep 1.5
cpu() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 9999; }
c1=$(cpu $r1) c2=$(cpu $r2)
[ "$c1" -le 10 ]
is_ok $? "idle relay with stdin at EOF uses no CPU ($c1 ticks in 1.5 s)"
[ "$c2" -le 10 ]
is_ok $? "idle relay with stdin open uses no CPU ($c2 ticks in 1.5 s)"
stop_server "$r1"; stop_server "$r2"; stop_server "$s1"

# ---------------------------------------------------------------- nobody there
start=$(date +%s%N)
$JC_RUN $JC --tag "$tag" $R --timeout 2 127.0.0.1 </dev/null >"$tmp/out" 2>"$tmp/err"
rc=$?
el=$((($(date +%s%N) - start) / 1000000))
[ $rc -eq 255 ]
is_ok $? "no daemon: exit 255"
[ $el -ge 1900 ] && [ $el -lt 5000 ]
is_ok $? "no daemon: gives up after the timeout ($el ms)"
[ "$(wc -l <"$tmp/err")" -eq 1 ]
is_ok $? "no daemon: one line on stderr"
grep -qx "jobssh-connect: no jobssh daemon for tag $tag on 127.0.0.1 (ports $low-$high, 16 candidates tried for 2 s): connection refused on all" "$tmp/err"
is_ok $? "no daemon: the line says what was tried"
diag "$(cat "$tmp/err")"
[ ! -s "$tmp/out" ]
is_ok $? "no daemon: nothing on stdout"
$JC --tag "$tag" $R --timeout 1 no-such-host.invalid </dev/null >/dev/null 2>"$tmp/err"
rc=$?
[ $rc -eq 255 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q 'cannot resolve no-such-host.invalid' "$tmp/err"
is_ok $? "unknown host: exit 255, one line naming it"

# ---------------------------------------------------------------- IPv6 loopback
if port_free "$P1" && python3 -c 'import socket; s=socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2>/dev/null; then
    start_server ::1 "$P1" "SSH-2.0-dropbear_2025.89 jobssh-$tag"; s1=$last_server
    printf 'v6\n' | timeout 20 $JC --tag "$tag" $R --timeout 5 ::1 >"$tmp/out" 2>"$tmp/err"
    [ $? -eq 0 ] && [ "$(sed -n 2p "$tmp/out")" = v6 ]
    is_ok $? "IPv6 loopback (::1)"
    stop_server "$s1"
else
    ok "# SKIP no IPv6 loopback"
fi

# ---------------------------------------------------------------- the ssh wrapper
mkdir -p "$tmp/wrap" "$tmp/wrap2" "$tmp/real" "$tmp/empty"
ln -s "$JC" "$tmp/wrap/ssh"
ln -s "$JC" "$tmp/wrap2/ssh"
cat > "$tmp/real/ssh" <<'EOF'
#!/bin/sh
printf '%s\n' "$0" "$@"
EOF
chmod +x "$tmp/real/ssh"
printf 'Host *\n' > "$tmp/ssh_config"

env JOBSSH_SSH_CONFIG="$tmp/ssh_config" PATH="$tmp/wrap:$tmp/wrap2:$tmp/real:/usr/bin:/bin" \
    ssh -o BatchMode=yes node2 "a b" '%s\n' '' >"$tmp/out" 2>"$tmp/err"
rc=$?
printf '%s\n' "$tmp/real/ssh" -F "$tmp/ssh_config" -o BatchMode=yes node2 "a b" '%s\n' '' >"$tmp/want"
[ $rc -eq 0 ] && [ "$(sed -n 2,3p "$tmp/out" | tr '\n' ' ')" = "-F $tmp/ssh_config " ]
is_ok $? "wrapper: runs the real ssh with -F <config> first"
cmp -s "$tmp/out" "$tmp/want"
is_ok $? "wrapper: 'a b', '%s\\n' and '' arrive intact, in order"
[ "$(head -n 1 "$tmp/out")" = "$tmp/real/ssh" ]
is_ok $? "wrapper: skipped its own directory and another link to itself"
[ -s "$tmp/err" ] && diag "$(cat "$tmp/err")"

# Invoked by absolute path too.
JOBSSH_SSH_CONFIG=$tmp/ssh_config PATH="$tmp/wrap:$tmp/real" "$tmp/wrap/ssh" host >"$tmp/out" 2>&1
[ "$(head -n 1 "$tmp/out")" = "$tmp/real/ssh" ]
is_ok $? "wrapper: works when started by its full path"

env -u JOBSSH_SSH_CONFIG PATH="$tmp/wrap:$tmp/real" "$tmp/wrap/ssh" host >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc -eq 255 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q JOBSSH_SSH_CONFIG "$tmp/err"
is_ok $? "wrapper: JOBSSH_SSH_CONFIG unset: exit 255, one line"

# An salloc command: the variables come from <JOBSSH_JOBS_DIR>/<job>/client/env.
mkdir -p "$tmp/jobs/42/client"
printf 'JOBSSH_SSH_CONFIG=%s\nPATH=/evil\nJOBSSH_TAG=42.extern\n' "$tmp/ssh_config" \
    >"$tmp/jobs/42/client/env"
env -u JOBSSH_SSH_CONFIG JOBSSH_JOBS_DIR="$tmp/jobs" SLURM_JOB_ID=42 PATH="$tmp/wrap:$tmp/real" \
    "$tmp/wrap/ssh" host >"$tmp/out" 2>"$tmp/err"
[ "$(sed -n 2,3p "$tmp/out" | tr '\n' ' ')" = "-F $tmp/ssh_config " ]
is_ok $? "wrapper: loads the job's client env file (salloc --ssh)"
env -u JOBSSH_SSH_CONFIG JOBSSH_JOBS_DIR="$tmp/jobs" SLURM_JOB_ID=43 PATH="$tmp/wrap:$tmp/real" \
    "$tmp/wrap/ssh" host >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc -eq 255 ] && grep -q "job 43 has no ssh set-up" "$tmp/err" && grep -q "submitted with --ssh" "$tmp/err"
is_ok $? "wrapper: a job without the env file: a clear error"
env -u JOBSSH_SSH_CONFIG JOBSSH_JOBS_DIR="$tmp/jobs" SLURM_JOB_ID="../42" PATH="$tmp/wrap:$tmp/real" \
    "$tmp/wrap/ssh" host >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc -eq 255 ] && grep -q "is not a job id" "$tmp/err"
is_ok $? "wrapper: a SLURM_JOB_ID that is not a number is refused"

# Only itself in PATH: no loop, no OpenSSH, no dbclient configured.
timeout 10 env -u JOBSSH_DBCLIENT JOBSSH_SSH_CONFIG="$tmp/ssh_config" \
    PATH="$tmp/wrap:$tmp/wrap2:$tmp/empty" "$tmp/wrap/ssh" host >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc -eq 255 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q 'no OpenSSH client' "$tmp/err"
is_ok $? "wrapper alone in PATH: exit 255 at once, no exec loop"
diag "$(cat "$tmp/err")"

# A copy of the wrapper (another inode) as the "real" ssh: the loop guard stops it.
cp "$JC" "$tmp/empty/ssh"
timeout 10 env JOBSSH_SSH_CONFIG="$tmp/ssh_config" PATH="$tmp/wrap:$tmp/empty" "$tmp/wrap/ssh" host >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc -eq 255 ] && grep -q 'exec loop' "$tmp/err"
is_ok $? "a copy of the wrapper further in PATH: stopped, exit 255"
rm -f "$tmp/empty/ssh"

# ---------------------------------------------------------------- the dbclient fallback
# The fake dbclient prints its arguments, its HOME, what stdin holds, and
# the first line read from the descriptor given as -J &N.
cat > "$tmp/dbclient" <<'EOF'
#!/bin/bash
for a in "$@"; do printf 'arg=%s\n' "$a"; done
printf 'home=%s\n' "$HOME"
prev=
for a in "$@"; do
    if [ "$prev" = -J ]; then
        fd=${a#&}
        IFS= read -r -t 10 -u "$fd" line
        printf 'fdline=%s\n' "${line%$'\r'}"
    fi
    prev=$a
done
IFS= read -r -t 2 stdin_line
printf 'stdin=%s\n' "$stdin_line"
EOF
chmod +x "$tmp/dbclient"
start_server 127.0.0.1 "$P2" "SSH-2.0-dropbear_2025.89 jobssh-$tag"; s2=$last_server
export JOBSSH_DBCLIENT=$tmp/dbclient JOBSSH_DBCLIENT_KEY=$tmp/id_dropbear
export JOBSSH_CONNECT_ARGS="--tag $tag $R --count 16 --timeout 10"
printf 'typed\n' | timeout 20 env JOBSSH_SSH_CONFIG="$tmp/ssh_config" PATH="$tmp/wrap:$tmp/empty" \
    JOBSSH_DBCLIENT_HOME="$tmp/home" ssh -x -y -F /etc/nothing -tt -p 2222 -oStrictHostKeyChecking=off -o ForwardX11=no \
    -n user@127.0.0.1 -q -- -c "a b" '%s\n' >"$tmp/out" 2>"$tmp/err"
rc=$?
args=$(sed -n 's/^arg=//p' "$tmp/out" | sed 's/^&[0-9][0-9]*$/\&N/' | tr '\n' '|')
want="-i|$tmp/id_dropbear|-o|BatchMode=yes|-t|-t|-p|2222|-o|StrictHostKeyChecking=no|-q|-J|&N|user@127.0.0.1| -c|a b|%s\\n|"
[ $rc -eq 0 ]
is_ok $? "dbclient fallback: exit 0"
[ "$args" = "$want" ]
is_ok $? "dbclient fallback: arguments translated (-x -y -F dropped, -o filtered, -J &fd added)"
[ "$args" = "$want" ] || diag "got  $args" "want $want" "$(cat "$tmp/err")"
grep -qx "fdline=SSH-2.0-dropbear_2025.89 jobssh-$tag" "$tmp/out"
is_ok $? "dbclient fallback: the -J descriptor is connected to our daemon"
grep -qx "stdin=" "$tmp/out"
is_ok $? "dbclient fallback: -n gives dbclient an empty stdin"
grep -qx "home=$tmp/home" "$tmp/out"
is_ok $? "dbclient fallback: JOBSSH_DBCLIENT_HOME becomes HOME"

# Invoked as dbclient: dbclient's syntax, -y kept, a user -J dropped.
ln -s "$JC" "$tmp/wrap/dbclient"
printf 'x\n' | timeout 20 "$tmp/wrap/dbclient" -y -J 'nc x 22' -W 65536 127.0.0.1/2222 uptime >"$tmp/out" 2>"$tmp/err"
rc=$?
args=$(sed -n 's/^arg=//p' "$tmp/out" | sed 's/^&[0-9][0-9]*$/\&N/' | tr '\n' '|')
want="-i|$tmp/id_dropbear|-o|BatchMode=yes|-y|-W|65536|-J|&N|127.0.0.1|uptime|"
[ $rc -eq 0 ] && [ "$args" = "$want" ]
is_ok $? "invoked as dbclient: dbclient syntax kept, its -J replaced"
[ "$args" = "$want" ] || diag "got  $args" "want $want" "$(cat "$tmp/err")"
grep -qx "fdline=SSH-2.0-dropbear_2025.89 jobssh-$tag" "$tmp/out"
is_ok $? "invoked as dbclient: connected to our daemon"

timeout 10 env JOBSSH_SSH_CONFIG="$tmp/ssh_config" PATH="$tmp/wrap:$tmp/empty" ssh -W h:22 127.0.0.1 >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc -eq 255 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q -- '-W' "$tmp/err"
is_ok $? "dbclient fallback: -W refused, exit 255, one line"
stop_server "$s2"

[ $n -eq $PLAN ] || diag "ran $n tests, planned $PLAN"
[ $failed -eq 0 ] && [ $n -eq $PLAN ]

