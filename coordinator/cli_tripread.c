/* cli_tripread.c -- a trip as the CLI reads it from the store (card,
 * places per role) and the words for its places and dates. */
#include "cli_tripread.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "report.h"
#include "tripcard.h"

bool tripread_role_shown(const struct role_places *p)
{
    return p->capacity > 0 || p->confirmed > 0 || p->waitlisted > 0;
}

cJSON *tripread_roles_json(const struct role_places p[ROLE_COUNT])
{
    cJSON *roles = cJSON_CreateObject();
    if (!roles)
        cli_oom();
    for (int i = 0; i < ROLE_COUNT; i++) {
        if (!tripread_role_shown(&p[i]))
            continue;
        cJSON *r = cJSON_AddObjectToObject(roles, role_names[i]);
        if (!r || !cJSON_AddNumberToObject(r, "capacity", p[i].capacity) ||
            !cJSON_AddNumberToObject(r, "confirmed", p[i].confirmed) ||
            !cJSON_AddNumberToObject(r, "waitlisted", p[i].waitlisted) ||
            !cJSON_AddNumberToObject(r, "open", p[i].open))
            cli_oom();
    }
    return roles;
}

void tripread_places_text(const struct role_places p[ROLE_COUNT], char *buf, size_t n)
{
    size_t o = 0;
    buf[0] = '\0';
    for (int i = 0; i < ROLE_COUNT && o < n; i++) {
        if (!tripread_role_shown(&p[i]))
            continue;
        int k = snprintf(buf + o, n - o, "%s%s %d/%d", o ? ", " : "", role_names[i],
                         p[i].confirmed, p[i].capacity);
        if (k > 0)
            o += (size_t)k;
        if (p[i].waitlisted > 0 && o < n) {
            k = snprintf(buf + o, n - o, " (+%d wait-listed)", p[i].waitlisted);
            if (k > 0)
                o += (size_t)k;
        }
    }
    if (!buf[0])
        snprintf(buf, n, "none");
}

void tripread_dates_text(const char *date, const char *end_date, char *buf, size_t n)
{
    if (end_date && strcmp(end_date, date) != 0)
        snprintf(buf, n, "%s\u2013%s", date, end_date);
    else
        snprintf(buf, n, "%s", date);
}

cJSON *tripread_card(struct store *s, const char *trip_id)
{
    char *text = tripcard_json(s, trip_id);
    cJSON *card = text ? cJSON_Parse(text) : NULL;
    free(text);
    if (!card)
        cli_fail("cannot read trip %s from the store: %s", trip_id, store_errmsg(s));
    return card;
}

int tripread_places(struct store *s, const char *trip_id, struct role_places p[ROLE_COUNT])
{
    memset(p, 0, sizeof(struct role_places) * ROLE_COUNT);
    oerr_t e = store_trip_places(s, trip_id, p);
    if (e) {
        cli_fail("cannot read the places of trip %s: %s (%s)", trip_id, oerr_str(e),
                 store_errmsg(s));
        return -1;
    }
    return 0;
}

const char *tripread_or_dash(const char *s) { return s && *s ? s : "-"; }
