#!/bin/sh
# Generate the build system from a git checkout: ./autogen.sh && ./configure && make
set -e
cd "$(dirname "$0")"
mkdir -p config
autoreconf --force --install --verbose
# The TAP driver ships with Automake; take the installed copy rather than a committed one.
for d in $(automake --print-libdir 2>/dev/null) /usr/share/automake-1.16; do
    if [ -f "$d/tap-driver.sh" ]; then
        cp -f "$d/tap-driver.sh" config/tap-driver.sh
        break
    fi
done
test -f config/tap-driver.sh || { echo "autogen.sh: tap-driver.sh not found (install automake)" >&2; exit 1; }
echo "Now run ./configure"
