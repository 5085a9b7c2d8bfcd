/* fuzz-cgroup.c - jobssh_cgroup_procs_path(): a line of /proc/<pid>/cgroup
 * against our own cgroup file and mountinfo (lib/cgroup.h)
 *
 * Input: NUL-separated the line, our cgroup text and the mountinfo text.
 * A result of 1 must be a terminated absolute path ending in
 * "/cgroup.procs" without "/.." in it; a failure one clean error text. */
#include "config.h"

#include <errno.h>

#include "cgroup.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    jobssh_error_t err = {{0}};
    char *argv[3] = {"", "", ""}, *buf = NULL, out[512];
    int r;

    (void)fuzz_split(data, size, false, argv, 3, &buf);
    r = jobssh_cgroup_procs_path(argv[0], argv[1], argv[2], out, sizeof(out), &err);
    if (r == 1) {
        size_t n = strnlen(out, sizeof(out));
        fuzz_assert(n < sizeof(out) && n >= strlen("/cgroup.procs"));
        fuzz_assert(strcmp(out + n - strlen("/cgroup.procs"), "/cgroup.procs") == 0);
        fuzz_assert(strstr(out, "/..") == NULL || strstr(argv[2], "/..") != NULL);
    } else if (r < 0) {
        fuzz_assert(r == -EINVAL || r == -ENOENT || r == -ENAMETOOLONG);
        fuzz_assert(fuzz_error_ok(&err));
    } else {
        fuzz_assert(r == 0);
    }
    free(buf);
    return 0;
}
