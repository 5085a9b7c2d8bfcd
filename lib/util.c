/* util.c - checked string helpers and a bounded reader */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

int jobssh_strlcpy(char *dst, const char *src, size_t size)
{
    size_t len;

    if (size == 0)
        return -EINVAL;
    len = strnlen(src, size);
    if (len == size) {
        memcpy(dst, src, size - 1);
        dst[size - 1] = '\0';
        return -ENAMETOOLONG;
    }
    memcpy(dst, src, len + 1);
    return 0;
}

int jobssh_snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    if (n < 0)
        return -EINVAL;
    if ((size_t)n >= size)
        return -ENAMETOOLONG;
    return n;
}

int jobssh_read_fd(int fd, size_t max, char **ret_buf, size_t *ret_len)
{
    _cleanup_free_ char *buf = NULL;
    size_t len = 0, cap = 0;

    for (;;) {
        ssize_t n;

        if (len == cap) {
            /* one byte beyond max tells "too big" apart from "exactly max" */
            size_t ncap = cap == 0 ? 4096 : cap * 2;
            char *p;

            if (ncap > max + 1)
                ncap = max + 1;
            if (ncap <= len)
                return -EFBIG;
            p = realloc(buf, ncap + 1);
            if (!p)
                return -ENOMEM;
            buf = p;
            cap = ncap;
        }
        n = read(fd, buf + len, cap - len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (n == 0)
            break;
        len += (size_t)n;
        if (len > max)
            return -EFBIG;
    }
    if (!buf && !(buf = malloc(1)))
        return -ENOMEM;
    buf[len] = '\0';
    *ret_buf = JOBSSH_TAKE_PTR(buf);
    if (ret_len)
        *ret_len = len;
    return 0;
}

long jobssh_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}
