/* tripcard.c -- a trip's public card, built from the store's trip and its
 * places per role. */
#include "tripcard.h"

#include <cjson/cJSON.h>

#include "jsonget.h"

/* A JSON array of the names whose bits are set, in their order. */
static void add_names(cJSON *o, const char *name, unsigned set, const char *const *names)
{
    cJSON_AddItemToObject(o, name, json_names_array(set, names));
}

char *tripcard_json(struct store *s, const char *trip_id)
{
    struct trip_detail t;
    if (store_trip_detail(s, trip_id, &t) != OERR_OK)
        return NULL;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "trip_id", t.trip_id);
    cJSON_AddStringToObject(o, "title", t.title);
    cJSON_AddStringToObject(o, "date", t.date);
    if (t.end_date[0])
        cJSON_AddStringToObject(o, "end_date", t.end_date);
    cJSON *site = cJSON_AddObjectToObject(o, "site");
    cJSON_AddStringToObject(site, "code", t.site_code);
    cJSON_AddStringToObject(site, "name", t.site_name);
    cJSON_AddStringToObject(site, "county", t.county);
    cJSON_AddStringToObject(site, "county_name", t.county_name);
    if (t.township[0])
        cJSON_AddStringToObject(site, "township", t.township);
    cJSON_AddBoolToObject(site, "poor_village", t.poor_village);
    char village[ID_MAX + 1]; /* reach: the village of the register, when named */
    if (store_trip_village(s, trip_id, village) == OERR_OK && village[0])
        cJSON_AddStringToObject(site, "village", village);
    cJSON_AddStringToObject(o, "mode", t.mode);
    add_names(o, "activities", t.activities, activity_names);
    add_names(o, "departments", t.departments, department_names);
    cJSON *cap = cJSON_AddObjectToObject(o, "capacity");
    for (int i = 0; i < ROLE_COUNT; i++)
        if (t.capacity[i] > 0)
            cJSON_AddNumberToObject(cap, role_names[i], t.capacity[i]);
    cJSON_AddStringToObject(o, "status", t.status);
    /* Places per role: counts only, never who. */
    struct role_places pl[ROLE_COUNT];
    if (store_trip_places(s, trip_id, pl) == OERR_OK) {
        cJSON *roles = cJSON_AddObjectToObject(o, "roles");
        for (int i = 0; i < ROLE_COUNT; i++) {
            if (!pl[i].capacity && !pl[i].confirmed && !pl[i].waitlisted)
                continue;
            cJSON *r = cJSON_AddObjectToObject(roles, role_names[i]);
            cJSON_AddNumberToObject(r, "capacity", pl[i].capacity);
            cJSON_AddNumberToObject(r, "confirmed", pl[i].confirmed);
            cJSON_AddNumberToObject(r, "waitlisted", pl[i].waitlisted);
            cJSON_AddNumberToObject(r, "open", pl[i].open);
        }
    }
    cJSON_AddStringToObject(o, "updated_at", t.updated_at);
    return json_print_free(o);
}
