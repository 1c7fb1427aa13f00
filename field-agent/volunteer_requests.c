/* volunteer_requests.c -- the volunteer subcommands that ask the
 * coordinator: profile, register, cancel, list. */
#include "volunteer_priv.h"

#include <string.h>

#include "report.h"

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

/* Sends req (NULL when it could not be made: said already) and deletes it.
 * Returns vol_exchange's status, with *reply to print and delete or NULL. */
static int ask(const struct vopts *o, cJSON *req, cJSON **reply)
{
    *reply = NULL;
    if (!req)
        return 1;
    int rc = vol_exchange(o, req, reply);
    cJSON_Delete(req);
    return rc;
}

/* A request op about the trip of the command line. */
static cJSON *trip_request(const struct vopts *o, const char *op)
{
    cJSON *req = cli_request_new(o->request_id, op);
    if (req)
        cJSON_AddStringToObject(req, "trip_id", o->trip_id);
    return req;
}

static int set_profile(const struct vopts *o, unsigned role_set)
{
    cJSON *req = cli_request_new(o->request_id, "profile.set");
    if (!req)
        return 1;
    cJSON_AddStringToObject(req, "name", o->name);
    cJSON_AddStringToObject(req, "phone", o->phone);
    if (o->organization)
        cJSON_AddStringToObject(req, "organization", o->organization);
    cJSON *roles = cJSON_AddArrayToObject(req, "roles");
    char list[256] = "";
    for (int i = 0; role_names[i]; i++) {
        if (!(role_set & (1u << i)))
            continue;
        cJSON_AddItemToArray(roles, cJSON_CreateString(role_names[i]));
        size_t used = strlen(list);
        snprintf(list + used, sizeof list - used, "%s%s", used ? ", " : "", role_names[i]);
    }
    cJSON *reply;
    int rc = ask(o, req, &reply);
    if (reply)
        printf("profile saved for %s: roles %s\n", o->id, list);
    cJSON_Delete(reply);
    return rc;
}

static int take_place(const struct vopts *o)
{
    cJSON *req = trip_request(o, "trip.register"), *reply;
    if (req)
        cJSON_AddStringToObject(req, "role", o->role);
    int rc = ask(o, req, &reply);
    if (!reply)
        return rc;
    const char *state = cli_jstr(reply, "state");
    long long pos = vol_jnum(reply, "position", -1);
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

static int give_up(const struct vopts *o)
{
    cJSON *reply;
    int rc = ask(o, trip_request(o, "trip.cancel"), &reply);
    if (reply)
        printf("cancelled your place on trip %s\n", o->trip_id);
    cJSON_Delete(reply);
    return rc;
}

/* "wait-listed #3", "trip cancelled", ... into buf. */
static const char *state_text(const cJSON *reg, char *buf, size_t n)
{
    const char *state = cli_jstr(reg, "state");
    long long pos = vol_jnum(reg, "position", -1);
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

static int list_registrations(const struct vopts *o)
{
    cJSON *reply;
    int rc = ask(o, cli_request_new(o->request_id, "registrations.list"), &reply);
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
        const char *t = cli_jstr(g, "trip_id"), *r = cli_jstr(g, "role");
        int lt = t ? (int)strlen(t) : 1, lr = r ? (int)strlen(r) : 1;
        int ls = (int)strlen(state_text(g, st, sizeof st));
        wt = lt > wt ? lt : wt;
        wr = lr > wr ? lr : wr;
        ws = ls > ws ? ls : ws;
    }
    printf("%-10s  %-*s  %-*s  %-*s  %s\n", "DATE", wt, "TRIP", wr, "ROLE", ws, "STATE", "TITLE");
    cJSON_ArrayForEach(g, regs) {
        const char *date = cli_jstr(g, "date"), *t = cli_jstr(g, "trip_id");
        const char *r = cli_jstr(g, "role");
        const char *title = cli_jstr(g, "title"), *ts = cli_jstr(g, "trip_status");
        printf("%-10s  %-*s  %-*s  %-*s  %s", date ? date : "-", wt, t ? t : "?", wr,
               r ? r : "?", ws, state_text(g, st, sizeof st), title ? title : "");
        if (ts && strcmp(ts, "planned") != 0)
            printf(" [trip %s]", ts);
        putchar('\n');
    }
    cJSON_Delete(reply);
    return 0;
}


/* ---- the handlers: options, then the request ------------------------------ */

#define REQUEST_OPTS (VOL_BIT(V_REQID) | VOL_BIT(V_JSON))

int vol_profile(int argc, char **argv, void *ctx)
{
    static const struct vol_spec spec = {
        usage_profile, VOL_BIT(V_NAME) | VOL_BIT(V_PHONE) | VOL_BIT(V_ORG) | VOL_BIT(V_ROLES) |
        REQUEST_OPTS, 0};
    struct vopts o;
    (void)ctx;
    int rc = vol_parse(&spec, argc, argv, &o);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (!o.name || !o.phone || !o.roles) {
        cli_fail("profile needs --name, --phone and --roles (see 'outreach-agent volunteer "
                 "profile --help')");
        return EXIT_USAGE;
    }
    unsigned role_set = vol_parse_roles(o.roles);
    return role_set ? set_profile(&o, role_set) : EXIT_USAGE;
}

int vol_register(int argc, char **argv, void *ctx)
{
    static const struct vol_spec spec = {usage_register, VOL_BIT(V_ROLE) | REQUEST_OPTS, 1};
    struct vopts o;
    (void)ctx;
    int rc = vol_parse(&spec, argc, argv, &o);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (!o.role) {
        cli_fail("%s", "register needs --role R (doctor, nurse, pharmacist, technician, "
                       "health_promoter or support)");
        return EXIT_USAGE;
    }
    return vol_parse_role("--role", o.role) < 0 ? EXIT_USAGE : take_place(&o);
}

int vol_cancel(int argc, char **argv, void *ctx)
{
    static const struct vol_spec spec = {usage_cancel, REQUEST_OPTS, 1};
    struct vopts o;
    (void)ctx;
    int rc = vol_parse(&spec, argc, argv, &o);
    return rc ? (rc < 0 ? 0 : rc) : give_up(&o);
}

int vol_list(int argc, char **argv, void *ctx)
{
    static const struct vol_spec spec = {usage_list, REQUEST_OPTS, 0};
    struct vopts o;
    (void)ctx;
    int rc = vol_parse(&spec, argc, argv, &o);
    return rc ? (rc < 0 ? 0 : rc) : list_registrations(&o);
}
