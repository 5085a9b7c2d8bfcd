/* util.h - small helpers shared by every module: scope-based cleanup,
 * ownership transfer, checked string copies and a bounded file reader. */
#ifndef JOBSSH_UTIL_H
#define JOBSSH_UTIL_H

#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* Cleanup destructors: each accepts an already released (NULL / -1) value
 * and preserves errno, so a failing path can still return -errno. */
static inline void jobssh_freep(void *p)
{
    int saved = errno;
    free(*(void **)p);
    errno = saved;
}

static inline void jobssh_closep(int *fd)
{
    int saved = errno;
    if (*fd >= 0)
        close(*fd);
    errno = saved;
}

static inline void jobssh_fclosep(FILE **f)
{
    int saved = errno;
    if (*f)
        fclose(*f);
    errno = saved;
}

static inline void jobssh_closedirp(DIR **d)
{
    int saved = errno;
    if (*d)
        closedir(*d);
    errno = saved;
}

#define _cleanup_free_     __attribute__((cleanup(jobssh_freep)))
#define _cleanup_close_    __attribute__((cleanup(jobssh_closep)))
#define _cleanup_fclose_   __attribute__((cleanup(jobssh_fclosep)))
#define _cleanup_closedir_ __attribute__((cleanup(jobssh_closedirp)))

/* Ownership transfer out of a cleanup variable: returns the value and leaves
 * -1 (fd) or NULL (pointer) behind, so the cleanup does nothing. */
static inline int jobssh_take_fd(int *fd)
{
    int r = *fd;
    *fd = -1;
    return r;
}

static inline void *jobssh_take_ptr(void *pp)
{
    void *r = *(void **)pp;
    *(void **)pp = NULL;
    return r;
}

#define JOBSSH_TAKE_FD(fd)   jobssh_take_fd(&(fd))
#define JOBSSH_TAKE_PTR(p)   jobssh_take_ptr(&(p))
#define JOBSSH_ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))

/* Copy the string src into dst of size bytes. Returns 0, or -ENAMETOOLONG
 * when src does not fit (dst then holds the cut, terminated copy), or
 * -EINVAL when size is 0. */
int jobssh_strlcpy(char *dst, const char *src, size_t size);

/* snprintf() that treats truncation as an error: returns the length written
 * (>= 0), -ENAMETOOLONG when the result did not fit in size bytes (buf then
 * holds the cut, terminated text), -EINVAL on an encoding error. */
__attribute__((format(printf, 3, 4))) int jobssh_snprintf(char *buf, size_t size, const char *fmt,
                                                          ...);

/* Read fd to end of file into a new NUL-terminated buffer of at most max
 * bytes of content. On success *ret_buf (caller frees) and *ret_len are set.
 * Errors: -EFBIG when there are more than max bytes, -ENOMEM, read errors.
 * Meant for regular files and pipes that reach EOF. */
int jobssh_read_fd(int fd, size_t max, char **ret_buf, size_t *ret_len);

/* Milliseconds of CLOCK_MONOTONIC: for deadlines. */
long jobssh_now_ms(void);

#endif
