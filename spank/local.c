/* local.c - srun's side (as the user, on the submit host or inside a batch
 * script): make the job's keys once, before any node starts a daemon. */
#include "config.h"

#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "jobssh.h"
#include "lib/keys.h"

int jobssh_local_user_init(spank_t sp)
{
    jobssh_error_t err = {{0}};
    uint32_t jobid = 0, stepid = 0;
    uid_t uid;
    struct passwd pw, *pwp = NULL;
    char pwbuf[4096];

    if (jobssh_ctx.mode == JOBSSH_MODE_OFF)
        return 0;
    if (spank_get_item(sp, S_JOB_ID, &jobid) != ESPANK_SUCCESS ||
        spank_get_item(sp, S_JOB_STEPID, &stepid) != ESPANK_SUCCESS) {
        slurm_error("jobssh: couldn't get the job and step id from Slurm");
        return -1;
    }
    uid = getuid();
    if (getpwuid_r(uid, &pw, pwbuf, sizeof(pwbuf), &pwp) != 0 || !pwp) {
        slurm_error("jobssh: couldn't look up uid %u", (unsigned)uid);
        return -1;
    }
    if (jobssh_keys_create(&jobssh_ctx.conf, pw.pw_name, jobid, &err) < 0) {
        slurm_error("jobssh: couldn't make the keys of job %u: %s", jobid, err.text);
        return -1;
    }
    slurm_info("jobssh: ssh is on for step %u.%u: `ssh <node>` from any task reaches the step's "
               "nodes (ports %u-%u, mpirun/mpiexec/pdsh set up)",
               jobid, stepid, jobssh_ctx.conf.ports.low, jobssh_ctx.conf.ports.high);
    return 0;
}
