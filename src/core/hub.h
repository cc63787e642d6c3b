/* hub.h — a broadcast hub for live streams: one publisher, many subscribers,
 * fixed-size records in a preallocated ring.
 *
 * The early-warning engine publishes alarm events and point values into a
 * hub (src/warn); every server-sent-events stream (src/api/api_stream.c) is
 * a subscriber that reads the records after its cursor and, when it has read
 * everything, parks with a wake callback. Nothing here allocates after
 * hub_new, and a publisher never waits for a subscriber.
 *
 *   publisher (holds the engine's lock)          subscribers (any threads)
 *   hub_publish / hub_publish_n                  hub_subscribe(after)
 *     copy into slot seq & mask (seqlock)        hub_read -> record or 0 (lost = n)
 *     last = seq                                 hub_park(wake) -> parked / read again
 *     one wake round over the parked list        hub_unsubscribe
 *
 * Sequence numbers increase by one per record and start at a value taken
 * from the wall clock when the hub is made (microseconds since the epoch),
 * so a number handed to a client before a restart is never mistaken for a
 * record of the new process (it is older than the first one: a gap).
 *
 * Invariants (tests/unit/test_hub.c):
 *   1. A subscriber sees records in sequence order, each at most once; for
 *      every record it does not see, hub_read counts one lost (records the
 *      wake filter declined are skipped, not lost).
 *   2. A record published after hub_park returned true wakes the subscriber
 *      (or is declined by its filter); no wake is lost.
 *   3. A parked subscriber is woken at most once per park: publishing n
 *      records in one burst costs it one wake call, not n.
 *   4. Publishing never blocks on a reader and never allocates; a reader
 *      that falls more than the ring behind reads how many it lost.
 *
 * Threads: one publisher at a time (the caller serialises publishers);
 * subscribe, read, park and unsubscribe of different subscribers may run
 * on any threads; calls for one subscriber come from one thread at a time.
 * Wake callbacks run on the publisher's thread while the hub's mutex is
 * held: they must be short and must not call into this hub. */
#ifndef WS_CORE_HUB_H
#define WS_CORE_HUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

typedef struct hub hub;

/* Called for records published while the subscriber is parked, one at a
 * time, until it returns true: true = wake it (it leaves the parked list
 * and is not called again until it parks again); false = the record is of
 * no interest (the subscriber's cursor moves past it and it stays parked).
 * rec is the publisher's copy, valid during the call. */
typedef bool (*hub_wake_fn)(void *arg, const void *rec);

/* A subscriber, owned and placed by the caller (e.g. inside a stream's
 * context); the fields are the hub's. */
typedef struct hub_sub {
    uint64_t cursor;           /* sequence of the next record to read */
    hub_wake_fn wake;
    void *arg;
    struct hub_sub *prev, *next; /* parked list */
    _Atomic bool parked;
} hub_sub;

/* A hub of capacity records (a power of two, 2..1<<20) of rec_size bytes
 * (1..4096). Errors: WS_EINVAL (sizes), WS_ENOMEM. Caller owns *out. */
ws_err hub_new(size_t rec_size, size_t capacity, hub **out);
/* Free the hub; every subscriber must have unsubscribed. NULL is ignored. */
void hub_free(hub *h);

size_t hub_rec_size(const hub *h);
size_t hub_capacity(const hub *h);
/* Sequence of the newest record; hub_first_seq(h) - 1 when none yet. */
uint64_t hub_last(const hub *h);
/* Sequence the first record gets (fixed at hub_new). */
uint64_t hub_first_seq(const hub *h);

/* Copy one record in and wake parked subscribers. Returns its sequence. */
uint64_t hub_publish(hub *h, const void *rec);
/* Copy n records (an array of n * rec_size bytes) in, then one wake round.
 * Returns the sequence of the last (hub_last when n is 0). */
uint64_t hub_publish_n(hub *h, const void *recs, size_t n);

/* Start reading. after = 0: only records published from now on. after =
 * a sequence read before (an SSE Last-Event-ID): the records after it, when
 * they are still in the ring; otherwise from now on and *gap is set (the
 * caller tells its client to reload). gap may be NULL. */
void hub_subscribe(hub *h, hub_sub *s, uint64_t after, bool *gap);
/* Stop: leaves the parked list; no wake callback for s runs after this
 * returns. s may then be freed. */
void hub_unsubscribe(hub *h, hub_sub *s);

/* The next record after the cursor into out (rec_size bytes): 1 and *seq,
 * or 0 when there is none now. *lost is set to the number of records
 * skipped because the ring overwrote them before this reader got to them
 * (0 normally). Takes s off the parked list first if it is on it. */
int hub_read(hub *h, hub_sub *s, void *out, uint64_t *seq, uint64_t *lost);

/* Park until a record is published: registers wake(arg, rec). Returns
 * false (not parked) when records are already waiting: read them first. */
bool hub_park(hub *h, hub_sub *s, hub_wake_fn wake, void *arg);

/* Counters for tests and /metrics: wake calls that returned true. */
uint64_t hub_wakes(const hub *h);

#endif
