/* publish.h -- progress publishing: what changed since progress was last
 * published (years, trips, counties, agents' devices/ messages), and
 * publishing it, retained, at most every progress_interval_ms, with
 * everything again every refresh_s. */
#ifndef OUTREACH_PUBLISH_H
#define OUTREACH_PUBLISH_H

#include <stdbool.h>

#include "outlet.h"

struct coord_config;
struct store;
struct trip_row;

struct publisher;

/* A publisher reading figures from st and publishing through out, with
 * cfg's topic root, targets, time zone and intervals (cfg and st must
 * outlive it). NULL when out of memory. */
struct publisher *publisher_new(const struct coord_config *cfg, struct store *st,
                                struct outlet out);
/* Accepts NULL. */
void publisher_free(struct publisher *p);

/* Marks a year's figures (its counties', its series) as changed. */
void publish_mark_year(struct publisher *p, int year);
/* Marks a trip's progress, and its year, as changed. */
void publish_mark_trip(struct publisher *p, const char *trip_id, int year);
/* Marks the county and year of t (where a trip was before it moved) as
 * changed: no trip of it may be left to list it. */
void publish_mark_county(struct publisher *p, const struct trip_row *t);
/* Trip trip_id's card (trips/{id}) changed on another coordinator than the
 * leader: the leader publishes it (publish_announce "card ID"). */
void publish_mark_card(struct publisher *p, const char *trip_id);
/* Marks an agent's row (its devices/{agent_id}) as changed: a report or a
 * status message of it. */
void publish_mark_agent(struct publisher *p, const char *agent_id);
/* Marks everything as changed (the villages register changed: every year's
 * coverage). */
void publish_mark_all(struct publisher *p);
/* Whether anything is marked and not published yet. */
bool publish_pending(const struct publisher *p);
/* Forgets what changed, unpublished: another coordinator publishes (it is
 * the leader, store_leader), and publishes everything when it becomes one. */
void publish_forget(struct publisher *p);
/* A follower's marks, for the leader: calls fn(ctx, what) for each ("year
 * Y", "trip ID", "agent ID", "agents", "all"), then forgets them. Returns the
 * first non-zero fn returned (the rest are not forgotten then). */
int publish_announce(struct publisher *p, int (*fn)(void *, const char *), void *ctx);
/* The leader: marks what another coordinator announced (publish_announce's
 * words; anything else marks everything). */
void publish_apply(struct publisher *p, const char *what);

/* How long the daemon may wait for messages before progress is due: 200 ms
 * when nothing is marked. */
long publish_wait_ms(const struct publisher *p);
/* Publishes what is marked, or everything (every year, county, trip card
 * and trip progress), and clears the marks. */
void publish_progress(struct publisher *p, bool everything);
/* Publishes what is marked once progress_interval_ms has passed since the
 * last time, or everything once refresh_s has. */
void publish_if_due(struct publisher *p);

#endif
