/* admin.c -- trip.upsert, trip.cancel and trip.complete, each answered once per request_id. */
#include "admin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coverage.h"
#include "jsonget.h"
#include "olog.h"

/* cJSON allocates with malloc by default, so its strings are free()d. */
static char *reply_ok(const char *request_id, const char *trip_id, const char *status)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "request_id", request_id);
    cJSON_AddBoolToObject(o, "ok", 1);
    cJSON_AddStringToObject(o, "trip_id", trip_id);
    cJSON_AddStringToObject(o, "status", status);
    return json_print_free(o);
}

/* ---- reach: targets.set, targets.unset and villages.put ---- */

/* "xiuwu" or "xiuwu / 示例甲镇" (a county code and 64 characters at most) */
#define PLACE_MAX (ID_MAX + 3 + 4 * 64 + 1)
static const char *place(const struct target_def *d, char buf[PLACE_MAX])
{
    snprintf(buf, PLACE_MAX, "%s%s%s", d->county, d->township ? " / " : "",
             d->township ? d->township : "");
    return buf;
}

/* targets.set of a county (or township) in no trip and not in the villages
 * register is refused: a typo would make a county that is always behind. A
 * refusal reply, NULL when known (or *db_failed). */
static char *unknown_place(struct store *s, const struct request *rq, int *db_failed)
{
    const struct target_def *d = &rq->target;
    bool known;
    if (store_place_known(s, d->county, NULL, &known) ||
        (known && d->township && store_place_known(s, d->county, d->township, &known))) {
        *db_failed = 1;
        return NULL;
    }
    if (known)
        return NULL;
    char text[1024], msg[JERR_MAX], at[PLACE_MAX];
    snprintf(text, sizeof text, "%s '%s' is in no trip and not in the villages register: "
             "check the spelling, or import the register (villages import FILE.csv) or "
             "create a trip there first", d->township ? "township" : "county", place(d, at));
    return reply_error(rq->request_id, "unknown_place", coverage_msg(msg, text));
}

/* The county's name as its progress shows it (store_counties_each), kept
 * in t->county_name before its targets go. */
static int county_name_of(void *ctx, const char *county, const char *name)
{
    struct trip_row *t = ctx;
    if (strcmp(county, t->county) == 0)
        snprintf(t->county_name, sizeof t->county_name, "%s", name);
    return 0;
}

static char *do_targets(struct store *s, const struct request *rq, const char *now,
                        struct changes *ch, int *db_failed)
{
    const struct target_def *d = &rq->target;
    char at[PLACE_MAX], source[8] = "";
    if (rq->op == OP_TARGETS_SET) {
        char *refused = unknown_place(s, rq, db_failed);
        if (refused || *db_failed)
            return refused;
        struct target_row t = {.year = d->year, .consultations = d->consultations,
                               .staff = d->staff};
        snprintf(t.county, sizeof t.county, "%s", d->county);
        snprintf(t.township, sizeof t.township, "%s", d->township ? d->township : "");
        if (store_target_put(s, &t, false, now)) {
            *db_failed = 1;
            return NULL;
        }
        olog(OLOG_INFO, "admin request %s: targets of %d %s: %lld consultations, %lld staff",
             rq->request_id, d->year, place(d, at), d->consultations, d->staff);
    } else {
        ch->old.year = d->year;
        snprintf(ch->old.county, sizeof ch->old.county, "%s", d->county);
        snprintf(ch->old.county_name, sizeof ch->old.county_name, "%s", d->county);
        oerr_t e = store_counties_each(s, d->year, county_name_of, &ch->old);
        if (!e)
            e = store_target_delete(s, d->year, d->county, d->township ? d->township : "",
                                    source);
        if (e == OERR_NOTFOUND) {
            char text[1024], msg[JERR_MAX];
            snprintf(text, sizeof text, "%d %s has no targets to unset (see "
                     "outreach-coordinator targets list --year %d)", d->year, place(d, at),
                     d->year);
            return reply_error(rq->request_id, "unknown_target", coverage_msg(msg, text));
        }
        if (e) {
            *db_failed = 1;
            return NULL;
        }
        /* ch->old: a county left with neither trips nor targets is no longer
         * listed; its progress is republished once more, without county_targets. */
        olog(OLOG_INFO, "admin request %s: targets of %d %s unset (they were from %s)",
             rq->request_id, d->year, place(d, at), source);
    }
    ch->year = d->year;
    snprintf(ch->county, sizeof ch->county, "%s", d->county);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "request_id", rq->request_id);
    cJSON_AddBoolToObject(o, "ok", 1);
    cJSON_AddNumberToObject(o, "year", d->year);
    cJSON_AddStringToObject(o, "county", d->county);
    if (d->township)
        cJSON_AddStringToObject(o, "township", d->township);
    if (source[0]) /* unset: "config" rows come back from targets_file at the next start */
        cJSON_AddStringToObject(o, "source", source);
    return json_print_free(o);
}

/* The register's village d as a row. */
static void village_of(const struct village_def *d, struct village_row *v)
{
    *v = (struct village_row){.poor = d->poor};
    snprintf(v->code, sizeof v->code, "%s", d->code);
    snprintf(v->name, sizeof v->name, "%s", d->name);
    snprintf(v->township, sizeof v->township, "%s", d->township);
    snprintf(v->county, sizeof v->county, "%s", d->county);
    snprintf(v->county_name, sizeof v->county_name, "%s", d->county_name);
}

/* A county has one name in the register: villages[i] naming its county
 * otherwise than an earlier village of the request or a stored one (not
 * the one it replaces) is refused; NULL when none does. */
static char *county_name_clash(struct store *s, const struct request *rq, int *db_failed)
{
    char msg[1024], reason[JERR_MAX];
    for (int i = 0; i < rq->nvillages; i++) {
        const struct village_def *d = &rq->villages[i];
        for (int j = 0; j < i; j++) {
            const struct village_def *e = &rq->villages[j];
            if (strcmp(e->county, d->county) != 0 || strcmp(e->county_name, d->county_name) == 0)
                continue;
            snprintf(msg, sizeof msg, "villages[%d]: county %s is named '%s' there but '%s' in "
                     "villages[%d]: a county has one name; give every village of it the same",
                     i, d->county, d->county_name, e->county_name, j);
            return reply_error(rq->request_id, "county_name_mismatch", coverage_msg(reason, msg));
        }
        struct village_row o;
        oerr_t e = store_county_village(s, d->county, d->code, &o);
        if (e == OERR_NOTFOUND || (!e && strcmp(o.county_name, d->county_name) == 0))
            continue;
        if (e) {
            *db_failed = 1;
            return NULL;
        }
        snprintf(msg, sizeof msg, "villages[%d]: county %s is named '%s' there but '%s' in the "
                 "register (village %s): a county has one name; use '%s', or check the county "
                 "code", i, d->county, d->county_name, o.county_name, o.code, o.county_name);
        return reply_error(rq->request_id, "county_name_mismatch", coverage_msg(reason, msg));
    }
    return NULL;
}

static char *do_villages(struct store *s, const struct request *rq, const char *now,
                         struct changes *ch, int *db_failed)
{
    struct village_row v;
    char *clash = county_name_clash(s, rq, db_failed);
    if (clash || *db_failed)
        return clash;
    /* A trip's site and its village agree (coverage_site_mismatch): a
     * register that moves a village away from a trip at it is refused,
     * before anything of the request is stored. */
    for (int i = 0; i < rq->nvillages; i++) {
        village_of(&rq->villages[i], &v);
        struct trip_detail t;
        if (store_village_trip_elsewhere(s, &v, &t)) {
            *db_failed = 1;
            return NULL;
        }
        if (!t.trip_id[0])
            continue;
        char msg[1024], reason[JERR_MAX];
        snprintf(msg, sizeof msg, "villages[%d]: village '%s' is at the site of trip %s "
                 "(county %s%s%s), not in county %s, township %s: correct the trip first "
                 "(trip create with its new county and township), or the register", i, v.code,
                 t.trip_id, t.county, t.township[0] ? ", township " : "", t.township, v.county,
                 v.township);
        return reply_error(rq->request_id, "village_mismatch", coverage_msg(reason, msg));
    }
    for (int i = 0; i < rq->nvillages; i++) {
        village_of(&rq->villages[i], &v);
        if (store_village_put(s, &v, now)) {
            *db_failed = 1;
            return NULL;
        }
    }
    ch->villages = true;
    olog(OLOG_INFO, "admin request %s: %d village%s of the register stored", rq->request_id,
         rq->nvillages, rq->nvillages == 1 ? "" : "s");
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "request_id", rq->request_id);
    cJSON_AddBoolToObject(o, "ok", 1);
    cJSON_AddNumberToObject(o, "villages", rq->nvillages);
    return json_print_free(o);
}

char *admin_handle(struct store *s, const char *payload, size_t len, const char *now,
                   struct changes *ch, int *db_failed)
{
    struct request rq;
    struct jerr err = {{0}};
    char *reply = NULL;
    memset(ch, 0, sizeof *ch);
    *db_failed = 0;

    const char *code = request_decode(REQ_ADMIN, payload, len, &rq, &err);
    if (code) {
        olog(OLOG_WARN, "refused admin request %s: %s",
             rq.request_id ? rq.request_id : "(no request_id)", err.msg);
        reply = reply_error(rq.request_id, code, err.msg);
        goto done;
    }
    reply = store_reply_get(s, "admin", "admin", rq.request_id);
    if (reply)
        goto done; /* the same request again: same answer, no second effect */

    if (rq.op == OP_TARGETS_SET || rq.op == OP_TARGETS_UNSET || rq.op == OP_VILLAGES_PUT) {
        reply = rq.op == OP_VILLAGES_PUT ? do_villages(s, &rq, now, ch, db_failed)
                                         : do_targets(s, &rq, now, ch, db_failed);
        goto keep;
    }
    char why[JERR_MAX] = "";
    struct trip_row trip;
    oerr_t e = OERR_OK;
    struct village_row village;
    if (rq.op == OP_TRIP_UPSERT && rq.trip.village &&
        (e = store_village_get(s, rq.trip.village, &village)) == OERR_NOTFOUND) {
        char msg[JERR_MAX];
        snprintf(msg, sizeof msg, "site: no village '%s' in the register (import it first: "
                 "outreach-coordinator villages import FILE.csv)", rq.trip.village);
        reply = reply_error(rq.request_id, "unknown_village", msg);
        goto keep;
    }
    if (e) {
        *db_failed = 1;
        goto done;
    }
    if (rq.op == OP_TRIP_UPSERT && rq.trip.village) {
        char msg[JERR_MAX];
        if (coverage_site_mismatch(&village, &rq.trip, msg)) {
            reply = reply_error(rq.request_id, "village_mismatch", msg);
            goto keep;
        }
        /* The register says whether it is poor, and its township when the site does not. */
        rq.trip.poor_village = village.poor;
        if (!rq.trip.township)
            rq.trip.township = village.township;
    }
    if (rq.op == OP_TRIP_UPSERT) {
        if (store_trip_get(s, rq.trip_id, &trip) == OERR_OK)
            ch->old = trip; /* a new date or site may move it to another year or county */
        e = store_trip_upsert(s, &rq.trip, now, why);
        if (e == OERR_OK)
            e = store_trip_village_set(s, rq.trip_id, rq.trip.village);
    } else {
        const char *status = rq.op == OP_TRIP_CANCEL ? "cancelled" : "completed";
        if (rq.op == OP_TRIP_CANCEL && rq.reason)
            snprintf(ch->reason, sizeof ch->reason, "%s", rq.reason);
        e = store_trip_set_status(s, rq.trip_id, status, now, why);
        if (e == OERR_NOTFOUND)
            snprintf(why, sizeof why, "no trip %s", rq.trip_id);
    }
    if (e == OERR_OK && store_trip_get(s, rq.trip_id, &trip) == OERR_OK) {
        reply = reply_ok(rq.request_id, rq.trip_id, trip.status);
        snprintf(ch->trip_id, sizeof ch->trip_id, "%s", rq.trip_id);
        snprintf(ch->county, sizeof ch->county, "%s", trip.county);
        ch->year = trip.year;
        olog(OLOG_INFO, "admin request %s: trip %s is %s", rq.request_id, rq.trip_id,
             trip.status);
    } else if (e == OERR_NOTFOUND) {
        reply = reply_error(rq.request_id, "unknown_trip", why);
    } else if (e == OERR_REJECTED) {
        reply = reply_error(rq.request_id, "conflict", why);
    } else {
        *db_failed = 1;
        goto done;
    }
keep:
    if (reply && !*db_failed && store_reply_put(s, "admin", "admin", rq.request_id, reply, now))
        *db_failed = 1;
done:
    request_free(&rq);
    return reply;
}
