/* report_write.c -- the report's tables written out: CSV (UTF-8 with a
 * byte-order mark, sections one after another or one alone), HTML for the
 * browser to print (A4, a table a page, every text escaped) and xlsx through
 * libxlsxwriter (a worksheet a section). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xlsxwriter.h>

#include "fileperm.h"
#include "report_book.h"

/* ---- CSV -------------------------------------------------------------------------- */

int book_csv_field(FILE *f, const char *s, bool defuse)
{
    bool formula = defuse && s[0] && strchr("=+-@\t\r", s[0]);
    bool quote = formula || strpbrk(s, ",\"\r\n") != NULL;
    if (quote && fputc('"', f) == EOF)
        return -1;
    if (formula && fputc('\'', f) == EOF)
        return -1;
    for (const char *p = s; *p; p++) {
        if (*p == '"' && fputc('"', f) == EOF)
            return -1;
        if (fputc(*p, f) == EOF)
            return -1;
    }
    return quote && fputc('"', f) == EOF ? -1 : 0;
}

static int csv_text(FILE *f, const char *s)
{
    return book_csv_field(f, s, true);
}

static int csv_cell(FILE *f, const struct rcell *c)
{
    switch (c->kind) {
    case RC_TEXT:
    case RC_DATE:
    case RC_PERCENT:
        return csv_text(f, c->text);
    case RC_INT:
        return fprintf(f, "%lld", c->n) < 0 ? -1 : 0;
    case RC_MONEY:
        return fprintf(f, "%s%lld.%02lld", c->n < 0 ? "-" : "", llabs(c->n) / 100,
                       llabs(c->n) % 100) < 0 ? -1 : 0;
    case RC_EMPTY:
        break;
    }
    return 0;
}

static int csv_table(FILE *f, const struct rtable *t)
{
    for (int i = 0; i < t->ncols; i++)
        if ((i && fputc(',', f) == EOF) || csv_text(f, t->cols[i]))
            return -1;
    if (fputs("\r\n", f) == EOF)
        return -1;
    for (int r = 0; r < t->nrows; r++) {
        for (int i = 0; i < t->ncols; i++)
            if ((i && fputc(',', f) == EOF) ||
                csv_cell(f, &t->cells[(size_t)r * (size_t)t->ncols + (size_t)i]))
                return -1;
        if (fputs("\r\n", f) == EOF)
            return -1;
    }
    return 0;
}

int book_write_csv(const struct report_book *r, int section, FILE *f)
{
    if (fputs("\xEF\xBB\xBF", f) == EOF)
        return -1;
    if (section != RS_COUNT)
        return csv_table(f, &r->t[section]);
    if (csv_text(f, r->heading) || fputs("\r\n", f) == EOF)
        return -1;
    for (int i = 0; i < RS_COUNT; i++) {
        const struct rtable *t = &r->t[i];
        if (fputs("\r\n", f) == EOF || csv_text(f, t->title) || fputs("\r\n", f) == EOF ||
            csv_table(f, t))
            return -1;
    }
    return 0;
}

/* ---- HTML -------------------------------------------------------------------------- */

static int html_text(FILE *f, const char *s)
{
    for (const char *p = s; *p; p++) {
        const char *e = *p == '&' ? "&amp;" : *p == '<' ? "&lt;" : *p == '>' ? "&gt;"
                      : *p == '"' ? "&quot;" : *p == '\'' ? "&#39;" : NULL;
        if (e ? fputs(e, f) == EOF : fputc(*p, f) == EOF)
            return -1;
    }
    return 0;
}

const char *book_thousands(long long v, char buf[32])
{
    char raw[32];
    snprintf(raw, sizeof raw, "%lld", v < 0 ? -v : v);
    size_t n = strlen(raw), o = 0;
    if (v < 0)
        buf[o++] = '-';
    for (size_t i = 0; i < n && o < 30; i++) {
        if (i && (n - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = raw[i];
    }
    buf[o] = '\0';
    return buf;
}

static const char html_head[] =
    "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n<title>";
/* One table a page; the wide ones (counties, trips) on landscape pages;
 * a table longer than a page repeats its header. */
static const char html_style[] =
    "</title>\n<style>\n"
    "@page { size: A4 portrait; margin: 12mm; }\n"
    "@page wide { size: A4 landscape; margin: 10mm; }\n"
    "body { font-family: \"Noto Sans CJK SC\", \"Source Han Sans SC\", \"WenQuanYi Micro Hei\",\n"
    "  \"PingFang SC\", \"Microsoft YaHei\", \"SimSun\", sans-serif; color: #000; margin: 0; }\n"
    "section { margin: 1em; }\n"
    "section.wide { page: wide; }\n"
    "header { font-size: 9pt; color: #444; }\n"
    "h2 { font-size: 13pt; margin: 0.3em 0; }\n"
    "p.note { font-size: 9pt; margin: 0 0 0.5em; }\n"
    "table { border-collapse: collapse; width: 100%; font-size: 8.5pt; }\n"
    "th, td { border: 1px solid #888; padding: 2px 4px; vertical-align: top; }\n"
    "th { background: #eee; font-weight: bold; text-align: left; }\n"
    "td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }\n"
    "thead { display: table-header-group; }\n"
    "tr { break-inside: avoid; page-break-inside: avoid; }\n"
    "@media print {\n"
    "  section { margin: 0; break-after: page; page-break-after: always; }\n"
    "  section:last-of-type { break-after: auto; page-break-after: auto; }\n"
    "  th { background: #eee; -webkit-print-color-adjust: exact; print-color-adjust: exact; }\n"
    "}\n"
    "</style>\n</head>\n<body>\n";

static int html_cell(FILE *f, const struct rcell *c)
{
    char b[32];
    switch (c->kind) {
    case RC_TEXT:
    case RC_DATE:
        return fputs("<td>", f) == EOF || html_text(f, c->text) || fputs("</td>", f) == EOF
                   ? -1 : 0;
    case RC_PERCENT:
        return fprintf(f, "<td class=\"n\">%lld%%</td>", c->n) < 0 ? -1 : 0;
    case RC_INT:
        book_thousands(c->n, b);
        return fprintf(f, "<td class=\"n\">%s</td>", b) < 0 ? -1 : 0;
    case RC_MONEY:
        book_thousands(c->n / 100, b);
        return fprintf(f, "<td class=\"n\">%s.%02lld</td>", b, llabs(c->n) % 100) < 0 ? -1 : 0;
    case RC_EMPTY:
        break;
    }
    return fputs("<td></td>", f) == EOF ? -1 : 0;
}

static int html_table(FILE *f, const struct report_book *r, const struct rtable *t)
{
    bool wide = t->ncols > 12;
    if (fprintf(f, "<section id=\"%s\"%s>\n<header>", t->name, wide ? " class=\"wide\"" : "") < 0 ||
        html_text(f, r->heading) || fputs("</header>\n<h2>", f) == EOF ||
        html_text(f, t->title) || fputs("</h2>\n", f) == EOF)
        return -1;
    if (t->note && (fputs("<p class=\"note\">", f) == EOF || html_text(f, t->note) ||
                    fputs("</p>\n", f) == EOF))
        return -1;
    if (fputs("<table>\n<thead><tr>", f) == EOF)
        return -1;
    for (int i = 0; i < t->ncols; i++)
        if (fputs("<th>", f) == EOF || html_text(f, t->cols[i]) || fputs("</th>", f) == EOF)
            return -1;
    if (fputs("</tr></thead>\n<tbody>\n", f) == EOF)
        return -1;
    for (int rr = 0; rr < t->nrows; rr++) {
        if (fputs("<tr>", f) == EOF)
            return -1;
        for (int i = 0; i < t->ncols; i++)
            if (html_cell(f, &t->cells[(size_t)rr * (size_t)t->ncols + (size_t)i]))
                return -1;
        if (fputs("</tr>\n", f) == EOF)
            return -1;
    }
    return fputs("</tbody>\n</table>\n</section>\n", f) == EOF ? -1 : 0;
}

int book_write_html(const struct report_book *r, FILE *f)
{
    if (fputs(html_head, f) == EOF || html_text(f, r->heading) || fputs(html_style, f) == EOF)
        return -1;
    for (int i = 0; i < RS_COUNT; i++)
        if (html_table(f, r, &r->t[i]))
            return -1;
    return fputs("</body>\n</html>\n", f) == EOF ? -1 : 0;
}

/* ---- xlsx ------------------------------------------------------------------------------ */

/* Row 0 the report's heading, 1 the table's title, 2 its note, 3 the
 * header, 4 on the rows (what tests/integration/report.sh reads back). */
#define XLSX_HEADER_ROW 3

struct xlsx_formats {
    lxw_format *bold, *head, *money, *date, *percent;
};

/* A day YYYY-MM-DD as a date cell (a number with a date format: Excel sorts
 * and filters it as a date). */
static lxw_error xlsx_date(lxw_worksheet *ws, lxw_row_t row, lxw_col_t col, const char *day,
                           lxw_format *fmt)
{
    struct odate d;
    if (tu_parse_date(day, &d))
        return worksheet_write_string(ws, row, col, day, NULL);
    lxw_datetime dt = {.year = d.year, .month = d.month, .day = d.day};
    return worksheet_write_datetime(ws, row, col, &dt, fmt);
}

static int xlsx_table(lxw_workbook *wb, const struct report_book *r, const struct rtable *t,
                      const struct xlsx_formats *fm, char err[256])
{
    lxw_worksheet *ws = workbook_add_worksheet(wb, t->name);
    if (!ws) {
        snprintf(err, 256, "cannot add the worksheet %s", t->name);
        return -1;
    }
    lxw_error e = worksheet_write_string(ws, 0, 0, r->heading, NULL);
    if (!e)
        e = worksheet_write_string(ws, 1, 0, t->title, fm->bold);
    if (!e && t->note)
        e = worksheet_write_string(ws, 2, 0, t->note, NULL);
    for (int i = 0; !e && i < t->ncols; i++) {
        e = worksheet_write_string(ws, XLSX_HEADER_ROW, (lxw_col_t)i, t->cols[i], fm->head);
        if (!e)
            e = worksheet_set_column(ws, (lxw_col_t)i, (lxw_col_t)i, i == 0 ? 22 : 14, NULL);
    }
    for (int rr = 0; !e && rr < t->nrows; rr++) {
        for (int i = 0; !e && i < t->ncols; i++) {
            const struct rcell *c = &t->cells[(size_t)rr * (size_t)t->ncols + (size_t)i];
            lxw_row_t row = (lxw_row_t)(XLSX_HEADER_ROW + 1 + rr);
            if (c->kind == RC_TEXT)
                e = worksheet_write_string(ws, row, (lxw_col_t)i, c->text, NULL);
            else if (c->kind == RC_INT)
                e = worksheet_write_number(ws, row, (lxw_col_t)i, (double)c->n, NULL);
            else if (c->kind == RC_MONEY)
                e = worksheet_write_number(ws, row, (lxw_col_t)i, (double)c->n / 100.0,
                                           fm->money);
            else if (c->kind == RC_DATE)
                e = xlsx_date(ws, row, (lxw_col_t)i, c->text, fm->date);
            else if (c->kind == RC_PERCENT) /* 25 -> 0.25 shown 25%: the text's figure */
                e = worksheet_write_number(ws, row, (lxw_col_t)i, (double)c->n / 100.0,
                                           fm->percent);
        }
    }
    if (!e)
        worksheet_freeze_panes(ws, XLSX_HEADER_ROW + 1, 1);
    if (e) {
        snprintf(err, 256, "worksheet %s: %s", t->name, lxw_strerror(e));
        return -1;
    }
    return 0;
}

int book_write_xlsx(const struct report_book *r, const char *path, char err[256])
{
    /* Made first as the CSV and HTML are (0600, see fileperm.h): libxlsxwriter
     * opens it with fopen, which keeps an existing file's mode. */
    FILE *pre = fperm_fopen_private(path);
    if (!pre || fclose(pre) != 0) {
        snprintf(err, 256, "cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    lxw_workbook *wb = workbook_new(path);
    if (!wb) {
        snprintf(err, 256, "cannot create %s", path);
        return -1;
    }
    struct xlsx_formats fm = {workbook_add_format(wb), workbook_add_format(wb),
                              workbook_add_format(wb), workbook_add_format(wb),
                              workbook_add_format(wb)};
    format_set_bold(fm.bold);
    format_set_bold(fm.head);
    format_set_text_wrap(fm.head);
    format_set_bg_color(fm.head, 0xEEEEEE);
    format_set_border(fm.head, LXW_BORDER_THIN);
    format_set_num_format(fm.money, "#,##0.00");
    format_set_num_format(fm.date, "yyyy-mm-dd");
    format_set_num_format(fm.percent, "0%");
    int rc = 0;
    for (int i = 0; rc == 0 && i < RS_COUNT; i++)
        rc = xlsx_table(wb, r, &r->t[i], &fm, err);
    lxw_error e = workbook_close(wb); /* writes the file, frees wb in any case */
    if (!rc && e) {
        snprintf(err, 256, "cannot write %s: %s", path, lxw_strerror(e));
        rc = -1;
    }
    return rc;
}
