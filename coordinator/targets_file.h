/* targets_file.h -- the config's targets_file: targets per county and
 * township read at start into the store (source "config"; a target set by a
 * targets.set request wins over the file's for the same year, county and
 * township). */
#ifndef OUTREACH_TARGETS_FILE_H
#define OUTREACH_TARGETS_FILE_H

#include "store.h"

/* Reads path (CSV with the header year,county,township,consultations,staff;
 * township empty for a county's own row; UTF-8, byte-order mark tolerated)
 * and stores every row in one transaction. Returns 0 with *rows set, or -1
 * with err naming the line and field (nothing stored). */
int targets_file_load(struct store *s, const char *path, const char *now, int *rows,
                      char err[256]);

#endif
