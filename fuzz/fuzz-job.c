/* fuzz-job.c - jobssh_job_request_parse(), the job daemon's request file
 * (<rundir>/<node>/<jobid>.request, lib/job.h)
 *
 * Input: 1 byte SIZE (the node buffer's size, 1..255), then the file's
 * text. The node buffer is a heap block of exactly SIZE bytes. A success
 * (1) must give a terminated node list that is a "nodes=" value of the
 * text; a failure one clean error text. The uid asked for is 2001. */
#include "config.h"

#include <errno.h>

#include "fuzz.h"
#include "job.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    jobssh_error_t err = {{0}};
    size_t nsize;
    char *text, *orig, *nodes;
    int r;

    if (size < 1)
        return 0;
    nsize = data[0] ? data[0] : 1;
    text = fuzz_strdup(data + 1, size - 1);
    orig = fuzz_strdup(data + 1, size - 1);
    nodes = malloc(nsize);
    if (!nodes)
        abort();
    r = jobssh_job_request_parse(text, 2001, nodes, nsize, "request", &err);
    if (r == 1) {
        char want[300];
        size_t n = strnlen(nodes, nsize);
        fuzz_assert(n > 0 && n < nsize);
        snprintf(want, sizeof(want), "nodes=%s", nodes);
        fuzz_assert(strstr(orig, want) != NULL);
        fuzz_assert(strstr(orig, "uid=") != NULL);
    } else {
        fuzz_assert(r == -EINVAL || r == -EPERM || r == -ENAMETOOLONG);
        fuzz_assert(fuzz_error_ok(&err));
    }
    free(nodes);
    free(orig);
    free(text);
    return 0;
}
