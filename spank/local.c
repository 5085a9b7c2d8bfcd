/* local.c - srun's side (as the user, on the submit host or inside a batch
 * script): make the job's keys once, before any node starts a daemon. */
#include "config.h"

#include <errno.h>
#include <pwd.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "jobssh.h"
#include "lib/keys.h"

/* Make the keys of job jobid as the calling user (idempotent). */
static int make_keys(uint32_t jobid)
{
    jobssh_error_t err = {{0}};
    struct passwd pw, *pwp = NULL;
    char pwbuf[4096];
    uid_t uid = getuid();

    if (getpwuid_r(uid, &pw, pwbuf, sizeof(pwbuf), &pwp) != 0 || !pwp) {
        slurm_error("jobssh: couldn't look up uid %u", (unsigned)uid);
        return -1;
    }
    if (jobssh_keys_create(&jobssh_ctx.conf, pw.pw_name, jobid, &err) < 0) {
        slurm_error("jobssh: couldn't make the keys of job %u: %s", jobid, err.text);
        return -1;
    }
    return 0;
}

/* srun, after option processing and before the step exists. Inside an
 * allocation the job id is known already: make the keys now, because a
 * failure after the step has been created (local_user_init) leaves the step
 * in the controller holding the allocation's resources. */
int jobssh_local_init_post_opt(spank_t sp)
{
    const char *env = getenv("SLURM_JOB_ID");
    char *end;
    unsigned long jobid;

    if (jobssh_ctx.mode == JOBSSH_MODE_OFF || !env || !env[0])
        return 0;
    errno = 0;
    jobid = strtoul(env, &end, 10);
    if (errno || *end || jobid == 0 || jobid > UINT32_MAX)
        return 0; /* not a job id: local_user_init uses Slurm's */
    if (make_keys((uint32_t)jobid) < 0)
        return -1;
    jobssh_ctx.jobid = (uint32_t)jobid;
    return 0;
}

int jobssh_local_user_init(spank_t sp)
{
    uint32_t jobid = 0, stepid = 0;

    if (jobssh_ctx.mode == JOBSSH_MODE_OFF)
        return 0;
    if (spank_get_item(sp, S_JOB_ID, &jobid) != ESPANK_SUCCESS ||
        spank_get_item(sp, S_JOB_STEPID, &stepid) != ESPANK_SUCCESS) {
        slurm_error("jobssh: couldn't get the job and step id from Slurm");
        return -1;
    }
    if (jobid != jobssh_ctx.jobid && make_keys(jobid) < 0)
        return -1;
    slurm_info("jobssh: ssh is on for step %u.%u: `ssh <node>` from any task reaches the step's "
               "nodes (ports %u-%u, mpirun/mpiexec/pdsh set up)",
               jobid, stepid, jobssh_ctx.conf.ports.low, jobssh_ctx.conf.ports.high);
    return 0;
}
