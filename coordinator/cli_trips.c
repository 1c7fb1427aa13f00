/* cli_trips.c -- `trips`, `trip show` and `trip create|cancel|complete`.
 *
 * Reading (trips, trip show) opens the store directly, read-only in effect.
 * Writing goes through the admin requests of the contract, published on
 * ROOT/admin/requests with an MQTT 5 Response Topic under
 * ROOT/admin/replies/ and Correlation Data, so that the running coordinator
 * alone writes the store and republishes the trip cards. */
#include "cli_trips.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "ids.h"
#include "jsonget.h"
#include "mq.h"
#include "mqrr.h"
#include "mqtls.h"
#include "olog.h"
#include "report.h"
#include "request.h"
#include "store.h"
#include "topics.h"
#include "tripcard.h"

#define EXIT_USAGE 2
#define EXIT_REFUSED 3

#define BROKER_DEFAULT "tcp://127.0.0.1:1883"
#define USERNAME_DEFAULT "admin"
#define TIMEOUT_DEFAULT_S 10
#define JSON_FILE_MAX (64 * 1024)

/* ---- usage texts ------------------------------------------------------- */

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

static const char usage_trip[] =
    "usage: outreach-coordinator trip show ID --db FILE [--json]\n"
    "       outreach-coordinator trip create (--json FILE | --id ID --title T ...) [MQTT options]\n"
    "       outreach-coordinator trip cancel ID [--reason TEXT] [MQTT options]\n"
    "       outreach-coordinator trip complete ID [MQTT options]\n"
    "\n"
    "  show       the trip, its roster per role (with phone numbers), who came\n"
    "             without registering, and attendance\n"
    "  create     create a trip, or change one (a trip.upsert request)\n"
    "  cancel     cancel a planned trip; its registrants get a notice\n"
    "  complete   mark a trip as held\n"
    "\n"
    "create, cancel and complete are sent to the running coordinator (which\n"
    "alone writes the store) as admin requests over MQTT, and wait for its reply.\n"
    "'outreach-coordinator trip SUBCOMMAND --help' tells more about each.\n";

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

#define MQTT_OPTIONS_HELP                                                                  \
    "MQTT options:\n"                                                                      \
    "  --broker URI         broker (default " BROKER_DEFAULT ")\n"                         \
    "  --username U         MQTT username (default " USERNAME_DEFAULT ")\n"                \
    "  --password-file F    file holding its password\n"                                   \
    MQTLS_USAGE                                                                            \
    "  --topic-root R       root of every topic (default " TOPIC_ROOT_DEFAULT ")\n"        \
    "  --timeout S          wait at most S seconds to connect, and for the reply\n"        \
    "                       (default 10)\n"                                                \
    "  --request-id X       the request's id (default: a fresh UUID); a request sent\n"    \
    "                       again with the same id gets the first reply, no second effect\n" \
    "exit status: 0 done, 2 bad usage or invalid input (nothing sent), 3 refused by\n"     \
    "             the coordinator, 1 other failure (no broker, no reply)\n"

static const char usage_create[] =
    "usage: outreach-coordinator trip create --json FILE [MQTT options]\n"
    "       outreach-coordinator trip create --id ID --title T --date YYYY-MM-DD\n"
    "            [--end-date YYYY-MM-DD] --site-code C --site-name N --county C\n"
    "            --county-name N [--township T] [--poor-village]\n"
    "            --mode upper_help|lower_invite|red_cross --activities A,B\n"
    "            [--departments D,E] --capacity ROLE=N,... [MQTT options]\n"
    "\n"
    "Creates a trip, or changes the trip with that id (a cancelled trip cannot\n"
    "change). The trip is checked with the coordinator's own rules before it is\n"
    "sent.\n"
    "\n"
    "  --json FILE          a whole trip.upsert request without request_id and op\n"
    "                       (both are added); no trip flags with it\n"
    "  --id ID              the trip's id, e.g. 2026-xw-001\n"
    "  --title T            its title (1 to 128 characters)\n"
    "  --date D             first day, YYYY-MM-DD\n"
    "  --end-date D         last day, when it lasts more than one\n"
    "  --site-code C        the site's code\n"
    "  --site-name N        the site's name, e.g. the village clinic\n"
    "  --county C           the county's code, e.g. xiuwu\n"
    "  --county-name N      the county's name, e.g. 修武县\n"
    "  --township T         the township\n"
    "  --poor-village       the site is a poor village\n"
    "  --mode M             upper_help, lower_invite or red_cross\n"
    "  --activities LIST    comma-separated: clinic, health, tech, mentor\n"
    "  --departments LIST   comma-separated: internal, surgery, obgyn, pediatrics,\n"
    "                       ophthalmology, tcm, dental, general, other (default none)\n"
    "  --capacity LIST      places per role, e.g. doctor=4,nurse=2 (roles: doctor,\n"
    "                       nurse, pharmacist, technician, health_promoter, support)\n"
    "\n" MQTT_OPTIONS_HELP;

static const char usage_cancel[] =
    "usage: outreach-coordinator trip cancel ID [--reason TEXT] [MQTT options]\n"
    "\n"
    "Cancels planned trip ID (a completed trip cannot be cancelled). Its\n"
    "registrations become trip_cancelled and each registrant gets a notice;\n"
    "reports for it are refused from then on.\n"
    "\n"
    "  --reason TEXT        why (1 to 256 characters), sent with the request\n"
    "\n" MQTT_OPTIONS_HELP;

static const char usage_complete[] =
    "usage: outreach-coordinator trip complete ID [MQTT options]\n"
    "\n"
    "Marks planned trip ID as held (a cancelled trip cannot be completed).\n"
    "Reports for it are still accepted: devices sync late.\n"
    "\n" MQTT_OPTIONS_HELP;

static int usage_error(const char *usage, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int usage_error(const char *usage, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "outreach-coordinator: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n%s", usage);
    va_end(ap);
    return EXIT_USAGE;
}

static void oom(void)
{
    fputs("outreach-coordinator: out of memory\n", stderr);
    exit(1);
}

/* ---- text output ------------------------------------------------------- */

/* Columns a code point takes on a terminal: 2 for East Asian wide and
 * fullwidth characters, 0 for combining marks, else 1. */
static size_t cp_width(unsigned long c)
{
    if ((c >= 0x0300 && c <= 0x036F) || (c >= 0x200B && c <= 0x200F))
        return 0;
    if ((c >= 0x1100 && c <= 0x115F) || (c >= 0x2E80 && c <= 0x303E) ||
        (c >= 0x3041 && c <= 0x33FF) || (c >= 0x3400 && c <= 0x4DBF) ||
        (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0xA000 && c <= 0xA4CF) ||
        (c >= 0xAC00 && c <= 0xD7A3) || (c >= 0xF900 && c <= 0xFAFF) ||
        (c >= 0xFE30 && c <= 0xFE4F) || (c >= 0xFF00 && c <= 0xFF60) ||
        (c >= 0xFFE0 && c <= 0xFFE6) || (c >= 0x1F300 && c <= 0x1F64F) ||
        (c >= 0x20000 && c <= 0x3FFFD))
        return 2;
    return 1;
}

/* Decodes the code point at p (valid UTF-8 expected; a stray byte counts as
 * one). Sets *n to its length in bytes. */
static unsigned long next_cp(const unsigned char *p, size_t *n)
{
    unsigned long c;
    size_t len;
    if (*p < 0x80) {
        *n = 1;
        return *p;
    } else if ((*p & 0xE0) == 0xC0) {
        c = *p & 0x1F;
        len = 2;
    } else if ((*p & 0xF0) == 0xE0) {
        c = *p & 0x0F;
        len = 3;
    } else if ((*p & 0xF8) == 0xF0) {
        c = *p & 0x07;
        len = 4;
    } else {
        *n = 1;
        return 0xFFFD;
    }
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80) {
            *n = 1;
            return 0xFFFD;
        }
        c = (c << 6) | (p[i] & 0x3F);
    }
    *n = len;
    return c;
}

/* Columns s takes on a terminal once escaped (escapes are ASCII). */
static size_t text_width(const char *s)
{
    char *e = olog_escape_dup(s);
    if (!e)
        oom();
    const unsigned char *p = (const unsigned char *)e;
    size_t w = 0, n;
    while (*p) {
        w += cp_width(next_cp(p, &n));
        p += n;
    }
    free(e);
    return w;
}

/* Prints s through olog_escape (control characters, bidi controls and bad
 * UTF-8 made visible as \n, \x1B, \u202E...): names and titles come from
 * volunteers' and admins' requests and must neither drive the terminal nor
 * reorder what staff read. */
static void put_text(FILE *f, const char *s)
{
    char *e = olog_escape_dup(s);
    if (!e)
        oom();
    fputs(e, f);
    free(e);
}

static void put_padded(FILE *f, const char *s, size_t width)
{
    put_text(f, s);
    for (size_t w = text_width(s); w < width; w++)
        fputc(' ', f);
}

/* A table is a cJSON array of rows, each an array of strings; the last
 * column is not padded. */
static void table_row(cJSON *table, int n, ...)
{
    cJSON *row = cJSON_CreateArray();
    if (!row)
        oom();
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++) {
        const char *s = va_arg(ap, const char *);
        cJSON *c = cJSON_CreateString(s ? s : "");
        if (!c)
            oom();
        cJSON_AddItemToArray(row, c);
    }
    va_end(ap);
    cJSON_AddItemToArray(table, row);
}

static void table_print(const cJSON *table, const char *indent, FILE *f)
{
    size_t width[16] = {0};
    int ncols = 0;
    const cJSON *row, *cell;
    cJSON_ArrayForEach(row, table) {
        int i = 0;
        cJSON_ArrayForEach(cell, row) {
            if (i < 16) {
                size_t w = text_width(cell->valuestring);
                if (w > width[i])
                    width[i] = w;
            }
            i++;
        }
        if (i > ncols)
            ncols = i;
    }
    cJSON_ArrayForEach(row, table) {
        int i = 0, n = cJSON_GetArraySize(row);
        fputs(indent, f);
        cJSON_ArrayForEach(cell, row) {
            if (i + 1 < n) {
                put_padded(f, cell->valuestring, i < 16 ? width[i] : 0);
                fputs("  ", f);
            } else {
                put_text(f, cell->valuestring);
            }
            i++;
        }
        fputc('\n', f);
    }
}

/* ---- reading trips ----------------------------------------------------- */

static const char *jstr(const cJSON *o, const char *name)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(x) ? x->valuestring : NULL;
}

/* A role is shown when the trip has places for it or someone registered. */
static bool role_shown(const struct role_places *p)
{
    return p->capacity > 0 || p->confirmed > 0 || p->waitlisted > 0;
}

static cJSON *roles_json(const struct role_places p[ROLE_COUNT])
{
    cJSON *roles = cJSON_CreateObject();
    if (!roles)
        oom();
    for (int i = 0; i < ROLE_COUNT; i++) {
        if (!role_shown(&p[i]))
            continue;
        cJSON *r = cJSON_AddObjectToObject(roles, role_names[i]);
        if (!r || !cJSON_AddNumberToObject(r, "capacity", p[i].capacity) ||
            !cJSON_AddNumberToObject(r, "confirmed", p[i].confirmed) ||
            !cJSON_AddNumberToObject(r, "waitlisted", p[i].waitlisted) ||
            !cJSON_AddNumberToObject(r, "open", p[i].open))
            oom();
    }
    return roles;
}

/* "doctor 3/4 (+2 wait-listed), nurse 2/2", or "none". */
static void places_text(const struct role_places p[ROLE_COUNT], char *buf, size_t n)
{
    size_t o = 0;
    buf[0] = '\0';
    for (int i = 0; i < ROLE_COUNT && o < n; i++) {
        if (!role_shown(&p[i]))
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

/* "2026-03-15" or "2026-03-15–2026-03-17" */
static void dates_text(const char *date, const char *end_date, char *buf, size_t n)
{
    if (end_date && strcmp(end_date, date) != 0)
        snprintf(buf, n, "%s\u2013%s", date, end_date);
    else
        snprintf(buf, n, "%s", date);
}

/* The trip's card from the store, parsed; NULL with a message. */
static cJSON *trip_card(struct store *s, const char *trip_id)
{
    char *text = tripcard_json(s, trip_id);
    cJSON *card = text ? cJSON_Parse(text) : NULL;
    free(text);
    if (!card)
        fprintf(stderr, "outreach-coordinator: cannot read trip %s from the store: %s\n",
                trip_id, store_errmsg(s));
    return card;
}

static int read_places(struct store *s, const char *trip_id, struct role_places p[ROLE_COUNT])
{
    memset(p, 0, sizeof(struct role_places) * ROLE_COUNT);
    oerr_t e = store_trip_places(s, trip_id, p);
    if (e) {
        fprintf(stderr, "outreach-coordinator: cannot read the places of trip %s: %s (%s)\n",
                trip_id, oerr_str(e), store_errmsg(s));
        return -1;
    }
    return 0;
}

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
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        struct trip_row *v = realloc(l->v, cap * sizeof *v);
        if (!v)
            oom();
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = *t;
    return 0;
}

static int parse_year(const char *arg, int *year)
{
    char *end;
    errno = 0;
    long v = strtol(arg, &end, 10);
    if (errno || end == arg || *end || v < 1970 || v > 9999)
        return -1;
    *year = (int)v;
    return 0;
}

int cli_trips(int argc, char **argv, cli_open_store_fn open_store)
{
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'}, {"year", required_argument, NULL, 'y'},
        {"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *db = NULL;
    int json = 0, year = 0, c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'y':
            if (parse_year(optarg, &year))
                return usage_error(usage_trips, "--year must be a year like 2026, not '%s'",
                                   optarg);
            break;
        case 'j': json = 1; break;
        case 'h': fputs(usage_trips, stdout); return 0;
        default: fputs(usage_trips, stderr); return EXIT_USAGE;
        }
    }
    if (optind < argc)
        return usage_error(usage_trips, "unexpected argument '%s'", argv[optind]);
    if (!db)
        return usage_error(usage_trips, "%s", "--db FILE is required");
    struct store *s = open_store(db);
    if (!s)
        return 1;

    int rc = 1;
    struct trip_list l = {NULL, 0, 0, year};
    cJSON *arr = cJSON_CreateArray(), *table = cJSON_CreateArray();
    if (!arr || !table)
        oom();
    if (store_trips_each(s, collect_trip, &l)) {
        fprintf(stderr, "outreach-coordinator: cannot read the store: %s\n", store_errmsg(s));
        goto done;
    }
    table_row(table, 6, "trip", "date", "county", "title", "status", "places");
    for (size_t i = 0; i < l.n; i++) {
        const struct trip_row *t = &l.v[i];
        struct role_places p[ROLE_COUNT];
        cJSON *card = trip_card(s, t->trip_id);
        if (!card)
            goto done;
        if (read_places(s, t->trip_id, p)) {
            cJSON_Delete(card);
            goto done;
        }
        const char *title = jstr(card, "title"), *end_date = jstr(card, "end_date");
        if (json) {
            cJSON *o = cJSON_CreateObject();
            if (!o)
                oom();
            cJSON_AddItemToArray(arr, o);
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
            cJSON_AddItemToObject(o, "roles", roles_json(p));
        } else {
            char dates[32], places[512];
            dates_text(t->date, end_date, dates, sizeof dates);
            places_text(p, places, sizeof places);
            table_row(table, 6, t->trip_id, dates, t->county_name, title, t->status, places);
        }
        cJSON_Delete(card);
    }
    if (json) {
        char *text = cJSON_Print(arr);
        if (!text)
            oom();
        puts(text);
        free(text);
    } else if (l.n == 0) {
        if (year)
            printf("No trips in %d.\n", year);
        else
            puts("No trips.");
    } else {
        table_print(table, "", stdout);
    }
    rc = 0;
done:
    cJSON_Delete(arr);
    cJSON_Delete(table);
    free(l.v);
    store_close(s);
    return rc;
}

/* ---- trip show --------------------------------------------------------- */

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
        oom();
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
        oom();
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
        oom();
    cJSON_AddItemToArray(ctx, o);
    cJSON_AddStringToObject(o, "staff_id", w->staff_id);
    cJSON_AddStringToObject(o, "role",
                            w->role >= 0 && w->role < ROLE_COUNT ? role_names[w->role] : "");
    cJSON_AddStringToObject(o, "organization", w->organization);
    return 0;
}

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

static const char *or_dash(const char *s) { return s && *s ? s : "-"; }

static void print_field(const char *label, const char *value)
{
    printf("  %-13s ", label);
    put_text(stdout, value);
    fputc('\n', stdout);
}

static void print_show(const cJSON *card, const struct role_places p[ROLE_COUNT],
                       const struct roster *ro, const cJSON *walkins,
                       const struct attendance *at)
{
    const cJSON *site = cJSON_GetObjectItemCaseSensitive(card, "site");
    char buf[1024], dates[32];
    fputs("Trip ", stdout);
    put_text(stdout, or_dash(jstr(card, "trip_id")));
    fputs(": ", stdout);
    put_text(stdout, or_dash(jstr(card, "title")));
    fputc('\n', stdout);
    dates_text(or_dash(jstr(card, "date")), jstr(card, "end_date"), dates, sizeof dates);
    print_field("Date:", dates);
    const char *township = jstr(site, "township");
    const cJSON *poor = cJSON_GetObjectItemCaseSensitive(site, "poor_village");
    snprintf(buf, sizeof buf, "%s (%s)%s%s, %s (%s)%s", or_dash(jstr(site, "name")),
             or_dash(jstr(site, "code")), township ? ", " : "", township ? township : "",
             or_dash(jstr(site, "county_name")), or_dash(jstr(site, "county")),
             cJSON_IsTrue(poor) ? ", poor village" : "");
    print_field("Site:", buf);
    print_field("Mode:", or_dash(jstr(card, "mode")));
    list_text(cJSON_GetObjectItemCaseSensitive(card, "activities"), buf, sizeof buf);
    print_field("Activities:", buf);
    list_text(cJSON_GetObjectItemCaseSensitive(card, "departments"), buf, sizeof buf);
    print_field("Departments:", buf);
    print_field("Status:", or_dash(jstr(card, "status")));
    places_text(p, buf, sizeof buf);
    print_field("Places:", buf);

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
        printf("  %s: %d of %d places confirmed", role->string, rp->confirmed, rp->capacity);
        if (rp->waitlisted)
            printf(", %d wait-listed", rp->waitlisted);
        fputc('\n', stdout);
        if (!cJSON_GetArraySize(conf) && !cJSON_GetArraySize(wait) && !cJSON_GetArraySize(canc)) {
            printf("    no registrations\n");
            continue;
        }
        const cJSON *g;
        if (cJSON_GetArraySize(conf)) {
            printf("    confirmed:\n");
            cJSON *t = cJSON_CreateArray();
            if (!t)
                oom();
            cJSON_ArrayForEach(g, conf) {
                table_row(t, 5, jstr(g, "volunteer_id"), or_dash(jstr(g, "name")),
                          or_dash(jstr(g, "phone")), or_dash(jstr(g, "organization")),
                          cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(g, "checked_in"))
                              ? "checked in: yes"
                              : "checked in: no");
            }
            table_print(t, "      ", stdout);
            cJSON_Delete(t);
        }
        if (cJSON_GetArraySize(wait)) {
            printf("    wait-list:\n");
            cJSON *t = cJSON_CreateArray();
            if (!t)
                oom();
            cJSON_ArrayForEach(g, wait) {
                char pos[32];
                snprintf(pos, sizeof pos, "%lld.",
                         (long long)cJSON_GetObjectItemCaseSensitive(g, "position")->valuedouble);
                table_row(t, 5, pos, jstr(g, "volunteer_id"), or_dash(jstr(g, "name")),
                          or_dash(jstr(g, "phone")), or_dash(jstr(g, "organization")));
            }
            table_print(t, "      ", stdout);
            cJSON_Delete(t);
        }
        if (cJSON_GetArraySize(canc)) {
            printf("    cancelled: ");
            int i = 0;
            cJSON_ArrayForEach(g, canc) {
                printf("%s%s (%s)", i++ ? ", " : "", jstr(g, "volunteer_id"), jstr(g, "state"));
            }
            fputc('\n', stdout);
        }
    }

    int nw = cJSON_GetArraySize(walkins);
    if (nw == 0) {
        printf("\nCame without registering: none\n");
    } else {
        printf("\nCame without registering (%d):\n", nw);
        cJSON *t = cJSON_CreateArray();
        if (!t)
            oom();
        const cJSON *w;
        cJSON_ArrayForEach(w, walkins) {
            table_row(t, 3, jstr(w, "staff_id"), jstr(w, "role"),
                      or_dash(jstr(w, "organization")));
        }
        table_print(t, "  ", stdout);
        cJSON_Delete(t);
    }
    printf("\nAttendance: %lld registered and came, %lld registered but absent, "
           "%lld came unregistered\n", at->came, at->absent, at->unregistered);
}

static int trip_show(int argc, char **argv, cli_open_store_fn open_store)
{
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'}, {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    const char *db = NULL;
    int json = 0, c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'j': json = 1; break;
        case 'h': fputs(usage_show, stdout); return 0;
        default: fputs(usage_show, stderr); return EXIT_USAGE;
        }
    }
    if (optind >= argc)
        return usage_error(usage_show, "%s", "which trip? give its ID");
    const char *id = argv[optind++];
    if (optind < argc)
        return usage_error(usage_show, "unexpected argument '%s'", argv[optind]);
    if (!id_is_code(id))
        return usage_error(usage_show, "'%s' is not a trip id (1 to 64 of A-Z, a-z, 0-9, '.', "
                                       "'_' and '-')", id);
    if (!db)
        return usage_error(usage_show, "%s", "--db FILE is required");
    struct store *s = open_store(db);
    if (!s)
        return 1;

    int rc = 1;
    cJSON *card = NULL, *walkins = cJSON_CreateArray();
    struct roster ro = {cJSON_CreateObject(), false};
    if (!walkins || !ro.roles)
        oom();
    struct trip_row t;
    oerr_t e = store_trip_get(s, id, &t);
    if (e == OERR_NOTFOUND) {
        fprintf(stderr, "outreach-coordinator: no trip %s in %s\n", id, db);
        goto done;
    }
    if (e) {
        fprintf(stderr, "outreach-coordinator: cannot read the store: %s\n", store_errmsg(s));
        goto done;
    }
    struct role_places p[ROLE_COUNT];
    struct attendance at = {0, 0, 0};
    if (!(card = trip_card(s, id)) || read_places(s, id, p))
        goto done;
    /* The roles with places come first, in the contract's order; then any
     * role someone registered for that has no places (any more). */
    for (int i = 0; i < ROLE_COUNT; i++)
        if (role_shown(&p[i]))
            roster_role(ro.roles, role_names[i]);
    if ((e = store_trip_regs_each(s, id, collect_reg, &ro)) ||
        (e = store_trip_walkins_each(s, id, collect_walkin, walkins)) ||
        (e = store_trip_attendance(s, id, &at))) {
        fprintf(stderr, "outreach-coordinator: cannot read the roster of trip %s: %s (%s)\n",
                id, oerr_str(e), store_errmsg(s));
        goto done;
    }
    if (json) {
        cJSON_DeleteItemFromObjectCaseSensitive(card, "roles");
        cJSON_AddItemToObject(card, "roles", roles_json(p));
        cJSON_AddItemToObject(card, "roster", ro.roles);
        ro.roles = NULL;
        cJSON_AddItemToObject(card, "walkins", walkins);
        walkins = NULL;
        cJSON *a = cJSON_AddObjectToObject(card, "attendance");
        if (!a)
            oom();
        cJSON_AddNumberToObject(a, "registered_and_came", (double)at.came);
        cJSON_AddNumberToObject(a, "registered_but_absent", (double)at.absent);
        cJSON_AddNumberToObject(a, "came_unregistered", (double)at.unregistered);
        char *text = cJSON_Print(card);
        if (!text)
            oom();
        puts(text);
        free(text);
    } else {
        print_show(card, p, &ro, walkins, &at);
    }
    rc = 0;
done:
    cJSON_Delete(card);
    cJSON_Delete(walkins);
    cJSON_Delete(ro.roles);
    store_close(s);
    return rc;
}

/* ---- admin requests over MQTT ------------------------------------------ */

enum {
    O_BROKER = 1000, O_USERNAME, O_PWFILE, O_ROOT, O_TIMEOUT, O_REQID, O_HELP,
    O_REASON, O_JSON, O_ID, O_TITLE, O_DATE, O_END_DATE, O_SITE_CODE, O_SITE_NAME,
    O_COUNTY, O_COUNTY_NAME, O_TOWNSHIP, O_POOR, O_MODE, O_ACTIVITIES, O_DEPARTMENTS,
    O_CAPACITY
};

#define MQTT_LONG_OPTIONS                                                    \
    {"broker", required_argument, NULL, O_BROKER},                           \
    {"username", required_argument, NULL, O_USERNAME},                       \
    {"password-file", required_argument, NULL, O_PWFILE},                    \
    {"topic-root", required_argument, NULL, O_ROOT},                         \
    {"timeout", required_argument, NULL, O_TIMEOUT},                         \
    {"request-id", required_argument, NULL, O_REQID},                        \
    MQTLS_LONG_OPTIONS,                                                      \
    {"help", no_argument, NULL, O_HELP}

struct mqtt_args {
    const char *broker, *username, *password_file, *root, *request_id;
    long timeout_s;
    struct mq_tls tls; /* points into argv */
};

static void mqtt_args_defaults(struct mqtt_args *m)
{
    m->broker = BROKER_DEFAULT;
    m->username = USERNAME_DEFAULT;
    m->password_file = NULL;
    m->root = TOPIC_ROOT_DEFAULT;
    m->request_id = NULL;
    m->timeout_s = TIMEOUT_DEFAULT_S;
    m->tls = (struct mq_tls){0};
}

/* Handles one of the MQTT options. Returns 1 when c was one (done), 0 when it
 * was not, or -1 after printing a usage error. */
static int mqtt_opt(int c, const char *arg, struct mqtt_args *m, const char *usage)
{
    switch (c) {
    case O_BROKER: m->broker = arg; return 1;
    case O_USERNAME: m->username = arg; return 1;
    case O_PWFILE: m->password_file = arg; return 1;
    case O_ROOT:
        if (!*arg || strpbrk(arg, "+#") || arg[strlen(arg) - 1] == '/') {
            usage_error(usage, "--topic-root must be a topic without wildcards or a "
                               "trailing '/', not '%s'", arg);
            return -1;
        }
        m->root = arg;
        return 1;
    case O_TIMEOUT: {
        char *end;
        errno = 0;
        long v = strtol(arg, &end, 10);
        if (errno || end == arg || *end || v < 1 || v > 3600) {
            usage_error(usage, "--timeout must be whole seconds from 1 to 3600, not '%s'", arg);
            return -1;
        }
        m->timeout_s = v;
        return 1;
    }
    case O_REQID: {
        size_t n = utf8_valid(arg, strlen(arg)) ? utf8_chars(arg) : 0;
        if (n < 1 || n > 64) {
            usage_error(usage, "--request-id must be 1 to 64 characters, not '%s'", arg);
            return -1;
        }
        m->request_id = arg;
        return 1;
    }
    default:
        return mqtls_flag_apply(c, (char *)arg, &m->tls);
    }
}

/* Maps a field named in a decoder message to the flag that sets it, for
 * `trip create` with flags. */
static const char *flag_of(const char *msg)
{
    static const char *const top[][2] = {
        {"trip_id", "--id"}, {"title", "--title"}, {"date", "--date"},
        {"end_date", "--end-date"}, {"site", "--site-code, --site-name, --county, --county-name"},
        {"mode", "--mode"}, {"activities", "--activities"}, {"departments", "--departments"},
        {"capacity", "--capacity"}, {NULL, NULL}};
    static const char *const site[][2] = {
        {"code", "--site-code"}, {"name", "--site-name"}, {"county", "--county"},
        {"county_name", "--county-name"}, {"township", "--township"},
        {"poor_village", "--poor-village"}, {NULL, NULL}};
    if (strncmp(msg, "capacity: ", 10) == 0)
        return "--capacity";
    bool in_site = strncmp(msg, "site: ", 6) == 0;
    const char *f = strstr(msg, "field '");
    if (!f)
        return NULL;
    f += 7;
    const char *q = strchr(f, '\'');
    if (!q)
        return NULL;
    size_t n = (size_t)(q - f);
    const char *const(*map)[2] = in_site ? site : top;
    for (int i = 0; map[i][0]; i++)
        if (strlen(map[i][0]) == n && strncmp(map[i][0], f, n) == 0)
            return map[i][1];
    return NULL;
}

/* Checks the request with the coordinator's own decoder. Returns 0, or
 * EXIT_USAGE after printing the field-specific message. */
static int validate_request(const char *payload, bool flags)
{
    struct request rq;
    struct jerr err = {{0}};
    const char *code = request_decode(REQ_ADMIN, payload, strlen(payload), &rq, &err);
    request_free(&rq);
    if (!code)
        return 0;
    const char *flag = flags ? flag_of(err.msg) : NULL;
    fprintf(stderr, "outreach-coordinator: invalid request (%s): %s%s%s%s\n", code, err.msg,
            flag ? " (" : "", flag ? flag : "", flag ? ")" : "");
    return EXIT_USAGE;
}

/* Sends req (without request_id and op, which are put first) as an admin
 * request and waits for the reply. Returns the exit status. */
static int send_admin(const struct mqtt_args *m, const char *op, cJSON *body, bool flags)
{
    char reqid[UUID_LEN + 1] = "";
    if (!m->request_id && id_new_uuid(reqid)) {
        fputs("outreach-coordinator: cannot make a request id (no randomness)\n", stderr);
        return 1;
    }
    const char *request_id = m->request_id ? m->request_id : reqid;
    cJSON *req = cJSON_CreateObject();
    if (!req || !cJSON_AddStringToObject(req, "request_id", request_id) ||
        !cJSON_AddStringToObject(req, "op", op))
        oom();
    while (body->child) {
        cJSON *it = cJSON_DetachItemViaPointer(body, body->child);
        if (strcmp(it->string, "request_id") == 0 || strcmp(it->string, "op") == 0)
            cJSON_Delete(it);
        else
            cJSON_AddItemToObject(req, it->string, it);
    }
    char *payload = cJSON_PrintUnformatted(req);
    cJSON_Delete(req);
    if (!payload)
        oom();
    int rc = validate_request(payload, flags);
    if (rc) {
        free(payload);
        return rc;
    }

    rc = 1;
    char err[MQ_ERR_MAX] = "", client_id[ID_MAX + 32], resp_topic[TOPIC_MAX], req_topic[TOPIC_MAX];
    if (mq_tls_check_usage(m->broker, &m->tls, err)) {
        fprintf(stderr, "outreach-coordinator: %s\n", err);
        free(payload);
        return EXIT_USAGE;
    }
    char *password = NULL, *reply = NULL;
    struct mqrr *r = NULL;
    cJSON *rj = NULL;
    if (m->password_file && !(password = mq_read_secret(m->password_file, err))) {
        fprintf(stderr, "outreach-coordinator: %s\n", err);
        goto done;
    }
    /* USERNAME.SUFFIX: the broker takes no other id from an account. */
    snprintf(client_id, sizeof client_id, "%s.cli-%ld", m->username ? m->username : "admin",
             (long)getpid());
    if (topic_fmt(resp_topic, sizeof resp_topic, m->root, "admin/replies/%s", client_id) ||
        topic_fmt(req_topic, sizeof req_topic, m->root, "admin/requests")) {
        fprintf(stderr, "outreach-coordinator: --topic-root is too long\n");
        rc = EXIT_USAGE;
        goto done;
    }
    struct mq_conn_opts o = {0};
    o.username = m->username;
    o.password = password;
    o.clean_start = true;
    o.session_expiry_s = 0;
    o.keepalive_s = 30;
    o.max_inflight = 10;
    o.auto_reconnect = false;
    o.tls = &m->tls;
    int timeout_ms = (int)m->timeout_s * 1000;
    if (mqrr_open(&r, m->broker, client_id, &o, resp_topic, timeout_ms, err)) {
        fprintf(stderr, "outreach-coordinator: cannot connect to the broker at %s as %s: %s\n",
                m->broker, m->username, err);
        goto done;
    }
    reply = mqrr_request(r, req_topic, payload, timeout_ms, err);
    if (!reply) {
        if (strstr(err, "no reply"))
            fprintf(stderr, "outreach-coordinator: no reply from the coordinator within %ld s "
                            "(is outreach-coordinator run going?)\n", m->timeout_s);
        else
            fprintf(stderr, "outreach-coordinator: request %s not answered: %s\n", request_id,
                    err);
        goto done;
    }
    rj = cJSON_Parse(reply);
    const cJSON *ok = cJSON_GetObjectItemCaseSensitive(rj, "ok");
    if (cJSON_IsTrue(ok)) {
        const char *trip_id = jstr(rj, "trip_id"), *status = jstr(rj, "status");
        fputs("trip ", stdout);
        put_text(stdout, or_dash(trip_id));
        fputs(": ", stdout);
        put_text(stdout, or_dash(status));
        fputc('\n', stdout);
        rc = 0;
    } else if (cJSON_IsFalse(ok)) {
        fputs("refused (", stderr);
        put_text(stderr, or_dash(jstr(rj, "code")));
        fputs("): ", stderr);
        put_text(stderr, or_dash(jstr(rj, "reason")));
        fputc('\n', stderr);
        rc = EXIT_REFUSED;
    } else {
        fputs("outreach-coordinator: the coordinator's reply is not understood: ", stderr);
        put_text(stderr, reply);
        fputc('\n', stderr);
    }
done:
    cJSON_Delete(rj);
    free(reply);
    mqrr_close(&r);
    if (password) {
        memset(password, 0, strlen(password));
        free(password);
    }
    free(payload);
    return rc;
}

/* trip cancel ID [--reason TEXT] and trip complete ID */
static int trip_status(int argc, char **argv, bool cancel)
{
    const char *usage = cancel ? usage_cancel : usage_complete;
    static const struct option cancel_opts[] = {
        MQTT_LONG_OPTIONS, {"reason", required_argument, NULL, O_REASON}, {NULL, 0, NULL, 0}};
    static const struct option complete_opts[] = {MQTT_LONG_OPTIONS, {NULL, 0, NULL, 0}};
    struct mqtt_args m;
    mqtt_args_defaults(&m);
    const char *reason = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "h", cancel ? cancel_opts : complete_opts, NULL)) != -1) {
        int k = mqtt_opt(c, optarg, &m, usage);
        if (k < 0)
            return EXIT_USAGE;
        if (k)
            continue;
        switch (c) {
        case O_REASON: reason = optarg; break;
        case 'h':
        case O_HELP: fputs(usage, stdout); return 0;
        default: fputs(usage, stderr); return EXIT_USAGE;
        }
    }
    if (optind >= argc)
        return usage_error(usage, "%s", "which trip? give its ID");
    const char *id = argv[optind++];
    if (optind < argc)
        return usage_error(usage, "unexpected argument '%s'", argv[optind]);
    cJSON *body = cJSON_CreateObject();
    if (!body || !cJSON_AddStringToObject(body, "trip_id", id) ||
        (reason && !cJSON_AddStringToObject(body, "reason", reason)))
        oom();
    int rc = send_admin(&m, cancel ? "trip.cancel" : "trip.complete", body, false);
    cJSON_Delete(body);
    return rc;
}

/* "a,b,c" -> ["a","b","c"] (empty items skipped). */
static cJSON *split_list(const char *arg)
{
    cJSON *arr = cJSON_CreateArray();
    if (!arr)
        oom();
    const char *p = arg;
    while (*p) {
        const char *q = strchr(p, ',');
        size_t n = q ? (size_t)(q - p) : strlen(p);
        while (n && (*p == ' ')) {
            p++;
            n--;
        }
        while (n && p[n - 1] == ' ')
            n--;
        if (n) {
            char *item = strndup(p, n);
            cJSON *s = item ? cJSON_CreateString(item) : NULL;
            free(item);
            if (!s)
                oom();
            cJSON_AddItemToArray(arr, s);
        }
        if (!q)
            break;
        p = q + 1;
    }
    return arr;
}

/* "doctor=4,nurse=2" -> {"doctor":4,"nurse":2}; NULL after a usage error. */
static cJSON *parse_capacity(const char *arg)
{
    cJSON *list = split_list(arg), *cap = cJSON_CreateObject();
    if (!cap)
        oom();
    const cJSON *it;
    cJSON_ArrayForEach(it, list) {
        char *item = it->valuestring, *eq = strchr(item, '=');
        char *end = NULL;
        long v = 0;
        if (eq) {
            *eq = '\0';
            errno = 0;
            v = strtol(eq + 1, &end, 10);
        }
        if (!eq || !*item || end == eq + 1 || *end || errno || v < 0 || v > 1000000) {
            if (eq)
                *eq = '=';
            usage_error(usage_create, "--capacity takes places per role, ROLE=N,... (e.g. "
                                      "doctor=4,nurse=2), not '%s'", item);
            goto bad;
        }
        if (cJSON_GetObjectItemCaseSensitive(cap, item)) {
            usage_error(usage_create, "--capacity gives role '%s' twice", item);
            goto bad;
        }
        if (!cJSON_AddNumberToObject(cap, item, (double)v))
            oom();
    }
    cJSON_Delete(list);
    return cap;
bad:
    cJSON_Delete(list);
    cJSON_Delete(cap);
    return NULL;
}

/* Reads a trip.upsert body from a file; NULL after a message. */
static cJSON *read_json_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "outreach-coordinator: cannot read %s: %s\n", path, strerror(errno));
        return NULL;
    }
    char *buf = malloc(JSON_FILE_MAX + 1);
    if (!buf)
        oom();
    size_t n = fread(buf, 1, JSON_FILE_MAX + 1, f);
    bool err = ferror(f);
    fclose(f);
    if (err) {
        fprintf(stderr, "outreach-coordinator: cannot read %s\n", path);
        free(buf);
        return NULL;
    }
    if (n > JSON_FILE_MAX) {
        fprintf(stderr, "outreach-coordinator: %s is larger than a request may be (%d bytes)\n",
                path, REQUEST_MAX_BYTES);
        free(buf);
        return NULL;
    }
    struct jerr jerr = {{0}};
    cJSON *o = json_parse_bounded(buf, n, REQUEST_MAX_DEPTH, &jerr);
    free(buf);
    if (!o) {
        fprintf(stderr, "outreach-coordinator: %s: %s\n", path, jerr.msg);
        return NULL;
    }
    const char *op = jstr(o, "op");
    if (cJSON_GetObjectItemCaseSensitive(o, "op") && (!op || strcmp(op, "trip.upsert") != 0)) {
        fprintf(stderr, "outreach-coordinator: %s: \"op\" must be \"trip.upsert\" or absent\n",
                path);
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static int trip_create(int argc, char **argv)
{
    static const struct option opts[] = {
        MQTT_LONG_OPTIONS,
        {"json", required_argument, NULL, O_JSON},
        {"id", required_argument, NULL, O_ID},
        {"title", required_argument, NULL, O_TITLE},
        {"date", required_argument, NULL, O_DATE},
        {"end-date", required_argument, NULL, O_END_DATE},
        {"site-code", required_argument, NULL, O_SITE_CODE},
        {"site-name", required_argument, NULL, O_SITE_NAME},
        {"county", required_argument, NULL, O_COUNTY},
        {"county-name", required_argument, NULL, O_COUNTY_NAME},
        {"township", required_argument, NULL, O_TOWNSHIP},
        {"poor-village", no_argument, NULL, O_POOR},
        {"mode", required_argument, NULL, O_MODE},
        {"activities", required_argument, NULL, O_ACTIVITIES},
        {"departments", required_argument, NULL, O_DEPARTMENTS},
        {"capacity", required_argument, NULL, O_CAPACITY},
        {NULL, 0, NULL, 0}};
    struct mqtt_args m;
    mqtt_args_defaults(&m);
    const char *json_file = NULL;
    const char *text[O_CAPACITY - O_ID + 1] = {0}; /* the trip flags' values */
#define FLAG(o) text[(o) - O_ID]
    const char *first_flag = NULL;
    bool poor = false;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        int k = mqtt_opt(c, optarg, &m, usage_create);
        if (k < 0)
            return EXIT_USAGE;
        if (k)
            continue;
        if (c >= O_ID && c <= O_CAPACITY && !first_flag) {
            for (const struct option *o = opts; o->name; o++)
                if (o->val == c)
                    first_flag = o->name;
        }
        switch (c) {
        case O_JSON: json_file = optarg; break;
        case O_POOR: poor = true; break;
        case 'h':
        case O_HELP: fputs(usage_create, stdout); return 0;
        default:
            if (c >= O_ID && c <= O_CAPACITY) {
                FLAG(c) = optarg;
                break;
            }
            fputs(usage_create, stderr);
            return EXIT_USAGE;
        }
    }
    if (optind < argc)
        return usage_error(usage_create, "unexpected argument '%s'", argv[optind]);

    cJSON *body = NULL;
    if (json_file) {
        if (first_flag)
            return usage_error(usage_create, "--json FILE gives the whole trip: no --%s with it",
                               first_flag);
        if (!(body = read_json_file(json_file)))
            return EXIT_USAGE;
    } else {
        if (!first_flag)
            return usage_error(usage_create, "%s", "give the trip with --json FILE or with flags "
                                                   "(--id, --title, --date, ...)");
        body = cJSON_CreateObject();
        if (!body)
            oom();
        static const struct { int opt; const char *field; } top[] = {
            {O_ID, "trip_id"}, {O_TITLE, "title"}, {O_DATE, "date"}, {O_END_DATE, "end_date"}};
        for (size_t i = 0; i < sizeof top / sizeof top[0]; i++)
            if (FLAG(top[i].opt) && !cJSON_AddStringToObject(body, top[i].field, FLAG(top[i].opt)))
                oom();
        cJSON *site = cJSON_AddObjectToObject(body, "site");
        if (!site)
            oom();
        static const struct { int opt; const char *field; } sf[] = {
            {O_SITE_CODE, "code"}, {O_SITE_NAME, "name"}, {O_COUNTY, "county"},
            {O_COUNTY_NAME, "county_name"}, {O_TOWNSHIP, "township"}};
        for (size_t i = 0; i < sizeof sf / sizeof sf[0]; i++)
            if (FLAG(sf[i].opt) && !cJSON_AddStringToObject(site, sf[i].field, FLAG(sf[i].opt)))
                oom();
        if (!cJSON_AddBoolToObject(site, "poor_village", poor))
            oom();
        if (FLAG(O_MODE) && !cJSON_AddStringToObject(body, "mode", FLAG(O_MODE)))
            oom();
        if (FLAG(O_ACTIVITIES))
            cJSON_AddItemToObject(body, "activities", split_list(FLAG(O_ACTIVITIES)));
        cJSON_AddItemToObject(body, "departments",
                              split_list(FLAG(O_DEPARTMENTS) ? FLAG(O_DEPARTMENTS) : ""));
        if (FLAG(O_CAPACITY)) {
            cJSON *cap = parse_capacity(FLAG(O_CAPACITY));
            if (!cap) {
                cJSON_Delete(body);
                return EXIT_USAGE;
            }
            cJSON_AddItemToObject(body, "capacity", cap);
        }
    }
#undef FLAG
    int rc = send_admin(&m, "trip.upsert", body, !json_file);
    cJSON_Delete(body);
    return rc;
}

int cli_trip(int argc, char **argv, cli_open_store_fn open_store)
{
    if (argc < 2) {
        fputs(usage_trip, stderr);
        return EXIT_USAGE;
    }
    const char *sub = argv[1];
    if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0 || strcmp(sub, "help") == 0) {
        fputs(usage_trip, stdout);
        return 0;
    }
    argc--;
    argv++;
    if (strcmp(sub, "show") == 0)
        return trip_show(argc, argv, open_store);
    if (strcmp(sub, "create") == 0)
        return trip_create(argc, argv);
    if (strcmp(sub, "cancel") == 0)
        return trip_status(argc, argv, true);
    if (strcmp(sub, "complete") == 0)
        return trip_status(argc, argv, false);
    fprintf(stderr, "outreach-coordinator: unknown trip subcommand '%s'\n%s", sub, usage_trip);
    return EXIT_USAGE;
}
