/* cli_trip_admin.c -- `outreach-coordinator trip create|cancel|complete`:
 * admin requests to the running coordinator over MQTT 5 (cli_exchange), so
 * that the daemon alone writes the store and republishes the trip cards.
 * A request is checked with the coordinator's own decoder before it is
 * sent: invalid input costs no round trip and names the flag to fix. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli_admin.h"
#include "cli_cmds.h"
#include "cli_tripread.h"
#include "jsonget.h"
#include "mqtls.h"
#include "report.h"
#include "request.h"
#include "texttable.h"
#include "topics.h"

static const char usage_create[] =
    "usage: outreach-coordinator trip create --json FILE [MQTT options]\n"
    "       outreach-coordinator trip create --id ID --title T --date YYYY-MM-DD\n"
    "            [--end-date YYYY-MM-DD] --site-code C --site-name N --county C\n"
    "            --county-name N [--township T] [--village CODE] [--poor-village]\n"
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
    "  --village CODE       the site is this village of the register (villages\n"
    "                       import): its county and township must be the site's\n"
    "                       (a trip without --township takes the register's), and\n"
    "                       whether it is poor follows the register\n"
    "  --poor-village       the site is a poor village (with --village: refused\n"
    "                       unless the register says so too)\n"
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

void mqtt_args_defaults(struct mqtt_args *m)
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
int mqtt_opt(int c, const char *arg, struct mqtt_args *m, const char *usage)
{
    switch (c) {
    case O_BROKER: m->broker = arg; return 1;
    case O_USERNAME: m->username = arg; return 1;
    case O_PWFILE: m->password_file = arg; return 1;
    case O_ROOT:
        if (!*arg || strpbrk(arg, "+#") || arg[strlen(arg) - 1] == '/') {
            cli_usage_error(usage, "--topic-root must be a topic without wildcards or a "
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
            cli_usage_error(usage, "--timeout must be whole seconds from 1 to 3600, not '%s'", arg);
            return -1;
        }
        m->timeout_s = v;
        return 1;
    }
    case O_REQID: {
        size_t n = utf8_valid(arg, strlen(arg)) ? utf8_chars(arg) : 0;
        if (n < 1 || n > 64) {
            cli_usage_error(usage, "--request-id must be 1 to 64 characters, not '%s'", arg);
            return -1;
        }
        m->request_id = arg;
        return 1;
    }
    default:
        return mqtls_flag_apply(c, (char *)arg, &m->tls);
    }
}

/* ---- the request ------------------------------------------------------------- */

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
        {"poor_village", "--poor-village"}, {"village", "--village"}, {NULL, NULL}};
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
    cli_fail("invalid request (%s): %s%s%s%s", code, err.msg,
            flag ? " (" : "", flag ? flag : "", flag ? ")" : "");
    return EXIT_USAGE;
}

int cli_admin_exchange(const struct mqtt_args *m, const cJSON *req, cJSON **reply)
{
    *reply = NULL;
    int rc = cli_check_tls_usage(m->broker, &m->tls);
    char client_id[CLI_CLIENT_ID_MAX], reply_topic[TOPIC_MAX], topic[TOPIC_MAX];
    cli_client_id(client_id, m->username, false);
    if (!rc)
        rc = cli_topic(reply_topic, m->root, "admin/replies/%s", client_id);
    if (!rc)
        rc = cli_topic(topic, m->root, "admin/requests");
    struct cli_client c = {
        .broker = m->broker, .username = m->username, .password_file = m->password_file,
        .user_flag = "--username", .tls = &m->tls, .timeout_s = (int)m->timeout_s,
        .no_reply_hint = "(is outreach-coordinator run going?)",
    };
    return rc ? rc : cli_exchange(&c, reply_topic, topic, req, 0, reply);
}

/* Sends body (its request_id and op are replaced: they are put first) as an
 * admin request, and prints the trip's new status. flags: body came from
 * trip flags (a decoder message then names the flag). Returns the exit
 * status. */
static int send_admin(const struct mqtt_args *m, const char *op, cJSON *body, bool flags)
{
    cJSON *req = cli_request_new(m->request_id, op);
    if (!req)
        return 1;
    while (body->child) {
        cJSON *it = cJSON_DetachItemViaPointer(body, body->child);
        if (strcmp(it->string, "request_id") == 0 || strcmp(it->string, "op") == 0)
            cJSON_Delete(it);
        else
            cJSON_AddItemToObject(req, it->string, it);
    }
    char *payload = cJSON_PrintUnformatted(req);
    if (!payload)
        cli_oom();
    int rc = validate_request(payload, flags);
    free(payload);
    cJSON *reply = NULL;
    if (!rc)
        rc = cli_admin_exchange(m, req, &reply);
    cJSON_Delete(req);
    if (reply) {
        /* cli_exchange escaped the reply's texts for the terminal already. */
        printf("trip %s: %s\n", tripread_or_dash(cli_jstr(reply, "trip_id")),
               tripread_or_dash(cli_jstr(reply, "status")));
    }
    cJSON_Delete(reply);
    return rc;
}

/* ---- cancel, complete ---------------------------------------------------------- */

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
        default: return cli_usage_try(usage);
        }
    }
    if (optind >= argc)
        return cli_usage_error(usage, "%s", "which trip? give its ID");
    const char *id = argv[optind++];
    if (optind < argc)
        return cli_usage_error(usage, "unexpected argument '%s'", argv[optind]);
    cJSON *body = cJSON_CreateObject();
    if (!body || !cJSON_AddStringToObject(body, "trip_id", id) ||
        (reason && !cJSON_AddStringToObject(body, "reason", reason)))
        cli_oom();
    int rc = send_admin(&m, cancel ? "trip.cancel" : "trip.complete", body, false);
    cJSON_Delete(body);
    return rc;
}

int cli_trip_cancel(int argc, char **argv, void *ctx)
{
    (void)ctx;
    return trip_status(argc, argv, true);
}

int cli_trip_complete(int argc, char **argv, void *ctx)
{
    (void)ctx;
    return trip_status(argc, argv, false);
}

/* ---- create ------------------------------------------------------------------- */

/* "a,b,c" -> ["a","b","c"] (empty items skipped). */
static cJSON *split_list(const char *arg)
{
    cJSON *arr = cJSON_CreateArray();
    if (!arr)
        cli_oom();
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
                cli_oom();
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
        cli_oom();
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
            cli_usage_error(usage_create, "--capacity takes places per role, ROLE=N,... (e.g. "
                                      "doctor=4,nurse=2), not '%s'", item);
            goto bad;
        }
        if (cJSON_GetObjectItemCaseSensitive(cap, item)) {
            cli_usage_error(usage_create, "--capacity gives role '%s' twice", item);
            goto bad;
        }
        if (!cJSON_AddNumberToObject(cap, item, (double)v))
            cli_oom();
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
        cli_fail("cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = malloc(JSON_FILE_MAX + 1);
    if (!buf)
        cli_oom();
    size_t n = fread(buf, 1, JSON_FILE_MAX + 1, f);
    bool err = ferror(f);
    fclose(f);
    if (err) {
        cli_fail("cannot read %s", path);
        free(buf);
        return NULL;
    }
    if (n > JSON_FILE_MAX) {
        cli_fail("%s is larger than a request may be (%d bytes)",
                path, REQUEST_MAX_BYTES);
        free(buf);
        return NULL;
    }
    struct jerr jerr = {{0}};
    cJSON *o = json_parse_bounded(buf, n, REQUEST_MAX_DEPTH, &jerr);
    free(buf);
    if (!o) {
        cli_fail("%s: %s", path, jerr.msg);
        return NULL;
    }
    const char *op = cli_jstr(o, "op");
    if (cJSON_GetObjectItemCaseSensitive(o, "op") && (!op || strcmp(op, "trip.upsert") != 0)) {
        cli_fail("%s: \"op\" must be \"trip.upsert\" or absent",
                path);
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* The trip.upsert body from the trip flags (text[] indexed by FLAG). */
#define FLAG(o) text[(o) - O_ID]
static cJSON *body_from_flags(const char *const *text, bool poor)
{
    cJSON *body = cJSON_CreateObject();
    if (!body)
        cli_oom();
    static const struct { int opt; const char *field; } top[] = {
        {O_ID, "trip_id"}, {O_TITLE, "title"}, {O_DATE, "date"}, {O_END_DATE, "end_date"}};
    for (size_t i = 0; i < sizeof top / sizeof top[0]; i++)
        if (FLAG(top[i].opt) && !cJSON_AddStringToObject(body, top[i].field, FLAG(top[i].opt)))
            cli_oom();
    cJSON *site = cJSON_AddObjectToObject(body, "site");
    if (!site)
        cli_oom();
    static const struct { int opt; const char *field; } sf[] = {
        {O_SITE_CODE, "code"}, {O_SITE_NAME, "name"}, {O_COUNTY, "county"},
        {O_COUNTY_NAME, "county_name"}, {O_TOWNSHIP, "township"}, {O_VILLAGE, "village"}};
    for (size_t i = 0; i < sizeof sf / sizeof sf[0]; i++)
        if (FLAG(sf[i].opt) && !cJSON_AddStringToObject(site, sf[i].field, FLAG(sf[i].opt)))
            cli_oom();
    /* With a village the register says whether it is poor: poor_village is
     * sent only when --poor-village says so (the coordinator refuses it if
     * the register disagrees). */
    if ((!FLAG(O_VILLAGE) || poor) && !cJSON_AddBoolToObject(site, "poor_village", poor))
        cli_oom();
    if (FLAG(O_MODE) && !cJSON_AddStringToObject(body, "mode", FLAG(O_MODE)))
        cli_oom();
    if (FLAG(O_ACTIVITIES))
        cJSON_AddItemToObject(body, "activities", split_list(FLAG(O_ACTIVITIES)));
    cJSON_AddItemToObject(body, "departments",
                          split_list(FLAG(O_DEPARTMENTS) ? FLAG(O_DEPARTMENTS) : ""));
    if (FLAG(O_CAPACITY)) {
        cJSON *cap = parse_capacity(FLAG(O_CAPACITY));
        if (!cap) {
            cJSON_Delete(body);
            return NULL;
        }
        cJSON_AddItemToObject(body, "capacity", cap);
    }
    return body;
}

int cli_trip_create(int argc, char **argv, void *ctx)
{
    (void)ctx;
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
        {"village", required_argument, NULL, O_VILLAGE},
        {NULL, 0, NULL, 0}};
    struct mqtt_args m;
    mqtt_args_defaults(&m);
    const char *json_file = NULL;
    const char *text[O_VILLAGE - O_ID + 1] = {0}; /* the trip flags' values */
    const char *first_flag = NULL;
    bool poor = false;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        int k = mqtt_opt(c, optarg, &m, usage_create);
        if (k < 0)
            return EXIT_USAGE;
        if (k)
            continue;
        if (c >= O_ID && c <= O_VILLAGE && !first_flag) {
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
            if (c >= O_ID && c <= O_VILLAGE) {
                FLAG(c) = optarg;
                break;
            }
            return cli_usage_try(usage_create);
        }
    }
    if (optind < argc)
        return cli_usage_error(usage_create, "unexpected argument '%s'", argv[optind]);
    if (json_file && first_flag)
        return cli_usage_error(usage_create, "--json FILE gives the whole trip: no --%s with it",
                               first_flag);
    if (!json_file && !first_flag)
        return cli_usage_error(usage_create, "%s", "give the trip with --json FILE or with flags "
                                                   "(--id, --title, --date, ...)");
    cJSON *body = json_file ? read_json_file(json_file) : body_from_flags(text, poor);
    if (!body)
        return EXIT_USAGE;
    int rc = send_admin(&m, "trip.upsert", body, !json_file);
    cJSON_Delete(body);
    return rc;
}
#undef FLAG
