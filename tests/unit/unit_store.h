/* unit_store.h -- a fresh in-memory coordinator store per test, as a cmocka fixture. */
#ifndef OUTREACH_UNIT_STORE_H
#define OUTREACH_UNIT_STORE_H

#include "store.h"

static inline int memstore_setup(void **state)
{
    struct store *s = NULL;
    char err[256] = "";
    if (store_open(":memory:", &s, err) != OERR_OK) {
        print_error("store_open: %s\n", err);
        return -1;
    }
    *state = s;
    return 0;
}

static inline int memstore_teardown(void **state)
{
    store_close(*state);
    return 0;
}

#endif
