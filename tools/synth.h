/* synth.h -- what the tools that make synthetic reports share
 * (outreach-gen-store, outreach-bench-ingest): a seeded generator, random
 * version 4 UUIDs from it, and clocks. Header-only: each tool has its own. */
#ifndef OUTREACH_TOOLS_SYNTH_H
#define OUTREACH_TOOLS_SYNTH_H

#include <stdint.h>
#include <sys/resource.h>
#include <time.h>

#include "ids.h"

/* splitmix64; the same seed gives the same numbers. */
static uint64_t rng_state;
static inline uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static inline void uuid_v4(char out[UUID_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    uint64_t a = rnd(), b = rnd();
    unsigned char v[16];
    for (int i = 0; i < 8; i++) {
        v[i] = (unsigned char)(a >> (8 * i));
        v[8 + i] = (unsigned char)(b >> (8 * i));
    }
    v[6] = (unsigned char)((v[6] & 0x0f) | 0x40);
    v[8] = (unsigned char)((v[8] & 0x3f) | 0x80);
    size_t o = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[v[i] >> 4];
        out[o++] = hex[v[i] & 15];
    }
    out[o] = '\0';
}

/* CPU seconds (user + system) of this process so far. */
static inline double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static inline double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#endif
