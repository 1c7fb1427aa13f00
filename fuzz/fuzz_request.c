/* fuzz_request.c -- libFuzzer target for request_decode.
 *
 * Input: byte 0 picks the scope (even: REQ_ADMIN, odd: REQ_VOLUNTEER); the
 * rest is the payload. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile unsigned sink; /* unsigned: it wraps over millions of runs */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    enum req_scope scope = (data[0] & 1u) ? REQ_VOLUNTEER : REQ_ADMIN;

    struct request q;
    struct jerr err;
    err.msg[0] = '\0';
    const char *code = request_decode(scope, (const char *)data + 1, size - 1, &q, &err);
    sink += (unsigned)strnlen(err.msg, sizeof err.msg);
    if (code)
        sink += (unsigned)strlen(code);
    if (q.request_id)
        sink += (unsigned)strlen(q.request_id);
    if (!code && q.trip_id)
        sink += (unsigned)strlen(q.trip_id);
    request_free(&q);
    return 0;
}
