/* alerts_run.c -- alerts in the daemon: snapshot from the store, alerts.c
 * decides, the store keeps, the broker gets each alert that changed. */
#include "alerts_run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "coord_config.h"
#include "jsonget.h"
#include "olog.h"
#include "progress_json.h"
#include "store.h"
#include "timeutil.h"
#include "topics.h"

int alerts_rules_of(const struct coord_config *cfg, struct alert_rules *r, char err[160])
{
    memset(r, 0, sizeof *r);
    r->offline_min = cfg->alert_offline_min;
    r->quiet_min = cfg->alert_quiet_min;
    r->behind_pct = cfg->alert_behind_pct;
    r->gap_min = cfg->alert_gap_min;
    r->tz_offset_min = (int)cfg->tz_offset_min;
    if (alerts_parse_hours(cfg->alert_work_hours, &r->work_start_min, &r->work_end_min)) {
        snprintf(err, 160, "alert_work_hours '%.40s' is not HH:MM-HH:MM with the start before "
                 "the end (e.g. 08:00-18:00)", cfg->alert_work_hours ? cfg->alert_work_hours : "");
        return -1;
    }
    return 0;
}

int alerts_parse_ts(const char *s, time_t *out)
{
    if (!s || !tu_valid_timestamp(s))
        return -1;
    struct odate d = {0};
    int h = 0, mi = 0, sec = 0;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &d.year, &d.month, &d.day, &h, &mi, &sec) != 6)
        return -1;
    const char *p = s + 19;
    while (*p == '.' || (*p >= '0' && *p <= '9'))
        p++;
    long off = 0;
    if (*p == '+' || *p == '-')
        off = (p[0] == '-' ? -1 : 1) * ((p[1] - '0') * 600L + (p[2] - '0') * 60L +
                                        (p[4] - '0') * 10L + (p[5] - '0'));
    *out = (time_t)(tu_days_from_civil(d) * 86400L + h * 3600L + mi * 60L + sec - off * 60L);
    return 0;
}

static time_t ts_or_unknown(const char *s)
{
    time_t t;
    return s[0] && alerts_parse_ts(s, &t) == 0 ? t : (time_t)-1;
}

/* ---- the snapshot -------------------------------------------------------- */

/* v with room for n + 1 elements of size sz (cap grows by doubling), or
 * NULL when out of memory (v stays valid). */
static void *grow(void *v, size_t *cap, size_t n, size_t sz)
{
    if (n < *cap)
        return v;
    size_t c = *cap ? *cap * 2 : 16;
    void *nv = realloc(v, c * sz);
    if (nv)
        *cap = c;
    return nv;
}

/* What the store said, row by row; alerts.c's arrays are made from them
 * once all are read (snap_read). */
struct county_item {
    char county[ID_MAX + 1];
    struct alert_county c;
};
struct gap_item {
    char agent_id[ID_MAX + 1];
    struct alert_gaps g;
};
struct snap {
    struct site_agent_row *site_rows;
    struct county_item *county_items;
    struct gap_item *gap_items;
    struct alert_row *open_rows;
    size_t nsites, ncounties, ngaps, nopen;
    size_t sites_cap, counties_cap, gaps_cap, open_cap;
    struct alert_site *sites;
    struct alert_county *counties;
    struct alert_gaps *gaps;
    struct alert_open *open;
    struct alert_snapshot s;
    struct store *store;
    const struct coord_config *cfg;
    struct odate today;
    char today_text[11];
    const char *as_of;
    bool failed;
};

static int snap_site(void *ctx, const struct site_agent_row *r)
{
    struct snap *sn = ctx;
    void *v = grow(sn->site_rows, &sn->sites_cap, sn->nsites, sizeof *sn->site_rows);
    if (!v)
        return sn->failed = true;
    sn->site_rows = v;
    sn->site_rows[sn->nsites++] = *r;
    return 0;
}

/* One figure of a county's county_targets ({"count", "expected_to_date",
 * ...}, as progress_json.c makes it): both numbers from the same entry. */
static void county_add(struct snap *sn, const char *county, int year, const cJSON *targets,
                       const char *figure)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(targets, figure);
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(t, "expected_to_date");
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(t, "count");
    const cJSON *tg = cJSON_GetObjectItemCaseSensitive(t, "target");
    if (!cJSON_IsNumber(e) || !cJSON_IsNumber(c) || !cJSON_IsNumber(tg))
        return;
    void *v = grow(sn->county_items, &sn->counties_cap, sn->ncounties, sizeof *sn->county_items);
    if (!v) {
        sn->failed = true;
        return;
    }
    sn->county_items = v;
    struct county_item *it = &sn->county_items[sn->ncounties++];
    snprintf(it->county, sizeof it->county, "%s", county);
    it->c = (struct alert_county){.year = year, .figure = figure,
                                  .count = (long long)c->valuedouble,
                                  .expected = (long long)e->valuedouble,
                                  .target = (long long)tg->valuedouble};
}

/* A county's figures against its own targets: county_targets of its progress
 * (the contract's; absent when the county has none). */
static int snap_county(void *ctx, const char *county, const char *county_name)
{
    struct snap *sn = ctx;
    struct targets tg = {sn->cfg->target_staff, sn->cfg->target_consultations};
    cJSON *o = progress_year_json(sn->store, sn->today.year, county, county_name, &tg,
                                  sn->today, sn->as_of);
    if (!o)
        return sn->failed = true;
    const cJSON *targets = cJSON_GetObjectItemCaseSensitive(o, "county_targets");
    if (cJSON_IsObject(targets)) {
        county_add(sn, county, sn->today.year, targets, "consultations");
        county_add(sn, county, sn->today.year, targets, "staff");
    }
    cJSON_Delete(o);
    return sn->failed;
}

/* A county with targets this year but no trip yet (store_counties_each lists
 * counties by their trips): its count is 0, and it is as behind as any. The
 * rows come by county (its own row and its townships'): each county once. */
static int snap_target(void *ctx, const struct target_row *t)
{
    struct snap *sn = ctx;
    for (size_t i = 0; i < sn->ncounties; i++)
        if (strcmp(sn->county_items[i].county, t->county) == 0)
            return 0;
    return snap_county(sn, t->county, NULL);
}

static int snap_agent(void *ctx, const struct gapped_agent_row *a)
{
    struct snap *sn = ctx;
    void *v = grow(sn->gap_items, &sn->gaps_cap, sn->ngaps, sizeof *sn->gap_items);
    if (!v)
        return sn->failed = true;
    sn->gap_items = v;
    struct gap_item *it = &sn->gap_items[sn->ngaps++];
    snprintf(it->agent_id, sizeof it->agent_id, "%s", a->agent_id);
    it->g = (struct alert_gaps){.missing = a->missing, .oldest = ts_or_unknown(a->opened_at)};
    return 0;
}

static int snap_open(void *ctx, const struct alert_row *r)
{
    struct snap *sn = ctx;
    void *v = grow(sn->open_rows, &sn->open_cap, sn->nopen, sizeof *sn->open_rows);
    if (!v)
        return sn->failed = true;
    sn->open_rows = v;
    sn->open_rows[sn->nopen++] = *r;
    return 0;
}

static void snap_free(struct snap *sn)
{
    free(sn->site_rows);
    free(sn->county_items);
    free(sn->gap_items);
    free(sn->open_rows);
    free(sn->sites);
    free(sn->counties);
    free(sn->gaps);
    free(sn->open);
}

/* Reads the snapshot of today, then makes alerts.c's arrays of it. */
static int snap_read(struct snap *sn)
{
    char today[11];
    tu_format_date(sn->today, today);
    if (store_site_agents_each(sn->store, today, snap_site, sn) || sn->failed ||
        store_counties_each(sn->store, sn->today.year, snap_county, sn) || sn->failed ||
        store_targets_each(sn->store, sn->today.year, snap_target, sn) || sn->failed ||
        store_gapped_agents_each(sn->store, snap_agent, sn) || sn->failed ||
        store_alerts_each(sn->store, false, snap_open, sn) || sn->failed)
        return -1;
    sn->sites = calloc(sn->nsites + 1, sizeof *sn->sites);
    sn->counties = calloc(sn->ncounties + 1, sizeof *sn->counties);
    sn->gaps = calloc(sn->ngaps + 1, sizeof *sn->gaps);
    sn->open = calloc(sn->nopen + 1, sizeof *sn->open);
    if (!sn->sites || !sn->counties || !sn->gaps || !sn->open)
        return -1;
    for (size_t i = 0; i < sn->nsites; i++) {
        const struct site_agent_row *r = &sn->site_rows[i];
        sn->sites[i] = (struct alert_site){r->trip_id, r->agent_id, r->date, r->end_date,
                                           r->online, ts_or_unknown(r->last_seen),
                                           ts_or_unknown(r->status_at)};
    }
    for (size_t i = 0; i < sn->ncounties; i++) {
        sn->counties[i] = sn->county_items[i].c;
        sn->counties[i].county = sn->county_items[i].county;
    }
    for (size_t i = 0; i < sn->ngaps; i++) {
        sn->gaps[i] = sn->gap_items[i].g;
        sn->gaps[i].agent_id = sn->gap_items[i].agent_id;
    }
    for (size_t i = 0; i < sn->nopen; i++)
        sn->open[i] = (struct alert_open){sn->open_rows[i].alert_id, sn->open_rows[i].level,
                                          ts_or_unknown(sn->open_rows[i].since),
                                          sn->open_rows[i].detail};
    sn->s = (struct alert_snapshot){sn->sites, sn->nsites, sn->counties, sn->ncounties,
                                    sn->gaps, sn->ngaps, sn->open, sn->nopen, NULL};
    if (getenv("OUTREACH_TODAY")) {
        tu_format_date(sn->today, sn->today_text);
        sn->s.today = sn->today_text;
    }
    return 0;
}

/* ---- the alerter --------------------------------------------------------- */

struct alerter {
    const struct coord_config *cfg;
    struct store *store;
    struct outlet out;
    struct alert_rules rules;
    bool marked;
    time_t last; /* of the last evaluation; 0 none yet */
};

struct alerter *alerter_new(const struct coord_config *cfg, struct store *st, struct outlet out)
{
    struct alerter *a = calloc(1, sizeof *a);
    char err[160];
    if (!a)
        return NULL;
    if (alerts_rules_of(cfg, &a->rules, err)) {
        olog(OLOG_ERROR, "%s", err);
        free(a);
        return NULL;
    }
    a->cfg = cfg;
    a->store = st;
    a->out = out;
    a->marked = true;
    return a;
}

void alerter_free(struct alerter *a)
{
    free(a);
}

void alerter_mark(struct alerter *a)
{
    a->marked = true;
}

char *alert_message(const struct alert_row *r, const char *as_of)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "alert_id", r->alert_id);
    cJSON_AddStringToObject(o, "kind", r->kind);
    cJSON_AddStringToObject(o, "level", r->level);
    cJSON_AddStringToObject(o, "state", r->state);
    cJSON_AddStringToObject(o, "since", r->since);
    if (r->cleared_at[0])
        cJSON_AddStringToObject(o, "cleared_at", r->cleared_at);
    else
        cJSON_AddNullToObject(o, "cleared_at");
    cJSON *sub = cJSON_Parse(r->subject), *det = cJSON_Parse(r->detail);
    cJSON_AddItemToObject(o, "subject", sub ? sub : cJSON_CreateObject());
    cJSON_AddItemToObject(o, "detail", det ? det : cJSON_CreateObject());
    cJSON_AddStringToObject(o, "as_of", as_of);
    return json_print_free(o);
}

static void publish_row(struct alerter *a, const struct alert_row *r, const char *as_of)
{
    char topic[TOPIC_MAX];
    if (topic_fmt(topic, sizeof topic, a->cfg->topic_root, "alerts/%s", r->alert_id))
        return;
    char *msg = alert_message(r, as_of);
    if (msg)
        a->out.publish(a->out.ctx, topic, msg, true, NULL, 0);
    free(msg);
}

struct pub_all {
    struct alerter *a;
    const char *as_of;
};

static int publish_each(void *ctx, const struct alert_row *r)
{
    struct pub_all *p = ctx;
    if (!r->unretained_at[0]) /* removed from the broker (alert_keep_cleared_h): stays so */
        publish_row(p->a, r, p->as_of);
    return 0;
}

void alerter_publish_all(struct alerter *a)
{
    char as_of[TU_TS_MAX];
    tu_format_ts(time(NULL), (int)a->cfg->tz_offset_min, as_of);
    struct pub_all p = {a, as_of};
    if (store_alerts_each(a->store, true, publish_each, &p))
        olog(OLOG_WARN, "alerts not republished: %s", store_errmsg(a->store));
}

static oerr_t apply(struct alerter *a, const struct alert_change *c, const char *now)
{
    if (c->action == ALERT_CLEAR)
        return store_alert_clear(a->store, c->a.alert_id, now);
    if (c->action == ALERT_RELEVEL)
        return store_alert_relevel(a->store, c->a.alert_id, c->a.level, c->a.detail, now);
    if (c->action == ALERT_UPDATE)
        return store_alert_update(a->store, c->a.alert_id, c->a.detail, now);
    struct alert_row r = {0};
    snprintf(r.alert_id, sizeof r.alert_id, "%s", c->a.alert_id);
    snprintf(r.kind, sizeof r.kind, "%s", alert_kind_names[c->a.kind]);
    snprintf(r.level, sizeof r.level, "%s", c->a.level);
    snprintf(r.since, sizeof r.since, "%s", now);
    snprintf(r.subject, sizeof r.subject, "%s", c->a.subject);
    snprintf(r.detail, sizeof r.detail, "%s", c->a.detail);
    return store_alert_raise(a->store, &r);
}

/* The cleared alerts whose retained message is to go (cleared keep_s ago or
 * more, still retained). */
struct expired {
    char (*ids)[STORE_ALERT_ID_MAX];
    size_t n, cap;
    time_t now;
    long long keep_s;
    bool failed;
};

static int expired_add(void *ctx, const struct alert_row *r)
{
    struct expired *x = ctx;
    time_t cleared;
    if (strcmp(r->state, "cleared") != 0 || r->unretained_at[0] ||
        alerts_parse_ts(r->cleared_at, &cleared) || (long long)(x->now - cleared) < x->keep_s)
        return 0;
    void *v = grow(x->ids, &x->cap, x->n, sizeof *x->ids);
    if (!v)
        return x->failed = true;
    x->ids = v;
    snprintf(x->ids[x->n++], sizeof *x->ids, "%s", r->alert_id);
    return 0;
}

/* Removes the retained message of each alert cleared alert_keep_cleared_h
 * ago (an empty retained payload) and notes it in the store, so that a
 * restart does not publish it again. The number removed, -1 when the store
 * failed (tried again at the next evaluation). */
static int expire_cleared(struct alerter *a, time_t now, const char *as_of)
{
    struct expired x = {.now = now, .keep_s = a->cfg->alert_keep_cleared_h * 3600LL};
    if (store_alerts_each(a->store, true, expired_add, &x) || x.failed) {
        free(x.ids);
        return -1;
    }
    int done = 0;
    for (size_t i = 0; i < x.n; i++) {
        char topic[TOPIC_MAX];
        if (topic_fmt(topic, sizeof topic, a->cfg->topic_root, "alerts/%s", x.ids[i]))
            continue;
        /* Published first: a crash in between publishes the removal again. */
        a->out.publish(a->out.ctx, topic, "", true, NULL, 0);
        if (store_alert_unretained(a->store, x.ids[i], as_of) == OERR_DB) {
            free(x.ids);
            return -1;
        }
        olog(OLOG_INFO, "alert %s: cleared %lld h ago, its retained message removed (kept in "
             "the history)", x.ids[i], a->cfg->alert_keep_cleared_h);
        done++;
    }
    free(x.ids);
    return done;
}

int alerter_tick(struct alerter *a, time_t now)
{
    if (a->last && now >= a->last && now - a->last < 60 && (!a->marked || now == a->last))
        return 0; /* a mark waits for the next second: a flood of statuses costs one a second */
    a->marked = false;
    a->last = now;
    char as_of[TU_TS_MAX];
    tu_format_ts(now, a->rules.tz_offset_min, as_of);
    struct snap sn = {.store = a->store, .cfg = a->cfg, .as_of = as_of,
                      .today = getenv("OUTREACH_TODAY") ? tu_today(a->rules.tz_offset_min)
                                                        : tu_date_at(now, a->rules.tz_offset_min)};
    struct alert_change *ch = NULL;
    size_t n = 0;
    int rc = snap_read(&sn) ? -1 : alerts_evaluate(&a->rules, &sn.s, now, &ch, &n);
    snap_free(&sn);
    int removed = rc ? 0 : expire_cleared(a, now, as_of);
    if (removed < 0) {
        olog(OLOG_WARN, "cleared alerts not removed: %s", store_errmsg(a->store));
        removed = 0;
    }
    if (rc || n == 0) {
        if (rc)
            olog(OLOG_WARN, "alerts not evaluated: %s", store_errmsg(a->store));
        free(ch);
        return rc ? rc : removed;
    }
    bool failed = store_begin(a->store) != OERR_OK;
    for (size_t i = 0; i < n && !failed; i++) {
        oerr_t e = apply(a, &ch[i], as_of);
        failed = e != OERR_OK && e != OERR_NOTFOUND;
    }
    if (!failed && store_commit(a->store) != OERR_OK)
        failed = true;
    if (failed) {
        olog(OLOG_ERROR, "alerts not stored: %s", store_errmsg(a->store));
        store_rollback(a->store);
        free(ch);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        struct alert_row r;
        if (store_alert_get(a->store, ch[i].a.alert_id, &r) == OERR_OK) {
            /* Its figures moving is not news for the log: once a minute. */
            if (ch[i].action != ALERT_UPDATE)
                olog(OLOG_INFO, "alert %s %s (%s)", r.alert_id,
                     ch[i].action == ALERT_CLEAR     ? "cleared"
                     : ch[i].action == ALERT_RELEVEL ? "changed level"
                                                     : "raised",
                     r.level);
            publish_row(a, &r, as_of);
        }
    }
    free(ch);
    return (int)n + removed;
}
