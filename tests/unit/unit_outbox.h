/* unit_outbox.h -- a fresh field-agent outbox in a scratch directory, as a
 * cmocka fixture: cmocka_unit_test_setup_teardown(t, outbox_setup,
 * outbox_teardown), then struct outbox_fixture *f = *state. */
#ifndef OUTREACH_UNIT_OUTBOX_H
#define OUTREACH_UNIT_OUTBOX_H

#include <stdlib.h>

#include "outbox.h"
#include "unit_files.h"

#ifndef UNIT_OUTBOX_AGENT
#define UNIT_OUTBOX_AGENT "team-07"
#endif

struct outbox_fixture {
    char dir[64], path[96];
    struct outbox *ob;
};

static inline int outbox_setup(void **state)
{
    struct outbox_fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/outreach-unit-outbox-XXXXXX");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    snprintf(f->path, sizeof f->path, "%s/outbox.db", f->dir);
    char err[256] = "";
    if (outbox_open(f->path, UNIT_OUTBOX_AGENT, &f->ob, err) != OERR_OK) {
        fprintf(stderr, "outbox_open: %s\n", err);
        rm_tree(f->dir);
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static inline int outbox_teardown(void **state)
{
    struct outbox_fixture *f = *state;
    outbox_close(f->ob);
    rm_tree(f->dir);
    free(f);
    return 0;
}

#endif
