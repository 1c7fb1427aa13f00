/* texttable.h -- text for a terminal: the columns a string takes (CJK wide
 * characters count two), escaped output, and tables of aligned columns. */
#ifndef OUTREACH_TEXTTABLE_H
#define OUTREACH_TEXTTABLE_H

#include <stddef.h>
#include <stdio.h>

#include <cjson/cJSON.h>

/* Columns s takes on a terminal once escaped (olog_escape): 2 for each East
 * Asian wide or fullwidth character, 0 for combining marks, else 1. */
size_t text_width(const char *s);

/* Prints s through olog_escape (control characters, bidi controls and bad
 * UTF-8 made visible as \n, \x1B, \u202E...): names and titles come from
 * volunteers' and admins' requests and must neither drive the terminal nor
 * reorder what people read. Out of memory: prints "?". */
void text_put(FILE *f, const char *s);

/* text_put, then spaces up to width columns. */
void text_put_padded(FILE *f, const char *s, size_t width);

/* A table is a cJSON array of rows, each an array of strings (NULL shows
 * as ""). Adds a row of n cells. Returns 0, or -1 when out of memory (the
 * table is unchanged). */
int text_table_row(cJSON *table, int n, ...);

/* Prints the rows, each after indent, the columns padded to the widest
 * cell (text_width) with two spaces between; the last cell of a row is not
 * padded. At most 16 columns are aligned. */
void text_table_print(const cJSON *table, const char *indent, FILE *f);

#endif
