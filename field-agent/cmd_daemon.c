/* cmd_daemon.c -- outreach-agent daemon: the background sender, and the site app beside it. */
#include "commands.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "olog.h"
#include "siteapp.h"

static const char usage_daemon[] =
    "usage: outreach-agent daemon [OPTIONS]\n\n"
    "Keeps one connection to the broker and sends the outbox's reports oldest\n"
    "first as soon as it can, resending any the coordinator has not answered\n"
    "within resend_s (10 s); reconnects with backoff; publishes this device's\n"
    "retained status (online, pending, last seq). One daemon per outbox. Stops\n"
    "cleanly on SIGINT or SIGTERM. See 'outreach-agent --help' for the options.\n"
    "\n"
    "The site app (a phone page for the team) is served when the config sets\n"
    "site_port: site_listen (default 127.0.0.1; 0.0.0.0 for the device's Wi-Fi),\n"
    "site_passcode or site_passcode_file (else one is made and printed with the\n"
    "address and a QR code), site_fold_s (taps become headcount reports this\n"
    "often, default 60), site_session_h (default 12), site_formulary (a file of\n"
    "medicine names, one a line, that the medicine form suggests). Its entries go\n"
    "to today's trip from the trip cards (the config's trip when it names one of\n"
    "them); an entry for an unknown or cancelled trip is refused before it is saved.\n";

/* Serves the site app as the config says; prints its address. */
static int start_site(const struct agent_config *cfg, struct siteapp **site)
{
    char err[MQ_ERR_MAX], serr[SITEAPP_ERR_MAX];
    char *passcode = NULL;
    if (cfg->site_passcode_file && !(passcode = mq_read_secret(cfg->site_passcode_file, err))) {
        cli_fail("site_passcode_file: %s", err);
        return -1;
    }
    struct siteapp_opts so = {
        .listen = cfg->site_listen, .port = (int)cfg->site_port,
        .passcode = passcode ? passcode : cfg->site_passcode,
        .outbox_path = cfg->outbox, .agent_id = cfg->agent_id, .trip = cfg->trip,
        .formulary = cfg->site_formulary, .fold_s = (int)cfg->site_fold_s,
        .session_s = (int)cfg->site_session_h * 3600,
        .banner = stdout,
    };
    if (cfg->site_formulary && access(cfg->site_formulary, R_OK) != 0)
        fprintf(stderr, "outreach-agent: warning: site_formulary %s: %s; the medicine form "
                "suggests only this trip's earlier names (fix the path)\n", cfg->site_formulary,
                strerror(errno));
    int rc = siteapp_start(&so, site, serr);
    if (rc)
        cli_fail("site app: %s", serr);
    if (passcode) /* the site app keeps its own copy */
        explicit_bzero(passcode, strlen(passcode));
    free(passcode);
    return rc;
}

static volatile sig_atomic_t daemon_stop;
static void on_signal(int sig) { daemon_stop = sig; }

int cmd_daemon(int argc, char **argv, void *ctx)
{
    struct agent_config *cfg = ctx;
    struct cmd_flags f;
    int rc = agent_parse_cmd(cfg, argc, argv, usage_daemon, 0, &f);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (!cfg->broker) {
        cli_fail("%s", "no broker configured (set broker or pass --broker)");
        return EXIT_USAGE;
    }
    int level = olog_parse_level(cfg->log_level ? cfg->log_level : "info");
    if (level < 0) {
        cli_fail("unknown log level '%s'", cfg->log_level);
        return EXIT_USAGE;
    }
    olog_set_level((enum olog_level)level);
    long holder;
    int lock = daemon_lock(cfg->outbox, &holder);
    if (lock < 0) {
        if (holder < 0)
            cli_fail("cannot open the lock file %s%s: %s", cfg->outbox, DAEMON_LOCK_SUFFIX,
                     strerror((int)-holder));
        else
            cli_fail("a daemon (pid %ld) already serves the outbox %s", holder, cfg->outbox);
        return 1;
    }
    char err[MQ_ERR_MAX];
    char *password = NULL;
    struct outbox *ob = NULL;
    struct siteapp *site = NULL;
    rc = 1;
    if (cfg->password_file && !(password = mq_read_secret(cfg->password_file, err))) {
        cli_fail("%s", err);
        goto done;
    }
    if (!(ob = agent_open_outbox(cfg)))
        goto done;
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    struct daemon_opts o = {
        .broker = cfg->broker, .agent_id = cfg->agent_id,
        .username = cfg->username ? cfg->username : (password ? cfg->agent_id : NULL),
        .password = password, .topic_root = cfg->topic_root, .trip = cfg->trip, .tls = &cfg->tls,
        .connect_timeout_ms = (int)cfg->connect_timeout_s * 1000,
        .resend_ms = (int)cfg->resend_s * 1000, .window = (int)cfg->window,
        .stop = &daemon_stop,
    };
    olog(OLOG_INFO, "daemon for agent %s, outbox %s, broker %s", cfg->agent_id, cfg->outbox,
         cfg->broker);
    if (cfg->site_port && start_site(cfg, &site))
        goto done;
    rc = daemon_run(ob, &o);
    siteapp_stop(site);
    olog(OLOG_INFO, "daemon stopped");
done:
    outbox_close(ob);
    free(password);
    close(lock);
    return rc;
}
