/* volunteer.c -- outreach-agent volunteer: a volunteer's client, as a table
 * of subcommands (common/cli.h).
 *
 * Requests go to ROOT/volunteers/ID/requests with MQTT 5 Response Topic
 * ROOT/volunteers/ID/replies (the one topic the account may read besides the
 * public ones) and Correlation Data; the coordinator's notices arrive on the
 * same replies topic. The MQTT session is kept for 7 days, so notices sent
 * while the volunteer is away wait at the broker for the next run, and every
 * run prints those it receives: once Paho has them, the broker forgets them.
 * The phone number is sent in the profile request and never printed. The
 * subcommands: volunteer_requests.c (profile, register, cancel, list),
 * volunteer_trips.c, volunteer_notices.c. */
#include "volunteer.h"

#include <stddef.h>
#include <string.h>

#include "mqtls.h"
#include "volunteer_priv.h"

static const struct cli_cmd subcommands[] = {
    {"profile", NULL, vol_profile, CLI_NEED_BROKER, "set your name, phone, organization and roles"},
    {"trips", NULL, vol_trips, CLI_NEED_BROKER, "list the planned trips and their open places"},
    {"register", NULL, vol_register, CLI_NEED_BROKER,
     "take a place, or a wait-list position, on a trip"},
    {"cancel", NULL, vol_cancel, CLI_NEED_BROKER, "give up your place on a trip"},
    {"list", NULL, vol_list, CLI_NEED_BROKER, "your registrations"},
    {"notices", NULL, vol_notices, CLI_NEED_BROKER, "show the notices the coordinator sent you"},
    {NULL, NULL, NULL, 0, NULL},
};

static const struct cli_prog prog = {
    .name = "outreach-agent",
    .head = "usage: outreach-agent volunteer SUBCOMMAND [OPTIONS]\n"
            "\n"
            "A volunteer's client: keep your profile, find trips with open places,\n"
            "register for them, and read the coordinator's notices (promotions from the\n"
            "wait-list, cancelled trips).\n"
            "\n"
            "subcommands:\n",
    .tail = "('outreach-agent volunteer SUBCOMMAND --help' for each)\n"
            "\n"
            "options of every subcommand:\n"
            "  --volunteer-id ID    your volunteer id, also your MQTT username (required)\n"
            "  --password-file F    file holding your MQTT password\n"
            "  --broker URI         broker (default tcp://127.0.0.1:1883; TLS: ssl://HOST:8883)\n"
            "  --topic-root R       root of every topic (default outreach/v1)\n"
            "  --timeout S          wait at most S seconds for the coordinator (default 10)\n"
            MQTLS_USAGE
            "  --help               this text, or a subcommand's\n"
            "\n"
            "Notices that arrive while a subcommand runs are printed on stderr (by\n"
            "'notices' on stdout). Your MQTT session is kept for 7 days, so notices sent\n"
            "while you are away are delivered at your next run.\n"
            "\n"
            "exit status: 0 done, 2 bad usage, 3 refused by the coordinator,\n"
            "             1 any other failure (no broker, no reply)\n",
    .column = 12,
    .noun = "volunteer subcommand",
    .see = "'outreach-agent volunteer --help'",
    .cmds = subcommands,
};

int volunteer_main(int argc, char **argv, void *ctx)
{
    static const char *const with_value[] = {"--broker", "--volunteer-id", "--password-file",
                                             "--topic-root", "--timeout", NULL};
    (void)ctx;
    /* Options may come first: "volunteer --volunteer-id v trips". */
    int first = cli_command_first(argc, argv, with_value);
    if (first < 0 || (first > 0 && strcmp(argv[1], "--version") == 0)) {
        cli_usage(&prog, stderr);
        return EXIT_USAGE;
    }
    return cli_dispatch(&prog, argc, argv, NULL);
}
