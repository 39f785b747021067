/* tlsid: pin parsing is strict (prefix optional, exactly 32 bytes of base64); a pin computed
 * from a PEM certificate matches that certificate and no other; PKCS#12 files are read with
 * the right password and refused with the wrong one, a missing file or a non-PKCS#12 file,
 * each with its reason. The key pair and files are made here with OpenSSL. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "error/error.h"
#include "tlsid/tlsid.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[] = "/tmp/rfmgw-tlsid-XXXXXX";

/* A self-signed certificate for a fresh EC key. */
static X509 *make_cert(EVP_PKEY **key_out, const char *cn)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    assert_non_null(key);
    X509 *x = X509_new();
    assert_non_null(x);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, key);
    X509_NAME *n = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, n);
    assert_true(X509_sign(x, key, EVP_sha256()) > 0);
    *key_out = key;
    return x;
}

static char *path_of(const char *name)
{
    static char buf[4][128];
    static int i;
    char *p = buf[i++ % 4];
    snprintf(p, sizeof(buf[0]), "%s/%s", dir, name);
    return p;
}

static void write_pem_cert(const char *path, X509 *x)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_true(PEM_write_X509(f, x));
    fclose(f);
}

static void test_pin_parse(void **state)
{
    (void)state;
    uint8_t a[32], b[32];
    const char *b64 = "nmf5y+wvBIXSOO/32LiwTvZHKpD41DJvQKAkl3FKUDs=";
    char pre[64];
    snprintf(pre, sizeof(pre), "sha256//%s", b64);
    assert_int_equal(gw_tlsid_pin_parse(b64, a), 0);
    assert_int_equal(gw_tlsid_pin_parse(pre, b), 0);
    assert_memory_equal(a, b, 32);
    assert_int_equal(gw_tlsid_pin_parse("sha256//tooshort", a), GW_EINVAL);
    assert_int_equal(gw_tlsid_pin_parse("nmf5y+wvBIXSOO/32LiwTvZHKpD41DJvQKAkl3FKUD==", a),
                     GW_EINVAL); /* 31 bytes */
    assert_int_equal(gw_tlsid_pin_parse("nmf5y+wvBIXSOO/32LiwTvZHKpD41DJvQKAkl3FKU!s=", a),
                     GW_EINVAL);
    assert_int_equal(gw_tlsid_pin_parse(NULL, a), GW_EINVAL);
}

static void test_pin_of_file_matches(void **state)
{
    (void)state;
    EVP_PKEY *k1, *k2;
    X509 *c1 = make_cert(&k1, "one"), *c2 = make_cert(&k2, "two");
    write_pem_cert(path_of("one.pem"), c1);
    char pin[GW_TLSID_PIN_MAX + 8];
    assert_int_equal(gw_tlsid_pin_of_file(path_of("one.pem"), pin, sizeof(pin)), 0);
    assert_int_equal(strncmp(pin, "sha256//", 8), 0);
    assert_int_equal(strlen(pin), 8 + 44);
    uint8_t pins[1][32];
    assert_int_equal(gw_tlsid_pin_parse(pin, pins[0]), 0);
    assert_true(gw_tlsid_pin_matches(c1, (const uint8_t(*)[32])pins, 1));
    assert_false(gw_tlsid_pin_matches(c2, (const uint8_t(*)[32])pins, 1));
    assert_false(gw_tlsid_pin_matches(c1, (const uint8_t(*)[32])pins, 0));
    assert_int_equal(gw_tlsid_pin_of_file(path_of("missing.pem"), pin, sizeof(pin)), GW_EINVAL);
    assert_int_equal(gw_tlsid_pin_of_file(path_of("one.pem"), pin, 10), GW_EINVAL);
    X509_free(c1);
    X509_free(c2);
    EVP_PKEY_free(k1);
    EVP_PKEY_free(k2);
}

static void test_pkcs12(void **state)
{
    (void)state;
    EVP_PKEY *k;
    X509 *c = make_cert(&k, "p12");
    PKCS12 *p12 = PKCS12_create("s3cret", "rfmgw", k, c, NULL, 0, 0, 0, 0, 0);
    assert_non_null(p12);
    FILE *f = fopen(path_of("id.p12"), "wb");
    assert_non_null(f);
    assert_true(i2d_PKCS12_fp(f, p12));
    fclose(f);
    PKCS12_free(p12);
    write_pem_cert(path_of("not.p12"), c);

    gw_tlsid_t id;
    char why[300];
    assert_int_equal(gw_tlsid_pkcs12(path_of("id.p12"), "s3cret", &id, why, sizeof(why)), 0);
    assert_non_null(id.cert);
    assert_non_null(id.key);
    assert_int_equal(X509_cmp(id.cert, c), 0);
    assert_true(gw_tlsid_not_after(&id) > 0);
    gw_tlsid_free(&id);
    assert_null(id.cert);

    assert_int_equal(gw_tlsid_pkcs12(path_of("id.p12"), "wrong", &id, why, sizeof(why)), GW_EINVAL);
    assert_non_null(strstr(why, "wrong password"));
    assert_null(strstr(why, "wrong\"")); /* the reason never quotes a password */
    assert_null(id.cert);
    assert_int_equal(gw_tlsid_pkcs12(path_of("not.p12"), "s3cret", &id, why, sizeof(why)),
                     GW_EINVAL);
    assert_non_null(strstr(why, "is not a PKCS#12 file"));
    assert_int_equal(gw_tlsid_pkcs12(path_of("nothing.p12"), NULL, &id, why, sizeof(why)),
                     GW_EINVAL);
    assert_non_null(strstr(why, "cannot read"));
    X509_free(c);
    EVP_PKEY_free(k);
}

static int setup(void **state)
{
    (void)state;
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    const char *names[] = {"one.pem", "id.p12", "not.p12"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        unlink(path_of(names[i]));
    return rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pin_parse),
        cmocka_unit_test(test_pin_of_file_matches),
        cmocka_unit_test(test_pkcs12),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
