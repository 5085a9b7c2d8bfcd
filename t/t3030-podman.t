#!/bin/bash
# shellcheck disable=SC1091,SC2016,SC2034  # sharness: sourced, test bodies in single quotes

test_description='jobssh-hook with rootful podman and the shipped hooks.d files: ssh between containers on two nodes, no annotation, stop and rm, bad input'

. /usr/share/sharness/sharness.sh

jobssh_require PODMAN
jobssh_make_images
test_cluster_up
# Rootful podman runs crun, which needs the cgroup layout the cluster makes
# for Slurm's OCI containers (cluster/jobssh-cluster: hugetlb out of the v2
# hierarchy).
jobssh_oci_prereq

jobssh_hook_vars t3030-$$
# podman's own state (storage, run and tmp dirs, network configurations):
# nothing in /var/lib/containers or /run/libpod. A short path without spaces
# (conmon's socket paths are bounded; the trash directory's name has a space).
PODMAN_DIR=$JOBSSH_CLUSTER_DIR/podman-t3030
HOOKSD=$PODMAN_DIR/hooks.d
# The containers' cgroups (cgroupfs: no systemd here), removed at the end.
CGPARENT=jobssh-test-podman
SHIPPED=$JOBSSH_TEST_SRCDIR/../etc/oci-hooks.d

# pm ARGS...: podman with the state above, the rendered hooks.d and no
# systemd (cgroupfs, events in a file). Its containers.conf drops podman's
# default sysctl (net.ipv4.ping_group_range): the containers join the nodes'
# network namespaces, whose settings are not theirs to change.
pm() {
    CONTAINERS_CONF=$PODMAN_DIR/containers.conf podman --root="$PODMAN_DIR/storage" --runroot="$PODMAN_DIR/run" --tmpdir="$PODMAN_DIR/tmp" \
        --network-config-dir="$PODMAN_DIR/net.d" --storage-driver=vfs \
        --cgroup-manager=cgroupfs --events-backend=file --hooks-dir="$HOOKSD" "$@"
}

# limit OPT: the hard limit of ulimit -OPT, at most 4096. podman's default
# nofile and nproc limits are above this machine's hard limits, and crun
# cannot raise them (setrlimit: Operation not permitted): give it lower ones.
limit() {
    local h
    h=$(ulimit -H"$1")
    if [ "$h" = unlimited ] || [ "$h" -gt 4096 ]; then h=4096; fi
    echo "$h"
}

# render_hooks DIR: the shipped etc/oci-hooks.d/*.json.in with the
# substitutions of etc/Makefile.am (the cluster's programs for
# @pkglibexecdir@, HOOKBASE for @hookbasedir@), plus one environment entry,
# the hook's rundir; nothing else changes.
render_hooks() {
    local dir=$1 f out
    install -d -m 0755 "$dir" || return 1
    for f in "$SHIPPED"/*.json.in; do
        out=$dir/$(basename "$f" .in)
        sed -e "s|@pkglibexecdir@|$LIBEXEC|g" -e "s|@hookbasedir@|$HOOKBASE|g" "$f" >"$out.sed" &&
        python3 - "$out.sed" "$out" "JOBSSH_HOOK_SETTINGS=rundir=$HOOKRUN" <<'EOF' || return 1
import json, sys
src, out, env = sys.argv[1:4]
with open(src) as f:
    hook = json.load(f)
hook["hook"]["env"].append(env)
with open(out, "w") as f:
    json.dump(hook, f, indent=4)
EOF
        rm -f "$out.sed"
    done
}

# pm_start NODE IMAGE NAME [PODMAN-RUN-OPTION...]: run `sleep 600` detached
# as jstest1 in a container of IMAGE's rootfs (an overlay: nothing is written
# into the image cache) in NODE's network and UTS namespaces, with the tag
# and hosts annotations; the caller adds com.hooks.ssh.enabled.
pm_start() {
    local node=$1 image=$2 name=$3
    shift 3
    pm run -d --name "$name" --user 2001:2001 \
        --network "ns:$JOBSSH_CLUSTER_DIR/ns/$node.net" --uts "ns:$JOBSSH_CLUSTER_DIR/ns/$node.uts" \
        --no-hosts -v /etc/hosts:/etc/hosts:ro --cgroup-parent="/$CGPARENT" \
        --ulimit "nofile=$(limit n):$(limit n)" --ulimit "nproc=$(limit u):$(limit u)" \
        --annotation "org.jobssh.tag=$TAG" --annotation "org.jobssh.hosts=node[1-2]" \
        "$@" --rootfs "$(image_dir "$image")/rootfs:O" sleep 600 </dev/null
}

# in_pm NAME CMD...: run CMD in container NAME as jstest1.
in_pm() {
    local name=$1
    shift
    pm exec --user 2001:2001 "$name" "$@"
}

# pm_hooks NAME: the hooks of the OCI configuration podman gave NAME's runtime.
pm_hooks() {
    python3 -c 'import json, sys; print(json.dumps(json.load(open(sys.argv[1])).get("hooks", {})))' \
        "$(pm inspect --format '{{.OCIConfigPath}}' "$1")"
}

# pm_pid NAME: the host pid of NAME's process.
pm_pid() {
    pm inspect --format '{{.State.Pid}}' "$1"
}

# host_net: the host's network state podman must not touch.
host_net() {
    echo "netns:" && ip -all netns &&
    echo "links:" && ip -o link show | sed -E 's/^[0-9]+: ([^:@]+).*/\1/' | sort &&
    echo "nft:" && nft list ruleset
}

test_expect_success CLUSTER,IMAGES,OCI,PODMAN 'set-up: keys, podman state, the shipped hooks.d files rendered for the cluster' '
    host_net >"$SHARNESS_TRASH_DIRECTORY/net.before" &&
    hook_keygen jstest1 &&
    rm -rf "$PODMAN_DIR" &&
    install -d -m 0700 "$PODMAN_DIR" &&
    printf "[containers]\ndefault_sysctls = []\n" >"$PODMAN_DIR/containers.conf" &&
    render_hooks "$HOOKSD" &&
    cat "$HOOKSD"/*.json &&
    grep -F "\"path\": \"$LIBEXEC/jobssh-hook\"" "$HOOKSD/jobssh-start.json" &&
    grep -F "HOOK_BASE_DIR=$HOOKBASE" "$HOOKSD/jobssh-stop.json" &&
    grep -F "^com\\\\.hooks\\\\.ssh\\\\.enabled$" "$HOOKSD/jobssh-start.json" &&
    pm version
'

test_expect_success CLUSTER,IMAGES,OCI,PODMAN 'a busybox container on node1 and a Debian one on node2 get ssh' '
    pm_start node1 busybox pb1 --annotation com.hooks.ssh.enabled=true &&
    pm_start node2 minbase pm2 --annotation com.hooks.ssh.enabled=true &&
    pm_hooks pb1 >hooks &&
    cat hooks &&
    grep -F "$LIBEXEC/jobssh-hook" hooks &&
    in_pm pb1 cat /proc/sys/kernel/hostname >out && grep -x node1 out &&
    in_pm pm2 cat /proc/sys/kernel/hostname >out && grep -x node2 out &&
    in_pm pb1 ls /dev/jobssh/ssh_config /dev/jobssh/libexec/dropbear &&
    in_pm pm2 ls /dev/jobssh/ssh_config &&
    pgrep -af "jobssh-sshd --container.*--tag $TAG"
'

test_expect_success CLUSTER,IMAGES,OCI,PODMAN 'ssh node2 from the busybox container lands in the Debian container' '
    in_pm pb1 /dev/jobssh/bin/ssh node2 cat /etc/os-release >out &&
    cat out &&
    grep -x "ID=debian" out
'

test_expect_success CLUSTER,IMAGES,OCI,PODMAN 'ssh node1 from the Debian container lands in the busybox container' '
    in_pm pm2 ssh -F /dev/jobssh/ssh_config node1 "cat /etc/os-release; id -u" >out &&
    cat out &&
    grep -x "ID=jobssh-busybox" out && grep -x 2001 out
'

test_expect_success CLUSTER,IMAGES,OCI,PODMAN 'a container without the annotation: no hook in its configuration, no daemon' '
    pm_start node1 busybox off1 --annotation org.jobssh.tag=$TAG-off &&
    pm_hooks off1 >hooks &&
    cat hooks &&
    ! grep -F jobssh-hook hooks &&
    ! pgrep -af "jobssh-sshd --container.*--tag $TAG-off" &&
    test_must_fail in_pm off1 ls /dev/jobssh &&
    ! test -e "$HOOKRUN/oci-hook/$(pm inspect --format "{{.ID}}" off1)" &&
    pm rm -f -t 0 off1
'

test_expect_success CLUSTER,IMAGES,OCI,PODMAN 'podman stop and rm (poststop): no supervisor, daemon, record or session is left' '
    marker=jobssh-session-$TAG &&
    pm exec -d --user 2001:2001 pm2 ssh -F /dev/jobssh/ssh_config node1 "sleep 600; : $marker" &&
    pidns=$(readlink /proc/$(pm_pid pb1)/ns/pid) &&
    session_in_pb1() {
        for p in $(pgrep -f "sleep 600; : $marker"); do
            [ "$(readlink /proc/$p/ns/pid)" = "$pidns" ] && return 0
        done
        return 1
    } &&
    wait_for 20 session_in_pb1 &&
    ls "$HOOKRUN/oci-hook" >records &&
    test "$(wc -l <records)" = 2 &&
    pm stop -t 1 pb1 &&
    pm rm pb1 &&
    pm stop -t 1 pm2 &&
    pm rm pm2 &&
    nothing_left &&
    ! pgrep -af "$marker"
'

# podman shows crun's word on a failed hook, not the hook's stderr (nor does
# it keep it); crun's annotation run.oci.hooks.stderr puts that in a file.
test_expect_success CLUSTER,IMAGES,OCI,PODMAN 'a bad port annotation: podman run fails at the hook, which says why' '
    rm -f "$PODMAN_DIR/hook.err" &&
    test_must_fail pm_start node1 busybox bad1 --annotation com.hooks.ssh.enabled=true \
        --annotation com.hooks.ssh.port=notaport \
        --annotation run.oci.hooks.stderr="$PODMAN_DIR/hook.err" 2>err &&
    cat err "$PODMAN_DIR/hook.err" &&
    grep -F "error executing hook \`$HOOK\`" err &&
    grep "com.hooks.ssh.port=.notaport. is not a port" "$PODMAN_DIR/hook.err" &&
    ! pm ps --format "{{.Names}}" | grep -x bad1 &&
    { pm rm -f -t 0 bad1 || true; } &&
    nothing_left
'

test_expect_success CLUSTER,IMAGES,OCI,PODMAN 'podman leaves no container, mount, cgroup, network namespace, link or nftables rule' '
    pm ps -a --format "{{.Names}}" >ps &&
    test_must_be_empty ps &&
    ! grep -F "$PODMAN_DIR" /proc/mounts &&
    for d in /sys/fs/cgroup/*/"$CGPARENT"; do
        if [ -d "$d" ]; then find "$d" -depth -type d -exec rmdir {} + || return 1; fi
    done &&
    rm -rf "$PODMAN_DIR" &&
    host_net >net.after &&
    test_cmp "$SHARNESS_TRASH_DIRECTORY/net.before" net.after
'

test_done
