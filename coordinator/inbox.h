/* inbox.h -- the queue between Paho's thread, which receives, and the
 * daemon's thread, which stores in batches. */
#ifndef OUTREACH_INBOX_H
#define OUTREACH_INBOX_H

#include <stdbool.h>
#include <stddef.h>

#include <MQTTAsync.h>

/* One received message, owned by the inbox until inbox_take hands it over. */
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
    double arrived_ms; /* monotonic, when queued */
};

/* A message as it arrives; the inbox copies what it keeps. */
struct inbox_msg {
    const char *topic;
    size_t topic_len;
    const void *payload;
    size_t len;
    bool retained;
    const char *resp_topic; /* MQTT 5 response topic, or NULL */
    size_t resp_len;
    const void *corr; /* correlation data, or NULL */
    size_t corr_len;
};

struct inbox;

/* A queue holding at most max_bytes of messages (counted with their
 * overhead), handing out at most batch_max of them at a time. NULL when out
 * of memory. */
struct inbox *inbox_new(long long max_bytes, long long batch_max);
/* Group commit: a batch smaller than batch_max is handed out only once its
 * first message has waited linger_ms (0, the default: at once), so that one
 * commit, and one fsync, covers the messages that arrive close together. */
void inbox_set_linger(struct inbox *q, long linger_ms);
/* Frees the queue and whatever it still holds. Accepts NULL. */
void inbox_free(struct inbox *q);

/* Queues a copy of m, never waiting. The payload is cut past the
 * contract's limit (it is refused anyway). Returns 0, or -1 when the
 * message was dropped (logged): out of memory, a topic with a NUL, or the
 * queue full. */
int inbox_put(struct inbox *q, const struct inbox_msg *m);

/* Paho's message-arrived callback for q: inbox_put, then frees topic and m
 * as Paho expects. Always returns 1 (the message is taken). */
int inbox_on_message(struct inbox *q, char *topic, int topic_len, MQTTAsync_message *m);

/* Takes up to batch_max messages in arrival order, waiting up to wait_ms
 * for the first when the queue is empty; then, with a linger, until
 * batch_max are there or the first has waited linger_ms since it was queued
 * (never longer). The caller owns the list (free it with inbox_items_free);
 * NULL when there is none. */
struct item *inbox_take(struct inbox *q, long wait_ms);
/* Frees a list of items. Accepts NULL. */
void inbox_items_free(struct item *it);

/* What the queue holds now, and how many messages it dropped since it began. */
void inbox_stats(struct inbox *q, long long *count, long long *bytes, long long *dropped);

#endif
