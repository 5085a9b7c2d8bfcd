/* remote.c - slurmstepd's side: one daemon per step per node.
 *
 *   user_init       (stepd, euid = user)  set the tasks' client environment
 *   task_post_fork  (stepd, root)         for local task 0: wait until the task
 *                                         is inside the job container and runs
 *                                         as the user, then start jobssh-sshd,
 *                                         which joins the task's namespaces and
 *                                         runs Dropbear as the user; the tasks
 *                                         wait for this before they exec
 *   task_init       (task, user)          report a failed daemon on the task's
 *                                         stderr; --ssh=launcher: tasks other
 *                                         than task 0 only serve ssh
 *   task_exit/exit  (stepd, root)         stop the supervisor once the node's
 *                                         last task has exited */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "jobssh.h"
#include "lib/client.h"
#include "lib/hostlist.h"
#include "lib/keys.h"
#include "lib/proc.h"
#include "lib/spawn.h"
#include "lib/util.h"

#define STATUS_MAX 512

static int launcher_mode_serve(spank_t sp);

static bool step_wanted(spank_t sp)
{
    uint32_t stepid = 0;

    if (jobssh_ctx.mode == JOBSSH_MODE_OFF || !jobssh_ctx.conf_ok)
        return false;
    if (spank_get_item(sp, S_JOB_STEPID, &stepid) != ESPANK_SUCCESS)
        return false;
    /* The extern step never sees options; the batch step's job-wide daemon is
     * not started here: its srun steps start their own. */
    return stepid != JOBSSH_EXTERN_STEP && stepid != JOBSSH_BATCH_STEP;
}

/* This node's Slurm name: entry S_JOB_NODEID of the step's node list. (The
 * job environment's SLURMD_NODENAME can be the batch host's, inherited by an
 * srun in a batch script.) Falls back to the host name. */
static int node_name(spank_t sp, char *buf, size_t size)
{
    static char list[65536];
    uint32_t nodeid = 0;
    char **hosts = NULL;
    size_t nhosts = 0;
    int r = -1;

    if (spank_get_item(sp, S_JOB_NODEID, &nodeid) == ESPANK_SUCCESS &&
        spank_getenv(sp, "SLURM_STEP_NODELIST", list, sizeof(list)) == ESPANK_SUCCESS &&
        jobssh_hostlist_expand(list, &hosts, &nhosts) == 0 && nodeid < nhosts)
        r = jobssh_strlcpy(buf, hosts[nodeid], size);
    jobssh_hostlist_free(hosts, nhosts);
    if (r < 0) {
        if (gethostname(buf, size) < 0)
            return -1;
        buf[size - 1] = '\0';
    }
    return 0;
}

/* Fill the step identity in jobssh_ctx (idempotent). */
static int step_identify(spank_t sp)
{
    jobssh_ctx_t *c = &jobssh_ctx;
    struct passwd pw, *pwp = NULL;
    char buf[4096];

    if (c->tag[0])
        return 0;
    if (spank_get_item(sp, S_JOB_ID, &c->jobid) != ESPANK_SUCCESS ||
        spank_get_item(sp, S_JOB_STEPID, &c->stepid) != ESPANK_SUCCESS ||
        spank_get_item(sp, S_JOB_UID, &c->uid) != ESPANK_SUCCESS ||
        spank_get_item(sp, S_JOB_GID, &c->gid) != ESPANK_SUCCESS ||
        spank_get_item(sp, S_JOB_LOCAL_TASK_COUNT, &c->tasks_local) != ESPANK_SUCCESS) {
        slurm_error("jobssh: couldn't get the step's ids from Slurm");
        return -1;
    }
    if (getpwuid_r(c->uid, &pw, buf, sizeof(buf), &pwp) != 0 || !pwp ||
        jobssh_strlcpy(c->user, pw.pw_name, sizeof(c->user)) < 0) {
        slurm_error("jobssh: couldn't look up uid %u", (unsigned)c->uid);
        return -1;
    }
    if (node_name(sp, c->node, sizeof(c->node)) < 0) {
        slurm_error("jobssh: couldn't get the node name");
        return -1;
    }
    (void)jobssh_snprintf(c->tag, sizeof(c->tag), "%u.%u", c->jobid, c->stepid);
    return 0;
}

static int step_paths(jobssh_client_paths_t *p)
{
    jobssh_error_t err = {{0}};

    if (jobssh_client_paths(&jobssh_ctx.conf, jobssh_ctx.node, jobssh_ctx.tag, p, &err) < 0) {
        slurm_error("jobssh: %s", err.text);
        return -1;
    }
    return 0;
}

int jobssh_remote_user_init(spank_t sp)
{
    jobssh_client_paths_t p;
    jobssh_env_t env;
    jobssh_error_t err = {{0}};
    char path[8192] = "";

    if (!step_wanted(sp))
        return 0;
    if (step_identify(sp) < 0 || step_paths(&p) < 0)
        return -1;
    if (spank_getenv(sp, "PATH", path, sizeof(path)) != ESPANK_SUCCESS)
        path[0] = '\0';
    if (jobssh_client_env(&jobssh_ctx.conf, &p, jobssh_ctx.tag, path, &env, &err) < 0) {
        slurm_error("jobssh: %s", err.text);
        return -1;
    }
    for (size_t i = 0; i < env.n; i++) {
        if (spank_setenv(sp, env.name[i], env.value[i], 1) != ESPANK_SUCCESS) {
            slurm_error("jobssh: couldn't set %s in the job environment", env.name[i]);
            jobssh_client_env_free(&env);
            return -1;
        }
    }
    jobssh_client_env_free(&env);
    return 0;
}

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Wait until task pid runs as uid everywhere (real, effective, saved, fs):
 * slurmstepd switches the task to the user only after the job container
 * plugin has moved it into the job's namespaces. 1: ready, 0: gone. */
static int wait_task_settled(pid_t pid, uid_t uid, long timeout_ms)
{
    char file[64], line[256];
    long deadline = now_ms() + timeout_ms;
    unsigned delay_us = 200;

    snprintf(file, sizeof(file), "/proc/%d/status", (int)pid);
    for (unsigned i = 0; i < 100000; i++) {
        FILE *f = fopen(file, "re");
        unsigned u[4] = {0, 0, 0, 0};
        bool found = false;

        if (!f)
            return 0;
        while (fgets(line, sizeof(line), f)) {
            if (sscanf(line, "Uid: %u %u %u %u", &u[0], &u[1], &u[2], &u[3]) == 4) {
                found = true;
                break;
            }
        }
        fclose(f);
        if (found && u[0] == uid && u[1] == uid && u[2] == uid && u[3] == uid)
            return 1;
        if (now_ms() >= deadline)
            return -ETIMEDOUT;
        usleep(delay_us);
        if (delay_us < 20000)
            delay_us *= 2;
    }
    return -ETIMEDOUT;
}

/* Send the job environment (NUL-separated) to the supervisor, then read its
 * one-line answer: "ready PORT" or "error TEXT". */
static int talk_to_supervisor(int fd, char **envp, char *answer, size_t size, long timeout_ms)
{
    long deadline = now_ms() + timeout_ms;
    size_t have = 0;

    for (size_t i = 0; envp && envp[i]; i++) {
        const char *s = envp[i];
        size_t len = strlen(s) + 1, off = 0;
        while (off < len) {
            struct pollfd pfd = {.fd = fd, .events = POLLOUT};
            long left = deadline - now_ms();
            if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
                return -ETIMEDOUT;
            ssize_t w = send(fd, s + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (w < 0 && (errno == EAGAIN || errno == EINTR))
                continue;
            if (w < 0)
                return -errno;
            off += (size_t)w;
        }
    }
    shutdown(fd, SHUT_WR);
    while (have + 1 < size) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        long left = deadline - now_ms();
        if (left <= 0)
            return -ETIMEDOUT;
        int pr = poll(&pfd, 1, (int)left);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr <= 0)
            return -ETIMEDOUT;
        ssize_t r = recv(fd, answer + have, size - 1 - have, MSG_DONTWAIT);
        if (r < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (r <= 0)
            break;
        have += (size_t)r;
        answer[have] = '\0';
        if (strchr(answer, '\n'))
            break;
    }
    answer[have] = '\0';
    answer[strcspn(answer, "\n")] = '\0';
    return have > 0 ? 0 : -EPIPE;
}

static int start_supervisor(spank_t sp, pid_t task_pid)
{
    jobssh_ctx_t *c = &jobssh_ctx;
    jobssh_error_t err = {{0}};
    char prog[PATH_MAX], s_uid[16], s_gid[16], s_pid[16], answer[STATUS_MAX];
    char a_basedir[PATH_MAX + 16], a_libexec[PATH_MAX + 16], a_rundir[PATH_MAX + 16];
    char a_ports[48], a_count[32], a_ctimeout[48], a_stimeout[48], nodelist[65536] = "";
    char keydir[PATH_MAX], done[PATH_MAX] = "";
    char **envp = NULL;
    int sv[2] = {-1, -1};
    uint32_t nodeid = 1;
    pid_t pid;
    int r;

    if (jobssh_settings_program(&c->conf, "jobssh-sshd", prog, sizeof(prog), &err) < 0) {
        slurm_error("jobssh: %s", err.text);
        return -1;
    }
    if (spank_getenv(sp, "SLURM_STEP_NODELIST", nodelist, sizeof(nodelist)) != ESPANK_SUCCESS &&
        spank_getenv(sp, "SLURM_JOB_NODELIST", nodelist, sizeof(nodelist)) != ESPANK_SUCCESS)
        nodelist[0] = '\0';
    snprintf(s_uid, sizeof(s_uid), "%u", (unsigned)c->uid);
    snprintf(s_gid, sizeof(s_gid), "%u", (unsigned)c->gid);
    snprintf(s_pid, sizeof(s_pid), "%d", (int)task_pid);
    if (jobssh_snprintf(a_basedir, sizeof(a_basedir), "basedir=%s", c->conf.basedir) < 0 ||
        jobssh_snprintf(a_libexec, sizeof(a_libexec), "libexec_dir=%s", c->conf.libexec_dir) < 0 ||
        jobssh_snprintf(a_rundir, sizeof(a_rundir), "rundir=%s", c->conf.rundir) < 0) {
        slurm_error("jobssh: a configured path is too long");
        return -1;
    }
    snprintf(a_ports, sizeof(a_ports), "port_range=%u-%u", c->conf.ports.low, c->conf.ports.high);
    snprintf(a_count, sizeof(a_count), "port_count=%llu", (unsigned long long)c->conf.port_count);
    snprintf(a_ctimeout, sizeof(a_ctimeout), "connect_timeout=%llu",
             (unsigned long long)c->conf.connect_timeout);
    snprintf(a_stimeout, sizeof(a_stimeout), "start_timeout=%llu",
             (unsigned long long)c->conf.start_timeout);

    /* --ssh=launcher: the launcher's node says when the launcher has ended. */
    if (c->mode == JOBSSH_MODE_LAUNCHER &&
        spank_get_item(sp, S_JOB_NODEID, &nodeid) == ESPANK_SUCCESS && nodeid == 0 &&
        (jobssh_keys_dir(&c->conf, c->user, c->jobid, keydir, sizeof(keydir), &err) < 0 ||
         jobssh_client_done_file(keydir, c->stepid, done, sizeof(done)) < 0)) {
        slurm_error("jobssh: %s", err.text[0] ? err.text : "path too long");
        return -1;
    }
    char *const argv[] = {
        "jobssh-sshd", "--tag",   c->tag,   "--user",          c->user, "--uid",
        s_uid,         "--gid",   s_gid,    "--node",          c->node, "--join-pid",
        s_pid,         "--hosts", nodelist, "--launcher-done", done,    "--",
        a_basedir,     a_libexec, a_rundir, a_ports,           a_count, a_ctimeout,
        a_stimeout,    NULL};
    /* The supervisor is root: it gets a fixed environment, never the job's. */
    char *const clean_env[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL};

    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
        slurm_error("jobssh: socketpair: %m");
        return -1;
    }
    jobssh_spawn_t opts = {
        .path = prog,
        .argv = argv,
        .envp = clean_env,
        .stdin_fd = sv[1],
        .stdout_fd = sv[1],
        .stderr_fd = JOBSSH_SPAWN_DEVNULL,
        .new_session = true,
    };
    r = jobssh_spawn(&opts, &pid, &err);
    close(sv[1]);
    if (r < 0) {
        close(sv[0]);
        slurm_error("jobssh: couldn't start %s: %s", prog, err.text);
        return -1;
    }
    c->sup_pid = pid;
    c->sup_pidfd = jobssh_proc_pidfd(pid);
    if (spank_get_item(sp, S_JOB_ENV, &envp) != ESPANK_SUCCESS)
        envp = NULL;
    r = talk_to_supervisor(sv[0], envp, answer, sizeof(answer),
                           (long)(c->conf.start_timeout + 5) * 1000L);
    close(sv[0]);
    if (r < 0) {
        slurm_error("jobssh: the ssh daemon of step %s on %s did not report back: %s", c->tag,
                    c->node, strerror(-r));
        return -1;
    }
    if (strncmp(answer, "ready ", 6) != 0) {
        slurm_error("jobssh: step %s on %s: %s", c->tag, c->node,
                    jobssh_client_status_reason(answer));
        return -1;
    }
    slurm_info("jobssh: step %s: ssh daemon on %s listening on port %s", c->tag, c->node,
               answer + 6);
    return 0;
}

int jobssh_remote_task_post_fork(spank_t sp)
{
    uint32_t taskid = 0;
    pid_t pid = 0;
    int r;

    if (!step_wanted(sp))
        return 0;
    if (spank_get_item(sp, S_TASK_ID, &taskid) != ESPANK_SUCCESS || taskid != 0)
        return 0;
    if (step_identify(sp) < 0)
        return 0;
    if (spank_get_item(sp, S_TASK_PID, &pid) != ESPANK_SUCCESS) {
        slurm_error("jobssh: couldn't get the pid of task 0");
        return 0;
    }
    r = wait_task_settled(pid, jobssh_ctx.uid, (long)jobssh_ctx.conf.start_timeout * 1000L);
    if (r <= 0) {
        slurm_error("jobssh: task 0 of step %s (pid %d) did not settle in the job container",
                    jobssh_ctx.tag, (int)pid);
        return 0;
    }
    /* A failure is not returned to Slurm here: the tasks report it on their
     * stderr (task_init), where the user sees it, and then fail. */
    (void)start_supervisor(sp, pid);
    return 0;
}

/* In the task, as the user: did the node's daemon start? */
int jobssh_remote_task_init(spank_t sp)
{
    jobssh_client_paths_t p;
    jobssh_error_t err = {{0}};
    char status[STATUS_MAX];
    uint32_t gtid = 0;

    if (!step_wanted(sp))
        return 0;
    if (step_identify(sp) < 0 || step_paths(&p) < 0)
        return -1;
    if (jobssh_client_read_status(&p, status, sizeof(status), &err) < 0) {
        fprintf(stderr,
                "jobssh: error: %s: the ssh daemon did not start (%s); see the slurmd log\n",
                jobssh_ctx.node, err.text);
        return -1;
    }
    if (strncmp(status, "ready ", 6) != 0) {
        fprintf(stderr, "jobssh: error: %s: %s\n", jobssh_ctx.node,
                jobssh_client_status_reason(status));
        return -1;
    }
    if (jobssh_ctx.mode != JOBSSH_MODE_LAUNCHER)
        return 0;
    if (spank_get_item(sp, S_TASK_GLOBAL_ID, &gtid) != ESPANK_SUCCESS) {
        fprintf(stderr, "jobssh: error: couldn't get the task id\n");
        return -1;
    }
    if (gtid == 0)
        return 0;
    return launcher_mode_serve(sp);
}

#define HOLD_FANOUT 8

/* --ssh=launcher, a task other than task 0: on each node but the launcher's,
 * local task 0 stays as `jobssh-connect --hold PARENT` and the other tasks
 * exit at once. The nodes form a tree of fan-out 8 rooted at the launcher's
 * node: a holder returns when its parent node's daemon has gone, which tears
 * its own node's daemon down, and so on down the tree. So the step ends, with
 * exit code 0, shortly after task 0 ends, and no node is watched by more than
 * eight others. */
static int launcher_mode_serve(spank_t sp)
{
    jobssh_error_t err = {{0}};
    uint32_t nodeid = 0, taskid = 0;
    char nodelist[65536] = "", keydir[PATH_MAX], done[PATH_MAX];
    char **hosts = NULL;
    size_t nhosts = 0;

    if (spank_get_item(sp, S_JOB_NODEID, &nodeid) != ESPANK_SUCCESS ||
        spank_get_item(sp, S_TASK_ID, &taskid) != ESPANK_SUCCESS) {
        fprintf(stderr, "jobssh: error: couldn't get the node and task ids\n");
        return -1;
    }
    if (nodeid == 0 || taskid != 0) {
        fflush(NULL);
        _exit(0);
    }
    if (spank_getenv(sp, "SLURM_STEP_NODELIST", nodelist, sizeof(nodelist)) != ESPANK_SUCCESS ||
        jobssh_hostlist_expand(nodelist, &hosts, &nhosts) < 0 || nodeid >= nhosts) {
        fprintf(stderr, "jobssh: error: couldn't read the step's node list\n");
        return -1;
    }
    if (jobssh_keys_dir(&jobssh_ctx.conf, jobssh_ctx.user, jobssh_ctx.jobid, keydir, sizeof(keydir),
                        &err) < 0 ||
        jobssh_client_done_file(keydir, jobssh_ctx.stepid, done, sizeof(done)) < 0) {
        fprintf(stderr, "jobssh: error: %s\n", err.text[0] ? err.text : "path too long");
        jobssh_hostlist_free(hosts, nhosts);
        return -1;
    }
    (void)jobssh_client_hold(&jobssh_ctx.conf, jobssh_ctx.tag, hosts[(nodeid - 1) / HOLD_FANOUT],
                             done, &err);
    jobssh_hostlist_free(hosts, nhosts);
    fprintf(stderr, "jobssh: error: %s\n", err.text);
    return -1;
}

static void stop_supervisor(void)
{
    jobssh_ctx_t *c = &jobssh_ctx;
    struct pollfd pfd = {.fd = c->sup_pidfd, .events = POLLIN};

    if (c->sup_pid <= 0)
        return;
    if (c->sup_pidfd >= 0) {
        if (syscall(SYS_pidfd_send_signal, c->sup_pidfd, SIGTERM, NULL, 0) == 0 &&
            poll(&pfd, 1, 10000) == 0) {
            slurm_error("jobssh: step %s: the ssh supervisor (pid %d) did not stop, killing it",
                        c->tag, (int)c->sup_pid);
            (void)syscall(SYS_pidfd_send_signal, c->sup_pidfd, SIGKILL, NULL, 0);
            (void)poll(&pfd, 1, 2000);
        }
        close(c->sup_pidfd);
    } else {
        (void)jobssh_spawn_kill(c->sup_pid, 10000); /* a kernel without pidfds */
    }
    /* Reap it unless slurmstepd's own wait already did. */
    (void)waitpid(c->sup_pid, NULL, WNOHANG);
    c->sup_pidfd = -1;
    c->sup_pid = 0;
}

int jobssh_remote_task_exit(spank_t sp)
{
    if (!step_wanted(sp) || jobssh_ctx.sup_pid <= 0)
        return 0;
    if (++jobssh_ctx.tasks_exited >= jobssh_ctx.tasks_local)
        stop_supervisor();
    return 0;
}

int jobssh_remote_exit(spank_t sp)
{
    stop_supervisor();
    return 0;
}
