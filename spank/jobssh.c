/* jobssh.c - SPANK entry points: one dispatcher per callback.
 *
 * Which context runs what is measured in doc/DESIGN.md; in short:
 *   srun (local):        option callback, local_user_init  -> per-job keys
 *   slurmstepd (remote): user_init (client env), task_post_fork (start the
 *                        node's daemon), task_init (report, launcher mode),
 *                        task_exit/exit (tear the daemon down)
 *   prolog/epilog:       per-user key directory, backstop cleanup */
#include "config.h"

#include <string.h>

#include "jobssh.h"
#include "lib/log.h"

SPANK_PLUGIN(jobssh, 1);

jobssh_ctx_t jobssh_ctx = {.sup_pidfd = -1};

void jobssh_spank_log(void *arg, int level, const char *msg)
{
    (void)arg;
    if (level <= JOBSSH_LOG_ERR)
        slurm_error("jobssh: %s", msg);
    else if (level == JOBSSH_LOG_WARN || level == JOBSSH_LOG_INFO)
        slurm_info("jobssh: %s", msg);
    else
        slurm_debug("jobssh: %s", msg);
}

static void ctx_reset(void)
{
    memset(&jobssh_ctx, 0, sizeof(jobssh_ctx));
    jobssh_ctx.sup_pidfd = -1;
}

/* Read the plugstack.conf arguments into the context. */
static int load_settings(int ac, char **av)
{
    jobssh_error_t err = {{0}};

    if (jobssh_settings_parse(ac, av, &jobssh_ctx.conf, &err) < 0) {
        slurm_error("jobssh: plugstack.conf: %s", err.text);
        return -1;
    }
    jobssh_ctx.conf_ok = true;
    return 0;
}

/* Called first in every context but the job prolog/epilog. Registers --ssh
 * and reads plugstack.conf. */
int slurm_spank_init(spank_t sp, int ac, char **av)
{
    spank_context_t ctx = spank_context();

    ctx_reset();
    if (load_settings(ac, av) < 0)
        return -1;
    if (ctx == S_CTX_LOCAL || ctx == S_CTX_ALLOCATOR || ctx == S_CTX_REMOTE) {
        if (spank_option_register(sp, &jobssh_ssh_option) != ESPANK_SUCCESS) {
            slurm_error("jobssh: couldn't register the --ssh option");
            return -1;
        }
    }
    return 0;
}

/* Every context, after the options: for srun (as the user), make the keys
 * early when it runs inside an allocation; for sbatch and salloc, mark the
 * job for the prolog (and set up an salloc command's client side). */
int slurm_spank_init_post_opt(spank_t sp, int ac, char **av)
{
    if (spank_context() == S_CTX_LOCAL)
        return jobssh_local_init_post_opt(sp);
    if (spank_context() == S_CTX_ALLOCATOR)
        return jobssh_alloc_init_post_opt(sp);
    return 0;
}

/* srun, after the allocation is granted (as the user). */
int slurm_spank_local_user_init(spank_t sp, int ac, char **av)
{
    return jobssh_local_user_init(sp);
}

/* slurmstepd, once per step per node, euid = the user. */
int slurm_spank_user_init(spank_t sp, int ac, char **av)
{
    return jobssh_remote_user_init(sp);
}

/* slurmstepd, once per local task (also once for the extern step). */
int slurm_spank_task_post_fork(spank_t sp, int ac, char **av)
{
    return jobssh_remote_task_post_fork(sp);
}

/* The forked task process as the user, just before execve. */
int slurm_spank_task_init(spank_t sp, int ac, char **av)
{
    return jobssh_remote_task_init(sp);
}

/* slurmstepd, once per local task when it has exited. */
int slurm_spank_task_exit(spank_t sp, int ac, char **av)
{
    return jobssh_remote_task_exit(sp);
}

/* Every context, last. */
int slurm_spank_exit(spank_t sp, int ac, char **av)
{
    int rc = 0;

    if (spank_context() == S_CTX_REMOTE)
        rc = jobssh_remote_exit(sp);
    ctx_reset();
    return rc;
}

/* A separate slurmstepd as root, once per node per job, at allocation. */
int slurm_spank_job_prolog(spank_t sp, int ac, char **av)
{
    /* Never fail: a failed prolog drains the node (see prolog.c). */
    ctx_reset();
    if (load_settings(ac, av) < 0)
        return 0;
    return jobssh_job_prolog(sp);
}

/* A separate slurmstepd as root, once per node per job, at the end. */
int slurm_spank_job_epilog(spank_t sp, int ac, char **av)
{
    ctx_reset();
    if (load_settings(ac, av) < 0)
        return 0;
    return jobssh_job_epilog(sp);
}
