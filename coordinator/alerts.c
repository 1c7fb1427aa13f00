/* alerts.c -- the one place that decides which alerts are open: see alerts.h.
 * No store, no broker, no clock of its own. */
#include "alerts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "timeutil.h"

const char *const alert_kind_names[ALERT_KIND_COUNT] = {"site_silent", "county_behind",
                                                        "seq_gap"};

int alert_kind_parse(const char *s)
{
    for (int i = 0; i < ALERT_KIND_COUNT; i++)
        if (s && strcmp(s, alert_kind_names[i]) == 0)
            return i;
    return -1;
}

static int hhmm(const char *s, int *min)
{
    if (!(s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9' && s[2] == ':' &&
          s[3] >= '0' && s[3] <= '5' && s[4] >= '0' && s[4] <= '9'))
        return -1;
    int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
    if (h > 24 || (h == 24 && m != 0))
        return -1;
    *min = h * 60 + m;
    return 0;
}

int alerts_parse_hours(const char *s, int *start_min, int *end_min)
{
    int a, b;
    if (!s || strlen(s) != 11 || s[5] != '-' || hhmm(s, &a) || hhmm(s + 6, &b) || a >= b)
        return -1;
    *start_min = a;
    *end_min = b;
    return 0;
}

/* The start of t's day at the offset. */
static time_t day_start(time_t t, int offset_min)
{
    long long local = (long long)t + offset_min * 60LL;
    long long into = local % 86400;
    if (into < 0)
        into += 86400;
    return (time_t)((long long)t - into);
}

long long alerts_work_minutes(const struct alert_rules *r, time_t from, time_t to)
{
    time_t d = day_start(to, r->tz_offset_min);
    time_t ws = d + r->work_start_min * 60, we = d + r->work_end_min * 60;
    time_t a = from > ws ? from : ws, b = to < we ? to : we;
    return b > a ? (long long)(b - a) / 60 : 0;
}

static bool in_work_hours(const struct alert_rules *r, time_t now)
{
    time_t d = day_start(now, r->tz_offset_min);
    return now >= d + r->work_start_min * 60 && now < d + r->work_end_min * 60;
}

/* The alerts whose cause holds now. */
struct holding {
    struct alert *v;
    size_t n, cap;
};

static struct alert *hold_add(struct holding *h)
{
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 16;
        struct alert *v = realloc(h->v, cap * sizeof *v);
        if (!v)
            return NULL;
        h->v = v;
        h->cap = cap;
    }
    struct alert *a = &h->v[h->n++];
    memset(a, 0, sizeof *a);
    return a;
}

static struct alert *hold_find(struct holding *h, const char *id)
{
    for (size_t i = 0; i < h->n; i++)
        if (strcmp(h->v[i].alert_id, id) == 0)
            return &h->v[i];
    return NULL;
}

static const struct alert_open *open_find(const struct alert_snapshot *s, const char *id)
{
    for (size_t i = 0; i < s->nopen; i++)
        if (strcmp(s->open[i].alert_id, id) == 0)
            return &s->open[i];
    return NULL;
}

/* Prints o (deleted here) into buf; "{}" when it does not fit. */
static void json_into(cJSON *o, char *buf, size_t size)
{
    if (!o || !cJSON_PrintPreallocated(o, buf, (int)size, false))
        snprintf(buf, size, "{}");
    cJSON_Delete(o);
}

static bool trip_today(const struct alert_site *st, const char *today)
{
    const char *end = st->end_date && st->end_date[0] ? st->end_date : st->date;
    return st->date && strcmp(st->date, today) <= 0 && strcmp(today, end) <= 0;
}

static int site_rule(const struct alert_rules *r, const struct alert_snapshot *snap,
                     time_t now, const char *today, struct holding *h)
{
    for (size_t i = 0; i < snap->nsites; i++) {
        const struct alert_site *st = &snap->sites[i];
        char id[ALERT_ID_MAX];
        snprintf(id, sizeof id, "site_silent.%s.%s", st->trip_id, st->agent_id);
        if (!trip_today(st, today))
            continue;
        bool offline = st->online == 0;
        time_t ref = offline ? st->status_at
                             : (st->last_heard > st->status_at ? st->last_heard : st->status_at);
        if (ref < 0)
            continue;
        long long minutes = alerts_work_minutes(r, ref, now);
        const struct alert_open *o = open_find(snap, id);
        bool holds;
        if (o) /* open: while offline, and until the agent is heard from its since on,
                * or says it is online (a birth the broker kept while we were away) */
            holds = offline || !((st->last_heard >= 0 && st->last_heard >= o->since) ||
                                 (st->online == 1 && st->status_at >= o->since));
        else
            holds = in_work_hours(r, now) && minutes >= (offline ? r->offline_min : r->quiet_min);
        if (!holds)
            continue;
        struct alert *a = hold_add(h);
        if (!a)
            return -1;
        snprintf(a->alert_id, sizeof a->alert_id, "%s", id);
        a->kind = ALERT_SITE_SILENT;
        a->level = offline ? "critical" : "warning";
        cJSON *sub = cJSON_CreateObject();
        cJSON_AddStringToObject(sub, "trip_id", st->trip_id);
        cJSON_AddStringToObject(sub, "agent_id", st->agent_id);
        json_into(sub, a->subject, sizeof a->subject);
        cJSON *det = cJSON_CreateObject();
        cJSON_AddBoolToObject(det, "offline", offline);
        cJSON_AddNumberToObject(det, "minutes_silent", (double)minutes);
        json_into(det, a->detail, sizeof a->detail);
    }
    return 0;
}

static int county_rule(const struct alert_rules *r, const struct alert_snapshot *snap,
                       struct holding *h)
{
    for (size_t i = 0; i < snap->ncounties; i++) {
        const struct alert_county *c = &snap->counties[i];
        if (c->expected <= 0 || c->count >= c->expected)
            continue;
        double share = (double)(c->expected - c->count) / (double)c->expected;
        if (share * 100.0 <= (double)r->behind_pct)
            continue;
        char id[ALERT_ID_MAX];
        snprintf(id, sizeof id, "county_behind.%d.%s", c->year, c->county);
        struct alert *a = hold_find(h, id);
        if (a) { /* another figure of the county: the one furthest behind shows */
            cJSON *d = cJSON_Parse(a->detail);
            double was = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(d,
                                                                               "share_behind"));
            cJSON_Delete(d);
            if (!(share > was))
                continue;
        } else if (!(a = hold_add(h))) {
            return -1;
        }
        snprintf(a->alert_id, sizeof a->alert_id, "%s", id);
        a->kind = ALERT_COUNTY_BEHIND;
        a->level = share * 100.0 > 2.0 * (double)r->behind_pct ? "critical" : "warning";
        cJSON *sub = cJSON_CreateObject();
        cJSON_AddStringToObject(sub, "county", c->county);
        cJSON_AddNumberToObject(sub, "year", c->year);
        json_into(sub, a->subject, sizeof a->subject);
        cJSON *det = cJSON_CreateObject();
        cJSON_AddStringToObject(det, "figure", c->figure);
        cJSON_AddNumberToObject(det, "count", (double)c->count);
        cJSON_AddNumberToObject(det, "expected", (double)c->expected);
        /* Two decimals: 0.25 for a quarter behind. */
        cJSON_AddNumberToObject(det, "share_behind", (double)(long long)(share * 100.0) / 100.0);
        json_into(det, a->detail, sizeof a->detail);
    }
    return 0;
}

static int gap_rule(const struct alert_rules *r, const struct alert_snapshot *snap, time_t now,
                    struct holding *h)
{
    for (size_t i = 0; i < snap->ngaps; i++) {
        const struct alert_gaps *g = &snap->gaps[i];
        if (g->missing <= 0 || g->oldest < 0 || now < g->oldest)
            continue;
        long long minutes = (long long)(now - g->oldest) / 60;
        if (minutes < r->gap_min)
            continue;
        struct alert *a = hold_add(h);
        if (!a)
            return -1;
        snprintf(a->alert_id, sizeof a->alert_id, "seq_gap.%s", g->agent_id);
        a->kind = ALERT_SEQ_GAP;
        a->level = "warning";
        cJSON *sub = cJSON_CreateObject();
        cJSON_AddStringToObject(sub, "agent_id", g->agent_id);
        json_into(sub, a->subject, sizeof a->subject);
        cJSON *det = cJSON_CreateObject();
        cJSON_AddNumberToObject(det, "missing", (double)g->missing);
        cJSON_AddNumberToObject(det, "oldest_gap_minutes", (double)minutes);
        json_into(det, a->detail, sizeof a->detail);
    }
    return 0;
}

int alerts_evaluate(const struct alert_rules *r, const struct alert_snapshot *snap, time_t now,
                    struct alert_change **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    char today[11];
    tu_format_date(tu_date_at(now, r->tz_offset_min), today);
    if (snap->today)
        snprintf(today, sizeof today, "%s", snap->today);
    struct holding h = {0};
    if (site_rule(r, snap, now, today, &h) || county_rule(r, snap, &h) ||
        gap_rule(r, snap, now, &h)) {
        free(h.v);
        return -1;
    }
    struct alert_change *ch = calloc(h.n + snap->nopen + 1, sizeof *ch);
    if (!ch) {
        free(h.v);
        return -1;
    }
    size_t k = 0;
    for (size_t i = 0; i < h.n; i++) {
        const struct alert_open *o = open_find(snap, h.v[i].alert_id);
        if (o && o->level && strcmp(o->level, h.v[i].level) == 0)
            continue; /* open as it is */
        ch[k].action = o ? ALERT_RELEVEL : ALERT_RAISE;
        ch[k].a = h.v[i];
        ch[k].a.since = o ? o->since : now;
        k++;
    }
    for (size_t i = 0; i < snap->nopen; i++) {
        if (hold_find(&h, snap->open[i].alert_id))
            continue;
        ch[k].action = ALERT_CLEAR;
        snprintf(ch[k].a.alert_id, sizeof ch[k].a.alert_id, "%s", snap->open[i].alert_id);
        ch[k].a.since = snap->open[i].since;
        k++;
    }
    free(h.v);
    if (k == 0) {
        free(ch);
        return 0;
    }
    *out = ch;
    *n = k;
    return 0;
}

/* ---- words -------------------------------------------------------------- */

static const char *str_of(const cJSON *o, const char *name)
{
    const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, name));
    return v ? v : "?";
}

static long long num_of(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsNumber(v) ? (long long)v->valuedouble : 0;
}

void alerts_words(const char *kind, const char *subject, const char *detail, char *buf,
                  size_t size)
{
    cJSON *s = cJSON_Parse(subject ? subject : "{}"), *d = cJSON_Parse(detail ? detail : "{}");
    switch (alert_kind_parse(kind)) {
    case ALERT_SITE_SILENT:
        snprintf(buf, size, "site silent: agent %s on trip %s %s for %lld min of working hours",
                 str_of(s, "agent_id"), str_of(s, "trip_id"),
                 cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(d, "offline")) ? "offline"
                                                                              : "not heard",
                 num_of(d, "minutes_silent"));
        break;
    case ALERT_COUNTY_BEHIND: {
        const cJSON *sh = cJSON_GetObjectItemCaseSensitive(d, "share_behind");
        snprintf(buf, size, "county %s behind pace in %lld: %s %lld of %lld expected to date "
                 "(%.0f%% behind)", str_of(s, "county"), num_of(s, "year"),
                 str_of(d, "figure"), num_of(d, "count"), num_of(d, "expected"),
                 cJSON_IsNumber(sh) ? sh->valuedouble * 100.0 : 0.0);
        break;
    }
    case ALERT_SEQ_GAP:
        snprintf(buf, size, "reports stuck on agent %s: %lld seq%s missing, the oldest gap open "
                 "for %lld min", str_of(s, "agent_id"), num_of(d, "missing"),
                 num_of(d, "missing") == 1 ? "" : "s", num_of(d, "oldest_gap_minutes"));
        break;
    default:
        snprintf(buf, size, "%s", kind ? kind : "?");
    }
    cJSON_Delete(s);
    cJSON_Delete(d);
}
