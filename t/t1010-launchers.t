#!/bin/bash

test_description='srun --ssh: OpenMPI mpirun, MPICH mpiexec and pdsh reach the nodes over jobssh with no extra flags'

. /usr/share/sharness/sharness.sh

jobssh_require PLUGIN DROPBEAR MPI MPICH PDSH
test_cluster_up

N=$JOBSSH_CLUSTER_NNODES
dir=$(user_workdir jstest1)

launch() {
    run_as jstest1 srun -N$N --ntasks-per-node=1 --ssh=launcher "$@"
}

test_expect_success MPI,MPICH 'build the MPI test program with OpenMPI and MPICH' '
    build_mpi_hello "$dir"
'

# ranks_ok CMD...: CMD, run by the launcher, prints one line per rank, one rank per node.
ranks_ok() {
    launch "$@" >actual &&
    sort actual >actual.sorted &&
    expect_ranks >expect &&
    test_cmp expect actual.sorted
}

test_expect_success CLUSTER,USERS,MPI 'OpenMPI mpirun runs one rank per node over ssh' '
    ranks_ok mpirun.openmpi -np $N ./hello-ompi
'

test_expect_success CLUSTER,USERS,MPI 'OpenMPI used its rsh/ssh launcher, not srun' '
    launch mpirun.openmpi --mca plm_base_verbose 5 -np $N ./hello-ompi >out 2>err &&
    grep "plm:rsh" err &&
    ! grep "plm:slurm" err
'

test_expect_success CLUSTER,USERS,MPICH 'MPICH mpiexec (hydra) runs one rank per node over ssh' '
    ranks_ok mpiexec.mpich -n $N ./hello-mpich
'

test_expect_success CLUSTER,USERS,MPICH 'hydra used the ssh bootstrap' '
    launch mpiexec.mpich -verbose -n $N ./hello-mpich >out 2>&1 &&
    grep -E "(/bin/ssh|bin/ssh\") .*node" out
'

test_expect_success CLUSTER,USERS,PDSH 'pdsh with no arguments reaches every node of the step' '
    launch pdsh hostname >actual &&
    for n in $JOBSSH_CLUSTER_NODES; do echo "$n: $n"; done | sort >expect &&
    sort actual >actual.sorted &&
    test_cmp expect actual.sorted
'

test_expect_success CLUSTER,USERS,PDSH 'pdsh -R ssh -w on a subset' '
    launch pdsh -R ssh -w node2,node3 "echo \$(hostname) \$SLURM_JOB_ID" >actual &&
    test "$(wc -l <actual)" = 2 &&
    grep "^node2: node2 [0-9]" actual &&
    grep "^node3: node3 [0-9]" actual
'

test_expect_success CLUSTER 'nothing is left on the nodes' '
    wait_no_leftovers ""
'

test_done
