/* lg_idle.c -- "outreach-loadgen idle": many field devices connected and
 * idle, each as the agent daemon connects (field-agent/daemon.c), for
 * bench/idle.sh to measure what idle devices cost the broker and the
 * coordinator. */
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ids.h"
#include "loadgen.h"
#include "mq.h"
#include "timeutil.h"
#include "topics.h"

#define IDLE_MAX_DEVICES 20000
#define IDLE_MAX_ERRORS 3   /* connection errors printed, the rest counted */
#define IDLE_TICK_MS 100
#define IDLE_CLOSE_WAIT_MS 5000
#define IDLE_CONNECT_LIMIT_MS 600000.0 /* every device tried within 10 minutes */

static volatile sig_atomic_t g_stop, g_report;

static void on_stop(int sig)
{
    (void)sig;
    g_stop = 1;
}

static void on_usr1(int sig)
{
    (void)sig;
    g_report = 1;
}

struct idle {
    const char *broker, *secrets, *prefix, *root;
    long long n, first, keepalive_s, hold_s, timeout_ms, window;
    struct dev *v;
    atomic_long outstanding; /* devices started, neither ready nor failed */
    atomic_long lost;     /* connections Paho reported lost */
    atomic_long messages; /* messages received (retained trip cards, acks) */
};

static void idle_usage(FILE *f)
{
    fputs("Usage: outreach-loadgen idle --broker URI --secrets DIR --agents N\n"
          "           [--agent-prefix idle-] [--first 1] [--keepalive-s 30]\n"
          "           [--hold-s 600] [--connect-timeout-ms 10000] [--window 100]\n"
          "           [--topic-root outreach/v1]\n"
          "\n"
          "Connects N field devices PREFIX%05d (FIRST .. FIRST+N-1, at most 20000),\n"
          "password in DIR/AGENT.pw, at most --window under way at once (every device\n"
          "tried within 10 minutes), each as the agent daemon connects:\n"
          "its own MQTT 5 connection with client id AGENT, a durable session (clean\n"
          "start off, 7 days), keep-alive --keepalive-s, a retained will on\n"
          "ROOT/agents/AGENT/status, subscribed (QoS 1) to ROOT/agents/AGENT/acks and\n"
          "ROOT/trips/+, and its retained online status published. Then it holds them\n"
          "idle (Paho sends the keep-alive pings) until SIGTERM or SIGINT, or for\n"
          "--hold-s seconds (1..3600), disconnects them and exits.\n"
          "Lines on standard output, one per event:\n"
          "  ready agents=N connected=C failed=F ms=T   every device tried\n"
          "  now connected=C lost=L messages=M          on SIGUSR1\n"
          "  end connected=C lost=L messages=M          before disconnecting\n"
          "The first connection errors go to standard error. Raise 'ulimit -n' above N\n"
          "(one socket per device). Exit 0 when every device connected and none was\n"
          "lost, 1 otherwise, 2 on a bad command line.\n",
          f);
}

static int idle_args(struct idle *d, int argc, char **argv)
{
    static const struct option opts[] = {
        {"broker", required_argument, NULL, 'b'},
        {"secrets", required_argument, NULL, 'S'},
        {"agents", required_argument, NULL, 'n'},
        {"agent-prefix", required_argument, NULL, 'P'},
        {"first", required_argument, NULL, 'f'},
        {"keepalive-s", required_argument, NULL, 'k'},
        {"hold-s", required_argument, NULL, 'H'},
        {"connect-timeout-ms", required_argument, NULL, 'T'},
        {"topic-root", required_argument, NULL, 'r'},
        {"window", required_argument, NULL, 'w'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'b': d->broker = optarg; break;
        case 'S': d->secrets = optarg; break;
        case 'P': d->prefix = optarg; break;
        case 'r': d->root = optarg; break;
        case 'n':
            if (lg_parse_ll("--agents", optarg, 1, IDLE_MAX_DEVICES, &d->n))
                return LG_USAGE;
            break;
        case 'f':
            if (lg_parse_ll("--first", optarg, 0, 99999, &d->first))
                return LG_USAGE;
            break;
        case 'k':
            if (lg_parse_ll("--keepalive-s", optarg, 5, 3600, &d->keepalive_s))
                return LG_USAGE;
            break;
        case 'H':
            if (lg_parse_ll("--hold-s", optarg, 1, 3600, &d->hold_s))
                return LG_USAGE;
            break;
        case 'T':
            if (lg_parse_ll("--connect-timeout-ms", optarg, 100, 60000, &d->timeout_ms))
                return LG_USAGE;
            break;
        case 'w':
            if (lg_parse_ll("--window", optarg, 1, 10000, &d->window))
                return LG_USAGE;
            break;
        case 'h': idle_usage(stdout); return -1;
        default: idle_usage(stderr); return LG_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "outreach-loadgen idle: unexpected argument '%s'\n", argv[optind]);
        return LG_USAGE;
    }
    if (!d->broker || !d->secrets || d->n == 0) {
        fprintf(stderr, "outreach-loadgen idle: --broker, --secrets and --agents are required "
                        "(see --help)\n");
        return LG_USAGE;
    }
    if (d->first + d->n - 1 > 99999) {
        fprintf(stderr, "outreach-loadgen idle: --first + --agents - 1 must be at most 99999 "
                        "(five digits)\n");
        return LG_USAGE;
    }
    if (strlen(d->prefix) > ID_MAX - 5) {
        fprintf(stderr, "outreach-loadgen idle: --agent-prefix is longer than %d characters\n",
                ID_MAX - 5);
        return LG_USAGE;
    }
    return 0;
}

/* One device: what Paho must find again after MQTTAsync_connect returned. */
struct dev {
    struct idle *d;
    MQTTAsync c;
    char agent[ID_MAX + 1];
    char *pw;
    char will_topic[TOPIC_MAX], will[160], status_topic[TOPIC_MAX], status[300];
    char *subs[2];
    char acks[TOPIC_MAX], trips[TOPIC_MAX];
    atomic_int state; /* enum dev_state */
    char err[MQ_ERR_MAX];
};

enum dev_state { D_PENDING, D_READY, D_FAILED };

/* Paho's threads: count, free, and take the next step of a device. */
static void idle_on_lost(void *ctx, char *cause)
{
    struct dev *v = ctx;
    (void)cause;
    atomic_fetch_add(&v->d->lost, 1);
}

static int idle_on_message(void *ctx, char *topic, int topic_len, MQTTAsync_message *m)
{
    struct dev *v = ctx;
    (void)topic_len;
    atomic_fetch_add(&v->d->messages, 1);
    MQTTAsync_freeMessage(&m);
    MQTTAsync_free(topic);
    return 1;
}

static void dev_done(struct dev *v, enum dev_state st)
{
    atomic_store(&v->state, st);
    atomic_fetch_sub(&v->d->outstanding, 1);
}

static void dev_fail(struct dev *v, const char *what, const char *why)
{
    snprintf(v->err, sizeof v->err, "%s: %s", what, why ? why : "failed");
    dev_done(v, D_FAILED);
}

static void on_fail(void *ctx, MQTTAsync_failureData5 *f)
{
    struct dev *v = ctx;
    const char *why = f && f->message ? f->message
                      : f && f->reasonCode ? MQTTReasonCode_toString(f->reasonCode)
                      : f ? MQTTAsync_strerror(f->code) : "failed";
    dev_fail(v, "connect, subscribe or status", why);
}

static void on_status_sent(void *ctx, MQTTAsync_successData5 *r)
{
    struct dev *v = ctx;
    if (r && r->reasonCode >= 0x80)
        dev_fail(v, "status", MQTTReasonCode_toString(r->reasonCode));
    else
        dev_done(v, D_READY);
}

static void on_subscribed(void *ctx, MQTTAsync_successData5 *r)
{
    struct dev *v = ctx;
    for (int i = 0; r && i < r->alt.sub.reasonCodeCount; i++) {
        if (r->alt.sub.reasonCodes[i] >= 0x80) {
            dev_fail(v, v->subs[i], MQTTReasonCode_toString(r->alt.sub.reasonCodes[i]));
            return;
        }
    }
    MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
    ro.onSuccess5 = on_status_sent;
    ro.onFailure5 = on_fail;
    ro.context = v;
    int rc = MQTTAsync_send(v->c, v->status_topic, (int)strlen(v->status), v->status, 1, 1, &ro);
    if (rc != MQTTASYNC_SUCCESS)
        dev_fail(v, "status", MQTTAsync_strerror(rc));
}

static void on_connected(void *ctx, MQTTAsync_successData5 *r)
{
    struct dev *v = ctx;
    (void)r;
    static int qos[2] = {1, 1};
    MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
    ro.onSuccess5 = on_subscribed;
    ro.onFailure5 = on_fail;
    ro.context = v;
    int rc = MQTTAsync_subscribeMany(v->c, 2, v->subs, qos, &ro);
    if (rc != MQTTASYNC_SUCCESS)
        dev_fail(v, "subscribe", MQTTAsync_strerror(rc));
}

/* Starts one device's connection, as the daemon connects; its callbacks
 * subscribe and publish the status. 0, or -1 with v->err. */
static int dev_start(struct dev *v)
{
    struct idle *d = v->d;
    char path[4096], since[TU_TS_MAX];
    snprintf(path, sizeof path, "%s/%s.pw", d->secrets, v->agent);
    v->pw = mq_read_secret(path, v->err);
    if (!v->pw)
        return -1;
    if (mq_client_new(&v->c, d->broker, v->agent, 0, v->err))
        return -1;
    if (MQTTAsync_setCallbacks(v->c, v, idle_on_lost, idle_on_message, NULL) !=
        MQTTASYNC_SUCCESS) {
        snprintf(v->err, sizeof v->err, "cannot set Paho's callbacks");
        return -1;
    }
    topic_fmt(v->will_topic, sizeof v->will_topic, d->root, "agents/%s/status", v->agent);
    snprintf(v->will, sizeof v->will, "{\"online\":false,\"agent_id\":\"%s\"}", v->agent);
    memcpy(v->status_topic, v->will_topic, sizeof v->status_topic);
    tu_format_ts(time(NULL), TU_SITE_OFFSET_MIN, since);
    snprintf(v->status, sizeof v->status,
             "{\"online\":true,\"agent_id\":\"%s\",\"pending\":0,\"last_seq\":0,"
             "\"since\":\"%s\"}",
             v->agent, since);
    topic_fmt(v->acks, sizeof v->acks, d->root, "agents/%s/acks", v->agent);
    topic_fmt(v->trips, sizeof v->trips, d->root, "trips/+");
    v->subs[0] = v->acks;
    v->subs[1] = v->trips;

    MQTTAsync_connectOptions co = MQTTAsync_connectOptions_initializer5;
    MQTTAsync_willOptions will = MQTTAsync_willOptions_initializer;
    MQTTProperties props = MQTTProperties_initializer;
    MQTTProperty p = {.identifier = MQTTPROPERTY_CODE_SESSION_EXPIRY_INTERVAL,
                      .value.integer4 = 7 * 24 * 3600};
    MQTTProperties_add(&props, &p);
    will.topicName = v->will_topic;
    will.message = v->will;
    will.qos = 1;
    will.retained = 1;
    co.MQTTVersion = MQTTVERSION_5;
    co.cleanstart = 0; /* a durable session, as the daemon's */
    co.keepAliveInterval = (int)d->keepalive_s;
    co.connectTimeout = (int)(d->timeout_ms / 1000 > 0 ? d->timeout_ms / 1000 : 1);
    co.username = v->agent;
    co.password = v->pw;
    co.will = &will;
    co.connectProperties = &props;
    co.onSuccess5 = on_connected;
    co.onFailure5 = on_fail;
    co.context = v;
    atomic_fetch_add(&d->outstanding, 1);
    int rc = MQTTAsync_connect(v->c, &co);
    MQTTProperties_free(&props);
    if (rc != MQTTASYNC_SUCCESS) {
        atomic_fetch_sub(&d->outstanding, 1);
        snprintf(v->err, sizeof v->err, "connect: %s", MQTTAsync_strerror(rc));
        return -1;
    }
    return 0;
}

static void idle_nap(void)
{
    struct timespec ts = {0, 1000000L};
    nanosleep(&ts, NULL);
}

static long idle_connected(const struct idle *d)
{
    long n = 0;
    for (long long i = 0; i < d->n; i++)
        n += d->v[i].c && MQTTAsync_isConnected(d->v[i].c);
    return n;
}

static void idle_line(struct idle *d, const char *what)
{
    printf("%s connected=%ld lost=%ld messages=%ld\n", what, idle_connected(d),
           atomic_load(&d->lost), atomic_load(&d->messages));
    fflush(stdout);
}

int lg_idle_main(int argc, char **argv)
{
    struct idle d = {.prefix = "idle-", .root = "outreach/v1", .first = 1, .keepalive_s = 30,
                     .hold_s = 600, .timeout_ms = 10000, .window = 100};
    int rc = idle_args(&d, argc, argv);
    if (rc)
        return rc < 0 ? LG_OK : rc;
    d.v = calloc((size_t)d.n, sizeof *d.v);
    if (!d.v) {
        fprintf(stderr, "outreach-loadgen idle: out of memory\n");
        return LG_FAIL;
    }
    struct sigaction sa = {.sa_handler = on_stop};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);

    /* Connect: at most --window devices under way at once, every wait bounded. */
    double t0 = tu_mono_ms();
    double give_up = t0 + IDLE_CONNECT_LIMIT_MS;
    long failed = 0;
    for (long long i = 0; i < d.n && !g_stop; i++) {
        struct dev *v = &d.v[i];
        v->d = &d;
        snprintf(v->agent, sizeof v->agent, "%s%05lld", d.prefix, d.first + i);
        while (atomic_load(&d.outstanding) >= d.window && !g_stop && tu_mono_ms() < give_up)
            idle_nap();
        if (dev_start(v))
            atomic_store(&v->state, D_FAILED);
    }
    while (atomic_load(&d.outstanding) > 0 && !g_stop && tu_mono_ms() < give_up)
        idle_nap();
    for (long long i = 0; i < d.n; i++) {
        if (atomic_load(&d.v[i].state) == D_READY)
            continue;
        if (failed++ < IDLE_MAX_ERRORS)
            fprintf(stderr, "outreach-loadgen idle: %s: %s\n", d.v[i].agent,
                    d.v[i].err[0] ? d.v[i].err : "not connected in time");
    }
    printf("ready agents=%lld connected=%ld failed=%ld ms=%.0f\n", d.n, idle_connected(&d),
           failed, tu_mono_ms() - t0);
    fflush(stdout);

    double until = tu_mono_ms() + (double)d.hold_s * 1000.0;
    while (!g_stop && tu_mono_ms() < until) {
        struct timespec ts = {0, IDLE_TICK_MS * 1000000L};
        nanosleep(&ts, NULL);
        if (g_report) {
            g_report = 0;
            idle_line(&d, "now");
        }
    }
    long connected = idle_connected(&d);
    long lost = atomic_load(&d.lost);
    idle_line(&d, "end");

    for (long long i = 0; i < d.n; i++) {
        if (d.v[i].c && MQTTAsync_isConnected(d.v[i].c)) {
            MQTTAsync_disconnectOptions o = MQTTAsync_disconnectOptions_initializer5;
            o.timeout = 1000;
            MQTTAsync_disconnect(d.v[i].c, &o);
        }
    }
    double close_until = tu_mono_ms() + IDLE_CLOSE_WAIT_MS;
    while (idle_connected(&d) > 0 && tu_mono_ms() < close_until) {
        struct timespec ts = {0, IDLE_TICK_MS * 1000000L};
        nanosleep(&ts, NULL);
    }
    /* A device still under way (given up on) may yet get a callback:
     * leave its client to the process's exit rather than destroy it. */
    bool settled = atomic_load(&d.outstanding) == 0;
    for (long long i = 0; settled && i < d.n; i++) {
        if (d.v[i].c)
            MQTTAsync_destroy(&d.v[i].c);
        free(d.v[i].pw);
    }
    if (settled)
        free(d.v);
    return failed == 0 && lost == 0 && connected == d.n ? LG_OK : LG_FAIL;
}
