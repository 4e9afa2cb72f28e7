// Counts heap allocations for benchmarks: LD_PRELOAD it and read `trellis_malloc_calls`
// through dlsym. Forwards to glibc's __libc_* entry points, so no dlsym inside malloc.
//   cc -O2 -shared -fPIC -o /tmp/libtrellis-malloc-count.so scripts/malloc-count.c
//   LD_PRELOAD=/tmp/libtrellis-malloc-count.so TRELLIS_BENCH=1 swift test --filter DNSWireBenchmark
#include <stddef.h>
#include <errno.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

unsigned long long trellis_malloc_calls = 0;

static inline void count(void) { __atomic_fetch_add(&trellis_malloc_calls, 1, __ATOMIC_RELAXED); }

void *malloc(size_t n) { count(); return __libc_malloc(n); }
void *calloc(size_t a, size_t b) { count(); return __libc_calloc(a, b); }
void *realloc(void *p, size_t n) { count(); return __libc_realloc(p, n); }
void *memalign(size_t a, size_t n) { count(); return __libc_memalign(a, n); }
void *aligned_alloc(size_t a, size_t n) { count(); return __libc_memalign(a, n); }
int posix_memalign(void **out, size_t a, size_t n) {
    count();
    void *p = __libc_memalign(a, n);
    if (!p) return ENOMEM;
    *out = p;
    return 0;
}
