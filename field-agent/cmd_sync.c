/* cmd_sync.c -- outreach-agent sync: send what waits (or watch the daemon
 * send it) and fetch the trip cards. */
#include "commands.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "deliver.h"
#include "timeutil.h"

static const char usage_sync[] =
    "usage: outreach-agent sync [OPTIONS]\n\n"
    "Sends every report still waiting in the outbox, oldest first, and records\n"
    "the coordinator's answers. Safe to run any time: nothing is sent twice\n"
    "under a new msg_id, and the coordinator counts each report once. Also\n"
    "fetches the retained trip cards into the outbox, so that 'report' can\n"
    "refuse an unknown or cancelled trip offline (the daemon keeps them too).\n"
    "See 'outreach-agent --help' for the options.\n";

/* How sync shows a large backlog draining: a bar on a terminal, otherwise a
 * counter line at every tenth. */
struct progress_view {
    int tty;
    int last_tenth;
};

static void show_progress(void *ctx, size_t sent, size_t answered, size_t total)
{
    struct progress_view *v = ctx;
    if (total == 0)
        return;
    if (v->tty) {
        int width = 30, filled = (int)(answered * (size_t)width / total);
        fprintf(stderr, "\r[%.*s%*s] %zu/%zu answered, %zu sent", filled,
                "##############################", width - filled, "", answered, total, sent);
        if (answered == total)
            fputc('\n', stderr);
        return;
    }
    int tenth = (int)(answered * 10 / total);
    if (tenth > v->last_tenth) {
        v->last_tenth = tenth;
        fprintf(stderr, "sync: %zu/%zu answered (%d%%), %zu sent\n", answered, total,
                tenth * 10, sent);
    }
}

/* sync while a daemon runs: it does the sending; show it draining the
 * outbox until nothing is left, or nothing moved for ack_timeout_s. */
static int wait_for_daemon(const struct agent_config *cfg, struct outbox *ob, long pid)
{
    struct outbox_counts c;
    char state[16] = "";
    outbox_meta_get(ob, "daemon", state, sizeof state);
    if (outbox_counts(ob, &c))
        return 1;
    long long left = c.pending + c.sent, total = left;
    printf("the daemon (pid %ld, %s) is sending: %lld waiting\n", pid, state, left);
    struct progress_view view = {isatty(STDERR_FILENO), 0};
    double last_move = tu_mono_ms();
    while (left > 0 && tu_mono_ms() - last_move < (double)cfg->ack_timeout_s * 1000) {
        nanosleep(&(struct timespec){0, 200000000L}, NULL); /* poll the outbox */
        if (outbox_counts(ob, &c))
            return 1;
        if (c.pending + c.sent != left) {
            left = c.pending + c.sent;
            last_move = tu_mono_ms();
            if (left > total)
                total = left;
            show_progress(&view, 0, (size_t)(total - left), (size_t)total);
        }
    }
    printf("sync: %lld still waiting, %lld accepted, %lld rejected in the outbox\n", left,
           c.acked, c.rejected);
    return left > 0 ? 1 : 0;
}

int cmd_sync(int argc, char **argv, void *ctx)
{
    struct agent_config *cfg = ctx;
    struct cmd_flags f;
    int rc = agent_parse_cmd(cfg, argc, argv, usage_sync, 0, &f);
    if (rc)
        return rc < 0 ? 0 : rc;
    struct outbox *ob = agent_open_outbox(cfg);
    if (!ob)
        return 1;
    long dpid;
    if (daemon_running(cfg->outbox, &dpid)) {
        rc = wait_for_daemon(cfg, ob, dpid);
        outbox_close(ob);
        return rc;
    }
    struct flush_result res;
    char err[MQ_ERR_MAX];
    rc = 0;
    struct progress_view view = {isatty(STDERR_FILENO), 0};
    if (deliver_flush(cfg, ob, &res, true, show_progress, &view, err)) {
        if (res.total == 0) {
            printf("sync: nothing waiting; trip cards not refreshed: %s\n", err);
        } else {
            printf("not sent: %s; the reports stay queued\n", err);
            rc = 1;
        }
    } else {
        size_t answered = res.accepted + res.duplicate + res.rejected;
        printf("sync: %zu waiting, %zu sent, %zu accepted, %zu duplicate, %zu rejected, "
               "%zu still waiting\n", res.total, res.sent, res.accepted, res.duplicate,
               res.rejected, res.total - answered);
        if (res.rejected)
            printf("see 'outreach-agent status' for the reasons\n");
        long long known = 0;
        if (res.trips < 0 || outbox_trip_count(ob, &known))
            printf("sync: cannot store the trip cards in the outbox\n");
        else
            printf("sync: %lld trip card%s on this device\n", known, known == 1 ? "" : "s");
    }
    outbox_close(ob);
    return rc;
}
