#!/bin/sh
# Obtain the pinned upstream Dropbear tarball, or verify one.
#
#   fetch-source.sh OUTFILE          download (if OUTFILE is not already a
#                                    verified copy) and verify
#   fetch-source.sh --check FILE     only verify FILE against the pin
#   fetch-source.sh --version        print the pinned version
#
# The pin (version and SHA-256 of the upstream tarball) lives in one place:
# dropbear.sha256 beside this script, in sha256sum(1) format.
#
# The tarball is taken from Debian's source package: Debian's
# dropbear_<ver>.orig.tar.bz2 is byte-identical to the upstream release
# tarball. It is fetched with `apt-get source --download-only` using a
# private, throw-away apt state (own sources list, lists, cache and status),
# so the system's apt configuration and package lists are left untouched.
# The mirror is read at run time from the machine's apt configuration.
# Works as root or as an ordinary user.
#
# Environment:
#   JOBSSH_DEBIAN_MIRROR   use this archive URI instead of the detected one
#   JOBSSH_DEBIAN_SUITE    suite to take the source package from (default trixie)
set -eu

here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
pinfile=$here/dropbear.sha256

die() {
    printf 'fetch-source.sh: error: %s\n' "$*" >&2
    exit 1
}
note() {
    printf 'fetch-source.sh: %s\n' "$*" >&2
}

[ -r "$pinfile" ] || die "cannot read pin file $pinfile"
# First non-comment line: "<sha256>  dropbear-<version>.tar.bz2"
pin_line=$(grep -v '^[[:space:]]*#' "$pinfile" | grep -v '^[[:space:]]*$' | head -n 1)
pin_sha=${pin_line%%[[:space:]]*}
pin_name=${pin_line##*[[:space:]]}
pin_ver=${pin_name#dropbear-}
pin_ver=${pin_ver%.tar.bz2}
case $pin_sha in
    *[!0-9a-f]*|'') die "malformed SHA-256 in $pinfile" ;;
esac
[ ${#pin_sha} -eq 64 ] || die "malformed SHA-256 in $pinfile"
[ "$pin_name" != "$pin_ver" ] || die "malformed file name in $pinfile"

# check FILE: returns 0 when FILE matches the pinned SHA-256.
check() {
    [ -f "$1" ] || return 1
    got=$(sha256sum < "$1") || return 1
    got=${got%%[[:space:]]*}
    if [ "$got" != "$pin_sha" ]; then
        note "checksum mismatch for $1"
        note "  expected $pin_sha (dropbear $pin_ver, pinned in $pinfile)"
        note "  got      $got"
        return 1
    fi
    return 0
}

case ${1-} in
    --version)
        printf '%s\n' "$pin_ver"
        exit 0
        ;;
    --check)
        [ $# -eq 2 ] || die "usage: $0 --check FILE"
        check "$2" || die "$2 is not the pinned dropbear-$pin_ver tarball"
        exit 0
        ;;
    ''|-*)
        die "usage: $0 OUTFILE | --check FILE | --version"
        ;;
esac
[ $# -eq 1 ] || die "usage: $0 OUTFILE | --check FILE | --version"
out=$1

if [ -f "$out" ]; then
    if check "$out" 2>/dev/null; then
        note "reusing verified $out"
        exit 0
    fi
    note "existing $out does not match the pin; downloading again"
fi

command -v apt-get >/dev/null 2>&1 || die "apt-get not found; pass a tarball with --with-dropbear-tarball=FILE"

# Print the first archive URI configured for Debian "main" of a regular
# (non-security) Debian suite, from one-line .list files and deb822 .sources.
find_mirror() {
    suite_re='^(oldoldstable|oldstable|stable|testing|unstable|sid|buster|bullseye|bookworm|trixie|forky|duke)(-updates|-backports)?$'
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -r "$f" ] || continue
        awk -v re="$suite_re" '
            { sub(/#.*/, "") }
            $1 == "deb" || $1 == "deb-src" {
                i = 2
                if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
                uri = $i; suite = $(i + 1)
                if (suite !~ re) next
                for (j = i + 2; j <= NF; j++) if ($j == "main") { print uri; exit }
            }' "$f"
    done
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -r "$f" ] || continue
        awk -v re="$suite_re" '
            function flush(   n, s, c, u, i, ok, hasmain) {
                if (enabled != "no" && uris != "" && types ~ /(^|[ \t])deb(-src)?([ \t]|$)/) {
                    n = split(suites, s, /[ \t]+/); ok = 0
                    for (i = 1; i <= n; i++) if (s[i] ~ re) ok = 1
                    n = split(comps, c, /[ \t]+/); hasmain = 0
                    for (i = 1; i <= n; i++) if (c[i] == "main") hasmain = 1
                    if (ok && hasmain) { split(uris, u, /[ \t]+/); print u[1]; exit }
                }
                types = uris = suites = comps = enabled = ""
            }
            /^#/ { next }
            /^[ \t]*$/ { flush(); next }
            /^[ \t]/ { next }
            {
                key = tolower($0); sub(/:.*/, "", key)
                val = $0; sub(/^[^:]*:[ \t]*/, "", val); sub(/[ \t]+$/, "", val)
                if (key == "types") types = val
                else if (key == "uris") uris = val
                else if (key == "suites") suites = val
                else if (key == "components") comps = val
                else if (key == "enabled") enabled = tolower(val)
            }
            END { flush() }' "$f"
    done
}

suite=${JOBSSH_DEBIAN_SUITE:-trixie}
mirror=${JOBSSH_DEBIAN_MIRROR:-$(find_mirror | head -n 1)}
[ -n "$mirror" ] || die "no Debian archive for 'main' found in /etc/apt/sources.list{,.d}; set JOBSSH_DEBIAN_MIRROR or use --with-dropbear-tarball=FILE"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/jobssh-dropbear-src.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM
mkdir -p "$tmp/state/lists/partial" "$tmp/cache/archives/partial" "$tmp/etc" "$tmp/src"
: > "$tmp/state/status"

# Private apt state; everything else (proxies, timeouts, trusted keys) comes
# from the system's apt.conf. Downloads run as the calling user, so the
# private directories need no hand-over to a sandbox user.
apt_opts="-o Dir::State=$tmp/state -o Dir::State::Lists=$tmp/state/lists
 -o Dir::State::status=$tmp/state/status -o Dir::Cache=$tmp/cache
 -o Dir::Cache::archives=$tmp/cache/archives
 -o Dir::Etc::SourceList=$tmp/etc/sources.list -o Dir::Etc::SourceParts=/dev/null
 -o Dir::Etc::Preferences=/dev/null -o Dir::Etc::PreferencesParts=/dev/null
 -o APT::Sandbox::User=$(id -un) -o Debug::NoLocking=1 -q"

keyring=/usr/share/keyrings/debian-archive-keyring.gpg
signed=
[ -r "$keyring" ] && signed="[signed-by=$keyring]"
fetch() {
    # $1: options for the deb-src line
    printf 'deb-src %s %s %s main\n' "$1" "$mirror" "$suite" > "$tmp/etc/sources.list"
    # shellcheck disable=SC2086
    apt-get $apt_opts update >"$tmp/update.log" 2>&1 || return 1
    grep -q '^[WE]:' "$tmp/update.log" && return 1
    # shellcheck disable=SC2086
    (cd "$tmp/src" && apt-get $apt_opts source --download-only "dropbear/$suite") \
        >"$tmp/source.log" 2>&1
}

note "fetching dropbear $pin_ver source from $mirror ($suite)"
if fetch "$signed"; then
    :
else
    # The suite's Release file could not be verified with the system keyring
    # (e.g. an older debian-archive-keyring without the key of a newer
    # release). Fetching unauthenticated is still safe: nothing is used
    # unless it matches the SHA-256 pinned in dropbear.sha256, which is the
    # real trust anchor; the archive signature only adds an early check.
    note "could not verify the $suite Release signature; fetching without it (the pinned SHA-256 is checked below)"
    if [ -f "$tmp/update.log" ]; then
        sed 's/^/  apt: /' "$tmp/update.log" | grep -E 'W:|E:' >&2 || true
    fi
    fetch "[trusted=yes]" || {
        sed 's/^/  apt: /' "$tmp/update.log" "$tmp/source.log" >&2 2>/dev/null || true
        die "apt-get source failed"
    }
fi

orig=$tmp/src/dropbear_$pin_ver.orig.tar.bz2
if [ ! -f "$orig" ]; then
    found=
    for f in "$tmp"/src/dropbear_*.orig.tar.*; do
        [ -f "$f" ] && found=${f##*/} && break
    done
    die "suite $suite does not carry dropbear $pin_ver (got: ${found:-nothing}); update the pin or pass --with-dropbear-tarball=FILE"
fi
check "$orig" || die "downloaded tarball does not match the pin; refusing to use it"

outdir=$(dirname -- "$out")
mkdir -p "$outdir"
cp "$orig" "$out.tmp.$$"
mv -f "$out.tmp.$$" "$out"
note "verified $out (sha256 $pin_sha)"
