/*
 * codec internals shared by codec.c (common helpers), codec_in.c (JSON →
 * values), codec_out.c (values → JSON text) and codec_describe.c (metadata
 * as JSON Schema).
 */
#ifndef GW_CODEC_INTERNAL_H
#define GW_CODEC_INTERNAL_H

#include "codec/codec.h"

#include <stddef.h>
#include <stdint.h>

/* Nesting guard for recursion over values and types that came from elsewhere. */
#define GW__CODEC_MAX_RECURSION 64

/* Options or the defaults when `o` is NULL. */
const gw_codec_opts_t *gw__codec_opts(const gw_codec_opts_t *o);
/* A copy of the options (defaults when NULL) whose zero limits take the default limits. */
gw_codec_opts_t gw__codec_opts_limits(const gw_codec_opts_t *o);

/* 1 when `s` is 8 ASCII digits forming a real date 0001-01-01..9999-12-31. */
int gw__codec_date_valid(gw_slice_t s);
/* 1 when `s` is 6 ASCII digits forming a time 00:00:00..23:59:59 or 24:00:00. */
int gw__codec_time_valid(gw_slice_t s);
/* 1 when `s` is 8 zeros (the initial date). */
int gw__codec_date_initial(gw_slice_t s);

/* Length of the base64 text (with padding) of `n` bytes. */
size_t gw__codec_b64_len(size_t n);
/* Writes the base64 text of `src` to `dst` (gw__codec_b64_len(n) bytes, no NUL). */
void gw__codec_b64_encode(char *dst, const uint8_t *src, size_t n);
/*
 * Strict RFC 4648 decode (alphabet "+/", padding required, no whitespace,
 * zero pad bits): writes at most n/4*3 bytes to dst, sets *outlen. Returns
 * 0 or -1 when the text is not canonical base64.
 */
int gw__codec_b64_decode(uint8_t *dst, size_t *outlen, const char *src, size_t n);

/*
 * The shortest decimal digits that read back as `x` (finite): digits[0..n)
 * with no leading zero (except for 0 itself, "0"), value = 0.d1d2..dn ×
 * 10^point. Returns n (1..17). `digits` needs room for 18 bytes.
 */
int gw__codec_shortest(double x, char *digits, int *point);

/*
 * Formats a finite double as the shortest text that reads back as the same
 * double, in the style of ECMAScript Number::toString ("0.1", "100",
 * "1e+21", "5e-324", "-0") except that integral values of 10^18 and more
 * take an exponent ("1e+20"), so that no JSON parser reads them as an
 * overflowing integer. `buf` needs 32 bytes; returns the length.
 */
int gw__codec_fmt_double(double x, char *buf);

/* Number of digits a BCD of `t` holds (2L−1; 31 when the length is unknown). */
unsigned gw__codec_bcd_digits(const gw_rfc_typedesc_t *t);

#endif
