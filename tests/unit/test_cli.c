/* test_cli.c -- the CLI kit: usage from the table, dispatch and its exit
 * statuses, the command word moved first, client ids, topics. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli.h"
#include "topics.h"

struct calls {
    int run, setup, teardown;
    int argc;
    const char *argv1;
    unsigned needs;
};

static int run_ok(int argc, char **argv, void *ctx)
{
    struct calls *c = ctx;
    c->run++;
    c->argc = argc;
    c->argv1 = argc > 1 ? argv[1] : NULL;
    assert_string_equal(argv[0], "go");
    return 7;
}

static int setup(const struct cli_cmd *cmd, int argc, char **argv, void *ctx)
{
    (void)argc;
    (void)argv;
    struct calls *c = ctx;
    c->setup++;
    c->needs = cmd->needs;
    return strcmp(cmd->name, "broken") == 0 ? EXIT_USAGE : 0;
}

static void teardown(const struct cli_cmd *cmd, void *ctx)
{
    (void)cmd;
    ((struct calls *)ctx)->teardown++;
}

static const struct cli_cmd cmds[] = {
    {"go", NULL, run_ok, CLI_NEED_CONFIG | CLI_NEED_STORE, "go somewhere"},
    {"report", "KIND", run_ok, 0, "record a report: one,\ntwo or three"},
    {"broken", NULL, run_ok, CLI_NEED_BROKER, "never runs"},
    {NULL, NULL, NULL, 0, NULL},
};

static const struct cli_prog prog = {
    .name = "prog", .version = "1.2.3", .head = "usage: prog COMMAND\n\ncommands:\n",
    .tail = "\nthe end\n", .cmds = cmds, .setup = setup, .teardown = teardown,
};

static char *usage_text(const struct cli_prog *p)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    assert_non_null(f);
    cli_usage(p, f);
    fclose(f);
    return buf;
}

static void usage_is_generated_from_the_table(void **state)
{
    (void)state;
    char *u = usage_text(&prog);
    assert_string_equal(u, "usage: prog COMMAND\n\ncommands:\n"
                           "  go            go somewhere\n"
                           "  report KIND   record a report: one,\n"
                           "                two or three\n"
                           "  broken        never runs\n"
                           "\nthe end\n");
    free(u);
    struct cli_prog fixed = prog;
    fixed.column = 10; /* narrower than a label: one space at least */
    u = usage_text(&fixed);
    assert_non_null(strstr(u, "  go      go somewhere\n"));
    assert_non_null(strstr(u, "  report KIND record a report: one,\n          two or three\n"));
    free(u);
}

static void dispatch_runs_setup_handler_teardown(void **state)
{
    (void)state;
    struct calls c = {0};
    char *argv[] = {"prog", "go", "--db", "x", NULL};
    assert_int_equal(cli_dispatch(&prog, 4, argv, &c), 7);
    assert_int_equal(c.setup, 1);
    assert_int_equal(c.run, 1);
    assert_int_equal(c.teardown, 1);
    assert_int_equal(c.argc, 3);
    assert_string_equal(c.argv1, "--db");
    assert_int_equal(c.needs, CLI_NEED_CONFIG | CLI_NEED_STORE);
    assert_string_equal(cli_progname(), "prog");

    struct calls b = {0};
    char *argv2[] = {"prog", "broken", NULL};
    assert_int_equal(cli_dispatch(&prog, 2, argv2, &b), EXIT_USAGE); /* setup's status */
    assert_int_equal(b.run, 0);
    assert_int_equal(b.teardown, 1);
}

static void dispatch_help_version_unknown(void **state)
{
    (void)state;
    struct calls c = {0};
    char *none[] = {"prog", NULL};
    assert_int_equal(cli_dispatch(&prog, 1, none, &c), EXIT_USAGE);
    const char *const words[] = {"--help", "-h", "help", "--version"};
    for (size_t i = 0; i < 4; i++) {
        char *argv[] = {"prog", (char *)words[i], NULL};
        assert_int_equal(cli_dispatch(&prog, 2, argv, &c), 0);
    }
    char *unknown[] = {"prog", "frobnicate", NULL};
    assert_int_equal(cli_dispatch(&prog, 2, unknown, &c), EXIT_USAGE);
    struct cli_prog noversion = prog;
    noversion.version = NULL;
    char *version[] = {"prog", "--version", NULL};
    assert_int_equal(cli_dispatch(&noversion, 2, version, &c), EXIT_USAGE);
    assert_int_equal(c.run + c.setup + c.teardown, 0);
    assert_ptr_equal(cli_find(&prog, "report"), &cmds[1]);
    assert_null(cli_find(&prog, "repor"));
}

static void command_word_moves_first(void **state)
{
    (void)state;
    static const char *const with_value[] = {"--config", NULL};
    char *argv[] = {"p", "--config", "f", "--offline", "status", "--all", NULL};
    assert_int_equal(cli_command_first(6, argv, with_value), 0);
    assert_string_equal(argv[1], "status");
    assert_string_equal(argv[2], "--config");
    assert_string_equal(argv[3], "f");
    assert_string_equal(argv[4], "--offline");
    assert_string_equal(argv[5], "--all");

    char *help[] = {"p", "--config", "f", "--help", "status", NULL};
    assert_int_equal(cli_command_first(5, help, with_value), 1);
    assert_string_equal(help[1], "--help");

    char *value_only[] = {"p", "--config", "status", NULL}; /* "status" is the value */
    assert_int_equal(cli_command_first(3, value_only, with_value), -1);
}

static void client_ids_and_topics(void **state)
{
    (void)state;
    char id[CLI_CLIENT_ID_MAX], want[CLI_CLIENT_ID_MAX];
    cli_client_id(id, "vol-01", true);
    assert_string_equal(id, "vol-01.cli");
    cli_client_id(id, "admin", false);
    snprintf(want, sizeof want, "admin.cli-%ld", (long)getpid());
    assert_string_equal(id, want);

    char topic[TOPIC_MAX];
    assert_int_equal(cli_topic(topic, "outreach/v1", "admin/replies/%s", id), 0);
    snprintf(want, sizeof want, "outreach/v1/admin/replies/admin.cli-%ld", (long)getpid());
    assert_string_equal(topic, want);
    char root[TOPIC_MAX + 10];
    memset(root, 'r', sizeof root - 1);
    root[sizeof root - 1] = '\0';
    assert_int_equal(cli_topic(topic, root, "admin/requests"), EXIT_USAGE);
}

static void request_and_scrub(void **state)
{
    (void)state;
    cJSON *req = cli_request_new("abc", "trip.cancel");
    assert_non_null(req);
    assert_string_equal(cli_jstr(req, "request_id"), "abc");
    assert_string_equal(cli_jstr(req, "op"), "trip.cancel");
    assert_null(cli_jstr(req, "trip_id"));
    cJSON_Delete(req);
    req = cli_request_new(NULL, "profile.set");
    assert_non_null(req);
    assert_int_equal(strlen(cli_jstr(req, "request_id")), 36); /* a fresh UUID */
    cJSON_Delete(req);

    cJSON *j = cJSON_Parse("{\"reason\":\"a\\u001b[2Jb\",\"k\\u0007\":{\"t\":\"ok\"}}");
    assert_non_null(j);
    cli_scrub(j);
    assert_null(strchr(cli_jstr(j, "reason"), 0x1b));
    assert_non_null(cJSON_GetObjectItemCaseSensitive(j, "k?"));
    cJSON_Delete(j);
}

/* A usage error names the command to ask for help, not the whole usage. */
static void usage_error_points_to_help(void **state)
{
    (void)state;
    char b[64];
    assert_int_equal(cli_usage_command("usage: outreach-coordinator trip show ID [--db FILE]\n",
                                       b, sizeof b), strlen("outreach-coordinator trip show"));
    assert_string_equal(b, "outreach-coordinator trip show");
    cli_usage_command("usage: outreach-coordinator report --db FILE\nmore\n", b, sizeof b);
    assert_string_equal(b, "outreach-coordinator report");
    cli_usage_command("usage: outreach-coordinator villages import FILE.csv\n", b, sizeof b);
    assert_string_equal(b, "outreach-coordinator villages import");
    cli_usage_command("usage: prog\n", b, sizeof b);
    assert_string_equal(b, "prog");
    assert_int_equal(cli_usage_command("no usage here", b, sizeof b), 0);
    assert_string_equal(b, "");
    char small[8];
    cli_usage_command("usage: outreach-coordinator report\n", small, sizeof small);
    assert_string_equal(small, ""); /* a word that does not fit is left out */
}

static void exit_statuses_keep_their_values(void **state)
{
    (void)state;
    assert_int_equal(EXIT_USAGE, 2);
    assert_int_equal(EXIT_REFUSED, 3);
    assert_int_equal(EXIT_REJECTED, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(usage_is_generated_from_the_table),
        cmocka_unit_test(dispatch_runs_setup_handler_teardown),
        cmocka_unit_test(dispatch_help_version_unknown),
        cmocka_unit_test(command_word_moves_first),
        cmocka_unit_test(client_ids_and_topics),
        cmocka_unit_test(request_and_scrub),
        cmocka_unit_test(usage_error_points_to_help),
        cmocka_unit_test(exit_statuses_keep_their_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
