#!/bin/bash

test_description='srun --ssh: bad input gives one clear error, the job fails instead of running without ssh, nothing is left'

. /usr/share/sharness/sharness.sh

jobssh_require PLUGIN DROPBEAR
test_cluster_up

# Every test edits plugstack.conf (srun and slurmstepd read it per step) and
# puts it back.
test_expect_success CLUSTER 'remember the cluster plugstack.conf' '
    cp "$JOBSSH_CLUSTER_DIR/etc/plugstack.conf" plugstack.good
'

# fails_with PATTERN CMD...: CMD fails, its stderr matches PATTERN, and the
# command line of the step never ran (no "ran" in its stdout).
fails_with() {
    local pattern=$1
    shift
    if "$@" >stdout 2>stderr; then
        echo "expected failure: $*" >&2
        cat stdout stderr >&2
        return 1
    fi
    cat stderr >&2
    grep -E -- "$pattern" stderr &&
        ! grep -x ran stdout
}

test_expect_success CLUSTER,USERS '--ssh=nonsense is refused before anything runs' '
    fails_with "jobssh: --ssh=nonsense: unknown value" \
        run_as jstest1 srun -N1 --ssh=nonsense echo ran
'

test_expect_success CLUSTER,USERS 'an unknown plugstack.conf argument is refused by name' '
    test_when_finished plugstack_restore &&
    plugstack_args port_rnage=3000-3100 &&
    fails_with "plugstack.conf: unknown key .port_rnage." \
        run_as jstest1 srun -N1 --ssh echo ran
'

test_expect_success CLUSTER,USERS 'a bad plugstack.conf value is refused by name' '
    test_when_finished plugstack_restore &&
    plugstack_args port_count=0 &&
    fails_with "port_count" run_as jstest1 srun -N1 --ssh echo ran
'

test_expect_success CLUSTER,USERS 'a missing basedir is named' '
    test_when_finished plugstack_restore &&
    plugstack_line "required $JOBSSH_CLUSTER_INSTALL/lib/jobssh.so basedir=$JOBSSH_CLUSTER_DIR/no-such-dir libexec_dir=$JOBSSH_CLUSTER_INSTALL/libexec rundir=$JOBSSH_RUNDIR" &&
    fails_with "basedir=$JOBSSH_CLUSTER_DIR/no-such-dir is not safe: .*(No such file|does not exist)" \
        run_as jstest1 srun -N1 --ssh echo ran
'

test_expect_success CLUSTER,USERS 'a group- or world-writable basedir is refused' '
    test_when_finished "chmod 0755 $JOBSSH_CLUSTER_KEYS" &&
    chmod 0775 "$JOBSSH_CLUSTER_KEYS" &&
    fails_with "basedir=$JOBSSH_CLUSTER_KEYS is not safe: .*writable" \
        run_as jstest1 srun -N1 --ssh echo ran &&
    chmod 0777 "$JOBSSH_CLUSTER_KEYS" &&
    fails_with "basedir=$JOBSSH_CLUSTER_KEYS is not safe: .*writable" \
        run_as jstest1 srun -N1 --ssh echo ran
'

test_expect_success CLUSTER,USERS 'a basedir owned by someone else is refused' '
    test_when_finished "chown root:root $JOBSSH_CLUSTER_KEYS" &&
    chown jstest2 "$JOBSSH_CLUSTER_KEYS" &&
    fails_with "basedir=$JOBSSH_CLUSTER_KEYS is not safe: .*(owned by|owner)" \
        run_as jstest1 srun -N1 --ssh echo ran
'

test_expect_success CLUSTER,USERS 'a basedir reached through a symlink is refused' '
    test_when_finished "plugstack_restore; rm -f $JOBSSH_CLUSTER_DIR/keys-link" &&
    ln -sfn "$JOBSSH_CLUSTER_KEYS" "$JOBSSH_CLUSTER_DIR/keys-link" &&
    plugstack_line "required $JOBSSH_CLUSTER_INSTALL/lib/jobssh.so basedir=$JOBSSH_CLUSTER_DIR/keys-link libexec_dir=$JOBSSH_CLUSTER_INSTALL/libexec rundir=$JOBSSH_RUNDIR" &&
    fails_with "basedir=$JOBSSH_CLUSTER_DIR/keys-link is not safe: .*symlink" \
        run_as jstest1 srun -N1 --ssh echo ran
'

test_expect_success CLUSTER,USERS 'a user key directory made by another user is refused' '
    test_when_finished "rm -rf $JOBSSH_CLUSTER_KEYS/jstest1" &&
    rm -rf "$JOBSSH_CLUSTER_KEYS/jstest1" &&
    install -d -o jstest2 -g jstest2 -m 0700 "$JOBSSH_CLUSTER_KEYS/jstest1" &&
    fails_with "$JOBSSH_CLUSTER_KEYS/jstest1 is owned by uid 2002, not by uid 2001" \
        run_as jstest1 srun -N1 --ssh echo ran
'

test_expect_success CLUSTER,USERS 'a missing Dropbear fails every task with the reason on stderr' '
    test_when_finished "plugstack_restore; rm -rf $JOBSSH_CLUSTER_DIR/libexec-nodropbear" &&
    rm -rf "$JOBSSH_CLUSTER_DIR/libexec-nodropbear" &&
    cp -a "$JOBSSH_CLUSTER_INSTALL/libexec" "$JOBSSH_CLUSTER_DIR/libexec-nodropbear" &&
    rm "$JOBSSH_CLUSTER_DIR/libexec-nodropbear/dropbear" &&
    plugstack_line "required $JOBSSH_CLUSTER_INSTALL/lib/jobssh.so basedir=$JOBSSH_CLUSTER_KEYS libexec_dir=$JOBSSH_CLUSTER_DIR/libexec-nodropbear rundir=$JOBSSH_RUNDIR" &&
    fails_with "jobssh: error: node1: couldn.t exec .*libexec-nodropbear/dropbear: No such file" \
        run_as jstest1 srun -N1 -w node1 --ssh bash -c "echo job=\$SLURM_JOB_ID; echo ran" &&
    job=$(job_of stdout) &&
    test -z "$job" &&
    wait_no_leftovers ""
'

test_expect_success CLUSTER,USERS 'no free port among the candidates fails the step with the reason' '
    test_when_finished "plugstack_restore; kill \$blockers 2>/dev/null; wait" &&
    plugstack_args port_range=2300-2301 port_count=2 &&
    blockers= &&
    for port in 2300 2301; do
        { nsenter --net="$(node_net node1)" python3 -c "
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((\"0.0.0.0\", $port)); s.listen(1); time.sleep(60)" & } &&
        blockers="$blockers $!" || return 1
    done &&
    wait_for 10 eval "nsenter --net=$(node_net node1) ss -Htln \"sport = :2301\" | grep -q ." &&
    fails_with "jobssh: error: node1: no free port among the 2 candidates" \
        run_as jstest1 srun -N1 -w node1 --ssh echo ran &&
    kill $blockers && wait &&
    wait_no_leftovers ""
'

test_expect_success CLUSTER 'plugstack.conf is the cluster one again' '
    test_cmp plugstack.good "$JOBSSH_CLUSTER_DIR/etc/plugstack.conf"
'

test_done
