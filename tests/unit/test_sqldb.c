/* test_sqldb.c -- sqldb.h, the same cases on SQLite (a temporary file) and,
 * when OUTREACH_TEST_PG names a database (tests/unit/with_pg.sh starts one),
 * on PostgreSQL: placeholders, NULLs, integers past 32 bits, texts in
 * Chinese, RETURNING, ON CONFLICT, changes, a UNIQUE refusal, a streamed
 * result, a transaction rolled back, and (PostgreSQL) a statement after the
 * server dropped the connection, and the session's time zone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "sqldb.h"

struct fx {
    struct sqldb *db;
    char path[64];
};

static int open_sqlite(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    snprintf(f->path, sizeof f->path, "/tmp/test_sqldb.%d.db", (int)getpid());
    unlink(f->path);
    f->db = sqldb_open_sqlite(f->path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    assert_non_null(f->db);
    assert_int_equal(sqldb_kind(f->db), SQLDB_SQLITE);
    *state = f;
    return 0;
}

static int open_pg(void **state)
{
    const char *uri = getenv("OUTREACH_TEST_PG");
    struct fx *f = calloc(1, sizeof *f);
    char err[256];
    f->db = sqldb_open_pg(uri, err);
    if (!f->db)
        fail_msg("%s", err);
    assert_int_equal(sqldb_kind(f->db), SQLDB_PG);
    assert_int_equal(sqldb_exec(f->db, "DROP TABLE IF EXISTS t"), 0);
    *state = f;
    return 0;
}

static int close_fx(void **state)
{
    struct fx *f = *state;
    sqldb_close(f->db);
    if (f->path[0])
        unlink(f->path);
    free(f);
    return 0;
}

static void make_table(struct sqldb *db)
{
    assert_int_equal(sqldb_exec(db, "CREATE TABLE t (id BIGINT PRIMARY KEY, name TEXT,"
                                    " n BIGINT NOT NULL DEFAULT 0);"
                                    "CREATE UNIQUE INDEX t_name ON t (name)"),
                     0);
}

static void test_rows(void **state)
{
    struct sqldb *db = ((struct fx *)*state)->db;
    make_table(db);
    struct sqlq *ins = sqldb_prepare(
        db, "INSERT INTO t (id, name, n) VALUES (?1, ?2, ?3) ON CONFLICT (id)"
            " DO UPDATE SET n = t.n + excluded.n RETURNING n",
        true);
    assert_non_null(ins);
    const long long big = 5000000000LL; /* past 32 bits */
    const char *names[] = {"内科", NULL, "it's ?1 -- not a parameter"};
    for (int i = 0; i < 3; i++) {
        sqlq_reset(ins);
        sqlq_clear_bindings(ins);
        sqlq_bind_int(ins, 1, i + 1);
        if (names[i]) /* the NULL: left unbound */
            sqlq_bind_text(ins, 2, names[i]);
        sqlq_bind_int(ins, 3, big + i);
        assert_int_equal(sqlq_step(ins), SQLDB_ROW);
        assert_true(sqlq_int(ins, 0) == big + i);
        assert_int_equal(sqlq_step(ins), SQLDB_DONE);
    }
    /* the upsert adds */
    sqlq_reset(ins);
    sqlq_bind_int(ins, 1, 1);
    sqlq_bind_text(ins, 2, "内科");
    sqlq_bind_int(ins, 3, 7);
    assert_int_equal(sqlq_step(ins), SQLDB_ROW);
    assert_true(sqlq_int(ins, 0) == big + 7);
    assert_int_equal(sqlq_step(ins), SQLDB_DONE);

    struct sqlq *sel =
        sqldb_prepare(db, "SELECT id, name, n FROM t WHERE id >= ? ORDER BY id", false);
    assert_non_null(sel);
    sqlq_bind_int(sel, 1, 1);
    assert_int_equal(sqlq_step(sel), SQLDB_ROW);
    assert_int_equal(sqlq_columns(sel), 3);
    assert_string_equal(sqlq_text(sel, 1), "内科");
    assert_int_equal(sqlq_bytes(sel, 1), strlen("内科"));
    assert_int_equal(sqlq_step(sel), SQLDB_ROW);
    assert_true(sqlq_is_null(sel, 1));
    assert_null(sqlq_text(sel, 1));
    assert_int_equal(sqlq_step(sel), SQLDB_ROW);
    assert_string_equal(sqlq_text(sel, 1), "it's ?1 -- not a parameter");
    assert_int_equal(sqlq_step(sel), SQLDB_DONE);
    sqlq_finalize(sel);

    /* a UNIQUE refusal, then the connection still works */
    sqlq_reset(ins);
    sqlq_bind_int(ins, 1, 9);
    sqlq_bind_text(ins, 2, "内科");
    sqlq_bind_int(ins, 3, 1);
    assert_int_equal(sqlq_step(ins), SQLDB_ERROR);
    assert_int_equal(sqldb_fail(db), SQLDB_FAIL_CONSTRAINT);
    sqlq_finalize(ins);

    struct sqlq *upd = sqldb_prepare(db, "UPDATE t SET n = n + 1 WHERE id <= ?1", false);
    sqlq_bind_int(upd, 1, 2);
    assert_int_equal(sqlq_step(upd), SQLDB_DONE);
    assert_int_equal(sqldb_changes(db), 2);
    sqlq_finalize(upd);
}

static void test_tx_and_stream(void **state)
{
    struct sqldb *db = ((struct fx *)*state)->db;
    make_table(db);
    assert_false(sqldb_in_tx(db));
    assert_int_equal(sqldb_exec(db, "BEGIN"), 0);
    assert_true(sqldb_in_tx(db));
    struct sqlq *ins = sqldb_prepare(db, "INSERT INTO t (id, name) VALUES (?1, ?2)", true);
    char name[32];
    for (int i = 0; i < 1000; i++) {
        sqlq_reset(ins);
        sqlq_bind_int(ins, 1, i);
        snprintf(name, sizeof name, "n%04d", i);
        sqlq_bind_text(ins, 2, name);
        assert_int_equal(sqlq_step(ins), SQLDB_DONE);
    }
    assert_int_equal(sqldb_exec(db, "COMMIT"), 0);
    assert_int_equal(sqldb_exec(db, "BEGIN"), 0);
    assert_int_equal(sqldb_exec(db, "DELETE FROM t WHERE id < 500"), 0);
    assert_int_equal(sqldb_exec(db, "ROLLBACK"), 0);
    assert_false(sqldb_in_tx(db));

    struct sqlq *all = sqldb_prepare(db, "SELECT id, name FROM t ORDER BY id", false);
    sqlq_stream(all);
    long long n = 0, sum = 0;
    int rc;
    while ((rc = sqlq_step(all)) == SQLDB_ROW && n < 2000) {
        snprintf(name, sizeof name, "n%04lld", n);
        assert_string_equal(sqlq_text(all, 1), name);
        sum += sqlq_int(all, 0);
        n++;
    }
    assert_int_equal(rc, SQLDB_DONE);
    assert_int_equal(n, 1000);
    assert_int_equal(sum, 999 * 1000 / 2);
    /* a stream left half read, then another statement */
    sqlq_reset(all);
    assert_int_equal(sqlq_step(all), SQLDB_ROW);
    sqlq_reset(all);
    sqlq_finalize(all);
    sqlq_reset(ins);
    sqlq_bind_int(ins, 1, 5000);
    sqlq_bind_text(ins, 2, "after");
    assert_int_equal(sqlq_step(ins), SQLDB_DONE);
    sqlq_finalize(ins);
}

/* The server ends the connection (pg_terminate_backend from a second one):
 * the statement that meets it fails as GONE, the next reconnects and runs,
 * its prepared statement prepared again. */
static void test_pg_reconnect(void **state)
{
    struct sqldb *db = ((struct fx *)*state)->db;
    make_table(db);
    struct sqlq *ins = sqldb_prepare(db, "INSERT INTO t (id) VALUES (?1)", true);
    sqlq_bind_int(ins, 1, 1);
    assert_int_equal(sqlq_step(ins), SQLDB_DONE);
    struct sqlq *pid = sqldb_prepare(db, "SELECT pg_backend_pid()", false);
    assert_int_equal(sqlq_step(pid), SQLDB_ROW);
    long long backend = sqlq_int(pid, 0);
    sqlq_finalize(pid);

    char err[256];
    struct sqldb *other = sqldb_open_pg(getenv("OUTREACH_TEST_PG"), err);
    assert_non_null(other);
    struct sqlq *kill = sqldb_prepare(other, "SELECT pg_terminate_backend(CAST(?1 AS INTEGER))",
                                      false);
    sqlq_bind_int(kill, 1, backend);
    assert_int_equal(sqlq_step(kill), SQLDB_ROW);
    assert_int_equal(sqlq_int(kill, 0), 1);
    sqlq_finalize(kill);
    sqldb_close(other);

    sqlq_reset(ins);
    sqlq_bind_int(ins, 1, 2);
    int first = SQLDB_ERROR;
    for (int i = 0; i < 50 && (first = sqlq_step(ins)) == SQLDB_DONE; i++) {
        /* the termination may not have reached this connection yet */
        sqlq_reset(ins);
        sqlq_bind_int(ins, 1, 3 + i);
        usleep(20000);
    }
    assert_int_equal(first, SQLDB_ERROR);
    assert_int_equal(sqldb_fail(db), SQLDB_FAIL_GONE);
    sqlq_reset(ins);
    sqlq_bind_int(ins, 1, 100);
    assert_int_equal(sqlq_step(ins), SQLDB_DONE);
    sqlq_finalize(ins);
    struct sqlq *count = sqldb_prepare(db, "SELECT COUNT(*) FROM t WHERE id = 100", false);
    assert_int_equal(sqlq_step(count), SQLDB_ROW);
    assert_int_equal(sqlq_int(count, 0), 1);
    sqlq_finalize(count);
}

/* The session's time zone is UTC whatever the database's default (the
 * store's julianday and date rely on it), also after a reconnection. */
static void test_pg_session(void **state)
{
    struct sqldb *db = ((struct fx *)*state)->db;
    assert_int_equal(sqldb_exec(db, "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET TimeZone"
                                    " = %L', current_database(), 'Asia/Shanghai'); END $$"),
                     0);
    char err[256];
    struct sqldb *fresh = sqldb_open_pg(getenv("OUTREACH_TEST_PG"), err);
    assert_non_null(fresh);
    struct sqlq *q = sqldb_prepare(fresh, "SELECT current_setting('TimeZone'),"
                                          " current_setting('client_encoding')", false);
    assert_int_equal(sqlq_step(q), SQLDB_ROW);
    assert_string_equal(sqlq_text(q, 0), "UTC");
    assert_string_equal(sqlq_text(q, 1), "UTF8");
    sqlq_finalize(q);
    sqldb_close(fresh);
    assert_int_equal(sqldb_exec(db, "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I RESET"
                                    " TimeZone', current_database()); END $$"),
                     0);
}

int main(void)
{
    const struct CMUnitTest lite[] = {
        cmocka_unit_test_setup_teardown(test_rows, open_sqlite, close_fx),
        cmocka_unit_test_setup_teardown(test_tx_and_stream, open_sqlite, close_fx),
    };
    const struct CMUnitTest pg[] = {
        cmocka_unit_test_setup_teardown(test_rows, open_pg, close_fx),
        cmocka_unit_test_setup_teardown(test_tx_and_stream, open_pg, close_fx),
        cmocka_unit_test_setup_teardown(test_pg_reconnect, open_pg, close_fx),
        cmocka_unit_test_setup_teardown(test_pg_session, open_pg, close_fx),
    };
    int failed = cmocka_run_group_tests_name("sqldb on SQLite", lite, NULL, NULL);
    if (getenv("OUTREACH_TEST_PG"))
        failed += cmocka_run_group_tests_name("sqldb on PostgreSQL", pg, NULL, NULL);
    else
        print_message("OUTREACH_TEST_PG not set: PostgreSQL cases not run\n");
    return failed;
}
