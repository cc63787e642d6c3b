/* bigmem.h — zeroed tables the hot path walks in no particular order (open
 * chunks, point caches, rule state), on transparent huge pages where the
 * kernel offers them.
 *
 * Why: with thousands of points each reading lands on another point's
 * state, and with 4 KiB pages every one of those is a TLB miss as well as a
 * cache miss (a nested page walk on a virtual machine). A 2 MiB page covers
 * 512 of them. The kernel's "madvise" mode (Debian's default) only gives
 * huge pages to ranges that ask, so tables of 2 MiB or more are aligned to
 * 2 MiB and ask with madvise(MADV_HUGEPAGE); smaller ones, or a kernel that
 * says no, get ordinary pages. Free with free(). */
#ifndef WS_CORE_BIGMEM_H
#define WS_CORE_BIGMEM_H

#include <stddef.h>

/* calloc(n, size) as above; NULL on overflow or out of memory. */
void *bigmem_calloc(size_t n, size_t size);

/* A sparse table (sized for its worst case, mostly untouched: an
 * open-addressed hash table, or a pool handed out from the front): n * size
 * bytes of anonymous memory that the kernel zeroes page by page as they are
 * first touched, so untouched slots cost neither memory nor time. calloc
 * promises nothing of the kind: under ASan the alarm table's 228 MB calloc,
 * faulted in and cleared at every engine start, was a third of test_warn's
 * CPU. The table must hold no pointers to heap memory (the leak checker does
 * not read it), and ASan does not check its bounds. NULL on overflow or out
 * of memory. Free with bigmem_sparse_free and the same n and size. */
void *bigmem_sparse(size_t n, size_t size);
void bigmem_sparse_free(void *p, size_t n, size_t size);

#endif
