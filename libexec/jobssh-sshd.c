/* jobssh-sshd - runs one job step's Dropbear on one node and tears it down.
 *
 * Started by the SPANK plugin (and the OCI hook) as root with a fixed
 * environment:
 *
 *   jobssh-sshd --tag TAG --user NAME --uid UID --gid GID --node NODE
 *               --join-pid PID [--mnt-ns-fd FD] [--hosts NODELIST]
 *               [--jobid JOB] [--launcher-done FILE]
 *               -- basedir=DIR [plugstack settings...]
 *
 * stdin carries the job's environment (NUL-separated, for the sessions);
 * stdout gets one line, "ready PORT" (followed by " (NOTE)" when earlier
 * candidate ports were passed over) or "error TEXT", and is then closed.
 *
 * It joins the namespaces of process PID (the job container; FD, an open
 * mount namespace, is joined after them: the extern step's job container),
 * makes the node-local step directory <rundir>/<node>/<TAG> for the user,
 * fills it as the user (key copies, ssh_config, known_hosts, hostfile;
 * waiting, bounded, for the job's key directory to appear), and runs Dropbear
 * as the user, with no capabilities and no_new_privs, on the first free
 * candidate port of TAG, inside PID's cgroups. It stays as the daemon's
 * parent and the subreaper of every session: it restarts a daemon that dies
 * while PID lives; on SIGTERM (or when its parent dies) it kills the daemon
 * and every process left below it, removes the step directory and exits.
 * Root never writes into the user's directory: every file there is written
 * by a child that has dropped to the user.
 *
 * Container mode (the OCI hook, and srun --container):
 *
 *   jobssh-sshd --container --join-pid PID --tag TAG --user NAME --uid UID
 *               --gid GID --node NODE [--hosts NODELIST] [--keydir DIR]
 *               [--port N | --first-port N] [--home-ssh] [--no-pid-ns]
 *               [--authorized-key-file FILE] [--pidfile-container PATH]
 *               [--pidfile-host PATH] -- basedir=DIR [settings...]
 *
 * PID is a container's process, which must run as UID (as the host sees
 * it). The supervisor may then also run as that user itself (a rootless
 * runtime), and it does not end with its parent: it ends with PID, or on
 * SIGTERM. Before joining anything it opens the programs it will copy into
 * the container, the key directory (DIR, or the job's), and reads FILE as
 * the user; a child that stays outside as the user writes Dropbear's pid to
 * the host's pidfile and removes it at the end. It joins PID's namespaces
 * (its user namespace first; not its PID namespace with --no-pid-ns), mounts
 * a tmpfs on the container's /dev/jobssh (lib/container.h) with the copies
 * and the run directory, and runs Dropbear there as the container process's
 * own uid and gid (uid 0 of a rootless container's user namespace
 * included). --port: that port only; --first-port: that one first, then the
 * tag's candidates. --find-container (srun --container): PID is a task
 * whose descendant starts the container (an OCI runtime, started by the
 * task): answer "started", then wait, bounded, for a descendant of PID in a
 * user namespace of its own, and serve that one.
 * /dev/jobssh/ssh_config, bin and hostfile link to the
 * step's files. --home-ssh (the container's ~/.ssh showing that config) is
 * accepted and not done yet: ~/.ssh is left alone. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <syslog.h>
#include <sys/mount.h>

#include "lib/cgroup.h"
#include "lib/client.h"
#include "lib/container.h"
#include "lib/error.h"
#include "lib/files.h"
#include "lib/keys.h"
#include "lib/hostlist.h"
#include "lib/job.h"
#include "lib/log.h"
#include "lib/ns.h"
#include "lib/path.h"
#include "lib/port.h"
#include "lib/privs.h"
#include "lib/proc.h"
#include "lib/seccomp.h"
#include "lib/settings.h"
#include "lib/spawn.h"
#include "lib/util.h"

#define ENV_MAX_BYTES (4 * 1024 * 1024)
#define MAX_RESTARTS  5
#define BANNER_MAX    255

typedef struct sup {
    jobssh_settings_t conf;
    const char *tag;
    const char *user;
    const char *node;
    const char *hosts;
    const char *jobid;
    const char *launcher_done; /* --ssh=launcher on the launcher's node */
    uid_t uid;
    gid_t gid;
    pid_t join_pid;
    int join_pidfd; /* -1 when the kernel has no pidfds */
    unsigned long long join_start;
    int mnt_ns_fd; /* -1: none */
    jobssh_cgroups_t cgroups;
    jobssh_privs_t privs;
    jobssh_client_paths_t paths;
    char home[PATH_MAX];
    char shell[PATH_MAX];
    char keydir[PATH_MAX];
    char **envp; /* the job's environment for the sessions */
    char *envbuf;
    unsigned short port;
    pid_t daemon;
    int node_fd; /* <rundir>/<node>, root's */
    int proc_fd; /* the host's /proc, opened before joining any namespace */
    /* container mode */
    bool container;
    bool find_container; /* --join-pid is a task whose child starts the container */
    bool no_pid_ns;
    bool wait_user; /* the process is the runtime's, root, until it is set up */
    bool home_ssh;
    unsigned short fixed_port, first_port;
    const char *keydir_arg;
    const char *auth_key_file;
    const char *pidfile_container;
    const char *pidfile_host;
    int prog_fd[4];  /* the programs copied into the container */
    int keyfd;       /* the key directory, opened outside */
    char *extra_key; /* the lines of --authorized-key-file */
    int pid_pipe;    /* to the child that writes --pidfile-host */
    pid_t pid_writer;
    bool mounted;     /* /dev/jobssh is ours */
    bool ssh_overlay; /* ~/.ssh has our overlay */
    char ssh_dir[PATH_MAX];
    char skipped[160]; /* the first candidate port passed over, and why */
    unsigned nskipped; /* how many were */
} sup_t;

static jobssh_log_t logger = {.fn = jobssh_log_both, .level = JOBSSH_LOG_INFO};

static void report(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void report(int fd, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n > sizeof(line) - 2)
        n = (int)sizeof(line) - 2;
    line[n++] = '\n';
    (void)!write(fd, line, (size_t)n);
}

static int parse_uint(const char *s, unsigned long max, unsigned long *ret)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || v > max)
        return -EINVAL;
    *ret = v;
    return 0;
}

static int parse_args(sup_t *s, int argc, char **argv, jobssh_error_t *err)
{
    static const struct option opts[] = {
        {"tag", required_argument, NULL, 't'},
        {"user", required_argument, NULL, 'u'},
        {"uid", required_argument, NULL, 'U'},
        {"gid", required_argument, NULL, 'G'},
        {"node", required_argument, NULL, 'n'},
        {"join-pid", required_argument, NULL, 'p'},
        {"hosts", required_argument, NULL, 'H'},
        {"jobid", required_argument, NULL, 'j'},
        {"launcher-done", required_argument, NULL, 'L'},
        {"mnt-ns-fd", required_argument, NULL, 'M'},
        {"container", no_argument, NULL, 'c'},
        {"find-container", no_argument, NULL, 'f'},
        {"no-pid-ns", no_argument, NULL, 'N'},
        {"home-ssh", no_argument, NULL, 'h'},
        {"keydir", required_argument, NULL, 'k'},
        {"port", required_argument, NULL, 'P'},
        {"first-port", required_argument, NULL, 'F'},
        {"authorized-key-file", required_argument, NULL, 'A'},
        {"pidfile-container", required_argument, NULL, 'C'},
        {"pidfile-host", required_argument, NULL, 'D'},
        {NULL, 0, NULL, 0},
    };
    unsigned long v;
    int c;

    opterr = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 't':
            s->tag = optarg;
            break;
        case 'u':
            s->user = optarg;
            break;
        case 'n':
            s->node = optarg;
            break;
        case 'H':
            s->hosts = optarg;
            break;
        case 'j':
            s->jobid = optarg;
            break;
        case 'L':
            s->launcher_done = optarg[0] ? optarg : NULL;
            break;
        case 'U':
            if (parse_uint(optarg, 0xfffffffeUL, &v) < 0)
                return jobssh_error_set(err, EINVAL, "--uid %s: not a uid", optarg);
            s->uid = (uid_t)v;
            break;
        case 'G':
            if (parse_uint(optarg, 0xfffffffeUL, &v) < 0)
                return jobssh_error_set(err, EINVAL, "--gid %s: not a gid", optarg);
            s->gid = (gid_t)v;
            break;
        case 'p':
            if (parse_uint(optarg, 0x7fffffffUL, &v) < 0 || v < 1)
                return jobssh_error_set(err, EINVAL, "--join-pid %s: not a pid", optarg);
            s->join_pid = (pid_t)v;
            break;
        case 'M':
            if (parse_uint(optarg, 65535, &v) < 0 || v < 3)
                return jobssh_error_set(err, EINVAL, "--mnt-ns-fd %s: not an fd above 2", optarg);
            s->mnt_ns_fd = (int)v;
            break;
        case 'c':
            s->container = true;
            break;
        case 'f':
            s->container = s->find_container = true;
            break;
        case 'N':
            s->no_pid_ns = true;
            break;
        case 'h':
            s->home_ssh = true;
            break;
        case 'k':
            if (optarg[0] != '/')
                return jobssh_error_set(err, EINVAL, "--keydir %s: not an absolute path", optarg);
            s->keydir_arg = optarg;
            break;
        case 'P':
        case 'F':
            if (parse_uint(optarg, 65535, &v) < 0 || v < 1)
                return jobssh_error_set(err, EINVAL, "--%s %s: not a port (1-65535)",
                                        c == 'P' ? "port" : "first-port", optarg);
            if (c == 'P')
                s->fixed_port = (unsigned short)v;
            else
                s->first_port = (unsigned short)v;
            break;
        case 'A':
        case 'C':
        case 'D':
            if (optarg[0] != '/')
                return jobssh_error_set(err, EINVAL, "--%s %s: not an absolute path",
                                        c == 'A'   ? "authorized-key-file"
                                        : c == 'C' ? "pidfile-container"
                                                   : "pidfile-host",
                                        optarg);
            if (c == 'A')
                s->auth_key_file = optarg;
            else if (c == 'C')
                s->pidfile_container = optarg;
            else
                s->pidfile_host = optarg;
            break;
        default:
            return jobssh_error_set(err, EINVAL, "unknown argument '%s'", argv[optind - 1]);
        }
    }
    if (!s->tag || !s->user || !s->node || s->uid == 0 || s->join_pid == 0)
        return jobssh_error_set(err, EINVAL,
                                "--tag, --user, --uid (not 0), --node and --join-pid are required");
    if (!s->container &&
        (s->no_pid_ns || s->home_ssh || s->keydir_arg || s->fixed_port || s->first_port ||
         s->auth_key_file || s->pidfile_container || s->pidfile_host))
        return jobssh_error_set(err, EINVAL,
                                "--no-pid-ns, --home-ssh, --keydir, --port, --first-port, "
                                "--authorized-key-file and --pidfile-* need --container");
    if (s->fixed_port && s->first_port)
        return jobssh_error_set(err, EINVAL, "--port and --first-port exclude each other");
    if (s->container && s->mnt_ns_fd >= 0)
        return jobssh_error_set(err, EINVAL, "--mnt-ns-fd and --container exclude each other");
    if (!s->hosts)
        s->hosts = s->node;
    if (jobssh_settings_parse(argc - optind, argv + optind, &s->conf, err) < 0)
        return -EINVAL;
    return 0;
}

/* The job environment from stdin: NUL-separated NAME=value strings. */
static int read_env(sup_t *s, jobssh_error_t *err)
{
    size_t len = 0, n = 0;
    int r = jobssh_read_fd(STDIN_FILENO, ENV_MAX_BYTES, &s->envbuf, &len);

    if (r < 0)
        return jobssh_error_set_errno(err, -r, "couldn't read the job environment");
    for (size_t i = 0; i < len; i++)
        if (s->envbuf[i] == '\0')
            n++;
    s->envp = calloc(n + 2, sizeof(char *));
    if (!s->envp)
        return jobssh_error_set(err, ENOMEM, "out of memory");
    n = 0;
    for (size_t i = 0; i < len;) {
        char *e = s->envbuf + i;
        size_t l = strnlen(e, len - i);
        if (l > 0 && strchr(e, '='))
            s->envp[n++] = e;
        i += l + 1;
    }
    s->envp[n] = NULL;
    return 0;
}

/* In the container's fresh tmpfs, ours alone: <rundir>/<node>, 0755. */
static int container_node_dir(sup_t *s, jobssh_error_t *err)
{
    _cleanup_close_ int run = -1;

    if (strchr(s->node, '/') || s->node[0] == '.' || !s->node[0])
        return jobssh_error_set(err, EINVAL, "bad node name '%.64s'", s->node);
    if ((mkdir(s->conf.rundir, 0755) < 0 && errno != EEXIST) ||
        (run = open(s->conf.rundir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
        (mkdirat(run, s->node, 0755) < 0 && errno != EEXIST) ||
        (s->node_fd = openat(run, s->node, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
        return jobssh_error_set_errno(err, errno, "couldn't make %s/%s", s->conf.rundir, s->node);
    return 0;
}

/* <rundir> and <rundir>/<node>: root's, 0755; <rundir>/<node>/<tag>: the
 * user's, 0700. Made in the job's mount namespace. */
static int make_step_dir(sup_t *s, jobssh_error_t *err)
{
    _cleanup_close_ int step = -1;
    int r;

    if (s->container)
        r = container_node_dir(s, err);
    else
        r = jobssh_job_node_dir(&s->conf, s->node, &s->node_fd, err);
    if (r < 0)
        return r;
    /* A step directory left by a killed supervisor of the same tag goes. */
    (void)jobssh_path_rmtree_at(s->node_fd, s->paths.name, NULL);
    r = jobssh_path_mkdir_at(s->node_fd, s->paths.name, 0700, s->privs.uid, s->privs.gid, &step,
                             err);
    if (r < 0)
        return r;
    return 0;
}

/* "<pid> <starttime>" in <rundir>/<node>/<tag>.pid, for the epilog's backstop. */
static void write_pidfile(sup_t *s)
{
    char name[128], line[64];
    unsigned long long start = 0;

    (void)jobssh_proc_starttime(0, &start);
    snprintf(name, sizeof(name), "%s.pid", s->paths.name);
    snprintf(line, sizeof(line), "%d %llu\n", (int)getpid(), start);
    (void)jobssh_files_write_at(s->node_fd, name, line, strlen(line), 0644, NULL);
}

/* Runs in forked children: become the user for good. Not as root (a
 * rootless runtime's hook, before joining the container's user namespace)
 * we are the user already: only no_new_privs is left to set. */
static int become_user(void *arg, jobssh_error_t *err)
{
    sup_t *s = arg;

    if (geteuid() != 0 && !s->privs.userns) {
        if (getuid() != s->privs.uid || geteuid() != s->privs.uid)
            return jobssh_error_set(err, EPERM, "running as uid %u, not as uid %u",
                                    (unsigned)geteuid(), (unsigned)s->privs.uid);
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
            return jobssh_error_set_errno(err, errno, "couldn't set no_new_privs");
        return 0;
    }
    return jobssh_privs_drop(&s->privs, err);
}

typedef struct prep_arg {
    sup_t *s;
    char **hosts;
    size_t nhosts;
    const char *status; /* non-NULL: write this status instead */
} prep_arg_t;

/* As the user: wait until the job's key directory is there. For a step,
 * srun made it before the step started; for the job's daemon, the job
 * prolog makes it on the job's first node while the other nodes start. */
static int wait_for_keys(sup_t *s, jobssh_error_t *err)
{
    char path[PATH_MAX];
    long deadline = jobssh_now_ms() + (long)s->conf.start_timeout * 1000L;
    struct stat st;

    if (jobssh_snprintf(path, sizeof(path), "%s/authorized_keys", s->keydir) < 0)
        return jobssh_error_set(err, ENAMETOOLONG, "%s: path too long", s->keydir);
    for (unsigned i = 0; i < 100000; i++) {
        /* It appears complete (renamed into place) or not at all; what is
         * there and will never do fails at once. */
        if (lstat(s->keydir, &st) == 0) {
            if (S_ISLNK(st.st_mode))
                return jobssh_error_set(err, ELOOP, "%s is a symlink", s->keydir);
            if (!S_ISDIR(st.st_mode))
                return jobssh_error_set(err, ENOTDIR, "%s is not a directory", s->keydir);
            if (st.st_uid != getuid() || (st.st_mode & 077))
                return jobssh_error_set(
                    err, EPERM, "%s is not private to uid %u (owner %u, mode %04o)", s->keydir,
                    (unsigned)getuid(), (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
            if (lstat(path, &st) == 0)
                return 0;
        }
        if (errno != ENOENT && errno != ENOTDIR)
            return jobssh_error_set_errno(err, errno, "couldn't look at %s", path);
        if (jobssh_now_ms() >= deadline)
            break;
        usleep(i < 20 ? 5000 : 50000);
    }
    /* The likely reason, when it is that one: the prolog had no room. */
    if (jobssh_path_check_space(s->keydir, err) == -ENOSPC)
        return jobssh_error_prefix(err, ENOENT, "the job's keys were not made");
    return jobssh_error_set(err, ENOENT,
                            "the job's key directory %s did not appear within %llu s (the job "
                            "prolog makes it on the job's first node: see its slurmd log)",
                            s->keydir, (unsigned long long)s->conf.start_timeout);
}

/* As the user, in a container: <step dir>/env, the JOBSSH_* variables of
 * the client environment, which the ssh wrapper loads (/dev/jobssh/env)
 * for the container's processes started without them; and <step
 * dir>/profile, all of it (the launchers' variables too) for a shell to
 * source: . /dev/jobssh/profile */
static int write_client_env(sup_t *s, jobssh_error_t *err)
{
    _cleanup_close_ int dir = -1;
    jobssh_env_t env;
    char text[16384], prof[16384];
    size_t len = 0, plen = 0;
    int r, n;

    /* The same path on every node (/dev/jobssh/step links to this node's
     * step directory): launchers pass these on to the other nodes. */
    jobssh_client_paths_t same = s->paths;
    if (jobssh_strlcpy(same.dir, JOBSSH_CONTAINER_DIR "/step", sizeof(same.dir)) < 0)
        return jobssh_error_set(err, ENAMETOOLONG, "path too long");
    if ((r = jobssh_client_env(&s->conf, &same, s->tag, "", &env, err)) < 0)
        return r;
    for (size_t i = 0; i < env.n && r == 0; i++) {
        const char *v = env.value[i];
        if (strncmp(env.name[i], "JOBSSH_", 7) == 0) {
            n = snprintf(text + len, sizeof(text) - len, "%s=%s\n", env.name[i], v);
            if (n < 0 || (size_t)n >= sizeof(text) - len)
                r = -E2BIG;
            else
                len += (size_t)n;
        }
        if (strchr(v, '\'') || strchr(v, '\n'))
            continue;
        if (strcmp(env.name[i], "PATH") == 0)
            n = snprintf(prof + plen, sizeof(prof) - plen, "export PATH='%s':\"$PATH\"\n", v);
        else
            n = snprintf(prof + plen, sizeof(prof) - plen, "export %s='%s'\n", env.name[i], v);
        if (n < 0 || (size_t)n >= sizeof(prof) - plen)
            r = -E2BIG;
        else
            plen += (size_t)n;
    }
    jobssh_client_env_free(&env);
    if (r == 0) {
        n = snprintf(text + len, sizeof(text) - len, "JOBSSH_USER=%s\n", s->user);
        if (n < 0 || (size_t)n >= sizeof(text) - len)
            r = -E2BIG;
        else
            len += (size_t)n;
    }
    if (r < 0)
        return jobssh_error_set(err, E2BIG, "the client environment is too long");
    dir = open(s->paths.dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dir < 0)
        return jobssh_error_set_errno(err, errno, "couldn't open %s", s->paths.dir);
    if ((r = jobssh_files_write_at(dir, "env", text, len, 0644, err)) < 0)
        return r;
    return jobssh_files_write_at(dir, "profile", prof, plen, 0644, err);
}

/* As the user: fill the step directory, or write the status line. */
static int prepare_as_user(void *arg, jobssh_error_t *err)
{
    prep_arg_t *a = arg;
    sup_t *s = a->s;
    int r = become_user(s, err);

    if (r < 0)
        return r;
    if (a->status)
        return jobssh_client_write_status(&s->paths, a->status, err);
    if (s->container) {
        r = jobssh_client_prepare_at(&s->conf, &s->paths, s->keyfd, s->keydir, s->extra_key, s->tag,
                                     s->user, a->hosts, a->nhosts, err);
        if (r >= 0)
            r = write_client_env(s, err);
        if (r < 0)
            return jobssh_error_prefix(err, -r, "couldn't prepare %s", s->paths.dir);
        return r;
    }
    if ((r = wait_for_keys(s, err)) < 0)
        return r;
    r = jobssh_client_prepare(&s->conf, &s->paths, s->keydir, s->tag, s->user, a->hosts, a->nhosts,
                              err);
    if (r < 0)
        return jobssh_error_prefix(err, -r, "couldn't prepare %s", s->paths.dir);
    return r;
}

/* Run fn in a forked child as a helper of the supervisor. */
static int run_child(int (*fn)(void *, jobssh_error_t *), void *arg, jobssh_error_t *err)
{
    return jobssh_spawn_fn(fn, arg, 30000, err);
}

/* Read up to one line of the server's identification, without consuming it. */
static bool banner_has_tag(int fd, const char *want, long deadline)
{
    char buf[BANNER_MAX + 1];

    for (unsigned i = 0; i < 1000; i++) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        long left = deadline - jobssh_now_ms();
        if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
            return false;
        ssize_t n = recv(fd, buf, BANNER_MAX, MSG_PEEK);
        if (n <= 0)
            return false;
        buf[n] = '\0';
        char *nl = strchr(buf, '\n');
        if (nl || n == BANNER_MAX) {
            if (nl)
                *nl = '\0';
            buf[strcspn(buf, "\r")] = '\0';
            char *last = strrchr(buf, ' ');
            return last && strcmp(last + 1, want) == 0;
        }
        usleep(1000);
    }
    return false;
}

enum probe { PROBE_OURS, PROBE_NOT_YET, PROBE_FOREIGN };

/* Who answers on 127.0.0.1:port in our network namespace? Our daemon (its
 * banner names our tag), nobody yet, or somebody else (another banner, or no
 * banner within a second: the port is held by another program). */
static enum probe probe_port(unsigned short port, const char *want)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    _cleanup_close_ int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    struct pollfd pfd;
    int soerr = 0;
    socklen_t len = sizeof(soerr);

    if (fd < 0)
        return PROBE_NOT_YET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        if (errno != EINPROGRESS)
            return PROBE_NOT_YET;
        pfd = (struct pollfd){.fd = fd, .events = POLLOUT};
        if (poll(&pfd, 1, 1000) <= 0)
            return PROBE_FOREIGN; /* a full backlog: somebody else's listener */
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0 || soerr != 0)
            return PROBE_NOT_YET;
    }
    return banner_has_tag(fd, want, jobssh_now_ms() + 1000) ? PROBE_OURS : PROBE_FOREIGN;
}

/* The last line of the daemon's log (opened without following links, only if
 * it is a regular file: the directory is the user's). */
static void last_log_line(const sup_t *s, char *buf, size_t size)
{
    char path[PATH_MAX], tail[256];
    _cleanup_close_ int fd = -1;
    struct stat st;
    ssize_t n;

    buf[0] = '\0';
    if (jobssh_snprintf(path, sizeof(path), "%s/dropbear.log", s->paths.dir) < 0)
        return;
    fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
        return;
    n = pread(fd, tail, sizeof(tail) - 1,
              st.st_size > (off_t)sizeof(tail) - 1 ? st.st_size - (off_t)(sizeof(tail) - 1) : 0);
    if (n <= 0)
        return;
    tail[n] = '\0';
    while (n > 0 && (tail[n - 1] == '\n' || tail[n - 1] == '\r'))
        tail[--n] = '\0';
    char *line = strrchr(tail, '\n');
    line = line ? line + 1 : tail;
    for (char *c = line; *c; c++)
        if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
            *c = '?';
    (void)jobssh_strlcpy(buf, line, size);
}

/* The daemon's argv (see dropbear/README.md for -C and -U). */
typedef struct daemon_arg {
    sup_t *s;
    const char *logpath;
} daemon_arg_t;

static int daemon_pre_exec(void *arg, jobssh_error_t *err)
{
    daemon_arg_t *a = arg;
    int r, fd;

    /* The daemon and its sessions belong to the job: its cgroups first,
     * while still root. */
    if (!a->s->container && (r = jobssh_cgroup_enter(&a->s->cgroups, err)) < 0)
        return r;
    if ((r = become_user(a->s, err)) < 0)
        return r;
    /* Defence in depth for the daemon and the sessions (lib/seccomp.h). */
    if ((r = jobssh_seccomp_apply(err)) < 0 && r != -ENOSYS)
        return r;
    /* The daemon's log, opened as the user in the user's step directory. */
    fd = open(a->logpath, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return jobssh_error_set_errno(err, errno, "couldn't open %s", a->logpath);
    if (dup2(fd, STDERR_FILENO) < 0)
        return jobssh_error_set_errno(err, errno, "dup2");
    close(fd);
    if (chdir(a->s->home) < 0 && chdir("/") < 0)
        return jobssh_error_set_errno(err, errno, "chdir /");
    return 0;
}

static int start_daemon(sup_t *s, unsigned short port, pid_t *ret_pid, jobssh_error_t *err)
{
    char prog[PATH_MAX], sport[16], hostkey[PATH_MAX], auth[PATH_MAX], pidf[PATH_MAX];
    char comment[64], ident[PATH_MAX * 2 + 80], logp[PATH_MAX];
    int r;

    if ((r = jobssh_settings_program(&s->conf, "dropbear", prog, sizeof(prog), err)) < 0)
        return r;
    snprintf(sport, sizeof(sport), "%u", (unsigned)port);
    snprintf(comment, sizeof(comment), "jobssh-%s", s->tag);
    if (jobssh_snprintf(hostkey, sizeof(hostkey), "%s/host_ed25519", s->paths.dir) < 0 ||
        jobssh_snprintf(auth, sizeof(auth), "%s/auth", s->paths.dir) < 0 ||
        jobssh_snprintf(pidf, sizeof(pidf), "%s/dropbear.pid",
                        s->pidfile_container ? "" : s->paths.dir) < 0 ||
        jobssh_snprintf(logp, sizeof(logp), "%s/dropbear.log", s->paths.dir) < 0 ||
        jobssh_snprintf(ident, sizeof(ident), "%s:%s:%s", s->user, s->home, s->shell) < 0)
        return jobssh_error_set(err, ENAMETOOLONG, "%s: path too long", s->paths.dir);
    if (s->pidfile_container && jobssh_strlcpy(pidf, s->pidfile_container, sizeof(pidf)) < 0)
        return jobssh_error_set(err, ENAMETOOLONG, "--pidfile-container: path too long");
    // clang-format off
    char *const argv[] = {
        prog,
        "-F",           /* stay in the foreground: this process supervises it */
        "-E",           /* log to stderr (the step's dropbear.log) */
        "-s", "-g",     /* no password logins */
        "-j", "-k",     /* no port forwarding */
        "-e",           /* sessions get the job's environment */
        "-p", sport,
        "-r", hostkey,
        "-D", auth,
        "-P", pidf,
        "-C", comment,  /* "SSH-2.0-dropbear_<ver> jobssh-<tag>": clients find us by it */
        "-U", ident,    /* log in as the daemon's own user without a passwd lookup */
        NULL,
    };
    // clang-format on
    daemon_arg_t a = {.s = s, .logpath = logp};
    jobssh_spawn_t o = {
        .path = prog,
        .argv = argv,
        .envp = s->envp,
        .stdin_fd = JOBSSH_SPAWN_DEVNULL,
        .stdout_fd = JOBSSH_SPAWN_DEVNULL,
        .stderr_fd = JOBSSH_SPAWN_DEVNULL,
        .pre_exec = daemon_pre_exec,
        .pre_exec_arg = &a,
    };
    return jobssh_spawn(&o, ret_pid, err);
}

/* Wait for the daemon pid just started on port: 1 when it answers with our
 * banner, 0 when another program holds the port (the daemon is gone then;
 * *why says how), or an error (the daemon failed otherwise, or never
 * listened). Our banner is not enough: a program that took the port first
 * can copy it, while our daemon keeps running on IPv6 alone. So every socket
 * listening on the port must be the daemon's. */
static int wait_listening(sup_t *s, pid_t pid, unsigned short port, const char *want, long deadline,
                          const char **why, jobssh_error_t *err)
{
    char line[200], buf[64];
    int status, r;

    for (unsigned k = 0; k < 100000; k++) {
        if (waitpid(pid, &status, WNOHANG) == pid) {
            last_log_line(s, line, sizeof(line));
            *why = "in use";
            if (strstr(line, "in use"))
                return 0;
            return jobssh_error_set(err, EIO, "dropbear %s: %s", jobssh_status_str(status, buf),
                                    line[0] ? line : "(no log)");
        }
        switch (probe_port(port, want)) {
        case PROBE_OURS:
            r = jobssh_proc_holds_listeners(s->proc_fd, pid, port);
            if (r == 1)
                return 1;
            if (r == 0) {
                *why = "held by another program that answers as this daemon";
                (void)jobssh_spawn_kill(pid, 1000);
                return 0;
            }
            if (r != -ENOENT) {
                (void)jobssh_spawn_kill(pid, 1000);
                return jobssh_error_set_errno(err, -r, "couldn't tell who listens on port %u",
                                              (unsigned)port);
            }
            break; /* the listener went away meanwhile: look again */
        case PROBE_FOREIGN:
            *why = "in use";
            (void)jobssh_spawn_kill(pid, 1000);
            return 0;
        case PROBE_NOT_YET:
            break;
        }
        if (jobssh_now_ms() >= deadline)
            break;
        usleep(k < 20 ? 500 : 5000);
    }
    (void)jobssh_spawn_kill(pid, 1000);
    last_log_line(s, line, sizeof(line));
    return jobssh_error_set(err, ETIMEDOUT, "the ssh daemon did not listen within %llu s: %s",
                            (unsigned long long)s->conf.start_timeout, line[0] ? line : "(no log)");
}

/* Try the tag's candidate ports in order; the first one our daemon answers
 * on wins. A port another program holds (Dropbear exits with "Address already
 * in use", or keeps running on IPv6 only while somebody else answers on IPv4)
 * moves us to the next candidate; any other failure of the daemon ends it. */
static int start_on_free_port(sup_t *s, jobssh_error_t *err)
{
    unsigned short ports[64];
    char want[64];
    int n = jobssh_port_candidates(s->tag, s->conf.ports.low, s->conf.ports.high,
                                   (unsigned)s->conf.port_count, ports);

    if (s->fixed_port) {
        ports[0] = s->fixed_port;
        n = 1;
    }
    long deadline = jobssh_now_ms() + (long)s->conf.start_timeout * 1000L;

    if (n <= 0)
        return jobssh_error_set(err, EINVAL, "no candidate ports for tag %s", s->tag);
    snprintf(want, sizeof(want), "jobssh-%s", s->tag);
    const char *last_why = "in use";
    for (int i = 0; i < n; i++) {
        const char *why = "in use";
        pid_t pid;
        int r = start_daemon(s, ports[i], &pid, err);

        if (r < 0)
            return r;
        r = wait_listening(s, pid, ports[i], want, deadline, &why, err);
        if (r < 0)
            return r;
        if (r == 1) {
            s->daemon = pid;
            s->port = ports[i];
            return 0;
        }
        last_why = why;
        /* The first port passed over, and how many, for the ready line. */
        if (s->nskipped++ == 0)
            snprintf(s->skipped, sizeof(s->skipped), "port %u %s", (unsigned)ports[i], why);
    }
    if (s->fixed_port)
        return jobssh_error_set(err, EADDRINUSE, "port %u, the one asked for, is %s",
                                (unsigned)s->fixed_port, last_why);
    return jobssh_error_set(err, EADDRINUSE, "no free port among the %d candidates of %s in %u-%u",
                            n, s->tag, s->conf.ports.low, s->conf.ports.high);
}

/* SIGKILL our children as listed in /proc/thread-self/children (we are
 * single-threaded: that is all of them). -1 when the kernel lacks the file. */
static int kill_listed_children(int proc_fd, unsigned *found)
{
    char buf[65536];
    int fd = openat(proc_fd, "thread-self/children", O_RDONLY | O_CLOEXEC);
    ssize_t n;

    if (fd < 0)
        return -1;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n < 0)
        return -1;
    buf[n] = '\0';
    for (char *save = NULL, *t = strtok_r(buf, " \n", &save); t; t = strtok_r(NULL, " \n", &save)) {
        int pid = atoi(t);
        if (pid > 1 && kill(pid, SIGKILL) == 0)
            (*found)++;
    }
    return 0;
}

/* The parent of pid from <proc_fd>/<pid>/stat, or 0. */
static pid_t ppid_at(int proc_fd, pid_t pid)
{
    pid_t ppid = 0;

    return jobssh_proc_ppid_at(proc_fd, pid, &ppid) < 0 ? 0 : ppid;
}

/* Are a and b ("thread-self" or a pid) in the same user namespace, per
 * <proc_fd>? 1, 0, or -errno. */
static int same_userns(int proc_fd, const char *a, const char *b)
{
    char pa[48], pb[48];
    struct stat sa, sb;

    snprintf(pa, sizeof(pa), "%s/ns/user", a);
    snprintf(pb, sizeof(pb), "%s/ns/user", b);
    if (fstatat(proc_fd, pa, &sa, 0) < 0 || fstatat(proc_fd, pb, &sb, 0) < 0)
        return -errno;
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* SIGKILL our children found by a scan of /proc (the host's: in container
 * mode the mount namespace's /proc is the container's). */
static void kill_scanned_children(int proc_fd, unsigned *found)
{
    pid_t self = getpid();
    int fd = openat(proc_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    struct dirent *de;

    if (!d) {
        if (fd >= 0)
            close(fd);
        return;
    }
    for (unsigned n = 0; n < 1000000 && (de = readdir(d)); n++) {
        int pid = atoi(de->d_name);
        if (pid > 1 && pid != self && ppid_at(proc_fd, pid) == self && kill(pid, SIGKILL) == 0)
            (*found)++;
    }
    closedir(d);
}

/* Kill every process below us (we are their subreaper: orphans become our
 * children), bounded. The children file is quick but, by its kernel
 * documentation, not exact while children fork or exit; the last round is a
 * full scan. */
static void kill_descendants(int proc_fd)
{
    bool listed = true;

    if (proc_fd < 0)
        return;
    for (unsigned round = 0; round < 50; round++) {
        unsigned found = 0;

        if (!listed || kill_listed_children(proc_fd, &found) < 0) {
            listed = false;
            kill_scanned_children(proc_fd, &found);
        }
        while (waitpid(-1, NULL, WNOHANG) > 0)
            ;
        if (!found && !listed)
            return;
        if (!found)
            listed = false; /* confirm with a scan */
        else
            usleep(20000);
    }
}

/* As the user: create the launcher's "done" file (see jobssh-connect --hold). */
static int touch_as_user(void *arg, jobssh_error_t *err)
{
    sup_t *s = arg;
    int r = become_user(s, err), fd;

    if (r < 0)
        return r;
    fd = open(s->launcher_done, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return jobssh_error_set_errno(err, errno, "couldn't create %s", s->launcher_done);
    close(fd);
    return 0;
}

/* For the job's daemon (tag "<jobid>.extern"): the name of its request,
 * "<jobid>.request" (lib/job.h). */
static bool job_tag_of(const sup_t *s, char *buf, size_t size)
{
    char want[48];
    unsigned long job = strtoul(s->tag, NULL, 10);

    return job > 0 && job <= 0xffffffffUL &&
           jobssh_job_tag((uint32_t)job, want, sizeof(want)) == 0 && strcmp(want, s->tag) == 0 &&
           jobssh_snprintf(buf, size, "%lu.request", job) >= 0;
}

static void teardown(sup_t *s)
{
    if (s->launcher_done && s->port) {
        jobssh_error_t err = {{0}};
        if (run_child(touch_as_user, s, &err) < 0)
            jobssh_log(&logger, JOBSSH_LOG_ERR, "step %s: %s", s->tag, err.text);
    }
    if (s->daemon > 0) {
        kill(s->daemon, SIGTERM);
        for (int i = 0; i < 50; i++) {
            if (waitpid(s->daemon, NULL, WNOHANG) == s->daemon) {
                s->daemon = 0;
                break;
            }
            usleep(20000);
        }
    }
    /* The host's pid file goes first: its writer is one of our children. */
    if (s->pid_pipe >= 0) {
        close(s->pid_pipe);
        s->pid_pipe = -1;
        if (s->pid_writer > 0 && jobssh_spawn_wait(s->pid_writer, 2000, NULL, NULL) < 0)
            (void)jobssh_spawn_kill(s->pid_writer, 1000);
    }
    kill_descendants(s->proc_fd);
    if (s->container) {
        jobssh_error_t err = {{0}};
        if (s->ssh_overlay && umount2(s->ssh_dir, MNT_DETACH | UMOUNT_NOFOLLOW) < 0)
            jobssh_log(&logger, JOBSSH_LOG_WARN, "step %s: couldn't unmount %s: %s", s->tag,
                       s->ssh_dir, strerror(errno));
        if (s->node_fd >= 0)
            close(s->node_fd);
        s->node_fd = -1;
        if (s->mounted && jobssh_container_unmount(JOBSSH_CONTAINER_DEV, &err) < 0)
            jobssh_log(&logger, JOBSSH_LOG_WARN, "step %s: %s", s->tag, err.text);
        return;
    }
    if (s->node_fd >= 0) {
        char name[128];
        (void)jobssh_path_rmtree_at(s->node_fd, s->paths.name, NULL);
        snprintf(name, sizeof(name), "%s.pid", s->paths.name);
        (void)unlinkat(s->node_fd, name, 0);
        /* The job's daemon ends with the job: its request goes too, also
         * when this node's epilog never runs (the node failed). */
        if (job_tag_of(s, name, sizeof(name)))
            (void)unlinkat(s->node_fd, name, 0);
    }
}

/* Wait for SIGTERM (or SIGINT/SIGHUP), reaping whatever exits meanwhile. */
static void wait_for_stop(const sigset_t *mask)
{
    for (;;) {
        siginfo_t si;
        int sig = sigwaitinfo(mask, &si);
        if (sig == SIGCHLD) {
            while (waitpid(-1, NULL, WNOHANG) > 0)
                ;
            continue;
        }
        if (sig > 0)
            return;
    }
}

/* Does the process we serve still run? */
static bool served_alive(const sup_t *s)
{
    unsigned long long start = 0;

    if (s->join_pidfd >= 0) {
        struct pollfd pfd = {.fd = s->join_pidfd, .events = POLLIN};
        return poll(&pfd, 1, 0) == 0;
    }
    return jobssh_proc_starttime(s->join_pid, &start) == 0 && start == s->join_start;
}

/* Wait for SIGTERM; restart the daemon on the same port if it dies while
 * the process it serves runs (when that has ended, the step or job is
 * ending and Slurm may be killing its processes). */
static void supervise(sup_t *s, const sigset_t *mask)
{
    unsigned restarts = 0;

    for (;;) {
        siginfo_t si;
        struct timespec tick = {.tv_sec = 1};
        int sig = s->container ? sigtimedwait(mask, &si, &tick) : sigwaitinfo(mask, &si);
        if (s->container && !served_alive(s)) {
            jobssh_log(&logger, JOBSSH_LOG_INFO, "step %s: the container's process %d has ended",
                       s->tag, (int)s->join_pid);
            return;
        }
        if (sig < 0)
            continue;
        if (sig != SIGCHLD)
            return;
        for (unsigned i = 0; i < 10000; i++) {
            int status;
            pid_t pid = waitpid(-1, &status, WNOHANG);
            if (pid <= 0)
                break;
            if (pid != s->daemon)
                continue;
            char buf[64];
            jobssh_log(&logger, JOBSSH_LOG_WARN, "step %s: the ssh daemon on port %u %s", s->tag,
                       s->port, jobssh_status_str(status, buf));
            s->daemon = 0;
            /* A container's daemon dies first when the container ends (its
             * PID namespace goes): give its process a moment to be gone. */
            if (s->container && s->join_pidfd >= 0) {
                struct pollfd pfd = {.fd = s->join_pidfd, .events = POLLIN};
                (void)poll(&pfd, 1, 500);
            }
            if (!served_alive(s)) {
                jobssh_log(&logger, JOBSSH_LOG_INFO,
                           "step %s: pid %d has ended: not restarting the ssh daemon", s->tag,
                           (int)s->join_pid);
                continue;
            }
            if (restarts++ >= MAX_RESTARTS) {
                jobssh_log(&logger, JOBSSH_LOG_ERR, "step %s: not restarting the ssh daemon again",
                           s->tag);
                continue;
            }
            jobssh_error_t err = {{0}};
            pid_t np;
            if (start_daemon(s, s->port, &np, &err) < 0)
                jobssh_log(&logger, JOBSSH_LOG_ERR, "step %s: couldn't restart the ssh daemon: %s",
                           s->tag, err.text);
            else
                s->daemon = np;
        }
    }
}

/* ---- container mode -------------------------------------------------- */

/* Copied into the container's tmpfs: the server, the client for images
 * without one, and the client wrapper. */
static const char *const container_progs[] = {"dropbear", "dbclient", "jobssh-connect"};

typedef struct key_read {
    sup_t *s;
    int fd; /* the pipe to the supervisor */
} key_read_t;

#define EXTRA_KEY_MAX 16384

/* As the user, outside: read --authorized-key-file and pass it on. */
static int read_key_as_user(void *arg, jobssh_error_t *err)
{
    key_read_t *k = arg;
    _cleanup_free_ char *buf = NULL;
    _cleanup_close_ int fd = -1;
    struct stat st;
    size_t len = 0;
    int r = become_user(k->s, err);

    if (r < 0)
        return r;
    fd = open(k->s->auth_key_file, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return jobssh_error_set_errno(err, errno, "couldn't open %s as %s", k->s->auth_key_file,
                                      k->s->user);
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
        return jobssh_error_set(err, EINVAL, "%s is not a regular file", k->s->auth_key_file);
    if (st.st_size > EXTRA_KEY_MAX)
        return jobssh_error_set(err, EFBIG, "%s is larger than %d bytes", k->s->auth_key_file,
                                EXTRA_KEY_MAX);
    if ((r = jobssh_read_fd(fd, EXTRA_KEY_MAX, &buf, &len)) < 0)
        return jobssh_error_set_errno(err, -r, "couldn't read %s", k->s->auth_key_file);
    if ((r = jobssh_client_check_authorized_keys(buf, len, k->s->auth_key_file, err)) < 0)
        return r;
    for (size_t off = 0; off < len;) {
        ssize_t n = write(k->fd, buf + off, len - off);
        if (n <= 0)
            return jobssh_error_set_errno(err, n < 0 ? errno : EIO, "couldn't pass on %s",
                                          k->s->auth_key_file);
        off += (size_t)n;
    }
    return 0;
}

static int read_extra_key(sup_t *s, jobssh_error_t *err)
{
    int p[2], r;
    size_t len = 0;

    if (pipe2(p, O_CLOEXEC) < 0)
        return jobssh_error_set_errno(err, errno, "pipe");
    key_read_t k = {.s = s, .fd = p[1]};
    r = run_child(read_key_as_user, &k, err);
    close(p[1]);
    if (r == 0 && (r = jobssh_read_fd(p[0], EXTRA_KEY_MAX, &s->extra_key, &len)) < 0)
        r = jobssh_error_set_errno(err, -r, "couldn't read %s", s->auth_key_file);
    close(p[0]);
    return r;
}

/* A child that stays outside the container as the user: it opens
 * --pidfile-host (a regular file, created when missing, never through a
 * symlink) and says on status whether it could (nothing: yes; else the
 * reason), then writes the daemon's pid (one line from the pipe in) to it,
 * and removes it when that pipe closes. */
static void pid_writer(sup_t *s, int in, int status)
{
    jobssh_error_t err = {{0}};
    const char *path = s->pidfile_host;
    char line[32];
    size_t len = 0;
    struct stat st, now;
    int fd;

    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (become_user(s, &err) < 0)
        goto fail;
    /* O_NONBLOCK: a FIFO without a reader fails (ENXIO) instead of blocking. */
    fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0644);
    if (fd < 0) {
        int e = errno;
        if (e == ELOOP || (lstat(path, &now) == 0 && S_ISLNK(now.st_mode)))
            jobssh_error_set(&err, ELOOP, "pidfile_host %s is a symlink", path);
        else if (e == ENXIO)
            jobssh_error_set(&err, e, "pidfile_host %s is not a regular file", path);
        else
            jobssh_error_set_errno(&err, e, "pidfile_host %s: couldn't open it as %s", path,
                                   s->user);
        goto fail;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        jobssh_error_set(&err, EINVAL, "pidfile_host %s is not a regular file", path);
        goto fail;
    }
    close(status);
    for (unsigned i = 0; i < 1000; i++) {
        ssize_t n = read(in, line + len, sizeof(line) - 1 - len);
        if (n <= 0)
            break;
        len += (size_t)n;
        if (memchr(line, '\n', len) || len == sizeof(line) - 1)
            break;
    }
    char *nl = len > 0 ? memchr(line, '\n', len) : NULL;
    if (nl && (ftruncate(fd, 0) < 0 || pwrite(fd, line, (size_t)(nl - line + 1), 0) < 0))
        jobssh_log(&logger, JOBSSH_LOG_ERR, "step %s: couldn't write %s: %s", s->tag, path,
                   strerror(errno));
    for (unsigned i = 0; nl && i < 1000000 && read(in, line, sizeof(line)) > 0; i++)
        ;
    /* Only the file opened above (the user may have replaced it meanwhile). */
    if (lstat(path, &now) == 0 && now.st_dev == st.st_dev && now.st_ino == st.st_ino)
        (void)unlink(path);
    close(fd);
    _exit(0);
fail:
    (void)!write(status, err.text, strlen(err.text));
    _exit(1);
}

/* Start pid_writer() and wait (bounded) until it has opened --pidfile-host,
 * so that a path that will not do fails the start with the reason. */
static int start_pid_writer(sup_t *s, jobssh_error_t *err)
{
    int p[2], q[2];
    pid_t pid;

    if (pipe2(p, O_CLOEXEC) < 0)
        return jobssh_error_set_errno(err, errno, "pipe");
    if (pipe2(q, O_CLOEXEC) < 0) {
        close(p[0]);
        close(p[1]);
        return jobssh_error_set_errno(err, errno, "pipe");
    }
    pid = fork();
    if (pid < 0) {
        close(p[0]);
        close(p[1]);
        close(q[0]);
        close(q[1]);
        return jobssh_error_set_errno(err, errno, "fork");
    }
    if (pid == 0) {
        close(p[1]);
        close(q[0]);
        pid_writer(s, p[0], q[1]);
    }
    close(p[0]);
    close(q[1]);
    s->pid_pipe = p[1];
    s->pid_writer = pid;

    char text[sizeof(err->text)];
    size_t len = 0;
    long deadline = jobssh_now_ms() + 10000;
    for (unsigned i = 0; i < 1000 && len + 1 < sizeof(text); i++) {
        struct pollfd pfd = {.fd = q[0], .events = POLLIN};
        long left = deadline - jobssh_now_ms();
        if (left <= 0 || poll(&pfd, 1, (int)left) <= 0) {
            close(q[0]);
            return jobssh_error_set(err, ETIMEDOUT, "pidfile_host %s: no answer within 10 s",
                                    s->pidfile_host);
        }
        ssize_t n = read(q[0], text + len, sizeof(text) - 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    close(q[0]);
    if (len == 0)
        return 0;
    text[len] = '\0';
    return jobssh_error_set(err, EPERM, "%s", text);
}

static int own_userns(const sup_t *s, bool *ret);

/* Outside the container: check that its process is the user's, open what
 * will be copied in and the key directory, read the extra key. */
static int container_outside(sup_t *s, jobssh_error_t *err)
{
    jobssh_privs_t host;
    struct stat st;
    int r;

    if ((r = jobssh_privs_of_pid(s->proc_fd, s->join_pid, &host, err)) < 0)
        return r;
    if (host.uid != s->uid) {
        bool userns = true;
        /* A root runtime that gives the container no user namespace (podman,
         * runc, crun as root) runs its child as root until the container is
         * set up, after the createRuntime hook: wait_for_user() checks it
         * again then, before anything is done in the container. */
        if (host.uid == 0 && !s->find_container && own_userns(s, &userns) == 0 && !userns)
            s->wait_user = true;
        else
            return jobssh_error_set(
                err, EPERM, "the container's process %d runs as uid %u, not as %s (uid %u)",
                (int)s->join_pid, (unsigned)host.uid, s->user, (unsigned)s->uid);
    }
    for (size_t i = 0; i < JOBSSH_ELEMENTSOF(container_progs); i++) {
        char path[PATH_MAX];
        if ((r = jobssh_settings_program(&s->conf, container_progs[i], path, sizeof(path), err)) <
            0)
            return r;
        s->prog_fd[i] = open(path, O_RDONLY | O_CLOEXEC);
        if (s->prog_fd[i] < 0)
            return jobssh_error_set_errno(err, errno, "couldn't open %s", path);
    }
    if (s->keydir_arg) {
        if (jobssh_strlcpy(s->keydir, s->keydir_arg, sizeof(s->keydir)) < 0)
            return jobssh_error_set(err, ENAMETOOLONG, "--keydir: path too long");
    } else {
        unsigned long job = strtoul(s->jobid ? s->jobid : s->tag, NULL, 10);
        if ((r = jobssh_keys_dir(&s->conf, s->user, (uint32_t)job, s->keydir, sizeof(s->keydir),
                                 err)) < 0)
            return r;
    }
    /* No symlink on the way; the user's alone. */
    if ((r = jobssh_path_open_nofollow(s->keydir, O_RDONLY | O_DIRECTORY, &s->keyfd, err)) < 0)
        return r;
    if (fstat(s->keyfd, &st) < 0)
        return jobssh_error_set_errno(err, errno, "couldn't stat %s", s->keydir);
    if (st.st_uid != s->uid || (st.st_mode & 077))
        return jobssh_error_set(err, EPERM, "%s is not private to uid %u (owner %u, mode %04o)",
                                s->keydir, (unsigned)s->uid, (unsigned)st.st_uid,
                                (unsigned)(st.st_mode & 07777));
    if (s->auth_key_file && (r = read_extra_key(s, err)) < 0)
        return r;
    if (s->pidfile_host && (r = start_pid_writer(s, err)) < 0)
        return r;
    return 0;
}

/* Is the container's process in a user namespace other than ours? */
static int own_userns(const sup_t *s, bool *ret)
{
    char pid[16];
    int r;

    snprintf(pid, sizeof(pid), "%d", (int)s->join_pid);
    if ((r = same_userns(s->proc_fd, "thread-self", pid)) < 0)
        return r;
    *ret = r == 0;
    return 0;
}

/* Join the container, mount our tmpfs in it with the programs, and take the
 * ids of its process (as its user namespace sees them). */
static int container_join(sup_t *s, jobssh_error_t *err)
{
    _cleanup_close_ int dir = -1, bin = -1;
    jobssh_error_t cgerr = {{0}};
    jobssh_privs_t cp;
    bool userns = false;
    unsigned flags = JOBSSH_NS_ALL;
    int r;

    if ((r = own_userns(s, &userns)) < 0)
        return jobssh_error_set_errno(err, -r, "couldn't read the user namespace of pid %d",
                                      (int)s->join_pid);
    /* Nothing of the host's root may come along: its groups, and a process
     * the container's root could ptrace once we are in its namespace. */
    if (geteuid() == 0 && setgroups(0, NULL) < 0)
        return jobssh_error_set_errno(err, errno, "couldn't clear the supplementary groups");
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
        return jobssh_error_set_errno(err, errno, "couldn't make the supervisor undumpable");
    /* Our children (the daemon, the sessions) belong to the container's
     * cgroups; a failure costs accounting, not the service. */
    if (s->cgroups.n > 0 && jobssh_cgroup_enter(&s->cgroups, &cgerr) < 0)
        jobssh_log(&logger, JOBSSH_LOG_WARN,
                   "step %s: the sessions stay outside the container's cgroups: %s", s->tag,
                   cgerr.text);
    if (s->no_pid_ns)
        flags &= ~(unsigned)JOBSSH_NS_PID;
    if ((r = jobssh_ns_join(s->join_pid, flags, err)) < 0)
        return r;
    if ((r = jobssh_privs_of_pid(s->proc_fd, s->join_pid, &cp, err)) < 0)
        return r;
    cp.userns = userns;
    /* Ids that the container's user namespace maps (ours may not be mapped
     * there: files could not be made): its root if it has one, else its
     * process's. The capabilities in the namespace stay. */
    if (userns &&
        ((setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0) &&
         (setresgid(cp.gid, cp.gid, cp.gid) < 0 || setresuid(cp.uid, cp.uid, cp.uid) < 0)))
        return jobssh_error_set_errno(err, errno,
                                      "couldn't take ids of the container's user "
                                      "namespace");
    jobssh_cgroup_close(&s->cgroups);
    if (!userns && (cp.uid == 0 || cp.gid == 0))
        return jobssh_error_set(err, EPERM, "the container's process %d runs as root",
                                (int)s->join_pid);
    for (int i = 0; !userns && i < cp.ngroups; i++)
        if (cp.groups[i] == 0)
            cp.groups[i--] = cp.groups[--cp.ngroups];
    s->privs = cp;
    if ((r = jobssh_container_mount(JOBSSH_CONTAINER_DEV, &dir, err)) < 0)
        return r;
    s->mounted = true;
    if (mkdirat(dir, "libexec", 0755) < 0 ||
        (bin = openat(dir, "libexec", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
        return jobssh_error_set_errno(err, errno, "couldn't make %s/libexec", JOBSSH_CONTAINER_DIR);
    for (size_t i = 0; i < JOBSSH_ELEMENTSOF(container_progs); i++) {
        if ((r = jobssh_container_copy(s->prog_fd[i], bin, container_progs[i], 0755, err)) < 0)
            return jobssh_error_prefix(err, -r, "%s/libexec", JOBSSH_CONTAINER_DIR);
        close(s->prog_fd[i]);
        s->prog_fd[i] = -1;
    }
    if (jobssh_strlcpy(s->conf.libexec_dir, JOBSSH_CONTAINER_DIR "/libexec",
                       sizeof(s->conf.libexec_dir)) < 0 ||
        jobssh_strlcpy(s->conf.rundir, JOBSSH_CONTAINER_DIR "/run", sizeof(s->conf.rundir)) < 0)
        return jobssh_error_set(err, ENAMETOOLONG, "path too long");
    /* Home and shell without a passwd lookup in the image (its NSS
     * modules are not to be loaded here): the container's HOME, /bin/sh. */
    const char *home = "/";
    for (char **e = s->envp; e && *e; e++)
        if (strncmp(*e, "HOME=/", 6) == 0)
            home = *e + 5;
    if (jobssh_strlcpy(s->home, home, sizeof(s->home)) < 0 ||
        jobssh_strlcpy(s->shell, "/bin/sh", sizeof(s->shell)) < 0)
        return jobssh_error_set(err, ENAMETOOLONG, "HOME too long");
    return 0;
}

/* Is pid's root directory another than ours (it has done its pivot_root)?
 * 1 or 0, or -errno when it cannot be told. */
static int root_moved(int proc_fd, pid_t pid)
{
    char path[48];
    struct stat host, st;

    snprintf(path, sizeof(path), "%d/root/", (int)pid);
    if (fstatat(proc_fd, "thread-self/root/", &host, 0) < 0 || fstatat(proc_fd, path, &st, 0) < 0)
        return -errno;
    return host.st_dev != st.st_dev || host.st_ino != st.st_ino;
}

/* Has the container's process left the host's root for the container's
 * (pivot_root)? Before, its mount namespace shows the host's file systems:
 * nothing may be made there. */
static int container_pivoted(const sup_t *s)
{
    int r = root_moved(s->proc_fd, s->join_pid);

    /* Not root (a rootless runtime's hook): the runtime keeps the process
     * undumpable, so out of our reach, until it runs the container's
     * program, which is after its pivot_root. */
    return r == -EACCES || r == -EPERM ? 0 : r;
}

/* Answer "started" on out (then closed): the daemon comes later. */
static void report_started(int *out)
{
    if (*out < 0)
        return;
    report(*out, "started");
    close(*out);
    *out = -1;
}

/* An OCI runtime runs createRuntime hooks before the container's pivot_root:
 * report "started" (stdout out, closed) and wait, bounded, for it. */
static int wait_for_pivot(sup_t *s, int *out, jobssh_error_t *err)
{
    long deadline = jobssh_now_ms() + (long)s->conf.start_timeout * 1000L;
    int r = container_pivoted(s);

    if (r == 1)
        return 0;
    report_started(out);
    for (unsigned i = 0; i < 100000 && r == 0 && jobssh_now_ms() < deadline; i++) {
        usleep(i < 100 ? 2000 : 20000);
        r = container_pivoted(s);
    }
    if (r == 1)
        return 0;
    if (r < 0 || !served_alive(s))
        return jobssh_error_set(err, ESRCH, "the container's process %d ended before it started",
                                (int)s->join_pid);
    return jobssh_error_set(err, ETIMEDOUT, "the container (pid %d) was not set up within %llu s",
                            (int)s->join_pid, (unsigned long long)s->conf.start_timeout);
}

/* The program pid runs, as its <proc_fd>/<pid>/exe names it: 0, or -errno. */
static int exe_of(const sup_t *s, struct stat *ret)
{
    char path[32];

    snprintf(path, sizeof(path), "%d/exe", (int)s->join_pid);
    return fstatat(s->proc_fd, path, ret, 0) < 0 ? -errno : 0;
}

/* The container's process is the runtime's, root, until the runtime has
 * set it up: report "started" (stdout out, closed) and wait, bounded, until
 * it runs as the user (real, effective and saved ids). When it executes the
 * container's program as root instead (another program than the runtime's
 * then: the bundle's config.json named the user, the runtime was told
 * otherwise), it is refused at once. */
static int wait_for_user(sup_t *s, int *out, jobssh_error_t *err)
{
    long deadline = jobssh_now_ms() + (long)s->conf.start_timeout * 1000L;
    struct stat runtime, now;
    bool have_runtime = exe_of(s, &runtime) == 0;
    jobssh_privs_t ids;

    report_started(out);
    for (unsigned i = 0; i < 100000 && jobssh_now_ms() < deadline; i++) {
        if (!served_alive(s))
            return jobssh_error_set(
                err, ESRCH, "the container's process %d ended before it started", (int)s->join_pid);
        /* The program first: a runtime switches ids before it executes the
         * container's program, so ids read after an exec are the program's. */
        bool execed = have_runtime && exe_of(s, &now) == 0 &&
                      (now.st_dev != runtime.st_dev || now.st_ino != runtime.st_ino);
        /* -EPERM: between two ids, as the runtime switches */
        if (jobssh_privs_of_pid(s->proc_fd, s->join_pid, &ids, NULL) == 0) {
            if (ids.uid == s->uid)
                return 0;
            if (ids.uid != 0 || execed)
                return jobssh_error_set(err, EPERM,
                                        "the container's process %d runs as uid %u, not as %s "
                                        "(uid %u)",
                                        (int)s->join_pid, (unsigned)ids.uid, s->user,
                                        (unsigned)s->uid);
        }
        usleep(i < 100 ? 2000 : 20000);
    }
    return jobssh_error_set(err, ETIMEDOUT,
                            "the container's process %d did not become %s within %llu s",
                            (int)s->join_pid, s->user, (unsigned long long)s->conf.start_timeout);
}

/* Is pid a descendant of anc (within 64 generations), per <proc_fd>? */
static bool descends_from(int proc_fd, pid_t pid, pid_t anc)
{
    for (unsigned i = 0; i < 64 && pid > 1; i++) {
        pid = ppid_at(proc_fd, (int)pid);
        if (pid == anc)
            return true;
    }
    return false;
}

/* The container's first process below task s->join_pid: a descendant in a
 * user namespace other than the task's that has moved to the container's
 * root, while its parent (the runtime) has not. An OCI runtime may pass
 * through intermediate processes on its way there: they are not taken.
 * 0 while there is none, -1 when the task has gone. */
static pid_t container_below(const sup_t *s)
{
    char task[16];
    pid_t found = 0;
    int fd;
    DIR *d;
    struct dirent *de;

    snprintf(task, sizeof(task), "%d", (int)s->join_pid);
    if (same_userns(s->proc_fd, task, task) < 0) /* the task has gone */
        return -1;
    fd = openat(s->proc_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || !(d = fdopendir(fd))) {
        if (fd >= 0)
            close(fd);
        return 0;
    }
    for (unsigned n = 0; n < 1000000 && !found && (de = readdir(d)); n++) {
        int pid = atoi(de->d_name);
        if (pid <= 1 || pid == s->join_pid || same_userns(s->proc_fd, task, de->d_name) != 0)
            continue;
        if (root_moved(s->proc_fd, pid) == 1 &&
            root_moved(s->proc_fd, ppid_at(s->proc_fd, pid)) == 0 &&
            descends_from(s->proc_fd, pid, s->join_pid))
            found = pid;
    }
    closedir(d);
    return found;
}

/* --find-container: answer "started" and wait, bounded, for the container
 * below the task; then serve it. */
static int find_container(sup_t *s, int *out, jobssh_error_t *err)
{
    long deadline = jobssh_now_ms() + (long)s->conf.start_timeout * 1000L;
    jobssh_privs_t ids;
    pid_t pid = 0;

    report_started(out);
    for (unsigned i = 0; i < 100000 && jobssh_now_ms() < deadline; i++) {
        pid = container_below(s);
        if (pid < 0 || !served_alive(s))
            return jobssh_error_set(err, ESRCH, "task %d ended before its container started",
                                    (int)s->join_pid);
        /* the runtime's child becomes the user only when it is set up */
        if (pid > 0 && jobssh_privs_of_pid(s->proc_fd, pid, &ids, NULL) == 0 && ids.uid == s->uid)
            break;
        pid = 0;
        usleep(i < 100 ? 5000 : 20000);
    }
    if (pid <= 0)
        return jobssh_error_set(err, ETIMEDOUT,
                                "no container started below task %d within %llu s (is this step "
                                "run with --container?)",
                                (int)s->join_pid, (unsigned long long)s->conf.start_timeout);
    if (s->join_pidfd >= 0)
        close(s->join_pidfd);
    s->join_pid = pid;
    s->join_pidfd = jobssh_proc_pidfd(pid);
    if (jobssh_proc_starttime(pid, &s->join_start) < 0)
        return jobssh_error_set(err, ESRCH, "the container's process %d has gone", (int)pid);
    jobssh_log(&logger, JOBSSH_LOG_INFO, "step %s: the container's process is %d", s->tag,
               (int)pid);
    return 0;
}

static int setup_container(sup_t *s, int *out, jobssh_error_t *err)
{
    char **hosts = NULL;
    size_t nhosts = 0;
    int r;

    if ((r = container_outside(s, err)) < 0 ||
        (s->find_container && (r = find_container(s, out, err)) < 0) ||
        (r = wait_for_pivot(s, out, err)) < 0 ||
        (s->wait_user && (r = wait_for_user(s, out, err)) < 0) || (r = container_join(s, err)) < 0)
        return r;
    if (s->first_port) {
        /* The site's port starts the range, the same on every node. */
        unsigned width = s->conf.ports.high - s->conf.ports.low;
        s->conf.ports.low = s->first_port;
        s->conf.ports.high = s->first_port + width > 65535 ? 65535 : s->first_port + width;
    } else if (s->fixed_port) {
        s->conf.ports.low = s->conf.ports.high = s->fixed_port;
        s->conf.port_count = 1;
    }
    if ((r = jobssh_client_paths(&s->conf, s->node, s->tag, &s->paths, err)) < 0 ||
        (r = make_step_dir(s, err)) < 0)
        return r;
    /* Fixed names for the container's own processes, whose environment
     * the runtime set before we came: ssh -F /dev/jobssh/ssh_config. */
    static const char *const links[] = {"ssh_config", "bin", "hostfile", "env", "profile", ""};
    for (size_t i = 0; i < JOBSSH_ELEMENTSOF(links); i++) {
        char target[PATH_MAX], link[PATH_MAX];
        /* "": /dev/jobssh/step, the step directory itself */
        if (jobssh_snprintf(target, sizeof(target), "%s%s%s", s->paths.dir, links[i][0] ? "/" : "",
                            links[i]) < 0 ||
            jobssh_snprintf(link, sizeof(link), "%s/%s", JOBSSH_CONTAINER_DIR,
                            links[i][0] ? links[i] : "step") < 0 ||
            symlink(target, link) < 0)
            return jobssh_error_set_errno(err, errno ? errno : ENAMETOOLONG, "couldn't link %s/%s",
                                          JOBSSH_CONTAINER_DIR, links[i]);
    }
    if (s->home_ssh)
        jobssh_log(&logger, JOBSSH_LOG_INFO,
                   "step %s: --home-ssh: ~/.ssh is left alone; use ssh -F %s/ssh_config", s->tag,
                   JOBSSH_CONTAINER_DIR);
    if (jobssh_hostlist_expand(s->hosts, &hosts, &nhosts) < 0)
        return jobssh_error_set(err, EINVAL, "bad host list '%.80s'", s->hosts);
    prep_arg_t a = {.s = s, .hosts = hosts, .nhosts = nhosts};
    r = run_child(prepare_as_user, &a, err);
    jobssh_hostlist_free(hosts, nhosts);
    if (r < 0)
        return r;
    if ((r = start_on_free_port(s, err)) < 0)
        return r;
    if (s->pid_pipe >= 0) {
        char line[32];
        int n = snprintf(line, sizeof(line), "%d\n", (int)s->daemon);
        (void)!write(s->pid_pipe, line, (size_t)n);
    }
    return 0;
}

static int setup(sup_t *s, int *out, jobssh_error_t *err)
{
    jobssh_error_t cgerr = {{0}};
    char **hosts = NULL;
    size_t nhosts = 0;
    struct passwd *pw;
    int r;

    if ((r = jobssh_privs_lookup(s->uid, &s->privs, err)) < 0)
        return r;
    s->privs.gid = s->gid;
    s->join_pidfd = jobssh_proc_pidfd(s->join_pid);
    if ((r = jobssh_proc_starttime(s->join_pid, &s->join_start)) < 0)
        return jobssh_error_set(err, ESRCH, "the process to serve (pid %d) has gone",
                                (int)s->join_pid);
    /* /proc as the host sees it, to tell who listens on a port (lib/proc.h). */
    s->proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s->proc_fd < 0)
        return jobssh_error_set_errno(err, errno, "couldn't open /proc");
    /* The cgroup files are opened here, in the host's mount namespace. A
     * failure costs the accounting of the sessions, not the service. */
    if (jobssh_cgroup_open(s->join_pid, &s->cgroups, &cgerr) < 0)
        jobssh_log(&logger, JOBSSH_LOG_WARN,
                   "step %s: the sessions stay outside the job's cgroups: %s", s->tag, cgerr.text);
    if (s->container)
        return setup_container(s, out, err);
    if ((r = jobssh_ns_join(s->join_pid, JOBSSH_NS_ALL, err)) < 0)
        return r;
    if (s->mnt_ns_fd >= 0) {
        char nsfile[64];
        snprintf(nsfile, sizeof(nsfile), "/proc/self/fd/%d", s->mnt_ns_fd);
        if ((r = jobssh_ns_join_path(nsfile, CLONE_NEWNS, err)) < 0)
            return jobssh_error_prefix(err, -r, "the job container");
        close(s->mnt_ns_fd);
        s->mnt_ns_fd = -1;
    }
    /* The user's home and shell as the job container sees them. */
    pw = getpwuid(s->uid);
    const char *home = pw && pw->pw_dir[0] == '/' ? pw->pw_dir : "/";
    const char *shell = pw && pw->pw_shell[0] == '/' ? pw->pw_shell : "/bin/sh";
    if (jobssh_strlcpy(s->home, home, sizeof(s->home)) < 0 ||
        jobssh_strlcpy(s->shell, shell, sizeof(s->shell)) < 0)
        return jobssh_error_set(err, ENAMETOOLONG, "home or shell too long");
    if ((r = jobssh_client_paths(&s->conf, s->node, s->tag, &s->paths, err)) < 0)
        return r;
    if ((r = make_step_dir(s, err)) < 0)
        return r;
    if (!s->container)
        write_pidfile(s);
    if (jobssh_hostlist_expand(s->hosts, &hosts, &nhosts) < 0)
        return jobssh_error_set(err, EINVAL, "bad host list '%.80s'", s->hosts);
    unsigned long job = strtoul(s->jobid ? s->jobid : s->tag, NULL, 10);
    r = jobssh_keys_dir(&s->conf, s->user, (uint32_t)job, s->keydir, sizeof(s->keydir), err);
    if (r >= 0) {
        prep_arg_t a = {.s = s, .hosts = hosts, .nhosts = nhosts};
        r = run_child(prepare_as_user, &a, err);
    }
    jobssh_hostlist_free(hosts, nhosts);
    if (r < 0)
        return r;
    return start_on_free_port(s, err);
}

/* Release what the supervisor holds, before main() returns. */
static void sup_release(sup_t *s)
{
    free(s->envp);
    free(s->envbuf);
    s->envp = NULL;
    s->envbuf = NULL;
    jobssh_cgroup_close(&s->cgroups);
    if (s->node_fd >= 0)
        close(s->node_fd);
    if (s->join_pidfd >= 0)
        close(s->join_pidfd);
    s->node_fd = s->join_pidfd = -1;
    free(s->extra_key);
    s->extra_key = NULL;
    if (s->keyfd >= 0)
        close(s->keyfd);
    s->keyfd = -1;
    for (size_t i = 0; i < JOBSSH_ELEMENTSOF(s->prog_fd); i++) {
        if (s->prog_fd[i] >= 0)
            close(s->prog_fd[i]);
        s->prog_fd[i] = -1;
    }
}

static void write_status(sup_t *s, const char *text)
{
    jobssh_error_t err = {{0}};
    prep_arg_t a = {.s = s, .status = text};

    if (s->node_fd < 0 || run_child(prepare_as_user, &a, &err) < 0)
        jobssh_log(&logger, JOBSSH_LOG_ERR, "step %s: couldn't write the status: %s", s->tag,
                   err.text);
}

int main(int argc, char **argv)
{
    sup_t s = {.node_fd = -1,
               .join_pidfd = -1,
               .mnt_ns_fd = -1,
               .proc_fd = -1,
               .keyfd = -1,
               .pid_pipe = -1,
               .prog_fd = {-1, -1, -1, -1}};
    jobssh_error_t err = {{0}};
    sigset_t mask;
    int out;

    openlog("jobssh-sshd", LOG_PID, LOG_DAEMON);
    /* stdout is the one-line report; keep it apart from stray output. */
    out = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
    if (out < 0)
        return 1;
    int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (devnull >= 0)
        dup2(devnull, STDOUT_FILENO);
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGHUP);
    sigaddset(&mask, SIGCHLD);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (parse_args(&s, argc, argv, &err) < 0 || read_env(&s, &err) < 0) {
        report(out, "error %s", err.text);
        sup_release(&s);
        return 1;
    }
    /* Only a container's own user may run it unprivileged, for that
     * container (a rootless runtime's hook). */
    if (geteuid() != 0 && (!s.container || geteuid() != s.uid || getuid() != s.uid)) {
        report(out, "error jobssh-sshd must run as root (or, with --container, as --uid)");
        sup_release(&s);
        return 1;
    }
    if (devnull >= 0)
        dup2(devnull, STDIN_FILENO);
    /* Our parent (slurmstepd) going away means: tear down. A container's
     * daemon ends with the container (the hook does not wait for it). */
    if (!s.container)
        prctl(PR_SET_PDEATHSIG, SIGTERM);
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    if (setup(&s, &out, &err) < 0) {
        char line[256];
        snprintf(line, sizeof(line), "error %s", err.text);
        write_status(&s, line);
        if (out >= 0) {
            report(out, "%s", line);
            close(out);
        } else {
            jobssh_log(&logger, JOBSSH_LOG_ERR, "step %s: %s", s.tag, err.text);
        }
        /* The tasks read the status to report the error; stop (and remove
         * the step directory) when the plugin or the epilog says so. */
        kill_descendants(s.proc_fd);
        /* (A container's supervisor has no one to wait for.) */
        if (!s.container)
            wait_for_stop(&mask);
        teardown(&s);
        sup_release(&s);
        return 1;
    }
    char line[256];
    if (s.nskipped == 0)
        snprintf(line, sizeof(line), "ready %u", s.port);
    else
        snprintf(line, sizeof(line), "ready %u (%u earlier candidate%s passed over: %s)", s.port,
                 s.nskipped, s.nskipped > 1 ? "s" : "", s.skipped);
    write_status(&s, line);
    if (out >= 0) {
        report(out, "%s", line);
        close(out);
    }
    jobssh_log(&logger, JOBSSH_LOG_INFO, "step %s: ssh daemon for %s on port %u (pid %d)", s.tag,
               s.user, s.port, (int)s.daemon);
    supervise(&s, &mask);
    teardown(&s);
    sup_release(&s);
    return 0;
}
