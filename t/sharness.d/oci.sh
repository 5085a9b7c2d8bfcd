# shellcheck shell=bash disable=SC2034,SC2154
# Helpers for the container tests (sourced by sharness after jobssh.sh).
#
# Prerequisites:
#   CRUN     crun is installed
#   PODMAN   podman is installed, and nft (nftables) to check that it adds no
#            rules
#   IMAGES   the test images are built (after jobssh_make_images)
#   OCI      the cluster runs Slurm's OCI containers (JOBSSH_CLUSTER_OCI=1,
#            after test_cluster_up)
#
#   jobssh_make_images       (root) build or reuse the test images
#                            (helpers/make-images) in JOBSSH_TEST_IMAGES,
#                            default /var/cache/jobssh-test/images; sets IMAGES
#   image_dir NAME           the bundle of image NAME
#   image_config NAME FILE CMD...
#                            write to FILE the config.json of image NAME with
#                            CMD as the process (crun run --config FILE)
#   run_in_node NODE USER CMD...
#                            CMD as USER (root too), as run_as does, inside
#                            NODE's network and UTS namespaces
#   crun_in_node NODE USER IMAGE CMD...
#                            run CMD in a container of IMAGE with crun, in
#                            NODE's network and UTS namespaces: rootful for
#                            root, rootless for a test user (state in the
#                            cluster's crun dir of the user)
#
# The OCI hook (jobssh-hook) with crun as root, in a file that has called
#   jobssh_hook_vars TAG     set HOOK, LIBEXEC (the cluster's installed
#                            programs), HOOKBASE (HOOK_BASE_DIR: the users'
#                            key directories), HOOKRUN (the hook's rundir),
#                            CRUN_ROOT (crun's state, in the trash directory)
#                            and TAG (org.jobssh.tag of start_container)
#   hook_env                 the hook's environment in a hooks.d file, as JSON
#                            strings (HOOK_XDG: also XDG_RUNTIME_DIR)
#   hooked_config IMAGE FILE [ANNOTATION=VALUE...] -- CMD...
#                            write to FILE the config.json of IMAGE with the
#                            hook at createRuntime and poststop, the
#                            annotations and CMD; HOOK_CONFIG_EDIT: Python
#                            statements run on `config` before it is written
#   start_container NODE IMAGE ID [ANNOTATION=VALUE...]
#                            run a container of IMAGE (HOOK_BUNDLE: another
#                            bundle directory) detached in NODE's namespaces,
#                            with the hook, ssh enabled, tag TAG, hosts
#                            node[1-2]; crun writes the hook's stderr to
#                            ID.hook.err (annotation run.oci.hooks.stderr)
#   in_container ID UID CMD...
#                            run CMD in container ID as UID
#   stop_container ID        kill (bounded wait) and delete container ID
#   hook_direct NOTES_JSON [VAR=VALUE...]
#                            run the hook's start stage by hand, as a runtime
#                            does, for the running container HOOK_ID (default
#                            plain1, of the bundle HOOK_BUNDLE, default the
#                            busybox image) in node1's namespaces, with the
#                            annotations NOTES_JSON and VAR=VALUE added to its
#                            environment; its messages go to stderr
#   nothing_left             no supervisor or daemon of TAG (waited for, at
#                            most 10 s), no record in HOOKRUN
#   hook_keygen USER         (root) make HOOKBASE and HOOKRUN, then USER's keys
#                            with jobssh-hook keygen run as USER, and check them
#
# Environment read:
#   JOBSSH_TEST_IMAGES     the image cache (default /var/cache/jobssh-test/images)

: "${JOBSSH_TEST_IMAGES:=/var/cache/jobssh-test/images}"
JOBSSH_MAKE_IMAGES=$JOBSSH_TEST_SRCDIR/helpers/make-images
JOBSSH_CI_PREREQS="$JOBSSH_CI_PREREQS CRUN PODMAN IMAGES OCI "

jobssh_prereq CRUN "crun is not installed" jobssh_have_cmds crun
jobssh_prereq PODMAN "podman or nft is not installed (podman, nftables)" jobssh_have_cmds podman nft
JOBSSH_WHY[IMAGES]="the test images are not built (the file did not call jobssh_make_images)"
JOBSSH_WHY[OCI]="the cluster does not run OCI containers (JOBSSH_CLUSTER_OCI=0, or it is not up)"

jobssh_make_images() {
    local out
    if ! test_have_prereq ROOT; then
        JOBSSH_WHY[IMAGES]="building the test images needs root"
        return 0
    fi
    jobssh_setup_users
    if ! out=$("$JOBSSH_MAKE_IMAGES" "$JOBSSH_TEST_IMAGES" 2>&1); then
        printf '%s\n' "$out" | sed 's/^/# /'
        JOBSSH_WHY[IMAGES]="make-images failed: $(printf '%s\n' "$out" | tail -n 1)"
        return 0
    fi
    printf '%s\n' "$out" | sed 's/^/# /'
    test_set_prereq IMAGES
}

# jobssh_oci_prereq: after test_cluster_up, set OCI when the cluster runs
# Slurm's OCI containers.
jobssh_oci_prereq() {
    if test_have_prereq CLUSTER && [ "${JOBSSH_CLUSTER_OCI:-0}" = 1 ] &&
        [ -f "$JOBSSH_CLUSTER_DIR/etc/oci.conf" ]; then
        test_set_prereq OCI
    fi
}

image_dir() {
    echo "$JOBSSH_TEST_IMAGES/$1"
}

image_config() {
    local image=$1 out=$2
    shift 2
    python3 - "$(image_dir "$image")/config.json" "$out" "$@" <<'EOF'
import json, sys
src, out, args = sys.argv[1], sys.argv[2], sys.argv[3:]
with open(src) as f:
    config = json.load(f)
config["process"]["args"] = args
with open(out, "w") as f:
    json.dump(config, f, indent=2)
EOF
    chmod 0644 "$out"
}

run_in_node() {
    local node=$1
    shift
    JOBSSH_RUN_PREFIX="nsenter --net=$JOBSSH_CLUSTER_DIR/ns/$node.net --uts=$JOBSSH_CLUSTER_DIR/ns/$node.uts --" \
        run_as "$@"
}

# srun_container OUT CMD...: CMD, an `srun --container` step (through
# run_as), with its stdout in OUT. On a cluster running a sanitizer build, once
# more (said on stderr) when it timed out: there slurmstepd runs with the ASan
# runtime preloaded and forks the step's task and the runtime's commands while
# its other threads run, and gcc 12's runtime takes no lock around fork(), so
# such a child hangs now and then before its exec (a step without --ssh too,
# where the plugin does nothing). A second time out is a failure.
srun_container() {
    local out=$1 rc=0
    shift
    "$@" >"$out" || rc=$?
    if [ "$rc" = 124 ] && [ "${JOBSSH_CLUSTER_ASAN:-0}" = 1 ]; then
        echo "srun_container: the step timed out on the sanitizer build's cluster; once more" >&2
        rc=0
        "$@" >"$out" || rc=$?
    fi
    return "$rc"
}

JOBSSH_CRUN_SEQ=0

crun_in_node() {
    local node=$1 user=$2 image=$3 dir cfg root id
    shift 3
    dir=$(user_workdir "$user") || return 1
    JOBSSH_CRUN_SEQ=$((JOBSSH_CRUN_SEQ + 1))
    # $BASHPID too: a call in $(...) counts in its own copy of the counter.
    id=jobssh-test-$$-$BASHPID-$JOBSSH_CRUN_SEQ
    cfg=$dir/$id.json
    image_config "$image" "$cfg" "$@" || return 1
    if [ "$user" = root ]; then
        root=$SHARNESS_TRASH_DIRECTORY/crun
        mkdir -p "$root"
    else
        root=$JOBSSH_CLUSTER_CRUN_ROOT/$user
    fi
    run_in_node "$node" "$user" crun --root="$root" run --config "$cfg" \
        --bundle "$(image_dir "$image")" "$id"
}

jobssh_hook_vars() {
    HOOK=$JOBSSH_CLUSTER_DIR/install/libexec/jobssh-hook
    LIBEXEC=$JOBSSH_CLUSTER_DIR/install/libexec
    # Sarus's layout: <HOOK_BASE_DIR>/<user>/.oci-hooks/ssh/keys; under the
    # cluster's state directory, root's, like a site's /home.
    HOOKBASE=$JOBSSH_CLUSTER_DIR/hookbase
    HOOKRUN=$JOBSSH_CLUSTER_DIR/hookrun
    CRUN_ROOT=$SHARNESS_TRASH_DIRECTORY/crun
    TAG=$1
}

hook_env() {
    printf '"HOOK_BASE_DIR=%s", "DROPBEAR_DIR=%s", "JOBSSH_HOOK_SETTINGS=rundir=%s"' \
        "$HOOKBASE" "$LIBEXEC" "$HOOKRUN"
    if [ -n "${HOOK_XDG:-}" ]; then printf ', "XDG_RUNTIME_DIR=%s"' "$HOOK_XDG"; fi
}

# As crun reads hooks from a bundle (podman turns hooks.d files into the same).
hooked_config() {
    local image=$1 out=$2
    shift 2
    python3 - "$(image_dir "$image")/config.json" "$out" "$HOOK" "$(hook_env)" \
        "${HOOK_CONFIG_EDIT:-}" "$@" <<'EOF'
import json, sys
src, out, hook, env, edit = sys.argv[1:6]
rest = sys.argv[6:]
sep = rest.index("--")
notes, args = rest[:sep], rest[sep + 1:]
with open(src) as f:
    config = json.load(f)
config["process"]["args"] = args
env = json.loads("[" + env + "]")
config["hooks"] = {
    "createRuntime": [{"path": hook, "args": ["jobssh-hook", "start-ssh-daemon"], "env": env}],
    "poststop": [{"path": hook, "args": ["jobssh-hook", "stop-ssh-daemon"], "env": env}],
}
ann = config.setdefault("annotations", {})
for n in notes:
    k, v = n.split("=", 1)
    ann[k] = v
exec(edit)
with open(out, "w") as f:
    json.dump(config, f, indent=2)
EOF
    chmod 0644 "$out"
}

start_container() {
    local node=$1 image=$2 id=$3
    shift 3
    hooked_config "$image" "$PWD/$id.json" com.hooks.ssh.enabled=true "org.jobssh.tag=$TAG" \
        "org.jobssh.hosts=node[1-2]" "run.oci.hooks.stderr=$PWD/$id.hook.err" "$@" -- sleep 600 &&
    run_in_node "$node" root crun --root="$CRUN_ROOT" run -d --config "$PWD/$id.json" \
        --bundle "${HOOK_BUNDLE:-$(image_dir "$image")}" "$id" </dev/null
}

in_container() {
    local id=$1 uid=$2
    shift 2
    crun --root="$CRUN_ROOT" exec --user "$uid:$uid" "$id" "$@"
}

stop_container() {
    crun --root="$CRUN_ROOT" kill "$1" KILL 2>/dev/null
    for _ in $(seq 1 100); do
        crun --root="$CRUN_ROOT" state "$1" 2>/dev/null | grep -q '"running"' || break
        sleep 0.05
    done
    crun --root="$CRUN_ROOT" delete -f "$1"
}

hook_keygen() {
    local user=$1
    install -d -m 0755 -o root -g root "$HOOKBASE" "$HOOKRUN" &&
    install -d -m 0700 -o "$user" -g "$user" "$HOOKBASE/$user" &&
    run_as "$user" env HOOK_BASE_DIR="$HOOKBASE" DROPBEAR_DIR="$LIBEXEC" "$HOOK" keygen &&
    run_as "$user" env HOOK_BASE_DIR="$HOOKBASE" DROPBEAR_DIR="$LIBEXEC" "$HOOK" check-user-has-sshkeys &&
    test -f "$HOOKBASE/$user/.oci-hooks/ssh/keys/authorized_keys"
}

nothing_left() {
    for _ in $(seq 1 100); do
        pgrep -f "jobssh-sshd --container.*--tag $TAG" >/dev/null ||
            pgrep -f "dropbear.*jobssh-$TAG" >/dev/null || break
        sleep 0.1
    done
    ! pgrep -af "jobssh-sshd --container.*--tag $TAG" &&
    ! pgrep -af "dropbear.*jobssh-$TAG" &&
    test -z "$(ls -A "$HOOKRUN/oci-hook" 2>/dev/null)"
}

hook_direct() {
    local notes=$1 id=${HOOK_ID:-plain1} pid
    shift
    pid=$(crun --root="$CRUN_ROOT" state "$id" | python3 -c "import json,sys; print(json.load(sys.stdin)[\"pid\"])") &&
    printf '{"ociVersion":"1.0.2","id":"%s","pid":%s,"status":"created","bundle":"%s","annotations":%s}' \
        "$id" "$pid" "${HOOK_BUNDLE:-$(image_dir busybox)}" "$notes" >state.json &&
    nsenter --net="$JOBSSH_CLUSTER_DIR/ns/node1.net" --uts="$JOBSSH_CLUSTER_DIR/ns/node1.uts" \
        env -i HOOK_BASE_DIR="$HOOKBASE" DROPBEAR_DIR="$LIBEXEC" \
        JOBSSH_HOOK_SETTINGS="rundir=$HOOKRUN" "$@" "$HOOK" start-ssh-daemon <state.json
}
