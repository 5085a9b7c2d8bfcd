#!/bin/sh
# Run libFuzzer targets for a bounded time each and report, per target, the
# inputs executed and the crashes found. `make fuzz` runs it in the fuzz/
# build directory:
#
#   run-fuzzers.sh SEEDDIR TARGET...
#
# TARGET is the name of ./fuzz-TARGET; SEEDDIR/TARGET/ holds its seed inputs
# (only read). New inputs that reach new code go to work/TARGET/corpus/, so
# later runs start from them; a failing input is saved in work/TARGET/
# (crash-*, leak-*, timeout-*, oom-*) and the run's output in
# work/TARGET/fuzz.log.
#
# Environment (make fuzz passes its variables of the same names):
#   FUZZ_SECONDS   time per target [20]
#   FUZZ_RUNS      run this many inputs per target instead of FUZZ_SECONDS
#                  (0: use FUZZ_SECONDS) [0]
#   FUZZ_TIMEOUT   seconds one input may take before it counts as a hang [10]
#   FUZZ_RSS_MB    memory limit of a target, in MiB [2048]
#
# Exit status 1 when any target crashed, leaked, hung, ran out of memory or
# did not run at all.
set -u

seeds=$1
shift
seconds=${FUZZ_SECONDS:-20}
runs=${FUZZ_RUNS:-0}
timeout=${FUZZ_TIMEOUT:-10}
rss=${FUZZ_RSS_MB:-2048}
case "$seconds$runs$timeout$rss" in
*[!0-9]*)
    echo "run-fuzzers.sh: FUZZ_SECONDS, FUZZ_RUNS, FUZZ_TIMEOUT and FUZZ_RSS_MB are whole numbers" >&2
    exit 2
    ;;
esac

# A sanitizer report ends the target, which libFuzzer reports as a crash
# (leaks are checked after every input that allocated more than it freed).
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
export UBSAN_OPTIONS
limit=-max_total_time=$seconds
[ "$runs" = 0 ] || limit=-runs=$runs

failed=0
total=0
printf '%-10s %12s %8s %8s  %s\n' target executions crashes corpus result
for t in "$@"; do
    work=work/$t
    mkdir -p "$work/corpus"
    rm -f "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-* "$work"/fuzz.log
    ./fuzz-"$t" "$limit" -timeout="$timeout" \
        -rss_limit_mb="$rss" -print_final_stats=1 -artifact_prefix="$work/" \
        "$work/corpus" "$seeds/$t" > "$work/fuzz.log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/fuzz.log" | tail -n 1)
    crashes=$(find "$work" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'leak-*' \
        -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
    inputs=$(find "$work/corpus" -type f | wc -l)
    result=ok
    if [ "$rc" != 0 ] || [ "$crashes" != 0 ] || [ -z "$execs" ]; then
        result="FAILED (exit $rc, see $work/fuzz.log)"
        failed=1
        [ "$crashes" = 0 ] && crashes="?"
    fi
    printf '%-10s %12s %8s %8s  %s\n' "$t" "${execs:-?}" "$crashes" "$inputs" "$result"
    total=$((total + ${execs:-0}))
    if [ "$result" != ok ]; then
        # What went wrong: the sanitizer or invariant report, and the input.
        grep -E -A 30 '^==[0-9]+==ERROR|invariant failed|runtime error|ALARM|out-of-memory' \
            "$work/fuzz.log" | head -n 60 | sed 's/^/    /'
        for f in "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*; do
            [ -f "$f" ] && echo "    failing input: $f (replay: fuzz/fuzz-$t $f)"
        done
    fi
done
echo "fuzz: $# targets, $total executions, $(if [ "$failed" = 0 ]; then echo "no failures"; else echo "FAILED"; fi)"
exit $failed
