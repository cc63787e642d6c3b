/* hub.c — the broadcast ring behind live streams; see hub.h.
 *
 * Slots: each holds a stamp and the record as 64-bit words, all atomics
 * (relaxed), so a reader racing the publisher on a slot is well defined.
 * The stamp is a seqlock: 2*seq+1 while the publisher writes the slot,
 * 2*seq when the record of seq is complete. A reader checks the stamp
 * before and after copying; a changed stamp means the ring lapped it (the
 * record is lost to this reader, counted, and it moves on).
 *
 * Parking: the publisher stores `last` and then loads `nparked`; hub_park
 * raises `nparked` and then loads `last` (both sequentially consistent), so
 * of a publish racing a park at least one side sees the other: either the
 * park sees the new record (and does not park) or the publisher sees the
 * parked subscriber (and takes the mutex to wake it). When nobody is parked
 * a publish takes no lock at all. */
#include "core/hub.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct hub {
    size_t rec_size, words, cap, mask;
    uint64_t first;              /* sequence of the first record */
    _Atomic uint64_t last;       /* newest complete record, first - 1 when none */
    _Atomic uint64_t *slots;     /* cap * (1 + words) */
    pthread_mutex_t mu;          /* guards the parked list */
    hub_sub *parked;
    _Atomic size_t nparked;
    _Atomic uint64_t wakes;
};

static _Atomic uint64_t *slot_of(const hub *h, uint64_t seq)
{
    return h->slots + (size_t)(seq & h->mask) * (1 + h->words);
}

ws_err hub_new(size_t rec_size, size_t capacity, hub **out)
{
    *out = NULL;
    if (rec_size < 1 || rec_size > 4096)
        return ws_fail(WS_EINVAL, "rec_size", "hub records are 1..4096 bytes");
    if (capacity < 2 || capacity > ((size_t)1 << 20) || (capacity & (capacity - 1)))
        return ws_fail(WS_EINVAL, "capacity", "hub capacity must be a power of two, 2..1048576");
    hub *h = calloc(1, sizeof *h);
    if (!h) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    h->rec_size = rec_size;
    h->words = (rec_size + 7) / 8;
    h->cap = capacity;
    h->mask = capacity - 1;
    h->slots = calloc(capacity * (1 + h->words), sizeof *h->slots);
    if (!h->slots) {
        free(h);
        return ws_fail(WS_ENOMEM, NULL, "out of memory");
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    h->first = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
    if (h->first < 1) h->first = 1;
    atomic_init(&h->last, h->first - 1);
    pthread_mutex_init(&h->mu, NULL);
    *out = h;
    return WS_OK;
}

void hub_free(hub *h)
{
    if (!h) return;
    pthread_mutex_destroy(&h->mu);
    free(h->slots);
    free(h);
}

size_t hub_rec_size(const hub *h) { return h->rec_size; }
size_t hub_capacity(const hub *h) { return h->cap; }
uint64_t hub_first_seq(const hub *h) { return h->first; }
uint64_t hub_last(const hub *h) { return atomic_load((_Atomic uint64_t *)&h->last); }
uint64_t hub_wakes(const hub *h) { return atomic_load((_Atomic uint64_t *)&h->wakes); }

/* ---- publishing ----------------------------------------------------------- */

static void put(hub *h, uint64_t seq, const void *rec)
{
    _Atomic uint64_t *s = slot_of(h, seq);
    atomic_store_explicit(&s[0], seq * 2 + 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    const unsigned char *p = rec;
    size_t full = h->rec_size / 8;
    for (size_t i = 0; i < full; i++) {
        uint64_t w;
        memcpy(&w, p + i * 8, 8);
        atomic_store_explicit(&s[1 + i], w, memory_order_relaxed);
    }
    if (full < h->words) {
        uint64_t w = 0;
        memcpy(&w, p + full * 8, h->rec_size - full * 8);
        atomic_store_explicit(&s[1 + full], w, memory_order_relaxed);
    }
    atomic_store_explicit(&s[0], seq * 2, memory_order_release);
}

static void unlink_sub(hub *h, hub_sub *s)
{
    if (s->prev) s->prev->next = s->next;
    else h->parked = s->next;
    if (s->next) s->next->prev = s->prev;
    s->prev = s->next = NULL;
    atomic_store(&s->parked, false);
    atomic_fetch_sub(&h->nparked, 1);
}

/* One wake round for the records first..last (their copies at recs). */
static void wake_round(hub *h, const unsigned char *recs, uint64_t first, uint64_t last)
{
    if (atomic_load(&h->nparked) == 0) return;
    pthread_mutex_lock(&h->mu);
    hub_sub *s = h->parked;
    while (s) {
        hub_sub *next = s->next;
        for (uint64_t q = first; q <= last; q++) {
            if (s->cursor > q) continue;
            if (s->wake(s->arg, recs + (size_t)(q - first) * h->rec_size)) {
                unlink_sub(h, s);
                atomic_fetch_add_explicit(&h->wakes, 1, memory_order_relaxed);
                break;
            }
            /* Declined: skip it, so a long-parked filter never reads as lost. */
            if (s->cursor == q) s->cursor = q + 1;
        }
        s = next;
    }
    pthread_mutex_unlock(&h->mu);
}

uint64_t hub_publish_n(hub *h, const void *recs, size_t n)
{
    uint64_t last = atomic_load_explicit(&h->last, memory_order_relaxed);
    if (n == 0) return last;
    const unsigned char *p = recs;
    uint64_t first = last + 1;
    for (size_t i = 0; i < n; i++) {
        put(h, first + i, p + i * h->rec_size);
        /* Publish each as it lands, so readers in a long burst keep up. */
        atomic_store(&h->last, first + i);
    }
    wake_round(h, p, first, first + n - 1);
    return first + n - 1;
}

uint64_t hub_publish(hub *h, const void *rec) { return hub_publish_n(h, rec, 1); }

/* ---- subscribers ----------------------------------------------------------- */

void hub_subscribe(hub *h, hub_sub *s, uint64_t after, bool *gap)
{
    memset(s, 0, sizeof *s);
    atomic_init(&s->parked, false);
    uint64_t last = hub_last(h);
    bool g = false;
    if (after == 0) {
        s->cursor = last + 1;
    } else {
        uint64_t oldest = last + 1 >= h->first + h->cap ? last + 1 - h->cap : h->first;
        if (after + 1 >= oldest && after <= last) {
            s->cursor = after + 1;
        } else {
            s->cursor = last + 1;
            g = true;
        }
    }
    if (gap) *gap = g;
}

void hub_unsubscribe(hub *h, hub_sub *s)
{
    pthread_mutex_lock(&h->mu);
    if (atomic_load(&s->parked)) unlink_sub(h, s);
    pthread_mutex_unlock(&h->mu);
}

bool hub_park(hub *h, hub_sub *s, hub_wake_fn wake, void *arg)
{
    pthread_mutex_lock(&h->mu);
    s->wake = wake;
    s->arg = arg;
    if (!atomic_load(&s->parked)) {
        s->prev = NULL;
        s->next = h->parked;
        if (h->parked) h->parked->prev = s;
        h->parked = s;
        atomic_store(&s->parked, true);
        atomic_fetch_add(&h->nparked, 1); /* before reading last: see the header comment */
    }
    bool waiting = atomic_load(&h->last) >= s->cursor;
    if (waiting) unlink_sub(h, s);
    pthread_mutex_unlock(&h->mu);
    return !waiting;
}

int hub_read(hub *h, hub_sub *s, void *out, uint64_t *seq, uint64_t *lost)
{
    *lost = 0;
    if (atomic_load(&s->parked)) hub_unsubscribe(h, s);
    for (;;) {
        uint64_t last = atomic_load_explicit(&h->last, memory_order_acquire);
        if (s->cursor > last) return 0;
        if (last - s->cursor >= h->cap) {
            uint64_t oldest = last - h->cap + 1;
            *lost += oldest - s->cursor;
            s->cursor = oldest;
        }
        _Atomic uint64_t *sl = slot_of(h, s->cursor);
        uint64_t st = atomic_load_explicit(&sl[0], memory_order_acquire);
        if (st != s->cursor * 2) { /* lapped while we looked */
            (*lost)++;
            s->cursor++;
            continue;
        }
        unsigned char *o = out;
        size_t full = h->rec_size / 8;
        for (size_t i = 0; i < full; i++) {
            uint64_t w = atomic_load_explicit(&sl[1 + i], memory_order_relaxed);
            memcpy(o + i * 8, &w, 8);
        }
        if (full < h->words) {
            uint64_t w = atomic_load_explicit(&sl[1 + full], memory_order_relaxed);
            memcpy(o + full * 8, &w, h->rec_size - full * 8);
        }
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(&sl[0], memory_order_relaxed) != st) {
            (*lost)++;
            s->cursor++;
            continue;
        }
        *seq = s->cursor++;
        return 1;
    }
}
