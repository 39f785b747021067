/*
 * auth: who is calling. Caller authentication for the HTTP front — API
 * keys, HTTP Basic against a user file, JWT bearer tokens — and the
 * password hashes shared with abapsim.
 *
 * A gw_auth_t is built once from the `callers` configuration (it reads the
 * key, user and JWKS files) and is then read-only apart from the Basic
 * cache, which has its own lock; any HTTP thread may use it. A request
 * names the methods its route accepts; gw_auth_authenticate() finds the
 * credentials, checks them, and yields a caller: an identity
 * "method:subject" and the caller's scopes. Secrets never leave this
 * module: reasons say what was wrong, never with what value.
 */
#ifndef GW_AUTH_H
#define GW_AUTH_H

#include "base/base.h"
#include "config/config.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* ---- password hashes (user files, abapsim's users) ---- */

#define GW_PW_SALT_LEN           16
#define GW_PW_HASH_LEN           32
#define GW_PW_DEFAULT_ITERATIONS 100000u
#define GW_PW_MAX_ITERATIONS     10000000u
/** Room for a formatted hash line, NUL included. */
#define GW_PW_HASH_STR_MAX 160

/** A parsed `pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>` line. */
typedef struct {
    uint32_t iterations;
    size_t salt_len;
    uint8_t salt[64];
    uint8_t hash[GW_PW_HASH_LEN];
} gw_pwhash_t;

/**
 * Hashes `len` bytes of `password` with a fresh random 16-byte salt and
 * writes the NUL-terminated hash line into `out` (at least
 * GW_PW_HASH_STR_MAX bytes). Returns 0, GW_EINVAL for an iteration count
 * outside 1..GW_PW_MAX_ITERATIONS or a short `out`, GW_ENOMEM when
 * OpenSSL fails.
 */
int gw_password_hash(const char *password, size_t len, uint32_t iterations, char *out,
                     size_t outsize);

/** Parses a hash line strictly. Returns 0 or GW_EINVAL. */
int gw_password_parse(const char *line, gw_pwhash_t *out);

/**
 * Checks a password against a parsed hash in constant time. Returns 0 when
 * it matches, GW_ELOGON when it does not, GW_ENOMEM when OpenSSL fails.
 */
int gw_password_verify(const gw_pwhash_t *h, const char *password, size_t len);

/**
 * HMAC-SHA256 under `key` of `scope` NUL `user` NUL `password`: what
 * credentials are remembered and looked up by (the Basic cache, pass-through
 * pools), so that no table holds a password. All zero when OpenSSL fails.
 */
void gw_credential_tag(const uint8_t key[32], const char *scope, const char *user, size_t ul,
                       const char *pw, size_t pl, uint8_t tag[32]);

/* ---- API keys ---- */

/** Room for an API key hash line "sha256$<43 base64url>", NUL included. */
#define GW_APIKEY_HASH_STR_MAX 56

/**
 * Writes "sha256$<base64url of SHA-256(key)>" into `out`. API keys are
 * random and long (the docs ask for 32 bytes from a CSPRNG), so one SHA-256
 * is enough and a key check costs microseconds. Returns 0 or GW_EINVAL.
 */
int gw_apikey_hash(const char *key, size_t len, char *out, size_t outsize);

/**
 * The CLI helpers `--hash-password` and `--hash-api-key` of rfmgw and
 * abapsim: reads one line from stdin and prints its hash line. Returns the
 * exit status (0 or 1, with a message on stderr naming `prog`).
 */
int gw_hash_stdin(int api_key, uint32_t iterations, const char *prog);

/* ---- base64url (RFC 4648 §5, no padding) ---- */

/**
 * Decodes unpadded base64url strictly: any other character, padding, or a
 * length of 1 mod 4, or non-zero unused bits are errors. Writes at most
 * `max` bytes. Returns 0 or GW_EINVAL.
 */
int gw_b64url_decode(const char *s, size_t len, uint8_t *out, size_t max, size_t *outlen);
/** Encodes `len` bytes without padding; `out` needs 4*ceil(len/3)+1 bytes. Returns the length. */
size_t gw_b64url_encode(const uint8_t *in, size_t len, char *out);

/* ---- JWT (RFC 7519) with JWS compact serialisation ---- */

typedef struct gw_jwt_keys gw_jwt_keys_t;

/**
 * Builds the verification keys of one algorithm ("HS256", "RS256",
 * "ES256"): from a PEM public key or certificate (RS256, ES256), a JWKS
 * document (text), or an HMAC secret (HS256). Exactly one source. Keys of
 * another type than the algorithm needs are refused (a PEM RSA key for
 * ES256) or, in a JWKS, skipped. Returns 0 and keys to free with
 * gw_jwt_keys_free(), or GW_EINVAL with the reason in `why`.
 */
int gw_jwt_keys_load(const char *alg, const char *pem, size_t pem_len, const char *jwks,
                     size_t jwks_len, const uint8_t *secret, size_t secret_len, gw_jwt_keys_t **out,
                     char *why, size_t whylen);
void gw_jwt_keys_free(gw_jwt_keys_t *k);

/** What a token must satisfy. */
typedef struct {
    const char *issuer;   /* NULL: not checked */
    const char *audience; /* NULL: not checked */
    int leeway_s;
    int require_exp;
    size_t max_len;
    int64_t now_s; /* the clock (seconds since the epoch) */
} gw_jwt_rules_t;

/**
 * Verifies a compact JWS token: header `alg` must be the keys' algorithm
 * (`none` and every other one are refused before any key is touched), the
 * signature must verify with a key (the one whose `kid` matches, when the
 * token names one), and exp/nbf/iss/aud must hold. Returns 0 with the
 * claims in `*claims` (caller decrefs), or GW_EUNAUTH with the reason in
 * `why`.
 */
int gw_jwt_verify(const gw_jwt_keys_t *k, const gw_jwt_rules_t *rules, const char *token,
                  size_t len, json_t **claims, char *why, size_t whylen);

/* ---- the callers of the front ---- */

/** An authenticated caller. Strings live in the request's arena or in the gw_auth_t. */
typedef struct {
    const char *method; /* the method's name */
    const char *id;     /* "method:subject"; "anonymous" for a method of type none */
    const char *const *scopes;
    size_t nscopes;
    int anonymous;
    /* Basic credentials (methods basic and passthrough), for identity passthrough; the
     * password lives in the request's arena and is wiped when the request ends */
    const char *basic_user;
    const char *basic_password;
} gw_caller_t;

typedef struct gw_auth gw_auth_t;

/**
 * Builds the authenticator of `cfg->callers` (reads key, user and JWKS
 * files). Returns 0, or GW_ECONFIG with "file: message" lines in `e`.
 * Free with gw_auth_free().
 */
int gw_auth_create(const gw_config_t *cfg, gw_auth_t **out, gw_cfg_errors_t *e);
/** Takes a reference (a request holds one while it runs). NULL is fine. */
gw_auth_t *gw_auth_ref(gw_auth_t *a);
/** Drops a reference (the creator's or one from gw_auth_ref); frees at zero. NULL is fine. */
void gw_auth_free(gw_auth_t *a);

/** Looks up a request header (case-insensitive); NULL when absent. */
typedef const char *(*gw_auth_header_fn)(void *ctx, const char *name);

/**
 * Authenticates a request against the methods named in `methods` (NULL:
 * the configured defaults). Credentials that are present but wrong fail
 * even when a method of type none is listed. Returns 0 with `*caller`
 * filled; GW_EUNAUTH with the reason in `why` and the WWW-Authenticate
 * value in `challenge`; GW_ENOMEM.
 */
int gw_auth_authenticate(gw_auth_t *a, gw_arena_t *arena, char *const *methods, size_t nmethods,
                         gw_auth_header_fn header, void *ctx, gw_caller_t *caller, char *why,
                         size_t whylen, char *challenge, size_t challenge_len);

/**
 * 1 when gw_auth_authenticate() with these methods would run a password hash
 * (PBKDF2, milliseconds): Basic credentials for a `basic` method that are not
 * among the pairs verified within `cache_ttl_s` — a wrong password always is.
 * The caller may then authenticate on a work thread instead of its event loop.
 */
int gw_auth_would_hash(gw_auth_t *a, char *const *methods, size_t nmethods,
                       gw_auth_header_fn header, void *ctx);

/**
 * Checks that `caller` holds every scope of `need`. Returns 0, or
 * GW_EFORBIDDEN with the missing scopes named in `why`.
 */
int gw_auth_scopes(const gw_caller_t *caller, char *const *need, size_t nneed, char *why,
                   size_t whylen);

/** 1 when the method that authenticated `caller` is one of `methods` (NULL: the defaults). */
int gw_auth_method_allowed(const gw_auth_t *a, const gw_caller_t *caller, char *const *methods,
                           size_t nmethods);

#endif
