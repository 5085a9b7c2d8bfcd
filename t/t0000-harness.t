#!/bin/bash

test_description='the test harness itself: skips, CI=true, run_as, wait_for'

. /usr/share/sharness/sharness.sh

jobssh_setup_users

# inner_test NAME BODY-PREREQ: a one-test sharness file using our helpers.
inner_test() {
    cat >"$1" <<INNER
#!/bin/bash
test_description='inner'
. /usr/share/sharness/sharness.sh
test_expect_success $2 'needs $2' 'true'
test_done
INNER
    chmod +x "$1"
}

# Run an inner test file as a fresh sharness run (not inside ours).
run_inner() {
    env -u SHARNESS_TEST_DIRECTORY -u SHARNESS_BUILD_DIRECTORY -u SHARNESS_TRASH_DIRECTORY \
        -u SHARNESS_TEST_FILE -u JOBSSH_TEST_VERBOSE \
        SHARNESS_TEST_SRCDIR="$JOBSSH_TEST_SRCDIR" JOBSSH_BUILDDIR="$PWD/empty-build" "$@"
}

test_expect_success 'a missing prerequisite is a skip with the reason' '
    mkdir -p empty-build &&
    inner_test t0100-inner.t PLUGIN &&
    run_inner env -u CI ./t0100-inner.t >out &&
    grep "^ok 1 # skip" out &&
    grep "^# skip .*PLUGIN: the SPANK plugin is not built" out
'

test_expect_success 'with CI=true the same skip is a failure' '
    test_must_fail run_inner env CI=true ./t0100-inner.t >out &&
    grep "^not ok 1 - needs PLUGIN" out
'

test_expect_success 'with CI=true a prerequisite outside the list is still a skip' '
    inner_test t0101-inner.t EXPENSIVE &&
    run_inner env CI=true ./t0101-inner.t >out &&
    grep "^ok 1 # skip" out
'

test_expect_success 'wait_for succeeds as soon as the command does' '
    rm -f flag &&
    (sleep 0.3 && touch flag) &
    wait_for 5 test -e flag
'

test_expect_success 'wait_for gives up after its time limit' '
    start=$(date +%s) &&
    test_must_fail wait_for 1 false 2>err &&
    test $(( $(date +%s) - start )) -le 3 &&
    grep "did not succeed within 1s" err
'

test_expect_success ROOT,USERS 'run_as runs as the user with a clean environment' '
    JOBSSH_LEAK=1 run_as jstest1 sh -c "id -un; id -u; pwd; env" >out &&
    sed -n 1p out >user && echo jstest1 >expect && test_cmp expect user &&
    sed -n 2p out >uid && echo 2001 >expect && test_cmp expect uid &&
    test "$(sed -n 3p out)" = "$(user_workdir jstest1)" &&
    ! grep JOBSSH_LEAK out &&
    grep "^HOME=/home/jstest1$" out
'

test_expect_success ROOT,USERS 'user_workdir belongs to the user' '
    test "$(stat -c %U "$(user_workdir jstest2)")" = jstest2
'

test_done
