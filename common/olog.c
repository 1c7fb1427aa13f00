/* olog.c -- timestamped log lines to stderr (or a chosen stream), thread-safe. */
#include "olog.h"

#include <pthread.h>
#include <stdarg.h>
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

    va_list ap;
    va_start(ap, fmt);
    pthread_mutex_lock(&lock);
    FILE *f = stream ? stream : stderr;
    fprintf(f, "%s.%03ld %s: ", ts, now.tv_nsec / 1000000L, tags[level]);
    vfprintf(f, fmt, ap);
    fputc('\n', f);
    fflush(f);
    pthread_mutex_unlock(&lock);
    va_end(ap);
}
