/* siteapp.c -- the site app's HTTP side: static page, sign-in, JSON API. */
#include "siteapp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <microhttpd.h>
#include <qrencode.h>

#include "compose.h"
#include "ids.h"
#include "olog.h"
#include "outbox.h"
#include "report.h"
#include "siteapp_assets.h"
#include "siteapp_auth.h"
#include "siteapp_forms.h"
#include "siteapp_taps.h"
#include "timeutil.h"

#define COOKIE_NAME "oa_site"
#define MAX_SESSIONS 256
#define RECENT_MAX 20
#define REFUSED_MAX 10
#define SITE_PASSCODE_MIN 6 /* characters of a configured passcode, at the least */

struct siteapp {
    struct MHD_Daemon *mhd;
    pthread_mutex_t mu; /* the outbox connection and the sessions */
    pthread_cond_t cv;
    pthread_t folder;
    bool folder_started, stop;
    struct outbox *ob;
    struct sa_auth *auth;
    char *agent_id, *trip;
    char *formulary; /* the medicine names file the forms suggest from, or NULL */
    int fold_s, session_s;
};

struct req {
    char *body;
    size_t len;
    bool too_big;
};

static const char csp[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self';"
    " connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

static double now_s(void) { return tu_mono_ms() / 1000.0; }

static void now_ts(char buf[TU_TS_MAX]) { tu_format_ts(time(NULL), TU_SITE_OFFSET_MIN, buf); }

/* JSON that is safe to read anywhere: '<', '>' and '&' as \u escapes (they
 * occur only inside strings, so this keeps the JSON the same). */
static char *json_print_safe(const cJSON *o)
{
    char *p = cJSON_PrintUnformatted(o);
    if (!p)
        return NULL;
    size_t extra = 0;
    for (const char *s = p; *s; s++)
        extra += (*s == '<' || *s == '>' || *s == '&') ? 5 : 0;
    char *out = malloc(strlen(p) + extra + 1), *d = out;
    if (out) {
        for (const char *s = p; *s; s++) {
            if (*s == '<' || *s == '>' || *s == '&')
                d += sprintf(d, "\\u%04x", (unsigned)*s);
            else
                *d++ = *s;
        }
        *d = '\0';
    }
    free(p);
    return out;
}

static enum MHD_Result send_reply(struct MHD_Connection *c, unsigned status, const char *type,
                                  const void *data, size_t len, bool api, const char *cookie,
                                  double retry_after)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)data, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "Content-Security-Policy", csp);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    MHD_add_response_header(r, "Cache-Control", api ? "no-store" : "no-cache");
    if (cookie)
        MHD_add_response_header(r, "Set-Cookie", cookie);
    if (retry_after > 0) {
        char ra[24];
        snprintf(ra, sizeof ra, "%d", (int)retry_after + (retry_after > (int)retry_after));
        MHD_add_response_header(r, "Retry-After", ra);
    }
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

/* Sends o (consumed) as JSON. */
static enum MHD_Result send_json(struct MHD_Connection *c, unsigned status, cJSON *o,
                                 const char *cookie, double retry_after)
{
    char *p = json_print_safe(o);
    cJSON_Delete(o);
    if (!p)
        return MHD_NO;
    enum MHD_Result ret = send_reply(c, status, "application/json; charset=utf-8", p,
                                     strlen(p), true, cookie, retry_after);
    free(p);
    return ret;
}

static enum MHD_Result send_error(struct MHD_Connection *c, unsigned status, const char *code,
                                  const char *msg)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "error", code);
    cJSON_AddStringToObject(o, "message", msg);
    return send_json(c, status, o, NULL, 0);
}

static void client_addr(struct MHD_Connection *c, char buf[SA_CLIENT_MAX + 1])
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    snprintf(buf, SA_CLIENT_MAX + 1, "?");
    if (!ci || !ci->client_addr)
        return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, buf,
                  SA_CLIENT_MAX + 1);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, buf,
                  SA_CLIENT_MAX + 1);
}

static bool json_flag(const cJSON *o, const char *name)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, name));
}

static const char *json_text(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* One API request after sign-in: what every handler of the route table gets. */
struct api {
    struct siteapp *app;
    struct MHD_Connection *c;
    const struct sa_session *s; /* the caller's session */
    const char *token;          /* its cookie */
    cJSON *body;                /* a POST's JSON object; NULL for GET */
};

static enum MHD_Result api_signin(struct siteapp *app, struct MHD_Connection *c, cJSON *body)
{
    char addr[SA_CLIENT_MAX + 1];
    client_addr(c, addr);
    struct sa_session s;
    double retry = 0;
    pthread_mutex_lock(&app->mu);
    enum sa_result r = sa_auth_signin(app->auth, addr, json_text(body, "passcode"),
                                      json_text(body, "staff_id"), now_s(), &s, &retry);
    pthread_mutex_unlock(&app->mu);
    cJSON *o = cJSON_CreateObject();
    switch (r) {
    case SA_OK: {
        char cookie[160];
        snprintf(cookie, sizeof cookie, COOKIE_NAME "=%s; Path=/; HttpOnly; SameSite=Strict; "
                 "Max-Age=%d", s.token, app->session_s);
        olog(OLOG_INFO, "site app: %s signed in from %s", s.staff_id, addr);
        cJSON_AddStringToObject(o, "staff_id", s.staff_id);
        cJSON_AddStringToObject(o, "csrf", s.csrf);
        return send_json(c, 200, o, cookie, 0);
    }
    case SA_WAIT:
        cJSON_AddStringToObject(o, "error", "wait");
        cJSON_AddStringToObject(o, "message", "too many wrong passcodes: wait, then try again");
        cJSON_AddNumberToObject(o, "retry_after", ceil(retry));
        return send_json(c, 429, o, NULL, retry);
    case SA_WRONG:
        /* The passcode itself is never logged. */
        olog(OLOG_WARN, "site app: wrong passcode from %s; next try in %.0f s", addr, retry);
        cJSON_AddStringToObject(o, "error", "passcode");
        cJSON_AddStringToObject(o, "message", "wrong passcode");
        cJSON_AddNumberToObject(o, "retry_after", ceil(retry));
        return send_json(c, 401, o, NULL, retry);
    case SA_BAD_STAFF:
        cJSON_Delete(o);
        return send_error(c, 400, "staff_id", "staff id: 1 to 64 of letters, digits, '.', "
                          "'_' and '-', starting with a letter or digit (e.g. nurse-li-03)");
    case SA_ERROR:
        break;
    }
    cJSON_Delete(o);
    return send_error(c, 500, "internal", "cannot make a session");
}

/* Today's trip, and whether entries may go to it: 0 with *t filled; else a
 * reply was queued into *ret (409 with the reason in words, or 500). The
 * caller holds app->mu. */
static int trip_for_entry(struct siteapp *app, struct MHD_Connection *c, struct site_trip *t,
                          enum MHD_Result *ret)
{
    char en[300], zh[300];
    if (site_trip_pick(app->ob, app->trip, t)) {
        *ret = send_error(c, 500, "db", "cannot read the trip cards: try again");
        return -1;
    }
    if (!site_trip_refusal(t, en, zh, sizeof en))
        return 0;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "error", "trip");
    cJSON_AddStringToObject(o, "message", en);
    cJSON_AddStringToObject(o, "message_zh", zh);
    *ret = send_json(c, 409, o, NULL, 0);
    return -1;
}

static enum MHD_Result api_tap(const struct api *a)
{
    struct siteapp *app = a->app;
    struct MHD_Connection *c = a->c;
    const struct sa_session *s = a->s;
    cJSON *body = a->body;
    const char *dep = json_text(body, "department");
    if (!dep || enum_index(department_names, dep) < 0)
        return send_error(c, 400, "department", "department must be one of internal, surgery, "
                          "obgyn, pediatrics, ophthalmology, tcm, dental, general, other");
    char ts[TU_TS_MAX];
    now_ts(ts);
    long long id = 0;
    struct site_trip trip;
    enum MHD_Result ret;
    pthread_mutex_lock(&app->mu);
    if (trip_for_entry(app, c, &trip, &ret)) {
        pthread_mutex_unlock(&app->mu);
        return ret;
    }
    if (!site_trip_offers(&trip, dep)) {
        pthread_mutex_unlock(&app->mu);
        char msg[200];
        snprintf(msg, sizeof msg, "trip %s does not offer department %s (see its trip card); "
                 "nothing was saved", trip.trip_id, dep);
        return send_error(c, 409, "department_not_offered", msg);
    }
    struct tap t = {.trip_id = trip.trip_id, .department = dep, .entered_by = s->staff_id,
                    .female = json_flag(body, "female"), .over_60 = json_flag(body, "over_60"),
                    .poor = json_flag(body, "poor")};
    oerr_t e = taps_add(app->ob, &t, ts, &id);
    pthread_mutex_unlock(&app->mu);
    if (e) {
        olog(OLOG_ERROR, "site app: cannot save a tap: %s", oerr_str(e));
        return send_error(c, 500, "db", "the tap was not saved: try again");
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "id", (double)id);
    cJSON_AddStringToObject(o, "department", dep);
    return send_json(c, 200, o, NULL, 0);
}

static enum MHD_Result api_undo(const struct api *a)
{
    struct siteapp *app = a->app;
    struct MHD_Connection *c = a->c;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(a->body, "id");
    if (!cJSON_IsNumber(v) || v->valuedouble < 1 || v->valuedouble > 9e15)
        return send_error(c, 400, "id", "id must be the number of a tap");
    int changed = 0;
    pthread_mutex_lock(&app->mu);
    oerr_t e = taps_undo(app->ob, (long long)v->valuedouble, &changed);
    pthread_mutex_unlock(&app->mu);
    if (e)
        return send_error(c, 500, "db", "cannot undo: try again");
    if (!changed)
        return send_error(c, 409, "not_open", "this tap is already sent or undone");
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "undone", true);
    return send_json(c, 200, o, NULL, 0);
}

/* Folds the open taps; the caller holds app->mu. */
static oerr_t fold_locked(struct siteapp *app, int *reports)
{
    char ts[TU_TS_MAX];
    now_ts(ts);
    oerr_t e = taps_fold(app->ob, app->agent_id, ts, reports);
    if (e)
        olog(OLOG_ERROR, "site app: cannot fold taps into headcounts: %s", oerr_str(e));
    else if (*reports)
        olog(OLOG_INFO, "site app: folded taps into %d headcount report(s)", *reports);
    return e;
}

static enum MHD_Result api_send(const struct api *a)
{
    struct siteapp *app = a->app;
    struct MHD_Connection *c = a->c;
    int n = 0;
    pthread_mutex_lock(&app->mu);
    oerr_t e = fold_locked(app, &n);
    pthread_mutex_unlock(&app->mu);
    if (e)
        return send_error(c, 500, "db", "cannot make the reports: try again");
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "reports", n);
    return send_json(c, 200, o, NULL, 0);
}

static enum MHD_Result api_today(const struct api *a)
{
    struct siteapp *app = a->app;
    struct MHD_Connection *c = a->c;
    const struct sa_session *s = a->s;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "agent_id", app->agent_id);
    cJSON_AddStringToObject(o, "staff_id", s->staff_id);
    char state[16] = "";
    struct site_trip trip;
    pthread_mutex_lock(&app->mu);
    oerr_t e = site_trip_pick(app->ob, app->trip, &trip) ? OERR_DB : OERR_OK;
    const char *tid = trip.source != SITE_TRIP_NONE ? trip.trip_id : NULL;
    if (!e) {
        if (tid)
            cJSON_AddStringToObject(o, "trip_id", tid);
        else
            cJSON_AddNullToObject(o, "trip_id");
        site_trip_json(&trip, o);
        e = taps_today(app->ob, tid, o);
    }
    if (!e)
        e = site_totals(app->ob, tid, o);
    if (!e)
        e = taps_refused(app->ob, REFUSED_MAX, cJSON_AddArrayToObject(o, "refused"));
    if (!e)
        outbox_meta_get(app->ob, "daemon", state, sizeof state);
    pthread_mutex_unlock(&app->mu);
    if (e) {
        cJSON_Delete(o);
        return send_error(c, 500, "db", "cannot read the outbox");
    }
    cJSON_AddBoolToObject(o, "online", strcmp(state, "online") == 0);
    return send_json(c, 200, o, NULL, 0);
}

/* The latest entries of the outbox with what they contained. */
static enum MHD_Result api_recent(const struct api *a)
{
    struct siteapp *app = a->app;
    struct MHD_Connection *c = a->c;
    cJSON *o = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(o, "entries");
    pthread_mutex_lock(&app->mu);
    oerr_t e = taps_recent(app->ob, RECENT_MAX, arr);
    pthread_mutex_unlock(&app->mu);
    if (e) {
        cJSON_Delete(o);
        return send_error(c, 500, "db", "cannot read the outbox");
    }
    return send_json(c, 200, o, NULL, 0);
}

static bool json_seq(const cJSON *o, long long *seq)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "seq");
    if (!cJSON_IsNumber(v) || v->valuedouble < 1 || v->valuedouble > 9e15 ||
        v->valuedouble != (double)(long long)v->valuedouble)
        return false;
    *seq = (long long)v->valuedouble;
    return true;
}

static int check_void(void *ctx, const char *payload)
{
    return taps_check_payload_kind(ctx, "void", payload);
}

/* "Cancel this entry": a void of entry seq with a reason, as 'outreach-agent
 * void N' makes it (refusing what outbox_cannot_void refuses). */
static enum MHD_Result api_void(const struct api *a)
{
    struct siteapp *app = a->app;
    struct MHD_Connection *c = a->c;
    long long seq;
    if (!json_seq(a->body, &seq))
        return send_error(c, 400, "seq", "seq must be the entry's number (#N in the list)");
    const char *reason = json_text(a->body, "reason");
    size_t rl = reason ? strspn(reason, " \t") : 0;
    if (!reason || !reason[rl])
        return send_error(c, 400, "reason", "reason is required: say why the entry no longer "
                          "counts, e.g. 'entered twice'");
    const struct kind_spec *k = compose_kind("void");
    char ts[TU_TS_MAX], why[JERR_MAX + 200], err[COMPOSE_ERR_MAX];
    now_ts(ts);
    struct outbox_entry target = {0}, out = {0};
    cJSON *fields = cJSON_CreateObject();
    enum MHD_Result ret;
    pthread_mutex_lock(&app->mu);
    oerr_t g = outbox_get_seq(app->ob, seq, &target);
    if (g == OERR_NOTFOUND) {
        snprintf(why, sizeof why, "no entry #%lld on this device; nothing was saved", seq);
        ret = send_error(c, 404, "no_entry", why);
    } else if (g) {
        ret = send_error(c, 500, "db", "cannot read the outbox");
    } else if (outbox_cannot_void(&target, why, sizeof why)) {
        ret = send_error(c, 409, "cannot_void", why);
    } else if (compose_set(k, fields, "msg-id", target.msg_id, err) ||
               compose_set(k, fields, "reason", reason, err) ||
               compose_check_required(k, fields, err)) {
        ret = send_error(c, 400, "reason", err);
    } else {
        cJSON_AddStringToObject(fields, "entered_by", a->s->staff_id);
        /* The void belongs to its target's trip; the coordinator judges it there. */
        oerr_t e = outbox_push(app->ob, "void", target.trip_id, fields, ts, check_void,
                               app->agent_id, &out);
        if (e) {
            ret = send_error(c, e == OERR_REJECTED ? 400 : 500, "void",
                             "the void was not saved (does the reason pass the contract?)");
        } else {
            olog(OLOG_INFO, "site app: %s cancelled entry #%lld by #%lld", a->s->staff_id, seq,
                 out.seq);
            cJSON *o = cJSON_CreateObject();
            cJSON_AddNumberToObject(o, "seq", (double)out.seq);
            cJSON_AddNumberToObject(o, "voids_seq", (double)seq);
            ret = send_json(c, 200, o, NULL, 0);
        }
    }
    pthread_mutex_unlock(&app->mu);
    cJSON_Delete(fields);
    outbox_entry_clear(&target);
    outbox_entry_clear(&out);
    return ret;
}

/* "Correct and send again" for a refused headcount: a new one with its
 * values for today's trip; the refused one stays refused. */
static enum MHD_Result api_correct(const struct api *a)
{
    struct siteapp *app = a->app;
    struct MHD_Connection *c = a->c;
    long long seq, new_seq = 0;
    if (!json_seq(a->body, &seq))
        return send_error(c, 400, "seq", "seq must be the refused entry's number");
    char ts[TU_TS_MAX], why[300] = "";
    now_ts(ts);
    struct site_trip trip;
    enum MHD_Result ret;
    pthread_mutex_lock(&app->mu);
    if (trip_for_entry(app, c, &trip, &ret)) {
        pthread_mutex_unlock(&app->mu);
        return ret;
    }
    oerr_t e = taps_correct(app->ob, app->agent_id, seq, &trip, a->s->staff_id, ts, &new_seq,
                            why, sizeof why);
    pthread_mutex_unlock(&app->mu);
    if (e == OERR_NOTFOUND)
        return send_error(c, 404, "no_entry", "no such entry on this device");
    if (e == OERR_REJECTED)
        return send_error(c, 409, "cannot_correct", why);
    if (e)
        return send_error(c, 500, "db", "the corrected entry was not saved: try again");
    olog(OLOG_INFO, "site app: %s sent refused entry #%lld again as #%lld", a->s->staff_id, seq,
         new_seq);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "seq", (double)new_seq);
    cJSON_AddNumberToObject(o, "corrects", (double)seq);
    cJSON_AddStringToObject(o, "trip_id", trip.trip_id);
    return send_json(c, 200, o, NULL, 0);
}

/* GET /api/entry?seq=N: one entry with its report fields (for a form that
 * corrects a refused entry). */
static enum MHD_Result api_entry_get(const struct api *a)
{
    const char *v = MHD_lookup_connection_value(a->c, MHD_GET_ARGUMENT_KIND, "seq");
    char *end = NULL;
    long long seq = v ? strtoll(v, &end, 10) : 0;
    if (!v || !*v || *end || seq < 1)
        return send_error(a->c, 400, "seq", "seq must be an entry's number: /api/entry?seq=N");
    cJSON *it = NULL;
    pthread_mutex_lock(&a->app->mu);
    oerr_t e = taps_entry(a->app->ob, seq, &it);
    pthread_mutex_unlock(&a->app->mu);
    if (e == OERR_NOTFOUND)
        return send_error(a->c, 404, "no_entry", "no such entry on this device");
    if (e || !it)
        return send_error(a->c, 500, "db", "cannot read the outbox");
    return send_json(a->c, 200, it, NULL, 0);
}

static enum MHD_Result api_session(const struct api *a)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "staff_id", a->s->staff_id);
    cJSON_AddStringToObject(o, "csrf", a->s->csrf);
    return send_json(a->c, 200, o, NULL, 0);
}

static enum MHD_Result api_signout(const struct api *a)
{
    pthread_mutex_lock(&a->app->mu);
    sa_auth_signout(a->app->auth, a->token);
    pthread_mutex_unlock(&a->app->mu);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "signed_out", true);
    return send_json(a->c, 200, o,
                     COOKIE_NAME "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0", 0);
}

/* The four forms (siteapp_forms.c): what they offer, and saving one entry. */
static enum MHD_Result api_forms(const struct api *a)
{
    cJSON *reply = NULL;
    struct site_trip trip;
    pthread_mutex_lock(&a->app->mu);
    /* What the forms offer does not depend on whether the trip takes
     * entries (saving checks that): only its earlier medicine names. */
    if (site_trip_pick(a->app->ob, a->app->trip, &trip)) {
        pthread_mutex_unlock(&a->app->mu);
        return send_error(a->c, 500, "db", "cannot read the trip cards: try again");
    }
    unsigned status = forms_offer(a->app->ob, trip.trip_id[0] ? trip.trip_id : NULL,
                                  a->app->formulary, &reply);
    pthread_mutex_unlock(&a->app->mu);
    return send_json(a->c, status, reply, NULL, 0);
}

/* POST /api/entry: one form's entry, for today's trip (trip_for_entry). */
static enum MHD_Result api_entry_save(const struct api *a)
{
    cJSON *reply = NULL;
    struct site_trip trip;
    enum MHD_Result ret;
    pthread_mutex_lock(&a->app->mu);
    if (trip_for_entry(a->app, a->c, &trip, &ret)) {
        pthread_mutex_unlock(&a->app->mu);
        return ret;
    }
    unsigned status = forms_save(a->app->ob, a->app->agent_id, trip.trip_id, a->s->staff_id,
                                 a->body, &reply);
    pthread_mutex_unlock(&a->app->mu);
    return send_json(a->c, status, reply, NULL, 0);
}

/* The API after sign-in, one row per request: method ("GET" also answers
 * HEAD; every "POST" needs the CSRF token), path, handler. */
static const struct api_route {
    const char *method, *path;
    enum MHD_Result (*fn)(const struct api *);
} api_routes[] = {
    {"GET", "/api/session", api_session},
    {"GET", "/api/today", api_today},
    {"GET", "/api/recent", api_recent},
    {"GET", "/api/entry", api_entry_get},
    {"POST", "/api/void", api_void},
    {"POST", "/api/correct", api_correct},
    {"POST", "/api/taps", api_tap},
    {"POST", "/api/taps/undo", api_undo},
    {"POST", "/api/send", api_send},
    {"POST", "/api/signout", api_signout},
    {"GET", "/api/forms", api_forms},
    {"POST", "/api/entry", api_entry_save},
};

static enum MHD_Result serve_static(struct MHD_Connection *c, const char *url)
{
    if (strcmp(url, "/") == 0)
        url = "/index.html";
    for (const struct site_asset *a = site_assets; a->path; a++)
        if (strcmp(a->path, url) == 0)
            return send_reply(c, 200, a->type, a->data, a->len, false, NULL, 0);
    return send_error(c, 404, "not_found", "no such page");
}

static bool content_is_json(struct MHD_Connection *c)
{
    const char *t = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
    return t && strncmp(t, "application/json", 16) == 0 && (t[16] == '\0' || t[16] == ';');
}

/* A phone reaches the device by its address: a Host that is a name (other
 * than localhost) is a page elsewhere that had its name point here (DNS
 * rebinding), and is refused. */
static bool host_ok(struct MHD_Connection *c)
{
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host");
    char name[INET6_ADDRSTRLEN + 1], buf[sizeof(struct in6_addr)];
    if (!h || !h[0])
        return false;
    size_t n;
    if (h[0] == '[') {
        const char *end = strchr(h, ']');
        if (!end || (end[1] && end[1] != ':'))
            return false;
        n = (size_t)(end - h - 1);
        if (n >= sizeof name)
            return false;
        memcpy(name, h + 1, n);
        name[n] = '\0';
        return inet_pton(AF_INET6, name, buf) == 1;
    }
    n = strcspn(h, ":");
    if (n >= sizeof name)
        return false;
    memcpy(name, h, n);
    name[n] = '\0';
    return strcmp(name, "localhost") == 0 || inet_pton(AF_INET, name, buf) == 1;
}

static enum MHD_Result route(struct siteapp *app, struct MHD_Connection *c, const char *url,
                             const char *method, struct req *r)
{
    bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    bool post = strcmp(method, "POST") == 0;
    if (!host_ok(c))
        return send_error(c, 421, "host", "use the device's address (as printed by the "
                          "daemon), not a name");
    if (strncmp(url, "/api/", 5) != 0) {
        if (!get)
            return send_error(c, 405, "method", "only GET here");
        return serve_static(c, url);
    }
    if (r->too_big)
        return send_error(c, 413, "too_large", "request body above 16 KiB");
    if (post && !content_is_json(c))
        return send_error(c, 415, "content_type", "send JSON (Content-Type: application/json)");
    cJSON *body = NULL;
    if (post) {
        body = r->len ? cJSON_ParseWithLength(r->body, r->len) : NULL;
        if (!cJSON_IsObject(body)) {
            cJSON_Delete(body);
            return send_error(c, 400, "json", "the body must be a JSON object");
        }
    }
    enum MHD_Result ret;
    if (strcmp(url, "/api/signin") == 0) {
        ret = post ? api_signin(app, c, body) : send_error(c, 405, "method", "POST only");
        cJSON_Delete(body);
        return ret;
    }
    const char *token = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, COOKIE_NAME);
    struct sa_session s;
    pthread_mutex_lock(&app->mu);
    bool ok = sa_auth_find(app->auth, token, now_s(), &s);
    pthread_mutex_unlock(&app->mu);
    if (!ok) {
        cJSON_Delete(body);
        return send_error(c, 401, "signin", "sign in first");
    }
    if (post && !sa_auth_csrf_ok(&s, MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                                 "X-CSRF-Token"))) {
        cJSON_Delete(body);
        return send_error(c, 403, "csrf", "missing or wrong X-CSRF-Token: reload the page");
    }
    const struct api_route *rt = NULL;
    bool path_known = false;
    for (size_t i = 0; i < sizeof api_routes / sizeof api_routes[0] && !rt; i++) {
        if (strcmp(url, api_routes[i].path) != 0)
            continue;
        path_known = true;
        if (strcmp(api_routes[i].method, "POST") == 0 ? post : get)
            rt = &api_routes[i];
    }
    if (rt) {
        struct api a = {app, c, &s, token, body};
        ret = rt->fn(&a);
    } else if (path_known) {
        ret = send_error(c, 405, "method", "not with this method");
    } else {
        ret = send_error(c, 404, "not_found", "no such API");
    }
    cJSON_Delete(body);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload, size_t *upload_size, void **con_cls)
{
    (void)version;
    struct req *r = *con_cls;
    if (!r) {
        r = calloc(1, sizeof *r);
        *con_cls = r;
        return r ? MHD_YES : MHD_NO;
    }
    if (*upload_size) {
        if (!r->too_big && r->len + *upload_size <= SITEAPP_BODY_MAX) {
            char *bigger = realloc(r->body, r->len + *upload_size + 1);
            if (!bigger)
                return MHD_NO;
            r->body = bigger;
            memcpy(r->body + r->len, upload, *upload_size);
            r->len += *upload_size;
        } else {
            r->too_big = true; /* the rest is read and dropped */
        }
        *upload_size = 0;
        return MHD_YES;
    }
    return route(cls, c, url, method, r);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls, (void)c, (void)toe;
    struct req *r = *con_cls;
    if (r) {
        free(r->body);
        free(r);
        *con_cls = NULL;
    }
}

static void *folder_main(void *arg)
{
    struct siteapp *app = arg;
    pthread_mutex_lock(&app->mu);
    while (!app->stop) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += app->fold_s;
        /* Bounded: each round waits up to fold_s, and stop ends it. */
        while (!app->stop && pthread_cond_timedwait(&app->cv, &app->mu, &until) != ETIMEDOUT)
            ;
        if (app->stop)
            break;
        int n;
        fold_locked(app, &n);
    }
    pthread_mutex_unlock(&app->mu);
    return NULL;
}

int siteapp_print_qr(FILE *f, const char *text)
{
    QRcode *q = QRcode_encodeString(text, 0, QR_ECLEVEL_L, QR_MODE_8, 1);
    if (!q)
        return -1;
    int w = q->width, m = 2;
    for (int y = -m; y < w + m; y += 2) {
        for (int x = -m; x < w + m; x++) {
            bool dark[2];
            for (int k = 0; k < 2; k++) {
                int yy = y + k;
                dark[k] = x >= 0 && x < w && yy >= 0 && yy < w && (q->data[yy * w + x] & 1);
            }
            /* Light modules are drawn: dark on a light code on a dark terminal. */
            fputs(!dark[0] && !dark[1] ? "\xe2\x96\x88" : !dark[0] ? "\xe2\x96\x80"
                  : !dark[1] ? "\xe2\x96\x84" : " ", f);
        }
        fputc('\n', f);
    }
    QRcode_free(q);
    return 0;
}

/* The address a phone can reach: the listen address, or for a wildcard one
 * the first non-loopback IPv4 address of the device. */
static void url_host(const char *listen, char *buf, size_t n)
{
    if (strcmp(listen, "0.0.0.0") == 0 || strcmp(listen, "::") == 0) {
        struct ifaddrs *ifs = NULL, *i;
        snprintf(buf, n, "%s", "127.0.0.1");
        if (getifaddrs(&ifs) == 0) {
            for (i = ifs; i; i = i->ifa_next) {
                if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET) {
                    const struct sockaddr_in *sin = (const void *)i->ifa_addr;
                    if ((ntohl(sin->sin_addr.s_addr) >> 24) != 127) {
                        inet_ntop(AF_INET, &sin->sin_addr, buf, (socklen_t)n);
                        break;
                    }
                }
            }
            freeifaddrs(ifs);
        }
    } else if (strchr(listen, ':')) {
        snprintf(buf, n, "[%s]", listen);
    } else {
        snprintf(buf, n, "%s", listen);
    }
}

static int make_passcode(char buf[16])
{
    unsigned v;
    if (getrandom(&v, sizeof v, 0) != (ssize_t)sizeof v)
        return -1;
    snprintf(buf, 16, "%06u", v % 1000000u);
    return 0;
}

/* The options the site app refuses to start with: a short passcode, a trip
 * id the wire refuses. Returns 0 or -1 with err. */
static int check_opts(const struct siteapp_opts *o, char err[SITEAPP_ERR_MAX])
{
    /* A short (or empty: "site_passcode =") passcode would let any phone on
     * the Wi-Fi in; the generated one has 6 digits. */
    if (o->passcode && strlen(o->passcode) < SITE_PASSCODE_MIN) {
        snprintf(err, SITEAPP_ERR_MAX, "site_passcode (or site_passcode_file) must be at least "
                 "%d characters; leave it unset to have one generated", SITE_PASSCODE_MIN);
        return -1;
    }
    /* Taps of a trip id the wire refuses could never be folded into reports. */
    if (o->trip && !id_is_code(o->trip)) {
        snprintf(err, SITEAPP_ERR_MAX, "trip '%.80s' is not a trip id (letters, digits, '.', "
                 "'_' and '-', at most 64): fix 'trip' in the agent's config", o->trip);
        return -1;
    }
    return 0;
}

/* The listening address (o->listen, default 127.0.0.1) and port as a socket
 * address for libmicrohttpd; *flags gains MHD_USE_IPv6 for an IPv6 one.
 * Returns 0 or -1 with err. */
static int listen_addr(const struct siteapp_opts *o, struct sockaddr_storage *ss,
                       unsigned *flags, char err[SITEAPP_ERR_MAX])
{
    const char *listen = o->listen ? o->listen : "127.0.0.1";
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
    memset(ss, 0, sizeof *ss);
    if (inet_pton(AF_INET, listen, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)o->port);
    } else if (inet_pton(AF_INET6, listen, &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)o->port);
        *flags |= MHD_USE_IPv6;
    } else {
        snprintf(err, SITEAPP_ERR_MAX, "site_listen '%.64s' is not an IP address (e.g. "
                 "127.0.0.1, 0.0.0.0 for every interface, ::1)", listen);
        return -1;
    }
    return 0;
}

/* Says where the page is: its address, as a QR code for the phones, and
 * the passcode when it was generated (not when the config chose it). */
static void print_banner(const struct siteapp_opts *o, const char *listen,
                         const char *generated)
{
    FILE *b = o->banner ? o->banner : stdout;
    char host[INET6_ADDRSTRLEN + 2], url[INET6_ADDRSTRLEN + 32];
    url_host(listen, host, sizeof host);
    snprintf(url, sizeof url, "http://%s:%d/", host, o->port);
    fprintf(b, "site app: %s\n", url);
    siteapp_print_qr(b, url);
    if (!o->passcode)
        fprintf(b, "site app passcode: %s (set site_passcode to choose one)\n", generated);
    fflush(b);
}

int siteapp_start(const struct siteapp_opts *o, struct siteapp **out, char err[SITEAPP_ERR_MAX])
{
    *out = NULL;
    const char *listen = o->listen ? o->listen : "127.0.0.1";
    struct sockaddr_storage ss;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
    if (check_opts(o, err) || listen_addr(o, &ss, &flags, err))
        return -1;
    struct siteapp *app = calloc(1, sizeof *app);
    if (!app) {
        snprintf(err, SITEAPP_ERR_MAX, "out of memory");
        return -1;
    }
    pthread_mutex_init(&app->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&app->cv, &ca);
    pthread_condattr_destroy(&ca);
    app->fold_s = o->fold_s > 0 ? o->fold_s : 60;
    app->session_s = o->session_s > 0 ? o->session_s : 12 * 3600;
    app->agent_id = strdup(o->agent_id);
    app->trip = o->trip ? strdup(o->trip) : NULL;
    app->formulary = o->formulary ? strdup(o->formulary) : NULL;
    char generated[16] = "";
    if (!o->passcode && make_passcode(generated)) {
        snprintf(err, SITEAPP_ERR_MAX, "cannot make a passcode: no randomness");
        goto fail;
    }
    app->auth = sa_auth_new(o->passcode ? o->passcode : generated, app->session_s,
                            MAX_SESSIONS);
    char oerr[256];
    if (!app->agent_id || !app->auth || (o->trip && !app->trip)) {
        snprintf(err, SITEAPP_ERR_MAX, "out of memory");
        goto fail;
    }
    if (outbox_open(o->outbox_path, o->agent_id, &app->ob, oerr) || taps_init(app->ob)) {
        snprintf(err, SITEAPP_ERR_MAX, "%s", app->ob ? "cannot create the taps table" : oerr);
        goto fail;
    }
    app->mhd = MHD_start_daemon(flags, (uint16_t)o->port, NULL, NULL, on_request, app,
                                MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                                MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
                                MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)16,
                                MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
                                MHD_OPTION_NOTIFY_COMPLETED, on_completed, app,
                                MHD_OPTION_END);
    if (!app->mhd) {
        snprintf(err, SITEAPP_ERR_MAX, "cannot listen on %s port %d (in use? set site_port "
                 "or site_listen)", listen, o->port);
        goto fail;
    }
    if (pthread_create(&app->folder, NULL, folder_main, app) != 0) {
        snprintf(err, SITEAPP_ERR_MAX, "cannot start the fold thread");
        goto fail;
    }
    app->folder_started = true;
    print_banner(o, listen, generated);
    olog(OLOG_INFO, "site app serving on %s port %d, trip %s", listen, o->port,
         app->trip ? app->trip : "(none: set trip)");
    *out = app;
    return 0;
fail:
    siteapp_stop(app);
    return -1;
}

void siteapp_stop(struct siteapp *app)
{
    if (!app)
        return;
    if (app->mhd)
        MHD_stop_daemon(app->mhd);
    if (app->folder_started) {
        pthread_mutex_lock(&app->mu);
        app->stop = true;
        pthread_cond_broadcast(&app->cv);
        pthread_mutex_unlock(&app->mu);
        pthread_join(app->folder, NULL);
    }
    outbox_close(app->ob);
    sa_auth_free(app->auth);
    pthread_cond_destroy(&app->cv);
    pthread_mutex_destroy(&app->mu);
    free(app->agent_id);
    free(app->trip);
    free(app->formulary);
    free(app);
}
