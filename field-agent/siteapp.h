/* siteapp.h -- the site app: a phone page for the team at a free-clinic site,
 * served over HTTP (GNU libmicrohttpd, its own thread) by the agent daemon.
 * Its entries go into the outbox (the one copy of every entry) through a
 * second connection to the outbox database, which the daemon sends. */
#ifndef OUTREACH_SITEAPP_H
#define OUTREACH_SITEAPP_H

#include <stdio.h>

#define SITEAPP_ERR_MAX 320
#define SITEAPP_BODY_MAX (16 * 1024) /* a request body, at most */

struct siteapp_opts {
    const char *listen;        /* address to listen on (default 127.0.0.1) */
    int port;                  /* 1..65535 */
    const char *passcode;      /* the site passcode; NULL: generated and printed */
    const char *outbox_path, *agent_id;
    const char *trip;          /* the config's trip: today's when it names one of
                                * today's trip cards, the only one when the device
                                * has no cards (see site_trip_pick) */
    const char *formulary;     /* medicine names, one a line, the forms suggest; or NULL */
    int fold_s;                /* fold taps into headcounts this often */
    int session_s;             /* a session lives this long without use */
    FILE *banner;              /* where the URL, QR code and passcode go (stdout) */
};

struct siteapp;

/* Starts serving; prints the address (and a generated passcode) to
 * o->banner. Returns 0, or -1 with err saying what to change. */
int siteapp_start(const struct siteapp_opts *o, struct siteapp **out, char err[SITEAPP_ERR_MAX]);
/* Stops serving and frees it (NULL-safe). Taps not folded stay in the outbox
 * database and are folded by the next run. */
void siteapp_stop(struct siteapp *app);

/* Prints text as a QR code drawn with Unicode half blocks (light modules
 * drawn, for a dark terminal). Returns 0, or -1 when it cannot be encoded. */
int siteapp_print_qr(FILE *f, const char *text);

#endif
