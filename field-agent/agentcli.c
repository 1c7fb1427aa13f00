/* agentcli.c -- the agent's config and the options every outreach-agent command takes. */
#include "agentcli.h"

#include <stdlib.h>
#include <string.h>

#include "ids.h"
#include "olog.h"
#include "sender.h"
#include "timeutil.h"
#include "topics.h"
#include "tripcards.h"

/* Points c->table's rows at c's fields. */
static void bind_table(struct agent_config *c)
{
    const struct conf_opt rows[] = {
        {"broker", CONF_STR, &c->broker, 0, 0, "broker URI, tcp://host:port or ssl://host:8883"},
        MQTLS_CONF_ROWS(&c->tls),
        {"agent_id", CONF_STR, &c->agent_id, 0, 0, "this device's agent id (team-07)"},
        {"username", CONF_STR, &c->username, 0, 0, "MQTT username (default: agent_id)"},
        {"password_file", CONF_STR, &c->password_file, 0, 0, "file holding the MQTT password"},
        {"outbox", CONF_STR, &c->outbox, 0, 0, "the outbox file"},
        {"trip", CONF_STR, &c->trip, 0, 0, "trip reports belong to, unless --trip says"},
        {"topic_root", CONF_STR, &c->topic_root, 0, 0, "root of every topic"},
        {"ack_timeout_s", CONF_INT, &c->ack_timeout_s, 1, 3600, "wait this long for acks"},
        {"connect_timeout_s", CONF_INT, &c->connect_timeout_s, 1, 600,
         "wait this long to connect"},
        {"window", CONF_INT, &c->window, 1, 1000, "reports in flight at once"},
        {"resend_s", CONF_INT, &c->resend_s, 1, 3600,
         "daemon: send again when unanswered so long"},
        {"log_level", CONF_STR, &c->log_level, 0, 0, "daemon: debug, info, warn or error"},
        {"offline", CONF_BOOL, &c->offline, 0, 0, "only queue, never connect"},
        {"site_port", CONF_INT, &c->site_port, 1, 65535, "daemon: serve the site app on this port"},
        {"site_listen", CONF_STR, &c->site_listen, 0, 0, "daemon: site app address (127.0.0.1)"},
        {"site_passcode", CONF_STR, &c->site_passcode, 0, 0, "site app passcode (else generated)"},
        {"site_passcode_file", CONF_STR, &c->site_passcode_file, 0, 0, "file with the passcode"},
        {"site_fold_s", CONF_INT, &c->site_fold_s, 1, 3600, "fold taps into headcounts this often"},
        {"site_session_h", CONF_INT, &c->site_session_h, 1, 168,
         "site app session lifetime, hours"},
        {"site_formulary", CONF_STR, &c->site_formulary, 0, 0,
         "medicine names (one a line) to suggest"},
        {NULL, CONF_STR, NULL, 0, 0, NULL},
    };
    _Static_assert(sizeof rows / sizeof rows[0] == AGENTCFG_ROWS, "AGENTCFG_ROWS is the table's size");
    memcpy(c->table, rows, sizeof rows);
}

int agentcfg_set(struct agent_config *c, const char *name, const char *value)
{
    char err[CONF_ERR_MAX];
    if (conf_set(c->table, name, value, err)) {
        cli_fail("%s", err);
        return -1;
    }
    return 0;
}

int agentcfg_load(struct agent_config *c, int argc, char **argv)
{
    char err[CONF_ERR_MAX];
    memset(c, 0, sizeof *c);
    bind_table(c);
    c->outbox = strdup("outreach-outbox.db");
    c->topic_root = strdup(TOPIC_ROOT_DEFAULT);
    c->ack_timeout_s = 10;
    c->connect_timeout_s = 5;
    c->window = SEND_WINDOW_DEFAULT;
    c->resend_s = 10;
    c->site_fold_s = 60;
    c->site_session_h = 12;
    const char *path = getenv("OUTREACH_AGENT_CONFIG");
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            path = argv[++i];
        else if (strncmp(argv[i], "--config=", 9) == 0)
            path = argv[i] + 9;
    }
    if (path && conf_load(path, c->table, err)) {
        cli_fail("%s", err);
        return -1;
    }
    return 0;
}

void agentcfg_free(struct agent_config *c)
{
    if (c && c->table[0].name)
        conf_free_strings(c->table);
}

const char *const agent_with_value[] = {"--config", "--broker", "--agent-id", "--username",
                                        "--password-file", "--outbox", "--timeout",
                                        "--tls-ca-file", "--tls-cert-file", "--tls-key-file",
                                        NULL};

const struct option agent_common_opts[AGENT_N_COMMON] = {
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

int agent_common_option(struct agent_config *c, int code)
{
    const char *key = NULL, *value = optarg;
    switch (code) {
    case O_CONFIG: return 1; /* loaded before parsing */
    case O_BROKER: key = "broker"; break;
    case O_AGENT: key = "agent_id"; break;
    case O_USER: key = "username"; break;
    case O_PWFILE: key = "password_file"; break;
    case O_OUTBOX: key = "outbox"; break;
    case O_TIMEOUT: key = "ack_timeout_s"; break;
    case O_OFFLINE: c->offline = true; return 1;
    default: key = mqtls_flag_key(code, optarg, &value); break;
    }
    return !key ? 0 : agentcfg_set(c, key, value) ? -1 : 1;
}

int agent_check(const struct agent_config *c)
{
    if (!c->agent_id) {
        cli_fail("%s", "no agent id: set agent_id in the config file or pass --agent-id");
        return -1;
    }
    if (!id_is_agent(c->agent_id)) {
        cli_fail("agent id '%s' must be 1 to 64 of a-z, 0-9, '_' and '-'", c->agent_id);
        return -1;
    }
    /* A TLS option with a plain broker URI is a mistake to say at once. */
    return c->broker && cli_check_tls_usage(c->broker, &c->tls) ? -1 : 0;
}

int agent_parse_cmd(struct agent_config *c, int argc, char **argv, const char *usage,
                    unsigned takes, struct cmd_flags *f)
{
    struct option opts[AGENT_N_COMMON + 4];
    size_t n = 0;
    memset(f, 0, sizeof *f);
    for (size_t i = 0; i < AGENT_N_COMMON; i++)
        opts[n++] = agent_common_opts[i];
    if (takes & TAKES_ALL)
        opts[n++] = (struct option){"all", no_argument, NULL, O_ALL};
    if (takes & TAKES_JSON)
        opts[n++] = (struct option){"json", no_argument, NULL, O_JSON};
    if (takes & TAKES_REASON)
        opts[n++] = (struct option){"reason", required_argument, NULL, O_REASON};
    opts[n] = (struct option){NULL, 0, NULL, 0};
    int code;
    optind = 1;
    while ((code = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        int r = agent_common_option(c, code);
        if (r < 0)
            return EXIT_USAGE;
        if (r > 0)
            continue;
        if (code == O_HELP) {
            fputs(usage, stdout);
            return -1;
        }
        if (code == O_ALL)
            f->all = 1;
        else if (code == O_JSON)
            f->json = 1;
        else if (code == O_REASON)
            f->reason = optarg;
        else {
            return cli_usage_try(usage);
        }
    }
    if ((takes & TAKES_ARG) && optind < argc)
        f->arg = argv[optind++];
    if (optind < argc) {
        cli_fail("unexpected argument '%s'", argv[optind]);
        return EXIT_USAGE;
    }
    return agent_check(c) ? EXIT_USAGE : 0;
}

struct outbox *agent_open_outbox(const struct agent_config *c)
{
    struct outbox *ob = NULL;
    char err[256];
    if (outbox_open(c->outbox, c->agent_id, &ob, err)) {
        cli_fail("%s", err);
        return NULL;
    }
    return ob;
}

void agent_list_today(struct outbox *ob, FILE *f)
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
