/* tripcards.c -- retained trip cards from the broker into the outbox database. */
#include "tripcards.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "acks.h"
#include "arr.h"
#include "olog.h"
#include "outbox.h"
#include "report.h"

static const char *const status_names[] = {"planned", "completed", "cancelled", NULL};

int tripcard_parse(const char *topic_trip_id, const char *payload, size_t len,
                   struct trip_card *out, struct jerr *err)
{
    memset(out, 0, sizeof *out);
    if (len > TRIP_CARD_MAX_BYTES) {
        jerr_set(err, "a trip card of %zu bytes is too large (at most %d)", len,
                 TRIP_CARD_MAX_BYTES);
        return -1;
    }
    cJSON *o = json_parse_bounded(payload, len, 8, err);
    if (!o)
        return -1;
    int rc = -1, status = 0;
    const char *id, *title, *date, *end = NULL, *updated = NULL, *code, *name, *county, *cname;
    const cJSON *site = cJSON_GetObjectItemCaseSensitive(o, "site");
    const cJSON *depts = cJSON_GetObjectItemCaseSensitive(o, "departments"), *d;
    if (!cJSON_IsObject(o)) {
        jerr_set(err, "a trip card must be a JSON object");
        goto done;
    }
    if (jget_id(o, "trip_id", false, JID_CODE, &id, err) ||
        jget_str(o, "title", false, 1, 128, &title, err) ||
        jget_date(o, "date", false, &date, err) ||
        jget_date(o, "end_date", true, &end, err) == JGET_BAD ||
        jget_enum(o, "status", false, status_names, &status, err) ||
        jget_ts(o, "updated_at", true, &updated, err) == JGET_BAD)
        goto done;
    if (strcmp(id, topic_trip_id) != 0) {
        jerr_set(err, "the card of topic trips/%s says trip_id '%s'", topic_trip_id, id);
        goto done;
    }
    if (end && strcmp(end, date) < 0) {
        jerr_set(err, "field 'end_date' %s is before 'date' %s", end, date);
        goto done;
    }
    if (!cJSON_IsObject(site)) {
        jerr_set(err, "field 'site' must be an object");
        goto done;
    }
    if (jget_id(site, "code", false, JID_CODE, &code, err) ||
        jget_str(site, "name", false, 1, 128, &name, err) ||
        jget_id(site, "county", false, JID_CODE, &county, err) ||
        jget_str(site, "county_name", false, 1, 64, &cname, err)) {
        char inner[JERR_MAX];
        snprintf(inner, sizeof inner, "%s", err->msg);
        jerr_set(err, "site: %s", inner);
        goto done;
    }
    if (!cJSON_IsArray(depts) || cJSON_GetArraySize(depts) > TRIP_DEPTS_MAX) {
        jerr_set(err, "field 'departments' must be a list of at most %d departments",
                 TRIP_DEPTS_MAX);
        goto done;
    }
    int nd = 0;
    cJSON_ArrayForEach(d, depts) {
        int i = cJSON_IsString(d) ? enum_index(department_names, d->valuestring) : -1;
        if (i < 0) {
            char list[200];
            jerr_set(err, "field 'departments' may hold only %s",
                     enum_join(department_names, list, sizeof list));
            goto done;
        }
        for (int k = 0; k < nd; k++)
            if (out->departments[k] == department_names[i]) {
                jerr_set(err, "field 'departments' names %s twice", department_names[i]);
                goto done;
            }
        out->departments[nd++] = department_names[i];
    }
    snprintf(out->trip_id, sizeof out->trip_id, "%s", id);
    snprintf(out->title, sizeof out->title, "%s", title);
    snprintf(out->date, sizeof out->date, "%s", date);
    snprintf(out->end_date, sizeof out->end_date, "%s", end ? end : "");
    snprintf(out->status, sizeof out->status, "%s", status_names[status]);
    snprintf(out->site_code, sizeof out->site_code, "%s", code);
    snprintf(out->site_name, sizeof out->site_name, "%s", name);
    snprintf(out->county, sizeof out->county, "%s", county);
    snprintf(out->county_name, sizeof out->county_name, "%s", cname);
    snprintf(out->updated_at, sizeof out->updated_at, "%s", updated ? updated : "");
    rc = 0;
done:
    cJSON_Delete(o);
    if (rc)
        memset(out, 0, sizeof *out);
    return rc;
}

bool tripcard_on(const struct trip_card *c, const char *date)
{
    const char *last = c->end_date[0] ? c->end_date : c->date;
    return strcmp(c->date, date) <= 0 && strcmp(date, last) <= 0;
}

const char *tripcard_line(const struct trip_card *c, char *buf, size_t n)
{
    char days[32];
    if (c->end_date[0] && strcmp(c->end_date, c->date) != 0)
        snprintf(days, sizeof days, "%s..%s", c->date, c->end_date);
    else
        snprintf(days, sizeof days, "%s", c->date);
    snprintf(buf, n, "%s %s (%s, %s %s%s%s)", c->trip_id, c->title, days, c->county_name,
             c->site_name, strcmp(c->status, "planned") == 0 ? "" : ", ",
             strcmp(c->status, "planned") == 0 ? "" : c->status);
    return buf;
}

void card_inbox_init(struct card_inbox *in, const char *topic_root, struct ack_inbox *acks)
{
    memset(in, 0, sizeof *in);
    pthread_mutex_init(&in->m, NULL);
    topic_fmt(in->prefix, sizeof in->prefix, topic_root, "trips/");
    in->acks = acks;
}

static void drop_queue(struct card_msg *q, size_t n)
{
    for (size_t i = 0; q && i < n; i++)
        free(q[i].payload);
    free(q);
}

void card_inbox_free(struct card_inbox *in)
{
    if (!in)
        return;
    drop_queue(in->q, in->n);
    in->q = NULL;
    in->n = in->cap = 0;
    pthread_mutex_destroy(&in->m);
}

int card_inbox_on_message(void *ctx, char *topic, int topic_len, MQTTAsync_message *m)
{
    struct card_inbox *in = ctx;
    size_t plen = strlen(in->prefix);
    size_t tlen = topic_len > 0 ? (size_t)topic_len : strlen(topic);
    if (tlen <= plen || strncmp(topic, in->prefix, plen) != 0)
        return ack_inbox_on_message(in->acks, topic, topic_len, m);
    size_t idlen = tlen - plen;
    const char *id = topic + plen;
    /* ROOT/trips/{id}/progress and the like are not cards. */
    if (idlen > ID_MAX || memchr(id, '/', idlen)) {
        MQTTAsync_freeMessage(&m);
        MQTTAsync_free(topic);
        return 1;
    }
    pthread_mutex_lock(&in->m);
    in->received++;
    struct card_msg msg = {0};
    memcpy(msg.trip_id, id, idlen);
    msg.trip_id[idlen] = '\0';
    bool ok = in->n < TRIP_INBOX_MAX && (size_t)m->payloadlen <= TRIP_CARD_MAX_BYTES;
    if (ok && m->payloadlen > 0) {
        msg.len = (size_t)m->payloadlen;
        ok = (msg.payload = malloc(msg.len)) != NULL;
        if (ok)
            memcpy(msg.payload, m->payload, msg.len);
    }
    ok = ok && ARR_RESERVE(in->q, in->cap, in->n + 1) == 0;
    if (ok)
        in->q[in->n++] = msg;
    else {
        free(msg.payload);
        in->dropped++;
    }
    pthread_mutex_unlock(&in->m);
    MQTTAsync_freeMessage(&m);
    MQTTAsync_free(topic);
    return 1;
}

size_t card_inbox_received(struct card_inbox *in)
{
    pthread_mutex_lock(&in->m);
    size_t n = in->received;
    pthread_mutex_unlock(&in->m);
    return n;
}

int card_inbox_apply(struct card_inbox *in, struct outbox *ob)
{
    pthread_mutex_lock(&in->m);
    struct card_msg *q = in->q;
    size_t n = in->n, dropped = in->dropped;
    in->q = NULL;
    in->n = in->cap = in->dropped = 0;
    pthread_mutex_unlock(&in->m);
    if (dropped)
        olog(OLOG_WARN, "%zu trip card(s) dropped (too large or too many at once); they are "
                        "read again at the next connection", dropped);
    if (n == 0) {
        free(q);
        return 0;
    }
    char now[TU_TS_MAX];
    tu_format_ts(time(NULL), TU_SITE_OFFSET_MIN, now);
    int changed = 0;
    oerr_t e = outbox_tx_begin(ob);
    for (size_t i = 0; !e && i < n; i++) {
        if (!q[i].payload) {
            e = outbox_trip_delete(ob, q[i].trip_id);
            changed++;
            continue;
        }
        struct trip_card c;
        struct jerr err = {{0}};
        if (tripcard_parse(q[i].trip_id, q[i].payload, q[i].len, &c, &err)) {
            olog(OLOG_WARN, "ignored the trip card of %s: %s", q[i].trip_id, err.msg);
            continue;
        }
        snprintf(c.received_at, sizeof c.received_at, "%s", now);
        e = outbox_trip_put(ob, &c);
        changed++;
    }
    if (!e)
        e = outbox_tx_commit(ob);
    else
        outbox_tx_commit(ob); /* ends the transaction; the cards come again */
    drop_queue(q, n);
    return e ? -1 : changed;
}

enum trip_verdict tripcards_check(struct outbox *ob, const char *trip_id, long long *known)
{
    long long n = 0;
    struct trip_card card;
    if (known)
        *known = 0;
    if (outbox_trip_count(ob, &n))
        return TRIP_ERROR;
    if (known)
        *known = n;
    if (n == 0)
        return TRIP_NO_CARDS;
    oerr_t e = outbox_trip_get(ob, trip_id, &card);
    if (e == OERR_NOTFOUND)
        return TRIP_UNKNOWN;
    if (e)
        return TRIP_ERROR;
    return strcmp(card.status, "cancelled") == 0 ? TRIP_CANCELLED : TRIP_OK;
}
