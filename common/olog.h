/* olog.h -- one logging function with levels, printf-checked. */
#ifndef OUTREACH_OLOG_H
#define OUTREACH_OLOG_H

#include <stdio.h>

enum olog_level { OLOG_DEBUG, OLOG_INFO, OLOG_WARN, OLOG_ERROR };

/* Messages below this level are dropped; default OLOG_INFO. */
void olog_set_level(enum olog_level level);
/* Parses "debug", "info", "warn", "error"; returns -1 when unknown. */
int olog_parse_level(const char *s);
/* Where lines go; default stderr. */
void olog_set_stream(FILE *f);
/* Writes one line; the formatted message goes through olog_escape, so text
 * from the network can never make a second line or drive the terminal. */
void olog(enum olog_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Copies s into out[n] (always NUL-terminated when n > 0) with every
 * character that could forge a line or reorder what a reader sees made
 * visible: \n \r \t and \\ for themselves; other C0 controls, DEL and each
 * byte that is not valid UTF-8 as \xHH; C1 controls (U+0080-U+009F), the
 * Unicode bidi controls (U+061C, U+200E, U+200F, U+202A-U+202E,
 * U+2066-U+2069) and the line and paragraph separators (U+2028, U+2029) as
 * \uHHHH. Everything else, Chinese included, is kept. An escape is never cut
 * in half. Returns the length the whole result needs (as snprintf does), so
 * out may be NULL when n is 0. Used for log lines, the CLI's tables and the
 * CSV export. */
size_t olog_escape(char *out, size_t n, const char *s);
/* olog_escape into a malloc'd string (the caller frees); NULL when out of
 * memory. */
char *olog_escape_dup(const char *s);

#endif
