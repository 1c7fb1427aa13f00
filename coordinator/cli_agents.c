/* cli_agents.c -- `outreach-coordinator agents`: every field agent known,
 * online or not, last seen, the seqs that never arrived. */
#include <stdio.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "agents.h"
#include "cli_cmds.h"

static const char usage_agents[] =
    "usage: outreach-coordinator agents --db FILE [--json]\n"
    "\n"
    "Lists every agent known from its reports or its status topic, sorted by id:\n"
    "online or offline (its last birth or will), when it was last seen (its latest\n"
    "report or birth), the highest seq seen, the pending count it reported, and\n"
    "the seqs from 1 to the highest that never arrived (reports still on their way).\n"
    "\n"
    "  --db FILE        the coordinator's store\n"
    "  --json           the same as JSON\n";

int cli_agents(int argc, char **argv, void *ctx)
{
    struct coord_db_opts o = {0};
    int rc = coord_cli_db_opts(argc, argv, usage_agents, DBO_JSON, &o);
    if (rc)
        return rc == 1 ? 0 : rc;
    if (!o.db)
        return cli_usage_error(usage_agents, "%s", "--db FILE is required");
    struct store *s = coord_cli_store(ctx, o.db);
    if (!s)
        return 1;
    cJSON *list = agents_json(s);
    if (!list) {
        coord_cli_read_failed(s, o.db);
        return 1;
    }
    if (o.json) {
        char *p = cJSON_Print(list);
        if (p)
            puts(p);
        free(p);
    } else {
        agents_print_table(list, stdout);
    }
    cJSON_Delete(list);
    return 0;
}
