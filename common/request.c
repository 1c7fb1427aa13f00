/* request.c -- admin (trip.*) and volunteer (profile, registration) requests. */
#include "request.h"

#include <stdio.h>
#include <string.h>

#include "ids.h"
#include "jsonget.h"
#include "timeutil.h"

const char *const mode_names[] = {"upper_help", "lower_invite", "red_cross", NULL};
const char *const activity_names[] = {"clinic", "health", "tech", "mentor", NULL};

static const char *const admin_ops[] = {"trip.upsert", "trip.cancel", "trip.complete",
                                        "targets.set", "villages.put", "targets.unset",
                                        NULL};
static const char *const volunteer_ops[] = {"profile.set", "trip.register", "trip.cancel",
                                            "registrations.list", NULL};

/* Reads an array of unique names from a list into a bit set. */
static int get_set(const cJSON *o, const char *name, const char *const *values,
                   int min_items, unsigned *out, struct jerr *err)
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!arr) {
        jerr_set(err, "field '%s' is required", name);
        return -1;
    }
    if (!cJSON_IsArray(arr)) {
        jerr_set(err, "field '%s' must be a list", name);
        return -1;
    }
    unsigned set = 0;
    int n = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, arr) {
        int i = cJSON_IsString(it) ? enum_index(values, it->valuestring) : -1;
        if (i < 0) {
            char list[200];
            jerr_set(err, "field '%s' may only hold: %s", name,
                     enum_join(values, list, sizeof list));
            return -1;
        }
        if (set & (1u << i)) {
            jerr_set(err, "field '%s' lists '%s' twice", name, values[i]);
            return -1;
        }
        set |= 1u << i;
        n++;
    }
    if (n < min_items) {
        jerr_set(err, "field '%s' must list at least %d item%s", name, min_items,
                 min_items == 1 ? "" : "s");
        return -1;
    }
    *out = set;
    return 0;
}

static int decode_site(const cJSON *o, struct trip_def *t, struct jerr *err)
{
    const cJSON *site = cJSON_GetObjectItemCaseSensitive(o, "site");
    if (!site) {
        jerr_set(err, "field 'site' is required");
        return -1;
    }
    if (!cJSON_IsObject(site)) {
        jerr_set(err, "field 'site' must be an object");
        return -1;
    }
    struct jerr e2;
    if (jget_id(site, "code", false, JID_CODE, &t->site_code, &e2) ||
        jget_text(site, "name", false, 1, 128, &t->site_name, &e2) ||
        jget_id(site, "county", false, JID_CODE, &t->county, &e2) ||
        jget_text(site, "county_name", false, 1, 64, &t->county_name, &e2) ||
        jget_text(site, "township", true, 1, 64, &t->township, &e2) == JGET_BAD ||
        jget_id(site, "village", true, JID_CODE, &t->village, &e2) == JGET_BAD) {
        jerr_set(err, "site: %s", e2.msg);
        return -1;
    }
    int pv = jget_bool(site, "poor_village", true, &t->poor_village, &e2);
    if (pv == JGET_BAD) {
        jerr_set(err, "site: %s", e2.msg);
        return -1;
    }
    t->poor_village_given = pv == JGET_OK;
    return 0;
}

static int decode_capacity(const cJSON *o, struct trip_def *t, struct jerr *err)
{
    const cJSON *cap = cJSON_GetObjectItemCaseSensitive(o, "capacity");
    if (!cap) {
        jerr_set(err, "field 'capacity' is required (places per role, e.g. {\"doctor\":4})");
        return -1;
    }
    if (!cJSON_IsObject(cap)) {
        jerr_set(err, "field 'capacity' must be an object of places per role");
        return -1;
    }
    const cJSON *it;
    cJSON_ArrayForEach(it, cap) {
        int role = enum_index(role_names, it->string);
        if (role < 0) {
            jerr_set(err, "capacity: unknown role '%.64s' (doctor, nurse, pharmacist, "
                          "technician, health_promoter, support)", it->string);
            return -1;
        }
        long long v;
        struct jerr e2;
        if (jget_int(cap, it->string, false, 0, CAPACITY_MAX, &v, &e2)) {
            jerr_set(err, "capacity: %s", e2.msg);
            return -1;
        }
        t->capacity[role] = (int)v;
    }
    return 0;
}

static int decode_trip(const cJSON *o, struct trip_def *t, struct jerr *err)
{
    if (jget_id(o, "trip_id", false, JID_CODE, &t->trip_id, err) ||
        jget_text(o, "title", false, 1, 128, &t->title, err) ||
        jget_date(o, "date", false, &t->date, err) ||
        jget_date(o, "end_date", true, &t->end_date, err) == JGET_BAD ||
        decode_site(o, t, err) ||
        jget_enum(o, "mode", false, mode_names, &t->mode, err) ||
        get_set(o, "activities", activity_names, 1, &t->activities, err) ||
        get_set(o, "departments", department_names, 0, &t->departments, err) ||
        decode_capacity(o, t, err))
        return -1;
    if (t->end_date && strcmp(t->end_date, t->date) < 0) {
        jerr_set(err, "field 'end_date' (%s) is before 'date' (%s)", t->end_date, t->date);
        return -1;
    }
    return 0;
}

/* ---- reach: targets.set and villages.put ---- */

static int decode_targets(const cJSON *o, bool unset, struct target_def *t, struct jerr *err)
{
    long long year;
    if (jget_int(o, "year", false, 2000, 2100, &year, err) ||
        jget_id(o, "county", false, JID_CODE, &t->county, err) ||
        jget_text(o, "township", true, 1, 64, &t->township, err) == JGET_BAD ||
        (!unset && (jget_int(o, "consultations", false, 0, 1000000000, &t->consultations, err) ||
                    jget_int(o, "staff", false, 0, 1000000000, &t->staff, err))))
        return -1;
    t->year = (int)year;
    return 0;
}

static int decode_villages(const cJSON *o, struct request *r, struct jerr *err)
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(o, "villages");
    int n = cJSON_IsArray(arr) ? cJSON_GetArraySize(arr) : -1;
    if (n < 1 || n > VILLAGES_PER_REQUEST) {
        jerr_set(err, "field 'villages' must be a list of 1 to %d villages",
                 VILLAGES_PER_REQUEST);
        return -1;
    }
    const cJSON *it;
    cJSON_ArrayForEach(it, arr) {
        struct village_def *v = &r->villages[r->nvillages];
        struct jerr e2;
        if (!cJSON_IsObject(it)) {
            jerr_set(err, "villages[%d] must be an object", r->nvillages);
            return -1;
        }
        if (jget_id(it, "code", false, JID_CODE, &v->code, &e2) ||
            jget_text(it, "name", false, 1, 128, &v->name, &e2) ||
            jget_text(it, "township", false, 1, 64, &v->township, &e2) ||
            jget_id(it, "county", false, JID_CODE, &v->county, &e2) ||
            jget_text(it, "county_name", false, 1, 64, &v->county_name, &e2) ||
            jget_bool(it, "poor", false, &v->poor, &e2)) {
            jerr_set(err, "villages[%d]: %s", r->nvillages, e2.msg);
            return -1;
        }
        for (int i = 0; i < r->nvillages; i++)
            if (strcmp(r->villages[i].code, v->code) == 0) {
                jerr_set(err, "villages[%d]: code '%s' is also villages[%d]'s", r->nvillages,
                         v->code, i);
                return -1;
            }
        r->nvillages++;
    }
    return 0;
}

static int decode_profile(const cJSON *o, struct request *r, struct jerr *err)
{
    if (jget_text(o, "name", false, 1, 64, &r->name, err) ||
        jget_str(o, "phone", false, 6, 33, &r->phone, err) ||
        jget_text(o, "organization", true, 1, 128, &r->organization, err) == JGET_BAD ||
        get_set(o, "roles", role_names, 1, &r->roles, err))
        return -1;
    /* ^\+?[0-9][0-9 -]{5,31}$ */
    const char *p = r->phone + (r->phone[0] == '+');
    bool ok = *p >= '0' && *p <= '9';
    size_t rest = 0;
    for (p++; ok && *p; p++, rest++)
        ok = (*p >= '0' && *p <= '9') || *p == ' ' || *p == '-';
    if (!ok || rest < 5 || rest > 31) {
        jerr_set(err, "field 'phone' must be a phone number: digits, spaces and '-', "
                      "optionally starting with '+'");
        return -1;
    }
    return 0;
}

const char *request_decode(enum req_scope scope, const char *payload, size_t len,
                           struct request *r, struct jerr *err)
{
    memset(r, 0, sizeof *r);
    r->trip.mode = r->role = -1;
    if (len > REQUEST_MAX_BYTES) {
        jerr_set(err, "request is %zu bytes, the limit is %d", len, REQUEST_MAX_BYTES);
        return "too_large";
    }
    r->root = json_parse_bounded(payload, len, REQUEST_MAX_DEPTH, err);
    if (!r->root)
        return "malformed";
    if (jget_str(r->root, "request_id", false, 1, 64, &r->request_id, err))
        return "schema";
    const char *const *ops = scope == REQ_ADMIN ? admin_ops : volunteer_ops;
    int op;
    if (jget_enum(r->root, "op", false, ops, &op, err))
        return "schema";
    const cJSON *o = r->root;
    int bad = 0;
    if (scope == REQ_ADMIN) {
        static const enum req_op admin_op[] = {OP_TRIP_UPSERT, OP_TRIP_CANCEL, OP_TRIP_COMPLETE,
                                               OP_TARGETS_SET, OP_VILLAGES_PUT,
                                               OP_TARGETS_UNSET};
        r->op = admin_op[op];
        if (r->op == OP_TRIP_UPSERT)
            bad = decode_trip(o, &r->trip, err);
        else if (r->op == OP_TARGETS_SET || r->op == OP_TARGETS_UNSET)
            bad = decode_targets(o, r->op == OP_TARGETS_UNSET, &r->target, err);
        else if (r->op == OP_VILLAGES_PUT)
            bad = decode_villages(o, r, err);
        else
            bad = jget_id(o, "trip_id", false, JID_CODE, &r->trip_id, err) ||
                  jget_text(o, "reason", true, 1, 256, &r->reason, err) == JGET_BAD;
        if (r->op == OP_TRIP_UPSERT)
            r->trip_id = r->trip.trip_id;
    } else {
        r->op = (enum req_op)(OP_PROFILE_SET + op);
        switch (r->op) {
        case OP_PROFILE_SET:
            bad = decode_profile(o, r, err);
            break;
        case OP_TRIP_REGISTER:
            bad = jget_id(o, "trip_id", false, JID_CODE, &r->trip_id, err) ||
                  jget_enum(o, "role", false, role_names, &r->role, err);
            break;
        case OP_REG_CANCEL:
            bad = jget_id(o, "trip_id", false, JID_CODE, &r->trip_id, err);
            break;
        default:
            break;
        }
    }
    return bad ? "schema" : RQ_OK;
}

void request_free(struct request *r)
{
    if (!r)
        return;
    cJSON_Delete(r->root);
    r->root = NULL;
}

char *reply_error(const char *request_id, const char *code, const char *reason)
{
    cJSON *o = cJSON_CreateObject();
    if (request_id)
        cJSON_AddStringToObject(o, "request_id", request_id);
    else
        cJSON_AddNullToObject(o, "request_id");
    cJSON_AddBoolToObject(o, "ok", 0);
    cJSON_AddStringToObject(o, "code", code);
    cJSON_AddStringToObject(o, "reason", reason);
    /* cJSON allocates with malloc by default, so its strings are free()d. */
    return json_print_free(o);
}
