/* remote.c - slurmstepd's side: one daemon per node, of the step
 * (`srun --ssh`) or of the job (`sbatch --ssh`, `salloc --ssh`).
 *
 * A step of a job whose prolog recorded a request (lib/job.h) is a client of
 * the job's daemon, which the extern step runs; any other step with --ssh
 * runs its own:
 *
 *   user_init       (stepd, euid = user)  set the tasks' client environment
 *   task_post_fork  (stepd, root)         step: for local task 0, wait until
 *                                         the task is inside the job container
 *                                         and runs as the user, then start
 *                                         jobssh-sshd, which joins the task's
 *                                         namespaces and runs Dropbear as the
 *                                         user; the tasks wait for this before
 *                                         they exec. Extern step: the same for
 *                                         the job's daemon, in the job
 *                                         container of the extern step
 *   task_init       (task, user)          report a failed daemon on the task's
 *                                         stderr; --ssh=launcher: tasks other
 *                                         than task 0 only serve ssh
 *   task_exit/exit  (stepd, root)         stop the supervisor once the node's
 *                                         last task (extern: the step) ends */
#include "config.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "jobssh.h"
#include "lib/client.h"
#include "lib/hostlist.h"
#include "lib/job.h"
#include "lib/keys.h"
#include "lib/path.h"
#include "lib/proc.h"
#include "lib/spawn.h"
#include "lib/util.h"

#define STATUS_MAX 512

static int launcher_mode_serve(spank_t sp);
static jobssh_role_t role_of(spank_t sp);
static bool step_in_container(spank_t sp);

/* The job's node list from its request (JOB_* roles). */
static char job_nodes[JOBSSH_JOB_NODES_MAX];

/* This node's Slurm name: slurmd's SLURMD_NODENAME, which every slurmstepd
 * inherits in its own environment (not the job's: there it can be the batch
 * host's, inherited by an srun in a batch script); else entry S_JOB_NODEID of
 * the step's node list; else the host name. */
static int node_name(spank_t sp, char *buf, size_t size)
{
    static char list[65536];
    const char *env = getenv("SLURMD_NODENAME");
    uint32_t nodeid = 0;
    char **hosts = NULL;
    size_t nhosts = 0;
    int r = -1;

    if (env && env[0] && !strchr(env, '/') && jobssh_strlcpy(buf, env, size) == 0)
        return 0;
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
        spank_get_item(sp, S_JOB_LOCAL_TASK_COUNT, &c->tasks_local) != ESPANK_SUCCESS) {
        slurm_error("jobssh: couldn't get the step's ids from Slurm");
        return -1;
    }
    if (getpwuid_r(c->uid, &pw, buf, sizeof(buf), &pwp) != 0 || !pwp ||
        jobssh_strlcpy(c->user, pw.pw_name, sizeof(c->user)) < 0) {
        slurm_error("jobssh: couldn't look up uid %u", (unsigned)c->uid);
        return -1;
    }
    if (spank_get_item(sp, S_JOB_GID, &c->gid) != ESPANK_SUCCESS)
        c->gid = pw.pw_gid;
    if (node_name(sp, c->node, sizeof(c->node)) < 0) {
        slurm_error("jobssh: couldn't get the node name");
        return -1;
    }
    (void)jobssh_snprintf(c->tag, sizeof(c->tag), "%u.%u", c->jobid, c->stepid);
    return 0;
}

/* Decide, once, what this slurmstepd does (see jobssh_role_t). The extern
 * step never sees the option: the prolog's request on this node says. */
static jobssh_role_t role_of(spank_t sp)
{
    jobssh_ctx_t *c = &jobssh_ctx;
    jobssh_error_t err = {{0}};
    uint32_t stepid = 0;
    int r;

    if (c->role != JOBSSH_ROLE_UNKNOWN)
        return c->role;
    c->role = JOBSSH_ROLE_NONE;
    if (!c->conf_ok || spank_get_item(sp, S_JOB_STEPID, &stepid) != ESPANK_SUCCESS)
        return c->role;
    if (stepid != JOBSSH_EXTERN_STEP && c->mode == JOBSSH_MODE_OFF)
        return c->role;
    if (step_identify(sp) < 0)
        return c->role;
    r = jobssh_job_request_read(&c->conf, c->node, c->jobid, c->uid, job_nodes, sizeof(job_nodes),
                                &err);
    if (r < 0)
        slurm_error("jobssh: job %u: ignoring the job's ssh request: %s", c->jobid, err.text);
    if (r == 1) {
        (void)jobssh_job_tag(c->jobid, c->tag, sizeof(c->tag));
        c->role = stepid == JOBSSH_EXTERN_STEP ? JOBSSH_ROLE_JOB_OWNER : JOBSSH_ROLE_JOB_CLIENT;
    } else if (stepid != JOBSSH_EXTERN_STEP && stepid != JOBSSH_BATCH_STEP) {
        c->role = JOBSSH_ROLE_STEP;
    } else if (stepid == JOBSSH_BATCH_STEP) {
        /* The batch step serves nothing without the request; its sruns
         * start their own daemons. If the job was submitted with --ssh
         * (task_init checks), the prolog failed to record the request. */
        c->request_missing = true;
        if (r < 0)
            (void)jobssh_strlcpy(c->request_error, err.text, sizeof(c->request_error));
    }
    return c->role;
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
    jobssh_role_t role = role_of(sp);

    if (role != JOBSSH_ROLE_STEP && role != JOBSSH_ROLE_JOB_CLIENT)
        return 0;
    /* The task runs the OCI runtime, which does not pass these variables
     * on: the container gets /dev/jobssh/profile instead. */
    if (role == JOBSSH_ROLE_STEP && step_in_container(sp))
        return 0;
    if (step_paths(&p) < 0)
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

/* Wait until task pid runs as uid everywhere (real, effective, saved, fs):
 * slurmstepd switches the task to the user only after the job container
 * plugin has moved it into the job's namespaces. 1: ready, 0: gone. */
static int wait_task_settled(pid_t pid, uid_t uid, long timeout_ms)
{
    char file[64], line[256];
    long deadline = jobssh_now_ms() + timeout_ms;
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
        if (jobssh_now_ms() >= deadline)
            return -ETIMEDOUT;
        usleep(delay_us);
        if (delay_us < 20000)
            delay_us *= 2;
    }
    return -ETIMEDOUT;
}

/* Start jobssh-sshd for c->tag joining task_pid (and mnt_fd, an open mount
 * namespace, when >= 0), serving hosts, with envp as the sessions'
 * environment; wait for its answer. */
/* srun --container: the task runs the OCI runtime (oci.conf), and the
 * step's daemon goes into the container the runtime starts. Slurm (22.05)
 * exports SLURM_CONTAINER=<bundle> to such steps and has no spank item
 * for it. */
static bool step_in_container(spank_t sp)
{
    char bundle[PATH_MAX];

    return spank_getenv(sp, "SLURM_CONTAINER", bundle, sizeof(bundle)) == ESPANK_SUCCESS &&
           bundle[0];
}

static int start_supervisor(spank_t sp, pid_t task_pid, int mnt_fd, const char *hosts, char **envp)
{
    jobssh_ctx_t *c = &jobssh_ctx;
    jobssh_error_t err = {{0}};
    char prog[PATH_MAX], s_uid[16], s_gid[16], s_pid[16], answer[STATUS_MAX];
    char a_basedir[PATH_MAX + 16], a_libexec[PATH_MAX + 16], a_rundir[PATH_MAX + 16];
    char a_ports[48], a_count[32], a_ctimeout[48], a_stimeout[48];
    char keydir[PATH_MAX], done[PATH_MAX] = "";
    int sv[2] = {-1, -1};
    uint32_t nodeid = 1;
    pid_t pid;
    int r;

    if (jobssh_settings_program(&c->conf, "jobssh-sshd", prog, sizeof(prog), &err) < 0) {
        slurm_error("jobssh: %s", err.text);
        return -1;
    }
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
    if (c->role == JOBSSH_ROLE_STEP && c->mode == JOBSSH_MODE_LAUNCHER &&
        spank_get_item(sp, S_JOB_NODEID, &nodeid) == ESPANK_SUCCESS && nodeid == 0 &&
        (jobssh_keys_dir(&c->conf, c->user, c->jobid, keydir, sizeof(keydir), &err) < 0 ||
         jobssh_client_done_file(keydir, c->stepid, done, sizeof(done)) < 0)) {
        slurm_error("jobssh: %s", err.text[0] ? err.text : "path too long");
        return -1;
    }
    char *argv[32];
    size_t n = 0;

    argv[n++] = "jobssh-sshd";
    argv[n++] = "--tag";
    argv[n++] = c->tag;
    argv[n++] = "--user";
    argv[n++] = c->user;
    argv[n++] = "--uid";
    argv[n++] = s_uid;
    argv[n++] = "--gid";
    argv[n++] = s_gid;
    argv[n++] = "--node";
    argv[n++] = c->node;
    argv[n++] = "--join-pid";
    argv[n++] = s_pid;
    argv[n++] = "--hosts";
    argv[n++] = (char *)hosts;
    argv[n++] = "--launcher-done";
    argv[n++] = done;
    if (mnt_fd >= 0) { /* the job container's mount namespace, as fd 3 */
        argv[n++] = "--mnt-ns-fd";
        argv[n++] = "3";
    }
    bool container = mnt_fd < 0 && step_in_container(sp);
    if (container)
        argv[n++] = "--find-container";
    argv[n++] = "--";
    argv[n++] = a_basedir;
    argv[n++] = a_libexec;
    argv[n++] = a_rundir;
    argv[n++] = a_ports;
    argv[n++] = a_count;
    argv[n++] = a_ctimeout;
    argv[n++] = a_stimeout;
    argv[n] = NULL;
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
        .pass_fd3 = mnt_fd >= 0,
        .fd3 = mnt_fd,
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
    r = jobssh_spawn_talk(sv[0], envp, answer, sizeof(answer),
                          (int)(c->conf.start_timeout + 5) * 1000);
    close(sv[0]);
    if (r < 0) {
        slurm_error("jobssh: the ssh daemon of step %s on %s did not report back: %s", c->tag,
                    c->node, strerror(-r));
        return -1;
    }
    if (container && strcmp(answer, "started") == 0) {
        slurm_info("jobssh: step %s: the ssh daemon on %s starts in the step's container", c->tag,
                   c->node);
        return 0;
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

/* The extern step's sleeper: the child of this slurmstepd that runs
 * "sleep" (Slurm gives the extern step no task pid). It lives in the job's
 * proctrack container, so the daemon joins its cgroups. 0 when not found. */
static pid_t find_sleeper(void)
{
    pid_t self = getpid();

    for (unsigned round = 0; round < 50; round++) {
        DIR *d = opendir("/proc");
        struct dirent *de;
        pid_t found = 0;

        if (!d)
            return 0;
        for (unsigned n = 0; n < 1000000 && !found && (de = readdir(d)); n++) {
            char file[64], comm[32] = "";
            pid_t pid = (pid_t)atoi(de->d_name), ppid = 0;
            FILE *f;

            if (pid <= 1 || jobssh_proc_ppid(pid, &ppid) < 0 || ppid != self)
                continue;
            snprintf(file, sizeof(file), "/proc/%d/comm", (int)pid);
            if ((f = fopen(file, "re"))) {
                if (!fgets(comm, sizeof(comm), f))
                    comm[0] = '\0';
                fclose(f);
            }
            if (strcmp(comm, "sleep\n") == 0)
                found = pid;
        }
        closedir(d);
        if (found)
            return found;
        usleep(20000); /* forked, not exec'd yet */
    }
    return 0;
}

/* Our own descriptor of the job container's mount namespace, or -1 when
 * the job has none. slurmstepd's container_g_join_external() is what
 * pam_slurm_adopt reaches through the stepd to enter a job: it returns the
 * job_container plugin's descriptor (which stays the plugin's), or 0 when no
 * plugin is configured. */
static int job_container_ns(uint32_t jobid)
{
    int (*join_external)(uint32_t);
    int fd;

    *(void **)&join_external = dlsym(RTLD_DEFAULT, "container_g_join_external");
    if (!join_external)
        return -1;
    fd = join_external(jobid);
    if (fd < 0 || ioctl(fd, NS_GET_NSTYPE) != CLONE_NEWNS)
        return -1;
    return fcntl(fd, F_DUPFD_CLOEXEC, 3);
}

/* NULL-terminated copy of envp plus the client environment env and the
 * extra "NAME=value" strings; the strings stay owned by their sources. */
static char **session_env(char **envp, const jobssh_env_t *env, char **extra, size_t nextra,
                          char **store, size_t nstore)
{
    size_t n = 0, k = 0;
    char **out;

    for (; envp && envp[n]; n++)
        ;
    out = calloc(n + env->n + nextra + 1, sizeof(char *));
    if (!out)
        return NULL;
    for (size_t i = 0; envp && envp[i]; i++)
        out[k++] = envp[i];
    for (size_t i = 0; i < env->n && i < nstore; i++) {
        if (asprintf(&store[i], "%s=%s", env->name[i], env->value[i]) < 0) {
            free(out);
            return NULL;
        }
        out[k++] = store[i];
    }
    for (size_t i = 0; i < nextra; i++)
        out[k++] = extra[i];
    out[k] = NULL;
    return out;
}

/* The extern step of an --ssh job: start the job's daemon on this node. */
static void start_job_daemon(spank_t sp)
{
    jobssh_ctx_t *c = &jobssh_ctx;
    jobssh_client_paths_t p;
    jobssh_env_t env = {0};
    jobssh_error_t err = {{0}};
    char *store[JOBSSH_ENV_MAX] = {NULL}, **envp = NULL, **sessions = NULL;
    char e_job[48], e_jobid[48], e_user[512], e_uid[48], e_nodes[JOBSSH_JOB_NODES_MAX + 32];
    char *extra[] = {e_job, e_jobid, e_user, e_uid, e_nodes};
    pid_t sleeper = find_sleeper();
    int mnt_fd;

    if (sleeper <= 0) {
        slurm_error("jobssh: job %u: couldn't find the extern step's process", c->jobid);
        return;
    }
    mnt_fd = job_container_ns(c->jobid);
    if (mnt_fd < 0)
        slurm_info("jobssh: job %u: no job container namespace: the job's ssh daemon runs in "
                   "the node's mount namespace",
                   c->jobid);
    /* The sessions get the client environment (so that tools started over
     * ssh can use ssh in turn) and the job's identity. */
    snprintf(e_job, sizeof(e_job), "SLURM_JOB_ID=%u", c->jobid);
    snprintf(e_jobid, sizeof(e_jobid), "SLURM_JOBID=%u", c->jobid);
    snprintf(e_user, sizeof(e_user), "SLURM_JOB_USER=%s", c->user);
    snprintf(e_uid, sizeof(e_uid), "SLURM_JOB_UID=%u", (unsigned)c->uid);
    snprintf(e_nodes, sizeof(e_nodes), "SLURM_JOB_NODELIST=%s", job_nodes);
    if (spank_get_item(sp, S_JOB_ENV, &envp) != ESPANK_SUCCESS)
        envp = NULL;
    if (step_paths(&p) < 0 ||
        jobssh_client_env(&c->conf, &p, c->tag, "/usr/local/bin:/usr/bin:/bin", &env, &err) < 0 ||
        !(sessions = session_env(envp, &env, extra, JOBSSH_ELEMENTSOF(extra), store,
                                 JOBSSH_ELEMENTSOF(store)))) {
        slurm_error("jobssh: job %u: couldn't build the sessions' environment%s%s", c->jobid,
                    err.text[0] ? ": " : "", err.text);
    } else {
        (void)start_supervisor(sp, sleeper, mnt_fd, job_nodes, sessions);
    }
    free(sessions);
    for (size_t i = 0; i < JOBSSH_ELEMENTSOF(store); i++)
        free(store[i]);
    jobssh_client_env_free(&env);
    if (mnt_fd >= 0)
        close(mnt_fd);
}

int jobssh_remote_task_post_fork(spank_t sp)
{
    char nodelist[65536] = "";
    char **envp = NULL;
    jobssh_role_t role = role_of(sp);
    uint32_t taskid = 0;
    pid_t pid = 0;
    int r;

    if (role == JOBSSH_ROLE_JOB_OWNER) {
        start_job_daemon(sp);
        return 0;
    }
    if (role != JOBSSH_ROLE_STEP)
        return 0;
    if (spank_get_item(sp, S_TASK_ID, &taskid) != ESPANK_SUCCESS || taskid != 0)
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
    if (spank_getenv(sp, "SLURM_STEP_NODELIST", nodelist, sizeof(nodelist)) != ESPANK_SUCCESS &&
        spank_getenv(sp, "SLURM_JOB_NODELIST", nodelist, sizeof(nodelist)) != ESPANK_SUCCESS)
        (void)jobssh_strlcpy(nodelist, jobssh_ctx.node, sizeof(nodelist));
    if (spank_get_item(sp, S_JOB_ENV, &envp) != ESPANK_SUCCESS)
        envp = NULL;
    /* A failure is not returned to Slurm here: the tasks report it on their
     * stderr (task_init), where the user sees it, and then fail. */
    (void)start_supervisor(sp, pid, -1, nodelist, envp);
    return 0;
}

/* A step of an --ssh job: the job's daemon on this node started with the
 * job (the extern step, before any step); wait for its status, bounded. */
static int read_job_status(const jobssh_client_paths_t *p, char *status, size_t size,
                           jobssh_error_t *err)
{
    long deadline = jobssh_now_ms() + (long)(jobssh_ctx.conf.start_timeout + 5) * 1000L;
    int r;

    for (unsigned i = 0; i < 100000; i++) {
        r = jobssh_client_read_status(p, status, size, err);
        if (r >= 0 || jobssh_now_ms() >= deadline)
            return r;
        usleep(50000);
    }
    return r;
}

/* ": DIR is on a full file system (...)" when path (or its nearest parent)
 * is on a full file system, else "": the likely reason why a file that
 * should be there is missing. */
static const char *space_hint(const char *path, char *buf, size_t size)
{
    jobssh_error_t err = {{0}};

    if (jobssh_path_check_space(path, &err) != -ENOSPC ||
        jobssh_snprintf(buf, size, ": %s", err.text) < 0)
        return "";
    return buf;
}

/* In the batch step of a job without a request on this node, as the user:
 * if the job was submitted with --ssh (its prolog made the job's client
 * files), the prolog could not record the request here. Fail the job with
 * the reason rather than run it without ssh. */
static int check_missing_request(void)
{
    jobssh_ctx_t *c = &jobssh_ctx;
    char keydir[PATH_MAX], env[PATH_MAX + 16], request[PATH_MAX], hint[JOBSSH_ERROR_TEXT_MAX + 2];

    if (jobssh_keys_dir(&c->conf, c->user, c->jobid, keydir, sizeof(keydir), NULL) < 0 ||
        jobssh_snprintf(env, sizeof(env), "%s/client/env", keydir) < 0 || access(env, F_OK) < 0)
        return 0;
    if (jobssh_snprintf(request, sizeof(request), "%s/%s/%u.request", c->conf.rundir, c->node,
                        c->jobid) < 0)
        request[0] = '\0';
    fprintf(stderr,
            "jobssh: error: %s: the job has --ssh, but its prolog recorded no ssh request on this "
            "node (%s)%s; see the slurmd log\n",
            c->node, c->request_error[0] ? c->request_error : request,
            c->request_error[0] ? "" : space_hint(request, hint, sizeof(hint)));
    return -1;
}

/* In the task, as the user: did the node's daemon start? */
int jobssh_remote_task_init(spank_t sp)
{
    jobssh_client_paths_t p;
    jobssh_error_t err = {{0}};
    char status[STATUS_MAX];
    uint32_t gtid = 0;
    char hint[JOBSSH_ERROR_TEXT_MAX + 2];
    jobssh_role_t role = role_of(sp);
    int r;

    if (role == JOBSSH_ROLE_NONE && jobssh_ctx.request_missing)
        return check_missing_request();
    if (role != JOBSSH_ROLE_STEP && role != JOBSSH_ROLE_JOB_CLIENT)
        return 0;
    /* The task runs the OCI runtime: the daemon starts in its container
     * once that is set up (/dev/jobssh/profile appears there). Every task
     * must start its container, so no task can stand aside as a holder. */
    if (role == JOBSSH_ROLE_STEP && step_in_container(sp)) {
        if (jobssh_ctx.mode != JOBSSH_MODE_LAUNCHER)
            return 0;
        fprintf(stderr, "jobssh: error: --ssh=launcher does not work with --container (every "
                        "node's task runs the container): use --ssh\n");
        return -1;
    }
    if (step_paths(&p) < 0)
        return -1;
    if (role == JOBSSH_ROLE_JOB_CLIENT)
        r = read_job_status(&p, status, sizeof(status), &err);
    else
        r = jobssh_client_read_status(&p, status, sizeof(status), &err);
    if (r < 0 && role == JOBSSH_ROLE_JOB_CLIENT) {
        fprintf(stderr,
                "jobssh: error: %s: the job's ssh daemon did not start (%s%s); it starts in the "
                "extern step, which needs PrologFlags=Contain in slurm.conf; see the slurmd "
                "log\n",
                jobssh_ctx.node, err.text, space_hint(p.dir, hint, sizeof(hint)));
        return -1;
    }
    if (r < 0) {
        fprintf(stderr,
                "jobssh: error: %s: the ssh daemon did not start (%s%s); see the slurmd log\n",
                jobssh_ctx.node, err.text, space_hint(p.dir, hint, sizeof(hint)));
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
    if (role == JOBSSH_ROLE_JOB_CLIENT) {
        /* The job's daemons serve ssh: nothing to hold. */
        fflush(NULL);
        _exit(0);
    }
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

/* Remove the step's node-local directory and pid file, as the supervisor
 * does when it stops: for a supervisor that died without doing it. Root
 * removes without following links, like the epilog (lib/path.h). */
static void remove_step_files(void)
{
    jobssh_ctx_t *c = &jobssh_ctx;
    jobssh_client_paths_t p;
    jobssh_error_t err = {{0}};
    _cleanup_close_ int fd = -1;
    char pidname[80];

    if (step_paths(&p) < 0 ||
        jobssh_path_open_nofollow(p.node_dir, O_RDONLY | O_DIRECTORY, &fd, &err) < 0)
        return;
    if (jobssh_path_rmtree_at(fd, p.name, &err) < 0)
        slurm_error("jobssh: step %s: %s", c->tag, err.text);
    snprintf(pidname, sizeof(pidname), "%s.pid", p.name);
    (void)unlinkat(fd, pidname, 0);
}

static void stop_supervisor(void)
{
    jobssh_ctx_t *c = &jobssh_ctx;
    struct pollfd pfd = {.fd = c->sup_pidfd, .events = POLLIN};
    bool died = false;

    if (c->sup_pid <= 0)
        return;
    /* Gone before we asked (killed): nobody removed its files. Its daemon,
     * in the step's cgroups, goes with the step (proctrack). */
    if (c->sup_pidfd >= 0 && poll(&pfd, 1, 0) == 1) {
        died = true;
        slurm_info("jobssh: step %s: the ssh supervisor (pid %d) had exited: removing its files",
                   c->tag, (int)c->sup_pid);
    }
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
    if (died)
        remove_step_files();
}

int jobssh_remote_task_exit(spank_t sp)
{
    if (role_of(sp) != JOBSSH_ROLE_STEP || jobssh_ctx.sup_pid <= 0)
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
