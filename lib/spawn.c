/* spawn.c - fork/exec with fd hygiene and error reporting from the child */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "spawn.h"
#include "proc.h"
#include "util.h"

#define KILL_REAP_MS 5000 /* bound on reaping after SIGKILL */

/* What the child sends back when it does not reach exec. */
struct report {
    int errnum;
    int exec_failed; /* 1: execve() itself failed; the parent words the message */
    char text[JOBSSH_ERROR_TEXT_MAX];
};

/* Linux 64-bit dirent as returned by getdents64. */
struct dirent64_raw {
    unsigned long long d_ino;
    long long d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

/* Close every fd >= first except keep (> first), using only
 * async-signal-safe calls. */
static void close_other_fds(int first, int keep)
{
    char buf[4096];
    int dfd;

#ifdef SYS_close_range
    if ((keep <= first || syscall(SYS_close_range, (unsigned)first, (unsigned)keep - 1, 0U) == 0) &&
        syscall(SYS_close_range, (unsigned)keep + 1, ~0U, 0U) == 0)
        return;
#endif
    dfd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        /* repeat until a pass closes nothing: closing may disturb the listing */
        for (int pass = 0, closed = 1; closed && pass < 16; pass++) {
            long n;

            closed = 0;
            lseek(dfd, 0, SEEK_SET);
            while ((n = syscall(SYS_getdents64, dfd, buf, sizeof(buf))) > 0) {
                for (long off = 0; off < n;) {
                    struct dirent64_raw *de = (struct dirent64_raw *)(buf + off);
                    int fd = 0;
                    const char *c = de->d_name;

                    off += de->d_reclen;
                    if (*c < '0' || *c > '9')
                        continue;
                    for (; *c >= '0' && *c <= '9' && fd < 1 << 24; c++)
                        fd = fd * 10 + (*c - '0');
                    if (fd >= first && fd != keep && fd != dfd && close(fd) == 0)
                        closed = 1;
                }
            }
        }
        close(dfd);
        return;
    }
    /* no /proc: every possible fd, bounded */
    struct rlimit rl;
    int max = 65536;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < 1 << 20)
        max = (int)rl.rlim_cur;
    for (int fd = first; fd < max; fd++)
        if (fd != keep)
            close(fd);
}

/* glibc's sigaction() refuses the signals it reserves for itself (32, 33),
 * but an ignored disposition of them would survive exec: reset them with
 * the system call (kernel layout: handler, flags, restorer, mask). */
static void reset_reserved_signal(int sig)
{
    struct {
        void (*handler)(int);
        unsigned long flags;
        void (*restorer)(void);
        unsigned long mask;
    } ksa = {SIG_DFL, 0, NULL, 0};

    syscall(SYS_rt_sigaction, sig, &ksa, NULL, sizeof(ksa.mask));
}

static __attribute__((noreturn)) void child_fail(int errfd, struct report *rep)
{
    ssize_t n = write(errfd, rep, sizeof(*rep));
    (void)n;
    _exit(127);
}

/* In the child: never returns. Only async-signal-safe calls besides
 * pre_exec and the formatting of error texts. */
static __attribute__((noreturn)) void child(const jobssh_spawn_t *o, int errfd, pid_t ppid)
{
    const int want[3] = {o->stdin_fd, o->stdout_fd, o->stderr_fd};
    struct report rep = {0};
    jobssh_error_t err = {{0}};
    struct sigaction sa = {.sa_handler = SIG_DFL};
    sigset_t none;
    int tmp[3], devnull = -1, tmp3 = -1, first_free = o->pass_fd3 ? 4 : 3;
    int r;

    /* dispositions first, then the mask, so no inherited handler runs here */
    for (int sig = 1; sig < NSIG; sig++)
        if (sigaction(sig, &sa, NULL) < 0 && errno == EINVAL && sig != SIGKILL && sig != SIGSTOP)
            reset_reserved_signal(sig);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);

    /* the report pipe must not sit on 0-2 (nor on 3 when that is passed) */
    if (errfd < first_free) {
        int moved = fcntl(errfd, F_DUPFD_CLOEXEC, first_free);
        if (moved < 0)
            _exit(127);
        errfd = moved;
    }
    if (o->pdeathsig) {
        if (prctl(PR_SET_PDEATHSIG, o->pdeathsig) < 0) {
            rep.errnum = errno;
            jobssh_error_set_errno(&err, errno, "couldn't set the parent death signal");
            goto fail;
        }
        if (getppid() != ppid) { /* the parent is already gone */
            rep.errnum = ESRCH;
            jobssh_error_set(&err, ESRCH, "parent exited before %s started", o->path);
            goto fail;
        }
    }
    if (o->new_session && setsid() < 0) {
        rep.errnum = errno;
        jobssh_error_set_errno(&err, errno, "couldn't start a new session");
        goto fail;
    }
    /* duplicate every source above 2 first, so that sources and targets
     * overlapping in any way (e.g. stdout_fd = 2, stderr_fd = 1) work */
    for (int i = 0; i < 3; i++) {
        int src = want[i];

        if (src == JOBSSH_SPAWN_DEVNULL) {
            if (devnull < 0 && (devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0) {
                rep.errnum = errno;
                jobssh_error_set_errno(&err, errno, "couldn't open /dev/null");
                goto fail;
            }
            src = devnull;
        }
        tmp[i] = fcntl(src, F_DUPFD_CLOEXEC, first_free);
        if (tmp[i] < 0) {
            rep.errnum = errno;
            jobssh_error_set_errno(&err, errno, "couldn't duplicate fd %d", src);
            goto fail;
        }
    }
    if (o->pass_fd3 && (tmp3 = fcntl(o->fd3, F_DUPFD_CLOEXEC, first_free)) < 0) {
        rep.errnum = errno;
        jobssh_error_set_errno(&err, errno, "couldn't duplicate fd %d", o->fd3);
        goto fail;
    }
    for (int i = 0; i < 3; i++) {
        if (dup2(tmp[i], i) < 0) {
            rep.errnum = errno;
            jobssh_error_set_errno(&err, errno, "couldn't set up fd %d", i);
            goto fail;
        }
    }
    /* dup2 clears close-on-exec on the target: fd 3 stays open across exec */
    if (o->pass_fd3 && dup2(tmp3, 3) < 0) {
        rep.errnum = errno;
        jobssh_error_set_errno(&err, errno, "couldn't set up fd 3");
        goto fail;
    }
    if (o->pre_exec) {
        r = o->pre_exec(o->pre_exec_arg, &err);
        if (r < 0) {
            rep.errnum = -r;
            if (!err.text[0])
                jobssh_error_set_errno(&err, -r, "pre-exec step for %s failed", o->path);
            goto fail;
        }
    }
    close_other_fds(first_free, errfd);
    execve(o->path, o->argv, o->envp ? o->envp : (char *const[]){NULL});
    rep.errnum = errno;
    rep.exec_failed = 1;
fail:
    memcpy(rep.text, err.text, sizeof(rep.text));
    child_fail(errfd, &rep);
}

static int check_fd(int fd, const char *which, jobssh_error_t *err)
{
    if (fd != JOBSSH_SPAWN_DEVNULL && (fd < 0 || fcntl(fd, F_GETFD) < 0))
        return jobssh_error_set(err, EBADF, "%s fd %d is not open", which, fd);
    return 0;
}

int jobssh_spawn(const jobssh_spawn_t *o, pid_t *ret_pid, jobssh_error_t *err)
{
    _cleanup_close_ int rd = -1;
    struct report rep;
    int fds[2], timeout, r;
    long deadline;
    ssize_t n = -1;
    pid_t ppid = getpid(), pid;

    if (!o || !o->path || o->path[0] != '/')
        return jobssh_error_set(err, EINVAL, "program path '%s' is not absolute",
                                o && o->path ? o->path : "(null)");
    if (!o->argv || !o->argv[0])
        return jobssh_error_set(err, EINVAL, "no argv[0] for %s", o->path);
    if ((r = check_fd(o->stdin_fd, "stdin", err)) < 0 ||
        (r = check_fd(o->stdout_fd, "stdout", err)) < 0 ||
        (r = check_fd(o->stderr_fd, "stderr", err)) < 0 ||
        (o->pass_fd3 && (r = check_fd(o->fd3 < 0 ? -2 : o->fd3, "fd3", err)) < 0))
        return r;
    timeout = o->exec_timeout_ms > 0 ? o->exec_timeout_ms : JOBSSH_SPAWN_EXEC_TIMEOUT_MS;
    if (pipe2(fds, O_CLOEXEC) < 0)
        return jobssh_error_set_errno(err, errno, "couldn't create a pipe");
    rd = fds[0];
    fflush(NULL);
    pid = fork();
    if (pid < 0) {
        close(fds[1]);
        return jobssh_error_set_errno(err, errno, "couldn't fork for %s", o->path);
    }
    if (pid == 0)
        child(o, fds[1], ppid);
    close(fds[1]);

    /* EOF: exec closed the pipe. A report: it failed. Nothing: too slow. */
    deadline = jobssh_now_ms() + timeout;
    for (int tries = 0; tries < 1000; tries++) {
        struct pollfd pfd = {.fd = rd, .events = POLLIN};
        long left = deadline - jobssh_now_ms();

        r = poll(&pfd, 1, left > 0 ? (int)left : 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        n = read(rd, &rep, sizeof(rep));
        if (n < 0 && errno == EINTR)
            continue;
        break;
    }
    if (n == 0) {
        *ret_pid = pid;
        return 0;
    }
    if (n != (ssize_t)sizeof(rep)) {
        jobssh_spawn_kill(pid, 0);
        if (n < 0 && r > 0)
            return jobssh_error_set_errno(err, errno, "couldn't read the status of %s", o->path);
        return jobssh_error_set(err, ETIMEDOUT, "%s did not start within %d ms", o->path, timeout);
    }
    /* the child exits right after its report */
    if (jobssh_spawn_wait(pid, KILL_REAP_MS, NULL, NULL) < 0)
        jobssh_spawn_kill(pid, 0);
    rep.text[sizeof(rep.text) - 1] = '\0';
    if (rep.exec_failed)
        return jobssh_error_set_errno(err, rep.errnum, "couldn't exec %s", o->path);
    return jobssh_error_set(err, rep.errnum, "%s", rep.text);
}

int jobssh_spawn_wait(pid_t pid, int timeout_ms, int *ret_status, jobssh_error_t *err)
{
    _cleanup_close_ int pidfd = -1;
    long deadline = jobssh_now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
    int sleep_ms = 1;

    if (pid <= 0 || timeout_ms < 0)
        return jobssh_error_set(err, EINVAL, "wait: bad pid %d or timeout %d", (int)pid,
                                timeout_ms);
    pidfd = jobssh_proc_pidfd(pid);
    for (;;) {
        int status;
        pid_t r = waitpid(pid, &status, WNOHANG);
        long left;

        if (r == pid) {
            if (ret_status)
                *ret_status = status;
            return 0;
        }
        if (r < 0 && errno != EINTR)
            return jobssh_error_set_errno(err, errno, "couldn't wait for pid %d", (int)pid);
        left = deadline - jobssh_now_ms();
        if (left <= 0)
            return jobssh_error_set(err, ETIMEDOUT, "pid %d still running after %d ms", (int)pid,
                                    timeout_ms);
        if (pidfd >= 0) {
            struct pollfd pfd = {.fd = pidfd, .events = POLLIN};
            poll(&pfd, 1, (int)left);
        } else {
            /* no pidfd: poll with a growing interval */
            struct timespec ts = {0, (left < sleep_ms ? left : sleep_ms) * 1000000L};
            nanosleep(&ts, NULL);
            if (sleep_ms < 32)
                sleep_ms *= 2;
        }
    }
}

int jobssh_spawn_kill(pid_t pid, int timeout_ms)
{
    int r;

    siginfo_t si = {0};

    if (pid <= 0 || timeout_ms < 0)
        return -EINVAL;
    /* signal only our own child, never whoever else has that pid */
    if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
        return -errno;
    if (kill(pid, SIGTERM) < 0)
        return -errno;
    r = jobssh_spawn_wait(pid, timeout_ms, NULL, NULL);
    if (r != -ETIMEDOUT)
        return r;
    if (kill(pid, SIGKILL) < 0)
        return -errno;
    r = jobssh_spawn_wait(pid, KILL_REAP_MS, NULL, NULL);
    return r < 0 ? r : 1;
}

const char *jobssh_status_str(int status, char buf[64])
{
    if (WIFEXITED(status)) {
        snprintf(buf, 64, "exited with status %d", WEXITSTATUS(status));
    } else if (WIFSIGNALED(status)) {
        const char *d = sigdescr_np(WTERMSIG(status));
        snprintf(buf, 64, "killed by signal %d (%s)%s", WTERMSIG(status), d ? d : "unknown",
                 WCOREDUMP(status) ? ", core dumped" : "");
    } else {
        snprintf(buf, 64, "unknown wait status 0x%x", (unsigned)status);
    }
    return buf;
}

/* The exit status of a jobssh_spawn_fn() child whose function failed with
 * -ENOENT. */
#define SPAWN_FN_ENOENT 2

int jobssh_spawn_fn(int (*fn)(void *arg, jobssh_error_t *err), void *arg, int timeout_ms,
                    jobssh_error_t *err)
{
    jobssh_error_t cerr = {{0}};
    int pipefd[2], status = 0, r;
    long deadline = jobssh_now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
    size_t have = 0;
    char buf[64];
    pid_t pid;

    if (pipe2(pipefd, O_CLOEXEC) < 0)
        return jobssh_error_set_errno(err, errno, "couldn't create a pipe");
    fflush(NULL);
    pid = fork();
    if (pid < 0) {
        close(pipefd[0]);
        close(pipefd[1]);
        return jobssh_error_set_errno(err, errno, "couldn't fork");
    }
    if (pid == 0) {
        close(pipefd[0]);
        if ((r = fn(arg, &cerr)) < 0) {
            if (!cerr.text[0])
                jobssh_error_set(&cerr, EIO, "a helper process failed");
            (void)!write(pipefd[1], cerr.text, strnlen(cerr.text, sizeof(cerr.text)));
            _exit(r == -ENOENT ? SPAWN_FN_ENOENT : 1);
        }
        _exit(0);
    }
    close(pipefd[1]);
    /* the error text, until EOF (the child has exited) or the deadline */
    for (unsigned i = 0; i < 100000; i++) {
        struct pollfd pfd = {.fd = pipefd[0], .events = POLLIN};
        long left = deadline - jobssh_now_ms();
        ssize_t n;

        r = poll(&pfd, 1, left > 0 ? (int)left : 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            close(pipefd[0]);
            jobssh_spawn_kill(pid, 0);
            return jobssh_error_set(err, ETIMEDOUT, "a helper process did not finish within %d ms",
                                    timeout_ms);
        }
        n = read(pipefd[0], cerr.text + have, sizeof(cerr.text) - 1 - have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0 || (have += (size_t)n) >= sizeof(cerr.text) - 1)
            break;
    }
    close(pipefd[0]);
    cerr.text[have] = '\0';
    r = jobssh_spawn_wait(pid, KILL_REAP_MS, &status, err);
    if (r < 0) {
        jobssh_spawn_kill(pid, 0);
        return r;
    }
    if (have > 0)
        return jobssh_error_set(
            err, WIFEXITED(status) && WEXITSTATUS(status) == SPAWN_FN_ENOENT ? ENOENT : EIO, "%s",
            cerr.text);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return jobssh_error_set(err, EIO, "a helper process %s", jobssh_status_str(status, buf));
    return 0;
}

/* Wait until fd is ready for events, or deadline. 1: ready, -ETIMEDOUT. */
static int poll_until(int fd, short events, long deadline)
{
    for (unsigned i = 0; i < 100000; i++) {
        struct pollfd pfd = {.fd = fd, .events = events};
        long left = deadline - jobssh_now_ms();
        int r;

        if (left <= 0)
            return -ETIMEDOUT;
        r = poll(&pfd, 1, (int)left);
        if (r > 0)
            return 1;
        if (r < 0 && errno != EINTR)
            return -errno;
    }
    return -ETIMEDOUT;
}

int jobssh_spawn_talk(int fd, char *const env[], char *answer, size_t size, int timeout_ms)
{
    long deadline = jobssh_now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
    size_t have = 0;
    int r;

    if (fd < 0 || !answer || size < 2)
        return -EINVAL;
    answer[0] = '\0';
    for (size_t i = 0; env && env[i]; i++) {
        const char *s = env[i];
        size_t len = strlen(s) + 1, off = 0;

        while (off < len) {
            ssize_t w;

            if ((r = poll_until(fd, POLLOUT, deadline)) < 0)
                return r;
            w = send(fd, s + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (w < 0 && (errno == EAGAIN || errno == EINTR))
                continue;
            if (w < 0)
                return -errno;
            off += (size_t)w;
        }
    }
    if (shutdown(fd, SHUT_WR) < 0 && errno != ENOTCONN)
        return -errno;
    while (have + 1 < size && !memchr(answer, '\n', have)) {
        ssize_t n;

        if ((r = poll_until(fd, POLLIN, deadline)) < 0)
            return r;
        n = recv(fd, answer + have, size - 1 - have, MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            break;
        have += (size_t)n;
    }
    answer[have] = '\0';
    answer[strcspn(answer, "\n")] = '\0';
    return have > 0 ? 0 : -EPIPE;
}
