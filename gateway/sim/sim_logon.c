/*
 * sim_logon: who is logging on, decided from the upgrade request alone.
 *
 * A pure function of the configuration and the request's headers (plus the
 * verified client certificate, if any), so the rules can be unit-tested
 * without TLS or sockets. The order follows the cloud ABAP environment:
 *
 *   1. a client certificate, already verified against tls.client_ca by
 *      OpenSSL, is mapped to a user by subject or fingerprint; unmapped
 *      certificates fail (they do not fall back to a password);
 *   2. otherwise HTTP Basic credentials; with X-Rfmgw-Alias-User the name is
 *      an alias user, without it a technical user (as SM59's "Alias User");
 *   3. otherwise the logon fails.
 *
 * Then the user must not be locked, and the method used (password — alias
 * included — or certificate) must be allowed by a communication arrangement
 * of a communication system the user belongs to (sim_config.c resolves that
 * into sim_user_t.methods). Only then is the password checked, so a refused
 * method never counts as a failed password. The run-time lock after too many
 * failed passwords (sim_lockout_*) is applied by the caller on the verdict.
 *
 * The caller sends one generic message for every failure; the real reason
 * goes to `why` for the simulator's log and never contains the password.
 */
#include "sim/sim.h"
#include "error/error.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int sim_host_strip_port(const char *host, char *out, size_t outsize)
{
    size_t n;
    if (host == NULL)
        return GW_EINVAL;
    while (*host == ' ' || *host == '\t')
        host++;
    if (host[0] == '[') { /* [v6]:port */
        const char *e = strchr(host, ']');
        if (e == NULL)
            return GW_EINVAL;
        n = (size_t)(e - host) + 1;
    } else {
        const char *c = strchr(host, ':');
        n = c ? (size_t)(c - host) : strlen(host);
    }
    while (n > 0 && (host[n - 1] == ' ' || host[n - 1] == '\t'))
        n--;
    if (n == 0 || n >= outsize)
        return GW_EINVAL;
    memcpy(out, host, n);
    out[n] = '\0';
    return 0;
}

static int truthy(const char *v)
{
    return v && (strcmp(v, "1") == 0 || strcasecmp(v, "true") == 0);
}

/* SAP's one-character language keys for the ISO codes a client is likely to send. */
static int language_key(const char *v, char *key)
{
    static const char iso[][3] = {"EN", "DE", "FR", "ES", "IT", "JA", "PT", "NL", "ZH", "RU"};
    static const char sap[] = "EDFSIJPN1R";
    if (v == NULL || *v == '\0') {
        *key = 'E';
        return 0;
    }
    if (v[1] == '\0' && isalnum((unsigned char)v[0])) {
        *key = (char)toupper((unsigned char)v[0]);
        return 0;
    }
    if (strlen(v) == 2)
        for (size_t i = 0; i < GW_ARRAY_SIZE(iso); i++)
            if (strcasecmp(v, iso[i]) == 0) {
                *key = sap[i];
                return 0;
            }
    return GW_EINVAL;
}

static const sim_user_t *find_user(const sim_config_t *cfg, const char *name, size_t len,
                                   int by_alias)
{
    for (size_t i = 0; i < cfg->nusers; i++) {
        const char *n = by_alias ? cfg->users[i].alias : cfg->users[i].name;
        /* SAP user names are case-insensitive (stored upper case) */
        if (n && strlen(n) == len && strncasecmp(n, name, len) == 0)
            return &cfg->users[i];
    }
    return NULL;
}

static int cert_logon(const sim_config_t *cfg, const sim_logon_req_t *req, const sim_user_t **user,
                      char *why, size_t whylen)
{
    for (size_t i = 0; i < cfg->ncerts; i++) {
        const sim_certmap_t *m = &cfg->certs[i];
        if ((m->subject && req->cert_subject && strcmp(m->subject, req->cert_subject) == 0) ||
            (m->has_fingerprint && req->cert_sha256 &&
             memcmp(m->fingerprint, req->cert_sha256, 32) == 0)) {
            *user = m->user;
            return 0;
        }
    }
    snprintf(why, whylen, "client certificate '%s' is not mapped to a user",
             req->cert_subject ? req->cert_subject : "?");
    return GW_ELOGON;
}

static int method_allowed(const sim_user_t *u, unsigned method, char *why, size_t whylen)
{
    if (u->locked) {
        snprintf(why, whylen, "user %s is locked", u->name);
        return 0;
    }
    if (u->methods & method)
        return 1;
    if (u->methods == 0)
        snprintf(why, whylen,
                 "user %s is in no communication system with a communication arrangement", u->name);
    else
        snprintf(why, whylen,
                 "logon method %s is not allowed for user %s by any communication arrangement",
                 method == SIM_AUTH_PASSWORD ? "password" : "certificate", u->name);
    return 0;
}

static int basic_logon(const sim_config_t *cfg, const sim_logon_req_t *req, int alias,
                       const sim_user_t **user, int *bad_password, char *why, size_t whylen)
{
    const char *a = req->authorization;
    unsigned char dec[512];
    int ret = GW_ELOGON;

    while (*a == ' ')
        a++;
    if (strncasecmp(a, "Basic ", 6) != 0) {
        snprintf(why, whylen, "Authorization header is not Basic");
        return GW_ELOGON;
    }
    a += 6;
    while (*a == ' ')
        a++;
    size_t len = strlen(a);
    while (len > 0 && a[len - 1] == ' ')
        len--;
    if (len == 0 || len % 4 != 0 || len / 4 * 3 >= sizeof(dec)) {
        snprintf(why, whylen, "malformed Basic credentials");
        return GW_ELOGON;
    }
    int n = EVP_DecodeBlock(dec, (const unsigned char *)a, (int)len);
    if (n < 0) {
        snprintf(why, whylen, "malformed Basic credentials");
        goto cleanup;
    }
    /* EVP_DecodeBlock counts padding as zero bytes */
    if (len >= 1 && a[len - 1] == '=')
        n--;
    if (len >= 2 && a[len - 2] == '=')
        n--;
    const unsigned char *colon = memchr(dec, ':', (size_t)n);
    if (colon == NULL || colon == dec) {
        snprintf(why, whylen, "malformed Basic credentials");
        goto cleanup;
    }
    const char *name = (const char *)dec;
    size_t nlen = (size_t)(colon - dec);
    const char *pw = (const char *)colon + 1;
    size_t pwlen = (size_t)n - nlen - 1;
    char shown[41];
    snprintf(shown, sizeof(shown), "%.*s", (int)(nlen < 40 ? nlen : 40), name);
    for (char *p = shown; *p; p++)
        if (!isprint((unsigned char)*p))
            *p = '?';

    const sim_user_t *u = find_user(cfg, name, nlen, alias);
    if (u == NULL) {
        if (!alias && find_user(cfg, name, nlen, 1))
            snprintf(why, whylen,
                     "'%s' is an alias user, but the request did not ask for alias logon", shown);
        else
            snprintf(why, whylen, "unknown %s '%s'", alias ? "alias user" : "user", shown);
        goto cleanup;
    }
    *user = u; /* identified, even if the logon fails below */
    if (!method_allowed(u, SIM_AUTH_PASSWORD, why, whylen))
        goto cleanup;
    if (!u->has_password) {
        snprintf(why, whylen, "user %s has no password (certificate logon only)", u->name);
        goto cleanup;
    }
    ret = gw_password_verify(&u->password, pw, pwlen);
    if (ret == GW_ELOGON) {
        snprintf(why, whylen, "wrong password for user %s", u->name);
        *bad_password = 1;
    } else if (ret != 0)
        snprintf(why, whylen, "password check failed: %s", gw_strerror(ret));

cleanup:
    OPENSSL_cleanse(dec, sizeof(dec));
    return ret == 0 ? 0 : GW_ELOGON;
}

int sim_logon(const sim_config_t *cfg, const sim_logon_req_t *req, sim_logon_t *out, char *why,
              size_t whylen)
{
    const sim_user_t *user = NULL;
    const sim_host_t *host;
    char hostname[256];
    char lang;
    int alias = truthy(req->alias);
    int ret;

    memset(out, 0, sizeof(*out));
    out->user_index = -1;
    snprintf(why, whylen, "unknown reason");
    if (sim_host_strip_port(req->host, hostname, sizeof(hostname)) != 0 ||
        (host = sim_config_find_host(cfg, hostname)) == NULL) {
        snprintf(why, whylen, "unknown host");
        return GW_ELOGON;
    }
    const char *client = host->client;
    if (req->client && *req->client) {
        client = NULL;
        for (size_t i = 0; i < cfg->nhosts; i++)
            if (strcmp(cfg->hosts[i].client, req->client) == 0)
                client = cfg->hosts[i].client;
        if (client == NULL) {
            snprintf(why, whylen, "client '%.3s%s' does not exist", req->client,
                     strlen(req->client) > 3 ? "..." : "");
            return GW_ELOGON;
        }
    }
    if (language_key(req->language, &lang) != 0) {
        snprintf(why, whylen, "unsupported logon language");
        return GW_ELOGON;
    }

    if (req->has_cert) {
        ret = cert_logon(cfg, req, &user, why, whylen);
        if (ret == 0 && !method_allowed(user, SIM_AUTH_CERTIFICATE, why, whylen))
            ret = GW_ELOGON;
        out->method = "certificate";
    } else if (req->authorization && *req->authorization) {
        ret = basic_logon(cfg, req, alias, &user, &out->bad_password, why, whylen);
        out->method = alias ? "alias" : "password";
    } else {
        snprintf(why, whylen, "no client certificate and no Authorization header");
        ret = GW_ELOGON;
    }
    if (user)
        out->user_index = (int)(user - cfg->users);
    if (ret != 0)
        return GW_ELOGON;
    snprintf(out->client, sizeof(out->client), "%s", client);
    snprintf(out->user, sizeof(out->user), "%s", user->name);
    snprintf(out->host, sizeof(out->host), "%s", host->name);
    out->language[0] = lang;
    why[0] = '\0';
    return 0;
}

int sim_lockout_init(sim_lockout_t *lo, size_t nusers, uint32_t max_failed)
{
    memset(lo, 0, sizeof(*lo));
    lo->max_failed = max_failed;
    lo->nusers = nusers;
    lo->failed = calloc(nusers ? nusers : 1, sizeof(*lo->failed));
    lo->locked = calloc(nusers ? nusers : 1, sizeof(*lo->locked));
    if (lo->failed == NULL || lo->locked == NULL) {
        sim_lockout_free(lo);
        return GW_ENOMEM;
    }
    return 0;
}

void sim_lockout_free(sim_lockout_t *lo)
{
    free(lo->failed);
    free(lo->locked);
    memset(lo, 0, sizeof(*lo));
}

int sim_lockout_apply(sim_lockout_t *lo, int ret, const sim_logon_t *out, char *why, size_t whylen,
                      int *just_locked)
{
    *just_locked = 0;
    if (out->user_index < 0 || (size_t)out->user_index >= lo->nusers)
        return ret == 0 ? 0 : GW_ELOGON;
    size_t u = (size_t)out->user_index;
    if (lo->locked[u]) {
        snprintf(why, whylen, "user locked (too many failed logons)");
        return GW_ELOGON;
    }
    if (ret == 0) {
        lo->failed[u] = 0;
        return 0;
    }
    if (out->bad_password && lo->max_failed > 0 && ++lo->failed[u] >= lo->max_failed) {
        lo->locked[u] = 1;
        *just_locked = 1;
    }
    return GW_ELOGON;
}
