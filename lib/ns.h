/* ns.h - join the namespaces of another process (or a pinned namespace file)
 *
 * All namespace joining of jobssh happens here. The caller must be
 * single-threaded when joining a user or mount namespace (the kernel refuses
 * otherwise): in a multithreaded program such as slurmstepd, fork first and
 * join in the child. Joining a PID namespace affects only children forked
 * afterwards. Errors name the namespace and the process:
 * "couldn't join mount namespace of pid 1234: Operation not permitted".
 */
#ifndef JOBSSH_NS_H
#define JOBSSH_NS_H

#include <sys/types.h>

#include "error.h"

enum {
    JOBSSH_NS_USER = 1 << 0,
    JOBSSH_NS_MNT = 1 << 1,
    JOBSSH_NS_UTS = 1 << 2,
    JOBSSH_NS_IPC = 1 << 3,
    JOBSSH_NS_NET = 1 << 4,
    JOBSSH_NS_PID = 1 << 5,
    JOBSSH_NS_CGROUP = 1 << 6,
    JOBSSH_NS_ALL = (1 << 7) - 1,
};

/* Join the namespaces of pid selected by flags (JOBSSH_NS_*). First every
 * /proc/<pid>/ns/<name> is opened (with a pidfd, when the kernel has them,
 * to make sure they all belong to the same live process); namespaces we
 * already share are skipped; then the rest are joined, the user namespace
 * first, then mount, then the others (in one setns() on the pidfd when the
 * kernel supports that). After joining a mount namespace the working
 * directory is "/". On failure nothing is joined when the failure happened
 * while opening; a failure while joining may leave some namespaces joined:
 * the caller must give up (_exit() in a forked child). Errors: -ESRCH (no
 * such process), -EINVAL (bad pid or flags), errors of open and setns. */
int jobssh_ns_join(pid_t pid, unsigned flags, jobssh_error_t *err);

/* Join the namespace pinned at nsfile (e.g. job_container/tmpfs's
 * <BasePath>/<node>/<jobid>/.ns) whose type must be nstype (CLONE_NEWNS,
 * CLONE_NEWUTS, ...; 0: any). A namespace we are already in is a no-op.
 * chdir("/") after joining a mount namespace. -EINVAL when the file is not
 * a namespace of that type. nsfile is opened like open(2) does (symlinks
 * such as /proc/<pid>/ns/mnt are followed): it must come from a trusted,
 * root-owned location. */
int jobssh_ns_join_path(const char *nsfile, int nstype, jobssh_error_t *err);

/* "mount", "user", "UTS", ... for one JOBSSH_NS_* flag or CLONE_NEW* type;
 * "unknown" otherwise. */
const char *jobssh_ns_name(unsigned flag_or_type);

#endif
