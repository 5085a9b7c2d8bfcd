#!/bin/bash
# TAP: the static Dropbear server and clients on 127.0.0.1, run as
# unprivileged users: key login with dbclient and the OpenSSH client, host
# key checking, refused keys, the identification comment (-C) and the
# single-user identity (-U) for a uid that has no passwd entry.
# Needs root (to create the test user and switch to it).
set -u

bindir=${DROPBEAR_BINDIR:-$(cd "$(dirname "$0")/.." && pwd)}
version=${DROPBEAR_VERSION:-}
setup_users=${JOBSSH_SETUP_USERS:-}
tuser=jstest1
plan=21

n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $*"; }
skip() {
    n=$((n + 1))
    if [ "${CI:-}" = true ]; then
        fails=$((fails + 1))
        echo "not ok $n - $2 (cannot run: $1; CI=true forbids skipping)"
    else
        echo "ok $n # SKIP $1"
    fi
}
check() { # check DESCRIPTION EXPECTED ACTUAL
    if [ "$2" = "$3" ]; then
        ok "$1"
    else
        not_ok "$1"
        printf '#   expected: %s\n#   got:      %s\n' "$2" "$3"
    fi
}
diag() { sed 's/^/# /' "$@" 2>/dev/null || true; }
bail() { echo "Bail out! $*"; exit 1; }

if [ "$(id -u)" -ne 0 ]; then
    if [ "${CI:-}" = true ]; then
        echo "1..1"
        echo "not ok 1 - loopback tests need root (to create and switch to $tuser); CI=true forbids skipping"
        exit 1
    fi
    echo "1..0 # SKIP needs root (to create and switch to the test user $tuser)"
    exit 0
fi
echo "1..$plan"

for p in dropbear dbclient dropbearkey dropbearconvert; do
    [ -x "$bindir/$p" ] || bail "$bindir/$p is missing (run make first)"
done
for c in setpriv timeout; do
    command -v $c >/dev/null 2>&1 || bail "$c is missing (Debian packages util-linux, coreutils)"
done

# ---- test user (the integration tests' helper when present, else inline)
if [ -n "$setup_users" ] && [ -x "$setup_users" ]; then
    "$setup_users" >/dev/null || bail "$setup_users failed"
elif ! getent passwd $tuser >/dev/null; then
    getent group $tuser >/dev/null || groupadd -g 2001 $tuser || bail "groupadd $tuser"
    useradd -u 2001 -g 2001 -d /home/$tuser -m -s /bin/bash $tuser || bail "useradd $tuser"
    usermod -p '*' $tuser || bail "usermod $tuser"
fi
uid1=$(id -u $tuser) || bail "no user $tuser"
gid1=$(id -g $tuser) || bail "no user $tuser"
home1=$(getent passwd $tuser | cut -d: -f6)

# A uid/gid without any passwd or group entry, for the -U tests.
nouid=
for cand in 2999 3999 4999 5999 6999 7999 8999 9999; do
    if ! getent passwd $cand >/dev/null && ! getent group $cand >/dev/null; then
        nouid=$cand
        break
    fi
done
[ -n "$nouid" ] || bail "no free uid for the single-user test"

# ---- temp tree. Dropbear requires every directory above authorized_keys to
# be owned by the user or root and not group/other-writable: a root-owned
# 0755 parent outside /tmp, user-owned 0700 subdirectories.
base=
for parent in /var/lib /var/cache /root; do
    [ -d "$parent" ] || continue
    base=$(mktemp -d "$parent/jobssh-dropbear-test.XXXXXX" 2>/dev/null) && break
done
[ -n "$base" ] || bail "cannot create a temp dir under /var/lib"
chmod 0755 "$base"

pids=
cleanup() {
    local pid _i
    for pid in $pids; do
        kill -TERM "$pid" 2>/dev/null
    done
    for pid in $pids; do
        for _i in $(seq 1 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    # backstop: no daemon of ours survives the test, whoever its parent is
    pkill -KILL -f "^$base/bin/dropbear " 2>/dev/null
    rm -rf "$base"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

mkdir -p "$base/bin"
for p in dropbear dbclient dropbearkey dropbearconvert; do
    cp "$bindir/$p" "$base/bin/$p" || bail "copy $p"
done
chmod 0755 "$base/bin"/*
# a login shell that is not listed in /etc/shells (for -U)
ln -s /bin/sh "$base/bin/unlisted-sh"
B=$base/bin

# run_as UID GID HOME CMD...: clean environment, no supplementary groups
run_as() {
    local u=$1 g=$2 h=$3
    shift 3
    (cd / && env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$h" LANG=C \
        setpriv --reuid="$u" --regid="$g" --clear-groups -- "$@")
}

# per-user tree: keys, authorized_keys dir, client home
make_tree() { # make_tree DIR UID GID
    local d=$1
    mkdir -p "$d/auth" "$d/home/.ssh" "$d/ossh" || return 1
    "$B/dropbearkey" -t ed25519 -f "$d/hostkey" -C host >/dev/null 2>&1 &&
    "$B/dropbearkey" -t ed25519 -f "$d/id" -C user >/dev/null 2>&1 &&
    "$B/dropbearkey" -t ed25519 -f "$d/id-wrong" -C wrong >/dev/null 2>&1 &&
    cp "$d/id.pub" "$d/auth/authorized_keys" &&
    "$B/dropbearconvert" dropbear openssh "$d/id" "$d/ossh/id_ed25519" >/dev/null 2>&1 || return 1
    chmod 0700 "$d" "$d/auth" "$d/home" "$d/home/.ssh" "$d/ossh"
    chmod 0600 "$d/auth/authorized_keys" "$d/ossh/id_ed25519"
    chown -R "$2:$3" "$d"
}
hostkey_line() { cut -d' ' -f1,2 "$1/hostkey.pub"; }

make_tree "$base/u1" "$uid1" "$gid1" || bail "key setup for $tuser"
make_tree "$base/nu" "$nouid" "$nouid" || bail "key setup for uid $nouid"

# start_server UID GID LOG ARGS...: start on a free port, set $port and $srv_pid.
# Retries on another port when the chosen one is busy (the server exits).
start_server() {
    local u=$1 g=$2 log=$3 _try _i pid
    shift 3
    for _try in $(seq 1 10); do
        port=$((20000 + RANDOM % 40000))
        # exec all the way down, so that $! is the daemon's own pid
        (cd / && exec env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/ LANG=C \
            setpriv --reuid="$u" --regid="$g" --clear-groups -- \
            "$B/dropbear" -F -E -s -p "127.0.0.1:$port" "$@") >"$log" 2>&1 &
        pid=$!
        for _i in $(seq 1 50); do
            kill -0 "$pid" 2>/dev/null || break
            if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
                pids="$pids $pid"
                srv_pid=$pid
                return 0
            fi
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    return 1
}

# read_banner PORT: the server's identification line, without CR
read_banner() {
    local line=
    exec 3<>"/dev/tcp/127.0.0.1/$1" || return 1
    IFS= read -r -t 5 line <&3
    exec 3<&- 3>&-
    printf '%s' "${line%$'\r'}"
}

stop_server() { # stop_server PID: TERM, then KILL after 5 s; 0 if TERM was enough
    local pid=$1 _i
    kill -TERM "$pid" 2>/dev/null || return 1
    for _i in $(seq 1 50); do
        if ! kill -0 "$pid" 2>/dev/null; then
            wait "$pid" 2>/dev/null
            return 0
        fi
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    return 1
}

u1=$base/u1
nu=$base/nu
dbc_opts=(-o StrictHostKeyChecking=yes -o BatchMode=yes)

# ---- server 1: jstest1, normal passwd lookup, with an ident comment
if start_server "$uid1" "$gid1" "$base/server1.log" \
        -r "$u1/hostkey" -D "$u1/auth" -P "$u1/pid" -C jobssh-test.42; then
    ok "server as $tuser accepts connections on 127.0.0.1:$port"
else
    not_ok "server as $tuser accepts connections"
    diag "$base/server1.log"
    bail "server did not start"
fi
port1=$port
pid1=$srv_pid
# dbclient's known_hosts is keyed by host name only
echo "127.0.0.1 $(hostkey_line "$u1")" > "$u1/home/.ssh/known_hosts"
echo "[127.0.0.1]:$port1 $(hostkey_line "$u1")" > "$u1/ossh/known_hosts"
chown "$uid1:$gid1" "$u1/home/.ssh/known_hosts" "$u1/ossh/known_hosts"

check "banner carries the -C comment" \
    "SSH-2.0-dropbear_$version jobssh-test.42" "$(read_banner "$port1")"

# shellcheck disable=SC2016
remote='printf "<%s>" "a b" "c'\''d" '\''$HOME'\'' "$(id -un):$(id -u)"'
out=$(run_as "$uid1" "$gid1" "$u1/home" timeout 20 "$B/dbclient" "${dbc_opts[@]}" -i "$u1/id" \
    -p "$port1" "$tuser@127.0.0.1" "$remote" 2>"$base/c.err")
check "dbclient runs a quoted command as $tuser (strict host key check)" \
    "<a b><c'd><\$HOME><$tuser:$uid1>" "$out"
[ "$out" = "<a b><c'd><\$HOME><$tuser:$uid1>" ] || diag "$base/c.err"

run_as "$uid1" "$gid1" "$u1/home" timeout 20 "$B/dbclient" "${dbc_opts[@]}" -i "$u1/id" \
    -p "$port1" "$tuser@127.0.0.1" 'exit 7' >/dev/null 2>&1
check "remote exit status reaches dbclient" 7 "$?"

out=$(run_as "$uid1" "$gid1" "$u1/home" timeout 20 "$B/dbclient" "${dbc_opts[@]}" -i "$u1/id-wrong" \
    -p "$port1" "$tuser@127.0.0.1" 'echo LOGGED-IN' 2>&1)
rc=$?
if [ $rc -ne 0 ] && [ "${out#*LOGGED-IN}" = "$out" ]; then
    ok "a key not in authorized_keys is refused"
else
    not_ok "a key not in authorized_keys is refused (rc $rc: $out)"
fi
if grep -q "Pubkey auth refused for '$tuser' with ssh-ed25519 key SHA256:.* from 127.0.0.1:[0-9]*: not an authorized key" \
        "$base/server1.log"; then
    ok "the refused key is logged with its fingerprint"
else
    not_ok "the refused key is logged with its fingerprint"
    diag "$base/server1.log"
fi

# unknown host key, no -y: refused
mkdir -p "$u1/home2/.ssh" && : > "$u1/home2/.ssh/known_hosts"
chown -R "$uid1:$gid1" "$u1/home2" && chmod 0700 "$u1/home2"
out=$(run_as "$uid1" "$gid1" "$u1/home2" timeout 20 "$B/dbclient" "${dbc_opts[@]}" -i "$u1/id" \
    -p "$port1" "$tuser@127.0.0.1" 'echo LOGGED-IN' </dev/null 2>&1)
rc=$?
if [ $rc -ne 0 ] && [ "${out#*LOGGED-IN}" = "$out" ]; then
    ok "an unknown host key is refused with StrictHostKeyChecking=yes"
else
    not_ok "an unknown host key is refused with StrictHostKeyChecking=yes (rc $rc: $out)"
fi

# OpenSSH client with the key converted by dropbearconvert
if command -v ssh >/dev/null 2>&1; then
    out=$(run_as "$uid1" "$gid1" "$home1" timeout 20 ssh -F none \
        -o UserKnownHostsFile="$u1/ossh/known_hosts" -o GlobalKnownHostsFile=/dev/null \
        -o StrictHostKeyChecking=yes -o BatchMode=yes -o UpdateHostKeys=no \
        -o IdentitiesOnly=yes -o IdentityFile="$u1/ossh/id_ed25519" \
        -p "$port1" "$tuser@127.0.0.1" "$remote" 2>"$base/ssh.err")
    check "OpenSSH client logs in with the dropbearconvert'ed key" \
        "<a b><c'd><\$HOME><$tuser:$uid1>" "$out"
    [ "$out" = "<a b><c'd><\$HOME><$tuser:$uid1>" ] || diag "$base/ssh.err"
    # a forced pty with stdin at EOF still shows the program's output
    out=$(run_as "$uid1" "$gid1" "$home1" timeout 20 ssh -F none -tt \
        -o UserKnownHostsFile="$u1/ossh/known_hosts" -o GlobalKnownHostsFile=/dev/null \
        -o StrictHostKeyChecking=yes -o BatchMode=yes -o UpdateHostKeys=no \
        -o IdentitiesOnly=yes -o IdentityFile="$u1/ossh/id_ed25519" -o LogLevel=ERROR \
        -p "$port1" "$tuser@127.0.0.1" 'echo PTY-OUT; tty' </dev/null 2>"$base/ssh.err" | tr -d '\r')
    case $out in
        "PTY-OUT"*"/dev/pts/"*) ok "ssh -tt with stdin at EOF gets the output of a pty session" ;;
        *) not_ok "ssh -tt with stdin at EOF gets the output of a pty session"
           printf '%s\n' "$out" | sed 's/^/# /'
           diag "$base/ssh.err" ;;
    esac
else
    skip "ssh (Debian package openssh-client) is not installed" "OpenSSH client login"
    skip "ssh (Debian package openssh-client) is not installed" "ssh -tt pty session"
fi

# ---- option validation
out=$(run_as "$uid1" "$gid1" / timeout 10 "$B/dropbear" -F -E -p 127.0.0.1:1 \
    -r "$u1/hostkey" -C 'two words' 2>&1)
rc=$?
case "$rc:$out" in
    0:* | 124:*) not_ok "-C with a space is refused (rc $rc)" ;;
    *"Bad -C comment"*) ok "-C with a space is refused" ;;
    *) not_ok "-C with a space is refused ($out)" ;;
esac
long=$(printf 'x%.0s' $(seq 1 65))
out=$(run_as "$uid1" "$gid1" / timeout 10 "$B/dropbear" -F -E -p 127.0.0.1:1 \
    -r "$u1/hostkey" -C "$long" 2>&1)
rc=$?
case "$rc:$out" in
    0:* | 124:*) not_ok "-C longer than 64 characters is refused (rc $rc)" ;;
    *"Bad -C comment"*) ok "-C longer than 64 characters is refused" ;;
    *) not_ok "-C longer than 64 characters is refused ($out)" ;;
esac
out=$(cd / && timeout 10 "$B/dropbear" -F -E -p 127.0.0.1:1 -r "$u1/hostkey" \
    -U "root:/root:/bin/sh" 2>&1)
rc=$?
case "$rc:$out" in
    0:* | 124:*) not_ok "-U is refused as root (rc $rc)" ;;
    *"refused when running as root"*) ok "-U is refused as root" ;;
    *) not_ok "-U is refused as root ($out)" ;;
esac
out=$(run_as "$uid1" "$gid1" / timeout 10 "$B/dropbear" -F -E -p 127.0.0.1:1 \
    -r "$u1/hostkey" -U "nameonly" 2>&1)
rc=$?
case "$rc:$out" in
    0:* | 124:*) not_ok "malformed -U is refused (rc $rc)" ;;
    *"Bad -U argument"*) ok "malformed -U is refused" ;;
    *) not_ok "malformed -U is refused ($out)" ;;
esac

# ---- server 2: uid $nouid without passwd entry, -U identity
if start_server "$nouid" "$nouid" "$base/server2.log" \
        -r "$nu/hostkey" -D "$nu/auth" -P "$nu/pid" -C jobssh-test.nu \
        -U "jsnouser:$nu/home:$B/unlisted-sh"; then
    ok "server as uid $nouid (no passwd entry) with -U accepts connections"
else
    not_ok "server as uid $nouid (no passwd entry) with -U accepts connections"
    diag "$base/server2.log"
    bail "server 2 did not start"
fi
port2=$port
pid2=$srv_pid
echo "127.0.0.1 $(hostkey_line "$nu")" > "$nu/home/.ssh/known_hosts"
chown "$nouid:$nouid" "$nu/home/.ssh/known_hosts"

check "banner of the -U server carries its comment" \
    "SSH-2.0-dropbear_$version jobssh-test.nu" "$(read_banner "$port2")"

# shellcheck disable=SC2016
out=$(run_as "$nouid" "$nouid" "$nu/home" timeout 20 "$B/dbclient" "${dbc_opts[@]}" -i "$nu/id" \
    -p "$port2" "jsnouser@127.0.0.1" 'echo "$USER|$(id -u)|$HOME|$SHELL|$(pwd)"' \
    2>"$base/c2.err")
check "-U login for a uid without passwd entry (name, uid, home, unlisted shell)" \
    "jsnouser|$nouid|$nu/home|$B/unlisted-sh|$nu/home" "$out"
[ "$out" = "jsnouser|$nouid|$nu/home|$B/unlisted-sh|$nu/home" ] || diag "$base/c2.err" "$base/server2.log"

out=$(run_as "$nouid" "$nouid" "$nu/home" timeout 20 "$B/dbclient" "${dbc_opts[@]}" -i "$nu/id" \
    -p "$port2" "$tuser@127.0.0.1" 'echo LOGGED-IN' 2>&1)
rc=$?
if [ $rc -ne 0 ] && [ "${out#*LOGGED-IN}" = "$out" ]; then
    ok "-U refuses any other user name"
else
    not_ok "-U refuses any other user name (rc $rc: $out)"
fi
if grep -q "Login attempt as '$tuser' refused: this server logs in only 'jsnouser', from 127.0.0.1:" \
        "$base/server2.log"; then
    ok "-U logs the refused user name"
else
    not_ok "-U logs the refused user name"
    diag "$base/server2.log"
fi

# a pty session (the server sets the pty owner without a passwd lookup)
if command -v script >/dev/null 2>&1; then
    out=$(run_as "$nouid" "$nouid" "$nu/home" timeout 20 script -qec \
        "$B/dbclient ${dbc_opts[*]} -t -i $nu/id -p $port2 jsnouser@127.0.0.1 'tty; stat -c %u /proc/self/fd/0'" \
        /dev/null </dev/null 2>&1 | tr -d '\r\000')
    case $out in
        *"/dev/pts/"*"$nouid"*) ok "-U pty session gets a tty owned by uid $nouid" ;;
        *) not_ok "-U pty session gets a tty owned by uid $nouid"
           printf '%s\n' "$out" | sed 's/^/# /'
           diag "$base/server2.log" ;;
    esac
else
    skip "script (Debian package bsdutils) is not installed" "-U pty session"
fi

# ---- stop
if stop_server "$pid1"; then ok "server 1 stops on SIGTERM"; else not_ok "server 1 stops on SIGTERM"; fi
if stop_server "$pid2"; then ok "server 2 stops on SIGTERM"; else not_ok "server 2 stops on SIGTERM"; fi
pids=

[ "$n" -eq "$plan" ] || echo "# planned $plan tests, ran $n"
[ "$fails" -eq 0 ]
