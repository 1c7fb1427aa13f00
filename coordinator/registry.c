/* registry.c -- the rules of volunteers' registrations: places per role, the
 * wait-list (first come, first served), promotions, clashes, notices, and
 * the answers to volunteer requests. What is kept and found is the store's
 * (store.h); all of it runs inside the caller's transaction. */
#include "registry.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "arr.h"
#include "jsonget.h"
#include "olog.h"
#include "request.h"

/* Replies list at most this many registrations, the latest trips first kept,
 * so that a reply stays under the contract's 16 KiB. */
#define LIST_MAX 60
#define LIST_MAX_BYTES 15000
/* Wait-lists of one volunteer looked at when a place of theirs is gone. */
#define WAITING_MAX 64

/* ---- effects ------------------------------------------------------------- */

void notices_free(struct notices *ns)
{
    if (!ns)
        return;
    for (size_t i = 0; i < ns->n; i++)
        free(ns->v[i].json);
    free(ns->v);
    memset(ns, 0, sizeof *ns);
}

void reg_effects_free(struct reg_effects *fx)
{
    if (!fx)
        return;
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
    if (ARR_RESERVE(ns->v, ns->cap, ns->n + 1))
        return;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "notice", kind);
    cJSON_AddStringToObject(o, "trip_id", trip_id);
    if (role >= 0)
        cJSON_AddStringToObject(o, "role", role_names[role]);
    if (reason && reason[0])
        cJSON_AddStringToObject(o, "reason", reason);
    char *json = json_print_free(o);
    if (!json)
        return;
    struct notice *n = &ns->v[ns->n++];
    snprintf(n->volunteer_id, sizeof n->volunteer_id, "%s", volunteer_id);
    n->json = json;
}

/* ---- trips as the registry sees them ------------------------------------- */

/* The trip's status, dates and places per role. */
struct trip_info {
    char status[16], start[11], end[11];
    int capacity[ROLE_COUNT];
};

static oerr_t trip_info(struct store *s, const char *trip_id, struct trip_info *t)
{
    memset(t, 0, sizeof *t);
    struct trip_detail d;
    oerr_t e = store_trip_detail(s, trip_id, &d);
    if (e)
        return e;
    snprintf(t->status, sizeof t->status, "%s", d.status);
    snprintf(t->start, sizeof t->start, "%s", d.date);
    snprintf(t->end, sizeof t->end, "%s", d.end_date[0] ? d.end_date : d.date);
    memcpy(t->capacity, d.capacity, sizeof t->capacity);
    return OERR_OK;
}

/* A confirmed place of the volunteer on another live trip whose dates meet
 * start..end: its trip_id goes to clash (empty when none), its dates to
 * clash_dates. */
static oerr_t find_clash(struct store *s, const char *volunteer_id, const char *trip_id,
                         const char *start, const char *end, char clash[ID_MAX + 1],
                         char clash_dates[32])
{
    clash[0] = '\0';
    struct reg_clash c;
    oerr_t e = store_reg_clash(s, volunteer_id, trip_id, start, end, &c);
    if (e == OERR_NOTFOUND)
        return OERR_OK;
    if (e)
        return e;
    snprintf(clash, ID_MAX + 1, "%s", c.trip_id);
    if (strcmp(c.start, c.end) == 0)
        snprintf(clash_dates, 32, "%s", c.start);
    else
        snprintf(clash_dates, 32, "%s to %s", c.start, c.end);
    return OERR_OK;
}

/* Fills the free places of a role from its wait-list, oldest first, skipping
 * whoever meanwhile holds a confirmed place on a trip whose dates meet this
 * one's (they stay wait-listed). Each promoted volunteer gets a notice. */
static oerr_t promote(struct store *s, const char *trip_id, const struct trip_info *t,
                      int role, const char *now, struct reg_effects *fx)
{
    long long confirmed = store_reg_count(s, trip_id, role, REG_CONFIRMED);
    if (confirmed < 0)
        return OERR_DB;
    long long free_places = t->capacity[role] - confirmed;
    if (free_places <= 0)
        return OERR_OK;
    /* Collected first: the updates below change the wait-list. */
    struct reg_list c = {0};
    oerr_t e = store_reg_waitlist(s, trip_id, role, &c);
    for (size_t i = 0; i < c.n && e == OERR_OK && free_places > 0; i++) {
        const char *vid = c.v[i].volunteer_id;
        char clash[ID_MAX + 1], dates[32];
        e = find_clash(s, vid, trip_id, t->start, t->end, clash, dates);
        if (e || clash[0]) {
            if (!e)
                olog(OLOG_DEBUG, "trip %s: %s stays wait-listed for %s (confirmed on %s)",
                     trip_id, vid, role_names[role], clash);
            continue;
        }
        e = store_reg_set_state(s, c.v[i].id, REG_CONFIRMED, now);
        if (e == OERR_OK) {
            free_places--;
            fx_notice(fx, vid, "promoted", trip_id, role, NULL);
            fx_trip(fx, trip_id);
            olog(OLOG_INFO, "trip %s: %s promoted from the wait-list as %s", trip_id, vid,
                 role_names[role]);
        }
    }
    reg_list_free(&c);
    return e;
}

/* A volunteer's confirmed place is gone (cancelled, or its trip was): on
 * every other live trip where they wait, they may now be first in line for a
 * free place they were skipped for. */
static oerr_t promote_for_volunteer(struct store *s, const char *vid, const char *now,
                                    struct reg_effects *fx)
{
    struct reg_list w = {0};
    oerr_t e = store_reg_waiting_of(s, vid, WAITING_MAX, &w);
    for (size_t i = 0; i < w.n && e == OERR_OK; i++) {
        struct trip_info t;
        if (w.v[i].role < 0)
            continue;
        e = trip_info(s, w.v[i].trip_id, &t);
        if (e == OERR_OK)
            e = promote(s, w.v[i].trip_id, &t, w.v[i].role, now, fx);
    }
    reg_list_free(&w);
    return e;
}

oerr_t registry_trip_changed(struct store *s, const char *trip_id, const char *reason,
                             const char *now, struct reg_effects *fx)
{
    struct trip_info t;
    oerr_t e = trip_info(s, trip_id, &t);
    if (e)
        return e;
    if (strcmp(t.status, "cancelled") == 0) {
        /* Everyone who held or awaited a place hears of it; those who held
         * one may then move up elsewhere. */
        struct reg_list live = {0};
        e = store_reg_live_of_trip(s, trip_id, &live);
        for (size_t i = 0; i < live.n && e == OERR_OK; i++)
            fx_notice(fx, live.v[i].volunteer_id, "trip_cancelled", trip_id, live.v[i].role,
                      reason);
        if (e == OERR_OK) {
            fx_trip(fx, trip_id);
            e = store_reg_cancel_trip(s, trip_id, now);
        }
        for (size_t i = 0; i < live.n && e == OERR_OK; i++)
            if (strcmp(live.v[i].state, REG_CONFIRMED) == 0)
                e = promote_for_volunteer(s, live.v[i].volunteer_id, now, fx);
        reg_list_free(&live);
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
    return json_print_free(o);
}

static char *do_profile(struct store *s, const char *vid, const struct request *rq,
                        const char *now, int *db_failed)
{
    if (store_volunteer_put(s, vid, rq->name, rq->phone, rq->organization, rq->roles, now)) {
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
    return json_print_free(o);
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
    oerr_t e = store_volunteer_get(s, vid, &v);
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

    struct reg_ref cur;
    e = store_reg_live(s, vid, trip_id, &cur);
    if (e == OERR_OK) {
        if (cur.role != role)
            return refusal(rid, "already_registered",
                           "you are already registered for trip %s as %s; cancel that first",
                           trip_id, cur.role >= 0 ? role_names[cur.role] : "?");
        /* Registering again for the same place tells where one stands. */
        return reg_reply(rid, trip_id, role, cur.state,
                         strcmp(cur.state, REG_WAITLISTED) == 0 ? store_reg_position(s, cur.id)
                                                                : 0);
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
    long long confirmed = store_reg_count(s, trip_id, role, REG_CONFIRMED);
    if (confirmed < 0)
        goto db;
    bool place = confirmed < t.capacity[role];
    const char *st_new = place ? REG_CONFIRMED : REG_WAITLISTED;
    long long id = 0;
    if (store_reg_add(s, trip_id, vid, role, st_new, now, &id))
        goto db;
    long long pos = place ? 0 : store_reg_position(s, id);
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
    if (strcmp(t.status, "completed") == 0)
        return refusal(rid, "trip_completed", "trip %s is completed", trip_id);
    struct reg_ref cur;
    e = store_reg_live(s, vid, trip_id, &cur);
    if (e == OERR_NOTFOUND) {
        if (strcmp(t.status, "cancelled") == 0)
            return refusal(rid, "trip_cancelled", "trip %s is cancelled", trip_id);
        return refusal(rid, "not_registered", "you hold no place on trip %s", trip_id);
    }
    if (e)
        goto db;
    int role = cur.role;
    const char *state = cur.state;
    if (store_reg_set_state(s, cur.id, REG_CANCELLED, now))
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

/* Builds the list of a registrations.list reply, row by row. */
struct listing {
    struct store *s;
    cJSON *a;
    size_t bytes;
};

static int list_row(void *ctx, const struct volunteer_reg_row *row)
{
    struct listing *l = ctx;
    /* Long titles: stop before the reply passes the contract's 16 KiB. */
    l->bytes += 160 + strlen(row->reg.trip_id) + strlen(row->title) * 2;
    if (l->bytes > LIST_MAX_BYTES)
        return 1;
    const struct reg_ref *g = &row->reg;
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "trip_id", g->trip_id);
    cJSON_AddStringToObject(r, "role", g->role >= 0 ? role_names[g->role] : "");
    cJSON_AddStringToObject(r, "state", g->state);
    if (strcmp(g->state, REG_WAITLISTED) == 0)
        cJSON_AddNumberToObject(r, "position", (double)store_reg_position(l->s, g->id));
    cJSON_AddStringToObject(r, "date", row->date);
    cJSON_AddStringToObject(r, "title", row->title);
    cJSON_AddStringToObject(r, "trip_status", row->trip_status);
    cJSON_AddItemToArray(l->a, r);
    return 0;
}

static char *do_list(struct store *s, const char *vid, const struct request *rq, int *db_failed)
{
    cJSON *o = ok_reply(rq->request_id);
    struct listing l = {s, cJSON_AddArrayToObject(o, "registrations"), 64};
    if (store_volunteer_regs_each(s, vid, LIST_MAX, list_row, &l)) {
        cJSON_Delete(o);
        *db_failed = 1;
        return NULL;
    }
    /* Oldest first reads better; the store gave the latest. */
    cJSON *sorted = cJSON_CreateArray();
    while (cJSON_GetArraySize(l.a) > 0)
        cJSON_AddItemToArray(sorted, cJSON_DetachItemFromArray(l.a, cJSON_GetArraySize(l.a) - 1));
    cJSON_ReplaceItemInObjectCaseSensitive(o, "registrations", sorted);
    return json_print_free(o);
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
