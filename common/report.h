/* report.h -- decode and validate field reports of the wire contract. */
#ifndef OUTREACH_REPORT_H
#define OUTREACH_REPORT_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "jsonget.h"

#define REPORT_MAX_BYTES 16384 /* the contract's payload limit */
#define REPORT_MAX_DEPTH 16    /* no report needs more nesting */
#define SEQ_MAX 9007199254740991LL

enum report_kind { RK_HEADCOUNT, RK_DISPENSE, RK_REFERRAL, RK_EDUCATION, RK_CHECKIN, RK_VOID, RK_COUNT };

/* Why a message was refused: the `code` of a rejected ack. */
enum reject_code {
    RJ_NONE, RJ_MALFORMED, RJ_SCHEMA, RJ_AGENT_MISMATCH, RJ_UNKNOWN_TRIP,
    RJ_TRIP_CANCELLED, RJ_VOID_TARGET, RJ_TOO_LARGE
};

/* NULL-terminated name lists of the contract's enums, in enum order. */
extern const char *const report_kind_names[];
extern const char *const reject_code_names[]; /* in enum reject_code order */
extern const char *const department_names[];
extern const char *const role_names[];
extern const char *const destination_names[];
extern const char *const urgency_names[];

enum role { ROLE_DOCTOR, ROLE_NURSE, ROLE_PHARMACIST, ROLE_TECHNICIAN, ROLE_HEALTH_PROMOTER, ROLE_SUPPORT, ROLE_COUNT };
enum destination { DEST_TOWNSHIP, DEST_COUNTY, DEST_CITY, DEST_COUNT };

const char *reject_code_str(enum reject_code c);

/* A decoded report. Strings point into root, which the report owns.
 * Optional integers that were absent are -1. */
struct report {
    cJSON *root;
    enum report_kind kind;
    const char *msg_id, *agent_id, *trip_id, *recorded_at;
    const char *entered_by; /* optional staff id of whoever entered it; NULL if absent */
    long long seq;
    /* headcount */
    int department;
    long long consultations, female, over_60, poor_households;
    /* dispense */
    const char *medicine, *unit;
    long long quantity, value_fen;
    /* referral */
    int destination, urgency;
    const char *condition, *patient_ref, *sex;
    long long age;
    /* education */
    long long brochures, attendees, talks;
    const char *topic;
    /* checkin */
    const char *staff_id, *organization;
    int role;
    /* void */
    const char *voids, *void_reason;
};

/* Decodes a payload of len bytes that arrived on the reports topic of agent
 * topic_agent with kind kind_name. Returns RJ_NONE when the report is valid
 * by itself (the store checks trips and void targets), else the code with a
 * reason for a person in err. out->msg_id is set whenever it was readable,
 * even on rejection. Always call report_free(out) afterwards. */
enum reject_code report_decode(const char *topic_agent, const char *kind_name,
                               const char *payload, size_t len, struct report *out,
                               struct jerr *err);
void report_free(struct report *r);

/* True when s looks like a Chinese mobile number or a name rather than an
 * opaque reference (whitespace or CJK ideographs). */
bool report_ref_looks_personal(const char *s);

#endif
