/*
 * fronttls: the HTTPS listener's certificate chain and key, handed to
 * libmicrohttpd's GnuTLS through its certificate callback, so that SIGHUP
 * can replace them without a restart (docs/security.md).
 *
 * A handshake takes whatever pair is current when it asks; a pair once
 * handed out stays valid until gw_fronttls_clear() (rfmgw's stop), since
 * GnuTLS keeps using it for that session. Reloads are rare, pairs small.
 * The callback has no user data, so there is one current pair per process.
 * Any thread.
 */
#ifndef GW_FRONTTLS_H
#define GW_FRONTTLS_H

#include <stddef.h>

/** A certificate chain with its key. */
typedef struct gw_fronttls_pair gw_fronttls_pair_t;

/**
 * Reads the PEM certificate chain `cert` (leaf first) and its private key
 * `key` and checks that they belong together. NULL with the reason in
 * `why` (naming the file, never the key).
 */
gw_fronttls_pair_t *gw_fronttls_load(const char *cert, const char *key, char *why, size_t whysize);
/** Makes `p` (taken over) the pair the next handshakes get. */
void gw_fronttls_install(gw_fronttls_pair_t *p);
/** Frees a pair that was not installed (a refused reload). NULL is fine. */
void gw_fronttls_discard(gw_fronttls_pair_t *p);

/**
 * The value of MHD_OPTION_HTTPS_CERT_CALLBACK (a
 * gnutls_certificate_retrieve_function2 *), as libmicrohttpd's option
 * array wants it.
 */
void *gw_fronttls_callback(void);

/** Frees every pair (after the listener has stopped). */
void gw_fronttls_clear(void);

#endif
