/* jobssh-connect - reach the jobssh daemon of a job step on a node
 *
 * One static binary, three personalities chosen by the name it runs under:
 *
 *   jobssh-connect [--fdpass] --tag TAG [--ports LOW-HIGH] [--count N]
 *                  [--timeout SEC] HOST
 *   jobssh-connect --list --tag TAG [--ports LOW-HIGH] [--count N]
 *   jobssh-connect --hold --tag TAG [--ports LOW-HIGH] [--count N]
 *                  [--timeout SEC] HOST
 *       Walk TAG's candidate ports on HOST (see lib/port.h) until a server
 *       whose SSH identification ends in "jobssh-TAG" answers, retrying with
 *       backoff until the timeout (the daemon may still be starting). Then
 *       either pass the connected socket to ssh over stdout (--fdpass, for
 *       OpenSSH's ProxyUseFdpass) or relay stdin/stdout to it (a ProxyCommand
 *       for any client). Errors: one line on stderr, exit 255; bad arguments
 *       exit 2. --list prints the candidate ports, one a line. --hold
 *       finds the daemon the same way, then stays connected without logging
 *       in and exits 0 once the daemon has gone (--ssh=launcher).
 *
 *   ssh ARGS...   (a symlink named ssh, first in a job step's PATH)
 *       exec the real OpenSSH client found further down PATH as
 *       `ssh -F $JOBSSH_SSH_CONFIG ARGS...`, arguments untouched. Without an
 *       OpenSSH client, run Dropbear's dbclient ($JOBSSH_DBCLIENT) instead,
 *       with the arguments translated and the connection made here.
 *
 *   dbclient ARGS...
 *       the dbclient path with dbclient's own argument syntax.
 *
 * With dbclient this program connects itself and hands the socket to
 * dbclient as `-J &FD` (dbclient's "use this descriptor" form of -J): no
 * shell, no relay process, no passwd lookup in between.
 */
#define _GNU_SOURCE
#include "port.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define EXIT_USAGE         2
#define EXIT_FAIL          255
#define IDENT_PEEK_MAX     255  /* bytes of the server's greeting we look at */
#define IDENT_WAIT_MS      2000 /* longest wait for a full identification line */
#define CONNECT_WAIT_MS    2000 /* longest wait for one TCP connect */
#define BACKOFF_FIRST_MS   10
#define BACKOFF_MAX_MS     500
#define TIMEOUT_DEFAULT_MS 60000
#define TIMEOUT_MAX_MS     (24L * 3600 * 1000)
#define HOST_MAX           255
#define RELAY_BUF          65536
#define WRAPPER_PID_ENV    "JOBSSH_WRAPPER_PID"

/* ------------------------------------------------------------------ errors */

__attribute__((noreturn, format(printf, 3, 4))) static void die(int status, const char *me,
                                                                const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    int n;

    n = snprintf(line, sizeof(line), "%s: ", me);
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
    va_end(ap);
    /* One line, whatever the text held. */
    for (char *p = line; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    fprintf(stderr, "%s\n", line);
    exit(status);
}

/* ------------------------------------------------------------------ time */

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};

    while (ms > 0 && nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static int clamp_ms(long long v, long long lo, long long hi)
{
    return (int)(v < lo ? lo : v > hi ? hi : v);
}

/* ------------------------------------------------------------------ options */

struct connect_opts {
    const char *tag;
    unsigned low, high, count;
    long timeout_ms;
    bool fdpass;
    bool list;
    bool hold;
    const char *done_file;
    const char *host;
};

static const char connect_usage[] =
    "usage: jobssh-connect [--fdpass] --tag TAG [--ports LOW-HIGH] [--count N] [--timeout SEC] "
    "HOST\n"
    "       jobssh-connect --list --tag TAG [--ports LOW-HIGH] [--count N]\n"
    "       jobssh-connect --hold --tag TAG [--ports LOW-HIGH] [--count N] [--timeout SEC]\n"
    "                      [--done-file FILE] HOST";

/* Parse seconds with up to 3 decimals ("60", "0.5") into milliseconds. */
static int parse_seconds(const char *s, long *ret_ms)
{
    long ms = 0;
    int frac = -1;

    if (!*s)
        return -EINVAL;
    for (const char *p = s; *p; p++) {
        if (*p == '.' && frac < 0 && p != s) {
            frac = 0;
            continue;
        }
        if (*p < '0' || *p > '9' || frac >= 3)
            return -EINVAL;
        if (frac >= 0)
            frac++;
        ms = ms * 10 + (*p - '0');
        if (ms > TIMEOUT_MAX_MS * 1000)
            return -EINVAL;
    }
    if (frac == 0)
        return -EINVAL; /* "5." */
    for (int i = frac < 0 ? 0 : frac; i < 3; i++)
        ms *= 10;
    if (ms > TIMEOUT_MAX_MS)
        return -EINVAL;
    *ret_ms = ms;
    return 0;
}

static bool host_valid(const char *h)
{
    size_t n = strlen(h);

    if (n == 0 || n > HOST_MAX || h[0] == '-')
        return false;
    for (const char *p = h; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '.' || *p == '-' || *p == '_' || *p == ':' || *p == '%'))
            return false;
    return true;
}

/* Parse connector arguments argv[0..argc-1]. need_host: exactly one HOST
 * must be given; otherwise none may be. On error writes a message naming
 * the argument to err and returns -EINVAL. */
static int parse_connect_opts(int argc, char **argv, bool need_host, struct connect_opts *o,
                              char *err, size_t errsz)
{
    bool opts_done = false;

    *o = (struct connect_opts){.low = JOBSSH_PORT_LOW_DEFAULT,
                               .high = JOBSSH_PORT_HIGH_DEFAULT,
                               .count = JOBSSH_PORT_COUNT_DEFAULT,
                               .timeout_ms = TIMEOUT_DEFAULT_MS};
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *val = NULL, *eq;
        char name[16];

        if (opts_done || a[0] != '-' || a[1] == '\0') {
            if (!need_host || o->host) {
                snprintf(err, errsz, "unexpected argument '%.64s'", a);
                return -EINVAL;
            }
            if (!host_valid(a)) {
                snprintf(err, errsz, "HOST: invalid host name '%.64s'", a);
                return -EINVAL;
            }
            o->host = a;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            opts_done = true;
            continue;
        }
        if (strcmp(a, "--fdpass") == 0) {
            o->fdpass = true;
            continue;
        }
        if (strcmp(a, "--list") == 0) {
            o->list = true;
            continue;
        }
        if (strcmp(a, "--hold") == 0) {
            o->hold = true;
            continue;
        }
        eq = strchr(a, '=');
        snprintf(name, sizeof(name), "%.*s", (int)(eq ? (size_t)(eq - a) : strlen(a)), a);
        if (strcmp(name, "--tag") && strcmp(name, "--ports") && strcmp(name, "--count") &&
            strcmp(name, "--timeout") && strcmp(name, "--done-file")) {
            snprintf(err, errsz, "unknown option '%.64s'", a);
            return -EINVAL;
        }
        if (eq) {
            val = eq + 1;
        } else if (i + 1 < argc) {
            val = argv[++i];
        } else {
            snprintf(err, errsz, "%s: missing value", name);
            return -EINVAL;
        }
        if (strcmp(name, "--done-file") == 0) {
            if (val[0] != '/') {
                snprintf(err, errsz, "--done-file: expected an absolute path, got '%.64s'", val);
                return -EINVAL;
            }
            o->done_file = val;
        } else if (strcmp(name, "--tag") == 0) {
            if (!jobssh_port_tag_valid(val)) {
                snprintf(err, errsz,
                         "--tag: expected 1 to %d characters of [A-Za-z0-9._-], got '%.64s'",
                         JOBSSH_PORT_TAG_MAX, val);
                return -EINVAL;
            }
            o->tag = val;
        } else if (strcmp(name, "--ports") == 0) {
            if (jobssh_port_parse_range(val, &o->low, &o->high) < 0) {
                snprintf(err, errsz, "--ports: expected LOW-HIGH within 1-65535, got '%.64s'", val);
                return -EINVAL;
            }
        } else if (strcmp(name, "--count") == 0) {
            char *end;
            unsigned long c;
            errno = 0;
            c = strtoul(val, &end, 10);
            if (val[0] < '0' || val[0] > '9' || *end || errno || c < 1 ||
                c > JOBSSH_PORT_COUNT_MAX) {
                snprintf(err, errsz, "--count: expected an integer from 1 to %d, got '%.64s'",
                         JOBSSH_PORT_COUNT_MAX, val);
                return -EINVAL;
            }
            o->count = (unsigned)c;
        } else {
            if (parse_seconds(val, &o->timeout_ms) < 0) {
                snprintf(err, errsz,
                         "--timeout: expected seconds from 0 to %ld (up to 3 decimals), got "
                         "'%.64s'",
                         TIMEOUT_MAX_MS / 1000, val);
                return -EINVAL;
            }
        }
    }
    if (!o->tag) {
        snprintf(err, errsz, "--tag: missing (the daemon's tag, e.g. --tag 12.0)");
        return -EINVAL;
    }
    if (need_host && !o->host && !o->list) {
        snprintf(err, errsz, "HOST: missing");
        return -EINVAL;
    }
    return 0;
}

/* ------------------------------------------------------------------ finding the daemon */

enum outcome { OUT_MATCH, OUT_REFUSED, OUT_TIMEOUT, OUT_NO_IDENT, OUT_WRONG, OUT_ERROR };

struct round_stats {
    unsigned attempts, refused, timeout, no_ident, wrong, error;
    unsigned wrong_port, noid_port, err_port, timeout_port;
    char wrong_token[64]; /* last token of the first wrong daemon's line */
    char noid_why[48];
    int err_errno;
};

static void set_cloexec_nonblock(int fd, bool nonblock)
{
    int fl = fcntl(fd, F_GETFL);

    if (fl >= 0)
        fcntl(fd, F_SETFL, nonblock ? fl | O_NONBLOCK : fl & ~O_NONBLOCK);
}

/* Connect with a time limit. Returns the socket or -errno. */
static int connect_bounded(const struct addrinfo *ai, unsigned port, int wait_ms)
{
    struct sockaddr_storage ss;
    int fd, err = 0;
    socklen_t len = sizeof(err);

    if (ai->ai_addrlen > sizeof(ss))
        return -EAFNOSUPPORT;
    memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
    if (ss.ss_family == AF_INET)
        ((struct sockaddr_in *)&ss)->sin_port = htons((unsigned short)port);
    else if (ss.ss_family == AF_INET6)
        ((struct sockaddr_in6 *)&ss)->sin6_port = htons((unsigned short)port);
    else
        return -EAFNOSUPPORT;
    fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_TCP);
    if (fd < 0)
        return -errno;
    if (connect(fd, (struct sockaddr *)&ss, ai->ai_addrlen) == 0)
        return fd;
    if (errno != EINPROGRESS) {
        err = errno;
        close(fd);
        return -err;
    }
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    long long end = now_ms() + wait_ms;
    for (;;) {
        int r = poll(&p, 1, clamp_ms(end - now_ms(), 0, wait_ms));
        if (r > 0)
            break;
        if (r == 0 || (r < 0 && errno != EINTR)) {
            err = r == 0 ? ETIMEDOUT : errno;
            close(fd);
            return -err;
        }
    }
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        err = errno;
    if (err) {
        close(fd);
        return -err;
    }
    return fd;
}

/* Copy the last space-separated token of the first line to out, printable
 * characters only. */
static void last_token(const char *line, size_t len, char *out, size_t outsz)
{
    size_t end = 0, start;
    size_t o = 0;

    while (end < len && line[end] != '\n' && line[end] != '\r')
        end++;
    start = end;
    while (start > 0 && line[start - 1] != ' ')
        start--;
    for (size_t i = start; i < end && o + 1 < outsz; i++)
        out[o++] = (line[i] > 0x20 && line[i] < 0x7f) ? line[i] : '?';
    out[o] = '\0';
}

/* Look at the server's greeting without consuming it. RFC 4253 lets a
 * server send other lines before its "SSH-" identification line. */
static enum outcome peek_ident(int fd, const char *tag, int wait_ms, char *token, size_t tokensz,
                               char *why, size_t whysz)
{
    char buf[IDENT_PEEK_MAX + 1];
    long long end = now_ms() + wait_ms;
    ssize_t last = -1;

    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        long long left = end - now_ms();
        ssize_t n;
        int r;

        if (left <= 0) {
            snprintf(why, whysz, "no identification within %d ms", wait_ms);
            return OUT_NO_IDENT;
        }
        r = poll(&p, 1, clamp_ms(left, 0, wait_ms));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            snprintf(why, whysz, "poll: %s", strerror(errno));
            return OUT_NO_IDENT;
        }
        if (r == 0)
            continue; /* the deadline check above ends it */
        n = recv(fd, buf, IDENT_PEEK_MAX, MSG_PEEK);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (n < 0) {
            snprintf(why, whysz, "%s", strerror(errno));
            return OUT_NO_IDENT;
        }
        if (n == 0) {
            snprintf(why, whysz, "closed without identification");
            return OUT_NO_IDENT;
        }
        buf[n] = '\0';
        /* Walk the complete lines. */
        size_t pos = 0;
        while (pos < (size_t)n) {
            char *nl = memchr(buf + pos, '\n', (size_t)n - pos);
            if (!nl)
                break;
            size_t llen = (size_t)(nl - (buf + pos)) + 1;
            if (llen >= 4 && memcmp(buf + pos, "SSH-", 4) == 0) {
                if (jobssh_port_ident_matches(buf + pos, llen, tag))
                    return OUT_MATCH;
                last_token(buf + pos, llen, token, tokensz);
                return OUT_WRONG;
            }
            pos += llen;
        }
        if (n >= IDENT_PEEK_MAX) {
            snprintf(why, whysz, "no identification in the first %d bytes", IDENT_PEEK_MAX);
            return OUT_NO_IDENT;
        }
        /* A partial line: the data already there keeps poll() ready, so
         * wait a little for the rest instead of spinning. */
        if (n == last)
            sleep_ms(5);
        last = n;
    }
}

static enum outcome try_port(const struct addrinfo *ai, unsigned port, const char *tag,
                             long long deadline, int *ret_fd, struct round_stats *st)
{
    char token[64] = "", why[48] = "";
    long long left = deadline - now_ms();
    int fd;
    enum outcome oc;

    st->attempts++;
    fd = connect_bounded(ai, port, clamp_ms(left, 250, CONNECT_WAIT_MS));
    if (fd < 0) {
        if (fd == -ECONNREFUSED) {
            st->refused++;
            return OUT_REFUSED;
        }
        if (fd == -ETIMEDOUT) {
            if (!st->timeout++)
                st->timeout_port = port;
            return OUT_TIMEOUT;
        }
        if (!st->error++) {
            st->err_port = port;
            st->err_errno = -fd;
        }
        return OUT_ERROR;
    }
    oc = peek_ident(fd, tag, clamp_ms(left, 250, IDENT_WAIT_MS), token, sizeof(token), why,
                    sizeof(why));
    if (oc == OUT_MATCH) {
        *ret_fd = fd;
        return oc;
    }
    close(fd);
    if (oc == OUT_WRONG && !st->wrong++) {
        st->wrong_port = port;
        snprintf(st->wrong_token, sizeof(st->wrong_token), "%s", token);
    } else if (oc == OUT_NO_IDENT && !st->no_ident++) {
        st->noid_port = port;
        snprintf(st->noid_why, sizeof(st->noid_why), "%s", why);
    }
    return oc;
}

static void describe_round(const struct round_stats *st, char *out, size_t outsz)
{
    size_t o = 0;

#define ADD(...)                                                                                   \
    do {                                                                                           \
        if (o < outsz) {                                                                           \
            int w_ = snprintf(out + o, outsz - o, "%s", o ? "; " : "");                            \
            if (w_ > 0)                                                                            \
                o += (size_t)w_;                                                                   \
        }                                                                                          \
        if (o < outsz) {                                                                           \
            int w_ = snprintf(out + o, outsz - o, __VA_ARGS__);                                    \
            if (w_ > 0)                                                                            \
                o += (size_t)w_;                                                                   \
        }                                                                                          \
    } while (0)

    out[0] = '\0';
    if (st->attempts == 0) {
        snprintf(out, outsz, "no address tried");
        return;
    }
    if (st->refused == st->attempts) {
        snprintf(out, outsz, "connection refused on all");
        return;
    }
    if (st->wrong)
        ADD("wrong daemon on %u (%s)%s", st->wrong_port,
            st->wrong_token[0] ? st->wrong_token : "no comment",
            st->wrong > 1 ? " and others" : "");
    if (st->no_ident)
        ADD("no SSH identification on %u (%s)%s", st->noid_port, st->noid_why,
            st->no_ident > 1 ? " and others" : "");
    if (st->timeout)
        ADD("connect timed out on %u%s", st->timeout_port, st->timeout > 1 ? " and others" : "");
    if (st->error)
        ADD("%s on %u", strerror(st->err_errno), st->err_port);
    if (st->refused)
        ADD("connection refused on %u", st->refused);
#undef ADD
}

static void format_secs(long ms, char *out, size_t outsz)
{
    if (ms % 1000 == 0)
        snprintf(out, outsz, "%ld s", ms / 1000);
    else
        snprintf(out, outsz, "%ld.%03ld s", ms / 1000, ms % 1000);
}

/* Find the daemon of o->tag on o->host; returns a connected, blocking
 * socket with TCP_NODELAY, or dies with exit 255 (messages prefixed me). */
/* Look for the daemon until o->timeout_ms has passed: its connected socket,
 * or -1 with the reason in reason. */
static int search_daemon(const struct connect_opts *o, const char *me, char *reason,
                         size_t reasonsz)
{
    unsigned short ports[JOBSSH_PORT_COUNT_MAX];
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_protocol = IPPROTO_TCP}, *ai = NULL;
    long long start = now_ms(), deadline = start + o->timeout_ms;
    long long backoff = BACKOFF_FIRST_MS;
    int n, fd = -1;

    n = jobssh_port_candidates(o->tag, o->low, o->high, o->count, ports);
    if (n < 0)
        die(EXIT_USAGE, me, "--tag/--ports/--count: invalid combination");
    for (;;) {
        struct round_stats st;

        memset(&st, 0, sizeof(st));
        if (!ai) {
            int r = getaddrinfo(o->host, NULL, &hints, &ai);
            if (r == EAI_NONAME || r == EAI_SERVICE || r == EAI_FAMILY || r == EAI_BADFLAGS)
                die(EXIT_FAIL, me, "cannot resolve %s: %s", o->host, gai_strerror(r));
            if (r != 0) {
                ai = NULL;
                snprintf(reason, reasonsz, "cannot resolve %s: %s", o->host,
                         r == EAI_SYSTEM ? strerror(errno) : gai_strerror(r));
            }
        }
        for (int i = 0; ai && i < n && fd < 0; i++)
            for (const struct addrinfo *a = ai; a && fd < 0; a = a->ai_next)
                try_port(a, ports[i], o->tag, deadline, &fd, &st);
        if (fd >= 0)
            break;
        if (ai)
            describe_round(&st, reason, reasonsz);
        long long left = deadline - now_ms();
        if (left <= 0)
            break;
        sleep_ms(backoff < left ? backoff : left);
        backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
    }
    if (ai)
        freeaddrinfo(ai);
    if (fd < 0)
        return -1;
    /* The OpenSSH client sets TCP_NODELAY only after login; before that each
     * round trip can wait for a delayed ACK. */
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    set_cloexec_nonblock(fd, false);
    return fd;
}

/* The daemon's socket, or exit 255 with one line saying why not. */
static int find_daemon(const struct connect_opts *o, const char *me)
{
    unsigned short ports[JOBSSH_PORT_COUNT_MAX];
    char reason[256] = "", secs[32];
    int fd = search_daemon(o, me, reason, sizeof(reason));

    if (fd < 0) {
        int n = jobssh_port_candidates(o->tag, o->low, o->high, o->count, ports);
        format_secs(o->timeout_ms, secs, sizeof(secs));
        die(EXIT_FAIL, me,
            "no jobssh daemon for tag %s on %s (ports %u-%u, %d candidates tried for %s): %s",
            o->tag, o->host, o->low, o->high, n, secs, reason);
    }
    return fd;
}

/* ------------------------------------------------------------------ holding */

#define HOLD_RECONNECT_MS 2000
#define HOLD_ROUNDS_MAX   1000000

/* --hold: stay connected (never authenticating) to HOST's daemon of TAG and
 * return 0 once it has gone. The daemon closes an idle unauthenticated
 * connection after its auth timeout; then we look for it again for a short
 * while, and its absence means it was torn down. A daemon that is not there
 * at first may still be starting, or may already be gone because the
 * launcher was quick: --done-file names the file the launcher's node writes
 * when it ends, which settles it. */
static int hold(const struct connect_opts *o, const char *me)
{
    struct connect_opts again = *o;
    long long deadline = now_ms() + o->timeout_ms;
    char reason[256] = "", buf[512];
    int fd = -1;

    again.timeout_ms = HOLD_RECONNECT_MS;
    while (fd < 0) {
        if (o->done_file && access(o->done_file, F_OK) == 0)
            return 0;
        if (now_ms() >= deadline) {
            char secs[32];
            format_secs(o->timeout_ms, secs, sizeof(secs));
            die(EXIT_FAIL, me, "--hold: no jobssh daemon for tag %s on %s within %s: %s", o->tag,
                o->host, secs, reason);
        }
        fd = search_daemon(&again, me, reason, sizeof(reason));
    }
    for (unsigned round = 0; round < HOLD_ROUNDS_MAX; round++) {
        for (;;) {
            struct pollfd pfd = {.fd = fd, .events = POLLIN | POLLRDHUP};
            int r = poll(&pfd, 1, -1);
            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0)
                break;
            ssize_t n = read(fd, buf, sizeof(buf));
            if (n < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            if (n <= 0)
                break; /* the daemon closed the connection or went away */
        }
        close(fd);
        fd = search_daemon(&again, me, reason, sizeof(reason));
        if (fd < 0)
            return 0;
    }
    close(fd);
    return 0;
}

/* ------------------------------------------------------------------ handing over */

/* OpenSSH's ProxyUseFdpass: ssh runs the proxy command with stdin and stdout
 * on one end of a unix socketpair and reads exactly one message from it:
 * one byte of data with an SCM_RIGHTS control message carrying one
 * descriptor; then it waits for the proxy command to exit. */
static void send_fd(int via, int fd, const char *me)
{
    char byte = '\0';
    struct iovec iov = {.iov_base = &byte, .iov_len = 1};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } ctl;
    struct msghdr msg = {.msg_iov = &iov,
                         .msg_iovlen = 1,
                         .msg_control = ctl.buf,
                         .msg_controllen = sizeof(ctl.buf)};
    struct cmsghdr *c;
    ssize_t r;

    memset(&ctl, 0, sizeof(ctl));
    c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof(int));
    do
        r = sendmsg(via, &msg, MSG_NOSIGNAL);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        die(EXIT_FAIL, me, "--fdpass: cannot pass the connection over stdout: %s%s",
            strerror(errno),
            errno == ENOTSOCK ? " (stdout must be a unix socket, as with ssh's ProxyUseFdpass)"
                              : "");
}

struct relay_dir {
    int in, out;
    char *buf;
    size_t off, len;
    bool eof, done;
};

/* Read what is there into an empty buffer. Returns false on a read error. */
static bool relay_fill(struct relay_dir *d, int *err)
{
    ssize_t n = read(d->in, d->buf, RELAY_BUF);

    if (n > 0) {
        d->off = 0;
        d->len = (size_t)n;
    } else if (n == 0) {
        d->eof = true;
    } else if (errno != EAGAIN && errno != EINTR) {
        *err = errno;
        d->eof = true;
        return false;
    }
    return true;
}

static bool relay_flush(struct relay_dir *d, int *err)
{
    ssize_t n = write(d->out, d->buf + d->off, d->len);

    if (n > 0) {
        d->off += (size_t)n;
        d->len -= (size_t)n;
    } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
        *err = errno;
        d->len = 0;
        d->done = true;
        return false;
    }
    return true;
}

/* Copy stdin -> sock and sock -> stdout until both directions ended. When
 * stdin ends the socket's sending side is shut down (the server sees EOF
 * but can still answer); when the server ends, stdout is closed. */
static int relay(int sock, const char *me, const char *host)
{
    static char up_buf[RELAY_BUF], down_buf[RELAY_BUF];
    struct relay_dir up = {.in = 0, .out = sock, .buf = up_buf};
    struct relay_dir down = {.in = sock, .out = 1, .buf = down_buf};
    int sock_err = 0, io_err = 0;

    set_cloexec_nonblock(sock, true);
    while (!(up.done && down.done)) {
        struct pollfd p[4];
        int np = 0, iu = -1, ou = -1, id = -1, od = -1;

        if (!up.done && !up.eof && up.len == 0)
            p[iu = np++] = (struct pollfd){.fd = up.in, .events = POLLIN};
        if (!up.done && up.len > 0)
            p[ou = np++] = (struct pollfd){.fd = up.out, .events = POLLOUT};
        if (!down.done && !down.eof && down.len == 0)
            p[id = np++] = (struct pollfd){.fd = down.in, .events = POLLIN};
        if (!down.done && down.len > 0)
            p[od = np++] = (struct pollfd){.fd = down.out, .events = POLLOUT};
        if (np > 0 && poll(p, (nfds_t)np, -1) < 0) {
            if (errno == EINTR)
                continue;
            die(EXIT_FAIL, me, "poll: %s", strerror(errno));
        }
        if (iu >= 0 && p[iu].revents)
            relay_fill(&up, &io_err);
        if (ou >= 0 && p[ou].revents && !relay_flush(&up, &sock_err))
            up.eof = true; /* the server cannot take more: stop reading stdin */
        if (id >= 0 && p[id].revents)
            relay_fill(&down, &sock_err);
        if (od >= 0 && p[od].revents && !relay_flush(&down, &io_err)) {
            down.eof = true; /* nobody reads stdout any more */
            shutdown(sock, SHUT_RD);
        }

        if (!up.done && up.eof && up.len == 0) {
            shutdown(sock, SHUT_WR);
            up.done = true;
        }
        if (!down.done && down.eof && down.len == 0) {
            close(1);
            down.done = true;
        }
    }
    close(sock);
    if (sock_err && sock_err != EPIPE)
        die(EXIT_FAIL, me, "connection to %s: %s", host, strerror(sock_err));
    return 0;
}

static int connector_main(int argc, char **argv)
{
    const char *me = "jobssh-connect";
    struct connect_opts o;
    char err[256];
    int fd;

    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("%s\n", connect_usage);
            return 0;
        }
    if (parse_connect_opts(argc - 1, argv + 1, true, &o, err, sizeof(err)) < 0) {
        fprintf(stderr, "%s: %s\n%s\n", me, err, connect_usage);
        return EXIT_USAGE;
    }
    if (o.list) {
        unsigned short ports[JOBSSH_PORT_COUNT_MAX];
        int n = jobssh_port_candidates(o.tag, o.low, o.high, o.count, ports);
        for (int i = 0; i < n; i++)
            printf("%u\n", ports[i]);
        return fflush(stdout) == 0 && n > 0 ? 0 : EXIT_FAIL;
    }
    /* Write errors are handled where they happen; an ignored SIGPIPE is
     * not passed on: the other personalities exec clients. */
    signal(SIGPIPE, SIG_IGN);
    if (o.hold)
        return hold(&o, me);
    fd = find_daemon(&o, me);
    if (o.fdpass) {
        send_fd(1, fd, me);
        return 0;
    }
    return relay(fd, me, o.host);
}

/* ------------------------------------------------------------------ ssh wrapper */

static bool same_file(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* Find an executable `name` in PATH that is not this program and not in
 * the directory this program was started from. Writes its path to out. */
static bool find_in_path(const char *name, const char *argv0, char *out, size_t outsz)
{
    const char *path = getenv("PATH");
    struct stat self, selfdir, st;
    bool have_self, have_selfdir = false;
    char dir[PATH_MAX];

    have_self = stat("/proc/self/exe", &self) == 0;
    if (argv0 && strchr(argv0, '/')) {
        size_t n = (size_t)(strrchr(argv0, '/') - argv0);
        if (n == 0)
            n = 1; /* "/ssh" */
        if (n < sizeof(dir)) {
            memcpy(dir, argv0, n);
            dir[n] = '\0';
            have_selfdir = stat(dir, &selfdir) == 0;
        }
    }
    if (!path || !*path)
        path = "/usr/local/bin:/usr/bin:/bin";
    for (const char *p = path; *p;) {
        const char *colon = strchr(p, ':');
        size_t n = colon ? (size_t)(colon - p) : strlen(p);

        /* Only absolute entries: "" and relative ones depend on the cwd. */
        if (n > 0 && p[0] == '/' && n + 1 + strlen(name) < sizeof(dir)) {
            memcpy(dir, p, n);
            dir[n] = '\0';
            if (!(have_selfdir && stat(dir, &st) == 0 && same_file(&st, &selfdir))) {
                int w = snprintf(out, outsz, "%s/%s", dir, name);
                if (w > 0 && (size_t)w < outsz && stat(out, &st) == 0 && S_ISREG(st.st_mode) &&
                    access(out, X_OK) == 0 && !(have_self && same_file(&st, &self)))
                    return true;
            }
        }
        if (!colon)
            break;
        p = colon + 1;
    }
    return false;
}

/* Dies when this process is a wrapper that exec'ed a wrapper again. */
static void loop_guard(const char *me)
{
    const char *v = getenv(WRAPPER_PID_ENV);
    char pid[24];

    snprintf(pid, sizeof(pid), "%ld", (long)getpid());
    if (v && strcmp(v, pid) == 0)
        die(EXIT_FAIL, me,
            "the program found as the real client is another jobssh wrapper (exec loop)");
    setenv(WRAPPER_PID_ENV, pid, 1);
}

/* --- argument translation for dbclient --- */

enum optkind {
    K_NONE = 0,    /* not an option of this syntax: a warning-free drop */
    K_FLAG,        /* pass */
    K_ARG,         /* pass with its argument */
    K_DROP_FLAG,   /* drop */
    K_DROP_ARG,    /* drop with its argument */
    K_OPT,         /* -o: filtered */
    K_STDIN_NULL,  /* OpenSSH -n: stdin from /dev/null */
    K_UNSUPPORTED, /* refuse: dropping would change what the command does */
};

struct optclass {
    const char *letters;
    enum optkind kind;
};

static enum optkind classify(const struct optclass *tab, char c)
{
    for (; c && tab->letters; tab++)
        if (strchr(tab->letters, c))
            return tab->kind;
    return K_NONE;
}

/* OpenSSH 9 client options (getopt string
 * "1246ab:c:e:fgi:kl:m:no:p:qstvxAB:CD:E:F:GI:J:KL:MNO:P:QR:S:TVw:W:XYy")
 * mapped to Dropbear 2025.89's dbclient as jobssh builds it (no agent,
 * TCP or netcat forwarding, no -v tracing; -F -e -D -L -R would make it
 * exit, -y -K -I -W -B -J mean other things there). */
static enum optkind openssh_kind(char c)
{
    static const struct optclass tab[] = {
        {"tTNfqsV", K_FLAG},
        {"plicmb", K_ARG},
        {"o", K_OPT},
        {"n", K_STDIN_NULL},
        {"1246aACgGkKMvxXYy", K_DROP_FLAG},
        {"BDeEFIJLOPQRSw", K_DROP_ARG},
        {"W", K_UNSUPPORTED},
        {NULL, K_NONE},
    };
    return classify(tab, c);
}

/* dbclient's own syntax (cli-runopts.c of 2025.89, jobssh's build). */
static enum optkind dbclient_kind(char c)
{
    static const struct optclass tab[] = {
        {"yqtTNfszVh", K_FLAG},  /* -V and -h print and exit, as asked */
        {"pliWKIcmb", K_ARG},    /* -W window, -K keepalive, -I idle timeout */
        {"o", K_OPT},            /* passed as is, but a ProxyCommand */
        {"ugAv", K_DROP_FLAG},   /* obsolete or compiled out: would only warn */
        {"JBFeDLR", K_DROP_ARG}, /* -J is ours; the rest exit or are compiled out */
        {NULL, K_NONE},
    };
    return classify(tab, c);
}

/* Translate an OpenSSH -o option for dbclient; NULL when it has no
 * dbclient equivalent (dropped). Returns a new string in buf. */
static const char *translate_o(const char *opt, char *buf, size_t bufsz)
{
    static const char *const known[] = {
        "BatchMode", "BindAddress",         "DisableTrivialAuth",   "IdentityFile",
        "Port",      "ServerAliveInterval", "StrictHostKeyChecking"};
    static const char *const flags[] = {"BatchMode", "DisableTrivialAuth"};
    char key[64], val[256];
    const char *p = opt, *k;
    size_t kn = 0, vn = 0;

    while (*p == ' ' || *p == '\t')
        p++;
    k = p;
    while (*p && *p != '=' && *p != ' ' && *p != '\t')
        p++;
    kn = (size_t)(p - k);
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p == '=')
        p++;
    while (*p == ' ' || *p == '\t')
        p++;
    vn = strlen(p);
    while (vn > 0 && (p[vn - 1] == ' ' || p[vn - 1] == '\t'))
        vn--;
    if (kn == 0 || kn >= sizeof(key) || vn == 0 || vn >= sizeof(val))
        return NULL;
    memcpy(key, k, kn);
    key[kn] = '\0';
    memcpy(val, p, vn);
    val[vn] = '\0';
    const char *name = NULL;
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
        if (strcasecmp(key, known[i]) == 0)
            name = known[i];
    if (!name)
        return NULL;
    /* dbclient exits on a yes/no value it does not know. */
    bool is_flag = false;
    for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
        is_flag |= strcmp(name, flags[i]) == 0;
    if (is_flag || strcmp(name, "StrictHostKeyChecking") == 0) {
        if (!strcasecmp(val, "yes") || !strcasecmp(val, "true") || !strcasecmp(val, "on"))
            snprintf(val, sizeof(val), "yes");
        else if (!strcasecmp(val, "no") || !strcasecmp(val, "false") || !strcasecmp(val, "off"))
            snprintf(val, sizeof(val), "no");
        else if (!is_flag && !strcasecmp(val, "accept-new"))
            snprintf(val, sizeof(val), "accept-new");
        else if (!is_flag && !strcasecmp(val, "ask"))
            snprintf(val, sizeof(val), "ask");
        else
            return NULL;
    }
    snprintf(buf, bufsz, "%s=%s", name, val);
    return buf;
}

struct dbargs {
    char **v;
    size_t n, cap;
};

static void dbargs_add(struct dbargs *a, const char *s, const char *me)
{
    if (a->n + 1 >= a->cap) {
        size_t ncap = a->cap ? a->cap * 2 : 32;
        char **nv = realloc(a->v, ncap * sizeof(*nv));
        if (!nv)
            die(EXIT_FAIL, me, "out of memory");
        a->v = nv;
        a->cap = ncap;
    }
    if (!(a->v[a->n++] = strdup(s)))
        die(EXIT_FAIL, me, "out of memory");
    a->v[a->n] = NULL;
}

/* Split a destination into user (may stay empty) and host. OpenSSH syntax
 * accepts ssh://[user@]host[:port]; dbclient's [user@]host[/port|^port]. */
static void split_destination(const char *dest, bool openssh, char *user, size_t usersz, char *host,
                              size_t hostsz, char *port, size_t portsz)
{
    const char *h = dest, *at;
    size_t hn;

    user[0] = port[0] = '\0';
    if (openssh && strncmp(dest, "ssh://", 6) == 0) {
        const char *end;
        h = dest + 6;
        at = strrchr(h, '@');
        if (at) {
            snprintf(user, usersz, "%.*s", (int)(at - h), h);
            h = at + 1;
        }
        if (*h == '[' && (end = strchr(h, ']'))) {
            snprintf(host, hostsz, "%.*s", (int)(end - h - 1), h + 1);
            if (end[1] == ':')
                snprintf(port, portsz, "%s", end + 2);
            return;
        }
        end = strchr(h, ':');
        hn = end ? (size_t)(end - h) : strlen(h);
        if (end)
            snprintf(port, portsz, "%s", end + 1);
        snprintf(host, hostsz, "%.*s", (int)hn, h);
        return;
    }
    at = openssh ? strrchr(dest, '@') : strchr(dest, '@');
    if (at) {
        snprintf(user, usersz, "%.*s", (int)(at - dest), dest);
        h = at + 1;
    }
    hn = strlen(h);
    if (!openssh) {
        size_t cut = strcspn(h, "^/");
        if (h[cut])
            snprintf(port, portsz, "%s", h + cut + 1);
        hn = cut;
    }
    snprintf(host, hostsz, "%.*s", (int)hn, h);
}

/* An `salloc --ssh` command runs where no step set the JOBSSH_* variables
 * (possibly a login node): salloc's plugin set JOBSSH_JOBS_DIR
 * (<basedir>/<user>), salloc set SLURM_JOB_ID, and the job prolog wrote the
 * variables into <JOBSSH_JOBS_DIR>/<job>/client/env (lib/client.h). Load
 * them, only JOBSSH_* names, unless JOBSSH_SSH_CONFIG is set already. */
/* The client variables of a container's daemon (jobssh-sshd --container). */
#define CONTAINER_ENV "/dev/jobssh/env"

static void load_job_env(const char *me)
{
    const char *config = getenv("JOBSSH_SSH_CONFIG");
    const char *jobs = getenv("JOBSSH_JOBS_DIR"), *job = getenv("SLURM_JOB_ID");
    char path[PATH_MAX], text[16384];
    ssize_t n;
    int fd;

    if (config && *config)
        return;
    if (!jobs || jobs[0] != '/' || !job || !*job) {
        /* In a container with a jobssh daemon (the OCI hook): its
         * processes were started before the daemon, without our
         * variables. */
        fd = open(CONTAINER_ENV, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return;
        snprintf(path, sizeof(path), "%s", CONTAINER_ENV);
    } else {
        if (strspn(job, "0123456789") != strlen(job) || strlen(job) > 10)
            die(EXIT_FAIL, me, "SLURM_JOB_ID=%.32s is not a job id", job);
        if (snprintf(path, sizeof(path), "%s/%s/client/env", jobs, job) >= (int)sizeof(path))
            die(EXIT_FAIL, me, "JOBSSH_JOBS_DIR is too long");
        fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            die(EXIT_FAIL, me, "job %s has no ssh set-up (%s: %s): was it submitted with --ssh?",
                job, path, strerror(errno));
    }
    n = read(fd, text, sizeof(text) - 1);
    close(fd);
    if (n < 0)
        die(EXIT_FAIL, me, "%s: %s", path, strerror(errno));
    text[n] = '\0';
    for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        char *eq = strchr(line, '=');
        if (!eq || strncmp(line, "JOBSSH_", 7) != 0)
            continue;
        *eq = '\0';
        if (strspn(line, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_") == strlen(line))
            setenv(line, eq + 1, 1);
    }
}

static int dbclient_main(int argc, char **argv, bool openssh_syntax, const char *me)
{
    const char *dbclient = getenv("JOBSSH_DBCLIENT");
    const char *key = getenv("JOBSSH_DBCLIENT_KEY");
    const char *home = getenv("JOBSSH_DBCLIENT_HOME");
    const char *cargs = getenv("JOBSSH_CONNECT_ARGS");
    struct dbargs out = {0};
    const char *dest = NULL;
    int i, cmd_start = argc;
    bool stdin_null = false, have_user = false;

    if (!dbclient || dbclient[0] != '/')
        die(EXIT_FAIL, me,
            openssh_syntax ? "no OpenSSH client (ssh) in PATH and JOBSSH_DBCLIENT is not set to "
                             "an absolute path"
                           : "JOBSSH_DBCLIENT is not set to an absolute path");
    if (access(dbclient, X_OK) != 0)
        die(EXIT_FAIL, me, "JOBSSH_DBCLIENT %s: %s", dbclient, strerror(errno));

    dbargs_add(&out, "dbclient", me);
    if (key && *key) {
        dbargs_add(&out, "-i", me);
        dbargs_add(&out, key, me);
    }
    /* Never prompt (a prompt without a terminal would read the command's
     * stdin); an unknown host key fails unless -o StrictHostKeyChecking or
     * -y says otherwise. */
    dbargs_add(&out, "-o", me);
    dbargs_add(&out, "BatchMode=yes", me);

    /* [options] destination [options] [command...] */
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];

        if (a[0] != '-' || a[1] == '\0') {
            if (dest) {
                cmd_start = i;
                break;
            }
            dest = a;
            continue;
        }
        if (strcmp(a, "--") == 0 && openssh_syntax) {
            if (!dest && i + 1 < argc)
                dest = argv[++i];
            cmd_start = i + 1;
            break;
        }
        for (size_t j = 1; a[j]; j++) {
            char c = a[j], flag[3] = {'-', c, '\0'};
            enum optkind k = openssh_syntax ? openssh_kind(c) : dbclient_kind(c);
            const char *val = NULL;

            if (k == K_ARG || k == K_DROP_ARG || k == K_OPT) {
                if (a[j + 1])
                    val = a + j + 1;
                else if (i + 1 < argc)
                    val = argv[++i];
                else
                    die(EXIT_FAIL, me, "option -%c needs an argument", c);
            }
            switch (k) {
            case K_FLAG:
                dbargs_add(&out, flag, me);
                break;
            case K_ARG:
                dbargs_add(&out, flag, me);
                dbargs_add(&out, val, me);
                have_user |= c == 'l';
                break;
            case K_OPT: {
                char buf[384];
                const char *t = openssh_syntax ? translate_o(val, buf, sizeof(buf)) : val;
                if (t && !(!openssh_syntax && strncasecmp(t, "ProxyCommand", 12) == 0)) {
                    dbargs_add(&out, "-o", me);
                    dbargs_add(&out, t, me);
                }
                break;
            }
            case K_STDIN_NULL:
                stdin_null = true;
                break;
            case K_UNSUPPORTED:
                die(EXIT_FAIL, me, "option -%c is not supported with the Dropbear client", c);
            case K_NONE:
                if (openssh_syntax)
                    die(EXIT_FAIL, me, "unknown option -%c", c);
                break;
            case K_DROP_FLAG:
            case K_DROP_ARG:
                break;
            }
            if (val)
                break; /* the rest of this word was the value */
        }
    }
    if (dest) {
        char user[256], host[HOST_MAX + 2], port[16], err[256];
        struct connect_opts o;
        char **cv = NULL;
        int cn = 0, fd;

        split_destination(dest, openssh_syntax, user, sizeof(user), host, sizeof(host), port,
                          sizeof(port));
        if (!host_valid(host))
            die(EXIT_FAIL, me, "invalid host name '%.64s'", host);
        if (!cargs || !*cargs)
            die(EXIT_FAIL, me, "JOBSSH_CONNECT_ARGS is not set (e.g. \"--tag 12.0\")");
        /* Split JOBSSH_CONNECT_ARGS on blanks. */
        char *copy = strdup(cargs);
        if (!copy)
            die(EXIT_FAIL, me, "out of memory");
        cv = calloc(strlen(cargs) / 2 + 2, sizeof(*cv));
        if (!cv)
            die(EXIT_FAIL, me, "out of memory");
        for (char *save = NULL, *t = strtok_r(copy, " \t\n", &save); t;
             t = strtok_r(NULL, " \t\n", &save))
            cv[cn++] = t;
        if (parse_connect_opts(cn, cv, false, &o, err, sizeof(err)) < 0)
            die(EXIT_FAIL, me, "JOBSSH_CONNECT_ARGS: %s", err);
        if (o.fdpass)
            die(EXIT_FAIL, me, "JOBSSH_CONNECT_ARGS: --fdpass does not apply to dbclient");
        o.host = host;
        fd = find_daemon(&o, me);
        /* dbclient takes "-J &N" (N > 2) as an already connected transport. */
        int fd3 = fcntl(fd, F_DUPFD, 3);
        if (fd3 < 0)
            die(EXIT_FAIL, me, "dup: %s", strerror(errno));
        close(fd);
        char jarg[16];
        snprintf(jarg, sizeof(jarg), "&%d", fd3);
        dbargs_add(&out, "-J", me);
        dbargs_add(&out, jarg, me);
        /* dbclient names the remote user after the local passwd entry, and
         * says "unknown" without one (containers often have none): then
         * take $USER, which Slurm sets, or the user of a container's
         * daemon (JOBSSH_USER, from /dev/jobssh/env). The same when the
         * entry names another user than the daemon's: podman adds one
         * named after the uid for a --user the image lacks. */
        const char *envuser = getenv("USER");
        const char *daemon_user = getenv("JOBSSH_USER");
        const struct passwd *pw = getpwuid(getuid());
        if (!envuser || !*envuser)
            envuser = daemon_user;
        bool own_entry = pw && !(daemon_user && *daemon_user && strcmp(pw->pw_name, daemon_user));
        if (!have_user && !user[0] && !own_entry && envuser && *envuser && strlen(envuser) < 64 &&
            !strpbrk(envuser, "@ \t\n")) {
            dbargs_add(&out, "-l", me);
            dbargs_add(&out, envuser, me);
        }
        if (user[0] && !strchr(user, '@')) {
            char ud[600];
            snprintf(ud, sizeof(ud), "%s@%s", user, host);
            dbargs_add(&out, ud, me);
        } else {
            if (user[0]) {
                dbargs_add(&out, "-l", me);
                dbargs_add(&out, user, me);
            }
            dbargs_add(&out, host, me);
        }
        free(cv);
        free(copy);
    }
    for (i = cmd_start; i < argc; i++) {
        /* dbclient would read a first command word starting with '-' as an
         * option; it joins the words with spaces for the remote shell,
         * which ignores a leading blank. */
        if (i == cmd_start && argv[i][0] == '-') {
            char *w = malloc(strlen(argv[i]) + 2);
            if (!w)
                die(EXIT_FAIL, me, "out of memory");
            w[0] = ' ';
            strcpy(w + 1, argv[i]);
            dbargs_add(&out, w, me);
            free(w);
        } else {
            dbargs_add(&out, argv[i], me);
        }
    }
    if (stdin_null) {
        int nfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (nfd < 0 || dup2(nfd, 0) < 0)
            die(EXIT_FAIL, me, "/dev/null: %s", strerror(errno));
        close(nfd);
    }
    if (home && *home)
        setenv("HOME", home, 1);
    execv(dbclient, out.v);
    die(EXIT_FAIL, me, "cannot execute %s: %s", dbclient, strerror(errno));
}

static int ssh_wrapper_main(int argc, char **argv)
{
    const char *me = "ssh (jobssh)";
    const char *config = getenv("JOBSSH_SSH_CONFIG");
    char real[PATH_MAX];
    char **v;

    load_job_env(me);
    config = getenv("JOBSSH_SSH_CONFIG");
    if (!config || !*config)
        die(EXIT_FAIL, me, "JOBSSH_SSH_CONFIG is not set");
    loop_guard(me);
    if (!find_in_path("ssh", argv[0], real, sizeof(real)))
        return dbclient_main(argc, argv, true, me);
    v = calloc((size_t)argc + 4, sizeof(*v));
    if (!v)
        die(EXIT_FAIL, me, "out of memory");
    v[0] = "ssh";
    v[1] = "-F";
    v[2] = (char *)config;
    for (int i = 1; i < argc; i++)
        v[i + 2] = argv[i];
    execv(real, v);
    die(EXIT_FAIL, me, "cannot execute %s: %s", real, strerror(errno));
}

int main(int argc, char **argv)
{
    const char *name = argc > 0 && argv[0] ? argv[0] : "jobssh-connect";
    const char *base = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;

    if (strcmp(base, "ssh") == 0)
        return ssh_wrapper_main(argc, argv);
    if (strcmp(base, "dbclient") == 0) {
        load_job_env("dbclient (jobssh)");
        return dbclient_main(argc, argv, false, "dbclient (jobssh)");
    }
    return connector_main(argc, argv);
}
