/* csvline.h -- reading CSV files line by line (RFC 4180 fields on one line:
 * commas, double quotes around a field, "" for a quote inside one), for the
 * files staff hand in: UTF-8, a byte-order mark at the start tolerated. */
#ifndef OUTREACH_CSVLINE_H
#define OUTREACH_CSVLINE_H

#include <stdio.h>

#define CSV_LINE_MAX 4096
#define CSV_FIELDS_MAX 16

struct csv_reader {
    FILE *f;
    long line;                  /* number of the line last read, from 1 */
    char buf[CSV_LINE_MAX + 2];
    char *field[CSV_FIELDS_MAX];
    int n;                      /* fields of the line last read */
};

/* Reads the next line that is neither blank nor a comment (# first) into r->field[0..n-1] (pointing into r->buf,
 * surrounding spaces kept as written). Returns 1 with a line, 0 at the end,
 * -1 with err set (line too long, more than CSV_FIELDS_MAX fields, an
 * unclosed quote, not UTF-8). */
int csv_next(struct csv_reader *r, char err[128]);

#endif
