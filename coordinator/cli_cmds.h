/* cli_cmds.h -- the coordinator's commands (one file each, cli_*.c) and what
 * main.c's command tables set up for them (struct coord_cli). */
#ifndef OUTREACH_CLI_CMDS_H
#define OUTREACH_CLI_CMDS_H

#include <stdbool.h>

#include "cli.h"
#include "service.h"
#include "store.h"

/* What a command needs (CLI_NEED_* in its table row), set up by main.c
 * before the handler and undone after it. */
struct coord_cli {
    /* CLI_NEED_CONFIG: defaults, then --config FILE (flags win over it) */
    struct coord_config cfg;
    const struct conf_opt *table; /* NULL when not loaded */
    /* CLI_NEED_STORE: opened by coord_cli_store once the options are read,
     * closed after the command */
    struct store *store;
};

/* Opens the existing store db for the command (never creates one: a typo
 * in --db must not make an empty store and report zeros); it is closed
 * after the command. NULL, after saying why, when there is none or it
 * cannot be opened. */
struct store *coord_cli_store(struct coord_cli *c, const char *db);

/* Says that reading the store db failed, and, when SQLite found it damaged,
 * to run `check`. */
void coord_cli_read_failed(struct store *s, const char *db);

/* --county C of report and export: 0 when some trip (of year, or of any year
 * when year is 0) is in county C; else says so and how to list the counties
 * and returns EXIT_USAGE (1 when the store failed, said too). */
int coord_cli_county_check(struct store *s, const char *db, int year, const char *county);

/* The options of the commands that read the store: --db FILE, --help, and
 * those of takes (enum coord_db_opt). */
enum coord_db_opt {
    DBO_JSON = 1u << 0,   /* --json */
    DBO_YEAR = 1u << 1,   /* --year Y, 1970 to 9999 */
    DBO_CSV = 1u << 2,    /* --csv */
    DBO_OUTPUT = 1u << 3, /* --output FILE */
    DBO_CONFIG = 1u << 4, /* --config FILE (main.c has loaded it) */
    DBO_ARG = 1u << 5,    /* one positional argument may follow */
    DBO_COUNTY = 1u << 6, /* --county C, a county code */
    DBO_DATES = 1u << 7,  /* --from DATE, --to DATE (as given: the caller checks them) */
    DBO_BOM = 1u << 8,    /* --bom */
    DBO_REPORT = 1u << 9, /* --format F, --month M (1 to 12), --section S, --mapping FILE */
};
struct coord_db_opts {
    const char *db, *output; /* NULL when not given; point into argv */
    int year;                /* 0 when not given */
    bool json, csv;
    const char *county, *from, *to; /* NULL when not given; point into argv */
    bool bom;
    const char *format, *section, *mapping; /* NULL when not given; point into argv */
    int month;                              /* 0 when not given */
};
/* Parses argv (argv[0] the command word) into o, which the caller zeroes.
 * Returns 0 (optind at the positional argument, if any), 1 after --help
 * (usage printed on stdout), or EXIT_USAGE after saying what is wrong. */
int coord_cli_db_opts(int argc, char **argv, const char *usage, unsigned takes,
                      struct coord_db_opts *o);

/* Handlers of struct cli_cmd: argv[0] is the command word, ctx a struct
 * coord_cli; each returns the exit status (0 done, 2 bad usage or invalid
 * input, 3 refused by the coordinator, 1 any other failure). */
int cli_run(int argc, char **argv, void *ctx);            /* cli_run.c */
int cli_progress(int argc, char **argv, void *ctx);       /* cli_progress.c */
int cli_export(int argc, char **argv, void *ctx);         /* cli_export.c */
int cli_agents(int argc, char **argv, void *ctx);         /* cli_agents.c */
int cli_alerts(int argc, char **argv, void *ctx);         /* cli_alerts.c */
int cli_trips(int argc, char **argv, void *ctx);          /* cli_trips.c */
int cli_check(int argc, char **argv, void *ctx);          /* cli_check.c */
int cli_rebuild(int argc, char **argv, void *ctx);        /* cli_rebuild.c */
int cli_report(int argc, char **argv, void *ctx);         /* cli_report.c */
int cli_trip_show(int argc, char **argv, void *ctx);      /* cli_trip_show.c */
int cli_trip_create(int argc, char **argv, void *ctx);    /* cli_trip_admin.c */
int cli_trip_cancel(int argc, char **argv, void *ctx);    /* cli_trip_admin.c */
int cli_trip_complete(int argc, char **argv, void *ctx);  /* cli_trip_admin.c */
int cli_villages(int argc, char **argv, void *ctx);       /* cli_reach.c */
int cli_targets(int argc, char **argv, void *ctx);        /* cli_reach.c */
int cli_coverage(int argc, char **argv, void *ctx);       /* cli_reach.c */

#endif
