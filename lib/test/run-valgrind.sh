#!/bin/sh
# Run unit test programs under valgrind (memcheck) and print one summary
# line per program. `make check-valgrind` runs it in lib/ on $(TESTS):
#
#   test/run-valgrind.sh test/error.t test/util.t ...
#
# A program fails when one of its tests fails, when memcheck reports any
# error (invalid read or write, use of uninitialised memory, bad free, ...)
# or a definite or indirect leak in it or in any process it forked.
#
# Forked children stay under valgrind (it always follows fork): the code the
# tests run there (dropping privileges, joining namespaces, a spawned
# child's steps before exec) is checked like the rest. All processes of a
# program write to one log (lines start with ==PID==; a file per process
# could not be created by children that dropped to another user). Programs they exec are not traced (--trace-children=no):
# they are system programs (/bin/sh, env, cat, grep, sleep, true) and the
# privs test's setuid-root copy of id, which valgrind could not run with its
# privilege, so tracing them would check other projects' code and break the
# tests that look at a child's environment, signal state or uid.
#
# Columns: TAP tests run, skipped and failed; processes that ended under
# valgrind (each gives a report; a process that exec'd or was killed gives
# none); memcheck errors; bytes definitely lost, summed over the processes.
#
# Logs: test/valgrind/<program>/tap.log (the TAP output and stderr) and
# valgrind.log (every process's report, each ending in an ERROR SUMMARY).
set -u

VALGRIND=${VALGRIND:-valgrind}
if ! command -v "$VALGRIND" >/dev/null 2>&1; then
    echo "check-valgrind: valgrind was not found (install the Debian package valgrind)" >&2
    exit 1
fi

failed=0
nprog=0
nerr=0
printf '%-18s %6s %7s %6s %9s %7s %10s  %s\n' program tests skipped failed processes errors \
    "lost(def)" result
for prog in "$@"; do
    name=$(basename "$prog" .t)
    logs=test/valgrind/$name
    rm -rf "$logs"
    mkdir -p "$logs"
    # JOBSSH_TEST_VALGRIND: a test may skip what valgrind cannot do (e.g.
    # system calls it does not know, such as pidfd_open before 3.20).
    JOBSSH_TEST_VALGRIND=1 "$VALGRIND" --trace-children=no --leak-check=full \
        --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
        --error-exitcode=99 --log-fd=3 \
        "./$prog" > "$logs/tap.log" 2>&1 3> "$logs/valgrind.log"
    rc=$?
    nprog=$((nprog + 1))
    tests=$(grep -c '^ok\|^not ok' "$logs/tap.log")
    notok=$(grep -c '^not ok' "$logs/tap.log")
    skipped=$(grep -c '^ok .*# SKIP' "$logs/tap.log")
    procs=$(grep -c 'ERROR SUMMARY:' "$logs/valgrind.log")
    errors=$(sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$logs/valgrind.log" |
        awk '{ s += $1 } END { print s + 0 }')
    lost=$(sed -n 's/.*definitely lost: \([0-9,]*\) bytes.*/\1/p' "$logs/valgrind.log" |
        tr -d , | awk '{ s += $1 } END { print s + 0 }')
    result=ok
    if [ "$rc" != 0 ] || [ "$notok" != 0 ] || [ "$errors" != 0 ] || [ "$lost" != 0 ] ||
        [ "$tests" = 0 ]; then
        result="FAILED (exit $rc, see lib/$logs/)"
        failed=1
    fi
    nerr=$((nerr + errors))
    printf '%-18s %6s %7s %6s %9s %7s %10s  %s\n' "$prog" "$tests" "$skipped" "$notok" "$procs" \
        "$errors" "$lost" "$result"
    if [ "$result" != ok ]; then
        grep '^not ok' "$logs/tap.log" | head -n 10 | sed 's/^/    /'
        # the reports, without valgrind's banners and notes
        grep -v -e '^--' -e 'Memcheck, a memory' -e 'Copyright (C)' -e 'Using Valgrind' \
            -e 'Command: ' -e 'Parent PID' -e 'rerun with' -e '^==[0-9]*== *$' \
            "$logs/valgrind.log" | head -n 60 | sed 's/^/    /'
    fi
done
echo "check-valgrind: $nprog programs, $nerr errors, $(if [ "$failed" = 0 ]; then echo "all passed"; else echo "FAILED"; fi)"
exit $failed
