/* cli_trips.c -- `outreach-coordinator trips`: the trips by date with their
 * places per role, read from the store, as a table or JSON. */
#include <stdio.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "arr.h"
#include "cli_cmds.h"
#include "cli_tripread.h"
#include "texttable.h"

static const char usage_trips[] =
    "usage: outreach-coordinator trips --db FILE [--year Y] [--json]\n"
    "\n"
    "Lists the trips ordered by date: id, dates, county, title, status, and the\n"
    "places of each role: confirmed of capacity, and how many are wait-listed\n"
    "(\"doctor 3/4 (+2 wait-listed)\").\n"
    "\n"
    "  --db FILE        the coordinator's store\n"
    "  --year Y         only the trips dated in year Y (default: all)\n"
    "  --json           the same as a JSON array of trips, each with\n"
    "                   roles {ROLE: {capacity, confirmed, waitlisted, open}}\n";

struct trip_list {
    struct trip_row *v;
    size_t n, cap;
    int year;
};

static int collect_trip(void *ctx, const struct trip_row *t)
{
    struct trip_list *l = ctx;
    if (l->year && t->year != l->year)
        return 0;
    if (ARR_RESERVE(l->v, l->cap, l->n + 1))
        cli_oom();
    l->v[l->n++] = *t;
    return 0;
}

/* One trip as a JSON object of the --json array. */
static cJSON *trip_json(const struct trip_row *t, const cJSON *card,
                        const struct role_places p[ROLE_COUNT])
{
    const char *title = cli_jstr(card, "title"), *end_date = cli_jstr(card, "end_date");
    cJSON *o = cJSON_CreateObject();
    if (!o)
        cli_oom();
    cJSON_AddStringToObject(o, "trip_id", t->trip_id);
    cJSON_AddStringToObject(o, "title", title ? title : "");
    cJSON_AddStringToObject(o, "date", t->date);
    if (end_date)
        cJSON_AddStringToObject(o, "end_date", end_date);
    else
        cJSON_AddNullToObject(o, "end_date");
    cJSON_AddStringToObject(o, "county", t->county);
    cJSON_AddStringToObject(o, "county_name", t->county_name);
    cJSON_AddStringToObject(o, "status", t->status);
    cJSON_AddItemToObject(o, "roles", tripread_roles_json(p));
    return o;
}

/* Adds each trip to arr (--json) or to table. Returns 0, or -1 after a
 * message. */
static int read_trips(struct store *s, const struct trip_list *l, bool json, cJSON *arr,
                      cJSON *table)
{
    for (size_t i = 0; i < l->n; i++) {
        const struct trip_row *t = &l->v[i];
        struct role_places p[ROLE_COUNT];
        cJSON *card = tripread_card(s, t->trip_id);
        if (!card)
            return -1;
        if (tripread_places(s, t->trip_id, p)) {
            cJSON_Delete(card);
            return -1;
        }
        if (json) {
            cJSON_AddItemToArray(arr, trip_json(t, card, p));
        } else {
            char dates[32], places[512];
            tripread_dates_text(t->date, cli_jstr(card, "end_date"), dates, sizeof dates);
            tripread_places_text(p, places, sizeof places);
            if (text_table_row(table, 6, t->trip_id, dates, t->county_name,
                               cli_jstr(card, "title"), t->status, places))
                cli_oom();
        }
        cJSON_Delete(card);
    }
    return 0;
}

int cli_trips(int argc, char **argv, void *ctx)
{
    struct coord_db_opts o = {0};
    int rc = coord_cli_db_opts(argc, argv, usage_trips, DBO_JSON | DBO_YEAR, &o);
    if (rc)
        return rc == 1 ? 0 : rc;
    if (!o.db)
        return cli_usage_error(usage_trips, "%s", "--db FILE is required");
    struct store *s = coord_cli_store(ctx, o.db);
    if (!s)
        return 1;

    rc = 1;
    struct trip_list l = {NULL, 0, 0, o.year};
    cJSON *arr = cJSON_CreateArray(), *table = cJSON_CreateArray();
    if (!arr || !table)
        cli_oom();
    if (store_trips_each(s, collect_trip, &l)) {
        coord_cli_read_failed(s, o.db);
        goto done;
    }
    if (text_table_row(table, 6, "trip", "date", "county", "title", "status", "places"))
        cli_oom();
    if (read_trips(s, &l, o.json, arr, table))
        goto done;
    if (o.json) {
        char *text = cJSON_Print(arr);
        if (!text)
            cli_oom();
        puts(text);
        free(text);
    } else if (l.n == 0) {
        if (o.year)
            printf("No trips in %d.\n", o.year);
        else
            puts("No trips.");
    } else {
        text_table_print(table, "", stdout);
    }
    rc = 0;
done:
    cJSON_Delete(arr);
    cJSON_Delete(table);
    free(l.v);
    return rc;
}
