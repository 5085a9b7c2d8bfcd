/* files.c - atomic small-file writes relative to a directory fd. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "files.h"
#include "util.h"

int jobssh_files_write_at(int dirfd, const char *name, const void *buf, size_t len, mode_t mode,
                          jobssh_error_t *err)
{
    char tmp[256];
    const char *p = buf;
    int fd;

    if (strchr(name, '/') || jobssh_snprintf(tmp, sizeof(tmp), ".%s.%d.tmp", name, getpid()) < 0)
        return jobssh_error_set(err, EINVAL, "bad file name '%.64s'", name);
    (void)unlinkat(dirfd, tmp, 0);
    fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0)
        return jobssh_error_set_errno(err, errno, "couldn't create %s", name);
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            int e = errno;
            close(fd);
            (void)unlinkat(dirfd, tmp, 0);
            return jobssh_error_set_errno(err, e, "couldn't write %s", name);
        }
        p += w;
        len -= (size_t)w;
    }
    if (fchmod(fd, mode) < 0 || close(fd) < 0) {
        int e = errno;
        (void)unlinkat(dirfd, tmp, 0);
        return jobssh_error_set_errno(err, e, "couldn't write %s", name);
    }
    if (renameat(dirfd, tmp, dirfd, name) < 0) {
        int e = errno;
        (void)unlinkat(dirfd, tmp, 0);
        return jobssh_error_set_errno(err, e, "couldn't rename %s into place", name);
    }
    return 0;
}
