/* store_sqlite_alerts.c -- the SQLite backend of store.h for alerts: the
 * alerts as they stand (one row each, open or cleared), their history, and
 * what alerts.c reads: the agents of today's trips, and since when an
 * agent's seq gaps are open. Every statement is prepared and bound; the
 * writes run inside the caller's transaction. Not on the report path: the
 * evaluation runs about once a minute, so statements are prepared per call. */
#include <stdlib.h>
#include <string.h>

#include "store_sqlite_priv.h"

const char store_sqlite_alerts_schema[] =
    /* The alerts as last decided: open, or cleared (kept, as the retained
     * topic keeps them). since: when it was raised. */
    "CREATE TABLE IF NOT EXISTS alerts ("
    " alert_id TEXT PRIMARY KEY, kind TEXT NOT NULL, level TEXT NOT NULL,"
    " state TEXT NOT NULL CHECK (state IN ('open', 'cleared')),"
    " since TEXT NOT NULL, cleared_at TEXT, subject TEXT NOT NULL, detail TEXT NOT NULL,"
    " updated_at TEXT NOT NULL, unretained_at TEXT) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS alerts_state ON alerts (state, alert_id);"
    /* Every raise, change of level and clearing, in order. */
    "CREATE TABLE IF NOT EXISTS alert_history ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT, alert_id TEXT NOT NULL,"
    " event TEXT NOT NULL CHECK (event IN ('raised', 'relevelled', 'cleared')),"
    " at TEXT NOT NULL, level TEXT NOT NULL, detail TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS alert_history_alert ON alert_history (alert_id, id);"
    /* agent_seqs.opened_at (store_alerts_ensure): when the gap below a range
     * opened; the seq_gap alert's age. alerts.unretained_at (the same, for
     * stores made before it): when the retained message of a cleared alert
     * was removed (alert_keep_cleared_h); NULL while it is retained. */
    "-- agent_seqs.opened_at TEXT, alerts.unretained_at TEXT,"
    " agents.report_trip TEXT, agents.report_trip_seq INTEGER\n";

/* 1 when table has column col, 0 when not, -1 when the store failed. */
static int has_column(struct store *s, const char *table, const char *col)
{
    struct sqlq *st = sql_prep(s, "SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2", 0);
    if (!st)
        return -1;
    bind_text(st, 1, table);
    bind_text(st, 2, col);
    int rc = sqlq_step(st);
    sqlq_finalize(st);
    return rc == SQLDB_ROW ? 1 : rc == SQLDB_DONE ? 0 : -1;
}

oerr_t store_alerts_ensure(struct store *s, const char *now)
{
    if (exec(s, store_sqlite_alerts_schema))
        return OERR_DB;
    int gaps = has_column(s, "agent_seqs", "opened_at");
    int unretained = has_column(s, "alerts", "unretained_at");
    int trip = has_column(s, "agents", "report_trip");
    if (gaps < 0 || unretained < 0 || trip < 0)
        return OERR_DB;
    if (gaps && unretained && trip)
        return OERR_OK;
    /* A store made before: its gaps count as opened now, when this version
     * first saw them; its cleared alerts are still retained. */
    if (begin_write(s))
        return OERR_DB;
    oerr_t e = OERR_OK;
    if (!gaps) {
        e = exec(s, "ALTER TABLE agent_seqs ADD COLUMN opened_at TEXT");
        if (!e) {
            struct sqlq *st = sql_prep(s, "UPDATE agent_seqs SET opened_at = ?1", 0);
            if (st)
                bind_text(st, 1, now);
            e = sql_run_once(st);
        }
    }
    if (!e && !unretained)
        e = exec(s, "ALTER TABLE alerts ADD COLUMN unretained_at TEXT");
    /* New stores too (the agents table is store_sqlite.c's): the trip of
     * the agent's latest report by seq, its devices/ trip_id when no status
     * names one; a store made before fills it from its reports, in one pass
     * (the trip of the row with the highest seq, SQLite's bare column of MAX). */
    if (!e && !trip)
        e = exec(s, "ALTER TABLE agents ADD COLUMN report_trip TEXT;"
                    "ALTER TABLE agents ADD COLUMN report_trip_seq INTEGER;"
                    "UPDATE agents SET report_trip = m.trip_id, report_trip_seq = m.seq"
                    " FROM (SELECT agent_id, trip_id, MAX(seq) AS seq FROM reports"
                    " GROUP BY agent_id) AS m WHERE m.agent_id = agents.agent_id");
    if (e || exec(s, "COMMIT")) {
        exec(s, "ROLLBACK");
        return OERR_DB;
    }
    return OERR_OK;
}

static oerr_t history(struct store *s, const char *id, const char *event, const char *at,
                      const char *level, const char *detail)
{
    struct sqlq *st = sql_prep(s, "INSERT INTO alert_history (alert_id, event, at, level, detail)"
                               " VALUES (?1, ?2, ?3, ?4, ?5)",
                               5, id, event, at, level, detail);
    return sql_run_once(st);
}

oerr_t store_alert_raise(struct store *s, const struct alert_row *a)
{
    struct sqlq *st = sql_prep(s,
        "INSERT INTO alerts (alert_id, kind, level, state, since, cleared_at, subject, detail,"
        " updated_at) VALUES (?1, ?2, ?3, 'open', ?4, NULL, ?5, ?6, ?4)"
        " ON CONFLICT (alert_id) DO UPDATE SET kind = ?2, level = ?3, state = 'open',"
        " since = ?4, cleared_at = NULL, subject = ?5, detail = ?6, updated_at = ?4,"
        " unretained_at = NULL",
        6, a->alert_id, a->kind, a->level, a->since, a->subject, a->detail);
    if (sql_run_once(st))
        return OERR_DB;
    return history(s, a->alert_id, "raised", a->since, a->level, a->detail);
}

oerr_t store_alert_relevel(struct store *s, const char *alert_id, const char *level,
                           const char *detail, const char *now)
{
    struct sqlq *st = sql_prep(s, "UPDATE alerts SET level = ?2, detail = ?3, updated_at = ?4"
                               " WHERE alert_id = ?1 AND state = 'open'",
                               4, alert_id, level, detail, now);
    if (sql_run_once(st))
        return OERR_DB;
    if (sqldb_changes(s->db) == 0)
        return OERR_NOTFOUND;
    return history(s, alert_id, "relevelled", now, level, detail);
}

/* Runs sql, an UPDATE of one alert (?1 its id) with the texts ?2 and ?3;
 * OERR_NOTFOUND when it changed no row. */
static oerr_t update_one(struct store *s, const char *sql, const char *alert_id, const char *v2,
                         const char *v3)
{
    struct sqlq *st = sql_prep(s, sql, 0);
    if (st) {
        bind_text(st, 1, alert_id);
        bind_text(st, 2, v2);
        bind_text(st, 3, v3);
    }
    if (sql_run_once(st))
        return OERR_DB;
    return sqldb_changes(s->db) ? OERR_OK : OERR_NOTFOUND;
}

oerr_t store_alert_update(struct store *s, const char *alert_id, const char *detail,
                          const char *now)
{
    return update_one(s, "UPDATE alerts SET detail = ?2, updated_at = ?3"
                         " WHERE alert_id = ?1 AND state = 'open'", alert_id, detail, now);
}

oerr_t store_alert_unretained(struct store *s, const char *alert_id, const char *now)
{
    return update_one(s, "UPDATE alerts SET unretained_at = ?3 WHERE alert_id = ?1"
                         " AND state = ?2", alert_id, "cleared", now);
}

oerr_t store_alert_clear(struct store *s, const char *alert_id, const char *now)
{
    struct sqlq *st = sql_prep(s, "UPDATE alerts SET state = 'cleared', cleared_at = ?2,"
                               " updated_at = ?2 WHERE alert_id = ?1 AND state = 'open'"
                               " RETURNING level, detail", 0);
    if (!st)
        return OERR_DB;
    bind_text(st, 1, alert_id);
    bind_text(st, 2, now);
    char level[16] = "", detail[STORE_ALERT_JSON_MAX] = "";
    int rc = sqlq_step(st);
    if (rc == SQLDB_ROW) {
        column_copy(st, 0, level, sizeof level);
        column_copy(st, 1, detail, sizeof detail);
        rc = sqlq_step(st);
    }
    sqlq_finalize(st);
    if (rc != SQLDB_DONE)
        return OERR_DB;
    if (!level[0])
        return OERR_NOTFOUND;
    return history(s, alert_id, "cleared", now, level, detail);
}

#define ALERT_COLS                                                                        \
    "alert_id, kind, level, state, since, cleared_at, subject, detail, updated_at,"       \
    " unretained_at"

static void alert_read(struct sqlq *st, struct alert_row *a)
{
    column_copy(st, 0, a->alert_id, sizeof a->alert_id);
    column_copy(st, 1, a->kind, sizeof a->kind);
    column_copy(st, 2, a->level, sizeof a->level);
    column_copy(st, 3, a->state, sizeof a->state);
    column_copy(st, 4, a->since, sizeof a->since);
    column_copy(st, 5, a->cleared_at, sizeof a->cleared_at);
    column_copy(st, 6, a->subject, sizeof a->subject);
    column_copy(st, 7, a->detail, sizeof a->detail);
    column_copy(st, 8, a->updated_at, sizeof a->updated_at);
    column_copy(st, 9, a->unretained_at, sizeof a->unretained_at);
}

oerr_t store_alert_get(struct store *s, const char *alert_id, struct alert_row *out)
{
    struct sqlq *st = sql_prep(s, "SELECT " ALERT_COLS " FROM alerts WHERE alert_id = ?1", 0);
    if (!st)
        return OERR_DB;
    bind_text(st, 1, alert_id);
    int rc = sqlq_step(st);
    if (rc == SQLDB_ROW)
        alert_read(st, out);
    sqlq_finalize(st);
    return rc == SQLDB_ROW ? OERR_OK : rc == SQLDB_DONE ? OERR_NOTFOUND : OERR_DB;
}

oerr_t store_alerts_each(struct store *s, bool all, int (*fn)(void *, const struct alert_row *),
                         void *ctx)
{
    struct sqlq *st = sql_prep(s, all ? "SELECT " ALERT_COLS " FROM alerts ORDER BY alert_id"
                                   : "SELECT " ALERT_COLS " FROM alerts WHERE state = 'open'"
                                     " ORDER BY alert_id", 0);
    if (!st)
        return OERR_DB;
    int rc;
    while ((rc = sqlq_step(st)) == SQLDB_ROW) {
        struct alert_row a;
        alert_read(st, &a);
        if (fn(ctx, &a))
            break;
    }
    sqlq_finalize(st);
    return rc == SQLDB_ROW || rc == SQLDB_DONE ? OERR_OK : OERR_DB;
}

long long store_alert_history_count(struct store *s, const char *alert_id, const char *event)
{
    struct sqlq *st = sql_prep(s, "SELECT COUNT(*) FROM alert_history"
                               " WHERE alert_id = ?1 AND (CAST(?2 AS TEXT) IS NULL OR event = ?2)", 0);
    if (!st)
        return -1;
    bind_text(st, 1, alert_id);
    bind_text(st, 2, event);
    long long n = sqlq_step(st) == SQLDB_ROW ? sqlq_int(st, 0) : -1;
    sqlq_finalize(st);
    return n;
}

oerr_t store_site_agents_each(struct store *s, const char *today,
                              int (*fn)(void *, const struct site_agent_row *), void *ctx)
{
    struct sqlq *st = sql_prep(s,
        "SELECT t.trip_id, a.agent_id, t.date, COALESCE(t.end_date, ''), a.online,"
        " a.last_seen, a.status_at FROM agents a JOIN trips t ON t.trip_id = a.trip_id"
        " WHERE t.status = 'planned' AND t.date <= ?1"
        " AND COALESCE(NULLIF(t.end_date, ''), t.date) >= ?1 ORDER BY t.trip_id, a.agent_id", 0);
    if (!st)
        return OERR_DB;
    bind_text(st, 1, today);
    int rc;
    while ((rc = sqlq_step(st)) == SQLDB_ROW) {
        struct site_agent_row r;
        column_copy(st, 0, r.trip_id, sizeof r.trip_id);
        column_copy(st, 1, r.agent_id, sizeof r.agent_id);
        column_copy(st, 2, r.date, sizeof r.date);
        column_copy(st, 3, r.end_date, sizeof r.end_date);
        r.online = (int)column_opt_int(st, 4);
        column_copy(st, 5, r.last_seen, sizeof r.last_seen);
        column_copy(st, 6, r.status_at, sizeof r.status_at);
        if (fn(ctx, &r))
            break;
    }
    sqlq_finalize(st);
    return rc == SQLDB_ROW || rc == SQLDB_DONE ? OERR_OK : OERR_DB;
}

oerr_t store_gapped_agents_each(struct store *s,
                                int (*fn)(void *, const struct gapped_agent_row *), void *ctx)
{
    /* One pass over the ranges, a row per range whatever the reports. The
     * seqs 1..last_seq not in a range are missing (last_seq was seen; those
     * not recorded past STORE_SEQ_RANGES_MAX too, as store_agent_missing
     * counts them); every range but one starting at 1 has a gap below it
     * (ranges never touch). */
    struct sqlq *st = sql_prep(s, "SELECT g.agent_id, MIN(CASE WHEN g.lo > 1 THEN g.opened_at END),"
                               " MAX(a.last_seq) - SUM(g.hi - g.lo + 1)"
                               " FROM agent_seqs g JOIN agents a ON a.agent_id = g.agent_id"
                               " GROUP BY g.agent_id"
                               " HAVING MAX(a.last_seq) - SUM(g.hi - g.lo + 1) > 0"
                               " ORDER BY g.agent_id", 0);
    if (!st)
        return OERR_DB;
    int rc;
    while ((rc = sqlq_step(st)) == SQLDB_ROW) {
        struct gapped_agent_row r;
        column_copy(st, 0, r.agent_id, sizeof r.agent_id);
        column_copy(st, 1, r.opened_at, sizeof r.opened_at);
        r.missing = sqlq_int(st, 2);
        if (fn(ctx, &r))
            break;
    }
    sqlq_finalize(st);
    return rc == SQLDB_ROW || rc == SQLDB_DONE ? OERR_OK : OERR_DB;
}
