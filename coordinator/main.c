/* main.c -- outreach-coordinator: the daemon (run) and the staff's CLI
 * (progress, export, agents; trips and trip in cli_trips.c). */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agents.h"
#include "cli_trips.h"
#include "fileperm.h"
#include "ids.h"
#include "mq.h"
#include "mqtls.h"
#include "olog.h"
#include "progress.h"
#include "progress_json.h"
#include "service.h"
#include "store.h"
#include "timeutil.h"

#define EXIT_USAGE 2

static volatile sig_atomic_t stop_flag;
static void on_signal(int sig) { stop_flag = sig; }

static const char usage_main[] =
    "usage: outreach-coordinator COMMAND [OPTIONS]\n"
    "\n"
    "Counts the field teams' reports exactly once and publishes the year's progress.\n"
    "\n"
    "commands:\n"
    "  run        run the daemon (MQTT in, SQLite store, acks and progress out)\n"
    "  progress   print the year's progress toward the targets\n"
    "  export     write accepted reports as CSV for spreadsheets\n"
    "  agents     list the field agents: online or not, last seen, missing seqs\n"
    "  trips      list the trips with their places per role (confirmed, wait-listed)\n"
    "  trip       show a trip's roster and attendance (trip show), or create,\n"
    "             cancel or complete a trip through the running coordinator\n"
    "\n"
    "'outreach-coordinator COMMAND --help' tells more about each.\n";

static const char usage_run[] =
    "usage: outreach-coordinator run --db FILE [--init] [--broker URI] [--config FILE]\n"
    "                                [--username U --password-file F] [--log-level L]\n"
    "                                [--tls-ca-file F [--tls-cert-file F --tls-key-file F]]\n"
    "\n"
    "  --broker URI         broker to use (default tcp://127.0.0.1:1883; TLS:\n"
    "                       ssl://HOST:8883 or mqtts://HOST:8883)\n"
    "  --db FILE            SQLite store; it must exist unless --init is given\n"
    "  --init               create the store when FILE does not exist (first start\n"
    "                       of a site); an existing store is opened as it is\n"
    "  --config FILE        options file, see coordinator/coordinator.conf.example;\n"
    "                       flags given on the command line win over it\n"
    "  --username U         MQTT username; without it the connection is anonymous;\n"
    "                       also the client id unless the config sets client_id\n"
    "  --password-file F    file holding the MQTT password\n"
    "  --log-level L        debug, info (default), warn or error\n"
    "  --share-group-file F file holding the shared-subscription group name\n"
    "                       (default group: outreach-coordinator)\n"
    MQTLS_USAGE
    "Stops cleanly on SIGINT or SIGTERM.\n";

static const char usage_progress[] =
    "usage: outreach-coordinator progress --db FILE [--year Y] [--json] [--config FILE]\n"
    "\n"
    "  --db FILE        the coordinator's store\n"
    "  --year Y         year to show (default: this year at the sites)\n"
    "  --json           the same figures as JSON\n"
    "  --config FILE    read the targets (target_staff, target_consultations) from it\n"
    "Set OUTREACH_TODAY=YYYY-MM-DD to compute 'expected' for another day.\n";

static const char usage_export[] =
    "usage: outreach-coordinator export --db FILE --csv [--output FILE]\n"
    "\n"
    "  --db FILE        the coordinator's store\n"
    "  --csv            CSV, one row per accepted report, voided ones marked\n"
    "  --output FILE    write there instead of standard output\n";

static const char usage_agents[] =
    "usage: outreach-coordinator agents --db FILE [--json]\n"
    "\n"
    "Lists every agent known from its reports or its status topic, sorted by id:\n"
    "online or offline (its last birth or will), when it was last seen (its latest\n"
    "report or birth), the highest seq seen, the pending count it reported, and\n"
    "the seqs from 1 to the highest that never arrived (reports still on their way).\n"
    "\n"
    "  --db FILE        the coordinator's store\n"
    "  --json           the same as JSON\n";

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

/* Loads --config first so that flags win: a first pass finds it. */
static int load_config(int argc, char **argv, const struct conf_opt *table)
{
    for (int i = 1; i < argc; i++) {
        const char *path = NULL;
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            path = argv[++i];
        else if (strncmp(argv[i], "--config=", 9) == 0)
            path = argv[i] + 9;
        char err[CONF_ERR_MAX];
        if (path && conf_load(path, table, err)) {
            fprintf(stderr, "outreach-coordinator: %s\n", err);
            return -1;
        }
    }
    return 0;
}

static int cmd_run(int argc, char **argv)
{
    struct coord_config cfg;
    coord_config_defaults(&cfg);
    const struct conf_opt *table = coord_config_table(&cfg);
    int rc = EXIT_USAGE;
    if (load_config(argc, argv, table))
        goto done;
    static const struct option opts[] = {
        {"broker", required_argument, NULL, 'b'}, {"db", required_argument, NULL, 'd'},
        {"config", required_argument, NULL, 'c'}, {"username", required_argument, NULL, 'u'},
        {"password-file", required_argument, NULL, 'p'},
        {"log-level", required_argument, NULL, 'l'}, {"help", no_argument, NULL, 'h'},
        {"share-group-file", required_argument, NULL, 'g'},
        MQTLS_LONG_OPTIONS,
        {"init", no_argument, NULL, 'i'},
        {NULL, 0, NULL, 0}};
    int c;
    char err[CONF_ERR_MAX];
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        const char *name = NULL, *value = optarg;
        switch (c) {
        case 'b': name = "broker"; break;
        case 'd': name = "db"; break;
        case 'u': name = "username"; break;
        case 'p': name = "password_file"; break;
        case 'l': name = "log_level"; break;
        case 'g': name = "share_group_file"; break;
        case 'i': cfg.init = true; break;
        case 'c': break;
        case 'h': fputs(usage_run, stdout); rc = 0; goto done;
        default:
            if ((name = mqtls_flag_key(c, optarg, &value)))
                break;
            fputs(usage_run, stderr);
            goto done;
        }
        if (name && conf_set(table, name, value, err)) {
            rc = usage_error(usage_run, "%s", err);
            goto done;
        }
    }
    if (optind < argc) {
        rc = usage_error(usage_run, "unexpected argument '%s'", argv[optind]);
        goto done;
    }
    if (!cfg.db || !*cfg.db) {
        rc = usage_error(usage_run, "%s", cfg.db ? "--db is empty: name the store's file"
                                                 : "--db FILE is required");
        goto done;
    }
    int level = olog_parse_level(cfg.log_level);
    if (level < 0) {
        rc = usage_error(usage_run, "unknown log level '%s'", cfg.log_level);
        goto done;
    }
    if (cfg.password_file && !cfg.username) {
        rc = usage_error(usage_run, "%s", "--password-file needs --username");
        goto done;
    }
    char terr[MQ_ERR_MAX];
    if (mq_tls_check_usage(cfg.broker, &cfg.tls, terr)) {
        rc = usage_error(usage_run, "%s", terr);
        goto done;
    }
    if (mq_tls_check_files(&cfg.tls, terr)) { /* a daemon would retry for ever */
        fprintf(stderr, "outreach-coordinator: %s\n", terr);
        rc = 1;
        goto done;
    }
    /* A mistyped path must not start an empty store: every report for the
     * site's trips would then be refused for good (unknown_trip). */
    struct stat dbst;
    int dbst_rc = stat(cfg.db, &dbst);
    if (!cfg.init && dbst_rc != 0 && errno == ENOENT) {
        fprintf(stderr, "outreach-coordinator: no store at %s; pass --init to create a new "
                "one (or set init = true in the config)\n", cfg.db);
        rc = 1;
        goto done;
    }
    /* SQLite takes an empty file for a new database: the same silent fresh
     * store as a missing one. */
    if (!cfg.init && dbst_rc == 0 && S_ISREG(dbst.st_mode) && dbst.st_size == 0) {
        fprintf(stderr, "outreach-coordinator: the store %s is an empty file; pass --init to "
                "create a new store in it\n", cfg.db);
        rc = 1;
        goto done;
    }
    /* The broker accepts from an account only the client id USERNAME or
     * USERNAME.SUFFIX (broker-plugin/outreach_policy.c): the username is the
     * natural default. Without a username (a development broker that allows
     * anonymous clients) the old fixed id stays. */
    if (!cfg.client_id)
        cfg.client_id = strdup(cfg.username ? cfg.username : "outreach-coordinator");
    if (!cfg.client_id) {
        fprintf(stderr, "outreach-coordinator: out of memory\n");
        rc = 1;
        goto done;
    }
    if (cfg.share_group_file) {
        /* Optional since the broker lets only the coordinator account join
         * a $share group (dynamic security); a site may still name its own. */
        char merr[MQ_ERR_MAX];
        char *group = mq_read_secret(cfg.share_group_file, merr);
        if (!group) {
            fprintf(stderr, "outreach-coordinator: %s\n", merr);
            rc = 1;
            goto done;
        }
        free(cfg.share_group);
        cfg.share_group = group;
    }
    if (!id_is_code(cfg.share_group)) {
        rc = usage_error(usage_run, "%s", "share_group must be 1 to 64 of A-Z, a-z, 0-9, '.', '_' and '-'");
        goto done;
    }
    olog_set_level((enum olog_level)level);
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    rc = service_run(&cfg, &stop_flag) ? 1 : 0;
done:
    conf_free_strings(table);
    return rc;
}

/* Opens the store of a CLI command: it must exist already (a typo in --db
 * must not create an empty store and report zeros). NULL, with a message, if
 * it does not or cannot be opened. */
static struct store *open_existing_store(const char *db)
{
    FILE *probe = *db ? fopen(db, "r") : NULL;
    if (!probe) {
        fprintf(stderr, "outreach-coordinator: no store at %s\n", db);
        return NULL;
    }
    fclose(probe);
    struct store *s = NULL;
    char err[256];
    if (store_open(db, &s, err)) {
        fprintf(stderr, "outreach-coordinator: %s\n", err);
        return NULL;
    }
    return s;
}

/* ---- progress ---------------------------------------------------------- */

/* 1234567 -> "1,234,567" */
static const char *thousands(long long v, char buf[32])
{
    char raw[32];
    snprintf(raw, sizeof raw, "%lld", v < 0 ? -v : v);
    size_t n = strlen(raw), o = 0;
    if (v < 0)
        buf[o++] = '-';
    for (size_t i = 0; i < n; i++) {
        if (i && (n - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = raw[i];
    }
    buf[o] = '\0';
    return buf;
}

static const char *cny(long long fen, char buf[40])
{
    char t[32];
    snprintf(buf, 40, "%s.%02lld", thousands(fen / 100, t), fen % 100);
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
    printf("  %-14s %10s %10s %7.1f%% %10s  %-8s %10s\n", label, thousands(count, a),
           thousands(target, b), pct, thousands(jint(t, "expected_to_date", NULL), c),
           cJSON_IsString(pace) ? pace->valuestring : "", thousands(jint(t, "projected_year_end", NULL), d));
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
           cny(jint(y, "medicine", "value_fen"), m), thousands(jint(y, "medicine", "dispenses"), a));
    const cJSON *bd = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(y, "referrals"), "by_destination");
    printf("  Referrals: %lld (township health centre %lld, county hospital %lld, "
           "city hospital %lld)\n", jint(y, "referrals", "count"),
           jint(bd, "township_health_center", NULL), jint(bd, "county_hospital", NULL),
           jint(bd, "city_hospital", NULL));
    printf("  Health education: %s brochures, %s attendees, %s talks\n",
           thousands(jint(y, "education", "brochures"), a),
           thousands(jint(y, "education", "attendees"), b),
           thousands(jint(y, "education", "talks"), c));
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
               thousands(jint(o, "consultations", "count"), a), jint(o, "staff", "count"),
               trips, cny(jint(o, "medicine", "value_fen"), m), jint(o, "referrals", "count"),
               shown ? shown : "?");
        free(shown);
    }
}

static int cmd_progress(int argc, char **argv)
{
    struct coord_config cfg;
    coord_config_defaults(&cfg);
    const struct conf_opt *table = coord_config_table(&cfg);
    int rc = EXIT_USAGE, year = 0, json = 0;
    struct store *s = NULL;
    cJSON *y = NULL, *counties = NULL;
    if (load_config(argc, argv, table))
        goto done;
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'}, {"year", required_argument, NULL, 'y'},
        {"json", no_argument, NULL, 'j'}, {"config", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int c;
    char err[CONF_ERR_MAX];
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            if (conf_set(table, "db", optarg, err)) {
                rc = usage_error(usage_progress, "%s", err);
                goto done;
            }
            break;
        case 'y': {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || v < 1970 || v > 9999) {
                rc = usage_error(usage_progress, "--year must be a year like 2026, not '%s'",
                                 optarg);
                goto done;
            }
            year = (int)v;
            break;
        }
        case 'j': json = 1; break;
        case 'c': break;
        case 'h': fputs(usage_progress, stdout); rc = 0; goto done;
        default: fputs(usage_progress, stderr); goto done;
        }
    }
    if (optind < argc) {
        rc = usage_error(usage_progress, "unexpected argument '%s'", argv[optind]);
        goto done;
    }
    if (!cfg.db) {
        rc = usage_error(usage_progress, "%s", "--db FILE is required");
        goto done;
    }
    rc = 1;
    if (!(s = open_existing_store(cfg.db)))
        goto done;
    struct odate today = tu_today((int)cfg.tz_offset_min);
    if (!year)
        year = today.year;
    char as_of[TU_TS_MAX];
    tu_format_ts(time(NULL), (int)cfg.tz_offset_min, as_of);
    struct targets tg = {cfg.target_staff, cfg.target_consultations};
    y = progress_year_json(s, year, NULL, NULL, &tg, today, as_of);
    counties = cJSON_CreateArray();
    struct county_list l = {counties, s, year, &tg, today, as_of};
    if (!y || store_counties_each(s, year, collect_county, &l)) {
        fprintf(stderr, "outreach-coordinator: cannot read the store: %s\n", store_errmsg(s));
        goto done;
    }
    if (json) {
        cJSON_AddItemToObject(y, "counties", counties);
        counties = NULL;
        char *p = cJSON_Print(y);
        puts(p);
        free(p);
    } else {
        print_table(y, counties, today);
    }
    rc = 0;
done:
    cJSON_Delete(y);
    cJSON_Delete(counties);
    store_close(s);
    conf_free_strings(table);
    return rc;
}

static int cmd_export(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'}, {"csv", no_argument, NULL, 'c'},
        {"output", required_argument, NULL, 'o'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *db = NULL, *output = NULL;
    int csv = 0, c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'c': csv = 1; break;
        case 'o': output = optarg; break;
        case 'h': fputs(usage_export, stdout); return 0;
        default: fputs(usage_export, stderr); return EXIT_USAGE;
        }
    }
    if (optind < argc)
        return usage_error(usage_export, "unexpected argument '%s'", argv[optind]);
    if (!db)
        return usage_error(usage_export, "%s", "--db FILE is required");
    if (!csv)
        return usage_error(usage_export, "%s", "choose a format: --csv");
    struct store *s = open_existing_store(db);
    if (!s)
        return 1;
    FILE *f = output ? fperm_fopen_private(output) : stdout; /* patients' references */
    if (!f) {
        fprintf(stderr, "outreach-coordinator: cannot write %s\n", output);
        store_close(s);
        return 1;
    }
    oerr_t e = store_export_csv(s, f);
    if (output && fclose(f) != 0)
        e = OERR_IO;
    if (e)
        fprintf(stderr, "outreach-coordinator: export failed: %s\n", oerr_str(e));
    store_close(s);
    return e ? 1 : 0;
}

static int cmd_agents(int argc, char **argv)
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
        case 'h': fputs(usage_agents, stdout); return 0;
        default: fputs(usage_agents, stderr); return EXIT_USAGE;
        }
    }
    if (optind < argc)
        return usage_error(usage_agents, "unexpected argument '%s'", argv[optind]);
    if (!db)
        return usage_error(usage_agents, "%s", "--db FILE is required");
    struct store *s = open_existing_store(db);
    if (!s)
        return 1;
    cJSON *list = agents_json(s);
    if (!list) {
        fprintf(stderr, "outreach-coordinator: cannot read the store: %s\n", store_errmsg(s));
        store_close(s);
        return 1;
    }
    if (json) {
        char *p = cJSON_Print(list);
        if (p)
            puts(p);
        free(p);
    } else {
        agents_print_table(list, stdout);
    }
    cJSON_Delete(list);
    store_close(s);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage_main, stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        fputs(usage_main, stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0) {
        puts("outreach-coordinator 0.1.0");
        return 0;
    }
    /* Each command parses its own options after the command word. */
    argc--;
    argv++;
    if (strcmp(cmd, "run") == 0)
        return cmd_run(argc, argv);
    if (strcmp(cmd, "progress") == 0)
        return cmd_progress(argc, argv);
    if (strcmp(cmd, "export") == 0)
        return cmd_export(argc, argv);
    if (strcmp(cmd, "agents") == 0)
        return cmd_agents(argc, argv);
    if (strcmp(cmd, "trips") == 0)
        return cli_trips(argc, argv, open_existing_store);
    if (strcmp(cmd, "trip") == 0)
        return cli_trip(argc, argv, open_existing_store);
    fprintf(stderr, "outreach-coordinator: unknown command '%s'\n%s", cmd, usage_main);
    return EXIT_USAGE;
}
