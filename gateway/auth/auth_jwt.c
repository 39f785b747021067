/*
 * auth_jwt: JWT bearer tokens (RFC 7519, JWS compact form) with OpenSSL.
 *
 * The algorithm is configured, never taken from the token: a keys object
 * holds keys of exactly one algorithm and type (HMAC secrets for HS256,
 * RSA public keys for RS256, EC P-256 public keys for ES256). A token
 * whose header names another algorithm — `none`, or HS256 against RSA keys
 * (the classic confusion where the public key becomes the HMAC secret) —
 * is refused before any key is used. Every decoder is strict: unpadded
 * base64url only, JSON without duplicate names, bounded lengths.
 */
#include "auth/auth.h"
#include "error/error.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_KEYS 32

/* ---- base64url ---- */

static int b64url_val(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

int gw_b64url_decode(const char *s, size_t len, uint8_t *out, size_t max, size_t *outlen)
{
    size_t n = 0;
    uint32_t acc = 0;
    int bits = 0;
    if (len % 4 == 1)
        return GW_EINVAL;
    for (size_t i = 0; i < len; i++) {
        int v = b64url_val(s[i]);
        if (v < 0)
            return GW_EINVAL;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (n >= max)
                return GW_EINVAL;
            out[n++] = (uint8_t)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (acc != 0) /* the unused low bits of the last character must be zero */
        return GW_EINVAL;
    *outlen = n;
    return 0;
}

size_t gw_b64url_encode(const uint8_t *in, size_t len, char *out)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        acc = (acc << 8) | in[i];
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out[o++] = tab[(acc >> bits) & 63];
        }
    }
    if (bits > 0)
        out[o++] = tab[(acc << (6 - bits)) & 63];
    out[o] = '\0';
    return o;
}

/* ---- keys ---- */

enum { ALG_HS256 = 1, ALG_RS256, ALG_ES256 };

typedef struct {
    char kid[128];   /* "" = none */
    EVP_PKEY *pkey;  /* RS256, ES256 */
    uint8_t *secret; /* HS256 */
    size_t secret_len;
} jkey_t;

struct gw_jwt_keys {
    int alg;
    const char *alg_name;
    size_t n;
    jkey_t k[MAX_KEYS];
};

static int alg_of(const char *name)
{
    if (name == NULL)
        return 0;
    if (strcmp(name, "HS256") == 0)
        return ALG_HS256;
    if (strcmp(name, "RS256") == 0)
        return ALG_RS256;
    if (strcmp(name, "ES256") == 0)
        return ALG_ES256;
    return 0;
}

/* 1 when `pk` is the key type the algorithm needs (RSA ≥ 2048 bits; EC on P-256). */
static int pkey_fits(int alg, EVP_PKEY *pk, char *why, size_t whylen)
{
    if (alg == ALG_RS256) {
        if (EVP_PKEY_get_base_id(pk) != EVP_PKEY_RSA) {
            snprintf(why, whylen, "RS256 needs an RSA key");
            return 0;
        }
        if (EVP_PKEY_get_bits(pk) < 2048) {
            snprintf(why, whylen, "RSA keys need at least 2048 bits");
            return 0;
        }
        return 1;
    }
    if (alg == ALG_ES256) {
        char group[64] = "";
        size_t gl = 0;
        if (EVP_PKEY_get_base_id(pk) != EVP_PKEY_EC ||
            EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
                                           &gl) != 1 ||
            strcmp(group, "prime256v1") != 0) {
            snprintf(why, whylen, "ES256 needs an EC key on P-256");
            return 0;
        }
        return 1;
    }
    snprintf(why, whylen, "HS256 takes a secret, not a public key");
    return 0;
}

static int add_secret(gw_jwt_keys_t *k, const char *kid, const uint8_t *s, size_t len)
{
    if (k->n >= MAX_KEYS)
        return GW_EINVAL;
    jkey_t *j = &k->k[k->n];
    j->secret = malloc(len ? len : 1);
    if (j->secret == NULL)
        return GW_ENOMEM;
    memcpy(j->secret, s, len);
    j->secret_len = len;
    snprintf(j->kid, sizeof(j->kid), "%s", kid ? kid : "");
    k->n++;
    return 0;
}

static int add_pkey(gw_jwt_keys_t *k, const char *kid, EVP_PKEY *pk)
{
    if (k->n >= MAX_KEYS) {
        EVP_PKEY_free(pk);
        return GW_EINVAL;
    }
    k->k[k->n].pkey = pk;
    snprintf(k->k[k->n].kid, sizeof(k->k[k->n].kid), "%s", kid ? kid : "");
    k->n++;
    return 0;
}

/* A base64url member of a JWK, decoded into `out`; 0 or -1. */
static int jwk_bytes(json_t *jwk, const char *name, uint8_t *out, size_t max, size_t *len)
{
    const char *v = json_string_value(json_object_get(jwk, name));
    if (v == NULL)
        return -1;
    return gw_b64url_decode(v, strlen(v), out, max, len) == 0 && *len > 0 ? 0 : -1;
}

static EVP_PKEY *jwk_rsa(json_t *jwk)
{
    uint8_t n[1024], e[16];
    size_t nl = 0, el = 0;
    EVP_PKEY *pk = NULL;
    if (jwk_bytes(jwk, "n", n, sizeof(n), &nl) || jwk_bytes(jwk, "e", e, sizeof(e), &el))
        return NULL;
    BIGNUM *bn = BN_bin2bn(n, (int)nl, NULL), *be = BN_bin2bn(e, (int)el, NULL);
    OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
    OSSL_PARAM *p = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    if (bn && be && b && ctx && OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_N, bn) &&
        OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_E, be) &&
        (p = OSSL_PARAM_BLD_to_param(b)) != NULL && EVP_PKEY_fromdata_init(ctx) == 1 &&
        EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, p) != 1)
        pk = NULL;
    OSSL_PARAM_free(p);
    OSSL_PARAM_BLD_free(b);
    EVP_PKEY_CTX_free(ctx);
    BN_free(bn);
    BN_free(be);
    return pk;
}

static EVP_PKEY *jwk_ec(json_t *jwk)
{
    uint8_t pt[65], x[32], y[32];
    size_t xl = 0, yl = 0;
    EVP_PKEY *pk = NULL;
    const char *crv = json_string_value(json_object_get(jwk, "crv"));
    if (crv == NULL || strcmp(crv, "P-256") != 0 || jwk_bytes(jwk, "x", x, sizeof(x), &xl) ||
        jwk_bytes(jwk, "y", y, sizeof(y), &yl) || xl != 32 || yl != 32)
        return NULL;
    pt[0] = 0x04;
    memcpy(pt + 1, x, 32);
    memcpy(pt + 33, y, 32);
    OSSL_PARAM p[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
                                         (char *)(uintptr_t) "prime256v1", 0),
        OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt)),
        OSSL_PARAM_construct_end(),
    };
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, p) != 1)
        pk = NULL;
    EVP_PKEY_CTX_free(ctx);
    /* fromdata does not check that the point is on the curve */
    if (pk) {
        EVP_PKEY_CTX *c2 = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
        if (c2 == NULL || EVP_PKEY_public_check(c2) != 1) {
            EVP_PKEY_free(pk);
            pk = NULL;
        }
        EVP_PKEY_CTX_free(c2);
    }
    return pk;
}

static int load_jwks(gw_jwt_keys_t *k, const char *text, size_t len, char *why, size_t whylen)
{
    json_error_t jerr;
    json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    json_t *keys = doc ? json_object_get(doc, "keys") : NULL;
    int ret = GW_EINVAL;
    if (doc == NULL) {
        snprintf(why, whylen, "JWKS: line %d: %s", jerr.line, jerr.text);
        goto cleanup;
    }
    if (!json_is_array(keys)) {
        snprintf(why, whylen, "JWKS: no \"keys\" array");
        goto cleanup;
    }
    size_t i;
    json_t *jwk;
    json_array_foreach(keys, i, jwk)
    {
        const char *kty = json_string_value(json_object_get(jwk, "kty"));
        const char *use = json_string_value(json_object_get(jwk, "use"));
        const char *alg = json_string_value(json_object_get(jwk, "alg"));
        const char *kid = json_string_value(json_object_get(jwk, "kid"));
        if (kty == NULL) {
            snprintf(why, whylen, "JWKS: key %zu has no \"kty\"", i);
            goto cleanup;
        }
        if ((use && strcmp(use, "sig") != 0) || (alg && strcmp(alg, k->alg_name) != 0))
            continue; /* meant for something else */
        if (k->alg == ALG_HS256 && strcmp(kty, "oct") == 0) {
            uint8_t s[512];
            size_t sl = 0;
            if (jwk_bytes(jwk, "k", s, sizeof(s), &sl) || sl < 32) {
                snprintf(why, whylen, "JWKS: key %zu: \"k\" missing, malformed or < 32 bytes", i);
                goto cleanup;
            }
            ret = add_secret(k, kid, s, sl);
            OPENSSL_cleanse(s, sizeof(s));
            if (ret)
                goto cleanup;
            ret = GW_EINVAL;
        } else if ((k->alg == ALG_RS256 && strcmp(kty, "RSA") == 0) ||
                   (k->alg == ALG_ES256 && strcmp(kty, "EC") == 0)) {
            EVP_PKEY *pk = k->alg == ALG_RS256 ? jwk_rsa(jwk) : jwk_ec(jwk);
            if (pk == NULL) {
                snprintf(why, whylen, "JWKS: key %zu: malformed %s key", i, kty);
                goto cleanup;
            }
            if (!pkey_fits(k->alg, pk, why, whylen)) {
                EVP_PKEY_free(pk);
                goto cleanup;
            }
            if (add_pkey(k, kid, pk)) {
                snprintf(why, whylen, "JWKS: more than %d keys", MAX_KEYS);
                goto cleanup;
            }
        }
    }
    if (k->n == 0) {
        snprintf(why, whylen, "JWKS: no key for %s", k->alg_name);
        goto cleanup;
    }
    ret = 0;
cleanup:
    json_decref(doc);
    return ret;
}

static int load_pem(gw_jwt_keys_t *k, const char *pem, size_t len, char *why, size_t whylen)
{
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    EVP_PKEY *pk = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
    if (pk == NULL && bio) {
        BIO_free(bio);
        bio = BIO_new_mem_buf(pem, (int)len);
        X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
        pk = x ? X509_get_pubkey(x) : NULL;
        X509_free(x);
    }
    BIO_free(bio);
    if (pk == NULL) {
        snprintf(why, whylen, "no PEM public key or certificate found");
        return GW_EINVAL;
    }
    if (!pkey_fits(k->alg, pk, why, whylen)) {
        EVP_PKEY_free(pk);
        return GW_EINVAL;
    }
    return add_pkey(k, NULL, pk);
}

int gw_jwt_keys_load(const char *alg, const char *pem, size_t pem_len, const char *jwks,
                     size_t jwks_len, const uint8_t *secret, size_t secret_len, gw_jwt_keys_t **out,
                     char *why, size_t whylen)
{
    *out = NULL;
    int a = alg_of(alg);
    if (a == 0) {
        snprintf(why, whylen, "algorithm must be HS256, RS256 or ES256");
        return GW_EINVAL;
    }
    if ((pem != NULL) + (jwks != NULL) + (secret != NULL) != 1) {
        snprintf(why, whylen, "exactly one key source");
        return GW_EINVAL;
    }
    gw_jwt_keys_t *k = calloc(1, sizeof(*k));
    if (k == NULL)
        return GW_ENOMEM;
    k->alg = a;
    k->alg_name = a == ALG_HS256 ? "HS256" : a == ALG_RS256 ? "RS256" : "ES256";
    int ret;
    if (pem)
        ret = a == ALG_HS256
                  ? (snprintf(why, whylen, "HS256 takes a secret, not a public key"), GW_EINVAL)
                  : load_pem(k, pem, pem_len, why, whylen);
    else if (jwks)
        ret = load_jwks(k, jwks, jwks_len, why, whylen);
    else if (a != ALG_HS256)
        ret =
            (snprintf(why, whylen, "%s takes a public key, not a secret", k->alg_name), GW_EINVAL);
    else if (secret_len < 32)
        ret = (snprintf(why, whylen, "the HS256 secret must have at least 32 bytes"), GW_EINVAL);
    else
        ret = add_secret(k, NULL, secret, secret_len);
    if (ret) {
        gw_jwt_keys_free(k);
        return ret;
    }
    *out = k;
    return 0;
}

void gw_jwt_keys_free(gw_jwt_keys_t *k)
{
    if (k == NULL)
        return;
    for (size_t i = 0; i < k->n; i++) {
        EVP_PKEY_free(k->k[i].pkey);
        if (k->k[i].secret) {
            OPENSSL_cleanse(k->k[i].secret, k->k[i].secret_len);
            free(k->k[i].secret);
        }
    }
    free(k);
}

/* ---- verification ---- */

static int verify_one(const gw_jwt_keys_t *k, const jkey_t *key, const uint8_t *data, size_t len,
                      const uint8_t *sig, size_t siglen)
{
    if (k->alg == ALG_HS256) {
        uint8_t mac[32];
        unsigned int ml = 0;
        if (siglen != 32 ||
            HMAC(EVP_sha256(), key->secret, (int)key->secret_len, data, len, mac, &ml) == NULL ||
            ml != 32)
            return 0;
        int ok = CRYPTO_memcmp(mac, sig, 32) == 0;
        OPENSSL_cleanse(mac, sizeof(mac));
        return ok;
    }
    uint8_t der[80];
    const uint8_t *s = sig;
    size_t sl = siglen;
    if (k->alg == ALG_ES256) { /* JWS carries r || s; OpenSSL wants DER */
        if (siglen != 64)
            return 0;
        ECDSA_SIG *es = ECDSA_SIG_new();
        BIGNUM *r = BN_bin2bn(sig, 32, NULL), *ss = BN_bin2bn(sig + 32, 32, NULL);
        if (es == NULL || r == NULL || ss == NULL || ECDSA_SIG_set0(es, r, ss) != 1) {
            BN_free(r);
            BN_free(ss);
            ECDSA_SIG_free(es);
            return 0;
        }
        uint8_t *p = der;
        int dl = i2d_ECDSA_SIG(es, NULL);
        if (dl <= 0 || (size_t)dl > sizeof(der) || i2d_ECDSA_SIG(es, &p) != dl) {
            ECDSA_SIG_free(es);
            return 0;
        }
        ECDSA_SIG_free(es);
        s = der;
        sl = (size_t)dl;
    }
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx && EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key->pkey) == 1 &&
             EVP_DigestVerify(ctx, s, sl, data, len) == 1;
    EVP_MD_CTX_free(ctx);
    return ok;
}

/* Decodes one base64url JSON segment into an object. */
static json_t *segment_json(const char *s, size_t len)
{
    uint8_t *buf = malloc(len ? len : 1);
    size_t n = 0;
    json_t *j = NULL;
    if (buf && gw_b64url_decode(s, len, buf, len, &n) == 0)
        j = json_loadb((const char *)buf, n, JSON_REJECT_DUPLICATES, NULL);
    free(buf);
    if (j && !json_is_object(j)) {
        json_decref(j);
        j = NULL;
    }
    return j;
}

/* A NumericDate claim: 1 when present and valid (into *v), 0 absent, -1 malformed. */
static int numeric_date(json_t *claims, const char *name, double *v)
{
    json_t *x = json_object_get(claims, name);
    if (x == NULL)
        return 0;
    if (!json_is_number(x))
        return -1;
    *v = json_number_value(x);
    return 1;
}

static int aud_has(json_t *aud, const char *want)
{
    if (json_is_string(aud))
        return strcmp(json_string_value(aud), want) == 0;
    size_t i;
    json_t *x;
    json_array_foreach(aud, i, x) if (json_is_string(x) &&
                                      strcmp(json_string_value(x), want) == 0) return 1;
    return 0;
}

int gw_jwt_verify(const gw_jwt_keys_t *k, const gw_jwt_rules_t *rules, const char *token,
                  size_t len, json_t **claims, char *why, size_t whylen)
{
    json_t *hdr = NULL, *cl = NULL;
    uint8_t sig[512];
    size_t siglen = 0;
    int ret = GW_EUNAUTH;
    *claims = NULL;
    if (len == 0 || len > rules->max_len) {
        snprintf(why, whylen, "the token is empty or longer than %zu bytes", rules->max_len);
        goto cleanup;
    }
    const char *d1 = memchr(token, '.', len);
    const char *d2 = d1 ? memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - token)) : NULL;
    if (d1 == NULL || d2 == NULL || memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - token))) {
        snprintf(why, whylen, "the token is not header.payload.signature");
        goto cleanup;
    }
    hdr = segment_json(token, (size_t)(d1 - token));
    if (hdr == NULL) {
        snprintf(why, whylen, "the token's header is not base64url JSON");
        goto cleanup;
    }
    const char *alg = json_string_value(json_object_get(hdr, "alg"));
    if (alg == NULL || strcmp(alg, k->alg_name) != 0) {
        snprintf(why, whylen, "the token's algorithm %.20s is not the accepted one (%s)",
                 alg ? alg : "(none)", k->alg_name);
        goto cleanup;
    }
    if (json_object_get(hdr, "crit")) {
        snprintf(why, whylen, "the token has critical header extensions");
        goto cleanup;
    }
    const char *sig64 = d2 + 1;
    size_t sig64len = len - (size_t)(sig64 - token);
    if (gw_b64url_decode(sig64, sig64len, sig, sizeof(sig), &siglen) != 0 || siglen == 0) {
        snprintf(why, whylen, "the token's signature is not base64url");
        goto cleanup;
    }
    const char *kid = json_string_value(json_object_get(hdr, "kid"));
    int verified = 0, candidates = 0;
    for (size_t i = 0; i < k->n && !verified; i++) {
        if (kid && k->k[i].kid[0] && strcmp(kid, k->k[i].kid) != 0)
            continue;
        candidates++;
        verified =
            verify_one(k, &k->k[i], (const uint8_t *)token, (size_t)(d2 - token), sig, siglen);
    }
    if (!verified) {
        snprintf(why, whylen, "%s", candidates ? "bad signature" : "no key with the token's kid");
        goto cleanup;
    }
    cl = segment_json(d1 + 1, (size_t)(d2 - d1 - 1));
    if (cl == NULL) {
        snprintf(why, whylen, "the token's claims are not base64url JSON");
        goto cleanup;
    }
    double exp = 0, nbf = 0, now = (double)rules->now_s;
    int has_exp = numeric_date(cl, "exp", &exp), has_nbf = numeric_date(cl, "nbf", &nbf);
    if (has_exp < 0 || has_nbf < 0) {
        snprintf(why, whylen, "exp or nbf is not a number");
        goto cleanup;
    }
    if (has_exp == 0 && rules->require_exp) {
        snprintf(why, whylen, "the token has no exp");
        goto cleanup;
    }
    if (has_exp && now > exp + rules->leeway_s) {
        snprintf(why, whylen, "the token expired");
        goto cleanup;
    }
    if (has_nbf && now + rules->leeway_s < nbf) {
        snprintf(why, whylen, "the token is not valid yet (nbf)");
        goto cleanup;
    }
    if (rules->issuer) {
        const char *iss = json_string_value(json_object_get(cl, "iss"));
        if (iss == NULL || strcmp(iss, rules->issuer) != 0) {
            snprintf(why, whylen, "wrong issuer (iss)");
            goto cleanup;
        }
    }
    if (rules->audience && !aud_has(json_object_get(cl, "aud"), rules->audience)) {
        snprintf(why, whylen, "wrong audience (aud)");
        goto cleanup;
    }
    *claims = cl;
    cl = NULL;
    ret = 0;
cleanup:
    json_decref(hdr);
    json_decref(cl);
    return ret;
}
