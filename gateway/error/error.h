/*
 * error: the one table of rfmgw's error codes.
 *
 * Each row gives the C code, its HTTP status, the stable problem type slug
 * (problem+json `type` is "urn:rfmgw:problem:<slug>") and the title. The
 * same table generates gw_strerror(), the HTTP mapping and docs/errors.md
 * (`rfmgw --errors-reference`), so the three can never disagree.
 *
 * Functions return 0 or a negative GW_E* code.
 */
#ifndef GW_ERROR_H
#define GW_ERROR_H

/* X(name, http status, slug, title) */
#define GW_ERRNO_MAP(X)                                                                            \
    X(ENOMEM, 500, "out-of-memory", "Out of memory")                                               \
    X(EINVAL, 500, "internal-error", "Internal error")                                             \
    X(ETOOBIG, 413, "too-large", "Too large")                                                      \
    X(ECONFIG, 500, "config-error", "Configuration error")                                         \
    X(EJSON, 400, "malformed-json", "Malformed JSON")                                              \
    X(EMEDIA, 415, "unsupported-media-type", "Unsupported media type")                             \
    X(ENOTACCEPTABLE, 406, "not-acceptable", "Not acceptable")                                     \
    X(ENOROUTE, 404, "not-found", "No such route")                                                 \
    X(ENOEXPLORER, 404, "explorer-not-installed", "API explorer not installed")                    \
    X(EMETHOD, 405, "method-not-allowed", "Method not allowed")                                    \
    X(EPARAM, 400, "invalid-parameters", "Invalid parameters")                                     \
    X(EUNSUPPORTED, 501, "not-implemented", "Not implemented")                                     \
    X(EUNREACHABLE, 502, "backend-unreachable", "Backend unreachable")                             \
    X(ETLS, 502, "backend-tls-failed", "TLS to the backend failed")                                \
    X(ELOGON, 502, "backend-logon-failed", "Logon to the backend failed")                          \
    X(EPROTO, 502, "backend-protocol-error", "Backend protocol error")                             \
    X(ECOMM, 502, "backend-communication-failure", "Communication failure")                        \
    X(ERUNTIME, 502, "abap-runtime-failure", "ABAP runtime failure")                               \
    X(EAUTHZ, 403, "backend-authorization-failure", "No authorization in the backend")             \
    X(EFUNCNOTFOUND, 502, "function-not-found", "Function module not found")                       \
    X(EABAPEXC, 422, "abap-exception", "ABAP exception")                                           \
    X(EABAPMSG, 422, "abap-message", "ABAP message")                                               \
    X(EBAPI, 422, "bapi-error", "The function reported an error in RETURN")                        \
    X(EBATCH, 422, "batch-failed", "A step of the batch failed")                                   \
    X(ECONFLICT, 409, "idempotency-conflict", "Request with this Idempotency-Key in progress")     \
    X(EIDEMREUSE, 422, "idempotency-key-reused", "Idempotency-Key reused with another body")       \
    X(ETIMEOUT, 504, "backend-timeout", "Backend timeout")                                         \
    X(ERESULTBIG, 502, "result-too-large", "The backend's result is too large")                    \
    X(ECANCELED, 499, "client-closed-request", "The caller went away")                             \
    X(ECAPACITY, 503, "no-capacity", "No capacity")                                                \
    X(ESHUTDOWN, 503, "shutting-down", "Shutting down")                                            \
    X(EUNAUTH, 401, "unauthenticated", "Authentication required")                                  \
    X(EFORBIDDEN, 403, "forbidden", "Missing scope")                                               \
    X(ERATELIMIT, 429, "rate-limited", "Too many requests")

typedef enum {
    GW_OK = 0,
#define GW_ERR_ENUM(name, status, slug, title) GW_##name,
    GW__ERR_FIRST = -1000,
    GW_ERRNO_MAP(GW_ERR_ENUM)
#undef GW_ERR_ENUM
        GW__ERR_END
} gw_err_t;

/** The title of an error code ("Unknown error" for anything else). Static storage. */
const char *gw_strerror(int err);
/** The symbolic name, e.g. "GW_ETIMEOUT". Static storage. */
const char *gw_errname(int err);
/** The HTTP status that answers this error. */
int gw_err_status(int err);
/** The problem type slug, e.g. "backend-timeout". Static storage. */
const char *gw_err_slug(int err);
/** Calls `fn` once per table row in order (for the generated reference). */
void gw_err_foreach(void (*fn)(int err, void *arg), void *arg);

#define GW_PROBLEM_TYPE_PREFIX "urn:rfmgw:problem:"

#endif
