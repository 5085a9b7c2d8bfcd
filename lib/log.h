/* log.h - log sinks passed explicitly (no global logger)
 *
 * The adapter (SPANK plugin, OCI hook) builds one jobssh_log_t and passes it
 * to the code that logs. The plugin's sink calls slurm_error()/slurm_info();
 * the hook uses jobssh_log_both(). Library code logs at most at DEBUG level
 * and returns errors in jobssh_error_t for the caller to log once.
 */
#ifndef JOBSSH_LOG_H
#define JOBSSH_LOG_H

#include <syslog.h>

/* Levels are syslog priorities, so a syslog sink passes them through. */
enum {
    JOBSSH_LOG_ERR = LOG_ERR,
    JOBSSH_LOG_WARN = LOG_WARNING,
    JOBSSH_LOG_INFO = LOG_INFO,
    JOBSSH_LOG_DEBUG = LOG_DEBUG,
};

/* A sink receives one complete message (no trailing newline). */
typedef void (*jobssh_log_f)(void *arg, int level, const char *msg);

typedef struct jobssh_log {
    jobssh_log_f fn; /* NULL: discard everything */
    void *arg;       /* passed to fn */
    int level;       /* most verbose level passed on, e.g. JOBSSH_LOG_INFO */
} jobssh_log_t;

/* Format a message and hand it to log->fn when level <= log->level.
 * log may be NULL (nothing happens). Messages longer than 1023 bytes are cut
 * and end in "...". Preserves errno. */
__attribute__((format(printf, 3, 4))) void jobssh_log(const jobssh_log_t *log, int level,
                                                      const char *fmt, ...);

/* Sink: one write(2) of "jobssh: <msg>\n" to stderr ("jobssh: warning: ...",
 * "jobssh: debug: ..." for those levels). arg is ignored. */
void jobssh_log_stderr(void *arg, int level, const char *msg);

/* Sink: syslog(3) at the message's level with "jobssh: " in front; the
 * facility and ident are whatever the program chose with openlog(3).
 * arg is ignored. */
void jobssh_log_syslog(void *arg, int level, const char *msg);

/* Sink: both of the above. arg is ignored. */
void jobssh_log_both(void *arg, int level, const char *msg);

/* Name of a level: "error", "warning", "info", "debug" ("?" otherwise). */
const char *jobssh_log_level_name(int level);

#endif
