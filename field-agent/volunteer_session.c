/* volunteer_session.c -- a volunteer's connection to the broker through the
 * CLI kit: the topics ROOT/volunteers/ID/requests and .../replies, the
 * session kept 7 days so that notices wait at the broker, and request/reply.
 * The phone number is sent in the profile request and never printed. */
#include "volunteer_priv.h"

#include <string.h>

#define REPLY_DEPTH_MAX 16 /* nesting of any message we read */

long long vol_jnum(const cJSON *o, const char *k, long long dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? (long long)v->valuedouble : dflt;
}

cJSON *vol_parse_message(const char *payload, size_t len, struct jerr *je)
{
    cJSON *j = json_parse_bounded(payload, len, REPLY_DEPTH_MAX, je);
    if (j && !cJSON_IsObject(j)) {
        jerr_set(je, "not a JSON object");
        cJSON_Delete(j);
        return NULL;
    }
    return j;
}

static void on_message(void *arg, const struct mqrr_msg *m)
{
    vol_show_message(arg, m);
}

/* The topics and the client, not connected yet. Returns 0 or EXIT_USAGE. */
static int session_init(struct session *s, const struct vopts *o, FILE *notice_out)
{
    memset(s, 0, sizeof *s);
    s->o = o;
    s->notice_out = notice_out;
    if (cli_topic(s->requests, o->root, "volunteers/%s/requests", o->id) ||
        cli_topic(s->replies, o->root, "volunteers/%s/replies", o->id))
        return EXIT_USAGE;
    s->c = (struct cli_client){
        .broker = o->broker, .username = o->id, .password_file = o->password_file,
        .user_flag = "--volunteer-id", .tls = &o->tls, .timeout_s = o->timeout_s,
        .keep_session = true, /* notices sent while away wait for the next run */
        .no_reply_hint = "(is it running?)",
        .denied_hint = "(an account may publish only on ROOT/volunteers/ITS_ID/requests: "
                       "check --volunteer-id and --topic-root)",
        .repeat_hint = true,
        .on_message = on_message, .arg = s,
    };
    return 0;
}

int session_open(struct session *s, const struct vopts *o, FILE *notice_out)
{
    int rc = session_init(s, o, notice_out);
    return rc ? rc : cli_connect(&s->c, s->replies);
}

int session_end(struct session *s, char err[MQ_ERR_MAX])
{
    return cli_disconnect(&s->c, err);
}

int vol_exchange(const struct vopts *o, const cJSON *req, cJSON **out)
{
    struct session s;
    *out = NULL;
    int rc = session_init(&s, o, stderr);
    return rc ? rc : cli_exchange(&s.c, s.replies, s.requests, req, o->json ? CLI_REPLY_JSON : 0,
                                  out);
}
