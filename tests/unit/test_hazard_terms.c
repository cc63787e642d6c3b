/* test_hazard_terms.c — the search terms of hidden dangers (hazard_terms_of):
 * what a user types must produce the terms the record was indexed with.
 * CJK runs give their bigrams (a lone character itself), ASCII words are
 * lower-cased whole words, everything else separates, duplicates collapse,
 * and the output is bounded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "hazard/hazard.h"

static int terms(const char *s, char (*t)[64], int max) { return hazard_terms_of(s, t, max); }

static void cjk_bigrams(void **state)
{
    (void)state;
    char t[16][64];
    int n = terms("储罐法兰泄漏", t, 16);
    assert_int_equal(n, 5);
    assert_string_equal(t[0], "储罐");
    assert_string_equal(t[2], "法兰");
    assert_string_equal(t[3], "兰泄");
    assert_string_equal(t[4], "泄漏");
    /* Punctuation splits runs; a lone character is its own term. */
    n = terms("罐，A", t, 16);
    assert_int_equal(n, 2);
    assert_string_equal(t[0], "罐");
    assert_string_equal(t[1], "a");
}

static void words_lowered_and_deduplicated(void **state)
{
    (void)state;
    char t[16][64];
    int n = terms("P-305B pump PUMP 泄漏 泄漏", t, 16);
    assert_int_equal(n, 4);
    assert_string_equal(t[0], "p");
    assert_string_equal(t[1], "305b");
    assert_string_equal(t[2], "pump");
    assert_string_equal(t[3], "泄漏");
}

static void query_terms_are_a_subset(void **state)
{
    (void)state;
    char doc[64][64], q[8][64];
    int nd = terms("YH-2026-000123 2# 鹤位静电接地夹损坏 装卸站", doc, 64);
    int nq = terms("接地 鹤位", q, 8);
    assert_int_equal(nq, 2);
    for (int i = 0; i < nq; i++) {
        bool found = false;
        for (int j = 0; j < nd; j++) found |= !strcmp(q[i], doc[j]);
        assert_true(found);
    }
}

static void bounded(void **state)
{
    (void)state;
    char t[3][64];
    assert_int_equal(terms("一二三四五六七八", t, 3), 3);
    char longw[200];
    memset(longw, 'x', sizeof longw - 1);
    longw[sizeof longw - 1] = 0;
    assert_int_equal(terms(longw, t, 3), 1);
    assert_int_equal(strlen(t[0]), 32);
    assert_int_equal(terms("", t, 3), 0);
    assert_int_equal(terms(NULL, t, 3), 0);
    assert_int_equal(terms("%_!.,", t, 3), 0);
    /* Invalid UTF-8 never reads past the end. */
    assert_true(terms("\xe5\xad", t, 3) <= 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cjk_bigrams),
        cmocka_unit_test(words_lowered_and_deduplicated),
        cmocka_unit_test(query_terms_are_a_subset),
        cmocka_unit_test(bounded),
    };
    return cmocka_run_group_tests_name("hazard_terms", tests, NULL, NULL);
}
