/* job.h - the job-lifetime daemon of `sbatch --ssh` and `salloc --ssh`.
 *
 * The job prolog (root, every node of the job) records the request in the
 * node-local run directory, where nothing but root can write:
 *
 *   <rundir>/<node>/<jobid>.request   root's, 0644: "uid=UID\nnodes=LIST\n"
 *
 * The extern step reads it and runs the node's daemon under the tag
 * "<jobid>.extern" (jobssh_job_tag), with its step directory at
 * <rundir>/<node>/<jobid>.extern. The job's steps read it too: in a job that
 * has the request, a step starts no daemon and its client set-up points at
 * the job's daemon. The job epilog removes every "<jobid>.*" entry. */
#ifndef JOBSSH_JOB_H
#define JOBSSH_JOB_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "settings.h"

#define JOBSSH_JOB_NODES_MAX 65536

/* "<jobid>.extern" */
int jobssh_job_tag(uint32_t jobid, char *buf, size_t size);

/* As root: open <rundir>/<node> (root's, 0755), making <rundir> and it when
 * missing; no symlink is followed, a directory owned by someone else or
 * writable by others is refused. */
int jobssh_job_node_dir(const jobssh_settings_t *s, const char *node, int *ret_fd,
                        jobssh_error_t *err);

/* As root: write the request of job jobid (user uid, nodes: the job's node
 * list) into the node directory node_fd. */
int jobssh_job_request_write(int node_fd, uint32_t jobid, uid_t uid, const char *nodes,
                             jobssh_error_t *err);

/* Read the request of job jobid on node (as root or as the user): 1 and the
 * job's node list in nodes when there is a valid request for uid, 0 when
 * there is none, < 0 when the file is not trustworthy (not a regular file
 * of root's, writable by others) or malformed. */
int jobssh_job_request_read(const jobssh_settings_t *s, const char *node, uint32_t jobid, uid_t uid,
                            char *nodes, size_t size, jobssh_error_t *err);

/* The parser of jobssh_job_request_read(): text (changed in place) is the
 * file's content, what names it in errors. 1, or an error as above. */
int jobssh_job_request_parse(char *text, uid_t uid, char *nodes, size_t size, const char *what,
                             jobssh_error_t *err);

#endif
