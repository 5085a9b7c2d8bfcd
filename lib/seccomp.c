/* seccomp.c - the daemon's system call filter (see seccomp.h). */
#include "config.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "seccomp.h"
#include "util.h"

#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#endif

#ifdef NATIVE_ARCH
/* The refused calls (those this architecture has). */
static const int refused[] = {
#ifdef __NR_kexec_load
    __NR_kexec_load,
#endif
#ifdef __NR_kexec_file_load
    __NR_kexec_file_load,
#endif
    __NR_init_module,
    __NR_finit_module,
    __NR_delete_module,
    __NR_swapon,
    __NR_swapoff,
    __NR_acct,
    __NR_settimeofday,
    __NR_clock_settime,
#ifdef __NR_iopl
    __NR_iopl,
#endif
#ifdef __NR_ioperm
    __NR_ioperm,
#endif
    __NR_open_by_handle_at,
    __NR_lookup_dcookie,
    __NR_vhangup,
};
#endif

int jobssh_seccomp_apply(jobssh_error_t *err)
{
#ifndef NATIVE_ARCH
    return jobssh_error_set(err, ENOSYS, "no system call filter for this architecture");
#else
    enum { N = JOBSSH_ELEMENTSOF(refused) };
    struct sock_filter prog[9 + 2 * N];
    size_t k = 0;

#define LD(off) (struct sock_filter) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (off))
#define RET(v)  (struct sock_filter) BPF_STMT(BPF_RET | BPF_K, (v))
/* equal: go on with the next instruction; else skip it */
#define JEQ(v)  (struct sock_filter) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (v), 0, 1)
    /* another ABI (i386 on x86_64): allowed, see seccomp.h */
    prog[k++] = LD(offsetof(struct seccomp_data, arch));
    prog[k++] = JEQ(NATIVE_ARCH);
    prog[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JA, 1, 0, 0);
    prog[k++] = RET(SECCOMP_RET_ALLOW);
    prog[k++] = LD(offsetof(struct seccomp_data, nr));
#if defined(__x86_64__)
    /* the x32 ABI: its numbers carry bit 30 */
    prog[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000U, 0, 1);
    prog[k++] = RET(SECCOMP_RET_ERRNO | EPERM);
#endif
    for (size_t i = 0; i < N; i++) {
        prog[k++] = JEQ((unsigned)refused[i]);
        prog[k++] = RET(SECCOMP_RET_ERRNO | EPERM);
    }
    prog[k++] = RET(SECCOMP_RET_ALLOW);
#undef LD
#undef RET
#undef JEQ
    struct sock_fprog fprog = {.len = (unsigned short)k, .filter = prog};
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog, 0, 0) < 0)
        return jobssh_error_set_errno(err, errno, "couldn't install the system call filter");
    return 0;
#endif
}
