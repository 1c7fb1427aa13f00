/* store_sqlite_reg.c -- the SQLite backend of store.h for volunteers and
 * their registrations: profiles, registrations in order of arrival, places
 * per role, wait-list order, and who of those registered checked in. Every
 * statement is prepared and bound; all run inside the caller's transaction. */
#include <stdlib.h>
#include <string.h>

#include "arr.h"
#include "olog.h"
#include "store_sqlite_priv.h"

const char store_sqlite_reg_schema[] =
    /* Volunteers (personal data: seen only by the coordinator's staff) and
     * their registrations, one row per attempt, in order of arrival (id). */
    "CREATE TABLE IF NOT EXISTS volunteers ("
    " volunteer_id TEXT PRIMARY KEY, name TEXT NOT NULL, phone TEXT NOT NULL,"
    " organization TEXT, roles INTEGER NOT NULL, created_at TEXT NOT NULL,"
    " updated_at TEXT NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS registrations ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " trip_id TEXT NOT NULL REFERENCES trips (trip_id),"
    " volunteer_id TEXT NOT NULL REFERENCES volunteers (volunteer_id),"
    " role TEXT NOT NULL, state TEXT NOT NULL"
    "  CHECK (state IN ('confirmed', 'waitlisted', 'cancelled', 'trip_cancelled')),"
    " created_at TEXT NOT NULL, updated_at TEXT NOT NULL);"
    /* At most one live registration per volunteer and trip. */
    "CREATE UNIQUE INDEX IF NOT EXISTS registrations_live ON registrations"
    " (trip_id, volunteer_id) WHERE state IN ('confirmed', 'waitlisted');"
    "CREATE INDEX IF NOT EXISTS registrations_trip ON registrations (trip_id, role, state, id);"
    "CREATE INDEX IF NOT EXISTS registrations_volunteer ON registrations (volunteer_id, state);";

/* ---- small helpers ------------------------------------------------------- */

static int role_of(struct sqlq *st, int col)
{
    return enum_index(role_names, sqlq_text(st, col));
}

void reg_list_free(struct reg_list *l)
{
    if (!l)
        return;
    free(l->v);
    memset(l, 0, sizeof *l);
}

/* Appends the rows of st to out, its columns named by cols: 'i' id, 't'
 * trip_id, 'v' volunteer_id, 'r' role, 's' state (in that column order); at
 * most max rows. Finalizes st. */
static oerr_t collect(struct sqlq *st, const char *cols, size_t max, struct reg_list *out)
{
    if (!st)
        return OERR_DB;
    int rc = SQLDB_DONE;
    size_t taken = 0;
    while (taken < max && (rc = sqlq_step(st)) == SQLDB_ROW) {
        if (ARR_RESERVE(out->v, out->cap, out->n + 1)) {
            rc = SQLDB_ERROR - 1; /* out of memory */
            break;
        }
        struct reg_ref *r = &out->v[out->n++];
        memset(r, 0, sizeof *r);
        r->role = -1;
        for (int c = 0; cols[c]; c++) {
            switch (cols[c]) {
            case 'i': r->id = sqlq_int(st, c); break;
            case 't': column_copy(st, c, r->trip_id, sizeof r->trip_id); break;
            case 'v': column_copy(st, c, r->volunteer_id, sizeof r->volunteer_id); break;
            case 'r': r->role = role_of(st, c); break;
            default: column_copy(st, c, r->state, sizeof r->state); break;
            }
        }
        taken++;
    }
    if (taken == max)
        rc = SQLDB_DONE;
    sqlq_finalize(st);
    return rc == SQLDB_DONE ? OERR_OK : rc == SQLDB_ERROR - 1 ? OERR_NOMEM : OERR_DB;
}

/* ---- volunteers ------------------------------------------------------------ */

/* Reads a profile from column col on, in the order of PROFILE_COLS (the roster
 * query selects them as v.name, ...). */
#define PROFILE_COLS "name, phone, organization, roles, updated_at"
static void profile_cols(struct sqlq *st, int col, struct volunteer_row *v)
{
    column_copy(st, col, v->name, sizeof v->name);
    column_copy(st, col + 1, v->phone, sizeof v->phone);
    column_copy(st, col + 2, v->organization, sizeof v->organization);
    v->roles = (unsigned)sqlq_int(st, col + 3);
    column_copy(st, col + 4, v->updated_at, sizeof v->updated_at);
}

oerr_t store_volunteer_get(struct store *s, const char *volunteer_id, struct volunteer_row *out)
{
    memset(out, 0, sizeof *out);
    struct sqlq *st = sql_prep(s, "SELECT volunteer_id, " PROFILE_COLS " FROM volunteers"
                               " WHERE volunteer_id = ?1",
                            1, volunteer_id);
    if (!st)
        return OERR_DB;
    int rc = sqlq_step(st);
    if (rc == SQLDB_ROW) {
        column_copy(st, 0, out->volunteer_id, sizeof out->volunteer_id);
        profile_cols(st, 1, out);
    }
    sqlq_finalize(st);
    return rc == SQLDB_ROW ? OERR_OK : rc == SQLDB_DONE ? OERR_NOTFOUND : OERR_DB;
}

oerr_t store_volunteer_put(struct store *s, const char *volunteer_id, const char *name,
                           const char *phone, const char *organization, unsigned roles,
                           const char *now)
{
    struct sqlq *st = sql_prep(s,
        "INSERT INTO volunteers (volunteer_id, name, phone, organization, roles, created_at,"
        " updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)"
        " ON CONFLICT (volunteer_id) DO UPDATE SET name = ?2, phone = ?3, organization = ?4,"
        " roles = ?5, updated_at = ?6", 4, volunteer_id, name, phone, organization);
    if (st) {
        sqlq_bind_int(st, 5, roles);
        bind_text(st, 6, now);
    }
    return sql_run_once(st);
}

/* ---- registrations --------------------------------------------------------- */

oerr_t store_reg_live(struct store *s, const char *volunteer_id, const char *trip_id,
                      struct reg_ref *out)
{
    memset(out, 0, sizeof *out);
    out->role = -1;
    struct sqlq *st = sql_prep(s, "SELECT id, role, state FROM registrations WHERE trip_id = ?1"
                               " AND volunteer_id = ?2 AND state IN ('confirmed', 'waitlisted')",
                            2, trip_id, volunteer_id);
    if (!st)
        return OERR_DB;
    int rc = sqlq_step(st);
    if (rc == SQLDB_ROW) {
        out->id = sqlq_int(st, 0);
        out->role = role_of(st, 1);
        column_copy(st, 2, out->state, sizeof out->state);
        snprintf(out->trip_id, sizeof out->trip_id, "%s", trip_id);
        snprintf(out->volunteer_id, sizeof out->volunteer_id, "%s", volunteer_id);
    }
    sqlq_finalize(st);
    return rc == SQLDB_ROW ? OERR_OK : rc == SQLDB_DONE ? OERR_NOTFOUND : OERR_DB;
}

oerr_t store_reg_add(struct store *s, const char *trip_id, const char *volunteer_id, int role,
                     const char *state, const char *now, long long *id)
{
    struct sqlq *st = sql_prep(s, "INSERT INTO registrations (trip_id, volunteer_id, role, state,"
                               " created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)"
                               " RETURNING id",
                               5, trip_id, volunteer_id, role_names[role], state, now);
    if (!st)
        return OERR_DB;
    oerr_t e = OERR_DB;
    if (sqlq_step(st) == SQLDB_ROW) {
        *id = sqlq_int(st, 0);
        e = sqlq_step(st) == SQLDB_DONE ? OERR_OK : OERR_DB;
    }
    sqlq_finalize(st);
    return e;
}

oerr_t store_reg_set_state(struct store *s, long long id, const char *state, const char *now)
{
    struct sqlq *st = sql_prep(s, "UPDATE registrations SET state = ?1, updated_at = ?2"
                               " WHERE id = ?3", 2, state, now);
    if (st)
        sqlq_bind_int(st, 3, id);
    return sql_run_once(st);
}

oerr_t store_reg_cancel_trip(struct store *s, const char *trip_id, const char *now)
{
    return sql_run_once(sql_prep(s, "UPDATE registrations SET state = 'trip_cancelled', updated_at = ?2"
                            " WHERE trip_id = ?1 AND state IN ('confirmed', 'waitlisted')",
                         2, trip_id, now));
}

long long store_reg_count(struct store *s, const char *trip_id, int role, const char *state)
{
    struct sqlq *st = sql_prep(s, "SELECT COUNT(*) FROM registrations"
                               " WHERE trip_id = ?1 AND role = ?2 AND state = ?3",
                            3, trip_id, role_names[role], state);
    long long n = -1;
    if (st && sqlq_step(st) == SQLDB_ROW)
        n = sqlq_int(st, 0);
    sqlq_finalize(st);
    return n;
}

long long store_reg_position(struct store *s, long long id)
{
    struct sqlq *st = sql_prep(s, "SELECT COUNT(*) FROM registrations w JOIN registrations r"
                               " ON w.trip_id = r.trip_id AND w.role = r.role"
                               " WHERE r.id = ?1 AND w.state = 'waitlisted' AND w.id <= r.id", 0);
    long long n = 0;
    if (st) {
        sqlq_bind_int(st, 1, id);
        if (sqlq_step(st) == SQLDB_ROW)
            n = sqlq_int(st, 0);
    }
    sqlq_finalize(st);
    return n;
}

oerr_t store_reg_waitlist(struct store *s, const char *trip_id, int role, struct reg_list *out)
{
    struct sqlq *st = sql_prep(s, "SELECT id, volunteer_id, trip_id, role, state FROM registrations"
                               " WHERE trip_id = ?1 AND role = ?2 AND state = 'waitlisted'"
                               " ORDER BY id", 2, trip_id, role_names[role]);
    return collect(st, "ivtrs", (size_t)-1, out);
}

oerr_t store_reg_live_of_trip(struct store *s, const char *trip_id, struct reg_list *out)
{
    struct sqlq *st = sql_prep(s, "SELECT id, volunteer_id, trip_id, role, state FROM registrations"
                               " WHERE trip_id = ?1 AND state IN ('confirmed', 'waitlisted')"
                               " ORDER BY id", 1, trip_id);
    return collect(st, "ivtrs", (size_t)-1, out);
}

oerr_t store_reg_waiting_of(struct store *s, const char *volunteer_id, size_t max,
                            struct reg_list *out)
{
    struct sqlq *st = sql_prep(s, "SELECT r.id, r.volunteer_id, r.trip_id, r.role, r.state"
                               " FROM registrations r JOIN trips t ON t.trip_id = r.trip_id"
                               " WHERE r.volunteer_id = ?1 AND r.state = 'waitlisted'"
                               " AND t.status = 'planned' ORDER BY r.trip_id, r.role"
                               " LIMIT ?2", 1, volunteer_id);
    if (st)
        sqlq_bind_int(st, 2, (long long)max);
    return collect(st, "ivtrs", max, out);
}

oerr_t store_reg_clash(struct store *s, const char *volunteer_id, const char *trip_id,
                       const char *start, const char *end, struct reg_clash *out)
{
    memset(out, 0, sizeof *out);
    struct sqlq *st = sql_prep(s,
        "SELECT r.trip_id, t.date, COALESCE(t.end_date, t.date) FROM registrations r"
        " JOIN trips t ON t.trip_id = r.trip_id"
        " WHERE r.volunteer_id = ?1 AND r.state = 'confirmed' AND r.trip_id <> ?2"
        " AND t.status <> 'cancelled' AND t.date <= ?4 AND COALESCE(t.end_date, t.date) >= ?3"
        " ORDER BY t.date, r.trip_id LIMIT 1", 4, volunteer_id, trip_id, start, end);
    int rc = sql_row_texts(st, 3, out->trip_id, sizeof out->trip_id, out->start,
                           sizeof out->start, out->end, sizeof out->end);
    return rc == SQLDB_ROW ? OERR_OK : rc == SQLDB_DONE ? OERR_NOTFOUND : OERR_DB;
}

oerr_t store_volunteer_regs_each(struct store *s, const char *volunteer_id, int max,
                                 int (*fn)(void *, const struct volunteer_reg_row *),
                                 void *ctx)
{
    struct sqlq *st = sql_prep(s,
        "SELECT r.trip_id, r.role, r.state, r.id, t.date, t.title, t.status FROM registrations r"
        " JOIN trips t ON t.trip_id = r.trip_id WHERE r.volunteer_id = ?1"
        " ORDER BY t.date DESC, r.id DESC LIMIT ?2", 1, volunteer_id);
    if (!st)
        return OERR_DB;
    sqlq_bind_int(st, 2, max);
    int rc;
    while ((rc = sqlq_step(st)) == SQLDB_ROW) {
        struct volunteer_reg_row r;
        memset(&r, 0, sizeof r);
        column_copy(st, 0, r.reg.trip_id, sizeof r.reg.trip_id);
        snprintf(r.reg.volunteer_id, sizeof r.reg.volunteer_id, "%s", volunteer_id);
        r.reg.role = role_of(st, 1);
        column_copy(st, 2, r.reg.state, sizeof r.reg.state);
        r.reg.id = sqlq_int(st, 3);
        column_copy(st, 4, r.date, sizeof r.date);
        column_copy(st, 5, r.title, sizeof r.title);
        column_copy(st, 6, r.trip_status, sizeof r.trip_status);
        if (fn(ctx, &r))
            break;
    }
    sqlq_finalize(st);
    return rc == SQLDB_ROW || rc == SQLDB_DONE ? OERR_OK : OERR_DB;
}

/* ---- reading: places, rosters, walk-ins, attendance ------------------------- */

oerr_t store_trip_places(struct store *s, const char *trip_id, struct role_places out[ROLE_COUNT])
{
    memset(out, 0, ROLE_COUNT * sizeof out[0]);
    struct trip_detail t;
    oerr_t e = store_trip_detail(s, trip_id, &t);
    if (e)
        return e;
    struct sqlq *st = sql_prep(s, "SELECT role, state, COUNT(*) FROM registrations"
                               " WHERE trip_id = ?1 AND state IN ('confirmed', 'waitlisted')"
                               " GROUP BY role, state", 1, trip_id);
    if (!st)
        return OERR_DB;
    int rc;
    while ((rc = sqlq_step(st)) == SQLDB_ROW) {
        int role = role_of(st, 0);
        if (role < 0)
            continue;
        int n = (int)sqlq_int(st, 2);
        if (strcmp(sqlq_text(st, 1), REG_CONFIRMED) == 0)
            out[role].confirmed = n;
        else
            out[role].waitlisted = n;
    }
    sqlq_finalize(st);
    for (int i = 0; i < ROLE_COUNT; i++) {
        out[i].capacity = t.capacity[i];
        out[i].open = out[i].capacity > out[i].confirmed ? out[i].capacity - out[i].confirmed : 0;
    }
    return rc == SQLDB_DONE ? OERR_OK : OERR_DB;
}

/* Counted check-ins of the trip by this staff_id exist (trip_people, kept
 * by store_report_count, has a row for each such person). */
#define CAME_SQL                                                                      \
    "EXISTS (SELECT 1 FROM trip_people c WHERE c.trip_id = r.trip_id"                  \
    " AND c.staff_id = r.volunteer_id)"

oerr_t store_trip_regs_each(struct store *s, const char *trip_id,
                            int (*fn)(void *, const struct reg_row *), void *ctx)
{
    struct sqlq *st = sql_prep(s,
        "SELECT r.id, r.trip_id, r.volunteer_id, r.role, r.state, r.created_at, r.updated_at,"
        " " CAME_SQL ", v.name, v.phone, v.organization, v.roles, v.updated_at"
        " FROM registrations r JOIN volunteers v ON v.volunteer_id = r.volunteer_id"
        " WHERE r.trip_id = ?1 ORDER BY r.role,"
        " CASE r.state WHEN 'confirmed' THEN 0 WHEN 'waitlisted' THEN 1 ELSE 2 END, r.id",
        1, trip_id);
    if (!st)
        return OERR_DB;
    int rc;
    long long pos = 0;
    char last_role[32] = "";
    while ((rc = sqlq_step(st)) == SQLDB_ROW) {
        struct reg_row r;
        memset(&r, 0, sizeof r);
        r.id = sqlq_int(st, 0);
        column_copy(st, 1, r.trip_id, sizeof r.trip_id);
        column_copy(st, 2, r.volunteer_id, sizeof r.volunteer_id);
        const char *role = sqlq_text(st, 3);
        r.role = enum_index(role_names, role);
        column_copy(st, 4, r.state, sizeof r.state);
        column_copy(st, 5, r.created_at, sizeof r.created_at);
        column_copy(st, 6, r.updated_at, sizeof r.updated_at);
        r.checked_in = (int)sqlq_int(st, 7) != 0;
        snprintf(r.v.volunteer_id, sizeof r.v.volunteer_id, "%s", r.volunteer_id);
        profile_cols(st, 8, &r.v);
        /* Rows come in wait-list order within a role: count along. */
        if (strcmp(last_role, role) != 0) {
            snprintf(last_role, sizeof last_role, "%s", role);
            pos = 0;
        }
        if (strcmp(r.state, REG_WAITLISTED) == 0)
            r.position = ++pos;
        if (fn(ctx, &r))
            break;
    }
    sqlq_finalize(st);
    return rc == SQLDB_ROW || rc == SQLDB_DONE ? OERR_OK : OERR_DB;
}

#define WALKINS_WHERE                                                                   \
    " FROM reports c WHERE c.kind = 'checkin' AND c.voided_by IS NULL AND c.trip_id = ?1" \
    " AND c.staff_id NOT IN (SELECT volunteer_id FROM registrations"                      \
    " WHERE trip_id = ?1 AND state = 'confirmed')"

oerr_t store_trip_walkins_each(struct store *s, const char *trip_id,
                               int (*fn)(void *, const struct walkin_row *), void *ctx)
{
    struct sqlq *st = sql_prep(s, "SELECT c.staff_id, MIN(c.role), MIN(c.organization)"
                               WALKINS_WHERE " GROUP BY c.staff_id ORDER BY c.staff_id",
                            1, trip_id);
    if (!st)
        return OERR_DB;
    int rc;
    while ((rc = sqlq_step(st)) == SQLDB_ROW) {
        struct walkin_row w;
        column_copy(st, 0, w.staff_id, sizeof w.staff_id);
        w.role = role_of(st, 1);
        column_copy(st, 2, w.organization, sizeof w.organization);
        if (fn(ctx, &w))
            break;
    }
    sqlq_finalize(st);
    return rc == SQLDB_ROW || rc == SQLDB_DONE ? OERR_OK : OERR_DB;
}

oerr_t store_trip_attendance(struct store *s, const char *trip_id, struct attendance *out)
{
    memset(out, 0, sizeof *out);
    /* Confirmed who came, confirmed, and people checked in: the walk-ins
     * are those checked in who were not confirmed. A few rows per trip. */
    struct sqlq *st = sql_prep(s,
        "SELECT (SELECT COUNT(*) FROM registrations r WHERE r.trip_id = ?1"
        "  AND r.state = 'confirmed' AND " CAME_SQL "),"
        " (SELECT COUNT(*) FROM registrations r WHERE r.trip_id = ?1"
        "  AND r.state = 'confirmed'),"
        " (SELECT COALESCE(MAX(people), 0) FROM trip_totals WHERE trip_id = ?1)", 1, trip_id);
    if (!st)
        return OERR_DB;
    int rc = sqlq_step(st);
    if (rc == SQLDB_ROW) {
        out->came = sqlq_int(st, 0);
        out->absent = sqlq_int(st, 1) - out->came;
        out->unregistered = sqlq_int(st, 2) - out->came;
    }
    sqlq_finalize(st);
    return rc == SQLDB_ROW ? OERR_OK : OERR_DB;
}
