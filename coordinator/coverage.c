/* coverage.c -- poor-village coverage from the villages register and the
 * year's trips (coverage.h). */
#include "coverage.h"

#include <stdio.h>
#include <string.h>

bool coverage_trip_reaches(const char *status, const char *date, struct odate today,
                           long long consultations)
{
    char day[11];
    tu_format_date(today, day);
    return status[0] && strcmp(status, "cancelled") != 0 && date[0] &&
           strcmp(date, day) <= 0 && consultations > 0;
}

const char *coverage_msg(char msg[JERR_MAX], const char *text)
{
    size_t n = strlen(text);
    if (n >= JERR_MAX) {
        n = JERR_MAX - 1;
        while (n && ((unsigned char)text[n] & 0xC0) == 0x80)
            n--; /* text[n] would continue a character: cut before it */
    }
    memcpy(msg, text, n);
    msg[n] = '\0';
    return msg;
}

const char *coverage_site_mismatch(const struct village_row *v, const struct trip_def *t,
                                   char msg[JERR_MAX])
{
    char text[1024];
    if (strcmp(v->county, t->county) != 0 ||
        (t->township && strcmp(v->township, t->township) != 0)) {
        snprintf(text, sizeof text, "site: village '%s' is in county %s, township %s in the "
                 "register; the site says county %s%s%s: correct the site's county or "
                 "township, or name the right village", v->code, v->county, v->township,
                 t->county, t->township ? ", township " : "", t->township ? t->township : "");
        return coverage_msg(msg, text);
    }
    if (t->poor_village_given && t->poor_village != v->poor) {
        snprintf(text, sizeof text, "site: poor_village is %s but village '%s' is %s in the "
                 "register: leave poor_village out (with a village it follows the register), "
                 "or correct the register (villages import)",
                 t->poor_village ? "true" : "false", v->code, v->poor ? "poor" : "not poor");
        return coverage_msg(msg, text);
    }
    return NULL;
}

/* Rows come ordered by county, township, code: one village's rows together. */
struct cov_ctx {
    struct odate today;
    cJSON *by_county, *not_reached;
    cJSON *county, *township; /* the current ones, NULL before the first */
    struct village_row cur;   /* the village of the rows being read */
    bool have, reached;
    long long total, total_reached;
};

static void add_count(cJSON *o, const char *name, long long n)
{
    cJSON *it = cJSON_GetObjectItemCaseSensitive(o, name);
    cJSON_SetNumberValue(it, it->valuedouble + (double)n);
}

/* Adds the village read so far to its county and township. */
static void village_done(struct cov_ctx *c)
{
    if (!c->have)
        return;
    const struct village_row *v = &c->cur;
    cJSON *county = c->county;
    if (!county || strcmp(cJSON_GetObjectItem(county, "county")->valuestring, v->county)) {
        county = c->county = cJSON_CreateObject();
        cJSON_AddStringToObject(county, "county", v->county);
        cJSON_AddStringToObject(county, "county_name", v->county_name);
        cJSON_AddNumberToObject(county, "poor_villages", 0);
        cJSON_AddNumberToObject(county, "reached", 0);
        cJSON_AddArrayToObject(county, "townships");
        cJSON_AddItemToArray(c->by_county, county);
        c->township = NULL;
    }
    cJSON *tw = c->township;
    if (!tw || strcmp(cJSON_GetObjectItem(tw, "township")->valuestring, v->township)) {
        tw = c->township = cJSON_CreateObject();
        cJSON_AddStringToObject(tw, "township", v->township);
        cJSON_AddNumberToObject(tw, "poor_villages", 0);
        cJSON_AddNumberToObject(tw, "reached", 0);
        cJSON_AddItemToArray(cJSON_GetObjectItem(county, "townships"), tw);
    }
    add_count(county, "poor_villages", 1);
    add_count(tw, "poor_villages", 1);
    c->total++;
    if (c->reached) {
        add_count(county, "reached", 1);
        add_count(tw, "reached", 1);
        c->total_reached++;
    } else {
        cJSON *n = cJSON_CreateObject();
        cJSON_AddStringToObject(n, "code", v->code);
        cJSON_AddStringToObject(n, "name", v->name);
        cJSON_AddStringToObject(n, "township", v->township);
        cJSON_AddStringToObject(n, "county", v->county);
        cJSON_AddItemToArray(c->not_reached, n);
    }
    c->have = false;
}

static int cov_row(void *ctx, const struct coverage_row *r)
{
    struct cov_ctx *c = ctx;
    if (c->have && strcmp(c->cur.code, r->v.code) != 0)
        village_done(c);
    if (!c->have) {
        c->cur = r->v;
        c->have = true;
        c->reached = false;
    }
    if (coverage_trip_reaches(r->status, r->date, c->today, r->consultations))
        c->reached = true;
    return 0;
}

cJSON *coverage_json(struct store *s, int year, struct odate today, const char *as_of)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "year", year);
    cJSON_AddStringToObject(o, "as_of", as_of);
    struct cov_ctx c = {.today = today, .by_county = cJSON_CreateArray(),
                        .not_reached = cJSON_CreateArray()};
    if (store_coverage_each(s, year, cov_row, &c)) {
        cJSON_Delete(c.by_county);
        cJSON_Delete(c.not_reached);
        cJSON_Delete(o);
        return NULL;
    }
    village_done(&c);
    cJSON_AddNumberToObject(o, "poor_villages", (double)c.total);
    cJSON_AddNumberToObject(o, "reached", (double)c.total_reached);
    cJSON_AddItemToObject(o, "by_county", c.by_county);
    cJSON_AddItemToObject(o, "not_reached", c.not_reached);
    return o;
}
