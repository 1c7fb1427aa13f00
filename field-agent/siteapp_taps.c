/* siteapp_taps.c -- taps in the outbox database, folded into headcounts. */
#include "siteapp_taps.h"

#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "jsonget.h"
#include "report.h"

#define FOLD_MAX 5000 /* a headcount's consultations, at most */
#define FOLD_ROUNDS 10000 /* groups per fold, at most (each folds >= 1 tap) */

static const char taps_sql[] =
    "CREATE TABLE IF NOT EXISTS taps ("
    " id INTEGER PRIMARY KEY, trip_id TEXT NOT NULL, department TEXT NOT NULL,"
    " female INTEGER NOT NULL DEFAULT 0, over_60 INTEGER NOT NULL DEFAULT 0,"
    " poor INTEGER NOT NULL DEFAULT 0, entered_by TEXT, created_at TEXT NOT NULL,"
    " state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'undone', 'folded')),"
    " folded_into TEXT);"
    "CREATE INDEX IF NOT EXISTS taps_state ON taps (state, trip_id, department, id);";

static sqlite3 *db_of(struct outbox *ob) { return (sqlite3 *)outbox_db(ob); }

oerr_t taps_init(struct outbox *ob)
{
    return sqlite3_exec(db_of(ob), taps_sql, NULL, NULL, NULL) == SQLITE_OK ? OERR_OK : OERR_DB;
}

oerr_t taps_add(struct outbox *ob, const struct tap *t, const char *now, long long *id)
{
    if (enum_index(department_names, t->department) < 0 || !t->trip_id)
        return OERR_REJECTED;
    sqlite3 *db = db_of(ob);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "INSERT INTO taps (trip_id, department, female, over_60, poor,"
                               " entered_by, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                           -1, &st, NULL) != SQLITE_OK)
        return OERR_DB;
    sqlite3_bind_text(st, 1, t->trip_id, -1, SQLITE_TRANSIENT);
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
    *id = sqlite3_last_insert_rowid(db);
    return OERR_OK;
}

oerr_t taps_undo(struct outbox *ob, long long id, int *changed)
{
    sqlite3 *db = db_of(ob);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "UPDATE taps SET state = 'undone' WHERE id = ?1 AND"
                               " state = 'open'", -1, &st, NULL) != SQLITE_OK)
        return OERR_DB;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    *changed = sqlite3_changes(db) > 0;
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? OERR_OK : OERR_DB;
}

struct group {
    char trip_id[ID_MAX + 1], department[24], entered_by[ID_MAX + 1];
    long long n, female, over_60, poor, last_id;
    bool one_staff;
};

/* The oldest open tap's trip and department, and up to FOLD_MAX of its open
 * taps. Returns 1 with g filled, 0 when nothing is open, -1 on error. */
static int next_group(sqlite3 *db, struct group *g)
{
    sqlite3_stmt *st = NULL;
    memset(g, 0, sizeof *g);
    if (sqlite3_prepare_v2(db, "SELECT trip_id, department FROM taps WHERE state = 'open'"
                               " ORDER BY id LIMIT 1", -1, &st, NULL) != SQLITE_OK)
        return -1;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        snprintf(g->trip_id, sizeof g->trip_id, "%s", (const char *)sqlite3_column_text(st, 0));
        snprintf(g->department, sizeof g->department, "%s",
                 (const char *)sqlite3_column_text(st, 1));
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW)
        return rc == SQLITE_DONE ? 0 : -1;
    if (sqlite3_prepare_v2(db, "SELECT COUNT(*), SUM(female), SUM(over_60), SUM(poor), MAX(id),"
                               " MIN(COALESCE(entered_by, '')), MAX(COALESCE(entered_by, ''))"
                               " FROM (SELECT * FROM taps WHERE state = 'open' AND"
                               " trip_id = ?1 AND department = ?2 ORDER BY id LIMIT ?3)",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, g->trip_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, g->department, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 3, FOLD_MAX);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        g->n = sqlite3_column_int64(st, 0);
        g->female = sqlite3_column_int64(st, 1);
        g->over_60 = sqlite3_column_int64(st, 2);
        g->poor = sqlite3_column_int64(st, 3);
        g->last_id = sqlite3_column_int64(st, 4);
        const char *lo = (const char *)sqlite3_column_text(st, 5);
        const char *hi = (const char *)sqlite3_column_text(st, 6);
        /* entered_by only when one staff id entered every tap of it. */
        g->one_staff = lo && hi && lo[0] && strcmp(lo, hi) == 0;
        if (g->one_staff)
            snprintf(g->entered_by, sizeof g->entered_by, "%s", lo);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW && g->n > 0 ? 1 : -1;
}

struct fold_check {
    const char *agent_id;
};

static int check_headcount(void *ctx, const char *payload)
{
    struct fold_check *c = ctx;
    struct report r;
    struct jerr err = {{0}};
    enum reject_code code = report_decode(c->agent_id, "headcount", payload, strlen(payload),
                                          &r, &err);
    report_free(&r);
    return code == RJ_NONE ? 0 : -1;
}

static oerr_t mark_folded(sqlite3 *db, const struct group *g, const char *msg_id)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "UPDATE taps SET state = 'folded', folded_into = ?1 WHERE"
                               " state = 'open' AND trip_id = ?2 AND department = ?3 AND"
                               " id <= ?4", -1, &st, NULL) != SQLITE_OK)
        return OERR_DB;
    sqlite3_bind_text(st, 1, msg_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, g->trip_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, g->department, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 4, g->last_id);
    int rc = sqlite3_step(st);
    int n = sqlite3_changes(db);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE && n == g->n ? OERR_OK : OERR_DB;
}

oerr_t taps_fold(struct outbox *ob, const char *agent_id, const char *now, int *reports)
{
    sqlite3 *db = db_of(ob);
    int made = 0;
    if (reports)
        *reports = 0;
    if (outbox_tx_begin(ob))
        return OERR_DB;
    oerr_t e = OERR_OK;
    struct fold_check fc = {agent_id};
    for (int round = 0; round < FOLD_ROUNDS; round++) {
        struct group g;
        int got = next_group(db, &g);
        if (got <= 0) {
            e = got < 0 ? OERR_DB : OERR_OK;
            break;
        }
        cJSON *f = cJSON_CreateObject();
        cJSON_AddStringToObject(f, "department", g.department);
        cJSON_AddNumberToObject(f, "consultations", (double)g.n);
        cJSON_AddNumberToObject(f, "female", (double)g.female);
        cJSON_AddNumberToObject(f, "over_60", (double)g.over_60);
        cJSON_AddNumberToObject(f, "poor_households", (double)g.poor);
        if (g.one_staff)
            cJSON_AddStringToObject(f, "entered_by", g.entered_by);
        struct outbox_entry out = {0};
        e = outbox_push(ob, "headcount", g.trip_id, f, now, check_headcount, &fc, &out);
        cJSON_Delete(f);
        if (!e)
            e = mark_folded(db, &g, out.msg_id);
        outbox_entry_clear(&out);
        if (e)
            break;
        made++;
    }
    if (e) {
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        return e;
    }
    if (outbox_tx_commit(ob))
        return OERR_DB;
    if (reports)
        *reports = made;
    return OERR_OK;
}

static cJSON *dept_obj(cJSON *depts, const char *name)
{
    cJSON *d = cJSON_GetObjectItemCaseSensitive(depts, name);
    if (!d) {
        d = cJSON_AddObjectToObject(depts, name);
        const char *keys[] = {"taps", "waiting", "counted", "rejected"};
        for (int i = 0; i < 4; i++)
            cJSON_AddNumberToObject(d, keys[i], 0);
    }
    return d;
}

static void add_to(cJSON *d, const char *key, long long n)
{
    cJSON *v = cJSON_GetObjectItemCaseSensitive(d, key);
    cJSON_SetNumberValue(v, v->valuedouble + (double)n);
}

oerr_t taps_today(struct outbox *ob, const char *trip_id, cJSON *obj)
{
    sqlite3 *db = db_of(ob);
    sqlite3_stmt *st = NULL;
    cJSON *depts = cJSON_AddObjectToObject(obj, "departments");
    for (int i = 0; department_names[i]; i++)
        dept_obj(depts, department_names[i]);
    /* Reports: what the outbox holds of this trip's headcounts, by state. */
    if (sqlite3_prepare_v2(db,
            "SELECT json_extract(payload, '$.department'), state,"
            " SUM(json_extract(payload, '$.consultations')) FROM outbox"
            " WHERE kind = 'headcount' AND trip_id = ?1 GROUP BY 1, 2", -1, &st, NULL) !=
        SQLITE_OK)
        return OERR_DB;
    sqlite3_bind_text(st, 1, trip_id ? trip_id : "", -1, SQLITE_TRANSIENT);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *dep = (const char *)sqlite3_column_text(st, 0);
        const char *state = (const char *)sqlite3_column_text(st, 1);
        if (!dep || enum_index(department_names, dep) < 0 || !state)
            continue;
        const char *key = strcmp(state, "acked") == 0 ? "counted"
                          : strcmp(state, "rejected") == 0 ? "rejected" : "waiting";
        add_to(dept_obj(depts, dep), key, sqlite3_column_int64(st, 2));
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return OERR_DB;
    if (sqlite3_prepare_v2(db, "SELECT department, COUNT(*) FROM taps WHERE state = 'open'"
                               " AND trip_id = ?1 GROUP BY 1", -1, &st, NULL) != SQLITE_OK)
        return OERR_DB;
    sqlite3_bind_text(st, 1, trip_id ? trip_id : "", -1, SQLITE_TRANSIENT);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *dep = (const char *)sqlite3_column_text(st, 0);
        if (dep && enum_index(department_names, dep) >= 0)
            add_to(dept_obj(depts, dep), "taps", sqlite3_column_int64(st, 1));
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return OERR_DB;
    cJSON *open = cJSON_AddArrayToObject(obj, "open_taps");
    if (sqlite3_prepare_v2(db, "SELECT id, department, female, over_60, poor, entered_by,"
                               " created_at FROM taps WHERE state = 'open' AND trip_id = ?1"
                               " ORDER BY id DESC LIMIT 10", -1, &st, NULL) != SQLITE_OK)
        return OERR_DB;
    sqlite3_bind_text(st, 1, trip_id ? trip_id : "", -1, SQLITE_TRANSIENT);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        cJSON *t = cJSON_CreateObject();
        cJSON_AddNumberToObject(t, "id", (double)sqlite3_column_int64(st, 0));
        cJSON_AddStringToObject(t, "department", (const char *)sqlite3_column_text(st, 1));
        cJSON_AddBoolToObject(t, "female", sqlite3_column_int(st, 2));
        cJSON_AddBoolToObject(t, "over_60", sqlite3_column_int(st, 3));
        cJSON_AddBoolToObject(t, "poor", sqlite3_column_int(st, 4));
        const unsigned char *by = sqlite3_column_text(st, 5);
        if (by)
            cJSON_AddStringToObject(t, "entered_by", (const char *)by);
        cJSON_AddStringToObject(t, "at", (const char *)sqlite3_column_text(st, 6));
        cJSON_AddItemToArray(open, t);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return OERR_DB;
    if (sqlite3_prepare_v2(db, "SELECT (SELECT COUNT(*) FROM outbox WHERE state IN"
                               " ('pending', 'sent')), (SELECT COUNT(*) FROM outbox WHERE"
                               " state = 'rejected'), (SELECT MAX(answered_at) FROM outbox)",
                           -1, &st, NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_finalize(st);
        return OERR_DB;
    }
    cJSON_AddNumberToObject(obj, "waiting", (double)sqlite3_column_int64(st, 0));
    cJSON_AddNumberToObject(obj, "rejected", (double)sqlite3_column_int64(st, 1));
    const unsigned char *last = sqlite3_column_text(st, 2);
    if (last)
        cJSON_AddStringToObject(obj, "last_answer", (const char *)last);
    else
        cJSON_AddNullToObject(obj, "last_answer");
    sqlite3_finalize(st);
    return OERR_OK;
}

oerr_t taps_recent(struct outbox *ob, int limit, cJSON *arr)
{
    static const char *const envelope[] = {"msg_id", "agent_id", "seq", "trip_id",
                                           "recorded_at", NULL};
    static const char *const cols[] = {"kind", "trip_id", "state", "created_at", "code",
                                       "reason"};
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db_of(ob), "SELECT seq, kind, trip_id, state, created_at, code,"
                                      " reason, payload FROM outbox ORDER BY seq DESC LIMIT ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return OERR_DB;
    sqlite3_bind_int(st, 1, limit);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        cJSON *it = cJSON_CreateObject();
        cJSON_AddNumberToObject(it, "seq", (double)sqlite3_column_int64(st, 0));
        for (int i = 0; i < 6; i++) {
            const unsigned char *v = sqlite3_column_text(st, i + 1);
            if (v)
                cJSON_AddStringToObject(it, cols[i], (const char *)v);
        }
        const unsigned char *p = sqlite3_column_text(st, 7);
        cJSON *payload = p ? cJSON_Parse((const char *)p) : NULL;
        cJSON *fields = cJSON_AddObjectToObject(it, "fields");
        const cJSON *f;
        cJSON_ArrayForEach(f, payload)
            if (f->string && enum_index(envelope, f->string) < 0)
                cJSON_AddItemToObject(fields, f->string, cJSON_Duplicate(f, 1));
        cJSON_Delete(payload);
        cJSON_AddItemToArray(arr, it);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? OERR_OK : OERR_DB;
}
