/* test/conf.c - typed key=value parsing, fail closed */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "util.h"
#include "tap.h"

struct cfg {
    char basedir[64];
    char name[8];
    jobssh_port_range_t ports;
    uint64_t maxconn;
    bool join;
    uint64_t timeout;
};

static const jobssh_conf_key_t keys[] = {
    JOBSSH_CONF_KEY(struct cfg, "basedir", JOBSSH_CONF_PATH, basedir, .required = true),
    JOBSSH_CONF_KEY(struct cfg, "name", JOBSSH_CONF_STRING, name),
    JOBSSH_CONF_KEY(struct cfg, "port_range", JOBSSH_CONF_PORT_RANGE, ports),
    JOBSSH_CONF_KEY(struct cfg, "maxconn", JOBSSH_CONF_UINT, maxconn, .min = 1, .max = 100),
    JOBSSH_CONF_KEY(struct cfg, "join", JOBSSH_CONF_BOOL, join),
    JOBSSH_CONF_KEY(struct cfg, "timeout", JOBSSH_CONF_DURATION, timeout, .max = 86400),
    {NULL},
};

static const struct cfg defaults = {"/default", "dflt", {2000, 3000}, 10, true, 30};

/* Parse a NULL-terminated list of arguments on top of the defaults. */
static int parse(struct cfg *c, jobssh_error_t *err, const char *first, ...)
{
    char *argv[16];
    int argc = 0;
    va_list ap;

    va_start(ap, first);
    for (const char *a = first; a && argc < 16; a = va_arg(ap, const char *))
        argv[argc++] = (char *)a;
    va_end(ap);
    *c = defaults;
    return jobssh_conf_parse_argv(keys, argc, argv, c, sizeof(*c), err);
}

static void test_argv(void)
{
    jobssh_error_t err = {{0}};
    struct cfg c;

    is_int(parse(&c, &err, "basedir=/var/lib/jobssh/", "port_range=40000-40999", "maxconn=100",
                 "join=no", "timeout=5m", "name=abc=d", NULL),
           0, "valid arguments parse");
    is_str(c.basedir, "/var/lib/jobssh", "path: trailing '/' removed");
    ok(c.ports.low == 40000 && c.ports.high == 40999, "port range parsed");
    is_int(c.maxconn, 100, "uint at its maximum");
    ok(!c.join, "bool 'no'");
    is_int(c.timeout, 300, "duration 5m is 300 s");
    is_str(c.name, "abc=d", "a value may contain '='");

    is_int(parse(&c, &err, "basedir=/x", NULL), 0, "only the required key");
    is_int(c.maxconn, 10, "defaults kept for keys not given");

    is_int(parse(&c, &err, "basdir=/x", NULL), -EINVAL, "unknown key fails");
    is_str(err.text,
           "unknown key 'basdir' (known: basedir, name, port_range, maxconn, join, timeout)",
           "unknown key error lists the known keys");
    is_int(parse(&c, &err, "basedir=/x", "join=1", "join=0", NULL), -EINVAL, "duplicate fails");
    is_str(err.text, "duplicate key 'join'", "duplicate key error");
    ok(strcmp(c.basedir, "/default") == 0 && c.join, "struct unchanged after a failure");
    is_int(parse(&c, &err, "basedir", NULL), -EINVAL, "missing '=' fails");
    is_str(err.text, "missing '=' in 'basedir' (expected key=value)", "missing '=' error");
    is_int(parse(&c, &err, "=/x", NULL), -EINVAL, "missing key fails");
    is_int(parse(&c, &err, "basedir=", NULL), -EINVAL, "empty value fails");
    is_str(err.text, "empty value for key 'basedir'", "empty value error");
    is_int(parse(&c, &err, "join=yes", NULL), -EINVAL, "missing required key fails");
    is_str(err.text, "missing required key 'basedir'", "missing required key error");
}

static void test_values(void)
{
    jobssh_error_t err = {{0}};
    struct cfg c;
    char big[JOBSSH_CONF_VALUE_MAX + 16];

    is_int(parse(&c, &err, "basedir=/x", "maxconn=0", NULL), -ERANGE, "uint below min");
    is_str(err.text, "value '0' of key 'maxconn' is out of range (1..100)", "range error text");
    is_int(parse(&c, &err, "basedir=/x", "maxconn=101", NULL), -ERANGE, "uint above max");
    is_int(parse(&c, &err, "basedir=/x", "maxconn=99999999999999999999999", NULL), -ERANGE,
           "uint overflow");
    is_int(parse(&c, &err, "basedir=/x", "maxconn=-1", NULL), -EINVAL, "negative uint");
    is_int(parse(&c, &err, "basedir=/x", "maxconn= 5", NULL), -EINVAL, "blank in argv value");
    is_int(parse(&c, &err, "basedir=/x", "maxconn=0x10", NULL), -EINVAL, "hex uint");

    is_int(parse(&c, &err, "basedir=/x", "join=TRUE", NULL), 0, "bool TRUE");
    ok(c.join, "bool TRUE is true");
    is_int(parse(&c, &err, "basedir=/x", "join=maybe", NULL), -EINVAL, "bool 'maybe' fails");

    is_int(parse(&c, &err, "basedir=/x", "port_range=80-90", NULL), -ERANGE, "ports < 1024");
    is_int(parse(&c, &err, "basedir=/x", "port_range=3000-2000", NULL), -ERANGE, "LOW > HIGH");
    is_int(parse(&c, &err, "basedir=/x", "port_range=60000-65536", NULL), -ERANGE, "> 65535");
    is_int(parse(&c, &err, "basedir=/x", "port_range=2222", NULL), -EINVAL, "single port");
    is_int(parse(&c, &err, "basedir=/x", "port_range=1024-65535", NULL), 0, "full range");

    is_int(parse(&c, &err, "basedir=/x", "timeout=2h", NULL), 0, "duration 2h");
    is_int(c.timeout, 7200, "2h is 7200 s");
    is_int(parse(&c, &err, "basedir=/x", "timeout=90", NULL), 0, "duration without unit");
    is_int(c.timeout, 90, "90 is 90 s");
    is_int(parse(&c, &err, "basedir=/x", "timeout=25h", NULL), -ERANGE, "duration above max");
    is_int(parse(&c, &err, "basedir=/x", "timeout=5x", NULL), -EINVAL, "unknown unit");

    is_int(parse(&c, &err, "basedir=x/y", NULL), -EINVAL, "relative path fails");
    is_int(parse(&c, &err, "basedir=/x/../etc", NULL), -EINVAL, "'..' in path fails");
    is_int(parse(&c, &err, "basedir=/x/./y", NULL), -EINVAL, "'.' in path fails");
    is_int(parse(&c, &err, "basedir=/", NULL), 0, "'/' is a path");
    is_int(parse(&c, &err, "basedir=/x", "name=12345678", NULL), -E2BIG, "string too long");
    is_str(err.text, "value of key 'name' is too long (max 7 bytes)", "too long error text");
    is_int(parse(&c, &err, "basedir=/x", "name=a\tb", NULL), -EINVAL, "control character");

    memcpy(big, "name=", 5);
    memset(big + 5, 'v', JOBSSH_CONF_VALUE_MAX + 1);
    big[5 + JOBSSH_CONF_VALUE_MAX + 1] = '\0';
    is_int(parse(&c, &err, "basedir=/x", big, NULL), -E2BIG, "value over the global bound");
}

static void test_text(void)
{
    const char *good = "# jobssh settings\n"
                       "\n"
                       "  basedir = /srv/jobssh  \r\n"
                       "\tname\t=\tx # y\n"
                       "   # indented comment\n"
                       "join=false";
    const char *bad = "basedir = /x\n\nbogus = 1\n";
    jobssh_error_t err = {{0}};
    struct cfg c = defaults;

    is_int(jobssh_conf_parse_text(keys, good, strlen(good), "t.conf", &c, sizeof(c), &err), 0,
           "text with comments and blanks parses: %s", err.text);
    is_str(c.basedir, "/srv/jobssh", "blanks and CR around values trimmed");
    is_str(c.name, "x # y", "'#' inside a value is kept");
    ok(!c.join, "last line without newline");
    is_int(jobssh_conf_parse_text(keys, bad, strlen(bad), "t.conf", &c, sizeof(c), &err), -EINVAL,
           "bad text fails");
    ok(strncmp(err.text, "t.conf:3: unknown key 'bogus'", 29) == 0, "error names file:line: %s",
       err.text);
    is_int(jobssh_conf_parse_text(keys, "basedir=/x\0", 11, "t.conf", &c, sizeof(c), &err), -EINVAL,
           "NUL byte fails");
    is_int(jobssh_conf_parse_text(keys, "join = 1", 8, "t.conf", &c, sizeof(c), &err), -EINVAL,
           "missing required key in text");
    is_str(err.text, "t.conf: missing required key 'basedir'", "origin in required-key error");
}

static void test_file(void)
{
    char dir[] = "/tmp/jobssh-conf-XXXXXX", path[128], fifo[128];
    jobssh_error_t err = {{0}};
    struct cfg c = defaults;
    char *big;
    int fd;

    if (!mkdtemp(dir))
        bail_out("mkdtemp: %s", strerror(errno));
    snprintf(path, sizeof(path), "%s/jobssh.conf", dir);
    snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
    fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0 || write(fd, "basedir = /f\nmaxconn = 7\n", 25) != 25)
        bail_out("write %s: %s", path, strerror(errno));
    close(fd);
    is_int(jobssh_conf_parse_file(keys, path, &c, sizeof(c), &err), 0, "file parses");
    ok(strcmp(c.basedir, "/f") == 0 && c.maxconn == 7, "file values set");

    big = calloc(1, JOBSSH_CONF_FILE_MAX + 2);
    memset(big, '#', JOBSSH_CONF_FILE_MAX + 1);
    fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (fd < 0 || write(fd, big, JOBSSH_CONF_FILE_MAX + 1) != JOBSSH_CONF_FILE_MAX + 1)
        bail_out("write %s: %s", path, strerror(errno));
    close(fd);
    free(big);
    is_int(jobssh_conf_parse_file(keys, path, &c, sizeof(c), &err), -EFBIG, "oversized file");
    ok(strstr(err.text, "is larger than 65536 bytes") != NULL, "size error: %s", err.text);

    if (mkfifo(fifo, 0600) < 0)
        bail_out("mkfifo: %s", strerror(errno));
    is_int(jobssh_conf_parse_file(keys, fifo, &c, sizeof(c), &err), -EINVAL,
           "a FIFO is refused without blocking");
    is_int(jobssh_conf_parse_file(keys, dir, &c, sizeof(c), &err), -EINVAL, "a directory");
    unlink(fifo);
    unlink(path);
    is_int(jobssh_conf_parse_file(keys, path, &c, sizeof(c), &err), -ENOENT, "missing file");
    ok(strstr(err.text, ": No such file or directory") != NULL, "missing file error: %s", err.text);
    rmdir(dir);
}

static void test_environ(void)
{
    static const jobssh_conf_key_t ekeys[] = {
        JOBSSH_CONF_KEY(struct cfg, "HOOK_BASE_DIR", JOBSSH_CONF_PATH, basedir),
        JOBSSH_CONF_KEY(struct cfg, "JOBSSH_JOIN", JOBSSH_CONF_BOOL, join),
        {NULL},
    };
    char *env[] = {"PATH=/usr/bin", "HOOK_BASE_DIR=/home", "JOBSSH_JOIN=false", NULL};
    char *typo[] = {"JOBSSH_JION=1", NULL};
    jobssh_error_t err = {{0}};
    struct cfg c = defaults;

    is_int(jobssh_conf_parse_environ(ekeys, env, "JOBSSH_", &c, sizeof(c), &err), 0,
           "environment parses, unrelated variables ignored");
    ok(strcmp(c.basedir, "/home") == 0 && !c.join, "environment values set");
    is_int(jobssh_conf_parse_environ(ekeys, typo, "JOBSSH_", &c, sizeof(c), &err), -EINVAL,
           "unknown variable with the prefix fails");
    ok(strncmp(err.text, "unknown key 'JOBSSH_JION'", 25) == 0, "typo error: %s", err.text);
}

static void test_table(void)
{
    static const jobssh_conf_key_t wrong[] = {
        {.name = "n", .type = JOBSSH_CONF_UINT, .offset = 0, .size = 4},
        {NULL},
    };
    static const jobssh_conf_key_t outside[] = {
        {.name = "n", .type = JOBSSH_CONF_BOOL, .offset = sizeof(struct cfg), .size = 1},
        {NULL},
    };
    jobssh_error_t err = {{0}};
    struct cfg c;
    jobssh_conf_t ctx;

    is_int(jobssh_conf_init(&ctx, wrong, &c, sizeof(c), &err), -EINVAL, "field size checked");
    is_int(jobssh_conf_init(&ctx, outside, &c, sizeof(c), &err), -EINVAL, "offset checked");
    is_int(jobssh_conf_init(&ctx, keys, &c, sizeof(c), &err), 0, "init with a good table");
    is_int(jobssh_conf_set(&ctx, "maxconn", "5", &err), 0, "set one value");
    is_int(jobssh_conf_finish(&ctx, &err), -EINVAL, "finish: required key missing");
}

int main(void)
{
    plan(76);
    test_argv();
    test_values();
    test_text();
    test_file();
    test_environ();
    test_table();
    return done_testing();
}
