/* prolog.c - job_prolog and job_epilog: root, once per node per job.
 *
 * The prolog makes <basedir>/<user> when it does not exist yet (so that a
 * root-owned 0755 base directory works without per-user set-up). For a job
 * submitted with --ssh (sbatch, salloc) it also makes the job's keys and
 * its off-node client files, in a child dropped to the user, on the job's
 * first node, and records the request on every node (lib/job.h): the extern
 * step then starts the node's daemon. It never fails: a failing prolog
 * drains the node, and a problem is the job's to report (the daemon's
 * status names it, and the job's steps print it and fail). The epilog
 * is the backstop of the teardown, for every job: it stops any supervisor of
 * the job still running on this node, removes the job's node-local step
 * directories and the job's key directory. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jobssh.h"
#include "lib/client.h"
#include "lib/hostlist.h"
#include "lib/job.h"
#include "lib/keys.h"
#include "lib/privs.h"
#include "lib/spawn.h"
#include "lib/path.h"
#include "lib/proc.h"
#include "lib/util.h"

static int job_user(spank_t sp, uint32_t *jobid, uid_t *uid, gid_t *gid, char *user, size_t size)
{
    struct passwd pw, *pwp = NULL;
    char buf[4096];

    if (spank_get_item(sp, S_JOB_ID, jobid) != ESPANK_SUCCESS ||
        spank_get_item(sp, S_JOB_UID, uid) != ESPANK_SUCCESS) {
        slurm_error("jobssh: couldn't get the job id and user from Slurm");
        return -1;
    }
    if (getpwuid_r(*uid, &pw, buf, sizeof(buf), &pwp) != 0 || !pwp ||
        jobssh_strlcpy(user, pw.pw_name, size) < 0) {
        slurm_error("jobssh: job %u: couldn't look up uid %u", *jobid, (unsigned)*uid);
        return -1;
    }
    *gid = pw.pw_gid;
    return 0;
}

/* A variable of the prolog's environment (slurmd sets SLURMD_NODENAME,
 * SLURM_JOB_NODELIST or, in 22.05, SLURM_NODELIST). */
static bool prolog_env(spank_t sp, const char *const names[], char *buf, size_t size)
{
    for (size_t i = 0; names[i]; i++) {
        const char *env;
        if (spank_getenv(sp, names[i], buf, (int)size) == ESPANK_SUCCESS && buf[0])
            return true;
        env = getenv(names[i]);
        if (env && env[0] && jobssh_strlcpy(buf, env, size) == 0)
            return true;
    }
    return false;
}

static bool job_nodelist(spank_t sp, char *buf, size_t size)
{
    static const char *const names[] = {"SLURM_JOB_NODELIST", "SLURM_NODELIST", NULL};
    return prolog_env(sp, names, buf, size);
}

/* This node's Slurm name (with the host name as the last resort). */
static bool this_node(spank_t sp, char *buf, size_t size)
{
    static const char *const names[] = {"SLURMD_NODENAME", NULL};

    if (!prolog_env(sp, names, buf, size) && gethostname(buf, size) < 0)
        return false;
    buf[size - 1] = '\0';
    return buf[0] && !strchr(buf, '/');
}

/* Is this node the first of the job's nodes? (true when that is unknown) */
static bool first_node(spank_t sp, const char *list, const char *node)
{
    char **hosts = NULL;
    size_t nhosts = 0;
    bool first = true;

    if (list[0] && node[0] && jobssh_hostlist_expand(list, &hosts, &nhosts) == 0 && nhosts > 0)
        first = strcmp(hosts[0], node) == 0;
    jobssh_hostlist_free(hosts, nhosts);
    return first;
}

/* Was the job submitted with sbatch --ssh or salloc --ssh? The option
 * reaches the prolog through getopt, but so does that of an srun that made
 * its own allocation (whose steps serve themselves): sbatch and salloc also
 * put JOBSSH_JOB=1 into the job control environment, which the prolog sees
 * as SPANK_JOBSSH_JOB. */
static bool job_wants_ssh(spank_t sp)
{
    static const char *const names[] = {"SPANK_" JOBSSH_JOB_CONTROL_VAR, NULL};
    char *optarg = NULL, mark[8];
    jobssh_mode_t mode;
    jobssh_error_t err = {{0}};

    if (spank_option_getopt(sp, &jobssh_ssh_option, &optarg) != ESPANK_SUCCESS)
        return false;
    if (!prolog_env(sp, names, mark, sizeof(mark)) || strcmp(mark, "1") != 0)
        return false;
    if (jobssh_opt_parse(optarg, &mode, &err) < 0) {
        slurm_error("jobssh: %s", err.text);
        return false;
    }
    return true;
}

typedef struct keys_arg {
    const jobssh_privs_t *privs;
    const char *user;
    uint32_t jobid;
    const char *nodes;
} keys_arg_t;

/* In a child, as the user: the job's keys and its off-node client files. */
static int make_job_keys(void *arg, jobssh_error_t *err)
{
    keys_arg_t *a = arg;
    char keydir[PATH_MAX], tag[48];
    char **hosts = NULL;
    size_t nhosts = 0;
    int r;

    if ((r = jobssh_privs_drop(a->privs, err)) < 0 ||
        (r = jobssh_keys_create(&jobssh_ctx.conf, a->user, a->jobid, err)) < 0 ||
        (r = jobssh_keys_dir(&jobssh_ctx.conf, a->user, a->jobid, keydir, sizeof(keydir), err)) <
            0 ||
        (r = jobssh_job_tag(a->jobid, tag, sizeof(tag))) < 0)
        return r;
    if (jobssh_hostlist_expand(a->nodes, &hosts, &nhosts) < 0)
        return jobssh_error_set(err, EINVAL, "bad node list '%.80s'", a->nodes);
    r = jobssh_client_prepare_job(&jobssh_ctx.conf, keydir, tag, a->user, hosts, nhosts, err);
    jobssh_hostlist_free(hosts, nhosts);
    return r;
}

/* Every job: <basedir>/<user> (once per user: later jobs only find it), so
 * that `srun --ssh` also works inside jobs submitted without --ssh. Jobs
 * with --ssh: their request on every node, their keys on the first. Only
 * the job's first node touches the shared file system. */
int jobssh_job_prolog(spank_t sp)
{
    jobssh_error_t err = {{0}};
    static char nodes[JOBSSH_JOB_NODES_MAX];
    char user[64], node[256];
    bool first, want = job_wants_ssh(sp);
    uint32_t jobid;
    uid_t uid;
    gid_t gid;

    if (!job_nodelist(sp, nodes, sizeof(nodes)))
        nodes[0] = '\0';
    if (!this_node(sp, node, sizeof(node)))
        node[0] = '\0';
    first = first_node(sp, nodes, node);
    if (!first && !want)
        return 0;
    if (job_user(sp, &jobid, &uid, &gid, user, sizeof(user)) < 0)
        return 0;
    if (first && jobssh_keys_user_dir(&jobssh_ctx.conf, user, uid, gid, &err) < 0) {
        slurm_error("jobssh: job %u: %s", jobid, err.text);
        return 0;
    }
    if (!want)
        return 0;
    if (!nodes[0] || !node[0]) {
        slurm_error("jobssh: job %u: the prolog has no node list or node name: no ssh for the "
                    "job",
                    jobid);
        return 0;
    }
    if (first) {
        static jobssh_privs_t privs;
        keys_arg_t a = {.privs = &privs, .user = user, .jobid = jobid, .nodes = nodes};

        if (jobssh_privs_lookup(uid, &privs, &err) < 0 ||
            jobssh_spawn_fn(make_job_keys, &a, 30000, &err) < 0)
            slurm_error("jobssh: job %u: couldn't make the job's keys: %s", jobid, err.text);
    }
    _cleanup_close_ int nodefd = -1;
    if (jobssh_job_node_dir(&jobssh_ctx.conf, node, &nodefd, &err) < 0 ||
        jobssh_job_request_write(nodefd, jobid, uid, nodes, &err) < 0)
        slurm_error("jobssh: job %u: couldn't record the job's ssh request: %s", jobid, err.text);
    return 0;
}

/* Stop a supervisor recorded in "<tag>.pid" if it is still the same process. */
static void stop_recorded(int nodefd, const char *pidname, uint32_t jobid)
{
    char line[64];
    _cleanup_close_ int fd = -1;
    unsigned long long start = 0, now_start = 0;
    int pid = 0;
    ssize_t n;

    fd = openat(nodefd, pidname, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return;
    n = read(fd, line, sizeof(line) - 1);
    if (n <= 0)
        return;
    line[n] = '\0';
    if (sscanf(line, "%d %llu", &pid, &start) != 2 || pid <= 1)
        return;
    if (jobssh_proc_starttime(pid, &now_start) < 0)
        return;
    if (now_start != start)
        return;
    slurm_info("jobssh: job %u: stopping leftover ssh supervisor pid %d", jobid, pid);
    kill(pid, SIGTERM);
    for (int i = 0; i < 50 && kill(pid, 0) == 0; i++)
        usleep(100000);
    if (kill(pid, 0) == 0)
        kill(pid, SIGKILL);
}

/* Every "<jobid>.*" entry of <rundir>/<node>. */
static void clean_node_dir(uint32_t jobid, const char *node)
{
    char dir[PATH_MAX], prefix[24];
    _cleanup_close_ int fd = -1;
    DIR *d;
    struct dirent *de;
    int dfd;

    if (jobssh_snprintf(dir, sizeof(dir), "%s/%s", jobssh_ctx.conf.rundir, node) < 0 ||
        jobssh_path_open_nofollow(dir, O_RDONLY | O_DIRECTORY, &fd, NULL) < 0)
        return;
    snprintf(prefix, sizeof(prefix), "%u.", jobid);
    /* First the supervisors (they remove their own directories)... */
    if ((dfd = dup(fd)) < 0 || !(d = fdopendir(dfd))) {
        if (dfd >= 0)
            close(dfd);
        return;
    }
    for (unsigned n = 0; n < 100000 && (de = readdir(d)); n++) {
        size_t len = strlen(de->d_name);
        if (strncmp(de->d_name, prefix, strlen(prefix)) == 0 && len > 4 &&
            strcmp(de->d_name + len - 4, ".pid") == 0)
            stop_recorded(fd, de->d_name, jobid);
    }
    /* ...then whatever is left. */
    rewinddir(d);
    for (unsigned n = 0; n < 100000 && (de = readdir(d)); n++) {
        size_t len = strlen(de->d_name);
        if (strncmp(de->d_name, prefix, strlen(prefix)) == 0) {
            /* the prolog's request is expected; anything else is a leftover */
            if (len < 8 || strcmp(de->d_name + len - 8, ".request") != 0)
                slurm_info("jobssh: job %u: removing leftover %s/%s", jobid, dir, de->d_name);
            (void)jobssh_path_rmtree_at(fd, de->d_name, NULL);
        }
    }
    closedir(d);
}

int jobssh_job_epilog(spank_t sp)
{
    jobssh_error_t err = {{0}};
    uint32_t jobid;
    uid_t uid;
    gid_t gid;
    char user[64], node[256];
    int r;

    if (job_user(sp, &jobid, &uid, &gid, user, sizeof(user)) < 0)
        return 0;
    if (this_node(sp, node, sizeof(node)))
        clean_node_dir(jobid, node);
    r = jobssh_keys_remove(&jobssh_ctx.conf, user, jobid, &err);
    if (r < 0)
        slurm_error("jobssh: job %u: couldn't remove the job's keys: %s", jobid, err.text);
    return 0;
}
