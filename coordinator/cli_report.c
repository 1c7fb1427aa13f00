/* cli_report.c -- `outreach-coordinator report`: one file a health
 * commission can file and send on (xlsx, CSV or HTML to print), from the
 * store opened read-only. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli_cmds.h"
#include "conf.h"
#include "fileperm.h"
#include "report_book.h"

static const char usage_report[] =
    "usage: outreach-coordinator report --db FILE --year Y [--month M] [--county C]\n"
    "           --format xlsx|csv|html --output FILE [--section S] [--config FILE]\n"
    "\n"
    "Writes the year's figures as one file a health commission can file and send on:\n"
    "summary (targets, expected to date, projection and pace), by county, by month,\n"
    "by department, referrals (by destination and urgency), trips with their village\n"
    "and attendance, poor-village coverage by county and township, and the poor\n"
    "villages not reached. Reads the store only; the daemon may be running.\n"
    "\n"
    "  --db FILE        the coordinator's store\n"
    "  --year Y         the year (default: this year at the sites)\n"
    "  --month M        one month, 1 to 12: the county, month, department and\n"
    "                   referral tables show that month, the trips those dated in\n"
    "                   it; the summary stays the year to date (targets are yearly)\n"
    "  --county C       one county (its code, e.g. xiuwu): with trips or targets in\n"
    "                   year Y, or one of the villages register\n"
    "  --format F       xlsx: a workbook, a worksheet per section;\n"
    "                   csv: UTF-8 with a byte-order mark (Excel in Chinese opens it\n"
    "                   as it is), the sections one after another, each with its\n"
    "                   title line, header and rows, a blank line between;\n"
    "                   html: a page to print (A4, a table per page) or save as PDF\n"
    "  --output FILE    where to write (required for xlsx; csv and html go to\n"
    "                   standard output without it); then one line on standard\n"
    "                   output says what was written there\n"
    "  --section S      csv only: that section alone, header and rows (summary,\n"
    "                   counties, months, departments, referrals, trips, coverage,\n"
    "                   not_reached)\n"
    "  --config FILE    the targets (target_staff, target_consultations) and\n"
    "                   tz_offset_min\n"
    "Months go by the day a report was recorded (tz_offset_min, UTC+08:00 by\n"
    "default) within its trip's days (typed in after the trip: its last day;\n"
    "before: its first), the year's figures by the trips' dates: only a trip\n"
    "of 31 December to 1 January counts in its year and in the next's January.\n"
    "Set OUTREACH_TODAY=YYYY-MM-DD to compute 'expected' for another day.\n";

enum fmt { F_XLSX, F_CSV, F_HTML };

int cli_report(int argc, char **argv, void *ctx)
{
    struct coord_cli *cc = ctx;
    const struct coord_config *cfg = &cc->cfg;
    struct coord_db_opts o = {0};
    int rc = coord_cli_db_opts(argc, argv, usage_report,
                               DBO_YEAR | DBO_COUNTY | DBO_OUTPUT | DBO_CONFIG | DBO_REPORT, &o);
    if (rc)
        return rc == 1 ? 0 : rc;
    if (!o.db)
        return cli_usage_error(usage_report, "%s", "--db FILE is required");
    if (!o.format)
        return cli_usage_error(usage_report, "%s", "--format is required: xlsx, csv or html");
    enum fmt fm;
    if (strcmp(o.format, "xlsx") == 0)
        fm = F_XLSX;
    else if (strcmp(o.format, "csv") == 0)
        fm = F_CSV;
    else if (strcmp(o.format, "html") == 0)
        fm = F_HTML;
    else
        return cli_usage_error(usage_report, "--format must be xlsx, csv or html, not '%s'",
                               o.format);
    if (fm == F_XLSX && !o.output)
        return cli_usage_error(usage_report, "%s",
                               "--format xlsx needs --output FILE (a workbook is not text)");
    int section = RS_COUNT;
    if (o.section) {
        if (fm != F_CSV)
            return cli_usage_error(usage_report, "%s",
                                   "--section is for --format csv (xlsx and html hold them all)");
        for (section = 0; section < RS_COUNT; section++)
            if (strcmp(o.section, book_section_names[section]) == 0)
                break;
        if (section == RS_COUNT)
            return cli_usage_error(usage_report,
                                   "--section must be summary, counties, months, departments, "
                                   "referrals, trips, coverage or not_reached, not '%s'",
                                   o.section);
    }
    struct store *s = coord_cli_store(cc, o.db);
    if (!s)
        return 1;
    struct book_opts ro = {
        .year = o.year, .month = o.month, .county = o.county,
        .tg = {cfg->target_staff, cfg->target_consultations},
        .today = tu_today((int)cfg->tz_offset_min),
    };
    if (!ro.year)
        ro.year = ro.today.year;
    char as_of[TU_TS_MAX];
    tu_format_ts(time(NULL), (int)cfg->tz_offset_min, as_of);
    ro.as_of = as_of;
    if (o.county && (rc = coord_cli_county_check(s, o.db, ro.year, o.county)))
        return rc;
    struct report_book r;
    oerr_t e = book_build(s, &ro, &r);
    if (e) {
        if (e == OERR_DB)
            coord_cli_read_failed(s, o.db);
        else
            cli_fail("report failed: %s", oerr_str(e));
        book_free(&r);
        return 1;
    }
    rc = 0;
    if (fm == F_XLSX) {
        char err[256];
        if (book_write_xlsx(&r, o.output, err)) {
            cli_fail("%s", err);
            rc = 1;
        }
    } else {
        FILE *f = o.output ? fperm_fopen_private(o.output) : stdout;
        if (!f) {
            cli_fail("cannot write %s: %s", o.output, strerror(errno));
            book_free(&r);
            return 1;
        }
        int bad = fm == F_CSV ? book_write_csv(&r, section, f) : book_write_html(&r, f);
        if (o.output ? fclose(f) != 0 : fflush(f) != 0)
            bad = -1;
        if (bad) {
            cli_fail("cannot write %s", o.output ? o.output : "standard output");
            rc = 1;
        }
    }
    if (!rc && o.output) { /* what went where, on stdout (the file took the report) */
        int n = section == RS_COUNT ? RS_COUNT : 1;
        printf("wrote %s: %s, %d %s (%s), %d %s\n", o.output, r.heading, n,
               cli_plural(n, "section", "sections"), o.format, r.t[RS_TRIPS].nrows,
               cli_plural(r.t[RS_TRIPS].nrows, "trip", "trips"));
    }
    book_free(&r);
    return rc;
}
