/* cgroup.h - move a process into the control groups of another one
 *
 * The ssh daemon and its sessions belong to the job: before it drops
 * privileges, the daemon's process joins the cgroups of the process it
 * serves (a step's task 0, or the extern step's sleeper). Slurm's proctrack
 * plugin then signals the sessions with the step, cgroup-based accounting
 * counts them, and the job's cgroup limits apply to them.
 *
 *   jobssh_cgroups_t cg;
 *   jobssh_cgroup_open(task_pid, &cg, &err);  // as root, in our own mount ns
 *   ... fork; in the child: jobssh_cgroup_enter(&cg, &err); drop privileges
 *   jobssh_cgroup_close(&cg);
 *
 * Only hierarchies where the target's cgroup differs from the caller's are
 * opened. cgroup v1 and v2 both work: the mount point of each hierarchy
 * comes from /proc/self/mountinfo, the cgroup from /proc/<pid>/cgroup (both
 * written by the kernel). */
#ifndef JOBSSH_CGROUP_H
#define JOBSSH_CGROUP_H

#include <stddef.h>
#include <sys/types.h>

#include "error.h"

#define JOBSSH_CGROUP_MAX 16

typedef struct jobssh_cgroups {
    size_t n;
    int fd[JOBSSH_CGROUP_MAX]; /* cgroup.procs of each hierarchy, O_WRONLY */
} jobssh_cgroups_t;

/* Open the cgroup.procs files of pid's cgroups that differ from ours.
 * *ret is always initialised (n = 0 on error). -ESRCH when pid is gone,
 * -ENOENT when a hierarchy's mount point is not found, errors of open. */
int jobssh_cgroup_open(pid_t pid, jobssh_cgroups_t *ret, jobssh_error_t *err);

/* Move the calling process into every cgroup of cg. */
int jobssh_cgroup_enter(const jobssh_cgroups_t *cg, jobssh_error_t *err);

void jobssh_cgroup_close(jobssh_cgroups_t *cg);

/* The parser of jobssh_cgroup_open(): for one line of /proc/<pid>/cgroup
 * ("ID:CONTROLLERS:PATH"), given our own /proc/self/cgroup and mountinfo
 * texts, the path of its cgroup.procs in buf: 1; 0 when we are in that
 * cgroup already; -EINVAL, -ENOENT, -ENAMETOOLONG. */
int jobssh_cgroup_procs_path(const char *line, const char *ours, const char *mountinfo, char *buf,
                             size_t size, jobssh_error_t *err);

#endif
