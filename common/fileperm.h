/* fileperm.h -- files holding personal data are private to their owner (0600),
 * whatever the process umask. */
#ifndef OUTREACH_FILEPERM_H
#define OUTREACH_FILEPERM_H

#include <stdbool.h>
#include <stdio.h>

#define FPERM_ERR_MAX 320

/* Makes the SQLite database at path private before SQLite opens it: when
 * it is missing and create is set, creates it empty with mode 0600 (exactly:
 * the umask can neither widen nor narrow it); when it exists with any group
 * or other permission, sets it to 0600 and logs a warning saying so. Its
 * "-wal" and "-shm" companions, when present, are treated the same (SQLite
 * gives new ones the main file's mode). ":memory:", "" and "file:" URIs are
 * left alone. Returns 0; 2 when it created path (a caller that then fails to
 * open it should remove it); 1 when path is missing and create is false; -1
 * with err. */
int fperm_private_db(const char *path, bool create, char err[FPERM_ERR_MAX]);

/* fopen(path, "w"), but the file is 0600 whatever the umask, also when it
 * existed with a wider mode (it is emptied and rewritten). NULL with errno
 * on failure. */
FILE *fperm_fopen_private(const char *path);

#endif
