/* test_bigmem.c — the two table allocators of src/core/bigmem.c: zeroed
 * huge-page tables (aligned to 2 MiB from 2 MiB up) and sparse tables the
 * kernel zeroes page by page, which cost no memory until they are touched;
 * both refuse a size that overflows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/bigmem.h"

/* Resident set size of this process in KiB, from /proc/self/statm. */
static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long size = 0, res = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &size, &res) != 2) res = 0;
        fclose(f);
    }
    return res * (sysconf(_SC_PAGESIZE) / 1024);
}

static void test_calloc_zeroed_and_aligned(void **state)
{
    (void)state;
    unsigned char *small = bigmem_calloc(100, 3);
    assert_non_null(small);
    for (int i = 0; i < 300; i++) assert_int_equal(small[i], 0);
    free(small);
    size_t n = (5u << 20) / 8 + 3; /* a bit over 5 MiB */
    uint64_t *big = bigmem_calloc(n, 8);
    assert_non_null(big);
    assert_int_equal((uintptr_t)big % (2u << 20), 0);
    for (size_t i = 0; i < n; i += 4099) assert_int_equal(big[i], 0);
    assert_int_equal(big[n - 1], 0);
    big[n - 1] = 7; /* the whole size is writable */
    free(big);
    assert_null(bigmem_calloc(SIZE_MAX / 2, 3));
}

static void test_sparse_lazy(void **state)
{
    (void)state;
    size_t n = 1u << 20, size = 256; /* 256 MiB of address space */
    long before = rss_kib();
    unsigned char *t = bigmem_sparse(n, size);
    assert_non_null(t);
    /* Untouched, it costs no memory; reading a slot maps the zero page. */
    for (size_t i = 0; i < n; i += 997) assert_int_equal(t[i * size + (i % size)], 0);
    assert_true(rss_kib() - before < 64 * 1024);
    /* Writable at both ends; written slots keep their values. */
    memset(t, 0xab, size);
    memset(t + (n - 1) * size, 0xcd, size);
    assert_int_equal(t[0], 0xab);
    assert_int_equal(t[n * size - 1], 0xcd);
    assert_int_equal(t[size], 0);
    bigmem_sparse_free(t, n, size);
    bigmem_sparse_free(NULL, n, size); /* a no-op, as free(NULL) */
    assert_null(bigmem_sparse(SIZE_MAX / 2, 3));
    assert_null(bigmem_sparse(0, 8));
    assert_null(bigmem_sparse(8, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_calloc_zeroed_and_aligned),
        cmocka_unit_test(test_sparse_lazy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
