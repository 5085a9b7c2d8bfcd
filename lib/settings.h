/* settings.h - jobssh's site settings (the plugstack.conf arguments).
 *
 *   basedir=DIR          shared base directory of the per-job keys (required)
 *   libexec_dir=DIR      where dropbear, dbclient, dropbearkey, dropbearconvert,
 *                        jobssh-connect and jobssh-sshd live [PKGLIBEXECDIR]
 *   rundir=DIR           node-local state directory [/run/jobssh]
 *   port_range=LOW-HIGH  ports the daemons may use [2222-3221]
 *   port_count=N         candidate ports per daemon, 1..64 [16]
 *   connect_timeout=SEC  how long a client waits for a peer's daemon [60]
 *   start_timeout=SEC    how long a node waits for its daemon to listen [10]
 *
 * Unknown keys, duplicates, bad values and a missing basedir are errors. */
#ifndef JOBSSH_SETTINGS_H
#define JOBSSH_SETTINGS_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "error.h"

typedef struct jobssh_settings {
    char basedir[PATH_MAX];
    char libexec_dir[PATH_MAX];
    char rundir[PATH_MAX];
    jobssh_port_range_t ports;
    uint64_t port_count;
    uint64_t connect_timeout; /* seconds */
    uint64_t start_timeout;   /* seconds */
} jobssh_settings_t;

/* Fill s from "key=value" words (plugstack.conf arguments after the plugin
 * path). On failure err names the argument and what is wrong, and s is left
 * untouched. */
int jobssh_settings_parse(int argc, char *const argv[], jobssh_settings_t *s, jobssh_error_t *err);

/* Write the path of the helper program `name` (e.g. "dropbear") into buf. */
int jobssh_settings_program(const jobssh_settings_t *s, const char *name, char *buf, size_t size,
                            jobssh_error_t *err);

#endif
