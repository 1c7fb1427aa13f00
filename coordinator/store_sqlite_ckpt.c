/* store_sqlite_ckpt.c -- the WAL copied back into the store by a thread of
 * its own, so that no commit waits for it.
 *
 * SQLite's default copies the WAL into the database file (a checkpoint) in
 * the commit that takes the WAL past 1,000 pages. On a big store the pages a
 * batch changes are scattered (a random msg_id lands anywhere in its index),
 * so that checkpoint writes ~1,000 scattered pages and syncs the file inside
 * a batch, and the acks of that batch wait for it: measured at 10 million
 * reports, p99 publish-to-ack at a paced 1,000 reports/s went from ~20 ms to
 * ~80 ms. Here the committing connection's WAL hook only wakes a second
 * connection, in its own thread, which runs a PASSIVE checkpoint: it copies
 * what is committed without blocking the writer (or any reader). The writer
 * checkpoints by itself only when the WAL has grown past CKPT_BACKSTOP pages
 * (the thread could not keep up), which bounds the WAL. */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include <sqlite3.h>

#include "olog.h"
#include "store_sqlite_priv.h"

#define CKPT_PAGES 1000       /* wake the thread past this many WAL pages (SQLite's default) */
#define CKPT_BACKSTOP 100000  /* ~400 MB: the writer checkpoints itself past this */

struct checkpointer {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool wanted, stop;
    sqlite3 *db; /* the thread's own connection */
};

static void *ckpt_main(void *arg)
{
    struct checkpointer *c = arg;
    pthread_mutex_lock(&c->mu);
    for (;;) {
        while (!c->wanted && !c->stop)
            pthread_cond_wait(&c->cv, &c->mu);
        if (c->stop)
            break;
        c->wanted = false;
        pthread_mutex_unlock(&c->mu);
        int rc = sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        if (rc != SQLITE_OK && rc != SQLITE_BUSY)
            olog(OLOG_WARN, "store: checkpoint failed: %s", sqlite3_errmsg(c->db));
        pthread_mutex_lock(&c->mu);
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

/* The writer's WAL hook, after each commit: pages is the WAL's size. */
static int ckpt_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
    struct checkpointer *c = arg;
    if (pages >= CKPT_BACKSTOP) {
        sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    } else if (pages >= CKPT_PAGES) {
        pthread_mutex_lock(&c->mu);
        c->wanted = true;
        pthread_cond_signal(&c->cv);
        pthread_mutex_unlock(&c->mu);
    }
    return SQLITE_OK;
}

oerr_t store_checkpoint_behind(struct store *s)
{
    if (s->ckpt || !sqldb_sqlite(s->db)) /* PostgreSQL checkpoints by itself */
        return OERR_OK;
    struct checkpointer *c = calloc(1, sizeof *c);
    if (!c)
        return OERR_NOMEM;
    const char *path = sqlite3_db_filename(sqldb_sqlite(s->db), "main");
    if (!path || sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                                 NULL) != SQLITE_OK) {
        olog(OLOG_ERROR, "store: cannot open a connection for checkpoints: %s",
             c->db ? sqlite3_errmsg(c->db) : "out of memory");
        sqlite3_close(c->db);
        free(c);
        return OERR_DB;
    }
    sqlite3_busy_timeout(c->db, 1000);
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    if (pthread_create(&c->thread, NULL, ckpt_main, c) != 0) {
        pthread_cond_destroy(&c->cv);
        pthread_mutex_destroy(&c->mu);
        sqlite3_close(c->db);
        free(c);
        return OERR_NOMEM;
    }
    s->ckpt = c;
    /* in place of sqlite3_wal_autocheckpoint's */
    sqlite3_wal_hook(sqldb_sqlite(s->db), ckpt_hook, c);
    /* A WAL that grew under load is cut back to 64 MiB once it starts over. */
    exec(s, "PRAGMA journal_size_limit = 67108864");
    return OERR_OK;
}

void store_checkpoint_stop(struct store *s)
{
    struct checkpointer *c = s->ckpt;
    if (!c)
        return;
    sqlite3_wal_autocheckpoint(sqldb_sqlite(s->db), CKPT_PAGES); /* the writer's own again */
    pthread_mutex_lock(&c->mu);
    c->stop = true;
    pthread_cond_signal(&c->cv);
    pthread_mutex_unlock(&c->mu);
    pthread_join(c->thread, NULL);
    sqlite3_close(c->db);
    pthread_cond_destroy(&c->cv);
    pthread_mutex_destroy(&c->mu);
    free(c);
    s->ckpt = NULL;
}
