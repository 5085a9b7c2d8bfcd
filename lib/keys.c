/* keys.c - the per-job key directory (see keys.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "files.h"
#include "keys.h"
#include "path.h"
#include "spawn.h"
#include "util.h"

#define TOOL_TIMEOUT_MS 30000
#define TOOL_OUTPUT_MAX 4096

int jobssh_keys_dir(const jobssh_settings_t *s, const char *user, uint32_t jobid, char *buf,
                    size_t size, jobssh_error_t *err)
{
    if (!user[0] || strchr(user, '/') || user[0] == '.')
        return jobssh_error_set(err, EINVAL, "bad user name '%.64s'", user);
    if (jobssh_snprintf(buf, size, "%s/%s/%u", s->basedir, user, jobid) < 0)
        return jobssh_error_set(err, ENAMETOOLONG, "basedir=%s: path too long", s->basedir);
    return 0;
}

/* The base directory: root's, no symlink anywhere, writable by others only
 * when sticky. Returns an fd of it. */
static int open_basedir(const jobssh_settings_t *s, int *ret_fd, jobssh_error_t *err)
{
    jobssh_path_policy_t pol = {
        .uid = 0,
        .allow_sticky = true,
        .final_uid = 0,
        .final_type = S_IFDIR,
    };
    int r = jobssh_path_check(s->basedir, &pol, err);

    if (r < 0)
        return jobssh_error_prefix(err, -r, "basedir=%s is not safe", s->basedir);
    r = jobssh_path_open_nofollow(s->basedir, O_RDONLY | O_DIRECTORY, ret_fd, err);
    if (r < 0)
        return jobssh_error_prefix(err, -r, "basedir=%s", s->basedir);
    return 0;
}

/* Run a Dropbear tool, capturing its standard output. */
static int run_tool(const jobssh_settings_t *s, const char *name, char *const argv[], char *out,
                    size_t outsize, jobssh_error_t *err)
{
    char prog[PATH_MAX], buf[64];
    char *const envp[] = {"PATH=/usr/bin:/bin", NULL};
    _cleanup_close_ int rd = -1, wr = -1;
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    int pipefd[2], status = 0, r;
    pid_t pid;

    if (jobssh_settings_program(s, name, prog, sizeof(prog), err) < 0)
        return -ENAMETOOLONG;
    if (pipe2(pipefd, O_CLOEXEC) < 0)
        return jobssh_error_set_errno(err, errno, "pipe");
    rd = pipefd[0];
    wr = pipefd[1];
    jobssh_spawn_t o = {
        .path = prog,
        .argv = argv,
        .envp = envp,
        .stdin_fd = JOBSSH_SPAWN_DEVNULL,
        .stdout_fd = wr,
        .stderr_fd = wr,
    };
    r = jobssh_spawn(&o, &pid, err);
    if (r < 0)
        return r;
    close(JOBSSH_TAKE_FD(wr));
    r = jobssh_read_fd(rd, TOOL_OUTPUT_MAX, &text, &len);
    if (jobssh_spawn_wait(pid, TOOL_TIMEOUT_MS, &status, err) < 0) {
        (void)jobssh_spawn_kill(pid, 1000);
        return jobssh_error_set(err, ETIMEDOUT, "%s did not finish", prog);
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return jobssh_error_set(err, EIO, "%s %s: %.80s", prog, jobssh_status_str(status, buf),
                                r >= 0 && text ? text : "");
    if (r < 0)
        return jobssh_error_set_errno(err, -r, "couldn't read the output of %s", prog);
    if (jobssh_strlcpy(out, text ? text : "", outsize) < 0)
        return jobssh_error_set(err, E2BIG, "%s printed too much", prog);
    return 0;
}

/* The "ssh-ed25519 AAAA..." line of dropbearkey's output. */
static int public_line(const char *out, char *buf, size_t size)
{
    const char *p = strstr(out, "ssh-ed25519 ");
    size_t n;

    if (!p)
        return -EINVAL;
    n = strcspn(p, "\r\n");
    if (n >= size)
        return -E2BIG;
    memcpy(buf, p, n);
    buf[n] = '\0';
    /* drop dropbearkey's "user@host" comment: type and blob only */
    char *sp = strchr(buf, ' ');
    if (sp && (sp = strchr(sp + 1, ' ')))
        *sp = '\0';
    return 0;
}

static int make_key(const jobssh_settings_t *s, const char *dir, const char *name, char *pub,
                    size_t pubsize, jobssh_error_t *err)
{
    char path[PATH_MAX], out[TOOL_OUTPUT_MAX];
    int r;

    if (jobssh_snprintf(path, sizeof(path), "%s/%s", dir, name) < 0)
        return jobssh_error_set(err, ENAMETOOLONG, "%s/%s: path too long", dir, name);
    char *const argv[] = {"dropbearkey", "-t", "ed25519", "-f", path, NULL};
    r = run_tool(s, "dropbearkey", argv, out, sizeof(out), err);
    if (r < 0)
        return r;
    if (public_line(out, pub, pubsize) < 0)
        return jobssh_error_set(err, EINVAL, "dropbearkey printed no ed25519 public key");
    return 0;
}

/* Fill the new directory dirfd (path dir) with a key set; comment ends the
 * public key lines ("jobssh-<jobid>"). */
static int fill_key_dir(const jobssh_settings_t *s, int dirfd, const char *dir, const char *comment,
                        jobssh_error_t *err)
{
    char hostpub[512], userpub[512], line[700], src[PATH_MAX], dst[PATH_MAX], out[TOOL_OUTPUT_MAX];
    int r;

    if ((r = make_key(s, dir, "host_ed25519", hostpub, sizeof(hostpub), err)) < 0 ||
        (r = make_key(s, dir, "id_dropbear", userpub, sizeof(userpub), err)) < 0)
        return r;
    if (jobssh_snprintf(src, sizeof(src), "%s/id_dropbear", dir) < 0 ||
        jobssh_snprintf(dst, sizeof(dst), "%s/id_ed25519", dir) < 0)
        return jobssh_error_set(err, ENAMETOOLONG, "%s: path too long", dir);
    char *const conv[] = {"dropbearconvert", "dropbear", "openssh", src, dst, NULL};
    if ((r = run_tool(s, "dropbearconvert", conv, out, sizeof(out), err)) < 0)
        return r;
    snprintf(line, sizeof(line), "%s\n", hostpub);
    if ((r = jobssh_files_write_at(dirfd, "host_ed25519.pub", line, strlen(line), 0600, err)) < 0)
        return r;
    snprintf(line, sizeof(line), "%s %s\n", userpub, comment);
    if ((r = jobssh_files_write_at(dirfd, "id_ed25519.pub", line, strlen(line), 0600, err)) < 0)
        return r;
    /* The key logs in to the job's daemons only; no forwarding through it. */
    snprintf(line, sizeof(line), "no-port-forwarding,no-agent-forwarding,no-X11-forwarding %s %s\n",
             userpub, comment);
    return jobssh_files_write_at(dirfd, "authorized_keys", line, strlen(line), 0600, err);
}

/* An existing job directory must be the user's, private, and complete. */
static int check_job_dir(int userfd, const char *name, const char *path, jobssh_error_t *err)
{
    _cleanup_close_ int fd = -1;
    struct stat st;

    fd = openat(userfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        if (e == ENOENT)
            return 0;
        /* Name what is there instead (O_DIRECTORY on a symlink: ENOTDIR). */
        if (fstatat(userfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            return jobssh_error_set_errno(err, e, "couldn't open %s", path);
        if (S_ISLNK(st.st_mode))
            return jobssh_error_set(err, ELOOP, "%s is a symlink", path);
        if (!S_ISDIR(st.st_mode))
            return jobssh_error_set(err, ENOTDIR, "%s is not a directory", path);
    } else if (fstat(fd, &st) < 0) {
        return jobssh_error_set_errno(err, errno, "couldn't stat %s", path);
    }
    if (st.st_uid != geteuid() || (st.st_mode & 077))
        return jobssh_error_set(err, EPERM, "%s is not private to uid %u (owner %u, mode %04o)",
                                path, (unsigned)geteuid(), (unsigned)st.st_uid,
                                (unsigned)(st.st_mode & 07777));
    if (faccessat(fd, "authorized_keys", R_OK, 0) < 0)
        return jobssh_error_set(err, EIO, "%s is incomplete (no authorized_keys)", path);
    return 1;
}

/* An existing <basedir>/<user> must be a directory of the user's, 0700. */
static int check_user_dir(const jobssh_settings_t *s, int basefd, const char *user,
                          jobssh_error_t *err)
{
    struct stat st;

    if (fstatat(basefd, user, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return errno == ENOENT
                   ? 0
                   : jobssh_error_set_errno(err, errno, "couldn't stat %s/%s", s->basedir, user);
    if (S_ISLNK(st.st_mode))
        return jobssh_error_set(err, ELOOP, "%s/%s is a symlink", s->basedir, user);
    if (!S_ISDIR(st.st_mode))
        return jobssh_error_set(err, ENOTDIR, "%s/%s is not a directory", s->basedir, user);
    if (st.st_uid != geteuid())
        return jobssh_error_set(err, EPERM,
                                "%s/%s is owned by uid %u, not by uid %u: the administrator "
                                "must remove it",
                                s->basedir, user, (unsigned)st.st_uid, (unsigned)geteuid());
    if ((st.st_mode & 07777) != 0700)
        return jobssh_error_set(err, EPERM, "%s/%s has mode %04o, expected 0700", s->basedir, user,
                                (unsigned)(st.st_mode & 07777));
    return 0;
}

int jobssh_keys_create(const jobssh_settings_t *s, const char *user, uint32_t jobid,
                       jobssh_error_t *err)
{
    _cleanup_close_ int basefd = -1, userfd = -1, tmpfd = -1;
    char dir[PATH_MAX], name[16], tmpname[64], tmpdir[PATH_MAX];
    int r;

    if (geteuid() == 0)
        return jobssh_error_set(err, EPERM, "the job's keys are made by the user, not root");
    if ((r = jobssh_keys_dir(s, user, jobid, dir, sizeof(dir), err)) < 0)
        return r;
    if ((r = open_basedir(s, &basefd, err)) < 0)
        return r;
    if ((r = check_user_dir(s, basefd, user, err)) < 0)
        return r;
    r = jobssh_path_mkdir_at(basefd, user, 0700, geteuid(), JOBSSH_PATH_ANY_GID, &userfd, err);
    if (r == -EACCES || r == -EROFS)
        return jobssh_error_set(err, -r,
                                "%s/%s does not exist and %s is not writable: the job prolog "
                                "makes it (PrologFlags=Alloc or Contain), or the administrator",
                                s->basedir, user, s->basedir);
    if (r < 0)
        return r;
    snprintf(name, sizeof(name), "%u", jobid);
    if ((r = check_job_dir(userfd, name, dir, err)) != 0)
        return r < 0 ? r : 0;

    snprintf(tmpname, sizeof(tmpname), ".%u.%d.new", jobid, (int)getpid());
    if (jobssh_snprintf(tmpdir, sizeof(tmpdir), "%s/%s/%s", s->basedir, user, tmpname) < 0)
        return jobssh_error_set(err, ENAMETOOLONG, "basedir: path too long");
    (void)jobssh_path_rmtree_at(userfd, tmpname, NULL);
    if (mkdirat(userfd, tmpname, 0700) < 0)
        return jobssh_error_set_errno(err, errno, "couldn't create %s", tmpdir);
    tmpfd = openat(userfd, tmpname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (tmpfd < 0) {
        r = jobssh_error_set_errno(err, errno, "couldn't open %s", tmpdir);
        goto fail;
    }
    char comment[24];
    snprintf(comment, sizeof(comment), "jobssh-%u", jobid);
    if ((r = fill_key_dir(s, tmpfd, tmpdir, comment, err)) < 0)
        goto fail;
    if (renameat(userfd, tmpname, userfd, name) < 0) {
        /* Another srun of the same job won the race: use its keys. */
        if (errno == EEXIST || errno == ENOTEMPTY) {
            (void)jobssh_path_rmtree_at(userfd, tmpname, NULL);
            r = check_job_dir(userfd, name, dir, err);
            return r < 0 ? r : 0;
        }
        r = jobssh_error_set_errno(err, errno, "couldn't rename %s to %s", tmpdir, dir);
        goto fail;
    }
    return 0;
fail:
    (void)jobssh_path_rmtree_at(userfd, tmpname, NULL);
    return r;
}

int jobssh_keys_user_dir(const jobssh_settings_t *s, const char *user, uid_t uid, gid_t gid,
                         jobssh_error_t *err)
{
    _cleanup_close_ int basefd = -1, userfd = -1;
    int r;

    if (!user[0] || strchr(user, '/') || user[0] == '.')
        return jobssh_error_set(err, EINVAL, "bad user name '%.64s'", user);
    if ((r = open_basedir(s, &basefd, err)) < 0)
        return r;
    r = jobssh_path_mkdir_at(basefd, user, 0700, uid, gid, &userfd, err);
    return r < 0 ? r : 0;
}

int jobssh_keys_remove(const jobssh_settings_t *s, const char *user, uint32_t jobid,
                       jobssh_error_t *err)
{
    _cleanup_close_ int basefd = -1, userfd = -1;
    _cleanup_closedir_ DIR *d = NULL;
    char name[16], prefix[24];
    struct dirent *de;
    int removed = 0, r;

    if (!user[0] || strchr(user, '/') || user[0] == '.')
        return jobssh_error_set(err, EINVAL, "bad user name '%.64s'", user);
    if (jobssh_path_open_nofollow(s->basedir, O_RDONLY | O_DIRECTORY, &basefd, err) < 0)
        return -ENOENT;
    userfd = openat(basefd, user, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (userfd < 0)
        return errno == ENOENT
                   ? 0
                   : jobssh_error_set_errno(err, errno, "couldn't open %s/%s", s->basedir, user);
    snprintf(name, sizeof(name), "%u", jobid);
    r = jobssh_path_rmtree_at(userfd, name, err);
    if (r < 0 && r != -ENOENT)
        return r;
    if (r >= 0)
        removed = 1;
    /* Half-made directories of an srun that was killed: ".<jobid>.<pid>.new". */
    snprintf(prefix, sizeof(prefix), ".%u.", jobid);
    int dfd = dup(userfd);
    if (dfd >= 0 && (d = fdopendir(dfd))) {
        for (unsigned n = 0; n < 100000 && (de = readdir(d)); n++) {
            if (strncmp(de->d_name, prefix, strlen(prefix)) == 0 &&
                jobssh_path_rmtree_at(userfd, de->d_name, NULL) >= 0)
                removed = 1;
        }
    } else if (dfd >= 0) {
        close(dfd);
    }
    return removed;
}

static const char *const key_files[] = {
    "host_ed25519", "host_ed25519.pub", "id_dropbear",
    "id_ed25519",   "id_ed25519.pub",   "authorized_keys",
};

/* Split the absolute path dir into its parent (in buf) and last component. */
static int split_dir(const char *dir, char *buf, size_t size, const char **ret_name,
                     jobssh_error_t *err)
{
    char *slash;

    if (dir[0] != '/' || jobssh_strlcpy(buf, dir, size) < 0)
        return jobssh_error_set(err, EINVAL, "%.100s: not an absolute path of at most %zu bytes",
                                dir, size - 1);
    slash = strrchr(buf, '/');
    if (!slash[1] || strcmp(slash + 1, ".") == 0 || strcmp(slash + 1, "..") == 0)
        return jobssh_error_set(err, EINVAL, "%.100s: no directory name at its end", dir);
    *ret_name = dir + (slash - buf) + 1;
    if (slash == buf)
        slash[1] = '\0';
    else
        *slash = '\0';
    return 0;
}

int jobssh_keys_check_dir(const char *dir, jobssh_error_t *err)
{
    _cleanup_close_ int fd = -1;
    struct stat st;
    int r;

    r = jobssh_path_open_nofollow(dir, O_RDONLY | O_DIRECTORY, &fd, err);
    if (r < 0)
        return r;
    if (fstat(fd, &st) < 0)
        return jobssh_error_set_errno(err, errno, "couldn't stat %s", dir);
    if (st.st_uid != geteuid() || (st.st_mode & 077))
        return jobssh_error_set(err, EPERM, "%s is not private to uid %u (owner %u, mode %04o)",
                                dir, (unsigned)geteuid(), (unsigned)st.st_uid,
                                (unsigned)(st.st_mode & 07777));
    for (size_t i = 0; i < JOBSSH_ELEMENTSOF(key_files); i++) {
        if (fstatat(fd, key_files[i], &st, AT_SYMLINK_NOFOLLOW) < 0)
            return jobssh_error_set_errno(err, errno, "%s/%s", dir, key_files[i]);
        if (!S_ISREG(st.st_mode))
            return jobssh_error_set(err, S_ISLNK(st.st_mode) ? ELOOP : EINVAL,
                                    "%s/%s is not a regular file", dir, key_files[i]);
        if (st.st_uid != geteuid() || (st.st_mode & 077))
            return jobssh_error_set(err, EPERM,
                                    "%s/%s is not private to uid %u (owner %u, mode %04o)", dir,
                                    key_files[i], (unsigned)geteuid(), (unsigned)st.st_uid,
                                    (unsigned)(st.st_mode & 07777));
    }
    return 0;
}

int jobssh_keys_create_dir(const jobssh_settings_t *s, const char *dir, const char *comment,
                           bool overwrite, jobssh_error_t *err)
{
    _cleanup_close_ int parentfd = -1, tmpfd = -1;
    char parent[PATH_MAX], tmpname[NAME_MAX + 1], tmpdir[PATH_MAX];
    const char *name = NULL;
    struct stat st;
    int r;

    if (geteuid() == 0)
        return jobssh_error_set(err, EPERM, "keys are made by their user, not root");
    if (!comment[0] ||
        strspn(comment, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                        "0123456789._@-") != strlen(comment) ||
        strlen(comment) > 100)
        return jobssh_error_set(err, EINVAL, "bad key comment '%.64s'", comment);
    if ((r = split_dir(dir, parent, sizeof(parent), &name, err)) < 0)
        return r;
    if ((r = jobssh_path_open_nofollow(parent, O_RDONLY | O_DIRECTORY, &parentfd, err)) < 0)
        return r;
    if (fstat(parentfd, &st) < 0)
        return jobssh_error_set_errno(err, errno, "couldn't stat %s", parent);
    if (st.st_uid != geteuid())
        return jobssh_error_set(err, EPERM, "%s is owned by uid %u, not by uid %u", parent,
                                (unsigned)st.st_uid, (unsigned)geteuid());
    if (!overwrite) {
        r = jobssh_keys_check_dir(dir, err);
        if (r != -ENOENT)
            return r;
    }
    if (jobssh_snprintf(tmpname, sizeof(tmpname), ".%.200s.%d.new", name, (int)getpid()) < 0 ||
        jobssh_snprintf(tmpdir, sizeof(tmpdir), "%s/%s", strcmp(parent, "/") ? parent : "",
                        tmpname) < 0)
        return jobssh_error_set(err, ENAMETOOLONG, "%s: path too long", dir);
    (void)jobssh_path_rmtree_at(parentfd, tmpname, NULL);
    if (mkdirat(parentfd, tmpname, 0700) < 0)
        return jobssh_error_set_errno(err, errno, "couldn't create %s", tmpdir);
    tmpfd = openat(parentfd, tmpname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (tmpfd < 0) {
        r = jobssh_error_set_errno(err, errno, "couldn't open %s", tmpdir);
        goto fail;
    }
    if ((r = fill_key_dir(s, tmpfd, tmpdir, comment, err)) < 0)
        goto fail;
    if (renameat2(parentfd, tmpname, parentfd, name, RENAME_NOREPLACE) == 0)
        return 1;
    if (errno != EEXIST) {
        r = jobssh_error_set_errno(err, errno, "couldn't rename %s to %s", tmpdir, dir);
        goto fail;
    }
    if (!overwrite) { /* made by another process meanwhile: keep that one */
        (void)jobssh_path_rmtree_at(parentfd, tmpname, NULL);
        r = jobssh_keys_check_dir(dir, err);
        return r < 0 ? r : 0;
    }
    /* Swap the new set in, then remove the old one (now under tmpname). */
    if (fstatat(parentfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode)) {
        r = jobssh_error_set(err, ENOTDIR, "%s exists and is not a directory", dir);
        goto fail;
    }
    if (renameat2(parentfd, tmpname, parentfd, name, RENAME_EXCHANGE) < 0) {
        r = jobssh_error_set_errno(err, errno, "couldn't replace %s", dir);
        goto fail;
    }
    (void)jobssh_path_rmtree_at(parentfd, tmpname, NULL);
    return 1;
fail:
    (void)jobssh_path_rmtree_at(parentfd, tmpname, NULL);
    return r;
}
