/* store_pg_schema.c -- the store's tables on PostgreSQL, as versioned
 * migrations (store_pg.c runs them). Each entry is one version and is never
 * changed once released; a later change is a new entry at the end. */
#include "store_pg.h"

const char *const store_pg_migrations[] = {
    /* 1: placeholder */
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
};
const int store_pg_migrations_count =
    (int)(sizeof store_pg_migrations / sizeof store_pg_migrations[0]);
