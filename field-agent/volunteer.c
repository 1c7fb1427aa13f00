/* volunteer.c -- outreach-agent volunteer: a volunteer's client.
 *
 * Requests go to ROOT/volunteers/ID/requests with MQTT 5 Response Topic
 * ROOT/volunteers/ID/replies (the one topic the account may read besides the
 * public ones) and Correlation Data; the coordinator's notices arrive on the
 * same replies topic. The MQTT session is kept for 7 days, so notices sent
 * while the volunteer is away wait at the broker for the next run, and every
 * run prints those it receives: once Paho has them, the broker forgets them.
 * The phone number is sent in the profile request and never printed. */
#include "volunteer.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ids.h"
#include "jsonget.h"
#include "mqrr.h"
#include "mqtls.h"
#include "olog.h"
#include "report.h"
#include "timeutil.h"
#include "topics.h"

#define EXIT_USAGE 2
#define EXIT_REFUSED 3

#define SESSION_EXPIRY_S (7u * 24 * 3600)
#define TRIPS_QUIET_MS 700      /* retained trip cards come at once after the SUBACK */
#define NOTICES_QUIET_MS 500    /* the session's queued messages come at once after connect */
#define REPLY_DEPTH_MAX 16      /* nesting of any message we read */
#define TRIPS_MAX 10000
#define PHONE_MAX_BYTES 64
#define TEXT_MAX_BYTES JTEXT_MAX_BYTES

enum {
    V_BROKER = 2000, V_ID, V_PWFILE, V_ROOT, V_TIMEOUT, V_HELP,
    /* per subcommand, in the order of sub_opts */
    V_NAME, V_PHONE, V_ORG, V_ROLES, V_ROLE, V_REQID, V_JSON, V_ALL, V_WAIT,
};
#define BIT(code) (1u << ((code) - V_NAME))

static const struct option common_opts[] = {
    {"broker", required_argument, NULL, V_BROKER},
    {"volunteer-id", required_argument, NULL, V_ID},
    {"password-file", required_argument, NULL, V_PWFILE},
    {"topic-root", required_argument, NULL, V_ROOT},
    {"timeout", required_argument, NULL, V_TIMEOUT},
    {"help", no_argument, NULL, V_HELP},
    MQTLS_LONG_OPTIONS,
};
#define N_COMMON (sizeof common_opts / sizeof common_opts[0])

static const struct option sub_opts[] = {
    {"name", required_argument, NULL, V_NAME},
    {"phone", required_argument, NULL, V_PHONE},
    {"organization", required_argument, NULL, V_ORG},
    {"roles", required_argument, NULL, V_ROLES},
    {"role", required_argument, NULL, V_ROLE},
    {"request-id", required_argument, NULL, V_REQID},
    {"json", no_argument, NULL, V_JSON},
    {"all", no_argument, NULL, V_ALL},
    {"wait", required_argument, NULL, V_WAIT},
};
#define N_SUB (sizeof sub_opts / sizeof sub_opts[0])

struct vopts {
    const char *broker, *id, *password_file, *root, *request_id;
    const char *name, *phone, *organization, *roles, *role;
    const char *trip_id; /* the positional argument of register and cancel */
    int timeout_s, wait_s;
    bool json, all;
    unsigned role_set; /* --roles, bit i: role_names[i] */
    struct mq_tls tls; /* for an ssl:// broker; points into argv */
};

struct sub {
    const char *name;
    const char *usage;
    unsigned opts; /* BIT() of the options it takes besides the common ones */
    int npos;      /* positional arguments: 0, or 1 (TRIP_ID) */
    int (*run)(const struct vopts *o);
};

static const char usage_volunteer[] =
    "usage: outreach-agent volunteer SUBCOMMAND [OPTIONS]\n"
    "\n"
    "A volunteer's client: keep your profile, find trips with open places,\n"
    "register for them, and read the coordinator's notices (promotions from the\n"
    "wait-list, cancelled trips).\n"
    "\n"
    "subcommands:\n"
    "  profile   set your name, phone, organization and roles\n"
    "  trips     list the planned trips and their open places\n"
    "  register  take a place, or a wait-list position, on a trip\n"
    "  cancel    give up your place on a trip\n"
    "  list      your registrations\n"
    "  notices   show the notices the coordinator sent you\n"
    "('outreach-agent volunteer SUBCOMMAND --help' for each)\n"
    "\n"
    "options of every subcommand:\n"
    "  --volunteer-id ID    your volunteer id, also your MQTT username (required)\n"
    "  --password-file F    file holding your MQTT password\n"
    "  --broker URI         broker (default tcp://127.0.0.1:1883; TLS: ssl://HOST:8883)\n"
    "  --topic-root R       root of every topic (default outreach/v1)\n"
    "  --timeout S          wait at most S seconds for the coordinator (default 10)\n"
    MQTLS_USAGE
    "  --help               this text, or a subcommand's\n"
    "\n"
    "Notices that arrive while a subcommand runs are printed on stderr (by\n"
    "'notices' on stdout). Your MQTT session is kept for 7 days, so notices sent\n"
    "while you are away are delivered at your next run.\n"
    "\n"
    "exit status: 0 done, 2 bad usage, 3 refused by the coordinator,\n"
    "             1 any other failure (no broker, no reply)\n";

static const char usage_profile[] =
    "usage: outreach-agent volunteer profile --name N --phone P [--organization O]\n"
    "           --roles R[,R...] [--request-id X] [--json] [OPTIONS]\n"
    "\n"
    "Sets your profile at the coordinator. Roles: doctor, nurse, pharmacist,\n"
    "technician, health_promoter, support. Your phone number goes only to the\n"
    "coordinator; this program never prints it.\n"
    "\n"
    "  --request-id X   the id of an earlier attempt, to repeat it safely: the same\n"
    "                   request_id gets the same answer and has no second effect\n"
    "  --json           print the coordinator's reply as JSON\n"
    "See 'outreach-agent volunteer --help' for the options of every subcommand.\n";

static const char usage_trips[] =
    "usage: outreach-agent volunteer trips [--all] [--json] [OPTIONS]\n"
    "\n"
    "Lists the planned trips from their public trip cards, by date, with the open\n"
    "places of each role. No request is sent.\n"
    "\n"
    "  --all    also completed and cancelled trips\n"
    "  --json   print the trip cards as a JSON array\n"
    "See 'outreach-agent volunteer --help' for the options of every subcommand.\n";

static const char usage_register[] =
    "usage: outreach-agent volunteer register TRIP_ID --role R [--request-id X]\n"
    "           [--json] [OPTIONS]\n"
    "\n"
    "Takes a place on the trip in role R (doctor, nurse, pharmacist, technician,\n"
    "health_promoter, support), or a position on its wait-list when the role is\n"
    "full; you get a notice when you are promoted.\n"
    "\n"
    "  --request-id X   the id of an earlier attempt, to repeat it safely: the same\n"
    "                   request_id gets the same answer and has no second effect\n"
    "  --json           print the coordinator's reply as JSON\n"
    "See 'outreach-agent volunteer --help' for the options of every subcommand.\n";

static const char usage_cancel[] =
    "usage: outreach-agent volunteer cancel TRIP_ID [--request-id X] [--json] [OPTIONS]\n"
    "\n"
    "Gives up your place (or wait-list position) on the trip.\n"
    "\n"
    "  --request-id X   the id of an earlier attempt, to repeat it safely: the same\n"
    "                   request_id gets the same answer and has no second effect\n"
    "  --json           print the coordinator's reply as JSON\n"
    "See 'outreach-agent volunteer --help' for the options of every subcommand.\n";

static const char usage_list[] =
    "usage: outreach-agent volunteer list [--request-id X] [--json] [OPTIONS]\n"
    "\n"
    "Lists your registrations: trip, date, role, and whether your place is\n"
    "confirmed or where you stand on the wait-list.\n"
    "\n"
    "  --request-id X   use this request_id instead of a fresh one\n"
    "  --json           print the coordinator's reply as JSON\n"
    "See 'outreach-agent volunteer --help' for the options of every subcommand.\n";

static const char usage_notices[] =
    "usage: outreach-agent volunteer notices [--wait S] [OPTIONS]\n"
    "\n"
    "Prints the notices the coordinator sent you since your last run (promoted\n"
    "from the wait-list, moved up the wait-list, trip cancelled). No request is\n"
    "sent.\n"
    "\n"
    "  --wait S   keep listening for S seconds (default 0: only what is queued)\n"
    "See 'outreach-agent volunteer --help' for the options of every subcommand.\n";

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("outreach-agent: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* ---- reading messages -------------------------------------------------- */

static const char *jstr(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static long long jnum(const cJSON *o, const char *k, long long dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? (long long)v->valuedouble : dflt;
}

/* Replaces control characters in every string of j, so that text from the
 * network cannot drive the terminal. Depth is bounded by the parser. */
static void scrub(cJSON *j)
{
    for (; j; j = j->next) {
        for (char *p = j->string; p && *p; p++)
            if ((unsigned char)*p < 0x20 || *p == 0x7f)
                *p = '?';
        /* Values (a trip's cancel reason, a title) are shown escaped as in
         * the coordinator's log: C0, C1, bidi controls made visible. */
        char *shown = cJSON_IsString(j) ? olog_escape_dup(j->valuestring) : NULL;
        if (cJSON_IsString(j) && (!shown || (strcmp(shown, j->valuestring) != 0 &&
                                             !cJSON_SetValuestring(j, shown))))
            j->valuestring[0] = '\0'; /* out of memory: show nothing rather than raw */
        free(shown);
        scrub(j->child);
    }
}

/* Drops every "phone" member, however deep: the reply is printed as is
 * otherwise, and the phone number must never be. */
static void drop_phone(cJSON *j)
{
    for (; j; j = j->next) {
        if (cJSON_IsObject(j))
            cJSON_DeleteItemFromObjectCaseSensitive(j, "phone");
        drop_phone(j->child);
    }
}

static cJSON *parse_message(const char *payload, size_t len, struct jerr *je)
{
    cJSON *j = json_parse_bounded(payload, len, REPLY_DEPTH_MAX, je);
    if (j && !cJSON_IsObject(j)) {
        jerr_set(je, "not a JSON object");
        cJSON_Delete(j);
        return NULL;
    }
    return j;
}

/* ---- the connection ---------------------------------------------------- */

struct session {
    const struct vopts *o;
    struct mqrr *r;
    char requests[TOPIC_MAX], replies[TOPIC_MAX];
    FILE *notice_out; /* stderr, except for 'notices' itself */
    int notices;      /* printed so far */
};

static int session_open(struct session *s, const struct vopts *o, FILE *notice_out)
{
    char err[MQ_ERR_MAX];
    memset(s, 0, sizeof *s);
    s->o = o;
    s->notice_out = notice_out;
    if (topic_fmt(s->requests, sizeof s->requests, o->root, "volunteers/%s/requests", o->id) ||
        topic_fmt(s->replies, sizeof s->replies, o->root, "volunteers/%s/replies", o->id)) {
        fail("%s", "--topic-root is too long");
        return EXIT_USAGE;
    }
    char *password = NULL;
    if (o->password_file && !(password = mq_read_secret(o->password_file, err))) {
        fail("%s", err);
        return 1;
    }
    char client_id[ID_MAX + 8];
    /* USERNAME.SUFFIX: the only form besides USERNAME the broker accepts. */
    snprintf(client_id, sizeof client_id, "%s.cli", o->id);
    struct mq_conn_opts co = {
        .username = o->id, .password = password,
        .clean_start = false, .session_expiry_s = SESSION_EXPIRY_S, .keepalive_s = 30,
        .tls = &o->tls,
    };
    int rc = mqrr_open(&s->r, o->broker, client_id, &co, s->replies, o->timeout_s * 1000, err);
    if (password) {
        explicit_bzero(password, strlen(password));
        free(password);
    }
    if (rc) {
        fail("cannot connect to the broker at %s as %s: %s", o->broker, o->id, err);
        if (strstr(err, "CONNACK")) /* the login was refused */
            fprintf(stderr, "(the broker refused the login: check --volunteer-id and "
                    "--password-file)\n");
        return 1;
    }
    return 0;
}

static void print_notice(struct session *s, const cJSON *n)
{
    const char *kind = jstr(n, "notice"), *trip = jstr(n, "trip_id");
    const char *role = jstr(n, "role"), *reason = jstr(n, "reason");
    long long pos = jnum(n, "position", -1);
    FILE *f = s->notice_out;
    if (!trip)
        trip = "?";
    if (strcmp(kind, "promoted") == 0) {
        fprintf(f, "notice: you were promoted from the wait-list: %s on trip %s\n",
                role ? role : "a place", trip);
    } else if (strcmp(kind, "trip_cancelled") == 0) {
        fprintf(f, "notice: trip %s was cancelled%s%s%s%s%s\n", trip,
                role ? " (you had a place as " : "", role ? role : "", role ? ")" : "",
                reason ? ": " : "", reason ? reason : "");
    } else if (strcmp(kind, "waitlist_moved") == 0) {
        fprintf(f, "notice: you moved up the wait-list: %s on trip %s", role ? role : "a place",
                trip);
        if (pos > 0)
            fprintf(f, ", now position %lld", pos);
        fputc('\n', f);
    } else {
        fprintf(f, "notice: %s on trip %s%s%s\n", kind, trip, reason ? ": " : "",
                reason ? reason : "");
    }
    s->notices++;
}

/* A message that answers none of our requests: a notice, or the reply to a
 * request of an earlier run that timed out (worth telling: it was carried
 * out). Anything else, e.g. trip cards of an old subscription, is skipped. */
static void show_message(struct session *s, const struct mqrr_msg *m)
{
    if (strcmp(m->topic, s->replies) != 0)
        return;
    struct jerr je = {{0}};
    cJSON *j = parse_message(m->payload, m->len, &je);
    if (!j) {
        fprintf(stderr, "outreach-agent: skipped a message on %s: %s\n", s->replies, je.msg);
        return;
    }
    scrub(j);
    const char *rid = jstr(j, "request_id");
    if (jstr(j, "notice")) {
        print_notice(s, j);
    } else if (rid) {
        const cJSON *ok = cJSON_GetObjectItemCaseSensitive(j, "ok");
        const char *code = jstr(j, "code"), *reason = jstr(j, "reason");
        if (cJSON_IsTrue(ok))
            fprintf(stderr, "note: the reply to an earlier request (request_id %s) came "
                    "late: ok\n", rid);
        else
            fprintf(stderr, "note: the reply to an earlier request (request_id %s) came "
                    "late: refused (%s): %s\n", rid, code ? code : "?", reason ? reason : "");
    }
    cJSON_Delete(j);
}

static void drain(struct session *s)
{
    struct mqrr_msg m;
    while (mqrr_next(s->r, 0, &m)) {
        show_message(s, &m);
        mqrr_msg_free(&m);
    }
}

/* Disconnects, then prints what came meanwhile (nothing more can come after
 * the disconnect, so nothing received goes unseen). Returns 0, or -1 when
 * the connection had been lost (err says how). */
static int session_end(struct session *s, char err[MQ_ERR_MAX])
{
    int rc = mqrr_disconnect(s->r, 2000, err);
    drain(s);
    mqrr_close(&s->r);
    return rc;
}

/* ---- requests ---------------------------------------------------------- */

static cJSON *new_request(const struct vopts *o, const char *op)
{
    char uuid[UUID_LEN + 1];
    const char *rid = o->request_id;
    if (!rid) {
        if (id_new_uuid(uuid)) {
            fail("%s", "cannot make a request_id: no random bytes");
            return NULL;
        }
        rid = uuid;
    }
    cJSON *req = cJSON_CreateObject();
    if (req) {
        cJSON_AddStringToObject(req, "request_id", rid);
        cJSON_AddStringToObject(req, "op", op);
    }
    return req;
}

static void explain_no_reply(const struct session *s, const char *rid, const char *err)
{
    bool timeout = strncmp(err, "no reply", 8) == 0;
    if (timeout)
        fail("no reply from the coordinator within %d s (is it running?)", s->o->timeout_s);
    else
        fail("%s", err);
    if (strstr(err, "Not authorized")) {
        fprintf(stderr, "(an account may publish only on ROOT/volunteers/ITS_ID/requests: "
                "check --volunteer-id and --topic-root)\n");
        return; /* the broker dropped it: nothing can have happened */
    }
    /* Sent, perhaps carried out: the same request_id is safe to send again. */
    if (timeout || strstr(err, "lost"))
        fprintf(stderr, "the request may still be carried out; to repeat it safely, add "
                "--request-id %s\n", rid);
}

/* Prints the reply as JSON (--json). Returns the exit status. */
static int print_json_reply(cJSON *reply)
{
    drop_phone(reply);
    char *text = cJSON_PrintUnformatted(reply);
    if (!text) {
        fail("%s", "out of memory");
        return 1;
    }
    puts(text);
    free(text);
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(reply, "ok")) ? 0 : EXIT_REFUSED;
}

/* Connects, sends req, waits for its reply, prints the notices that came,
 * disconnects. Returns the exit status; *out is the reply (scrubbed) when it
 * said ok and is for the caller to print, NULL otherwise (printed here). */
static int exchange(const struct vopts *o, cJSON *req, cJSON **out)
{
    *out = NULL;
    struct session s;
    int rc = session_open(&s, o, stderr);
    if (rc)
        return rc;
    char err[MQ_ERR_MAX];
    const char *rid = jstr(req, "request_id");
    char *payload = cJSON_PrintUnformatted(req);
    char *answer = payload ? mqrr_request(s.r, s.requests, payload, o->timeout_s * 1000, err)
                           : NULL;
    if (!payload)
        snprintf(err, sizeof err, "out of memory");
    else
        explicit_bzero(payload, strlen(payload)); /* it may hold the phone number */
    free(payload);
    char lost[MQ_ERR_MAX];
    session_end(&s, lost); /* a connection lost after the reply costs nothing */
    if (!answer) {
        explain_no_reply(&s, rid, err);
        return 1;
    }
    struct jerr je = {{0}};
    cJSON *reply = parse_message(answer, strlen(answer), &je);
    free(answer);
    if (!reply) {
        fail("the coordinator's reply is unreadable: %s", je.msg);
        return 1;
    }
    const cJSON *ok = cJSON_GetObjectItemCaseSensitive(reply, "ok");
    if (!cJSON_IsBool(ok)) {
        fail("%s", "the coordinator's reply has no \"ok\": true or false");
        rc = 1;
    } else if (o->json) {
        rc = print_json_reply(reply);
    } else if (cJSON_IsFalse(ok)) {
        scrub(reply);
        const char *code = jstr(reply, "code"), *reason = jstr(reply, "reason");
        fprintf(stderr, "refused (%s): %s\n", code ? code : "?", reason ? reason : "no reason given");
        rc = EXIT_REFUSED;
    } else {
        scrub(reply);
        *out = reply;
        return 0;
    }
    cJSON_Delete(reply);
    return rc;
}

/* ---- subcommands ------------------------------------------------------- */

static int cmd_profile(const struct vopts *o)
{
    cJSON *req = new_request(o, "profile.set");
    if (!req)
        return 1;
    cJSON_AddStringToObject(req, "name", o->name);
    cJSON_AddStringToObject(req, "phone", o->phone);
    if (o->organization)
        cJSON_AddStringToObject(req, "organization", o->organization);
    cJSON *roles = cJSON_AddArrayToObject(req, "roles");
    char list[256] = "";
    for (int i = 0; role_names[i]; i++) {
        if (!(o->role_set & (1u << i)))
            continue;
        cJSON_AddItemToArray(roles, cJSON_CreateString(role_names[i]));
        size_t used = strlen(list);
        snprintf(list + used, sizeof list - used, "%s%s", used ? ", " : "", role_names[i]);
    }
    cJSON *reply;
    int rc = exchange(o, req, &reply);
    cJSON_Delete(req);
    if (reply)
        printf("profile saved for %s: roles %s\n", o->id, list);
    cJSON_Delete(reply);
    return rc;
}

static int cmd_register(const struct vopts *o)
{
    cJSON *req = new_request(o, "trip.register");
    if (!req)
        return 1;
    cJSON_AddStringToObject(req, "trip_id", o->trip_id);
    cJSON_AddStringToObject(req, "role", o->role);
    cJSON *reply;
    int rc = exchange(o, req, &reply);
    cJSON_Delete(req);
    if (!reply)
        return rc;
    const char *state = jstr(reply, "state");
    long long pos = jnum(reply, "position", -1);
    if (state && strcmp(state, "confirmed") == 0) {
        printf("confirmed: %s on trip %s\n", o->role, o->trip_id);
    } else if (state && strcmp(state, "waitlisted") == 0) {
        printf("wait-listed: %s on trip %s", o->role, o->trip_id);
        if (pos > 0)
            printf(", position %lld", pos);
        putchar('\n');
    } else {
        printf("registered (%s): %s on trip %s\n", state ? state : "state not given", o->role,
               o->trip_id);
    }
    cJSON_Delete(reply);
    return rc;
}

static int cmd_cancel(const struct vopts *o)
{
    cJSON *req = new_request(o, "trip.cancel");
    if (!req)
        return 1;
    cJSON_AddStringToObject(req, "trip_id", o->trip_id);
    cJSON *reply;
    int rc = exchange(o, req, &reply);
    cJSON_Delete(req);
    if (reply)
        printf("cancelled your place on trip %s\n", o->trip_id);
    cJSON_Delete(reply);
    return rc;
}

/* "wait-listed #3", "trip cancelled", ... into buf. */
static const char *state_text(const cJSON *reg, char *buf, size_t n)
{
    const char *state = jstr(reg, "state");
    long long pos = jnum(reg, "position", -1);
    if (!state)
        state = "?";
    if (strcmp(state, "waitlisted") == 0 && pos > 0)
        snprintf(buf, n, "wait-listed #%lld", pos);
    else if (strcmp(state, "waitlisted") == 0)
        snprintf(buf, n, "wait-listed");
    else if (strcmp(state, "trip_cancelled") == 0)
        snprintf(buf, n, "trip cancelled");
    else
        snprintf(buf, n, "%s", state);
    return buf;
}

static int cmd_list(const struct vopts *o)
{
    cJSON *req = new_request(o, "registrations.list");
    if (!req)
        return 1;
    cJSON *reply;
    int rc = exchange(o, req, &reply);
    cJSON_Delete(req);
    if (!reply)
        return rc;
    const cJSON *regs = cJSON_GetObjectItemCaseSensitive(reply, "registrations");
    int n = cJSON_GetArraySize(regs);
    if (!cJSON_IsArray(regs) || n == 0) {
        printf("no registrations for %s\n", o->id);
        cJSON_Delete(reply);
        return 0;
    }
    /* Column widths from the rows themselves. */
    int wt = 4, wr = 4, ws = 5;
    char st[64];
    const cJSON *g;
    cJSON_ArrayForEach(g, regs) {
        const char *t = jstr(g, "trip_id"), *r = jstr(g, "role");
        int lt = t ? (int)strlen(t) : 1, lr = r ? (int)strlen(r) : 1;
        int ls = (int)strlen(state_text(g, st, sizeof st));
        wt = lt > wt ? lt : wt;
        wr = lr > wr ? lr : wr;
        ws = ls > ws ? ls : ws;
    }
    printf("%-10s  %-*s  %-*s  %-*s  %s\n", "DATE", wt, "TRIP", wr, "ROLE", ws, "STATE", "TITLE");
    cJSON_ArrayForEach(g, regs) {
        const char *date = jstr(g, "date"), *t = jstr(g, "trip_id"), *r = jstr(g, "role");
        const char *title = jstr(g, "title"), *ts = jstr(g, "trip_status");
        printf("%-10s  %-*s  %-*s  %-*s  %s", date ? date : "-", wt, t ? t : "?", wr,
               r ? r : "?", ws, state_text(g, st, sizeof st), title ? title : "");
        if (ts && strcmp(ts, "planned") != 0)
            printf(" [trip %s]", ts);
        putchar('\n');
    }
    cJSON_Delete(reply);
    return 0;
}

/* ---- trips: retained trip cards ---------------------------------------- */

struct cards {
    char *topic[TRIPS_MAX];
    cJSON *card[TRIPS_MAX];
    int n;
};

static void cards_free(struct cards *c)
{
    for (int i = 0; i < c->n; i++) {
        free(c->topic[i]);
        cJSON_Delete(c->card[i]);
    }
    c->n = 0;
}

/* Keeps the latest card of each topic; an empty retained message removes it. */
static void cards_put(struct cards *c, const struct mqrr_msg *m)
{
    int i = 0;
    while (i < c->n && strcmp(c->topic[i], m->topic) != 0)
        i++;
    cJSON *card = NULL;
    if (m->len > 0) {
        struct jerr je = {{0}};
        if (!(card = parse_message(m->payload, m->len, &je)) ||
            !jstr(card, "trip_id") || !jstr(card, "date")) {
            fprintf(stderr, "outreach-agent: skipped the trip card on %s: %s\n", m->topic,
                    card ? "no trip_id or date" : je.msg);
            cJSON_Delete(card);
            return;
        }
    }
    if (i < c->n) {
        cJSON_Delete(c->card[i]);
        c->card[i] = card;
        return;
    }
    if (!card || c->n >= TRIPS_MAX) {
        cJSON_Delete(card);
        return;
    }
    c->topic[c->n] = strdup(m->topic);
    c->card[c->n] = card;
    if (c->topic[c->n])
        c->n++;
    else
        cJSON_Delete(card);
}

/* True for ROOT/trips/X (not ROOT/trips/X/progress). */
static bool is_card_topic(const char *topic, const char *prefix)
{
    size_t n = strlen(prefix);
    return strncmp(topic, prefix, n) == 0 && topic[n] && !strchr(topic + n, '/');
}

/* Collects until no message came for TRIPS_QUIET_MS, or the timeout.
 * Returns true when cards were still coming at the timeout. */
static bool collect_cards(struct session *s, struct cards *c, const char *prefix)
{
    double start = tu_mono_ms(), end = start + s->o->timeout_s * 1000.0, last = start;
    for (;;) {
        double now = tu_mono_ms();
        double wait = last + TRIPS_QUIET_MS - now;
        if (end - now < wait)
            wait = end - now;
        struct mqrr_msg m;
        if (wait <= 0 || !mqrr_next(s->r, (int)wait + 1, &m))
            break;
        last = tu_mono_ms();
        if (is_card_topic(m.topic, prefix))
            cards_put(c, &m);
        else
            show_message(s, &m);
        mqrr_msg_free(&m);
    }
    return tu_mono_ms() >= end && tu_mono_ms() - last < TRIPS_QUIET_MS;
}

static int card_cmp(const void *a, const void *b)
{
    const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
    int d = strcmp(jstr(x, "date"), jstr(y, "date"));
    return d ? d : strcmp(jstr(x, "trip_id"), jstr(y, "trip_id"));
}

/* "doctor 3 open of 4 (1 wait-listed), nurse 2 open of 2"; from "capacity"
 * alone ("doctor 4 places") on cards older than "roles". */
static void print_places(const cJSON *card)
{
    const cJSON *roles = cJSON_GetObjectItemCaseSensitive(card, "roles");
    const cJSON *cap = cJSON_GetObjectItemCaseSensitive(card, "capacity");
    const cJSON *r;
    int shown = 0;
    if (cJSON_IsObject(roles)) {
        cJSON_ArrayForEach(r, roles) {
            long long capacity = jnum(r, "capacity", 0), confirmed = jnum(r, "confirmed", 0);
            long long wl = jnum(r, "waitlisted", 0);
            long long open = jnum(r, "open", capacity > confirmed ? capacity - confirmed : 0);
            if (!cJSON_IsObject(r) || (capacity <= 0 && confirmed <= 0 && wl <= 0))
                continue;
            printf("%s%s %lld open of %lld", shown++ ? ", " : ": ", r->string, open, capacity);
            if (wl > 0)
                printf(" (%lld wait-listed)", wl);
        }
    } else if (cJSON_IsObject(cap)) {
        cJSON_ArrayForEach(r, cap)
            if (cJSON_IsNumber(r) && r->valuedouble > 0)
                printf("%s%s %lld place%s", shown++ ? ", " : ": ", r->string,
                       (long long)r->valuedouble, r->valuedouble == 1 ? "" : "s");
    }
    if (!shown)
        printf(": no places listed");
}

static void print_card(const cJSON *card, bool all)
{
    const char *end = jstr(card, "end_date"), *title = jstr(card, "title");
    const char *status = jstr(card, "status");
    const char *county = jstr(cJSON_GetObjectItemCaseSensitive(card, "site"), "county_name");
    printf("%s%s%s  %s  %s", jstr(card, "date"), end ? "\u2013" : "", end ? end : "",
           jstr(card, "trip_id"), title ? title : "(no title)");
    if (county)
        printf(", %s", county);
    if (all && status && strcmp(status, "planned") != 0)
        printf(" [%s]", status);
    print_places(card);
    putchar('\n');
}

static int print_cards(const struct vopts *o, struct cards *c)
{
    static const cJSON *shown[TRIPS_MAX];
    int n = 0;
    for (int i = 0; i < c->n; i++) {
        const char *status = jstr(c->card[i], "status");
        if (c->card[i] && (o->all || !status || strcmp(status, "planned") == 0))
            shown[n++] = c->card[i];
    }
    qsort(shown, (size_t)n, sizeof shown[0], card_cmp);
    if (o->json) {
        cJSON *arr = cJSON_CreateArray();
        for (int i = 0; arr && i < n; i++)
            cJSON_AddItemReferenceToArray(arr, (cJSON *)shown[i]);
        char *text = arr ? cJSON_PrintUnformatted(arr) : NULL;
        cJSON_Delete(arr);
        if (!text) {
            fail("%s", "out of memory");
            return 1;
        }
        puts(text);
        free(text);
        return 0;
    }
    if (n == 0)
        printf("no %strips\n", o->all ? "" : "planned ");
    for (int i = 0; i < n; i++) {
        scrub((cJSON *)shown[i]);
        print_card(shown[i], o->all);
    }
    return 0;
}

static int cmd_trips(const struct vopts *o)
{
    static struct cards cards; /* large: not on the stack */
    struct session s;
    char filter[TOPIC_MAX], prefix[TOPIC_MAX], err[MQ_ERR_MAX];
    if (topic_fmt(filter, sizeof filter, o->root, "trips/+") ||
        topic_fmt(prefix, sizeof prefix, o->root, "trips/")) {
        fail("%s", "--topic-root is too long");
        return EXIT_USAGE;
    }
    int rc = session_open(&s, o, stderr);
    if (rc)
        return rc;
    if (mqrr_subscribe(s.r, filter, o->timeout_s * 1000, err)) {
        fail("%s", err);
        session_end(&s, err);
        return 1;
    }
    bool cut = collect_cards(&s, &cards, prefix);
    if (session_end(&s, err)) {
        fail("%s; the list may be incomplete", err);
        rc = 1;
    } else if (cut) {
        fail("trip cards were still arriving after %d s; the list may be incomplete",
             o->timeout_s);
        rc = 1;
    }
    if (print_cards(o, &cards))
        rc = 1;
    cards_free(&cards);
    return rc;
}

static int cmd_notices(const struct vopts *o)
{
    struct session s;
    char err[MQ_ERR_MAX];
    int rc = session_open(&s, o, stdout);
    if (rc)
        return rc;
    /* Listen for --wait, then on while messages keep coming, but never more
     * than --timeout past --wait. */
    double start = tu_mono_ms(), until = start + o->wait_s * 1000.0;
    double hard = until + o->timeout_s * 1000.0, last = start;
    for (;;) {
        double now = tu_mono_ms();
        double soft = last + NOTICES_QUIET_MS > until ? last + NOTICES_QUIET_MS : until;
        double wait = (soft < hard ? soft : hard) - now;
        struct mqrr_msg m;
        if (wait <= 0 || !mqrr_next(s.r, (int)wait + 1, &m))
            break;
        last = tu_mono_ms();
        show_message(&s, &m);
        mqrr_msg_free(&m);
        fflush(stdout);
    }
    if (session_end(&s, err)) {
        fail("%s", err);
        rc = 1;
    }
    if (s.notices == 0)
        printf("no notices for %s\n", o->id);
    return rc;
}

static const struct sub subs[] = {
    {"profile", usage_profile, BIT(V_NAME) | BIT(V_PHONE) | BIT(V_ORG) | BIT(V_ROLES) |
     BIT(V_REQID) | BIT(V_JSON), 0, cmd_profile},
    {"trips", usage_trips, BIT(V_ALL) | BIT(V_JSON), 0, cmd_trips},
    {"register", usage_register, BIT(V_ROLE) | BIT(V_REQID) | BIT(V_JSON), 1, cmd_register},
    {"cancel", usage_cancel, BIT(V_REQID) | BIT(V_JSON), 1, cmd_cancel},
    {"list", usage_list, BIT(V_REQID) | BIT(V_JSON), 0, cmd_list},
    {"notices", usage_notices, BIT(V_WAIT), 0, cmd_notices},
    {NULL, NULL, 0, 0, NULL},
};

/* ---- options ----------------------------------------------------------- */

/* Why s is not acceptable text of at most max bytes, or NULL when it is. */
static const char *text_problem(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0)
        return "must not be empty";
    if (n > max)
        return "is too long";
    if (!utf8_valid(s, n))
        return "is not valid UTF-8";
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return "holds a control character";
    return NULL;
}

static int parse_seconds(const char *flag, const char *s, int min, int max, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || *end || v < min || v > max) {
        fail("%s: '%s' is not a whole number of seconds from %d to %d", flag, s, min, max);
        return -1;
    }
    *out = (int)v;
    return 0;
}

static int parse_role(const char *flag, const char *s)
{
    int i = enum_index(role_names, s);
    if (i < 0) {
        char list[200];
        fail("%s: '%s' is not a role; use one of %s", flag, s,
             enum_join(role_names, list, sizeof list));
    }
    return i;
}

/* --roles doctor,nurse into o->role_set. */
static int parse_roles(struct vopts *o)
{
    char buf[512], *save = NULL;
    if (strlen(o->roles) >= sizeof buf) {
        fail("%s", "--roles: too long");
        return -1;
    }
    snprintf(buf, sizeof buf, "%s", o->roles);
    for (char *tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
        int i = parse_role("--roles", tok);
        if (i < 0)
            return -1;
        o->role_set |= 1u << i;
    }
    if (!o->role_set) {
        char list[200];
        fail("--roles: name at least one role (%s)", enum_join(role_names, list, sizeof list));
        return -1;
    }
    return 0;
}

static bool root_ok(const char *r)
{
    size_t n = strlen(r);
    return n > 0 && n <= 100 && r[0] != '/' && r[n - 1] != '/' && !strstr(r, "//") &&
           !strpbrk(r, "+#") && utf8_valid(r, n);
}

/* Handles one option. Returns 0, or -1 on a bad value. */
static int take_option(int c, struct vopts *o)
{
    switch (c) {
    case V_BROKER: o->broker = optarg; return 0;
    case V_ID: o->id = optarg; return 0;
    case V_PWFILE: o->password_file = optarg; return 0;
    case V_ROOT: o->root = optarg; return 0;
    case V_TIMEOUT: return parse_seconds("--timeout", optarg, 1, 3600, &o->timeout_s);
    case V_WAIT: return parse_seconds("--wait", optarg, 0, 86400, &o->wait_s);
    case V_NAME: o->name = optarg; return 0;
    case V_PHONE: o->phone = optarg; return 0;
    case V_ORG: o->organization = optarg; return 0;
    case V_ROLES: o->roles = optarg; return 0;
    case V_ROLE: o->role = optarg; return 0;
    case V_REQID: o->request_id = optarg; return 0;
    case V_JSON: o->json = true; return 0;
    case V_ALL: o->all = true; return 0;
    default: return mqtls_flag_apply(c, optarg, &o->tls) ? 0 : -1;
    }
}

/* Each text option's rule; the phone number is never echoed. */
static int check_texts(const struct vopts *o)
{
    const char *why;
    if (o->name && (why = text_problem(o->name, TEXT_MAX_BYTES))) {
        fail("--name: '%s' %s (at most %d bytes)", o->name, why, TEXT_MAX_BYTES);
        return -1;
    }
    if (o->phone && (why = text_problem(o->phone, PHONE_MAX_BYTES))) {
        fail("--phone: the number given %s (at most %d bytes)", why, PHONE_MAX_BYTES);
        return -1;
    }
    if (o->organization && (why = text_problem(o->organization, TEXT_MAX_BYTES))) {
        fail("--organization: '%s' %s (at most %d bytes)", o->organization, why,
             TEXT_MAX_BYTES);
        return -1;
    }
    if (o->request_id && ((why = text_problem(o->request_id, 4 * 64)) ||
                          utf8_chars(o->request_id) > 64)) {
        fail("--request-id: '%s' %s (1 to 64 characters)", o->request_id,
             why ? why : "is too long");
        return -1;
    }
    return 0;
}

/* What every subcommand needs, then what this one needs. */
static int check_options(const struct sub *sub, struct vopts *o)
{
    if (!o->id) {
        fail("%s", "no volunteer id: pass --volunteer-id ID");
        return -1;
    }
    if (!id_is_agent(o->id)) {
        fail("--volunteer-id: '%s' must be 1 to 64 of a-z, 0-9, '_' and '-', starting with "
             "a letter or digit", o->id);
        return -1;
    }
    if (!root_ok(o->root)) {
        fail("--topic-root: '%s' must be topic levels without '+', '#' or empty levels "
             "(e.g. outreach/v1)", o->root);
        return -1;
    }
    if (check_texts(o))
        return -1;
    char err[MQ_ERR_MAX];
    if (mq_tls_check_usage(o->broker, &o->tls, err)) {
        fail("%s", err);
        return -1;
    }
    if (sub->npos && !id_is_code(o->trip_id)) {
        fail("'%s' is not a trip id (1 to 64 of A-Z, a-z, 0-9, '.', '_' and '-', starting "
             "with a letter or digit)", o->trip_id);
        return -1;
    }
    if (strcmp(sub->name, "profile") == 0) {
        if (!o->name || !o->phone || !o->roles) {
            fail("profile needs --name, --phone and --roles (see 'outreach-agent volunteer "
                 "profile --help')");
            return -1;
        }
        return parse_roles(o);
    }
    if (strcmp(sub->name, "register") == 0) {
        if (!o->role) {
            fail("%s", "register needs --role R (doctor, nurse, pharmacist, technician, "
                       "health_promoter or support)");
            return -1;
        }
        return parse_role("--role", o->role) < 0 ? -1 : 0;
    }
    return 0;
}

/* Parses argv (argv[0]: the subcommand). Returns 0, 1 after --help, or -1. */
static int parse_args(const struct sub *sub, int argc, char **argv, struct vopts *o)
{
    struct option opts[N_COMMON + N_SUB + 1];
    size_t n = 0;
    for (size_t i = 0; i < N_COMMON; i++)
        opts[n++] = common_opts[i];
    for (size_t i = 0; i < N_SUB; i++)
        if (sub->opts & BIT(sub_opts[i].val))
            opts[n++] = sub_opts[i];
    opts[n] = (struct option){NULL, 0, NULL, 0};
    argv[0] = (char *)"outreach-agent volunteer"; /* getopt names it in its messages */
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == V_HELP) {
            fputs(sub->usage, stdout);
            return 1;
        }
        if (c == '?' || c == ':') {
            fprintf(stderr, "(see 'outreach-agent volunteer %s --help')\n", sub->name);
            return -1;
        }
        if (take_option(c, o))
            return -1;
    }
    int npos = argc - optind;
    if (npos < sub->npos) {
        fail("%s needs a trip id (see 'outreach-agent volunteer %s --help')", sub->name,
             sub->name);
        return -1;
    }
    if (npos > sub->npos) {
        fail("unexpected argument '%s'", argv[optind + sub->npos]);
        return -1;
    }
    if (sub->npos)
        o->trip_id = argv[optind];
    return check_options(sub, o);
}

/* Moves the subcommand to argv[1] when options come first
 * ("volunteer --volunteer-id v trips"). Returns its index, or -1. */
static int find_subcommand(int argc, char **argv)
{
    static const char *const with_value[] = {"--broker", "--volunteer-id", "--password-file",
                                             "--topic-root", "--timeout", NULL};
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] != '-') {
            char *word = argv[i];
            memmove(&argv[2], &argv[1], (size_t)(i - 1) * sizeof *argv);
            argv[1] = word;
            return 1;
        }
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return -1;
        for (int k = 0; with_value[k]; k++)
            if (strcmp(argv[i], with_value[k]) == 0) {
                i++; /* its value; argv[i] may now be the NULL at argv[argc] */
                break;
            }
    }
    return -1;
}

int volunteer_main(int argc, char **argv, void *ctx)
{
    (void)ctx;
    bool help = false;
    for (int i = 1; i < argc && !help; i++)
        help = strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0;
    if (find_subcommand(argc, argv) < 0) {
        fputs(usage_volunteer, help ? stdout : stderr);
        return help ? 0 : EXIT_USAGE;
    }
    if (strcmp(argv[1], "help") == 0) {
        fputs(usage_volunteer, stdout);
        return 0;
    }
    const struct sub *sub = subs;
    while (sub->name && strcmp(sub->name, argv[1]) != 0)
        sub++;
    if (!sub->name) {
        fail("unknown volunteer subcommand '%s' (profile, trips, register, cancel, list, "
             "notices; see 'outreach-agent volunteer --help')", argv[1]);
        return EXIT_USAGE;
    }
    struct vopts o = {
        .broker = "tcp://127.0.0.1:1883", .root = TOPIC_ROOT_DEFAULT, .timeout_s = 10,
    };
    int rc = parse_args(sub, argc - 1, argv + 1, &o);
    if (rc)
        return rc > 0 ? 0 : EXIT_USAGE;
    return sub->run(&o);
}
