/* sqldb_pg.c -- sqldb.h on PostgreSQL (libpq).
 *
 * Statements: ?N becomes $N; a persistent statement is prepared on the
 * server once per connection (PQprepare, named), any other runs with its
 * parameters in one round trip (PQexecParams). Parameters go as text (an
 * integer in decimal), a blob in binary; results come as text. A step runs
 * the statement and keeps its whole result (rows are then read from it), or,
 * for sqlq_stream, one row at a time (single-row mode).
 *
 * A lost connection (the server restarted, a network cut) fails the
 * statement that met it (SQLDB_FAIL_GONE: the store rolls its transaction
 * back and nothing is acknowledged); the next statement or exec reconnects
 * (PQreset) and prepares the persistent statements again, lazily. */
#include "sqldb.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

struct pg {
    struct sqldb base;
    PGconn *conn;
    unsigned generation; /* bumped by each reconnection */
    unsigned next_name;
    long long changes;
    enum sqldb_fail fail;
    char state[6]; /* SQLSTATE of the last failure */
    char msg[256];
};

struct pgq {
    struct sqlq base;
    char *sql;      /* with $N */
    int nparams;
    bool persistent;
    char name[16];  /* the server's name of a persistent statement */
    unsigned prepared_in; /* generation it was prepared in; 0: not */
    char **values;
    int *lengths, *formats;
    char (*ints)[24]; /* each integer parameter's text */
    unsigned char *unused; /* parameters the SQL does not name (typed text) */
    Oid *types;       /* each parameter's type: int8 when bound an integer, text when
                       * bound a text, else 0 (the server infers it from its use) */
    PGresult *res;
    int row, nrows;
    bool ran, streaming, stream_open;
};

static struct pg *P(struct sqldb *db) { return (struct pg *)db; }
static struct pgq *Q(struct sqlq *q) { return (struct pgq *)q; }

/* ---- failures ---------------------------------------------------------------- */

static enum sqldb_fail fail_of(const char *state, PGconn *conn)
{
    if (PQstatus(conn) == CONNECTION_BAD)
        return SQLDB_FAIL_GONE;
    if (!state || !state[0])
        return SQLDB_FAIL_OTHER;
    if (strncmp(state, "23", 2) == 0)
        return SQLDB_FAIL_CONSTRAINT;
    if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 ||
        strcmp(state, "55P03") == 0)
        return SQLDB_FAIL_RETRY;
    if (strncmp(state, "08", 2) == 0 || strncmp(state, "57P0", 4) == 0)
        return SQLDB_FAIL_GONE;
    if (strcmp(state, "53200") == 0)
        return SQLDB_FAIL_NOMEM;
    if (strcmp(state, "XX001") == 0 || strcmp(state, "XX002") == 0)
        return SQLDB_FAIL_CORRUPT;
    return SQLDB_FAIL_OTHER;
}

/* Keeps what res (or the connection) says of a failure; one line. */
static void fail_note(struct pg *p, const PGresult *res)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *m = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    if (!m || !m[0])
        m = PQerrorMessage(p->conn);
    snprintf(p->state, sizeof p->state, "%s", state ? state : "");
    snprintf(p->msg, sizeof p->msg, "%s", m && m[0] ? m : "PostgreSQL failed");
    for (char *c = p->msg; *c; c++) /* one line, for the log */
        if (*c == '\n' || *c == '\r')
            *c = ' ';
    size_t n = strlen(p->msg);
    while (n && p->msg[n - 1] == ' ')
        p->msg[--n] = '\0';
    p->fail = fail_of(state, p->conn);
}

static void ok_note(struct pg *p)
{
    p->fail = SQLDB_FAIL_NONE;
    p->state[0] = '\0';
    p->msg[0] = '\0';
}

/* Reconnects a connection that was lost. 0 when it is up. */
static int pg_alive(struct pg *p)
{
    if (PQstatus(p->conn) == CONNECTION_OK)
        return 0;
    PQreset(p->conn);
    if (PQstatus(p->conn) != CONNECTION_OK) {
        fail_note(p, NULL);
        p->fail = SQLDB_FAIL_GONE;
        return -1;
    }
    p->generation++;
    return 0;
}

/* ---- connection ------------------------------------------------------------ */

static void pg_close(struct sqldb *db)
{
    PQfinish(P(db)->conn);
    free(db);
}

static int pg_exec(struct sqldb *db, const char *sql)
{
    struct pg *p = P(db);
    if (pg_alive(p))
        return -1;
    PGresult *res = PQexec(p->conn, sql);
    ExecStatusType st = PQresultStatus(res);
    int rc = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? 0 : -1;
    if (rc)
        fail_note(p, res);
    else
        ok_note(p);
    PQclear(res);
    return rc;
}

static long long pg_changes(struct sqldb *db) { return P(db)->changes; }
static unsigned pg_generation(struct sqldb *db) { return P(db)->generation; }

static int pg_notifications(struct sqldb *db, void (*fn)(void *, const char *), void *ctx)
{
    struct pg *p = P(db);
    if (!PQconsumeInput(p->conn)) {
        fail_note(p, NULL);
        return -1;
    }
    PGnotify *n;
    int guard = 0;
    while ((n = PQnotifies(p->conn)) != NULL && guard++ < 1000000) {
        fn(ctx, n->extra ? n->extra : "");
        PQfreemem(n);
    }
    return 0;
}

static bool pg_in_tx(struct sqldb *db)
{
    PGTransactionStatusType t = PQtransactionStatus(P(db)->conn);
    return t == PQTRANS_INTRANS || t == PQTRANS_INERROR || t == PQTRANS_ACTIVE;
}

static const char *pg_errmsg(struct sqldb *db)
{
    struct pg *p = P(db);
    return p->msg[0] ? p->msg : "not an error";
}
static enum sqldb_fail pg_fail(struct sqldb *db) { return P(db)->fail; }
static const char *pg_errcode(struct sqldb *db) { return P(db)->state; }

/* ---- statements ---------------------------------------------------------------- */

/* sql with ?N (and a bare ?, the next number) as $N, outside quotes and
 * comments; *nparams the highest N. */
static char *dollar_params(const char *sql, int *nparams, unsigned char used[1001])
{
    size_t len = strlen(sql);
    char *out = malloc(len * 2 + 1); /* "?" becomes at most "$NN" */
    if (!out)
        return NULL;
    char *o = out;
    int next = 1, max = 0;
    for (const char *c = sql; *c;) {
        if (*c == '\'' || *c == '"') { /* a literal or an identifier, '' inside */
            char quote = *c;
            *o++ = *c++;
            while (*c && *c != quote)
                *o++ = *c++;
            if (*c)
                *o++ = *c++;
        } else if (c[0] == '-' && c[1] == '-') {
            while (*c && *c != '\n')
                *o++ = *c++;
        } else if (*c == '?') {
            c++;
            int n = 0;
            if (isdigit((unsigned char)*c)) {
                while (isdigit((unsigned char)*c) && n < 100)
                    n = n * 10 + (*c++ - '0');
            } else {
                n = next;
            }
            next = n + 1;
            if (n > max)
                max = n;
            used[n] = 1;
            o += sprintf(o, "$%d", n);
        } else {
            *o++ = *c++;
        }
    }
    *o = '\0';
    *nparams = max;
    return out;
}

/* A statement's failure: what the server said, and the statement's first
 * words (never its parameters), so that a log says which. */
static void fail_note_q(struct pgq *q, const PGresult *res)
{
    struct pg *p = P(q->base.db);
    fail_note(p, res);
    size_t n = strlen(p->msg);
    snprintf(p->msg + n, sizeof p->msg - n, " (in: %.60s)", q->sql);
}

static void pgq_clear_result(struct pgq *q)
{
    struct pg *p = P(q->base.db);
    PQclear(q->res);
    q->res = NULL;
    if (q->stream_open) { /* rows left unread: read them, so the connection is free */
        PGresult *r;
        int guard = 0;
        while ((r = PQgetResult(p->conn)) && guard++ < 100000000)
            PQclear(r);
        q->stream_open = false;
    }
    q->row = q->nrows = 0;
    q->ran = false;
}

static int pgq_prepare_server(struct pgq *q)
{
    struct pg *p = P(q->base.db);
    if (q->prepared_in == p->generation + 1)
        return 0;
    PGresult *res = PQprepare(p->conn, q->name, q->sql, q->nparams, q->types);
    int rc = PQresultStatus(res) == PGRES_COMMAND_OK ? 0 : -1;
    if (rc)
        fail_note_q(q, res);
    else
        q->prepared_in = p->generation + 1;
    PQclear(res);
    return rc;
}

static struct sqlq *pg_prepare(struct sqldb *db, const char *sql, bool persistent)
{
    struct pg *p = P(db);
    struct pgq *q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    q->base.db = db;
    q->persistent = persistent;
    unsigned char used[1001] = {0};
    q->sql = dollar_params(sql, &q->nparams, used);
    int n = q->nparams > 0 ? q->nparams : 1;
    q->values = calloc((size_t)n, sizeof *q->values);
    q->lengths = calloc((size_t)n, sizeof *q->lengths);
    q->formats = calloc((size_t)n, sizeof *q->formats);
    q->ints = calloc((size_t)n, sizeof *q->ints);
    q->types = calloc((size_t)n, sizeof *q->types);
    if (!q->sql || !q->values || !q->lengths || !q->formats || !q->ints || !q->types) {
        sqlq_finalize(&q->base);
        return NULL;
    }
    q->unused = calloc((size_t)n, 1);
    if (!q->unused) {
        sqlq_finalize(&q->base);
        return NULL;
    }
    for (int i = 0; i < q->nparams; i++) /* bound by the caller, not in this SQL */
        if (!used[i + 1])
            q->unused[i] = 1, q->types[i] = 25;
    /* A persistent statement is prepared on the server when it first runs,
     * with the types of its first parameters. */
    if (persistent)
        snprintf(q->name, sizeof q->name, "q%u", ++p->next_name);
    return &q->base;
}

static void param_free(struct pgq *q, int i)
{
    if (q->values[i] && q->values[i] != q->ints[i])
        free(q->values[i]);
    q->values[i] = NULL;
    q->lengths[i] = 0;
    q->formats[i] = 0;
    if (!q->prepared_in && !q->unused[i])
        q->types[i] = 0;
}

static void pg_reset(struct sqlq *sq) { pgq_clear_result(Q(sq)); }

static void pg_clear_bindings(struct sqlq *sq)
{
    struct pgq *q = Q(sq);
    for (int i = 0; i < q->nparams; i++)
        param_free(q, i);
}

static bool param_ok(struct pgq *q, int i) { return i >= 1 && i <= q->nparams; }

static void pg_bind_int(struct sqlq *sq, int i, long long v)
{
    struct pgq *q = Q(sq);
    if (!param_ok(q, i))
        return;
    param_free(q, i - 1);
    snprintf(q->ints[i - 1], sizeof q->ints[i - 1], "%lld", v);
    q->values[i - 1] = q->ints[i - 1];
    if (!q->prepared_in && !q->unused[i - 1])
        q->types[i - 1] = 20; /* INT8OID */
}

static void pg_bind_text(struct sqlq *sq, int i, const char *v)
{
    struct pgq *q = Q(sq);
    if (!param_ok(q, i))
        return;
    param_free(q, i - 1);
    if (v)
        q->values[i - 1] = strdup(v); /* NULL when out of memory: binds NULL */
    if (v && !q->prepared_in)
        q->types[i - 1] = 25; /* TEXTOID */
}

static void pg_bind_blob(struct sqlq *sq, int i, const void *v, size_t len)
{
    struct pgq *q = Q(sq);
    if (!param_ok(q, i))
        return;
    param_free(q, i - 1);
    char *copy = malloc(len ? len : 1);
    if (!copy)
        return;
    if (len)
        memcpy(copy, v, len);
    q->values[i - 1] = copy;
    q->lengths[i - 1] = (int)len;
    q->formats[i - 1] = 1;
}

static void pg_bind_null(struct sqlq *sq, int i)
{
    struct pgq *q = Q(sq);
    if (param_ok(q, i))
        param_free(q, i - 1);
}

/* Sends the statement: 0, or -1 (noted). */
static int pgq_send(struct pgq *q)
{
    struct pg *p = P(q->base.db);
    if (pg_alive(p))
        return -1;
    const char *const *vals = (const char *const *)q->values;
    if (q->persistent && pgq_prepare_server(q))
        return -1;
    if (q->streaming) {
        int sent = q->persistent ? PQsendQueryPrepared(p->conn, q->name, q->nparams, vals,
                                                       q->lengths, q->formats, 0)
                                 : PQsendQueryParams(p->conn, q->sql, q->nparams, q->types, vals,
                                                     q->lengths, q->formats, 0);
        if (!sent || !PQsetSingleRowMode(p->conn)) {
            fail_note_q(q, NULL);
            return -1;
        }
        q->stream_open = true;
        return 0;
    }
    q->res = q->persistent ? PQexecPrepared(p->conn, q->name, q->nparams, vals, q->lengths,
                                            q->formats, 0)
                           : PQexecParams(p->conn, q->sql, q->nparams, q->types, vals, q->lengths,
                                          q->formats, 0);
    ExecStatusType st = PQresultStatus(q->res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        fail_note_q(q, q->res);
        PQclear(q->res);
        q->res = NULL;
        return -1;
    }
    ok_note(p);
    const char *ct = PQcmdTuples(q->res);
    p->changes = ct && ct[0] ? atoll(ct) : 0;
    q->nrows = st == PGRES_TUPLES_OK ? PQntuples(q->res) : 0;
    q->row = -1;
    return 0;
}

static int pg_stream_step(struct pgq *q)
{
    struct pg *p = P(q->base.db);
    PQclear(q->res);
    q->res = PQgetResult(p->conn);
    ExecStatusType st = PQresultStatus(q->res);
    if (q->res && st == PGRES_SINGLE_TUPLE) {
        q->row = 0;
        return SQLDB_ROW;
    }
    int rc = SQLDB_DONE;
    if (!q->res || (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK)) {
        fail_note(p, q->res);
        rc = SQLDB_ERROR;
    } else {
        ok_note(p);
    }
    PQclear(q->res);
    q->res = NULL;
    PGresult *r; /* the end of the results */
    int guard = 0;
    while ((r = PQgetResult(p->conn)) && guard++ < 1000)
        PQclear(r);
    q->stream_open = false;
    return rc;
}

static int pg_step(struct sqlq *sq)
{
    struct pgq *q = Q(sq);
    if (!q->ran) {
        q->ran = true;
        if (pgq_send(q))
            return SQLDB_ERROR;
    }
    if (q->streaming)
        return q->stream_open ? pg_stream_step(q) : SQLDB_DONE;
    if (!q->res || ++q->row >= q->nrows)
        return SQLDB_DONE;
    return SQLDB_ROW;
}

static int pg_columns(struct sqlq *sq)
{
    struct pgq *q = Q(sq);
    return q->res ? PQnfields(q->res) : 0;
}

static bool have(struct pgq *q, int col)
{
    return q->res && q->row >= 0 && (q->streaming || q->row < q->nrows) && col >= 0 &&
           col < PQnfields(q->res);
}

static bool pg_is_null(struct sqlq *sq, int col)
{
    struct pgq *q = Q(sq);
    return !have(q, col) || PQgetisnull(q->res, q->row, col);
}

static const char *pg_text(struct sqlq *sq, int col)
{
    struct pgq *q = Q(sq);
    return pg_is_null(sq, col) ? NULL : PQgetvalue(q->res, q->row, col);
}

static long long pg_int(struct sqlq *sq, int col)
{
    const char *v = pg_text(sq, col);
    if (!v)
        return 0;
    if (v[0] == 't' && !v[1]) /* a boolean */
        return 1;
    if (v[0] == 'f' && !v[1])
        return 0;
    return strtoll(v, NULL, 10);
}

static double pg_double(struct sqlq *sq, int col)
{
    const char *v = pg_text(sq, col);
    return v ? strtod(v, NULL) : 0.0;
}

static size_t pg_bytes(struct sqlq *sq, int col)
{
    struct pgq *q = Q(sq);
    return pg_is_null(sq, col) ? 0 : (size_t)PQgetlength(q->res, q->row, col);
}

static void pg_finalize(struct sqlq *sq)
{
    struct pgq *q = Q(sq);
    struct pg *p = P(q->base.db);
    pgq_clear_result(q);
    if (q->prepared_in && q->prepared_in == p->generation + 1 &&
        PQstatus(p->conn) == CONNECTION_OK) {
        char sql[32];
        snprintf(sql, sizeof sql, "DEALLOCATE %s", q->name);
        PQclear(PQexec(p->conn, sql));
    }
    for (int i = 0; q->values && i < q->nparams; i++)
        param_free(q, i);
    free(q->values);
    free(q->lengths);
    free(q->formats);
    free(q->ints);
    free(q->types);
    free(q->unused);
    free(q->sql);
    free(q);
}

static void pg_stream(struct sqlq *sq) { Q(sq)->streaming = true; }

static const struct sqldb_ops pg_ops = {
    .close = pg_close,       .exec = pg_exec,           .prepare = pg_prepare,
    .changes = pg_changes,
    .generation = pg_generation,
    .notifications = pg_notifications,   .in_tx = pg_in_tx,         .errmsg = pg_errmsg,
    .fail = pg_fail,         .errcode = pg_errcode,     .reset = pg_reset,
    .clear_bindings = pg_clear_bindings,
    .bind_int = pg_bind_int, .bind_text = pg_bind_text, .bind_blob = pg_bind_blob,
    .bind_null = pg_bind_null, .step = pg_step,         .columns = pg_columns,
    .is_null = pg_is_null,   .col_int = pg_int,         .col_double = pg_double,
    .col_text = pg_text,     .col_bytes = pg_bytes,     .finalize = pg_finalize,
    .stream = pg_stream,
};

/* No notices on stderr (CREATE TABLE IF NOT EXISTS says "already exists"). */
static void quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

struct sqldb *sqldb_open_pg(const char *uri, char err[256])
{
    struct pg *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(err, 256, "out of memory");
        return NULL;
    }
    p->base.ops = &pg_ops;
    p->base.kind = SQLDB_PG;
    /* The URI, then the session's settings the store's SQL relies on (kept
     * by PQreset): dates and times in UTC (store_pg_schema.c's julianday and
     * date), texts in UTF-8. */
    const char *const keys[] = {"dbname", "options", "client_encoding", NULL};
    const char *const vals[] = {uri, "-c TimeZone=UTC", "UTF8", NULL};
    p->conn = PQconnectdbParams(keys, vals, 1);
    if (!p->conn || PQstatus(p->conn) != CONNECTION_OK) {
        /* libpq's message names the host and port, never the password. */
        const char *m = p->conn ? PQerrorMessage(p->conn) : "out of memory";
        bool pw = strstr(m, "password") != NULL; /* none given, or refused */
        int len = (int)strlen(m);
        while (len > 0 && (m[len - 1] == '\n' || m[len - 1] == ' '))
            len--;
        snprintf(err, 256, "cannot connect to PostgreSQL: %.*s%s", len < 120 ? len : 120, m,
                 pw ? "; libpq reads the password from PGPASSFILE or ~/.pgpass (mode 0600)" : "");
        for (char *c = err; *c; c++)
            if (*c == '\n')
                *c = ' ';
        PQfinish(p->conn);
        free(p);
        return NULL;
    }
    PQsetNoticeProcessor(p->conn, quiet, NULL);
    return &p->base;
}
