/* cmd_report.c -- outreach-agent report KIND and void N: check, save in the outbox, deliver. */
#include "commands.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compose.h"
#include "deliver.h"
#include "ids.h"
#include "jsonget.h"
#include "olog.h"
#include "report.h"
#include "timeutil.h"
#include "tripcards.h"

struct check_ctx {
    const char *agent_id, *kind;
    char err[JERR_MAX];
};

/* The same rules the coordinator applies, before anything is stored. */
static int check_payload(void *ctx, const char *payload)
{
    struct check_ctx *c = ctx;
    struct report r;
    struct jerr err = {{0}};
    enum reject_code code = report_decode(c->agent_id, c->kind, payload, strlen(payload), &r,
                                          &err);
    report_free(&r);
    if (code != RJ_NONE) {
        snprintf(c->err, sizeof c->err, "%s", err.msg);
        return -1;
    }
    return 0;
}

/* A report for a trip the device's cards do not know, or say is cancelled,
 * would be refused for good by the coordinator: refuse it before it is
 * saved. Returns 0 to go on, EXIT_REJECTED when refused, 1 on error. */
static int check_trip(struct outbox *ob, const char *trip, bool force)
{
    long long known = 0;
    switch (tripcards_check(ob, trip, &known)) {
    case TRIP_OK:
        return 0;
    case TRIP_ERROR:
        cli_fail("%s", "cannot read the trip cards in the outbox");
        return 1;
    case TRIP_NO_CARDS:
        fprintf(stderr, "outreach-agent: note: this device has no trip cards yet (it has "
                        "not been online); trip %s is not checked before saving\n", trip);
        return 0;
    case TRIP_CANCELLED:
        cli_fail("trip %s is cancelled (its trip card says so); nothing was saved", trip);
        agent_list_today(ob, stderr);
        return EXIT_REJECTED;
    case TRIP_UNKNOWN:
        break;
    }
    if (force) {
        fprintf(stderr, "outreach-agent: note: trip %s is not among this device's %lld trip "
                        "cards; saved anyway (--force-trip)\n", trip, known);
        return 0;
    }
    cli_fail("unknown trip '%s': this device has no trip card for it; nothing was saved", trip);
    agent_list_today(ob, stderr);
    fprintf(stderr, "  check --trip (or trip in the config), run 'outreach-agent sync' to "
                    "fetch the cards, or pass --force-trip to save it for a trip this device "
                    "has not heard of yet\n");
    return EXIT_REJECTED;
}

/* Saves a report of kind k for trip and delivers it (deliver.h). check:
 * refuse an unknown or cancelled trip first (force: save for an unknown one
 * anyway). Returns the exit status. */
static int save_and_deliver(const struct agent_config *cfg, const struct kind_spec *k,
                         const char *trip, cJSON *fields, bool check, bool force)
{
    int rc = 1;
    struct outbox *ob = NULL;
    struct outbox_entry e = {0};
    if (!(ob = agent_open_outbox(cfg)))
        goto done;
    if (check && (rc = check_trip(ob, trip, force)) != 0)
        goto done;
    rc = 1;
    char now[TU_TS_MAX];
    tu_format_ts(time(NULL), TU_SITE_OFFSET_MIN, now);
    struct check_ctx cc = {.agent_id = cfg->agent_id, .kind = k->kind};
    oerr_t pe = outbox_push(ob, k->kind, trip, fields, now, check_payload, &cc, &e);
    if (pe == OERR_REJECTED) {
        cli_fail("%s (nothing was saved)", cc.err);
        rc = EXIT_USAGE;
        goto done;
    }
    if (pe) {
        cli_fail("cannot save the report in the outbox: %s", oerr_str(pe));
        goto done;
    }
    char what[COMPOSE_DESCRIBE_MAX];
    char *safe = olog_escape_dup(compose_describe(k->kind, e.payload, 0, what, sizeof what));
    printf("saved %s report #%lld (%s) for trip %s: %s\n", k->kind, e.seq, e.msg_id, e.trip_id,
           safe ? safe : k->kind);
    free(safe);
    rc = deliver_report(cfg, ob, e.msg_id);
done:
    outbox_entry_clear(&e);
    outbox_close(ob);
    return rc;
}

static void report_help(void)
{
    printf("usage: outreach-agent report KIND [OPTIONS]\n\nkinds:\n");
    for (const struct kind_spec *k = compose_kinds; k->kind; k++)
        printf("  %-10s %s\n", k->kind, k->summary);
    printf("\nDepartment, destination, urgency, role and sex take the code or its\n"
           "Chinese or English name (--department 内科, Internal or internal).\n"
           "When this device has trip cards (from the daemon or sync), a report for\n"
           "a trip it does not know, or one that is cancelled, is refused before it\n"
           "is saved (exit 3); --force-trip saves it for a trip not heard of yet.\n");
}

/* Parses the options of a report of kind k (argv[0]: the kind): the common
 * ones, --trip, --force-trip and one per field of the kind, into cfg, fields
 * and *force; then checks what the report needs. Returns 0, -1 after --help
 * (printed), or EXIT_USAGE (said). */
static int parse_report(struct agent_config *cfg, const struct kind_spec *k, int argc,
                        char **argv, cJSON *fields, bool *force)
{
    struct option opts[AGENT_N_COMMON + 18];
    size_t n = 0;
    for (size_t i = 0; i < AGENT_N_COMMON; i++)
        opts[n++] = agent_common_opts[i];
    opts[n++] = (struct option){"trip", required_argument, NULL, O_TRIP};
    opts[n++] = (struct option){"force-trip", no_argument, NULL, O_FORCE_TRIP};
    for (int i = 0; k->fields[i].flag; i++)
        opts[n++] = (struct option){k->fields[i].flag, required_argument, NULL, O_FIELD + i};
    opts[n] = (struct option){NULL, 0, NULL, 0};

    char err[COMPOSE_ERR_MAX];
    int c, idx;
    argv[0] = (char *)"outreach-agent"; /* getopt names it in its messages */
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, &idx)) != -1) {
        int r = agent_common_option(cfg, c);
        if (r < 0)
            return EXIT_USAGE;
        if (r > 0)
            continue;
        if (c == O_HELP) {
            compose_help(k, stdout);
            printf("\n  --force-trip             save even for a trip this device has no "
                   "trip card for\n");
            return -1;
        }
        if (c == O_TRIP) {
            if (agentcfg_set(cfg, "trip", optarg))
                return EXIT_USAGE;
        } else if (c == O_FORCE_TRIP) {
            *force = true;
        } else if (c >= O_FIELD) {
            if (compose_set(k, fields, k->fields[c - O_FIELD].flag, optarg, err)) {
                cli_fail("%s", err);
                return EXIT_USAGE;
            }
        } else {
            fprintf(stderr, "(see 'outreach-agent report %s --help')\n", k->kind);
            return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        cli_fail("unexpected argument '%s'", argv[optind]);
        return EXIT_USAGE;
    }
    if (agent_check(cfg))
        return EXIT_USAGE;
    if (!cfg->trip) {
        cli_fail("%s", "which trip? pass --trip T or set trip in the config file");
        return EXIT_USAGE;
    }
    if (compose_check_required(k, fields, err)) {
        cli_fail("%s", err);
        return EXIT_USAGE;
    }
    return 0;
}

int cmd_report(int argc, char **argv, void *ctx)
{
    struct agent_config *cfg = ctx;
    cli_command_first(argc, argv, agent_with_value); /* the kind may follow options */
    if (argc < 2 || argv[1][0] == '-') {
        if (argc >= 2 && strcmp(argv[1], "--help") == 0) {
            report_help();
            return 0;
        }
        cli_fail("%s", "report needs a kind: headcount, dispense, referral, education, checkin "
                       "or void");
        return EXIT_USAGE;
    }
    const struct kind_spec *k = compose_kind(argv[1]);
    if (!k) {
        cli_fail("unknown report kind '%s' (headcount, dispense, referral, education, checkin, "
                 "void)", argv[1]);
        return EXIT_USAGE;
    }
    cJSON *fields = cJSON_CreateObject();
    bool force = false;
    int rc = parse_report(cfg, k, argc - 1, argv + 1, fields, &force);
    if (rc == 0)
        rc = save_and_deliver(cfg, k, cfg->trip, fields, true, force);
    cJSON_Delete(fields);
    return rc < 0 ? 0 : rc;
}

static const char usage_void[] =
    "usage: outreach-agent void N --reason TEXT [OPTIONS]\n\n"
    "Cancels entry number N of this outbox (the #N 'outreach-agent status' shows):\n"
    "saves a void report for it, which takes it out of the coordinator's totals,\n"
    "then sends it like any report. The entry stays in the outbox, marked as\n"
    "cancelled. N may also be the entry's msg_id.\n\n"
    "  --reason TEXT   why it no longer counts, e.g. 'entered twice' (required)\n\n"
    "Refused before anything is saved (exit 3): a number this outbox does not\n"
    "have, a void (a void cannot be voided), an entry already cancelled, and an\n"
    "entry the coordinator refused (it was never counted).\n"
    "See 'outreach-agent --help' for the options of every command.\n";

/* Refuses (EXIT_REJECTED) to void entry e when it cannot be; 0 when it can. */
static int refuse_void(const struct outbox_entry *e)
{
    char why[JERR_MAX + 200];
    if (!outbox_cannot_void(e, why, sizeof why))
        return 0;
    char *safe = olog_escape_dup(why); /* a refusal's reason may quote what was sent */
    cli_fail("%s; nothing was saved", safe ? safe : "this entry cannot be voided");
    free(safe);
    return EXIT_REJECTED;
}

/* Finds entry `which` (a number or a msg_id) and says why it cannot be
 * voided. Returns 0 with *e filled, or an exit status. */
static int void_target(struct outbox *ob, const char *which, struct outbox_entry *e)
{
    char *end;
    long long seq = strtoll(which, &end, 10);
    bool number = which[0] >= '0' && which[0] <= '9' && !*end;
    oerr_t g = number ? outbox_get_seq(ob, seq, e)
                      : id_is_uuid(which) ? outbox_get(ob, which, e) : OERR_INVAL;
    if (g == OERR_INVAL) {
        cli_fail("'%.60s' is neither an entry number (see 'outreach-agent status --all') nor a "
                 "msg_id", which);
        return EXIT_USAGE;
    }
    if (g == OERR_NOTFOUND) {
        struct outbox_counts c;
        long long last = outbox_counts(ob, &c) == OERR_OK ? c.last_seq : 0;
        cli_fail("no entry %s%s in this outbox (its entries are #1 to #%lld; see 'outreach-agent "
                 "status --all'); nothing was saved", number ? "#" : "", which, last);
        return EXIT_REJECTED;
    }
    if (g) {
        cli_fail("%s", "cannot read the outbox");
        return 1;
    }
    return refuse_void(e);
}

int cmd_void(int argc, char **argv, void *ctx)
{
    struct agent_config *cfg = ctx;
    struct cmd_flags f;
    int rc = agent_parse_cmd(cfg, argc, argv, usage_void, TAKES_REASON | TAKES_ARG, &f);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (!f.arg) {
        cli_fail("%s", "void needs the entry's number: 'outreach-agent void N --reason TEXT' (the "
                   "#N of 'outreach-agent status --all')");
        return EXIT_USAGE;
    }
    if (!f.reason || !f.reason[0]) {
        cli_fail("%s", "--reason is required: say why the entry no longer counts, e.g. --reason "
                   "'entered twice'");
        return EXIT_USAGE;
    }
    struct outbox *ob = agent_open_outbox(cfg);
    if (!ob)
        return 1;
    struct outbox_entry target = {0};
    rc = void_target(ob, f.arg, &target);
    outbox_close(ob); /* save_and_deliver opens its own */
    if (rc) {
        outbox_entry_clear(&target);
        return rc;
    }
    const struct kind_spec *k = compose_kind("void");
    cJSON *fields = cJSON_CreateObject();
    char err[COMPOSE_ERR_MAX];
    if (compose_set(k, fields, "msg-id", target.msg_id, err) ||
        compose_set(k, fields, "reason", f.reason, err) || compose_check_required(k, fields, err)) {
        cli_fail("%s", err);
        rc = EXIT_USAGE;
    } else {
        char what[COMPOSE_DESCRIBE_MAX];
        char *safe = olog_escape_dup(compose_describe(target.kind, target.payload, 0, what,
                                                      sizeof what));
        printf("cancelling entry #%lld: %s\n", target.seq, safe ? safe : target.kind);
        free(safe);
        /* The void belongs to its target's trip; the coordinator judges it there. */
        rc = save_and_deliver(cfg, k, target.trip_id, fields, false, false);
    }
    cJSON_Delete(fields);
    outbox_entry_clear(&target);
    return rc;
}

