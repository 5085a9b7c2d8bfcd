/* error.h - the one error convention of libjobssh
 *
 * Functions that can fail return int: >= 0 on success, -errno on failure.
 * When the caller passes a jobssh_error_t, a failing function also leaves a
 * human-readable reason in it ("couldn't open /x/keys: Permission denied").
 * The caller logs that text once; library code does not log it.
 *
 * Rule for the text: jobssh_error_set() stores exactly the formatted message;
 * jobssh_error_set_errno() stores the message followed by ": " and the
 * description of errnum (untranslated, e.g. "No such file or directory").
 * Both return -errnum, so `return jobssh_error_set_errno(err, errno, ...)` is
 * the usual way to fail. Texts longer than the buffer are cut and end in "...".
 * A text is always one line: control characters (newline, tab, escape, DEL)
 * are replaced with '?', so quoting user input in it cannot forge log lines
 * or a status line.
 */
#ifndef JOBSSH_ERROR_H
#define JOBSSH_ERROR_H

#define JOBSSH_ERROR_TEXT_MAX 160

typedef struct jobssh_error {
    char text[JOBSSH_ERROR_TEXT_MAX];
} jobssh_error_t;

/* Store the printf-formatted message in err (which may be NULL) and return
 * -errnum. errnum should be a positive errno value; a negative one is negated
 * and 0 becomes EIO, so the result is always a failure (< 0). Never fails.
 * Uses no locale or allocation: safe in a forked child before exec. */
__attribute__((format(printf, 3, 4))) int jobssh_error_set(jobssh_error_t *err, int errnum,
                                                           const char *fmt, ...);

/* Like jobssh_error_set(), then append ": <description of errnum>". */
__attribute__((format(printf, 3, 4))) int jobssh_error_set_errno(jobssh_error_t *err, int errnum,
                                                                 const char *fmt, ...);

/* Prepend the printf-formatted context and ": " to the text already in err
 * (for a caller that adds which object it was working on). Returns -errnum
 * like jobssh_error_set(). err may be NULL. */
__attribute__((format(printf, 3, 4))) int jobssh_error_prefix(jobssh_error_t *err, int errnum,
                                                              const char *fmt, ...);

/* The English description of errnum without locale or allocation
 * ("No such file or directory"; "error 4711" when unknown). The result is a
 * static string or buf (at least 32 bytes). */
const char *jobssh_error_errstr(int errnum, char buf[32]);

#endif
