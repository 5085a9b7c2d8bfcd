/* test/record.c - the records of supervisors: where they live, writing and
 * reading them safely, and stopping the recorded process. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hook/hook.h"
#include "lib/path.h"
#include "lib/proc.h"
#include "lib/settings.h"
#include "lib/test/tap.h"

static char tmpdir[512];

static void test_dir_names(void)
{
    jobssh_settings_t s;
    jobssh_error_t err = {{0}};
    char *args[] = {"basedir=/b", "rundir=/run/js"};
    char buf[PATH_MAX];

    if (jobssh_settings_parse(2, args, &s, &err) < 0)
        bail_out("settings: %s", err.text);
    is_int(jobssh_hook_record_dir(&s, true, "/run/user/5", 1000, buf, sizeof(buf), &err), 0,
           "privileged: record directory");
    is_str(buf, "/run/js/oci-hook", "  under rundir, whatever XDG_RUNTIME_DIR says");
    is_int(jobssh_hook_record_dir(&s, false, "/run/user/5", 1000, buf, sizeof(buf), &err), 0,
           "unprivileged with XDG_RUNTIME_DIR");
    is_str(buf, "/run/user/5/jobssh-hook", "  under XDG_RUNTIME_DIR");
    is_int(jobssh_hook_record_dir(&s, false, NULL, 1000, buf, sizeof(buf), &err), 0,
           "unprivileged without XDG_RUNTIME_DIR");
    is_str(buf, "/run/user/1000/jobssh-hook", "  under /run/user/<uid>");
    is_int(jobssh_hook_record_dir(&s, false, "run", 1000, buf, sizeof(buf), &err), -EINVAL,
           "a relative XDG_RUNTIME_DIR");
    is_str(err.text, "XDG_RUNTIME_DIR=run is not an absolute path", "  its error");
}

static int open_dir(const char *name, int *fd, jobssh_error_t *err)
{
    char path[PATH_MAX];

    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    memset(err, 0, sizeof(*err));
    return jobssh_hook_record_open_dir(path, fd, err);
}

static void test_open_dir(int *ret_fd)
{
    jobssh_error_t err;
    char path[PATH_MAX], want[2 * PATH_MAX + 100];
    struct stat st;
    int fd = -1, fd2 = -1;

    is_int(open_dir("rec", &fd, &err), 0, "the record directory is made");
    ok(fd >= 0 && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0700 &&
           st.st_uid == geteuid(),
       "  a directory of ours, 0700");
    is_int(open_dir("rec", &fd2, &err), 0, "an existing one is taken");
    close(fd2);

    snprintf(path, sizeof(path), "%s/open", tmpdir);
    mkdir(path, 0700);
    chmod(path, 0755);
    ok(open_dir("open", &fd2, &err) < 0, "an existing one with mode 0755 is refused");
    snprintf(want, sizeof(want), "%s has mode 0755", path);
    ok(strncmp(err.text, want, strlen(want)) == 0, "  its error: %s", err.text);

    snprintf(path, sizeof(path), "%s/link", tmpdir);
    if (symlink("rec", path) < 0)
        bail_out("symlink: %m");
    ok(open_dir("link", &fd2, &err) < 0, "a symlink is refused");
    ok(strstr(err.text, "symlink") != NULL, "  its error: %s", err.text);

    snprintf(path, sizeof(path), "%s/open/sub", tmpdir);
    chmod(tmpdir, 0777);
    ok(open_dir("open/sub", &fd2, &err) < 0, "a parent writable by others is refused");
    snprintf(want, sizeof(want), "%s is world-writable (mode 0777)", tmpdir);
    is_str(err.text, want, "  its error names the parent");
    chmod(tmpdir, 0700);
    *ret_fd = fd;
}

static void test_files(int dirfd)
{
    jobssh_hook_record_t rec = {.pid = 4242, .starttime = 123456789ULL}, got = {0};
    jobssh_error_t err = {{0}};
    char buf[256];
    struct stat st;
    int fd, n;

    is_int(jobssh_hook_record_read(dirfd, "c1", &got, &err), -ENOENT, "no record: -ENOENT");
    is_int(jobssh_hook_record_write(dirfd, "c1", &rec, &err), 0, "a record is written");
    ok(fstatat(dirfd, "c1", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
           (st.st_mode & 07777) == 0600,
       "  a regular file, 0600, named after the container");
    fd = openat(dirfd, "c1", O_RDONLY);
    n = fd >= 0 ? (int)read(fd, buf, sizeof(buf) - 1) : -1;
    close(fd);
    buf[n > 0 ? n : 0] = '\0';
    is_str(buf, "pid = 4242\nstarttime = 123456789\n", "  its contents");
    is_int(jobssh_hook_record_read(dirfd, "c1", &got, &err), 0, "it reads back");
    ok(got.pid == 4242 && got.starttime == 123456789ULL, "  the same pid and start time");

    is_int(jobssh_hook_record_write(dirfd, "../x", &rec, &err), -EINVAL, "a bad id is refused");
    is_str(err.text, "'../x' is not a container id", "  its error");
    is_int(jobssh_hook_record_read(dirfd, ".c1", &got, &err), -EINVAL,
           "reading a hidden name is refused");

    if (symlinkat("c1", dirfd, "c2") < 0)
        bail_out("symlinkat: %m");
    is_int(jobssh_hook_record_read(dirfd, "c2", &got, &err), -ELOOP,
           "a symlinked record is refused");
    is_str(err.text, "the record of c2 is a symlink", "  its error");

    fd = openat(dirfd, "c3", O_WRONLY | O_CREAT | O_EXCL, 0600);
    n = (int)write(fd, "pid = x\n", 8);
    close(fd);
    ok(n == 8 && jobssh_hook_record_read(dirfd, "c3", &got, &err) < 0,
       "a malformed record is refused");
    ok(strncmp(err.text, "the record of c3: record:1: ", 28) == 0, "  its error: %s", err.text);

    fd = openat(dirfd, "c4", O_WRONLY | O_CREAT | O_EXCL, 0600);
    n = (int)write(fd, "pid = 5\n", 8);
    close(fd);
    ok(jobssh_hook_record_read(dirfd, "c4", &got, &err) < 0 &&
           strstr(err.text, "starttime") != NULL,
       "a record without starttime is refused: %s", err.text);

    ok(fchmodat(dirfd, "c1", 0620, 0) == 0, "chmod g+w");
    is_int(jobssh_hook_record_read(dirfd, "c1", &got, &err), -EPERM,
           "a group-writable record is refused");
    ok(fchmodat(dirfd, "c1", 0600, 0) == 0, "chmod back");
    if (!skip_unless_root(4, "a record of another owner needs chown")) {
        ok(fchownat(dirfd, "c1", 2001, 2001, AT_SYMLINK_NOFOLLOW) == 0, "chown to 2001");
        is_int(jobssh_hook_record_read(dirfd, "c1", &got, &err), -EPERM,
               "a record of another owner is refused");
        is_str(err.text, "the record of c1 is not the record of uid 0 (owner 2001, mode 0600)",
               "  its error");
        ok(fchownat(dirfd, "c1", 0, 0, AT_SYMLINK_NOFOLLOW) == 0, "chown back");
    }
    mkdirat(dirfd, "c5", 0700);
    is_int(jobssh_hook_record_read(dirfd, "c5", &got, &err), -EINVAL,
           "a directory as record is refused");

    is_int(jobssh_hook_record_remove(dirfd, "c1", &err), 1, "remove: 1 when removed");
    is_int(jobssh_hook_record_remove(dirfd, "c1", &err), 0, "remove: 0 when missing");
    ok(faccessat(dirfd, "c1", F_OK, AT_SYMLINK_NOFOLLOW) < 0, "  it is gone");
}

/* A child that waits for a signal; ignore_term: one that SIGTERM does not end. */
static pid_t child(bool ignore_term)
{
    fflush(NULL);
    pid_t pid = fork();

    if (pid == 0) {
        signal(SIGTERM, ignore_term ? SIG_IGN : SIG_DFL);
        for (;;)
            pause();
    }
    usleep(50000); /* let it set its signal disposition */
    return pid;
}

static void test_stop(void)
{
    jobssh_error_t err = {{0}};
    jobssh_hook_record_t rec;
    int status = 0;

    rec.pid = child(false);
    if (rec.pid < 0 || jobssh_proc_starttime(rec.pid, &rec.starttime) < 0)
        bail_out("child: %m");
    jobssh_hook_record_t other = {.pid = rec.pid, .starttime = rec.starttime + 1};
    is_int(jobssh_hook_record_stop(&other, 1000, &err), 0,
           "another start time: not the recorded process, left alone");
    ok(kill(rec.pid, 0) == 0 && waitpid(rec.pid, &status, WNOHANG) == 0, "  it still runs");
    is_int(jobssh_hook_record_stop(&rec, 5000, &err), 1, "the recorded process ends on SIGTERM");
    ok(waitpid(rec.pid, &status, 0) == rec.pid && WIFSIGNALED(status) &&
           WTERMSIG(status) == SIGTERM,
       "  killed by SIGTERM");
    is_int(jobssh_hook_record_stop(&rec, 1000, &err), 0, "stopping it again: already gone");

    rec.pid = child(true);
    if (rec.pid < 0 || jobssh_proc_starttime(rec.pid, &rec.starttime) < 0)
        bail_out("child: %m");
    is_int(jobssh_hook_record_stop(&rec, 300, &err), 2, "one that ignores SIGTERM gets SIGKILL");
    ok(waitpid(rec.pid, &status, 0) == rec.pid && WIFSIGNALED(status) &&
           WTERMSIG(status) == SIGKILL,
       "  killed by SIGKILL");
}

int main(void)
{
    int dirfd = -1;

    snprintf(tmpdir, sizeof(tmpdir), "%s/test/tmp.record.XXXXXX", HOOK_BUILDDIR);
    if (!mkdtemp(tmpdir))
        bail_out("mkdtemp %s: %m", tmpdir);
    test_dir_names();
    test_open_dir(&dirfd);
    test_files(dirfd);
    test_stop();
    close(dirfd);
    char *slash = strrchr(tmpdir, '/');
    *slash = '\0';
    int parent = open(tmpdir, O_RDONLY | O_DIRECTORY);
    jobssh_path_rmtree_at(parent, slash + 1, NULL);
    close(parent);
    return done_testing();
}
