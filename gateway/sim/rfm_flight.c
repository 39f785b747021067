/*
 * rfm_flight: SAP's flight data model (SCARR, SPFLI, SFLIGHT, SBOOK) as
 * deterministic data, and the store of committed bookings.
 *
 * Nothing is read from files. SCARR and SPFLI are short constant tables
 * modelled on SAP's demo data; SFLIGHT is computed once (a fixed list of
 * dates per connection, prices and occupancy from a hash); SBOOK row i is a
 * pure function of i (a splitmix64 hash picks customer, class, passenger,
 * ...), so a million-row SBOOK costs no memory and reading row 999,990 does
 * not generate the rows before it. The generated rows are spread over the
 * flights in key order, so SBOOK is sorted like the database table.
 *
 * Bookings made through BAPI_FLBOOKING_CREATEFROMDATA become visible only
 * when their session commits; then they are appended to one shared store
 * (the simulator's only mutable global, behind `lock`) and show up after
 * the generated rows in SBOOK and in the seat counts of SFLIGHT.
 */
#include "sim/rfm_internal.h"
#include "error/error.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SBOOK_DEFAULT_ROWS 10000u
#define SBOOK_MAX_ROWS     90000000u
#define DATES_PER_CONN     12

/* ---- SCARR, SPFLI ------------------------------------------------------------ */

static const sim_scarr_t scarr[] = {
    {"AA", "American Airlines", "USD", "http://www.aa.com"},
    {"AB", "Air Berlin", "EUR", "http://www.airberlin.de"},
    {"AC", "Air Canada", "CAD", "http://www.aircanada.ca"},
    {"AF", "Air France", "EUR", "http://www.airfrance.fr"},
    {"AZ", "Alitalia", "EUR", "http://www.alitalia.it"},
    {"BA", "British Airways", "GBP", "http://www.british-airways.com"},
    {"CO", "Continental Airlines", "USD", "http://www.continental.com"},
    {"DL", "Delta Airlines", "USD", "http://www.delta-air.com"},
    {"FJ", "Air Pacific", "USD", "http://www.airpacific.com"},
    {"JL", "Japan Airlines", "JPY", "http://www.jal.co.jp"},
    {"LH", "Lufthansa", "EUR", "http://www.lufthansa.com"},
    {"NG", "Lauda Air", "EUR", "http://www.laudaair.com"},
    {"NW", "Northwest Airlines", "USD", "http://www.nwa.com"},
    {"QF", "Qantas Airways", "AUD", "http://www.qantas.com.au"},
    {"SA", "South African Air.", "ZAR", "http://www.saa.co.za"},
    {"SQ", "Singapore Airlines", "SGD", "http://www.singaporeair.com"},
    {"SR", "Swiss", "CHF", "http://www.swiss.com"},
    {"UA", "United Airlines", "USD", "http://www.ual.com"},
};

/* Sorted by CARRID, CONNID like the table's key. */
static const sim_spfli_t spfli[] = {
    {"AA", 17, "US", "NEW YORK", "JFK", "US", "SAN FRANCISCO", "SFO", 361, "110000", "140100", 2572,
     "MI", "", 0},
    {"AA", 64, "US", "SAN FRANCISCO", "SFO", "US", "NEW YORK", "JFK", 321, "090000", "171000", 2572,
     "MI", "", 0},
    {"AZ", 555, "IT", "ROME", "FCO", "DE", "FRANKFURT", "FRA", 125, "190000", "210500", 845, "MI",
     "", 0},
    {"AZ", 788, "IT", "ROME", "FCO", "JP", "TOKYO", "TYO", 775, "120000", "085500", 6130, "MI", "",
     1},
    {"AZ", 789, "JP", "TOKYO", "TYO", "IT", "ROME", "FCO", 940, "114500", "192500", 6130, "MI", "",
     0},
    {"AZ", 790, "IT", "ROME", "FCO", "JP", "OSAKA", "KIX", 815, "103500", "081000", 6030, "MI", "X",
     1},
    {"DL", 106, "US", "NEW YORK", "JFK", "DE", "FRANKFURT", "FRA", 475, "193500", "093000", 3851,
     "MI", "", 1},
    {"DL", 1699, "US", "NEW YORK", "JFK", "US", "SAN FRANCISCO", "SFO", 382, "171500", "203700",
     2572, "MI", "", 0},
    {"DL", 1984, "US", "SAN FRANCISCO", "SFO", "US", "NEW YORK", "JFK", 325, "100000", "182500",
     2572, "MI", "", 0},
    {"JL", 407, "JP", "TOKYO", "NRT", "DE", "FRANKFURT", "FRA", 725, "133000", "173500", 9100, "KM",
     "", 0},
    {"JL", 408, "DE", "FRANKFURT", "FRA", "JP", "TOKYO", "NRT", 675, "202500", "154000", 9100, "KM",
     "X", 1},
    {"LH", 400, "DE", "FRANKFURT", "FRA", "US", "NEW YORK", "JFK", 444, "101000", "113400", 6162,
     "KM", "", 0},
    {"LH", 401, "US", "NEW YORK", "JFK", "DE", "FRANKFURT", "FRA", 435, "183000", "074500", 6162,
     "KM", "", 1},
    {"LH", 402, "DE", "FRANKFURT", "FRA", "US", "NEW YORK", "JFK", 455, "133000", "150500", 6162,
     "KM", "X", 0},
    {"LH", 2402, "DE", "FRANKFURT", "FRA", "DE", "BERLIN", "SXF", 65, "103000", "113500", 555, "KM",
     "", 0},
    {"LH", 2407, "DE", "BERLIN", "TXL", "DE", "FRANKFURT", "FRA", 65, "071000", "081500", 555, "KM",
     "", 0},
    {"QF", 5, "SG", "SINGAPORE", "SIN", "DE", "FRANKFURT", "FRA", 740, "223000", "053000", 10000,
     "KM", "", 1},
    {"QF", 6, "DE", "FRANKFURT", "FRA", "SG", "SINGAPORE", "SIN", 740, "211500", "155000", 10000,
     "KM", "", 1},
    {"SQ", 2, "SG", "SINGAPORE", "SIN", "US", "SAN FRANCISCO", "SFO", 1015, "170000", "194500",
     8452, "MI", "", 0},
    {"SQ", 15, "US", "SAN FRANCISCO", "SFO", "SG", "SINGAPORE", "SIN", 1125, "160000", "024500",
     8452, "MI", "", 2},
    {"SQ", 158, "SG", "SINGAPORE", "SIN", "ID", "JAKARTA", "CGK", 105, "154500", "163000", 560,
     "MI", "", 0},
    {"SQ", 988, "SG", "SINGAPORE", "SIN", "JP", "TOKYO", "TYO", 385, "163000", "004500", 3125, "MI",
     "", 1},
    {"UA", 941, "DE", "FRANKFURT", "FRA", "US", "SAN FRANCISCO", "SFO", 690, "143000", "170600",
     5685, "MI", "", 0},
    {"UA", 3504, "US", "SAN FRANCISCO", "SFO", "DE", "FRANKFURT", "FRA", 660, "150000", "103000",
     5685, "MI", "", 1},
    {"UA", 3516, "US", "NEW YORK", "JFK", "DE", "FRANKFURT", "FRA", 445, "162000", "054500", 3851,
     "MI", "", 1},
    {"UA", 3517, "DE", "FRANKFURT", "FRA", "US", "NEW YORK", "JFK", 495, "104000", "125500", 3851,
     "MI", "", 0},
};

size_t sim__scarr_count(void)
{
    return GW_ARRAY_SIZE(scarr);
}

const sim_scarr_t *sim__scarr_at(size_t i)
{
    return i < GW_ARRAY_SIZE(scarr) ? &scarr[i] : NULL;
}

const sim_scarr_t *sim__scarr_find(const char *carrid)
{
    for (size_t i = 0; i < GW_ARRAY_SIZE(scarr); i++)
        if (strcmp(scarr[i].carrid, carrid) == 0)
            return &scarr[i];
    return NULL;
}

size_t sim__spfli_count(void)
{
    return GW_ARRAY_SIZE(spfli);
}

const sim_spfli_t *sim__spfli_at(size_t i)
{
    return i < GW_ARRAY_SIZE(spfli) ? &spfli[i] : NULL;
}

/* ---- hashing ------------------------------------------------------------------ */

static uint64_t mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* ---- SFLIGHT -------------------------------------------------------------------- */

#define NFLIGHTS (GW_ARRAY_SIZE(spfli) * DATES_PER_CONN)

static const struct {
    const char *name;
    int32_t y, c, f; /* seats in economy, business, first */
} planes[] = {
    {"747-400", 385, 31, 21}, {"A340-600", 330, 30, 20}, {"A330-300", 280, 25, 10},
    {"767-200", 260, 21, 11}, {"DC-10-10", 380, 41, 18}, {"A321-200", 180, 20, 0},
    {"A319-100", 120, 8, 0},  {"737-200", 115, 10, 0},
};

static pthread_once_t once = PTHREAD_ONCE_INIT;
static sim_sflight_t flights[NFLIGHTS];

static void build_flights(void)
{
    const int64_t base = sim__days_from_civil(2026, 1, 5);
    for (size_t c = 0; c < GW_ARRAY_SIZE(spfli); c++) {
        const sim_spfli_t *s = &spfli[c];
        /* long-haul connections fly big planes */
        size_t first_plane = s->fltime > 300 ? 0 : 5;
        size_t nplanes = s->fltime > 300 ? 5 : GW_ARRAY_SIZE(planes) - 5;
        for (size_t d = 0; d < DATES_PER_CONN; d++) {
            sim_sflight_t *f = &flights[c * DATES_PER_CONN + d];
            uint64_t h = mix(c * 1000 + d);
            memset(f, 0, sizeof(*f));
            f->conn = s;
            f->carr = sim__scarr_find(s->carrid);
            sim__date_str(base + (int64_t)d * 30 + (int64_t)(c % 10), f->fldate);
            int km = strcmp(s->distid, "MI") == 0 ? s->distance * 1609 / 1000 : s->distance;
            f->price = ((int64_t)(99 + km / 12) * 100 + (int64_t)(h % 100)) * 100;
            f->currency = f->carr ? f->carr->currcode : "EUR";
            size_t p = first_plane + (size_t)((h >> 8) % nplanes);
            f->planetype = planes[p].name;
            f->seatsmax = planes[p].y;
            f->seatsmax_b = planes[p].c;
            f->seatsmax_f = planes[p].f;
            /* the first date of every connection is sold out in economy */
            f->seatsocc = d == 0 ? f->seatsmax : (int32_t)((h >> 16) % (uint64_t)(f->seatsmax - 9));
            f->seatsocc_b = (int32_t)((h >> 32) % (uint64_t)(f->seatsmax_b + 1)) / 2;
            f->seatsocc_f = f->seatsmax_f ? (int32_t)((h >> 40) % (uint64_t)f->seatsmax_f) / 2 : 0;
            f->paymentsum = f->seatsocc * sim__class_price(f, 'Y') +
                            f->seatsocc_b * sim__class_price(f, 'C') +
                            f->seatsocc_f * sim__class_price(f, 'F');
        }
    }
}

static void init_once(void)
{
    pthread_once(&once, build_flights);
}

int64_t sim__class_price(const sim_sflight_t *f, char cls)
{
    return cls == 'F' ? f->price * 4 : cls == 'C' ? f->price * 2 : f->price;
}

/* ---- the committed store ------------------------------------------------------ */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static uint32_t sbook_rows = SBOOK_DEFAULT_ROWS;
static uint32_t ids_taken;     /* booking numbers handed out after the generated ones */
static sim_sbook_t *committed; /* malloc'd */
static size_t ncommitted, capcommitted;

void sim_flight_configure(uint32_t rows)
{
    pthread_mutex_lock(&lock);
    sbook_rows = rows > SBOOK_MAX_ROWS ? SBOOK_MAX_ROWS : rows;
    pthread_mutex_unlock(&lock);
}

uint32_t sim_flight_sbook_rows(void)
{
    pthread_mutex_lock(&lock);
    uint32_t n = sbook_rows;
    pthread_mutex_unlock(&lock);
    return n;
}

void sim_flight_reset_committed(void)
{
    pthread_mutex_lock(&lock);
    free(committed);
    committed = NULL;
    ncommitted = capcommitted = 0;
    ids_taken = 0;
    pthread_mutex_unlock(&lock);
}

uint32_t sim__sbook_next_id(void)
{
    pthread_mutex_lock(&lock);
    uint32_t id = sbook_rows + ++ids_taken;
    pthread_mutex_unlock(&lock);
    return id;
}

int sim__sbook_commit(const struct sim_flight_pending *list)
{
    size_t n = 0;
    int ret = 0;
    for (const struct sim_flight_pending *p = list; p; p = p->next)
        n++;
    pthread_mutex_lock(&lock);
    if (ncommitted + n > capcommitted) {
        size_t cap = capcommitted ? capcommitted : 16;
        while (cap < ncommitted + n)
            cap *= 2;
        sim_sbook_t *c = realloc(committed, cap * sizeof(*c));
        if (c == NULL) {
            ret = GW_ENOMEM;
            goto cleanup;
        }
        committed = c;
        capcommitted = cap;
    }
    for (const struct sim_flight_pending *p = list; p; p = p->next)
        committed[ncommitted++] = p->b;
cleanup:
    pthread_mutex_unlock(&lock);
    return ret;
}

/* ---- flights with committed bookings counted in ---------------------------------- */

size_t sim__sflight_count(void)
{
    return NFLIGHTS;
}

int sim__sflight_get(size_t i, sim_sflight_t *out)
{
    init_once();
    if (i >= NFLIGHTS)
        return GW_EINVAL;
    *out = flights[i];
    pthread_mutex_lock(&lock);
    for (size_t k = 0; k < ncommitted; k++) {
        const sim_sbook_t *b = &committed[k];
        if (b->cancelled == 'X' || b->connid != out->conn->connid ||
            strcmp(b->carrid, out->conn->carrid) != 0 || strcmp(b->fldate, out->fldate) != 0)
            continue;
        if (b->class_ == 'F')
            out->seatsocc_f++;
        else if (b->class_ == 'C')
            out->seatsocc_b++;
        else
            out->seatsocc++;
        out->paymentsum += b->loccuram;
    }
    pthread_mutex_unlock(&lock);
    return 0;
}

long sim__sflight_find(const char *carrid, int connid, const char *fldate)
{
    init_once();
    for (size_t i = 0; i < NFLIGHTS; i++)
        if (flights[i].conn->connid == connid && strcmp(flights[i].conn->carrid, carrid) == 0 &&
            strcmp(flights[i].fldate, fldate) == 0)
            return (long)i;
    return -1;
}

/* ---- SBOOK ------------------------------------------------------------------------- */

static const char *const first_names[] = {
    "Anna", "Ben", "Carla", "David", "Emma",  "Felix", "Greta", "Hugo",
    "Ines", "Jan", "Karin", "Lukas", "Maria", "Noah",  "Olga",  "Paul",
};
static const char *const last_names[] = {
    "Buchholm", "Ryan",     "Smith",  "Mueller", "Martin",  "Rossi",   "Tanaka", "Nguyen",
    "Garcia",   "Kowalski", "Larsen", "Dubois",  "Schmidt", "Fischer", "Silva",  "Novak",
};

uint64_t sim__sbook_count(void)
{
    pthread_mutex_lock(&lock);
    uint64_t n = (uint64_t)sbook_rows + ncommitted;
    pthread_mutex_unlock(&lock);
    return n;
}

static void generate(uint64_t i, uint32_t rows, sim_sbook_t *b)
{
    uint64_t h = mix(i ^ 0x5b00c0ffeeull), h2 = mix(h);
    /* rows spread over the flights in key order */
    const sim_sflight_t *f = &flights[i * NFLIGHTS / rows];
    memset(b, 0, sizeof(*b));
    snprintf(b->carrid, sizeof(b->carrid), "%s", f->conn->carrid);
    b->connid = f->conn->connid;
    memcpy(b->fldate, f->fldate, 9);
    b->bookid = (uint32_t)i + 1;
    b->customid = 1 + (uint32_t)(h % 4683);
    b->custtype = (h >> 13) % 4 == 0 ? 'B' : 'P';
    b->smoker = (h >> 17) % 10 == 0 ? 'X' : ' ';
    b->luggweight = (int64_t)((h >> 21) % 300) * 1000; /* 0.0 .. 29.9 kg */
    memcpy(b->wunit, "KG", 3);
    b->invoice = (h >> 29) % 3 == 0 ? 'X' : ' ';
    unsigned cls = (unsigned)((h >> 33) % 20);
    b->class_ = cls == 0 ? 'F' : cls < 4 ? 'C' : 'Y';
    b->forcuram = b->loccuram = sim__class_price(f, b->class_);
    snprintf(b->forcurkey, sizeof(b->forcurkey), "%s", f->currency);
    snprintf(b->loccurkey, sizeof(b->loccurkey), "%s", f->currency);
    int64_t fl = sim__date_parse((gw_slice_t){f->fldate, 8});
    sim__date_str(fl - 1 - (int64_t)((h >> 40) % 120), b->order_date);
    b->counter = 1 + (uint32_t)((h >> 48) % 20);
    b->agencynum = 100 + (uint32_t)(h2 % 300);
    b->cancelled = (h2 >> 12) % 50 == 0 ? 'X' : ' ';
    b->reserved = ' ';
    unsigned fn = (unsigned)((h2 >> 20) % GW_ARRAY_SIZE(first_names));
    unsigned ln = (unsigned)((h2 >> 28) % GW_ARRAY_SIZE(last_names));
    snprintf(b->passname, sizeof(b->passname), "%s %s", first_names[fn], last_names[ln]);
    snprintf(b->passform, sizeof(b->passform), "%s", fn % 2 == 0 ? "Mrs." : "Mr.");
    sim__date_str(sim__days_from_civil(1940, 1, 1) + (int64_t)((h2 >> 36) % (365 * 60)),
                  b->passbirth);
}

int sim__sbook_get(uint64_t i, sim_sbook_t *out)
{
    int ret = 0;
    init_once();
    pthread_mutex_lock(&lock);
    uint32_t rows = sbook_rows;
    if (i >= rows) {
        if (i - rows < ncommitted)
            *out = committed[i - rows];
        else
            ret = GW_EINVAL;
    }
    pthread_mutex_unlock(&lock);
    if (i < rows)
        generate(i, rows, out);
    return ret;
}

void sim__amount_str(int64_t v, int dec, char *out, size_t size)
{
    uint64_t a = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    uint64_t ip = a / 10000, fp = a % 10000;
    static const uint64_t div[] = {10000, 1000, 100, 10, 1};
    if (dec <= 0)
        snprintf(out, size, "%s%llu", v < 0 ? "-" : "", (unsigned long long)ip);
    else
        snprintf(out, size, "%s%llu.%0*llu", v < 0 ? "-" : "", (unsigned long long)ip,
                 dec > 4 ? 4 : dec, (unsigned long long)(fp / div[dec > 4 ? 4 : dec]));
}
