/* container.c - jobssh's tmpfs inside an OCI container (container.h) */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "container.h"
#include "util.h"

#define COPY_MAX (64L * 1024 * 1024)

/* Is devdir (open at dfd) a tmpfs mounted on its own, not a directory of
 * its parent's file system? */
static int check_devdir(const char *devdir, int dfd, jobssh_error_t *err)
{
    struct statfs sf;
    struct stat self, parent;

    if (fstatfs(dfd, &sf) < 0 || fstat(dfd, &self) < 0 || fstatat(dfd, "..", &parent, 0) < 0)
        return jobssh_error_set_errno(err, errno, "couldn't look at %s", devdir);
    if (sf.f_type != TMPFS_MAGIC || self.st_dev == parent.st_dev)
        return jobssh_error_set(err, ENOTSUP,
                                "%s is not a tmpfs of its own (the container's /dev must be the "
                                "runtime's tmpfs)",
                                devdir);
    return 0;
}

int jobssh_container_mount(const char *devdir, int *ret_fd, jobssh_error_t *err)
{
    _cleanup_close_ int dfd = -1, fd = -1;
    int r;

    dfd = open(devdir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0)
        return jobssh_error_set_errno(err, errno, "couldn't open %s", devdir);
    if ((r = check_devdir(devdir, dfd, err)) < 0)
        return r;
    if (mkdirat(dfd, "jobssh", 0755) < 0) {
        if (errno == EEXIST)
            return jobssh_error_set(err, EEXIST,
                                    "%s/jobssh exists: a jobssh daemon serves this container "
                                    "already",
                                    devdir);
        return jobssh_error_set_errno(err, errno, "couldn't create %s/jobssh", devdir);
    }
    fd = openat(dfd, "jobssh", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    /* Mount on the directory just made, through the working directory: no
     * path to swap, and no /proc needed (the caller may have no pid in the
     * container's PID namespace, whose /proc this is). */
    if (fd < 0 || fchdir(fd) < 0 ||
        mount("jobssh", ".", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=32m,nr_inodes=4096") <
            0) {
        r = jobssh_error_set_errno(err, errno, "couldn't mount a tmpfs on %s/jobssh", devdir);
        (void)!chdir("/");
        (void)unlinkat(dfd, "jobssh", AT_REMOVEDIR);
        return r;
    }
    (void)!chdir("/");
    if (ret_fd) {
        /* the new mount's root, not the directory below it */
        *ret_fd = openat(dfd, "jobssh", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (*ret_fd < 0) {
            r = jobssh_error_set_errno(err, errno, "couldn't open %s/jobssh", devdir);
            (void)jobssh_container_unmount(devdir, NULL);
            return r;
        }
    }
    return 0;
}

int jobssh_container_unmount(const char *devdir, jobssh_error_t *err)
{
    char path[PATH_MAX];

    if (jobssh_snprintf(path, sizeof(path), "%s/jobssh", devdir) < 0)
        return jobssh_error_set(err, ENAMETOOLONG, "%s: path too long", devdir);
    if (umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) < 0 && errno != EINVAL && errno != ENOENT)
        return jobssh_error_set_errno(err, errno, "couldn't unmount %s", path);
    if (rmdir(path) < 0 && errno != ENOENT)
        return jobssh_error_set_errno(err, errno, "couldn't remove %s", path);
    return 0;
}

int jobssh_container_copy(int src, int dirfd, const char *name, mode_t mode, jobssh_error_t *err)
{
    _cleanup_close_ int out = -1;
    struct stat st;
    off_t off = 0;

    if (fstat(src, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > COPY_MAX)
        return jobssh_error_set(err, EINVAL, "%s: the source is not a regular file", name);
    out = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (out < 0)
        return jobssh_error_set_errno(err, errno, "couldn't create %s", name);
    for (unsigned i = 0; off < st.st_size && i < 100000; i++) {
        ssize_t n = sendfile(out, src, &off, (size_t)(st.st_size - off));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return jobssh_error_set_errno(err, n < 0 ? errno : EIO, "couldn't copy %s", name);
    }
    if (off != st.st_size)
        return jobssh_error_set(err, EIO, "couldn't copy %s: short copy", name);
    if (fchmod(out, mode) < 0)
        return jobssh_error_set_errno(err, errno, "couldn't set the mode of %s", name);
    return 0;
}
