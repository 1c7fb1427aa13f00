/* cli_reach.c -- `outreach-coordinator villages import FILE.csv`,
 * `targets set|unset ...` (admin requests to the running coordinator, as `trip
 * create` sends them), `targets list` and `coverage` (read from the
 * store). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "cli_admin.h"
#include "cli_cmds.h"
#include "conf.h"
#include "coverage.h"
#include "csvline.h"
#include "request.h"
#include "texttable.h"
#include "timeutil.h"

/* A request stays under the contract's 16 KiB with room for its head. */
#define CHUNK_MAX_BYTES 15000

enum { O_DRY_RUN = 2000, O_YEAR, O_COUNTY2, O_TOWNSHIP2, O_CONSULTATIONS, O_STAFF };

/* ---- villages import --------------------------------------------------- */

static const char usage_villages[] =
    "usage: outreach-coordinator villages import FILE.csv [--dry-run] [MQTT options]\n"
    "\n"
    "Sends the register of villages to the running coordinator (villages.put\n"
    "requests of at most 100 villages each). A village already known by its code\n"
    "is replaced. The whole file is checked before anything is sent.\n"
    "\n"
    "FILE.csv: UTF-8 (a byte-order mark is fine: Excel's \"CSV UTF-8\"), with the\n"
    "header line\n"
    "  code,name,township,county,county_name,poor\n"
    "  code         the village's code (letters, digits, . _ -; e.g. 410821-101-003)\n"
    "  name         its name (1 to 128 characters)\n"
    "  township     its township (1 to 64 characters)\n"
    "  county       the county's code as trips use it (e.g. xiuwu)\n"
    "  county_name  the county's name (e.g. 修武县)\n"
    "  poor         1 or 0 (also yes/no, true/false, 是/否)\n"
    "\n"
    "  --dry-run            check the file and say what would be sent; send nothing\n"
    "\n" MQTT_OPTIONS_HELP;

static const char *const village_header[] = {"code", "name", "township", "county",
                                              "county_name", "poor"};

/* 1, 0, or -1 when v says neither. */
static int poor_value(const char *v)
{
    static const char *const yes[] = {"1", "yes", "true", "y", "是", NULL};
    static const char *const no[] = {"0", "no", "false", "n", "否", NULL};
    for (int i = 0; yes[i]; i++)
        if (strcasecmp(v, yes[i]) == 0)
            return 1;
    for (int i = 0; no[i]; i++)
        if (strcasecmp(v, no[i]) == 0)
            return 0;
    return -1;
}

/* The requests being built: each a villages.put with up to 100 villages;
 * lines[k][i] is the file line of village i of request k. */
struct import {
    const char *path;
    cJSON **req;
    long (*lines)[VILLAGES_PER_REQUEST];
    int nreq;
    long villages, poor;
    char (*codes)[ID_MAX + 1 + 12]; /* "code\0line" for the duplicate check */
    size_t ncodes, capcodes;
    struct county_seen { /* each county's name where first given: one name a county */
        char *county, *name;
        long line;
    } *counties;
    size_t ncounties, capcounties;
};

/* arr (n items of size, room for *cap) with room for one more: grown,
 * doubled from first, when full; out of memory ends the command. */
static void *room_for_one(void *arr, size_t *cap, size_t n, size_t size, size_t first)
{
    if (n < *cap)
        return arr;
    size_t c = *cap ? *cap * 2 : first;
    void *grown = realloc(arr, c * size);
    if (!grown)
        cli_oom();
    *cap = c;
    return grown;
}

/* The county's name as first given (NULL the first time, then remembered). */
static const struct county_seen *county_name_first(struct import *im, const char *county,
                                                   const char *name, long line)
{
    for (size_t i = 0; i < im->ncounties; i++)
        if (strcmp(im->counties[i].county, county) == 0)
            return &im->counties[i];
    im->counties = room_for_one(im->counties, &im->capcounties, im->ncounties,
                                sizeof *im->counties, 16);
    struct county_seen *c = &im->counties[im->ncounties++];
    *c = (struct county_seen){strdup(county), strdup(name), line};
    if (!c->county || !c->name)
        cli_oom();
    return NULL;
}

/* Checks one request with the coordinator's own decoder; a message names
 * the file line of the village it is about. */
static int check_request(const struct import *im, int k)
{
    char *payload = cJSON_PrintUnformatted(im->req[k]);
    if (!payload)
        cli_oom();
    struct request rq;
    struct jerr err = {{0}};
    size_t len = strlen(payload);
    const char *code = request_decode(REQ_ADMIN, payload, len, &rq, &err);
    request_free(&rq);
    free(payload);
    if (!code)
        return 0;
    int i = -1;
    const char *p = strstr(err.msg, "villages[");
    if (p)
        i = atoi(p + 9);
    const char *field = strstr(err.msg, "field '");
    if (i >= 0 && i < VILLAGES_PER_REQUEST)
        cli_fail("%s, line %ld: %s", im->path, im->lines[k][i],
                 field ? field : err.msg);
    else
        cli_fail("%s: %s", im->path, err.msg);
    return EXIT_USAGE;
}

static int new_request(struct import *im, const char *request_id)
{
    cJSON **r = realloc(im->req, (size_t)(im->nreq + 1) * sizeof *r);
    long(*l)[VILLAGES_PER_REQUEST] = realloc(im->lines, (size_t)(im->nreq + 1) * sizeof *l);
    if (r)
        im->req = r;
    if (l)
        im->lines = l;
    if (!r || !l)
        cli_oom();
    char rid[80];
    if (request_id)
        snprintf(rid, sizeof rid, "%.56s.%d", request_id, im->nreq + 1);
    cJSON *req = cli_request_new(request_id ? rid : NULL, "villages.put");
    if (!req || !cJSON_AddArrayToObject(req, "villages"))
        cli_oom();
    im->req[im->nreq++] = req;
    return 0;
}

static int code_cmp(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* Reads the file into requests; 0, or EXIT_USAGE after naming line and field. */
static int read_villages(struct import *im, FILE *f, const char *request_id)
{
    struct csv_reader r = {.f = f};
    char err[128];
    int k = csv_next(&r, err);
    if (k < 0) {
        cli_fail("%s: %s", im->path, err);
        return EXIT_USAGE;
    }
    bool header_ok = k == 1 && r.n == 6;
    for (int i = 0; header_ok && i < 6; i++)
        header_ok = strcmp(r.field[i], village_header[i]) == 0;
    if (!header_ok) {
        cli_fail("%s, line 1: the header must be code,name,township,county,county_name,poor",
                 im->path);
        return EXIT_USAGE;
    }
    size_t bytes = 0;
    while ((k = csv_next(&r, err)) == 1) {
        if (r.n != 6) {
            cli_fail("%s, line %ld: %d %s, expected 6 "
                     "(code,name,township,county,county_name,poor)", im->path, r.line, r.n,
                     cli_plural(r.n, "field", "fields"));
            return EXIT_USAGE;
        }
        int poor = poor_value(r.field[5]);
        if (poor < 0) {
            cli_fail("%s, line %ld: field 'poor' must be 1 or 0 (yes/no, true/false, 是/否), "
                     "not '%.40s'", im->path, r.line, r.field[5]);
            return EXIT_USAGE;
        }
        const struct county_seen *first = county_name_first(im, r.field[3], r.field[4], r.line);
        if (first && strcmp(first->name, r.field[4]) != 0) {
            cli_fail("%s, line %ld: field 'county_name': county %s is '%s' there but '%s' "
                     "on line %ld: a county has one name; give every village of it the same",
                     im->path, r.line, r.field[3], r.field[4], first->name, first->line);
            return EXIT_USAGE;
        }
        cJSON *v = cJSON_CreateObject();
        if (!v)
            cli_oom();
        for (int i = 0; i < 5; i++)
            cJSON_AddStringToObject(v, village_header[i], r.field[i]);
        cJSON_AddBoolToObject(v, "poor", poor);
        char *one = cJSON_PrintUnformatted(v);
        size_t len = one ? strlen(one) + 1 : 0;
        free(one);
        cJSON *arr = im->nreq ? cJSON_GetObjectItem(im->req[im->nreq - 1], "villages") : NULL;
        if (!arr || cJSON_GetArraySize(arr) == VILLAGES_PER_REQUEST ||
            bytes + len > CHUNK_MAX_BYTES) {
            new_request(im, request_id);
            arr = cJSON_GetObjectItem(im->req[im->nreq - 1], "villages");
            bytes = 0;
        }
        im->lines[im->nreq - 1][cJSON_GetArraySize(arr)] = r.line;
        cJSON_AddItemToArray(arr, v);
        bytes += len;
        im->villages++;
        im->poor += poor;
        im->codes = room_for_one(im->codes, &im->capcodes, im->ncodes, sizeof *im->codes, 256);
        char *slot = im->codes[im->ncodes++];
        snprintf(slot, ID_MAX + 1, "%s", r.field[0]);
        snprintf(slot + strlen(slot) + 1, 12, "%ld", r.line);
    }
    if (k < 0) {
        cli_fail("%s: %s", im->path, err);
        return EXIT_USAGE;
    }
    if (!im->villages) {
        cli_fail("%s: no villages after the header", im->path);
        return EXIT_USAGE;
    }
    qsort(im->codes, im->ncodes, sizeof *im->codes, code_cmp);
    for (size_t i = 1; i < im->ncodes; i++)
        if (strcmp(im->codes[i], im->codes[i - 1]) == 0) {
            const char *a = im->codes[i - 1], *b = im->codes[i];
            cli_fail("%s: field 'code': '%s' is on lines %s and %s", im->path, a,
                     a + strlen(a) + 1, b + strlen(b) + 1);
            return EXIT_USAGE;
        }
    for (int i = 0; i < im->nreq; i++)
        if (check_request(im, i))
            return EXIT_USAGE;
    return 0;
}

static int villages_import(int argc, char **argv)
{
    static const struct option opts[] = {
        MQTT_LONG_OPTIONS, {"dry-run", no_argument, NULL, O_DRY_RUN}, {NULL, 0, NULL, 0}};
    struct mqtt_args m;
    mqtt_args_defaults(&m);
    bool dry = false;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        int k = mqtt_opt(c, optarg, &m, usage_villages);
        if (k < 0)
            return EXIT_USAGE;
        if (k)
            continue;
        switch (c) {
        case O_DRY_RUN: dry = true; break;
        case 'h':
        case O_HELP: fputs(usage_villages, stdout); return 0;
        default: return cli_usage_try(usage_villages);
        }
    }
    if (optind >= argc)
        return cli_usage_error(usage_villages, "%s", "which file? give FILE.csv");
    struct import im = {.path = argv[optind++]};
    if (optind < argc)
        return cli_usage_error(usage_villages, "unexpected argument '%s'", argv[optind]);
    FILE *f = fopen(im.path, "r");
    if (!f) {
        cli_fail("cannot read %s: %s", im.path, strerror(errno));
        return EXIT_USAGE;
    }
    int rc = read_villages(&im, f, m.request_id);
    fclose(f);
    int sent = 0;
    if (!rc && dry) {
        printf("%s: %ld %s (%ld poor), would be sent in %d %s\n", im.path, im.villages,
               cli_plural(im.villages, "village", "villages"), im.poor, im.nreq,
               cli_plural(im.nreq, "request", "requests"));
    } else if (!rc) {
        for (; sent < im.nreq && !rc; sent++) {
            cJSON *reply = NULL;
            rc = cli_admin_exchange(&m, im.req[sent], &reply);
            cJSON_Delete(reply);
        }
        if (rc)
            fprintf(stderr, "%d of %d %s stored before this one; sending the file "
                    "again is safe (a village is replaced by its code)\n", sent - 1, im.nreq,
                    cli_plural(im.nreq, "request was", "requests were"));
        else
            printf("villages: %ld stored (%ld poor) in %d %s\n", im.villages, im.poor,
                   im.nreq, cli_plural(im.nreq, "request", "requests"));
    }
    for (int i = 0; i < im.nreq; i++)
        cJSON_Delete(im.req[i]);
    free(im.req);
    free(im.lines);
    free(im.codes);
    for (size_t i = 0; i < im.ncounties; i++) {
        free(im.counties[i].county);
        free(im.counties[i].name);
    }
    free(im.counties);
    return rc;
}

int cli_villages(int argc, char **argv, void *ctx)
{
    (void)ctx;
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(usage_villages, stdout);
        return 0;
    }
    if (argc < 2 || strcmp(argv[1], "import") != 0)
        return cli_usage_error(usage_villages, "%s", "the subcommand is 'import'");
    argv[1] = (char *)cli_progname(); /* getopt's messages name it, as main.c's setup */
    return villages_import(argc - 1, argv + 1);
}

static long long jn(const cJSON *o, const char *name)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsNumber(x) ? (long long)x->valuedouble : 0;
}

/* ---- targets set, unset, list -------------------------------------------- */

static const char usage_targets[] =
    "usage: outreach-coordinator targets set --year Y --county C [--township T]\n"
    "            --consultations N --staff N [MQTT options]\n"
    "       outreach-coordinator targets unset --year Y --county C [--township T]\n"
    "            [MQTT options]\n"
    "       outreach-coordinator targets list --db FILE [--year Y] [--json]\n"
    "\n"
    "set: sets a county's targets for a year (or a township's, with --township),\n"
    "through the running coordinator (a targets.set request). The county's progress\n"
    "then shows them (county_targets: expected to date, projection, pace). A county\n"
    "without a target of its own takes the sum of its townships'. A target set\n"
    "here wins over the config's targets_file. The county (and township) must be in\n"
    "the villages register or at the site of some trip: a misspelt one is refused.\n"
    "\n"
    "unset: removes that row (a targets.unset request); the county's progress then\n"
    "goes without it (its townships' sum, or no county_targets at all). A row read\n"
    "from the config's targets_file comes back at the next start: remove it from\n"
    "the file too.\n"
    "\n"
    "list: the target rows in the store (read only; safe while the coordinator\n"
    "runs), by year, county and township, with where each came from (admin:\n"
    "targets set; config: targets_file).\n"
    "\n"
    "  --year Y             2000 to 2100 (list: default every year)\n"
    "  --county C           the county's code, e.g. xiuwu\n"
    "  --township T         a township of it (1 to 64 characters)\n"
    "  --consultations N    consultations target for the year\n"
    "  --staff N            staff target for the year (distinct people)\n"
    "  --db FILE            list: the coordinator's store\n"
    "  --json               list: the rows as JSON\n"
    "\n" MQTT_OPTIONS_HELP;

/* targets set (unset false) and targets unset: one admin request. */
static int targets_send(int argc, char **argv, bool unset)
{
    static const struct option opts[] = {
        MQTT_LONG_OPTIONS, {"year", required_argument, NULL, O_YEAR},
        {"county", required_argument, NULL, O_COUNTY2},
        {"township", required_argument, NULL, O_TOWNSHIP2},
        {"consultations", required_argument, NULL, O_CONSULTATIONS},
        {"staff", required_argument, NULL, O_STAFF}, {NULL, 0, NULL, 0}};
    struct mqtt_args m;
    mqtt_args_defaults(&m);
    cJSON *req = cli_request_new(NULL, unset ? "targets.unset" : "targets.set");
    if (!req)
        cli_oom();
    int c, rc = 0;
    while (!rc && (c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        int k = mqtt_opt(c, optarg, &m, usage_targets);
        if (k < 0) {
            rc = EXIT_USAGE;
            break;
        }
        if (k)
            continue;
        const char *names[] = {"year", "county", "township", "consultations", "staff"};
        if (c >= O_YEAR && c <= O_STAFF) {
            const char *name = names[c - O_YEAR];
            char *end;
            long long v = strtoll(optarg, &end, 10);
            cJSON_DeleteItemFromObject(req, name);
            if (unset && (c == O_CONSULTATIONS || c == O_STAFF))
                rc = cli_usage_error(usage_targets, "targets unset takes no --%s (it removes "
                                     "the whole row)", name);
            else if (c == O_COUNTY2 || c == O_TOWNSHIP2)
                cJSON_AddStringToObject(req, name, optarg);
            else if (!*optarg || *end)
                rc = cli_usage_error(usage_targets, "--%s must be a whole number, not '%s'",
                                     name, optarg);
            else
                cJSON_AddNumberToObject(req, name, (double)v);
            continue;
        }
        if (c == 'h' || c == O_HELP) {
            fputs(usage_targets, stdout);
            cJSON_Delete(req);
            return 0;
        }
        rc = cli_usage_try(usage_targets);
    }
    if (!rc && optind < argc)
        rc = cli_usage_error(usage_targets, "unexpected argument '%s'", argv[optind]);
    if (!rc && m.request_id)
        cJSON_ReplaceItemInObject(req, "request_id", cJSON_CreateString(m.request_id));
    if (!rc) { /* the coordinator's own decoder: the message names the field = the flag */
        char *payload = cJSON_PrintUnformatted(req);
        struct request rq;
        struct jerr err = {{0}};
        const char *code = payload ? request_decode(REQ_ADMIN, payload, strlen(payload), &rq,
                                                    &err) : "malformed";
        request_free(&rq);
        free(payload);
        const char *f = strstr(err.msg, "field '");
        if (code) /* field 'consultations' is set by --consultations */
            rc = cli_usage_error(usage_targets, "%s (--%.*s)", err.msg,
                                 f ? (int)strcspn(f + 7, "'") : 7, f ? f + 7 : "request");
    }
    cJSON *reply = NULL;
    if (!rc)
        rc = cli_admin_exchange(&m, req, &reply);
    if (reply) {
        const char *tw = cli_jstr(reply, "township"), *source = cli_jstr(reply, "source");
        printf("targets of %d %s%s%s %s\n", (int)cJSON_GetObjectItem(reply, "year")->valuedouble,
               cli_jstr(reply, "county"), tw ? " / " : "", tw ? tw : "", unset ? "unset" : "set");
        if (source && strcmp(source, "config") == 0)
            printf("note: they came from the config's targets_file, which sets them again at "
                   "the next start: remove that line from the file too\n");
    }
    cJSON_Delete(reply);
    cJSON_Delete(req);
    return rc;
}

static int list_row(void *ctx, const struct target_row *t)
{
    cJSON *rows = ctx;
    cJSON *o = cJSON_CreateObject();
    if (!o)
        cli_oom();
    cJSON_AddNumberToObject(o, "year", t->year);
    cJSON_AddStringToObject(o, "county", t->county);
    if (t->township[0])
        cJSON_AddStringToObject(o, "township", t->township);
    else
        cJSON_AddNullToObject(o, "township");
    cJSON_AddNumberToObject(o, "consultations", (double)t->consultations);
    cJSON_AddNumberToObject(o, "staff", (double)t->staff);
    cJSON_AddStringToObject(o, "source", t->source);
    cJSON_AddStringToObject(o, "updated_at", t->updated_at);
    cJSON_AddItemToArray(rows, o);
    return 0;
}

static int targets_list(int argc, char **argv, struct coord_cli *cc)
{
    struct coord_db_opts o = {0};
    int rc = coord_cli_db_opts(argc, argv, usage_targets, DBO_JSON | DBO_YEAR, &o);
    if (rc)
        return rc == 1 ? 0 : rc;
    if (!o.db)
        return cli_usage_error(usage_targets, "%s", "targets list needs --db FILE (the "
                               "coordinator's store)");
    struct store *s = coord_cli_store(cc, o.db);
    if (!s)
        return 1;
    cJSON *rows = cJSON_CreateArray();
    if (!rows)
        cli_oom();
    if (store_targets_each(s, o.year, list_row, rows)) {
        cJSON_Delete(rows);
        coord_cli_read_failed(s, o.db);
        return 1;
    }
    if (o.json) {
        char *p = cJSON_PrintUnformatted(rows);
        if (!p)
            cli_oom();
        puts(p);
        free(p);
    } else if (cJSON_GetArraySize(rows) == 0) {
        if (o.year)
            printf("no targets for %d (set them with: outreach-coordinator targets set)\n", o.year);
        else
            printf("no targets (set them with: outreach-coordinator targets set)\n");
    } else {
        cJSON *t = cJSON_CreateArray();
        text_table_row(t, 7, "year", "county", "township", "consultations", "staff", "source",
                       "updated");
        const cJSON *r;
        cJSON_ArrayForEach(r, rows) {
            char y[12], c[24], st[24];
            snprintf(y, sizeof y, "%lld", jn(r, "year"));
            snprintf(c, sizeof c, "%lld", jn(r, "consultations"));
            snprintf(st, sizeof st, "%lld", jn(r, "staff"));
            const char *tw = cli_jstr(r, "township");
            text_table_row(t, 7, y, cli_jstr(r, "county"), tw ? tw : "(county)", c, st,
                           cli_jstr(r, "source"), cli_jstr(r, "updated_at"));
        }
        text_table_print(t, "", stdout);
        cJSON_Delete(t);
    }
    cJSON_Delete(rows);
    return 0;
}

int cli_targets(int argc, char **argv, void *ctx)
{
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(usage_targets, stdout);
        return 0;
    }
    const char *sub = argc >= 2 ? argv[1] : "";
    if (argc >= 2)
        argv[1] = (char *)cli_progname(); /* getopt's messages name it, as main.c's setup */
    if (strcmp(sub, "set") == 0 || strcmp(sub, "unset") == 0)
        return targets_send(argc - 1, argv + 1, sub[0] == 'u');
    if (strcmp(sub, "list") == 0)
        return targets_list(argc - 1, argv + 1, ctx);
    return cli_usage_error(usage_targets, "%s", "the subcommand is 'set', 'unset' or 'list'");
}

/* ---- coverage ---------------------------------------------------------- */

static const char usage_coverage[] =
    "usage: outreach-coordinator coverage --db FILE [--year Y] [--json] [--config FILE]\n"
    "\n"
    "Poor villages of the register reached this year (a trip at the village,\n"
    "completed or under way, not cancelled, with consultations counted), per\n"
    "county and township, and those not reached yet. The same figures as the\n"
    "retained progress/{year}/coverage.\n"
    "\n"
    "  --db FILE        the coordinator's store (read only)\n"
    "  --year Y         year to show (default: this year at the sites)\n"
    "  --json           the same as JSON (as on the topic)\n"
    "  --config FILE    read db and tz_offset_min from it\n"
    "Set OUTREACH_TODAY=YYYY-MM-DD to count for another day.\n";

static void print_coverage(const cJSON *o)
{
    printf("Poor-village coverage %lld: %lld of %lld reached\n\n", jn(o, "year"),
           jn(o, "reached"), jn(o, "poor_villages"));
    cJSON *t = cJSON_CreateArray();
    text_table_row(t, 4, "county / township", "poor villages", "reached", "name");
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(o, "by_county")) {
        char a[24], b[24];
        snprintf(a, sizeof a, "%lld", jn(c, "poor_villages"));
        snprintf(b, sizeof b, "%lld", jn(c, "reached"));
        text_table_row(t, 4, cli_jstr(c, "county"), a, b, cli_jstr(c, "county_name"));
        const cJSON *w;
        cJSON_ArrayForEach(w, cJSON_GetObjectItem(c, "townships")) {
            char tw[80];
            snprintf(a, sizeof a, "%lld", jn(w, "poor_villages"));
            snprintf(b, sizeof b, "%lld", jn(w, "reached"));
            snprintf(tw, sizeof tw, "  %s", cli_jstr(w, "township"));
            text_table_row(t, 4, tw, a, b, "");
        }
    }
    text_table_print(t, "  ", stdout);
    cJSON_Delete(t);
    const cJSON *nr = cJSON_GetObjectItem(o, "not_reached");
    if (cJSON_GetArraySize(nr) == 0)
        return;
    printf("\nNot reached yet (%d):\n", cJSON_GetArraySize(nr));
    t = cJSON_CreateArray();
    text_table_row(t, 4, "code", "county", "township", "name");
    cJSON_ArrayForEach(c, nr)
        text_table_row(t, 4, cli_jstr(c, "code"), cli_jstr(c, "county"),
                       cli_jstr(c, "township"), cli_jstr(c, "name"));
    text_table_print(t, "  ", stdout);
    cJSON_Delete(t);
}

int cli_coverage(int argc, char **argv, void *ctx)
{
    struct coord_cli *cc = ctx;
    const struct coord_config *cfg = &cc->cfg;
    struct coord_db_opts o = {0};
    int rc = coord_cli_db_opts(argc, argv, usage_coverage, DBO_JSON | DBO_YEAR | DBO_CONFIG, &o);
    if (rc)
        return rc == 1 ? 0 : rc;
    char err[CONF_ERR_MAX];
    if (o.db && conf_set(cc->table, "db", o.db, err)) /* the flag wins over the config */
        return cli_usage_error(usage_coverage, "%s", err);
    if (!cfg->db)
        return cli_usage_error(usage_coverage, "%s", "--db FILE is required");
    struct store *s = coord_cli_store(cc, cfg->db);
    if (!s)
        return 1;
    struct odate today = tu_today((int)cfg->tz_offset_min);
    char as_of[TU_TS_MAX];
    tu_format_ts(time(NULL), (int)cfg->tz_offset_min, as_of);
    cJSON *j = coverage_json(s, o.year ? o.year : today.year, today, as_of);
    if (!j) {
        coord_cli_read_failed(s, cfg->db);
        return 1;
    }
    if (o.json) {
        char *p = cJSON_PrintUnformatted(j);
        if (!p)
            cli_oom();
        puts(p);
        free(p);
    } else {
        print_coverage(j);
    }
    cJSON_Delete(j);
    return 0;
}
