/* outbox.c -- every report is on disk with its seq and msg_id before it is sent. */
#include "outbox.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arr.h"
#include "fileperm.h"
#include "outbox_priv.h"
#include "report.h"

static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS outbox ("
    " seq INTEGER PRIMARY KEY, msg_id TEXT NOT NULL UNIQUE, kind TEXT NOT NULL,"
    " trip_id TEXT NOT NULL, payload TEXT NOT NULL,"
    " state TEXT NOT NULL DEFAULT 'pending'"
    "  CHECK (state IN ('pending', 'sent', 'acked', 'rejected')),"
    " created_at TEXT NOT NULL, sent_at TEXT, answered_at TEXT,"
    " attempts INTEGER NOT NULL DEFAULT 0, ack_status TEXT, code TEXT, reason TEXT);"
    "CREATE INDEX IF NOT EXISTS outbox_state ON outbox (state, seq);"
    /* Which entry a void cancels: found by its target without a scan. */
    "CREATE INDEX IF NOT EXISTS outbox_voids ON outbox (json_extract(payload, '$.voids'))"
    " WHERE kind = 'void';"
    /* The trip cards this device has heard (retained on ROOT/trips/+): made
     * on open, so an outbox from before them gets the table too. */
    "CREATE TABLE IF NOT EXISTS trips ("
    " trip_id TEXT PRIMARY KEY, title TEXT NOT NULL, date TEXT NOT NULL,"
    " end_date TEXT NOT NULL DEFAULT '', status TEXT NOT NULL, site_code TEXT NOT NULL,"
    " site_name TEXT NOT NULL, county TEXT NOT NULL, county_name TEXT NOT NULL,"
    " departments TEXT NOT NULL, updated_at TEXT NOT NULL DEFAULT '',"
    " received_at TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS trips_date ON trips (date);";

int ob_exec(sqlite3 *db, const char *sql)
{
    return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

oerr_t outbox_open(const char *path, const char *agent_id, struct outbox **out,
                   char err[256])
{
    *out = NULL;
    err[0] = '\0';
    struct outbox *ob = calloc(1, sizeof *ob);
    sqlite3_stmt *st = NULL;
    oerr_t rc = OERR_DB;
    if (!ob)
        return OERR_NOMEM;
    snprintf(ob->agent_id, sizeof ob->agent_id, "%s", agent_id);
    /* Patients' references and the team's work: owner only. */
    char perr[FPERM_ERR_MAX];
    if (fperm_private_db(path, true, perr) < 0) {
        snprintf(err, 256, "outbox: %.240s", perr);
        goto fail;
    }
    if (sqlite3_open_v2(path, &ob->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        snprintf(err, 256, "cannot open outbox %.120s: %.100s", path, sqlite3_errmsg(ob->db));
        goto fail;
    }
    sqlite3_busy_timeout(ob->db, 10000);
    /* FULL: a report the user was told is saved survives a power cut. */
    if (ob_exec(ob->db, "PRAGMA journal_mode = WAL") ||
        ob_exec(ob->db, "PRAGMA synchronous = FULL") || ob_exec(ob->db, schema_sql)) {
        snprintf(err, 256, "cannot prepare outbox %.120s: %.100s", path, sqlite3_errmsg(ob->db));
        goto fail;
    }
    /* The outbox belongs to one agent: its seqs mean nothing for another. */
    if (sqlite3_prepare_v2(ob->db, "INSERT OR IGNORE INTO meta (key, value) VALUES ('agent_id', ?1)",
                           -1, &st, NULL) != SQLITE_OK)
        goto fail;
    sqlite3_bind_text(st, 1, agent_id, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_DONE)
        goto fail;
    sqlite3_finalize(st);
    st = NULL;
    if (sqlite3_prepare_v2(ob->db, "SELECT value FROM meta WHERE key = 'agent_id'", -1, &st,
                           NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW)
        goto fail;
    const char *owner = (const char *)sqlite3_column_text(st, 0);
    if (strcmp(owner, agent_id) != 0) {
        snprintf(err, 256, "outbox %.90s belongs to agent %.64s, not %.64s", path, owner,
                 agent_id);
        rc = OERR_CONFIG;
        goto fail;
    }
    sqlite3_finalize(st);
    *out = ob;
    return OERR_OK;
fail:
    if (rc == OERR_DB && ob->db && !err[0])
        snprintf(err, 256, "outbox %.120s: %.100s", path, sqlite3_errmsg(ob->db));
    sqlite3_finalize(st);
    outbox_close(ob);
    return rc;
}

void outbox_close(struct outbox *ob)
{
    if (!ob)
        return;
    sqlite3_close(ob->db);
    free(ob);
}

void ob_copy_col(char *dst, size_t n, sqlite3_stmt *st, int col)
{
    const unsigned char *v = sqlite3_column_text(st, col);
    snprintf(dst, n, "%s", v ? (const char *)v : "");
}

const char *ob_col_text(sqlite3_stmt *st, int col)
{
    return sqlite3_column_type(st, col) == SQLITE_TEXT
               ? (const char *)sqlite3_column_text(st, col) : NULL;
}

#define ENTRY_COLS "seq, msg_id, kind, trip_id, state, ack_status, code, reason," \
                   " created_at, attempts, payload"
/* For lists a person reads: the live void of each entry, the target of each
 * void (both through indexes: the unary + drops msg_id's TEXT affinity, which
 * would otherwise keep SQLite from searching the outbox_voids index). */
#define ENTRY_COLS_LINKED ENTRY_COLS ", (SELECT v.seq FROM outbox v WHERE v.kind = 'void'" \
    " AND json_extract(v.payload, '$.voids') = +outbox.msg_id AND v.state <> 'rejected'" \
    " ORDER BY v.seq LIMIT 1), CASE WHEN outbox.kind = 'void' THEN (SELECT t.seq FROM" \
    " outbox t WHERE t.msg_id = json_extract(outbox.payload, '$.voids')) END"

static int read_entry(sqlite3_stmt *st, struct outbox_entry *e)
{
    memset(e, 0, sizeof *e);
    e->seq = sqlite3_column_int64(st, 0);
    ob_copy_col(e->msg_id, sizeof e->msg_id, st, 1);
    ob_copy_col(e->kind, sizeof e->kind, st, 2);
    ob_copy_col(e->trip_id, sizeof e->trip_id, st, 3);
    ob_copy_col(e->state, sizeof e->state, st, 4);
    ob_copy_col(e->ack_status, sizeof e->ack_status, st, 5);
    ob_copy_col(e->code, sizeof e->code, st, 6);
    ob_copy_col(e->reason, sizeof e->reason, st, 7);
    ob_copy_col(e->created_at, sizeof e->created_at, st, 8);
    e->attempts = sqlite3_column_int(st, 9);
    if (sqlite3_column_count(st) > 12) {
        e->voided_by = sqlite3_column_int64(st, 11);
        e->voids_seq = sqlite3_column_int64(st, 12);
    }
    e->payload = strdup((const char *)sqlite3_column_text(st, 10));
    return e->payload ? 0 : -1;
}

oerr_t outbox_push(struct outbox *ob, const char *kind, const char *trip_id,
                   const cJSON *fields, const char *recorded_at,
                   int (*payload_check)(void *ctx, const char *payload), void *ctx,
                   struct outbox_entry *out)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = NULL;
    cJSON *msg = NULL;
    char *payload = NULL;
    oerr_t rc = OERR_DB;
    /* IMMEDIATE: two processes adding at once still get distinct seqs. Inside
     * a caller's transaction (outbox_tx_begin), a savepoint joins it. */
    bool outer = !sqlite3_get_autocommit(ob->db);
    if (ob_exec(ob->db, outer ? "SAVEPOINT push" : "BEGIN IMMEDIATE"))
        return OERR_DB;
    long long seq = 1;
    if (sqlite3_prepare_v2(ob->db, "SELECT COALESCE(MAX(seq), 0) + 1 FROM outbox", -1, &st,
                           NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW)
        goto fail;
    seq = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    st = NULL;

    char msg_id[UUID_LEN + 1];
    if (id_new_msg_id(msg_id)) {
        rc = OERR_IO;
        goto fail;
    }
    msg = cJSON_CreateObject();
    cJSON_AddStringToObject(msg, "msg_id", msg_id);
    cJSON_AddStringToObject(msg, "agent_id", ob->agent_id);
    /* Raw digits: cJSON prints doubles with 15 significant digits. */
    char seq_text[24];
    snprintf(seq_text, sizeof seq_text, "%lld", seq);
    cJSON_AddRawToObject(msg, "seq", seq_text);
    cJSON_AddStringToObject(msg, "trip_id", trip_id);
    cJSON_AddStringToObject(msg, "recorded_at", recorded_at);
    const cJSON *f;
    cJSON_ArrayForEach(f, fields)
        cJSON_AddItemToObject(msg, f->string, cJSON_Duplicate(f, 1));
    payload = cJSON_PrintUnformatted(msg);
    if (!payload) {
        rc = OERR_NOMEM;
        goto fail;
    }
    if (payload_check && payload_check(ctx, payload)) {
        rc = OERR_REJECTED;
        goto fail;
    }
    if (sqlite3_prepare_v2(ob->db,
            "INSERT INTO outbox (seq, msg_id, kind, trip_id, payload, created_at)"
            " VALUES (?1, ?2, ?3, ?4, ?5, ?6)", -1, &st, NULL) != SQLITE_OK)
        goto fail;
    sqlite3_bind_int64(st, 1, seq);
    sqlite3_bind_text(st, 2, msg_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, kind, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, trip_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, payload, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 6, recorded_at, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_DONE || ob_exec(ob->db, outer ? "RELEASE push" : "COMMIT"))
        goto fail;
    sqlite3_finalize(st);
    out->seq = seq;
    snprintf(out->msg_id, sizeof out->msg_id, "%s", msg_id);
    snprintf(out->kind, sizeof out->kind, "%s", kind);
    snprintf(out->trip_id, sizeof out->trip_id, "%s", trip_id);
    snprintf(out->state, sizeof out->state, "pending");
    snprintf(out->created_at, sizeof out->created_at, "%s", recorded_at);
    out->payload = payload;
    cJSON_Delete(msg);
    return OERR_OK;
fail:
    sqlite3_finalize(st);
    ob_exec(ob->db, outer ? "ROLLBACK TO push; RELEASE push" : "ROLLBACK");
    cJSON_Delete(msg);
    free(payload);
    return rc;
}

static oerr_t select_entries(struct outbox *ob, const char *sql, const char *state,
                             size_t limit, struct outbox_entry **list, size_t *n)
{
    *list = NULL;
    *n = 0;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(ob->db, sql, -1, &st, NULL) != SQLITE_OK)
        return OERR_DB;
    if (state)
        sqlite3_bind_text(st, 1, state, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)limit);
    size_t cap = 0;
    int rc;
    oerr_t e = OERR_OK;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (ARR_RESERVE(*list, cap, *n + 1)) {
            e = OERR_NOMEM;
            break;
        }
        if (read_entry(st, &(*list)[*n])) {
            e = OERR_NOMEM;
            break;
        }
        (*n)++;
    }
    if (!e && rc != SQLITE_DONE)
        e = OERR_DB;
    sqlite3_finalize(st);
    if (e) {
        outbox_entries_free(*list, *n);
        *list = NULL;
        *n = 0;
    }
    return e;
}

oerr_t outbox_unanswered(struct outbox *ob, size_t limit, struct outbox_entry **list,
                         size_t *n)
{
    return select_entries(ob, "SELECT " ENTRY_COLS " FROM outbox WHERE state IN"
                              " ('pending', 'sent') AND ?1 IS NULL ORDER BY seq LIMIT ?2",
                          NULL, limit, list, n);
}

oerr_t outbox_list(struct outbox *ob, const char *state, size_t limit,
                   struct outbox_entry **list, size_t *n)
{
    return select_entries(ob, "SELECT " ENTRY_COLS_LINKED " FROM outbox WHERE (?1 IS NULL"
                              " OR state = ?1) ORDER BY seq LIMIT ?2",
                          state, limit, list, n);
}

oerr_t outbox_list_recent(struct outbox *ob, size_t limit, struct outbox_entry **list,
                          size_t *n)
{
    oerr_t e = select_entries(ob, "SELECT * FROM (SELECT " ENTRY_COLS_LINKED " FROM outbox"
                                  " WHERE ?1 IS NULL ORDER BY seq DESC LIMIT ?2) ORDER BY seq",
                              NULL, limit, list, n);
    return e;
}

void outbox_entry_clear(struct outbox_entry *e)
{
    if (e) {
        free(e->payload);
        e->payload = NULL;
    }
}

void outbox_entries_free(struct outbox_entry *list, size_t n)
{
    for (size_t i = 0; list && i < n; i++)
        free(list[i].payload);
    free(list);
}

static oerr_t update(struct outbox *ob, const char *sql, const char *a, const char *b,
                     const char *c, const char *d, int *changed)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(ob->db, sql, -1, &st, NULL) != SQLITE_OK)
        return OERR_DB;
    const char *v[] = {a, b, c, d};
    for (int i = 0; i < 4; i++)
        if (v[i])
            sqlite3_bind_text(st, i + 1, v[i], -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (changed)
        *changed = sqlite3_changes(ob->db) > 0;
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? OERR_OK : OERR_DB;
}

oerr_t outbox_mark_sent(struct outbox *ob, const char *msg_id, const char *now)
{
    return update(ob, "UPDATE outbox SET state = 'sent', sent_at = ?2,"
                      " attempts = attempts + 1 WHERE msg_id = ?1"
                      " AND state IN ('pending', 'sent')", msg_id, now, NULL, NULL, NULL);
}

oerr_t outbox_mark_acked(struct outbox *ob, const char *msg_id, const char *status,
                         const char *now, int *changed)
{
    return update(ob, "UPDATE outbox SET state = 'acked', ack_status = ?2, answered_at = ?3"
                      " WHERE msg_id = ?1 AND state IN ('pending', 'sent')",
                  msg_id, status, now, NULL, changed);
}

oerr_t outbox_mark_rejected(struct outbox *ob, const char *msg_id, const char *code,
                            const char *reason, const char *now, int *changed)
{
    return update(ob, "UPDATE outbox SET state = 'rejected', code = ?2, reason = ?3,"
                      " answered_at = ?4 WHERE msg_id = ?1 AND state IN ('pending', 'sent')",
                  msg_id, code, reason, now, changed);
}

oerr_t outbox_counts(struct outbox *ob, struct outbox_counts *c)
{
    memset(c, 0, sizeof *c);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(ob->db,
            "SELECT COUNT(CASE WHEN state = 'pending' THEN 1 END),"
            " COUNT(CASE WHEN state = 'sent' THEN 1 END),"
            " COUNT(CASE WHEN state = 'acked' THEN 1 END),"
            " COUNT(CASE WHEN state = 'rejected' THEN 1 END), COALESCE(MAX(seq), 0)"
            " FROM outbox", -1, &st, NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_finalize(st);
        return OERR_DB;
    }
    c->pending = sqlite3_column_int64(st, 0);
    c->sent = sqlite3_column_int64(st, 1);
    c->acked = sqlite3_column_int64(st, 2);
    c->rejected = sqlite3_column_int64(st, 3);
    c->last_seq = sqlite3_column_int64(st, 4);
    sqlite3_finalize(st);
    return OERR_OK;
}

/* The one entry where ?1 (key) matches in sql; OERR_NOTFOUND when none. */
static oerr_t select_one(struct outbox *ob, const char *sql, const char *key,
                         struct outbox_entry *out)
{
    struct outbox_entry *list = NULL;
    size_t n = 0;
    oerr_t e = select_entries(ob, sql, key, 1, &list, &n);
    if (e)
        return e;
    if (n == 0) {
        free(list);
        return OERR_NOTFOUND;
    }
    *out = list[0];
    free(list);
    return OERR_OK;
}

oerr_t outbox_get(struct outbox *ob, const char *msg_id, struct outbox_entry *out)
{
    return select_one(ob, "SELECT " ENTRY_COLS_LINKED " FROM outbox WHERE msg_id = ?1"
                          " LIMIT ?2", msg_id, out);
}

oerr_t outbox_get_seq(struct outbox *ob, long long seq, struct outbox_entry *out)
{
    char text[24];
    snprintf(text, sizeof text, "%lld", seq);
    /* Bound as text and cast: SQLite compares it with the INTEGER key by value. */
    return select_one(ob, "SELECT " ENTRY_COLS_LINKED " FROM outbox WHERE"
                          " seq = CAST(?1 AS INTEGER) LIMIT ?2", text, out);
}

int outbox_cannot_void(const struct outbox_entry *e, char *why, size_t n)
{
    if (strcmp(e->kind, "void") == 0)
        snprintf(why, n, "entry #%lld is itself a void; a void cannot be voided", e->seq);
    else if (e->voided_by)
        snprintf(why, n, "entry #%lld is already cancelled by entry #%lld", e->seq,
                 e->voided_by);
    else if (strcmp(e->state, "rejected") == 0)
        snprintf(why, n, "entry #%lld was refused by the coordinator (%s: %s): it was never "
                 "counted, so there is nothing to cancel", e->seq, e->code, e->reason);
    else
        return 0;
    return -1;
}

oerr_t outbox_tx_begin(struct outbox *ob)
{
    return ob_exec(ob->db, "BEGIN IMMEDIATE") ? OERR_DB : OERR_OK;
}

oerr_t outbox_tx_commit(struct outbox *ob)
{
    if (ob_exec(ob->db, "COMMIT") == 0)
        return OERR_OK;
    /* Never leave a transaction open: it would hold the write lock for good. */
    ob_exec(ob->db, "ROLLBACK");
    return OERR_DB;
}

oerr_t outbox_tx_rollback(struct outbox *ob)
{
    return ob_exec(ob->db, "ROLLBACK") ? OERR_DB : OERR_OK;
}

void outbox_on_commit(struct outbox *ob, int (*fn)(void *ctx), void *ctx)
{
    sqlite3_commit_hook(ob->db, fn, ctx);
}

oerr_t outbox_unanswered_count(struct outbox *ob, long long *unanswered, long long *last_seq)
{
    sqlite3_stmt *st = NULL;
    /* Both through indexes: cheap however long the outbox's history. */
    if (sqlite3_prepare_v2(ob->db,
            "SELECT (SELECT COUNT(*) FROM outbox WHERE state IN ('pending', 'sent')),"
            " (SELECT COALESCE(MAX(seq), 0) FROM outbox)", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_finalize(st);
        return OERR_DB;
    }
    *unanswered = sqlite3_column_int64(st, 0);
    *last_seq = sqlite3_column_int64(st, 1);
    sqlite3_finalize(st);
    return OERR_OK;
}

long long outbox_data_version(struct outbox *ob)
{
    sqlite3_stmt *st = NULL;
    long long v = -1;
    if (sqlite3_prepare_v2(ob->db, "PRAGMA data_version", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

oerr_t outbox_meta_set(struct outbox *ob, const char *key, const char *value)
{
    return update(ob, "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key)"
                      " DO UPDATE SET value = ?2", key, value, NULL, NULL, NULL);
}

oerr_t outbox_meta_get(struct outbox *ob, const char *key, char *buf, size_t n)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(ob->db, "SELECT value FROM meta WHERE key = ?1", -1, &st, NULL) !=
        SQLITE_OK)
        return OERR_DB;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    oerr_t e = rc == SQLITE_ROW ? OERR_OK : rc == SQLITE_DONE ? OERR_NOTFOUND : OERR_DB;
    if (rc == SQLITE_ROW)
        snprintf(buf, n, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return e;
}

/* ---- trip cards (tripcards.h) ---------------------------------------------- */

#define TRIP_COLS "trip_id, title, date, end_date, status, site_code, site_name, county," \
                  " county_name, departments, updated_at, received_at"

oerr_t outbox_trip_put(struct outbox *ob, const struct trip_card *c)
{
    char depts[TRIP_DEPTS_MAX * 16] = "";
    size_t used = 0;
    for (int i = 0; c->departments[i] && i < TRIP_DEPTS_MAX; i++) {
        int w = snprintf(depts + used, sizeof depts - used, "%s%s", used ? "," : "",
                         c->departments[i]);
        if (w < 0 || (size_t)w >= sizeof depts - used)
            return OERR_INVAL;
        used += (size_t)w;
    }
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(ob->db, "INSERT OR REPLACE INTO trips (" TRIP_COLS ") VALUES"
                           " (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)", -1, &st,
                           NULL) != SQLITE_OK)
        return OERR_DB;
    const char *v[] = {c->trip_id, c->title, c->date, c->end_date, c->status, c->site_code,
                       c->site_name, c->county, c->county_name, depts, c->updated_at,
                       c->received_at};
    for (int i = 0; i < 12; i++)
        sqlite3_bind_text(st, i + 1, v[i], -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? OERR_OK : OERR_DB;
}

oerr_t outbox_trip_delete(struct outbox *ob, const char *trip_id)
{
    return update(ob, "DELETE FROM trips WHERE trip_id = ?1", trip_id, NULL, NULL, NULL, NULL);
}

static void read_trip(sqlite3_stmt *st, struct trip_card *c)
{
    memset(c, 0, sizeof *c);
    ob_copy_col(c->trip_id, sizeof c->trip_id, st, 0);
    ob_copy_col(c->title, sizeof c->title, st, 1);
    ob_copy_col(c->date, sizeof c->date, st, 2);
    ob_copy_col(c->end_date, sizeof c->end_date, st, 3);
    ob_copy_col(c->status, sizeof c->status, st, 4);
    ob_copy_col(c->site_code, sizeof c->site_code, st, 5);
    ob_copy_col(c->site_name, sizeof c->site_name, st, 6);
    ob_copy_col(c->county, sizeof c->county, st, 7);
    ob_copy_col(c->county_name, sizeof c->county_name, st, 8);
    ob_copy_col(c->updated_at, sizeof c->updated_at, st, 10);
    ob_copy_col(c->received_at, sizeof c->received_at, st, 11);
    /* "internal,surgery" back to pointers into the contract's list. */
    char depts[TRIP_DEPTS_MAX * 16];
    ob_copy_col(depts, sizeof depts, st, 9);
    int nd = 0;
    char *save = NULL;
    for (char *d = strtok_r(depts, ",", &save); d && nd < TRIP_DEPTS_MAX;
         d = strtok_r(NULL, ",", &save)) {
        int i = enum_index(department_names, d);
        if (i >= 0)
            c->departments[nd++] = department_names[i];
    }
}

static oerr_t select_trips(struct outbox *ob, const char *sql, const char *arg,
                           struct trip_card **list, size_t *n)
{
    *list = NULL;
    *n = 0;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(ob->db, sql, -1, &st, NULL) != SQLITE_OK)
        return OERR_DB;
    sqlite3_bind_text(st, 1, arg, -1, SQLITE_TRANSIENT);
    size_t cap = 0;
    int rc;
    oerr_t e = OERR_OK;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (ARR_RESERVE(*list, cap, *n + 1)) {
            e = OERR_NOMEM;
            break;
        }
        read_trip(st, &(*list)[(*n)++]);
    }
    if (!e && rc != SQLITE_DONE)
        e = OERR_DB;
    sqlite3_finalize(st);
    if (e) {
        free(*list);
        *list = NULL;
        *n = 0;
    }
    return e;
}

oerr_t outbox_trip_get(struct outbox *ob, const char *trip_id, struct trip_card *out)
{
    struct trip_card *list = NULL;
    size_t n = 0;
    oerr_t e = select_trips(ob, "SELECT " TRIP_COLS " FROM trips WHERE trip_id = ?1",
                            trip_id, &list, &n);
    if (!e && n == 0)
        e = OERR_NOTFOUND;
    if (!e)
        *out = list[0];
    free(list);
    return e;
}

oerr_t outbox_trips_on(struct outbox *ob, const char *date, struct trip_card **list,
                       size_t *n)
{
    return select_trips(ob, "SELECT " TRIP_COLS " FROM trips WHERE date <= ?1 AND"
                            " ?1 <= CASE end_date WHEN '' THEN date ELSE end_date END"
                            " ORDER BY date, trip_id LIMIT 1000", date, list, n);
}

oerr_t outbox_trip_count(struct outbox *ob, long long *n)
{
    sqlite3_stmt *st = NULL;
    *n = 0;
    if (sqlite3_prepare_v2(ob->db, "SELECT COUNT(*) FROM trips", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_finalize(st);
        return OERR_DB;
    }
    *n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return OERR_OK;
}
