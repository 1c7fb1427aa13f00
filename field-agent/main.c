/* main.c -- outreach-agent: record reports at a site, keep them in the outbox,
 * send them when the network allows. The commands live in cmd_*.c (and
 * volunteer*.c); this file is their table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "mqtls.h"
#include "volunteer.h"

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
            if (strcmp(argv[i], with_value[k]) == 0) {
                i++; /* its value; argv[i] may now be the NULL at argv[argc] */
                break;
            }
    }
    return -1;
}

/* The commands that run with the agent's config ('volunteer' has its own). */
static const struct command {
    const char *name;
    int (*run)(struct agent_config *cfg, int argc, char **argv);
} commands[] = {
    {"report", cmd_report}, {"void", cmd_void}, {"sync", cmd_sync},
    {"status", cmd_status}, {"daemon", cmd_daemon}, {NULL, NULL},
};

int main(int argc, char **argv)
{
    if (argc < 2 || command_first(argc, argv) < 0) {
        fputs(usage_main, stderr);
        return EXIT_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
        fputs(usage_main, stdout);
        return 0;
    }
    if (strcmp(name, "--version") == 0) {
        puts("outreach-agent 0.1.0");
        return 0;
    }
    if (strcmp(name, "volunteer") == 0)
        return volunteer_main(argc - 1, argv + 1); /* its own options, no agent config */
    struct agent_config cfg;
    int rc = EXIT_USAGE;
    if (agentcfg_load(&cfg, argc, argv))
        goto done;
    const struct command *cmd = commands;
    while (cmd->name && strcmp(cmd->name, name) != 0)
        cmd++;
    if (cmd->name)
        rc = cmd->run(&cfg, argc - 1, argv + 1);
    else
        agent_fail("unknown command '%s' (report, void, sync, status, daemon, volunteer; see "
                   "--help)", name);
done:
    agentcfg_free(&cfg);
    return rc;
}
