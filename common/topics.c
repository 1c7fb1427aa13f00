/* topics.c -- building and splitting topics under the contract's root. */
#include "topics.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int topic_fmt(char *buf, size_t n, const char *root, const char *fmt, ...)
{
    int used = snprintf(buf, n, "%s/", root);
    if (used < 0 || (size_t)used >= n)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    int more = vsnprintf(buf + used, n - (size_t)used, fmt, ap);
    va_end(ap);
    return more < 0 || (size_t)(used + more) >= n ? -1 : 0;
}

int topic_split(const char *topic, const char *root, char *scratch, size_t n,
                const char **seg, int max)
{
    size_t rl = strlen(root);
    if (strncmp(topic, root, rl) != 0 || topic[rl] != '/')
        return -1;
    const char *rest = topic + rl + 1;
    if (strlen(rest) >= n)
        return -1;
    strcpy(scratch, rest);
    int count = 0;
    char *p = scratch;
    while (count < max) {
        seg[count++] = p;
        char *slash = strchr(p, '/');
        if (!slash)
            return count;
        *slash = '\0';
        p = slash + 1;
    }
    return -1; /* more segments than expected */
}
