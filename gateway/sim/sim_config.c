/*
 * sim_config: loads abapsim's libconfig file.
 *
 * Every setting is declared once in a table (name, type, range, default,
 * doc line) and the loader validates the file against the tables: an
 * unknown name, a value of the wrong type or out of range is an error that
 * names the file and line. libconfig's lookups fail silently on a type
 * mismatch, so nothing here uses config_lookup_*(): the loader walks the
 * settings the file actually contains and checks each one's type itself.
 * A final pass fills defaults; then cross-checks that the tables cannot
 * express (unique names, hashes that parse, certificate users that exist,
 * files that can be read).
 *
 * Relative file names resolve against the config file's directory, so the
 * simulator can be started from anywhere. All strings live in the config's
 * arena.
 */
#include "sim/sim.h"
#include "error/error.h"

#include <libconfig.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

enum { F_STR, F_INT, F_BOOL, F_FLOAT, F_STRLIST };

/* F_STRLIST target: an array of strings `[ "a", "b" ]`. */
typedef struct {
    char **v;
    size_t n;
} strlist_t;

typedef struct {
    const char *name;
    int type;
    int required;
    const char *def_str; /* F_STR default; NULL: none */
    int64_t def_int;     /* F_INT/F_BOOL default */
    int64_t min, max;    /* F_INT/F_FLOAT range; F_STR length range; F_STRLIST count range */
    size_t off;          /* offset in the target struct */
    const char *doc;
} field_t;

typedef struct {
    const char *name; /* group name, or list name */
    int is_list;      /* a list of groups (hosts, users, certificates) */
    const field_t *fields;
    size_t nfields;
    size_t elem_size; /* list element size */
    const char *doc;
} section_t;

#define C(f) offsetof(sim_config_t, f)

static const field_t system_fields[] = {
    {"sid", F_STR, 0, "A4H", 0, 3, 3, C(sid), "System ID reported in OPEN and by STFC_CONNECTION."},
    {"release", F_STR, 0, "758", 0, 1, 10, C(release), "SAP_BASIS release reported."},
    {"timezone", F_STR, 0, "UTC", 0, 1, 64, C(timezone),
     "Time zone of the system's date and time (a tz database name)."},
};
static const field_t listen_fields[] = {
    {"address", F_STR, 0, "127.0.0.1", 0, 1, 255, C(address), "IP address to listen on."},
    {"port", F_INT, 0, NULL, 8443, 0, 65535, C(port), "TCP port; 0 picks a free port."},
    {"path", F_STR, 0, GW_WIRE_DEFAULT_PATH, 0, 1, 255, C(path), "WebSocket upgrade path."},
};
static const field_t tls_fields[] = {
    {"cert", F_STR, 1, NULL, 0, 1, PATH_MAX, C(tls_cert), "Server certificate chain (PEM)."},
    {"key", F_STR, 1, NULL, 0, 1, PATH_MAX, C(tls_key), "Server private key (PEM)."},
    {"client_ca", F_STR, 0, NULL, 0, 1, PATH_MAX, C(tls_client_ca),
     "CA bundle for client certificates; when set a certificate is requested (not required)."},
};
static const field_t limits_fields[] = {
    {"max_message", F_INT, 0, NULL, 16 * 1024 * 1024, 1024, INT32_MAX, C(max_message),
     "Largest WebSocket message accepted or sent, in bytes."},
    {"max_sessions", F_INT, 0, NULL, 1000, 0, 1000000, C(max_sessions),
     "Conversation limit: concurrent sessions; beyond it upgrades get HTTP 503 (0: unlimited)."},
};
static const field_t server_fields[] = {
    {"workers", F_INT, 0, NULL, 4, 1, 64, C(workers),
     "Worker threads that run RFMs and password checks, off the network thread."},
};
static const field_t security_fields[] = {
    {"max_failed_logons", F_INT, 0, NULL, 5, 0, 1000, C(max_failed_logons),
     "Consecutive failed password logons that lock a user until restart (0: never lock)."},
};
static const field_t data_fields[] = {
    {"sbook_rows", F_INT, 0, NULL, 10000, 0, 100000000, C(sbook_rows),
     "Rows of the simulated flight bookings table SBOOK."},
};
static const field_t admin_fields[] = {
    {"address", F_STR, 0, "127.0.0.1", 0, 1, 255, C(admin_address),
     "Loopback address of the admin HTTP endpoint (faults, stats)."},
    {"port", F_INT, 0, NULL, 0, 0, 65535, C(admin_port),
     "Port of the admin endpoint; 0: disabled (--admin-port overrides)."},
};
static const field_t fault_fields[] = {
    {"latency_ms", F_INT, 0, NULL, 0, 0, 3600000, C(fault_latency_ms),
     "Delay added to every CALL reply, in milliseconds."},
    {"drop_probability", F_FLOAT, 0, NULL, 0, 0, 1, C(fault_drop_probability),
     "Probability (0..1) that a CALL drops the connection instead of replying."},
    {"garbage_reply", F_BOOL, 0, NULL, 0, 0, 1, C(fault_garbage_reply),
     "Answer CALLs with a frame that is not a protocol message."},
    {"truncate_reply", F_BOOL, 0, NULL, 0, 0, 1, C(fault_truncate_reply),
     "Answer CALLs with the first half of the reply."},
    {"refuse_connections", F_BOOL, 0, NULL, 0, 0, 1, C(fault_refuse_connections),
     "Reset new TCP connections at once."},
    {"black_hole", F_BOOL, 0, NULL, 0, 0, 1, C(fault_black_hole),
     "Accept new TCP connections and never answer them."},
    {"seed", F_INT, 0, NULL, 1, 0, INT64_MAX, C(fault_seed),
     "Seed of the deterministic random numbers behind drop_probability."},
};

#define H(f) offsetof(sim_host_t, f)
static const field_t host_fields[] = {
    {"name", F_STR, 1, NULL, 0, 1, 253, H(name), "Host name (the Host header) of a tenant."},
    {"client", F_STR, 1, NULL, 0, 3, 3, H(client), "Client selected by that host name."},
};

/* Users are read into this staging struct, then checked into sim_user_t. */
typedef struct {
    char *name;
    char *alias;
    char *password;
    int64_t locked;
} user_in_t;
#define U(f) offsetof(user_in_t, f)
static const field_t user_fields[] = {
    {"name", F_STR, 1, NULL, 0, 1, 12, U(name), "Technical user name."},
    {"alias", F_STR, 0, NULL, 0, 1, 40, U(alias),
     "Alias user name (logon with X-Rfmgw-Alias-User)."},
    {"password", F_STR, 0, NULL, 0, 1, 255, U(password),
     "PBKDF2 hash from `abapsim --hash-password`; absent: no password logon."},
    {"locked", F_BOOL, 0, NULL, 0, 0, 1, U(locked), "A locked user cannot log on."},
};

typedef struct {
    char *subject;
    char *fingerprint;
    char *user;
} cert_in_t;
#define K(f) offsetof(cert_in_t, f)
static const field_t cert_fields[] = {
    {"subject", F_STR, 0, NULL, 0, 1, 1024, K(subject),
     "Certificate subject in RFC 2253 form, e.g. \"CN=X,O=Y\"."},
    {"fingerprint", F_STR, 0, NULL, 0, 64, 95, K(fingerprint),
     "SHA-256 fingerprint in hex (instead of subject)."},
    {"user", F_STR, 1, NULL, 0, 1, 12, K(user), "User the certificate logs on as."},
};

typedef struct {
    char *id;
    char *description;
    strlist_t rfms;
} scenario_in_t;
#define SC(f) offsetof(scenario_in_t, f)
static const field_t scenario_fields[] = {
    {"id", F_STR, 1, NULL, 0, 1, 40, SC(id), "Scenario ID, e.g. \"Z_RFMGW_DEMO\"."},
    {"description", F_STR, 0, NULL, 0, 0, 255, SC(description), "What it is for."},
    {"rfms", F_STRLIST, 1, NULL, 0, 0, 100000, SC(rfms),
     "Every RFM callable inbound: exact names, or a prefix followed by '*'."},
};

typedef struct {
    char *id;
    strlist_t users;
} system_in_t;
#define SY(f) offsetof(system_in_t, f)
static const field_t commsys_fields[] = {
    {"id", F_STR, 1, NULL, 0, 1, 40, SY(id), "Communication system ID."},
    {"users", F_STRLIST, 1, NULL, 0, 0, 100000, SY(users),
     "Its communication users for inbound calls (names from `users`)."},
};

typedef struct {
    char *scenario;
    char *system;
    strlist_t auth_methods;
} arrangement_in_t;
#define AR(f) offsetof(arrangement_in_t, f)
static const field_t arrangement_fields[] = {
    {"scenario", F_STR, 1, NULL, 0, 1, 40, AR(scenario), "Scenario ID."},
    {"system", F_STR, 1, NULL, 0, 1, 40, AR(system), "Communication system ID."},
    {"auth_methods", F_STRLIST, 0, NULL, 0, 1, 2, AR(auth_methods),
     "Inbound authentication methods allowed: \"password\", \"certificate\" (default both)."},
};

enum {
    S_SYSTEM,
    S_LISTEN,
    S_TLS,
    S_LIMITS,
    S_SERVER,
    S_SECURITY,
    S_DATA,
    S_ADMIN,
    S_FAULTS,
    S_HOSTS,
    S_USERS,
    S_CERTS,
    S_SCENARIOS,
    S_SYSTEMS,
    S_ARRANGEMENTS,
    S_COUNT
};
#define S_LAST_GROUP S_FAULTS
static const section_t sections[S_COUNT] = {
    [S_SYSTEM] = {"system", 0, system_fields, GW_ARRAY_SIZE(system_fields), 0,
                  "The simulated system."},
    [S_LISTEN] = {"listen", 0, listen_fields, GW_ARRAY_SIZE(listen_fields), 0,
                  "Where the WebSocket endpoint listens."},
    [S_TLS] = {"tls", 0, tls_fields, GW_ARRAY_SIZE(tls_fields), 0, "TLS 1.2+ server settings."},
    [S_LIMITS] = {"limits", 0, limits_fields, GW_ARRAY_SIZE(limits_fields), 0, "Limits."},
    [S_SERVER] = {"server", 0, server_fields, GW_ARRAY_SIZE(server_fields), 0, "Threads."},
    [S_SECURITY] = {"security", 0, security_fields, GW_ARRAY_SIZE(security_fields), 0,
                    "Logon security."},
    [S_DATA] = {"data", 0, data_fields, GW_ARRAY_SIZE(data_fields), 0, "Simulated data."},
    [S_ADMIN] = {"admin", 0, admin_fields, GW_ARRAY_SIZE(admin_fields), 0,
                 "Admin HTTP endpoint (loopback only)."},
    [S_FAULTS] = {"faults", 0, fault_fields, GW_ARRAY_SIZE(fault_fields), 0,
                  "Faults at start-up (all off by default); see also the admin endpoint."},
    [S_HOSTS] = {"hosts", 1, host_fields, GW_ARRAY_SIZE(host_fields), sizeof(sim_host_t),
                 "Tenant host names; the Host header picks the client."},
    [S_USERS] = {"users", 1, user_fields, GW_ARRAY_SIZE(user_fields), sizeof(user_in_t),
                 "Users of the simulated system."},
    [S_CERTS] = {"certificates", 1, cert_fields, GW_ARRAY_SIZE(cert_fields), sizeof(cert_in_t),
                 "Client certificate → user mappings."},
    [S_SCENARIOS] = {"scenarios", 1, scenario_fields, GW_ARRAY_SIZE(scenario_fields),
                     sizeof(scenario_in_t),
                     "Communication scenarios: the RFMs callable inbound. Absent: open mode "
                     "(every RFM, every method)."},
    [S_SYSTEMS] = {"systems", 1, commsys_fields, GW_ARRAY_SIZE(commsys_fields), sizeof(system_in_t),
                   "Communication systems and their communication users."},
    [S_ARRANGEMENTS] = {"arrangements", 1, arrangement_fields, GW_ARRAY_SIZE(arrangement_fields),
                        sizeof(arrangement_in_t),
                        "Communication arrangements: scenario + system + allowed logon methods."},
};

typedef struct {
    sim_config_t *cfg;
    const char *file;
    char *dir;
    char *err;
    size_t errlen;
} loader_t;

__attribute__((format(printf, 3, 4))) static int fail(loader_t *l, const config_setting_t *s,
                                                      const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    const char *file = s ? config_setting_source_file(s) : NULL;
    int line = s ? (int)config_setting_source_line(s) : 0;
    if (file == NULL)
        file = l->file;
    if (line > 0)
        snprintf(l->err, l->errlen, "%s:%d: %s", file, line, msg);
    else
        snprintf(l->err, l->errlen, "%s: %s", file, msg);
    return GW_ECONFIG;
}

static const char *type_word(int t)
{
    switch (t) {
    case F_STR:
        return "a string";
    case F_INT:
        return "an integer";
    case F_FLOAT:
        return "a number";
    case F_STRLIST:
        return "an array of strings [ \"...\", ... ]";
    default:
        return "a boolean (true/false)";
    }
}

/* Stores one setting into `base` after checking its type and range. */
static int load_field(loader_t *l, const config_setting_t *s, const field_t *f, void *base,
                      const char *where)
{
    char *dst = (char *)base + f->off;
    int t = config_setting_type(s);
    switch (f->type) {
    case F_STR: {
        if (t != CONFIG_TYPE_STRING)
            return fail(l, s, "%s.%s: expected %s", where, f->name, type_word(f->type));
        const char *v = config_setting_get_string(s);
        size_t n = v ? strlen(v) : 0;
        if ((int64_t)n < f->min || (int64_t)n > f->max) {
            if (f->min == f->max)
                return fail(l, s, "%s.%s: must be %lld characters long", where, f->name,
                            (long long)f->min);
            return fail(l, s, "%s.%s: must be %lld to %lld characters long", where, f->name,
                        (long long)f->min, (long long)f->max);
        }
        char *c = gw_arena_strndup(&l->cfg->arena, v ? v : "", n);
        if (c == NULL)
            return fail(l, s, "out of memory");
        memcpy(dst, &c, sizeof(c));
        return 0;
    }
    case F_INT: {
        if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64)
            return fail(l, s, "%s.%s: expected %s", where, f->name, type_word(f->type));
        int64_t v = (int64_t)config_setting_get_int64(s);
        if (v < f->min || v > f->max)
            return fail(l, s, "%s.%s: %lld is out of range %lld..%lld", where, f->name,
                        (long long)v, (long long)f->min, (long long)f->max);
        memcpy(dst, &v, sizeof(v));
        return 0;
    }
    case F_FLOAT: {
        double v;
        if (t == CONFIG_TYPE_FLOAT)
            v = config_setting_get_float(s);
        else if (t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64)
            v = (double)config_setting_get_int64(s);
        else
            return fail(l, s, "%s.%s: expected %s", where, f->name, type_word(f->type));
        if (!(v >= (double)f->min && v <= (double)f->max))
            return fail(l, s, "%s.%s: %g is out of range %lld..%lld", where, f->name, v,
                        (long long)f->min, (long long)f->max);
        memcpy(dst, &v, sizeof(v));
        return 0;
    }
    case F_STRLIST: {
        if ((t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST))
            return fail(l, s, "%s.%s: expected %s", where, f->name, type_word(f->type));
        int n = config_setting_length(s);
        if (n < f->min || n > f->max)
            return fail(l, s, "%s.%s: needs %lld to %lld entries", where, f->name,
                        (long long)f->min, (long long)f->max);
        strlist_t sl = {gw_arena_calloc(&l->cfg->arena, n ? (size_t)n : 1, sizeof(char *)),
                        (size_t)n};
        if (sl.v == NULL)
            return fail(l, s, "out of memory");
        for (int i = 0; i < n; i++) {
            const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
            const char *v =
                config_setting_type(e) == CONFIG_TYPE_STRING ? config_setting_get_string(e) : NULL;
            if (v == NULL || *v == '\0' || strlen(v) > 255)
                return fail(l, e, "%s.%s[%d]: expected a string of 1 to 255 characters", where,
                            f->name, i);
            if ((sl.v[i] = gw_arena_strndup(&l->cfg->arena, v, strlen(v))) == NULL)
                return fail(l, s, "out of memory");
        }
        memcpy(dst, &sl, sizeof(sl));
        return 0;
    }
    default: {
        if (t != CONFIG_TYPE_BOOL)
            return fail(l, s, "%s.%s: expected %s", where, f->name, type_word(f->type));
        int64_t v = config_setting_get_bool(s) ? 1 : 0;
        memcpy(dst, &v, sizeof(v));
        return 0;
    }
    }
}

/* Loads a group (NULL: absent) against a field table; fills defaults; checks required fields. */
static int load_group(loader_t *l, const config_setting_t *g, const field_t *fields, size_t n,
                      void *base, const char *where)
{
    char seen[16] = {0};
    int ret;
    if (g && config_setting_type(g) != CONFIG_TYPE_GROUP)
        return fail(l, g, "%s: expected a group { ... }", where);
    for (int i = 0; g && i < config_setting_length(g); i++) {
        const config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
        const char *name = config_setting_name(s);
        size_t k;
        for (k = 0; k < n; k++)
            if (name && strcmp(name, fields[k].name) == 0)
                break;
        if (k == n)
            return fail(l, s, "%s: unknown setting '%s'", where, name ? name : "?");
        if ((ret = load_field(l, s, &fields[k], base, where)) != 0)
            return ret;
        seen[k] = 1;
    }
    for (size_t k = 0; k < n; k++) {
        if (seen[k])
            continue;
        const field_t *f = &fields[k];
        if (f->required)
            return fail(l, g, "%s: missing required setting '%s'", where, f->name);
        char *dst = (char *)base + f->off;
        if (f->type == F_FLOAT) {
            double d = (double)f->def_int;
            memcpy(dst, &d, sizeof(d));
        } else if (f->type == F_STRLIST) {
            strlist_t sl = {NULL, 0};
            memcpy(dst, &sl, sizeof(sl));
        } else if (f->type == F_STR) {
            char *c = f->def_str ? gw_arena_strndup(&l->cfg->arena, f->def_str, strlen(f->def_str))
                                 : NULL;
            if (f->def_str && c == NULL)
                return fail(l, g, "out of memory");
            memcpy(dst, &c, sizeof(c));
        } else {
            memcpy(dst, &f->def_int, sizeof(f->def_int));
        }
    }
    return 0;
}

static int load_list(loader_t *l, const config_setting_t *s, const section_t *sec, void **out,
                     size_t *count)
{
    int ret;
    if (config_setting_type(s) != CONFIG_TYPE_LIST &&
        !(config_setting_type(s) == CONFIG_TYPE_ARRAY && config_setting_length(s) == 0))
        return fail(l, s, "%s: expected a list ( { ... }, ... )", sec->name);
    size_t n = (size_t)config_setting_length(s);
    char *arr = gw_arena_calloc(&l->cfg->arena, n ? n : 1, sec->elem_size);
    if (arr == NULL)
        return fail(l, s, "out of memory");
    for (size_t i = 0; i < n; i++) {
        char where[64];
        snprintf(where, sizeof(where), "%s[%zu]", sec->name, i);
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        if ((ret = load_group(l, e, sec->fields, sec->nfields, arr + i * sec->elem_size, where)) !=
            0)
            return ret;
    }
    *out = arr;
    *count = n;
    return 0;
}

static char *resolve(loader_t *l, char *p)
{
    if (p == NULL || p[0] == '/')
        return p;
    return gw_arena_printf(&l->cfg->arena, "%s/%s", l->dir, p);
}

static int check_file(loader_t *l, const config_setting_t *s, const char *what, char **path)
{
    char *r = resolve(l, *path);
    if (r == NULL)
        return fail(l, s, "out of memory");
    FILE *f = fopen(r, "r");
    if (f == NULL)
        return fail(l, s, "%s: cannot read '%s': %s", what, r, strerror(errno));
    fclose(f);
    *path = r;
    return 0;
}

static int all(const char *s, int (*pred)(int))
{
    for (; *s; s++)
        if (!pred((unsigned char)*s))
            return 0;
    return 1;
}

static int is_upper_alnum(int c)
{
    return isdigit(c) || isupper(c);
}

static int is_user_char(int c)
{
    return isdigit(c) || isupper(c) || c == '_' || c == '-' || c == '.' || c == '@';
}

static int timezone_ok(const char *tz)
{
    if (strcmp(tz, "UTC") == 0 || strcmp(tz, "GMT") == 0)
        return 1;
    if (tz[0] == '/' || strstr(tz, "..") != NULL)
        return 0;
    char p[PATH_MAX];
    struct stat st;
    snprintf(p, sizeof(p), "/usr/share/zoneinfo/%s", tz);
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Accepts "ab12..." or "AB:12:..." (openssl x509 -fingerprint style). */
static int parse_fingerprint(const char *s, uint8_t out[32])
{
    size_t n = 0;
    while (*s) {
        if (*s == ':') {
            s++;
            continue;
        }
        int hi = hexval((unsigned char)s[0]);
        int lo = s[1] ? hexval((unsigned char)s[1]) : -1;
        if (hi < 0 || lo < 0 || n == 32)
            return -1;
        out[n++] = (uint8_t)(hi << 4 | lo);
        s += 2;
    }
    return n == 32 ? 0 : -1;
}

static const config_setting_t *child(const config_setting_t *root, const char *name)
{
    return config_setting_get_member(root, name);
}

static const config_setting_t *elem_member(const config_setting_t *list, size_t i, const char *name)
{
    const config_setting_t *e = list ? config_setting_get_elem(list, (unsigned)i) : NULL;
    const config_setting_t *m = e ? config_setting_get_member(e, name) : NULL;
    return m ? m : e;
}

static int check_users(loader_t *l, const config_setting_t *list, user_in_t *in, size_t n)
{
    sim_config_t *cfg = l->cfg;
    cfg->users = gw_arena_calloc(&cfg->arena, n ? n : 1, sizeof(sim_user_t));
    if (cfg->users == NULL)
        return fail(l, list, "out of memory");
    for (size_t i = 0; i < n; i++) {
        sim_user_t *u = &cfg->users[i];
        const config_setting_t *at = elem_member(list, i, "name");
        if (!all(in[i].name, is_user_char))
            return fail(l, at, "users[%zu].name: '%s' must be upper case letters, digits, _-.@", i,
                        in[i].name);
        if (in[i].alias && !all(in[i].alias, is_user_char))
            return fail(l, elem_member(list, i, "alias"),
                        "users[%zu].alias: '%s' must be upper case letters, digits, _-.@", i,
                        in[i].alias);
        for (size_t j = 0; j < i; j++) {
            if (strcmp(cfg->users[j].name, in[i].name) == 0)
                return fail(l, at, "users[%zu].name: duplicate user '%s'", i, in[i].name);
            const char *aj = cfg->users[j].alias;
            if (in[i].alias && aj && strcmp(aj, in[i].alias) == 0)
                return fail(l, elem_member(list, i, "alias"),
                            "users[%zu].alias: duplicate alias '%s'", i, in[i].alias);
        }
        u->name = in[i].name;
        u->alias = in[i].alias;
        u->locked = in[i].locked != 0;
        u->line = at ? (int)config_setting_source_line(at) : 0;
        if (in[i].password) {
            if (gw_password_parse(in[i].password, &u->password) != 0)
                return fail(l, elem_member(list, i, "password"),
                            "users[%zu].password: not a valid hash (expected "
                            "pbkdf2-sha256$<iterations>$<salt>$<hash>; make one with "
                            "abapsim --hash-password)",
                            i);
            u->has_password = 1;
        }
    }
    cfg->nusers = n;
    return 0;
}

static int check_certs(loader_t *l, const config_setting_t *list, cert_in_t *in, size_t n)
{
    sim_config_t *cfg = l->cfg;
    cfg->certs = gw_arena_calloc(&cfg->arena, n ? n : 1, sizeof(sim_certmap_t));
    if (cfg->certs == NULL)
        return fail(l, list, "out of memory");
    for (size_t i = 0; i < n; i++) {
        sim_certmap_t *c = &cfg->certs[i];
        const config_setting_t *e = config_setting_get_elem(list, (unsigned)i);
        if ((in[i].subject == NULL) == (in[i].fingerprint == NULL))
            return fail(l, e, "certificates[%zu]: give exactly one of 'subject' or 'fingerprint'",
                        i);
        c->subject = in[i].subject;
        if (in[i].fingerprint) {
            if (parse_fingerprint(in[i].fingerprint, c->fingerprint) != 0)
                return fail(l, elem_member(list, i, "fingerprint"),
                            "certificates[%zu].fingerprint: expected 64 hex digits (SHA-256)", i);
            c->has_fingerprint = 1;
        }
        for (size_t j = 0; j < cfg->nusers; j++)
            if (strcmp(cfg->users[j].name, in[i].user) == 0)
                c->user = &cfg->users[j];
        if (c->user == NULL)
            return fail(l, elem_member(list, i, "user"),
                        "certificates[%zu].user: no user '%s' in 'users'", i, in[i].user);
    }
    cfg->ncerts = n;
    return 0;
}

static int check_hosts(loader_t *l, const config_setting_t *list)
{
    sim_config_t *cfg = l->cfg;
    if (cfg->nhosts == 0)
        return fail(l, list, "hosts: at least one host is needed");
    for (size_t i = 0; i < cfg->nhosts; i++) {
        sim_host_t *h = &cfg->hosts[i];
        if (!all(h->client, isdigit))
            return fail(l, elem_member(list, i, "client"),
                        "hosts[%zu].client: '%s' must be three digits", i, h->client);
        for (char *p = h->name; *p; p++) {
            if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.')
                return fail(l, elem_member(list, i, "name"),
                            "hosts[%zu].name: '%s' is not a host name", i, h->name);
            *p = (char)tolower((unsigned char)*p);
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(cfg->hosts[j].name, h->name) == 0)
                return fail(l, elem_member(list, i, "name"), "hosts[%zu].name: duplicate '%s'", i,
                            h->name);
    }
    return 0;
}

static int is_rfm_char(int c)
{
    return isdigit(c) || isupper(c) || c == '_' || c == '/';
}

static int is_id_char(int c)
{
    return isdigit(c) || isupper(c) || c == '_';
}

static const config_setting_t *strlist_elem(const config_setting_t *list, size_t i,
                                            const char *name, size_t j)
{
    const config_setting_t *m = elem_member(list, i, name);
    const config_setting_t *e =
        m && config_setting_is_aggregate(m) ? config_setting_get_elem(m, (unsigned)j) : NULL;
    return e ? e : m;
}

static const sim_user_t *user_named(const sim_config_t *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->nusers; i++)
        if (strcmp(cfg->users[i].name, name) == 0)
            return &cfg->users[i];
    return NULL;
}

/* Communication management: scenarios, systems, arrangements, resolved per user. */
static int check_comm(loader_t *l, const config_setting_t *const found[S_COUNT], scenario_in_t *sc,
                      size_t nsc, system_in_t *sy, size_t nsy, arrangement_in_t *ar, size_t nar)
{
    sim_config_t *cfg = l->cfg;
    const config_setting_t *lsc = found[S_SCENARIOS], *lsy = found[S_SYSTEMS],
                           *lar = found[S_ARRANGEMENTS];

    if (lsc == NULL) {
        if (lsy || lar)
            return fail(l, lsy ? lsy : lar, "%s: given without 'scenarios'",
                        lsy ? "systems" : "arrangements");
        cfg->open_mode = 1;
        for (size_t i = 0; i < cfg->nusers; i++)
            cfg->users[i].methods = SIM_AUTH_PASSWORD | SIM_AUTH_CERTIFICATE;
        return 0;
    }
    cfg->scenarios = gw_arena_calloc(&cfg->arena, nsc ? nsc : 1, sizeof(sim_scenario_t));
    cfg->systems = gw_arena_calloc(&cfg->arena, nsy ? nsy : 1, sizeof(sim_system_t));
    cfg->arrangements = gw_arena_calloc(&cfg->arena, nar ? nar : 1, sizeof(sim_arrangement_t));
    if (!cfg->scenarios || !cfg->systems || !cfg->arrangements)
        return fail(l, lsc, "out of memory");

    for (size_t i = 0; i < nsc; i++) {
        if (!all(sc[i].id, is_id_char))
            return fail(l, elem_member(lsc, i, "id"),
                        "scenarios[%zu].id: '%s' must be upper case letters, digits and _", i,
                        sc[i].id);
        for (size_t j = 0; j < i; j++)
            if (strcmp(sc[j].id, sc[i].id) == 0)
                return fail(l, elem_member(lsc, i, "id"), "scenarios[%zu].id: duplicate '%s'", i,
                            sc[i].id);
        for (size_t j = 0; j < sc[i].rfms.n; j++) {
            char *r = sc[i].rfms.v[j];
            size_t n = strlen(r);
            int pattern = r[n - 1] == '*';
            char *name = gw_arena_strndup(&cfg->arena, r, pattern ? n - 1 : n);
            if (name == NULL)
                return fail(l, lsc, "out of memory");
            if (!all(name, is_rfm_char) || (!pattern && n > 30))
                return fail(l, strlist_elem(lsc, i, "rfms", j),
                            "scenarios[%zu].rfms[%zu]: '%s' is not an RFM name (upper case, "
                            "digits, _ and /; a trailing '*' matches a prefix)",
                            i, j, r);
            if (!pattern && sim_rfm_find(gw_slice(name)) == NULL)
                return fail(l, strlist_elem(lsc, i, "rfms", j),
                            "scenarios[%zu].rfms[%zu]: no function module '%s' in the simulator "
                            "(see docs/abapsim-rfms.md)",
                            i, j, r);
        }
        cfg->scenarios[i] =
            (sim_scenario_t){sc[i].id, sc[i].description, sc[i].rfms.v, sc[i].rfms.n};
    }
    cfg->nscenarios = nsc;

    for (size_t i = 0; i < nsy; i++) {
        if (!all(sy[i].id, is_id_char))
            return fail(l, elem_member(lsy, i, "id"),
                        "systems[%zu].id: '%s' must be upper case letters, digits and _", i,
                        sy[i].id);
        for (size_t j = 0; j < i; j++)
            if (strcmp(sy[j].id, sy[i].id) == 0)
                return fail(l, elem_member(lsy, i, "id"), "systems[%zu].id: duplicate '%s'", i,
                            sy[i].id);
        for (size_t j = 0; j < sy[i].users.n; j++) {
            if (user_named(cfg, sy[i].users.v[j]) == NULL)
                return fail(l, strlist_elem(lsy, i, "users", j),
                            "systems[%zu].users[%zu]: no user '%s' in 'users'", i, j,
                            sy[i].users.v[j]);
            for (size_t k = 0; k < j; k++)
                if (strcmp(sy[i].users.v[k], sy[i].users.v[j]) == 0)
                    return fail(l, strlist_elem(lsy, i, "users", j),
                                "systems[%zu].users[%zu]: duplicate '%s'", i, j, sy[i].users.v[j]);
        }
        cfg->systems[i] = (sim_system_t){sy[i].id, sy[i].users.v, sy[i].users.n};
    }
    cfg->nsystems = nsy;

    for (size_t i = 0; i < nar; i++) {
        sim_arrangement_t *a = &cfg->arrangements[i];
        for (size_t j = 0; j < nsc; j++)
            if (strcmp(cfg->scenarios[j].id, ar[i].scenario) == 0)
                a->scenario = &cfg->scenarios[j];
        if (a->scenario == NULL)
            return fail(l, elem_member(lar, i, "scenario"),
                        "arrangements[%zu].scenario: no scenario '%s' in 'scenarios'", i,
                        ar[i].scenario);
        for (size_t j = 0; j < nsy; j++)
            if (strcmp(cfg->systems[j].id, ar[i].system) == 0)
                a->system = &cfg->systems[j];
        if (a->system == NULL)
            return fail(l, elem_member(lar, i, "system"),
                        "arrangements[%zu].system: no system '%s' in 'systems'", i, ar[i].system);
        for (size_t j = 0; j < i; j++)
            if (cfg->arrangements[j].scenario == a->scenario &&
                cfg->arrangements[j].system == a->system)
                return fail(l, elem_member(lar, i, "scenario"),
                            "arrangements[%zu]: scenario '%s' is already arranged with system "
                            "'%s'",
                            i, ar[i].scenario, ar[i].system);
        if (ar[i].auth_methods.n == 0)
            a->methods = SIM_AUTH_PASSWORD | SIM_AUTH_CERTIFICATE;
        for (size_t j = 0; j < ar[i].auth_methods.n; j++) {
            const char *m = ar[i].auth_methods.v[j];
            if (strcmp(m, "password") == 0)
                a->methods |= SIM_AUTH_PASSWORD;
            else if (strcmp(m, "certificate") == 0)
                a->methods |= SIM_AUTH_CERTIFICATE;
            else
                return fail(l, strlist_elem(lar, i, "auth_methods", j),
                            "arrangements[%zu].auth_methods[%zu]: '%s' is not \"password\" or "
                            "\"certificate\"",
                            i, j, m);
        }
    }
    cfg->narrangements = nar;

    /* user → systems listing it → their arrangements → methods and scenarios */
    for (size_t u = 0; u < cfg->nusers; u++) {
        sim_user_t *user = &cfg->users[u];
        user->scenarios = gw_arena_calloc(&cfg->arena, nar ? nar : 1, sizeof(*user->scenarios));
        if (user->scenarios == NULL)
            return fail(l, lar, "out of memory");
        for (size_t i = 0; i < nar; i++) {
            const sim_arrangement_t *a = &cfg->arrangements[i];
            int member = 0;
            for (size_t j = 0; j < a->system->nusers; j++)
                member |= strcmp(a->system->users[j], user->name) == 0;
            if (!member)
                continue;
            user->methods |= a->methods;
            size_t k;
            for (k = 0; k < user->nscenarios; k++)
                if (user->scenarios[k] == a->scenario)
                    break;
            if (k == user->nscenarios)
                user->scenarios[user->nscenarios++] = a->scenario;
        }
    }
    return 0;
}

static int is_loopback(const char *a)
{
    return strncmp(a, "127.", 4) == 0 || strcmp(a, "::1") == 0 || strcmp(a, "localhost") == 0;
}

static int load(loader_t *l, config_t *c)
{
    sim_config_t *cfg = l->cfg;
    const config_setting_t *root = config_root_setting(c);
    const config_setting_t *found[S_COUNT] = {0};
    user_in_t *users = NULL;
    cert_in_t *certs = NULL;
    scenario_in_t *scen = NULL;
    system_in_t *systems = NULL;
    arrangement_in_t *arrs = NULL;
    size_t nusers = 0, ncerts = 0, nscen = 0, nsystems = 0, narrs = 0;
    int ret;

    for (int i = 0; i < config_setting_length(root); i++) {
        const config_setting_t *s = config_setting_get_elem(root, (unsigned)i);
        const char *name = config_setting_name(s);
        size_t k;
        for (k = 0; k < S_COUNT; k++)
            if (name && strcmp(name, sections[k].name) == 0)
                break;
        if (k == S_COUNT)
            return fail(l, s, "unknown setting '%s'", name ? name : "?");
        found[k] = s;
    }
    for (size_t k = S_SYSTEM; k <= S_LAST_GROUP; k++) {
        const section_t *sec = &sections[k];
        if (k == S_TLS && found[k] == NULL)
            return fail(l, NULL, "missing required group 'tls'");
        ret = load_group(l, found[k], sec->fields, sec->nfields, cfg, sec->name);
        if (ret != 0)
            return ret;
    }
    void *arr;
    if (found[S_HOSTS] == NULL)
        return fail(l, NULL, "missing required list 'hosts'");
    if ((ret = load_list(l, found[S_HOSTS], &sections[S_HOSTS], &arr, &cfg->nhosts)) != 0)
        return ret;
    cfg->hosts = arr;
    if (found[S_USERS]) {
        if ((ret = load_list(l, found[S_USERS], &sections[S_USERS], &arr, &nusers)) != 0)
            return ret;
        users = arr;
    }
    if (found[S_CERTS]) {
        if ((ret = load_list(l, found[S_CERTS], &sections[S_CERTS], &arr, &ncerts)) != 0)
            return ret;
        certs = arr;
    }
    if (found[S_SCENARIOS]) {
        if ((ret = load_list(l, found[S_SCENARIOS], &sections[S_SCENARIOS], &arr, &nscen)) != 0)
            return ret;
        scen = arr;
    }
    if (found[S_SYSTEMS]) {
        if ((ret = load_list(l, found[S_SYSTEMS], &sections[S_SYSTEMS], &arr, &nsystems)) != 0)
            return ret;
        systems = arr;
    }
    if (found[S_ARRANGEMENTS]) {
        if ((ret = load_list(l, found[S_ARRANGEMENTS], &sections[S_ARRANGEMENTS], &arr, &narrs)) !=
            0)
            return ret;
        arrs = arr;
    }

    /* cross-checks the tables cannot express */
    const config_setting_t *sys = found[S_SYSTEM], *lis = found[S_LISTEN], *tls = found[S_TLS];
    if (!(isupper((unsigned char)cfg->sid[0]) && all(cfg->sid, is_upper_alnum)))
        return fail(l, sys ? child(sys, "sid") : NULL,
                    "system.sid: '%s' must be an upper case letter and two letters or digits",
                    cfg->sid);
    if (!all(cfg->release, isdigit))
        return fail(l, sys ? child(sys, "release") : NULL, "system.release: '%s' must be digits",
                    cfg->release);
    if (!timezone_ok(cfg->timezone))
        return fail(l, sys ? child(sys, "timezone") : NULL,
                    "system.timezone: unknown time zone '%s'", cfg->timezone);
    if (cfg->path[0] != '/' || strpbrk(cfg->path, "?# ") != NULL)
        return fail(l, lis ? child(lis, "path") : NULL,
                    "listen.path: '%s' must start with '/' and contain no '?', '#' or blanks",
                    cfg->path);
    if ((ret = check_file(l, child(tls, "cert"), "tls.cert", &cfg->tls_cert)) != 0 ||
        (ret = check_file(l, child(tls, "key"), "tls.key", &cfg->tls_key)) != 0)
        return ret;
    if (cfg->tls_client_ca &&
        (ret = check_file(l, child(tls, "client_ca"), "tls.client_ca", &cfg->tls_client_ca)) != 0)
        return ret;
    if ((ret = check_hosts(l, found[S_HOSTS])) != 0)
        return ret;
    if ((ret = check_users(l, found[S_USERS], users, nusers)) != 0)
        return ret;
    if ((ret = check_certs(l, found[S_CERTS], certs, ncerts)) != 0)
        return ret;
    if ((ret = check_comm(l, found, scen, nscen, systems, nsystems, arrs, narrs)) != 0)
        return ret;
    if (!is_loopback(cfg->admin_address))
        return fail(l, found[S_ADMIN] ? child(found[S_ADMIN], "address") : NULL,
                    "admin.address: '%s' must be a loopback address (127.x.x.x or ::1)",
                    cfg->admin_address);
    return 0;
}

int sim_config_load(sim_config_t *cfg, const char *path, char *err, size_t errlen)
{
    config_t c;
    loader_t l = {cfg, path, NULL, err, errlen};
    int ret;
    struct stat st;

    memset(cfg, 0, sizeof(*cfg));
    gw_arena_init(&cfg->arena, 0);
    if (errlen)
        err[0] = '\0';

    /* libconfig reports a missing file only as "file I/O error" */
    if (stat(path, &st) != 0)
        return fail(&l, NULL, "cannot open: %s", strerror(errno));
    if (!S_ISREG(st.st_mode))
        return fail(&l, NULL, "not a regular file");
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return fail(&l, NULL, "cannot open: %s", strerror(errno));
    fclose(f);

    cfg->file = gw_arena_strndup(&cfg->arena, path, strlen(path));
    const char *slash = strrchr(path, '/');
    l.dir = slash ? gw_arena_strndup(&cfg->arena, path, slash == path ? 1 : (size_t)(slash - path))
                  : gw_arena_strndup(&cfg->arena, ".", 1);
    if (cfg->file == NULL || l.dir == NULL) {
        gw_arena_free(&cfg->arena);
        return fail(&l, NULL, "out of memory");
    }

    config_init(&c);
    if (config_read_file(&c, path) != CONFIG_TRUE) {
        const char *ef = config_error_file(&c);
        snprintf(err, errlen, "%s:%d: %s", ef ? ef : path, config_error_line(&c),
                 config_error_text(&c));
        ret = GW_ECONFIG;
    } else {
        ret = load(&l, &c);
    }
    config_destroy(&c);
    if (ret != 0)
        sim_config_free(cfg);
    return ret;
}

void sim_config_free(sim_config_t *cfg)
{
    gw_arena_free(&cfg->arena);
    memset(cfg, 0, sizeof(*cfg));
}

int sim_comm_pattern_match(const char *pattern, gw_slice_t name)
{
    size_t n = strlen(pattern);
    if (n > 0 && pattern[n - 1] == '*')
        return name.len >= n - 1 && memcmp(name.ptr, pattern, n - 1) == 0;
    return gw_slice_eq_str(name, pattern);
}

int sim_comm_allows(const sim_config_t *cfg, const sim_user_t *u, gw_slice_t name)
{
    if (cfg->open_mode)
        return 1;
    for (size_t i = 0; u && i < u->nscenarios; i++)
        for (size_t j = 0; j < u->scenarios[i]->nrfms; j++)
            if (sim_comm_pattern_match(u->scenarios[i]->rfms[j], name))
                return 1;
    return 0;
}

const sim_host_t *sim_config_find_host(const sim_config_t *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->nhosts; i++)
        if (strcasecmp(cfg->hosts[i].name, name) == 0)
            return &cfg->hosts[i];
    return NULL;
}

void sim_config_reference(FILE *out)
{
    for (size_t k = 0; k < S_COUNT; k++) {
        const section_t *sec = &sections[k];
        fprintf(out, "%s%s — %s\n", sec->name, sec->is_list ? " = ( { ... }, ... )" : "", sec->doc);
        for (size_t i = 0; i < sec->nfields; i++) {
            const field_t *f = &sec->fields[i];
            static const char *const tn[] = {"string", "integer", "boolean", "number",
                                             "array of strings"};
            fprintf(out, "  %s.%s (%s", sec->name, f->name, tn[f->type]);
            if (f->required)
                fprintf(out, ", required");
            else if (f->type == F_STR && f->def_str)
                fprintf(out, ", default \"%s\"", f->def_str);
            else if (f->type == F_INT)
                fprintf(out, ", %lld..%lld, default %lld", (long long)f->min, (long long)f->max,
                        (long long)f->def_int);
            else if (f->type == F_FLOAT)
                fprintf(out, ", %lld..%lld, default %lld", (long long)f->min, (long long)f->max,
                        (long long)f->def_int);
            else if (f->type == F_BOOL)
                fprintf(out, ", default %s", f->def_int ? "true" : "false");
            fprintf(out, "): %s\n", f->doc);
        }
    }
}
