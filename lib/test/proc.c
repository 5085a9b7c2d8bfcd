/* Unit tests for lib/proc.c: start times, parent pids and pidfds of real
 * processes. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc.h"
#include "test/tap.h"

int main(void)
{
    unsigned long long self = 0, byid = 0, child_start = 0;
    pid_t ppid = 0, child;
    int pidfd, status;

    plan(10);
    ok(jobssh_proc_starttime(0, &self) == 0 && self > 0, "start time of this process");
    ok(jobssh_proc_starttime(getpid(), &byid) == 0, "start time by pid");
    is_int((long long)byid, (long long)self, "0 and getpid() name the same process");
    ok(jobssh_proc_ppid(getpid(), &ppid) == 0, "parent pid of this process");
    is_int(ppid, getppid(), "it is getppid()");

    child = fork();
    if (child == 0) {
        pause();
        _exit(0);
    }
    ok(jobssh_proc_starttime(child, &child_start) == 0 && child_start >= self,
       "a child started no earlier than its parent");
    pidfd = jobssh_proc_pidfd(child);
    if (pidfd == -ENOSYS && getenv("JOBSSH_TEST_VALGRIND")) {
        /* valgrind before 3.20 does not know pidfd_open; callers fall back */
        skip(2, "pidfd_open is not available under this valgrind");
        kill(child, SIGKILL);
    } else {
        ok(pidfd >= 0, "pidfd of the child");
        kill(child, SIGKILL);
        struct pollfd pfd = {.fd = pidfd, .events = POLLIN};
        ok(poll(&pfd, 1, 5000) == 1, "the pidfd becomes readable when the child dies");
    }
    waitpid(child, &status, 0);
    ok(jobssh_proc_starttime(child, &child_start) == -ENOENT, "a reaped process has no start time");
    ok(jobssh_proc_ppid(-5, &ppid) < 0, "a bad pid is an error");
    if (pidfd >= 0)
        close(pidfd);
    return done_testing();
}
