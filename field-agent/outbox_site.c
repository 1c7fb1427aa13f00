/* outbox_site.c -- the site app's tables and reads in the outbox database (outbox_site.h). */
#include "outbox_site.h"

#include <stdio.h>
#include <string.h>

#include "outbox_priv.h"

static const char site_sql[] =
    "CREATE TABLE IF NOT EXISTS taps ("
    " id INTEGER PRIMARY KEY, trip_id TEXT NOT NULL, department TEXT NOT NULL,"
    " female INTEGER NOT NULL DEFAULT 0, over_60 INTEGER NOT NULL DEFAULT 0,"
    " poor INTEGER NOT NULL DEFAULT 0, entered_by TEXT, created_at TEXT NOT NULL,"
    " state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'undone', 'folded')),"
    " folded_into TEXT);"
    "CREATE INDEX IF NOT EXISTS taps_state ON taps (state, trip_id, department, id);"
    /* A refused entry sent again from the site app: once each. */
    "CREATE TABLE IF NOT EXISTS corrections (refused_seq INTEGER PRIMARY KEY,"
    " new_seq INTEGER NOT NULL, created_at TEXT NOT NULL);";

/* An outbox row o that a void the coordinator has not refused cancels. */
#define VOIDED_SQL "EXISTS (SELECT 1 FROM outbox v WHERE v.kind = 'void' AND" \
    " json_extract(v.payload, '$.voids') = +o.msg_id AND v.state <> 'rejected')"

/* sql prepared; NULL when it cannot be. */
static sqlite3_stmt *prepare(struct outbox *ob, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(ob->db, sql, -1, &st, NULL) != SQLITE_OK) {
        sqlite3_finalize(st);
        return NULL;
    }
    return st;
}

/* sql prepared with ?1, when it has one, bound to trip_id ("" for none); NULL
 * when it cannot be prepared. */
static sqlite3_stmt *prepare_trip(struct outbox *ob, const char *sql, const char *trip_id)
{
    sqlite3_stmt *st = prepare(ob, sql);
    if (st && sqlite3_bind_parameter_count(st) > 0)
        sqlite3_bind_text(st, 1, trip_id ? trip_id : "", -1, SQLITE_TRANSIENT);
    return st;
}

/* The newest rows of a trip: prepare_trip with ?2 bound to limit. */
static sqlite3_stmt *prepare_trip_limit(struct outbox *ob, const char *sql, const char *trip_id,
                                        int limit)
{
    sqlite3_stmt *st = prepare_trip(ob, sql, trip_id);
    if (st)
        sqlite3_bind_int(st, 2, limit);
    return st;
}

/* Finalizes st after its last step returned rc: OERR_OK when that was the end. */
static oerr_t finish(sqlite3_stmt *st, int rc)
{
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? OERR_OK : OERR_DB;
}

/* The first column of sql's one row, ?1 bound to trip_id when sql has it. */
static oerr_t one_count(struct outbox *ob, const char *sql, const char *trip_id,
                        long long *n)
{
    *n = 0;
    sqlite3_stmt *st = prepare_trip(ob, sql, trip_id);
    if (!st)
        return OERR_DB;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? OERR_OK : OERR_DB;
}

oerr_t outbox_site_init(struct outbox *ob)
{
    return ob_exec(ob->db, site_sql) ? OERR_DB : OERR_OK;
}

/* ---- taps ---- */

oerr_t outbox_tap_add(struct outbox *ob, const struct tap *t, const char *now, long long *id)
{
    sqlite3_stmt *st = prepare_trip(ob, "INSERT INTO taps (trip_id, department, female,"
                                        " over_60, poor, entered_by, created_at)"
                                        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", t->trip_id);
    if (!st)
        return OERR_DB;
    sqlite3_bind_text(st, 2, t->department, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 3, t->female);
    sqlite3_bind_int(st, 4, t->over_60);
    sqlite3_bind_int(st, 5, t->poor);
    if (t->entered_by)
        sqlite3_bind_text(st, 6, t->entered_by, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 7, now, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return OERR_DB;
    *id = sqlite3_last_insert_rowid(ob->db);
    return OERR_OK;
}

oerr_t outbox_tap_undo(struct outbox *ob, long long id, int *changed)
{
    sqlite3_stmt *st = prepare(ob, "UPDATE taps SET state = 'undone' WHERE id = ?1 AND"
                                   " state = 'open'");
    if (!st)
        return OERR_DB;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    *changed = sqlite3_changes(ob->db) > 0;
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? OERR_OK : OERR_DB;
}

int outbox_taps_next_group(struct outbox *ob, long long max, struct tap_group *g)
{
    memset(g, 0, sizeof *g);
    sqlite3_stmt *st = prepare(ob, "SELECT trip_id, department FROM taps WHERE"
                                   " state = 'open' ORDER BY id LIMIT 1");
    if (!st)
        return -1;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        ob_copy_col(g->trip_id, sizeof g->trip_id, st, 0);
        ob_copy_col(g->department, sizeof g->department, st, 1);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW)
        return rc == SQLITE_DONE ? 0 : -1;
    st = prepare_trip(ob, "SELECT COUNT(*), SUM(female), SUM(over_60), SUM(poor), MAX(id),"
                          " MIN(COALESCE(entered_by, '')), MAX(COALESCE(entered_by, ''))"
                          " FROM (SELECT * FROM taps WHERE state = 'open' AND"
                          " trip_id = ?1 AND department = ?2 ORDER BY id LIMIT ?3)",
                      g->trip_id);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 2, g->department, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, max);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        g->n = sqlite3_column_int64(st, 0);
        g->female = sqlite3_column_int64(st, 1);
        g->over_60 = sqlite3_column_int64(st, 2);
        g->poor = sqlite3_column_int64(st, 3);
        g->last_id = sqlite3_column_int64(st, 4);
        const char *lo = (const char *)sqlite3_column_text(st, 5);
        const char *hi = (const char *)sqlite3_column_text(st, 6);
        g->one_staff = lo && hi && lo[0] && strcmp(lo, hi) == 0;
        if (g->one_staff)
            snprintf(g->entered_by, sizeof g->entered_by, "%s", lo);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW && g->n > 0 ? 1 : -1;
}

oerr_t outbox_taps_mark_folded(struct outbox *ob, const struct tap_group *g,
                               const char *msg_id)
{
    sqlite3_stmt *st = prepare_trip(ob, "UPDATE taps SET state = 'folded', folded_into = ?2"
                                        " WHERE state = 'open' AND trip_id = ?1 AND"
                                        " department = ?3 AND id <= ?4", g->trip_id);
    if (!st)
        return OERR_DB;
    sqlite3_bind_text(st, 2, msg_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, g->department, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 4, g->last_id);
    int rc = sqlite3_step(st);
    int n = sqlite3_changes(ob->db);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE && n == g->n ? OERR_OK : OERR_DB;
}

oerr_t outbox_open_taps_by_department(struct outbox *ob, const char *trip_id,
                                      void (*fn)(void *ctx, const char *department,
                                                 long long n),
                                      void *ctx)
{
    sqlite3_stmt *st = prepare_trip(ob, "SELECT department, COUNT(*) FROM taps WHERE"
                                        " state = 'open' AND trip_id = ?1 GROUP BY 1", trip_id);
    if (!st)
        return OERR_DB;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        fn(ctx, (const char *)sqlite3_column_text(st, 0), sqlite3_column_int64(st, 1));
    return finish(st, rc);
}

oerr_t outbox_open_tap_count(struct outbox *ob, const char *trip_id, long long *n)
{
    return one_count(ob, "SELECT COUNT(*) FROM taps WHERE state = 'open' AND trip_id = ?1",
                     trip_id, n);
}

oerr_t outbox_tap_last_id(struct outbox *ob, long long *id)
{
    return one_count(ob, "SELECT COALESCE(MAX(id), 0) FROM taps", NULL, id);
}

oerr_t outbox_open_taps_newest(struct outbox *ob, const char *trip_id, int limit,
                               void (*fn)(void *ctx, const struct tap_row *t), void *ctx)
{
    sqlite3_stmt *st = prepare_trip_limit(ob, "SELECT id, department, female, over_60, poor,"
                                              " entered_by, created_at FROM taps WHERE"
                                              " state = 'open' AND trip_id = ?1"
                                              " ORDER BY id DESC LIMIT ?2", trip_id, limit);
    if (!st)
        return OERR_DB;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct tap_row t = {
            .id = sqlite3_column_int64(st, 0),
            .department = (const char *)sqlite3_column_text(st, 1),
            .female = sqlite3_column_int(st, 2),
            .over_60 = sqlite3_column_int(st, 3),
            .poor = sqlite3_column_int(st, 4),
            .entered_by = (const char *)sqlite3_column_text(st, 5),
            .created_at = (const char *)sqlite3_column_text(st, 6),
        };
        fn(ctx, &t);
    }
    return finish(st, rc);
}

/* ---- what the outbox holds of a trip ---- */

oerr_t outbox_trip_headcounts(struct outbox *ob, const char *trip_id,
                              void (*fn)(void *ctx, const char *department, const char *state,
                                         long long consultations),
                              void *ctx)
{
    sqlite3_stmt *st = prepare_trip(ob,
        "SELECT json_extract(payload, '$.department'), state,"
        " SUM(json_extract(payload, '$.consultations')) FROM outbox o"
        " WHERE kind = 'headcount' AND trip_id = ?1 AND NOT " VOIDED_SQL
        " GROUP BY 1, 2", trip_id);
    if (!st)
        return OERR_DB;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        fn(ctx, ob_col_text(st, 0), (const char *)sqlite3_column_text(st, 1),
           sqlite3_column_int64(st, 2));
    return finish(st, rc);
}

oerr_t outbox_trip_totals(struct outbox *ob, const char *trip_id, long long all[TT_COUNT],
                          long long unanswered[TT_COUNT])
{
    memset(all, 0, TT_COUNT * sizeof all[0]);
    memset(unanswered, 0, TT_COUNT * sizeof unanswered[0]);
    /* Rows: not yet answered (1) or accepted (0), columns in enum trip_total's order. */
    sqlite3_stmt *st = prepare_trip(ob,
        "SELECT state IN ('pending', 'sent'),"
        " TOTAL(CASE WHEN kind = 'headcount' THEN json_extract(payload, '$.consultations') END),"
        " TOTAL(CASE WHEN kind = 'dispense' THEN json_extract(payload, '$.value_fen') END),"
        " SUM(kind = 'referral'),"
        " TOTAL(CASE WHEN kind = 'education' THEN json_extract(payload, '$.brochures') END),"
        " TOTAL(CASE WHEN kind = 'education' THEN json_extract(payload, '$.attendees') END),"
        " TOTAL(CASE WHEN kind = 'education' THEN json_extract(payload, '$.talks') END),"
        " COUNT(DISTINCT CASE WHEN kind = 'checkin' THEN json_extract(payload, '$.staff_id') END),"
        " COUNT(*) FROM outbox o WHERE trip_id = ?1 AND kind <> 'void' AND state <> 'rejected'"
        " AND NOT " VOIDED_SQL " GROUP BY 1", trip_id);
    if (!st)
        return OERR_DB;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        bool waiting = sqlite3_column_int(st, 0);
        for (int k = 0; k < TT_COUNT; k++) {
            long long v = (long long)sqlite3_column_double(st, k + 1);
            all[k] += v;
            if (waiting)
                unanswered[k] += v;
        }
    }
    if (finish(st, rc))
        return OERR_DB;
    /* Staff: distinct over every row (one staff id checked in twice counts once). */
    return one_count(ob, "SELECT COUNT(DISTINCT json_extract(payload, '$.staff_id')) FROM"
                         " outbox o WHERE trip_id = ?1 AND kind = 'checkin' AND"
                         " state <> 'rejected' AND NOT " VOIDED_SQL,
                     trip_id, &all[TT_STAFF]);
}

oerr_t outbox_answers(struct outbox *ob, struct outbox_answers *a)
{
    memset(a, 0, sizeof *a);
    sqlite3_stmt *st = prepare(ob, "SELECT (SELECT COUNT(*) FROM outbox WHERE state IN"
                                   " ('pending', 'sent')), (SELECT COUNT(*) FROM outbox"
                                   " WHERE state = 'rejected'),"
                                   " (SELECT MAX(answered_at) FROM outbox)");
    if (!st)
        return OERR_DB;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        a->waiting = sqlite3_column_int64(st, 0);
        a->rejected = sqlite3_column_int64(st, 1);
        ob_copy_col(a->last_answer, sizeof a->last_answer, st, 2);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? OERR_OK : OERR_DB;
}

/* ---- refused headcounts sent again ---- */

long long outbox_corrected_by(struct outbox *ob, long long refused_seq)
{
    sqlite3_stmt *st = prepare(ob, "SELECT new_seq FROM corrections WHERE refused_seq = ?1");
    long long v = 0;
    if (st) {
        sqlite3_bind_int64(st, 1, refused_seq);
        if (sqlite3_step(st) == SQLITE_ROW)
            v = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    return v;
}

oerr_t outbox_correction_add(struct outbox *ob, long long refused_seq, long long new_seq,
                             const char *now)
{
    sqlite3_stmt *st = prepare(ob, "INSERT INTO corrections (refused_seq, new_seq, created_at)"
                                   " VALUES (?1, ?2, ?3)");
    if (!st)
        return OERR_DB;
    sqlite3_bind_int64(st, 1, refused_seq);
    sqlite3_bind_int64(st, 2, new_seq);
    sqlite3_bind_text(st, 3, now, -1, SQLITE_TRANSIENT);
    return finish(st, sqlite3_step(st));
}

/* ---- what the forms suggest ---- */

oerr_t outbox_trip_medicines(struct outbox *ob, const char *trip_id, int limit,
                             void (*fn)(void *ctx, const char *medicine), void *ctx)
{
    sqlite3_stmt *st = prepare_trip_limit(ob, "SELECT json_extract(payload, '$.medicine')"
                                              " AS m, MAX(seq) FROM outbox WHERE"
                                              " kind = 'dispense' AND trip_id = ?1 AND"
                                              " state <> 'rejected' AND json_valid(payload)"
                                              " GROUP BY m ORDER BY MAX(seq) DESC LIMIT ?2",
                                          trip_id, limit);
    if (!st)
        return OERR_DB;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        fn(ctx, ob_col_text(st, 0));
    return finish(st, rc);
}

oerr_t outbox_checkins(struct outbox *ob, int limit,
                       void (*fn)(void *ctx, const char *staff_id, const char *role,
                                  const char *organization),
                       void *ctx)
{
    /* The values of the newest check-in of each staff id (SQLite takes the
     * bare columns from the row of MAX). */
    sqlite3_stmt *st = prepare(ob, "SELECT json_extract(payload, '$.staff_id') AS s,"
                                   " json_extract(payload, '$.role'),"
                                   " json_extract(payload, '$.organization'), MAX(seq)"
                                   " FROM outbox WHERE kind = 'checkin' AND"
                                   " state <> 'rejected' AND json_valid(payload)"
                                   " GROUP BY s ORDER BY MAX(seq) DESC LIMIT ?1");
    if (!st)
        return OERR_DB;
    sqlite3_bind_int(st, 1, limit);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        fn(ctx, ob_col_text(st, 0), ob_col_text(st, 1), ob_col_text(st, 2));
    return finish(st, rc);
}
