/* Unit tests for lib/hostlist.c: Slurm host list expansion. */
#include "hostlist.h"
#include "tap.h"

#include <errno.h>

/* Expand list and compare with the space-separated names in want. */
static void expands_to(const char *list, const char *want)
{
    char **hosts = NULL, got[4096] = "";
    size_t n = 0, off = 0;
    int r = jobssh_hostlist_expand(list, &hosts, &n);

    for (size_t i = 0; r == 0 && i < n; i++) {
        int w = snprintf(got + off, sizeof(got) - off, "%s%s", i ? " " : "", hosts[i]);
        if (w < 0 || (size_t)w >= sizeof(got) - off)
            break;
        off += (size_t)w;
    }
    if (r < 0)
        snprintf(got, sizeof(got), "error %d", r);
    is_str(got, want, "'%s' expands to '%s'", list, want);
    jobssh_hostlist_free(hosts, n);
}

static void fails_with(const char *list, int want, const char *why)
{
    char **hosts = (char **)0x1;
    size_t n = 4711;
    int r = jobssh_hostlist_expand(list, &hosts, &n);

    ok(r == want && hosts == (char **)0x1 && n == 4711, "'%.40s%s' refused with %d (%s)", list,
       strlen(list) > 40 ? "..." : "", want, why);
    if (r != want)
        diag("got %d", r);
}

int main(void)
{
    plan(56);

    /* well-formed */
    expands_to("node1", "node1");
    expands_to("node1,node2", "node1 node2");
    expands_to("node[1-3]", "node1 node2 node3");
    expands_to("node[01-03,7]", "node01 node02 node03 node7");
    expands_to("node[08-11]", "node08 node09 node10 node11");
    expands_to("node[8-11]", "node8 node9 node10 node11");
    expands_to("node[098-101]", "node098 node099 node100 node101");
    expands_to("node[1,3,5]", "node1 node3 node5");
    expands_to("node[5]", "node5");
    expands_to("node[3-3]", "node3");
    expands_to("[1-3]", "1 2 3");
    expands_to("rack[1-2]-n[3-4]", "rack1-n3 rack1-n4 rack2-n3 rack2-n4");
    expands_to("a[1-2]b[3-4]c", "a1b3c a1b4c a2b3c a2b4c");
    expands_to("a[1-2][7,9]", "a17 a19 a27 a29");
    expands_to("login1,node[1-2],gpu[01-02]", "login1 node1 node2 gpu01 gpu02");
    expands_to("n[2-999999999999999999]x,y", "error -7");
    expands_to("a,a", "a a");
    expands_to("node-1.cluster_x", "node-1.cluster_x");
    expands_to("n[0-2]", "n0 n1 n2");
    expands_to("n[000-001]", "n000 n001");
    expands_to("n[3-1,]", "error -22");

    /* large but allowed */
    {
        char **hosts = NULL;
        size_t n = 0;
        int r = jobssh_hostlist_expand("n[000000-999999]", &hosts, &n);
        ok(r == 0 && n == 1000000 && strcmp(hosts[0], "n000000") == 0 &&
               strcmp(hosts[999999], "n999999") == 0 && strcmp(hosts[123456], "n123456") == 0,
           "a million hosts (the maximum)");
        jobssh_hostlist_free(hosts, n);
    }
    {
        char name[JOBSSH_HOSTLIST_NAME_MAX + 1];
        char **hosts = NULL;
        size_t n = 0;
        memset(name, 'x', JOBSSH_HOSTLIST_NAME_MAX);
        name[JOBSSH_HOSTLIST_NAME_MAX] = '\0';
        ok(jobssh_hostlist_expand(name, &hosts, &n) == 0 && n == 1 &&
               strlen(hosts[0]) == JOBSSH_HOSTLIST_NAME_MAX,
           "a name of %d characters", JOBSSH_HOSTLIST_NAME_MAX);
        jobssh_hostlist_free(hosts, n);
    }

    /* malformed */
    fails_with("", -EINVAL, "empty list");
    fails_with(",,", -EINVAL, "only commas");
    fails_with("a,,b", -EINVAL, "empty element");
    fails_with("a,", -EINVAL, "trailing comma");
    fails_with(",a", -EINVAL, "leading comma");
    fails_with("node[3-1]", -EINVAL, "descending range");
    fails_with("node[", -EINVAL, "unterminated bracket");
    fails_with("node[1-2", -EINVAL, "unterminated range");
    fails_with("node[1-2,", -EINVAL, "unterminated list");
    fails_with("node[a-b]", -EINVAL, "letters in a range");
    fails_with("node[]", -EINVAL, "empty group");
    fails_with("node[1,]", -EINVAL, "empty item");
    fails_with("node[,1]", -EINVAL, "empty first item");
    fails_with("node[-1]", -EINVAL, "missing low bound");
    fails_with("node[1-]", -EINVAL, "missing high bound");
    fails_with("node[1-2-3]", -EINVAL, "two dashes");
    fails_with("node[[1]]", -EINVAL, "nested bracket");
    fails_with("node]", -EINVAL, "stray closing bracket");
    fails_with("node 1", -EINVAL, "space");
    fails_with("node1;rm", -EINVAL, "shell character");
    fails_with("n\xc3\xa9", -EINVAL, "non-ASCII");
    fails_with("node[1234567890123456789]", -EINVAL, "19-digit number");
    fails_with("a[1]b[1]c[1]d[1]e[1]f[1]g[1]h[1]i[1]", -EINVAL, "more than 8 groups");
    fails_with("n[0-1000000]", -E2BIG, "1000001 hosts");
    fails_with("n[0-999],m[0-999999]", -E2BIG, "a million plus 1000 over two elements");
    fails_with("a[0-999]b[0-999]c[0-9]", -E2BIG, "ten million by product");
    fails_with("a[0-999999999999999999]b[0-999999999999999999]", -E2BIG, "product overflow");
    {
        char name[JOBSSH_HOSTLIST_NAME_MAX + 8];
        memset(name, 'x', JOBSSH_HOSTLIST_NAME_MAX + 1);
        name[JOBSSH_HOSTLIST_NAME_MAX + 1] = '\0';
        fails_with(name, -EINVAL, "name too long");
        memset(name, 'x', JOBSSH_HOSTLIST_NAME_MAX - 1);
        strcpy(name + JOBSSH_HOSTLIST_NAME_MAX - 1, "[9-10]");
        fails_with(name, -EINVAL, "name too long once expanded");
    }
    {
        /* 400 bytes x 1M hosts would be 400 MB: over the byte limit */
        char big[300];
        memset(big, 'y', 240);
        strcpy(big + 240, "[000000-299999]");
        fails_with(big, -E2BIG, "over the byte limit");
    }
    {
        size_t len = JOBSSH_HOSTLIST_MAX_INPUT + 2;
        char *huge = malloc(len);
        if (!huge)
            bail_out("out of memory");
        memset(huge, 'a', len - 1);
        huge[len - 1] = '\0';
        for (size_t i = 1; i < len - 1; i += 2)
            huge[i] = ',';
        fails_with(huge, -E2BIG, "input longer than 1 MiB");
        free(huge);
    }
    {
        char **hosts = NULL;
        size_t n = 0;
        ok(jobssh_hostlist_expand(NULL, &hosts, &n) == -EINVAL, "NULL list refused");
        jobssh_hostlist_free(NULL, 0);
        ok(1, "jobssh_hostlist_free(NULL) is harmless");
    }
    return done_testing();
}
