/* loadgen.h -- pieces shared by the load generator's two modes. */
#ifndef OUTREACH_LOADGEN_H
#define OUTREACH_LOADGEN_H

#include <stdbool.h>
#include <stddef.h>

#include <MQTTAsync.h>
#include <cjson/cJSON.h>

/* Exit statuses: 0 the run met every condition, 1 it did not (or could not
 * run), 2 bad command line. */
enum { LG_OK = 0, LG_FAIL = 1, LG_USAGE = 2 };

/* Parses a whole decimal integer in [min, max]; prints a message naming opt
 * and returns -1 when it is not one. */
int lg_parse_ll(const char *opt, const char *s, long long min, long long max,
                long long *out);

/* The p-quantile (0 < p <= 1, nearest rank) of n sorted values; 0 when n == 0. */
double lg_quantile(const double *sorted, size_t n, double p);
/* Sorts n doubles ascending. */
void lg_sort(double *v, size_t n);

/* Writes o (pretty-printed, with a newline) to path; returns 0 or -1 with a message. */
int lg_write_json(const char *path, const cJSON *o);

/* Rounds to 3 decimals for printing figures in JSON. */
double lg_round3(double v);

/* Creates an MQTT 5 client (no sending while disconnected) whose Paho queue
 * holds up to LG_MAX_QUEUED publishes. Returns 0 or -1 with err. */
#define LG_MAX_QUEUED 1000000
int lg_client_new(MQTTAsync *out, const char *uri, const char *client_id, char *err,
                  size_t errlen);

/* The modes; argv[0] is the mode's name. */
int lg_run_main(int argc, char **argv);
int lg_raw_main(int argc, char **argv);
int lg_idle_main(int argc, char **argv);

#endif
