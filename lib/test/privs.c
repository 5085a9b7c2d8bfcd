/* test/privs.c - dropping to the test user, checked from the inside */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <errno.h>
#include <grp.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "privs.h"
#include "spawn.h"
#include "util.h"
#include "tap.h"
#include "testuser.h"

/* What the dropped child saw, sent back through a pipe. */
struct seen {
    int drop_rc;
    char drop_err[JOBSSH_ERROR_TEXT_MAX];
    uid_t ruid, euid, suid;
    gid_t rgid, egid, sgid;
    int ngroups;
    gid_t groups[8];
    int setuid0_rc, setuid0_errno;
    char capeff[32], capprm[32], capinh[32], capbnd[32], capamb[32];
    int nnp;
    char id_out[32]; /* output of the setuid-root copy of id -u */
};

static void status_field(const char *status, const char *name, char *out, size_t size)
{
    const char *p = strstr(status, name);
    size_t n = 0;

    out[0] = '\0';
    if (!p)
        return;
    p += strlen(name);
    while (*p == ':' || *p == '\t')
        p++;
    while (p[n] && p[n] != '\n' && n + 1 < size)
        n++;
    memcpy(out, p, n);
    out[n] = '\0';
}

/* Run prog (-u) and return its first line in out. */
static void run_id(const char *prog, char *out, size_t size)
{
    jobssh_spawn_t o = JOBSSH_SPAWN_INIT;
    jobssh_error_t err = {{0}};
    _cleanup_free_ char *buf = NULL;
    int p[2];
    pid_t pid;

    snprintf(out, size, "(not run)");
    if (pipe2(p, O_CLOEXEC) < 0)
        return;
    o.path = prog;
    o.argv = (char *[]){"id", "-u", NULL};
    o.stdout_fd = p[1];
    if (jobssh_spawn(&o, &pid, &err) < 0) {
        snprintf(out, size, "%s", err.text);
        close(p[0]);
        close(p[1]);
        return;
    }
    close(p[1]);
    if (jobssh_read_fd(p[0], 1024, &buf, NULL) == 0)
        snprintf(out, size, "%.*s", (int)strcspn(buf, "\n"), buf);
    close(p[0]);
    jobssh_spawn_wait(pid, 5000, NULL, &err);
}

static void child_drop(const jobssh_privs_t *p, const char *setuid_id, int fd)
{
    char *status = NULL;
    jobssh_error_t err = {{0}};
    struct seen s = {0};
    int sfd;

    s.drop_rc = jobssh_privs_drop(p, &err);
    snprintf(s.drop_err, sizeof(s.drop_err), "%s", err.text);
    getresuid(&s.ruid, &s.euid, &s.suid);
    getresgid(&s.rgid, &s.egid, &s.sgid);
    s.ngroups = getgroups(8, s.groups);
    errno = 0;
    s.setuid0_rc = setuid(0);
    s.setuid0_errno = errno;
    sfd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
    if (sfd >= 0 && jobssh_read_fd(sfd, 65536, &status, NULL) == 0) {
        status_field(status, "CapEff", s.capeff, sizeof(s.capeff));
        status_field(status, "CapPrm", s.capprm, sizeof(s.capprm));
        status_field(status, "CapInh", s.capinh, sizeof(s.capinh));
        status_field(status, "CapBnd", s.capbnd, sizeof(s.capbnd));
        status_field(status, "CapAmb", s.capamb, sizeof(s.capamb));
    }
    if (sfd >= 0)
        close(sfd);
    free(status); /* _exit() below: nothing runs cleanups */
    s.nnp = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
    run_id(setuid_id, s.id_out, sizeof(s.id_out));
    _exit(write(fd, &s, sizeof(s)) == sizeof(s) ? 0 : 1);
}

/* Fork, drop to p in the child, collect what it saw. */
static bool drop_in_child(const jobssh_privs_t *p, const char *setuid_id, struct seen *s)
{
    int fds[2], status = -1;
    pid_t pid;
    ssize_t n;

    memset(s, 0, sizeof(*s));
    if (pipe2(fds, O_CLOEXEC) < 0)
        bail_out("pipe2: %s", strerror(errno));
    fflush(NULL);
    pid = fork();
    if (pid < 0)
        bail_out("fork: %s", strerror(errno));
    if (pid == 0) {
        close(fds[0]);
        child_drop(p, setuid_id, fds[1]);
    }
    close(fds[1]);
    n = read(fds[0], s, sizeof(*s));
    close(fds[0]);
    if (jobssh_spawn_wait(pid, 10000, &status, NULL) < 0)
        jobssh_spawn_kill(pid, 0);
    return n == sizeof(*s);
}

/* A root-owned setuid copy of id(1) in a fresh root-owned directory. */
static void make_setuid_id(char *dir, char *path, size_t size)
{
    _cleanup_free_ char *data = NULL;
    size_t len;
    int in, out;

    if (!mkdtemp(dir) || chmod(dir, 0755) < 0)
        bail_out("mkdtemp: %s", strerror(errno));
    snprintf(path, size, "%s/id", dir);
    in = open("/usr/bin/id", O_RDONLY | O_CLOEXEC);
    if (in < 0 || jobssh_read_fd(in, 16 << 20, &data, &len) < 0)
        bail_out("read /usr/bin/id: %s", strerror(errno));
    close(in);
    out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
    if (out < 0 || write(out, data, len) != (ssize_t)len || fchown(out, 0, 0) < 0 ||
        fchmod(out, 04755) < 0)
        bail_out("write %s: %s", path, strerror(errno));
    close(out);
}

static void test_drop(void)
{
    char dir[] = "/tmp/jobssh-privs-XXXXXX", setuid_id[64], why[256], ctl[32];
    jobssh_error_t err = {{0}};
    static jobssh_privs_t *p; /* static: reachable from forked children */
    struct seen s;
    pid_t pid;
    int st = -1;

    p = calloc(1, sizeof(*p));
    if (skip_unless_root(28, "dropping privileges needs root"))
        goto out;
    if (!testuser_ensure(why, sizeof(why))) {
        diag("couldn't set up the test user %s: %s", TESTUSER_NAME, why);
        bail_out("test user %s (uid %d) is missing", TESTUSER_NAME, TESTUSER_ID);
    }
    make_setuid_id(dir, setuid_id, sizeof(setuid_id));

    /* control: without no_new_privs the copy does make us root */
    pid = fork();
    if (pid == 0) {
        if (setgroups(0, NULL) < 0 || setresgid(2001, 2001, 2001) < 0 ||
            setresuid(2001, 2001, 2001) < 0)
            _exit(1);
        run_id(setuid_id, ctl, sizeof(ctl));
        _exit(strcmp(ctl, "0") == 0 ? 0 : 2);
    }
    jobssh_spawn_wait(pid, 10000, &st, NULL);
    is_int(st, 0, "control: the setuid copy of id gains root for a plain setresuid user");

    is_int(jobssh_privs_lookup(2001, p, &err), 0, "lookup uid 2001: %s", err.text);
    ok(p->uid == 2001 && p->gid == 2001, "lookup: uid and primary gid");
    ok(p->ngroups >= 1 && p->groups[0] == 2001, "lookup: groups include the primary group");

    ok(drop_in_child(p, setuid_id, &s), "dropped child reported back");
    is_int(s.drop_rc, 0, "drop succeeded: %s", s.drop_err);
    ok(s.ruid == 2001 && s.euid == 2001 && s.suid == 2001, "real/effective/saved uid 2001");
    ok(s.rgid == 2001 && s.egid == 2001 && s.sgid == 2001, "real/effective/saved gid 2001");
    ok(s.ngroups == 1 && s.groups[0] == 2001, "supplementary groups: just 2001");
    is_int(s.setuid0_rc, -1, "setuid(0) fails");
    is_int(s.setuid0_errno, EPERM, "with EPERM");
    is_str(s.capeff, "0000000000000000", "CapEff empty");
    is_str(s.capprm, "0000000000000000", "CapPrm empty");
    is_str(s.capinh, "0000000000000000", "CapInh empty");
    is_str(s.capbnd, "0000000000000000", "CapBnd empty");
    is_str(s.capamb, "0000000000000000", "CapAmb empty");
    is_int(s.nnp, 1, "no_new_privs set");
    is_str(s.id_out, "2001", "the setuid-root binary runs as 2001 afterwards");

    /* an explicit group list */
    p->ngroups = 2;
    p->groups[0] = 2001;
    p->groups[1] = 100;
    ok(drop_in_child(p, setuid_id, &s) && s.drop_rc == 0, "drop with a group list: %s", s.drop_err);
    ok(s.ngroups == 2 && ((s.groups[0] == 2001 && s.groups[1] == 100) ||
                          (s.groups[0] == 100 && s.groups[1] == 2001)),
       "supplementary groups are exactly the list");

    /* never to root */
    p->ngroups = 0;
    p->uid = 0;
    ok(drop_in_child(p, setuid_id, &s), "child reported back");
    is_int(s.drop_rc, -EPERM, "drop to uid 0 refused");
    is_str(s.drop_err, "refusing to drop privileges to uid 0 gid 2001 (root)", "refusal text");
    is_int(s.euid, 0, "refused drop changed nothing");
    p->uid = 2001;
    p->gid = 0;
    ok(drop_in_child(p, setuid_id, &s) && s.drop_rc == -EPERM, "drop to gid 0 refused");
    p->gid = 2001;
    p->ngroups = 1;
    p->groups[0] = 0;
    ok(drop_in_child(p, setuid_id, &s) && s.drop_rc == -EPERM, "supplementary group 0 refused");
    is_int(jobssh_privs_lookup(4000000, p, &err), -ENOENT, "lookup of a missing uid");
    is_str(err.text, "no user with uid 4000000", "missing uid text");

    unlink(setuid_id);
    rmdir(dir);
out:
    free(p);
}

static void test_unprivileged(void)
{
    jobssh_privs_t *p = calloc(1, sizeof(*p));
    jobssh_error_t err = {{0}};

    if (geteuid() == 0) {
        /* As root: become an unprivileged user first, in a child. */
        pid_t pid = fork();
        int status = 0;
        if (pid == 0) {
            gid_t g = 2001;
            if (setgroups(1, &g) < 0 || setresgid(2001, 2001, 2001) < 0 ||
                setresuid(2001, 2001, 2001) < 0)
                _exit(2);
            p->uid = 2001;
            p->gid = 2001;
            _exit(jobssh_privs_drop(p, &err) == -EPERM ? 0 : 1);
        }
        waitpid(pid, &status, 0);
        ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
           "an unprivileged process cannot use jobssh_privs_drop (-EPERM)");
        free(p);
        return;
    }
    p->uid = getuid();
    p->gid = getgid();
    is_int(jobssh_privs_drop(p, &err), -EPERM, "unprivileged drop fails: %s", err.text);
    free(p);
}

int main(void)
{
    plan(29);
    test_drop();
    test_unprivileged();
    return done_testing();
}
