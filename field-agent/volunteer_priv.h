/* volunteer_priv.h -- what the files of "outreach-agent volunteer" share:
 * the options (volunteer_opts.c), the connection and request/reply through
 * the CLI kit (volunteer_session.c), the notices (volunteer_notices.c), and
 * one handler per subcommand (volunteer_requests.c, volunteer_trips.c). */
#ifndef OUTREACH_VOLUNTEER_PRIV_H
#define OUTREACH_VOLUNTEER_PRIV_H

#include <stdbool.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "jsonget.h"
#include "mq.h"
#include "mqrr.h"
#include "topics.h"

/* getopt_long codes: the options of every subcommand, then those a
 * subcommand may take (VOL_BIT() of them in struct vol_spec). */
enum {
    V_BROKER = 2000, V_ID, V_PWFILE, V_ROOT, V_TIMEOUT, V_HELP,
    V_NAME, V_PHONE, V_ORG, V_ROLES, V_ROLE, V_REQID, V_JSON, V_ALL, V_WAIT,
};
#define VOL_BIT(code) (1u << ((code) - V_NAME))

/* What a subcommand takes besides the options of every subcommand. */
struct vol_spec {
    const char *usage; /* its --help */
    unsigned opts;     /* VOL_BIT() of its own options */
    int npos;          /* positional arguments: 0, or 1 (TRIP_ID) */
};

struct vopts {
    const char *broker, *id, *password_file, *root, *request_id;
    const char *name, *phone, *organization, *roles, *role;
    const char *trip_id; /* the positional argument of register and cancel */
    int timeout_s, wait_s;
    bool json, all;
    struct mq_tls tls; /* for an ssl:// broker; points into argv */
};

/* Parses argv (argv[0]: the subcommand) as spec says into o (defaults
 * first), and checks every option. Returns 0, -1 after --help (printed), or
 * EXIT_USAGE (said). */
int vol_parse(const struct vol_spec *spec, int argc, char **argv, struct vopts *o);
/* The index in role_names of s, the value of flag; -1 when not a role (said). */
int vol_parse_role(const char *flag, const char *s);
/* --roles doctor,nurse as bits (bit i: role_names[i]); 0 when bad (said). */
unsigned vol_parse_roles(const char *roles);

/* A volunteer's connection: the kit's client with the volunteer's topics,
 * and where its notices are printed. */
struct session {
    const struct vopts *o;
    struct cli_client c;
    char requests[TOPIC_MAX], replies[TOPIC_MAX];
    FILE *notice_out; /* stderr, except for 'notices' itself */
    int notices;      /* printed so far */
};

/* Connects as o says, keeping the 7-day session. Returns 0 or the exit
 * status (said). */
int session_open(struct session *s, const struct vopts *o, FILE *notice_out);
/* Disconnects and prints what came meanwhile. Returns 0, or -1 with err when
 * the connection had been lost before. */
int session_end(struct session *s, char err[MQ_ERR_MAX]);
/* Sends req on the volunteer's requests topic and reads the reply
 * (cli_exchange): 0 with *out (scrubbed, ok) for the caller to print and
 * cJSON_Delete, or the exit status with *out NULL (printed already). */
int vol_exchange(const struct vopts *o, const cJSON *req, cJSON **out);

/* A message on the session that answers none of our requests: a notice, or
 * a late reply; printed. */
void vol_show_message(struct session *s, const struct mqrr_msg *m);
/* The JSON object in payload (bounded depth), or NULL with je. */
cJSON *vol_parse_message(const char *payload, size_t len, struct jerr *je);
/* The number member k of o, or dflt. */
long long vol_jnum(const cJSON *o, const char *k, long long dflt);

/* The subcommands (common/cli.h handlers; ctx unused). */
int vol_profile(int argc, char **argv, void *ctx);
int vol_trips(int argc, char **argv, void *ctx);
int vol_register(int argc, char **argv, void *ctx);
int vol_cancel(int argc, char **argv, void *ctx);
int vol_list(int argc, char **argv, void *ctx);
int vol_notices(int argc, char **argv, void *ctx);

#endif
