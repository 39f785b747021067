/*
 * rfm_internal: what the simulator's RFM files (sim_rfm.c, rfm_*.c) share
 * and nobody else needs: compact type-description macros, helpers to build
 * and read RFC values, the flight data model, and the RFM definitions the
 * registry in sim_rfm.c lists.
 */
#ifndef GW_SIM_RFM_INTERNAL_H
#define GW_SIM_RFM_INTERNAL_H

#include "sim/sim.h"

#include <stddef.h>
#include <stdint.h>

#define S(x) GW_SLICE_LIT(x)

/* ---- type descriptions --------------------------------------------------
 * File-scope compound literals have static storage, so a description is an
 * expression that can be used in a static initializer: the tables read like
 * the DDIC they copy. */

#define SIM_T_SCALAR(t, len, dec)                                                                  \
    (&(const gw_rfc_typedesc_t){.type = (t), .decimals = (dec), .length = (len), .name = {"", 0}})
#define T_CHAR(n)   SIM_T_SCALAR(GW_RFC_CHAR, (n), 0)
#define T_NUM(n)    SIM_T_SCALAR(GW_RFC_NUM, (n), 0)
#define T_DATE      SIM_T_SCALAR(GW_RFC_DATE, 8, 0)
#define T_TIME      SIM_T_SCALAR(GW_RFC_TIME, 6, 0)
#define T_BCD(n, d) SIM_T_SCALAR(GW_RFC_BCD, (n), (d))
#define T_INT1      SIM_T_SCALAR(GW_RFC_INT1, 1, 0)
#define T_INT2      SIM_T_SCALAR(GW_RFC_INT2, 2, 0)
#define T_INT4      SIM_T_SCALAR(GW_RFC_INT4, 4, 0)
#define T_INT8      SIM_T_SCALAR(GW_RFC_INT8, 8, 0)
#define T_FLOAT     SIM_T_SCALAR(GW_RFC_FLOAT, 8, 0)
#define T_DECF16    SIM_T_SCALAR(GW_RFC_DECF16, 8, 0)
#define T_DECF34    SIM_T_SCALAR(GW_RFC_DECF34, 16, 0)
#define T_STRING    SIM_T_SCALAR(GW_RFC_STRING, 0, 0)
#define T_XSTRING   SIM_T_SCALAR(GW_RFC_XSTRING, 0, 0)
#define T_RAW(n)    SIM_T_SCALAR(GW_RFC_RAW, (n), 0)

/** A structure type named `nm` whose fields are the array `fields`. */
#define SIM_STRUCT(nm, fds)                                                                        \
    {                                                                                              \
        .type = GW_RFC_STRUCTURE, .length = 0, .name = S(nm), .nfields = GW_ARRAY_SIZE(fds),       \
        .fields = (fds)                                                                            \
    }
/** A table type named `nm` with line type `line` (a pointer). */
#define SIM_TABLE(nm, ln)                                                                          \
    {                                                                                              \
        .type = GW_RFC_TABLE, .length = 0, .name = S(nm), .line = (ln)                             \
    }

/** Defines an RFM for the registry: description and handler. */
#define SIM_RFM_DEFINE(var, nm, prm, fn)                                                           \
    const sim_rfm_t var = {{S(nm), GW_ARRAY_SIZE(prm), (prm)}, (fn)}

/* ---- values -------------------------------------------------------------- */

/**
 * The ABAP initial value of type `t`: blanks, zeros, empty tables, and
 * structures field by field (so a structure is always complete).
 */
int sim__initial(gw_arena_t *a, const gw_rfc_typedesc_t *t, gw_rfc_value_t *v);

/**
 * Makes `out` a value of type `t` from `in` (NULL: initial): fields are
 * taken by name, missing ones are initial, unknown ones are dropped, CHAR
 * text is cut to its length. Structures and table rows come out complete
 * and in the order of the type, as the wire encoder wants them.
 */
int sim__conform(gw_arena_t *a, const gw_rfc_typedesc_t *t, const gw_rfc_value_t *in,
                 gw_rfc_value_t *out);

/** The field `name` of a structure value; NULL when it has none. */
gw_rfc_value_t *sim__field(gw_rfc_value_t *st, const char *name);
/** Read-only variant, also NULL when `st` is NULL or not a structure. */
const gw_rfc_value_t *sim__cfield(const gw_rfc_value_t *st, const char *name);

/**
 * Sets a text-like field (CHAR, NUM, DATE, TIME, BCD, DECF, STRING) of a
 * structure to a copy of `s`: CHAR loses trailing blanks (a caller whose
 * text may be too long cuts it with sim_char_fit() first), NUM is
 * right-aligned in its length with leading zeros. Returns 0, GW_EINVAL for an unknown field,
 * GW_ENOMEM.
 */
int sim__set_text(gw_arena_t *a, gw_rfc_value_t *st, const char *name, const char *s);
/** Same with a slice. */
int sim__set_slice(gw_arena_t *a, gw_rfc_value_t *st, const char *name, gw_slice_t s);
/** Sets an integer field; GW_EINVAL for an unknown field. */
int sim__set_int(gw_rfc_value_t *st, const char *name, int64_t i);

/** Text of a sent parameter or field, trailing blanks removed; empty when absent. */
gw_slice_t sim__text(const gw_rfc_value_t *v);
/** Integer of a value; `dflt` when absent or not an integer. */
int64_t sim__int(const gw_rfc_value_t *v, int64_t dflt);
/** Copies at most `size - 1` bytes of a slice into `out`, upper-cased, NUL-terminated. */
void sim__upper(gw_slice_t s, char *out, size_t size);

/** A table being built: rows in an arena, growing by doubling. */
typedef struct {
    gw_rfc_value_t v; /* type GW_RFC_TABLE; hand `v` to sim_result_set() */
    uint32_t cap;
    const gw_rfc_typedesc_t *line;
} sim_tab_t;

/** Starts an empty table of line type `line`. */
void sim__tab_init(sim_tab_t *t, const gw_rfc_typedesc_t *line);
/** Appends an initial row and returns it; NULL when out of memory. */
gw_rfc_value_t *sim__tab_add(gw_arena_t *a, sim_tab_t *t);

/** BAPIRET2, the return structure of BAPIs, and a table of it. */
extern const gw_rfc_typedesc_t sim__bapiret2;
extern const gw_rfc_typedesc_t sim__bapiret2_tab;

/**
 * Fills a BAPIRET2 row: `text` with `&` replaced by v1..v4 (NULL: empty),
 * also stored in MESSAGE_V1..V4. SYSTEM is left initial.
 */
int sim__bapiret(gw_arena_t *a, gw_rfc_value_t *row, const char *type, const char *id,
                 const char *number, const char *text, const char *v1, const char *v2,
                 const char *v3, const char *v4);

/** Appends a BAPIRET2 row to a table (see sim__bapiret). */
int sim__bapiret_add(gw_arena_t *a, sim_tab_t *t, const char *type, const char *id,
                     const char *number, const char *text, const char *v1, const char *v2,
                     const char *v3, const char *v4);

/** MESSAGE-style substitution of `&` / `&1`..`&4` in `text`, into the arena. */
char *sim__msg_subst(gw_arena_t *a, const char *text, const char *const v[4]);

/** STFC_CONNECTION's RESPTEXT: release, SID, date, time and logon data. */
char *sim__resptext(sim_call_ctx_t *ctx);

/* ---- dates ---------------------------------------------------------------- */

/** Days since 1970-01-01 of a proleptic Gregorian date. */
int64_t sim__days_from_civil(int y, int m, int d);
/** Writes "YYYYMMDD" (9 bytes with NUL) for a day number. */
void sim__date_str(int64_t days, char out[9]);
/** Parses "YYYYMMDD" into a day number; -1 when it is no valid date. */
int64_t sim__date_parse(gw_slice_t s);

/* ---- the flight data model (rfm_flight.c) ----------------------------------
 * Amounts are integers scaled by 10^4 (BCD decimals of the BAPI types);
 * text fields are NUL-terminated. */

typedef struct {
    const char *carrid, *carrname, *currcode, *url;
} sim_scarr_t;

typedef struct {
    const char *carrid;
    int connid;
    const char *countryfr, *cityfrom, *airpfrom;
    const char *countryto, *cityto, *airpto;
    int fltime;
    const char *deptime, *arrtime;
    int distance; /* whole units of distid */
    const char *distid;
    const char *fltype;
    int period; /* days from departure to arrival */
} sim_spfli_t;

typedef struct {
    const sim_spfli_t *conn;
    const sim_scarr_t *carr;
    char fldate[9];
    int64_t price; /* × 10^4 */
    const char *currency;
    const char *planetype;
    int32_t seatsmax, seatsocc, seatsmax_b, seatsocc_b, seatsmax_f, seatsocc_f;
    int64_t paymentsum; /* × 10^4 */
} sim_sflight_t;

typedef struct {
    char carrid[4];
    int connid;
    char fldate[9];
    uint32_t bookid;
    uint32_t customid;
    char custtype, smoker, invoice, class_, cancelled, reserved;
    int64_t luggweight; /* × 10^4 */
    char wunit[4];
    int64_t forcuram; /* × 10^4 */
    char forcurkey[6];
    int64_t loccuram; /* × 10^4 */
    char loccurkey[6];
    char order_date[9];
    uint32_t counter, agencynum;
    char passname[26 * 4]; /* CHAR 25, UTF-8 */
    char passform[16 * 4];
    char passbirth[9];
} sim_sbook_t;

/** A booking waiting for BAPI_TRANSACTION_COMMIT, in the session's arena. */
struct sim_flight_pending {
    sim_sbook_t b;
    struct sim_flight_pending *next;
};

size_t sim__scarr_count(void);
const sim_scarr_t *sim__scarr_at(size_t i);
const sim_scarr_t *sim__scarr_find(const char *carrid);
size_t sim__spfli_count(void);
const sim_spfli_t *sim__spfli_at(size_t i);
size_t sim__sflight_count(void);
/** Flight `i` with the committed bookings counted in; returns 0 or GW_EINVAL. */
int sim__sflight_get(size_t i, sim_sflight_t *out);
/** Index of a flight, or -1. */
long sim__sflight_find(const char *carrid, int connid, const char *fldate);
/** Generated rows plus committed bookings. */
uint64_t sim__sbook_count(void);
/** SBOOK row `i` (generated, then committed); GW_EINVAL past the end. */
int sim__sbook_get(uint64_t i, sim_sbook_t *out);
/** Takes the next booking number. */
uint32_t sim__sbook_next_id(void);
/** Appends the bookings of a pending list (oldest first) to the committed store. */
int sim__sbook_commit(const struct sim_flight_pending *list);
/** Formats an amount scaled by 10^4 with `dec` decimals ("-12.30"). */
void sim__amount_str(int64_t v, int dec, char *out, size_t size);
/** Price of one seat in class F, C or Y on a flight (× 10^4). */
int64_t sim__class_price(const sim_sflight_t *f, char cls);

/* ---- the RFMs ------------------------------------------------------------- */

extern const sim_rfm_t sim__rfm_stfc_structure, sim__rfm_stfc_changing,
    sim__rfm_stfc_deep_structure, sim__rfm_stfc_deep_table, sim__rfm_type_test;
extern const sim_rfm_t sim__rfm_system_info, sim__rfm_raise_error, sim__rfm_wait,
    sim__rfm_user_get_detail;
extern const sim_rfm_t sim__rfm_read_table;
extern const sim_rfm_t sim__rfm_flight_getlist, sim__rfm_flight_getdetail,
    sim__rfm_flbooking_create, sim__rfm_transaction_commit, sim__rfm_transaction_rollback;

#endif
