/* cli_export.c -- `outreach-coordinator export --csv`: the accepted reports
 * as CSV, one row each, voided ones marked. */
#include <getopt.h>
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
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'}, {"csv", no_argument, NULL, 'c'},
        {"output", required_argument, NULL, 'o'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *db = NULL, *output = NULL;
    int csv = 0, c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'c': csv = 1; break;
        case 'o': output = optarg; break;
        case 'h': fputs(usage_export, stdout); return 0;
        default: fputs(usage_export, stderr); return EXIT_USAGE;
        }
    }
    if (optind < argc)
        return cli_usage_error(usage_export, "unexpected argument '%s'", argv[optind]);
    if (!db)
        return cli_usage_error(usage_export, "%s", "--db FILE is required");
    if (!csv)
        return cli_usage_error(usage_export, "%s", "choose a format: --csv");
    struct store *s = coord_cli_store(ctx, db);
    if (!s)
        return 1;
    FILE *f = output ? fperm_fopen_private(output) : stdout; /* patients' references */
    if (!f) {
        cli_fail("cannot write %s", output);
        return 1;
    }
    oerr_t e = store_export_csv(s, f);
    if (output && fclose(f) != 0)
        e = OERR_IO;
    if (e)
        cli_fail("export failed: %s", oerr_str(e));
    return e ? 1 : 0;
}
