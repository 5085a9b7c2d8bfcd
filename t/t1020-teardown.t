#!/bin/bash

test_description='srun --ssh: nothing (daemon, session, port, key) outlives the step or the job; jobs on one node do not clash'

. /usr/share/sharness/sharness.sh

jobssh_require PLUGIN DROPBEAR
test_cluster_up

N=$JOBSSH_CLUSTER_NNODES

test_expect_success CLUSTER,USERS 'a normal step leaves nothing behind' '
    run_as jstest1 srun -N$N --ntasks-per-node=1 --ssh bash -c \
        "echo job=\$SLURM_JOB_ID; ssh node3 true; sleep 1" >out &&
    job=$(job_of out) &&
    test -n "$job" &&
    wait_no_leftovers $job
'

write_script session.sh <<'EOF'
#!/bin/bash
echo "job=$SLURM_JOB_ID"
ssh node2 "sleep 300" &
ssh node3 "sleep 300" &
wait
EOF

sessions_running() {
    test "$(pgrep -u jstest1 -x sleep | wc -l)" -ge "$1"
}

test_expect_success CLUSTER,USERS 'scancel during ssh sessions leaves nothing behind' '
    run_as jstest1 sbatch -N$N --ntasks-per-node=1 -o session.out \
        --wrap "srun --ssh=launcher ./session.sh" >submitted &&
    job=$(sed -n "s/^Submitted batch job //p" submitted) &&
    test -n "$job" &&
    wait_for 30 sessions_running 2 &&
    ls -d "$JOBSSH_RUNDIR"/*/$job.0 >steps &&
    test "$(wc -l <steps)" = $N &&
    scancel $job &&
    wait_for 30 job_gone $job &&
    wait_no_leftovers $job
'

test_expect_success CLUSTER,USERS 'a SIGKILLed task takes its node daemon down, the others keep theirs' '
    { run_as jstest1 srun -N$N --ntasks-per-node=1 --ssh bash -c \
        "echo job=\$SLURM_JOB_ID; exec sleep 120" >killed.out 2>killed.err & } &&
    wait_for 30 test -s killed.out &&
    job=$(job_of killed.out) &&
    wait_for 30 test -e "$JOBSSH_RUNDIR/node2/$job.0/status" &&
    wait_for 30 pid_on node2 "^sleep 120" >/dev/null &&
    pid=$(pid_on node2 "^sleep 120") &&
    kill -KILL $pid &&
    wait_for 20 eval "! test -e $JOBSSH_RUNDIR/node2/$job.0" &&
    test -e "$JOBSSH_RUNDIR/node1/$job.0/status" &&
    test -e "$JOBSSH_RUNDIR/node3/$job.0/status" &&
    scancel $job &&
    wait_for 30 job_gone $job &&
    wait_no_leftovers $job
'

write_script restart.sh <<'EOF'
#!/bin/bash
echo "job=$SLURM_JOB_ID"
ssh node2 echo before
touch restart.ready
for i in $(seq 1 100); do [ -e restart.go ] && break; sleep 0.1; done
ssh node2 echo after
EOF

test_expect_success CLUSTER,USERS 'a killed daemon is restarted on its port: ssh to that node still works' '
    dir=$(user_workdir jstest1) &&
    rm -f "$dir/restart.ready" "$dir/restart.go" &&
    { run_as jstest1 srun -N$N --ntasks-per-node=1 --ssh=launcher ./restart.sh \
        >restart.out 2>restart.err & } &&
    srun_pid=$! &&
    wait_for 60 test -e "$dir/restart.ready" &&
    job=$(job_of restart.out) &&
    port=$(cut -d" " -f2 "$JOBSSH_RUNDIR/node2/$job.0/status") &&
    old=$(pid_on node2 "dropbear -F") &&
    kill -KILL $old &&
    wait_for 10 eval "new=\$(pid_on node2 \"dropbear -F\") && test \$new != $old" &&
    test "$(cut -d" " -f2 "$JOBSSH_RUNDIR/node2/$job.0/status")" = "$port" &&
    touch "$dir/restart.go" &&
    wait $srun_pid &&
    printf "%s\n" "job=$job" before after >expect &&
    test_cmp expect restart.out &&
    wait_no_leftovers $job
'

write_script pair.sh <<'EOF'
#!/bin/bash
echo "job=$SLURM_JOB_ID port=$(cut -d" " -f2 "$JOBSSH_DIR/status")"
sleep 2
for i in 1 2 3; do ssh node1 echo "ok-$SLURM_JOB_ID" || exit 1; done
sleep 1
EOF
write_script pair.sh jstest2 <"$(user_workdir jstest1)/pair.sh"

test_expect_success CLUSTER,USERS '8 jobs of two users on one node: each reaches its own daemon, no port clash' '
    pids= &&
    for i in 1 2 3 4 5 6 7 8; do
        u=jstest$(( (i % 2) + 1 )) &&
        { run_as $u srun -N1 -n1 -c1 -w node1 --ssh ./pair.sh >pair.$i.out 2>pair.$i.err & } &&
        pids="$pids $!" || return 1
    done &&
    for p in $pids; do wait $p || return 1; done &&
    for i in 1 2 3 4 5 6 7 8; do
        job=$(sed -n "s/^job=\([0-9]*\) .*/\1/p" pair.$i.out) &&
        test "$(grep -cx "ok-$job" pair.$i.out)" = 3 &&
        sed -n "s/^job=.* port=//p" pair.$i.out || return 1
    done >ports &&
    test "$(sort -u ports | wc -l)" = 8 &&
    wait_no_leftovers ""
'

test_done
