/*
 * config: declaration-table loader and the gateway's own tables.
 *
 * The tables below are the single source of truth for every gateway
 * setting: names, defaults, ranges and the reference text. libconfig gives
 * us syntax and line numbers; everything semantic (unknown names, types,
 * ranges, cross-field rules) is checked here so every mistake reports
 * `file:line` instead of being silently ignored (libconfig's own lookups
 * fail quietly on a wrong type).
 */
#include "config/config.h"
#include "config/config_nwrfc.h"
#include "error/error.h"
#include "log/log.h"
#include "tlsid/tlsid.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void gw_cfg_error(gw_cfg_errors_t *e, const config_setting_t *s, const char *fmt, ...)
{
    const char *file = s && config_setting_source_file(s) ? config_setting_source_file(s) : e->file;
    int line = s ? (int)config_setting_source_line(s) : 0;
    if (line > 0)
        gw_buf_printf(&e->text, "%s:%d: ", file ? file : "?", line);
    else
        gw_buf_printf(&e->text, "%s: ", file ? file : "?");
    va_list ap;
    va_start(ap, fmt);
    char msg[512];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    gw_buf_printf(&e->text, "%s\n", msg);
    e->count++;
}

char *gw_cfg_dirname(gw_arena_t *arena, const char *path)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        return gw_arena_strndup(arena, ".", 1);
    if (slash == path)
        return gw_arena_strndup(arena, "/", 1);
    return gw_arena_strndup(arena, path, (size_t)(slash - path));
}

static char *resolve_path(gw_arena_t *arena, const char *dir, const char *p)
{
    if (p[0] == '/' || dir == NULL)
        return gw_arena_strndup(arena, p, strlen(p));
    return gw_arena_printf(arena, "%s/%s", dir, p);
}

static const gw_cfg_decl_t *find_decl(const gw_cfg_group_t *grp, const char *name)
{
    for (size_t i = 0; i < grp->ndecls; i++)
        if (strcmp(grp->decls[i].name, name) == 0)
            return &grp->decls[i];
    return NULL;
}

static int set_value(gw_arena_t *arena, const gw_cfg_decl_t *d, void *out, const char *dir,
                     const config_setting_t *s, gw_cfg_errors_t *e)
{
    char *base = out;
    int type = s ? config_setting_type(s) : 0;
    switch (d->kind) {
    case GW_CFG_STR:
    case GW_CFG_PATH: {
        const char *v = d->def;
        if (s) {
            if (type != CONFIG_TYPE_STRING) {
                gw_cfg_error(e, s, "'%s' must be a string", d->name);
                return 1;
            }
            v = config_setting_get_string(s);
        }
        char **dst = (char **)(base + d->offset);
        *dst = NULL;
        if (v == NULL)
            return 0;
        *dst = d->kind == GW_CFG_PATH && v[0] ? resolve_path(arena, dir, v)
                                              : gw_arena_strndup(arena, v, strlen(v));
        return 0;
    }
    case GW_CFG_INT: {
        long long v = d->def ? strtoll(d->def, NULL, 10) : 0;
        if (s) {
            if (type != CONFIG_TYPE_INT && type != CONFIG_TYPE_INT64) {
                gw_cfg_error(e, s, "'%s' must be an integer", d->name);
                return 1;
            }
            v = config_setting_get_int64(s);
            if (v < d->min || v > d->max) {
                gw_cfg_error(e, s, "'%s' must be between %lld and %lld, not %lld", d->name, d->min,
                             d->max, v);
                return 1;
            }
        }
        *(int *)(base + d->offset) = (int)v;
        return 0;
    }
    case GW_CFG_BOOL: {
        int v = d->def && strcmp(d->def, "true") == 0;
        if (s) {
            if (type != CONFIG_TYPE_BOOL) {
                gw_cfg_error(e, s, "'%s' must be true or false", d->name);
                return 1;
            }
            v = config_setting_get_bool(s);
        }
        *(int *)(base + d->offset) = v;
        return 0;
    }
    }
    return 0;
}

int gw_cfg_load_group(gw_arena_t *arena, const config_setting_t *g, const gw_cfg_group_t *grp,
                      void *out, const char *dir, const char *const *also_known, gw_cfg_errors_t *e)
{
    int before = e->count;
    if (g && config_setting_type(g) != CONFIG_TYPE_GROUP) {
        gw_cfg_error(e, g, "'%s' must be a group { ... }", grp->path);
        return e->count - before;
    }
    for (int i = 0; g && i < config_setting_length(g); i++) {
        const config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
        const char *name = config_setting_name(s);
        int known = find_decl(grp, name) != NULL;
        for (const char *const *k = also_known; !known && k && *k; k++)
            known = strcmp(*k, name) == 0;
        if (!known)
            gw_cfg_error(e, s, "unknown setting '%s' in %s", name, grp->path);
    }
    for (size_t i = 0; i < grp->ndecls; i++) {
        const gw_cfg_decl_t *d = &grp->decls[i];
        const config_setting_t *s = g ? config_setting_get_member(g, d->name) : NULL;
        if (s == NULL && d->required) {
            gw_cfg_error(e, g, "missing required setting '%s' in %s", d->name, grp->path);
            continue;
        }
        set_value(arena, d, out, dir, s, e);
    }
    return e->count - before;
}

int gw_cfg_read_file(config_t *cfg, const char *path, gw_cfg_errors_t *e)
{
    struct stat st;
    config_init(cfg);
    if (stat(path, &st) != 0) {
        gw_buf_printf(&e->text, "%s: cannot open: %s\n", path, strerror(errno));
        e->count++;
        config_destroy(cfg);
        return GW_ECONFIG;
    }
    if (!config_read_file(cfg, path)) {
        gw_buf_printf(&e->text, "%s:%d: %s\n",
                      config_error_file(cfg) ? config_error_file(cfg) : path,
                      config_error_line(cfg), config_error_text(cfg));
        e->count++;
        config_destroy(cfg);
        return GW_ECONFIG;
    }
    return 0;
}

static const char *kind_name(gw_cfg_kind_t k)
{
    switch (k) {
    case GW_CFG_STR:
        return "string";
    case GW_CFG_PATH:
        return "path";
    case GW_CFG_INT:
        return "integer";
    case GW_CFG_BOOL:
        return "boolean";
    }
    return "?";
}

void gw_cfg_print_reference(FILE *f, const gw_cfg_group_t *const *groups, size_t n)
{
    for (size_t g = 0; g < n; g++) {
        const gw_cfg_group_t *grp = groups[g];
        fprintf(f, "### `%s`\n\n%s\n\n", grp->path, grp->doc);
        fprintf(f, "| setting | type | default | range | description |\n");
        fprintf(f, "|---|---|---|---|---|\n");
        for (size_t i = 0; i < grp->ndecls; i++) {
            const gw_cfg_decl_t *d = &grp->decls[i];
            char range[64] = "";
            if (d->kind == GW_CFG_INT)
                snprintf(range, sizeof(range), "%lld – %lld", d->min, d->max);
            fprintf(f, "| `%s` | %s | %s%s%s | %s | %s%s |\n", d->name, kind_name(d->kind),
                    d->def ? "`" : "", d->def ? d->def : (d->required ? "required" : "—"),
                    d->def ? "`" : "", range, d->doc,
                    d->kind == GW_CFG_PATH ? " Relative paths resolve against the file's directory."
                                           : "");
        }
        fprintf(f, "\n");
    }
}

/* ---- the gateway's tables ---- */

#define INT_MAX_CFG 2147483647LL
#define D(field)    offsetof(gw_dest_conf_t, field)
#define C(field)    offsetof(gw_config_t, field)

static const gw_cfg_decl_t listen_decls[] = {
    {"address", GW_CFG_STR, C(listen.address), "127.0.0.1", 0, 0, 0,
     "IP address the HTTP front listens on."},
    {"port", GW_CFG_INT, C(listen.port), "8080", 0, 65535, 0,
     "TCP port of the HTTP front; 0 picks a free port (see `--ready-file`)."},
    {"threads", GW_CFG_INT, C(listen.threads), "0", 0, 64, 0,
     "HTTP threads (epoll, one event loop each). 0: no HTTP thread — the backend loop thread "
     "serves HTTP as well, like one nginx worker: the least CPU per call and no thread "
     "hand-off (docs/performance.md); large bodies, uncached password checks and large "
     "results go to convert_threads. N > 0: N HTTP threads hand each call to the loop and "
     "back; they spread HTTP parsing and JSON over more cores, at ~25 % more CPU per call."},
    {"convert_threads", GW_CFG_INT, C(listen.convert_threads), "1", 0, 64, 0,
     "Background threads (at a lower priority) that turn large results into JSON and parse "
     "large request bodies, and check passwords that are not cached (a PBKDF2 hash), so that "
     "small requests on the same HTTP thread do not wait behind them; 0 = all of it on the "
     "HTTP thread. See `limits.convert_rows` and `limits.convert_body`."},
    {"max_body", GW_CFG_INT, C(listen.max_body), "1048576", 1024, 1073741824, 0,
     "Largest request body in bytes; larger bodies are answered 413."},
    {"connection_limit", GW_CFG_INT, C(listen.connection_limit), "1024", 1, 1000000, 0,
     "Most concurrent HTTP connections."},
    {"per_ip_connection_limit", GW_CFG_INT, C(listen.per_ip_connection_limit), "0", 0, 1000000, 0,
     "Most concurrent HTTP connections from one client address (0 = no limit). Leave it off "
     "behind a proxy, where every caller has the proxy's address."},
    {"connection_memory", GW_CFG_INT, C(listen.connection_memory), "8192", 4096, 1048576, 0,
     "Memory per HTTP connection (libmicrohttpd's connection memory limit): it bounds the "
     "request headers, and half of it is the read buffer a request body arrives through (~4 KiB "
     "per `recv` at the default). Each idle keep-alive connection keeps it resident; a larger "
     "value means fewer, larger reads for large bodies: 16384 takes ~9 % off the CPU of a "
     "2.7 MB request for ~8 KiB more per idle client (docs/performance.md, "
     "\"`listen.connection_memory`\")."},
    {"timeout_s", GW_CFG_INT, C(listen.timeout_s), "60", 1, 3600, 0,
     "Idle HTTP connections are closed after this many seconds."},
    {"tls_cert", GW_CFG_PATH, C(listen.tls_cert), NULL, 0, 0, 0,
     "HTTPS on the listener (TLS 1.2 and 1.3 only, GnuTLS): the certificate chain, PEM. Unset: "
     "plain HTTP (terminate TLS at an ingress instead, docs/security.md)."},
    {"tls_key", GW_CFG_PATH, C(listen.tls_key), NULL, 0, 0, 0,
     "The private key of `tls_cert`, PEM (unencrypted; keep it chmod 600)."},
    {"drain_timeout_ms", GW_CFG_INT, C(listen.drain_timeout_ms), "10000", 0, 600000, 0,
     "On SIGTERM/SIGINT: how long requests in flight may still finish before their backend "
     "calls are cancelled (503)."},
    {"sched_slice_us", GW_CFG_INT, C(listen.sched_slice_us), "0", 0, 100000, 0,
     "Scheduler time slice (Linux 6.12+, EEVDF) asked for every rfmgw thread, in microseconds "
     "(100–100000); 0 = the kernel's default. A short slice (100) lets small calls overtake the "
     "work on large results sooner on a shared core (p99 about 1 ms lower in "
     "docs/performance.md's isolation rows) at 5–10 % more CPU per call when the CPU is "
     "saturated."},
};

static const gw_cfg_decl_t log_decls[] = {
    {"level", GW_CFG_STR, C(log.level), "info", 0, 0, 0, "One of error, warn, info, debug."},
    {"format", GW_CFG_STR, C(log.format), "text", 0, 0, 0,
     "`text` (a line for a person at a terminal) or `json` (one JSON object per line, for a "
     "log collector); docs/operations.md lists the fields."},
    {"requests", GW_CFG_BOOL, C(log.requests), "true", 0, 0, 0,
     "Write one line per answered request (level info; warn for 5xx answers)."},
};

static const gw_cfg_decl_t startup_decls[] = {
    {"summary", GW_CFG_BOOL, C(startup.summary), "true", 0, 0, 0,
     "Write the start-up summary (listener, destinations reachable or not, routes) to standard "
     "error."},
    {"probe_timeout_ms", GW_CFG_INT, C(startup.probe_timeout_ms), "2000", 0, 60000, 0,
     "Bound of the start-up probe of each destination (TCP connect and TLS handshake, no "
     "logon); 0 skips the probes."},
    {"verify_timeout_ms", GW_CFG_INT, C(startup.verify_timeout_ms), "5000", 0, 600000, 0,
     "After start-up (and in `--check-config`), every route is checked against its function's "
     "metadata (bindings, include, flatten, stream_table, testrun), each DESCRIBE bounded by "
     "this; 0 = check on each route's first call only."},
};

static const gw_cfg_decl_t docs_decls[] = {
    {"enabled", GW_CFG_BOOL, C(docs.enabled), "true", 0, 0, 0,
     "Serve the API explorer on `GET /docs` (`false`: 404)."},
    {"assets", GW_CFG_PATH, C(docs.assets), NULL, 0, 0, 0,
     "Directory of the npm package swagger-ui-dist (`npm ci --prefix ui` installs it in "
     "`ui/node_modules/swagger-ui-dist`). Unset or without its files, `/docs` answers 404 "
     "`explorer-not-installed` saying how to install them."},
};

static const gw_cfg_decl_t limits_decls[] = {
    {"json_depth", GW_CFG_INT, C(limits.json_depth), "32", 2, 1024, 0,
     "Deepest nesting accepted in a JSON request body."},
    {"max_errors", GW_CFG_INT, C(limits.max_errors), "20", 1, 1000, 0,
     "Most entries in the `errors` list of one 400 answer."},
    {"convert_rows", GW_CFG_INT, C(limits.convert_rows), "1000", 1, 100000000, 0,
     "A result with at least this many table rows is turned into JSON on a background thread "
     "(`listen.convert_threads`); so are a batch's step answers when their rows together reach "
     "it."},
    {"convert_body", GW_CFG_INT, C(limits.convert_body), "262144", 1, 1073741824, 0,
     "A request body of at least this many bytes is parsed and converted into RFC values on a "
     "background thread (`listen.convert_threads`), so that the event loop that received it "
     "goes on serving other requests meanwhile."},
    {"stream_buffer", GW_CFG_INT, C(limits.stream_buffer), "1048576", 65536, 268435456, 0,
     "Bytes of a streamed (NDJSON) result rfmgw holds per request before it stops reading from "
     "the backend until the client has taken half of them (backpressure)."},
    {"retain_memory_mb", GW_CFG_INT, C(limits.retain_memory_mb), "64", 0, 4096, 0,
     "Freed memory the C library keeps mapped for the next request, per allocator arena (glibc "
     "`M_TRIM_THRESHOLD`; blocks below min(this, 32 MiB) come from the heap, not from `mmap`). "
     "Large bodies and results then cost no page faults after the first one (docs/performance.md); "
     "the price is resident memory after a burst of large requests, up to this much per thread "
     "that served one. 0 = the C library's defaults. Read at start."},
};

static const gw_cfg_decl_t dest_decls[] = {
    {"name", GW_CFG_STR, D(name), NULL, 0, 0, 1, "Name that routes refer to."},
    {"backend", GW_CFG_STR, D(backend), "native", 0, 0, 0,
     "`native` (rfmgw's WebSocket RFC) or `nwrfc` (the SAP NW RFC SDK, when built with it; "
     "docs/backends.md)."},
    {"host", GW_CFG_STR, D(host), NULL, 0, 0, 1,
     "The API host name, as in SM59 type W: the API URL without `https://` (a leading "
     "`https://` is stripped; `http://` or `ws://` is an error). Sent as Host header and TLS "
     "SNI, checked against the server certificate, and selects the client by host name."},
    {"port", GW_CFG_INT, D(port), "443", 1, 65535, 0, "TCP port of the API host."},
    {"address", GW_CFG_STR, D(address), NULL, 0, 0, 0,
     "Optional TCP target (IP or name) to connect to instead of `host`; Host header, SNI and "
     "the certificate check still use `host`."},
    {"path", GW_CFG_STR, D(path), "/rfmgw/rfc/v1", 0, 0, 0, "WebSocket upgrade path."},
    {"client", GW_CFG_STR, D(client), "by_hostname", 0, 0, 0,
     "`by_hostname` (the API host name selects the client) or an explicit three-digit client."},
    {"language", GW_CFG_STR, D(language), "E", 0, 0, 0, "Logon language."},
    {"connect_timeout_ms", GW_CFG_INT, D(connect_timeout_ms), "5000", 100, 600000, 0,
     "Time allowed for TCP connect, TLS handshake, upgrade and logon."},
    {"call_timeout_ms", GW_CFG_INT, D(call_timeout_ms), "30000", 100, 3600000, 0,
     "Time allowed for one request, from its arrival to the backend's answer. A connect "
     "needed on the way is bounded by `connect_timeout_ms` as well."},
    {"max_message", GW_CFG_INT, D(max_message), "16777216", 4096, 1073741824, 0,
     "Largest protocol message accepted from the backend, in bytes."},
    {"max_result", GW_CFG_INT, D(max_result), "67108864", 4096, 2147483647, 0,
     "Largest result (all its parts) rfmgw collects into one JSON answer, in bytes on the "
     "wire; a larger one fails with 502 result-too-large. Streamed answers (NDJSON) are not "
     "collected and have no such limit."},
    {"metadata_ttl_s", GW_CFG_INT, D(metadata_ttl_s), "600", 0, 86400, 0,
     "Function descriptions are cached this long (0 = fetch for every request). SIGUSR1 clears "
     "the cache at once."},
};

static const gw_cfg_decl_t auth_decls[] = {
    {"method", GW_CFG_STR, D(auth.method), "password", 0, 0, 0,
     "`password` (communication user) or `certificate` (X.509 client certificate, mutual TLS)."},
    {"user", GW_CFG_STR, D(auth.user), NULL, 0, 0, 0, "Communication user (method `password`)."},
    {"alias_user", GW_CFG_BOOL, D(auth.alias_user), "false", 0, 0, 0,
     "`user` is the user's alias, as SM59's *Alias User* flag."},
    {"password", GW_CFG_STR, D(auth.password), NULL, 0, 0, 0,
     "The password inline. Prefer `password_file`."},
    {"password_file", GW_CFG_PATH, D(auth.password_file), NULL, 0, 0, 0,
     "File whose first line is the password."},
    {"cert", GW_CFG_PATH, D(auth.cert), NULL, 0, 0, 0,
     "Client certificate, PEM (method `certificate`)."},
    {"key", GW_CFG_PATH, D(auth.key), NULL, 0, 0, 0, "Private key of `cert`, PEM."},
    {"pkcs12", GW_CFG_PATH, D(auth.pkcs12), NULL, 0, 0, 0,
     "Client identity as a PKCS#12 file (certificate, private key and chain; method "
     "`certificate`), instead of `cert` and `key`. No SAP PSE needed."},
    {"pkcs12_password", GW_CFG_STR, D(auth.pkcs12_password), NULL, 0, 0, 0,
     "The PKCS#12 file's password inline (`\"${ENV}\"` reads an environment variable). "
     "Prefer `pkcs12_password_file`."},
    {"pkcs12_password_file", GW_CFG_PATH, D(auth.pkcs12_password_file), NULL, 0, 0, 0,
     "File whose first line is the PKCS#12 file's password."},
};

static const gw_cfg_decl_t tls_decls[] = {
    {"ca_file", GW_CFG_PATH, D(tls.ca_file), NULL, 0, 0, 0,
     "CA certificates (PEM) that the backend's certificate must chain to. Only these are "
     "trusted, not the operating system's store."},
    {"verify", GW_CFG_BOOL, D(tls.verify), "true", 0, 0, 0,
     "Verify the server certificate and its host name. `false` is insecure and logged loudly."},
};
static void check_pkcs12(gw_config_t *c, gw_dest_conf_t *d, const config_setting_t *as,
                         gw_cfg_errors_t *e);
static void check_auth(gw_config_t *c, gw_dest_conf_t *d, const config_setting_t *as,
                       gw_cfg_errors_t *e);
/* tls.pin_sha256 is a list, read by load_pins() */
static const char *const tls_also[] = {"pin_sha256", NULL};

/*
 * tls.pin_sha256 = [ "sha256//<base64>", ... ]: the SHA-256 of the DER SubjectPublicKeyInfo of
 * an accepted server key (curl's --pinnedpubkey form; the prefix is optional).
 */
static void load_pins(gw_arena_t *arena, gw_dest_conf_t *d, const config_setting_t *tls,
                      gw_cfg_errors_t *e)
{
    const config_setting_t *l = tls ? config_setting_get_member(tls, "pin_sha256") : NULL;
    if (l == NULL)
        return;
    int type = config_setting_type(l);
    int n = type == CONFIG_TYPE_STRING                                ? 1
            : (type == CONFIG_TYPE_ARRAY || type == CONFIG_TYPE_LIST) ? config_setting_length(l)
                                                                      : -1;
    if (n <= 0) {
        gw_cfg_error(e, l, "tls.pin_sha256 must be a non-empty list of \"sha256//<base64>\"");
        return;
    }
    d->tls.pins = gw_arena_calloc(arena, (size_t)n, sizeof(*d->tls.pins));
    for (int i = 0; d->tls.pins && i < n; i++) {
        const config_setting_t *it =
            type == CONFIG_TYPE_STRING ? l : config_setting_get_elem(l, (unsigned)i);
        if (gw_tlsid_pin_parse(config_setting_get_string(it), d->tls.pins[d->tls.npins]) != 0) {
            gw_cfg_error(e, it,
                         "tls.pin_sha256 entries are \"sha256//\" and the base64 of a SHA-256 "
                         "(44 characters; rfmgw --pin-sha256 FILE prints one)");
            continue;
        }
        d->tls.npins++;
    }
}

static const gw_cfg_decl_t pool_decls[] = {
    {"max", GW_CFG_INT, D(pool.max), "4", 1, 1024, 0,
     "Hard cap on backend connections (sessions) of this destination. Keep the sum over all "
     "replicas below the backend's conversation limit."},
    {"min_idle", GW_CFG_INT, D(pool.min_idle), "0", 0, 1024, 0,
     "Connections kept open and logged on while idle (at most `max`)."},
    {"queue_max", GW_CFG_INT, D(pool.queue_max), "256", 0, 1000000, 0,
     "Most requests waiting for a connection (FIFO); more are answered 503 with Retry-After "
     "at once."},
    {"acquire_timeout_ms", GW_CFG_INT, D(pool.acquire_timeout_ms), "5000", 1, 3600000, 0,
     "Longest wait for a free connection; then 503 with Retry-After."},
    {"idle_timeout_ms", GW_CFG_INT, D(pool.idle_timeout_ms), "300000", 1000, 86400000, 0,
     "An idle connection above `min_idle` is closed after this long."},
    {"max_lifetime_ms", GW_CFG_INT, D(pool.max_lifetime_ms), "3600000", 1000, 604800000, 0,
     "A connection is retired (when idle) after this long, whatever its use."},
    {"ping_interval_ms", GW_CFG_INT, D(pool.ping_interval_ms), "30000", 0, 86400000, 0,
     "An idle connection is checked with RFC_PING after this long without traffic, so a dead "
     "connection is found before a request hits it (0 = never)."},
    {"reconnect_min_ms", GW_CFG_INT, D(pool.reconnect_min_ms), "100", 1, 600000, 0,
     "First delay before reconnecting after a failed connect; doubles per failure, with "
     "jitter."},
    {"reconnect_max_ms", GW_CFG_INT, D(pool.reconnect_max_ms), "5000", 1, 3600000, 0,
     "Longest delay between reconnect attempts."},
    {"breaker_threshold", GW_CFG_INT, D(pool.breaker_threshold), "5", 1, 1000, 0,
     "Consecutive failed connects that open the circuit breaker: requests then fail fast "
     "with 503 until `breaker_cooldown_ms` has passed and one probe connection succeeded."},
    {"breaker_cooldown_ms", GW_CFG_INT, D(pool.breaker_cooldown_ms), "5000", 100, 3600000, 0,
     "How long an open circuit breaker stays open before it probes again."},
    {"ready_cache_ms", GW_CFG_INT, D(pool.ready_cache_ms), "2000", 0, 600000, 0,
     "`/readyz` reuses a probe result this long, so probes do not hammer the backend."},
    {"ready_timeout_ms", GW_CFG_INT, D(pool.ready_timeout_ms), "2000", 100, 600000, 0,
     "Time budget of the RFC_PING behind `/readyz`."},
    {"total_max", GW_CFG_INT, D(pool.total_max), "0", 0, 65536, 0,
     "Cap on the sessions of all the destination's backend identities together (its own, "
     "`identities`, pass-through callers); 0 = only the per-identity caps. At the cap, an "
     "identity that needs a session closes the longest-idle one of another identity, or "
     "waits."},
};

static const gw_cfg_decl_t passthrough_decls[] = {
    {"enabled", GW_CFG_BOOL, D(passthrough.enabled), "false", 0, 0, 0,
     "Routes with `identity = \"passthrough\"` log on with the caller's HTTP Basic user and "
     "password (per-user SAP authorization). Refused on a plain-HTTP listener that is not "
     "loopback."},
    {"pool_max", GW_CFG_INT, D(passthrough.pool_max), "2", 1, 1024, 0,
     "Sessions per caller (one pool per user and password)."},
    {"max_identities", GW_CFG_INT, D(passthrough.max_identities), "100", 1, 100000, 0,
     "Caller pools kept at most; beyond it the least recently used idle one is closed, and "
     "with none idle the request is answered 503."},
    {"idle_timeout_ms", GW_CFG_INT, D(passthrough.idle_timeout_ms), "60000", 1000, 86400000, 0,
     "A caller pool without requests this long is closed with its sessions."},
    {"failure_ttl_ms", GW_CFG_INT, D(passthrough.failure_ttl_ms), "30000", 0, 3600000, 0,
     "After the backend refused a caller's logon, the same user and password are answered 401 "
     "from memory this long instead of trying again (retries lock SAP users)."},
};

#define I(field) offsetof(gw_ident_conf_t, field)
static const gw_cfg_decl_t ident_decls[] = {
    {"name", GW_CFG_STR, I(name), NULL, 0, 0, 1,
     "Name that routes (`identity`) refer to; not `passthrough`."},
    {"pool_max", GW_CFG_INT, I(pool_max), "0", 0, 1024, 0,
     "Cap on this identity's sessions; 0 = the destination's `pool.max`."},
};

#define T(field) offsetof(gw_types_conf_t, field)
static const gw_cfg_decl_t types_decls[] = {
    {"char_trim", GW_CFG_BOOL, T(char_trim), "true", 0, 0, 0,
     "CHAR values lose their trailing blanks on output (STRING never does)."},
    {"num_as_string", GW_CFG_BOOL, T(num_as_string), "true", 0, 0, 0,
     "NUM values are strings that keep their leading zeros (false: numbers)."},
    {"date_format", GW_CFG_STR, T(date_format), "iso", 0, 0, 0,
     "`iso` (\"2026-11-23\") or `sap` (\"20261123\"), in and out."},
    {"time_format", GW_CFG_STR, T(time_format), "iso", 0, 0, 0,
     "`iso` (\"13:45:00\") or `sap` (\"134500\"), in and out."},
    {"initial_date_null", GW_CFG_BOOL, T(initial_date_null), "true", 0, 0, 0,
     "The initial date 00000000 is JSON null (both ways)."},
    {"int8_as_string", GW_CFG_BOOL, T(int8_as_string), "true", 0, 0, 0,
     "INT8 values are strings on output (JavaScript loses precision above 2^53)."},
    {"max_depth", GW_CFG_INT, T(max_depth), "16", 1, 64, 0,
     "Deepest nesting of structures and tables accepted in input."},
    {"max_rows", GW_CFG_INT, T(max_rows), "100000", 0, 100000000, 0,
     "Most rows of one table accepted in input."},
};

static const gw_cfg_decl_t rfc_decls[] = {
    {"enabled", GW_CFG_BOOL, C(rfc_endpoint.enabled), "false", 0, 0, 0,
     "Serve `POST /api/v1/rfc/{FUNCTION}`: the body is the parameter set, the answer every "
     "returned parameter."},
    {"destination", GW_CFG_STR, C(rfc_endpoint.destination), NULL, 0, 0, 0,
     "Destination of the generic endpoint (default: the first one)."},
};

static const gw_cfg_decl_t idem_decls[] = {
    {"max_entries", GW_CFG_INT, C(idempotency.max_entries), "10000", 0, 10000000, 0,
     "Most remembered Idempotency-Keys; the oldest finished ones go first (0 = off)."},
    {"max_bytes", GW_CFG_INT, C(idempotency.max_bytes), "67108864", 0, 1073741824, 0,
     "Most memory for remembered answers, in bytes."},
    {"retention_s", GW_CFG_INT, C(idempotency.retention_s), "86400", 1, 2592000, 0,
     "How long an Idempotency-Key and its answer are kept."},
    {"max_response", GW_CFG_INT, C(idempotency.max_response), "1048576", 1024, 67108864, 0,
     "Largest answer remembered; a larger one is not, and a retry calls the backend again."},
};

#define GROUP(p, arr, d)                                                                           \
    {                                                                                              \
        p, arr, GW_ARRAY_SIZE(arr), d                                                              \
    }
static const gw_cfg_group_t g_listen =
    GROUP("listen", listen_decls, "The HTTP front (libmicrohttpd).");
static const gw_cfg_group_t g_log = GROUP("log", log_decls, "Logging to standard error.");
static const gw_cfg_group_t g_startup =
    GROUP("startup", startup_decls, "The start-up summary on standard error.");
static const gw_cfg_group_t g_docs =
    GROUP("docs", docs_decls, "The API explorer page (`GET /docs`, docs/operations.md).");
static const gw_cfg_group_t g_limits = GROUP("limits", limits_decls, "Request limits.");
static const gw_cfg_group_t g_dest =
    GROUP("destinations[]", dest_decls,
          "A backend destination, the analogue of an SM59 destination of type W. The list "
          "`destinations = ( { ... }, ... );` holds one group per destination.");
static const gw_cfg_group_t g_auth =
    GROUP("destinations[].auth", auth_decls, "How the gateway logs on to the destination.");
static const gw_cfg_group_t g_tls = GROUP(
    "destinations[].tls", tls_decls,
    "TLS to the destination (always on, TLS 1.2 and 1.3). `pin_sha256 = [ \"sha256//<base64>\", "
    "… ]` (optional) pins the server's public key as well: the SHA-256 of its "
    "SubjectPublicKeyInfo (DER), curl's `--pinnedpubkey` form, printed by `rfmgw "
    "--pin-sha256 server.pem`. The connection fails unless the server's key is one of "
    "them — also with `verify = false`; list the next key before you rotate. Not with "
    "the nwrfc backend.");
static const gw_cfg_group_t g_pool =
    GROUP("destinations[].pool", pool_decls, "Connections to the destination.");
static const gw_cfg_group_t g_passthrough =
    GROUP("destinations[].passthrough", passthrough_decls,
          "Logon with the caller's own credentials (docs/security.md, backend identities).");
static const gw_cfg_group_t g_ident = GROUP(
    "destinations[].identities[]", ident_decls,
    "Further backend identities of the destination, each with its own pool: `identities = ( { "
    "name = \"sales\"; auth = { … }; callers = [ \"apps:shop\" ]; scopes = [ \"sales\" ]; } );`. "
    "`auth` takes the settings of `destinations[].auth`; `callers` (caller identities, "
    "`method:subject`) and `scopes` select the identity for routes without their own "
    "`identity` (first match in order). Certificate identities are native-only.");

static const gw_cfg_group_t g_types =
    GROUP("types", types_decls,
          "How ABAP values look in JSON (docs/types.md). A route may override any of them in its "
          "own `types` group.");

#define SC(field) offsetof(gw_status_conf_t, field)
static const gw_cfg_decl_t status_decls[] = {
    {"function_not_found", GW_CFG_INT, SC(function_not_found), "502", 400, 599, 0,
     "FU_NOT_FOUND on a mapped route: the mapping names a function the backend lacks, the "
     "gateway's fault. (The generic endpoint answers 404: there the caller chose the name.)"},
    {"abap_exception", GW_CFG_INT, SC(abap_exception), "422", 400, 599, 0,
     "The function raised a classic exception (ABAP_APPLICATION_FAILURE)."},
    {"abap_message", GW_CFG_INT, SC(abap_message), "422", 400, 599, 0,
     "The function ended with MESSAGE type E, A or X (ABAP_RUNTIME_FAILURE with a message)."},
    {"authorization", GW_CFG_INT, SC(authorization), "403", 400, 599, 0,
     "The backend refused the call for lack of authorization (RFC_NO_AUTHORITY)."},
    {"runtime_failure", GW_CFG_INT, SC(runtime_failure), "502", 400, 599, 0,
     "A short dump or system failure in the backend (SYSTEM_FAILURE)."},
    {"communication_failure", GW_CFG_INT, SC(communication_failure), "502", 400, 599, 0,
     "The connection broke during the call (COMMUNICATION_FAILURE)."},
    {"logon_failure", GW_CFG_INT, SC(logon_failure), "502", 400, 599, 0,
     "The gateway's own communication user could not log on."},
    {"timeout", GW_CFG_INT, SC(timeout), "504", 400, 599, 0,
     "No answer within the route's or destination's timeout."},
    {"unreachable", GW_CFG_INT, SC(unreachable), "502", 400, 599, 0,
     "The backend could not be reached (connect, TLS, circuit breaker)."},
};
static const gw_cfg_group_t g_status =
    GROUP("status", status_decls,
          "The HTTP status of each kind of backend error (docs/errors.md). A route may override "
          "any of them in its own `status` group.");

int gw_config_status_for(const gw_status_conf_t *s, int err)
{
    switch (err) {
    case GW_EFUNCNOTFOUND:
        return s->function_not_found;
    case GW_EABAPEXC:
        return s->abap_exception;
    case GW_EABAPMSG:
        return s->abap_message;
    case GW_EAUTHZ:
        return s->authorization;
    case GW_ERUNTIME:
        return s->runtime_failure;
    case GW_ECOMM:
        return s->communication_failure;
    case GW_ELOGON:
        return s->logon_failure;
    case GW_ETIMEOUT:
        return s->timeout;
    case GW_EUNREACHABLE:
    case GW_ETLS:
        return s->unreachable;
    default:
        return 0;
    }
}

static const gw_cfg_group_t g_rfc =
    GROUP("rfc_endpoint", rfc_decls,
          "The generic, opt-in endpoint for curl-based integration. `allow = [ \"STFC_*\", "
          "\"RFC_PING\" ];` lists the functions it may call: exact names, or prefixes ending in "
          "`*`. Off by default; nothing is callable unless listed.");

static const gw_cfg_group_t g_idem =
    GROUP("idempotency", idem_decls,
          "The store behind the `Idempotency-Key` header of non-read-only routes and batches "
          "(docs/mappings.md).");

static const gw_cfg_group_t *const all_groups[] = {
    &g_listen, &g_log,  &g_startup, &g_docs, &g_limits, &g_types,       &g_status, &g_rfc,
    &g_idem,   &g_dest, &g_auth,    &g_tls,  &g_pool,   &g_passthrough, &g_ident,  &gw__cfg_nwrfc};

int gw_config_rfc_allowed(const gw_config_t *c, const char *function)
{
    for (size_t i = 0; c->rfc_endpoint.enabled && i < c->rfc_endpoint.nallow; i++) {
        const char *a = c->rfc_endpoint.allow[i];
        size_t n = strlen(a);
        if (n && a[n - 1] == '*' ? strncmp(a, function, n - 1) == 0 : strcmp(a, function) == 0)
            return 1;
    }
    return 0;
}

/*
 * Reads override group `g` (may be NULL) of `grp` into `out`, which the
 * caller filled with the base values. Returns 0, or 1 when `g` is no group.
 */
static int load_overrides(gw_arena_t *arena, const config_setting_t *g, const gw_cfg_group_t *grp,
                          void *out, gw_cfg_errors_t *e)
{
    if (g == NULL)
        return 0;
    if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
        gw_cfg_error(e, g, "'%s' must be a group { ... }", grp->path);
        return 1;
    }
    for (int i = 0; i < config_setting_length(g); i++) {
        const config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
        const gw_cfg_decl_t *d = find_decl(grp, config_setting_name(s));
        if (d == NULL)
            gw_cfg_error(e, s, "unknown setting '%s' in %s", config_setting_name(s), grp->path);
        else
            set_value(arena, d, out, NULL, s, e);
    }
    return 0;
}

int gw_config_load_types(gw_arena_t *arena, const config_setting_t *g, const gw_types_conf_t *base,
                         gw_types_conf_t *out, gw_cfg_errors_t *e)
{
    int before = e->count;
    *out = *base;
    if (load_overrides(arena, g, &g_types, out, e) || g == NULL)
        return e->count - before;
    static const char *const names[] = {"date_format", "time_format"};
    const char *vals[] = {out->date_format, out->time_format};
    for (int k = 0; k < 2; k++)
        if (strcmp(vals[k], "iso") != 0 && strcmp(vals[k], "sap") != 0)
            gw_cfg_error(e, config_setting_get_member(g, names[k]),
                         "types.%s must be \"iso\" or \"sap\", not '%s'", names[k], vals[k]);
    return e->count - before;
}

int gw_config_load_status(const config_setting_t *g, const gw_status_conf_t *base,
                          gw_status_conf_t *out, gw_cfg_errors_t *e)
{
    int before = e->count;
    *out = *base;
    load_overrides(NULL, g, &g_status, out, e);
    return e->count - before;
}

void gw_config_print_reference(FILE *f)
{
    fprintf(f, "### top level\n\n| setting | type | default | description |\n|---|---|---|---|\n");
    fprintf(f, "| `mappings` | path or list of paths | — | Mapping files with the routes "
               "(docs/mappings.md). Relative paths resolve against the config file's "
               "directory. |\n\n");
    gw_cfg_print_reference(f, all_groups, GW_ARRAY_SIZE(all_groups));
    gw__config_print_security_reference(f);
}

/* The logon of `d` (its `auth` group `as`): one complete method, secrets read. */
static void check_auth(gw_config_t *c, gw_dest_conf_t *d, const config_setting_t *as,
                       gw_cfg_errors_t *e)
{
    int nwrfc = d->backend && strcmp(d->backend, "nwrfc") == 0;
    if (strcmp(d->auth.method, "password") == 0) {
        if (d->auth.user == NULL || !d->auth.user[0])
            gw_cfg_error(e, as, "auth method password needs 'user'");
        if ((d->auth.password != NULL) == (d->auth.password_file != NULL))
            gw_cfg_error(e, as,
                         "auth method password needs exactly one of 'password' and "
                         "'password_file'");
        else if (d->auth.password_file)
            d->auth.secret = gw_cfg_secret_file(&c->arena, d->auth.password_file,
                                                config_setting_get_member(as, "password_file"), e);
        else
            d->auth.secret = gw_cfg_secret(&c->arena, d->auth.password,
                                           config_setting_get_member(as, "password"), e);
        if (d->auth.user && strchr(d->auth.user, ':'))
            gw_cfg_error(e, as, "user must not contain ':'");
    } else if (strcmp(d->auth.method, "certificate") == 0 && nwrfc) {
        /* the PSE holds the identity: checked by gw__config_check_nwrfc */
    } else if (strcmp(d->auth.method, "certificate") == 0 && d->auth.pkcs12) {
        check_pkcs12(c, d, as, e);
    } else if (strcmp(d->auth.method, "certificate") == 0) {
        if (d->auth.cert == NULL || d->auth.key == NULL)
            gw_cfg_error(e, as, "auth method certificate needs 'cert' and 'key', or 'pkcs12'");
        if (d->auth.password || d->auth.password_file || d->auth.user)
            gw_cfg_error(e, as, "auth method certificate takes no user or password");
        struct stat st;
        if (d->auth.cert && stat(d->auth.cert, &st) != 0)
            gw_cfg_error(e, config_setting_get_member(as, "cert"), "cannot read cert %s: %s",
                         d->auth.cert, strerror(errno));
        if (d->auth.key && stat(d->auth.key, &st) != 0)
            gw_cfg_error(e, config_setting_get_member(as, "key"), "cannot read key %s: %s",
                         d->auth.key, strerror(errno));
        else if (d->auth.key)
            gw_cfg_check_private(d->auth.key, "private key");
    } else {
        gw_cfg_error(e, config_setting_get_member(as, "method"),
                     "auth method must be \"password\" or \"certificate\", not '%s'",
                     d->auth.method);
    }
}

static void check_dest(gw_config_t *c, gw_dest_conf_t *d, const config_setting_t *s,
                       gw_cfg_errors_t *e)
{
    if (d->host) {
        if (strncmp(d->host, "https://", 8) == 0)
            d->host += 8;
        size_t n = strlen(d->host);
        while (n && d->host[n - 1] == '/')
            d->host[--n] = '\0';
        if (strstr(d->host, "://"))
            gw_cfg_error(e, config_setting_get_member(s, "host"),
                         "destination '%s': host must be an https API host name; '%s' is not "
                         "(plain http:// and ws:// are not allowed)",
                         d->name ? d->name : "?", d->host);
        else if (n == 0 || strchr(d->host, '/') || strchr(d->host, ':'))
            gw_cfg_error(e, config_setting_get_member(s, "host"),
                         "destination '%s': host must be a bare host name (put the port in "
                         "'port' and the path in 'path')",
                         d->name ? d->name : "?");
    }
    int nwrfc = d->backend && strcmp(d->backend, "nwrfc") == 0;
    if (d->backend && !nwrfc && strcmp(d->backend, "native") != 0)
        gw_cfg_error(e, config_setting_get_member(s, "backend"),
                     "destination '%s': backend must be \"native\" or \"nwrfc\", not '%s'",
                     d->name ? d->name : "?", d->backend);
    gw__config_check_nwrfc(d, s, e);
    if (d->pool.min_idle > d->pool.max)
        gw_cfg_error(e, config_setting_get_member(s, "pool"),
                     "pool.min_idle (%d) must not exceed pool.max (%d)", d->pool.min_idle,
                     d->pool.max);
    if (d->path && d->path[0] != '/')
        gw_cfg_error(e, config_setting_get_member(s, "path"), "path must start with '/'");
    if (d->client && strcmp(d->client, "by_hostname") != 0 &&
        !(strlen(d->client) == 3 && strspn(d->client, "0123456789") == 3))
        gw_cfg_error(e, config_setting_get_member(s, "client"),
                     "client must be \"by_hostname\" or three digits, not '%s'", d->client);
    const config_setting_t *as = config_setting_get_member(s, "auth");
    if (as == NULL) {
        gw_cfg_error(e, s, "destination '%s' has no auth group", d->name ? d->name : "?");
        return;
    }
    check_auth(c, d, as, e);
    struct stat st;
    if (d->tls.ca_file && stat(d->tls.ca_file, &st) != 0)
        gw_cfg_error(e, config_setting_get_member(config_setting_get_member(s, "tls"), "ca_file"),
                     "cannot read ca_file %s: %s", d->tls.ca_file, strerror(errno));
    if (nwrfc && d->tls.npins)
        gw_cfg_error(e, config_setting_get_member(s, "tls"),
                     "destination '%s': tls.pin_sha256 is not supported by the nwrfc backend "
                     "(the SAP NW RFC SDK checks the server with the PSE)",
                     d->name ? d->name : "?");
    if (!nwrfc && d->tls.verify && d->tls.ca_file == NULL)
        gw_cfg_error(e, s, "destination '%s': tls.ca_file is required while tls.verify is true",
                     d->name ? d->name : "?");
}

/* auth.pkcs12: readable, the password right, a certificate with its key inside. */
static void check_pkcs12(gw_config_t *c, gw_dest_conf_t *d, const config_setting_t *as,
                         gw_cfg_errors_t *e)
{
    const config_setting_t *ps = config_setting_get_member(as, "pkcs12");
    if (d->auth.cert || d->auth.key)
        gw_cfg_error(e, ps, "auth.pkcs12 replaces 'cert' and 'key': give one or the other");
    if (d->auth.password || d->auth.password_file || d->auth.user)
        gw_cfg_error(e, as, "auth method certificate takes no user or password");
    if (d->auth.pkcs12_password && d->auth.pkcs12_password_file)
        gw_cfg_error(e, as, "give at most one of 'pkcs12_password' and 'pkcs12_password_file'");
    else if (d->auth.pkcs12_password_file)
        d->auth.pkcs12_secret =
            gw_cfg_secret_file(&c->arena, d->auth.pkcs12_password_file,
                               config_setting_get_member(as, "pkcs12_password_file"), e);
    else if (d->auth.pkcs12_password)
        d->auth.pkcs12_secret = gw_cfg_secret(&c->arena, d->auth.pkcs12_password,
                                              config_setting_get_member(as, "pkcs12_password"), e);
    gw_tlsid_t id;
    char why[300];
    if (gw_tlsid_pkcs12(d->auth.pkcs12, d->auth.pkcs12_secret, &id, why, sizeof(why)) != 0) {
        gw_cfg_error(e, ps, "auth.pkcs12: %s", why);
        return;
    }
    gw_tlsid_free(&id);
    gw_cfg_check_private(d->auth.pkcs12, "PKCS#12 file");
}

static const char *const dest_subgroups[] = {"auth",        "tls",        "pool", "nwrfc",
                                             "passthrough", "identities", NULL};
static const char *const top_known[] = {"listen",       "log",          "startup",     "docs",
                                        "limits",       "types",        "status",      "mappings",
                                        "destinations", "rfc_endpoint", "idempotency", "callers",
                                        "cors",         "rate_limit",   "admin",       NULL};

char **gw_cfg_strings(gw_arena_t *a, const config_setting_t *s, const char *what, size_t *n,
                      gw_cfg_errors_t *e)
{
    *n = 0;
    if (s == NULL)
        return NULL;
    if (config_setting_type(s) != CONFIG_TYPE_ARRAY && config_setting_type(s) != CONFIG_TYPE_LIST) {
        gw_cfg_error(e, s, "%s must be a list of strings [ \"…\", … ]", what);
        return NULL;
    }
    int len = config_setting_length(s);
    char **v = gw_arena_calloc(a, (size_t)len + 1, sizeof(*v));
    for (int i = 0; v && i < len; i++) {
        const char *x = config_setting_get_string_elem(s, i);
        if (x == NULL || x[0] == '\0')
            gw_cfg_error(e, config_setting_get_elem(s, (unsigned)i),
                         "%s entries must be non-empty strings", what);
        else
            v[(*n)++] = gw_arena_strndup(a, x, strlen(x));
    }
    return v;
}

static const char *const ident_also[] = {"auth", "callers", "scopes", NULL};

/*
 * destinations[].identities: each a copy of the destination with its own
 * auth (same settings and checks as the destination's) and pool cap.
 */
static void load_identities(gw_config_t *c, gw_dest_conf_t *d, const config_setting_t *l,
                            gw_cfg_errors_t *e)
{
    int nwrfc = d->backend && strcmp(d->backend, "nwrfc") == 0;
    if (d->passthrough.enabled && c->listen.tls_cert == NULL &&
        !gw_cfg_is_loopback(c->listen.address))
        gw_cfg_error(e, l,
                     "destination '%s': passthrough sends the callers' passwords on to the "
                     "backend, so it needs HTTPS (listen.tls_cert) on a listener that is not "
                     "loopback (%s)",
                     d->name ? d->name : "?", c->listen.address);
    if (l == NULL)
        return;
    if (config_setting_type(l) != CONFIG_TYPE_LIST) {
        gw_cfg_error(e, l, "'identities' must be a list ( { ... }, ... )");
        return;
    }
    int n = config_setting_length(l);
    d->identities = gw_arena_calloc(&c->arena, (size_t)n + 1, sizeof(*d->identities));
    for (int i = 0; d->identities && i < n; i++) {
        const config_setting_t *s = config_setting_get_elem(l, (unsigned)i);
        gw_ident_conf_t *id = &d->identities[d->nidentities];
        if (gw_cfg_load_group(&c->arena, s, &g_ident, id, c->dir, ident_also, e))
            continue;
        for (size_t k = 0; k < d->nidentities; k++)
            if (strcmp(d->identities[k].name, id->name) == 0)
                gw_cfg_error(e, s, "destination '%s': duplicate identity '%s'", d->name, id->name);
        if (strcmp(id->name, "passthrough") == 0 || strcmp(id->name, "default") == 0)
            gw_cfg_error(e, config_setting_get_member(s, "name"), "identity name '%s' is reserved",
                         id->name);
        id->callers = gw_cfg_strings(&c->arena, config_setting_get_member(s, "callers"),
                                     "identities[].callers", &id->ncallers, e);
        id->scopes = gw_cfg_strings(&c->arena, config_setting_get_member(s, "scopes"),
                                    "identities[].scopes", &id->nscopes, e);
        id->dest = *d;
        id->dest.identities = NULL;
        id->dest.nidentities = 0;
        memset(&id->dest.auth, 0, sizeof(id->dest.auth));
        const config_setting_t *as = config_setting_get_member(s, "auth");
        if (as == NULL) {
            gw_cfg_error(e, s, "identity '%s' has no auth group", id->name);
            continue;
        }
        gw_cfg_load_group(&c->arena, as, &g_auth, &id->dest, c->dir, NULL, e);
        if (nwrfc && strcmp(id->dest.auth.method, "certificate") == 0)
            gw_cfg_error(e, config_setting_get_member(as, "method"),
                         "identity '%s': certificate identities are not supported by the nwrfc "
                         "backend (its PSE holds the one client identity of the destination); "
                         "use a destination of its own",
                         id->name);
        else
            check_auth(c, &id->dest, as, e);
        id->dest.pool.max = id->pool_max ? id->pool_max : d->pool.max;
        id->dest.pool.min_idle = 0;
        d->nidentities++;
    }
}

const gw_ident_conf_t *gw_config_identity(const gw_dest_conf_t *d, const char *name)
{
    for (size_t i = 0; i < d->nidentities; i++)
        if (strcmp(d->identities[i].name, name) == 0)
            return &d->identities[i];
    return NULL;
}

static void load_mappings(gw_config_t *c, const config_setting_t *m, gw_cfg_errors_t *e)
{
    if (m == NULL)
        return;
    int type = config_setting_type(m);
    int n = type == CONFIG_TYPE_STRING                                ? 1
            : (type == CONFIG_TYPE_ARRAY || type == CONFIG_TYPE_LIST) ? config_setting_length(m)
                                                                      : -1;
    if (n < 0) {
        gw_cfg_error(e, m, "'mappings' must be a path or a list of paths");
        return;
    }
    c->mappings = gw_arena_calloc(&c->arena, (size_t)n + 1, sizeof(char *));
    for (int i = 0; i < n; i++) {
        const config_setting_t *s =
            type == CONFIG_TYPE_STRING ? m : config_setting_get_elem(m, (unsigned)i);
        if (config_setting_type(s) != CONFIG_TYPE_STRING) {
            gw_cfg_error(e, s, "'mappings' entries must be strings");
            continue;
        }
        c->mappings[c->nmappings++] = resolve_path(&c->arena, c->dir, config_setting_get_string(s));
    }
}

int gw_config_load(const char *path, gw_config_t **out, gw_cfg_errors_t *e)
{
    config_t cfg;
    int ret = GW_ECONFIG;
    int before = e->count;
    gw_config_t *c = calloc(1, sizeof(*c));
    *out = NULL;
    if (c == NULL)
        return GW_ENOMEM;
    gw_arena_init(&c->arena, 0);
    e->file = path;
    if (gw_cfg_read_file(&cfg, path, e) != 0)
        goto cleanup;
    c->file = gw_arena_strndup(&c->arena, path, strlen(path));
    c->dir = gw_cfg_dirname(&c->arena, path);
    const config_setting_t *root = config_root_setting(&cfg);
    for (int i = 0; i < config_setting_length(root); i++) {
        const config_setting_t *s = config_setting_get_elem(root, (unsigned)i);
        int known = 0;
        for (const char *const *k = top_known; *k; k++)
            known |= strcmp(*k, config_setting_name(s)) == 0;
        if (!known)
            gw_cfg_error(e, s, "unknown setting '%s'", config_setting_name(s));
    }
    gw_cfg_load_group(&c->arena, config_lookup(&cfg, "listen"), &g_listen, c, c->dir, NULL, e);
    if (c->listen.sched_slice_us > 0 && c->listen.sched_slice_us < 100)
        gw_cfg_error(e, config_lookup(&cfg, "listen.sched_slice_us"),
                     "listen.sched_slice_us must be 0 or 100–100000 (the kernel's range)");
    gw_cfg_load_group(&c->arena, config_lookup(&cfg, "log"), &g_log, c, c->dir, NULL, e);
    gw_cfg_load_group(&c->arena, config_lookup(&cfg, "startup"), &g_startup, c, c->dir, NULL, e);
    gw_cfg_load_group(&c->arena, config_lookup(&cfg, "docs"), &g_docs, c, c->dir, NULL, e);
    gw_cfg_load_group(&c->arena, config_lookup(&cfg, "limits"), &g_limits, c, c->dir, NULL, e);
    gw_types_conf_t defaults;
    gw_cfg_load_group(&c->arena, NULL, &g_types, &defaults, NULL, NULL, e);
    gw_config_load_types(&c->arena, config_lookup(&cfg, "types"), &defaults, &c->types, e);
    gw_status_conf_t status_defaults;
    gw_cfg_load_group(&c->arena, NULL, &g_status, &status_defaults, NULL, NULL, e);
    gw_config_load_status(config_lookup(&cfg, "status"), &status_defaults, &c->status, e);
    if (gw_log_parse_level(c->log.level) < 0)
        gw_cfg_error(e, config_lookup(&cfg, "log.level"),
                     "log.level must be error, warn, info or debug");
    if (gw_log_parse_format(c->log.format) < 0)
        gw_cfg_error(e, config_lookup(&cfg, "log.format"), "log.format must be text or json");
    load_mappings(c, config_lookup(&cfg, "mappings"), e);
    gw_cfg_load_group(&c->arena, config_lookup(&cfg, "idempotency"), &g_idem, c, c->dir, NULL, e);
    static const char *const rfc_also[] = {"allow", NULL};
    const config_setting_t *rs = config_lookup(&cfg, "rfc_endpoint");
    gw_cfg_load_group(&c->arena, rs, &g_rfc, c, c->dir, rfc_also, e);
    const config_setting_t *al = rs ? config_setting_get_member(rs, "allow") : NULL;
    if (al && config_setting_type(al) != CONFIG_TYPE_ARRAY &&
        config_setting_type(al) != CONFIG_TYPE_LIST)
        gw_cfg_error(e, al, "rfc_endpoint.allow must be a list of function names");
    else if (al) {
        int n = config_setting_length(al);
        c->rfc_endpoint.allow = gw_arena_calloc(&c->arena, (size_t)n + 1, sizeof(char *));
        for (int i = 0; c->rfc_endpoint.allow && i < n; i++) {
            const char *v = config_setting_get_string_elem(al, i);
            if (v == NULL || !v[0])
                gw_cfg_error(e, config_setting_get_elem(al, (unsigned)i),
                             "rfc_endpoint.allow entries must be non-empty strings");
            else
                c->rfc_endpoint.allow[c->rfc_endpoint.nallow++] =
                    gw_arena_strndup(&c->arena, v, strlen(v));
        }
    }

    const config_setting_t *ds = config_lookup(&cfg, "destinations");
    if (ds && config_setting_type(ds) != CONFIG_TYPE_LIST) {
        gw_cfg_error(e, ds, "'destinations' must be a list ( { ... }, ... )");
        ds = NULL;
    }
    int nd = ds ? config_setting_length(ds) : 0;
    c->dests = gw_arena_calloc(&c->arena, (size_t)nd + 1, sizeof(*c->dests));
    for (int i = 0; i < nd; i++) {
        const config_setting_t *s = config_setting_get_elem(ds, (unsigned)i);
        gw_dest_conf_t *d = &c->dests[c->ndests];
        /* the table offsets are relative to gw_dest_conf_t */
        if (gw_cfg_load_group(&c->arena, s, &g_dest, d, c->dir, dest_subgroups, e))
            continue;
        const char *const *sub = dest_subgroups;
        const gw_cfg_group_t *subg[] = {&g_auth, &g_tls, &g_pool, &gw__cfg_nwrfc, &g_passthrough};
        for (size_t k = 0; k < GW_ARRAY_SIZE(subg); k++)
            gw_cfg_load_group(&c->arena, config_setting_get_member(s, sub[k]), subg[k], d, c->dir,
                              subg[k] == &g_tls ? tls_also : NULL, e);
        load_pins(&c->arena, d, config_setting_get_member(s, "tls"), e);
        for (size_t k = 0; k < c->ndests; k++)
            if (strcmp(c->dests[k].name, d->name) == 0)
                gw_cfg_error(e, s, "duplicate destination name '%s'", d->name);
        check_dest(c, d, s, e);
        load_identities(c, d, config_setting_get_member(s, "identities"), e);
        if (!d->tls.verify)
            GW_LOGW("config",
                    "destination '%s': TLS verification is OFF (tls.verify = false); "
                    "this is insecure",
                    d->name);
        c->ndests++;
    }
    if (c->rfc_endpoint.enabled) {
        if (c->rfc_endpoint.destination == NULL && c->ndests)
            c->rfc_endpoint.destination = c->dests[0].name;
        if (c->rfc_endpoint.destination && !gw_config_dest(c, c->rfc_endpoint.destination))
            gw_cfg_error(e, config_lookup(&cfg, "rfc_endpoint.destination"),
                         "rfc_endpoint.destination '%s' is not a destination",
                         c->rfc_endpoint.destination);
        if (c->rfc_endpoint.nallow == 0)
            gw_cfg_error(e, rs, "rfc_endpoint is enabled but its allow list is empty");
    }
    gw__config_load_security(c, &cfg, e);
    if (e->count == before)
        ret = 0;
    config_destroy(&cfg);
cleanup:
    if (ret == 0)
        *out = c;
    else
        gw_config_free(c);
    return ret;
}

void gw_config_free(gw_config_t *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->ndests; i++) {
        if (c->dests[i].auth.secret)
            explicit_bzero(c->dests[i].auth.secret, strlen(c->dests[i].auth.secret));
        for (size_t k = 0; k < c->dests[i].nidentities; k++) {
            char *sec = c->dests[i].identities[k].dest.auth.secret;
            if (sec)
                explicit_bzero(sec, strlen(sec));
        }
    }
    for (size_t i = 0; i < c->callers.nmethods; i++)
        if (c->callers.methods[i].secret_value)
            explicit_bzero(c->callers.methods[i].secret_value,
                           strlen(c->callers.methods[i].secret_value));
    gw_arena_free(&c->arena);
    free(c);
}

const gw_dest_conf_t *gw_config_dest(const gw_config_t *c, const char *name)
{
    for (size_t i = 0; i < c->ndests; i++)
        if (strcmp(c->dests[i].name, name) == 0)
            return &c->dests[i];
    return NULL;
}
