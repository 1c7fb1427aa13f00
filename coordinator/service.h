/* service.h -- the coordinator daemon: MQTT in, the store, acks and progress out. */
#ifndef OUTREACH_SERVICE_H
#define OUTREACH_SERVICE_H

#include <signal.h>

#include "coord_config.h"

/* Runs until *stop becomes non-zero (a signal handler sets it). Returns 0 on
 * a clean stop, EXIT_REFUSED (3) when the store is damaged (found at open or
 * by a batch: starting again would not help), 1 when it could not start. */
int service_run(const struct coord_config *c, volatile sig_atomic_t *stop);

#endif
