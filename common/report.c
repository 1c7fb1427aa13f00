/* report.c -- field reports: one decoder per kind, every field rule of the contract. */
#include "report.h"

#include <string.h>

#include "ids.h"

const char *const report_kind_names[] = {"headcount", "dispense", "referral",
                                          "education", "checkin", "void", NULL};
const char *const department_names[] = {"internal", "surgery", "obgyn", "pediatrics",
                                        "ophthalmology", "tcm", "dental", "general",
                                        "other", NULL};
const char *const role_names[] = {"doctor", "nurse", "pharmacist", "technician",
                                  "health_promoter", "support", NULL};
const char *const destination_names[] = {"township_health_center", "county_hospital",
                                         "city_hospital", NULL};
const char *const urgency_names[] = {"routine", "urgent", "emergency", NULL};
static const char *const sex_names[] = {"F", "M", NULL};

const char *const reject_code_names[] = {"none", "malformed", "schema", "agent_mismatch",
                                         "unknown_trip", "trip_cancelled", "void_target",
                                         "too_large", NULL};

const char *reject_code_str(enum reject_code c)
{
    return (unsigned)c <= RJ_TOO_LARGE ? reject_code_names[c] : "schema";
}

/* Decodes one code point of valid UTF-8 at *p and advances *p. */
static unsigned next_cp(const unsigned char **p)
{
    const unsigned char *s = *p;
    unsigned cp;
    int n;
    if (s[0] < 0x80) {
        cp = s[0];
        n = 1;
    } else if ((s[0] & 0xe0) == 0xc0) {
        cp = s[0] & 0x1fu;
        n = 2;
    } else if ((s[0] & 0xf0) == 0xe0) {
        cp = s[0] & 0x0fu;
        n = 3;
    } else {
        cp = s[0] & 0x07u;
        n = 4;
    }
    int i = 1;
    for (; i < n && s[i]; i++)
        cp = (cp << 6) | (s[i] & 0x3fu);
    *p = s + i; /* a cut-off sequence stops at the NUL, never past it */
    return cp;
}

/* White space as JSON Schema's \s (Unicode's White_Space) sees it. */
static bool is_space_cp(unsigned c)
{
    return (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20) || c == 0x85 ||
           c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 ||
           c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000;
}

bool report_ref_looks_personal(const char *s)
{
    /* A name has spaces or Chinese characters (CJK ideographs). */
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        unsigned c = next_cp(&p);
        if (is_space_cp(c) || (c >= 0x3400 && c <= 0x9fff) || (c >= 0xf900 && c <= 0xfaff))
            return true;
    }
    /* A mainland mobile number, however written: separators "-. ()" are
     * dropped, then (+|00)?(86)?1[3-9] and nine more digits. */
    char digits[80];
    size_t n = 0;
    for (const char *p = s; *p && n + 1 < sizeof digits; p++)
        if (!strchr("-. ()", *p))
            digits[n++] = *p;
    digits[n] = '\0';
    const char *q = digits;
    if (*q == '+')
        q++;
    else if (strncmp(q, "00", 2) == 0)
        q += 2;
    if (strncmp(q, "86", 2) == 0 && strlen(q) == 13)
        q += 2;
    if (strlen(q) != 11 || q[0] != '1' || q[1] < '3' || q[1] > '9')
        return false;
    for (int i = 2; i < 11; i++)
        if (q[i] < '0' || q[i] > '9')
            return false;
    return true;
}

static int decode_headcount(const cJSON *o, struct report *r, struct jerr *err)
{
    if (jget_enum(o, "department", false, department_names, &r->department, err) ||
        jget_int(o, "consultations", false, 1, 5000, &r->consultations, err))
        return -1;
    /* Each optional breakdown counts people among those consultations. */
    const char *names[] = {"female", "over_60", "poor_households"};
    long long *slots[] = {&r->female, &r->over_60, &r->poor_households};
    for (int i = 0; i < 3; i++)
        if (jget_int(o, names[i], true, 0, r->consultations, slots[i], err) == JGET_BAD)
            return -1;
    return 0;
}

static int decode_dispense(const cJSON *o, struct report *r, struct jerr *err)
{
    if (jget_str(o, "medicine", false, 1, 128, &r->medicine, err) ||
        jget_int(o, "quantity", false, 1, 100000, &r->quantity, err) ||
        jget_str(o, "unit", false, 1, 32, &r->unit, err) ||
        jget_int(o, "value_fen", false, 0, 100000000, &r->value_fen, err))
        return -1;
    return 0;
}

static int decode_referral(const cJSON *o, struct report *r, struct jerr *err)
{
    int sex = -1;
    if (jget_enum(o, "destination", false, destination_names, &r->destination, err) ||
        jget_str(o, "condition", false, 1, 64, &r->condition, err) ||
        jget_enum(o, "urgency", false, urgency_names, &r->urgency, err) ||
        jget_str(o, "patient_ref", false, 1, 64, &r->patient_ref, err) ||
        jget_int(o, "age", true, 0, 130, &r->age, err) == JGET_BAD ||
        jget_enum(o, "sex", true, sex_names, &sex, err) == JGET_BAD)
        return -1;
    if (report_ref_looks_personal(r->patient_ref)) {
        jerr_set(err, "field 'patient_ref' must be an opaque reference, not a name or "
                      "phone number (no spaces, no Chinese characters, no mobile number)");
        return -1;
    }
    r->sex = sex >= 0 ? sex_names[sex] : NULL;
    return 0;
}

static int decode_education(const cJSON *o, struct report *r, struct jerr *err)
{
    if (jget_int(o, "brochures", false, 0, 100000, &r->brochures, err) ||
        jget_int(o, "attendees", false, 0, 100000, &r->attendees, err) ||
        jget_int(o, "talks", false, 0, 100000, &r->talks, err) ||
        jget_text(o, "topic", true, 1, 256, &r->topic, err) == JGET_BAD)
        return -1;
    if (r->brochures + r->attendees + r->talks == 0) {
        jerr_set(err, "at least one of 'brochures', 'attendees', 'talks' must be above 0");
        return -1;
    }
    return 0;
}

static int decode_checkin(const cJSON *o, struct report *r, struct jerr *err)
{
    if (jget_id(o, "staff_id", false, JID_CODE, &r->staff_id, err) ||
        jget_enum(o, "role", false, role_names, &r->role, err) ||
        jget_text(o, "organization", true, 1, 128, &r->organization, err) == JGET_BAD)
        return -1;
    return 0;
}

static int decode_void(const cJSON *o, struct report *r, struct jerr *err)
{
    if (jget_id(o, "voids", false, JID_UUID, &r->voids, err) ||
        jget_str(o, "reason", false, 1, 256, &r->void_reason, err))
        return -1;
    if (strcmp(r->voids, r->msg_id) == 0) {
        jerr_set(err, "field 'voids' names this report itself");
        return -1;
    }
    return 0;
}

typedef int (*decode_fn)(const cJSON *, struct report *, struct jerr *);
static const decode_fn decoders[RK_COUNT] = {
    decode_headcount, decode_dispense, decode_referral,
    decode_education, decode_checkin, decode_void,
};

enum reject_code report_decode(const char *topic_agent, const char *kind_name,
                               const char *payload, size_t len, struct report *r,
                               struct jerr *err)
{
    memset(r, 0, sizeof *r);
    r->female = r->over_60 = r->poor_households = r->age = -1;
    r->department = r->destination = r->urgency = r->role = -1;

    if (len > REPORT_MAX_BYTES) {
        jerr_set(err, "payload is %zu bytes, the limit is %d", len, REPORT_MAX_BYTES);
        return RJ_TOO_LARGE;
    }
    r->root = json_parse_bounded(payload, len, REPORT_MAX_DEPTH, err);
    if (!r->root)
        return RJ_MALFORMED;
    /* Read msg_id first so that even a report refused below gets its ack. */
    const char *msg_id = NULL;
    if (jget_id(r->root, "msg_id", false, JID_UUID, &msg_id, err))
        return RJ_SCHEMA;
    r->msg_id = msg_id;

    int kind = enum_index(report_kind_names, kind_name);
    if (kind < 0) {
        jerr_set(err, "unknown report kind '%.64s' in the topic (expected headcount, "
                      "dispense, referral, education, checkin or void)", kind_name);
        return RJ_SCHEMA;
    }
    r->kind = (enum report_kind)kind;
    if (jget_id(r->root, "agent_id", false, JID_AGENT, &r->agent_id, err) ||
        jget_int(r->root, "seq", false, 1, SEQ_MAX, &r->seq, err) ||
        jget_id(r->root, "trip_id", false, JID_CODE, &r->trip_id, err) ||
        jget_ts(r->root, "recorded_at", false, &r->recorded_at, err) ||
        jget_id(r->root, "entered_by", true, JID_CODE, &r->entered_by, err) == JGET_BAD ||
        decoders[kind](r->root, r, err))
        return RJ_SCHEMA;
    if (topic_agent && strcmp(topic_agent, r->agent_id) != 0) {
        jerr_set(err, "agent_id '%s' differs from the topic's agent '%.64s'",
                 r->agent_id, topic_agent);
        return RJ_AGENT_MISMATCH;
    }
    return RJ_NONE;
}

void report_free(struct report *r)
{
    if (!r)
        return;
    cJSON_Delete(r->root);
    r->root = NULL;
}
