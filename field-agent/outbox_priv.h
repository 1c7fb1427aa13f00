/* outbox_priv.h -- shared by the outbox's SQLite files (outbox.c, outbox_site.c)
 * and nothing else: the connection and the small helpers they both use. */
#ifndef OUTREACH_OUTBOX_PRIV_H
#define OUTREACH_OUTBOX_PRIV_H

#include <stddef.h>

#include <sqlite3.h>

#include "outbox.h"

struct outbox {
    sqlite3 *db;
    char agent_id[ID_MAX + 1];
};

/* Runs sql (no parameters); 0 or -1. */
int ob_exec(sqlite3 *db, const char *sql);
/* Column col as text into dst[n] ("" when NULL). */
void ob_copy_col(char *dst, size_t n, sqlite3_stmt *st, int col);
/* Column col when it holds text, else NULL. */
const char *ob_col_text(sqlite3_stmt *st, int col);

#endif
