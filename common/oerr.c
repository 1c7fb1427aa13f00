/* oerr.c -- strings for the error enum. */
#include "oerr.h"

const char *oerr_str(oerr_t e)
{
    static const char *const names[] = {
#define OERR_STR(name, s) s,
        OERR_MAP(OERR_STR)
#undef OERR_STR
    };
    if ((unsigned)e >= OERR_MAX_)
        return "unknown error";
    return names[e];
}
