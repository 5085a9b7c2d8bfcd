/* port.h - where a job step's daemon listens, without any shared state
 *
 * Every daemon has a TAG ("12.0" for job 12 step 0, "12" for a job-wide
 * daemon). From the TAG and the site's port range [low, high] both sides
 * compute the same ordered list of candidate ports: the daemon binds the
 * first free one and announces "jobssh-<TAG>" as the comment of its SSH
 * identification string; a client walks the list in order and takes the
 * first port whose identification ends in that token.
 *
 * The list depends only on the bytes of the TAG, low, high and count: it is
 * the same on every node and architecture. Self-contained: libc only.
 */
#ifndef JOBSSH_PORT_H
#define JOBSSH_PORT_H

#include <stdbool.h>
#include <stddef.h>

#define JOBSSH_PORT_TAG_MAX       40   /* longest TAG, in bytes */
#define JOBSSH_PORT_LOW_DEFAULT   2222 /* default range: 2222-3221 */
#define JOBSSH_PORT_HIGH_DEFAULT  3221
#define JOBSSH_PORT_COUNT_DEFAULT 16 /* candidates per TAG */
#define JOBSSH_PORT_COUNT_MAX     64
#define JOBSSH_PORT_IDENT_PREFIX  "jobssh-" /* the identification comment is this + TAG */

/* True when tag is 1..JOBSSH_PORT_TAG_MAX characters of [A-Za-z0-9._-]. */
bool jobssh_port_tag_valid(const char *tag);

/* Write the candidate ports of tag in [low, high] to ret_ports (room for
 * count entries): min(count, high - low + 1) distinct ports, in the order
 * to try them. Returns the number written, or -EINVAL when tag is invalid,
 * low is 0, low > high, high > 65535, or count is 0 or > JOBSSH_PORT_COUNT_MAX. */
int jobssh_port_candidates(const char *tag, unsigned low, unsigned high, unsigned count,
                           unsigned short *ret_ports);

/* Parse "LOW-HIGH" (decimal, 1 <= LOW <= HIGH <= 65535, nothing else).
 * Returns 0, or -EINVAL (out-params untouched). */
int jobssh_port_parse_range(const char *s, unsigned *ret_low, unsigned *ret_high);

/* Does an SSH identification line (without or with its CR LF) belong to the
 * daemon of tag? True when it starts with "SSH-" and its last
 * space-separated token is exactly "jobssh-<tag>". len bounds the line. */
bool jobssh_port_ident_matches(const char *line, size_t len, const char *tag);

#endif
