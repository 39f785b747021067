/* Unit tests of abapsim without the network: passwords, configuration, logon, RFM registry. */
#include "sim/sim.h"
#include "error/error.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testutil.h"

#include <openssl/evp.h>

#include <regex.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- helpers ------------------------------------------------------------ */

static char good_hash[GW_PW_HASH_STR_MAX];
static char cert_hash[GW_PW_HASH_STR_MAX];

static int setup_dir(void **state)
{
    (void)state;
    if (test_tmpdir("test_sim") != 0)
        return -1;
    char path[512];
    snprintf(path, sizeof(path), "%s/pki", tmpdir);
    if (mkdir(path, 0700) != 0)
        return -1;
    write_file("pki/server.pem", "not checked here\n");
    write_file("pki/server.key", "not checked here\n");
    write_file("pki/ca.pem", "not checked here\n");
    if (gw_password_hash("Demo-Passw0rd", 13, 1000, good_hash, sizeof(good_hash)) != 0 ||
        gw_password_hash("Cert-Passw0rd", 13, 1000, cert_hash, sizeof(cert_hash)) != 0)
        return -1;
    return 0;
}

static int teardown_dir(void **state)
{
    (void)state;
    return test_rmtmpdir();
}

#define GOOD_CONFIG_FMT                                                                            \
    "system = { sid = \"A4H\"; release = \"758\"; };\n"                                            \
    "listen = { address = \"127.0.0.1\"; port = 0; };\n"                                           \
    "tls = { cert = \"pki/server.pem\"; key = \"pki/server.key\"; client_ca = \"pki/ca.pem\"; "    \
    "};\n"                                                                                         \
    "hosts = ( { name = \"my100000-api.abapsim.test\"; client = \"100\"; },\n"                     \
    "          { name = \"My200000-API.abapsim.test\"; client = \"200\"; } );\n"                   \
    "users = ( { name = \"CC0000000001\"; alias = \"RFMGW_DEMO\"; password = \"%s\"; },\n"         \
    "          { name = \"CC0000000002\"; password = \"%s\"; locked = false; },\n"                 \
    "          { name = \"CC0000000003\"; password = \"%s\"; locked = true; } );\n"                \
    "certificates = ( { subject = \"CN=RFMGW_CERT_USER,O=rfmgw demo\"; user = \"CC0000000002\"; "  \
    "},\n"                                                                                         \
    "                 { fingerprint = \"%s\"; user = \"CC0000000001\"; } );\n"

#define FP_HEX "00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF"

static int load_text(const char *text, sim_config_t *cfg, char *err, size_t errlen)
{
    write_file("sim.conf", text);
    char path[512];
    snprintf(path, sizeof(path), "%s/sim.conf", tmpdir);
    return sim_config_load(cfg, path, err, errlen);
}

static void load_good(sim_config_t *cfg)
{
    char text[4096], err[600];
    snprintf(text, sizeof(text), GOOD_CONFIG_FMT, good_hash, cert_hash, good_hash, FP_HEX);
    int ret = load_text(text, cfg, err, sizeof(err));
    if (ret != 0)
        fail_msg("%s", err);
}

/* Expects a config error whose message contains `want`. */
static void expect_bad(const char *text, const char *want)
{
    sim_config_t cfg;
    char err[600];
    assert_int_equal(load_text(text, &cfg, err, sizeof(err)), GW_ECONFIG);
    if (strstr(err, want) == NULL)
        fail_msg("error '%s' does not contain '%s'", err, want);
}

/* ---- passwords ---------------------------------------------------------- */

static void password_round_trip(void **state)
{
    (void)state;
    char line[GW_PW_HASH_STR_MAX];
    gw_pwhash_t h;
    assert_int_equal(gw_password_hash("s3cret", 6, 1000, line, sizeof(line)), 0);
    assert_true(strncmp(line, "pbkdf2-sha256$1000$", 19) == 0);
    assert_int_equal(gw_password_parse(line, &h), 0);
    assert_int_equal(h.iterations, 1000);
    assert_int_equal(h.salt_len, GW_PW_SALT_LEN);
    assert_int_equal(gw_password_verify(&h, "s3cret", 6), 0);

    /* two hashes of one password differ (random salt) but both verify */
    char line2[GW_PW_HASH_STR_MAX];
    gw_pwhash_t h2;
    assert_int_equal(gw_password_hash("s3cret", 6, 1000, line2, sizeof(line2)), 0);
    assert_string_not_equal(line, line2);
    assert_int_equal(gw_password_parse(line2, &h2), 0);
    assert_int_equal(gw_password_verify(&h2, "s3cret", 6), 0);
}

static void password_wrong_rejected(void **state)
{
    (void)state;
    char line[GW_PW_HASH_STR_MAX];
    gw_pwhash_t h;
    assert_int_equal(gw_password_hash("s3cret", 6, 1000, line, sizeof(line)), 0);
    assert_int_equal(gw_password_parse(line, &h), 0);
    assert_int_equal(gw_password_verify(&h, "s3creT", 6), GW_ELOGON);
    assert_int_equal(gw_password_verify(&h, "s3cre", 5), GW_ELOGON);
    assert_int_equal(gw_password_verify(&h, "s3cret ", 7), GW_ELOGON);
    assert_int_equal(gw_password_verify(&h, "", 0), GW_ELOGON);
}

static void password_known_vector(void **state)
{
    (void)state;
    /* PBKDF2-HMAC-SHA256("password", "salt", 1 iteration): RFC 7914 section 11 style vector */
    uint8_t want[32];
    assert_int_equal(PKCS5_PBKDF2_HMAC("password", 8, (const unsigned char *)"saltsalt", 8, 2,
                                       EVP_sha256(), 32, want),
                     1);
    char b64[64];
    EVP_EncodeBlock((unsigned char *)b64, want, 32);
    char line[200];
    snprintf(line, sizeof(line), "pbkdf2-sha256$2$c2FsdHNhbHQ=$%s", b64);
    gw_pwhash_t h;
    assert_int_equal(gw_password_parse(line, &h), 0);
    assert_int_equal(gw_password_verify(&h, "password", 8), 0);
}

static void password_malformed_rejected(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "pbkdf2-sha256$",
        "pbkdf2-sha1$1000$c2FsdHNhbHQ=$x62hp+FiVcUzeziUhWECMBB5dD+GiqBK73U6USMec1w=",
        "pbkdf2-sha256$0$c2FsdHNhbHQ=$x62hp+FiVcUzeziUhWECMBB5dD+GiqBK73U6USMec1w=",
        "pbkdf2-sha256$01000$c2FsdHNhbHQ=$x62hp+FiVcUzeziUhWECMBB5dD+GiqBK73U6USMec1w=",
        "pbkdf2-sha256$-5$c2FsdHNhbHQ=$x62hp+FiVcUzeziUhWECMBB5dD+GiqBK73U6USMec1w=",
        "pbkdf2-sha256$99999999$c2FsdHNhbHQ=$x62hp+FiVcUzeziUhWECMBB5dD+GiqBK73U6USMec1w=",
        "pbkdf2-sha256$1000$$x62hp+FiVcUzeziUhWECMBB5dD+GiqBK73U6USMec1w=",
        "pbkdf2-sha256$1000$c2FsdA==$x62hp+FiVcUzeziUhWECMBB5dD+GiqBK73U6USMec1w=", /* 4-byte salt
                                                                                     */
        "pbkdf2-sha256$1000$c2FsdHNhbHQ=$x62hp+FiVcUzeziUhWECMBB5dD+GiqBK73U6USMec1w",
        "pbkdf2-sha256$1000$c2FsdHNhbHQ=$x62hp+FiVcUzeziUhWECMBB5dD+GiqBK73U6USMec1w=$",
        "pbkdf2-sha256$1000$c2FsdHNhbHQ=$x62hp+FiVcUzeziUhWECMBB5dD+GiqBK73U6USMe=1w=",
        "pbkdf2-sha256$1000$c2FsdHNhbHQ=$x62hp+FiVcUzeziUhWECMBB5dD+GiqBK73U6USMe*1w=",
        "pbkdf2-sha256$1000$c2FsdHNhbHQ=$dG9vIHNob3J0", /* 9-byte hash */
        "Demo-Passw0rd",
    };
    gw_pwhash_t h;
    for (size_t i = 0; i < GW_ARRAY_SIZE(bad); i++)
        if (gw_password_parse(bad[i], &h) != GW_EINVAL)
            fail_msg("accepted malformed hash '%s'", bad[i]);
    char out[GW_PW_HASH_STR_MAX];
    assert_int_equal(gw_password_hash("x", 1, 0, out, sizeof(out)), GW_EINVAL);
    assert_int_equal(gw_password_hash("x", 1, GW_PW_MAX_ITERATIONS + 1, out, sizeof(out)),
                     GW_EINVAL);
    assert_int_equal(gw_password_hash("x", 1, 1000, out, 20), GW_EINVAL);
}

/* ---- configuration ------------------------------------------------------ */

static void config_good(void **state)
{
    (void)state;
    sim_config_t cfg;
    load_good(&cfg);
    assert_string_equal(cfg.sid, "A4H");
    assert_string_equal(cfg.release, "758");
    assert_string_equal(cfg.timezone, "UTC"); /* default */
    assert_string_equal(cfg.address, "127.0.0.1");
    assert_int_equal(cfg.port, 0);
    assert_string_equal(cfg.path, GW_WIRE_DEFAULT_PATH); /* default */
    assert_int_equal(cfg.max_message, 16 * 1024 * 1024); /* default, group absent */
    char want[600];
    snprintf(want, sizeof(want), "%s/pki/server.pem", tmpdir); /* relative to the file */
    assert_string_equal(cfg.tls_cert, want);
    snprintf(want, sizeof(want), "%s/pki/ca.pem", tmpdir);
    assert_string_equal(cfg.tls_client_ca, want);
    assert_int_equal(cfg.nhosts, 2);
    assert_non_null(sim_config_find_host(&cfg, "MY100000-api.abapsim.test"));
    assert_string_equal(sim_config_find_host(&cfg, "my200000-api.abapsim.test")->client, "200");
    assert_null(sim_config_find_host(&cfg, "my300000-api.abapsim.test"));
    assert_int_equal(cfg.nusers, 3);
    assert_string_equal(cfg.users[0].alias, "RFMGW_DEMO");
    assert_null(cfg.users[1].alias);
    assert_false(cfg.users[1].locked);
    assert_true(cfg.users[2].locked);
    assert_int_equal(cfg.users[0].password.iterations, 1000);
    assert_int_equal(cfg.ncerts, 2);
    assert_ptr_equal(cfg.certs[0].user, &cfg.users[1]);
    assert_true(cfg.certs[1].has_fingerprint);
    assert_int_equal(cfg.certs[1].fingerprint[31], 0xff);
    sim_config_free(&cfg);
}

static void config_shipped_file_loads(void **state)
{
    (void)state;
    /* conf/abapsim.conf names run/demo-pki; only check it parses up to the files */
    sim_config_t cfg;
    char err[600];
    int ret = sim_config_load(&cfg, RFMGW_SOURCE_DIR "/conf/abapsim.conf", err, sizeof(err));
    if (ret == 0) {
        assert_int_equal(cfg.nusers, 3);
        sim_config_free(&cfg);
    } else if (strstr(err, "tls.cert: cannot read") == NULL) {
        fail_msg("conf/abapsim.conf: %s", err);
    }
}

static void config_missing_file(void **state)
{
    (void)state;
    sim_config_t cfg;
    char err[600];
    assert_int_equal(sim_config_load(&cfg, "/nonexistent/abapsim.conf", err, sizeof(err)),
                     GW_ECONFIG);
    assert_non_null(strstr(err, "/nonexistent/abapsim.conf: cannot open: No such file"));
}

static void config_syntax_error_has_line(void **state)
{
    (void)state;
    expect_bad("system = { sid = \"A4H\"; };\n"
               "listen = { port = 8443 }\n"
               "tls = { cert = ; };\n",
               "sim.conf:3: syntax error");
}

static void config_wrong_types(void **state)
{
    (void)state;
    expect_bad("listen = { port = \"8443\"; };\n", "sim.conf:1: listen.port: expected an integer");
    expect_bad("system = { sid = 42; };\n", "sim.conf:1: system.sid: expected a string");
    expect_bad("tls = { cert = \"pki/server.pem\"; key = \"pki/server.key\"; };\n"
               "hosts = ( { name = \"h\"; client = \"100\"; } );\n"
               "users = ( { name = \"U\"; locked = 1; } );\n",
               "sim.conf:3: users[0].locked: expected a boolean");
    expect_bad("system = ( 1, 2 );\n", "sim.conf:1: system: expected a group");
    expect_bad("tls = { cert = \"pki/server.pem\"; key = \"pki/server.key\"; };\n"
               "hosts = { name = \"h\"; client = \"100\"; };\n",
               "sim.conf:2: hosts: expected a list");
}

static void config_bad_values(void **state)
{
    (void)state;
    static const char *tls = "tls = { cert = \"pki/server.pem\"; key = \"pki/server.key\"; };\n";
    static const char *hosts = "hosts = ( { name = \"h\"; client = \"100\"; } );\n";
    char text[2048];

    snprintf(text, sizeof(text), "%s%slisten = { port = 70000; };\n", tls, hosts);
    expect_bad(text, "sim.conf:3: listen.port: 70000 is out of range 0..65535");
    snprintf(text, sizeof(text), "%s%ssystem = { bogus = 1; };\n", tls, hosts);
    expect_bad(text, "sim.conf:3: system: unknown setting 'bogus'");
    snprintf(text, sizeof(text), "%s%sextra = 1;\n", tls, hosts);
    expect_bad(text, "sim.conf:3: unknown setting 'extra'");
    snprintf(text, sizeof(text), "%s", hosts);
    expect_bad(text, "missing required group 'tls'");
    snprintf(text, sizeof(text), "%s%ssystem = { sid = \"a4h\"; };\n", tls, hosts);
    expect_bad(text, "sim.conf:3: system.sid: 'a4h'");
    snprintf(text, sizeof(text), "%s%ssystem = { timezone = \"Mars/Olympus\"; };\n", tls, hosts);
    expect_bad(text, "system.timezone: unknown time zone");
    snprintf(text, sizeof(text), "%shosts = ( { name = \"h\"; client = \"1x0\"; } );\n", tls);
    expect_bad(text, "sim.conf:2: hosts[0].client: '1x0' must be three digits");
    snprintf(text, sizeof(text), "%shosts = ( { name = \"h\"; } );\n", tls);
    expect_bad(text, "sim.conf:2: hosts[0]: missing required setting 'client'");
    snprintf(text, sizeof(text), "%shosts = ( );\n", tls);
    expect_bad(text, "hosts: at least one host");
    snprintf(text, sizeof(text),
             "tls = { cert = \"pki/nope.pem\"; key = \"pki/server.key\"; };\n%s", hosts);
    expect_bad(text, "sim.conf:1: tls.cert: cannot read");
}

static void config_bad_users(void **state)
{
    (void)state;
    static const char *head = "tls = { cert = \"pki/server.pem\"; key = \"pki/server.key\"; };\n"
                              "hosts = ( { name = \"h\"; client = \"100\"; } );\n";
    char text[2048];

    snprintf(text, sizeof(text),
             "%susers = ( { name = \"U1\";\n password = \"Demo-Passw0rd\"; } );\n", head);
    expect_bad(text, "sim.conf:4: users[0].password: not a valid hash");
    snprintf(text, sizeof(text),
             "%susers = ( { name = \"U1\"; password = \"%s\"; },\n { name = \"U1\"; } );\n", head,
             good_hash);
    expect_bad(text, "sim.conf:4: users[1].name: duplicate user 'U1'");
    snprintf(text, sizeof(text), "%susers = ( { name = \"lower\"; } );\n", head);
    expect_bad(text, "users[0].name: 'lower' must be upper case");
    snprintf(text, sizeof(text),
             "%susers = ( { name = \"U1\"; } );\n"
             "certificates = ( { subject = \"CN=X\"; user = \"U2\"; } );\n",
             head);
    expect_bad(text, "sim.conf:4: certificates[0].user: no user 'U2'");
    snprintf(text, sizeof(text),
             "%susers = ( { name = \"U1\"; } );\n"
             "certificates = ( { user = \"U1\"; } );\n",
             head);
    expect_bad(text, "certificates[0]: give exactly one of 'subject' or 'fingerprint'");
    snprintf(text, sizeof(text),
             "%susers = ( { name = \"U1\"; } );\n"
             "certificates = ( { fingerprint = \"%.63sz\"; user = \"U1\"; } );\n",
             head, FP_HEX);
    expect_bad(text, "certificates[0].fingerprint: expected 64 hex digits");
}

/* ---- logon -------------------------------------------------------------- */

static char auth_hdr[256];

static const char *basic(const char *user, const char *pw)
{
    char raw[128];
    int n = snprintf(raw, sizeof(raw), "%s:%s", user, pw);
    memcpy(auth_hdr, "Basic ", 6);
    EVP_EncodeBlock((unsigned char *)auth_hdr + 6, (const unsigned char *)raw, n);
    return auth_hdr;
}

static void logon_rules(void **state)
{
    (void)state;
    sim_config_t cfg;
    sim_logon_t out;
    char why[256];
    load_good(&cfg);

    sim_logon_req_t r = {.host = "my100000-api.abapsim.test:8443",
                         .authorization = basic("CC0000000001", "Demo-Passw0rd")};
    assert_int_equal(sim_logon(&cfg, &r, &out, why, sizeof(why)), 0);
    assert_string_equal(out.user, "CC0000000001");
    assert_string_equal(out.client, "100");
    assert_string_equal(out.host, "my100000-api.abapsim.test");
    assert_string_equal(out.language, "E");
    assert_string_equal(out.method, "password");

    /* user names are case-insensitive, passwords are not */
    r.authorization = basic("cc0000000001", "Demo-Passw0rd");
    assert_int_equal(sim_logon(&cfg, &r, &out, why, sizeof(why)), 0);
    r.authorization = basic("CC0000000001", "demo-passw0rd");
    assert_int_equal(sim_logon(&cfg, &r, &out, why, sizeof(why)), GW_ELOGON);
    assert_non_null(strstr(why, "wrong password"));
    assert_null(strstr(why, "emo-"));

    /* alias: only with the flag; OPEN reports the technical user */
    r.authorization = basic("RFMGW_DEMO", "Demo-Passw0rd");
    assert_int_equal(sim_logon(&cfg, &r, &out, why, sizeof(why)), GW_ELOGON);
    assert_non_null(strstr(why, "alias"));
    r.alias = "true";
    assert_int_equal(sim_logon(&cfg, &r, &out, why, sizeof(why)), 0);
    assert_string_equal(out.user, "CC0000000001");
    assert_string_equal(out.method, "alias");
    r.authorization = basic("CC0000000001", "Demo-Passw0rd"); /* technical name with the flag */
    assert_int_equal(sim_logon(&cfg, &r, &out, why, sizeof(why)), GW_ELOGON);
    r.alias = NULL;

    /* locked and unknown users */
    r.authorization = basic("CC0000000003", "Demo-Passw0rd");
    assert_int_equal(sim_logon(&cfg, &r, &out, why, sizeof(why)), GW_ELOGON);
    assert_non_null(strstr(why, "locked"));
    r.authorization = basic("NOBODY", "x");
    assert_int_equal(sim_logon(&cfg, &r, &out, why, sizeof(why)), GW_ELOGON);
    r.authorization = "Bearer abc";
    assert_int_equal(sim_logon(&cfg, &r, &out, why, sizeof(why)), GW_ELOGON);
    r.authorization = "Basic !!!!";
    assert_int_equal(sim_logon(&cfg, &r, &out, why, sizeof(why)), GW_ELOGON);
    r.authorization = NULL;
    assert_int_equal(sim_logon(&cfg, &r, &out, why, sizeof(why)), GW_ELOGON);

    /* explicit client: must be a configured one */
    r.authorization = basic("CC0000000001", "Demo-Passw0rd");
    r.client = "200";
    assert_int_equal(sim_logon(&cfg, &r, &out, why, sizeof(why)), 0);
    assert_string_equal(out.client, "200");
    r.client = "300";
    assert_int_equal(sim_logon(&cfg, &r, &out, why, sizeof(why)), GW_ELOGON);
    r.client = NULL;
    r.language = "de";
    assert_int_equal(sim_logon(&cfg, &r, &out, why, sizeof(why)), 0);
    assert_string_equal(out.language, "D");

    /* certificates: by subject, by fingerprint; unmapped fails even with a good password */
    uint8_t fp[32];
    for (int i = 0; i < 32; i++)
        fp[i] = (uint8_t)((i % 16) * 0x11);
    sim_logon_req_t c = {.host = "my200000-api.abapsim.test",
                         .has_cert = 1,
                         .cert_subject = "CN=RFMGW_CERT_USER,O=rfmgw demo"};
    assert_int_equal(sim_logon(&cfg, &c, &out, why, sizeof(why)), 0);
    assert_string_equal(out.user, "CC0000000002");
    assert_string_equal(out.client, "200");
    assert_string_equal(out.method, "certificate");
    c.cert_subject = "CN=SOMEONE,O=rfmgw demo";
    c.cert_sha256 = fp;
    assert_int_equal(sim_logon(&cfg, &c, &out, why, sizeof(why)), 0);
    assert_string_equal(out.user, "CC0000000001");
    fp[0] ^= 1;
    c.authorization = basic("CC0000000001", "Demo-Passw0rd");
    assert_int_equal(sim_logon(&cfg, &c, &out, why, sizeof(why)), GW_ELOGON);
    assert_non_null(strstr(why, "not mapped"));

    /* unknown host */
    r.host = "elsewhere.test";
    assert_int_equal(sim_logon(&cfg, &r, &out, why, sizeof(why)), GW_ELOGON);
    sim_config_free(&cfg);
}

static void host_strip_port(void **state)
{
    (void)state;
    char out[64];
    assert_int_equal(sim_host_strip_port("a.test:8443", out, sizeof(out)), 0);
    assert_string_equal(out, "a.test");
    assert_int_equal(sim_host_strip_port("a.test", out, sizeof(out)), 0);
    assert_string_equal(out, "a.test");
    assert_int_equal(sim_host_strip_port("[::1]:8443", out, sizeof(out)), 0);
    assert_string_equal(out, "[::1]");
    assert_int_equal(sim_host_strip_port(":8443", out, sizeof(out)), GW_EINVAL);
    assert_int_equal(sim_host_strip_port(NULL, out, sizeof(out)), GW_EINVAL);
}

/* ---- RFM registry ------------------------------------------------------- */

typedef struct {
    sim_config_t cfg;
    sim_logon_t logon;
    sim_state_t st;
    gw_arena_t arena;
    sim_call_ctx_t ctx;
} call_fixture_t;

static void fixture_init(call_fixture_t *f)
{
    memset(f, 0, sizeof(*f));
    f->cfg.sid = "A4H";
    f->cfg.release = "758";
    f->cfg.timezone = "UTC";
    snprintf(f->logon.client, sizeof(f->logon.client), "100");
    snprintf(f->logon.user, sizeof(f->logon.user), "CC0000000001");
    f->logon.language[0] = 'E';
    sim_state_init(&f->st);
    gw_arena_init(&f->arena, 0);
    f->ctx.arena = &f->arena;
    f->ctx.cfg = &f->cfg;
    f->ctx.logon = &f->logon;
    f->ctx.state = &f->st;
    f->ctx.now = 1795461556; /* 2026-11-23 19:19:16 UTC */
}

static void fixture_free(call_fixture_t *f)
{
    gw_arena_free(&f->arena);
    sim_state_reset(&f->st);
}

static gw_wire_call_t make_call(const char *fn, gw_rfc_field_t *params, uint32_t n)
{
    gw_wire_call_t c;
    memset(&c, 0, sizeof(c));
    c.function = gw_slice(fn);
    c.trace = gw_slice("");
    c.nwant = GW_WIRE_WANT_ALL;
    c.nparams = n;
    c.params = params;
    return c;
}

static const gw_rfc_value_t *result(const gw_wire_result_t *r, const char *name)
{
    const gw_rfc_field_t *f = gw_rfc_fields_find(r->params, r->nparams, gw_slice(name));
    return f ? &f->value : NULL;
}

static void stfc_connection_call(void **state)
{
    (void)state;
    call_fixture_t f;
    fixture_init(&f);
    setenv("TZ", "UTC", 1);
    tzset();
    const sim_rfm_t *rfm = sim_rfm_find(gw_slice("STFC_CONNECTION"));
    assert_non_null(rfm);
    gw_rfc_field_t p = {GW_SLICE_LIT("REQUTEXT"),
                        {.type = GW_RFC_CHAR, .u.s = GW_SLICE_LIT("Hello abapsim   ")}};
    gw_wire_call_t call = make_call("STFC_CONNECTION", &p, 1);
    gw_wire_result_t res;
    assert_int_equal(sim_rfm_call(&f.ctx, rfm, &call, &res), 0);
    assert_int_equal(res.nparams, 2);
    const gw_rfc_value_t *echo = result(&res, "ECHOTEXT");
    const gw_rfc_value_t *resp = result(&res, "RESPTEXT");
    assert_non_null(echo);
    assert_non_null(resp);
    assert_int_equal(echo->type, GW_RFC_CHAR);
    assert_true(gw_slice_eq_str(echo->u.s, "Hello abapsim")); /* trailing blanks removed */

    char *text = gw_arena_slice_str(&f.arena, resp->u.s);
    regex_t re;
    assert_int_equal(regcomp(&re,
                             "^SAP R/3 Rel\\. 758   Sysid: A4H   Date: [0-9]{8}   "
                             "Time: [0-9]{6}   Logon_Data: 100/CC0000000001/E$",
                             REG_EXTENDED | REG_NOSUB),
                     0);
    int m = regexec(&re, text, 0, NULL, 0);
    regfree(&re);
    if (m != 0)
        fail_msg("RESPTEXT '%s' does not match", text);
    assert_non_null(strstr(text, "Date: 20261123   Time: 191916"));
    assert_int_equal(f.st.calls, 1);

    /* REQUTEXT is optional; ECHOTEXT is then initial (empty on the wire) */
    call = make_call("STFC_CONNECTION", NULL, 0);
    gw_slice_t want = GW_SLICE_LIT("ECHOTEXT");
    call.nwant = 1;
    call.want = &want;
    assert_int_equal(sim_rfm_call(&f.ctx, rfm, &call, &res), 0);
    assert_int_equal(res.nparams, 1);
    assert_int_equal(result(&res, "ECHOTEXT")->u.s.len, 0);

    /* a text longer than CHAR 255 is cut */
    char longtext[600];
    memset(longtext, 'x', sizeof(longtext));
    p.value.u.s = (gw_slice_t){longtext, sizeof(longtext)};
    call = make_call("STFC_CONNECTION", &p, 1);
    assert_int_equal(sim_rfm_call(&f.ctx, rfm, &call, &res), 0);
    assert_int_equal(result(&res, "ECHOTEXT")->u.s.len, 255);

    /* wrong type: CALL_FUNCTION_CONFLICT_TYPE */
    p.value.type = GW_RFC_INT4;
    p.value.u.i = 5;
    assert_int_not_equal(sim_rfm_call(&f.ctx, rfm, &call, &res), 0);
    assert_int_equal(f.ctx.error.group, GW_RFC_ERR_RUNTIME_FAILURE);
    assert_true(gw_slice_eq_str(f.ctx.error.key, "CALL_FUNCTION_CONFLICT_TYPE"));
    fixture_free(&f);
}

static void rfc_ping_call(void **state)
{
    (void)state;
    call_fixture_t f;
    fixture_init(&f);
    const sim_rfm_t *rfm = sim_rfm_find(gw_slice("RFC_PING"));
    assert_non_null(rfm);
    assert_int_equal(rfm->desc.nparams, 0);
    gw_wire_call_t call = make_call("RFC_PING", NULL, 0);
    gw_wire_result_t res;
    assert_int_equal(sim_rfm_call(&f.ctx, rfm, &call, &res), 0);
    assert_int_equal(res.nparams, 0);
    fixture_free(&f);
}

static void describe_matches_definition(void **state)
{
    (void)state;
    const sim_rfm_t *rfm = sim_rfm_find(gw_slice("STFC_CONNECTION"));
    assert_non_null(rfm);
    static const struct {
        const char *name;
        int dir;
    } want[] = {{"REQUTEXT", GW_RFC_IMPORTING},
                {"ECHOTEXT", GW_RFC_EXPORTING},
                {"RESPTEXT", GW_RFC_EXPORTING}};
    assert_int_equal(rfm->desc.nparams, 3);
    for (size_t i = 0; i < 3; i++) {
        const gw_rfc_param_t *p = gw_rfc_func_param(&rfm->desc, gw_slice(want[i].name));
        assert_non_null(p);
        assert_int_equal(p->direction, want[i].dir);
        assert_int_equal(p->type->type, GW_RFC_CHAR);
        assert_int_equal(p->type->length, 255);
    }
    assert_true(gw_rfc_func_param(&rfm->desc, gw_slice("REQUTEXT"))->optional);

    /* the DESCRIPTION message carries exactly the registry's definition */
    gw_wire_msg_t m, back;
    memset(&m, 0, sizeof(m));
    m.type = GW_WIRE_DESCRIPTION;
    m.seq = 7;
    m.u.description = rfm->desc;
    gw_buf_t b;
    gw_buf_init(&b, 0);
    assert_int_equal(gw_wire_encode(&b, &m), 0);
    gw_arena_t a;
    gw_arena_init(&a, 0);
    gw_wire_limits_t lim = gw_wire_limits_default();
    const char *why = NULL;
    assert_int_equal(gw_wire_decode(&a, b.data, b.len, &lim, &back, &why), 0);
    assert_int_equal(back.type, GW_WIRE_DESCRIPTION);
    assert_int_equal(back.seq, 7);
    assert_true(gw_slice_eq(back.u.description.name, rfm->desc.name));
    assert_int_equal(back.u.description.nparams, rfm->desc.nparams);
    for (uint32_t i = 0; i < rfm->desc.nparams; i++) {
        const gw_rfc_param_t *x = &rfm->desc.params[i], *y = &back.u.description.params[i];
        assert_true(gw_slice_eq(x->name, y->name));
        assert_int_equal(x->direction, y->direction);
        assert_int_equal(x->optional, y->optional);
        assert_int_equal(x->type->type, y->type->type);
        assert_int_equal(x->type->length, y->type->length);
        assert_true(gw_slice_eq(x->default_value, y->default_value));
        assert_true(gw_slice_eq(x->text, y->text));
    }
    gw_arena_free(&a);
    gw_buf_free(&b);
}

static void registry_lookup(void **state)
{
    (void)state;
    assert_null(sim_rfm_find(gw_slice("Z_DOES_NOT_EXIST")));
    assert_null(sim_rfm_find(gw_slice("stfc_connection"))); /* names are upper case */
    assert_null(sim_rfm_find(gw_slice("")));
    /* the table is sorted (binary search) and every entry is found */
    for (size_t i = 0; i < sim_rfm_count(); i++) {
        const sim_rfm_t *r = sim_rfm_at(i);
        assert_ptr_equal(sim_rfm_find(r->desc.name), r);
        assert_non_null(r->handler);
        if (i > 0) {
            gw_slice_t a = sim_rfm_at(i - 1)->desc.name, b = r->desc.name;
            size_t n = a.len < b.len ? a.len : b.len;
            int c = memcmp(a.ptr, b.ptr, n);
            assert_true(c < 0 || (c == 0 && a.len < b.len));
        }
    }
    assert_null(sim_rfm_at(sim_rfm_count()));
}

static void char_fit(void **state)
{
    (void)state;
    gw_slice_t s = sim_char_fit(gw_slice("abc   "), 10);
    assert_int_equal(s.len, 3);
    s = sim_char_fit(gw_slice("abcdef"), 4);
    assert_int_equal(s.len, 4);
    /* "ä" is one UTF-16 unit (2 bytes); U+1F600 is two units (4 bytes) and is never split */
    s = sim_char_fit(gw_slice("\xc3\xa4\xc3\xa4x"), 2);
    assert_int_equal(s.len, 4);
    s = sim_char_fit(gw_slice("a\xf0\x9f\x98\x80"), 2);
    assert_int_equal(s.len, 1);
    s = sim_char_fit(gw_slice("a\xf0\x9f\x98\x80"), 3);
    assert_int_equal(s.len, 5);
    s = sim_char_fit(gw_slice("    "), 255);
    assert_int_equal(s.len, 0);
}

/* ---- RFMs ----------------------------------------------------------------- */

#define V_CHAR(lit)    ((gw_rfc_value_t){.type = GW_RFC_CHAR, .u.s = GW_SLICE_LIT(lit)})
#define V_INT(t, x)    ((gw_rfc_value_t){.type = (t), .u.i = (x)})
#define V_TEXT(t, lit) ((gw_rfc_value_t){.type = (t), .u.s = GW_SLICE_LIT(lit)})
#define F(n, v)        ((gw_rfc_field_t){GW_SLICE_LIT(n), v})

static gw_rfc_value_t v_struct(gw_rfc_field_t *fields, uint32_t n)
{
    gw_rfc_value_t v = {.type = GW_RFC_STRUCTURE};
    v.u.st.count = n;
    v.u.st.fields = fields;
    return v;
}

static gw_rfc_value_t v_table(gw_rfc_value_t *rows, uint32_t n)
{
    gw_rfc_value_t v = {.type = GW_RFC_TABLE};
    v.u.tab.count = n;
    v.u.tab.rows = rows;
    return v;
}

/* The result must also be encodable as a RESULT message (complete, uniform rows). */
static void assert_encodes(const gw_wire_result_t *r)
{
    gw_wire_msg_t m;
    memset(&m, 0, sizeof(m));
    m.type = GW_WIRE_RESULT;
    m.u.result = *r;
    gw_buf_t b;
    gw_buf_init(&b, 0);
    assert_int_equal(gw_wire_encode(&b, &m), 0);
    gw_buf_free(&b);
}

/*
 * Collects every row of a result produced part by part (sim_cursor_t) into
 * its table parameter, in small parts so that part boundaries are crossed.
 */
static void drain_cursor(sim_call_ctx_t *ctx, gw_wire_result_t *res)
{
    sim_cursor_t *c = ctx->cursor;
    gw_rfc_field_t *f = (gw_rfc_field_t *)(uintptr_t)gw_rfc_fields_find(res->params, res->nparams,
                                                                        gw_slice(c->param));
    assert_non_null(f);
    gw_rfc_value_t all = {.type = GW_RFC_TABLE}, part;
    size_t cap = 0, parts = 0;
    int done = 0;
    while (!done) {
        assert_int_equal(c->next(c, ctx->arena, &part, 200, &done), 0);
        assert_int_equal(part.type, GW_RFC_TABLE);
        assert_true(parts++ < 1000000);
        if (all.u.tab.count + part.u.tab.count > cap) {
            size_t ncap = (all.u.tab.count + part.u.tab.count) * 2 + 8;
            gw_rfc_value_t *rows = gw_arena_calloc(ctx->arena, ncap, sizeof(*rows));
            assert_non_null(rows);
            if (all.u.tab.count)
                memcpy(rows, all.u.tab.rows, all.u.tab.count * sizeof(*rows));
            all.u.tab.rows = rows;
            cap = ncap;
        }
        if (part.u.tab.count)
            memcpy(all.u.tab.rows + all.u.tab.count, part.u.tab.rows,
                   part.u.tab.count * sizeof(*part.u.tab.rows));
        all.u.tab.count += part.u.tab.count;
    }
    f->value = all;
    ctx->cursor = NULL;
}

static int run(call_fixture_t *f, const char *fn, gw_rfc_field_t *p, uint32_t n,
               gw_wire_result_t *res)
{
    const sim_rfm_t *rfm = sim_rfm_find(gw_slice(fn));
    assert_non_null(rfm);
    gw_wire_call_t call = make_call(fn, p, n);
    f->ctx.cursor = NULL;
    int ret = sim_rfm_call(&f->ctx, rfm, &call, res);
    if (ret == 0 && f->ctx.cursor)
        drain_cursor(&f->ctx, res);
    if (ret == 0)
        assert_encodes(res);
    return ret;
}

static const gw_rfc_value_t *fld(const gw_rfc_value_t *st, const char *name)
{
    assert_non_null(st);
    assert_int_equal(st->type, GW_RFC_STRUCTURE);
    const gw_rfc_field_t *f = gw_rfc_fields_find(st->u.st.fields, st->u.st.count, gw_slice(name));
    if (f == NULL)
        fail_msg("no field %s", name);
    return &f->value;
}

static void assert_text(const gw_rfc_value_t *v, const char *want)
{
    assert_non_null(v);
    if (!gw_slice_eq_str(v->u.s, want))
        fail_msg("got '%.*s', want '%s'", (int)v->u.s.len, v->u.s.ptr, want);
}

static void stfc_structure_echo(void **state)
{
    (void)state;
    call_fixture_t f;
    fixture_init(&f);
    gw_rfc_field_t in[] = {
        F("RFCFLOAT", ((gw_rfc_value_t){.type = GW_RFC_FLOAT, .u.f = 1.5})),
        F("RFCCHAR1", V_CHAR("A")),
        F("RFCINT2", V_INT(GW_RFC_INT2, -7)),
        F("RFCHEX3", V_TEXT(GW_RFC_RAW, "\x01\x02\x03")),
        F("RFCDATE", V_TEXT(GW_RFC_DATE, "20240229")),
        F("RFCDATA1", V_CHAR("hello")),
    };
    gw_rfc_field_t r1[] = {F("RFCINT4", V_INT(GW_RFC_INT4, 42))};
    gw_rfc_value_t rows[] = {v_struct(r1, 1)};
    gw_rfc_field_t p[] = {F("IMPORTSTRUCT", v_struct(in, GW_ARRAY_SIZE(in))),
                          F("RFCTABLE", v_table(rows, 1))};
    gw_wire_result_t res;
    assert_int_equal(run(&f, "STFC_STRUCTURE", p, 2, &res), 0);
    const gw_rfc_value_t *echo = result(&res, "ECHOSTRUCT");
    assert_int_equal(echo->u.st.count, 12); /* complete, in RFCTEST's order */
    assert_true(gw_slice_eq_str(echo->u.st.fields[0].name, "RFCFLOAT"));
    assert_true(gw_slice_eq_str(echo->u.st.fields[11].name, "RFCDATA2"));
    assert_true(fld(echo, "RFCFLOAT")->u.f == 1.5);
    assert_text(fld(echo, "RFCCHAR1"), "A");
    assert_int_equal(fld(echo, "RFCINT2")->u.i, -7);
    assert_int_equal(fld(echo, "RFCINT4")->u.i, 0);
    assert_text(fld(echo, "RFCTIME"), "000000"); /* missing: initial */
    assert_text(fld(echo, "RFCDATE"), "20240229");
    assert_int_equal(fld(echo, "RFCHEX3")->u.s.len, 3);
    assert_text(fld(echo, "RFCDATA1"), "hello");
    const gw_rfc_value_t *tab = result(&res, "RFCTABLE");
    assert_int_equal(tab->u.tab.count, 2);
    assert_int_equal(fld(&tab->u.tab.rows[0], "RFCINT4")->u.i, 42);
    assert_int_equal(tab->u.tab.rows[0].u.st.count, 12);
    assert_text(fld(&tab->u.tab.rows[1], "RFCDATA1"), "hello");
    assert_non_null(strstr(gw_arena_slice_str(&f.arena, result(&res, "RESPTEXT")->u.s),
                           "Logon_Data: 100/CC0000000001/E"));

    /* a field of the wrong type inside the structure is a type conflict */
    in[2].value = V_CHAR("x");
    assert_int_not_equal(run(&f, "STFC_STRUCTURE", p, 1, &res), 0);
    assert_true(gw_slice_eq_str(f.ctx.error.key, "CALL_FUNCTION_CONFLICT_TYPE"));
    assert_non_null(
        strstr(gw_arena_slice_str(&f.arena, f.ctx.error.message), "IMPORTSTRUCT-RFCINT2"));
    fixture_free(&f);
}

static void stfc_changing_arith(void **state)
{
    (void)state;
    call_fixture_t f;
    fixture_init(&f);
    gw_rfc_field_t p[] = {F("START_VALUE", V_INT(GW_RFC_INT4, 10)),
                          F("COUNTER", V_INT(GW_RFC_INT4, 5))};
    gw_wire_result_t res;
    assert_int_equal(run(&f, "STFC_CHANGING", p, 2, &res), 0);
    assert_int_equal(result(&res, "RESULT")->u.i, 15);
    assert_int_equal(result(&res, "COUNTER")->u.i, 6);
    assert_int_equal(run(&f, "STFC_CHANGING", p, 1, &res), 0); /* COUNTER optional */
    assert_int_equal(result(&res, "RESULT")->u.i, 10);
    assert_int_equal(result(&res, "COUNTER")->u.i, 1);
    p[0].value.u.i = INT32_MAX;
    assert_int_not_equal(run(&f, "STFC_CHANGING", p, 2, &res), 0);
    assert_true(gw_slice_eq_str(f.ctx.error.key, "COMPUTE_INT_PLUS_OVERFLOW"));
    assert_int_not_equal(run(&f, "STFC_CHANGING", NULL, 0, &res), 0); /* START_VALUE required */
    assert_true(gw_slice_eq_str(f.ctx.error.key, "CALL_FUNCTION_PARM_MISSING"));
    fixture_free(&f);
}

static void stfc_deep(void **state)
{
    (void)state;
    call_fixture_t f;
    fixture_init(&f);
    gw_rfc_field_t d[] = {F("I", V_INT(GW_RFC_INT4, 7)), F("C", V_CHAR("text")),
                          F("STR", V_TEXT(GW_RFC_STRING, "a long string")),
                          F("XSTR", V_TEXT(GW_RFC_XSTRING, "\x00\xff"))};
    gw_rfc_field_t p[] = {F("IMPORTSTRUCT", v_struct(d, 4))};
    gw_wire_result_t res;
    assert_int_equal(run(&f, "STFC_DEEP_STRUCTURE", p, 1, &res), 0);
    const gw_rfc_value_t *e = result(&res, "ECHOSTRUCT");
    assert_int_equal(fld(e, "I")->u.i, 7);
    assert_text(fld(e, "STR"), "a long string");
    assert_int_equal(fld(e, "XSTR")->u.s.len, 2);
    assert_int_equal(result(&res, "RESPTEXT")->type, GW_RFC_STRING);

    gw_rfc_field_t d2[] = {F("C", V_CHAR("second"))};
    gw_rfc_value_t rows[] = {v_struct(d, 4), v_struct(d2, 1)};
    gw_rfc_field_t p2[] = {F("IMPORT_TAB", v_table(rows, 2))};
    assert_int_equal(run(&f, "STFC_DEEP_TABLE", p2, 1, &res), 0);
    const gw_rfc_value_t *t = result(&res, "EXPORT_TAB");
    assert_int_equal(t->u.tab.count, 3);
    assert_text(fld(&t->u.tab.rows[0], "STR"), "a long string");
    assert_text(fld(&t->u.tab.rows[1], "C"), "second");
    assert_int_equal(fld(&t->u.tab.rows[1], "I")->u.i, 0);
    assert_int_equal(fld(&t->u.tab.rows[2], "I")->u.i, 2);
    assert_text(fld(&t->u.tab.rows[2], "C"), "Appended");
    assert_int_equal(fld(&t->u.tab.rows[2], "XSTR")->u.s.len, 0);
    fixture_free(&f);
}

static void type_test_echo(void **state)
{
    (void)state;
    call_fixture_t f;
    fixture_init(&f);
    gw_rfc_field_t ab[] = {F("A", V_CHAR("ab")), F("B", V_INT(GW_RFC_INT4, -3))};
    gw_rfc_value_t abrows[] = {v_struct(ab, 2)};
    gw_rfc_field_t st[] = {F("CHAR", V_CHAR("s")), F("INT8", V_INT(GW_RFC_INT8, 1LL << 40)),
                           F("T", v_table(abrows, 1)), F("STRING", V_TEXT(GW_RFC_STRING, "deep"))};
    gw_rfc_value_t strows[] = {v_struct(st, 4), v_struct(st, 2)};
    gw_rfc_field_t p[] = {
        F("IV_CHAR", V_CHAR("ÄÖÜ chars")),
        F("IV_NUM", V_TEXT(GW_RFC_NUM, "00001234")),
        F("IV_DATE", V_TEXT(GW_RFC_DATE, "20260101")),
        F("IV_TIME", V_TEXT(GW_RFC_TIME, "235959")),
        F("IV_BCD", V_TEXT(GW_RFC_BCD, "-1234567890123.45")),
        F("IV_INT1", V_INT(GW_RFC_INT1, 255)),
        F("IV_INT2", V_INT(GW_RFC_INT2, -32768)),
        F("IV_INT4", V_INT(GW_RFC_INT4, INT32_MIN)),
        F("IV_INT8", V_INT(GW_RFC_INT8, INT64_MAX)),
        F("IV_FLOAT", ((gw_rfc_value_t){.type = GW_RFC_FLOAT, .u.f = -0.125})),
        F("IV_DECF16", V_TEXT(GW_RFC_DECF16, "1E+10")),
        F("IV_DECF34", V_TEXT(GW_RFC_DECF34, "-0.000000000000000000000000000001")),
        F("IV_STRING", V_TEXT(GW_RFC_STRING, "string  ")),
        F("IV_XSTRING", V_TEXT(GW_RFC_XSTRING, "\x00\x01")),
        F("IV_RAW", V_TEXT(GW_RFC_RAW, "\xde\xad\xbe\xef")),
        F("IS_STRUCT", v_struct(st, 4)),
        F("IT_TABLE", v_table(strows, 2)),
    };
    gw_wire_result_t res;
    assert_int_equal(run(&f, "Z_RFMGW_TYPE_TEST", p, GW_ARRAY_SIZE(p), &res), 0);
    assert_text(result(&res, "EV_CHAR"), "ÄÖÜ chars");
    assert_text(result(&res, "EV_NUM"), "00001234");
    assert_text(result(&res, "EV_DATE"), "20260101");
    assert_text(result(&res, "EV_TIME"), "235959");
    assert_text(result(&res, "EV_BCD"), "-1234567890123.45");
    assert_int_equal(result(&res, "EV_INT1")->u.i, 255);
    assert_int_equal(result(&res, "EV_INT2")->u.i, -32768);
    assert_int_equal(result(&res, "EV_INT4")->u.i, INT32_MIN);
    assert_true(result(&res, "EV_INT8")->u.i == INT64_MAX);
    assert_true(result(&res, "EV_FLOAT")->u.f == -0.125);
    assert_text(result(&res, "EV_DECF16"), "1E+10");
    assert_text(result(&res, "EV_DECF34"), "-0.000000000000000000000000000001");
    assert_text(result(&res, "EV_STRING"), "string  "); /* STRING keeps its blanks */
    assert_int_equal(result(&res, "EV_XSTRING")->u.s.len, 2);
    assert_int_equal(memcmp(result(&res, "EV_RAW")->u.s.ptr, "\xde\xad\xbe\xef", 4), 0);
    const gw_rfc_value_t *es = result(&res, "ES_STRUCT");
    assert_int_equal(es->u.st.count, 16);
    assert_text(fld(es, "CHAR"), "s");
    assert_true(fld(es, "INT8")->u.i == 1LL << 40);
    assert_text(fld(es, "STRING"), "deep");
    assert_text(fld(es, "NUM"), "00000000");
    assert_int_equal(fld(es, "T")->u.tab.count, 1);
    assert_int_equal(fld(&fld(es, "T")->u.tab.rows[0], "B")->u.i, -3);
    const gw_rfc_value_t *et = result(&res, "ET_TABLE");
    assert_int_equal(et->u.tab.count, 2);
    assert_int_equal(et->u.tab.rows[1].u.st.count, 16); /* the short row is completed */
    assert_int_equal(fld(&et->u.tab.rows[1], "T")->u.tab.count, 0);
    /* IV_DEFAULTED not sent: the ABAP default applies, not the initial value */
    assert_text(result(&res, "EV_DEFAULTED"), "ABAPDEFLT");
    assert_text(result(&res, "EV_INITIAL_DATE"), "00000000");
    assert_text(result(&res, "EV_BAD_DATE"), "20230230");
    const gw_rfc_param_t *dp = gw_rfc_func_param(&sim_rfm_find(gw_slice("Z_RFMGW_TYPE_TEST"))->desc,
                                                 gw_slice("IV_DEFAULTED"));
    assert_true(dp->optional);
    assert_true(gw_slice_eq_str(dp->default_value, "'ABAPDEFLT'"));

    /* sent explicitly, even as blanks, the value wins over the default */
    gw_rfc_field_t p2[] = {F("IV_DEFAULTED", V_CHAR("   "))};
    assert_int_equal(run(&f, "Z_RFMGW_TYPE_TEST", p2, 1, &res), 0);
    assert_text(result(&res, "EV_DEFAULTED"), "");
    assert_text(result(&res, "EV_CHAR"), ""); /* not sent: initial */
    assert_int_equal(result(&res, "EV_INT4")->u.i, 0);
    assert_text(result(&res, "EV_BCD"), "0");
    fixture_free(&f);
}

/* ---- RFC_READ_TABLE ----------------------------------------------------------- */

typedef struct {
    gw_rfc_field_t p[8];
    uint32_t n;
    gw_rfc_value_t opt[8], fields[8];
    gw_rfc_field_t optf[8], fieldf[8];
    uint32_t nopt, nfields;
} rt_args_t;

static void rt_init(rt_args_t *a, const char *table)
{
    memset(a, 0, sizeof(*a));
    a->p[a->n++] = (gw_rfc_field_t){GW_SLICE_LIT("QUERY_TABLE"),
                                    {.type = GW_RFC_CHAR, .u.s = gw_slice(table)}};
}

static void rt_param(rt_args_t *a, const char *name, gw_rfc_value_t v)
{
    a->p[a->n++] = (gw_rfc_field_t){gw_slice(name), v};
}

static void rt_option(rt_args_t *a, const char *text)
{
    a->optf[a->nopt] =
        (gw_rfc_field_t){GW_SLICE_LIT("TEXT"), {.type = GW_RFC_CHAR, .u.s = gw_slice(text)}};
    a->opt[a->nopt] = v_struct(&a->optf[a->nopt], 1);
    a->nopt++;
}

static void rt_field(rt_args_t *a, const char *name)
{
    a->fieldf[a->nfields] =
        (gw_rfc_field_t){GW_SLICE_LIT("FIELDNAME"), {.type = GW_RFC_CHAR, .u.s = gw_slice(name)}};
    a->fields[a->nfields] = v_struct(&a->fieldf[a->nfields], 1);
    a->nfields++;
}

static int rt_run(call_fixture_t *f, rt_args_t *a, gw_wire_result_t *res)
{
    if (a->nopt)
        rt_param(a, "OPTIONS", v_table(a->opt, a->nopt));
    if (a->nfields)
        rt_param(a, "FIELDS", v_table(a->fields, a->nfields));
    return run(f, "RFC_READ_TABLE", a->p, a->n, res);
}

static const char *wa(call_fixture_t *f, const gw_wire_result_t *res, uint32_t i)
{
    const gw_rfc_value_t *d = result(res, "DATA");
    assert_true(i < d->u.tab.count);
    return gw_arena_slice_str(&f->arena, fld(&d->u.tab.rows[i], "WA")->u.s);
}

static void read_table_scarr(void **state)
{
    (void)state;
    call_fixture_t f;
    fixture_init(&f);
    rt_args_t a;
    gw_wire_result_t res;

    rt_init(&a, "SCARR");
    assert_int_equal(rt_run(&f, &a, &res), 0);
    assert_int_equal(result(&res, "DATA")->u.tab.count, 18);
    assert_int_equal(result(&res, "FIELDS")->u.tab.count, 5);
    /* MANDT(3) CARRID(3) CARRNAME(20) CURRCODE(5) URL(255), no delimiter */
    const char *r0 = wa(&f, &res, 0);
    assert_string_equal(r0, "100AA American Airlines   USD  http://www.aa.com");

    /* field selection with a delimiter: offsets count the delimiter */
    rt_init(&a, "scarr");
    rt_param(&a, "DELIMITER", V_CHAR("|"));
    rt_field(&a, "CARRNAME");
    rt_field(&a, "carrid");
    rt_field(&a, "CURRCODE");
    assert_int_equal(rt_run(&f, &a, &res), 0);
    const gw_rfc_value_t *fl = result(&res, "FIELDS");
    assert_int_equal(fl->u.tab.count, 3);
    assert_text(fld(&fl->u.tab.rows[0], "FIELDNAME"), "CARRNAME");
    assert_text(fld(&fl->u.tab.rows[0], "OFFSET"), "000000");
    assert_text(fld(&fl->u.tab.rows[0], "LENGTH"), "000020");
    assert_text(fld(&fl->u.tab.rows[0], "TYPE"), "C");
    assert_text(fld(&fl->u.tab.rows[1], "OFFSET"), "000021");
    assert_text(fld(&fl->u.tab.rows[1], "LENGTH"), "000003");
    assert_text(fld(&fl->u.tab.rows[2], "OFFSET"), "000025");
    assert_string_equal(wa(&f, &res, 10), "Lufthansa           |LH |EUR");

    /* WHERE */
    rt_init(&a, "SCARR");
    rt_option(&a, "CARRID = 'LH'");
    rt_field(&a, "CARRID");
    rt_field(&a, "CARRNAME");
    assert_int_equal(rt_run(&f, &a, &res), 0);
    assert_int_equal(result(&res, "DATA")->u.tab.count, 1);
    assert_string_equal(wa(&f, &res, 0), "LH Lufthansa");

    /* AND binds tighter than OR; lines are joined */
    rt_init(&a, "SCARR");
    rt_option(&a, "CURRCODE EQ 'EUR' AND CARRID >= 'LH'");
    rt_option(&a, "or carrid = 'AA'");
    rt_field(&a, "CARRID");
    assert_int_equal(rt_run(&f, &a, &res), 0);
    assert_int_equal(result(&res, "DATA")->u.tab.count, 3);
    assert_string_equal(wa(&f, &res, 0), "AA");
    assert_string_equal(wa(&f, &res, 1), "LH");
    assert_string_equal(wa(&f, &res, 2), "NG");

    /* paging */
    rt_init(&a, "SCARR");
    rt_param(&a, "ROWSKIPS", V_INT(GW_RFC_INT4, 2));
    rt_param(&a, "ROWCOUNT", V_INT(GW_RFC_INT4, 3));
    rt_field(&a, "CARRID");
    assert_int_equal(rt_run(&f, &a, &res), 0);
    assert_int_equal(result(&res, "DATA")->u.tab.count, 3);
    assert_string_equal(wa(&f, &res, 0), "AC");
    assert_string_equal(wa(&f, &res, 2), "AZ");

    /* paging after a filter skips matches, not rows */
    rt_init(&a, "SCARR");
    rt_option(&a, "CURRCODE = 'USD'");
    rt_param(&a, "ROWSKIPS", V_INT(GW_RFC_INT4, 1));
    rt_param(&a, "ROWCOUNT", V_INT(GW_RFC_INT4, 2));
    rt_field(&a, "CARRID");
    assert_int_equal(rt_run(&f, &a, &res), 0);
    assert_int_equal(result(&res, "DATA")->u.tab.count, 2);
    assert_string_equal(wa(&f, &res, 0), "CO");
    assert_string_equal(wa(&f, &res, 1), "DL");

    /* NO_DATA */
    rt_init(&a, "SCARR");
    rt_param(&a, "NO_DATA", V_CHAR("X"));
    assert_int_equal(rt_run(&f, &a, &res), 0);
    assert_int_equal(result(&res, "DATA")->u.tab.count, 0);
    assert_int_equal(result(&res, "FIELDS")->u.tab.count, 5);
    fixture_free(&f);
}

static void expect_rt_error(call_fixture_t *f, rt_args_t *a, const char *key)
{
    gw_wire_result_t res;
    assert_int_equal(rt_run(f, a, &res), GW_EABAPEXC);
    assert_int_equal(f->ctx.error.group, GW_RFC_ERR_ABAP_EXCEPTION);
    if (!gw_slice_eq_str(f->ctx.error.key, key))
        fail_msg("key %.*s, want %s", (int)f->ctx.error.key.len, f->ctx.error.key.ptr, key);
}

static void read_table_errors(void **state)
{
    (void)state;
    call_fixture_t f;
    fixture_init(&f);
    rt_args_t a;
    rt_init(&a, "USR02");
    expect_rt_error(&f, &a, "TABLE_NOT_AVAILABLE");
    rt_init(&a, "SCARR");
    rt_field(&a, "NOPE");
    expect_rt_error(&f, &a, "FIELD_NOT_VALID");
    rt_init(&a, "SCARR");
    rt_field(&a, "URL");
    rt_field(&a, "URL");
    rt_field(&a, "CARRNAME");
    expect_rt_error(&f, &a, "DATA_BUFFER_EXCEEDED");
    static const char *const bad[] = {
        "CARRID = LH",
        "CARRID 'LH'",
        "NOPE = 'X'",
        "CARRID = 'LH' AND",
        "CARRID = 'LH",
        "( CARRID = 'LH' )",
        "CARRID = 'LH' CARRID = 'AA'",
        "CARRID LIKE 'L%'",
    };
    for (size_t i = 0; i < GW_ARRAY_SIZE(bad); i++) {
        rt_init(&a, "SCARR");
        rt_option(&a, bad[i]);
        expect_rt_error(&f, &a, "OPTION_NOT_VALID");
    }
    fixture_free(&f);
}

static void read_table_numbers(void **state)
{
    (void)state;
    call_fixture_t f;
    fixture_init(&f);
    rt_args_t a;
    gw_wire_result_t res;
    rt_init(&a, "SPFLI");
    rt_option(&a, "CARRID = 'LH' AND CONNID = '0400'");
    rt_field(&a, "CONNID");
    rt_field(&a, "FLTIME");
    rt_field(&a, "DISTANCE");
    rt_field(&a, "PERIOD");
    assert_int_equal(rt_run(&f, &a, &res), 0);
    const gw_rfc_value_t *fl = result(&res, "FIELDS");
    assert_text(fld(&fl->u.tab.rows[1], "TYPE"), "I");
    assert_text(fld(&fl->u.tab.rows[2], "TYPE"), "P");
    assert_text(fld(&fl->u.tab.rows[2], "LENGTH"), "000011"); /* 9 digits + sign + point */
    assert_text(fld(&fl->u.tab.rows[3], "TYPE"), "b");
    assert_int_equal(result(&res, "DATA")->u.tab.count, 1);
    /* CONNID(4) FLTIME(10) DISTANCE(11) PERIOD(3): numbers right-aligned, sign last */
    assert_string_equal(wa(&f, &res, 0), "0400      444  6162.0000  0");

    /* numeric comparison: 65 < 100 though "65" > "100" as text */
    rt_init(&a, "SPFLI");
    rt_option(&a, "FLTIME < 100");
    rt_field(&a, "CONNID");
    assert_int_equal(rt_run(&f, &a, &res), 0);
    assert_int_equal(result(&res, "DATA")->u.tab.count, 2);
    assert_string_equal(wa(&f, &res, 0), "2402");

    rt_init(&a, "SFLIGHT");
    rt_option(&a, "PRICE > '1000.5' AND CARRID <> 'AA'");
    rt_field(&a, "PRICE");
    assert_int_equal(rt_run(&f, &a, &res), 0);
    const gw_rfc_value_t *d = result(&res, "DATA");
    assert_true(d->u.tab.count > 0);
    for (uint32_t i = 0; i < d->u.tab.count; i++)
        assert_true(atof(wa(&f, &res, i)) > 1000.5);
    fixture_free(&f);
}

static void read_table_sbook_million(void **state)
{
    (void)state;
    call_fixture_t f;
    fixture_init(&f);
    sim_flight_reset_committed();
    sim_flight_configure(1000000);
    rt_args_t a;
    gw_wire_result_t res;
    rt_init(&a, "SBOOK");
    rt_param(&a, "ROWSKIPS", V_INT(GW_RFC_INT4, 999990));
    rt_param(&a, "ROWCOUNT", V_INT(GW_RFC_INT4, 5));
    rt_param(&a, "DELIMITER", V_CHAR(";"));
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(rt_run(&f, &a, &res), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_true((t1.tv_sec - t0.tv_sec) < 2);
    assert_int_equal(result(&res, "DATA")->u.tab.count, 5);
    const char *first = wa(&f, &res, 0);
    /* the last flight (UA 3517), booking numbers 999991..999995 */
    assert_true(strncmp(first, "100;UA ;3517;", 13) == 0);
    assert_non_null(strstr(first, ";00999991;"));
    assert_non_null(strstr(wa(&f, &res, 4), ";00999995;"));
    assert_int_equal(result(&res, "FIELDS")->u.tab.count, 24);

    /* deterministic: the same rows again, also when read one by one */
    rt_init(&a, "SBOOK");
    rt_param(&a, "ROWSKIPS", V_INT(GW_RFC_INT4, 999990));
    rt_param(&a, "ROWCOUNT", V_INT(GW_RFC_INT4, 1));
    rt_param(&a, "DELIMITER", V_CHAR(";"));
    assert_int_equal(rt_run(&f, &a, &res), 0);
    assert_string_equal(wa(&f, &res, 0), first);

    /* past the end: nothing */
    rt_init(&a, "SBOOK");
    rt_param(&a, "ROWSKIPS", V_INT(GW_RFC_INT4, 1000000));
    assert_int_equal(rt_run(&f, &a, &res), 0);
    assert_int_equal(result(&res, "DATA")->u.tab.count, 0);

    /* a filter over all million rows stays quick enough */
    rt_init(&a, "SBOOK");
    rt_option(&a, "BOOKID = '00500000'");
    rt_field(&a, "BOOKID");
    assert_int_equal(rt_run(&f, &a, &res), 0);
    assert_int_equal(result(&res, "DATA")->u.tab.count, 1);
    assert_string_equal(wa(&f, &res, 0), "00500000");
    sim_flight_configure(10000);
    fixture_free(&f);
}

/* ---- flight BAPIs ------------------------------------------------------------- */

static const gw_rfc_value_t *ret_row(const gw_wire_result_t *res, uint32_t i)
{
    const gw_rfc_value_t *t = result(res, "RETURN");
    assert_non_null(t);
    assert_true(i < t->u.tab.count);
    return &t->u.tab.rows[i];
}

static uint32_t sbook_rows_for(call_fixture_t *f, const char *where)
{
    rt_args_t a;
    gw_wire_result_t res;
    rt_init(&a, "SBOOK");
    rt_option(&a, where);
    rt_field(&a, "BOOKID");
    assert_int_equal(rt_run(f, &a, &res), 0);
    return result(&res, "DATA")->u.tab.count;
}

static int64_t econ_free(call_fixture_t *f, const char *date)
{
    gw_rfc_field_t p[] = {
        F("AIRLINEID", V_CHAR("LH")),
        F("CONNECTIONID", V_TEXT(GW_RFC_NUM, "0400")),
        {GW_SLICE_LIT("FLIGHTDATE"), {.type = GW_RFC_DATE, .u.s = gw_slice(date)}}};
    gw_wire_result_t res;
    assert_int_equal(run(f, "BAPI_FLIGHT_GETDETAIL", p, 3, &res), 0);
    return fld(result(&res, "AVAILIBILITY"), "ECONOFREE")->u.i;
}

static void flight_getlist_detail(void **state)
{
    (void)state;
    call_fixture_t f;
    fixture_init(&f);
    sim_flight_reset_committed();
    gw_wire_result_t res;
    gw_rfc_field_t from[] = {F("CITY", V_CHAR("Frankfurt"))};
    gw_rfc_field_t rng[] = {F("SIGN", V_CHAR("I")), F("OPTION", V_CHAR("BT")),
                            F("LOW", V_TEXT(GW_RFC_DATE, "20260101")),
                            F("HIGH", V_TEXT(GW_RFC_DATE, "20260331"))};
    gw_rfc_value_t rows[] = {v_struct(rng, 4)};
    gw_rfc_field_t p[] = {F("AIRLINE", V_CHAR("LH")), F("DESTINATION_FROM", v_struct(from, 1)),
                          F("DATE_RANGE", v_table(rows, 1))};
    assert_int_equal(run(&f, "BAPI_FLIGHT_GETLIST", p, 3, &res), 0);
    const gw_rfc_value_t *l = result(&res, "FLIGHT_LIST");
    /* LH 0400, 0402, 2402 from Frankfurt, three dates each in the first quarter */
    assert_int_equal(l->u.tab.count, 9);
    const gw_rfc_value_t *r0 = &l->u.tab.rows[0];
    assert_text(fld(r0, "AIRLINEID"), "LH");
    assert_text(fld(r0, "AIRLINE"), "Lufthansa");
    assert_text(fld(r0, "CONNECTID"), "0400");
    assert_text(fld(r0, "FLIGHTDATE"), "20260106");
    assert_text(fld(r0, "CITYTO"), "NEW YORK");
    assert_text(fld(r0, "CURR"), "EUR");
    assert_int_equal(fld(r0, "PRICE")->type, GW_RFC_BCD);
    assert_text(fld(ret_row(&res, 0), "TYPE"), "S");

    gw_rfc_field_t pm[] = {F("MAX_ROWS", V_INT(GW_RFC_INT4, 4))};
    assert_int_equal(run(&f, "BAPI_FLIGHT_GETLIST", pm, 1, &res), 0);
    assert_int_equal(result(&res, "FLIGHT_LIST")->u.tab.count, 4);
    gw_rfc_field_t px[] = {F("AIRLINE", V_CHAR("XX"))};
    assert_int_equal(run(&f, "BAPI_FLIGHT_GETLIST", px, 1, &res), 0);
    assert_int_equal(result(&res, "FLIGHT_LIST")->u.tab.count, 0);
    assert_text(fld(ret_row(&res, 0), "TYPE"), "E");

    gw_rfc_field_t pd[] = {F("AIRLINEID", V_CHAR("LH")),
                           F("CONNECTIONID", V_TEXT(GW_RFC_NUM, "0400")),
                           F("FLIGHTDATE", V_TEXT(GW_RFC_DATE, "20260106"))};
    assert_int_equal(run(&f, "BAPI_FLIGHT_GETDETAIL", pd, 3, &res), 0);
    assert_text(fld(result(&res, "FLIGHT_DATA"), "CITYFROM"), "FRANKFURT");
    assert_text(fld(result(&res, "FLIGHT_DATA"), "ARRDATE"), "20260106");
    const gw_rfc_value_t *add = result(&res, "ADDITIONAL_INFO");
    assert_int_equal(fld(add, "FLIGHTTIME")->u.i, 444);
    assert_text(fld(add, "DISTANCE"), "6162.0000");
    assert_text(fld(add, "UNIT"), "KM");
    const gw_rfc_value_t *av = result(&res, "AVAILIBILITY");
    assert_true(fld(av, "ECONOMAX")->u.i > 0);
    assert_int_equal(fld(av, "ECONOFREE")->u.i, 0); /* first date: sold out in economy */

    pd[2].value = V_TEXT(GW_RFC_DATE, "20260117");
    assert_int_equal(run(&f, "BAPI_FLIGHT_GETDETAIL", pd, 3, &res), 0);
    const gw_rfc_value_t *r = ret_row(&res, 0);
    assert_text(fld(r, "TYPE"), "E");
    assert_text(fld(r, "MESSAGE"), "Flight LH 0400 on 20260117 does not exist");
    assert_text(fld(r, "MESSAGE_V1"), "LH");
    fixture_free(&f);
}

static void flight_booking_commit(void **state)
{
    (void)state;
    call_fixture_t s1, s2;
    fixture_init(&s1);
    fixture_init(&s2);
    sim_flight_reset_committed();
    gw_wire_result_t res;
    const char *date = "20260205";
    int64_t free0 = econ_free(&s1, date);
    assert_true(free0 > 0);
    uint32_t before = sbook_rows_for(&s2, "CARRID = 'LH' AND CONNID = '0400'");

    gw_rfc_field_t bd[] = {F("AIRLINEID", V_CHAR("LH")),
                           F("CONNECTID", V_TEXT(GW_RFC_NUM, "0400")),
                           F("FLIGHTDATE", V_TEXT(GW_RFC_DATE, "20260205")),
                           F("CUSTOMERID", V_TEXT(GW_RFC_NUM, "00000042")),
                           F("CLASS", V_CHAR("Y")),
                           F("PASSNAME", V_CHAR("Jörg Müller")),
                           F("LUGGWEIGHT", V_TEXT(GW_RFC_BCD, "12.5"))};
    gw_rfc_field_t p[] = {F("BOOKING_DATA", v_struct(bd, GW_ARRAY_SIZE(bd))),
                          F("TEST_RUN", V_CHAR(""))};

    /* test run: a price, no number, nothing stored */
    p[1].value = V_CHAR("X");
    assert_int_equal(run(&s1, "BAPI_FLBOOKING_CREATEFROMDATA", p, 2, &res), 0);
    assert_text(fld(ret_row(&res, 0), "TYPE"), "S");
    assert_text(result(&res, "BOOKINGNUMBER"), "00000000");
    assert_int_equal(fld(result(&res, "TICKET_PRICE"), "FORCURAM")->type, GW_RFC_BCD);
    assert_null(s1.st.pending);

    /* create: pending, invisible to everyone until the commit */
    p[1].value = V_CHAR("");
    assert_int_equal(run(&s1, "BAPI_FLBOOKING_CREATEFROMDATA", p, 2, &res), 0);
    assert_text(fld(ret_row(&res, 0), "TYPE"), "S");
    assert_text(result(&res, "AIRLINEID"), "LH");
    char num[16];
    snprintf(num, sizeof(num), "%.*s", (int)result(&res, "BOOKINGNUMBER")->u.s.len,
             result(&res, "BOOKINGNUMBER")->u.s.ptr);
    assert_string_equal(num, "00010001"); /* after the 10,000 generated */
    assert_non_null(
        strstr(gw_arena_slice_str(&s1.arena, fld(ret_row(&res, 0), "MESSAGE")->u.s), "00010001"));
    char where[64];
    snprintf(where, sizeof(where), "BOOKID = '%s'", num);
    assert_int_equal(sbook_rows_for(&s2, where), 0);
    assert_int_equal(sbook_rows_for(&s1, where), 0);
    assert_int_equal(econ_free(&s2, date), free0);

    gw_wire_result_t cres;
    assert_int_equal(run(&s1, "BAPI_TRANSACTION_COMMIT", NULL, 0, &cres), 0);
    assert_text(fld(result(&cres, "RETURN"), "TYPE"), "");
    assert_int_equal(sbook_rows_for(&s2, where), 1);
    assert_int_equal(sbook_rows_for(&s2, "CARRID = 'LH' AND CONNID = '0400'"), before + 1);
    assert_int_equal(econ_free(&s2, date), free0 - 1);
    {
        rt_args_t a;
        rt_init(&a, "SBOOK");
        rt_option(&a, where);
        rt_field(&a, "PASSNAME");
        rt_field(&a, "LUGGWEIGHT");
        rt_param(&a, "DELIMITER", V_CHAR("|"));
        assert_int_equal(rt_run(&s2, &a, &res), 0);
        assert_string_equal(wa(&s2, &res, 0), "Jörg Müller              | 12.5000");
    }

    /* rollback discards */
    assert_int_equal(run(&s1, "BAPI_FLBOOKING_CREATEFROMDATA", p, 2, &res), 0);
    assert_non_null(s1.st.pending);
    assert_int_equal(run(&s1, "BAPI_TRANSACTION_ROLLBACK", NULL, 0, &cres), 0);
    assert_null(s1.st.pending);
    assert_int_equal(run(&s1, "BAPI_TRANSACTION_COMMIT", NULL, 0, &cres), 0);
    assert_int_equal(econ_free(&s2, date), free0 - 1);

    /* reset (RESET, RESET_FIRST, session end) discards as well */
    assert_int_equal(run(&s1, "BAPI_FLBOOKING_CREATEFROMDATA", p, 2, &res), 0);
    sim_state_reset(&s1.st);
    assert_null(s1.st.pending);
    assert_int_equal(run(&s1, "BAPI_TRANSACTION_COMMIT", NULL, 0, &cres), 0);
    assert_int_equal(econ_free(&s2, date), free0 - 1);
    assert_int_equal(sbook_rows_for(&s2, "BOOKID > '00010000'"), 1);

    /* errors come back in RETURN, never as exceptions */
    bd[4].value = V_CHAR("Z");
    assert_int_equal(run(&s1, "BAPI_FLBOOKING_CREATEFROMDATA", p, 2, &res), 0);
    assert_text(fld(ret_row(&res, 0), "TYPE"), "E");
    bd[4].value = V_CHAR("Y");
    bd[2].value = V_TEXT(GW_RFC_DATE, "20260106"); /* sold out in economy */
    assert_int_equal(run(&s1, "BAPI_FLBOOKING_CREATEFROMDATA", p, 2, &res), 0);
    assert_text(fld(ret_row(&res, 0), "TYPE"), "E");
    assert_non_null(strstr(gw_arena_slice_str(&s1.arena, fld(ret_row(&res, 0), "MESSAGE")->u.s),
                           "fully booked"));
    bd[2].value = V_TEXT(GW_RFC_DATE, "20260101");
    assert_int_equal(run(&s1, "BAPI_FLBOOKING_CREATEFROMDATA", p, 2, &res), 0);
    assert_text(fld(ret_row(&res, 0), "MESSAGE"), "Flight LH 0400 on 20260101 does not exist");
    assert_null(s1.st.pending);
    assert_int_equal(result(&res, "RETURN")->u.tab.count, 1);

    sim_flight_reset_committed();
    fixture_free(&s1);
    fixture_free(&s2);
}

/* ---- system ----------------------------------------------------------------- */

static void user_get_detail(void **state)
{
    (void)state;
    call_fixture_t f;
    fixture_init(&f);
    sim_user_t users[2];
    memset(users, 0, sizeof(users));
    users[0].name = "CC0000000001";
    users[0].alias = "RFMGW_DEMO";
    users[0].has_password = 1;
    users[1].name = "CC0000000003";
    users[1].locked = 1;
    f.cfg.users = users;
    f.cfg.nusers = 2;
    gw_wire_result_t res;
    gw_rfc_field_t p[] = {F("USERNAME", V_CHAR("cc0000000001"))};
    assert_int_equal(run(&f, "BAPI_USER_GET_DETAIL", p, 1, &res), 0);
    assert_int_equal(result(&res, "RETURN")->u.tab.count, 0);
    assert_text(fld(result(&res, "ADDRESS"), "FULLNAME"), "RFMGW_DEMO");
    assert_text(fld(result(&res, "LOGONDATA"), "USTYP"), "B");
    assert_text(fld(result(&res, "ISLOCKED"), "LOCAL_LOCK"), "U");
    p[0].value = V_CHAR("CC0000000003");
    assert_int_equal(run(&f, "BAPI_USER_GET_DETAIL", p, 1, &res), 0);
    assert_text(fld(result(&res, "ISLOCKED"), "LOCAL_LOCK"), "L");
    p[0].value = V_CHAR("NOBODY");
    assert_int_equal(run(&f, "BAPI_USER_GET_DETAIL", p, 1, &res), 0);
    const gw_rfc_value_t *r = ret_row(&res, 0);
    assert_text(fld(r, "TYPE"), "E");
    assert_text(fld(r, "ID"), "01");
    assert_text(fld(r, "NUMBER"), "124");
    assert_text(fld(r, "MESSAGE"), "User NOBODY does not exist");
    fixture_free(&f);
}

static void raise_error_methods(void **state)
{
    (void)state;
    call_fixture_t f;
    fixture_init(&f);
    gw_wire_result_t res;
    gw_rfc_field_t p[] = {F("METHOD", V_CHAR("EXCEPTION")), F("MESSAGE_V1", V_CHAR("one")),
                          F("MESSAGE_V2", V_CHAR("two"))};
    assert_int_equal(run(&f, "Z_RFMGW_RAISE_ERROR", p, 1, &res), GW_EABAPEXC);
    assert_int_equal(f.ctx.error.group, GW_RFC_ERR_ABAP_EXCEPTION);
    assert_true(gw_slice_eq_str(f.ctx.error.key, "RAISE_EXCEPTION"));
    assert_true(
        gw_slice_eq_str(f.ctx.error.message, "Function module raised exception RAISE_EXCEPTION"));

    p[0].value = V_CHAR("MESSAGE");
    assert_int_equal(run(&f, "Z_RFMGW_RAISE_ERROR", p, 3, &res), GW_EABAPMSG);
    assert_int_equal(f.ctx.error.group, GW_RFC_ERR_ABAP_MESSAGE);
    assert_true(gw_slice_eq_str(f.ctx.error.key, "E:SR:001"));
    assert_true(gw_slice_eq_str(f.ctx.error.msg_class, "SR"));
    assert_true(gw_slice_eq_str(f.ctx.error.msg_type, "E"));
    assert_true(gw_slice_eq_str(f.ctx.error.msg_number, "001"));
    assert_true(gw_slice_eq_str(f.ctx.error.msg_v[0], "one"));
    assert_true(gw_slice_eq_str(f.ctx.error.msg_v[1], "two"));
    assert_true(gw_slice_eq_str(f.ctx.error.msg_v[2], ""));
    assert_true(gw_slice_eq_str(f.ctx.error.message, "one two"));

    p[0].value = V_CHAR("DUMP");
    assert_int_equal(run(&f, "Z_RFMGW_RAISE_ERROR", p, 1, &res), GW_ERUNTIME);
    assert_int_equal(f.ctx.error.group, GW_RFC_ERR_RUNTIME_FAILURE);
    assert_true(gw_slice_eq_str(f.ctx.error.key, "COMPUTE_INT_ZERODIVIDE"));

    p[0].value = V_CHAR("RETURN");
    assert_int_equal(run(&f, "Z_RFMGW_RAISE_ERROR", p, 3, &res), 0);
    const gw_rfc_value_t *r = result(&res, "RETURN");
    assert_text(fld(r, "TYPE"), "E");
    assert_text(fld(r, "ID"), "SR");
    assert_text(fld(r, "NUMBER"), "002");
    assert_text(fld(r, "MESSAGE"), "one two");
    assert_text(fld(r, "MESSAGE_V2"), "two");
    assert_text(fld(r, "LOG_MSG_NO"), "000000");

    p[0].value = V_CHAR("NOTHING");
    assert_int_equal(run(&f, "Z_RFMGW_RAISE_ERROR", p, 1, &res), 0);
    assert_text(fld(result(&res, "RETURN"), "TYPE"), "");
    assert_int_equal(run(&f, "Z_RFMGW_RAISE_ERROR", NULL, 0, &res), 0);
    fixture_free(&f);
}

static void system_info_and_wait(void **state)
{
    (void)state;
    call_fixture_t f;
    fixture_init(&f);
    setenv("TZ", "UTC", 1);
    tzset();
    gw_wire_result_t res;
    assert_int_equal(run(&f, "RFC_SYSTEM_INFO", NULL, 0, &res), 0);
    const gw_rfc_value_t *si = result(&res, "RFCSI_EXPORT");
    assert_int_equal(si->u.st.count, 20);
    assert_text(fld(si, "RFCPROTO"), "011");
    assert_text(fld(si, "RFCCHARTYP"), "4103");
    assert_text(fld(si, "RFCINTTYP"), "LIT");
    assert_text(fld(si, "RFCFLOTYP"), "IE3");
    assert_text(fld(si, "RFCSYSID"), "A4H");
    assert_text(fld(si, "RFCSAPRL"), "758");
    assert_text(fld(si, "RFCDBSYS"), "HDB");
    assert_text(fld(si, "RFCOPSYS"), "Linux");
    assert_text(fld(si, "RFCTZONE"), "     0");
    assert_text(fld(si, "RFCDAYST"), "");

    gw_rfc_field_t p[] = {F("MILLISECONDS", V_INT(GW_RFC_INT4, 30))};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(run(&f, "Z_RFMGW_WAIT", p, 1, &res), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_int_equal(result(&res, "WAITED")->u.i, 30);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    assert_true(ms >= 30);
    p[0].value.u.i = -5;
    assert_int_equal(run(&f, "Z_RFMGW_WAIT", p, 1, &res), 0);
    assert_int_equal(result(&res, "WAITED")->u.i, 0);
    fixture_free(&f);
}

/* Every description survives the wire, and every RFM answers an empty call encodably. */
static void all_descriptions_encode(void **state)
{
    (void)state;
    call_fixture_t f;
    fixture_init(&f);
    for (size_t i = 0; i < sim_rfm_count(); i++) {
        const sim_rfm_t *r = sim_rfm_at(i);
        gw_wire_msg_t m, back;
        memset(&m, 0, sizeof(m));
        m.type = GW_WIRE_DESCRIPTION;
        m.u.description = r->desc;
        gw_buf_t b;
        gw_buf_init(&b, 0);
        assert_int_equal(gw_wire_encode(&b, &m), 0);
        gw_arena_t a;
        gw_arena_init(&a, 0);
        assert_int_equal(gw_wire_decode(&a, b.data, b.len, NULL, &back, NULL), 0);
        assert_int_equal(back.u.description.nparams, r->desc.nparams);
        gw_arena_free(&a);
        gw_buf_free(&b);
        if (gw_slice_eq_str(r->desc.name, "Z_RFMGW_WAIT"))
            continue;
        gw_wire_call_t call = make_call("", NULL, 0);
        call.function = r->desc.name;
        gw_wire_result_t res;
        int ret = sim_rfm_call(&f.ctx, r, &call, &res);
        if (ret == 0)
            assert_encodes(&res);
        else
            assert_true(gw_slice_eq_str(f.ctx.error.key, "CALL_FUNCTION_PARM_MISSING"));
    }
    fixture_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(password_round_trip),
        cmocka_unit_test(password_wrong_rejected),
        cmocka_unit_test(password_known_vector),
        cmocka_unit_test(password_malformed_rejected),
        cmocka_unit_test(config_good),
        cmocka_unit_test(config_shipped_file_loads),
        cmocka_unit_test(config_missing_file),
        cmocka_unit_test(config_syntax_error_has_line),
        cmocka_unit_test(config_wrong_types),
        cmocka_unit_test(config_bad_values),
        cmocka_unit_test(config_bad_users),
        cmocka_unit_test(logon_rules),
        cmocka_unit_test(host_strip_port),
        cmocka_unit_test(stfc_connection_call),
        cmocka_unit_test(rfc_ping_call),
        cmocka_unit_test(describe_matches_definition),
        cmocka_unit_test(registry_lookup),
        cmocka_unit_test(char_fit),
        cmocka_unit_test(stfc_structure_echo),
        cmocka_unit_test(stfc_changing_arith),
        cmocka_unit_test(stfc_deep),
        cmocka_unit_test(type_test_echo),
        cmocka_unit_test(read_table_scarr),
        cmocka_unit_test(read_table_errors),
        cmocka_unit_test(read_table_numbers),
        cmocka_unit_test(read_table_sbook_million),
        cmocka_unit_test(flight_getlist_detail),
        cmocka_unit_test(flight_booking_commit),
        cmocka_unit_test(user_get_detail),
        cmocka_unit_test(raise_error_methods),
        cmocka_unit_test(system_info_and_wait),
        cmocka_unit_test(all_descriptions_encode),
    };
    return cmocka_run_group_tests_name("sim", tests, setup_dir, teardown_dir);
}
