/*
 * log: formats a whole line first and writes it with one write(2), so
 * lines from different threads never interleave. Lines are bounded
 * (LINE_MAX_BYTES); a longer message is cut, and a JSON line stays a valid
 * object because strings are cut before they are closed.
 *
 * JSON strings are escaped here and invalid UTF-8 becomes U+FFFD, so that
 * whatever a caller passes (a request path, a backend's message) never
 * breaks the one-object-per-line contract.
 */
#include "log/log.h"
#include "base/base.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_BYTES 4096

static gw_log_level_t max_level = GW_LOG_INFO;
static gw_log_format_t format = GW_LOG_TEXT;
static const char *program = "rfmgw";
static const char *const names[] = {"error", "warn", "info", "debug"};

void gw_log_set_level(gw_log_level_t level)
{
    max_level = level;
}

int gw_log_parse_level(const char *name)
{
    for (int i = 0; i < 4; i++)
        if (name && strcasecmp(name, names[i]) == 0)
            return i;
    return -1;
}

void gw_log_set_format(gw_log_format_t f)
{
    format = f;
}

gw_log_format_t gw_log_get_format(void)
{
    return format;
}

int gw_log_parse_format(const char *name)
{
    if (name && strcmp(name, "text") == 0)
        return GW_LOG_TEXT;
    if (name && strcmp(name, "json") == 0)
        return GW_LOG_JSON;
    return -1;
}

int gw_log_enabled(gw_log_level_t level)
{
    return level <= max_level;
}

void gw_log_set_program(const char *name)
{
    program = name;
}

/* A line being built; `len` never exceeds `cap` (the last bytes are kept for the end). */
typedef struct {
    char data[LINE_MAX_BYTES];
    size_t len, cap;
} line_t;

static void put(line_t *l, const char *s, size_t n)
{
    if (n > l->cap - l->len)
        n = l->cap - l->len;
    memcpy(l->data + l->len, s, n);
    l->len += n;
}

static void puts_(line_t *l, const char *s)
{
    put(l, s, strlen(s));
}

__attribute__((format(printf, 2, 3))) static void putf(line_t *l, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(l->data + l->len, l->cap - l->len + 1, fmt, ap);
    va_end(ap);
    if (n > 0)
        l->len += (size_t)n > l->cap - l->len ? l->cap - l->len : (size_t)n;
}

/*
 * A JSON string (with quotes), or null, of at most `max` bytes of escaped
 * text. Cut at a character boundary, never inside an escape, so the line
 * stays valid JSON; the closing quote always fits.
 */
static void put_jstr(line_t *l, const char *s, size_t max)
{
    if (s == NULL) {
        puts_(l, "null");
        return;
    }
    if (l->len + 2 > l->cap)
        return; /* callers size their lines so that this never happens */
    size_t limit = l->cap - 1 - l->len - 1 < max ? l->cap - 1 : l->len + 1 + max;
    put(l, "\"", 1);
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    while (n) {
        unsigned char c = *p;
        char e[8];
        const char *out = e;
        size_t k = 1, en;
        if (c == '"' || c == '\\') {
            e[0] = '\\';
            e[1] = (char)c;
            en = 2;
        } else if (c == '\n' || c == '\t') {
            e[0] = '\\';
            e[1] = c == '\n' ? 'n' : 't';
            en = 2;
        } else if (c < 0x20 || c == 0x7F) {
            snprintf(e, sizeof(e), "\\u%04x", c);
            en = 6;
        } else if (c < 0x80) {
            out = (const char *)p;
            en = 1;
        } else if ((k = gw_utf8_seq(p, n, NULL)) > 0) {
            out = (const char *)p;
            en = k;
        } else {
            k = 1;
            out = "\\ufffd";
            en = 6;
        }
        if (l->len + en > limit)
            break;
        put(l, out, en);
        p += k;
        n -= k;
    }
    put(l, "\"", 1);
}

static void put_time(line_t *l)
{
    struct timeval tv;
    struct tm tm;
    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    putf(l, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
         tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(tv.tv_usec / 1000));
}

/* Starts a JSON line: {"time":…,"level":…,"program":…,"module":… */
static void json_head(line_t *l, gw_log_level_t level, const char *module)
{
    puts_(l, "{\"time\":\"");
    put_time(l);
    putf(l, "\",\"level\":\"%s\",\"program\":", names[level]);
    put_jstr(l, program, 64);
    puts_(l, ",\"module\":");
    put_jstr(l, module, 64);
}

static void emit(line_t *l)
{
    l->data[l->len++] = '\n'; /* cap leaves room for it */
    ssize_t w = write(STDERR_FILENO, l->data, l->len);
    (void)w;
}

void gw_log(gw_log_level_t level, const char *module, const char *fmt, ...)
{
    if (level > max_level)
        return;
    char msg[LINE_MAX_BYTES];
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (m < 0)
        msg[0] = '\0';
    line_t l;
    l.len = 0;
    l.cap = sizeof(l.data) - 2;
    if (format == GW_LOG_JSON) {
        l.cap -= 1; /* the closing brace */
        json_head(&l, level, module);
        puts_(&l, ",\"msg\":");
        put_jstr(&l, msg, (size_t)-1);
        l.cap += 1;
        put(&l, "}", 1);
    } else {
        put_time(&l);
        putf(&l, " %s %-5s %s: ", program, names[level], module);
        puts_(&l, msg);
    }
    emit(&l);
}

/* Text without control characters (a request path must not start a fake log line). */
static void put_safe(line_t *l, const char *s, size_t max)
{
    for (size_t i = 0; s[i] && i < max; i++) {
        char c = (unsigned char)s[i] < 0x20 || s[i] == 0x7F ? '?' : s[i];
        put(l, &c, 1);
    }
}

static void put_ms(line_t *l, const char *name, double ms)
{
    if (ms < 0)
        putf(l, ",\"%s\":null", name);
    else
        putf(l, ",\"%s\":%.3f", name, ms);
}

void gw_log_request(gw_log_level_t level, const gw_log_request_t *rq)
{
    if (level > max_level)
        return;
    line_t l;
    l.len = 0;
    l.cap = sizeof(l.data) - 2;
    if (format == GW_LOG_JSON) {
        l.cap -= 1;
        json_head(&l, level, "access");
        puts_(&l, ",\"msg\":\"request\",\"requestId\":");
        put_jstr(&l, rq->request_id, 128);
        puts_(&l, ",\"traceId\":");
        put_jstr(&l, rq->trace_id, 64);
        puts_(&l, ",\"caller\":");
        put_jstr(&l, rq->caller, 256);
        puts_(&l, ",\"method\":");
        put_jstr(&l, rq->method, 32);
        puts_(&l, ",\"path\":");
        put_jstr(&l, rq->path, 1024);
        puts_(&l, ",\"route\":");
        put_jstr(&l, rq->route, 512);
        puts_(&l, ",\"function\":");
        put_jstr(&l, rq->function, 64);
        puts_(&l, ",\"destination\":");
        put_jstr(&l, rq->destination, 128);
        putf(&l, ",\"status\":%d,\"problem\":", rq->status);
        put_jstr(&l, rq->problem, 64);
        put_ms(&l, "totalMs", rq->total_ms);
        put_ms(&l, "queueMs", rq->queue_ms);
        put_ms(&l, "backendMs", rq->backend_ms);
        put_ms(&l, "serializeMs", rq->serialize_ms);
        putf(&l, ",\"bytesIn\":%zu,\"bytesOut\":%zu", rq->bytes_in, rq->bytes_out);
        l.cap += 1;
        put(&l, "}", 1);
    } else {
        /* For a person: what, how it ended, how long, then the ids. */
        put_time(&l);
        putf(&l, " %s %-5s access: %s ", program, names[level], rq->method ? rq->method : "-");
        put_safe(&l, rq->path ? rq->path : "-", 512);
        putf(&l, " → %d", rq->status);
        if (rq->problem)
            putf(&l, " %s", rq->problem);
        if (rq->function)
            putf(&l, " %s@%s", rq->function, rq->destination ? rq->destination : "-");
        putf(&l, " %.1f ms", rq->total_ms);
        if (rq->backend_ms >= 0 || rq->queue_ms >= 0) {
            putf(&l, " (queue %.1f, backend %.1f, serialize %.1f)",
                 rq->queue_ms < 0 ? 0 : rq->queue_ms, rq->backend_ms < 0 ? 0 : rq->backend_ms,
                 rq->serialize_ms < 0 ? 0 : rq->serialize_ms);
        }
        putf(&l, " in %zu B out %zu B id %s caller ", rq->bytes_in, rq->bytes_out,
             rq->request_id ? rq->request_id : "-");
        put_safe(&l, rq->caller ? rq->caller : "-", 256);
        if (rq->trace_id)
            putf(&l, " trace %s", rq->trace_id);
    }
    emit(&l);
}
