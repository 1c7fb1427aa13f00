/* test_mqtls.c -- the TLS options every program shares: which URIs are TLS,
 * the usage errors, the flags' config keys, Paho's options, and the file
 * checks (the handshake itself: tests/integration/tls.sh). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "mq.h"
#include "mqtls.h"

static void uri_schemes(void **state)
{
    assert_true(mq_uri_is_tls("ssl://broker.example.org:8883"));
    assert_true(mq_uri_is_tls("mqtts://broker.example.org:8883"));
    assert_true(mq_uri_is_tls("wss://broker.example.org:8884"));
    assert_false(mq_uri_is_tls("tcp://127.0.0.1:1883"));
    assert_false(mq_uri_is_tls("mqtt://127.0.0.1:1883"));
    assert_false(mq_uri_is_tls("sslx://h"));
    assert_false(mq_uri_is_tls(NULL));
}

static void usage_errors(void **state)
{
    char err[MQ_ERR_MAX];
    struct mq_tls none = {0}, ca = {.ca_file = "/etc/ca.crt"};
    struct mq_tls insecure = {.insecure_skip_hostname = true};
    struct mq_tls key_only = {.key_file = "/etc/k.pem"};
    assert_int_equal(0, mq_tls_check_usage("tcp://127.0.0.1:1883", &none, err));
    assert_int_equal(0, mq_tls_check_usage("tcp://127.0.0.1:1883", NULL, err));
    assert_int_equal(0, mq_tls_check_usage("ssl://h:8883", &ca, err));
    assert_int_equal(0, mq_tls_check_usage("mqtts://h:8883", &none, err));
    assert_int_equal(-1, mq_tls_check_usage("tcp://127.0.0.1:1883", &ca, err));
    assert_string_equal("--tls-ca-file (tls_ca_file) is a TLS option, but the broker URI "
                        "'tcp://127.0.0.1:1883' is plain: use ssl://HOST:8883 (or mqtts://), "
                        "or drop the option", err);
    assert_int_equal(-1, mq_tls_check_usage("mqtt://h:1883", &insecure, err));
    assert_non_null(strstr(err, "--tls-insecure-skip-hostname (tls_insecure_skip_hostname)"));
    assert_int_equal(-1, mq_tls_check_usage("ftp://h:21", &none, err));
    assert_non_null(strstr(err, "must start with tcp:// or mqtt:// (plain), ssl:// or mqtts:// (TLS)"));
    assert_int_equal(-1, mq_tls_check_usage("ssl://h:8883", &key_only, err));
    assert_non_null(strstr(err, "needs --tls-cert-file"));
}

static void flags(void **state)
{
    const char *value = NULL;
    assert_string_equal("tls_ca_file", mqtls_flag_key(MQTLS_OPT_CA, "f", &value));
    assert_string_equal("f", value);
    assert_string_equal("tls_key_file", mqtls_flag_key(MQTLS_OPT_KEY, "k", &value));
    assert_string_equal("tls_insecure_skip_hostname",
                        mqtls_flag_key(MQTLS_OPT_INSECURE, NULL, &value));
    assert_string_equal("true", value);
    assert_null(mqtls_flag_key('b', "x", &value));

    struct mq_tls t = {0};
    char ca[] = "ca.pem", cert[] = "c.pem";
    assert_int_equal(1, mqtls_flag_apply(MQTLS_OPT_CA, ca, &t));
    assert_int_equal(1, mqtls_flag_apply(MQTLS_OPT_CERT, cert, &t));
    assert_int_equal(1, mqtls_flag_apply(MQTLS_OPT_INSECURE, NULL, &t));
    assert_int_equal(0, mqtls_flag_apply('b', ca, &t));
    assert_string_equal("ca.pem", t.ca_file);
    assert_string_equal("c.pem", t.cert_file);
    assert_null(t.key_file);
    assert_true(t.insecure_skip_hostname);
}

static void paho_options(void **state)
{
    MQTTAsync_SSLOptions ssl;
    mq_tls_fill(NULL, &ssl);
    assert_int_equal(1, ssl.enableServerCertAuth);
    assert_int_equal(1, ssl.verify); /* the host name is checked by default */
    assert_int_equal(MQTT_SSL_VERSION_TLS_1_2, ssl.sslVersion);
    assert_null(ssl.trustStore);
    struct mq_tls t = {.ca_file = "ca", .cert_file = "c", .key_file = "k",
                       .insecure_skip_hostname = true};
    mq_tls_fill(&t, &ssl);
    assert_string_equal("ca", ssl.trustStore);
    assert_string_equal("c", ssl.keyStore);
    assert_string_equal("k", ssl.privateKey);
    assert_int_equal(0, ssl.verify);
    assert_int_equal(1, ssl.enableServerCertAuth); /* the CA is still checked */
}

static void files(void **state)
{
    char err[MQ_ERR_MAX];
    assert_int_equal(0, mq_tls_check_files(NULL, err));
    struct mq_tls ok = {.ca_file = "/dev/null"};
    assert_int_equal(0, mq_tls_check_files(&ok, err));
    struct mq_tls missing = {.ca_file = "/dev/null", .cert_file = "/nonexistent/c.pem"};
    assert_int_equal(-1, mq_tls_check_files(&missing, err));
    assert_string_equal("TLS: cannot read the client certificate (tls_cert_file) "
                        "/nonexistent/c.pem: No such file or directory", err);
}

static void explain_nothing_to_reach(void **state)
{
    char out[MQ_ERR_MAX] = "";
    /* No URI, or a port where nothing listens: nothing to say. */
    assert_int_equal(0, mqtls_explain(NULL, NULL, 1000, out, sizeof out));
    assert_int_equal(0, mqtls_explain("ssl://127.0.0.1:1", NULL, 1000, out, sizeof out));
    /* A CA file OpenSSL cannot load is named before any connection. */
    struct mq_tls bad = {.ca_file = "/dev/null"};
    assert_int_equal(1, mqtls_explain("ssl://127.0.0.1:1", &bad, 1000, out, sizeof out));
    assert_non_null(strstr(out, "cannot load the CA file /dev/null (tls_ca_file)"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(uri_schemes),
        cmocka_unit_test(usage_errors),
        cmocka_unit_test(flags),
        cmocka_unit_test(paho_options),
        cmocka_unit_test(files),
        cmocka_unit_test(explain_nothing_to_reach),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
