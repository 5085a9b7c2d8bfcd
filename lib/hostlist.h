/* hostlist.h - expand Slurm host lists ("node[01-03,7],login1")
 *
 * Syntax: names separated by commas (commas inside brackets belong to the
 * range). A name is literal text of [A-Za-z0-9._-] with zero or more
 * bracket groups; a group is a comma-separated list of N or N-M (decimal,
 * N <= M). The numbers are zero-padded to the width of N as written
 * ("[08-10]" gives 08 09 10, "[8-10]" gives 8 9 10). Several groups give
 * every combination, the last group varying fastest ("a[1-2]b[3-4]" gives
 * a1b3 a1b4 a2b3 a2b4). Order and duplicates are kept as written.
 *
 * Self-contained: libc only.
 */
#ifndef JOBSSH_HOSTLIST_H
#define JOBSSH_HOSTLIST_H

#include <stddef.h>

#define JOBSSH_HOSTLIST_MAX_HOSTS 1000000     /* hosts in one expansion */
#define JOBSSH_HOSTLIST_MAX_BYTES (64u << 20) /* bytes of names (with NULs) */
#define JOBSSH_HOSTLIST_MAX_INPUT (1u << 20)  /* bytes of the list itself */
#define JOBSSH_HOSTLIST_NAME_MAX  255         /* longest host name */

/* Expand list into a new array of *ret_n new strings (free with
 * jobssh_hostlist_free()). Returns 0; -EINVAL for malformed input (empty
 * list or element, bad character, unbalanced or nested bracket, empty group
 * or item, N > M, a number of more than 18 digits, a name longer than
 * JOBSSH_HOSTLIST_NAME_MAX); -E2BIG past JOBSSH_HOSTLIST_MAX_INPUT,
 * _MAX_HOSTS or _MAX_BYTES; -ENOMEM. Out-params are written only on success. */
int jobssh_hostlist_expand(const char *list, char ***ret_hosts, size_t *ret_n);

/* Free what jobssh_hostlist_expand() returned. hosts may be NULL. */
void jobssh_hostlist_free(char **hosts, size_t n);

#endif
