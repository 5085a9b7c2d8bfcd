/* fuzz-hostlist.c - jobssh_hostlist_expand(), Slurm host lists
 *
 * The input (up to its first NUL) is the list. A success must give between
 * 1 and JOBSSH_HOSTLIST_MAX_HOSTS names of [A-Za-z0-9._-], none longer than
 * JOBSSH_HOSTLIST_NAME_MAX, within JOBSSH_HOSTLIST_MAX_BYTES in all; a list
 * without brackets must expand to its comma-separated elements as written.
 * A failure must leave the out-params untouched. */
#include "config.h"

#include <errno.h>

#include "fuzz.h"
#include "hostlist.h"

static bool name_ok(const char *h)
{
    size_t n = strlen(h);

    if (n == 0 || n > JOBSSH_HOSTLIST_NAME_MAX)
        return false;
    for (const char *p = h; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '.' && *p != '_' && *p != '-')
            return false;
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *list = fuzz_strdup(data, size);
    char **hosts = (char **)&hosts; /* a marker: must stay unless it succeeds */
    size_t n = 4711, bytes = 0;
    int r = jobssh_hostlist_expand(list, &hosts, &n);

    if (r < 0) {
        fuzz_assert(r == -EINVAL || r == -E2BIG || r == -ENOMEM);
        fuzz_assert(hosts == (char **)&hosts && n == 4711);
        free(list);
        return 0;
    }
    fuzz_assert(r == 0 && hosts && n >= 1 && n <= JOBSSH_HOSTLIST_MAX_HOSTS);
    for (size_t i = 0; i < n; i++) {
        fuzz_assert(name_ok(hosts[i]));
        bytes += strlen(hosts[i]) + 1;
    }
    fuzz_assert(bytes <= JOBSSH_HOSTLIST_MAX_BYTES);
    if (!strchr(list, '[')) {
        /* no ranges: the names are the elements, in order */
        const char *p = list;
        for (size_t i = 0; i < n; i++) {
            size_t len = strcspn(p, ",");
            fuzz_assert(strlen(hosts[i]) == len && memcmp(hosts[i], p, len) == 0);
            p += len;
            fuzz_assert(*p == (i + 1 < n ? ',' : '\0'));
            p += *p == ',';
        }
    }
    jobssh_hostlist_free(hosts, n);
    free(list);
    return 0;
}
