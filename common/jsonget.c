/* jsonget.c -- bounded JSON parsing and typed field getters with precise errors. */
#include "jsonget.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ids.h"
#include "timeutil.h"

void jerr_set(struct jerr *err, const char *fmt, ...)
{
    if (!err)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
}

const char *enum_join(const char *const *values, char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int k = 0; values[k] && used < n; k++) {
        int w = snprintf(buf + used, n - used, "%s%s", k ? ", " : "", values[k]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
    return buf;
}

int enum_index(const char *const *values, const char *s)
{
    for (int i = 0; s && values[i]; i++)
        if (strcmp(values[i], s) == 0)
            return i;
    return -1;
}

/* Finds obj[name]; handles absence. Returns JGET_OK with *item set. */
static int lookup(const cJSON *obj, const char *name, bool optional,
                  const cJSON **item, struct jerr *err)
{
    *item = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (*item)
        return JGET_OK;
    if (optional)
        return JGET_ABSENT;
    jerr_set(err, "field '%s' is required", name);
    return JGET_BAD;
}

int jget_int(const cJSON *obj, const char *name, bool optional, long long min,
             long long max, long long *out, struct jerr *err)
{
    const cJSON *it;
    int rc = lookup(obj, name, optional, &it, err);
    if (rc != JGET_OK)
        return rc;
    double v = it->valuedouble;
    if (!cJSON_IsNumber(it) || !isfinite(v) || v != floor(v)) {
        jerr_set(err, "field '%s' must be a whole number from %lld to %lld", name, min, max);
        return JGET_BAD;
    }
    if (v < (double)min || v > (double)max) {
        jerr_set(err, "field '%s' must be from %lld to %lld (got %.0f)", name, min, max, v);
        return JGET_BAD;
    }
    *out = (long long)v;
    return JGET_OK;
}

static int get_string(const cJSON *obj, const char *name, bool optional,
                      const cJSON **it, struct jerr *err)
{
    int rc = lookup(obj, name, optional, it, err);
    if (rc != JGET_OK)
        return rc;
    if (!cJSON_IsString(*it) || !(*it)->valuestring) {
        jerr_set(err, "field '%s' must be a string", name);
        return JGET_BAD;
    }
    return JGET_OK;
}

int jget_str(const cJSON *obj, const char *name, bool optional, size_t min_chars,
             size_t max_chars, const char **out, struct jerr *err)
{
    const cJSON *it;
    int rc = get_string(obj, name, optional, &it, err);
    if (rc != JGET_OK)
        return rc;
    /* Limits count characters (code points), as JSON Schema's maxLength does. */
    size_t chars = utf8_chars(it->valuestring);
    if (chars < min_chars || chars > max_chars) {
        if (min_chars > 0)
            jerr_set(err, "field '%s' must be %zu to %zu characters long (got %zu)",
                     name, min_chars, max_chars, chars);
        else
            jerr_set(err, "field '%s' must be at most %zu characters long (got %zu)",
                     name, max_chars, chars);
        return JGET_BAD;
    }
    *out = it->valuestring;
    return JGET_OK;
}

int jget_text(const cJSON *obj, const char *name, bool optional, size_t min_chars,
              size_t max_chars, const char **out, struct jerr *err)
{
    const char *v = NULL;
    int rc = jget_str(obj, name, optional, min_chars, max_chars, &v, err);
    if (rc != JGET_OK)
        return rc;
    if (strlen(v) > JTEXT_MAX_BYTES) {
        jerr_set(err, "field '%s' must be at most %d bytes of UTF-8 (got %zu)", name,
                 JTEXT_MAX_BYTES, strlen(v));
        return JGET_BAD;
    }
    *out = v;
    return JGET_OK;
}

int jget_id(const cJSON *obj, const char *name, bool optional, enum jid_kind kind,
            const char **out, struct jerr *err)
{
    const cJSON *it;
    int rc = get_string(obj, name, optional, &it, err);
    if (rc != JGET_OK)
        return rc;
    const char *s = it->valuestring;
    bool ok = kind == JID_AGENT ? id_is_agent(s) : kind == JID_CODE ? id_is_code(s)
                                                                    : id_is_uuid(s);
    if (!ok) {
        static const char *const what[] = {
            "1 to 64 of a-z, 0-9, '_' and '-', starting with a letter or digit",
            "1 to 64 of A-Z, a-z, 0-9, '.', '_' and '-', starting with a letter or digit",
            "a UUID of 36 lowercase hex digits and hyphens",
        };
        jerr_set(err, "field '%s' must be %s", name, what[kind]);
        return JGET_BAD;
    }
    *out = s;
    return JGET_OK;
}

int jget_enum(const cJSON *obj, const char *name, bool optional,
              const char *const *values, int *out, struct jerr *err)
{
    const cJSON *it;
    int rc = get_string(obj, name, optional, &it, err);
    if (rc != JGET_OK)
        return rc;
    int i = enum_index(values, it->valuestring);
    if (i < 0) {
        char list[200];
        jerr_set(err, "field '%s' must be one of: %s", name,
                 enum_join(values, list, sizeof list));
        return JGET_BAD;
    }
    *out = i;
    return JGET_OK;
}

int jget_bool(const cJSON *obj, const char *name, bool optional, bool *out,
              struct jerr *err)
{
    const cJSON *it;
    int rc = lookup(obj, name, optional, &it, err);
    if (rc != JGET_OK)
        return rc;
    if (!cJSON_IsBool(it)) {
        jerr_set(err, "field '%s' must be true or false", name);
        return JGET_BAD;
    }
    *out = cJSON_IsTrue(it);
    return JGET_OK;
}

int jget_date(const cJSON *obj, const char *name, bool optional, const char **out,
              struct jerr *err)
{
    const cJSON *it;
    int rc = get_string(obj, name, optional, &it, err);
    if (rc != JGET_OK)
        return rc;
    char why[TU_WHY_MAX];
    if (tu_date_why(it->valuestring, why)) {
        jerr_set(err, "field '%s' must be a date YYYY-MM-DD: %s", name, why);
        return JGET_BAD;
    }
    *out = it->valuestring;
    return JGET_OK;
}

int jget_ts(const cJSON *obj, const char *name, bool optional, const char **out,
            struct jerr *err)
{
    const cJSON *it;
    int rc = get_string(obj, name, optional, &it, err);
    if (rc != JGET_OK)
        return rc;
    if (!tu_valid_timestamp(it->valuestring)) {
        jerr_set(err, "field '%s' must be an RFC 3339 timestamp with offset, "
                      "e.g. 2026-11-22T09:31:05+08:00", name);
        return JGET_BAD;
    }
    *out = it->valuestring;
    return JGET_OK;
}

/* Scans the raw text for nesting depth outside strings, so a deeply nested
 * payload is refused before cJSON recurses into it. */
enum { DEPTH_OK, DEPTH_DEEP, DEPTH_NUL };

static int scan_raw(const char *p, size_t len, int max_depth)
{
    int depth = 0;
    bool in_str = false;
    for (size_t i = 0; i < len; i++) {
        char c = p[i];
        if (in_str) {
            if (c == '\\') {
                /* An escaped NUL would cut the decoded string short, so the
                 * rest of it would escape every check. */
                if (i + 5 < len && p[i + 1] == 'u' && p[i + 2] == '0' && p[i + 3] == '0' &&
                    p[i + 4] == '0' && p[i + 5] == '0')
                    return DEPTH_NUL;
                i++;
            } else if (c == '"') {
                in_str = false;
            }
        } else if (c == '"') {
            in_str = true;
        } else if (c == '{' || c == '[') {
            if (++depth > max_depth)
                return DEPTH_DEEP;
        } else if (c == '}' || c == ']') {
            depth--;
        }
    }
    return DEPTH_OK;
}

/* Two values under one key are read differently by different parsers (cJSON
 * takes the first, others the last), so such a payload is refused. */
static const char *duplicate_key(const cJSON *node)
{
    for (const cJSON *a = node ? node->child : NULL; a; a = a->next) {
        if (cJSON_IsObject(node))
            for (const cJSON *b = a->next; b; b = b->next)
                if (a->string && b->string && strcmp(a->string, b->string) == 0)
                    return a->string;
        const char *dup = duplicate_key(a);
        if (dup)
            return dup;
    }
    return NULL;
}

cJSON *json_parse_bounded(const char *payload, size_t len, int max_depth,
                          struct jerr *err)
{
    if (len == 0) {
        jerr_set(err, "payload is empty, expected a JSON object");
        return NULL;
    }
    if (!utf8_valid(payload, len)) {
        jerr_set(err, "payload is not valid UTF-8");
        return NULL;
    }
    if (memchr(payload, '\0', len)) {
        jerr_set(err, "payload contains a NUL byte");
        return NULL;
    }
    int scan = scan_raw(payload, len, max_depth);
    if (scan == DEPTH_DEEP) {
        jerr_set(err, "payload nests deeper than %d levels", max_depth);
        return NULL;
    }
    if (scan == DEPTH_NUL) {
        jerr_set(err, "payload has a \\u0000 (NUL) character in a string");
        return NULL;
    }
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(payload, len, &end, 0);
    if (!root) {
        size_t at = end && end >= payload ? (size_t)(end - payload) : 0;
        jerr_set(err, "payload is not valid JSON (error near byte %zu)", at);
        return NULL;
    }
    /* Only trailing white space may follow the value. */
    for (const char *p = end; p && p < payload + len; p++) {
        if (*p != ' ' && *p != '\n' && *p != '\r' && *p != '\t') {
            cJSON_Delete(root);
            jerr_set(err, "payload has text after the JSON value (byte %zu)",
                     (size_t)(p - payload));
            return NULL;
        }
    }
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        jerr_set(err, "payload must be a JSON object");
        return NULL;
    }
    const char *dup = duplicate_key(root);
    if (dup) {
        jerr_set(err, "payload has the key '%.64s' more than once", dup);
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

char *json_print_free(cJSON *o)
{
    char *s = o ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    return s;
}

cJSON *json_names_array(unsigned set, const char *const *names)
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; a && names[i]; i++)
        if (set & (1u << i))
            cJSON_AddItemToArray(a, cJSON_CreateString(names[i]));
    return a;
}
