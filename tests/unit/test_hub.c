/* test_hub.c — the broadcast hub of live streams (src/core/hub.c): records
 * in order, resuming from a sequence number a client saw (Last-Event-ID),
 * the count of records a slow reader lost, one wake per park however many
 * records a burst publishes, wake filters that skip records without calling
 * them lost, and, with threads, no torn record, no lost wake and no wake
 * after unsubscribe while a publisher runs flat out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/hub.h"

/* 44 bytes, no padding: not a multiple of 8, so the tail word is exercised. */
typedef struct rec {
    uint32_t n;
    uint32_t fill[10];
} rec;

static rec mk(uint64_t n)
{
    rec r;
    r.n = (uint32_t)n;
    for (int i = 0; i < 10; i++) r.fill[i] = (uint32_t)(n * 2654435761u + (uint64_t)i);
    return r;
}

static void check_rec(const rec *r)
{
    rec w = mk(r->n);
    assert_memory_equal(r, &w, sizeof w);
}

static void test_order_and_resume(void **state)
{
    (void)state;
    hub *h;
    assert_int_equal(hub_new(sizeof(rec), 16, &h), WS_OK);
    assert_int_equal(hub_last(h), hub_first_seq(h) - 1);
    hub_sub live, late;
    bool gap = true;
    hub_subscribe(h, &live, 0, &gap);
    assert_false(gap);
    uint64_t s1 = 0;
    for (uint64_t i = 0; i < 5; i++) {
        rec r = mk(i);
        uint64_t s = hub_publish(h, &r);
        if (i == 0) s1 = s;
        assert_int_equal(s, s1 + i);
    }
    assert_int_equal(s1, hub_first_seq(h));
    rec got;
    uint64_t seq, lost;
    for (uint64_t i = 0; i < 5; i++) {
        assert_int_equal(hub_read(h, &live, &got, &seq, &lost), 1);
        assert_int_equal(lost, 0);
        assert_int_equal(seq, s1 + i);
        assert_int_equal(got.n, i);
        check_rec(&got);
    }
    assert_int_equal(hub_read(h, &live, &got, &seq, &lost), 0);

    /* Last-Event-ID = s1 + 2: records 3 and 4 again. */
    hub_subscribe(h, &late, s1 + 2, &gap);
    assert_false(gap);
    assert_int_equal(hub_read(h, &late, &got, &seq, &lost), 1);
    assert_int_equal(got.n, 3);
    assert_int_equal(seq, s1 + 3);
    /* The newest id: nothing to catch up, no gap. */
    hub_subscribe(h, &late, s1 + 4, &gap);
    assert_false(gap);
    assert_int_equal(hub_read(h, &late, &got, &seq, &lost), 0);
    /* An id from before this process (or from the future): a gap, live from now. */
    hub_subscribe(h, &late, 12345, &gap);
    assert_true(gap);
    assert_int_equal(hub_read(h, &late, &got, &seq, &lost), 0);
    hub_subscribe(h, &late, s1 + 100, &gap);
    assert_true(gap);
    /* Once the ring has wrapped, an id older than its oldest record is a gap. */
    for (uint64_t i = 5; i < 40; i++) {
        rec r = mk(i);
        hub_publish(h, &r);
    }
    hub_subscribe(h, &late, s1 + 10, &gap);
    assert_true(gap);
    hub_subscribe(h, &late, s1 + 40 - 16 - 1, &gap); /* oldest kept is s1+24 */
    assert_false(gap);
    assert_int_equal(hub_read(h, &late, &got, &seq, &lost), 1);
    assert_int_equal(got.n, 24);
    hub_free(h);
}

static void test_lost_count(void **state)
{
    (void)state;
    hub *h;
    assert_int_equal(hub_new(sizeof(rec), 8, &h), WS_OK);
    hub_sub s;
    hub_subscribe(h, &s, 0, NULL);
    rec batch[20];
    for (int i = 0; i < 20; i++) batch[i] = mk((uint64_t)i);
    hub_publish_n(h, batch, 20);
    rec got;
    uint64_t seq, lost;
    assert_int_equal(hub_read(h, &s, &got, &seq, &lost), 1);
    assert_int_equal(lost, 12); /* 20 published, the ring keeps 8 */
    assert_int_equal(got.n, 12);
    for (int i = 13; i < 20; i++) {
        assert_int_equal(hub_read(h, &s, &got, &seq, &lost), 1);
        assert_int_equal(lost, 0);
        assert_int_equal(got.n, (uint64_t)i);
    }
    assert_int_equal(hub_read(h, &s, &got, &seq, &lost), 0);
    hub_free(h);
}

static int wake_calls;
static bool wake_count(void *arg, const void *r)
{
    (void)arg;
    (void)r;
    wake_calls++;
    return true;
}

/* Only records whose n is a multiple of 100 interest this subscriber. */
static int filter_calls;
static bool wake_hundreds(void *arg, const void *r)
{
    (void)arg;
    filter_calls++;
    return ((const rec *)r)->n % 100 == 0;
}

static void test_park_batches_and_filters(void **state)
{
    (void)state;
    hub *h;
    assert_int_equal(hub_new(sizeof(rec), 64, &h), WS_OK);
    hub_sub s;
    hub_subscribe(h, &s, 0, NULL);
    assert_true(hub_park(h, &s, wake_count, NULL));
    rec batch[100];
    for (int i = 0; i < 100; i++) batch[i] = mk((uint64_t)i);
    wake_calls = 0;
    hub_publish_n(h, batch, 100);
    assert_int_equal(wake_calls, 1); /* a burst of 100: one wake */
    /* Woken but not yet run: more publishes do not call it again. */
    rec one = mk(100);
    hub_publish(h, &one);
    assert_int_equal(wake_calls, 1);
    assert_int_equal(hub_wakes(h), 1);
    /* Records are waiting: park refuses. */
    assert_false(hub_park(h, &s, wake_count, NULL));
    rec got;
    uint64_t seq, lost, total_lost = 0;
    int n = 0;
    while (hub_read(h, &s, &got, &seq, &lost)) {
        total_lost += lost;
        n++;
    }
    assert_int_equal(n + (int)total_lost, 101);
    assert_int_equal(total_lost, 101 - 64);

    /* A filter: 1,000 uninteresting records through a ring of 64 while
     * parked, then one interesting: woken once, nothing lost. */
    assert_true(hub_park(h, &s, wake_hundreds, NULL));
    filter_calls = 0;
    for (uint64_t i = 1001; i < 2000; i++) {
        rec r = mk(i * 100 + 1);
        hub_publish(h, &r);
    }
    assert_int_equal(filter_calls, 999);
    rec hit = mk(2000);
    hub_publish(h, &hit);
    assert_int_equal(hub_read(h, &s, &got, &seq, &lost), 1);
    assert_int_equal(lost, 0);
    assert_int_equal(got.n, 2000);
    assert_int_equal(hub_read(h, &s, &got, &seq, &lost), 0);

    /* Unsubscribed while parked: no wake afterwards. */
    assert_true(hub_park(h, &s, wake_count, NULL));
    hub_unsubscribe(h, &s);
    wake_calls = 0;
    hub_publish(h, &one);
    assert_int_equal(wake_calls, 0);
    hub_free(h);

    hub *bad;
    assert_int_equal(hub_new(sizeof(rec), 100, &bad), WS_EINVAL);
    assert_int_equal(hub_new(0, 64, &bad), WS_EINVAL);
}

/* ---- threads ---------------------------------------------------------------- */

#define NSUB 6
#define TOTAL 200000

typedef struct reader {
    hub *h;
    sem_t sem;
    uint64_t got, lost, parks;
    int torn;
    int order;
} reader;

static hub *th_hub;
static _Atomic int started;

static bool wake_sem(void *arg, const void *r)
{
    (void)r;
    sem_post(&((reader *)arg)->sem);
    return true;
}

static void *read_main(void *arg)
{
    reader *rd = arg;
    hub_sub s;
    hub_subscribe(rd->h, &s, hub_first_seq(rd->h) - 1, NULL); /* from the very first record */
    uint64_t end = hub_first_seq(rd->h) + TOTAL; /* cursor once everything is read */
    uint64_t prev = 0;
    atomic_fetch_add(&started, 1);
    while (s.cursor < end) {
        rec r;
        uint64_t seq, lost;
        int got = hub_read(rd->h, &s, &r, &seq, &lost);
        rd->lost += lost;
        if (got) {
            rd->got++;
            rec w = mk(r.n);
            if (memcmp(&w, &r, sizeof r) != 0) rd->torn++;
            if (seq - hub_first_seq(rd->h) != r.n || (prev && seq <= prev)) rd->order++;
            prev = seq;
            continue;
        }
        if (hub_park(rd->h, &s, wake_sem, rd)) {
            rd->parks++;
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_sec += 10; /* a lost wake shows as a 10 s stall and a failed assert */
            if (sem_timedwait(&rd->sem, &ts) != 0) {
                hub_unsubscribe(rd->h, &s);
                return (void *)1;
            }
        }
    }
    hub_unsubscribe(rd->h, &s);
    return NULL;
}

/* Subscribe, park, unsubscribe in a loop while the publisher runs: with
 * ASan, a wake after unsubscribe would be a use of freed memory. */
static _Atomic bool churn_stop;
static void *churn_main(void *arg)
{
    (void)arg;
    while (!atomic_load(&churn_stop)) {
        hub_sub *s = malloc(sizeof *s);
        hub_subscribe(th_hub, s, 0, NULL);
        (void)hub_park(th_hub, s, wake_count, NULL);
        hub_unsubscribe(th_hub, s);
        free(s);
    }
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    assert_int_equal(hub_new(sizeof(rec), 1024, &th_hub), WS_OK);
    reader rd[NSUB];
    pthread_t t[NSUB], churn;
    atomic_store(&started, 0);
    for (int i = 0; i < NSUB; i++) {
        memset(&rd[i], 0, sizeof rd[i]);
        rd[i].h = th_hub;
        sem_init(&rd[i].sem, 0, 0);
        pthread_create(&t[i], NULL, read_main, &rd[i]);
    }
    while (atomic_load(&started) < NSUB) sched_yield();
    atomic_store(&churn_stop, false);
    pthread_create(&churn, NULL, churn_main, NULL);
    rec batch[64];
    uint64_t n = 0;
    unsigned seed = 7;
    while (n < TOTAL) {
        size_t k = 1 + (size_t)(rand_r(&seed) % 64);
        if (n + k > TOTAL) k = (size_t)(TOTAL - n);
        for (size_t i = 0; i < k; i++) batch[i] = mk(n + i);
        hub_publish_n(th_hub, batch, k);
        n += k;
        if (rand_r(&seed) % 8 == 0) sched_yield(); /* let readers catch up and park */
    }
    for (int i = 0; i < NSUB; i++) {
        void *ret = NULL;
        pthread_join(t[i], &ret);
        assert_null(ret); /* no lost wake */
        assert_int_equal(rd[i].torn, 0);
        assert_int_equal(rd[i].order, 0);
        assert_int_equal(rd[i].got + rd[i].lost, TOTAL);
        sem_destroy(&rd[i].sem);
        printf("# reader %d: got %llu lost %llu parked %llu times\n", i, (unsigned long long)rd[i].got,
               (unsigned long long)rd[i].lost, (unsigned long long)rd[i].parks);
    }
    atomic_store(&churn_stop, true);
    pthread_join(churn, NULL);
    hub_free(th_hub);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_and_resume),
        cmocka_unit_test(test_lost_count),
        cmocka_unit_test(test_park_batches_and_filters),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
