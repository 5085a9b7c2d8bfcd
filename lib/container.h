/* container.h - jobssh's place inside an OCI container
 *
 * A container's root file system may be read-only and is the image's: jobssh
 * writes nothing there. Its /dev is the runtime's own tmpfs (OCI runtimes
 * mount one for every container), so jobssh makes one directory there,
 * /dev/jobssh, and mounts a small tmpfs of its own on it (nosuid, nodev) for
 * the copies of its static programs and its run directory. It goes away with
 * the container's mount namespace, or earlier with jobssh_container_unmount().
 *
 * These run in the container's mount namespace, with the capabilities of the
 * namespace's owner (root, or the user of a rootless container). */
#ifndef JOBSSH_CONTAINER_H
#define JOBSSH_CONTAINER_H

#include <sys/types.h>

#include "error.h"

#define JOBSSH_CONTAINER_DEV "/dev"
#define JOBSSH_CONTAINER_DIR "/dev/jobssh"

/* Make <devdir>/jobssh and mount a fresh tmpfs on it (mode 0755, owned by
 * the caller). devdir must be a tmpfs mounted on its own (not a directory of
 * the image). On success *ret_fd (if not NULL) is the tmpfs's root. -EEXIST
 * when <devdir>/jobssh exists (a daemon of jobssh serves the container
 * already), -ENOTSUP when devdir is not a tmpfs of its own. */
int jobssh_container_mount(const char *devdir, int *ret_fd, jobssh_error_t *err);

/* Detach the tmpfs at <devdir>/jobssh and remove the directory. Missing is
 * not an error. */
int jobssh_container_unmount(const char *devdir, jobssh_error_t *err);

/* Copy the open regular file src (a program opened before joining the
 * container) to dirfd/name with mode. */
int jobssh_container_copy(int src, int dirfd, const char *name, mode_t mode, jobssh_error_t *err);

#endif
