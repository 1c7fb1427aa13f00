/* acks.h -- the coordinator's acks as the field agent receives them: Paho's
 * thread parses and queues them, ours applies them to the outbox. */
#ifndef OUTREACH_ACKS_H
#define OUTREACH_ACKS_H

#include <pthread.h>
#include <stddef.h>

#include <MQTTAsync.h>

#include "outbox.h"

struct answer {
    char msg_id[UUID_LEN + 1];
    char status[12]; /* accepted, duplicate or rejected */
    char code[24];
    char reason[JERR_MAX];
};

struct ack_inbox {
    pthread_mutex_t m;
    pthread_cond_t cv;
    struct answer *a;
    size_t n, cap;
};

void ack_inbox_init(struct ack_inbox *in);
void ack_inbox_free(struct ack_inbox *in); /* NULL is fine */
/* Paho's messageArrived callback; context is the ack_inbox. Never waits. */
int ack_inbox_on_message(void *ctx, char *topic, int topic_len, MQTTAsync_message *m);
/* Takes every queued answer, waiting up to wait_ms for the first. The caller
 * frees *list. */
void ack_inbox_take(struct ack_inbox *in, int wait_ms, struct answer **list, size_t *n);

struct ack_counts {
    size_t accepted, duplicate, rejected;
};
/* Marks each answered entry in one transaction; the first answer is final.
 * changed[i] (may be NULL) tells whether answer i changed the outbox. */
oerr_t ack_apply(struct outbox *ob, const struct answer *a, size_t n, bool *changed,
                 struct ack_counts *counts);

#endif
