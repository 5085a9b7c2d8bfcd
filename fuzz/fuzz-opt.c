/* fuzz-opt.c - the --ssh option value: jobssh_opt_parse() and the option
 * callback Slurm calls (spank/options.c)
 *
 * The input (up to its first NUL) is the option's value; an empty input
 * stands for an option given without a value (NULL). Only "", "(null)",
 * "all" and "launcher" are accepted; the callback must agree with the
 * parser, set the mode only on success, and log a failure as one line
 * whatever the value holds (in slurmstepd that line goes to root's log).
 *
 * options.c is compiled in as it is; the Slurm function and the plugin
 * context it refers to are defined here (the plugin's own are in jobssh.so,
 * which is not linked). */
#include "config.h"

#include <errno.h>
#include <stdarg.h>

#include "fuzz.h"
#include "spank/jobssh.h"

jobssh_ctx_t jobssh_ctx;

/* Formats the message (so a bad format is caught), checks that it stays one
 * line of a log (the value comes from the user), and drops it. */
void slurm_error(const char *format, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, format);
    vsnprintf(msg, sizeof(msg), format, ap);
    va_end(ap);
    for (const char *p = msg; *p; p++)
        fuzz_assert((unsigned char)*p >= 0x20 && *p != 0x7f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *value = size ? fuzz_strdup(data, size) : NULL;
    jobssh_error_t err = {{0}};
    jobssh_mode_t mode = (jobssh_mode_t)4711;
    bool known = !value || !value[0] || strcmp(value, "(null)") == 0 || strcmp(value, "all") == 0 ||
                 strcmp(value, "launcher") == 0;
    int r = jobssh_opt_parse(value, &mode, &err);

    if (known) {
        fuzz_assert(r == 0);
        fuzz_assert(mode == (value && strcmp(value, "launcher") == 0 ? JOBSSH_MODE_LAUNCHER
                                                                     : JOBSSH_MODE_ALL));
    } else {
        fuzz_assert(r == -EINVAL && fuzz_error_ok(&err));
        fuzz_assert(mode == (jobssh_mode_t)4711);
    }

    /* the callback, local and remote: the mode changes only on success */
    for (int remote = 0; remote <= 1; remote++) {
        jobssh_ctx.mode = JOBSSH_MODE_OFF;
        r = jobssh_ssh_option.cb(jobssh_ssh_option.val, value, remote);
        fuzz_assert(r == (known ? 0 : -1));
        fuzz_assert(known ? jobssh_ctx.mode == mode : jobssh_ctx.mode == JOBSSH_MODE_OFF);
    }
    free(value);
    return 0;
}
