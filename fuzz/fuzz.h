/* fuzz.h - helpers shared by the libFuzzer targets (fuzz-*.c)
 *
 * Each target defines LLVMFuzzerTestOneInput(), feeds the input to one
 * parser of libjobssh and checks invariants with fuzz_assert(): a failed
 * invariant aborts, which libFuzzer reports as a crash and saves the input.
 * Targets keep no state between inputs and free everything they allocate
 * (a leak fails the run). Include config.h before this header.
 */
#ifndef JOBSSH_FUZZ_H
#define JOBSSH_FUZZ_H

#include <ctype.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

__attribute__((noreturn)) static inline void fuzz_fail(const char *file, int line, const char *what)
{
    fprintf(stderr, "%s:%d: invariant failed: %s\n", file, line, what);
    abort();
}

#define fuzz_assert(cond) ((cond) ? (void)0 : fuzz_fail(__FILE__, __LINE__, #cond))

/* A NUL-terminated copy of data (free it). Embedded NULs stay: the C string
 * ends at the first one. */
static inline char *fuzz_strdup(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);

    if (!s)
        abort();
    if (size)
        memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* Split data into at most max words at NUL bytes and, when blanks is true,
 * at whitespace as well (plugstack.conf arguments are whitespace-separated).
 * Empty words are dropped. The words point into *ret_buf (free it); returns
 * their number. */
static inline int fuzz_split(const uint8_t *data, size_t size, bool blanks, char **argv, int max,
                             char **ret_buf)
{
    char *buf = fuzz_strdup(data, size);
    int argc = 0;

    for (size_t i = 0; i < size;) {
        size_t j = i;

        while (j < size && buf[j] != '\0' && !(blanks && isspace((unsigned char)buf[j])))
            j++;
        buf[j] = '\0';
        if (j > i && argc < max)
            argv[argc++] = buf + i;
        i = j + 1;
    }
    *ret_buf = buf;
    return argc;
}

/* The error convention: a failure leaves a non-empty, terminated text of
 * one line, without control characters (error.h). */
static inline bool fuzz_error_ok(const jobssh_error_t *err)
{
    size_t n = strnlen(err->text, sizeof(err->text));

    if (n == 0 || n >= sizeof(err->text))
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)err->text[i] < 0x20 || err->text[i] == 0x7f)
            return false;
    return true;
}

/* A string of size bytes holds a terminated value of printable text. */
static inline bool fuzz_printable(const char *s, size_t size)
{
    size_t n = strnlen(s, size);

    if (n >= size)
        return false;
    for (size_t i = 0; i < n; i++)
        if (iscntrl((unsigned char)s[i]))
            return false;
    return true;
}

/* A conf PATH value: absolute, no trailing '/' (except "/" itself), no "."
 * or ".." component, printable, terminated. */
static inline bool fuzz_path_ok(const char *s, size_t size)
{
    size_t n;

    if (!fuzz_printable(s, size) || s[0] != '/')
        return false;
    n = strlen(s);
    if (n > 1 && s[n - 1] == '/')
        return false;
    for (const char *p = s; *p;) {
        const char *c = p + 1, *e = strchrnul(c, '/');
        size_t len = (size_t)(e - c);

        if ((len == 1 && c[0] == '.') || (len == 2 && c[0] == '.' && c[1] == '.'))
            return false;
        p = e;
    }
    return true;
}

#endif
