#!/bin/bash

test_description='the jobssh SPANK plugin is loaded by the test cluster'

. /usr/share/sharness/sharness.sh

jobssh_require PLUGIN
test_cluster_up

plugin=$JOBSSH_CLUSTER_INSTALL/lib/jobssh.so

test_expect_success CLUSTER 'plugstack.conf loads the installed plugin as required' '
    grep -x "required $plugin basedir=$JOBSSH_CLUSTER_KEYS.*" "$JOBSSH_CLUSTER_DIR/etc/plugstack.conf"
'

test_expect_success CLUSTER 'the installed plugin and every directory above it are root-owned, not writable by others' '
    p=$plugin &&
    while :; do
        test "$(stat -c %u "$p")" = 0 &&
        test $(( 0$(stat -c %a "$p") & 022 )) = 0 || {
            echo "unsafe: $(stat -c "%U %a %n" "$p")" >&2
            return 1
        }
        test "$p" = / && break
        p=$(dirname "$p")
    done
'

test_expect_success CLUSTER 'the installed plugin is the built one' '
    cmp "$JOBSSH_BUILDDIR/spank/.libs/jobssh.so" "$plugin"
'

test_expect_success CLUSTER 'every slurmd has the plugin loaded' '
    for f in "$JOBSSH_CLUSTER_DIR"/pids/slurmd.*.pid; do
        grep -F "$plugin" /proc/$(cat "$f")/maps >/dev/null || {
            echo "not loaded by $(basename "$f" .pid)" >&2
            return 1
        }
    done
'

test_expect_success CLUSTER,USERS 'srun, sbatch and salloc --help list --ssh' '
    run_as jstest1 srun --help >srun.help &&
    grep -e "--ssh" srun.help &&
    run_as jstest1 sbatch --help >sbatch.help &&
    grep -e "--ssh" sbatch.help &&
    run_as jstest1 salloc --help >salloc.help &&
    grep -e "--ssh" salloc.help
'

test_expect_success CLUSTER,USERS 'a job without --ssh still runs on every node' '
    run_as jstest1 srun -N$JOBSSH_CLUSTER_NNODES hostname | sort >actual &&
    printf "%s\n" $JOBSSH_CLUSTER_NODES | sort >expect &&
    test_cmp expect actual
'

test_expect_success CLUSTER 'no slurmd logged a plugin error during these tests' '
    for n in $JOBSSH_CLUSTER_NODES; do
        test -s "$(cluster_slurmd_log $n)" &&
        cluster_slurmd_log_since_mark $n >log.$n &&
        if grep -E "error: (jobssh|spank)|spank.*(fail|error)|(jobssh|spank).*fatal" log.$n; then
            return 1
        fi
    done
'

test_done
