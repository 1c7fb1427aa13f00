/* alerts.c -- the one place that decides which alerts are open: see alerts.h.
 * No store, no broker, no clock of its own. */
#include "alerts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "progress.h"
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

/* Two decimals: 0.25 for a quarter behind. */
static double share_2dp(double share)
{
    return (double)(long long)(share * 100.0) / 100.0;
}

static cJSON *figure_json(const struct alert_county *c, double share)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "figure", c->figure);
    cJSON_AddNumberToObject(o, "count", (double)c->count);
    cJSON_AddNumberToObject(o, "expected", (double)c->expected);
    cJSON_AddNumberToObject(o, "share_behind", share_2dp(share));
    return o;
}

/* How far behind its expected-to-date a figure is, 0 when progress calls
 * it on pace or ahead (the same rule: progress_pace). */
static double behind_share(const struct alert_county *c)
{
    if (c->expected <= 0 || strcmp(progress_pace(c->count, c->expected, c->target), "behind"))
        return 0.0;
    return (double)(c->expected - c->count) / (double)c->expected;
}

/* county_behind's detail: the figure furthest behind (first of the snapshot
 * on a tie), then every figure of the county below its expected-to-date. */
static void county_detail(const struct alert_snapshot *snap, const struct alert_county *top,
                          char *buf, size_t size)
{
    cJSON *det = figure_json(top, behind_share(top));
    cJSON *list = cJSON_AddArrayToObject(det, "shortfalls");
    for (size_t i = 0; i < snap->ncounties; i++) {
        const struct alert_county *c = &snap->counties[i];
        if (c->year == top->year && strcmp(c->county, top->county) == 0 && behind_share(c) > 0)
            cJSON_AddItemToArray(list, figure_json(c, behind_share(c)));
    }
    json_into(det, buf, size);
}

static int county_rule(const struct alert_rules *r, const struct alert_snapshot *snap,
                       struct holding *h)
{
    for (size_t i = 0; i < snap->ncounties; i++) {
        const struct alert_county *c = &snap->counties[i];
        double share = behind_share(c);
        if (share * 100.0 <= (double)r->behind_pct)
            continue;
        char id[ALERT_ID_MAX];
        snprintf(id, sizeof id, "county_behind.%d.%s", c->year, c->county);
        if (hold_find(h, id))
            continue; /* the county's alert is made from all its figures at once */
        const struct alert_county *top = c;
        for (size_t j = i + 1; j < snap->ncounties; j++) {
            const struct alert_county *o = &snap->counties[j];
            if (o->year == c->year && strcmp(o->county, c->county) == 0 &&
                behind_share(o) > behind_share(top))
                top = o;
        }
        struct alert *a = hold_add(h);
        if (!a)
            return -1;
        double most = behind_share(top);
        snprintf(a->alert_id, sizeof a->alert_id, "%s", id);
        a->kind = ALERT_COUNTY_BEHIND;
        a->level = most * 100.0 > 2.0 * (double)r->behind_pct ? "critical" : "warning";
        cJSON *sub = cJSON_CreateObject();
        cJSON_AddStringToObject(sub, "county", c->county);
        cJSON_AddNumberToObject(sub, "year", c->year);
        json_into(sub, a->subject, sizeof a->subject);
        county_detail(snap, top, a->detail, sizeof a->detail);
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
        bool same_level = o && o->level && strcmp(o->level, h.v[i].level) == 0;
        if (same_level && (!o->detail || strcmp(o->detail, h.v[i].detail) == 0))
            continue; /* open as it is */
        ch[k].action = !o ? ALERT_RAISE : same_level ? ALERT_UPDATE : ALERT_RELEVEL;
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

/* " consultations 0 of 327 expected to date (100% behind)" of figure f, the
 * k-th of the alert (", staff ..." after the first); the length written,
 * 0 when there is no room. */
static int shortfall_words(const cJSON *f, int k, char *buf, size_t size)
{
    if (size < 2)
        return 0;
    const cJSON *sh = cJSON_GetObjectItemCaseSensitive(f, "share_behind");
    int n = snprintf(buf, size, "%s %s %lld of %lld expected to date (%.0f%% behind)",
                     k ? "," : "", str_of(f, "figure"), num_of(f, "count"), num_of(f, "expected"),
                     cJSON_IsNumber(sh) ? sh->valuedouble * 100.0 : 0.0);
    return n < 0 ? 0 : (size_t)n < size ? n : (int)size - 1;
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
        /* Every shortfall (a detail from before they were listed: its one
         * figure). */
        const cJSON *list = cJSON_GetObjectItemCaseSensitive(d, "shortfalls");
        int used = snprintf(buf, size, "county %s behind pace in %lld:", str_of(s, "county"),
                            num_of(s, "year"));
        if (used < 0 || (size_t)used >= size)
            used = size ? (int)size - 1 : 0;
        const cJSON *f, *each = cJSON_IsArray(list) ? list : NULL;
        int k = 0;
        cJSON_ArrayForEach(f, each)
            used += shortfall_words(f, k++, buf + used, size - (size_t)used);
        if (k == 0)
            shortfall_words(d, 0, buf + used, size - (size_t)used);
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
