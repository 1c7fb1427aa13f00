/* cli_trip_show.c -- `outreach-coordinator trip show ID`: the trip, its
 * roster per role (with phone numbers: staff only), who came without
 * registering, and attendance, read from the store. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli_cmds.h"
#include "cli_tripread.h"
#include "ids.h"
#include "report.h"
#include "texttable.h"

static const char usage_show[] =
    "usage: outreach-coordinator trip show ID --db FILE [--json]\n"
    "\n"
    "Shows trip ID: title, dates, site, mode, status and places per role; then\n"
    "the roster of each role: confirmed volunteers (id, name, phone, organization,\n"
    "checked in or not), the wait-list in order, and cancelled registrations;\n"
    "then the people who checked in without registering; then attendance\n"
    "(registered and came, registered but absent, came unregistered).\n"
    "Phone numbers are personal data: this is for the coordinator's staff only.\n"
    "\n"
    "  --db FILE        the coordinator's store\n"
    "  --json           the same as JSON\n"
    "exit status: 0 shown, 1 no such trip or store, 2 bad usage\n";

/* ---- reading the roster ------------------------------------------------- */

struct roster {
    cJSON *roles; /* {"doctor": {"confirmed": [...], "waitlisted": [...], "cancelled": [...]}} */
    bool any;
};

static cJSON *roster_role(cJSON *roles, const char *role)
{
    cJSON *r = cJSON_GetObjectItemCaseSensitive(roles, role);
    if (r)
        return r;
    r = cJSON_AddObjectToObject(roles, role);
    if (!r || !cJSON_AddArrayToObject(r, "confirmed") || !cJSON_AddArrayToObject(r, "waitlisted") ||
        !cJSON_AddArrayToObject(r, "cancelled"))
        cli_oom();
    return r;
}

static int collect_reg(void *ctx, const struct reg_row *g)
{
    struct roster *ro = ctx;
    if (g->role < 0 || g->role >= ROLE_COUNT)
        return 0;
    cJSON *role = roster_role(ro->roles, role_names[g->role]);
    const char *list = strcmp(g->state, REG_CONFIRMED) == 0    ? "confirmed"
                       : strcmp(g->state, REG_WAITLISTED) == 0 ? "waitlisted"
                                                               : "cancelled";
    cJSON *o = cJSON_CreateObject();
    if (!o)
        cli_oom();
    cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(role, list), o);
    if (strcmp(list, "waitlisted") == 0)
        cJSON_AddNumberToObject(o, "position", (double)g->position);
    cJSON_AddStringToObject(o, "volunteer_id", g->volunteer_id);
    cJSON_AddStringToObject(o, "name", g->v.name);
    cJSON_AddStringToObject(o, "phone", g->v.phone);
    cJSON_AddStringToObject(o, "organization", g->v.organization);
    if (strcmp(list, "confirmed") == 0)
        cJSON_AddBoolToObject(o, "checked_in", g->checked_in);
    if (strcmp(list, "cancelled") == 0)
        cJSON_AddStringToObject(o, "state", g->state);
    cJSON_AddStringToObject(o, "registered_at", g->created_at);
    cJSON_AddStringToObject(o, "updated_at", g->updated_at);
    ro->any = true;
    return 0;
}

static int collect_walkin(void *ctx, const struct walkin_row *w)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        cli_oom();
    cJSON_AddItemToArray(ctx, o);
    cJSON_AddStringToObject(o, "staff_id", w->staff_id);
    cJSON_AddStringToObject(o, "role",
                            w->role >= 0 && w->role < ROLE_COUNT ? role_names[w->role] : "");
    cJSON_AddStringToObject(o, "organization", w->organization);
    return 0;
}

/* ---- the text ------------------------------------------------------------ */

/* "clinic, health" from a JSON list of strings; "-" when empty. */
static void list_text(const cJSON *arr, char *buf, size_t n)
{
    size_t o = 0;
    const cJSON *it;
    buf[0] = '\0';
    cJSON_ArrayForEach(it, arr) {
        if (!cJSON_IsString(it) || o >= n)
            continue;
        int k = snprintf(buf + o, n - o, "%s%s", o ? ", " : "", it->valuestring);
        if (k > 0)
            o += (size_t)k;
    }
    if (!buf[0])
        snprintf(buf, n, "-");
}

static void print_field(const char *label, const char *value)
{
    printf("  %-13s ", label);
    text_put(stdout, value);
    fputc('\n', stdout);
}

/* The trip's own lines: title, dates, site, mode... places. */
static void print_trip(const cJSON *card, const struct role_places p[ROLE_COUNT])
{
    const cJSON *site = cJSON_GetObjectItemCaseSensitive(card, "site");
    char buf[1024], dates[32];
    fputs("Trip ", stdout);
    text_put(stdout, tripread_or_dash(cli_jstr(card, "trip_id")));
    fputs(": ", stdout);
    text_put(stdout, tripread_or_dash(cli_jstr(card, "title")));
    fputc('\n', stdout);
    tripread_dates_text(tripread_or_dash(cli_jstr(card, "date")), cli_jstr(card, "end_date"),
                        dates, sizeof dates);
    print_field("Date:", dates);
    const char *township = cli_jstr(site, "township");
    const cJSON *poor = cJSON_GetObjectItemCaseSensitive(site, "poor_village");
    snprintf(buf, sizeof buf, "%s (%s)%s%s, %s (%s)%s", tripread_or_dash(cli_jstr(site, "name")),
             tripread_or_dash(cli_jstr(site, "code")), township ? ", " : "",
             township ? township : "", tripread_or_dash(cli_jstr(site, "county_name")),
             tripread_or_dash(cli_jstr(site, "county")),
             cJSON_IsTrue(poor) ? ", poor village" : "");
    print_field("Site:", buf);
    print_field("Mode:", tripread_or_dash(cli_jstr(card, "mode")));
    list_text(cJSON_GetObjectItemCaseSensitive(card, "activities"), buf, sizeof buf);
    print_field("Activities:", buf);
    list_text(cJSON_GetObjectItemCaseSensitive(card, "departments"), buf, sizeof buf);
    print_field("Departments:", buf);
    print_field("Status:", tripread_or_dash(cli_jstr(card, "status")));
    tripread_places_text(p, buf, sizeof buf);
    print_field("Places:", buf);
}

static void print_confirmed(const cJSON *conf)
{
    printf("    confirmed:\n");
    cJSON *t = cJSON_CreateArray();
    if (!t)
        cli_oom();
    const cJSON *g;
    cJSON_ArrayForEach(g, conf) {
        bool in = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(g, "checked_in"));
        if (text_table_row(t, 5, cli_jstr(g, "volunteer_id"),
                           tripread_or_dash(cli_jstr(g, "name")),
                           tripread_or_dash(cli_jstr(g, "phone")),
                           tripread_or_dash(cli_jstr(g, "organization")),
                           in ? "checked in: yes" : "checked in: no"))
            cli_oom();
    }
    text_table_print(t, "      ", stdout);
    cJSON_Delete(t);
}

static void print_waitlist(const cJSON *wait)
{
    printf("    wait-list:\n");
    cJSON *t = cJSON_CreateArray();
    if (!t)
        cli_oom();
    const cJSON *g;
    cJSON_ArrayForEach(g, wait) {
        char pos[32];
        snprintf(pos, sizeof pos, "%lld.",
                 (long long)cJSON_GetObjectItemCaseSensitive(g, "position")->valuedouble);
        if (text_table_row(t, 5, pos, cli_jstr(g, "volunteer_id"),
                           tripread_or_dash(cli_jstr(g, "name")),
                           tripread_or_dash(cli_jstr(g, "phone")),
                           tripread_or_dash(cli_jstr(g, "organization"))))
            cli_oom();
    }
    text_table_print(t, "      ", stdout);
    cJSON_Delete(t);
}

static void print_roster(const struct role_places p[ROLE_COUNT], const struct roster *ro)
{
    printf("\nRoster\n");
    if (cJSON_GetArraySize(ro->roles) == 0)
        printf("  no places and no registrations\n");
    const cJSON *role;
    cJSON_ArrayForEach(role, ro->roles) {
        int ri = enum_index(role_names, role->string);
        const struct role_places *rp = &p[ri < 0 ? 0 : ri];
        const cJSON *conf = cJSON_GetObjectItemCaseSensitive(role, "confirmed");
        const cJSON *wait = cJSON_GetObjectItemCaseSensitive(role, "waitlisted");
        const cJSON *canc = cJSON_GetObjectItemCaseSensitive(role, "cancelled");
        printf("  %s: %d of %d %s confirmed", role->string, rp->confirmed, rp->capacity,
               cli_plural(rp->capacity, "place", "places"));
        if (rp->waitlisted)
            printf(", %d wait-listed", rp->waitlisted);
        fputc('\n', stdout);
        if (!cJSON_GetArraySize(conf) && !cJSON_GetArraySize(wait) && !cJSON_GetArraySize(canc)) {
            printf("    no registrations\n");
            continue;
        }
        if (cJSON_GetArraySize(conf))
            print_confirmed(conf);
        if (cJSON_GetArraySize(wait))
            print_waitlist(wait);
        if (cJSON_GetArraySize(canc)) {
            printf("    cancelled: ");
            int i = 0;
            const cJSON *g;
            cJSON_ArrayForEach(g, canc) {
                printf("%s%s (%s)", i++ ? ", " : "", cli_jstr(g, "volunteer_id"),
                       cli_jstr(g, "state"));
            }
            fputc('\n', stdout);
        }
    }
}

static void print_walkins(const cJSON *walkins)
{
    int nw = cJSON_GetArraySize(walkins);
    if (nw == 0) {
        printf("\nCame without registering: none\n");
        return;
    }
    printf("\nCame without registering (%d):\n", nw);
    cJSON *t = cJSON_CreateArray();
    if (!t)
        cli_oom();
    const cJSON *w;
    cJSON_ArrayForEach(w, walkins) {
        if (text_table_row(t, 3, cli_jstr(w, "staff_id"), cli_jstr(w, "role"),
                           tripread_or_dash(cli_jstr(w, "organization"))))
            cli_oom();
    }
    text_table_print(t, "  ", stdout);
    cJSON_Delete(t);
}

/* Prints card with roster, walk-ins and attendance added, as JSON. */
static void print_json(cJSON *card, const struct role_places p[ROLE_COUNT],
                       struct roster *ro, cJSON **walkins, const struct attendance *at)
{
    cJSON_DeleteItemFromObjectCaseSensitive(card, "roles");
    cJSON_AddItemToObject(card, "roles", tripread_roles_json(p));
    cJSON_AddItemToObject(card, "roster", ro->roles);
    ro->roles = NULL;
    cJSON_AddItemToObject(card, "walkins", *walkins);
    *walkins = NULL;
    cJSON *a = cJSON_AddObjectToObject(card, "attendance");
    if (!a)
        cli_oom();
    cJSON_AddNumberToObject(a, "registered_and_came", (double)at->came);
    cJSON_AddNumberToObject(a, "registered_but_absent", (double)at->absent);
    cJSON_AddNumberToObject(a, "came_unregistered", (double)at->unregistered);
    char *text = cJSON_Print(card);
    if (!text)
        cli_oom();
    puts(text);
    free(text);
}

/* ---- the command ------------------------------------------------------------ */

/* ID and --db from the command line. Returns 0, 1 after --help (printed),
 * or EXIT_USAGE after saying what is wrong. */
static int parse(int argc, char **argv, const char **id, struct coord_db_opts *o)
{
    int rc = coord_cli_db_opts(argc, argv, usage_show, DBO_JSON | DBO_ARG, o);
    if (rc)
        return rc;
    if (optind >= argc)
        return cli_usage_error(usage_show, "%s", "which trip? give its ID");
    *id = argv[optind++];
    if (optind < argc)
        return cli_usage_error(usage_show, "unexpected argument '%s'", argv[optind]);
    if (!id_is_code(*id))
        return cli_usage_error(usage_show, "'%s' is not a trip id (1 to 64 of A-Z, a-z, 0-9, "
                                           "'.', '_' and '-')", *id);
    if (!o->db)
        return cli_usage_error(usage_show, "%s", "--db FILE is required");
    return 0;
}

int cli_trip_show(int argc, char **argv, void *ctx)
{
    const char *id = NULL;
    struct coord_db_opts o = {0};
    int rc = parse(argc, argv, &id, &o);
    if (rc)
        return rc == 1 ? 0 : rc;
    struct store *s = coord_cli_store(ctx, o.db);
    if (!s)
        return 1;

    rc = 1;
    cJSON *card = NULL, *walkins = cJSON_CreateArray();
    struct roster ro = {cJSON_CreateObject(), false};
    if (!walkins || !ro.roles)
        cli_oom();
    struct trip_row t;
    oerr_t e = store_trip_get(s, id, &t);
    if (e == OERR_NOTFOUND) {
        cli_fail("no trip %s in %s", id, o.db);
        goto done;
    }
    if (e) {
        coord_cli_read_failed(s, o.db);
        goto done;
    }
    struct role_places p[ROLE_COUNT];
    struct attendance at = {0, 0, 0};
    if (!(card = tripread_card(s, id)) || tripread_places(s, id, p))
        goto done;
    /* The roles with places come first, in the contract's order; then any
     * role someone registered for that has no places (any more). */
    for (int i = 0; i < ROLE_COUNT; i++)
        if (tripread_role_shown(&p[i]))
            roster_role(ro.roles, role_names[i]);
    if ((e = store_trip_regs_each(s, id, collect_reg, &ro)) ||
        (e = store_trip_walkins_each(s, id, collect_walkin, walkins)) ||
        (e = store_trip_attendance(s, id, &at))) {
        cli_fail("cannot read the roster of trip %s: %s (%s)", id, oerr_str(e), store_errmsg(s));
        goto done;
    }
    if (o.json) {
        print_json(card, p, &ro, &walkins, &at);
    } else {
        print_trip(card, p);
        print_roster(p, &ro);
        print_walkins(walkins);
        printf("\nAttendance: %lld registered and came, %lld registered but absent, "
               "%lld came unregistered\n", at.came, at.absent, at.unregistered);
    }
    rc = 0;
done:
    cJSON_Delete(card);
    cJSON_Delete(walkins);
    cJSON_Delete(ro.roles);
    return rc;
}
