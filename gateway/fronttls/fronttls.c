/*
 * fronttls: certificate pairs for libmicrohttpd's GnuTLS (see fronttls.h).
 *
 * The pairs form a list, newest first; the newest is current. The
 * callback copies the current pointer under the lock and returns it;
 * GnuTLS neither frees nor changes what the callback returns, so older
 * pairs simply stay in the list until gw_fronttls_clear().
 */
#include "fronttls/fronttls.h"

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CHAIN 16

struct gw_fronttls_pair {
    struct gw_fronttls_pair *next;
    gnutls_pcert_st pcert[MAX_CHAIN];
    unsigned n;
    gnutls_privkey_t key;
};
typedef gw_fronttls_pair_t pair_t;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pair_t *pairs;

static int retrieve(gnutls_session_t session, const gnutls_datum_t *req_ca_dn, int nreqs,
                    const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length,
                    gnutls_pcert_st **pcert, unsigned int *pcert_length, gnutls_privkey_t *pkey)
{
    (void)session;
    (void)req_ca_dn;
    (void)nreqs;
    (void)pk_algos;
    (void)pk_algos_length;
    pthread_mutex_lock(&lock);
    pair_t *p = pairs;
    pthread_mutex_unlock(&lock);
    if (p == NULL)
        return -1;
    *pcert = p->pcert;
    *pcert_length = p->n;
    *pkey = p->key;
    return 0;
}

void *gw_fronttls_callback(void)
{
    gnutls_certificate_retrieve_function2 *fn = retrieve;
    void *p;
    memcpy(&p, &fn, sizeof(p));
    return p;
}

static void pair_free(pair_t *p)
{
    for (unsigned i = 0; i < p->n; i++)
        gnutls_pcert_deinit(&p->pcert[i]);
    if (p->key)
        gnutls_privkey_deinit(p->key);
    free(p);
}

/* The DER SubjectPublicKeyInfo of `pub`; 0 or a GnuTLS error. */
static int spki(gnutls_pubkey_t pub, gnutls_datum_t *out)
{
    return gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER, out);
}

/* Does `key` belong to the certificate `leaf`? */
static int key_matches(const gnutls_pcert_st *leaf, gnutls_privkey_t key)
{
    gnutls_pubkey_t pub = NULL;
    gnutls_datum_t a = {NULL, 0}, b = {NULL, 0};
    int same = gnutls_pubkey_init(&pub) == 0 && gnutls_pubkey_import_privkey(pub, key, 0, 0) == 0 &&
               spki(pub, &a) == 0 && spki(leaf->pubkey, &b) == 0 && a.size == b.size &&
               memcmp(a.data, b.data, a.size) == 0;
    gnutls_free(a.data);
    gnutls_free(b.data);
    if (pub)
        gnutls_pubkey_deinit(pub);
    return same;
}

gw_fronttls_pair_t *gw_fronttls_load(const char *cert, const char *key, char *why, size_t whysize)
{
    pair_t *p = calloc(1, sizeof(*p));
    gnutls_datum_t cd = {NULL, 0}, kd = {NULL, 0};
    int ret;
    if (p == NULL) {
        snprintf(why, whysize, "out of memory");
        return NULL;
    }
    if ((ret = gnutls_load_file(cert, &cd)) < 0) {
        snprintf(why, whysize, "cannot read listen.tls_cert %s: %s", cert, gnutls_strerror(ret));
        goto fail;
    }
    p->n = MAX_CHAIN;
    ret = gnutls_pcert_list_import_x509_raw(p->pcert, &p->n, &cd, GNUTLS_X509_FMT_PEM, 0);
    if (ret < 0 || p->n == 0) {
        p->n = 0;
        snprintf(why, whysize, "listen.tls_cert %s: no usable PEM certificate chain (%s)", cert,
                 ret < 0 ? gnutls_strerror(ret) : "empty");
        goto fail;
    }
    if ((ret = gnutls_load_file(key, &kd)) < 0) {
        snprintf(why, whysize, "cannot read listen.tls_key %s: %s", key, gnutls_strerror(ret));
        goto fail;
    }
    if ((ret = gnutls_privkey_init(&p->key)) < 0 ||
        (ret = gnutls_privkey_import_x509_raw(p->key, &kd, GNUTLS_X509_FMT_PEM, NULL, 0)) < 0) {
        snprintf(why, whysize, "listen.tls_key %s: not a usable PEM private key (%s)", key,
                 gnutls_strerror(ret));
        goto fail;
    }
    if (!key_matches(&p->pcert[0], p->key)) {
        snprintf(why, whysize, "listen.tls_key %s is not the key of listen.tls_cert %s", key, cert);
        goto fail;
    }
    explicit_bzero(kd.data, kd.size);
    gnutls_free(kd.data);
    gnutls_free(cd.data);
    return p;
fail:
    if (kd.data)
        explicit_bzero(kd.data, kd.size);
    gnutls_free(kd.data);
    gnutls_free(cd.data);
    pair_free(p);
    return NULL;
}

void gw_fronttls_install(gw_fronttls_pair_t *p)
{
    pthread_mutex_lock(&lock);
    p->next = pairs;
    pairs = p;
    pthread_mutex_unlock(&lock);
}

void gw_fronttls_discard(gw_fronttls_pair_t *p)
{
    if (p)
        pair_free(p);
}

void gw_fronttls_clear(void)
{
    pthread_mutex_lock(&lock);
    pair_t *p = pairs;
    pairs = NULL;
    pthread_mutex_unlock(&lock);
    while (p) {
        pair_t *next = p->next;
        pair_free(p);
        p = next;
    }
}
