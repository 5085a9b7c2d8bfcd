/* Unit tests for lib/job.c: the job daemon's tag, node directory and
 * request file, in a real temporary directory. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "job.h"
#include "path.h"
#include "test/tap.h"

int main(void)
{
    jobssh_settings_t s;
    jobssh_error_t err = {{0}};
    char tmpl[] = "/tmp/jobssh-job-test.XXXXXX", arg[PATH_MAX + 16], buf[256], path[PATH_MAX + 64];
    char *argv[] = {"basedir=/k", arg};
    struct stat st;
    int fd = -1, fd2 = -1;

    plan(20);
    is_int(jobssh_job_tag(12, buf, sizeof(buf)), 0, "tag of job 12");
    is_str(buf, "12.extern", "is 12.extern");
    is_int(jobssh_job_tag(4294967294U, buf, 8), -ENAMETOOLONG, "a too small buffer is refused");
    if (!mkdtemp(tmpl))
        bail_out("mkdtemp: %s", strerror(errno));
    snprintf(arg, sizeof(arg), "rundir=%s/run", tmpl);
    if (jobssh_settings_parse(2, argv, &s, &err) < 0)
        bail_out("settings: %s", err.text);

    is_int(jobssh_job_request_read(&s, "node1", 7, getuid(), buf, sizeof(buf), &err), 0,
           "no run directory yet: no request");
    is_int(jobssh_job_node_dir(&s, "../x", &fd, &err), -EINVAL, "a node name with a slash");
    is_str(err.text, "bad node name '../x'", "is named");
    if (skip_unless_root(14, "the node directory and the request file are root's"))
        goto out;
    is_int(jobssh_job_node_dir(&s, "node1", &fd, &err), 0, "node directory made: %s", err.text);
    snprintf(path, sizeof(path), "%s/run/node1", tmpl);
    ok(stat(path, &st) == 0 && st.st_uid == 0 && (st.st_mode & 07777) == 0755,
       "<rundir>/<node> is root's, 0755");
    is_int(jobssh_job_node_dir(&s, "node1", &fd2, &err), 0, "and opens again");
    close(fd2);
    is_int(jobssh_job_request_write(fd, 7, 2001, "node[1-3]", &err), 0, "request written: %s",
           err.text);
    is_int(jobssh_job_request_read(&s, "node1", 7, 2001, buf, sizeof(buf), &err), 1,
           "and read back: %s", err.text);
    is_str(buf, "node[1-3]", "with the job's node list");
    is_int(jobssh_job_request_read(&s, "node1", 7, 2002, buf, sizeof(buf), &err), -EPERM,
           "another uid's job is refused");
    is_str(strstr(err.text, ": the request") ? strstr(err.text, ": the request") : err.text,
           ": the request of uid 2001, not of uid 2002", "naming both uids");
    is_int(jobssh_job_request_read(&s, "node1", 8, 2001, buf, sizeof(buf), &err), 0,
           "another job has no request");
    is_int(jobssh_job_request_write(fd, 9, 2001, "a\nuid=0", &err), -EINVAL,
           "a node list with a newline is refused");

    snprintf(path, sizeof(path), "%s/run/node1/7.request", tmpl);
    chmod(path, 0666);
    is_int(jobssh_job_request_read(&s, "node1", 7, 2001, buf, sizeof(buf), &err), -EPERM,
           "a world-writable request is not trusted");
    unlink(path);
    if (symlink("/etc/hostname", path) < 0)
        bail_out("symlink: %s", strerror(errno));
    ok(jobssh_job_request_read(&s, "node1", 7, 2001, buf, sizeof(buf), &err) < 0,
       "a symlink is not followed: %s", err.text);
    unlink(path);
    fd2 = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd2 < 0 || write(fd2, "uid=2001\n", 9) != 9)
        bail_out("write: %s", strerror(errno));
    close(fd2);
    is_int(jobssh_job_request_read(&s, "node1", 7, 2001, buf, sizeof(buf), &err), -EINVAL,
           "a request without a node list is malformed");
    is_int(jobssh_job_node_dir(&s, ".hidden", &fd2, &err), -EINVAL, "a dot node name");
    close(fd);
out:
    snprintf(path, sizeof(path), "rm -rf %s", tmpl);
    if (system(path) != 0)
        diag("couldn't remove %s", tmpl);
    return done_testing();
}
