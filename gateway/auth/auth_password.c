/*
 * auth_password: stored password hashes, shared by the gateway's user files
 * (HTTP Basic callers) and abapsim's users.
 *
 * Files hold PBKDF2-HMAC-SHA256 hashes, never passwords:
 *
 *   pbkdf2-sha256$<iterations>$<salt, base64>$<32-byte hash, base64>
 *
 * The line is parsed once, when the configuration loads, so a malformed
 * hash is a configuration error and not a logon that fails later for a
 * reason nobody sees. Verification recomputes the hash and compares with
 * CRYPTO_memcmp so the time taken does not depend on where it differs.
 * Base64 is the standard alphabet with padding, checked strictly: OpenSSL's
 * EVP_DecodeBlock alone accepts sloppy input and counts padding as zeros.
 */
#include "auth/auth.h"
#include "error/error.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PREFIX "pbkdf2-sha256$"

static int b64_char_ok(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
}

/* Decodes exactly `len` characters of padded base64 into at most `max` bytes. */
static int b64_decode(const char *s, size_t len, uint8_t *out, size_t max, size_t *outlen)
{
    uint8_t tmp[128];
    size_t pad = 0;
    if (len == 0 || len % 4 != 0 || len / 4 * 3 > sizeof(tmp))
        return GW_EINVAL;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '=' && i >= len - 2) {
            pad++;
            continue;
        }
        if (!b64_char_ok(s[i]) || pad)
            return GW_EINVAL;
    }
    int n = EVP_DecodeBlock(tmp, (const unsigned char *)s, (int)len);
    if (n < 0 || (size_t)n < pad || (size_t)n - pad > max)
        return GW_EINVAL;
    *outlen = (size_t)n - pad;
    memcpy(out, tmp, *outlen);
    OPENSSL_cleanse(tmp, sizeof(tmp));
    return 0;
}

int gw_password_hash(const char *password, size_t len, uint32_t iterations, char *out,
                     size_t outsize)
{
    uint8_t salt[GW_PW_SALT_LEN], hash[GW_PW_HASH_LEN];
    char salt64[4 * ((GW_PW_SALT_LEN + 2) / 3) + 1], hash64[4 * ((GW_PW_HASH_LEN + 2) / 3) + 1];
    int ret = 0;

    if (iterations == 0 || iterations > GW_PW_MAX_ITERATIONS || len > INT32_MAX ||
        outsize < GW_PW_HASH_STR_MAX)
        return GW_EINVAL;
    if (RAND_bytes(salt, sizeof(salt)) != 1 ||
        PKCS5_PBKDF2_HMAC(password, (int)len, salt, sizeof(salt), (int)iterations, EVP_sha256(),
                          sizeof(hash), hash) != 1) {
        ret = GW_ENOMEM;
        goto cleanup;
    }
    EVP_EncodeBlock((unsigned char *)salt64, salt, sizeof(salt));
    EVP_EncodeBlock((unsigned char *)hash64, hash, sizeof(hash));
    if (snprintf(out, outsize, PREFIX "%u$%s$%s", (unsigned)iterations, salt64, hash64) >=
        (int)outsize)
        ret = GW_EINVAL;

cleanup:
    OPENSSL_cleanse(hash, sizeof(hash));
    return ret;
}

int gw_password_parse(const char *line, gw_pwhash_t *out)
{
    memset(out, 0, sizeof(*out));
    if (line == NULL || strncmp(line, PREFIX, strlen(PREFIX)) != 0)
        return GW_EINVAL;
    const char *p = line + strlen(PREFIX);

    /* iterations: plain decimal digits, no sign, no leading zero */
    const char *d = strchr(p, '$');
    if (d == NULL || d == p || d - p > 8 || *p == '0')
        return GW_EINVAL;
    uint64_t it = 0;
    for (const char *q = p; q < d; q++) {
        if (*q < '0' || *q > '9')
            return GW_EINVAL;
        it = it * 10 + (uint64_t)(*q - '0');
    }
    if (it == 0 || it > GW_PW_MAX_ITERATIONS)
        return GW_EINVAL;
    out->iterations = (uint32_t)it;

    const char *salt = d + 1;
    const char *d2 = strchr(salt, '$');
    if (d2 == NULL)
        return GW_EINVAL;
    size_t n = 0;
    if (b64_decode(salt, (size_t)(d2 - salt), out->salt, sizeof(out->salt), &n) || n < 8)
        return GW_EINVAL;
    out->salt_len = n;

    const char *hash = d2 + 1;
    if (b64_decode(hash, strlen(hash), out->hash, sizeof(out->hash), &n) || n != GW_PW_HASH_LEN)
        return GW_EINVAL;
    return 0;
}

int gw_password_verify(const gw_pwhash_t *h, const char *password, size_t len)
{
    uint8_t got[GW_PW_HASH_LEN];
    int ret;
    if (len > INT32_MAX)
        return GW_ELOGON;
    if (PKCS5_PBKDF2_HMAC(password, (int)len, h->salt, (int)h->salt_len, (int)h->iterations,
                          EVP_sha256(), sizeof(got), got) != 1)
        return GW_ENOMEM;
    ret = CRYPTO_memcmp(got, h->hash, sizeof(got)) == 0 ? 0 : GW_ELOGON;
    OPENSSL_cleanse(got, sizeof(got));
    return ret;
}

int gw_apikey_hash(const char *key, size_t len, char *out, size_t outsize)
{
    uint8_t md[32];
    unsigned int mdlen = 0;
    if (outsize < GW_APIKEY_HASH_STR_MAX || len == 0)
        return GW_EINVAL;
    if (EVP_Digest(key, len, md, &mdlen, EVP_sha256(), NULL) != 1)
        return GW_EINVAL;
    memcpy(out, "sha256$", 7);
    gw_b64url_encode(md, sizeof(md), out + 7);
    return 0;
}

int gw_hash_stdin(int api_key, uint32_t iterations, const char *prog)
{
    char *line = NULL;
    size_t cap = 0;
    char out[GW_PW_HASH_STR_MAX];
    int ret = 1;

    ssize_t n = getline(&line, &cap, stdin);
    if (n < 0) {
        fprintf(stderr, "%s: no %s on stdin\n", prog, api_key ? "API key" : "password");
        goto cleanup;
    }
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    if (n == 0) {
        fprintf(stderr, "%s: empty %s\n", prog, api_key ? "API key" : "password");
        goto cleanup;
    }
    if (api_key && n < 20) {
        fprintf(stderr,
                "%s: an API key needs at least 20 characters (use 32 random bytes, "
                "e.g. openssl rand -base64 32)\n",
                prog);
        goto cleanup;
    }
    if ((api_key ? gw_apikey_hash(line, (size_t)n, out, sizeof(out))
                 : gw_password_hash(line, (size_t)n, iterations, out, sizeof(out))) != 0) {
        fprintf(stderr, "%s: hashing failed\n", prog);
        goto cleanup;
    }
    printf("%s\n", out);
    ret = 0;
cleanup:
    if (line)
        OPENSSL_cleanse(line, cap);
    free(line);
    return ret;
}
