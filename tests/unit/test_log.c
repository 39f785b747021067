/* log: JSON lines stay valid JSON whatever callers pass (long, control characters, invalid
 * UTF-8, at every cut length); request lines carry their fields; text lines keep control
 * characters of a path out. Standard error is redirected into a file while a test logs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "log/log.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int saved_fd = -1;
static FILE *cap;

static void capture_begin(void)
{
    fflush(stderr);
    cap = tmpfile();
    assert_non_null(cap);
    saved_fd = dup(STDERR_FILENO);
    assert_true(saved_fd >= 0);
    assert_true(dup2(fileno(cap), STDERR_FILENO) >= 0);
}

/* The captured text (malloc'd). */
static char *capture_end(void)
{
    dup2(saved_fd, STDERR_FILENO);
    close(saved_fd);
    long n = ftell(cap);
    char *text = calloc(1, (size_t)n + 1);
    assert_non_null(text);
    rewind(cap);
    assert_int_equal(fread(text, 1, (size_t)n, cap), (size_t)n);
    fclose(cap);
    return text;
}

/* Every line of `text` must be one JSON object; returns how many lines. */
static int check_lines(char *text, json_t **last)
{
    int n = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        json_error_t err;
        json_t *o = json_loads(line, JSON_REJECT_DUPLICATES, &err);
        if (o == NULL || !json_is_object(o))
            fail_msg("not a JSON object (%s): %.200s", err.text, line);
        if (last) {
            json_decref(*last);
            *last = o;
        } else {
            json_decref(o);
        }
        n++;
    }
    return n;
}

static void test_json_lines_survive_anything(void **state)
{
    (void)state;
    gw_log_set_format(GW_LOG_JSON);
    gw_log_set_level(GW_LOG_DEBUG);
    static char msg[6000];
    capture_begin();
    /* every cut position against escapes of 2 and 6 bytes and 2- to 4-byte characters */
    const char *tails[] = {"\x01\x02\x03\x04", "\"\\\"\\", "é€𝄞é€𝄞", "\xff\xfe\xc3", "\n\t\n\t"};
    int lines = 0;
    for (size_t t = 0; t < sizeof(tails) / sizeof(tails[0]); t++)
        for (size_t len = 3900; len < 4200; len += 1, lines++) {
            memset(msg, 'a', len);
            msg[len] = '\0';
            for (size_t i = 0; i + 5 < len; i += 200) /* sprinkle them in too */
                memcpy(msg + i, tails[t], strlen(tails[t]));
            strcpy(msg + len - strlen(tails[t]), tails[t]);
            GW_LOGI("test", "%s", msg);
        }
    GW_LOGW("mod\"ule", "bad UTF-8 \xc3\x28 and \xed\xa0\x80 (a surrogate) and NUL-free");
    lines++;
    char *text = capture_end();
    json_t *last = NULL;
    assert_int_equal(check_lines(text, &last), lines);
    assert_string_equal(json_string_value(json_object_get(last, "module")), "mod\"ule");
    assert_string_equal(json_string_value(json_object_get(last, "level")), "warn");
    assert_non_null(strstr(json_string_value(json_object_get(last, "msg")), "\xef\xbf\xbd("));
    json_decref(last);
    free(text);
}

static void test_request_line(void **state)
{
    (void)state;
    gw_log_set_format(GW_LOG_JSON);
    gw_log_set_level(GW_LOG_INFO);
    static char path[9000];
    memset(path, '/', sizeof(path) - 1); /* longer than any line: the fields after it survive */
    gw_log_request_t rq = {"id-1", NULL, "anonymous", "GET", path, "GET /x", "STFC_CONNECTION",
                           "sim",  200,  NULL,        12.5,  -1,   3.25,     -1,
                           0,      42};
    capture_begin();
    gw_log_request(GW_LOG_INFO, &rq);
    gw_log_request(GW_LOG_DEBUG, &rq); /* not enabled: nothing */
    char *text = capture_end();
    json_t *o = NULL;
    assert_int_equal(check_lines(text, &o), 1);
    assert_string_equal(json_string_value(json_object_get(o, "msg")), "request");
    assert_string_equal(json_string_value(json_object_get(o, "module")), "access");
    assert_string_equal(json_string_value(json_object_get(o, "requestId")), "id-1");
    assert_true(json_is_null(json_object_get(o, "traceId")));
    assert_int_equal(strlen(json_string_value(json_object_get(o, "path"))), 1024);
    assert_string_equal(json_string_value(json_object_get(o, "destination")), "sim");
    assert_int_equal(json_integer_value(json_object_get(o, "status")), 200);
    assert_true(json_is_null(json_object_get(o, "queueMs")));
    assert_true(json_real_value(json_object_get(o, "backendMs")) == 3.25);
    assert_int_equal(json_integer_value(json_object_get(o, "bytesOut")), 42);
    json_decref(o);
    free(text);
}

static void test_text_request_line(void **state)
{
    (void)state;
    gw_log_set_format(GW_LOG_TEXT);
    gw_log_set_level(GW_LOG_INFO);
    gw_log_request_t rq = {"id-2",
                           "4bf92f3577b34da6a3ce929d0e0e4736",
                           "anonymous",
                           "POST",
                           "/a\nfake line\r",
                           "unmatched",
                           NULL,
                           NULL,
                           404,
                           "not-found",
                           0.25,
                           -1,
                           -1,
                           -1,
                           7,
                           99};
    capture_begin();
    gw_log_request(GW_LOG_INFO, &rq);
    char *text = capture_end();
    assert_int_equal(strchr(text, '\n') - text + 1, (long)strlen(text)); /* one line */
    assert_non_null(strstr(text,
                           " access: POST /a?fake line? → 404 not-found 0.2 ms in 7 B out 99 B "
                           "id id-2 caller anonymous trace 4bf92f3577b34da6a3ce929d0e0e4736"));
    free(text);
}

static void test_parse(void **state)
{
    (void)state;
    assert_int_equal(gw_log_parse_format("json"), GW_LOG_JSON);
    assert_int_equal(gw_log_parse_format("text"), GW_LOG_TEXT);
    assert_int_equal(gw_log_parse_format("JSON "), -1);
    assert_int_equal(gw_log_parse_format(NULL), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_lines_survive_anything),
        cmocka_unit_test(test_request_line),
        cmocka_unit_test(test_text_request_line),
        cmocka_unit_test(test_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
