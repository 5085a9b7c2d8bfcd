/* test/util.c - cleanup helpers, checked copies, bounded reads */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "util.h"
#include "tap.h"

static void test_strings(void)
{
    char buf[6];

    is_int(jobssh_strlcpy(buf, "hello", sizeof(buf)), 0, "strlcpy: exact fit");
    is_str(buf, "hello", "strlcpy copied");
    is_int(jobssh_strlcpy(buf, "hello!", sizeof(buf)), -ENAMETOOLONG, "strlcpy: one too many");
    is_str(buf, "hello", "strlcpy leaves a terminated, cut copy");
    is_int(jobssh_strlcpy(buf, "x", 0), -EINVAL, "strlcpy: size 0 is refused");
    is_int(jobssh_snprintf(buf, sizeof(buf), "%d", 12345), 5, "snprintf: returns the length");
    is_int(jobssh_snprintf(buf, sizeof(buf), "%d", 123456), -ENAMETOOLONG,
           "snprintf: truncation is an error");
    is_str(buf, "12345", "snprintf: cut text is terminated");
}

static int write_pipe(const char *data, size_t len)
{
    int fds[2];

    if (pipe2(fds, O_CLOEXEC) < 0)
        bail_out("pipe2: %s", strerror(errno));
    if (write(fds[1], data, len) != (ssize_t)len)
        bail_out("write: %s", strerror(errno));
    close(fds[1]);
    return fds[0];
}

static void test_read_fd(void)
{
    char data[10000];
    char *buf = NULL;
    size_t len = 0;
    int fd;

    memset(data, 'q', sizeof(data));
    fd = write_pipe(data, sizeof(data));
    is_int(jobssh_read_fd(fd, sizeof(data), &buf, &len), 0, "read_fd: exactly max bytes");
    is_int(len, sizeof(data), "read_fd: length");
    ok(buf && buf[len] == '\0' && memcmp(buf, data, len) == 0, "read_fd: content, terminated");
    free(buf);
    close(fd);

    buf = NULL;
    fd = write_pipe(data, sizeof(data));
    is_int(jobssh_read_fd(fd, sizeof(data) - 1, &buf, &len), -EFBIG, "read_fd: max + 1 is EFBIG");
    ok(buf == NULL, "read_fd: out-param untouched on failure");
    close(fd);

    fd = write_pipe("", 0);
    is_int(jobssh_read_fd(fd, 10, &buf, &len), 0, "read_fd: empty input");
    ok(buf && len == 0 && buf[0] == '\0', "read_fd: empty, terminated buffer");
    free(buf);
    close(fd);
    is_int(jobssh_read_fd(-1, 10, &buf, &len), -EBADF, "read_fd: read error is returned");
}

static void test_cleanup(void)
{
    int kept, closed;

    {
        _cleanup_close_ int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        _cleanup_close_ int fd2 = open("/dev/null", O_RDONLY | O_CLOEXEC);
        _cleanup_free_ char *p = strdup("leak me not");
        _cleanup_fclose_ FILE *f = fopen("/dev/null", "re");
        _cleanup_closedir_ DIR *d = opendir("/");

        ok(fd >= 0 && fd2 >= 0 && p && f && d, "cleanup variables acquired");
        closed = fd;
        kept = JOBSSH_TAKE_FD(fd2);
        is_int(fd2, -1, "TAKE_FD leaves -1 behind");
    }
    ok(fcntl(closed, F_GETFD) < 0 && errno == EBADF, "_cleanup_close_ closed the fd");
    ok(fcntl(kept, F_GETFD) >= 0, "a taken fd stays open");
    close(kept);
    {
        _cleanup_close_ int none = -1;
        _cleanup_close_ int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        (void)none;
        errno = 4711;
    }
    is_int(errno, 4711, "_cleanup_close_ accepts -1 and preserves errno");
}

int main(void)
{
    plan(21);
    test_strings();
    test_read_fd();
    test_cleanup();
    return done_testing();
}
