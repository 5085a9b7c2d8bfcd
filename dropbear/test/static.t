#!/bin/bash
# TAP: every bundled Dropbear program is a static executable of the pinned
# version that runs without any shared library.
set -u

bindir=${DROPBEAR_BINDIR:-$(cd "$(dirname "$0")/.." && pwd)}
version=${DROPBEAR_VERSION:-}
programs="dropbear dbclient dropbearkey dropbearconvert scp"

n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $*"; }
skip() { n=$((n + 1)); echo "ok $n # SKIP $*"; }

echo "1..14"

have_file=yes
command -v file >/dev/null 2>&1 || have_file=no

for p in $programs; do
    bin=$bindir/$p
    if [ ! -x "$bin" ]; then
        not_ok "$p: $bin exists and is executable"
        not_ok "$p: ldd says not a dynamic executable"
        continue
    fi
    if [ "$have_file" = yes ]; then
        desc=$(file -b "$bin")
        case $desc in
            *"statically linked"*) ok "$p: file says statically linked" ;;
            *) not_ok "$p: file says statically linked (got: $desc)" ;;
        esac
    elif [ "${CI:-}" = true ]; then
        not_ok "$p: file(1) is missing (install the Debian package 'file')"
    else
        skip "$p: file(1) is not installed"
    fi
    # ldd prints this (and exits non-zero) for a static executable
    if out=$(ldd "$bin" 2>&1); then
        not_ok "$p: ldd says not a dynamic executable (got: $out)"
    else
        case $out in
            *"not a dynamic executable"*) ok "$p: ldd says not a dynamic executable" ;;
            *) not_ok "$p: ldd says not a dynamic executable (got: $out)" ;;
        esac
    fi
done

# The programs run (no loader needed) and report the pinned version.
out=$(env -i "$bindir/dropbear" -V 2>&1)
case $out in
    "Dropbear v$version"*) ok "dropbear -V reports v$version" ;;
    *) not_ok "dropbear -V reports v$version (got: $out)" ;;
esac
out=$(env -i "$bindir/dbclient" -V 2>&1)
case $out in
    "Dropbear v$version"*) ok "dbclient -V reports v$version" ;;
    *) not_ok "dbclient -V reports v$version (got: $out)" ;;
esac
# the patched server lists its added options
out=$(env -i "$bindir/dropbear" -h 2>&1)
case $out in
    *"-C comment"*"-U name:home:shell"* | *"-U name:home:shell"*"-C comment"*)
        ok "dropbear -h lists -C and -U" ;;
    *) not_ok "dropbear -h lists -C and -U" ;;
esac
# no password authentication compiled in: -s is accepted as a no-op, and
# the help text offers no password options
case $out in
    *"Disable password logins"*) not_ok "no password auth compiled in" ;;
    *) ok "no password auth compiled in" ;;
esac

[ "$fails" -eq 0 ]
