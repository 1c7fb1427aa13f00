/* lg_raw.c -- "outreach-loadgen raw": the broker's own QoS 1 rate, one
 * publisher and one subscriber, as the yardstick for the coordinator's rate. */
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "loadgen.h"
#include "mq.h"
#include "mqtls.h"
#include "timeutil.h"

struct raw {
    pthread_mutex_t m;
    pthread_cond_t cv;
    long long n;            /* messages to send */
    unsigned char *seen;    /* per sequence number */
    long long inflight;     /* published, PUBACK not yet back */
    long long received;     /* distinct messages received */
    long long dups;         /* received again */
    long long foreign;      /* on the topic but not ours (e.g. a retained leftover) */
    long long pub_failed;   /* Paho reported a publish as failed */
    double last_recv_ms;
};

static void raw_usage(FILE *f)
{
    fputs("Usage: outreach-loadgen raw --broker URI --username U --password-file F\n"
          "           --messages N [--payload-bytes 250] [--topic outreach/v1/bench/raw]\n"
          "           [--inflight 100] [--deadline-s 600] [--json FILE]\n"
          "\n"
          "Measures the broker's QoS 1 rate: one subscriber (QoS 1) and one publisher\n"
          "send N messages as fast as Paho allows with at most --inflight unacknowledged\n"
          "publishes. rate = messages received / seconds from the first publish to the\n"
          "last receipt. The account must be allowed to publish and read the topic (the\n"
          "coordinator account is). Exit 0 when every message arrived, else 1.\n"
          "(Paho 1.3.12 is slower with more in flight: it scans its command queue, and\n"
          "Mosquitto's Receive Maximum, max_inflight_messages, caps the window anyway.)\n"
          "TLS, with --broker ssl://HOST:PORT or mqtts://HOST:PORT:\n"
          MQTLS_USAGE,
          f);
}

/* Paho's thread: count and signal, nothing else. */
static int raw_on_message(void *ctx, char *topic, int topic_len, MQTTAsync_message *m)
{
    struct raw *r = ctx;
    double now = tu_mono_ms();
    long long seq = -1;
    if (m->payloadlen >= 10) {
        const char *p = m->payload;
        seq = 0;
        for (int i = 0; i < 10; i++) {
            if (p[i] < '0' || p[i] > '9') {
                seq = -1;
                break;
            }
            seq = seq * 10 + (p[i] - '0');
        }
    }
    pthread_mutex_lock(&r->m);
    if (seq < 0 || seq >= r->n) {
        r->foreign++;
    } else if (r->seen[seq]) {
        r->dups++;
    } else {
        r->seen[seq] = 1;
        r->received++;
        r->last_recv_ms = now;
        if (r->received == r->n)
            pthread_cond_broadcast(&r->cv);
    }
    pthread_mutex_unlock(&r->m);
    MQTTAsync_freeMessage(&m);
    MQTTAsync_free(topic);
    return 1;
}

static void raw_pub_done(struct raw *r, bool ok)
{
    pthread_mutex_lock(&r->m);
    r->inflight--;
    if (!ok)
        r->pub_failed++;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->m);
}

static void raw_on_pub_ok(void *ctx, MQTTAsync_successData5 *d)
{
    raw_pub_done(ctx, true);
}

static void raw_on_pub_fail(void *ctx, MQTTAsync_failureData5 *d)
{
    raw_pub_done(ctx, false);
}

/* Waits on r->cv for at most ms; r->m held. */
static void raw_wait(struct raw *r, long ms)
{
    struct timespec until;
    tu_deadline(&until, CLOCK_MONOTONIC, ms);
    pthread_cond_timedwait(&r->cv, &r->m, &until);
}

int lg_raw_main(int argc, char **argv)
{
    const char *broker = NULL, *username = NULL, *pwfile = NULL, *json = NULL;
    const char *topic = "outreach/v1/bench/raw";
    long long messages = -1, payload_bytes = 250, max_inflight = 100, deadline_s = 600;
    static const struct option opts[] = {
        {"broker", required_argument, NULL, 'b'},
        {"username", required_argument, NULL, 'u'},
        {"password-file", required_argument, NULL, 'p'},
        {"messages", required_argument, NULL, 'n'},
        {"payload-bytes", required_argument, NULL, 's'},
        {"topic", required_argument, NULL, 't'},
        {"inflight", required_argument, NULL, 'i'},
        {"deadline-s", required_argument, NULL, 'd'},
        {"json", required_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        MQTLS_LONG_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    struct mq_tls tls = {0};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'b': broker = optarg; break;
        case 'u': username = optarg; break;
        case 'p': pwfile = optarg; break;
        case 't': topic = optarg; break;
        case 'j': json = optarg; break;
        case 'n':
            if (lg_parse_ll("--messages", optarg, 1, 100000000, &messages))
                return LG_USAGE;
            break;
        case 's':
            if (lg_parse_ll("--payload-bytes", optarg, 16, 60000, &payload_bytes))
                return LG_USAGE;
            break;
        case 'i':
            if (lg_parse_ll("--inflight", optarg, 1, 65535, &max_inflight))
                return LG_USAGE;
            break;
        case 'd':
            if (lg_parse_ll("--deadline-s", optarg, 1, 86400, &deadline_s))
                return LG_USAGE;
            break;
        case 'h': raw_usage(stdout); return LG_OK;
        default:
            if (mqtls_flag_apply(c, optarg, &tls))
                break;
            raw_usage(stderr);
            return LG_USAGE;
        }
    }
    if (optind < argc || !broker || !username || !pwfile || messages < 0 || !*topic ||
        strpbrk(topic, "+#")) {
        fprintf(stderr, "outreach-loadgen raw: --broker, --username, --password-file and "
                        "--messages are required, the topic has no wildcards, and nothing else\n");
        raw_usage(stderr);
        return LG_USAGE;
    }

    char err[MQ_ERR_MAX];
    if (mq_tls_check_usage(broker, &tls, err)) {
        fprintf(stderr, "outreach-loadgen raw: %s\n", err);
        return LG_USAGE;
    }
    char *password = mq_read_secret(pwfile, err);
    if (!password) {
        fprintf(stderr, "outreach-loadgen raw: %s\n", err);
        return LG_FAIL;
    }
    struct raw r = {.n = messages};
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&r.m, NULL);
    pthread_cond_init(&r.cv, &ca);
    pthread_condattr_destroy(&ca);
    r.seen = calloc((size_t)messages, 1);
    char *payload = malloc((size_t)payload_bytes + 1);
    MQTTAsync sub = NULL, pub = NULL;
    int rc = LG_FAIL;
    if (!r.seen || !payload) {
        fprintf(stderr, "outreach-loadgen raw: out of memory\n");
        goto out;
    }
    memset(payload, 'x', (size_t)payload_bytes);
    payload[payload_bytes] = '\0';

    char sub_id[128], pub_id[128]; /* USERNAME.SUFFIX, as the broker wants */
    snprintf(sub_id, sizeof sub_id, "%s.raw-sub-%ld", username, (long)getpid());
    snprintf(pub_id, sizeof pub_id, "%s.raw-pub-%ld", username, (long)getpid());
    struct mq_conn_opts co = {.username = username, .password = password, .clean_start = true,
                              .keepalive_s = 30, .max_inflight = 65535,
                              .tls = &tls, .uri = broker};
    if (lg_client_new(&sub, broker, sub_id, err, sizeof err) ||
        MQTTAsync_setCallbacks(sub, &r, NULL, raw_on_message, NULL) != MQTTASYNC_SUCCESS ||
        mq_connect(sub, &co, 10000, NULL, err) || mq_subscribe(sub, topic, 1, 10000, err) ||
        lg_client_new(&pub, broker, pub_id, err, sizeof err) || mq_connect(pub, &co, 10000, NULL, err)) {
        fprintf(stderr, "outreach-loadgen raw: %s\n", err);
        goto out;
    }

    double start = tu_mono_ms(), deadline = start + (double)deadline_s * 1000.0;
    long long sent = 0;
    bool stalled = false;
    for (long long i = 0; i < messages; i++) {
        pthread_mutex_lock(&r.m);
        double since = tu_mono_ms();
        while (r.inflight >= max_inflight && !stalled) {
            raw_wait(&r, 100);
            double now = tu_mono_ms();
            if (now - since > 30000 || now > deadline)
                stalled = true;
        }
        if (!stalled)
            r.inflight++;
        pthread_mutex_unlock(&r.m);
        if (stalled) {
            fprintf(stderr, "outreach-loadgen raw: no PUBACK for 30 s (or past the deadline) "
                            "after %lld publishes\n", sent);
            break;
        }
        char head[24];
        snprintf(head, sizeof head, "%010lld", i);
        memcpy(payload, head, 10);
        MQTTAsync_message msg = MQTTAsync_message_initializer;
        MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
        msg.payload = payload;
        msg.payloadlen = (int)payload_bytes;
        msg.qos = 1;
        ro.onSuccess5 = raw_on_pub_ok;
        ro.onFailure5 = raw_on_pub_fail;
        ro.context = &r;
        int prc = MQTTAsync_sendMessage(pub, topic, &msg, &ro);
        if (prc != MQTTASYNC_SUCCESS) {
            raw_pub_done(&r, false);
            fprintf(stderr, "outreach-loadgen raw: publish %lld: %s\n", i, MQTTAsync_strerror(prc));
            break;
        }
        sent++;
    }
    /* Everything sent arrives, or nothing has arrived for 30 s, or the deadline. */
    pthread_mutex_lock(&r.m);
    long long last_count = -1;
    double last_change = tu_mono_ms();
    while (r.received < sent) {
        double now = tu_mono_ms();
        if (r.received != last_count) {
            last_count = r.received;
            last_change = now;
        }
        if (now - last_change > 30000 || now > deadline)
            break;
        raw_wait(&r, 100);
    }
    long long received = r.received, dups = r.dups, foreign = r.foreign, failed = r.pub_failed;
    double last = r.last_recv_ms;
    pthread_mutex_unlock(&r.m);

    double elapsed_s = received > 0 ? (last - start) / 1000.0 : (tu_mono_ms() - start) / 1000.0;
    double rate = received > 0 && elapsed_s > 0 ? (double)received / elapsed_s : 0;
    printf("raw broker QoS 1: %lld messages of %lld bytes, %lld received (%lld again, %lld "
           "foreign), %lld publishes failed\n"
           "  %.3f s from first publish to last receipt: %.0f messages/s\n",
           messages, payload_bytes, received, dups, foreign, failed, elapsed_s, rate);
    if (json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "messages", (double)messages);
        cJSON_AddNumberToObject(o, "received", (double)received);
        cJSON_AddNumberToObject(o, "elapsed_s", lg_round3(elapsed_s));
        cJSON_AddNumberToObject(o, "rate_per_s", lg_round3(rate));
        cJSON_AddNumberToObject(o, "payload_bytes", (double)payload_bytes);
        cJSON_AddNumberToObject(o, "duplicates", (double)dups);
        cJSON_AddNumberToObject(o, "publish_failures", (double)failed);
        int wrc = lg_write_json(json, o);
        cJSON_Delete(o);
        if (wrc)
            goto out;
    }
    if (received == messages) {
        rc = LG_OK;
    } else {
        fprintf(stderr, "outreach-loadgen raw: FAILED: %lld of %lld messages received\n",
                received, messages);
    }
out:
    mq_close(&pub, 2000);
    mq_close(&sub, 2000);
    free(password);
    free(payload);
    free(r.seen);
    pthread_mutex_destroy(&r.m);
    pthread_cond_destroy(&r.cv);
    return rc;
}
