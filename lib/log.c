/* log.c - log sinks */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"

#define MSG_MAX 1024

void jobssh_log(const jobssh_log_t *log, int level, const char *fmt, ...)
{
    char msg[MSG_MAX];
    int saved = errno;
    va_list ap;
    int n;

    if (!log || !log->fn || level > log->level)
        return;
    va_start(ap, fmt);
    n = vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (n < 0)
        snprintf(msg, sizeof(msg), "(unprintable message)");
    else if ((size_t)n >= sizeof(msg))
        memcpy(msg + sizeof(msg) - 4, "...", 4);
    log->fn(log->arg, level, msg);
    errno = saved;
}

const char *jobssh_log_level_name(int level)
{
    switch (level) {
    case JOBSSH_LOG_ERR:
        return "error";
    case JOBSSH_LOG_WARN:
        return "warning";
    case JOBSSH_LOG_INFO:
        return "info";
    case JOBSSH_LOG_DEBUG:
        return "debug";
    }
    return "?";
}

void jobssh_log_stderr(void *arg, int level, const char *msg)
{
    char line[MSG_MAX + 32];
    const char *tag = "";
    int saved = errno;
    size_t len;

    if (level == JOBSSH_LOG_WARN)
        tag = "warning: ";
    else if (level == JOBSSH_LOG_DEBUG)
        tag = "debug: ";
    /* one write per line so that concurrent writers do not interleave */
    snprintf(line, sizeof(line) - 1, "jobssh: %s%s", tag, msg);
    len = strlen(line);
    line[len++] = '\n';
    for (int tries = 0; tries < 8; tries++)
        if (write(STDERR_FILENO, line, len) >= 0 || errno != EINTR)
            break;
    errno = saved;
}

void jobssh_log_syslog(void *arg, int level, const char *msg)
{
    int saved = errno;

    syslog(level, "jobssh: %s", msg);
    errno = saved;
}

void jobssh_log_both(void *arg, int level, const char *msg)
{
    jobssh_log_stderr(arg, level, msg);
    jobssh_log_syslog(arg, level, msg);
}
