/* topics.h -- the topic tree of the wire contract under a configurable root. */
#ifndef OUTREACH_TOPICS_H
#define OUTREACH_TOPICS_H

#include <stddef.h>

#define TOPIC_ROOT_DEFAULT "outreach/v1"
#define TOPIC_MAX 256

/* snprintf into buf: root + "/" + the formatted rest. Returns 0, or -1 when
 * it does not fit. */
int topic_fmt(char *buf, size_t n, const char *root, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Splits topic, which must start with root + "/", into at most max segments
 * after the root, written into seg (pointers into the copy in scratch[n]).
 * Returns the number of segments, or -1 when the topic is not under root. */
int topic_split(const char *topic, const char *root, char *scratch, size_t n,
                const char **seg, int max);

#endif
