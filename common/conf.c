/* conf.c -- one reader for every config file of the project. */
#include "conf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    char *e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
        *--e = '\0';
    return s;
}

int conf_set(const struct conf_opt *opts, const char *name, const char *value,
             char err[CONF_ERR_MAX])
{
    const struct conf_opt *o = opts;
    while (o->name && strcmp(o->name, name) != 0)
        o++;
    if (!o->name) {
        snprintf(err, CONF_ERR_MAX, "unknown option '%.64s'", name);
        return -1;
    }
    switch (o->type) {
    case CONF_STR: {
        char *copy = strdup(value);
        if (!copy) {
            snprintf(err, CONF_ERR_MAX, "out of memory");
            return -1;
        }
        free(*(char **)o->dst);
        *(char **)o->dst = copy;
        return 0;
    }
    case CONF_INT: {
        char *end;
        errno = 0;
        long long v = strtoll(value, &end, 10);
        if (errno || end == value || *end || v < o->min || v > o->max) {
            snprintf(err, CONF_ERR_MAX, "option '%s' must be a whole number from %lld to %lld",
                     o->name, o->min, o->max);
            return -1;
        }
        *(long long *)o->dst = v;
        return 0;
    }
    case CONF_BOOL: {
        static const char *const yes[] = {"true", "yes", "on", "1"};
        static const char *const no[] = {"false", "no", "off", "0"};
        for (int i = 0; i < 4; i++) {
            if (strcasecmp(value, yes[i]) == 0) {
                *(bool *)o->dst = true;
                return 0;
            }
            if (strcasecmp(value, no[i]) == 0) {
                *(bool *)o->dst = false;
                return 0;
            }
        }
        snprintf(err, CONF_ERR_MAX, "option '%s' must be true or false", o->name);
        return -1;
    }
    }
    return -1;
}

int conf_load(const char *path, const struct conf_opt *opts, char err[CONF_ERR_MAX])
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, CONF_ERR_MAX, "cannot open config %s: %s", path, strerror(errno));
        return -1;
    }
    char line[1024];
    int lineno = 0, rc = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        char *s = trim(line);
        if (!*s || *s == '#')
            continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            snprintf(err, CONF_ERR_MAX, "%s:%d: expected 'name = value'", path, lineno);
            rc = -1;
            break;
        }
        *eq = '\0';
        char *name = trim(s), *value = trim(eq + 1), e2[CONF_ERR_MAX];
        if (conf_set(opts, name, value, e2)) {
            snprintf(err, CONF_ERR_MAX, "%.80s:%d: %.200s", path, lineno, e2);
            rc = -1;
            break;
        }
    }
    fclose(f);
    return rc;
}

void conf_free_strings(const struct conf_opt *opts)
{
    for (const struct conf_opt *o = opts; o && o->name; o++) {
        if (o->type == CONF_STR) {
            free(*(char **)o->dst);
            *(char **)o->dst = NULL;
        }
    }
}
