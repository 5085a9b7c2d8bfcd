/* Unit tests for lib/port.c: candidate ports of a TAG, range parsing,
 * identification matching. */
#include "port.h"
#include "tap.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <time.h>

/* The list for TAG "12.0" in the default range, computed once from the
 * definition in port.c (FNV-1a 64 + splitmix64, linear probe) by an
 * independent implementation; it must never change: nodes of one cluster
 * may run different builds. */
static const unsigned short golden_12_0[16] = {2232, 2940, 2881, 2834, 2667, 3010, 3092, 2806,
                                               2229, 2970, 2425, 3023, 2567, 3134, 2439, 2835};

static uint64_t rng_state;

static uint64_t rng_next(void)
{
    /* xorshift64*: only to draw test tags */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dULL;
}

/* A random tag: half of them "<job>.<step>" / "<job>", the rest random
 * strings of the whole charset. */
static void random_tag(char *buf, size_t size)
{
    static const char cs[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-";
    uint64_t r = rng_next();

    if (r & 1) {
        unsigned job = (unsigned)(rng_next() % 10000000) + 1;
        if (r & 2)
            snprintf(buf, size, "%u.%u", job, (unsigned)(rng_next() % 10));
        else
            snprintf(buf, size, "%u", job);
    } else {
        size_t n = 1 + rng_next() % JOBSSH_PORT_TAG_MAX;
        for (size_t i = 0; i < n && i + 1 < size; i++)
            buf[i] = cs[rng_next() % (sizeof(cs) - 1)];
        buf[n < size ? n : size - 1] = '\0';
    }
}

static bool all_in_range_distinct(const unsigned short *p, int n, unsigned lo, unsigned hi)
{
    for (int i = 0; i < n; i++) {
        if (p[i] < lo || p[i] > hi)
            return false;
        for (int j = 0; j < i; j++)
            if (p[i] == p[j])
                return false;
    }
    return true;
}

static void test_tags(void)
{
    char long_ok[JOBSSH_PORT_TAG_MAX + 1], too_long[JOBSSH_PORT_TAG_MAX + 2];

    memset(long_ok, 'a', JOBSSH_PORT_TAG_MAX);
    long_ok[JOBSSH_PORT_TAG_MAX] = '\0';
    memset(too_long, 'a', JOBSSH_PORT_TAG_MAX + 1);
    too_long[JOBSSH_PORT_TAG_MAX + 1] = '\0';
    ok(jobssh_port_tag_valid("12.0"), "tag 12.0 valid");
    ok(jobssh_port_tag_valid("A-z_9."), "tag with the whole charset valid");
    ok(jobssh_port_tag_valid(long_ok), "tag of %d chars valid", JOBSSH_PORT_TAG_MAX);
    ok(!jobssh_port_tag_valid(too_long), "tag of %d chars refused", JOBSSH_PORT_TAG_MAX + 1);
    ok(!jobssh_port_tag_valid(""), "empty tag refused");
    ok(!jobssh_port_tag_valid(NULL), "NULL tag refused");
    ok(!jobssh_port_tag_valid("12 0") && !jobssh_port_tag_valid("12/0") &&
           !jobssh_port_tag_valid("12\n") && !jobssh_port_tag_valid("\xc3\xa9"),
       "tags with space, slash, newline, non-ASCII refused");
}

static void test_candidates(void)
{
    unsigned short p[JOBSSH_PORT_COUNT_MAX], q[JOBSSH_PORT_COUNT_MAX];
    int n, m;
    bool same = true, good = true;
    char tag[64];

    n = jobssh_port_candidates("12.0", JOBSSH_PORT_LOW_DEFAULT, JOBSSH_PORT_HIGH_DEFAULT,
                               JOBSSH_PORT_COUNT_DEFAULT, p);
    is_int(n, 16, "16 candidates in the default range");
    for (int i = 0; i < 16 && n == 16; i++)
        if (p[i] != golden_12_0[i]) {
            same = false;
            diag("candidate %d: got %u, want %u", i, p[i], golden_12_0[i]);
        }
    ok(n == 16 && same, "golden list for tag 12.0 in 2222-3221");

    m = jobssh_port_candidates("12.0", 2222, 3221, 16, q);
    ok(m == n && memcmp(p, q, sizeof(p[0]) * 16) == 0, "same list on a second call");

    n = jobssh_port_candidates("12.0", 2222, 3221, 4, q);
    ok(n == 4 && memcmp(p, q, sizeof(p[0]) * 4) == 0, "a shorter list is a prefix of the longer");

    m = jobssh_port_candidates("12.1", 2222, 3221, 16, q);
    ok(m == 16 && memcmp(p, q, sizeof(p[0]) * 16) != 0, "another step, another list");

    /* Many tags and ranges: always in range and distinct. */
    rng_state = 0x9e3779b97f4a7c15ULL;
    for (int t = 0; t < 2000 && good; t++) {
        unsigned lo = 1 + (unsigned)(rng_next() % 65535), hi, cnt;
        hi = lo + (unsigned)(rng_next() % (t % 2 ? 40 : 2000));
        if (hi > 65535)
            hi = 65535;
        cnt = 1 + (unsigned)(rng_next() % JOBSSH_PORT_COUNT_MAX);
        random_tag(tag, sizeof(tag));
        n = jobssh_port_candidates(tag, lo, hi, cnt, p);
        unsigned want = cnt < hi - lo + 1 ? cnt : hi - lo + 1;
        if (n != (int)want || !all_in_range_distinct(p, n, lo, hi)) {
            diag("tag %s range %u-%u count %u: got %d", tag, lo, hi, cnt, n);
            good = false;
        }
    }
    ok(good, "2000 random tags/ranges/counts: right number, in range, distinct");

    n = jobssh_port_candidates("7", 5000, 5003, 16, p);
    ok(n == 4 && all_in_range_distinct(p, n, 5000, 5003), "count clamped to a span of 4 (%d)", n);
    n = jobssh_port_candidates("7", 5000, 5000, 16, p);
    ok(n == 1 && p[0] == 5000, "span of one port");
    n = jobssh_port_candidates("7", 1, 65535, JOBSSH_PORT_COUNT_MAX, p);
    ok(n == JOBSSH_PORT_COUNT_MAX && all_in_range_distinct(p, n, 1, 65535),
       "whole port space, %d candidates", JOBSSH_PORT_COUNT_MAX);
    n = jobssh_port_candidates("7", 65472, 65535, JOBSSH_PORT_COUNT_MAX, p);
    ok(n == 64 && all_in_range_distinct(p, n, 65472, 65535), "span == count == 64 at the top");

    is_int(jobssh_port_candidates(NULL, 2222, 3221, 16, p), -EINVAL, "NULL tag: -EINVAL");
    is_int(jobssh_port_candidates("", 2222, 3221, 16, p), -EINVAL, "empty tag: -EINVAL");
    is_int(jobssh_port_candidates("a b", 2222, 3221, 16, p), -EINVAL, "bad tag: -EINVAL");
    is_int(jobssh_port_candidates("1", 0, 3221, 16, p), -EINVAL, "low 0: -EINVAL");
    is_int(jobssh_port_candidates("1", 3222, 3221, 16, p), -EINVAL, "low > high: -EINVAL");
    is_int(jobssh_port_candidates("1", 2222, 65536, 16, p), -EINVAL, "high 65536: -EINVAL");
    is_int(jobssh_port_candidates("1", 2222, 3221, 0, p), -EINVAL, "count 0: -EINVAL");
    is_int(jobssh_port_candidates("1", 2222, 3221, JOBSSH_PORT_COUNT_MAX + 1, p), -EINVAL,
           "count %d: -EINVAL", JOBSSH_PORT_COUNT_MAX + 1);
    is_int(jobssh_port_candidates("1", 2222, 3221, 16, NULL), -EINVAL, "NULL output: -EINVAL");
}

/* The point of the scheme: daemons of different steps on one node rarely
 * want the same first port. Measured on random tags (seed printed, and
 * settable with JOBSSH_TEST_SEED to reproduce a run). */
static void test_collisions(void)
{
    const char *env = getenv("JOBSSH_TEST_SEED");
    uint64_t seed =
        env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
    unsigned differ = 0, sets_clash = 0, sets_fail = 0;
    char a[64], b[64];

    rng_state = seed ? seed : 1;
    diag("collision measurement seed %" PRIu64, seed);
    for (int i = 0; i < 1000; i++) {
        unsigned short pa[1], pb[1];
        random_tag(a, sizeof(a));
        do
            random_tag(b, sizeof(b));
        while (strcmp(a, b) == 0);
        if (jobssh_port_candidates(a, 2222, 3221, 1, pa) == 1 &&
            jobssh_port_candidates(b, 2222, 3221, 1, pb) == 1 && pa[0] != pb[0])
            differ++;
    }
    diag("first candidates differ for %u of 1000 tag pairs (1000-port range)", differ);
    ok(differ >= 990, "first candidates differ in >= 99%% of 1000 random tag pairs (%u)", differ);

    /* 8 daemons on one node, started one after another, each binding its
     * first candidate not taken by an earlier one. */
    for (int s = 0; s < 1000; s++) {
        unsigned short used[8], p[JOBSSH_PORT_COUNT_DEFAULT];
        bool clash = false;
        for (int d = 0; d < 8; d++) {
            int n, k;
            random_tag(a, sizeof(a));
            n = jobssh_port_candidates(a, 2222, 3221, JOBSSH_PORT_COUNT_DEFAULT, p);
            for (k = 0; k < n; k++) {
                bool taken = false;
                for (int e = 0; e < d; e++)
                    taken |= used[e] == p[k];
                if (!taken)
                    break;
            }
            if (k > 0)
                clash = true;
            if (k == n) {
                sets_fail++;
                break;
            }
            used[d] = p[k];
        }
        sets_clash += clash;
    }
    diag("8 daemons per node: %u of 1000 nodes had a daemon off its first candidate", sets_clash);
    ok(sets_clash <= 60, "8 tags on a node share a first candidate rarely (%u/1000, ~28 expected)",
       sets_clash);
    is_int(sets_fail, 0, "8 daemons per node always find a port among 16 candidates");
}

static void test_range(void)
{
    unsigned lo = 1, hi = 2;

    ok(jobssh_port_parse_range("2222-3221", &lo, &hi) == 0 && lo == 2222 && hi == 3221,
       "parse 2222-3221");
    ok(jobssh_port_parse_range("5-5", &lo, &hi) == 0 && lo == 5 && hi == 5, "parse 5-5");
    ok(jobssh_port_parse_range("1-65535", &lo, &hi) == 0 && lo == 1 && hi == 65535,
       "parse 1-65535");
    lo = hi = 7;
    const char *bad[] = {
        "",         "2222", "2222-", "-3221", "3221-2222", "0-10", "1-65536",
        " 1-2",     "1-2 ", "1--2",  "+1-2",  "1-2-3",     "a-b",  "1-99999999999999999999",
        "0x10-0x20"};
    bool all = true;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (jobssh_port_parse_range(bad[i], &lo, &hi) != -EINVAL) {
            diag("accepted '%s'", bad[i]);
            all = false;
        }
    ok(all && lo == 7 && hi == 7, "%zu malformed ranges refused, out-params untouched",
       sizeof(bad) / sizeof(bad[0]));
    is_int(jobssh_port_parse_range(NULL, &lo, &hi), -EINVAL, "NULL range refused");
}

static void test_ident(void)
{
#define M(s, tag) jobssh_port_ident_matches(s, sizeof(s) - 1, tag)
    ok(M("SSH-2.0-dropbear_2025.89 jobssh-12.0\r\n", "12.0"), "ident with CR LF matches");
    ok(M("SSH-2.0-dropbear_2025.89 jobssh-12.0", "12.0"), "ident without line end matches");
    ok(M("SSH-2.0-dropbear_2025.89 jobssh-12.0\n", "12.0"), "ident with bare LF matches");
    ok(M("SSH-2.0-dropbear_2025.89 jobssh-12.0\r\n\x00\x00\x01\x14", "12.0"),
       "bytes after the line are ignored");
    ok(!M("SSH-2.0-dropbear_2025.89 jobssh-12.0\r\n", "12"), "job tag does not match step 12.0");
    ok(!M("SSH-2.0-dropbear_2025.89 jobssh-12\r\n", "12.0"), "step tag does not match job 12");
    ok(!M("SSH-2.0-dropbear_2025.89 jobssh-13.0\r\n", "12.0"), "another job's daemon");
    ok(!M("SSH-2.0-dropbear_2025.89\r\n", "12.0"), "plain Dropbear");
    ok(!M("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n", "12.0"), "OpenSSH");
    ok(!M("SSH-2.0-dropbear_2025.89 jobssh-12.0 \r\n", "12.0"), "trailing space: last token empty");
    ok(!M("SSH-2.0-jobssh-12.0\r\n", "12.0"), "token must be a comment, not the version");
    ok(!M("HTTP/1.1 400 jobssh-12.0\r\n", "12.0"), "not an SSH identification");
    ok(!M("SSH-2.0-x xjobssh-12.0\r\n", "12.0") && !M("SSH-2.0-x jobssh-12.0x\r\n", "12.0"),
       "token must match exactly");
    ok(!jobssh_port_ident_matches("SSH-2.0-x jobssh-12.0", 20, "12.0"), "len bounds the line");
    ok(!M("SSH-2.0-x jobssh-\r\n", ""), "empty tag never matches");
#undef M
}

int main(void)
{
    plan(49);
    test_tags();
    test_candidates();
    test_collisions();
    test_range();
    test_ident();
    return done_testing();
}
