/* cli_admin.h -- what the commands that send admin requests to the running
 * coordinator share (trip create|cancel|complete, targets set, villages
 * import): the MQTT options and the exchange (cli_trip_admin.c). */
#ifndef OUTREACH_CLI_ADMIN_H
#define OUTREACH_CLI_ADMIN_H

#include <getopt.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "mqtls.h"
#include "topics.h"

#define BROKER_DEFAULT "tcp://127.0.0.1:1883"
#define USERNAME_DEFAULT "admin"
#define TIMEOUT_DEFAULT_S 10
#define JSON_FILE_MAX (64 * 1024)

#define MQTT_OPTIONS_HELP                                                                  \
    "MQTT options:\n"                                                                      \
    "  --broker URI         broker (default " BROKER_DEFAULT ")\n"                         \
    "  --username U         MQTT username (default " USERNAME_DEFAULT ")\n"                \
    "  --password-file F    file holding its password\n"                                   \
    MQTLS_USAGE                                                                            \
    "  --topic-root R       root of every topic (default " TOPIC_ROOT_DEFAULT ")\n"        \
    "  --timeout S          wait at most S seconds to connect, and for the reply\n"        \
    "                       (default 10)\n"                                                \
    "  --request-id X       the request's id (default: a fresh UUID); a request sent\n"    \
    "                       again with the same id gets the first reply, no second effect\n" \
    "exit status: 0 done, 2 bad usage or invalid input (nothing sent), 3 refused by\n"     \
    "             the coordinator, 1 other failure (no broker, no reply)\n"

enum {
    O_BROKER = 1000, O_USERNAME, O_PWFILE, O_ROOT, O_TIMEOUT, O_REQID, O_HELP,
    O_REASON, O_JSON, O_ID, O_TITLE, O_DATE, O_END_DATE, O_SITE_CODE, O_SITE_NAME,
    O_COUNTY, O_COUNTY_NAME, O_TOWNSHIP, O_POOR, O_MODE, O_ACTIVITIES, O_DEPARTMENTS,
    O_CAPACITY, O_VILLAGE
};

#define MQTT_LONG_OPTIONS                                                    \
    {"broker", required_argument, NULL, O_BROKER},                           \
    {"username", required_argument, NULL, O_USERNAME},                       \
    {"password-file", required_argument, NULL, O_PWFILE},                    \
    {"topic-root", required_argument, NULL, O_ROOT},                         \
    {"timeout", required_argument, NULL, O_TIMEOUT},                         \
    {"request-id", required_argument, NULL, O_REQID},                        \
    MQTLS_LONG_OPTIONS,                                                      \
    {"help", no_argument, NULL, O_HELP}

struct mqtt_args {
    const char *broker, *username, *password_file, *root, *request_id;
    long timeout_s;
    struct mq_tls tls; /* points into argv */
};

void mqtt_args_defaults(struct mqtt_args *m);
/* Handles one of the MQTT options. Returns 1 when c was one (done), 0 when it
 * was not, or -1 after printing a usage error. */
int mqtt_opt(int c, const char *arg, struct mqtt_args *m, const char *usage);
/* Sends req (with request_id and op) on admin/requests and waits for its
 * reply: cli_exchange's status and *reply. */
int cli_admin_exchange(const struct mqtt_args *m, const cJSON *req, cJSON **reply);

#endif
