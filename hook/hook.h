/* hook.h - the OCI hook's parsers and decisions (jobssh-hook(8))
 *
 * Everything jobssh-hook decides from its inputs, apart from the program
 * that acts on it (jobssh-hook.c), so that tests and the fuzzer call it:
 *
 *   state     the OCI state on stdin (JSON): id, status, pid, bundle,
 *             annotations
 *   config    the bundle's config.json: process.user, process.env,
 *             root.path, hostname, linux.namespaces, linux.uidMappings,
 *             linux.gidMappings, annotations
 *   env       the hook's own environment (set by the hooks.d JSON):
 *             HOOK_BASE_DIR, PASSWD_FILE, DROPBEAR_DIR, SERVER_PORT_DEFAULT,
 *             SERVER_PORT, OVERLAY_MOUNT_HOME_SSH, JOIN_NAMESPACES,
 *             JOBSSH_HOOK_SETTINGS
 *   plan      what to start: tag, node, hosts, port, the annotated files
 *   argv      the command line of jobssh-sshd --container
 *   answer    jobssh-sshd's one line, "ready PORT", "started" (port 0: the
 *             container is not set up yet) or "error TEXT"
 *   record    the file naming the supervisor of one container, so that
 *             poststop finds it (record.c)
 *
 * Every input is bounded and type-checked; errors name the field and where
 * it came from: "state on stdin: \"pid\" is not a positive integer".
 */
#ifndef JOBSSH_HOOK_H
#define JOBSSH_HOOK_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/error.h"
#include "lib/port.h"
#include "lib/settings.h"

#define JOBSSH_HOOK_STATE_MAX    (64 * 1024)       /* bytes of the state JSON */
#define JOBSSH_HOOK_CONFIG_MAX   (4 * 1024 * 1024) /* bytes of config.json */
#define JOBSSH_HOOK_JSON_DEPTH   64                /* nesting of either */
#define JOBSSH_HOOK_ID_MAX       128               /* container id */
#define JOBSSH_HOOK_ENV_MAX      4096              /* process.env entries */
#define JOBSSH_HOOK_ENV_BYTES    (1024 * 1024)     /* process.env bytes, NULs included */
#define JOBSSH_HOOK_IDMAP_MAX    64                /* entries of uidMappings/gidMappings */
#define JOBSSH_HOOK_NODE_MAX     64                /* node (host) name */
#define JOBSSH_HOOK_USER_MAX     32                /* user name */
#define JOBSSH_HOOK_HOSTS_MAX    4096              /* host list text */
#define JOBSSH_HOOK_PASSWD_MAX   (16 * 1024 * 1024)
#define JOBSSH_HOOK_SETTINGS_MAX 32 /* words in JOBSSH_HOOK_SETTINGS */

/* The annotations the hook reads (NULL: absent). */
typedef struct jobssh_hook_annotations {
    char *enabled;           /* com.hooks.ssh.enabled */
    char *port;              /* com.hooks.ssh.port */
    char *pidfile_container; /* com.hooks.ssh.pidfile_container */
    char *pidfile_host;      /* com.hooks.ssh.pidfile_host */
    char *authorize_key;     /* com.hooks.ssh.authorize_ssh_key */
    char *tag;               /* org.jobssh.tag */
    char *hosts;             /* org.jobssh.hosts */
} jobssh_hook_annotations_t;

typedef struct jobssh_hook_state {
    char id[JOBSSH_HOOK_ID_MAX + 1];
    char status[16];
    pid_t pid; /* 0 when absent or 0 (after the container has stopped) */
    char bundle[PATH_MAX];
    jobssh_hook_annotations_t annotations;
} jobssh_hook_state_t;

typedef struct jobssh_hook_idmap {
    uint32_t inside, outside, count;
} jobssh_hook_idmap_t;

typedef struct jobssh_hook_config {
    uid_t uid; /* process.user, as the container sees it */
    gid_t gid;
    char **env; /* process.env, NULL-terminated (owned) */
    size_t nenv;
    char root[PATH_MAX];                     /* root.path, made absolute with the bundle */
    char hostname[JOBSSH_HOOK_NODE_MAX + 1]; /* "" when not set */
    bool userns;                             /* linux.namespaces has "user" */
    bool pidns;                              /* ... and "pid" */
    size_t nuidmap, ngidmap;
    jobssh_hook_idmap_t uidmap[JOBSSH_HOOK_IDMAP_MAX];
    jobssh_hook_idmap_t gidmap[JOBSSH_HOOK_IDMAP_MAX];
    jobssh_hook_annotations_t annotations;
} jobssh_hook_config_t;

typedef struct jobssh_hook_env {
    char base_dir[PATH_MAX];     /* HOOK_BASE_DIR (required) */
    char passwd_file[PATH_MAX];  /* PASSWD_FILE; "": the host's user database */
    char dropbear_dir[PATH_MAX]; /* DROPBEAR_DIR; "": libexec_dir of the settings */
    unsigned first_port;         /* SERVER_PORT_DEFAULT or SERVER_PORT; 0: none */
    bool home_ssh;               /* OVERLAY_MOUNT_HOME_SSH [true] */
    bool join_ns;                /* JOIN_NAMESPACES [true] */
    jobssh_settings_t settings;  /* JOBSSH_HOOK_SETTINGS, basedir and libexec_dir filled in */
} jobssh_hook_env_t;

/* What start-ssh-daemon starts. */
typedef struct jobssh_hook_plan {
    char tag[JOBSSH_PORT_TAG_MAX + 1];
    char node[JOBSSH_HOOK_NODE_MAX + 1];
    char hosts[JOBSSH_HOOK_HOSTS_MAX + 1]; /* "": only this node */
    unsigned port;                         /* 0: the tag's candidates */
    bool port_strict;                      /* port is the only one (--port) */
    char pidfile_container[PATH_MAX];      /* "": none */
    char pidfile_host[PATH_MAX];
    char authorize_key[PATH_MAX];
} jobssh_hook_plan_t;

/* The user the daemon runs as, as the hook sees it. */
typedef struct jobssh_hook_user {
    char name[JOBSSH_HOOK_USER_MAX + 1];
    uid_t uid;
    gid_t gid;
    char keydir[PATH_MAX]; /* <HOOK_BASE_DIR>/<name>/.oci-hooks/ssh/keys */
} jobssh_hook_user_t;

/* The modes of argv[1]. */
typedef enum jobssh_hook_mode {
    JOBSSH_HOOK_START,
    JOBSSH_HOOK_STOP,
    JOBSSH_HOOK_KEYGEN,
    JOBSSH_HOOK_CHECK_KEYS,
} jobssh_hook_mode_t;

/* argv[1]: start-ssh-daemon (createRuntime, prestart), stop-ssh-daemon
 * (poststop), keygen, check-user-has-sshkeys. -EINVAL otherwise. */
int jobssh_hook_mode_parse(const char *word, jobssh_hook_mode_t *ret, jobssh_error_t *err);

/* Is id a container id usable as a file name: 1..JOBSSH_HOOK_ID_MAX bytes
 * of [A-Za-z0-9_.-], not starting with '.'? */
bool jobssh_hook_id_valid(const char *id);

/* Parse the OCI state (len bytes, origin names it in errors). */
int jobssh_hook_state_parse(const char *text, size_t len, const char *origin,
                            jobssh_hook_state_t *ret, jobssh_error_t *err);
void jobssh_hook_state_free(jobssh_hook_state_t *st);

/* Parse config.json (len bytes, origin names it); bundle makes a relative
 * root.path absolute. */
int jobssh_hook_config_parse(const char *text, size_t len, const char *origin, const char *bundle,
                             jobssh_hook_config_t *ret, jobssh_error_t *err);
void jobssh_hook_config_free(jobssh_hook_config_t *c);

/* The hook's environment (envp). Unknown JOBSSH_HOOK_* names are errors. */
int jobssh_hook_env_parse(char *const envp[], jobssh_hook_env_t *ret, jobssh_error_t *err);

/* The value of NAME in a NULL-terminated NAME=value array, or NULL. */
const char *jobssh_hook_getenv(char *const env[], const char *name);

/* Map id (inside the container) through map: the id outside, or -ERANGE
 * when no entry holds it. n == 0: the identity. */
int64_t jobssh_hook_idmap(const jobssh_hook_idmap_t *map, size_t n, uint32_t id);

/* Decide what to start (start-ssh-daemon) from the state, the config, the
 * environment, the user and this host's name (uname). Annotations of the
 * state win over those of config.json. Returns 1 when com.hooks.ssh.enabled
 * is "true", 0 when the container wants no ssh (plan untouched), -errno
 * naming the field. */
int jobssh_hook_plan(const jobssh_hook_state_t *st, const jobssh_hook_config_t *c,
                     const jobssh_hook_env_t *env, const jobssh_hook_user_t *user,
                     const char *host_node, jobssh_hook_plan_t *ret, jobssh_error_t *err);

/* The command line of jobssh-sshd (argv[0] "jobssh-sshd") in argv (room for
 * max pointers, NULL-terminated); the strings are in buf (size bytes) or
 * the inputs. Returns the number of arguments. */
int jobssh_hook_sshd_argv(const jobssh_hook_plan_t *p, const jobssh_hook_env_t *env,
                          const jobssh_hook_user_t *user, pid_t pid, char *buf, size_t size,
                          char **argv, size_t max, jobssh_error_t *err);

/* jobssh-sshd's answer (one line, without the newline): 0 and *ret_port for
 * "ready PORT[ (note)]"; -EIO with the text after "error " in err for
 * "error TEXT"; -EPROTO for anything else. */
int jobssh_hook_answer_parse(const char *line, unsigned *ret_port, jobssh_error_t *err);

/* The user with uid in a passwd file's text (len bytes): name and home.
 * -ENOENT when no line has that uid, -EINVAL for an unusable name. */
int jobssh_hook_passwd_lookup(const char *text, size_t len, uid_t uid, char *name, size_t name_size,
                              jobssh_error_t *err);

/* Is name usable as a path component: 1..JOBSSH_HOOK_USER_MAX bytes of
 * [A-Za-z0-9._-] not starting with '.' or '-'? */
bool jobssh_hook_user_valid(const char *name);

/* <base_dir>/<name>/.oci-hooks/ssh/keys */
int jobssh_hook_keydir(const jobssh_hook_env_t *env, const char *name, char *buf, size_t size,
                       jobssh_error_t *err);

/* ---------------------------------------------------------------- record.c */

/* The supervisor of one container: its pid and start time (jobssh_proc.h). */
typedef struct jobssh_hook_record {
    pid_t pid;
    unsigned long long starttime;
} jobssh_hook_record_t;

/* The directory of the records: <rundir>/oci-hook (root's, 0700) when the
 * hook runs as root in the initial user namespace; otherwise
 * <XDG_RUNTIME_DIR or /run/user/<uid>>/jobssh-hook (the caller's, 0700).
 * xdg may be NULL. */
int jobssh_hook_record_dir(const jobssh_settings_t *s, bool privileged, const char *xdg,
                           uid_t host_uid, char *buf, size_t size, jobssh_error_t *err);

/* Open (making it when missing) the record directory dir: its parent must
 * exist, be reached without a symlink and not be writable by anybody but
 * root or the caller (sticky directories excepted); dir itself must be the
 * caller's, mode 0700. */
int jobssh_hook_record_open_dir(const char *dir, int *ret_fd, jobssh_error_t *err);

/* Write, read and remove the record of container id in dirfd. Reading
 * refuses a symlink, anything but a regular file, a file not the caller's
 * or writable by others, and malformed contents; -ENOENT when there is no
 * record. Removing a missing record is success (0; 1 when one was removed). */
int jobssh_hook_record_write(int dirfd, const char *id, const jobssh_hook_record_t *rec,
                             jobssh_error_t *err);
int jobssh_hook_record_read(int dirfd, const char *id, jobssh_hook_record_t *ret,
                            jobssh_error_t *err);
int jobssh_hook_record_remove(int dirfd, const char *id, jobssh_error_t *err);

/* Stop the supervisor rec names if it still runs as that process (pid and
 * start time): SIGTERM, wait up to timeout_ms, then SIGKILL. 0 when it had
 * already gone, 1 when it ended after SIGTERM, 2 when SIGKILL was needed. */
int jobssh_hook_record_stop(const jobssh_hook_record_t *rec, int timeout_ms, jobssh_error_t *err);

#endif
