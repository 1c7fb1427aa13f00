/* cli_rebuild.c -- `outreach-coordinator rebuild`: every figure computed
 * again from the reports, when asked (the coordinator keeps them as reports
 * arrive, and rebuilds at start only what is missing or what an older
 * coordinator left behind). */
#include <getopt.h>
#include <stdio.h>
#include <sys/stat.h>

#include "cli_cmds.h"
#include "timeutil.h"

static const char usage_rebuild[] =
    "usage: outreach-coordinator rebuild --db FILE\n"
    "\n"
    "Computes every figure the coordinator publishes again from the stored reports:\n"
    "each trip's running totals, the staff counted per trip, year and county, and\n"
    "each trip's attendance (the people checked in), and the figures of each month\n"
    "(at the offset the coordinator last started with, its tz_offset_min). The\n"
    "coordinator keeps them as reports arrive, and at start rebuilds those that are\n"
    "missing or that an older coordinator's check-ins left behind; run this when the\n"
    "figures are in doubt\n"
    "(progress disagrees with an export, after restoring or repairing the store),\n"
    "or when a command says to. It writes the store: stop the coordinator first (it\n"
    "refuses while the daemon or any other program has the store open, and the\n"
    "daemon does not start while it runs). Run it as the store's owner; run as\n"
    "root, it gives the -lock file it makes to that owner. It takes about 10 s of\n"
    "CPU per million reports, longer when the file must be read from disk; it\n"
    "stops at the first damaged page, rebuilding nothing.\n"
    "\n"
    "  --db FILE        the coordinator's store\n"
    "\n"
    "Exit status: 0 rebuilt, 1 failed, 2 bad usage, 3 refused (the store is in\n"
    "use or damaged).\n";

int cli_rebuild(int argc, char **argv, void *ctx)
{
    struct coord_cli *c = ctx;
    struct coord_db_opts o = {0};
    int rc = coord_cli_db_opts(argc, argv, usage_rebuild, 0, &o);
    if (rc)
        return rc == 1 ? 0 : rc;
    if (!o.db || !*o.db)
        return cli_usage_error(usage_rebuild, "%s", "--db FILE is required");
    /* store_open would make a new store out of a typo. */
    struct stat st;
    if (!store_is_server(o.db) &&
        (stat(o.db, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0)) {
        cli_fail("no store at %s", o.db);
        return 1;
    }
    char err[256];
    /* Asked before the open, which may write (what a start brings up to
     * date), then held from the open on. */
    oerr_t e = store_held(o.db, err);
    if (!e && (e = store_open(o.db, &c->store, err))) {
        cli_fail("%s", err);
        return e == OERR_CORRUPT || e == OERR_REJECTED ? EXIT_REFUSED : 1;
    }
    if (e || (e = store_hold_alone(c->store, err))) {
        if (e == OERR_REJECTED)
            cli_fail("not rebuilding %s: %s; stop the coordinator first", o.db, err);
        else
            cli_fail("%s", err);
        return e == OERR_REJECTED ? EXIT_REFUSED : 1;
    }
    double t0 = tu_mono_ms();
    struct figures_count n;
    if (store_totals_rebuild(c->store) || store_figures_count(c->store, &n)) {
        if (store_damaged(c->store)) {
            cli_fail("store %s is damaged (%s): nothing was rebuilt; run "
                     "'outreach-coordinator check --db %s'", o.db, store_damage(c->store), o.db);
            return EXIT_REFUSED;
        }
        cli_fail("cannot rebuild the figures of %s: %s", o.db, store_errmsg(c->store));
        return 1;
    }
    printf("rebuilt the figures of %s from its reports in %.1f s: running totals of %lld "
           "trip%s (%lld counted report%s), staff: %lld per trip, %lld per year, %lld per "
           "year and county, attendance: %lld per trip, months: %lld per trip and day, "
           "%lld staff per month and county\n", o.db,
           (tu_mono_ms() - t0) / 1000.0, n.trips, n.trips == 1 ? "" : "s", n.reports,
           n.reports == 1 ? "" : "s", n.trip_staff, n.year_staff, n.county_staff,
           n.trip_people, n.month_rows, n.month_staff);
    return 0;
}
