/* report_book.c -- the report's tables built from the store: the summary and the
 * counties from the same JSON as `progress --json` (progress_json.c), the
 * months, departments and referrals from store_months, the trips from
 * store_trips_each with their totals and attendance. */
#include "report_book.h"

#include <stdlib.h>
#include <string.h>

#include "coverage.h"
#include "names.h"

const char *const book_section_names[RS_COUNT] = {
    "summary", "counties", "months", "departments", "referrals", "trips", "coverage",
    "not_reached",
};

/* The labels: Chinese first (the commission's), English after, as the site
 * app shows them: destinations and urgencies from common/names.c (the site
 * app's /api/forms lists), departments as its buttons (below); made once. */
#define LABEL_MAX 96
static char dept_labels_buf[STORE_DEPARTMENTS][LABEL_MAX], dest_labels_buf[DEST_COUNT][LABEL_MAX],
    urg_labels_buf[STORE_URGENCIES][LABEL_MAX];
static const char *dept_labels[STORE_DEPARTMENTS], *dest_labels[DEST_COUNT],
    *urg_labels[STORE_URGENCIES];

static void labels_of(const struct names_table *t, int n, char (*buf)[LABEL_MAX],
                      const char **out)
{
    for (int i = 0; i < n; i++) {
        snprintf(buf[i], LABEL_MAX, "%s %s", names_zh(t, t->codes[i]), names_en(t, t->codes[i]));
        out[i] = buf[i];
    }
}

/* The departments as the site app's buttons word them (field-agent/site/
 * describe.js, DEPTS; the Chinese as common/names.c): a site's staff and an
 * official read the same words. tests/unit/test_names_words.c compares them. */
const char *const book_department_words[STORE_DEPARTMENTS][3] = {
    {"internal", "内科", "Internal"},       {"surgery", "外科", "Surgery"},
    {"obgyn", "妇产科", "Ob/Gyn"},          {"pediatrics", "儿科", "Pediatrics"},
    {"ophthalmology", "眼科", "Eyes"},      {"tcm", "中医", "TCM"},
    {"dental", "口腔", "Dental"},           {"general", "全科", "General"},
    {"other", "其他", "Other"},
};

static void labels_init(void)
{
    for (int i = 0; i < STORE_DEPARTMENTS; i++) {
        snprintf(dept_labels_buf[i], LABEL_MAX, "%s %s", book_department_words[i][1],
                 book_department_words[i][2]);
        dept_labels[i] = dept_labels_buf[i];
    }
    labels_of(&names_destination, DEST_COUNT, dest_labels_buf, dest_labels);
    labels_of(&names_urgency, STORE_URGENCIES, urg_labels_buf, urg_labels);
}

static const char *words_of(const char *const (*w)[2], size_t n, const char *code)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(w[i][0], code) == 0)
            return w[i][1];
    return code;
}

const char *book_pace_words(const char *pace)
{
    static const char *const w[][2] = {
        {"ahead", "超前 Ahead"}, {"on_pace", "符合进度 On pace"}, {"behind", "落后 Behind"}};
    return words_of(w, sizeof w / sizeof w[0], pace);
}

const char *book_status_words(const char *status)
{
    static const char *const w[][2] = {{"planned", "计划中 Planned"},
                                       {"completed", "已完成 Completed"},
                                       {"cancelled", "已取消 Cancelled"}};
    return words_of(w, sizeof w / sizeof w[0], status);
}

/* ---- tables ---------------------------------------------------------------- */

static void table_init(struct rtable *t, int section, const char *title, const char *note)
{
    t->name = book_section_names[section];
    snprintf(t->title, sizeof t->title, "%s", title);
    t->note = note;
}

static void col(struct rtable *t, const char *label)
{
    if (t->ncols < REPORT_MAX_COLS)
        t->cols[t->ncols++] = label;
}

static void cols(struct rtable *t, const char *const *labels, int n)
{
    for (int i = 0; i < n; i++)
        col(t, labels[i]);
}

/* A new row of empty cells; NULL when out of memory. */
static struct rcell *row(struct rtable *t)
{
    if (t->nrows == t->cap) {
        int cap = t->cap ? t->cap * 2 : 16;
        struct rcell *c = realloc(t->cells, (size_t)cap * (size_t)t->ncols * sizeof *c);
        if (!c)
            return NULL;
        t->cells = c;
        t->cap = cap;
    }
    struct rcell *r = &t->cells[(size_t)t->nrows++ * (size_t)t->ncols];
    memset(r, 0, (size_t)t->ncols * sizeof *r);
    return r;
}

static int set_text(struct rcell *c, const char *s)
{
    c->kind = RC_TEXT;
    c->text = strdup(s ? s : "");
    return c->text ? 0 : -1;
}

static void set_int(struct rcell *c, long long n)
{
    c->kind = RC_INT;
    c->n = n;
}

/* A day YYYY-MM-DD; "" (none) leaves the cell empty. */
static int set_date(struct rcell *c, const char *day)
{
    if (!day || !day[0])
        return 0;
    int rc = set_text(c, day);
    c->kind = RC_DATE;
    return rc;
}

static void set_money(struct rcell *c, long long fen)
{
    c->kind = RC_MONEY;
    c->n = fen;
}

static const cJSON *jget(const cJSON *o, const char *a, const char *b)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, a);
    return b ? cJSON_GetObjectItemCaseSensitive(x, b) : x;
}

static long long jnum(const cJSON *o, const char *a, const char *b)
{
    const cJSON *x = jget(o, a, b);
    return cJSON_IsNumber(x) ? (long long)x->valuedouble : 0;
}

/* ---- summary ---------------------------------------------------------------- */

/* The target columns of a figure with a target: target, expected to date,
 * projected year end, pace; left empty when t is not an object. */
static int target_cells(struct rcell *c, const cJSON *t)
{
    if (!cJSON_IsObject(t) || !cJSON_IsNumber(jget(t, "target", NULL)))
        return 0;
    set_int(&c[0], jnum(t, "target", NULL));
    set_int(&c[1], jnum(t, "expected_to_date", NULL));
    set_int(&c[2], jnum(t, "projected_year_end", NULL));
    const cJSON *pace = jget(t, "pace", NULL);
    return set_text(&c[3], cJSON_IsString(pace) ? book_pace_words(pace->valuestring) : "");
}

static int summary_row(struct rtable *t, const char *label, long long n, bool money,
                       const cJSON *target)
{
    struct rcell *c = row(t);
    if (!c || set_text(&c[0], label))
        return -1;
    if (money)
        set_money(&c[1], n);
    else
        set_int(&c[1], n);
    return target_cells(&c[2], target);
}

/* County targets come from the county's progress (helper "reach" adds
 * "county_targets" to it: {"consultations":{target,expected_to_date,
 * projected_year_end,pace},"staff":{...}}); NULL while a county has none. */
static const cJSON *county_targets(const cJSON *county_progress, const char *figure)
{
    return jget(jget(county_progress, "county_targets", NULL), figure, NULL);
}

static int build_summary(struct rtable *t, const cJSON *y, const struct book_opts *o)
{
    static const char note_year[] = "本年累计（按出诊日期）；指标为全年指标 "
                                    "The year to date (by the trips' dates) against the "
                                    "year's targets";
    static const char note_county[] = "本县累计（按出诊日期）；县级指标未设置时为空 "
                                      "The county's year to date (by the trips' dates); "
                                      "target columns are empty while the county has no "
                                      "targets";
    table_init(t, RS_SUMMARY, "汇总 Summary", o->county ? note_county : note_year);
    col(t, "指标 Figure");
    col(t, "累计 Count");
    col(t, "目标 Target");
    col(t, "应达进度 Expected to date");
    col(t, "预计全年 Projected year end");
    col(t, "进度 Pace");
    const cJSON *tc = o->county ? county_targets(y, "consultations") : jget(y, "consultations", NULL);
    const cJSON *ts = o->county ? county_targets(y, "staff") : jget(y, "staff", NULL);
    const cJSON *bd = jget(jget(y, "referrals", NULL), "by_destination", NULL);
    if (summary_row(t, "诊疗人次 Consultations", jnum(y, "consultations", "count"), false, tc) ||
        summary_row(t, "参与医务人员 Staff", jnum(y, "staff", "count"), false, ts) ||
        summary_row(t, "女性 Female", jnum(y, "consultations", "female"), false, NULL) ||
        summary_row(t, "60岁以上 Over 60", jnum(y, "consultations", "over_60"), false, NULL) ||
        summary_row(t, "贫困户 Poor households", jnum(y, "consultations", "poor_households"),
                    false, NULL) ||
        summary_row(t, "药品金额（元）Medicine value (CNY)", jnum(y, "medicine", "value_fen"),
                    true, NULL) ||
        summary_row(t, "发药次数 Dispenses", jnum(y, "medicine", "dispenses"), false, NULL) ||
        summary_row(t, "转诊 Referrals", jnum(y, "referrals", "count"), false, NULL))
        return -1;
    for (int i = 0; i < DEST_COUNT; i++)
        if (summary_row(t, dest_labels[i], jnum(bd, destination_names[i], NULL), false, NULL))
            return -1;
    if (summary_row(t, "宣传资料 Brochures", jnum(y, "education", "brochures"), false, NULL) ||
        summary_row(t, "听众 Attendees", jnum(y, "education", "attendees"), false, NULL) ||
        summary_row(t, "讲座 Talks", jnum(y, "education", "talks"), false, NULL) ||
        summary_row(t, "计划中出诊 Trips planned", jnum(y, "trips", "planned"), false, NULL) ||
        summary_row(t, "已完成出诊 Trips completed", jnum(y, "trips", "completed"), false, NULL) ||
        summary_row(t, "已取消出诊 Trips cancelled", jnum(y, "trips", "cancelled"), false, NULL))
        return -1;
    return 0;
}

/* ---- counties ----------------------------------------------------------------- */

/* The figures of a month, in the order of figure_cols (then education). */
static const char *const figure_cols[] = {
    "诊疗人次 Consultations", "女性 Female", "60岁以上 Over 60", "贫困户 Poor households",
    "医务人员 Staff", "药品金额（元）Medicine value (CNY)", "发药次数 Dispenses", "转诊 Referrals",
    "宣传资料 Brochures", "听众 Attendees", "讲座 Talks",
};
#define FIGURE_COLS 11

static long long figure_of(const struct month_figures *f, int i)
{
    const long long v[] = {f->consultations, f->female, f->over_60, f->poor_households,
                           f->staff, f->value_fen, f->dispenses, f->referrals, f->brochures,
                           f->attendees, f->talks, f->education};
    return v[i];
}

struct county_ctx {
    struct store *s;
    const struct book_opts *o;
    struct rtable *t;
    bool found;
    oerr_t err;
};

/* The figure columns shared by the county rows: from a county's progress
 * (the year) or from its month (--month). */
static int county_row(void *arg, const char *county, const char *name)
{
    struct county_ctx *k = arg;
    const struct book_opts *o = k->o;
    if (o->county && strcmp(o->county, county) != 0)
        return 0;
    k->found = true;
    struct rcell *c = row(k->t);
    if (!c || set_text(&c[0], county) || set_text(&c[1], name)) {
        k->err = OERR_NOMEM;
        return 1;
    }
    if (o->month) {
        struct month_figures m[12];
        if ((k->err = store_months(k->s, o->year, county, m)) != OERR_OK)
            return 1;
        for (int i = 0; i < FIGURE_COLS; i++)
            (i == 5 ? set_money : set_int)(&c[2 + i], figure_of(&m[o->month - 1], i));
        return 0;
    }
    cJSON *y = progress_year_json(k->s, o->year, county, name, &o->tg, o->today, o->as_of);
    if (!y) {
        k->err = OERR_DB;
        return 1;
    }
    long long v[] = {jnum(y, "consultations", "count"), jnum(y, "consultations", "female"),
                     jnum(y, "consultations", "over_60"),
                     jnum(y, "consultations", "poor_households"), jnum(y, "staff", "count"),
                     jnum(y, "medicine", "value_fen"), jnum(y, "medicine", "dispenses"),
                     jnum(y, "referrals", "count"), jnum(y, "education", "brochures"),
                     jnum(y, "education", "attendees"), jnum(y, "education", "talks"),
                     jnum(y, "trips", "planned"), jnum(y, "trips", "completed"),
                     jnum(y, "trips", "cancelled")};
    for (int i = 0; i < 14; i++)
        (i == 5 ? set_money : set_int)(&c[2 + i], v[i]);
    /* county targets (consultations, then staff): empty until the county
     * has them (reach) */
    static const char *const figs[] = {"consultations", "staff"};
    for (int f = 0; f < 2; f++) {
        const cJSON *tc = county_targets(y, figs[f]);
        if (!cJSON_IsObject(tc))
            continue;
        struct rcell *tcell = &c[16 + 3 * f];
        set_int(&tcell[0], jnum(tc, "target", NULL));
        set_int(&tcell[1], jnum(tc, "expected_to_date", NULL));
        const cJSON *pace = jget(tc, "pace", NULL);
        if (set_text(&tcell[2], cJSON_IsString(pace) ? book_pace_words(pace->valuestring) : "")) {
            cJSON_Delete(y);
            k->err = OERR_NOMEM;
            return 1;
        }
    }
    cJSON_Delete(y);
    return 0;
}


static oerr_t build_counties(struct store *s, const struct book_opts *o, struct rtable *t,
                             char title[128])
{
    table_init(t, RS_COUNTIES, title,
               o->month ? "所选月份（按上报日期，限于出诊日期之内）The month chosen (by the day "
                          "recorded, within the trip's days)"
                        : "本年累计（按出诊日期）；县级指标未设置时为空 The year to date (by "
                          "the trips' dates); county targets are empty while a county has none");
    col(t, "县代码 County");
    col(t, "县 County name");
    cols(t, figure_cols, FIGURE_COLS);
    if (!o->month) {
        col(t, "计划中出诊 Trips planned");
        col(t, "已完成出诊 Trips completed");
        col(t, "已取消出诊 Trips cancelled");
        col(t, "县目标（诊疗人次）County target (consultations)");
        col(t, "应达进度（诊疗人次）Expected to date (consultations)");
        col(t, "进度（诊疗人次）Pace (consultations)");
        col(t, "县目标（医务人员）County target (staff)");
        col(t, "应达进度（医务人员）Expected to date (staff)");
        col(t, "进度（医务人员）Pace (staff)");
    }
    struct county_ctx k = {s, o, t, false, OERR_OK};
    oerr_t e = store_counties_each(s, o->year, county_row, &k);
    if (k.err)
        return k.err;
    if (e || !o->county || k.found)
        return e;
    /* a county of the villages register with no trip or target this year:
     * its row of zeros, by the register's name */
    struct village_row v;
    if ((e = store_county_village(s, o->county, NULL, &v)))
        return e;
    county_row(&k, o->county, v.county_name);
    return k.err;
}

/* ---- months, departments, referrals -------------------------------------- */

static int month_label(struct rcell *c, int year, int month)
{
    char b[16];
    snprintf(b, sizeof b, "%04d-%02d", year, month);
    return set_text(c, b);
}

/* One row per month (the one of --month), columns from get (the one at
 * money in fen, -1 none), then a total row; its cell of the column at
 * distinct (-1 none) is left empty: that column counts distinct people in
 * each month, and a person in two months is one person in the year. */
static int month_grid(const struct book_opts *o, const struct month_figures *m,
                      struct rtable *t, int n, long long (*get)(const struct month_figures *, int),
                      int money, int distinct)
{
    long long sum[REPORT_MAX_COLS] = {0};
    for (int mo = 1; mo <= 12; mo++) {
        if (o->month && mo != o->month)
            continue;
        struct rcell *c = row(t);
        if (!c || month_label(c, o->year, mo))
            return -1;
        for (int i = 0; i < n; i++) {
            long long v = get(&m[mo - 1], i);
            (i == money ? set_money : set_int)(&c[1 + i], v);
            sum[i] += v;
        }
    }
    struct rcell *c = row(t);
    if (!c || set_text(&c[0], "合计 Total"))
        return -1;
    for (int i = 0; i < n; i++)
        if (i != distinct)
            (i == money ? set_money : set_int)(&c[1 + i], sum[i]);
    return 0;
}

static int build_months(const struct book_opts *o, const struct month_figures *m,
                        struct rtable *t)
{
    table_init(t, RS_MONTHS, "按月 By month",
               "按上报日期所在月份（UTC+08:00，限于出诊日期之内）By the month of the day each "
               "report was recorded (the coordinator's time zone), within its trip's days");
    col(t, "月份 Month");
    cols(t, figure_cols, FIGURE_COLS);
    col(t, "健康教育上报 Education reports");
    return month_grid(o, m, t, FIGURE_COLS + 1, figure_of, 5, 4); /* 4: staff */
}

static long long dept_of(const struct month_figures *f, int i)
{
    if (i < STORE_DEPARTMENTS)
        return f->by_department[i];
    long long sum = 0;
    for (int d = 0; d < STORE_DEPARTMENTS; d++)
        sum += f->by_department[d];
    return sum;
}

static long long referral_of(const struct month_figures *f, int i)
{
    if (i == 0)
        return f->referrals;
    if (i <= DEST_COUNT)
        return f->by_destination[i - 1];
    return f->by_urgency[i - 1 - DEST_COUNT];
}

static int build_departments(const struct book_opts *o, const struct month_figures *m,
                             struct rtable *t)
{
    table_init(t, RS_DEPARTMENTS, "按科室 By department",
               "诊疗人次，按上报日期所在月份（限于出诊日期之内）Consultations, by the month of "
               "the day recorded (within the trip's days)");
    col(t, "月份 Month");
    cols(t, dept_labels, STORE_DEPARTMENTS);
    col(t, "合计 Total");
    return month_grid(o, m, t, STORE_DEPARTMENTS + 1, dept_of, -1, -1);
}

static int build_referrals(const struct book_opts *o, const struct month_figures *m,
                           struct rtable *t)
{
    table_init(t, RS_REFERRALS, "转诊 Referrals",
               "按去向与紧急程度，按上报日期所在月份（限于出诊日期之内）By destination and "
               "urgency, by the month of the day recorded (within the trip's days)");
    col(t, "月份 Month");
    col(t, "转诊 Referrals");
    cols(t, dest_labels, DEST_COUNT);
    cols(t, urg_labels, STORE_URGENCIES);
    return month_grid(o, m, t, 1 + DEST_COUNT + STORE_URGENCIES, referral_of, -1, -1);
}

/* ---- trips -------------------------------------------------------------------- */

#define TRIP_TEXT_COLS 11 /* trip ... status, then the counts */

struct trip_ctx {
    struct store *s;
    const struct book_opts *o;
    struct rtable *t;
    oerr_t err;
};

static int trip_row_add(void *arg, const struct trip_row *tr)
{
    struct trip_ctx *k = arg;
    const struct book_opts *o = k->o;
    if (tr->year != o->year || (o->county && strcmp(o->county, tr->county) != 0))
        return 0;
    if (o->month && atoi(tr->date + 5) != o->month)
        return 0;
    struct trip_detail *d = malloc(sizeof *d);
    if (!d) {
        k->err = OERR_NOMEM;
        return 1;
    }
    struct totals tot;
    struct totals_filter f = {.year = tr->year, .trip_id = tr->trip_id};
    struct attendance at;
    struct role_places pl[ROLE_COUNT];
    if ((k->err = store_trip_detail(k->s, tr->trip_id, d)) ||
        (k->err = store_totals(k->s, &f, &tot)) ||
        (k->err = store_trip_attendance(k->s, tr->trip_id, &at)) ||
        (k->err = store_trip_places(k->s, tr->trip_id, pl))) {
        free(d);
        return 1;
    }
    long long confirmed = 0;
    for (int i = 0; i < ROLE_COUNT; i++)
        confirmed += pl[i].confirmed;
    char vcode[ID_MAX + 1] = "";
    struct village_row v = {0};
    if ((k->err = store_trip_village(k->s, tr->trip_id, vcode)) ||
        (vcode[0] && (k->err = store_village_get(k->s, vcode, &v)) && k->err != OERR_NOTFOUND)) {
        free(d);
        return 1;
    }
    k->err = OERR_OK;
    struct rcell *c = row(k->t);
    const char *txt[] = {d->trip_id, NULL, NULL, d->title, d->county, d->county_name,
                         d->township, d->site_name, vcode, v.name,
                         book_status_words(d->status)};
    int bad = !c || set_date(&c[1], d->date) || set_date(&c[2], d->end_date);
    for (int i = 0; !bad && i < TRIP_TEXT_COLS; i++)
        bad = txt[i] && set_text(&c[i], txt[i]);
    free(d);
    if (bad) {
        k->err = OERR_NOMEM;
        return 1;
    }
    long long n[] = {tot.consultations, tot.female, tot.over_60, tot.poor_households, tot.staff,
                     confirmed, at.came, at.absent, at.unregistered};
    for (int i = 0; i < 9; i++)
        set_int(&c[TRIP_TEXT_COLS + i], n[i]);
    return 0;
}

static oerr_t build_trips(struct store *s, const struct book_opts *o, struct rtable *t)
{
    table_init(t, RS_TRIPS, "出诊与到岗 Trips with attendance",
               "按出诊日期；到岗只计人数，不记姓名 By the trips' dates; attendance counts "
               "people, never names");
    static const char *const labels[] = {"出诊编号 Trip", "日期 Date", "结束日期 End date", "名称 Title",
                          "县代码 County", "县 County name", "乡镇 Township", "地点 Site",
                          "村代码 Village code", "村 Village", "状态 Status",
                          "诊疗人次 Consultations", "女性 Female",
                          "60岁以上 Over 60", "贫困户 Poor households", "医务人员 Staff",
                          "报名 Registered", "报名且到岗 Registered, came",
                          "报名未到 Registered, absent", "未报名到岗 Came unregistered"};
    cols(t, labels, (int)(sizeof labels / sizeof labels[0]));
    struct trip_ctx k = {s, o, t, OERR_OK};
    oerr_t e = store_trips_each(s, trip_row_add, &k);
    return k.err ? k.err : e;
}

/* ---- poor-village coverage ------------------------------------------------------ */

/* The share reached in whole percent, rounded down ("" when no poor village). */
static int share_cell(struct rcell *c, long long reached, long long all)
{
    if (all <= 0)
        return 0;
    char b[24];
    snprintf(b, sizeof b, "%lld%%", reached * 100 / all);
    int rc = set_text(c, b);
    c->kind = RC_PERCENT;
    c->n = reached * 100 / all;
    return rc;
}

static int coverage_row(struct rtable *t, const char *county, const char *name,
                        const char *township, const cJSON *o)
{
    struct rcell *c = row(t);
    long long all = jnum(o, "poor_villages", NULL), reached = jnum(o, "reached", NULL);
    if (!c || set_text(&c[0], county) || set_text(&c[1], name) || set_text(&c[2], township))
        return -1;
    set_int(&c[3], all);
    set_int(&c[4], reached);
    set_int(&c[5], all - reached);
    return share_cell(&c[6], reached, all);
}

static const char *jstr(const cJSON *o, const char *name)
{
    const cJSON *x = jget(o, name, NULL);
    return cJSON_IsString(x) ? x->valuestring : "";
}

/* Coverage (county rows, each followed by its townships', then the whole)
 * and the poor villages not reached, from coverage_json: the year to date
 * whatever --month says. */
static oerr_t build_coverage(struct store *s, const struct book_opts *o, struct rtable *cov,
                             struct rtable *nr)
{
    table_init(cov, RS_COVERAGE, "贫困村覆盖 Poor-village coverage",
               "本年至今：至少一次已开展（已完成或进行中、未取消）且有诊疗人次的出诊 The year to "
               "date: a poor village is reached by a trip there that has begun, is not "
               "cancelled and has consultations");
    static const char *const cl[] = {"县代码 County", "县 County name", "乡镇 Township",
                                     "贫困村 Poor villages", "已覆盖 Reached",
                                     "未覆盖 Not reached", "覆盖率 Share reached"};
    cols(cov, cl, (int)(sizeof cl / sizeof cl[0]));
    table_init(nr, RS_NOT_REACHED, "未覆盖贫困村 Poor villages not reached",
               "本年尚无出诊覆盖的贫困村 The poor villages no trip has reached this year");
    static const char *const nl[] = {"县代码 County", "乡镇 Township", "村代码 Village code",
                                     "村 Village"};
    cols(nr, nl, (int)(sizeof nl / sizeof nl[0]));
    cJSON *j = coverage_json(s, o->year, o->today, o->as_of);
    if (!j)
        return OERR_DB;
    oerr_t e = OERR_NOMEM;
    const cJSON *c, *w, *v;
    cJSON_ArrayForEach(c, jget(j, "by_county", NULL)) {
        const char *county = jstr(c, "county");
        if (o->county && strcmp(o->county, county) != 0)
            continue;
        if (coverage_row(cov, county, jstr(c, "county_name"), "", c))
            goto out;
        cJSON_ArrayForEach(w, jget(c, "townships", NULL))
            if (coverage_row(cov, county, jstr(c, "county_name"), jstr(w, "township"), w))
                goto out;
    }
    if (!o->county && coverage_row(cov, "合计 Total", "", "", j))
        goto out;
    cJSON_ArrayForEach(v, jget(j, "not_reached", NULL)) {
        if (o->county && strcmp(o->county, jstr(v, "county")) != 0)
            continue;
        struct rcell *r = row(nr);
        if (!r || set_text(&r[0], jstr(v, "county")) || set_text(&r[1], jstr(v, "township")) ||
            set_text(&r[2], jstr(v, "code")) || set_text(&r[3], jstr(v, "name")))
            goto out;
    }
    e = OERR_OK;
out:
    cJSON_Delete(j);
    return e;
}

/* ---- the whole report ----------------------------------------------------------- */

oerr_t book_build(struct store *s, const struct book_opts *o, struct report_book *r)
{
    memset(r, 0, sizeof *r);
    r->o = *o;
    labels_init();
    const char *cname = NULL;
    char title[128];
    snprintf(title, sizeof title, "%s", o->month ? "按县（当月）By county, the month"
                                                 : "按县 By county");
    oerr_t e = build_counties(s, o, &r->t[RS_COUNTIES], title);
    if (e)
        return e;
    if (o->county && r->t[RS_COUNTIES].nrows > 0)
        cname = r->t[RS_COUNTIES].cells[1].text;
    /* the county by its name, its code after: "· 修武县 (xiuwu)" */
    char scope[160] = "";
    if (o->county)
        snprintf(scope, sizeof scope, " · %s (%s)", cname && cname[0] ? cname : o->county,
                 o->county);
    if (o->month)
        snprintf(r->heading, sizeof r->heading, "巡回医疗报告 Outreach report %04d-%02d%s (as of %s)",
                 o->year, o->month, scope, o->as_of);
    else
        snprintf(r->heading, sizeof r->heading, "巡回医疗报告 Outreach report %04d%s (as of %s)",
                 o->year, scope, o->as_of);
    cJSON *y = progress_year_json(s, o->year, o->county, cname, &o->tg, o->today, o->as_of);
    if (!y)
        return OERR_DB;
    int bad = build_summary(&r->t[RS_SUMMARY], y, o);
    cJSON_Delete(y);
    if (bad)
        return OERR_NOMEM;
    struct month_figures m[12];
    if ((e = store_months(s, o->year, o->county, m)))
        return e;
    if (build_months(o, m, &r->t[RS_MONTHS]) || build_departments(o, m, &r->t[RS_DEPARTMENTS]) ||
        build_referrals(o, m, &r->t[RS_REFERRALS]))
        return OERR_NOMEM;
    if ((e = build_trips(s, o, &r->t[RS_TRIPS])))
        return e;
    return build_coverage(s, o, &r->t[RS_COVERAGE], &r->t[RS_NOT_REACHED]);
}

void book_free(struct report_book *r)
{
    if (!r)
        return;
    for (int i = 0; i < RS_COUNT; i++) {
        struct rtable *t = &r->t[i];
        for (size_t k = 0; k < (size_t)t->nrows * (size_t)t->ncols; k++)
            free(t->cells[k].text);
        free(t->cells);
        t->cells = NULL;
        t->nrows = t->cap = 0;
    }
}
