/* error.c - jobssh_error_t helpers */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

/* Messages are formatted here first; longer ones are cut in any case. */
#define SCRATCH_MAX 512

static int normalize(int errnum)
{
    if (errnum < 0)
        errnum = -errnum;
    return errnum == 0 ? EIO : errnum;
}

const char *jobssh_error_errstr(int errnum, char buf[32])
{
    const char *s = strerrordesc_np(normalize(errnum));

    if (s)
        return s;
    snprintf(buf, 32, "error %d", normalize(errnum));
    return buf;
}

/* Write msg (msglen bytes, cut flag) and the optional suffix into err->text,
 * shortening msg with "..." so that the suffix always survives, and replace
 * control characters with '?'. */
static void store(jobssh_error_t *err, const char *msg, size_t msglen, bool cut, const char *suffix)
{
    const size_t cap = sizeof(err->text) - 1;
    size_t slen = suffix ? strlen(suffix) : 0;
    size_t room;

    if (slen > cap / 2)
        slen = cap / 2;
    room = cap - slen;
    if (msglen > room) {
        msglen = room;
        cut = true;
    }
    if (cut) {
        msglen = msglen > 3 ? msglen - 3 : 0;
        memcpy(err->text, msg, msglen);
        memcpy(err->text + msglen, "...", 3);
        msglen += 3;
    } else {
        memcpy(err->text, msg, msglen);
    }
    memcpy(err->text + msglen, suffix ? suffix : "", slen);
    err->text[msglen + slen] = '\0';
    /* One line of text: a message quoting user input (an option value, a
     * line of a file) must not start a new log line or move the cursor. */
    for (char *p = err->text; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
}

__attribute__((format(printf, 3, 0))) static void vset(jobssh_error_t *err, const char *suffix,
                                                       const char *fmt, va_list ap)
{
    char msg[SCRATCH_MAX];
    int n = vsnprintf(msg, sizeof(msg), fmt, ap);
    bool cut = false;

    if (n < 0) {
        n = snprintf(msg, sizeof(msg), "(unprintable message)");
    } else if ((size_t)n >= sizeof(msg)) {
        n = (int)sizeof(msg) - 1;
        cut = true;
    }
    store(err, msg, (size_t)n, cut, suffix);
}

int jobssh_error_set(jobssh_error_t *err, int errnum, const char *fmt, ...)
{
    va_list ap;

    errnum = normalize(errnum);
    if (err) {
        va_start(ap, fmt);
        vset(err, NULL, fmt, ap);
        va_end(ap);
    }
    return -errnum;
}

int jobssh_error_set_errno(jobssh_error_t *err, int errnum, const char *fmt, ...)
{
    char suffix[64], buf[32];
    va_list ap;

    errnum = normalize(errnum);
    if (err) {
        snprintf(suffix, sizeof(suffix), ": %s", jobssh_error_errstr(errnum, buf));
        va_start(ap, fmt);
        vset(err, suffix, fmt, ap);
        va_end(ap);
    }
    return -errnum;
}

int jobssh_error_prefix(jobssh_error_t *err, int errnum, const char *fmt, ...)
{
    char old[sizeof(err->text)], msg[SCRATCH_MAX];
    va_list ap;
    int n;

    errnum = normalize(errnum);
    if (!err)
        return -errnum;
    memcpy(old, err->text, sizeof(old));
    old[sizeof(old) - 1] = '\0';
    va_start(ap, fmt);
    n = vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (n < 0)
        n = snprintf(msg, sizeof(msg), "(unprintable message)");
    /* msg is shorter than SCRATCH_MAX - sizeof(old) - 2 after this cut */
    if ((size_t)n > SCRATCH_MAX - sizeof(old) - 3)
        n = (int)(SCRATCH_MAX - sizeof(old) - 3);
    snprintf(msg + n, sizeof(msg) - (size_t)n, ": %s", old);
    store(err, msg, strlen(msg), false, NULL);
    return -errnum;
}
