/* client.h - what a job needs to reach its daemons: the node-local step
 * directory, its ssh configuration, known_hosts, hostfiles and the launcher
 * environment (OpenMPI, MPICH hydra, pdsh).
 *
 * Node-local step directory <rundir>/<node>/<tag>/ (the user's, 0700):
 *   status              "ready PORT" or "error TEXT", written by the supervisor
 *   host_ed25519        copy of the job's host key (Dropbear format)
 *   auth/authorized_keys copy of the job's authorized_keys
 *   id_ed25519          copy of the job's user key, OpenSSH format
 *   id_dropbear         copy of the job's user key, Dropbear format
 *   ssh_config          used by the `ssh` wrapper (ssh -F)
 *   known_hosts         the job's host key under the alias jobssh-<jobid>
 *   dbclient/.ssh/known_hosts  the same key under every node name (dbclient
 *                       reads $HOME/.ssh/known_hosts; JOBSSH_DBCLIENT_HOME)
 *   hostfile            the step's nodes, one per line (pdsh WCOLL, scripts)
 *   bin/ssh, bin/dbclient  the client wrapper (links to jobssh-connect)
 *   dropbear.log        the daemon's log */
#ifndef JOBSSH_CLIENT_H
#define JOBSSH_CLIENT_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "settings.h"

typedef struct jobssh_client_paths {
    char dir[PATH_MAX];
    char node_dir[PATH_MAX]; /* <rundir>/<node> */
    char name[64];           /* the step directory's name in node_dir: the tag */
} jobssh_client_paths_t;

/* Compute the step directory of tag on node. */
int jobssh_client_paths(const jobssh_settings_t *s, const char *node, const char *tag,
                        jobssh_client_paths_t *p, jobssh_error_t *err);

#define JOBSSH_ENV_MAX 24

/* Environment variables to set in the job (names and values owned). */
typedef struct jobssh_env {
    size_t n;
    char *name[JOBSSH_ENV_MAX];
    char *value[JOBSSH_ENV_MAX];
} jobssh_env_t;

/* The client environment of a step: PATH with the wrapper first, the
 * JOBSSH_* variables, and the launcher variables of OpenMPI, MPICH and pdsh.
 * old_path is the job's PATH (may be empty). Free with jobssh_client_env_free. */
int jobssh_client_env(const jobssh_settings_t *s, const jobssh_client_paths_t *p, const char *tag,
                      const char *old_path, jobssh_env_t *env, jobssh_error_t *err);
void jobssh_client_env_free(jobssh_env_t *env);

/* As the user: fill the step directory (which must exist and be the user's)
 * from the job's key directory keydir: key copies, ssh_config, known_hosts,
 * hostfile and bin/ssh. hosts are the step's nodes. No component of keydir
 * may be a symlink; the key files must be regular files of at most 64 KiB,
 * authorized_keys a valid one. */
int jobssh_client_prepare(const jobssh_settings_t *s, const jobssh_client_paths_t *p,
                          const char *keydir, const char *tag, const char *user,
                          char *const hosts[], size_t nhosts, jobssh_error_t *err);

/* The same from the key directory open at keyfd (keydir names it in
 * errors), with extra_key (NULL: none), authorized_keys lines already
 * checked with jobssh_client_check_authorized_keys(), added to the keys
 * the daemon accepts. */
int jobssh_client_prepare_at(const jobssh_settings_t *s, const jobssh_client_paths_t *p, int keyfd,
                             const char *keydir, const char *extra_key, const char *tag,
                             const char *user, char *const hosts[], size_t nhosts,
                             jobssh_error_t *err);
/* Is text (len bytes, the file name) an authorized_keys file: no NUL byte,
 * at least one key line ("[options] TYPE BASE64 [comment]"), and only key
 * lines, comments and empty lines? 0, or -EINVAL naming the line. */
int jobssh_client_check_authorized_keys(const char *text, size_t len, const char *name,
                                        jobssh_error_t *err);

/* As the user: <keydir>/client/, the job daemon's client files for hosts
 * that are not nodes of the job (an `salloc --ssh` command on a login node):
 * the files of a step directory, plus "env", the JOBSSH_* variables of the
 * client environment as NAME=value lines. The ssh wrapper loads that file
 * when JOBSSH_SSH_CONFIG is unset and JOBSSH_JOBS_DIR (<basedir>/<user>) and
 * SLURM_JOB_ID are set. tag is the job daemon's, hosts the job's nodes. */
int jobssh_client_prepare_job(const jobssh_settings_t *s, const char *keydir, const char *tag,
                              const char *user, char *const hosts[], size_t nhosts,
                              jobssh_error_t *err);

/* Atomically replace the step's status file with text (a single line). */
int jobssh_client_write_status(const jobssh_client_paths_t *p, const char *text,
                               jobssh_error_t *err);

/* The human part of a status line that is not "ready PORT": the text after
 * "error ", or the whole line. */
const char *jobssh_client_status_reason(const char *status);

/* Read the step's status line into buf (without the newline). */
int jobssh_client_read_status(const jobssh_client_paths_t *p, char *buf, size_t size,
                              jobssh_error_t *err);

/* Replace the calling process with `jobssh-connect --hold ... host`: it
 * returns (exit 0) once host's daemon of tag has gone, or once done_file
 * exists (the launcher's node writes it when the launcher has ended).
 * Returns only on error. */
int jobssh_client_hold(const jobssh_settings_t *s, const char *tag, const char *host,
                       const char *done_file, jobssh_error_t *err);

/* The file the launcher's node writes when the launcher of step stepid has
 * ended (--ssh=launcher), in the job's key directory. */
int jobssh_client_done_file(const char *keydir, uint32_t stepid, char *buf, size_t size);

/* The daemon tag's job part: "12" for "12.0". */
int jobssh_client_job_of_tag(const char *tag, char *buf, size_t size);

#endif
