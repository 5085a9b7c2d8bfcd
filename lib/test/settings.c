/* Unit tests for lib/settings.c: the plugstack.conf arguments. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <string.h>

#include "settings.h"
#include "test/tap.h"

static int parse(jobssh_settings_t *s, jobssh_error_t *err, int argc, char *argv[])
{
    memset(err, 0, sizeof(*err));
    return jobssh_settings_parse(argc, argv, s, err);
}

int main(void)
{
    jobssh_settings_t s;
    jobssh_error_t err;
    char buf[64];

    plan(20);
    {
        char *argv[] = {"basedir=/shared/jobssh/"};
        ok(parse(&s, &err, 1, argv) == 0, "basedir alone is enough: %s", err.text);
        is_str(s.basedir, "/shared/jobssh", "trailing slash removed");
        is_str(s.rundir, "/run/jobssh", "default rundir");
        is_int(s.ports.low, 2222, "default port range low");
        is_int(s.ports.high, 3221, "default port range high");
        is_int((int)s.port_count, 16, "default port count");
        is_int((int)s.connect_timeout, 60, "default connect timeout");
        is_int((int)s.start_timeout, 10, "default start timeout");
        ok(jobssh_settings_program(&s, "dropbear", buf, sizeof(buf), &err) == 0 &&
               strstr(buf, "/dropbear") != NULL,
           "program path in libexec_dir: %s", buf);
    }
    {
        char *argv[] = {"basedir=/k",         "rundir=/var/run/js", "port_range=4000-4009",
                        "port_count=8",       "connect_timeout=2m", "start_timeout=5",
                        "libexec_dir=/opt/js"};
        ok(parse(&s, &err, 7, argv) == 0, "every key: %s", err.text);
        ok(s.ports.low == 4000 && s.ports.high == 4009 && s.port_count == 8,
           "ports and count taken");
        is_int((int)s.connect_timeout, 120, "2m is 120 s");
        ok(jobssh_settings_program(&s, "x", buf, sizeof(buf), &err) == 0, "program path");
        is_str(buf, "/opt/js/x", "program path uses libexec_dir");
    }
    {
        char *argv[] = {"rundir=/x"};
        ok(parse(&s, &err, 1, argv) == -EINVAL && strstr(err.text, "basedir"),
           "a missing basedir is named: %s", err.text);
    }
    {
        char *argv[] = {"basedir=/k", "port_rnage=1-2"};
        ok(parse(&s, &err, 2, argv) < 0 && strstr(err.text, "port_rnage"),
           "an unknown key is named: %s", err.text);
    }
    {
        char *argv[] = {"basedir=/"};
        ok(parse(&s, &err, 1, argv) == -EINVAL && strstr(err.text, "basedir=/"),
           "basedir=/ is refused: %s", err.text);
    }
    {
        char *argv[] = {"basedir=/k", "port_count=65"};
        ok(parse(&s, &err, 2, argv) < 0 && strstr(err.text, "port_count"),
           "port_count above 64 is refused: %s", err.text);
    }
    {
        char *argv[] = {"basedir=relative"};
        ok(parse(&s, &err, 1, argv) < 0 && strstr(err.text, "basedir"),
           "a relative basedir is refused: %s", err.text);
    }
    {
        char *argv[] = {"basedir=/a", "basedir=/b"};
        ok(parse(&s, &err, 2, argv) < 0 && strstr(err.text, "basedir"),
           "a duplicate key is refused: %s", err.text);
    }
    return done_testing();
}
