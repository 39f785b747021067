/*
 * codec_bench: the cost of the gateway's value path for a large table,
 * measured on this machine, without network.
 *
 * For a table of N RFCTEST rows (STFC_STRUCTURE's RFCTABLE) it times, per
 * round: JSON text → jdoc → RFC values (gw_codec_params_read) → wire
 * message (gw_wire_encode) → decode (gw_wire_decode) → JSON text
 * (gw_codec_result_write). Prints one JSON line per stage with the median
 * of the rounds: rows/s and MB/s of JSON; json_in also split into its two
 * parts, jdoc's parse and the conversion into RFC values.
 *
 * Usage: codec_bench [rows (10000)] [rounds (7)]   (env RETAIN_MB: limits.retain_memory_mb, 64)
 */
#include "base/base.h"
#include "codec/codec.h"
#include "error/error.h"
#include "wire/wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define S(x) GW_SLICE_LIT(x)

static const gw_rfc_typedesc_t t_float = {.type = GW_RFC_FLOAT};
static const gw_rfc_typedesc_t t_c1 = {.type = GW_RFC_CHAR, .length = 1};
static const gw_rfc_typedesc_t t_i2 = {.type = GW_RFC_INT2};
static const gw_rfc_typedesc_t t_i1 = {.type = GW_RFC_INT1};
static const gw_rfc_typedesc_t t_c4 = {.type = GW_RFC_CHAR, .length = 4};
static const gw_rfc_typedesc_t t_i4 = {.type = GW_RFC_INT4};
static const gw_rfc_typedesc_t t_x3 = {.type = GW_RFC_RAW, .length = 3};
static const gw_rfc_typedesc_t t_c2 = {.type = GW_RFC_CHAR, .length = 2};
static const gw_rfc_typedesc_t t_time = {.type = GW_RFC_TIME};
static const gw_rfc_typedesc_t t_date = {.type = GW_RFC_DATE};
static const gw_rfc_typedesc_t t_c50 = {.type = GW_RFC_CHAR, .length = 50};
static const gw_rfc_fielddesc_t rfctest_fields[] = {
    {S("RFCFLOAT"), &t_float}, {S("RFCCHAR1"), &t_c1},  {S("RFCINT2"), &t_i2},
    {S("RFCINT1"), &t_i1},     {S("RFCCHAR4"), &t_c4},  {S("RFCINT4"), &t_i4},
    {S("RFCHEX3"), &t_x3},     {S("RFCCHAR2"), &t_c2},  {S("RFCTIME"), &t_time},
    {S("RFCDATE"), &t_date},   {S("RFCDATA1"), &t_c50}, {S("RFCDATA2"), &t_c50},
};
static const gw_rfc_typedesc_t rfctest = {
    .type = GW_RFC_STRUCTURE, .name = S("RFCTEST"), .nfields = 12, .fields = rfctest_fields};
static const gw_rfc_typedesc_t rfctest_tab = {.type = GW_RFC_TABLE, .line = &rfctest};
static const gw_rfc_param_t params[] = {
    {.name = S("RFCTABLE"), .direction = GW_RFC_TABLES, .optional = 1, .type = &rfctest_tab},
};
static const gw_rfc_func_t func = {.name = S("STFC_STRUCTURE"), .nparams = 1, .params = params};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static char *make_json(int rows, size_t *len)
{
    gw_buf_t b;
    gw_buf_init(&b, 0);
    gw_buf_printf(&b, "{\"RFCTABLE\":[");
    for (int i = 0; i < rows; i++)
        gw_buf_printf(
            &b,
            "%s{\"RFCFLOAT\":%d.25,\"RFCCHAR1\":\"X\",\"RFCINT2\":%d,\"RFCINT1\":%d,"
            "\"RFCCHAR4\":\"ABCD\",\"RFCINT4\":%d,\"RFCHEX3\":\"AQID\",\"RFCCHAR2\":\"YZ\","
            "\"RFCTIME\":\"12:34:56\",\"RFCDATE\":\"2026-11-23\","
            "\"RFCDATA1\":\"row %d of the benchmark table\",\"RFCDATA2\":\"ÄÖÜ\"}",
            i ? "," : "", i, i % 30000, i % 256, i * 7, i);
    gw_buf_printf(&b, "]}");
    *len = b.len;
    return (char *)b.data;
}

int main(int argc, char **argv)
{
    int rows = argc > 1 ? atoi(argv[1]) : 10000;
    int rounds = argc > 2 ? atoi(argv[2]) : 7;
    if (rows <= 0 || rounds <= 0 || rounds > 100) {
        fprintf(stderr, "usage: codec_bench [rows] [rounds]\n");
        return 2;
    }
    /* as rfmgw does with its default limits.retain_memory_mb (RETAIN_MB=0: the C library's own) */
    const char *retain = getenv("RETAIN_MB");
    gw_memory_retain((size_t)(retain ? atoi(retain) : 64) << 20);
    size_t jlen;
    char *json = make_json(rows, &jlen);
    gw_codec_opts_t o = gw_codec_opts_default();
    o.max_rows = (uint32_t)rows;
    double t[6][100];
    size_t out_len = 0, wire_len = 0;
    for (int r = 0; r < rounds; r++) {
        gw_arena_t a;
        gw_arena_init(&a, 0);
        gw_codec_errors_t errs;
        gw_codec_errors_init(&a, &errs, 10);
        double t0 = now_s();
        gw_jdoc_error_t jerr = {0};
        const gw_jdoc_t *body;
        gw_rfc_field_t *p = NULL;
        uint32_t n = 0;
        if (gw_jdoc_parse(&a, json, jlen, 32, &body, &jerr) != 0) {
            fprintf(stderr, "parse failed: %s\n", jerr.text);
            return 1;
        }
        double tp = now_s();
        if (gw_codec_params_read(&a, &func, body, &o, &p, &n, &errs) != 0) {
            fprintf(stderr, "conversion failed: %s\n", errs.n ? errs.items[0].reason : "?");
            return 1;
        }
        double t1 = now_s();
        gw_wire_msg_t m = {.type = GW_WIRE_RESULT, .seq = 1};
        m.u.result.nparams = n;
        m.u.result.params = p;
        gw_buf_t wire;
        gw_buf_init(&wire, 0);
        if (gw_wire_encode(&wire, &m) != 0)
            return 1;
        double t2 = now_s();
        gw_wire_msg_t back;
        gw_wire_limits_t lim = gw_wire_limits_default();
        if (gw_wire_decode(&a, wire.data, wire.len, &lim, &back, NULL) != 0)
            return 1;
        double t3 = now_s();
        gw_buf_t out;
        gw_buf_init(&out, 0);
        if (gw_codec_result_write(&out, &func, back.u.result.params, back.u.result.nparams, &o))
            return 1;
        double t4 = now_s();
        t[0][r] = t1 - t0;
        t[1][r] = t2 - t1;
        t[2][r] = t3 - t2;
        t[3][r] = t4 - t3;
        t[4][r] = tp - t0;
        t[5][r] = t1 - tp;
        out_len = out.len;
        wire_len = wire.len;
        gw_buf_free(&out);
        gw_buf_free(&wire);
        gw_arena_free(&a);
    }
    static const char *const stage[] = {"json_in",  "wire_encode",   "wire_decode",
                                        "json_out", "json_in.parse", "json_in.convert"};
    size_t bytes[] = {jlen, wire_len, wire_len, out_len, jlen, jlen};
    double total = 0;
    for (int k = 0; k < 6; k++) {
        qsort(t[k], (size_t)rounds, sizeof(double), cmp_double);
        double med = t[k][rounds / 2];
        total += k < 4 ? med : 0; /* the parts of json_in are in it already */
        printf("{\"stage\":\"%s\",\"rows\":%d,\"median_ms\":%.3f,\"rows_per_s\":%.0f,"
               "\"mb_per_s\":%.1f,\"bytes\":%zu}\n",
               stage[k], rows, med * 1e3, rows / med, (double)bytes[k] / med / 1e6, bytes[k]);
    }
    printf("{\"stage\":\"total\",\"rows\":%d,\"median_ms\":%.3f,\"rows_per_s\":%.0f,"
           "\"json_mb_per_s\":%.1f}\n",
           rows, total * 1e3, rows / total, (double)(jlen + out_len) / total / 1e6);
    free(json);
    return 0;
}
