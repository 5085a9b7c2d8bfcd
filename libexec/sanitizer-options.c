/* sanitizer-options.c - jobssh-sshd's ASan and UBSan options, built into the
 * --enable-sanitizers build only.
 *
 * The plugin starts jobssh-sshd with a fixed environment (no ASAN_OPTIONS)
 * and its standard error on /dev/null, so the options are compiled in: leak
 * detection on (the supervisor is our own program), abort at the first
 * error, and the reports in --with-sanitizer-log-dir's directory
 * (asan-jobssh-sshd.PID, ubsan-jobssh-sshd.PID), which must be writable by
 * the job's users too: the supervisor's children drop to the user. An
 * ASAN_OPTIONS or UBSAN_OPTIONS in the environment still overrides them. */
#include "config.h"

#include "lib/sanitizer.h"

#ifdef JOBSSH_SANITIZER_LOG_DIR
#define LOG_PATH(kind) ":log_path=" JOBSSH_SANITIZER_LOG_DIR "/" kind "-jobssh-sshd"
#else
#define LOG_PATH(kind) ""
#endif

/* Called by the sanitizer runtimes before main(). */
const char *__asan_default_options(void);
const char *__ubsan_default_options(void);

const char *__asan_default_options(void)
{
    return "detect_leaks=1:abort_on_error=1" LOG_PATH("asan");
}

const char *__ubsan_default_options(void)
{
    return "print_stacktrace=1:halt_on_error=1:abort_on_error=1" LOG_PATH("ubsan");
}

/* libubsan does not get its log_path by itself (lib/sanitizer.h). */
__attribute__((constructor)) static void jobssh_sanitizer_init(void)
{
    jobssh_sanitizer_log_paths(__asan_default_options(), __ubsan_default_options());
}
