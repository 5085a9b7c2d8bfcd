/* fuzz-port.c - lib/port.c: candidate ports of a daemon tag, the --ports
 * range parser and the SSH identification check that jobssh-connect uses to
 * recognise a job's daemon
 *
 * Input: 3 bytes LOW, 3 bytes HIGH (little endian, so values above 65535
 * occur), 1 byte COUNT, then NUL-separated: the tag, a "LOW-HIGH" text, and
 * the rest (NULs included) as a server's identification line.
 *
 *   jobssh_port_candidates(): succeeds exactly when the arguments are
 *     valid, with min(COUNT, span) distinct ports within [LOW, HIGH], the
 *     same list every time
 *   jobssh_port_tag_valid(): agrees with port.h's definition
 *   jobssh_port_parse_range(): 1 <= LOW <= HIGH <= 65535 on success, the
 *     out-params untouched on failure
 *   jobssh_port_ident_matches(): true only for a line that starts with
 *     "SSH-" and holds "jobssh-<tag>" */
#include "config.h"

#include <errno.h>

#include "fuzz.h"
#include "port.h"

/* port.h: 1..JOBSSH_PORT_TAG_MAX characters of [A-Za-z0-9._-] */
static bool tag_ok(const char *tag)
{
    size_t n = strlen(tag);

    if (n == 0 || n > JOBSSH_PORT_TAG_MAX)
        return false;
    for (const char *p = tag; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '.' && *p != '_' && *p != '-')
            return false;
    return true;
}

static void check_candidates(const char *tag, unsigned low, unsigned high, unsigned count)
{
    unsigned short ports[JOBSSH_PORT_COUNT_MAX], again[JOBSSH_PORT_COUNT_MAX];
    bool valid = tag_ok(tag) && low >= 1 && low <= high && high <= 65535 && count >= 1 &&
                 count <= JOBSSH_PORT_COUNT_MAX;
    int n = jobssh_port_candidates(tag, low, high, count, ports);

    fuzz_assert(jobssh_port_tag_valid(tag) == tag_ok(tag));
    if (!valid) {
        fuzz_assert(n == -EINVAL);
        return;
    }
    fuzz_assert(n >= 1 && (unsigned)n == (count < high - low + 1 ? count : high - low + 1));
    for (int i = 0; i < n; i++) {
        fuzz_assert(ports[i] >= low && ports[i] <= high);
        for (int j = 0; j < i; j++)
            fuzz_assert(ports[i] != ports[j]);
    }
    fuzz_assert(jobssh_port_candidates(tag, low, high, count, again) == n);
    fuzz_assert(memcmp(ports, again, (size_t)n * sizeof(ports[0])) == 0);
}

static void check_range(const char *s)
{
    unsigned lo = 4711, hi = 4712;

    if (jobssh_port_parse_range(s, &lo, &hi) == 0) {
        fuzz_assert(lo >= 1 && lo <= hi && hi <= 65535);
        fuzz_assert(strspn(s, "0123456789-") == strlen(s));
    } else {
        fuzz_assert(lo == 4711 && hi == 4712);
    }
}

static void check_ident(const char *line, size_t len, const char *tag)
{
    char want[sizeof(JOBSSH_PORT_IDENT_PREFIX) + JOBSSH_PORT_TAG_MAX];
    char *copy;

    if (!jobssh_port_ident_matches(line, len, tag))
        return;
    fuzz_assert(tag_ok(tag));
    fuzz_assert(len >= 4 && memcmp(line, "SSH-", 4) == 0);
    snprintf(want, sizeof(want), "%s%s", JOBSSH_PORT_IDENT_PREFIX, tag);
    copy = fuzz_strdup((const uint8_t *)line, strnlen(line, len));
    fuzz_assert(strstr(copy, want) != NULL);
    free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned low, high, count;
    const char *tag, *range, *line;
    char *buf;
    size_t n, len;

    if (size < 7)
        return 0;
    low = data[0] | (unsigned)data[1] << 8 | (unsigned)data[2] << 16;
    high = data[3] | (unsigned)data[4] << 8 | (unsigned)data[5] << 16;
    count = data[6];
    buf = fuzz_strdup(data + 7, size - 7);
    n = size - 7;

    tag = buf;
    range = tag + strlen(tag) + (strlen(tag) < n);
    line = range + strlen(range) + (range + strlen(range) < buf + n);
    len = (size_t)(buf + n - line);

    check_candidates(tag, low, high, count);
    check_range(range);
    check_ident(line, len, tag);
    free(buf);
    return 0;
}
