/* cli_check.c -- `outreach-coordinator check`: the whole store checked for
 * damage (the check every open makes covers only what is cheap), with what
 * is wrong and what to do. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_cmds.h"
#include "olog.h"

static const char usage_check[] =
    "usage: outreach-coordinator check --db FILE [--quick]\n"
    "\n"
    "Reads every page of the store and checks it (SQLite's PRAGMA integrity_check):\n"
    "its B-trees, and that every index agrees with its table. Opening the store\n"
    "(run and every other command) checks only its header, schema and small tables,\n"
    "so that start-up costs the same at ten million reports as at none; run this\n"
    "after a crash of the machine, a full disk, or before and after moving the store.\n"
    "It only reads, and is safe while the coordinator runs (its WAL file grows until\n"
    "the check ends). Per million reports it takes about a second of CPU (half\n"
    "that with --quick), longer when the file must be read from disk.\n"
    "\n"
    "  --db FILE        the coordinator's store\n"
    "  --quick          PRAGMA quick_check: the same without comparing indexes\n"
    "                   with their tables (faster, misses a damaged index)\n"
    "\n"
    "Exit status: 0 no damage found, 1 damaged (or it could not be checked), 2 bad usage.\n";

/* One row of the check may hold several lines ("*** in database main ***",
 * then a line per damaged page): each is printed on its own, escaped. */
static int print_problem(void *ctx, const char *problem)
{
    (void)ctx;
    while (*problem) {
        size_t n = strcspn(problem, "\n");
        char raw[512], line[1024];
        snprintf(raw, sizeof raw, "%.*s", (int)(n < sizeof raw ? n : sizeof raw - 1), problem);
        olog_escape(line, sizeof line, raw);
        if (*raw && strncmp(raw, "*** in database", 15) != 0)
            fprintf(stderr, "  damage: %s\n", line);
        problem += n + (problem[n] == '\n');
    }
    return 0;
}

int cli_check(int argc, char **argv, void *ctx)
{
    (void)ctx;
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                          {"quick", no_argument, NULL, 'q'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
    const char *db = NULL;
    bool quick = false;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'q': quick = true; break;
        case 'h': fputs(usage_check, stdout); return 0;
        default: return cli_usage_try(usage_check);
        }
    }
    if (optind < argc)
        return cli_usage_error(usage_check, "unexpected argument '%s'", argv[optind]);
    if (!db || !*db)
        return cli_usage_error(usage_check, "%s", "--db FILE is required");
    const char *how = quick ? "quick_check" : "integrity_check";
    char err[256] = "";
    oerr_t e = store_check(db, quick, print_problem, NULL, err);
    if (e == OERR_OK) {
        printf("store %s: no damage found (PRAGMA %s)\n", db, how);
        return 0;
    }
    if (e != OERR_CORRUPT) {
        cli_fail("%s", err);
        return 1;
    }
    cli_fail("store %s is damaged (PRAGMA %s: %s).\n"
             "What to do: stop the coordinator; move %s and its -wal and -shm files aside\n"
             "(keep them) and put the latest backup in its place (docs/deployment.md);\n"
             "reports acknowledged after that backup are not in it. To salvage what can\n"
             "still be read, SQLite's shell can .recover it into a new file; check that\n"
             "file with this command before using it.", db, how, err, db);
    return 1;
}
