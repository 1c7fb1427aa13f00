/* siteapp_auth.c -- sessions, CSRF tokens and the slowing of wrong passcodes. */
#include "siteapp_auth.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "ids.h"

#define SA_CLIENTS 256 /* clients remembered for slowing; the oldest goes */

struct sa_client {
    char addr[SA_CLIENT_MAX + 1];
    int fails;          /* wrong passcodes in a row */
    double next_try;    /* not before */
    double last;        /* for eviction */
};

struct sa_auth {
    char *passcode;
    double session_s;
    size_t max_sessions, nsessions;
    struct sa_session *sessions;
    struct sa_client clients[SA_CLIENTS];
    int global_fails;
    double global_next, global_last;
};

bool sa_equal(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned char d = (unsigned char)(la != lb);
    for (size_t i = 0; i < la; i++)
        d |= (unsigned char)(a[i] ^ b[lb ? i % lb : 0]);
    return d == 0;
}

int sa_random_token(char buf[SA_TOKEN_LEN + 1])
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned char raw[33];
    if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw)
        return -1;
    /* 43 characters of 6 bits: 258 bits from 33 bytes, the last 2 unused. */
    for (int i = 0; i < SA_TOKEN_LEN; i++) {
        int bit = i * 6, byte = bit / 8, shift = bit % 8;
        unsigned v = ((unsigned)raw[byte] << 8 | raw[byte + 1]) >> (10 - shift);
        buf[i] = b64[v & 63];
    }
    buf[SA_TOKEN_LEN] = '\0';
    return 0;
}

struct sa_auth *sa_auth_new(const char *passcode, double session_s, size_t max_sessions)
{
    struct sa_auth *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->passcode = strdup(passcode);
    a->sessions = calloc(max_sessions ? max_sessions : 1, sizeof *a->sessions);
    if (!a->passcode || !a->sessions) {
        sa_auth_free(a);
        return NULL;
    }
    a->session_s = session_s;
    a->max_sessions = max_sessions ? max_sessions : 1;
    return a;
}

void sa_auth_free(struct sa_auth *a)
{
    if (!a)
        return;
    if (a->passcode)
        memset(a->passcode, 0, strlen(a->passcode));
    free(a->passcode);
    free(a->sessions);
    free(a);
}

static struct sa_client *client_find(const struct sa_auth *a, const char *addr)
{
    for (int i = 0; i < SA_CLIENTS; i++)
        if (a->clients[i].addr[0] && strcmp(a->clients[i].addr, addr) == 0)
            return (struct sa_client *)&a->clients[i];
    return NULL;
}

static struct sa_client *client_slot(struct sa_auth *a, const char *addr)
{
    struct sa_client *c = client_find(a, addr);
    if (c)
        return c;
    c = &a->clients[0];
    for (int i = 0; i < SA_CLIENTS; i++) {
        if (!a->clients[i].addr[0]) {
            c = &a->clients[i];
            break;
        }
        if (a->clients[i].last < c->last)
            c = &a->clients[i];
    }
    memset(c, 0, sizeof *c);
    snprintf(c->addr, sizeof c->addr, "%s", addr);
    return c;
}

static double global_wait(const struct sa_auth *a, double now)
{
    if (a->global_fails < SA_GLOBAL_FREE || now - a->global_last > SA_GLOBAL_FORGET_S)
        return 0;
    return a->global_next > now ? a->global_next - now : 0;
}

double sa_auth_wait(const struct sa_auth *a, const char *client, double now)
{
    double w = global_wait(a, now);
    const struct sa_client *c = client_find(a, client);
    if (c && c->next_try > now && c->next_try - now > w)
        w = c->next_try - now;
    return w;
}

static double backoff(int n, double base, double max)
{
    if (n <= 0)
        return 0;
    double d = base * ldexp(1.0, n > 30 ? 30 : n - 1);
    return d < max ? d : max;
}

static void drop_expired(struct sa_auth *a, double now)
{
    size_t k = 0;
    for (size_t i = 0; i < a->nsessions; i++)
        if (a->sessions[i].expires > now)
            a->sessions[k++] = a->sessions[i];
    a->nsessions = k;
}

enum sa_result sa_auth_signin(struct sa_auth *a, const char *client, const char *passcode,
                              const char *staff_id, double now, struct sa_session *out,
                              double *retry_after)
{
    *retry_after = sa_auth_wait(a, client, now);
    if (*retry_after > 0)
        return SA_WAIT;
    if (!passcode || !sa_equal(passcode, a->passcode)) {
        struct sa_client *c = client_slot(a, client);
        c->fails++;
        c->last = now;
        c->next_try = now + backoff(c->fails, SA_DELAY_BASE_S, SA_DELAY_MAX_S);
        if (now - a->global_last > SA_GLOBAL_FORGET_S)
            a->global_fails = 0;
        a->global_fails++;
        a->global_last = now;
        a->global_next = now + backoff(a->global_fails - SA_GLOBAL_FREE + 1, 0.25,
                                       SA_GLOBAL_MAX_S);
        *retry_after = sa_auth_wait(a, client, now);
        return SA_WRONG;
    }
    if (!staff_id || !id_is_code(staff_id))
        return SA_BAD_STAFF;
    struct sa_client *c = client_find(a, client);
    if (c)
        memset(c, 0, sizeof *c); /* this client knows the passcode */
    drop_expired(a, now);
    if (a->nsessions == a->max_sessions) {
        size_t oldest = 0;
        for (size_t i = 1; i < a->nsessions; i++)
            if (a->sessions[i].expires < a->sessions[oldest].expires)
                oldest = i;
        a->sessions[oldest] = a->sessions[--a->nsessions];
    }
    struct sa_session s = {.expires = now + a->session_s};
    if (sa_random_token(s.token) || sa_random_token(s.csrf))
        return SA_ERROR;
    snprintf(s.staff_id, sizeof s.staff_id, "%s", staff_id);
    a->sessions[a->nsessions++] = s;
    *out = s;
    return SA_OK;
}

bool sa_auth_find(struct sa_auth *a, const char *token, double now, struct sa_session *out)
{
    if (!token || strlen(token) != SA_TOKEN_LEN)
        return false;
    drop_expired(a, now);
    for (size_t i = 0; i < a->nsessions; i++) {
        if (sa_equal(a->sessions[i].token, token)) {
            a->sessions[i].expires = now + a->session_s;
            *out = a->sessions[i];
            return true;
        }
    }
    return false;
}

bool sa_auth_csrf_ok(const struct sa_session *s, const char *header)
{
    return header && strlen(header) == SA_TOKEN_LEN && sa_equal(s->csrf, header);
}

void sa_auth_signout(struct sa_auth *a, const char *token)
{
    for (size_t i = 0; token && i < a->nsessions; i++) {
        if (sa_equal(a->sessions[i].token, token)) {
            a->sessions[i] = a->sessions[--a->nsessions];
            return;
        }
    }
}
