/* test_layout.c -- the reports table's layout: a store of the first layout
 * (reports WITHOUT ROWID keyed by msg_id, each report's JSON in payload), as
 * coordinators before this one wrote it, is brought to the new one (a rowid
 * table with a UNIQUE msg_id index, entered_by in a column, no payload) by the
 * daemon's open, once: every report is still there with the same columns,
 * entered_by comes from the JSON, the figures are exactly the same, and every
 * msg_id is still refused as a duplicate afterwards (each counts once, ever). */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <sqlite3.h>

#include "unit_store.h"

#include "intake.h"
#include "report.h"
#include "store.h"

#define NOW UNIT_STORE_NOW
#define N_REPORTS 300

/* The reports table of the first layout, as main wrote it before. */
static const char old_reports_sql[] =
    "CREATE TABLE reports ("
    " msg_id TEXT PRIMARY KEY, agent_id TEXT NOT NULL, seq INTEGER NOT NULL,"
    " kind TEXT NOT NULL, trip_id TEXT NOT NULL REFERENCES trips (trip_id),"
    " recorded_at TEXT NOT NULL, received_at TEXT NOT NULL, voided_by TEXT,"
    " department TEXT, consultations INTEGER, female INTEGER, over_60 INTEGER,"
    " poor_households INTEGER, medicine TEXT, quantity INTEGER, unit TEXT,"
    " value_fen INTEGER, destination TEXT, condition TEXT, urgency TEXT,"
    " patient_ref TEXT, age INTEGER, sex TEXT, brochures INTEGER, attendees INTEGER,"
    " talks INTEGER, topic TEXT, staff_id TEXT, role TEXT, organization TEXT,"
    " voids TEXT, void_reason TEXT, payload TEXT NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX reports_staff ON reports (trip_id, staff_id, role)"
    " WHERE kind = 'checkin' AND voided_by IS NULL;";

/* Every column the two layouts share, in one text, ordered by msg_id. */
#define SHARED_COLS                                                                    \
    "msg_id, agent_id, seq, kind, trip_id, recorded_at, received_at, voided_by,"      \
    " department, consultations, female, over_60, poor_households, medicine,"         \
    " quantity, unit, value_fen, destination, condition, urgency, patient_ref, age,"  \
    " sex, brochures, attendees, talks, topic, staff_id, role, organization, voids,"  \
    " void_reason"

static char payloads[N_REPORTS][1024];
static char ids[N_REPORTS][40];
static const char *kinds[N_REPORTS];
static const char *agents[N_REPORTS];

static sqlite3 *raw_open(const char *path)
{
    sqlite3 *db = NULL;
    if (sqlite3_open(path, &db) != SQLITE_OK)
        fail_msg("open %s: %s", path, sqlite3_errmsg(db));
    return db;
}

static void raw_exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg);
}

/* The rows of sql, one line each, columns separated by '|'. */
static char *dump(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("prepare %s: %s", sql, sqlite3_errmsg(db));
    size_t cap = 1 << 16, n = 0;
    char *out = malloc(cap);
    assert_non_null(out);
    out[0] = '\0';
    while (sqlite3_step(st) == SQLITE_ROW) {
        for (int i = 0; i < sqlite3_column_count(st); i++) {
            const unsigned char *v = sqlite3_column_text(st, i);
            size_t len = strlen(v ? (const char *)v : "NULL") + 2;
            if (n + len + 1 > cap) {
                cap = 2 * (n + len + 1);
                out = realloc(out, cap);
                assert_non_null(out);
            }
            n += (size_t)snprintf(out + n, cap - n, "%s%c", v ? (const char *)v : "NULL",
                                  i + 1 < sqlite3_column_count(st) ? '|' : '\n');
        }
    }
    sqlite3_finalize(st);
    return out;
}

static long long one(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("prepare %s: %s", sql, sqlite3_errmsg(db));
    long long v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    return v;
}

/* The reports table is in the first layout (old) or the new one, with n
 * reports whose shared columns are rows (dump). */
static void assert_layout(sqlite3 *db, bool old, long long n, const char *rows)
{
    assert_int_equal(one(db, "SELECT COUNT(*) FROM pragma_table_info('reports')"
                             " WHERE name = 'payload'"), old);
    assert_int_equal(one(db, "SELECT COUNT(*) FROM pragma_table_info('reports')"
                             " WHERE name = 'entered_by'"), !old);
    assert_int_equal(one(db, "SELECT COUNT(*) FROM sqlite_schema WHERE name = 'reports'"
                             " AND sql LIKE '%WITHOUT ROWID%'"), old);
    /* The new layout's msg_id index (the old one's is its primary key). */
    assert_int_equal(one(db, "SELECT COUNT(*) FROM pragma_index_list('reports')"
                             " WHERE \"unique\" = 1 AND origin = 'u'"), !old);
    assert_int_equal(one(db, "SELECT COUNT(*) FROM reports"), n);
    char *got = dump(db, "SELECT " SHARED_COLS " FROM reports ORDER BY msg_id");
    assert_string_equal(got, rows);
    free(got);
}

static struct outcome feed(struct store *s, int i)
{
    struct report r;
    struct jerr err = {{0}};
    if (report_decode(agents[i], kinds[i], payloads[i], strlen(payloads[i]), &r, &err) != RJ_NONE)
        fail_msg("report %d refused: %s (%s)", i, err.msg, payloads[i]);
    struct outcome out;
    assert_int_equal(store_begin(s), OERR_OK);
    assert_int_equal(intake_report(s, &r, payloads[i], strlen(payloads[i]), NOW, &out), OERR_OK);
    assert_int_equal(store_commit(s), OERR_OK);
    report_free(&r);
    return out;
}

/* Reports of every kind on three trips of two years, a tenth with entered_by,
 * 45 voided; each must be accepted. */
static void fill(struct store *s)
{
    static const char *const trips[] = {"2025-t-1", "2026-t-1", "2026-t-2"};
    add_trip(s, trips[0], "2025-05-10", "c1");
    add_trip(s, trips[1], "2026-03-02", "c1");
    add_trip(s, trips[2], "2026-09-20", "c2");
    for (int i = 0; i < N_REPORTS; i++) {
        snprintf(ids[i], sizeof ids[i], "%s", mid(1000 + (i * 7919) % 100000));
        agents[i] = (i / 6) % 2 ? "team-01" : "team-02";
        const char *trip = trips[i % 3];
        char extra[64] = "";
        if (i % 10 == 3)
            snprintf(extra, sizeof extra, ",\"entered_by\":\"nurse-%02d\"", i % 7);
        const char *fields;
        char vbuf[128];
        switch (i % 6) {
        case 0:
            kinds[i] = "checkin";
            fields = i % 12 ? "\"staff_id\":\"st-1\",\"role\":\"doctor\""
                            : "\"staff_id\":\"st-2\",\"role\":\"nurse\"";
            break;
        case 1:
            kinds[i] = "dispense";
            fields = "\"medicine\":\"ibuprofen\",\"quantity\":2,\"unit\":\"box\","
                     "\"value_fen\":1200";
            break;
        case 2:
            kinds[i] = "referral";
            fields = "\"destination\":\"county_hospital\",\"condition\":\"cataract\","
                     "\"urgency\":\"routine\",\"patient_ref\":\"P-0042\",\"age\":70,"
                     "\"sex\":\"F\"";
            break;
        case 5:
            if (i >= 30) { /* voids the headcount of its own agent just before */
                kinds[i] = "void";
                snprintf(vbuf, sizeof vbuf, "\"voids\":\"%s\",\"reason\":\"typo\"", ids[i - 1]);
                fields = vbuf;
                break;
            }
            /* fall through */
        default:
            kinds[i] = "headcount";
            fields = "\"department\":\"internal\",\"consultations\":3,\"female\":1";
            break;
        }
        int len = snprintf(payloads[i], sizeof payloads[i],
                 "{\"msg_id\":\"%s\",\"agent_id\":\"%s\",\"seq\":%d,\"trip_id\":\"%s\","
                 "\"recorded_at\":\"%.10sT09:00:00+08:00\",%s%s}",
                 ids[i], agents[i], i + 1, trip, i % 3 == 0 ? "2025-05-10" : i % 3 == 1 ?
                 "2026-03-02" : "2026-09-20", fields, extra);
        assert_true(len > 0 && (size_t)len < sizeof payloads[i]);
        struct outcome o = feed(s, i);
        if (o.status != ACK_ACCEPTED)
            fail_msg("report %d (%s) not accepted: %s", i, kinds[i], o.reason);
    }
}

/* The first layout: reports rewritten as main wrote them, payload and all,
 * and the layout mark dropped, as an older coordinator left it. */
static void make_old(const char *path)
{
    sqlite3 *db = raw_open(path);
    raw_exec(db, "BEGIN; CREATE TABLE reports_keep AS SELECT * FROM reports;"
                 " DROP TABLE reports;");
    raw_exec(db, old_reports_sql);
    raw_exec(db, "INSERT INTO reports (" SHARED_COLS ", payload) SELECT " SHARED_COLS
                 ", '' FROM reports_keep; DROP TABLE reports_keep;"
                 " DELETE FROM meta WHERE key = 'layout';");
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "UPDATE reports SET payload = ?2 WHERE msg_id = ?1",
                                        -1, &st, NULL),
                     SQLITE_OK);
    for (int i = 0; i < N_REPORTS; i++) {
        sqlite3_bind_text(st, 1, ids[i], -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, payloads[i], -1, SQLITE_STATIC);
        assert_int_equal(sqlite3_step(st), SQLITE_DONE);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    raw_exec(db, "COMMIT");
    assert_int_equal(one(db, "SELECT COUNT(*) FROM reports WHERE payload = ''"), 0);
    sqlite3_close(db);
}

/* The upgrade, with another connection reading the store (the CLI) or not:
 * through the WAL then, else in a rollback journal; the same outcome. */
static void old_layout_upgraded(struct filestore *f, bool reader)
{
    fill(f->s);
    struct totals t25 = totals_of(f->s, 2025, NULL, NULL), t26 = totals_of(f->s, 2026, NULL, NULL);
    store_close(f->s);
    f->s = NULL;
    sqlite3 *db = raw_open(f->path);
    char *rows = dump(db, "SELECT " SHARED_COLS " FROM reports ORDER BY msg_id");
    char *entered = dump(db, "SELECT msg_id, entered_by FROM reports ORDER BY msg_id");
    sqlite3_close(db);

    make_old(f->path);
    db = raw_open(f->path);
    assert_layout(db, true, N_REPORTS, rows);
    sqlite3_close(db);

    /* The daemon's open brings it to the new layout. */
    sqlite3 *other = NULL;
    if (reader) {
        other = raw_open(f->path);
        assert_int_equal(one(other, "SELECT COUNT(*) FROM trips"), 3);
    }
    struct log_capture lc;
    log_capture_start(&lc);
    filestore_reopen(f);
    char *log = log_capture_end(&lc);
    /* the path taken: the rollback journal only while no one else reads */
    char want[256];
    snprintf(want, sizeof want, " info: store %s: %d reports brought to the new layout in ",
             f->path, N_REPORTS);
    const char *said = strstr(log, want);
    if (!said)
        fail_msg("no upgrade in the log: %s", log);
    const char *path_taken = reader ? " s (through the WAL)\n" : " s (rollback journal)\n";
    const char *end = strchr(said, '\n');
    assert_non_null(end);
    if ((size_t)(end + 1 - said) < strlen(path_taken) ||
        strncmp(end + 1 - strlen(path_taken), path_taken, strlen(path_taken)) != 0)
        fail_msg("upgrade not%s: %.*s", path_taken + 2, (int)(end - said), said);
    assert_null(strstr(log, " warn: "));
    free(log);
    if (other) {
        assert_int_equal(one(other, "SELECT COUNT(*) FROM reports"), N_REPORTS);
        sqlite3_close(other);
    }
    db = raw_open(f->path);
    assert_layout(db, false, N_REPORTS, rows);
    assert_int_equal(one(db, "SELECT COUNT(*) FROM sqlite_schema WHERE name = 'reports_staff'"),
                     1);
    assert_int_equal(one(db, "SELECT COUNT(*) FROM sqlite_schema WHERE name LIKE 'reports_%'"
                             " AND type = 'table'"), 0);
    char *new_entered = dump(db, "SELECT msg_id, entered_by FROM reports ORDER BY msg_id");
    assert_string_equal(new_entered, entered);
    free(new_entered);
    assert_int_equal(one(db, "SELECT COUNT(*) FROM reports WHERE entered_by IS NOT NULL"),
                     N_REPORTS / 10);
    assert_int_equal(one(db, "SELECT COUNT(*) FROM reports WHERE voided_by IS NOT NULL"), 45);
    sqlite3_close(db);
    free(rows);
    free(entered);

    /* Exactly the same figures. */
    struct totals n25 = totals_of(f->s, 2025, NULL, NULL), n26 = totals_of(f->s, 2026, NULL, NULL);
    assert_memory_equal(&n25, &t25, sizeof n25);
    assert_memory_equal(&n26, &t26, sizeof n26);
    assert_int_equal(n26.consultations, t26.consultations);
    assert_true(n25.consultations > 0 && n25.staff == 2 && n25.checkins > 0);

    /* Every msg_id counts once, ever: each is a duplicate now, nothing moves. */
    for (int i = 0; i < N_REPORTS; i++) {
        struct outcome o = feed(f->s, i);
        assert_int_equal(o.status, ACK_DUPLICATE);
    }
    /* A resend naming another year's trip is no way round it. */
    struct msg_record m;
    assert_int_equal(store_msg_find(f->s, ids[1], &m), OERR_OK);
    assert_true(m.stored);
    char forged[1024];
    snprintf(forged, sizeof forged, "%s", payloads[1]);
    char *trip = strstr(forged, "2026-t-1");
    assert_non_null(trip);
    memcpy(trip, "2025-t-1", 8);
    snprintf(payloads[1], sizeof payloads[1], "%s", forged);
    assert_int_equal(feed(f->s, 1).status, ACK_DUPLICATE);
    n25 = totals_of(f->s, 2025, NULL, NULL);
    n26 = totals_of(f->s, 2026, NULL, NULL);
    assert_memory_equal(&n25, &t25, sizeof n25);
    assert_memory_equal(&n26, &t26, sizeof n26);

    /* Once: a second open finds the new layout and leaves it as it is. */
    db = raw_open(f->path);
    char *schema = dump(db, "SELECT name, sql FROM sqlite_schema ORDER BY name");
    long long pages = one(db, "PRAGMA page_count");
    sqlite3_close(db);
    filestore_reopen(f);
    db = raw_open(f->path);
    char *schema2 = dump(db, "SELECT name, sql FROM sqlite_schema ORDER BY name");
    assert_string_equal(schema2, schema);
    assert_int_equal(one(db, "PRAGMA page_count"), pages);
    sqlite3_close(db);
    free(schema);
    free(schema2);
}

static void test_old_layout_upgraded(void **state)
{
    old_layout_upgraded(*state, false);
}

static void test_old_layout_upgraded_beside_reader(void **state)
{
    old_layout_upgraded(*state, true);
}

/* A store of the first layout, made from fill()'s reports; extra (SQL run
 * on it, or NULL) then changes it behind the coordinator's back. Returns the
 * shared columns of its reports (dump), malloc'd. */
static char *old_store(struct filestore *f, const char *extra)
{
    fill(f->s);
    store_close(f->s);
    f->s = NULL;
    make_old(f->path);
    sqlite3 *db = raw_open(f->path);
    if (extra)
        raw_exec(db, extra);
    char *rows = dump(db, "SELECT " SHARED_COLS " FROM reports ORDER BY msg_id");
    sqlite3_close(db);
    return rows;
}

/* An upgrade that fails (here a report whose trip is gone, which the new
 * table's constraint refuses) says why, with what it needs, and changes
 * nothing: SQLite's error is not lost to the ROLLBACK. */
static void test_upgrade_failure_says_why(void **state)
{
    struct filestore *f = *state;
    char *rows = old_store(f, "INSERT INTO reports (msg_id, agent_id, seq, kind, trip_id,"
                              " recorded_at, received_at, payload) VALUES ('orphan', 'team-01',"
                              " 9999, 'headcount', 'gone', '2026-01-01T09:00:00+08:00',"
                              " '2026-01-01T09:00:00+08:00', '{}')");
    char err[256] = "", want[512];
    assert_int_equal(store_open(f->path, &f->s, err), OERR_DB);
    assert_null(f->s);
    snprintf(want, sizeof want, "cannot bring the reports of %s to the new layout: FOREIGN KEY "
             "constraint failed (the upgrade needs about the reports' size again in free disk "
             "space)", f->path);
    assert_string_equal(err, want);
    sqlite3 *db = raw_open(f->path);
    assert_layout(db, true, N_REPORTS + 1, rows);
    char *mode = dump(db, "PRAGMA journal_mode");
    assert_string_equal(mode, "wal\n");
    free(mode);
    sqlite3_close(db);
    free(rows);
}

/* A damaged page among the old reports (which the open's check leaves to
 * `check`): the upgrade stops at it, says the store is damaged and what to
 * run, and the caller hears OERR_CORRUPT. */
static void test_upgrade_failure_damage(void **state)
{
    struct filestore *f = *state;
    char *rows = old_store(f, NULL);
    sqlite3 *db = raw_open(f->path);
    long long size = one(db, "PRAGMA page_size");
    long long page = one(db, "SELECT pageno FROM dbstat WHERE name = 'reports'"
                             " AND pagetype = 'leaf' ORDER BY pageno LIMIT 1 OFFSET 5");
    sqlite3_close(db);
    assert_true(size > 0 && page > 1);
    FILE *fp = fopen(f->path, "r+b");
    assert_non_null(fp);
    char junk[65536];
    memset(junk, 'x', sizeof junk);
    assert_int_equal(fseek(fp, (long)((page - 1) * size), SEEK_SET), 0);
    assert_int_equal(fwrite(junk, 1, (size_t)size, fp), (size_t)size);
    assert_int_equal(fclose(fp), 0);
    char err[256] = "", want[512];
    assert_int_equal(store_open(f->path, &f->s, err), OERR_CORRUPT);
    assert_null(f->s);
    snprintf(want, sizeof want, "cannot bring the reports of %s to the new layout: the store is "
             "damaged (database disk image is malformed); run 'outreach-coordinator check "
             "--db %s'", f->path, f->path);
    assert_string_equal(err, want);
    db = raw_open(f->path);
    assert_int_equal(one(db, "SELECT COUNT(*) FROM pragma_table_info('reports')"
                             " WHERE name = 'payload'"), 1);
    assert_int_equal(one(db, "SELECT COUNT(*) FROM sqlite_schema WHERE name = 'reports_new'"), 0);
    sqlite3_close(db);
    free(rows);
}

/* A new store has the new layout from the start. */
static void test_new_store_layout(void **state)
{
    struct filestore *f = *state;
    sqlite3 *db = raw_open(f->path);
    assert_layout(db, false, 0, "");
    sqlite3_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_old_layout_upgraded, filestore_setup,
                                        filestore_teardown),
        cmocka_unit_test_setup_teardown(test_old_layout_upgraded_beside_reader, filestore_setup,
                                        filestore_teardown),
        cmocka_unit_test_setup_teardown(test_new_store_layout, filestore_setup,
                                        filestore_teardown),
        cmocka_unit_test_setup_teardown(test_upgrade_failure_says_why, filestore_setup,
                                        filestore_teardown),
        cmocka_unit_test_setup_teardown(test_upgrade_failure_damage, filestore_setup,
                                        filestore_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
