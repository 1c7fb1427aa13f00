/* conf.h -- table-driven "key = value" configuration files. */
#ifndef OUTREACH_CONF_H
#define OUTREACH_CONF_H

#include <stdbool.h>

#define CONF_ERR_MAX 320

enum conf_type { CONF_STR, CONF_INT, CONF_BOOL };

/* One option: its name, type, where the value goes, bounds for integers.
 * CONF_STR: dst is char ** (the old value is freed, NULL-safe; the new one
 * is malloc'd; conf_free_strings frees them). CONF_INT: long long *.
 * CONF_BOOL: bool * (true/false/yes/no/on/off/1/0). */
struct conf_opt {
    const char *name;
    enum conf_type type;
    void *dst;
    long long min, max;
    const char *help;
};

/* Reads path: blank lines and lines starting with '#' are skipped; every
 * other line is "name = value". An unknown name or a bad value is an error
 * naming the file, line and option. Returns 0 or -1 with err. */
int conf_load(const char *path, const struct conf_opt *opts, char err[CONF_ERR_MAX]);

/* Sets one option from text (as a command-line flag would). */
int conf_set(const struct conf_opt *opts, const char *name, const char *value,
             char err[CONF_ERR_MAX]);

/* Frees every CONF_STR value of the table (sets them NULL). */
void conf_free_strings(const struct conf_opt *opts);

#endif
