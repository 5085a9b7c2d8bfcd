/* state.c - the OCI hook's parsers and decisions (see hook.h). */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "hook.h"
#include "lib/conf.h"
#include "lib/hostlist.h"
#include "lib/util.h"

#define ID_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-"

int jobssh_hook_mode_parse(const char *word, jobssh_hook_mode_t *ret, jobssh_error_t *err)
{
    static const struct {
        const char *word;
        jobssh_hook_mode_t mode;
    } modes[] = {
        {"start-ssh-daemon", JOBSSH_HOOK_START},
        {"createRuntime", JOBSSH_HOOK_START},
        {"prestart", JOBSSH_HOOK_START},
        {"stop-ssh-daemon", JOBSSH_HOOK_STOP},
        {"poststop", JOBSSH_HOOK_STOP},
        {"keygen", JOBSSH_HOOK_KEYGEN},
        {"check-user-has-sshkeys", JOBSSH_HOOK_CHECK_KEYS},
    };

    for (size_t i = 0; word && i < JOBSSH_ELEMENTSOF(modes); i++) {
        if (strcmp(word, modes[i].word) == 0) {
            *ret = modes[i].mode;
            return 0;
        }
    }
    return jobssh_error_set(err, EINVAL,
                            "unknown mode '%.40s': start-ssh-daemon (createRuntime, prestart), "
                            "stop-ssh-daemon (poststop), keygen or check-user-has-sshkeys",
                            word ? word : "");
}

bool jobssh_hook_id_valid(const char *id)
{
    size_t n = strlen(id);

    return n >= 1 && n <= JOBSSH_HOOK_ID_MAX && id[0] != '.' && strspn(id, ID_CHARS) == n;
}

bool jobssh_hook_user_valid(const char *name)
{
    size_t n = strlen(name);

    return n >= 1 && n <= JOBSSH_HOOK_USER_MAX && name[0] != '.' && name[0] != '-' &&
           strspn(name, ID_CHARS) == n;
}

/* Printable text without control characters. */
static bool printable(const char *s, size_t len)
{
    if (strlen(s) != len)
        return false; /* an escaped NUL inside */
    for (size_t i = 0; i < len; i++)
        if (iscntrl((unsigned char)s[i]))
            return false;
    return true;
}

/* ---------------------------------------------------------------- JSON */

static int json_parse(const char *text, size_t len, size_t max, const char *origin,
                      json_object **ret, jobssh_error_t *err)
{
    json_tokener *tok;
    json_object *obj;
    enum json_tokener_error jerr;
    size_t end;

    if (len > max)
        return jobssh_error_set(err, EFBIG, "%s: more than %zu bytes", origin, max);
    if (memchr(text, '\0', len))
        return jobssh_error_set(err, EINVAL, "%s: not JSON: a NUL byte at offset %zu", origin,
                                (size_t)((const char *)memchr(text, '\0', len) - text));
    tok = json_tokener_new_ex(JOBSSH_HOOK_JSON_DEPTH);
    if (!tok)
        return jobssh_error_set(err, ENOMEM, "%s: out of memory", origin);
    obj = json_tokener_parse_ex(tok, text, (int)len);
    jerr = json_tokener_get_error(tok);
    end = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    if (!obj || jerr != json_tokener_success) {
        json_object_put(obj);
        if (jerr == json_tokener_continue || (jerr == json_tokener_success && !obj))
            return jobssh_error_set(err, EINVAL, "%s: not JSON: it ends early", origin);
        return jobssh_error_set(err, EINVAL, "%s: not JSON: %s", origin,
                                json_tokener_error_desc(jerr));
    }
    for (; end < len; end++) {
        if (!isspace((unsigned char)text[end])) {
            json_object_put(obj);
            return jobssh_error_set(err, EINVAL, "%s: not JSON: text after the object", origin);
        }
    }
    if (!json_object_is_type(obj, json_type_object)) {
        json_object_put(obj);
        return jobssh_error_set(err, EINVAL, "%s: not a JSON object", origin);
    }
    *ret = obj;
    return 0;
}

/* obj's member key (NULL when absent or null); -EINVAL when present with
 * another type than type. */
static int member(json_object *obj, const char *key, json_type type, const char *what,
                  const char *origin, json_object **ret, jobssh_error_t *err)
{
    static const char *const names[] = {
        [json_type_null] = "null",        [json_type_boolean] = "a boolean",
        [json_type_double] = "a number",  [json_type_int] = "an integer",
        [json_type_object] = "an object", [json_type_array] = "an array",
        [json_type_string] = "a string",
    };
    json_object *v = NULL;

    *ret = NULL;
    if (!obj || !json_object_object_get_ex(obj, key, &v) || !v ||
        json_object_is_type(v, json_type_null))
        return 0;
    if (!json_object_is_type(v, type))
        return jobssh_error_set(err, EINVAL, "%s: \"%s\" is not %s", origin, what, names[type]);
    *ret = v;
    return 1;
}

/* A string member copied into buf; required: missing is an error. */
static int string_member(json_object *obj, const char *key, const char *what, bool required,
                         const char *origin, char *buf, size_t size, jobssh_error_t *err)
{
    json_object *v;
    int r = member(obj, key, json_type_string, what, origin, &v, err);

    if (r < 0)
        return r;
    if (r == 0) {
        if (required)
            return jobssh_error_set(err, EINVAL, "%s: \"%s\" is missing", origin, what);
        buf[0] = '\0';
        return 0;
    }
    const char *s = json_object_get_string(v);
    size_t len = (size_t)json_object_get_string_len(v);
    if (!printable(s, len))
        return jobssh_error_set(err, EINVAL, "%s: \"%s\" holds a control character", origin, what);
    if (len >= size)
        return jobssh_error_set(err, E2BIG, "%s: \"%s\" is longer than %zu bytes", origin, what,
                                size - 1);
    memcpy(buf, s, len + 1);
    return 1;
}

/* An integer member in [min, max]; missing: *ret = dflt, or an error. */
static int int_member(json_object *obj, const char *key, const char *what, bool required,
                      int64_t min, int64_t max, int64_t dflt, const char *what_range,
                      const char *origin, int64_t *ret, jobssh_error_t *err)
{
    json_object *v = NULL;
    int64_t n;

    if (!obj || !json_object_object_get_ex(obj, key, &v) || !v) {
        if (required)
            return jobssh_error_set(err, EINVAL, "%s: \"%s\" is missing", origin, what);
        *ret = dflt;
        return 0;
    }
    if (!json_object_is_type(v, json_type_int))
        return jobssh_error_set(err, EINVAL, "%s: \"%s\" is not %s", origin, what, what_range);
    errno = 0;
    n = json_object_get_int64(v);
    /* json-c keeps integers above INT64_MAX as uint64: get_int64 clamps them */
    if (n < min || n > max || (n == INT64_MAX && json_object_get_uint64(v) > INT64_MAX))
        return jobssh_error_set(err, ERANGE, "%s: \"%s\" is not %s", origin, what, what_range);
    *ret = n;
    return 1;
}

static void annotations_free(jobssh_hook_annotations_t *a)
{
    free(a->enabled);
    free(a->port);
    free(a->pidfile_container);
    free(a->pidfile_host);
    free(a->authorize_key);
    free(a->tag);
    free(a->hosts);
    memset(a, 0, sizeof(*a));
}

/* "annotations": an object of strings; ours are copied. */
static int annotations_parse(json_object *root, const char *origin, jobssh_hook_annotations_t *a,
                             jobssh_error_t *err)
{
    static const struct {
        const char *key;
        size_t offset;
    } known[] = {
        {"com.hooks.ssh.enabled", offsetof(jobssh_hook_annotations_t, enabled)},
        {"com.hooks.ssh.port", offsetof(jobssh_hook_annotations_t, port)},
        {"com.hooks.ssh.pidfile_container", offsetof(jobssh_hook_annotations_t, pidfile_container)},
        {"com.hooks.ssh.pidfile_host", offsetof(jobssh_hook_annotations_t, pidfile_host)},
        {"com.hooks.ssh.authorize_ssh_key", offsetof(jobssh_hook_annotations_t, authorize_key)},
        {"org.jobssh.tag", offsetof(jobssh_hook_annotations_t, tag)},
        {"org.jobssh.hosts", offsetof(jobssh_hook_annotations_t, hosts)},
    };
    json_object *obj;
    int r = member(root, "annotations", json_type_object, "annotations", origin, &obj, err);

    if (r <= 0)
        return r;
    json_object_object_foreach(obj, key, val)
    {
        if (!json_object_is_type(val, json_type_string))
            return jobssh_error_set(err, EINVAL, "%s: annotation \"%.60s\" is not a string", origin,
                                    key);
        for (size_t i = 0; i < JOBSSH_ELEMENTSOF(known); i++) {
            if (strcmp(key, known[i].key) != 0)
                continue;
            const char *s = json_object_get_string(val);
            size_t len = (size_t)json_object_get_string_len(val);
            if (!printable(s, len))
                return jobssh_error_set(
                    err, EINVAL, "%s: annotation \"%s\" holds a control character", origin, key);
            if (len > JOBSSH_HOOK_HOSTS_MAX || len >= PATH_MAX)
                return jobssh_error_set(err, E2BIG, "%s: annotation \"%s\" is longer than %d bytes",
                                        origin, key, JOBSSH_HOOK_HOSTS_MAX);
            char **slot = (char **)((char *)a + known[i].offset);
            free(*slot);
            if (!(*slot = strdup(s)))
                return jobssh_error_set(err, ENOMEM, "%s: out of memory", origin);
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- state */

void jobssh_hook_state_free(jobssh_hook_state_t *st)
{
    if (st)
        annotations_free(&st->annotations);
}

int jobssh_hook_state_parse(const char *text, size_t len, const char *origin,
                            jobssh_hook_state_t *ret, jobssh_error_t *err)
{
    jobssh_hook_state_t st;
    json_object *root = NULL;
    char version[64];
    int64_t pid;
    int r;

    memset(&st, 0, sizeof(st));
    if ((r = json_parse(text, len, JOBSSH_HOOK_STATE_MAX, origin, &root, err)) < 0)
        return r;
    if ((r = string_member(root, "ociVersion", "ociVersion", true, origin, version, sizeof(version),
                           err)) < 0 ||
        (r = string_member(root, "id", "id", true, origin, st.id, sizeof(st.id), err)) < 0 ||
        (r = string_member(root, "status", "status", true, origin, st.status, sizeof(st.status),
                           err)) < 0 ||
        (r = string_member(root, "bundle", "bundle", true, origin, st.bundle, sizeof(st.bundle),
                           err)) < 0 ||
        (r = int_member(root, "pid", "pid", false, 0, INT32_MAX, 0, "a positive integer", origin,
                        &pid, err)) < 0)
        goto out;
    if (!jobssh_hook_id_valid(st.id)) {
        r = jobssh_error_set(err, EINVAL,
                             "%s: \"id\" is not a container id (1-%d of A-Z a-z 0-9 _ . -, not "
                             "starting with '.')",
                             origin, JOBSSH_HOOK_ID_MAX);
        goto out;
    }
    if (st.bundle[0] != '/') {
        r = jobssh_error_set(err, EINVAL, "%s: \"bundle\" is not an absolute path", origin);
        goto out;
    }
    st.pid = (pid_t)pid;
    if ((r = annotations_parse(root, origin, &st.annotations, err)) < 0)
        goto out;
    *ret = st;
    memset(&st, 0, sizeof(st));
    r = 0;
out:
    annotations_free(&st.annotations);
    json_object_put(root);
    return r;
}

/* ---------------------------------------------------------------- config */

void jobssh_hook_config_free(jobssh_hook_config_t *c)
{
    if (!c)
        return;
    for (size_t i = 0; c->env && i < c->nenv; i++)
        free(c->env[i]);
    free(c->env);
    c->env = NULL;
    c->nenv = 0;
    annotations_free(&c->annotations);
}

static int env_parse(json_object *process, const char *origin, jobssh_hook_config_t *c,
                     jobssh_error_t *err)
{
    json_object *arr;
    size_t n, bytes = 0;
    int r = member(process, "env", json_type_array, "process.env", origin, &arr, err);

    if (r < 0)
        return r;
    n = arr ? json_object_array_length(arr) : 0;
    if (n > JOBSSH_HOOK_ENV_MAX)
        return jobssh_error_set(err, E2BIG, "%s: \"process.env\" has more than %d entries", origin,
                                JOBSSH_HOOK_ENV_MAX);
    if (!(c->env = calloc(n + 1, sizeof(char *))))
        return jobssh_error_set(err, ENOMEM, "%s: out of memory", origin);
    for (size_t i = 0; i < n; i++) {
        json_object *v = json_object_array_get_idx(arr, i);
        if (!json_object_is_type(v, json_type_string))
            return jobssh_error_set(err, EINVAL, "%s: \"process.env[%zu]\" is not a string", origin,
                                    i);
        const char *s = json_object_get_string(v);
        size_t len = (size_t)json_object_get_string_len(v);
        if (strlen(s) != len || !strchr(s, '=') || s[0] == '=')
            return jobssh_error_set(err, EINVAL, "%s: \"process.env[%zu]\" is not NAME=value",
                                    origin, i);
        bytes += len + 1;
        if (bytes > JOBSSH_HOOK_ENV_BYTES)
            return jobssh_error_set(err, E2BIG, "%s: \"process.env\" is larger than %d bytes",
                                    origin, JOBSSH_HOOK_ENV_BYTES);
        if (!(c->env[i] = strdup(s)))
            return jobssh_error_set(err, ENOMEM, "%s: out of memory", origin);
        c->nenv = i + 1;
    }
    return 0;
}

static int idmap_parse(json_object *linux_, const char *key, const char *origin,
                       jobssh_hook_idmap_t *map, size_t *ret_n, jobssh_error_t *err)
{
    static const char *const fields[] = {"containerID", "hostID", "size"};
    char what[64];
    json_object *arr;
    size_t n;
    int r = member(linux_, key, json_type_array, key, origin, &arr, err);

    *ret_n = 0;
    if (r <= 0)
        return r;
    n = json_object_array_length(arr);
    if (n > JOBSSH_HOOK_IDMAP_MAX)
        return jobssh_error_set(err, E2BIG, "%s: \"linux.%s\" has more than %d entries", origin,
                                key, JOBSSH_HOOK_IDMAP_MAX);
    for (size_t i = 0; i < n; i++) {
        json_object *e = json_object_array_get_idx(arr, i);
        int64_t v[3];
        if (!json_object_is_type(e, json_type_object))
            return jobssh_error_set(err, EINVAL, "%s: \"linux.%s[%zu]\" is not an object", origin,
                                    key, i);
        for (size_t f = 0; f < 3; f++) {
            snprintf(what, sizeof(what), "linux.%s[%zu].%s", key, i, fields[f]);
            r = int_member(e, fields[f], what, true, f == 2 ? 1 : 0, UINT32_MAX, 0,
                           "an integer in 0..4294967295", origin, &v[f], err);
            if (r < 0)
                return r;
        }
        if (v[0] + v[2] - 1 > UINT32_MAX || v[1] + v[2] - 1 > UINT32_MAX)
            return jobssh_error_set(err, ERANGE, "%s: \"linux.%s[%zu]\" goes past 4294967295",
                                    origin, key, i);
        map[i] = (jobssh_hook_idmap_t){(uint32_t)v[0], (uint32_t)v[1], (uint32_t)v[2]};
    }
    *ret_n = n;
    return 0;
}

static int linux_parse(json_object *root, const char *origin, jobssh_hook_config_t *c,
                       jobssh_error_t *err)
{
    json_object *linux_, *ns;
    int r = member(root, "linux", json_type_object, "linux", origin, &linux_, err);

    if (r <= 0)
        return r;
    if ((r = member(linux_, "namespaces", json_type_array, "linux.namespaces", origin, &ns, err)) <
        0)
        return r;
    for (size_t i = 0; ns && i < json_object_array_length(ns); i++) {
        json_object *e = json_object_array_get_idx(ns, i);
        char what[48], type[16];
        if (!json_object_is_type(e, json_type_object))
            return jobssh_error_set(err, EINVAL, "%s: \"linux.namespaces[%zu]\" is not an object",
                                    origin, i);
        snprintf(what, sizeof(what), "linux.namespaces[%zu].type", i);
        if ((r = string_member(e, "type", what, true, origin, type, sizeof(type), err)) < 0)
            return r;
        if (strcmp(type, "user") == 0)
            c->userns = true;
        else if (strcmp(type, "pid") == 0)
            c->pidns = true;
    }
    if ((r = idmap_parse(linux_, "uidMappings", origin, c->uidmap, &c->nuidmap, err)) < 0 ||
        (r = idmap_parse(linux_, "gidMappings", origin, c->gidmap, &c->ngidmap, err)) < 0)
        return r;
    return 0;
}

int jobssh_hook_config_parse(const char *text, size_t len, const char *origin, const char *bundle,
                             jobssh_hook_config_t *ret, jobssh_error_t *err)
{
    jobssh_hook_config_t c;
    json_object *root = NULL, *process, *user, *rootfs;
    char path[PATH_MAX];
    int64_t uid, gid;
    int r;

    memset(&c, 0, sizeof(c));
    if ((r = json_parse(text, len, JOBSSH_HOOK_CONFIG_MAX, origin, &root, err)) < 0)
        return r;
    if ((r = member(root, "process", json_type_object, "process", origin, &process, err)) < 0)
        goto out;
    if (!process) {
        r = jobssh_error_set(err, EINVAL, "%s: \"process\" is missing", origin);
        goto out;
    }
    if ((r = member(process, "user", json_type_object, "process.user", origin, &user, err)) < 0)
        goto out;
    if (!user) {
        r = jobssh_error_set(err, EINVAL, "%s: \"process.user\" is missing", origin);
        goto out;
    }
    if ((r = int_member(user, "uid", "process.user.uid", true, 0, UINT32_MAX - 1, 0,
                        "an integer in 0..4294967294", origin, &uid, err)) < 0 ||
        (r = int_member(user, "gid", "process.user.gid", true, 0, UINT32_MAX - 1, 0,
                        "an integer in 0..4294967294", origin, &gid, err)) < 0)
        goto out;
    c.uid = (uid_t)uid;
    c.gid = (gid_t)gid;
    if ((r = env_parse(process, origin, &c, err)) < 0)
        goto out;
    if ((r = member(root, "root", json_type_object, "root", origin, &rootfs, err)) < 0 ||
        (r = string_member(rootfs, "path", "root.path", true, origin, path, sizeof(path), err)) < 0)
        goto out;
    if (path[0] == '/')
        r = jobssh_strlcpy(c.root, path, sizeof(c.root));
    else
        r = jobssh_snprintf(c.root, sizeof(c.root), "%s/%s", bundle, path);
    if (r < 0) {
        r = jobssh_error_set(err, E2BIG, "%s: \"root.path\" is too long", origin);
        goto out;
    }
    if ((r = string_member(root, "hostname", "hostname", false, origin, c.hostname,
                           sizeof(c.hostname), err)) < 0 ||
        (r = linux_parse(root, origin, &c, err)) < 0 ||
        (r = annotations_parse(root, origin, &c.annotations, err)) < 0)
        goto out;
    *ret = c;
    memset(&c, 0, sizeof(c));
    r = 0;
out:
    jobssh_hook_config_free(&c);
    json_object_put(root);
    return r;
}

int64_t jobssh_hook_idmap(const jobssh_hook_idmap_t *map, size_t n, uint32_t id)
{
    if (n == 0)
        return id;
    for (size_t i = 0; i < n; i++)
        if (id >= map[i].inside && id - map[i].inside < map[i].count)
            return (int64_t)map[i].outside + (id - map[i].inside);
    return -ERANGE;
}

const char *jobssh_hook_getenv(char *const env[], const char *name)
{
    size_t n = strlen(name);

    for (size_t i = 0; env && env[i]; i++)
        if (strncmp(env[i], name, n) == 0 && env[i][n] == '=')
            return env[i] + n + 1;
    return NULL;
}

/* ---------------------------------------------------------------- environment */

typedef struct raw_env {
    char base_dir[PATH_MAX];
    char passwd_file[PATH_MAX];
    char dropbear_dir[PATH_MAX];
    uint64_t port_default, port_old;
    bool home_ssh, join_ns;
    char settings[JOBSSH_CONF_VALUE_MAX];
} raw_env_t;

static const jobssh_conf_key_t env_keys[] = {
    JOBSSH_CONF_KEY(raw_env_t, "HOOK_BASE_DIR", JOBSSH_CONF_PATH, base_dir, .required = true),
    JOBSSH_CONF_KEY(raw_env_t, "PASSWD_FILE", JOBSSH_CONF_PATH, passwd_file),
    JOBSSH_CONF_KEY(raw_env_t, "DROPBEAR_DIR", JOBSSH_CONF_PATH, dropbear_dir),
    JOBSSH_CONF_KEY(raw_env_t, "SERVER_PORT_DEFAULT", JOBSSH_CONF_UINT, port_default, .min = 1,
                    .max = 65535),
    JOBSSH_CONF_KEY(raw_env_t, "SERVER_PORT", JOBSSH_CONF_UINT, port_old, .min = 1, .max = 65535),
    JOBSSH_CONF_KEY(raw_env_t, "OVERLAY_MOUNT_HOME_SSH", JOBSSH_CONF_BOOL, home_ssh),
    JOBSSH_CONF_KEY(raw_env_t, "JOIN_NAMESPACES", JOBSSH_CONF_BOOL, join_ns),
    JOBSSH_CONF_KEY(raw_env_t, "JOBSSH_HOOK_SETTINGS", JOBSSH_CONF_STRING, settings),
    {NULL},
};

int jobssh_hook_env_parse(char *const envp[], jobssh_hook_env_t *ret, jobssh_error_t *err)
{
    _cleanup_free_ raw_env_t *raw = calloc(1, sizeof(*raw));
    _cleanup_free_ jobssh_hook_env_t *e = calloc(1, sizeof(*e));
    char *words[JOBSSH_HOOK_SETTINGS_MAX + 2], a_base[PATH_MAX + 16], a_libexec[PATH_MAX + 16];
    bool has_base = false, has_libexec = false;
    int n = 0, r;

    if (!raw || !e)
        return jobssh_error_set(err, ENOMEM, "out of memory");
    raw->home_ssh = true;
    raw->join_ns = true;
    r = jobssh_conf_parse_environ(env_keys, envp, "JOBSSH_HOOK_", raw, sizeof(*raw), err);
    if (r < 0)
        return jobssh_error_prefix(err, -r, "environment");
    if (raw->port_default && raw->port_old && raw->port_default != raw->port_old)
        return jobssh_error_set(err, EINVAL,
                                "environment: SERVER_PORT_DEFAULT=%u and SERVER_PORT=%u differ "
                                "(SERVER_PORT is its old name: set one)",
                                (unsigned)raw->port_default, (unsigned)raw->port_old);
    if (strcmp(raw->base_dir, "/") == 0)
        return jobssh_error_set(err, EINVAL, "environment: HOOK_BASE_DIR can't be /");
    /* The settings: JOBSSH_HOOK_SETTINGS words, basedir and libexec_dir
     * defaulting to HOOK_BASE_DIR and DROPBEAR_DIR. */
    for (char *p = raw->settings, *save = NULL, *w; (w = strtok_r(p, " \t", &save)); p = NULL) {
        if (n == JOBSSH_HOOK_SETTINGS_MAX)
            return jobssh_error_set(err, E2BIG,
                                    "environment: JOBSSH_HOOK_SETTINGS has more than "
                                    "%d words",
                                    JOBSSH_HOOK_SETTINGS_MAX);
        has_base |= strncmp(w, "basedir=", 8) == 0;
        has_libexec |= strncmp(w, "libexec_dir=", 12) == 0;
        words[n++] = w;
    }
    if (has_libexec && raw->dropbear_dir[0])
        return jobssh_error_set(err, EINVAL,
                                "environment: DROPBEAR_DIR and libexec_dir in "
                                "JOBSSH_HOOK_SETTINGS both name the programs' directory: set one");
    if (!has_base) {
        snprintf(a_base, sizeof(a_base), "basedir=%s", raw->base_dir);
        words[n++] = a_base;
    }
    if (raw->dropbear_dir[0]) {
        snprintf(a_libexec, sizeof(a_libexec), "libexec_dir=%s", raw->dropbear_dir);
        words[n++] = a_libexec;
    }
    if ((r = jobssh_settings_parse(n, words, &e->settings, err)) < 0)
        return jobssh_error_prefix(err, -r, "environment: JOBSSH_HOOK_SETTINGS");
    memcpy(e->base_dir, raw->base_dir, sizeof(e->base_dir));
    memcpy(e->passwd_file, raw->passwd_file, sizeof(e->passwd_file));
    memcpy(e->dropbear_dir, raw->dropbear_dir, sizeof(e->dropbear_dir));
    e->first_port = (unsigned)(raw->port_default ? raw->port_default : raw->port_old);
    e->home_ssh = raw->home_ssh;
    e->join_ns = raw->join_ns;
    *ret = *e;
    return 0;
}

/* ---------------------------------------------------------------- decisions */

static const char *annotation(const jobssh_hook_state_t *st, const jobssh_hook_config_t *c,
                              size_t offset)
{
    const char *v = *(char *const *)((const char *)&st->annotations + offset);

    return v ? v : *(char *const *)((const char *)&c->annotations + offset);
}

#define ANNOTATION(field) annotation(st, c, offsetof(jobssh_hook_annotations_t, field))

static bool digits(const char *s, size_t max)
{
    size_t n = strlen(s);

    return n >= 1 && n <= max && strspn(s, "0123456789") == n;
}

/* An absolute path from an annotation. */
static int path_annotation(const char *value, const char *key, char *buf, size_t size,
                           jobssh_error_t *err)
{
    buf[0] = '\0';
    if (!value)
        return 0;
    if (value[0] != '/' || jobssh_strlcpy(buf, value, size) < 0)
        return jobssh_error_set(err, EINVAL, "annotation %s='%.60s' is not an absolute path", key,
                                value);
    return 0;
}

static bool node_valid(const char *s)
{
    size_t n = strlen(s);

    return n >= 1 && n <= JOBSSH_HOOK_NODE_MAX && s[0] != '.' && s[0] != '-' &&
           strspn(s, ID_CHARS) == n;
}

static int hosts_valid(const char *list, const char *what, jobssh_error_t *err)
{
    char **hosts = NULL;
    size_t n = 0;
    int r;

    if (strlen(list) > JOBSSH_HOOK_HOSTS_MAX)
        return jobssh_error_set(err, E2BIG, "%s is longer than %d bytes", what,
                                JOBSSH_HOOK_HOSTS_MAX);
    r = jobssh_hostlist_expand(list, &hosts, &n);
    jobssh_hostlist_free(hosts, n);
    if (r < 0)
        return jobssh_error_set(err, -r, "%s='%.60s' is not a host list", what, list);
    return 0;
}

int jobssh_hook_plan(const jobssh_hook_state_t *st, const jobssh_hook_config_t *c,
                     const jobssh_hook_env_t *env, const jobssh_hook_user_t *user,
                     const char *host_node, jobssh_hook_plan_t *ret, jobssh_error_t *err)
{
    _cleanup_free_ jobssh_hook_plan_t *p = calloc(1, sizeof(*p));
    const char *enabled = ANNOTATION(enabled), *v, *hosts = NULL, *hosts_what = NULL;
    const char *job = jobssh_hook_getenv(c->env, "SLURM_JOB_ID");
    const char *step = jobssh_hook_getenv(c->env, "SLURM_STEP_ID");
    int r;

    if (!p)
        return jobssh_error_set(err, ENOMEM, "out of memory");
    if (!enabled || strcmp(enabled, "true") != 0)
        return 0;

    /* The tag: the Slurm step, ours, or the user's. */
    if (job && step) {
        if (!digits(job, 10))
            return jobssh_error_set(
                err, EINVAL, "config.json: process.env SLURM_JOB_ID='%.40s' is not a job id", job);
        if (jobssh_snprintf(p->tag, sizeof(p->tag), "%s.%s", job, step) < 0 ||
            !jobssh_port_tag_valid(p->tag))
            return jobssh_error_set(
                err, EINVAL, "config.json: process.env SLURM_STEP_ID='%.40s' is not a step id",
                step);
        v = jobssh_hook_getenv(c->env, "SLURM_STEP_NODELIST");
        hosts = v ? v : jobssh_hook_getenv(c->env, "SLURM_JOB_NODELIST");
        hosts_what = v ? "config.json: process.env SLURM_STEP_NODELIST"
                       : "config.json: process.env SLURM_JOB_NODELIST";
    } else if ((v = ANNOTATION(tag))) {
        if (!jobssh_port_tag_valid(v))
            return jobssh_error_set(err, EINVAL,
                                    "annotation org.jobssh.tag='%.60s' is not a tag (1-%d of "
                                    "A-Z a-z 0-9 . _ -)",
                                    v, JOBSSH_PORT_TAG_MAX);
        (void)jobssh_strlcpy(p->tag, v, sizeof(p->tag));
    } else if (jobssh_snprintf(p->tag, sizeof(p->tag), "oci-%s", user->name) < 0 ||
               !jobssh_port_tag_valid(p->tag)) {
        return jobssh_error_set(err, EINVAL, "user name '%.40s' makes no tag", user->name);
    }
    if (!hosts && (hosts = ANNOTATION(hosts)))
        hosts_what = "annotation org.jobssh.hosts";
    if (hosts) {
        if ((r = hosts_valid(hosts, hosts_what, err)) < 0)
            return r;
        (void)jobssh_strlcpy(p->hosts, hosts, sizeof(p->hosts));
    }

    /* The node: the container's host name, else this host's. */
    v = c->hostname[0] ? c->hostname : host_node;
    if (!v || !node_valid(v))
        return jobssh_error_set(err, EINVAL, "%s '%.64s' is not a usable node name",
                                c->hostname[0] ? "config.json: hostname" : "this host's name",
                                v ? v : "");
    (void)jobssh_strlcpy(p->node, v, sizeof(p->node));

    /* The port: the container's own, strictly; else the site's first try. */
    if ((v = ANNOTATION(port))) {
        if (!digits(v, 5) || atoi(v) < 1 || atoi(v) > 65535)
            return jobssh_error_set(err, EINVAL,
                                    "annotation com.hooks.ssh.port='%.40s' is not a port "
                                    "(1-65535)",
                                    v);
        p->port = (unsigned)atoi(v);
        p->port_strict = true;
    } else {
        p->port = env->first_port;
    }
    if ((r = path_annotation(ANNOTATION(pidfile_container), "com.hooks.ssh.pidfile_container",
                             p->pidfile_container, sizeof(p->pidfile_container), err)) < 0 ||
        (r = path_annotation(ANNOTATION(pidfile_host), "com.hooks.ssh.pidfile_host",
                             p->pidfile_host, sizeof(p->pidfile_host), err)) < 0 ||
        (r = path_annotation(ANNOTATION(authorize_key), "com.hooks.ssh.authorize_ssh_key",
                             p->authorize_key, sizeof(p->authorize_key), err)) < 0)
        return r;
    *ret = *p;
    return 1;
}

/* ---------------------------------------------------------------- jobssh-sshd */

int jobssh_hook_sshd_argv(const jobssh_hook_plan_t *p, const jobssh_hook_env_t *env,
                          const jobssh_hook_user_t *user, pid_t pid, char *buf, size_t size,
                          char **argv, size_t max, jobssh_error_t *err)
{
    const jobssh_settings_t *s = &env->settings;
    size_t n = 0, used = 0;
    bool full = false;

#define ARG(x)                                                                                     \
    do {                                                                                           \
        if (n + 1 < max)                                                                           \
            argv[n++] = (char *)(x);                                                               \
        else                                                                                       \
            full = true;                                                                           \
    } while (0)
    /* A formatted argument, kept in buf. */
#define ARGF(...)                                                                                  \
    do {                                                                                           \
        int len_ = used < size ? jobssh_snprintf(buf + used, size - used, __VA_ARGS__) : -1;       \
        if (len_ < 0) {                                                                            \
            full = true;                                                                           \
            break;                                                                                 \
        }                                                                                          \
        ARG(buf + used);                                                                           \
        used += (size_t)len_ + 1;                                                                  \
    } while (0)

    ARG("jobssh-sshd");
    ARG("--container");
    ARG("--join-pid");
    ARGF("%d", (int)pid);
    ARG("--tag");
    ARG(p->tag);
    ARG("--user");
    ARG(user->name);
    ARG("--uid");
    ARGF("%u", (unsigned)user->uid);
    ARG("--gid");
    ARGF("%u", (unsigned)user->gid);
    ARG("--node");
    ARG(p->node);
    if (p->hosts[0]) {
        ARG("--hosts");
        ARG(p->hosts);
    }
    ARG("--keydir");
    ARG(user->keydir);
    if (p->port) {
        ARG(p->port_strict ? "--port" : "--first-port");
        ARGF("%u", p->port);
    }
    if (env->home_ssh)
        ARG("--home-ssh");
    if (!env->join_ns)
        ARG("--no-pid-ns");
    if (p->authorize_key[0]) {
        ARG("--authorized-key-file");
        ARG(p->authorize_key);
    }
    if (p->pidfile_container[0]) {
        ARG("--pidfile-container");
        ARG(p->pidfile_container);
    }
    if (p->pidfile_host[0]) {
        ARG("--pidfile-host");
        ARG(p->pidfile_host);
    }
    ARG("--");
    ARGF("basedir=%s", s->basedir);
    ARGF("libexec_dir=%s", s->libexec_dir);
    ARGF("rundir=%s", s->rundir);
    ARGF("port_range=%u-%u", s->ports.low, s->ports.high);
    ARGF("port_count=%llu", (unsigned long long)s->port_count);
    ARGF("connect_timeout=%llu", (unsigned long long)s->connect_timeout);
    ARGF("start_timeout=%llu", (unsigned long long)s->start_timeout);
#undef ARG
#undef ARGF
    if (full || max == 0)
        return jobssh_error_set(err, E2BIG, "the command line of jobssh-sshd is too long");
    argv[n] = NULL;
    return (int)n;
}

int jobssh_hook_answer_parse(const char *line, unsigned *ret_port, jobssh_error_t *err)
{
    /* The container is not set up yet (createRuntime): the supervisor
     * starts the daemon once it is, and reports to the log from then on. */
    if (strcmp(line, "started") == 0) {
        *ret_port = 0;
        return 0;
    }
    if (strncmp(line, "ready ", 6) == 0) {
        const char *p = line + 6;
        size_t n = strspn(p, "0123456789");
        if (n >= 1 && n <= 5 && (p[n] == '\0' || p[n] == ' ') && atoi(p) >= 1 && atoi(p) <= 65535) {
            *ret_port = (unsigned)atoi(p);
            return 0;
        }
    } else if (strncmp(line, "error ", 6) == 0 && line[6]) {
        return jobssh_error_set(err, EIO, "%s", line + 6);
    }
    return jobssh_error_set(err, EPROTO,
                            "jobssh-sshd answered '%.80s', not \"ready PORT\", \"started\" "
                            "or \"error TEXT\"",
                            line);
}

/* ---------------------------------------------------------------- users */

int jobssh_hook_passwd_lookup(const char *text, size_t len, uid_t uid, char *name, size_t name_size,
                              jobssh_error_t *err)
{
    char want[16];
    size_t wl = (size_t)snprintf(want, sizeof(want), "%u", (unsigned)uid);

    for (size_t off = 0; off < len;) {
        const char *line = text + off, *nl = memchr(line, '\n', len - off);
        size_t ll = nl ? (size_t)(nl - line) : len - off;
        const char *c1 = memchr(line, ':', ll), *c2, *c3;

        off += ll + 1;
        if (!c1 || !(c2 = memchr(c1 + 1, ':', ll - (size_t)(c1 + 1 - line))) ||
            !(c3 = memchr(c2 + 1, ':', ll - (size_t)(c2 + 1 - line))))
            continue;
        if ((size_t)(c3 - c2 - 1) != wl || memcmp(c2 + 1, want, wl) != 0)
            continue;
        size_t nl_ = (size_t)(c1 - line);
        char tmp[JOBSSH_HOOK_USER_MAX + 2];
        if (nl_ > JOBSSH_HOOK_USER_MAX)
            return jobssh_error_set(err, EINVAL, "the name of uid %u is longer than %d bytes",
                                    (unsigned)uid, JOBSSH_HOOK_USER_MAX);
        memcpy(tmp, line, nl_);
        tmp[nl_] = '\0';
        if (!jobssh_hook_user_valid(tmp))
            return jobssh_error_set(err, EINVAL,
                                    "the name of uid %u, '%s', is not usable in a "
                                    "path",
                                    (unsigned)uid, tmp);
        if (jobssh_strlcpy(name, tmp, name_size) < 0)
            return jobssh_error_set(err, E2BIG, "the name of uid %u is too long", (unsigned)uid);
        return 0;
    }
    return jobssh_error_set(err, ENOENT, "no user has uid %u", (unsigned)uid);
}

int jobssh_hook_keydir(const jobssh_hook_env_t *env, const char *name, char *buf, size_t size,
                       jobssh_error_t *err)
{
    if (!jobssh_hook_user_valid(name))
        return jobssh_error_set(err, EINVAL, "bad user name '%.40s'", name);
    if (jobssh_snprintf(buf, size, "%s/%s/.oci-hooks/ssh/keys", env->base_dir, name) < 0)
        return jobssh_error_set(err, ENAMETOOLONG, "HOOK_BASE_DIR=%s: path too long",
                                env->base_dir);
    return 0;
}
