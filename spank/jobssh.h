/* jobssh.h - the SPANK plugin's internal interface.
 *
 * The plugin is a thin adapter: it translates Slurm's callbacks into calls of
 * libjobssh and of the jobssh-sshd supervisor. All of its state lives in the
 * one context struct below (SPANK callbacks get no user pointer). */
#ifndef JOBSSH_SPANK_H
#define JOBSSH_SPANK_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <slurm/spank.h>

#include "lib/error.h"
#include "lib/settings.h"

/* What --ssh asks for. */
typedef enum {
    JOBSSH_MODE_OFF = 0,
    JOBSSH_MODE_ALL,      /* --ssh: every task runs the command */
    JOBSSH_MODE_LAUNCHER, /* --ssh=launcher: task 0 runs it, the other nodes serve ssh */
} jobssh_mode_t;

/* What this slurmstepd does for ssh (decided once per process). */
typedef enum {
    JOBSSH_ROLE_UNKNOWN = 0,
    JOBSSH_ROLE_NONE,
    JOBSSH_ROLE_STEP,       /* srun --ssh: this step runs its own daemon */
    JOBSSH_ROLE_JOB_CLIENT, /* a step of an --ssh job: uses the job's daemon */
    JOBSSH_ROLE_JOB_OWNER,  /* the extern step of an --ssh job: runs the job's daemon */
} jobssh_role_t;

typedef struct jobssh_ctx {
    jobssh_settings_t conf; /* plugstack.conf arguments */
    bool conf_ok;
    jobssh_mode_t mode; /* from the option callback (may run twice) */

    /* remote context, one step on one node */
    bool request_missing; /* the batch step of an --ssh job, without the request */
    char request_error[JOBSSH_ERROR_TEXT_MAX]; /* why the request was refused, or "" */
    uint32_t jobid;
    uint32_t stepid;
    uid_t uid;
    gid_t gid;
    char user[64];
    char node[256];
    char tag[48]; /* "<job>.<step>" or "<job>.extern": names the daemon in its banner */
    jobssh_role_t role;
    int sup_pidfd; /* the jobssh-sshd supervisor, -1 when none */
    pid_t sup_pid;
    uint32_t tasks_local; /* local task count */
    uint32_t tasks_exited;
} jobssh_ctx_t;

/* The plugin's single context (spank/jobssh.c). */
extern jobssh_ctx_t jobssh_ctx;

/* Log sink for libjobssh that forwards to slurm_error/slurm_info/slurm_debug. */
void jobssh_spank_log(void *arg, int level, const char *msg);

/* The step id that Slurm gives the extern step (PrologFlags=contain) and the
 * batch step, as seen through S_JOB_STEPID. */
#define JOBSSH_EXTERN_STEP 0xfffffffcU
#define JOBSSH_BATCH_STEP  0xfffffffbU

/* options.c */
int jobssh_opt_parse(const char *optarg, jobssh_mode_t *ret_mode, jobssh_error_t *err);
extern struct spank_option jobssh_ssh_option;

/* The job control variable that marks a job submitted with --ssh. */
#define JOBSSH_JOB_CONTROL_VAR "JOBSSH_JOB"

/* local.c: srun, sbatch and salloc (as the user) */
int jobssh_alloc_init_post_opt(spank_t sp);
int jobssh_local_init_post_opt(spank_t sp);
int jobssh_local_user_init(spank_t sp);

/* remote.c: slurmstepd */
int jobssh_remote_user_init(spank_t sp);
int jobssh_remote_task_post_fork(spank_t sp);
int jobssh_remote_task_init(spank_t sp);
int jobssh_remote_task_exit(spank_t sp);
int jobssh_remote_exit(spank_t sp);

/* prolog.c: job_prolog / job_epilog (root, once per node per job) */
int jobssh_job_prolog(spank_t sp);
int jobssh_job_epilog(spank_t sp);

#endif
