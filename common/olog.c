/* olog.c -- timestamped log lines to stderr (or a chosen stream), thread-safe,
 * with text from outside escaped (olog_escape). */
#include "olog.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static enum olog_level min_level = OLOG_INFO;
static FILE *stream;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

void olog_set_level(enum olog_level level) { min_level = level; }
void olog_set_stream(FILE *f) { stream = f; }

int olog_parse_level(const char *s)
{
    static const char *const names[] = {"debug", "info", "warn", "error"};
    for (int i = 0; i < 4; i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    return -1;
}

/* The code point of the valid UTF-8 sequence at p (shortest form, no
 * surrogates, at most U+10FFFF), its length in *len; -1 when p does not
 * start one. */
static long utf8_cp(const unsigned char *p, size_t *len)
{
    unsigned char b = p[0];
    long c;
    size_t n;
    if (b < 0x80) {
        *len = 1;
        return b;
    } else if (b >= 0xC2 && b <= 0xDF) {
        c = b & 0x1F;
        n = 2;
    } else if ((b & 0xF0) == 0xE0) {
        c = b & 0x0F;
        n = 3;
    } else if (b >= 0xF0 && b <= 0xF4) {
        c = b & 0x07;
        n = 4;
    } else {
        return -1;
    }
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return -1;
        c = (c << 6) | (p[i] & 0x3F);
    }
    if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10FFFF)) ||
        (c >= 0xD800 && c <= 0xDFFF))
        return -1;
    *len = n;
    return c;
}

/* Format characters that reorder or break what a reader sees. */
static bool invisible_control(long c)
{
    return (c >= 0x80 && c <= 0x9F) || c == 0x061C || c == 0x200E || c == 0x200F ||
           (c >= 0x2028 && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
}

size_t olog_escape(char *out, size_t n, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t o = 0; /* length of the whole result */
    bool full = false; /* out is full: only count from here on */
    if (n > 0)
        out[0] = '\0';
    while (*p) {
        char esc[16];
        const char *piece = esc;
        size_t len, k;
        long c = utf8_cp(p, &len);
        if (c == '\n' || c == '\r' || c == '\t' || c == '\\') {
            esc[0] = '\\';
            esc[1] = c == '\n' ? 'n' : c == '\r' ? 'r' : c == '\t' ? 't' : '\\';
            k = 2;
        } else if (c < 0) {
            snprintf(esc, sizeof esc, "\\x%02X", *p);
            k = 4;
            len = 1;
        } else if (c < 0x20 || c == 0x7F) {
            snprintf(esc, sizeof esc, "\\x%02X", (unsigned)c);
            k = 4;
        } else if (invisible_control(c)) {
            snprintf(esc, sizeof esc, "\\u%04X", (unsigned)c);
            k = 6;
        } else {
            piece = (const char *)p;
            k = len;
        }
        if (!full && o + k < n)
            memcpy(out + o, piece, k);
        else
            full = true;
        if (!full)
            out[o + k] = '\0';
        o += k;
        p += len;
    }
    if (n > 0 && o < n)
        out[o] = '\0';
    return o;
}

char *olog_escape_dup(const char *s)
{
    size_t need = olog_escape(NULL, 0, s);
    char *out = malloc(need + 1);
    if (out)
        olog_escape(out, need + 1, s);
    return out;
}

void olog(enum olog_level level, const char *fmt, ...)
{
    static const char *const tags[] = {"debug", "info", "warn", "error"};
    if (level < min_level)
        return;
    char ts[32];
    struct timespec now;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &now);
    localtime_r(&now.tv_sec, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);

    /* Format, then escape the whole message: whichever argument carried text
     * from outside, it stays on this one line. */
    char raw[2048], clean[4096];
    char *msg = raw, *big = NULL, *out = clean;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    if (k >= (int)sizeof raw && (big = malloc((size_t)k + 1)) != NULL) {
        va_start(ap, fmt);
        vsnprintf(big, (size_t)k + 1, fmt, ap);
        va_end(ap);
        msg = big;
    }
    if (k < 0)
        snprintf(raw, sizeof raw, "(unprintable log message: %s)", fmt);
    size_t need = olog_escape(clean, sizeof clean, msg);
    char *wide = NULL;
    if (need >= sizeof clean && (wide = malloc(need + 1)) != NULL) {
        olog_escape(wide, need + 1, msg);
        out = wide;
    }
    pthread_mutex_lock(&lock);
    FILE *f = stream ? stream : stderr;
    fprintf(f, "%s.%03ld %s: %s%s\n", ts, now.tv_nsec / 1000000L, tags[level], out,
            out == clean && need >= sizeof clean ? "... (cut: out of memory)" : "");
    fflush(f);
    pthread_mutex_unlock(&lock);
    free(wide);
    free(big);
}
