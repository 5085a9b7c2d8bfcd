/* test/ns.c - joining the namespaces of other processes */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ns.h"
#include "privs.h"
#include "spawn.h"
#include "util.h"
#include "tap.h"
#include "testuser.h"

static char base[64], mntdir[128], umntdir[128], pindir[128], pin[160];
static jobssh_privs_t *user; /* the test user, looked up before forking */

/* ---- a process that sets up namespaces and then holds them */

typedef int (*setup_f)(void *arg);

struct holder {
    pid_t pid;
    int hold; /* closing it lets the holder exit */
};

/* Fork a holder running fn; true once it reported success. */
static bool holder_start(struct holder *h, setup_f fn, void *arg)
{
    int ready[2], hold[2], r = -1;
    struct pollfd pfd;

    if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(hold, O_CLOEXEC) < 0)
        bail_out("pipe2: %s", strerror(errno));
    fflush(NULL);
    h->pid = fork();
    if (h->pid < 0)
        bail_out("fork: %s", strerror(errno));
    if (h->pid == 0) {
        close(ready[0]);
        close(hold[1]);
        r = fn(arg);
        if (write(ready[1], &r, sizeof(r)) < 0)
            _exit(1);
        pfd = (struct pollfd){.fd = hold[0], .events = POLLIN};
        poll(&pfd, 1, 30000); /* EOF when the test is done with us */
        _exit(0);
    }
    close(ready[1]);
    close(hold[0]);
    h->hold = hold[1];
    pfd = (struct pollfd){.fd = ready[0], .events = POLLIN};
    if (poll(&pfd, 1, 10000) != 1 || read(ready[0], &r, sizeof(r)) != sizeof(r))
        r = -1;
    close(ready[0]);
    if (r != 0)
        diag("holder setup failed at step %d", r);
    return r == 0;
}

static void holder_stop(struct holder *h)
{
    close(h->hold);
    if (jobssh_spawn_wait(h->pid, 5000, NULL, NULL) < 0)
        jobssh_spawn_kill(h->pid, 0);
}

static int write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    ssize_t n = fd < 0 ? -1 : write(fd, text, strlen(text));

    if (fd >= 0)
        close(fd);
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

static int make_marker(const char *dir)
{
    char path[200];
    int fd;

    snprintf(path, sizeof(path), "%s/marker", dir);
    fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    close(fd);
    return 0;
}

/* new mount + UTS namespaces, hostname, a tmpfs with a marker file */
static int setup_mnt_uts(void *arg)
{
    const char *dir = arg;

    if (unshare(CLONE_NEWNS | CLONE_NEWUTS) < 0)
        return 1;
    if (mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0)
        return 2;
    if (sethostname("jobssh-ns-test", 14) < 0)
        return 3;
    if (mount("tmpfs", dir, "tmpfs", 0, "mode=0755") < 0)
        return 4;
    return make_marker(dir) < 0 ? 5 : 0;
}

/* as the test user: new user + mount + UTS namespaces, root mapped to 2001 */
static int setup_userns(void *arg)
{
    const char *dir = arg;
    jobssh_error_t err;

    if (jobssh_privs_drop(user, &err) < 0)
        return 1;
    /* same-uid processes may open our /proc/<pid>/ns files */
    if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)
        return 2;
    if (unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWUTS) < 0)
        return 3;
    if (write_file("/proc/self/setgroups", "deny") < 0 ||
        write_file("/proc/self/uid_map", "0 2001 1") < 0 ||
        write_file("/proc/self/gid_map", "0 2001 1") < 0)
        return 4;
    if (sethostname("jobssh-userns", 13) < 0)
        return 5;
    if (mount("tmpfs", dir, "tmpfs", 0, "mode=0755") < 0)
        return 6;
    return make_marker(dir) < 0 ? 7 : 0;
}

/* ---- a process that joins and reports what it sees */

struct joined {
    int rc;
    char err[JOBSSH_ERROR_TEXT_MAX];
    char host[65];
    int marker; /* marker file visible */
    char cwd[64];
    uid_t uid;
    unsigned long map[3]; /* first line of /proc/self/uid_map */
    ino_t userns, mntns;
    int extra; /* a test-specific result */
};

static ino_t ns_ino(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? st.st_ino : 0;
}

static void look_around(struct joined *j, const char *marker_dir)
{
    char path[200];
    _cleanup_free_ char *map = NULL;
    int fd;

    gethostname(j->host, sizeof(j->host) - 1);
    snprintf(path, sizeof(path), "%s/marker", marker_dir);
    j->marker = access(path, F_OK) == 0;
    if (!getcwd(j->cwd, sizeof(j->cwd)))
        j->cwd[0] = '\0';
    j->uid = getuid();
    fd = open("/proc/self/uid_map", O_RDONLY | O_CLOEXEC);
    if (fd >= 0 && jobssh_read_fd(fd, 4096, &map, NULL) == 0)
        sscanf(map, "%lu %lu %lu", &j->map[0], &j->map[1], &j->map[2]);
    if (fd >= 0)
        close(fd);
    j->userns = ns_ino("/proc/self/ns/user");
    j->mntns = ns_ino("/proc/self/ns/mnt");
}

/* Fork; optionally drop to the test user; join pid's namespaces. */
static bool join_in_child(pid_t pid, unsigned flags, bool drop, const char *marker_dir,
                          struct joined *j)
{
    int fds[2];
    pid_t child;
    ssize_t n;

    memset(j, 0, sizeof(*j));
    if (pipe2(fds, O_CLOEXEC) < 0)
        bail_out("pipe2: %s", strerror(errno));
    fflush(NULL);
    child = fork();
    if (child == 0) {
        jobssh_error_t err = {{0}};

        close(fds[0]);
        if (chdir(base) < 0)
            _exit(1);
        j->rc = drop ? jobssh_privs_drop(user, &err) : 0;
        if (j->rc == 0)
            j->rc = jobssh_ns_join(pid, flags, &err);
        snprintf(j->err, sizeof(j->err), "%s", err.text);
        look_around(j, marker_dir);
        _exit(write(fds[1], j, sizeof(*j)) == sizeof(*j) ? 0 : 1);
    }
    close(fds[1]);
    n = read(fds[0], j, sizeof(*j));
    close(fds[0]);
    if (jobssh_spawn_wait(child, 10000, NULL, NULL) < 0)
        jobssh_spawn_kill(child, 0);
    return n == sizeof(*j);
}

/* ---- tests */

static void test_basic(void)
{
    jobssh_error_t err = {{0}};
    char want[128];
    struct joined j;
    int pid_max = 4194304;
    FILE *f = fopen("/proc/sys/kernel/pid_max", "re");

    if (f) {
        if (fscanf(f, "%d", &pid_max) != 1)
            pid_max = 4194304;
        fclose(f);
    }
    /* pid_max itself is never a pid */
    is_int(jobssh_ns_join(pid_max, JOBSSH_NS_MNT, &err), -ESRCH, "missing pid fails");
    snprintf(want, sizeof(want), "no process with pid %d", pid_max);
    is_str(err.text, want, "error names the pid");
    is_int(jobssh_ns_join(0, JOBSSH_NS_MNT, &err), -EINVAL, "pid 0 refused");
    is_int(jobssh_ns_join(getpid(), 1u << 12, &err), -EINVAL, "unknown flag refused");
    is_int(jobssh_ns_join(getpid(), 0, &err), 0, "no flags: nothing to do");
    ok(join_in_child(getpid(), JOBSSH_NS_ALL, false, base, &j), "joiner reported back");
    is_int(j.rc, 0, "joining namespaces we share is a no-op success: %s", j.err);
    is_int(j.mntns, ns_ino("/proc/self/ns/mnt"), "still in our mount namespace");
    is_int(jobssh_ns_join_path("/etc/passwd", CLONE_NEWNS, &err), -EINVAL, "not an ns file");
    is_str(err.text, "/etc/passwd is not a namespace file", "not an ns file: text");
    is_int(jobssh_ns_join_path("/proc/self/ns/mnt", CLONE_NEWNS, &err), 0,
           "join_path of our own namespace is a no-op");
    is_int(jobssh_ns_join_path("/proc/self/ns/uts", CLONE_NEWNS, &err), -EINVAL,
           "join_path checks the type");
    is_str(err.text, "/proc/self/ns/uts is a UTS namespace, not a mount namespace",
           "type error text");
    is_str(jobssh_ns_name(JOBSSH_NS_NET), "network", "ns_name");
}

static void test_mnt_uts(void)
{
    struct holder h;
    struct joined j;
    char host[65] = "", marker[200];

    if (skip_unless_root(9, "creating namespaces needs root"))
        return;
    if (!holder_start(&h, setup_mnt_uts, mntdir))
        bail_out("couldn't set up the mount+UTS namespace holder");
    ok(join_in_child(h.pid, JOBSSH_NS_MNT | JOBSSH_NS_UTS, false, mntdir, &j), "joiner ran");
    is_int(j.rc, 0, "joined mount and UTS namespaces: %s", j.err);
    is_str(j.host, "jobssh-ns-test", "the holder's hostname is visible");
    ok(j.marker, "the holder's tmpfs marker is visible");
    is_str(j.cwd, "/", "working directory is / after joining a mount namespace");
    gethostname(host, sizeof(host) - 1);
    ok(strcmp(host, "jobssh-ns-test") != 0, "our own hostname is unchanged");
    snprintf(marker, sizeof(marker), "%s/marker", mntdir);
    ok(access(mntdir, F_OK) == 0 && access(marker, F_OK) < 0, "the marker is not visible outside");

    /* unprivileged: may not even open root's namespaces */
    ok(join_in_child(h.pid, JOBSSH_NS_MNT, true, mntdir, &j), "unprivileged joiner ran");
    {
        char want[128];
        snprintf(want, sizeof(want), "couldn't open mount namespace of pid %d: Permission denied",
                 (int)h.pid);
        is_str(j.err, want, "open error names the namespace and the pid");
    }
    holder_stop(&h);
}

static void test_userns(void)
{
    struct holder h;
    struct joined j;
    char want[128];

    if (skip_unless_root(13, "creating the test user's namespaces needs root"))
        return;
    if (!holder_start(&h, setup_userns, umntdir))
        bail_out("couldn't set up the user namespace holder");
    ok(join_in_child(h.pid, JOBSSH_NS_USER | JOBSSH_NS_MNT | JOBSSH_NS_UTS, false, umntdir, &j),
       "root joiner ran");
    is_int(j.rc, 0, "root joined user, mount and UTS namespaces: %s", j.err);
    ok(j.map[0] == 0 && j.map[1] == 2001 && j.map[2] == 1, "uid map is '0 2001 1' (%lu %lu %lu)",
       j.map[0], j.map[1], j.map[2]);
    is_int(j.uid, 65534, "host root is unmapped in there (overflow uid)");
    is_str(j.host, "jobssh-userns", "hostname of the user's UTS namespace");
    ok(j.marker, "marker in the user's tmpfs visible");
    snprintf(want, sizeof(want), "/proc/%d/ns/user", (int)h.pid);
    is_int(j.userns, ns_ino(want), "in the holder's user namespace");

    /* the same user can join when the user namespace comes first */
    ok(join_in_child(h.pid, JOBSSH_NS_USER | JOBSSH_NS_MNT | JOBSSH_NS_UTS, true, umntdir, &j),
       "unprivileged joiner ran");
    is_int(j.rc, 0, "the owner joins user ns first, then mount and UTS: %s", j.err);
    is_int(j.uid, 0, "and is root (uid 0) in there");
    ok(j.marker, "and sees the marker");
    /* without the user namespace the mount namespace is out of reach */
    ok(join_in_child(h.pid, JOBSSH_NS_MNT, true, umntdir, &j), "unprivileged joiner ran");
    snprintf(want, sizeof(want), "couldn't join mount namespace of pid %d: Operation not permitted",
             (int)h.pid);
    is_str(j.err, want, "setns error names the namespace and the pid");
    holder_stop(&h);
}

/* job_container/tmpfs style: a mount namespace pinned by a bind mount of its
 * nsfs file, joined by path. The pin lives in a private mount namespace that
 * is older than the pinned one (the kernel refuses otherwise); both are made
 * on one CPU so that their ids are in creation order. */
static void test_join_path(void)
{
    int fds[2], res[4] = {-1, -1, -1, -1};
    pid_t pid;

    if (skip_unless_root(4, "mounting needs root"))
        return;
    if (pipe2(fds, O_CLOEXEC) < 0)
        bail_out("pipe2: %s", strerror(errno));
    fflush(NULL);
    pid = fork();
    if (pid == 0) {
        cpu_set_t cpu;
        struct holder h;
        char src[64];
        struct joined j;
        int jf[2], fd;
        pid_t q;

        CPU_ZERO(&cpu);
        CPU_SET(0, &cpu);
        close(fds[0]);
        if (sched_setaffinity(0, sizeof(cpu), &cpu) < 0 || unshare(CLONE_NEWNS) < 0 ||
            mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0)
            _exit(1);
        if (!holder_start(&h, setup_mnt_uts, pindir))
            _exit(2);
        fd = open(pin, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        if (fd >= 0)
            close(fd);
        snprintf(src, sizeof(src), "/proc/%d/ns/mnt", (int)h.pid);
        res[0] = mount(src, pin, "none", MS_BIND, NULL) == 0 ? 0 : errno;
        if (pipe2(jf, O_CLOEXEC) < 0)
            _exit(3);
        q = fork();
        if (q == 0) {
            jobssh_error_t err = {{0}};
            memset(&j, 0, sizeof(j));
            j.extra = -jobssh_ns_join_path(pin, CLONE_NEWUTS, &err);
            j.rc = jobssh_ns_join_path(pin, CLONE_NEWNS, &err);
            snprintf(j.err, sizeof(j.err), "%s", err.text);
            look_around(&j, pindir);
            _exit(write(jf[1], &j, sizeof(j)) == sizeof(j) ? 0 : 1);
        }
        close(jf[1]);
        if (read(jf[0], &j, sizeof(j)) == sizeof(j)) {
            res[1] = j.rc;
            res[2] = j.marker;
            res[3] = j.extra;
        }
        jobssh_spawn_wait(q, 5000, NULL, NULL);
        umount2(pin, MNT_DETACH);
        holder_stop(&h);
        _exit(write(fds[1], res, sizeof(res)) == sizeof(res) ? 0 : 4);
    }
    close(fds[1]);
    if (read(fds[0], res, sizeof(res)) != sizeof(res))
        diag("pinning process failed");
    close(fds[0]);
    jobssh_spawn_wait(pid, 15000, NULL, NULL);
    is_int(res[0], 0, "bind-mounted the namespace file (errno %d)", res[0]);
    is_int(res[3], EINVAL, "join_path refuses a mount namespace as UTS");
    is_int(res[1], 0, "join_path joined the pinned mount namespace");
    ok(res[2] == 1, "the pinned namespace's marker is visible");
}

int main(void)
{
    jobssh_error_t err = {{0}};
    char why[256];

    snprintf(base, sizeof(base), "/tmp/jobssh-ns-XXXXXX");
    if (!mkdtemp(base) || chmod(base, 0755) < 0)
        bail_out("mkdtemp: %s", strerror(errno));
    snprintf(mntdir, sizeof(mntdir), "%s/mnt", base);
    snprintf(umntdir, sizeof(umntdir), "%s/umnt", base);
    snprintf(pindir, sizeof(pindir), "%s/pinmnt", base);
    snprintf(pin, sizeof(pin), "%s/pin", base);
    if (mkdir(mntdir, 0755) < 0 || mkdir(umntdir, 0755) < 0 || mkdir(pindir, 0755) < 0)
        bail_out("mkdir: %s", strerror(errno));
    user = calloc(1, sizeof(*user));
    if (geteuid() == 0) {
        if (!testuser_ensure(why, sizeof(why)))
            bail_out("test user %s: %s", TESTUSER_NAME, why);
        if (jobssh_privs_lookup(TESTUSER_ID, user, &err) < 0)
            bail_out("%s", err.text);
    }
    plan(40);
    test_basic();
    test_mnt_uts();
    test_userns();
    test_join_path();
    unlink(pin);
    rmdir(mntdir);
    rmdir(umntdir);
    rmdir(pindir);
    rmdir(base);
    free(user);
    return done_testing();
}
