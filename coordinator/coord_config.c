/* coord_config.c -- the coordinator's option table and its defaults. */
#include "coord_config.h"

#include <stdlib.h>
#include <string.h>

#include "mqtls.h"
#include "store.h"
#include "timeutil.h"
#include "topics.h"

void coord_config_defaults(struct coord_config *c)
{
    memset(c, 0, sizeof *c);
    c->broker = strdup("tcp://127.0.0.1:1883");
    /* client_id: none here; cmd_run (main.c) defaults it to the username. */
    c->share_group = strdup("outreach-coordinator");
    c->topic_root = strdup(TOPIC_ROOT_DEFAULT);
    c->log_level = strdup("info");
    c->target_staff = 500;
    c->target_consultations = 50000;
    c->session_expiry_s = -1; /* session_expiry_of: by the store */
    c->keepalive_s = 30;
    c->batch_max = 500;
    c->linger_ms = 5;
    c->queue_max_bytes = 256LL << 20;
    c->progress_interval_ms = 500;
    c->refresh_s = 600;
    c->max_rejects = 100000;
    c->tz_offset_min = TU_SITE_OFFSET_MIN;
    c->reply_keep = STORE_REPLY_KEEP;
    c->reply_days = STORE_REPLY_DAYS;
    c->alert_offline_min = 30;
    c->alert_quiet_min = 60;
    c->alert_work_hours = strdup("08:00-18:00");
    c->alert_behind_pct = 10;
    c->alert_gap_min = 120;
    c->alert_keep_cleared_h = 24;
}

const struct conf_opt *coord_config_table(struct coord_config *c)
{
    /* One table per process is enough: the daemon has one config. */
    static struct conf_opt t[48];
    const struct conf_opt rows[] = {
        {"broker", CONF_STR, &c->broker, 0, 0, "broker URI, tcp://host:port or ssl://host:8883"},
        MQTLS_CONF_ROWS(&c->tls),
        {"db", CONF_STR, &c->db, 0, 0, "SQLite store file, or a PostgreSQL database (postgresql://USER@HOST:PORT/DB)"},
        {"init", CONF_BOOL, &c->init, 0, 0, "create the store if db names no file"},
        {"username", CONF_STR, &c->username, 0, 0, "MQTT username (none: anonymous)"},
        {"password_file", CONF_STR, &c->password_file, 0, 0, "file holding the MQTT password"},
        {"client_id", CONF_STR, &c->client_id, 0, 0, "MQTT client id (its session persists; default: the username)"},
        {"share_group", CONF_STR, &c->share_group, 0, 0, "shared-subscription group"},
        {"share_group_file", CONF_STR, &c->share_group_file, 0, 0,
         "file holding the group name (wins over share_group)"},
        {"topic_root", CONF_STR, &c->topic_root, 0, 0, "root of every topic"},
        {"log_level", CONF_STR, &c->log_level, 0, 0, "debug, info, warn or error"},
        {"target_staff", CONF_INT, &c->target_staff, 0, 1000000000, "staff target per year"},
        {"target_consultations", CONF_INT, &c->target_consultations, 0, 1000000000,
         "consultations target per year"},
        {"targets_file", CONF_STR, &c->targets_file, 0, 0,
         "CSV of targets per county and township, read at start (year,county,township,"
         "consultations,staff; a targets.set request wins over it)"},
        {"session_expiry_s", CONF_INT, &c->session_expiry_s, 0, 4294967295LL,
         "how long the broker keeps our session while we are away (default: 7 days on a "
         "SQLite store; 0, none, on PostgreSQL, where coordinators share the subscription)"},
        {"keepalive_s", CONF_INT, &c->keepalive_s, 5, 3600, "MQTT keep-alive"},
        {"batch_max", CONF_INT, &c->batch_max, 1, 1000, "messages per transaction"},
        {"linger_ms", CONF_INT, &c->linger_ms, 0, 20,
         "a batch short of batch_max waits this long for more (0: not at all)"},
        {"queue_max_bytes", CONF_INT, &c->queue_max_bytes, 1 << 20, 1LL << 34,
         "bytes of messages waiting in memory; past it they are dropped unacked"},
        {"progress_interval_ms", CONF_INT, &c->progress_interval_ms, 50, 1000,
         "least time between two progress updates"},
        {"refresh_s", CONF_INT, &c->refresh_s, 10, 86400,
         "republish all progress this often (expected_to_date moves daily)"},
        {"max_rejects", CONF_INT, &c->max_rejects, 10, 100000000, "refused messages kept"},
        {"tz_offset_min", CONF_INT, &c->tz_offset_min, -720, 840,
         "the sites' UTC offset in minutes (China: 480)"},
        {"reply_keep", CONF_INT, &c->reply_keep, 10, 100000,
         "request replies kept per account (a repeat among them gets the same reply)"},
        {"reply_days", CONF_INT, &c->reply_days, 1, 3650,
         "days a request reply is kept at most"},
        {"alert_offline_min", CONF_INT, &c->alert_offline_min, 0, 1440,
         "site silent: an agent of a trip of the day offline this many minutes of working hours"},
        {"alert_quiet_min", CONF_INT, &c->alert_quiet_min, 1, 1440,
         "site silent: online, no report this many minutes of working hours"},
        {"alert_work_hours", CONF_STR, &c->alert_work_hours, 0, 0,
         "working hours HH:MM-HH:MM at tz_offset_min, when sites are expected to be heard"},
        {"alert_behind_pct", CONF_INT, &c->alert_behind_pct, 1, 100,
         "county behind: a county this many percent below its expected-to-date"},
        {"alert_gap_min", CONF_INT, &c->alert_gap_min, 1, 525600,
         "seq gap: an agent's missing seqs open this many minutes"},
        {"alert_keep_cleared_h", CONF_INT, &c->alert_keep_cleared_h, 0, 8760,
         "hours a cleared alert stays retained on the broker (then removed; the store keeps "
         "its history)"},
        {NULL, CONF_STR, NULL, 0, 0, NULL},
    };
    _Static_assert(sizeof rows <= sizeof t, "coord_config_table: make t larger");
    memcpy(t, rows, sizeof rows);
    return t;
}
