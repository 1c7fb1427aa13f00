/* intake.c -- what happens to a report; see intake.h. No SQL here: the store's
 * plain operations (store.h) do the reading and writing. */
#include "intake.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "olog.h"
#include "store.h"

/* A refused payload past the size limit: enough of it to inspect. */
#define TOO_LARGE_KEPT 1024

void intake_refuse(struct outcome *out, enum reject_code code, const char *fmt, ...)
{
    out->status = ACK_REJECTED;
    out->code = code;
    out->target_trip_id[0] = '\0';
    out->target_year = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out->reason, sizeof out->reason, fmt, ap);
    va_end(ap);
}

/* Step 3 of decide: a void takes one counted report of the same agent out of
 * the totals. Messages may come out of order (after a crash the void is often
 * redelivered before its agent resends the target): a void whose target has
 * not arrived waits for it, and the target is stored already voided (step 4).
 * A target that is known and cannot be voided is refused. */
static oerr_t apply_void(struct store *s, const struct report *r, struct outcome *out)
{
    struct msg_record t;
    if (store_msg_find(s, r->voids, &t))
        return OERR_DB;
    if (!t.stored) {
        if (t.refused && strcmp(t.refused_agent, r->agent_id) == 0) {
            intake_refuse(out, RJ_VOID_TARGET, "report %s was refused; there is nothing to void",
                          r->voids);
            return OERR_OK;
        }
        char other[UUID_LEN + 1];
        oerr_t e = store_pending_void_find(s, r->agent_id, r->voids, other);
        if (e == OERR_OK) {
            intake_refuse(out, RJ_VOID_TARGET, "report %s is already voided by %s, which "
                          "waits for it to arrive", r->voids, other);
            return OERR_OK;
        }
        if (e != OERR_NOTFOUND || store_pending_void_put(s, r->agent_id, r->voids, r->msg_id))
            return OERR_DB;
        out->void_pending = true;
        return OERR_OK;
    }
    snprintf(out->target_trip_id, sizeof out->target_trip_id, "%s", t.trip_id);
    if (strcmp(t.agent_id, r->agent_id) != 0) {
        intake_refuse(out, RJ_VOID_TARGET, "report %s belongs to another agent", r->voids);
        return OERR_OK;
    }
    if (t.kind == RK_VOID) {
        intake_refuse(out, RJ_VOID_TARGET, "report %s is itself a void; a void cannot be voided",
                      r->voids);
        return OERR_OK;
    }
    if (t.voided_by[0]) {
        intake_refuse(out, RJ_VOID_TARGET, "report %s is already voided", r->voids);
        return OERR_OK;
    }
    struct trip_row target;
    if (store_trip_get(s, out->target_trip_id, &target) != OERR_OK)
        return OERR_DB;
    out->target_year = target.year;
    if (store_report_count(s, r->voids, -1) || store_report_void(s, r->voids, r->msg_id))
        return OERR_DB;
    return OERR_OK;
}

static oerr_t decide(struct store *s, const struct report *r, const char *received_at,
                     struct outcome *out)
{
    memset(out, 0, sizeof *out);

    /* 1. Seen before? Then it already counted (or belongs to someone else),
     * or it was refused to this agent for good. */
    struct msg_record m;
    if (store_msg_find(s, r->msg_id, &m))
        return OERR_DB;
    if (m.stored) {
        if (strcmp(m.agent_id, r->agent_id) == 0)
            out->status = ACK_DUPLICATE;
        else
            intake_refuse(out, RJ_SCHEMA, "msg_id %s is already used by another agent",
                          r->msg_id);
        return OERR_OK;
    }
    if (m.refused && strcmp(m.refused_agent, r->agent_id) == 0) {
        intake_refuse(out, m.code, "%s", m.reason);
        return OERR_OK;
    }

    /* 2. The trip decides the year; it must exist and not be cancelled. */
    struct trip_row trip;
    oerr_t e = store_trip_get(s, r->trip_id, &trip);
    if (e == OERR_NOTFOUND) {
        intake_refuse(out, RJ_UNKNOWN_TRIP, "no trip %s", r->trip_id);
        return OERR_OK;
    }
    if (e)
        return e;
    if (strcmp(trip.status, "cancelled") == 0) {
        intake_refuse(out, RJ_TRIP_CANCELLED, "trip %s is cancelled", r->trip_id);
        return OERR_OK;
    }

    /* 3. A void (apply_void). */
    if (r->kind == RK_VOID) {
        if ((e = apply_void(s, r, out)) != OERR_OK || out->status == ACK_REJECTED)
            return e;
    }

    /* 4. Keep it; voided already when a void of its agent came first. That
     * void goes on waiting when this msg_id comes from another agent: it was
     * never the void's to name, so this report counts as usual. A void that
     * arrives named by a waiting void is not voided (a void cannot be): the
     * waiting one had no effect, and stops waiting. */
    char voided_by[UUID_LEN + 1] = "";
    e = store_pending_void_take(s, r->agent_id, r->msg_id, voided_by);
    if (e != OERR_OK && e != OERR_NOTFOUND)
        return OERR_DB;
    if (e == OERR_OK && r->kind == RK_VOID) {
        /* In order, that void would have been refused (void_target); it was
         * acked while waiting, so say here that it did nothing. */
        olog(OLOG_WARN, "void %s of %s waited for %s, which came as a void itself: a void "
             "cannot be voided, so %s has no effect", voided_by, r->agent_id, r->msg_id,
             voided_by);
        voided_by[0] = '\0';
    }
    if (store_report_insert(s, r, received_at, voided_by))
        return OERR_DB;
    if (r->kind != RK_VOID && !voided_by[0] && store_report_count(s, r->msg_id, 1))
        return OERR_DB;
    out->status = ACK_ACCEPTED;
    out->year = trip.year;
    return OERR_OK;
}

oerr_t intake_report(struct store *s, const struct report *r, const char *payload, size_t len,
                     const char *received_at, struct outcome *out)
{
    (void)payload; /* not kept: r's fields are (store_report_insert) */
    (void)len;
    oerr_t e = decide(s, r, received_at, out);
    if (e || out->status != ACK_REJECTED)
        return e;
    /* Refusals that depend on the store's state are final: remembered, so a
     * resend after the state changed gets the same answer. */
    if (out->code != RJ_UNKNOWN_TRIP && out->code != RJ_TRIP_CANCELLED &&
        out->code != RJ_VOID_TARGET)
        return OERR_OK;
    return store_refusal_put(s, r->msg_id, r->agent_id, out->code, out->reason);
}

const char *intake_kept_payload(struct report *r, enum reject_code code, const char *payload,
                                size_t len, size_t *keep_len, char **scrubbed)
{
    *scrubbed = NULL;
    *keep_len = code == RJ_TOO_LARGE && len > TOO_LARGE_KEPT ? TOO_LARGE_KEPT : len;
    /* Keep what helps to inspect it, not what a person typed about a
     * patient: a refused patient_ref may be a name or a phone number. */
    if (!r->root || !cJSON_GetObjectItemCaseSensitive(r->root, "patient_ref"))
        return payload;
    cJSON_ReplaceItemInObjectCaseSensitive(r->root, "patient_ref",
                                           cJSON_CreateString("(removed)"));
    r->patient_ref = NULL;
    if ((*scrubbed = cJSON_PrintUnformatted(r->root)) == NULL)
        return payload;
    *keep_len = strlen(*scrubbed);
    return *scrubbed;
}

oerr_t intake_keep_refused(struct store *s, struct report *r, const struct outcome *oc,
                           const char *received_at, const char *topic, const char *agent_id,
                           const char *payload, size_t len, long long max_rejects)
{
    char *scrubbed;
    size_t keep_len;
    const char *keep = intake_kept_payload(r, oc->code, payload, len, &keep_len, &scrubbed);
    oerr_t e = store_keep_reject(s, received_at, topic, agent_id, r->msg_id, oc->code,
                                 oc->reason, keep, keep_len, max_rejects);
    free(scrubbed);
    return e;
}

/* ---- the signs of life of a batch -------------------------------------- */

struct seen_one {
    char agent_id[ID_MAX + 1];
    long long seq;
    size_t order; /* arrival, so that equal keys keep it */
    char trip_id[ID_MAX + 1]; /* of its report when counted (intake_seen_trip); "" none */
};

int intake_seen_add(struct intake_seen *b, const char *agent_id, long long seq)
{
    if (strlen(agent_id) > ID_MAX)
        return -1;
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        struct seen_one *v = realloc(b->v, cap * sizeof *v);
        if (!v)
            return -1;
        b->v = v;
        b->cap = cap;
    }
    struct seen_one *o = &b->v[b->n];
    snprintf(o->agent_id, sizeof o->agent_id, "%s", agent_id);
    o->seq = seq;
    o->order = b->n++;
    o->trip_id[0] = '\0';
    return 0;
}

void intake_seen_trip(struct intake_seen *b, const char *agent_id, long long seq,
                      const char *trip_id)
{
    struct seen_one *o = b->n ? &b->v[b->n - 1] : NULL;
    if (o && seq > 0 && trip_id && strlen(trip_id) <= ID_MAX && o->seq == seq &&
        strcmp(o->agent_id, agent_id) == 0)
        snprintf(o->trip_id, sizeof o->trip_id, "%s", trip_id);
}

/* By agent, then by seq. */
static int seen_cmp(const void *a, const void *b)
{
    const struct seen_one *x = a, *y = b;
    int c = strcmp(x->agent_id, y->agent_id);
    if (c)
        return c;
    if (x->seq != y->seq)
        return x->seq < y->seq ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

oerr_t intake_seen_flush(struct intake_seen *b, struct store *s, const char *now)
{
    oerr_t e = OERR_OK;
    if (b->n == 0) /* a batch of requests only: nothing noted, maybe no memory yet */
        return OERR_OK;
    qsort(b->v, b->n, sizeof *b->v, seen_cmp);
    long long seqs[256];
    for (size_t i = 0; i < b->n && !e;) {
        /* One agent's seqs, sorted, at most 256 at a time. */
        size_t k = 0;
        const char *agent = b->v[i].agent_id;
        const struct seen_one *trip = NULL; /* of the highest seq with one */
        do {
            if (b->v[i].trip_id[0])
                trip = &b->v[i];
            seqs[k++] = b->v[i++].seq;
        } while (i < b->n && k < sizeof seqs / sizeof seqs[0] &&
                 strcmp(b->v[i].agent_id, agent) == 0);
        e = store_agent_seen_seqs(s, agent, seqs, k, now);
        if (!e && trip)
            e = store_agent_report_trip(s, agent, trip->trip_id, trip->seq);
    }
    b->n = 0;
    return e;
}

void intake_seen_clear(struct intake_seen *b)
{
    b->n = 0;
}

void intake_seen_free(struct intake_seen *b)
{
    free(b->v);
    memset(b, 0, sizeof *b);
}
