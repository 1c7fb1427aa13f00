/* service.c -- the coordinator daemon: Paho's thread queues messages (inbox.c),
 * the main thread validates and commits them in batches, routed by topic to
 * the handlers below, then sends the batch's acks and replies (ackbatch.c)
 * and republishes progress at most every progress_interval_ms (publish.c). */
#include "service.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ackbatch.h"
#include "alerts_run.h"
#include "admin.h"
#include "cli.h"
#include "registry.h"
#include "agents.h"
#include "ids.h"
#include "inbox.h"
#include "intake.h"
#include "mq.h"
#include "olog.h"
#include "publish.h"
#include "report.h"
#include "store.h"
#include "timeutil.h"
#include "topics.h"
#include "targets_file.h"
#include "tripcard.h"

struct log_rate {
    double second; /* when the current second began (monotonic ms) */
    int logged;
    long long not_logged;
};

struct svc {
    const struct coord_config *cfg;
    volatile sig_atomic_t *stop;
    bool damaged; /* the store is damaged: stop, storing nothing more */
    bool leading; /* this coordinator publishes the retained topics (store_leader) */
    bool status_again; /* coordinator/status said offline: the leader says online again */
    struct store *store;
    MQTTAsync mq;
    int initial_done;
    int republish; /* set on reconnect: the broker may have lost retained state */
    /* Connections the broker closed within a second of our (re)connect, in a
     * row: the sign of a client whose resend state the broker rejects. */
    int fast_losses;
    long long connected_at; /* monotonic ms of the last (re)connect */

    struct inbox *inbox;    /* what Paho's thread received */
    struct ackbatch *batch; /* what the batch will send once it is committed */
    struct publisher *pub;  /* what changed since progress was last published */
    struct alerter *alerts; /* alerts_run.h: each minute, after a status or a figure */
    struct intake_seen seen; /* agents seen in the batch, written at its end */

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

/* ---- what a batch sends and marks -------------------------------------- */

/* The outlet of the batch and of progress: every message of ours goes out
 * here, but the offline status, which is waited for. */
static void publish(void *ctx, const char *topic, const char *payload, bool retained,
                    const void *corr, int corr_len)
{
    struct svc *s = ctx;
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

static void out_add(struct svc *s, const char *topic, char *payload, bool retained,
                    const void *corr, int corr_len)
{
    ackbatch_out(s->batch, topic, payload, retained, corr, corr_len);
}

static void ack_add(struct svc *s, const char *agent, const char *msg_id,
                    const struct outcome *oc)
{
    static const char *const st[] = {"accepted", "duplicate", "rejected"};
    bool rejected = oc->status == ACK_REJECTED;
    struct ack a = {
        .msg_id = msg_id,
        .status = st[oc->status],
        .code = rejected ? reject_code_str(oc->code) : NULL,
        .reason = rejected ? oc->reason : NULL,
        .void_pending = oc->status == ACK_ACCEPTED && oc->void_pending,
    };
    ackbatch_ack(s->batch, agent, &a);
}

static void mark_trip(struct svc *s, const char *trip_id, int year)
{
    publish_mark_trip(s->pub, trip_id, year);
    alerter_mark(s->alerts); /* its county's figures: county_behind */
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
     * which seq it used, whatever becomes of the report: noted, and written
     * once per agent at the end of the batch (process_batch). */
    long long seq = agents_report_seq(&r, agent);
    if (intake_seen_add(&s->seen, agent, seq) && store_agent_seen(s->store, agent, seq, now)) {
        olog(OLOG_ERROR, "store failed on agent %s: %s", agent, store_errmsg(s->store));
        *db_failed = true;
        report_free(&r);
        return;
    }
    publish_mark_agent(s->pub, agent); /* its devices/ message */
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
    if (oc.status == ACK_ACCEPTED || oc.status == ACK_DUPLICATE)
        intake_seen_trip(&s->seen, agent, seq, r.trip_id); /* devices/: its trip */
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

/* A trip's card changed in this batch: the leader queues it to publish once
 * committed; a follower leaves it to the leader (publish_mark_card), so that
 * two coordinators' cards never cross on the retained topic. */
static void card_out(struct svc *s, const char *trip_id)
{
    char topic[TOPIC_MAX];
    if (!s->leading)
        publish_mark_card(s->pub, trip_id);
    else if (topic_fmt(topic, sizeof topic, s->cfg->topic_root, "trips/%s", trip_id) == 0)
        out_add(s, topic, tripcard_json(s->store, trip_id), true, NULL, 0);
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
        card_out(s, fx->trip_ids[i]);
        if (store_trip_get(s->store, fx->trip_ids[i], &t) == OERR_OK)
            mark_trip(s, fx->trip_ids[i], t.year);
    }
    reg_effects_free(fx);
}

static void handle_volunteer(struct svc *s, struct item *it, const char *const *lv,
                             const char *now, bool *db_failed)
{
    const char *vid = lv[1];
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

static void handle_admin(struct svc *s, struct item *it, const char *const *lv,
                         const char *now, bool *db_failed)
{
    (void)lv;
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
        card_out(s, ch.trip_id);
        mark_trip(s, ch.trip_id, ch.year);
        /* It left a year or a county: that one's figures change too, even
         * when no trip of it is left to list it. */
        if (ch.old.year && (ch.old.year != ch.year || strcmp(ch.old.county, ch.county) != 0))
            publish_mark_county(s->pub, &ch.old);
    } else if (ch.year) {
        publish_mark_year(s->pub, ch.year); /* targets.set: its counties' county_targets */
        if (ch.old.year) /* targets.unset: the county may be listed no more */
            publish_mark_county(s->pub, &ch.old);
        alerter_mark(s->alerts);
    }
    if (ch.villages)
        publish_mark_all(s->pub); /* the register changed: every year's coverage */
}

/* An agent's birth or will: stored, never answered. Anything invalid is
 * ignored (and logged at debug): a status is information, not a request. */
static void handle_status(struct svc *s, struct item *it, const char *const *lv,
                          const char *now, bool *db_failed)
{
    const char *agent = lv[1];
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
        publish_mark_agent(s->pub, agent);
        olog(OLOG_DEBUG, "agent %s is %s%s", agent, st.online ? "online" : "offline",
             it->retained ? " (retained)" : "");
        alerter_mark(s->alerts);
    }
    agent_status_free(&st);
}

/* coordinator/status, the coordinators' own: each publishes its birth there
 * and leaves its will, so a follower that dies (several coordinators
 * sharing a PostgreSQL store) says "offline" while the leader runs; seeing
 * it, the leader says online again (serve). Nothing else is read of it. */
static void handle_coordinator_status(struct svc *s, struct item *it, const char *const *lv,
                                      const char *now, bool *db_failed)
{
    (void)lv;
    (void)now;
    (void)db_failed;
    char body[129];
    if (it->len >= sizeof body)
        return;
    memcpy(body, it->payload, it->len);
    body[it->len] = '\0';
    if (strstr(body, "\"online\":false"))
        s->status_again = true;
}

/* A report's topic names its agent, which must be a valid id. */
static void route_report(struct svc *s, struct item *it, const char *const *lv,
                         const char *now, bool *db_failed)
{
    if (!id_is_agent(lv[1])) {
        olog(OLOG_WARN, "ignored a report on a topic with an invalid agent id");
        return;
    }
    handle_report(s, it, lv[1], lv[3], now, db_failed);
}

/* ---- the topics we subscribe to and who handles each ------------------- */

/* A handler gets the message, its topic's levels under topic_root, and the
 * time the batch began; it sets *db_failed when the store failed. */
typedef void handler_fn(struct svc *s, struct item *it, const char *const *lv,
                        const char *now, bool *db_failed);

/* One row per subscription, in the order they are made. Reports and
 * requests are shared: each is handled by one coordinator of the group.
 * Agents' status is not: every coordinator keeps it. */
static const struct route {
    const char *filter; /* under topic_root; a '+' level matches any one level */
    bool shared;
    handler_fn *handle;
} routes[] = {
    {"agents/+/reports/+", true, route_report},
    {"admin/requests", true, handle_admin},
    {"volunteers/+/requests", true, handle_volunteer},
    {"agents/+/status", false, handle_status},
    {"coordinator/status", false, handle_coordinator_status},
};
#define ROUTES_N (sizeof routes / sizeof routes[0])
#define ROUTE_LEVELS_MAX 5 /* more than any filter has */

/* Whether the n levels lv match filter level by level. */
static bool route_matches(const char *filter, const char *const *lv, int n)
{
    const char *f = filter;
    for (int i = 0; i < n; i++) {
        size_t len = strcspn(f, "/");
        bool any = len == 1 && f[0] == '+';
        if (!any && (strlen(lv[i]) != len || strncmp(lv[i], f, len) != 0))
            return false;
        f += len;
        if (*f == '\0')
            return i + 1 == n;
        f++;
    }
    return false;
}

static void handle_item(struct svc *s, struct item *it, const char *now, bool *db_failed)
{
    char scratch[TOPIC_MAX];
    const char *lv[ROUTE_LEVELS_MAX];
    int n = topic_split(it->topic, s->cfg->topic_root, scratch, sizeof scratch, lv,
                        ROUTE_LEVELS_MAX);
    for (size_t i = 0; i < ROUTES_N; i++) {
        if (route_matches(routes[i].filter, lv, n)) {
            routes[i].handle(s, it, lv, now, db_failed);
            return;
        }
    }
    olog(OLOG_DEBUG, "ignored a message on an unexpected topic");
}

/* A follower's marks go to the leader with the batch's commit
 * (store_announce), so that the retained figures follow every coordinator's
 * reports within the progress interval; the leader applies them (serve).
 * They go as few announcements of many lines, not one a mark: each is a
 * statement, and a batch marks up to an agent a report. */
struct announcing {
    struct store *store;
    char text[7000]; /* under PostgreSQL's 8,000 bytes a notification */
    size_t len;
};

static int announce_flush(struct announcing *a)
{
    if (!a->len)
        return 0;
    a->len = 0;
    return store_announce(a->store, a->text) != OERR_OK;
}

static int announce_one(void *ctx, const char *what)
{
    struct announcing *a = ctx;
    size_t n = strlen(what);
    if (a->len + n + 2 > sizeof a->text && announce_flush(a))
        return 1;
    if (n + 2 > sizeof a->text)
        return 0; /* no mark is that long */
    a->len += (size_t)snprintf(a->text + a->len, sizeof a->text - a->len, "%s%s",
                               a->len ? "\n" : "", what);
    return 0;
}

static int announce_batch(struct svc *s)
{
    struct announcing a = {.store = s->store};
    return publish_announce(s->pub, announce_one, &a) || announce_flush(&a);
}

static void apply_one(void *ctx, const char *lines)
{
    struct svc *s = ctx;
    char what[ID_MAX + 16];
    for (const char *p = lines; *p;) {
        size_t n = strcspn(p, "\n");
        snprintf(what, sizeof what, "%.*s", (int)(n < sizeof what ? n : sizeof what - 1), p);
        publish_apply(s->pub, what);
        p += n + (p[n] == '\n');
    }
    alerter_mark(s->alerts);
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
    if (!failed && intake_seen_flush(&s->seen, s->store, now) != OERR_OK) {
        olog(OLOG_ERROR, "store failed on the agents seen: %s", store_errmsg(s->store));
        failed = true;
    }
    if (!failed && !s->leading && announce_batch(s)) {
        olog(OLOG_ERROR, "store failed on the batch's announcements: %s", store_errmsg(s->store));
        failed = true;
    }
    if (!failed && store_commit(s->store) != OERR_OK)
        failed = true;
    if (failed) {
        olog(OLOG_ERROR, "batch not stored: %s", store_errmsg(s->store));
        intake_seen_clear(&s->seen);
        store_rollback(s->store);
        ackbatch_discard(s->batch);
        return -1;
    }
    s->n_accepted += s->b_accepted;
    s->n_duplicate += s->b_duplicate;
    s->n_rejected += s->b_rejected;
    if (send)
        ackbatch_send(s->batch);
    else
        ackbatch_discard(s->batch);
    return 0;
}

/* Paho acknowledged these messages to the broker before we saw them, so a
 * batch the store refuses (busy, disk full) is tried again, with a pause
 * that grows; only after about a minute is it given up, and then the agents'
 * resends (they never got an ack) bring the reports back. A damaged store
 * (the open checks only its small tables) fails every batch alike: the
 * coordinator says so once and stops (s->damaged) with nothing more stored
 * or acknowledged: the agents keep their reports and resend them to the
 * repaired store. */
static void store_batch(struct svc *s, struct item *items, bool send)
{
    int pause_ms = 100;
    for (int attempt = 1; process_batch(s, items, send) != 0; attempt++) {
        if (store_damaged(s->store)) {
            olog(OLOG_ERROR, "the store %s is damaged (%s): stop the coordinator and run "
                 "'outreach-coordinator check --db %s'", s->cfg->db, store_damage(s->store),
                 s->cfg->db);
            s->damaged = true; /* writing nothing more into it */
            return;
        }
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
    char topic[TOPIC_MAX], err[MQ_ERR_MAX];
    for (size_t i = 0; i < ROUTES_N; i++) {
        if (routes[i].shared)
            snprintf(topic, sizeof topic, "$share/%s/%s/%s", s->cfg->share_group,
                     s->cfg->topic_root, routes[i].filter);
        else
            snprintf(topic, sizeof topic, "%s/%s", s->cfg->topic_root, routes[i].filter);
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

/* Paho's thread: the message goes to the inbox, never waiting. */
static int on_message(void *ctx, char *topic, int topic_len, MQTTAsync_message *m)
{
    struct svc *s = ctx;
    return inbox_on_message(s->inbox, topic, topic_len, m);
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
    /* A SQLite store has one coordinator: reports sent while it is away wait
     * in its session. Coordinators sharing a PostgreSQL store share the
     * subscription, and the broker (Mosquitto) keeps handing a member whose
     * session it keeps its share of the messages: one that is gone keeps no
     * session, so that the others get everything at once (what it had not
     * acknowledged, its agents resend). */
    long long expiry = s->cfg->session_expiry_s >= 0 ? s->cfg->session_expiry_s
                       : store_is_server(s->cfg->db) ? 0 : 7 * 24 * 3600;
    struct mq_conn_opts o = {
        .username = s->cfg->username,
        .password = password,
        .clean_start = expiry == 0,
        .session_expiry_s = (unsigned)expiry,
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

/* Whether this coordinator publishes the retained topics: the one of the
 * coordinators sharing the store that holds its leadership (store_leader;
 * with SQLite, always). A follower stores, acks and answers like the leader
 * but publishes nothing retained and evaluates no alerts; the coordinator
 * that becomes the leader publishes everything from the store, so that no
 * figure on a retained topic is older than the store's. */
static bool lead(struct svc *s, bool *became)
{
    bool changed = false;
    bool now = store_leader(s->store, &changed);
    *became = changed && now;
    if (*became || (now && s->status_again)) /* another's will may have said offline */
        publish_status(s, true);
    s->status_again = false;
    if (changed)
        olog(OLOG_INFO, now ? "this coordinator publishes the retained topics (the leader)"
                            : "another coordinator publishes the retained topics");
    s->leading = now;
    return now;
}

/* Until *stop: stores what arrives in batches, republishes progress when
 * due, and everything after a reconnect or on becoming the leader. */
static void serve(struct svc *s)
{
    while (!*s->stop && !s->damaged) {
        /* a follower looks at the leadership at least every half second */
        long wait = publish_wait_ms(s->pub);
        struct item *batch = inbox_take(s->inbox, s->leading || wait < 500 ? wait : 500);
        if (batch) {
            store_batch(s, batch, true);
            inbox_items_free(batch);
        }
        log_tick(s);
        renew_client_if_stuck(s);
        bool became, again = __atomic_exchange_n(&s->republish, 0, __ATOMIC_ACQ_REL);
        if (!lead(s, &became)) {
            publish_forget(s->pub);
            continue;
        }
        /* what the followers committed (before a full publication: nothing
         * committed after it is missed) */
        if (store_announced(s->store, apply_one, s))
            olog(OLOG_WARN, "cannot read the other coordinators' announcements: %s",
                 store_errmsg(s->store));
        if (became || again) {
            publish_progress(s->pub, true);
            alerter_publish_all(s->alerts);
        } else {
            publish_if_due(s->pub);
        }
        alerter_tick(s->alerts, time(NULL)); /* the coordinator's own clock */
    }
}

/* Stopping. Everything Paho received is already acknowledged to the broker,
 * so all of it is stored before we go: first for a moment while still
 * connected (acks still go out), then after disconnecting, when nothing more
 * can arrive (their agents get 'duplicate' on resending). */
static void shut_down(struct svc *s)
{
    double until = tu_mono_ms() + 2000;
    struct item *batch;
    while (tu_mono_ms() < until && (batch = inbox_take(s->inbox, 50)) != NULL) {
        store_batch(s, batch, true);
        inbox_items_free(batch);
    }
    if (s->leading && publish_pending(s->pub))
        publish_progress(s->pub, false);
    publish_status(s, false);
    mq_close(&s->mq, 1000);
    long long late = 0;
    while ((batch = inbox_take(s->inbox, 0)) != NULL) {
        for (struct item *it = batch; it; it = it->next)
            late++;
        store_batch(s, batch, false);
        inbox_items_free(batch);
    }
    olog(OLOG_INFO, "coordinator stopped: %lld accepted, %lld duplicate, %lld rejected"
         " (%lld stored after disconnecting)", s->n_accepted, s->n_duplicate, s->n_rejected,
         late);
}

int service_run(const struct coord_config *cfg, volatile sig_atomic_t *stop)
{
    struct svc s = {.cfg = cfg, .stop = stop};
    struct outlet out = {publish, &s};
    char err[256];
    int rc = 1;

    oerr_t orc = store_open(cfg->db, &s.store, err);
    if (orc) {
        olog(OLOG_ERROR, "%s", err);
        if (orc == OERR_CORRUPT)
            rc = EXIT_REFUSED; /* a restart would find the same damage */
        goto done;
    }
    store_set_reply_limits(s.store, cfg->reply_keep, cfg->reply_days);
    /* months (issue 13): reports go in months at the coordinator's offset */
    if (store_month_offset(s.store, (int)cfg->tz_offset_min)) {
        olog(OLOG_ERROR, "cannot compute the month figures of %s at tz_offset_min %lld: %s",
             cfg->db, cfg->tz_offset_min, store_errmsg(s.store));
        goto done;
    }
    if (cfg->targets_file) { /* reach: targets per county and township */
        char now[TU_TS_MAX];
        int rows;
        tu_format_ts(time(NULL), (int)cfg->tz_offset_min, now);
        if (targets_file_load(s.store, cfg->targets_file, now, &rows, err)) {
            olog(OLOG_ERROR, "%s", err);
            rc = EXIT_USAGE;
            goto done;
        }
        olog(OLOG_INFO, "targets_file %s: %d targets read", cfg->targets_file, rows);
    }
    if (store_checkpoint_behind(s.store))
        olog(OLOG_WARN, "checkpoints stay in the commits that fill the WAL");
    s.inbox = inbox_new(cfg->queue_max_bytes, cfg->batch_max);
    s.batch = ackbatch_new(cfg->topic_root, out);
    s.pub = publisher_new(cfg, s.store, out);
    s.alerts = alerter_new(cfg, s.store, out);
    if (!s.inbox || !s.batch || !s.pub || !s.alerts) {
        olog(OLOG_ERROR, "out of memory starting the coordinator");
        goto done;
    }
    inbox_set_linger(s.inbox, cfg->linger_ms);
    if (connect_broker(&s))
        goto done;
    __atomic_store_n(&s.initial_done, 1, __ATOMIC_RELEASE);
    publish_status(&s, true);
    bool became;
    if (lead(&s, &became)) {
        if (store_announced(s.store, apply_one, &s)) /* from now on: the followers' */
            olog(OLOG_WARN, "cannot listen to the other coordinators: %s", store_errmsg(s.store));
        publish_progress(s.pub, true); /* retained state matches the store from the start */
        alerter_publish_all(s.alerts);
    }
    olog(OLOG_INFO, "coordinator ready: store %s, targets %lld staff / %lld consultations",
         cfg->db, cfg->target_staff, cfg->target_consultations);
    serve(&s);
    if (s.damaged) {
        publish_status(&s, false);
        rc = EXIT_REFUSED; /* not restarted (RestartPreventExitStatus=3) */
        goto done;
    }
    shut_down(&s);
    rc = 0;
done:
    mq_close(&s.mq, 1000);
    ackbatch_free(s.batch);
    publisher_free(s.pub);
    alerter_free(s.alerts);
    store_close(s.store);
    inbox_free(s.inbox);
    intake_seen_free(&s.seen);
    return rc;
}
