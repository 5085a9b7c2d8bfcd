/* settings.c - jobssh's site settings (see settings.h). */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "settings.h"
#include "util.h"

#ifndef PKGLIBEXECDIR
#define PKGLIBEXECDIR "/usr/libexec/jobssh"
#endif

static const jobssh_conf_key_t settings_keys[] = {
    JOBSSH_CONF_KEY(jobssh_settings_t, "basedir", JOBSSH_CONF_PATH, basedir, .required = true),
    JOBSSH_CONF_KEY(jobssh_settings_t, "libexec_dir", JOBSSH_CONF_PATH, libexec_dir),
    JOBSSH_CONF_KEY(jobssh_settings_t, "rundir", JOBSSH_CONF_PATH, rundir),
    JOBSSH_CONF_KEY(jobssh_settings_t, "port_range", JOBSSH_CONF_PORT_RANGE, ports),
    JOBSSH_CONF_KEY(jobssh_settings_t, "port_count", JOBSSH_CONF_UINT, port_count, .min = 1,
                    .max = 64),
    JOBSSH_CONF_KEY(jobssh_settings_t, "connect_timeout", JOBSSH_CONF_DURATION, connect_timeout,
                    .min = 1, .max = 3600),
    JOBSSH_CONF_KEY(jobssh_settings_t, "start_timeout", JOBSSH_CONF_DURATION, start_timeout,
                    .min = 1, .max = 600),
    {NULL},
};

int jobssh_settings_parse(int argc, char *const argv[], jobssh_settings_t *s, jobssh_error_t *err)
{
    jobssh_settings_t tmp;

    memset(&tmp, 0, sizeof(tmp));
    (void)jobssh_strlcpy(tmp.libexec_dir, PKGLIBEXECDIR, sizeof(tmp.libexec_dir));
    (void)jobssh_strlcpy(tmp.rundir, "/run/jobssh", sizeof(tmp.rundir));
    tmp.ports.low = 2222;
    tmp.ports.high = 3221;
    tmp.port_count = 16;
    tmp.connect_timeout = 60;
    tmp.start_timeout = 10;
    int r = jobssh_conf_parse_argv(settings_keys, argc, argv, &tmp, sizeof(tmp), err);
    if (r < 0)
        return r;
    if (strcmp(tmp.basedir, "/") == 0)
        return jobssh_error_set(err, EINVAL, "basedir=/: the base directory can't be /");
    *s = tmp;
    return 0;
}

int jobssh_settings_program(const jobssh_settings_t *s, const char *name, char *buf, size_t size,
                            jobssh_error_t *err)
{
    int r = jobssh_snprintf(buf, size, "%s/%s", s->libexec_dir, name);
    if (r < 0)
        return jobssh_error_set(err, -r, "libexec_dir=%s: path too long", s->libexec_dir);
    return 0;
}
