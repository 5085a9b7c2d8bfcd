#!/bin/bash

test_description='jobssh-hook with crun: ssh between containers on two nodes, in each image, poststop, bad input'

. /usr/share/sharness/sharness.sh

jobssh_require CRUN
jobssh_make_images
test_cluster_up
jobssh_oci_prereq

jobssh_hook_vars t3000-$$

test_expect_success CLUSTER,IMAGES,OCI 'set-up: the key base directory, keygen as the user' '
    hook_keygen jstest1
'

test_expect_success CLUSTER,IMAGES,OCI 'a busybox container on node1 and a Debian one on node2 get ssh' '
    start_container node1 busybox bb1 &&
    start_container node2 minbase mb2 &&
    in_container bb1 2001 ls /dev/jobssh/ssh_config /dev/jobssh/libexec/dropbear &&
    in_container mb2 2001 ls /dev/jobssh/ssh_config
'

test_expect_success CLUSTER,IMAGES,OCI 'ssh node1 from the Debian container lands in the busybox container' '
    in_container mb2 2001 ssh -F /dev/jobssh/ssh_config node1 cat /etc/os-release >out &&
    grep -x "ID=jobssh-busybox" out
'

test_expect_success CLUSTER,IMAGES,OCI 'ssh node2 from the busybox container (no ssh client: the wrapper runs dbclient) lands in the Debian container' '
    in_container bb1 2001 /dev/jobssh/bin/ssh node2 cat /etc/os-release >out &&
    grep -x "ID=debian" out
'

test_expect_success CLUSTER,IMAGES,OCI 'a session has no capabilities and a pty when asked' '
    in_container mb2 2001 ssh -F /dev/jobssh/ssh_config node1 \
        "grep -E \"^(CapEff|NoNewPrivs)\" /proc/self/status; id -u" >out &&
    grep -x "CapEff:	0000000000000000" out && grep -x "NoNewPrivs:	1" out && grep -x 2001 out &&
    in_container mb2 2001 ssh -tt -F /dev/jobssh/ssh_config node1 tty </dev/null >out &&
    grep "^/dev/pts/" out
'

test_expect_success CLUSTER,IMAGES,OCI 'poststop: the daemon, the supervisor and the record go' '
    stop_container bb1 &&
    stop_container mb2 &&
    nothing_left
'

test_expect_success CLUSTER,IMAGES,OCI 'a read-only image gets ssh too' '
    start_container node1 minbase-ro ro1 &&
    in_container ro1 2001 ssh -F /dev/jobssh/ssh_config node1 "touch /x" 2>err;
    grep "Read-only file system" err &&
    stop_container ro1 &&
    nothing_left
'

test_expect_success CLUSTER,IMAGES,OCI 'a bad port annotation: the container does not start; the hook says why' '
    test_must_fail start_container node1 busybox bad1 com.hooks.ssh.port=notaport &&
    ! crun --root="$CRUN_ROOT" state bad1 2>/dev/null | grep -q "\"running\"" &&
    { crun --root="$CRUN_ROOT" delete -f bad1 2>/dev/null || true; } &&
    image_config busybox "$PWD/plain.json" sleep 600 &&
    run_in_node node1 root crun --root="$CRUN_ROOT" run -d --config "$PWD/plain.json" \
        --bundle "$(image_dir busybox)" plain1 </dev/null &&
    test_must_fail hook_direct "{\"com.hooks.ssh.enabled\":\"true\",\"com.hooks.ssh.port\":\"notaport\"}" 2>err &&
    cat err &&
    grep "com.hooks.ssh.port" err &&
    nothing_left
'

test_expect_success CLUSTER,IMAGES,OCI 'a user without keys: the hook fails and says to run keygen' '
    install -d -m 0755 -o root -g root "$HOOKBASE.nokeys" &&
    install -d -m 0700 -o jstest1 -g jstest1 "$HOOKBASE.nokeys/jstest1" &&
    test_must_fail hook_direct "{\"com.hooks.ssh.enabled\":\"true\"}" HOOK_BASE_DIR="$HOOKBASE.nokeys" 2>err &&
    cat err &&
    grep "keygen" err &&
    nothing_left
'

test_expect_success CLUSTER,IMAGES,OCI 'the hook started by hand serves a running container; stop-ssh-daemon ends it' '
    hook_direct "{\"com.hooks.ssh.enabled\":\"true\",\"org.jobssh.tag\":\"$TAG\"}" 2>err &&
    cat err &&
    in_container plain1 2001 /dev/jobssh/bin/ssh node1 echo ok >out &&
    grep -x ok out &&
    sed "s/\"created\"/\"stopped\"/" state.json >stopped.json &&
    env -i HOOK_BASE_DIR="$HOOKBASE" DROPBEAR_DIR="$LIBEXEC" JOBSSH_HOOK_SETTINGS="rundir=$HOOKRUN" \
        "$HOOK" stop-ssh-daemon <stopped.json &&
    nothing_left &&
    stop_container plain1
'

test_expect_success CLUSTER,USERS,IMAGES,OCI 'rootless: crun as the user runs the hook as the user; ssh works; the end leaves nothing' '
    dir=$(user_workdir jstest1) &&
    rootless=$JOBSSH_CLUSTER_CRUN_ROOT/jstest1 &&
    install -d -m 0700 -o jstest1 -g jstest1 "$HOOKRUN.jstest1" &&
    HOOK_XDG=$HOOKRUN.jstest1 hooked_config busybox "$dir/rl.json" com.hooks.ssh.enabled=true \
        org.jobssh.tag=$TAG-rl org.jobssh.hosts=node1 -- sleep 600 &&
    run_in_node node1 jstest1 crun --root="$rootless" run -d --config "$dir/rl.json" \
        --bundle "$(image_dir busybox)" rl1 </dev/null &&
    pgrep -u jstest1 -f "jobssh-sshd --container.*--tag $TAG-rl" &&
    ! pgrep -u root -f "jobssh-sshd --container.*--tag $TAG-rl" &&
    run_as jstest1 crun --root="$rootless" exec --user 2001:2001 rl1 /dev/jobssh/bin/ssh node1 \
        "id -u; grep ^ID= /etc/os-release; grep ^CapEff /proc/self/status" >out &&
    cat out &&
    grep -x 2001 out && grep -x "ID=jobssh-busybox" out && grep -x "CapEff:	0000000000000000" out &&
    test -n "$(ls "$HOOKRUN.jstest1/jobssh-hook")" &&
    run_as jstest1 crun --root="$rootless" kill rl1 KILL &&
    for _ in $(seq 1 100); do
        run_as jstest1 crun --root="$rootless" state rl1 2>/dev/null | grep -q "\"running\"" || break
        sleep 0.05
    done &&
    run_as jstest1 crun --root="$rootless" delete -f rl1 &&
    for _ in $(seq 1 100); do
        pgrep -f "jobssh-sshd --container.*--tag $TAG-rl" >/dev/null || break
        sleep 0.1
    done &&
    ! pgrep -af "jobssh-sshd --container.*--tag $TAG-rl" &&
    test -z "$(ls -A "$HOOKRUN.jstest1/jobssh-hook")"
'

test_done
