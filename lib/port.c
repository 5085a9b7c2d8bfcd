/* port.c - candidate ports of a daemon TAG (see port.h)
 *
 * seed = FNV-1a 64 of the TAG's bytes; candidate i is low + (splitmix64
 * output number i+1 of seed) mod span, moved to the next free port of the
 * range (wrapping) when an earlier candidate already took it. All arithmetic
 * is on uint64_t, so the list is the same on every architecture.
 */
#include "port.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#define FNV64_OFFSET   0xcbf29ce484222325ULL
#define FNV64_PRIME    0x100000001b3ULL
#define SPLITMIX_GAMMA 0x9e3779b97f4a7c15ULL

static uint64_t fnv1a64(const char *s)
{
    uint64_t h = FNV64_OFFSET;

    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        h ^= *p;
        h *= FNV64_PRIME;
    }
    return h;
}

/* Output number k (k >= 1) of the splitmix64 generator started at seed. */
static uint64_t splitmix64_at(uint64_t seed, uint64_t k)
{
    uint64_t z = seed + k * SPLITMIX_GAMMA;

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

bool jobssh_port_tag_valid(const char *tag)
{
    size_t n = 0;

    if (!tag)
        return false;
    for (const char *p = tag; *p; p++, n++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
        if (!ok || n >= JOBSSH_PORT_TAG_MAX)
            return false;
    }
    return n > 0;
}

int jobssh_port_candidates(const char *tag, unsigned low, unsigned high, unsigned count,
                           unsigned short *ret_ports)
{
    unsigned short ports[JOBSSH_PORT_COUNT_MAX];
    unsigned span, n;
    uint64_t seed;

    if (!jobssh_port_tag_valid(tag) || !ret_ports || low == 0 || low > high || high > 65535 ||
        count == 0 || count > JOBSSH_PORT_COUNT_MAX)
        return -EINVAL;
    span = high - low + 1;
    n = count < span ? count : span;
    seed = fnv1a64(tag);
    for (unsigned i = 0; i < n; i++) {
        unsigned off = (unsigned)(splitmix64_at(seed, (uint64_t)i + 1) % span);
        bool taken;

        /* At most i ports are taken and i < span: the probe ends. */
        do {
            taken = false;
            for (unsigned j = 0; j < i; j++) {
                if (ports[j] == low + off) {
                    taken = true;
                    off = (off + 1) % span;
                    break;
                }
            }
        } while (taken);
        ports[i] = (unsigned short)(low + off);
    }
    memcpy(ret_ports, ports, n * sizeof(ports[0]));
    return (int)n;
}

/* Parse a decimal 1..65535 at *p (no sign, no spaces); advance *p. */
static int parse_port(const char **p, unsigned *ret)
{
    unsigned v = 0;
    int digits = 0;

    while (**p >= '0' && **p <= '9') {
        v = v * 10 + (unsigned)(**p - '0');
        if (v > 65535)
            return -EINVAL;
        (*p)++;
        digits++;
    }
    if (digits == 0 || v == 0)
        return -EINVAL;
    *ret = v;
    return 0;
}

int jobssh_port_parse_range(const char *s, unsigned *ret_low, unsigned *ret_high)
{
    unsigned lo, hi;
    const char *p = s;

    if (!s || parse_port(&p, &lo) < 0 || *p++ != '-' || parse_port(&p, &hi) < 0 || *p != '\0' ||
        lo > hi)
        return -EINVAL;
    *ret_low = lo;
    *ret_high = hi;
    return 0;
}

bool jobssh_port_ident_matches(const char *line, size_t len, const char *tag)
{
    const size_t plen = sizeof(JOBSSH_PORT_IDENT_PREFIX) - 1;
    size_t end, start, tlen;

    if (!line || !jobssh_port_tag_valid(tag))
        return false;
    end = strnlen(line, len);
    if (end < 4 || memcmp(line, "SSH-", 4) != 0)
        return false;
    /* The line ends at the first LF; a CR before it is part of the ending. */
    for (size_t i = 0; i < end; i++) {
        if (line[i] == '\n') {
            end = i;
            break;
        }
    }
    if (end > 0 && line[end - 1] == '\r')
        end--;
    start = end;
    while (start > 0 && line[start - 1] != ' ')
        start--;
    if (start == 0)
        return false; /* no comment: the whole line is one token */
    tlen = strlen(tag);
    return end - start == plen + tlen &&
           memcmp(line + start, JOBSSH_PORT_IDENT_PREFIX, plen) == 0 &&
           memcmp(line + start + plen, tag, tlen) == 0;
}
