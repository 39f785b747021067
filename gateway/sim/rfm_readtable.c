/*
 * rfm_readtable: RFC_READ_TABLE over the flight tables (rfm_flight.c).
 *
 * Like SAP's module it returns every selected field in its external,
 * fixed-width form (CHAR padded with blanks, numbers right-aligned with the
 * sign in the last position, as MOVE to a character field writes them),
 * the fields joined by DELIMITER, one DATA row per table row, and the
 * layout (offset, length, type) in FIELDS. OPTIONS holds a WHERE clause:
 * a subset of Open SQL, see parse_where() and docs/abapsim-rfms.md.
 *
 * Rows are fetched one at a time from the table's generator and turned
 * into text field by field on demand, so filtering a million generated
 * SBOOK rows touches each row once and holds none of them; without a
 * WHERE clause ROWSKIPS jumps straight to its row.
 */
#include "sim/rfm_internal.h"
#include "error/error.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WA_LEN     512
#define MAX_CONDS  64
#define VAL_MAX    300
#define MAX_FIELDS 64

/* ---- table metadata --------------------------------------------------------- */

typedef struct {
    const char *name;
    char type; /* DDIC internal type: C N D T P I b s F X */
    uint16_t leng;
    uint8_t decimals;
    const char *text;
} rt_field_t;

typedef union {
    sim_scarr_t c;
    sim_spfli_t p;
    sim_sflight_t f;
    sim_sbook_t b;
} rec_t;

typedef struct {
    const char *name;
    const rt_field_t *fields;
    size_t nfields;
    uint64_t (*count)(void);
    int (*get)(uint64_t i, rec_t *r);
    /* the value of field `k` as plain text: CHAR without padding, numbers as decimals */
    void (*text)(const rec_t *r, size_t k, char *out, size_t size);
} rt_table_t;

static const rt_field_t scarr_fields[] = {
    {"MANDT", 'C', 3, 0, "Client"},           {"CARRID", 'C', 3, 0, "Airline Code"},
    {"CARRNAME", 'C', 20, 0, "Airline name"}, {"CURRCODE", 'C', 5, 0, "Local currency of airline"},
    {"URL", 'C', 255, 0, "Airline URL"},
};

static const rt_field_t spfli_fields[] = {
    {"MANDT", 'C', 3, 0, "Client"},
    {"CARRID", 'C', 3, 0, "Airline Code"},
    {"CONNID", 'N', 4, 0, "Flight Connection Number"},
    {"COUNTRYFR", 'C', 3, 0, "Country Key"},
    {"CITYFROM", 'C', 20, 0, "Departure city"},
    {"AIRPFROM", 'C', 3, 0, "Departure airport"},
    {"COUNTRYTO", 'C', 3, 0, "Country Key"},
    {"CITYTO", 'C', 20, 0, "Arrival city"},
    {"AIRPTO", 'C', 3, 0, "Destination airport"},
    {"FLTIME", 'I', 10, 0, "Flight time"},
    {"DEPTIME", 'T', 6, 0, "Departure time"},
    {"ARRTIME", 'T', 6, 0, "Arrival time"},
    {"DISTANCE", 'P', 9, 4, "Distance"},
    {"DISTID", 'C', 3, 0, "Mass unit of distance (kms, miles)"},
    {"FLTYPE", 'C', 1, 0, "Flight type"},
    {"PERIOD", 'b', 3, 0, "Arrival n day(s) later"},
};

static const rt_field_t sflight_fields[] = {
    {"MANDT", 'C', 3, 0, "Client"},
    {"CARRID", 'C', 3, 0, "Airline Code"},
    {"CONNID", 'N', 4, 0, "Flight Connection Number"},
    {"FLDATE", 'D', 8, 0, "Flight date"},
    {"PRICE", 'P', 15, 2, "Airfare"},
    {"CURRENCY", 'C', 5, 0, "Local currency of airline"},
    {"PLANETYPE", 'C', 10, 0, "Aircraft Type"},
    {"SEATSMAX", 'I', 10, 0, "Maximum capacity in economy class"},
    {"SEATSOCC", 'I', 10, 0, "Occupied seats in economy class"},
    {"PAYMENTSUM", 'P', 17, 2, "Total of current bookings"},
    {"SEATSMAX_B", 'I', 10, 0, "Maximum capacity in business class"},
    {"SEATSOCC_B", 'I', 10, 0, "Occupied seats in business class"},
    {"SEATSMAX_F", 'I', 10, 0, "Maximum capacity in first class"},
    {"SEATSOCC_F", 'I', 10, 0, "Occupied seats in first class"},
};

static const rt_field_t sbook_fields[] = {
    {"MANDT", 'C', 3, 0, "Client"},
    {"CARRID", 'C', 3, 0, "Airline Code"},
    {"CONNID", 'N', 4, 0, "Flight Connection Number"},
    {"FLDATE", 'D', 8, 0, "Flight date"},
    {"BOOKID", 'N', 8, 0, "Booking number"},
    {"CUSTOMID", 'N', 8, 0, "Customer Number"},
    {"CUSTTYPE", 'C', 1, 0, "Customer type"},
    {"SMOKER", 'C', 1, 0, "Smoker"},
    {"LUGGWEIGHT", 'P', 7, 4, "Weight of luggage"},
    {"WUNIT", 'C', 3, 0, "Weight Unit"},
    {"INVOICE", 'C', 1, 0, "Invoice flag"},
    {"CLASS", 'C', 1, 0, "Flight Class"},
    {"FORCURAM", 'P', 15, 2, "Booking price in foreign currency"},
    {"FORCURKEY", 'C', 5, 0, "Payment currency"},
    {"LOCCURAM", 'P', 15, 2, "Price of booking in local currency of airline"},
    {"LOCCURKEY", 'C', 5, 0, "Local currency of airline"},
    {"ORDER_DATE", 'D', 8, 0, "Booking date"},
    {"COUNTER", 'N', 8, 0, "Sales office"},
    {"AGENCYNUM", 'N', 8, 0, "Travel Agency Number"},
    {"CANCELLED", 'C', 1, 0, "Cancellation flag"},
    {"RESERVED", 'C', 1, 0, "Reservation flag"},
    {"PASSNAME", 'C', 25, 0, "Name of the passenger"},
    {"PASSFORM", 'C', 15, 0, "Form of address"},
    {"PASSBIRTH", 'D', 8, 0, "Date of birth of passenger"},
};

/* The client is the same for every row; set per call before reading rows. */
typedef struct {
    const rt_table_t *t;
    const char *client;
} rt_src_t;

static uint64_t scarr_count(void)
{
    return sim__scarr_count();
}

static int scarr_get(uint64_t i, rec_t *r)
{
    const sim_scarr_t *c = sim__scarr_at((size_t)i);
    if (c == NULL)
        return GW_EINVAL;
    r->c = *c;
    return 0;
}

static void scarr_text(const rec_t *r, size_t k, char *out, size_t size)
{
    const char *v[] = {"", r->c.carrid, r->c.carrname, r->c.currcode, r->c.url};
    snprintf(out, size, "%s", k < GW_ARRAY_SIZE(v) ? v[k] : "");
}

static uint64_t spfli_count(void)
{
    return sim__spfli_count();
}

static int spfli_get(uint64_t i, rec_t *r)
{
    const sim_spfli_t *p = sim__spfli_at((size_t)i);
    if (p == NULL)
        return GW_EINVAL;
    r->p = *p;
    return 0;
}

static void spfli_text(const rec_t *r, size_t k, char *out, size_t size)
{
    const sim_spfli_t *p = &r->p;
    switch (k) {
    case 2:
        snprintf(out, size, "%04d", p->connid);
        return;
    case 9:
        snprintf(out, size, "%d", p->fltime);
        return;
    case 12:
        sim__amount_str((int64_t)p->distance * 10000, 4, out, size);
        return;
    case 15:
        snprintf(out, size, "%d", p->period);
        return;
    default: {
        const char *v[] = {"",          p->carrid,    "",        p->countryfr, p->cityfrom,
                           p->airpfrom, p->countryto, p->cityto, p->airpto,    "",
                           p->deptime,  p->arrtime,   "",        p->distid,    p->fltype};
        snprintf(out, size, "%s", k < GW_ARRAY_SIZE(v) ? v[k] : "");
    }
    }
}

static uint64_t sflight_count(void)
{
    return sim__sflight_count();
}

static int sflight_get(uint64_t i, rec_t *r)
{
    return sim__sflight_get((size_t)i, &r->f);
}

static void sflight_text(const rec_t *r, size_t k, char *out, size_t size)
{
    const sim_sflight_t *f = &r->f;
    switch (k) {
    case 1:
        snprintf(out, size, "%s", f->conn->carrid);
        return;
    case 2:
        snprintf(out, size, "%04d", f->conn->connid);
        return;
    case 3:
        snprintf(out, size, "%s", f->fldate);
        return;
    case 4:
        sim__amount_str(f->price, 2, out, size);
        return;
    case 5:
        snprintf(out, size, "%s", f->currency);
        return;
    case 6:
        snprintf(out, size, "%s", f->planetype);
        return;
    case 9:
        sim__amount_str(f->paymentsum, 2, out, size);
        return;
    default: {
        int32_t v[] = {0,
                       0,
                       0,
                       0,
                       0,
                       0,
                       0,
                       f->seatsmax,
                       f->seatsocc,
                       0,
                       f->seatsmax_b,
                       f->seatsocc_b,
                       f->seatsmax_f,
                       f->seatsocc_f};
        snprintf(out, size, "%d", k < GW_ARRAY_SIZE(v) ? (int)v[k] : 0);
    }
    }
}

static int sbook_get(uint64_t i, rec_t *r)
{
    return sim__sbook_get(i, &r->b);
}

static void sbook_text(const rec_t *r, size_t k, char *out, size_t size)
{
    const sim_sbook_t *b = &r->b;
    char c1[2] = {0, 0};
    switch (k) {
    case 1:
        snprintf(out, size, "%s", b->carrid);
        return;
    case 2:
        snprintf(out, size, "%04d", b->connid);
        return;
    case 3:
        snprintf(out, size, "%s", b->fldate);
        return;
    case 4:
        snprintf(out, size, "%08u", b->bookid);
        return;
    case 5:
        snprintf(out, size, "%08u", b->customid);
        return;
    case 6:
        c1[0] = b->custtype;
        break;
    case 7:
        c1[0] = b->smoker;
        break;
    case 8:
        sim__amount_str(b->luggweight, 4, out, size);
        return;
    case 9:
        snprintf(out, size, "%s", b->wunit);
        return;
    case 10:
        c1[0] = b->invoice;
        break;
    case 11:
        c1[0] = b->class_;
        break;
    case 12:
        sim__amount_str(b->forcuram, 2, out, size);
        return;
    case 13:
        snprintf(out, size, "%s", b->forcurkey);
        return;
    case 14:
        sim__amount_str(b->loccuram, 2, out, size);
        return;
    case 15:
        snprintf(out, size, "%s", b->loccurkey);
        return;
    case 16:
        snprintf(out, size, "%s", b->order_date);
        return;
    case 17:
        snprintf(out, size, "%08u", b->counter);
        return;
    case 18:
        snprintf(out, size, "%08u", b->agencynum);
        return;
    case 19:
        c1[0] = b->cancelled;
        break;
    case 20:
        c1[0] = b->reserved;
        break;
    case 21:
        snprintf(out, size, "%s", b->passname);
        return;
    case 22:
        snprintf(out, size, "%s", b->passform);
        return;
    case 23:
        snprintf(out, size, "%s", b->passbirth);
        return;
    default:
        break;
    }
    snprintf(out, size, "%s", c1[0] == ' ' ? "" : c1);
}

static const rt_table_t tables[] = {
    {"SBOOK", sbook_fields, GW_ARRAY_SIZE(sbook_fields), sim__sbook_count, sbook_get, sbook_text},
    {"SCARR", scarr_fields, GW_ARRAY_SIZE(scarr_fields), scarr_count, scarr_get, scarr_text},
    {"SFLIGHT", sflight_fields, GW_ARRAY_SIZE(sflight_fields), sflight_count, sflight_get,
     sflight_text},
    {"SPFLI", spfli_fields, GW_ARRAY_SIZE(spfli_fields), spfli_count, spfli_get, spfli_text},
};

/* Field text; MANDT (always field 0) is the caller's client. */
static void field_text(const rt_src_t *src, const rec_t *r, size_t k, char *out, size_t size)
{
    if (k == 0)
        snprintf(out, size, "%s", src->client);
    else
        src->t->text(r, k, out, size);
}

/* Width of a field in DATA: packed numbers get room for sign and decimal point. */
static uint32_t out_len(const rt_field_t *f)
{
    switch (f->type) {
    case 'P':
        return f->leng + 1u + (f->decimals > 0);
    case 'X':
        return f->leng * 2u;
    default:
        return f->leng;
    }
}

/* ---- decimal comparison --------------------------------------------------------- */

/* Compares two decimal texts exactly; sets *bad when one is no number. */
static int dec_cmp(const char *a, const char *b, int *bad)
{
    const char *s[2] = {a, b};
    int neg[2];
    const char *ip[2], *fp[2];
    size_t il[2], fl[2];
    for (int k = 0; k < 2; k++) {
        const char *p = s[k];
        while (*p == ' ')
            p++;
        neg[k] = *p == '-';
        if (*p == '-' || *p == '+')
            p++;
        while (*p == '0' && isdigit((unsigned char)p[1]))
            p++;
        ip[k] = p;
        while (isdigit((unsigned char)*p))
            p++;
        il[k] = (size_t)(p - ip[k]);
        fp[k] = "";
        fl[k] = 0;
        if (*p == '.') {
            fp[k] = ++p;
            while (isdigit((unsigned char)*p))
                p++;
            fl[k] = (size_t)(p - fp[k]);
        }
        while (*p == ' ')
            p++;
        if (*p != '\0' || (il[k] == 0 && fl[k] == 0)) {
            *bad = 1;
            return 0;
        }
        while (fl[k] > 0 && fp[k][fl[k] - 1] == '0')
            fl[k]--;
        if (il[k] == 1 && ip[k][0] == '0')
            il[k] = 0;
        if (il[k] == 0 && fl[k] == 0)
            neg[k] = 0; /* -0 = 0 */
    }
    if (neg[0] != neg[1])
        return neg[0] ? -1 : 1;
    int c;
    if (il[0] != il[1]) {
        c = il[0] < il[1] ? -1 : 1;
    } else {
        c = il[0] ? memcmp(ip[0], ip[1], il[0]) : 0;
        for (size_t i = 0; c == 0 && i < (fl[0] > fl[1] ? fl[0] : fl[1]); i++) {
            char x = i < fl[0] ? fp[0][i] : '0', y = i < fl[1] ? fp[1][i] : '0';
            c = (x > y) - (x < y);
        }
        c = c < 0 ? -1 : c > 0;
    }
    return neg[0] ? -c : c;
}

/* ---- WHERE clauses ------------------------------------------------------------ */

enum { OP_EQ, OP_NE, OP_LT, OP_GT, OP_LE, OP_GE };

typedef struct {
    size_t field;
    int op;
    char lit[VAL_MAX];
    int or_next; /* joined to the next condition by OR (else AND) */
} cond_t;

typedef struct {
    cond_t c[MAX_CONDS];
    size_t n;
} where_t;

typedef struct {
    const char *p;
    char tok[VAL_MAX];
    int quoted;
} lexer_t;

/* Next token into l->tok: a word, an operator, or a 'literal'. Returns 0 at the end, -1 on error.
 */
static int lex(lexer_t *l)
{
    const char *p = l->p;
    size_t n = 0;
    l->quoted = 0;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p == '\0') {
        l->p = p;
        return 0;
    }
    if (*p == '\'') {
        l->quoted = 1;
        for (p++;; p++) {
            if (*p == '\0')
                return -1;
            if (*p == '\'') {
                if (p[1] != '\'')
                    break;
                p++;
            }
            if (n + 1 >= sizeof(l->tok))
                return -1;
            l->tok[n++] = *p;
        }
        p++;
    } else if (strchr("=<>", *p)) {
        l->tok[n++] = *p++;
        if ((l->tok[0] == '<' && (*p == '>' || *p == '=')) || (l->tok[0] == '>' && *p == '='))
            l->tok[n++] = *p++;
    } else if (isalnum((unsigned char)*p) || *p == '_' || *p == '-' || *p == '+' || *p == '.') {
        while (isalnum((unsigned char)*p) || *p == '_' || *p == '-' || *p == '+' || *p == '.') {
            if (n + 1 >= sizeof(l->tok))
                return -1;
            l->tok[n++] = *p++;
        }
    } else {
        return -1; /* parentheses and anything else are not supported */
    }
    l->tok[n] = '\0';
    l->p = p;
    return 1;
}

static int parse_op(const char *t)
{
    static const struct {
        const char *a, *b;
        int op;
    } ops[] = {{"=", "EQ", OP_EQ}, {"<>", "NE", OP_NE}, {"<", "LT", OP_LT},
               {">", "GT", OP_GT}, {"<=", "LE", OP_LE}, {">=", "GE", OP_GE}};
    char up[8];
    sim__upper(gw_slice(t), up, sizeof(up));
    for (size_t i = 0; i < GW_ARRAY_SIZE(ops); i++)
        if (strcmp(up, ops[i].a) == 0 || strcmp(up, ops[i].b) == 0)
            return ops[i].op;
    return -1;
}

/*
 * Parses `cond { (AND | OR) cond }` with `cond = FIELD op literal`, op one of
 * = EQ <> NE < LT > GT <= LE >= GE, the literal in single quotes ('' is a
 * quote) or a bare number. AND binds tighter than OR; no parentheses, no
 * NOT, LIKE, IN or BETWEEN. Keywords and field names are case-insensitive.
 */
static int parse_where(const rt_table_t *t, const char *text, where_t *w, char *why, size_t wl)
{
    lexer_t l = {text, "", 0};
    int r = lex(&l);
    w->n = 0;
    while (r != 0) {
        if (r < 0) {
            snprintf(why, wl, "cannot parse \"%s\"", l.p);
            return -1;
        }
        if (w->n == MAX_CONDS) {
            snprintf(why, wl, "more than %d conditions", MAX_CONDS);
            return -1;
        }
        cond_t *c = &w->c[w->n];
        char up[VAL_MAX];
        sim__upper(gw_slice(l.tok), up, sizeof(up));
        size_t k;
        for (k = 0; k < t->nfields && (l.quoted || strcmp(up, t->fields[k].name) != 0); k++)
            ;
        if (k == t->nfields) {
            snprintf(why, wl, "\"%s\" is not a field of %s", l.tok, t->name);
            return -1;
        }
        c->field = k;
        if (lex(&l) != 1 || l.quoted || (c->op = parse_op(l.tok)) < 0) {
            snprintf(why, wl, "comparison operator expected after %s", t->fields[k].name);
            return -1;
        }
        if (lex(&l) != 1) {
            snprintf(why, wl, "literal expected after %s", t->fields[k].name);
            return -1;
        }
        if (!l.quoted) {
            int bad = 0;
            dec_cmp(l.tok, "0", &bad);
            if (bad) {
                snprintf(why, wl, "literal %s must be in single quotes", l.tok);
                return -1;
            }
        }
        snprintf(c->lit, sizeof(c->lit), "%s", l.tok);
        c->or_next = 0;
        w->n++;
        if ((r = lex(&l)) == 0)
            break;
        sim__upper(gw_slice(l.tok), up, sizeof(up));
        if (r < 0 || l.quoted || (strcmp(up, "AND") != 0 && strcmp(up, "OR") != 0)) {
            snprintf(why, wl, "AND or OR expected instead of \"%s\"", r < 0 ? l.p : l.tok);
            return -1;
        }
        c->or_next = up[0] == 'O';
        if ((r = lex(&l)) == 0) {
            snprintf(why, wl, "condition expected after %.200s", up);
            return -1;
        }
    }
    return 0;
}

static int cmp_value(const rt_field_t *f, const char *v, const char *lit, int *bad)
{
    switch (f->type) {
    case 'P':
    case 'I':
    case 'b':
    case 's':
    case 'F':
        return dec_cmp(v, lit, bad);
    case 'N': {
        int c = dec_cmp(v, lit, bad);
        if (*bad) { /* a non-numeric literal compares as text */
            *bad = 0;
            c = strcmp(v, lit);
        }
        return c;
    }
    default: {
        /* character comparison with blank padding: trailing blanks do not count */
        size_t lv = strlen(v), ll = strlen(lit);
        while (lv && v[lv - 1] == ' ')
            lv--;
        while (ll && lit[ll - 1] == ' ')
            ll--;
        int c = memcmp(v, lit, lv < ll ? lv : ll);
        if (c == 0)
            c = (lv > ll) - (lv < ll);
        return c;
    }
    }
}

static int eval_where(const rt_src_t *src, const where_t *w, const rec_t *r)
{
    int any = 0, group = 1;
    for (size_t i = 0; i < w->n; i++) {
        const cond_t *c = &w->c[i];
        char v[VAL_MAX];
        int bad = 0;
        if (group) {
            field_text(src, r, c->field, v, sizeof(v));
            int cmp = cmp_value(&src->t->fields[c->field], v, c->lit, &bad);
            int m = c->op == OP_EQ   ? cmp == 0
                    : c->op == OP_NE ? cmp != 0
                    : c->op == OP_LT ? cmp < 0
                    : c->op == OP_GT ? cmp > 0
                    : c->op == OP_LE ? cmp <= 0
                                     : cmp >= 0;
            group = !bad && m;
        }
        if (c->or_next || i + 1 == w->n) {
            any |= group;
            group = 1;
        }
    }
    return w->n == 0 || any;
}

/* ---- formatting ------------------------------------------------------------------- */

static uint32_t utf16_units(const char *s, size_t len)
{
    uint32_t u = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c & 0xc0) != 0x80)
            u += (c & 0xf8) == 0xf0 ? 2 : 1;
    }
    return u;
}

/* Appends a field in its external form of width `w` to `b`. */
static void append_field(gw_buf_t *b, const rt_field_t *f, const char *v, uint32_t w)
{
    char tmp[VAL_MAX + 8];
    size_t n = strlen(v);
    switch (f->type) {
    case 'P':
    case 'I':
    case 'b':
    case 's':
    case 'F': {
        /* right-aligned digits, then the sign (blank or '-'), as MOVE to CHAR writes it */
        int neg = v[0] == '-';
        const char *d = neg ? v + 1 : v;
        size_t dl = strlen(d);
        if (dl > w - 1) { /* overflow: ABAP marks the cut with '*' */
            memset(tmp, '*', 1);
            memcpy(tmp + 1, d + dl - (w - 2), w - 2);
        } else {
            memset(tmp, ' ', w - 1 - dl);
            memcpy(tmp + w - 1 - dl, d, dl);
        }
        tmp[w - 1] = neg ? '-' : ' ';
        gw_buf_append(b, tmp, w);
        return;
    }
    default: {
        /* text: cut to the width (never inside a character), padded with blanks */
        gw_slice_t fit = sim_char_fit((gw_slice_t){v, n}, w);
        while (fit.len < n && v[fit.len] == ' ')
            fit.len++;
        fit = sim_char_fit((gw_slice_t){v, fit.len}, w);
        gw_buf_append(b, fit.ptr, fit.len);
        for (uint32_t u = utf16_units(fit.ptr, fit.len); u < w; u++)
            gw_buf_append(b, " ", 1);
        return;
    }
    }
}

/* ---- RFC_READ_TABLE --------------------------------------------------------------- */

static const gw_rfc_fielddesc_t rfc_db_opt_fields[] = {{S("TEXT"), T_CHAR(72)}};
static const gw_rfc_typedesc_t rfc_db_opt = SIM_STRUCT("RFC_DB_OPT", rfc_db_opt_fields);
static const gw_rfc_typedesc_t rfc_db_opt_tab = SIM_TABLE("RFC_DB_OPT_T", &rfc_db_opt);

static const gw_rfc_fielddesc_t rfc_db_fld_fields[] = {
    {S("FIELDNAME"), T_CHAR(30)}, {S("OFFSET"), T_NUM(6)},      {S("LENGTH"), T_NUM(6)},
    {S("TYPE"), T_CHAR(1)},       {S("FIELDTEXT"), T_CHAR(60)},
};
static const gw_rfc_typedesc_t rfc_db_fld = SIM_STRUCT("RFC_DB_FLD", rfc_db_fld_fields);
static const gw_rfc_typedesc_t rfc_db_fld_tab = SIM_TABLE("RFC_DB_FLD_T", &rfc_db_fld);

static const gw_rfc_fielddesc_t tab512_fields[] = {{S("WA"), T_CHAR(WA_LEN)}};
static const gw_rfc_typedesc_t tab512 = SIM_STRUCT("TAB512", tab512_fields);
static const gw_rfc_typedesc_t tab512_tab = SIM_TABLE("TAB512_T", &tab512);

static const gw_rfc_param_t read_table_params[] = {
    {S("QUERY_TABLE"), GW_RFC_IMPORTING, 0, T_CHAR(30), S(""), S("Table to read")},
    {S("DELIMITER"), GW_RFC_IMPORTING, 1, T_CHAR(1), S("SPACE"), S("Field separator in DATA")},
    {S("NO_DATA"), GW_RFC_IMPORTING, 1, T_CHAR(1), S("SPACE"), S("X: return FIELDS only")},
    {S("ROWSKIPS"), GW_RFC_IMPORTING, 1, T_INT4, S("0"), S("Rows to skip")},
    {S("ROWCOUNT"), GW_RFC_IMPORTING, 1, T_INT4, S("0"), S("Rows to return (0: all)")},
    {S("OPTIONS"), GW_RFC_TABLES, 1, &rfc_db_opt_tab, S(""), S("WHERE clause, one line per row")},
    {S("FIELDS"), GW_RFC_TABLES, 1, &rfc_db_fld_tab, S(""), S("Fields to read (empty: all)")},
    {S("DATA"), GW_RFC_TABLES, 1, &tab512_tab, S(""), S("The rows, fields fixed-width")},
};

/* The row source of one RFC_READ_TABLE call; lives in the call's arena. */
typedef struct {
    sim_cursor_t base; /* first */
    rt_src_t src;
    const where_t *w;
    gw_slice_t delim;
    size_t sel[MAX_FIELDS], nsel;
    uint32_t width[MAX_FIELDS];
    uint64_t i, n;          /* the next table row to look at, and the table's size */
    int64_t skipped, skips; /* ROWSKIPS */
    int64_t count, sent;    /* ROWCOUNT (0: all) and the rows sent so far */
} rt_cursor_t;

static int read_rows(sim_cursor_t *base, gw_arena_t *a, gw_rfc_value_t *tab, size_t bytes,
                     int *done)
{
    rt_cursor_t *c = (rt_cursor_t *)base;
    sim_tab_t data;
    sim__tab_init(&data, &tab512);
    gw_buf_t wa;
    gw_buf_init(&wa, 0);
    rec_t rec;
    size_t produced = 0;
    int ret = 0;
    *done = 0;
    for (; c->i < c->n && ret == 0 && produced < bytes; c->i++) {
        if (c->count > 0 && c->sent >= c->count)
            break;
        if (c->src.t->get(c->i, &rec) != 0)
            break;
        if (!eval_where(&c->src, c->w, &rec))
            continue;
        if (c->skipped < c->skips) {
            c->skipped++;
            continue;
        }
        wa.len = 0;
        for (size_t k = 0; k < c->nsel; k++) {
            char v[VAL_MAX];
            if (k > 0)
                gw_buf_append(&wa, c->delim.ptr, c->delim.len);
            field_text(&c->src, &rec, c->sel[k], v, sizeof(v));
            append_field(&wa, &c->src.t->fields[c->sel[k]], v, c->width[k]);
        }
        gw_rfc_value_t *row = sim__tab_add(a, &data);
        ret = row ? sim__set_slice(a, row, "WA", (gw_slice_t){(const char *)wa.data, wa.len})
                  : GW_ENOMEM;
        produced += wa.len + 8;
        c->sent++;
    }
    gw_buf_free(&wa);
    if (c->i >= c->n || (c->count > 0 && c->sent >= c->count))
        *done = 1;
    *tab = data.v;
    return ret;
}

static int read_table(sim_call_ctx_t *ctx, const gw_wire_call_t *call, sim_result_t *res)
{
    gw_arena_t *a = ctx->arena;
    char name[32], nodata[4], why[300];
    gw_slice_t delim = sim__text(sim_call_param(call, "DELIMITER"));
    int64_t skips = sim__int(sim_call_param(call, "ROWSKIPS"), 0);
    int64_t count = sim__int(sim_call_param(call, "ROWCOUNT"), 0);
    sim__upper(sim__text(sim_call_param(call, "QUERY_TABLE")), name, sizeof(name));
    sim__upper(sim__text(sim_call_param(call, "NO_DATA")), nodata, sizeof(nodata));
    if (skips < 0)
        skips = 0;

    const rt_table_t *t = NULL;
    for (size_t i = 0; i < GW_ARRAY_SIZE(tables); i++)
        if (strcmp(tables[i].name, name) == 0)
            t = &tables[i];
    if (t == NULL)
        return sim_rfm_fail(ctx, GW_RFC_ERR_ABAP_EXCEPTION, "TABLE_NOT_AVAILABLE",
                            "Table %s is not available", name);
    rt_src_t src = {t, ctx->logon->client};

    /* the fields: the ones asked for, in that order, or all of them */
    size_t sel[MAX_FIELDS], nsel = 0;
    const gw_rfc_value_t *fin = sim_call_param(call, "FIELDS");
    for (uint32_t i = 0; fin && fin->type == GW_RFC_TABLE && i < fin->u.tab.count; i++) {
        char fname[40];
        sim__upper(sim__text(sim__cfield(&fin->u.tab.rows[i], "FIELDNAME")), fname, sizeof(fname));
        size_t k;
        for (k = 0; k < t->nfields && strcmp(fname, t->fields[k].name) != 0; k++)
            ;
        if (k == t->nfields)
            return sim_rfm_fail(ctx, GW_RFC_ERR_ABAP_EXCEPTION, "FIELD_NOT_VALID",
                                "Field \"%s\" is not a field of table %s", fname, name);
        if (nsel == MAX_FIELDS)
            return sim_rfm_fail(ctx, GW_RFC_ERR_ABAP_EXCEPTION, "FIELD_NOT_VALID",
                                "More than %d fields selected", MAX_FIELDS);
        sel[nsel++] = k;
    }
    if (nsel == 0)
        for (size_t k = 0; k < t->nfields; k++)
            sel[nsel++] = k;

    /* the layout, and its width against the 512 characters of DATA-WA */
    sim_tab_t fout;
    sim__tab_init(&fout, &rfc_db_fld);
    uint32_t offset = 0, width[MAX_FIELDS];
    int ret;
    for (size_t i = 0; i < nsel; i++) {
        const rt_field_t *f = &t->fields[sel[i]];
        char off[8], len[8], type[2] = {f->type, 0};
        width[i] = out_len(f);
        if (i > 0)
            offset += (uint32_t)delim.len;
        snprintf(off, sizeof(off), "%06u", offset);
        snprintf(len, sizeof(len), "%06u", width[i]);
        gw_rfc_value_t *row = sim__tab_add(a, &fout);
        if (row == NULL)
            return GW_ENOMEM;
        if ((ret = sim__set_text(a, row, "FIELDNAME", f->name)) != 0 ||
            (ret = sim__set_text(a, row, "OFFSET", off)) != 0 ||
            (ret = sim__set_text(a, row, "LENGTH", len)) != 0 ||
            (ret = sim__set_text(a, row, "TYPE", type)) != 0 ||
            (ret = sim__set_text(a, row, "FIELDTEXT", f->text)) != 0)
            return ret;
        offset += width[i];
    }
    if (offset > WA_LEN)
        return sim_rfm_fail(ctx, GW_RFC_ERR_ABAP_EXCEPTION, "DATA_BUFFER_EXCEEDED",
                            "The selected fields need %u characters, DATA holds %d", offset,
                            WA_LEN);

    /* the WHERE clause: the OPTIONS lines joined by blanks */
    where_t *w = gw_arena_calloc(a, 1, sizeof(*w));
    gw_buf_t text;
    if (w == NULL)
        return GW_ENOMEM;
    gw_buf_init(&text, 0);
    const gw_rfc_value_t *opt = sim_call_param(call, "OPTIONS");
    for (uint32_t i = 0; opt && opt->type == GW_RFC_TABLE && i < opt->u.tab.count; i++) {
        gw_slice_t s = sim__text(sim__cfield(&opt->u.tab.rows[i], "TEXT"));
        gw_buf_append(&text, " ", 1);
        gw_buf_append(&text, s.ptr, s.len);
    }
    gw_buf_append(&text, "", 1);
    ret = text.data ? parse_where(t, (const char *)text.data, w, why, sizeof(why)) : GW_ENOMEM;
    gw_buf_free(&text);
    if (ret == GW_ENOMEM)
        return ret;
    if (ret != 0)
        return sim_rfm_fail(ctx, GW_RFC_ERR_ABAP_EXCEPTION, "OPTION_NOT_VALID",
                            "Invalid selection in OPTIONS: %s", why);
    if ((ret = sim_result_set(res, "FIELDS", fout.v)) != 0)
        return ret;
    if (nodata[0] != '\0' && nodata[0] != ' ')
        return 0;

    /* the rows: produced part by part (sim_cursor_t), so a million of them never sit in memory */
    rt_cursor_t *cur = gw_arena_calloc(a, 1, sizeof(*cur));
    if (cur == NULL)
        return GW_ENOMEM;
    cur->base.param = "DATA";
    cur->base.next = read_rows;
    cur->src = src;
    cur->w = w;
    /* the request message is freed before later parts: keep a copy */
    char *dcopy = gw_arena_strndup(a, delim.ptr ? delim.ptr : "", delim.len);
    if (dcopy == NULL)
        return GW_ENOMEM;
    cur->delim = (gw_slice_t){dcopy, delim.len};
    cur->nsel = nsel;
    memcpy(cur->sel, sel, nsel * sizeof(sel[0]));
    memcpy(cur->width, width, nsel * sizeof(width[0]));
    cur->n = t->count();
    cur->i = w->n == 0 ? (uint64_t)skips : 0; /* no filter: jump to the first row wanted */
    cur->skipped = w->n == 0 ? skips : 0;
    cur->skips = skips;
    cur->count = count;
    ctx->cursor = &cur->base;
    return 0;
}

SIM_RFM_DEFINE(sim__rfm_read_table, "RFC_READ_TABLE", read_table_params, read_table);
