/* files.h - writing small files safely inside a directory the caller holds
 * open: never through a symlink, never into an existing file (a new file is
 * written under a temporary name and renamed over the old one). */
#ifndef JOBSSH_FILES_H
#define JOBSSH_FILES_H

#include <stddef.h>
#include <sys/types.h>

#include "error.h"

/* Write len bytes of buf as dirfd/name with the given mode, atomically. */
int jobssh_files_write_at(int dirfd, const char *name, const void *buf, size_t len, mode_t mode,
                          jobssh_error_t *err);

#endif
