/* test_agent_status.c -- decoding a field agent's status message (birth and
 * will): every field's rule, the size bound, and the contract's examples.
 * Links liboutreach only. */
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

#include "agent_status.h"

#define SINCE "2026-11-22T08:00:00+08:00"
#define BIRTH_01 "{\"online\":true,\"agent_id\":\"team-01\",\"trip_id\":\"2026-xw-001\"," \
                 "\"pending\":3,\"last_seq\":42,\"since\":\"" SINCE "\"}"
#define WILL_01 "{\"online\":false,\"agent_id\":\"team-01\"}"

static int decode(const char *agent, const char *json, struct agent_status *st,
                  struct jerr *err)
{
    return agent_status_decode(agent, json, strlen(json), st, err);
}

static void test_status_decode(void **state)
{
    (void)state;
    struct agent_status st;
    struct jerr err = {{0}};
    assert_int_equal(decode("team-01", BIRTH_01, &st, &err), 0);
    assert_true(st.online);
    assert_string_equal(st.agent_id, "team-01");
    assert_string_equal(st.trip_id, "2026-xw-001");
    assert_int_equal(st.pending, 3);
    assert_int_equal(st.last_seq, 42);
    assert_string_equal(st.since, SINCE);
    agent_status_free(&st);

    assert_int_equal(decode("team-01", WILL_01, &st, &err), 0);
    assert_false(st.online);
    assert_null(st.trip_id);
    assert_null(st.since);
    assert_int_equal(st.pending, -1);
    assert_int_equal(st.last_seq, -1);
    agent_status_free(&st);

    /* A birth without a trip, with a field the contract may add later. */
    assert_int_equal(decode("team-01", "{\"online\":true,\"agent_id\":\"team-01\",\"pending\":0,"
                                       "\"last_seq\":0,\"since\":\"" SINCE "\",\"battery\":80}",
                            &st, &err), 0);
    assert_null(st.trip_id);
    agent_status_free(&st);

    static const struct {
        const char *json, *needle;
    } bad[] = {
        {"", "empty"},
        {"not json", NULL},
        {"[true]", NULL},
        {"{\"online\":\"yes\",\"agent_id\":\"team-01\"}", "online"},
        {"{\"agent_id\":\"team-01\"}", "online"},
        {"{\"online\":false}", "agent_id"},
        {"{\"online\":false,\"agent_id\":\"Team 01\"}", "agent_id"},
        {"{\"online\":false,\"agent_id\":\"team-02\"}", "team-02"},
        {"{\"online\":true,\"agent_id\":\"team-01\"}", "pending"},
        {"{\"online\":true,\"agent_id\":\"team-01\",\"pending\":1,\"last_seq\":1}", "since"},
        {"{\"online\":true,\"agent_id\":\"team-01\",\"pending\":-1,\"last_seq\":1,"
         "\"since\":\"" SINCE "\"}", "pending"},
        {"{\"online\":true,\"agent_id\":\"team-01\",\"pending\":1.5,\"last_seq\":1,"
         "\"since\":\"" SINCE "\"}", "pending"},
        {"{\"online\":true,\"agent_id\":\"team-01\",\"pending\":1,"
         "\"last_seq\":9007199254740992,\"since\":\"" SINCE "\"}", "last_seq"},
        {"{\"online\":true,\"agent_id\":\"team-01\",\"pending\":1,\"last_seq\":1,"
         "\"since\":\"yesterday\"}", "since"},
        {"{\"online\":true,\"agent_id\":\"team-01\",\"pending\":1,\"last_seq\":1,"
         "\"since\":\"" SINCE "\",\"trip_id\":\"a/b\"}", "trip_id"},
        {"{\"online\":false,\"agent_id\":\"team-01\",\"pending\":\"3\"}", "pending"},
        {"{\"online\":false,\"agent_id\":\"team-01\",\"agent_id\":\"team-01\"}", NULL},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(&err, 0, sizeof err);
        if (decode("team-01", bad[i].json, &st, &err) == 0)
            fail_msg("status %s accepted", bad[i].json);
        if (!err.msg[0] || (bad[i].needle && !strstr(err.msg, bad[i].needle)))
            fail_msg("status %s: reason '%s' does not name '%s'", bad[i].json, err.msg,
                     bad[i].needle);
        agent_status_free(&st);
    }

    /* Bounded: a payload past the contract's limit is not even parsed. */
    size_t n = AGENT_STATUS_MAX_BYTES + 10;
    char *big = malloc(n);
    assert_non_null(big);
    memset(big, ' ', n);
    assert_int_equal(agent_status_decode("team-01", big, n, &st, &err), -1);
    assert_non_null(strstr(err.msg, "limit"));
    agent_status_free(&st);
    free(big);
    agent_status_free(NULL);
}

/* Every example of schemas/examples/agent-status/ gets the verdict of its
 * folder. The folder is found next to this source file. */
static int check_examples(const char *verdict, bool want_ok)
{
    char dir[512];
    const char *slash = strrchr(__FILE__, '/');
    int base = slash ? (int)(slash - __FILE__) : 1;
    snprintf(dir, sizeof dir, "%.*s/../../schemas/examples/agent-status/%s", base,
             slash ? __FILE__ : ".", verdict);
    DIR *d = opendir(dir);
    if (!d)
        fail_msg("cannot open %s", dir);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!strstr(e->d_name, ".json"))
            continue;
        char path[800], buf[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "r");
        assert_non_null(f);
        size_t len = fread(buf, 1, sizeof buf, f);
        fclose(f);
        /* The topic names the agent the example names (team-07 when none). */
        char topic_agent[80] = "team-07";
        cJSON *j = cJSON_ParseWithLength(buf, len);
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(j, "agent_id");
        if (cJSON_IsString(id) && strlen(id->valuestring) < sizeof topic_agent)
            snprintf(topic_agent, sizeof topic_agent, "%s", id->valuestring);
        cJSON_Delete(j);
        struct agent_status st;
        struct jerr err = {{0}};
        int rc = agent_status_decode(topic_agent, buf, len, &st, &err);
        agent_status_free(&st);
        if ((rc == 0) != want_ok)
            fail_msg("%s: decoded %s (%s)", path, rc == 0 ? "as valid" : "as invalid", err.msg);
        n++;
    }
    closedir(d);
    return n;
}

static void test_status_schema_examples(void **state)
{
    (void)state;
    assert_true(check_examples("valid", true) >= 3);
    assert_true(check_examples("invalid", false) >= 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_decode),
        cmocka_unit_test(test_status_schema_examples),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
