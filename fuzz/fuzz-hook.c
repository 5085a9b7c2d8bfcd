/* fuzz-hook.c - the OCI hook's parsers: the state, config.json, the plan
 * made from them and jobssh-sshd's command line (hook/state.c)
 *
 * The input is the state JSON, a NUL byte, and config.json. Each parse
 * either succeeds with values within the bounds hook.h documents, or fails
 * with a one-line reason and leaves nothing allocated. When both parse, the
 * plan and the command line are made from them with a fixed environment;
 * the answer parser gets the state's first line. */
#include "config.h"

#include <errno.h>

#include "fuzz.h"
#include "hook/hook.h"
#include "util.h"

static void check_state(const jobssh_hook_state_t *st)
{
    fuzz_assert(jobssh_hook_id_valid(st->id));
    fuzz_assert(st->bundle[0] == '/');
    fuzz_assert(fuzz_printable(st->bundle, sizeof(st->bundle)));
    fuzz_assert(fuzz_printable(st->status, sizeof(st->status)));
    fuzz_assert(st->pid >= 0);
}

static void check_config(const jobssh_hook_config_t *c)
{
    fuzz_assert(c->env && c->nenv <= JOBSSH_HOOK_ENV_MAX && c->env[c->nenv] == NULL);
    for (size_t i = 0; i < c->nenv; i++)
        fuzz_assert(strchr(c->env[i], '=') && c->env[i][0] != '=');
    fuzz_assert(c->root[0] == '/');
    fuzz_assert(c->nuidmap <= JOBSSH_HOOK_IDMAP_MAX && c->ngidmap <= JOBSSH_HOOK_IDMAP_MAX);
    for (size_t i = 0; i < c->nuidmap; i++) {
        fuzz_assert(c->uidmap[i].count >= 1);
        int64_t m = jobssh_hook_idmap(c->uidmap, c->nuidmap, c->uidmap[i].inside);
        fuzz_assert(m >= 0 && m <= UINT32_MAX);
    }
    fuzz_assert(c->uid != (uid_t)-1 && c->gid != (gid_t)-1);
}

static void check_plan(const jobssh_hook_state_t *st, const jobssh_hook_config_t *c)
{
    static char *envp[] = {"HOOK_BASE_DIR=/home", "SERVER_PORT_DEFAULT=15263", NULL};
    jobssh_hook_user_t user = {
        .name = "alice", .uid = 1000, .gid = 100, .keydir = "/home/alice/.oci-hooks/ssh/keys"};
    jobssh_hook_env_t env;
    jobssh_hook_plan_t p;
    jobssh_error_t err = {{0}};
    char buf[4 * PATH_MAX + 8192], *argv[64];
    int r;

    fuzz_assert(jobssh_hook_env_parse(envp, &env, &err) == 0);
    r = jobssh_hook_plan(st, c, &env, &user, "host1", &p, &err);
    if (r < 0) {
        fuzz_assert(fuzz_error_ok(&err));
        return;
    }
    if (r == 0)
        return;
    fuzz_assert(r == 1);
    fuzz_assert(jobssh_port_tag_valid(p.tag));
    fuzz_assert(p.node[0] && strlen(p.node) <= JOBSSH_HOOK_NODE_MAX);
    fuzz_assert(p.port <= 65535 && (!p.port_strict || p.port >= 1));
    fuzz_assert(!p.pidfile_host[0] || p.pidfile_host[0] == '/');
    fuzz_assert(!p.pidfile_container[0] || p.pidfile_container[0] == '/');
    fuzz_assert(!p.authorize_key[0] || p.authorize_key[0] == '/');
    r = jobssh_hook_sshd_argv(&p, &env, &user, st->pid ? st->pid : 1, buf, sizeof(buf), argv,
                              JOBSSH_ELEMENTSOF(argv), &err);
    fuzz_assert(r > 0 && argv[r] == NULL);
    for (int i = 0; i < r; i++)
        fuzz_assert(argv[i] != NULL);
    fuzz_assert(strcmp(argv[0], "jobssh-sshd") == 0 && strcmp(argv[1], "--container") == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, '\0', size);
    size_t slen = nul ? (size_t)(nul - data) : size;
    const char *ctext = nul ? (const char *)nul + 1 : "";
    size_t clen = nul ? size - slen - 1 : 0;
    jobssh_hook_state_t st;
    jobssh_hook_config_t c;
    jobssh_error_t err1 = {{0}}, err2 = {{0}};
    int r1, r2;

    r1 = jobssh_hook_state_parse((const char *)data, slen, "state", &st, &err1);
    if (r1 == 0)
        check_state(&st);
    else
        fuzz_assert(r1 < 0 && fuzz_error_ok(&err1));
    r2 = jobssh_hook_config_parse(ctext, clen, "config.json", "/bundle", &c, &err2);
    if (r2 == 0)
        check_config(&c);
    else
        fuzz_assert(r2 < 0 && fuzz_error_ok(&err2));
    if (r1 == 0 && r2 == 0)
        check_plan(&st, &c);
    if (r1 == 0)
        jobssh_hook_state_free(&st);
    if (r2 == 0)
        jobssh_hook_config_free(&c);

    /* the state's first line as jobssh-sshd's answer */
    {
        char *line = fuzz_strdup(data, slen);
        unsigned port = 0;
        jobssh_error_t err = {{0}};
        line[strcspn(line, "\n")] = '\0';
        int r = jobssh_hook_answer_parse(line, &port, &err);
        if (r == 0)
            fuzz_assert((port >= 1 && port <= 65535 && strncmp(line, "ready ", 6) == 0) ||
                        (port == 0 && strcmp(line, "started") == 0));
        else
            fuzz_assert((r == -EIO || r == -EPROTO) && fuzz_error_ok(&err));
        free(line);
    }
    return 0;
}
