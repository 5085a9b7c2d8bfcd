/* test/run.c - the jobssh-hook program: modes, keygen and its key check as
 * the test user, and start/stop against a stand-in for jobssh-sshd (in
 * the test's DROPBEAR_DIR, under that name) that records its command line and input
 * and answers what the test tells it. Root only (the hook checks that its
 * programs are root's, and keygen runs as the test user). */
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
#include "lib/privs.h"
#include "lib/proc.h"
#include "lib/spawn.h"
#include "lib/util.h"
#include "lib/test/tap.h"
#include "lib/test/testuser.h"

#define HOOK HOOK_BUILDDIR "/jobssh-hook"

static char tmp[512];
static jobssh_privs_t user_privs;

static int drop(void *arg, jobssh_error_t *err)
{
    return jobssh_privs_drop(arg, err);
}

/* Run the hook with argv, env and input; its exit status, stderr in errbuf. */
static int run(char *const argv[], char *const env[], const char *input, bool as_user, char *errbuf,
               size_t size)
{
    jobssh_spawn_t o = JOBSSH_SPAWN_INIT;
    jobssh_error_t err = {{0}};
    int in[2], er[2], status = -1;
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    pid_t pid;

    if (pipe2(in, O_CLOEXEC) < 0 || pipe2(er, O_CLOEXEC) < 0)
        bail_out("pipe: %m");
    o.path = HOOK;
    o.argv = argv;
    o.envp = env;
    o.stdin_fd = in[0];
    o.stderr_fd = er[1];
    if (as_user) {
        o.pre_exec = drop;
        o.pre_exec_arg = &user_privs;
    }
    if (jobssh_spawn(&o, &pid, &err) < 0)
        bail_out("spawn %s: %s", HOOK, err.text);
    close(in[0]);
    close(er[1]);
    if (input && write(in[1], input, strlen(input)) != (ssize_t)strlen(input))
        bail_out("write: %m");
    close(in[1]);
    (void)jobssh_read_fd(er[0], 65536, &text, &len);
    close(er[0]);
    if (jobssh_spawn_wait(pid, 60000, &status, &err) < 0)
        bail_out("wait: %s", err.text);
    (void)jobssh_strlcpy(errbuf, text ? text : "", size);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

    if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) || fchmod(fd, mode) < 0)
        bail_out("write %s: %m", path);
    close(fd);
}

static char *read_file(const char *path)
{
    static char buf[8192];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

    if (fd >= 0)
        close(fd);
    buf[n > 0 ? n : 0] = '\0';
    return buf;
}

static char env_base[600], env_passwd[600], env_dropbear[600], env_settings[700];
static char *hook_env[] = {env_base,     env_passwd, env_dropbear, "SERVER_PORT_DEFAULT=15263",
                           env_settings, NULL};

static void test_modes(void)
{
    char err[4096];

    is_int(run((char *[]){"jobssh-hook", "bogus", NULL}, hook_env, "", false, err, sizeof(err)), 1,
           "an unknown mode fails");
    ok(strncmp(err, "jobssh-hook: unknown mode 'bogus': start-ssh-daemon", 51) == 0,
       "  and says so: %s", err);
    is_int(run((char *[]){"jobssh-hook", NULL}, hook_env, "", false, err, sizeof(err)), 1,
           "no mode fails");
    is_int(run((char *[]){"jobssh-hook", "keygen", "--force", NULL}, hook_env, "", false, err,
               sizeof(err)),
           1, "an unknown argument fails");
    is_str(err, "jobssh-hook: keygen: unknown argument '--force'\n", "  and says so");
    is_int(run((char *[]){"jobssh-hook", "start-ssh-daemon", NULL}, (char *[]){"PATH=/bin", NULL},
               "", false, err, sizeof(err)),
           1, "no HOOK_BASE_DIR fails");
    is_str(err, "jobssh-hook: environment: missing required key 'HOOK_BASE_DIR'\n",
           "  naming the variable");
    is_int(run((char *[]){"jobssh-hook", "start-ssh-daemon", NULL},
               (char *[]){"HOOK_BASE_DIR=/h", "JOIN_NAMESPACES=perhaps", NULL}, "", false, err,
               sizeof(err)),
           1, "a bad JOIN_NAMESPACES fails");
    ok(strstr(err, "'JOIN_NAMESPACES' is not a boolean"), "  naming the variable: %s", err);
    is_int(run((char *[]){"jobssh-hook", "keygen", NULL}, hook_env, "", false, err, sizeof(err)), 1,
           "keygen as root fails");
    is_str(err,
           "jobssh-hook: keygen makes the keys of the user who runs it: run it as that user, not "
           "root\n",
           "  and says why");
}

static void test_keygen(void)
{
    char err[4096], keys[700], path[800], host1[512];
    struct stat st;
    static const char *const files[] = {"host_ed25519", "host_ed25519.pub", "id_dropbear",
                                        "id_ed25519",   "id_ed25519.pub",   "authorized_keys"};
    bool modes = true;

    snprintf(keys, sizeof(keys), "%s/home/" TESTUSER_NAME "/.oci-hooks/ssh/keys", tmp);
    is_int(run((char *[]){"jobssh-hook", "check-user-has-sshkeys", NULL}, hook_env, "", true, err,
               sizeof(err)),
           1, "check-user-has-sshkeys fails before keygen");
    ok(strstr(err, "jobssh-hook: " TESTUSER_NAME " has no ssh keys (") &&
           strstr(err, "run `jobssh-hook keygen` first"),
       "  and says what to run: %s", err);

    is_int(run((char *[]){"jobssh-hook", "keygen", NULL}, hook_env, "", true, err, sizeof(err)), 0,
           "keygen as the user works");
    snprintf(path, sizeof(path), "jobssh-hook: made the ssh keys of " TESTUSER_NAME " in %s\n",
             keys);
    is_str(err, path, "  and says where");
    ok(stat(keys, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0700 &&
           st.st_uid == TESTUSER_ID,
       "  the key directory is the user's, 0700");
    for (size_t i = 0; i < JOBSSH_ELEMENTSOF(files); i++) {
        snprintf(path, sizeof(path), "%s/%s", keys, files[i]);
        if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077) ||
            st.st_uid != TESTUSER_ID) {
            diag("%s: missing, or wrong owner or mode", path);
            modes = false;
        }
    }
    ok(modes, "  every key file is there, the user's, with no group or other permission");
    snprintf(path, sizeof(path), "%s/authorized_keys", keys);
    ok(strncmp(read_file(path),
               "no-port-forwarding,no-agent-forwarding,no-X11-forwarding "
               "ssh-ed25519 AAAA",
               72) == 0 &&
           strstr(read_file(path), " jobssh-oci-" TESTUSER_NAME "\n"),
       "  authorized_keys: the user key, no forwarding");
    snprintf(path, sizeof(path), "%s/host_ed25519.pub", keys);
    snprintf(host1, sizeof(host1), "%s", read_file(path));
    ok(strncmp(host1, "ssh-ed25519 AAAA", 16) == 0, "  host_ed25519.pub is an ed25519 key");
    snprintf(path, sizeof(path), "%s/home/" TESTUSER_NAME "/.oci-hooks", tmp);
    ok(stat(path, &st) == 0 && st.st_uid == TESTUSER_ID && (st.st_mode & 07777) == 0700,
       "  .oci-hooks is the user's, 0700");

    is_int(run((char *[]){"jobssh-hook", "check-user-has-sshkeys", NULL}, hook_env, "", true, err,
               sizeof(err)),
           0, "check-user-has-sshkeys succeeds after keygen");
    is_int(run((char *[]){"jobssh-hook", "keygen", NULL}, hook_env, "", true, err, sizeof(err)), 0,
           "keygen again keeps the keys");
    ok(strstr(err, "warning: kept the ssh keys of " TESTUSER_NAME), "  and says so: %s", err);
    snprintf(path, sizeof(path), "%s/host_ed25519.pub", keys);
    is_str(read_file(path), host1, "  the same host key");
    is_int(run((char *[]){"jobssh-hook", "keygen", "--overwrite", NULL}, hook_env, "", true, err,
               sizeof(err)),
           0, "keygen --overwrite");
    ok(strcmp(read_file(path), host1) != 0 && strncmp(read_file(path), "ssh-ed25519 ", 12) == 0,
       "  makes a new host key");
    snprintf(path, sizeof(path), "%s/home/" TESTUSER_NAME "/.oci-hooks/ssh", tmp);
    {
        int n = 0;
        _cleanup_closedir_ DIR *d = opendir(path);
        for (struct dirent *de; d && (de = readdir(d));)
            n += de->d_name[0] != '.' || (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."));
        is_int(n, 1, "  and leaves nothing else behind in .oci-hooks/ssh");
    }
}

/* Has pid ended (gone, or a zombie its new parent has yet to reap)? */
static bool gone(pid_t pid)
{
    char path[64], *p;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    p = strrchr(read_file(path), ')');
    return !p || p[1] == '\0' || p[2] == 'Z' || p[2] == 'X';
}

static char state_json[2048];

static void make_state_status(const char *id, const char *status, pid_t pid,
                              const char *annotations)
{
    snprintf(state_json, sizeof(state_json),
             "{\"ociVersion\":\"1.0.2\",\"id\":\"%s\",\"status\":\"%s\",\"pid\":%d,"
             "\"bundle\":\"%s/bundle\",\"annotations\":{%s}}",
             id, status, (int)pid, tmp, annotations);
}

static void make_state(const char *id, pid_t pid, const char *annotations)
{
    make_state_status(id, "creating", pid, annotations);
}

/* Is args (one per line) holding the line a followed by b? */
static bool arg_pair(const char *args, const char *a, const char *b)
{
    char want[1024];

    snprintf(want, sizeof(want), "\n%s\n%s\n", a, b);
    return strstr(args, want) != NULL;
}

static void test_start_stop(void)
{
    char err[4096], path[800], args[8192];
    jobssh_hook_record_t rec = {0};
    jobssh_error_t e = {{0}};
    int dirfd = -1;
    pid_t sleeper;
    char *start[] = {"jobssh-hook", "createRuntime", NULL};
    char *stop[] = {"jobssh-hook", "poststop", NULL};

    /* the container's process: a child of ours that waits */
    fflush(NULL);
    if ((sleeper = fork()) == 0) {
        alarm(120); /* bounded, whatever happens to the test */
        for (;;)
            pause();
    }
    make_state("ctr-1", sleeper, "");
    is_int(run(start, hook_env, state_json, false, err, sizeof(err)), 0,
           "no com.hooks.ssh.enabled: success, nothing started");
    snprintf(path, sizeof(path), "%s/args", tmp);
    ok(access(path, F_OK) < 0, "  the supervisor did not run");

    make_state("ctr-1", sleeper, "\"com.hooks.ssh.enabled\":\"true\"");
    is_int(run(start, hook_env, state_json, false, err, sizeof(err)), 0, "createRuntime works");
    is_str(err, "", "  quietly");
    snprintf(args, sizeof(args), "\n%s", read_file(path));
    ok(strncmp(args, "\njobssh-sshd\n--container\n", 25) == 0, "  jobssh-sshd --container ran");
    {
        char pidtext[32];
        snprintf(pidtext, sizeof(pidtext), "%d", (int)sleeper);
        ok(arg_pair(args, "--join-pid", pidtext), "  joining the container's process");
    }
    ok(arg_pair(args, "--tag", "77.0") && arg_pair(args, "--hosts", "n[1-2]"),
       "  the Slurm step's tag and nodes from process.env");
    ok(arg_pair(args, "--user", TESTUSER_NAME) && arg_pair(args, "--uid", "2001") &&
           arg_pair(args, "--gid", "2001"),
       "  the user from PASSWD_FILE and process.user");
    ok(arg_pair(args, "--node", "n1"), "  the node is the container's hostname");
    ok(arg_pair(args, "--first-port", "15263"), "  SERVER_PORT_DEFAULT is --first-port");
    snprintf(path, sizeof(path), "%s/home/" TESTUSER_NAME "/.oci-hooks/ssh/keys", tmp);
    ok(arg_pair(args, "--keydir", path), "  the user's Sarus key directory");
    snprintf(path, sizeof(path), "%s/stdin", tmp);
    {
        char *in = read_file(path);
        /* NUL-separated: read_file stops at the first NUL */
        is_str(in, "PATH=/bin", "  the container's environment on its stdin, NUL-separated");
    }
    snprintf(path, sizeof(path), "%s/run/oci-hook", tmp);
    dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ok(dirfd >= 0 && jobssh_hook_record_read(dirfd, "ctr-1", &rec, &e) == 0,
       "  the supervisor is recorded under the container's id");
    {
        unsigned long long st = 0;
        ok(rec.pid > 0 && jobssh_proc_starttime(rec.pid, &st) == 0 && st == rec.starttime,
           "  the record names the running stand-in");
    }
    is_int(run(start, hook_env, state_json, false, err, sizeof(err)), 1,
           "a second start of the same container fails");
    ok(strstr(err, "its ssh daemon runs already"), "  and says so: %s", err);

    make_state("ctr-1", 0, "");
    is_int(run(stop, hook_env, state_json, false, err, sizeof(err)), 0, "poststop works");
    ok(gone(rec.pid), "  the supervisor is gone");
    is_int(jobssh_hook_record_read(dirfd, "ctr-1", &rec, &e), -ENOENT, "  the record is gone");
    is_int(run(stop, hook_env, state_json, false, err, sizeof(err)), 0,
           "poststop again: nothing to do, success");
    is_str(err, "", "  quietly");

    /* Sarus's hooks.d file runs start-ssh-daemon at both stages. */
    make_state("ctr-6", sleeper, "\"com.hooks.ssh.enabled\":\"true\"");
    is_int(run((char *[]){"jobssh-hook", "start-ssh-daemon", NULL}, hook_env, state_json, false,
               err, sizeof(err)),
           0, "start-ssh-daemon at createRuntime starts");
    ok(jobssh_hook_record_read(dirfd, "ctr-6", &rec, &e) == 0 && !gone(rec.pid),
       "  its supervisor runs");
    make_state_status("ctr-6", "stopped", 0, "\"com.hooks.ssh.enabled\":\"true\"");
    is_int(run((char *[]){"jobssh-hook", "start-ssh-daemon", NULL}, hook_env, state_json, false,
               err, sizeof(err)),
           0, "start-ssh-daemon with status \"stopped\" (poststop) stops");
    ok(gone(rec.pid) && jobssh_hook_record_read(dirfd, "ctr-6", &rec, &e) == -ENOENT,
       "  the supervisor and its record are gone");

    /* The supervisor's errors fail the hook with its text. */
    snprintf(path, sizeof(path), "%s/answer", tmp);
    write_file(path, "error no free port among the 16 candidates\n", 0644);
    make_state("ctr-2", sleeper, "\"com.hooks.ssh.enabled\":\"true\"");
    is_int(run(start, hook_env, state_json, false, err, sizeof(err)), 1,
           "an \"error\" answer fails the hook");
    is_str(err, "jobssh-hook: container ctr-2: no free port among the 16 candidates\n",
           "  with the supervisor's reason");
    is_int(jobssh_hook_record_read(dirfd, "ctr-2", &rec, &e), -ENOENT, "  and no record");
    write_file(path, "hello\n", 0644);
    is_int(run(start, hook_env, state_json, false, err, sizeof(err)), 1,
           "a garbled answer fails the hook");
    ok(strstr(err, "jobssh-sshd answered 'hello'"), "  naming it: %s", err);
    unlink(path);

    make_state("ctr-3", sleeper,
               "\"com.hooks.ssh.enabled\":\"true\",\"com.hooks.ssh.port\":\"http\"");
    is_int(run(start, hook_env, state_json, false, err, sizeof(err)), 1,
           "a bad port annotation fails the hook");
    is_str(err,
           "jobssh-hook: container ctr-3: annotation com.hooks.ssh.port='http' is not a port "
           "(1-65535)\n",
           "  naming the annotation");
    make_state("ctr-4", 0, "\"com.hooks.ssh.enabled\":\"true\"");
    is_int(run(start, hook_env, state_json, false, err, sizeof(err)), 1,
           "createRuntime without a pid fails");
    is_str(err, "jobssh-hook: state on stdin: \"pid\" is not a positive integer\n",
           "  naming the field");

    /* No keys: the error says to run keygen. */
    snprintf(path, sizeof(path), "%s/home/" TESTUSER_NAME "/.oci-hooks/ssh/keys", tmp);
    {
        char moved[900];
        snprintf(moved, sizeof(moved), "%s.away", path);
        if (rename(path, moved) < 0)
            bail_out("rename: %m");
        make_state("ctr-5", sleeper, "\"com.hooks.ssh.enabled\":\"true\"");
        is_int(run(start, hook_env, state_json, false, err, sizeof(err)), 1,
               "a user without keys fails the hook");
        ok(strstr(err, "jobssh-hook: container ctr-5: " TESTUSER_NAME " has no ssh keys") &&
               strstr(err, "run `jobssh-hook keygen`"),
           "  and says to run keygen: %s", err);
        if (rename(moved, path) < 0)
            bail_out("rename: %m");
    }
    /* A key base or a directory on the way to the keys that others can
     * write: refused, naming it. */
    {
        char base[600], oci[700];
        snprintf(base, sizeof(base), "%s/home", tmp);
        snprintf(oci, sizeof(oci), "%s/home/" TESTUSER_NAME "/.oci-hooks", tmp);
        make_state("ctr-6", sleeper, "\"com.hooks.ssh.enabled\":\"true\"");
        if (chmod(base, 0777) < 0)
            bail_out("chmod: %m");
        is_int(run(start, hook_env, state_json, false, err, sizeof(err)), 1,
               "a world-writable HOOK_BASE_DIR fails the hook");
        ok(strstr(err, "jobssh-hook: container ctr-6: HOOK_BASE_DIR: ") &&
               strstr(err, "/home is world-writable (mode 0777)"),
           "  naming it: %s", err);
        if (chmod(base, 0755) < 0 || chmod(oci, 0770) < 0)
            bail_out("chmod: %m");
        is_int(run(start, hook_env, state_json, false, err, sizeof(err)), 1,
               "a group-writable .oci-hooks fails the hook");
        ok(strstr(err, "jobssh-hook: container ctr-6: the ssh keys of " TESTUSER_NAME
                       " are refused: ") &&
               strstr(err, "/.oci-hooks is group-writable (mode 0770)"),
           "  naming it: %s", err);
        if (chmod(oci, 0700) < 0)
            bail_out("chmod: %m");
    }
    kill(sleeper, SIGKILL);
    waitpid(sleeper, NULL, 0);
    if (dirfd >= 0)
        close(dirfd);
}

/* Copy the program src to dst, 0755 (root's). */
static void copy_program(const char *src, const char *dst)
{
    int in = open(src, O_RDONLY | O_CLOEXEC), out;
    char buf[65536];
    ssize_t n;

    if (in < 0)
        bail_out("open %s: %m", src);
    out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
    if (out < 0)
        bail_out("create %s: %m", dst);
    while ((n = read(in, buf, sizeof(buf))) > 0)
        if (write(out, buf, (size_t)n) != n)
            bail_out("write %s: %m", dst);
    if (n < 0 || fchmod(out, 0755) < 0)
        bail_out("copy %s: %m", src);
    close(in);
    close(out);
}

int main(void)
{
    char why[256], path[700], script[4096];
    jobssh_error_t err = {{0}};

    if (skip_unless_root(1, "runs the hook as root and keygen as the test user"))
        return done_testing();
    if (!testuser_ensure(why, sizeof(why)))
        bail_out("test user: %s", why);
    if (jobssh_privs_lookup(TESTUSER_ID, &user_privs, &err) < 0)
        bail_out("%s", err.text);
    /* Under /run, root's and writable by nobody else all the way up, as
     * the hook requires of DROPBEAR_DIR and the supervisor: the build
     * directory may be anywhere (below /tmp too). */
    snprintf(tmp, sizeof(tmp), "/run/jobssh-hook-test.XXXXXX");
    if (!mkdtemp(tmp) || chmod(tmp, 0755) < 0)
        bail_out("mkdtemp %s: %m", tmp);
    snprintf(path, sizeof(path), "%s/libexec", tmp);
    if (mkdir(path, 0755) < 0)
        bail_out("mkdir %s: %m", path);
    static const char *const progs[] = {"dropbear", "dbclient", "dropbearkey", "dropbearconvert"};
    for (size_t i = 0; i < JOBSSH_ELEMENTSOF(progs); i++) {
        char src[700], dst[800];
        snprintf(src, sizeof(src), "%s/%s", DROPBEAR_BUILDDIR, progs[i]);
        snprintf(dst, sizeof(dst), "%s/libexec/%s", tmp, progs[i]);
        copy_program(src, dst);
    }
    snprintf(path, sizeof(path), "%s/home", tmp);
    mkdir(path, 0755);
    snprintf(path, sizeof(path), "%s/home/" TESTUSER_NAME, tmp);
    if (mkdir(path, 0755) < 0 || chown(path, TESTUSER_ID, TESTUSER_ID) < 0)
        bail_out("mkdir %s: %m", path);
    snprintf(path, sizeof(path), "%s/passwd", tmp);
    write_file(path,
               "root:x:0:0:root:/root:/bin/bash\n" TESTUSER_NAME
               ":x:2001:2001::/home/" TESTUSER_NAME ":/bin/sh\n",
               0644);
    snprintf(path, sizeof(path), "%s/bundle", tmp);
    mkdir(path, 0755);
    snprintf(path, sizeof(path), "%s/bundle/config.json", tmp);
    write_file(path,
               "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\"},\"hostname\":\"n1\","
               "\"process\":{\"user\":{\"uid\":2001,\"gid\":2001},\"env\":[\"PATH=/bin\","
               "\"SLURM_JOB_ID=77\",\"SLURM_STEP_ID=0\",\"SLURM_STEP_NODELIST=n[1-2]\"]}}",
               0644);
    /* The stand-in for jobssh-sshd. */
    snprintf(script, sizeof(script),
             "#!/bin/sh\n"
             "for a in \"$0\" \"$@\"; do echo \"$a\"; done | sed '1s,.*,jobssh-sshd,' > %s/args\n"
             "cat > %s/stdin\n"
             "if [ -f %s/answer ]; then cat %s/answer; exit 0; fi\n"
             "echo 'ready 2345'\n"
             "exec sleep 120 > /dev/null\n",
             tmp, tmp, tmp, tmp);
    snprintf(path, sizeof(path), "%s/libexec/jobssh-sshd", tmp);
    write_file(path, script, 0755);
    snprintf(env_base, sizeof(env_base), "HOOK_BASE_DIR=%s/home", tmp);
    snprintf(env_passwd, sizeof(env_passwd), "PASSWD_FILE=%s/passwd", tmp);
    snprintf(env_dropbear, sizeof(env_dropbear), "DROPBEAR_DIR=%s/libexec", tmp);
    snprintf(env_settings, sizeof(env_settings), "JOBSSH_HOOK_SETTINGS=rundir=%s/run", tmp);

    test_modes();
    test_keygen();
    test_start_stop();

    char *slash = strrchr(tmp, '/');
    *slash = '\0';
    int parent = open(tmp, O_RDONLY | O_DIRECTORY);
    jobssh_path_rmtree_at(parent, slash + 1, NULL);
    close(parent);
    return done_testing();
}
