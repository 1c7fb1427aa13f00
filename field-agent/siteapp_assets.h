/* siteapp_assets.h -- the site app's page, built into the binary from
 * field-agent/site/ (site/embed.cmake writes siteapp_assets.c). */
#ifndef OUTREACH_SITEAPP_ASSETS_H
#define OUTREACH_SITEAPP_ASSETS_H

#include <stddef.h>

struct site_asset {
    const char *path; /* "/index.html" */
    const char *type; /* Content-Type */
    const unsigned char *data;
    size_t len;
};

extern const struct site_asset site_assets[]; /* ends with path NULL */

#endif
