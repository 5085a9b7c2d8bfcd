/* record.c - which supervisor serves which container (see hook.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hook.h"
#include "lib/conf.h"
#include "lib/files.h"
#include "lib/path.h"
#include "lib/proc.h"
#include "lib/util.h"

#define RECORD_MAX 256

int jobssh_hook_record_dir(const jobssh_settings_t *s, bool privileged, const char *xdg,
                           uid_t host_uid, char *buf, size_t size, jobssh_error_t *err)
{
    int r;

    if (privileged)
        r = jobssh_snprintf(buf, size, "%s/oci-hook", s->rundir);
    else if (xdg && xdg[0])
        r = xdg[0] == '/' ? jobssh_snprintf(buf, size, "%s/jobssh-hook", xdg) : -EINVAL;
    else
        r = jobssh_snprintf(buf, size, "/run/user/%u/jobssh-hook", (unsigned)host_uid);
    if (r == -EINVAL)
        return jobssh_error_set(err, EINVAL, "XDG_RUNTIME_DIR=%.60s is not an absolute path", xdg);
    if (r < 0)
        return jobssh_error_set(err, ENAMETOOLONG, "the record directory's path is too long");
    return 0;
}

int jobssh_hook_record_open_dir(const char *dir, int *ret_fd, jobssh_error_t *err)
{
    _cleanup_close_ int parentfd = -1;
    char parent[PATH_MAX];
    char *slash;
    jobssh_path_policy_t pol = {
        .uid = geteuid(),
        .allow_sticky = true,
        .final_uid = JOBSSH_PATH_ANY_UID,
        .final_forbid = 022,
        .final_type = S_IFDIR,
    };
    int r;

    if (dir[0] != '/' || jobssh_strlcpy(parent, dir, sizeof(parent)) < 0)
        return jobssh_error_set(err, EINVAL, "%.100s is not an absolute path", dir);
    slash = strrchr(parent, '/');
    if (slash == parent || !slash[1])
        return jobssh_error_set(err, EINVAL, "%.100s can't hold records", dir);
    *slash = '\0';
    /* The parent: nobody but root and the caller may rename or plant in it.
     * A missing one (<rundir> on a host without Slurm) is made, 0755. */
    r = jobssh_path_check(parent, &pol, err);
    if (r == -ENOENT) {
        _cleanup_close_ int gpfd = -1, pfd = -1;
        char gp[PATH_MAX];
        char *s2;
        memcpy(gp, parent, sizeof(gp));
        s2 = strrchr(gp, '/');
        if (s2 != gp && s2[1]) {
            *s2 = '\0';
            if (jobssh_path_check(gp, &pol, NULL) >= 0 &&
                jobssh_path_open_nofollow(gp, O_RDONLY | O_DIRECTORY, &gpfd, NULL) >= 0)
                (void)jobssh_path_mkdir_at(gpfd, s2 + 1, 0755, geteuid(), JOBSSH_PATH_ANY_GID, &pfd,
                                           NULL);
        }
        r = jobssh_path_check(parent, &pol, err);
    }
    /* (The error texts name the path already.) */
    if (r < 0)
        return r;
    if ((r = jobssh_path_open_nofollow(parent, O_RDONLY | O_DIRECTORY, &parentfd, err)) < 0)
        return r;
    r = jobssh_path_mkdir_at(parentfd, slash + 1, 0700, geteuid(), JOBSSH_PATH_ANY_GID, ret_fd,
                             err);
    return r < 0 ? r : 0;
}

static int check_id(const char *id, jobssh_error_t *err)
{
    if (!jobssh_hook_id_valid(id))
        return jobssh_error_set(err, EINVAL, "'%.60s' is not a container id", id);
    return 0;
}

int jobssh_hook_record_write(int dirfd, const char *id, const jobssh_hook_record_t *rec,
                             jobssh_error_t *err)
{
    char text[RECORD_MAX];
    int n, r;

    if ((r = check_id(id, err)) < 0)
        return r;
    if (rec->pid <= 0)
        return jobssh_error_set(err, EINVAL, "record of %s: pid %d", id, (int)rec->pid);
    n = snprintf(text, sizeof(text), "pid = %d\nstarttime = %llu\n", (int)rec->pid, rec->starttime);
    return jobssh_files_write_at(dirfd, id, text, (size_t)n, 0600, err);
}

typedef struct raw_record {
    uint64_t pid, starttime;
} raw_record_t;

static const jobssh_conf_key_t record_keys[] = {
    JOBSSH_CONF_KEY(raw_record_t, "pid", JOBSSH_CONF_UINT, pid, .min = 1, .max = INT32_MAX,
                    .required = true),
    JOBSSH_CONF_KEY(raw_record_t, "starttime", JOBSSH_CONF_UINT, starttime, .required = true),
    {NULL},
};

int jobssh_hook_record_read(int dirfd, const char *id, jobssh_hook_record_t *ret,
                            jobssh_error_t *err)
{
    _cleanup_close_ int fd = -1;
    _cleanup_free_ char *text = NULL;
    raw_record_t raw = {0};
    struct stat st;
    size_t len;
    int r;

    if ((r = check_id(id, err)) < 0)
        return r;
    fd = openat(dirfd, id, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return -ENOENT;
        if (errno == ELOOP)
            return jobssh_error_set(err, ELOOP, "the record of %s is a symlink", id);
        return jobssh_error_set_errno(err, errno, "couldn't open the record of %s", id);
    }
    if (fstat(fd, &st) < 0)
        return jobssh_error_set_errno(err, errno, "couldn't stat the record of %s", id);
    if (!S_ISREG(st.st_mode))
        return jobssh_error_set(err, EINVAL, "the record of %s is not a regular file", id);
    if (st.st_uid != geteuid() || (st.st_mode & 022))
        return jobssh_error_set(err, EPERM,
                                "the record of %s is not the record of uid %u (owner %u, mode "
                                "%04o)",
                                id, (unsigned)geteuid(), (unsigned)st.st_uid,
                                (unsigned)(st.st_mode & 07777));
    if ((r = jobssh_read_fd(fd, RECORD_MAX, &text, &len)) < 0)
        return jobssh_error_set_errno(err, -r, "couldn't read the record of %s", id);
    if ((r = jobssh_conf_parse_text(record_keys, text, len, "record", &raw, sizeof(raw), err)) < 0)
        return jobssh_error_prefix(err, -r, "the record of %s", id);
    ret->pid = (pid_t)raw.pid;
    ret->starttime = raw.starttime;
    return 0;
}

int jobssh_hook_record_remove(int dirfd, const char *id, jobssh_error_t *err)
{
    int r;

    if ((r = check_id(id, err)) < 0)
        return r;
    if (unlinkat(dirfd, id, 0) < 0)
        return errno == ENOENT
                   ? 0
                   : jobssh_error_set_errno(err, errno, "couldn't remove the record of %s", id);
    return 1;
}

/* Is rec's process still the one recorded? */
static bool same_process(const jobssh_hook_record_t *rec)
{
    unsigned long long start;

    return jobssh_proc_starttime(rec->pid, &start) >= 0 && start == rec->starttime;
}

/* Signal rec's process through pidfd (when >= 0) or its pid. */
static int send_signal(const jobssh_hook_record_t *rec, int pidfd, int sig)
{
#ifdef SYS_pidfd_send_signal
    if (pidfd >= 0)
        return syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0 ? -errno : 0;
#endif
    return kill(rec->pid, sig) < 0 ? -errno : 0;
}

/* Wait until it has gone: the pidfd polls readable, or the pid no longer
 * names the recorded process. */
static bool wait_gone(const jobssh_hook_record_t *rec, int pidfd, long deadline)
{
    for (;;) {
        long left = deadline - jobssh_now_ms();
        if (pidfd >= 0) {
            struct pollfd p = {.fd = pidfd, .events = POLLIN};
            if (poll(&p, 1, left > 0 ? (int)left : 0) > 0)
                return true;
        } else {
            if (!same_process(rec))
                return true;
            if (left > 0)
                usleep(10000);
        }
        if (left <= 0)
            return pidfd >= 0 ? false : !same_process(rec);
    }
}

int jobssh_hook_record_stop(const jobssh_hook_record_t *rec, int timeout_ms, jobssh_error_t *err)
{
    _cleanup_close_ int pidfd = jobssh_proc_pidfd(rec->pid);
    int r;

    /* The pidfd first, then the check: the pidfd names the process we
     * checked even if the pid is reused meanwhile. */
    if (!same_process(rec))
        return 0;
    if (pidfd < 0 && pidfd != -ENOSYS)
        return same_process(rec) ? jobssh_error_set_errno(err, -pidfd, "pidfd of %d", rec->pid) : 0;
    if ((r = send_signal(rec, pidfd, SIGTERM)) < 0)
        return r == -ESRCH ? 0 : jobssh_error_set_errno(err, -r, "couldn't signal %d", rec->pid);
    if (wait_gone(rec, pidfd, jobssh_now_ms() + timeout_ms))
        return 1;
    if ((r = send_signal(rec, pidfd, SIGKILL)) < 0 && r != -ESRCH)
        return jobssh_error_set_errno(err, -r, "couldn't kill %d", rec->pid);
    if (!wait_gone(rec, pidfd, jobssh_now_ms() + 5000))
        return jobssh_error_set(err, ETIMEDOUT, "process %d did not end after SIGKILL",
                                (int)rec->pid);
    return 2;
}
