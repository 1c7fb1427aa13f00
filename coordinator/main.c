/* main.c -- outreach-coordinator: the command tables of the daemon (run) and
 * the staff's CLI; each command is in its own cli_*.c file. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_cmds.h"
#include "conf.h"

#define PROG "outreach-coordinator"

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
            cli_fail("%s", err);
            return -1;
        }
    }
    return 0;
}

static int setup(const struct cli_cmd *cmd, int argc, char **argv, void *ctx)
{
    struct coord_cli *c = ctx;
    /* getopt names argv[0] in its messages ("unrecognized option"): the
     * program, as every other message of ours does, not the command word */
    argv[0] = (char *)PROG;
    if (cmd->needs & CLI_NEED_CONFIG) {
        coord_config_defaults(&c->cfg);
        c->table = coord_config_table(&c->cfg);
        if (load_config(argc, argv, c->table))
            return EXIT_USAGE;
    }
    return 0;
}

static void teardown(const struct cli_cmd *cmd, void *ctx)
{
    (void)cmd;
    struct coord_cli *c = ctx;
    store_close(c->store);
    c->store = NULL;
    if (c->table)
        conf_free_strings(c->table);
    c->table = NULL;
}

/* ---- trip SUBCOMMAND ------------------------------------------------------ */

static const struct cli_cmd trip_cmds[] = {
    {"show", NULL, cli_trip_show, CLI_NEED_STORE,
     "the trip, its roster per role (with phone numbers), who came\n"
     "without registering, and attendance"},
    {"create", NULL, cli_trip_create, CLI_NEED_BROKER,
     "create a trip, or change one (a trip.upsert request)"},
    {"cancel", NULL, cli_trip_cancel, CLI_NEED_BROKER,
     "cancel a planned trip; its registrants get a notice"},
    {"complete", NULL, cli_trip_complete, CLI_NEED_BROKER, "mark a trip as held"},
    {NULL, NULL, NULL, 0, NULL},
};

static const struct cli_prog trip_prog = {
    .name = PROG,
    .head = "usage: outreach-coordinator trip show ID --db FILE [--json]\n"
            "       outreach-coordinator trip create (--json FILE | --id ID --title T ...) "
            "[MQTT options]\n"
            "       outreach-coordinator trip cancel ID [--reason TEXT] [MQTT options]\n"
            "       outreach-coordinator trip complete ID [MQTT options]\n"
            "\n",
    .tail = "\n"
            "create, cancel and complete are sent to the running coordinator (which\n"
            "alone writes the store) as admin requests over MQTT, and wait for its reply.\n"
            "'outreach-coordinator trip SUBCOMMAND --help' tells more about each.\n",
    .noun = "trip subcommand",
    .cmds = trip_cmds,
    .setup = setup,
    .teardown = teardown,
};

static int cli_trip(int argc, char **argv, void *ctx)
{
    return cli_dispatch(&trip_prog, argc, argv, ctx);
}

/* ---- outreach-coordinator COMMAND ------------------------------------------ */

static const struct cli_cmd cmds[] = {
    {"run", NULL, cli_run, CLI_NEED_CONFIG | CLI_NEED_STORE | CLI_NEED_BROKER,
     "run the daemon (MQTT in, SQLite store, acks and progress out)"},
    {"progress", NULL, cli_progress, CLI_NEED_CONFIG | CLI_NEED_STORE,
     "print the year's progress toward the targets"},
    {"export", NULL, cli_export, CLI_NEED_CONFIG | CLI_NEED_STORE,
     "write accepted reports as CSV for spreadsheets (a year, county or\n"
     "span of days), or the months as a DHIS2 data value set"},
    {"report", NULL, cli_report, CLI_NEED_CONFIG | CLI_NEED_STORE,
     "write the year's (or a month's) report to file and send on: xlsx,\n"
     "CSV, or HTML to print"},
    {"agents", NULL, cli_agents, CLI_NEED_STORE,
     "list the field agents: online or not, last seen, missing seqs"},
    {"alerts", NULL, cli_alerts, CLI_NEED_STORE,
     "list the open alerts: silent sites, counties behind, seq gaps\n"
     "(--all: the cleared ones too)"},
    {"trips", NULL, cli_trips, CLI_NEED_STORE,
     "list the trips with their places per role (confirmed, wait-listed)"},
    {"check", NULL, cli_check, 0,
     "check the whole store for damage (PRAGMA integrity_check)"},
    {"rebuild", NULL, cli_rebuild, 0,
     "compute every figure again from the reports (daemon stopped)"},
    {"trip", NULL, cli_trip, 0,
     "show a trip's roster and attendance (trip show), or create,\n"
     "cancel or complete a trip through the running coordinator"},
    {"villages", NULL, cli_villages, 0,
     "import the register of villages (villages import FILE.csv)\n"
     "through the running coordinator"},
    {"targets", NULL, cli_targets, 0,
     "set or unset a county's or township's targets for a year through\n"
     "the running coordinator (targets set|unset), or list them"},
    {"coverage", NULL, cli_coverage, CLI_NEED_CONFIG | CLI_NEED_STORE,
     "poor villages reached this year, per county and township, and\n"
     "those not reached yet"},
    {NULL, NULL, NULL, 0, NULL},
};

static const struct cli_prog prog = {
    .name = PROG,
    .version = "0.1.0",
    .head = "usage: outreach-coordinator COMMAND [OPTIONS]\n"
            "\n"
            "Counts the field teams' reports exactly once and publishes the year's progress.\n"
            "\n"
            "commands:\n",
    .tail = "\n'outreach-coordinator COMMAND --help' tells more about each.\n",
    .cmds = cmds,
    .setup = setup,
    .teardown = teardown,
};

int main(int argc, char **argv)
{
    struct coord_cli c = {0};
    return cli_dispatch(&prog, argc, argv, &c);
}
