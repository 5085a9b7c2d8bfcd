/* test/error.c - jobssh_error_t formatting */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <errno.h>
#include <string.h>

#include "error.h"
#include "tap.h"

static void test_set(void)
{
    jobssh_error_t err = {{0}};

    is_int(jobssh_error_set(&err, EINVAL, "bad key '%s'", "x"), -EINVAL, "set returns -errnum");
    is_str(err.text, "bad key 'x'", "set stores the message without errno text");
    is_int(jobssh_error_set_errno(&err, ENOENT, "couldn't open %s", "/x"), -ENOENT,
           "set_errno returns -errnum");
    is_str(err.text, "couldn't open /x: No such file or directory", "set_errno appends strerror");
    is_int(jobssh_error_set(&err, -EPERM, "neg"), -EPERM, "a negative errnum is negated");
    is_int(jobssh_error_set(&err, 0, "zero"), -EIO, "errnum 0 still fails, with -EIO");
    is_int(jobssh_error_set(NULL, ENOMEM, "nobody listens"), -ENOMEM, "err may be NULL");
    is_int(jobssh_error_set_errno(NULL, ENOMEM, "x"), -ENOMEM, "set_errno with NULL err");
}

static void test_truncation(void)
{
    jobssh_error_t err;
    char big[1000];

    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    memset(&err, 'z', sizeof(err));
    jobssh_error_set(&err, E2BIG, "%s", big);
    is_int(strlen(err.text), sizeof(err.text) - 1, "a long text fills the buffer exactly");
    ok(strcmp(err.text + strlen(err.text) - 3, "...") == 0, "a cut text ends in '...'");

    jobssh_error_set_errno(&err, EACCES, "couldn't open %s", big);
    is_int(strlen(err.text), sizeof(err.text) - 1, "long text with errno fills the buffer");
    ok(strstr(err.text, "...: Permission denied") != NULL,
       "the errno description survives a cut message: %s", err.text);

    /* exactly fitting text is not marked as cut */
    big[sizeof(err.text) - 1] = '\0';
    jobssh_error_set(&err, E2BIG, "%s", big);
    is_str(err.text, big, "a text of exactly 159 bytes is kept whole");
}

static void test_prefix(void)
{
    jobssh_error_t err;
    char buf[32];

    jobssh_error_set_errno(&err, EPERM, "setns");
    is_int(jobssh_error_prefix(&err, EPERM, "pid %d", 42), -EPERM, "prefix returns -errnum");
    is_str(err.text, "pid 42: setns: Operation not permitted", "prefix prepends context");
    is_int(jobssh_error_prefix(NULL, EPERM, "x"), -EPERM, "prefix with NULL err");
    is_str(jobssh_error_errstr(4711, buf), "error 4711", "errstr of an unknown errno");
    is_str(jobssh_error_errstr(-ENOENT, buf), "No such file or directory", "errstr of -ENOENT");
}

static void test_control(void)
{
    jobssh_error_t err;

    jobssh_error_set(&err, EINVAL, "--ssh=%s: unknown value", "x\nerror: forged\t\033[1m\177");
    is_str(err.text, "--ssh=x?error: forged??[1m?: unknown value",
           "control characters of a quoted value become '?'");
    jobssh_error_prefix(&err, EINVAL, "line\r%d", 3);
    is_str(err.text, "line?3: --ssh=x?error: forged??[1m?: unknown value", "and those of a prefix");
    jobssh_error_set_errno(&err, ENOENT, "couldn't open /tmp/\n\xc3\xa9");
    is_str(err.text, "couldn't open /tmp/?\xc3\xa9: No such file or directory",
           "bytes of UTF-8 are kept");
}

int main(void)
{
    plan(21);
    test_set();
    test_truncation();
    test_prefix();
    test_control();
    return done_testing();
}
