/*
 * config_security: the tables of `callers` (caller authentication), `cors`
 * and `rate_limit`, and the secret helpers every secret setting goes
 * through (`${ENV}`, secret files with a permission check).
 *
 * Deny by default: a configuration without a `callers` group is an error,
 * so an operator who forgets authentication gets a message and not an open
 * gateway. Anonymous access is a method of type `none` that must be written
 * down, and it is refused on a listener that is not loopback unless
 * `allow_none_on_public_listener` says otherwise. The key, user and JWKS
 * files themselves are read by gateway/auth when the gateway starts.
 */
#include "config/config.h"
#include "error/error.h"
#include "log/log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

char *gw_cfg_secret(gw_arena_t *arena, const char *value, const config_setting_t *s,
                    gw_cfg_errors_t *e)
{
    if (value == NULL)
        return NULL;
    size_t n = strlen(value);
    if (n > 3 && value[0] == '$' && value[1] == '{' && value[n - 1] == '}') {
        char name[128];
        if (n - 3 >= sizeof(name)) {
            gw_cfg_error(e, s, "environment variable name too long");
            return NULL;
        }
        memcpy(name, value + 2, n - 3);
        name[n - 3] = '\0';
        const char *v = getenv(name);
        if (v == NULL || v[0] == '\0') {
            gw_cfg_error(e, s, "environment variable %s is not set (or empty)", name);
            return NULL;
        }
        return gw_arena_strndup(arena, v, strlen(v));
    }
    return gw_arena_strndup(arena, value, n);
}

void gw_cfg_check_private(const char *path, const char *what)
{
    struct stat st;
    if (stat(path, &st) == 0 && (st.st_mode & S_IROTH))
        GW_LOGW("config", "%s %s is readable by every user of this machine; chmod o-rwx it", what,
                path);
}

char *gw_cfg_secret_file(gw_arena_t *arena, const char *path, const config_setting_t *s,
                         gw_cfg_errors_t *e)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        gw_cfg_error(e, s, "cannot read secret file %s: %s", path, strerror(errno));
        return NULL;
    }
    char line[1024];
    char *got = fgets(line, sizeof(line), f);
    fclose(f);
    if (got)
        line[strcspn(line, "\r\n")] = '\0';
    if (got == NULL || line[0] == '\0') {
        gw_cfg_error(e, s, "secret file %s is empty", path);
        return NULL;
    }
    gw_cfg_check_private(path, "secret file");
    char *secret = gw_arena_strndup(arena, line, strlen(line));
    explicit_bzero(line, sizeof(line));
    return secret;
}

#define INT_MAX_CFG 2147483647LL
#define C(field)    offsetof(gw_config_t, field)
#define M(field)    offsetof(gw_caller_method_t, field)

static const gw_cfg_decl_t callers_decls[] = {
    {"allow_none_on_public_listener", GW_CFG_BOOL, C(callers.allow_none_on_public_listener),
     "false", 0, 0, 0,
     "Allow a method of type `none` (anonymous callers) on a listener that is not loopback. "
     "Only behind something else that authenticates."},
    {"public_metrics", GW_CFG_BOOL, C(callers.public_metrics), "false", 0, 0, 0,
     "`GET /metrics` without authentication (otherwise the `default` methods apply)."},
    {"public_openapi", GW_CFG_BOOL, C(callers.public_openapi), "false", 0, 0, 0,
     "`GET /openapi.json` and `/docs` without authentication (otherwise the `default` methods "
     "apply)."},
};

static const gw_cfg_decl_t method_decls[] = {
    {"name", GW_CFG_STR, M(name), NULL, 0, 0, 1,
     "Name that `default` and the routes' `auth` lists refer to; part of the caller identity."},
    {"type", GW_CFG_STR, M(type), NULL, 0, 0, 1,
     "`api_key`, `basic`, `jwt`, `passthrough` (HTTP Basic checked by the backend, not here: "
     "only on routes with `identity = \"passthrough\"`) or `none` (anonymous; must be "
     "explicit)."},
    {"file", GW_CFG_PATH, M(file), NULL, 0, 0, 0,
     "`api_key`: lines `name:sha256$<hash>[:scope,scope]`; `basic`: lines "
     "`user:pbkdf2-sha256$…[:scope,scope]` (`rfmgw --hash-api-key`, `--hash-password`)."},
    {"header", GW_CFG_STR, M(header), "X-API-Key", 0, 0, 0, "`api_key`: the request header."},
    {"realm", GW_CFG_STR, M(realm), "rfmgw", 0, 0, 0,
     "`basic`, `jwt`: realm named in WWW-Authenticate."},
    {"cache_ttl_s", GW_CFG_INT, M(cache_ttl_s), "60", 0, 3600, 0,
     "`basic`: a verified user/password pair is remembered this long, so PBKDF2 does not run "
     "on every request (0 = no cache). Only a keyed hash of the pair is kept."},
    {"cache_max", GW_CFG_INT, M(cache_max), "1024", 1, 1000000, 0,
     "`basic`: most remembered pairs."},
    {"algorithm", GW_CFG_STR, M(algorithm), NULL, 0, 0, 0,
     "`jwt`: `HS256`, `RS256` or `ES256`; a token signed with any other algorithm (and `none`) "
     "is refused."},
    {"key_file", GW_CFG_PATH, M(key_file), NULL, 0, 0, 0,
     "`jwt` RS256/ES256: the public key or certificate, PEM."},
    {"jwks_file", GW_CFG_PATH, M(jwks_file), NULL, 0, 0, 0,
     "`jwt`: a JWKS file (`kid` selects the key; RSA, EC P-256 or oct keys)."},
    {"secret", GW_CFG_STR, M(secret), NULL, 0, 0, 0,
     "`jwt` HS256: the shared secret (at least 32 bytes); `${NAME}` reads the environment "
     "variable NAME. Prefer `secret_file`."},
    {"secret_file", GW_CFG_PATH, M(secret_file), NULL, 0, 0, 0,
     "`jwt` HS256: file whose first line is the shared secret."},
    {"issuer", GW_CFG_STR, M(issuer), NULL, 0, 0, 0,
     "`jwt`: the `iss` a token must carry (unchecked when unset)."},
    {"audience", GW_CFG_STR, M(audience), NULL, 0, 0, 0,
     "`jwt`: a value the token's `aud` must contain (unchecked when unset)."},
    {"leeway_s", GW_CFG_INT, M(leeway_s), "30", 0, 300, 0,
     "`jwt`: clock skew allowed when checking `exp` and `nbf`."},
    {"require_exp", GW_CFG_BOOL, M(require_exp), "true", 0, 0, 0,
     "`jwt`: refuse tokens without `exp`."},
    {"max_token", GW_CFG_INT, M(max_token), "8192", 256, 65536, 0,
     "`jwt`: longest token accepted, in bytes."},
    {"scope_claim", GW_CFG_STR, M(scope_claim), "scope", 0, 0, 0,
     "`jwt`: claim holding the scopes, a space-separated string or an array of strings."},
    {"subject_claim", GW_CFG_STR, M(subject_claim), "sub", 0, 0, 0,
     "`jwt`: claim naming the caller (required in every token)."},
};

static const gw_cfg_decl_t cors_decls[] = {
    {"enabled", GW_CFG_BOOL, C(cors.enabled), "false", 0, 0, 0,
     "Answer CORS preflights and add CORS headers for the origins in `origins` (a list of "
     "exact origins such as \"https://app.example.com\", or \"*\")."},
    {"methods", GW_CFG_STR, C(cors.methods), "GET, POST, PUT, PATCH, DELETE", 0, 0, 0,
     "Access-Control-Allow-Methods."},
    {"headers", GW_CFG_STR, C(cors.headers),
     "Content-Type, Authorization, X-API-Key, Idempotency-Key, X-Request-Id, traceparent", 0, 0, 0,
     "Access-Control-Allow-Headers: request headers a browser may send."},
    {"expose_headers", GW_CFG_STR, C(cors.expose_headers),
     "X-Request-Id, Retry-After, Idempotent-Replayed, X-Rfmgw-Commit", 0, 0, 0,
     "Access-Control-Expose-Headers."},
    {"credentials", GW_CFG_BOOL, C(cors.credentials), "false", 0, 0, 0,
     "Access-Control-Allow-Credentials: true (not with origin \"*\")."},
    {"max_age_s", GW_CFG_INT, C(cors.max_age_s), "600", 0, 86400, 0,
     "Access-Control-Max-Age: how long a browser may cache a preflight."},
};

static const gw_cfg_decl_t rate_decls[] = {
    {"caller_rate", GW_CFG_INT, C(rate_limit.caller_rate), "0", 0, 1000000, 0,
     "Requests per second per caller identity (anonymous callers: per client address); "
     "0 = no limit. Over the limit: 429 with Retry-After."},
    {"caller_burst", GW_CFG_INT, C(rate_limit.caller_burst), "20", 1, 1000000, 0,
     "Requests a caller may send at once above its rate (the bucket's size)."},
    {"route_rate", GW_CFG_INT, C(rate_limit.route_rate), "0", 0, 1000000, 0,
     "Requests per second per route, over all callers; 0 = no limit."},
    {"route_burst", GW_CFG_INT, C(rate_limit.route_burst), "50", 1, 1000000, 0,
     "The route bucket's size."},
    {"max_callers", GW_CFG_INT, C(rate_limit.max_callers), "10000", 16, 10000000, 0,
     "Most caller buckets kept in memory; the least recently used is dropped first."},
};

static const gw_cfg_decl_t admin_decls[] = {
    {"enabled", GW_CFG_BOOL, C(admin.enabled), "false", 0, 0, 0,
     "Start the admin listener: plain HTTP, no caller authentication, for operators on the "
     "same host."},
    {"address", GW_CFG_STR, C(admin.address), "127.0.0.1", 0, 0, 0,
     "Its address: loopback (127.0.0.0/8 or ::1) unless `allow_remote` is set."},
    {"port", GW_CFG_INT, C(admin.port), "9091", 0, 65535, 0,
     "Its port; 0 = any free port (the log line `admin listener on …` says which)."},
    {"metrics", GW_CFG_BOOL, C(admin.metrics), "false", 0, 0, 0,
     "Serve `GET /metrics` here only: the public listener then answers 404 for it."},
    {"allow_remote", GW_CFG_BOOL, C(admin.allow_remote), "false", 0, 0, 0,
     "Allow an address that is not loopback. Anyone who reaches it can clear caches and read "
     "metrics; prefer loopback and a sidecar or SSH tunnel."},
};

#define GROUP(p, arr, d)                                                                           \
    {                                                                                              \
        p, arr, GW_ARRAY_SIZE(arr), d                                                              \
    }
static const gw_cfg_group_t g_callers = GROUP(
    "callers", callers_decls,
    "Who may call (docs/security.md). Required: `methods = ( { … }, … );` declares the ways "
    "callers authenticate, `default = [ \"name\", … ];` the methods of every route without its "
    "own `auth` list (and of the batch, generic and functions endpoints), `rfc_scopes = [ … ];` "
    "the scopes the generic endpoint requires. `/healthz` and `/readyz` are always open.");
static const gw_cfg_group_t g_method =
    GROUP("callers.methods[]", method_decls,
          "One authentication method. Credentials that are present but wrong are refused (401) "
          "even when a method of type `none` is listed too.");
static const gw_cfg_group_t g_cors = GROUP("cors", cors_decls, "CORS for browser apps.");
static const gw_cfg_group_t g_rate =
    GROUP("rate_limit", rate_decls, "Token buckets per caller and per route.");

static const gw_cfg_group_t g_admin =
    GROUP("admin", admin_decls,
          "A second listener for operators (docs/operations.md): `POST /admin/metadata/clear` "
          "(what SIGUSR1 does) and, with `metrics = true`, `GET /metrics`. Off by default.");

static const gw_cfg_group_t *const sec_groups[] = {&g_callers, &g_method, &g_cors, &g_rate,
                                                   &g_admin};

void gw__config_print_security_reference(FILE *f)
{
    gw_cfg_print_reference(f, sec_groups, GW_ARRAY_SIZE(sec_groups));
}

const gw_caller_method_t *gw_config_caller_method(const gw_config_t *c, const char *name)
{
    for (size_t i = 0; i < c->callers.nmethods; i++)
        if (strcmp(c->callers.methods[i].name, name) == 0)
            return &c->callers.methods[i];
    return NULL;
}

int gw_cfg_is_loopback(const char *address)
{
    return strncmp(address, "127.", 4) == 0 || strcmp(address, "::1") == 0;
}

/* The settings that make sense for each type (besides name and type). */
static int applies(const char *type, const char *setting)
{
    static const struct {
        const char *type, *settings;
    } t[] = {
        {"api_key", " file header "},
        {"basic", " file realm cache_ttl_s cache_max "},
        {"jwt", " realm algorithm key_file jwks_file secret secret_file issuer audience leeway_s "
                "require_exp max_token scope_claim subject_claim "},
        {"none", " "},
        {"passthrough", " realm "},
    };
    char needle[64];
    snprintf(needle, sizeof(needle), " %s ", setting);
    if (strcmp(setting, "name") == 0 || strcmp(setting, "type") == 0)
        return 1;
    for (size_t i = 0; i < GW_ARRAY_SIZE(t); i++)
        if (strcmp(t[i].type, type) == 0)
            return strstr(t[i].settings, needle) != NULL;
    return 1;
}

static void check_method(gw_config_t *c, gw_caller_method_t *m, const config_setting_t *s,
                         gw_cfg_errors_t *e)
{
    const char *type = m->type;
    if (strcmp(type, "api_key") && strcmp(type, "basic") && strcmp(type, "jwt") &&
        strcmp(type, "none") && strcmp(type, "passthrough")) {
        gw_cfg_error(e, config_setting_get_member(s, "type"),
                     "callers method '%s': type must be api_key, basic, jwt, passthrough or none, "
                     "not '%s'",
                     m->name, type);
        return;
    }
    for (int i = 0; i < config_setting_length(s); i++) {
        const config_setting_t *x = config_setting_get_elem(s, (unsigned)i);
        if (!applies(type, config_setting_name(x)))
            gw_cfg_error(e, x, "callers method '%s': '%s' does not apply to type %s", m->name,
                         config_setting_name(x), type);
    }
    if ((strcmp(type, "api_key") == 0 || strcmp(type, "basic") == 0) && m->file == NULL)
        gw_cfg_error(e, s, "callers method '%s' (%s) needs 'file'", m->name, type);
    if (m->file)
        gw_cfg_check_private(m->file, strcmp(type, "basic") == 0 ? "user file" : "key file");
    if (strcmp(type, "none") == 0 && !gw_cfg_is_loopback(c->listen.address) &&
        !c->callers.allow_none_on_public_listener)
        gw_cfg_error(e, s,
                     "callers method '%s' is of type none (anonymous callers), but the listener "
                     "%s is not loopback; set callers.allow_none_on_public_listener = true only "
                     "if something in front authenticates",
                     m->name, c->listen.address);
    if (strcmp(type, "jwt") != 0)
        return;
    const char *alg = m->algorithm ? m->algorithm : "";
    int hs = strcmp(alg, "HS256") == 0;
    if (!hs && strcmp(alg, "RS256") && strcmp(alg, "ES256")) {
        gw_cfg_error(e, s, "callers method '%s': algorithm must be HS256, RS256 or ES256", m->name);
        return;
    }
    int nsrc = (m->key_file != NULL) + (m->jwks_file != NULL) + (m->secret != NULL) +
               (m->secret_file != NULL);
    if (nsrc != 1)
        gw_cfg_error(e, s,
                     "callers method '%s': exactly one of key_file, jwks_file, secret and "
                     "secret_file",
                     m->name);
    else if (hs && m->key_file)
        gw_cfg_error(e, config_setting_get_member(s, "key_file"),
                     "callers method '%s': HS256 takes a secret, not a public key", m->name);
    else if (!hs && (m->secret || m->secret_file))
        gw_cfg_error(e, s, "callers method '%s': %s takes key_file or jwks_file, not a secret",
                     m->name, alg);
    if (m->secret)
        m->secret_value =
            gw_cfg_secret(&c->arena, m->secret, config_setting_get_member(s, "secret"), e);
    else if (m->secret_file)
        m->secret_value = gw_cfg_secret_file(&c->arena, m->secret_file,
                                             config_setting_get_member(s, "secret_file"), e);
    if (m->secret_value && strlen(m->secret_value) < 32)
        gw_cfg_error(e, s, "callers method '%s': the HS256 secret must have at least 32 bytes",
                     m->name);
}

void gw__config_load_security(gw_config_t *c, const config_t *cfg, gw_cfg_errors_t *e)
{
    gw_arena_t *a = &c->arena;
    const config_setting_t *ad = config_lookup(cfg, "admin");
    gw_cfg_load_group(a, ad, &g_admin, c, c->dir, NULL, e);
    if (c->admin.enabled && !gw_cfg_is_loopback(c->admin.address) && !c->admin.allow_remote)
        gw_cfg_error(e, config_setting_get_member(ad, "address"),
                     "admin.address %s is not loopback: the admin listener has no caller "
                     "authentication; set admin.allow_remote = true only behind a firewall",
                     c->admin.address);
    else if (c->admin.enabled && !gw_cfg_is_loopback(c->admin.address))
        GW_LOGW("config", "the admin listener is on %s, not loopback (admin.allow_remote)",
                c->admin.address);
    if (c->admin.metrics && !c->admin.enabled)
        gw_cfg_error(e, config_setting_get_member(ad, "metrics"),
                     "admin.metrics needs admin.enabled = true");
    const config_setting_t *ls = config_lookup(cfg, "listen");
    struct stat st;
    if ((c->listen.tls_cert != NULL) != (c->listen.tls_key != NULL))
        gw_cfg_error(e, ls, "listen: HTTPS needs both tls_cert and tls_key");
    if (c->listen.tls_cert && stat(c->listen.tls_cert, &st) != 0)
        gw_cfg_error(e, config_lookup(cfg, "listen.tls_cert"), "cannot read tls_cert %s: %s",
                     c->listen.tls_cert, strerror(errno));
    if (c->listen.tls_key && stat(c->listen.tls_key, &st) != 0)
        gw_cfg_error(e, config_lookup(cfg, "listen.tls_key"), "cannot read tls_key %s: %s",
                     c->listen.tls_key, strerror(errno));
    else if (c->listen.tls_key)
        gw_cfg_check_private(c->listen.tls_key, "private key");
    gw_cfg_load_group(a, config_lookup(cfg, "cors"), &g_cors, c, c->dir,
                      (const char *const[]){"origins", NULL}, e);
    c->cors.origins =
        gw_cfg_strings(a, config_lookup(cfg, "cors.origins"), "cors.origins", &c->cors.norigins, e);
    for (size_t i = 0; i < c->cors.norigins; i++)
        if (strcmp(c->cors.origins[i], "*") == 0 && c->cors.credentials)
            gw_cfg_error(e, config_lookup(cfg, "cors.origins"),
                         "cors: credentials = true cannot be combined with origin \"*\"");
    if (c->cors.enabled && c->cors.norigins == 0)
        gw_cfg_error(e, config_lookup(cfg, "cors"), "cors is enabled but cors.origins is empty");
    gw_cfg_load_group(a, config_lookup(cfg, "rate_limit"), &g_rate, c, c->dir, NULL, e);

    const config_setting_t *cs = config_lookup(cfg, "callers");
    if (cs == NULL) {
        gw_cfg_error(e, NULL,
                     "no 'callers' group: rfmgw authenticates every caller. For anonymous "
                     "callers on loopback write callers = { methods = ( { name = \"open\"; type "
                     "= \"none\"; } ); default = [ \"open\" ]; }; (docs/security.md)");
        return;
    }
    c->callers.present = 1;
    static const char *const also[] = {"methods", "default", "rfc_scopes", NULL};
    if (gw_cfg_load_group(a, cs, &g_callers, c, c->dir, also, e))
        return;
    const config_setting_t *ms = config_setting_get_member(cs, "methods");
    if (ms == NULL || config_setting_type(ms) != CONFIG_TYPE_LIST ||
        config_setting_length(ms) == 0) {
        gw_cfg_error(e, ms ? ms : cs, "callers.methods must be a non-empty list ( { … }, … )");
        return;
    }
    int n = config_setting_length(ms);
    c->callers.methods = gw_arena_calloc(a, (size_t)n + 1, sizeof(*c->callers.methods));
    for (int i = 0; c->callers.methods && i < n; i++) {
        const config_setting_t *s = config_setting_get_elem(ms, (unsigned)i);
        gw_caller_method_t *m = &c->callers.methods[c->callers.nmethods];
        if (gw_cfg_load_group(a, s, &g_method, m, c->dir, NULL, e))
            continue;
        if (gw_config_caller_method(c, m->name))
            gw_cfg_error(e, s, "duplicate callers method name '%s'", m->name);
        if (strspn(m->name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") !=
            strlen(m->name))
            gw_cfg_error(e, s, "callers method name '%s': letters, digits, _ and - only", m->name);
        check_method(c, m, s, e);
        c->callers.nmethods++;
    }
    const config_setting_t *ds = config_setting_get_member(cs, "default");
    c->callers.defaults = gw_cfg_strings(a, ds, "callers.default", &c->callers.ndefaults, e);
    if (ds == NULL || c->callers.ndefaults == 0)
        gw_cfg_error(e, ds ? ds : cs, "callers.default must list at least one method");
    for (size_t i = 0; i < c->callers.ndefaults; i++)
        if (!gw_config_caller_method(c, c->callers.defaults[i]))
            gw_cfg_error(e, ds, "callers.default: no method named '%s'", c->callers.defaults[i]);
    c->callers.rfc_scopes = gw_cfg_strings(a, config_setting_get_member(cs, "rfc_scopes"),
                                           "callers.rfc_scopes", &c->callers.nrfc_scopes, e);
}
