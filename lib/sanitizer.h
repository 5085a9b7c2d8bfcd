/* sanitizer.h - where the sanitizer build's reports go (--enable-sanitizers)
 *
 * GCC links ASan and UBSan as two runtimes, libasan and libubsan, each with
 * its own report file, set from the log_path of its options (ASAN_OPTIONS,
 * UBSAN_OPTIONS, or the program's __asan_default_options() and
 * __ubsan_default_options()) through __sanitizer_set_report_path(). Both
 * runtimes export that function, and libasan, loaded first, interposes
 * libubsan's: UBSan's log_path never takes effect and its reports go to
 * standard error (/dev/null for jobssh-sshd; nowhere anyone reads for
 * slurmstepd). The sanitizer builds of the plugin and of jobssh-sshd call
 * jobssh_sanitizer_log_paths() from a constructor, which gives each runtime
 * its own log_path. */
#ifndef JOBSSH_SANITIZER_H
#define JOBSSH_SANITIZER_H

#include <stddef.h>

/* The value of the last log_path=VALUE in a sanitizer options string
 * (options separated by ':' or blanks; VALUE may be quoted with ' or ") in
 * buf: 1; 0 when there is none (or it is empty); -ENAMETOOLONG when it does
 * not fit. */
int jobssh_sanitizer_log_path(const char *options, char *buf, size_t size);

/* Give each loaded runtime (libasan, libubsan) the log_path of its options
 * variable (ASAN_OPTIONS, UBSAN_OPTIONS), else of its defaults (may be
 * NULL), by calling that runtime's own __sanitizer_set_report_path(). A
 * runtime that is not loaded, or options without log_path, are left alone. */
void jobssh_sanitizer_log_paths(const char *asan_defaults, const char *ubsan_defaults);

#endif
