/* test/path.c - symlink-free path checks, open, mkdir and rmtree */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "path.h"
#include "util.h"
#include "tap.h"

static char base[64];
static uid_t user; /* the "user" owning things: 2001 as root, else ourselves */

static const char *p(const char *rel)
{
    static char buf[4][PATH_MAX];
    static int i;

    i = (i + 1) % 4;
    snprintf(buf[i], sizeof(buf[i]), "%s%s%s", base, rel[0] ? "/" : "", rel);
    return buf[i];
}

static void xchown(const char *path, uid_t uid, gid_t gid)
{
    if (chown(path, uid, gid) < 0)
        bail_out("chown %s: %s", path, strerror(errno));
}

static void mkd(const char *rel, mode_t mode, uid_t uid)
{
    if (mkdir(p(rel), mode) < 0 || chmod(p(rel), mode) < 0 ||
        (geteuid() == 0 && chown(p(rel), uid, uid) < 0))
        bail_out("mkdir %s: %s", p(rel), strerror(errno));
}

static void mkf(const char *rel, mode_t mode, uid_t uid, const char *content)
{
    int fd = open(p(rel), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);

    if (fd < 0 || write(fd, content, strlen(content)) < 0 || fchmod(fd, mode) < 0 ||
        (geteuid() == 0 && fchown(fd, uid, uid) < 0))
        bail_out("create %s: %s", p(rel), strerror(errno));
    close(fd);
}

static void test_check(void)
{
    jobssh_path_policy_t pol = {.uid = user,
                                .allow_sticky = true,
                                .final_uid = user,
                                .final_forbid = 077,
                                .final_type = S_IFREG};
    jobssh_error_t err = {{0}};
    char want[256];

    mkd("keys", 0755, 0);
    mkd("keys/alice", 0700, user);
    mkf("keys/alice/id", 0600, user, "secret\n");
    if (symlink("keys", p("link")) < 0 || symlink("id", p("keys/alice/idlink")) < 0)
        bail_out("symlink: %s", strerror(errno));

    is_int(jobssh_path_check(p("keys/alice/id"), &pol, &err), 0, "good path passes: %s", err.text);
    is_int(jobssh_path_check(p("keys//alice/id"), &pol, &err), 0, "repeated '/' is fine");
    pol.allow_sticky = false;
    is_int(jobssh_path_check(p("keys/alice/id"), &pol, &err), -EPERM, "sticky /tmp refused");
    is_str(err.text, "/tmp is world-writable (mode 1777)", "sticky error names /tmp");
    pol.allow_sticky = true;

    chmod(p("keys"), 0775);
    is_int(jobssh_path_check(p("keys/alice/id"), &pol, &err), -EPERM, "group-writable dir");
    snprintf(want, sizeof(want), "%s is group-writable (mode 0775)", p("keys"));
    is_str(err.text, want, "group-writable error text");
    chmod(p("keys"), 0757);
    is_int(jobssh_path_check(p("keys/alice/id"), &pol, &err), -EPERM, "world-writable dir");
    chmod(p("keys"), 0755);

    is_int(jobssh_path_check(p("link/alice/id"), &pol, &err), -ELOOP, "symlinked dir refused");
    snprintf(want, sizeof(want), "%s is a symlink", p("link"));
    is_str(err.text, want, "symlink error names the link");
    is_int(jobssh_path_check(p("keys/alice/idlink"), &pol, &err), -ELOOP, "final symlink");

    chmod(p("keys/alice/id"), 0640);
    is_int(jobssh_path_check(p("keys/alice/id"), &pol, &err), -EPERM, "final mode checked");
    snprintf(want, sizeof(want), "%s has mode 0640 (bits 0077 must be clear)", p("keys/alice/id"));
    is_str(err.text, want, "final mode error text");
    chmod(p("keys/alice/id"), 0600);

    pol.final_type = S_IFDIR;
    is_int(jobssh_path_check(p("keys/alice/id"), &pol, &err), -EINVAL, "final type checked");
    pol.final_type = S_IFREG;
    is_int(jobssh_path_check(p("keys/alice/id/x"), &pol, &err), -ENOTDIR, "file as a dir");
    is_int(jobssh_path_check(p("keys/nothere"), &pol, &err), -ENOENT, "missing component");
    snprintf(want, sizeof(want), "couldn't open %s: No such file or directory", p("keys/nothere"));
    is_str(err.text, want, "missing component error text");
    is_int(jobssh_path_check("tmp/x", &pol, &err), -EINVAL, "relative path refused");
    is_int(jobssh_path_check(p("keys/../keys/alice/id"), &pol, &err), -EINVAL, "'..' refused");

    mkd("sticky", 01777, 0);
    mkf("sticky/f", 0600, user, "x");
    is_int(jobssh_path_check(p("sticky/f"), &pol, &err), 0, "sticky dir allowed by policy");

    if (skip_unless_root(4, "chown to other users needs root"))
        return;
    xchown(p("keys"), 1001, 0);
    is_int(jobssh_path_check(p("keys/alice/id"), &pol, &err), -EPERM, "foreign owner refused");
    snprintf(want, sizeof(want), "%s is owned by uid 1001, expected 0 or 2001", p("keys"));
    is_str(err.text, want, "owner error text");
    xchown(p("keys"), 0, 0);
    xchown(p("keys/alice/id"), 0, 0);
    is_int(jobssh_path_check(p("keys/alice/id"), &pol, &err), -EPERM, "final owner checked");
    snprintf(want, sizeof(want), "%s is owned by uid 0, expected 2001", p("keys/alice/id"));
    is_str(err.text, want, "final owner error text");
    xchown(p("keys/alice/id"), user, user);
}

static void test_open(void)
{
    jobssh_error_t err = {{0}};
    char want[256], buf[16] = "";
    int fd = -1;

    is_int(jobssh_path_open_nofollow(p("keys/alice/id"), O_RDONLY, &fd, &err), 0, "open: good");
    ok(fd >= 0 && read(fd, buf, sizeof(buf) - 1) == 7 && strcmp(buf, "secret\n") == 0,
       "open: read the content");
    ok((fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0, "open: fd is close-on-exec");
    close(fd);
    fd = -1;
    is_int(jobssh_path_open_nofollow(p("link/alice/id"), O_RDONLY, &fd, &err), -ELOOP,
           "open: symlinked dir refused");
    snprintf(want, sizeof(want), "%s is a symlink", p("link"));
    is_str(err.text, want, "open: error names the symlink");
    is_int(jobssh_path_open_nofollow(p("keys/alice/idlink"), O_RDONLY, &fd, &err), -ELOOP,
           "open: final symlink refused");
    is_int(jobssh_path_open_nofollow(p("keys/alice/idlink"), O_PATH, &fd, &err), -ELOOP,
           "open: final symlink refused with O_PATH");
    is_int(jobssh_path_open_nofollow(p("link"), O_RDONLY | O_DIRECTORY, &fd, &err), -ELOOP,
           "open: final symlink to a directory refused with O_DIRECTORY");
    snprintf(want, sizeof(want), "%s is a symlink", p("link"));
    is_str(err.text, want, "open: error names it, not 'Not a directory'");
    is_int(jobssh_path_open_nofollow(p("keys/new"), O_RDWR | O_CREAT, &fd, &err), -EINVAL,
           "open: O_CREAT refused");
    is_int(fd, -1, "open: out-param untouched on failure");
    is_int(jobssh_path_open_nofollow("/", O_RDONLY | O_DIRECTORY, &fd, &err), 0, "open: /");
    close(fd);
}

/* Without openat2 (filtered to ENOSYS), the walk gives the same answers. */
static void test_open_fallback(void)
{
#ifdef SYS_openat2
    struct sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat2, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {JOBSSH_ELEMENTSOF(filter), filter};
    int fds[2], status = -1;
    int res[5] = {99, 99, 99, 99, 99};
    pid_t pid;

    if (pipe2(fds, O_CLOEXEC) < 0)
        bail_out("pipe2: %s", strerror(errno));
    pid = fork();
    if (pid == 0) {
        jobssh_error_t err;
        int fd = -1;

        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
            prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
            _exit(2);
        res[0] = syscall(SYS_openat2, AT_FDCWD, "/", NULL, 0) < 0 ? errno : 0;
        res[1] = jobssh_path_open_nofollow(p("keys/alice/id"), O_RDONLY, &fd, &err);
        res[2] = jobssh_path_open_nofollow(p("link/alice/id"), O_RDONLY, &fd, &err);
        res[3] = jobssh_path_open_nofollow(p("keys/alice/idlink"), O_RDONLY, &fd, &err);
        res[4] = jobssh_path_open_nofollow(p("link"), O_RDONLY | O_DIRECTORY, &fd, &err);
        _exit(write(fds[1], res, sizeof(res)) == sizeof(res) ? 0 : 3);
    }
    close(fds[1]);
    if (read(fds[0], res, sizeof(res)) != sizeof(res))
        diag("fallback child wrote nothing");
    close(fds[0]);
    waitpid(pid, &status, 0);
    is_int(status, 0, "fallback child ran");
    is_int(res[0], ENOSYS, "fallback: openat2 is filtered to ENOSYS");
    is_int(res[1], 0, "fallback: good path opens");
    is_int(res[2], -ELOOP, "fallback: symlinked dir refused");
    is_int(res[3], -ELOOP, "fallback: final symlink refused");
    is_int(res[4], -ELOOP, "fallback: final symlink refused with O_DIRECTORY");
#else
    skip(6, "no openat2 on this system");
#endif
}

static void test_mkdir(void)
{
    jobssh_error_t err = {{0}};
    _cleanup_close_ int dfd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    char want[256];
    struct stat st;
    mode_t old = umask(077);
    int fd = -1;

    is_int(jobssh_path_mkdir_at(dfd, "d1", 0751, user, user, &fd, &err), 0, "mkdir: create: %s",
           err.text);
    umask(old);
    ok(fd >= 0 && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode), "mkdir: fd is the directory");
    ok(stat(p("d1"), &st) == 0 && (st.st_mode & 07777) == 0751 && st.st_uid == user,
       "mkdir: exact mode despite umask, owner %u", (unsigned)st.st_uid);
    close(fd);
    is_int(jobssh_path_mkdir_at(dfd, "d1", 0751, user, user, NULL, &err), 0,
           "mkdir: an existing matching directory is accepted");
    is_int(jobssh_path_mkdir_at(dfd, "d1", 0700, user, user, NULL, &err), -EPERM,
           "mkdir: existing directory with another mode");
    snprintf(want, sizeof(want), "%s has mode 0751, expected 0700", p("d1"));
    is_str(err.text, want, "mkdir: mode error text");
    ok(stat(p("d1"), &st) == 0 && (st.st_mode & 07777) == 0751, "mkdir: existing not changed");
    is_int(jobssh_path_mkdir_at(dfd, "link", 0755, 0, 0, NULL, &err), -ELOOP,
           "mkdir: symlink refused");
    snprintf(want, sizeof(want), "%s is a symlink", p("link"));
    is_str(err.text, want, "mkdir: symlink error text");
    ok(stat(p("keys"), &st) == 0 && (st.st_mode & 07777) == 0755, "mkdir: link target intact");
    mkf("file", 0644, 0, "");
    is_int(jobssh_path_mkdir_at(dfd, "file", 0755, 0, 0, NULL, &err), -ENOTDIR,
           "mkdir: file refused");
    is_int(jobssh_path_mkdir_at(dfd, "a/b", 0755, 0, 0, NULL, &err), -EINVAL, "mkdir: 'a/b'");
    is_int(jobssh_path_mkdir_at(dfd, "..", 0755, 0, 0, NULL, &err), -EINVAL, "mkdir: '..'");

    if (skip_unless_root(2, "directories of other users need root"))
        return;
    is_int(jobssh_path_mkdir_at(dfd, "d1", 0751, 0, JOBSSH_PATH_ANY_GID, NULL, &err), -EPERM,
           "mkdir: existing directory of another owner");
    snprintf(want, sizeof(want), "%s is owned by uid 2001, expected 0", p("d1"));
    is_str(err.text, want, "mkdir: owner error text");
}

/* Another process creating the same directory at the same time: it is 0700
 * and root's (the creator's) for a moment before it gets its owner and mode.
 * An existing directory is checked again for a while; one that stays wrong
 * is still refused. */
static void test_mkdir_concurrent(void)
{
    jobssh_error_t err = {{0}};
    _cleanup_close_ int dfd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    char want[256];
    int status = -1;
    pid_t pid;

    mkd("being-made", 0700, geteuid());
    fflush(NULL);
    pid = fork();
    if (pid < 0)
        bail_out("fork: %s", strerror(errno));
    if (pid == 0) {
        usleep(200000);
        _exit(chown(p("being-made"), user, user) < 0 || chmod(p("being-made"), 0751) < 0);
    }
    is_int(jobssh_path_mkdir_at(dfd, "being-made", 0751, user, user, NULL, &err), 0,
           "mkdir: a directory another process is making is accepted once made: %s", err.text);
    ok(waitpid(pid, &status, 0) == pid && status == 0, "mkdir: the other process made it");

    mkd("stays-0700", 0700, geteuid());
    is_int(
        jobssh_path_mkdir_at(dfd, "stays-0700", 0755, geteuid(), JOBSSH_PATH_ANY_GID, NULL, &err),
        -EPERM, "mkdir: a directory that stays 0700 is refused");
    snprintf(want, sizeof(want), "%s has mode 0700, expected 0755", p("stays-0700"));
    is_str(err.text, want, "mkdir: its error text");
}

static bool exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

/* A tree with files, subdirectories and symlinks pointing outside. */
static void make_tree(const char *top)
{
    char rel[128];

    mkd(top, 0755, 0);
    snprintf(rel, sizeof(rel), "%s/sub", top);
    mkd(rel, 0700, user);
    snprintf(rel, sizeof(rel), "%s/sub/deeper", top);
    mkd(rel, 0700, user);
    snprintf(rel, sizeof(rel), "%s/sub/deeper/f", top);
    mkf(rel, 0600, user, "x");
    snprintf(rel, sizeof(rel), "%s/f", top);
    mkf(rel, 0644, 0, "y");
    snprintf(rel, sizeof(rel), "%s/sub/out", top);
    if (symlink(p("outside"), p(rel)) < 0)
        bail_out("symlink: %s", strerror(errno));
    snprintf(rel, sizeof(rel), "%s/sub/outfile", top);
    if (symlink(p("outside/keep"), p(rel)) < 0)
        bail_out("symlink: %s", strerror(errno));
}

static void test_rmtree(void)
{
    _cleanup_close_ int dfd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    jobssh_error_t err = {{0}};
    char rel[PATH_MAX];
    int fd;

    mkd("outside", 0755, 0);
    mkf("outside/keep", 0644, 0, "keep");
    make_tree("tree");
    is_int(jobssh_path_rmtree_at(dfd, "tree", &err), 0, "rmtree: removes a tree: %s", err.text);
    ok(!exists(p("tree")), "rmtree: tree is gone");
    ok(exists(p("outside/keep")), "rmtree: symlink targets outside untouched");
    is_int(jobssh_path_rmtree_at(dfd, "tree", &err), 0, "rmtree: a missing name is success");
    if (symlink("outside", p("toplink")) < 0)
        bail_out("symlink: %s", strerror(errno));
    is_int(jobssh_path_rmtree_at(dfd, "toplink", &err), 0, "rmtree: a symlink at the top");
    ok(!exists(p("toplink")) && exists(p("outside/keep")), "rmtree: removed only the link");
    is_int(jobssh_path_rmtree_at(dfd, "../x", &err), -EINVAL, "rmtree: bad name refused");

    /* deeper than allowed */
    snprintf(rel, sizeof(rel), "deep");
    for (int i = 0; i <= JOBSSH_PATH_RMTREE_MAX_DEPTH + 1; i++) {
        mkd(rel, 0755, 0);
        strncat(rel, "/d", sizeof(rel) - strlen(rel) - 1);
    }
    is_int(jobssh_path_rmtree_at(dfd, "deep", &err), -ELOOP, "rmtree: depth is bounded");
    ok(strstr(err.text, "more than 64 levels of directories in /tmp/") != NULL,
       "rmtree: depth error: %s", err.text);
    /* clean up from half-way down, then the rest */
    fd = open(p("deep/d/d/d/d/d/d/d/d/d"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    is_int(jobssh_path_rmtree_at(fd, "d", &err), 0, "rmtree: lower half removed");
    close(fd);
    is_int(jobssh_path_rmtree_at(dfd, "deep", &err), 0, "rmtree: upper half removed");
}

/* Another process keeps swapping a directory of the tree for a symlink to
 * "outside" while the tree is removed: nothing outside may be touched. */
static void test_rmtree_race(void)
{
    _cleanup_close_ int dfd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    jobssh_error_t err = {{0}};
    int rounds = 0, failures = 0;
    struct timespec t0, t1;
    pid_t pid;

    pid = fork();
    if (pid == 0) {
        char sub[PATH_MAX], aside[PATH_MAX], outside[PATH_MAX];

        prctl(PR_SET_PDEATHSIG, SIGKILL);
        snprintf(sub, sizeof(sub), "%s", p("race/sub"));
        snprintf(aside, sizeof(aside), "%s", p("race/aside"));
        snprintf(outside, sizeof(outside), "%s", p("outside"));
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (int i = 0; i < 10000000; i++) {
            if (rename(sub, aside) == 0) {
                if (symlink(outside, sub) == 0)
                    unlink(sub);
                rename(aside, sub);
            }
            clock_gettime(CLOCK_MONOTONIC, &t1);
            if (t1.tv_sec - t0.tv_sec > 10)
                break;
        }
        _exit(0);
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    do {
        /* build aside, then move into place, so the swapper only sees whole trees */
        make_tree("race.new");
        if (rename(p("race.new"), p("race")) < 0)
            bail_out("rename: %s", strerror(errno));
        if (jobssh_path_rmtree_at(dfd, "race", &err) < 0) {
            if (failures++ < 3)
                diag("retrying after: %s", err.text);
            /* the swapper may put things back for a moment: retry */
            for (int i = 0; i < 100 && jobssh_path_rmtree_at(dfd, "race", &err) < 0; i++)
                usleep(1000);
        }
        rounds++;
        clock_gettime(CLOCK_MONOTONIC, &t1);
    } while (rounds < 300 && t1.tv_sec - t0.tv_sec < 4);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    /* the swapper may have left the tree half-swapped when killed */
    jobssh_path_rmtree_at(dfd, "race", &err);
    diag("%d rounds, %d failed and were retried", rounds, failures);
    ok(exists(p("outside/keep")) && exists(p("outside")), "rmtree race: outside untouched");
    ok(!exists(p("race")), "rmtree race: tree finally removed: %s", err.text);
}

static void test_rmtree_mount(void)
{
    int status = -1;
    pid_t pid;

    if (skip_unless_root(2, "mounting needs root"))
        return;
    pid = fork();
    if (pid == 0) {
        jobssh_error_t err;
        int dfd, r;

        make_tree("mtree");
        if (unshare(CLONE_NEWNS) < 0 || mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0 ||
            mount("tmpfs", p("mtree/sub"), "tmpfs", 0, "mode=0755") < 0)
            _exit(2);
        mkf("mtree/sub/precious", 0644, 0, "p");
        dfd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        r = jobssh_path_rmtree_at(dfd, "mtree", &err);
        if (r != -EXDEV || !strstr(err.text, "on another file system"))
            _exit(3);
        if (!exists(p("mtree/sub/precious")))
            _exit(4);
        umount(p("mtree/sub"));
        _exit(jobssh_path_rmtree_at(dfd, "mtree", &err) == 0 ? 0 : 5);
    }
    waitpid(pid, &status, 0);
    ok(WIFEXITED(status) && WEXITSTATUS(status) != 3 && WEXITSTATUS(status) != 4,
       "rmtree: refuses to enter a mount point, keeps its content (status %d)",
       WEXITSTATUS(status));
    is_int(status, 0, "rmtree: removes the tree once unmounted");
}

/* Fill the file system at dir: one file until no block is left, or empty
 * files until no inode is left. */
static void fill(const char *dir, bool inodes)
{
    char name[PATH_MAX], block[4096] = {0};

    for (int i = 0; i < 100000; i++) {
        snprintf(name, sizeof(name), "%s/%s%d", dir, inodes ? "inode" : "blocks", inodes ? i : 0);
        int fd = open(name, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd < 0)
            return;
        ssize_t w = inodes ? 0 : write(fd, block, sizeof(block));
        close(fd);
        if (w < 0)
            return;
    }
}

static void test_check_space(void)
{
    jobssh_error_t err = {{0}};
    int status = -1;
    pid_t pid;

    is_int(jobssh_path_check_space("tmp", &err), -EINVAL, "check_space: a relative path: %s",
           err.text);
    is_int(jobssh_path_check_space("/proc/self", &err), 0,
           "check_space: a file system without counts is not full");
    err.text[0] = '\0';
    is_int(jobssh_path_check_space(p("no/such/dir"), &err), 0,
           "check_space: a missing path is checked at its parent%s%s", err.text[0] ? ": " : "",
           err.text);
    if (skip_unless_root(2, "mounting needs root"))
        return;
    mkd("full", 0755, 0);
    pid = fork();
    if (pid == 0) {
        jobssh_error_t e = {{0}};
        char want[PATH_MAX];

        if (unshare(CLONE_NEWNS) < 0 || mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0 ||
            mount("tmpfs", p("full"), "tmpfs", 0, "size=64k,nr_inodes=32,mode=0755") < 0)
            _exit(2);
        if (jobssh_path_check_space(p("full"), &e) != 0)
            _exit(3);
        fill(p("full"), false);
        snprintf(want, sizeof(want), "%s is on a full file system (no free blocks)", p("full"));
        if (jobssh_path_check_space(p("full/a/b"), &e) != -ENOSPC || strcmp(e.text, want) != 0)
            _exit(4);
        if (unlink(p("full/blocks0")) < 0 || jobssh_path_check_space(p("full"), &e) != 0)
            _exit(5);
        fill(p("full"), true);
        snprintf(want, sizeof(want), "%s is on a full file system (no free inodes)", p("full"));
        if (jobssh_path_check_space(p("full"), &e) != -ENOSPC || strcmp(e.text, want) != 0)
            _exit(6);
        _exit(0);
    }
    waitpid(pid, &status, 0);
    ok(WIFEXITED(status) && WEXITSTATUS(status) != 2, "check_space: a tmpfs to fill (status %d)",
       WEXITSTATUS(status));
    is_int(status, 0, "check_space: no free blocks, then no free inodes, are named");
}

int main(void)
{
    jobssh_error_t err = {{0}};
    _cleanup_close_ int tmp = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    char name[64];

    user = geteuid() == 0 ? 2001 : geteuid();
    snprintf(base, sizeof(base), "/tmp/jobssh-path-XXXXXX");
    if (!mkdtemp(base))
        bail_out("mkdtemp: %s", strerror(errno));
    if (geteuid() == 0 && chmod(base, 0755) < 0)
        bail_out("chmod: %s", strerror(errno));
    plan(80);
    test_check();
    test_open();
    test_open_fallback();
    test_mkdir();
    test_mkdir_concurrent();
    test_rmtree();
    test_rmtree_race();
    test_rmtree_mount();
    test_check_space();
    snprintf(name, sizeof(name), "%s", base + 5);
    if (jobssh_path_rmtree_at(tmp, name, &err) < 0)
        diag("cleanup: %s", err.text);
    return done_testing();
}
