/* siteapp_forms.h -- the site app's four forms (medicine, referral, health
 * education, team check-in): what they offer (lists in both languages,
 * suggestions from the outbox and the formulary file, a ready-made patient
 * reference) and saving one entry from a form, built by compose.c and checked
 * by report_decode exactly as `outreach-agent report` does. No HTTP here: the
 * caller (siteapp.c) holds the outbox's lock and sends the reply. */
#ifndef OUTREACH_SITEAPP_FORMS_H
#define OUTREACH_SITEAPP_FORMS_H

#include <cjson/cJSON.h>

#include "outbox.h"

#define FORMS_FORMULARY_NAMES 500            /* names read from the formulary, at most */
#define FORMS_FORMULARY_BYTES (64 * 1024)    /* bytes read from it, at most */
#define FORMS_SUGGEST_MAX 200                /* medicines or people suggested, at most */

/* One of the fixed lists the forms offer: a wire code with its labels. */
struct forms_choice {
    const char *code, *zh, *en;
};
extern const struct forms_choice forms_units[];      /* ends with code NULL */
extern const struct forms_choice forms_conditions[]; /* ends with code NULL */

/* The code of a unit for a code or a label ("盒", "Box", "box"), or NULL. */
const char *forms_unit_code(const char *word);
/* The code of a common condition for a code or label, or NULL (free text). */
const char *forms_condition_code(const char *word);

/* Saves the entry of a form. body: {"kind": "dispense"|"referral"|
 * "education"|"checkin", then the kind's fields by their names in the
 * contract (staff_id, patient_ref, ...), except "value" for a dispense: the
 * amount in yuan as typed (¥1,250.50, １２５０．５０, 125，50)}. Numbers may be
 * JSON numbers or text (full-width digits too); empty text is "not given".
 * Saved durably for trip with entered_by = staff_id. Returns the HTTP status
 * and sets *reply: 200 {"seq", "msg_id", "kind", "trip_id", "description"};
 * 400 {"error": "field", "field", "message"} naming the first bad field by
 * its contract name (value_fen for the amount); 400 {"error": "kind"}; 409
 * {"error": "trip"|"no_trip"} for a trip the cards do not know or say is
 * cancelled, or none set; 500 {"error": "db"}. */
unsigned forms_save(struct outbox *ob, const char *agent_id, const char *trip,
                    const char *staff_id, const cJSON *body, cJSON **reply);

/* What the forms offer, into *reply: units, conditions, destinations,
 * urgencies, roles and sexes ({code, zh, en}); "medicines": this trip's
 * earlier dispense names (newest first) then the formulary file's (one name
 * per line, '#' comments; NULL for none), without repeats; "people": staff
 * checked in on this device before ({staff_id, role, organization}, newest
 * first, one per staff id); "patient_ref": a new reference such as
 * R-20261201-7K3QX. Returns the HTTP status (200, or 500 {"error": "db"}). */
unsigned forms_offer(struct outbox *ob, const char *trip, const char *formulary_path,
                     cJSON **reply);

/* A new opaque patient reference, "R-" + the site's date + 5 random
 * characters (no 0/O/1/I), into buf[n] (n >= 20). Returns 0 or -1. */
int forms_patient_ref(char *buf, size_t n);

#endif
