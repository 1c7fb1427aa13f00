/* compose.c -- builds a report's fields from command-line flags, one table per kind. */
#include "compose.h"

#include <errno.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "jsonget.h"
#include "names.h"
#include "report.h"

static const struct field_spec headcount[] = {
    {"department", "department", F_ENUM, true, department_names, "department that saw them"},
    {"consultations", "consultations", F_INT, true, NULL,
     "people seen since this device's last headcount (1..5000)"},
    {"female", "female", F_INT, false, NULL, "of them, women"},
    {"over-60", "over_60", F_INT, false, NULL, "of them, people over 60"},
    {"poor-households", "poor_households", F_INT, false, NULL,
     "of them, people from registered poor households"},
    {NULL, NULL, F_INT, false, NULL, NULL},
};
static const struct field_spec dispense[] = {
    {"medicine", "medicine", F_STR, true, NULL, "medicine name (1..128 characters)"},
    {"quantity", "quantity", F_INT, true, NULL, "how many units (1..100000)"},
    {"unit", "unit", F_STR, true, NULL, "unit, e.g. box, bottle, tablet"},
    {"value", "value_fen", F_CNY, false, NULL, "value in CNY, e.g. 125.50"},
    {"value-fen", "value_fen", F_INT, false, NULL, "value in fen (CNY x 100), instead of --value"},
    {NULL, NULL, F_INT, false, NULL, NULL},
};
static const struct field_spec referral[] = {
    {"destination", "destination", F_ENUM, true, destination_names, "where the patient is sent"},
    {"condition", "condition", F_STR, true, NULL, "condition, e.g. cataract (1..64)"},
    {"urgency", "urgency", F_ENUM, true, urgency_names, "how urgent"},
    {"patient-ref", "patient_ref", F_STR, true, NULL,
     "opaque patient reference (never a name or phone number)"},
    {"age", "age", F_INT, false, NULL, "age in years (0..130)"},
    {"sex", "sex", F_ENUM, false, names_sex_codes, "F or M"},
    {NULL, NULL, F_INT, false, NULL, NULL},
};
static const struct field_spec education[] = {
    {"brochures", "brochures", F_INT, false, NULL, "brochures handed out (default 0)"},
    {"attendees", "attendees", F_INT, false, NULL, "people at talks (default 0)"},
    {"talks", "talks", F_INT, false, NULL, "talks given (default 0)"},
    {"topic", "topic", F_STR, false, NULL, "topic, e.g. hypertension"},
    {NULL, NULL, F_INT, false, NULL, NULL},
};
static const struct field_spec checkin[] = {
    {"staff-id", "staff_id", F_STR, true, NULL, "the team member's id"},
    {"role", "role", F_ENUM, true, role_names, "their role on this trip"},
    {"organization", "organization", F_STR, false, NULL, "hospital or organisation"},
    {NULL, NULL, F_INT, false, NULL, NULL},
};
static const struct field_spec void_[] = {
    {"msg-id", "voids", F_STR, true, NULL, "msg_id of this device's report to cancel"},
    {"reason", "reason", F_STR, true, NULL, "why it no longer counts"},
    {NULL, NULL, F_INT, false, NULL, NULL},
};

const struct kind_spec compose_kinds[] = {
    {"headcount", "consultations by department",
     "report headcount --trip 2026-zjj-014 --department internal --consultations 12", headcount},
    {"dispense", "medicine dispensed free",
     "report dispense --medicine amoxicillin --quantity 20 --unit box --value 125.50", dispense},
    {"referral", "a patient referred on",
     "report referral --destination county_hospital --condition cataract --urgency routine"
     " --patient-ref P-0042", referral},
    {"education", "health-education output",
     "report education --brochures 100 --talks 1 --attendees 60", education},
    {"checkin", "a team member checked in at the site",
     "report checkin --staff-id dr-wang-01 --role doctor", checkin},
    {"void", "cancel an earlier report of this device",
     "report void --msg-id 1b4e28ba-2fa1-4d3b-a3f5-ef19b5a7633b --reason 'entered twice'", void_},
    {NULL, NULL, NULL, NULL},
};

const struct kind_spec *compose_kind(const char *kind)
{
    for (const struct kind_spec *k = compose_kinds; k->kind; k++)
        if (strcmp(k->kind, kind) == 0)
            return k;
    return NULL;
}

/* The characters a phone keyboard may give for an amount, as ASCII: full-width
 * digits, '．' and '，' (U+FF10..19, U+FF0E, U+FF0C). 0 when none. */
static char fullwidth_ascii(const unsigned char *p)
{
    if (p[0] != 0xef || p[1] != 0xbc)
        return 0;
    if (p[2] >= 0x90 && p[2] <= 0x99)
        return (char)('0' + (p[2] - 0x90));
    return p[2] == 0x8e ? '.' : p[2] == 0x8c ? ',' : 0;
}

/* s with its spaces trimmed, a leading ¥ or ￥ and a trailing 元 dropped and
 * full-width characters made ASCII, into out[n]. Returns 0 or -1. */
static int cny_ascii(const char *s, char *out, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t len = 0;
    bool sign = false, gap = false;
    while (*p) {
        char c = fullwidth_ascii(p);
        if (c) {
            p += 3;
        } else if (*p == ' ' || *p == '\t') {
            p++, gap = len > 0;
            continue;
        } else if (p[0] == 0xe3 && p[1] == 0x80 && p[2] == 0x80) { /* U+3000 space */
            p += 3, gap = len > 0;
            continue;
        } else if (!len && !sign && p[0] == 0xc2 && p[1] == 0xa5) { /* ¥ */
            p += 2, sign = true;
            continue;
        } else if (!len && !sign && p[0] == 0xef && p[1] == 0xbf && p[2] == 0xa5) { /* ￥ */
            p += 3, sign = true;
            continue;
        } else if (len && p[0] == 0xe5 && p[1] == 0x85 && p[2] == 0x83) { /* 元, last */
            p += 3;
            while (*p == ' ')
                p++;
            if (*p)
                return -1;
            break;
        } else if (*p < 0x80) {
            c = (char)*p++;
        } else {
            return -1;
        }
        if (len + 1 >= n)
            return -1;
        if (gap) /* spaces only around the amount, not inside it */
            return -1;
        out[len++] = c;
    }
    out[len] = '\0';
    return len ? 0 : -1;
}

int compose_parse_cny(const char *s, long long *fen)
{
    char a[64];
    if (cny_ascii(s, a, sizeof a))
        return -1;
    /* A comma followed by exactly two digits at the end, with no '.', is the
     * decimal separator ("125，50"); any other comma separates thousands
     * ("1,250.50": groups of exactly three digits). */
    size_t len = strlen(a);
    if (len >= 3 && a[len - 3] == ',' && !strchr(a, '.') &&
        a[len - 2] >= '0' && a[len - 2] <= '9' && a[len - 1] >= '0' && a[len - 1] <= '9')
        a[len - 3] = '.';
    long long yuan = 0, cents = 0;
    const char *p = a;
    if (*p < '0' || *p > '9')
        return -1;
    int group = 0; /* digits since the last thousands comma */
    bool grouped = false;
    for (; (*p >= '0' && *p <= '9') || *p == ','; p++) {
        if (*p == ',') {
            if ((grouped && group != 3) || (!grouped && group > 3))
                return -1;
            grouped = true, group = 0;
            continue;
        }
        if (yuan > 100000000LL)
            return -1;
        yuan = yuan * 10 + (*p - '0');
        group++;
    }
    if (grouped && group != 3)
        return -1;
    if (*p == '.') {
        p++;
        int digits = 0;
        for (; *p >= '0' && *p <= '9' && digits < 2; p++, digits++)
            cents = cents * 10 + (*p - '0');
        if (digits == 0)
            return -1;
        if (digits == 1)
            cents *= 10;
    }
    if (*p)
        return -1;
    *fen = yuan * 100 + cents;
    return 0;
}

int compose_set(const struct kind_spec *k, cJSON *fields, const char *flag,
                const char *value, char err[COMPOSE_ERR_MAX])
{
    const struct field_spec *f = k->fields;
    while (f->flag && strcmp(f->flag, flag) != 0)
        f++;
    if (!f->flag) {
        snprintf(err, COMPOSE_ERR_MAX, "--%s is not a field of a %s report", flag, k->kind);
        return -1;
    }
    if (cJSON_GetObjectItemCaseSensitive(fields, f->json)) {
        snprintf(err, COMPOSE_ERR_MAX, "--%s is given twice (or with another flag for %s)",
                 flag, f->json);
        return -1;
    }
    switch (f->type) {
    case F_INT: {
        char *end;
        errno = 0;
        long long v = strtoll(value, &end, 10);
        if (errno || end == value || *end) {
            snprintf(err, COMPOSE_ERR_MAX, "--%s must be a whole number, not '%.40s'", flag,
                     value);
            return -1;
        }
        cJSON_AddNumberToObject(fields, f->json, (double)v);
        return 0;
    }
    case F_CNY: {
        long long fen;
        if (compose_parse_cny(value, &fen)) {
            snprintf(err, COMPOSE_ERR_MAX, "--%s must be an amount in CNY like 125.50, not "
                     "'%.40s'", flag, value);
            return -1;
        }
        cJSON_AddNumberToObject(fields, f->json, (double)fen);
        return 0;
    }
    case F_ENUM: {
        /* 内科, Internal or internal: the table of names says which code. */
        const struct names_table *t = names_for_codes(f->values);
        const char *code = t ? names_resolve(t, value) : NULL;
        if (!t && enum_index(f->values, value) >= 0)
            code = value;
        if (!code) {
            char list[COMPOSE_ERR_MAX - 160];
            if (t)
                names_list(t, list, sizeof list);
            else
                enum_join(f->values, list, sizeof list);
            snprintf(err, COMPOSE_ERR_MAX, "--%s: '%.40s' is not a %s (%s); use one of: %s",
                     flag, value, t ? t->en_field : flag, t ? t->zh_field : "", list);
            return -1;
        }
        cJSON_AddStringToObject(fields, f->json, code);
        return 0;
    }
    case F_STR:
        cJSON_AddStringToObject(fields, f->json, value);
        return 0;
    }
    return -1;
}

int compose_check_required(const struct kind_spec *k, const cJSON *fields,
                           char err[COMPOSE_ERR_MAX])
{
    for (const struct field_spec *f = k->fields; f->flag; f++) {
        if (f->required && !cJSON_GetObjectItemCaseSensitive(fields, f->json)) {
            snprintf(err, COMPOSE_ERR_MAX, "--%s is required for a %s report", f->flag, k->kind);
            return -1;
        }
    }
    /* Defaults the contract needs but a person should not have to type. */
    if (strcmp(k->kind, "education") == 0) {
        const char *names[] = {"brochures", "attendees", "talks"};
        for (int i = 0; i < 3; i++)
            if (!cJSON_GetObjectItemCaseSensitive(fields, names[i]))
                cJSON_AddNumberToObject((cJSON *)fields, names[i], 0);
    }
    if (strcmp(k->kind, "dispense") == 0 && !cJSON_GetObjectItemCaseSensitive(fields, "value_fen")) {
        snprintf(err, COMPOSE_ERR_MAX, "--value (CNY) or --value-fen is required for a "
                 "dispense report");
        return -1;
    }
    return 0;
}

void compose_help(const struct kind_spec *k, FILE *f)
{
    fprintf(f, "usage: outreach-agent report %s [--trip T] FIELDS [OPTIONS]\n\n", k->kind);
    fprintf(f, "Records %s, saves it in the outbox, then sends it.\n\nfields:\n", k->summary);
    for (const struct field_spec *s = k->fields; s->flag; s++) {
        char left[64];
        snprintf(left, sizeof left, "--%s %s", s->flag,
                 s->type == F_INT ? "N" : s->type == F_CNY ? "CNY" : s->type == F_ENUM ? "X" : "TEXT");
        fprintf(f, "  %-24s %s%s\n", left, s->help, s->required ? " (required)" : "");
        if (s->type == F_ENUM) {
            const struct names_table *t = names_for_codes(s->values);
            fprintf(f, "  %-24s one of (code, 中文 or English):\n", "");
            for (int i = 0; s->values[i]; i++)
                fprintf(f, "  %-26s %-14s %s / %s\n", "", s->values[i],
                        names_zh(t, s->values[i]), names_en(t, s->values[i]));
        }
    }
    fprintf(f, "\nexample:\n  outreach-agent %s\n", k->example);
}

/* Appends to buf[n] at *used; stops (whole pieces only) when full. */
static void add(char *buf, size_t n, size_t *used, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void add(char *buf, size_t n, size_t *used, const char *fmt, ...)
{
    va_list ap;
    if (*used >= n)
        return;
    va_start(ap, fmt);
    int w = vsnprintf(buf + *used, n - *used, fmt, ap);
    va_end(ap);
    if (w < 0 || (size_t)w >= n - *used)
        buf[*used] = '\0', *used = n; /* full: keep what fitted whole */
    else
        *used += (size_t)w;
}

static long long num(const cJSON *o, const char *name, long long dflt)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, name);
    /* In range before the cast: an outbox edited by hand must not crash status. */
    return cJSON_IsNumber(it) && it->valuedouble > -1e15 && it->valuedouble < 1e15
               ? (long long)it->valuedouble : dflt;
}

static const char *str(const cJSON *o, const char *name)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(it) ? it->valuestring : NULL;
}

/* "内科 internal" for a code of table t. */
static void add_code(char *buf, size_t n, size_t *used, const struct names_table *t,
                     const char *code)
{
    if (code)
        add(buf, n, used, " %s %s", names_zh(t, code), code);
}

const char *compose_describe(const char *kind, const char *payload, long long void_target_seq,
                             char *buf, size_t n)
{
    size_t used = 0;
    struct jerr err;
    cJSON *o = payload ? json_parse_bounded(payload, strlen(payload), 8, &err) : NULL;
    if (n)
        buf[0] = '\0';
    add(buf, n, &used, "%s", kind);
    if (!o) {
        add(buf, n, &used, " (contents unreadable)");
        return buf;
    }
    if (strcmp(kind, "headcount") == 0) {
        add_code(buf, n, &used, &names_department, str(o, "department"));
        long long c = num(o, "consultations", 0);
        add(buf, n, &used, " %lld %s", c, cli_plural(c, "consultation", "consultations"));
        static const char *const parts[][2] = {{"female", "female"}, {"over_60", "over 60"},
                                               {"poor_households", "poor households"}};
        int shown = 0;
        for (int i = 0; i < 3; i++) {
            long long v = num(o, parts[i][0], -1);
            if (v >= 0)
                add(buf, n, &used, "%s%s %lld", shown++ ? ", " : " (", parts[i][1], v);
        }
        if (shown)
            add(buf, n, &used, ")");
    } else if (strcmp(kind, "dispense") == 0) {
        long long fen = num(o, "value_fen", 0);
        const char *med = str(o, "medicine"), *unit = str(o, "unit");
        add(buf, n, &used, " %s %lld %s, ¥%lld.%02lld", med ? med : "?", num(o, "quantity", 0),
            unit ? unit : "", fen / 100, fen % 100);
    } else if (strcmp(kind, "referral") == 0) {
        add(buf, n, &used, " %s →", str(o, "condition") ? str(o, "condition") : "?");
        add_code(buf, n, &used, &names_destination, str(o, "destination"));
        add(buf, n, &used, ",");
        add_code(buf, n, &used, &names_urgency, str(o, "urgency"));
        add(buf, n, &used, ", patient %s", str(o, "patient_ref") ? str(o, "patient_ref") : "?");
        if (num(o, "age", -1) >= 0)
            add(buf, n, &used, ", age %lld", num(o, "age", -1));
        if (str(o, "sex"))
            add(buf, n, &used, ", %s", str(o, "sex"));
    } else if (strcmp(kind, "education") == 0) {
        long long talks = num(o, "talks", 0), bro = num(o, "brochures", 0),
                  att = num(o, "attendees", 0);
        add(buf, n, &used, " %lld %s, %lld %s, %lld %s", bro,
            cli_plural(bro, "brochure", "brochures"), talks, cli_plural(talks, "talk", "talks"),
            att, cli_plural(att, "attendee", "attendees"));
        if (str(o, "topic"))
            add(buf, n, &used, ", topic %s", str(o, "topic"));
    } else if (strcmp(kind, "checkin") == 0) {
        add(buf, n, &used, " %s", str(o, "staff_id") ? str(o, "staff_id") : "?");
        add_code(buf, n, &used, &names_role, str(o, "role"));
        if (str(o, "organization"))
            add(buf, n, &used, ", %s", str(o, "organization"));
    } else if (strcmp(kind, "void") == 0) {
        if (void_target_seq > 0)
            add(buf, n, &used, " of #%lld", void_target_seq);
        else
            add(buf, n, &used, " of %s", str(o, "voids") ? str(o, "voids") : "?");
        if (str(o, "reason"))
            add(buf, n, &used, ": %s", str(o, "reason"));
    }
    cJSON_Delete(o);
    return buf;
}
