/* fuzz_report.c -- libFuzzer target for report_decode.
 *
 * Input: byte 0 picks the topic (byte % 7: the six report kinds in enum
 * order, then an unknown kind; (byte / 7) % 3: the topic's agent "team-07",
 * no agent, or "team-01"); the rest is the payload. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile unsigned sink; /* unsigned: it wraps over millions of runs */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static const char *const agents[] = {"team-07", NULL, "team-01"};
    unsigned k = data[0] % 7u;
    const char *kind = k < RK_COUNT ? report_kind_names[k] : "vaccination";
    const char *agent = agents[(data[0] / 7u) % 3u];

    struct report r;
    struct jerr err;
    err.msg[0] = '\0';
    enum reject_code rc = report_decode(agent, kind, (const char *)data + 1, size - 1, &r, &err);
    sink += (unsigned)strlen(reject_code_str(rc)) + (unsigned)strnlen(err.msg, sizeof err.msg);
    if (r.msg_id)
        sink += (unsigned)strlen(r.msg_id);
    if (r.patient_ref)
        sink += (unsigned)report_ref_looks_personal(r.patient_ref);
    report_free(&r);
    return 0;
}
