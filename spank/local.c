/* local.c - the client commands' side, as the user.
 *
 * srun (on the submit host or inside a batch script): make the job's keys
 * once, before any node starts a daemon. sbatch and salloc: mark the job
 * for the prolog, which makes the keys and records the request for the
 * extern step (prolog.c); for salloc, whose command runs here, on a host
 * that may not be a node of the job, also set the command's client
 * environment. */
#include "config.h"

#include <errno.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "jobssh.h"
#include "lib/keys.h"
#include "lib/util.h"

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

/* Was job jobid submitted with --ssh? Its prolog made the off-node client
 * files (lib/client.h) then. */
static bool job_has_daemons(uint32_t jobid)
{
    struct passwd pw, *pwp = NULL;
    char pwbuf[4096], keydir[PATH_MAX], env[PATH_MAX + 16];

    return getpwuid_r(getuid(), &pw, pwbuf, sizeof(pwbuf), &pwp) == 0 && pwp &&
           jobssh_keys_dir(&jobssh_ctx.conf, pw.pw_name, jobid, keydir, sizeof(keydir), NULL) ==
               0 &&
           jobssh_snprintf(env, sizeof(env), "%s/client/env", keydir) >= 0 &&
           access(env, F_OK) == 0;
}

/* The environment of an `salloc --ssh` command: the ssh wrapper first in
 * PATH and the launcher variables, none of them job-specific (salloc runs
 * no plugin code once the job exists): the wrapper finds the job's client
 * files from JOBSSH_JOBS_DIR and the SLURM_JOB_ID that salloc sets. */
static int salloc_client_env(void)
{
    char wrapper[PATH_MAX], bin[PATH_MAX], jobs[PATH_MAX + 72], *path = NULL;
    struct passwd pw, *pwp = NULL;
    char pwbuf[4096];
    const char *old = getenv("PATH");
    const jobssh_settings_t *c = &jobssh_ctx.conf;
    int r = 0;

    if (getpwuid_r(getuid(), &pw, pwbuf, sizeof(pwbuf), &pwp) != 0 || !pwp) {
        slurm_error("jobssh: couldn't look up uid %u", (unsigned)getuid());
        return -1;
    }
    if (jobssh_snprintf(bin, sizeof(bin), "%s/bin", c->libexec_dir) < 0 ||
        jobssh_snprintf(wrapper, sizeof(wrapper), "%s/bin/ssh", c->libexec_dir) < 0 ||
        jobssh_snprintf(jobs, sizeof(jobs), "%s/%s", c->basedir, pw.pw_name) < 0 ||
        asprintf(&path, "%s%s%s", bin, old && old[0] ? ":" : "", old ? old : "") < 0) {
        slurm_error("jobssh: a configured path is too long");
        return -1;
    }
    r |= setenv("PATH", path, 1);
    r |= setenv("JOBSSH_JOBS_DIR", jobs, 1);
    r |= setenv("OMPI_MCA_plm", "rsh", 1);
    r |= setenv("OMPI_MCA_plm_rsh_agent", wrapper, 1);
    r |= setenv("HYDRA_BOOTSTRAP", "ssh", 1);
    r |= setenv("HYDRA_LAUNCHER_EXEC", wrapper, 1);
    r |= setenv("PDSH_RCMD_TYPE", "ssh", 1);
    free(path);
    if (r < 0) {
        slurm_error("jobssh: couldn't set the client environment: %m");
        return -1;
    }
    return 0;
}

/* sbatch and salloc, after option processing, before the job exists. */
int jobssh_alloc_init_post_opt(spank_t sp)
{
    if (jobssh_ctx.mode == JOBSSH_MODE_OFF)
        return 0;
    if (jobssh_ctx.mode == JOBSSH_MODE_LAUNCHER) {
        slurm_error("jobssh: --ssh=launcher is an srun option: sbatch and salloc take --ssh "
                    "(every node of the job serves ssh for the job's whole life)");
        return -1;
    }
    if (spank_job_control_setenv(sp, JOBSSH_JOB_CONTROL_VAR, "1", 1) != ESPANK_SUCCESS) {
        slurm_error("jobssh: couldn't mark the job for ssh (job control environment)");
        return -1;
    }
    if (strcmp(program_invocation_short_name, "salloc") == 0)
        return salloc_client_env();
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
    if (job_has_daemons(jobid)) {
        slurm_info("jobssh: step %u.%u uses the ssh daemons of job %u", jobid, stepid, jobid);
        return 0;
    }
    slurm_info("jobssh: ssh is on for step %u.%u: `ssh <node>` from any task reaches the step's "
               "nodes (ports %u-%u, mpirun/mpiexec/pdsh set up)",
               jobid, stepid, jobssh_ctx.conf.ports.low, jobssh_ctx.conf.ports.high);
    return 0;
}
