/* cgroup.c - move a process into the control groups of another one (see
 * cgroup.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"
#include "util.h"

#define CGROUP_FILE_MAX (256 * 1024)

/* One line of /proc/<pid>/cgroup: "ID:CONTROLLERS:PATH". */
typedef struct cg_line {
    char *controllers; /* "freezer", "cpu,cpuacct", "name=systemd", "" (v2) */
    char *path;
} cg_line_t;

static int read_file(const char *path, char **ret, jobssh_error_t *err)
{
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    int r;

    if (fd < 0)
        return jobssh_error_set_errno(err, errno, "couldn't open %s", path);
    r = jobssh_read_fd(fd, CGROUP_FILE_MAX, ret, NULL);
    if (r < 0)
        return jobssh_error_set_errno(err, -r, "couldn't read %s", path);
    return 0;
}

/* Split a line of /proc/<pid>/cgroup in place. */
static bool parse_cg_line(char *line, cg_line_t *ret)
{
    char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;

    if (!c2 || c2[1] != '/')
        return false;
    *c1 = *c2 = '\0';
    ret->controllers = c1 + 1;
    ret->path = c2 + 1;
    return true;
}

/* The path of the hierarchy named by controllers in the cgroup file text,
 * or NULL. */
static const char *path_in(const char *text, const char *controllers, char *buf, size_t size)
{
    const char *p = text;

    for (unsigned n = 0; n < 1024 && p && *p; n++) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        cg_line_t l;

        if (len < size) {
            memcpy(buf, p, len);
            buf[len] = '\0';
            if (parse_cg_line(buf, &l) && strcmp(l.controllers, controllers) == 0)
                return l.path;
        }
        p = nl ? nl + 1 : NULL;
    }
    return NULL;
}

/* Does the comma-separated list opts contain every entry of want? */
static bool has_all(const char *opts, const char *want)
{
    char w[256], o[1024];

    if (jobssh_strlcpy(w, want, sizeof(w)) < 0 || jobssh_strlcpy(o, opts, sizeof(o)) < 0)
        return false;
    for (char *s1 = NULL, *t = strtok_r(w, ",", &s1); t; t = strtok_r(NULL, ",", &s1)) {
        bool found = false;
        char copy[1024];
        memcpy(copy, o, sizeof(copy));
        for (char *s2 = NULL, *u = strtok_r(copy, ",", &s2); u && !found;
             u = strtok_r(NULL, ",", &s2))
            found = strcmp(t, u) == 0;
        if (!found)
            return false;
    }
    return true;
}

/* Find the mount of a hierarchy in mountinfo: its mount point and root.
 * controllers "" means the cgroup2 hierarchy. */
static int find_mount(const char *mountinfo, const char *controllers, char *mnt, size_t mntsz,
                      char *root, size_t rootsz)
{
    const char *p = mountinfo;

    for (unsigned n = 0; n < 100000 && p && *p; n++) {
        const char *start = p, *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char line[4096], *f[6], *sep, *fstype, *superopts, *save = NULL;
        int i = 0;

        p = nl ? nl + 1 : NULL;
        if (len >= sizeof(line))
            continue;
        memcpy(line, start, len);
        line[len] = '\0';
        sep = strstr(line, " - ");
        if (!sep)
            continue;
        *sep = '\0';
        for (char *t = strtok_r(line, " ", &save); t && i < 6; t = strtok_r(NULL, " ", &save))
            f[i++] = t;
        save = NULL;
        fstype = strtok_r(sep + 3, " ", &save);
        (void)strtok_r(NULL, " ", &save); /* source */
        superopts = strtok_r(NULL, " ", &save);
        if (i < 5 || !fstype || !superopts || strchr(f[3], '\\') || strchr(f[4], '\\'))
            continue;
        if (controllers[0] ? strcmp(fstype, "cgroup") != 0 || !has_all(superopts, controllers)
                           : strcmp(fstype, "cgroup2") != 0)
            continue;
        if (jobssh_strlcpy(mnt, f[4], mntsz) < 0 || jobssh_strlcpy(root, f[3], rootsz) < 0)
            return -ENAMETOOLONG;
        return 0;
    }
    return -ENOENT;
}

int jobssh_cgroup_procs_path(const char *line, const char *ours, const char *mountinfo, char *buf,
                             size_t size, jobssh_error_t *err)
{
    char copy[4096], mine_buf[4096], mnt[1024], root[1024];
    const char *mine, *rel;
    size_t rl;
    cg_line_t l;

    if (jobssh_strlcpy(copy, line, sizeof(copy)) < 0 || !parse_cg_line(copy, &l))
        return jobssh_error_set(err, EINVAL, "not a cgroup line: '%.64s'", line);
    mine = path_in(ours, l.controllers, mine_buf, sizeof(mine_buf));
    if (mine && strcmp(mine, l.path) == 0)
        return 0; /* already there */
    if (strstr(l.path, "/..") || strchr(l.path, '\\'))
        return jobssh_error_set(err, EINVAL, "cgroup path %.200s is outside our view", l.path);
    if (find_mount(mountinfo, l.controllers, mnt, sizeof(mnt), root, sizeof(root)) < 0)
        return jobssh_error_set(err, ENOENT, "no mount of the cgroup hierarchy '%.64s'",
                                l.controllers[0] ? l.controllers : "cgroup2");
    /* the mount may show only a subtree (its root): the path is below it */
    rl = strcmp(root, "/") == 0 ? 0 : strlen(root);
    if (rl && (strncmp(l.path, root, rl) != 0 || (l.path[rl] && l.path[rl] != '/')))
        return jobssh_error_set(err, ENOENT, "cgroup %.200s is not below the mounted %.200s",
                                l.path, root);
    rel = l.path + rl;
    if (jobssh_snprintf(buf, size, "%s%s/cgroup.procs", mnt, strcmp(rel, "/") == 0 ? "" : rel) < 0)
        return jobssh_error_set(err, ENAMETOOLONG, "cgroup path too long: %.200s", l.path);
    return 1;
}

int jobssh_cgroup_open(pid_t pid, jobssh_cgroups_t *ret, jobssh_error_t *err)
{
    _cleanup_free_ char *theirs = NULL, *ours = NULL, *mountinfo = NULL;
    char file[64];
    jobssh_cgroups_t cg = {0};
    int r = 0;

    *ret = cg;
    if (pid <= 0)
        return jobssh_error_set(err, EINVAL, "bad pid %d", (int)pid);
    snprintf(file, sizeof(file), "/proc/%d/cgroup", (int)pid);
    if ((r = read_file(file, &theirs, err)) < 0)
        return r == -ENOENT ? jobssh_error_set(err, ESRCH, "no process %d", (int)pid) : r;
    if ((r = read_file("/proc/self/cgroup", &ours, err)) < 0 ||
        (r = read_file("/proc/self/mountinfo", &mountinfo, err)) < 0)
        return r;
    for (char *save = NULL, *line = strtok_r(theirs, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        char procs[4096];
        int fd;

        r = jobssh_cgroup_procs_path(line, ours, mountinfo, procs, sizeof(procs), err);
        if (r == 0)
            continue;
        if (r < 0)
            break;
        if (cg.n >= JOBSSH_CGROUP_MAX) {
            r = jobssh_error_set(err, E2BIG, "more than %d cgroup hierarchies", JOBSSH_CGROUP_MAX);
            break;
        }
        fd = open(procs, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
            r = jobssh_error_set_errno(err, errno, "couldn't open %s", procs);
            break;
        }
        cg.fd[cg.n++] = fd;
        r = 0;
    }
    if (r < 0) {
        jobssh_cgroup_close(&cg);
        return r;
    }
    *ret = cg;
    return 0;
}

int jobssh_cgroup_enter(const jobssh_cgroups_t *cg, jobssh_error_t *err)
{
    for (size_t i = 0; i < cg->n; i++) {
        /* "0" is the writing process */
        if (write(cg->fd[i], "0\n", 2) < 0)
            return jobssh_error_set_errno(err, errno, "couldn't join a cgroup of the job");
    }
    return 0;
}

void jobssh_cgroup_close(jobssh_cgroups_t *cg)
{
    for (size_t i = 0; i < cg->n; i++)
        close(cg->fd[i]);
    cg->n = 0;
}
