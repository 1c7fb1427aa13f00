/* publish.c -- progress publishing: marks what a batch changed, and
 * republishes those figures (retained) from the store. */
#include "publish.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agents.h"
#include "coord_config.h"
#include "coverage.h"
#include "ids.h"
#include "jsonget.h"
#include "progress_json.h"
#include "store.h"
#include "timeutil.h"
#include "topics.h"
#include "tripcard.h"

struct publisher {
    const struct coord_config *cfg;
    struct store *store;
    struct outlet out;
    /* What changed since progress was last published. */
    int dirty_years[16];
    int ndirty_years;
    char dirty_trips[64][ID_MAX + 1];
    int ndirty_trips;
    /* Trips whose card another coordinator changed (publish_apply "card"). */
    char dirty_cards[64][ID_MAX + 1];
    int ndirty_cards;
    struct trip_row dirty_counties[8]; /* counties that lost a trip: year, county, name */
    int ndirty_counties;
    bool all_dirty;
    struct timespec last_progress, last_refresh;
    /* Agents whose row changed (devices/{agent_id}), in the order marked,
     * repeats possible; every agent when too many did. */
    char (*dirty_agents)[ID_MAX + 1];
    size_t ndirty_agents, cap_agents;
    bool agents_all_dirty;
};

/* Past this many marks between two publications, every agent is published. */
#define DIRTY_AGENTS_MAX 100000

struct publisher *publisher_new(const struct coord_config *cfg, struct store *st,
                                struct outlet out)
{
    struct publisher *p = calloc(1, sizeof *p);
    if (p) {
        p->cfg = cfg;
        p->store = st;
        p->out = out;
    }
    return p;
}

void publisher_free(struct publisher *p)
{
    if (p)
        free(p->dirty_agents);
    free(p);
}

/* ---- what changed ------------------------------------------------------ */

#define COUNT_OF(a) ((int)(sizeof(a) / sizeof(a)[0]))

void publish_mark_year(struct publisher *p, int year)
{
    for (int i = 0; i < p->ndirty_years; i++)
        if (p->dirty_years[i] == year)
            return;
    if (p->ndirty_years < COUNT_OF(p->dirty_years))
        p->dirty_years[p->ndirty_years++] = year;
    else
        p->all_dirty = true;
}

void publish_mark_trip(struct publisher *p, const char *trip_id, int year)
{
    publish_mark_year(p, year);
    for (int i = 0; i < p->ndirty_trips; i++)
        if (strcmp(p->dirty_trips[i], trip_id) == 0)
            return;
    if (p->ndirty_trips < COUNT_OF(p->dirty_trips))
        snprintf(p->dirty_trips[p->ndirty_trips++], ID_MAX + 1, "%s", trip_id);
    else
        p->all_dirty = true;
}

/* A trip id into list (of n, at most 64), once; false when it is full. */
static bool id_add(char (*list)[ID_MAX + 1], int *n, const char *id)
{
    for (int i = 0; i < *n; i++)
        if (strcmp(list[i], id) == 0)
            return true;
    if (*n >= 64)
        return false;
    snprintf(list[(*n)++], ID_MAX + 1, "%s", id);
    return true;
}

void publish_mark_card(struct publisher *p, const char *trip_id)
{
    if (!id_add(p->dirty_cards, &p->ndirty_cards, trip_id))
        p->all_dirty = true;
}

void publish_mark_county(struct publisher *p, const struct trip_row *t)
{
    publish_mark_year(p, t->year);
    if (p->ndirty_counties < COUNT_OF(p->dirty_counties))
        p->dirty_counties[p->ndirty_counties++] = *t;
    else
        p->all_dirty = true;
}

/* A batch marks an agent once per report: a repeat of the last mark is
 * dropped here, the others when published (sorted, each once). */
void publish_mark_agent(struct publisher *p, const char *agent_id)
{
    if (p->agents_all_dirty ||
        (p->ndirty_agents && strcmp(p->dirty_agents[p->ndirty_agents - 1], agent_id) == 0))
        return;
    if (p->ndirty_agents == p->cap_agents) {
        size_t cap = p->cap_agents ? p->cap_agents * 2 : 64;
        if (cap > DIRTY_AGENTS_MAX)
            cap = DIRTY_AGENTS_MAX;
        void *v = cap > p->cap_agents ? realloc(p->dirty_agents, cap * sizeof *p->dirty_agents)
                                      : NULL;
        if (!v) { /* too many, or no memory: every agent instead */
            p->agents_all_dirty = true;
            return;
        }
        p->dirty_agents = v;
        p->cap_agents = cap;
    }
    snprintf(p->dirty_agents[p->ndirty_agents++], ID_MAX + 1, "%s", agent_id);
}

void publish_mark_all(struct publisher *p)
{
    p->all_dirty = true;
}

bool publish_pending(const struct publisher *p)
{
    return p->ndirty_years || p->ndirty_trips || p->ndirty_cards || p->all_dirty ||
           p->ndirty_counties ||
           p->ndirty_agents || p->agents_all_dirty;
}

static double elapsed_ms(const struct timespec *since)
{
    return tu_mono_ms() - ((double)since->tv_sec * 1e3 + (double)since->tv_nsec / 1e6);
}

long publish_wait_ms(const struct publisher *p)
{
    if (!publish_pending(p))
        return 200;
    double left = (double)p->cfg->progress_interval_ms - elapsed_ms(&p->last_progress);
    return left <= 0 ? 0 : (long)left + 1;
}

void publish_if_due(struct publisher *p)
{
    if (publish_pending(p) &&
        elapsed_ms(&p->last_progress) >= (double)p->cfg->progress_interval_ms)
        publish_progress(p, false);
    else if (elapsed_ms(&p->last_refresh) >= (double)p->cfg->refresh_s * 1000.0)
        publish_progress(p, true);
}

/* ---- publishing -------------------------------------------------------- */

struct pub_ctx {
    struct publisher *p;
    int year;
    struct odate today;
    const char *as_of;
    const struct targets *tg;
};

static void publish_json(struct publisher *p, const char *topic, cJSON *o)
{
    char *s = json_print_free(o);
    if (s)
        p->out.publish(p->out.ctx, topic, s, true, NULL, 0);
    free(s);
}

static int publish_county(void *ctx, const char *county, const char *county_name)
{
    struct pub_ctx *c = ctx;
    char topic[TOPIC_MAX];
    if (topic_fmt(topic, sizeof topic, c->p->cfg->topic_root, "progress/%d/counties/%s",
                  c->year, county) == 0)
        publish_json(c->p, topic, progress_year_json(c->p->store, c->year, county,
                                                     county_name, c->tg, c->today, c->as_of));
    return 0;
}

/* months (issue 13): progress/{year}/months and each county's, for the
 * years a report of a trip of `year` may fall in (its day clamped to the
 * trip's days: `year`, and the next for a trip past New Year) that have
 * month figures; counties as their trips are now. */
static int publish_county_months(void *ctx, const char *county, const char *county_name)
{
    struct pub_ctx *c = ctx;
    char topic[TOPIC_MAX];
    if (topic_fmt(topic, sizeof topic, c->p->cfg->topic_root, "progress/%d/counties/%s/months",
                  c->year, county) == 0)
        publish_json(c->p, topic, progress_months_json(c->p->store, c->year, county,
                                                       county_name, c->as_of));
    return 0;
}

static int count_one(void *ctx, const char *county, const char *county_name)
{
    (void)county;
    (void)county_name;
    ++*(int *)ctx;
    return 1; /* one is enough */
}

static void publish_months(struct pub_ctx *c, int year)
{
    int save = c->year;
    for (c->year = year; c->year <= year + 1; c->year++) {
        int any = 0;
        char topic[TOPIC_MAX];
        if (store_month_counties_each(c->p->store, c->year, count_one, &any) || !any)
            continue;
        if (topic_fmt(topic, sizeof topic, c->p->cfg->topic_root, "progress/%d/months",
                      c->year) == 0)
            publish_json(c->p, topic, progress_months_json(c->p->store, c->year, NULL, NULL,
                                                           c->as_of));
        store_month_counties_each(c->p->store, c->year, publish_county_months, c);
    }
    c->year = save;
}

static int publish_year(void *ctx, int year)
{
    struct pub_ctx *c = ctx;
    char topic[TOPIC_MAX];
    c->year = year;
    if (topic_fmt(topic, sizeof topic, c->p->cfg->topic_root, "progress/%d", year) == 0)
        publish_json(c->p, topic, progress_year_json(c->p->store, year, NULL, NULL, c->tg,
                                                     c->today, c->as_of));
    if (topic_fmt(topic, sizeof topic, c->p->cfg->topic_root, "progress/%d/series", year) == 0)
        publish_json(c->p, topic, progress_series_json(c->p->store, year, c->tg, c->today,
                                                       c->as_of));
    store_counties_each(c->p->store, year, publish_county, c);
    if (topic_fmt(topic, sizeof topic, c->p->cfg->topic_root, "progress/%d/coverage",
                  year) == 0)
        publish_json(c->p, topic, coverage_json(c->p->store, year, c->today, c->as_of));
    publish_months(c, year);
    return 0;
}

static void publish_trip_progress(struct pub_ctx *c, const char *trip_id)
{
    char topic[TOPIC_MAX];
    if (topic_fmt(topic, sizeof topic, c->p->cfg->topic_root, "trips/%s/progress",
                  trip_id) == 0)
        publish_json(c->p, topic, progress_trip_json(c->p->store, trip_id, c->as_of));
}

static void publish_card(struct pub_ctx *c, const char *trip_id)
{
    char topic[TOPIC_MAX];
    if (topic_fmt(topic, sizeof topic, c->p->cfg->topic_root, "trips/%s", trip_id) == 0) {
        char *card = tripcard_json(c->p->store, trip_id);
        if (card)
            c->p->out.publish(c->p->out.ctx, topic, card, true, NULL, 0);
        free(card);
    }
}

static int publish_trip_all(void *ctx, const struct trip_row *t)
{
    publish_card(ctx, t->trip_id);
    publish_trip_progress(ctx, t->trip_id);
    return 0;
}

/* ---- devices: one retained message per agent --------------------------- */

static int publish_device(void *ctx, const struct agent_row *a)
{
    struct pub_ctx *c = ctx;
    char topic[TOPIC_MAX];
    if (topic_fmt(topic, sizeof topic, c->p->cfg->topic_root, "devices/%s", a->agent_id) == 0)
        publish_json(c->p, topic, agents_device_json(c->p->store, a, c->as_of));
    return 0;
}

static int id_cmp(const void *a, const void *b)
{
    return strcmp(a, b);
}

static void publish_devices(struct pub_ctx *c, bool everything)
{
    struct publisher *p = c->p;
    if (everything || p->agents_all_dirty) {
        store_agents_each(p->store, publish_device, c);
    } else if (p->ndirty_agents) {
        qsort(p->dirty_agents, p->ndirty_agents, sizeof *p->dirty_agents, id_cmp);
        for (size_t i = 0; i < p->ndirty_agents; i++) {
            struct agent_row a;
            if ((i == 0 || strcmp(p->dirty_agents[i], p->dirty_agents[i - 1]) != 0) &&
                store_agent_get(p->store, p->dirty_agents[i], &a) == OERR_OK)
                publish_device(c, &a);
        }
    }
    p->ndirty_agents = 0;
    p->agents_all_dirty = false;
}

int publish_announce(struct publisher *p, int (*fn)(void *, const char *), void *ctx)
{
    char what[ID_MAX + 16];
    int rc = 0;
    if (p->all_dirty || p->ndirty_counties) /* a county that lost a trip: rare, everything */
        rc = fn(ctx, "all");
    for (int i = 0; !rc && i < p->ndirty_years; i++) {
        snprintf(what, sizeof what, "year %d", p->dirty_years[i]);
        rc = fn(ctx, what);
    }
    for (int i = 0; !rc && i < p->ndirty_trips; i++) {
        snprintf(what, sizeof what, "trip %s", p->dirty_trips[i]);
        rc = fn(ctx, what);
    }
    for (int i = 0; !rc && i < p->ndirty_cards; i++) {
        snprintf(what, sizeof what, "card %s", p->dirty_cards[i]);
        rc = fn(ctx, what);
    }
    if (!rc && p->agents_all_dirty)
        rc = fn(ctx, "agents");
    for (size_t i = 0; !rc && !p->agents_all_dirty && i < p->ndirty_agents; i++) {
        snprintf(what, sizeof what, "agent %s", p->dirty_agents[i]);
        rc = fn(ctx, what);
    }
    if (!rc)
        publish_forget(p);
    return rc;
}

void publish_apply(struct publisher *p, const char *what)
{
    int year;
    char id[ID_MAX + 1];
    if (sscanf(what, "year %d", &year) == 1) {
        publish_mark_year(p, year);
    } else if (sscanf(what, "trip %64s", id) == 1 && id_is_code(id)) {
        if (!id_add(p->dirty_trips, &p->ndirty_trips, id))
            p->all_dirty = true;
    } else if (sscanf(what, "card %64s", id) == 1 && id_is_code(id)) {
        publish_mark_card(p, id);
    } else if (sscanf(what, "agent %64s", id) == 1 && id_is_agent(id)) {
        publish_mark_agent(p, id);
    } else if (strcmp(what, "agents") == 0) {
        p->agents_all_dirty = true;
    } else {
        p->all_dirty = true;
        p->agents_all_dirty = true;
    }
}

void publish_forget(struct publisher *p)
{
    p->ndirty_years = p->ndirty_trips = p->ndirty_counties = p->ndirty_cards = 0;
    p->all_dirty = false;
    p->ndirty_agents = 0;
    p->agents_all_dirty = false;
}

void publish_progress(struct publisher *p, bool everything)
{
    const struct coord_config *cfg = p->cfg;
    char as_of[TU_TS_MAX];
    struct targets tg = {cfg->target_staff, cfg->target_consultations};
    tu_format_ts(time(NULL), (int)cfg->tz_offset_min, as_of);
    struct pub_ctx c = {p, 0, tu_today((int)cfg->tz_offset_min), as_of, &tg};
    if (everything || p->all_dirty) {
        store_years_each(p->store, publish_year, &c);
        store_trips_each(p->store, publish_trip_all, &c);
        clock_gettime(CLOCK_MONOTONIC, &p->last_refresh);
    } else {
        for (int i = 0; i < p->ndirty_years; i++)
            publish_year(&c, p->dirty_years[i]);
        for (int i = 0; i < p->ndirty_trips; i++)
            publish_trip_progress(&c, p->dirty_trips[i]);
        for (int i = 0; i < p->ndirty_cards; i++)
            publish_card(&c, p->dirty_cards[i]);
    }
    for (int i = 0; i < p->ndirty_counties; i++) {
        c.year = p->dirty_counties[i].year;
        publish_county(&c, p->dirty_counties[i].county, p->dirty_counties[i].county_name);
        /* months: the county that lost a trip, in its year (and the year's
         * months all zero when it has no month figures left: publish_year
         * skipped it) and in the next when that has month figures */
        int y = p->dirty_counties[i].year;
        for (c.year = y; c.year <= y + 1; c.year++) {
            int any = 0;
            if (store_month_counties_each(p->store, c.year, count_one, &any) != OERR_OK ||
                (!any && c.year > y))
                continue;
            char topic[TOPIC_MAX];
            if (!any && topic_fmt(topic, sizeof topic, cfg->topic_root, "progress/%d/months",
                                  c.year) == 0)
                publish_json(p, topic, progress_months_json(p->store, c.year, NULL, NULL,
                                                            as_of));
            publish_county_months(&c, p->dirty_counties[i].county,
                                  p->dirty_counties[i].county_name);
        }
    }
    publish_devices(&c, everything || p->all_dirty);
    p->ndirty_years = p->ndirty_trips = p->ndirty_counties = p->ndirty_cards = 0;
    p->all_dirty = false;
    clock_gettime(CLOCK_MONOTONIC, &p->last_progress);
}
