/* Unit tests for lib/proc.c: start times, parent pids and pidfds of real
 * processes. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc.h"
#include "test/tap.h"

/* A socket listening on 127.0.0.1 (ipv6: ::1) on a free port; its port. */
static int listen_any(bool ipv6, unsigned short *ret_port)
{
    struct sockaddr_storage ss = {0};
    socklen_t len = ipv6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    int fd = socket(ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return -1;
    if (ipv6) {
        ((struct sockaddr_in6 *)&ss)->sin6_family = AF_INET6;
        ((struct sockaddr_in6 *)&ss)->sin6_addr = in6addr_loopback;
    } else {
        ((struct sockaddr_in *)&ss)->sin_family = AF_INET;
        ((struct sockaddr_in *)&ss)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    }
    if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 1) < 0 ||
        getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
        close(fd);
        return -1;
    }
    *ret_port = ntohs(ipv6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                           : ((struct sockaddr_in *)&ss)->sin_port);
    return fd;
}

/* A child that waits until it is killed; fork before opening what it must
 * not hold. */
static pid_t idle_child(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        pause();
        _exit(0);
    }
    return pid;
}

static void listener_tests(void)
{
    unsigned short port = 0, port6 = 0;
    pid_t other = idle_child();
    int fd = listen_any(false, &port), fd6;

    ok(fd >= 0, "a listening socket on 127.0.0.1");
    is_int(jobssh_proc_holds_listeners(-1, getpid(), port), 1, "its holder holds every listener");
    is_int(jobssh_proc_holds_listeners(-1, other, port), 0,
           "another process does not (a program that took the port first)");
    close(fd);
    is_int(jobssh_proc_holds_listeners(-1, getpid(), port), -ENOENT,
           "nothing listens once it is closed");
    fd6 = listen_any(true, &port6);
    if (fd6 < 0) {
        skip(1, "no IPv6 loopback");
    } else {
        is_int(jobssh_proc_holds_listeners(-1, getpid(), port6), 1, "IPv6 listeners count too");
        close(fd6);
    }
    kill(other, SIGKILL);
    waitpid(other, NULL, 0);
}

int main(void)
{
    unsigned long long self = 0, byid = 0, child_start = 0;
    pid_t ppid = 0, child;
    int pidfd, status;

    plan(17);
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
    int proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ppid = 0;
    ok(proc_fd >= 0 && jobssh_proc_ppid_at(proc_fd, child, &ppid) == 0,
       "parent pid of a child from an open /proc");
    is_int(ppid, getpid(), "it is this process");
    if (proc_fd >= 0)
        close(proc_fd);
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
    listener_tests();
    return done_testing();
}
