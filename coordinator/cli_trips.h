/* cli_trips.h -- the coordinator's CLI for trips and their volunteers:
 * `trips` (list), `trip show` (roster and attendance, read from the store)
 * and `trip create|cancel|complete` (admin requests to the running
 * coordinator over MQTT 5, so that only the daemon writes the store). */
#ifndef OUTREACH_CLI_TRIPS_H
#define OUTREACH_CLI_TRIPS_H

#include "store.h"

/* Opens an existing store for a CLI command (never creates one), or prints
 * why not and returns NULL. main.c passes its open_existing_store. */
typedef struct store *(*cli_open_store_fn)(const char *db);

/* argv[0] is the command word ("trips", "trip"); each returns the exit
 * status: 0 ok, 2 bad usage or invalid input, 3 refused by the coordinator,
 * 1 any other failure. */
int cli_trips(int argc, char **argv, cli_open_store_fn open_store);
int cli_trip(int argc, char **argv, cli_open_store_fn open_store);

#endif
