/*
 * The fake SAP NW RFC SDK (tests only): the SDK's C API from its public
 * documentation, answering in memory with abapsim's function modules.
 *
 * - The "system" is an abapsim configuration file (environment variable
 *   RFMGW_FAKE_NWRFC_SYSTEM): its host names, clients, users, passwords,
 *   aliases, communication scenarios and lock rules decide RfcOpenConnection
 *   exactly as abapsim decides a WebSocket upgrade (sim_logon()).
 * - A host name the system does not know, or a port other than
 *   RFMGW_FAKE_NWRFC_PORT (when set; set and empty: no port), is a partner that cannot be reached.
 * - Function descriptions come from abapsim's registry and are cached per
 *   process after their first fetch (until RfcRemoveFunctionDesc), as the
 *   SDK's repository does; calls run
 *   abapsim's handlers (sim_rfm_call()) on rfc.h values converted from and
 *   to the handle API's containers. Z_RFMGW_WAIT waits on a condition
 *   variable so that RfcCancel() can interrupt it.
 * - RFMGW_FAKE_NWRFC_LOG names a file that gets abapsim-style log lines
 *   (logons, DESCRIBE, CALL), so the end-to-end tests can count them.
 *
 * Built with hidden visibility: only the Rfc* functions are exported, so
 * the copies of rfmgw's core code inside never clash with the gateway's.
 */
#include "sapnwrfc.h"

#include "backend/nwrfc_uc.h"
#include "error/error.h"
#include "sim/rfm_internal.h"
#include "sim/sim.h"

#include <errno.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- process state ---------------------------------------------------------- */

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static sim_config_t g_cfg;
static int g_cfg_ok;
static char g_cfg_err[512];
static sim_lockout_t g_lock;
static FILE *g_log;
static const char *g_port; /* NULL: any port answers */
static unsigned g_next_id;
static uint8_t *g_described; /* per registry entry: fetched into the "repository" */

static void init_once(void)
{
    const char *sys = getenv("RFMGW_FAKE_NWRFC_SYSTEM");
    const char *log = getenv("RFMGW_FAKE_NWRFC_LOG");
    const char *port = getenv("RFMGW_FAKE_NWRFC_PORT");
    if (log && *log)
        g_log = fopen(log, "a");
    if (g_log)
        setvbuf(g_log, NULL, _IOLBF, 0);
    g_port = port;
    g_described = calloc(sim_rfm_count() + 1, 1);
    if (sys == NULL || !*sys) {
        snprintf(g_cfg_err, sizeof(g_cfg_err),
                 "fake NW RFC SDK: RFMGW_FAKE_NWRFC_SYSTEM (an abapsim configuration) is not set");
        return;
    }
    if (sim_config_load(&g_cfg, sys, g_cfg_err, sizeof(g_cfg_err)) != 0)
        return;
    if (sim_lockout_init(&g_lock, g_cfg.nusers, (uint32_t)g_cfg.max_failed_logons) != 0) {
        snprintf(g_cfg_err, sizeof(g_cfg_err), "fake NW RFC SDK: out of memory");
        sim_config_free(&g_cfg);
        return;
    }
    g_cfg_ok = 1;
}

__attribute__((destructor)) static void fini(void)
{
    if (g_cfg_ok) {
        sim_lockout_free(&g_lock);
        sim_config_free(&g_cfg);
    }
    if (g_log)
        fclose(g_log);
    free(g_described);
}

static void flog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void flog(const char *fmt, ...)
{
    if (g_log == NULL)
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    pthread_mutex_lock(&g_mu);
    fprintf(g_log, "%lld.%03ld fake-nwrfc: %s\n", (long long)ts.tv_sec, ts.tv_nsec / 1000000, line);
    pthread_mutex_unlock(&g_mu);
}

/* ---- errors ----------------------------------------------------------------- */

static void uc_set(SAP_UC *dst, size_t cap, const char *s, size_t len)
{
    if (gw_nwrfc_to_utf16((gw_slice_t){s, len}, dst, cap) < 0)
        dst[0] = 0;
}

static RFC_RC fail(RFC_ERROR_INFO *e, RFC_RC code, RFC_ERROR_GROUP group, const char *key,
                   const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static RFC_RC fail(RFC_ERROR_INFO *e, RFC_RC code, RFC_ERROR_GROUP group, const char *key,
                   const char *fmt, ...)
{
    if (e == NULL)
        return code;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    memset(e, 0, sizeof(*e));
    e->code = code;
    e->group = group;
    uc_set(e->key, 128, key, strlen(key));
    uc_set(e->message, 512, msg, strlen(msg));
    return code;
}

static RFC_RC ok(RFC_ERROR_INFO *e)
{
    if (e)
        memset(e, 0, sizeof(*e));
    return RFC_OK;
}

/* An abapsim RFC error as the SDK reports it. */
static RFC_RC sim_error(RFC_ERROR_INFO *e, const gw_rfc_error_t *r)
{
    RFC_RC code = RFC_ABAP_RUNTIME_FAILURE;
    RFC_ERROR_GROUP group = ABAP_RUNTIME_FAILURE;
    switch (r->group) {
    case GW_RFC_ERR_ABAP_EXCEPTION:
    case GW_RFC_ERR_FUNCTION_NOT_FOUND: /* the SDK's metadata lookup raises FU_NOT_FOUND */
        code = RFC_ABAP_EXCEPTION, group = ABAP_APPLICATION_FAILURE;
        break;
    case GW_RFC_ERR_ABAP_MESSAGE:
        code = RFC_ABAP_MESSAGE;
        break;
    case GW_RFC_ERR_LOGON_FAILURE:
        code = RFC_LOGON_FAILURE, group = LOGON_FAILURE;
        break;
    case GW_RFC_ERR_COMMUNICATION:
        code = RFC_COMMUNICATION_FAILURE, group = COMMUNICATION_FAILURE;
        break;
    default: /* runtime failure; no authority is a runtime failure with key RFC_NO_AUTHORITY */
        break;
    }
    if (e == NULL)
        return code;
    memset(e, 0, sizeof(*e));
    e->code = code;
    e->group = group;
    uc_set(e->key, 128, r->key.ptr, r->key.len);
    uc_set(e->message, 512, r->message.ptr, r->message.len);
    uc_set(e->abapMsgClass, 21, r->msg_class.ptr, r->msg_class.len);
    uc_set(e->abapMsgType, 2, r->msg_type.ptr, r->msg_type.len);
    uc_set(e->abapMsgNumber, 4, r->msg_number.ptr, r->msg_number.len);
    uc_set(e->abapMsgV1, 51, r->msg_v[0].ptr, r->msg_v[0].len);
    uc_set(e->abapMsgV2, 51, r->msg_v[1].ptr, r->msg_v[1].len);
    uc_set(e->abapMsgV3, 51, r->msg_v[2].ptr, r->msg_v[2].len);
    uc_set(e->abapMsgV4, 51, r->msg_v[3].ptr, r->msg_v[3].len);
    return code;
}

/* ---- connections ------------------------------------------------------------ */

struct RFC_CONNECTION_HANDLE_s {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int busy;     /* inside RfcInvoke */
    int canceled; /* RfcCancel ran: the connection is closed */
    unsigned id;
    sim_logon_t logon;
    sim_state_t state;
};

static void param_utf8(const RFC_CONNECTION_PARAMETER *p, unsigned n, const char *name, char *out,
                       size_t size, int *present)
{
    *present = 0;
    out[0] = '\0';
    for (unsigned i = 0; i < n; i++) {
        char nm[64];
        gw_nwrfc_uc_copy(nm, sizeof(nm), p[i].name, 64);
        if (strcasecmp(nm, name) == 0 && p[i].value) {
            gw_nwrfc_uc_copy(out, size, p[i].value, 4096);
            *present = 1;
        }
    }
}

RFC_CONNECTION_HANDLE SAP_API RfcOpenConnection(RFC_CONNECTION_PARAMETER const *params, unsigned n,
                                                RFC_ERROR_INFO *e)
{
    char host[256], port[16], pse[1024], certlogon[8], user[128], alias[128], passwd[512],
        client[16], lang[8];
    int has_host, has_port, has_pse, has_cert, has_user, has_alias, has_pw, has_client, has_lang;
    pthread_once(&g_once, init_once);
    param_utf8(params, n, "WSHOST", host, sizeof(host), &has_host);
    param_utf8(params, n, "WSPORT", port, sizeof(port), &has_port);
    param_utf8(params, n, "TLS_CLIENT_PSE", pse, sizeof(pse), &has_pse);
    param_utf8(params, n, "TLS_CLIENT_CERTIFICATE_LOGON", certlogon, sizeof(certlogon), &has_cert);
    param_utf8(params, n, "USER", user, sizeof(user), &has_user);
    param_utf8(params, n, "ALIAS_USER", alias, sizeof(alias), &has_alias);
    param_utf8(params, n, "PASSWD", passwd, sizeof(passwd), &has_pw);
    param_utf8(params, n, "CLIENT", client, sizeof(client), &has_client);
    param_utf8(params, n, "LANG", lang, sizeof(lang), &has_lang);
    RFC_CONNECTION_HANDLE c = NULL;
    char why[256];

    if (!g_cfg_ok) {
        fail(e, RFC_COMMUNICATION_FAILURE, COMMUNICATION_FAILURE, "RFC_ERROR_COMMUNICATION", "%s",
             g_cfg_err);
        goto cleanup;
    }
    if (!has_host || !has_port) {
        fail(e, RFC_INVALID_PARAMETER, EXTERNAL_RUNTIME_FAILURE, "RFC_INVALID_PARAMETER",
             "WebSocket RFC needs WSHOST and WSPORT");
        goto cleanup;
    }
    if (!has_pse) {
        fail(e, RFC_INVALID_PARAMETER, EXTERNAL_RUNTIME_FAILURE, "RFC_INVALID_PARAMETER",
             "WebSocket RFC needs TLS: TLS_CLIENT_PSE is missing");
        goto cleanup;
    }
    FILE *f = fopen(pse, "rb");
    char head[16] = "";
    if (f == NULL) {
        fail(e, RFC_COMMUNICATION_FAILURE, COMMUNICATION_FAILURE, "RFC_ERROR_COMMUNICATION",
             "cannot open PSE %s: %s", pse, strerror(errno));
        goto cleanup;
    }
    size_t got = fread(head, 1, sizeof(head) - 1, f);
    fclose(f);
    if (got >= 10 && memcmp(head, "-----BEGIN", 10) == 0) {
        fail(e, RFC_COMMUNICATION_FAILURE, COMMUNICATION_FAILURE, "RFC_ERROR_COMMUNICATION",
             "%s is PEM, not a PSE", pse);
        goto cleanup;
    }
    if (sim_config_find_host(&g_cfg, host) == NULL || (g_port && strcmp(port, g_port) != 0)) {
        fail(e, RFC_COMMUNICATION_FAILURE, COMMUNICATION_FAILURE, "RFC_ERROR_COMMUNICATION",
             "partner '%s:%s' not reached (connection refused)", host, port);
        goto cleanup;
    }
    if (has_cert && strcmp(certlogon, "1") == 0) {
        fail(e, RFC_LOGON_FAILURE, LOGON_FAILURE, "RFC_ERROR_LOGON_FAILURE",
             "certificate logon (TLS_CLIENT_CERTIFICATE_LOGON) is not simulated by the fake SDK");
        goto cleanup;
    }

    /* the same decision abapsim makes for a WebSocket upgrade with Basic credentials */
    char plain[700], b64[1000], authz[1010];
    int len = snprintf(plain, sizeof(plain), "%s:%s", has_alias ? alias : user, passwd);
    explicit_bzero(passwd, sizeof(passwd));
    if (len < 0 || (size_t)len >= sizeof(plain))
        len = 0;
    EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)plain, len);
    snprintf(authz, sizeof(authz), "Basic %s", b64);
    explicit_bzero(plain, sizeof(plain));
    explicit_bzero(b64, sizeof(b64));
    sim_logon_req_t req = {
        .host = host,
        .client = has_client ? client : NULL,
        .authorization = (has_user || has_alias) ? authz : NULL,
        .alias = has_alias ? "1" : NULL,
        .language = has_lang ? lang : NULL,
    };
    sim_logon_t lo;
    int just_locked = 0;
    pthread_mutex_lock(&g_mu);
    unsigned id = ++g_next_id;
    int ret = sim_logon(&g_cfg, &req, &lo, why, sizeof(why));
    ret = sim_lockout_apply(&g_lock, ret, &lo, why, sizeof(why), &just_locked);
    pthread_mutex_unlock(&g_mu);
    explicit_bzero(authz, sizeof(authz));
    if (ret != 0) {
        if (just_locked && lo.user_index >= 0)
            flog("user %s locked after %lld consecutive failed logons",
                 g_cfg.users[lo.user_index].name, (long long)g_cfg.max_failed_logons);
        flog("session %u: logon failed: %s", id, why);
        /* like the SDK: the reason stays in the server's log */
        fail(e, RFC_LOGON_FAILURE, LOGON_FAILURE, "RFC_ERROR_LOGON_FAILURE",
             "Name or password is incorrect (repeat logon)");
        goto cleanup;
    }
    c = calloc(1, sizeof(*c));
    if (c == NULL) {
        fail(e, RFC_MEMORY_INSUFFICIENT, EXTERNAL_RUNTIME_FAILURE, "RFC_MEMORY_INSUFFICIENT",
             "out of memory");
        goto cleanup;
    }
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    c->id = id;
    c->logon = lo;
    sim_state_init(&c->state);
    flog("session %u: logon user %s client %s host %s method %s language %s", id, lo.user,
         lo.client, lo.host, lo.method, lo.language);
    ok(e);
cleanup:
    explicit_bzero(passwd, sizeof(passwd));
    return c;
}

RFC_RC SAP_API RfcCloseConnection(RFC_CONNECTION_HANDLE c, RFC_ERROR_INFO *e)
{
    if (c == NULL)
        return fail(e, RFC_INVALID_HANDLE, EXTERNAL_RUNTIME_FAILURE, "RFC_INVALID_HANDLE",
                    "invalid connection handle");
    flog("session %u: closed", c->id);
    sim_state_reset(&c->state);
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->cv);
    free(c);
    return ok(e);
}

RFC_RC SAP_API RfcCancel(RFC_CONNECTION_HANDLE c, RFC_ERROR_INFO *e)
{
    if (c == NULL)
        return fail(e, RFC_INVALID_HANDLE, EXTERNAL_RUNTIME_FAILURE, "RFC_INVALID_HANDLE",
                    "invalid connection handle");
    pthread_mutex_lock(&c->mu);
    int busy = c->busy;
    if (busy) {
        c->canceled = 1;
        pthread_cond_broadcast(&c->cv);
    }
    pthread_mutex_unlock(&c->mu);
    if (!busy)
        return fail(e, RFC_ILLEGAL_STATE, EXTERNAL_RUNTIME_FAILURE, "RFC_ILLEGAL_STATE",
                    "the connection is not in a call");
    flog("session %u: canceled", c->id);
    return ok(e);
}

static RFC_RC check_open(RFC_CONNECTION_HANDLE c, RFC_ERROR_INFO *e)
{
    if (c == NULL)
        return fail(e, RFC_INVALID_HANDLE, EXTERNAL_RUNTIME_FAILURE, "RFC_INVALID_HANDLE",
                    "invalid connection handle");
    pthread_mutex_lock(&c->mu);
    int dead = c->canceled;
    pthread_mutex_unlock(&c->mu);
    if (dead)
        return fail(e, RFC_INVALID_HANDLE, EXTERNAL_RUNTIME_FAILURE, "RFC_INVALID_HANDLE",
                    "the connection was canceled and is closed");
    return ok(e);
}

RFC_RC SAP_API RfcPing(RFC_CONNECTION_HANDLE c, RFC_ERROR_INFO *e)
{
    return check_open(c, e);
}

RFC_RC SAP_API RfcResetServerContext(RFC_CONNECTION_HANDLE c, RFC_ERROR_INFO *e)
{
    RFC_RC rc = check_open(c, e);
    if (rc == RFC_OK)
        sim_state_reset(&c->state);
    return rc;
}

RFC_RC SAP_API RfcGetConnectionAttributes(RFC_CONNECTION_HANDLE c, RFC_ATTRIBUTES *a,
                                          RFC_ERROR_INFO *e)
{
    RFC_RC rc = check_open(c, e);
    if (rc != RFC_OK)
        return rc;
    memset(a, 0, sizeof(*a));
    uc_set(a->sysId, 9, g_cfg.sid, strlen(g_cfg.sid));
    uc_set(a->client, 4, c->logon.client, strlen(c->logon.client));
    uc_set(a->user, 13, c->logon.user, strlen(c->logon.user));
    uc_set(a->host, 101, c->logon.host, strlen(c->logon.host));
    uc_set(a->partnerRel, 5, g_cfg.release, strlen(g_cfg.release));
    return ok(e);
}

/* ---- metadata ----------------------------------------------------------------
 * A function description handle is abapsim's sim_rfm_t, a type description
 * handle its gw_rfc_typedesc_t (both static). */

static const sim_rfm_t *as_rfm(RFC_FUNCTION_DESC_HANDLE h)
{
    return (const sim_rfm_t *)(uintptr_t)h;
}

static const gw_rfc_typedesc_t *as_type(RFC_TYPE_DESC_HANDLE h)
{
    return (const gw_rfc_typedesc_t *)(uintptr_t)h;
}

RFC_FUNCTION_DESC_HANDLE SAP_API RfcGetFunctionDesc(RFC_CONNECTION_HANDLE c, SAP_UC const *name,
                                                    RFC_ERROR_INFO *e)
{
    char nm[128];
    if (check_open(c, e) != RFC_OK)
        return NULL;
    gw_nwrfc_uc_copy(nm, sizeof(nm), name, 128);
    const sim_rfm_t *rfm = sim_rfm_find(gw_slice(nm));
    if (rfm == NULL) {
        fail(e, RFC_ABAP_EXCEPTION, ABAP_APPLICATION_FAILURE, "FU_NOT_FOUND",
             "ID:FL Type:E Number:046 %s", nm);
        if (e) {
            uc_set(e->abapMsgClass, 21, "FL", 2);
            uc_set(e->abapMsgType, 2, "E", 1);
            uc_set(e->abapMsgNumber, 4, "046", 3);
            uc_set(e->abapMsgV1, 51, nm, strlen(nm) > 50 ? 50 : strlen(nm));
        }
        return NULL;
    }
    size_t i = 0;
    while (sim_rfm_at(i) != rfm)
        i++;
    pthread_mutex_lock(&g_mu);
    int first = !g_described[i];
    g_described[i] = 1;
    pthread_mutex_unlock(&g_mu);
    if (first) /* the SDK's repository fetches a description once, then caches it */
        flog("session %u: DESCRIBE %s", c->id, nm);
    return (RFC_FUNCTION_DESC_HANDLE)(uintptr_t)rfm;
}

RFC_RC SAP_API RfcRemoveFunctionDesc(SAP_UC const *repo, SAP_UC const *name, RFC_ERROR_INFO *e)
{
    char sys[16], nm[128];
    pthread_once(&g_once, init_once);
    gw_nwrfc_uc_copy(sys, sizeof(sys), repo, 16);
    gw_nwrfc_uc_copy(nm, sizeof(nm), name, 128);
    const sim_rfm_t *rfm = sim_rfm_find(gw_slice(nm));
    if (!g_cfg_ok || strcmp(sys, g_cfg.sid) != 0 || rfm == NULL)
        return fail(e, RFC_NOT_FOUND, EXTERNAL_RUNTIME_FAILURE, "RFC_NOT_FOUND",
                    "no description of %s in repository %s", nm, sys);
    size_t i = 0;
    while (sim_rfm_at(i) != rfm)
        i++;
    pthread_mutex_lock(&g_mu);
    int had = g_described[i];
    g_described[i] = 0; /* the next RfcGetFunctionDesc fetches it again */
    pthread_mutex_unlock(&g_mu);
    if (!had)
        return fail(e, RFC_NOT_FOUND, EXTERNAL_RUNTIME_FAILURE, "RFC_NOT_FOUND",
                    "no description of %s in repository %s", nm, sys);
    return ok(e);
}

static RFCTYPE sdk_type(int t)
{
    switch (t) {
    case GW_RFC_CHAR:
        return RFCTYPE_CHAR;
    case GW_RFC_NUM:
        return RFCTYPE_NUM;
    case GW_RFC_DATE:
        return RFCTYPE_DATE;
    case GW_RFC_TIME:
        return RFCTYPE_TIME;
    case GW_RFC_BCD:
        return RFCTYPE_BCD;
    case GW_RFC_INT1:
        return RFCTYPE_INT1;
    case GW_RFC_INT2:
        return RFCTYPE_INT2;
    case GW_RFC_INT4:
        return RFCTYPE_INT;
    case GW_RFC_INT8:
        return RFCTYPE_INT8;
    case GW_RFC_FLOAT:
        return RFCTYPE_FLOAT;
    case GW_RFC_DECF16:
        return RFCTYPE_DECF16;
    case GW_RFC_DECF34:
        return RFCTYPE_DECF34;
    case GW_RFC_STRING:
        return RFCTYPE_STRING;
    case GW_RFC_XSTRING:
        return RFCTYPE_XSTRING;
    case GW_RFC_RAW:
        return RFCTYPE_BYTE;
    case GW_RFC_STRUCTURE:
        return RFCTYPE_STRUCTURE;
    default:
        return RFCTYPE_TABLE;
    }
}

/* nucLength / ucLength as the SDK reports them: characters count 1 and 2 bytes. */
static void lengths(const gw_rfc_typedesc_t *t, unsigned *nuc, unsigned *uc)
{
    switch (t->type) {
    case GW_RFC_CHAR:
    case GW_RFC_NUM:
    case GW_RFC_DATE:
    case GW_RFC_TIME:
        *nuc = t->length, *uc = 2 * t->length;
        break;
    case GW_RFC_STRING:
    case GW_RFC_XSTRING:
    case GW_RFC_TABLE:
        *nuc = *uc = 8;
        break;
    case GW_RFC_STRUCTURE:
        *nuc = *uc = 0;
        break;
    default:
        *nuc = *uc = t->length;
        break;
    }
}

RFC_RC SAP_API RfcGetParameterCount(RFC_FUNCTION_DESC_HANDLE d, unsigned *count, RFC_ERROR_INFO *e)
{
    if (d == NULL)
        return fail(e, RFC_INVALID_HANDLE, EXTERNAL_RUNTIME_FAILURE, "RFC_INVALID_HANDLE",
                    "invalid function description handle");
    *count = as_rfm(d)->desc.nparams;
    return ok(e);
}

RFC_RC SAP_API RfcGetParameterDescByIndex(RFC_FUNCTION_DESC_HANDLE d, unsigned index,
                                          RFC_PARAMETER_DESC *pd, RFC_ERROR_INFO *e)
{
    if (d == NULL || index >= as_rfm(d)->desc.nparams)
        return fail(e, RFC_INVALID_PARAMETER, EXTERNAL_RUNTIME_FAILURE, "RFC_INVALID_PARAMETER",
                    "no parameter at index %u", index);
    const gw_rfc_param_t *p = &as_rfm(d)->desc.params[index];
    static const RFC_DIRECTION dirs[] = {RFC_IMPORT, RFC_IMPORT, RFC_EXPORT, RFC_CHANGING,
                                         RFC_TABLES};
    memset(pd, 0, sizeof(*pd));
    uc_set(pd->name, 31, p->name.ptr, p->name.len);
    pd->type = sdk_type(p->type->type);
    pd->direction = dirs[p->direction <= 4 ? p->direction : 0];
    lengths(p->type, &pd->nucLength, &pd->ucLength);
    pd->decimals = p->type->decimals;
    if (p->type->type == GW_RFC_STRUCTURE)
        pd->typeDescHandle = (RFC_TYPE_DESC_HANDLE)(uintptr_t)p->type;
    else if (p->type->type == GW_RFC_TABLE)
        pd->typeDescHandle = (RFC_TYPE_DESC_HANDLE)(uintptr_t)p->type->line;
    uc_set(pd->defaultValue, 31, p->default_value.ptr,
           p->default_value.len > 30 ? 30 : p->default_value.len);
    uc_set(pd->parameterText, 80, p->text.ptr, p->text.len > 79 ? 79 : p->text.len);
    pd->optional = p->optional;
    return ok(e);
}

RFC_RC SAP_API RfcGetFieldCount(RFC_TYPE_DESC_HANDLE h, unsigned *count, RFC_ERROR_INFO *e)
{
    if (h == NULL)
        return fail(e, RFC_INVALID_HANDLE, EXTERNAL_RUNTIME_FAILURE, "RFC_INVALID_HANDLE",
                    "invalid type description handle");
    *count = as_type(h)->nfields;
    return ok(e);
}

RFC_RC SAP_API RfcGetFieldDescByIndex(RFC_TYPE_DESC_HANDLE h, unsigned index, RFC_FIELD_DESC *fd,
                                      RFC_ERROR_INFO *e)
{
    if (h == NULL || index >= as_type(h)->nfields)
        return fail(e, RFC_INVALID_PARAMETER, EXTERNAL_RUNTIME_FAILURE, "RFC_INVALID_PARAMETER",
                    "no field at index %u", index);
    const gw_rfc_fielddesc_t *f = &as_type(h)->fields[index];
    memset(fd, 0, sizeof(*fd));
    uc_set(fd->name, 31, f->name.ptr, f->name.len);
    fd->type = sdk_type(f->type->type);
    lengths(f->type, &fd->nucLength, &fd->ucLength);
    fd->decimals = f->type->decimals;
    if (f->type->type == GW_RFC_STRUCTURE)
        fd->typeDescHandle = (RFC_TYPE_DESC_HANDLE)(uintptr_t)f->type;
    else if (f->type->type == GW_RFC_TABLE)
        fd->typeDescHandle = (RFC_TYPE_DESC_HANDLE)(uintptr_t)f->type->line;
    return ok(e);
}

RFC_RC SAP_API RfcGetTypeName(RFC_TYPE_DESC_HANDLE h, RFC_ABAP_NAME name, RFC_ERROR_INFO *e)
{
    if (h == NULL)
        return fail(e, RFC_INVALID_HANDLE, EXTERNAL_RUNTIME_FAILURE, "RFC_INVALID_HANDLE",
                    "invalid type description handle");
    uc_set(name, 31, as_type(h)->name.ptr, as_type(h)->name.len > 30 ? 30 : as_type(h)->name.len);
    return ok(e);
}

/* ---- data containers ------------------------------------------------------------
 * A container is a function (its parameters), a structure (its fields) or a
 * table (rows, each a structure container). Scalars are rfc.h values with
 * UTF-8 text, as abapsim's handlers read and write them; nested structures
 * and tables are child containers. Everything lives in the function's arena
 * and goes with RfcDestroyFunction. */

enum { K_FUNC, K_STRUCT, K_TABLE };

typedef struct {
    uint8_t set;    /* a value was given (or the container fetched) */
    uint8_t active; /* RfcSetParameterActive */
    gw_rfc_value_t v;
    DATA_CONTAINER_HANDLE child;
} fld_t;

struct RFC_DATA_CONTAINER {
    int kind;
    gw_arena_t *arena;
    gw_arena_t own; /* K_FUNC */
    const sim_rfm_t *rfm;
    const gw_rfc_typedesc_t *type; /* K_STRUCT: the structure; K_TABLE: the line type */
    uint32_t n;
    fld_t *f;
    DATA_CONTAINER_HANDLE *rows; /* K_TABLE */
    uint32_t nrows, cap, cur;
};

static const gw_rfc_typedesc_t *field_type(DATA_CONTAINER_HANDLE h, uint32_t i)
{
    return h->kind == K_FUNC ? h->rfm->desc.params[i].type : h->type->fields[i].type;
}

static gw_slice_t field_name(DATA_CONTAINER_HANDLE h, uint32_t i)
{
    return h->kind == K_FUNC ? h->rfm->desc.params[i].name : h->type->fields[i].name;
}

static DATA_CONTAINER_HANDLE new_struct(gw_arena_t *a, const gw_rfc_typedesc_t *t)
{
    DATA_CONTAINER_HANDLE s = gw_arena_calloc(a, 1, sizeof(*s));
    if (s == NULL)
        return NULL;
    s->kind = K_STRUCT;
    s->arena = a;
    s->type = t;
    s->n = t->nfields;
    s->f = gw_arena_calloc(a, s->n + 1, sizeof(fld_t));
    return s->f ? s : NULL;
}

static DATA_CONTAINER_HANDLE new_table(gw_arena_t *a, const gw_rfc_typedesc_t *line)
{
    DATA_CONTAINER_HANDLE t = gw_arena_calloc(a, 1, sizeof(*t));
    if (t == NULL)
        return NULL;
    t->kind = K_TABLE;
    t->arena = a;
    t->type = line;
    return t;
}

static DATA_CONTAINER_HANDLE append_row(DATA_CONTAINER_HANDLE t)
{
    if (t->nrows == t->cap) {
        uint32_t cap = t->cap ? 2 * t->cap : 8;
        DATA_CONTAINER_HANDLE *rows = gw_arena_calloc(t->arena, cap, sizeof(*rows));
        if (rows == NULL)
            return NULL;
        if (t->nrows)
            memcpy(rows, t->rows, t->nrows * sizeof(*rows));
        t->rows = rows;
        t->cap = cap;
    }
    DATA_CONTAINER_HANDLE r = new_struct(t->arena, t->type);
    if (r == NULL)
        return NULL;
    t->rows[t->nrows] = r;
    t->cur = t->nrows++;
    return r;
}

/* The field named `name` (UTF-16), or -1 with the error filled. */
static long find_field(DATA_CONTAINER_HANDLE h, SAP_UC const *name, RFC_ERROR_INFO *e)
{
    char nm[128];
    if (h == NULL || h->kind == K_TABLE) {
        fail(e, RFC_INVALID_HANDLE, EXTERNAL_RUNTIME_FAILURE, "RFC_INVALID_HANDLE",
             "invalid data container handle");
        return -1;
    }
    gw_nwrfc_uc_copy(nm, sizeof(nm), name, 128);
    for (uint32_t i = 0; i < h->n; i++)
        if (gw_slice_eq_str(field_name(h, i), nm))
            return (long)i;
    fail(e, RFC_INVALID_PARAMETER, EXTERNAL_RUNTIME_FAILURE, "RFC_INVALID_PARAMETER",
         "field '%s' not found", nm);
    return -1;
}

static RFC_RC wrong_type(RFC_ERROR_INFO *e, DATA_CONTAINER_HANDLE h, uint32_t i, const char *what)
{
    gw_slice_t nm = field_name(h, i);
    return fail(e, RFC_CONVERSION_FAILURE, EXTERNAL_RUNTIME_FAILURE, "RFC_CONVERSION_FAILURE",
                "%s cannot be used on field %.*s of type %s", what, (int)nm.len, nm.ptr,
                gw_rfc_type_name(field_type(h, i)->type));
}

static RFC_RC store(DATA_CONTAINER_HANDLE h, uint32_t i, gw_rfc_value_t v, RFC_ERROR_INFO *e)
{
    h->f[i].v = v;
    h->f[i].set = 1;
    return ok(e);
}

/* Stores UTF-16 text into a text-like field, checking it as the SDK would. */
static RFC_RC set_text(DATA_CONTAINER_HANDLE h, SAP_UC const *name, const SAP_UC *p, unsigned n,
                       const char *what, unsigned allowed, RFC_ERROR_INFO *e)
{
    long i = find_field(h, name, e);
    if (i < 0)
        return e ? e->code : RFC_INVALID_PARAMETER;
    const gw_rfc_typedesc_t *t = field_type(h, (uint32_t)i);
    if (!(allowed & (1u << t->type)))
        return wrong_type(e, h, (uint32_t)i, what);
    gw_slice_t s;
    if (gw_nwrfc_from_utf16(h->arena, p, n, &s) != 0)
        return fail(e, RFC_MEMORY_INSUFFICIENT, EXTERNAL_RUNTIME_FAILURE, "RFC_MEMORY_INSUFFICIENT",
                    "out of memory");
    if ((t->type == GW_RFC_CHAR || t->type == GW_RFC_NUM) && n > t->length)
        return fail(e, RFC_CONVERSION_FAILURE, EXTERNAL_RUNTIME_FAILURE, "RFC_CONVERSION_FAILURE",
                    "value of %u characters does not fit CHAR/NUMC %u", n, t->length);
    if (t->type == GW_RFC_NUM && strspn(s.ptr, "0123456789 ") != s.len)
        return fail(e, RFC_CONVERSION_FAILURE, EXTERNAL_RUNTIME_FAILURE, "RFC_CONVERSION_FAILURE",
                    "'%s' is not a NUMC value", s.ptr);
    if ((t->type == GW_RFC_DATE && n != 8) || (t->type == GW_RFC_TIME && n != 6))
        return fail(e, RFC_CONVERSION_FAILURE, EXTERNAL_RUNTIME_FAILURE, "RFC_CONVERSION_FAILURE",
                    "'%s' has the wrong length for a DATE/TIME", s.ptr);
    if ((t->type == GW_RFC_BCD || t->type == GW_RFC_DECF16 || t->type == GW_RFC_DECF34) &&
        (s.len == 0 || strspn(s.ptr, "+-0123456789.eE") != s.len))
        return fail(e, RFC_CONVERSION_FAILURE, EXTERNAL_RUNTIME_FAILURE, "RFC_CONVERSION_FAILURE",
                    "'%s' is not a decimal number", s.ptr);
    if (t->type == GW_RFC_CHAR) /* CHAR values keep no trailing blanks inside ABAP */
        while (s.len && s.ptr[s.len - 1] == ' ')
            s.len--;
    return store(h, (uint32_t)i, (gw_rfc_value_t){.type = t->type, .u.s = s}, e);
}

#define B(t) (1u << (t))
#define TEXTLIKE                                                                                   \
    (B(GW_RFC_CHAR) | B(GW_RFC_NUM) | B(GW_RFC_DATE) | B(GW_RFC_TIME) | B(GW_RFC_STRING))
#define DECIMAL (B(GW_RFC_BCD) | B(GW_RFC_DECF16) | B(GW_RFC_DECF34))

RFC_RC SAP_API RfcSetChars(DATA_CONTAINER_HANDLE h, SAP_UC const *name, const RFC_CHAR *v,
                           unsigned n, RFC_ERROR_INFO *e)
{
    return set_text(h, name, v, n, "RfcSetChars", TEXTLIKE, e);
}

RFC_RC SAP_API RfcSetNum(DATA_CONTAINER_HANDLE h, SAP_UC const *name, const RFC_NUM *v, unsigned n,
                         RFC_ERROR_INFO *e)
{
    return set_text(h, name, v, n, "RfcSetNum", B(GW_RFC_NUM), e);
}

RFC_RC SAP_API RfcSetDate(DATA_CONTAINER_HANDLE h, SAP_UC const *name, const RFC_DATE v,
                          RFC_ERROR_INFO *e)
{
    return set_text(h, name, v, 8, "RfcSetDate", B(GW_RFC_DATE), e);
}

RFC_RC SAP_API RfcSetTime(DATA_CONTAINER_HANDLE h, SAP_UC const *name, const RFC_TIME v,
                          RFC_ERROR_INFO *e)
{
    return set_text(h, name, v, 6, "RfcSetTime", B(GW_RFC_TIME), e);
}

RFC_RC SAP_API RfcSetString(DATA_CONTAINER_HANDLE h, SAP_UC const *name, const SAP_UC *v,
                            unsigned n, RFC_ERROR_INFO *e)
{
    return set_text(h, name, v, n, "RfcSetString", TEXTLIKE | DECIMAL, e);
}

static RFC_RC set_bytes(DATA_CONTAINER_HANDLE h, SAP_UC const *name, const SAP_RAW *p, unsigned n,
                        const char *what, RFC_ERROR_INFO *e)
{
    long i = find_field(h, name, e);
    if (i < 0)
        return e ? e->code : RFC_INVALID_PARAMETER;
    const gw_rfc_typedesc_t *t = field_type(h, (uint32_t)i);
    if (t->type != GW_RFC_RAW && t->type != GW_RFC_XSTRING)
        return wrong_type(e, h, (uint32_t)i, what);
    if (t->type == GW_RFC_RAW && n > t->length)
        return fail(e, RFC_CONVERSION_FAILURE, EXTERNAL_RUNTIME_FAILURE, "RFC_CONVERSION_FAILURE",
                    "%u bytes do not fit RAW %u", n, t->length);
    char *copy = gw_arena_alloc(h->arena, n + 1);
    if (copy == NULL)
        return fail(e, RFC_MEMORY_INSUFFICIENT, EXTERNAL_RUNTIME_FAILURE, "RFC_MEMORY_INSUFFICIENT",
                    "out of memory");
    if (n)
        memcpy(copy, p, n);
    return store(h, (uint32_t)i, (gw_rfc_value_t){.type = t->type, .u.s = {copy, n}}, e);
}

RFC_RC SAP_API RfcSetBytes(DATA_CONTAINER_HANDLE h, SAP_UC const *name, const SAP_RAW *v,
                           unsigned n, RFC_ERROR_INFO *e)
{
    return set_bytes(h, name, v, n, "RfcSetBytes", e);
}

RFC_RC SAP_API RfcSetXString(DATA_CONTAINER_HANDLE h, SAP_UC const *name, const SAP_RAW *v,
                             unsigned n, RFC_ERROR_INFO *e)
{
    return set_bytes(h, name, v, n, "RfcSetXString", e);
}

static RFC_RC set_int(DATA_CONTAINER_HANDLE h, SAP_UC const *name, int64_t v, unsigned allowed,
                      const char *what, RFC_ERROR_INFO *e)
{
    long i = find_field(h, name, e);
    if (i < 0)
        return e ? e->code : RFC_INVALID_PARAMETER;
    const gw_rfc_typedesc_t *t = field_type(h, (uint32_t)i);
    if (!(allowed & B(t->type)))
        return wrong_type(e, h, (uint32_t)i, what);
    if ((t->type == GW_RFC_INT1 && (v < 0 || v > 255)) ||
        (t->type == GW_RFC_INT2 && (v < -32768 || v > 32767)) ||
        (t->type == GW_RFC_INT4 && (v < INT32_MIN || v > INT32_MAX)))
        return fail(e, RFC_CONVERSION_FAILURE, EXTERNAL_RUNTIME_FAILURE, "RFC_CONVERSION_FAILURE",
                    "%lld is out of range for %s", (long long)v, gw_rfc_type_name(t->type));
    return store(h, (uint32_t)i, (gw_rfc_value_t){.type = t->type, .u.i = v}, e);
}

#define INTS (B(GW_RFC_INT1) | B(GW_RFC_INT2) | B(GW_RFC_INT4) | B(GW_RFC_INT8))

RFC_RC SAP_API RfcSetInt(DATA_CONTAINER_HANDLE h, SAP_UC const *name, const RFC_INT v,
                         RFC_ERROR_INFO *e)
{
    return set_int(h, name, v, INTS, "RfcSetInt", e);
}

RFC_RC SAP_API RfcSetInt1(DATA_CONTAINER_HANDLE h, SAP_UC const *name, const RFC_INT1 v,
                          RFC_ERROR_INFO *e)
{
    return set_int(h, name, v, INTS, "RfcSetInt1", e);
}

RFC_RC SAP_API RfcSetInt2(DATA_CONTAINER_HANDLE h, SAP_UC const *name, const RFC_INT2 v,
                          RFC_ERROR_INFO *e)
{
    return set_int(h, name, v, INTS, "RfcSetInt2", e);
}

RFC_RC SAP_API RfcSetInt8(DATA_CONTAINER_HANDLE h, SAP_UC const *name, const RFC_INT8 v,
                          RFC_ERROR_INFO *e)
{
    return set_int(h, name, v, INTS, "RfcSetInt8", e);
}

RFC_RC SAP_API RfcSetFloat(DATA_CONTAINER_HANDLE h, SAP_UC const *name, const RFC_FLOAT v,
                           RFC_ERROR_INFO *e)
{
    long i = find_field(h, name, e);
    if (i < 0)
        return e ? e->code : RFC_INVALID_PARAMETER;
    if (field_type(h, (uint32_t)i)->type != GW_RFC_FLOAT)
        return wrong_type(e, h, (uint32_t)i, "RfcSetFloat");
    return store(h, (uint32_t)i, (gw_rfc_value_t){.type = GW_RFC_FLOAT, .u.f = v}, e);
}

/* The current value of a scalar field: what was set, else the ABAP initial value. */
static RFC_RC get_value(DATA_CONTAINER_HANDLE h, SAP_UC const *name, unsigned allowed,
                        const char *what, gw_rfc_value_t *out, uint32_t *idx, RFC_ERROR_INFO *e)
{
    long i = find_field(h, name, e);
    if (i < 0)
        return e ? e->code : RFC_INVALID_PARAMETER;
    const gw_rfc_typedesc_t *t = field_type(h, (uint32_t)i);
    if (!(allowed & B(t->type)))
        return wrong_type(e, h, (uint32_t)i, what);
    if (!h->f[i].set && sim__initial(h->arena, t, &h->f[i].v) != 0)
        return fail(e, RFC_MEMORY_INSUFFICIENT, EXTERNAL_RUNTIME_FAILURE, "RFC_MEMORY_INSUFFICIENT",
                    "out of memory");
    *out = h->f[i].v;
    if (idx)
        *idx = (uint32_t)i;
    return ok(e);
}

/* Copies text into a fixed-length buffer, padded with `pad` (the SDK's RfcGetChars/Num). */
static RFC_RC get_fixed(DATA_CONTAINER_HANDLE h, SAP_UC const *name, SAP_UC *buf, unsigned cap,
                        unsigned allowed, const char *what, SAP_UC pad, RFC_ERROR_INFO *e)
{
    gw_rfc_value_t v;
    RFC_RC rc = get_value(h, name, allowed, what, &v, NULL, e);
    if (rc != RFC_OK)
        return rc;
    long need = gw_nwrfc_utf16_len(v.u.s);
    if (need < 0)
        need = 0;
    uint16_t *tmp = gw_arena_alloc(h->arena, ((size_t)need + 1) * 2);
    if (tmp == NULL || gw_nwrfc_to_utf16(v.u.s, tmp, (size_t)need + 1) < 0)
        return fail(e, RFC_CONVERSION_FAILURE, EXTERNAL_RUNTIME_FAILURE, "RFC_CONVERSION_FAILURE",
                    "value cannot be converted");
    if ((unsigned long)need > cap)
        return fail(e, RFC_BUFFER_TOO_SMALL, EXTERNAL_RUNTIME_FAILURE, "RFC_BUFFER_TOO_SMALL",
                    "buffer of %u characters is too small for %ld", cap, need);
    if (pad == '0') { /* NUMC: right-aligned with leading zeros */
        for (unsigned k = 0; k < cap; k++)
            buf[k] = k < cap - (unsigned)need ? '0' : tmp[k - (cap - (unsigned)need)];
    } else {
        for (unsigned k = 0; k < cap; k++)
            buf[k] = k < (unsigned)need ? tmp[k] : pad;
    }
    return ok(e);
}

RFC_RC SAP_API RfcGetChars(DATA_CONTAINER_HANDLE h, SAP_UC const *name, RFC_CHAR *buf, unsigned n,
                           RFC_ERROR_INFO *e)
{
    return get_fixed(h, name, buf, n, TEXTLIKE, "RfcGetChars", ' ', e);
}

RFC_RC SAP_API RfcGetNum(DATA_CONTAINER_HANDLE h, SAP_UC const *name, RFC_NUM *buf, unsigned n,
                         RFC_ERROR_INFO *e)
{
    return get_fixed(h, name, buf, n, B(GW_RFC_NUM), "RfcGetNum", '0', e);
}

RFC_RC SAP_API RfcGetDate(DATA_CONTAINER_HANDLE h, SAP_UC const *name, RFC_DATE d,
                          RFC_ERROR_INFO *e)
{
    return get_fixed(h, name, d, 8, B(GW_RFC_DATE), "RfcGetDate", ' ', e);
}

RFC_RC SAP_API RfcGetTime(DATA_CONTAINER_HANDLE h, SAP_UC const *name, RFC_TIME t,
                          RFC_ERROR_INFO *e)
{
    return get_fixed(h, name, t, 6, B(GW_RFC_TIME), "RfcGetTime", ' ', e);
}

RFC_RC SAP_API RfcGetStringLength(DATA_CONTAINER_HANDLE h, SAP_UC const *name, unsigned *len,
                                  RFC_ERROR_INFO *e)
{
    gw_rfc_value_t v;
    RFC_RC rc =
        get_value(h, name, B(GW_RFC_STRING) | B(GW_RFC_XSTRING), "RfcGetStringLength", &v, NULL, e);
    if (rc != RFC_OK)
        return rc;
    long n = v.type == GW_RFC_STRING ? gw_nwrfc_utf16_len(v.u.s) : (long)v.u.s.len;
    *len = n < 0 ? 0 : (unsigned)n;
    return ok(e);
}

RFC_RC SAP_API RfcGetString(DATA_CONTAINER_HANDLE h, SAP_UC const *name, SAP_UC *buf, unsigned cap,
                            unsigned *len, RFC_ERROR_INFO *e)
{
    gw_rfc_value_t v;
    RFC_RC rc = get_value(h, name, TEXTLIKE | DECIMAL, "RfcGetString", &v, NULL, e);
    if (rc != RFC_OK)
        return rc;
    long need = gw_nwrfc_utf16_len(v.u.s);
    if (need < 0)
        need = 0;
    *len = (unsigned)need;
    if ((unsigned long)need + 1 > cap) /* room for the terminating zero, as the SDK wants */
        return fail(e, RFC_BUFFER_TOO_SMALL, EXTERNAL_RUNTIME_FAILURE, "RFC_BUFFER_TOO_SMALL",
                    "buffer of %u characters is too small for %ld plus the terminator", cap, need);
    gw_nwrfc_to_utf16(v.u.s, buf, cap);
    return ok(e);
}

RFC_RC SAP_API RfcGetBytes(DATA_CONTAINER_HANDLE h, SAP_UC const *name, SAP_RAW *buf, unsigned cap,
                           RFC_ERROR_INFO *e)
{
    gw_rfc_value_t v;
    RFC_RC rc = get_value(h, name, B(GW_RFC_RAW), "RfcGetBytes", &v, NULL, e);
    if (rc != RFC_OK)
        return rc;
    if (v.u.s.len > cap)
        return fail(e, RFC_BUFFER_TOO_SMALL, EXTERNAL_RUNTIME_FAILURE, "RFC_BUFFER_TOO_SMALL",
                    "buffer of %u bytes is too small for %zu", cap, v.u.s.len);
    memset(buf, 0, cap);
    if (v.u.s.len)
        memcpy(buf, v.u.s.ptr, v.u.s.len);
    return ok(e);
}

RFC_RC SAP_API RfcGetXString(DATA_CONTAINER_HANDLE h, SAP_UC const *name, SAP_RAW *buf,
                             unsigned cap, unsigned *len, RFC_ERROR_INFO *e)
{
    gw_rfc_value_t v;
    RFC_RC rc = get_value(h, name, B(GW_RFC_XSTRING), "RfcGetXString", &v, NULL, e);
    if (rc != RFC_OK)
        return rc;
    *len = (unsigned)v.u.s.len;
    if (v.u.s.len > cap)
        return fail(e, RFC_BUFFER_TOO_SMALL, EXTERNAL_RUNTIME_FAILURE, "RFC_BUFFER_TOO_SMALL",
                    "buffer of %u bytes is too small for %zu", cap, v.u.s.len);
    if (v.u.s.len)
        memcpy(buf, v.u.s.ptr, v.u.s.len);
    return ok(e);
}

static RFC_RC get_int(DATA_CONTAINER_HANDLE h, SAP_UC const *name, unsigned allowed,
                      const char *what, int64_t *out, RFC_ERROR_INFO *e)
{
    gw_rfc_value_t v;
    RFC_RC rc = get_value(h, name, allowed, what, &v, NULL, e);
    if (rc == RFC_OK)
        *out = v.u.i;
    return rc;
}

RFC_RC SAP_API RfcGetInt(DATA_CONTAINER_HANDLE h, SAP_UC const *name, RFC_INT *v, RFC_ERROR_INFO *e)
{
    int64_t i = 0;
    RFC_RC rc =
        get_int(h, name, B(GW_RFC_INT1) | B(GW_RFC_INT2) | B(GW_RFC_INT4), "RfcGetInt", &i, e);
    *v = (RFC_INT)i;
    return rc;
}

RFC_RC SAP_API RfcGetInt1(DATA_CONTAINER_HANDLE h, SAP_UC const *name, RFC_INT1 *v,
                          RFC_ERROR_INFO *e)
{
    int64_t i = 0;
    RFC_RC rc = get_int(h, name, B(GW_RFC_INT1), "RfcGetInt1", &i, e);
    *v = (RFC_INT1)i;
    return rc;
}

RFC_RC SAP_API RfcGetInt2(DATA_CONTAINER_HANDLE h, SAP_UC const *name, RFC_INT2 *v,
                          RFC_ERROR_INFO *e)
{
    int64_t i = 0;
    RFC_RC rc = get_int(h, name, B(GW_RFC_INT1) | B(GW_RFC_INT2), "RfcGetInt2", &i, e);
    *v = (RFC_INT2)i;
    return rc;
}

RFC_RC SAP_API RfcGetInt8(DATA_CONTAINER_HANDLE h, SAP_UC const *name, RFC_INT8 *v,
                          RFC_ERROR_INFO *e)
{
    int64_t i = 0;
    RFC_RC rc = get_int(h, name, INTS, "RfcGetInt8", &i, e);
    *v = (RFC_INT8)i;
    return rc;
}

RFC_RC SAP_API RfcGetFloat(DATA_CONTAINER_HANDLE h, SAP_UC const *name, RFC_FLOAT *v,
                           RFC_ERROR_INFO *e)
{
    gw_rfc_value_t val;
    RFC_RC rc = get_value(h, name, B(GW_RFC_FLOAT), "RfcGetFloat", &val, NULL, e);
    if (rc == RFC_OK)
        *v = val.u.f;
    return rc;
}

RFC_RC SAP_API RfcGetStructure(DATA_CONTAINER_HANDLE h, SAP_UC const *name,
                               RFC_STRUCTURE_HANDLE *out, RFC_ERROR_INFO *e)
{
    long i = find_field(h, name, e);
    if (i < 0)
        return e ? e->code : RFC_INVALID_PARAMETER;
    const gw_rfc_typedesc_t *t = field_type(h, (uint32_t)i);
    if (t->type != GW_RFC_STRUCTURE)
        return wrong_type(e, h, (uint32_t)i, "RfcGetStructure");
    if (h->f[i].child == NULL && (h->f[i].child = new_struct(h->arena, t)) == NULL)
        return fail(e, RFC_MEMORY_INSUFFICIENT, EXTERNAL_RUNTIME_FAILURE, "RFC_MEMORY_INSUFFICIENT",
                    "out of memory");
    h->f[i].set = 1;
    *out = h->f[i].child;
    return ok(e);
}

RFC_RC SAP_API RfcGetTable(DATA_CONTAINER_HANDLE h, SAP_UC const *name, RFC_TABLE_HANDLE *out,
                           RFC_ERROR_INFO *e)
{
    long i = find_field(h, name, e);
    if (i < 0)
        return e ? e->code : RFC_INVALID_PARAMETER;
    const gw_rfc_typedesc_t *t = field_type(h, (uint32_t)i);
    if (t->type != GW_RFC_TABLE)
        return wrong_type(e, h, (uint32_t)i, "RfcGetTable");
    if (h->f[i].child == NULL && (h->f[i].child = new_table(h->arena, t->line)) == NULL)
        return fail(e, RFC_MEMORY_INSUFFICIENT, EXTERNAL_RUNTIME_FAILURE, "RFC_MEMORY_INSUFFICIENT",
                    "out of memory");
    h->f[i].set = 1;
    *out = h->f[i].child;
    return ok(e);
}

static RFC_RC check_table(RFC_TABLE_HANDLE t, RFC_ERROR_INFO *e)
{
    if (t == NULL || t->kind != K_TABLE)
        return fail(e, RFC_INVALID_HANDLE, EXTERNAL_RUNTIME_FAILURE, "RFC_INVALID_HANDLE",
                    "invalid table handle");
    return RFC_OK;
}

RFC_RC SAP_API RfcGetRowCount(RFC_TABLE_HANDLE t, unsigned *n, RFC_ERROR_INFO *e)
{
    RFC_RC rc = check_table(t, e);
    if (rc != RFC_OK)
        return rc;
    *n = t->nrows;
    return ok(e);
}

RFC_RC SAP_API RfcMoveTo(RFC_TABLE_HANDLE t, unsigned index, RFC_ERROR_INFO *e)
{
    RFC_RC rc = check_table(t, e);
    if (rc != RFC_OK)
        return rc;
    if (index >= t->nrows)
        return fail(e, RFC_TABLE_MOVE_EOF, EXTERNAL_RUNTIME_FAILURE, "RFC_TABLE_MOVE_EOF",
                    "row %u is past the end (%u rows)", index, t->nrows);
    t->cur = index;
    return ok(e);
}

RFC_STRUCTURE_HANDLE SAP_API RfcGetCurrentRow(RFC_TABLE_HANDLE t, RFC_ERROR_INFO *e)
{
    if (check_table(t, e) != RFC_OK)
        return NULL;
    if (t->cur >= t->nrows) {
        fail(e, RFC_TABLE_MOVE_EOF, EXTERNAL_RUNTIME_FAILURE, "RFC_TABLE_MOVE_EOF", "no rows");
        return NULL;
    }
    ok(e);
    return t->rows[t->cur];
}

RFC_STRUCTURE_HANDLE SAP_API RfcAppendNewRow(RFC_TABLE_HANDLE t, RFC_ERROR_INFO *e)
{
    if (check_table(t, e) != RFC_OK)
        return NULL;
    RFC_STRUCTURE_HANDLE r = append_row(t);
    if (r == NULL)
        fail(e, RFC_MEMORY_INSUFFICIENT, EXTERNAL_RUNTIME_FAILURE, "RFC_MEMORY_INSUFFICIENT",
             "out of memory");
    else
        ok(e);
    return r;
}

/* ---- functions ------------------------------------------------------------------ */

RFC_FUNCTION_HANDLE SAP_API RfcCreateFunction(RFC_FUNCTION_DESC_HANDLE d, RFC_ERROR_INFO *e)
{
    if (d == NULL) {
        fail(e, RFC_INVALID_HANDLE, EXTERNAL_RUNTIME_FAILURE, "RFC_INVALID_HANDLE",
             "invalid function description handle");
        return NULL;
    }
    RFC_FUNCTION_HANDLE f = calloc(1, sizeof(*f));
    if (f == NULL) {
        fail(e, RFC_MEMORY_INSUFFICIENT, EXTERNAL_RUNTIME_FAILURE, "RFC_MEMORY_INSUFFICIENT",
             "out of memory");
        return NULL;
    }
    f->kind = K_FUNC;
    gw_arena_init(&f->own, 0);
    f->arena = &f->own;
    f->rfm = as_rfm(d);
    f->n = f->rfm->desc.nparams;
    f->f = gw_arena_calloc(f->arena, f->n + 1, sizeof(fld_t));
    if (f->f == NULL) {
        gw_arena_free(&f->own);
        free(f);
        fail(e, RFC_MEMORY_INSUFFICIENT, EXTERNAL_RUNTIME_FAILURE, "RFC_MEMORY_INSUFFICIENT",
             "out of memory");
        return NULL;
    }
    for (uint32_t i = 0; i < f->n; i++)
        f->f[i].active = 1;
    ok(e);
    return f;
}

RFC_RC SAP_API RfcDestroyFunction(RFC_FUNCTION_HANDLE f, RFC_ERROR_INFO *e)
{
    if (f == NULL || f->kind != K_FUNC)
        return fail(e, RFC_INVALID_HANDLE, EXTERNAL_RUNTIME_FAILURE, "RFC_INVALID_HANDLE",
                    "invalid function handle");
    gw_arena_free(&f->own);
    free(f);
    return ok(e);
}

RFC_RC SAP_API RfcSetParameterActive(RFC_FUNCTION_HANDLE f, SAP_UC const *name, int active,
                                     RFC_ERROR_INFO *e)
{
    if (f == NULL || f->kind != K_FUNC)
        return fail(e, RFC_INVALID_HANDLE, EXTERNAL_RUNTIME_FAILURE, "RFC_INVALID_HANDLE",
                    "invalid function handle");
    long i = find_field(f, name, e);
    if (i < 0)
        return e ? e->code : RFC_INVALID_PARAMETER;
    f->f[i].active = active != 0;
    return ok(e);
}

/* container → rfc.h value (for the handler) */
static int to_value(gw_arena_t *a, const gw_rfc_typedesc_t *t, const fld_t *fl,
                    gw_rfc_value_t *out);

static int struct_value(gw_arena_t *a, DATA_CONTAINER_HANDLE s, gw_rfc_value_t *out)
{
    gw_rfc_field_t *fs = gw_arena_calloc(a, s->n + 1, sizeof(*fs));
    if (fs == NULL)
        return GW_ENOMEM;
    for (uint32_t i = 0; i < s->n; i++) {
        fs[i].name = s->type->fields[i].name;
        int ret = to_value(a, s->type->fields[i].type, &s->f[i], &fs[i].value);
        if (ret != 0)
            return ret;
    }
    out->type = GW_RFC_STRUCTURE;
    out->u.st.count = s->n;
    out->u.st.fields = fs;
    return 0;
}

static int to_value(gw_arena_t *a, const gw_rfc_typedesc_t *t, const fld_t *fl, gw_rfc_value_t *out)
{
    if (t->type == GW_RFC_STRUCTURE) {
        if (fl->child == NULL)
            return sim__initial(a, t, out);
        return struct_value(a, fl->child, out);
    }
    if (t->type == GW_RFC_TABLE) {
        DATA_CONTAINER_HANDLE tab = fl->child;
        uint32_t n = tab ? tab->nrows : 0;
        gw_rfc_value_t *rows = gw_arena_calloc(a, n + 1, sizeof(*rows));
        if (rows == NULL)
            return GW_ENOMEM;
        for (uint32_t r = 0; r < n; r++) {
            int ret = struct_value(a, tab->rows[r], &rows[r]);
            if (ret != 0)
                return ret;
        }
        out->type = GW_RFC_TABLE;
        out->u.tab.count = n;
        out->u.tab.rows = rows;
        return 0;
    }
    if (!fl->set)
        return sim__initial(a, t, out);
    *out = fl->v;
    return 0;
}

/* rfc.h value (from the handler) → container field */
static int from_value(DATA_CONTAINER_HANDLE h, uint32_t i, const gw_rfc_value_t *v);

static int fill_struct(DATA_CONTAINER_HANDLE s, const gw_rfc_value_t *v)
{
    for (uint32_t k = 0; k < v->u.st.count; k++)
        for (uint32_t i = 0; i < s->n; i++)
            if (gw_slice_eq(s->type->fields[i].name, v->u.st.fields[k].name)) {
                int ret = from_value(s, i, &v->u.st.fields[k].value);
                if (ret != 0)
                    return ret;
            }
    return 0;
}

static int from_value(DATA_CONTAINER_HANDLE h, uint32_t i, const gw_rfc_value_t *v)
{
    const gw_rfc_typedesc_t *t = field_type(h, i);
    fld_t *fl = &h->f[i];
    fl->set = 1;
    if (t->type == GW_RFC_STRUCTURE) {
        if ((fl->child = new_struct(h->arena, t)) == NULL)
            return GW_ENOMEM;
        return v->type == GW_RFC_STRUCTURE ? fill_struct(fl->child, v) : 0;
    }
    if (t->type == GW_RFC_TABLE) {
        if ((fl->child = new_table(h->arena, t->line)) == NULL)
            return GW_ENOMEM;
        for (uint32_t r = 0; v->type == GW_RFC_TABLE && r < v->u.tab.count; r++) {
            DATA_CONTAINER_HANDLE row = append_row(fl->child);
            if (row == NULL)
                return GW_ENOMEM;
            int ret = fill_struct(row, &v->u.tab.rows[r]);
            if (ret != 0)
                return ret;
        }
        return 0;
    }
    fl->v = *v;
    switch (v->type) {
    case GW_RFC_INT1:
    case GW_RFC_INT2:
    case GW_RFC_INT4:
    case GW_RFC_INT8:
    case GW_RFC_FLOAT:
        return 0;
    default: /* text and bytes point into the call's arena: copy them */
        fl->v.u.s.ptr = gw_arena_strndup(h->arena, v->u.s.ptr, v->u.s.len);
        return fl->v.u.s.ptr ? 0 : GW_ENOMEM;
    }
}

/* Z_RFMGW_WAIT, cancellable: waits MILLISECONDS unless RfcCancel comes first. */
static int wait_cancellable(RFC_CONNECTION_HANDLE c, int64_t ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += (time_t)(ms / 1000);
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&c->mu);
    int rc = 0;
    while (!c->canceled && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&c->cv, &c->mu, &until);
    int canceled = c->canceled;
    pthread_mutex_unlock(&c->mu);
    return canceled;
}

/* Appends every row of a handler's cursor to its table parameter in `res`. */
static int drain_cursor(gw_arena_t *a, sim_cursor_t *cur, gw_wire_result_t *res)
{
    gw_rfc_value_t *tab = NULL;
    for (uint32_t k = 0; k < res->nparams; k++)
        if (gw_slice_eq_str(res->params[k].name, cur->param))
            tab = &res->params[k].value;
    if (tab == NULL || tab->type != GW_RFC_TABLE)
        return 0;
    for (int done = 0; !done;) {
        gw_rfc_value_t part = {.type = GW_RFC_TABLE};
        int ret = cur->next(cur, a, &part, 1u << 20, &done);
        if (ret != 0)
            return ret;
        if (part.u.tab.count == 0)
            continue;
        uint32_t n = tab->u.tab.count + part.u.tab.count;
        gw_rfc_value_t *rows = gw_arena_calloc(a, (size_t)n + 1, sizeof(*rows));
        if (rows == NULL)
            return GW_ENOMEM;
        if (tab->u.tab.count)
            memcpy(rows, tab->u.tab.rows, tab->u.tab.count * sizeof(*rows));
        memcpy(rows + tab->u.tab.count, part.u.tab.rows, part.u.tab.count * sizeof(*rows));
        tab->u.tab.rows = rows;
        tab->u.tab.count = n;
    }
    return 0;
}

RFC_RC SAP_API RfcInvoke(RFC_CONNECTION_HANDLE c, RFC_FUNCTION_HANDLE f, RFC_ERROR_INFO *e)
{
    RFC_RC rc = check_open(c, e);
    if (rc != RFC_OK)
        return rc;
    if (f == NULL || f->kind != K_FUNC)
        return fail(e, RFC_INVALID_HANDLE, EXTERNAL_RUNTIME_FAILURE, "RFC_INVALID_HANDLE",
                    "invalid function handle");
    const sim_rfm_t *rfm = f->rfm;
    gw_arena_t tmp;
    gw_arena_init(&tmp, 0);
    pthread_mutex_lock(&c->mu);
    c->busy = 1;
    pthread_mutex_unlock(&c->mu);
    flog("session %u: CALL %.*s", c->id, (int)rfm->desc.name.len, rfm->desc.name.ptr);

    /* what the SDK sends: the parameters that were set; active ones come back */
    gw_rfc_field_t *params = gw_arena_calloc(&tmp, f->n + 1, sizeof(*params));
    gw_slice_t *want = gw_arena_calloc(&tmp, f->n + 1, sizeof(*want));
    gw_wire_call_t call = {.function = rfm->desc.name, .params = params, .want = want};
    int ret = params && want ? 0 : GW_ENOMEM;
    for (uint32_t i = 0; i < f->n && ret == 0; i++) {
        const gw_rfc_param_t *p = &rfm->desc.params[i];
        if (p->direction != GW_RFC_EXPORTING && f->f[i].set && f->f[i].active) {
            params[call.nparams].name = p->name;
            ret = to_value(&tmp, p->type, &f->f[i], &params[call.nparams].value);
            call.nparams++;
        }
        if (p->direction != GW_RFC_IMPORTING && f->f[i].active)
            want[call.nwant++] = p->name;
    }
    if (ret != 0) {
        rc = fail(e, RFC_MEMORY_INSUFFICIENT, EXTERNAL_RUNTIME_FAILURE, "RFC_MEMORY_INSUFFICIENT",
                  "out of memory");
        goto cleanup;
    }

    sim_call_ctx_t ctx = {
        .arena = &tmp, .cfg = &g_cfg, .logon = &c->logon, .state = &c->state, .now = time(NULL)};
    gw_wire_result_t res = {0, NULL};
    const sim_user_t *u = c->logon.user_index >= 0 ? &g_cfg.users[c->logon.user_index] : NULL;
    if (u && !sim_comm_allows(&g_cfg, u, rfm->desc.name)) {
        flog("session %u: user %s: no RFC authorization for %.*s", c->id, c->logon.user,
             (int)rfm->desc.name.len, rfm->desc.name.ptr);
        rc = fail(e, RFC_ABAP_RUNTIME_FAILURE, ABAP_RUNTIME_FAILURE, "RFC_NO_AUTHORITY",
                  "No RFC authorization for function module %.*s", (int)rfm->desc.name.len,
                  rfm->desc.name.ptr);
        goto cleanup;
    }
    if (gw_slice_eq_str(rfm->desc.name, "Z_RFMGW_WAIT")) {
        const fld_t *ms = NULL;
        for (uint32_t i = 0; i < f->n; i++)
            if (gw_slice_eq_str(rfm->desc.params[i].name, "MILLISECONDS"))
                ms = &f->f[i];
        int64_t wait = ms && ms->set ? ms->v.u.i : 0;
        wait = wait < 0 ? 0 : wait > 600000 ? 600000 : wait;
        if (wait_cancellable(c, wait)) {
            rc = fail(e, RFC_CANCELED, COMMUNICATION_FAILURE, "RFC_CANCELED",
                      "Connection was canceled by the client");
            goto cleanup;
        }
        /* waited already: the handler runs with 0 ms, WAITED is set below */
        for (uint32_t k = 0; k < call.nparams; k++)
            if (gw_slice_eq_str(params[k].name, "MILLISECONDS"))
                params[k].value.u.i = 0;
    }
    ret = sim_rfm_call(&ctx, rfm, &call, &res);
    if (ret != 0) {
        rc = ctx.error.group ? sim_error(e, &ctx.error)
                             : fail(e, RFC_ABAP_RUNTIME_FAILURE, ABAP_RUNTIME_FAILURE,
                                    "SYSTEM_FAILURE", "%s", gw_strerror(ret));
        goto cleanup;
    }
    if (ctx.cursor) /* rows abapsim produces part by part: the SDK receives the whole table */
        ret = drain_cursor(&tmp, ctx.cursor, &res);
    if (ret != 0) {
        rc = fail(e, RFC_MEMORY_INSUFFICIENT, EXTERNAL_RUNTIME_FAILURE, "RFC_MEMORY_INSUFFICIENT",
                  "out of memory");
        goto cleanup;
    }
    if (gw_slice_eq_str(rfm->desc.name, "Z_RFMGW_WAIT"))
        for (uint32_t k = 0; k < res.nparams; k++)
            if (gw_slice_eq_str(res.params[k].name, "WAITED"))
                for (uint32_t i = 0; i < f->n; i++)
                    if (gw_slice_eq_str(rfm->desc.params[i].name, "MILLISECONDS"))
                        res.params[k].value.u.i = f->f[i].set ? f->f[i].v.u.i : 0;
    for (uint32_t k = 0; k < res.nparams && ret == 0; k++)
        for (uint32_t i = 0; i < f->n; i++)
            if (gw_slice_eq(rfm->desc.params[i].name, res.params[k].name)) {
                ret = from_value(f, i, &res.params[k].value);
                break;
            }
    rc = ret == 0 ? ok(e)
                  : fail(e, RFC_MEMORY_INSUFFICIENT, EXTERNAL_RUNTIME_FAILURE,
                         "RFC_MEMORY_INSUFFICIENT", "out of memory");
cleanup:
    pthread_mutex_lock(&c->mu);
    c->busy = 0;
    if (c->canceled && rc == RFC_OK)
        rc = fail(e, RFC_CANCELED, COMMUNICATION_FAILURE, "RFC_CANCELED",
                  "Connection was canceled by the client");
    pthread_mutex_unlock(&c->mu);
    gw_arena_free(&tmp);
    return rc;
}
