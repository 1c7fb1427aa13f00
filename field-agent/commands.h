/* commands.h -- the outreach-agent commands, one file each (cmd_*.c); main.c
 * lists them in its command table. Each takes the agent's config (defaults
 * and settings file already loaded) and argv from the command word on, and
 * returns the exit status. */
#ifndef OUTREACH_COMMANDS_H
#define OUTREACH_COMMANDS_H

#include "agentcli.h"

int cmd_report(struct agent_config *cfg, int argc, char **argv);
int cmd_void(struct agent_config *cfg, int argc, char **argv);
int cmd_sync(struct agent_config *cfg, int argc, char **argv);
int cmd_daemon(struct agent_config *cfg, int argc, char **argv);
int cmd_status(struct agent_config *cfg, int argc, char **argv);

#endif
