/* path.h - path handling for code that runs as root on paths users can touch
 *
 * Nothing here follows a symbolic link: paths are walked one component at a
 * time from "/" with openat(O_NOFOLLOW) (or openat2 RESOLVE_NO_SYMLINKS), and
 * later work is done relative to the directory fds obtained that way.
 * Paths must be absolute; "." and ".." components are refused; repeated and
 * trailing '/' are ignored. Error texts name the path and the problem:
 * "/x/keys is group-writable (mode 0775)", "/x/keys/alice is a symlink".
 */
#ifndef JOBSSH_PATH_H
#define JOBSSH_PATH_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"

#define JOBSSH_PATH_ANY_UID            ((uid_t)-1)
#define JOBSSH_PATH_ANY_GID            ((gid_t)-1)
#define JOBSSH_PATH_RMTREE_MAX_DEPTH   64
#define JOBSSH_PATH_RMTREE_MAX_ENTRIES 100000

/* What jobssh_path_check() accepts. All-zero is the strictest policy: every
 * component owned by root, none group/world-writable. */
typedef struct jobssh_path_policy {
    uid_t uid;           /* besides root, the one owner allowed for any component */
    bool allow_sticky;   /* accept group/world-writable dirs with the sticky bit (/tmp) */
    uid_t final_uid;     /* required owner of the last component; JOBSSH_PATH_ANY_UID:
                            root or uid */
    mode_t final_forbid; /* permission bits that must be clear on the last component,
                            e.g. 077 for private keys */
    mode_t final_type;   /* S_IFDIR, S_IFREG, ... required of the last component; 0: any */
} jobssh_path_policy_t;

/* Check every component of the absolute path from "/": none may be a
 * symlink, each must be owned by root or pol->uid, and none may be
 * group- or world-writable unless it is a sticky directory and
 * pol->allow_sticky. The last component must also satisfy final_uid,
 * final_forbid and final_type. Returns 0, or -errno with the reason in err:
 * -ELOOP (symlink), -EPERM (owner or mode), -ENOTDIR, -EINVAL (path or type),
 * open/stat errors (-ENOENT, ...). */
int jobssh_path_check(const char *path, const jobssh_path_policy_t *pol, jobssh_error_t *err);

/* Open the absolute path with flags (O_CLOEXEC and O_NOFOLLOW are added)
 * without following a symlink in any component: openat2(RESOLVE_NO_SYMLINKS)
 * when the kernel has it, else a component-by-component openat() walk.
 * O_CREAT and O_TMPFILE are refused (-EINVAL): create relative to a
 * directory fd opened with this function instead. On success *ret_fd is the
 * new fd (caller closes). -ELOOP when a component is a symlink. */
int jobssh_path_open_nofollow(const char *path, int flags, int *ret_fd, jobssh_error_t *err);

/* Make directory name (one component) in dirfd, or accept an existing one,
 * and verify it: a real directory (not a symlink) owned by uid (and gid,
 * unless JOBSSH_PATH_ANY_GID) with permissions exactly mode. A directory we
 * just created is first made 0700 and then given uid, gid and mode through
 * its fd; an existing one is never changed, only checked (an existing 0700
 * one that does not match yet, maybe being made by another process at the
 * same time, is checked again for up to 2 s). dirfd must be a
 * directory the user cannot write to (check it with jobssh_path_check()).
 * On success *ret_fd (if non-NULL) is an O_DIRECTORY fd of it (caller
 * closes). -EPERM with the reason when an existing directory does not match. */
int jobssh_path_mkdir_at(int dirfd, const char *name, mode_t mode, uid_t uid, gid_t gid,
                         int *ret_fd, jobssh_error_t *err);

/* Remove name in dirfd and, if it is a directory, everything below it,
 * never following a symlink: each directory is opened with
 * O_NOFOLLOW|O_DIRECTORY relative to its parent's fd, and entries are
 * removed with unlinkat() relative to that fd, so renaming components or
 * planting symlinks while it runs cannot redirect it outside the tree.
 * Does not descend into other file systems (-EXDEV), nor deeper than
 * JOBSSH_PATH_RMTREE_MAX_DEPTH (-ELOOP) or past
 * JOBSSH_PATH_RMTREE_MAX_ENTRIES entries (-E2BIG). A missing name is success. */
int jobssh_path_rmtree_at(int dirfd, const char *name, jobssh_error_t *err);

/* Is there room on the file system that holds path, or, when path does not
 * exist (yet), its nearest existing parent? 0 when there is, or when the
 * file system keeps no counts (/proc); -ENOSPC with "DIR is on a full file
 * system (no free blocks)" (or "no free inodes") in err when an unprivileged
 * process could create nothing there: the reason to name when a file that
 * should be in path is missing. Other -errno when statvfs fails. */
int jobssh_path_check_space(const char *path, jobssh_error_t *err);

#endif
