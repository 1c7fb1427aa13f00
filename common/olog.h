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
void olog(enum olog_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
