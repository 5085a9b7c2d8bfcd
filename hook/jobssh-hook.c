/* jobssh-hook - OCI hook that runs a container's ssh daemon (jobssh-hook(8))
 *
 *   jobssh-hook start-ssh-daemon | createRuntime | prestart   (state on stdin)
 *   jobssh-hook stop-ssh-daemon | poststop                    (state on stdin)
 *   jobssh-hook keygen [--overwrite]                           (as the user)
 *   jobssh-hook check-user-has-sshkeys                         (as the user)
 *
 * Interface-compatible with the Sarus SSH hook: the same modes, environment
 * and annotations. Starting runs jobssh-sshd --container detached (it stays
 * as the daemon's supervisor after the hook has exited) and records it under
 * the container's id; stopping ends the recorded supervisor. The hook runs
 * as root (rootful runtime) or as the user (rootless); as root it reads no
 * file of the user's: the key check runs in a child that has dropped to the
 * user, and the annotated files are handed to jobssh-sshd, which reads and
 * writes them as the user. Configuration errors fail the hook (exit 1), so
 * the runtime does not start the container without ssh. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "hook.h"
#include "lib/keys.h"
#include "lib/ns.h"
#include "lib/path.h"
#include "lib/privs.h"
#include "lib/proc.h"
#include "lib/spawn.h"
#include "lib/util.h"

#define ANSWER_MAX   1024
#define STOP_WAIT_MS 10000

extern char **environ;

static void say(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(int level, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (level <= LOG_WARNING)
        fprintf(stderr, "jobssh-hook: %s%s\n", level == LOG_WARNING ? "warning: " : "", msg);
    syslog(level, "%s", msg);
}

/* ---------------------------------------------------------------- who we are */

typedef struct self {
    bool in_userns;  /* our user namespace is not the initial one */
    bool privileged; /* root in the initial user namespace */
    size_t nmap;     /* our uid_map, when in_userns */
    jobssh_hook_idmap_t map[JOBSSH_HOOK_IDMAP_MAX];
    uid_t outer_uid;    /* our euid as the initial namespace sees it */
    uid_t overflow_uid; /* how root's files look from our namespace */
} self_t;

static int self_init(self_t *s, jobssh_error_t *err)
{
    _cleanup_close_ int fd = open("/proc/self/uid_map", O_RDONLY | O_CLOEXEC);
    _cleanup_free_ char *text = NULL;
    size_t len;
    char *line, *save = NULL;

    memset(s, 0, sizeof(*s));
    s->overflow_uid = 65534;
    if (fd < 0 || jobssh_read_fd(fd, 16384, &text, &len) < 0)
        return jobssh_error_set_errno(err, errno, "couldn't read /proc/self/uid_map");
    for (line = strtok_r(text, "\n", &save); line && s->nmap < JOBSSH_HOOK_IDMAP_MAX;
         line = strtok_r(NULL, "\n", &save)) {
        unsigned long a, b, c;
        if (sscanf(line, "%lu %lu %lu", &a, &b, &c) == 3)
            s->map[s->nmap++] = (jobssh_hook_idmap_t){(uint32_t)a, (uint32_t)b, (uint32_t)c};
    }
    s->in_userns = !(s->nmap == 1 && s->map[0].inside == 0 && s->map[0].outside == 0 &&
                     s->map[0].count == 4294967295u);
    s->privileged = geteuid() == 0 && !s->in_userns;
    int64_t o = s->in_userns ? jobssh_hook_idmap(s->map, s->nmap, geteuid()) : geteuid();
    s->outer_uid = o < 0 ? geteuid() : (uid_t)o;
    FILE *f = fopen("/proc/sys/kernel/overflowuid", "re");
    unsigned v;
    if (f && fscanf(f, "%u", &v) == 1)
        s->overflow_uid = v;
    if (f)
        fclose(f);
    return 0;
}

/* The name of uid (as the initial namespace sees it): PASSWD_FILE, else the
 * host's user database. */
static int user_name(const jobssh_hook_env_t *env, uid_t uid, char *name, size_t size,
                     jobssh_error_t *err)
{
    if (env->passwd_file[0]) {
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r = jobssh_path_open_nofollow(env->passwd_file, O_RDONLY, &fd, err);
        if (r < 0)
            return jobssh_error_prefix(err, -r, "PASSWD_FILE");
        if ((r = jobssh_read_fd(fd, JOBSSH_HOOK_PASSWD_MAX, &text, &len)) < 0)
            return jobssh_error_set_errno(err, -r, "couldn't read PASSWD_FILE=%s",
                                          env->passwd_file);
        r = jobssh_hook_passwd_lookup(text, len, uid, name, size, err);
        return r < 0 ? jobssh_error_prefix(err, -r, "PASSWD_FILE=%s", env->passwd_file) : 0;
    }
    struct passwd pw, *res = NULL;
    char buf[16384];
    int e = getpwuid_r(uid, &pw, buf, sizeof(buf), &res);
    if (!res)
        return jobssh_error_set(err, e ? e : ENOENT, "no user has uid %u", (unsigned)uid);
    if (!jobssh_hook_user_valid(pw.pw_name) || jobssh_strlcpy(name, pw.pw_name, size) < 0)
        return jobssh_error_set(err, EINVAL, "the name of uid %u is not usable in a path",
                                (unsigned)uid);
    return 0;
}

/* A program directory or program must be root's and writable by nobody
 * else, all the way up (as Sarus requires of its hooks and Dropbear). */
static int check_trusted(const self_t *self, const char *path, mode_t type, const char *what,
                         jobssh_error_t *err)
{
    jobssh_path_policy_t pol = {
        .uid = self->in_userns ? self->overflow_uid : 0,
        .final_uid = JOBSSH_PATH_ANY_UID,
        .final_forbid = 022,
        .final_type = type,
    };
    int r = jobssh_path_check(path, &pol, err);

    return r < 0 ? jobssh_error_prefix(err, -r, "%s", what) : 0;
}

/* HOOK_BASE_DIR holds every user's key directory: root's, reached without
 * a symlink, writable by nobody else unless sticky (as basedir= of the
 * plugin). */
static int check_base(const self_t *self, const jobssh_hook_env_t *env, jobssh_error_t *err)
{
    jobssh_path_policy_t pol = {
        .uid = self->in_userns ? self->overflow_uid : 0,
        .allow_sticky = true,
        .final_uid = JOBSSH_PATH_ANY_UID,
        .final_type = S_IFDIR,
    };
    int r = jobssh_path_check(env->base_dir, &pol, err);

    return r < 0 ? jobssh_error_prefix(err, -r, "HOOK_BASE_DIR") : 0;
}

/* ---------------------------------------------------------------- keys */

typedef struct as_user {
    jobssh_privs_t privs;
    const char *base; /* HOOK_BASE_DIR */
    const char *name; /* the user's */
    const char *keydir;
    uid_t root_uid; /* how root's files look to the hook */
} as_user_t;

/* As the user: <base>/<name>/.oci-hooks/ssh, each a directory of the
 * user's or root's, not a symlink, writable by nobody else (unless
 * sticky); then the key directory itself (the user's, 0700). */
static int check_keys(const as_user_t *a, jobssh_error_t *err)
{
    static const char *const below[] = {NULL, ".oci-hooks", "ssh"};
    _cleanup_close_ int fd = -1;
    char path[PATH_MAX];
    struct stat st;
    int r;

    if ((r = jobssh_path_open_nofollow(a->base, O_PATH | O_DIRECTORY, &fd, err)) < 0)
        return r;
    (void)jobssh_strlcpy(path, a->base, sizeof(path));
    for (size_t i = 0; i < JOBSSH_ELEMENTSOF(below); i++) {
        const char *name = below[i] ? below[i] : a->name;
        size_t len = strlen(path);
        int nfd;

        if (jobssh_snprintf(path + len, sizeof(path) - len, "/%s", name) < 0)
            return jobssh_error_set(err, ENAMETOOLONG, "%s: path too long", a->keydir);
        nfd = openat(fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (nfd < 0)
            return jobssh_error_set_errno(err, errno, "couldn't open %s", path);
        close(fd);
        fd = nfd;
        if (fstat(fd, &st) < 0)
            return jobssh_error_set_errno(err, errno, "couldn't stat %s", path);
        if (S_ISLNK(st.st_mode))
            return jobssh_error_set(err, ELOOP, "%s is a symlink", path);
        if (!S_ISDIR(st.st_mode))
            return jobssh_error_set(err, ENOTDIR, "%s is not a directory", path);
        if (st.st_uid != geteuid() && st.st_uid != a->root_uid)
            return jobssh_error_set(err, EPERM, "%s is owned by uid %u, not by uid %u or root",
                                    path, (unsigned)st.st_uid, (unsigned)geteuid());
        if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX))
            return jobssh_error_set(err, EPERM, "%s is %s-writable (mode %04o)", path,
                                    (st.st_mode & S_IWOTH) ? "world" : "group",
                                    (unsigned)(st.st_mode & 07777));
    }
    return jobssh_keys_check_dir(a->keydir, err);
}

static int check_keys_as_user(void *arg, jobssh_error_t *err)
{
    as_user_t *a = arg;
    int r = jobssh_privs_drop(&a->privs, err);

    return r < 0 ? r : check_keys(a, err);
}

static int keys_present(const self_t *self, const jobssh_hook_env_t *env,
                        const jobssh_hook_user_t *user, jobssh_error_t *err)
{
    static as_user_t a; /* large (groups[]): not on the stack */
    memset(&a, 0, sizeof(a));
    a.privs.uid = user->uid;
    a.privs.gid = user->gid;
    a.base = env->base_dir;
    a.name = user->name;
    a.keydir = user->keydir;
    a.root_uid = self->in_userns ? self->overflow_uid : 0;
    if (!self->privileged)
        return check_keys(&a, err);
    return jobssh_spawn_fn(check_keys_as_user, &a, 10000, err);
}

/* Sarus sets DROPBEAR_DIR to its own Dropbear tree (also when it runs the
 * hook for `sarus ssh-keygen` and `sarus run --ssh`): without jobssh's
 * supervisor in it, jobssh's own program directory is used. Either way
 * DROPBEAR_DIR must be root's and writable by nobody else. */
static int resolve_programs(const self_t *self, jobssh_hook_env_t *env, jobssh_error_t *err)
{
    char prog[PATH_MAX];
    int r;

    if (!env->dropbear_dir[0])
        return 0;
    if ((r = check_trusted(self, env->dropbear_dir, S_IFDIR, "DROPBEAR_DIR", err)) < 0)
        return r;
    if (jobssh_snprintf(prog, sizeof(prog), "%s/jobssh-sshd", env->dropbear_dir) < 0 ||
        access(prog, F_OK) < 0) {
        syslog(LOG_DEBUG, "DROPBEAR_DIR=%s holds no jobssh-sshd: using %s", env->dropbear_dir,
               PKGLIBEXECDIR);
        (void)jobssh_strlcpy(env->settings.libexec_dir, PKGLIBEXECDIR,
                             sizeof(env->settings.libexec_dir));
        env->dropbear_dir[0] = '\0';
    }
    return 0;
}

/* Make dir/name (the caller's, 0700) unless it exists as a directory of the
 * caller's; returns its fd. */
static int mkdir_own(int dirfd, const char *name, const char *path, jobssh_error_t *err)
{
    struct stat st;
    int fd;

    if (mkdirat(dirfd, name, 0700) < 0 && errno != EEXIST)
        return jobssh_error_set_errno(err, errno, "couldn't create %s", path);
    fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return jobssh_error_set_errno(err, errno, "couldn't open %s", path);
    if (fstat(fd, &st) < 0 || st.st_uid != geteuid()) {
        close(fd);
        return jobssh_error_set(err, EPERM, "%s is not owned by uid %u", path, (unsigned)geteuid());
    }
    return fd;
}

static int do_keygen(const self_t *self, jobssh_hook_env_t *env, bool overwrite)
{
    jobssh_error_t err = {{0}};
    char name[JOBSSH_HOOK_USER_MAX + 1], keydir[PATH_MAX], path[PATH_MAX], comment[64];
    _cleanup_close_ int basefd = -1, userfd = -1, ocifd = -1, sshfd = -1;
    int r;

    if (geteuid() == 0 && !self->in_userns) {
        say(LOG_ERR, "keygen makes the keys of the user who runs it: run it as that user, not "
                     "root");
        return 1;
    }
    if (user_name(env, self->outer_uid, name, sizeof(name), &err) < 0 ||
        jobssh_hook_keydir(env, name, keydir, sizeof(keydir), &err) < 0 ||
        check_base(self, env, &err) < 0 || resolve_programs(self, env, &err) < 0 ||
        check_trusted(self, env->settings.libexec_dir, S_IFDIR,
                      env->dropbear_dir[0] ? "DROPBEAR_DIR" : "libexec_dir", &err) < 0) {
        say(LOG_ERR, "keygen: %s", err.text);
        return 1;
    }
    /* <base>/<user>/.oci-hooks/ssh, the user's, made when missing */
    r = jobssh_path_open_nofollow(env->base_dir, O_RDONLY | O_DIRECTORY, &basefd, &err);
    if (r >= 0) {
        (void)jobssh_snprintf(path, sizeof(path), "%s/%s", env->base_dir, name);
        r = userfd = mkdir_own(basefd, name, path, &err);
    }
    if (r >= 0) {
        (void)jobssh_snprintf(path, sizeof(path), "%s/%s/.oci-hooks", env->base_dir, name);
        r = ocifd = mkdir_own(userfd, ".oci-hooks", path, &err);
    }
    if (r >= 0) {
        (void)jobssh_snprintf(path, sizeof(path), "%s/%s/.oci-hooks/ssh", env->base_dir, name);
        r = sshfd = mkdir_own(ocifd, "ssh", path, &err);
    }
    snprintf(comment, sizeof(comment), "jobssh-oci-%s", name);
    if (r >= 0)
        r = jobssh_keys_create_dir(&env->settings, keydir, comment, overwrite, &err);
    if (r < 0) {
        say(LOG_ERR, "keygen: %s", err.text);
        return 1;
    }
    if (r == 0)
        say(LOG_WARNING, "kept the ssh keys of %s in %s (--overwrite makes new ones)", name,
            keydir);
    else
        fprintf(stderr, "jobssh-hook: made the ssh keys of %s in %s\n", name, keydir);
    return 0;
}

static int do_check_keys(const self_t *self, const jobssh_hook_env_t *env)
{
    jobssh_error_t err = {{0}};
    char name[JOBSSH_HOOK_USER_MAX + 1], keydir[PATH_MAX];

    if (user_name(env, self->outer_uid, name, sizeof(name), &err) < 0 ||
        jobssh_hook_keydir(env, name, keydir, sizeof(keydir), &err) < 0) {
        say(LOG_ERR, "%s", err.text);
        return 1;
    }
    if (check_base(self, env, &err) < 0) {
        say(LOG_ERR, "%s", err.text);
        return 1;
    }
    as_user_t a = {.base = env->base_dir,
                   .name = name,
                   .keydir = keydir,
                   .root_uid = self->in_userns ? self->overflow_uid : 0};
    int r = check_keys(&a, &err);
    if (r == -ENOENT) {
        say(LOG_ERR, "%s has no ssh keys (%s): run `jobssh-hook keygen` first", name, err.text);
        return 1;
    }
    if (r < 0) {
        say(LOG_ERR, "the ssh keys of %s are refused: %s", name, err.text);
        return 1;
    }
    return 0;
}

/* ---------------------------------------------------------------- state, config */

static int read_state(jobssh_hook_state_t *st, jobssh_error_t *err)
{
    _cleanup_free_ char *text = NULL;
    size_t len;
    int r = jobssh_read_fd(0, JOBSSH_HOOK_STATE_MAX, &text, &len);

    if (r < 0)
        return jobssh_error_set_errno(err, -r, "state on stdin");
    return jobssh_hook_state_parse(text, len, "state on stdin", st, err);
}

static int read_config(const jobssh_hook_state_t *st, jobssh_hook_config_t *c, jobssh_error_t *err)
{
    _cleanup_close_ int dirfd = -1, fd = -1;
    _cleanup_free_ char *text = NULL;
    char origin[PATH_MAX + 16];
    size_t len;
    int r;

    snprintf(origin, sizeof(origin), "%s/config.json", st->bundle);
    /* The bundle is the runtime's (root's, or the rootless user's). */
    dirfd = open(st->bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0)
        return jobssh_error_set_errno(err, errno, "couldn't open the bundle %s", st->bundle);
    fd = openat(dirfd, "config.json", O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return jobssh_error_set_errno(err, errno, "couldn't open %s", origin);
    if ((r = jobssh_read_fd(fd, JOBSSH_HOOK_CONFIG_MAX, &text, &len)) < 0)
        return jobssh_error_set_errno(err, -r, "couldn't read %s", origin);
    return jobssh_hook_config_parse(text, len, origin, st->bundle, c, err);
}

/* The host name of pid's UTS namespace, read by a forked child that joins
 * it: a runtime may run its hooks outside the container's namespaces (podman
 * --uts ns:PATH runs them in the host's). -errno when the child cannot
 * (a rootless hook, whose container's namespaces belong to another user
 * namespace); ret is written only on success. */
static int uts_nodename_of(pid_t pid, char *ret, size_t size)
{
    char buf[sizeof(((struct utsname *)0)->nodename)];
    int p[2], status = 0;
    ssize_t n;
    pid_t child;

    if (pipe2(p, O_CLOEXEC) < 0)
        return -errno;
    fflush(NULL);
    child = fork();
    if (child < 0) {
        int e = errno;
        close(p[0]);
        close(p[1]);
        return -e;
    }
    if (child == 0) {
        struct utsname u;
        close(p[0]);
        if (jobssh_ns_join(pid, JOBSSH_NS_UTS, NULL) < 0 || uname(&u) < 0)
            _exit(1);
        _exit(write(p[1], u.nodename, strnlen(u.nodename, sizeof(u.nodename))) > 0 ? 0 : 1);
    }
    close(p[1]);
    do
        n = read(p[0], buf, sizeof(buf) - 1);
    while (n < 0 && errno == EINTR);
    close(p[0]);
    while (waitpid(child, &status, 0) < 0 && errno == EINTR)
        ;
    if (n <= 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return -ESRCH;
    buf[n] = '\0';
    return jobssh_strlcpy(ret, buf, size) < 0 ? -ENAMETOOLONG : 0;
}

/* The user the daemon runs as: the container's process user as we see it. */
static int find_user(const self_t *self, const jobssh_hook_env_t *env,
                     const jobssh_hook_config_t *c, jobssh_hook_user_t *u, jobssh_error_t *err)
{
    int64_t uid = c->userns ? jobssh_hook_idmap(c->uidmap, c->nuidmap, c->uid) : c->uid;
    int64_t gid = c->userns ? jobssh_hook_idmap(c->gidmap, c->ngidmap, c->gid) : c->gid;
    int64_t outer;

    if (uid < 0 || gid < 0)
        return jobssh_error_set(err, ERANGE,
                                "config.json: process.user %u:%u is not in linux.uidMappings/"
                                "gidMappings",
                                (unsigned)c->uid, (unsigned)c->gid);
    outer = self->in_userns ? jobssh_hook_idmap(self->map, self->nmap, (uint32_t)uid) : uid;
    if (outer < 0)
        return jobssh_error_set(err, ERANGE, "uid %u is not mapped in the hook's namespace",
                                (unsigned)uid);
    if (outer == 0 || (self->in_userns && uid == 0 && outer == 0))
        return jobssh_error_set(err, EPERM,
                                "the container runs as root: jobssh-hook serves ssh for users "
                                "only");
    u->uid = (uid_t)uid;
    u->gid = (gid_t)gid;
    if (user_name(env, (uid_t)outer, u->name, sizeof(u->name), err) < 0)
        return -EINVAL;
    return jobssh_hook_keydir(env, u->name, u->keydir, sizeof(u->keydir), err);
}

/* ---------------------------------------------------------------- start */

static int do_start(const self_t *self, jobssh_hook_env_t *env, const jobssh_hook_state_t *stp)
{
    const jobssh_hook_state_t st = *stp;
    static jobssh_hook_config_t c;
    static jobssh_hook_user_t user;
    static jobssh_hook_plan_t plan;
    jobssh_error_t err = {{0}};
    char prog[PATH_MAX], argbuf[4 * PATH_MAX + 4096], answer[ANSWER_MAX], dir[PATH_MAX];
    char *argv[64];
    char *const clean_env[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL};
    _cleanup_close_ int recfd = -1, sv0 = -1, sv1 = -1;
    struct utsname uts;
    jobssh_hook_record_t rec;
    unsigned port = 0;
    pid_t pid;
    int sv[2], r, rc = 1;

    if (st.pid <= 0) {
        say(LOG_ERR, "state on stdin: \"pid\" is not a positive integer");
        goto out;
    }
    if (read_config(&st, &c, &err) < 0) {
        say(LOG_ERR, "%s", err.text);
        goto out;
    }
    (void)uname(&uts);
    /* Nothing to do for a container that asks for no ssh (checked before
     * the user: any container may pass through a hook without `when`). */
    jobssh_hook_user_t probe = {.name = "probe"};
    if ((r = jobssh_hook_plan(&st, &c, env, &probe, uts.nodename, &plan, &err)) == 0) {
        rc = 0;
        goto out;
    }
    /* The node when config.json names none: the host name of the container's
     * UTS namespace, else (it cannot be read) this host's. */
    if (!c.hostname[0])
        (void)uts_nodename_of(st.pid, uts.nodename, sizeof(uts.nodename));
    if (find_user(self, env, &c, &user, &err) < 0 ||
        jobssh_hook_plan(&st, &c, env, &user, uts.nodename, &plan, &err) < 0) {
        say(LOG_ERR, "container %s: %s", st.id, err.text);
        goto out;
    }
    if (check_base(self, env, &err) < 0)
        goto fail_err;
    if ((r = keys_present(self, env, &user, &err)) == -ENOENT) {
        say(LOG_ERR,
            "container %s: %s has no ssh keys (%s): run `jobssh-hook keygen` (Sarus: `sarus "
            "ssh-keygen`) first",
            st.id, user.name, err.text);
        goto out;
    }
    if (r < 0) {
        say(LOG_ERR, "container %s: the ssh keys of %s are refused: %s", st.id, user.name,
            err.text);
        goto out;
    }
    /* The programs: DROPBEAR_DIR (or libexec_dir) and the supervisor in it. */
    if (resolve_programs(self, env, &err) < 0 ||
        check_trusted(self, env->settings.libexec_dir, S_IFDIR,
                      env->dropbear_dir[0] ? "DROPBEAR_DIR" : "libexec_dir", &err) < 0)
        goto fail_err;
    if (jobssh_settings_program(&env->settings, "jobssh-sshd", prog, sizeof(prog), &err) < 0)
        goto fail_err;
    if (access(prog, X_OK) < 0) {
        say(LOG_ERR, "container %s: %s: %s (is jobssh installed in %s?)", st.id, prog,
            strerror(errno), env->settings.libexec_dir);
        goto out;
    }
    if (check_trusted(self, prog, S_IFREG, "the supervisor", &err) < 0)
        goto fail_err;
    if (jobssh_hook_record_dir(&env->settings, self->privileged, getenv("XDG_RUNTIME_DIR"),
                               self->outer_uid, dir, sizeof(dir), &err) < 0 ||
        jobssh_hook_record_open_dir(dir, &recfd, &err) < 0)
        goto fail_err;
    /* A record of this id: a supervisor still running, or a leftover of a
     * container of the same id whose poststop never ran. */
    r = jobssh_hook_record_read(recfd, st.id, &rec, &err);
    if (r >= 0) {
        unsigned long long start;
        if (jobssh_proc_starttime(rec.pid, &start) >= 0 && start == rec.starttime) {
            say(LOG_ERR, "container %s: its ssh daemon runs already (supervisor %d)", st.id,
                (int)rec.pid);
            goto out;
        }
        if (jobssh_hook_record_remove(recfd, st.id, &err) < 0)
            goto fail_err;
    } else if (r != -ENOENT) {
        goto fail_err;
    }
    if (jobssh_hook_sshd_argv(&plan, env, &user, st.pid, argbuf, sizeof(argbuf), argv,
                              JOBSSH_ELEMENTSOF(argv), &err) < 0)
        goto fail_err;

    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        goto fail_errno;
    sv0 = sv[0], sv1 = sv[1];
    jobssh_spawn_t o = {
        .path = prog,
        .argv = argv,
        .envp = clean_env,
        .stdin_fd = sv1,
        .stdout_fd = sv1,
        .stderr_fd = JOBSSH_SPAWN_DEVNULL,
        .new_session = true, /* it outlives the hook */
    };
    if (jobssh_spawn(&o, &pid, &err) < 0) {
        say(LOG_ERR, "container %s: couldn't start %s: %s", st.id, prog, err.text);
        goto out;
    }
    close(JOBSSH_TAKE_FD(sv1));
    r = jobssh_spawn_talk(sv0, c.env, answer, sizeof(answer),
                          (int)(env->settings.start_timeout + 5) * 1000);
    if (r < 0) {
        say(LOG_ERR, "container %s: jobssh-sshd did not report back: %s", st.id, strerror(-r));
        (void)jobssh_spawn_kill(pid, 5000);
        goto out;
    }
    if (jobssh_hook_answer_parse(answer, &port, &err) < 0) {
        say(LOG_ERR, "container %s: %s", st.id, err.text);
        (void)jobssh_spawn_kill(pid, 5000);
        goto out;
    }
    rec.pid = pid;
    if (jobssh_proc_starttime(pid, &rec.starttime) < 0) {
        say(LOG_ERR, "container %s: jobssh-sshd (pid %d) ended after \"%s\"", st.id, (int)pid,
            answer);
        (void)jobssh_spawn_kill(pid, 1000);
        goto out;
    }
    if (jobssh_hook_record_write(recfd, st.id, &rec, &err) < 0) {
        say(LOG_ERR, "container %s: %s", st.id, err.text);
        (void)jobssh_spawn_kill(pid, 5000);
        goto out;
    }
    if (port)
        say(LOG_INFO, "container %s: ssh daemon of %s (tag %s) on %s port %u, supervisor %d", st.id,
            user.name, plan.tag, plan.node, port, (int)pid);
    else
        say(LOG_INFO,
            "container %s: ssh daemon of %s (tag %s) on %s starts with the container, "
            "supervisor %d",
            st.id, user.name, plan.tag, plan.node, (int)pid);
    rc = 0;
    goto out;
fail_errno:
    jobssh_error_set_errno(&err, errno, "socketpair");
fail_err:
    say(LOG_ERR, "container %s: %s", st.id, err.text);
out:
    jobssh_hook_config_free(&c);
    return rc;
}

/* ---------------------------------------------------------------- stop */

static int do_stop(const self_t *self, const jobssh_hook_env_t *env, const jobssh_hook_state_t *stp)
{
    const jobssh_hook_state_t st = *stp;
    jobssh_error_t err = {{0}};
    _cleanup_close_ int recfd = -1;
    jobssh_hook_record_t rec;
    char dir[PATH_MAX];
    int r, rc = 1;

    if (jobssh_hook_record_dir(&env->settings, self->privileged, getenv("XDG_RUNTIME_DIR"),
                               self->outer_uid, dir, sizeof(dir), &err) < 0)
        goto fail;
    if (access(dir, F_OK) < 0 && errno == ENOENT) {
        rc = 0; /* no record directory: nothing was started */
        goto out;
    }
    if ((r = jobssh_hook_record_open_dir(dir, &recfd, &err)) < 0)
        goto fail;
    r = jobssh_hook_record_read(recfd, st.id, &rec, &err);
    if (r == -ENOENT) {
        rc = 0;
        goto out;
    }
    if (r < 0)
        goto fail;
    if ((r = jobssh_hook_record_stop(&rec, STOP_WAIT_MS, &err)) < 0)
        goto fail;
    if (r == 2)
        say(LOG_WARNING, "container %s: its supervisor %d needed SIGKILL", st.id, (int)rec.pid);
    if (jobssh_hook_record_remove(recfd, st.id, &err) < 0)
        goto fail;
    rc = 0;
    goto out;
fail:
    say(LOG_ERR, "container %s: %s", st.id, err.text);
out:
    return rc;
}

int main(int argc, char *argv[])
{
    static jobssh_hook_env_t env;
    static self_t self;
    jobssh_error_t err = {{0}};
    jobssh_hook_mode_t mode;
    bool overwrite = false;

    openlog("jobssh-hook", LOG_PID, LOG_DAEMON);
    /* A supervisor that exits before reading its input is an error to
     * report, not a reason to die. */
    signal(SIGPIPE, SIG_IGN);
    if (jobssh_hook_mode_parse(argc > 1 ? argv[1] : NULL, &mode, &err) < 0) {
        say(LOG_ERR, "%s", err.text);
        return 1;
    }
    for (int i = 2; i < argc; i++) {
        if (mode == JOBSSH_HOOK_KEYGEN && strcmp(argv[i], "--overwrite") == 0) {
            overwrite = true;
        } else if (strcmp(argv[i], "--verbose") != 0 && strcmp(argv[i], "--debug") != 0) {
            say(LOG_ERR, "%s: unknown argument '%.40s'", argv[1], argv[i]);
            return 1;
        }
    }
    if (jobssh_hook_env_parse(environ, &env, &err) < 0 || self_init(&self, &err) < 0) {
        say(LOG_ERR, "%s", err.text);
        return 1;
    }
    if (mode == JOBSSH_HOOK_KEYGEN)
        return do_keygen(&self, &env, overwrite);
    if (mode == JOBSSH_HOOK_CHECK_KEYS)
        return do_check_keys(&self, &env);
    static jobssh_hook_state_t st;
    if (read_state(&st, &err) < 0) {
        say(LOG_ERR, "%s", err.text);
        return 1;
    }
    /* Sarus runs start-ssh-daemon at poststop too: the state says which. */
    int rc = mode == JOBSSH_HOOK_STOP || strcmp(st.status, "stopped") == 0
                 ? do_stop(&self, &env, &st)
                 : do_start(&self, &env, &st);
    jobssh_hook_state_free(&st);
    return rc;
}
