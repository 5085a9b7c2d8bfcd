/* test/parse.c - the hook's parsers and decisions: state, config.json, its
 * environment, annotations, the plan, jobssh-sshd's command line and answer,
 * passwd lookups. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hook/hook.h"
#include "lib/test/tap.h"

#define STATE_ORIGIN  "state on stdin"
#define CONFIG_ORIGIN "/b/config.json"

static int state(const char *text, jobssh_hook_state_t *st, jobssh_error_t *err)
{
    memset(err, 0, sizeof(*err));
    return jobssh_hook_state_parse(text, strlen(text), STATE_ORIGIN, st, err);
}

static int config(const char *text, jobssh_hook_config_t *c, jobssh_error_t *err)
{
    memset(err, 0, sizeof(*err));
    return jobssh_hook_config_parse(text, strlen(text), CONFIG_ORIGIN, "/b", c, err);
}

/* A state that must fail with exactly want. */
static void state_bad(const char *text, const char *want)
{
    jobssh_hook_state_t st;
    jobssh_error_t err;
    int r = state(text, &st, &err);

    ok(r < 0, "state refused: %s", want);
    is_str(err.text, want, "  its error");
    if (r >= 0)
        jobssh_hook_state_free(&st);
}

static void config_bad(const char *text, const char *want)
{
    jobssh_hook_config_t c;
    jobssh_error_t err;
    int r = config(text, &c, &err);

    ok(r < 0, "config refused: %s", want);
    is_str(err.text, want, "  its error");
    if (r >= 0)
        jobssh_hook_config_free(&c);
}

static void test_state(void)
{
    jobssh_hook_state_t st;
    jobssh_error_t err;

    is_int(state("{\"ociVersion\":\"1.0.2\",\"id\":\"abc-1.x_y\",\"status\":\"creating\","
                 "\"pid\":4242,\"bundle\":\"/run/b\",\"annotations\":{"
                 "\"com.hooks.ssh.enabled\":\"true\",\"com.hooks.ssh.port\":\"15263\","
                 "\"other\":\"x\"}}\n",
                 &st, &err),
           0, "a full state parses");
    is_str(st.id, "abc-1.x_y", "  id");
    is_str(st.status, "creating", "  status");
    is_int(st.pid, 4242, "  pid");
    is_str(st.bundle, "/run/b", "  bundle");
    is_str(st.annotations.enabled, "true", "  com.hooks.ssh.enabled");
    is_str(st.annotations.port, "15263", "  com.hooks.ssh.port");
    ok(st.annotations.tag == NULL, "  an absent annotation is NULL");
    jobssh_hook_state_free(&st);

    is_int(state("{\"ociVersion\":\"1.0.2\",\"id\":\"c\",\"status\":\"stopped\",\"bundle\":\"/b\"}",
                 &st, &err),
           0, "a state without pid (poststop) parses");
    is_int(st.pid, 0, "  pid 0");
    jobssh_hook_state_free(&st);

    state_bad("{\"ociVersion\":\"1\",\"id\":\"c\",\"status\":\"s\",\"pid\":-3,\"bundle\":\"/b\"}",
              "state on stdin: \"pid\" is not a positive integer");
    state_bad(
        "{\"ociVersion\":\"1\",\"id\":\"c\",\"status\":\"s\",\"pid\":\"7\",\"bundle\":\"/b\"}",
        "state on stdin: \"pid\" is not a positive integer");
    state_bad("{\"ociVersion\":\"1\",\"id\":\"c\",\"status\":\"s\",\"pid\":1.5,\"bundle\":\"/b\"}",
              "state on stdin: \"pid\" is not a positive integer");
    state_bad("{\"ociVersion\":\"1\",\"id\":\"c\",\"status\":\"s\",\"pid\":"
              "99999999999999999999,\"bundle\":\"/b\"}",
              "state on stdin: \"pid\" is not a positive integer");
    state_bad("{\"ociVersion\":\"1\",\"status\":\"s\",\"bundle\":\"/b\"}",
              "state on stdin: \"id\" is missing");
    state_bad("{\"ociVersion\":\"1\",\"id\":\"../etc\",\"status\":\"s\",\"bundle\":\"/b\"}",
              "state on stdin: \"id\" is not a container id (1-128 of A-Z a-z 0-9 _ . -, not "
              "starting with '.')");
    state_bad("{\"ociVersion\":\"1\",\"id\":\"a/b\",\"status\":\"s\",\"bundle\":\"/b\"}",
              "state on stdin: \"id\" is not a container id (1-128 of A-Z a-z 0-9 _ . -, not "
              "starting with '.')");
    state_bad("{\"ociVersion\":\"1\",\"id\":7,\"status\":\"s\",\"bundle\":\"/b\"}",
              "state on stdin: \"id\" is not a string");
    state_bad("{\"ociVersion\":\"1\",\"id\":\"c\",\"status\":\"s\",\"bundle\":\"b\"}",
              "state on stdin: \"bundle\" is not an absolute path");
    state_bad("{\"ociVersion\":\"1\",\"id\":\"c\",\"status\":\"s\",\"bundle\":\"/b\\nx\"}",
              "state on stdin: \"bundle\" holds a control character");
    state_bad("{\"ociVersion\":\"1\",\"id\":\"c\",\"status\":\"s\",\"bundle\":\"/b\","
              "\"annotations\":[]}",
              "state on stdin: \"annotations\" is not an object");
    state_bad("{\"ociVersion\":\"1\",\"id\":\"c\",\"status\":\"s\",\"bundle\":\"/b\","
              "\"annotations\":{\"com.hooks.ssh.port\":22}}",
              "state on stdin: annotation \"com.hooks.ssh.port\" is not a string");
    state_bad("[1,2]", "state on stdin: not a JSON object");
    state_bad("{\"id\":", "state on stdin: not JSON: it ends early");
    state_bad("{} {}", "state on stdin: not JSON: text after the object");
    state_bad("", "state on stdin: not JSON: it ends early");
    {
        jobssh_hook_state_t st2;
        char nul[] = "{\"id\":\"a\0\"}";
        memset(&err, 0, sizeof(err));
        ok(jobssh_hook_state_parse(nul, sizeof(nul) - 1, STATE_ORIGIN, &st2, &err) < 0,
           "a NUL byte is refused");
        is_str(err.text, "state on stdin: not JSON: a NUL byte at offset 8", "  its error");
    }
    {
        /* nesting beyond the bound */
        char deep[400];
        size_t n = 0;
        n += (size_t)snprintf(deep, sizeof(deep), "{\"a\":");
        for (int i = 0; i < 100; i++)
            deep[n++] = '[';
        deep[n] = '\0';
        ok(state(deep, &st, &err) < 0 && strstr(err.text, "not JSON"), "deep nesting refused");
        char *big = malloc(JOBSSH_HOOK_STATE_MAX + 2);
        memset(big, ' ', JOBSSH_HOOK_STATE_MAX + 1);
        big[JOBSSH_HOOK_STATE_MAX + 1] = '\0';
        is_int(state(big, &st, &err), -EFBIG, "an oversized state is refused");
        is_str(err.text, "state on stdin: more than 65536 bytes", "  its error");
        free(big);
    }
}

#define CONFIG_HEAD "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\"},"

static void test_config(void)
{
    jobssh_hook_config_t c;
    jobssh_error_t err;

    is_int(config(CONFIG_HEAD "\"hostname\":\"n1\",\"process\":{\"user\":{\"uid\":1000,"
                              "\"gid\":100},\"env\":[\"PATH=/bin\",\"SLURM_JOB_ID=12\","
                              "\"A=b=c\"]},\"linux\":{\"namespaces\":[{\"type\":\"pid\"},"
                              "{\"type\":\"user\"},{\"type\":\"mount\",\"path\":\"/x\"}],"
                              "\"uidMappings\":[{\"containerID\":0,\"hostID\":100000,"
                              "\"size\":65536}],\"gidMappings\":[{\"containerID\":0,"
                              "\"hostID\":200000,\"size\":10}]},\"annotations\":{"
                              "\"org.jobssh.tag\":\"t1\"}}",
                  &c, &err),
           0, "a full config.json parses");
    is_int(c.uid, 1000, "  process.user.uid");
    is_int(c.gid, 100, "  process.user.gid");
    is_int(c.nenv, 3, "  process.env entries");
    is_str(c.env[2], "A=b=c", "  process.env value kept whole");
    ok(c.env[3] == NULL, "  process.env NULL-terminated");
    is_str(jobssh_hook_getenv(c.env, "SLURM_JOB_ID"), "12", "  getenv");
    ok(jobssh_hook_getenv(c.env, "SLURM_JOB") == NULL, "  getenv matches whole names");
    is_str(c.root, "/b/rootfs", "  root.path made absolute with the bundle");
    is_str(c.hostname, "n1", "  hostname");
    ok(c.userns && c.pidns, "  user and pid namespaces seen");
    is_int(c.nuidmap, 1, "  uidMappings");
    is_int(jobssh_hook_idmap(c.uidmap, c.nuidmap, 1000), 101000, "  uid 1000 maps to 101000");
    is_int(jobssh_hook_idmap(c.uidmap, c.nuidmap, 65536), -ERANGE, "  uid 65536 is unmapped");
    is_int(jobssh_hook_idmap(c.gidmap, c.ngidmap, 9), 200009, "  gid 9 maps to 200009");
    is_int(jobssh_hook_idmap(NULL, 0, 77), 77, "  no map: identity");
    is_str(c.annotations.tag, "t1", "  org.jobssh.tag");
    jobssh_hook_config_free(&c);

    is_int(config("{\"root\":{\"path\":\"/r\"},\"process\":{\"user\":{\"uid\":0,\"gid\":0}}}", &c,
                  &err),
           0, "a minimal config.json parses");
    ok(!c.userns && c.nenv == 0 && c.env && !c.env[0] && !c.hostname[0], "  defaults");
    is_str(c.root, "/r", "  absolute root.path kept");
    jobssh_hook_config_free(&c);

    config_bad(CONFIG_HEAD "\"process\":{\"user\":{\"uid\":-1,\"gid\":0}}}",
               "/b/config.json: \"process.user.uid\" is not an integer in 0..4294967294");
    config_bad(CONFIG_HEAD "\"process\":{\"user\":{\"uid\":4294967295,\"gid\":0}}}",
               "/b/config.json: \"process.user.uid\" is not an integer in 0..4294967294");
    config_bad(CONFIG_HEAD "\"process\":{\"user\":{\"uid\":1}}}",
               "/b/config.json: \"process.user.gid\" is missing");
    config_bad(CONFIG_HEAD "\"process\":{}}", "/b/config.json: \"process.user\" is missing");
    config_bad(CONFIG_HEAD "\"process\":{\"user\":{\"uid\":1,\"gid\":1},\"env\":\"A=b\"}}",
               "/b/config.json: \"process.env\" is not an array");
    config_bad(CONFIG_HEAD "\"process\":{\"user\":{\"uid\":1,\"gid\":1},\"env\":[\"A=b\",3]}}",
               "/b/config.json: \"process.env[1]\" is not a string");
    config_bad(CONFIG_HEAD "\"process\":{\"user\":{\"uid\":1,\"gid\":1},\"env\":[\"novalue\"]}}",
               "/b/config.json: \"process.env[0]\" is not NAME=value");
    config_bad("{\"process\":{\"user\":{\"uid\":1,\"gid\":1}}}",
               "/b/config.json: \"root.path\" is missing");
    config_bad(CONFIG_HEAD "\"process\":{\"user\":{\"uid\":1,\"gid\":1}},\"hostname\":5}",
               "/b/config.json: \"hostname\" is not a string");
    config_bad(CONFIG_HEAD "\"process\":{\"user\":{\"uid\":1,\"gid\":1}},\"linux\":{"
                           "\"namespaces\":[{\"path\":\"/x\"}]}}",
               "/b/config.json: \"linux.namespaces[0].type\" is missing");
    config_bad(CONFIG_HEAD "\"process\":{\"user\":{\"uid\":1,\"gid\":1}},\"linux\":{"
                           "\"uidMappings\":[{\"containerID\":0,\"hostID\":1,\"size\":0}]}}",
               "/b/config.json: \"linux.uidMappings[0].size\" is not an integer in "
               "0..4294967295");
    config_bad(CONFIG_HEAD "\"process\":{\"user\":{\"uid\":1,\"gid\":1}},\"linux\":{"
                           "\"uidMappings\":[{\"containerID\":4294967295,\"hostID\":1,"
                           "\"size\":2}]}}",
               "/b/config.json: \"linux.uidMappings[0]\" goes past 4294967295");
}

static char **envv(const char *first, ...)
{
    static char *v[16];
    va_list ap;
    int n = 0;

    va_start(ap, first);
    for (const char *s = first; s && n < 15; s = va_arg(ap, const char *))
        v[n++] = (char *)s;
    va_end(ap);
    v[n] = NULL;
    return v;
}

static void env_bad(char **envp, const char *want)
{
    jobssh_hook_env_t e;
    jobssh_error_t err = {{0}};

    ok(jobssh_hook_env_parse(envp, &e, &err) < 0, "environment refused: %s", want);
    is_str(err.text, want, "  its error");
}

static void test_env(void)
{
    jobssh_hook_env_t e;
    jobssh_error_t err = {{0}};

    is_int(jobssh_hook_env_parse(envv("HOOK_BASE_DIR=/home", "PATH=/bin", NULL), &e, &err), 0,
           "HOOK_BASE_DIR alone is enough");
    is_str(e.base_dir, "/home", "  HOOK_BASE_DIR");
    ok(e.home_ssh && e.join_ns, "  OVERLAY_MOUNT_HOME_SSH and JOIN_NAMESPACES default to true");
    is_int(e.first_port, 0, "  no first port");
    is_str(e.settings.basedir, "/home", "  basedir defaults to HOOK_BASE_DIR");
    is_str(e.settings.libexec_dir, PKGLIBEXECDIR, "  libexec_dir defaults to PKGLIBEXECDIR");
    is_str(e.settings.rundir, "/run/jobssh", "  rundir default");

    is_int(jobssh_hook_env_parse(envv("HOOK_BASE_DIR=/home", "PASSWD_FILE=/opt/p",
                                      "DROPBEAR_DIR=/opt/jobssh/", "SERVER_PORT_DEFAULT=15263",
                                      "OVERLAY_MOUNT_HOME_SSH=false", "JOIN_NAMESPACES=false",
                                      "JOBSSH_HOOK_SETTINGS=rundir=/run/x  port_range=3000-3099 "
                                      "start_timeout=20",
                                      NULL),
                                 &e, &err),
           0, "every variable");
    is_str(e.passwd_file, "/opt/p", "  PASSWD_FILE");
    is_str(e.settings.libexec_dir, "/opt/jobssh", "  DROPBEAR_DIR becomes libexec_dir");
    is_int(e.first_port, 15263, "  SERVER_PORT_DEFAULT");
    ok(!e.home_ssh && !e.join_ns, "  the booleans");
    is_str(e.settings.rundir, "/run/x", "  rundir from JOBSSH_HOOK_SETTINGS");
    is_int(e.settings.ports.low, 3000, "  port_range from JOBSSH_HOOK_SETTINGS");
    is_int(e.settings.start_timeout, 20, "  start_timeout from JOBSSH_HOOK_SETTINGS");

    is_int(jobssh_hook_env_parse(envv("HOOK_BASE_DIR=/home", "SERVER_PORT=2000", NULL), &e, &err),
           0, "the deprecated SERVER_PORT");
    is_int(e.first_port, 2000, "  is the first port");

    env_bad(envv("PATH=/bin", NULL), "environment: missing required key 'HOOK_BASE_DIR'");
    env_bad(envv("HOOK_BASE_DIR=home", NULL),
            "environment: path 'home' of key 'HOOK_BASE_DIR' is not absolute");
    env_bad(envv("HOOK_BASE_DIR=/", NULL), "environment: HOOK_BASE_DIR can't be /");
    env_bad(envv("HOOK_BASE_DIR=/h", "OVERLAY_MOUNT_HOME_SSH=maybe", NULL),
            "environment: value 'maybe' of key 'OVERLAY_MOUNT_HOME_SSH' is not a boolean "
            "(yes/no, true/false, 1/0)");
    env_bad(envv("HOOK_BASE_DIR=/h", "SERVER_PORT_DEFAULT=70000", NULL),
            "environment: value '70000' of key 'SERVER_PORT_DEFAULT' is out of range (1..65535)");
    env_bad(envv("HOOK_BASE_DIR=/h", "SERVER_PORT_DEFAULT=2000", "SERVER_PORT=2001", NULL),
            "environment: SERVER_PORT_DEFAULT=2000 and SERVER_PORT=2001 differ (SERVER_PORT is "
            "its old name: set one)");
    {
        jobssh_error_t e2 = {{0}};
        ok(jobssh_hook_env_parse(envv("HOOK_BASE_DIR=/h", "JOBSSH_HOOK_SETING=x", NULL), &e, &e2) <
               0,
           "a misspelt JOBSSH_HOOK_ variable is refused");
        ok(strncmp(e2.text, "environment: unknown key 'JOBSSH_HOOK_SETING' (known: HOOK_BASE_DIR",
                   66) == 0,
           "  its error names it: %s", e2.text);
    }
    env_bad(
        envv("HOOK_BASE_DIR=/h", "DROPBEAR_DIR=/d", "JOBSSH_HOOK_SETTINGS=libexec_dir=/e", NULL),
        "environment: DROPBEAR_DIR and libexec_dir in JOBSSH_HOOK_SETTINGS both name the "
        "programs' directory: set one");
    env_bad(envv("HOOK_BASE_DIR=/h", "JOBSSH_HOOK_SETTINGS=port_count=0", NULL),
            "environment: JOBSSH_HOOK_SETTINGS: value '0' of key 'port_count' is out of range "
            "(1..64)");
}

/* ---------------------------------------------------------------- plan */

static jobssh_hook_env_t env0;
static jobssh_hook_user_t alice = {
    .name = "alice", .uid = 1000, .gid = 100, .keydir = "/home/alice/.oci-hooks/ssh/keys"};

static int plan_of(const char *annotations, const char *cfg_extra, const char *env_json,
                   jobssh_hook_plan_t *p, jobssh_error_t *err)
{
    char st_text[2048], cfg_text[2048];
    jobssh_hook_state_t st;
    jobssh_hook_config_t c;
    int r;

    snprintf(st_text, sizeof(st_text),
             "{\"ociVersion\":\"1\",\"id\":\"c1\",\"status\":\"creating\",\"pid\":9,"
             "\"bundle\":\"/b\",\"annotations\":{%s}}",
             annotations);
    snprintf(cfg_text, sizeof(cfg_text),
             CONFIG_HEAD "\"process\":{\"user\":{\"uid\":1000,\"gid\":100},\"env\":[%s]}%s}",
             env_json, cfg_extra);
    if (state(st_text, &st, err) < 0 || config(cfg_text, &c, err) < 0)
        bail_out("plan_of: %s", err->text);
    memset(p, 0, sizeof(*p));
    memset(err, 0, sizeof(*err));
    r = jobssh_hook_plan(&st, &c, &env0, &alice, "host7", p, err);
    jobssh_hook_state_free(&st);
    jobssh_hook_config_free(&c);
    return r;
}

static void plan_bad(const char *annotations, const char *env_json, const char *want)
{
    jobssh_hook_plan_t p;
    jobssh_error_t err;

    ok(plan_of(annotations, "", env_json, &p, &err) < 0, "plan refused: %s", want);
    is_str(err.text, want, "  its error");
}

#define ON "\"com.hooks.ssh.enabled\":\"true\""

static void test_plan(void)
{
    jobssh_hook_plan_t p;
    jobssh_error_t err;

    if (jobssh_hook_env_parse(envv("HOOK_BASE_DIR=/home", "SERVER_PORT_DEFAULT=15263", NULL), &env0,
                              &err) < 0)
        bail_out("env: %s", err.text);

    is_int(plan_of("", "", "", &p, &err), 0, "no com.hooks.ssh.enabled: nothing to start");
    is_int(plan_of("\"com.hooks.ssh.enabled\":\"yes\"", "", "", &p, &err), 0,
           "com.hooks.ssh.enabled other than \"true\": nothing to start");

    is_int(plan_of(ON, "", "\"PATH=/bin\"", &p, &err), 1, "enabled, no Slurm, no tag");
    is_str(p.tag, "oci-alice", "  the tag derives from the user");
    is_str(p.node, "host7", "  the node is this host's name");
    is_str(p.hosts, "", "  no hosts");
    ok(p.port == 15263 && !p.port_strict, "  SERVER_PORT_DEFAULT is the first port to try");

    is_int(plan_of(ON, "",
                   "\"SLURM_JOB_ID=812\",\"SLURM_STEP_ID=3\","
                   "\"SLURM_STEP_NODELIST=n[1-4]\",\"SLURM_JOB_NODELIST=n[1-8]\"",
                   &p, &err),
           1, "a Slurm step's container");
    is_str(p.tag, "812.3", "  the tag is <job>.<step>");
    is_str(p.hosts, "n[1-4]", "  the hosts are the step's");
    is_int(plan_of(ON ",\"org.jobssh.tag\":\"mine\"", "",
                   "\"SLURM_JOB_ID=812\",\"SLURM_STEP_ID=3\",\"SLURM_JOB_NODELIST=n[1-8]\"", &p,
                   &err),
           1, "Slurm without a step node list");
    is_str(p.tag, "812.3", "  Slurm's step wins over org.jobssh.tag");
    is_str(p.hosts, "n[1-8]", "  the job's node list");

    is_int(plan_of(ON ",\"org.jobssh.tag\":\"exp-7\",\"org.jobssh.hosts\":\"a,b\"",
                   ",\"hostname\":\"ctr1\"", "", &p, &err),
           1, "our annotations");
    is_str(p.tag, "exp-7", "  org.jobssh.tag");
    is_str(p.hosts, "a,b", "  org.jobssh.hosts");
    is_str(p.node, "ctr1", "  the container's hostname wins over the host's");

    is_int(plan_of(ON ",\"com.hooks.ssh.port\":\"2022\",\"com.hooks.ssh.pidfile_container\":"
                      "\"/run/d.pid\",\"com.hooks.ssh.pidfile_host\":\"/tmp/h.pid\","
                      "\"com.hooks.ssh.authorize_ssh_key\":\"/home/alice/k.pub\"",
                   "", "", &p, &err),
           1, "Sarus's annotations");
    ok(p.port == 2022 && p.port_strict, "  com.hooks.ssh.port is the only port");
    is_str(p.pidfile_container, "/run/d.pid", "  pidfile_container");
    is_str(p.pidfile_host, "/tmp/h.pid", "  pidfile_host");
    is_str(p.authorize_key, "/home/alice/k.pub", "  authorize_ssh_key");

    plan_bad(ON ",\"com.hooks.ssh.port\":\"0\"", "",
             "annotation com.hooks.ssh.port='0' is not a port (1-65535)");
    plan_bad(ON ",\"com.hooks.ssh.port\":\"22x\"", "",
             "annotation com.hooks.ssh.port='22x' is not a port (1-65535)");
    plan_bad(ON ",\"com.hooks.ssh.port\":\"65536\"", "",
             "annotation com.hooks.ssh.port='65536' is not a port (1-65535)");
    plan_bad(ON ",\"com.hooks.ssh.pidfile_host\":\"h.pid\"", "",
             "annotation com.hooks.ssh.pidfile_host='h.pid' is not an absolute path");
    plan_bad(ON ",\"com.hooks.ssh.authorize_ssh_key\":\"k\"", "",
             "annotation com.hooks.ssh.authorize_ssh_key='k' is not an absolute path");
    plan_bad(ON ",\"org.jobssh.tag\":\"a b\"", "",
             "annotation org.jobssh.tag='a b' is not a tag (1-40 of A-Z a-z 0-9 . _ -)");
    plan_bad(ON ",\"org.jobssh.hosts\":\"n[3-1]\"", "",
             "annotation org.jobssh.hosts='n[3-1]' is not a host list");
    plan_bad(ON, "\"SLURM_JOB_ID=12a\",\"SLURM_STEP_ID=0\"",
             "config.json: process.env SLURM_JOB_ID='12a' is not a job id");
    plan_bad(ON, "\"SLURM_JOB_ID=12\",\"SLURM_STEP_ID=0/1\"",
             "config.json: process.env SLURM_STEP_ID='0/1' is not a step id");
    plan_bad(ON, "\"SLURM_JOB_ID=12\",\"SLURM_STEP_ID=0\",\"SLURM_STEP_NODELIST=a[\"",
             "config.json: process.env SLURM_STEP_NODELIST='a[' is not a host list");
    {
        jobssh_hook_plan_t q;
        ok(plan_of(ON, ",\"hostname\":\"bad/name\"", "", &q, &err) < 0, "a bad hostname");
        is_str(err.text, "config.json: hostname 'bad/name' is not a usable node name",
               "  its error");
        /* the state's annotation wins over config.json's */
        is_int(plan_of(ON ",\"com.hooks.ssh.port\":\"3000\"",
                       ",\"annotations\":{\"com.hooks.ssh.port\":\"4000\"}", "", &q, &err),
               1, "annotations in both");
        is_int(q.port, 3000, "  the state's annotation wins");
    }
}

/* ---------------------------------------------------------------- argv */

static bool has_args(char **argv, const char *a, const char *b)
{
    for (size_t i = 0; argv[i]; i++)
        if (strcmp(argv[i], a) == 0 && (!b || (argv[i + 1] && strcmp(argv[i + 1], b) == 0)))
            return true;
    return false;
}

static void test_argv(void)
{
    jobssh_hook_plan_t p;
    jobssh_hook_env_t e;
    jobssh_error_t err = {{0}};
    char buf[8192], *argv[64];
    int n;

    if (jobssh_hook_env_parse(
            envv("HOOK_BASE_DIR=/home", "JOBSSH_HOOK_SETTINGS=rundir=/run/r", NULL), &e, &err) < 0)
        bail_out("env: %s", err.text);
    memset(&p, 0, sizeof(p));
    strcpy(p.tag, "812.3");
    strcpy(p.node, "n1");
    strcpy(p.hosts, "n[1-4]");
    p.port = 15263;
    strcpy(p.pidfile_host, "/tmp/h.pid");
    n = jobssh_hook_sshd_argv(&p, &e, &alice, 4242, buf, sizeof(buf), argv, 64, &err);
    ok(n > 0, "argv built (%d arguments)", n);
    is_str(argv[0], "jobssh-sshd", "  argv[0]");
    is_str(argv[1], "--container", "  --container first");
    ok(has_args(argv, "--join-pid", "4242"), "  --join-pid PID");
    ok(has_args(argv, "--tag", "812.3"), "  --tag");
    ok(has_args(argv, "--user", "alice") && has_args(argv, "--uid", "1000") &&
           has_args(argv, "--gid", "100"),
       "  --user --uid --gid");
    ok(has_args(argv, "--node", "n1") && has_args(argv, "--hosts", "n[1-4]"), "  --node --hosts");
    ok(has_args(argv, "--keydir", "/home/alice/.oci-hooks/ssh/keys"), "  --keydir");
    ok(has_args(argv, "--first-port", "15263") && !has_args(argv, "--port", NULL),
       "  a site port is --first-port");
    ok(has_args(argv, "--home-ssh", NULL) && !has_args(argv, "--no-pid-ns", NULL),
       "  the Sarus defaults: --home-ssh, PID namespace joined");
    ok(has_args(argv, "--pidfile-host", "/tmp/h.pid") &&
           !has_args(argv, "--pidfile-container", NULL) &&
           !has_args(argv, "--authorized-key-file", NULL),
       "  only the annotated files");
    ok(has_args(argv, "--", "basedir=/home"), "  settings after --");
    ok(has_args(argv, "rundir=/run/r", NULL) && has_args(argv, "port_range=2222-3221", NULL),
       "  every setting passed on");
    ok(argv[n] == NULL, "  NULL-terminated");

    p.port_strict = true;
    p.hosts[0] = '\0';
    e.home_ssh = false;
    e.join_ns = false;
    strcpy(p.authorize_key, "/k.pub");
    n = jobssh_hook_sshd_argv(&p, &e, &alice, 4242, buf, sizeof(buf), argv, 64, &err);
    ok(n > 0 && has_args(argv, "--port", "15263") && !has_args(argv, "--first-port", NULL),
       "an annotated port is --port");
    ok(!has_args(argv, "--hosts", NULL), "  no --hosts without hosts");
    ok(!has_args(argv, "--home-ssh", NULL) && has_args(argv, "--no-pid-ns", NULL),
       "  OVERLAY_MOUNT_HOME_SSH=false, JOIN_NAMESPACES=false");
    ok(has_args(argv, "--authorized-key-file", "/k.pub"), "  --authorized-key-file");
    is_int(jobssh_hook_sshd_argv(&p, &e, &alice, 1, buf, 40, argv, 64, &err), -E2BIG,
           "a buffer too small is an error");
    is_int(jobssh_hook_sshd_argv(&p, &e, &alice, 1, buf, sizeof(buf), argv, 10, &err), -E2BIG,
           "too few argv slots is an error");
}

static void test_answer(void)
{
    jobssh_error_t err = {{0}};
    unsigned port = 0;

    is_int(jobssh_hook_answer_parse("ready 2237", &port, &err), 0, "ready PORT");
    is_int(port, 2237, "  the port");
    is_int(jobssh_hook_answer_parse("ready 2240 (1 earlier candidate passed over: x)", &port, &err),
           0, "ready PORT (note)");
    is_int(port, 2240, "  the port");
    is_int(jobssh_hook_answer_parse("error no free port among the 16 candidates", &port, &err),
           -EIO, "error TEXT");
    is_str(err.text, "no free port among the 16 candidates", "  the reason");
    is_int(jobssh_hook_answer_parse("ready 70000", &port, &err), -EPROTO, "a bad port");
    is_int(jobssh_hook_answer_parse("ready", &port, &err), -EPROTO, "no port");
    is_int(jobssh_hook_answer_parse("hello", &port, &err), -EPROTO, "anything else");
    is_str(err.text,
           "jobssh-sshd answered 'hello', not \"ready PORT\", \"started\" or \"error TEXT\"",
           "  its error");
    port = 9;
    is_int(jobssh_hook_answer_parse("started", &port, &err), 0, "started");
    is_int(port, 0, "  no port yet");
    is_int(jobssh_hook_answer_parse("started 1", &port, &err), -EPROTO, "started with more");
}

static void test_misc(void)
{
    jobssh_error_t err = {{0}};
    jobssh_hook_mode_t m;
    char name[40];
    const char *pw = "root:x:0:0:root:/root:/bin/bash\n"
                     "broken line\n"
                     "alice:x:1000:100::/home/alice:/bin/sh\n"
                     "al/ex:x:1001:100::/:/bin/sh\n"
                     "bob:x:10000:100::/home/bob:/bin/sh";

    is_int(jobssh_hook_mode_parse("createRuntime", &m, &err), 0, "createRuntime");
    is_int(m, JOBSSH_HOOK_START, "  starts");
    ok(jobssh_hook_mode_parse("prestart", &m, &err) == 0 && m == JOBSSH_HOOK_START, "prestart");
    ok(jobssh_hook_mode_parse("poststop", &m, &err) == 0 && m == JOBSSH_HOOK_STOP, "poststop");
    ok(jobssh_hook_mode_parse("stop-ssh-daemon", &m, &err) == 0 && m == JOBSSH_HOOK_STOP,
       "stop-ssh-daemon");
    ok(jobssh_hook_mode_parse("keygen", &m, &err) == 0 && m == JOBSSH_HOOK_KEYGEN, "keygen");
    ok(jobssh_hook_mode_parse("check-user-has-sshkeys", &m, &err) == 0 &&
           m == JOBSSH_HOOK_CHECK_KEYS,
       "check-user-has-sshkeys");
    is_int(jobssh_hook_mode_parse("poststart", &m, &err), -EINVAL, "an unknown mode");
    is_str(err.text,
           "unknown mode 'poststart': start-ssh-daemon (createRuntime, prestart), "
           "stop-ssh-daemon (poststop), keygen or check-user-has-sshkeys",
           "  its error");

    is_int(jobssh_hook_passwd_lookup(pw, strlen(pw), 1000, name, sizeof(name), &err), 0,
           "passwd: uid 1000");
    is_str(name, "alice", "  its name");
    ok(jobssh_hook_passwd_lookup(pw, strlen(pw), 10000, name, sizeof(name), &err) == 0 &&
           strcmp(name, "bob") == 0,
       "passwd: the last line, without newline");
    is_int(jobssh_hook_passwd_lookup(pw, strlen(pw), 100, name, sizeof(name), &err), -ENOENT,
           "passwd: uid 100 matches no uid field (only a gid)");
    is_str(err.text, "no user has uid 100", "  its error");
    is_int(jobssh_hook_passwd_lookup(pw, strlen(pw), 1001, name, sizeof(name), &err), -EINVAL,
           "passwd: a name with '/'");
    is_str(err.text, "the name of uid 1001, 'al/ex', is not usable in a path", "  its error");

    ok(jobssh_hook_id_valid("a") && jobssh_hook_id_valid("0123abc_X-y.z"), "valid ids");
    ok(!jobssh_hook_id_valid("") && !jobssh_hook_id_valid(".x") && !jobssh_hook_id_valid("..") &&
           !jobssh_hook_id_valid("a b") && !jobssh_hook_id_valid("a/b"),
       "invalid ids");
    char long_id[JOBSSH_HOOK_ID_MAX + 2];
    memset(long_id, 'a', sizeof(long_id) - 1);
    long_id[sizeof(long_id) - 1] = '\0';
    ok(!jobssh_hook_id_valid(long_id), "an id of %d bytes is too long", JOBSSH_HOOK_ID_MAX + 1);
    long_id[JOBSSH_HOOK_ID_MAX] = '\0';
    ok(jobssh_hook_id_valid(long_id), "an id of %d bytes is fine", JOBSSH_HOOK_ID_MAX);

    jobssh_hook_env_t e;
    char dir[256];
    if (jobssh_hook_env_parse(envv("HOOK_BASE_DIR=/home", NULL), &e, &err) < 0)
        bail_out("env: %s", err.text);
    is_int(jobssh_hook_keydir(&e, "alice", dir, sizeof(dir), &err), 0, "keydir");
    is_str(dir, "/home/alice/.oci-hooks/ssh/keys", "  Sarus's layout");
    is_int(jobssh_hook_keydir(&e, "..", dir, sizeof(dir), &err), -EINVAL, "keydir of '..'");
}

int main(void)
{
    test_state();
    test_config();
    test_env();
    test_plan();
    test_argv();
    test_answer();
    test_misc();
    return done_testing();
}
