/* fuzz-conf.c - the typed key=value parsers of lib/conf.c (jobssh_conf_*)
 *
 * One key table with every type (and bounded and unbounded numbers). The
 * first input byte picks the entry point, the rest is its input:
 *   0  jobssh_conf_parse_text()     the bytes as a "key = value" file
 *   1  jobssh_conf_parse_argv()     words split at NUL bytes
 *   2  jobssh_conf_parse_environ()  NAME=value strings split at NUL bytes,
 *                                   names with the prefix "fz_" must be keys
 *   3  jobssh_conf_init/set_pair/finish, one word at a time
 * A success must leave every field valid for its type and within its
 * bounds, and the required key set; a failure of 0-2 must leave the struct
 * untouched. Every failure explains itself. */
#include "config.h"

#include <errno.h>

#include "conf.h"
#include "fuzz.h"

#define ARGS_MAX 64

struct fz {
    char str[16];
    char path[64];
    uint64_t count;
    uint64_t big;
    bool flag;
    jobssh_port_range_t ports;
    uint64_t wait;
    uint64_t age;
};

static const jobssh_conf_key_t keys[] = {
    JOBSSH_CONF_KEY(struct fz, "fz_str", JOBSSH_CONF_STRING, str),
    JOBSSH_CONF_KEY(struct fz, "fz_path", JOBSSH_CONF_PATH, path, .required = true),
    JOBSSH_CONF_KEY(struct fz, "fz_count", JOBSSH_CONF_UINT, count, .min = 3, .max = 1000),
    JOBSSH_CONF_KEY(struct fz, "fz_big", JOBSSH_CONF_UINT, big),
    JOBSSH_CONF_KEY(struct fz, "fz_flag", JOBSSH_CONF_BOOL, flag),
    JOBSSH_CONF_KEY(struct fz, "fz_ports", JOBSSH_CONF_PORT_RANGE, ports),
    JOBSSH_CONF_KEY(struct fz, "fz_wait", JOBSSH_CONF_DURATION, wait, .min = 1, .max = 86400),
    JOBSSH_CONF_KEY(struct fz, "fz_age", JOBSSH_CONF_DURATION, age),
    {NULL},
};

static void defaults(struct fz *c)
{
    memset(c, 0, sizeof(*c));
    strcpy(c->str, "dflt");
    c->count = 10;
    c->big = 7;
    c->flag = true;
    c->ports.low = 2222;
    c->ports.high = 3221;
    c->wait = 30;
    c->age = 0;
    /* path stays "": it is required, so a success must have set it */
}

static void check_values(const struct fz *c)
{
    unsigned char flag;

    fuzz_assert(fuzz_printable(c->str, sizeof(c->str)));
    fuzz_assert(fuzz_path_ok(c->path, sizeof(c->path)));
    fuzz_assert(c->count >= 3 && c->count <= 1000);
    memcpy(&flag, &c->flag, 1);
    fuzz_assert(flag == 0 || flag == 1);
    fuzz_assert(c->ports.low >= 1024 && c->ports.low <= c->ports.high);
    fuzz_assert(c->wait >= 1 && c->wait <= 86400);
}

static void check_failure(int r, const jobssh_error_t *err)
{
    fuzz_assert(r == -EINVAL || r == -ERANGE || r == -E2BIG || r == -ENOMEM);
    fuzz_assert(fuzz_error_ok(err));
}

/* Mode 3: the one-value-at-a-time interface. */
static void set_each(int argc, char **argv)
{
    jobssh_error_t err = {{0}};
    jobssh_conf_t ctx;
    struct fz c;
    int r;

    defaults(&c);
    fuzz_assert(jobssh_conf_init(&ctx, keys, &c, sizeof(c), &err) == 0);
    for (int i = 0; i < argc; i++) {
        memset(&err, 0, sizeof(err));
        r = jobssh_conf_set_pair(&ctx, argv[i], &err);
        if (r < 0) {
            check_failure(r, &err);
            return;
        }
    }
    memset(&err, 0, sizeof(err));
    r = jobssh_conf_finish(&ctx, &err);
    if (r == 0)
        check_values(&c);
    else
        check_failure(r, &err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    jobssh_error_t err = {{0}};
    struct fz c, before;
    char *argv[ARGS_MAX], *buf = NULL;
    int argc = 0, r = 0;
    unsigned mode;

    if (size < 1)
        return 0;
    mode = data[0] % 4;
    data++;
    size--;
    defaults(&c);
    memcpy(&before, &c, sizeof(c));
    switch (mode) {
    case 0:
        r = jobssh_conf_parse_text(keys, (const char *)data, size, "fuzz.conf", &c, sizeof(c),
                                   &err);
        /* every error of a file names it */
        fuzz_assert(r == 0 || strncmp(err.text, "fuzz.conf", 9) == 0);
        break;
    case 1:
        argc = fuzz_split(data, size, false, argv, ARGS_MAX, &buf);
        r = jobssh_conf_parse_argv(keys, argc, argv, &c, sizeof(c), &err);
        break;
    case 2:
        argc = fuzz_split(data, size, false, argv, ARGS_MAX - 1, &buf);
        argv[argc] = NULL;
        r = jobssh_conf_parse_environ(keys, argv, "fz_", &c, sizeof(c), &err);
        break;
    default:
        argc = fuzz_split(data, size, false, argv, ARGS_MAX, &buf);
        set_each(argc, argv);
        free(buf);
        return 0;
    }
    if (r == 0) {
        check_values(&c);
    } else {
        check_failure(r, &err);
        fuzz_assert(memcmp(&c, &before, sizeof(c)) == 0);
    }
    free(buf);
    return 0;
}
