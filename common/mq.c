/* mq.c -- wait for Paho's asynchronous answers with a deadline, MQTT 5 always set. */
#include "mq.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mqtls.h"
#include "timeutil.h"

/* One outstanding call. Shared by the caller and Paho's callback thread; the
 * last of the two to let go frees it, so a caller that timed out leaves
 * nothing for a late callback to write into. */
struct waiter {
    pthread_mutex_t m;
    pthread_cond_t cv;
    int refs;
    bool done, ok, session_present;
    int reason;
    char msg[MQ_ERR_MAX];
};

static struct waiter *waiter_new(void)
{
    struct waiter *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&w->m, NULL);
    pthread_cond_init(&w->cv, &ca);
    pthread_condattr_destroy(&ca);
    w->refs = 2;
    return w;
}

static void waiter_release(struct waiter *w)
{
    pthread_mutex_lock(&w->m);
    int left = --w->refs;
    pthread_mutex_unlock(&w->m);
    if (left == 0) {
        pthread_mutex_destroy(&w->m);
        pthread_cond_destroy(&w->cv);
        free(w);
    }
}

static void finish(struct waiter *w, bool ok, int reason, const char *msg, bool sp)
{
    pthread_mutex_lock(&w->m);
    w->done = true;
    w->ok = ok;
    w->reason = reason;
    w->session_present = sp;
    if (msg)
        snprintf(w->msg, sizeof w->msg, "%s", msg);
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->m);
    waiter_release(w);
}

static void on_success(void *ctx, MQTTAsync_successData5 *d)
{
    /* Used for connect and disconnect: only connect fills sessionPresent. */
    struct waiter *w = ctx;
    finish(w, true, d ? (int)d->reasonCode : 0, NULL,
           d ? d->alt.connect.sessionPresent != 0 : false);
}

static void on_sub_success(void *ctx, MQTTAsync_successData5 *d)
{
    /* One topic per call: Paho reports its SUBACK code in reasonCode (the
     * reasonCodes list is only filled for subscribeMany). */
    struct waiter *w = ctx;
    int reason = d ? (int)d->reasonCode : 0;
    finish(w, reason < 0x80, reason, reason < 0x80 ? NULL : MQTTReasonCode_toString(reason), false);
}

static void on_failure(void *ctx, MQTTAsync_failureData5 *d)
{
    struct waiter *w = ctx;
    const char *msg = d && d->message ? d->message
                      : d && d->reasonCode ? MQTTReasonCode_toString(d->reasonCode)
                      : d ? MQTTAsync_strerror(d->code) : "failed";
    /* A refused CONNACK: Paho (1.3.12) puts its reason code in code, and
     * says only "CONNACK return code". */
    int reason = !d ? -1
                 : d->reasonCode ? (int)d->reasonCode
                 : d->message && strncmp(d->message, "CONNACK", 7) == 0 ? d->code
                                                                        : 0;
    finish(w, false, reason, msg, false);
}

/* Waits for the callback; returns 0 on success. Keeps the caller's ref. */
static int await_keep(struct waiter *w, int timeout_ms, bool *sp, char err[MQ_ERR_MAX],
                      const char *what)
{
    struct timespec until;
    tu_deadline(&until, CLOCK_MONOTONIC, timeout_ms);
    pthread_mutex_lock(&w->m);
    int rc = 0;
    while (!w->done && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&w->cv, &w->m, &until);
    bool done = w->done, ok = w->ok;
    if (sp)
        *sp = w->session_present;
    if (!done)
        snprintf(err, MQ_ERR_MAX, "%s: no answer within %d ms", what, timeout_ms);
    else if (!ok)
        snprintf(err, MQ_ERR_MAX, "%.100s: %.150s", what, w->msg[0] ? w->msg : "refused");
    pthread_mutex_unlock(&w->m);
    return done && ok ? 0 : -1;
}

/* The same, then lets go of the caller's ref. */
static int await(struct waiter *w, int timeout_ms, bool *sp, char err[MQ_ERR_MAX],
                 const char *what)
{
    int rc = await_keep(w, timeout_ms, sp, err, what);
    waiter_release(w);
    return rc;
}

bool mq_uri_is_tls(const char *uri)
{
    return uri && (strncmp(uri, "ssl://", 6) == 0 || strncmp(uri, "mqtts://", 8) == 0 ||
                   strncmp(uri, "wss://", 6) == 0);
}

bool mq_tls_given(const struct mq_tls *t)
{
    return t && (t->ca_file || t->cert_file || t->key_file || t->insecure_skip_hostname);
}

int mq_tls_check_usage(const char *uri, const struct mq_tls *t, char err[MQ_ERR_MAX])
{
    static const char *const plain[] = {"tcp://", "mqtt://", "ws://"};
    bool is_plain = false;
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
        is_plain = is_plain || strncmp(uri, plain[i], strlen(plain[i])) == 0;
    if (!is_plain && !mq_uri_is_tls(uri)) {
        snprintf(err, MQ_ERR_MAX, "broker URI '%.100s' must start with tcp:// or mqtt:// "
                 "(plain), ssl:// or mqtts:// (TLS), or ws:// or wss:// (WebSockets)", uri);
        return -1;
    }
    if (is_plain && mq_tls_given(t)) {
        const char *which = t->ca_file ? "--tls-ca-file (tls_ca_file)"
                            : t->cert_file ? "--tls-cert-file (tls_cert_file)"
                            : t->key_file ? "--tls-key-file (tls_key_file)"
                            : "--tls-insecure-skip-hostname (tls_insecure_skip_hostname)";
        snprintf(err, MQ_ERR_MAX, "%s is a TLS option, but the broker URI '%.80s' is plain: "
                 "use ssl://HOST:8883 (or mqtts://), or drop the option", which, uri);
        return -1;
    }
    if (t && t->key_file && !t->cert_file) {
        snprintf(err, MQ_ERR_MAX, "--tls-key-file (tls_key_file) needs --tls-cert-file "
                 "(tls_cert_file): the certificate it is the key of");
        return -1;
    }
    return 0;
}

void mq_tls_fill(const struct mq_tls *t, MQTTAsync_SSLOptions *ssl)
{
    MQTTAsync_SSLOptions init = MQTTAsync_SSLOptions_initializer;
    *ssl = init;
    ssl->sslVersion = MQTT_SSL_VERSION_TLS_1_2; /* 1.2 or later */
    ssl->enableServerCertAuth = 1;
    ssl->verify = !(t && t->insecure_skip_hostname); /* Paho: check the host name */
    ssl->ssl_error_cb = mqtls_on_ssl_error;
    if (t) {
        ssl->trustStore = t->ca_file;
        ssl->keyStore = t->cert_file;
        ssl->privateKey = t->key_file;
    }
}

int mq_tls_check_files(const struct mq_tls *t, char err[MQ_ERR_MAX])
{
    const char *files[3][2] = {{t ? t->ca_file : NULL, "CA file (tls_ca_file)"},
                               {t ? t->cert_file : NULL, "client certificate (tls_cert_file)"},
                               {t ? t->key_file : NULL, "client key (tls_key_file)"}};
    for (int i = 0; i < 3; i++) {
        if (!files[i][0])
            continue;
        FILE *f = fopen(files[i][0], "r");
        if (!f) {
            snprintf(err, MQ_ERR_MAX, "TLS: cannot read the %s %.120s: %s", files[i][1],
                     files[i][0], strerror(errno));
            return -1;
        }
        fclose(f);
    }
    return 0;
}

int mq_client_new(MQTTAsync *out, const char *uri, const char *client_id,
                  int max_buffered, char err[MQ_ERR_MAX])
{
    MQTTAsync_createOptions co = MQTTAsync_createOptions_initializer5;
    co.MQTTVersion = MQTTVERSION_5;
    co.sendWhileDisconnected = max_buffered > 0;
    co.maxBufferedMessages = max_buffered > 0 ? max_buffered : 100;
    co.deleteOldestMessages = 0;
    int rc = MQTTAsync_createWithOptions(out, uri, client_id,
                                         MQTTCLIENT_PERSISTENCE_NONE, NULL, &co);
    if (rc != MQTTASYNC_SUCCESS) {
        snprintf(err, MQ_ERR_MAX, "cannot create MQTT client for %s: %s", uri,
                 MQTTAsync_strerror(rc));
        *out = NULL;
        return -1;
    }
    return 0;
}

/* After a failed TLS connect: replaces err with the reason our own
 * handshake finds, or adds OpenSSL's last error line that Paho reported. A
 * refusal by the broker after the handshake (bad password) is left as is. */
static void explain_tls(const struct mq_conn_opts *o, int timeout_ms, char err[MQ_ERR_MAX])
{
    char why[MQ_ERR_MAX], last[200];
    mqtls_last_error(last, sizeof last);
    if (strstr(err, "CONNACK") || strstr(err, "Not authorized") || strstr(err, "Bad user"))
        return;
    if (mqtls_explain(o->uri, o->tls, timeout_ms < 5000 ? timeout_ms : 5000, why, sizeof why)) {
        snprintf(err, MQ_ERR_MAX, "%s", why);
    } else if (last[0]) {
        size_t used = strlen(err);
        snprintf(err + used, MQ_ERR_MAX - used, " (TLS: %.*s)",
                 (int)(MQ_ERR_MAX - used > 12 ? MQ_ERR_MAX - used - 12 : 0), last);
    }
}

int mq_connect(MQTTAsync c, const struct mq_conn_opts *o, int timeout_ms,
               bool *session_present, char err[MQ_ERR_MAX])
{
    MQTTAsync_connectOptions co = MQTTAsync_connectOptions_initializer5;
    MQTTAsync_willOptions will = MQTTAsync_willOptions_initializer;
    MQTTProperties props = MQTTProperties_initializer;
    MQTTProperty p;

    /* TLS options go with an ssl:// URI, or with any when the URI is not
     * known (Paho uses them only for ssl://). Files first: before anything
     * is allocated here. */
    MQTTAsync_SSLOptions ssl;
    bool tls = o->uri ? mq_uri_is_tls(o->uri) : true;
    if (tls) {
        if (mq_tls_check_files(o->tls, err))
            return -1;
        mq_tls_fill(o->tls, &ssl);
        co.ssl = &ssl;
    }

    /* Paho 1.3.12 mishandles reconnects unless the version is set explicitly. */
    co.MQTTVersion = MQTTVERSION_5;
    co.cleanstart = o->clean_start;
    co.keepAliveInterval = o->keepalive_s > 0 ? o->keepalive_s : 30;
    co.maxInflight = o->max_inflight > 0 ? o->max_inflight : 65535;
    co.connectTimeout = timeout_ms / 1000 > 0 ? timeout_ms / 1000 : 1;
    co.username = o->username;
    co.password = o->password;
    co.automaticReconnect = o->auto_reconnect;
    co.minRetryInterval = 1;
    co.maxRetryInterval = 16;
    if (o->session_expiry_s > 0) {
        p.identifier = MQTTPROPERTY_CODE_SESSION_EXPIRY_INTERVAL;
        p.value.integer4 = o->session_expiry_s;
        MQTTProperties_add(&props, &p);
        co.connectProperties = &props;
    }
    if (o->will_topic) {
        will.topicName = o->will_topic;
        will.message = o->will_payload;
        will.qos = 1;
        will.retained = o->will_retained;
        co.will = &will;
    }
    struct waiter *w = waiter_new();
    if (!w) {
        MQTTProperties_free(&props);
        snprintf(err, MQ_ERR_MAX, "out of memory");
        return -1;
    }
    co.onSuccess5 = on_success;
    co.onFailure5 = on_failure;
    co.context = w;
    int rc = MQTTAsync_connect(c, &co);
    MQTTProperties_free(&props);
    if (rc != MQTTASYNC_SUCCESS) {
        snprintf(err, MQ_ERR_MAX, "connect: %s", MQTTAsync_strerror(rc));
        waiter_release(w);
        waiter_release(w);
        return -1;
    }
    rc = await_keep(w, timeout_ms + 1000, session_present, err, "connect");
    pthread_mutex_lock(&w->m);
    int reason = w->done ? w->reason : 0;
    pthread_mutex_unlock(&w->m);
    waiter_release(w);
    /* A refused login: Paho's words ("CONNACK return code") do not say
     * why; the reason code does, and whether a password was given. */
    if (rc && (reason == MQTTREASONCODE_BAD_USER_NAME_OR_PASSWORD ||
               reason == MQTTREASONCODE_NOT_AUTHORIZED))
        snprintf(err, MQ_ERR_MAX, "connect: the broker refused user '%.64s' %s: %s "
                 "(MQTT reason code %d)", o->username ? o->username : "(none)",
                 o->password ? "with the password given" : "without a password",
                 MQTTReasonCode_toString((enum MQTTReasonCodes)reason), reason);
    if (rc && tls && o->uri)
        explain_tls(o, timeout_ms, err);
    return rc;
}

int mq_subscribe(MQTTAsync c, const char *topic, int qos, int timeout_ms,
                 char err[MQ_ERR_MAX])
{
    MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
    struct waiter *w = waiter_new();
    if (!w) {
        snprintf(err, MQ_ERR_MAX, "out of memory");
        return -1;
    }
    ro.onSuccess5 = on_sub_success;
    ro.onFailure5 = on_failure;
    ro.context = w;
    int rc = MQTTAsync_subscribe(c, topic, qos, &ro);
    if (rc != MQTTASYNC_SUCCESS) {
        snprintf(err, MQ_ERR_MAX, "subscribe %s: %s", topic, MQTTAsync_strerror(rc));
        waiter_release(w);
        waiter_release(w);
        return -1;
    }
    char what[300];
    snprintf(what, sizeof what, "subscribe %s", topic);
    return await(w, timeout_ms, NULL, err, what);
}

/* LeakSanitizer: Paho (Debian's 1.3.12, and upstream master still) loses
 * the topic and payload of every publish still queued unsent when a client
 * is destroyed: MQTTAsync_destroy -> MQTTAsync_NULLPublishCommands sets them
 * to NULL "to be freed in RemovePublication", but a command never sent has
 * no publication, so nothing frees them. The coordinator meets it when it
 * throws away a client the broker keeps hanging up on (service.c,
 * renew_client_if_stuck): progress and status publishes wait unsent in that
 * client, and destroying it is still right (the broker keeps the session;
 * the fresh client republishes everything). Paho's own frames have no frame
 * pointers, so a suppression by function name never matches with ASan's
 * fast unwinder; instead the copies Paho makes inside this one call are not
 * counted as leaks. Everything else, ours and Paho's, still is. */
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#define LSAN_PAHO_BEGIN() __lsan_disable()
#define LSAN_PAHO_END() __lsan_enable()
#else
#define LSAN_PAHO_BEGIN() ((void)0)
#define LSAN_PAHO_END() ((void)0)
#endif

int mq_publish(MQTTAsync c, const char *topic, const void *payload, size_t len,
               int qos, bool retained, MQTTProperties *props, MQTTAsync_token *token,
               char err[MQ_ERR_MAX])
{
    if (!c) { /* no client (a failed renewal while stopping) */
        snprintf(err, MQ_ERR_MAX, "publish %s: no MQTT client", topic);
        return -1;
    }
    MQTTAsync_message msg = MQTTAsync_message_initializer;
    MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
    msg.payload = (void *)payload;
    msg.payloadlen = (int)len;
    msg.qos = qos;
    msg.retained = retained;
    if (props)
        msg.properties = *props;
    LSAN_PAHO_BEGIN();
    int rc = MQTTAsync_sendMessage(c, topic, &msg, &ro);
    LSAN_PAHO_END();
    if (rc != MQTTASYNC_SUCCESS) {
        snprintf(err, MQ_ERR_MAX, "publish %s: %s", topic, MQTTAsync_strerror(rc));
        return -1;
    }
    if (token)
        *token = ro.token;
    return 0;
}

int mq_publish_wait(MQTTAsync c, const char *topic, const char *payload, bool retained,
                    int timeout_ms, char err[MQ_ERR_MAX])
{
    MQTTAsync_token token;
    if (mq_publish(c, topic, payload, strlen(payload), 1, retained, NULL, &token, err))
        return -1;
    int rc = MQTTAsync_waitForCompletion(c, token, (unsigned long)timeout_ms);
    if (rc != MQTTASYNC_SUCCESS) {
        snprintf(err, MQ_ERR_MAX, "publish %.200s: %s", topic, MQTTAsync_strerror(rc));
        return -1;
    }
    return 0;
}

void mq_close(MQTTAsync *c, int timeout_ms)
{
    if (!c || !*c)
        return;
    if (MQTTAsync_isConnected(*c)) {
        MQTTAsync_disconnectOptions d = MQTTAsync_disconnectOptions_initializer5;
        d.timeout = timeout_ms;
        struct waiter *w = waiter_new();
        if (w) {
            d.onSuccess5 = on_success;
            d.onFailure5 = on_failure;
            d.context = w;
            char err[MQ_ERR_MAX];
            if (MQTTAsync_disconnect(*c, &d) == MQTTASYNC_SUCCESS) {
                await_keep(w, timeout_ms + 500, NULL, err, "disconnect");
                MQTTAsync_destroy(c);
                /* No callback runs after destroy: if it never came, its ref
                 * is ours to drop. */
                pthread_mutex_lock(&w->m);
                bool done = w->done;
                pthread_mutex_unlock(&w->m);
                if (!done)
                    waiter_release(w);
                waiter_release(w);
                *c = NULL;
                return;
            }
            waiter_release(w);
            waiter_release(w);
        }
    }
    MQTTAsync_destroy(c);
    *c = NULL;
}

char *mq_read_secret(const char *path, char err[MQ_ERR_MAX])
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, MQ_ERR_MAX, "cannot read password file %s: %s", path, strerror(errno));
        return NULL;
    }
    char buf[512];
    if (!fgets(buf, sizeof buf, f))
        buf[0] = '\0';
    fclose(f);
    buf[strcspn(buf, "\r\n")] = '\0';
    if (!buf[0]) {
        snprintf(err, MQ_ERR_MAX, "password file %s is empty", path);
        return NULL;
    }
    char *s = strdup(buf);
    if (!s)
        snprintf(err, MQ_ERR_MAX, "out of memory");
    return s;
}

char *mq_dup_bytes(const void *p, size_t n)
{
    char *s = malloc(n + 1);
    if (s) {
        if (n)
            memcpy(s, p, n);
        s[n] = '\0';
    }
    return s;
}
