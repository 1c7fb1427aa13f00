/* fileperm.c -- files holding personal data are private to their owner (0600). */
#include "fileperm.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "olog.h"

#define PRIVATE_MODE 0600

/* Tightens one existing file; 0 when it is missing or already private. */
static int tighten(const char *path, char err[FPERM_ERR_MAX])
{
    struct stat st;
    if (stat(path, &st) != 0) {
        if (errno == ENOENT)
            return 0;
        snprintf(err, FPERM_ERR_MAX, "cannot stat %.200s: %s", path, strerror(errno));
        return -1;
    }
    unsigned mode = (unsigned)st.st_mode & 07777;
    unsigned want = (mode & 0700) | PRIVATE_MODE;
    if (!S_ISREG(st.st_mode) || (mode & 077) == 0)
        return 0;
    if (chmod(path, want) == 0) {
        olog(OLOG_WARN, "%s was readable by others (mode %04o); made it private (%04o): it "
             "holds personal data", path, mode, want);
        return 0;
    }
    if (errno == EPERM) {
        /* Someone else's file (read by another account): its owner's
         * next open tightens it. */
        olog(OLOG_WARN, "%s is readable by others (mode %04o) and not ours to change; its "
             "owner should chmod 600 it: it holds personal data", path, mode);
        return 0;
    }
    snprintf(err, FPERM_ERR_MAX, "%.200s is readable by others (mode %04o) and cannot be "
             "made private: %s; chmod 600 it", path, mode, strerror(errno));
    return -1;
}

int fperm_private_db(const char *path, bool create, char err[FPERM_ERR_MAX])
{
    if (!path || !*path || strcmp(path, ":memory:") == 0 || strncmp(path, "file:", 5) == 0)
        return 0;
    struct stat st;
    if (!create && stat(path, &st) != 0 && errno == ENOENT)
        return 1;
    bool created = false;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, PRIVATE_MODE);
    if (fd >= 0) {
        /* The umask may have taken away our own write bit too: set it exactly. */
        int rc = fchmod(fd, PRIVATE_MODE);
        int e = errno;
        close(fd);
        if (rc != 0) {
            snprintf(err, FPERM_ERR_MAX, "cannot set mode 0600 on %.200s: %s", path,
                     strerror(e));
            return -1;
        }
        created = true;
    } else if (errno != EEXIST) {
        snprintf(err, FPERM_ERR_MAX, "cannot create %.200s: %s", path, strerror(errno));
        return -1;
    } else if (tighten(path, err)) {
        return -1;
    }
    static const char *const companions[] = {"-wal", "-shm"};
    for (size_t i = 0; i < sizeof companions / sizeof companions[0]; i++) {
        char side[4096];
        if ((size_t)snprintf(side, sizeof side, "%s%s", path, companions[i]) >= sizeof side)
            continue; /* SQLite could not open so long a path either */
        if (tighten(side, err))
            return -1;
    }
    return created ? 2 : 0;
}

FILE *fperm_fopen_private(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, PRIVATE_MODE);
    if (fd < 0)
        return NULL;
    /* O_CREAT's mode counts only for a new file: an older export left
     * readable by others is made private before it is written again. */
    struct stat st;
    if (fstat(fd, &st) != 0 ||
        (S_ISREG(st.st_mode) && (st.st_mode & 07777) != PRIVATE_MODE &&
         fchmod(fd, PRIVATE_MODE) != 0)) {
        int e = errno;
        close(fd);
        errno = e;
        return NULL;
    }
    FILE *f = fdopen(fd, "w");
    if (!f) {
        int e = errno;
        close(fd);
        errno = e;
    }
    return f;
}
