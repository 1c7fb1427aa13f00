/* gen_store.c -- outreach-gen-store: writes a big coordinator store of
 * synthetic reports, quickly, for the scale benchmark (bench/scale.sh).
 *
 * The schema is the coordinator's own: the store is created through store.h
 * (store_open, then the trips with store_trip_upsert and store_trip_set_status),
 * the reports, agents and their seq ranges are bulk-inserted with SQLite in
 * big transactions (synchronous=OFF, no journal, a large page cache), and the
 * store is then opened through store.h again and its derived figures rebuilt
 * from the reports (store_totals_rebuild), so that the result is what the
 * coordinator would have written had it received the same reports.
 *
 * Reports are valid for their kind (a sample, or every one with
 * --validate-all, is decoded with report_decode), with random version 4
 * msg_ids inserted in random order (as they arrive), spread over --trips
 * trips over the years given, sent by --agents agents team-001... each with
 * seqs 1, 2, 3... A fraction --checkins are check-ins of a pool of --staff
 * people (each with one role; about one in six is support, not counted as
 * staff); the others are headcounts (75%), dispenses (15%), referrals (6%)
 * and education (4%). The same --seed gives the same store.
 *
 * It prints what it wrote as JSON (per year: the figures progress shows), so
 * a test can compare it with `outreach-coordinator progress --json`. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "report.h"
#include "request.h"
#include "store.h"
#include "synth.h"
#include "timeutil.h"

#define MAX_YEARS 50
#define MAX_TRIPS 100000
#define MAX_AGENTS 100000
#define MAX_STAFF 1000000

static const char usage[] =
    "usage: outreach-gen-store --db FILE --reports N [options]\n"
    "\n"
    "Writes a new coordinator store of N synthetic reports (the coordinator's own\n"
    "schema, its figures rebuilt) and prints what it wrote as JSON on stdout.\n"
    "\n"
    "  --db FILE          the store to create; it must not exist. Written as\n"
    "                     FILE.tmp and renamed to FILE once complete (a failed run\n"
    "                     removes FILE.tmp; a killed one leaves it, never FILE)\n"
    "  --reports N        reports to write (0 .. 100000000)\n"
    "  --trips T          trips, spread evenly over the years (default 1000)\n"
    "  --years Y1-Y2      the trips' years (default 2024-2026)\n"
    "  --checkins F       fraction of reports that are check-ins (default 0.10)\n"
    "  --agents A         field agents team-001... sending them (default 200)\n"
    "  --staff S          people who check in, st-00001... (default 5000)\n"
    "  --seed S           random seed; the same seed gives the same store (default 1)\n"
    "  --cache-mb M       SQLite page cache while loading (default 1024)\n"
    "  --validate-all     decode every payload with the coordinator's decoder\n"
    "                     (default: one in 1,024)\n"
    "  --quiet            no progress lines on stderr\n"
    "\n"
    "Trips are YEAR-gen-NNNNN in counties gen-c1.. gen-c8; of each year's trips one in\n"
    "thirty is cancelled (and has no reports), the ones in the first 80% of the year\n"
    "are completed, the rest planned.\n";

static long long rnd_in(long long lo, long long hi) /* lo..hi inclusive */
{
    return lo + (long long)(rnd() % (uint64_t)(hi - lo + 1));
}
static double rnd_unit(void) { return (double)(rnd() >> 11) / 9007199254740992.0; }


/* ---- what was written, per year ---- */
struct year_sums {
    long long reports, consultations, headcounts, female, over_60, poor_households;
    long long value_fen, dispenses, referrals, by_destination[DEST_COUNT];
    long long brochures, attendees, talks, education_reports, checkins, staff;
    long long trips_planned, trips_completed, trips_cancelled;
};

struct gen_trip {
    char trip_id[32], date[11];
    int year_idx;
    bool cancelled;
};

struct gen_agent {
    long long seq;
    char last_seen[TU_TS_MAX];
};

struct opts {
    const char *db;
    char tmp[4096]; /* what is written: db + ".tmp", renamed to db once complete */
    long long reports, trips, agents, staff, seed, cache_mb;
    int y1, y2;
    double checkins;
    bool validate_all, quiet;
};

static const char *const counties[][2] = {
    {"gen-c1", "永定区"}, {"gen-c2", "武陵源区"}, {"gen-c3", "慈利县"}, {"gen-c4", "桑植县"},
    {"gen-c5", "石门县"}, {"gen-c6", "澧县"},     {"gen-c7", "临澧县"}, {"gen-c8", "安乡县"},
};
#define N_COUNTIES (sizeof counties / sizeof counties[0])
static const char *const medicines[] = {"amoxicillin", "ibuprofen", "metformin",
                                        "amlodipine", "omeprazole", "cetirizine"};
static const char *const conditions[] = {"cataract", "hypertension", "diabetes",
                                         "fracture", "pneumonia"};
static const char *const topics[] = {"hypertension", "hygiene", "diabetes", "nutrition"};

static int parse_ll(const char *opt, const char *s, long long min, long long max, long long *out)
{
    char *end = NULL;
    errno = 0;
    long long v = s && *s ? strtoll(s, &end, 10) : 0;
    if (!s || !*s || errno || !end || *end || v < min || v > max) {
        fprintf(stderr, "outreach-gen-store: %s must be an integer from %lld to %lld (got '%s')\n",
                opt, min, max, s ? s : "");
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
    *o = (struct opts){.reports = -1, .trips = 1000, .agents = 200, .staff = 5000, .seed = 1,
                       .cache_mb = 1024, .y1 = 2024, .y2 = 2026, .checkins = 0.10};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(usage, stdout);
            exit(0);
        }
        if (!strcmp(a, "--validate-all")) {
            o->validate_all = true;
            continue;
        }
        if (!strcmp(a, "--quiet")) {
            o->quiet = true;
            continue;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "outreach-gen-store: %s needs a value, or is unknown (try --help)\n", a);
            return -1;
        }
        const char *v = argv[++i];
        long long n = 0;
        if (!strcmp(a, "--db")) {
            o->db = v;
        } else if (!strcmp(a, "--reports")) {
            if (parse_ll(a, v, 0, 100000000, &o->reports))
                return -1;
        } else if (!strcmp(a, "--trips")) {
            if (parse_ll(a, v, 1, MAX_TRIPS, &o->trips))
                return -1;
        } else if (!strcmp(a, "--agents")) {
            if (parse_ll(a, v, 1, MAX_AGENTS, &o->agents))
                return -1;
        } else if (!strcmp(a, "--staff")) {
            if (parse_ll(a, v, 1, MAX_STAFF, &o->staff))
                return -1;
        } else if (!strcmp(a, "--seed")) {
            if (parse_ll(a, v, 0, INT64_MAX, &o->seed))
                return -1;
        } else if (!strcmp(a, "--cache-mb")) {
            if (parse_ll(a, v, 2, 1 << 20, &o->cache_mb))
                return -1;
        } else if (!strcmp(a, "--years")) {
            int y1 = 0, y2 = 0, used = 0;
            if (sscanf(v, "%4d-%4d%n", &y1, &y2, &used) != 2 || v[used] || y1 < 2000 ||
                y2 > 2099 || y2 < y1 || y2 - y1 >= MAX_YEARS) {
                fprintf(stderr, "outreach-gen-store: --years must be Y1-Y2 with 2000 <= Y1 <= "
                        "Y2 <= 2099, e.g. 2024-2026 (got '%s')\n", v);
                return -1;
            }
            o->y1 = y1;
            o->y2 = y2;
        } else if (!strcmp(a, "--checkins")) {
            char *end = NULL;
            double f = strtod(v, &end);
            if (!*v || !end || *end || !(f >= 0.0 && f <= 1.0)) {
                fprintf(stderr, "outreach-gen-store: --checkins must be a fraction from 0 to 1,"
                        " e.g. 0.10 (got '%s')\n", v);
                return -1;
            }
            o->checkins = f;
        } else {
            (void)n;
            fprintf(stderr, "outreach-gen-store: unknown option %s (try --help)\n", a);
            return -1;
        }
    }
    if (!o->db || o->reports < 0) {
        fprintf(stderr, "outreach-gen-store: --db FILE and --reports N are required (try --help)\n");
        return -1;
    }
    if (o->trips < o->y2 - o->y1 + 1) {
        fprintf(stderr, "outreach-gen-store: --trips must be at least one per year (%d)\n",
                o->y2 - o->y1 + 1);
        return -1;
    }
    return 0;
}

static int exec_sql(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fprintf(stderr, "outreach-gen-store: %s: %s\n", sql, msg ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}



/* The trips, through store.h: created, then completed or cancelled. */
static int make_trips(const struct opts *o, struct gen_trip *trips, struct year_sums *ys)
{
    struct store *s = NULL;
    char err[256];
    if (store_open(o->tmp, &s, err)) {
        fprintf(stderr, "outreach-gen-store: %s\n", err);
        return -1;
    }
    int years = o->y2 - o->y1 + 1;
    const char *now = "2024-01-01T00:00:00+08:00";
    int rc = store_begin(s) ? -1 : 0;
    for (long long i = 0; i < o->trips && rc == 0; i++) {
        struct gen_trip *t = &trips[i];
        t->year_idx = (int)(i % years);
        int year = o->y1 + t->year_idx;
        long long k = i / years, per = (o->trips - t->year_idx + years - 1) / years;
        /* Dates spread evenly over the year, in trip order. */
        int day = 1 + (int)(k * tu_days_in_year(year) / (per > 0 ? per : 1));
        tu_format_date(tu_date_of_day(year, day), t->date);
        snprintf(t->trip_id, sizeof t->trip_id, "%d-gen-%05lld", year, k + 1);
        const char *const *c = counties[i % N_COUNTIES];
        char title[64], site[32];
        snprintf(title, sizeof title, "义诊 %s", t->trip_id);
        snprintf(site, sizeof site, "site-%lld", i % 97);
        struct trip_def d = {.trip_id = t->trip_id, .title = title, .date = t->date,
                             .site_code = site, .site_name = "村卫生室", .county = c[0],
                             .county_name = c[1], .township = "镇", .poor_village = i % 3 == 0,
                             .mode = 0, .activities = 1, .departments = (1u << 9) - 1};
        d.capacity[ROLE_DOCTOR] = 4;
        d.capacity[ROLE_NURSE] = 6;
        char why[JERR_MAX];
        if (store_trip_upsert(s, &d, now, why)) {
            fprintf(stderr, "outreach-gen-store: trip %s: %s %s\n", t->trip_id, why,
                    store_errmsg(s));
            rc = -1;
            break;
        }
        t->cancelled = k % 30 == 29;
        const char *status = t->cancelled ? "cancelled"
                             : day <= tu_days_in_year(year) * 4 / 5 ? "completed" : NULL;
        if (status && store_trip_set_status(s, t->trip_id, status, now, why)) {
            fprintf(stderr, "outreach-gen-store: trip %s %s: %s\n", t->trip_id, status, why);
            rc = -1;
            break;
        }
        struct year_sums *y = &ys[t->year_idx];
        if (t->cancelled)
            y->trips_cancelled++;
        else if (status)
            y->trips_completed++;
        else
            y->trips_planned++;
    }
    if (rc == 0 && store_commit(s)) {
        fprintf(stderr, "outreach-gen-store: %s\n", store_errmsg(s));
        rc = -1;
    }
    if (rc)
        store_rollback(s);
    store_close(s);
    return rc;
}

/* The columns of one report, as store_report_insert binds them. */
#define INSERT_SQL                                                                         \
    "INSERT INTO reports (msg_id, agent_id, seq, kind, trip_id, recorded_at, received_at,"  \
    " department, consultations, female, over_60, poor_households,"                       \
    " medicine, quantity, unit, value_fen,"                                                \
    " destination, condition, urgency, patient_ref, age, sex,"                             \
    " brochures, attendees, talks, topic, staff_id, role, organization)"                   \
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,"       \
    " ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29)"

struct loader {
    const struct opts *o;
    sqlite3 *db;
    sqlite3_stmt *ins;
    struct gen_trip *trips;
    long long *live;      /* indexes of the trips not cancelled */
    long long n_live;
    struct gen_agent *agents;
    unsigned char *staff_seen; /* [year][staff] */
    struct year_sums *ys;
    long long validated;
    char (*ids)[UUID_LEN + 1]; /* this transaction's msg_ids, sorted */
};

static void bind_s(sqlite3_stmt *st, int i, const char *v)
{
    sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

/* One report: its payload and columns, checked now and then by the decoder. */
static int one_report(struct loader *L, long long n, const char *msg_id)
{
    const struct opts *o = L->o;
    sqlite3_stmt *st = L->ins;
    const struct gen_trip *t = &L->trips[L->live[rnd() % (uint64_t)L->n_live]];
    struct year_sums *y = &L->ys[t->year_idx];
    long long a = (long long)(rnd() % (uint64_t)o->agents);
    struct gen_agent *ag = &L->agents[a];
    char agent_id[32], recorded[TU_TS_MAX], received[TU_TS_MAX];
    snprintf(agent_id, sizeof agent_id, "team-%03lld", a + 1);
    long long seq = ++ag->seq;
    int hh = (int)rnd_in(8, 17), mm = (int)rnd_in(0, 59), ss = (int)rnd_in(0, 59);
    snprintf(recorded, sizeof recorded, "%sT%02d:%02d:%02d+08:00", t->date, hh, mm, ss);
    snprintf(received, sizeof received, "%sT%02d:%02d:%02d+08:00", t->date, hh, mm,
             ss < 59 ? ss + 1 : ss);
    if (strcmp(received, ag->last_seen) > 0)
        snprintf(ag->last_seen, sizeof ag->last_seen, "%s", received);

    char payload[1024];
    const char *kind;
    int len;
    sqlite3_clear_bindings(st);
    double u = rnd_unit();
#define HEAD                                                                             \
    "{\"msg_id\":\"%s\",\"agent_id\":\"%s\",\"seq\":%lld,\"trip_id\":\"%s\","            \
    "\"recorded_at\":\"%s\","
    if (u < o->checkins) {
        kind = "checkin";
        long long p = (long long)(rnd() % (uint64_t)o->staff);
        int role = (int)(p % ROLE_COUNT); /* one role per person */
        char staff_id[32];
        snprintf(staff_id, sizeof staff_id, "st-%05lld", p + 1);
        bool org = p % 2 == 0;
        len = snprintf(payload, sizeof payload,
                       HEAD "\"staff_id\":\"%s\",\"role\":\"%s\"%s}", msg_id, agent_id, seq,
                       t->trip_id, recorded, staff_id, role_names[role],
                       org ? ",\"organization\":\"县人民医院\"" : "");
        sqlite3_bind_text(st, 27, staff_id, -1, SQLITE_TRANSIENT);
        bind_s(st, 28, role_names[role]);
        if (org)
            bind_s(st, 29, "县人民医院");
        y->checkins++;
        unsigned char *seen = &L->staff_seen[(size_t)t->year_idx * (size_t)o->staff + (size_t)p];
        if (role != ROLE_SUPPORT && !*seen) {
            *seen = 1;
            y->staff++;
        }
    } else {
        double v = rnd_unit();
        if (v < 0.75) {
            kind = "headcount";
            int dep = (int)(rnd() % 9);
            long long c = rnd_in(1, 60), f = rnd_in(0, c), ov = rnd_in(0, c), pr = rnd_in(0, c / 3);
            len = snprintf(payload, sizeof payload,
                           HEAD "\"department\":\"%s\",\"consultations\":%lld,\"female\":%lld,"
                                "\"over_60\":%lld,\"poor_households\":%lld}",
                           msg_id, agent_id, seq, t->trip_id, recorded, department_names[dep], c,
                           f, ov, pr);
            bind_s(st, 8, department_names[dep]);
            sqlite3_bind_int64(st, 9, c);
            sqlite3_bind_int64(st, 10, f);
            sqlite3_bind_int64(st, 11, ov);
            sqlite3_bind_int64(st, 12, pr);
            y->consultations += c;
            y->headcounts++;
            y->female += f;
            y->over_60 += ov;
            y->poor_households += pr;
        } else if (v < 0.90) {
            kind = "dispense";
            const char *med = medicines[rnd() % (sizeof medicines / sizeof medicines[0])];
            long long q = rnd_in(1, 50), fen = q * rnd_in(50, 3000);
            len = snprintf(payload, sizeof payload,
                           HEAD "\"medicine\":\"%s\",\"quantity\":%lld,\"unit\":\"box\","
                                "\"value_fen\":%lld}",
                           msg_id, agent_id, seq, t->trip_id, recorded, med, q, fen);
            bind_s(st, 13, med);
            sqlite3_bind_int64(st, 14, q);
            bind_s(st, 15, "box");
            sqlite3_bind_int64(st, 16, fen);
            y->value_fen += fen;
            y->dispenses++;
        } else if (v < 0.96) {
            kind = "referral";
            int dest = (int)(rnd() % DEST_COUNT), urg = (int)(rnd() % 3);
            const char *cond = conditions[rnd() % (sizeof conditions / sizeof conditions[0])];
            const char *sex = rnd() % 2 ? "F" : "M";
            long long age = rnd_in(1, 95);
            char ref[24];
            snprintf(ref, sizeof ref, "%.4s%07lld", t->date, n % 10000000);
            len = snprintf(payload, sizeof payload,
                           HEAD "\"destination\":\"%s\",\"condition\":\"%s\",\"urgency\":\"%s\","
                                "\"patient_ref\":\"%s\",\"age\":%lld,\"sex\":\"%s\"}",
                           msg_id, agent_id, seq, t->trip_id, recorded, destination_names[dest],
                           cond, urgency_names[urg], ref, age, sex);
            bind_s(st, 17, destination_names[dest]);
            bind_s(st, 18, cond);
            bind_s(st, 19, urgency_names[urg]);
            sqlite3_bind_text(st, 20, ref, -1, SQLITE_TRANSIENT);
            sqlite3_bind_int64(st, 21, age);
            bind_s(st, 22, sex);
            y->referrals++;
            y->by_destination[dest]++;
        } else {
            kind = "education";
            long long b = rnd_in(0, 200), at = rnd_in(0, 100), tk = rnd_in(0, 3);
            const char *topic = topics[rnd() % (sizeof topics / sizeof topics[0])];
            len = snprintf(payload, sizeof payload,
                           HEAD "\"brochures\":%lld,\"attendees\":%lld,\"talks\":%lld,"
                                "\"topic\":\"%s\"}",
                           msg_id, agent_id, seq, t->trip_id, recorded, b, at, tk, topic);
            sqlite3_bind_int64(st, 23, b);
            sqlite3_bind_int64(st, 24, at);
            sqlite3_bind_int64(st, 25, tk);
            bind_s(st, 26, topic);
            y->brochures += b;
            y->attendees += at;
            y->talks += tk;
            y->education_reports++;
        }
    }
#undef HEAD
    if (len < 0 || (size_t)len >= sizeof payload) {
        fprintf(stderr, "outreach-gen-store: payload too long\n");
        return -1;
    }
    y->reports++;
    if (o->validate_all || (n & 1023) == 0) {
        struct report r;
        struct jerr je;
        enum reject_code code = report_decode(agent_id, kind, payload, (size_t)len, &r, &je);
        report_free(&r);
        if (code != RJ_NONE) {
            fprintf(stderr, "outreach-gen-store: generated an invalid %s (%s): %s\n", kind,
                    reject_code_str(code), payload);
            return -1;
        }
        L->validated++;
    }
    sqlite3_bind_text(st, 1, msg_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, agent_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, seq);
    bind_s(st, 4, kind);
    bind_s(st, 5, t->trip_id);
    sqlite3_bind_text(st, 6, recorded, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 7, received, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        fprintf(stderr, "outreach-gen-store: inserting report %lld: %s\n", n,
                sqlite3_errmsg(L->db));
        return -1;
    }
    return 0;
}

/* The agents' rows: last seen, last seq, one seq range 1..last each. */
static int write_agents(struct loader *L)
{
    sqlite3_stmt *a = NULL, *r = NULL;
    int rc = -1;
    if (sqlite3_prepare_v2(L->db,
                           "INSERT INTO agents (agent_id, last_seen, last_seq, seq_ranges)"
                           " VALUES (?1, ?2, ?3, 1)", -1, &a, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(L->db, "INSERT INTO agent_seqs (agent_id, lo, hi) VALUES (?1, 1, ?2)",
                           -1, &r, NULL) != SQLITE_OK)
        goto out;
    for (long long i = 0; i < L->o->agents; i++) {
        if (L->agents[i].seq == 0)
            continue;
        char id[32];
        snprintf(id, sizeof id, "team-%03lld", i + 1);
        bind_s(a, 1, id);
        bind_s(a, 2, L->agents[i].last_seen);
        sqlite3_bind_int64(a, 3, L->agents[i].seq);
        bind_s(r, 1, id);
        sqlite3_bind_int64(r, 2, L->agents[i].seq);
        int x = sqlite3_step(a), y = sqlite3_step(r);
        sqlite3_reset(a);
        sqlite3_reset(r);
        if (x != SQLITE_DONE || y != SQLITE_DONE)
            goto out;
    }
    rc = 0;
out:
    if (rc)
        fprintf(stderr, "outreach-gen-store: agents: %s\n", sqlite3_errmsg(L->db));
    sqlite3_finalize(a);
    sqlite3_finalize(r);
    return rc;
}

static int cmp_id(const void *a, const void *b) { return strcmp(a, b); }

static int load_reports(struct loader *L)
{
    const struct opts *o = L->o;
    if (sqlite3_open_v2(o->tmp, &L->db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        fprintf(stderr, "outreach-gen-store: cannot open %s: %s\n", o->tmp, sqlite3_errmsg(L->db));
        return -1;
    }
    char pragma[96];
    snprintf(pragma, sizeof pragma, "PRAGMA cache_size = -%lld", o->cache_mb * 1024);
    if (exec_sql(L->db, "PRAGMA journal_mode = OFF") || exec_sql(L->db, "PRAGMA synchronous = OFF") ||
        exec_sql(L->db, "PRAGMA locking_mode = EXCLUSIVE") || exec_sql(L->db, pragma) ||
        exec_sql(L->db, "PRAGMA foreign_keys = OFF"))
        return -1;
    if (sqlite3_prepare_v2(L->db, INSERT_SQL, -1, &L->ins, NULL) != SQLITE_OK) {
        fprintf(stderr, "outreach-gen-store: %s\n", sqlite3_errmsg(L->db));
        return -1;
    }
    /* Bigger passes for bigger stores: a pass then meets each leaf page more often. */
    long long chunk = o->reports / 10;
    chunk = chunk < 200000 ? 200000 : chunk > 2000000 ? 2000000 : chunk;
    L->ids = calloc((size_t)chunk, sizeof *L->ids);
    if (!L->ids) {
        fprintf(stderr, "outreach-gen-store: out of memory\n");
        return -1;
    }
    double t0 = now_s(), last = t0;
    for (long long n = 0; n < o->reports;) {
        if (exec_sql(L->db, "BEGIN"))
            return -1;
        long long end = n + chunk < o->reports ? n + chunk : o->reports, first = n;
        /* The msg_ids of a transaction are random, but inserted in order: each
         * pass walks the B-tree once (pages stay in cache), while the pages
         * fill and split as under random arrival. */
        for (long long i = 0; i < end - first; i++)
            uuid_v4(L->ids[i]);
        qsort(L->ids, (size_t)(end - first), sizeof *L->ids, cmp_id);
        for (; n < end; n++)
            if (one_report(L, n, L->ids[n - first])) {
                exec_sql(L->db, "ROLLBACK");
                return -1;
            }
        if (exec_sql(L->db, "COMMIT"))
            return -1;
        double t = now_s();
        if (!o->quiet && (t - last > 10 || n == o->reports)) {
            fprintf(stderr, "outreach-gen-store: %lld of %lld reports, %.0f/s\n", n, o->reports,
                    (double)n / (t - t0 > 0 ? t - t0 : 1e-9));
            last = t;
        }
    }
    if (exec_sql(L->db, "BEGIN") || write_agents(L) || exec_sql(L->db, "COMMIT"))
        return -1;
    return 0;
}

/* Timings: wall and CPU seconds of the load (trips, reports, agents) and of
 * the figures' rebuild. */
struct timings {
    double load_s, load_cpu_s, rebuild_s, rebuild_cpu_s;
};

static void print_summary(const struct opts *o, const struct year_sums *ys, const struct loader *L,
                          const struct timings *tm)
{
    printf("{\"db\":\"%s\",\"reports\":%lld,\"trips\":%lld,\"agents\":%lld,\"seed\":%lld,"
           "\"validated\":%lld,\"load_s\":%.3f,\"load_cpu_s\":%.3f,\"rebuild_s\":%.3f,"
           "\"rebuild_cpu_s\":%.3f,\"reports_per_s\":%.0f,\"reports_per_cpu_s\":%.0f,"
           "\"years\":{",
           o->db, o->reports, o->trips, o->agents, o->seed, L->validated, tm->load_s,
           tm->load_cpu_s, tm->rebuild_s, tm->rebuild_cpu_s,
           tm->load_s > 0 ? (double)o->reports / tm->load_s : 0.0,
           tm->load_cpu_s > 0 ? (double)o->reports / tm->load_cpu_s : 0.0);
    for (int i = 0; i <= o->y2 - o->y1; i++) {
        const struct year_sums *y = &ys[i];
        printf("%s\"%d\":{\"reports\":%lld,\"consultations\":%lld,\"headcounts\":%lld,"
               "\"female\":%lld,\"over_60\":%lld,\"poor_households\":%lld,\"value_fen\":%lld,"
               "\"dispenses\":%lld,\"referrals\":%lld,\"by_destination\":{",
               i ? "," : "", o->y1 + i, y->reports, y->consultations, y->headcounts, y->female,
               y->over_60, y->poor_households, y->value_fen, y->dispenses, y->referrals);
        for (int d = 0; d < DEST_COUNT; d++)
            printf("%s\"%s\":%lld", d ? "," : "", destination_names[d], y->by_destination[d]);
        printf("},\"brochures\":%lld,\"attendees\":%lld,\"talks\":%lld,"
               "\"education_reports\":%lld,\"checkins\":%lld,\"staff\":%lld,"
               "\"trips\":{\"planned\":%lld,\"completed\":%lld,\"cancelled\":%lld}}",
               y->brochures, y->attendees, y->talks, y->education_reports, y->checkins, y->staff,
               y->trips_planned, y->trips_completed, y->trips_cancelled);
    }
    printf("}}\n");
}

/* Removes path's side files: its WAL, shared memory and store_open's -lock. */
static void remove_sides(const char *path)
{
    static const char *const sides[] = {"-wal", "-shm", "-lock"};
    char side[4100];
    for (size_t i = 0; i < sizeof sides / sizeof sides[0]; i++) {
        snprintf(side, sizeof side, "%s%s", path, sides[i]);
        unlink(side);
    }
}

/* Removes the store path and its side files; true when path was there. */
static bool remove_store(const char *path)
{
    bool was = unlink(path) == 0;
    remove_sides(path);
    return was;
}

int main(int argc, char **argv)
{
    struct opts o;
    if (parse_args(argc, argv, &o))
        return 2;
    FILE *f = fopen(o.db, "r");
    if (f) {
        fclose(f);
        fprintf(stderr, "outreach-gen-store: %s exists; give a new file (remove the old one and"
                " its -wal and -shm first)\n", o.db);
        return 2;
    }
    /* Written as FILE.tmp and renamed to FILE once complete: a run that
     * fails removes FILE.tmp, one that is killed leaves only FILE.tmp (which
     * the next run for FILE removes); FILE is always a whole store. */
    if ((size_t)snprintf(o.tmp, sizeof o.tmp, "%s.tmp", o.db) >= sizeof o.tmp - 4) {
        fprintf(stderr, "outreach-gen-store: --db path too long\n");
        return 2;
    }
    if (remove_store(o.tmp))
        fprintf(stderr, "outreach-gen-store: removed %s, left by a run that did not finish\n",
                o.tmp);
    rng_state = (uint64_t)o.seed * 0x2545f4914f6cdd1dULL + 1;
    int years = o.y2 - o.y1 + 1, rc = 1;
    struct year_sums ys[MAX_YEARS] = {0};
    struct loader L = {.o = &o};
    L.trips = calloc((size_t)o.trips, sizeof *L.trips);
    L.live = calloc((size_t)o.trips, sizeof *L.live);
    L.agents = calloc((size_t)o.agents, sizeof *L.agents);
    L.staff_seen = calloc((size_t)years * (size_t)o.staff, 1);
    L.ys = ys;
    if (!L.trips || !L.live || !L.agents || !L.staff_seen) {
        fprintf(stderr, "outreach-gen-store: out of memory\n");
        goto out;
    }
    double t0 = now_s(), c0 = cpu_s();
    if (make_trips(&o, L.trips, ys))
        goto out;
    for (long long i = 0; i < o.trips; i++)
        if (!L.trips[i].cancelled)
            L.live[L.n_live++] = i;
    if (L.n_live == 0) {
        fprintf(stderr, "outreach-gen-store: no trip takes reports; give more --trips\n");
        goto out;
    }
    int lr = load_reports(&L);
    sqlite3_finalize(L.ins);
    /* Back to the coordinator's journal: store_open sets WAL again. */
    if (lr == 0 && exec_sql(L.db, "PRAGMA locking_mode = NORMAL"))
        lr = -1;
    sqlite3_close(L.db);
    L.db = NULL;
    if (lr)
        goto out;
    double t1 = now_s(), c1 = cpu_s();
    /* The figures, rebuilt by the store itself from the reports. */
    struct store *s = NULL;
    char err[256];
    if (store_open(o.tmp, &s, err)) {
        fprintf(stderr, "outreach-gen-store: reopening: %s\n", err);
        goto out;
    }
    oerr_t e = store_totals_rebuild(s);
    if (e)
        fprintf(stderr, "outreach-gen-store: rebuilding the figures: %s\n", store_errmsg(s));
    store_close(s);
    if (e)
        goto out;
    double t2 = now_s();
    struct timings tm = {t1 - t0, c1 - c0, t2 - t1, cpu_s() - c1};
    if (!o.quiet)
        fprintf(stderr, "outreach-gen-store: %lld reports in %.1f s (%.0f/s), figures rebuilt "
                "in %.1f s\n", o.reports, t1 - t0, (double)o.reports / (t1 - t0 > 0 ? t1 - t0 : 1),
                t2 - t1);
    if (rename(o.tmp, o.db)) {
        fprintf(stderr, "outreach-gen-store: cannot rename %s to %s: %s\n", o.tmp, o.db,
                strerror(errno));
        goto out;
    }
    remove_sides(o.tmp); /* closed: no WAL left; the -lock of FILE.tmp */
    print_summary(&o, ys, &L, &tm);
    rc = 0;
out:
    if (rc)
        remove_store(o.tmp);
    free(L.trips);
    free(L.live);
    free(L.agents);
    free(L.staff_seen);
    free(L.ids);
    return rc;
}
