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
#include "auth/auth.h"

#include <stdint.h>
#include <stdio.h>
#include <time.h>

/* ---- passwords: gw_password_* in gateway/auth (shared with the gateway) ---- */

/* ---- configuration ----------------------------------------------------- */

/** A tenant host name and the client it selects. */
typedef struct {
    char *name;
    char *client; /* three digits */
} sim_host_t;

/** Inbound authentication methods an arrangement allows (a bit set). */
#define SIM_AUTH_PASSWORD    1u /* HTTP Basic, by technical or alias user name */
#define SIM_AUTH_CERTIFICATE 2u /* X.509 client certificate */

/** A communication scenario: the RFMs that may be called inbound. */
typedef struct {
    char *id;
    char *description;
    char **rfms; /* exact names, or a prefix followed by '*' ("*" alone: every RFM) */
    size_t nrfms;
} sim_scenario_t;

/** A communication system and the communication users that belong to it. */
typedef struct {
    char *id;
    char **users; /* technical user names, all in `users` */
    size_t nusers;
} sim_system_t;

/** A communication arrangement: a scenario bound to a system, with the allowed logon methods. */
typedef struct {
    const sim_scenario_t *scenario;
    const sim_system_t *system;
    unsigned methods; /* SIM_AUTH_* */
} sim_arrangement_t;

/** A user of the simulated system. */
typedef struct {
    char *name;  /* technical user, e.g. CC0000000001 */
    char *alias; /* alias user, NULL when none */
    gw_pwhash_t password;
    int has_password; /* 0: certificate logon only */
    int locked;
    int line; /* where it is defined, for messages */
    /* resolved from systems and arrangements at load time (all methods in open mode) */
    unsigned methods;                 /* SIM_AUTH_* allowed by any arrangement */
    const sim_scenario_t **scenarios; /* scenarios of those arrangements */
    size_t nscenarios;
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

    int64_t max_sessions;      /* limits.max_sessions; 0: unlimited */
    int64_t workers;           /* server.workers */
    int64_t max_failed_logons; /* security.max_failed_logons; 0: never lock */
    int64_t sbook_rows;        /* data.sbook_rows */
    char *admin_address;       /* admin.address */
    int64_t admin_port;        /* admin.port; 0: disabled */

    /* faults: the values POST /faults/reset returns to */
    int64_t fault_latency_ms;
    double fault_drop_probability;
    int64_t fault_garbage_reply;
    int64_t fault_truncate_reply;
    int64_t fault_refuse_connections;
    int64_t fault_black_hole;
    int64_t fault_seed;

    /* communication management; open_mode when `scenarios` is absent */
    int open_mode;
    sim_scenario_t *scenarios;
    size_t nscenarios;
    sim_system_t *systems;
    size_t nsystems;
    sim_arrangement_t *arrangements;
    size_t narrangements;
} sim_config_t;

/**
 * Loads and validates `path`. On failure returns GW_ECONFIG with
 * "file:line: message" (or "file: message") in `err` and leaves nothing to
 * free; on success the caller frees `cfg` with sim_config_free().
 */
int sim_config_load(sim_config_t *cfg, const char *path, char *err, size_t errlen);

/** Frees what sim_config_load() allocated. Safe on a zeroed struct. */
void sim_config_free(sim_config_t *cfg);

/**
 * Whether user `u` may call the RFM `name` inbound: 1 when a scenario of one
 * of the user's arrangements lists it (or in open mode), else 0.
 */
int sim_comm_allows(const sim_config_t *cfg, const sim_user_t *u, gw_slice_t name);

/** Whether a scenario's RFM entry (exact, or prefix + '*') matches `name`. */
int sim_comm_pattern_match(const char *pattern, gw_slice_t name);

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
    /* also set when the logon fails: */
    int user_index;   /* the user identified (index in cfg->users), -1 when none */
    int bad_password; /* the failure was a wrong password (counts towards the lock) */
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

/** Run-time lock of users after consecutive failed password logons (in memory). */
typedef struct {
    uint32_t max_failed; /* 0: never lock */
    size_t nusers;
    uint32_t *failed; /* consecutive failed password logons per user */
    uint8_t *locked;  /* locked at run time */
} sim_lockout_t;

/** Prepares counters for `nusers` users. Returns 0 or GW_ENOMEM. */
int sim_lockout_init(sim_lockout_t *lo, size_t nusers, uint32_t max_failed);
/** Frees the counters. Safe on a zeroed struct. */
void sim_lockout_free(sim_lockout_t *lo);

/**
 * Applies the lock rules to the verdict `ret` of sim_logon() for `out`:
 * a user locked at run time fails (reason in `why`) even with the right
 * password; a success resets the user's counter; a wrong password counts,
 * and the max_failed-th consecutive one locks the user (`*just_locked` = 1).
 * Returns the final verdict, 0 or GW_ELOGON.
 */
int sim_lockout_apply(sim_lockout_t *lo, int ret, const sim_logon_t *out, char *why, size_t whylen,
                      int *just_locked);

/* ---- RFM registry ------------------------------------------------------ */

/** Per-session state of the simulated ABAP session; RESET discards it. */
typedef struct {
    gw_arena_t arena; /* for RFMs that keep data across calls */
    uint64_t calls;   /* calls since the last reset */
    /* BAPI changes not yet committed (rfm_flight_bapi.c), in `arena`; RESET drops them */
    struct sim_flight_pending *pending;
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
    gw_rfc_error_t error;      /* filled by sim_rfm_fail() */
    struct sim_cursor *cursor; /* set by a handler whose table rows are produced part by part */
} sim_call_ctx_t;

/**
 * A row source for one table parameter of a result, for results too large to
 * build at once (RFC_READ_TABLE over a million rows). The handler allocates
 * it (and everything it points to) from ctx->arena, which then lives until
 * the last part is sent; the server calls next() on a worker thread once per
 * RESULT part, only when the connection has taken the previous parts
 * (docs/protocol.md §3.2, MORE) — so a client that reads slowly slows the
 * producer down instead of filling memory.
 */
typedef struct sim_cursor {
    const char *param; /* the TABLE parameter the rows belong to */
    /**
     * Sets `*tab` to the next rows (allocated from `a`), about `bytes` of row
     * data, and `*done` to 1 when no rows are left. Returns 0 or GW_ENOMEM.
     */
    int (*next)(struct sim_cursor *c, gw_arena_t *a, gw_rfc_value_t *tab, size_t bytes, int *done);
} sim_cursor_t;

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

/* ---- RFMs (sim_rfm.c, rfm_*.c) ---- */

/**
 * Fills ctx->error with an ABAP message (group ABAP_MESSAGE): message class
 * `cls`, type `type` (E, A, X), three-digit `number` and the variables
 * `v[0..3]` (NULL entries and a NULL `v` mean empty). The key becomes
 * "type:class:number"; the text is `fmt` with each `&` (or `&1`..`&4`)
 * replaced by the variables, as MESSAGE does. Returns GW_EABAPMSG.
 */
int sim_rfm_fail_msg(sim_call_ctx_t *ctx, const char *cls, const char *type, const char *number,
                     const char *const v[4], const char *fmt);

/**
 * Sets the number of generated SBOOK rows (default 10,000; capped at
 * 90,000,000 so booking numbers stay NUM 8). Rows are a pure function of
 * their index, so any size costs no memory. Call at start-up, before
 * sessions run; bookings committed later get numbers after the generated
 * ones.
 */
void sim_flight_configure(uint32_t sbook_rows);

/** The configured number of generated SBOOK rows. */
uint32_t sim_flight_sbook_rows(void);

/** Forgets every committed booking (tests start from the generated data). */
void sim_flight_reset_committed(void);

/* ---- server ------------------------------------------------------------ */

/** Run-time options from the command line. */
typedef struct {
    int port;                     /* -1: listen.port from the configuration */
    const char *ready_file;       /* NULL: none */
    int admin_port;               /* -1: admin.port from the configuration; 0: any free port */
    const char *admin_ready_file; /* NULL: none; else the admin port is written there */
} sim_run_opts_t;

/** A fault applied to CALL replies (globally or for one RFM). */
typedef struct {
    int64_t latency_ms;      /* delay before the reply is sent */
    double drop_probability; /* 0..1: drop the connection instead of replying */
    int garbage_reply;       /* send a frame that is not a protocol message */
    int truncate_reply;      /* send the first half of the reply as a complete frame */
} sim_fault_action_t;

#define SIM_FAULT_MAX_RFMS 64

/** Every fault setting; switchable at run time through the admin endpoint. */
typedef struct {
    sim_fault_action_t all; /* for RFMs without their own entry */
    size_t nrfms;
    struct {
        char name[31];
        sim_fault_action_t a;
    } rfms[SIM_FAULT_MAX_RFMS];
    int refuse_connections; /* new TCP connections are closed at once (reset) */
    int black_hole;         /* new TCP connections are accepted and never answered */
    int64_t max_sessions;   /* 0: unlimited */
    uint64_t seed;          /* of the drop decisions */
} sim_faults_t;

/** The faults the configuration starts with (and POST /faults/reset returns to). */
void sim_faults_from_config(sim_faults_t *f, const sim_config_t *cfg);

/**
 * Applies a JSON object setting any subset of the faults, e.g.
 * {"latency_ms":100,"rfms":{"STFC_CONNECTION":{"drop_probability":0.5}}}
 * (an RFM given null loses its entry). On error returns GW_EINVAL with a
 * message in `err` and leaves `f` unchanged.
 */
int sim_faults_apply_json(sim_faults_t *f, const char *json, size_t len, char *err, size_t errlen);

/** The faults as a JSON object; the caller frees the string with free(). NULL: no memory. */
char *sim_faults_to_json(const sim_faults_t *f);

/** The fault that applies to a CALL of `rfm`. */
const sim_fault_action_t *sim_faults_for(const sim_faults_t *f, gw_slice_t rfm);

/** A deterministic pseudo-random number in [0, 1) (splitmix64 on `*state`). */
double sim_rng_unit(uint64_t *state);

/**
 * Serves until sim_server_stop(). Returns 0 after a clean stop, or a
 * negative GW_E* code when the server could not start (already logged).
 */
int sim_server_run(const sim_config_t *cfg, const sim_run_opts_t *opts);

/** Asks a running server to stop. Async-signal-safe. */
void sim_server_stop(void);

/**
 * Asks a running server to re-read the `faults` group (and limits.max_sessions)
 * from its configuration file, as POST /faults/reset does with the values
 * loaded at start-up. Async-signal-safe (SIGHUP).
 */
void sim_server_reload_faults(void);

#endif
