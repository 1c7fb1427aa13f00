/* cli_alerts.c -- `outreach-coordinator alerts`: the alerts the coordinator
 * raised (alerts.h), open ones, or all with --all, in English words or JSON
 * (the contract's messages). Reads the store only. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "alerts.h"
#include "alerts_run.h"
#include "cli_cmds.h"
#include "store.h"
#include "timeutil.h"

static const char usage_alerts[] =
    "usage: outreach-coordinator alerts --db FILE [--all] [--json]\n"
    "\n"
    "Lists the open alerts, most serious first: sites silent on their trip's day,\n"
    "counties behind their expected-to-date, agents whose missing seqs stay\n"
    "missing. Each line: level, since when, the alert in words, its id. The\n"
    "running coordinator decides them about once a minute (the alert_* options,\n"
    "docs/coordinator.md) and publishes them on alerts/{alert_id}, again when\n"
    "their figures move; a cleared one stays retained alert_keep_cleared_h hours\n"
    "(24), then only the store keeps it.\n"
    "\n"
    "  --db FILE        the coordinator's store (read only)\n"
    "  --all            cleared alerts too (also those no longer retained), with\n"
    "                   when they were cleared\n"
    "  --json           the alerts as the messages of alerts/{alert_id}, in an array\n";

struct list {
    struct alert_row *v;
    size_t n, cap;
};

static int collect(void *ctx, const struct alert_row *r)
{
    struct list *l = ctx;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        struct alert_row *v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return 1;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = *r;
    return 0;
}

/* Open before cleared, critical before warning, then the oldest first. */
static int rank(const struct alert_row *r)
{
    return (strcmp(r->state, "open") != 0) * 2 + (strcmp(r->level, "critical") != 0);
}

static int by_rank(const void *a, const void *b)
{
    const struct alert_row *x = a, *y = b;
    int d = rank(x) - rank(y);
    if (d)
        return d;
    d = strcmp(x->since, y->since);
    return d ? d : strcmp(x->alert_id, y->alert_id);
}

int cli_alerts(int argc, char **argv, void *ctx)
{
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'}, {"all", no_argument, NULL, 'a'},
        {"json", no_argument, NULL, 'j'},     {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *db = NULL;
    bool all = false, json = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'a': all = true; break;
        case 'j': json = true; break;
        case 'h': fputs(usage_alerts, stdout); return 0;
        default: return cli_usage_try(usage_alerts);
        }
    }
    if (optind < argc)
        return cli_usage_error(usage_alerts, "unexpected argument '%s'", argv[optind]);
    if (!db || !*db)
        return cli_usage_error(usage_alerts, "%s", "--db FILE is required");
    struct store *s = coord_cli_store(ctx, db);
    if (!s)
        return 1;
    struct list l = {0};
    if (store_alerts_each(s, all, collect, &l)) {
        coord_cli_read_failed(s, db);
        free(l.v);
        return 1;
    }
    if (l.n)
        qsort(l.v, l.n, sizeof *l.v, by_rank);
    int rc = 0;
    if (json) {
        char as_of[TU_TS_MAX];
        tu_format_ts(time(NULL), TU_SITE_OFFSET_MIN, as_of);
        fputs("[", stdout);
        for (size_t i = 0; i < l.n && !rc; i++) {
            char *m = alert_message(&l.v[i], as_of);
            if (!m)
                rc = 1;
            else
                printf("%s%s", i ? ",\n" : "\n", m);
            free(m);
        }
        puts(l.n ? "\n]" : "]");
    } else if (l.n == 0) {
        puts(all ? "no alerts" : "no open alerts");
    } else {
        for (size_t i = 0; i < l.n; i++) {
            const struct alert_row *r = &l.v[i];
            char words[512];
            alerts_words(r->kind, r->subject, r->detail, words, sizeof words);
            printf("%-8s since %s  %s  [%s]", r->level, r->since, words, r->alert_id);
            if (r->cleared_at[0])
                printf("  cleared %s", r->cleared_at);
            putchar('\n');
        }
    }
    free(l.v);
    return rc;
}
