/* sqldb.h -- the SQL that the store (store_sql*.c) runs, on a SQLite file or
 * a PostgreSQL server: one connection and one statement type over both, so
 * that what the store does is written once and a second engine is one more
 * file (sqldb_pg.c) beside the first (sqldb_sqlite.c).
 *
 * Statements are written in the SQL the two engines share: ?N placeholders
 * (sqldb_pg.c turns them into $N), INSERT ... ON CONFLICT ... DO UPDATE /
 * DO NOTHING, RETURNING, CASE, COALESCE, window functions. What they do not
 * share (date arithmetic, the schema's types, PRAGMAs) the store chooses by
 * sqldb_kind. Texts are bound as texts and integers as 64-bit integers;
 * PostgreSQL infers each parameter's type from where it is used, so a
 * parameter whose type nothing around it says is written CAST(?N AS TEXT)
 * or CAST(?N AS BIGINT). Included only by the store's backend. */
#ifndef OUTREACH_SQLDB_H
#define OUTREACH_SQLDB_H

#include <stdbool.h>
#include <stddef.h>

enum sqldb_kind { SQLDB_SQLITE, SQLDB_PG };

/* What sqlq_step says. */
enum { SQLDB_ERROR = -1, SQLDB_DONE = 0, SQLDB_ROW = 1 };

/* What the last failure was, in the kinds the store decides on. */
enum sqldb_fail {
    SQLDB_FAIL_NONE,
    SQLDB_FAIL_OTHER,
    SQLDB_FAIL_CONSTRAINT, /* a UNIQUE, NOT NULL, CHECK or foreign key refused it */
    SQLDB_FAIL_RETRY,      /* busy, a lock not granted, a deadlock or a serialization
                            * failure: the transaction can be run again */
    SQLDB_FAIL_GONE,       /* the connection to the server was lost */
    SQLDB_FAIL_CORRUPT,    /* the store's file is damaged */
    SQLDB_FAIL_NOMEM,
};

struct sqldb;
struct sqlq;
struct sqlite3;

/* A SQLite connection (sqlite3_open_v2 with flags): NULL when out of memory;
 * otherwise the caller checks sqldb_fail and sqldb_errmsg and closes it. */
struct sqldb *sqldb_open_sqlite(const char *path, int flags);
/* A PostgreSQL connection to uri (a libpq connection URI, postgresql://...):
 * NULL with err set when it cannot be made. The password comes from the URI,
 * PGPASSWORD or the passfile (PGPASSFILE, ~/.pgpass), as for every libpq
 * program. */
struct sqldb *sqldb_open_pg(const char *uri, char err[256]);
/* Whether path names a PostgreSQL database (postgresql:// or postgres://). */
bool sqldb_is_pg_uri(const char *path);
void sqldb_close(struct sqldb *db);

enum sqldb_kind sqldb_kind(const struct sqldb *db);
/* The SQLite connection of a SQLite sqldb (NULL for PostgreSQL), for what
 * only SQLite has: PRAGMAs, checkpoints, its file's checks. */
struct sqlite3 *sqldb_sqlite(struct sqldb *db);

/* Runs one or more statements that return no rows: 0, or -1 (sqldb_errmsg). */
int sqldb_exec(struct sqldb *db, const char *sql);
/* A statement; persistent when it is kept for the connection's life (the
 * hot path's). NULL when it cannot be prepared (sqldb_errmsg). */
struct sqlq *sqldb_prepare(struct sqldb *db, const char *sql, bool persistent);
/* How many times the connection was made again (PostgreSQL: after the server
 * or the network dropped it; SQLite: always 0): what a session's locks
 * depended on is gone when it changed. */
unsigned sqldb_generation(struct sqldb *db);
/* Notifications received (PostgreSQL's LISTEN/NOTIFY; SQLite has none):
 * reads what the server sent, without waiting, and calls fn(ctx, payload)
 * for each. 0, or -1 when the connection failed (sqldb_errmsg). */
int sqldb_notifications(struct sqldb *db, void (*fn)(void *ctx, const char *payload), void *ctx);
/* Rows changed by the last INSERT, UPDATE or DELETE. */
long long sqldb_changes(struct sqldb *db);
/* Whether a transaction is open. */
bool sqldb_in_tx(struct sqldb *db);
const char *sqldb_errmsg(struct sqldb *db);
enum sqldb_fail sqldb_fail(struct sqldb *db);
/* What the server said, for logs: "42P01" (SQLSTATE) or the SQLite code. */
const char *sqldb_errcode(struct sqldb *db);

/* Resets a statement to run again, its bindings kept (sqlite3_reset). */
void sqlq_reset(struct sqlq *q);
/* Sets every parameter to NULL (sqlite3_clear_bindings). */
void sqlq_clear_bindings(struct sqlq *q);
/* Binds parameter i (1-based). Texts are copied; a NULL text binds NULL. */
void sqlq_bind_int(struct sqlq *q, int i, long long v);
void sqlq_bind_text(struct sqlq *q, int i, const char *v);
void sqlq_bind_blob(struct sqlq *q, int i, const void *v, size_t len);
void sqlq_bind_null(struct sqlq *q, int i);
/* Runs the statement (first call) or moves to its next row: SQLDB_ROW,
 * SQLDB_DONE or SQLDB_ERROR (sqldb_errmsg of its connection). */
int sqlq_step(struct sqlq *q);
/* Columns of the current row (0-based). */
int sqlq_columns(struct sqlq *q);
bool sqlq_is_null(struct sqlq *q, int col);
long long sqlq_int(struct sqlq *q, int col);  /* 0 when NULL */
double sqlq_double(struct sqlq *q, int col);  /* 0 when NULL */
const char *sqlq_text(struct sqlq *q, int col); /* NULL when NULL; valid until the next step */
size_t sqlq_bytes(struct sqlq *q, int col);
void sqlq_finalize(struct sqlq *q);
/* Large results (an export): rows are fetched one at a time, not all at once
 * (PostgreSQL's single-row mode; SQLite always steps). While such a
 * statement has rows left, nothing else runs on its connection. */
void sqlq_stream(struct sqlq *q);

/* ---- what a driver provides (sqldb_sqlite.c, sqldb_pg.c) ---- */
struct sqldb_ops {
    void (*close)(struct sqldb *db);
    int (*exec)(struct sqldb *db, const char *sql);
    struct sqlq *(*prepare)(struct sqldb *db, const char *sql, bool persistent);
    long long (*changes)(struct sqldb *db);
    unsigned (*generation)(struct sqldb *db);
    int (*notifications)(struct sqldb *db, void (*fn)(void *, const char *), void *ctx);
    bool (*in_tx)(struct sqldb *db);
    const char *(*errmsg)(struct sqldb *db);
    enum sqldb_fail (*fail)(struct sqldb *db);
    const char *(*errcode)(struct sqldb *db);
    void (*reset)(struct sqlq *q);
    void (*clear_bindings)(struct sqlq *q);
    void (*bind_int)(struct sqlq *q, int i, long long v);
    void (*bind_text)(struct sqlq *q, int i, const char *v);
    void (*bind_blob)(struct sqlq *q, int i, const void *v, size_t len);
    void (*bind_null)(struct sqlq *q, int i);
    int (*step)(struct sqlq *q);
    int (*columns)(struct sqlq *q);
    bool (*is_null)(struct sqlq *q, int col);
    long long (*col_int)(struct sqlq *q, int col);
    double (*col_double)(struct sqlq *q, int col);
    const char *(*col_text)(struct sqlq *q, int col);
    size_t (*col_bytes)(struct sqlq *q, int col);
    void (*finalize)(struct sqlq *q);
    void (*stream)(struct sqlq *q);
};
/* Every driver's connection and statement begin with these. */
struct sqldb {
    const struct sqldb_ops *ops;
    enum sqldb_kind kind;
};
struct sqlq {
    struct sqldb *db;
};

#endif
