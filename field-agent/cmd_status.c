/* cmd_status.c -- outreach-agent status: what the outbox holds, as text or JSON. */
#include "commands.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "compose.h"
#include "daemon.h"
#include "jsonget.h"
#include "olog.h"
#include "timeutil.h"
#include "tripcards.h"

static const char usage_status[] =
    "usage: outreach-agent status [--all] [--json] [OPTIONS]\n\n"
    "Counts the outbox's reports by state, shows the trips this device knows for\n"
    "today, and lists the entries still waiting, those the coordinator refused\n"
    "(with the reason) and the last 10, each with its number (for 'void N') and\n"
    "what it contained, e.g.\n"
    "  #12    headcount 内科 internal 12 consultations (female 5) | trip 2026-xw-101 | accepted\n"
    "  --all    list every entry\n"
    "  --json   the same as one JSON object (entries with their fields)\n";

#define RECENT_SHOWN 10

/* What an entry's state means for the person who entered it. */
static void state_words(const struct outbox_entry *e, char *buf, size_t n)
{
    if (strcmp(e->state, "pending") == 0)
        snprintf(buf, n, "waiting to be sent");
    else if (strcmp(e->state, "sent") == 0)
        snprintf(buf, n, "sent %d time%s, no answer yet", e->attempts,
                 e->attempts == 1 ? "" : "s");
    else if (strcmp(e->state, "rejected") == 0)
        snprintf(buf, n, "refused (%s): %s", e->code, e->reason);
    else if (strcmp(e->ack_status, "duplicate") == 0)
        snprintf(buf, n, "accepted (arrived twice, counted once)");
    else
        snprintf(buf, n, "accepted");
    if (e->voided_by) {
        size_t used = strlen(buf);
        snprintf(buf + used, n - used, ", cancelled by #%lld", e->voided_by);
    }
}

static void print_entry(const struct outbox_entry *e)
{
    char what[COMPOSE_DESCRIBE_MAX], state[JERR_MAX + 80], line[COMPOSE_DESCRIBE_MAX + JERR_MAX + 200];
    compose_describe(e->kind, e->payload, e->voids_seq, what, sizeof what);
    state_words(e, state, sizeof state);
    snprintf(line, sizeof line, "%s | trip %s | %s", what, e->trip_id, state);
    char *safe = olog_escape_dup(line); /* a reason may quote what was sent */
    printf("  #%-5lld %s\n", e->seq, safe ? safe : e->kind);
    free(safe);
}

static void list_entries(struct outbox *ob, const char *state, const char *title)
{
    struct outbox_entry *list = NULL;
    size_t n = 0;
    if (outbox_list(ob, state, 100000, &list, &n) || n == 0) {
        outbox_entries_free(list, n);
        return;
    }
    printf("\n%s:\n", title);
    for (size_t i = 0; i < n; i++)
        print_entry(&list[i]);
    outbox_entries_free(list, n);
}

/* The answered ones among the last RECENT_SHOWN entries (the others are in
 * the lists above). */
static void list_recent(struct outbox *ob)
{
    struct outbox_entry *list = NULL;
    size_t n = 0, shown = 0;
    if (outbox_list_recent(ob, RECENT_SHOWN, &list, &n) == OERR_OK) {
        for (size_t i = 0; i < n; i++) {
            if (strcmp(list[i].state, "acked") != 0)
                continue;
            if (shown++ == 0)
                printf("\naccepted, among the last %d entries (--all for every one):\n",
                       RECENT_SHOWN);
            print_entry(&list[i]);
        }
    }
    outbox_entries_free(list, n);
}

static cJSON *entry_json(const struct outbox_entry *e)
{
    char what[COMPOSE_DESCRIBE_MAX];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "seq", (double)e->seq);
    cJSON_AddStringToObject(o, "msg_id", e->msg_id);
    cJSON_AddStringToObject(o, "kind", e->kind);
    cJSON_AddStringToObject(o, "trip_id", e->trip_id);
    cJSON_AddStringToObject(o, "state", e->state);
    if (e->ack_status[0])
        cJSON_AddStringToObject(o, "ack_status", e->ack_status);
    if (strcmp(e->state, "rejected") == 0) {
        cJSON_AddStringToObject(o, "code", e->code);
        cJSON_AddStringToObject(o, "reason", e->reason);
    }
    cJSON_AddStringToObject(o, "created_at", e->created_at);
    cJSON_AddNumberToObject(o, "attempts", e->attempts);
    if (e->voided_by)
        cJSON_AddNumberToObject(o, "voided_by", (double)e->voided_by);
    if (e->voids_seq)
        cJSON_AddNumberToObject(o, "voids_seq", (double)e->voids_seq);
    cJSON_AddStringToObject(o, "summary",
                            compose_describe(e->kind, e->payload, e->voids_seq, what, sizeof what));
    struct jerr err;
    cJSON *report = json_parse_bounded(e->payload, strlen(e->payload), 8, &err);
    if (report)
        cJSON_AddItemToObject(o, "report", report);
    return o;
}

static int by_seq(const void *a, const void *b)
{
    const struct outbox_entry *x = a, *y = b;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* trip_cards, today and trips_today (the cards of today's trips) into o. */
static void add_trips_today(cJSON *o, struct outbox *ob)
{
    char today[11];
    long long known = 0;
    struct trip_card *tl = NULL;
    size_t tn = 0;
    cJSON *trips = cJSON_CreateArray();
    tu_format_date(tu_today(TU_SITE_OFFSET_MIN), today);
    outbox_trip_count(ob, &known);
    outbox_trips_on(ob, today, &tl, &tn);
    cJSON_AddNumberToObject(o, "trip_cards", (double)known);
    cJSON_AddStringToObject(o, "today", today);
    for (size_t i = 0; i < tn; i++) {
        cJSON *t = cJSON_CreateObject();
        cJSON_AddStringToObject(t, "trip_id", tl[i].trip_id);
        cJSON_AddStringToObject(t, "title", tl[i].title);
        cJSON_AddStringToObject(t, "date", tl[i].date);
        if (tl[i].end_date[0])
            cJSON_AddStringToObject(t, "end_date", tl[i].end_date);
        cJSON_AddStringToObject(t, "status", tl[i].status);
        cJSON_AddStringToObject(t, "site_name", tl[i].site_name);
        cJSON_AddStringToObject(t, "county_name", tl[i].county_name);
        cJSON *dl = cJSON_AddArrayToObject(t, "departments");
        for (int k = 0; tl[i].departments[k]; k++)
            cJSON_AddItemToArray(dl, cJSON_CreateString(tl[i].departments[k]));
        cJSON_AddItemToArray(trips, t);
    }
    free(tl);
    cJSON_AddItemToObject(o, "trips_today", trips);
}

/* The entries (all, or those waiting, refused or among the last
 * RECENT_SHOWN) by seq, each once, into entries. Returns 0, or 1 when the
 * outbox cannot be read. */
static int add_entries(cJSON *entries, struct outbox *ob, bool all)
{
    struct outbox_entry *parts[4] = {NULL};
    size_t np[4] = {0};
    int rc = 0;
    if (all) {
        rc = outbox_list(ob, NULL, 10000000, &parts[0], &np[0]) != OERR_OK;
    } else {
        rc = outbox_list(ob, "pending", 1000000, &parts[0], &np[0]) ||
             outbox_list(ob, "sent", 1000000, &parts[1], &np[1]) ||
             outbox_list(ob, "rejected", 1000000, &parts[2], &np[2]) ||
             outbox_list_recent(ob, RECENT_SHOWN, &parts[3], &np[3]);
    }
    size_t total = np[0] + np[1] + np[2] + np[3], k = 0;
    struct outbox_entry *merged = total ? malloc(total * sizeof *merged) : NULL;
    if (total && !merged)
        rc = 1;
    for (int p = 0; !rc && p < 4; p++)
        for (size_t i = 0; i < np[p]; i++)
            merged[k++] = parts[p][i];
    if (!rc) {
        qsort(merged, k, sizeof *merged, by_seq);
        for (size_t i = 0; i < k; i++)
            if (i == 0 || merged[i].seq != merged[i - 1].seq)
                cJSON_AddItemToArray(entries, entry_json(&merged[i]));
    }
    free(merged);
    for (int p = 0; p < 4; p++)
        outbox_entries_free(parts[p], np[p]);
    return rc;
}

/* status --json: the counts, today's trips and the entries, by seq. */
static int status_json(const struct agent_config *cfg, struct outbox *ob,
                       const struct outbox_counts *c, bool all)
{
    cJSON *o = cJSON_CreateObject(), *entries = cJSON_CreateArray();
    cJSON_AddStringToObject(o, "agent_id", cfg->agent_id);
    cJSON_AddStringToObject(o, "outbox", cfg->outbox);
    cJSON_AddNumberToObject(o, "last_seq", (double)c->last_seq);
    long dpid;
    char state[16] = "";
    cJSON *d = cJSON_AddObjectToObject(o, "daemon");
    bool running = daemon_running(cfg->outbox, &dpid);
    cJSON_AddBoolToObject(d, "running", running);
    if (running) {
        outbox_meta_get(ob, "daemon", state, sizeof state);
        cJSON_AddNumberToObject(d, "pid", (double)dpid);
        cJSON_AddStringToObject(d, "state", state[0] ? state : "starting");
    }
    cJSON *counts = cJSON_AddObjectToObject(o, "counts");
    cJSON_AddNumberToObject(counts, "pending", (double)c->pending);
    cJSON_AddNumberToObject(counts, "sent", (double)c->sent);
    cJSON_AddNumberToObject(counts, "accepted", (double)c->acked);
    cJSON_AddNumberToObject(counts, "rejected", (double)c->rejected);
    add_trips_today(o, ob);
    int rc = add_entries(entries, ob, all);
    cJSON_AddItemToObject(o, "entries", entries);
    char *text = rc ? NULL : cJSON_Print(o);
    cJSON_Delete(o);
    if (!text) {
        cli_fail("%s", "cannot read the outbox");
        return 1;
    }
    puts(text);
    free(text);
    return 0;
}

int cmd_status(int argc, char **argv, void *ctx)
{
    struct agent_config *cfg = ctx;
    struct cmd_flags f;
    int rc = agent_parse_cmd(cfg, argc, argv, usage_status, TAKES_ALL | TAKES_JSON, &f);
    int all = f.all, json = f.json;
    if (rc)
        return rc < 0 ? 0 : rc;
    struct outbox *ob = agent_open_outbox(cfg);
    if (!ob)
        return 1;
    struct outbox_counts c;
    if (outbox_counts(ob, &c)) {
        cli_fail("%s", "cannot read the outbox");
        outbox_close(ob);
        return 1;
    }
    if (json) {
        rc = status_json(cfg, ob, &c, all);
        outbox_close(ob);
        return rc;
    }
    printf("agent %s, outbox %s, last seq %lld\n", cfg->agent_id, cfg->outbox, c.last_seq);
    long dpid;
    char state[16] = "";
    if (daemon_running(cfg->outbox, &dpid)) {
        outbox_meta_get(ob, "daemon", state, sizeof state);
        printf("daemon: running (pid %ld), %s\n", dpid, state[0] ? state : "starting");
    } else {
        printf("daemon: not running\n");
    }
    printf("  pending (not sent yet)     %lld\n", c.pending);
    printf("  sent, awaiting answer      %lld\n", c.sent);
    printf("  accepted                   %lld\n", c.acked);
    printf("  rejected                   %lld\n", c.rejected);
    agent_list_today(ob, stdout);
    if (all) {
        list_entries(ob, NULL, "all reports");
    } else {
        list_entries(ob, "pending", "pending");
        list_entries(ob, "sent", "awaiting an answer");
        list_entries(ob, "rejected", "rejected");
        list_recent(ob);
    }
    outbox_close(ob);
    return 0;
}
