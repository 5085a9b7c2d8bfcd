/* conf.c - fail-closed key=value parsing */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "util.h"

#define KEY_MAX      64                                     /* bytes of a key name */
#define LINE_MAX_LEN (KEY_MAX + JOBSSH_CONF_VALUE_MAX + 64) /* bytes of a file line */

static size_t type_size(jobssh_conf_type_t t)
{
    switch (t) {
    case JOBSSH_CONF_UINT:
    case JOBSSH_CONF_DURATION:
        return sizeof(uint64_t);
    case JOBSSH_CONF_BOOL:
        return sizeof(bool);
    case JOBSSH_CONF_PORT_RANGE:
        return sizeof(jobssh_port_range_t);
    case JOBSSH_CONF_STRING:
    case JOBSSH_CONF_PATH:
        return 0; /* any array size >= 2 */
    }
    return (size_t)-1;
}

int jobssh_conf_init(jobssh_conf_t *c, const jobssh_conf_key_t *keys, void *out, size_t out_size,
                     jobssh_error_t *err)
{
    size_t n;

    for (n = 0; keys[n].name; n++) {
        const jobssh_conf_key_t *k = &keys[n];
        size_t want = type_size(k->type);

        if (n >= JOBSSH_CONF_KEYS_MAX)
            return jobssh_error_set(err, EINVAL, "key table has more than %d keys",
                                    JOBSSH_CONF_KEYS_MAX);
        if (want == (size_t)-1 || (want ? k->size != want : k->size < 2) || k->offset > out_size ||
            k->size > out_size - k->offset || !k->name[0] || strlen(k->name) >= KEY_MAX ||
            strchr(k->name, '='))
            return jobssh_error_set(err, EINVAL, "key table: bad entry for '%s'", k->name);
        for (size_t i = 0; i < n; i++)
            if (strcmp(keys[i].name, k->name) == 0)
                return jobssh_error_set(err, EINVAL, "key table: '%s' twice", k->name);
    }
    c->keys = keys;
    c->nkeys = n;
    c->out = out;
    c->seen = 0;
    return 0;
}

/* "unknown key 'x' (known: a, b, c)", cut by the error buffer if long */
static int unknown_key(const jobssh_conf_t *c, const char *key, size_t keylen, jobssh_error_t *err)
{
    char known[JOBSSH_ERROR_TEXT_MAX] = "";
    size_t used = 0;

    for (size_t i = 0; i < c->nkeys && used < sizeof(known); i++) {
        int n =
            snprintf(known + used, sizeof(known) - used, "%s%s", i ? ", " : "", c->keys[i].name);
        used += n > 0 ? (size_t)n : 0;
    }
    if (keylen > KEY_MAX)
        keylen = KEY_MAX;
    return jobssh_error_set(err, EINVAL, "unknown key '%.*s' (known: %s)", (int)keylen, key, known);
}

static int find_key(const jobssh_conf_t *c, const char *key, size_t keylen)
{
    for (size_t i = 0; i < c->nkeys; i++)
        if (strlen(c->keys[i].name) == keylen && memcmp(c->keys[i].name, key, keylen) == 0)
            return (int)i;
    return -1;
}

/* Decimal digits only (no sign, blanks or base prefix); -ERANGE on overflow. */
static int parse_u64(const char *s, const char **ret_end, uint64_t *ret)
{
    uint64_t v = 0;
    const char *p = s;

    if (!isdigit((unsigned char)*p))
        return -EINVAL;
    for (; isdigit((unsigned char)*p); p++) {
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -ERANGE;
        v = v * 10 + d;
    }
    *ret_end = p;
    *ret = v;
    return 0;
}

static int check_bounds(const jobssh_conf_key_t *k, uint64_t v, const char *value,
                        jobssh_error_t *err)
{
    uint64_t max = k->max ? k->max : UINT64_MAX;

    if (v < k->min || v > max)
        return jobssh_error_set(
            err, ERANGE, "value '%.40s' of key '%s' is out of range (%" PRIu64 "..%" PRIu64 ")",
            value, k->name, k->min, max);
    return 0;
}

static int parse_uint(const jobssh_conf_key_t *k, const char *value, uint64_t *ret,
                      jobssh_error_t *err)
{
    const char *end;
    uint64_t v;
    int r = parse_u64(value, &end, &v);

    if (r == -ERANGE)
        return check_bounds(k, UINT64_MAX, value, err) < 0
                   ? -ERANGE
                   : jobssh_error_set(err, ERANGE, "value '%.40s' of key '%s' is too large", value,
                                      k->name);
    if (r < 0 || *end)
        return jobssh_error_set(err, EINVAL, "value '%.40s' of key '%s' is not an unsigned integer",
                                value, k->name);
    r = check_bounds(k, v, value, err);
    if (r < 0)
        return r;
    *ret = v;
    return 0;
}

static int parse_duration(const jobssh_conf_key_t *k, const char *value, uint64_t *ret,
                          jobssh_error_t *err)
{
    static const struct {
        const char *suffix;
        uint64_t mult;
    } units[] = {{"", 1}, {"s", 1}, {"m", 60}, {"h", 3600}};
    const char *end;
    uint64_t v;
    int r = parse_u64(value, &end, &v);

    if (r == 0) {
        for (size_t i = 0; i < JOBSSH_ELEMENTSOF(units); i++) {
            if (strcmp(end, units[i].suffix) != 0)
                continue;
            if (v > UINT64_MAX / units[i].mult)
                return jobssh_error_set(err, ERANGE, "value '%.40s' of key '%s' is too large",
                                        value, k->name);
            r = check_bounds(k, v * units[i].mult, value, err);
            if (r < 0)
                return r;
            *ret = v * units[i].mult;
            return 0;
        }
    }
    if (r == -ERANGE)
        return jobssh_error_set(err, ERANGE, "value '%.40s' of key '%s' is too large", value,
                                k->name);
    return jobssh_error_set(err, EINVAL,
                            "value '%.40s' of key '%s' is not a duration (e.g. 90, 90s, 5m, 2h)",
                            value, k->name);
}

static int parse_bool(const jobssh_conf_key_t *k, const char *value, bool *ret, jobssh_error_t *err)
{
    static const char *const yes[] = {"yes", "true", "1"}, *const no[] = {"no", "false", "0"};

    for (size_t i = 0; i < JOBSSH_ELEMENTSOF(yes); i++) {
        if (strcasecmp(value, yes[i]) == 0) {
            *ret = true;
            return 0;
        }
        if (strcasecmp(value, no[i]) == 0) {
            *ret = false;
            return 0;
        }
    }
    return jobssh_error_set(err, EINVAL,
                            "value '%.40s' of key '%s' is not a boolean (yes/no, true/false, 1/0)",
                            value, k->name);
}

static int parse_port_range(const jobssh_conf_key_t *k, const char *value, jobssh_port_range_t *ret,
                            jobssh_error_t *err)
{
    const char *end;
    uint64_t lo, hi;

    if (parse_u64(value, &end, &lo) < 0 || *end != '-' || parse_u64(end + 1, &end, &hi) < 0 || *end)
        return jobssh_error_set(
            err, EINVAL, "value '%.40s' of key '%s' is not a port range LOW-HIGH", value, k->name);
    if (lo < 1024 || hi > 65535 || lo > hi)
        return jobssh_error_set(err, ERANGE,
                                "port range '%.40s' of key '%s' is not within 1024-65535 with "
                                "LOW <= HIGH",
                                value, k->name);
    ret->low = (uint16_t)lo;
    ret->high = (uint16_t)hi;
    return 0;
}

static int parse_path(const jobssh_conf_key_t *k, const char *value, char *field,
                      jobssh_error_t *err)
{
    size_t len = strlen(value);
    const char *p;

    if (value[0] != '/')
        return jobssh_error_set(err, EINVAL, "path '%.40s' of key '%s' is not absolute", value,
                                k->name);
    while (len > 1 && value[len - 1] == '/')
        len--;
    for (p = value; p < value + len;) {
        const char *c = p + 1, *e = c;
        while (e < value + len && *e != '/')
            e++;
        if ((e - c == 1 && c[0] == '.') || (e - c == 2 && c[0] == '.' && c[1] == '.'))
            return jobssh_error_set(err, EINVAL,
                                    "path '%.40s' of key '%s' has a '.' or '..' component", value,
                                    k->name);
        p = e;
    }
    if (len >= k->size)
        return jobssh_error_set(err, E2BIG, "value of key '%s' is too long (max %zu bytes)",
                                k->name, k->size - 1);
    memcpy(field, value, len);
    field[len] = '\0';
    return 0;
}

int jobssh_conf_set(jobssh_conf_t *c, const char *key, const char *value, jobssh_error_t *err)
{
    const jobssh_conf_key_t *k;
    char *field;
    size_t len;
    int i, r;

    i = find_key(c, key, strlen(key));
    if (i < 0)
        return unknown_key(c, key, strlen(key), err);
    k = &c->keys[i];
    if (c->seen & (UINT64_C(1) << i))
        return jobssh_error_set(err, EINVAL, "duplicate key '%s'", k->name);
    len = strnlen(value, JOBSSH_CONF_VALUE_MAX + 1);
    if (len == 0)
        return jobssh_error_set(err, EINVAL, "empty value for key '%s'", k->name);
    if (len > JOBSSH_CONF_VALUE_MAX)
        return jobssh_error_set(err, E2BIG, "value of key '%s' is too long (max %d bytes)", k->name,
                                JOBSSH_CONF_VALUE_MAX);
    for (size_t j = 0; j < len; j++)
        if (iscntrl((unsigned char)value[j]))
            return jobssh_error_set(err, EINVAL, "value of key '%s' contains control characters",
                                    k->name);

    field = (char *)c->out + k->offset;
    switch (k->type) {
    case JOBSSH_CONF_STRING:
        if (len >= k->size)
            return jobssh_error_set(err, E2BIG, "value of key '%s' is too long (max %zu bytes)",
                                    k->name, k->size - 1);
        memcpy(field, value, len + 1);
        r = 0;
        break;
    case JOBSSH_CONF_PATH:
        r = parse_path(k, value, field, err);
        break;
    case JOBSSH_CONF_BOOL: {
        bool b = false;
        r = parse_bool(k, value, &b, err);
        if (r == 0)
            memcpy(field, &b, sizeof(b));
        break;
    }
    case JOBSSH_CONF_PORT_RANGE: {
        jobssh_port_range_t pr = {0, 0};
        r = parse_port_range(k, value, &pr, err);
        if (r == 0)
            memcpy(field, &pr, sizeof(pr));
        break;
    }
    case JOBSSH_CONF_UINT:
    case JOBSSH_CONF_DURATION: {
        uint64_t v = 0;
        r = k->type == JOBSSH_CONF_UINT ? parse_uint(k, value, &v, err)
                                        : parse_duration(k, value, &v, err);
        if (r == 0)
            memcpy(field, &v, sizeof(v));
        break;
    }
    default:
        r = jobssh_error_set(err, EINVAL, "key '%s' has an unknown type", k->name);
    }
    if (r == 0)
        c->seen |= UINT64_C(1) << i;
    return r;
}

/* Split at the first '=' into a bounded key copy, then set. */
static int set_split(jobssh_conf_t *c, const char *key, size_t keylen, const char *value,
                     jobssh_error_t *err)
{
    char name[KEY_MAX];

    if (keylen == 0)
        return jobssh_error_set(err, EINVAL, "missing key before '=%.40s'", value);
    if (keylen >= sizeof(name) || find_key(c, key, keylen) < 0)
        return unknown_key(c, key, keylen, err);
    memcpy(name, key, keylen);
    name[keylen] = '\0';
    return jobssh_conf_set(c, name, value, err);
}

int jobssh_conf_set_pair(jobssh_conf_t *c, const char *pair, jobssh_error_t *err)
{
    const char *eq = strchr(pair, '=');

    if (!eq)
        return jobssh_error_set(err, EINVAL, "missing '=' in '%.60s' (expected key=value)", pair);
    return set_split(c, pair, (size_t)(eq - pair), eq + 1, err);
}

int jobssh_conf_finish(const jobssh_conf_t *c, jobssh_error_t *err)
{
    for (size_t i = 0; i < c->nkeys; i++)
        if (c->keys[i].required && !(c->seen & (UINT64_C(1) << i)))
            return jobssh_error_set(err, EINVAL, "missing required key '%s'", c->keys[i].name);
    return 0;
}

/* A copy of the caller's struct that the convenience parsers work on. */
static int scratch_init(jobssh_conf_t *c, const jobssh_conf_key_t *keys, const void *out,
                        size_t out_size, void **ret_copy, jobssh_error_t *err)
{
    _cleanup_free_ void *copy = malloc(out_size ? out_size : 1);
    int r;

    if (!copy)
        return jobssh_error_set(err, ENOMEM, "out of memory");
    memcpy(copy, out, out_size);
    r = jobssh_conf_init(c, keys, copy, out_size, err);
    if (r < 0)
        return r;
    *ret_copy = JOBSSH_TAKE_PTR(copy);
    return 0;
}

static int scratch_commit(jobssh_conf_t *c, void *out, size_t out_size, jobssh_error_t *err)
{
    int r = jobssh_conf_finish(c, err);

    if (r == 0)
        memcpy(out, c->out, out_size);
    return r;
}

int jobssh_conf_parse_argv(const jobssh_conf_key_t *keys, int argc, char *const argv[], void *out,
                           size_t out_size, jobssh_error_t *err)
{
    _cleanup_free_ void *copy = NULL;
    jobssh_conf_t c;
    int r = scratch_init(&c, keys, out, out_size, &copy, err);

    for (int i = 0; r == 0 && i < argc; i++)
        r = jobssh_conf_set_pair(&c, argv[i], err);
    return r < 0 ? r : scratch_commit(&c, out, out_size, err);
}

int jobssh_conf_parse_environ(const jobssh_conf_key_t *keys, char *const envp[], const char *prefix,
                              void *out, size_t out_size, jobssh_error_t *err)
{
    _cleanup_free_ void *copy = NULL;
    jobssh_conf_t c;
    int r = scratch_init(&c, keys, out, out_size, &copy, err);

    for (size_t i = 0; r == 0 && envp && envp[i]; i++) {
        const char *eq = strchr(envp[i], '=');
        size_t namelen = eq ? (size_t)(eq - envp[i]) : strlen(envp[i]);

        if (find_key(&c, envp[i], namelen) >= 0)
            r = jobssh_conf_set_pair(&c, envp[i], err);
        else if (prefix && prefix[0] && strncmp(envp[i], prefix, strlen(prefix)) == 0)
            r = unknown_key(&c, envp[i], namelen, err);
    }
    return r < 0 ? r : scratch_commit(&c, out, out_size, err);
}

static bool blank(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r';
}

/* One line (not terminated): trim, skip comments, split at '='. */
static int parse_line(jobssh_conf_t *c, const char *line, size_t len, jobssh_error_t *err)
{
    char value[JOBSSH_CONF_VALUE_MAX + 1];
    const char *end = line + len, *eq, *k_end, *v;

    while (line < end && blank(*line))
        line++;
    while (end > line && blank(end[-1]))
        end--;
    if (line == end || *line == '#')
        return 0;
    eq = memchr(line, '=', (size_t)(end - line));
    if (!eq)
        return jobssh_error_set(err, EINVAL, "missing '=' in '%.*s' (expected key = value)",
                                (int)((end - line) > 60 ? 60 : end - line), line);
    for (k_end = eq; k_end > line && blank(k_end[-1]);)
        k_end--;
    for (v = eq + 1; v < end && blank(*v);)
        v++;
    if ((size_t)(end - v) > JOBSSH_CONF_VALUE_MAX)
        return jobssh_error_set(err, E2BIG, "value of key '%.*s' is too long (max %d bytes)",
                                (int)(k_end - line > KEY_MAX ? KEY_MAX : k_end - line), line,
                                JOBSSH_CONF_VALUE_MAX);
    memcpy(value, v, (size_t)(end - v));
    value[end - v] = '\0';
    return set_split(c, line, (size_t)(k_end - line), value, err);
}

int jobssh_conf_parse_text(const jobssh_conf_key_t *keys, const char *text, size_t len,
                           const char *origin, void *out, size_t out_size, jobssh_error_t *err)
{
    _cleanup_free_ void *copy = NULL;
    const char *p = text, *end = text + len;
    jobssh_conf_t c;
    int r = scratch_init(&c, keys, out, out_size, &copy, err);

    if (r < 0)
        return r;
    if (memchr(text, '\0', len))
        return jobssh_error_set(err, EINVAL, "%s: contains a NUL byte", origin);
    for (unsigned lineno = 1; p < end; lineno++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t linelen = (size_t)((nl ? nl : end) - p);

        if (linelen > LINE_MAX_LEN)
            return jobssh_error_set(err, E2BIG, "%s:%u: line too long (max %d bytes)", origin,
                                    lineno, LINE_MAX_LEN);
        r = parse_line(&c, p, linelen, err);
        if (r < 0)
            return jobssh_error_prefix(err, -r, "%s:%u", origin, lineno);
        if (!nl)
            break;
        p = nl + 1;
    }
    r = jobssh_conf_finish(&c, err);
    if (r < 0)
        return jobssh_error_prefix(err, -r, "%s", origin);
    memcpy(out, c.out, out_size);
    return 0;
}

int jobssh_conf_parse_file(const jobssh_conf_key_t *keys, const char *path, void *out,
                           size_t out_size, jobssh_error_t *err)
{
    _cleanup_close_ int fd = -1;
    _cleanup_free_ char *text = NULL;
    struct stat st;
    size_t len;
    int r;

    /* O_NONBLOCK: a FIFO planted at path must not block us */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return jobssh_error_set_errno(err, errno, "couldn't open %s", path);
    if (fstat(fd, &st) < 0)
        return jobssh_error_set_errno(err, errno, "couldn't stat %s", path);
    if (!S_ISREG(st.st_mode))
        return jobssh_error_set(err, EINVAL, "%s is not a regular file", path);
    r = jobssh_read_fd(fd, JOBSSH_CONF_FILE_MAX, &text, &len);
    if (r == -EFBIG)
        return jobssh_error_set(err, EFBIG, "%s is larger than %d bytes", path,
                                JOBSSH_CONF_FILE_MAX);
    if (r < 0)
        return jobssh_error_set_errno(err, -r, "couldn't read %s", path);
    return jobssh_conf_parse_text(keys, text, len, path, out, out_size, err);
}
