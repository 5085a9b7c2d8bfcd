#!/bin/bash

test_description='fault matrix: faults injected for real into step daemons (srun --ssh) and job daemons (sbatch --ssh); after each, nothing is left'

# Each fault is followed by fault_done, which waits (bounded) until nothing
# of the jobs involved is left on any node: no process of the test users
# (daemon, session), no supervisor, no node-local step directory, pid file
# or request, no key directory, no listener in the port range. Faults
# injected elsewhere, not repeated here:
#   t1020-teardown.t  step daemon: scancel during sessions, a SIGKILLed task,
#                     a killed daemon restarted on its port
#   t1040-batch.t     job daemon: scancel mid-session, a job time limit,
#                     scontrol requeuehold

. /usr/share/sharness/sharness.sh

jobssh_require PLUGIN DROPBEAR
test_cluster_up

N=$JOBSSH_CLUSTER_NNODES
dir=$(user_workdir jstest1)
FAULTS=0
LEFTOVERS=0
T0=$SECONDS

# everything_left JOB...: leftovers of the jobs (t/sharness.d/ssh.sh), and
# their files under $EXTRA_RUNDIR and $EXTRA_KEYS when a test sets them.
everything_left() {
    local job f
    leftovers "$@"
    for job; do
        for f in ${EXTRA_RUNDIR:+"$EXTRA_RUNDIR"/*/"$job".*} \
            ${EXTRA_KEYS:+"$EXTRA_KEYS"/*/"$job" "$EXTRA_KEYS"/*/."$job".*}; do
            [ -e "$f" ] && echo "file: $f"
        done
    done
    return 0
}

nothing_left() {
    test -z "$(everything_left "$@")"
}

# fault_done JOB...: count one injected fault; wait (bounded: the epilog
# runs after the job) until nothing of the jobs is left, and count what is.
fault_done() {
    local left
    FAULTS=$((FAULTS + 1))
    wait_for 30 nothing_left "$@" 2>/dev/null
    left=$(everything_left "$@")
    [ -z "$left" ] && return 0
    LEFTOVERS=$((LEFTOVERS + $(printf '%s\n' "$left" | wc -l)))
    printf '%s\n' "$left" | sed 's/^/leftover: /' >&2
    return 1
}

# submit NAME SCRIPT [SBATCH OPTIONS...]: sbatch SCRIPT as jstest1 (output in
# $dir/NAME.out); sets $job.
submit() {
    local name=$1 script=$2
    shift 2
    rm -f "$dir/$name.out" &&
        run_as jstest1 sbatch -N$N --ntasks-per-node=1 -o "$name.out" "$@" "./$script" \
            >"$name.submitted" &&
        job=$(sed -n "s/^Submitted batch job //p" "$name.submitted") &&
        test -n "$job"
}

# go NAME: let a waiting job script go on (it waits, bounded, for $dir/NAME).
go() {
    touch "$dir/$1" && chown jstest1 "$dir/$1"
}

# A job script waits for the test with: wait_go NAME (30 s at most).
WAIT_GO='wait_go() { for t in $(seq 1 300); do [ -e "$1" ] && return 0; sleep 0.1; done; echo "no $1"; return 1; }'

# job_state JOB: Slurm's final state of JOB (the cluster keeps it 300 s).
job_state() {
    scontrol show job "$1" | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p'
}

# --- time limits (they take 60-90 s: Slurm counts them in minutes and checks
# every 30 s, so they run alongside the back-to-back jobs below) ---------------

write_script job-limit.sh <<'EOF'
#!/bin/bash
echo "job=$SLURM_JOB_ID"
ssh node2 'sleep 300' &
sleep 300
EOF

write_script step-limit.sh <<EOF
#!/bin/bash
echo "job=\$SLURM_JOB_ID"
srun -t 1 -N\$SLURM_NNODES --ntasks-per-node=1 --ssh bash -c 'ssh node2 "sleep 300" & sleep 300'
echo "step ended"
# The step's daemons, supervisors and node-local files are gone, the job runs on.
for t in \$(seq 1 100); do
    left=\$(ls -d $JOBSSH_RUNDIR/*/\$SLURM_JOB_ID.0* 2>/dev/null
        pgrep -f "jobssh-\$SLURM_JOB_ID\\.0( |\$)|^jobssh-sshd --tag \$SLURM_JOB_ID\\.0 ")
    [ -z "\$left" ] && break
    sleep 0.1
done
echo "left after the step: \${left:-nothing}"
if [ -n "\$JOBSSH_TAG" ]; then ssh node2 echo "job daemon after the step: \\\$(hostname)"; fi
EOF

test_expect_success CLUSTER,USERS 'time limits: start a job with a step daemon, a step limit in a job without and in a job with --ssh' '
    { JOBSSH_RUN_TIMEOUT=150 run_as jstest1 srun -t 1 -N$N --ntasks-per-node=1 --ssh \
        ./job-limit.sh >job-limit.out 2>job-limit.err & } &&
    submit step-limit step-limit.sh &&
    job_step_limit=$job &&
    submit step-limit-ssh step-limit.sh --ssh &&
    job_step_limit_ssh=$job &&
    wait_for 30 test -s job-limit.out &&
    job_limit=$(job_of job-limit.out) &&
    wait_for 30 pid_on node2 "^sleep 300" >/dev/null &&
    echo "$job_limit $job_step_limit $job_step_limit_ssh" >time-limit.jobs
'

# --- 50 --ssh jobs back to back, each doing one ssh to another node --------------

write_script one.sh <<'EOF'
#!/bin/bash
echo "job=$SLURM_JOB_ID"
other=$(grep -vx "$(hostname)" "$JOBSSH_HOSTFILE" | head -n 1)
ssh "$other" 'echo "ok $SLURM_JOB_ID $(hostname)"'
EOF

test_expect_success CLUSTER,USERS '50 --ssh jobs back to back (srun --ssh and sbatch --ssh): every ssh works' '
    rm -f "$dir"/one.*.out &&
    : >stress.jobs &&
    : >stress.failed &&
    for i in $(seq 1 50); do
        if [ $((i % 2)) = 1 ]; then
            run_as jstest1 srun -N2 --ntasks-per-node=1 --ssh=launcher ./one.sh \
                >"$dir/one.$i.out" 2>one.$i.err || echo "job $i: srun failed" >>stress.failed
        else
            { submit one.$i one.sh -N2 --ssh && wait_for 60 job_gone $job; } ||
                echo "job $i: sbatch failed" >>stress.failed
        fi
        j=$(job_of "$dir/one.$i.out")
        echo "$j" >>stress.jobs
        grep -q "^ok $j node[0-9]*$" "$dir/one.$i.out" || echo "job $i ($j): no ssh" >>stress.failed
    done &&
    echo "# 50 jobs back to back: $(wc -l <stress.failed) failures" >&5 &&
    test "$(grep -c "^[0-9][0-9]*$" stress.jobs)" = 50 &&
    test_must_be_empty stress.failed
'

test_expect_success CLUSTER,USERS 'time limits hit: each job or step ended, nothing is left of them nor of the 50 jobs' '
    read -r job_limit job_step_limit job_step_limit_ssh <time-limit.jobs &&
    wait_for 120 job_gone $job_limit &&
    wait_for 60 job_gone $job_step_limit &&
    wait_for 60 job_gone $job_step_limit_ssh &&
    test "$(job_state $job_limit)" = TIMEOUT &&
    grep "^left after the step: nothing$" "$dir/step-limit.out" &&
    grep "^left after the step: nothing$" "$dir/step-limit-ssh.out" &&
    grep "^job daemon after the step: node2$" "$dir/step-limit-ssh.out" &&
    test "$(job_state $job_step_limit)" = COMPLETED &&
    test "$(job_state $job_step_limit_ssh)" = COMPLETED &&
    fault_done $job_limit &&
    fault_done $job_step_limit &&
    fault_done $job_step_limit_ssh &&
    # shellcheck disable=SC2046
    fault_done $(cat stress.jobs)
'

# --- a SIGKILLed task of a job with --ssh: the batch script -----------------------

write_script hold.sh <<'EOF'
#!/bin/bash
echo "job=$SLURM_JOB_ID"
ssh node2 'sleep 300' &
ssh node3 'sleep 300' &
sleep 300
EOF

# sessions_up: the sessions of hold.sh run on node2 and node3.
sessions_up() {
    wait_for 30 pid_on node2 "^sleep 300" >/dev/null &&
        wait_for 30 pid_on node3 "^sleep 300" >/dev/null
}

test_expect_success CLUSTER,USERS 'sbatch --ssh: the batch script SIGKILLed mid-session ends the job, nothing is left' '
    submit batch-kill hold.sh --ssh &&
    sessions_up &&
    kill -KILL $(pid_on node1 "slurm_script") &&
    wait_for 30 job_gone $job &&
    test "$(job_state $job)" = FAILED &&
    fault_done $job
'

# --- the daemon killed: restarted on its port five times, not the sixth ----------

write_script kill6.sh <<EOF
#!/bin/bash
$WAIT_GO
echo "job=\$SLURM_JOB_ID"
for i in 0 1 2 3 4 5 6; do
    wait_go kill6.go.\$i || exit 1
    ssh node2 echo "round \$i on \\\$(hostname)" 2>&1 || echo "round \$i: ssh failed"
    touch kill6.done.\$i
done
echo "the job goes on"
EOF

test_expect_success CLUSTER,USERS 'sbatch --ssh: a killed job daemon comes back on its port five times; after the sixth kill ssh to that node fails clearly, the job goes on' '
    plugstack_args connect_timeout=3 &&
    test_when_finished plugstack_restore &&
    rm -f "$dir"/kill6.go.* "$dir"/kill6.done.* &&
    submit kill6 kill6.sh --ssh &&
    tag=$job.extern &&
    wait_for 30 test -e "$JOBSSH_RUNDIR/node2/$tag/status" &&
    port=$(cut -d" " -f2 "$JOBSSH_RUNDIR/node2/$tag/status") &&
    go kill6.go.0 &&
    wait_for 30 test -e "$dir/kill6.done.0" &&
    for i in 1 2 3 4 5; do
        old=$(daemon_on node2 $tag) &&
        kill -KILL $old &&
        wait_for 10 eval "new=\$(daemon_on node2 $tag) && test \$new != $old" &&
        nsenter --net="$(node_net node2)" ss -Htlnp "sport = :$port" | grep -q "pid=$new," &&
        go kill6.go.$i &&
        wait_for 30 test -e "$dir/kill6.done.$i" || return 1
    done &&
    kill -KILL $(daemon_on node2 $tag) &&
    sleep 2 &&
    ! daemon_on node2 $tag &&
    go kill6.go.6 &&
    wait_for 60 job_gone $job &&
    out="$dir/kill6.out" &&
    for i in 0 1 2 3 4 5; do
        grep -x "round $i on node2" "$out" || return 1
    done &&
    grep "no jobssh daemon for tag $tag on node2" "$out" &&
    grep -x "round 6: ssh failed" "$out" &&
    grep -x "the job goes on" "$out" &&
    test "$(job_state $job)" = COMPLETED &&
    fault_done $job
'

# --- the supervisor SIGKILLed --------------------------------------------------

write_script sup-inner.sh <<EOF
#!/bin/bash
$WAIT_GO
ssh node2 'sleep 300' &
wait_go sup.go.\$SLURM_JOB_ID &&
    ssh node2 echo "after the supervisor: \\\$(hostname)"
kill %1
EOF

write_script sup-step.sh <<EOF
#!/bin/bash
echo "job=\$SLURM_JOB_ID"
srun -N\$SLURM_NNODES --ntasks-per-node=1 --ssh=launcher ./sup-inner.sh
echo "step ended: \$?"
# Nothing of the step either: no file, daemon, supervisor or session
# (Slurm's kill of the step's processes is asynchronous: up to 30 s).
for t in \$(seq 1 300); do
    left=\$(ls -d $JOBSSH_RUNDIR/*/\$SLURM_JOB_ID.0* 2>/dev/null
        pgrep -af "jobssh-\$SLURM_JOB_ID\\.0( |\$)|^jobssh-sshd --tag \$SLURM_JOB_ID\\.0 |^sleep 300\$")
    [ -z "\$left" ] && break
    sleep 0.1
done
echo "left after the step:" \${left:-nothing}
EOF

# kill_supervisor TAG: SIGKILL the supervisor of TAG on node2 once the
# session there runs; the daemon lives on, orphaned.
kill_supervisor() {
    wait_for 30 pid_on node2 "^sleep 300" >/dev/null &&
        sup=$(supervisor_on node2 $1) &&
        daemon=$(daemon_on node2 $1) &&
        kill -KILL $sup &&
        wait_for 10 eval "! supervisor_on node2 $1 >/dev/null" &&
        test "$(daemon_on node2 $1)" = $daemon &&
        test "$(ps -o ppid= -p $daemon | tr -d " ")" = 1
}

test_expect_success CLUSTER,USERS 'srun --ssh: the supervisor SIGKILLed mid-session: ssh still works, the step end stops the daemon and removes its files, nothing is left' '
    submit sup-step sup-step.sh &&
    kill_supervisor $job.0 &&
    go sup.go.$job &&
    wait_for 60 job_gone $job &&
    grep -x "after the supervisor: node2" "$dir/sup-step.out" &&
    grep -x "step ended: 0" "$dir/sup-step.out" &&
    grep -x "left after the step: nothing" "$dir/sup-step.out" &&
    fault_done $job
'

write_script sup-job.sh <<EOF
#!/bin/bash
echo "job=\$SLURM_JOB_ID"
./sup-inner.sh
EOF

test_expect_success CLUSTER,USERS 'sbatch --ssh: the supervisor SIGKILLed mid-session: ssh still works, the job end leaves nothing' '
    submit sup-job sup-job.sh --ssh &&
    kill_supervisor $job.extern &&
    go sup.go.$job &&
    wait_for 60 job_gone $job &&
    grep -x "after the supervisor: node2" "$dir/sup-job.out" &&
    test "$(job_state $job)" = COMPLETED &&
    fault_done $job
'

# --- slurmd restarted during a job -----------------------------------------------

write_script restart.sh <<EOF
#!/bin/bash
$WAIT_GO
echo "job=\$SLURM_JOB_ID"
ssh node2 echo "before \\\$(hostname)"
wait_go restart.go || exit 1
ssh node2 echo "after \\\$(hostname)"
[ "\$1" = step ] && exit 0
srun -N\$SLURM_NNODES --ntasks-per-node=1 hostname | sort | tr "\\n" " "; echo
EOF

test_expect_success CLUSTER,USERS 'slurmd restarted on two nodes mid-job: the daemons stay, ssh works on, the job end leaves nothing' '
    rm -f "$dir/restart.go" "$dir/restart-step.out" &&
    submit restart restart.sh --ssh &&
    job_batch=$job &&
    { run_as jstest1 srun -N$N --ntasks-per-node=1 --ssh=launcher ./restart.sh step \
        >"$dir/restart-step.out" 2>restart-step.err & } &&
    srun_pid=$! &&
    wait_for 30 grep -qs "^before node2$" "$dir/restart.out" &&
    wait_for 30 grep -qs "^before node2$" "$dir/restart-step.out" &&
    job_step=$(job_of "$dir/restart-step.out") &&
    d1=$(daemon_on node2 $job_batch.extern) &&
    d2=$(daemon_on node2 $job_step.0) &&
    "$JOBSSH_CLUSTER_CMD" restart-slurmd node2 &&
    "$JOBSSH_CLUSTER_CMD" restart-slurmd node1 &&
    test "$(daemon_on node2 $job_batch.extern)" = $d1 &&
    test "$(daemon_on node2 $job_step.0)" = $d2 &&
    go restart.go &&
    wait $srun_pid &&
    wait_for 60 job_gone $job_batch &&
    grep -x "after node2" "$dir/restart.out" &&
    grep -x "node1 node2 node3 " "$dir/restart.out" &&
    grep -x "after node2" "$dir/restart-step.out" &&
    test "$(job_state $job_batch)" = COMPLETED &&
    fault_done $job_batch $job_step
'

test_expect_success CLUSTER 'the restarted slurmds serve new jobs' '
    sinfo -h -N -o "%N %T" >states &&
    ! grep -v " idle$" states &&
    run_as jstest1 srun -N$N hostname >hosts &&
    test "$(sort -u hosts | wc -l)" = $N
'

# --- the node-local run directory and the base directory full ----------------------

FULL=$JOBSSH_CLUSTER_DIR/fault-full

# fill_fs DIR: use up every block and every inode of the file system at DIR.
fill_fs() {
    local i
    dd if=/dev/zero of="$1/fill" bs=4k 2>/dev/null
    for i in $(seq 1 1000); do
        : >"$1/inode.$i" 2>/dev/null || break
    done
    test "$(stat -f -c "%a %d" "$1")" = "0 0"
}

# mount_full: a tiny tmpfs at $FULL (root's, 0755); unmounted when the test ends.
mount_full() {
    mkdir -p "$FULL" &&
        mount -t tmpfs -o size=256k,nr_inodes=64,mode=0755 jobssh-fault "$FULL" &&
        test_when_finished "umount $FULL && rmdir $FULL"
}

# plugstack_dirs BASEDIR RUNDIR [ARGS...]: the plugin with these directories.
plugstack_dirs() {
    local base=$1 run=$2
    shift 2
    plugstack_line "required $JOBSSH_CLUSTER_INSTALL/lib/jobssh.so basedir=$base \
libexec_dir=$JOBSSH_CLUSTER_INSTALL/libexec rundir=$run $*"
}

write_script full.sh <<'EOF'
#!/bin/bash
echo "job=$SLURM_JOB_ID"
ssh node2 echo "ssh works on $(hostname)"
EOF

test_expect_success CLUSTER,USERS 'the run directory full: srun --ssh and sbatch --ssh fail, naming the full directory; nothing is left' '
    mount_full &&
    mkdir "$FULL/run" &&
    for n in $JOBSSH_CLUSTER_NODES; do mkdir "$FULL/run/$n" || return 1; done &&
    fill_fs "$FULL" &&
    plugstack_dirs $JOBSSH_CLUSTER_KEYS $FULL/run &&
    test_when_finished plugstack_restore &&
    test_must_fail run_as jstest1 srun -N$N --ntasks-per-node=1 --ssh ./full.sh >srun.out 2>srun.err &&
    cat srun.err &&
    job=$(sed -n "s/.*ssh is on for step \([0-9]*\)\.0.*/\1/p" srun.err) &&
    grep "jobssh: step $job.0 on node1: .*$FULL/run/node1.*: No space left on device" srun.err &&
    ! grep "ssh works" srun.out &&
    wait_for 30 job_gone $job &&
    EXTRA_RUNDIR=$FULL/run fault_done $job &&
    submit full full.sh --ssh &&
    wait_for 60 job_gone $job &&
    cat "$dir/full.out" &&
    grep "jobssh: error: node1: .*--ssh.*$FULL/run.* full" "$dir/full.out" &&
    ! grep "ssh works" "$dir/full.out" &&
    test "$(job_state $job)" = FAILED &&
    EXTRA_RUNDIR=$FULL/run fault_done $job
'

test_expect_success CLUSTER,USERS 'the base directory full: srun --ssh and sbatch --ssh fail, naming the full directory; nothing is left' '
    mount_full &&
    install -d -o jstest1 -g jstest1 -m 0700 "$FULL/jstest1" &&
    fill_fs "$FULL" &&
    plugstack_dirs $FULL $JOBSSH_RUNDIR start_timeout=3 &&
    test_when_finished plugstack_restore &&
    test_must_fail run_as jstest1 srun -N$N --ntasks-per-node=1 --ssh ./full.sh >srun.out 2>srun.err &&
    cat srun.err &&
    grep "jobssh: couldn.t make the keys of job [0-9]*: .*$FULL/jstest1/.*: No space left on device" srun.err &&
    job=$(sed -n "s/.*keys of job \([0-9]*\):.*/\1/p" srun.err) &&
    wait_for 30 job_gone $job &&
    EXTRA_KEYS=$FULL fault_done $job &&
    submit full full.sh --ssh &&
    wait_for 60 job_gone $job &&
    cat "$dir/full.out" &&
    grep "jobssh: error: node1: .*$FULL/jstest1 is on a full file system" "$dir/full.out" &&
    ! grep "ssh works" "$dir/full.out" &&
    test "$(job_state $job)" = FAILED &&
    EXTRA_KEYS=$FULL fault_done $job
'

# --- 8 --ssh jobs at once sharing two nodes ----------------------------------------

write_script conc.sh <<EOF
#!/bin/bash
$WAIT_GO
echo "job=\$SLURM_JOB_ID port=\$(cut -d" " -f2 "\$JOBSSH_DIR/status")"
# Wait (bounded) until all 8 jobs run, so that they do share the nodes.
touch conc.ready.\$SLURM_JOB_ID
for t in \$(seq 1 300); do
    [ "\$(ls conc.ready.* | wc -l)" -ge 8 ] && break
    sleep 0.1
done
ssh node2 echo "ok \$SLURM_JOB_ID \\\$(hostname)"
EOF

test_expect_success CLUSTER,USERS '8 --ssh jobs at once on node1 and node2 (4 srun --ssh, 4 sbatch --ssh): every ssh works, 8 ports' '
    rm -f "$dir"/conc.ready.* "$dir"/conc.*.out &&
    pids= &&
    : >conc.jobs &&
    for i in 1 2 3 4; do
        { run_as jstest1 srun -N2 -w node1,node2 --ntasks-per-node=1 --ssh=launcher ./conc.sh \
            >"$dir/conc.srun.$i.out" 2>conc.srun.$i.err & } &&
        pids="$pids $!" &&
        submit conc.batch.$i conc.sh -N2 -w node1,node2 --ssh &&
        echo $job >>conc.jobs || return 1
    done &&
    for p in $pids; do wait $p || return 1; done &&
    for j in $(cat conc.jobs); do wait_for 60 job_gone $j || return 1; done &&
    : >conc.all &&
    for f in "$dir"/conc.srun.*.out "$dir"/conc.batch.*.out; do
        j=$(sed -n "s/^job=\([0-9]*\) .*/\1/p" "$f") &&
        grep -x "ok $j node2" "$f" >/dev/null &&
        echo $j >>conc.all &&
        sed -n "s/^job=.* port=//p" "$f" || return 1
    done >ports &&
    test "$(wc -l <conc.all)" = 8 &&
    test "$(sort -u ports | wc -l)" = 8 &&
    # shellcheck disable=SC2046
    fault_done $(cat conc.all)
'

test_expect_success CLUSTER 'fault matrix: every fault injected left nothing' '
    echo "# fault matrix: $FAULTS faults injected, $LEFTOVERS leftovers, $((SECONDS - T0)) s" >&5 &&
    test $LEFTOVERS = 0
'

test_done
