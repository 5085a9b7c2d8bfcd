#!/bin/bash

test_description='take the shared test cluster down (make check runs this file last)'

. /usr/share/sharness/sharness.sh

jobssh_require ROOT

test_expect_success 'wait for the other test files' '
    jobssh_lock_cluster
'

test_expect_success 'jobssh-cluster down' '
    "$JOBSSH_CLUSTER_CMD" down
'

test_expect_success 'nothing is left behind' '
    test ! -e "$JOBSSH_CLUSTER_DIR" &&
    ! ip link show jsbr0 2>/dev/null &&
    ! grep "jobssh-cluster" /etc/hosts &&
    ! grep -F " $JOBSSH_CLUSTER_DIR/" /proc/self/mountinfo &&
    ! ls -d /sys/fs/cgroup/*/slurm_node* 2>/dev/null &&
    ! pgrep -f "$JOBSSH_CLUSTER_DIR/" >/dev/null
'

test_expect_success 'down is safe when nothing is up' '
    "$JOBSSH_CLUSTER_CMD" down
'

test_done
