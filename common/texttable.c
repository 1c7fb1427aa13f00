/* texttable.c -- terminal text: column widths of UTF-8 (CJK counts two),
 * escaped output, aligned tables. */
#include "texttable.h"

#include <stdarg.h>
#include <stdlib.h>

#include "olog.h"

#define COLS_MAX 16

/* Columns a code point takes on a terminal: 2 for East Asian wide and
 * fullwidth characters, 0 for combining marks, else 1. */
static size_t cp_width(unsigned long c)
{
    if ((c >= 0x0300 && c <= 0x036F) || (c >= 0x200B && c <= 0x200F))
        return 0;
    if ((c >= 0x1100 && c <= 0x115F) || (c >= 0x2E80 && c <= 0x303E) ||
        (c >= 0x3041 && c <= 0x33FF) || (c >= 0x3400 && c <= 0x4DBF) ||
        (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0xA000 && c <= 0xA4CF) ||
        (c >= 0xAC00 && c <= 0xD7A3) || (c >= 0xF900 && c <= 0xFAFF) ||
        (c >= 0xFE30 && c <= 0xFE4F) || (c >= 0xFF00 && c <= 0xFF60) ||
        (c >= 0xFFE0 && c <= 0xFFE6) || (c >= 0x1F300 && c <= 0x1F64F) ||
        (c >= 0x20000 && c <= 0x3FFFD))
        return 2;
    return 1;
}

/* Decodes the code point at p (valid UTF-8 expected; a stray byte counts as
 * one). Sets *n to its length in bytes. */
static unsigned long next_cp(const unsigned char *p, size_t *n)
{
    unsigned long c;
    size_t len;
    if (*p < 0x80) {
        *n = 1;
        return *p;
    } else if ((*p & 0xE0) == 0xC0) {
        c = *p & 0x1F;
        len = 2;
    } else if ((*p & 0xF0) == 0xE0) {
        c = *p & 0x0F;
        len = 3;
    } else if ((*p & 0xF8) == 0xF0) {
        c = *p & 0x07;
        len = 4;
    } else {
        *n = 1;
        return 0xFFFD;
    }
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80) {
            *n = 1;
            return 0xFFFD;
        }
        c = (c << 6) | (p[i] & 0x3F);
    }
    *n = len;
    return c;
}

size_t text_width(const char *s)
{
    char *e = olog_escape_dup(s);
    if (!e)
        return 1; /* out of memory: text_put shows "?" */
    const unsigned char *p = (const unsigned char *)e;
    size_t w = 0, n;
    while (*p) {
        w += cp_width(next_cp(p, &n));
        p += n;
    }
    free(e);
    return w;
}

void text_put(FILE *f, const char *s)
{
    char *e = olog_escape_dup(s);
    fputs(e ? e : "?", f);
    free(e);
}

void text_put_padded(FILE *f, const char *s, size_t width)
{
    text_put(f, s);
    for (size_t w = text_width(s); w < width; w++)
        fputc(' ', f);
}

int text_table_row(cJSON *table, int n, ...)
{
    cJSON *row = cJSON_CreateArray();
    if (!row)
        return -1;
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++) {
        const char *s = va_arg(ap, const char *);
        cJSON *c = cJSON_CreateString(s ? s : "");
        if (!c) {
            va_end(ap);
            cJSON_Delete(row);
            return -1;
        }
        cJSON_AddItemToArray(row, c);
    }
    va_end(ap);
    cJSON_AddItemToArray(table, row);
    return 0;
}

void text_table_print(const cJSON *table, const char *indent, FILE *f)
{
    size_t width[COLS_MAX] = {0};
    const cJSON *row, *cell;
    cJSON_ArrayForEach(row, table) {
        int i = 0;
        cJSON_ArrayForEach(cell, row) {
            if (i < COLS_MAX) {
                size_t w = text_width(cell->valuestring);
                if (w > width[i])
                    width[i] = w;
            }
            i++;
        }
    }
    cJSON_ArrayForEach(row, table) {
        int i = 0, n = cJSON_GetArraySize(row);
        fputs(indent, f);
        cJSON_ArrayForEach(cell, row) {
            if (i + 1 < n) {
                text_put_padded(f, cell->valuestring, i < COLS_MAX ? width[i] : 0);
                fputs("  ", f);
            } else {
                text_put(f, cell->valuestring);
            }
            i++;
        }
        fputc('\n', f);
    }
}
