#!/bin/bash

test_description='the multi-node test cluster: nodes, srun, sbatch, job_container/tmpfs'

. /usr/share/sharness/sharness.sh

test_cluster_up

nodes_sorted() {
    printf '%s\n' $JOBSSH_CLUSTER_NODES | sort
}

test_expect_success CLUSTER 'sinfo shows every node idle' '
    wait_for 10 all_nodes_idle &&
    sinfo -h -N -o "%N %T" | sort >actual &&
    nodes_sorted | sed "s/\$/ idle/" >expect &&
    test_cmp expect actual
'

test_expect_success CLUSTER 'a second "up" is a quick no-op' '
    "$JOBSSH_CLUSTER_CMD" up >out 2>&1 &&
    grep "already up" out &&
    "$JOBSSH_CLUSTER_CMD" status >status &&
    grep "^running  slurmctld" status
'

test_expect_success CLUSTER,USERS 'srun -N<all> hostname runs once on every node' '
    run_as jstest1 srun -N$JOBSSH_CLUSTER_NNODES hostname >out &&
    sort out >actual &&
    nodes_sorted >expect &&
    test_cmp expect actual
'

test_expect_success CLUSTER,USERS 'tasks run as the submitting user' '
    run_as jstest1 srun -N1 id -un >out &&
    echo jstest1 >expect &&
    test_cmp expect out
'

test_expect_success CLUSTER,USERS 'every node has its own network namespace and address' '
    run_as jstest1 srun -N$JOBSSH_CLUSTER_NNODES \
        sh -c "echo \$(hostname) \$(ip -4 -o addr show dev eth0)" >out &&
    awk "{ print \$1, \$5 }" out | sort >actual &&
    for n in $(nodes_sorted); do
        echo "$n 198.18.0.$((10 + ${n#node}))/24"
    done >expect &&
    test_cmp expect actual &&
    run_as jstest1 srun -N$JOBSSH_CLUSTER_NNODES readlink /proc/self/ns/net | sort -u >ns &&
    test "$(wc -l <ns)" = "$JOBSSH_CLUSTER_NNODES" &&
    ! grep -x "$(readlink /proc/self/ns/net)" ns
'

test_expect_success CLUSTER,USERS 'sbatch --wait: a batch job runs srun on every node' '
    dir=$(user_workdir jstest1) &&
    run_as jstest1 sbatch -N$JOBSSH_CLUSTER_NNODES --wait -o batch.out --wrap "srun hostname" &&
    sort "$dir/batch.out" >actual &&
    nodes_sorted >expect &&
    test_cmp expect actual
'

test_expect_success CLUSTER,USERS 'sbatch --wait returns the exit code of a failing job' '
    test_expect_code 3 run_as jstest1 sbatch -N1 --wait -o fail.out --wrap "exit 3"
'

test_expect_success CLUSTER,USERS 'job_container/tmpfs: /tmp of a job is private to the job' '
    name=jobssh-t0001-$$ &&
    rm -f "/tmp/$name" &&
    run_as jstest1 srun -N1 -w node1 sh -c "echo private >/tmp/$name && cat /tmp/$name" >out &&
    echo private >expect &&
    test_cmp expect out &&
    test ! -e "/tmp/$name" &&
    run_as jstest1 srun -N1 -w node1 sh -c "test ! -e /tmp/$name"
'

running_on_node1() {
    test "$(squeue -h -t R -w node1 -u jstest1 -o %i | wc -l)" -ge "$1"
}

test_expect_success CLUSTER,USERS 'a node runs 8 one-CPU jobs at once' '
    test_when_finished "scancel -u jstest1" &&
    for i in 1 2 3 4 5 6 7 8; do
        run_as jstest1 sbatch -N1 -n1 -w node1 -o /dev/null --wrap "sleep 60" || return 1
    done &&
    wait_for 20 running_on_node1 8
'

test_done
