/*
 * config: libconfig files → immutable, validated config structs.
 *
 * Every setting is declared once in a table (name, kind, default, range,
 * doc). The loader walks a libconfig group against its table: unknown
 * names, wrong types and out-of-range values are errors with `file:line`;
 * missing settings take their defaults. The same tables print the
 * configuration reference (`rfmgw --config-reference`), which
 * docs/configuration.md embeds and a test compares.
 *
 * A loaded gw_config_t owns one arena with every string in it; it is
 * never modified after loading, so any thread may read it.
 */
#ifndef GW_CONFIG_H
#define GW_CONFIG_H

#include "base/base.h"

#include <libconfig.h>
#include <stdio.h>

/** Kinds of settings. */
typedef enum {
    GW_CFG_STR,  /* string */
    GW_CFG_PATH, /* string; a relative path resolves against the directory of its file */
    GW_CFG_INT,  /* integer within [min, max] */
    GW_CFG_BOOL, /* true / false */
} gw_cfg_kind_t;

/** One setting of a group: where it lands in the struct and how it is checked. */
typedef struct {
    const char *name;
    gw_cfg_kind_t kind;
    size_t offset;   /* into the struct the group fills; char * for STR/PATH, int for INT/BOOL */
    const char *def; /* default as text; NULL = no default (STR/PATH stay NULL) */
    long long min, max;
    int required;
    const char *doc; /* one line for the reference */
} gw_cfg_decl_t;

/** A group of settings: its path as written in the reference and its table. */
typedef struct {
    const char *path; /* e.g. "destinations[].tls" */
    const gw_cfg_decl_t *decls;
    size_t ndecls;
    const char *doc;
} gw_cfg_group_t;

/** Collects errors as "file:line: message" lines while loading. */
typedef struct {
    gw_buf_t text;
    int count;
    const char *file; /* file being loaded (for errors without a setting) */
} gw_cfg_errors_t;

/** Records an error at `s` (which may be NULL). */
void gw_cfg_error(gw_cfg_errors_t *e, const config_setting_t *s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/**
 * Fills `out` from the libconfig group `g` (may be NULL: defaults only)
 * according to `grp`. Strings are copied into `arena`; relative PATH values
 * resolve against `dir`. Unknown names in `g` whose name is not in
 * `also_known` (NULL-terminated list, may be NULL) are errors. Returns the
 * number of errors added to `e`.
 */
int gw_cfg_load_group(gw_arena_t *arena, const config_setting_t *g, const gw_cfg_group_t *grp,
                      void *out, const char *dir, const char *const *also_known,
                      gw_cfg_errors_t *e);

/**
 * Reads a libconfig file, checking it exists first (libconfig reports a
 * missing file without its name). On failure records the error and returns
 * GW_ECONFIG (`cfg` is then already destroyed); on success the caller destroys `cfg`.
 */
int gw_cfg_read_file(config_t *cfg, const char *path, gw_cfg_errors_t *e);

/** Writes the reference of `groups` as Markdown tables. */
void gw_cfg_print_reference(FILE *f, const gw_cfg_group_t *const *groups, size_t n);

/** The directory part of `path` ("." when it has none), in `arena`. */
char *gw_cfg_dirname(gw_arena_t *arena, const char *path);

struct gw_ident_conf;

/** A backend destination, shaped like an SM59 destination of type W. */
typedef struct gw_dest_conf {
    char *name;
    char *backend;  /* "native" or "nwrfc" */
    char *host;     /* API host name (https:// stripped); Host header, SNI, cert name */
    int port;       /* default 443 */
    char *address;  /* TCP target; NULL = host */
    char *path;     /* WebSocket upgrade path */
    char *client;   /* "by_hostname" or an explicit three-digit client */
    char *language; /* logon language */
    int connect_timeout_ms;
    int call_timeout_ms;
    struct {
        char *method; /* "password" or "certificate" */
        char *user;
        int alias_user;
        char *password;      /* inline secret (discouraged) */
        char *password_file; /* file holding the password (first line) */
        char *cert;
        char *key;
        char *secret;               /* the password actually used: from password or password_file */
        char *pkcs12;               /* client identity as PKCS#12 (instead of cert + key) */
        char *pkcs12_password;      /* inline (or ${ENV}) */
        char *pkcs12_password_file; /* file holding it (first line) */
        char *pkcs12_secret;        /* the PKCS#12 password actually used; NULL = none */
    } auth;
    struct {
        char *ca_file;
        int verify;
        uint8_t (*pins)[32]; /* tls.pin_sha256: SHA-256 of accepted SubjectPublicKeyInfo (DER) */
        size_t npins;
    } tls;
    struct {
        int max;
        int min_idle;
        int queue_max;
        int acquire_timeout_ms;
        int idle_timeout_ms;
        int max_lifetime_ms;
        int ping_interval_ms;
        int reconnect_min_ms;
        int reconnect_max_ms;
        int breaker_threshold;
        int breaker_cooldown_ms;
        int ready_cache_ms;
        int ready_timeout_ms;
        int total_max; /* sessions of all the destination's identities together */
    } pool;
    /* further backend identities (docs/security.md); each has its own pool */
    struct gw_ident_conf *identities;
    size_t nidentities;
    struct {
        int enabled;         /* routes may log on with the caller's Basic credentials */
        int pool_max;        /* sessions per caller identity */
        int max_identities;  /* caller pools kept; the least recently used idle one goes first */
        int idle_timeout_ms; /* a caller pool without calls this long is closed */
        int failure_ttl_ms;  /* a refused logon is answered from memory this long */
    } passthrough;
    int max_message;
    int max_result;
    int metadata_ttl_s;
    struct {
        char *pse;          /* TLS_CLIENT_PSE */
        char *sapcryptolib; /* TLS_SAPCRYPTOLIB */
        char *proxy_host;   /* PROXY_HOST */
        int proxy_port;     /* PROXY_PORT; 0 = none */
        int threads;        /* worker threads for the SDK's blocking calls */
    } nwrfc;                /* backend "nwrfc" (the SAP NW RFC SDK) */
} gw_dest_conf_t;

/**
 * A named backend identity of a destination (`destinations[].identities`):
 * its logon, its own pool's cap, and the callers it is chosen for.
 */
typedef struct gw_ident_conf {
    char *name;
    int pool_max;   /* 0 = the destination's pool.max */
    char **callers; /* caller identities ("method:subject") that select it */
    size_t ncallers;
    char **scopes; /* a caller holding one of these selects it */
    size_t nscopes;
    /* the destination as this identity sees it: its auth, pool.max = pool_max, min_idle 0 */
    gw_dest_conf_t dest;
} gw_ident_conf_t;

/** The identity called `name` of destination `d`, or NULL. */
const gw_ident_conf_t *gw_config_identity(const gw_dest_conf_t *d, const char *name);

/** JSON mapping options (docs/types.md); the codec's options in configuration form. */
typedef struct {
    int char_trim;
    int num_as_string;
    char *date_format; /* "iso" or "sap" */
    char *time_format;
    int initial_date_null;
    int int8_as_string;
    int max_depth;
    int max_rows;
} gw_types_conf_t;

/** HTTP statuses of backend errors (docs/errors.md); global `status`, routes may override. */
typedef struct {
    int function_not_found;
    int abap_exception;
    int abap_message;
    int authorization;
    int runtime_failure;
    int communication_failure;
    int logon_failure;
    int timeout;
    int unreachable;
} gw_status_conf_t;

/** Reads a `status = { ... }` group `g` (may be NULL) over `base`, like gw_config_load_types. */
int gw_config_load_status(const config_setting_t *g, const gw_status_conf_t *base,
                          gw_status_conf_t *out, gw_cfg_errors_t *e);
/** The configured HTTP status of error `err` (GW_E*), or 0 when the error table's applies. */
int gw_config_status_for(const gw_status_conf_t *s, int err);

/**
 * Reads a `types = { ... }` group `g` (may be NULL) over `base`: settings
 * present in `g` replace those of `base`, the rest are kept. Returns the
 * number of errors added to `e`.
 */
int gw_config_load_types(gw_arena_t *arena, const config_setting_t *g, const gw_types_conf_t *base,
                         gw_types_conf_t *out, gw_cfg_errors_t *e);

/** One way callers authenticate (`callers.methods[]`, docs/security.md). */
typedef struct {
    char *name;
    char *type;          /* "api_key", "basic", "jwt" or "none" */
    char *file;          /* api_key: the key file; basic: the user file */
    char *header;        /* api_key: the request header carrying the key */
    char *realm;         /* basic, jwt: the realm of WWW-Authenticate */
    int cache_ttl_s;     /* basic: verified credentials are remembered this long */
    int cache_max;       /* basic: most remembered credentials */
    char *algorithm;     /* jwt: HS256, RS256 or ES256 */
    char *key_file;      /* jwt: PEM public key or certificate (RS256, ES256) */
    char *jwks_file;     /* jwt: JWKS file */
    char *secret;        /* jwt HS256: the secret inline or "${ENV}" */
    char *secret_file;   /* jwt HS256: file whose first line is the secret */
    char *issuer;        /* jwt: required `iss`, NULL = not checked */
    char *audience;      /* jwt: required `aud`, NULL = not checked */
    int leeway_s;        /* jwt: clock skew allowed on exp/nbf */
    int require_exp;     /* jwt: a token without `exp` is refused */
    int max_token;       /* jwt: longest token in bytes */
    char *scope_claim;   /* jwt: claim with the scopes (space-separated string or array) */
    char *subject_claim; /* jwt: claim naming the caller */
    char *secret_value;  /* resolved HS256 secret (from secret, ${ENV} or secret_file) */
} gw_caller_method_t;

/** Caller authentication, CORS and rate limits (docs/security.md). */
typedef struct {
    int present;                 /* a `callers` group was written */
    gw_caller_method_t *methods; /* callers.methods */
    size_t nmethods;
    char **defaults; /* method names of routes without their own `auth` */
    size_t ndefaults;
    char **rfc_scopes; /* scopes the generic endpoint requires */
    size_t nrfc_scopes;
    int allow_none_on_public_listener;
    int public_metrics;
    int public_openapi;
} gw_callers_conf_t;

/** CORS for browser apps. */
typedef struct {
    int enabled;
    char **origins; /* exact origins, or "*" */
    size_t norigins;
    char *methods;
    char *headers;
    char *expose_headers;
    int credentials;
    int max_age_s;
} gw_cors_conf_t;

/** Token buckets per caller and per route. */
typedef struct {
    int caller_rate;  /* requests per second per caller identity; 0 = off */
    int caller_burst; /* bucket size */
    int route_rate;   /* requests per second per route; 0 = off */
    int route_burst;
    int max_callers; /* most caller buckets kept (least recently used go first) */
} gw_ratelimit_conf_t;

/**
 * Resolves a secret setting: "${NAME}" is the environment variable NAME
 * (an error when unset or empty), anything else is taken as written.
 * Returns the value in `arena`, or NULL after recording an error at `s`.
 */
char *gw_cfg_secret(gw_arena_t *arena, const char *value, const config_setting_t *s,
                    gw_cfg_errors_t *e);
/**
 * Reads the first line of a secret file into `arena`; warns when the file
 * can be read by everyone. NULL after recording an error at `s`.
 */
char *gw_cfg_secret_file(gw_arena_t *arena, const char *path, const config_setting_t *s,
                         gw_cfg_errors_t *e);
/**
 * A list of non-empty strings `s` (NULL: none) copied into `a`; `what`
 * names it in errors. NULL with an error when it is not such a list.
 */
char **gw_cfg_strings(gw_arena_t *a, const config_setting_t *s, const char *what, size_t *n,
                      gw_cfg_errors_t *e);
/** 1 when the listener address `address` is a loopback one (127.x.y.z, ::1). */
int gw_cfg_is_loopback(const char *address);
/** Warns (log) when `path` is readable by other users than its owner and group. */
void gw_cfg_check_private(const char *path, const char *what);

/** The whole gateway configuration. */
typedef struct {
    gw_arena_t arena;
    char *file;
    char *dir;
    struct {
        char *address;
        int port;
        int threads;
        int convert_threads;
        int max_body;
        int connection_limit;
        int per_ip_connection_limit; /* 0 = none */
        int connection_memory;
        int timeout_s;
        int drain_timeout_ms;
        char *tls_cert;     /* HTTPS: certificate chain (PEM); NULL = plain HTTP */
        char *tls_key;      /* HTTPS: its private key (PEM) */
        int sched_slice_us; /* EEVDF slice for every thread; 0 = the kernel's default */
    } listen;
    struct {
        char *level;
        char *format; /* "text" or "json" */
        int requests; /* one line per answered request */
    } log;
    struct {
        int summary;           /* write the start-up summary */
        int probe_timeout_ms;  /* bound of each destination probe; 0 = no probe */
        int verify_timeout_ms; /* routes against metadata after start; 0 = on first call only */
    } startup;
    struct {
        int enabled;
        char *assets; /* swagger-ui-dist directory; NULL = not installed */
    } docs;           /* GET /docs, the API explorer */
    struct {
        int json_depth;
        int max_errors;
        int stream_buffer;
        int convert_rows;
        int convert_body;
        int retain_memory_mb;
    } limits;
    gw_types_conf_t types;   /* global JSON mapping options; routes may override */
    gw_status_conf_t status; /* HTTP statuses of backend errors; routes may override */
    struct {
        int enabled;
        char *destination;
        char **allow; /* exact names, or prefixes ending in '*' */
        size_t nallow;
    } rfc_endpoint; /* POST /api/v1/rfc/{FUNCTION} */
    struct {
        int max_entries;
        int max_bytes;
        int retention_s;
        int max_response;
    } idempotency;   /* the Idempotency-Key store */
    char **mappings; /* mapping files, resolved */
    size_t nmappings;
    gw_dest_conf_t *dests;
    size_t ndests;
    gw_callers_conf_t callers; /* config_security.c */
    struct {
        int enabled;
        char *address;
        int port;         /* 0 = any free port (logged) */
        int metrics;      /* serve /metrics here instead of on the public listener */
        int allow_remote; /* a non-loopback address, explicitly */
    } admin;              /* the admin listener (config_security.c) */
    gw_cors_conf_t cors;
    gw_ratelimit_conf_t rate_limit;
} gw_config_t;

/**
 * Loads and validates the gateway configuration `path`. On success returns
 * 0 and a config to free with gw_config_free(). On failure returns
 * GW_ECONFIG and the errors, one "file:line: message" per line, in `e`.
 */
int gw_config_load(const char *path, gw_config_t **out, gw_cfg_errors_t *e);
/** Frees a loaded configuration. NULL is fine. */
void gw_config_free(gw_config_t *c);
/** Returns 1 when the generic endpoint may call `function` (its allowlist). */
int gw_config_rfc_allowed(const gw_config_t *c, const char *function);

/** Finds a destination by name; NULL when there is none. */
const gw_dest_conf_t *gw_config_dest(const gw_config_t *c, const char *name);
/** Loads `callers`, `cors` and `rate_limit` (config_security.c). */
void gw__config_load_security(gw_config_t *c, const config_t *cfg, gw_cfg_errors_t *e);
/** Prints their reference. */
void gw__config_print_security_reference(FILE *f);
/** Returns the caller method called `name`, or NULL. */
const gw_caller_method_t *gw_config_caller_method(const gw_config_t *c, const char *name);

/** Prints the reference of every gateway setting (docs/configuration.md). */
void gw_config_print_reference(FILE *f);

#endif
