/* sanitizer.c - the plugin's sanitizer build (--enable-sanitizers) only:
 * when Slurm loads the plugin, give libasan and libubsan the log_path of
 * ASAN_OPTIONS and UBSAN_OPTIONS each (lib/sanitizer.h says why). */
#include "config.h"

#include "lib/sanitizer.h"

__attribute__((constructor)) static void jobssh_sanitizer_init(void)
{
    jobssh_sanitizer_log_paths(NULL, NULL);
}
