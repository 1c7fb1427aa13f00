/* trip_card.h -- a trip card as the field agent keeps it: plain data, read
 * from the coordinator's retained card (tripcards.h) and stored in the outbox
 * (outbox.h). No functions: both sides include it without including each
 * other. */
#ifndef OUTREACH_TRIP_CARD_H
#define OUTREACH_TRIP_CARD_H

#include "ids.h"
#include "timeutil.h"

#define TRIP_TEXT_MAX (128 * 4 + 1) /* 128 characters of UTF-8 */
#define TRIP_DEPTS_MAX 9

struct trip_card {
    char trip_id[ID_MAX + 1];
    char title[TRIP_TEXT_MAX];
    char date[11];     /* YYYY-MM-DD, the first day */
    char end_date[11]; /* the last day; "" for a one-day trip */
    char status[12];   /* planned, completed or cancelled */
    char site_code[ID_MAX + 1];
    char site_name[TRIP_TEXT_MAX];
    char county[ID_MAX + 1];
    char county_name[64 * 4 + 1];
    /* The departments offered, NULL-terminated; each points into
     * department_names (report.h): static, never freed. */
    const char *departments[TRIP_DEPTS_MAX + 1];
    char updated_at[TU_TS_MAX];  /* the card's updated_at; "" when it has none */
    char received_at[TU_TS_MAX]; /* when this device stored it */
};

#endif
