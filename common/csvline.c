/* csvline.c -- CSV files line by line (csvline.h). */
#include "csvline.h"

#include <stdbool.h>
#include <string.h>

#include "ids.h"

int csv_next(struct csv_reader *r, char err[128])
{
    for (;;) {
        if (!fgets(r->buf, sizeof r->buf, r->f))
            return 0;
        r->line++;
        size_t len = strlen(r->buf);
        if (len && r->buf[len - 1] != '\n' && !feof(r->f)) {
            snprintf(err, 128, "line %ld is longer than %d bytes", r->line, CSV_LINE_MAX);
            return -1;
        }
        while (len && (r->buf[len - 1] == '\n' || r->buf[len - 1] == '\r'))
            r->buf[--len] = '\0';
        char *p = r->buf;
        if (r->line == 1 && strncmp(p, "\xEF\xBB\xBF", 3) == 0)
            p += 3; /* the byte-order mark Excel writes */
        if (!utf8_valid(p, strlen(p))) {
            snprintf(err, 128, "line %ld is not UTF-8 (save the file as \"CSV UTF-8\")",
                     r->line);
            return -1;
        }
        if (strspn(p, " \t") == strlen(p) || *p == '#')
            continue; /* a blank line, or a comment */
        r->n = 0;
        for (;;) {
            if (r->n == CSV_FIELDS_MAX) {
                snprintf(err, 128, "line %ld has more than %d fields", r->line,
                         CSV_FIELDS_MAX);
                return -1;
            }
            if (*p == '"') { /* quoted: "" is a quote; unquoted in place */
                char *out = ++p;
                r->field[r->n++] = out;
                for (;;) {
                    if (!*p) {
                        snprintf(err, 128, "line %ld: a quote is not closed", r->line);
                        return -1;
                    }
                    if (*p == '"' && p[1] == '"') {
                        *out++ = '"';
                        p += 2;
                    } else if (*p == '"') {
                        p++;
                        break;
                    } else {
                        *out++ = *p++;
                    }
                }
                *out = '\0';
                if (*p && *p != ',') {
                    snprintf(err, 128, "line %ld, field %d: text after a closing quote",
                             r->line, r->n);
                    return -1;
                }
            } else {
                r->field[r->n++] = p;
                p += strcspn(p, ",");
            }
            if (!*p)
                return 1;
            *p++ = '\0';
        }
    }
}
