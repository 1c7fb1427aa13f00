/* lg_util.c -- number parsing, quantiles and JSON output for the load generator. */
#include "loadgen.h"

#include <MQTTAsync.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int lg_parse_ll(const char *opt, const char *s, long long min, long long max,
                long long *out)
{
    char *end = NULL;
    errno = 0;
    long long v = s && *s ? strtoll(s, &end, 10) : 0;
    if (!s || !*s || errno || !end || *end || v < min || v > max) {
        fprintf(stderr, "outreach-loadgen: %s must be an integer from %lld to %lld (got '%s')\n",
                opt, min, max, s ? s : "");
        return -1;
    }
    *out = v;
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y ? 1 : 0;
}

void lg_sort(double *v, size_t n)
{
    if (n > 1)
        qsort(v, n, sizeof *v, cmp_double);
}

double lg_quantile(const double *sorted, size_t n, double p)
{
    if (n == 0)
        return 0;
    double rank = ceil(p * (double)n);
    size_t i = rank < 1 ? 0 : (size_t)rank - 1;
    return sorted[i < n ? i : n - 1];
}

double lg_round3(double v)
{
    return round(v * 1000.0) / 1000.0;
}

int lg_write_json(const char *path, const cJSON *o)
{
    char *text = cJSON_Print(o);
    if (!text) {
        fprintf(stderr, "outreach-loadgen: out of memory writing %s\n", path);
        return -1;
    }
    FILE *f = fopen(path, "w");
    int rc = 0;
    if (!f || fprintf(f, "%s\n", text) < 0) {
        fprintf(stderr, "outreach-loadgen: cannot write %s: %s\n", path, strerror(errno));
        rc = -1;
    }
    if (f && fclose(f) != 0 && rc == 0) {
        fprintf(stderr, "outreach-loadgen: cannot write %s: %s\n", path, strerror(errno));
        rc = -1;
    }
    free(text);
    return rc;
}

int lg_client_new(MQTTAsync *out, const char *uri, const char *client_id, char *err,
                  size_t errlen)
{
    MQTTAsync_createOptions co = MQTTAsync_createOptions_initializer5;
    co.MQTTVersion = MQTTVERSION_5;
    co.sendWhileDisconnected = 0;
    /* Paho refuses a publish once this many wait in its queue, connected or
     * not; the callers bound what they have outstanding themselves. */
    co.maxBufferedMessages = LG_MAX_QUEUED;
    int rc = MQTTAsync_createWithOptions(out, uri, client_id, MQTTCLIENT_PERSISTENCE_NONE,
                                         NULL, &co);
    if (rc != MQTTASYNC_SUCCESS) {
        snprintf(err, errlen, "cannot create MQTT client %s for %s: %s", client_id, uri,
                 MQTTAsync_strerror(rc));
        *out = NULL;
        return -1;
    }
    return 0;
}
