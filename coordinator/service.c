/* service.c -- the coordinator daemon: Paho's thread queues messages, the main
 * thread validates and commits them in batches, then acks and republishes
 * progress at most every progress_interval_ms. */
#include "service.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "registry.h"
#include "agents.h"
#include "ids.h"
#include "intake.h"
#include "mq.h"
#include "mqtls.h"
#include "olog.h"
#include "progress_json.h"
#include "report.h"
#include "store.h"
#include "timeutil.h"
#include "topics.h"

/* ---- configuration ----------------------------------------------------- */

void coord_config_defaults(struct coord_config *c)
{
    memset(c, 0, sizeof *c);
    c->broker = strdup("tcp://127.0.0.1:1883");
    /* client_id: none here; cmd_run (main.c) defaults it to the username. */
    c->share_group = strdup("outreach-coordinator");
    c->topic_root = strdup(TOPIC_ROOT_DEFAULT);
    c->log_level = strdup("info");
    c->target_staff = 500;
    c->target_consultations = 50000;
    c->session_expiry_s = 7 * 24 * 3600;
    c->keepalive_s = 30;
    c->batch_max = 500;
    c->queue_max_bytes = 256LL << 20;
    c->progress_interval_ms = 500;
    c->refresh_s = 600;
    c->max_rejects = 100000;
    c->tz_offset_min = TU_SITE_OFFSET_MIN;
    c->reply_keep = STORE_REPLY_KEEP;
    c->reply_days = STORE_REPLY_DAYS;
}

const struct conf_opt *coord_config_table(struct coord_config *c)
{
    /* One table per process is enough: the daemon has one config. */
    static struct conf_opt t[32];
    const struct conf_opt rows[] = {
        {"broker", CONF_STR, &c->broker, 0, 0, "broker URI, tcp://host:port or ssl://host:8883"},
        MQTLS_CONF_ROWS(&c->tls),
        {"db", CONF_STR, &c->db, 0, 0, "SQLite store file"},
        {"init", CONF_BOOL, &c->init, 0, 0, "create the store if db names no file"},
        {"username", CONF_STR, &c->username, 0, 0, "MQTT username (none: anonymous)"},
        {"password_file", CONF_STR, &c->password_file, 0, 0, "file holding the MQTT password"},
        {"client_id", CONF_STR, &c->client_id, 0, 0, "MQTT client id (its session persists; default: the username)"},
        {"share_group", CONF_STR, &c->share_group, 0, 0, "shared-subscription group"},
        {"share_group_file", CONF_STR, &c->share_group_file, 0, 0,
         "file holding the group name (wins over share_group)"},
        {"topic_root", CONF_STR, &c->topic_root, 0, 0, "root of every topic"},
        {"log_level", CONF_STR, &c->log_level, 0, 0, "debug, info, warn or error"},
        {"target_staff", CONF_INT, &c->target_staff, 0, 1000000000, "staff target per year"},
        {"target_consultations", CONF_INT, &c->target_consultations, 0, 1000000000,
         "consultations target per year"},
        {"session_expiry_s", CONF_INT, &c->session_expiry_s, 60, 4294967295LL,
         "how long the broker keeps our session while we are away"},
        {"keepalive_s", CONF_INT, &c->keepalive_s, 5, 3600, "MQTT keep-alive"},
        {"batch_max", CONF_INT, &c->batch_max, 1, 1000, "messages per transaction"},
        {"queue_max_bytes", CONF_INT, &c->queue_max_bytes, 1 << 20, 1LL << 34,
         "bytes of messages waiting in memory; past it they are dropped unacked"},
        {"progress_interval_ms", CONF_INT, &c->progress_interval_ms, 50, 1000,
         "least time between two progress updates"},
        {"refresh_s", CONF_INT, &c->refresh_s, 10, 86400,
         "republish all progress this often (expected_to_date moves daily)"},
        {"max_rejects", CONF_INT, &c->max_rejects, 10, 100000000, "refused messages kept"},
        {"tz_offset_min", CONF_INT, &c->tz_offset_min, -720, 840,
         "the sites' UTC offset in minutes (China: 480)"},
        {"reply_keep", CONF_INT, &c->reply_keep, 10, 100000,
         "request replies kept per account (a repeat among them gets the same reply)"},
        {"reply_days", CONF_INT, &c->reply_days, 1, 3650,
         "days a request reply is kept at most"},
        {NULL, CONF_STR, NULL, 0, 0, NULL},
    };
    _Static_assert(sizeof rows <= sizeof t, "coord_config_table: make t larger");
    memcpy(t, rows, sizeof rows);
    return t;
}

/* ---- the queue between Paho's thread and ours -------------------------- */

struct item {
    struct item *next;
    char *topic;
    char *payload;  /* NUL-terminated copy, at most REPORT_MAX_BYTES + 1 bytes */
    size_t len;     /* bytes kept */
    size_t orig_len;
    bool retained;  /* replayed by the broker at subscription, not published now */
    char *resp_topic;
    void *corr;
    int corr_len;
};

struct outmsg {
    char *topic, *payload;
    bool retained;
    void *corr;
    int corr_len;
};

/* The acks of one message to one agent; an agent may get several messages
 * per batch so that none passes the contract's 16 KiB. */
#define ACKS_MSG_BYTES 15000
struct agent_acks {
    char agent[ID_MAX + 1];
    cJSON *acks;
    size_t bytes; /* an upper bound of the message's size */
};

struct log_rate {
    double second; /* when the current second began (monotonic ms) */
    int logged;
    long long not_logged;
};

struct svc {
    const struct coord_config *cfg;
    volatile sig_atomic_t *stop;
    struct store *store;
    MQTTAsync mq;
    int initial_done;
    int republish; /* set on reconnect: the broker may have lost retained state */
    /* Connections the broker closed within a second of our (re)connect, in a
     * row: the sign of a client whose resend state the broker rejects. */
    int fast_losses;
    long long connected_at; /* monotonic ms of the last (re)connect */

    pthread_mutex_t qm;
    pthread_cond_t nonempty;
    struct item *head, *tail;
    long long count, bytes, dropped;

    /* What one batch will send once it is committed. */
    struct outmsg *outs;
    size_t nouts, capouts;
    struct agent_acks *acks;
    size_t nacks, capacks;

    /* What changed since progress was last published. */
    int dirty_years[16];
    int ndirty_years;
    char dirty_trips[64][ID_MAX + 1];
    int ndirty_trips;
    struct trip_row dirty_counties[8]; /* counties that lost a trip: year, county, name */
    int ndirty_counties;
    bool all_dirty;
    struct timespec last_progress, last_refresh;

    long long n_accepted, n_duplicate, n_rejected;
    long long b_accepted, b_duplicate, b_rejected; /* of the batch not yet committed */
    /* A flood must not flood the log: 20 lines a second of each kind. */
    struct log_rate refusals, statuses;
};

/* Starts a new second of logging once the last one is over, saying how many
 * lines it left out. */
static void rate_tick(struct log_rate *r, enum olog_level level, const char *what)
{
    double now = tu_mono_ms();
    if (now - r->second < 1000)
        return;
    if (r->not_logged)
        olog(level, "%lld more %s", r->not_logged, what);
    r->second = now;
    r->logged = 0;
    r->not_logged = 0;
}

static bool rate_allowed(struct log_rate *r)
{
    if (r->logged < 20) {
        r->logged++;
        return true;
    }
    r->not_logged++;
    return false;
}

static void log_tick(struct svc *s)
{
    rate_tick(&s->refusals, OLOG_WARN,
              "refused messages were not logged (kept in the store)");
    rate_tick(&s->statuses, OLOG_DEBUG, "ignored status messages were not logged");
}

/* Whether one more refusal may be logged now. */
static bool log_allowed(struct svc *s)
{
    log_tick(s);
    return rate_allowed(&s->refusals);
}

/* Whether one more ignored status message may be logged now. */
static bool status_log_allowed(struct svc *s)
{
    log_tick(s);
    return rate_allowed(&s->statuses);
}

static void item_free(struct item *it)
{
    if (!it)
        return;
    free(it->topic);
    free(it->payload);
    free(it->resp_topic);
    free(it->corr);
    free(it);
}

static double elapsed_ms(const struct timespec *since)
{
    return tu_mono_ms() - ((double)since->tv_sec * 1e3 + (double)since->tv_nsec / 1e6);
}

static void items_free(struct item *it)
{
    while (it) {
        struct item *next = it->next;
        item_free(it);
        it = next;
    }
}

static char *dup_bytes(const void *p, size_t n)
{
    char *s = malloc(n + 1);
    if (s) {
        memcpy(s, p, n);
        s[n] = '\0';
    }
    return s;
}

/* Paho's thread. Paho has already sent the PUBACK (it does so before calling
 * us) and holds a lock, while we run, that every publish of ours needs. So
 * this never waits: waiting for room in the queue would starve or deadlock
 * the thread that empties it. The payload is copied, cut past the contract's
 * limit (it is refused anyway). Past queue_max_bytes a message is dropped
 * unacknowledged, and logged: its agent sends it again, as it does for any
 * report without an ack. */
static int on_message(void *ctx, char *topic, int topic_len, MQTTAsync_message *m)
{
    struct svc *s = ctx;
    size_t tl = topic_len > 0 ? (size_t)topic_len : strlen(topic);
    size_t plen = m->payloadlen > 0 ? (size_t)m->payloadlen : 0;
    size_t keep = plen > REPORT_MAX_BYTES + 1 ? REPORT_MAX_BYTES + 1 : plen;
    struct item *it = calloc(1, sizeof *it);
    if (it) {
        it->topic = dup_bytes(topic, tl);
        it->payload = dup_bytes(m->payload, keep);
        it->len = keep;
        it->orig_len = plen;
        it->retained = m->retained != 0;
    }
    if (!it || !it->topic || !it->payload || memchr(it->topic, '\0', tl)) {
        olog(OLOG_ERROR, "dropped a message: out of memory or a topic with a NUL");
        item_free(it);
        goto done;
    }
    MQTTProperty *rt = MQTTProperties_getProperty(&m->properties,
                                                  MQTTPROPERTY_CODE_RESPONSE_TOPIC);
    if (rt && rt->value.data.len > 0 && rt->value.data.len < TOPIC_MAX)
        it->resp_topic = dup_bytes(rt->value.data.data, (size_t)rt->value.data.len);
    MQTTProperty *cd = MQTTProperties_getProperty(&m->properties,
                                                  MQTTPROPERTY_CODE_CORRELATION_DATA);
    if (cd && cd->value.data.len > 0 && cd->value.data.len <= 256) {
        it->corr = dup_bytes(cd->value.data.data, (size_t)cd->value.data.len);
        it->corr_len = cd->value.data.len;
    }
    size_t size = sizeof *it + tl + keep + 64;
    pthread_mutex_lock(&s->qm);
    if (s->bytes + (long long)size > s->cfg->queue_max_bytes) {
        long long dropped = ++s->dropped;
        pthread_mutex_unlock(&s->qm);
        if (dropped == 1 || dropped % 1000 == 0)
            olog(OLOG_WARN, "queue full (%lld bytes): %lld messages dropped unacknowledged "
                 "so far; their agents will resend", s->cfg->queue_max_bytes, dropped);
        item_free(it);
        goto done;
    }
    if (s->tail)
        s->tail->next = it;
    else
        s->head = it;
    s->tail = it;
    s->count++;
    s->bytes += (long long)size;
    pthread_cond_signal(&s->nonempty);
    pthread_mutex_unlock(&s->qm);
done:
    MQTTAsync_freeMessage(&m);
    MQTTAsync_free(topic);
    return 1;
}

/* ---- outgoing messages of a batch -------------------------------------- */

static void out_add(struct svc *s, const char *topic, char *payload, bool retained,
                    const void *corr, int corr_len)
{
    if (!payload)
        return;
    if (s->nouts == s->capouts) {
        size_t cap = s->capouts ? s->capouts * 2 : 16;
        struct outmsg *n = realloc(s->outs, cap * sizeof *n);
        if (!n) {
            free(payload);
            return;
        }
        s->outs = n;
        s->capouts = cap;
    }
    struct outmsg *o = &s->outs[s->nouts++];
    o->topic = strdup(topic);
    o->payload = payload;
    o->retained = retained;
    o->corr = corr_len > 0 ? dup_bytes(corr, (size_t)corr_len) : NULL;
    o->corr_len = o->corr ? corr_len : 0;
}

static void ack_add(struct svc *s, const char *agent, const char *msg_id,
                    const struct outcome *oc)
{
    /* msg_id, status, code and a reason of at most JERR_MAX, with quotes. */
    size_t need = 120 + (oc->status == ACK_REJECTED ? strlen(oc->reason) * 2 : 0);
    struct agent_acks *a = NULL;
    for (size_t i = s->nacks; i-- > 0;) {
        if (strcmp(s->acks[i].agent, agent) == 0) {
            if (s->acks[i].bytes + need <= ACKS_MSG_BYTES)
                a = &s->acks[i];
            break; /* the latest message of this agent is full: start another */
        }
    }
    if (!a) {
        if (s->nacks == s->capacks) {
            size_t cap = s->capacks ? s->capacks * 2 : 16;
            struct agent_acks *n = realloc(s->acks, cap * sizeof *n);
            if (!n)
                return;
            s->acks = n;
            s->capacks = cap;
        }
        a = &s->acks[s->nacks++];
        snprintf(a->agent, sizeof a->agent, "%s", agent);
        a->acks = cJSON_CreateArray();
        a->bytes = 16;
    }
    a->bytes += need;
    static const char *const st[] = {"accepted", "duplicate", "rejected"};
    cJSON *o = cJSON_CreateObject();
    if (msg_id)
        cJSON_AddStringToObject(o, "msg_id", msg_id);
    else
        cJSON_AddNullToObject(o, "msg_id");
    cJSON_AddStringToObject(o, "status", st[oc->status]);
    if (oc->status == ACK_REJECTED) {
        cJSON_AddStringToObject(o, "code", reject_code_str(oc->code));
        cJSON_AddStringToObject(o, "reason", oc->reason);
    }
    if (oc->status == ACK_ACCEPTED && oc->void_pending) /* kept; it waits for its target */
        cJSON_AddTrueToObject(o, "void_pending");
    cJSON_AddItemToArray(a->acks, o);
}

static void batch_discard(struct svc *s)
{
    for (size_t i = 0; i < s->nouts; i++) {
        free(s->outs[i].topic);
        free(s->outs[i].payload);
        free(s->outs[i].corr);
    }
    s->nouts = 0;
    for (size_t i = 0; i < s->nacks; i++)
        cJSON_Delete(s->acks[i].acks);
    s->nacks = 0;
}

static void publish(struct svc *s, const char *topic, const char *payload, bool retained,
                    const void *corr, int corr_len)
{
    char err[MQ_ERR_MAX];
    MQTTProperties props = MQTTProperties_initializer;
    if (corr_len > 0) {
        MQTTProperty p;
        p.identifier = MQTTPROPERTY_CODE_CORRELATION_DATA;
        p.value.data.data = (char *)corr;
        p.value.data.len = corr_len;
        MQTTProperties_add(&props, &p);
    }
    if (mq_publish(s->mq, topic, payload, strlen(payload), 1, retained,
                   corr_len > 0 ? &props : NULL, NULL, err))
        olog(OLOG_WARN, "%s", err);
    MQTTProperties_free(&props);
}

/* After the commit: every promise made in the batch is kept on disk, so the
 * acks and replies may go out. */
static void batch_send(struct svc *s)
{
    char topic[TOPIC_MAX];
    for (size_t i = 0; i < s->nacks; i++) {
        cJSON *msg = cJSON_CreateObject();
        cJSON_AddItemToObject(msg, "acks", s->acks[i].acks);
        s->acks[i].acks = NULL;
        char *p = cJSON_PrintUnformatted(msg);
        cJSON_Delete(msg);
        if (p && topic_fmt(topic, sizeof topic, s->cfg->topic_root, "agents/%s/acks",
                           s->acks[i].agent) == 0)
            publish(s, topic, p, false, NULL, 0);
        free(p);
    }
    s->nacks = 0;
    for (size_t i = 0; i < s->nouts; i++)
        publish(s, s->outs[i].topic, s->outs[i].payload, s->outs[i].retained,
                s->outs[i].corr, s->outs[i].corr_len);
    batch_discard(s);
}

/* ---- what changed ------------------------------------------------------ */

static void mark_year(struct svc *s, int year)
{
    for (int i = 0; i < s->ndirty_years; i++)
        if (s->dirty_years[i] == year)
            return;
    if (s->ndirty_years < (int)(sizeof s->dirty_years / sizeof s->dirty_years[0]))
        s->dirty_years[s->ndirty_years++] = year;
    else
        s->all_dirty = true;
}

static void mark_trip(struct svc *s, const char *trip_id, int year)
{
    mark_year(s, year);
    for (int i = 0; i < s->ndirty_trips; i++)
        if (strcmp(s->dirty_trips[i], trip_id) == 0)
            return;
    if (s->ndirty_trips < (int)(sizeof s->dirty_trips / sizeof s->dirty_trips[0]))
        snprintf(s->dirty_trips[s->ndirty_trips++], ID_MAX + 1, "%s", trip_id);
    else
        s->all_dirty = true;
}

/* ---- handling one message ---------------------------------------------- */

static void handle_report(struct svc *s, struct item *it, const char *agent,
                          const char *kind, const char *now, bool *db_failed)
{
    struct report r;
    struct jerr err = {{0}};
    struct outcome oc = {0};
    enum reject_code code;
    if (it->orig_len > REPORT_MAX_BYTES) {
        code = RJ_TOO_LARGE;
        snprintf(err.msg, sizeof err.msg, "payload is %zu bytes, the limit is %d",
                 it->orig_len, REPORT_MAX_BYTES);
        memset(&r, 0, sizeof r);
    } else {
        code = report_decode(agent, kind, it->payload, it->len, &r, &err);
    }
    /* Any message on its reports topic is a sign of life of the agent (the
     * broker lets only it publish there), and a readable envelope tells
     * which seq it used, whatever becomes of the report. */
    if (store_agent_seen(s->store, agent, agents_report_seq(&r, agent), now)) {
        olog(OLOG_ERROR, "store failed on agent %s: %s", agent, store_errmsg(s->store));
        *db_failed = true;
        report_free(&r);
        return;
    }
    if (code == RJ_NONE) {
        if (intake_report(s->store, &r, it->payload, it->len, now, &oc)) {
            olog(OLOG_ERROR, "store failed on report %s from %s: %s", r.msg_id, agent,
                 store_errmsg(s->store));
            *db_failed = true;
            report_free(&r);
            return;
        }
    } else {
        intake_refuse(&oc, code, "%s", err.msg);
    }
    const char *msg_id = r.msg_id;
    if (oc.status == ACK_ACCEPTED) {
        s->b_accepted++;
        mark_trip(s, r.trip_id, oc.year);
        if (oc.target_trip_id[0]) /* a void changes the trip of what it voids */
            mark_trip(s, oc.target_trip_id, oc.target_year);
        if (oc.void_pending)
            olog(OLOG_INFO, "void %s from %s waits for its target %s, not received yet",
                 msg_id, agent, r.voids);
        else
            olog(OLOG_DEBUG, "accepted %s report %s from %s", kind, msg_id, agent);
    } else if (oc.status == ACK_DUPLICATE) {
        s->b_duplicate++;
        olog(OLOG_INFO, "duplicate report %s from %s: already counted", msg_id, agent);
    } else {
        s->b_rejected++;
        if (log_allowed(s))
            olog(OLOG_WARN, "rejected report %s from %s: %s (%s)",
                 msg_id ? msg_id : "(no msg_id)", agent, oc.reason, reject_code_str(oc.code));
        if (intake_keep_refused(s->store, &r, &oc, now, it->topic, agent, it->payload,
                                it->len, s->cfg->max_rejects)) {
            *db_failed = true;
            report_free(&r);
            return;
        }
    }
    ack_add(s, agent, msg_id, &oc);
    report_free(&r);
}

/* A response topic is honoured only under the requester's own replies topic,
 * so nobody can make the coordinator publish elsewhere. */
static const char *reply_topic(const char *resp, const char *fixed)
{
    size_t n = strlen(fixed);
    if (resp && strncmp(resp, fixed, n) == 0 && (resp[n] == '\0' || resp[n] == '/') &&
        !strpbrk(resp, "+#"))
        return resp;
    return fixed;
}

/* The refusal of a request past the contract's size, which is not parsed. */
static char *too_large_reply(const struct item *it)
{
    char why[96];
    snprintf(why, sizeof why, "request is %zu bytes, the limit is %d", it->orig_len,
             REQUEST_MAX_BYTES);
    return reply_error(NULL, "too_large", why);
}

/* Queues what a registration change publishes once committed: each notice
 * on its volunteer's replies topic, and the changed trips' cards (and their
 * progress, which counts registrations). */
static void effects_out(struct svc *s, struct reg_effects *fx)
{
    char topic[TOPIC_MAX];
    for (size_t i = 0; i < fx->notices.n; i++) {
        struct notice *n = &fx->notices.v[i];
        if (topic_fmt(topic, sizeof topic, s->cfg->topic_root, "volunteers/%s/replies",
                      n->volunteer_id) == 0) {
            out_add(s, topic, n->json, false, NULL, 0);
            n->json = NULL; /* out_add owns it now */
        }
    }
    for (int i = 0; i < fx->ntrips; i++) {
        struct trip_row t;
        if (topic_fmt(topic, sizeof topic, s->cfg->topic_root, "trips/%s", fx->trip_ids[i]) == 0)
            out_add(s, topic, store_trip_card(s->store, fx->trip_ids[i]), true, NULL, 0);
        if (store_trip_get(s->store, fx->trip_ids[i], &t) == OERR_OK)
            mark_trip(s, fx->trip_ids[i], t.year);
    }
    reg_effects_free(fx);
}

static void handle_volunteer(struct svc *s, struct item *it, const char *vid, const char *now,
                             bool *db_failed)
{
    char fixed[TOPIC_MAX];
    if (!id_is_agent(vid) ||
        topic_fmt(fixed, sizeof fixed, s->cfg->topic_root, "volunteers/%s/replies", vid)) {
        olog(OLOG_WARN, "ignored a request on a topic with an invalid volunteer id");
        return;
    }
    if (it->retained) {
        /* A request left retained would be answered at every resubscribe. */
        olog(OLOG_WARN, "ignored a retained request of volunteer %s", vid);
        return;
    }
    struct reg_effects fx;
    memset(&fx, 0, sizeof fx);
    int failed = 0;
    char *reply;
    if (it->orig_len > REQUEST_MAX_BYTES) {
        reply = too_large_reply(it);
    } else {
        reply = volunteer_handle(s->store, vid, it->payload, it->len, now, &fx, &failed);
    }
    if (failed) {
        *db_failed = true;
        free(reply);
        reg_effects_free(&fx);
        return;
    }
    out_add(s, reply_topic(it->resp_topic, fixed), reply, false, it->corr, it->corr_len);
    effects_out(s, &fx);
}

static void handle_admin(struct svc *s, struct item *it, const char *now, bool *db_failed)
{
    struct changes ch;
    int failed = 0;
    char *reply;
    if (it->orig_len > REQUEST_MAX_BYTES) {
        reply = too_large_reply(it);
        memset(&ch, 0, sizeof ch);
    } else {
        reply = admin_handle(s->store, it->payload, it->len, now, &ch, &failed);
    }
    if (failed) {
        *db_failed = true;
        free(reply);
        return;
    }
    /* A cancelled trip tells its registrants; more places promote the
     * wait-listed. Same transaction as the change itself. */
    struct reg_effects fx;
    memset(&fx, 0, sizeof fx);
    if (ch.trip_id[0] && registry_trip_changed(s->store, ch.trip_id, ch.reason, now, &fx)) {
        *db_failed = true;
        free(reply);
        reg_effects_free(&fx);
        return;
    }
    char fixed[TOPIC_MAX];
    topic_fmt(fixed, sizeof fixed, s->cfg->topic_root, "admin/replies");
    out_add(s, reply_topic(it->resp_topic, fixed), reply, false, it->corr, it->corr_len);
    effects_out(s, &fx);
    if (ch.trip_id[0]) {
        char topic[TOPIC_MAX];
        if (topic_fmt(topic, sizeof topic, s->cfg->topic_root, "trips/%s", ch.trip_id) == 0)
            out_add(s, topic, store_trip_card(s->store, ch.trip_id), true, NULL, 0);
        mark_trip(s, ch.trip_id, ch.year);
        if (ch.old.year && (ch.old.year != ch.year || strcmp(ch.old.county, ch.county) != 0)) {
            /* It left a year or a county: that one's figures change too, even
             * when no trip of it is left to list it. */
            mark_year(s, ch.old.year);
            if (s->ndirty_counties < (int)(sizeof s->dirty_counties / sizeof s->dirty_counties[0]))
                s->dirty_counties[s->ndirty_counties++] = ch.old;
            else
                s->all_dirty = true;
        }
    }
}

/* An agent's birth or will: stored, never answered. Anything invalid is
 * ignored (and logged at debug): a status is information, not a request. */
static void handle_status(struct svc *s, struct item *it, const char *agent, const char *now,
                          bool *db_failed)
{
    struct agent_status st;
    struct jerr err = {{0}};
    if (!id_is_agent(agent)) {
        if (status_log_allowed(s))
            olog(OLOG_DEBUG, "ignored a status on a topic with an invalid agent id");
        return;
    }
    if (it->orig_len > AGENT_STATUS_MAX_BYTES) {
        if (status_log_allowed(s))
            olog(OLOG_DEBUG, "ignored status of %s: %zu bytes, the limit is %d", agent,
                 it->orig_len, AGENT_STATUS_MAX_BYTES);
        return;
    }
    if (agent_status_decode(agent, it->payload, it->len, &st, &err)) {
        if (status_log_allowed(s))
            olog(OLOG_DEBUG, "ignored status of %s: %s", agent, err.msg);
        agent_status_free(&st);
        return;
    }
    if (store_agent_status(s->store, &st, !it->retained, now)) {
        olog(OLOG_ERROR, "store failed on the status of %s: %s", agent, store_errmsg(s->store));
        *db_failed = true;
    } else {
        olog(OLOG_DEBUG, "agent %s is %s%s", agent, st.online ? "online" : "offline",
             it->retained ? " (retained)" : "");
    }
    agent_status_free(&st);
}

static void handle_item(struct svc *s, struct item *it, const char *now, bool *db_failed)
{
    char scratch[TOPIC_MAX];
    const char *seg[5];
    int n = topic_split(it->topic, s->cfg->topic_root, scratch, sizeof scratch, seg, 5);
    if (n == 4 && strcmp(seg[0], "agents") == 0 && strcmp(seg[2], "reports") == 0) {
        if (!id_is_agent(seg[1])) {
            olog(OLOG_WARN, "ignored a report on a topic with an invalid agent id");
            return;
        }
        handle_report(s, it, seg[1], seg[3], now, db_failed);
    } else if (n == 3 && strcmp(seg[0], "agents") == 0 && strcmp(seg[2], "status") == 0) {
        handle_status(s, it, seg[1], now, db_failed);
    } else if (n == 2 && strcmp(seg[0], "admin") == 0 && strcmp(seg[1], "requests") == 0) {
        handle_admin(s, it, now, db_failed);
    } else if (n == 3 && strcmp(seg[0], "volunteers") == 0 && strcmp(seg[2], "requests") == 0) {
        handle_volunteer(s, it, seg[1], now, db_failed);
    } else {
        olog(OLOG_DEBUG, "ignored a message on an unexpected topic");
    }
}

/* Stores a batch and, once it is committed, sends its acks and replies
 * (unless send is false: disconnected). Returns 0, or -1 when the store
 * failed: nothing was promised then, and the caller may try again. */
static int process_batch(struct svc *s, struct item *items, bool send)
{
    char now[TU_TS_MAX];
    tu_format_ts(time(NULL), (int)s->cfg->tz_offset_min, now);
    s->b_accepted = s->b_duplicate = s->b_rejected = 0;
    bool failed = store_begin(s->store) != OERR_OK;
    for (struct item *it = items; it && !failed; it = it->next)
        handle_item(s, it, now, &failed);
    if (!failed && store_commit(s->store) != OERR_OK)
        failed = true;
    if (failed) {
        olog(OLOG_ERROR, "batch not stored: %s", store_errmsg(s->store));
        store_rollback(s->store);
        batch_discard(s);
        return -1;
    }
    s->n_accepted += s->b_accepted;
    s->n_duplicate += s->b_duplicate;
    s->n_rejected += s->b_rejected;
    if (send)
        batch_send(s);
    else
        batch_discard(s);
    return 0;
}

/* Paho acknowledged these messages to the broker before we saw them, so a
 * batch the store refuses (busy, disk full) is tried again, with a pause
 * that grows; only after about a minute is it given up, and then the agents'
 * resends (they never got an ack) bring the reports back. */
static void store_batch(struct svc *s, struct item *items, bool send)
{
    int pause_ms = 100;
    for (int attempt = 1; process_batch(s, items, send) != 0; attempt++) {
        if (attempt == 10) {
            olog(OLOG_ERROR, "gave up a batch after %d attempts; its agents will resend",
                 attempt);
            return;
        }
        for (int waited = 0; waited < pause_ms && !*s->stop; waited += 50)
            nanosleep(&(struct timespec){0, 50000000L}, NULL);
        pause_ms = pause_ms < 10000 ? pause_ms * 2 : 10000;
    }
}

/* ---- progress ---------------------------------------------------------- */

struct pub_ctx {
    struct svc *s;
    int year;
    struct odate today;
    const char *as_of;
    const struct targets *tg;
};

static void publish_json(struct svc *s, const char *topic, cJSON *o)
{
    if (!o)
        return;
    char *p = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (p)
        publish(s, topic, p, true, NULL, 0);
    free(p);
}

static int publish_county(void *ctx, const char *county, const char *county_name)
{
    struct pub_ctx *c = ctx;
    char topic[TOPIC_MAX];
    if (topic_fmt(topic, sizeof topic, c->s->cfg->topic_root, "progress/%d/counties/%s",
                  c->year, county) == 0)
        publish_json(c->s, topic, progress_year_json(c->s->store, c->year, county,
                                                     county_name, c->tg, c->today, c->as_of));
    return 0;
}

static int publish_year(void *ctx, int year)
{
    struct pub_ctx *c = ctx;
    char topic[TOPIC_MAX];
    c->year = year;
    if (topic_fmt(topic, sizeof topic, c->s->cfg->topic_root, "progress/%d", year) == 0)
        publish_json(c->s, topic, progress_year_json(c->s->store, year, NULL, NULL, c->tg,
                                                     c->today, c->as_of));
    if (topic_fmt(topic, sizeof topic, c->s->cfg->topic_root, "progress/%d/series", year) == 0)
        publish_json(c->s, topic, progress_series_json(c->s->store, year, c->tg, c->today,
                                                       c->as_of));
    store_counties_each(c->s->store, year, publish_county, c);
    return 0;
}

static void publish_trip_progress(struct pub_ctx *c, const char *trip_id)
{
    char topic[TOPIC_MAX];
    if (topic_fmt(topic, sizeof topic, c->s->cfg->topic_root, "trips/%s/progress",
                  trip_id) == 0)
        publish_json(c->s, topic, progress_trip_json(c->s->store, trip_id, c->as_of));
}

static int publish_trip_all(void *ctx, const struct trip_row *t)
{
    struct pub_ctx *c = ctx;
    char topic[TOPIC_MAX];
    if (topic_fmt(topic, sizeof topic, c->s->cfg->topic_root, "trips/%s", t->trip_id) == 0) {
        char *card = store_trip_card(c->s->store, t->trip_id);
        if (card)
            publish(c->s, topic, card, true, NULL, 0);
        free(card);
    }
    publish_trip_progress(c, t->trip_id);
    return 0;
}

static void publish_progress(struct svc *s, bool everything)
{
    char as_of[TU_TS_MAX];
    struct targets tg = {s->cfg->target_staff, s->cfg->target_consultations};
    tu_format_ts(time(NULL), (int)s->cfg->tz_offset_min, as_of);
    struct pub_ctx c = {s, 0, tu_today((int)s->cfg->tz_offset_min), as_of, &tg};
    if (everything || s->all_dirty) {
        store_years_each(s->store, publish_year, &c);
        store_trips_each(s->store, publish_trip_all, &c);
        clock_gettime(CLOCK_MONOTONIC, &s->last_refresh);
    } else {
        for (int i = 0; i < s->ndirty_years; i++)
            publish_year(&c, s->dirty_years[i]);
        for (int i = 0; i < s->ndirty_trips; i++)
            publish_trip_progress(&c, s->dirty_trips[i]);
    }
    for (int i = 0; i < s->ndirty_counties; i++) {
        c.year = s->dirty_counties[i].year;
        publish_county(&c, s->dirty_counties[i].county, s->dirty_counties[i].county_name);
    }
    s->ndirty_years = s->ndirty_trips = s->ndirty_counties = 0;
    s->all_dirty = false;
    clock_gettime(CLOCK_MONOTONIC, &s->last_progress);
}

/* ---- connection -------------------------------------------------------- */

static void publish_status(struct svc *s, bool online)
{
    char topic[TOPIC_MAX], since[TU_TS_MAX], body[128];
    topic_fmt(topic, sizeof topic, s->cfg->topic_root, "coordinator/status");
    tu_format_ts(time(NULL), (int)s->cfg->tz_offset_min, since);
    snprintf(body, sizeof body, "{\"online\":%s,\"since\":\"%s\"}", online ? "true" : "false",
             since);
    char err[MQ_ERR_MAX];
    if (online)
        publish(s, topic, body, true, NULL, 0);
    else if (mq_publish_wait(s->mq, topic, body, true, 2000, err)) /* the last word */
        olog(OLOG_WARN, "%s", err);
}

static int subscribe_all(struct svc *s, bool wait)
{
    /* Reports and requests are shared: each is handled by one coordinator of
     * the group. Agents' status is not: every coordinator keeps it. */
    static const struct {
        const char *part;
        bool shared;
    } subs[] = {
        {"agents/+/reports/+", true},
        {"admin/requests", true},
        {"volunteers/+/requests", true},
        {"agents/+/status", false},
    };
    char topic[TOPIC_MAX], err[MQ_ERR_MAX];
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
        if (subs[i].shared)
            snprintf(topic, sizeof topic, "$share/%s/%s/%s", s->cfg->share_group,
                     s->cfg->topic_root, subs[i].part);
        else
            snprintf(topic, sizeof topic, "%s/%s", s->cfg->topic_root, subs[i].part);
        if (wait) {
            if (mq_subscribe(s->mq, topic, 1, 10000, err)) {
                olog(OLOG_ERROR, "%s", err);
                return -1;
            }
        } else {
            MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
            MQTTAsync_subscribe(s->mq, topic, 1, &ro);
        }
    }
    return 0;
}

/* Paho's thread, after every automatic reconnect. */
static void on_connected(void *ctx, char *cause)
{
    struct svc *s = ctx;
    if (!__atomic_load_n(&s->initial_done, __ATOMIC_ACQUIRE))
        return;
    olog(OLOG_INFO, "reconnected to %s", s->cfg->broker);
    __atomic_store_n(&s->connected_at, (long long)tu_mono_ms(), __ATOMIC_RELEASE);
    subscribe_all(s, false);
    publish_status(s, true);
    /* A broker that restarted from its last snapshot may hold retained
     * progress and cards a second old: our thread republishes them all. */
    __atomic_store_n(&s->republish, 1, __ATOMIC_RELEASE);
}

static void on_lost(void *ctx, char *cause)
{
    struct svc *s = ctx;
    olog(OLOG_WARN, "lost the broker %s (%s); reconnecting", s->cfg->broker,
         cause ? cause : "no reason given");
    double since = tu_mono_ms() - (double)__atomic_load_n(&s->connected_at, __ATOMIC_ACQUIRE);
    if (since < 1500)
        __atomic_add_fetch(&s->fast_losses, 1, __ATOMIC_ACQ_REL);
    else
        __atomic_store_n(&s->fast_losses, 0, __ATOMIC_RELEASE);
}

static int connect_broker(struct svc *s)
{
    char err[MQ_ERR_MAX], will_topic[TOPIC_MAX];
    char *password = NULL;
    int rc = -1;
    if (s->cfg->password_file && !(password = mq_read_secret(s->cfg->password_file, err))) {
        olog(OLOG_ERROR, "%s", err);
        return -1;
    }
    if (mq_client_new(&s->mq, s->cfg->broker, s->cfg->client_id, 100000, err)) {
        olog(OLOG_ERROR, "%s", err);
        goto done;
    }
    MQTTAsync_setCallbacks(s->mq, s, on_lost, on_message, NULL);
    MQTTAsync_setConnected(s->mq, s, on_connected);
    topic_fmt(will_topic, sizeof will_topic, s->cfg->topic_root, "coordinator/status");
    struct mq_conn_opts o = {
        .username = s->cfg->username,
        .password = password,
        .clean_start = false, /* reports sent while we are away wait for us */
        .session_expiry_s = (unsigned)s->cfg->session_expiry_s,
        .keepalive_s = (int)s->cfg->keepalive_s,
        .max_inflight = 1000,
        .auto_reconnect = true,
        .will_topic = will_topic,
        .will_payload = "{\"online\":false}",
        .will_retained = true,
        .tls = &s->cfg->tls,
        .uri = s->cfg->broker,
    };
    int delay = 1;
    while (!*s->stop) {
        bool sp = false;
        if (mq_connect(s->mq, &o, 10000, &sp, err) == 0) {
            olog(OLOG_INFO, "connected to %s as %s (session %s)", s->cfg->broker,
                 s->cfg->client_id, sp ? "resumed" : "new");
            rc = 0;
            break;
        }
        olog(OLOG_WARN, "cannot reach broker %s: %s; retrying in %d s", s->cfg->broker, err,
             delay);
        for (int i = 0; i < delay * 10 && !*s->stop; i++)
            nanosleep(&(struct timespec){0, 100000000L}, NULL);
        delay = delay < 16 ? delay * 2 : 16;
    }
    if (rc == 0 && subscribe_all(s, true))
        rc = -1;
    if (rc == 0)
        __atomic_store_n(&s->connected_at, (long long)tu_mono_ms(), __ATOMIC_RELEASE);
done:
    free(password);
    return rc;
}

/* Seen once in CI after a broker restart: Paho 1.3.12 resent something the
 * broker called a malformed packet, and did so again on every automatic
 * reconnect, so no report could arrive any more. After 5 such connections
 * in a row the client is thrown away and a fresh one connects to the same
 * persistent session: the reports queued at the broker still come; what
 * Paho had not sent yet (acks, replies, progress) is lost, and the agents'
 * resends and our full republish make up for it. */
static void renew_client_if_stuck(struct svc *s)
{
    if (__atomic_load_n(&s->fast_losses, __ATOMIC_ACQUIRE) < 5)
        return;
    olog(OLOG_ERROR, "the broker closed our connection right after each of the last 5"
                     " connects; starting a fresh MQTT client");
    __atomic_store_n(&s->initial_done, 0, __ATOMIC_RELEASE);
    for (int delay = 1; !*s->stop; delay = delay < 16 ? delay * 2 : 16) {
        mq_close(&s->mq, 1000);
        __atomic_store_n(&s->fast_losses, 0, __ATOMIC_RELEASE);
        if (connect_broker(s) == 0) {
            __atomic_store_n(&s->initial_done, 1, __ATOMIC_RELEASE);
            publish_status(s, true);
            __atomic_store_n(&s->republish, 1, __ATOMIC_RELEASE);
            return;
        }
        /* Connected but not subscribed: start over with yet another client. */
        for (int i = 0; i < delay * 10 && !*s->stop; i++)
            nanosleep(&(struct timespec){0, 100000000L}, NULL);
    }
}

/* ---- main loop --------------------------------------------------------- */

static struct item *take_batch(struct svc *s, long wait_ms)
{
    pthread_mutex_lock(&s->qm);
    if (!s->head && wait_ms > 0) {
        struct timespec until;
        tu_deadline(&until, CLOCK_MONOTONIC, wait_ms);
        pthread_cond_timedwait(&s->nonempty, &s->qm, &until);
    }
    struct item *first = s->head, *last = NULL;
    long long n = 0;
    long long bytes = 0;
    for (struct item *it = s->head; it && n < s->cfg->batch_max; it = it->next) {
        last = it;
        n++;
        bytes += (long long)(sizeof *it + strlen(it->topic) + it->len + 64);
    }
    if (last) {
        s->head = last->next;
        if (!s->head)
            s->tail = NULL;
        last->next = NULL;
        s->count -= n;
        s->bytes -= bytes;
    }
    pthread_mutex_unlock(&s->qm);
    return first;
}

int service_run(const struct coord_config *cfg, volatile sig_atomic_t *stop)
{
    struct svc s = {.cfg = cfg, .stop = stop};
    char err[256];
    int rc = 1;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&s.qm, NULL);
    pthread_cond_init(&s.nonempty, &ca);
    pthread_condattr_destroy(&ca);

    if (store_open(cfg->db, &s.store, err)) {
        olog(OLOG_ERROR, "%s", err);
        goto done;
    }
    store_set_reply_limits(s.store, cfg->reply_keep, cfg->reply_days);
    if (connect_broker(&s))
        goto done;
    __atomic_store_n(&s.initial_done, 1, __ATOMIC_RELEASE);
    publish_status(&s, true);
    publish_progress(&s, true); /* retained state matches the store from the start */
    olog(OLOG_INFO, "coordinator ready: store %s, targets %lld staff / %lld consultations",
         cfg->db, cfg->target_staff, cfg->target_consultations);

    while (!*stop) {
        bool pending = s.ndirty_years || s.ndirty_trips || s.all_dirty || s.ndirty_counties;
        long wait = 200;
        if (pending) {
            double left = (double)cfg->progress_interval_ms - elapsed_ms(&s.last_progress);
            wait = left <= 0 ? 0 : (long)left + 1;
        }
        struct item *batch = take_batch(&s, wait);
        if (batch) {
            store_batch(&s, batch, true);
            items_free(batch);
        }
        log_tick(&s);
        renew_client_if_stuck(&s);
        pending = s.ndirty_years || s.ndirty_trips || s.all_dirty || s.ndirty_counties;
        if (__atomic_exchange_n(&s.republish, 0, __ATOMIC_ACQ_REL))
            publish_progress(&s, true);
        else if (pending && elapsed_ms(&s.last_progress) >= (double)cfg->progress_interval_ms)
            publish_progress(&s, false);
        else if (elapsed_ms(&s.last_refresh) >= (double)cfg->refresh_s * 1000.0)
            publish_progress(&s, true);
    }
    /* Stopping. Everything Paho received is already acknowledged to the
     * broker, so all of it is stored before we go: first for a moment while
     * still connected (acks still go out), then after disconnecting, when
     * nothing more can arrive (their agents get 'duplicate' on resending). */
    double until = tu_mono_ms() + 2000;
    struct item *batch;
    while (tu_mono_ms() < until && (batch = take_batch(&s, 50)) != NULL) {
        store_batch(&s, batch, true);
        items_free(batch);
    }
    if (s.ndirty_years || s.ndirty_trips || s.all_dirty || s.ndirty_counties)
        publish_progress(&s, false);
    publish_status(&s, false);
    mq_close(&s.mq, 1000);
    long long late = 0;
    while ((batch = take_batch(&s, 0)) != NULL) {
        for (struct item *it = batch; it; it = it->next)
            late++;
        store_batch(&s, batch, false);
        items_free(batch);
    }
    olog(OLOG_INFO, "coordinator stopped: %lld accepted, %lld duplicate, %lld rejected"
         " (%lld stored after disconnecting)", s.n_accepted, s.n_duplicate, s.n_rejected, late);
    rc = 0;
done:
    mq_close(&s.mq, 1000);
    store_close(s.store);
    batch_discard(&s);
    free(s.outs);
    free(s.acks);
    items_free(s.head);
    pthread_mutex_destroy(&s.qm);
    pthread_cond_destroy(&s.nonempty);
    return rc;
}
