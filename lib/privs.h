/* privs.h - drop from root to a user, for good, in a forked child
 *
 * jobssh_privs_drop() is the only place that changes credentials. Fixed
 * order: setgroups -> setresgid -> setresuid (capabilities kept across it
 * with PR_SET_KEEPCAPS only to be able to empty the bounding set) -> verify
 * the ids -> libcap: bounding set emptied, ambient cleared, effective,
 * permitted and inheritable cleared -> verify root cannot be regained ->
 * PR_SET_NO_NEW_PRIVS -> verify nothing is left. It never "drops" to uid or
 * gid 0. Look the user up before forking (NSS may not be fork-safe).
 */
#ifndef JOBSSH_PRIVS_H
#define JOBSSH_PRIVS_H

#include <sys/types.h>

#include "error.h"

#define JOBSSH_PRIVS_MAX_GROUPS 1024

typedef struct jobssh_privs {
    uid_t uid;
    gid_t gid;                             /* primary group */
    int ngroups;                           /* entries of groups[] used (0: none) */
    gid_t groups[JOBSSH_PRIVS_MAX_GROUPS]; /* supplementary groups */
    int userns; /* the ids are those of a user namespace the process has joined,
                 * not the initial one: see jobssh_privs_drop() */
} jobssh_privs_t;

/* Fill *ret with uid, its primary gid (getpwuid_r) and its supplementary
 * groups (getgrouplist). -ENOENT when there is no such user, -E2BIG with
 * more than JOBSSH_PRIVS_MAX_GROUPS groups, -ENOMEM. */
int jobssh_privs_lookup(uid_t uid, jobssh_privs_t *ret, jobssh_error_t *err);

/* Become p's user for good in the calling process, which must be
 * single-threaded (a forked child) and have CAP_SETUID, CAP_SETGID and
 * CAP_SETPCAP (root). Returns 0 once every check passed. On failure the
 * process may be left half-changed: the caller must not go on (_exit()).
 * -EPERM for uid/gid 0 or group 0 in p, and when root could be regained;
 * -EINVAL for a malformed p; errors of the system calls otherwise.
 *
 * With p->userns (a container's user namespace, whose ids map to other host
 * ids), the process must be in a user namespace other than the initial one:
 * uid, gid and groups 0 are allowed there (a rootless container's user is
 * root inside it); SECBIT_NOROOT is locked on so that executing a program as
 * that uid 0 grants no capability, and the emptied bounding set and
 * no_new_privs are verified instead of the root checks. When the namespace
 * denies setgroups() (/proc/self/setgroups "deny"), the supplementary groups
 * are left as they are: the caller cleared them before joining it. */
int jobssh_privs_drop(const jobssh_privs_t *p, jobssh_error_t *err);

/* The ids of process pid as the caller's user namespace sees them, from
 * <proc_fd>/<pid>/status (proc_fd: an open /proc): real uid and gid, and
 * the supplementary groups (ids the namespace does not map are left out).
 * -EPERM when real, effective and saved ids differ. */
int jobssh_privs_of_pid(int proc_fd, pid_t pid, jobssh_privs_t *ret, jobssh_error_t *err);

/* 1 when the calling process is in the initial user namespace (its
 * /proc/self/uid_map maps every id to itself), 0 when not, -errno. */
int jobssh_privs_initial_userns(void);

/* Check that the process is p's user and unprivileged: real, effective and
 * saved uid and gid equal p's, the supplementary groups are p's, no
 * capability in any set (effective, permitted, inheritable, bounding,
 * ambient) and no_new_privs set. -EPERM naming the first difference. */
int jobssh_privs_verify(const jobssh_privs_t *p, jobssh_error_t *err);

#endif
