/* jsonget.h -- typed getters over cJSON that say which field was wrong, and how. */
#ifndef OUTREACH_JSONGET_H
#define OUTREACH_JSONGET_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#define JERR_MAX 320

/* A message for a person: "field 'consultations' must be an integer from 1 to 5000 (got 0)". */
struct jerr {
    char msg[JERR_MAX];
};

/* Return values of every getter. */
enum { JGET_OK = 0, JGET_ABSENT = 1, JGET_BAD = -1 };

enum jid_kind { JID_AGENT, JID_CODE, JID_UUID };

/* Each getter looks up obj[name]. A missing field is JGET_BAD unless optional
 * (then JGET_ABSENT and *out untouched). A field of the wrong type or out of
 * range is JGET_BAD with err filled. Strings returned point into obj. */
int jget_int(const cJSON *obj, const char *name, bool optional, long long min,
             long long max, long long *out, struct jerr *err);
int jget_str(const cJSON *obj, const char *name, bool optional, size_t min_chars,
             size_t max_chars, const char **out, struct jerr *err);
/* As jget_str, and at most JTEXT_MAX_BYTES bytes: the contract's bound on
 * every string whose length it does not state. */
#define JTEXT_MAX_BYTES 256
int jget_text(const cJSON *obj, const char *name, bool optional, size_t min_chars,
              size_t max_chars, const char **out, struct jerr *err);
int jget_id(const cJSON *obj, const char *name, bool optional, enum jid_kind kind,
            const char **out, struct jerr *err);
/* values is NULL-terminated; *out is the index of the match. */
int jget_enum(const cJSON *obj, const char *name, bool optional,
              const char *const *values, int *out, struct jerr *err);
int jget_bool(const cJSON *obj, const char *name, bool optional, bool *out,
              struct jerr *err);
/* A YYYY-MM-DD calendar date. */
int jget_date(const cJSON *obj, const char *name, bool optional, const char **out,
              struct jerr *err);
/* An RFC 3339 timestamp with offset. */
int jget_ts(const cJSON *obj, const char *name, bool optional, const char **out,
            struct jerr *err);

void jerr_set(struct jerr *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Writes "a, b, c" for a NULL-terminated list into buf[n] (cut to fit). */
const char *enum_join(const char *const *values, char *buf, size_t n);
/* Index of s in the NULL-terminated list, or -1. */
int enum_index(const char *const *values, const char *s);

/* Parses a payload of len bytes (not NUL-terminated) after checking it is
 * valid UTF-8, that arrays/objects nest at most max_depth deep, that no
 * string holds an escaped NUL and that no object repeats a key. Returns a
 * cJSON tree the caller frees with cJSON_Delete, or NULL with err filled. */
cJSON *json_parse_bounded(const char *payload, size_t len, int max_depth,
                          struct jerr *err);

/* o as compact JSON text (caller frees), deleting o; NULL when o is NULL or
 * out of memory. */
char *json_print_free(cJSON *o);

/* A JSON array of the names[i] (a NULL-ended list) whose bit i is set in
 * set, in their order; the caller owns it. NULL when out of memory. */
cJSON *json_names_array(unsigned set, const char *const *names);

#endif
