/*
 * rfc: the RFC value model shared by the gateway, the simulator and the
 * wire codec.
 *
 * Values are plain structs allocated from an arena; a decoded message, a
 * converted JSON body or a simulated result lives in one arena and is freed
 * with it. Character-like values keep their text form (UTF-8) so that BCD,
 * DECF and NUM never pass through a double; integers are int64_t, FLOAT is
 * a double, binary values are raw bytes.
 *
 * A function description (gw_rfc_func_t) is the metadata of an RFM: its
 * parameters and, recursively, the fields of structure and table types.
 */
#ifndef GW_RFC_H
#define GW_RFC_H

#include "base/base.h"

#include <stdint.h>

/** ABAP/RFC types. The numbers are part of wire protocol v1 (docs/protocol.md). */
typedef enum {
    GW_RFC_CHAR = 0x01,      /* CHAR(n): text, n counted in UTF-16 code units */
    GW_RFC_NUM = 0x02,       /* NUMC(n): n ASCII digits */
    GW_RFC_DATE = 0x03,      /* DATS: YYYYMMDD */
    GW_RFC_TIME = 0x04,      /* TIMS: HHMMSS */
    GW_RFC_BCD = 0x05,       /* packed decimal (length in bytes, decimals) as decimal text */
    GW_RFC_INT1 = 0x06,      /* 0..255 */
    GW_RFC_INT2 = 0x07,      /* -32768..32767 */
    GW_RFC_INT4 = 0x08,      /* 32-bit signed */
    GW_RFC_INT8 = 0x09,      /* 64-bit signed */
    GW_RFC_FLOAT = 0x0a,     /* IEEE 754 binary64 */
    GW_RFC_DECF16 = 0x0b,    /* decfloat16 as decimal text */
    GW_RFC_DECF34 = 0x0c,    /* decfloat34 as decimal text */
    GW_RFC_STRING = 0x0d,    /* variable-length text */
    GW_RFC_XSTRING = 0x0e,   /* variable-length bytes */
    GW_RFC_RAW = 0x0f,       /* RAW(n)/BYTE(n): n bytes */
    GW_RFC_STRUCTURE = 0x10, /* named fields */
    GW_RFC_TABLE = 0x11,     /* rows of one line type */
} gw_rfc_type_t;

/** Parameter directions as SAP names them. Wire numbers in docs/protocol.md. */
typedef enum {
    GW_RFC_IMPORTING = 1, /* caller → function */
    GW_RFC_EXPORTING = 2, /* function → caller */
    GW_RFC_CHANGING = 3,  /* both ways */
    GW_RFC_TABLES = 4,    /* both ways, always a table */
} gw_rfc_direction_t;

typedef struct gw_rfc_value gw_rfc_value_t;
typedef struct gw_rfc_field gw_rfc_field_t;
typedef struct gw_rfc_typedesc gw_rfc_typedesc_t;

/**
 * A value. For text-like types (`CHAR` … `TIME`, `BCD`, `DECF*`, `STRING`)
 * `s` holds UTF-8 text; for `XSTRING`/`RAW` `s` holds bytes; integers use
 * `i`; FLOAT uses `f`; STRUCTURE uses `st`; TABLE uses `tab`, whose rows
 * are STRUCTURE values (or scalar values for a table of a scalar line type).
 */
struct gw_rfc_value {
    uint8_t type; /* gw_rfc_type_t */
    union {
        gw_slice_t s;
        int64_t i;
        double f;
        struct {
            uint32_t count;
            gw_rfc_field_t *fields;
        } st;
        struct {
            uint32_t count;
            gw_rfc_value_t *rows;
        } tab;
    } u;
};

/** A named value: a parameter of a call or a field of a structure. */
struct gw_rfc_field {
    gw_slice_t name;
    gw_rfc_value_t value;
};

/** The metadata of one field of a structure (or the line type of a table). */
typedef struct {
    gw_slice_t name;
    const gw_rfc_typedesc_t *type;
} gw_rfc_fielddesc_t;

/**
 * A type: scalar type with its length and decimals, or a structure with its
 * fields, or a table with its line type. `length` is in characters for
 * CHAR/NUM (UTF-16 code units), in bytes for BCD and RAW, 0 for variable
 * types. `name` is the DDIC name of a structure/table type, may be empty.
 */
struct gw_rfc_typedesc {
    uint8_t type; /* gw_rfc_type_t */
    uint8_t decimals;
    uint32_t length;
    gw_slice_t name;
    uint32_t nfields;                 /* STRUCTURE */
    const gw_rfc_fielddesc_t *fields; /* STRUCTURE */
    const gw_rfc_typedesc_t *line;    /* TABLE */
};

/** The metadata of one parameter of a function. */
typedef struct {
    gw_slice_t name;
    uint8_t direction; /* gw_rfc_direction_t */
    uint8_t optional;  /* 1 = may be omitted; the ABAP default then applies */
    const gw_rfc_typedesc_t *type;
    gw_slice_t default_value; /* ABAP default as text, empty when none */
    gw_slice_t text;          /* short description */
} gw_rfc_param_t;

/** The description of an RFM. */
typedef struct {
    gw_slice_t name;
    uint32_t nparams;
    const gw_rfc_param_t *params;
} gw_rfc_func_t;

/** SAP's error groups, as in RFC_ERROR_INFO. Wire numbers in docs/protocol.md. */
typedef enum {
    GW_RFC_ERR_ABAP_EXCEPTION = 1,    /* ABAP_APPLICATION_FAILURE: RAISE exception */
    GW_RFC_ERR_ABAP_MESSAGE = 2,      /* ABAP_RUNTIME_FAILURE via MESSAGE type E/A/X */
    GW_RFC_ERR_RUNTIME_FAILURE = 3,   /* short dump, system failure */
    GW_RFC_ERR_LOGON_FAILURE = 4,     /* logon refused */
    GW_RFC_ERR_AUTHORIZATION = 5,     /* no RFC authorization for the function */
    GW_RFC_ERR_COMMUNICATION = 6,     /* protocol or network trouble seen by the peer */
    GW_RFC_ERR_FUNCTION_NOT_FOUND = 7 /* FU_NOT_FOUND */
} gw_rfc_err_group_t;

/** RFC error details, as SAP's RFC_ERROR_INFO carries them. All slices may be empty. */
typedef struct {
    uint8_t group;      /* gw_rfc_err_group_t */
    gw_slice_t key;     /* exception name or error key, e.g. "FU_NOT_FOUND" */
    gw_slice_t message; /* human-readable text */
    gw_slice_t msg_class;
    gw_slice_t msg_type; /* E, A, X, W, I, S */
    gw_slice_t msg_number;
    gw_slice_t msg_v[4];
} gw_rfc_error_t;

/** Name of a type ("CHAR", "INT4", ...); "?" for unknown numbers. */
const char *gw_rfc_type_name(int type);
/** Parses a type name as gw_rfc_type_name prints it; returns 0 for unknown. */
int gw_rfc_type_parse(const char *name);
/** Name of a direction ("IMPORTING", ...). */
const char *gw_rfc_direction_name(int dir);
/** Name of an error group ("ABAP_EXCEPTION", ...). */
const char *gw_rfc_err_group_name(int group);
/** Maps an RFC error group to the GW_E* code that answers it over HTTP. */
int gw_rfc_err_to_gw(int group);

/** Finds a parameter by name; NULL when the function has none such. */
const gw_rfc_param_t *gw_rfc_func_param(const gw_rfc_func_t *f, gw_slice_t name);
/** Finds a named value in an array of fields; NULL when absent. */
const gw_rfc_field_t *gw_rfc_fields_find(const gw_rfc_field_t *fields, uint32_t n, gw_slice_t name);

/**
 * Deep-copies a function description into `arena` (for caching a decoded
 * description beyond the life of the message it came in).
 */
gw_rfc_func_t *gw_rfc_func_dup(gw_arena_t *arena, const gw_rfc_func_t *f);

#endif
