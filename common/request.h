/* request.h -- decode and validate admin and volunteer requests of the contract. */
#ifndef OUTREACH_REQUEST_H
#define OUTREACH_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "jsonget.h"
#include "report.h"

#define REQUEST_MAX_BYTES 16384
#define REQUEST_MAX_DEPTH 16
#define CAPACITY_MAX 1000

enum req_scope { REQ_ADMIN, REQ_VOLUNTEER };

enum req_op {
    OP_TRIP_UPSERT, OP_TRIP_CANCEL, OP_TRIP_COMPLETE,          /* admin */
    OP_PROFILE_SET, OP_TRIP_REGISTER, OP_REG_CANCEL, OP_REG_LIST, /* volunteer */
    OP_TARGETS_SET, OP_VILLAGES_PUT, OP_TARGETS_UNSET /* admin (reach) */
};

extern const char *const mode_names[];
extern const char *const activity_names[];

/* A trip as trip.upsert defines it. Strings point into the request's root. */
struct trip_def {
    const char *trip_id, *title, *date, *end_date; /* end_date may be NULL */
    const char *site_code, *site_name, *county, *county_name, *township;
    const char *village; /* a code of the villages register, or NULL */
    bool poor_village;
    bool poor_village_given; /* the request said poor_village (true or false) */
    int mode;
    unsigned activities;  /* bit i: activity_names[i] */
    unsigned departments; /* bit i: department_names[i] */
    int capacity[ROLE_COUNT]; /* 0 when not given */
};

/* targets.set: a county's (township NULL) or a township's targets for a year;
 * targets.unset: the same without the figures. */
struct target_def {
    int year;
    const char *county, *township;
    long long consultations, staff;
};
/* villages.put: one village of the register. */
#define VILLAGES_PER_REQUEST 100
struct village_def {
    const char *code, *name, *township, *county, *county_name;
    bool poor;
};

struct request {
    cJSON *root;
    const char *request_id; /* set whenever readable, even on refusal */
    enum req_op op;
    struct trip_def trip;           /* trip.upsert */
    const char *trip_id, *reason;   /* trip.cancel, trip.complete, trip.register */
    const char *name, *phone, *organization; /* profile.set */
    unsigned roles;                 /* profile.set: bit i: role_names[i] */
    int role;                       /* trip.register */
    struct target_def target;       /* targets.set */
    struct village_def villages[VILLAGES_PER_REQUEST]; /* villages.put */
    int nvillages;
};

/* Reply codes for a request that cannot be decoded. */
#define RQ_OK NULL

/* Decodes a request of the given scope. Returns NULL when valid, else the
 * reply code ("too_large", "malformed", "schema") with the reason in err.
 * Always call request_free afterwards. */
const char *request_decode(enum req_scope scope, const char *payload, size_t len,
                           struct request *out, struct jerr *err);
void request_free(struct request *r);

/* The refusal of a request, {"request_id":…,"ok":false,"code":…,"reason":…}
 * (request_id may be NULL), as text the caller frees with free(). */
char *reply_error(const char *request_id, const char *code, const char *reason);

#endif
