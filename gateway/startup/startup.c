/*
 * startup: the summary is written once, by the main thread, before the
 * ready file; nothing here runs concurrently with anything but the HTTP and
 * loop threads, which it does not touch.
 *
 * The probe uses plain sockets and OpenSSL rather than the transport: it
 * must not count as a failed connect in a pool (backoff, breaker), must not
 * log on, and has to say precisely what failed (DNS, TCP, which certificate
 * check) so the summary can say what to do.
 */
#include "startup/startup.h"

#include "base/base.h"
#include "explorer/explorer.h"
#include "log/log.h"
#include "tlsid/tlsid.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_ROUTE_LINES 30

static void set(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set(char *buf, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, n, fmt, ap);
    va_end(ap);
}

/* Waits for `events` on `fd` until `deadline` (ms); 1 ready, 0 timed out. */
static int wait_fd(int fd, short events, int64_t deadline)
{
    for (;;) {
        int64_t left = deadline - gw_now_ms();
        if (left <= 0)
            return 0;
        struct pollfd p = {fd, events, 0};
        int n = poll(&p, 1, (int)left);
        if (n > 0)
            return 1;
        if (n < 0 && errno != EINTR)
            return 1; /* let the caller's next call report the error */
    }
}

/* TCP connect to the first address that answers; returns the socket or -1 with out filled. */
static int tcp_connect(const char *target, int port, int timeout_ms, int64_t deadline,
                       gw_probe_result_t *out)
{
    char ports[16];
    snprintf(ports, sizeof(ports), "%d", port);
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int gai = getaddrinfo(target, ports, &hints, &res);
    if (gai != 0) {
        set(out->what, sizeof(out->what), "cannot resolve %s: %s", target, gai_strerror(gai));
        set(out->hint, sizeof(out->hint),
            "check destinations[].host and address (DNS, /etc/hosts); `address` may name the "
            "TCP target while `host` stays the certificate's name");
        return -1;
    }
    int fd = -1, err = 0;
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            err = errno;
            continue;
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS) {
            err = errno;
        } else if (!wait_fd(fd, POLLOUT, deadline)) {
            err = ETIMEDOUT;
        } else {
            socklen_t len = sizeof(err);
            if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
                err = errno;
        }
        if (err != 0) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd >= 0)
        return fd;
    if (err == ECONNREFUSED) {
        set(out->what, sizeof(out->what), "connection refused by %s:%d", target, port);
        set(out->hint, sizeof(out->hint),
            "nothing listens there: is the backend running, and are destinations[].port and "
            "address right?");
    } else if (err == ETIMEDOUT) {
        set(out->what, sizeof(out->what), "no answer from %s:%d within %d ms", target, port,
            timeout_ms);
        set(out->hint, sizeof(out->hint),
            "a firewall or a wrong address? check destinations[].address and port (raise "
            "startup.probe_timeout_ms on a slow network)");
    } else {
        set(out->what, sizeof(out->what), "cannot connect to %s:%d: %s", target, port,
            strerror(err));
        set(out->hint, sizeof(out->hint),
            "check the network route to the backend and destinations[].address and port");
    }
    return -1;
}

static void tls_failed(SSL *ssl, const gw_dest_conf_t *d, gw_probe_result_t *out)
{
    long v = SSL_get_verify_result(ssl);
    if (d->tls.verify && v != X509_V_OK) {
        set(out->what, sizeof(out->what), "the server's certificate is not accepted: %s",
            X509_verify_cert_error_string(v));
        if (v == X509_V_ERR_HOSTNAME_MISMATCH)
            set(out->hint, sizeof(out->hint),
                "the certificate does not name %s: destinations[].host must be a name in the "
                "certificate (use `address` for the TCP target)",
                d->host);
        else if (v == X509_V_ERR_CERT_HAS_EXPIRED || v == X509_V_ERR_CERT_NOT_YET_VALID)
            set(out->hint, sizeof(out->hint),
                "the server's certificate is outside its validity: renew it on the backend "
                "(and check the clocks)");
        else
            set(out->hint, sizeof(out->hint),
                "destinations[].tls.ca_file must hold the CA that issued the backend's "
                "certificate (%s)",
                d->tls.ca_file ? d->tls.ca_file : "no ca_file is set");
        return;
    }
    char e[160] = "no detail";
    unsigned long code = ERR_peek_last_error();
    if (code)
        ERR_error_string_n(code, e, sizeof(e));
    set(out->what, sizeof(out->what), "TLS handshake failed: %s", e);
    set(out->hint, sizeof(out->hint),
        "is this the backend's HTTPS port? with certificate logon, does the backend trust the "
        "client certificate's CA?");
}

/* The TLS handshake on `fd` (non-blocking) until `deadline`; fills out. */
static void tls_probe(int fd, const gw_dest_conf_t *d, int timeout_ms, int64_t deadline,
                      gw_probe_result_t *out)
{
    ERR_clear_error();
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    SSL *ssl = NULL;
    if (ctx == NULL) {
        set(out->what, sizeof(out->what), "cannot create a TLS context");
        goto cleanup;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    if (d->tls.verify) {
        if (d->tls.ca_file && SSL_CTX_load_verify_locations(ctx, d->tls.ca_file, NULL) != 1) {
            set(out->what, sizeof(out->what), "cannot read tls.ca_file %s", d->tls.ca_file);
            set(out->hint, sizeof(out->hint),
                "destinations[].tls.ca_file must be a readable PEM file of CA certificates");
            goto cleanup;
        }
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    }
    if (d->auth.method && strcmp(d->auth.method, "certificate") == 0 && d->auth.pkcs12) {
        gw_tlsid_t id;
        char why[300];
        int bad = gw_tlsid_pkcs12(d->auth.pkcs12, d->auth.pkcs12_secret, &id, why, sizeof(why)) ||
                  gw_tlsid_use(&id, ctx);
        gw_tlsid_free(&id);
        if (bad) {
            set(out->what, sizeof(out->what), "cannot use the PKCS#12 identity %s", d->auth.pkcs12);
            set(out->hint, sizeof(out->hint),
                "check destinations[].auth.pkcs12 and its password (rfmgw --check-config)");
            goto cleanup;
        }
    } else if (d->auth.method && strcmp(d->auth.method, "certificate") == 0 && d->auth.cert &&
               d->auth.key &&
               (SSL_CTX_use_certificate_chain_file(ctx, d->auth.cert) != 1 ||
                SSL_CTX_use_PrivateKey_file(ctx, d->auth.key, SSL_FILETYPE_PEM) != 1)) {
        set(out->what, sizeof(out->what), "cannot load the client certificate %s or its key",
            d->auth.cert);
        set(out->hint, sizeof(out->hint),
            "check destinations[].auth.cert and auth.key (PEM, readable, a matching pair)");
        goto cleanup;
    }
    ssl = SSL_new(ctx);
    if (ssl == NULL || SSL_set_fd(ssl, fd) != 1) {
        set(out->what, sizeof(out->what), "cannot create a TLS session");
        goto cleanup;
    }
    SSL_set_tlsext_host_name(ssl, d->host);
    if (d->tls.verify)
        SSL_set1_host(ssl, d->host);
    for (;;) {
        int r = SSL_connect(ssl);
        if (r == 1)
            break;
        int e = SSL_get_error(ssl, r);
        if ((e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) &&
            wait_fd(fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline))
            continue;
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
            set(out->what, sizeof(out->what), "the TLS handshake did not finish within %d ms",
                timeout_ms);
            set(out->hint, sizeof(out->hint),
                "is this the backend's HTTPS port? (raise startup.probe_timeout_ms on a slow "
                "network)");
        } else {
            tls_failed(ssl, d, out);
        }
        goto cleanup;
    }
    char until[32] = "?";
    X509 *peer = SSL_get1_peer_certificate(ssl);
    struct tm tm;
    if (peer && ASN1_TIME_to_tm(X509_get0_notAfter(peer), &tm) == 1) {
        strftime(until, sizeof(until), "%Y-%m-%d", &tm);
        out->server_not_after = (int64_t)timegm(&tm);
    }
    X509_free(peer);
    out->reachable = 1;
    set(out->what, sizeof(out->what), "%s, certificate %s until %s", SSL_get_version(ssl),
        d->tls.verify ? "verified, valid" : "NOT verified (tls.verify = false), valid", until);
    SSL_shutdown(ssl); /* best effort: a close_notify, not waited for */

cleanup:
    SSL_free(ssl);
    SSL_CTX_free(ctx);
}

int gw_startup_probe(const gw_dest_conf_t *d, int timeout_ms, gw_probe_result_t *out)
{
    memset(out, 0, sizeof(*out));
    int64_t t0 = gw_now_ms(), deadline = t0 + timeout_ms;
    const char *target = d->address ? d->address : d->host;
    int fd = tcp_connect(target, d->port, timeout_ms, deadline, out);
    if (fd >= 0) {
        tls_probe(fd, d, timeout_ms, deadline, out);
        close(fd);
    }
    out->ms = (int)(gw_now_ms() - t0);
    return 0;
}

/* ---- certificates ---- */

int64_t gw_startup_cert_expiry(const char *file)
{
    FILE *f = file ? fopen(file, "r") : NULL;
    if (f == NULL)
        return 0;
    int64_t first = 0;
    X509 *x;
    while ((x = PEM_read_X509(f, NULL, NULL, NULL)) != NULL) {
        struct tm tm;
        if (ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) == 1) {
            int64_t t = (int64_t)timegm(&tm);
            if (first == 0 || t < first)
                first = t;
        }
        X509_free(x);
    }
    ERR_clear_error(); /* the end of the file reads as an error */
    fclose(f);
    return first;
}

static int is_cert_logon(const gw_dest_conf_t *d)
{
    return d->auth.method && strcmp(d->auth.method, "certificate") == 0;
}

/* The client certificate's expiry: auth.cert, or the certificate inside auth.pkcs12. */
static int64_t client_expiry(const gw_dest_conf_t *d)
{
    if (d->auth.pkcs12 == NULL)
        return gw_startup_cert_expiry(d->auth.cert);
    gw_tlsid_t id;
    char why[300];
    if (gw_tlsid_pkcs12(d->auth.pkcs12, d->auth.pkcs12_secret, &id, why, sizeof(why)) != 0)
        return 0;
    int64_t t = gw_tlsid_not_after(&id);
    gw_tlsid_free(&id);
    return t;
}

void gw_startup_cert_metrics(const gw_config_t *cfg, gw_metrics_t *m)
{
    for (size_t i = 0; i < cfg->ndests; i++) {
        const gw_dest_conf_t *d = &cfg->dests[i];
        gw_metrics_cert(m, d->name, "ca", gw_startup_cert_expiry(d->tls.ca_file));
        if (is_cert_logon(d))
            gw_metrics_cert(m, d->name, "client", client_expiry(d));
        for (size_t k = 0; k < d->nidentities; k++) {
            const gw_ident_conf_t *ic = &d->identities[k];
            char kind[128];
            snprintf(kind, sizeof(kind), "client:%s", ic->name);
            if (is_cert_logon(&ic->dest))
                gw_metrics_cert(m, d->name, kind, client_expiry(&ic->dest));
        }
    }
    if (cfg->listen.tls_cert)
        gw_metrics_cert(m, "", "listener", gw_startup_cert_expiry(cfg->listen.tls_cert));
}

/* ---- the summary ---- */

static int tty;

/* One summary line: plain text with a mark, or a JSON log line. */
static void say(gw_log_level_t level, const char *mark, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void say(gw_log_level_t level, const char *mark, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (gw_log_get_format() == GW_LOG_JSON) {
        gw_log(level, "startup", "%s", msg);
        return;
    }
    char line[1200];
    int n = snprintf(line, sizeof(line), "%s%s%s\n", tty ? "\r\033[K" : "", mark, msg);
    ssize_t w = write(STDERR_FILENO, line, n < (int)sizeof(line) ? (size_t)n : sizeof(line) - 1);
    (void)w;
}

static void say_expiry(const char *dest, const char *what, const char *file, int64_t not_after);

int gw_startup_summary(const gw_config_t *cfg, const gw_route_table_t *routes, int port,
                       gw_metrics_t *m)
{
    tty = isatty(STDERR_FILENO);
    int json = gw_log_get_format() == GW_LOG_JSON;
    const char *host = cfg->listen.address;
    int v6 = strchr(host, ':') != NULL;
    char url[128];
    snprintf(url, sizeof(url), "http%s://%s%s%s:%d", cfg->listen.tls_cert ? "s" : "", v6 ? "[" : "",
             host, v6 ? "]" : "", port);

    say(GW_LOG_INFO, "", "rfmgw %s start-up", RFMGW_VERSION);
    say(GW_LOG_INFO, "  ✓ ",
        "configuration %s: %zu destination%s, %zu route%s from %zu mapping file%s", cfg->file,
        cfg->ndests, cfg->ndests == 1 ? "" : "s", routes->n, routes->n == 1 ? "" : "s",
        cfg->nmappings, cfg->nmappings == 1 ? "" : "s");
    if (cfg->listen.threads == 0)
        say(GW_LOG_INFO, "  ✓ ", "listening on %s (HTTP served by the backend loop thread)", url);
    else
        say(GW_LOG_INFO, "  ✓ ", "listening on %s (%d HTTP threads)", url, cfg->listen.threads);

    int bad = 0;
    for (size_t i = 0; i < cfg->ndests; i++) {
        const gw_dest_conf_t *d = &cfg->dests[i];
        char where[400];
        snprintf(where, sizeof(where), "wss://%s:%d%s%s%s", d->host, d->port, d->path,
                 d->address ? " via " : "", d->address ? d->address : "");
        if (cfg->startup.probe_timeout_ms == 0) {
            say(GW_LOG_INFO, "  · ",
                "destination %s: %s (not probed: startup.probe_timeout_ms = 0)", d->name, where);
            continue;
        }
        if (tty && !json) {
            char line[600];
            int n = snprintf(line, sizeof(line), "  … destination %s: %s: probing (up to %d ms)",
                             d->name, where, cfg->startup.probe_timeout_ms);
            ssize_t w = write(STDERR_FILENO, line, n < (int)sizeof(line) ? (size_t)n : 0);
            (void)w;
        }
        gw_probe_result_t pr;
        gw_startup_probe(d, cfg->startup.probe_timeout_ms, &pr);
        if (pr.server_not_after)
            gw_metrics_cert(m, d->name, "server", pr.server_not_after);
        if (pr.reachable) {
            say(GW_LOG_INFO, "  ✓ ", "destination %s: %s reachable (%s; %d ms)", d->name, where,
                pr.what, pr.ms);
        } else {
            bad++;
            say(GW_LOG_WARN, "  ✗ ", "destination %s: %s NOT reachable: %s", d->name, where,
                pr.what);
            if (pr.hint[0] && json)
                say(GW_LOG_WARN, "", "destination %s: what to do: %s", d->name, pr.hint);
            else if (pr.hint[0])
                say(GW_LOG_WARN, "      → ", "%s", pr.hint);
        }
    }

    for (size_t i = 0; i < cfg->ndests; i++) {
        const gw_dest_conf_t *d = &cfg->dests[i];
        say_expiry(d->name, "CA certificate (tls.ca_file)", d->tls.ca_file,
                   gw_startup_cert_expiry(d->tls.ca_file));
        if (is_cert_logon(d))
            say_expiry(d->name,
                       d->auth.pkcs12 ? "client certificate (auth.pkcs12)"
                                      : "client certificate (auth.cert)",
                       d->auth.pkcs12 ? d->auth.pkcs12 : d->auth.cert, client_expiry(d));
        for (size_t k = 0; k < d->nidentities; k++) {
            const gw_dest_conf_t *id = &d->identities[k].dest;
            if (is_cert_logon(id))
                say_expiry(d->name, "client certificate of an identity",
                           id->auth.pkcs12 ? id->auth.pkcs12 : id->auth.cert, client_expiry(id));
        }
    }
    if (cfg->listen.tls_cert)
        say_expiry("(listener)", "HTTPS certificate (listen.tls_cert)", cfg->listen.tls_cert,
                   gw_startup_cert_expiry(cfg->listen.tls_cert));

    say(GW_LOG_INFO, "  ✓ ", "routes: %zu loaded", routes->n);
    for (size_t i = 0; i < routes->n && i < MAX_ROUTE_LINES; i++) {
        const gw_route_t *rt = &routes->routes[i];
        say(GW_LOG_DEBUG, "      ", "%s%s %s → %s @ %s", json ? "route " : "", rt->method, rt->path,
            rt->function, rt->destination);
    }
    if (routes->n > MAX_ROUTE_LINES)
        say(GW_LOG_DEBUG, "      ", "… and %zu more (GET /openapi.json lists every route)",
            routes->n - MAX_ROUTE_LINES);
    if (routes->n == 0)
        say(GW_LOG_WARN, "      → ",
            "no routes: add route files to `mappings` (docs/mappings.md); only the built-in "
            "endpoints answer");

    if (cfg->docs.enabled && gw_explorer_installed(cfg->docs.assets))
        say(GW_LOG_INFO, "  ✓ ", "API explorer on %s/docs (Swagger UI from %s)", url,
            cfg->docs.assets);
    else if (cfg->docs.enabled)
        say(GW_LOG_INFO, "  · ",
            "API explorer not installed (/docs answers 404 explorer-not-installed): run `npm ci "
            "--prefix ui` in rfmgw's source tree and set docs.assets to "
            "ui/node_modules/swagger-ui-dist");
    if (bad)
        say(GW_LOG_WARN, "  ! ",
            "%d of %zu destination%s not reachable: rfmgw runs anyway and calls to %s fail with "
            "502 until the backend answers; no restart is needed once it does (GET /readyz "
            "tells)",
            bad, cfg->ndests, cfg->ndests == 1 ? "" : "s", bad == 1 ? "it" : "them");
    say(GW_LOG_INFO, "",
        "ready on %s — GET /readyz checks the backends (and logons), /openapi.json "
        "describes the API, /docs lets you try it, /metrics for Prometheus",
        url);
    return bad;
}

/* A line for a certificate that has expired or expires within 14 days; nothing otherwise. */
static void say_expiry(const char *dest, const char *what, const char *file, int64_t not_after)
{
    int64_t now = (int64_t)time(NULL);
    if (not_after == 0 || not_after - now > 14 * 86400)
        return;
    char day[32];
    time_t t = (time_t)not_after;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(day, sizeof(day), "%Y-%m-%d", &tm);
    if (not_after <= now)
        say(GW_LOG_WARN, "  ✗ ", "destination %s: the %s %s expired on %s: replace it", dest, what,
            file, day);
    else
        say(GW_LOG_WARN, "  ! ", "destination %s: the %s %s expires on %s, in %lld days: renew it",
            dest, what, file, day, (long long)((not_after - now) / 86400));
}
