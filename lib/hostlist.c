/* hostlist.c - expand Slurm host lists (see hostlist.h)
 *
 * Two passes over the text: the first checks every element and adds up the
 * hosts and bytes it yields (so limits are enforced before anything big is
 * allocated), the second writes the names.
 */
#include "hostlist.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_GROUPS 8  /* bracket groups in one name */
#define MAX_DIGITS 18 /* so every number fits in uint64_t */

struct range {
    uint64_t lo, hi;
    int width; /* digits of lo as written: the zero padding */
};

struct group {
    struct range *ranges;
    size_t nranges;
    uint64_t count;  /* hosts this group yields */
    size_t maxwidth; /* widest number it prints */
};

/* One element of the list: literal text and groups, alternating. lit[i] is
 * the text before group i; lit[ngroups] the text after the last group. */
struct element {
    const char *lit[MAX_GROUPS + 1];
    size_t litlen[MAX_GROUPS + 1];
    struct group groups[MAX_GROUPS];
    size_t ngroups;
};

static bool name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
}

static void element_clear(struct element *e)
{
    for (size_t i = 0; i < e->ngroups; i++)
        free(e->groups[i].ranges);
    e->ngroups = 0;
}

static size_t ndigits(uint64_t v)
{
    size_t n = 1;

    while (v >= 10) {
        v /= 10;
        n++;
    }
    return n;
}

/* Parse a number of 1..MAX_DIGITS digits at *p, advance *p. */
static int parse_number(const char **p, uint64_t *ret, int *ret_width)
{
    uint64_t v = 0;
    int n = 0;

    while (**p >= '0' && **p <= '9') {
        if (++n > MAX_DIGITS)
            return -EINVAL;
        v = v * 10 + (uint64_t)(**p - '0');
        (*p)++;
    }
    if (n == 0)
        return -EINVAL;
    *ret = v;
    *ret_width = n;
    return 0;
}

/* Parse the group whose '[' is at *p; on success *p is past its ']'. */
static int parse_group(const char **p, struct group *g)
{
    const char *s = *p + 1;
    size_t cap = 0;
    int r;

    memset(g, 0, sizeof(*g));
    for (;;) {
        struct range rg;
        int w;

        if ((r = parse_number(&s, &rg.lo, &rg.width)) < 0)
            goto fail;
        rg.hi = rg.lo;
        if (*s == '-') {
            s++;
            if ((r = parse_number(&s, &rg.hi, &w)) < 0)
                goto fail;
            if (rg.hi < rg.lo) {
                r = -EINVAL;
                goto fail;
            }
        }
        if (g->nranges == cap) {
            size_t ncap = cap ? cap * 2 : 4;
            struct range *nr = realloc(g->ranges, ncap * sizeof(*nr));
            if (!nr) {
                r = -ENOMEM;
                goto fail;
            }
            g->ranges = nr;
            cap = ncap;
        }
        g->ranges[g->nranges++] = rg;
        /* Stop counting past the limit: the caller fails with -E2BIG. */
        if (g->count <= JOBSSH_HOSTLIST_MAX_HOSTS)
            g->count += rg.hi - rg.lo + 1 > JOBSSH_HOSTLIST_MAX_HOSTS
                            ? JOBSSH_HOSTLIST_MAX_HOSTS + 1
                            : rg.hi - rg.lo + 1;
        size_t wid = ndigits(rg.hi) > (size_t)rg.width ? ndigits(rg.hi) : (size_t)rg.width;
        if (wid > g->maxwidth)
            g->maxwidth = wid;
        if (*s == ',') {
            s++;
            continue;
        }
        if (*s == ']')
            break;
        r = -EINVAL; /* end of text, another '[', or a bad character */
        goto fail;
    }
    *p = s + 1;
    return 0;
fail:
    free(g->ranges);
    g->ranges = NULL;
    g->nranges = 0;
    return r;
}

/* Parse the element starting at *p up to the next top-level ',' or the end;
 * *p is left on that ',' or NUL. Computes its host count and the bytes of
 * its longest name. */
static int parse_element(const char **p, struct element *e, uint64_t *ret_count, size_t *ret_maxlen)
{
    const char *s = *p;
    uint64_t count = 1;
    size_t len = 0;
    int r;

    memset(e, 0, sizeof(*e));
    e->lit[0] = s;
    for (;;) {
        if (name_char(*s)) {
            s++;
            continue;
        }
        e->litlen[e->ngroups] = (size_t)(s - e->lit[e->ngroups]);
        len += e->litlen[e->ngroups];
        if (*s != '[')
            break;
        if (e->ngroups == MAX_GROUPS) {
            r = -EINVAL;
            goto fail;
        }
        if ((r = parse_group(&s, &e->groups[e->ngroups])) < 0)
            goto fail;
        struct group *g = &e->groups[e->ngroups++];
        len += g->maxwidth;
        if (g->count > JOBSSH_HOSTLIST_MAX_HOSTS || count > JOBSSH_HOSTLIST_MAX_HOSTS / g->count)
            count = JOBSSH_HOSTLIST_MAX_HOSTS + 1;
        else
            count *= g->count;
        e->lit[e->ngroups] = s;
    }
    if ((*s != ',' && *s != '\0') || len == 0) {
        r = -EINVAL; /* bad character, stray ']', or an empty element */
        goto fail;
    }
    if (len > JOBSSH_HOSTLIST_NAME_MAX) {
        r = -EINVAL;
        goto fail;
    }
    *p = s;
    *ret_count = count;
    *ret_maxlen = len;
    return 0;
fail:
    element_clear(e);
    return r;
}

/* Append every name of e to hosts[*n...]; the caller made room. */
static int element_expand(const struct element *e, char **hosts, size_t *n)
{
    size_t ri[MAX_GROUPS] = {0};
    uint64_t val[MAX_GROUPS];
    char buf[JOBSSH_HOSTLIST_NAME_MAX + 1];

    for (size_t g = 0; g < e->ngroups; g++)
        val[g] = e->groups[g].ranges[0].lo;
    for (;;) {
        size_t off = 0;

        for (size_t g = 0; g <= e->ngroups; g++) {
            memcpy(buf + off, e->lit[g], e->litlen[g]);
            off += e->litlen[g];
            if (g < e->ngroups) {
                const struct range *rg = &e->groups[g].ranges[ri[g]];
                int w = snprintf(buf + off, sizeof(buf) - off, "%0*llu", rg->width,
                                 (unsigned long long)val[g]);
                if (w < 0 || (size_t)w >= sizeof(buf) - off)
                    return -EINVAL; /* cannot happen: lengths were checked */
                off += (size_t)w;
            }
        }
        buf[off] = '\0';
        if (!(hosts[*n] = strdup(buf)))
            return -ENOMEM;
        (*n)++;

        /* Next combination: the last group varies fastest. */
        size_t g = e->ngroups;
        while (g > 0) {
            const struct group *gr = &e->groups[g - 1];
            if (val[g - 1] < gr->ranges[ri[g - 1]].hi) {
                val[g - 1]++;
                break;
            }
            if (ri[g - 1] + 1 < gr->nranges) {
                ri[g - 1]++;
                val[g - 1] = gr->ranges[ri[g - 1]].lo;
                break;
            }
            ri[g - 1] = 0;
            val[g - 1] = gr->ranges[0].lo;
            g--;
        }
        if (g == 0)
            return 0;
    }
}

void jobssh_hostlist_free(char **hosts, size_t n)
{
    if (!hosts)
        return;
    for (size_t i = 0; i < n; i++)
        free(hosts[i]);
    free(hosts);
}

int jobssh_hostlist_expand(const char *list, char ***ret_hosts, size_t *ret_n)
{
    struct element e;
    uint64_t total = 0, bytes = 0;
    char **hosts = NULL;
    size_t n = 0;
    const char *p;
    int r;

    if (!list || !ret_hosts || !ret_n)
        return -EINVAL;
    if (strnlen(list, JOBSSH_HOSTLIST_MAX_INPUT + 1) > JOBSSH_HOSTLIST_MAX_INPUT)
        return -E2BIG;

    /* Pass 1: validate, count. */
    p = list;
    for (;;) {
        uint64_t count;
        size_t maxlen;

        if ((r = parse_element(&p, &e, &count, &maxlen)) < 0)
            return r;
        element_clear(&e);
        if (count > JOBSSH_HOSTLIST_MAX_HOSTS - total)
            return -E2BIG;
        total += count;
        bytes += count * (maxlen + 1);
        if (bytes > JOBSSH_HOSTLIST_MAX_BYTES)
            return -E2BIG;
        if (*p == '\0')
            break;
        p++; /* the ',' */
    }

    /* Pass 2: generate. */
    if (!(hosts = calloc((size_t)total, sizeof(*hosts))))
        return -ENOMEM;
    p = list;
    for (;;) {
        uint64_t count;
        size_t maxlen;

        if ((r = parse_element(&p, &e, &count, &maxlen)) < 0)
            goto fail;
        r = element_expand(&e, hosts, &n);
        element_clear(&e);
        if (r < 0)
            goto fail;
        if (*p == '\0')
            break;
        p++;
    }
    *ret_hosts = hosts;
    *ret_n = n;
    return 0;
fail:
    jobssh_hostlist_free(hosts, n);
    return r;
}
