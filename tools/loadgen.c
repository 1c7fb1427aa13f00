/* loadgen.c -- outreach-loadgen: simulated field agents (run), the raw broker
 * rate (raw, lg_raw.c) and idle field devices (idle, lg_idle.c).
 *
 * run: N agents, each its own MQTT 5 connection (client id AGENT.lg, clean
 * start), subscribed to its acks topic, with an in-memory outbox: M headcount
 * reports with fixed msg_id and seq 1..M, each resent (same bytes) until an
 * answer comes, at most --window unanswered per agent. Paho's callbacks only
 * copy and signal; one thread (main) does all the sending and bookkeeping. */
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ids.h"
#include "jsonget.h"
#include "loadgen.h"
#include "mq.h"
#include "mqtls.h"
#include "report.h"
#include "timeutil.h"
#include "topics.h"

#define PROGRESS_WAIT_MS 30000
#define START_WAIT_MS 30000.0 /* longest wait for every agent's connection */
#define MAX_REJECT_LINES 5

enum rstate { R_NEW, R_SENT, R_ANSWERED };
enum rstatus { S_ACCEPTED, S_DUPLICATE, S_REJECTED };

struct lg;

struct lrep {
    char msg_id[UUID_LEN + 1];
    char *payload;
    int len;
    int seq;
    unsigned char state;  /* enum rstate */
    unsigned char status; /* enum rstatus of the first answer */
    unsigned short n_accepted;
    unsigned short sends;
    /* The ack message that first said accepted (a hash of its bytes): the
     * same message again is the broker redelivering it (QoS 1: a broker
     * killed and restarted replays what its last autosave still held), not
     * the coordinator accepting the report twice. */
    uint64_t accepted_in;
    double first_ms, last_ms, answer_ms;
    struct agent *ag;
};

struct agent {
    struct lg *lg;
    char id[ID_MAX + 1];
    char client_id[ID_MAX + 8];
    char *password;
    char report_topic[TOPIC_MAX], ack_topic[TOPIC_MAX], status_topic[TOPIC_MAX];
    char will[160];
    MQTTAsync c;
    struct lrep *r;  /* M reports, seq i + 1 at r[i] */
    int next_new;      /* first report never sent */
    int low;           /* first report not answered */
    int inflight;      /* sent, not answered */
    /* Set by Paho's threads, read by main. */
    atomic_int connected, need_sub, ready, resend_all, conn_failed, conn_gen;
    int resent_gen; /* the connection whose start made us resend everything */
    bool live;      /* main thread's view: subscribed on the current connection */
    double sub_at_ms;
};

/* One acks message, copied out of Paho's callback. */
struct inmsg {
    struct inmsg *next;
    struct agent *ag;
    char *payload;
    size_t len;
    double at_ms;
};

struct lg {
    /* options */
    const char *broker, *secrets, *prefix, *trip, *root, *json;
    long long agents, first, per_agent, rate, window, resend_ms, deadline_s;
    bool check_progress;
    bool random_ids; /* version 4 msg_ids, as devices before time-ordered ones */
    struct mq_tls tls; /* for an ssl:// broker; points into argv */

    struct agent *ag;
    struct lrep **table; /* msg_id hash table, open addressing */
    size_t table_mask;

    pthread_mutex_t m;
    pthread_cond_t cv;
    struct inmsg *head, *tail;
    long long events;

    /* progress reader */
    long long progress_count;
    bool progress_seen;

    /* figures */
    long long total, answered, sent, resends, accepted, duplicate, rejected, accepted_twice;
    long long redelivered; /* an 'accepted' again in the very same ack message */
    long long ack_messages, unknown_acks, publish_errors, reject_lines, connect_failures;
    long long resends_reconnect, connects;
    double first_pub_ms, last_answer_ms;
};

/* ---- signalling from Paho's threads ------------------------------------ */

static void wake(struct lg *lg)
{
    pthread_mutex_lock(&lg->m);
    lg->events++;
    pthread_cond_signal(&lg->cv);
    pthread_mutex_unlock(&lg->m);
}

static int on_message(void *ctx, char *topic, int topic_len, MQTTAsync_message *m)
{
    struct agent *ag = ctx;
    struct lg *lg = ag->lg;
    double now = tu_mono_ms();
    struct inmsg *in = calloc(1, sizeof *in);
    size_t len = m->payloadlen > 0 ? (size_t)m->payloadlen : 0;
    if (in && (in->payload = malloc(len + 1)) != NULL) {
        memcpy(in->payload, m->payload, len);
        in->payload[len] = '\0';
        in->len = len;
        in->ag = ag;
        in->at_ms = now;
        pthread_mutex_lock(&lg->m);
        if (lg->tail)
            lg->tail->next = in;
        else
            lg->head = in;
        lg->tail = in;
        lg->events++;
        pthread_cond_signal(&lg->cv);
        pthread_mutex_unlock(&lg->m);
    } else {
        free(in); /* lost: the report is resent and answered again */
    }
    MQTTAsync_freeMessage(&m);
    MQTTAsync_free(topic);
    return 1;
}

/* Paho calls this after every successful connect, the first one included. */
static void on_connected(void *ctx, char *cause)
{
    struct agent *ag = ctx;
    atomic_fetch_add(&ag->conn_gen, 1);
    atomic_store(&ag->connected, 1);
    atomic_store(&ag->need_sub, 1);
    wake(ag->lg);
}

static void on_conn_fail(void *ctx, MQTTAsync_failureData5 *d)
{
    struct agent *ag = ctx;
    atomic_store(&ag->conn_failed, 1);
    wake(ag->lg);
}

static void on_lost(void *ctx, char *cause)
{
    struct agent *ag = ctx;
    atomic_store(&ag->connected, 0);
    atomic_store(&ag->ready, 0);
    wake(ag->lg);
}

static void on_sub_ok(void *ctx, MQTTAsync_successData5 *d)
{
    struct agent *ag = ctx;
    if (d && d->reasonCode >= 0x80) {
        atomic_store(&ag->need_sub, 1); /* refused: try again in a while */
    } else {
        atomic_store(&ag->ready, 1);
        atomic_store(&ag->resend_all, 1);
    }
    wake(ag->lg);
}

static void on_sub_fail(void *ctx, MQTTAsync_failureData5 *d)
{
    struct agent *ag = ctx;
    atomic_store(&ag->need_sub, 1);
    wake(ag->lg);
}

/* ---- msg_id table ------------------------------------------------------ */

static size_t hash_id(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return (size_t)h;
}

static void table_put(struct lg *lg, struct lrep *r)
{
    size_t i = hash_id(r->msg_id) & lg->table_mask;
    while (lg->table[i])
        i = (i + 1) & lg->table_mask;
    lg->table[i] = r;
}

static struct lrep *table_get(struct lg *lg, const char *msg_id)
{
    size_t i = hash_id(msg_id) & lg->table_mask;
    while (lg->table[i]) {
        if (strcmp(lg->table[i]->msg_id, msg_id) == 0)
            return lg->table[i];
        i = (i + 1) & lg->table_mask;
    }
    return NULL;
}

/* ---- set-up ------------------------------------------------------------ */

static void usage(FILE *f)
{
    fputs("Usage: outreach-loadgen run --broker URI --secrets DIR --agents N\n"
          "           --reports-per-agent M --trip T [--agent-prefix lg-] [--first 1]\n"
          "           [--rate R] [--window 50] [--resend-ms 3000] [--deadline-s 600]\n"
          "           [--check-progress] [--random-ids] [--json FILE]\n"
          "           [--topic-root outreach/v1]\n"
          "           [--tls-ca-file F [--tls-cert-file F] [--tls-key-file F]]\n"
          "       outreach-loadgen raw --help\n"
          "       outreach-loadgen idle --help   (many idle field devices, bench/idle.sh)\n"
          "\n"
          "run plays N field agents PREFIX%03d (FIRST .. FIRST+N-1), password in\n"
          "DIR/AGENT.pw, each with its own MQTT 5 connection (client id AGENT.lg, clean\n"
          "start), sending M headcount reports for trip T (seq 1..M, consultations =\n"
          "seq % 5 + 1, departments in turn), resending each (same msg_id and bytes)\n"
          "every --resend-ms until it is answered, at most --window unanswered per agent.\n"
          "--rate paces first sends (reports/s over all agents; 0 = as fast as possible).\n"
          "msg_ids are time-ordered (version 7) as the field agent makes them;\n"
          "--random-ids makes them random (version 4), as devices before it did.\n"
          "It ends when every report is answered or after --deadline-s. With\n"
          "--check-progress it then waits (<= 30 s) until the retained\n"
          "ROOT/trips/T/progress shows the expected consultations (read as agent 1).\n"
          "Exit 0 when every report was accepted or duplicate, none rejected, none\n"
          "accepted twice, and the progress matched (if checked); 1 otherwise; 2 usage.\n"
          "OUTREACH_LOADGEN_TRACE=FILE writes one line per report (agent, seq, msg_id,\n"
          "sends, first publish and first answer in ms since the start, status).\n"
          "TLS, with --broker ssl://HOST:PORT or mqtts://HOST:PORT:\n"
          MQTLS_USAGE,
          f);
}

static int parse_args(struct lg *lg, int argc, char **argv)
{
    static const struct option opts[] = {
        {"broker", required_argument, NULL, 'b'},
        {"secrets", required_argument, NULL, 'S'},
        {"agents", required_argument, NULL, 'n'},
        {"agent-prefix", required_argument, NULL, 'P'},
        {"first", required_argument, NULL, 'f'},
        {"reports-per-agent", required_argument, NULL, 'm'},
        {"trip", required_argument, NULL, 't'},
        {"rate", required_argument, NULL, 'r'},
        {"window", required_argument, NULL, 'w'},
        {"resend-ms", required_argument, NULL, 'R'},
        {"deadline-s", required_argument, NULL, 'd'},
        {"check-progress", no_argument, NULL, 'c'},
        {"random-ids", no_argument, NULL, 'I'},
        {"json", required_argument, NULL, 'j'},
        {"topic-root", required_argument, NULL, 'T'},
        {"help", no_argument, NULL, 'h'},
        MQTLS_LONG_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    lg->prefix = "lg-";
    lg->root = TOPIC_ROOT_DEFAULT;
    lg->first = 1;
    lg->window = 50;
    lg->resend_ms = 3000;
    lg->deadline_s = 600;
    lg->agents = lg->per_agent = -1;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        int bad = 0;
        switch (c) {
        case 'b': lg->broker = optarg; break;
        case 'S': lg->secrets = optarg; break;
        case 'P': lg->prefix = optarg; break;
        case 't': lg->trip = optarg; break;
        case 'j': lg->json = optarg; break;
        case 'T': lg->root = optarg; break;
        case 'c': lg->check_progress = true; break;
        case 'I': lg->random_ids = true; break;
        case 'n': bad = lg_parse_ll("--agents", optarg, 1, 10000, &lg->agents); break;
        case 'f': bad = lg_parse_ll("--first", optarg, 0, 999999, &lg->first); break;
        case 'm':
            bad = lg_parse_ll("--reports-per-agent", optarg, 1, 1000000, &lg->per_agent);
            break;
        case 'r': bad = lg_parse_ll("--rate", optarg, 0, 10000000, &lg->rate); break;
        case 'w': bad = lg_parse_ll("--window", optarg, 1, 65535, &lg->window); break;
        case 'R': bad = lg_parse_ll("--resend-ms", optarg, 10, 3600000, &lg->resend_ms); break;
        case 'd': bad = lg_parse_ll("--deadline-s", optarg, 1, 86400, &lg->deadline_s); break;
        case 'h': usage(stdout); exit(LG_OK);
        default:
            if (mqtls_flag_apply(c, optarg, &lg->tls))
                break;
            usage(stderr);
            return -1;
        }
        if (bad)
            return -1;
    }
    if (optind < argc) {
        fprintf(stderr, "outreach-loadgen run: unexpected argument '%s'\n", argv[optind]);
        return -1;
    }
    if (!lg->broker || !lg->secrets || lg->agents < 0 || lg->per_agent < 0 || !lg->trip) {
        fprintf(stderr, "outreach-loadgen run: --broker, --secrets, --agents, "
                        "--reports-per-agent and --trip are required (see --help)\n");
        return -1;
    }
    char terr[MQ_ERR_MAX];
    if (mq_tls_check_usage(lg->broker, &lg->tls, terr)) {
        fprintf(stderr, "outreach-loadgen run: %s\n", terr);
        return -1;
    }
    if (!id_is_code(lg->trip)) {
        fprintf(stderr, "outreach-loadgen run: --trip '%s' is not a trip id\n", lg->trip);
        return -1;
    }
    if (lg->agents * lg->per_agent > 50000000) {
        fprintf(stderr, "outreach-loadgen run: at most 50,000,000 reports in one run\n");
        return -1;
    }
    if (!*lg->root || strpbrk(lg->root, "+#")) {
        fprintf(stderr, "outreach-loadgen run: --topic-root must be a topic without wildcards\n");
        return -1;
    }
    return 0;
}

static int agent_setup(struct lg *lg, struct agent *ag, long long number)
{
    char err[MQ_ERR_MAX], path[4096];
    ag->lg = lg;
    if (snprintf(ag->id, sizeof ag->id, "%s%03lld", lg->prefix, number) >= (int)sizeof ag->id ||
        !id_is_agent(ag->id)) {
        fprintf(stderr, "outreach-loadgen: '%s%03lld' is not an agent id\n", lg->prefix, number);
        return -1;
    }
    snprintf(ag->client_id, sizeof ag->client_id, "%s.lg", ag->id);
    snprintf(path, sizeof path, "%s/%s.pw", lg->secrets, ag->id);
    if (!(ag->password = mq_read_secret(path, err))) {
        fprintf(stderr, "outreach-loadgen: %s\n", err);
        return -1;
    }
    if (topic_fmt(ag->report_topic, TOPIC_MAX, lg->root, "agents/%s/reports/headcount", ag->id) ||
        topic_fmt(ag->ack_topic, TOPIC_MAX, lg->root, "agents/%s/acks", ag->id) ||
        topic_fmt(ag->status_topic, TOPIC_MAX, lg->root, "agents/%s/status", ag->id)) {
        fprintf(stderr, "outreach-loadgen: topic root too long\n");
        return -1;
    }
    snprintf(ag->will, sizeof ag->will, "{\"online\":false,\"agent_id\":\"%s\"}", ag->id);
    ag->r = calloc((size_t)lg->per_agent, sizeof *ag->r);
    if (!ag->r)
        return -1;
    char recorded[TU_TS_MAX];
    tu_format_ts(time(NULL), TU_SITE_OFFSET_MIN, recorded);
    size_t ndep = 0;
    while (department_names[ndep])
        ndep++;
    for (long long i = 0; i < lg->per_agent; i++) {
        struct lrep *r = &ag->r[i];
        r->seq = (int)(i + 1);
        r->ag = ag;
        if ((lg->random_ids ? id_new_uuid : id_new_msg_id)(r->msg_id))
            return -1;
        char buf[512];
        int n = snprintf(buf, sizeof buf,
                         "{\"msg_id\":\"%s\",\"agent_id\":\"%s\",\"seq\":%d,\"trip_id\":\"%s\","
                         "\"recorded_at\":\"%s\",\"department\":\"%s\",\"consultations\":%d}",
                         r->msg_id, ag->id, r->seq, lg->trip, recorded,
                         department_names[(size_t)i % ndep], r->seq % 5 + 1);
        if (n < 0 || n >= (int)sizeof buf || !(r->payload = strdup(buf)))
            return -1;
        r->len = n;
        table_put(lg, r);
    }
    if (lg_client_new(&ag->c, lg->broker, ag->client_id, err, sizeof err)) {
        fprintf(stderr, "outreach-loadgen: %s\n", err);
        return -1;
    }
    if (MQTTAsync_setCallbacks(ag->c, ag, on_lost, on_message, NULL) != MQTTASYNC_SUCCESS ||
        MQTTAsync_setConnected(ag->c, ag, on_connected) != MQTTASYNC_SUCCESS) {
        fprintf(stderr, "outreach-loadgen: cannot set Paho callbacks for %s\n", ag->id);
        return -1;
    }
    return 0;
}

/* Main thread: (re)issues the first connect; Paho reconnects by itself after that. */
static void agent_connect(struct agent *ag)
{
    MQTTAsync_connectOptions co = MQTTAsync_connectOptions_initializer5;
    MQTTAsync_willOptions will = MQTTAsync_willOptions_initializer;
    co.MQTTVersion = MQTTVERSION_5;
    co.cleanstart = 1;
    co.keepAliveInterval = 30;
    co.maxInflight = 65535;
    co.connectTimeout = 5;
    co.username = ag->id;
    co.password = ag->password;
    co.automaticReconnect = 1;
    co.minRetryInterval = 1;
    co.maxRetryInterval = 4;
    will.topicName = ag->status_topic;
    will.message = ag->will;
    will.qos = 1;
    will.retained = 1;
    co.will = &will;
    co.onFailure5 = on_conn_fail;
    co.context = ag;
    MQTTAsync_SSLOptions ssl; /* Paho copies it */
    if (mq_uri_is_tls(ag->lg->broker)) {
        mq_tls_fill(&ag->lg->tls, &ssl);
        co.ssl = &ssl;
    }
    int rc = MQTTAsync_connect(ag->c, &co);
    if (rc != MQTTASYNC_SUCCESS)
        atomic_store(&ag->conn_failed, 1);
}

/* ---- sending ----------------------------------------------------------- */

static void send_report(struct lg *lg, struct lrep *r, double now)
{
    MQTTAsync_message msg = MQTTAsync_message_initializer;
    MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
    msg.payload = r->payload;
    msg.payloadlen = r->len;
    msg.qos = 1;
    bool first = r->state == R_NEW;
    if (first) {
        r->state = R_SENT;
        r->first_ms = now;
        r->ag->inflight++;
        if (lg->first_pub_ms == 0)
            lg->first_pub_ms = now;
    }
    r->last_ms = now;
    if (r->sends < 65535)
        r->sends++;
    int rc = MQTTAsync_sendMessage(r->ag->c, r->ag->report_topic, &msg, &ro);
    if (rc != MQTTASYNC_SUCCESS) {
        lg->publish_errors++; /* disconnected: tried again at resend time or reconnect */
        return;
    }
    lg->sent++;
    if (!first)
        lg->resends++;
}

static void publish_birth(struct lg *lg, struct agent *ag)
{
    char body[400], since[TU_TS_MAX];
    tu_format_ts(time(NULL), TU_SITE_OFFSET_MIN, since);
    int last_seq = ag->next_new;
    long long pending = lg->per_agent - ag->low;
    snprintf(body, sizeof body,
             "{\"online\":true,\"agent_id\":\"%s\",\"trip_id\":\"%s\",\"pending\":%lld,"
             "\"last_seq\":%d,\"since\":\"%s\"}",
             ag->id, lg->trip, pending, last_seq, since);
    MQTTAsync_message msg = MQTTAsync_message_initializer;
    MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
    msg.payload = body;
    msg.payloadlen = (int)strlen(body);
    msg.qos = 1;
    msg.retained = 1;
    MQTTAsync_sendMessage(ag->c, ag->status_topic, &msg, &ro);
}

/* Connection events of one agent, seen by the main thread. */
static void agent_tick(struct lg *lg, struct agent *ag, double now)
{
    if (atomic_exchange(&ag->conn_failed, 0))
        lg->connect_failures++; /* Paho retries by itself (automaticReconnect) */
    if (atomic_load(&ag->connected) && now >= ag->sub_at_ms &&
        atomic_exchange(&ag->need_sub, 0)) {
        ag->sub_at_ms = now + 500; /* no faster than that if the broker refuses */
        MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
        ro.onSuccess5 = on_sub_ok;
        ro.onFailure5 = on_sub_fail;
        ro.context = ag;
        if (MQTTAsync_subscribe(ag->c, ag->ack_topic, 1, &ro) != MQTTASYNC_SUCCESS)
            atomic_store(&ag->need_sub, 1);
    }
    if (!atomic_load(&ag->ready))
        ag->live = false;
    int gen = atomic_load(&ag->conn_gen);
    if (atomic_load(&ag->ready) && atomic_exchange(&ag->resend_all, 0))
        ag->live = true;
    if (ag->live && gen != ag->resent_gen) {
        ag->resent_gen = gen;
        /* A new session: answers to earlier sends may be lost, so send again
         * everything unanswered now rather than at its resend time. */
        publish_birth(lg, ag);
        for (int i = ag->low; i < ag->next_new; i++)
            if (ag->r[i].state == R_SENT) {
                send_report(lg, &ag->r[i], now);
                lg->resends_reconnect++;
            }
    }
}

static void resend_overdue(struct lg *lg, double now)
{
    for (long long a = 0; a < lg->agents; a++) {
        struct agent *ag = &lg->ag[a];
        if (!ag->live)
            continue;
        for (int i = ag->low; i < ag->next_new; i++) {
            struct lrep *r = &ag->r[i];
            if (r->state == R_SENT && now - r->last_ms >= (double)lg->resend_ms)
                send_report(lg, r, now);
        }
    }
}

/* ---- answers ----------------------------------------------------------- */

static void apply_ack(struct lg *lg, struct agent *ag, const cJSON *a, double at,
                      uint64_t msg_hash)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(a, "msg_id");
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(a, "status");
    struct lrep *r = cJSON_IsString(id) ? table_get(lg, id->valuestring) : NULL;
    int status = !cJSON_IsString(st) ? -1
                 : strcmp(st->valuestring, "accepted") == 0 ? S_ACCEPTED
                 : strcmp(st->valuestring, "duplicate") == 0 ? S_DUPLICATE
                 : strcmp(st->valuestring, "rejected") == 0 ? S_REJECTED : -1;
    if (!r || r->ag != ag || status < 0) {
        lg->unknown_acks++;
        return;
    }
    if (status == S_ACCEPTED) {
        if (r->n_accepted == 0)
            r->accepted_in = msg_hash;
        else if (msg_hash == r->accepted_in)
            lg->redelivered++;
        else if (++r->n_accepted == 2)
            lg->accepted_twice++;
        if (r->n_accepted == 0)
            r->n_accepted = 1;
    }
    if (status == S_REJECTED && lg->reject_lines++ < MAX_REJECT_LINES) {
        const cJSON *code = cJSON_GetObjectItemCaseSensitive(a, "code");
        const cJSON *why = cJSON_GetObjectItemCaseSensitive(a, "reason");
        fprintf(stderr, "outreach-loadgen: %s seq %d rejected (%s): %s\n", ag->id, r->seq,
                cJSON_IsString(code) ? code->valuestring : "?",
                cJSON_IsString(why) ? why->valuestring : "");
    }
    if (r->state == R_ANSWERED)
        return;
    if (r->state == R_NEW) { /* an answer to a report never sent: not ours */
        lg->unknown_acks++;
        return;
    }
    r->state = R_ANSWERED;
    r->status = (unsigned char)status;
    r->answer_ms = at;
    ag->inflight--;
    lg->answered++;
    lg->last_answer_ms = at;
    if (status == S_ACCEPTED)
        lg->accepted++;
    else if (status == S_DUPLICATE)
        lg->duplicate++;
    else
        lg->rejected++;
    while (ag->low < ag->next_new && ag->r[ag->low].state == R_ANSWERED)
        ag->low++;
}

/* FNV-1a over an ack message's bytes. */
static uint64_t msg_hash(const char *p, size_t n)
{
    uint64_t h = 14695981039346656037ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static void apply_message(struct lg *lg, struct inmsg *in)
{
    struct jerr err;
    uint64_t h = msg_hash(in->payload, in->len);
    lg->ack_messages++;
    cJSON *root = json_parse_bounded(in->payload, in->len, 8, &err);
    const cJSON *acks = cJSON_GetObjectItemCaseSensitive(root, "acks"), *a;
    if (!cJSON_IsArray(acks)) {
        lg->unknown_acks++;
    } else {
        cJSON_ArrayForEach(a, acks)
            apply_ack(lg, in->ag, a, in->at_ms, h);
    }
    cJSON_Delete(root);
}

static struct inmsg *take_messages(struct lg *lg, long wait_ms, long long *events)
{
    pthread_mutex_lock(&lg->m);
    if (!lg->head && lg->events == *events && wait_ms > 0) {
        struct timespec until;
        tu_deadline(&until, CLOCK_MONOTONIC, wait_ms);
        pthread_cond_timedwait(&lg->cv, &lg->m, &until);
    }
    struct inmsg *all = lg->head;
    lg->head = lg->tail = NULL;
    *events = lg->events;
    pthread_mutex_unlock(&lg->m);
    return all;
}

/* ---- progress check ---------------------------------------------------- */

static int on_progress(void *ctx, char *topic, int topic_len, MQTTAsync_message *m)
{
    struct lg *lg = ctx;
    struct jerr err;
    cJSON *root = m->payloadlen > 0
                      ? json_parse_bounded(m->payload, (size_t)m->payloadlen, 8, &err)
                      : NULL;
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(root, "consultations");
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(c, "count");
    if (cJSON_IsNumber(n)) {
        pthread_mutex_lock(&lg->m);
        lg->progress_count = (long long)n->valuedouble;
        lg->progress_seen = true;
        lg->events++;
        pthread_cond_signal(&lg->cv);
        pthread_mutex_unlock(&lg->m);
    }
    cJSON_Delete(root);
    MQTTAsync_freeMessage(&m);
    MQTTAsync_free(topic);
    return 1;
}

/* Waits up to wait_ms until the trip's retained progress shows expected;
 * returns the last count seen, or -1 when none was seen. */
static long long check_progress(struct lg *lg, long long expected, long wait_ms)
{
    char err[MQ_ERR_MAX], topic[TOPIC_MAX], client_id[ID_MAX + 16];
    struct agent *ag = &lg->ag[0];
    MQTTAsync c = NULL;
    snprintf(client_id, sizeof client_id, "%s.lg-progress", ag->id);
    topic_fmt(topic, sizeof topic, lg->root, "trips/%s/progress", lg->trip);
    struct mq_conn_opts co = {.username = ag->id, .password = ag->password,
                              .clean_start = true, .keepalive_s = 30,
                              .tls = &lg->tls, .uri = lg->broker};
    double until = tu_mono_ms() + (double)wait_ms;
    if (mq_client_new(&c, lg->broker, client_id, 0, err) ||
        MQTTAsync_setCallbacks(c, lg, NULL, on_progress, NULL) != MQTTASYNC_SUCCESS ||
        mq_connect(c, &co, 5000, NULL, err) || mq_subscribe(c, topic, 1, 5000, err)) {
        fprintf(stderr, "outreach-loadgen: progress reader: %s\n", err);
        mq_close(&c, 1000);
        return -1;
    }
    pthread_mutex_lock(&lg->m);
    while (!(lg->progress_seen && lg->progress_count == expected)) {
        double left = until - tu_mono_ms();
        if (left <= 0)
            break;
        struct timespec ts;
        tu_deadline(&ts, CLOCK_MONOTONIC, left > 200 ? 200 : (long)left + 1);
        pthread_cond_timedwait(&lg->cv, &lg->m, &ts);
    }
    long long got = lg->progress_seen ? lg->progress_count : -1;
    pthread_mutex_unlock(&lg->m);
    mq_close(&c, 1000);
    return got;
}

/* ---- the run ----------------------------------------------------------- */

/* Says goodbye on every connection at once, waits (<= 3 s) for the
 * disconnects, then destroys the clients. */
static void shutdown_agents(struct lg *lg)
{
    for (long long a = 0; a < lg->agents; a++) {
        struct agent *ag = &lg->ag[a];
        if (!ag->c || !MQTTAsync_isConnected(ag->c))
            continue;
        /* Gone on purpose: say so, as the will would have after a crash. */
        MQTTAsync_message msg = MQTTAsync_message_initializer;
        MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
        msg.payload = ag->will;
        msg.payloadlen = (int)strlen(ag->will);
        msg.qos = 1;
        msg.retained = 1;
        MQTTAsync_sendMessage(ag->c, ag->status_topic, &msg, &ro);
        MQTTAsync_disconnectOptions d = MQTTAsync_disconnectOptions_initializer5;
        d.timeout = 1000;
        MQTTAsync_disconnect(ag->c, &d);
    }
    double until = tu_mono_ms() + 3000;
    for (long long a = 0; a < lg->agents; a++) {
        struct agent *ag = &lg->ag[a];
        while (ag->c && MQTTAsync_isConnected(ag->c) && tu_mono_ms() < until)
            nanosleep(&(struct timespec){0, 10000000L}, NULL);
    }
    for (long long a = 0; a < lg->agents; a++)
        if (lg->ag[a].c)
            MQTTAsync_destroy(&lg->ag[a].c);
}

static void free_all(struct lg *lg)
{
    if (lg->ag) {
        for (long long a = 0; a < lg->agents; a++) {
            struct agent *ag = &lg->ag[a];
            if (ag->r)
                for (long long i = 0; i < lg->per_agent; i++)
                    free(ag->r[i].payload);
            free(ag->r);
            free(ag->password);
        }
    }
    free(lg->ag);
    free(lg->table);
    struct inmsg *in = lg->head;
    while (in) {
        struct inmsg *next = in->next;
        free(in->payload);
        free(in);
        in = next;
    }
}

int lg_run_main(int argc, char **argv)
{
    struct lg lg;
    memset(&lg, 0, sizeof lg);
    if (parse_args(&lg, argc, argv))
        return LG_USAGE;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&lg.m, NULL);
    pthread_cond_init(&lg.cv, &ca);
    pthread_condattr_destroy(&ca);

    int rc = LG_FAIL;
    double t0 = tu_mono_ms(), deadline = t0 + (double)lg.deadline_s * 1000.0;
    lg.total = lg.agents * lg.per_agent;
    size_t size = 1024;
    while (size < (size_t)lg.total * 2)
        size *= 2;
    lg.table = calloc(size, sizeof *lg.table);
    lg.table_mask = size - 1;
    lg.ag = calloc((size_t)lg.agents, sizeof *lg.ag);
    if (!lg.table || !lg.ag) {
        fprintf(stderr, "outreach-loadgen: out of memory\n");
        goto out;
    }
    long long expected = 0;
    for (long long s = 1; s <= lg.per_agent; s++)
        expected += s % 5 + 1;
    expected *= lg.agents;
    for (long long a = 0; a < lg.agents; a++)
        if (agent_setup(&lg, &lg.ag[a], lg.first + a))
            goto out;
    for (long long a = 0; a < lg.agents; a++)
        agent_connect(&lg.ag[a]);

    printf("outreach-loadgen: %lld agents %s..%s, %lld reports each for trip %s on %s "
           "(rate %s, window %lld, resend %lld ms, deadline %lld s)\n",
           lg.agents, lg.ag[0].id, lg.ag[lg.agents - 1].id, lg.per_agent, lg.trip, lg.broker,
           lg.rate ? "paced" : "unlimited", lg.window, lg.resend_ms, lg.deadline_s);
    fflush(stdout);

    long long events = -1;
    long long rr = 0;         /* round robin over agents for first sends */
    double next_send = 0;     /* pacing: when the next first send is due */
    double gap = lg.rate > 0 ? 1000.0 / (double)lg.rate : 0;
    double scan_every = lg.resend_ms / 4.0 < 100 ? lg.resend_ms / 4.0 : 100;
    double next_scan = 0;
    long long never_sent = lg.total;
    bool blocked = false; /* no agent could send a new report: wait for an event */
    bool started = false;
    double start_gate = t0 + START_WAIT_MS;
    while (lg.answered < lg.total) {
        double now = tu_mono_ms();
        if (now >= deadline)
            break;
        long wait = 50;
        if (started && lg.rate > 0 && never_sent > 0 && !blocked) {
            double until = next_send - now;
            if (until < wait)
                wait = until <= 0 ? 0 : (long)ceil(until);
        }
        struct inmsg *in = take_messages(&lg, wait, &events);
        while (in) {
            struct inmsg *next = in->next;
            apply_message(&lg, in);
            free(in->payload);
            free(in);
            in = next;
        }
        now = tu_mono_ms();
        for (long long a = 0; a < lg.agents; a++)
            agent_tick(&lg, &lg.ag[a], now);
        if (now >= next_scan) {
            resend_overdue(&lg, now);
            next_scan = now + scan_every;
        }
        /* Nothing new goes out until every agent is connected and subscribed
         * (or START_WAIT_MS passed), so that rates and latencies are not those
         * of 200 connects in a row. */
        if (!started) {
            long long live = 0;
            for (long long a = 0; a < lg.agents; a++)
                live += lg.ag[a].live;
            if (live < lg.agents && now < start_gate)
                continue;
            started = true;
            if (live < lg.agents)
                fprintf(stderr, "outreach-loadgen: starting with %lld of %lld agents "
                                "connected after %.0f s\n", live, lg.agents, START_WAIT_MS / 1000.0);
        }
        /* First sends, one agent after the other, within each window and the pace. */
        if (lg.rate > 0 && next_send == 0)
            next_send = now;
        if (lg.rate > 0 && next_send < now - 100)
            next_send = now - 100; /* at most 100 ms of catching up in one burst */
        long long idle = 0;
        blocked = false;
        while (never_sent > 0 && (lg.rate == 0 || next_send <= now)) {
            if (idle >= lg.agents) {
                blocked = true;
                break;
            }
            struct agent *ag = &lg.ag[rr];
            rr = (rr + 1) % lg.agents;
            if (!ag->live || ag->next_new >= lg.per_agent ||
                ag->inflight >= lg.window) {
                idle++;
                continue;
            }
            idle = 0;
            send_report(&lg, &ag->r[ag->next_new++], now);
            never_sent--;
            next_send += gap;
        }
    }
    double end = tu_mono_ms();
    bool timed_out = lg.answered < lg.total;

    /* Figures. */
    double *lat = malloc(((size_t)lg.answered + 1) * sizeof *lat);
    size_t nlat = 0;
    if (lat)
        for (long long a = 0; a < lg.agents; a++)
            for (long long i = 0; i < lg.per_agent; i++) {
                const struct lrep *r = &lg.ag[a].r[i];
                if (r->state == R_ANSWERED)
                    lat[nlat++] = r->answer_ms - r->first_ms;
            }
    lg_sort(lat, nlat);
    const char *trace = getenv("OUTREACH_LOADGEN_TRACE");
    FILE *tf = trace && *trace ? fopen(trace, "w") : NULL;
    if (tf) { /* one line per report, times in ms since the start */
        fprintf(tf, "agent seq msg_id sends first_ms answer_ms status\n");
        for (long long a = 0; a < lg.agents; a++)
            for (long long i = 0; i < lg.per_agent; i++) {
                const struct lrep *r = &lg.ag[a].r[i];
                fprintf(tf, "%s %d %s %u %.1f %.1f %s\n", lg.ag[a].id, r->seq, r->msg_id, r->sends,
                        r->first_ms > 0 ? r->first_ms - t0 : -1.0,
                        r->state == R_ANSWERED ? r->answer_ms - t0 : -1.0,
                        r->state != R_ANSWERED ? "-" : r->status == S_ACCEPTED ? "accepted"
                        : r->status == S_DUPLICATE ? "duplicate" : "rejected");
            }
        fclose(tf);
    }
    double p50 = lg_quantile(lat, nlat, 0.50), p99 = lg_quantile(lat, nlat, 0.99);
    double lmax = nlat ? lat[nlat - 1] : 0;
    free(lat);
    double span_end = lg.answered > 0 ? lg.last_answer_ms : end;
    double elapsed_s = lg.first_pub_ms > 0 ? (span_end - lg.first_pub_ms) / 1000.0 : 0;
    double rate = elapsed_s > 0 ? (double)lg.answered / elapsed_s : 0;
    long long unanswered = lg.total - lg.answered;

    for (long long a = 0; a < lg.agents; a++)
        lg.connects += atomic_load(&lg.ag[a].conn_gen);
    bool ok = !timed_out && lg.rejected == 0 && lg.accepted_twice == 0;
    long long progress = -1;
    if (lg.check_progress)
        progress = check_progress(&lg, expected, ok ? PROGRESS_WAIT_MS : 3000);
    shutdown_agents(&lg);

    printf("outreach-loadgen: %lld reports from %lld agents: %lld accepted, %lld duplicate, "
           "%lld rejected, %lld unanswered%s\n"
           "  publishes %lld (%lld resends, %lld of them on reconnecting; %lld refused by Paho "
           "while disconnected), %lld connects, %lld failed connects, %lld ack messages, %lld unknown acks, "
           "%lld answered 'accepted' twice, %lld 'accepted' redelivered in the same message\n"
           "  %.3f s from first publish to last answer: %.0f reports/s answered\n"
           "  publish-to-ack latency: p50 %.1f ms, p99 %.1f ms, max %.1f ms\n"
           "  consultations: expected %lld",
           lg.total, lg.agents, lg.accepted, lg.duplicate, lg.rejected, unanswered,
           timed_out ? " (deadline passed)" : "", lg.sent, lg.resends, lg.resends_reconnect,
           lg.publish_errors, lg.connects, lg.connect_failures, lg.ack_messages, lg.unknown_acks, lg.accepted_twice,
           lg.redelivered, elapsed_s, rate, p50, p99,
           lmax, expected);
    if (lg.check_progress) {
        if (progress >= 0)
            printf(", trip progress shows %lld\n", progress);
        else
            printf(", trip progress not seen\n");
    } else {
        printf("\n");
    }

    if (lg.json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "agents", (double)lg.agents);
        cJSON_AddNumberToObject(o, "reports", (double)lg.total);
        cJSON_AddNumberToObject(o, "sent", (double)lg.sent);
        cJSON_AddNumberToObject(o, "resends", (double)lg.resends);
        cJSON_AddNumberToObject(o, "accepted", (double)lg.accepted);
        cJSON_AddNumberToObject(o, "duplicate", (double)lg.duplicate);
        cJSON_AddNumberToObject(o, "rejected", (double)lg.rejected);
        cJSON_AddNumberToObject(o, "unanswered", (double)unanswered);
        cJSON_AddNumberToObject(o, "accepted_twice", (double)lg.accepted_twice);
        cJSON_AddNumberToObject(o, "redelivered", (double)lg.redelivered);
        cJSON_AddNumberToObject(o, "elapsed_s", lg_round3(elapsed_s));
        cJSON_AddNumberToObject(o, "rate_per_s", lg_round3(rate));
        cJSON *l = cJSON_AddObjectToObject(o, "latency_ms");
        cJSON_AddNumberToObject(l, "p50", lg_round3(p50));
        cJSON_AddNumberToObject(l, "p99", lg_round3(p99));
        cJSON_AddNumberToObject(l, "max", lg_round3(lmax));
        cJSON_AddNumberToObject(o, "expected_consultations", (double)expected);
        if (lg.check_progress && progress >= 0)
            cJSON_AddNumberToObject(o, "progress_consultations", (double)progress);
        else
            cJSON_AddNullToObject(o, "progress_consultations");
        cJSON_AddNumberToObject(o, "target_rate_per_s", (double)lg.rate);
        cJSON_AddNumberToObject(o, "window", (double)lg.window);
        cJSON_AddNumberToObject(o, "publish_errors", (double)lg.publish_errors);
        cJSON_AddNumberToObject(o, "unknown_acks", (double)lg.unknown_acks);
        cJSON_AddNumberToObject(o, "connect_failures", (double)lg.connect_failures);
        cJSON_AddNumberToObject(o, "connects", (double)lg.connects);
        cJSON_AddNumberToObject(o, "resends_on_reconnect", (double)lg.resends_reconnect);
        cJSON_AddBoolToObject(o, "ok", ok && (!lg.check_progress || progress == expected));
        int wrc = lg_write_json(lg.json, o);
        cJSON_Delete(o);
        if (wrc)
            goto out;
    }

    if (timed_out)
        fprintf(stderr, "outreach-loadgen: FAILED: %lld of %lld reports unanswered after the "
                        "%lld s deadline\n", unanswered, lg.total, lg.deadline_s);
    if (lg.rejected)
        fprintf(stderr, "outreach-loadgen: FAILED: %lld reports rejected\n", lg.rejected);
    if (lg.accepted_twice)
        fprintf(stderr, "outreach-loadgen: FAILED: %lld reports answered 'accepted' twice "
                        "(counted twice?)\n", lg.accepted_twice);
    if (lg.check_progress && progress != expected) {
        if (progress < 0)
            fprintf(stderr, "outreach-loadgen: FAILED: no retained progress for trip %s\n",
                    lg.trip);
        else
            fprintf(stderr, "outreach-loadgen: FAILED: trip %s progress shows %lld "
                            "consultations, expected %lld\n", lg.trip, progress, expected);
        ok = false;
    }
    rc = ok ? LG_OK : LG_FAIL;
out:
    if (rc != LG_OK && lg.ag)
        shutdown_agents(&lg); /* no-op for agents already closed */
    free_all(&lg);
    pthread_mutex_destroy(&lg.m);
    pthread_cond_destroy(&lg.cv);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? LG_USAGE : LG_OK;
    }
    if (strcmp(argv[1], "run") == 0)
        return lg_run_main(argc - 1, argv + 1);
    if (strcmp(argv[1], "raw") == 0)
        return lg_raw_main(argc - 1, argv + 1);
    if (strcmp(argv[1], "idle") == 0)
        return lg_idle_main(argc - 1, argv + 1);
    fprintf(stderr, "outreach-loadgen: unknown command '%s' (run, raw or idle)\n", argv[1]);
    usage(stderr);
    return LG_USAGE;
}
