/* fuzz_agent_status.c -- libFuzzer target for agent_status_decode.
 *
 * Input: byte 0 picks the status topic's agent (byte % 4: "team-07", no
 * agent, "team-01", "xiuwu-clinic-2"); the rest is the payload. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "agent_status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile unsigned sink; /* unsigned: it wraps over millions of runs */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static const char *const agents[] = {"team-07", NULL, "team-01", "xiuwu-clinic-2"};
    const char *agent = agents[data[0] % 4u];

    struct agent_status st;
    struct jerr err;
    err.msg[0] = '\0';
    int rc = agent_status_decode(agent, (const char *)data + 1, size - 1, &st, &err);
    sink += (unsigned)strnlen(err.msg, sizeof err.msg);
    if (rc == 0) {
        /* A decoded status: every string it names is readable. */
        sink += (unsigned)strlen(st.agent_id) + (st.online ? 1 : 0);
        if (st.trip_id)
            sink += (unsigned)strlen(st.trip_id);
        if (st.since)
            sink += (unsigned)strlen(st.since);
        sink += (unsigned)((unsigned long long)st.pending + (unsigned long long)st.last_seq);
    }
    agent_status_free(&st);
    return 0;
}
