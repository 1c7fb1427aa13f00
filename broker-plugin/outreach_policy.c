/* outreach_policy.c -- Mosquitto 2.0 plugin (API v5): each account keeps to
 * its own client ids, and report and request topics take no retained messages.
 *
 * The dynamic-security plugin of Mosquitto 2.0.11 checks passwords and topic
 * rights, but it can tie an account to at most one exact client id, and it has
 * no rule about the retain flag. Without this plugin any account could connect
 * with another's client id (the broker then drops the other's connection and,
 * on a session takeover, the queued messages the new account may not read),
 * and an agent could fill the broker's memory and persistence file with
 * retained reports that every coordinator restart would read again.
 *
 * Rules (anything else is left to the next plugin: MOSQ_ERR_PLUGIN_DEFER):
 *   - CONNECT with a username: the client id must be the username itself or
 *     start with "username." (usernames cannot hold a dot, see
 *     deploy/provision-accounts.sh, so no account's ids are another's).
 *     Otherwise the connection is refused (CONNACK "not authorised").
 *   - PUBLISH with the retain flag on ROOT/agents/+/reports/+,
 *     ROOT/volunteers/+/requests or ROOT/admin/requests is refused (MQTT 5
 *     QoS 1/2: PUBACK "not authorised"); a retained will there is never sent
 *     (the broker checks a will when it would send it, src/context.c).
 *
 * The broker asks the plugins of one event in the order of the "plugin" lines
 * of its configuration and stops at the first answer that is not DEFER
 * (src/security.c, mosquitto_unpwd_check and mosquitto_acl_check in 2.0.11),
 * so this plugin must be configured before the dynamic-security plugin: a
 * DEFER here lets dynsec check the password and the topic rights.
 *
 * Option: plugin_opt_topic_root ROOT (default outreach/v1, docs/protocol.md).
 * The mosquitto_* functions used here are exported by the broker binary:
 * the plugin links to no library. */
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mosquitto.h>
#include <mosquitto_broker.h>
#include <mosquitto_plugin.h>

#define DEFAULT_ROOT "outreach/v1"
#define N_INBOX 3

static mosquitto_plugin_id_t *plugin_id;
/* Subscription filters of the topics clients publish to and only the
 * coordinator reads: its inboxes. */
static char *inbox[N_INBOX];

/* Copies at most 64 characters of s into out, '?' for anything but printable
 * ASCII: client ids come from the network and must not forge log lines. */
static const char *printable(const char *s, char out[static 68])
{
    size_t i = 0;
    for (; s && s[i] && i < 64; i++)
        out[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
    if (s && s[i])
        out[i++] = '.', out[i++] = '.', out[i++] = '.';
    out[i] = '\0';
    return out;
}

/* "user" and "user.anything" (not "user." alone) belong to account user. */
static bool id_belongs_to(const char *id, const char *user)
{
    size_t n = strlen(user);
    return strncmp(id, user, n) == 0 && (id[n] == '\0' || (id[n] == '.' && id[n + 1] != '\0'));
}

static int on_basic_auth(int event, void *event_data, void *userdata)
{
    struct mosquitto_evt_basic_auth *ed = event_data;
    const char *id = mosquitto_client_id(ed->client);
    char id_p[68], user_p[68];
    (void)event;
    (void)userdata;
    /* No username: anonymous, refused by the broker's allow_anonymous false. */
    if (!ed->username)
        return MOSQ_ERR_PLUGIN_DEFER;
    if (id && id_belongs_to(id, ed->username))
        return MOSQ_ERR_PLUGIN_DEFER; /* the id is fine; dynsec checks the password */
    mosquitto_log_printf(MOSQ_LOG_NOTICE,
                         "outreach_policy: refused client id \"%s\" for account \"%s\": an "
                         "account may use only its username or \"username.SUFFIX\"",
                         printable(id, id_p), printable(ed->username, user_p));
    return MOSQ_ERR_AUTH;
}

static int on_acl_check(int event, void *event_data, void *userdata)
{
    struct mosquitto_evt_acl_check *ed = event_data;
    (void)event;
    (void)userdata;
    if (ed->access != MOSQ_ACL_WRITE || !ed->retain)
        return MOSQ_ERR_PLUGIN_DEFER;
    for (int i = 0; i < N_INBOX; i++) {
        bool match = false;
        if (mosquitto_topic_matches_sub(inbox[i], ed->topic, &match) == MOSQ_ERR_SUCCESS && match) {
            /* At most one log line a second: a client that loops on retained
             * publishes must not fill the disk with the broker's log. */
            static time_t last_line;
            static unsigned long unlogged;
            time_t now = time(NULL);
            if (now == last_line) {
                unlogged++;
                return MOSQ_ERR_ACL_DENIED;
            }
            char user_p[68];
            mosquitto_log_printf(MOSQ_LOG_NOTICE,
                                 "outreach_policy: refused a retained publish from account "
                                 "\"%s\" on %s (reports and requests are never retained; "
                                 "%lu more refused since the last such line)",
                                 printable(mosquitto_client_username(ed->client), user_p),
                                 inbox[i], unlogged);
            last_line = now;
            unlogged = 0;
            return MOSQ_ERR_ACL_DENIED;
        }
    }
    return MOSQ_ERR_PLUGIN_DEFER;
}

int mosquitto_plugin_version(int supported_version_count, const int *supported_versions)
{
    for (int i = 0; i < supported_version_count; i++)
        if (supported_versions[i] == 5)
            return 5;
    return -1;
}

int mosquitto_plugin_init(mosquitto_plugin_id_t *identifier, void **user_data,
                          struct mosquitto_opt *opts, int opt_count)
{
    static const char *const suffix[N_INBOX] = {"agents/+/reports/+", "volunteers/+/requests",
                                                "admin/requests"};
    const char *root = DEFAULT_ROOT;
    (void)user_data;
    for (int i = 0; i < opt_count; i++) {
        if (strcmp(opts[i].key, "topic_root") == 0) {
            root = opts[i].value;
        } else {
            mosquitto_log_printf(MOSQ_LOG_ERR, "outreach_policy: unknown option plugin_opt_%s "
                                               "(the only one is plugin_opt_topic_root)",
                                 opts[i].key);
            return MOSQ_ERR_INVAL;
        }
    }
    if (!*root || strpbrk(root, "+#") || root[strlen(root) - 1] == '/') {
        mosquitto_log_printf(MOSQ_LOG_ERR, "outreach_policy: plugin_opt_topic_root \"%s\" must "
                                           "be a topic without wildcards or a trailing '/'",
                             root);
        return MOSQ_ERR_INVAL;
    }
    for (int i = 0; i < N_INBOX; i++) {
        size_t n = strlen(root) + 1 + strlen(suffix[i]) + 1;
        if (!(inbox[i] = malloc(n))) {
            mosquitto_plugin_cleanup(NULL, opts, opt_count);
            return MOSQ_ERR_NOMEM;
        }
        snprintf(inbox[i], n, "%s/%s", root, suffix[i]);
    }
    plugin_id = identifier;
    if (mosquitto_callback_register(plugin_id, MOSQ_EVT_BASIC_AUTH, on_basic_auth, NULL, NULL) ||
        mosquitto_callback_register(plugin_id, MOSQ_EVT_ACL_CHECK, on_acl_check, NULL, NULL)) {
        mosquitto_plugin_cleanup(NULL, opts, opt_count);
        return MOSQ_ERR_UNKNOWN;
    }
    return MOSQ_ERR_SUCCESS;
}

int mosquitto_plugin_cleanup(void *user_data, struct mosquitto_opt *opts, int opt_count)
{
    (void)user_data;
    (void)opts;
    (void)opt_count;
    if (plugin_id) {
        mosquitto_callback_unregister(plugin_id, MOSQ_EVT_BASIC_AUTH, on_basic_auth, NULL);
        mosquitto_callback_unregister(plugin_id, MOSQ_EVT_ACL_CHECK, on_acl_check, NULL);
        plugin_id = NULL;
    }
    for (int i = 0; i < N_INBOX; i++) {
        free(inbox[i]);
        inbox[i] = NULL;
    }
    return MOSQ_ERR_SUCCESS;
}
