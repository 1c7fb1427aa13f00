/* cli_progress.c -- `outreach-coordinator progress`: the year's figures
 * against the targets, for the whole year and per county, as a table or
 * JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "cli_cmds.h"
#include "conf.h"
#include "olog.h"
#include "progress.h"
#include "progress_json.h"
#include "report_book.h"
#include "timeutil.h"

static const char usage_progress[] =
    "usage: outreach-coordinator progress --db FILE [--year Y] [--json] [--config FILE]\n"
    "\n"
    "  --db FILE        the coordinator's store\n"
    "  --year Y         year to show (default: this year at the sites)\n"
    "  --json           the same figures as JSON\n"
    "  --config FILE    read the targets (target_staff, target_consultations) from it\n"
    "A county with targets of its own (targets set, targets_file) gets them under the\n"
    "county table, and in --json as its county_targets (its consultations and staff\n"
    "then carry counts only: the year's targets are not a county's).\n"
    "Set OUTREACH_TODAY=YYYY-MM-DD to compute 'expected' for another day.\n";

static const char *cny(long long fen, char buf[40])
{
    char t[32];
    snprintf(buf, 40, "%s.%02lld", book_thousands(fen / 100, t), fen % 100);
    return buf;
}

static long long jint(const cJSON *o, const char *a, const char *b)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, a);
    if (b)
        x = cJSON_GetObjectItemCaseSensitive(x, b);
    return cJSON_IsNumber(x) ? (long long)x->valuedouble : 0;
}

static void print_target_row(const char *label, const cJSON *t)
{
    char a[32], b[32], c[32], d[32];
    long long count = jint(t, "count", NULL), target = jint(t, "target", NULL);
    double pct = target > 0 ? 100.0 * (double)count / (double)target : 0.0;
    const cJSON *pace = cJSON_GetObjectItemCaseSensitive(t, "pace");
    printf("  %-14s %10s %10s %7.1f%% %10s  %-8s %10s\n", label, book_thousands(count, a),
           book_thousands(target, b), pct, book_thousands(jint(t, "expected_to_date", NULL), c),
           cJSON_IsString(pace) ? pace->valuestring : "", book_thousands(jint(t, "projected_year_end", NULL), d));
}

struct county_list {
    cJSON *arr;
    struct store *s;
    int year;
    const struct targets *tg;
    struct odate today;
    const char *as_of;
};

static int collect_county(void *ctx, const char *county, const char *name)
{
    struct county_list *l = ctx;
    cJSON *o = progress_year_json(l->s, l->year, county, name, l->tg, l->today, l->as_of);
    if (o)
        cJSON_AddItemToArray(l->arr, o);
    return 0;
}

static void print_table(const cJSON *y, const cJSON *counties, struct odate today)
{
    char a[32], b[32], c[32], m[40];
    int year = (int)jint(y, "year", NULL);
    printf("Outreach progress %d (as of %04d-%02d-%02d, day %d of %d)\n\n", year, today.year,
           today.month, today.day, progress_days_elapsed(year, today), tu_days_in_year(year));
    printf("  %-14s %10s %10s %8s %10s  %-8s %10s\n", "", "count", "target", "percent",
           "expected", "pace", "projected");
    print_target_row("Consultations", cJSON_GetObjectItemCaseSensitive(y, "consultations"));
    print_target_row("Staff", cJSON_GetObjectItemCaseSensitive(y, "staff"));
    printf("\n  Medicine dispensed: %s CNY in %s dispenses\n",
           cny(jint(y, "medicine", "value_fen"), m), book_thousands(jint(y, "medicine", "dispenses"), a));
    const cJSON *bd = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(y, "referrals"), "by_destination");
    printf("  Referrals: %lld (township health centre %lld, county hospital %lld, "
           "city hospital %lld)\n", jint(y, "referrals", "count"),
           jint(bd, "township_health_center", NULL), jint(bd, "county_hospital", NULL),
           jint(bd, "city_hospital", NULL));
    printf("  Health education: %s brochures, %s attendees, %s talks\n",
           book_thousands(jint(y, "education", "brochures"), a),
           book_thousands(jint(y, "education", "attendees"), b),
           book_thousands(jint(y, "education", "talks"), c));
    printf("  Trips: %lld planned, %lld completed, %lld cancelled\n",
           jint(y, "trips", "planned"), jint(y, "trips", "completed"),
           jint(y, "trips", "cancelled"));
    if (cJSON_GetArraySize(counties) == 0)
        return;
    printf("\n  %-16s %13s %6s %6s %15s %10s  %s\n", "county", "consultations", "staff",
           "trips", "medicine (CNY)", "referrals", "name");
    const cJSON *o;
    cJSON_ArrayForEach(o, counties) {
        long long trips = jint(o, "trips", "planned") + jint(o, "trips", "completed") +
                          jint(o, "trips", "cancelled");
        const cJSON *code = cJSON_GetObjectItemCaseSensitive(o, "county");
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(o, "county_name");
        /* The county's name comes from an admin request: escaped (olog_escape). */
        char *shown = olog_escape_dup(name->valuestring);
        printf("  %-16s %13s %6lld %6lld %15s %10lld  %s\n", code->valuestring,
               book_thousands(jint(o, "consultations", "count"), a), jint(o, "staff", "count"),
               trips, cny(jint(o, "medicine", "value_fen"), m), jint(o, "referrals", "count"),
               shown ? shown : "?");
        free(shown);
    }
    /* The counties' own targets (county_targets), when set: the same columns as the year's. */
    bool head = false;
    cJSON_ArrayForEach(o, counties) {
        const cJSON *ct = cJSON_GetObjectItemCaseSensitive(o, "county_targets");
        if (!cJSON_IsObject(ct))
            continue;
        if (!head)
            printf("\n  %-14s %10s %10s %8s %10s  %-8s %10s\n", "County targets", "count",
                   "target", "percent", "expected", "pace", "projected");
        head = true;
        char *shown = olog_escape_dup(
            cJSON_GetObjectItemCaseSensitive(o, "county_name")->valuestring);
        printf("  %s (%s)\n", cJSON_GetObjectItemCaseSensitive(o, "county")->valuestring,
               shown ? shown : "?");
        free(shown);
        print_target_row("Consultations", cJSON_GetObjectItemCaseSensitive(ct, "consultations"));
        print_target_row("Staff", cJSON_GetObjectItemCaseSensitive(ct, "staff"));
    }
}

int cli_progress(int argc, char **argv, void *ctx)
{
    struct coord_cli *cc = ctx;
    const struct coord_config *cfg = &cc->cfg;
    struct coord_db_opts o = {0};
    int rc = coord_cli_db_opts(argc, argv, usage_progress, DBO_JSON | DBO_YEAR | DBO_CONFIG, &o);
    if (rc)
        return rc == 1 ? 0 : rc;
    char err[CONF_ERR_MAX];
    if (o.db && conf_set(cc->table, "db", o.db, err)) /* the flag wins over the config */
        return cli_usage_error(usage_progress, "%s", err);
    int year = o.year;
    if (!cfg->db)
        return cli_usage_error(usage_progress, "%s", "--db FILE is required");
    struct store *s = coord_cli_store(cc, cfg->db);
    if (!s)
        return 1;
    struct odate today = tu_today((int)cfg->tz_offset_min);
    if (!year)
        year = today.year;
    char as_of[TU_TS_MAX];
    tu_format_ts(time(NULL), (int)cfg->tz_offset_min, as_of);
    struct targets tg = {cfg->target_staff, cfg->target_consultations};
    cJSON *y = progress_year_json(s, year, NULL, NULL, &tg, today, as_of);
    cJSON *counties = cJSON_CreateArray();
    struct county_list l = {counties, s, year, &tg, today, as_of};
    rc = 1;
    if (!y || !counties || store_counties_each(s, year, collect_county, &l)) {
        coord_cli_read_failed(s, cfg->db);
    } else if (o.json) {
        cJSON_AddItemToObject(y, "counties", counties);
        counties = NULL;
        char *p = cJSON_Print(y);
        puts(p);
        free(p);
        rc = 0;
    } else {
        print_table(y, counties, today);
        rc = 0;
    }
    cJSON_Delete(y);
    cJSON_Delete(counties);
    return rc;
}
