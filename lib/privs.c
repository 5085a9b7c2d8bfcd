/* privs.c - the privilege drop */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <errno.h>
#include <fcntl.h>
#include <linux/securebits.h>
#include <stdio.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "privs.h"
#include "util.h"

#define PW_BUF_MAX (1 << 20)

int jobssh_privs_lookup(uid_t uid, jobssh_privs_t *ret, jobssh_error_t *err)
{
    _cleanup_free_ jobssh_privs_t *p = calloc(1, sizeof(*p));
    _cleanup_free_ char *buf = NULL;
    struct passwd pw, *res = NULL;
    size_t size = 16384;
    int n, r;

    if (!p)
        return jobssh_error_set(err, ENOMEM, "out of memory");
    for (;;) {
        free(buf);
        buf = malloc(size);
        if (!buf)
            return jobssh_error_set(err, ENOMEM, "out of memory");
        r = getpwuid_r(uid, &pw, buf, size, &res);
        if (r != ERANGE || size >= PW_BUF_MAX)
            break;
        size *= 2;
    }
    if (r != 0)
        return jobssh_error_set_errno(err, r, "couldn't look up uid %u", (unsigned)uid);
    if (!res)
        return jobssh_error_set(err, ENOENT, "no user with uid %u", (unsigned)uid);
    n = JOBSSH_PRIVS_MAX_GROUPS;
    if (getgrouplist(pw.pw_name, pw.pw_gid, p->groups, &n) < 0)
        return jobssh_error_set(err, E2BIG, "user %s is in more than %d groups", pw.pw_name,
                                JOBSSH_PRIVS_MAX_GROUPS);
    p->uid = pw.pw_uid;
    p->gid = pw.pw_gid;
    p->ngroups = n;
    memcpy(ret, p, sizeof(*p));
    return 0;
}

static bool has_group(const gid_t *groups, int n, gid_t g)
{
    for (int i = 0; i < n; i++)
        if (groups[i] == g)
            return true;
    return false;
}

/* Does this user namespace deny setgroups() (a mapping written without
 * CAP_SETGID in the parent namespace)? */
static bool setgroups_denied(void)
{
    char buf[16] = "";
    int fd = open("/proc/self/setgroups", O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

    if (fd >= 0)
        close(fd);
    return n > 0 && strncmp(buf, "deny", 4) == 0;
}

int jobssh_privs_initial_userns(void)
{
    char buf[256];
    unsigned long in, out, count;
    int fd = open("/proc/self/uid_map", O_RDONLY | O_CLOEXEC);
    ssize_t n;

    if (fd < 0)
        return -errno;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n < 0)
        return -EIO;
    buf[n] = '\0';
    /* one line, "0 0 4294967295" */
    if (sscanf(buf, "%lu %lu %lu", &in, &out, &count) != 3)
        return 0;
    char *nl = strchr(buf, '\n');
    return in == 0 && out == 0 && count == 4294967295UL && (!nl || nl[1] == '\0');
}

static int check_target(const jobssh_privs_t *p, jobssh_error_t *err)
{
    if (p->userns) {
        int r = jobssh_privs_initial_userns();
        if (r != 0)
            return jobssh_error_set(err, EPERM,
                                    "refusing container ids outside a container's user namespace");
        if (p->uid == (uid_t)-1 || p->gid == (gid_t)-1 || p->ngroups < 0 ||
            p->ngroups > JOBSSH_PRIVS_MAX_GROUPS)
            return jobssh_error_set(err, EINVAL, "invalid uid, gid or group count");
        return 0;
    }
    if (p->uid == 0 || p->gid == 0)
        return jobssh_error_set(err, EPERM, "refusing to drop privileges to uid %u gid %u (root)",
                                (unsigned)p->uid, (unsigned)p->gid);
    if (p->uid == (uid_t)-1 || p->gid == (gid_t)-1 || p->ngroups < 0 ||
        p->ngroups > JOBSSH_PRIVS_MAX_GROUPS)
        return jobssh_error_set(err, EINVAL, "invalid uid, gid or group count");
    for (int i = 0; i < p->ngroups; i++) {
        if (p->groups[i] == 0)
            return jobssh_error_set(err, EPERM, "refusing supplementary group 0 (root)");
        if (p->groups[i] == (gid_t)-1)
            return jobssh_error_set(err, EINVAL, "invalid supplementary group");
    }
    return 0;
}

static int verify_ids(const jobssh_privs_t *p, jobssh_error_t *err)
{
    _cleanup_free_ gid_t *groups = NULL;
    uid_t ru, eu, su;
    gid_t rg, eg, sg;
    int n;

    if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0)
        return jobssh_error_set_errno(err, errno, "couldn't read the process ids");
    if (ru != p->uid || eu != p->uid || su != p->uid)
        return jobssh_error_set(err, EPERM, "uids are %u/%u/%u, expected %u", (unsigned)ru,
                                (unsigned)eu, (unsigned)su, (unsigned)p->uid);
    if (rg != p->gid || eg != p->gid || sg != p->gid)
        return jobssh_error_set(err, EPERM, "gids are %u/%u/%u, expected %u", (unsigned)rg,
                                (unsigned)eg, (unsigned)sg, (unsigned)p->gid);
    n = getgroups(0, NULL);
    if (n < 0 || !(groups = calloc((size_t)n + 1, sizeof(gid_t))) || (n = getgroups(n, groups)) < 0)
        return jobssh_error_set_errno(err, errno ? errno : ENOMEM,
                                      "couldn't read the supplementary groups");
    for (int i = 0; i < n; i++)
        if (!has_group(p->groups, p->ngroups, groups[i]))
            return jobssh_error_set(err, EPERM, "unexpected supplementary group %u",
                                    (unsigned)groups[i]);
    for (int i = 0; i < p->ngroups; i++)
        if (!has_group(groups, n, p->groups[i]))
            return jobssh_error_set(err, EPERM, "supplementary group %u missing",
                                    (unsigned)p->groups[i]);
    return 0;
}

static int verify_caps(jobssh_error_t *err)
{
    cap_t now = cap_get_proc(), none = cap_init();
    int r = 0;

    if (!now || !none)
        r = jobssh_error_set_errno(err, errno, "couldn't read capabilities");
    else if (cap_compare(now, none) != 0)
        r = jobssh_error_set(err, EPERM,
                             "capabilities remain in the effective, permitted or "
                             "inheritable set");
    cap_free(now);
    cap_free(none);
    if (r < 0)
        return r;
    for (cap_value_t c = 0; c < (cap_value_t)cap_max_bits(); c++) {
        if (cap_get_bound(c) > 0)
            return jobssh_error_set(err, EPERM, "capability %d remains in the bounding set", c);
        if (cap_get_ambient(c) > 0)
            return jobssh_error_set(err, EPERM, "capability %d remains in the ambient set", c);
    }
    return 0;
}

int jobssh_privs_verify(const jobssh_privs_t *p, jobssh_error_t *err)
{
    int r = verify_ids(p, err);

    if (r < 0)
        return r;
    r = verify_caps(err);
    if (r < 0)
        return r;
    if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
        return jobssh_error_set(err, EPERM, "no_new_privs is not set");
    return 0;
}

/* Empty the bounding set (needs CAP_SETPCAP, kept through setresuid by
 * PR_SET_KEEPCAPS), clear ambient, then every other set. */
static int drop_caps(jobssh_error_t *err)
{
    const cap_value_t setpcap = CAP_SETPCAP;
    cap_t caps = cap_get_proc();
    cap_flag_value_t permitted = CAP_CLEAR;
    int r = 0;

    if (!caps)
        return jobssh_error_set_errno(err, errno, "couldn't read capabilities");
    if (cap_get_flag(caps, CAP_SETPCAP, CAP_PERMITTED, &permitted) == 0 && permitted == CAP_SET &&
        (cap_set_flag(caps, CAP_EFFECTIVE, 1, &setpcap, CAP_SET) < 0 || cap_set_proc(caps) < 0))
        r = jobssh_error_set_errno(err, errno, "couldn't raise CAP_SETPCAP");
    for (cap_value_t c = 0; r == 0 && c < (cap_value_t)cap_max_bits(); c++)
        if (cap_get_bound(c) > 0 && cap_drop_bound(c) < 0)
            r = jobssh_error_set_errno(err, errno,
                                       "couldn't drop capability %d from the bounding set", c);
    if (r == 0 && cap_reset_ambient() < 0 && errno != EINVAL)
        r = jobssh_error_set_errno(err, errno, "couldn't clear the ambient capabilities");
    if (r == 0 && (cap_clear(caps) < 0 || cap_set_proc(caps) < 0))
        r = jobssh_error_set_errno(err, errno, "couldn't clear the capabilities");
    cap_free(caps);
    return r;
}

int jobssh_privs_drop(const jobssh_privs_t *p, jobssh_error_t *err)
{
    static jobssh_privs_t kept; /* (a forked child's: single-threaded) */
    int r = check_target(p, err);

    if (r < 0)
        return r;
    kept = *p;
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
        return jobssh_error_set_errno(err, errno, "couldn't set keep-caps");
    /* uid 0 of a container's user namespace: executing a program must not
     * make it privileged there (locked, so that it cannot be undone). */
    if (p->userns && p->uid == 0 &&
        prctl(PR_SET_SECUREBITS,
              SECBIT_KEEP_CAPS | SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
                  SECBIT_NO_SETUID_FIXUP_LOCKED,
              0, 0, 0) < 0)
        return jobssh_error_set_errno(err, errno, "couldn't lock the securebits");
    if (setgroups((size_t)p->ngroups, p->groups) < 0) {
        if (!(p->userns && setgroups_denied()))
            return jobssh_error_set_errno(err, errno, "couldn't set the supplementary groups");
        /* kept as they are: they are what the checks below expect */
        int n = getgroups(JOBSSH_PRIVS_MAX_GROUPS, kept.groups);
        if (n < 0)
            return jobssh_error_set_errno(err, errno, "couldn't read the supplementary groups");
        kept.ngroups = n;
        p = &kept;
    }
    if (setresgid(p->gid, p->gid, p->gid) < 0)
        return jobssh_error_set_errno(err, errno, "couldn't set gid %u", (unsigned)p->gid);
    if (setresuid(p->uid, p->uid, p->uid) < 0)
        return jobssh_error_set_errno(err, errno, "couldn't set uid %u", (unsigned)p->uid);
    if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
        return jobssh_error_set_errno(err, errno, "couldn't clear keep-caps");
    r = verify_ids(p, err);
    if (r < 0)
        return r;
    r = drop_caps(err);
    if (r < 0)
        return r;
    /* none of these may work any more (uid 0 of a container's namespace
     * is the target itself: verify_caps() below shows it has no power) */
    if ((p->uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) ||
        (p->gid != 0 && (setgid(0) == 0 || setegid(0) == 0)) || setgroups(0, NULL) == 0)
        return jobssh_error_set(err, EPERM, "root could be regained after dropping privileges");
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return jobssh_error_set_errno(err, errno, "couldn't set no_new_privs");
    return jobssh_privs_verify(p, err);
}

/* One "Name:\t..." field of a status file, or NULL. */
static const char *status_field(const char *text, const char *name)
{
    size_t len = strlen(name);

    for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
        if (strncmp(l, name, len) == 0 && l[len] == ':')
            return l + len + 1;
    return NULL;
}

static int status_ids(const char *field, unsigned long ids[4])
{
    return field && sscanf(field, "%lu %lu %lu %lu", &ids[0], &ids[1], &ids[2], &ids[3]) == 4
               ? 0
               : -EINVAL;
}

int jobssh_privs_of_pid(int proc_fd, pid_t pid, jobssh_privs_t *ret, jobssh_error_t *err)
{
    char path[32], buf[8192];
    unsigned long u[4], g[4];
    const char *groups;
    ssize_t n;
    int fd;

    snprintf(path, sizeof(path), "%d/status", (int)pid);
    fd = openat(proc_fd, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return jobssh_error_set_errno(err, errno, "couldn't read the ids of pid %d", (int)pid);
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return jobssh_error_set(err, EIO, "couldn't read the ids of pid %d", (int)pid);
    buf[n] = '\0';
    if (status_ids(status_field(buf, "Uid"), u) < 0 || status_ids(status_field(buf, "Gid"), g) < 0)
        return jobssh_error_set(err, EIO, "no ids in the status of pid %d", (int)pid);
    if (u[0] != u[1] || u[0] != u[2] || g[0] != g[1] || g[0] != g[2])
        return jobssh_error_set(err, EPERM,
                                "pid %d changes ids (uids %lu/%lu/%lu, gids %lu/%lu/%lu)", (int)pid,
                                u[0], u[1], u[2], g[0], g[1], g[2]);
    memset(ret, 0, sizeof(*ret));
    ret->uid = (uid_t)u[0];
    ret->gid = (gid_t)g[0];
    groups = status_field(buf, "Groups");
    for (char *end; groups && *groups && *groups != '\n';) {
        unsigned long v = strtoul(groups, &end, 10);
        if (end == groups)
            break;
        groups = end;
        /* 65534: the overflow id of ids the namespace does not map */
        if (v != 65534 && v <= 0xfffffffeUL && ret->ngroups < JOBSSH_PRIVS_MAX_GROUPS)
            ret->groups[ret->ngroups++] = (gid_t)v;
        while (*groups == ' ' || *groups == '\t')
            groups++;
    }
    return 0;
}
