/* names.h -- the one table of the wire codes a person picks (department,
 * destination, urgency, role, sex) with their zh-CN and English labels and
 * the words accepted for them. The field agent's command line (compose.c)
 * reads words with it; the site app lists the same rows (/api/forms) and
 * shows their Chinese for departments (its short English button words are in
 * field-agent/site/describe.js); the coordinator's report (report_book.c)
 * labels destinations and urgencies with it and departments as the site app
 * (tests/unit/test_names_words.c).
 * Everything here is static: nothing to free. */
#ifndef OUTREACH_NAMES_H
#define OUTREACH_NAMES_H

#include <stddef.h>

struct name_entry {
    const char *code;            /* the contract's value, e.g. "internal" */
    const char *zh;              /* zh-CN label, e.g. "内科" */
    const char *en;              /* English label, e.g. "Internal medicine" */
    const char *const *aliases;  /* more accepted words; NULL-terminated or NULL */
};

struct names_table {
    const char *field;               /* "department", "destination", ... */
    const char *zh_field, *en_field; /* what the field is called, for messages */
    const char *const *codes;        /* the contract's list (report.h), same order */
    const struct name_entry *entries; /* ends with a row whose code is NULL */
};

extern const struct names_table names_department, names_destination, names_urgency,
    names_role, names_sex;
/* The report's sex codes (F, M): report.c keeps its own copy private. */
extern const char *const names_sex_codes[];
/* Every table above, ending with NULL. */
extern const struct names_table *const names_tables[];

/* The table of a field ("department", ...), or NULL. */
const struct names_table *names_table(const char *field);
/* The table whose codes are this contract list (e.g. department_names), or NULL. */
const struct names_table *names_for_codes(const char *const *codes);

/* The code a person's word stands for: the code itself, the zh-CN label, the
 * English label or an alias. English is matched ignoring ASCII case, and ' ',
 * '-' and '_' are the same ("Internal", "county hospital",
 * "Health-promoter"); surrounding spaces are ignored. NULL when none. */
const char *names_resolve(const struct names_table *t, const char *word);
/* The row of a code, or NULL. */
const struct name_entry *names_entry(const struct names_table *t, const char *code);
/* The labels of a code; the code itself when it has none. */
const char *names_zh(const struct names_table *t, const char *code);
const char *names_en(const struct names_table *t, const char *code);
/* Writes "internal 内科 Internal medicine, surgery 外科 Surgery, ..." into
 * buf[n] (cut to fit) and returns buf. */
const char *names_list(const struct names_table *t, char *buf, size_t n);

#endif
