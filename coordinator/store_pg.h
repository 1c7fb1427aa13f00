/* store_pg.h -- the PostgreSQL side of the store (store_pg.c), for the
 * backend's files only: store_open and store_open_read pass a postgresql://
 * URI here. */
#ifndef OUTREACH_STORE_PG_H
#define OUTREACH_STORE_PG_H

#include <stdbool.h>

#include "store.h"

/* Connects to uri; the daemon's open (read_only false) runs the schema's
 * migrations and takes the store's shared lock; a read-only open refuses a
 * schema that is not this program's version. */
oerr_t store_pg_open(const char *uri, bool read_only, struct store **out, char err[256]);
/* store_hold_alone on PostgreSQL: refused while another program has it open. */
oerr_t store_pg_hold_alone(struct store *s, char err[256]);

/* The schema, one entry a version (store_pg_schema.c). */
extern const char *const store_pg_migrations[];
extern const int store_pg_migrations_count;

#endif
