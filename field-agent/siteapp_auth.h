/* siteapp_auth.h -- the site app's sign-in: one site passcode, then a staff id;
 * sessions by a random token kept in memory with an expiry, a CSRF token per
 * session, and wrong passcodes slowed down per client address and globally.
 * Pure logic on a clock the caller passes (seconds, monotonic): not
 * thread-safe, the caller serializes. */
#ifndef OUTREACH_SITEAPP_AUTH_H
#define OUTREACH_SITEAPP_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#define SA_TOKEN_LEN 43 /* 32 random bytes, base64url without padding */
#define SA_STAFF_MAX 64
#define SA_CLIENT_MAX 64 /* an address as text */

/* Per client: after the n-th wrong passcode in a row, the next try waits
 * SA_DELAY_BASE_S * 2^(n-1) seconds, at most SA_DELAY_MAX_S. Globally, from
 * the SA_GLOBAL_FREE-th wrong passcode on (any client, forgotten after
 * SA_GLOBAL_FORGET_S without one), every try waits as well, at most
 * SA_GLOBAL_MAX_S. */
#define SA_DELAY_BASE_S 1.0
#define SA_DELAY_MAX_S 60.0
#define SA_GLOBAL_FREE 10
#define SA_GLOBAL_MAX_S 10.0
#define SA_GLOBAL_FORGET_S 600.0

struct sa_session {
    char token[SA_TOKEN_LEN + 1];
    char csrf[SA_TOKEN_LEN + 1];
    char staff_id[SA_STAFF_MAX + 1];
    double expires;
};

enum sa_result {
    SA_OK = 0,
    SA_WRONG,     /* wrong passcode (the try is counted) */
    SA_WAIT,      /* too soon after a wrong one: *retry_after says how long */
    SA_BAD_STAFF, /* the staff id is not of the staff id form */
    SA_ERROR,     /* no randomness */
};

struct sa_auth;

/* passcode: the site's; session_s: how long a session lives without use;
 * max_sessions: the oldest is dropped beyond it. NULL when out of memory. */
struct sa_auth *sa_auth_new(const char *passcode, double session_s, size_t max_sessions);
void sa_auth_free(struct sa_auth *a);

/* Seconds until client may try a passcode again (0: now). */
double sa_auth_wait(const struct sa_auth *a, const char *client, double now);

/* Signs in: on SA_OK *out is the new session (copy). On SA_WAIT and SA_WRONG
 * *retry_after is the wait before the next try. The passcode is never kept
 * or logged. */
enum sa_result sa_auth_signin(struct sa_auth *a, const char *client, const char *passcode,
                              const char *staff_id, double now, struct sa_session *out,
                              double *retry_after);

/* The live session of cookie token (NULL or unknown or expired: false); its
 * expiry moves on with use. *out gets a copy. */
bool sa_auth_find(struct sa_auth *a, const char *token, double now, struct sa_session *out);

/* Whether header (X-CSRF-Token, may be NULL) is the session's CSRF token. */
bool sa_auth_csrf_ok(const struct sa_session *s, const char *header);

void sa_auth_signout(struct sa_auth *a, const char *token);

/* Constant-time comparison of two NUL-terminated strings. */
bool sa_equal(const char *a, const char *b);

/* Fills buf[SA_TOKEN_LEN + 1] with a new random token. Returns 0 or -1. */
int sa_random_token(char buf[SA_TOKEN_LEN + 1]);

#endif
