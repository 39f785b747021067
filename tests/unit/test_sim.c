/* Unit tests of abapsim without the network: passwords, configuration, logon, RFM registry. */
#include "sim/sim.h"
#include "error/error.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <openssl/evp.h>

#include <regex.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- helpers ------------------------------------------------------------ */

static char tmpdir[256];
static char good_hash[SIM_PW_HASH_STR_MAX];
static char cert_hash[SIM_PW_HASH_STR_MAX];

static void write_file(const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup_dir(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_sim.XXXXXX");
    if (mkdtemp(tmpdir) == NULL)
        return -1;
    char path[512];
    snprintf(path, sizeof(path), "%s/pki", tmpdir);
    if (mkdir(path, 0700) != 0)
        return -1;
    write_file("pki/server.pem", "not checked here\n");
    write_file("pki/server.key", "not checked here\n");
    write_file("pki/ca.pem", "not checked here\n");
    if (sim_password_hash("Demo-Passw0rd", 13, 1000, good_hash, sizeof(good_hash)) != 0 ||
        sim_password_hash("Cert-Passw0rd", 13, 1000, cert_hash, sizeof(cert_hash)) != 0)
        return -1;
    return 0;
}

static int teardown_dir(void **state)
{
    (void)state;
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
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
    char line[SIM_PW_HASH_STR_MAX];
    sim_pwhash_t h;
    assert_int_equal(sim_password_hash("s3cret", 6, 1000, line, sizeof(line)), 0);
    assert_true(strncmp(line, "pbkdf2-sha256$1000$", 19) == 0);
    assert_int_equal(sim_password_parse(line, &h), 0);
    assert_int_equal(h.iterations, 1000);
    assert_int_equal(h.salt_len, SIM_PW_SALT_LEN);
    assert_int_equal(sim_password_verify(&h, "s3cret", 6), 0);

    /* two hashes of one password differ (random salt) but both verify */
    char line2[SIM_PW_HASH_STR_MAX];
    sim_pwhash_t h2;
    assert_int_equal(sim_password_hash("s3cret", 6, 1000, line2, sizeof(line2)), 0);
    assert_string_not_equal(line, line2);
    assert_int_equal(sim_password_parse(line2, &h2), 0);
    assert_int_equal(sim_password_verify(&h2, "s3cret", 6), 0);
}

static void password_wrong_rejected(void **state)
{
    (void)state;
    char line[SIM_PW_HASH_STR_MAX];
    sim_pwhash_t h;
    assert_int_equal(sim_password_hash("s3cret", 6, 1000, line, sizeof(line)), 0);
    assert_int_equal(sim_password_parse(line, &h), 0);
    assert_int_equal(sim_password_verify(&h, "s3creT", 6), GW_ELOGON);
    assert_int_equal(sim_password_verify(&h, "s3cre", 5), GW_ELOGON);
    assert_int_equal(sim_password_verify(&h, "s3cret ", 7), GW_ELOGON);
    assert_int_equal(sim_password_verify(&h, "", 0), GW_ELOGON);
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
    sim_pwhash_t h;
    assert_int_equal(sim_password_parse(line, &h), 0);
    assert_int_equal(sim_password_verify(&h, "password", 8), 0);
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
    sim_pwhash_t h;
    for (size_t i = 0; i < GW_ARRAY_SIZE(bad); i++)
        if (sim_password_parse(bad[i], &h) != GW_EINVAL)
            fail_msg("accepted malformed hash '%s'", bad[i]);
    char out[SIM_PW_HASH_STR_MAX];
    assert_int_equal(sim_password_hash("x", 1, 0, out, sizeof(out)), GW_EINVAL);
    assert_int_equal(sim_password_hash("x", 1, SIM_PW_MAX_ITERATIONS + 1, out, sizeof(out)),
                     GW_EINVAL);
    assert_int_equal(sim_password_hash("x", 1, 1000, out, 20), GW_EINVAL);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(password_round_trip),   cmocka_unit_test(password_wrong_rejected),
        cmocka_unit_test(password_known_vector), cmocka_unit_test(password_malformed_rejected),
        cmocka_unit_test(config_good),           cmocka_unit_test(config_shipped_file_loads),
        cmocka_unit_test(config_missing_file),   cmocka_unit_test(config_syntax_error_has_line),
        cmocka_unit_test(config_wrong_types),    cmocka_unit_test(config_bad_values),
        cmocka_unit_test(config_bad_users),      cmocka_unit_test(logon_rules),
        cmocka_unit_test(host_strip_port),       cmocka_unit_test(stfc_connection_call),
        cmocka_unit_test(rfc_ping_call),         cmocka_unit_test(describe_matches_definition),
        cmocka_unit_test(registry_lookup),       cmocka_unit_test(char_fit),
    };
    return cmocka_run_group_tests_name("sim", tests, setup_dir, teardown_dir);
}
