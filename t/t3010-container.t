#!/bin/bash

test_description='srun --container --ssh: ssh and OpenMPI between the containers of a step'

. /usr/share/sharness/sharness.sh

jobssh_require CRUN PLUGIN DROPBEAR
jobssh_make_images
test_cluster_up
jobssh_oci_prereq

N=$JOBSSH_CLUSTER_NNODES

# In every container of the step: wait (bounded) until the daemon is set up
# there, then node1 runs $1 and the other nodes stay until node1 lets them go
# (over ssh, once $1 is done) or for $2 seconds at most.
step_script() {
    local others
    others=$(printf '%s\n' $JOBSSH_CLUSTER_NODES | grep -vx node1 | tr '\n' ' ')
    cat <<EOF
for i in \$(seq 1 200); do [ -e /dev/jobssh/profile ] && break; sleep 0.05; done
. /dev/jobssh/profile || exit 1
if [ "\$(cat /proc/sys/kernel/hostname)" = node1 ]; then
    $1
    rc=\$?
    for n in $others; do ssh \$n touch /dev/shm/jobssh-test-done; done
    exit \$rc
else
    for i in \$(seq 1 $(($2 * 10))); do [ -e /dev/shm/jobssh-test-done ] && break; sleep 0.1; done
fi
EOF
}

# container_step IMAGE SCRIPT [STAY]: the step; its output is shown too.
container_step() {
    local image=$1 script=$2 stay=${3:-60} rc=0
    srun_container container_step.out run_as jstest1 env OMPI_MCA_oob_tcp_if_include=198.18.0.0/24 \
        OMPI_MCA_btl_tcp_if_include=198.18.0.0/24 \
        srun -N$N --ntasks-per-node=1 --container="$(image_dir "$image")" --ssh \
        sh -c "$(step_script "$script" "$stay")" || rc=$?
    sed "s/^/container_step: /" container_step.out >&2
    cat container_step.out
    return $rc
}

test_expect_success CLUSTER,USERS,IMAGES,OCI 'srun --container=minbase --ssh: ssh node2 lands in the container there' '
    container_step minbase "ssh node2 cat /etc/os-release; ssh node3 cat /proc/sys/kernel/hostname" >out &&
    grep -x "ID=debian" out &&
    grep -x node3 out
'

test_expect_success CLUSTER,USERS,IMAGES,OCI 'srun --container=minbase --ssh: OpenMPI mpirun over ssh, one rank in each container' '
    container_step minbase "mpirun -np $N --map-by node --hostfile /dev/jobssh/hostfile cat /proc/sys/kernel/hostname" >out &&
    sort out >actual &&
    printf "%s\n" $JOBSSH_CLUSTER_NODES | sort >expect &&
    test_cmp expect actual
'

test_expect_success CLUSTER,USERS,IMAGES,OCI 'srun --container=busybox --ssh: the wrapper runs dbclient, the user has no passwd entry' '
    container_step busybox "ssh node2 cat /etc/os-release" >out &&
    grep -x "ID=jobssh-busybox" out
'

test_expect_success CLUSTER,USERS,IMAGES,OCI 'srun --container --ssh=launcher is refused with the reason' '
    test_must_fail run_as jstest1 srun -N2 --ntasks-per-node=1 --container="$(image_dir busybox)" \
        --ssh=launcher true 2>err &&
    grep "ssh=launcher does not work with --container" err
'

test_expect_success CLUSTER,USERS,IMAGES,OCI 'after the steps: no daemon, supervisor or session is left' '
    for _ in $(seq 1 100); do
        pgrep -f "jobssh-sshd .*--find-container" >/dev/null || pgrep -u jstest1 >/dev/null || break
        sleep 0.1
    done &&
    ! pgrep -af "jobssh-sshd .*--find-container" &&
    ! pgrep -u jstest1 -a
'

test_done
