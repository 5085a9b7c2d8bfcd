/* ns.c - namespace joining */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ns.h"
#include "proc.h"
#include "util.h"

/* In joining order: user first, then mount, then the rest. */
static const struct nsinfo {
    unsigned flag;
    int type;         /* CLONE_NEW* */
    const char *file; /* under /proc/<pid>/ns/ */
    const char *name; /* for messages */
} nstab[] = {
    {JOBSSH_NS_USER, CLONE_NEWUSER, "user", "user"},
    {JOBSSH_NS_MNT, CLONE_NEWNS, "mnt", "mount"},
    {JOBSSH_NS_UTS, CLONE_NEWUTS, "uts", "UTS"},
    {JOBSSH_NS_IPC, CLONE_NEWIPC, "ipc", "IPC"},
    {JOBSSH_NS_NET, CLONE_NEWNET, "net", "network"},
    {JOBSSH_NS_PID, CLONE_NEWPID, "pid", "PID"},
    {JOBSSH_NS_CGROUP, CLONE_NEWCGROUP, "cgroup", "cgroup"},
};

#define NNS JOBSSH_ELEMENTSOF(nstab)

const char *jobssh_ns_name(unsigned flag_or_type)
{
    for (size_t i = 0; i < NNS; i++)
        if (flag_or_type == nstab[i].flag || flag_or_type == (unsigned)nstab[i].type)
            return nstab[i].name;
    return "unknown";
}

static const struct nsinfo *by_type(int type)
{
    for (size_t i = 0; i < NNS; i++)
        if (type == nstab[i].type)
            return &nstab[i];
    return NULL;
}

/* Is the namespace open at fd the one we are in already? */
static bool already_in(int fd, const char *file)
{
    char path[64];
    struct stat a, b;

    snprintf(path, sizeof(path), "/proc/self/ns/%s", file);
    return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
           a.st_ino == b.st_ino;
}

static bool pidfd_alive(int pidfd)
{
#ifdef SYS_pidfd_send_signal
    return syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) == 0 || errno != ESRCH;
#else
    return true;
#endif
}

static void close_all(int fds[NNS])
{
    for (size_t i = 0; i < NNS; i++)
        if (fds[i] >= 0)
            close(fds[i]);
}

/* Open the selected namespaces of pid, -1 for those we share. */
static int open_all(pid_t pid, unsigned flags, int fds[NNS], jobssh_error_t *err)
{
    for (size_t i = 0; i < NNS; i++)
        fds[i] = -1;
    for (size_t i = 0; i < NNS; i++) {
        char path[64];
        int fd;

        if (!(flags & nstab[i].flag))
            continue;
        snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, nstab[i].file);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            int e = errno;
            char dir[32];

            close_all(fds);
            snprintf(dir, sizeof(dir), "/proc/%d", (int)pid);
            if (e == ENOENT && access(dir, F_OK) < 0)
                return jobssh_error_set(err, ESRCH, "no process with pid %d", (int)pid);
            return jobssh_error_set_errno(err, e, "couldn't open %s namespace of pid %d",
                                          nstab[i].name, (int)pid);
        }
        if (already_in(fd, nstab[i].file))
            close(fd);
        else
            fds[i] = fd;
    }
    return 0;
}

static int join_mnt_done(pid_t pid, jobssh_error_t *err)
{
    if (chdir("/") < 0)
        return jobssh_error_set_errno(err, errno,
                                      "couldn't chdir to / in mount namespace of pid %d", (int)pid);
    return 0;
}

int jobssh_ns_join(pid_t pid, unsigned flags, jobssh_error_t *err)
{
    _cleanup_close_ int pidfd = -1;
    int fds[NNS], mask = 0, r;

    if (pid <= 0 || (flags & ~(unsigned)JOBSSH_NS_ALL))
        return jobssh_error_set(err, EINVAL, "can't join namespaces of pid %d (flags 0x%x)",
                                (int)pid, flags);
    if (flags == 0)
        return 0;
    /* the pidfd pins the process: if it is still alive after all files
     * are open, they are its namespaces and not those of a pid reused */
    pidfd = jobssh_proc_pidfd(pid);
    if (pidfd == -ESRCH)
        return jobssh_error_set(err, ESRCH, "no process with pid %d", (int)pid);
    r = open_all(pid, flags, fds, err);
    if (r < 0)
        return r;
    if (pidfd >= 0 && !pidfd_alive(pidfd)) {
        close_all(fds);
        return jobssh_error_set(err, ESRCH, "pid %d exited while joining its namespaces", (int)pid);
    }
    for (size_t i = 0; i < NNS; i++)
        if (fds[i] >= 0)
            mask |= nstab[i].type;
    if (mask == 0)
        return 0;
    /* all at once through the pidfd (Linux >= 5.8); on any failure, one
     * by one, which names the namespace that fails */
    if (pidfd >= 0 && setns(pidfd, mask) == 0) {
        close_all(fds);
        return (mask & CLONE_NEWNS) ? join_mnt_done(pid, err) : 0;
    }
    for (size_t i = 0; i < NNS; i++) {
        if (fds[i] < 0)
            continue;
        if (setns(fds[i], nstab[i].type) < 0) {
            r = jobssh_error_set_errno(err, errno, "couldn't join %s namespace of pid %d",
                                       nstab[i].name, (int)pid);
            close_all(fds);
            return r;
        }
    }
    close_all(fds);
    return (mask & CLONE_NEWNS) ? join_mnt_done(pid, err) : 0;
}

int jobssh_ns_join_path(const char *nsfile, int nstype, jobssh_error_t *err)
{
    _cleanup_close_ int fd = -1;
    const struct nsinfo *want = NULL, *is;
    int type;

    if (nstype && !(want = by_type(nstype)))
        return jobssh_error_set(err, EINVAL, "unknown namespace type 0x%x", (unsigned)nstype);
    fd = open(nsfile, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return jobssh_error_set_errno(err, errno, "couldn't open %s namespace file %s",
                                      want ? want->name : "a", nsfile);
    type = ioctl(fd, NS_GET_NSTYPE);
    if (type < 0 || !(is = by_type(type)))
        return jobssh_error_set(err, EINVAL, "%s is not a namespace file", nsfile);
    if (want && want != is)
        return jobssh_error_set(err, EINVAL, "%s is a %s namespace, not a %s namespace", nsfile,
                                is->name, want->name);
    if (already_in(fd, is->file))
        return 0;
    if (setns(fd, type) < 0)
        return jobssh_error_set_errno(err, errno, "couldn't join %s namespace at %s", is->name,
                                      nsfile);
    if (type == CLONE_NEWNS && chdir("/") < 0)
        return jobssh_error_set_errno(err, errno, "couldn't chdir to / in mount namespace at %s",
                                      nsfile);
    return 0;
}
