/* unit_outbox.h -- a fresh field-agent outbox in a scratch directory, as a
 * cmocka fixture: cmocka_unit_test_setup_teardown(t, outbox_setup,
 * outbox_teardown), then struct outbox_fixture *f = *state. The code under
 * test reaches the file only through outbox.h; a test looks into the file
 * itself with outbox_fixture_sql. */
#ifndef OUTREACH_UNIT_OUTBOX_H
#define OUTREACH_UNIT_OUTBOX_H

#include <stdlib.h>

#include <sqlite3.h>

#include "outbox.h"
#include "unit_files.h"

#ifndef UNIT_OUTBOX_AGENT
#define UNIT_OUTBOX_AGENT "team-07"
#endif

struct outbox_fixture {
    char dir[64], path[128];
    struct outbox *ob;
};

static inline int outbox_setup(void **state)
{
    struct outbox_fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/outreach-unit-outbox-XXXXXX");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    snprintf(f->path, sizeof f->path, "%s/outbox.db", f->dir);
    char err[256] = "";
    if (outbox_open(f->path, UNIT_OUTBOX_AGENT, &f->ob, err) != OERR_OK) {
        fprintf(stderr, "outbox_open: %s\n", err);
        rm_tree(f->dir);
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static inline int outbox_teardown(void **state)
{
    struct outbox_fixture *f = *state;
    outbox_close(f->ob);
    rm_tree(f->dir);
    free(f);
    return 0;
}

struct outbox_fixture_row {
    long long v;
    int rows;
};

static inline int outbox_fixture_first(void *ctx, int n, char **values, char **names)
{
    (void)names;
    struct outbox_fixture_row *r = ctx;
    if (r->rows++ == 0 && n > 0 && values[0])
        r->v = atoll(values[0]);
    return 0;
}

/* Runs sql on the outbox file through a connection of the test's own (what
 * the outbox committed, as another process sees it): the first column of the
 * first row as a number (0 when there is none), -1 when sql fails. */
static inline long long outbox_fixture_sql(const struct outbox_fixture *f, const char *sql)
{
    sqlite3 *db = NULL;
    struct outbox_fixture_row r = {0, 0};
    char *err = NULL;
    if (sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
        sqlite3_exec(db, sql, outbox_fixture_first, &r, &err) != SQLITE_OK) {
        fprintf(stderr, "%s: %s\n", sql, err ? err : sqlite3_errmsg(db));
        r.v = -1;
    }
    sqlite3_free(err);
    sqlite3_close(db);
    return r.v;
}

#endif
