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

#include <stdbool.h>
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

/* As the user: is dir (absolute) a complete key set of the caller? No
 * component may be a symlink; dir must be a directory of the caller's with
 * no group or other permissions, and hold every file listed above as a
 * regular file of the caller's, also without group or other permissions.
 * 0; -ENOENT when dir or one of the files is missing; -ELOOP, -EPERM,
 * -ENOTDIR, -EINVAL naming the file otherwise. */
int jobssh_keys_check_dir(const char *dir, jobssh_error_t *err);

/* As the user (not root): make a key set (the files listed above; the public
 * key lines end in comment, [A-Za-z0-9._@-] only) as the directory dir
 * (absolute; its parent must exist, be the caller's and be reached without
 * a symlink). Like a job's it is written under a temporary name next to it
 * and renamed into place, so nobody sees half a key set. An existing one is
 * kept, after jobssh_keys_check_dir(), unless overwrite: then the new set
 * replaces it in one rename (RENAME_EXCHANGE) and the old one is removed.
 * Returns 1 when it made a new set, 0 when it kept one. */
int jobssh_keys_create_dir(const jobssh_settings_t *s, const char *dir, const char *comment,
                           bool overwrite, jobssh_error_t *err);

#endif
