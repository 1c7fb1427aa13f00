/* main.c -- outreach-agent: record reports at a site, keep them in the outbox,
 * send them when the network allows. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "compose.h"
#include "daemon.h"
#include "conf.h"
#include "ids.h"
#include "jsonget.h"
#include "mqtls.h"
#include "olog.h"
#include "outbox.h"
#include "report.h"
#include "sender.h"
#include "siteapp.h"
#include "timeutil.h"
#include "topics.h"
#include "tripcards.h"
#include "volunteer.h"

#define EXIT_USAGE 2
#define EXIT_REJECTED 3

struct agent_config {
    char *broker, *agent_id, *username, *password_file, *outbox, *trip, *topic_root;
    long long ack_timeout_s, connect_timeout_s, window, resend_s;
    char *log_level;
    bool offline;
    struct mq_tls tls; /* for an ssl:// or mqtts:// broker */
    /* The site app (daemon only): off unless site_port is set. */
    char *site_listen, *site_passcode, *site_passcode_file, *site_formulary;
    long long site_port, site_fold_s, site_session_h;
};

static struct agent_config cfg;

static const struct conf_opt table[] = {
    {"broker", CONF_STR, &cfg.broker, 0, 0, "broker URI, tcp://host:port or ssl://host:8883"},
    MQTLS_CONF_ROWS(&cfg.tls),
    {"agent_id", CONF_STR, &cfg.agent_id, 0, 0, "this device's agent id (team-07)"},
    {"username", CONF_STR, &cfg.username, 0, 0, "MQTT username (default: agent_id)"},
    {"password_file", CONF_STR, &cfg.password_file, 0, 0, "file holding the MQTT password"},
    {"outbox", CONF_STR, &cfg.outbox, 0, 0, "the outbox file"},
    {"trip", CONF_STR, &cfg.trip, 0, 0, "trip reports belong to, unless --trip says"},
    {"topic_root", CONF_STR, &cfg.topic_root, 0, 0, "root of every topic"},
    {"ack_timeout_s", CONF_INT, &cfg.ack_timeout_s, 1, 3600, "wait this long for acks"},
    {"connect_timeout_s", CONF_INT, &cfg.connect_timeout_s, 1, 600, "wait this long to connect"},
    {"window", CONF_INT, &cfg.window, 1, 1000, "reports in flight at once"},
    {"resend_s", CONF_INT, &cfg.resend_s, 1, 3600, "daemon: send again when unanswered so long"},
    {"log_level", CONF_STR, &cfg.log_level, 0, 0, "daemon: debug, info, warn or error"},
    {"offline", CONF_BOOL, &cfg.offline, 0, 0, "only queue, never connect"},
    {"site_port", CONF_INT, &cfg.site_port, 1, 65535, "daemon: serve the site app on this port"},
    {"site_listen", CONF_STR, &cfg.site_listen, 0, 0, "daemon: site app address (127.0.0.1)"},
    {"site_passcode", CONF_STR, &cfg.site_passcode, 0, 0, "site app passcode (else generated)"},
    {"site_passcode_file", CONF_STR, &cfg.site_passcode_file, 0, 0, "file with the passcode"},
    {"site_fold_s", CONF_INT, &cfg.site_fold_s, 1, 3600, "fold taps into headcounts this often"},
    {"site_session_h", CONF_INT, &cfg.site_session_h, 1, 168, "site app session lifetime, hours"},
    {"site_formulary", CONF_STR, &cfg.site_formulary, 0, 0, "medicine names (one a line) to suggest"},
    {NULL, CONF_STR, NULL, 0, 0, NULL},
};

static const char usage_main[] =
    "usage: outreach-agent COMMAND [OPTIONS]\n"
    "\n"
    "Records what a field team does at a free-clinic site; works without signal.\n"
    "\n"
    "commands:\n"
    "  report KIND   record a report: headcount, dispense, referral, education,\n"
    "                checkin or void ('outreach-agent report KIND --help')\n"
    "  void N        cancel entry number N of this outbox (see 'status') with\n"
    "                --reason TEXT ('outreach-agent void --help')\n"
    "  sync          send every report still waiting in the outbox and fetch\n"
    "                the trip cards\n"
    "  daemon        keep sending in the background: one connection, resends,\n"
    "                reconnects; 'report' then saves and leaves sending to it\n"
    "  status        show what is pending, answered and rejected, and what each\n"
    "                entry contained (--all, --json)\n"
    "  volunteer SUB a volunteer's client: profile, trips, register, cancel, list,\n"
    "                notices (own options: 'outreach-agent volunteer --help')\n"
    "\n"
    "options of every command:\n"
    "  --config FILE        settings file (default: $OUTREACH_AGENT_CONFIG), see\n"
    "                       field-agent/agent.conf.example; flags win over it\n"
    "  --broker URI         broker, e.g. tcp://127.0.0.1:1883\n"
    "  --agent-id ID        this device's agent id\n"
    "  --username U         MQTT username (default: the agent id)\n"
    "  --password-file F    file holding the MQTT password\n"
    "  --outbox FILE        outbox file (default: outreach-outbox.db)\n"
    "  --timeout S          wait at most S seconds for the coordinator's answers\n"
    "  --offline            only save in the outbox; send later with 'sync'\n"
    "TLS (broker ssl://HOST:8883 or mqtts://HOST:8883):\n"
    MQTLS_USAGE
    "\n"
    "exit status: 0 saved (accepted, or queued to send later), 2 bad usage,\n"
    "             3 refused: by the coordinator, or before saving (a trip the\n"
    "             device's trip cards do not know or say is cancelled, an entry\n"
    "             that cannot be voided), 1 any other failure\n";

enum { O_CONFIG = 1000, O_BROKER, O_AGENT, O_USER, O_PWFILE, O_OUTBOX, O_TIMEOUT, O_OFFLINE,
       O_TRIP, O_HELP, O_ALL, O_JSON, O_FORCE_TRIP, O_REASON, O_FIELD };

static const struct option common_opts[] = {
    {"config", required_argument, NULL, O_CONFIG},
    {"broker", required_argument, NULL, O_BROKER},
    {"agent-id", required_argument, NULL, O_AGENT},
    {"username", required_argument, NULL, O_USER},
    {"password-file", required_argument, NULL, O_PWFILE},
    {"outbox", required_argument, NULL, O_OUTBOX},
    {"timeout", required_argument, NULL, O_TIMEOUT},
    {"offline", no_argument, NULL, O_OFFLINE},
    {"help", no_argument, NULL, O_HELP},
    MQTLS_LONG_OPTIONS,
};
#define N_COMMON (sizeof common_opts / sizeof common_opts[0])

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("outreach-agent: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static int set_opt(const char *name, const char *value)
{
    char err[CONF_ERR_MAX];
    if (conf_set(table, name, value, err)) {
        fail("%s", err);
        return -1;
    }
    return 0;
}

/* Handles a common option; returns 1 when it was one, -1 on a bad value. */
static int common_option(int c)
{
    switch (c) {
    case O_CONFIG: return 1; /* loaded before parsing */
    case O_BROKER: return set_opt("broker", optarg) ? -1 : 1;
    case O_AGENT: return set_opt("agent_id", optarg) ? -1 : 1;
    case O_USER: return set_opt("username", optarg) ? -1 : 1;
    case O_PWFILE: return set_opt("password_file", optarg) ? -1 : 1;
    case O_OUTBOX: return set_opt("outbox", optarg) ? -1 : 1;
    case O_TIMEOUT: return set_opt("ack_timeout_s", optarg) ? -1 : 1;
    case O_OFFLINE: cfg.offline = true; return 1;
    default: {
        const char *value, *key = mqtls_flag_key(c, optarg, &value);
        return !key ? 0 : set_opt(key, value) ? -1 : 1;
    }
    }
}

static int load_defaults(int argc, char **argv)
{
    char err[CONF_ERR_MAX];
    memset(&cfg, 0, sizeof cfg);
    cfg.outbox = strdup("outreach-outbox.db");
    cfg.topic_root = strdup(TOPIC_ROOT_DEFAULT);
    cfg.ack_timeout_s = 10;
    cfg.connect_timeout_s = 5;
    cfg.window = 100;
    cfg.resend_s = 10;
    cfg.site_fold_s = 60;
    cfg.site_session_h = 12;
    const char *path = getenv("OUTREACH_AGENT_CONFIG");
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            path = argv[++i];
        else if (strncmp(argv[i], "--config=", 9) == 0)
            path = argv[i] + 9;
    }
    if (path && conf_load(path, table, err)) {
        fail("%s", err);
        return -1;
    }
    return 0;
}

/* A TLS option with a plain broker URI is a mistake to say at once. */
static int check_tls_usage(void)
{
    char err[MQ_ERR_MAX];
    if (cfg.broker && mq_tls_check_usage(cfg.broker, &cfg.tls, err)) {
        fail("%s", err);
        return -1;
    }
    return 0;
}

static int need_agent(void)
{
    if (!cfg.agent_id) {
        fail("%s", "no agent id: set agent_id in the config file or pass --agent-id");
        return -1;
    }
    if (!id_is_agent(cfg.agent_id)) {
        fail("agent id '%s' must be 1 to 64 of a-z, 0-9, '_' and '-'", cfg.agent_id);
        return -1;
    }
    return 0;
}

static struct outbox *open_outbox(void)
{
    struct outbox *ob = NULL;
    char err[256];
    if (outbox_open(cfg.outbox, cfg.agent_id, &ob, err)) {
        fail("%s", err);
        return NULL;
    }
    return ob;
}

/* How sync shows a large backlog draining: a bar on a terminal, otherwise a
 * counter line at every tenth. */
struct progress_view {
    int tty;
    int last_tenth;
};

static void show_progress(void *ctx, size_t sent, size_t answered, size_t total)
{
    struct progress_view *v = ctx;
    if (total == 0)
        return;
    if (v->tty) {
        int width = 30, filled = (int)(answered * (size_t)width / total);
        fprintf(stderr, "\r[%.*s%*s] %zu/%zu answered, %zu sent", filled,
                "##############################", width - filled, "", answered, total, sent);
        if (answered == total)
            fputc('\n', stderr);
        return;
    }
    int tenth = (int)(answered * 10 / total);
    if (tenth > v->last_tenth) {
        v->last_tenth = tenth;
        fprintf(stderr, "sync: %zu/%zu answered (%d%%), %zu sent\n", answered, total,
                tenth * 10, sent);
    }
}

/* Sends what is unanswered. Returns 0 when it ran, -1 when the broker was out
 * of reach (err says why). */
static int flush(struct outbox *ob, struct flush_result *res, bool progress, bool fetch_trips,
                 char err[MQ_ERR_MAX])
{
    char *password = NULL;
    memset(res, 0, sizeof *res);
    if (!cfg.broker) {
        snprintf(err, MQ_ERR_MAX, "no broker configured (set broker or pass --broker)");
        return -1;
    }
    if (cfg.password_file && !(password = mq_read_secret(cfg.password_file, err)))
        return -1;
    struct progress_view view = {isatty(STDERR_FILENO), 0};
    struct sender_opts so = {
        .broker = cfg.broker, .agent_id = cfg.agent_id,
        .username = cfg.username ? cfg.username : (password ? cfg.agent_id : NULL),
        .password = password, .topic_root = cfg.topic_root, .tls = &cfg.tls,
        .connect_timeout_ms = (int)cfg.connect_timeout_s * 1000,
        .ack_timeout_ms = (int)cfg.ack_timeout_s * 1000, .window = (size_t)cfg.window,
        .progress = progress ? show_progress : NULL, .ctx = &view,
        .fetch_trips = fetch_trips,
    };
    int rc = sender_flush(ob, &so, res, err);
    free(password);
    return rc;
}

struct check_ctx {
    const char *kind;
    char err[JERR_MAX];
};

/* The same rules the coordinator applies, before anything is stored. */
static int check_payload(void *ctx, const char *payload)
{
    struct check_ctx *c = ctx;
    struct report r;
    struct jerr err = {{0}};
    enum reject_code code = report_decode(cfg.agent_id, c->kind, payload, strlen(payload), &r,
                                          &err);
    report_free(&r);
    if (code != RJ_NONE) {
        snprintf(c->err, sizeof c->err, "%s", err.msg);
        return -1;
    }
    return 0;
}

/* Prints what the coordinator answered for msg_id; returns the exit status. */
static int print_answer(struct outbox *ob, const char *msg_id, const char *who_resends)
{
    struct outbox_entry e;
    int rc = 0;
    if (outbox_get(ob, msg_id, &e) != OERR_OK)
        return 1;
    if (strcmp(e.state, "acked") == 0) {
        printf("%s: counted by the coordinator\n",
               strcmp(e.ack_status, "duplicate") == 0 ? "duplicate" : "accepted");
    } else if (strcmp(e.state, "rejected") == 0) {
        char *reason = olog_escape_dup(e.reason); /* it may quote what was sent */
        printf("rejected (%s): %s\n", e.code, reason ? reason : "?");
        free(reason);
        rc = EXIT_REJECTED;
    } else {
        printf("queued: %s, but no answer from the coordinator within %lld s; %s sends it "
               "again\n", strcmp(e.state, "sent") == 0 ? "sent" : "not sent yet",
               cfg.ack_timeout_s, who_resends);
    }
    outbox_entry_clear(&e);
    return rc;
}

/* What a command takes besides the common options. */
enum { TAKES_ALL = 1, TAKES_JSON = 2, TAKES_REASON = 4, TAKES_ARG = 8 };
struct cmd_flags {
    int all, json;
    const char *reason, *arg; /* --reason; the one word after the command */
};

/* Parses the common options and those `takes` names into f. Returns 0, -1
 * after --help (printed), or EXIT_USAGE. */
static int parse_cmd(int argc, char **argv, const char *usage, unsigned takes,
                     struct cmd_flags *f)
{
    struct option opts[N_COMMON + 4];
    size_t n = 0;
    memset(f, 0, sizeof *f);
    for (size_t i = 0; i < N_COMMON; i++)
        opts[n++] = common_opts[i];
    if (takes & TAKES_ALL)
        opts[n++] = (struct option){"all", no_argument, NULL, O_ALL};
    if (takes & TAKES_JSON)
        opts[n++] = (struct option){"json", no_argument, NULL, O_JSON};
    if (takes & TAKES_REASON)
        opts[n++] = (struct option){"reason", required_argument, NULL, O_REASON};
    opts[n] = (struct option){NULL, 0, NULL, 0};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        int r = common_option(c);
        if (r < 0)
            return EXIT_USAGE;
        if (r > 0)
            continue;
        if (c == O_HELP) {
            fputs(usage, stdout);
            return -1;
        }
        if (c == O_ALL)
            f->all = 1;
        else if (c == O_JSON)
            f->json = 1;
        else if (c == O_REASON)
            f->reason = optarg;
        else {
            fputs(usage, stderr);
            return EXIT_USAGE;
        }
    }
    if ((takes & TAKES_ARG) && optind < argc)
        f->arg = argv[optind++];
    if (optind < argc) {
        fail("unexpected argument '%s'", argv[optind]);
        return EXIT_USAGE;
    }
    return need_agent() || check_tls_usage() ? EXIT_USAGE : 0;
}

/* Prints the trips the device knows for today (site time) to f. */
static void list_today(struct outbox *ob, FILE *f)
{
    char today[11];
    struct trip_card *list = NULL;
    size_t n = 0;
    long long known = 0;
    tu_format_date(tu_today(TU_SITE_OFFSET_MIN), today);
    if (outbox_trips_on(ob, today, &list, &n) || outbox_trip_count(ob, &known))
        return;
    if (n == 0)
        fprintf(f, "  this device knows no trip for today (%s); it has %lld trip card%s\n",
                today, known, known == 1 ? "" : "s");
    else
        fprintf(f, "  trips today (%s) this device knows:\n", today);
    for (size_t i = 0; i < n; i++) {
        char line[1400];
        char *safe = olog_escape_dup(tripcard_line(&list[i], line, sizeof line));
        fprintf(f, "    %s\n", safe ? safe : list[i].trip_id);
        free(safe);
    }
    free(list);
}

/* A report for a trip the device's cards do not know, or say is cancelled,
 * would be refused for good by the coordinator: refuse it before it is
 * saved. Returns 0 to go on, EXIT_REJECTED when refused, 1 on error. */
static int check_trip(struct outbox *ob, const char *trip, bool force)
{
    long long known = 0;
    switch (tripcards_check(ob, trip, &known)) {
    case TRIP_OK:
        return 0;
    case TRIP_ERROR:
        fail("%s", "cannot read the trip cards in the outbox");
        return 1;
    case TRIP_NO_CARDS:
        fprintf(stderr, "outreach-agent: note: this device has no trip cards yet (it has "
                        "not been online); trip %s is not checked before saving\n", trip);
        return 0;
    case TRIP_CANCELLED:
        fail("trip %s is cancelled (its trip card says so); nothing was saved", trip);
        list_today(ob, stderr);
        return EXIT_REJECTED;
    case TRIP_UNKNOWN:
        break;
    }
    if (force) {
        fprintf(stderr, "outreach-agent: note: trip %s is not among this device's %lld trip "
                        "cards; saved anyway (--force-trip)\n", trip, known);
        return 0;
    }
    fail("unknown trip '%s': this device has no trip card for it; nothing was saved", trip);
    list_today(ob, stderr);
    fprintf(stderr, "  check --trip (or trip in the config), run 'outreach-agent sync' to "
                    "fetch the cards, or pass --force-trip to save it for a trip this device "
                    "has not heard of yet\n");
    return EXIT_REJECTED;
}

/* Saves a report of kind k for trip and sends it (or leaves it to the daemon,
 * or queues it). check: refuse an unknown or cancelled trip first (force:
 * save for an unknown one anyway). Returns the exit status. */
static int save_and_send(const struct kind_spec *k, const char *trip, cJSON *fields,
                         bool check, bool force)
{
    int rc = 1;
    struct outbox *ob = NULL;
    struct outbox_entry e = {0};
    if (!(ob = open_outbox()))
        goto done;
    if (check && (rc = check_trip(ob, trip, force)) != 0)
        goto done;
    rc = 1;
    char now[TU_TS_MAX];
    tu_format_ts(time(NULL), TU_SITE_OFFSET_MIN, now);
    struct check_ctx cc = {.kind = k->kind};
    oerr_t pe = outbox_push(ob, k->kind, trip, fields, now, check_payload, &cc, &e);
    if (pe == OERR_REJECTED) {
        fail("%s (nothing was saved)", cc.err);
        rc = EXIT_USAGE;
        goto done;
    }
    if (pe) {
        fail("cannot save the report in the outbox: %s", oerr_str(pe));
        goto done;
    }
    char what[COMPOSE_DESCRIBE_MAX];
    char *safe = olog_escape_dup(compose_describe(k->kind, e.payload, 0, what, sizeof what));
    printf("saved %s report #%lld (%s) for trip %s: %s\n", k->kind, e.seq, e.msg_id, e.trip_id,
           safe ? safe : k->kind);
    free(safe);
    rc = 0;
    long dpid;
    if (daemon_running(cfg.outbox, &dpid)) {
        /* The daemon sends it: wait for its answer only while it is online. */
        char state[16] = "";
        outbox_meta_get(ob, "daemon", state, sizeof state);
        if (strcmp(state, "online") != 0) {
            printf("queued: the daemon (pid %ld) is not connected; the report is sent when "
                   "it is (or by 'outreach-agent sync')\n", dpid);
            goto done;
        }
        double until = tu_mono_ms() + (double)cfg.ack_timeout_s * 1000;
        struct outbox_entry cur = {0};
        while (tu_mono_ms() < until && outbox_get(ob, e.msg_id, &cur) == OERR_OK &&
               (strcmp(cur.state, "pending") == 0 || strcmp(cur.state, "sent") == 0)) {
            outbox_entry_clear(&cur);
            nanosleep(&(struct timespec){0, 100000000L}, NULL); /* poll the outbox */
        }
        outbox_entry_clear(&cur);
        rc = print_answer(ob, e.msg_id, "the daemon");
        goto done;
    }
    if (cfg.offline) {
        printf("queued: offline mode; send it later with 'outreach-agent sync'\n");
        goto done;
    }
    struct flush_result res;
    char merr[MQ_ERR_MAX];
    if (flush(ob, &res, false, false, merr)) {
        printf("queued: %s; it will be sent by 'outreach-agent sync'\n", merr);
        goto done;
    }
    rc = print_answer(ob, e.msg_id, "'outreach-agent sync'");
done:
    outbox_entry_clear(&e);
    outbox_close(ob);
    return rc;
}

static int cmd_report(int argc, char **argv)
{
    if (argc < 2 || argv[1][0] == '-') {
        if (argc >= 2 && strcmp(argv[1], "--help") == 0) {
            printf("usage: outreach-agent report KIND [OPTIONS]\n\nkinds:\n");
            for (const struct kind_spec *k = compose_kinds; k->kind; k++)
                printf("  %-10s %s\n", k->kind, k->summary);
            printf("\nDepartment, destination, urgency, role and sex take the code or its\n"
                   "Chinese or English name (--department 内科, Internal or internal).\n"
                   "When this device has trip cards (from the daemon or sync), a report for\n"
                   "a trip it does not know, or one that is cancelled, is refused before it\n"
                   "is saved (exit 3); --force-trip saves it for a trip not heard of yet.\n");
            return 0;
        }
        fail("%s", "report needs a kind: headcount, dispense, referral, education, checkin "
                   "or void");
        return EXIT_USAGE;
    }
    const struct kind_spec *k = compose_kind(argv[1]);
    if (!k) {
        fail("unknown report kind '%s' (headcount, dispense, referral, education, checkin, "
             "void)", argv[1]);
        return EXIT_USAGE;
    }
    /* Options: the common ones, --trip, --force-trip and one per field of the kind. */
    struct option opts[N_COMMON + 18];
    size_t n = 0;
    for (size_t i = 0; i < N_COMMON; i++)
        opts[n++] = common_opts[i];
    opts[n++] = (struct option){"trip", required_argument, NULL, O_TRIP};
    opts[n++] = (struct option){"force-trip", no_argument, NULL, O_FORCE_TRIP};
    for (int i = 0; k->fields[i].flag; i++)
        opts[n++] = (struct option){k->fields[i].flag, required_argument, NULL, O_FIELD + i};
    opts[n] = (struct option){NULL, 0, NULL, 0};

    cJSON *fields = cJSON_CreateObject();
    char err[COMPOSE_ERR_MAX];
    int rc = EXIT_USAGE, c, idx;
    bool force = false;
    argc--;
    argv++;
    argv[0] = (char *)"outreach-agent"; /* getopt names it in its messages */
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, &idx)) != -1) {
        int r = common_option(c);
        if (r < 0)
            goto done;
        if (r > 0)
            continue;
        if (c == O_HELP) {
            compose_help(k, stdout);
            printf("\n  --force-trip             save even for a trip this device has no "
                   "trip card for\n");
            rc = 0;
            goto done;
        }
        if (c == O_TRIP) {
            if (set_opt("trip", optarg))
                goto done;
            continue;
        }
        if (c == O_FORCE_TRIP) {
            force = true;
            continue;
        }
        if (c >= O_FIELD) {
            if (compose_set(k, fields, k->fields[c - O_FIELD].flag, optarg, err)) {
                fail("%s", err);
                goto done;
            }
            continue;
        }
        fprintf(stderr, "(see 'outreach-agent report %s --help')\n", k->kind);
        goto done;
    }
    if (optind < argc) {
        fail("unexpected argument '%s'", argv[optind]);
        goto done;
    }
    if (need_agent() || check_tls_usage())
        goto done;
    if (!cfg.trip) {
        fail("%s", "which trip? pass --trip T or set trip in the config file");
        goto done;
    }
    if (compose_check_required(k, fields, err)) {
        fail("%s", err);
        goto done;
    }
    rc = save_and_send(k, cfg.trip, fields, true, force);
done:
    cJSON_Delete(fields);
    return rc;
}

static const char usage_void[] =
    "usage: outreach-agent void N --reason TEXT [OPTIONS]\n\n"
    "Cancels entry number N of this outbox (the #N 'outreach-agent status' shows):\n"
    "saves a void report for it, which takes it out of the coordinator's totals,\n"
    "then sends it like any report. The entry stays in the outbox, marked as\n"
    "cancelled. N may also be the entry's msg_id.\n\n"
    "  --reason TEXT   why it no longer counts, e.g. 'entered twice' (required)\n\n"
    "Refused before anything is saved (exit 3): a number this outbox does not\n"
    "have, a void (a void cannot be voided), an entry already cancelled, and an\n"
    "entry the coordinator refused (it was never counted).\n"
    "See 'outreach-agent --help' for the options of every command.\n";

/* Refuses (EXIT_REJECTED) to void entry e when it cannot be; 0 when it can. */
static int refuse_void(const struct outbox_entry *e)
{
    char why[JERR_MAX + 200];
    if (!outbox_cannot_void(e, why, sizeof why))
        return 0;
    char *safe = olog_escape_dup(why); /* a refusal's reason may quote what was sent */
    fail("%s; nothing was saved", safe ? safe : "this entry cannot be voided");
    free(safe);
    return EXIT_REJECTED;
}

/* Finds entry `which` (a number or a msg_id) and says why it cannot be
 * voided. Returns 0 with *e filled, or an exit status. */
static int void_target(struct outbox *ob, const char *which, struct outbox_entry *e)
{
    char *end;
    long long seq = strtoll(which, &end, 10);
    bool number = which[0] >= '0' && which[0] <= '9' && !*end;
    oerr_t g = number ? outbox_get_seq(ob, seq, e)
                      : id_is_uuid(which) ? outbox_get(ob, which, e) : OERR_INVAL;
    if (g == OERR_INVAL) {
        fail("'%.60s' is neither an entry number (see 'outreach-agent status --all') nor a "
             "msg_id", which);
        return EXIT_USAGE;
    }
    if (g == OERR_NOTFOUND) {
        struct outbox_counts c;
        long long last = outbox_counts(ob, &c) == OERR_OK ? c.last_seq : 0;
        fail("no entry %s%s in this outbox (its entries are #1 to #%lld; see 'outreach-agent "
             "status --all'); nothing was saved", number ? "#" : "", which, last);
        return EXIT_REJECTED;
    }
    if (g) {
        fail("%s", "cannot read the outbox");
        return 1;
    }
    return refuse_void(e);
}

static int cmd_void(int argc, char **argv)
{
    struct cmd_flags f;
    int rc = parse_cmd(argc, argv, usage_void, TAKES_REASON | TAKES_ARG, &f);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (!f.arg) {
        fail("%s", "void needs the entry's number: 'outreach-agent void N --reason TEXT' (the "
                   "#N of 'outreach-agent status --all')");
        return EXIT_USAGE;
    }
    if (!f.reason || !f.reason[0]) {
        fail("%s", "--reason is required: say why the entry no longer counts, e.g. --reason "
                   "'entered twice'");
        return EXIT_USAGE;
    }
    struct outbox *ob = open_outbox();
    if (!ob)
        return 1;
    struct outbox_entry target = {0};
    rc = void_target(ob, f.arg, &target);
    outbox_close(ob); /* save_and_send opens its own */
    if (rc) {
        outbox_entry_clear(&target);
        return rc;
    }
    const struct kind_spec *k = compose_kind("void");
    cJSON *fields = cJSON_CreateObject();
    char err[COMPOSE_ERR_MAX];
    if (compose_set(k, fields, "msg-id", target.msg_id, err) ||
        compose_set(k, fields, "reason", f.reason, err) || compose_check_required(k, fields, err)) {
        fail("%s", err);
        rc = EXIT_USAGE;
    } else {
        char what[COMPOSE_DESCRIBE_MAX];
        char *safe = olog_escape_dup(compose_describe(target.kind, target.payload, 0, what,
                                                      sizeof what));
        printf("cancelling entry #%lld: %s\n", target.seq, safe ? safe : target.kind);
        free(safe);
        /* The void belongs to its target's trip; the coordinator judges it there. */
        rc = save_and_send(k, target.trip_id, fields, false, false);
    }
    cJSON_Delete(fields);
    outbox_entry_clear(&target);
    return rc;
}

static const char usage_sync[] =
    "usage: outreach-agent sync [OPTIONS]\n\n"
    "Sends every report still waiting in the outbox, oldest first, and records\n"
    "the coordinator's answers. Safe to run any time: nothing is sent twice\n"
    "under a new msg_id, and the coordinator counts each report once. Also\n"
    "fetches the retained trip cards into the outbox, so that 'report' can\n"
    "refuse an unknown or cancelled trip offline (the daemon keeps them too).\n"
    "See 'outreach-agent --help' for the options.\n";

/* sync while a daemon runs: it does the sending; show it draining the
 * outbox until nothing is left, or nothing moved for ack_timeout_s. */
static int wait_for_daemon(struct outbox *ob, long pid)
{
    struct outbox_counts c;
    char state[16] = "";
    outbox_meta_get(ob, "daemon", state, sizeof state);
    if (outbox_counts(ob, &c))
        return 1;
    long long left = c.pending + c.sent, total = left;
    printf("the daemon (pid %ld, %s) is sending: %lld waiting\n", pid, state, left);
    struct progress_view view = {isatty(STDERR_FILENO), 0};
    double last_move = tu_mono_ms();
    while (left > 0 && tu_mono_ms() - last_move < (double)cfg.ack_timeout_s * 1000) {
        nanosleep(&(struct timespec){0, 200000000L}, NULL); /* poll the outbox */
        if (outbox_counts(ob, &c))
            return 1;
        if (c.pending + c.sent != left) {
            left = c.pending + c.sent;
            last_move = tu_mono_ms();
            if (left > total)
                total = left;
            show_progress(&view, 0, (size_t)(total - left), (size_t)total);
        }
    }
    printf("sync: %lld still waiting, %lld accepted, %lld rejected in the outbox\n", left,
           c.acked, c.rejected);
    return left > 0 ? 1 : 0;
}

static int cmd_sync(int argc, char **argv)
{
    struct cmd_flags f;
    int rc = parse_cmd(argc, argv, usage_sync, 0, &f);
    if (rc)
        return rc < 0 ? 0 : rc;
    struct outbox *ob = open_outbox();
    if (!ob)
        return 1;
    long dpid;
    if (daemon_running(cfg.outbox, &dpid)) {
        rc = wait_for_daemon(ob, dpid);
        outbox_close(ob);
        return rc;
    }
    struct flush_result res;
    char err[MQ_ERR_MAX];
    rc = 0;
    if (flush(ob, &res, true, true, err)) {
        if (res.total == 0) {
            printf("sync: nothing waiting; trip cards not refreshed: %s\n", err);
        } else {
            printf("not sent: %s; the reports stay queued\n", err);
            rc = 1;
        }
    } else {
        size_t answered = res.accepted + res.duplicate + res.rejected;
        printf("sync: %zu waiting, %zu sent, %zu accepted, %zu duplicate, %zu rejected, "
               "%zu still waiting\n", res.total, res.sent, res.accepted, res.duplicate,
               res.rejected, res.total - answered);
        if (res.rejected)
            printf("see 'outreach-agent status' for the reasons\n");
        long long known = 0;
        if (res.trips < 0 || outbox_trip_count(ob, &known))
            printf("sync: cannot store the trip cards in the outbox\n");
        else
            printf("sync: %lld trip card%s on this device\n", known, known == 1 ? "" : "s");
    }
    outbox_close(ob);
    return rc;
}

static const char usage_daemon[] =
    "usage: outreach-agent daemon [OPTIONS]\n\n"
    "Keeps one connection to the broker and sends the outbox's reports oldest\n"
    "first as soon as it can, resending any the coordinator has not answered\n"
    "within resend_s (10 s); reconnects with backoff; publishes this device's\n"
    "retained status (online, pending, last seq). One daemon per outbox. Stops\n"
    "cleanly on SIGINT or SIGTERM. See 'outreach-agent --help' for the options.\n"
    "\n"
    "The site app (a phone page for the team) is served when the config sets\n"
    "site_port: site_listen (default 127.0.0.1; 0.0.0.0 for the device's Wi-Fi),\n"
    "site_passcode or site_passcode_file (else one is made and printed with the\n"
    "address and a QR code), site_fold_s (taps become headcount reports this\n"
    "often, default 60), site_session_h (default 12), site_formulary (a file of\n"
    "medicine names, one a line, that the medicine form suggests). Its entries go\n"
    "to today's trip from the trip cards (the config's trip when it names one of\n"
    "them); an entry for an unknown or cancelled trip is refused before it is saved.\n";

/* Serves the site app as the config says; prints its address. */
static int start_site(struct siteapp **site)
{
    char err[MQ_ERR_MAX], serr[SITEAPP_ERR_MAX];
    char *passcode = NULL;
    if (cfg.site_passcode_file && !(passcode = mq_read_secret(cfg.site_passcode_file, err))) {
        fail("site_passcode_file: %s", err);
        return -1;
    }
    struct siteapp_opts so = {
        .listen = cfg.site_listen, .port = (int)cfg.site_port,
        .passcode = passcode ? passcode : cfg.site_passcode,
        .outbox_path = cfg.outbox, .agent_id = cfg.agent_id, .trip = cfg.trip,
        .formulary = cfg.site_formulary, .fold_s = (int)cfg.site_fold_s, .session_s = (int)cfg.site_session_h * 3600,
        .banner = stdout,
    };
    if (cfg.site_formulary && access(cfg.site_formulary, R_OK) != 0)
        fprintf(stderr, "outreach-agent: warning: site_formulary %s: %s; the medicine form "
                "suggests only this trip's earlier names (fix the path)\n", cfg.site_formulary,
                strerror(errno));
    int rc = siteapp_start(&so, site, serr);
    if (rc)
        fail("site app: %s", serr);
    if (passcode) /* the site app keeps its own copy */
        explicit_bzero(passcode, strlen(passcode));
    free(passcode);
    return rc;
}

static volatile sig_atomic_t daemon_stop;
static void on_signal(int sig) { daemon_stop = sig; }

static int cmd_daemon(int argc, char **argv)
{
    struct cmd_flags f;
    int rc = parse_cmd(argc, argv, usage_daemon, 0, &f);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (!cfg.broker) {
        fail("%s", "no broker configured (set broker or pass --broker)");
        return EXIT_USAGE;
    }
    int level = olog_parse_level(cfg.log_level ? cfg.log_level : "info");
    if (level < 0) {
        fail("unknown log level '%s'", cfg.log_level);
        return EXIT_USAGE;
    }
    olog_set_level((enum olog_level)level);
    long holder;
    int lock = daemon_lock(cfg.outbox, &holder);
    if (lock < 0) {
        if (holder < 0)
            fail("cannot open the lock file %s%s: %s", cfg.outbox, DAEMON_LOCK_SUFFIX,
                 strerror((int)-holder));
        else
            fail("a daemon (pid %ld) already serves the outbox %s", holder, cfg.outbox);
        return 1;
    }
    char err[MQ_ERR_MAX];
    char *password = NULL;
    struct outbox *ob = NULL;
    struct siteapp *site = NULL;
    rc = 1;
    if (cfg.password_file && !(password = mq_read_secret(cfg.password_file, err))) {
        fail("%s", err);
        goto done;
    }
    if (!(ob = open_outbox()))
        goto done;
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    struct daemon_opts o = {
        .broker = cfg.broker, .agent_id = cfg.agent_id,
        .username = cfg.username ? cfg.username : (password ? cfg.agent_id : NULL),
        .password = password, .topic_root = cfg.topic_root, .trip = cfg.trip, .tls = &cfg.tls,
        .connect_timeout_ms = (int)cfg.connect_timeout_s * 1000,
        .resend_ms = (int)cfg.resend_s * 1000, .window = (int)cfg.window,
        .stop = &daemon_stop,
    };
    olog(OLOG_INFO, "daemon for agent %s, outbox %s, broker %s", cfg.agent_id, cfg.outbox,
         cfg.broker);
    if (cfg.site_port && start_site(&site))
        goto done;
    rc = daemon_run(ob, &o);
    siteapp_stop(site);
    olog(OLOG_INFO, "daemon stopped");
done:
    outbox_close(ob);
    free(password);
    close(lock);
    return rc;
}

static const char usage_status[] =
    "usage: outreach-agent status [--all] [--json] [OPTIONS]\n\n"
    "Counts the outbox's reports by state, shows the trips this device knows for\n"
    "today, and lists the entries still waiting, those the coordinator refused\n"
    "(with the reason) and the last 10, each with its number (for 'void N') and\n"
    "what it contained, e.g.\n"
    "  #12    headcount 内科 internal 12 consultations (female 5) | trip 2026-xw-101 | accepted\n"
    "  --all    list every entry\n"
    "  --json   the same as one JSON object (entries with their fields)\n";

#define RECENT_SHOWN 10

/* What an entry's state means for the person who entered it. */
static void state_words(const struct outbox_entry *e, char *buf, size_t n)
{
    if (strcmp(e->state, "pending") == 0)
        snprintf(buf, n, "waiting to be sent");
    else if (strcmp(e->state, "sent") == 0)
        snprintf(buf, n, "sent %d time%s, no answer yet", e->attempts,
                 e->attempts == 1 ? "" : "s");
    else if (strcmp(e->state, "rejected") == 0)
        snprintf(buf, n, "refused (%s): %s", e->code, e->reason);
    else if (strcmp(e->ack_status, "duplicate") == 0)
        snprintf(buf, n, "accepted (arrived twice, counted once)");
    else
        snprintf(buf, n, "accepted");
    if (e->voided_by) {
        size_t used = strlen(buf);
        snprintf(buf + used, n - used, ", cancelled by #%lld", e->voided_by);
    }
}

static void print_entry(const struct outbox_entry *e)
{
    char what[COMPOSE_DESCRIBE_MAX], state[JERR_MAX + 80], line[COMPOSE_DESCRIBE_MAX + JERR_MAX + 200];
    compose_describe(e->kind, e->payload, e->voids_seq, what, sizeof what);
    state_words(e, state, sizeof state);
    snprintf(line, sizeof line, "%s | trip %s | %s", what, e->trip_id, state);
    char *safe = olog_escape_dup(line); /* a reason may quote what was sent */
    printf("  #%-5lld %s\n", e->seq, safe ? safe : e->kind);
    free(safe);
}

static void list_entries(struct outbox *ob, const char *state, const char *title)
{
    struct outbox_entry *list = NULL;
    size_t n = 0;
    if (outbox_list(ob, state, 100000, &list, &n) || n == 0) {
        outbox_entries_free(list, n);
        return;
    }
    printf("\n%s:\n", title);
    for (size_t i = 0; i < n; i++)
        print_entry(&list[i]);
    outbox_entries_free(list, n);
}

/* The answered ones among the last RECENT_SHOWN entries (the others are in
 * the lists above). */
static void list_recent(struct outbox *ob)
{
    struct outbox_entry *list = NULL;
    size_t n = 0, shown = 0;
    if (outbox_list_recent(ob, RECENT_SHOWN, &list, &n) == OERR_OK) {
        for (size_t i = 0; i < n; i++) {
            if (strcmp(list[i].state, "acked") != 0)
                continue;
            if (shown++ == 0)
                printf("\naccepted, among the last %d entries (--all for every one):\n",
                       RECENT_SHOWN);
            print_entry(&list[i]);
        }
    }
    outbox_entries_free(list, n);
}

static cJSON *entry_json(const struct outbox_entry *e)
{
    char what[COMPOSE_DESCRIBE_MAX];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "seq", (double)e->seq);
    cJSON_AddStringToObject(o, "msg_id", e->msg_id);
    cJSON_AddStringToObject(o, "kind", e->kind);
    cJSON_AddStringToObject(o, "trip_id", e->trip_id);
    cJSON_AddStringToObject(o, "state", e->state);
    if (e->ack_status[0])
        cJSON_AddStringToObject(o, "ack_status", e->ack_status);
    if (strcmp(e->state, "rejected") == 0) {
        cJSON_AddStringToObject(o, "code", e->code);
        cJSON_AddStringToObject(o, "reason", e->reason);
    }
    cJSON_AddStringToObject(o, "created_at", e->created_at);
    cJSON_AddNumberToObject(o, "attempts", e->attempts);
    if (e->voided_by)
        cJSON_AddNumberToObject(o, "voided_by", (double)e->voided_by);
    if (e->voids_seq)
        cJSON_AddNumberToObject(o, "voids_seq", (double)e->voids_seq);
    cJSON_AddStringToObject(o, "summary",
                            compose_describe(e->kind, e->payload, e->voids_seq, what, sizeof what));
    struct jerr err;
    cJSON *report = json_parse_bounded(e->payload, strlen(e->payload), 8, &err);
    if (report)
        cJSON_AddItemToObject(o, "report", report);
    return o;
}

static int by_seq(const void *a, const void *b)
{
    const struct outbox_entry *x = a, *y = b;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* status --json: the counts, today's trips and the entries (all, or those
 * waiting, refused or among the last RECENT_SHOWN), by seq. */
static int status_json(struct outbox *ob, const struct outbox_counts *c, bool all)
{
    cJSON *o = cJSON_CreateObject(), *entries = cJSON_CreateArray(), *trips = cJSON_CreateArray();
    cJSON_AddStringToObject(o, "agent_id", cfg.agent_id);
    cJSON_AddStringToObject(o, "outbox", cfg.outbox);
    cJSON_AddNumberToObject(o, "last_seq", (double)c->last_seq);
    long dpid;
    char state[16] = "";
    cJSON *d = cJSON_AddObjectToObject(o, "daemon");
    bool running = daemon_running(cfg.outbox, &dpid);
    cJSON_AddBoolToObject(d, "running", running);
    if (running) {
        outbox_meta_get(ob, "daemon", state, sizeof state);
        cJSON_AddNumberToObject(d, "pid", (double)dpid);
        cJSON_AddStringToObject(d, "state", state[0] ? state : "starting");
    }
    cJSON *counts = cJSON_AddObjectToObject(o, "counts");
    cJSON_AddNumberToObject(counts, "pending", (double)c->pending);
    cJSON_AddNumberToObject(counts, "sent", (double)c->sent);
    cJSON_AddNumberToObject(counts, "accepted", (double)c->acked);
    cJSON_AddNumberToObject(counts, "rejected", (double)c->rejected);

    char today[11];
    long long known = 0;
    struct trip_card *tl = NULL;
    size_t tn = 0;
    tu_format_date(tu_today(TU_SITE_OFFSET_MIN), today);
    outbox_trip_count(ob, &known);
    outbox_trips_on(ob, today, &tl, &tn);
    cJSON_AddNumberToObject(o, "trip_cards", (double)known);
    cJSON_AddStringToObject(o, "today", today);
    for (size_t i = 0; i < tn; i++) {
        cJSON *t = cJSON_CreateObject();
        cJSON_AddStringToObject(t, "trip_id", tl[i].trip_id);
        cJSON_AddStringToObject(t, "title", tl[i].title);
        cJSON_AddStringToObject(t, "date", tl[i].date);
        if (tl[i].end_date[0])
            cJSON_AddStringToObject(t, "end_date", tl[i].end_date);
        cJSON_AddStringToObject(t, "status", tl[i].status);
        cJSON_AddStringToObject(t, "site_name", tl[i].site_name);
        cJSON_AddStringToObject(t, "county_name", tl[i].county_name);
        cJSON *dl = cJSON_AddArrayToObject(t, "departments");
        for (int k = 0; tl[i].departments[k]; k++)
            cJSON_AddItemToArray(dl, cJSON_CreateString(tl[i].departments[k]));
        cJSON_AddItemToArray(trips, t);
    }
    free(tl);
    cJSON_AddItemToObject(o, "trips_today", trips);

    /* Gather, sort by seq, skip an entry met twice. */
    struct outbox_entry *parts[4] = {NULL};
    size_t np[4] = {0};
    int rc = 0;
    if (all) {
        rc = outbox_list(ob, NULL, 10000000, &parts[0], &np[0]) != OERR_OK;
    } else {
        rc = outbox_list(ob, "pending", 1000000, &parts[0], &np[0]) ||
             outbox_list(ob, "sent", 1000000, &parts[1], &np[1]) ||
             outbox_list(ob, "rejected", 1000000, &parts[2], &np[2]) ||
             outbox_list_recent(ob, RECENT_SHOWN, &parts[3], &np[3]);
    }
    size_t total = np[0] + np[1] + np[2] + np[3], k = 0;
    struct outbox_entry *merged = total ? malloc(total * sizeof *merged) : NULL;
    if (total && !merged)
        rc = 1;
    for (int p = 0; !rc && p < 4; p++)
        for (size_t i = 0; i < np[p]; i++)
            merged[k++] = parts[p][i];
    if (!rc) {
        qsort(merged, k, sizeof *merged, by_seq);
        for (size_t i = 0; i < k; i++)
            if (i == 0 || merged[i].seq != merged[i - 1].seq)
                cJSON_AddItemToArray(entries, entry_json(&merged[i]));
    }
    free(merged);
    for (int p = 0; p < 4; p++)
        outbox_entries_free(parts[p], np[p]);
    cJSON_AddItemToObject(o, "entries", entries);
    char *text = rc ? NULL : cJSON_Print(o);
    cJSON_Delete(o);
    if (!text) {
        fail("%s", "cannot read the outbox");
        return 1;
    }
    puts(text);
    free(text);
    return 0;
}

static int cmd_status(int argc, char **argv)
{
    struct cmd_flags f;
    int rc = parse_cmd(argc, argv, usage_status, TAKES_ALL | TAKES_JSON, &f);
    int all = f.all, json = f.json;
    if (rc)
        return rc < 0 ? 0 : rc;
    struct outbox *ob = open_outbox();
    if (!ob)
        return 1;
    struct outbox_counts c;
    if (outbox_counts(ob, &c)) {
        fail("%s", "cannot read the outbox");
        outbox_close(ob);
        return 1;
    }
    if (json) {
        rc = status_json(ob, &c, all);
        outbox_close(ob);
        return rc;
    }
    printf("agent %s, outbox %s, last seq %lld\n", cfg.agent_id, cfg.outbox, c.last_seq);
    long dpid;
    char state[16] = "";
    if (daemon_running(cfg.outbox, &dpid)) {
        outbox_meta_get(ob, "daemon", state, sizeof state);
        printf("daemon: running (pid %ld), %s\n", dpid, state[0] ? state : "starting");
    } else {
        printf("daemon: not running\n");
    }
    printf("  pending (not sent yet)     %lld\n", c.pending);
    printf("  sent, awaiting answer      %lld\n", c.sent);
    printf("  accepted                   %lld\n", c.acked);
    printf("  rejected                   %lld\n", c.rejected);
    list_today(ob, stdout);
    if (all) {
        list_entries(ob, NULL, "all reports");
    } else {
        list_entries(ob, "pending", "pending");
        list_entries(ob, "sent", "awaiting an answer");
        list_entries(ob, "rejected", "rejected");
        list_recent(ob);
    }
    outbox_close(ob);
    return 0;
}

/* Moves the command word to argv[1], so that options may come before it
 * ("outreach-agent --config F status"). Returns 0; 1 when --help or
 * --version comes before any command; -1 when there is no command. */
static int command_first(int argc, char **argv)
{
    static const char *const with_value[] = {"--config", "--broker", "--agent-id",
                                             "--username", "--password-file", "--outbox",
                                             "--timeout", "--tls-ca-file", "--tls-cert-file",
                                             "--tls-key-file", NULL};
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] != '-') {
            /* Rotate: the words from the command on come first, the options
             * that preceded it go to the end, where getopt still finds them. */
            int lead = i - 1;
            char *tmp[64];
            if (lead > 64)
                return -1;
            memcpy(tmp, &argv[1], (size_t)lead * sizeof *argv);
            memmove(&argv[1], &argv[i], (size_t)(argc - i) * sizeof *argv);
            memcpy(&argv[1 + argc - i], tmp, (size_t)lead * sizeof *argv);
            return 0;
        }
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0 ||
            strcmp(argv[i], "--version") == 0) {
            char *flag = argv[i];
            argv[i] = argv[1];
            argv[1] = flag;
            return 1;
        }
        for (int k = 0; with_value[k]; k++)
            if (strcmp(argv[i], with_value[k]) == 0)
                i++;
    }
    return -1;
}

int main(int argc, char **argv)
{
    if (argc < 2 || command_first(argc, argv) < 0) {
        fputs(usage_main, stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        fputs(usage_main, stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0) {
        puts("outreach-agent 0.1.0");
        return 0;
    }
    if (strcmp(cmd, "volunteer") == 0)
        return volunteer_main(argc - 1, argv + 1); /* its own options, no agent config */
    if (load_defaults(argc, argv))
        return EXIT_USAGE;
    int rc;
    if (strcmp(cmd, "report") == 0)
        rc = cmd_report(argc - 1, argv + 1);
    else if (strcmp(cmd, "void") == 0)
        rc = cmd_void(argc - 1, argv + 1);
    else if (strcmp(cmd, "sync") == 0)
        rc = cmd_sync(argc - 1, argv + 1);
    else if (strcmp(cmd, "status") == 0)
        rc = cmd_status(argc - 1, argv + 1);
    else if (strcmp(cmd, "daemon") == 0)
        rc = cmd_daemon(argc - 1, argv + 1);
    else {
        fail("unknown command '%s' (report, void, sync, status, daemon, volunteer; see "
             "--help)", cmd);
        rc = EXIT_USAGE;
    }
    conf_free_strings(table);
    return rc;
}
