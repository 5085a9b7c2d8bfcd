/* test/seccomp.c - the daemon's system call filter, installed for real in
 * forked children */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "seccomp.h"
#include "util.h"
#include "tap.h"

/* The errno of two refused calls made harmless (a missing swap file, a bad
 * descriptor), and whether allowed calls still work, in a child; the
 * filter first when filter is set. Packed: swapoff | handle << 8 | ok << 16. */
static int probe(bool filter)
{
    int p[2], v = -1;
    pid_t pid;

    if (pipe2(p, O_CLOEXEC) < 0)
        bail_out("pipe2: %s", strerror(errno));
    pid = fork();
    if (pid == 0) {
        jobssh_error_t err = {{0}};
        int e1, e2, good;
        char *status = NULL;
        int fd;

        if (filter &&
            (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || jobssh_seccomp_apply(&err) < 0))
            _exit(1);
        errno = 0;
        e1 = 0;
        /* under valgrind: it answers swapoff itself and aborts on open_by_handle_at */
        if (!getenv("JOBSSH_TEST_VALGRIND")) {
            (void)syscall(SYS_swapoff, "/nonexistent/jobssh-swap");
            e1 = errno;
            errno = 0;
            (void)syscall(SYS_open_by_handle_at, -1, NULL, 0);
        }
        e2 = errno;
        fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
        jobssh_read_fd(fd, 65536, &status, NULL);
        good = getpid() > 0 && status &&
               (filter ? strstr(status, "Seccomp:\t2") != NULL
                       : strstr(status, "Seccomp:\t0") != NULL);
        v = e1 | e2 << 8 | good << 16;
        (void)!write(p[1], &v, sizeof(v));
        _exit(0);
    }
    close(p[1]);
    if (read(p[0], &v, sizeof(v)) != sizeof(v))
        v = -1;
    close(p[0]);
    waitpid(pid, NULL, 0);
    return v;
}

int main(void)
{
    int with, without;

    plan(5);
    without = probe(false);
    with = probe(true);
    ok(with >= 0, "the filter installs (with no_new_privs, as any user)");
    ok(with >= 0 && (with >> 16) == 1, "the process is in seccomp filter mode, and runs on");
    if (getenv("JOBSSH_TEST_VALGRIND")) {
        /* valgrind answers these calls itself (ENOSYS) or aborts on them */
        skip(3, "valgrind does not pass swapoff and open_by_handle_at to the kernel");
        return done_testing();
    }
    is_int(with & 0xff, EPERM, "swapoff is refused with EPERM");
    is_int((with >> 8) & 0xff, EPERM, "open_by_handle_at is refused with EPERM");
    if (geteuid() == 0)
        ok((without & 0xff) != EPERM && ((without >> 8) & 0xff) != EPERM,
           "as root without the filter they fail otherwise (errno %d, %d): the filter refused them",
           without & 0xff, (without >> 8) & 0xff);
    else
        skip(1, "only root can tell the filter's EPERM from the kernel's");
    return done_testing();
}
