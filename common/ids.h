/* ids.h -- identifiers of the wire contract: checks, UUIDs, UTF-8. */
#ifndef OUTREACH_IDS_H
#define OUTREACH_IDS_H

#include <stdbool.h>
#include <stddef.h>

#define ID_MAX 64          /* longest agent_id, trip_id, ... */
#define UUID_LEN 36

/* agent_id, volunteer_id: ^[a-z0-9][a-z0-9_-]{0,63}$ (also an MQTT username). */
bool id_is_agent(const char *s);
/* trip_id, staff_id, site code, county: ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$ */
bool id_is_code(const char *s);
/* msg_id: 36 characters, lowercase hex with hyphens at 8, 13, 18, 23. */
bool id_is_uuid(const char *s);
/* Writes a random (version 4) UUID and its NUL into out[37]. Returns 0 or -1. */
int id_new_uuid(char out[UUID_LEN + 1]);
/* A report's msg_id: a time-ordered (version 7, RFC 9562) UUID, the Unix
 * time in ms in its first 48 bits and 74 random bits. Ids made one after
 * another sort one after another, so the coordinator's msg_id index takes
 * them at its right edge, whatever its size, instead of at a random page
 * (measured: docs/coordinator.md, "The store"). Returns 0 or -1. */
int id_new_msg_id(char out[UUID_LEN + 1]);

/* True when the len bytes at s are well-formed UTF-8 (no overlongs, no
 * surrogates, nothing above U+10FFFF). */
bool utf8_valid(const char *s, size_t len);
/* Number of code points in a valid UTF-8 string. */
size_t utf8_chars(const char *s);

#endif
