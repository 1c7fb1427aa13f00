/* ids.c -- identifier patterns of the contract, random UUIDs, UTF-8 checks. */
#include "ids.h"

#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

static bool is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_alnum(char c)
{
    return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

bool id_is_agent(const char *s)
{
    if (!s || !is_lower_alnum(s[0]))
        return false;
    size_t n = 1;
    for (; s[n]; n++)
        if (!is_lower_alnum(s[n]) && s[n] != '_' && s[n] != '-')
            return false;
    return n <= ID_MAX;
}

bool id_is_code(const char *s)
{
    if (!s || !is_alnum(s[0]))
        return false;
    size_t n = 1;
    for (; s[n]; n++)
        if (!is_alnum(s[n]) && s[n] != '.' && s[n] != '_' && s[n] != '-')
            return false;
    return n <= ID_MAX;
}

bool id_is_uuid(const char *s)
{
    if (!s || strlen(s) != UUID_LEN)
        return false;
    for (int i = 0; i < UUID_LEN; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return false;
        } else if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
            return false;
        }
    }
    return true;
}

/* A UUID of version v from the 16 bytes b (random but for what v sets). */
static int uuid_format(unsigned char b[16], unsigned v, char out[UUID_LEN + 1])
{
    b[6] = (unsigned char)((b[6] & 0x0f) | (v << 4));
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 9562 variant */
    snprintf(out, UUID_LEN + 1,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10],
             b[11], b[12], b[13], b[14], b[15]);
    return 0;
}

static int random_bytes(unsigned char *b, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = getrandom(b + got, n - got, 0);
        if (r < 0)
            return -1;
        got += (size_t)r;
    }
    return 0;
}

int id_new_uuid(char out[UUID_LEN + 1])
{
    unsigned char b[16];
    return random_bytes(b, sizeof b) ? -1 : uuid_format(b, 4, out);
}

int id_new_msg_id(char out[UUID_LEN + 1])
{
    unsigned char b[16];
    struct timespec ts;
    if (random_bytes(b, sizeof b) || clock_gettime(CLOCK_REALTIME, &ts))
        return -1;
    unsigned long long ms = (unsigned long long)ts.tv_sec * 1000ull +
                            (unsigned long long)ts.tv_nsec / 1000000ull;
    for (int i = 0; i < 6; i++)
        b[i] = (unsigned char)(ms >> (8 * (5 - i)));
    return uuid_format(b, 7, out);
}

bool utf8_valid(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < len) {
        unsigned c = s[i];
        size_t need;
        unsigned min, cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            need = 1; min = 0x80; cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            need = 2; min = 0x800; cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            need = 3; min = 0x10000; cp = c & 0x07;
        } else {
            return false;
        }
        if (len - i <= need)
            return false;
        for (size_t k = 1; k <= need; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += need + 1;
    }
    return true;
}

size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xc0) != 0x80)
            n++;
    return n;
}
