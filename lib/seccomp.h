/* seccomp.h - the daemon's system call filter
 *
 * Dropbear and every session inherit it. It refuses (EPERM), for the
 * native system call ABI, only calls that need a capability of the
 * initial user namespace, which a job never has: loading kernels and
 * modules, swap, process accounting, setting the clock, port I/O,
 * open_by_handle_at and lookup_dcookie, vhangup. For the job they fail
 * with EPERM anyway; the filter keeps a kernel bug in those paths out of
 * reach. Calls a job may need inside user namespaces (mount, pivot_root,
 * unshare, setns, reboot of a PID namespace) and debugging (ptrace,
 * perf_event_open, bpf) stay allowed. On x86_64, x32-ABI calls are refused;
 * i386-ABI calls are not filtered.
 *
 * Requires no_new_privs (set by jobssh_privs_drop) or CAP_SYS_ADMIN. */
#ifndef JOBSSH_SECCOMP_H
#define JOBSSH_SECCOMP_H

#include "error.h"

/* Install the filter on the calling thread (and its future children).
 * -ENOSYS when the architecture is not supported. */
int jobssh_seccomp_apply(jobssh_error_t *err);

#endif
