/* keys.h - the per-job key directory on the shared base directory.
 *
 *   <basedir>/                 root's; 0755, or 1777 (sticky) to let users
 *                              make their own directory
 *   <basedir>/<user>/          the user's, 0700 (made by the user, or by root
 *                              in the job prolog)
 *   <basedir>/<user>/<jobid>/  the user's, 0700, one per job, made by the
 *                              user under a temporary name and renamed into
 *                              place when complete:
 *       host_ed25519           the job's host key (Dropbear format)
 *       host_ed25519.pub       its public half, "ssh-ed25519 AAAA..."
 *       id_dropbear            the job's user key (Dropbear format, dbclient)
 *       id_ed25519             the same key in OpenSSH format
 *       id_ed25519.pub         its public half
 *       authorized_keys        the public half with forwarding disabled
 *
 * Nodes only read these files, as the user. The job epilog removes the job's
 * directory. */
#ifndef JOBSSH_KEYS_H
#define JOBSSH_KEYS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "settings.h"

/* Path of the job's key directory. */
int jobssh_keys_dir(const jobssh_settings_t *s, const char *user, uint32_t jobid, char *buf,
                    size_t size, jobssh_error_t *err);

/* As the user (not root): make the job's keys unless they exist already.
 * Checks the base directory (root's, not writable by others unless sticky,
 * no symlink on the way) and the user's directory (the user's, 0700). */
int jobssh_keys_create(const jobssh_settings_t *s, const char *user, uint32_t jobid,
                       jobssh_error_t *err);

/* As root: make <basedir>/<user> for uid/gid if it does not exist, and check
 * it if it does. */
int jobssh_keys_user_dir(const jobssh_settings_t *s, const char *user, uid_t uid, gid_t gid,
                         jobssh_error_t *err);

/* As root or the user: remove the job's key directory (and leftovers of an
 * interrupted creation). Missing is not an error. Returns 1 when something
 * was removed. */
int jobssh_keys_remove(const jobssh_settings_t *s, const char *user, uint32_t jobid,
                       jobssh_error_t *err);

#endif
