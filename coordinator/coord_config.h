/* coord_config.h -- the coordinator's settings: one table row per option. */
#ifndef OUTREACH_COORD_CONFIG_H
#define OUTREACH_COORD_CONFIG_H

#include <stdbool.h>

#include "conf.h"
#include "mqtls.h"

struct coord_config {
    char *broker, *db, *username, *password_file, *client_id, *share_group;
    char *share_group_file;
    char *topic_root, *log_level;
    long long target_staff, target_consultations;
    char *targets_file; /* targets per county and township, read at start; NULL: none */
    long long session_expiry_s, keepalive_s;
    long long batch_max, linger_ms, queue_max_bytes, progress_interval_ms, refresh_s;
    long long max_rejects, tz_offset_min;
    struct mq_tls tls; /* for an ssl:// or mqtts:// broker */
    long long reply_keep, reply_days; /* request replies kept per account, and how long */
    bool init; /* create the store when db names no file (else refuse to start) */
    /* Alerts (alerts.h): minutes, working hours "HH:MM-HH:MM", percent. */
    long long alert_offline_min, alert_quiet_min, alert_behind_pct, alert_gap_min;
    long long alert_keep_cleared_h;
    char *alert_work_hours;
};

/* Fills the defaults (strings are malloc'd; free with conf_free_strings on
 * the table). */
void coord_config_defaults(struct coord_config *c);
/* The option table bound to c: one row per option with type, bounds, help.
 * Valid until c goes away. */
const struct conf_opt *coord_config_table(struct coord_config *c);

#endif
