/* test/cgroup.c - joining another process's cgroups, with a real cgroup */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "util.h"
#include "tap.h"

/* A cgroup directory below our own in some hierarchy where we can make one:
 * dir is its path, line the text /proc/<pid>/cgroup shows for it. */
static bool make_test_cgroup(char *dir, size_t dsize, char *line, size_t lsize)
{
    _cleanup_free_ char *self = NULL, *mi = NULL;
    int fd;

    if ((fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC)) < 0)
        return false;
    jobssh_read_fd(fd, 65536, &self, NULL);
    close(fd);
    if ((fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC)) < 0)
        return false;
    jobssh_read_fd(fd, 1 << 20, &mi, NULL);
    close(fd);
    if (!self || !mi)
        return false;
    for (char *s1 = NULL, *l = strtok_r(self, "\n", &s1); l; l = strtok_r(NULL, "\n", &s1)) {
        char *c1 = strchr(l, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2)
            continue;
        *c2 = '\0';
        const char *ctl = c1 + 1, *path = c2 + 1;
        /* the mount point: a line of mountinfo with root "/" of this type */
        char want[300];
        if (ctl[0])
            snprintf(want, sizeof(want), " - cgroup cgroup rw,%s", ctl);
        else
            snprintf(want, sizeof(want), " - cgroup2 ");
        for (char *s2 = NULL, *m = strtok_r(mi, "\n", &s2); m; m = strtok_r(NULL, "\n", &s2)) {
            char root[512], mnt[512];
            if (!strstr(m, want) || sscanf(m, "%*s %*s %*s %511s %511s", root, mnt) != 2 ||
                strcmp(root, "/") != 0)
                continue;
            snprintf(dir, dsize, "%s%s/jobssh-test.%d", mnt, strcmp(path, "/") ? path : "",
                     (int)getpid());
            if (mkdir(dir, 0755) == 0 || errno == EEXIST) {
                snprintf(line, lsize, "%s:%s/jobssh-test.%d", ctl, strcmp(path, "/") ? path : "",
                         (int)getpid());
                return true;
            }
        }
        /* mountinfo was cut by strtok_r: read it again for the next one */
        free(mi);
        mi = NULL;
        if ((fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC)) < 0)
            return false;
        jobssh_read_fd(fd, 1 << 20, &mi, NULL);
        close(fd);
        if (!mi)
            return false;
    }
    return false;
}

/* Does /proc/<pid>/cgroup contain the line "...:<want>"? */
static bool in_cgroup(pid_t pid, const char *want)
{
    char file[64], *text = NULL;
    int fd;
    bool found;

    snprintf(file, sizeof(file), "/proc/%d/cgroup", (int)pid);
    if ((fd = open(file, O_RDONLY | O_CLOEXEC)) < 0)
        return false;
    jobssh_read_fd(fd, 65536, &text, NULL);
    close(fd);
    found = text && strstr(text, want) != NULL;
    free(text);
    return found;
}

/* The path computation on synthetic texts: cgroup v1 and v2, a mount that
 * shows a subtree, refusals. */
static void test_paths(void)
{
    const char *mi = "30 22 0:27 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n"
                     "31 30 0:28 / /sys/fs/cgroup/freezer rw - cgroup cgroup rw,freezer\n"
                     "32 30 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"
                     "33 30 0:30 /sub /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
                     "34 30 0:31 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n";
    const char *ours = "6:freezer:/\n2:cpu,cpuacct:/a\n4:memory:/sub\n0::/\n";
    jobssh_error_t err = {{0}};
    char buf[512];

    is_int(jobssh_cgroup_procs_path("6:freezer:/slurm/job_1/step_extern", ours, mi, buf,
                                    sizeof(buf), &err),
           1, "v1: a different cgroup: %s", err.text);
    is_str(buf, "/sys/fs/cgroup/freezer/slurm/job_1/step_extern/cgroup.procs", "its procs file");
    is_int(jobssh_cgroup_procs_path("2:cpu,cpuacct:/a", ours, mi, buf, sizeof(buf), &err), 0,
           "the cgroup we are in: nothing to do");
    is_int(jobssh_cgroup_procs_path("0::/job_1/step_0", ours, mi, buf, sizeof(buf), &err), 1,
           "v2: %s", err.text);
    is_str(buf, "/sys/fs/cgroup/unified/job_1/step_0/cgroup.procs", "its procs file");
    is_int(jobssh_cgroup_procs_path("4:memory:/sub/job_1", ours, mi, buf, sizeof(buf), &err), 1,
           "a mount showing a subtree: %s", err.text);
    is_str(buf, "/sys/fs/cgroup/memory/job_1/cgroup.procs", "the path is below its root");
    is_int(jobssh_cgroup_procs_path("4:memory:/other", ours, mi, buf, sizeof(buf), &err), -ENOENT,
           "a cgroup outside the mounted subtree is refused");
    is_int(jobssh_cgroup_procs_path("6:freezer:/../x", ours, mi, buf, sizeof(buf), &err), -EINVAL,
           "a path with .. is refused");
    is_int(jobssh_cgroup_procs_path("7:blkio:/x", ours, mi, buf, sizeof(buf), &err), -ENOENT,
           "a hierarchy without a mount is refused");
    is_str(err.text, "no mount of the cgroup hierarchy 'blkio'", "by name");
}

int main(void)
{
    jobssh_error_t err = {{0}};
    jobssh_cgroups_t cg;
    char dir[1024], line[700], procs[1100];
    int go[2], rc;
    pid_t target, joiner;

    plan(20);
    test_paths();
    is_int(jobssh_cgroup_open(getpid(), &cg, &err), 0, "our own cgroups open: %s", err.text);
    is_int((int)cg.n, 0, "and there is nothing to join");
    is_int(jobssh_cgroup_open(0, &cg, &err), -EINVAL, "pid 0 is refused");
    is_int(jobssh_cgroup_open(0x7ffffffe, &cg, &err), -ESRCH, "a missing pid: ESRCH");
    is_str(err.text, "no process 2147483646", "which names the pid");

    if (skip_unless_root(4, "making a cgroup needs root"))
        return done_testing();
    if (!make_test_cgroup(dir, sizeof(dir), line, sizeof(line)))
        bail_out("no cgroup hierarchy where a test cgroup can be made");
    snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
    /* the target moves itself into the test cgroup, then waits */
    if (pipe2(go, O_CLOEXEC) < 0)
        bail_out("pipe2: %s", strerror(errno));
    target = fork();
    if (target == 0) {
        int fd = open(procs, O_WRONLY | O_CLOEXEC);
        char c;
        if (fd < 0 || write(fd, "0\n", 2) < 0)
            _exit(1);
        close(go[1]);
        (void)!read(go[0], &c, 1);
        _exit(0);
    }
    close(go[0]);
    for (int i = 0; i < 200 && !in_cgroup(target, line); i++)
        usleep(10000);
    ok(in_cgroup(target, line), "the target is in %s", line);
    err = (jobssh_error_t){{0}};
    rc = jobssh_cgroup_open(target, &cg, &err);
    ok(rc == 0 && cg.n >= 1, "the target's differing cgroups open (%zu): %s", cg.n, err.text);
    joiner = fork();
    if (joiner == 0) {
        jobssh_error_t cerr = {{0}};
        _exit(jobssh_cgroup_enter(&cg, &cerr) == 0 && in_cgroup(getpid(), line) ? 0 : 1);
    }
    int status = -1;
    waitpid(joiner, &status, 0);
    ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "a forked child joins them");
    ok(!in_cgroup(getpid(), line), "the caller itself stays where it was");
    jobssh_cgroup_close(&cg);
    close(go[1]);
    waitpid(target, NULL, 0);
    for (int i = 0; i < 100 && rmdir(dir) < 0 && errno == EBUSY; i++)
        usleep(10000);
    return done_testing();
}
