/* sqldb.c -- sqldb.h's calls, passed to the connection's driver. */
#include "sqldb.h"

#include <string.h>

bool sqldb_is_pg_uri(const char *path)
{
    return path && (strncmp(path, "postgresql://", 13) == 0 ||
                    strncmp(path, "postgres://", 11) == 0);
}

void sqldb_close(struct sqldb *db)
{
    if (db)
        db->ops->close(db);
}

enum sqldb_kind sqldb_kind(const struct sqldb *db) { return db->kind; }
int sqldb_exec(struct sqldb *db, const char *sql) { return db->ops->exec(db, sql); }
struct sqlq *sqldb_prepare(struct sqldb *db, const char *sql, bool persistent)
{
    return db->ops->prepare(db, sql, persistent);
}
long long sqldb_changes(struct sqldb *db) { return db->ops->changes(db); }
unsigned sqldb_generation(struct sqldb *db) { return db->ops->generation(db); }
int sqldb_notifications(struct sqldb *db, void (*fn)(void *, const char *), void *ctx)
{
    return db->ops->notifications(db, fn, ctx);
}
bool sqldb_in_tx(struct sqldb *db) { return db->ops->in_tx(db); }
const char *sqldb_errmsg(struct sqldb *db) { return db ? db->ops->errmsg(db) : "no database"; }
enum sqldb_fail sqldb_fail(struct sqldb *db) { return db->ops->fail(db); }
const char *sqldb_errcode(struct sqldb *db) { return db->ops->errcode(db); }

void sqlq_reset(struct sqlq *q) { q->db->ops->reset(q); }
void sqlq_clear_bindings(struct sqlq *q) { q->db->ops->clear_bindings(q); }
void sqlq_bind_int(struct sqlq *q, int i, long long v) { q->db->ops->bind_int(q, i, v); }
void sqlq_bind_text(struct sqlq *q, int i, const char *v) { q->db->ops->bind_text(q, i, v); }
void sqlq_bind_blob(struct sqlq *q, int i, const void *v, size_t len)
{
    q->db->ops->bind_blob(q, i, v, len);
}
void sqlq_bind_null(struct sqlq *q, int i) { q->db->ops->bind_null(q, i); }
int sqlq_step(struct sqlq *q) { return q->db->ops->step(q); }
int sqlq_columns(struct sqlq *q) { return q->db->ops->columns(q); }
bool sqlq_is_null(struct sqlq *q, int col) { return q->db->ops->is_null(q, col); }
long long sqlq_int(struct sqlq *q, int col) { return q->db->ops->col_int(q, col); }
double sqlq_double(struct sqlq *q, int col) { return q->db->ops->col_double(q, col); }
const char *sqlq_text(struct sqlq *q, int col) { return q->db->ops->col_text(q, col); }
size_t sqlq_bytes(struct sqlq *q, int col) { return q->db->ops->col_bytes(q, col); }
void sqlq_finalize(struct sqlq *q)
{
    if (q)
        q->db->ops->finalize(q);
}
void sqlq_stream(struct sqlq *q) { q->db->ops->stream(q); }
