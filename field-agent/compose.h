/* compose.h -- the report kinds as the field agent's command line sees them:
 * one table row per field, with its flag, JSON name, type and help. An enum
 * field takes the code or its zh-CN or English name (names.h). */
#ifndef OUTREACH_COMPOSE_H
#define OUTREACH_COMPOSE_H

#include <stdbool.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#define COMPOSE_ERR_MAX 640 /* room for a list of codes with both labels */

enum ftype { F_INT, F_STR, F_ENUM, F_CNY };

struct field_spec {
    const char *flag;   /* without the leading "--" */
    const char *json;   /* the contract's field name */
    enum ftype type;
    bool required;
    const char *const *values; /* F_ENUM: NULL-terminated */
    const char *help;
};

struct kind_spec {
    const char *kind;
    const char *summary;
    const char *example;
    const struct field_spec *fields; /* ends with a row whose flag is NULL */
};

extern const struct kind_spec compose_kinds[]; /* ends with kind NULL */

const struct kind_spec *compose_kind(const char *kind);
/* Sets the field of flag from text into fields. Returns 0 or -1 with err. */
int compose_set(const struct kind_spec *k, cJSON *fields, const char *flag,
                const char *value, char err[COMPOSE_ERR_MAX]);
/* Checks that every required field is there. */
int compose_check_required(const struct kind_spec *k, const cJSON *fields,
                           char err[COMPOSE_ERR_MAX]);
void compose_help(const struct kind_spec *k, FILE *f);
/* What an entry contained, in words, into buf[n] (cut to whole pieces):
 * "headcount 内科 internal 12 consultations (female 5)". void_target_seq: the
 * outbox number of a void's target, or 0 to show its msg_id. Returns buf.
 * For the status command and the site app's recent entries. */
#define COMPOSE_DESCRIBE_MAX 512
const char *compose_describe(const char *kind, const char *payload, long long void_target_seq,
                             char *buf, size_t n);
/* An amount in yuan as a person types it, in fen: "12.50" -> 1250, "12" ->
 * 1200, "¥1,250.50" (a ¥ or ￥ first, 元 last, spaces around, thousands commas)
 * -> 125050, full-width "１２５０．５０" -> 125050, "125，50" or "125,50" (a
 * comma before exactly two final digits is the decimal separator) -> 12550.
 * Returns 0 or -1 (more than two decimals, a misplaced comma, anything else). */
int compose_parse_cny(const char *s, long long *fen);

#endif
