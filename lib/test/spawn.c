/* test/spawn.c - fork/exec helper: env, fds, errors from the child, waits */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "spawn.h"
#include "util.h"
#include "tap.h"

/* Run argv with stdin from `in` (NULL: /dev/null); collect stdout. */
static int run(const char *path, char *const argv[], char *const envp[], const char *in,
               char **ret_out, int *ret_status, jobssh_error_t *err)
{
    jobssh_spawn_t o = JOBSSH_SPAWN_INIT;
    int out[2], inp[2] = {-1, -1}, r;
    pid_t pid;

    if (pipe2(out, O_CLOEXEC) < 0 || (in && pipe2(inp, O_CLOEXEC) < 0))
        bail_out("pipe2: %s", strerror(errno));
    if (in && write(inp[1], in, strlen(in)) < 0)
        bail_out("write: %s", strerror(errno));
    if (in)
        close(inp[1]);
    o.path = path;
    o.argv = argv;
    o.envp = envp;
    o.stdin_fd = in ? inp[0] : JOBSSH_SPAWN_DEVNULL;
    o.stdout_fd = out[1];
    r = jobssh_spawn(&o, &pid, err);
    close(out[1]);
    if (in)
        close(inp[0]);
    if (r == 0) {
        *ret_out = NULL;
        jobssh_read_fd(out[0], 65536, ret_out, NULL);
        r = jobssh_spawn_wait(pid, 5000, ret_status, err);
    }
    close(out[0]);
    return r;
}

static void test_env_and_stdio(void)
{
    char *env[] = {"A=1", "B=two", NULL};
    char *out = NULL;
    int status = -1;
    jobssh_error_t err = {{0}};

    setenv("JOBSSH_MUST_NOT_LEAK", "1", 1);
    is_int(run("/usr/bin/env", (char *[]){"env", NULL}, env, NULL, &out, &status, &err), 0,
           "spawn env: %s", err.text);
    is_str(out, "A=1\nB=two\n", "the environment is exactly envp");
    free(out);
    out = NULL;
    is_int(run("/usr/bin/env", (char *[]){"env", NULL}, NULL, NULL, &out, &status, &err), 0,
           "spawn with envp NULL");
    is_str(out, "", "envp NULL is an empty environment");
    free(out);
    out = NULL;
    is_int(run("/bin/cat", (char *[]){"cat", NULL}, NULL, NULL, &out, &status, &err), 0,
           "cat with default stdin");
    is_str(out, "", "default stdin is /dev/null");
    free(out);
    out = NULL;
    is_int(run("/bin/cat", (char *[]){"cat", NULL}, NULL, "hello\n", &out, &status, &err), 0,
           "cat with stdin from a pipe");
    is_str(out, "hello\n", "stdin fd passed");
    free(out);
    out = NULL;
    run("/bin/sh", (char *[]){"sh", "-c", "exit 3", NULL}, NULL, NULL, &out, &status, &err);
    free(out);
    ok(WIFEXITED(status) && WEXITSTATUS(status) == 3, "exit status returned by wait");
}

static void test_fds(void)
{
    jobssh_spawn_t o = JOBSSH_SPAWN_INIT;
    jobssh_error_t err = {{0}};
    char *out = NULL;
    int p[2], status = -1, leak5, leak100, devnull;
    pid_t pid;

    /* fds deliberately without O_CLOEXEC: the child must still not get them */
    devnull = open("/dev/null", O_RDONLY);
    leak5 = dup2(devnull, 5);
    leak100 = dup2(devnull, 100);
    close(devnull);
    if (leak5 != 5 || leak100 != 100 || pipe2(p, O_CLOEXEC) < 0)
        bail_out("fd setup: %s", strerror(errno));
    o.path = "/bin/sh";
    o.argv = (char *[]){"sh", "-c",
                        "for f in 5 100; do [ -e /proc/$$/fd/$f ] && echo leak $f; done; "
                        "echo err >&2; echo out",
                        NULL};
    /* stdout and stderr both to the pipe's write end */
    o.stdout_fd = p[1];
    o.stderr_fd = p[1];
    is_int(jobssh_spawn(&o, &pid, &err), 0, "spawn with stdout = stderr");
    close(p[1]);
    jobssh_read_fd(p[0], 4096, &out, NULL);
    close(p[0]);
    jobssh_spawn_wait(pid, 5000, &status, &err);
    is_str(out, "err\nout\n", "no inherited fd leaked (5, 100), stdout and stderr shared");
    free(out);
    out = NULL;
    close(5);
    close(100);

    /* swapped fds: stdout_fd = 2 and stderr_fd = 1 */
    if (pipe2(p, O_CLOEXEC) < 0)
        bail_out("pipe2: %s", strerror(errno));
    {
        int saved1 = fcntl(1, F_DUPFD_CLOEXEC, 3), saved2 = fcntl(2, F_DUPFD_CLOEXEC, 3);
        jobssh_spawn_t s = JOBSSH_SPAWN_INIT;

        fflush(stdout);
        dup2(p[1], 2); /* our stderr is the pipe; our stdout stays */
        s.path = "/bin/sh";
        s.argv = (char *[]){"sh", "-c", "echo to-stdout", NULL};
        s.stdout_fd = 2;
        s.stderr_fd = 1;
        if (jobssh_spawn(&s, &pid, &err) == 0)
            jobssh_spawn_wait(pid, 5000, &status, &err);
        dup2(saved2, 2);
        dup2(saved1, 1);
        close(saved1);
        close(saved2);
    }
    close(p[1]);
    jobssh_read_fd(p[0], 4096, &out, NULL);
    close(p[0]);
    is_str(out, "to-stdout\n", "stdout_fd = 2 and stderr_fd = 1 at once");
    free(out);

    o = (jobssh_spawn_t)JOBSSH_SPAWN_INIT;
    o.path = "/bin/true";
    o.argv = (char *[]){"true", NULL};
    o.stdout_fd = 77;
    is_int(jobssh_spawn(&o, &pid, &err), -EBADF, "a closed fd is refused");
    is_str(err.text, "stdout fd 77 is not open", "closed fd error text");
    o.stdout_fd = JOBSSH_SPAWN_DEVNULL;
    o.pass_fd3 = true;
    o.fd3 = 77;
    is_int(jobssh_spawn(&o, &pid, &err), -EBADF, "a closed fd3 is refused");
    is_str(err.text, "fd3 fd 77 is not open", "closed fd3 error text");
}

/* pass_fd3: the given fd (here a pipe, high and close-on-exec) is the
 * child's fd 3 and nothing else is passed; without it, fd 3 is closed. */
static void test_fd3(void)
{
    jobssh_spawn_t o = JOBSSH_SPAWN_INIT;
    jobssh_error_t err = {{0}};
    char *out = NULL;
    int p[2], high, status = -1;
    pid_t pid;

    if (pipe2(p, O_CLOEXEC) < 0 || (high = fcntl(p[1], F_DUPFD_CLOEXEC, 40)) < 0)
        bail_out("fd setup: %s", strerror(errno));
    close(p[1]);
    o.path = "/bin/sh";
    o.argv = (char *[]){"sh", "-c",
                        "echo via-fd3 >&3; [ -e /proc/$$/fd/4 ] && echo leak 4 >&3; "
                        "[ -e /proc/$$/fd/40 ] && echo leak 40 >&3; exit 0",
                        NULL};
    o.pass_fd3 = true;
    o.fd3 = high;
    is_int(jobssh_spawn(&o, &pid, &err), 0, "spawn with pass_fd3");
    close(high);
    jobssh_read_fd(p[0], 4096, &out, NULL);
    close(p[0]);
    is_int(jobssh_spawn_wait(pid, 5000, &status, &err), 0, "the fd3 child ends");
    is_str(out, "via-fd3\n", "fd3 reaches the child as fd 3, nothing else leaks");
    free(out);
    out = NULL;

    if (pipe2(p, O_CLOEXEC) < 0)
        bail_out("pipe2: %s", strerror(errno));
    o = (jobssh_spawn_t)JOBSSH_SPAWN_INIT;
    o.path = "/bin/sh";
    o.argv =
        (char *[]){"sh", "-c", "{ echo x >&3; } 2>/dev/null && echo open || echo closed", NULL};
    o.stdout_fd = p[1];
    is_int(jobssh_spawn(&o, &pid, &err), 0, "spawn without pass_fd3");
    close(p[1]);
    jobssh_read_fd(p[0], 4096, &out, NULL);
    close(p[0]);
    jobssh_spawn_wait(pid, 5000, &status, &err);
    is_str(out, "closed\n", "without pass_fd3 the child's fd 3 is closed");
    free(out);
}

static int pre_exec_fail(void *arg, jobssh_error_t *err)
{
    return jobssh_error_set(err, EPERM, "custom failure %d", *(int *)arg);
}

static int pre_exec_silent(void *arg, jobssh_error_t *err)
{
    return -ENOTSUP;
}

static int pre_exec_report(void *arg, jobssh_error_t *err)
{
    char buf[32];
    int n = snprintf(buf, sizeof(buf), "%d", (int)getpid());

    return write(*(int *)arg, buf, (size_t)n) == n ? 0 : -errno;
}

static int pre_exec_slow(void *arg, jobssh_error_t *err)
{
    sleep(5);
    return 0;
}

static bool no_children(void)
{
    return waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD;
}

static void test_errors(void)
{
    jobssh_spawn_t o = JOBSSH_SPAWN_INIT;
    jobssh_error_t err = {{0}};
    int seven = 7, p[2];
    char buf[32] = "";
    pid_t pid = 0;
    long t0;
    struct timespec ts;

    o.argv = (char *[]){"x", NULL};
    o.path = "/nonexistent/dropbear";
    is_int(jobssh_spawn(&o, &pid, &err), -ENOENT, "exec failure is returned");
    is_str(err.text, "couldn't exec /nonexistent/dropbear: No such file or directory",
           "exec failure text");
    is_int(pid, 0, "pid untouched on failure");
    ok(no_children(), "the failed child was reaped");
    o.path = "/etc/passwd";
    is_int(jobssh_spawn(&o, &pid, &err), -EACCES, "not executable");
    o.path = "bin/true";
    is_int(jobssh_spawn(&o, &pid, &err), -EINVAL, "relative path refused");
    o.path = "/bin/true";
    o.argv = (char *[]){NULL};
    is_int(jobssh_spawn(&o, &pid, &err), -EINVAL, "empty argv refused");
    o.argv = (char *[]){"true", NULL};

    o.pre_exec = pre_exec_fail;
    o.pre_exec_arg = &seven;
    is_int(jobssh_spawn(&o, &pid, &err), -EPERM, "pre_exec failure is returned");
    is_str(err.text, "custom failure 7", "pre_exec's own text is reported");
    o.pre_exec = pre_exec_silent;
    is_int(jobssh_spawn(&o, &pid, &err), -ENOTSUP, "pre_exec failure without text");
    is_str(err.text, "pre-exec step for /bin/true failed: Operation not supported",
           "a default text names the program");
    ok(no_children(), "children reaped after pre_exec failures");

    if (pipe2(p, O_CLOEXEC) < 0)
        bail_out("pipe2: %s", strerror(errno));
    o.pre_exec = pre_exec_report;
    o.pre_exec_arg = &p[1];
    is_int(jobssh_spawn(&o, &pid, &err), 0, "pre_exec success");
    close(p[1]);
    if (read(p[0], buf, sizeof(buf) - 1) < 0)
        buf[0] = '\0';
    close(p[0]);
    is_int(atoi(buf), pid, "pre_exec ran in the child");
    jobssh_spawn_wait(pid, 5000, NULL, &err);

    o.pre_exec = pre_exec_slow;
    o.exec_timeout_ms = 200;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    t0 = ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    is_int(jobssh_spawn(&o, &pid, &err), -ETIMEDOUT, "exec timeout");
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ok(ts.tv_sec * 1000 + ts.tv_nsec / 1000000 - t0 < 3000, "exec timeout is bounded");
    is_str(err.text, "/bin/true did not start within 200 ms", "exec timeout text");
    ok(no_children(), "the slow child was killed and reaped");
}

/* A sleeper that is the child of another process must not be signalled. */
static void test_kill_foreign(void)
{
    jobssh_spawn_t o = JOBSSH_SPAWN_INIT;
    jobssh_error_t err = {{0}};
    pid_t mid, sleeper = 0;
    int p[2];

    if (pipe2(p, O_CLOEXEC) < 0)
        bail_out("pipe2: %s", strerror(errno));
    mid = fork();
    if (mid == 0) {
        o.path = "/bin/sleep";
        o.argv = (char *[]){"sleep", "30", NULL};
        if (jobssh_spawn(&o, &sleeper, &err) < 0 || write(p[1], &sleeper, sizeof(sleeper)) < 0)
            _exit(1);
        jobssh_spawn_wait(sleeper, 10000, NULL, &err);
        _exit(0);
    }
    close(p[1]);
    if (read(p[0], &sleeper, sizeof(sleeper)) != sizeof(sleeper))
        sleeper = 0;
    close(p[0]);
    is_int(sleeper > 0 ? jobssh_spawn_kill(sleeper, 10) : 0, -ECHILD,
           "kill refuses a process that is not our child");
    ok(sleeper > 0 && kill(sleeper, 0) == 0, "and did not signal it");
    if (sleeper > 0)
        kill(sleeper, SIGKILL);
    jobssh_spawn_wait(mid, 10000, NULL, &err);
}

static void test_wait_kill(void)
{
    jobssh_spawn_t o = JOBSSH_SPAWN_INIT;
    jobssh_error_t err = {{0}};
    char buf[64];
    int status = 0;
    pid_t pid;

    o.path = "/bin/sleep";
    o.argv = (char *[]){"sleep", "30", NULL};
    o.new_session = true;
    is_int(jobssh_spawn(&o, &pid, &err), 0, "spawn sleep");
    is_int(getsid(pid), pid, "new_session: the child leads its session");
    is_int(jobssh_spawn_wait(pid, 100, &status, &err), -ETIMEDOUT, "wait times out");
    is_int(jobssh_spawn_kill(pid, 2000), 0, "kill: ended by SIGTERM");
    ok(no_children(), "kill reaped it");

    o.new_session = false;
    o.path = "/bin/sh";
    o.argv = (char *[]){"sh", "-c", "trap '' TERM; exec sleep 30", NULL};
    is_int(jobssh_spawn(&o, &pid, &err), 0, "spawn a TERM-ignoring child");
    usleep(200000); /* let the shell install the trap */
    is_int(jobssh_spawn_kill(pid, 300), 1, "kill: SIGKILL needed");
    ok(no_children(), "KILLed child reaped");

    is_int(jobssh_spawn_kill(0, 10), -EINVAL, "kill refuses pid 0");
    is_int(jobssh_spawn_kill(-1, 10), -EINVAL, "kill refuses pid -1");
    is_int(jobssh_spawn_wait(1, 10, NULL, &err), -ECHILD, "wait for a non-child");
    test_kill_foreign();
    is_str(jobssh_status_str(3 << 8, buf), "exited with status 3", "status_str exit");
    is_str(jobssh_status_str(SIGKILL, buf), "killed by signal 9 (Killed)", "status_str signal");
}

/* Signal mask and ignored signals are not inherited; pdeathsig works. */
static void test_signals(void)
{
    jobssh_spawn_t o = JOBSSH_SPAWN_INIT;
    jobssh_error_t err = {{0}};
    char *out = NULL;
    sigset_t set, old;
    int p[2], status = 0;
    pid_t pid, mid, sleeper = 0;

    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigprocmask(SIG_BLOCK, &set, &old);
    signal(SIGUSR1, SIG_IGN);
    is_int(run("/bin/grep", (char *[]){"grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status", NULL},
               NULL, NULL, &out, &status, &err),
           0, "spawn grep");
    is_str(out, "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n",
           "no blocked or ignored signals inherited");
    free(out);
    sigprocmask(SIG_SETMASK, &old, NULL);
    signal(SIGUSR1, SIG_DFL);

    /* an intermediate process spawns a sleeper with pdeathsig and exits */
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    if (pipe2(p, O_CLOEXEC) < 0)
        bail_out("pipe2: %s", strerror(errno));
    mid = fork();
    if (mid == 0) {
        o.path = "/bin/sleep";
        o.argv = (char *[]){"sleep", "30", NULL};
        o.pdeathsig = SIGKILL;
        if (jobssh_spawn(&o, &pid, &err) < 0 || write(p[1], &pid, sizeof(pid)) < 0)
            _exit(1);
        _exit(0);
    }
    close(p[1]);
    if (read(p[0], &sleeper, sizeof(sleeper)) != sizeof(sleeper))
        sleeper = 0;
    close(p[0]);
    waitpid(mid, NULL, 0);
    ok(sleeper > 0, "intermediate process spawned a sleeper");
    status = 0;
    is_int(sleeper > 0 ? jobssh_spawn_wait(sleeper, 5000, &status, &err) : -1, 0,
           "the orphaned sleeper ended: %s", err.text);
    ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "pdeathsig killed it (%s)",
       jobssh_status_str(status, (char[64]){0}));
    prctl(PR_SET_CHILD_SUBREAPER, 0);
}

static int fn_ok(void *arg, jobssh_error_t *err)
{
    return 0;
}

static int fn_fail(void *arg, jobssh_error_t *err)
{
    return jobssh_error_set(err, EACCES, "helper says %s", (const char *)arg);
}

static int fn_hang(void *arg, jobssh_error_t *err)
{
    sleep(30);
    return 0;
}

static int fn_missing(void *arg, jobssh_error_t *err)
{
    return jobssh_error_set(err, ENOENT, "helper misses x");
}

static int fn_crash(void *arg, jobssh_error_t *err)
{
    raise(SIGKILL);
    return 0;
}

/* jobssh_spawn_fn: a function in a forked child, its error text back. */
static void test_fn(void)
{
    jobssh_error_t err = {{0}};

    is_int(jobssh_spawn_fn(fn_ok, NULL, 5000, &err), 0, "spawn_fn: a function that succeeds");
    is_int(jobssh_spawn_fn(fn_fail, "no", 5000, &err), -EIO, "spawn_fn: one that fails");
    is_str(err.text, "helper says no", "its error text comes back");
    is_int(jobssh_spawn_fn(fn_missing, NULL, 5000, &err), -ENOENT,
           "spawn_fn: one that fails with -ENOENT (something missing)");
    is_str(err.text, "helper misses x", "its error text comes back");
    is_int(jobssh_spawn_fn(fn_hang, NULL, 300, &err), -ETIMEDOUT, "spawn_fn: a hang times out");
    ok(no_children(), "and the hung child is killed and reaped");
    is_int(jobssh_spawn_fn(fn_crash, NULL, 5000, &err), -EIO, "spawn_fn: a crash");
    is_str(err.text, "a helper process killed by signal 9 (Killed)", "is described");
    ok(no_children(), "no child is left");
}

/* Start sh -c script with a socket as its stdin and stdout; the parent's end
 * of the socket in *ret_fd. */
static pid_t start_talker(const char *script, int *ret_fd)
{
    char *argv[] = {"sh", "-c", (char *)script, NULL};
    char *envp[] = {"PATH=/usr/bin:/bin", NULL};
    jobssh_spawn_t o = JOBSSH_SPAWN_INIT;
    jobssh_error_t err = {{0}};
    int sv[2];
    pid_t pid;

    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        bail_out("socketpair: %s", strerror(errno));
    o.path = "/bin/sh";
    o.argv = argv;
    o.envp = envp;
    o.stdin_fd = sv[1];
    o.stdout_fd = sv[1];
    if (jobssh_spawn(&o, &pid, &err) < 0)
        bail_out("spawn sh: %s", err.text);
    close(sv[1]);
    *ret_fd = sv[0];
    return pid;
}

/* jobssh_spawn_talk: the environment over a socket, the one-line answer. */
static void test_talk(void)
{
    static char big[300000];
    char *env[] = {"A=1", "B=two words", big, NULL};
    char answer[64], tiny[8];
    int fd, status = -1;
    pid_t pid;

    memset(big, 'x', sizeof(big) - 1);
    memcpy(big, "BIG=", 4);
    /* Counts the NULs and bytes it read to end of file, then answers. */
    pid = start_talker("n=$(tr -cd '\\000' | wc -c); echo \"ready $n\"; echo second line", &fd);
    is_int(jobssh_spawn_talk(fd, env, answer, sizeof(answer), 10000), 0,
           "talk: 3 strings (one of 300 kB, more than a socket holds) and an answer");
    is_str(answer, "ready 3", "the program read the three strings to end of file; one line back");
    close(fd);
    is_int(jobssh_spawn_wait(pid, 5000, &status, NULL), 0, "the program ended");

    pid = start_talker("cat >/dev/null; echo 'ready 2222 with a longer answer'", &fd);
    is_int(jobssh_spawn_talk(fd, NULL, tiny, sizeof(tiny), 10000), 0, "talk: no environment");
    is_str(tiny, "ready 2", "an answer longer than the buffer is cut, terminated");
    close(fd);
    jobssh_spawn_wait(pid, 5000, NULL, NULL);

    pid = start_talker("cat >/dev/null", &fd);
    is_int(jobssh_spawn_talk(fd, env, answer, sizeof(answer), 10000), -EPIPE,
           "talk: a program that ends without answering: -EPIPE");
    is_str(answer, "", "and no answer");
    close(fd);
    jobssh_spawn_wait(pid, 5000, NULL, NULL);

    pid = start_talker("exec 0<&- 1>&-; exit 0", &fd);
    jobssh_spawn_wait(pid, 5000, NULL, NULL);
    is_int(jobssh_spawn_talk(fd, env, answer, sizeof(answer), 10000), -EPIPE,
           "talk: a program gone before it read anything: -EPIPE, no SIGPIPE");
    close(fd);

    pid = start_talker("cat >/dev/null; sleep 30", &fd);
    is_int(jobssh_spawn_talk(fd, env, answer, sizeof(answer), 300), -ETIMEDOUT,
           "talk: no answer within the time: -ETIMEDOUT");
    close(fd);
    is_int(jobssh_spawn_kill(pid, 5000), 0, "the silent program is stopped");

    pid = start_talker("sleep 30", &fd);
    is_int(jobssh_spawn_talk(fd, env, answer, sizeof(answer), 300), -ETIMEDOUT,
           "talk: a program that never reads: -ETIMEDOUT, no hang on a full socket");
    close(fd);
    is_int(jobssh_spawn_kill(pid, 5000), 0, "it is stopped");
    is_int(jobssh_spawn_talk(-1, env, answer, sizeof(answer), 300), -EINVAL, "talk: a bad fd");
    ok(no_children(), "no child is left");
}

int main(void)
{
    plan(83);
    test_env_and_stdio();
    test_fds();
    test_fd3();
    test_fn();
    test_errors();
    test_wait_kill();
    test_signals();
    test_talk();
    return done_testing();
}
