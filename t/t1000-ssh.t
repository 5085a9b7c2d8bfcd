#!/bin/bash

test_description='srun --ssh: every task reaches every node of the step over ssh, inside the job container'

. /usr/share/sharness/sharness.sh

jobssh_require PLUGIN DROPBEAR
test_cluster_up

N=$JOBSSH_CLUSTER_NNODES
NODES=$JOBSSH_CLUSTER_NODES

test_expect_success CLUSTER,USERS 'all-to-all ssh from every task at task start' '
    run_as jstest1 srun -N$N --ntasks-per-node=1 --ssh bash -c "
        for n in $NODES; do echo \$(hostname)\"->\"\$(ssh \$n hostname); done
        sleep 2" >actual 2>err &&
    for a in $NODES; do for b in $NODES; do echo "$a->$b"; done; done | sort >expect &&
    sort actual >actual.sorted &&
    test_cmp expect actual.sorted
'

test_expect_success CLUSTER,USERS 'srun prints one line saying ssh is on' '
    grep -c "jobssh: ssh is on for step" err >count &&
    echo 1 >expect.count &&
    test_cmp expect.count count &&
    ! grep -i error err
'

# The rest run as --ssh=launcher: task 0 runs the command, the other nodes serve.
launch() {
    run_as jstest1 srun -N$N --ntasks-per-node=1 --ssh=launcher "$@"
}

test_expect_success CLUSTER,USERS '--ssh=launcher: only task 0 runs the command and the step ends with exit 0' '
    launch bash -c "echo ran on \$(hostname); ssh node2 true" >actual &&
    echo "ran on node1" >expect &&
    test_cmp expect actual
'

test_expect_success CLUSTER,USERS '--ssh=launcher: the launcher exit code is the step exit code' '
    test_expect_code 3 launch bash -c "exit 3"
'

test_expect_success CLUSTER,USERS 'a session lands in the job container: same mount namespace, private /tmp' '
    write_script container.sh <<-\EOF &&
	#!/bin/bash
	echo "secret-$SLURM_JOB_ID" | ssh node2 "cat >/tmp/jobssh-marker"
	ssh node2 cat /tmp/jobssh-marker
	echo "job=$SLURM_JOB_ID"
	echo "here=$(readlink /proc/self/ns/mnt)"
	echo "node2=$(ssh node2 readlink /proc/self/ns/mnt)"
	echo "node2-init=$(ssh node2 readlink /proc/1/ns/mnt)"
	EOF
    run_as jstest1 srun -N$N --ntasks-per-node=1 --ssh=launcher ./container.sh >actual &&
    job=$(sed -n "s/^job=//p" actual) &&
    grep -x "secret-$job" actual &&
    ! test -e /tmp/jobssh-marker &&
    node2=$(sed -n "s/^node2=//p" actual) &&
    init=$(sed -n "s/^node2-init=//p" actual) &&
    test -n "$node2" && test "$node2" != "$init" &&
    here=$(sed -n "s/^here=//p" actual) &&
    test "$here" != "$init"
'

test_expect_success CLUSTER,USERS 'non-login sessions get the job environment (PATH, exported variables)' '
    write_script env.sh <<-\EOF &&
	#!/bin/bash
	ssh node3 "echo var=\$JOBSSH_TEST_VAR; echo path=\$PATH"
	echo "local-orted=$(command -v orted)"
	echo "remote-orted=$(ssh node3 command -v orted)"
	EOF
    run_as jstest1 env JOBSSH_TEST_VAR=from-the-job bash -c \
        "export PATH=\$PATH:/opt/jobssh-test-path; exec srun -N$N --ntasks-per-node=1 --ssh=launcher ./env.sh" \
        >actual &&
    grep -x "var=from-the-job" actual &&
    grep "^path=.*:/opt/jobssh-test-path" actual &&
    local=$(sed -n "s/^local-orted=//p" actual) &&
    test -n "$local" &&
    grep -x "remote-orted=$local" actual
'

# The wrapper hands its arguments to the OpenSSH client untouched, so `ssh`
# in a job behaves exactly like OpenSSH: the command words are joined with
# spaces and the remote shell reads them (launchers such as OpenMPI rely on
# this).
write_script quoting.sh <<'EOF'
#!/bin/bash
ssh node2 printf "%s\n" "a b" >wrapped
/usr/bin/ssh -F "$JOBSSH_SSH_CONFIG" node2 printf "%s\n" "a b" >direct
cmp wrapped direct && echo same
ssh node2 printf "'%s\n'" "'a b'"
ssh node2 "printf '%s\n' 'c d' \"e  f\""
ssh node2 -- echo "'\$HOME'" '$HOME'
EOF

test_expect_success CLUSTER,USERS 'arguments reach the ssh client untouched (same result as OpenSSH by hand)' '
    run_as jstest1 srun -N$N --ntasks-per-node=1 --ssh=launcher ./quoting.sh >actual &&
    printf "%s\n" same "a b" "c d" "e  f" "\$HOME /home/jstest1" >expect &&
    test_cmp expect actual
'

test_expect_success CLUSTER,USERS 'the shipped dbclient reaches the nodes too' '
    launch bash -c "dbclient node3 hostname; ssh_real=\$(command -v dbclient); echo \$ssh_real" >actual &&
    head -n1 actual >first &&
    echo node3 >expect &&
    test_cmp expect first &&
    grep "/bin/dbclient$" actual
'

test_expect_success CLUSTER,USERS 'the host key is checked: a different known host key is refused' '
    dir=$(user_workdir jstest1) &&
    rm -f other other.pub &&
    ssh-keygen -q -t ed25519 -N "" -f other &&
    install -m 0644 other.pub "$dir/other.pub" &&
    launch bash -c "
        echo \"jobssh-\$SLURM_JOB_ID \$(cut -d\" \" -f1,2 other.pub)\" >kh
        ssh -o UserKnownHostsFile=\$PWD/kh node2 echo logged in; echo rc=\$?" >actual 2>err &&
    grep -x rc=255 actual &&
    ! grep "logged in" actual &&
    grep "Host key verification failed" err
'

test_expect_success CLUSTER,USERS 'hostfile and launcher variables are set' '
    launch bash -c "
        cat \$JOBSSH_HOSTFILE
        echo plm=\$OMPI_MCA_plm boot=\$HYDRA_BOOTSTRAP rcmd=\$PDSH_RCMD_TYPE wcoll=\$WCOLL hf=\$JOBSSH_HOSTFILE" >actual &&
    printf "%s\n" $NODES >expect &&
    head -n $N actual >hosts &&
    test_cmp expect hosts &&
    grep "^plm=rsh boot=ssh rcmd=ssh wcoll=\(.*\) hf=\1$" actual
'

test_expect_success CLUSTER,USERS 'srun --ssh in a job submitted without --ssh, for a user new to basedir' '
    rm -rf "$JOBSSH_CLUSTER_KEYS/jstest2" &&
    run_as jstest2 salloc -N$N --ntasks-per-node=1 \
        srun --ssh=launcher ssh node2 hostname >actual &&
    echo node2 >expect &&
    test_cmp expect actual &&
    test "$(stat -c "%U %a" "$JOBSSH_CLUSTER_KEYS/jstest2")" = "jstest2 700"
'

test_expect_success CLUSTER,USERS 'a refused srun --ssh inside an allocation leaves the allocation usable' '
    test_when_finished "chmod 0755 $JOBSSH_CLUSTER_KEYS" &&
    write_script refused.sh <<-\EOF &&
	#!/bin/bash
	srun --ssh true && exit 1
	timeout 30 srun true && echo next-step-ran
	EOF
    chmod 0775 "$JOBSSH_CLUSTER_KEYS" &&
    run_as jstest1 salloc -N1 ./refused.sh >actual 2>err &&
    grep -x next-step-ran actual &&
    grep "basedir=$JOBSSH_CLUSTER_KEYS is not safe" err
'

test_expect_success CLUSTER,USERS 'sbatch --ssh does not break batch jobs; its steps get ssh' '
    run_as jstest1 sbatch -N$N --ntasks-per-node=1 --ssh --wait -o batch.out --wrap \
        "hostname; srun --ssh=launcher ssh node3 hostname" &&
    printf "%s\n" node1 node3 >expect &&
    grep -v "^srun: jobssh" "$(user_workdir jstest1)/batch.out" >actual &&
    test_cmp expect actual
'

test_done
