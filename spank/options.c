/* options.c - the --ssh option.
 *
 *   --ssh            every task of the step runs the command; every node
 *                    of the step serves ssh while its tasks run
 *   --ssh=launcher   only task 0 runs the command; the tasks on the other
 *                    nodes serve ssh until task 0 has exited, then exit 0
 *
 * Slurm may run the callback twice per slurmstepd, and an option that travels
 * through the job environment arrives as the literal string "(null)" when it
 * had no argument: both are handled here. */
#include "config.h"

#include <string.h>

#include "jobssh.h"

int jobssh_opt_parse(const char *optarg, jobssh_mode_t *ret_mode, jobssh_error_t *err)
{
    if (!optarg || optarg[0] == '\0' || strcmp(optarg, "(null)") == 0 ||
        strcmp(optarg, "all") == 0) {
        *ret_mode = JOBSSH_MODE_ALL;
        return 0;
    }
    if (strcmp(optarg, "launcher") == 0) {
        *ret_mode = JOBSSH_MODE_LAUNCHER;
        return 0;
    }
    return jobssh_error_set(
        err, EINVAL, "--ssh=%.64s: unknown value (use --ssh, --ssh=all or --ssh=launcher)", optarg);
}

static int ssh_option_cb(int val, const char *optarg, int remote)
{
    jobssh_error_t err = {{0}};
    jobssh_mode_t mode = JOBSSH_MODE_OFF;

    if (jobssh_opt_parse(optarg, &mode, &err) < 0) {
        slurm_error("jobssh: %s", err.text);
        return -1;
    }
    jobssh_ctx.mode = mode;
    return 0;
}

struct spank_option jobssh_ssh_option = {
    .name = "ssh",
    .arginfo = "[launcher]",
    .usage = "Start an ssh server in the job on every node, so that ssh, mpirun, "
             "mpiexec and pdsh reach the job's nodes (see jobssh(8)). "
             "--ssh=launcher: only task 0 runs the command, the other nodes serve ssh.",
    .has_arg = 2,
    .val = 0,
    .cb = ssh_option_cb,
};
