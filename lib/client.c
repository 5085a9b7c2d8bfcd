/* client.c - the step directory, ssh configuration and launcher environment
 * (see client.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client.h"
#include "files.h"
#include "path.h"
#include "util.h"

#define KEYFILE_MAX     (64 * 1024)
#define HOSTS_PER_BLOCK 128

int jobssh_client_paths(const jobssh_settings_t *s, const char *node, const char *tag,
                        jobssh_client_paths_t *p, jobssh_error_t *err)
{
    jobssh_client_paths_t tmp;

    if (!node[0] || strchr(node, '/') || strcmp(node, ".") == 0 || strcmp(node, "..") == 0)
        return jobssh_error_set(err, EINVAL, "bad node name '%.64s'", node);
    if (!tag[0] || strchr(tag, '/') || tag[0] == '.')
        return jobssh_error_set(err, EINVAL, "bad daemon tag '%.64s'", tag);
    if (jobssh_snprintf(tmp.node_dir, sizeof(tmp.node_dir), "%s/%s", s->rundir, node) < 0 ||
        jobssh_snprintf(tmp.dir, sizeof(tmp.dir), "%s/%s", tmp.node_dir, tag) < 0 ||
        jobssh_strlcpy(tmp.name, tag, sizeof(tmp.name)) < 0)
        return jobssh_error_set(err, ENAMETOOLONG, "rundir=%s: path too long", s->rundir);
    *p = tmp;
    return 0;
}

int jobssh_client_job_of_tag(const char *tag, char *buf, size_t size)
{
    size_t n = strcspn(tag, ".");
    if (n == 0 || n >= size)
        return -EINVAL;
    memcpy(buf, tag, n);
    buf[n] = '\0';
    return 0;
}

static int env_add(jobssh_env_t *env, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int env_add(jobssh_env_t *env, const char *name, const char *fmt, ...)
{
    va_list ap;
    char *value = NULL;
    int r;

    if (env->n >= JOBSSH_ENV_MAX)
        return -E2BIG;
    va_start(ap, fmt);
    r = vasprintf(&value, fmt, ap);
    va_end(ap);
    if (r < 0)
        return -ENOMEM;
    env->name[env->n] = strdup(name);
    if (!env->name[env->n]) {
        free(value);
        return -ENOMEM;
    }
    env->value[env->n++] = value;
    return 0;
}

void jobssh_client_env_free(jobssh_env_t *env)
{
    for (size_t i = 0; i < env->n; i++) {
        free(env->name[i]);
        free(env->value[i]);
    }
    env->n = 0;
}

int jobssh_client_env(const jobssh_settings_t *s, const jobssh_client_paths_t *p, const char *tag,
                      const char *old_path, jobssh_env_t *env, jobssh_error_t *err)
{
    const char *d = p->dir;
    int r = 0;

    memset(env, 0, sizeof(*env));
    /* The wrapper goes first in PATH, so ssh, mpirun's and pdsh's ssh and
     * any script's ssh reach the job's daemons. */
    r |= env_add(env, "PATH", "%s/bin%s%s", d, old_path[0] ? ":" : "", old_path);
    r |= env_add(env, "JOBSSH_DIR", "%s", d);
    r |= env_add(env, "JOBSSH_TAG", "%s", tag);
    r |= env_add(env, "JOBSSH_SSH_CONFIG", "%s/ssh_config", d);
    r |= env_add(env, "JOBSSH_HOSTFILE", "%s/hostfile", d);
    r |= env_add(env, "JOBSSH_DBCLIENT", "%s/dbclient", s->libexec_dir);
    r |= env_add(env, "JOBSSH_DBCLIENT_KEY", "%s/id_dropbear", d);
    r |= env_add(env, "JOBSSH_DBCLIENT_HOME", "%s/dbclient", d);
    r |= env_add(env, "JOBSSH_CONNECT_ARGS", "--tag %s --ports %u-%u --count %llu --timeout %llu",
                 tag, s->ports.low, s->ports.high, (unsigned long long)s->port_count,
                 (unsigned long long)s->connect_timeout);
    /* OpenMPI: use the rsh/ssh launcher even inside a Slurm allocation. */
    r |= env_add(env, "OMPI_MCA_plm", "rsh");
    r |= env_add(env, "OMPI_MCA_plm_rsh_agent", "%s/bin/ssh", d);
    /* MPICH hydra. */
    r |= env_add(env, "HYDRA_BOOTSTRAP", "ssh");
    r |= env_add(env, "HYDRA_LAUNCHER_EXEC", "%s/bin/ssh", d);
    /* pdsh: ssh module, and the step's nodes as the default target list. */
    r |= env_add(env, "PDSH_RCMD_TYPE", "ssh");
    r |= env_add(env, "WCOLL", "%s/hostfile", d);
    if (r < 0) {
        jobssh_client_env_free(env);
        return jobssh_error_set(err, ENOMEM, "couldn't build the client environment");
    }
    return 0;
}

/* Read a small regular file of the key directory keyfd (path keydir), as
 * the user, without following a symlink. */
static int read_key_file(int keyfd, const char *keydir, const char *name, char **ret,
                         size_t *ret_len, jobssh_error_t *err)
{
    _cleanup_close_ int fd = -1;
    struct stat st;
    int r;

    fd = openat(keyfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0 && errno == ELOOP)
        return jobssh_error_set(err, ELOOP, "%s/%s is a symlink", keydir, name);
    if (fd < 0)
        return jobssh_error_set_errno(err, errno, "couldn't open %s/%s", keydir, name);
    if (fstat(fd, &st) < 0)
        return jobssh_error_set_errno(err, errno, "couldn't stat %s/%s", keydir, name);
    if (!S_ISREG(st.st_mode))
        return jobssh_error_set(err, EINVAL, "%s/%s is not a regular file", keydir, name);
    r = jobssh_read_fd(fd, KEYFILE_MAX, ret, ret_len);
    if (r == -EFBIG)
        return jobssh_error_set(err, EFBIG, "%s/%s is larger than %d bytes", keydir, name,
                                KEYFILE_MAX);
    if (r < 0)
        return jobssh_error_set_errno(err, -r, "couldn't read %s/%s", keydir, name);
    return 0;
}

static int copy_key_file(int keyfd, const char *keydir, const char *name, int dirfd,
                         const char *dst, jobssh_error_t *err)
{
    _cleanup_free_ char *buf = NULL;
    size_t len = 0;
    int r = read_key_file(keyfd, keydir, name, &buf, &len, err);
    if (r < 0)
        return r;
    return jobssh_files_write_at(dirfd, dst, buf, len, 0600, err);
}

static bool is_key_type(const char *t)
{
    static const char *const prefixes[] = {"ssh-", "ecdsa-sha2-", "sk-ssh-", "sk-ecdsa-"};

    for (size_t i = 0; i < JOBSSH_ELEMENTSOF(prefixes); i++)
        if (strncmp(t, prefixes[i], strlen(prefixes[i])) == 0 && t[strlen(prefixes[i])])
            return true;
    return false;
}

static bool is_base64(const char *t)
{
    return t[0] && strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") ==
                       strlen(t);
}

int jobssh_client_check_authorized_keys(const char *text, size_t len, const char *name,
                                        jobssh_error_t *err)
{
    _cleanup_free_ char *copy = NULL;
    unsigned lineno = 0, keys = 0;
    char *save = NULL;

    if (memchr(text, '\0', len))
        return jobssh_error_set(err, EINVAL, "%s holds a NUL byte", name);
    copy = strndup(text, len);
    if (!copy)
        return jobssh_error_set(err, ENOMEM, "out of memory");
    for (char *line = copy, *next; line; line = next) {
        bool found = false;
        char *prev = NULL, *tok;

        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        lineno++;
        line += strspn(line, " \t\r");
        if (!line[0] || line[0] == '#')
            continue;
        /* "[options] TYPE BLOB [comment]": a key type followed by base64 */
        for (tok = strtok_r(line, " \t\r", &save); tok && !found;
             prev = tok, tok = strtok_r(NULL, " \t\r", &save))
            found = prev && is_key_type(prev) && is_base64(tok);
        if (!found)
            return jobssh_error_set(err, EINVAL, "%s line %u is not a public key", name, lineno);
        keys++;
    }
    if (!keys)
        return jobssh_error_set(err, EINVAL, "%s holds no public key", name);
    return 0;
}

/* One public key line "ssh-ed25519 AAAA..." without comment or newline. */
static int key_line(char *pub, char **ret)
{
    char *type = strtok(pub, " \t\r\n");
    char *blob = type ? strtok(NULL, " \t\r\n") : NULL;
    if (!type || !blob || strncmp(type, "ssh-", 4) != 0)
        return -EINVAL;
    if (asprintf(ret, "%s %s", type, blob) < 0)
        return -ENOMEM;
    return 0;
}

static int write_ssh_config(const jobssh_settings_t *s, const jobssh_client_paths_t *p, int dirfd,
                            const char *tag, const char *user, char *const hosts[], size_t nhosts,
                            jobssh_error_t *err)
{
    _cleanup_fclose_ FILE *f = NULL;
    char *text = NULL;
    size_t len = 0;
    char job[32];
    int r;

    if (jobssh_client_job_of_tag(tag, job, sizeof(job)) < 0)
        return jobssh_error_set(err, EINVAL, "bad daemon tag '%s'", tag);
    f = open_memstream(&text, &len);
    if (!f)
        return jobssh_error_set(err, ENOMEM, "out of memory");
    fprintf(f, "# ssh configuration of jobssh step %s (generated; read by the ssh wrapper)\n", tag);
    /* One block per group of hosts: only the step's nodes go through jobssh,
     * every other host keeps the client's defaults. */
    for (size_t i = 0; i < nhosts; i += HOSTS_PER_BLOCK) {
        fputs("Host", f);
        for (size_t j = i; j < nhosts && j < i + HOSTS_PER_BLOCK; j++)
            fprintf(f, " %s", hosts[j]);
        fprintf(f,
                "\n    User %s\n"
                "    IdentityFile %s/id_ed25519\n"
                "    IdentitiesOnly yes\n"
                "    UserKnownHostsFile %s/known_hosts\n"
                "    GlobalKnownHostsFile /dev/null\n"
                "    HostKeyAlias jobssh-%s\n"
                "    StrictHostKeyChecking yes\n"
                "    CheckHostIP no\n"
                "    UpdateHostKeys no\n"
                "    PasswordAuthentication no\n"
                "    KbdInteractiveAuthentication no\n"
                "    ForwardAgent no\n"
                "    ForwardX11 no\n"
                "    BatchMode yes\n"
                "    LogLevel ERROR\n"
                "    ProxyCommand %s/jobssh-connect --fdpass --tag %s --ports %u-%u --count %llu "
                "--timeout %llu %%h\n"
                "    ProxyUseFdpass yes\n",
                user, p->dir, p->dir, job, s->libexec_dir, tag, s->ports.low, s->ports.high,
                (unsigned long long)s->port_count, (unsigned long long)s->connect_timeout);
    }
    if (fclose(f) != 0) {
        f = NULL;
        free(text);
        return jobssh_error_set(err, ENOMEM, "couldn't write ssh_config");
    }
    f = NULL;
    r = jobssh_files_write_at(dirfd, "ssh_config", text, len, 0600, err);
    free(text);
    return r;
}

/* Make (or accept) the private subdirectory name of dirfd; an fd of it. */
static int subdir(int dirfd, const char *name, int *ret_fd, jobssh_error_t *err)
{
    int fd;

    if (mkdirat(dirfd, name, 0700) < 0 && errno != EEXIST)
        return jobssh_error_set_errno(err, errno, "couldn't create %s", name);
    fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return jobssh_error_set_errno(err, errno, "couldn't open %s", name);
    *ret_fd = fd;
    return 0;
}

/* Write dirfd/name with one line per host: "HOST" or "HOST SUFFIX". */
static int write_host_lines(int dirfd, const char *name, mode_t mode, char *const hosts[],
                            size_t nhosts, const char *suffix, jobssh_error_t *err)
{
    FILE *f;
    char *text = NULL;
    size_t len = 0;
    int r;

    f = open_memstream(&text, &len);
    if (!f)
        return jobssh_error_set(err, ENOMEM, "out of memory");
    for (size_t i = 0; i < nhosts; i++)
        if (suffix)
            fprintf(f, "%s %s\n", hosts[i], suffix);
        else
            fprintf(f, "%s\n", hosts[i]);
    if (fclose(f) != 0) {
        free(text);
        return jobssh_error_set(err, ENOMEM, "couldn't write %s", name);
    }
    r = jobssh_files_write_at(dirfd, name, text ? text : "", len, mode, err);
    free(text);
    return r;
}

/* known_hosts for OpenSSH (the job's host key under HostKeyAlias) and, in
 * dbclient/.ssh/, for dbclient, which reads $HOME/.ssh/known_hosts and looks
 * a key up by the host name as typed: one line per node. */
static int write_known_hosts(int dirfd, const char *tag, const char *hostkey, char *const hosts[],
                             size_t nhosts, jobssh_error_t *err)
{
    _cleanup_close_ int dbfd = -1, sshfd = -1;
    char line[1024], job[32];
    int r;

    if (jobssh_client_job_of_tag(tag, job, sizeof(job)) < 0)
        return jobssh_error_set(err, EINVAL, "bad daemon tag '%s'", tag);
    r = snprintf(line, sizeof(line), "jobssh-%s %s\n", job, hostkey);
    if (r < 0 || (size_t)r >= sizeof(line))
        return jobssh_error_set(err, E2BIG, "host key too long");
    if ((r = jobssh_files_write_at(dirfd, "known_hosts", line, (size_t)r, 0600, err)) < 0 ||
        (r = subdir(dirfd, "dbclient", &dbfd, err)) < 0 ||
        (r = subdir(dbfd, ".ssh", &sshfd, err)) < 0)
        return r;
    return write_host_lines(sshfd, "known_hosts", 0600, hosts, nhosts, hostkey, err);
}

int jobssh_client_prepare(const jobssh_settings_t *s, const jobssh_client_paths_t *p,
                          const char *keydir, const char *tag, const char *user,
                          char *const hosts[], size_t nhosts, jobssh_error_t *err)
{
    _cleanup_close_ int keyfd = -1;
    int r;

    /* The key directory and every directory above it: no symlink. */
    if ((r = jobssh_path_open_nofollow(keydir, O_RDONLY | O_DIRECTORY, &keyfd, err)) < 0)
        return r;
    return jobssh_client_prepare_at(s, p, keyfd, keydir, NULL, tag, user, hosts, nhosts, err);
}

int jobssh_client_prepare_at(const jobssh_settings_t *s, const jobssh_client_paths_t *p, int keyfd,
                             const char *keydir, const char *extra_key, const char *tag,
                             const char *user, char *const hosts[], size_t nhosts,
                             jobssh_error_t *err)
{
    _cleanup_close_ int dirfd = -1, authfd = -1, binfd = -1;
    _cleanup_free_ char *pub = NULL, *hostkey = NULL, *auth = NULL;
    char connect[PATH_MAX], name[PATH_MAX + 32];
    size_t len = 0;
    int r;

    dirfd = open(p->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dirfd < 0)
        return jobssh_error_set_errno(err, errno, "couldn't open %s", p->dir);
    if ((r = copy_key_file(keyfd, keydir, "host_ed25519", dirfd, "host_ed25519", err)) < 0 ||
        (r = copy_key_file(keyfd, keydir, "id_ed25519", dirfd, "id_ed25519", err)) < 0 ||
        (r = copy_key_file(keyfd, keydir, "id_dropbear", dirfd, "id_dropbear", err)) < 0)
        return r;
    if ((r = subdir(dirfd, "auth", &authfd, err)) < 0)
        return r;
    (void)jobssh_snprintf(name, sizeof(name), "%s/authorized_keys", keydir);
    if ((r = read_key_file(keyfd, keydir, "authorized_keys", &auth, &len, err)) < 0 ||
        (r = jobssh_client_check_authorized_keys(auth, len, name, err)) < 0)
        return r;
    if (extra_key) {
        size_t elen = strlen(extra_key);
        char *all = realloc(auth, len + elen + 2);
        if (!all)
            return jobssh_error_set(err, ENOMEM, "out of memory");
        auth = all;
        if (len > 0 && auth[len - 1] != '\n')
            auth[len++] = '\n';
        memcpy(auth + len, extra_key, elen);
        len += elen;
    }
    if ((r = jobssh_files_write_at(authfd, "authorized_keys", auth, len, 0600, err)) < 0)
        return r;
    if ((r = read_key_file(keyfd, keydir, "host_ed25519.pub", &pub, &len, err)) < 0)
        return r;
    if (key_line(pub, &hostkey) < 0)
        return jobssh_error_set(err, EINVAL, "%s/host_ed25519.pub: not a public key", keydir);
    if ((r = write_known_hosts(dirfd, tag, hostkey, hosts, nhosts, err)) < 0 ||
        (r = write_ssh_config(s, p, dirfd, tag, user, hosts, nhosts, err)) < 0 ||
        (r = write_host_lines(dirfd, "hostfile", 0644, hosts, nhosts, NULL, err)) < 0 ||
        (r = subdir(dirfd, "bin", &binfd, err)) < 0)
        return r;
    if (jobssh_snprintf(connect, sizeof(connect), "%s/jobssh-connect", s->libexec_dir) < 0)
        return jobssh_error_set(err, ENAMETOOLONG, "libexec_dir: path too long");
    /* Called as ssh or dbclient, jobssh-connect is the client wrapper. */
    static const char *const names[] = {"ssh", "dbclient"};
    for (size_t i = 0; i < JOBSSH_ELEMENTSOF(names); i++) {
        (void)unlinkat(binfd, names[i], 0);
        if (symlinkat(connect, binfd, names[i]) < 0)
            return jobssh_error_set_errno(err, errno, "couldn't create %s/bin/%s", p->dir,
                                          names[i]);
    }
    return 0;
}

int jobssh_client_prepare_job(const jobssh_settings_t *s, const char *keydir, const char *tag,
                              const char *user, char *const hosts[], size_t nhosts,
                              jobssh_error_t *err)
{
    _cleanup_close_ int keyfd = -1, dirfd = -1;
    _cleanup_free_ char *text = NULL;
    _cleanup_fclose_ FILE *f = NULL;
    jobssh_client_paths_t p;
    jobssh_env_t env;
    size_t len = 0;
    int r;

    if (jobssh_snprintf(p.dir, sizeof(p.dir), "%s/client", keydir) < 0 ||
        jobssh_strlcpy(p.node_dir, keydir, sizeof(p.node_dir)) < 0)
        return jobssh_error_set(err, ENAMETOOLONG, "%s: path too long", keydir);
    (void)jobssh_strlcpy(p.name, "client", sizeof(p.name));
    keyfd = open(keydir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (keyfd < 0)
        return jobssh_error_set_errno(err, errno, "couldn't open %s", keydir);
    if ((r = subdir(keyfd, "client", &dirfd, err)) < 0 ||
        (r = jobssh_client_prepare(s, &p, keydir, tag, user, hosts, nhosts, err)) < 0 ||
        (r = jobssh_client_env(s, &p, tag, "", &env, err)) < 0)
        return r;
    f = open_memstream(&text, &len);
    if (!f) {
        jobssh_client_env_free(&env);
        return jobssh_error_set(err, ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < env.n; i++)
        if (strncmp(env.name[i], "JOBSSH_", 7) == 0)
            fprintf(f, "%s=%s\n", env.name[i], env.value[i]);
    jobssh_client_env_free(&env);
    if (fclose(f) != 0) {
        f = NULL;
        return jobssh_error_set(err, ENOMEM, "couldn't write %s/env", p.dir);
    }
    f = NULL;
    return jobssh_files_write_at(dirfd, "env", text, len, 0600, err);
}

int jobssh_client_write_status(const jobssh_client_paths_t *p, const char *text,
                               jobssh_error_t *err)
{
    _cleanup_close_ int dirfd = -1;
    char line[512];
    int n;

    dirfd = open(p->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dirfd < 0)
        return jobssh_error_set_errno(err, errno, "couldn't open %s", p->dir);
    n = snprintf(line, sizeof(line), "%s\n", text);
    if (n < 0 || (size_t)n >= sizeof(line))
        n = (int)sizeof(line) - 1;
    return jobssh_files_write_at(dirfd, "status", line, (size_t)n, 0644, err);
}

const char *jobssh_client_status_reason(const char *status)
{
    return strncmp(status, "error ", 6) == 0 ? status + 6 : status;
}

int jobssh_client_read_status(const jobssh_client_paths_t *p, char *buf, size_t size,
                              jobssh_error_t *err)
{
    char path[PATH_MAX];
    _cleanup_close_ int fd = -1;
    ssize_t n;

    if (size < 2)
        return jobssh_error_set(err, EINVAL, "status buffer too small");
    if (jobssh_snprintf(path, sizeof(path), "%s/status", p->dir) < 0)
        return jobssh_error_set(err, ENAMETOOLONG, "%s/status: path too long", p->dir);
    fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return jobssh_error_set_errno(err, errno, "couldn't open %s", path);
    n = read(fd, buf, size - 1);
    if (n < 0)
        return jobssh_error_set_errno(err, errno, "couldn't read %s", path);
    buf[n] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    if (!buf[0])
        return jobssh_error_set(err, ENODATA, "%s is empty", path);
    return 0;
}

int jobssh_client_hold(const jobssh_settings_t *s, const char *tag, const char *host,
                       const char *done_file, jobssh_error_t *err)
{
    char prog[PATH_MAX], ports[32], count[24], timeout[24];

    if (jobssh_settings_program(s, "jobssh-connect", prog, sizeof(prog), err) < 0)
        return -ENAMETOOLONG;
    snprintf(ports, sizeof(ports), "%u-%u", s->ports.low, s->ports.high);
    snprintf(count, sizeof(count), "%llu", (unsigned long long)s->port_count);
    snprintf(timeout, sizeof(timeout), "%llu", (unsigned long long)s->connect_timeout);
    char *const argv[] = {"jobssh-connect", "--hold", "--tag",       (char *)tag,
                          "--ports",        ports,    "--count",     count,
                          "--timeout",      timeout,  "--done-file", (char *)done_file,
                          (char *)host,     NULL};
    fflush(NULL);
    execv(prog, argv);
    return jobssh_error_set_errno(err, errno, "couldn't exec %s", prog);
}

int jobssh_client_done_file(const char *keydir, uint32_t stepid, char *buf, size_t size)
{
    return jobssh_snprintf(buf, size, "%s/launcher-done.%u", keydir, stepid) < 0 ? -ENAMETOOLONG
                                                                                 : 0;
}
