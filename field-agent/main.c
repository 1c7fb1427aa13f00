/* main.c -- outreach-agent: record reports at a site, keep them in the outbox,
 * send them when the network allows. The commands live in cmd_*.c and
 * volunteer*.c; this file is their table. */
#include <stddef.h>

#include "cli.h"
#include "commands.h"
#include "mqtls.h"
#include "volunteer.h"

static const struct cli_cmd commands[] = {
    {"report", "KIND", cmd_report, CLI_NEED_CONFIG | CLI_NEED_BROKER,
     "record a report: headcount, dispense, referral, education,\n"
     "checkin or void ('outreach-agent report KIND --help')"},
    {"void", "N", cmd_void, CLI_NEED_CONFIG | CLI_NEED_BROKER,
     "cancel entry number N of this outbox (see 'status') with\n"
     "--reason TEXT ('outreach-agent void --help')"},
    {"sync", NULL, cmd_sync, CLI_NEED_CONFIG | CLI_NEED_BROKER,
     "send every report still waiting in the outbox and fetch\n"
     "the trip cards"},
    {"daemon", NULL, cmd_daemon, CLI_NEED_CONFIG | CLI_NEED_BROKER,
     "keep sending in the background: one connection, resends,\n"
     "reconnects; 'report' then saves and leaves sending to it"},
    {"status", NULL, cmd_status, CLI_NEED_CONFIG,
     "show what is pending, answered and rejected, and what each\n"
     "entry contained (--all, --json)"},
    /* Its own options, no agent config. */
    {"volunteer", "SUB", volunteer_main, CLI_NEED_BROKER,
     "a volunteer's client: profile, trips, register, cancel, list,\n"
     "notices (own options: 'outreach-agent volunteer --help')"},
    {NULL, NULL, NULL, 0, NULL},
};

/* Loads the defaults and the settings file for a command that needs them. */
static int setup(const struct cli_cmd *cmd, int argc, char **argv, void *ctx)
{
    if (!(cmd->needs & CLI_NEED_CONFIG))
        return 0;
    return agentcfg_load(ctx, argc, argv) ? EXIT_USAGE : 0;
}

static void teardown(const struct cli_cmd *cmd, void *ctx)
{
    if (cmd->needs & CLI_NEED_CONFIG)
        agentcfg_free(ctx);
}

static const struct cli_prog prog = {
    .name = "outreach-agent",
    .version = "0.1.0",
    .head = "usage: outreach-agent COMMAND [OPTIONS]\n"
            "\n"
            "Records what a field team does at a free-clinic site; works without signal.\n"
            "\n"
            "commands:\n",
    .tail = "\n"
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
            "             that cannot be voided), 1 any other failure\n",
    .column = 16,
    .see = "--help",
    .cmds = commands,
    .setup = setup,
    .teardown = teardown,
};

int main(int argc, char **argv)
{
    struct agent_config cfg = {0};
    /* Options may come before the command: "outreach-agent --config F status". */
    if (cli_command_first(argc, argv, agent_with_value) < 0) {
        cli_set_progname(prog.name);
        cli_usage(&prog, stderr);
        return EXIT_USAGE;
    }
    return cli_dispatch(&prog, argc, argv, &cfg);
}
