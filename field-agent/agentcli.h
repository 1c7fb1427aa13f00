/* agentcli.h -- what the outreach-agent commands share: the agent's config
 * (settings file, then flags), the options of every command, the checks
 * before a command runs, and opening the outbox. The config is a value each
 * command is handed, not a global. */
#ifndef OUTREACH_AGENTCLI_H
#define OUTREACH_AGENTCLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "cli.h"
#include "conf.h"
#include "mq.h"
#include "mqtls.h"
#include "outbox.h"

/* Rows of the config table, the terminating one included. */
#define AGENTCFG_ROWS 25

struct agent_config {
    char *broker, *agent_id, *username, *password_file, *outbox, *trip, *topic_root;
    long long ack_timeout_s, connect_timeout_s, window, resend_s;
    char *log_level;
    bool offline;
    struct mq_tls tls; /* for an ssl:// or mqtts:// broker */
    /* The site app (daemon only): off unless site_port is set. */
    char *site_listen, *site_passcode, *site_passcode_file, *site_formulary;
    long long site_port, site_fold_s, site_session_h;
    /* The settings file's keys, bound to the fields above. */
    struct conf_opt table[AGENTCFG_ROWS];
};

/* Fills c with the defaults, then reads the settings file: --config FILE in
 * argv, else $OUTREACH_AGENT_CONFIG, if either is given. Returns 0, or -1
 * (said on stderr); agentcfg_free(c) in both cases. */
int agentcfg_load(struct agent_config *c, int argc, char **argv);
/* Frees the strings of c. NULL-safe. */
void agentcfg_free(struct agent_config *c);
/* Sets the key name from text, as a flag does. Returns 0, or -1 (said). */
int agentcfg_set(struct agent_config *c, const char *name, const char *value);

/* getopt_long codes of the options. */
enum { O_CONFIG = 1000, O_BROKER, O_AGENT, O_USER, O_PWFILE, O_OUTBOX, O_TIMEOUT, O_OFFLINE,
       O_TRIP, O_HELP, O_ALL, O_JSON, O_FORCE_TRIP, O_REASON, O_FIELD };

/* The options of every command, for a getopt_long table. */
#define AGENT_N_COMMON (9 + MQTLS_N_LONG_OPTIONS)
extern const struct option agent_common_opts[AGENT_N_COMMON];
/* Those of them that take a value (for cli_command_first), NULL-terminated. */
extern const char *const agent_with_value[];

/* Handles a common option (optarg its value); returns 1 when it was one,
 * 0 when not, -1 on a bad value (said). */
int agent_common_option(struct agent_config *c, int code);

/* What a command takes besides the common options. */
enum { TAKES_ALL = 1, TAKES_JSON = 2, TAKES_REASON = 4, TAKES_ARG = 8 };
struct cmd_flags {
    int all, json;
    const char *reason, *arg; /* --reason; the one word after the command */
};

/* Parses the common options and those `takes` names into c and f, then
 * checks the agent id and the TLS options. Returns 0, -1 after --help
 * (usage printed), or EXIT_USAGE. */
int agent_parse_cmd(struct agent_config *c, int argc, char **argv, const char *usage,
                    unsigned takes, struct cmd_flags *f);

/* A missing or malformed agent id, or a TLS option with a plain broker URI.
 * Returns 0, or -1 (said). */
int agent_check(const struct agent_config *c);

/* Opens c's outbox. NULL when it cannot (said). */
struct outbox *agent_open_outbox(const struct agent_config *c);

/* Prints the trips the device knows for today (site time) to f. */
void agent_list_today(struct outbox *ob, FILE *f);

#endif
