/* volunteer.h -- outreach-agent volunteer: a volunteer's client (profile,
 * trips with open places, registration, cancellation, notices) over the
 * request/reply topics of the wire contract. */
#ifndef OUTREACH_VOLUNTEER_H
#define OUTREACH_VOLUNTEER_H

/* Runs "outreach-agent volunteer SUBCOMMAND [OPTIONS]": argv[0] is
 * "volunteer", argv[1] the subcommand; ctx is not used (a command handler
 * of common/cli.h). Returns the exit status: 0 done, EXIT_USAGE,
 * EXIT_REFUSED by the coordinator, 1 any other failure. */
int volunteer_main(int argc, char **argv, void *ctx);

#endif
