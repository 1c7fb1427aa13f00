/* dhis2.h -- the year's month figures as a DHIS2 data value set, through a
 * mapping file (our figure -> dataElement and categoryOptionCombo codes,
 * county -> orgUnit code), ready for POST /api/dataValueSets?idScheme=code
 * (JSON) or its CSV form. */
#ifndef OUTREACH_DHIS2_H
#define OUTREACH_DHIS2_H

#include <stdio.h>

#include <cjson/cJSON.h>

#include "store.h"

#define DHIS2_ERR_MAX 512

struct dhis2_map; /* a parsed mapping file */

/* Reads and checks the mapping file at path: on failure NULL, and err says
 * which entry and field is wrong and what to do. Free with dhis2_map_free
 * (NULL is fine). */
struct dhis2_map *dhis2_map_load(const char *path, char err[DHIS2_ERR_MAX]);
void dhis2_map_free(struct dhis2_map *m);

/* The data values of year (one county's, or every county's when county is
 * NULL; month 1..12 that month only, 0 all twelve): for each county and month
 * (period YYYYMM, the store's month of a report) that has any figure, one
 * value per mapped figure, zeros included (none for a county with no
 * figures: the caller has checked that it knows the county). {"dataValues":[...]} for the
 * caller to cJSON_Delete; NULL with err (a county the mapping lacks, the
 * store). */
cJSON *dhis2_build(struct store *s, const struct dhis2_map *m, int year, int month,
                   const char *county, char err[DHIS2_ERR_MAX]);

/* Writes set as DHIS2's CSV data value format (a header row, then
 * dataelement,period,orgunit,catoptcombo,attroptcombo,value,storedby,
 * lastupdated,comment,followup). 0, or -1 when writing failed. */
int dhis2_write_csv(const cJSON *set, FILE *f);

#endif
