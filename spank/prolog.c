/* prolog.c - job_prolog and job_epilog: root, once per node per job.
 *
 * The prolog makes <basedir>/<user> when it does not exist yet (so that a
 * root-owned 0755 base directory works without per-user set-up). It never
 * fails: a failing prolog drains the node, and a problem with the base
 * directory is the job's to report (srun names it on the user's terminal
 * and fails the job). The epilog
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
#include "lib/hostlist.h"
#include "lib/keys.h"
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

/* Is this node the first of the job's nodes? (true when that is unknown) */
static bool first_node(spank_t sp)
{
    char list[65536], node[256];
    char **hosts = NULL;
    size_t nhosts = 0;
    const char *env;
    bool first = true;

    if (spank_getenv(sp, "SLURM_JOB_NODELIST", list, sizeof(list)) != ESPANK_SUCCESS) {
        env = getenv("SLURM_JOB_NODELIST");
        if (!env || jobssh_strlcpy(list, env, sizeof(list)) < 0)
            return true;
    }
    if (spank_getenv(sp, "SLURMD_NODENAME", node, sizeof(node)) != ESPANK_SUCCESS) {
        env = getenv("SLURMD_NODENAME");
        if (!env || jobssh_strlcpy(node, env, sizeof(node)) < 0)
            return true;
    }
    if (jobssh_hostlist_expand(list, &hosts, &nhosts) == 0 && nhosts > 0)
        first = strcmp(hosts[0], node) == 0;
    jobssh_hostlist_free(hosts, nhosts);
    return first;
}

/* Make <basedir>/<user> (once per user: later jobs only find it) for every
 * job, so that `srun --ssh` also works inside jobs submitted without --ssh.
 * Only the job's first node touches the shared file system. */
int jobssh_job_prolog(spank_t sp)
{
    jobssh_error_t err = {{0}};
    uint32_t jobid;
    uid_t uid;
    gid_t gid;
    char user[64];

    if (!first_node(sp))
        return 0;
    if (job_user(sp, &jobid, &uid, &gid, user, sizeof(user)) < 0)
        return 0;
    if (jobssh_keys_user_dir(&jobssh_ctx.conf, user, uid, gid, &err) < 0)
        slurm_error("jobssh: job %u: %s", jobid, err.text);
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
        if (strncmp(de->d_name, prefix, strlen(prefix)) == 0) {
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
    if (spank_getenv(sp, "SLURMD_NODENAME", node, sizeof(node)) != ESPANK_SUCCESS) {
        const char *env = getenv("SLURMD_NODENAME");
        if (!env || jobssh_strlcpy(node, env, sizeof(node)) < 0) {
            if (gethostname(node, sizeof(node)) < 0)
                node[0] = '\0';
        }
    }
    node[sizeof(node) - 1] = '\0';
    if (node[0] && !strchr(node, '/'))
        clean_node_dir(jobid, node);
    r = jobssh_keys_remove(&jobssh_ctx.conf, user, jobid, &err);
    if (r < 0)
        slurm_error("jobssh: job %u: couldn't remove the job's keys: %s", jobid, err.text);
    return 0;
}
