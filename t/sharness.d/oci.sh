# shellcheck shell=bash disable=SC2034,SC2154
# Helpers for the container tests (sourced by sharness after jobssh.sh).
#
# Prerequisites:
#   CRUN     crun is installed
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
# Environment read:
#   JOBSSH_TEST_IMAGES     the image cache (default /var/cache/jobssh-test/images)

: "${JOBSSH_TEST_IMAGES:=/var/cache/jobssh-test/images}"
JOBSSH_MAKE_IMAGES=$JOBSSH_TEST_SRCDIR/helpers/make-images
JOBSSH_CI_PREREQS="$JOBSSH_CI_PREREQS CRUN IMAGES OCI "

jobssh_prereq CRUN "crun is not installed" jobssh_have_cmds crun
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
