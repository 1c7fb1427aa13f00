/* cli_export.c -- `outreach-coordinator export --csv`: the accepted reports
 * as CSV, one row each, voided ones marked; optionally only a year, a county
 * or a span of days. `export --format dhis2`: the year's month figures as a
 * DHIS2 data value set (dhis2.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_cmds.h"
#include "dhis2.h"
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
    "  --county C       only the reports of trips in county C (its code, e.g. xiuwu;\n"
    "                   a county that no trip or target is in and the villages\n"
    "                   register does not hold is refused)\n"
    "  --from DATE      only reports recorded on DATE or later, and\n"
    "  --to DATE        on DATE or earlier: the day of recorded_at in the\n"
    "                   coordinator's time zone (tz_offset_min, UTC+08:00 unless\n"
    "                   --config says otherwise); either may be left out\n"
    "  --bom            begin with a UTF-8 byte-order mark, so that Excel (e.g. in\n"
    "                   Chinese) reads the file as UTF-8\n"
    "  --output FILE    write there instead of standard output, then say so in\n"
    "                   one line on standard output\n"
    "  --config FILE    read tz_offset_min from it\n"
    "Filters combine: every one given must hold.\n"
    "\n"
    "usage: outreach-coordinator export --db FILE --format dhis2 --mapping FILE --year Y\n"
    "           [--month M] [--county C] [--csv] [--output FILE]\n"
    "\n"
    "  --format dhis2   the year's month figures as a DHIS2 data value set, for\n"
    "                   POST /api/dataValueSets?idScheme=code: one value per\n"
    "                   mapped figure, county and month (period YYYYMM, the month\n"
    "                   of the day each report was recorded, within its trip's\n"
    "                   days) that has any figure\n"
    "  --mapping FILE   which figure goes to which dataElement and\n"
    "                   categoryOptionCombo, which county to which orgUnit (JSON;\n"
    "                   docs/dhis2-mapping.example.json is an annotated example)\n"
    "  --year Y         the year (required)\n"
    "  --month M        that month's values only (1 to 12; period YYYYMM)\n"
    "  --county C       that county's values only (a county with trips or targets\n"
    "                   in year Y, or one of the villages register)\n"
    "  --csv            DHIS2's CSV form instead of JSON (Content-Type\n"
    "                   application/csv)\n";

/* export --format dhis2: the data value set of o's year. */
static int export_dhis2(struct coord_cli *c, const struct coord_db_opts *o)
{
    if (strcmp(o->format, "dhis2") != 0)
        return cli_usage_error(usage_export, "--format must be dhis2 (or leave it out and give "
                               "--csv for the reports), not '%s'", o->format);
    if (!o->mapping)
        return cli_usage_error(usage_export, "%s", "--format dhis2 needs --mapping FILE "
                               "(docs/dhis2-mapping.example.json shows one)");
    if (!o->year)
        return cli_usage_error(usage_export, "%s", "--format dhis2 needs --year Y");
    if (o->from || o->to || o->bom || o->section)
        return cli_usage_error(usage_export, "%s", "--format dhis2 takes --year, --month and "
                               "--county; --from, --to, --bom and --section are not for it");
    char err[DHIS2_ERR_MAX];
    struct dhis2_map *m = dhis2_map_load(o->mapping, err);
    if (!m) {
        cli_fail("--mapping %s: %s", o->mapping, err);
        return EXIT_USAGE;
    }
    struct store *s = coord_cli_store(c, o->db);
    int rc = !s ? 1 : o->county ? coord_cli_county_check(s, o->db, o->year, o->county) : 0;
    cJSON *set = rc ? NULL : dhis2_build(s, m, o->year, o->month, o->county, err);
    dhis2_map_free(m);
    if (!set) {
        if (!rc)
            cli_fail("%s", err);
        return rc ? rc : 1;
    }
    FILE *f = o->output ? fperm_fopen_private(o->output) : stdout;
    if (!f) {
        cli_fail("cannot write %s", o->output);
        rc = 1;
    } else {
        char *text = o->csv ? NULL : cJSON_Print(set);
        int bad = o->csv ? dhis2_write_csv(set, f) : (!text || fputs(text, f) == EOF ||
                                                      fputc('\n', f) == EOF);
        free(text);
        if (o->output ? fclose(f) != 0 : fflush(f) != 0)
            bad = 1;
        if (bad) {
            cli_fail("cannot write %s", o->output ? o->output : "standard output");
            rc = 1;
        }
    }
    if (!rc && o->output) {
        int n = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(set, "dataValues"));
        printf("wrote %s: %d DHIS2 data %s of %d%s (%s)\n", o->output, n,
               cli_plural(n, "value", "values"), o->year, o->county ? " in one county" : "",
               o->csv ? "CSV" : "JSON");
    }
    cJSON_Delete(set);
    return rc;
}

/* A date of --from or --to: NULL (not given) or a real YYYY-MM-DD. */
static int check_date(const char *opt, const char *v, struct odate *d)
{
    char why[TU_WHY_MAX];
    if (!v || (!tu_date_why(v, why) && tu_parse_date(v, d) == 0))
        return 0;
    return cli_usage_error(usage_export, "%s must be a date YYYY-MM-DD, not '%s': %s", opt, v,
                           why);
}

int cli_export(int argc, char **argv, void *ctx)
{
    struct coord_cli *c = ctx;
    struct coord_db_opts o = {0};
    int rc = coord_cli_db_opts(argc, argv, usage_export,
                               DBO_CSV | DBO_OUTPUT | DBO_YEAR | DBO_COUNTY | DBO_DATES |
                                   DBO_BOM | DBO_CONFIG | DBO_REPORT,
                               &o);
    if (rc)
        return rc == 1 ? 0 : rc;
    if (!o.db)
        return cli_usage_error(usage_export, "%s", "--db FILE is required");
    if (o.format)
        return export_dhis2(c, &o);
    /* only what was given and is not for --csv */
    if (o.mapping || o.month || o.section)
        return cli_usage_error(usage_export, "%s%s%s%s%s", o.mapping ? "--mapping is for "
                               "--format dhis2" : "", o.mapping && o.month ? "; " : "",
                               o.month ? "--month is for --format dhis2 (and the report "
                               "command)" : "", (o.mapping || o.month) && o.section ? "; " : "",
                               o.section ? "--section is the report command's" : "");
    if (!o.csv)
        return cli_usage_error(usage_export, "%s", "choose a format: --csv (the accepted "
                               "reports) or --format dhis2 (the month figures for DHIS2)");
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
    if (o.county && (rc = coord_cli_county_check(s, o.db, o.year, o.county)))
        return rc;
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
    else if (o.output)
        printf("wrote %s: the accepted reports as CSV%s\n", o.output,
               o.bom ? " with a byte-order mark" : "");
    return e ? 1 : 0;
}
