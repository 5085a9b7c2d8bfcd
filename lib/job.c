/* job.c - the job-lifetime daemon's request file (see job.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "files.h"
#include "job.h"
#include "path.h"
#include "util.h"

#define REQUEST_MAX (JOBSSH_JOB_NODES_MAX + 64)

int jobssh_job_tag(uint32_t jobid, char *buf, size_t size)
{
    return jobssh_snprintf(buf, size, "%u.extern", jobid) < 0 ? -ENAMETOOLONG : 0;
}

static int node_name_ok(const char *node, jobssh_error_t *err)
{
    if (!node[0] || strchr(node, '/') || node[0] == '.')
        return jobssh_error_set(err, EINVAL, "bad node name '%.64s'", node);
    return 0;
}

int jobssh_job_node_dir(const jobssh_settings_t *s, const char *node, int *ret_fd,
                        jobssh_error_t *err)
{
    _cleanup_close_ int parent = -1, run = -1;
    char dir[PATH_MAX], *slash;
    int r;

    if ((r = node_name_ok(node, err)) < 0)
        return r;
    if (jobssh_strlcpy(dir, s->rundir, sizeof(dir)) < 0)
        return jobssh_error_set(err, ENAMETOOLONG, "rundir too long");
    slash = strrchr(dir, '/');
    if (!slash || !slash[1])
        return jobssh_error_set(err, EINVAL, "rundir=%s: not an absolute path", s->rundir);
    *slash = '\0';
    r = jobssh_path_open_nofollow(dir[0] ? dir : "/", O_RDONLY | O_DIRECTORY, &parent, err);
    if (r < 0)
        return jobssh_error_prefix(err, -r, "rundir=%s", s->rundir);
    if ((r = jobssh_path_mkdir_at(parent, slash + 1, 0755, 0, 0, &run, err)) < 0)
        return r;
    return jobssh_path_mkdir_at(run, node, 0755, 0, 0, ret_fd, err);
}

int jobssh_job_request_write(int node_fd, uint32_t jobid, uid_t uid, const char *nodes,
                             jobssh_error_t *err)
{
    _cleanup_free_ char *text = NULL;
    char name[32];
    int n;

    if (!nodes[0] || strlen(nodes) >= JOBSSH_JOB_NODES_MAX || strpbrk(nodes, "\n\r "))
        return jobssh_error_set(err, EINVAL, "job %u: bad node list '%.64s'", jobid, nodes);
    n = asprintf(&text, "uid=%u\nnodes=%s\n", (unsigned)uid, nodes);
    if (n < 0)
        return jobssh_error_set(err, ENOMEM, "out of memory");
    snprintf(name, sizeof(name), "%u.request", jobid);
    return jobssh_files_write_at(node_fd, name, text, (size_t)n, 0644, err);
}

int jobssh_job_request_parse(char *text, uid_t uid, char *nodes, size_t size, const char *what,
                             jobssh_error_t *err)
{
    unsigned long file_uid = 0;
    bool have_uid = false, have_nodes = false;
    char *line, *save = NULL;

    for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (strncmp(line, "uid=", 4) == 0) {
            char *end;
            errno = 0;
            file_uid = strtoul(line + 4, &end, 10);
            have_uid =
                !errno && end != line + 4 && !*end && line[4] != '-' && file_uid <= 0xfffffffeUL;
        } else if (strncmp(line, "nodes=", 6) == 0 && line[6]) {
            if (jobssh_strlcpy(nodes, line + 6, size) < 0)
                return jobssh_error_set(err, ENAMETOOLONG, "%s: node list too long", what);
            have_nodes = true;
        }
    }
    if (!have_uid || !have_nodes)
        return jobssh_error_set(err, EINVAL, "%s: malformed", what);
    if (file_uid != (unsigned long)uid)
        return jobssh_error_set(err, EPERM, "%s: the request of uid %lu, not of uid %u", what,
                                file_uid, (unsigned)uid);
    return 1;
}

int jobssh_job_request_read(const jobssh_settings_t *s, const char *node, uint32_t jobid, uid_t uid,
                            char *nodes, size_t size, jobssh_error_t *err)
{
    _cleanup_close_ int fd = -1;
    _cleanup_free_ char *text = NULL;
    char path[PATH_MAX];
    struct stat st;
    int r;

    if ((r = node_name_ok(node, err)) < 0)
        return r;
    if (jobssh_snprintf(path, sizeof(path), "%s/%s/%u.request", s->rundir, node, jobid) < 0)
        return jobssh_error_set(err, ENAMETOOLONG, "rundir=%s: path too long", s->rundir);
    fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0 && (errno == ENOENT || errno == ENOTDIR))
        return 0;
    if (fd < 0)
        return jobssh_error_set_errno(err, errno, "couldn't open %s", path);
    if (fstat(fd, &st) < 0)
        return jobssh_error_set_errno(err, errno, "couldn't stat %s", path);
    if (!S_ISREG(st.st_mode) || st.st_uid != 0 || (st.st_mode & 022))
        return jobssh_error_set(err, EPERM,
                                "%s: not a regular file of root's, or writable by others", path);
    if ((r = jobssh_read_fd(fd, REQUEST_MAX, &text, NULL)) < 0)
        return jobssh_error_set_errno(err, -r, "couldn't read %s", path);
    return jobssh_job_request_parse(text, uid, nodes, size, path, err);
}
