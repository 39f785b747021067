/*
 * log: leveled, line-oriented logging to stderr.
 *
 * One line per event: "2026-11-23T19:19:16.123Z level module: message".
 * Callers must never pass secrets (passwords, keys, Authorization headers);
 * the log has no way to know what is secret, so the rule sits with callers.
 */
#ifndef GW_LOG_H
#define GW_LOG_H

typedef enum { GW_LOG_ERROR = 0, GW_LOG_WARN, GW_LOG_INFO, GW_LOG_DEBUG } gw_log_level_t;

/** Sets the most verbose level that is still written (default INFO). */
void gw_log_set_level(gw_log_level_t level);
/** Parses "error", "warn", "info" or "debug"; returns -1 for anything else. */
int gw_log_parse_level(const char *name);
/** Sets the program name that prefixes each line (static string). */
void gw_log_set_program(const char *name);
/** Writes one line if `level` is enabled. Thread-safe. */
void gw_log(gw_log_level_t level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define GW_LOGE(mod, ...) gw_log(GW_LOG_ERROR, mod, __VA_ARGS__)
#define GW_LOGW(mod, ...) gw_log(GW_LOG_WARN, mod, __VA_ARGS__)
#define GW_LOGI(mod, ...) gw_log(GW_LOG_INFO, mod, __VA_ARGS__)
#define GW_LOGD(mod, ...) gw_log(GW_LOG_DEBUG, mod, __VA_ARGS__)

#endif
