/* siteapp_forms.c -- the site app's four forms: offer and save (siteapp_forms.h). */
#include "siteapp_forms.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include "compose.h"
#include "ids.h"
#include "names.h"
#include "outbox_site.h"
#include "report.h"
#include "timeutil.h"
#include "tripcards.h"

/* The wire's unit is free text (1..32): the forms send these codes. */
const struct forms_choice forms_units[] = {
    {"tablet", "片", "Tablet"},   {"capsule", "粒", "Capsule"}, {"pill", "丸", "Pill"},
    {"bottle", "瓶", "Bottle"},   {"box", "盒", "Box"},         {"tube", "支", "Tube"},
    {"sachet", "袋", "Sachet"},   {"patch", "贴", "Patch"},     {"pack", "包", "Pack"},
    {NULL, NULL, NULL},
};

/* The wire's condition is free text (1..64): common ones by these codes. */
const struct forms_choice forms_conditions[] = {
    {"cataract", "白内障", "Cataract"},
    {"hypertension", "高血压", "Hypertension"},
    {"diabetes", "糖尿病", "Diabetes"},
    {"glaucoma", "青光眼", "Glaucoma"},
    {"copd", "慢阻肺", "COPD"},
    {"heart_disease", "心脏病", "Heart disease"},
    {"stroke", "脑卒中", "Stroke"},
    {"arthritis", "关节炎", "Arthritis"},
    {"tuberculosis", "肺结核", "Tuberculosis"},
    {"fracture", "骨折", "Fracture"},
    {NULL, NULL, NULL},
};

static const char *choice_code(const struct forms_choice *list, const char *word)
{
    if (!word)
        return NULL;
    for (const struct forms_choice *c = list; c->code; c++)
        if (strcmp(word, c->code) == 0 || strcmp(word, c->zh) == 0 ||
            strcasecmp(word, c->en) == 0)
            return c->code;
    return NULL;
}

const char *forms_unit_code(const char *word) { return choice_code(forms_units, word); }

const char *forms_condition_code(const char *word)
{
    return choice_code(forms_conditions, word);
}

static cJSON *field_error(const char *field, const char *msg)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "error", "field");
    cJSON_AddStringToObject(o, "field", field);
    cJSON_AddStringToObject(o, "message", msg);
    return o;
}

static cJSON *error_reply(const char *code, const char *msg)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "error", code);
    cJSON_AddStringToObject(o, "message", msg);
    return o;
}

/* The text of a form's value into buf[n]: trimmed of ASCII and ideographic
 * spaces; digits: full-width ones made ASCII (for whole numbers). Returns 1
 * with text, 0 when not given (absent, null or empty), -1 when neither text
 * nor a number (or too long). */
static int form_text(const cJSON *v, bool digits, char *buf, size_t n)
{
    if (!v || cJSON_IsNull(v))
        return 0;
    if (cJSON_IsNumber(v)) {
        snprintf(buf, n, "%.15g", v->valuedouble);
        return 1;
    }
    if (!cJSON_IsString(v))
        return -1;
    const unsigned char *s = (const unsigned char *)v->valuestring;
    size_t len = strlen(v->valuestring), used = 0;
    for (;;) { /* leading spaces */
        if (*s == ' ' || *s == '\t')
            s++, len--;
        else if (s[0] == 0xe3 && s[1] == 0x80 && s[2] == 0x80)
            s += 3, len -= 3;
        else
            break;
    }
    for (;;) { /* trailing ones */
        if (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
            len--;
        else if (len >= 3 && s[len - 3] == 0xe3 && s[len - 2] == 0x80 && s[len - 1] == 0x80)
            len -= 3;
        else
            break;
    }
    for (size_t i = 0; i < len; i++) {
        char c = (char)s[i];
        if (digits && i + 2 < len && s[i] == 0xef && s[i + 1] == 0xbc && s[i + 2] >= 0x90 &&
            s[i + 2] <= 0x99) { /* １ -> 1 */
            c = (char)('0' + (s[i + 2] - 0x90));
            i += 2;
        }
        if (used + 1 >= n)
            return -1;
        buf[used++] = c;
    }
    buf[used] = '\0';
    return used ? 1 : 0;
}

/* The first 'name' quoted in a validator's message: the field it is about. */
static void quoted_field(const char *msg, char *out, size_t n)
{
    const char *a = strchr(msg, '\''), *b = a ? strchr(a + 1, '\'') : NULL;
    if (a && b && (size_t)(b - a - 1) < n && b > a + 1)
        snprintf(out, n, "%.*s", (int)(b - a - 1), a + 1);
    else
        snprintf(out, n, "entry");
}

struct save_check {
    const char *agent_id, *kind;
    struct jerr err;
};

/* report_decode, the coordinator's own rules, before anything is stored. */
static int check_entry(void *ctx, const char *payload)
{
    struct save_check *c = ctx;
    struct report r;
    enum reject_code code = report_decode(c->agent_id, c->kind, payload, strlen(payload), &r,
                                          &c->err);
    report_free(&r);
    return code == RJ_NONE ? 0 : -1;
}

/* Sets one field of the form into fields; NULL or the error reply. */
static cJSON *set_field(const struct kind_spec *k, const struct field_spec *f, const cJSON *body,
                        cJSON *fields)
{
    char key[32], text[1024], err[COMPOSE_ERR_MAX];
    snprintf(key, sizeof key, "%s", f->flag);
    for (char *p = key; *p; p++)
        *p = *p == '-' ? '_' : *p;
    int got = form_text(cJSON_GetObjectItemCaseSensitive(body, key), f->type == F_INT, text,
                        sizeof text);
    if (got < 0)
        return field_error(f->json, "must be text or a number (at most 1000 bytes)");
    if (got == 0)
        return NULL;
    const char *value = text;
    if (strcmp(k->kind, "dispense") == 0 && strcmp(f->json, "unit") == 0 &&
        !(value = forms_unit_code(text))) {
        char list[400];
        size_t used = 0;
        list[0] = '\0';
        for (const struct forms_choice *c = forms_units; c->code; c++)
            used += (size_t)snprintf(list + used, sizeof list - used, "%s%s %s %s",
                                     used ? ", " : "", c->code, c->zh, c->en);
        snprintf(err, sizeof err, "unit: pick one of the list (%s)", list);
        return field_error("unit", err);
    }
    if (strcmp(f->json, "condition") == 0 && forms_condition_code(text))
        value = forms_condition_code(text);
    if (compose_set(k, fields, f->flag, value, err) == 0)
        return NULL;
    if (cJSON_GetObjectItemCaseSensitive(fields, f->json))
        return field_error(f->json, "given twice: send either value (yuan) or value_fen");
    switch (f->type) {
    case F_INT:
        return field_error(f->json, "must be a whole number, e.g. 20");
    case F_CNY:
        return field_error(f->json, "must be an amount in yuan such as ¥1,250.50, 125.5 or "
                                    "125，50 (at most two decimals)");
    case F_ENUM: {
        char list[COMPOSE_ERR_MAX - 80];
        const struct names_table *t = names_for_codes(f->values);
        snprintf(err, sizeof err, "pick one of: %s",
                 t ? names_list(t, list, sizeof list) : enum_join(f->values, list, sizeof list));
        return field_error(f->json, err);
    }
    case F_STR:
        break;
    }
    return field_error(f->json, err);
}

unsigned forms_save(struct outbox *ob, const char *agent_id, const char *trip,
                    const char *staff_id, const cJSON *body, cJSON **reply)
{
    static const char *const kinds[] = {"dispense", "referral", "education", "checkin", NULL};
    const cJSON *kv = cJSON_GetObjectItemCaseSensitive(body, "kind");
    const char *kind = cJSON_IsString(kv) ? kv->valuestring : NULL;
    if (!kind || enum_index(kinds, kind) < 0) {
        *reply = error_reply("kind", "kind must be dispense, referral, education or checkin");
        return 400;
    }
    if (!trip) {
        *reply = error_reply("no_trip", "this device has no trip: set 'trip' in the agent's "
                                        "config and restart the daemon");
        return 409;
    }
    const struct kind_spec *k = compose_kind(kind);
    cJSON *fields = cJSON_CreateObject();
    for (const struct field_spec *f = k->fields; f->flag; f++) {
        if ((*reply = set_field(k, f, body, fields))) {
            cJSON_Delete(fields);
            return 400;
        }
    }
    for (const struct field_spec *f = k->fields; f->flag; f++) {
        bool missing = f->required && !cJSON_GetObjectItemCaseSensitive(fields, f->json);
        if (strcmp(f->json, "value_fen") == 0)
            missing = !cJSON_GetObjectItemCaseSensitive(fields, f->json);
        if (missing) {
            *reply = field_error(f->json, "required");
            cJSON_Delete(fields);
            return 400;
        }
    }
    char err[COMPOSE_ERR_MAX];
    compose_check_required(k, fields, err); /* the education counts default to 0 */
    if (staff_id)
        cJSON_AddStringToObject(fields, "entered_by", staff_id);

    unsigned status = 200;
    long long known = 0;
    switch (tripcards_check(ob, trip, &known)) {
    case TRIP_OK:
    case TRIP_NO_CARDS: /* never online: the coordinator judges it */
        break;
    case TRIP_CANCELLED:
        snprintf(err, sizeof err, "trip %s is cancelled (its trip card says so): nothing was "
                 "saved", trip);
        *reply = error_reply("trip", err);
        status = 409;
        break;
    case TRIP_UNKNOWN:
        snprintf(err, sizeof err, "this device has no trip card for trip %s (of %lld): nothing "
                 "was saved; check the trip", trip, known);
        *reply = error_reply("trip", err);
        status = 409;
        break;
    case TRIP_ERROR:
        *reply = error_reply("db", "cannot read the trip cards: try again");
        status = 500;
        break;
    }
    if (status != 200) {
        cJSON_Delete(fields);
        return status;
    }
    char now[TU_TS_MAX];
    tu_format_ts(time(NULL), TU_SITE_OFFSET_MIN, now);
    struct save_check sc = {.agent_id = agent_id, .kind = kind};
    struct outbox_entry e = {0};
    oerr_t pe = outbox_push(ob, kind, trip, fields, now, check_entry, &sc, &e);
    cJSON_Delete(fields);
    if (pe == OERR_REJECTED) {
        char field[64];
        quoted_field(sc.err.msg, field, sizeof field);
        *reply = field_error(field, sc.err.msg);
        return 400;
    }
    if (pe) {
        *reply = error_reply("db", "the entry was not saved: try again");
        return 500;
    }
    char what[COMPOSE_DESCRIBE_MAX];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "seq", (double)e.seq);
    cJSON_AddStringToObject(o, "msg_id", e.msg_id);
    cJSON_AddStringToObject(o, "kind", e.kind);
    cJSON_AddStringToObject(o, "trip_id", e.trip_id);
    cJSON_AddStringToObject(o, "description",
                            compose_describe(e.kind, e.payload, 0, what, sizeof what));
    outbox_entry_clear(&e);
    *reply = o;
    return 200;
}

static void add_choices(cJSON *o, const char *name, const struct forms_choice *list)
{
    cJSON *a = cJSON_AddArrayToObject(o, name);
    for (const struct forms_choice *c = list; c->code; c++) {
        cJSON *it = cJSON_CreateObject();
        cJSON_AddStringToObject(it, "code", c->code);
        cJSON_AddStringToObject(it, "zh", c->zh);
        cJSON_AddStringToObject(it, "en", c->en);
        cJSON_AddItemToArray(a, it);
    }
}

static void add_names(cJSON *o, const char *name, const struct names_table *t)
{
    cJSON *a = cJSON_AddArrayToObject(o, name);
    for (const struct name_entry *e = t->entries; e->code; e++) {
        cJSON *it = cJSON_CreateObject();
        cJSON_AddStringToObject(it, "code", e->code);
        cJSON_AddStringToObject(it, "zh", e->zh);
        cJSON_AddStringToObject(it, "en", e->en);
        cJSON_AddItemToArray(a, it);
    }
}

static bool in_array(const cJSON *a, const char *s)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, a)
        if (cJSON_IsString(it) && strcmp(it->valuestring, s) == 0)
            return true;
    return false;
}

/* Adds the formulary file's names (bounded) to medicines, skipping repeats.
 * A missing or unreadable file adds none. */
static void add_formulary(cJSON *medicines, const char *path)
{
    FILE *f = path ? fopen(path, "r") : NULL;
    if (!f)
        return;
    char *buf = malloc(FORMS_FORMULARY_BYTES + 1);
    size_t len = buf ? fread(buf, 1, FORMS_FORMULARY_BYTES, f) : 0;
    fclose(f);
    if (!buf)
        return;
    buf[len] = '\0';
    int names = 0;
    char *save = NULL;
    for (char *line = strtok_r(buf, "\r\n", &save); line && names < FORMS_FORMULARY_NAMES;
         line = strtok_r(NULL, "\r\n", &save)) {
        while (*line == ' ' || *line == '\t')
            line++;
        size_t n = strlen(line);
        while (n && (line[n - 1] == ' ' || line[n - 1] == '\t'))
            line[--n] = '\0';
        /* The contract's medicine is 1..128 characters of UTF-8. */
        if (!n || line[0] == '#' || !utf8_valid(line, n) || utf8_chars(line) > 128)
            continue;
        if (cJSON_GetArraySize(medicines) >= FORMS_SUGGEST_MAX + FORMS_FORMULARY_NAMES)
            break;
        names++;
        if (!in_array(medicines, line))
            cJSON_AddItemToArray(medicines, cJSON_CreateString(line));
    }
    free(buf);
}

static void add_medicine(void *ctx, const char *medicine)
{
    if (medicine)
        cJSON_AddItemToArray(ctx, cJSON_CreateString(medicine));
}

static void add_person(void *ctx, const char *staff_id, const char *role, const char *org)
{
    if (!staff_id || !role)
        return;
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "staff_id", staff_id);
    cJSON_AddStringToObject(p, "role", role);
    if (org)
        cJSON_AddStringToObject(p, "organization", org);
    cJSON_AddItemToArray(ctx, p);
}

/* This trip's medicine names and the people checked in on this device. */
static int add_from_outbox(struct outbox *ob, const char *trip, cJSON *medicines, cJSON *people)
{
    if (outbox_trip_medicines(ob, trip, FORMS_SUGGEST_MAX, add_medicine, medicines) ||
        outbox_checkins(ob, FORMS_SUGGEST_MAX, add_person, people))
        return -1;
    return 0;
}

int forms_patient_ref(char *buf, size_t n)
{
    static const char alphabet[] = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"; /* 32: no 0 O 1 I */
    unsigned char r[5];
    if (n < 20 || getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
        return -1;
    char date[11];
    tu_format_date(tu_today(TU_SITE_OFFSET_MIN), date);
    snprintf(buf, n, "R-%.4s%.2s%.2s-%c%c%c%c%c", date, date + 5, date + 8,
             alphabet[r[0] % 32], alphabet[r[1] % 32], alphabet[r[2] % 32],
             alphabet[r[3] % 32], alphabet[r[4] % 32]);
    return 0;
}

unsigned forms_offer(struct outbox *ob, const char *trip, const char *formulary_path,
                     cJSON **reply)
{
    cJSON *o = cJSON_CreateObject();
    add_choices(o, "units", forms_units);
    add_choices(o, "conditions", forms_conditions);
    add_names(o, "destinations", &names_destination);
    add_names(o, "urgencies", &names_urgency);
    add_names(o, "roles", &names_role);
    add_names(o, "sexes", &names_sex);
    cJSON *medicines = cJSON_AddArrayToObject(o, "medicines");
    cJSON *people = cJSON_AddArrayToObject(o, "people");
    char ref[32];
    if (add_from_outbox(ob, trip, medicines, people) || forms_patient_ref(ref, sizeof ref)) {
        cJSON_Delete(o);
        *reply = error_reply("db", "cannot read the outbox");
        return 500;
    }
    add_formulary(medicines, formulary_path);
    cJSON_AddStringToObject(o, "patient_ref", ref);
    *reply = o;
    return 200;
}
