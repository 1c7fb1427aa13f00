/* volunteer_notices.c -- outreach-agent volunteer notices, and how every
 * subcommand shows a notice or a late reply that arrives while it runs. */
#include "volunteer_priv.h"

#include <stdlib.h>
#include <string.h>

#include "timeutil.h"

#define NOTICES_QUIET_MS 500 /* the session's queued messages come at once after connect */

static const char usage_notices[] =
    "usage: outreach-agent volunteer notices [--wait S] [OPTIONS]\n"
    "\n"
    "Prints the notices the coordinator sent you since your last run (promoted\n"
    "from the wait-list, moved up the wait-list, trip cancelled). No request is\n"
    "sent.\n"
    "\n"
    "  --wait S   keep listening for S seconds (default 0: only what is queued)\n"
    "See 'outreach-agent volunteer --help' for the options of every subcommand.\n";

static void print_notice(struct session *s, const cJSON *n)
{
    const char *kind = cli_jstr(n, "notice"), *trip = cli_jstr(n, "trip_id");
    const char *role = cli_jstr(n, "role"), *reason = cli_jstr(n, "reason");
    long long pos = vol_jnum(n, "position", -1);
    FILE *f = s->notice_out;
    if (!trip)
        trip = "?";
    if (strcmp(kind, "promoted") == 0) {
        fprintf(f, "notice: you were promoted from the wait-list: %s on trip %s\n",
                role ? role : "a place", trip);
    } else if (strcmp(kind, "trip_cancelled") == 0) {
        fprintf(f, "notice: trip %s was cancelled%s%s%s%s%s\n", trip,
                role ? " (you had a place as " : "", role ? role : "", role ? ")" : "",
                reason ? ": " : "", reason ? reason : "");
    } else if (strcmp(kind, "waitlist_moved") == 0) {
        fprintf(f, "notice: you moved up the wait-list: %s on trip %s", role ? role : "a place",
                trip);
        if (pos > 0)
            fprintf(f, ", now position %lld", pos);
        fputc('\n', f);
    } else {
        fprintf(f, "notice: %s on trip %s%s%s\n", kind, trip, reason ? ": " : "",
                reason ? reason : "");
    }
    s->notices++;
}

/* A message that answers none of our requests: a notice, or the reply to a
 * request of an earlier run that timed out (worth telling: it was carried
 * out). Anything else, e.g. trip cards of an old subscription, is skipped. */
void vol_show_message(struct session *s, const struct mqrr_msg *m)
{
    if (strcmp(m->topic, s->replies) != 0)
        return;
    struct jerr je = {{0}};
    cJSON *j = vol_parse_message(m->payload, m->len, &je);
    if (!j) {
        fprintf(stderr, "outreach-agent: skipped a message on %s: %s\n", s->replies, je.msg);
        return;
    }
    cli_scrub(j);
    const char *rid = cli_jstr(j, "request_id");
    if (cli_jstr(j, "notice")) {
        print_notice(s, j);
    } else if (rid) {
        const cJSON *ok = cJSON_GetObjectItemCaseSensitive(j, "ok");
        const char *code = cli_jstr(j, "code"), *reason = cli_jstr(j, "reason");
        if (cJSON_IsTrue(ok))
            fprintf(stderr, "note: the reply to an earlier request (request_id %s) came "
                    "late: ok\n", rid);
        else
            fprintf(stderr, "note: the reply to an earlier request (request_id %s) came "
                    "late: refused (%s): %s\n", rid, code ? code : "?", reason ? reason : "");
    }
    cJSON_Delete(j);
}

static const struct vol_spec spec = {usage_notices, VOL_BIT(V_WAIT), 0};

int vol_notices(int argc, char **argv, void *ctx)
{
    (void)ctx;
    struct vopts vo, *o = &vo;
    int rc = vol_parse(&spec, argc, argv, o);
    if (rc)
        return rc < 0 ? 0 : rc;
    struct session s;
    char err[MQ_ERR_MAX];
    rc = session_open(&s, o, stdout);
    if (rc)
        return rc;
    /* Listen for --wait, then on while messages keep coming, but never more
     * than --timeout past --wait. */
    double start = tu_mono_ms(), until = start + o->wait_s * 1000.0;
    double hard = until + o->timeout_s * 1000.0, last = start;
    for (;;) {
        double now = tu_mono_ms();
        double soft = last + NOTICES_QUIET_MS > until ? last + NOTICES_QUIET_MS : until;
        double wait = (soft < hard ? soft : hard) - now;
        struct mqrr_msg m;
        if (wait <= 0 || !mqrr_next(s.c.r, (int)wait + 1, &m))
            break;
        last = tu_mono_ms();
        vol_show_message(&s, &m);
        mqrr_msg_free(&m);
        fflush(stdout);
    }
    if (session_end(&s, err)) {
        cli_fail("%s", err);
        rc = 1;
    }
    if (s.notices == 0)
        printf("no notices for %s\n", o->id);
    return rc;
}
