/* admin.c -- trip.upsert, trip.cancel and trip.complete, each answered once per request_id. */
#include "admin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* ---- reach: targets.set and villages.put ---- */

static char *do_targets(struct store *s, const struct request *rq, const char *now,
                        struct changes *ch, int *db_failed)
{
    const struct target_def *d = &rq->target;
    struct target_row t = {.year = d->year, .consultations = d->consultations,
                           .staff = d->staff};
    snprintf(t.county, sizeof t.county, "%s", d->county);
    snprintf(t.township, sizeof t.township, "%s", d->township ? d->township : "");
    if (store_target_put(s, &t, false, now)) {
        *db_failed = 1;
        return NULL;
    }
    ch->year = d->year;
    snprintf(ch->county, sizeof ch->county, "%s", d->county);
    olog(OLOG_INFO, "admin request %s: targets of %d %s%s%s: %lld consultations, %lld staff",
         rq->request_id, d->year, d->county, d->township ? " / " : "",
         d->township ? d->township : "", d->consultations, d->staff);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "request_id", rq->request_id);
    cJSON_AddBoolToObject(o, "ok", 1);
    cJSON_AddNumberToObject(o, "year", d->year);
    cJSON_AddStringToObject(o, "county", d->county);
    if (d->township)
        cJSON_AddStringToObject(o, "township", d->township);
    return json_print_free(o);
}

static char *do_villages(struct store *s, const struct request *rq, const char *now,
                         struct changes *ch, int *db_failed)
{
    for (int i = 0; i < rq->nvillages; i++) {
        const struct village_def *d = &rq->villages[i];
        struct village_row v = {.poor = d->poor};
        snprintf(v.code, sizeof v.code, "%s", d->code);
        snprintf(v.name, sizeof v.name, "%s", d->name);
        snprintf(v.township, sizeof v.township, "%s", d->township);
        snprintf(v.county, sizeof v.county, "%s", d->county);
        snprintf(v.county_name, sizeof v.county_name, "%s", d->county_name);
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

    if (rq.op == OP_TARGETS_SET || rq.op == OP_VILLAGES_PUT) {
        reply = rq.op == OP_TARGETS_SET ? do_targets(s, &rq, now, ch, db_failed)
                                        : do_villages(s, &rq, now, ch, db_failed);
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
