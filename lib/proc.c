/* proc.c - facts about processes from /proc, and pidfds (see proc.h). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "proc.h"
#include "util.h"

#define LISTENERS_MAX  64      /* listening sockets on one port we look at */
#define NET_LINES_MAX  1000000 /* lines of /proc/self/net/tcp{,6} */
#define FD_ENTRIES_MAX 65536   /* entries of /proc/<pid>/fd */
#define TCP_LISTEN     0x0a    /* the "st" column of a listening socket */

/* The fields of <proc>/<pid>/stat after the command name, which may itself
 * contain spaces and parentheses: field 3 onwards. proc_fd: an open /proc,
 * or -1 for "/proc"; pid 0: this process. */
static int stat_fields(int proc_fd, pid_t pid, char *buf, size_t size, char **ret)
{
    char path[64];
    ssize_t n;
    int fd;
    char *p;

    if (pid == 0)
        snprintf(path, sizeof(path), "%sself/stat", proc_fd < 0 ? "/proc/" : "");
    else
        snprintf(path, sizeof(path), "%s%d/stat", proc_fd < 0 ? "/proc/" : "", (int)pid);
    fd = openat(proc_fd < 0 ? AT_FDCWD : proc_fd, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    n = read(fd, buf, size - 1);
    close(fd);
    if (n <= 0)
        return n < 0 ? -errno : -EINVAL;
    buf[n] = '\0';
    if (!(p = strrchr(buf, ')')) || p[1] != ' ')
        return -EINVAL;
    *ret = p + 2;
    return 0;
}

int jobssh_proc_starttime(pid_t pid, unsigned long long *ret)
{
    char buf[1024], *p;
    int r = stat_fields(-1, pid, buf, sizeof(buf), &p);

    if (r < 0)
        return r;
    /* p is field 3; starttime is field 22 */
    for (int i = 3; i < 22; i++) {
        p = strchr(p, ' ');
        if (!p)
            return -EINVAL;
        p++;
    }
    *ret = strtoull(p, NULL, 10);
    return 0;
}

int jobssh_proc_ppid(pid_t pid, pid_t *ret)
{
    return jobssh_proc_ppid_at(-1, pid, ret);
}

int jobssh_proc_ppid_at(int proc_fd, pid_t pid, pid_t *ret)
{
    char buf[1024], *p;
    int ppid, r = stat_fields(proc_fd, pid, buf, sizeof(buf), &p);

    if (r < 0)
        return r;
    if (sscanf(p, "%*c %d", &ppid) != 1)
        return -EINVAL;
    *ret = (pid_t)ppid;
    return 0;
}

int jobssh_proc_pidfd(pid_t pid)
{
#ifdef SYS_pidfd_open
    long fd = syscall(SYS_pidfd_open, pid, 0);
    return fd < 0 ? -errno : (int)fd;
#else
    (void)pid;
    return -ENOSYS;
#endif
}

typedef struct listeners {
    unsigned long inode[LISTENERS_MAX];
    bool held[LISTENERS_MAX];
    size_t n;
} listeners_t;

/* Add the inodes of the sockets listening on port from one of
 * /proc/self/net/tcp and tcp6 (a line: "sl: local:port remote:port st ...
 * uid timeout inode"). A missing file (no IPv6) lists nothing. */
static int net_listeners(int proc_fd, const char *name, unsigned short port, listeners_t *l)
{
    _cleanup_fclose_ FILE *f = NULL;
    char line[512];
    int fd = openat(proc_fd, name, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return errno == ENOENT ? 0 : -errno;
    f = fdopen(fd, "re");
    if (!f) {
        close(fd);
        return -errno;
    }
    for (unsigned i = 0; i < NET_LINES_MAX && fgets(line, sizeof(line), f); i++) {
        unsigned lport, st;
        unsigned long inode;

        if (sscanf(line,
                   " %*u: %*[0-9A-Fa-f]:%x %*[0-9A-Fa-f]:%*x %x %*x:%*x %*x:%*x %*x %*u %*d %lu",
                   &lport, &st, &inode) != 3 ||
            lport != port || st != TCP_LISTEN)
            continue;
        if (l->n == LISTENERS_MAX)
            return -E2BIG;
        l->inode[l->n++] = inode;
    }
    return ferror(f) ? -EIO : 0;
}

int jobssh_proc_holds_listeners(int proc_fd, pid_t pid, unsigned short port)
{
    _cleanup_close_ int own = -1;
    _cleanup_closedir_ DIR *d = NULL;
    listeners_t l = {.n = 0};
    struct dirent *de;
    char name[64];
    int fd, r;

    if (proc_fd < 0) {
        own = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (own < 0)
            return -errno;
        proc_fd = own;
    }
    if ((r = net_listeners(proc_fd, "self/net/tcp", port, &l)) < 0 ||
        (r = net_listeners(proc_fd, "self/net/tcp6", port, &l)) < 0)
        return r;
    if (l.n == 0)
        return -ENOENT;
    snprintf(name, sizeof(name), "%d/fd", (int)pid);
    fd = openat(proc_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    d = fdopendir(fd);
    if (!d) {
        close(fd);
        return -errno;
    }
    for (unsigned n = 0; n < FD_ENTRIES_MAX && (de = readdir(d)); n++) {
        char link[64];
        unsigned long inode;
        ssize_t len = readlinkat(dirfd(d), de->d_name, link, sizeof(link) - 1);

        if (len <= 0)
            continue;
        link[len] = '\0';
        if (sscanf(link, "socket:[%lu]", &inode) != 1)
            continue;
        for (size_t i = 0; i < l.n; i++)
            if (l.inode[i] == inode)
                l.held[i] = true;
    }
    for (size_t i = 0; i < l.n; i++)
        if (!l.held[i])
            return 0;
    return 1;
}
