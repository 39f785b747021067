/*
 * log: leveled, line-oriented logging to stderr, as text or as JSON.
 *
 * Text (for a terminal): "2026-11-23T19:19:16.123Z rfmgw info  module: message".
 * JSON (for a log collector): one object per line,
 * {"time":…,"level":…,"program":…,"module":…,"msg":…}; request lines
 * (gw_log_request) carry the request's fields instead of a free message.
 * Callers must never pass secrets (passwords, keys, Authorization headers);
 * the log has no way to know what is secret, so the rule sits with callers.
 */
#ifndef GW_LOG_H
#define GW_LOG_H

#include <stddef.h>

typedef enum { GW_LOG_ERROR = 0, GW_LOG_WARN, GW_LOG_INFO, GW_LOG_DEBUG } gw_log_level_t;
typedef enum { GW_LOG_TEXT = 0, GW_LOG_JSON } gw_log_format_t;

/** Sets the most verbose level that is still written (default INFO). */
void gw_log_set_level(gw_log_level_t level);
/** Parses "error", "warn", "info" or "debug"; returns -1 for anything else. */
int gw_log_parse_level(const char *name);
/** Sets the line format (default text). Call before other threads log. */
void gw_log_set_format(gw_log_format_t format);
/** The line format in use. */
gw_log_format_t gw_log_get_format(void);
/** Parses "text" or "json"; returns -1 for anything else. */
int gw_log_parse_format(const char *name);
/** 1 when lines of `level` are written. */
int gw_log_enabled(gw_log_level_t level);
/** Sets the program name that prefixes each line (static string). */
void gw_log_set_program(const char *name);
/** Writes one line if `level` is enabled. Thread-safe. */
void gw_log(gw_log_level_t level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/**
 * One answered HTTP request. Strings may be NULL (then JSON null, or left
 * out of the text line); a duration < 0 means the phase was not reached.
 * Strings are escaped; none of them may hold a secret.
 */
typedef struct {
    const char *request_id;
    const char *trace_id; /* the trace id of a W3C traceparent (32 hex digits) */
    const char *caller;   /* the caller's identity, "anonymous" without authentication */
    const char *method;
    const char *path;  /* the request path, without the query string */
    const char *route; /* the route's template or the endpoint's name (the metrics label) */
    const char *function;
    const char *destination;
    int status;
    const char *problem; /* the problem type's slug of an error answer */
    double total_ms;     /* arrival until the answer is queued */
    double queue_ms;     /* waiting for a backend session */
    double backend_ms;   /* the backend call */
    double serialize_ms; /* building the answer */
    size_t bytes_in;     /* request body */
    size_t bytes_out;    /* answer body */
} gw_log_request_t;

/** Writes one request line (module "access") if `level` is enabled. Thread-safe. */
void gw_log_request(gw_log_level_t level, const gw_log_request_t *rq);

#define GW_LOGE(mod, ...) gw_log(GW_LOG_ERROR, mod, __VA_ARGS__)
#define GW_LOGW(mod, ...) gw_log(GW_LOG_WARN, mod, __VA_ARGS__)
#define GW_LOGI(mod, ...) gw_log(GW_LOG_INFO, mod, __VA_ARGS__)
#define GW_LOGD(mod, ...) gw_log(GW_LOG_DEBUG, mod, __VA_ARGS__)

#endif
