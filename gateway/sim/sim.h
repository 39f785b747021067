/*
 * sim: abapsim, a simulator of the cloud ABAP environment's inbound
 * WebSocket RFC endpoint, speaking rfmgw's protocol v1 (wire/wire.h).
 *
 * This header is shared by the simulator's files and its unit tests; the
 * gateway itself never includes it. The pieces:
 *
 * - configuration (sim_config.c): one libconfig file, validated against
 *   tables, relative paths resolved against the file's directory;
 * - passwords (sim_password.c): PBKDF2-SHA256 hashes as stored in the file;
 * - logon (sim_logon.c): host → client, certificate or Basic credentials →
 *   user, as a pure function of the upgrade request so tests need no network;
 * - the RFM registry (sim_rfm.c): a static table of function descriptions
 *   and handlers, so DESCRIBE and CALL read the same definitions;
 * - the server (sim_server.c): libwebsockets, TLS, sessions, framing.
 */
#ifndef GW_SIM_H
#define GW_SIM_H

#include "base/base.h"
#include "rfc/rfc.h"
#include "wire/wire.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

/* ---- passwords --------------------------------------------------------- */

#define SIM_PW_SALT_LEN           16
#define SIM_PW_HASH_LEN           32
#define SIM_PW_DEFAULT_ITERATIONS 100000u
#define SIM_PW_MAX_ITERATIONS     10000000u
/** Room for a formatted hash line, NUL included. */
#define SIM_PW_HASH_STR_MAX 160

/** A parsed `pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>` line. */
typedef struct {
    uint32_t iterations;
    size_t salt_len;
    uint8_t salt[64];
    uint8_t hash[SIM_PW_HASH_LEN];
} sim_pwhash_t;

/**
 * Hashes `len` bytes of `password` with a fresh random 16-byte salt and
 * writes the NUL-terminated hash line into `out` (at least
 * SIM_PW_HASH_STR_MAX bytes). Returns 0, GW_EINVAL for an iteration count
 * outside 1..SIM_PW_MAX_ITERATIONS or a short `out`, GW_ENOMEM when
 * OpenSSL fails.
 */
int sim_password_hash(const char *password, size_t len, uint32_t iterations, char *out,
                      size_t outsize);

/** Parses a hash line strictly. Returns 0 or GW_EINVAL. */
int sim_password_parse(const char *line, sim_pwhash_t *out);

/**
 * Checks a password against a parsed hash in constant time. Returns 0 when
 * it matches, GW_ELOGON when it does not, GW_ENOMEM when OpenSSL fails.
 */
int sim_password_verify(const sim_pwhash_t *h, const char *password, size_t len);

/* ---- configuration ----------------------------------------------------- */

/** A tenant host name and the client it selects. */
typedef struct {
    char *name;
    char *client; /* three digits */
} sim_host_t;

/** A user of the simulated system. */
typedef struct {
    char *name;  /* technical user, e.g. CC0000000001 */
    char *alias; /* alias user, NULL when none */
    sim_pwhash_t password;
    int has_password; /* 0: certificate logon only */
    int locked;
    int line; /* where it is defined, for messages */
} sim_user_t;

/** A certificate → user mapping; matched on subject or on fingerprint. */
typedef struct {
    char *subject; /* RFC 2253 form, NULL when matched by fingerprint */
    int has_fingerprint;
    uint8_t fingerprint[32]; /* SHA-256 of the DER certificate */
    const sim_user_t *user;
} sim_certmap_t;

/** The whole configuration. Everything is owned by `arena`; free with sim_config_free(). */
typedef struct {
    gw_arena_t arena;
    char *file; /* the config file as given */

    char *sid;
    char *release;
    char *timezone;

    char *address;
    int64_t port;
    char *path;

    char *tls_cert;
    char *tls_key;
    char *tls_client_ca; /* NULL: no client certificates requested */

    int64_t max_message;

    sim_host_t *hosts;
    size_t nhosts;
    sim_user_t *users;
    size_t nusers;
    sim_certmap_t *certs;
    size_t ncerts;
} sim_config_t;

/**
 * Loads and validates `path`. On failure returns GW_ECONFIG with
 * "file:line: message" (or "file: message") in `err` and leaves nothing to
 * free; on success the caller frees `cfg` with sim_config_free().
 */
int sim_config_load(sim_config_t *cfg, const char *path, char *err, size_t errlen);

/** Frees what sim_config_load() allocated. Safe on a zeroed struct. */
void sim_config_free(sim_config_t *cfg);

/** The host entry for a host name (case-insensitive), NULL when unknown. */
const sim_host_t *sim_config_find_host(const sim_config_t *cfg, const char *name);

/**
 * Writes the reference of every setting (name, type, default, doc line) to
 * `out`, generated from the same tables the loader validates against.
 */
void sim_config_reference(FILE *out);

/* ---- logon ------------------------------------------------------------- */

/** What the upgrade request presented; NULL fields were absent. */
typedef struct {
    const char *host;          /* Host header, port included or not */
    const char *client;        /* X-Rfmgw-Client */
    const char *authorization; /* Authorization header value (secret) */
    const char *alias;         /* X-Rfmgw-Alias-User */
    const char *language;      /* X-Rfmgw-Language */
    int has_cert;              /* the TLS peer presented a verified certificate */
    const char *cert_subject;  /* its subject, RFC 2253 */
    const uint8_t *cert_sha256;
} sim_logon_req_t;

/** A successful logon. */
typedef struct {
    char client[4];
    char user[64]; /* the technical user */
    char host[256];
    char language[2];
    const char *method; /* "password", "alias" or "certificate" (static) */
} sim_logon_t;

/**
 * Decides the logon. Returns 0 and fills `out`, or GW_ELOGON with the real
 * reason in `why` (safe to log: never the password or the header). The host
 * must already be known (sim_config_find_host()).
 */
int sim_logon(const sim_config_t *cfg, const sim_logon_req_t *req, sim_logon_t *out, char *why,
              size_t whylen);

/** Strips ":port" from a Host header value into `out`; returns 0 or GW_EINVAL. */
int sim_host_strip_port(const char *host, char *out, size_t outsize);

/* ---- RFM registry ------------------------------------------------------ */

/** Per-session state of the simulated ABAP session; RESET discards it. */
typedef struct {
    gw_arena_t arena; /* for RFMs that keep data across calls */
    uint64_t calls;   /* calls since the last reset */
} sim_state_t;

/** Prepares an empty state. */
void sim_state_init(sim_state_t *st);
/** Discards everything the session accumulated (RESET). */
void sim_state_reset(sim_state_t *st);

/**
 * What a handler gets. Handlers touch nothing but this (no lws, no
 * globals), so a handler can later run on a worker thread.
 */
typedef struct {
    gw_arena_t *arena; /* results and error texts; lives until the reply is encoded */
    const sim_config_t *cfg;
    const sim_logon_t *logon;
    sim_state_t *state;
    time_t now;
    gw_rfc_error_t error; /* filled by sim_rfm_fail() */
} sim_call_ctx_t;

/** The result builder: the exporting/changing/tables values set so far. */
typedef struct {
    gw_arena_t *arena;
    const gw_rfc_func_t *func;
    uint32_t count;
    uint32_t cap;
    gw_rfc_field_t *params;
} sim_result_t;

typedef int (*sim_rfm_handler_t)(sim_call_ctx_t *ctx, const gw_wire_call_t *call,
                                 sim_result_t *res);

/** One simulated RFM: its description and the code that runs it. */
typedef struct {
    gw_rfc_func_t desc;
    sim_rfm_handler_t handler;
} sim_rfm_t;

/** Finds an RFM by name (exact, as SAP names are upper case); NULL when unknown. */
const sim_rfm_t *sim_rfm_find(gw_slice_t name);
/** Number of registered RFMs and the i-th of them (for listings and tests). */
size_t sim_rfm_count(void);
const sim_rfm_t *sim_rfm_at(size_t i);

/**
 * Runs a CALL: checks the sent parameters against the description, runs the
 * handler and returns in `out` the parameters the caller asked for
 * (`call->nwant`), allocated from ctx->arena. Returns 0, or a negative
 * GW_E* code with ctx->error filled (an RFC error to send back).
 */
int sim_rfm_call(sim_call_ctx_t *ctx, const sim_rfm_t *rfm, const gw_wire_call_t *call,
                 gw_wire_result_t *out);

/** Fills ctx->error and returns the matching GW_E* code (for `return sim_rfm_fail(...)`). */
int sim_rfm_fail(sim_call_ctx_t *ctx, int group, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/** The value of a sent parameter, NULL when the caller did not send it. */
const gw_rfc_value_t *sim_call_param(const gw_wire_call_t *call, const char *name);

/**
 * Sets a result parameter. `name` must be an EXPORTING, CHANGING or TABLES
 * parameter of the function and `v` of its type; returns 0 or GW_EINVAL.
 * The value is shallow-copied: its slices must live in the result arena or
 * be static.
 */
int sim_result_set(sim_result_t *res, const char *name, gw_rfc_value_t v);

/**
 * Sets a CHAR result from text: cut to the parameter's length (UTF-16 code
 * units) and stripped of trailing blanks, as CHAR values travel on the wire.
 */
int sim_result_set_char(sim_result_t *res, const char *name, const char *s, size_t len);

/** Text cut to `units` UTF-16 code units and stripped of trailing blanks (no copy). */
gw_slice_t sim_char_fit(gw_slice_t s, uint32_t units);

/* ---- server ------------------------------------------------------------ */

/** Run-time options from the command line. */
typedef struct {
    int port;               /* -1: listen.port from the configuration */
    const char *ready_file; /* NULL: none */
} sim_run_opts_t;

/**
 * Serves until sim_server_stop(). Returns 0 after a clean stop, or a
 * negative GW_E* code when the server could not start (already logged).
 */
int sim_server_run(const sim_config_t *cfg, const sim_run_opts_t *opts);

/** Asks a running server to stop. Async-signal-safe. */
void sim_server_stop(void);

#endif
