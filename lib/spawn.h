/* spawn.h - start a program with an explicit environment and clean fds
 *
 *   char *argv[] = {"dropbear", "-F", NULL}, *envp[] = {"PATH=/usr/bin", NULL};
 *   jobssh_spawn_t o = JOBSSH_SPAWN_INIT;   // stdin/stdout/stderr: /dev/null
 *   o.path = "/usr/libexec/jobssh/dropbear"; o.argv = argv; o.envp = envp;
 *   o.pre_exec = drop_privileges; o.pre_exec_arg = &privs;
 *   r = jobssh_spawn(&o, &pid, &err);   // "couldn't exec /x/dropbear: No such file ..."
 *
 * The child: signal dispositions and mask reset to defaults, optional parent
 * death signal and new session, fds 0-2 (and 3 with pass_fd3) set up,
 * pre_exec() run, every other fd closed, then execve(). A failure of any of these (including exec)
 * is sent back to the parent, which returns it: jobssh_spawn() succeeds only once the program
 * really runs.
 */
#ifndef JOBSSH_SPAWN_H
#define JOBSSH_SPAWN_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"

#define JOBSSH_SPAWN_DEVNULL         (-1) /* fd value: connect to /dev/null */
#define JOBSSH_SPAWN_EXEC_TIMEOUT_MS 10000

/* Run in the child before exec (privilege drop, namespace join, chdir).
 * Returns >= 0, or -errno with the reason in err. It runs after fork in a
 * possibly multithreaded program: no locks another thread might hold. */
typedef int (*jobssh_spawn_pre_exec_f)(void *arg, jobssh_error_t *err);

typedef struct jobssh_spawn {
    const char *path;  /* absolute path of the program */
    char *const *argv; /* argv[0] required; NULL-terminated */
    char *const *envp; /* the complete environment (never inherited); NULL: empty */
    int stdin_fd;      /* fd to become the child's 0, or JOBSSH_SPAWN_DEVNULL */
    int stdout_fd;     /* ... 1 */
    int stderr_fd;     /* ... 2 */
    bool new_session;  /* setsid() in the child */
    bool pass_fd3;     /* fd3 becomes the child's fd 3 (e.g. a namespace fd) */
    int fd3;
    int pdeathsig;                    /* signal sent to the child when the forking thread exits;
                                         0: none */
    jobssh_spawn_pre_exec_f pre_exec; /* optional */
    void *pre_exec_arg;
    int exec_timeout_ms; /* bound on fork..exec (pre_exec included); 0: default */
} jobssh_spawn_t;

#define JOBSSH_SPAWN_INIT                                                                          \
    {                                                                                              \
        .stdin_fd = JOBSSH_SPAWN_DEVNULL, .stdout_fd = JOBSSH_SPAWN_DEVNULL,                       \
        .stderr_fd = JOBSSH_SPAWN_DEVNULL                                                          \
    }

/* Fork and exec as described by opts (fflush(NULL) first). On success the
 * program runs and *ret_pid is its pid: the caller reaps it with
 * jobssh_spawn_wait() or jobssh_spawn_kill(). On failure the child has been
 * reaped and err says why: "couldn't exec PATH: <errno text>", the
 * pre_exec callback's own text, or -ETIMEDOUT when exec did not happen
 * within exec_timeout_ms (the child is killed). -EINVAL for bad options,
 * -EBADF for an fd that is not open. */
int jobssh_spawn(const jobssh_spawn_t *opts, pid_t *ret_pid, jobssh_error_t *err);

/* Wait at most timeout_ms (>= 0) for child pid to terminate and reap it.
 * On success *ret_status (if non-NULL) is its wait status. -ETIMEDOUT when
 * it is still running (not reaped), -ECHILD when pid is not our child,
 * -EINVAL for pid <= 0 or a negative timeout. */
int jobssh_spawn_wait(pid_t pid, int timeout_ms, int *ret_status, jobssh_error_t *err);

/* Stop child pid: SIGTERM, wait up to timeout_ms, then SIGKILL, and reap it.
 * Returns 0 when it ended after SIGTERM, 1 when SIGKILL was needed, or
 * -errno (-EINVAL for pid <= 0, -ECHILD when it is not our child: no other
 * process is ever signalled). */
int jobssh_spawn_kill(pid_t pid, int timeout_ms);

/* Run fn(arg) in a forked child (no exec: work that needs another identity,
 * e.g. a privilege drop, but no new program) and wait at most timeout_ms
 * for it. Returns 0 when fn returned >= 0; otherwise fn's error text (sent
 * back through a pipe) with -ENOENT when fn returned -ENOENT (something is
 * missing, as opposed to wrong) and -EIO for any other error, "a helper
 * process killed by signal 9 (Killed)" (-EIO), or -ETIMEDOUT (the child is
 * killed). Same rules as pre_exec for fn. */
int jobssh_spawn_fn(int (*fn)(void *arg, jobssh_error_t *err), void *arg, int timeout_ms,
                    jobssh_error_t *err);

/* Talk to a spawned program over fd, a stream socket that is its stdin and
 * stdout: send the strings of env, each with its NUL, shut the sending side
 * down (the program reads to end of file), then read its one-line answer
 * into answer (without the newline, cut to size - 1 bytes), all within
 * timeout_ms. Returns 0, -ETIMEDOUT, -EPIPE when the program closed without
 * answering, -EINVAL, or -errno. Raises no SIGPIPE. */
int jobssh_spawn_talk(int fd, char *const env[], char *answer, size_t size, int timeout_ms);

/* Describe a wait status: "exited with status 3", "killed by signal 9
 * (Killed)". Returns buf. */
const char *jobssh_status_str(int status, char buf[64]);

#endif
