/* warn_int.h — what the engine's files share: the journal (journal.c), the
 * point cache and the engine struct (warn.c), alarm persistence (persist.c).
 * Not for use outside src/warn. */
#ifndef WS_WARN_INT_H
#define WS_WARN_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "alarm/alarm.h"
#include "alarm/threshold.h"
#include "ingest/reading.h"
#include "warn/warn.h"

#include "warn/journal.h"

/* --------------------------------------------------------- point cache */

/* Threshold conditions are alarms of built-in rules 1 + thr_cond (1..9);
 * system alarms (series store, journal, outbox) use rule ids from 100; rule
 * sets from 1000. */
#define WARN_RULE_THR_BASE 1
#define WARN_RULE_SERIES 100
#define WARN_RULE_STALE_ENGINE 101

typedef struct wpoint {
    int64_t id, unit_id, device_id;
    char tag[WS_TAG_MAX + 1];
    char name[96];
    char kind[16];
    char unit_path[128];
    thr_config thr;
    thr_state st;
    int64_t sealed_seq;      /* replay: readings at or below are in the series store */
    int64_t maint_until;     /* device maintenance / calibration: recorded, not paged */
    int64_t last_src_ms;     /* newest source time seen */
    int64_t last_arrival_ms;
    double last_value;
    uint8_t last_q;
    int64_t pub_ms;          /* last value published to the value hub */
    bool dirty;              /* a newer value waits for its 1 Hz slot */
    bool skewed;             /* the device's clock ran ahead */
    int64_t stale_after_ms;  /* 0 = no stale check */
    bool stale;
} wpoint;

#endif
