/* Unit tests for lib/client.c: step paths, the client environment and the
 * status file, in a real temporary directory. */
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

#include "client.h"
#include "path.h"
#include "util.h"
#include "test/tap.h"

static const char *env_get(const jobssh_env_t *env, const char *name)
{
    for (size_t i = 0; i < env->n; i++)
        if (strcmp(env->name[i], name) == 0)
            return env->value[i];
    return "";
}

static void put(const char *dir, const char *name, const char *text)
{
    char path[PATH_MAX + 64];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0)
        bail_out("couldn't write %s", path);
}

static char *slurp(const char *dir, const char *name)
{
    char path[PATH_MAX + 64], *text = NULL;
    int fd;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        jobssh_read_fd(fd, 65536, &text, NULL);
        close(fd);
    }
    return text ? text : strdup("");
}

/* The job daemon's client files in the shared key directory. */
static void test_prepare_job(const jobssh_settings_t *s, const char *tmp)
{
    jobssh_error_t err = {{0}};
    char keydir[PATH_MAX], want[PATH_MAX + 64], link[PATH_MAX + 64];
    char *hosts[] = {"node1", "node2", "node3"}, *text;
    ssize_t n;

    snprintf(keydir, sizeof(keydir), "%s/keys-12", tmp);
    if (mkdir(keydir, 0700) < 0)
        bail_out("mkdir %s: %s", keydir, strerror(errno));
    put(keydir, "host_ed25519", "host private\n");
    put(keydir, "host_ed25519.pub", "ssh-ed25519 AAAAhostkey jobssh-host\n");
    put(keydir, "id_ed25519", "user private\n");
    put(keydir, "id_dropbear", "user private, dropbear\n");
    put(keydir, "authorized_keys", "no-pty ssh-ed25519 AAAAuser\n");
    is_int(jobssh_client_prepare_job(s, keydir, "12.extern", "alice", hosts, 3, &err), 0,
           "the job's client directory: %s", err.text);
    snprintf(want, sizeof(want), "%s/client", keydir);
    text = slurp(want, "env");
    snprintf(link, sizeof(link), "JOBSSH_SSH_CONFIG=%s/client/ssh_config\n", keydir);
    ok(strstr(text, link) != NULL, "env names its ssh_config");
    ok(strstr(text, "JOBSSH_CONNECT_ARGS=--tag 12.extern ") != NULL,
       "env has the job daemon's tag");
    ok(strstr(text, "PATH=") == NULL && strstr(text, "OMPI_") == NULL,
       "env holds JOBSSH_* variables only");
    free(text);
    text = slurp(want, "hostfile");
    is_str(text, "node1\nnode2\nnode3\n", "hostfile: the job's nodes");
    free(text);
    text = slurp(want, "known_hosts");
    is_str(text, "jobssh-12 ssh-ed25519 AAAAhostkey\n", "known_hosts: the job's host key");
    free(text);
    snprintf(want, sizeof(want), "%s/client/bin/ssh", keydir);
    n = readlink(want, link, sizeof(link) - 1);
    link[n > 0 ? n : 0] = '\0';
    is_str(link, "/opt/js/jobssh-connect", "bin/ssh is the wrapper");
    is_int(jobssh_client_prepare_job(s, "/nonexistent/k", "12.extern", "alice", hosts, 3, &err),
           -ENOENT, "a missing key directory");
    is_str(err.text, "couldn't open /nonexistent/k: No such file or directory", "is named");
}

static void test_authorized_keys(void)
{
    jobssh_error_t err = {{0}};
    const char *good = "no-port-forwarding,no-agent-forwarding ssh-ed25519 AAAAC3Nz jobssh-12\n"
                       "# a comment\n\n"
                       "command=\"echo a b\" ecdsa-sha2-nistp256 AAAAE2Vj+/= c\n";
    const char *cases[][2] = {
        {"garbage\n", "ak line 1 is not a public key"},
        {"ssh-ed25519 AAAA\nssh-ed25519\n", "ak line 2 is not a public key"},
        {"ssh-ed25519 not*base64\n", "ak line 1 is not a public key"},
        {"", "ak holds no public key"},
        {"# only a comment\n\n", "ak holds no public key"},
    };

    is_int(jobssh_client_check_authorized_keys(good, strlen(good), "ak", &err), 0,
           "authorized_keys with options, comments and two keys: %s", err.text);
    for (size_t i = 0; i < JOBSSH_ELEMENTSOF(cases); i++) {
        err.text[0] = '\0';
        ok(jobssh_client_check_authorized_keys(cases[i][0], strlen(cases[i][0]), "ak", &err) ==
                   -EINVAL &&
               strcmp(err.text, cases[i][1]) == 0,
           "refused: %s", err.text);
    }
    ok(jobssh_client_check_authorized_keys("ssh-ed25519 AAAA\0\n", 18, "ak", &err) == -EINVAL &&
           strcmp(err.text, "ak holds a NUL byte") == 0,
       "a NUL byte is refused: %s", err.text);
}

/* Key directories that jobssh_client_prepare refuses, each with its reason. */
static void test_bad_key_dirs(const jobssh_settings_t *s, const char *tmp)
{
    jobssh_error_t err = {{0}};
    jobssh_client_paths_t p;
    char keydir[PATH_MAX], link[PATH_MAX + 16], file[PATH_MAX + 32], want[PATH_MAX + 128];
    char *hosts[] = {"node1"}, *big;
    FILE *f;

    snprintf(keydir, sizeof(keydir), "%s/keys-13", tmp);
    if (mkdir(keydir, 0700) < 0 || jobssh_client_paths(s, "node9", "13.0", &p, &err) < 0)
        bail_out("setup of %s failed", keydir);
    snprintf(file, sizeof(file), "%s/node9", tmp);
    mkdir(file, 0755);
    mkdir(p.dir, 0700);
    put(keydir, "host_ed25519", "host private\n");
    put(keydir, "host_ed25519.pub", "ssh-ed25519 AAAAhostkey jobssh-host\n");
    put(keydir, "id_ed25519", "user private\n");
    put(keydir, "id_dropbear", "user private, dropbear\n");
    put(keydir, "authorized_keys", "no-pty ssh-ed25519 AAAAuser\n");
    is_int(jobssh_client_prepare(s, &p, keydir, "13.0", "alice", hosts, 1, &err), 0,
           "a good key directory: %s", err.text);

    snprintf(link, sizeof(link), "%s/link-13", tmp);
    if (symlink(keydir, link) < 0)
        bail_out("symlink %s", link);
    is_int(jobssh_client_prepare(s, &p, link, "13.0", "alice", hosts, 1, &err), -ELOOP,
           "a key directory reached through a symlink");
    snprintf(want, sizeof(want), "%s is a symlink", link);
    is_str(err.text, want, "is named");

    put(keydir, "authorized_keys", "garbage\n");
    jobssh_client_prepare(s, &p, keydir, "13.0", "alice", hosts, 1, &err);
    snprintf(want, sizeof(want), "%s/authorized_keys line 1 is not a public key", keydir);
    is_str(err.text, want, "a malformed authorized_keys is refused");

    snprintf(file, sizeof(file), "%s/authorized_keys", keydir);
    unlink(file);
    if (symlink("/etc/passwd", file) < 0)
        bail_out("symlink %s", file);
    jobssh_client_prepare(s, &p, keydir, "13.0", "alice", hosts, 1, &err);
    snprintf(want, sizeof(want), "%s/authorized_keys is a symlink", keydir);
    is_str(err.text, want, "an authorized_keys symlink is not followed");

    unlink(file);
    if (mkfifo(file, 0600) < 0)
        bail_out("mkfifo %s", file);
    jobssh_client_prepare(s, &p, keydir, "13.0", "alice", hosts, 1, &err);
    snprintf(want, sizeof(want), "%s/authorized_keys is not a regular file", keydir);
    is_str(err.text, want, "a FIFO is refused without blocking");

    unlink(file);
    big = calloc(1, 70000);
    f = fopen(file, "w");
    if (!big || !f || fwrite(big, 1, 70000, f) != 70000 || fclose(f) != 0)
        bail_out("couldn't write %s", file);
    free(big);
    jobssh_client_prepare(s, &p, keydir, "13.0", "alice", hosts, 1, &err);
    snprintf(want, sizeof(want), "%s/authorized_keys is larger than 65536 bytes", keydir);
    is_str(err.text, want, "a huge authorized_keys is refused");
}

int main(void)
{
    jobssh_settings_t s;
    jobssh_client_paths_t p;
    jobssh_error_t err = {{0}};
    jobssh_env_t env;
    char tmpl[] = "/tmp/jobssh-client-test.XXXXXX", buf[512], job[16], path[PATH_MAX];
    char want[PATH_MAX + 32];
    char *argv[] = {"basedir=/k", "libexec_dir=/opt/js"};

    plan(45);
    if (jobssh_settings_parse(2, argv, &s, &err) < 0 || !mkdtemp(tmpl)) {
        diag("setup failed: %s", err.text);
        return 1;
    }
    snprintf(s.rundir, sizeof(s.rundir), "%s", tmpl);

    ok(jobssh_client_paths(&s, "node7", "12.3", &p, &err) == 0, "paths of a step");
    snprintf(path, sizeof(path), "%s/node7/12.3", tmpl);
    is_str(p.dir, path, "step directory is <rundir>/<node>/<tag>");
    is_str(p.name, "12.3", "its name is the tag");
    ok(jobssh_client_paths(&s, "a/b", "1.0", &p, &err) == -EINVAL, "a node name with / is refused");
    ok(jobssh_client_paths(&s, "..", "1.0", &p, &err) == -EINVAL, "node name .. is refused");
    ok(jobssh_client_paths(&s, "n", "../1", &p, &err) == -EINVAL, "a tag with / is refused");

    ok(jobssh_client_job_of_tag("12.3", job, sizeof(job)) == 0, "job of a step tag");
    is_str(job, "12", "it is the job id");
    ok(jobssh_client_job_of_tag(".3", job, sizeof(job)) < 0, "an empty job part is refused");

    jobssh_client_paths(&s, "node7", "12.3", &p, &err);
    ok(jobssh_client_env(&s, &p, "12.3", "/usr/bin:/bin", &env, &err) == 0, "client environment");
    snprintf(want, sizeof(want), "%s/bin:/usr/bin:/bin", p.dir);
    is_str(env_get(&env, "PATH"), want, "the wrapper comes first in PATH");
    is_str(env_get(&env, "OMPI_MCA_plm"), "rsh", "OpenMPI uses its ssh launcher");
    is_str(env_get(&env, "HYDRA_BOOTSTRAP"), "ssh", "hydra uses ssh");
    is_str(env_get(&env, "PDSH_RCMD_TYPE"), "ssh", "pdsh uses ssh");
    ok(strstr(env_get(&env, "JOBSSH_CONNECT_ARGS"), "--tag 12.3 --ports 2222-3221") != NULL,
       "connector arguments: %s", env_get(&env, "JOBSSH_CONNECT_ARGS"));
    jobssh_client_env_free(&env);

    snprintf(path, sizeof(path), "%s/node7", tmpl);
    mkdir(path, 0755);
    mkdir(p.dir, 0700);
    ok(jobssh_client_read_status(&p, buf, sizeof(buf), &err) == -ENOENT, "no status yet: %s",
       err.text);
    ok(jobssh_client_write_status(&p, "ready 2300", &err) == 0, "write the status");
    ok(jobssh_client_read_status(&p, buf, sizeof(buf), &err) == 0, "read it back");
    is_str(buf, "ready 2300", "the same line");
    is_str(jobssh_client_status_reason("error no free port"), "no free port",
           "the reason of an error status");
    ok(jobssh_client_done_file("/k/u/12", 3, buf, sizeof(buf)) == 0 &&
           strcmp(buf, "/k/u/12/launcher-done.3") == 0,
       "launcher done file: %s", buf);

    test_prepare_job(&s, tmpl);
    test_authorized_keys();
    test_bad_key_dirs(&s, tmpl);

    int tmpfd = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ok(tmpfd >= 0 && jobssh_path_rmtree_at(tmpfd, tmpl + strlen("/tmp/"), &err) == 0,
       "remove the test directory: %s", err.text);
    if (tmpfd >= 0)
        close(tmpfd);
    return done_testing();
}
