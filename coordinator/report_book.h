/* report_book.h -- the report an official files (`outreach-coordinator report`):
 * the year's figures as a few tables (summary with targets and pace, by
 * county, by month, by department, referrals, trips with attendance), built
 * from the store by book_build and written as xlsx, CSV or HTML by
 * report_write.c. The tables hold numbers and text only: each writer decides
 * how they look. */
#ifndef OUTREACH_REPORT_BOOK_H
#define OUTREACH_REPORT_BOOK_H

#include <stdbool.h>
#include <stdio.h>

#include "progress_json.h"
#include "store.h"
#include "timeutil.h"

enum rcell_kind {
    RC_EMPTY,
    RC_TEXT,  /* text, owned by the cell (UTF-8 from the store or our labels) */
    RC_INT,   /* a count */
    RC_MONEY, /* fen, shown as yuan with two decimals */
    RC_DATE,  /* a day, text YYYY-MM-DD: a date cell in xlsx, the text elsewhere */
    RC_PERCENT, /* n whole percent, text "25%": a number with a percent format in
                 * xlsx, the text elsewhere */
};
struct rcell {
    enum rcell_kind kind;
    long long n;
    char *text;
};

/* One section: a table with a header row. name is the sheet's name and
 * --section's word (ASCII, at most 31 characters), title what a reader sees. */
#define REPORT_MAX_COLS 24
struct rtable {
    const char *name;
    char title[256];
    int ncols;
    const char *cols[REPORT_MAX_COLS]; /* static labels */
    struct rcell *cells;               /* nrows x ncols */
    int nrows, cap;
    const char *note; /* a line under the title, or NULL */
};

enum report_section {
    RS_SUMMARY, RS_COUNTIES, RS_MONTHS, RS_DEPARTMENTS, RS_REFERRALS, RS_TRIPS, RS_COVERAGE,
    RS_NOT_REACHED, RS_COUNT
};
extern const char *const book_section_names[RS_COUNT];

struct book_opts {
    int year;
    int month;          /* 0: the whole year; else 1..12 */
    const char *county; /* NULL: every county */
    struct targets tg;  /* the year's targets (config) */
    struct odate today;
    const char *as_of;
};

struct report_book {
    struct book_opts o;
    char heading[256];
    struct rtable t[RS_COUNT];
};

/* Builds every section from the store into r (which book_free frees, also
 * after a failure). OERR_NOTFOUND when --county names no county with trips in
 * the year; OERR_DB when the store failed. Codes are written in words, zh-CN
 * then English, as the site app shows them: departments as
 * book_department_words, destinations and urgencies as common/names.c, pace
 * and a trip's status by book_pace_words and book_status_words. */
oerr_t book_build(struct store *s, const struct book_opts *o, struct report_book *r);
void book_free(struct report_book *r);

/* {code, zh-CN, English} of each department (department_names' order): the
 * site app's words (field-agent/site/describe.js), which the report uses. */
extern const char *const book_department_words[STORE_DEPARTMENTS][3];

/* "超前 Ahead", "符合进度 On pace", "落后 Behind" (the dashboard's words);
 * the code itself when unknown. */
const char *book_pace_words(const char *pace);
/* "计划中 Planned", "已完成 Completed", "已取消 Cancelled"; else the code. */
const char *book_status_words(const char *status);

/* 1234567 -> "1,234,567" in buf, returned (report_write.c; also progress's table). */
const char *book_thousands(long long v, char buf[32]);

/* A CSV field as RFC 4180 wants it (quoted when it holds a comma, quote or
 * line end). defuse: a text a spreadsheet would take for a formula (=, +, -,
 * @, a tab or CR first: a trip title from an admin request) gets a ' in
 * front, so that opening the file runs nothing. 0, or -1 when writing
 * failed. */
int book_csv_field(FILE *f, const char *s, bool defuse);

/* The writers (report_write.c). section: RS_COUNT for all, one after
 * another (CSV), else that one only. 0, or -1 when writing failed. */
int book_write_csv(const struct report_book *r, int section, FILE *f);
int book_write_html(const struct report_book *r, FILE *f);
/* xlsx at path, one worksheet per section; on failure err says why. */
int book_write_xlsx(const struct report_book *r, const char *path, char err[256]);

#endif
