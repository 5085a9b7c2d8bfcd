/* tap.h - a tiny TAP producer for the lib/ unit tests (run by tap-driver.sh)
 *
 *   plan(n);  ok(cond, "name %d", i);  is_int(got, want, "name");
 *   is_str(got, want, "name");  diag("...");  skip(n, "reason");
 *   if (skip_unless_root(n, "reason")) ...;  return done_testing();
 *
 * done_testing() returns the exit status: 0 when every test passed and the
 * plan was met, 1 otherwise. A root-only test skipped for want of root is a
 * failure when the environment has CI=true (CI must run everything).
 * Test programs are single-threaded; the counters below are the test's own
 * state (static in the one translation unit that includes this header).
 */
#ifndef JOBSSH_TAP_H
#define JOBSSH_TAP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct {
    int planned; /* -1: no plan yet */
    int run;
    int failed;
} tap_state = {-1, 0, 0};

static inline void tap_vline(const char *prefix, const char *fmt, va_list ap)
{
    char buf[1024];
    char *line, *save = NULL;

    vsnprintf(buf, sizeof(buf), fmt, ap);
    for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
        printf("%s%s\n", prefix, line);
    fflush(stdout);
}

__attribute__((format(printf, 1, 2))) static inline void diag(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    tap_vline("# ", fmt, ap);
    va_end(ap);
}

static inline void plan(int n)
{
    tap_state.planned = n;
    printf("1..%d\n", n);
    fflush(stdout);
}

__attribute__((format(printf, 4, 5))) static inline bool tap_ok(bool cond, const char *file,
                                                                int line, const char *fmt, ...)
{
    char name[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(name, sizeof(name), fmt, ap);
    va_end(ap);
    for (char *p = name; *p; p++)
        if (*p == '\n' || *p == '#')
            *p = ' ';
    tap_state.run++;
    printf("%sok %d - %s\n", cond ? "" : "not ", tap_state.run, name);
    if (!cond) {
        tap_state.failed++;
        printf("#   failed at %s:%d\n", file, line);
    }
    fflush(stdout);
    return cond;
}

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

#define is_int(got, want, ...)                                                                     \
    ({                                                                                             \
        long long tap_g_ = (long long)(got), tap_w_ = (long long)(want);                           \
        bool tap_r_ = tap_ok(tap_g_ == tap_w_, __FILE__, __LINE__, __VA_ARGS__);                   \
        if (!tap_r_)                                                                               \
            diag("     got: %lld\n    want: %lld", tap_g_, tap_w_);                                \
        tap_r_;                                                                                    \
    })

#define is_str(got, want, ...)                                                                     \
    ({                                                                                             \
        const char *tap_g_ = (got), *tap_w_ = (want);                                              \
        bool tap_r_ = tap_ok(tap_g_ && tap_w_ && strcmp(tap_g_, tap_w_) == 0, __FILE__, __LINE__,  \
                             __VA_ARGS__);                                                         \
        if (!tap_r_)                                                                               \
            diag("     got: '%s'\n    want: '%s'", tap_g_ ? tap_g_ : "(null)",                     \
                 tap_w_ ? tap_w_ : "(null)");                                                      \
        tap_r_;                                                                                    \
    })

/* Mark the next n tests as skipped. */
static inline void skip(int n, const char *reason)
{
    for (int i = 0; i < n; i++)
        printf("ok %d # SKIP %s\n", ++tap_state.run, reason);
    fflush(stdout);
}

/* Skip n root-only tests when not root (returns true: the caller must not
 * run them). Under CI=true they are reported as failures instead. */
static inline bool skip_unless_root(int n, const char *reason)
{
    const char *ci = getenv("CI");

    if (geteuid() == 0)
        return false;
    if (ci && strcmp(ci, "true") == 0) {
        for (int i = 0; i < n; i++) {
            tap_state.run++;
            tap_state.failed++;
            printf("not ok %d - needs root (%s), and CI=true forbids skipping\n", tap_state.run,
                   reason);
        }
        fflush(stdout);
    } else {
        skip(n, reason);
    }
    return true;
}

/* Stop the whole test program. */
__attribute__((noreturn, format(printf, 1, 2))) static inline void bail_out(const char *fmt, ...)
{
    va_list ap;

    printf("Bail out! ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
    exit(1);
}

/* Print the plan if none was given, check the count; the exit status. */
static inline int done_testing(void)
{
    if (tap_state.planned < 0) {
        printf("1..%d\n", tap_state.run);
    } else if (tap_state.planned != tap_state.run) {
        diag("planned %d tests but ran %d", tap_state.planned, tap_state.run);
        fflush(stdout);
        return 1;
    }
    fflush(stdout);
    return tap_state.failed ? 1 : 0;
}

#endif
