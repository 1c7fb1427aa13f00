/* ingest_bench.c -- outreach-bench-ingest: what one report costs the
 * coordinator's store, in process, on a store of any size.
 *
 * It opens a store (one made by outreach-gen-store, whose trips it uses)
 * through store.h as the daemon does (store_open: WAL, synchronous FULL,
 * the daemon's page cache), makes N new synthetic reports (random version 4
 * msg_ids, 10% check-ins, the rest headcounts, on the store's trips that are
 * not cancelled, from agents team-001... continuing their seqs), decodes
 * them with report_decode before the clock starts, and then feeds them
 * through the daemon's own intake path: store_begin, intake_report per
 * report, intake_seen_add / intake_seen_flush per batch, store_commit, in
 * batches of --batch. No broker and no publishing: what is measured is the
 * store's share of a report, which is what grows with the store.
 *
 * Per round it prints wall and CPU time per report, the bytes the process
 * read and wrote through system calls (/proc/self/io rchar, wchar: SQLite
 * reads a page that is not in its cache with one pread, so read bytes /
 * page size is the page cache's misses; written bytes are WAL frames and
 * checkpoints), and the CPU's cache misses when the kernel lets a process
 * count its own (perf_event_open; "-" when not). With --rounds R it repeats
 * (each round adds N more reports) and ends with min / median / max. */
#include <errno.h>
#include <linux/perf_event.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "ids.h"
#include "intake.h"
#include "report.h"
#include "store.h"
#include "synth.h"
#include "timeutil.h"

#define MAX_TRIPS 100000
#define AGENTS 200
#define MAX_ROUNDS 100

static const char usage[] =
    "usage: outreach-bench-ingest --db FILE --reports N [options]\n"
    "\n"
    "Feeds N new synthetic reports through the coordinator's own intake path\n"
    "(store_begin, intake_report, the batch's agents seen, store_commit) into the\n"
    "store FILE, made by outreach-gen-store (its trips are used), and prints\n"
    "what a report cost: wall and CPU microseconds (and the CPU's part in the\n"
    "kernel), bytes read and written by the process per report (read / 4096 is\n"
    "about SQLite's page cache misses, plus the WAL read back at checkpoints),\n"
    "and CPU cache misses per report when the kernel allows counting them.\n"
    "The store grows by N reports each round: use a copy.\n"
    "\n"
    "  --db FILE       the store (must exist; opened as the daemon opens it, so a\n"
    "                  store of an older layout is upgraded first)\n"
    "  --reports N     reports per round (1 .. 10000000)\n"
    "  --batch B       reports per transaction, as the daemon's batches (default 100)\n"
    "  --rounds R      rounds, each of N new reports (default 1, at most 100)\n"
    "  --seed S        random seed for the msg_ids and fields (default: the clock)\n"
    "  --label L       a name for the store in the output (default: FILE)\n"
    "\n"
    "Output: one line per round, then one 'summary' line with min/median/max of\n"
    "CPU us per report over the rounds.\n";

struct opts {
    const char *db, *label;
    long long reports, batch, rounds, seed;
};



/* CPU seconds this process spent in the kernel (system calls: page reads,
 * WAL writes, fsync). */
static double sys_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static int parse_ll(const char *opt, const char *s, long long min, long long max, long long *out)
{
    char *end = NULL;
    errno = 0;
    long long v = s && *s ? strtoll(s, &end, 10) : 0;
    if (!s || !*s || errno || !end || *end || v < min || v > max) {
        fprintf(stderr, "outreach-bench-ingest: %s must be an integer from %lld to %lld (got '%s')\n",
                opt, min, max, s ? s : "");
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
    *o = (struct opts){.reports = -1, .batch = 100, .rounds = 1, .seed = -1};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(usage, stdout);
            exit(0);
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "outreach-bench-ingest: %s needs a value, or is unknown (try --help)\n",
                    a);
            return -1;
        }
        const char *v = argv[++i];
        int rc = 0;
        if (!strcmp(a, "--db"))
            o->db = v;
        else if (!strcmp(a, "--label"))
            o->label = v;
        else if (!strcmp(a, "--reports"))
            rc = parse_ll(a, v, 1, 10000000, &o->reports);
        else if (!strcmp(a, "--batch"))
            rc = parse_ll(a, v, 1, 100000, &o->batch);
        else if (!strcmp(a, "--rounds"))
            rc = parse_ll(a, v, 1, MAX_ROUNDS, &o->rounds);
        else if (!strcmp(a, "--seed"))
            rc = parse_ll(a, v, 0, INT64_MAX, &o->seed);
        else {
            fprintf(stderr, "outreach-bench-ingest: unknown option %s (try --help)\n", a);
            return -1;
        }
        if (rc)
            return -1;
    }
    if (!o->db || o->reports < 0) {
        fprintf(stderr, "outreach-bench-ingest: --db FILE and --reports N are required "
                "(try --help)\n");
        return -1;
    }
    if (!o->label)
        o->label = o->db;
    return 0;
}



/* rchar and wchar of /proc/self/io: bytes through read/pread and write/pwrite. */
static void io_bytes(long long *rd, long long *wr)
{
    *rd = *wr = -1;
    FILE *f = fopen("/proc/self/io", "r");
    if (!f)
        return;
    char line[128];
    while (fgets(line, sizeof line, f)) {
        sscanf(line, "rchar: %lld", rd);
        sscanf(line, "wchar: %lld", wr);
    }
    fclose(f);
}

/* The CPU's cache misses of this process (user space), or -1. */
static int perf_open(void)
{
    struct perf_event_attr pe;
    memset(&pe, 0, sizeof pe);
    pe.type = PERF_TYPE_HARDWARE;
    pe.size = sizeof pe;
    pe.config = PERF_COUNT_HW_CACHE_MISSES;
    pe.disabled = 1;
    pe.exclude_kernel = 1;
    pe.exclude_hv = 1;
    return (int)syscall(SYS_perf_event_open, &pe, 0, -1, -1, 0);
}

static long long perf_read(int fd)
{
    long long v = -1;
    if (fd < 0 || read(fd, &v, sizeof v) != (ssize_t)sizeof v)
        return -1;
    return v;
}

struct trips {
    char (*id)[65];
    char (*date)[11];
    size_t n;
};

static int trip_take(void *ctx, const struct trip_row *t)
{
    struct trips *T = ctx;
    if (strcmp(t->status, "cancelled") == 0 || T->n >= MAX_TRIPS)
        return 0;
    snprintf(T->id[T->n], sizeof T->id[0], "%s", t->trip_id);
    snprintf(T->date[T->n], sizeof T->date[0], "%s", t->date);
    T->n++;
    return 0;
}

static long long agent_seq[AGENTS];

static int agent_take(void *ctx, const struct agent_row *a)
{
    (void)ctx;
    unsigned n = 0;
    char tail = 0;
    if (sscanf(a->agent_id, "team-%3u%c", &n, &tail) == 1 && n >= 1 && n <= AGENTS)
        agent_seq[n - 1] = a->last_seq;
    return 0;
}

/* One round's reports, decoded before the clock starts. */
struct item {
    char agent[16];
    char *payload;
    size_t len;
    struct report r;
};

static int make_items(const struct opts *o, const struct trips *T, struct item *it)
{
    for (long long i = 0; i < o->reports; i++) {
        struct item *x = &it[i];
        size_t t = (size_t)(rnd() % T->n);
        int a = (int)(rnd() % AGENTS);
        snprintf(x->agent, sizeof x->agent, "team-%03d", a + 1);
        char msg_id[UUID_LEN + 1], buf[768];
        uuid_v4(msg_id);
        long long seq = ++agent_seq[a];
        int hh = 8 + (int)(rnd() % 10), mm = (int)(rnd() % 60);
        const char *kind;
        int len;
        if (rnd() % 10 == 0) {
            kind = "checkin";
            len = snprintf(buf, sizeof buf,
                           "{\"msg_id\":\"%s\",\"agent_id\":\"%s\",\"seq\":%lld,"
                           "\"trip_id\":\"%s\",\"recorded_at\":\"%sT%02d:%02d:00+08:00\","
                           "\"staff_id\":\"st-%05d\",\"role\":\"%s\"}",
                           msg_id, x->agent, seq, T->id[t], T->date[t], hh, mm,
                           (int)(rnd() % 5000) + 1, role_names[rnd() % ROLE_COUNT]);
        } else {
            long long c = 1 + (long long)(rnd() % 60);
            kind = "headcount";
            len = snprintf(buf, sizeof buf,
                           "{\"msg_id\":\"%s\",\"agent_id\":\"%s\",\"seq\":%lld,"
                           "\"trip_id\":\"%s\",\"recorded_at\":\"%sT%02d:%02d:00+08:00\","
                           "\"department\":\"internal\",\"consultations\":%lld,"
                           "\"female\":%lld}",
                           msg_id, x->agent, seq, T->id[t], T->date[t], hh, mm, c,
                           (long long)(rnd() % (uint64_t)(c + 1)));
        }
        if (len < 0 || (size_t)len >= sizeof buf || !(x->payload = strdup(buf)))
            return -1;
        x->len = (size_t)len;
        struct jerr err = {{0}};
        if (report_decode(x->agent, kind, x->payload, x->len, &x->r, &err) != RJ_NONE) {
            fprintf(stderr, "outreach-bench-ingest: made an invalid %s: %s (%s)\n", kind,
                    err.msg, x->payload);
            return -1;
        }
    }
    return 0;
}

static void free_items(struct item *it, long long n)
{
    for (long long i = 0; i < n; i++) {
        report_free(&it[i].r);
        free(it[i].payload);
    }
}

struct result {
    double wall_us, cpu_us, sys_us, read_b, write_b, cache_misses;
    long long accepted;
};

/* One round: the batches through intake, as process_batch does them. */
static int feed(const struct opts *o, struct store *s, struct item *it, int pfd,
                struct result *res)
{
    struct intake_seen seen = {0};
    char now[TU_TS_MAX];
    tu_format_ts(time(NULL), 480, now);
    long long rd0, wr0, rd1, wr1, accepted = 0;
    io_bytes(&rd0, &wr0);
    if (pfd >= 0) {
        ioctl(pfd, PERF_EVENT_IOC_RESET, 0);
        ioctl(pfd, PERF_EVENT_IOC_ENABLE, 0);
    }
    double t0 = now_s(), c0 = cpu_s(), s0 = sys_s();
    int rc = 0;
    for (long long i = 0; i < o->reports && rc == 0;) {
        long long end = i + o->batch < o->reports ? i + o->batch : o->reports;
        if (store_begin(s)) {
            rc = -1;
            break;
        }
        for (; i < end && rc == 0; i++) {
            struct outcome oc = {0};
            if (intake_seen_add(&seen, it[i].agent, it[i].r.seq) ||
                intake_report(s, &it[i].r, it[i].payload, it[i].len, now, &oc))
                rc = -1;
            else if (oc.status == ACK_ACCEPTED)
                accepted++;
        }
        if (rc == 0 && (intake_seen_flush(&seen, s, now) || store_commit(s)))
            rc = -1;
        if (rc) {
            fprintf(stderr, "outreach-bench-ingest: the store failed: %s\n", store_errmsg(s));
            intake_seen_clear(&seen);
            store_rollback(s);
        }
    }
    double t1 = now_s(), c1 = cpu_s(), s1 = sys_s();
    if (pfd >= 0)
        ioctl(pfd, PERF_EVENT_IOC_DISABLE, 0);
    io_bytes(&rd1, &wr1);
    intake_seen_free(&seen);
    double n = (double)o->reports;
    *res = (struct result){.wall_us = (t1 - t0) * 1e6 / n, .cpu_us = (c1 - c0) * 1e6 / n,
                           .sys_us = (s1 - s0) * 1e6 / n,
                           .read_b = rd0 >= 0 ? (double)(rd1 - rd0) / n : -1,
                           .write_b = wr0 >= 0 ? (double)(wr1 - wr0) / n : -1,
                           .cache_misses = -1, .accepted = accepted};
    long long cm = perf_read(pfd);
    if (cm >= 0)
        res->cache_misses = (double)cm / n;
    return rc;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    struct opts o;
    if (parse_args(argc, argv, &o))
        return 2;
    if (access(o.db, F_OK) != 0) {
        fprintf(stderr, "outreach-bench-ingest: no store at %s (make one with "
                "outreach-gen-store --db %s --reports N)\n", o.db, o.db);
        return 2;
    }
    rng_state = (uint64_t)(o.seed >= 0 ? o.seed : (long long)time(NULL) ^ (long long)getpid()) *
                    0x2545f4914f6cdd1dULL + 7;
    struct store *s = NULL;
    char err[256];
    double t0 = now_s();
    if (store_open(o.db, &s, err)) {
        fprintf(stderr, "outreach-bench-ingest: %s\n", err);
        return 1;
    }
    double open_s = now_s() - t0;
    struct trips T = {calloc(MAX_TRIPS, sizeof *T.id), calloc(MAX_TRIPS, sizeof *T.date), 0};
    struct item *it = calloc((size_t)o.reports, sizeof *it);
    int rc = 1, pfd = perf_open();
    double cpu[MAX_ROUNDS];
    if (!T.id || !T.date || !it) {
        fprintf(stderr, "outreach-bench-ingest: out of memory\n");
        goto out;
    }
    if (store_trips_each(s, trip_take, &T) || store_agents_each(s, agent_take, NULL)) {
        fprintf(stderr, "outreach-bench-ingest: reading %s: %s\n", o.db, store_errmsg(s));
        goto out;
    }
    if (T.n == 0) {
        fprintf(stderr, "outreach-bench-ingest: %s has no trip that takes reports; make it with "
                "outreach-gen-store\n", o.db);
        goto out;
    }
    printf("store %s: opened in %.3f s, %zu trips taking reports; %lld reports per round in "
           "batches of %lld%s\n", o.label, open_s, T.n, o.reports, o.batch,
           pfd < 0 ? " (CPU cache misses not countable here)" : "");
    for (long long r = 0; r < o.rounds; r++) {
        if (make_items(&o, &T, it)) {
            fprintf(stderr, "outreach-bench-ingest: out of memory\n");
            free_items(it, o.reports);
            goto out;
        }
        struct result res;
        int f = feed(&o, s, it, pfd, &res);
        free_items(it, o.reports);
        memset(it, 0, (size_t)o.reports * sizeof *it);
        if (f)
            goto out;
        if (res.accepted != o.reports) {
            fprintf(stderr, "outreach-bench-ingest: only %lld of %lld reports accepted\n",
                    res.accepted, o.reports);
            goto out;
        }
        cpu[r] = res.cpu_us;
        char cm[32] = "-";
        if (res.cache_misses >= 0)
            snprintf(cm, sizeof cm, "%.0f", res.cache_misses);
        printf("round %lld %s: cpu_us_per_report %.1f (system %.1f) wall_us_per_report %.1f "
               "read_bytes_per_report %.0f write_bytes_per_report %.0f "
               "cpu_cache_misses_per_report %s\n",
               r + 1, o.label, res.cpu_us, res.sys_us, res.wall_us, res.read_b, res.write_b, cm);
        fflush(stdout);
    }
    qsort(cpu, (size_t)o.rounds, sizeof cpu[0], cmp_double);
    printf("summary %s: cpu_us_per_report min %.1f median %.1f max %.1f over %lld rounds\n",
           o.label, cpu[0], cpu[o.rounds / 2], cpu[o.rounds - 1], o.rounds);
    rc = 0;
out:
    if (pfd >= 0)
        close(pfd);
    free(it);
    free(T.id);
    free(T.date);
    store_close(s);
    return rc;
}
