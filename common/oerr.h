/* oerr.h -- the one error enum of outreach, with its strings (X-macro). */
#ifndef OUTREACH_OERR_H
#define OUTREACH_OERR_H

#define OERR_MAP(X)                                                  \
    X(OK, "success")                                                 \
    X(NOMEM, "out of memory")                                        \
    X(INVAL, "invalid argument")                                     \
    X(IO, "input/output error")                                      \
    X(DB, "database error")                                          \
    X(CORRUPT, "database file is damaged")                           \
    X(MQTT, "MQTT error")                                            \
    X(TIMEOUT, "timed out")                                          \
    X(NOTFOUND, "not found")                                         \
    X(EXISTS, "already exists")                                      \
    X(CONFIG, "configuration error")                                 \
    X(REJECTED, "rejected")

typedef enum {
#define OERR_ENUM(name, s) OERR_##name,
    OERR_MAP(OERR_ENUM)
#undef OERR_ENUM
    OERR_MAX_
} oerr_t;

/* Returns a static string; never NULL. */
const char *oerr_str(oerr_t e);

#endif
