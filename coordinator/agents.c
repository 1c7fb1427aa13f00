/* agents.c -- what a report tells of its agent, and the agents list of the CLI. */
#include "agents.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

long long agents_report_seq(const struct report *r, const char *topic_agent)
{
    if (!r || !r->agent_id || !topic_agent || strcmp(r->agent_id, topic_agent) != 0)
        return 0;
    return r->seq > 0 && r->seq <= SEQ_MAX ? r->seq : 0;
}

const char *agents_trip(const struct agent_row *a)
{
    return a->trip_id[0] ? a->trip_id : a->report_trip;
}

/* ---- the list ------------------------------------------------------------- */

struct collect {
    struct store *s;
    cJSON *agents;
    bool failed;
};

static void add_text(cJSON *o, const char *name, const char *v)
{
    if (v && v[0])
        cJSON_AddStringToObject(o, name, v);
    else
        cJSON_AddNullToObject(o, name);
}

/* Seqs go up to 2^53 - 1, which cJSON would print rounded ("9.00719925474099e+15"):
 * integers are written as they are. */
static void add_int(cJSON *o, const char *name, long long v)
{
    char buf[24];
    snprintf(buf, sizeof buf, "%lld", v);
    cJSON_AddRawToObject(o, name, buf);
}

static void add_opt_int(cJSON *o, const char *name, long long v)
{
    if (v >= 0)
        add_int(o, name, v);
    else
        cJSON_AddNullToObject(o, name);
}

/* 1, 0, or null when no status was seen (-1). */
static void add_online(cJSON *o, int online)
{
    if (online < 0)
        cJSON_AddNullToObject(o, "online");
    else
        cJSON_AddBoolToObject(o, "online", online);
}

static int collect_agent(void *ctx, const struct agent_row *a)
{
    struct collect *c = ctx;
    struct seq_gaps g;
    if (store_agent_missing(c->s, a->agent_id, a->last_seq, &g)) {
        c->failed = true;
        return 1;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "agent_id", a->agent_id);
    add_online(o, a->online);
    add_text(o, "last_seen", a->last_seen);
    add_int(o, "last_seq", a->last_seq);
    cJSON_AddStringToObject(o, "missing", g.text);
    add_int(o, "missing_count", g.count);
    add_int(o, "seqs_untracked", a->seqs_untracked);
    add_opt_int(o, "pending", a->pending);
    add_opt_int(o, "reported_last_seq", a->reported_last_seq);
    add_text(o, "trip_id", agents_trip(a));
    add_text(o, "since", a->since);
    add_text(o, "status_at", a->status_at);
    cJSON_AddItemToArray(c->agents, o);
    return 0;
}

cJSON *agents_json(struct store *s)
{
    cJSON *root = cJSON_CreateObject();
    struct collect c = {s, cJSON_AddArrayToObject(root, "agents"), false};
    if (!c.agents || store_agents_each(s, collect_agent, &c) || c.failed) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

cJSON *agents_device_json(struct store *s, const struct agent_row *a, const char *as_of)
{
    struct seq_gaps g;
    if (store_agent_missing(s, a->agent_id, a->last_seq, &g))
        return NULL;
    cJSON *o = cJSON_CreateObject(), *missing = cJSON_CreateArray();
    if (!o || !missing) {
        cJSON_Delete(o);
        cJSON_Delete(missing);
        return NULL;
    }
    cJSON_AddStringToObject(o, "agent_id", a->agent_id);
    add_online(o, a->online);
    add_text(o, "last_heard", a->last_seen);
    add_text(o, "trip_id", agents_trip(a));
    add_opt_int(o, "pending", a->pending);
    add_int(o, "last_seq", a->last_seq);
    long long shown = g.ranges < STORE_MISSING_RANGES ? g.ranges : STORE_MISSING_RANGES;
    for (long long i = 0; i < shown; i++) {
        cJSON *r = cJSON_CreateArray();
        char lo[24], hi[24];
        snprintf(lo, sizeof lo, "%lld", g.range[i][0]);
        snprintf(hi, sizeof hi, "%lld", g.range[i][1]);
        cJSON_AddItemToArray(r, cJSON_CreateRaw(lo));
        cJSON_AddItemToArray(r, cJSON_CreateRaw(hi));
        cJSON_AddItemToArray(missing, r);
    }
    cJSON_AddItemToObject(o, "missing", missing);
    add_int(o, "missing_count", g.count);
    add_int(o, "missing_ranges", g.ranges);
    add_text(o, "status_since", a->since);
    cJSON_AddStringToObject(o, "as_of", as_of);
    return o;
}

static const char *text_of(const cJSON *o, const char *name, const char *none)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) && v->valuestring[0] ? v->valuestring : none;
}

/* A whole number of the list (written raw by add_int, or parsed), or -1
 * when null or absent. */
static long long number_of(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    if (cJSON_IsRaw(v) && v->valuestring)
        return strtoll(v->valuestring, NULL, 10);
    return cJSON_IsNumber(v) ? (long long)v->valuedouble : -1;
}

static int digits(long long v)
{
    int n = 1;
    while (v >= 10) {
        v /= 10;
        n++;
    }
    return n;
}

void agents_print_table(const cJSON *list, FILE *f)
{
    const cJSON *agents = cJSON_GetObjectItemCaseSensitive(list, "agents");
    if (cJSON_GetArraySize(agents) == 0) {
        fputs("No agents known yet: none has sent a report or a status message.\n", f);
        return;
    }
    int wa = (int)strlen("agent"), ws = (int)strlen("last seq");
    const cJSON *a;
    cJSON_ArrayForEach(a, agents) {
        int n = (int)strlen(text_of(a, "agent_id", ""));
        wa = n > wa ? n : wa;
        n = digits(number_of(a, "last_seq"));
        ws = n > ws ? n : ws;
    }
    fprintf(f, "%-*s  %-7s  %-25s  %*s  %7s  %s\n", wa, "agent", "status", "last seen", ws,
            "last seq", "pending", "missing seqs");
    cJSON_ArrayForEach(a, agents) {
        const cJSON *on = cJSON_GetObjectItemCaseSensitive(a, "online");
        const char *status = cJSON_IsBool(on) ? (cJSON_IsTrue(on) ? "online" : "offline")
                                              : "unknown";
        char pending[24] = "-";
        long long p = number_of(a, "pending");
        if (p >= 0)
            snprintf(pending, sizeof pending, "%lld", p);
        fprintf(f, "%-*s  %-7s  %-25s  %*lld  %7s  %s", wa, text_of(a, "agent_id", ""), status,
                text_of(a, "last_seen", "-"), ws, number_of(a, "last_seq"), pending,
                text_of(a, "missing", "none"));
        long long untracked = number_of(a, "seqs_untracked");
        if (untracked > 0)
            fprintf(f, " (and %lld seqs seen past the tracking limit)", untracked);
        fputc('\n', f);
    }
}
