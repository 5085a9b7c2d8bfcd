/* sanitizer.c - where the sanitizer build's reports go (see sanitizer.h) */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sanitizer.h"

int jobssh_sanitizer_log_path(const char *options, char *buf, size_t size)
{
    const char *found = NULL;
    size_t found_len = 0;
    const char *p = options;

    if (!options)
        return 0;
    /* The runtimes' own syntax: NAME=VALUE items split at ':' or blanks; a
     * quoted VALUE runs to its closing quote. Later items win. */
    for (unsigned n = 0; *p && n < 4096; n++) {
        const char *name = p, *value, *end;
        size_t len;

        while (*p && *p != '=' && *p != ':' && *p != ' ' && *p != '\t' && *p != '\n')
            p++;
        if (*p != '=') {
            if (*p)
                p++;
            continue;
        }
        len = (size_t)(p - name);
        value = ++p;
        if (*p == '\'' || *p == '"') {
            char q = *p++;
            value = p;
            end = strchr(p, q);
            if (!end)
                end = p + strlen(p);
            p = *end ? end + 1 : end;
        } else {
            while (*p && *p != ':' && *p != ' ' && *p != '\t' && *p != '\n')
                p++;
            end = p;
        }
        if (len == 8 && strncmp(name, "log_path", 8) == 0) {
            found = value;
            found_len = (size_t)(end - value);
        }
    }
    if (!found || found_len == 0)
        return 0;
    if (found_len >= size)
        return -ENAMETOOLONG;
    memcpy(buf, found, found_len);
    buf[found_len] = '\0';
    return 1;
}

/* The runtime that defines symbol (a function only it has), told its report
 * path from env, else from defaults. */
static void set_path(const char *symbol, const char *env, const char *defaults)
{
    char path[4096];
    void (*set)(const char *);
    void *fn = dlsym(RTLD_DEFAULT, symbol), *handle;
    Dl_info info;

    if (!fn || !dladdr(fn, &info) || !info.dli_fname)
        return;
    if (jobssh_sanitizer_log_path(getenv(env), path, sizeof(path)) != 1 &&
        jobssh_sanitizer_log_path(defaults, path, sizeof(path)) != 1)
        return;
    handle = dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD);
    if (!handle)
        return;
    *(void **)&set = dlsym(handle, "__sanitizer_set_report_path");
    if (set)
        set(path);
    dlclose(handle);
}

void jobssh_sanitizer_log_paths(const char *asan_defaults, const char *ubsan_defaults)
{
    set_path("__asan_init", "ASAN_OPTIONS", asan_defaults);
    set_path("__ubsan_handle_add_overflow", "UBSAN_OPTIONS", ubsan_defaults);
}
