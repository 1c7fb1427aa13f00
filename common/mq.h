/* mq.h -- thin blocking helpers over Paho MQTTAsync (MQTT 5 only). */
#ifndef OUTREACH_MQ_H
#define OUTREACH_MQ_H

#include <stdbool.h>
#include <stddef.h>

#include <MQTTAsync.h>

#include "mqtls.h"

#define MQ_ERR_MAX 256

struct mq_conn_opts {
    const char *username;     /* NULL: anonymous */
    const char *password;
    bool clean_start;
    unsigned session_expiry_s; /* 0: the session ends with the connection */
    int keepalive_s;
    int max_inflight;
    bool auto_reconnect;
    /* Last will, retained when will_retained. */
    const char *will_topic, *will_payload;
    bool will_retained;
    /* TLS settings for an ssl:// or mqtts:// URI; NULL: the defaults. */
    const struct mq_tls *tls;
    /* The client's URI (as given to mq_client_new), so that a refused TLS
     * handshake can be explained; NULL: Paho's words only. */
    const char *uri;
};

/* True when uri asks for TLS (ssl://, mqtts://, wss://). */
bool mq_uri_is_tls(const char *uri);

/* True when any TLS option is set in t (NULL-safe). */
bool mq_tls_given(const struct mq_tls *t);

/* Checks uri and t before anything is sent: a scheme Paho takes, and no TLS
 * option with a plain URI. Returns 0, or -1 with err naming the option (a
 * usage error: exit 2). */
int mq_tls_check_usage(const char *uri, const struct mq_tls *t, char err[MQ_ERR_MAX]);

/* Every file named in t (NULL-safe) must be readable: returns 0, or -1 with
 * err naming the file and its option. mq_connect checks this itself. */
int mq_tls_check_files(const struct mq_tls *t, char err[MQ_ERR_MAX]);

/* Fills Paho's TLS options from t (NULL: the defaults): TLS 1.2 or later,
 * the server's certificate checked, its host name too unless
 * insecure_skip_hostname. The strings stay t's. For callers that connect with
 * MQTTAsync_connect themselves (mq_connect does this for its callers). */
void mq_tls_fill(const struct mq_tls *t, MQTTAsync_SSLOptions *ssl);

/* Creates an MQTT 5 client for uri (tcp://host:port) that buffers up to
 * max_buffered publishes while disconnected. Returns 0 or -1 with err. */
int mq_client_new(MQTTAsync *out, const char *uri, const char *client_id,
                  int max_buffered, char err[MQ_ERR_MAX]);

/* Connects and waits up to timeout_ms. *session_present (may be NULL) tells
 * whether the broker kept a session. Returns 0 or -1 with err. With a TLS
 * URI, a CA, certificate or key file that cannot be read is named in err,
 * and a failed handshake is explained (mqtls_explain): a CA that does not
 * vouch for the broker's certificate, or a certificate for another host. */
int mq_connect(MQTTAsync c, const struct mq_conn_opts *o, int timeout_ms,
               bool *session_present, char err[MQ_ERR_MAX]);

/* Subscribes and waits for the SUBACK; a refusal by the broker is an error. */
int mq_subscribe(MQTTAsync c, const char *topic, int qos, int timeout_ms,
                 char err[MQ_ERR_MAX]);

/* Queues a publish; returns 0 or -1 with err. props may be NULL. *token (may
 * be NULL) receives the token for MQTTAsync_waitForCompletion. */
int mq_publish(MQTTAsync c, const char *topic, const void *payload, size_t len,
               int qos, bool retained, MQTTProperties *props, MQTTAsync_token *token,
               char err[MQ_ERR_MAX]);

/* mq_publish, then waits up to timeout_ms until the broker has it (for a
 * last word before disconnecting). */
int mq_publish_wait(MQTTAsync c, const char *topic, const char *payload, bool retained,
                    int timeout_ms, char err[MQ_ERR_MAX]);

/* Disconnects (waiting up to timeout_ms) and destroys; *c becomes NULL. NULL-safe. */
void mq_close(MQTTAsync *c, int timeout_ms);

/* Reads a password file (first line, without its newline). Returns a string
 * the caller frees, or NULL with err. */
char *mq_read_secret(const char *path, char err[MQ_ERR_MAX]);

/* A NUL-terminated copy of n bytes (a message's topic, payload or property,
 * copied on Paho's thread before it frees them); NULL when out of memory.
 * The caller frees it. */
char *mq_dup_bytes(const void *p, size_t n);

#endif
