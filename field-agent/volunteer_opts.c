/* volunteer_opts.c -- the options of "outreach-agent volunteer": those of
 * every subcommand, each subcommand's own, and the rules of each value. */
#include "volunteer_priv.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "ids.h"
#include "mqtls.h"
#include "report.h"

#define PHONE_MAX_BYTES 64
#define TEXT_MAX_BYTES JTEXT_MAX_BYTES

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
        cli_fail("%s: '%s' is not a whole number of seconds from %d to %d", flag, s, min, max);
        return -1;
    }
    *out = (int)v;
    return 0;
}

int vol_parse_role(const char *flag, const char *s)
{
    int i = enum_index(role_names, s);
    if (i < 0) {
        char list[200];
        cli_fail("%s: '%s' is not a role; use one of %s", flag, s,
                 enum_join(role_names, list, sizeof list));
    }
    return i;
}

unsigned vol_parse_roles(const char *roles)
{
    char buf[512], *save = NULL;
    unsigned set = 0;
    if (strlen(roles) >= sizeof buf) {
        cli_fail("%s", "--roles: too long");
        return 0;
    }
    snprintf(buf, sizeof buf, "%s", roles);
    for (char *tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
        int i = vol_parse_role("--roles", tok);
        if (i < 0)
            return 0;
        set |= 1u << i;
    }
    if (!set) {
        char list[200];
        cli_fail("--roles: name at least one role (%s)", enum_join(role_names, list, sizeof list));
    }
    return set;
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
        cli_fail("--name: '%s' %s (at most %d bytes)", o->name, why, TEXT_MAX_BYTES);
        return -1;
    }
    if (o->phone && (why = text_problem(o->phone, PHONE_MAX_BYTES))) {
        cli_fail("--phone: the number given %s (at most %d bytes)", why, PHONE_MAX_BYTES);
        return -1;
    }
    if (o->organization && (why = text_problem(o->organization, TEXT_MAX_BYTES))) {
        cli_fail("--organization: '%s' %s (at most %d bytes)", o->organization, why,
                 TEXT_MAX_BYTES);
        return -1;
    }
    if (o->request_id && ((why = text_problem(o->request_id, 4 * 64)) ||
                          utf8_chars(o->request_id) > 64)) {
        cli_fail("--request-id: '%s' %s (1 to 64 characters)", o->request_id,
                 why ? why : "is too long");
        return -1;
    }
    return 0;
}

/* What every subcommand needs (its own needs are checked by its handler). */
static int check_options(const struct vol_spec *spec, const struct vopts *o)
{
    if (!o->id) {
        cli_fail("%s", "no volunteer id: pass --volunteer-id ID");
        return -1;
    }
    if (!id_is_agent(o->id)) {
        cli_fail("--volunteer-id: '%s' must be 1 to 64 of a-z, 0-9, '_' and '-', starting with "
                 "a letter or digit", o->id);
        return -1;
    }
    if (!root_ok(o->root)) {
        cli_fail("--topic-root: '%s' must be topic levels without '+', '#' or empty levels "
                 "(e.g. outreach/v1)", o->root);
        return -1;
    }
    if (check_texts(o) || cli_check_tls_usage(o->broker, &o->tls))
        return -1;
    if (spec->npos && !id_is_code(o->trip_id)) {
        cli_fail("'%s' is not a trip id (1 to 64 of A-Z, a-z, 0-9, '.', '_' and '-', starting "
                 "with a letter or digit)", o->trip_id);
        return -1;
    }
    return 0;
}

int vol_parse(const struct vol_spec *spec, int argc, char **argv, struct vopts *o)
{
    struct option opts[N_COMMON + N_SUB + 1];
    size_t n = 0;
    const char *sub = argv[0];
    *o = (struct vopts){
        .broker = "tcp://127.0.0.1:1883", .root = TOPIC_ROOT_DEFAULT, .timeout_s = 10,
    };
    for (size_t i = 0; i < N_COMMON; i++)
        opts[n++] = common_opts[i];
    for (size_t i = 0; i < N_SUB; i++)
        if (spec->opts & VOL_BIT(sub_opts[i].val))
            opts[n++] = sub_opts[i];
    opts[n] = (struct option){NULL, 0, NULL, 0};
    argv[0] = (char *)"outreach-agent volunteer"; /* getopt names it in its messages */
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == V_HELP) {
            fputs(spec->usage, stdout);
            return -1;
        }
        if (c == '?' || c == ':') {
            fprintf(stderr, "(see 'outreach-agent volunteer %s --help')\n", sub);
            return EXIT_USAGE;
        }
        if (take_option(c, o))
            return EXIT_USAGE;
    }
    int npos = argc - optind;
    if (npos < spec->npos) {
        cli_fail("%s needs a trip id (see 'outreach-agent volunteer %s --help')", sub, sub);
        return EXIT_USAGE;
    }
    if (npos > spec->npos) {
        cli_fail("unexpected argument '%s'", argv[optind + spec->npos]);
        return EXIT_USAGE;
    }
    if (spec->npos)
        o->trip_id = argv[optind];
    return check_options(spec, o) ? EXIT_USAGE : 0;
}
