/*
 * rfm_flight_bapi: the flight BAPIs and the BAPI transaction.
 *
 * BAPI_FLIGHT_GETLIST, BAPI_FLIGHT_GETDETAIL and
 * BAPI_FLBOOKING_CREATEFROMDATA follow SAP's BAPIs of the same names over
 * the data of rfm_flight.c. Like every BAPI they report business errors in
 * RETURN (BAPIRET2 rows of type E) and never raise exceptions.
 *
 * Bookings follow the BAPI transaction model: a created booking waits in
 * the session (sim_state_t.pending, allocated from the session's arena)
 * until BAPI_TRANSACTION_COMMIT moves it to the shared store; before that
 * nobody sees it, not even the session itself (as the update task has not
 * run). BAPI_TRANSACTION_ROLLBACK, RESET and the end of the session drop
 * it. Booking numbers are drawn at creation, so a rolled-back booking
 * leaves a gap, as SAP's number ranges do.
 */
#include "sim/rfm_internal.h"
#include "error/error.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* ---- types --------------------------------------------------------------------- */

static const gw_rfc_fielddesc_t bapisfldst_fields[] = {
    {S("AIRPORTID"), T_CHAR(3)},
    {S("CITY"), T_CHAR(20)},
    {S("COUNTR"), T_CHAR(3)},
};
static const gw_rfc_typedesc_t bapisfldst = SIM_STRUCT("BAPISFLDST", bapisfldst_fields);

static const gw_rfc_fielddesc_t bapisfldra_fields[] = {
    {S("SIGN"), T_CHAR(1)},
    {S("OPTION"), T_CHAR(2)},
    {S("LOW"), T_DATE},
    {S("HIGH"), T_DATE},
};
static const gw_rfc_typedesc_t bapisfldra = SIM_STRUCT("BAPISFLDRA", bapisfldra_fields);
static const gw_rfc_typedesc_t bapisfldra_tab = SIM_TABLE("BAPISFLDRA_T", &bapisfldra);

static const gw_rfc_fielddesc_t bapisfldat_fields[] = {
    {S("AIRLINEID"), T_CHAR(3)}, {S("AIRLINE"), T_CHAR(20)},  {S("CONNECTID"), T_NUM(4)},
    {S("FLIGHTDATE"), T_DATE},   {S("AIRPORTFR"), T_CHAR(3)}, {S("CITYFROM"), T_CHAR(20)},
    {S("AIRPORTTO"), T_CHAR(3)}, {S("CITYTO"), T_CHAR(20)},   {S("DEPTIME"), T_TIME},
    {S("ARRTIME"), T_TIME},      {S("ARRDATE"), T_DATE},      {S("PRICE"), T_BCD(12, 4)},
    {S("CURR"), T_CHAR(5)},      {S("CURR_ISO"), T_CHAR(3)},
};
static const gw_rfc_typedesc_t bapisfldat = SIM_STRUCT("BAPISFLDAT", bapisfldat_fields);
static const gw_rfc_typedesc_t bapisfldat_tab = SIM_TABLE("BAPISFLDAT_T", &bapisfldat);

static const gw_rfc_fielddesc_t bapisfladd_fields[] = {
    {S("FLIGHTTIME"), T_INT4},  {S("DISTANCE"), T_BCD(5, 4)}, {S("UNIT"), T_CHAR(3)},
    {S("UNIT_ISO"), T_CHAR(3)}, {S("PLANETYPE"), T_CHAR(10)}, {S("FLIGHTTYPE"), T_CHAR(1)},
};
static const gw_rfc_typedesc_t bapisfladd = SIM_STRUCT("BAPISFLADD", bapisfladd_fields);

static const gw_rfc_fielddesc_t bapisflava_fields[] = {
    {S("ECONOMAX"), T_INT4},  {S("ECONOFREE"), T_INT4}, {S("BUSINMAX"), T_INT4},
    {S("BUSINFREE"), T_INT4}, {S("FIRSTMAX"), T_INT4},  {S("FIRSTFREE"), T_INT4},
};
static const gw_rfc_typedesc_t bapisflava = SIM_STRUCT("BAPISFLAVA", bapisflava_fields);

static const gw_rfc_fielddesc_t bapiparex_fields[] = {
    {S("STRUCTURE"), T_CHAR(30)},   {S("VALUEPART1"), T_CHAR(240)}, {S("VALUEPART2"), T_CHAR(240)},
    {S("VALUEPART3"), T_CHAR(240)}, {S("VALUEPART4"), T_CHAR(240)},
};
static const gw_rfc_typedesc_t bapiparex = SIM_STRUCT("BAPIPAREX", bapiparex_fields);
static const gw_rfc_typedesc_t bapiparex_tab = SIM_TABLE("BAPIPAREX_T", &bapiparex);

static const gw_rfc_fielddesc_t bapisbonew_fields[] = {
    {S("AIRLINEID"), T_CHAR(3)}, {S("CONNECTID"), T_NUM(4)},     {S("FLIGHTDATE"), T_DATE},
    {S("CUSTOMERID"), T_NUM(8)}, {S("CLASS"), T_CHAR(1)},        {S("COUNTER"), T_NUM(8)},
    {S("AGENCYNUM"), T_NUM(8)},  {S("PASSNAME"), T_CHAR(25)},    {S("PASSFORM"), T_CHAR(15)},
    {S("PASSBIRTH"), T_DATE},    {S("LUGGWEIGHT"), T_BCD(4, 4)}, {S("WUNIT"), T_CHAR(3)},
    {S("SMOKER"), T_CHAR(1)},    {S("INVOICE"), T_CHAR(1)},
};
static const gw_rfc_typedesc_t bapisbonew = SIM_STRUCT("BAPISBONEW", bapisbonew_fields);

static const gw_rfc_fielddesc_t bapisbopri_fields[] = {
    {S("FORCURAM"), T_BCD(12, 4)},
    {S("FORCURKEY"), T_CHAR(5)},
    {S("FORCURISO"), T_CHAR(3)},
};
static const gw_rfc_typedesc_t bapisbopri = SIM_STRUCT("BAPISBOPRI", bapisbopri_fields);

/* ---- helpers -------------------------------------------------------------------- */

/* Upper-cased text of a field of a sent structure (or of a parameter when `field` is NULL). */
static void get_upper(const gw_wire_call_t *call, const char *param, const char *field, char *out,
                      size_t size)
{
    const gw_rfc_value_t *v = sim_call_param(call, param);
    if (field)
        v = sim__cfield(v, field);
    sim__upper(sim__text(v), out, size);
}

static int fill_fldat(gw_arena_t *a, gw_rfc_value_t *row, const sim_sflight_t *f)
{
    const sim_spfli_t *c = f->conn;
    char connid[8], price[32], arrdate[9];
    snprintf(connid, sizeof(connid), "%04d", c->connid);
    sim__amount_str(f->price, 4, price, sizeof(price));
    sim__date_str(sim__date_parse((gw_slice_t){f->fldate, 8}) + c->period, arrdate);
    const char *v[][2] = {
        {"AIRLINEID", c->carrid},   {"AIRLINE", f->carr ? f->carr->carrname : ""},
        {"CONNECTID", connid},      {"FLIGHTDATE", f->fldate},
        {"AIRPORTFR", c->airpfrom}, {"CITYFROM", c->cityfrom},
        {"AIRPORTTO", c->airpto},   {"CITYTO", c->cityto},
        {"DEPTIME", c->deptime},    {"ARRTIME", c->arrtime},
        {"ARRDATE", arrdate},       {"PRICE", price},
        {"CURR", f->currency},      {"CURR_ISO", f->currency},
    };
    int ret = 0;
    for (size_t i = 0; i < GW_ARRAY_SIZE(v) && ret == 0; i++)
        ret = sim__set_text(a, row, v[i][0], v[i][1]);
    return ret;
}

/* Whether a date passes a select-option table (SIGN I/E, OPTION EQ NE GT GE LT LE BT NB). */
static int date_in_range(const gw_rfc_value_t *tab, const char *date, int *bad)
{
    int has_incl = 0, incl = 0, excl = 0;
    if (tab == NULL || tab->type != GW_RFC_TABLE)
        return 1;
    for (uint32_t i = 0; i < tab->u.tab.count; i++) {
        const gw_rfc_value_t *r = &tab->u.tab.rows[i];
        char sign[4], opt[4], low[9] = "00000000", high[9] = "00000000";
        sim__upper(sim__text(sim__cfield(r, "SIGN")), sign, sizeof(sign));
        sim__upper(sim__text(sim__cfield(r, "OPTION")), opt, sizeof(opt));
        gw_slice_t l = sim__text(sim__cfield(r, "LOW")), h = sim__text(sim__cfield(r, "HIGH"));
        if (l.len == 8)
            memcpy(low, l.ptr, 8);
        if (h.len == 8)
            memcpy(high, h.ptr, 8);
        int cl = strcmp(date, low), ch = strcmp(date, high), m;
        if (strcmp(opt, "EQ") == 0 || opt[0] == '\0')
            m = cl == 0;
        else if (strcmp(opt, "NE") == 0)
            m = cl != 0;
        else if (strcmp(opt, "GT") == 0)
            m = cl > 0;
        else if (strcmp(opt, "GE") == 0)
            m = cl >= 0;
        else if (strcmp(opt, "LT") == 0)
            m = cl < 0;
        else if (strcmp(opt, "LE") == 0)
            m = cl <= 0;
        else if (strcmp(opt, "BT") == 0)
            m = cl >= 0 && ch <= 0;
        else if (strcmp(opt, "NB") == 0)
            m = !(cl >= 0 && ch <= 0);
        else {
            *bad = 1;
            return 0;
        }
        if (strcmp(sign, "E") == 0) {
            excl |= m;
        } else if (strcmp(sign, "I") == 0 || sign[0] == '\0') {
            has_incl = 1;
            incl |= m;
        } else {
            *bad = 1;
            return 0;
        }
    }
    return (!has_incl || incl) && !excl;
}

/* Whether a connection leaves from (to = 0) or arrives at (to = 1) a BAPISFLDST place. */
static int place_matches(const gw_wire_call_t *call, const char *param, const sim_spfli_t *c,
                         int to)
{
    char ap[8], city[32], country[8];
    get_upper(call, param, "AIRPORTID", ap, sizeof(ap));
    get_upper(call, param, "CITY", city, sizeof(city));
    get_upper(call, param, "COUNTR", country, sizeof(country));
    if (ap[0] && strcmp(ap, to ? c->airpto : c->airpfrom) != 0)
        return 0;
    if (city[0] && strcasecmp(city, to ? c->cityto : c->cityfrom) != 0)
        return 0;
    if (country[0] && strcmp(country, to ? c->countryto : c->countryfr) != 0)
        return 0;
    return 1;
}

/* ---- BAPI_FLIGHT_GETLIST --------------------------------------------------------- */

static const gw_rfc_param_t getlist_params[] = {
    {S("AIRLINE"), GW_RFC_IMPORTING, 1, T_CHAR(3), S(""), S("Airline")},
    {S("DESTINATION_FROM"), GW_RFC_IMPORTING, 1, &bapisfldst, S(""), S("Departure")},
    {S("DESTINATION_TO"), GW_RFC_IMPORTING, 1, &bapisfldst, S(""), S("Destination")},
    {S("MAX_ROWS"), GW_RFC_IMPORTING, 1, T_INT4, S(""), S("Maximum number of rows (0: all)")},
    {S("DATE_RANGE"), GW_RFC_TABLES, 1, &bapisfldra_tab, S(""), S("Flight date selection")},
    {S("EXTENSION_IN"), GW_RFC_TABLES, 1, &bapiparex_tab, S(""), S("Customer extension (ignored)")},
    {S("EXTENSION_OUT"), GW_RFC_TABLES, 1, &bapiparex_tab, S(""), S("Customer extension")},
    {S("FLIGHT_LIST"), GW_RFC_TABLES, 1, &bapisfldat_tab, S(""), S("Flights found")},
    {S("RETURN"), GW_RFC_TABLES, 1, &sim__bapiret2_tab, S(""), S("Return messages")},
};

static int getlist(sim_call_ctx_t *ctx, const gw_wire_call_t *call, sim_result_t *res)
{
    gw_arena_t *a = ctx->arena;
    char airline[8];
    sim_tab_t list, rt;
    int ret = 0, bad = 0;
    int64_t max = sim__int(sim_call_param(call, "MAX_ROWS"), 0);
    const gw_rfc_value_t *range = sim_call_param(call, "DATE_RANGE");
    get_upper(call, "AIRLINE", NULL, airline, sizeof(airline));
    sim__tab_init(&list, &bapisfldat);
    sim__tab_init(&rt, &sim__bapiret2);

    if (airline[0] && sim__scarr_find(airline) == NULL) {
        ret = sim__bapiret_add(a, &rt, "E", "BC_IBF", "057", "Airline & does not exist", airline,
                               NULL, NULL, NULL);
        goto done;
    }
    for (size_t i = 0; i < sim__sflight_count() && ret == 0; i++) {
        sim_sflight_t f;
        if ((ret = sim__sflight_get(i, &f)) != 0)
            break;
        if (airline[0] && strcmp(airline, f.conn->carrid) != 0)
            continue;
        if (!place_matches(call, "DESTINATION_FROM", f.conn, 0) ||
            !place_matches(call, "DESTINATION_TO", f.conn, 1))
            continue;
        if (!date_in_range(range, f.fldate, &bad)) {
            if (bad)
                break;
            continue;
        }
        if (max > 0 && list.v.u.tab.count >= (uint64_t)max)
            break;
        gw_rfc_value_t *row = sim__tab_add(a, &list);
        ret = row ? fill_fldat(a, row, &f) : GW_ENOMEM;
    }
    if (ret != 0)
        return ret;
    if (bad)
        ret = sim__bapiret_add(a, &rt, "E", "BC_IBF", "061", "Invalid date selection in DATE_RANGE",
                               NULL, NULL, NULL, NULL);
    else if (list.v.u.tab.count == 0)
        ret = sim__bapiret_add(a, &rt, "I", "BC_IBF", "150", "No flights found for the selection",
                               NULL, NULL, NULL, NULL);
    else
        ret = sim__bapiret_add(a, &rt, "S", "BC_IBF", "000", "Method was executed successfully",
                               NULL, NULL, NULL, NULL);
done:
    if (ret == 0 && !bad)
        ret = sim_result_set(res, "FLIGHT_LIST", list.v);
    return ret ? ret : sim_result_set(res, "RETURN", rt.v);
}

SIM_RFM_DEFINE(sim__rfm_flight_getlist, "BAPI_FLIGHT_GETLIST", getlist_params, getlist);

/* ---- BAPI_FLIGHT_GETDETAIL --------------------------------------------------------- */

static const gw_rfc_param_t getdetail_params[] = {
    {S("AIRLINEID"), GW_RFC_IMPORTING, 0, T_CHAR(3), S(""), S("Airline")},
    {S("CONNECTIONID"), GW_RFC_IMPORTING, 0, T_NUM(4), S(""), S("Connection number")},
    {S("FLIGHTDATE"), GW_RFC_IMPORTING, 0, T_DATE, S(""), S("Flight date")},
    {S("FLIGHT_DATA"), GW_RFC_EXPORTING, 0, &bapisfldat, S(""), S("Flight data")},
    {S("ADDITIONAL_INFO"), GW_RFC_EXPORTING, 0, &bapisfladd, S(""), S("Additional data")},
    {S("AVAILIBILITY"), GW_RFC_EXPORTING, 0, &bapisflava, S(""), S("Seats (SAP's spelling)")},
    {S("EXTENSION_IN"), GW_RFC_TABLES, 1, &bapiparex_tab, S(""), S("Customer extension (ignored)")},
    {S("EXTENSION_OUT"), GW_RFC_TABLES, 1, &bapiparex_tab, S(""), S("Customer extension")},
    {S("RETURN"), GW_RFC_TABLES, 1, &sim__bapiret2_tab, S(""), S("Return messages")},
};

/* Reads AIRLINEID/CONNECTID/FLIGHTDATE-like fields into a flight key. */
static long find_flight(gw_slice_t carr, gw_slice_t conn, gw_slice_t date, char carrid[4],
                        char connid[8], char fldate[9])
{
    int n = 0;
    sim__upper(carr, carrid, 4);
    for (size_t i = 0; i < conn.len; i++)
        n = conn.ptr[i] >= '0' && conn.ptr[i] <= '9' ? (n * 10 + conn.ptr[i] - '0') % 100000 : n;
    snprintf(connid, 8, "%04d", n % 10000);
    snprintf(fldate, 9, "%.*s", (int)(date.len < 8 ? date.len : 8), date.ptr);
    return sim__sflight_find(carrid, n, fldate);
}

static int getdetail(sim_call_ctx_t *ctx, const gw_wire_call_t *call, sim_result_t *res)
{
    gw_arena_t *a = ctx->arena;
    char carrid[4], connid[8], fldate[9];
    sim_tab_t rt;
    int ret;
    sim__tab_init(&rt, &sim__bapiret2);
    long idx = find_flight(sim__text(sim_call_param(call, "AIRLINEID")),
                           sim__text(sim_call_param(call, "CONNECTIONID")),
                           sim__text(sim_call_param(call, "FLIGHTDATE")), carrid, connid, fldate);
    sim_sflight_t f;
    if (idx < 0 || sim__sflight_get((size_t)idx, &f) != 0) {
        ret = sim__bapiret_add(a, &rt, "E", "BC_IBF", "065", "Flight & & on & does not exist",
                               carrid, connid, fldate, NULL);
        return ret ? ret : sim_result_set(res, "RETURN", rt.v);
    }
    gw_rfc_value_t dat, add, ava;
    char dist[32];
    sim__amount_str((int64_t)f.conn->distance * 10000, 4, dist, sizeof(dist));
    if ((ret = sim__initial(a, &bapisfldat, &dat)) != 0 ||
        (ret = sim__initial(a, &bapisfladd, &add)) != 0 ||
        (ret = sim__initial(a, &bapisflava, &ava)) != 0 || (ret = fill_fldat(a, &dat, &f)) != 0)
        return ret;
    int mi = strcmp(f.conn->distid, "MI") == 0;
    sim__set_int(&add, "FLIGHTTIME", f.conn->fltime);
    if ((ret = sim__set_text(a, &add, "DISTANCE", dist)) != 0 ||
        (ret = sim__set_text(a, &add, "UNIT", f.conn->distid)) != 0 ||
        (ret = sim__set_text(a, &add, "UNIT_ISO", mi ? "SMI" : "KMT")) != 0 ||
        (ret = sim__set_text(a, &add, "PLANETYPE", f.planetype)) != 0 ||
        (ret = sim__set_text(a, &add, "FLIGHTTYPE", f.conn->fltype)) != 0)
        return ret;
    sim__set_int(&ava, "ECONOMAX", f.seatsmax);
    sim__set_int(&ava, "ECONOFREE", f.seatsmax > f.seatsocc ? f.seatsmax - f.seatsocc : 0);
    sim__set_int(&ava, "BUSINMAX", f.seatsmax_b);
    sim__set_int(&ava, "BUSINFREE", f.seatsmax_b > f.seatsocc_b ? f.seatsmax_b - f.seatsocc_b : 0);
    sim__set_int(&ava, "FIRSTMAX", f.seatsmax_f);
    sim__set_int(&ava, "FIRSTFREE", f.seatsmax_f > f.seatsocc_f ? f.seatsmax_f - f.seatsocc_f : 0);
    if ((ret = sim_result_set(res, "FLIGHT_DATA", dat)) != 0 ||
        (ret = sim_result_set(res, "ADDITIONAL_INFO", add)) != 0 ||
        (ret = sim_result_set(res, "AVAILIBILITY", ava)) != 0)
        return ret;
    ret = sim__bapiret_add(a, &rt, "S", "BC_IBF", "000", "Method was executed successfully", NULL,
                           NULL, NULL, NULL);
    return ret ? ret : sim_result_set(res, "RETURN", rt.v);
}

SIM_RFM_DEFINE(sim__rfm_flight_getdetail, "BAPI_FLIGHT_GETDETAIL", getdetail_params, getdetail);

/* ---- BAPI_FLBOOKING_CREATEFROMDATA ---------------------------------------------------- */

static const gw_rfc_param_t create_params[] = {
    {S("RESERVE_ONLY"), GW_RFC_IMPORTING, 1, T_CHAR(1), S("SPACE"), S("X: reservation only")},
    {S("BOOKING_DATA"), GW_RFC_IMPORTING, 0, &bapisbonew, S(""), S("Booking data")},
    {S("TEST_RUN"), GW_RFC_IMPORTING, 1, T_CHAR(1), S("SPACE"), S("X: check only, store nothing")},
    {S("AIRLINEID"), GW_RFC_EXPORTING, 0, T_CHAR(3), S(""), S("Airline")},
    {S("BOOKINGNUMBER"), GW_RFC_EXPORTING, 0, T_NUM(8), S(""), S("Booking number")},
    {S("TICKET_PRICE"), GW_RFC_EXPORTING, 0, &bapisbopri, S(""), S("Ticket price")},
    {S("EXTENSION_IN"), GW_RFC_TABLES, 1, &bapiparex_tab, S(""), S("Customer extension (ignored)")},
    {S("RETURN"), GW_RFC_TABLES, 1, &sim__bapiret2_tab, S(""), S("Return messages")},
};

static uint32_t digits(gw_slice_t s)
{
    uint32_t n = 0;
    for (size_t i = 0; i < s.len; i++)
        if (s.ptr[i] >= '0' && s.ptr[i] <= '9')
            n = n * 10 + (uint32_t)(s.ptr[i] - '0');
    return n % 100000000u;
}

/* A decimal text ("12.5") as an integer scaled by 10^4. */
static int64_t scaled(gw_slice_t s)
{
    int64_t ip = 0, fp = 0, neg = 0, scale = 1000;
    size_t i = 0;
    if (i < s.len && s.ptr[i] == '-') {
        neg = 1;
        i++;
    }
    for (; i < s.len && s.ptr[i] >= '0' && s.ptr[i] <= '9'; i++)
        ip = ip < 100000000000000ll ? ip * 10 + (s.ptr[i] - '0') : ip;
    if (i < s.len && s.ptr[i] == '.')
        for (i++; i < s.len && s.ptr[i] >= '0' && s.ptr[i] <= '9'; i++, scale /= 10)
            fp += scale ? (s.ptr[i] - '0') * scale : 0;
    int64_t v = ip * 10000 + fp;
    return neg ? -v : v;
}

static void copy_field(const gw_rfc_value_t *st, const char *name, char *out, size_t size)
{
    gw_slice_t s = sim__text(sim__cfield(st, name));
    size_t n = s.len < size - 1 ? s.len : size - 1;
    memcpy(out, s.ptr, n);
    out[n] = '\0';
}

static int create(sim_call_ctx_t *ctx, const gw_wire_call_t *call, sim_result_t *res)
{
    gw_arena_t *a = ctx->arena;
    gw_rfc_value_t in;
    char carrid[4], connid[8], fldate[9], cls[4], test[4], reserve[4];
    sim_tab_t rt;
    int ret;
    sim__tab_init(&rt, &sim__bapiret2);
    if ((ret = sim__conform(a, &bapisbonew, sim_call_param(call, "BOOKING_DATA"), &in)) != 0)
        return ret;
    get_upper(call, "TEST_RUN", NULL, test, sizeof(test));
    get_upper(call, "RESERVE_ONLY", NULL, reserve, sizeof(reserve));
    sim__upper(sim__text(sim__cfield(&in, "CLASS")), cls, sizeof(cls));
    long idx = find_flight(sim__text(sim__cfield(&in, "AIRLINEID")),
                           sim__text(sim__cfield(&in, "CONNECTID")),
                           sim__text(sim__cfield(&in, "FLIGHTDATE")), carrid, connid, fldate);
    uint32_t customer = digits(sim__text(sim__cfield(&in, "CUSTOMERID")));
    sim_sflight_t f;
    char cust[12];
    snprintf(cust, sizeof(cust), "%08u", customer);

    if (idx < 0 || sim__sflight_get((size_t)idx, &f) != 0) {
        ret = sim__bapiret_add(a, &rt, "E", "BC_IBF", "065", "Flight & & on & does not exist",
                               carrid, connid, fldate, NULL);
        goto done;
    }
    if (strlen(cls) != 1 || strchr("FCY", cls[0]) == NULL) {
        ret = sim__bapiret_add(a, &rt, "E", "BC_IBF", "108", "Class & is not valid (F, C or Y)",
                               cls, NULL, NULL, NULL);
        goto done;
    }
    if (customer == 0) {
        ret = sim__bapiret_add(a, &rt, "E", "BC_IBF", "027", "Customer & does not exist", cust,
                               NULL, NULL, NULL);
        goto done;
    }
    int32_t free_seats = cls[0] == 'F'   ? f.seatsmax_f - f.seatsocc_f
                         : cls[0] == 'C' ? f.seatsmax_b - f.seatsocc_b
                                         : f.seatsmax - f.seatsocc;
    for (const struct sim_flight_pending *p = ctx->state ? ctx->state->pending : NULL; p;
         p = p->next)
        if (p->b.class_ == cls[0] && p->b.connid == f.conn->connid &&
            strcmp(p->b.carrid, carrid) == 0 && strcmp(p->b.fldate, fldate) == 0)
            free_seats--;
    if (free_seats <= 0) {
        ret = sim__bapiret_add(a, &rt, "E", "BC_IBF", "109",
                               "Flight & & on & is fully booked in class &", carrid, connid, fldate,
                               cls);
        goto done;
    }

    int64_t price = sim__class_price(&f, cls[0]);
    char pricestr[32], booknum[12] = "00000000";
    sim__amount_str(price, 4, pricestr, sizeof(pricestr));
    gw_rfc_value_t pri;
    if ((ret = sim__initial(a, &bapisbopri, &pri)) != 0 ||
        (ret = sim__set_text(a, &pri, "FORCURAM", pricestr)) != 0 ||
        (ret = sim__set_text(a, &pri, "FORCURKEY", f.currency)) != 0 ||
        (ret = sim__set_text(a, &pri, "FORCURISO", f.currency)) != 0 ||
        (ret = sim_result_set(res, "TICKET_PRICE", pri)) != 0 ||
        (ret = sim_result_set_char(res, "AIRLINEID", carrid, strlen(carrid))) != 0)
        return ret;

    if (strcmp(test, "X") == 0) {
        ret = sim__bapiret_add(a, &rt, "S", "BC_IBF", "001",
                               "Test run: flight & & on & can be booked", carrid, connid, fldate,
                               NULL);
        goto done;
    }
    if (ctx->state == NULL)
        return GW_EINVAL;

    struct sim_flight_pending *p = gw_arena_calloc(&ctx->state->arena, 1, sizeof(*p));
    if (p == NULL)
        return GW_ENOMEM;
    sim_sbook_t *b = &p->b;
    snprintf(b->carrid, sizeof(b->carrid), "%s", carrid);
    b->connid = f.conn->connid;
    memcpy(b->fldate, fldate, 9);
    b->bookid = sim__sbook_next_id();
    b->customid = customer;
    b->custtype = 'P';
    b->smoker = sim__text(sim__cfield(&in, "SMOKER")).len ? 'X' : ' ';
    b->invoice = sim__text(sim__cfield(&in, "INVOICE")).len ? 'X' : ' ';
    b->luggweight = scaled(sim__text(sim__cfield(&in, "LUGGWEIGHT")));
    copy_field(&in, "WUNIT", b->wunit, sizeof(b->wunit));
    b->class_ = cls[0];
    b->forcuram = b->loccuram = price;
    snprintf(b->forcurkey, sizeof(b->forcurkey), "%s", f.currency);
    snprintf(b->loccurkey, sizeof(b->loccurkey), "%s", f.currency);
    struct tm tm;
    if (localtime_r(&ctx->now, &tm) != NULL)
        sim__date_str(sim__days_from_civil(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday),
                      b->order_date);
    else
        memcpy(b->order_date, "00000000", 9);
    b->counter = digits(sim__text(sim__cfield(&in, "COUNTER")));
    b->agencynum = digits(sim__text(sim__cfield(&in, "AGENCYNUM")));
    b->cancelled = ' ';
    b->reserved = strcmp(reserve, "X") == 0 ? 'X' : ' ';
    copy_field(&in, "PASSNAME", b->passname, sizeof(b->passname));
    copy_field(&in, "PASSFORM", b->passform, sizeof(b->passform));
    copy_field(&in, "PASSBIRTH", b->passbirth, sizeof(b->passbirth));
    if (strlen(b->passbirth) != 8)
        memcpy(b->passbirth, "00000000", 9);
    p->next = ctx->state->pending;
    ctx->state->pending = p;

    snprintf(booknum, sizeof(booknum), "%08u", b->bookid);
    if ((ret = sim_result_set(
             res, "BOOKINGNUMBER",
             (gw_rfc_value_t){.type = GW_RFC_NUM,
                              .u.s = gw_slice(gw_arena_strndup(a, booknum, 8))})) != 0)
        return ret;
    ret = sim__bapiret_add(a, &rt, "S", "BC_IBF", "000", "Booking & & created", carrid, booknum,
                           NULL, NULL);
done:
    return ret ? ret : sim_result_set(res, "RETURN", rt.v);
}

SIM_RFM_DEFINE(sim__rfm_flbooking_create, "BAPI_FLBOOKING_CREATEFROMDATA", create_params, create);

/* ---- BAPI_TRANSACTION_COMMIT / _ROLLBACK ------------------------------------------------ */

static const gw_rfc_param_t commit_params[] = {
    {S("WAIT"), GW_RFC_IMPORTING, 1, T_CHAR(1), S("SPACE"), S("X: wait for the update")},
    {S("RETURN"), GW_RFC_EXPORTING, 0, &sim__bapiret2, S(""), S("Empty on success")},
};

static int commit(sim_call_ctx_t *ctx, const gw_wire_call_t *call, sim_result_t *res)
{
    (void)call;
    (void)res;
    if (ctx->state == NULL || ctx->state->pending == NULL)
        return 0;
    /* pending is newest first; the store wants them in the order they were made */
    struct sim_flight_pending *rev = NULL, *p = ctx->state->pending;
    while (p) {
        struct sim_flight_pending *next = p->next;
        p->next = rev;
        rev = p;
        p = next;
    }
    int ret = sim__sbook_commit(rev);
    ctx->state->pending = NULL;
    return ret;
}

SIM_RFM_DEFINE(sim__rfm_transaction_commit, "BAPI_TRANSACTION_COMMIT", commit_params, commit);

static const gw_rfc_param_t rollback_params[] = {
    {S("RETURN"), GW_RFC_EXPORTING, 0, &sim__bapiret2, S(""), S("Empty on success")},
};

static int rollback(sim_call_ctx_t *ctx, const gw_wire_call_t *call, sim_result_t *res)
{
    (void)call;
    (void)res;
    /* the entries stay in the session's arena until its next reset; they are unreachable */
    if (ctx->state)
        ctx->state->pending = NULL;
    return 0;
}

SIM_RFM_DEFINE(sim__rfm_transaction_rollback, "BAPI_TRANSACTION_ROLLBACK", rollback_params,
               rollback);
