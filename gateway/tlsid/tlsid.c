/*
 * tlsid: PKCS#12 client identities and public-key pins (see tlsid.h).
 */
#include "tlsid/tlsid.h"
#include "error/error.h"

#include <errno.h>
#include <openssl/asn1.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>

/* Opens a file to read, or says why not. */
static FILE *open_or_say(const char *path, const char *mode, char *why, size_t whysize)
{
    FILE *f = fopen(path, mode);
    if (f == NULL)
        snprintf(why, whysize, "cannot read %s: %s", path, strerror(errno));
    return f;
}

int gw_tlsid_pkcs12(const char *path, const char *password, gw_tlsid_t *out, char *why,
                    size_t whysize)
{
    memset(out, 0, sizeof(*out));
    FILE *f = open_or_say(path, "rb", why, whysize);
    if (f == NULL)
        return GW_EINVAL;
    PKCS12 *p12 = d2i_PKCS12_fp(f, NULL);
    fclose(f);
    int ret = GW_EINVAL;
    if (p12 == NULL) {
        snprintf(why, whysize, "%s is not a PKCS#12 file", path);
    } else if (!PKCS12_verify_mac(p12, password ? password : "", -1) &&
               !(password == NULL && PKCS12_verify_mac(p12, NULL, 0))) {
        snprintf(why, whysize, "%s: wrong password (the file's MAC does not verify)", path);
    } else if (!PKCS12_parse(p12, password ? password : "", &out->key, &out->cert, &out->chain)) {
        snprintf(why, whysize, "%s: cannot decrypt its contents", path);
    } else if (out->cert == NULL || out->key == NULL) {
        snprintf(why, whysize, "%s holds no %s", path,
                 out->cert == NULL ? "certificate" : "private key");
    } else if (X509_check_private_key(out->cert, out->key) != 1) {
        snprintf(why, whysize, "%s: the private key does not belong to the certificate", path);
    } else {
        ret = 0;
    }
    PKCS12_free(p12);
    ERR_clear_error();
    if (ret != 0)
        gw_tlsid_free(out);
    return ret;
}

int gw_tlsid_pem(const char *cert_path, const char *key_path, gw_tlsid_t *out, char *why,
                 size_t whysize)
{
    memset(out, 0, sizeof(*out));
    FILE *f = open_or_say(cert_path, "r", why, whysize);
    if (f == NULL)
        return GW_EINVAL;
    out->cert = PEM_read_X509(f, NULL, NULL, NULL);
    X509 *x;
    while (out->cert && (x = PEM_read_X509(f, NULL, NULL, NULL)) != NULL) {
        if (out->chain == NULL)
            out->chain = sk_X509_new_null();
        if (out->chain == NULL || !sk_X509_push(out->chain, x))
            X509_free(x);
    }
    fclose(f);
    f = fopen(key_path, "r");
    if (f) {
        out->key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
        fclose(f);
    }
    ERR_clear_error();
    if (out->cert == NULL)
        snprintf(why, whysize, "%s holds no PEM certificate", cert_path);
    else if (out->key == NULL)
        snprintf(why, whysize, "cannot read a PEM private key from %s", key_path);
    else if (X509_check_private_key(out->cert, out->key) != 1)
        snprintf(why, whysize, "%s does not belong to the certificate in %s", key_path, cert_path);
    else
        return 0;
    ERR_clear_error();
    gw_tlsid_free(out);
    return GW_EINVAL;
}

void gw_tlsid_free(gw_tlsid_t *id)
{
    X509_free(id->cert);
    EVP_PKEY_free(id->key);
    sk_X509_pop_free(id->chain, X509_free);
    memset(id, 0, sizeof(*id));
}

int gw_tlsid_use(const gw_tlsid_t *id, struct ssl_ctx_st *ctx)
{
    SSL_CTX_clear_chain_certs(ctx);
    int ok = SSL_CTX_use_certificate(ctx, id->cert) == 1 &&
             SSL_CTX_use_PrivateKey(ctx, id->key) == 1 && SSL_CTX_check_private_key(ctx) == 1;
    for (int i = 0; ok && id->chain && i < sk_X509_num(id->chain); i++)
        ok = SSL_CTX_add1_chain_cert(ctx, sk_X509_value(id->chain, i)) == 1;
    ERR_clear_error();
    return ok ? 0 : GW_EINVAL;
}

int64_t gw_tlsid_not_after(const gw_tlsid_t *id)
{
    struct tm tm;
    if (id->cert == NULL || ASN1_TIME_to_tm(X509_get0_notAfter(id->cert), &tm) != 1)
        return 0;
    return (int64_t)timegm(&tm);
}

int gw_tlsid_pin_parse(const char *s, uint8_t out[32])
{
    if (s == NULL)
        return GW_EINVAL;
    if (strncmp(s, "sha256//", 8) == 0)
        s += 8;
    /* 32 bytes are 44 base64 characters ending in one '=' */
    unsigned char raw[33];
    if (strlen(s) != 44 || s[43] != '=' || s[42] == '=' ||
        EVP_DecodeBlock(raw, (const unsigned char *)s, 44) != 33)
        return GW_EINVAL;
    memcpy(out, raw, 32);
    return 0;
}

/* SHA-256 of the DER SubjectPublicKeyInfo. */
static int spki_sha256(const X509_PUBKEY *spki, EVP_PKEY *key, unsigned char md[32])
{
    unsigned char *der = NULL;
    int len = spki ? i2d_X509_PUBKEY(spki, &der) : key ? i2d_PUBKEY(key, &der) : -1;
    int ok = len > 0 && EVP_Digest(der, (size_t)len, md, NULL, EVP_sha256(), NULL) == 1;
    OPENSSL_free(der);
    return ok;
}

int gw_tlsid_pin_matches(struct x509_st *cert, const uint8_t (*pins)[32], size_t npins)
{
    unsigned char md[32];
    if (cert == NULL || !spki_sha256(X509_get_X509_PUBKEY(cert), NULL, md))
        return 0;
    for (size_t i = 0; i < npins; i++)
        if (CRYPTO_memcmp(md, pins[i], sizeof(md)) == 0)
            return 1;
    return 0;
}

int gw_tlsid_pin_of_file(const char *path, char *out, size_t size)
{
    FILE *f = size >= GW_TLSID_PIN_MAX ? fopen(path, "r") : NULL;
    if (f == NULL)
        return GW_EINVAL;
    X509 *cert = PEM_read_X509(f, NULL, NULL, NULL);
    EVP_PKEY *key = NULL;
    if (cert == NULL) {
        rewind(f);
        key = PEM_read_PUBKEY(f, NULL, NULL, NULL);
    }
    fclose(f);
    unsigned char md[32];
    int ok = (cert || key) && spki_sha256(cert ? X509_get_X509_PUBKEY(cert) : NULL, key, md);
    X509_free(cert);
    EVP_PKEY_free(key);
    ERR_clear_error();
    if (!ok)
        return GW_EINVAL;
    memcpy(out, "sha256//", 8);
    EVP_EncodeBlock((unsigned char *)out + 8, md, sizeof(md));
    return 0;
}
