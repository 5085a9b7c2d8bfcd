/* testuser.h - make sure the test user (jstest1, uid/gid 2001) exists
 *
 * Same account as t/cluster/setup-users.sh creates: group and user 2001,
 * home /home/jstest1, shell /bin/bash, password field '*'. Idempotent;
 * root only. Returns true when the user is there as expected, else false
 * with the reason in why.
 */
#ifndef JOBSSH_TESTUSER_H
#define JOBSSH_TESTUSER_H

#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "spawn.h"

#define TESTUSER_NAME "jstest1"
#define TESTUSER_ID   2001

static inline bool testuser_run(char *const argv[], char *why, size_t size)
{
    char *env[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL};
    jobssh_spawn_t o = JOBSSH_SPAWN_INIT;
    jobssh_error_t err = {{0}};
    int status = -1;
    pid_t pid;

    o.path = argv[0];
    o.argv = argv;
    o.envp = env;
    o.stderr_fd = 2;
    if (jobssh_spawn(&o, &pid, &err) < 0 || jobssh_spawn_wait(pid, 30000, &status, &err) < 0) {
        snprintf(why, size, "%s: %s", argv[0], err.text);
        return false;
    }
    if (status != 0) {
        snprintf(why, size, "%s %s", argv[0], jobssh_status_str(status, (char[64]){0}));
        return false;
    }
    return true;
}

/* One attempt: create what is missing, then check. */
static inline bool testuser_try(char *why, size_t size)
{
    struct passwd *pw;
    struct group *gr;

    gr = getgrnam(TESTUSER_NAME);
    if (!gr) {
        if (getgrgid(TESTUSER_ID)) {
            snprintf(why, size, "gid %d is taken by another group", TESTUSER_ID);
            return false;
        }
        testuser_run((char *[]){"/usr/sbin/groupadd", "-g", "2001", TESTUSER_NAME, NULL}, why,
                     size);
        gr = getgrnam(TESTUSER_NAME);
    }
    if (!gr || gr->gr_gid != TESTUSER_ID) {
        if (gr)
            snprintf(why, size, "group %s does not have gid %d", TESTUSER_NAME, TESTUSER_ID);
        return false;
    }
    pw = getpwnam(TESTUSER_NAME);
    if (!pw) {
        if (getpwuid(TESTUSER_ID)) {
            snprintf(why, size, "uid %d is taken by another user", TESTUSER_ID);
            return false;
        }
        testuser_run((char *[]){"/usr/sbin/useradd", "-u", "2001", "-g", "2001", "-d",
                                "/home/" TESTUSER_NAME, "-m", "-s", "/bin/bash", "-p", "*",
                                TESTUSER_NAME, NULL},
                     why, size);
        pw = getpwnam(TESTUSER_NAME);
    }
    if (!pw || pw->pw_uid != TESTUSER_ID || pw->pw_gid != TESTUSER_ID) {
        if (pw)
            snprintf(why, size, "user %s is not uid/gid %d", TESTUSER_NAME, TESTUSER_ID);
        return false;
    }
    return true;
}

/* Several attempts: test programs running in parallel may create the user
 * at the same time (then one useradd fails, or finds the files locked). */
static inline bool testuser_ensure(char *why, size_t size)
{
    snprintf(why, size, "unknown failure");
    for (int i = 0; i < 10; i++) {
        if (testuser_try(why, size))
            return true;
        usleep(200000);
    }
    return false;
}

#endif
