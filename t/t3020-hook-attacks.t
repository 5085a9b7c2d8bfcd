#!/bin/bash
# shellcheck disable=SC1091,SC2016,SC2034 # sharness: the test bodies are single-quoted strings

test_description='jobssh-hook attack matrix: annotated paths, the container user, the program and key directories'

. /usr/share/sharness/sharness.sh

jobssh_require CRUN
jobssh_make_images
test_cluster_up
jobssh_oci_prereq

jobssh_hook_vars t3020-$$
# Everything of this file under one root-owned directory of the cluster's
# state: the key bases, the program directories, the attackers' files.
S=$JOBSSH_CLUSTER_DIR/t3020
HOOKBASE=$S/base
HOOKRUN=$S/run
KEYS=$HOOKBASE/jstest1/.oci-hooks/ssh/keys

# refused_with TEXT...: the hook's stderr (err) has every TEXT, and "jobssh-hook:".
refused_with() {
    cat err &&
    grep "^jobssh-hook: " err &&
    for t in "$@"; do
        grep -F -- "$t" err || return 1
    done
}

# not_running ID: crun does not run container ID (it failed to start); removed.
not_running() {
    ! crun --root="$CRUN_ROOT" state "$1" 2>/dev/null | grep -q "\"running\"" &&
    { crun --root="$CRUN_ROOT" delete -f "$1" 2>/dev/null || true; }
}

# crun_refused ID TEXT...: start_container failed for ID, crun wrote the
# hook's stderr (ID.hook.err) naming every TEXT, the container does not run
# and nothing of the hook is left.
crun_refused() {
    local id=$1
    shift
    cp "$id.hook.err" err &&
    refused_with "$@" &&
    not_running "$id" &&
    nothing_left
}

# direct_refused VAR=VALUE MESSAGE: the hook's start stage run by hand with
# VAR=VALUE in its environment fails, says MESSAGE and leaves nothing.
direct_refused() {
    test_must_fail hook_direct "{\"com.hooks.ssh.enabled\":\"true\",\"org.jobssh.tag\":\"$TAG\"}" "$1" 2>err &&
        refused_with "$2" &&
        nothing_left
}

# no_supervisor: no supervisor of TAG runs.
no_supervisor() {
    ! pgrep -f "jobssh-sshd --container.*--tag $TAG" >/dev/null
}

# no_process_of USER: USER runs no jobssh program and no Dropbear (an exited
# one that init has not reaped yet does not count: it holds nothing).
no_process_of() {
    ! ps -u "$1" -o stat=,pid=,args= | awk '$1 !~ /^Z/' | grep -E "jobssh|dropbear"
}

# gone PATH: nothing (not even a dangling symlink) is at PATH.
gone() { ! test -e "$1" && ! test -L "$1"; }

# remember FILE, then unchanged FILE: FILE has the same checksum.
remember() { sha256sum "$1" >"$(echo "$1" | tr / _).sum"; }
unchanged() { sha256sum -c --quiet "$(echo "$1" | tr / _).sum"; }

# A 0600 public key line with a secret comment: if root read it for the
# user, the key would be accepted and the comment would show.
secret_key() {
    rm -f "$2.k" &&
    "$LIBEXEC/dropbearkey" -t ed25519 -f "$2.k" >/dev/null 2>&1 &&
    printf '%s %s\n' "$("$LIBEXEC/dropbearkey" -y -f "$2.k" | grep "^ssh-ed25519" | cut -d" " -f1-2)" "$1" >"$2" &&
    rm -f "$2.k"
}

test_expect_success CLUSTER,USERS,IMAGES,OCI 'set-up: key bases, keygen as jstest1, the attackers files, a running container' '
    rm -rf "$S" &&
    install -d -m 0755 -o root -g root "$S" "$HOOKBASE" "$HOOKRUN" &&
    install -d -m 0700 -o jstest1 -g jstest1 "$HOOKBASE/jstest1" &&
    run_as jstest1 env HOOK_BASE_DIR="$HOOKBASE" DROPBEAR_DIR="$LIBEXEC" "$HOOK" keygen &&
    test -f "$KEYS/authorized_keys" &&
    install -d -m 0755 -o jstest1 -g jstest1 "$S/j1" &&
    install -d -m 0755 -o jstest2 -g jstest2 "$S/j2" &&
    install -d -m 0755 -o root -g root "$S/rootdir" &&
    secret_key JSTEST2-SECRET "$S/j2/private.pub" &&
    chown jstest2:jstest2 "$S/j2/private.pub" && chmod 0600 "$S/j2/private.pub" &&
    secret_key ROOT-SECRET "$S/rootdir/root-only.pub" && chmod 0600 "$S/rootdir/root-only.pub" &&
    echo ROOT-OWNED >"$S/rootdir/root-owned" && chmod 0644 "$S/rootdir/root-owned" &&
    remember "$S/rootdir/root-owned" &&
    image_config busybox "$PWD/plain.json" sleep 600 &&
    run_in_node node1 root crun --root="$CRUN_ROOT" run -d --config "$PWD/plain.json" \
        --bundle "$(image_dir busybox)" plain1 </dev/null &&
    crun --root="$CRUN_ROOT" state plain1 | grep "\"running\""
'

# --- com.hooks.ssh.authorize_ssh_key: read as the user, never as root -------

test_expect_success CLUSTER,USERS,IMAGES,OCI 'authorize_ssh_key: a 0600 file of jstest2 is read as jstest1 and refused, through crun too; nothing leaks' '
    test_must_fail hook_direct "{\"com.hooks.ssh.enabled\":\"true\",\"org.jobssh.tag\":\"$TAG\",\"com.hooks.ssh.authorize_ssh_key\":\"$S/j2/private.pub\"}" 2>err &&
    refused_with "container plain1:" "couldn'\''t open $S/j2/private.pub as jstest1: Permission denied" &&
    ! grep JSTEST2-SECRET err &&
    nothing_left &&
    test_must_fail start_container node1 busybox ak1 "com.hooks.ssh.authorize_ssh_key=$S/j2/private.pub" &&
    crun_refused ak1 "container ak1:" "couldn'\''t open $S/j2/private.pub as jstest1: Permission denied" &&
    ! grep JSTEST2-SECRET err
'

test_expect_success CLUSTER,USERS,IMAGES,OCI 'authorize_ssh_key: /etc/shadow, a 0600 file of root and a symlink of jstest1 to it are refused; nothing leaks' '
    for f in /etc/shadow "$S/rootdir/root-only.pub"; do
        test_must_fail hook_direct "{\"com.hooks.ssh.enabled\":\"true\",\"org.jobssh.tag\":\"$TAG\",\"com.hooks.ssh.authorize_ssh_key\":\"$f\"}" 2>err &&
        refused_with "couldn'\''t open $f as jstest1: Permission denied" &&
        ! grep -e ROOT-SECRET -e "^root:" err &&
        nothing_left || return 1
    done &&
    ln -s "$S/rootdir/root-only.pub" "$S/j1/key.link" && chown -h jstest1:jstest1 "$S/j1/key.link" &&
    test_must_fail hook_direct "{\"com.hooks.ssh.enabled\":\"true\",\"org.jobssh.tag\":\"$TAG\",\"com.hooks.ssh.authorize_ssh_key\":\"$S/j1/key.link\"}" 2>err &&
    refused_with "couldn'\''t open $S/j1/key.link as jstest1: Permission denied" &&
    ! grep ROOT-SECRET err &&
    nothing_left
'

test_expect_success CLUSTER,USERS,IMAGES,OCI 'authorize_ssh_key: a readable file that holds no key (/etc/passwd) is refused without quoting it' '
    test_must_fail hook_direct "{\"com.hooks.ssh.enabled\":\"true\",\"org.jobssh.tag\":\"$TAG\",\"com.hooks.ssh.authorize_ssh_key\":\"/etc/passwd\"}" 2>err &&
    refused_with "/etc/passwd line 1 is not a public key" &&
    ! grep "root:" err &&
    nothing_left
'

# --- com.hooks.ssh.pidfile_host: written as the user, checked before the container starts

test_expect_success CLUSTER,USERS,IMAGES,OCI 'pidfile_host: a symlink of jstest1 to a root-owned file is refused, through crun too; the file is not written' '
    ln -s "$S/rootdir/root-owned" "$S/j1/pid.link" && chown -h jstest1:jstest1 "$S/j1/pid.link" &&
    test_must_fail hook_direct "{\"com.hooks.ssh.enabled\":\"true\",\"org.jobssh.tag\":\"$TAG\",\"com.hooks.ssh.pidfile_host\":\"$S/j1/pid.link\"}" 2>err &&
    refused_with "container plain1:" "pidfile_host $S/j1/pid.link is a symlink" &&
    unchanged "$S/rootdir/root-owned" &&
    test -L "$S/j1/pid.link" &&
    nothing_left &&
    test_must_fail start_container node1 busybox ph1 "com.hooks.ssh.pidfile_host=$S/j1/pid.link" &&
    crun_refused ph1 "container ph1:" "pidfile_host $S/j1/pid.link is a symlink" &&
    unchanged "$S/rootdir/root-owned"
'

test_expect_success CLUSTER,USERS,IMAGES,OCI 'pidfile_host: a root-owned file, a file in a root-owned directory and a FIFO are refused; nothing is written' '
    test_must_fail hook_direct "{\"com.hooks.ssh.enabled\":\"true\",\"org.jobssh.tag\":\"$TAG\",\"com.hooks.ssh.pidfile_host\":\"$S/rootdir/root-owned\"}" 2>err &&
    refused_with "pidfile_host $S/rootdir/root-owned: couldn'\''t open it as jstest1: Permission denied" &&
    unchanged "$S/rootdir/root-owned" &&
    nothing_left &&
    test_must_fail hook_direct "{\"com.hooks.ssh.enabled\":\"true\",\"org.jobssh.tag\":\"$TAG\",\"com.hooks.ssh.pidfile_host\":\"$S/rootdir/new.pid\"}" 2>err &&
    refused_with "pidfile_host $S/rootdir/new.pid: couldn'\''t open it as jstest1: Permission denied" &&
    gone "$S/rootdir/new.pid" &&
    nothing_left &&
    mkfifo "$S/j1/pid.fifo" && chown jstest1:jstest1 "$S/j1/pid.fifo" &&
    test_must_fail hook_direct "{\"com.hooks.ssh.enabled\":\"true\",\"org.jobssh.tag\":\"$TAG\",\"com.hooks.ssh.pidfile_host\":\"$S/j1/pid.fifo\"}" 2>err &&
    refused_with "pidfile_host $S/j1/pid.fifo is not a regular file" &&
    nothing_left
'

test_expect_success CLUSTER,USERS,IMAGES,OCI 'pidfile_host in a directory of jstest1: written as jstest1 with the daemon pid, removed at the end' '
    hook_direct "{\"com.hooks.ssh.enabled\":\"true\",\"org.jobssh.tag\":\"$TAG\",\"com.hooks.ssh.pidfile_host\":\"$S/j1/daemon.pid\"}" 2>err &&
    cat err &&
    wait_for 20 test -s "$S/j1/daemon.pid" &&
    test "$(stat -c %U "$S/j1/daemon.pid")" = jstest1 &&
    test "$(ps -o user= -p "$(cat "$S/j1/daemon.pid")")" = jstest1 &&
    ps -o args= -p "$(cat "$S/j1/daemon.pid")" | grep "dropbear.*jobssh-$TAG" &&
    sed "s/\"created\"/\"stopped\"/" state.json >stopped.json &&
    env -i HOOK_BASE_DIR="$HOOKBASE" DROPBEAR_DIR="$LIBEXEC" JOBSSH_HOOK_SETTINGS="rundir=$HOOKRUN" \
        "$HOOK" stop-ssh-daemon <stopped.json &&
    nothing_left &&
    wait_for 10 gone "$S/j1/daemon.pid"
'

# --- the container's user --------------------------------------------------

test_expect_success CLUSTER,USERS,IMAGES,OCI 'a container whose process runs as jstest2 while its bundle names jstest1 is refused' '
    HOOK_CONFIG_EDIT="config[\"process\"][\"user\"] = {\"uid\": 2002, \"gid\": 2002}
config[\"linux\"][\"uidMappings\"] = [{\"containerID\": 2002, \"hostID\": 2002, \"size\": 1}]
config[\"linux\"][\"gidMappings\"] = [{\"containerID\": 2002, \"hostID\": 2002, \"size\": 1}]
config[\"root\"][\"readonly\"] = True" \
    test_must_fail start_container node1 busybox us1 &&
    crun_refused us1 "container us1:" "runs as uid 2002, not as jstest1 (uid 2001)"
'

# A root runtime that gives the container no user namespace runs its process
# as root until it has set it up, after the hook: the hook cannot tell yet,
# the supervisor waits. The process executes its program as root: no daemon
# is started, the supervisor ends (its reason goes to syslog).
test_expect_success CLUSTER,USERS,IMAGES,OCI 'a container whose process runs as root while its bundle names jstest1 gets no daemon' '
    HOOK_CONFIG_EDIT="config[\"process\"][\"user\"] = {\"uid\": 0, \"gid\": 0}
config[\"linux\"][\"namespaces\"] = [n for n in config[\"linux\"][\"namespaces\"] if n[\"type\"] != \"user\"]
config[\"linux\"].pop(\"uidMappings\", None)
config[\"linux\"].pop(\"gidMappings\", None)
config[\"root\"][\"readonly\"] = True" \
    start_container node1 busybox us2 &&
    crun --root="$CRUN_ROOT" state us2 | grep "\"running\"" &&
    wait_for 10 no_supervisor &&
    ! pgrep -af "dropbear.*jobssh-$TAG" &&
    crun --root="$CRUN_ROOT" exec us2 test -d /proc/1 &&
    test_must_fail crun --root="$CRUN_ROOT" exec us2 test -e /dev/jobssh &&
    stop_container us2 &&
    nothing_left
'

# bundle_as DIR UID: a bundle (config.json only) of the busybox image whose
# process.user is UID, mapped to itself.
bundle_as() {
    install -d -m 0755 "$1" &&
    python3 -c '
import json, sys
image, out, uid = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(image + "/config.json") as f:
    config = json.load(f)
config["root"]["path"] = image + "/rootfs"
config["process"]["user"] = {"uid": uid, "gid": uid}
if uid == 0:
    config["linux"]["namespaces"] = [n for n in config["linux"]["namespaces"] if n["type"] != "user"]
    config["linux"].pop("uidMappings", None)
    config["linux"].pop("gidMappings", None)
else:
    for k in ("uidMappings", "gidMappings"):
        config["linux"][k] = [{"containerID": uid, "hostID": uid, "size": 1}]
with open(out + "/config.json", "w") as f:
    json.dump(config, f)
' "$(image_dir busybox)" "$1" "$2"
}

test_expect_success CLUSTER,USERS,IMAGES,OCI 'a bundle whose process.user is root is refused by the hook' '
    bundle_as "$S/bundle0" 0 &&
    HOOK_BUNDLE=$S/bundle0 test_must_fail hook_direct "{\"com.hooks.ssh.enabled\":\"true\",\"org.jobssh.tag\":\"$TAG\"}" 2>err &&
    refused_with "the container runs as root: jobssh-hook serves ssh for users only" &&
    nothing_left
'

test_expect_success CLUSTER,USERS,IMAGES,OCI 'a bundle naming jstest2 for a process of jstest1: without keys of jstest2 refused, with them refused by the supervisor' '
    bundle_as "$S/bundle2" 2002 &&
    HOOK_BUNDLE=$S/bundle2 test_must_fail hook_direct "{\"com.hooks.ssh.enabled\":\"true\",\"org.jobssh.tag\":\"$TAG\"}" 2>err &&
    refused_with "jstest2 has no ssh keys" "$HOOKBASE/jstest2" &&
    ! grep "$KEYS" err &&
    nothing_left &&
    install -d -m 0755 -o root -g root "$S/base2" &&
    install -d -m 0700 -o jstest2 -g jstest2 "$S/base2/jstest2" &&
    run_as jstest2 env HOOK_BASE_DIR="$S/base2" DROPBEAR_DIR="$LIBEXEC" "$HOOK" keygen &&
    HOOK_BUNDLE=$S/bundle2 test_must_fail hook_direct "{\"com.hooks.ssh.enabled\":\"true\",\"org.jobssh.tag\":\"$TAG\"}" \
        HOOK_BASE_DIR="$S/base2" 2>err &&
    refused_with "runs as uid 2001, not as jstest2 (uid 2002)" &&
    nothing_left
'

# --- DROPBEAR_DIR and the supervisor: root's, writable by nobody else -------

test_expect_success CLUSTER,USERS,IMAGES,OCI 'DROPBEAR_DIR owned by jstest2, world-writable or a symlink is refused, through crun too' '
    install -d -m 0755 -o jstest2 -g jstest2 "$S/db-j2" &&
    cp -pR "$LIBEXEC"/* "$S/db-j2/" &&
    install -d -m 0777 -o root -g root "$S/db-777" &&
    cp -pR "$LIBEXEC"/* "$S/db-777/" &&
    ln -s "$LIBEXEC" "$S/db-link" &&
    direct_refused DROPBEAR_DIR="$S/db-j2" "DROPBEAR_DIR: $S/db-j2 is owned by uid 2002, expected 0" &&
    direct_refused DROPBEAR_DIR="$S/db-777" "DROPBEAR_DIR: $S/db-777 is world-writable (mode 0777)" &&
    direct_refused DROPBEAR_DIR="$S/db-link" "DROPBEAR_DIR: $S/db-link is a symlink" &&
    LIBEXEC=$S/db-j2 test_must_fail start_container node1 busybox db1 &&
    crun_refused db1 "container db1:" "DROPBEAR_DIR: $S/db-j2 is owned by uid 2002, expected 0"
'

test_expect_success CLUSTER,USERS,IMAGES,OCI 'DROPBEAR_DIR of jstest2 without jobssh-sshd (as Sarus sets it to its Dropbear) is refused, not passed over' '
    install -d -m 0755 -o jstest2 -g jstest2 "$S/db-sarus" &&
    cp -p "$LIBEXEC/dropbear" "$S/db-sarus/" &&
    direct_refused DROPBEAR_DIR="$S/db-sarus" "DROPBEAR_DIR: $S/db-sarus is owned by uid 2002, expected 0"
'

test_expect_success CLUSTER,USERS,IMAGES,OCI 'a jobssh-sshd of jstest2 in a root-owned DROPBEAR_DIR is refused' '
    install -d -m 0755 -o root -g root "$S/db-prog" &&
    cp -pR "$LIBEXEC"/* "$S/db-prog/" &&
    chown jstest2:jstest2 "$S/db-prog/jobssh-sshd" &&
    direct_refused DROPBEAR_DIR="$S/db-prog" "the supervisor: $S/db-prog/jobssh-sshd is owned by uid 2002, expected 0"
'

# --- HOOK_BASE_DIR and the key directory ------------------------------------

# base_copy DIR OWNER MODE: a key base DIR (OWNER, MODE) holding a copy of
# jstest1's directory and keys, owners and modes kept.
base_copy() {
    install -d -m "$3" -o "$2" -g "$2" "$1" &&
    cp -a "$HOOKBASE/jstest1" "$1/"
}

test_expect_success CLUSTER,USERS,IMAGES,OCI 'HOOK_BASE_DIR owned by jstest2, world-writable or a symlink is refused (start and keygen)' '
    base_copy "$S/base-j2" jstest2 0755 &&
    base_copy "$S/base-777" root 0777 &&
    ln -s "$HOOKBASE" "$S/base-link" &&
    direct_refused HOOK_BASE_DIR="$S/base-j2" "HOOK_BASE_DIR: $S/base-j2 is owned by uid 2002, expected 0" &&
    direct_refused HOOK_BASE_DIR="$S/base-777" "HOOK_BASE_DIR: $S/base-777 is world-writable (mode 0777)" &&
    direct_refused HOOK_BASE_DIR="$S/base-link" "HOOK_BASE_DIR: $S/base-link is a symlink" &&
    test_must_fail run_as jstest1 env HOOK_BASE_DIR="$S/base-j2" DROPBEAR_DIR="$LIBEXEC" "$HOOK" keygen --overwrite 2>err &&
    refused_with "HOOK_BASE_DIR: $S/base-j2 is owned by uid 2002, expected 0"
'

test_expect_success CLUSTER,USERS,IMAGES,OCI 'a directory of jstest2 on the way to the keys of jstest1 is refused' '
    base_copy "$S/base-uj2" root 0755 &&
    chown jstest2:jstest2 "$S/base-uj2/jstest1/.oci-hooks" &&
    direct_refused HOOK_BASE_DIR="$S/base-uj2" "the ssh keys of jstest1 are refused" "$S/base-uj2/jstest1/.oci-hooks is owned by uid 2002" &&
    chown jstest1:jstest1 "$S/base-uj2/jstest1/.oci-hooks" &&
    chmod 0777 "$S/base-uj2/jstest1/.oci-hooks/ssh" &&
    direct_refused HOOK_BASE_DIR="$S/base-uj2" "the ssh keys of jstest1 are refused" "$S/base-uj2/jstest1/.oci-hooks/ssh is world-writable (mode 0777)"
'

test_expect_success CLUSTER,USERS,IMAGES,OCI 'a key directory that others can read is refused' '
    base_copy "$S/base-0755" root 0755 &&
    chmod 0755 "$S/base-0755/jstest1/.oci-hooks/ssh/keys" &&
    direct_refused HOOK_BASE_DIR="$S/base-0755" "$S/base-0755/jstest1/.oci-hooks/ssh/keys is not private to uid 2001 (owner 2001, mode 0755)"
'

test_expect_success CLUSTER,USERS,IMAGES,OCI 'a key directory pre-made by jstest1 as a symlink to a root directory: refused at start, keygen does not follow it' '
    base_copy "$S/base-kl" root 0755 &&
    cp -a "$S/base-kl/jstest1/.oci-hooks/ssh/keys" "$S/rootdir/keys" &&
    chown -R root:root "$S/rootdir/keys" &&
    rm -rf "$S/base-kl/jstest1/.oci-hooks/ssh/keys" &&
    ln -s "$S/rootdir/keys" "$S/base-kl/jstest1/.oci-hooks/ssh/keys" &&
    chown -h jstest1:jstest1 "$S/base-kl/jstest1/.oci-hooks/ssh/keys" &&
    (cd "$S/rootdir/keys" && ls -la --time-style=+ . && sha256sum ./*) >rootkeys.before &&
    direct_refused HOOK_BASE_DIR="$S/base-kl" "the ssh keys of jstest1 are refused" "$S/base-kl/jstest1/.oci-hooks/ssh/keys is a symlink" &&
    test_must_fail run_as jstest1 env HOOK_BASE_DIR="$S/base-kl" DROPBEAR_DIR="$LIBEXEC" "$HOOK" keygen 2>err &&
    refused_with "$S/base-kl/jstest1/.oci-hooks/ssh/keys is a symlink" &&
    test_must_fail run_as jstest1 env HOOK_BASE_DIR="$S/base-kl" DROPBEAR_DIR="$LIBEXEC" "$HOOK" keygen --overwrite 2>err &&
    refused_with "$S/base-kl/jstest1/.oci-hooks/ssh/keys exists and is not a directory" &&
    (cd "$S/rootdir/keys" && ls -la --time-style=+ . && sha256sum ./*) >rootkeys.after &&
    test_cmp rootkeys.before rootkeys.after &&
    test -L "$S/base-kl/jstest1/.oci-hooks/ssh/keys"
'

# --- com.hooks.ssh.pidfile_container: Dropbear writes it inside, as the user

test_expect_success CLUSTER,USERS,IMAGES,OCI 'pidfile_container through the image symlink /linuxrc (-> /bin/busybox): neither the host nor the image file is written' '
    remember "$(image_dir busybox)/rootfs/bin/busybox" &&
    if test -e /bin/busybox; then remember /bin/busybox; fi &&
    start_container node1 busybox pc1 com.hooks.ssh.pidfile_container=/linuxrc &&
    in_container pc1 2001 /dev/jobssh/bin/ssh node1 echo ok >out &&
    grep -x ok out &&
    unchanged "$(image_dir busybox)/rootfs/bin/busybox" &&
    if test -e /bin/busybox; then unchanged /bin/busybox; fi &&
    test -L "$(image_dir busybox)/rootfs/linuxrc" &&
    stop_container pc1 &&
    nothing_left &&
    test -L "$(image_dir busybox)/rootfs/linuxrc" &&
    unchanged "$(image_dir busybox)/rootfs/bin/busybox"
'

test_expect_success CLUSTER,USERS,IMAGES,OCI 'the end: the container without hooks goes; nothing of the hook is left; the attackers targets are unchanged' '
    stop_container plain1 &&
    nothing_left &&
    unchanged "$S/rootdir/root-owned" &&
    gone "$S/rootdir/new.pid" &&
    test -z "$(ls -A "$HOOKRUN/oci-hook" 2>/dev/null)" &&
    wait_for 10 no_process_of jstest1 &&
    no_process_of jstest2 &&
    rm -rf "$S"
'

test_done
