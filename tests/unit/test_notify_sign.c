/* test_notify_sign.c — the DingTalk robot signature (notify/sign.c) against
 * the two test vectors of INTEGRATIONS.md §1, computed there with Python's
 * hmac/base64/quote_plus, and its bounds: an out buffer one byte short is
 * refused with nothing written, never a truncated signature DingTalk would
 * reject with 310000 "sign not match". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "notify/sign.h"

static void vector_this_is_secret(void **state)
{
    (void)state;
    char out[NOTIFY_SIGN_MAX];
    assert_int_equal(notify_dingtalk_sign("this is secret", INT64_C(1700000000000), out, sizeof out), WS_OK);
    assert_string_equal(out, "sSFWELbV2YwjdDQhWZwTcWlX5BWUx5J6TPpsZmuPii0%3D");
}

static void vector_sec_secret(void **state)
{
    (void)state;
    char out[NOTIFY_SIGN_MAX];
    assert_int_equal(notify_dingtalk_sign("SEC0123456789abcdef", INT64_C(1577836800000), out, sizeof out), WS_OK);
    /* '+' percent-encoded, as Java URLEncoder / Python quote_plus do. */
    assert_string_equal(out, "VIkrYXpqM66nY2agvTap17lAqEfAZw77OqD62%2BMh1G0%3D");
}

static void long_secret_and_other_time(void **state)
{
    (void)state;
    /* A real SEC… secret is 67 bytes, longer than HMAC's 32-byte key form. */
    const char *sec = "SECa6f1b0a1e8c2d3f4a5b6c7d8e9f00112233445566778899aabbccddeeff0011";
    char a[NOTIFY_SIGN_MAX], b[NOTIFY_SIGN_MAX];
    assert_int_equal(notify_dingtalk_sign(sec, INT64_C(1700000000000), a, sizeof a), WS_OK);
    assert_int_equal(notify_dingtalk_sign(sec, INT64_C(1700000000001), b, sizeof b), WS_OK);
    assert_string_not_equal(a, b);
    /* Only the unreserved set and %XX escapes appear. */
    for (const char *p = a; *p; p++)
        assert_true(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.*%", *p) != NULL);
}

static void too_small_out_is_refused(void **state)
{
    (void)state;
    const char *want = "sSFWELbV2YwjdDQhWZwTcWlX5BWUx5J6TPpsZmuPii0%3D";
    size_t need = strlen(want) + 1;
    char out[NOTIFY_SIGN_MAX];
    memset(out, 'x', sizeof out);
    assert_int_equal(notify_dingtalk_sign("this is secret", INT64_C(1700000000000), out, need - 1), WS_ETOOBIG);
    assert_string_equal(out, "");
    assert_int_equal(out[need - 1], 'x'); /* nothing written past cap */
    assert_int_equal(notify_dingtalk_sign("this is secret", INT64_C(1700000000000), out, 0), WS_ETOOBIG);
    assert_int_equal(notify_dingtalk_sign("this is secret", INT64_C(1700000000000), out, need), WS_OK);
    assert_string_equal(out, want);
}

static void bad_input_is_refused(void **state)
{
    (void)state;
    char out[NOTIFY_SIGN_MAX];
    assert_int_equal(notify_dingtalk_sign("", 1, out, sizeof out), WS_EINVAL);
    assert_int_equal(notify_dingtalk_sign(NULL, 1, out, sizeof out), WS_EINVAL);
    assert_int_equal(notify_dingtalk_sign("s", -1, out, sizeof out), WS_EINVAL);
    assert_string_equal(out, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(vector_this_is_secret),
        cmocka_unit_test(vector_sec_secret),
        cmocka_unit_test(long_secret_and_other_time),
        cmocka_unit_test(too_small_out_is_refused),
        cmocka_unit_test(bad_input_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
