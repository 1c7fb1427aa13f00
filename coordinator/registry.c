/* registry.c -- volunteers' profiles and registrations: places per role, the
 * wait-list (first come, first served), promotions, clashes, notices.
 * Every statement is prepared and bound; all run inside the caller's
 * transaction, on the store's connection. */
#include "registry.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <sqlite3.h>

#include "admin.h"
#include "olog.h"
#include "request.h"

/* Replies list at most this many registrations, the latest trips first kept,
 * so that a reply stays under the contract's 16 KiB. */
#define LIST_MAX 60
#define LIST_MAX_BYTES 15000

/* ---- small SQL helpers ---------------------------------------------------- */

/* Prepares sql and binds the texts that follow (NULL binds NULL), up to n. */
static sqlite3_stmt *prep(struct store *s, const char *sql, int n, ...)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(store_db(s), sql, -1, &st, NULL) != SQLITE_OK) {
        olog(OLOG_ERROR, "registry: cannot prepare: %s", sqlite3_errmsg(store_db(s)));
        return NULL;
    }
    va_list ap;
    va_start(ap, n);
    for (int i = 1; i <= n; i++) {
        const char *v = va_arg(ap, const char *);
        if (v)
            sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
        else
            sqlite3_bind_null(st, i);
    }
    va_end(ap);
    return st;
}

/* Runs a statement that returns no rows; finalizes it. */
static oerr_t run(sqlite3_stmt *st)
{
    if (!st)
        return OERR_DB;
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? OERR_OK : OERR_DB;
}

static void copy_col(char *dst, size_t n, sqlite3_stmt *st, int col)
{
    const unsigned char *v = sqlite3_column_text(st, col);
    snprintf(dst, n, "%s", v ? (const char *)v : "");
}

static char *print_free(cJSON *o)
{
    char *s = o ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    return s;
}

/* ---- effects ------------------------------------------------------------- */

void notices_free(struct notices *ns)
{
    for (size_t i = 0; i < ns->n; i++)
        free(ns->v[i].json);
    free(ns->v);
    memset(ns, 0, sizeof *ns);
}

void reg_effects_free(struct reg_effects *fx)
{
    notices_free(&fx->notices);
    fx->ntrips = 0;
}

static void fx_trip(struct reg_effects *fx, const char *trip_id)
{
    for (int i = 0; i < fx->ntrips; i++)
        if (strcmp(fx->trip_ids[i], trip_id) == 0)
            return;
    if (fx->ntrips < (int)(sizeof fx->trip_ids / sizeof fx->trip_ids[0]))
        snprintf(fx->trip_ids[fx->ntrips++], ID_MAX + 1, "%s", trip_id);
}

static void fx_notice(struct reg_effects *fx, const char *volunteer_id, const char *kind,
                      const char *trip_id, int role, const char *reason)
{
    struct notices *ns = &fx->notices;
    if (ns->n == ns->cap) {
        size_t cap = ns->cap ? ns->cap * 2 : 8;
        struct notice *v = realloc(ns->v, cap * sizeof *v);
        if (!v)
            return;
        ns->v = v;
        ns->cap = cap;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "notice", kind);
    cJSON_AddStringToObject(o, "trip_id", trip_id);
    if (role >= 0)
        cJSON_AddStringToObject(o, "role", role_names[role]);
    if (reason && reason[0])
        cJSON_AddStringToObject(o, "reason", reason);
    char *json = print_free(o);
    if (!json)
        return;
    struct notice *n = &ns->v[ns->n++];
    snprintf(n->volunteer_id, sizeof n->volunteer_id, "%s", volunteer_id);
    n->json = json;
}

/* ---- trips as the registry sees them ------------------------------------- */

struct trip_info {
    char status[16], start[11], end[11];
    int capacity[ROLE_COUNT];
};

static oerr_t trip_info(struct store *s, const char *trip_id, struct trip_info *t)
{
    memset(t, 0, sizeof *t);
    sqlite3_stmt *st = prep(s, "SELECT status, date, COALESCE(end_date, date), capacity"
                               " FROM trips WHERE trip_id = ?1", 1, trip_id);
    if (!st)
        return OERR_DB;
    int rc = sqlite3_step(st);
    oerr_t e = rc == SQLITE_ROW ? OERR_OK : rc == SQLITE_DONE ? OERR_NOTFOUND : OERR_DB;
    if (e == OERR_OK) {
        copy_col(t->status, sizeof t->status, st, 0);
        copy_col(t->start, sizeof t->start, st, 1);
        copy_col(t->end, sizeof t->end, st, 2);
        cJSON *cap = cJSON_Parse((const char *)sqlite3_column_text(st, 3));
        for (int i = 0; i < ROLE_COUNT; i++) {
            const cJSON *n = cJSON_GetObjectItemCaseSensitive(cap, role_names[i]);
            t->capacity[i] = cJSON_IsNumber(n) && n->valueint > 0 ? n->valueint : 0;
        }
        cJSON_Delete(cap);
    }
    sqlite3_finalize(st);
    return e;
}

/* The count of registrations of a trip and role in a state. */
static long long count_state(struct store *s, const char *trip_id, int role, const char *state)
{
    sqlite3_stmt *st = prep(s, "SELECT COUNT(*) FROM registrations"
                               " WHERE trip_id = ?1 AND role = ?2 AND state = ?3",
                            3, trip_id, role_names[role], state);
    long long n = -1;
    if (st && sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

/* Wait-list position of registration id (1 = next in line). */
static long long position_of(struct store *s, long long id)
{
    sqlite3_stmt *st = prep(s, "SELECT COUNT(*) FROM registrations w JOIN registrations r"
                               " ON w.trip_id = r.trip_id AND w.role = r.role"
                               " WHERE r.id = ?1 AND w.state = 'waitlisted' AND w.id <= r.id", 0);
    long long n = 0;
    if (st) {
        sqlite3_bind_int64(st, 1, id);
        if (sqlite3_step(st) == SQLITE_ROW)
            n = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    return n;
}

/* A confirmed place of the volunteer on another live trip whose dates meet
 * start..end: its trip_id goes to clash (empty when none). */
static oerr_t find_clash(struct store *s, const char *volunteer_id, const char *trip_id,
                         const char *start, const char *end, char clash[ID_MAX + 1],
                         char clash_dates[32])
{
    clash[0] = '\0';
    sqlite3_stmt *st = prep(s,
        "SELECT r.trip_id, t.date, COALESCE(t.end_date, t.date) FROM registrations r"
        " JOIN trips t ON t.trip_id = r.trip_id"
        " WHERE r.volunteer_id = ?1 AND r.state = 'confirmed' AND r.trip_id <> ?2"
        " AND t.status <> 'cancelled' AND t.date <= ?4 AND COALESCE(t.end_date, t.date) >= ?3"
        " ORDER BY t.date, r.trip_id LIMIT 1", 4, volunteer_id, trip_id, start, end);
    if (!st)
        return OERR_DB;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        copy_col(clash, ID_MAX + 1, st, 0);
        char a[11], b[11];
        copy_col(a, sizeof a, st, 1);
        copy_col(b, sizeof b, st, 2);
        if (strcmp(a, b) == 0)
            snprintf(clash_dates, 32, "%s", a);
        else
            snprintf(clash_dates, 32, "%s to %s", a, b);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? OERR_OK : OERR_DB;
}

static oerr_t set_state(struct store *s, long long id, const char *state, const char *now)
{
    sqlite3_stmt *st = prep(s, "UPDATE registrations SET state = ?1, updated_at = ?2"
                               " WHERE id = ?3", 2, state, now);
    if (st)
        sqlite3_bind_int64(st, 3, id);
    return run(st);
}

/* Fills the free places of a role from its wait-list, oldest first, skipping
 * whoever meanwhile holds a confirmed place on a trip whose dates meet this
 * one's (they stay wait-listed). Each promoted volunteer gets a notice. */
static oerr_t promote(struct store *s, const char *trip_id, const struct trip_info *t,
                      int role, const char *now, struct reg_effects *fx)
{
    long long confirmed = count_state(s, trip_id, role, REG_CONFIRMED);
    if (confirmed < 0)
        return OERR_DB;
    long long free_places = t->capacity[role] - confirmed;
    if (free_places <= 0)
        return OERR_OK;
    sqlite3_stmt *st = prep(s, "SELECT id, volunteer_id FROM registrations"
                               " WHERE trip_id = ?1 AND role = ?2 AND state = 'waitlisted'"
                               " ORDER BY id", 2, trip_id, role_names[role]);
    if (!st)
        return OERR_DB;
    /* Collected first: the updates below must not run under this cursor. */
    struct cand {
        long long id;
        char vid[ID_MAX + 1];
    } *c = NULL;
    size_t n = 0, cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            void *m = realloc(c, cap * sizeof *c);
            if (!m) {
                rc = SQLITE_NOMEM;
                break;
            }
            c = m;
        }
        c[n].id = sqlite3_column_int64(st, 0);
        copy_col(c[n].vid, sizeof c[n].vid, st, 1);
        n++;
    }
    sqlite3_finalize(st);
    oerr_t e = rc == SQLITE_DONE ? OERR_OK : OERR_DB;
    for (size_t i = 0; i < n && e == OERR_OK && free_places > 0; i++) {
        char clash[ID_MAX + 1], dates[32];
        e = find_clash(s, c[i].vid, trip_id, t->start, t->end, clash, dates);
        if (e || clash[0]) {
            if (!e)
                olog(OLOG_DEBUG, "trip %s: %s stays wait-listed for %s (confirmed on %s)",
                     trip_id, c[i].vid, role_names[role], clash);
            continue;
        }
        e = set_state(s, c[i].id, REG_CONFIRMED, now);
        if (e == OERR_OK) {
            free_places--;
            fx_notice(fx, c[i].vid, "promoted", trip_id, role, NULL);
            fx_trip(fx, trip_id);
            olog(OLOG_INFO, "trip %s: %s promoted from the wait-list as %s", trip_id, c[i].vid,
                 role_names[role]);
        }
    }
    free(c);
    return e;
}

/* A volunteer's confirmed place is gone (cancelled, or its trip was): on
 * every other live trip where they wait, they may now be first in line for a
 * free place they were skipped for. */
static oerr_t promote_for_volunteer(struct store *s, const char *vid, const char *now,
                                    struct reg_effects *fx)
{
    sqlite3_stmt *st = prep(s, "SELECT DISTINCT r.trip_id, r.role FROM registrations r"
                               " JOIN trips t ON t.trip_id = r.trip_id"
                               " WHERE r.volunteer_id = ?1 AND r.state = 'waitlisted'"
                               " AND t.status = 'planned' ORDER BY r.trip_id, r.role"
                               " LIMIT 64", 1, vid);
    if (!st)
        return OERR_DB;
    struct {
        char trip[ID_MAX + 1];
        int role;
    } w[64];
    int n = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < 64) {
        copy_col(w[n].trip, sizeof w[n].trip, st, 0);
        w[n].role = enum_index(role_names, (const char *)sqlite3_column_text(st, 1));
        n++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return OERR_DB;
    oerr_t e = OERR_OK;
    for (int i = 0; i < n && e == OERR_OK; i++) {
        struct trip_info t;
        if (w[i].role < 0)
            continue;
        e = trip_info(s, w[i].trip, &t);
        if (e == OERR_OK)
            e = promote(s, w[i].trip, &t, w[i].role, now, fx);
    }
    return e;
}

/* Everyone confirmed on a trip, for promote_for_volunteer once they lose it. */
static oerr_t confirmed_of(struct store *s, const char *trip_id, char (*vids)[ID_MAX + 1],
                           int max, int *n)
{
    *n = 0;
    sqlite3_stmt *st = prep(s, "SELECT volunteer_id FROM registrations WHERE trip_id = ?1"
                               " AND state = 'confirmed' ORDER BY id", 1, trip_id);
    if (!st)
        return OERR_DB;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < max)
        copy_col(vids[(*n)++], ID_MAX + 1, st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? OERR_OK : OERR_DB;
}

oerr_t registry_trip_changed(struct store *s, const char *trip_id, const char *reason,
                             const char *now, struct reg_effects *fx)
{
    struct trip_info t;
    oerr_t e = trip_info(s, trip_id, &t);
    if (e)
        return e;
    if (strcmp(t.status, "cancelled") == 0) {
        sqlite3_stmt *st = prep(s, "SELECT id, volunteer_id, role FROM registrations"
                                   " WHERE trip_id = ?1 AND state IN ('confirmed', 'waitlisted')"
                                   " ORDER BY id", 1, trip_id);
        if (!st)
            return OERR_DB;
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            char vid[ID_MAX + 1];
            copy_col(vid, sizeof vid, st, 1);
            int role = enum_index(role_names, (const char *)sqlite3_column_text(st, 2));
            fx_notice(fx, vid, "trip_cancelled", trip_id, role, reason);
        }
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE)
            return OERR_DB;
        fx_trip(fx, trip_id);
        /* Those who held a place here may now move up elsewhere. Capacity is at
         * most CAPACITY_MAX per role, so this bound is never reached. */
        static char vids[ROLE_COUNT * CAPACITY_MAX][ID_MAX + 1];
        int nv = 0;
        if (confirmed_of(s, trip_id, vids, ROLE_COUNT * CAPACITY_MAX, &nv))
            return OERR_DB;
        e = run(prep(s, "UPDATE registrations SET state = 'trip_cancelled', updated_at = ?2"
                        " WHERE trip_id = ?1 AND state IN ('confirmed', 'waitlisted')",
                     2, trip_id, now));
        for (int i = 0; i < nv && e == OERR_OK; i++)
            e = promote_for_volunteer(s, vids[i], now, fx);
        return e;
    }
    if (strcmp(t.status, "planned") != 0)
        return OERR_OK;
    for (int role = 0; role < ROLE_COUNT && e == OERR_OK; role++)
        e = promote(s, trip_id, &t, role, now, fx);
    return e;
}

/* ---- volunteer requests ------------------------------------------------ */

/* A refusal of a request: {"request_id","ok":false,"code","reason"}. */
static char *refusal(const char *request_id, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static char *refusal(const char *request_id, const char *code, const char *fmt, ...)
{
    char reason[JERR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    return reply_error(request_id, code, reason);
}

static cJSON *ok_reply(const char *request_id)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "request_id", request_id);
    cJSON_AddBoolToObject(o, "ok", 1);
    return o;
}

static char *reg_reply(const char *request_id, const char *trip_id, int role,
                       const char *state, long long position)
{
    cJSON *o = ok_reply(request_id);
    cJSON_AddStringToObject(o, "trip_id", trip_id);
    cJSON_AddStringToObject(o, "role", role_names[role]);
    cJSON_AddStringToObject(o, "state", state);
    if (position > 0)
        cJSON_AddNumberToObject(o, "position", (double)position);
    return print_free(o);
}

static char *do_profile(struct store *s, const char *vid, const struct request *rq,
                        const char *now, int *db_failed)
{
    sqlite3_stmt *st = prep(s,
        "INSERT INTO volunteers (volunteer_id, name, phone, organization, roles, created_at,"
        " updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)"
        " ON CONFLICT (volunteer_id) DO UPDATE SET name = ?2, phone = ?3, organization = ?4,"
        " roles = ?5, updated_at = ?6", 4, vid, rq->name, rq->phone, rq->organization);
    if (st) {
        sqlite3_bind_int64(st, 5, rq->roles);
        sqlite3_bind_text(st, 6, now, -1, SQLITE_TRANSIENT);
    }
    if (run(st)) {
        *db_failed = 1;
        return NULL;
    }
    olog(OLOG_INFO, "volunteer %s set their profile", vid); /* never the name or phone */
    cJSON *o = ok_reply(rq->request_id);
    cJSON_AddStringToObject(o, "volunteer_id", vid);
    cJSON *roles = cJSON_AddArrayToObject(o, "roles");
    for (int i = 0; i < ROLE_COUNT; i++)
        if (rq->roles & (1u << i))
            cJSON_AddItemToArray(roles, cJSON_CreateString(role_names[i]));
    return print_free(o);
}

/* The live registration of a volunteer for a trip: id, role and state. */
static oerr_t live_reg(struct store *s, const char *vid, const char *trip_id, long long *id,
                       int *role, char state[16])
{
    sqlite3_stmt *st = prep(s, "SELECT id, role, state FROM registrations WHERE trip_id = ?1"
                               " AND volunteer_id = ?2 AND state IN ('confirmed', 'waitlisted')",
                            2, trip_id, vid);
    if (!st)
        return OERR_DB;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *id = sqlite3_column_int64(st, 0);
        *role = enum_index(role_names, (const char *)sqlite3_column_text(st, 1));
        copy_col(state, 16, st, 2);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? OERR_OK : rc == SQLITE_DONE ? OERR_NOTFOUND : OERR_DB;
}

/* The refusal for a trip that takes no registrations, or NULL when it does. */
static char *trip_refusal(const char *request_id, const char *trip_id, oerr_t e,
                          const struct trip_info *t)
{
    if (e == OERR_NOTFOUND)
        return refusal(request_id, "unknown_trip", "no trip %s", trip_id);
    if (strcmp(t->status, "cancelled") == 0)
        return refusal(request_id, "trip_cancelled", "trip %s is cancelled", trip_id);
    if (strcmp(t->status, "completed") == 0)
        return refusal(request_id, "trip_completed", "trip %s is completed", trip_id);
    return NULL;
}

static char *do_register(struct store *s, const char *vid, const struct request *rq,
                         const char *now, struct reg_effects *fx, int *db_failed)
{
    const char *rid = rq->request_id, *trip_id = rq->trip_id;
    int role = rq->role;
    struct volunteer_row v;
    oerr_t e = registry_volunteer_get(s, vid, &v);
    if (e == OERR_NOTFOUND)
        return refusal(rid, "no_profile",
                       "set your profile (name, phone, roles) before registering");
    if (e)
        goto db;
    if (!(v.roles & (1u << role)))
        return refusal(rid, "role_not_in_profile",
                       "your profile does not list the role %s; add it with profile.set first",
                       role_names[role]);
    struct trip_info t;
    e = trip_info(s, trip_id, &t);
    if (e && e != OERR_NOTFOUND)
        goto db;
    char *no = trip_refusal(rid, trip_id, e, &t);
    if (no)
        return no;
    if (t.capacity[role] == 0)
        return refusal(rid, "role_not_offered", "trip %s takes no %s", trip_id,
                       role_names[role]);

    long long id = 0;
    int cur_role = -1;
    char state[16] = "";
    e = live_reg(s, vid, trip_id, &id, &cur_role, state);
    if (e == OERR_OK) {
        if (cur_role != role)
            return refusal(rid, "already_registered",
                           "you are already registered for trip %s as %s; cancel that first",
                           trip_id, cur_role >= 0 ? role_names[cur_role] : "?");
        /* Registering again for the same place tells where one stands. */
        return reg_reply(rid, trip_id, role, state,
                         strcmp(state, REG_WAITLISTED) == 0 ? position_of(s, id) : 0);
    }
    if (e != OERR_NOTFOUND)
        goto db;
    char clash[ID_MAX + 1], dates[32] = "";
    if (find_clash(s, vid, trip_id, t.start, t.end, clash, dates))
        goto db;
    if (clash[0])
        return refusal(rid, "clash",
                       "trip %s (%s to %s) overlaps trip %s (%s), where you hold a confirmed "
                       "place; cancel that one first", trip_id, t.start, t.end, clash, dates);

    /* Anyone already waiting goes first: a free place left by a promotion
     * that skipped someone (a clash since gone) is theirs, not ours. */
    if (promote(s, trip_id, &t, role, now, fx))
        goto db;
    long long confirmed = count_state(s, trip_id, role, REG_CONFIRMED);
    if (confirmed < 0)
        goto db;
    bool place = confirmed < t.capacity[role];
    const char *st_new = place ? REG_CONFIRMED : REG_WAITLISTED;
    sqlite3_stmt *st = prep(s, "INSERT INTO registrations (trip_id, volunteer_id, role, state,"
                               " created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
                            5, trip_id, vid, role_names[role], st_new, now);
    if (run(st))
        goto db;
    id = sqlite3_last_insert_rowid(store_db(s));
    long long pos = place ? 0 : position_of(s, id);
    fx_trip(fx, trip_id);
    olog(OLOG_INFO, "trip %s: %s registered as %s: %s", trip_id, vid, role_names[role], st_new);
    return reg_reply(rid, trip_id, role, st_new, pos);
db:
    *db_failed = 1;
    return NULL;
}

static char *do_cancel(struct store *s, const char *vid, const struct request *rq,
                       const char *now, struct reg_effects *fx, int *db_failed)
{
    const char *rid = rq->request_id, *trip_id = rq->trip_id;
    struct trip_info t;
    oerr_t e = trip_info(s, trip_id, &t);
    if (e == OERR_NOTFOUND)
        return refusal(rid, "unknown_trip", "no trip %s", trip_id);
    if (e)
        goto db;
    long long id = 0;
    int role = -1;
    char state[16] = "";
    if (strcmp(t.status, "completed") == 0)
        return refusal(rid, "trip_completed", "trip %s is completed", trip_id);
    e = live_reg(s, vid, trip_id, &id, &role, state);
    if (e == OERR_NOTFOUND) {
        if (strcmp(t.status, "cancelled") == 0)
            return refusal(rid, "trip_cancelled", "trip %s is cancelled", trip_id);
        return refusal(rid, "not_registered", "you hold no place on trip %s", trip_id);
    }
    if (e)
        goto db;
    if (set_state(s, id, REG_CANCELLED, now))
        goto db;
    fx_trip(fx, trip_id);
    olog(OLOG_INFO, "trip %s: %s cancelled their %s place (%s)", trip_id, vid,
         role >= 0 ? role_names[role] : "?", state);
    if (role >= 0 && strcmp(state, REG_CONFIRMED) == 0 &&
        (promote(s, trip_id, &t, role, now, fx) || promote_for_volunteer(s, vid, now, fx)))
        goto db;
    return reg_reply(rid, trip_id, role >= 0 ? role : 0, REG_CANCELLED, 0);
db:
    *db_failed = 1;
    return NULL;
}

static char *do_list(struct store *s, const char *vid, const struct request *rq, int *db_failed)
{
    sqlite3_stmt *st = prep(s,
        "SELECT r.trip_id, r.role, r.state, r.id, t.date, t.title, t.status FROM registrations r"
        " JOIN trips t ON t.trip_id = r.trip_id WHERE r.volunteer_id = ?1"
        " ORDER BY t.date DESC, r.id DESC LIMIT ?2", 1, vid);
    if (!st) {
        *db_failed = 1;
        return NULL;
    }
    sqlite3_bind_int(st, 2, LIST_MAX);
    cJSON *o = ok_reply(rq->request_id);
    cJSON *a = cJSON_AddArrayToObject(o, "registrations");
    int rc;
    size_t bytes = 64;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        /* Long titles: stop before the reply passes the contract's 16 KiB. */
        bytes += 160 + (size_t)sqlite3_column_bytes(st, 0) + (size_t)sqlite3_column_bytes(st, 5) * 2;
        if (bytes > LIST_MAX_BYTES)
            break;
        cJSON *r = cJSON_CreateObject();
        const char *state = (const char *)sqlite3_column_text(st, 2);
        cJSON_AddStringToObject(r, "trip_id", (const char *)sqlite3_column_text(st, 0));
        cJSON_AddStringToObject(r, "role", (const char *)sqlite3_column_text(st, 1));
        cJSON_AddStringToObject(r, "state", state);
        if (strcmp(state, REG_WAITLISTED) == 0)
            cJSON_AddNumberToObject(r, "position",
                                    (double)position_of(s, sqlite3_column_int64(st, 3)));
        cJSON_AddStringToObject(r, "date", (const char *)sqlite3_column_text(st, 4));
        cJSON_AddStringToObject(r, "title", (const char *)sqlite3_column_text(st, 5));
        cJSON_AddStringToObject(r, "trip_status", (const char *)sqlite3_column_text(st, 6));
        cJSON_AddItemToArray(a, r);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        cJSON_Delete(o);
        *db_failed = 1;
        return NULL;
    }
    /* Oldest first reads better; the query took the latest. */
    cJSON *sorted = cJSON_CreateArray();
    while (cJSON_GetArraySize(a) > 0)
        cJSON_AddItemToArray(sorted, cJSON_DetachItemFromArray(a, cJSON_GetArraySize(a) - 1));
    cJSON_ReplaceItemInObjectCaseSensitive(o, "registrations", sorted);
    return print_free(o);
}

char *volunteer_handle(struct store *s, const char *volunteer_id, const char *payload,
                       size_t len, const char *now, struct reg_effects *fx, int *db_failed)
{
    struct request rq;
    struct jerr err = {{0}};
    char *reply = NULL;
    *db_failed = 0;
    const char *code = request_decode(REQ_VOLUNTEER, payload, len, &rq, &err);
    if (code) {
        olog(OLOG_WARN, "refused request of volunteer %s: %s", volunteer_id, err.msg);
        reply = refusal(rq.request_id, code, "%s", err.msg);
        goto done;
    }
    reply = store_reply_get(s, "volunteer", volunteer_id, rq.request_id);
    if (reply)
        goto done; /* the same request again: same answer, no second effect */
    switch (rq.op) {
    case OP_PROFILE_SET:
        reply = do_profile(s, volunteer_id, &rq, now, db_failed);
        break;
    case OP_TRIP_REGISTER:
        reply = do_register(s, volunteer_id, &rq, now, fx, db_failed);
        break;
    case OP_REG_CANCEL:
        reply = do_cancel(s, volunteer_id, &rq, now, fx, db_failed);
        break;
    default:
        reply = do_list(s, volunteer_id, &rq, db_failed);
        break;
    }
    if (!*db_failed && reply &&
        store_reply_put(s, "volunteer", volunteer_id, rq.request_id, reply, now))
        *db_failed = 1;
    if (*db_failed) {
        free(reply);
        reply = NULL;
    }
done:
    request_free(&rq);
    return reply;
}

/* ---- reading --------------------------------------------------------------- */

oerr_t registry_places(struct store *s, const char *trip_id, struct role_places out[ROLE_COUNT])
{
    memset(out, 0, ROLE_COUNT * sizeof out[0]);
    struct trip_info t;
    oerr_t e = trip_info(s, trip_id, &t);
    if (e)
        return e;
    sqlite3_stmt *st = prep(s, "SELECT role, state, COUNT(*) FROM registrations"
                               " WHERE trip_id = ?1 AND state IN ('confirmed', 'waitlisted')"
                               " GROUP BY role, state", 1, trip_id);
    if (!st)
        return OERR_DB;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int role = enum_index(role_names, (const char *)sqlite3_column_text(st, 0));
        if (role < 0)
            continue;
        int n = sqlite3_column_int(st, 2);
        if (strcmp((const char *)sqlite3_column_text(st, 1), REG_CONFIRMED) == 0)
            out[role].confirmed = n;
        else
            out[role].waitlisted = n;
    }
    sqlite3_finalize(st);
    for (int i = 0; i < ROLE_COUNT; i++) {
        out[i].capacity = t.capacity[i];
        out[i].open = out[i].capacity > out[i].confirmed ? out[i].capacity - out[i].confirmed : 0;
    }
    return rc == SQLITE_DONE ? OERR_OK : OERR_DB;
}

oerr_t registry_volunteer_get(struct store *s, const char *volunteer_id,
                              struct volunteer_row *out)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = prep(s, "SELECT volunteer_id, name, phone, organization, roles,"
                               " updated_at FROM volunteers WHERE volunteer_id = ?1",
                            1, volunteer_id);
    if (!st)
        return OERR_DB;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        copy_col(out->volunteer_id, sizeof out->volunteer_id, st, 0);
        copy_col(out->name, sizeof out->name, st, 1);
        copy_col(out->phone, sizeof out->phone, st, 2);
        copy_col(out->organization, sizeof out->organization, st, 3);
        out->roles = (unsigned)sqlite3_column_int64(st, 4);
        copy_col(out->updated_at, sizeof out->updated_at, st, 5);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? OERR_OK : rc == SQLITE_DONE ? OERR_NOTFOUND : OERR_DB;
}

/* Counted check-ins of the trip by this staff_id exist. */
#define CAME_SQL                                                                      \
    "EXISTS (SELECT 1 FROM reports c WHERE c.kind = 'checkin' AND c.voided_by IS NULL" \
    " AND c.trip_id = r.trip_id AND c.staff_id = r.volunteer_id)"

oerr_t registry_trip_regs_each(struct store *s, const char *trip_id,
                               int (*fn)(void *, const struct reg_row *), void *ctx)
{
    sqlite3_stmt *st = prep(s,
        "SELECT r.id, r.trip_id, r.volunteer_id, r.role, r.state, r.created_at, r.updated_at,"
        " " CAME_SQL ", v.name, v.phone, v.organization, v.roles, v.updated_at"
        " FROM registrations r JOIN volunteers v ON v.volunteer_id = r.volunteer_id"
        " WHERE r.trip_id = ?1 ORDER BY r.role,"
        " CASE r.state WHEN 'confirmed' THEN 0 WHEN 'waitlisted' THEN 1 ELSE 2 END, r.id",
        1, trip_id);
    if (!st)
        return OERR_DB;
    int rc;
    long long pos = 0;
    char last_role[32] = "";
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct reg_row r;
        memset(&r, 0, sizeof r);
        r.id = sqlite3_column_int64(st, 0);
        copy_col(r.trip_id, sizeof r.trip_id, st, 1);
        copy_col(r.volunteer_id, sizeof r.volunteer_id, st, 2);
        const char *role = (const char *)sqlite3_column_text(st, 3);
        r.role = enum_index(role_names, role);
        copy_col(r.state, sizeof r.state, st, 4);
        copy_col(r.created_at, sizeof r.created_at, st, 5);
        copy_col(r.updated_at, sizeof r.updated_at, st, 6);
        r.checked_in = sqlite3_column_int(st, 7) != 0;
        snprintf(r.v.volunteer_id, sizeof r.v.volunteer_id, "%s", r.volunteer_id);
        copy_col(r.v.name, sizeof r.v.name, st, 8);
        copy_col(r.v.phone, sizeof r.v.phone, st, 9);
        copy_col(r.v.organization, sizeof r.v.organization, st, 10);
        r.v.roles = (unsigned)sqlite3_column_int64(st, 11);
        copy_col(r.v.updated_at, sizeof r.v.updated_at, st, 12);
        /* Rows come in wait-list order within a role: count along. */
        if (strcmp(last_role, role) != 0) {
            snprintf(last_role, sizeof last_role, "%s", role);
            pos = 0;
        }
        if (strcmp(r.state, REG_WAITLISTED) == 0)
            r.position = ++pos;
        if (fn(ctx, &r))
            break;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? OERR_OK : OERR_DB;
}

#define WALKINS_WHERE                                                                   \
    " FROM reports c WHERE c.kind = 'checkin' AND c.voided_by IS NULL AND c.trip_id = ?1" \
    " AND c.staff_id NOT IN (SELECT volunteer_id FROM registrations"                      \
    " WHERE trip_id = ?1 AND state = 'confirmed')"

oerr_t registry_trip_walkins_each(struct store *s, const char *trip_id,
                                  int (*fn)(void *, const struct walkin_row *), void *ctx)
{
    sqlite3_stmt *st = prep(s, "SELECT c.staff_id, MIN(c.role), MIN(c.organization)"
                               WALKINS_WHERE " GROUP BY c.staff_id ORDER BY c.staff_id",
                            1, trip_id);
    if (!st)
        return OERR_DB;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct walkin_row w;
        copy_col(w.staff_id, sizeof w.staff_id, st, 0);
        w.role = enum_index(role_names, (const char *)sqlite3_column_text(st, 1));
        copy_col(w.organization, sizeof w.organization, st, 2);
        if (fn(ctx, &w))
            break;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? OERR_OK : OERR_DB;
}

oerr_t registry_attendance(struct store *s, const char *trip_id, struct attendance *out)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = prep(s,
        "SELECT (SELECT COUNT(*) FROM registrations r WHERE r.trip_id = ?1"
        "  AND r.state = 'confirmed' AND " CAME_SQL "),"
        " (SELECT COUNT(*) FROM registrations r WHERE r.trip_id = ?1"
        "  AND r.state = 'confirmed' AND NOT " CAME_SQL "),"
        " (SELECT COUNT(DISTINCT c.staff_id)" WALKINS_WHERE ")", 1, trip_id);
    if (!st)
        return OERR_DB;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        out->came = sqlite3_column_int64(st, 0);
        out->absent = sqlite3_column_int64(st, 1);
        out->unregistered = sqlite3_column_int64(st, 2);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? OERR_OK : OERR_DB;
}
