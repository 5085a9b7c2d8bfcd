#!/bin/bash
# Create the unprivileged users the integration tests run jobs as.
#
#   jstest1  uid/gid 2001   home /home/jstest1
#   jstest2  uid/gid 2002   home /home/jstest2
#
# Shell /bin/bash, password field '*' (no password login, but not locked with
# '!': Dropbear refuses accounts locked that way). Idempotent; root only.
set -euo pipefail

die() { echo "setup-users: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root"

ensure_user() {
    local name=$1 id=$2 home=/home/$1 cur

    if ! getent group "$name" >/dev/null; then
        if getent group "$id" >/dev/null; then
            die "gid $id is taken by group $(getent group "$id" | cut -d: -f1)"
        fi
        groupadd -g "$id" "$name"
    fi
    cur=$(getent group "$name" | cut -d: -f3)
    [ "$cur" = "$id" ] || die "group $name has gid $cur, expected $id"

    if ! getent passwd "$name" >/dev/null; then
        if getent passwd "$id" >/dev/null; then
            die "uid $id is taken by user $(getent passwd "$id" | cut -d: -f1)"
        fi
        useradd -u "$id" -g "$id" -d "$home" -m -s /bin/bash "$name"
    fi
    cur=$(getent passwd "$name" | cut -d: -f3)
    [ "$cur" = "$id" ] || die "user $name has uid $cur, expected $id"

    # Repair drift in an existing account: primary group, shell, home.
    cur=$(getent passwd "$name" | cut -d: -f4,6,7)
    if [ "$cur" != "$id:$home:/bin/bash" ]; then
        usermod -g "$id" -d "$home" -s /bin/bash "$name"
    fi
    usermod -p '*' "$name"

    if [ ! -d "$home" ]; then
        mkdir -p "$home"
        cp -rT /etc/skel "$home" 2>/dev/null || true
    fi
    chown "$id:$id" "$home"
    chmod 0755 "$home"
}

ensure_user jstest1 2001
ensure_user jstest2 2002
