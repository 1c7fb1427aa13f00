/* cli.h -- the command-line kit of both programs: command tables with the
 * usage generated from them, one dispatcher, the exit statuses, messages to
 * people, and one request/reply client for admin and volunteer requests. */
#ifndef OUTREACH_CLI_H
#define OUTREACH_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "mq.h"
#include "mqrr.h"

/* ---- exit statuses: every command of both programs ---------------------- */

/* 0 done; 1 any other failure (no broker, no reply, no store) */
#define EXIT_USAGE 2   /* bad usage or invalid input: nothing was sent or saved */
#define EXIT_REFUSED 3 /* refused by the coordinator (or, by the agent, before saving) */
#define EXIT_REJECTED EXIT_REFUSED /* the field agent's word for it */

/* ---- command tables ------------------------------------------------------ */

/* What a command needs set up before its handler runs: struct cli_prog's
 * setup and teardown get the command and decide (the programs load the
 * config for CLI_NEED_CONFIG; a handler opens its store or broker after
 * parsing its own options). The usage does not show them. */
enum cli_need {
    CLI_NEED_CONFIG = 1u << 0, /* the program's config (defaults, --config FILE) */
    CLI_NEED_STORE = 1u << 1,  /* a store (opened by the handler after its options) */
    CLI_NEED_BROKER = 1u << 2, /* a broker connection (MQTT options) */
};

struct cli_cmd {
    const char *name; /* the command word */
    const char *args; /* shown after the name in the usage ("KIND"), or NULL */
    /* argv[0] is the command word; returns the exit status. ctx is the one
     * given to cli_dispatch. */
    int (*run)(int argc, char **argv, void *ctx);
    unsigned needs;      /* enum cli_need bits */
    const char *summary; /* one line for the usage; a '\n' goes on aligned */
};

struct cli_prog {
    const char *name;    /* prefix of messages: "outreach-coordinator" */
    const char *version; /* --version prints "NAME VERSION"; NULL: no --version */
    const char *head;    /* the usage before the command list */
    const char *tail;    /* the usage after it */
    int column;          /* where summaries start; 0: three past the longest name */
    /* An unknown command word: "NAME: unknown NOUN 'X'" then, when see is
     * NULL, the usage; else " (a, b, c; see SEE)" listing the table. */
    const char *noun; /* NULL: "command" */
    const char *see;
    const struct cli_cmd *cmds; /* ends with a row whose name is NULL */
    /* Optional: prepare what cmd->needs says before the handler (e.g. load
     * the config); returns 0 or an exit status, which then ends the command
     * (teardown still runs). teardown undoes setup (and whatever the handler
     * left in ctx, e.g. an opened store). */
    int (*setup)(const struct cli_cmd *cmd, int argc, char **argv, void *ctx);
    void (*teardown)(const struct cli_cmd *cmd, void *ctx);
};

/* Writes the usage: head, one line per command (name, args, summary), tail. */
void cli_usage(const struct cli_prog *p, FILE *f);

/* The command named name, or NULL. */
const struct cli_cmd *cli_find(const struct cli_prog *p, const char *name);

/* argv[1] is the command word (argv[0] the program or the parent command).
 * No word: the usage on stderr, EXIT_USAGE. "--help", "-h", "help": the
 * usage on stdout, 0. "--version" (when p->version): "NAME VERSION", 0. An
 * unknown word: a message, EXIT_USAGE. Else setup, the handler with
 * (argc - 1, argv + 1, ctx), teardown; returns the handler's status. Sets
 * the name cli_fail prints (cli_progname). */
int cli_dispatch(const struct cli_prog *p, int argc, char **argv, void *ctx);

/* Moves the first word that is not an option (nor an option's value: the
 * options in with_value, NULL-terminated, take one) to argv[1]; the options
 * before it follow it, in order, where getopt still finds them. Returns 0;
 * 1 when --help, -h or --version comes before any word (it is moved to
 * argv[1] instead); -1 when there is no word. */
int cli_command_first(int argc, char **argv, const char *const *with_value);

/* ---- messages to people --------------------------------------------------- */

/* The program name messages start with; cli_dispatch sets it. */
void cli_set_progname(const char *name);
const char *cli_progname(void);

/* "NAME: message\n" on stderr. */
void cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The command a usage text is about: the lower-case words after "usage: "
 * up to the first option or argument ("usage: prog trip show ID ..." ->
 * "prog trip show") into buf; its length, 0 when usage has none. */
size_t cli_usage_command(const char *usage, char *buf, size_t size);

/* "try 'COMMAND --help'" on stderr (after getopt's own message); returns
 * EXIT_USAGE. */
int cli_usage_try(const char *usage);

/* "NAME: message\n" then "try 'COMMAND --help'" (COMMAND from usage's first
 * line, cli_usage_command; the program name when it has none) on stderr, not
 * the whole usage; returns EXIT_USAGE. */
int cli_usage_error(const char *usage, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The word for n things: one when n is 1, else many ("1 village",
 * "2 villages", "0 villages"). */
const char *cli_plural(long long n, const char *one, const char *many);

/* "NAME: out of memory" and exit(1). For command-line tools only: a
 * library returns its error instead. */
__attribute__((noreturn)) void cli_oom(void);

/* mq_tls_check_usage (a TLS option with a plain tcp:// broker): prints why
 * and returns EXIT_USAGE, or 0 when the options fit. */
int cli_check_tls_usage(const char *broker, const struct mq_tls *tls);

/* root + "/" + the formatted rest into buf[TOPIC_MAX]; when it does not fit
 * prints "--topic-root is too long" and returns EXIT_USAGE, else 0. */
int cli_topic(char *buf, const char *root, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- request/reply with the coordinator ------------------------------------ */

#define CLI_CLIENT_ID_MAX 96

/* The client id of a command-line tool: the broker takes from an account
 * only USERNAME or USERNAME.SUFFIX. stable: "USERNAME.cli", the same at
 * every run so that a kept session is found again; else "USERNAME.cli-PID",
 * so that two runs at once do not take over each other's connection.
 * username must not be NULL (the tools default it before). */
void cli_client_id(char buf[CLI_CLIENT_ID_MAX], const char *username, bool stable);

/* How a tool reaches the broker and talks to the coordinator. Strings are
 * borrowed (argv, static text); the caller fills the first part. */
struct cli_client {
    const char *broker, *username, *password_file;
    const char *user_flag; /* the option that set username, for hints: "--username" */
    const struct mq_tls *tls;
    int timeout_s; /* to connect, and for each reply */
    /* A session kept 7 days under the stable client id (the volunteer's
     * notices wait at the broker for the next run); else a clean one. */
    bool keep_session;
    const char *no_reply_hint; /* after "no reply ... within N s ": "(is it running?)" */
    const char *denied_hint;   /* shown when the broker says Not authorized; or NULL */
    bool repeat_hint;          /* after a lost reply: how to repeat with --request-id */
    /* Each message that answers none of our requests (a notice, a late
     * reply), when the session ends; NULL: dropped. */
    void (*on_message)(void *arg, const struct mqrr_msg *m);
    void *arg;
    /* set by cli_connect */
    struct mqrr *r;
    char client_id[CLI_CLIENT_ID_MAX];
};

/* Connects (the client id from cli_client_id) and subscribes to reply_topic.
 * Returns 0, or the exit status after saying why not (1: no broker, login
 * refused, password file unreadable). */
int cli_connect(struct cli_client *c, const char *reply_topic);

/* Gives the queued messages to on_message. */
void cli_drain(struct cli_client *c);

/* Disconnects, gives what came meanwhile to on_message (nothing more can
 * come), frees the connection. Returns 0, or -1 with err when the
 * connection had been lost before (messages may have been missed). Safe
 * when not connected. */
int cli_disconnect(struct cli_client *c, char err[MQ_ERR_MAX]);

/* A request object {"request_id": request_id or a fresh UUID, "op": op},
 * for the caller to add to and cJSON_Delete. NULL after a message. */
cJSON *cli_request_new(const char *request_id, const char *op);

/* Replies as JSON (--json): the reply is printed as one JSON line on stdout
 * whatever "ok" says, without any "phone" member. */
#define CLI_REPLY_JSON 1u

/* Connects, sends req (which has "request_id") on topic with Response
 * Topic reply_topic, waits for its reply, disconnects (cli_disconnect), and
 * reads the reply. Returns:
 *   0 with *reply, the reply object ("ok": true), its texts escaped for a
 *     terminal (olog_escape), for the caller to print and cJSON_Delete
 *     (NULL with CLI_REPLY_JSON: printed already);
 *   EXIT_REFUSED after printing "refused (CODE): REASON" on stderr;
 *   1 after saying why no reply came or why it is unreadable;
 *   or cli_connect's status. */
int cli_exchange(struct cli_client *c, const char *reply_topic, const char *topic,
                 const cJSON *req, unsigned flags, cJSON **reply);

/* Makes the strings of j (keys and values, however deep) safe to print:
 * values escaped as in the logs (olog_escape), control characters in keys
 * replaced by '?'. */
void cli_scrub(cJSON *j);

/* The string member name of o, or NULL. */
const char *cli_jstr(const cJSON *o, const char *name);

#endif
