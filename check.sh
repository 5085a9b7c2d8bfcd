#!/bin/bash
# Build jobssh and run the whole test suite: unit tests, the static Dropbear
# checks, and the integration tests on a local multi-node Slurm cluster.
# On a fresh Debian 12 machine, as root:   ./check.sh
set -euo pipefail
cd "$(dirname "$0")"
start=$(date +%s)
./tools/install-deps
[ -x configure ] || ./autogen.sh
[ -f Makefile ] || ./configure --enable-werror ${JOBSSH_CONFIGURE_FLAGS:-}
make -j2
if ! make check; then
    # Show what failed: each directory's test-suite.log lists its failing tests' output.
    find . -name test-suite.log -newer configure -exec sh -c 'echo "=== $1"; cat "$1"' _ {} \;
    exit 1
fi
echo "check.sh: all tests done in $(( $(date +%s) - start )) s"
