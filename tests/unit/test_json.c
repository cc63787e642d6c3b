/* test_json.c — the strict request-body decoder (core/json.c): every kind of
 * bad input is refused with WS_EINVAL (or WS_ETOOBIG) and names the field a
 * person has to fix; good input lands in the struct with its presence bits.
 * Also core/buf.h's str_append_utf8: text cut to a byte budget never ends in
 * half a character. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/json.h"

typedef struct body {
    const char *name;
    int64_t count;
    bool flag;
    double ratio;
    int64_t at;
    int64_t unit_id;
    json_t *tags;
    json_t *extra;
    const char *note;
} body;

enum { F_NAME, F_COUNT, F_FLAG, F_RATIO, F_AT, F_UNIT, F_TAGS, F_EXTRA, F_NOTE };

static const json_field fields[] = {
    {"name", JF_STRING, true, false, offsetof(body, name), 8, 0, 0, -1},
    {"count", JF_INT, false, false, offsetof(body, count), 0, -5, 100, -1},
    {"flag", JF_BOOL, false, false, offsetof(body, flag), 0, 0, 0, -1},
    {"ratio", JF_NUMBER, false, false, offsetof(body, ratio), 0, 0, 0, -1},
    {"at", JF_TIME, false, false, offsetof(body, at), 0, 0, 0, -1},
    {"unit_id", JF_ID, false, true, offsetof(body, unit_id), 0, 0, 0, -1},
    {"tags", JF_ARRAY, false, false, offsetof(body, tags), 3, 0, 0, -1},
    {"extra", JF_OBJECT, false, false, offsetof(body, extra), 0, 0, 0, -1},
    {"note", JF_STRING, false, true, offsetof(body, note), 0, 0, 0, -1},
};
#define NF (sizeof fields / sizeof fields[0])

/* Decode s; on success the document is released, b and present stay valid
 * only for non-pointer members. */
static ws_err dec(const char *s, body *b, uint64_t *present)
{
    json_t *root = NULL;
    memset(b, 0, sizeof *b);
    ws_err_clear();
    ws_err rc = json_decode_body(s, strlen(s), 4096, fields, NF, b, present, &root);
    if (rc) assert_null(root);
    else assert_non_null(root);
    json_decref(root);
    return rc;
}

#define REFUSED(json, code, field)                                                            \
    do {                                                                                      \
        body b_;                                                                              \
        assert_int_equal(dec(json, &b_, NULL), code);                                         \
        assert_string_equal(ws_err_field(), field);                                           \
        assert_true(strlen(ws_err_message()) > 0);                                            \
    } while (0)

static void good_body_fills_struct(void **state)
{
    (void)state;
    body b;
    uint64_t present = 0;
    json_t *root = NULL;
    const char *s = "{\"name\":\"pump\",\"count\":-5,\"flag\":true,\"ratio\":2,"
                    "\"at\":\"2026-01-31T08:00:00+08:00\",\"unit_id\":7,\"tags\":[1,2],"
                    "\"extra\":{\"a\":1},\"note\":\"x\\ny\"}";
    assert_int_equal(json_decode_body(s, strlen(s), 0, fields, NF, &b, &present, &root), WS_OK);
    assert_string_equal(b.name, "pump");
    assert_int_equal(b.count, -5);
    assert_true(b.flag);
    assert_true(b.ratio == 2.0);
    assert_int_equal(b.at, 1769817600000LL); /* 2026-01-31T00:00:00Z */
    assert_int_equal(b.unit_id, 7);
    assert_int_equal(json_array_size(b.tags), 2);
    assert_true(json_is_object(b.extra));
    assert_string_equal(b.note, "x\ny");
    assert_int_equal(present, (1u << NF) - 1);
    json_decref(root);
}

static void present_bits_follow_table_order(void **state)
{
    (void)state;
    body b;
    uint64_t present = 0;
    assert_int_equal(dec("{\"unit_id\":null,\"name\":\"a\"}", &b, &present), WS_OK);
    assert_int_equal(present, (1u << F_NAME) | (1u << F_UNIT));
    assert_int_equal(b.unit_id, 0); /* null on a nullable id: present, zero */
    assert_int_equal(dec("{\"name\":\"a\",\"note\":null}", &b, &present), WS_OK);
    assert_int_equal(present, (1u << F_NAME) | (1u << F_NOTE));
    assert_null(b.note);
}

static void malformed_json_names_body_with_position(void **state)
{
    (void)state;
    body b;
    assert_int_equal(dec("{\"name\":\"a\",\n \"count\": }", &b, NULL), WS_EINVAL);
    assert_string_equal(ws_err_field(), "body");
    assert_non_null(strstr(ws_err_message(), "malformed JSON at line 2 column"));
    REFUSED("", WS_EINVAL, "body");
    REFUSED("{\"name\":\"a\"} trailing", WS_EINVAL, "body");
    REFUSED("{\"name\":\"a\",}", WS_EINVAL, "body");
    REFUSED("{'name':'a'}", WS_EINVAL, "body");
}

static void bad_utf8_nul_and_duplicates_are_refused(void **state)
{
    (void)state;
    body b;
    assert_int_equal(dec("{\"name\":\"\xff\xfe\"}", &b, NULL), WS_EINVAL);
    assert_string_equal(ws_err_field(), "body");
    assert_non_null(strstr(ws_err_message(), "UTF-8"));
    /* overlong encoding of '/' and a lone surrogate */
    REFUSED("{\"name\":\"\xc0\xaf\"}", WS_EINVAL, "body");
    REFUSED("{\"name\":\"\\ud800\"}", WS_EINVAL, "body");
    REFUSED("{\"name\":\"a\\u0000b\"}", WS_EINVAL, "body");
    assert_int_equal(dec("{\"name\":\"a\",\"name\":\"b\"}", &b, NULL), WS_EINVAL);
    assert_string_equal(ws_err_field(), "body");
    assert_non_null(strstr(ws_err_message(), "duplicate"));
    /* a raw NUL byte inside the buffer (len counts it) */
    json_t *root = NULL;
    static const char nul[] = "{\"name\":\"a\0b\"}";
    assert_int_equal(json_decode_body(nul, sizeof nul - 1, 0, fields, NF, &b, NULL, &root),
                     WS_EINVAL);
    assert_null(root);
}

static void top_level_must_be_object(void **state)
{
    (void)state;
    REFUSED("[]", WS_EINVAL, "body");
    REFUSED("\"name\"", WS_EINVAL, "body");
    REFUSED("42", WS_EINVAL, "body");
    REFUSED("null", WS_EINVAL, "body");
}

static void unknown_and_missing_fields_are_named(void **state)
{
    (void)state;
    body b;
    assert_int_equal(dec("{\"name\":\"a\",\"colour\":\"red\"}", &b, NULL), WS_EINVAL);
    assert_string_equal(ws_err_field(), "colour");
    assert_string_equal(ws_err_message(), "unknown field");
    assert_int_equal(dec("{\"count\":1}", &b, NULL), WS_EINVAL);
    assert_string_equal(ws_err_field(), "name");
    assert_non_null(strstr(ws_err_message(), "required"));
    REFUSED("{}", WS_EINVAL, "name");
    /* an empty key still names something a person can find */
    REFUSED("{\"\":1,\"name\":\"a\"}", WS_EINVAL, "body");
}

/* The helpers of hand-read bodies: unknown members and optional text. */
static void known_keys_and_opt_text(void **state)
{
    (void)state;
    static const char *const keys[] = {"note", "amount", NULL};
    json_t *o = json_loads("{\"note\":\"ok\",\"amount\":1}", 0, NULL);
    assert_int_equal(json_known_keys(o, NULL, keys), WS_OK);
    json_object_set_new(o, "notes", json_string("typo"));
    assert_int_equal(json_known_keys(o, NULL, keys), WS_EINVAL);
    assert_string_equal(ws_err_field(), "notes");
    assert_int_equal(json_known_keys(o, "items[3]", keys), WS_EINVAL);
    assert_string_equal(ws_err_field(), "items[3].notes");
    json_object_del(o, "notes");
    json_object_set_new(o, "", json_integer(1));
    assert_int_equal(json_known_keys(o, NULL, keys), WS_EINVAL);
    assert_string_equal(ws_err_field(), "body");
    json_object_del(o, "");
    const char *s = "unset";
    assert_int_equal(json_opt_text(o, "note", "note", &s), WS_OK);
    assert_string_equal(s, "ok");
    assert_int_equal(json_opt_text(o, "absent", "absent", &s), WS_OK);
    assert_null(s);
    json_object_set_new(o, "note", json_null());
    assert_int_equal(json_opt_text(o, "note", "note", &s), WS_OK);
    assert_null(s);
    assert_int_equal(json_opt_text(o, "amount", "items[0].amount", &s), WS_EINVAL);
    assert_string_equal(ws_err_field(), "items[0].amount");
    json_decref(o);
}

static void wrong_types_are_named(void **state)
{
    (void)state;
    REFUSED("{\"name\":5}", WS_EINVAL, "name");
    REFUSED("{\"name\":null}", WS_EINVAL, "name"); /* not nullable */
    REFUSED("{\"name\":\"a\",\"count\":\"5\"}", WS_EINVAL, "count");
    REFUSED("{\"name\":\"a\",\"count\":1.5}", WS_EINVAL, "count");
    REFUSED("{\"name\":\"a\",\"count\":1.0}", WS_EINVAL, "count");
    REFUSED("{\"name\":\"a\",\"flag\":1}", WS_EINVAL, "flag");
    REFUSED("{\"name\":\"a\",\"ratio\":\"1\"}", WS_EINVAL, "ratio");
    REFUSED("{\"name\":\"a\",\"at\":\"yesterday\"}", WS_EINVAL, "at");
    REFUSED("{\"name\":\"a\",\"at\":\"2026-02-30T00:00:00Z\"}", WS_EINVAL, "at");
    REFUSED("{\"name\":\"a\",\"at\":\"2026-01-31T08:00:00\"}", WS_EINVAL, "at"); /* no offset */
    REFUSED("{\"name\":\"a\",\"at\":1769817600000}", WS_EINVAL, "at");
    REFUSED("{\"name\":\"a\",\"unit_id\":0}", WS_EINVAL, "unit_id");
    REFUSED("{\"name\":\"a\",\"unit_id\":-3}", WS_EINVAL, "unit_id");
    REFUSED("{\"name\":\"a\",\"unit_id\":\"7\"}", WS_EINVAL, "unit_id");
    REFUSED("{\"name\":\"a\",\"tags\":{}}", WS_EINVAL, "tags");
    REFUSED("{\"name\":\"a\",\"extra\":[]}", WS_EINVAL, "extra");
    REFUSED("{\"name\":\"a\",\"flag\":null}", WS_EINVAL, "flag");
}

static void string_length_is_counted_in_bytes(void **state)
{
    (void)state;
    body b;
    assert_int_equal(dec("{\"name\":\"12345678\"}", &b, NULL), WS_OK); /* exactly 8 */
    assert_int_equal(dec("{\"name\":\"123456789\"}", &b, NULL), WS_EINVAL); /* 9 */
    assert_string_equal(ws_err_field(), "name");
    assert_non_null(strstr(ws_err_message(), "longer than 8 bytes"));
    /* 安全 is 6 bytes: fits; 安全生 is 9 bytes: two characters too many for 8 */
    assert_int_equal(dec("{\"name\":\"安全\"}", &b, NULL), WS_OK);
    assert_int_equal(dec("{\"name\":\"安全生\"}", &b, NULL), WS_EINVAL);
    assert_string_equal(ws_err_field(), "name");
    /* escapes count as the bytes they decode to: \u5b89 is 3 bytes */
    assert_int_equal(dec("{\"name\":\"\\u5b89\\u5168ab\"}", &b, NULL), WS_OK);
    assert_int_equal(dec("{\"name\":\"\\u5b89\\u5168abc\"}", &b, NULL), WS_EINVAL);
    /* default cap 255 bytes on note */
    char big[400];
    char s[300];
    memset(s, 'x', 255);
    s[255] = 0;
    snprintf(big, sizeof big, "{\"name\":\"a\",\"note\":\"%s\"}", s);
    assert_int_equal(dec(big, &b, NULL), WS_OK);
    snprintf(big, sizeof big, "{\"name\":\"a\",\"note\":\"%sx\"}", s);
    assert_int_equal(dec(big, &b, NULL), WS_EINVAL);
    assert_string_equal(ws_err_field(), "note");
    assert_non_null(strstr(ws_err_message(), "255"));
}

static void integer_bounds_are_inclusive(void **state)
{
    (void)state;
    body b;
    assert_int_equal(dec("{\"name\":\"a\",\"count\":-5}", &b, NULL), WS_OK);
    assert_int_equal(b.count, -5);
    assert_int_equal(dec("{\"name\":\"a\",\"count\":100}", &b, NULL), WS_OK);
    assert_int_equal(b.count, 100);
    REFUSED("{\"name\":\"a\",\"count\":-6}", WS_EINVAL, "count");
    REFUSED("{\"name\":\"a\",\"count\":101}", WS_EINVAL, "count");
    /* ids cover the whole positive int64 range; beyond it is malformed */
    assert_int_equal(dec("{\"name\":\"a\",\"unit_id\":9223372036854775807}", &b, NULL), WS_OK);
    assert_int_equal(b.unit_id, INT64_MAX);
    REFUSED("{\"name\":\"a\",\"unit_id\":9223372036854775808}", WS_EINVAL, "body");
}

static void any_int64_when_no_bounds(void **state)
{
    (void)state;
    typedef struct { int64_t v; } one;
    static const json_field f[] = {{"v", JF_INT, true, false, offsetof(one, v), 0, 0, 0, -1}};
    one o;
    json_t *root = NULL;
    const char *s = "{\"v\":-9223372036854775808}";
    assert_int_equal(json_decode_body(s, strlen(s), 0, f, 1, &o, NULL, &root), WS_OK);
    assert_true(o.v == INT64_MIN);
    json_decref(root);
    s = "{\"v\":9223372036854775807}";
    assert_int_equal(json_decode_body(s, strlen(s), 0, f, 1, &o, NULL, &root), WS_OK);
    assert_true(o.v == INT64_MAX);
    json_decref(root);
}

static void array_item_cap(void **state)
{
    (void)state;
    body b;
    assert_int_equal(dec("{\"name\":\"a\",\"tags\":[1,2,3]}", &b, NULL), WS_OK);
    REFUSED("{\"name\":\"a\",\"tags\":[1,2,3,4]}", WS_EINVAL, "tags");
}

static void body_cap_is_too_big(void **state)
{
    (void)state;
    body b;
    json_t *root = NULL;
    const char *s = "{\"name\":\"abc\"}"; /* 14 bytes */
    ws_err_clear();
    assert_int_equal(json_decode_body(s, 14, 14, fields, NF, &b, NULL, &root), WS_OK);
    json_decref(root);
    assert_int_equal(json_decode_body(s, 14, 13, fields, NF, &b, NULL, &root), WS_ETOOBIG);
    assert_null(root);
    assert_string_equal(ws_err_field(), "body");
}

static void reply_helpers(void **state)
{
    (void)state;
    json_t *o = json_object();
    json_object_set_new(o, "z", json_str(NULL));
    json_object_set_new(o, "a", json_str("安全"));
    json_object_set_new(o, "id0", json_id(0));
    json_object_set_new(o, "id", json_id(12));
    json_object_set_new(o, "n", json_int(0));
    json_object_set_new(o, "t", json_time(1769817600000LL));
    json_object_set_new(o, "t0", json_time(0));
    json_object_set_new(o, "bad", json_str("a\xff" "b"));
    char *s = json_dump_compact(o);
    assert_string_equal(s, "{\"z\":null,\"a\":\"安全\",\"id0\":null,\"id\":12,\"n\":0,"
                           "\"t\":\"2026-01-31T00:00:00.000Z\",\"t0\":null,"
                           "\"bad\":\"a\xef\xbf\xbd" "b\"}");
    free(s);
    json_decref(o);
}

/* Reals go out as the shortest text that reads back as the same double:
 * 19.1 stored is "19.1", not jansson's "19.100000000000001"; a computed value
 * that needs 17 digits keeps them; digits inside strings are left alone. */
static void reals_are_shortest_round_trip(void **state)
{
    (void)state;
    double third = 1.0 / 3.0, sum = 0.1 + 0.2, big = 1.2e16, tiny = -1.1e-7;
    json_t *a = json_pack("[f,f,f,f,f,f,f,I,s,{s:f}]", 19.1, 11.2, 56.0, third, sum, big, tiny,
                          (json_int_t)12345678901234567LL, "19.100000000000001", "k\"0.1", 0.1);
    char *s = json_dump_compact(a);
    assert_string_equal(s, "[19.1,11.2,56.0,0.3333333333333333,0.30000000000000004,1.2e+16,-1.1e-07,"
                           "12345678901234567,\"19.100000000000001\",{\"k\\\"0.1\":0.1}]");
    json_t *back = json_loads(s, 0, NULL);
    assert_non_null(back);
    assert_true(json_real_value(json_array_get(back, 3)) == third);
    assert_true(json_real_value(json_array_get(back, 4)) == sum);
    assert_true(json_real_value(json_array_get(back, 5)) == big);
    json_decref(back);
    free(s);
    json_decref(a);
}

static void utf8_cut_keeps_whole_characters(void **state)
{
    (void)state;
    char out[16] = "R:";
    str_append_utf8(out, sizeof out, "安全生产", 7); /* 3 bytes a character: two fit */
    assert_string_equal(out, "R:安全");
    str_append_utf8(out, sizeof out, "管理制度", 100); /* the cap: 8 bytes in all + NUL */
    assert_string_equal(out, "R:安全管理");
    char a[8] = "";
    str_append_utf8(a, sizeof a, "GT-101 H", 6);
    assert_string_equal(a, "GT-101");
    str_append_utf8(a, sizeof a, "xyz", 3); /* one byte of room left */
    assert_string_equal(a, "GT-101x");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(good_body_fills_struct),
        cmocka_unit_test(utf8_cut_keeps_whole_characters),
        cmocka_unit_test(present_bits_follow_table_order),
        cmocka_unit_test(malformed_json_names_body_with_position),
        cmocka_unit_test(bad_utf8_nul_and_duplicates_are_refused),
        cmocka_unit_test(top_level_must_be_object),
        cmocka_unit_test(unknown_and_missing_fields_are_named),
        cmocka_unit_test(wrong_types_are_named),
        cmocka_unit_test(string_length_is_counted_in_bytes),
        cmocka_unit_test(integer_bounds_are_inclusive),
        cmocka_unit_test(any_int64_when_no_bounds),
        cmocka_unit_test(array_item_cap),
        cmocka_unit_test(body_cap_is_too_big),
        cmocka_unit_test(reply_helpers),
        cmocka_unit_test(reals_are_shortest_round_trip),
        cmocka_unit_test(known_keys_and_opt_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
