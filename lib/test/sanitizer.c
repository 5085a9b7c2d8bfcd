/* test/sanitizer.c - the sanitizer build's report files (built with
 * --enable-sanitizers only) */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sanitizer.h"
#include "util.h"
#include "tap.h"

static void test_parse(void)
{
    char buf[64];

    is_int(jobssh_sanitizer_log_path("log_path=/var/log/x", buf, sizeof(buf)), 1,
           "a lone log_path");
    is_str(buf, "/var/log/x", "its value");
    is_int(jobssh_sanitizer_log_path("detect_leaks=0:log_path=/a/b:abort_on_error=1", buf,
                                     sizeof(buf)),
           1, "between other options");
    is_str(buf, "/a/b", "its value, up to the next ':'");
    is_int(jobssh_sanitizer_log_path("log_path=/first log_path=/second", buf, sizeof(buf)), 1,
           "blank-separated, twice");
    is_str(buf, "/second", "the last one wins, as in the runtimes");
    is_int(jobssh_sanitizer_log_path("a=1:log_path='/with:colon':b=2", buf, sizeof(buf)), 1,
           "a quoted value");
    is_str(buf, "/with:colon", "its value, without the quotes");
    is_int(
        jobssh_sanitizer_log_path("xlog_path=/no:log_paths=/no:detect_leaks=1", buf, sizeof(buf)),
        0, "other names ending or starting like it are not it");
    is_int(jobssh_sanitizer_log_path("log_path=", buf, sizeof(buf)), 0, "an empty value is none");
    is_int(jobssh_sanitizer_log_path("", buf, sizeof(buf)), 0, "empty options");
    is_int(jobssh_sanitizer_log_path(NULL, buf, sizeof(buf)), 0, "no options");
    is_int(jobssh_sanitizer_log_path("log_path=/0123456789", buf, 11), -ENAMETOOLONG,
           "a value that does not fit");
    is_int(jobssh_sanitizer_log_path("log_path='/unterminated", buf, sizeof(buf)), 1,
           "an unterminated quote runs to the end");
    is_str(buf, "/unterminated", "its value");
}

static volatile int big = INT_MAX;

/* Run bug in a child; its report must be in <prefix>.<child's pid>. */
static void check_report(const char *name, void (*bug)(void), const char *prefix, const char *want)
{
    char file[PATH_MAX], *text = NULL;
    size_t len = 0;
    int status = 0, fd;
    pid_t pid;

    fflush(NULL);
    pid = fork();
    if (pid < 0)
        bail_out("fork: %s", strerror(errno));
    if (pid == 0) {
        bug();
        _exit(0);
    }
    if (waitpid(pid, &status, 0) != pid)
        bail_out("waitpid: %s", strerror(errno));
    ok(!WIFEXITED(status) || WEXITSTATUS(status) != 0, "%s: the program stopped", name);
    snprintf(file, sizeof(file), "%s.%d", prefix, (int)pid);
    fd = open(file, O_RDONLY | O_CLOEXEC);
    ok(fd >= 0, "%s: the report is in %s", name, file);
    if (fd >= 0 && jobssh_read_fd(fd, 1 << 20, &text, &len) == 0)
        ok(strstr(text, want) != NULL, "%s: it says '%s'", name, want);
    else
        ok(false, "%s: it says '%s'", name, want);
    free(text);
    if (fd >= 0)
        close(fd);
    unlink(file);
}

static void signed_overflow(void)
{
    int x = big + 1;
    printf("%d\n", x);
}

/* A bug only ASan sees (UBSan checks object sizes, not lifetimes). */
static void use_after_free(void)
{
    char *volatile p = malloc(8);
    free(p);
    printf("%d\n", p[0]);
}

static void test_report_files(void)
{
    char dir[] = "/tmp/jobssh-sanitizer-XXXXXX", asan[64], ubsan[64];
    char asan_opts[128], ubsan_opts[128];

    if (!mkdtemp(dir))
        bail_out("mkdtemp: %s", strerror(errno));
    snprintf(asan, sizeof(asan), "%s/asan", dir);
    snprintf(ubsan, sizeof(ubsan), "%s/ubsan", dir);
    snprintf(asan_opts, sizeof(asan_opts), "detect_leaks=1:log_path=%s", asan);
    snprintf(ubsan_opts, sizeof(ubsan_opts), "print_stacktrace=1:log_path=%s", ubsan);
    /* The defaults apply when the variables do not say. */
    unsetenv("ASAN_OPTIONS");
    unsetenv("UBSAN_OPTIONS");
    jobssh_sanitizer_log_paths(asan_opts, ubsan_opts);
    check_report("UBSan", signed_overflow, ubsan, "signed integer overflow");
    check_report("ASan", use_after_free, asan, "heap-use-after-free");
    /* UBSAN_OPTIONS wins over the defaults. */
    snprintf(ubsan_opts, sizeof(ubsan_opts), "log_path=%s/from-env", dir);
    setenv("UBSAN_OPTIONS", ubsan_opts, 1);
    jobssh_sanitizer_log_paths(NULL, "log_path=/nonexistent/ubsan");
    snprintf(ubsan, sizeof(ubsan), "%s/from-env", dir);
    check_report("UBSAN_OPTIONS", signed_overflow, ubsan, "signed integer overflow");
    unsetenv("UBSAN_OPTIONS");
    ok(rmdir(dir) == 0, "no other file was written");
}

int main(void)
{
    plan(25);
    test_parse();
    test_report_files();
    return done_testing();
}
