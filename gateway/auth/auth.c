/*
 * auth: the authenticator of the HTTP front.
 *
 * Built once from `callers` (the key, user and JWKS files are read here, so
 * a malformed line is a start-up error with file:line). Everything it holds
 * is its own copy, so the configuration it came from may be freed.
 *
 * - API keys: the file stores SHA-256 hashes; a presented key is hashed and
 *   compared with every entry in constant time.
 * - Basic: the file stores PBKDF2 hashes. A verified pair is remembered for
 *   `cache_ttl_s` as an HMAC under a per-process random key (never the
 *   password), in a fixed table of `cache_max` slots (4-way, oldest out),
 *   so the hash runs once per caller and TTL, not on every request.
 * - JWT: auth_jwt.c.
 *
 * Present but wrong credentials fail at once: a listed `none` method never
 * turns a bad key into an anonymous caller.
 */
#include "auth/auth.h"
#include "error/error.h"
#include "log/log.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#define MAX_FILE  (4 * 1024 * 1024)
#define MAX_CRED  4096
#define CACHE_WAY 4

enum { T_NONE, T_APIKEY, T_BASIC, T_JWT, T_PASSTHROUGH };

typedef struct {
    char *name;
    uint8_t hash[32]; /* API keys: SHA-256 of the key */
    gw_pwhash_t pw;   /* users: the PBKDF2 hash */
    const char **scopes;
    size_t nscopes;
} entry_t;

typedef struct {
    uint8_t tag[32];
    int64_t expires_ms;
    uint32_t entry;
    int used;
} slot_t;

typedef struct {
    char *name;
    int type;
    char *header;
    char *realm;
    entry_t *entries;
    size_t nentries;
    /* basic */
    slot_t *cache;
    size_t ncache;
    int64_t ttl_ms;
    pthread_mutex_t lock;
    /* jwt */
    gw_jwt_keys_t *jwt;
    gw_jwt_rules_t rules;
    char *scope_claim;
    char *subject_claim;
} method_t;

struct gw_auth {
    atomic_int refs;
    gw_arena_t arena;
    method_t *m;
    size_t n;
    char **defaults;
    size_t ndefaults;
    uint8_t cache_key[32];
};

static char *slurp(const char *path, size_t *len, char *why, size_t whylen)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    *len = 0;
    if (f == NULL) {
        snprintf(why, whylen, "cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    buf = malloc(MAX_FILE + 1);
    if (buf)
        *len = fread(buf, 1, MAX_FILE + 1, f);
    fclose(f);
    if (buf == NULL || *len > MAX_FILE) {
        snprintf(why, whylen, "%s is larger than %d bytes", path, MAX_FILE);
        free(buf);
        return NULL;
    }
    buf[*len] = '\0';
    return buf;
}

/* Splits "a,b,c" into scopes in the arena. */
static const char **split_scopes(gw_arena_t *a, const char *s, size_t len, size_t *n, char sep)
{
    size_t cap = 1;
    for (size_t i = 0; i < len; i++)
        cap += s[i] == sep;
    const char **v = gw_arena_calloc(a, cap + 1, sizeof(*v));
    *n = 0;
    for (size_t i = 0; v && i < len;) {
        size_t j = i;
        while (j < len && s[j] != sep)
            j++;
        if (j > i)
            v[(*n)++] = gw_arena_strndup(a, s + i, j - i);
        i = j + 1;
    }
    return v;
}

/* Reads a key or user file: `name:hash[:scope,scope]` lines, `#` comments. */
static int load_entries(gw_auth_t *a, method_t *m, const char *path, gw_cfg_errors_t *e)
{
    char why[300];
    size_t len;
    char *text = slurp(path, &len, why, sizeof(why));
    if (text == NULL) {
        gw_buf_printf(&e->text, "%s: %s\n", path, why);
        e->count++;
        return GW_ECONFIG;
    }
    size_t lines = 1;
    for (size_t i = 0; i < len; i++)
        lines += text[i] == '\n';
    m->entries = gw_arena_calloc(&a->arena, lines, sizeof(*m->entries));
    int lineno = 0, before = e->count;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line && m->entries;
         line = strtok_r(NULL, "\n", &save)) {
        lineno++;
        line[strcspn(line, "\r")] = '\0';
        if (line[0] == '#' || line[strspn(line, " \t")] == '\0')
            continue;
        char *c1 = strchr(line, ':');
        char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (c1 == NULL || c1 == line) {
            gw_cfg_error(e, NULL, "%s:%d: expected name:hash[:scope,scope]", path, lineno);
            continue;
        }
        *c1 = '\0';
        if (c2)
            *c2 = '\0';
        entry_t *en = &m->entries[m->nentries];
        const char *hash = c1 + 1;
        if (m->type == T_APIKEY) {
            size_t hl = 0;
            if (strncmp(hash, "sha256$", 7) != 0 ||
                gw_b64url_decode(hash + 7, strlen(hash + 7), en->hash, sizeof(en->hash), &hl) ||
                hl != 32) {
                gw_cfg_error(e, NULL,
                             "%s:%d: the hash of key '%s' is not sha256$<base64url> (rfmgw "
                             "--hash-api-key makes one)",
                             path, lineno, line);
                continue;
            }
        } else if (gw_password_parse(hash, &en->pw) != 0) {
            gw_cfg_error(e, NULL,
                         "%s:%d: the hash of user '%s' is not pbkdf2-sha256$… (rfmgw "
                         "--hash-password makes one)",
                         path, lineno, line);
            continue;
        }
        for (size_t k = 0; k < m->nentries; k++)
            if (strcmp(m->entries[k].name, line) == 0)
                gw_cfg_error(e, NULL, "%s:%d: '%s' appears twice", path, lineno, line);
        en->name = gw_arena_strndup(&a->arena, line, strlen(line));
        en->scopes = c2 ? split_scopes(&a->arena, c2 + 1, strlen(c2 + 1), &en->nscopes, ',') : NULL;
        m->nentries++;
    }
    OPENSSL_cleanse(text, len);
    free(text);
    return e->count == before ? 0 : GW_ECONFIG;
}

static int load_jwt(method_t *m, const gw_caller_method_t *c, gw_arena_t *arena, gw_cfg_errors_t *e)
{
    char why[300] = "";
    size_t len = 0;
    char *text = NULL;
    const char *file = c->key_file ? c->key_file : c->jwks_file;
    if (file && (text = slurp(file, &len, why, sizeof(why))) == NULL) {
        gw_buf_printf(&e->text, "%s: %s\n", file, why);
        e->count++;
        return GW_ECONFIG;
    }
    int ret =
        gw_jwt_keys_load(c->algorithm, c->key_file ? text : NULL, len, c->jwks_file ? text : NULL,
                         len, c->secret_value ? (const uint8_t *)c->secret_value : NULL,
                         c->secret_value ? strlen(c->secret_value) : 0, &m->jwt, why, sizeof(why));
    if (text) {
        OPENSSL_cleanse(text, len);
        free(text);
    }
    if (ret) {
        gw_buf_printf(&e->text, "%s: callers method '%s': %s\n", file ? file : "(secret)", c->name,
                      why);
        e->count++;
        return GW_ECONFIG;
    }
    m->rules.issuer = c->issuer ? gw_arena_strndup(arena, c->issuer, strlen(c->issuer)) : NULL;
    m->rules.audience =
        c->audience ? gw_arena_strndup(arena, c->audience, strlen(c->audience)) : NULL;
    m->rules.leeway_s = c->leeway_s;
    m->rules.require_exp = c->require_exp;
    m->rules.max_len = (size_t)c->max_token;
    m->scope_claim = gw_arena_strndup(arena, c->scope_claim, strlen(c->scope_claim));
    m->subject_claim = gw_arena_strndup(arena, c->subject_claim, strlen(c->subject_claim));
    return 0;
}

int gw_auth_create(const gw_config_t *cfg, gw_auth_t **out, gw_cfg_errors_t *e)
{
    const gw_callers_conf_t *cc = &cfg->callers;
    int before = e->count;
    *out = NULL;
    gw_auth_t *a = calloc(1, sizeof(*a));
    if (a == NULL)
        return GW_ENOMEM;
    gw_arena_init(&a->arena, 0);
    atomic_init(&a->refs, 1);
    a->m = gw_arena_calloc(&a->arena, cc->nmethods + 1, sizeof(*a->m));
    a->defaults = gw_arena_calloc(&a->arena, cc->ndefaults + 1, sizeof(char *));
    if (a->m == NULL || a->defaults == NULL || RAND_bytes(a->cache_key, 32) != 1) {
        gw_auth_free(a);
        return GW_ENOMEM;
    }
    for (size_t i = 0; i < cc->ndefaults; i++)
        a->defaults[a->ndefaults++] =
            gw_arena_strndup(&a->arena, cc->defaults[i], strlen(cc->defaults[i]));
    for (size_t i = 0; i < cc->nmethods; i++) {
        const gw_caller_method_t *c = &cc->methods[i];
        method_t *m = &a->m[a->n++];
        pthread_mutex_init(&m->lock, NULL);
        m->name = gw_arena_strndup(&a->arena, c->name, strlen(c->name));
        m->header = gw_arena_strndup(&a->arena, c->header, strlen(c->header));
        m->realm = gw_arena_strndup(&a->arena, c->realm, strlen(c->realm));
        m->type = strcmp(c->type, "api_key") == 0       ? T_APIKEY
                  : strcmp(c->type, "basic") == 0       ? T_BASIC
                  : strcmp(c->type, "jwt") == 0         ? T_JWT
                  : strcmp(c->type, "passthrough") == 0 ? T_PASSTHROUGH
                                                        : T_NONE;
        if (m->type == T_APIKEY || m->type == T_BASIC)
            load_entries(a, m, c->file, e);
        if (m->type == T_BASIC && c->cache_ttl_s > 0) {
            m->ncache = (size_t)c->cache_max < CACHE_WAY ? CACHE_WAY : (size_t)c->cache_max;
            m->cache = calloc(m->ncache, sizeof(*m->cache));
            m->ttl_ms = (int64_t)c->cache_ttl_s * 1000;
            if (m->cache == NULL)
                m->ncache = 0;
        }
        if (m->type == T_JWT)
            load_jwt(m, c, &a->arena, e);
        if (m->type == T_NONE)
            GW_LOGW("auth", "callers method '%s' lets anonymous callers in", m->name);
    }
    if (e->count != before) {
        gw_auth_free(a);
        return GW_ECONFIG;
    }
    *out = a;
    return 0;
}

gw_auth_t *gw_auth_ref(gw_auth_t *a)
{
    if (a)
        atomic_fetch_add(&a->refs, 1);
    return a;
}

void gw_auth_free(gw_auth_t *a)
{
    if (a == NULL || atomic_fetch_sub(&a->refs, 1) != 1)
        return;
    for (size_t i = 0; i < a->n; i++) {
        gw_jwt_keys_free(a->m[i].jwt);
        free(a->m[i].cache);
        pthread_mutex_destroy(&a->m[i].lock);
        for (size_t k = 0; k < a->m[i].nentries; k++)
            OPENSSL_cleanse(&a->m[i].entries[k].pw, sizeof(a->m[i].entries[k].pw));
    }
    OPENSSL_cleanse(a->cache_key, sizeof(a->cache_key));
    gw_arena_free(&a->arena);
    free(a);
}

static method_t *find_method(const gw_auth_t *a, const char *name)
{
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->m[i].name, name) == 0)
            return &a->m[i];
    return NULL;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the methods ---- */

static int check_apikey(method_t *m, const char *key, const entry_t **who)
{
    uint8_t md[32];
    unsigned int ml = 0;
    size_t len = strlen(key);
    if (len == 0 || len > MAX_CRED || EVP_Digest(key, len, md, &ml, EVP_sha256(), NULL) != 1)
        return GW_EUNAUTH;
    const entry_t *found = NULL;
    for (size_t i = 0; i < m->nentries; i++) /* no early exit: the time does not depend on which */
        if (CRYPTO_memcmp(md, m->entries[i].hash, 32) == 0)
            found = &m->entries[i];
    *who = found;
    return found ? 0 : GW_EUNAUTH;
}

/* Strict standard base64 (with padding) of a Basic credential. */
static int b64std_decode(const char *s, size_t len, char *out, size_t max, size_t *outlen)
{
    if (len == 0 || len % 4 || len / 4 * 3 > max)
        return GW_EINVAL;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                 c == '+' || c == '/' || (c == '=' && i >= len - 2);
        if (!ok || (i == len - 2 && c == '=' && s[len - 1] != '='))
            return GW_EINVAL;
    }
    int n = EVP_DecodeBlock((unsigned char *)out, (const unsigned char *)s, (int)len);
    if (n < 0)
        return GW_EINVAL;
    size_t pad = (s[len - 1] == '=') + (s[len - 2] == '=');
    *outlen = (size_t)n - pad;
    out[*outlen] = '\0';
    return 0;
}

void gw_credential_tag(const uint8_t key[32], const char *scope, const char *user, size_t ul,
                       const char *pw, size_t pl, uint8_t tag[32])
{
    uint8_t z = 0;
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
    OSSL_PARAM p[] = {OSSL_PARAM_construct_utf8_string("digest", (char *)(uintptr_t) "SHA256", 0),
                      OSSL_PARAM_construct_end()};
    size_t out = 0;
    memset(tag, 0, 32);
    if (ctx && EVP_MAC_init(ctx, key, 32, p) == 1 &&
        EVP_MAC_update(ctx, (const uint8_t *)scope, strlen(scope) + 1) == 1 &&
        EVP_MAC_update(ctx, (const uint8_t *)user, ul) == 1 && EVP_MAC_update(ctx, &z, 1) == 1 &&
        EVP_MAC_update(ctx, (const uint8_t *)pw, pl) == 1)
        EVP_MAC_final(ctx, tag, &out, 32);
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
}

/*
 * Decodes a Basic credential into `buf`: the user is its first `*ul` bytes,
 * the password `*pl` bytes at `*pw`. 0, or GW_EUNAUTH when it is not
 * user:password. The caller wipes `buf`.
 */
static int basic_split(const char *cred, char buf[MAX_CRED], size_t *ul, const char **pw,
                       size_t *pl)
{
    size_t n = 0;
    if (b64std_decode(cred, strlen(cred), buf, MAX_CRED - 1, &n) != 0)
        return GW_EUNAUTH;
    const char *colon = memchr(buf, ':', n);
    if (colon == NULL || colon == buf)
        return GW_EUNAUTH;
    *ul = (size_t)(colon - buf);
    *pw = colon + 1;
    *pl = n - *ul - 1;
    return 0;
}

/*
 * The user and password of a Basic credential, copied into `arena` for a
 * backend logon by pass-through (the request wipes the password when it
 * ends). GW_EUNAUTH when the credential is not user:password.
 */
static int basic_pair(gw_arena_t *arena, const char *cred, const char **user, const char **pw)
{
    char buf[MAX_CRED];
    const char *p;
    size_t ul, pl;
    int ret = GW_EUNAUTH;
    if (basic_split(cred, buf, &ul, &p, &pl) == 0 && !memchr(buf, '\0', ul + 1 + pl)) {
        *user = gw_arena_strndup(arena, buf, ul);
        *pw = gw_arena_strndup(arena, p, pl);
        ret = *user && *pw ? 0 : GW_ENOMEM;
    }
    explicit_bzero(buf, sizeof(buf));
    return ret;
}

/* The entry of a user:password pair verified within the TTL, or NULL; `tag` is set either way. */
static const entry_t *cached(const gw_auth_t *a, method_t *m, const char *user, size_t ul,
                             const char *pw, size_t pl, int64_t now, uint8_t tag[32])
{
    const entry_t *who = NULL;
    gw_credential_tag(a->cache_key, m->name, user, ul, pw, pl, tag);
    size_t base = ((size_t)tag[0] | (size_t)tag[1] << 8 | (size_t)tag[2] << 16) % m->ncache;
    pthread_mutex_lock(&m->lock);
    for (size_t i = 0; i < CACHE_WAY && who == NULL; i++) {
        slot_t *s = &m->cache[(base + i) % m->ncache];
        if (s->used && s->expires_ms > now && CRYPTO_memcmp(s->tag, tag, 32) == 0)
            who = &m->entries[s->entry];
    }
    pthread_mutex_unlock(&m->lock);
    return who;
}

static int check_basic(const gw_auth_t *a, method_t *m, const char *cred, const entry_t **who)
{
    char buf[MAX_CRED];
    const char *pw;
    size_t ul, pl;
    int ret = GW_EUNAUTH;
    *who = NULL;
    if (basic_split(cred, buf, &ul, &pw, &pl) != 0)
        goto cleanup;
    uint8_t tag[32];
    int64_t now = now_ms();
    if (m->ncache && (*who = cached(a, m, buf, ul, pw, pl, now, tag)) != NULL) {
        ret = 0;
        goto cleanup;
    }
    for (size_t i = 0; i < m->nentries; i++)
        if (strlen(m->entries[i].name) == ul && memcmp(m->entries[i].name, buf, ul) == 0) {
            if (gw_password_verify(&m->entries[i].pw, pw, pl) == 0)
                *who = &m->entries[i];
            break;
        }
    if (*who == NULL) {
        /* an unknown user costs the same hash as a known one */
        if (m->nentries)
            (void)gw_password_verify(&m->entries[0].pw, "", 0);
        goto cleanup;
    }
    ret = 0;
    if (m->ncache) {
        size_t base = ((size_t)tag[0] | (size_t)tag[1] << 8 | (size_t)tag[2] << 16) % m->ncache;
        pthread_mutex_lock(&m->lock);
        slot_t *victim = NULL;
        for (size_t i = 0; i < CACHE_WAY; i++) {
            slot_t *s = &m->cache[(base + i) % m->ncache];
            if (!s->used || s->expires_ms <= now) {
                victim = s;
                break;
            }
            if (victim == NULL || s->expires_ms < victim->expires_ms)
                victim = s;
        }
        memcpy(victim->tag, tag, 32);
        victim->expires_ms = now + m->ttl_ms;
        victim->entry = (uint32_t)(*who - m->entries);
        victim->used = 1;
        pthread_mutex_unlock(&m->lock);
    }
cleanup:
    OPENSSL_cleanse(buf, sizeof(buf));
    return ret;
}

/* Scopes from a claim: a space-separated string or an array of strings. */
static const char **claim_scopes(gw_arena_t *ar, json_t *v, size_t *n)
{
    *n = 0;
    if (json_is_string(v))
        return split_scopes(ar, json_string_value(v), json_string_length(v), n, ' ');
    if (!json_is_array(v))
        return NULL;
    const char **s = gw_arena_calloc(ar, json_array_size(v) + 1, sizeof(*s));
    size_t i;
    json_t *x;
    json_array_foreach(v, i, x) if (s && json_is_string(x)) s[(*n)++] =
        gw_arena_strndup(ar, json_string_value(x), json_string_length(x));
    return s;
}

static int check_jwt(method_t *m, gw_arena_t *ar, const char *token, gw_caller_t *c, char *why,
                     size_t whylen)
{
    json_t *claims = NULL;
    gw_jwt_rules_t rules = m->rules;
    rules.now_s = (int64_t)time(NULL);
    int ret = gw_jwt_verify(m->jwt, &rules, token, strlen(token), &claims, why, whylen);
    if (ret)
        return ret;
    json_t *sub = json_object_get(claims, m->subject_claim);
    if (!json_is_string(sub) || json_string_length(sub) == 0 || json_string_length(sub) > 256) {
        snprintf(why, whylen, "the token has no %s claim", m->subject_claim);
        json_decref(claims);
        return GW_EUNAUTH;
    }
    c->id = gw_arena_printf(ar, "%s:%s", m->name, json_string_value(sub));
    c->scopes = claim_scopes(ar, json_object_get(claims, m->scope_claim), &c->nscopes);
    json_decref(claims);
    return c->id ? 0 : GW_ENOMEM;
}

static const char *after_scheme(const char *h, const char *scheme)
{
    size_t n = strlen(scheme);
    if (h == NULL || strncasecmp(h, scheme, n) != 0 || h[n] != ' ')
        return NULL;
    h += n;
    while (*h == ' ')
        h++;
    return h;
}

int gw_auth_would_hash(gw_auth_t *a, char *const *methods, size_t nmethods,
                       gw_auth_header_fn header, void *ctx)
{
    if (methods == NULL) {
        methods = a->defaults;
        nmethods = a->ndefaults;
    }
    char buf[MAX_CRED];
    const char *pw = NULL, *basic;
    size_t ul = 0, pl = 0;
    int decoded = 0, slow = 0;
    for (size_t i = 0; i < nmethods && !slow; i++) {
        method_t *m = find_method(a, methods[i]);
        if (m == NULL || m->type != T_BASIC || m->nentries == 0)
            continue;
        if (!decoded) { /* the request is looked at only for a method that could hash */
            decoded = 1;
            basic = after_scheme(header(ctx, "Authorization"), "Basic");
            if (basic == NULL || basic_split(basic, buf, &ul, &pw, &pl) != 0)
                break; /* nothing to check, or refused without a hash */
        }
        uint8_t tag[32];
        slow = m->ncache == 0 || cached(a, m, buf, ul, pw, pl, now_ms(), tag) == NULL;
    }
    if (decoded)
        OPENSSL_cleanse(buf, sizeof(buf));
    return slow;
}

int gw_auth_authenticate(gw_auth_t *a, gw_arena_t *arena, char *const *methods, size_t nmethods,
                         gw_auth_header_fn header, void *ctx, gw_caller_t *caller, char *why,
                         size_t whylen, char *challenge, size_t challenge_len)
{
    if (methods == NULL) {
        methods = a->defaults;
        nmethods = a->ndefaults;
    }
    memset(caller, 0, sizeof(*caller));
    why[0] = '\0';
    challenge[0] = '\0';
    const char *authz = header(ctx, "Authorization");
    const char *basic = after_scheme(authz, "Basic");
    const char *bearer = after_scheme(authz, "Bearer");
    /*
     * Every credential presented is checked. A credential kind (an API key
     * header, Basic, Bearer) counts as refused when some method checked it
     * and none accepted it; one refused credential refuses the request,
     * whatever else it carries.
     */
    int presented = 0, bearer_failed = 0, refused = 0;
    method_t *anon = NULL;
    char reason[200] = "";
    gw_caller_t got;
    int have = 0;
    const char *ok_kinds[16];
    const char *bad_kinds[16];
    size_t nok = 0, nbad = 0;
    for (size_t i = 0; i < nmethods; i++) {
        method_t *m = find_method(a, methods[i]);
        const entry_t *who = NULL;
        const char *kind = NULL;
        int ret = GW_EUNAUTH;
        gw_caller_t c;
        memset(&c, 0, sizeof(c));
        char jwhy[160] = "";
        if (m == NULL) {
            GW_LOGE("auth",
                    "a route names callers method '%s', which is not loaded (restart after "
                    "adding methods)",
                    methods[i]);
            continue;
        }
        if (m->type == T_NONE) {
            anon = anon ? anon : m;
            continue;
        }
        if (m->type == T_APIKEY) {
            const char *key = header(ctx, m->header);
            if (key == NULL)
                continue;
            kind = m->header;
            ret = check_apikey(m, key, &who);
            if (ret)
                snprintf(jwhy, sizeof(jwhy), "unknown API key in %s", m->header);
        } else if (m->type == T_BASIC) {
            if (basic == NULL)
                continue;
            kind = "Basic";
            ret = check_basic(a, m, basic, &who);
            if (ret)
                snprintf(jwhy, sizeof(jwhy), "wrong user or password");
        } else if (m->type == T_PASSTHROUGH) {
            if (basic == NULL)
                continue;
            kind = "Basic";
            ret = basic_pair(arena, basic, &c.basic_user, &c.basic_password);
            if (ret == GW_ENOMEM)
                return ret;
            if (ret == 0)
                c.id = gw_arena_printf(arena, "%s:%s", m->name, c.basic_user);
            if (ret == 0 && c.id == NULL)
                return GW_ENOMEM;
            if (ret)
                snprintf(jwhy, sizeof(jwhy), "Basic credentials are not user:password");
        } else if (m->type == T_JWT) {
            if (bearer == NULL)
                continue;
            kind = "Bearer";
            char t[128] = "";
            ret = check_jwt(m, arena, bearer, &c, t, sizeof(t));
            if (ret == GW_ENOMEM)
                return ret;
            if (ret)
                snprintf(jwhy, sizeof(jwhy), "bearer token refused: %s", t);
        }
        presented = 1;
        if (ret) {
            bearer_failed |= m->type == T_JWT;
            if (reason[0] == '\0')
                snprintf(reason, sizeof(reason), "%s", jwhy);
            if (nbad < 16)
                bad_kinds[nbad++] = kind;
            continue;
        }
        if (nok < 16)
            ok_kinds[nok++] = kind;
        if (have)
            continue;
        c.method = m->name;
        if (who) {
            c.id = gw_arena_printf(arena, "%s:%s", m->name, who->name);
            c.scopes = who->scopes;
            c.nscopes = who->nscopes;
            if (c.id == NULL)
                return GW_ENOMEM;
            /* a verified pair may also be passed on (routes with identity passthrough) */
            if (m->type == T_BASIC && basic_pair(arena, basic, &c.basic_user, &c.basic_password))
                return GW_ENOMEM;
        }
        got = c;
        have = 1;
    }
    for (size_t i = 0; i < nbad; i++) {
        int fine = 0;
        for (size_t k = 0; k < nok && !fine; k++)
            fine = strcasecmp(bad_kinds[i], ok_kinds[k]) == 0;
        refused |= !fine;
    }
    if (have && !refused) {
        *caller = got;
        return 0;
    }
    if (!presented && anon) {
        caller->method = anon->name;
        caller->id = "anonymous";
        caller->anonymous = 1;
        return 0;
    }
    snprintf(why, whylen, "%s", presented ? reason : "no credentials");
    /* WWW-Authenticate: one challenge per accepted scheme */
    size_t off = 0;
    for (size_t i = 0; i < nmethods; i++) {
        method_t *m = find_method(a, methods[i]);
        if (m == NULL || m->type == T_NONE)
            continue;
        int w = 0;
        if (m->type == T_BASIC || m->type == T_PASSTHROUGH)
            w = snprintf(challenge + off, challenge_len - off,
                         "%sBasic realm=\"%s\", charset=\"UTF-8\"", off ? ", " : "", m->realm);
        else if (m->type == T_JWT)
            w = snprintf(challenge + off, challenge_len - off, "%sBearer realm=\"%s\"%s",
                         off ? ", " : "", m->realm,
                         bearer_failed ? ", error=\"invalid_token\"" : "");
        else
            w = snprintf(challenge + off, challenge_len - off, "%sApiKey header=\"%s\"",
                         off ? ", " : "", m->header);
        if (w < 0 || (size_t)w >= challenge_len - off)
            break;
        off += (size_t)w;
    }
    return GW_EUNAUTH;
}

int gw_auth_scopes(const gw_caller_t *caller, char *const *need, size_t nneed, char *why,
                   size_t whylen)
{
    size_t off = 0;
    int missing = 0;
    why[0] = '\0';
    for (size_t i = 0; i < nneed; i++) {
        int has = 0;
        for (size_t k = 0; k < caller->nscopes && !has; k++)
            has = strcmp(caller->scopes[k], need[i]) == 0;
        if (has)
            continue;
        int w =
            snprintf(why + off, whylen - off, "%s%s", missing ? ", " : "missing scope: ", need[i]);
        if (w > 0 && (size_t)w < whylen - off)
            off += (size_t)w;
        missing++;
    }
    return missing ? GW_EFORBIDDEN : 0;
}

int gw_auth_method_allowed(const gw_auth_t *a, const gw_caller_t *caller, char *const *methods,
                           size_t nmethods)
{
    if (methods == NULL) {
        methods = a->defaults;
        nmethods = a->ndefaults;
    }
    for (size_t i = 0; i < nmethods; i++)
        if (caller->method && strcmp(methods[i], caller->method) == 0)
            return 1;
    return 0;
}
