/* siteapp_taps.c -- taps in the outbox database, folded into headcounts. */
#include "siteapp_taps.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "compose.h"
#include "jsonget.h"
#include "report.h"
#include "timeutil.h"

#define FOLD_MAX 5000 /* a headcount's consultations, at most */
#define FOLD_ROUNDS 10000 /* groups per fold, at most (each folds >= 1 tap) */

static const char taps_sql[] =
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

static sqlite3 *db_of(struct outbox *ob) { return (sqlite3 *)outbox_db(ob); }

int site_trip_pick(struct outbox *ob, const char *config_trip, struct site_trip *t)
{
    memset(t, 0, sizeof *t);
    if (outbox_trip_count(ob, &t->cards_known))
        return -1;
    if (t->cards_known == 0) {
        if (config_trip) {
            t->source = SITE_TRIP_CONFIG;
            snprintf(t->trip_id, sizeof t->trip_id, "%s", config_trip);
        }
        return 0;
    }
    char date[11];
    tu_format_date(tu_today(TU_SITE_OFFSET_MIN), date);
    struct trip_card *list = NULL;
    size_t n = 0;
    if (outbox_trips_on(ob, date, &list, &n))
        return -1;
    t->today_n = n;
    const struct trip_card *pick = NULL;
    for (size_t i = 0; i < n && !pick; i++)
        if (config_trip && strcmp(list[i].trip_id, config_trip) == 0)
            pick = &list[i];
    for (size_t i = 0; i < n && !pick; i++)
        if (strcmp(list[i].status, "cancelled") != 0)
            pick = &list[i];
    if (!pick && n)
        pick = &list[0];
    if (pick) {
        t->source = SITE_TRIP_CARD;
        t->card = *pick;
        t->has_card = true;
        snprintf(t->trip_id, sizeof t->trip_id, "%s", pick->trip_id);
    } else if (config_trip) {
        /* No card for today: the config's trip, judged by its card if any. */
        t->source = SITE_TRIP_CONFIG;
        snprintf(t->trip_id, sizeof t->trip_id, "%s", config_trip);
        oerr_t e = outbox_trip_get(ob, config_trip, &t->card);
        if (e && e != OERR_NOTFOUND) {
            free(list);
            return -1;
        }
        t->has_card = e == OERR_OK;
    }
    free(list);
    return 0;
}

int site_trip_refusal(const struct site_trip *t, char *en, char *zh, size_t n)
{
    if (t->source == SITE_TRIP_NONE) {
        snprintf(en, n, "no trip today: this device has no trip card for today and the "
                 "config sets no trip (set 'trip' and restart the daemon); nothing was saved");
        snprintf(zh, n, "今天没有行程：本设备没有今天的行程卡，配置里也没有设置 trip；未保存");
    } else if (t->cards_known > 0 && !t->has_card) {
        snprintf(en, n, "unknown trip %s: this device's %lld trip cards do not name it; "
                 "nothing was saved", t->trip_id, t->cards_known);
        snprintf(zh, n, "未知行程 %s：本设备的行程卡里没有它；未保存", t->trip_id);
    } else if (t->has_card && strcmp(t->card.status, "cancelled") == 0) {
        snprintf(en, n, "trip %s is cancelled (its trip card says so); nothing was saved",
                 t->trip_id);
        snprintf(zh, n, "行程 %s 已取消（行程卡如此）；未保存", t->trip_id);
    } else {
        return 0;
    }
    return -1;
}

bool site_trip_offers(const struct site_trip *t, const char *department)
{
    if (enum_index(department_names, department) < 0)
        return false;
    if (!t->has_card || !t->card.departments[0])
        return true;
    for (int i = 0; t->card.departments[i]; i++)
        if (strcmp(t->card.departments[i], department) == 0)
            return true;
    return false;
}

void site_trip_json(const struct site_trip *t, cJSON *obj)
{
    cJSON *o = cJSON_AddObjectToObject(obj, "trip");
    static const char *const sources[] = {"none", "card", "config"};
    cJSON_AddStringToObject(o, "source", sources[t->source]);
    if (t->source != SITE_TRIP_NONE)
        cJSON_AddStringToObject(o, "trip_id", t->trip_id);
    else
        cJSON_AddNullToObject(o, "trip_id");
    cJSON_AddNumberToObject(o, "cards_known", (double)t->cards_known);
    cJSON_AddNumberToObject(o, "today_cards", (double)t->today_n);
    if (t->has_card) {
        const struct trip_card *c = &t->card;
        cJSON_AddStringToObject(o, "title", c->title);
        cJSON_AddStringToObject(o, "site_name", c->site_name);
        cJSON_AddStringToObject(o, "county_name", c->county_name);
        cJSON_AddStringToObject(o, "date", c->date);
        if (c->end_date[0])
            cJSON_AddStringToObject(o, "end_date", c->end_date);
        cJSON_AddStringToObject(o, "status", c->status);
    }
    cJSON *d = cJSON_AddArrayToObject(o, "departments");
    for (int i = 0; department_names[i]; i++)
        if (site_trip_offers(t, department_names[i]))
            cJSON_AddItemToArray(d, cJSON_CreateString(department_names[i]));
    char en[300], zh[300];
    if (site_trip_refusal(t, en, zh, sizeof en)) {
        cJSON *r = cJSON_AddObjectToObject(o, "refusal");
        cJSON_AddStringToObject(r, "en", en);
        cJSON_AddStringToObject(r, "zh", zh);
    }
}

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

int taps_check_payload_kind(const char *agent_id, const char *kind, const char *payload)
{
    struct report r;
    struct jerr err = {{0}};
    enum reject_code code = report_decode(agent_id, kind, payload, strlen(payload), &r, &err);
    report_free(&r);
    return code == RJ_NONE ? 0 : -1;
}

struct fold_check {
    const char *agent_id;
};

static int check_headcount(void *ctx, const char *payload)
{
    struct fold_check *c = ctx;
    return taps_check_payload_kind(c->agent_id, "headcount", payload);
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
            " SUM(json_extract(payload, '$.consultations')) FROM outbox o"
            " WHERE kind = 'headcount' AND trip_id = ?1 AND NOT " VOIDED_SQL
            " GROUP BY 1, 2", -1, &st, NULL) !=
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
    /* The newest tap this answer includes: the page counts a tap it just
     * made only when its id is above this (else this answer has it). */
    if (sqlite3_prepare_v2(db, "SELECT COALESCE(MAX(id), 0) FROM taps", -1, &st, NULL) !=
        SQLITE_OK)
        return OERR_DB;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        cJSON_AddNumberToObject(obj, "last_tap_id", (double)sqlite3_column_int64(st, 0));
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW)
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

oerr_t site_totals(struct outbox *ob, const char *trip_id, cJSON *obj)
{
    static const char *const keys[] = {"consultations", "medicine_fen", "referrals",
                                       "brochures", "attendees", "talks", "staff", "entries"};
    enum { NKEYS = sizeof keys / sizeof keys[0] };
    sqlite3 *db = db_of(ob);
    sqlite3_stmt *st = NULL;
    long long tot[NKEYS] = {0}, uns[NKEYS] = {0};
    /* Rows: not yet answered (1) or accepted (0); staff counted over both. */
    if (sqlite3_prepare_v2(db,
            "SELECT state IN ('pending', 'sent'),"
            " TOTAL(CASE WHEN kind = 'headcount' THEN json_extract(payload, '$.consultations') END),"
            " TOTAL(CASE WHEN kind = 'dispense' THEN json_extract(payload, '$.value_fen') END),"
            " SUM(kind = 'referral'),"
            " TOTAL(CASE WHEN kind = 'education' THEN json_extract(payload, '$.brochures') END),"
            " TOTAL(CASE WHEN kind = 'education' THEN json_extract(payload, '$.attendees') END),"
            " TOTAL(CASE WHEN kind = 'education' THEN json_extract(payload, '$.talks') END),"
            " COUNT(DISTINCT CASE WHEN kind = 'checkin' THEN json_extract(payload, '$.staff_id') END),"
            " COUNT(*) FROM outbox o WHERE trip_id = ?1 AND kind <> 'void' AND state <> 'rejected'"
            " AND NOT " VOIDED_SQL " GROUP BY 1", -1, &st, NULL) != SQLITE_OK)
        return OERR_DB;
    sqlite3_bind_text(st, 1, trip_id ? trip_id : "", -1, SQLITE_TRANSIENT);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        bool waiting = sqlite3_column_int(st, 0);
        for (int k = 0; k < NKEYS; k++) {
            long long v = (long long)sqlite3_column_double(st, k + 1);
            tot[k] += v;
            if (waiting)
                uns[k] += v;
        }
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return OERR_DB;
    /* Staff: distinct over every row (one staff id checked in twice counts once). */
    if (sqlite3_prepare_v2(db,
            "SELECT COUNT(DISTINCT json_extract(payload, '$.staff_id')) FROM outbox o WHERE"
            " trip_id = ?1 AND kind = 'checkin' AND state <> 'rejected' AND NOT " VOIDED_SQL,
            -1, &st, NULL) != SQLITE_OK)
        return OERR_DB;
    sqlite3_bind_text(st, 1, trip_id ? trip_id : "", -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) == SQLITE_ROW)
        tot[6] = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    /* Open taps: consultations not yet in a report. */
    if (sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM taps WHERE state = 'open' AND trip_id = ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return OERR_DB;
    sqlite3_bind_text(st, 1, trip_id ? trip_id : "", -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) == SQLITE_ROW) {
        tot[0] += sqlite3_column_int64(st, 0);
        uns[0] += sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    cJSON *t = cJSON_AddObjectToObject(obj, "totals"), *u = cJSON_AddObjectToObject(obj, "unsynced");
    for (int k = 0; k < NKEYS; k++) {
        cJSON_AddNumberToObject(t, keys[k], (double)tot[k]);
        cJSON_AddNumberToObject(u, keys[k], (double)uns[k]);
    }
    return OERR_OK;
}

static long long corrected_by(sqlite3 *db, long long seq)
{
    sqlite3_stmt *st = NULL;
    long long v = 0;
    if (sqlite3_prepare_v2(db, "SELECT new_seq FROM corrections WHERE refused_seq = ?1", -1,
                           &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, seq);
        if (sqlite3_step(st) == SQLITE_ROW)
            v = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    return v;
}

static cJSON *entry_json(sqlite3 *db, const struct outbox_entry *e)
{
    static const char *const envelope[] = {"msg_id", "agent_id", "seq", "trip_id",
                                           "recorded_at", NULL};
    cJSON *it = cJSON_CreateObject();
    cJSON_AddNumberToObject(it, "seq", (double)e->seq);
    cJSON_AddStringToObject(it, "kind", e->kind);
    cJSON_AddStringToObject(it, "trip_id", e->trip_id);
    cJSON_AddStringToObject(it, "state", e->state);
    cJSON_AddStringToObject(it, "created_at", e->created_at);
    if (e->code[0])
        cJSON_AddStringToObject(it, "code", e->code);
    if (strcmp(e->state, "rejected") == 0)
        cJSON_AddStringToObject(it, "reason", e->reason);
    char what[COMPOSE_DESCRIBE_MAX];
    cJSON_AddStringToObject(it, "describe",
                            compose_describe(e->kind, e->payload, e->voids_seq, what, sizeof what));
    if (e->voided_by)
        cJSON_AddNumberToObject(it, "voided_by", (double)e->voided_by);
    if (e->voids_seq)
        cJSON_AddNumberToObject(it, "voids_seq", (double)e->voids_seq);
    char why[JERR_MAX + 200];
    bool cannot = outbox_cannot_void(e, why, sizeof why) != 0;
    cJSON_AddBoolToObject(it, "can_void", !cannot);
    if (cannot)
        cJSON_AddStringToObject(it, "why_not", why);
    long long cb = strcmp(e->state, "rejected") == 0 ? corrected_by(db, e->seq) : 0;
    if (cb)
        cJSON_AddNumberToObject(it, "corrected_by", (double)cb);
    cJSON *payload = e->payload ? cJSON_Parse(e->payload) : NULL;
    cJSON *fields = cJSON_AddObjectToObject(it, "fields");
    const cJSON *f;
    cJSON_ArrayForEach(f, payload)
        if (f->string && enum_index(envelope, f->string) < 0)
            cJSON_AddItemToObject(fields, f->string, cJSON_Duplicate(f, 1));
    cJSON_Delete(payload);
    return it;
}

oerr_t taps_recent(struct outbox *ob, int limit, cJSON *arr)
{
    struct outbox_entry *list = NULL;
    size_t n = 0;
    oerr_t e = outbox_list_recent(ob, (size_t)limit, &list, &n);
    if (e)
        return e;
    for (size_t i = n; i-- > 0;)
        cJSON_AddItemToArray(arr, entry_json(db_of(ob), &list[i]));
    outbox_entries_free(list, n);
    return OERR_OK;
}

oerr_t taps_refused(struct outbox *ob, int limit, cJSON *arr)
{
    struct outbox_entry *list = NULL;
    size_t n = 0;
    /* outbox_list gives them oldest first: read up to 1000, show the newest. */
    oerr_t e = outbox_list(ob, "rejected", 1000, &list, &n);
    if (e)
        return e;
    for (size_t i = n, shown = 0; i-- > 0 && shown < (size_t)limit; shown++)
        cJSON_AddItemToArray(arr, entry_json(db_of(ob), &list[i]));
    outbox_entries_free(list, n);
    return OERR_OK;
}

oerr_t taps_entry(struct outbox *ob, long long seq, cJSON **out)
{
    struct outbox_entry e = {0};
    *out = NULL;
    oerr_t g = outbox_get_seq(ob, seq, &e);
    if (!g)
        *out = entry_json(db_of(ob), &e);
    outbox_entry_clear(&e);
    return g;
}

static int check_headcount_ctx(void *ctx, const char *payload)
{
    return taps_check_payload_kind(ctx, "headcount", payload);
}

oerr_t taps_correct(struct outbox *ob, const char *agent_id, long long seq,
                    const struct site_trip *t, const char *staff, const char *now,
                    long long *new_seq, char *why, size_t n)
{
    static const char *const copied[] = {"department", "consultations", "female", "over_60",
                                         "poor_households", NULL};
    sqlite3 *db = db_of(ob);
    struct outbox_entry e = {0};
    oerr_t g = outbox_get_seq(ob, seq, &e);
    if (g)
        return g;
    cJSON *p = cJSON_Parse(e.payload), *f = cJSON_CreateObject();
    const char *dep = NULL;
    long long done = 0;
    oerr_t r = OERR_REJECTED;
    if (strcmp(e.state, "rejected") != 0)
        snprintf(why, n, "entry #%lld was not refused: nothing to correct", seq);
    else if (strcmp(e.kind, "headcount") != 0)
        snprintf(why, n, "entry #%lld is a %s: correct it in its form", seq, e.kind);
    else if ((done = corrected_by(db, seq)) != 0)
        snprintf(why, n, "entry #%lld was already sent again as #%lld", seq, done);
    else if (!(dep = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p, "department"))) ||
             !site_trip_offers(t, dep))
        snprintf(why, n, "trip %s does not offer department %s: enter it again at the desk",
                 t->trip_id, dep ? dep : "?");
    else
        r = OERR_OK;
    if (!r) {
        for (int i = 0; copied[i]; i++) {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(p, copied[i]);
            if (v)
                cJSON_AddItemToObject(f, copied[i], cJSON_Duplicate(v, 1));
        }
        if (staff)
            cJSON_AddStringToObject(f, "entered_by", staff);
        struct outbox_entry out = {0};
        sqlite3_stmt *st = NULL;
        if (outbox_tx_begin(ob)) {
            r = OERR_DB;
        } else {
            r = outbox_push(ob, "headcount", t->trip_id, f, now, check_headcount_ctx,
                            (void *)agent_id, &out);
            if (!r && sqlite3_prepare_v2(db, "INSERT INTO corrections (refused_seq, new_seq,"
                                             " created_at) VALUES (?1, ?2, ?3)", -1, &st,
                                         NULL) == SQLITE_OK) {
                sqlite3_bind_int64(st, 1, seq);
                sqlite3_bind_int64(st, 2, out.seq);
                sqlite3_bind_text(st, 3, now, -1, SQLITE_TRANSIENT);
                r = sqlite3_step(st) == SQLITE_DONE ? OERR_OK : OERR_DB;
            } else if (!r) {
                r = OERR_DB;
            }
            sqlite3_finalize(st);
            if (r)
                sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
            else if (outbox_tx_commit(ob))
                r = OERR_DB;
            if (r == OERR_REJECTED)
                snprintf(why, n, "the corrected headcount does not pass the contract");
        }
        *new_seq = out.seq;
        outbox_entry_clear(&out);
    }
    cJSON_Delete(p);
    cJSON_Delete(f);
    outbox_entry_clear(&e);
    return r;
}
