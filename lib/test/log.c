/* test/log.c - log levels and the ready-made sinks */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "util.h"
#include "tap.h"

struct capture {
    int calls;
    int level;
    char msg[2048];
};

static void capture_sink(void *arg, int level, const char *msg)
{
    struct capture *c = arg;

    c->calls++;
    c->level = level;
    snprintf(c->msg, sizeof(c->msg), "%s", msg);
    errno = EXDEV; /* a sink that clobbers errno */
}

static void test_levels(void)
{
    struct capture c = {0};
    jobssh_log_t log = {capture_sink, &c, JOBSSH_LOG_INFO};
    jobssh_log_t quiet = {NULL, NULL, JOBSSH_LOG_DEBUG};
    char big[3000];

    jobssh_log(&log, JOBSSH_LOG_ERR, "couldn't do %s: %d", "x", 3);
    is_int(c.calls, 1, "an error is passed on");
    is_str(c.msg, "couldn't do x: 3", "message formatted");
    is_int(c.level, JOBSSH_LOG_ERR, "level passed on");
    jobssh_log(&log, JOBSSH_LOG_DEBUG, "chatter");
    is_int(c.calls, 1, "debug is filtered at level INFO");
    log.level = JOBSSH_LOG_DEBUG;
    errno = ENOENT;
    jobssh_log(&log, JOBSSH_LOG_DEBUG, "chatter");
    is_int(c.calls, 2, "debug passes at level DEBUG");
    is_int(errno, ENOENT, "jobssh_log preserves errno");
    jobssh_log(NULL, JOBSSH_LOG_ERR, "into the void");
    jobssh_log(&quiet, JOBSSH_LOG_ERR, "into the void");
    ok(1, "NULL log and NULL sink are accepted");

    memset(big, 'b', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    jobssh_log(&log, JOBSSH_LOG_INFO, "%s", big);
    is_int(strlen(c.msg), 1023, "long messages are cut to 1023 bytes");
    ok(strcmp(c.msg + 1020, "...") == 0, "a cut message ends in '...'");
    is_str(jobssh_log_level_name(JOBSSH_LOG_WARN), "warning", "level names");
}

static void test_stderr(void)
{
    jobssh_log_t log = {jobssh_log_stderr, NULL, JOBSSH_LOG_INFO};
    _cleanup_close_ int saved = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
    _cleanup_free_ char *out = NULL;
    int fds[2];

    if (saved < 0 || pipe2(fds, O_CLOEXEC) < 0)
        bail_out("pipe: %s", strerror(errno));
    dup2(fds[1], STDERR_FILENO);
    close(fds[1]);
    jobssh_log(&log, JOBSSH_LOG_ERR, "boom %d", 1);
    jobssh_log(&log, JOBSSH_LOG_WARN, "careful");
    jobssh_log(&log, JOBSSH_LOG_INFO, "fyi");
    jobssh_log(&log, JOBSSH_LOG_DEBUG, "hidden");
    dup2(saved, STDERR_FILENO);
    is_int(jobssh_read_fd(fds[0], 4096, &out, NULL), 0, "read what the stderr sink wrote");
    close(fds[0]);
    is_str(out, "jobssh: boom 1\njobssh: warning: careful\njobssh: fyi\n",
           "stderr sink: prefix, level tags, one line each, debug filtered");
}

/* In a private mount namespace, put our own /dev/log in place and read what
 * the syslog sink sends to it. */
static void test_syslog(void)
{
    char got[512] = "";
    int fds[2], status = 0;
    pid_t pid;
    ssize_t n;

    if (skip_unless_root(2, "a private /dev/log needs a mount namespace (root)"))
        return;
    if (pipe2(fds, O_CLOEXEC) < 0)
        bail_out("pipe2: %s", strerror(errno));
    pid = fork();
    if (pid < 0)
        bail_out("fork: %s", strerror(errno));
    if (pid == 0) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX, .sun_path = "/dev/log"};
        struct timeval tv = {5, 0};
        char buf[512];
        int s;

        close(fds[0]);
        if (unshare(CLONE_NEWNS) < 0 || mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0 ||
            mount("tmpfs", "/dev", "tmpfs", 0, "mode=0755") < 0)
            _exit(2);
        s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
            setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
            _exit(3);
        jobssh_log_both(NULL, JOBSSH_LOG_WARN, "hello syslog");
        n = recv(s, buf, sizeof(buf) - 1, 0);
        if (n <= 0)
            _exit(4);
        if (write(fds[1], buf, (size_t)n) != n)
            _exit(5);
        _exit(0);
    }
    close(fds[1]);
    n = read(fds[0], got, sizeof(got) - 1);
    got[n > 0 ? n : 0] = '\0';
    close(fds[0]);
    waitpid(pid, &status, 0);
    is_int(status, 0, "syslog child ran (exit status %d)", WEXITSTATUS(status));
    ok(strncmp(got, "<12>", 4) == 0 && strstr(got, "jobssh: hello syslog"),
       "syslog sink sent LOG_USER|LOG_WARNING 'jobssh: hello syslog': %s", got);
}

int main(void)
{
    plan(14);
    test_levels();
    test_stderr();
    test_syslog();
    return done_testing();
}
