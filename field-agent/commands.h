/* commands.h -- the outreach-agent commands, one file each (cmd_*.c); main.c
 * lists them in its command table (common/cli.h). Each takes argv from the
 * command word on and, as ctx, the agent's struct agent_config (defaults and
 * settings file already loaded), and returns the exit status. */
#ifndef OUTREACH_COMMANDS_H
#define OUTREACH_COMMANDS_H

#include "agentcli.h"

int cmd_report(int argc, char **argv, void *ctx);
int cmd_void(int argc, char **argv, void *ctx);
int cmd_sync(int argc, char **argv, void *ctx);
int cmd_daemon(int argc, char **argv, void *ctx);
int cmd_status(int argc, char **argv, void *ctx);

#endif
