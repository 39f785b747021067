/*
 * main: arguments, start-up in dependency order (config → routes →
 * transport → pools → HTTP), signals, and shutdown in reverse order.
 *
 * Signals are blocked before any thread starts and taken with sigwait()
 * here, so no other thread is ever interrupted by one.
 */
#include "auth/auth.h"
#include "config/config.h"
#include "error/error.h"
#include "fronttls/fronttls.h"
#include "http/http.h"
#include "log/log.h"
#include "pool/pool.h"
#include "route/route.h"
#include "sched/sched.h"
#include "startup/startup.h"
#include "admin/admin.h"
#include "tlsid/tlsid.h"
#include "transport/transport.h"
#include "verify/verify.h"

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <unistd.h>

static void usage(FILE *f)
{
    fprintf(f, "Usage: rfmgw [OPTIONS]\n"
               "REST/JSON gateway to SAP remote-enabled function modules over WebSocket RFC.\n\n"
               "  -c, --config FILE      configuration file (default conf/demo.conf)\n"
               "  -p, --port N           listen on port N instead of listen.port (0 = any)\n"
               "      --ready-file FILE  once listening, write the port number to FILE\n"
               "      --log-level LEVEL  error, warn, info or debug (overrides log.level)\n"
               "      --log-format FMT   text or json (overrides log.format)\n"
               "      --check-config     validate the configuration and mappings, then exit\n"
               "      --config-reference print the reference of every setting (Markdown)\n"
               "      --errors-reference print the table of error types (Markdown)\n"
               "      --hash-password    read a password line from stdin, print the line for a\n"
               "                         callers user file (--iterations N, default 100000)\n"
               "      --hash-api-key     read an API key from stdin, print its hash line\n"
               "      --pin-sha256 FILE  print the tls.pin_sha256 value of a PEM certificate\n"
               "                         (or public key): the backend's key to pin\n"
               "  -h, --help             this help\n"
               "  -V, --version          print the version\n\n"
               "Exit status: 0 on success and clean shutdown, 1 on a runtime failure,\n"
               "2 on a configuration or usage error.\n");
}

static void print_error_row(int err, void *arg)
{
    FILE *f = arg;
    fprintf(f, "| `" GW_PROBLEM_TYPE_PREFIX "%s` | %d | %s | `%s` |\n", gw_err_slug(err),
            gw_err_status(err), gw_strerror(err), gw_errname(err));
}

static void print_errors_reference(FILE *f)
{
    fprintf(f, "| type | status | title | code |\n|---|---|---|---|\n");
    gw_err_foreach(print_error_row, f);
}

/*
 * SIGHUP: reload the configuration and mappings. The new route table is
 * swapped in atomically (requests in flight keep theirs); passwords are
 * re-read and a destination stuck in `logon_failed` tries again; the
 * metadata caches are cleared. Listener, destinations and limits need a
 * restart. A configuration with errors changes nothing.
 */
static void reload(const char *file, const gw_config_t *cfg, gw_pool_t **pools, gw_http_t *http)
{
    gw_cfg_errors_t errs = {0};
    gw_config_t *nc = NULL;
    gw_route_table_t *nt = NULL;
    gw_auth_t *na = NULL;
    gw_buf_init(&errs.text, 0);
    int ret = gw_config_load(file, &nc, &errs);
    if (ret == 0)
        ret = gw_route_table_load(nc, &nt, &errs);
    if (ret == 0) /* the callers' key, user and JWKS files, read again */
        ret = gw_auth_create(nc, &na, &errs);
    /* every destination's certificates and keys read anew, before anything is applied */
    gw_pool_tls_t **tls = calloc(cfg->ndests + 1, sizeof(*tls));
    for (size_t i = 0; ret == 0 && tls && i < cfg->ndests; i++) {
        const gw_dest_conf_t *d = gw_config_dest(nc, cfg->dests[i].name);
        char why[300];
        int failed = 0;
        if (d)
            tls[i] = gw_pool_tls_prepare(pools[i], d, why, sizeof(why), &failed);
        if (failed) {
            gw_buf_printf(&errs.text, "%s: destination '%s': %s\n", file, d->name, why);
            ret = GW_ECONFIG;
        }
    }
    /* the HTTPS listener's certificate and key, when it has them (a listener change needs a
     * restart) */
    gw_fronttls_pair_t *front = NULL;
    if (ret == 0 && cfg->listen.tls_cert && nc->listen.tls_cert) {
        char why[300];
        front = gw_fronttls_load(nc->listen.tls_cert, nc->listen.tls_key, why, sizeof(why));
        if (front == NULL) {
            gw_buf_printf(&errs.text, "%s: %s\n", file, why);
            ret = GW_ECONFIG;
        }
    }
    for (size_t i = 0; ret == 0 && nt && i < nt->n; i++) {
        const gw_route_t *rt = &nt->routes[i];
        const gw_dest_conf_t *od = gw_config_dest(cfg, rt->destination);
        const char *id = rt->identity;
        if (od == NULL) {
            gw_buf_printf(&errs.text, "%s:%d: destination '%s' is new; a restart is needed\n",
                          rt->file, rt->line, rt->destination);
            ret = GW_ECONFIG;
        } else if (id && (strcmp(id, "passthrough") == 0 ? !od->passthrough.enabled
                                                         : gw_config_identity(od, id) == NULL)) {
            gw_buf_printf(&errs.text,
                          "%s:%d: identity '%s' of destination '%s' is new; a restart "
                          "is needed\n",
                          rt->file, rt->line, id, rt->destination);
            ret = GW_ECONFIG;
        }
    }
    if (ret != 0) {
        gw_metrics_reload(gw_http_metrics(http), 0);
        GW_LOGE("main", "SIGHUP: the configuration has errors; keeping the running one:\n%.*s",
                (int)errs.text.len, errs.text.data ? (const char *)errs.text.data : "");
        for (size_t i = 0; tls && i < cfg->ndests; i++)
            gw_pool_tls_discard(tls[i]);
        gw_fronttls_discard(front);
        free(tls);
        gw_route_table_free(nt);
        gw_auth_free(na);
        gw_config_free(nc);
        gw_buf_free(&errs.text);
        return;
    }
    for (size_t i = 0; i < cfg->ndests; i++) {
        const gw_dest_conf_t *d = gw_config_dest(nc, cfg->dests[i].name);
        gw_pool_reload(pools[i], d, tls ? tls[i] : NULL);
        gw_pool_desc_clear(pools[i]);
    }
    free(tls);
    if (front) { /* new HTTPS handshakes get the new pair; connections made keep theirs */
        gw_fronttls_install(front);
        GW_LOGI("main", "SIGHUP: HTTPS certificate and key reloaded from %s", nc->listen.tls_cert);
    }
    /* the new routes against fresh metadata, where the backend can be reached */
    gw_verify_result_t vr = {0};
    errs.text.len = 0;
    if (cfg->startup.verify_timeout_ms > 0)
        gw_verify_routes(cfg, nt, pools, cfg->startup.verify_timeout_ms, &vr, &errs.text);
    if (vr.bad) {
        gw_metrics_reload(gw_http_metrics(http), 0);
        GW_LOGE("main",
                "SIGHUP: %zu route%s do not match the functions' metadata; keeping the running "
                "routes:\n%.*s",
                vr.bad, vr.bad == 1 ? "" : "s", (int)errs.text.len,
                errs.text.data ? (const char *)errs.text.data : "");
        gw_route_table_free(nt);
        gw_auth_free(na);
        gw_config_free(nc);
        gw_buf_free(&errs.text);
        return;
    }
    gw_buf_free(&errs.text);
    gw_http_set_routes(http, nt);
    gw_http_set_auth(http, na);
    gw_metrics_reload(gw_http_metrics(http), 1);
    gw_startup_cert_metrics(nc, gw_http_metrics(http)); /* the files may have been replaced */
    GW_LOGI("main",
            "SIGHUP: reloaded %s (%zu route%s); listener, destinations and limits apply "
            "after a restart",
            file, nt->n, nt->n == 1 ? "" : "s");
    gw_config_free(nc);
}

/* The admin listener's operations (docs/operations.md). */
typedef struct {
    const gw_config_t *cfg;
    gw_pool_t **pools;
    gw_http_t *http;
} admin_ctx_t;

static size_t clear_metadata(const gw_config_t *cfg, gw_pool_t **pools)
{
    size_t n = 0;
    for (size_t i = 0; i < cfg->ndests; i++)
        n += gw_pool_desc_clear(pools[i]);
    return n;
}

static size_t admin_clear(void *ud)
{
    admin_ctx_t *a = ud;
    return clear_metadata(a->cfg, a->pools);
}

static int admin_metrics(void *ud, gw_buf_t *out)
{
    admin_ctx_t *a = ud;
    return gw_http_metrics_text(a->http, out);
}

static void nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

typedef struct {
    const gw_config_t *cfg;
    const gw_route_table_t *routes;
    gw_pool_t **pools;
} verify_arg_t;

/* After start-up, in the background: the routes against the backends' metadata. */
static void *verify_main(void *arg)
{
    verify_arg_t *va = arg;
    gw_verify_result_t res;
    gw_verify_routes(va->cfg, va->routes, va->pools, va->cfg->startup.verify_timeout_ms, &res,
                     NULL);
    if (res.bad)
        GW_LOGE("main",
                "%zu of %zu routes do not match their function's metadata (see above); they "
                "answer 500 config-error until the mapping is fixed and reloaded",
                res.bad, res.checked);
    else
        GW_LOGI("main", "%zu route%s checked against the backends' metadata%s", res.checked,
                res.checked == 1 ? "" : "s",
                res.unchecked ? "; the others are checked on their first call" : "");
    return NULL;
}

/*
 * --check-config: when a destination can be reached, its routes are checked
 * against the metadata too. Returns 0, or 2 with the problems on stderr.
 */
static int check_metadata(gw_config_t *cfg, const gw_route_table_t *routes)
{
    if (cfg->startup.verify_timeout_ms == 0 || routes->n == 0)
        return 0;
    int st = 0;
    gw_log_set_level(GW_LOG_ERROR); /* connect failures are expected here; the summary says so */
    gw_pool_t **pools = calloc(cfg->ndests + 1, sizeof(*pools));
    gw_transport_t *t = gw_transport_create();
    gw_buf_t problems;
    gw_buf_init(&problems, 0);
    for (size_t i = 0; pools && t && i < cfg->ndests; i++)
        pools[i] = gw_pool_create(t, &cfg->dests[i]);
    if (pools == NULL || t == NULL || gw_transport_start(t) != 0) {
        fprintf(stderr, "rfmgw: cannot start the backend connections to check metadata\n");
        st = 2;
    } else {
        gw_verify_result_t res;
        gw_verify_routes(cfg, routes, pools, cfg->startup.verify_timeout_ms, &res, &problems);
        if (res.bad) {
            fprintf(stderr, "rfmgw: routes do not match the functions' metadata:\n%.*s",
                    (int)problems.len, problems.data ? (const char *)problems.data : "");
            st = 2;
        }
        printf("metadata: %zu route%s checked, %zu not (destination not reachable: checked on "
               "the first call)\n",
               res.checked, res.checked == 1 ? "" : "s", res.unchecked);
        for (size_t i = 0; i < cfg->ndests; i++)
            if (pools[i])
                gw_pool_shutdown(pools[i]);
        gw_transport_stop(t);
    }
    for (size_t i = 0; pools && i < cfg->ndests; i++)
        gw_pool_destroy(pools[i]);
    gw_transport_destroy(t);
    free(pools);
    gw_buf_free(&problems);
    return st;
}

static int write_ready_file(const char *path, int port)
{
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (f == NULL)
        return -1;
    fprintf(f, "%d\n", port);
    if (fclose(f) != 0)
        return -1;
    return rename(tmp, path);
}

int main(int argc, char **argv)
{
    const char *config_file = "conf/demo.conf";
    const char *ready_file = NULL;
    const char *log_level = NULL, *log_format = NULL;
    int port_override = -1, check_only = 0, hash_mode = 0;
    uint32_t iterations = GW_PW_DEFAULT_ITERATIONS;
    enum {
        OPT_HASHPW = 200,
        OPT_HASHKEY,
        OPT_ITER,
        OPT_READY = 256,
        OPT_LOG,
        OPT_LOGFMT,
        OPT_CHECK,
        OPT_PIN,
        OPT_CREF,
        OPT_EREF
    };
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"port", required_argument, NULL, 'p'},
        {"ready-file", required_argument, NULL, OPT_READY},
        {"log-level", required_argument, NULL, OPT_LOG},
        {"log-format", required_argument, NULL, OPT_LOGFMT},
        {"check-config", no_argument, NULL, OPT_CHECK},
        {"config-reference", no_argument, NULL, OPT_CREF},
        {"errors-reference", no_argument, NULL, OPT_EREF},
        {"hash-password", no_argument, NULL, OPT_HASHPW},
        {"hash-api-key", no_argument, NULL, OPT_HASHKEY},
        {"pin-sha256", required_argument, NULL, OPT_PIN},
        {"iterations", required_argument, NULL, OPT_ITER},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "c:p:hV", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            config_file = optarg;
            break;
        case 'p': {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || v < 0 || v > 65535) {
                fprintf(stderr, "rfmgw: --port needs a number 0-65535\n");
                return 2;
            }
            port_override = (int)v;
            break;
        }
        case OPT_READY:
            ready_file = optarg;
            break;
        case OPT_LOG:
            log_level = optarg;
            break;
        case OPT_LOGFMT:
            log_format = optarg;
            break;
        case OPT_CHECK:
            check_only = 1;
            break;
        case OPT_CREF:
            gw_config_print_reference(stdout);
            return 0;
        case OPT_EREF:
            print_errors_reference(stdout);
            return 0;
        case OPT_PIN: {
            char pin[64];
            if (gw_tlsid_pin_of_file(optarg, pin, sizeof(pin)) != 0) {
                fprintf(stderr, "rfmgw: %s: no PEM certificate or public key\n", optarg);
                return 2;
            }
            printf("%s\n", pin);
            return 0;
        }
        case OPT_HASHPW:
        case OPT_HASHKEY:
            hash_mode = c;
            break;
        case OPT_ITER: {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || v < 1 || v > (long)GW_PW_MAX_ITERATIONS) {
                fprintf(stderr, "rfmgw: --iterations needs 1..%u\n", GW_PW_MAX_ITERATIONS);
                return 2;
            }
            iterations = (uint32_t)v;
            break;
        }
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            printf("rfmgw %s (wire protocol v1)\n", RFMGW_VERSION);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (hash_mode)
        return gw_hash_stdin(hash_mode == OPT_HASHKEY, iterations, "rfmgw");
    if (optind < argc) {
        fprintf(stderr, "rfmgw: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return 2;
    }
    if (log_level && gw_log_parse_level(log_level) < 0) {
        fprintf(stderr, "rfmgw: --log-level must be error, warn, info or debug\n");
        return 2;
    }
    if (log_format && gw_log_parse_format(log_format) < 0) {
        fprintf(stderr, "rfmgw: --log-format must be text or json\n");
        return 2;
    }

    gw_cfg_errors_t errs = {0};
    gw_buf_init(&errs.text, 0);
    gw_config_t *cfg = NULL;
    gw_route_table_t *routes = NULL;
    gw_auth_t *auth = NULL;
    int ret = gw_config_load(config_file, &cfg, &errs);
    if (ret == 0)
        ret = gw_route_table_load(cfg, &routes, &errs);
    if (ret == 0) {
        gw_log_set_level(gw_log_parse_level(log_level ? log_level : cfg->log.level));
        gw_log_set_format(gw_log_parse_format(log_format ? log_format : cfg->log.format));
        ret = gw_auth_create(cfg, &auth, &errs);
    }
    if (ret != 0) {
        fprintf(stderr, "rfmgw: configuration is not valid:\n%.*s", (int)errs.text.len,
                errs.text.data ? (const char *)errs.text.data : "");
        gw_buf_free(&errs.text);
        gw_auth_free(auth);
        gw_route_table_free(routes);
        gw_config_free(cfg);
        return 2;
    }
    gw_buf_free(&errs.text);
    if (check_only) {
        int st = check_metadata(cfg, routes);
        if (st == 0)
            printf("%s: OK (%zu destination%s, %zu route%s)\n", config_file, cfg->ndests,
                   cfg->ndests == 1 ? "" : "s", routes->n, routes->n == 1 ? "" : "s");
        gw_auth_free(auth);
        gw_route_table_free(routes);
        gw_config_free(cfg);
        return st;
    }
    if (port_override >= 0)
        cfg->listen.port = port_override;

    if (gw_memory_retain((size_t)cfg->limits.retain_memory_mb << 20) != 0)
        GW_LOGW("main", "limits.retain_memory_mb: the C library refused it; its defaults apply");

    /* A shell may start us with SIGINT ignored (background job); we want it delivered. */
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGUSR1);
    sigaddset(&sigs, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);
    /* Memory holds the communication user's password and the callers' secrets: no core files. */
    struct rlimit nocore = {0, 0};
    if (setrlimit(RLIMIT_CORE, &nocore) != 0)
        GW_LOGW("main", "cannot turn off core dumps: %s", strerror(errno));

    int status = 1, port = 0, verifying = 0;
    gw_admin_t *admin = NULL;
    pthread_t verifier;
    verify_arg_t va;
    gw_http_t *http = NULL;
    gw_pool_t **pools = calloc(cfg->ndests + 1, sizeof(*pools));
    gw_transport_t *t = gw_transport_create();
    if (t == NULL || pools == NULL)
        goto cleanup;
    for (size_t i = 0; i < cfg->ndests; i++)
        if ((pools[i] = gw_pool_create(t, &cfg->dests[i])) == NULL)
            goto cleanup;
    if (gw_transport_start(t) != 0)
        goto cleanup;
    gw_http_deps_t deps = {cfg, routes, pools, auth, t};
    http = gw_http_start(&deps, &port);
    if (http == NULL)
        goto cleanup;
    if (cfg->startup.summary) {
        gw_startup_summary(cfg, routes, port, gw_http_metrics(http));
    } else {
        GW_LOGI("main", "rfmgw %s listening on http%s://%s:%d (%zu destination%s, %zu route%s)",
                RFMGW_VERSION, cfg->listen.tls_cert ? "s" : "", cfg->listen.address, port,
                cfg->ndests, cfg->ndests == 1 ? "" : "s", routes->n, routes->n == 1 ? "" : "s");
        for (size_t i = 0; i < cfg->ndests; i++)
            GW_LOGI("main", "destination %s: wss://%s:%d%s%s%s (%s, client %s)", cfg->dests[i].name,
                    cfg->dests[i].host, cfg->dests[i].port, cfg->dests[i].path,
                    cfg->dests[i].address ? " via " : "",
                    cfg->dests[i].address ? cfg->dests[i].address : "", cfg->dests[i].auth.method,
                    cfg->dests[i].client);
    }
    gw_startup_cert_metrics(cfg, gw_http_metrics(http));
    admin_ctx_t actx = {cfg, pools, http};
    if (cfg->admin.enabled) {
        gw_admin_ops_t ops = {admin_clear, cfg->admin.metrics ? admin_metrics : NULL, &actx};
        int aport = 0;
        if ((admin = gw_admin_start(cfg->admin.address, cfg->admin.port, &ops, &aport)) == NULL)
            goto cleanup;
        GW_LOGI("main", "admin listener on http://%s%s%s:%d (POST /admin/metadata/clear%s)",
                strchr(cfg->admin.address, ':') ? "[" : "", cfg->admin.address,
                strchr(cfg->admin.address, ':') ? "]" : "", aport,
                cfg->admin.metrics ? ", GET /metrics" : "");
    }
    if (cfg->listen.sched_slice_us > 0) { /* every thread exists now */
        int n = gw_sched_slice_all((unsigned)cfg->listen.sched_slice_us);
        if (n < 0)
            GW_LOGW("main",
                    "listen.sched_slice_us: the kernel refused a custom slice (%s; Linux 6.12 or "
                    "later needed); running with its default",
                    strerror(errno));
        else
            GW_LOGI("main", "scheduler slice %d µs on %d threads", cfg->listen.sched_slice_us, n);
    }
    va = (verify_arg_t){cfg, routes, pools};
    verifying = cfg->startup.verify_timeout_ms > 0 && routes->n > 0 &&
                pthread_create(&verifier, NULL, verify_main, &va) == 0;
    if (ready_file && write_ready_file(ready_file, port) != 0) {
        GW_LOGE("main", "cannot write --ready-file %s: %s", ready_file, strerror(errno));
        goto cleanup;
    }

    int sig = 0;
    while (sigwait(&sigs, &sig) == 0 && (sig == SIGUSR1 || sig == SIGHUP)) {
        if (sig == SIGHUP) {
            reload(config_file, cfg, pools, http);
            continue;
        }
        size_t n = clear_metadata(cfg, pools);
        GW_LOGI("main", "SIGUSR1: metadata cache cleared (%zu function description%s dropped)", n,
                n == 1 ? "" : "s");
    }
    GW_LOGI("main", "%s received, shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
    status = 0;

cleanup:
    gw_admin_stop(admin);
    if (http) {
        gw_http_quiesce(http);
        /* Let requests in flight finish, up to listen.drain_timeout_ms. */
        int64_t until = gw_now_ms() + cfg->listen.drain_timeout_ms;
        if (gw_http_active(http) > 0)
            GW_LOGI("main", "waiting up to %d ms for %d request%s in flight",
                    cfg->listen.drain_timeout_ms, gw_http_active(http),
                    gw_http_active(http) == 1 ? "" : "s");
        while (gw_http_active(http) > 0 && gw_now_ms() < until)
            nap_ms(10);
        gw_http_begin_stop(http); /* later requests: 503 at once, nothing new suspends */
    }
    for (size_t i = 0; pools && t && i < cfg->ndests; i++)
        if (pools[i])
            gw_pool_shutdown(pools[i]);
    if (verifying)
        pthread_join(verifier, NULL); /* its DESCRIBEs were answered by the shutdown */
    if (http) {
        /*
         * The pools answered every job still open; their connections resume. libmicrohttpd
         * must have taken each resumed connection back before it stops (it aborts on a
         * suspended one), so wait for the suspended count and then for the requests to end.
         */
        int64_t until = gw_now_ms() + 2000;
        while ((gw_http_waiting(http) > 0 || gw_http_active(http) > 0) && gw_now_ms() < until)
            nap_ms(10);
        nap_ms(20);
        gw_http_stop(http);
    }
    if (t)
        gw_transport_stop(t);
    for (size_t i = 0; pools && i < cfg->ndests; i++)
        gw_pool_destroy(pools[i]);
    gw_transport_destroy(t);
    free(pools);
    gw_route_table_free(routes);
    gw_auth_free(auth);
    gw_config_free(cfg);
    return status;
}
