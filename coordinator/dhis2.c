/* dhis2.c -- DHIS2 data value sets from the month figures (store_months)
 * through a mapping file. The figure names are those of the months message
 * (progress/{year}/months): consultations, female, over_60, ...,
 * by_department.internal, by_destination.county_hospital, by_urgency.urgent,
 * and value_cny (value_fen in yuan, two decimals). */
#include "dhis2.h"

#include <stdlib.h>
#include <string.h>

#include "report_book.h"

/* DHIS2 codes are at most 50 characters (its code column). */
#define CODE_MAX 50
#define MAP_MAX_ENTRIES 1000
#define MAP_FILE_MAX (1024 * 1024)

enum fig_base { FB_PLAIN, FB_DEPT, FB_DEST, FB_URG };

struct map_fig {
    char figure[64];
    int base, index; /* enum fig_base; the field or the name's index */
    char de[CODE_MAX + 1], coc[CODE_MAX + 1];
};
struct map_ou {
    char county[ID_MAX + 1], ou[CODE_MAX + 1];
};
struct dhis2_map {
    struct map_fig *fig;
    int nfig;
    struct map_ou *ou;
    int nou;
    char aoc[CODE_MAX + 1]; /* attributeOptionCombo, "" none */
};

/* The plain figures, in the months message's order. */
static const char *const plain_names[] = {
    "consultations", "female", "over_60", "poor_households", "staff", "value_fen",
    "value_cny", "dispenses", "referrals", "brochures", "attendees", "talks", "education",
};
#define PLAIN_COUNT (int)(sizeof plain_names / sizeof plain_names[0])

static long long plain_value(const struct month_figures *f, int i)
{
    const long long v[] = {f->consultations, f->female, f->over_60, f->poor_households,
                           f->staff, f->value_fen, f->value_fen, f->dispenses, f->referrals,
                           f->brochures, f->attendees, f->talks, f->education};
    return v[i];
}

static int name_index(const char *const *names, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return i;
    return -1;
}

/* "by_department.tcm" -> FB_DEPT, its index; -1 when no figure has the name. */
static int figure_parse(const char *name, int *base, int *index)
{
    static const struct {
        const char *prefix;
        int base;
        const char *const *names;
        int n;
    } groups[] = {
        {"by_department.", FB_DEPT, department_names, STORE_DEPARTMENTS},
        {"by_destination.", FB_DEST, destination_names, DEST_COUNT},
        {"by_urgency.", FB_URG, urgency_names, STORE_URGENCIES},
    };
    for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++) {
        size_t k = strlen(groups[g].prefix);
        if (strncmp(name, groups[g].prefix, k) == 0) {
            *base = groups[g].base;
            *index = name_index(groups[g].names, groups[g].n, name + k);
            return *index < 0 ? -1 : 0;
        }
    }
    *base = FB_PLAIN;
    *index = name_index(plain_names, PLAIN_COUNT, name);
    return *index < 0 ? -1 : 0;
}

/* A code: 1..50 printable characters, no control character. */
static int code_get(const cJSON *o, const char *field, bool optional, char out[CODE_MAX + 1],
                    const char *where, char err[DHIS2_ERR_MAX])
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, field);
    if (!v && optional) {
        out[0] = '\0';
        return 0;
    }
    if (!cJSON_IsString(v) || !v->valuestring[0] || strlen(v->valuestring) > CODE_MAX) {
        snprintf(err, DHIS2_ERR_MAX, "%s: \"%s\" must be a DHIS2 code, 1 to %d characters",
                 where, field, CODE_MAX);
        return -1;
    }
    for (const unsigned char *p = (const unsigned char *)v->valuestring; *p; p++)
        if (*p < 0x20 || *p == 0x7f) {
            snprintf(err, DHIS2_ERR_MAX, "%s: \"%s\" holds a control character", where, field);
            return -1;
        }
    snprintf(out, CODE_MAX + 1, "%s", v->valuestring);
    return 0;
}

static int load_figures(struct dhis2_map *m, const cJSON *arr, char err[DHIS2_ERR_MAX])
{
    int n = cJSON_GetArraySize(arr);
    if (!cJSON_IsArray(arr) || n < 1 || n > MAP_MAX_ENTRIES) {
        snprintf(err, DHIS2_ERR_MAX, "\"figures\" must be an array of 1 to %d entries "
                 "{\"figure\", \"dataElement\", \"categoryOptionCombo\"}", MAP_MAX_ENTRIES);
        return -1;
    }
    if (!(m->fig = calloc((size_t)n, sizeof *m->fig))) {
        snprintf(err, DHIS2_ERR_MAX, "out of memory");
        return -1;
    }
    const cJSON *e;
    cJSON_ArrayForEach(e, arr) {
        struct map_fig *f = &m->fig[m->nfig];
        char where[64];
        snprintf(where, sizeof where, "figures[%d]", m->nfig);
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(e, "figure");
        if (!cJSON_IsString(name) || strlen(name->valuestring) >= sizeof f->figure ||
            figure_parse(name->valuestring, &f->base, &f->index)) {
            snprintf(err, DHIS2_ERR_MAX, "%s: \"figure\" must be one of the months' figures "
                     "(consultations, female, over_60, poor_households, staff, value_fen, "
                     "value_cny, dispenses, referrals, brochures, attendees, talks, education, "
                     "by_department.NAME, by_destination.NAME, by_urgency.NAME)", where);
            return -1;
        }
        snprintf(f->figure, sizeof f->figure, "%s", name->valuestring);
        if (code_get(e, "dataElement", false, f->de, where, err) ||
            code_get(e, "categoryOptionCombo", false, f->coc, where, err))
            return -1;
        for (int i = 0; i < m->nfig; i++)
            if (strcmp(m->fig[i].de, f->de) == 0 && strcmp(m->fig[i].coc, f->coc) == 0) {
                snprintf(err, DHIS2_ERR_MAX, "figures[%d] (%s) and figures[%d] (%s) both go to "
                         "dataElement %s, categoryOptionCombo %s: one value would overwrite "
                         "the other", i, m->fig[i].figure, m->nfig, f->figure, f->de, f->coc);
                return -1;
            }
        m->nfig++;
    }
    return 0;
}

static int load_org_units(struct dhis2_map *m, const cJSON *arr, char err[DHIS2_ERR_MAX])
{
    int n = cJSON_GetArraySize(arr);
    if (!cJSON_IsArray(arr) || n < 1 || n > MAP_MAX_ENTRIES) {
        snprintf(err, DHIS2_ERR_MAX, "\"orgUnits\" must be an array of 1 to %d entries "
                 "{\"county\", \"orgUnit\"}", MAP_MAX_ENTRIES);
        return -1;
    }
    if (!(m->ou = calloc((size_t)n, sizeof *m->ou))) {
        snprintf(err, DHIS2_ERR_MAX, "out of memory");
        return -1;
    }
    const cJSON *e;
    cJSON_ArrayForEach(e, arr) {
        struct map_ou *u = &m->ou[m->nou];
        char where[64];
        snprintf(where, sizeof where, "orgUnits[%d]", m->nou);
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(e, "county");
        if (!cJSON_IsString(c) || !id_is_code(c->valuestring)) {
            snprintf(err, DHIS2_ERR_MAX, "%s: \"county\" must be our county code, like xiuwu",
                     where);
            return -1;
        }
        snprintf(u->county, sizeof u->county, "%s", c->valuestring);
        if (code_get(e, "orgUnit", false, u->ou, where, err))
            return -1;
        for (int i = 0; i < m->nou; i++)
            if (strcmp(m->ou[i].county, u->county) == 0) {
                snprintf(err, DHIS2_ERR_MAX, "orgUnits[%d] and orgUnits[%d] both map county %s",
                         i, m->nou, u->county);
                return -1;
            }
        m->nou++;
    }
    return 0;
}

struct dhis2_map *dhis2_map_load(const char *path, char err[DHIS2_ERR_MAX])
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, DHIS2_ERR_MAX, "cannot read the mapping %s", path);
        return NULL;
    }
    char *buf = malloc(MAP_FILE_MAX + 1);
    size_t len = buf ? fread(buf, 1, MAP_FILE_MAX + 1, f) : 0;
    fclose(f);
    if (!buf || len > MAP_FILE_MAX) {
        snprintf(err, DHIS2_ERR_MAX, "the mapping %s is larger than 1 MiB", path);
        free(buf);
        return NULL;
    }
    cJSON *j = cJSON_ParseWithLength(buf, len);
    free(buf);
    struct dhis2_map *m = calloc(1, sizeof *m);
    int bad = !m;
    if (!bad && !cJSON_IsObject(j)) {
        snprintf(err, DHIS2_ERR_MAX, "the mapping %s is not a JSON object "
                 "(docs/dhis2-mapping.example.json shows one)", path);
        bad = 1;
    }
    if (!bad)
        bad = load_figures(m, cJSON_GetObjectItemCaseSensitive(j, "figures"), err) ||
              load_org_units(m, cJSON_GetObjectItemCaseSensitive(j, "orgUnits"), err) ||
              code_get(j, "attributeOptionCombo", true, m->aoc, "the mapping", err);
    cJSON_Delete(j);
    if (bad) {
        if (!m)
            snprintf(err, DHIS2_ERR_MAX, "out of memory");
        dhis2_map_free(m);
        return NULL;
    }
    return m;
}

void dhis2_map_free(struct dhis2_map *m)
{
    if (!m)
        return;
    free(m->fig);
    free(m->ou);
    free(m);
}

/* ---- the data value set ---------------------------------------------------- */

static long long fig_value(const struct map_fig *f, const struct month_figures *mf)
{
    switch (f->base) {
    case FB_DEPT: return mf->by_department[f->index];
    case FB_DEST: return mf->by_destination[f->index];
    case FB_URG: return mf->by_urgency[f->index];
    default: return plain_value(mf, f->index);
    }
}

static bool month_empty(const struct month_figures *mf)
{
    for (int i = 0; i < PLAIN_COUNT; i++)
        if (plain_value(mf, i))
            return false;
    return true;
}

struct build_ctx {
    struct store *s;
    const struct dhis2_map *m;
    int year, month; /* month 0: all twelve */
    const char *county;
    cJSON *values;
    char *err;
    oerr_t e;
};

static int add_county(void *arg, const char *county, const char *name)
{
    struct build_ctx *k = arg;
    if (k->county && strcmp(k->county, county) != 0)
        return 0;
    struct month_figures mf[12];
    if ((k->e = store_months(k->s, k->year, county, mf)) != OERR_OK) {
        snprintf(k->err, DHIS2_ERR_MAX, "reading the months of %s failed", county);
        return 1;
    }
    /* only a county with figures in the period(s) exported needs an orgUnit */
    bool any = false;
    for (int mo = 0; mo < 12 && !any; mo++)
        any = (!k->month || mo + 1 == k->month) && !month_empty(&mf[mo]);
    if (!any)
        return 0;
    const struct map_ou *ou = NULL;
    for (int i = 0; i < k->m->nou && !ou; i++)
        if (strcmp(k->m->ou[i].county, county) == 0)
            ou = &k->m->ou[i];
    if (!ou) {
        char when[16];
        if (k->month)
            snprintf(when, sizeof when, "%04d-%02d", k->year, k->month);
        else
            snprintf(when, sizeof when, "%d", k->year);
        snprintf(k->err, DHIS2_ERR_MAX, "county %s (%s) has figures in %s but no orgUnit in the "
                 "mapping: add {\"county\": \"%s\", \"orgUnit\": \"ITS_DHIS2_CODE\"} to "
                 "\"orgUnits\"", county, name, when, county);
        k->e = OERR_NOTFOUND;
        return 1;
    }
    for (int mo = 0; mo < 12; mo++) {
        if ((k->month && mo + 1 != k->month) || month_empty(&mf[mo]))
            continue;
        char period[8];
        snprintf(period, sizeof period, "%04d%02d", k->year, mo + 1);
        for (int i = 0; i < k->m->nfig; i++) {
            const struct map_fig *f = &k->m->fig[i];
            long long v = fig_value(f, &mf[mo]);
            char value[40];
            if (f->base == FB_PLAIN && strcmp(plain_names[f->index], "value_cny") == 0)
                snprintf(value, sizeof value, "%lld.%02lld", v / 100, v % 100);
            else
                snprintf(value, sizeof value, "%lld", v);
            cJSON *d = cJSON_CreateObject();
            if (!d || !cJSON_AddStringToObject(d, "dataElement", f->de) ||
                !cJSON_AddStringToObject(d, "period", period) ||
                !cJSON_AddStringToObject(d, "orgUnit", ou->ou) ||
                !cJSON_AddStringToObject(d, "categoryOptionCombo", f->coc) ||
                (k->m->aoc[0] && !cJSON_AddStringToObject(d, "attributeOptionCombo", k->m->aoc)) ||
                !cJSON_AddStringToObject(d, "value", value)) {
                cJSON_Delete(d);
                snprintf(k->err, DHIS2_ERR_MAX, "out of memory");
                k->e = OERR_NOMEM;
                return 1;
            }
            cJSON_AddItemToArray(k->values, d);
        }
    }
    return 0;
}

cJSON *dhis2_build(struct store *s, const struct dhis2_map *m, int year, int month,
                   const char *county, char err[DHIS2_ERR_MAX])
{
    cJSON *set = cJSON_CreateObject();
    cJSON *values = set ? cJSON_AddArrayToObject(set, "dataValues") : NULL;
    if (!values) {
        cJSON_Delete(set);
        snprintf(err, DHIS2_ERR_MAX, "out of memory");
        return NULL;
    }
    struct build_ctx k = {s, m, year, month, county, values, err, OERR_OK};
    oerr_t e = store_month_counties_each(s, year, add_county, &k);
    if (k.e || e) {
        if (!k.e)
            snprintf(err, DHIS2_ERR_MAX, "reading the store failed: %s", store_errmsg(s));
        cJSON_Delete(set);
        return NULL;
    }
    return set; /* a county with no month figures (the caller knows it): no value */
}

int dhis2_write_csv(const cJSON *set, FILE *f)
{
    static const char *const cols[] = {"dataElement", "period", "orgUnit",
                                       "categoryOptionCombo", "attributeOptionCombo", "value"};
    if (fputs("dataelement,period,orgunit,catoptcombo,attroptcombo,value,storedby,lastupdated,"
              "comment,followup\n", f) == EOF)
        return -1;
    const cJSON *d;
    cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(set, "dataValues")) {
        for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++) {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(d, cols[i]);
            if ((i && fputc(',', f) == EOF) ||
                book_csv_field(f, cJSON_IsString(v) ? v->valuestring : "", false))
                return -1;
        }
        if (fputs(",,,,\n", f) == EOF)
            return -1;
    }
    return 0;
}
