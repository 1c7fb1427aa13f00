/* cli_export.c -- `outreach-coordinator export --csv`: the accepted reports
 * as CSV, one row each, voided ones marked; optionally only a year, a county
 * or a span of days. */
#include <stdio.h>
#include <string.h>

#include "cli_cmds.h"
#include "fileperm.h"
#include "oerr.h"
#include "timeutil.h"

static const char usage_export[] =
    "usage: outreach-coordinator export --db FILE --csv [--year Y] [--county C]\n"
    "           [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--bom] [--output FILE]\n"
    "           [--config FILE]\n"
    "\n"
    "  --db FILE        the coordinator's store\n"
    "  --csv            CSV, one row per accepted report, voided ones marked\n"
    "  --year Y         only the reports of trips dated in year Y\n"
    "  --county C       only the reports of trips in county C (its code, e.g. xiuwu)\n"
    "  --from DATE      only reports recorded on DATE or later, and\n"
    "  --to DATE        on DATE or earlier: the day of recorded_at in the\n"
    "                   coordinator's time zone (tz_offset_min, UTC+08:00 unless\n"
    "                   --config says otherwise); either may be left out\n"
    "  --bom            begin with a UTF-8 byte-order mark, so that Excel (e.g. in\n"
    "                   Chinese) reads the file as UTF-8\n"
    "  --output FILE    write there instead of standard output\n"
    "  --config FILE    read tz_offset_min from it\n"
    "Filters combine: every one given must hold.\n";

/* A date of --from or --to: NULL (not given) or a real YYYY-MM-DD. */
static int check_date(const char *opt, const char *v, struct odate *d)
{
    if (!v || tu_parse_date(v, d) == 0)
        return 0;
    return cli_usage_error(usage_export, "%s must be a date YYYY-MM-DD, like 2026-03-01, not '%s'",
                           opt, v);
}

int cli_export(int argc, char **argv, void *ctx)
{
    struct coord_cli *c = ctx;
    struct coord_db_opts o = {0};
    int rc = coord_cli_db_opts(argc, argv, usage_export,
                               DBO_CSV | DBO_OUTPUT | DBO_YEAR | DBO_COUNTY | DBO_DATES |
                                   DBO_BOM | DBO_CONFIG,
                               &o);
    if (rc)
        return rc == 1 ? 0 : rc;
    if (!o.db)
        return cli_usage_error(usage_export, "%s", "--db FILE is required");
    if (!o.csv)
        return cli_usage_error(usage_export, "%s", "choose a format: --csv");
    struct odate from, to;
    if ((rc = check_date("--from", o.from, &from)) || (rc = check_date("--to", o.to, &to)))
        return rc;
    if (o.from && o.to && tu_date_cmp(from, to) > 0)
        return cli_usage_error(usage_export,
                               "--from %s is after --to %s: no day is in between; swap them",
                               o.from, o.to);
    struct export_filter ef = {.year = o.year, .county = o.county, .from = o.from, .to = o.to,
                               .offset_min = (int)c->cfg.tz_offset_min};
    struct store *s = coord_cli_store(ctx, o.db);
    if (!s)
        return 1;
    FILE *f = o.output ? fperm_fopen_private(o.output) : stdout; /* patients' references */
    if (!f) {
        cli_fail("cannot write %s", o.output);
        return 1;
    }
    oerr_t e = OERR_OK;
    if (o.bom && fputs("\xEF\xBB\xBF", f) == EOF)
        e = OERR_IO;
    if (!e)
        e = store_export_csv(s, &ef, f);
    if (o.output && fclose(f) != 0)
        e = OERR_IO;
    if (e == OERR_DB)
        coord_cli_read_failed(s, o.db);
    else if (e)
        cli_fail("export failed: %s", oerr_str(e));
    return e ? 1 : 0;
}
