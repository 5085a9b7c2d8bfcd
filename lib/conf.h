/* conf.h - fail-closed key=value parsing into a caller's struct (the "config"
 * module; named conf.h because config.h is the build's generated header)
 *
 * Used for plugstack.conf arguments (argc/argv), the hook's configuration
 * (environment values) and small "key = value" files. The caller describes
 * its struct with a table of typed keys, sets defaults in the struct, and
 * parses. Every problem is an error naming the key: unknown key, duplicate
 * key, missing '=', empty value, value out of range, value too long, control
 * characters, a required key missing.
 *
 *   struct cfg { char basedir[256]; jobssh_port_range_t ports; bool join; };
 *   static const jobssh_conf_key_t keys[] = {
 *       JOBSSH_CONF_KEY(struct cfg, "basedir", JOBSSH_CONF_PATH, basedir, .required = true),
 *       JOBSSH_CONF_KEY(struct cfg, "port_range", JOBSSH_CONF_PORT_RANGE, ports),
 *       JOBSSH_CONF_KEY(struct cfg, "join", JOBSSH_CONF_BOOL, join),
 *       {NULL},
 *   };
 *   r = jobssh_conf_parse_argv(keys, argc, argv, &cfg, sizeof(cfg), &err);
 *
 * Return values: -EINVAL for syntax, unknown/duplicate/missing keys and bad
 * values, -ERANGE for numbers out of range, -E2BIG for overlong values or
 * lines, -EFBIG for an oversized file, -ENOMEM.
 */
#ifndef JOBSSH_CONF_H
#define JOBSSH_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define JOBSSH_CONF_VALUE_MAX 4096        /* bytes of one value */
#define JOBSSH_CONF_KEYS_MAX  64          /* keys in one table */
#define JOBSSH_CONF_FILE_MAX  (64 * 1024) /* bytes of one file */

typedef enum jobssh_conf_type {
    JOBSSH_CONF_STRING,     /* char[N]: any printable text shorter than N */
    JOBSSH_CONF_PATH,       /* char[N]: absolute, no "." or ".." component; trailing '/' removed */
    JOBSSH_CONF_UINT,       /* uint64_t: decimal digits, within [min, max] */
    JOBSSH_CONF_BOOL,       /* bool: yes/no, true/false, 1/0 (any case) */
    JOBSSH_CONF_PORT_RANGE, /* jobssh_port_range_t: "LOW-HIGH", 1024 <= LOW <= HIGH <= 65535 */
    JOBSSH_CONF_DURATION,   /* uint64_t seconds: "90", "90s", "5m", "2h", within [min, max] */
} jobssh_conf_type_t;

typedef struct jobssh_port_range {
    uint16_t low, high;
} jobssh_port_range_t;

typedef struct jobssh_conf_key {
    const char *name; /* NULL ends the table */
    jobssh_conf_type_t type;
    size_t offset;     /* offsetof(struct, field) */
    size_t size;       /* sizeof(field); must match the type */
    uint64_t min, max; /* UINT, DURATION: inclusive bounds (max 0: no upper bound) */
    bool required;
} jobssh_conf_key_t;

/* Table entry for field `field` of struct type `stype`; extra designated initializers
 * (.min, .max, .required) may follow. */
#define JOBSSH_CONF_KEY(stype, keyname, ktype, field, ...)                                         \
    {                                                                                              \
        .name = (keyname), .type = (ktype), .offset = offsetof(stype, field),                      \
        .size = sizeof(((stype *)0)->field), __VA_ARGS__                                           \
    }

/* Parse state for callers that feed values one by one. Fields are private. */
typedef struct jobssh_conf {
    const jobssh_conf_key_t *keys;
    size_t nkeys;
    void *out;
    uint64_t seen; /* bit i: keys[i] was set */
} jobssh_conf_t;

/* Start parsing into out (out_size bytes). Checks the key table (types,
 * sizes, offsets, at most JOBSSH_CONF_KEYS_MAX keys, no duplicate names):
 * -EINVAL when it is wrong. */
int jobssh_conf_init(jobssh_conf_t *c, const jobssh_conf_key_t *keys, void *out, size_t out_size,
                     jobssh_error_t *err);

/* Set one key from its text value, writing the field in out at once.
 * Errors: unknown key, duplicate, empty/overlong/invalid value, range. */
int jobssh_conf_set(jobssh_conf_t *c, const char *key, const char *value, jobssh_error_t *err);

/* Like jobssh_conf_set() for one "key=value" string (no spaces trimmed). */
int jobssh_conf_set_pair(jobssh_conf_t *c, const char *pair, jobssh_error_t *err);

/* After the last value: -EINVAL naming the first required key not set. */
int jobssh_conf_finish(const jobssh_conf_t *c, jobssh_error_t *err);

/* The convenience parsers below run init/set/finish on a copy of out and copy
 * it back only on success: on failure out is unchanged. */

/* argv[0..argc-1] are "key=value" strings (plugstack.conf arguments). */
int jobssh_conf_parse_argv(const jobssh_conf_key_t *keys, int argc, char *const argv[], void *out,
                           size_t out_size, jobssh_error_t *err);

/* Take every NAME=value of envp whose NAME is a key; NAMEs not in the table
 * are ignored unless they start with prefix (non-NULL), which makes them
 * unknown-key errors (catches misspelt settings). */
int jobssh_conf_parse_environ(const jobssh_conf_key_t *keys, char *const envp[], const char *prefix,
                              void *out, size_t out_size, jobssh_error_t *err);

/* Parse len bytes of "key = value" lines: blanks around key and value are
 * trimmed, empty lines and lines whose first non-blank is '#' are skipped
 * ('#' elsewhere is part of the value). Errors are prefixed "origin:LINE: ". */
int jobssh_conf_parse_text(const jobssh_conf_key_t *keys, const char *text, size_t len,
                           const char *origin, void *out, size_t out_size, jobssh_error_t *err);

/* Read a regular file of at most JOBSSH_CONF_FILE_MAX bytes and parse it
 * like jobssh_conf_parse_text() with the path as origin. The caller checks
 * the file's ownership beforehand (jobssh_path_check()). */
int jobssh_conf_parse_file(const jobssh_conf_key_t *keys, const char *path, void *out,
                           size_t out_size, jobssh_error_t *err);

#endif
