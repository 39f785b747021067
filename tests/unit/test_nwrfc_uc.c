/*
 * Unit tests of backend/nwrfc_uc: UTF-8 ↔ UTF-16 for the SAP NW RFC SDK's
 * SAP_UC strings. Code units are checked against hand-computed UTF-16,
 * invalid UTF-8 is refused (never half-converted), short buffers are
 * reported, and broken UTF-16 from a backend comes out as U+FFFD.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "backend/nwrfc_uc.h"
#include "error/error.h"

#include <string.h>

#define SL(s) GW_SLICE_LIT(s)

static void test_ascii_and_umlauts(void **state)
{
    (void)state;
    uint16_t out[32];
    assert_int_equal(gw_nwrfc_utf16_len(SL("abc")), 3);
    assert_int_equal(gw_nwrfc_to_utf16(SL("abc"), out, 32), 3);
    assert_int_equal(out[0], 'a');
    assert_int_equal(out[2], 'c');
    assert_int_equal(out[3], 0);
    /* ten characters, twenty UTF-8 bytes: CHAR(10) counts UTF-16 units */
    gw_slice_t u = SL("ÄÖÜäöüßéèê");
    assert_int_equal(u.len, 20);
    assert_int_equal(gw_nwrfc_utf16_len(u), 10);
    assert_int_equal(gw_nwrfc_to_utf16(u, out, 32), 10);
    assert_int_equal(out[0], 0x00c4);
    assert_int_equal(out[6], 0x00df);
    assert_int_equal(out[9], 0x00ea);
    /* three-byte characters */
    assert_int_equal(gw_nwrfc_to_utf16(SL("€漢"), out, 32), 2);
    assert_int_equal(out[0], 0x20ac);
    assert_int_equal(out[1], 0x6f22);
    assert_int_equal(gw_nwrfc_utf16_len(SL("")), 0);
    assert_int_equal(gw_nwrfc_to_utf16(SL(""), out, 1), 0);
    assert_int_equal(out[0], 0);
}

static void test_surrogate_pairs(void **state)
{
    (void)state;
    uint16_t out[8];
    gw_slice_t s = SL("a\xf0\x9f\x98\x80z"); /* U+1F600 */
    assert_int_equal(gw_nwrfc_utf16_len(s), 4);
    assert_int_equal(gw_nwrfc_to_utf16(s, out, 8), 4);
    assert_int_equal(out[1], 0xd83d);
    assert_int_equal(out[2], 0xde00);
    gw_arena_t a;
    gw_arena_init(&a, 0);
    gw_slice_t back;
    assert_int_equal(gw_nwrfc_from_utf16(&a, out, 4, &back), 0);
    assert_int_equal(back.len, s.len);
    assert_memory_equal(back.ptr, s.ptr, s.len);
    /* U+10FFFF, the last code point */
    assert_int_equal(gw_nwrfc_to_utf16(SL("\xf4\x8f\xbf\xbf"), out, 8), 2);
    assert_int_equal(out[0], 0xdbff);
    assert_int_equal(out[1], 0xdfff);
    gw_arena_free(&a);
}

static void test_invalid_utf8(void **state)
{
    (void)state;
    uint16_t out[8] = {1, 1, 1};
    const gw_slice_t bad[] = {
        SL("\xc0\x80"),         /* overlong NUL */
        SL("\xe0\x80\xaf"),     /* overlong '/' */
        SL("\x80"),             /* lone continuation byte */
        SL("ab\xe2\x82"),       /* truncated at the end */
        SL("\xe2\x28\xa1"),     /* bad continuation */
        SL("\xed\xa0\x80"),     /* a surrogate encoded in UTF-8 */
        SL("\xf4\x90\x80\x80"), /* past U+10FFFF */
        SL("\xff"),
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(gw_nwrfc_utf16_len(bad[i]), -1);
        assert_int_equal(gw_nwrfc_to_utf16(bad[i], out, 8), -1);
        assert_int_equal(out[0], 0); /* nothing half-converted is left behind */
    }
}

static void test_short_buffer(void **state)
{
    (void)state;
    uint16_t out[4] = {7, 7, 7, 7};
    /* three units need four places with the terminator */
    assert_int_equal(gw_nwrfc_to_utf16(SL("abc"), out, 3), -2);
    assert_int_equal(out[0], 0);
    assert_int_equal(gw_nwrfc_to_utf16(SL("abc"), out, 4), 3);
    /* a surrogate pair is never split */
    assert_int_equal(gw_nwrfc_to_utf16(SL("a\xf0\x9f\x98\x80"), out, 3), -2);
    assert_int_equal(gw_nwrfc_to_utf16(SL("abc"), out, 0), -2);
}

static void test_from_utf16_lenient(void **state)
{
    (void)state;
    gw_arena_t a;
    gw_arena_init(&a, 0);
    gw_slice_t s;
    const uint16_t lone_high[] = {'x', 0xd800, 'y'};
    assert_int_equal(gw_nwrfc_from_utf16(&a, lone_high, 3, &s), 0);
    assert_int_equal(s.len, 5);
    assert_memory_equal(s.ptr, "x\xef\xbf\xbdy", 5);
    const uint16_t lone_low_at_end[] = {0xdc00};
    assert_int_equal(gw_nwrfc_from_utf16(&a, lone_low_at_end, 1, &s), 0);
    assert_string_equal(s.ptr, "\xef\xbf\xbd");
    const uint16_t padded[] = {'A', ' ', ' ', 0x00e4};
    assert_int_equal(gw_nwrfc_from_utf16(&a, padded, 4, &s), 0);
    assert_string_equal(s.ptr, "A  \xc3\xa4"); /* blanks are data here; the codec trims */
    assert_int_equal(gw_nwrfc_from_utf16(&a, padded, 0, &s), 0);
    assert_int_equal(s.len, 0);
    gw_arena_free(&a);
}

static void test_bounded_length_and_copy(void **state)
{
    (void)state;
    const uint16_t name[] = {'W', 'S', 'H', 'O', 'S', 'T', 0, 'X'};
    assert_int_equal(gw_nwrfc_uclen(name, 8), 6);
    assert_int_equal(gw_nwrfc_uclen(name, 3), 3); /* never past max, NUL or not */
    char out[8];
    gw_nwrfc_uc_copy(out, sizeof(out), name, 8);
    assert_string_equal(out, "WSHOST");
    const uint16_t umlauts[] = {0x00e4, 0x00f6, 0x00fc, 0};
    char small[6]; /* room for two 2-byte characters and the NUL, not three */
    gw_nwrfc_uc_copy(small, sizeof(small), umlauts, 4);
    assert_string_equal(small, "\xc3\xa4\xc3\xb6");
    gw_nwrfc_uc_copy(small, 1, umlauts, 4);
    assert_string_equal(small, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ascii_and_umlauts),  cmocka_unit_test(test_surrogate_pairs),
        cmocka_unit_test(test_invalid_utf8),       cmocka_unit_test(test_short_buffer),
        cmocka_unit_test(test_from_utf16_lenient), cmocka_unit_test(test_bounded_length_and_copy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
