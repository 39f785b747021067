/* Unit tests of auth/: base64url, JWT verification (HS256, RS256, ES256), JWKS parsing, API key
 * hashes. Tokens are made here with OpenSSL, so every check runs against real signatures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "auth/auth.h"
#include "error/error.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOW 1800000000LL

static const char SECRET[] = "0123456789abcdef0123456789abcdef-hs256";

static void b64(const void *p, size_t n, char *out)
{
    gw_b64url_encode(p, n, out);
}

/* header.payload, signed with `pk` (RS256/ES256) or SECRET (HS256); "none" leaves it unsigned. */
static char *make_token(const char *alg, const char *header, const char *claims, EVP_PKEY *pk)
{
    static char tok[8192];
    char h[1024], c[2048], s[1024] = "";
    b64(header, strlen(header), h);
    b64(claims, strlen(claims), c);
    snprintf(tok, sizeof(tok), "%s.%s", h, c);
    uint8_t sig[512];
    size_t sl = sizeof(sig);
    if (strcmp(alg, "HS256") == 0) {
        unsigned int ml = 0;
        HMAC(EVP_sha256(), SECRET, (int)strlen(SECRET), (const uint8_t *)tok, strlen(tok), sig,
             &ml);
        sl = ml;
    } else if (strcmp(alg, "none") != 0) {
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        assert_int_equal(EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, pk), 1);
        assert_int_equal(EVP_DigestSign(ctx, sig, &sl, (const uint8_t *)tok, strlen(tok)), 1);
        EVP_MD_CTX_free(ctx);
        if (strcmp(alg, "ES256") == 0) { /* DER → r || s */
            const uint8_t *p = sig;
            ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)sl);
            assert_non_null(es);
            BN_bn2binpad(ECDSA_SIG_get0_r(es), sig, 32);
            BN_bn2binpad(ECDSA_SIG_get0_s(es), sig + 32, 32);
            ECDSA_SIG_free(es);
            sl = 64;
        }
    }
    if (strcmp(alg, "none") != 0)
        b64(sig, sl, s);
    strcat(tok, ".");
    strcat(tok, s);
    return tok;
}

static gw_jwt_rules_t rules(void)
{
    gw_jwt_rules_t r = {"idp", "rfmgw", 30, 1, 8192, NOW};
    return r;
}

static char *pem_of(EVP_PKEY *pk)
{
    BIO *b = BIO_new(BIO_s_mem());
    PEM_write_bio_PUBKEY(b, pk);
    char *data;
    long n = BIO_get_mem_data(b, &data);
    char *out = strndup(data, (size_t)n);
    BIO_free(b);
    return out;
}

static int verify(const gw_jwt_keys_t *k, const gw_jwt_rules_t *r, const char *tok, char *why)
{
    json_t *claims = NULL;
    int ret = gw_jwt_verify(k, r, tok, strlen(tok), &claims, why, 160);
    if (ret == 0) {
        assert_string_equal(json_string_value(json_object_get(claims, "sub")), "u1");
        json_decref(claims);
    }
    return ret;
}

static void test_b64url(void **state)
{
    (void)state;
    uint8_t out[16];
    size_t n = 99;
    assert_int_equal(gw_b64url_decode("", 0, out, sizeof(out), &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(gw_b64url_decode("Zg", 2, out, sizeof(out), &n), 0);
    assert_true(n == 1 && out[0] == 'f');
    assert_int_equal(gw_b64url_decode("Zm8", 3, out, sizeof(out), &n), 0);
    assert_true(n == 2 && memcmp(out, "fo", 2) == 0);
    assert_int_equal(gw_b64url_decode("Zm9v", 4, out, sizeof(out), &n), 0);
    assert_true(n == 3 && memcmp(out, "foo", 3) == 0);
    assert_int_equal(gw_b64url_decode("-_8", 3, out, sizeof(out), &n), 0);
    assert_true(n == 2 && out[0] == 0xfb && out[1] == 0xff);
    assert_int_equal(gw_b64url_decode("Zg==", 4, out, sizeof(out), &n), GW_EINVAL); /* padding */
    assert_int_equal(gw_b64url_decode("Z", 1, out, sizeof(out), &n), GW_EINVAL);
    assert_int_equal(gw_b64url_decode("Zh", 2, out, sizeof(out), &n), GW_EINVAL); /* stray bits */
    assert_int_equal(gw_b64url_decode("+/8", 3, out, sizeof(out), &n),
                     GW_EINVAL); /* std alphabet */
    assert_int_equal(gw_b64url_decode("Zm 9", 4, out, sizeof(out), &n), GW_EINVAL);
    assert_int_equal(gw_b64url_decode("Zm9vZm9v", 8, out, 5, &n), GW_EINVAL); /* too long */
    uint8_t in[256], back[256];
    char text[400];
    for (int i = 0; i < 256; i++)
        in[i] = (uint8_t)(i * 37 + 11);
    for (size_t len = 0; len < 40; len++) {
        size_t tl = gw_b64url_encode(in, len, text);
        assert_int_equal(tl, strlen(text));
        assert_null(strpbrk(text, "+/="));
        assert_int_equal(gw_b64url_decode(text, tl, back, sizeof(back), &n), 0);
        assert_int_equal(n, len);
        assert_memory_equal(back, in, len);
    }
}

static void test_apikey_hash(void **state)
{
    (void)state;
    char a[GW_APIKEY_HASH_STR_MAX], b[GW_APIKEY_HASH_STR_MAX];
    assert_int_equal(gw_apikey_hash("key-one-abcdefghijklmnop", 24, a, sizeof(a)), 0);
    assert_int_equal(gw_apikey_hash("key-one-abcdefghijklmnop", 24, b, sizeof(b)), 0);
    assert_string_equal(a, b);
    assert_int_equal(strncmp(a, "sha256$", 7), 0);
    assert_int_equal(strlen(a), 7 + 43);
    assert_int_equal(gw_apikey_hash("key-one-abcdefghijklmnoq", 24, b, sizeof(b)), 0);
    assert_string_not_equal(a, b);
    assert_int_equal(gw_apikey_hash("k", 1, b, 10), GW_EINVAL);
}

static void test_hs256(void **state)
{
    (void)state;
    gw_jwt_keys_t *k = NULL;
    char why[160];
    assert_int_equal(gw_jwt_keys_load("HS256", NULL, 0, NULL, 0, (const uint8_t *)"short", 5, &k,
                                      why, sizeof(why)),
                     GW_EINVAL);
    assert_int_equal(gw_jwt_keys_load("HS256", NULL, 0, NULL, 0, (const uint8_t *)SECRET,
                                      strlen(SECRET), &k, why, sizeof(why)),
                     0);
    gw_jwt_rules_t r = rules();
    const char *hdr = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
    char claims[512];
    snprintf(claims, sizeof(claims),
             "{\"sub\":\"u1\",\"iss\":\"idp\",\"aud\":[\"x\",\"rfmgw\"],\"exp\":%lld}", NOW + 60);
    assert_int_equal(verify(k, &r, make_token("HS256", hdr, claims, NULL), why), 0);
    /* expired: 31 s past exp with 30 s leeway; within the leeway it passes */
    snprintf(claims, sizeof(claims),
             "{\"sub\":\"u1\",\"iss\":\"idp\",\"aud\":\"rfmgw\",\"exp\":%lld}", NOW - 31);
    assert_int_equal(verify(k, &r, make_token("HS256", hdr, claims, NULL), why), GW_EUNAUTH);
    assert_non_null(strstr(why, "expired"));
    snprintf(claims, sizeof(claims),
             "{\"sub\":\"u1\",\"iss\":\"idp\",\"aud\":\"rfmgw\",\"exp\":%lld}", NOW - 29);
    assert_int_equal(verify(k, &r, make_token("HS256", hdr, claims, NULL), why), 0);
    snprintf(claims, sizeof(claims),
             "{\"sub\":\"u1\",\"iss\":\"idp\",\"aud\":\"rfmgw\",\"exp\":%lld,\"nbf\":%lld}",
             NOW + 600, NOW + 31);
    assert_int_equal(verify(k, &r, make_token("HS256", hdr, claims, NULL), why), GW_EUNAUTH);
    assert_non_null(strstr(why, "nbf"));
    snprintf(claims, sizeof(claims),
             "{\"sub\":\"u1\",\"iss\":\"idp\",\"aud\":\"other\",\"exp\":%lld}", NOW + 60);
    assert_int_equal(verify(k, &r, make_token("HS256", hdr, claims, NULL), why), GW_EUNAUTH);
    assert_non_null(strstr(why, "audience"));
    snprintf(claims, sizeof(claims),
             "{\"sub\":\"u1\",\"iss\":\"evil\",\"aud\":\"rfmgw\",\"exp\":%lld}", NOW + 60);
    assert_int_equal(verify(k, &r, make_token("HS256", hdr, claims, NULL), why), GW_EUNAUTH);
    assert_non_null(strstr(why, "issuer"));
    assert_int_equal(
        verify(k, &r,
               make_token("HS256", hdr, "{\"sub\":\"u1\",\"iss\":\"idp\",\"aud\":\"rfmgw\"}", NULL),
               why),
        GW_EUNAUTH);
    assert_non_null(strstr(why, "no exp"));
    assert_int_equal(
        verify(k, &r,
               make_token("HS256", hdr,
                          "{\"sub\":\"u1\",\"iss\":\"idp\",\"aud\":\"rfmgw\",\"exp\":\"soon\"}",
                          NULL),
               why),
        GW_EUNAUTH);
    /* alg none, a wrong alg, a changed payload, duplicate names, garbage */
    snprintf(claims, sizeof(claims),
             "{\"sub\":\"u1\",\"iss\":\"idp\",\"aud\":\"rfmgw\",\"exp\":%lld}", NOW + 60);
    assert_int_equal(verify(k, &r, make_token("none", "{\"alg\":\"none\"}", claims, NULL), why),
                     GW_EUNAUTH);
    assert_non_null(strstr(why, "algorithm"));
    assert_int_equal(verify(k, &r, make_token("HS256", "{\"alg\":\"HS512\"}", claims, NULL), why),
                     GW_EUNAUTH);
    char *tok = make_token("HS256", hdr, claims, NULL), copy[8192];
    snprintf(copy, sizeof(copy), "%s", tok);
    char *dot = strchr(copy, '.');
    dot[3] = dot[3] == 'A' ? 'B' : 'A';
    assert_int_equal(verify(k, &r, copy, why), GW_EUNAUTH);
    assert_non_null(strstr(why, "signature"));
    assert_int_equal(
        verify(k, &r, make_token("HS256", "{\"alg\":\"HS256\",\"alg\":\"HS256\"}", claims, NULL),
               why),
        GW_EUNAUTH);
    assert_int_equal(
        verify(k, &r, make_token("HS256", "{\"alg\":\"HS256\",\"crit\":[\"x\"]}", claims, NULL),
               why),
        GW_EUNAUTH);
    assert_int_equal(verify(k, &r, "a.b", why), GW_EUNAUTH);
    assert_int_equal(verify(k, &r, "a.b.c.d", why), GW_EUNAUTH);
    assert_int_equal(verify(k, &r, "", why), GW_EUNAUTH);
    gw_jwt_rules_t tiny = r;
    tiny.max_len = 20;
    assert_int_equal(verify(k, &tiny, make_token("HS256", hdr, claims, NULL), why), GW_EUNAUTH);
    gw_jwt_keys_free(k);
}

static void test_es256_pem_and_confusion(void **state)
{
    (void)state;
    EVP_PKEY *ec = EVP_EC_gen("P-256");
    EVP_PKEY *rsa = EVP_RSA_gen(2048);
    assert_non_null(ec);
    assert_non_null(rsa);
    char *ec_pem = pem_of(ec), *rsa_pem = pem_of(rsa), why[160];
    gw_jwt_keys_t *k = NULL;
    /* a key of the wrong type for the algorithm is refused when loading */
    assert_int_equal(
        gw_jwt_keys_load("ES256", rsa_pem, strlen(rsa_pem), NULL, 0, NULL, 0, &k, why, sizeof(why)),
        GW_EINVAL);
    assert_int_equal(
        gw_jwt_keys_load("HS256", rsa_pem, strlen(rsa_pem), NULL, 0, NULL, 0, &k, why, sizeof(why)),
        GW_EINVAL);
    assert_int_equal(gw_jwt_keys_load("RS256", NULL, 0, NULL, 0, (const uint8_t *)SECRET,
                                      strlen(SECRET), &k, why, sizeof(why)),
                     GW_EINVAL);
    assert_int_equal(
        gw_jwt_keys_load("PS256", ec_pem, strlen(ec_pem), NULL, 0, NULL, 0, &k, why, sizeof(why)),
        GW_EINVAL);
    assert_int_equal(gw_jwt_keys_load("ES256", "junk", 4, NULL, 0, NULL, 0, &k, why, sizeof(why)),
                     GW_EINVAL);
    assert_int_equal(
        gw_jwt_keys_load("ES256", ec_pem, strlen(ec_pem), NULL, 0, NULL, 0, &k, why, sizeof(why)),
        0);
    gw_jwt_rules_t r = rules();
    char claims[256];
    snprintf(claims, sizeof(claims),
             "{\"sub\":\"u1\",\"iss\":\"idp\",\"aud\":\"rfmgw\",\"exp\":%lld}", NOW + 60);
    assert_int_equal(verify(k, &r, make_token("ES256", "{\"alg\":\"ES256\"}", claims, ec), why), 0);
    /* signed by another EC key */
    EVP_PKEY *ec2 = EVP_EC_gen("P-256");
    assert_int_equal(verify(k, &r, make_token("ES256", "{\"alg\":\"ES256\"}", claims, ec2), why),
                     GW_EUNAUTH);
    /* HS256 with the public key as the HMAC secret: refused on the algorithm */
    assert_int_equal(verify(k, &r, make_token("HS256", "{\"alg\":\"HS256\"}", claims, NULL), why),
                     GW_EUNAUTH);
    assert_non_null(strstr(why, "algorithm"));
    gw_jwt_keys_free(k);
    EVP_PKEY_free(ec);
    EVP_PKEY_free(ec2);
    EVP_PKEY_free(rsa);
    free(ec_pem);
    free(rsa_pem);
}

static void bn_member(EVP_PKEY *pk, const char *param, char *out)
{
    BIGNUM *bn = NULL;
    uint8_t buf[600];
    assert_int_equal(EVP_PKEY_get_bn_param(pk, param, &bn), 1);
    int n = BN_bn2bin(bn, buf);
    gw_b64url_encode(buf, (size_t)n, out);
    BN_free(bn);
}

static void test_jwks(void **state)
{
    (void)state;
    EVP_PKEY *r1 = EVP_RSA_gen(2048), *r2 = EVP_RSA_gen(2048);
    char n1[400], e1[16], n2[400], e2[16], jwks[2048], why[160];
    bn_member(r1, OSSL_PKEY_PARAM_RSA_N, n1);
    bn_member(r1, OSSL_PKEY_PARAM_RSA_E, e1);
    bn_member(r2, OSSL_PKEY_PARAM_RSA_N, n2);
    bn_member(r2, OSSL_PKEY_PARAM_RSA_E, e2);
    snprintf(
        jwks, sizeof(jwks),
        "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"k1\",\"use\":\"sig\",\"n\":\"%s\",\"e\":\"%s\"},"
        "{\"kty\":\"RSA\",\"kid\":\"k2\",\"alg\":\"RS256\",\"n\":\"%s\",\"e\":\"%s\"},"
        "{\"kty\":\"RSA\",\"kid\":\"enc\",\"use\":\"enc\",\"n\":\"%s\",\"e\":\"%s\"},"
        "{\"kty\":\"EC\",\"kid\":\"ec\",\"crv\":\"P-256\",\"x\":\"AA\",\"y\":\"AA\"}]}",
        n1, e1, n2, e2, n1, e1);
    gw_jwt_keys_t *k = NULL;
    assert_int_equal(
        gw_jwt_keys_load("RS256", NULL, 0, jwks, strlen(jwks), NULL, 0, &k, why, sizeof(why)), 0);
    gw_jwt_rules_t r = rules();
    char claims[256];
    snprintf(claims, sizeof(claims),
             "{\"sub\":\"u1\",\"iss\":\"idp\",\"aud\":\"rfmgw\",\"exp\":%lld}", NOW + 60);
    assert_int_equal(
        verify(k, &r, make_token("RS256", "{\"alg\":\"RS256\",\"kid\":\"k2\"}", claims, r2), why),
        0);
    assert_int_equal(
        verify(k, &r, make_token("RS256", "{\"alg\":\"RS256\",\"kid\":\"k1\"}", claims, r1), why),
        0);
    /* the kid names k1, but k2 signed */
    assert_int_equal(
        verify(k, &r, make_token("RS256", "{\"alg\":\"RS256\",\"kid\":\"k1\"}", claims, r2), why),
        GW_EUNAUTH);
    assert_int_equal(
        verify(k, &r, make_token("RS256", "{\"alg\":\"RS256\",\"kid\":\"k9\"}", claims, r1), why),
        GW_EUNAUTH);
    assert_non_null(strstr(why, "kid"));
    /* without a kid every key is tried */
    assert_int_equal(verify(k, &r, make_token("RS256", "{\"alg\":\"RS256\"}", claims, r2), why), 0);
    gw_jwt_keys_free(k);

    /* malformed documents */
    static const char *const bad[] = {
        "{\"keys\":[{\"kty\":\"RSA\",\"n\":\"!!\",\"e\":\"AQAB\"}]}",
        "{\"keys\":{}}",
        "{\"keys\":[{\"n\":\"AA\"}]}",
        "{\"keys\":[]}",
        "not json",
        "{\"keys\":[],\"keys\":[]}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        k = NULL;
        if (gw_jwt_keys_load("RS256", NULL, 0, bad[i], strlen(bad[i]), NULL, 0, &k, why,
                             sizeof(why)) != GW_EINVAL)
            fail_msg("accepted bad JWKS %zu: %s", i, bad[i]);
    }

    /* EC from x/y, oct for HS256 */
    EVP_PKEY *ec = EVP_EC_gen("P-256");
    uint8_t pub[65];
    size_t pl = 0;
    assert_int_equal(
        EVP_PKEY_get_octet_string_param(ec, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof(pub), &pl), 1);
    assert_int_equal(pl, 65);
    char x[64], y[64], ecjwks[512];
    gw_b64url_encode(pub + 1, 32, x);
    gw_b64url_encode(pub + 33, 32, y);
    snprintf(ecjwks, sizeof(ecjwks),
             "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\"}]}", x, y);
    assert_int_equal(
        gw_jwt_keys_load("ES256", NULL, 0, ecjwks, strlen(ecjwks), NULL, 0, &k, why, sizeof(why)),
        0);
    assert_int_equal(verify(k, &r, make_token("ES256", "{\"alg\":\"ES256\"}", claims, ec), why), 0);
    gw_jwt_keys_free(k);
    x[5] = x[5] == 'A' ? 'B' : 'A'; /* not on the curve any more */
    snprintf(ecjwks, sizeof(ecjwks),
             "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\"}]}", x, y);
    assert_int_equal(
        gw_jwt_keys_load("ES256", NULL, 0, ecjwks, strlen(ecjwks), NULL, 0, &k, why, sizeof(why)),
        GW_EINVAL);
    char sec64[128], octjwks[256];
    gw_b64url_encode((const uint8_t *)SECRET, strlen(SECRET), sec64);
    snprintf(octjwks, sizeof(octjwks), "{\"keys\":[{\"kty\":\"oct\",\"k\":\"%s\"}]}", sec64);
    assert_int_equal(
        gw_jwt_keys_load("HS256", NULL, 0, octjwks, strlen(octjwks), NULL, 0, &k, why, sizeof(why)),
        0);
    assert_int_equal(verify(k, &r, make_token("HS256", "{\"alg\":\"HS256\"}", claims, NULL), why),
                     0);
    gw_jwt_keys_free(k);
    EVP_PKEY_free(ec);
    EVP_PKEY_free(r1);
    EVP_PKEY_free(r2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_b64url), cmocka_unit_test(test_apikey_hash),
        cmocka_unit_test(test_hs256),  cmocka_unit_test(test_es256_pem_and_confusion),
        cmocka_unit_test(test_jwks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
