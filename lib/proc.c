/* proc.c - facts about processes from /proc, and pidfds (see proc.h). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "proc.h"

/* The fields of /proc/<pid>/stat after the command name, which may itself
 * contain spaces and parentheses: field 3 onwards. */
static int stat_fields(pid_t pid, char *buf, size_t size, char **ret)
{
    char path[64];
    FILE *f;
    char *p;

    if (pid == 0)
        snprintf(path, sizeof(path), "/proc/self/stat");
    else
        snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    f = fopen(path, "re");
    if (!f)
        return -errno;
    p = fgets(buf, (int)size, f);
    fclose(f);
    if (!p || !(p = strrchr(buf, ')')) || p[1] != ' ')
        return -EINVAL;
    *ret = p + 2;
    return 0;
}

int jobssh_proc_starttime(pid_t pid, unsigned long long *ret)
{
    char buf[1024], *p;
    int r = stat_fields(pid, buf, sizeof(buf), &p);

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
    char buf[1024], *p;
    int ppid, r = stat_fields(pid, buf, sizeof(buf), &p);

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
