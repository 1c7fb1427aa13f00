/* mqtls.c -- TLS flags and config keys, and why a handshake was refused.
 *
 * Paho tells only that a TLS connect failed: a certificate that no trusted
 * CA signed shows as OpenSSL's "certificate verify failed", and a wrong host
 * name as nothing at all (Paho checks the name after the handshake and just
 * closes). To say which, mqtls_explain does the handshake once more with
 * OpenSSL itself, without aborting on a bad certificate, and reads the
 * verify result and the certificate's names. */
#include "mqtls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

const char *mqtls_flag_key(int code, const char *arg, const char **value)
{
    *value = arg;
    switch (code) {
    case MQTLS_OPT_CA: return "tls_ca_file";
    case MQTLS_OPT_CERT: return "tls_cert_file";
    case MQTLS_OPT_KEY: return "tls_key_file";
    case MQTLS_OPT_INSECURE: *value = "true"; return "tls_insecure_skip_hostname";
    default: return NULL;
    }
}

int mqtls_flag_apply(int code, char *arg, struct mq_tls *t)
{
    switch (code) {
    case MQTLS_OPT_CA: t->ca_file = arg; return 1;
    case MQTLS_OPT_CERT: t->cert_file = arg; return 1;
    case MQTLS_OPT_KEY: t->key_file = arg; return 1;
    case MQTLS_OPT_INSECURE: t->insecure_skip_hostname = true; return 1;
    default: return 0;
    }
}

/* ---- Paho's error callback ------------------------------------------------ */

static pthread_mutex_t last_m = PTHREAD_MUTEX_INITIALIZER;
static char last_err[200];

int mqtls_on_ssl_error(const char *str, size_t len, void *ctx)
{
    /* OpenSSL passes one line per queued error, with its newline. */
    while (len > 0 && (str[len - 1] == '\n' || str[len - 1] == '\r'))
        len--;
    pthread_mutex_lock(&last_m);
    snprintf(last_err, sizeof last_err, "%.*s", (int)(len < 199 ? len : 199), str);
    pthread_mutex_unlock(&last_m);
    return 0;
}

void mqtls_last_error(char *out, size_t n)
{
    pthread_mutex_lock(&last_m);
    snprintf(out, n, "%s", last_err);
    last_err[0] = '\0';
    pthread_mutex_unlock(&last_m);
}

/* ---- our own handshake ------------------------------------------------------- */

/* "ssl://host:port", "mqtts://[::1]:8883", "wss://host:port/mqtt" -> host, port. */
static int split_uri(const char *uri, char *host, size_t hn, char *port, size_t pn)
{
    const char *p = strstr(uri, "://");
    bool ws = strncmp(uri, "wss://", 6) == 0;
    p = p ? p + 3 : uri;
    const char *end;
    if (*p == '[') {
        end = strchr(p, ']');
        if (!end)
            return -1;
        snprintf(host, hn, "%.*s", (int)(end - p - 1), p + 1);
        end++;
    } else {
        end = p + strcspn(p, ":/");
        snprintf(host, hn, "%.*s", (int)(end - p), p);
    }
    if (*end == ':')
        snprintf(port, pn, "%.*s", (int)strcspn(end + 1, "/"), end + 1);
    else
        snprintf(port, pn, "%s", ws ? "443" : "8883");
    return host[0] && port[0] ? 0 : -1;
}

/* A connected TCP socket to host:port, or -1; connect and every later read
 * and write bounded by timeout_ms. */
static int dial(const char *host, const char *port, int timeout_ms)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
    if (getaddrinfo(host, port, &hints, &res) != 0)
        return -1;
    int fd = -1;
    for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0)
            continue;
        int fl = fcntl(fd, F_GETFL);
        fcntl(fd, F_SETFL, fl | O_NONBLOCK);
        int rc = connect(fd, a->ai_addr, a->ai_addrlen);
        if (rc != 0 && errno == EINPROGRESS) {
            struct pollfd pf = {.fd = fd, .events = POLLOUT};
            int soerr = 0;
            socklen_t sl = sizeof soerr;
            rc = poll(&pf, 1, timeout_ms) == 1 &&
                 getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr == 0 ? 0 : -1;
        }
        if (rc != 0) {
            close(fd);
            fd = -1;
            continue;
        }
        fcntl(fd, F_SETFL, fl);
        struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    }
    freeaddrinfo(res);
    return fd;
}

/* OpenSSL's oldest queued error as text ("" if none); empties the queue. */
static void ssl_err_text(char *out, size_t n)
{
    unsigned long e = ERR_peek_error();
    out[0] = '\0';
    if (e) {
        const char *reason = ERR_reason_error_string(e);
        if (reason)
            snprintf(out, n, "%s", reason);
        else
            ERR_error_string_n(e, out, n);
    }
    ERR_clear_error();
}

/* The certificate's subjectAltName entries ("DNS:a, IP:1.2.3.4"), or its
 * common name when it has none. */
static void cert_names(X509 *cert, char *out, size_t n)
{
    size_t used = 0;
    out[0] = '\0';
    GENERAL_NAMES *gens = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
    for (int i = 0; gens && i < sk_GENERAL_NAME_num(gens) && used + 1 < n; i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
        char one[INET6_ADDRSTRLEN + 8] = "";
        if (g->type == GEN_DNS) {
            const unsigned char *d = ASN1_STRING_get0_data(g->d.dNSName);
            snprintf(one, sizeof one, "DNS:%.*s", ASN1_STRING_length(g->d.dNSName) > 40 ? 40
                     : ASN1_STRING_length(g->d.dNSName), (const char *)d);
        } else if (g->type == GEN_IPADD) {
            char ip[INET6_ADDRSTRLEN] = "?";
            int len = ASN1_STRING_length(g->d.iPAddress);
            const unsigned char *d = ASN1_STRING_get0_data(g->d.iPAddress);
            if (len == 4 || len == 16)
                inet_ntop(len == 4 ? AF_INET : AF_INET6, d, ip, sizeof ip);
            snprintf(one, sizeof one, "IP:%s", ip);
        }
        if (one[0]) {
            int w = snprintf(out + used, n - used, "%s%s", used ? ", " : "", one);
            used = w > 0 && (size_t)w < n - used ? used + (size_t)w : n - 1;
        }
    }
    GENERAL_NAMES_free(gens);
    if (!out[0]) {
        char cn[128] = "";
        X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
        snprintf(out, n, "%s%s", cn[0] ? "CN:" : "no names", cn);
    }
}

int mqtls_explain(const char *uri, const struct mq_tls *t, int timeout_ms, char *out, size_t n)
{
    static const struct mq_tls none = {0};
    char host[256], port[16], why[200];
    int found = 0, fd = -1;
    SSL_CTX *ctx = NULL;
    SSL *ssl = NULL;
    X509 *cert = NULL;
    if (!t)
        t = &none;
    if (!uri || split_uri(uri, host, sizeof host, port, sizeof port))
        return 0;
    ERR_clear_error();
    if (!(ctx = SSL_CTX_new(TLS_client_method())))
        goto done;
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    if (t->ca_file ? SSL_CTX_load_verify_locations(ctx, t->ca_file, NULL) != 1
                   : SSL_CTX_set_default_verify_paths(ctx) != 1) {
        ssl_err_text(why, sizeof why);
        snprintf(out, n, "TLS: cannot load the CA file %s (tls_ca_file): %s",
                 t->ca_file ? t->ca_file : "(system default)", why);
        found = 1;
        goto done;
    }
    if (t->cert_file && SSL_CTX_use_certificate_chain_file(ctx, t->cert_file) != 1) {
        ssl_err_text(why, sizeof why);
        snprintf(out, n, "TLS: cannot load the client certificate %s (tls_cert_file): %s",
                 t->cert_file, why);
        found = 1;
        goto done;
    }
    const char *key = t->key_file ? t->key_file : t->cert_file;
    if (key && (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
                SSL_CTX_check_private_key(ctx) != 1)) {
        ssl_err_text(why, sizeof why);
        snprintf(out, n, "TLS: cannot use the client key %s (tls_key_file): %s", key, why);
        found = 1;
        goto done;
    }
    /* Finish the handshake whatever the certificate, then judge it. */
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    if ((fd = dial(host, port, timeout_ms)) < 0 || !(ssl = SSL_new(ctx)) ||
        SSL_set_fd(ssl, fd) != 1)
        goto done;
    unsigned char ipbuf[16];
    bool is_ip = inet_pton(AF_INET, host, ipbuf) == 1 || inet_pton(AF_INET6, host, ipbuf) == 1;
    if (!is_ip)
        SSL_set_tlsext_host_name(ssl, host);
    if (SSL_connect(ssl) != 1) {
        ssl_err_text(why, sizeof why);
        snprintf(out, n, "TLS handshake with %s:%s failed: %s (is it a TLS listener? a plain "
                 "one takes tcp://; or does it want a client certificate: tls_cert_file?)", host, port,
                 why[0] ? why : "connection closed");
        found = 1;
        goto done;
    }
    long vr = SSL_get_verify_result(ssl);
    cert = SSL_get1_peer_certificate(ssl);
    if (vr != X509_V_OK) {
        snprintf(out, n, "TLS: the broker's certificate is not signed by a CA in %s "
                 "(tls_ca_file): %s; use the CA file that issued the broker's certificate",
                 t->ca_file ? t->ca_file : "the system's store", X509_verify_cert_error_string(vr));
        found = 1;
        goto done;
    }
    if (cert && !t->insecure_skip_hostname && X509_check_host(cert, host, 0, 0, NULL) != 1 &&
        X509_check_ip_asc(cert, host, 0) != 1) {
        char names[200];
        cert_names(cert, names, sizeof names);
        snprintf(out, n, "TLS: host name mismatch: the broker's certificate is not for '%s' "
                 "(it names %s); connect by one of those names, or give the broker a "
                 "certificate whose subjectAltName has %s", host, names, host);
        found = 1;
    }
done:
    if (ssl) {
        SSL_shutdown(ssl);
        SSL_free(ssl);
    }
    X509_free(cert);
    SSL_CTX_free(ctx);
    if (fd >= 0)
        close(fd);
    ERR_clear_error();
    return found;
}
