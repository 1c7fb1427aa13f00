/* alerts_run.h -- the alerts in the daemon: gathers alerts.c's snapshot from
 * the store, keeps what it decides (store.h's alerts and their history) and
 * publishes each alert that changed, retained, on alerts/{alert_id}. */
#ifndef OUTREACH_ALERTS_RUN_H
#define OUTREACH_ALERTS_RUN_H

#include <stdbool.h>
#include <time.h>

#include "alerts.h"
#include "outlet.h"

struct alert_row;
struct coord_config;
struct store;

/* The rules of cfg's alert_* options; -1 when alert_work_hours is not
 * "HH:MM-HH:MM" (err says so). */
int alerts_rules_of(const struct coord_config *cfg, struct alert_rules *r, char err[160]);

struct alerter;
/* An alerter over st publishing through out (cfg, st must outlive it); NULL
 * when out of memory or cfg's rules are invalid (checked before: cli_run). */
struct alerter *alerter_new(const struct coord_config *cfg, struct store *st,
                            struct outlet out);
/* Accepts NULL. */
void alerter_free(struct alerter *a);
/* Something an alert reads changed (an agent's status): evaluate at the
 * next alerter_tick. */
void alerter_mark(struct alerter *a);
/* Evaluates at now (the coordinator's clock, time(NULL), or a test's) when
 * marked (at most once a second) or when a minute has passed since the last
 * evaluation, stores what
 * changed and publishes it (an open alert whose figures moved too: its new
 * detail, since kept). A cleared alert's retained message is removed
 * alert_keep_cleared_h after its clearing (the store keeps it and its
 * history). Returns the number of changes and removals, or -1 when the
 * store failed (nothing published; tried again next time). */
int alerter_tick(struct alerter *a, time_t now);
/* Publishes every alert kept (open, and cleared but not yet removed),
 * retained: at start and after a reconnect. */
void alerter_publish_all(struct alerter *a);

/* The contract's message of an alert row, as_of now; the caller frees it.
 * NULL when out of memory. */
char *alert_message(const struct alert_row *r, const char *as_of);

/* RFC 3339 text to time: 0, or -1 when it is not a valid timestamp. */
int alerts_parse_ts(const char *s, time_t *out);

#endif
