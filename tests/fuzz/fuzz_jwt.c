/*
 * libFuzzer target: the JWT and JWKS parsers (gateway/auth) must survive
 * any bytes without crashing or leaking. The first byte picks the input's
 * role: a token verified against an HS256 key, a JWKS document for each
 * algorithm, or base64url, whose every accepted input must re-encode to
 * itself.
 */
#include "auth/auth.h"
#include "error/error.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char SECRET[] = "fuzzing-secret-fuzzing-secret-0123456789";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 65536)
        return 0;
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    char why[200];
    gw_jwt_keys_t *k = NULL;
    switch (data[0] % 3) {
    case 0: {
        if (gw_jwt_keys_load("HS256", NULL, 0, NULL, 0, (const uint8_t *)SECRET, strlen(SECRET), &k,
                             why, sizeof(why)) != 0)
            abort();
        gw_jwt_rules_t r = {"idp", "rfmgw", 30, 1, 8192, 1800000000};
        json_t *claims = NULL;
        if (gw_jwt_verify(k, &r, text, len, &claims, why, sizeof(why)) == 0 && claims == NULL)
            abort();
        json_decref(claims);
        gw_jwt_keys_free(k);
        break;
    }
    case 1: {
        static const char *const algs[] = {"HS256", "RS256", "ES256"};
        for (int i = 0; i < 3; i++) {
            k = NULL;
            if (gw_jwt_keys_load(algs[i], NULL, 0, text, len, NULL, 0, &k, why, sizeof(why)) == 0)
                gw_jwt_keys_free(k);
        }
        break;
    }
    default: {
        uint8_t *out = malloc(len + 1);
        char *back = malloc(len + 8);
        size_t n = 0;
        if (out && back && gw_b64url_decode(text, len, out, len, &n) == 0) {
            size_t m = gw_b64url_encode(out, n, back);
            if (m != len || memcmp(back, text, len) != 0)
                abort();
        }
        free(out);
        free(back);
    }
    }
    return 0;
}
