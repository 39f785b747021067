/* Unit tests of config/ and route/: good files load, every kind of bad file names its line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include "config/config.h"
#include "error/error.h"
#include "route/route.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int setup(void **state)
{
    (void)state;
    assert_int_equal(test_tmpdir("rfmgw-cfg"), 0);
    write_file("ca.pem", "not really a certificate\n");
    write_file("secret", "s3cret\n");
    write_file("routes.conf", "routes = ( { method = \"POST\"; path = \"/api/v1/x/{id}\";\n"
                              "  destination = \"d1\"; function = \"STFC_CONNECTION\"; } );\n");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return test_rmtmpdir();
}

#define DEST_OK                                                                                    \
    "destinations = ( { name = \"d1\"; host = \"https://my100000-api.example.com/\";\n"            \
    "  auth = { method = \"password\"; user = \"U\"; password_file = \"secret\"; };\n"             \
    "  tls = { ca_file = \"ca.pem\"; }; } );\n"

/* Loads `text` as gw.conf; returns the error text (static) or NULL when it loaded. */
static const char *load(const char *text, gw_config_t **out)
{
    static char errors[4096];
    char path[512];
    gw_cfg_errors_t e = {0};
    gw_buf_init(&e.text, 0);
    char *full = malloc(strlen(text) + 200);
    assert_non_null(full);
    /* every gateway needs a callers group; tests that are not about it get an open one */
    sprintf(full, "%s%s", text,
            strstr(text, "callers") ? ""
                                    : "callers = { methods = ( { name = \"open\"; type = "
                                      "\"none\"; } ); default = [ \"open\" ]; };\n");
    write_file("gw.conf", full);
    free(full);
    snprintf(path, sizeof(path), "%s/gw.conf", tmpdir);
    gw_config_t *c = NULL;
    int ret = gw_config_load(path, &c, &e);
    snprintf(errors, sizeof(errors), "%.*s", (int)e.text.len,
             e.text.data ? (char *)e.text.data : "");
    gw_buf_free(&e.text);
    if (out)
        *out = c;
    else
        gw_config_free(c);
    return ret == 0 ? NULL : errors;
}

static void expect_error(const char *text, const char *where, const char *what)
{
    const char *err = load(text, NULL);
    assert_non_null(err);
    if (strstr(err, where) == NULL || strstr(err, what) == NULL)
        fail_msg("expected '%s' and '%s' in: %s", where, what, err);
}

static void test_good_file_and_defaults(void **state)
{
    gw_config_t *c = NULL;
    (void)state;
    const char *err = load("listen = { port = 9090; };\nmappings = \"routes.conf\";\n" DEST_OK, &c);
    assert_null(err);
    assert_int_equal(c->listen.port, 9090);
    assert_string_equal(c->listen.address, "127.0.0.1");
    assert_int_equal(c->listen.max_body, 1048576);
    assert_int_equal(c->ndests, 1);
    const gw_dest_conf_t *d = gw_config_dest(c, "d1");
    assert_non_null(d);
    assert_string_equal(d->host, "my100000-api.example.com"); /* https:// and / stripped */
    assert_int_equal(d->port, 443);
    assert_string_equal(d->client, "by_hostname");
    assert_string_equal(d->auth.secret, "s3cret");
    assert_int_equal(d->tls.verify, 1);
    assert_non_null(strstr(d->tls.ca_file, tmpdir)); /* relative to the config file */
    assert_int_equal(d->pool.max, 4);

    gw_cfg_errors_t e = {0};
    gw_buf_init(&e.text, 0);
    gw_route_table_t *t = NULL;
    assert_int_equal(gw_route_table_load(c, &t, &e), 0);
    assert_int_equal(t->n, 1);
    gw_route_captures_t caps;
    int known;
    char allow[32];
    const gw_route_t *r = gw_route_match(t, gw_slice("POST"), gw_slice("/api/v1/x/42"), &caps,
                                         &known, allow, sizeof(allow));
    assert_non_null(r);
    assert_int_equal(caps.n, 1);
    assert_true(gw_slice_eq_str(caps.name[0], "id") && gw_slice_eq_str(caps.value[0], "42"));
    assert_null(gw_route_match(t, gw_slice("GET"), gw_slice("/api/v1/x/42"), &caps, &known, allow,
                               sizeof(allow)));
    assert_int_equal(known, 1);
    assert_string_equal(allow, "POST");
    assert_null(
        gw_route_match(t, gw_slice("POST"), gw_slice("/api/v1/x/42/more"), &caps, &known, NULL, 0));
    assert_int_equal(known, 0);
    assert_null(
        gw_route_match(t, gw_slice("POST"), gw_slice("/api/v1/x/"), &caps, &known, NULL, 0));
    gw_route_table_free(t);
    gw_buf_free(&e.text);
    gw_config_free(c);
}

static void test_bad_files_name_their_line(void **state)
{
    (void)state;
    expect_error("listen = { port = 8080 \n foo }\n", "gw.conf:2", "syntax error");
    expect_error("listen = {\n  port = 70000; };\n", "gw.conf:2", "between 0 and 65535");
    expect_error("listen = {\n  prot = 8080; };\n", "gw.conf:2", "unknown setting 'prot'");
    /* callers (docs/security.md) */
    expect_error("callers = { methods = (\n { name = \"k\"; type = \"apikey\"; } ); default = [ "
                 "\"k\" ]; };\n",
                 "gw.conf:2", "type must be api_key, basic, jwt, passthrough or none");
    expect_error("callers = { methods = (\n { name = \"k\"; type = \"api_key\"; } ); default = "
                 "[ \"k\" ]; };\n",
                 "gw.conf:2", "needs 'file'");
    expect_error("callers = { methods = ( { name = \"k\"; type = \"api_key\"; file = \"secret\";\n"
                 " algorithm = \"RS256\"; } ); default = [ \"k\" ]; };\n",
                 "gw.conf:2", "'algorithm' does not apply to type api_key");
    expect_error("callers = { methods = (\n { name = \"j\"; type = \"jwt\"; algorithm = "
                 "\"HS256\"; secret = \"too-short\"; } ); default = [ \"j\" ]; };\n",
                 "gw.conf:2", "at least 32 bytes");
    expect_error("callers = { methods = (\n { name = \"j\"; type = \"jwt\"; algorithm = "
                 "\"none\"; secret = \"x\"; } ); default = [ \"j\" ]; };\n",
                 "gw.conf:2", "algorithm must be HS256, RS256 or ES256");
    expect_error("callers = { methods = (\n { name = \"j\"; type = \"jwt\"; algorithm = "
                 "\"HS256\"; secret = \"${RFMGW_SURELY_UNSET_VAR}\"; } ); default = [ \"j\" ]; "
                 "};\n",
                 "gw.conf:2", "environment variable RFMGW_SURELY_UNSET_VAR is not set");
    expect_error("callers = { methods = ( { name = \"o\"; type = \"none\"; } );\n default = [ "
                 "\"x\" ]; };\n",
                 "gw.conf:2", "callers.default: no method named 'x'");
    expect_error("listen = { address = \"0.0.0.0\"; };\ncallers = { methods = (\n { name = "
                 "\"o\"; type = \"none\"; } ); default = [ \"o\" ]; };\n",
                 "gw.conf:3", "is not loopback");
    expect_error("cors = { enabled = true; origins = [ \"*\" ];\n credentials = true; };\n",
                 "gw.conf", "cannot be combined with origin");
    expect_error("listen = {\n  port = \"8080\"; };\n", "gw.conf:2", "must be an integer");
    expect_error("log = { level = \"loud\"; };\n", "gw.conf:1", "log.level");
    expect_error("destinations = ( {\n name = \"d\"; host = \"http://x.example\";\n"
                 " auth = { user = \"U\"; password = \"p\"; }; tls = { verify = false; }; } );\n",
                 "gw.conf:2", "plain http:// and ws://");
    expect_error("destinations = ( {\n name = \"d\"; host = \"x.example\";\n"
                 " auth = { user = \"U\"; }; tls = { verify = false; }; } );\n",
                 "gw.conf", "exactly one of 'password' and 'password_file'");
    expect_error("destinations = ( {\n name = \"d\"; host = \"x.example\";\n"
                 " auth = { user = \"U\"; password = \"p\"; }; } );\n",
                 "gw.conf", "tls.ca_file is required");
    expect_error("destinations = ( {\n name = \"d\"; host = \"x.example\"; client = \"1000\";\n"
                 " auth = { user = \"U\"; password = \"p\"; }; tls = { verify = false; }; } );\n",
                 "gw.conf:2", "three digits");
    expect_error("destinations = ( {\n name = \"d\"; host = \"x.example\";\n"
                 " auth = { method = \"certificate\"; cert = \"nope.pem\"; key = \"nope.key\"; };\n"
                 " tls = { verify = false; }; } );\n",
                 "gw.conf:3", "cannot read cert");
    expect_error("destinations = ( {\n host = \"x.example\"; } );\n", "gw.conf:1",
                 "missing required setting 'name'");
    expect_error("bogus = 1;\n", "gw.conf:1", "unknown setting 'bogus'");
}

static void test_missing_file_is_named(void **state)
{
    gw_cfg_errors_t e = {0};
    gw_config_t *c = NULL;
    (void)state;
    gw_buf_init(&e.text, 0);
    assert_int_equal(gw_config_load("/nonexistent/rfmgw.conf", &c, &e), GW_ECONFIG);
    assert_null(c);
    assert_non_null(strstr((char *)e.text.data, "/nonexistent/rfmgw.conf: cannot open"));
    gw_buf_free(&e.text);
}

static const char *route_errors(const char *routes)
{
    static char errors[4096];
    gw_config_t *c = NULL;
    write_file("routes.conf", routes);
    assert_null(load("mappings = \"routes.conf\";\n" DEST_OK, &c));
    gw_cfg_errors_t e = {0};
    gw_buf_init(&e.text, 0);
    gw_route_table_t *t = NULL;
    int ret = gw_route_table_load(c, &t, &e);
    snprintf(errors, sizeof(errors), "%.*s", (int)e.text.len,
             e.text.data ? (char *)e.text.data : "");
    gw_buf_free(&e.text);
    gw_route_table_free(t);
    gw_config_free(c);
    return ret == 0 ? NULL : errors;
}

static void test_bad_routes(void **state)
{
    (void)state;
    const char *err;
    err =
        route_errors("routes = (\n { method = \"POST\"; path = \"/healthz\"; destination = \"d1\";"
                     " function = \"F\"; } );\n");
    assert_non_null(err);
    assert_non_null(strstr(err, "routes.conf:2"));
    assert_non_null(strstr(err, "reserved"));
    err = route_errors("routes = (\n { method = \"POST\"; path = \"/a/{x}\"; destination = \"d1\";"
                       " function = \"F\"; },\n { method = \"POST\"; path = \"/a/{y}\"; destination"
                       " = \"d1\"; function = \"G\"; } );\n");
    assert_non_null(err);
    assert_non_null(strstr(err, "routes.conf:3"));
    assert_non_null(strstr(err, "duplicates or overlaps"));
    err = route_errors("routes = (\n { method = \"POST\"; path = \"/a\"; destination = \"nope\";"
                       " function = \"F\"; } );\n");
    assert_non_null(err);
    assert_non_null(strstr(err, "unknown destination 'nope'"));
    err = route_errors("routes = (\n { method = \"FETCH\"; path = \"/a\"; destination = \"d1\";"
                       " function = \"lower\"; } );\n");
    assert_non_null(err);
    assert_non_null(strstr(err, "method must be"));
    assert_non_null(strstr(err, "not a valid function module name"));
    assert_null(route_errors("routes = ( { method = \"GET\"; path = \"/a\"; destination = \"d1\";"
                             " function = \"/ABC/Z_F1\"; } );\n"));
}

#define DEST_IDS(extra)                                                                            \
    "destinations = ( { name = \"d1\"; host = \"my100000-api.example.com\";\n"                     \
    "  auth = { method = \"password\"; user = \"U\"; password_file = \"secret\"; };\n"             \
    "  tls = { ca_file = \"ca.pem\"; }; pool = { max = 6; min_idle = 2; };\n" extra " } );\n"

/* destinations[].identities and passthrough: each identity a copy of the destination with its own
 * auth and caps; the same checks as the destination's auth; reserved names; plain HTTP refused */
static void test_identities(void **state)
{
    (void)state;
    gw_config_t *c = NULL;
    const char *err =
        load("callers = { methods = ( { name = \"open\"; type = \"none\"; } ); "
             "default = [ \"open\" ]; };\n" DEST_IDS(
                 "identities = (\n"
                 "  { name = \"sales\"; auth = { user = \"S\"; password = \"p\"; };\n"
                 "    callers = [ \"apps:shop\" ]; scopes = [ \"sales\", \"x\" ]; },\n"
                 "  { name = \"two\"; pool_max = 2; auth = { user = \"T\"; "
                 "password_file = \"secret\"; alias_user = true; }; } );\n"
                 "passthrough = { enabled = true; max_identities = 7; };"),
             &c);
    if (err)
        fail_msg("%s", err);
    const gw_dest_conf_t *d = gw_config_dest(c, "d1");
    assert_non_null(d);
    assert_int_equal(d->nidentities, 2);
    const gw_ident_conf_t *s = gw_config_identity(d, "sales");
    assert_non_null(s);
    assert_string_equal(s->dest.auth.user, "S");
    assert_string_equal(s->dest.auth.secret, "p");
    assert_int_equal(s->dest.pool.max, 6); /* pool_max 0: the destination's */
    assert_int_equal(s->dest.pool.min_idle, 0);
    assert_string_equal(s->dest.host, "my100000-api.example.com");
    assert_int_equal(s->ncallers, 1);
    assert_string_equal(s->callers[0], "apps:shop");
    assert_int_equal(s->nscopes, 2);
    const gw_ident_conf_t *t = gw_config_identity(d, "two");
    assert_non_null(t);
    assert_int_equal(t->dest.pool.max, 2);
    assert_true(t->dest.auth.alias_user);
    assert_string_equal(t->dest.auth.secret, "s3cret");
    assert_null(gw_config_identity(d, "none"));
    assert_int_equal(d->passthrough.enabled, 1);
    assert_int_equal(d->passthrough.max_identities, 7);
    assert_int_equal(d->passthrough.pool_max, 2);
    assert_int_equal(d->pool.total_max, 0);
    gw_config_free(c);

    expect_error(DEST_IDS("identities = ( { name = \"a\"; auth = { user = \"S\"; }; } );"),
                 "gw.conf:4", "exactly one of 'password' and 'password_file'");
    expect_error(DEST_IDS("identities = ( { name = \"passthrough\"; auth = { user = \"S\"; "
                          "password = \"p\"; }; } );"),
                 "gw.conf:4", "identity name 'passthrough' is reserved");
    expect_error(
        DEST_IDS("identities = ( { name = \"a\"; auth = { user = \"S\"; password = \"p\"; }; },"
                 " { name = \"a\"; auth = { user = \"S\"; password = \"p\"; }; } );"),
        "gw.conf:4", "duplicate identity 'a'");
    expect_error(DEST_IDS("identities = ( { name = \"a\"; } );"), "gw.conf:4",
                 "identity 'a' has no auth group");
    expect_error(
        DEST_IDS("identities = ( { name = \"a\"; auth = { user = \"S\"; password = \"p\"; };"
                 " nope = 1; } );"),
        "gw.conf:4", "nope");
    expect_error(
        "listen = { address = \"0.0.0.0\"; };\n"
        "callers = { methods = ( { name = \"k\"; type = \"api_key\"; file = \"secret\"; } );"
        " default = [ \"k\" ]; };\n" DEST_IDS("passthrough = { enabled = true; };"),
        "gw.conf", "needs HTTPS (listen.tls_cert)");
    /* the same on an HTTPS listener is fine */
    const char *ok = load(
        "listen = { address = \"0.0.0.0\"; tls_cert = \"ca.pem\"; tls_key = "
        "\"secret\"; };\n"
        "callers = { methods = ( { name = \"k\"; type = \"api_key\"; file = "
        "\"secret\"; } ); default = [ \"k\" ]; };\n" DEST_IDS("passthrough = { enabled = true; };"),
        NULL);
    if (ok)
        fail_msg("pass-through on an HTTPS listener refused: %s", ok);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_file_and_defaults),
        cmocka_unit_test(test_bad_files_name_their_line),
        cmocka_unit_test(test_missing_file_is_named),
        cmocka_unit_test(test_bad_routes),
        cmocka_unit_test(test_identities),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
