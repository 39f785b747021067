/*
 * Unit tests of abapsim's server-side rules without the network:
 * communication management in the configuration (scenarios, systems,
 * arrangements), authorization resolution, logon methods, the failed-logon
 * lock and the fault settings' JSON.
 */
#include "sim/sim.h"
#include "error/error.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testutil.h"

#include <openssl/evp.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char hash[GW_PW_HASH_STR_MAX];

static int setup(void **state)
{
    (void)state;
    if (test_tmpdir("test_sim_server") != 0)
        return -1;
    write_file("cert.pem", "x\n");
    write_file("key.pem", "x\n");
    return gw_password_hash("Pw-1", 4, 1000, hash, sizeof(hash));
}

static int teardown(void **state)
{
    (void)state;
    return test_rmtmpdir();
}

#define BASE                                                                                       \
    "tls = { cert = \"cert.pem\"; key = \"key.pem\"; };\n"                                         \
    "hosts = ( { name = \"h.test\"; client = \"100\"; } );\n"                                      \
    "users = ( { name = \"U1\"; alias = \"A1\"; password = \"%s\"; },\n"                           \
    "          { name = \"U2\"; password = \"%s\"; },\n"                                           \
    "          { name = \"U3\"; password = \"%s\"; } );\n"

/* BASE is lines 1-5; extra text starts on line 6. */
static int load(const char *extra, sim_config_t *cfg, char *err, size_t errlen)
{
    char text[8192], path[512];
    snprintf(text, sizeof(text), BASE "%s", hash, hash, hash, extra);
    write_file("sim.conf", text);
    snprintf(path, sizeof(path), "%s/sim.conf", tmpdir);
    return sim_config_load(cfg, path, err, errlen);
}

#define COMM                                                                                       \
    "scenarios = ( { id = \"Z_PING\"; description = \"ping only\"; rfms = [ \"RFC_PING\" ]; },\n"  \
    "              { id = \"Z_STFC\"; rfms = [ \"STFC_*\", \"RFC_PING\" ]; } );\n"                 \
    "systems = ( { id = \"GW\"; users = [ \"U1\", \"U2\" ]; },\n"                                  \
    "            { id = \"CERTS\"; users = [ \"U2\" ]; } );\n"                                     \
    "arrangements = ( { scenario = \"Z_PING\"; system = \"GW\"; auth_methods = [ \"password\" ]; " \
    "},\n"                                                                                         \
    "                 { scenario = \"Z_STFC\"; system = \"CERTS\"; "                               \
    "auth_methods = [ \"certificate\" ]; } );\n"

static void expect_bad(const char *extra, const char *want)
{
    sim_config_t cfg;
    char err[600];
    assert_int_equal(load(extra, &cfg, err, sizeof(err)), GW_ECONFIG);
    if (strstr(err, want) == NULL)
        fail_msg("expected '%s' in '%s'", want, err);
}

static void test_defaults(void **state)
{
    (void)state;
    sim_config_t cfg;
    char err[600];
    assert_int_equal(load("", &cfg, err, sizeof(err)), 0);
    assert_int_equal(cfg.open_mode, 1);
    assert_int_equal(cfg.workers, 4);
    assert_int_equal(cfg.max_sessions, 1000);
    assert_int_equal(cfg.max_failed_logons, 5);
    assert_int_equal(cfg.sbook_rows, 10000);
    assert_int_equal(cfg.admin_port, 0);
    assert_string_equal(cfg.admin_address, "127.0.0.1");
    assert_int_equal(cfg.fault_latency_ms, 0);
    assert_true(cfg.fault_drop_probability == 0.0);
    assert_int_equal(cfg.users[0].methods, SIM_AUTH_PASSWORD | SIM_AUTH_CERTIFICATE);
    assert_true(sim_comm_allows(&cfg, &cfg.users[0], gw_slice("ANYTHING")));
    sim_config_free(&cfg);
}

static void test_settings(void **state)
{
    (void)state;
    sim_config_t cfg;
    char err[600];
    assert_int_equal(load("server = { workers = 8; };\n"
                          "limits = { max_sessions = 0; };\n"
                          "security = { max_failed_logons = 3; };\n"
                          "data = { sbook_rows = 5; };\n"
                          "admin = { address = \"::1\"; port = 9999; };\n"
                          "faults = { latency_ms = 10; drop_probability = 0.25; "
                          "garbage_reply = true; seed = 42; };\n",
                          &cfg, err, sizeof(err)),
                     0);
    assert_int_equal(cfg.workers, 8);
    assert_int_equal(cfg.max_sessions, 0);
    assert_int_equal(cfg.max_failed_logons, 3);
    assert_int_equal(cfg.sbook_rows, 5);
    assert_int_equal(cfg.admin_port, 9999);
    assert_int_equal(cfg.fault_latency_ms, 10);
    assert_true(cfg.fault_drop_probability == 0.25);
    assert_int_equal(cfg.fault_garbage_reply, 1);
    assert_int_equal(cfg.fault_seed, 42);

    sim_faults_t f;
    sim_faults_from_config(&f, &cfg);
    assert_int_equal(f.all.latency_ms, 10);
    assert_int_equal(f.all.garbage_reply, 1);
    assert_int_equal(f.max_sessions, 0);
    assert_int_equal(f.seed, 42);
    sim_config_free(&cfg);
}

static void test_comm_resolution(void **state)
{
    (void)state;
    sim_config_t cfg;
    char err[600];
    if (load(COMM, &cfg, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    assert_int_equal(cfg.open_mode, 0);
    assert_int_equal(cfg.nscenarios, 2);
    assert_int_equal(cfg.nsystems, 2);
    assert_int_equal(cfg.narrangements, 2);
    assert_string_equal(cfg.scenarios[0].description, "ping only");
    const sim_user_t *u1 = &cfg.users[0], *u2 = &cfg.users[1], *u3 = &cfg.users[2];

    /* U1: system GW → Z_PING by password */
    assert_int_equal(u1->methods, SIM_AUTH_PASSWORD);
    assert_int_equal(u1->nscenarios, 1);
    assert_true(sim_comm_allows(&cfg, u1, gw_slice("RFC_PING")));
    assert_false(sim_comm_allows(&cfg, u1, gw_slice("STFC_CONNECTION")));
    /* U2: GW and CERTS → both scenarios, both methods */
    assert_int_equal(u2->methods, SIM_AUTH_PASSWORD | SIM_AUTH_CERTIFICATE);
    assert_int_equal(u2->nscenarios, 2);
    assert_true(sim_comm_allows(&cfg, u2, gw_slice("STFC_CONNECTION")));
    assert_true(sim_comm_allows(&cfg, u2, gw_slice("STFC_ANYTHING")));
    assert_false(sim_comm_allows(&cfg, u2, gw_slice("STFC")));
    assert_false(sim_comm_allows(&cfg, u2, gw_slice("RFC_PING_X")));
    /* U3: in no system */
    assert_int_equal(u3->methods, 0);
    assert_false(sim_comm_allows(&cfg, u3, gw_slice("RFC_PING")));
    assert_false(sim_comm_allows(&cfg, NULL, gw_slice("RFC_PING")));
    sim_config_free(&cfg);
}

static void test_pattern(void **state)
{
    (void)state;
    assert_true(sim_comm_pattern_match("*", gw_slice("X")));
    assert_true(sim_comm_pattern_match("Z_*", gw_slice("Z_")));
    assert_true(sim_comm_pattern_match("Z_*", gw_slice("Z_A")));
    assert_false(sim_comm_pattern_match("Z_*", gw_slice("Z")));
    assert_true(sim_comm_pattern_match("RFC_PING", gw_slice("RFC_PING")));
    assert_false(sim_comm_pattern_match("RFC_PING", gw_slice("RFC_PIN")));
    assert_false(sim_comm_pattern_match("RFC_PING", (gw_slice_t){"RFC_PINGX", 9}));
}

static void test_comm_bad(void **state)
{
    (void)state;
    expect_bad("systems = ( { id = \"GW\"; users = [ \"U1\" ]; } );\n",
               "sim.conf:6: systems: given without 'scenarios'");
    expect_bad("scenarios = ( { id = \"Z\"; rfms = [ \"NO_SUCH_RFM\" ]; } );\n",
               "sim.conf:6: scenarios[0].rfms[0]: no function module 'NO_SUCH_RFM'");
    expect_bad("scenarios = ( { id = \"Z\"; rfms = [ \"rfc_ping\" ]; } );\n",
               "sim.conf:6: scenarios[0].rfms[0]: 'rfc_ping' is not an RFM name");
    expect_bad("scenarios = ( { id = \"Z\"; rfms = \"RFC_PING\"; } );\n",
               "sim.conf:6: scenarios[0].rfms: expected an array of strings");
    expect_bad("scenarios = ( { id = \"Z\"; rfms = [ 1 ]; } );\n",
               "sim.conf:6: scenarios[0].rfms[0]: expected a string");
    expect_bad("scenarios = ( { id = \"Z\"; } );\n",
               "sim.conf:6: scenarios[0]: missing required setting 'rfms'");
    expect_bad("scenarios = ( { id = \"Z\"; rfms = [ \"*\" ]; },\n"
               "              { id = \"Z\"; rfms = [ \"*\" ]; } );\n",
               "sim.conf:7: scenarios[1].id: duplicate 'Z'");
    expect_bad("scenarios = ( { id = \"Z\"; rfms = [ \"*\" ]; } );\n"
               "systems = ( { id = \"GW\"; users = [ \"U1\",\n \"NOBODY\" ]; } );\n",
               "sim.conf:8: systems[0].users[1]: no user 'NOBODY'");
    expect_bad("scenarios = ( { id = \"Z\"; rfms = [ \"*\" ]; } );\n"
               "systems = ( { id = \"GW\"; users = [ \"U1\" ]; } );\n"
               "arrangements = ( { scenario = \"Y\"; system = \"GW\"; } );\n",
               "sim.conf:8: arrangements[0].scenario: no scenario 'Y'");
    expect_bad("scenarios = ( { id = \"Z\"; rfms = [ \"*\" ]; } );\n"
               "systems = ( { id = \"GW\"; users = [ \"U1\" ]; } );\n"
               "arrangements = ( { scenario = \"Z\"; system = \"XX\"; } );\n",
               "sim.conf:8: arrangements[0].system: no system 'XX'");
    expect_bad("scenarios = ( { id = \"Z\"; rfms = [ \"*\" ]; } );\n"
               "systems = ( { id = \"GW\"; users = [ \"U1\" ]; } );\n"
               "arrangements = ( { scenario = \"Z\"; system = \"GW\";\n"
               "                   auth_methods = [ \"kerberos\" ]; } );\n",
               "sim.conf:9: arrangements[0].auth_methods[0]: 'kerberos' is not");
    expect_bad("scenarios = ( { id = \"Z\"; rfms = [ \"*\" ]; } );\n"
               "systems = ( { id = \"GW\"; users = [ \"U1\" ]; } );\n"
               "arrangements = ( { scenario = \"Z\"; system = \"GW\"; },\n"
               "                 { scenario = \"Z\"; system = \"GW\"; } );\n",
               "sim.conf:9: arrangements[1]: scenario 'Z' is already arranged");
    expect_bad("server = { workers = 0; };\n",
               "sim.conf:6: server.workers: 0 is out of range 1..64");
    expect_bad("faults = { drop_probability = 1.5; };\n",
               "sim.conf:6: faults.drop_probability: 1.5 is out of range 0..1");
    expect_bad("faults = { drop_probability = \"x\"; };\n",
               "sim.conf:6: faults.drop_probability: expected a number");
    expect_bad("admin = { address = \"0.0.0.0\"; };\n",
               "sim.conf:6: admin.address: '0.0.0.0' must be a loopback address");
    expect_bad("data = { sbook_rows = -1; };\n", "sim.conf:6: data.sbook_rows: -1 is out of range");
}

/* ---- logon with communication management ------------------------------- */

static char basic[256];

static const char *basic_auth(const char *user, const char *pw)
{
    char raw[128];
    int n = snprintf(raw, sizeof(raw), "%s:%s", user, pw);
    strcpy(basic, "Basic ");
    EVP_EncodeBlock((unsigned char *)basic + 6, (const unsigned char *)raw, n);
    return basic;
}

static int logon_pw(const sim_config_t *cfg, const char *user, const char *pw, int alias,
                    sim_logon_t *out, char *why)
{
    sim_logon_req_t req;
    memset(&req, 0, sizeof(req));
    req.host = "h.test";
    req.authorization = basic_auth(user, pw);
    req.alias = alias ? "1" : NULL;
    return sim_logon(cfg, &req, out, why, 256);
}

static void test_logon_methods(void **state)
{
    (void)state;
    sim_config_t cfg;
    sim_logon_t out;
    char err[600], why[256];
    if (load(COMM "certificates = ( { subject = \"CN=C1\"; user = \"U1\"; },\n"
                  "                 { subject = \"CN=C2\"; user = \"U2\"; } );\n",
             &cfg, err, sizeof(err)) != 0)
        fail_msg("%s", err);

    assert_int_equal(logon_pw(&cfg, "U1", "Pw-1", 0, &out, why), 0);
    assert_string_equal(out.user, "U1");
    assert_int_equal(out.user_index, 0);
    assert_int_equal(logon_pw(&cfg, "A1", "Pw-1", 1, &out, why), 0);
    assert_string_equal(out.method, "alias");

    /* U3 belongs to no system */
    assert_int_equal(logon_pw(&cfg, "U3", "Pw-1", 0, &out, why), GW_ELOGON);
    assert_non_null(strstr(why, "user U3 is in no communication system"));
    assert_int_equal(out.user_index, 2);
    assert_int_equal(out.bad_password, 0);

    /* wrong password: counts */
    assert_int_equal(logon_pw(&cfg, "U1", "nope", 0, &out, why), GW_ELOGON);
    assert_int_equal(out.bad_password, 1);
    assert_int_equal(out.user_index, 0);
    assert_non_null(strstr(why, "wrong password for user U1"));

    /* unknown user: no index */
    assert_int_equal(logon_pw(&cfg, "NOBODY", "Pw-1", 0, &out, why), GW_ELOGON);
    assert_int_equal(out.user_index, -1);

    /* certificates: U1's arrangement allows only passwords; U2 has certificate via CERTS */
    sim_logon_req_t req;
    memset(&req, 0, sizeof(req));
    req.host = "h.test";
    req.has_cert = 1;
    req.cert_subject = "CN=C1";
    assert_int_equal(sim_logon(&cfg, &req, &out, why, sizeof(why)), GW_ELOGON);
    assert_non_null(
        strstr(why, "logon method certificate is not allowed for user U1 by any communication"));
    req.cert_subject = "CN=C2";
    assert_int_equal(sim_logon(&cfg, &req, &out, why, sizeof(why)), 0);
    assert_string_equal(out.user, "U2");
    assert_string_equal(out.method, "certificate");
    sim_config_free(&cfg);

    /* password not allowed anywhere */
    if (load("scenarios = ( { id = \"Z\"; rfms = [ \"*\" ]; } );\n"
             "systems = ( { id = \"GW\"; users = [ \"U1\" ]; } );\n"
             "arrangements = ( { scenario = \"Z\"; system = \"GW\"; "
             "auth_methods = [ \"certificate\" ]; } );\n",
             &cfg, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    assert_int_equal(logon_pw(&cfg, "U1", "Pw-1", 0, &out, why), GW_ELOGON);
    assert_non_null(strstr(why, "logon method password is not allowed for user U1"));
    assert_int_equal(out.bad_password, 0);
    sim_config_free(&cfg);

    /* open mode: everything goes */
    assert_int_equal(load("", &cfg, err, sizeof(err)), 0);
    assert_int_equal(logon_pw(&cfg, "U3", "Pw-1", 0, &out, why), 0);
    sim_config_free(&cfg);
}

static void test_lockout(void **state)
{
    (void)state;
    sim_lockout_t lo;
    sim_logon_t out;
    char why[128];
    int locked;
    assert_int_equal(sim_lockout_init(&lo, 2, 3), 0);
    memset(&out, 0, sizeof(out));

    out.user_index = 0;
    out.bad_password = 1;
    /* two failures, then a success resets the counter */
    assert_int_equal(sim_lockout_apply(&lo, GW_ELOGON, &out, why, sizeof(why), &locked), GW_ELOGON);
    assert_int_equal(sim_lockout_apply(&lo, GW_ELOGON, &out, why, sizeof(why), &locked), GW_ELOGON);
    assert_int_equal(lo.failed[0], 2);
    out.bad_password = 0;
    assert_int_equal(sim_lockout_apply(&lo, 0, &out, why, sizeof(why), &locked), 0);
    assert_int_equal(lo.failed[0], 0);

    /* three consecutive failures lock */
    out.bad_password = 1;
    for (int i = 0; i < 3; i++)
        assert_int_equal(sim_lockout_apply(&lo, GW_ELOGON, &out, why, sizeof(why), &locked),
                         GW_ELOGON);
    assert_int_equal(locked, 1);
    assert_int_equal(lo.locked[0], 1);
    /* now even the right password fails, with the lock as the reason */
    out.bad_password = 0;
    assert_int_equal(sim_lockout_apply(&lo, 0, &out, why, sizeof(why), &locked), GW_ELOGON);
    assert_string_equal(why, "user locked (too many failed logons)");
    assert_int_equal(locked, 0);

    /* failures that are not wrong passwords do not count */
    out.user_index = 1;
    for (int i = 0; i < 5; i++)
        sim_lockout_apply(&lo, GW_ELOGON, &out, why, sizeof(why), &locked);
    assert_int_equal(lo.failed[1], 0);
    /* no user identified: passes the verdict through */
    out.user_index = -1;
    assert_int_equal(sim_lockout_apply(&lo, 0, &out, why, sizeof(why), &locked), 0);
    sim_lockout_free(&lo);

    /* max 0: never lock */
    assert_int_equal(sim_lockout_init(&lo, 1, 0), 0);
    out.user_index = 0;
    out.bad_password = 1;
    for (int i = 0; i < 100; i++)
        sim_lockout_apply(&lo, GW_ELOGON, &out, why, sizeof(why), &locked);
    assert_int_equal(lo.locked[0], 0);
    sim_lockout_free(&lo);
}

/* ---- faults ------------------------------------------------------------- */

static void apply_ok(sim_faults_t *f, const char *json)
{
    char err[300];
    if (sim_faults_apply_json(f, json, strlen(json), err, sizeof(err)) != 0)
        fail_msg("%s: %s", json, err);
}

static void apply_bad(sim_faults_t *f, const char *json, const char *want)
{
    char err[300];
    sim_faults_t before = *f;
    assert_int_equal(sim_faults_apply_json(f, json, strlen(json), err, sizeof(err)), GW_EINVAL);
    if (strstr(err, want) == NULL)
        fail_msg("expected '%s' in '%s'", want, err);
    assert_memory_equal(&before, f, sizeof(before)); /* unchanged */
}

static void test_faults_json(void **state)
{
    (void)state;
    sim_faults_t f;
    memset(&f, 0, sizeof(f));
    f.max_sessions = 1000;

    apply_ok(&f, "{\"latency_ms\":100,\"drop_probability\":0.5,\"garbage_reply\":true}");
    assert_int_equal(f.all.latency_ms, 100);
    assert_true(f.all.drop_probability == 0.5);
    assert_int_equal(f.all.garbage_reply, 1);
    assert_int_equal(f.all.truncate_reply, 0);
    apply_ok(&f, "{\"truncate_reply\":true,\"garbage_reply\":false,\"drop_probability\":1}");
    assert_int_equal(f.all.latency_ms, 100); /* untouched */
    assert_true(f.all.drop_probability == 1.0);
    assert_int_equal(f.all.garbage_reply, 0);

    apply_ok(&f, "{\"rfms\":{\"Z_RFMGW_WAIT\":{\"latency_ms\":5},\"RFC_PING\":{}}}");
    assert_int_equal(f.nrfms, 2);
    assert_int_equal(sim_faults_for(&f, gw_slice("Z_RFMGW_WAIT"))->latency_ms, 5);
    assert_int_equal(sim_faults_for(&f, gw_slice("RFC_PING"))->latency_ms, 0);
    assert_int_equal(sim_faults_for(&f, gw_slice("STFC_CONNECTION"))->latency_ms, 100);
    apply_ok(&f, "{\"rfms\":{\"Z_RFMGW_WAIT\":null}}");
    assert_int_equal(f.nrfms, 1);
    assert_string_equal(f.rfms[0].name, "RFC_PING");

    apply_ok(&f, "{\"refuse_connections\":true,\"black_hole\":true,\"max_sessions\":2,"
                 "\"seed\":7}");
    assert_int_equal(f.refuse_connections, 1);
    assert_int_equal(f.black_hole, 1);
    assert_int_equal(f.max_sessions, 2);
    assert_int_equal(f.seed, 7);

    apply_bad(&f, "{\"latency_ms\":-1}", "latency_ms: expected an integer 0..3600000");
    apply_bad(&f, "{\"drop_probability\":2}", "drop_probability: expected a number 0..1");
    apply_bad(&f, "{\"garbage_reply\":1}", "garbage_reply: expected true or false");
    apply_bad(&f, "{\"bogus\":1}", "bogus: unknown setting");
    apply_bad(&f, "{\"latency_ms\":5,\"bogus\":1}", "bogus: unknown setting");
    apply_bad(&f, "[1]", "expected a JSON object");
    apply_bad(&f, "{\"a\":", "malformed JSON");
    apply_bad(&f, "{\"latency_ms\":1,\"latency_ms\":2}", "malformed JSON");
    apply_bad(&f, "{\"rfms\":{\"X\":{\"seed\":1}}}", "rfms.X.seed: unknown setting");
    apply_bad(&f, "{\"rfms\":[]}", "rfms: expected an object");
    apply_bad(&f, "{\"max_sessions\":true}", "max_sessions: expected an integer");

    /* the JSON form reads back to the same settings */
    char *s = sim_faults_to_json(&f);
    assert_non_null(s);
    sim_faults_t g;
    memset(&g, 0, sizeof(g));
    apply_ok(&g, s);
    assert_memory_equal(&f.all, &g.all, sizeof(f.all));
    assert_int_equal(g.nrfms, f.nrfms);
    assert_int_equal(g.max_sessions, f.max_sessions);
    assert_int_equal(g.seed, f.seed);
    assert_int_equal(g.black_hole, 1);
    free(s);
}

static void test_rng(void **state)
{
    (void)state;
    uint64_t a = 42, b = 42;
    int hits = 0;
    for (int i = 0; i < 10000; i++) {
        double x = sim_rng_unit(&a);
        assert_true(x >= 0 && x < 1);
        assert_true(x == sim_rng_unit(&b)); /* deterministic */
        hits += x < 0.25;
    }
    assert_in_range(hits, 2200, 2800);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_settings),
        cmocka_unit_test(test_comm_resolution),
        cmocka_unit_test(test_pattern),
        cmocka_unit_test(test_comm_bad),
        cmocka_unit_test(test_logon_methods),
        cmocka_unit_test(test_lockout),
        cmocka_unit_test(test_faults_json),
        cmocka_unit_test(test_rng),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
