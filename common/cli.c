/* cli.c -- the command-line kit: command tables, usage, dispatch, messages,
 * and the request/reply client both programs use to ask the coordinator. */
#include "cli.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ids.h"
#include "jsonget.h"
#include "mqtls.h"
#include "olog.h"
#include "topics.h"

#define SESSION_KEPT_S (7u * 24 * 3600) /* notices wait this long at the broker */
#define REPLY_DEPTH_MAX 16              /* nesting of any reply we read */

static const char *progname = "outreach";

void cli_set_progname(const char *name) { progname = name; }
const char *cli_progname(void) { return progname; }

void cli_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", progname);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

size_t cli_usage_command(const char *usage, char *buf, size_t size)
{
    const char *p = usage && strncmp(usage, "usage: ", 7) == 0 ? usage + 7 : "";
    size_t n = 0;
    while (*p) {
        size_t w = strcspn(p, " \n");
        bool word = w > 0 && p[0] >= 'a' && p[0] <= 'z' && strspn(p, "abcdefghijklmnopqrstuvwxyz-") >= w;
        if (!word || n + (n ? 1 : 0) + w >= size)
            break;
        if (n)
            buf[n++] = ' ';
        memcpy(buf + n, p, w);
        n += w;
        p += w;
        if (*p != ' ')
            break;
        p++;
    }
    if (size)
        buf[n] = '\0';
    return n;
}

int cli_usage_try(const char *usage)
{
    char cmd[128];
    if (cli_usage_command(usage, cmd, sizeof cmd) == 0)
        snprintf(cmd, sizeof cmd, "%s", progname);
    fprintf(stderr, "try '%s --help'\n", cmd);
    return EXIT_USAGE;
}

int cli_usage_error(const char *usage, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", progname);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return cli_usage_try(usage);
}

const char *cli_plural(long long n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

void cli_oom(void)
{
    fprintf(stderr, "%s: out of memory\n", progname);
    exit(1);
}

int cli_check_tls_usage(const char *broker, const struct mq_tls *tls)
{
    char err[MQ_ERR_MAX];
    if (mq_tls_check_usage(broker, tls, err)) {
        cli_fail("%s", err);
        return EXIT_USAGE;
    }
    return 0;
}

int cli_topic(char *buf, const char *root, const char *fmt, ...)
{
    char rest[TOPIC_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(rest, sizeof rest, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof rest || topic_fmt(buf, TOPIC_MAX, root, "%s", rest)) {
        cli_fail("%s", "--topic-root is too long");
        return EXIT_USAGE;
    }
    return 0;
}

/* ---- command tables ------------------------------------------------------ */

static size_t label_len(const struct cli_cmd *c)
{
    return strlen(c->name) + (c->args ? 1 + strlen(c->args) : 0);
}

void cli_usage(const struct cli_prog *p, FILE *f)
{
    size_t longest = 0;
    for (const struct cli_cmd *c = p->cmds; c->name; c++)
        if (label_len(c) > longest)
            longest = label_len(c);
    size_t column = p->column > 0 ? (size_t)p->column : 2 + longest + 3;
    if (p->head)
        fputs(p->head, f);
    for (const struct cli_cmd *c = p->cmds; c->name; c++) {
        size_t used = 2 + label_len(c);
        fprintf(f, "  %s%s%s", c->name, c->args ? " " : "", c->args ? c->args : "");
        for (size_t i = 0; i < (used < column ? column - used : 1); i++)
            fputc(' ', f);
        for (const char *s = c->summary ? c->summary : ""; *s; s++) {
            fputc(*s, f);
            if (*s == '\n' && s[1])
                fprintf(f, "%*s", (int)column, "");
        }
        fputc('\n', f);
    }
    if (p->tail)
        fputs(p->tail, f);
}

const struct cli_cmd *cli_find(const struct cli_prog *p, const char *name)
{
    for (const struct cli_cmd *c = p->cmds; c->name; c++)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}

static void unknown(const struct cli_prog *p, const char *word)
{
    fprintf(stderr, "%s: unknown %s '%s'", p->name, p->noun ? p->noun : "command", word);
    if (!p->see) {
        fputc('\n', stderr);
        cli_usage(p, stderr);
        return;
    }
    fputs(" (", stderr);
    for (const struct cli_cmd *c = p->cmds; c->name; c++)
        fprintf(stderr, "%s%s", c == p->cmds ? "" : ", ", c->name);
    fprintf(stderr, "; see %s)\n", p->see);
}

int cli_dispatch(const struct cli_prog *p, int argc, char **argv, void *ctx)
{
    cli_set_progname(p->name);
    if (argc < 2) {
        cli_usage(p, stderr);
        return EXIT_USAGE;
    }
    const char *word = argv[1];
    if (strcmp(word, "--help") == 0 || strcmp(word, "-h") == 0 || strcmp(word, "help") == 0) {
        cli_usage(p, stdout);
        return 0;
    }
    if (p->version && strcmp(word, "--version") == 0) {
        printf("%s %s\n", p->name, p->version);
        return 0;
    }
    const struct cli_cmd *c = cli_find(p, word);
    if (!c) {
        unknown(p, word);
        return EXIT_USAGE;
    }
    int rc = p->setup ? p->setup(c, argc - 1, argv + 1, ctx) : 0;
    if (!rc)
        rc = c->run(argc - 1, argv + 1, ctx);
    if (p->teardown)
        p->teardown(c, ctx);
    return rc;
}

int cli_command_first(int argc, char **argv, const char *const *with_value)
{
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] != '-') {
            /* Rotate argv[1..i] right by one: the word first, then the
             * options that preceded it, in their order. */
            char *word = argv[i];
            memmove(&argv[2], &argv[1], (size_t)(i - 1) * sizeof *argv);
            argv[1] = word;
            return 0;
        }
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0 ||
            strcmp(argv[i], "--version") == 0) {
            char *flag = argv[i];
            argv[i] = argv[1];
            argv[1] = flag;
            return 1;
        }
        for (int k = 0; with_value && with_value[k]; k++)
            if (strcmp(argv[i], with_value[k]) == 0) {
                i++;
                break;
            }
    }
    return -1;
}

/* ---- request/reply --------------------------------------------------------- */

void cli_client_id(char buf[CLI_CLIENT_ID_MAX], const char *username, bool stable)
{
    if (stable)
        snprintf(buf, CLI_CLIENT_ID_MAX, "%s.cli", username);
    else
        snprintf(buf, CLI_CLIENT_ID_MAX, "%s.cli-%ld", username, (long)getpid());
}

const char *cli_jstr(const cJSON *o, const char *name)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(x) ? x->valuestring : NULL;
}

void cli_scrub(cJSON *j)
{
    for (; j; j = j->next) {
        for (char *p = j->string; p && *p; p++)
            if ((unsigned char)*p < 0x20 || *p == 0x7f)
                *p = '?';
        /* Values (a refusal's reason, a title) are shown escaped as in the
         * coordinator's log: C0, C1, bidi controls made visible. */
        char *shown = cJSON_IsString(j) ? olog_escape_dup(j->valuestring) : NULL;
        if (cJSON_IsString(j) && (!shown || (strcmp(shown, j->valuestring) != 0 &&
                                             !cJSON_SetValuestring(j, shown))))
            j->valuestring[0] = '\0'; /* out of memory: show nothing rather than raw */
        free(shown);
        cli_scrub(j->child);
    }
}

/* Drops every "phone" member, however deep: a reply printed as JSON must
 * never show a phone number. */
static void drop_phone(cJSON *j)
{
    for (; j; j = j->next) {
        if (cJSON_IsObject(j))
            cJSON_DeleteItemFromObjectCaseSensitive(j, "phone");
        drop_phone(j->child);
    }
}

int cli_connect(struct cli_client *c, const char *reply_topic)
{
    char err[MQ_ERR_MAX];
    char *password = NULL;
    if (c->password_file && !(password = mq_read_secret(c->password_file, err))) {
        cli_fail("%s", err);
        return 1;
    }
    cli_client_id(c->client_id, c->username, c->keep_session);
    struct mq_conn_opts o = {
        .username = c->username, .password = password,
        .clean_start = !c->keep_session, .session_expiry_s = c->keep_session ? SESSION_KEPT_S : 0,
        .keepalive_s = 30, .max_inflight = 10, .auto_reconnect = false, .tls = c->tls,
    };
    int rc = mqrr_open(&c->r, c->broker, c->client_id, &o, reply_topic, c->timeout_s * 1000, err);
    if (password) {
        explicit_bzero(password, strlen(password));
        free(password);
    }
    if (rc) {
        cli_fail("cannot connect to the broker at %s as %s: %s", c->broker, c->username, err);
        const char *flag = c->user_flag ? c->user_flag : "--username";
        if (!strstr(err, "refused user") && !strstr(err, "CONNACK"))
            ; /* not the login */
        else if (!c->password_file)
            fprintf(stderr, "(no password was given: add --password-file FILE, a file holding "
                    "the MQTT password of %s, or %s with the account whose password you have)\n",
                    c->username, flag);
        else
            fprintf(stderr, "(check that %s holds the MQTT password of %s, and that %s names "
                    "the account it belongs to)\n", c->password_file, c->username, flag);
        return 1;
    }
    return 0;
}

void cli_drain(struct cli_client *c)
{
    struct mqrr_msg m;
    while (c->r && mqrr_next(c->r, 0, &m)) {
        if (c->on_message)
            c->on_message(c->arg, &m);
        mqrr_msg_free(&m);
    }
}

int cli_disconnect(struct cli_client *c, char err[MQ_ERR_MAX])
{
    if (!c->r)
        return 0;
    int rc = mqrr_disconnect(c->r, 2000, err);
    cli_drain(c);
    mqrr_close(&c->r);
    return rc;
}

cJSON *cli_request_new(const char *request_id, const char *op)
{
    char uuid[UUID_LEN + 1];
    if (!request_id) {
        if (id_new_uuid(uuid)) {
            cli_fail("%s", "cannot make a request_id: no random bytes");
            return NULL;
        }
        request_id = uuid;
    }
    cJSON *req = cJSON_CreateObject();
    if (!req || !cJSON_AddStringToObject(req, "request_id", request_id) ||
        !cJSON_AddStringToObject(req, "op", op)) {
        cJSON_Delete(req);
        cli_fail("%s", "out of memory");
        return NULL;
    }
    return req;
}

static void explain_no_reply(const struct cli_client *c, const char *rid, const char *err)
{
    bool timeout = strncmp(err, "no reply", 8) == 0;
    if (timeout)
        cli_fail("no reply from the coordinator within %d s %s", c->timeout_s,
                 c->no_reply_hint ? c->no_reply_hint : "(is it running?)");
    else
        cli_fail("request %s not answered: %s", rid, err);
    if (strstr(err, "Not authorized")) {
        if (c->denied_hint)
            fprintf(stderr, "%s\n", c->denied_hint);
        return; /* the broker dropped it: nothing can have happened */
    }
    /* Sent, perhaps carried out: the same request_id is safe to send again. */
    if (c->repeat_hint && (timeout || strstr(err, "lost")))
        fprintf(stderr, "the request may still be carried out; to repeat it safely, add "
                "--request-id %s\n", rid);
}

/* Reads the reply: the exit status, *out as cli_exchange says. */
static int read_reply(const char *answer, unsigned flags, cJSON **out)
{
    struct jerr je = {{0}};
    cJSON *reply = json_parse_bounded(answer, strlen(answer), REPLY_DEPTH_MAX, &je);
    if (reply && !cJSON_IsObject(reply)) {
        jerr_set(&je, "not a JSON object");
        cJSON_Delete(reply);
        reply = NULL;
    }
    if (!reply) {
        cli_fail("the coordinator's reply is unreadable: %s", je.msg);
        return 1;
    }
    int rc = 1;
    const cJSON *ok = cJSON_GetObjectItemCaseSensitive(reply, "ok");
    if (!cJSON_IsBool(ok)) {
        cli_fail("%s", "the coordinator's reply has no \"ok\": true or false");
    } else if (flags & CLI_REPLY_JSON) {
        drop_phone(reply);
        char *text = cJSON_PrintUnformatted(reply);
        if (text) {
            puts(text);
            free(text);
            rc = cJSON_IsTrue(ok) ? 0 : EXIT_REFUSED;
        } else {
            cli_fail("%s", "out of memory");
        }
    } else if (cJSON_IsFalse(ok)) {
        cli_scrub(reply);
        const char *code = cli_jstr(reply, "code"), *reason = cli_jstr(reply, "reason");
        fprintf(stderr, "refused (%s): %s\n", code ? code : "?",
                reason ? reason : "no reason given");
        rc = EXIT_REFUSED;
    } else {
        cli_scrub(reply);
        *out = reply;
        return 0;
    }
    cJSON_Delete(reply);
    return rc;
}

int cli_exchange(struct cli_client *c, const char *reply_topic, const char *topic,
                 const cJSON *req, unsigned flags, cJSON **reply)
{
    *reply = NULL;
    int rc = cli_connect(c, reply_topic);
    if (rc)
        return rc;
    char err[MQ_ERR_MAX] = "";
    char rid[4 * 64 + 1]; /* a request_id is 1 to 64 characters */
    snprintf(rid, sizeof rid, "%s", cli_jstr(req, "request_id") ? cli_jstr(req, "request_id") : "?");
    char *payload = cJSON_PrintUnformatted(req);
    char *answer = payload ? mqrr_request(c->r, topic, payload, c->timeout_s * 1000, err) : NULL;
    if (!payload)
        snprintf(err, sizeof err, "out of memory");
    else
        explicit_bzero(payload, strlen(payload)); /* it may hold a phone number */
    free(payload);
    char lost[MQ_ERR_MAX];
    cli_disconnect(c, lost); /* a connection lost after the reply costs nothing */
    if (!answer) {
        explain_no_reply(c, rid, err);
        return 1;
    }
    rc = read_reply(answer, flags, reply);
    free(answer);
    return rc;
}
