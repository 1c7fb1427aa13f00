/* cli_store.c -- what the commands that read the store share: opening the
 * existing store, and their options (--db FILE, --json, --year Y...). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_cmds.h"
#include "ids.h"

struct store *coord_cli_store(struct coord_cli *c, const char *db)
{
    if (!store_is_server(db)) { /* a file: there, and readable */
        FILE *probe = *db ? fopen(db, "r") : NULL;
        if (!probe) {
            cli_fail("no store at %s", db);
            return NULL;
        }
        fclose(probe);
    }
    char err[256];
    store_close(c->store);
    c->store = NULL;
    /* Read-only: the CLI's reads take no write lock, never wait for the
     * daemon's transaction, and leave its WAL alone. */
    oerr_t rc = store_open_read(db, &c->store, err);
    if (rc == OERR_REJECTED) { /* not current: only a writer may bring it up to date */
        cli_fail("%s: restart the coordinator (its start brings the store up to date) or, "
                 "with it stopped, run 'outreach-coordinator rebuild --db %s'", err, db);
        c->store = NULL;
        return NULL;
    }
    if (rc) {
        cli_fail("%s", err);
        c->store = NULL;
        return NULL;
    }
    return c->store;
}

void coord_cli_read_failed(struct store *s, const char *db)
{
    if (store_damaged(s))
        cli_fail("cannot read the store: %s: %s is damaged; run 'outreach-coordinator check "
                 "--db %s' to see where and what to do", store_errmsg(s), db, db);
    else
        cli_fail("cannot read the store: %s", store_errmsg(s));
}

struct county_find {
    struct store *s;
    const char *county;
    bool found;
    oerr_t err;
};

static int county_is(void *arg, const char *county, const char *name)
{
    (void)name;
    struct county_find *k = arg;
    k->found = strcmp(county, k->county) == 0;
    return k->found;
}

static int county_in_year(void *arg, int year)
{
    struct county_find *k = arg;
    k->err = store_counties_each(k->s, year, county_is, k);
    return k->err != OERR_OK || k->found;
}

int coord_cli_county_check(struct store *s, const char *db, int year, const char *county)
{
    struct county_find k = {s, county, false, OERR_OK};
    oerr_t e = year ? store_counties_each(s, year, county_is, &k)
                    : store_years_each(s, county_in_year, &k);
    if (e || k.err) {
        coord_cli_read_failed(s, db);
        return 1;
    }
    if (k.found)
        return 0;
    /* a county of the villages register: known, even with no trip or target */
    struct village_row v;
    e = store_county_village(s, county, NULL, &v);
    if (e == OERR_OK)
        return 0;
    if (e != OERR_NOTFOUND) {
        coord_cli_read_failed(s, db);
        return 1;
    }
    if (year)
        cli_fail("--county %s: no trip or target of %d is in that county and the villages "
                 "register has none of that code; 'outreach-coordinator progress --db %s "
                 "--year %d' lists the counties", county, year, db, year);
    else
        cli_fail("--county %s: no trip or target of any year is in that county and the "
                 "villages register has none of that code; 'outreach-coordinator progress "
                 "--db %s --year Y' lists a year's counties", county, db);
    return EXIT_USAGE;
}

static int parse_year(const char *arg, int *year)
{
    char *end;
    errno = 0;
    long v = strtol(arg, &end, 10);
    if (errno || end == arg || *end || v < 1970 || v > 9999)
        return -1;
    *year = (int)v;
    return 0;
}

int coord_cli_db_opts(int argc, char **argv, const char *usage, unsigned takes,
                      struct coord_db_opts *o)
{
    static const struct {
        struct option opt;
        unsigned bit; /* 0: always taken */
    } all[] = {
        {{"db", required_argument, NULL, 'd'}, 0},
        {{"help", no_argument, NULL, 'h'}, 0},
        {{"json", no_argument, NULL, 'j'}, DBO_JSON},
        {{"year", required_argument, NULL, 'y'}, DBO_YEAR},
        {{"csv", no_argument, NULL, 'c'}, DBO_CSV},
        {{"output", required_argument, NULL, 'o'}, DBO_OUTPUT},
        {{"config", required_argument, NULL, 'C'}, DBO_CONFIG},
        {{"county", required_argument, NULL, 'k'}, DBO_COUNTY},
        {{"from", required_argument, NULL, 'f'}, DBO_DATES},
        {{"to", required_argument, NULL, 't'}, DBO_DATES},
        {{"bom", no_argument, NULL, 'b'}, DBO_BOM},
        {{"format", required_argument, NULL, 'F'}, DBO_REPORT},
        {{"month", required_argument, NULL, 'm'}, DBO_REPORT},
        {{"section", required_argument, NULL, 'S'}, DBO_REPORT},
        {{"mapping", required_argument, NULL, 'M'}, DBO_REPORT},
    };
    enum { N = sizeof all / sizeof all[0] };
    struct option opts[N + 1];
    size_t n = 0;
    for (size_t i = 0; i < N; i++)
        if (!all[i].bit || (takes & all[i].bit))
            opts[n++] = all[i].opt;
    opts[n] = (struct option){NULL, 0, NULL, 0};
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': o->db = optarg; break;
        case 'j': o->json = true; break;
        case 'c': o->csv = true; break;
        case 'o': o->output = optarg; break;
        case 'C': break;
        case 'k':
            if (!id_is_code(optarg))
                return cli_usage_error(usage, "--county must be a county code like xiuwu "
                                       "(letters, digits, '.', '_', '-'), not '%s'", optarg);
            o->county = optarg;
            break;
        case 'f': o->from = optarg; break;
        case 't': o->to = optarg; break;
        case 'b': o->bom = true; break;
        case 'F': o->format = optarg; break;
        case 'S': o->section = optarg; break;
        case 'M': o->mapping = optarg; break;
        case 'm': {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (end == optarg || *end || v < 1 || v > 12)
                return cli_usage_error(usage, "--month must be a month 1 to 12, not '%s'",
                                       optarg);
            o->month = (int)v;
            break;
        }
        case 'y':
            if (parse_year(optarg, &o->year))
                return cli_usage_error(usage, "--year must be a year like 2026, not '%s'",
                                       optarg);
            break;
        case 'h': fputs(usage, stdout); return 1;
        default: return cli_usage_try(usage);
        }
    }
    if (!(takes & DBO_ARG) && optind < argc)
        return cli_usage_error(usage, "unexpected argument '%s'", argv[optind]);
    return 0;
}
