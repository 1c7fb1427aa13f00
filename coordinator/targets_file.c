/* targets_file.c -- the config's targets_file (targets_file.h). */
#include "targets_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csvline.h"
#include "ids.h"
#include "olog.h"

static const char *const header[] = {"year", "county", "township", "consultations", "staff"};

/* A whole number in min..max, or -1. */
static long long number(const char *s, long long min, long long max)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    return (!*s || *end || errno || v < min || v > max) ? -1 : v;
}

static int load_rows(struct store *s, struct csv_reader *r, const char *path, const char *now,
                     int *rows, char err[256])
{
    char cerr[128];
    int k = csv_next(r, cerr);
    if (k <= 0) {
        snprintf(err, 256, "targets_file %.100s: %s", path,
                 k ? cerr : "empty (it needs the header year,county,township,consultations,staff)");
        return -1;
    }
    for (int i = 0; i < 5; i++)
        if (r->n != 5 || strcmp(r->field[i], header[i]) != 0) {
            snprintf(err, 256, "targets_file %.100s, line 1: the header must be "
                     "year,county,township,consultations,staff", path);
            return -1;
        }
    while ((k = csv_next(r, cerr)) == 1) {
        if (r->n != 5) {
            snprintf(err, 256, "targets_file %.100s, line %ld: %d fields, expected 5 "
                     "(year,county,township,consultations,staff)", path, r->line, r->n);
            return -1;
        }
        struct target_row t = {0};
        long long year = number(r->field[0], 2000, 2100);
        t.consultations = number(r->field[3], 0, 1000000000);
        t.staff = number(r->field[4], 0, 1000000000);
        const char *bad = year < 0 ? "year (2000 to 2100)"
                        : !id_is_code(r->field[1]) ? "county (a county code, e.g. xiuwu)"
                        : strlen(r->field[2]) > 64 ? "township (at most 64 bytes)"
                        : t.consultations < 0 ? "consultations (a whole number, 0 or more)"
                        : t.staff < 0 ? "staff (a whole number, 0 or more)" : NULL;
        if (bad) {
            snprintf(err, 256, "targets_file %.100s, line %ld: field %s", path, r->line, bad);
            return -1;
        }
        t.year = (int)year;
        snprintf(t.county, sizeof t.county, "%s", r->field[1]);
        snprintf(t.township, sizeof t.township, "%s", r->field[2]);
        if (store_target_put(s, &t, true, now)) {
            snprintf(err, 256, "targets_file %.100s: cannot store line %ld: %.100s", path,
                     r->line, store_errmsg(s));
            return -1;
        }
        bool known = true; /* a typo makes a county always behind: say so (kept: the
                            * register may come after the file) */
        if (store_place_known(s, t.county, t.township[0] ? t.township : NULL, &known) == OERR_OK
            && !known)
            olog(OLOG_WARN, "targets_file %.100s, line %ld: %s '%s%s%s' is in no trip and not "
                 "in the villages register (yet): check the spelling (the row is kept)", path,
                 r->line, t.township[0] ? "township" : "county", t.county,
                 t.township[0] ? " / " : "", t.township);
        ++*rows;
    }
    if (k < 0) {
        snprintf(err, 256, "targets_file %.100s: %s", path, cerr);
        return -1;
    }
    return 0;
}

int targets_file_load(struct store *s, const char *path, const char *now, int *rows,
                      char err[256])
{
    *rows = 0;
    struct csv_reader r = {.f = fopen(path, "r")};
    if (!r.f) {
        snprintf(err, 256, "targets_file %.120s: %s", path, strerror(errno));
        return -1;
    }
    int rc = -1;
    if (store_begin(s)) {
        snprintf(err, 256, "targets_file %.120s: %.100s", path, store_errmsg(s));
    } else if (load_rows(s, &r, path, now, rows, err)) {
        store_rollback(s);
    } else if (store_commit(s)) {
        snprintf(err, 256, "targets_file %.120s: %.100s", path, store_errmsg(s));
    } else {
        rc = 0;
    }
    fclose(r.f);
    return rc;
}
