/* test_schema_examples.c -- the C validator and the published schemas' examples
 * must agree: every valid example decodes, every invalid one is refused.
 * The schemas directory is argv[1], else SCHEMAS_DIR. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirent.h>

#include <cmocka.h>

#include <cjson/cJSON.h>

#include "report.h"
#include "request.h"

#ifndef SCHEMAS_DIR
#define SCHEMAS_DIR "schemas"
#endif

#define MIN_EXAMPLES 50

static const char *schemas_dir = SCHEMAS_DIR;
static int files_seen;

static char *read_all(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, fp)) > 0) {
        n += got;
        if (n == cap) {
            char *bigger = realloc(buf, cap * 2);
            if (!bigger) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = bigger;
            cap *= 2;
        }
    }
    fclose(fp);
    *len = n;
    return buf;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.json file names of dir, sorted; *n of them. The caller frees. */
static char **list_json(const char *dir, size_t *n)
{
    *n = 0;
    DIR *d = opendir(dir);
    if (!d)
        return NULL;
    size_t cap = 0;
    char **names = NULL;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0)
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 32;
            char **bigger = realloc(names, cap * sizeof *names);
            assert_non_null(bigger);
            names = bigger;
        }
        names[(*n)++] = strdup(e->d_name);
    }
    closedir(d);
    if (*n)
        qsort(names, *n, sizeof *names, cmp_names);
    return names;
}

/* The verdict of the C validator on one example: NULL when accepted, else the
 * code, with the reason in err. */
typedef const char *(*judge_fn)(const char *what, const char *payload, size_t len,
                                struct jerr *err);

static const char *judge_report(const char *kind, const char *payload, size_t len,
                                struct jerr *err)
{
    /* the topic's agent is the file's own agent_id when it can be read */
    char agent[128] = "";
    cJSON *o = cJSON_ParseWithLength(payload, len);
    const cJSON *a = o ? cJSON_GetObjectItemCaseSensitive(o, "agent_id") : NULL;
    if (cJSON_IsString(a) && a->valuestring)
        snprintf(agent, sizeof agent, "%s", a->valuestring);
    cJSON_Delete(o);
    struct report r;
    enum reject_code c = report_decode(agent[0] ? agent : NULL, kind, payload, len, &r, err);
    report_free(&r);
    return c == RJ_NONE ? NULL : reject_code_str(c);
}

static const char *judge_admin(const char *what, const char *payload, size_t len,
                               struct jerr *err)
{
    struct request r;
    const char *c = request_decode(REQ_ADMIN, payload, len, &r, err);
    request_free(&r);
    return c;
}

static const char *judge_volunteer(const char *what, const char *payload, size_t len,
                                   struct jerr *err)
{
    struct request r;
    const char *c = request_decode(REQ_VOLUNTEER, payload, len, &r, err);
    request_free(&r);
    return c;
}

/* Runs every example of examples/<name>/{valid,invalid}; returns disagreements. */
static int walk(const char *name, judge_fn judge, const char *what, int *files)
{
    int disagreements = 0;
    *files = 0;
    static const char *const verdicts[] = {"valid", "invalid"};
    for (int v = 0; v < 2; v++) {
        char dir[1024];
        snprintf(dir, sizeof dir, "%s/examples/%s/%s", schemas_dir, name, verdicts[v]);
        size_t n = 0;
        char **names = list_json(dir, &n);
        if (n == 0)
            print_error("no examples in %s\n", dir);
        for (size_t i = 0; i < n; i++) {
            char path[1400];
            snprintf(path, sizeof path, "%s/%s", dir, names[i]);
            size_t len = 0;
            char *payload = read_all(path, &len);
            if (!payload) {
                print_error("cannot read %s\n", path);
                disagreements++;
                free(names[i]);
                continue;
            }
            (*files)++;
            struct jerr err = {{0}};
            const char *code = judge(what, payload, len, &err);
            if (v == 0 && code) {
                print_error("DISAGREE %s/%s/%s: the example is valid, the C validator says "
                            "%s: %s\n", name, verdicts[v], names[i], code, err.msg);
                disagreements++;
            } else if (v == 1 && !code) {
                print_error("DISAGREE %s/%s/%s: the example is invalid, the C validator "
                            "accepts it\n", name, verdicts[v], names[i]);
                disagreements++;
            }
            free(payload);
            free(names[i]);
        }
        free(names);
    }
    files_seen += *files;
    return disagreements;
}

static void run_reports(const char *kind)
{
    char name[64];
    snprintf(name, sizeof name, "report-%s", kind);
    int files = 0;
    int bad = walk(name, judge_report, kind, &files);
    assert_true(files > 0);
    assert_int_equal(bad, 0);
}

static void test_report_headcount(void **state) { run_reports("headcount"); }
static void test_report_dispense(void **state) { run_reports("dispense"); }
static void test_report_referral(void **state) { run_reports("referral"); }
static void test_report_education(void **state) { run_reports("education"); }
static void test_report_checkin(void **state) { run_reports("checkin"); }
static void test_report_void(void **state) { run_reports("void"); }

static void test_admin_requests(void **state)
{
    int files = 0;
    int bad = walk("admin-request", judge_admin, "admin", &files);
    assert_true(files > 0);
    assert_int_equal(bad, 0);
}

static void test_volunteer_requests(void **state)
{
    int files = 0;
    int bad = walk("volunteer-request", judge_volunteer, "volunteer", &files);
    assert_true(files > 0);
    assert_int_equal(bad, 0);
}

/* Runs last: a wrong path must not pass silently. */
static void test_enough_examples(void **state)
{
    print_message("%d example files under %s\n", files_seen, schemas_dir);
    if (files_seen < MIN_EXAMPLES)
        fail_msg("only %d example files found under %s (want at least %d)", files_seen,
                 schemas_dir, MIN_EXAMPLES);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        schemas_dir = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report_headcount),
        cmocka_unit_test(test_report_dispense),
        cmocka_unit_test(test_report_referral),
        cmocka_unit_test(test_report_education),
        cmocka_unit_test(test_report_checkin),
        cmocka_unit_test(test_report_void),
        cmocka_unit_test(test_admin_requests),
        cmocka_unit_test(test_volunteer_requests),
        cmocka_unit_test(test_enough_examples),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
