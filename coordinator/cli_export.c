/* cli_export.c -- `outreach-coordinator export --csv`: the accepted reports
 * as CSV, one row each, voided ones marked. */
#include <stdio.h>

#include "cli_cmds.h"
#include "fileperm.h"
#include "oerr.h"

static const char usage_export[] =
    "usage: outreach-coordinator export --db FILE --csv [--output FILE]\n"
    "\n"
    "  --db FILE        the coordinator's store\n"
    "  --csv            CSV, one row per accepted report, voided ones marked\n"
    "  --output FILE    write there instead of standard output\n";

int cli_export(int argc, char **argv, void *ctx)
{
    struct coord_db_opts o = {0};
    int rc = coord_cli_db_opts(argc, argv, usage_export, DBO_CSV | DBO_OUTPUT, &o);
    if (rc)
        return rc == 1 ? 0 : rc;
    if (!o.db)
        return cli_usage_error(usage_export, "%s", "--db FILE is required");
    if (!o.csv)
        return cli_usage_error(usage_export, "%s", "choose a format: --csv");
    struct store *s = coord_cli_store(ctx, o.db);
    if (!s)
        return 1;
    FILE *f = o.output ? fperm_fopen_private(o.output) : stdout; /* patients' references */
    if (!f) {
        cli_fail("cannot write %s", o.output);
        return 1;
    }
    oerr_t e = store_export_csv(s, f);
    if (o.output && fclose(f) != 0)
        e = OERR_IO;
    if (e == OERR_DB)
        coord_cli_read_failed(s, o.db);
    else if (e)
        cli_fail("export failed: %s", oerr_str(e));
    return e ? 1 : 0;
}
