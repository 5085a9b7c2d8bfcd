/* fuzz-settings.c - jobssh_settings_parse(), the plugstack.conf arguments
 *
 * The input is split at NUL bytes and whitespace into argv, as Slurm splits
 * a plugstack.conf line. A successful parse must give values within the
 * bounds settings.h documents; a failed one must leave the settings
 * untouched and explain itself. */
#include "config.h"

#include <errno.h>

#include "fuzz.h"
#include "settings.h"

#define ARGS_MAX 64

static void check_settings(const jobssh_settings_t *s)
{
    char prog[PATH_MAX];
    jobssh_error_t err = {{0}};

    fuzz_assert(fuzz_path_ok(s->basedir, sizeof(s->basedir)));
    fuzz_assert(strcmp(s->basedir, "/") != 0);
    fuzz_assert(fuzz_path_ok(s->libexec_dir, sizeof(s->libexec_dir)));
    fuzz_assert(fuzz_path_ok(s->rundir, sizeof(s->rundir)));
    fuzz_assert(s->ports.low >= 1024 && s->ports.low <= s->ports.high);
    fuzz_assert(s->port_count >= 1 && s->port_count <= 64);
    fuzz_assert(s->connect_timeout >= 1 && s->connect_timeout <= 3600);
    fuzz_assert(s->start_timeout >= 1 && s->start_timeout <= 600);

    /* a program path is libexec_dir/name, or an error when it is too long */
    if (jobssh_settings_program(s, "dropbear", prog, sizeof(prog), &err) == 0) {
        size_t n = strlen(s->libexec_dir);
        fuzz_assert(strncmp(prog, s->libexec_dir, n) == 0 && strcmp(prog + n, "/dropbear") == 0);
    } else {
        fuzz_assert(fuzz_error_ok(&err));
    }
}

static bool same_settings(const jobssh_settings_t *a, const jobssh_settings_t *b)
{
    return strcmp(a->basedir, b->basedir) == 0 && strcmp(a->libexec_dir, b->libexec_dir) == 0 &&
           strcmp(a->rundir, b->rundir) == 0 && a->ports.low == b->ports.low &&
           a->ports.high == b->ports.high && a->port_count == b->port_count &&
           a->connect_timeout == b->connect_timeout && a->start_timeout == b->start_timeout;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    jobssh_settings_t s, before, again;
    char *argv[ARGS_MAX], *buf;
    jobssh_error_t err;
    bool has_basedir = false, all_pairs = true;
    int argc = fuzz_split(data, size, true, argv, ARGS_MAX, &buf);
    int r;

    for (int i = 0; i < argc; i++) {
        has_basedir |= strncmp(argv[i], "basedir=", 8) == 0;
        all_pairs &= strchr(argv[i], '=') != NULL;
    }
    memset(&s, 0xa5, sizeof(s));
    memcpy(&before, &s, sizeof(s));
    memset(&err, 0, sizeof(err));
    r = jobssh_settings_parse(argc, argv, &s, &err);
    if (r == 0) {
        /* fail closed: every word is key=value and basedir is required */
        fuzz_assert(has_basedir && all_pairs);
        check_settings(&s);
        /* the same words parse to the same settings */
        fuzz_assert(jobssh_settings_parse(argc, argv, &again, NULL) == 0);
        fuzz_assert(same_settings(&s, &again));
    } else {
        fuzz_assert(r == -EINVAL || r == -ERANGE || r == -E2BIG || r == -ENOMEM);
        fuzz_assert(fuzz_error_ok(&err));
        fuzz_assert(memcmp(&s, &before, sizeof(s)) == 0);
    }
    free(buf);
    return 0;
}
