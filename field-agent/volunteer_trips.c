/* volunteer_trips.c -- outreach-agent volunteer trips: the planned trips
 * from their retained public trip cards, with the open places of each role. */
#include "volunteer_priv.h"

#include <stdlib.h>
#include <string.h>

#include "arr.h"
#include "timeutil.h"

#define TRIPS_QUIET_MS 700 /* retained trip cards come at once after the SUBACK */
#define TRIPS_MAX 10000

static const char usage_trips[] =
    "usage: outreach-agent volunteer trips [--all] [--json] [OPTIONS]\n"
    "\n"
    "Lists the planned trips from their public trip cards, by date, with the open\n"
    "places of each role. No request is sent.\n"
    "\n"
    "  --all    also completed and cancelled trips\n"
    "  --json   print the trip cards as a JSON array\n"
    "See 'outreach-agent volunteer --help' for the options of every subcommand.\n";

/* The latest card of each trip topic (NULL once removed), at most TRIPS_MAX. */
struct cards {
    struct topic_card {
        char *topic;
        cJSON *card;
    } *v;
    size_t n, cap;
};

static void cards_free(struct cards *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++) {
        free(c->v[i].topic);
        cJSON_Delete(c->v[i].card);
    }
    free(c->v);
    *c = (struct cards){0};
}

/* Keeps the latest card of each topic; an empty retained message removes it. */
static void cards_put(struct cards *c, const struct mqrr_msg *m)
{
    size_t i = 0;
    while (i < c->n && strcmp(c->v[i].topic, m->topic) != 0)
        i++;
    cJSON *card = NULL;
    if (m->len > 0) {
        struct jerr je = {{0}};
        if (!(card = vol_parse_message(m->payload, m->len, &je)) ||
            !cli_jstr(card, "trip_id") || !cli_jstr(card, "date")) {
            fprintf(stderr, "outreach-agent: skipped the trip card on %s: %s\n", m->topic,
                    card ? "no trip_id or date" : je.msg);
            cJSON_Delete(card);
            return;
        }
    }
    if (i < c->n) {
        cJSON_Delete(c->v[i].card);
        c->v[i].card = card;
        return;
    }
    char *topic = NULL;
    if (!card || c->n >= TRIPS_MAX || ARR_RESERVE(c->v, c->cap, c->n + 1) ||
        !(topic = strdup(m->topic))) {
        cJSON_Delete(card);
        return;
    }
    c->v[c->n++] = (struct topic_card){topic, card};
}

/* True for ROOT/trips/X (not ROOT/trips/X/progress). */
static bool is_card_topic(const char *topic, const char *prefix)
{
    size_t n = strlen(prefix);
    return strncmp(topic, prefix, n) == 0 && topic[n] && !strchr(topic + n, '/');
}

/* Collects until no message came for TRIPS_QUIET_MS, or the timeout.
 * Returns true when cards were still coming at the timeout. */
static bool collect_cards(struct session *s, struct cards *c, const char *prefix)
{
    double start = tu_mono_ms(), end = start + s->o->timeout_s * 1000.0, last = start;
    for (;;) {
        double now = tu_mono_ms();
        double wait = last + TRIPS_QUIET_MS - now;
        if (end - now < wait)
            wait = end - now;
        struct mqrr_msg m;
        if (wait <= 0 || !mqrr_next(s->c.r, (int)wait + 1, &m))
            break;
        last = tu_mono_ms();
        if (is_card_topic(m.topic, prefix))
            cards_put(c, &m);
        else
            vol_show_message(s, &m);
        mqrr_msg_free(&m);
    }
    return tu_mono_ms() >= end && tu_mono_ms() - last < TRIPS_QUIET_MS;
}

static int card_cmp(const void *a, const void *b)
{
    const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
    int d = strcmp(cli_jstr(x, "date"), cli_jstr(y, "date"));
    return d ? d : strcmp(cli_jstr(x, "trip_id"), cli_jstr(y, "trip_id"));
}

/* "doctor 3 open of 4 (1 wait-listed), nurse 2 open of 2"; from "capacity"
 * alone ("doctor 4 places") on cards older than "roles". */
static void print_places(const cJSON *card)
{
    const cJSON *roles = cJSON_GetObjectItemCaseSensitive(card, "roles");
    const cJSON *cap = cJSON_GetObjectItemCaseSensitive(card, "capacity");
    const cJSON *r;
    int shown = 0;
    if (cJSON_IsObject(roles)) {
        cJSON_ArrayForEach(r, roles) {
            long long capacity = vol_jnum(r, "capacity", 0), confirmed = vol_jnum(r, "confirmed", 0);
            long long wl = vol_jnum(r, "waitlisted", 0);
            long long open = vol_jnum(r, "open", capacity > confirmed ? capacity - confirmed : 0);
            if (!cJSON_IsObject(r) || (capacity <= 0 && confirmed <= 0 && wl <= 0))
                continue;
            printf("%s%s %lld open of %lld", shown++ ? ", " : ": ", r->string, open, capacity);
            if (wl > 0)
                printf(" (%lld wait-listed)", wl);
        }
    } else if (cJSON_IsObject(cap)) {
        cJSON_ArrayForEach(r, cap)
            if (cJSON_IsNumber(r) && r->valuedouble > 0)
                printf("%s%s %lld place%s", shown++ ? ", " : ": ", r->string,
                       (long long)r->valuedouble, r->valuedouble == 1 ? "" : "s");
    }
    if (!shown)
        printf(": no places listed");
}

static void print_card(const cJSON *card, bool all)
{
    const char *end = cli_jstr(card, "end_date"), *title = cli_jstr(card, "title");
    const char *status = cli_jstr(card, "status");
    const char *county = cli_jstr(cJSON_GetObjectItemCaseSensitive(card, "site"), "county_name");
    printf("%s%s%s  %s  %s", cli_jstr(card, "date"), end ? "\u2013" : "", end ? end : "",
           cli_jstr(card, "trip_id"), title ? title : "(no title)");
    if (county)
        printf(", %s", county);
    if (all && status && strcmp(status, "planned") != 0)
        printf(" [%s]", status);
    print_places(card);
    putchar('\n');
}

/* The cards as one JSON array on stdout. Returns the exit status. */
static int print_json(const cJSON **shown, size_t n)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; arr && i < n; i++)
        cJSON_AddItemReferenceToArray(arr, (cJSON *)shown[i]);
    char *text = arr ? cJSON_PrintUnformatted(arr) : NULL;
    cJSON_Delete(arr);
    if (!text) {
        cli_fail("%s", "out of memory");
        return 1;
    }
    puts(text);
    free(text);
    return 0;
}

static int print_cards(const struct vopts *o, const struct cards *c)
{
    const cJSON **shown = c->n ? malloc(c->n * sizeof *shown) : NULL;
    size_t n = 0;
    if (c->n && !shown) {
        cli_fail("%s", "out of memory");
        return 1;
    }
    for (size_t i = 0; i < c->n; i++) {
        const char *status = cli_jstr(c->v[i].card, "status");
        if (c->v[i].card && (o->all || !status || strcmp(status, "planned") == 0))
            shown[n++] = c->v[i].card;
    }
    if (n)
        qsort(shown, n, sizeof shown[0], card_cmp);
    int rc = o->json ? print_json(shown, n) : 0;
    if (!o->json && n == 0)
        printf("no %strips\n", o->all ? "" : "planned ");
    for (size_t i = 0; !o->json && i < n; i++) {
        cli_scrub((cJSON *)shown[i]);
        print_card(shown[i], o->all);
    }
    free(shown);
    return rc;
}
int vol_trips(int argc, char **argv, void *ctx)
{
    static const struct vol_spec spec = {usage_trips, VOL_BIT(V_ALL) | VOL_BIT(V_JSON), 0};
    struct vopts vo, *o = &vo;
    (void)ctx;
    int rc = vol_parse(&spec, argc, argv, o);
    if (rc)
        return rc < 0 ? 0 : rc;
    struct cards cards = {0};
    struct session s;
    char filter[TOPIC_MAX], prefix[TOPIC_MAX], err[MQ_ERR_MAX];
    if (cli_topic(filter, o->root, "trips/+") || cli_topic(prefix, o->root, "trips/"))
        return EXIT_USAGE;
    rc = session_open(&s, o, stderr);
    if (rc)
        return rc;
    if (mqrr_subscribe(s.c.r, filter, o->timeout_s * 1000, err)) {
        cli_fail("%s", err);
        session_end(&s, err);
        return 1;
    }
    bool cut = collect_cards(&s, &cards, prefix);
    if (session_end(&s, err)) {
        cli_fail("%s; the list may be incomplete", err);
        rc = 1;
    } else if (cut) {
        cli_fail("trip cards were still arriving after %d s; the list may be incomplete",
                 o->timeout_s);
        rc = 1;
    }
    if (print_cards(o, &cards))
        rc = 1;
    cards_free(&cards);
    return rc;
}
