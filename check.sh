#!/bin/bash
# Build jobssh and run the whole test suite: unit tests, the static Dropbear
# checks, and the integration tests on a local multi-node Slurm cluster; then
# the parsers under libFuzzer, the unit tests under valgrind and built with
# ASan+UBSan, and the integration tests against that ASan+UBSan build.
# On a fresh Debian 12 machine, as root:   ./check.sh
set -euo pipefail
cd "$(dirname "$0")"
start=$(date +%s)
# Show what failed: each directory's test-suite.log lists its failing tests'
# output (under DIR; by default this build's, without the ASan build's).
show_logs() {
    find "${1:-.}" -path ./build-asan -prune -o -name test-suite.log -newer configure \
        -exec sh -c 'echo "=== $1"; cat "$1"' _ {} \;
}
./tools/install-deps
# The integration tests' container images (t/helpers/make-images): built once,
# here, and cached; a few minutes the first time, a no-op afterwards.
./t/cluster/setup-users.sh
./t/helpers/make-images
[ -x configure ] || ./autogen.sh
[ -f Makefile ] || ./configure --enable-werror ${JOBSSH_CONFIGURE_FLAGS:-}
make -j2
if ! make check; then
    show_logs
    exit 1
fi
# Every fuzz target for a short while from its seed corpus (make fuzz prints
# per target the inputs run and the crashes found, and the failing input).
make fuzz FUZZ_SECONDS="${JOBSSH_FUZZ_SECONDS:-15}"
# The unit test programs under valgrind (one summary line per program) ...
make check-valgrind
# ... and built with ASan+UBSan, in a build of their own (build-asan/).
if ! make -j2 check-asan; then
    show_logs build-asan
    exit 1
fi
# The integration tests against that build's plugin and jobssh-sshd (Slurm's
# programs with the ASan runtime preloaded); a sanitizer report about jobssh
# code fails.
if ! make check-asan-integration; then
    show_logs build-asan
    exit 1
fi
echo "check.sh: all tests done in $(( $(date +%s) - start )) s"
