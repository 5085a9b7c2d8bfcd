/* path.c - symlink-free path walking, checks, mkdir and rmtree for root */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>
#ifdef SYS_openat2
#include <linux/openat2.h>
#endif

#include "path.h"
#include "util.h"

/* The next component of path after *pos (skipping '/'): false at the end. */
static bool next_component(const char *path, size_t *pos, size_t *ret_start, size_t *ret_len)
{
    size_t i = *pos, j;

    while (path[i] == '/')
        i++;
    if (!path[i])
        return false;
    for (j = i; path[j] && path[j] != '/'; j++)
        ;
    *ret_start = i;
    *ret_len = j - i;
    *pos = j;
    return true;
}

static bool at_end(const char *path, size_t pos)
{
    while (path[pos] == '/')
        pos++;
    return !path[pos];
}

/* Absolute, shorter than PATH_MAX, no "." or "..", components <= NAME_MAX. */
static int validate(const char *path, jobssh_error_t *err)
{
    size_t pos = 0, start, len;

    if (!path || path[0] != '/')
        return jobssh_error_set(err, EINVAL, "path '%s' is not absolute", path ? path : "(null)");
    if (strnlen(path, PATH_MAX) >= PATH_MAX)
        return jobssh_error_set(err, ENAMETOOLONG, "path '%.60s...' is too long", path);
    while (next_component(path, &pos, &start, &len)) {
        if ((len == 1 && path[start] == '.') ||
            (len == 2 && path[start] == '.' && path[start + 1] == '.'))
            return jobssh_error_set(err, EINVAL, "path '%s' has a '.' or '..' component", path);
        if (len > NAME_MAX)
            return jobssh_error_set(err, ENAMETOOLONG, "path '%s' has a component that is too long",
                                    path);
    }
    return 0;
}

static void component(const char *path, size_t start, size_t len, char name[NAME_MAX + 1])
{
    memcpy(name, path + start, len);
    name[len] = '\0';
}

/* shown = path[0..end): the part of the path the message is about */
static int check_one(const char *path, size_t end, const struct stat *st,
                     const jobssh_path_policy_t *pol, bool last, jobssh_error_t *err)
{
    const int n = (int)end;

    if (last && pol->final_uid != JOBSSH_PATH_ANY_UID) {
        if (st->st_uid != pol->final_uid)
            return jobssh_error_set(err, EPERM, "%.*s is owned by uid %u, expected %u", n, path,
                                    (unsigned)st->st_uid, (unsigned)pol->final_uid);
    } else if (st->st_uid != 0 && st->st_uid != pol->uid) {
        if (pol->uid == 0)
            return jobssh_error_set(err, EPERM, "%.*s is owned by uid %u, expected 0", n, path,
                                    (unsigned)st->st_uid);
        return jobssh_error_set(err, EPERM, "%.*s is owned by uid %u, expected 0 or %u", n, path,
                                (unsigned)st->st_uid, (unsigned)pol->uid);
    }
    if ((st->st_mode & (S_IWGRP | S_IWOTH)) &&
        !(pol->allow_sticky && S_ISDIR(st->st_mode) && (st->st_mode & S_ISVTX)))
        return jobssh_error_set(err, EPERM, "%.*s is %s-writable (mode %04o)", n, path,
                                (st->st_mode & S_IWOTH) ? "world" : "group",
                                (unsigned)(st->st_mode & 07777));
    if (!last)
        return 0;
    if (pol->final_type && (st->st_mode & S_IFMT) != pol->final_type)
        return jobssh_error_set(err, EINVAL, "%.*s is not a %s", n, path,
                                pol->final_type == S_IFDIR   ? "directory"
                                : pol->final_type == S_IFREG ? "regular file"
                                                             : "file of the required type");
    if (st->st_mode & pol->final_forbid)
        return jobssh_error_set(err, EPERM, "%.*s has mode %04o (bits %04o must be clear)", n, path,
                                (unsigned)(st->st_mode & 07777),
                                (unsigned)(pol->final_forbid & 07777));
    return 0;
}

int jobssh_path_check(const char *path, const jobssh_path_policy_t *pol, jobssh_error_t *err)
{
    _cleanup_close_ int fd = -1;
    size_t pos = 0, start, len;
    struct stat st;
    int r = validate(path, err);

    if (r < 0)
        return r;
    fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) < 0)
        return jobssh_error_set_errno(err, errno, "couldn't open /");
    r = check_one("/", 1, &st, pol, at_end(path, 0), err);
    if (r < 0)
        return r;
    while (next_component(path, &pos, &start, &len)) {
        char name[NAME_MAX + 1];
        bool last = at_end(path, pos);
        int nfd;

        component(path, start, len, name);
        /* O_PATH|O_NOFOLLOW opens a symlink itself, so fstat() can tell */
        nfd = openat(fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (nfd < 0)
            return jobssh_error_set_errno(err, errno, "couldn't open %.*s", (int)pos, path);
        close(fd);
        fd = nfd;
        if (fstat(fd, &st) < 0)
            return jobssh_error_set_errno(err, errno, "couldn't stat %.*s", (int)pos, path);
        if (S_ISLNK(st.st_mode))
            return jobssh_error_set(err, ELOOP, "%.*s is a symlink", (int)pos, path);
        if (!last && !S_ISDIR(st.st_mode))
            return jobssh_error_set(err, ENOTDIR, "%.*s is not a directory", (int)pos, path);
        r = check_one(path, pos, &st, pol, last, err);
        if (r < 0)
            return r;
    }
    return 0;
}

/* Component-by-component walk with O_NOFOLLOW. */
static int open_walk(const char *path, int flags, int *ret_fd, jobssh_error_t *err)
{
    _cleanup_close_ int fd = -1;
    size_t pos = 0, start, len;
    struct stat st;

    if (at_end(path, 0)) {
        fd = open("/", flags | O_CLOEXEC);
        if (fd < 0)
            return jobssh_error_set_errno(err, errno, "couldn't open /");
        *ret_fd = JOBSSH_TAKE_FD(fd);
        return 0;
    }
    fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return jobssh_error_set_errno(err, errno, "couldn't open /");
    while (next_component(path, &pos, &start, &len)) {
        char name[NAME_MAX + 1];
        bool last = at_end(path, pos);
        int nfd;

        component(path, start, len, name);
        nfd = openat(fd, name,
                     last ? flags | O_NOFOLLOW | O_CLOEXEC : O_PATH | O_NOFOLLOW | O_CLOEXEC);
        /* O_DIRECTORY on a symlink fails with ENOTDIR */
        if (nfd < 0 && (errno == ELOOP ||
                        (errno == ENOTDIR && fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                         S_ISLNK(st.st_mode))))
            return jobssh_error_set(err, ELOOP, "%.*s is a symlink", (int)pos, path);
        if (nfd < 0)
            return jobssh_error_set_errno(err, errno, "couldn't open %.*s", (int)pos, path);
        close(fd);
        fd = nfd;
        if (last && !(flags & O_PATH))
            break;
        if (fstat(fd, &st) < 0)
            return jobssh_error_set_errno(err, errno, "couldn't stat %.*s", (int)pos, path);
        if (S_ISLNK(st.st_mode))
            return jobssh_error_set(err, ELOOP, "%.*s is a symlink", (int)pos, path);
        if (!last && !S_ISDIR(st.st_mode))
            return jobssh_error_set(err, ENOTDIR, "%.*s is not a directory", (int)pos, path);
    }
    *ret_fd = JOBSSH_TAKE_FD(fd);
    return 0;
}

/* openat2 RESOLVE_NO_SYMLINKS: >= 0 fd, -ENOSYS when unavailable. */
static int open_resolve(const char *path, int flags)
{
#ifdef SYS_openat2
    struct open_how how = {
        .flags = (unsigned long long)(flags | O_NOFOLLOW | O_CLOEXEC),
        .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
    };
    long fd = syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));

    if (fd < 0)
        return -errno;
    return (int)fd;
#else
    return -ENOSYS;
#endif
}

int jobssh_path_open_nofollow(const char *path, int flags, int *ret_fd, jobssh_error_t *err)
{
    _cleanup_close_ int fd = -1;
    struct stat st;
    int r;

    if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE)
        return jobssh_error_set(err, EINVAL, "couldn't open %s: O_CREAT/O_TMPFILE not supported",
                                path ? path : "(null)");
    r = validate(path, err);
    if (r < 0)
        return r;
    fd = open_resolve(path, flags);
    if (fd < 0) {
        /* no openat2 (old kernel, or filtered: ENOSYS/EPERM/E2BIG), or a
         * symlink somewhere (ENOTDIR for a final one with O_DIRECTORY): the
         * walk works without it and names the component that is a symlink */
        r = fd;
        if (r != -ENOSYS && r != -EPERM && r != -E2BIG && r != -ELOOP && r != -ENOTDIR)
            return jobssh_error_set_errno(err, -r, "couldn't open %s", path);
        fd = -1;
        r = open_walk(path, flags, &fd, err);
        if (r < 0)
            return r;
    }
    /* with O_PATH a trailing symlink is opened rather than refused */
    if ((flags & O_PATH) && (fstat(fd, &st) < 0 || S_ISLNK(st.st_mode)))
        return jobssh_error_set(err, ELOOP, "%s is a symlink", path);
    *ret_fd = JOBSSH_TAKE_FD(fd);
    return 0;
}

/* "<path of dirfd>/<name>" for messages only. */
static const char *shown_name(int dirfd, const char *name, char *buf, size_t size)
{
    char proc[64], dir[PATH_MAX];
    ssize_t n;

    snprintf(proc, sizeof(proc), "/proc/self/fd/%d", dirfd);
    n = readlink(proc, dir, sizeof(dir) - 1);
    if (n <= 0) {
        snprintf(buf, size, "%s", name);
        return buf;
    }
    dir[n] = '\0';
    snprintf(buf, size, "%s/%s", strcmp(dir, "/") == 0 ? "" : dir, name);
    return buf;
}

static bool plain_name(const char *name)
{
    return name && name[0] && !strchr(name, '/') && strcmp(name, ".") != 0 &&
           strcmp(name, "..") != 0 && strlen(name) <= NAME_MAX;
}

/* How long an existing directory may look half-made (see below). */
#define MKDIR_SETTLE_TRIES 400
#define MKDIR_SETTLE_US    5000

/* st looks like a directory that another process has just made (0700) and
 * has not yet given the owner and mode it is about to check for. */
static bool half_made(const struct stat *st, mode_t mode, uid_t uid, gid_t gid)
{
    return (st->st_mode & 07777) == 0700 &&
           (mode != 0700 || st->st_uid != uid || (gid != JOBSSH_PATH_ANY_GID && st->st_gid != gid));
}

int jobssh_path_mkdir_at(int dirfd, const char *name, mode_t mode, uid_t uid, gid_t gid,
                         int *ret_fd, jobssh_error_t *err)
{
    _cleanup_close_ int fd = -1;
    char shown[PATH_MAX + NAME_MAX + 2];
    bool created;
    struct stat st;

    if (!plain_name(name) || (mode & ~07777) || uid == JOBSSH_PATH_ANY_UID)
        return jobssh_error_set(err, EINVAL, "mkdir: bad name '%s', mode %o or uid",
                                name ? name : "(null)", (unsigned)mode);
    shown_name(dirfd, name, shown, sizeof(shown));
    created = mkdirat(dirfd, name, 0700) == 0;
    if (!created && errno != EEXIST)
        return jobssh_error_set_errno(err, errno, "couldn't create directory %s", shown);
    fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        if ((e == ELOOP || e == ENOTDIR) && fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
            return S_ISLNK(st.st_mode)
                       ? jobssh_error_set(err, ELOOP, "%s is a symlink", shown)
                       : jobssh_error_set(err, ENOTDIR, "%s is not a directory", shown);
        return jobssh_error_set_errno(err, e, "couldn't open directory %s", shown);
    }
    if (fstat(fd, &st) < 0)
        return jobssh_error_set_errno(err, errno, "couldn't stat %s", shown);
    if (created) {
        /* ours only if it is still owned by us: else it was swapped */
        if (st.st_uid != geteuid())
            return jobssh_error_set(err, EPERM, "%s was replaced while being created", shown);
        if (fchown(fd, uid, gid) < 0)
            return jobssh_error_set_errno(err, errno, "couldn't chown %s to %u:%d", shown,
                                          (unsigned)uid, (int)gid);
        if (fchmod(fd, mode) < 0)
            return jobssh_error_set_errno(err, errno, "couldn't chmod %s to %04o", shown,
                                          (unsigned)mode);
        if (fstat(fd, &st) < 0)
            return jobssh_error_set_errno(err, errno, "couldn't stat %s", shown);
    } else {
        /* Another process creating it at the same time (the supervisors of
         * a node's steps, the prolog) makes it 0700 first, as we do: give
         * it a moment (bounded) to set the owner and mode. */
        for (unsigned i = 0; i < MKDIR_SETTLE_TRIES && half_made(&st, mode, uid, gid); i++) {
            usleep(MKDIR_SETTLE_US);
            if (fstat(fd, &st) < 0)
                return jobssh_error_set_errno(err, errno, "couldn't stat %s", shown);
        }
    }
    if (st.st_uid != uid)
        return jobssh_error_set(err, EPERM, "%s is owned by uid %u, expected %u", shown,
                                (unsigned)st.st_uid, (unsigned)uid);
    if (gid != JOBSSH_PATH_ANY_GID && st.st_gid != gid)
        return jobssh_error_set(err, EPERM, "%s has group %u, expected %u", shown,
                                (unsigned)st.st_gid, (unsigned)gid);
    if ((st.st_mode & 07777) != mode)
        return jobssh_error_set(err, EPERM, "%s has mode %04o, expected %04o", shown,
                                (unsigned)(st.st_mode & 07777), (unsigned)mode);
    if (ret_fd)
        *ret_fd = JOBSSH_TAKE_FD(fd);
    return 0;
}

struct rmtree {
    dev_t dev;                           /* file system of the top directory */
    char top[PATH_MAX + NAME_MAX + 2];   /* path of the top directory, for messages */
    size_t entries;                      /* entries seen so far */
    char shown[PATH_MAX + NAME_MAX + 2]; /* path of the current directory, for messages */
};

static int rm_contents(int dfd, struct rmtree *t, int depth, jobssh_error_t *err);

/* Remove entry name of dfd (whatever it is by now). Returns 0, 1 when it
 * changed under us and needs another pass, or -errno. */
static int rm_entry(int dfd, const char *name, struct rmtree *t, int depth, jobssh_error_t *err)
{
    _cleanup_close_ int fd = -1;
    size_t saved = strlen(t->shown);
    struct stat st;
    int r;

    if (unlinkat(dfd, name, 0) == 0 || errno == ENOENT)
        return 0;
    if (errno != EISDIR) {
        snprintf(t->shown + saved, sizeof(t->shown) - saved, "/%s", name);
        return jobssh_error_set_errno(err, errno, "couldn't remove %s", t->shown);
    }
    fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return 0;
        if (errno == ENOTDIR || errno == ELOOP) /* swapped for a file: next pass */
            return 1;
        snprintf(t->shown + saved, sizeof(t->shown) - saved, "/%s", name);
        return jobssh_error_set_errno(err, errno, "couldn't open %s", t->shown);
    }
    snprintf(t->shown + saved, sizeof(t->shown) - saved, "/%s", name);
    if (fstat(fd, &st) < 0) {
        r = jobssh_error_set_errno(err, errno, "couldn't stat %s", t->shown);
    } else if (st.st_dev != t->dev) {
        r = jobssh_error_set(err, EXDEV, "%s is on another file system (a mount point)", t->shown);
    } else if (depth + 1 > JOBSSH_PATH_RMTREE_MAX_DEPTH) {
        r = jobssh_error_set(err, ELOOP, "more than %d levels of directories in %s",
                             JOBSSH_PATH_RMTREE_MAX_DEPTH, t->top);
    } else {
        r = rm_contents(fd, t, depth + 1, err);
        if (r >= 0 && unlinkat(dfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT) {
            /* replaced or refilled meanwhile: the caller's next pass sees it again */
            if (errno == ENOTDIR || errno == ENOTEMPTY)
                r = 1;
            else
                r = jobssh_error_set_errno(err, errno, "couldn't remove directory %s", t->shown);
        }
    }
    if (r >= 0)
        t->shown[saved] = '\0';
    return r;
}

/* Empty the directory dfd; a few passes in case entries appear meanwhile. */
static int rm_contents(int dfd, struct rmtree *t, int depth, jobssh_error_t *err)
{
    _cleanup_closedir_ DIR *d = NULL;
    int dupfd = fcntl(dfd, F_DUPFD_CLOEXEC, 3);

    if (dupfd < 0 || !(d = fdopendir(dupfd))) {
        if (dupfd >= 0)
            close(dupfd);
        return jobssh_error_set_errno(err, errno, "couldn't read %s", t->shown);
    }
    for (int pass = 0; pass < 4; pass++) {
        bool found = false;
        struct dirent *de;

        rewinddir(d);
        while ((errno = 0, de = readdir(d))) {
            int r;

            if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                continue;
            if (++t->entries > JOBSSH_PATH_RMTREE_MAX_ENTRIES)
                return jobssh_error_set(err, E2BIG, "more than %d entries in %s",
                                        JOBSSH_PATH_RMTREE_MAX_ENTRIES, t->top);
            found = true;
            r = rm_entry(dfd, de->d_name, t, depth, err);
            if (r < 0)
                return r;
        }
        if (errno)
            return jobssh_error_set_errno(err, errno, "couldn't read %s", t->shown);
        if (!found)
            break;
    }
    return 0;
}

int jobssh_path_rmtree_at(int dirfd, const char *name, jobssh_error_t *err)
{
    _cleanup_close_ int fd = -1;
    struct rmtree t = {0};
    struct stat st;
    int r;

    if (!plain_name(name))
        return jobssh_error_set(err, EINVAL, "rmtree: bad name '%s'", name ? name : "(null)");
    shown_name(dirfd, name, t.shown, sizeof(t.shown));
    memcpy(t.top, t.shown, sizeof(t.top));
    fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return 0;
        if (errno != ENOTDIR && errno != ELOOP)
            return jobssh_error_set_errno(err, errno, "couldn't open %s", t.shown);
        /* a file or symlink: remove just that */
        if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
            return jobssh_error_set_errno(err, errno, "couldn't remove %s", t.shown);
        return 0;
    }
    if (fstat(fd, &st) < 0)
        return jobssh_error_set_errno(err, errno, "couldn't stat %s", t.shown);
    t.dev = st.st_dev;
    r = rm_contents(fd, &t, 0, err);
    if (r < 0)
        return r;
    if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
        return jobssh_error_set_errno(err, errno, "couldn't remove directory %s", t.top);
    return 0;
}

int jobssh_path_check_space(const char *path, jobssh_error_t *err)
{
    char dir[PATH_MAX];
    struct statvfs st;
    int r;

    if ((r = validate(path, err)) < 0)
        return r;
    (void)jobssh_strlcpy(dir, path, sizeof(dir));
    /* Up to the nearest existing directory: each round cuts a component. */
    for (unsigned i = 0;; i++) {
        if (statvfs(dir, &st) == 0)
            break;
        if ((errno != ENOENT && errno != ENOTDIR) || strcmp(dir, "/") == 0 || i >= PATH_MAX)
            return jobssh_error_set_errno(err, errno, "couldn't look at the file system of %s",
                                          dir);
        char *slash = strrchr(dir, '/');
        if (slash == dir)
            slash[1] = '\0';
        else
            *slash = '\0';
    }
    if (st.f_blocks == 0)
        return 0;
    if (st.f_bavail == 0)
        return jobssh_error_set(err, ENOSPC, "%s is on a full file system (no free blocks)", dir);
    if (st.f_files > 0 && st.f_favail == 0)
        return jobssh_error_set(err, ENOSPC, "%s is on a full file system (no free inodes)", dir);
    return 0;
}
