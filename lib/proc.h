/* proc.h - facts about processes from /proc, and pidfds. */
#ifndef JOBSSH_PROC_H
#define JOBSSH_PROC_H

#include <sys/types.h>

/* Start time of pid (0: this process) in clock ticks since boot, field 22 of
 * /proc/<pid>/stat: with the pid it names one process for good. */
int jobssh_proc_starttime(pid_t pid, unsigned long long *ret);

/* Parent pid of pid, field 4 of /proc/<pid>/stat. */
int jobssh_proc_ppid(pid_t pid, pid_t *ret);
/* The same from proc_fd, an open /proc (another pid namespace's), or -1. */
int jobssh_proc_ppid_at(int proc_fd, pid_t pid, pid_t *ret);

/* pidfd_open(pid): an fd that names the process even after its pid is
 * reused. -ENOSYS where the kernel lacks it. */
int jobssh_proc_pidfd(pid_t pid);

/* Does process pid hold every TCP socket that listens on port (IPv4 and
 * IPv6) in the caller's network namespace? proc_fd is an open /proc whose
 * pids are the caller's (-1: "/proc"). 1: yes, and there is at least one;
 * 0: another process holds one of them; -ENOENT: nothing listens on port;
 * another -errno when /proc could not be read. */
int jobssh_proc_holds_listeners(int proc_fd, pid_t pid, unsigned short port);

#endif
