/* bigmem.c — zeroed tables on transparent huge pages, and sparse tables
 * zeroed lazily by the kernel (see bigmem.h). */
#include "core/bigmem.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define HUGE_PAGE ((size_t)2 << 20)

void *bigmem_calloc(size_t n, size_t size)
{
    if (size && n > (size_t)-1 / size) return NULL;
    size_t bytes = n * size;
    if (bytes < HUGE_PAGE) return calloc(n ? n : 1, size ? size : 1);
    size_t rounded = (bytes + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
    void *p = NULL;
    if (posix_memalign(&p, HUGE_PAGE, rounded)) return NULL;
#ifdef MADV_HUGEPAGE
    (void)madvise(p, rounded, MADV_HUGEPAGE); /* a hint: ordinary pages when refused */
#endif
    memset(p, 0, rounded);
    return p;
}

void *bigmem_sparse(size_t n, size_t size)
{
    if (!n || !size || n > (size_t)-1 / size) return NULL;
    void *p = mmap(NULL, n * size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

void bigmem_sparse_free(void *p, size_t n, size_t size)
{
    if (p) munmap(p, n * size);
}
