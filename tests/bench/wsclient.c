/*
 * rfmgw_wsclient: a direct WebSocket RFC load client for abapsim (or any
 * server of protocol rfmgw.rfc.v1), without the gateway in between.
 *
 * It opens N connections through the gateway's own transport module (lws
 * client, TLS, one service thread), logs on by password, and on each
 * connection calls one function in a closed loop (next CALL when the
 * previous reply is in) for D seconds or M calls. The call's values are
 * built once; the CALL message is encoded with gateway/wire for every call
 * (as a real client would), and the reply is decoded. With --rows R it
 * calls STFC_STRUCTURE with IMPORTSTRUCT and an R-row RFCTABLE (RFCTEST
 * rows, the same values as the JSON of tests/bench/payload.lua), to compare
 * the gateway's cost per row with a direct client's. At the end it
 * prints one JSON line: calls, calls/s, latency percentiles in µs, and
 * this process's CPU time per call (getrusage), so the client's own cost
 * can be told apart from the server's.
 */
#include "base/base.h"
#include "error/error.h"
#include "log/log.h"
#include "transport/transport.h"
#include "wire/wire.h"

#include <openssl/evp.h>

#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

typedef struct {
    gw_tconn_t *c;
    int open;
    int done;
    uint32_t seq;
    int64_t t0_us;
    uint64_t calls;
    uint64_t *lat; /* µs */
    size_t nlat, caplat;
} conn_t;

static struct {
    gw_transport_t *t;
    gw_endpoint_t *ep;
    conn_t *conns;
    int n;
    double seconds;
    uint64_t max_calls; /* per connection; 0: until the time is up */
    gw_buf_t call;      /* the encoded CALL */
    gw_wire_msg_t msg;  /* the CALL, encoded again for every call */
    pthread_mutex_t mu;
    pthread_cond_t cond;
    int finished, opened;
    int stopping;
    uint64_t errors;
    char fatal[300];
    int64_t start_us, end_us;
    struct rusage ru0, ru1;
    gw_timer_t timer;
} B;

/* STFC_STRUCTURE's RFCTEST line (as in codec_bench.c and abapsim's rfm_stfc.c) */
static int make_rfctest(gw_rfc_field_t *f, int i, char *text, size_t textsz)
{
    static const uint8_t hex3[3] = {1, 2, 3};
    int n = snprintf(text, textsz, "row %d of the benchmark table", i);
    gw_rfc_field_t v[12] = {
        {gw_slice("RFCFLOAT"), {.type = GW_RFC_FLOAT, .u.f = i + 0.25}},
        {gw_slice("RFCCHAR1"), {.type = GW_RFC_CHAR, .u.s = gw_slice("X")}},
        {gw_slice("RFCINT2"), {.type = GW_RFC_INT2, .u.i = i % 30000}},
        {gw_slice("RFCINT1"), {.type = GW_RFC_INT1, .u.i = i % 256}},
        {gw_slice("RFCCHAR4"), {.type = GW_RFC_CHAR, .u.s = gw_slice("ABCD")}},
        {gw_slice("RFCINT4"), {.type = GW_RFC_INT4, .u.i = (int64_t)i * 7}},
        {gw_slice("RFCHEX3"), {.type = GW_RFC_RAW, .u.s = {(const char *)hex3, 3}}},
        {gw_slice("RFCCHAR2"), {.type = GW_RFC_CHAR, .u.s = gw_slice("YZ")}},
        {gw_slice("RFCTIME"), {.type = GW_RFC_TIME, .u.s = gw_slice("123456")}},
        {gw_slice("RFCDATE"), {.type = GW_RFC_DATE, .u.s = gw_slice("20261123")}},
        {gw_slice("RFCDATA1"), {.type = GW_RFC_CHAR, .u.s = {text, (size_t)n}}},
        {gw_slice("RFCDATA2"), {.type = GW_RFC_CHAR, .u.s = gw_slice("\xc3\x84\xc3\x96\xc3\x9c")}},
    };
    memcpy(f, v, sizeof(v));
    return 0;
}

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void finish_one(conn_t *k)
{
    if (k->done)
        return;
    k->done = 1;
    pthread_mutex_lock(&B.mu);
    if (++B.finished == B.n) {
        B.end_us = now_us();
        getrusage(RUSAGE_SELF, &B.ru1);
        pthread_cond_signal(&B.cond);
    }
    pthread_mutex_unlock(&B.mu);
}

__attribute__((format(printf, 2, 3))) static void fatal(conn_t *k, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pthread_mutex_lock(&B.mu);
    if (B.fatal[0] == '\0')
        vsnprintf(B.fatal, sizeof(B.fatal), fmt, ap);
    va_end(ap);
    pthread_mutex_unlock(&B.mu);
    finish_one(k);
}

static void send_call(conn_t *k)
{
    uint32_t seq = ++k->seq;
    k->t0_us = now_us();
    B.call.len = 0;
    B.msg.seq = seq;
    if (gw_wire_encode(&B.call, &B.msg) != 0) {
        fatal(k, "%s", "cannot encode the CALL");
        return;
    }
    if (gw_transport_send(k->c, B.call.data, B.call.len) != 0)
        fatal(k, "%s", "send failed");
}

static void start_all(void)
{
    B.start_us = now_us();
    getrusage(RUSAGE_SELF, &B.ru0);
    for (int i = 0; i < B.n; i++)
        send_call(&B.conns[i]);
}

static void on_timer(gw_timer_t *tm)
{
    (void)tm;
    B.stopping = 1; /* each connection stops after its reply in flight */
}

static void on_open(gw_tconn_t *c, void *ud)
{
    (void)c;
    (void)ud;
}

static void on_message(gw_tconn_t *c, void *ud, const uint8_t *p, size_t len)
{
    conn_t *k = ud;
    gw_arena_t arena;
    gw_wire_msg_t m;
    const char *why = NULL;
    (void)c;

    gw_arena_init(&arena, 0);
    if (gw_wire_decode(&arena, p, len, NULL, &m, &why) != 0) {
        fatal(k, "undecodable message: %s", why ? why : "?");
        goto cleanup;
    }
    if (!k->open) {
        if (m.type != GW_WIRE_OPEN) {
            char msg[200];
            snprintf(msg, sizeof(msg), "%.*s",
                     m.type == GW_WIRE_ERROR ? (int)m.u.error.message.len : 0,
                     m.type == GW_WIRE_ERROR ? m.u.error.message.ptr : "");
            fatal(k, "logon failed: %s", msg);
            goto cleanup;
        }
        k->open = 1;
        pthread_mutex_lock(&B.mu);
        int all = ++B.opened == B.n;
        pthread_mutex_unlock(&B.mu);
        if (all) { /* measure from when every connection is up */
            if (B.seconds > 0)
                gw_timer_start(B.t, &B.timer, (int64_t)(B.seconds * 1000), on_timer);
            start_all();
        }
        goto cleanup;
    }
    if (k->done)
        goto cleanup;
    if (m.seq != k->seq) {
        fatal(k, "%s", "reply out of sequence");
        goto cleanup;
    }
    if (k->nlat == k->caplat) {
        size_t cap = k->caplat ? 2 * k->caplat : 4096;
        uint64_t *n = realloc(k->lat, cap * sizeof(*n));
        if (n == NULL) {
            fatal(k, "%s", "out of memory");
            goto cleanup;
        }
        k->lat = n;
        k->caplat = cap;
    }
    k->lat[k->nlat++] = (uint64_t)(now_us() - k->t0_us);
    k->calls++;
    if (m.type == GW_WIRE_ERROR) {
        pthread_mutex_lock(&B.mu);
        if (B.errors++ == 0)
            fprintf(stderr, "wsclient: first ERROR: %.*s\n", (int)m.u.error.message.len,
                    m.u.error.message.ptr);
        pthread_mutex_unlock(&B.mu);
    }
    if (B.stopping || (B.max_calls && k->calls >= B.max_calls))
        finish_one(k);
    else
        send_call(k);
cleanup:
    gw_arena_free(&arena);
}

static void on_close(gw_tconn_t *c, void *ud, int err, const char *reason)
{
    conn_t *k = ud;
    (void)c;
    (void)err;
    k->c = NULL;
    if (!k->done)
        fatal(k, "connection closed: %s", reason ? reason : "?");
}

static const gw_tconn_cbs_t cbs = {on_open, on_message, on_close};

static void connect_task(gw_task_t *task)
{
    (void)task;
    for (int i = 0; i < B.n; i++) {
        B.conns[i].c = gw_transport_connect(B.ep, &cbs, &B.conns[i]);
        if (B.conns[i].c == NULL)
            fatal(&B.conns[i], "%s", "out of memory");
    }
}

static void close_task(gw_task_t *task)
{
    (void)task;
    for (int i = 0; i < B.n; i++)
        if (B.conns[i].c) {
            gw_transport_close(B.conns[i].c, 0, "done");
            B.conns[i].c = NULL;
        }
    gw_timer_stop(&B.timer);
    pthread_mutex_lock(&B.mu);
    B.finished = -1; /* closed */
    pthread_cond_signal(&B.cond);
    pthread_mutex_unlock(&B.mu);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static char *read_secret(const char *path)
{
    FILE *f = fopen(path, "r");
    char buf[512];
    if (f == NULL || fgets(buf, sizeof(buf), f) == NULL) {
        if (f)
            fclose(f);
        return NULL;
    }
    fclose(f);
    buf[strcspn(buf, "\r\n")] = '\0';
    return strdup(buf);
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: rfmgw_wsclient --port N --ca FILE --user U --password-file F [options]\n"
            "  --host NAME        Host header / TLS name (default my100000-api.abapsim.test)\n"
            "  --address IP       TCP address (default 127.0.0.1)\n"
            "  --port N           server port\n"
            "  --path P           upgrade path (default " GW_WIRE_DEFAULT_PATH ")\n"
            "  --ca FILE          CA certificate(s) of the server\n"
            "  --user U           user name (technical, or alias with --alias)\n"
            "  --password-file F  file whose first line is the password\n"
            "  --alias            log on with the alias user name\n"
            "  --connections N    parallel connections (default 1)\n"
            "  --seconds D        run for D seconds (default 5)\n"
            "  --calls M          stop each connection after M calls instead\n"
            "  --function NAME    function to call (default STFC_CONNECTION)\n"
            "  --text T           REQUTEXT for STFC_CONNECTION (default \"hello\")\n"
            "  --rows R           call STFC_STRUCTURE with IMPORTSTRUCT and an R-row RFCTABLE\n"
            "  --reset-first      set RESET_FIRST on every CALL (as the gateway does)\n"
            "Prints one JSON line: calls, calls_per_s, p50_us, p99_us, max_us, "
            "cpu_us_per_call.\n");
}

int main(int argc, char **argv)
{
    enum {
        O_HOST = 256,
        O_ADDR,
        O_PORT,
        O_PATH,
        O_CA,
        O_USER,
        O_PWF,
        O_ALIAS,
        O_CONN,
        O_SEC,
        O_CALLS,
        O_FUNC,
        O_TEXT,
        O_ROWS,
        O_RESET
    };
    static const struct option longopts[] = {
        {"host", required_argument, NULL, O_HOST},
        {"address", required_argument, NULL, O_ADDR},
        {"port", required_argument, NULL, O_PORT},
        {"path", required_argument, NULL, O_PATH},
        {"ca", required_argument, NULL, O_CA},
        {"user", required_argument, NULL, O_USER},
        {"password-file", required_argument, NULL, O_PWF},
        {"alias", no_argument, NULL, O_ALIAS},
        {"connections", required_argument, NULL, O_CONN},
        {"seconds", required_argument, NULL, O_SEC},
        {"calls", required_argument, NULL, O_CALLS},
        {"function", required_argument, NULL, O_FUNC},
        {"text", required_argument, NULL, O_TEXT},
        {"rows", required_argument, NULL, O_ROWS},
        {"reset-first", no_argument, NULL, O_RESET},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *host = "my100000-api.abapsim.test", *address = "127.0.0.1",
               *path = GW_WIRE_DEFAULT_PATH, *ca = NULL, *user = NULL, *pwfile = NULL,
               *function = "STFC_CONNECTION", *text = "hello";
    int port = 0, alias = 0, c, rc = 1, rows = -1, reset_first = 0;
    char *password = NULL, *auth = NULL;

    B.n = 1;
    B.seconds = 5;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case O_HOST:
            host = optarg;
            break;
        case O_ADDR:
            address = optarg;
            break;
        case O_PORT:
            port = atoi(optarg);
            break;
        case O_PATH:
            path = optarg;
            break;
        case O_CA:
            ca = optarg;
            break;
        case O_USER:
            user = optarg;
            break;
        case O_PWF:
            pwfile = optarg;
            break;
        case O_ALIAS:
            alias = 1;
            break;
        case O_CONN:
            B.n = atoi(optarg);
            break;
        case O_SEC:
            B.seconds = atof(optarg);
            break;
        case O_CALLS:
            B.max_calls = strtoull(optarg, NULL, 10);
            B.seconds = 0;
            break;
        case O_FUNC:
            function = optarg;
            break;
        case O_TEXT:
            text = optarg;
            break;
        case O_ROWS:
            rows = atoi(optarg);
            function = "STFC_STRUCTURE";
            break;
        case O_RESET:
            reset_first = 1;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (port <= 0 || port > 65535 || !ca || !user || !pwfile || B.n < 1 || B.n > 10000 ||
        (B.seconds <= 0 && B.max_calls == 0) || (rows != -1 && (rows < 0 || rows > 1000000))) {
        usage(stderr);
        return 2;
    }
    if ((password = read_secret(pwfile)) == NULL) {
        fprintf(stderr, "wsclient: cannot read %s\n", pwfile);
        return 2;
    }
    gw_log_set_program("wsclient");
    gw_log_set_level(GW_LOG_WARN);
    signal(SIGPIPE, SIG_IGN);

    /* Authorization: Basic base64(user:password) */
    size_t rawlen = strlen(user) + 1 + strlen(password);
    char *raw = malloc(rawlen + 1);
    auth = malloc(6 + 4 * (rawlen / 3 + 1) + 1);
    if (!raw || !auth)
        return 1;
    snprintf(raw, rawlen + 1, "%s:%s", user, password);
    memcpy(auth, "Basic ", 6);
    EVP_EncodeBlock((unsigned char *)auth + 6, (const unsigned char *)raw, (int)rawlen);
    free(raw);
    gw_header_t hdrs[2] = {{"authorization:", auth}, {GW_WIRE_HDR_ALIAS ":", "1"}};

    /* the CALL's values, built once; encoded for every call (send_call) */
    gw_rfc_field_t param[2] = {
        {gw_slice("REQUTEXT"), {.type = GW_RFC_CHAR, .u.s = gw_slice(text)}}};
    gw_rfc_field_t *cells = NULL;
    gw_rfc_value_t *trows = NULL;
    char *texts = NULL;
    gw_wire_msg_t *m = &B.msg;
    memset(m, 0, sizeof(*m));
    m->type = GW_WIRE_CALL;
    m->flags = reset_first ? GW_WIRE_FLAG_RESET_FIRST : 0;
    m->u.call.function = gw_slice(function);
    m->u.call.nwant = GW_WIRE_WANT_ALL;
    if (rows >= 0) { /* STFC_STRUCTURE: IMPORTSTRUCT (row 0's values) + RFCTABLE */
        size_t n = (size_t)rows + 1;
        cells = calloc(n * 12, sizeof(*cells));
        trows = calloc(n, sizeof(*trows));
        texts = calloc(n, 48);
        if (!cells || !trows || !texts)
            return 1;
        for (size_t i = 0; i < n; i++) {
            make_rfctest(cells + 12 * i, (int)(i ? i - 1 : 0), texts + 48 * i, 48);
            trows[i] = (gw_rfc_value_t){.type = GW_RFC_STRUCTURE, .u.st = {12, cells + 12 * i}};
        }
        param[0] = (gw_rfc_field_t){gw_slice("IMPORTSTRUCT"), trows[0]};
        param[1] = (gw_rfc_field_t){gw_slice("RFCTABLE"),
                                    {.type = GW_RFC_TABLE, .u.tab = {(uint32_t)rows, trows + 1}}};
        m->u.call.nparams = 2;
        m->u.call.params = param;
    } else if (strcmp(function, "STFC_CONNECTION") == 0) {
        m->u.call.nparams = 1;
        m->u.call.params = param;
    }
    gw_buf_init(&B.call, 0);
    if (gw_wire_encode(&B.call, m) != 0) {
        fprintf(stderr, "wsclient: cannot encode the CALL\n");
        return 1;
    }

    pthread_mutex_init(&B.mu, NULL);
    pthread_cond_init(&B.cond, NULL);
    B.conns = calloc((size_t)B.n, sizeof(conn_t));
    B.t = gw_transport_create();
    gw_endpoint_conf_t ec = {
        .name = "wsclient",
        .host = host,
        .port = port,
        .address = address,
        .path = path,
        .subprotocol = GW_WIRE_SUBPROTOCOL,
        .ca_file = ca,
        .verify = 1,
        .nheaders = alias ? 2 : 1,
        .headers = hdrs,
        .max_message = 16u << 20,
    };
    if (B.conns == NULL || B.t == NULL || (B.ep = gw_transport_endpoint_add(B.t, &ec)) == NULL ||
        gw_transport_start(B.t) != 0) {
        fprintf(stderr, "wsclient: cannot start the transport\n");
        return 1;
    }
    gw_task_t task = {NULL, connect_task};
    gw_transport_post(B.t, &task);

    /* wait for the end, bounded: setup + run time + 30 s */
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += (time_t)B.seconds + 30 + (B.max_calls ? 300 : 0);
    pthread_mutex_lock(&B.mu);
    while (B.finished < B.n)
        if (pthread_cond_timedwait(&B.cond, &B.mu, &dl) != 0)
            break;
    int all_done = B.finished == B.n;
    pthread_mutex_unlock(&B.mu);

    gw_task_t ctask = {NULL, close_task};
    gw_transport_post(B.t, &ctask);
    pthread_mutex_lock(&B.mu);
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += 5;
    while (B.finished != -1)
        if (pthread_cond_timedwait(&B.cond, &B.mu, &dl) != 0)
            break;
    pthread_mutex_unlock(&B.mu);
    gw_transport_stop(B.t);
    gw_transport_destroy(B.t);

    if (B.fatal[0]) {
        fprintf(stderr, "wsclient: %s\n", B.fatal);
    } else if (!all_done) {
        fprintf(stderr, "wsclient: timed out\n");
    } else {
        size_t total = 0;
        for (int i = 0; i < B.n; i++)
            total += B.conns[i].nlat;
        uint64_t *all = malloc((total ? total : 1) * sizeof(*all));
        size_t k = 0;
        for (int i = 0; all && i < B.n; i++) {
            memcpy(all + k, B.conns[i].lat, B.conns[i].nlat * sizeof(*all));
            k += B.conns[i].nlat;
        }
        if (all) {
            qsort(all, total, sizeof(*all), cmp_u64);
            double el = (double)(B.end_us - B.start_us) / 1e6;
            double cpu = (double)(B.ru1.ru_utime.tv_sec - B.ru0.ru_utime.tv_sec +
                                  B.ru1.ru_stime.tv_sec - B.ru0.ru_stime.tv_sec) *
                             1e6 +
                         (double)(B.ru1.ru_utime.tv_usec - B.ru0.ru_utime.tv_usec +
                                  B.ru1.ru_stime.tv_usec - B.ru0.ru_stime.tv_usec);
            printf("{\"function\":\"%s\",\"connections\":%d,\"seconds\":%.3f,\"calls\":%zu,"
                   "\"errors\":%llu,\"calls_per_s\":%.1f,\"p50_us\":%llu,\"p99_us\":%llu,"
                   "\"max_us\":%llu,\"cpu_us_per_call\":%.1f}\n",
                   function, B.n, el, total, (unsigned long long)B.errors,
                   el > 0 ? (double)total / el : 0.0,
                   (unsigned long long)(total ? all[total / 2] : 0),
                   (unsigned long long)(total ? all[(size_t)((double)total * 0.99)] : 0),
                   (unsigned long long)(total ? all[total - 1] : 0),
                   total ? cpu / (double)total : 0.0);
            rc = B.errors ? 1 : 0;
            free(all);
        }
    }
    for (int i = 0; i < B.n; i++)
        free(B.conns[i].lat);
    free(B.conns);
    free(cells);
    free(trows);
    free(texts);
    gw_buf_free(&B.call);
    free(auth);
    free(password);
    return rc;
}
