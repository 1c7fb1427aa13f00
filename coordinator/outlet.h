/* outlet.h -- where the batch and progress modules hand over what they
 * publish: the daemon's MQTT client, or a test's recorder. */
#ifndef OUTREACH_OUTLET_H
#define OUTREACH_OUTLET_H

#include <stdbool.h>

struct outlet {
    /* Publishes payload (NUL-terminated, still the caller's) on topic at
     * QoS 1, with correlation data when corr_len > 0. Never blocks long. */
    void (*publish)(void *ctx, const char *topic, const char *payload, bool retained,
                    const void *corr, int corr_len);
    void *ctx;
};

#endif
