/* test/container.c - jobssh's tmpfs in a container's /dev, with real mounts
 * in a mount namespace of the test's own; a process's ids from /proc */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "container.h"
#include "privs.h"
#include "util.h"
#include "tap.h"

static char base[64], dev[128], plain[128], mnt[160];

static void test_mount(void)
{
    jobssh_error_t err = {{0}};
    char want[256];
    struct statfs sf;
    struct stat a, b;
    int fd = -1;

    is_int(jobssh_container_mount(dev, &fd, &err), 0, "mount on a tmpfs /dev");
    ok(fd >= 0 && fstatfs(fd, &sf) == 0 && sf.f_type == TMPFS_MAGIC, "  the new dir is a tmpfs");
    ok(stat(mnt, &a) == 0 && stat(dev, &b) == 0 && a.st_dev != b.st_dev,
       "  of its own, not the /dev tmpfs");
    ok(fstat(fd, &a) == 0 && (a.st_mode & 07777) == 0755 && a.st_uid == geteuid(),
       "  mode 0755, the caller's");

    /* a copy of a program, opened elsewhere */
    int src = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    struct stat s1, s2;
    is_int(jobssh_container_copy(src, fd, "prog", 0755, &err), 0, "copy a program");
    ok(fstat(src, &s1) == 0 && fstatat(fd, "prog", &s2, AT_SYMLINK_NOFOLLOW) == 0 &&
           s1.st_size == s2.st_size && (s2.st_mode & 07777) == 0755 && S_ISREG(s2.st_mode),
       "  same size, mode 0755");
    is_int(jobssh_container_copy(src, fd, "prog", 0755, &err), -EEXIST, "an existing name");
    int dirfd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    is_int(jobssh_container_copy(dirfd, fd, "dir", 0755, &err), -EINVAL, "a directory as source");
    is_str(err.text, "dir: the source is not a regular file", "  its error");
    close(dirfd);
    close(src);
    close(fd);

    is_int(jobssh_container_mount(dev, NULL, &err), -EEXIST, "a second daemon is refused");
    snprintf(want, sizeof(want), "%s/jobssh exists: a jobssh daemon serves this container already",
             dev);
    is_str(err.text, want, "  its error");

    is_int(jobssh_container_unmount(dev, &err), 0, "unmount");
    ok(lstat(mnt, &a) < 0 && errno == ENOENT, "  the directory is gone");
    is_int(jobssh_container_unmount(dev, &err), 0, "unmount again: nothing to do");
}

static void test_refused(void)
{
    jobssh_error_t err = {{0}};
    char want[256];
    struct stat st;

    /* a directory of its parent's file system (an image's /dev) */
    is_int(jobssh_container_mount(plain, NULL, &err), -ENOTSUP, "a /dev that is not a mount");
    snprintf(want, sizeof(want),
             "%s is not a tmpfs of its own (the container's /dev must be the runtime's tmpfs)",
             plain);
    is_str(err.text, want, "  its error");
    snprintf(want, sizeof(want), "%s/jobssh", plain);
    ok(lstat(want, &st) < 0 && errno == ENOENT, "  nothing made there");

    /* a symlink in place of /dev */
    snprintf(want, sizeof(want), "%s/devlink", base);
    if (symlink(dev, want) < 0)
        bail_out("symlink: %s", strerror(errno));
    int r = jobssh_container_mount(want, NULL, &err);
    ok(r == -ELOOP || r == -ENOTDIR, "a symlink is not followed (%d)", r);
}

static void test_ids(void)
{
    jobssh_error_t err = {{0}};
    jobssh_privs_t p;
    int proc = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    is_int(jobssh_privs_of_pid(proc, getpid(), &p, &err), 0, "ids of a process");
    ok(p.uid == getuid() && p.gid == getgid(), "  its uid and gid");
    is_int(jobssh_privs_of_pid(proc, 0x7ffffff0, &p, &err), -ENOENT, "a process that is not there");
    is_int(jobssh_privs_initial_userns(), 1, "the test runs in the initial user namespace");
    close(proc);
}

int main(void)
{
    plan(22);
    if (skip_unless_root(22, "mounting needs root"))
        return done_testing();
    /* our own mount namespace: nothing is seen or left outside */
    if (unshare(CLONE_NEWNS) < 0 || mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0)
        bail_out("a mount namespace of our own: %s", strerror(errno));
    snprintf(base, sizeof(base), "/tmp/jobssh-container-XXXXXX");
    if (!mkdtemp(base) || chmod(base, 0755) < 0)
        bail_out("mkdtemp: %s", strerror(errno));
    snprintf(dev, sizeof(dev), "%s/dev", base);
    snprintf(plain, sizeof(plain), "%s/plain", base);
    snprintf(mnt, sizeof(mnt), "%s/jobssh", dev);
    if (mkdir(dev, 0755) < 0 || mkdir(plain, 0755) < 0 ||
        mount("testdev", dev, "tmpfs", MS_NOSUID, "mode=0755") < 0)
        bail_out("a tmpfs /dev: %s", strerror(errno));
    test_mount();
    test_refused();
    test_ids();
    char link[160];
    snprintf(link, sizeof(link), "%s/devlink", base);
    if (umount2(dev, MNT_DETACH) < 0 || rmdir(dev) < 0 || rmdir(plain) < 0 || unlink(link) < 0 ||
        rmdir(base) < 0)
        diag("couldn't remove %s: %s", base, strerror(errno));
    return done_testing();
}
