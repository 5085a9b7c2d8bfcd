/* fuzz-client.c - the parsers of lib/client.c: a status line's reason
 * (jobssh_client_status_reason) and a daemon tag's job part
 * (jobssh_client_job_of_tag)
 *
 * Input: 1 byte SIZE (the job buffer's size, 0..63), then NUL-separated the
 * status line and the tag. The job buffer is a heap block of exactly SIZE
 * bytes, so a write past it is caught. */
#include "config.h"

#include <errno.h>

#include "client.h"
#include "fuzz.h"

static void check_reason(const char *status)
{
    const char *reason = jobssh_client_status_reason(status);

    if (strncmp(status, "error ", 6) == 0)
        fuzz_assert(reason == status + 6);
    else
        fuzz_assert(reason == status);
}

static void check_job(const char *tag, size_t size)
{
    char *buf = malloc(size ? size : 1);
    size_t dot = strcspn(tag, ".");
    int r;

    if (!buf)
        abort();
    memset(buf, 'x', size ? size : 1);
    r = jobssh_client_job_of_tag(tag, buf, size);
    if (r == 0) {
        fuzz_assert(dot > 0 && dot < size);
        fuzz_assert(strlen(buf) == dot && memcmp(buf, tag, dot) == 0);
    } else {
        fuzz_assert(r == -EINVAL && (dot == 0 || dot >= size));
        /* out-params are written only on success */
        for (size_t i = 0; i < size; i++)
            fuzz_assert(buf[i] == 'x');
    }
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *status, *tag;
    char *buf;
    size_t n, bufsize;

    if (size < 1)
        return 0;
    bufsize = data[0] % 64;
    buf = fuzz_strdup(data + 1, size - 1);
    n = size - 1;
    status = buf;
    tag = status + strlen(status) + (strlen(status) < n);

    check_reason(status);
    check_job(tag, bufsize);
    free(buf);
    return 0;
}
