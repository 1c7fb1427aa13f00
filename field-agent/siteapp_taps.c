/* siteapp_taps.c -- the desk's taps folded into headcounts, and what the site
 * app shows of the outbox; the rows themselves are outbox_site.c's. */
#include "siteapp_taps.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compose.h"
#include "jsonget.h"
#include "report.h"
#include "timeutil.h"

#define FOLD_MAX 5000 /* a headcount's consultations, at most */
#define FOLD_ROUNDS 10000 /* groups per fold, at most (each folds >= 1 tap) */

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
    return outbox_site_init(ob);
}

oerr_t taps_add(struct outbox *ob, const struct tap *t, const char *now, long long *id)
{
    if (enum_index(department_names, t->department) < 0 || !t->trip_id)
        return OERR_REJECTED;
    return outbox_tap_add(ob, t, now, id);
}

oerr_t taps_undo(struct outbox *ob, long long id, int *changed)
{
    return outbox_tap_undo(ob, id, changed);
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

oerr_t taps_fold(struct outbox *ob, const char *agent_id, const char *now, int *reports)
{
    int made = 0;
    if (reports)
        *reports = 0;
    if (outbox_tx_begin(ob))
        return OERR_DB;
    oerr_t e = OERR_OK;
    struct fold_check fc = {agent_id};
    for (int round = 0; round < FOLD_ROUNDS; round++) {
        struct tap_group g;
        int got = outbox_taps_next_group(ob, FOLD_MAX, &g);
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
            e = outbox_taps_mark_folded(ob, &g, out.msg_id);
        outbox_entry_clear(&out);
        if (e)
            break;
        made++;
    }
    if (e) {
        outbox_tx_rollback(ob);
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

static void add_headcount(void *ctx, const char *dep, const char *state, long long n)
{
    if (!dep || enum_index(department_names, dep) < 0 || !state)
        return;
    const char *key = strcmp(state, "acked") == 0 ? "counted"
                      : strcmp(state, "rejected") == 0 ? "rejected" : "waiting";
    add_to(dept_obj(ctx, dep), key, n);
}

static void add_open_taps(void *ctx, const char *dep, long long n)
{
    if (dep && enum_index(department_names, dep) >= 0)
        add_to(dept_obj(ctx, dep), "taps", n);
}

static void add_open_tap(void *ctx, const struct tap_row *r)
{
    cJSON *t = cJSON_CreateObject();
    cJSON_AddNumberToObject(t, "id", (double)r->id);
    cJSON_AddStringToObject(t, "department", r->department);
    cJSON_AddBoolToObject(t, "female", r->female);
    cJSON_AddBoolToObject(t, "over_60", r->over_60);
    cJSON_AddBoolToObject(t, "poor", r->poor);
    if (r->entered_by)
        cJSON_AddStringToObject(t, "entered_by", r->entered_by);
    cJSON_AddStringToObject(t, "at", r->created_at);
    cJSON_AddItemToArray(ctx, t);
}

oerr_t taps_today(struct outbox *ob, const char *trip_id, cJSON *obj)
{
    cJSON *depts = cJSON_AddObjectToObject(obj, "departments");
    for (int i = 0; department_names[i]; i++)
        dept_obj(depts, department_names[i]);
    /* Reports: what the outbox holds of this trip's headcounts, by state. */
    if (outbox_trip_headcounts(ob, trip_id, add_headcount, depts) ||
        outbox_open_taps_by_department(ob, trip_id, add_open_taps, depts))
        return OERR_DB;
    /* The newest tap this answer includes: the page counts a tap it just
     * made only when its id is above this (else this answer has it). */
    long long last = 0;
    if (outbox_tap_last_id(ob, &last))
        return OERR_DB;
    cJSON_AddNumberToObject(obj, "last_tap_id", (double)last);
    cJSON *open = cJSON_AddArrayToObject(obj, "open_taps");
    struct outbox_answers a;
    if (outbox_open_taps_newest(ob, trip_id, 10, add_open_tap, open) || outbox_answers(ob, &a))
        return OERR_DB;
    cJSON_AddNumberToObject(obj, "waiting", (double)a.waiting);
    cJSON_AddNumberToObject(obj, "rejected", (double)a.rejected);
    if (a.last_answer[0])
        cJSON_AddStringToObject(obj, "last_answer", a.last_answer);
    else
        cJSON_AddNullToObject(obj, "last_answer");
    return OERR_OK;
}

oerr_t site_totals(struct outbox *ob, const char *trip_id, cJSON *obj)
{
    /* In enum trip_total's order. */
    static const char *const keys[TT_COUNT] = {"consultations", "medicine_fen", "referrals",
                                               "brochures", "attendees", "talks", "staff",
                                               "entries"};
    long long tot[TT_COUNT], uns[TT_COUNT], open = 0;
    if (outbox_trip_totals(ob, trip_id, tot, uns) || outbox_open_tap_count(ob, trip_id, &open))
        return OERR_DB;
    /* Open taps: consultations not yet in a report. */
    tot[TT_CONSULTATIONS] += open;
    uns[TT_CONSULTATIONS] += open;
    cJSON *t = cJSON_AddObjectToObject(obj, "totals"), *u = cJSON_AddObjectToObject(obj, "unsynced");
    for (int k = 0; k < TT_COUNT; k++) {
        cJSON_AddNumberToObject(t, keys[k], (double)tot[k]);
        cJSON_AddNumberToObject(u, keys[k], (double)uns[k]);
    }
    return OERR_OK;
}

static cJSON *entry_json(struct outbox *ob, const struct outbox_entry *e)
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
    long long cb = strcmp(e->state, "rejected") == 0 ? outbox_corrected_by(ob, e->seq) : 0;
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
        cJSON_AddItemToArray(arr, entry_json(ob, &list[i]));
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
        cJSON_AddItemToArray(arr, entry_json(ob, &list[i]));
    outbox_entries_free(list, n);
    return OERR_OK;
}

oerr_t taps_entry(struct outbox *ob, long long seq, cJSON **out)
{
    struct outbox_entry e = {0};
    *out = NULL;
    oerr_t g = outbox_get_seq(ob, seq, &e);
    if (!g)
        *out = entry_json(ob, &e);
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
    else if ((done = outbox_corrected_by(ob, seq)) != 0)
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
        if (outbox_tx_begin(ob)) {
            r = OERR_DB;
        } else {
            r = outbox_push(ob, "headcount", t->trip_id, f, now, check_headcount_ctx,
                            (void *)agent_id, &out);
            if (!r)
                r = outbox_correction_add(ob, seq, out.seq, now);
            if (r)
                outbox_tx_rollback(ob);
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
