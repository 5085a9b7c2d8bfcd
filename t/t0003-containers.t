#!/bin/bash

test_description='container images: crun rootful and rootless in a node, srun --container on every node, a read-only image'

. /usr/share/sharness/sharness.sh

jobssh_require CRUN
# Before the cluster: the first build of the images takes minutes (the cache
# then makes it a no-op), and the cluster's lock is not held meanwhile.
jobssh_make_images
test_cluster_up
jobssh_oci_prereq

N=$JOBSSH_CLUSTER_NNODES

# os_release IMAGE [COUNT]: the image's /etc/os-release, COUNT times, sorted.
os_release() {
    local i
    for ((i = 0; i < ${2:-1}; i++)); do
        cat "$(image_dir "$1")/rootfs/etc/os-release"
    done | sort
}

test_expect_success IMAGES 'the images: Debian 12 with the test users, busybox without them' '
    grep -x "ID=debian" "$(image_dir minbase)/rootfs/etc/os-release" &&
    grep -x "VERSION_ID=\"12\"" "$(image_dir minbase)/rootfs/etc/os-release" &&
    grep "^jstest1:x:2001:2001:" "$(image_dir minbase)/rootfs/etc/passwd" &&
    grep "^jstest2:x:2002:2002:" "$(image_dir minbase)/rootfs/etc/passwd" &&
    test "$(stat -c %u "$(image_dir minbase)/rootfs/home/jstest1")" = 2001 &&
    grep -x "ID=jobssh-busybox" "$(image_dir busybox)/rootfs/etc/os-release" &&
    ! grep -q jstest "$(image_dir busybox)/rootfs/etc/passwd" &&
    test "$(readlink "$(image_dir minbase-ro)/rootfs")" = ../minbase/rootfs
'

test_expect_success IMAGES 'make-images again is a no-op' '
    "$JOBSSH_MAKE_IMAGES" "$JOBSSH_TEST_IMAGES" 2>out &&
    test "$(grep -c "up to date" out)" = 3 &&
    ! grep building out
'

# in_container: what a container prints about itself.
in_container='cat /etc/os-release; echo "host=$(cat /proc/sys/kernel/hostname)"; echo "uid=$(id -u)"; readlink /proc/self/ns/net'

# expect_container IMAGE NODE UID: what in_container prints in IMAGE on NODE.
expect_container() {
    os_release "$1" >expect.tmp &&
    echo "host=$2" >>expect.tmp &&
    echo "uid=$3" >>expect.tmp &&
    echo "net:[$(stat -L -c %i "$JOBSSH_CLUSTER_DIR/ns/$2.net")]" >>expect.tmp &&
    sort expect.tmp
}

for image in busybox minbase; do
    test_expect_success CLUSTER,IMAGES,OCI "crun as root runs $image in a node's namespaces" '
        crun_in_node node2 root $image sh -c "$in_container" >out &&
        sort out >actual &&
        expect_container $image node2 2001 >expect &&
        test_cmp expect actual
    '

    test_expect_success CLUSTER,USERS,IMAGES,OCI "rootless crun as jstest1 runs $image in a node's namespaces" '
        crun_in_node node3 jstest1 $image sh -c "$in_container" >out &&
        sort out >actual &&
        expect_container $image node3 2001 >expect &&
        test_cmp expect actual
    '
done

test_expect_success CLUSTER,USERS,IMAGES,OCI 'rootless crun as another user than the image user fails' '
    test_must_fail crun_in_node node1 jstest2 busybox true 2>err &&
    cat err >&2
'

test_expect_success CLUSTER,IMAGES,OCI 'the read-only image: / cannot be written (EROFS), rootful' '
    test_must_fail crun_in_node node1 root minbase-ro touch /x 2>err &&
    grep "Read-only file system" err &&
    test_must_fail crun_in_node node1 root minbase-ro touch /home/jstest1/x 2>err &&
    grep "Read-only file system" err &&
    test ! -e "$(image_dir minbase)/rootfs/home/jstest1/x"
'

test_expect_success CLUSTER,USERS,IMAGES,OCI 'the read-only image: / cannot be written (EROFS), rootless' '
    test_must_fail crun_in_node node1 jstest1 minbase-ro touch /home/jstest1/x 2>err &&
    grep "Read-only file system" err &&
    test ! -e "$(image_dir minbase)/rootfs/home/jstest1/x"
'

test_expect_success CLUSTER,USERS,IMAGES,OCI 'the writable image: root'"'"'s files are not writable (EACCES, not EROFS)' '
    test_must_fail crun_in_node node1 jstest1 minbase touch /x 2>err &&
    grep "Permission denied" err
'

for image in minbase busybox; do
    test_expect_success CLUSTER,USERS,IMAGES,OCI "srun --container=$image on $N nodes prints its os-release" '
        srun_container out run_as jstest1 srun -N$N --ntasks-per-node=1 \
            --container="$(image_dir $image)" cat /etc/os-release &&
        sort out >actual &&
        os_release $image $N >expect &&
        test_cmp expect actual
    '
done

test_expect_success CLUSTER,USERS,IMAGES,OCI 'srun --container: one task per node, on every node, in its network namespace' '
    srun_container out run_as jstest1 srun -N$N --ntasks-per-node=1 --container="$(image_dir busybox)" \
        sh -c "echo \$(cat /proc/sys/kernel/hostname) \$(readlink /proc/self/ns/net) \$(id -u)" &&
    sort out >actual &&
    for n in $JOBSSH_CLUSTER_NODES; do
        echo "$n net:[$(stat -L -c %i "$JOBSSH_CLUSTER_DIR/ns/$n.net")] 2001" || return 1
    done | sort >expect &&
    test_cmp expect actual
'

test_expect_success CLUSTER,USERS,IMAGES,OCI 'srun --container=minbase-ro: / is read-only' '
    test_must_fail srun_container out run_as jstest1 srun -N1 --container="$(image_dir minbase-ro)" \
        touch /home/jstest1/x 2>err &&
    grep "Read-only file system" err
'

test_expect_success CLUSTER,USERS,IMAGES,OCI 'srun without --container still runs on the host' '
    run_as jstest1 srun -N$N --ntasks-per-node=1 cat /etc/os-release >out &&
    sort out >actual &&
    for n in $JOBSSH_CLUSTER_NODES; do cat /etc/os-release || return 1; done | sort >expect &&
    test_cmp expect actual
'

# The time a container takes to start, against a plain task: printed, not
# asserted (the machine may be busy).
# A failing command's stderr is shown.
time_ms() {
    local t0 t1
    t0=${EPOCHREALTIME/[.,]/}
    if ! "$@" >/dev/null 2>time_ms.err; then
        echo "time_ms: $* failed:" >&2
        cat time_ms.err >&2
        return 1
    fi
    t1=${EPOCHREALTIME/[.,]/}
    echo $(((t1 - t0) / 1000))
}

test_expect_success CLUSTER,USERS,IMAGES,OCI 'timings: crun and srun --container against srun' '
    a=$(time_ms crun_in_node node1 root busybox true) &&
    b=$(time_ms crun_in_node node1 jstest1 busybox true) &&
    c=$(time_ms crun_in_node node1 jstest1 minbase true) &&
    d=$(time_ms run_as jstest1 srun -N$N --ntasks-per-node=1 true) &&
    e=$(time_ms srun_container /dev/null run_as jstest1 srun -N$N --ntasks-per-node=1 \
        --container="$(image_dir busybox)" true) &&
    f=$(time_ms srun_container /dev/null run_as jstest1 srun -N$N --ntasks-per-node=1 \
        --container="$(image_dir minbase)" true) &&
    echo "# crun run true: rootful busybox ${a} ms, rootless busybox ${b} ms, rootless minbase ${c} ms" &&
    echo "# srun -N$N true: ${d} ms; with --container: busybox ${e} ms, minbase ${f} ms"
'

test_done
