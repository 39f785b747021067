/*
 * tlsid: TLS identity files — a client identity from a PKCS#12 file, and
 * the public-key pins of tls.pin_sha256.
 *
 * Used by config (to check the files at load and by --check-config), by
 * transport (to put an identity into a client TLS context and to check a
 * server's key) and by main (--pin-sha256). Passwords are never copied or
 * logged; reasons say what is wrong, not with what value.
 */
#ifndef GW_TLSID_H
#define GW_TLSID_H

#include <stddef.h>
#include <stdint.h>

struct x509_st;
struct evp_pkey_st;
struct stack_st_X509;
struct ssl_ctx_st;

/** A client identity: certificate, its private key, and the chain to send with it. */
typedef struct gw_tlsid {
    struct x509_st *cert;
    struct evp_pkey_st *key;
    struct stack_st_X509 *chain; /* may be NULL */
} gw_tlsid_t;

/**
 * Reads a PKCS#12 file (`password` may be NULL or "") into `out`. Returns 0,
 * or GW_EINVAL with the reason in `why`: unreadable file, not PKCS#12,
 * wrong password, no certificate or no key in it, or a key that does not
 * belong to the certificate.
 */
int gw_tlsid_pkcs12(const char *path, const char *password, gw_tlsid_t *out, char *why,
                    size_t whysize);
/**
 * Reads a PEM certificate chain file (the first certificate is the client's,
 * the rest its chain) and its PEM private key into `out`. Returns 0 or
 * GW_EINVAL with the reason in `why`.
 */
int gw_tlsid_pem(const char *cert_path, const char *key_path, gw_tlsid_t *out, char *why,
                 size_t whysize);
/** Frees what gw_tlsid_pkcs12 or gw_tlsid_pem read; the struct is zeroed. */
void gw_tlsid_free(gw_tlsid_t *id);
/** Makes `id` the client identity of `ctx` (an SSL_CTX). Returns 0 or GW_EINVAL. */
int gw_tlsid_use(const gw_tlsid_t *id, struct ssl_ctx_st *ctx);

/** The notAfter of the identity's certificate (Unix seconds), 0 if unknown. */
int64_t gw_tlsid_not_after(const gw_tlsid_t *id);

/** Room for "sha256//" + 44 base64 characters + NUL. */
#define GW_TLSID_PIN_MAX 53

/**
 * Parses one tls.pin_sha256 entry ("sha256//<base64>" or the bare base64 of
 * 32 bytes) into `out`. Returns 0 or GW_EINVAL.
 */
int gw_tlsid_pin_parse(const char *s, uint8_t out[32]);
/** Whether the SHA-256 of `cert`'s SubjectPublicKeyInfo is one of `pins`. */
int gw_tlsid_pin_matches(struct x509_st *cert, const uint8_t (*pins)[32], size_t npins);
/**
 * The pin of the first certificate (or else public key) in a PEM file, as
 * "sha256//<base64>" into `out` (GW_TLSID_PIN_MAX bytes or more). Returns 0
 * or GW_EINVAL.
 */
int gw_tlsid_pin_of_file(const char *path, char *out, size_t size);

#endif
