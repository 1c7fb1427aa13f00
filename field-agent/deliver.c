/* deliver.c -- daemon, offline or direct send: the one place that decides
 * how a saved report leaves the device. */
#include "deliver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon.h"
#include "olog.h"
#include "timeutil.h"

int deliver_flush(const struct agent_config *c, struct outbox *ob, struct flush_result *res,
                  bool fetch_trips, deliver_progress_fn *progress, void *ctx,
                  char err[MQ_ERR_MAX])
{
    char *password = NULL;
    memset(res, 0, sizeof *res);
    if (!c->broker) {
        snprintf(err, MQ_ERR_MAX, "no broker configured (set broker or pass --broker)");
        return -1;
    }
    if (c->password_file && !(password = mq_read_secret(c->password_file, err)))
        return -1;
    struct sender_opts so = {
        .broker = c->broker, .agent_id = c->agent_id,
        .username = c->username ? c->username : (password ? c->agent_id : NULL),
        .password = password, .topic_root = c->topic_root, .tls = &c->tls,
        .connect_timeout_ms = (int)c->connect_timeout_s * 1000,
        .ack_timeout_ms = (int)c->ack_timeout_s * 1000, .window = (size_t)c->window,
        .progress = progress, .ctx = ctx,
        .fetch_trips = fetch_trips,
    };
    int rc = sender_flush(ob, &so, res, err);
    free(password);
    return rc;
}

/* Prints what the coordinator answered for msg_id; returns the exit status. */
static int print_answer(const struct agent_config *c, struct outbox *ob, const char *msg_id,
                        const char *who_resends)
{
    struct outbox_entry e;
    int rc = 0;
    if (outbox_get(ob, msg_id, &e) != OERR_OK)
        return 1;
    if (strcmp(e.state, "acked") == 0) {
        printf("%s: counted by the coordinator\n",
               strcmp(e.ack_status, "duplicate") == 0 ? "duplicate" : "accepted");
    } else if (strcmp(e.state, "rejected") == 0) {
        char *reason = olog_escape_dup(e.reason); /* it may quote what was sent */
        printf("rejected (%s): %s\n", e.code, reason ? reason : "?");
        free(reason);
        rc = EXIT_REJECTED;
    } else {
        printf("queued: %s, but no answer from the coordinator within %lld s; %s sends it "
               "again\n", strcmp(e.state, "sent") == 0 ? "sent" : "not sent yet",
               c->ack_timeout_s, who_resends);
    }
    outbox_entry_clear(&e);
    return rc;
}

/* The daemon sends it: wait for its answer only while it is online. */
static int through_daemon(const struct agent_config *c, struct outbox *ob, const char *msg_id,
                          long dpid)
{
    char state[16] = "";
    outbox_meta_get(ob, "daemon", state, sizeof state);
    if (strcmp(state, "online") != 0) {
        printf("queued: the daemon (pid %ld) is not connected; the report is sent when "
               "it is (or by 'outreach-agent sync')\n", dpid);
        return 0;
    }
    double until = tu_mono_ms() + (double)c->ack_timeout_s * 1000;
    struct outbox_entry cur = {0};
    while (tu_mono_ms() < until && outbox_get(ob, msg_id, &cur) == OERR_OK &&
           (strcmp(cur.state, "pending") == 0 || strcmp(cur.state, "sent") == 0)) {
        outbox_entry_clear(&cur);
        nanosleep(&(struct timespec){0, 100000000L}, NULL); /* poll the outbox */
    }
    outbox_entry_clear(&cur);
    return print_answer(c, ob, msg_id, "the daemon");
}

int deliver_report(const struct agent_config *c, struct outbox *ob, const char *msg_id)
{
    long dpid;
    if (daemon_running(c->outbox, &dpid))
        return through_daemon(c, ob, msg_id, dpid);
    if (c->offline) {
        printf("queued: offline mode; send it later with 'outreach-agent sync'\n");
        return 0;
    }
    struct flush_result res;
    char err[MQ_ERR_MAX];
    if (deliver_flush(c, ob, &res, false, NULL, NULL, err)) {
        printf("queued: %s; it will be sent by 'outreach-agent sync'\n", err);
        return 0;
    }
    return print_answer(c, ob, msg_id, "'outreach-agent sync'");
}
