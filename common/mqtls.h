/* mqtls.h -- TLS to the broker for every program: the flags and config keys
 * that fill a struct mq_tls, and the explanation of a refused
 * handshake in words a person can act on. */
#ifndef OUTREACH_MQTLS_H
#define OUTREACH_MQTLS_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>

#include "conf.h"

/* TLS to the broker, used when the URI is ssl:// or mqtts:// (Paho 1.3.12
 * takes both; tcp:// and mqtt:// are plain). Strings are owned by whoever
 * filled the struct (a config table: conf_free_strings). All zero: trust the
 * system's CA store and check the broker's host name. */
struct mq_tls {
    char *ca_file;   /* PEM file of the CA(s) to trust; NULL: the system's store */
    char *cert_file; /* client certificate (PEM, chain allowed); optional */
    char *key_file;  /* its private key (PEM); NULL: cert_file holds it */
    /* INSECURE: accept a certificate issued for another host name (the
     * chain is still checked against the CA). Off by default. */
    bool insecure_skip_hostname;
};

/* getopt_long codes of the TLS flags, clear of every program's own. */
enum {
    MQTLS_OPT_CA = 7000,
    MQTLS_OPT_CERT,
    MQTLS_OPT_KEY,
    MQTLS_OPT_INSECURE,
};

/* The TLS flags, for a getopt_long table (four entries). */
#define MQTLS_LONG_OPTIONS                                                   \
    {"tls-ca-file", required_argument, NULL, MQTLS_OPT_CA},                  \
    {"tls-cert-file", required_argument, NULL, MQTLS_OPT_CERT},              \
    {"tls-key-file", required_argument, NULL, MQTLS_OPT_KEY},                \
    {"tls-insecure-skip-hostname", no_argument, NULL, MQTLS_OPT_INSECURE}
#define MQTLS_N_LONG_OPTIONS 4

/* Their help, for a usage text. */
#define MQTLS_USAGE                                                                       \
    "  --tls-ca-file F      with an ssl:// or mqtts:// broker: PEM file of the CA that\n" \
    "                       signed the broker's certificate (default: the system's CAs)\n" \
    "  --tls-cert-file F    client certificate (PEM), when the broker asks for one\n"     \
    "  --tls-key-file F     its private key (default: in the certificate file)\n"        \
    "  --tls-insecure-skip-hostname\n"                                                   \
    "                       INSECURE: accept a broker certificate issued for another\n"  \
    "                       host name (the CA is still checked)\n"

/* Config rows for the keys tls_ca_file, tls_cert_file, tls_key_file and
 * tls_insecure_skip_hostname, bound to the struct mq_tls at t. */
#define MQTLS_CONF_ROWS(t)                                                                 \
    {"tls_ca_file", CONF_STR, &(t)->ca_file, 0, 0, "PEM file of the CA(s) to trust"},      \
    {"tls_cert_file", CONF_STR, &(t)->cert_file, 0, 0, "client certificate (PEM)"},        \
    {"tls_key_file", CONF_STR, &(t)->key_file, 0, 0, "client private key (PEM)"},          \
    {"tls_insecure_skip_hostname", CONF_BOOL, &(t)->insecure_skip_hostname, 0, 0,          \
     "INSECURE: accept a certificate for another host name"}

/* The config key a TLS flag sets, with the value it takes (arg, or
 * "true" for the switch): for programs whose flags go through conf_set.
 * NULL when code is not a TLS flag. */
const char *mqtls_flag_key(int code, const char *arg, const char **value);

/* For programs without a config table: points t's field at arg (not
 * copied; argv outlives the program's use). Returns 1 when code was a TLS
 * flag, 0 otherwise. */
int mqtls_flag_apply(int code, char *arg, struct mq_tls *t);

/* Why a TLS connection to uri failed, found by one handshake of our own with
 * OpenSSL under the same settings (each step bounded by timeout_ms): the CA
 * file that does not vouch for the broker's certificate (with OpenSSL's
 * verify result), a certificate that does not name the host (with the names
 * it has), a CA, certificate or key file that OpenSSL cannot load, or the
 * handshake's own error. Returns 1 with the reason in out, 0 when our
 * handshake found nothing wrong (or could not reach the broker). */
int mqtls_explain(const char *uri, const struct mq_tls *t, int timeout_ms, char *out,
                  size_t n);

/* Paho's ssl_error_cb: keeps OpenSSL's last error line for mqtls_last_error. */
int mqtls_on_ssl_error(const char *str, size_t len, void *ctx);
/* Copies the last OpenSSL error line Paho reported (empty if none). */
void mqtls_last_error(char *out, size_t n);

#endif
