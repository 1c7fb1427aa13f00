/* cli_run.c -- `outreach-coordinator run`: the daemon's options, the checks
 * that must pass before it starts (the store exists unless --init), then
 * service_run until SIGINT or SIGTERM. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "alerts_run.h"
#include "cli_cmds.h"
#include "conf.h"
#include "ids.h"
#include "mq.h"
#include "mqtls.h"
#include "olog.h"

static const char usage_run[] =
    "usage: outreach-coordinator run --db FILE [--init] [--broker URI] [--config FILE]\n"
    "                                [--username U --password-file F] [--log-level L]\n"
    "                                [--tls-ca-file F [--tls-cert-file F --tls-key-file F]]\n"
    "\n"
    "  --broker URI         broker to use (default tcp://127.0.0.1:1883; TLS:\n"
    "                       ssl://HOST:8883 or mqtts://HOST:8883)\n"
    "  --db FILE|URI        SQLite store (it must exist unless --init is given), or a\n"
    "                       PostgreSQL database, postgresql://USER@HOST:PORT/DB (the\n"
    "                       password from PGPASSFILE or ~/.pgpass; the tables are\n"
    "                       made and upgraded at start; several coordinators may\n"
    "                       share it, docs/deployment-postgresql.md)\n"
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
    "Stops cleanly on SIGINT or SIGTERM.\n"
    "\n"
    "Exit status: 0 stopped, 1 could not start (or failed), 2 bad usage, 3 the store\n"
    "is damaged (found at start or while storing a batch): restarting would not\n"
    "help; see 'outreach-coordinator check --help'.\n";

static volatile sig_atomic_t stop_flag;
static void on_signal(int sig) { stop_flag = sig; }

/* The command line over the config (loaded by main.c). Returns 0, 1 after
 * --help (printed), or EXIT_USAGE after saying what is wrong. */
static int parse(int argc, char **argv, struct coord_config *cfg, const struct conf_opt *table)
{
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
        case 'i': cfg->init = true; break;
        case 'c': break;
        case 'h': fputs(usage_run, stdout); return 1;
        default:
            if ((name = mqtls_flag_key(c, optarg, &value)))
                break;
            return cli_usage_try(usage_run);
        }
        if (name && conf_set(table, name, value, err))
            return cli_usage_error(usage_run, "%s", err);
    }
    if (optind < argc)
        return cli_usage_error(usage_run, "unexpected argument '%s'", argv[optind]);
    if (!cfg->db || !*cfg->db)
        return cli_usage_error(usage_run, "%s", cfg->db ? "--db is empty: name the store's file"
                                                        : "--db FILE is required");
    if (olog_parse_level(cfg->log_level) < 0)
        return cli_usage_error(usage_run, "unknown log level '%s'", cfg->log_level);
    struct alert_rules rules;
    char aerr[160];
    if (alerts_rules_of(cfg, &rules, aerr))
        return cli_usage_error(usage_run, "%s", aerr);
    if (cfg->password_file && !cfg->username)
        return cli_usage_error(usage_run, "%s", "--password-file needs --username");
    if (cli_check_tls_usage(cfg->broker, &cfg->tls)) {
        return cli_usage_try(usage_run);
    }
    return 0;
}

/* A mistyped path must not start an empty store: every report for the
 * site's trips would then be refused for good (unknown_trip). Returns 0
 * when the store may be opened (or created: --init). */
static int check_store(const struct coord_config *cfg)
{
    if (store_is_server(cfg->db)) /* a database that does not exist is refused by the server */
        return 0;
    struct stat dbst;
    int dbst_rc = stat(cfg->db, &dbst);
    if (!cfg->init && dbst_rc != 0 && errno == ENOENT) {
        cli_fail("no store at %s; pass --init to create a new one (or set init = true in the "
                 "config)", cfg->db);
        return 1;
    }
    /* SQLite takes an empty file for a new database: the same silent fresh
     * store as a missing one. */
    if (!cfg->init && dbst_rc == 0 && S_ISREG(dbst.st_mode) && dbst.st_size == 0) {
        cli_fail("the store %s is an empty file; pass --init to create a new store in it",
                 cfg->db);
        return 1;
    }
    return 0;
}

/* The client id and the shared-subscription group. Returns 0, 1 or
 * EXIT_USAGE after saying what is wrong. */
static int identity(struct coord_config *cfg)
{
    /* The broker accepts from an account only the client id USERNAME or
     * USERNAME.SUFFIX (broker-plugin/outreach_policy.c): the username is the
     * natural default. Without a username (a development broker that allows
     * anonymous clients) the old fixed id stays. */
    if (!cfg->client_id)
        cfg->client_id = strdup(cfg->username ? cfg->username : "outreach-coordinator");
    if (!cfg->client_id) {
        cli_fail("%s", "out of memory");
        return 1;
    }
    if (cfg->share_group_file) {
        /* Optional since the broker lets only the coordinator account join
         * a $share group (dynamic security); a site may still name its own. */
        char merr[MQ_ERR_MAX];
        char *group = mq_read_secret(cfg->share_group_file, merr);
        if (!group) {
            cli_fail("%s", merr);
            return 1;
        }
        free(cfg->share_group);
        cfg->share_group = group;
    }
    if (!id_is_code(cfg->share_group))
        return cli_usage_error(usage_run, "%s", "share_group must be 1 to 64 of A-Z, a-z, 0-9, "
                                                "'.', '_' and '-'");
    return 0;
}

int cli_run(int argc, char **argv, void *ctx)
{
    struct coord_cli *c = ctx;
    struct coord_config *cfg = &c->cfg;
    int rc = parse(argc, argv, cfg, c->table);
    if (rc)
        return rc == 1 ? 0 : rc;
    char terr[MQ_ERR_MAX];
    if (mq_tls_check_files(&cfg->tls, terr)) { /* a daemon would retry for ever */
        cli_fail("%s", terr);
        return 1;
    }
    if ((rc = check_store(cfg)) || (rc = identity(cfg)))
        return rc;
    olog_set_level((enum olog_level)olog_parse_level(cfg->log_level));
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    return service_run(cfg, &stop_flag); /* 0, 1, or EXIT_REFUSED on a damaged store */
}
