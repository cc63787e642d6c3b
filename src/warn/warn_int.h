/* warn_int.h — what the engine's files share: the journal (journal.c), the
 * point cache and the engine struct (warn.c; the register in register.c), alarm
 * persistence (persist.c).
 * Not for use outside src/warn. */
#ifndef WS_WARN_INT_H
#define WS_WARN_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "alarm/alarm.h"
#include "alarm/rule.h"
#include "alarm/threshold.h"
#include "ingest/reading.h"
#include "audit/audit.h"
#include "store/store.h"
#include "telemetry/series.h"
#include "warn/warn.h"

#include "warn/journal.h"

/* --------------------------------------------------------- point cache */

/* Threshold conditions are alarms of built-in rules 1 + thr_cond (1..9);
 * system alarms (series store, journal, outbox) use rule ids from 100; rule
 * sets from 1000. */
#define WARN_HOURS 4 /* hourly values a point keeps: three hourly rises */
#define WARN_RULE_THR_BASE 1
#define WARN_RULE_SERIES 100

typedef struct wpoint {
    /* what every reading touches, together in the first cache lines */
    int64_t id, unit_id, device_id;
    int64_t sealed_seq;      /* replay: readings at or below are in the series store */
    int64_t maint_until;     /* device maintenance / calibration: recorded, not paged */
    int64_t last_src_ms;     /* newest source time seen */
    int64_t hour_end;        /* the end of the hour of last_src_ms (0: none yet; hour_v below) */
    int64_t last_arrival_ms;
    double last_value;
    uint8_t last_q;
    bool dirty;              /* a newer value waits for its 1 Hz slot */
    bool skewed;             /* the device's clock ran ahead */
    int64_t pub_ms;          /* last value published to the value hub */
    double resolution;       /* NaN = none (flatline rules use it) */
    double range_low, range_high; /* NaN = none (anomaly rules bucket contexts over it) */
    int32_t rule_slot;       /* its place in the rule engine (rule_point.slot), -1 unknown */
    thr_config thr;
    thr_state st;
    char tag[WS_TAG_MAX + 1];
    char unit_path[128];
    /* the rest */
    char name[96];
    char kind[16];
    int64_t respond_ms;      /* its response card's time limit, 0 none (alarm_raise_in.respond_ms) */
    /* the last value of each of the last WARN_HOURS source-time hours, newest
     * first, nhours of them in a row (an hour without a good reading breaks
     * the row): how fast the point climbs, for the risk index's projection */
    int64_t hour_kept;       /* the end of the hour of hour_v[0] */
    double hour_v[WARN_HOURS];
    int nhours;
} wpoint;

/* ------------------------------------------------------------ engine */

/* A slot of the tag index: pts index + 1 (0 empty) and the tag hash's high half. */
typedef struct wtag_slot {
    uint32_t k, h;
} wtag_slot;

#define WARN_PAGE_MAX 256
typedef struct warn_page {
    int64_t alarm_id, unit_id, at_ms;
    uint8_t level;
    char role[64];
    char title[160];
    double value;
} warn_page;

typedef struct warn_wo {
    int64_t device_id, point_id, unit_id, rule_id;
    char kind[16];
    char rule_name[128]; /* copied under the mutex: the rule engine may be rebuilt meanwhile */
    char fault[128];     /* anomaly rules: "<tag> 漂移" — the sensor fault the detector saw; "" otherwise */
} warn_wo;

#define WARN_JOURNAL_KEEP (UINT64_C(256) << 20) /* past this, a checkpoint seals every chunk */
#define WARN_WIN 256        /* readings apply works on at once */
#define WARN_GROUP 32768    /* readings apply puts in point-major order at once */
#define PEND_MAX 1024      /* alarm events queued before a persist */
#define HUB_ALARM_SLOTS 8192
#define HUB_VALUE_SLOTS 16384

/* A reading as apply takes it, copied into place by group (so apply reads
 * its readings in order, not scattered over the batch). */
typedef struct warn_grp_rd {
    int64_t source_ms;
    double value;
    uint32_t j; /* its place in the batch (its journal sequence - the first) */
    uint8_t quality;
} warn_grp_rd;

typedef struct pend {
    alarm_event ev;
    double value;
    int64_t src_ms;
    int64_t person_id;
    char title[160];
    char tag[WS_TAG_MAX + 1];
    int64_t point_id;
    alarm row;      /* with has_row: the alarm after this event, its last in the batch
                       (AEV_CLOSE: as it left the table, set by operate) */
    bool has_row;
    bool published; /* on the alarm hub already (before its commit) */
    char actor[80]; /* the evidence leaf's actor */
} pend;

/* Alarm events on their way to the store: taken from w->pend under mu
 * (persist_take, which queues the commit), written in ticket order with or
 * without it (persist_write). The caller owns the struct (on its stack)
 * and its events until persist_write returns; meanwhile it sits in the
 * queue, where another caller's write may take it into its transaction
 * (group commit: one transaction, and one fsync, for every batch waiting).
 * A lazy commit (a batch of readings) is done once written: the syncer
 * thread makes it survive a power cut right after; any other is done once
 * synced as well (persist.c). */
typedef struct warn_commit {
    pend *ev;
    int n;
    uint64_t ticket;          /* 0: nothing to write */
    struct warn_commit *next; /* the queue (under commit_mu) */
    bool lazy;                /* done when written; synced after, by the syncer */
    bool done;                /* written (and synced unless lazy), or failed with rc (under commit_mu) */
    ws_err rc;
} warn_commit;

struct warn {
    warn_config cfg;
    char wal_dir[WARN_PATH_MAX]; /* cfg.wal_dir points here */
    pthread_mutex_t mu;
    pthread_mutex_t reload_mu; /* one warn_reload_points at a time (taken before mu) */
    store *dur;            /* own store: one connection; commits synced by persist.c */
    alarm_table *alarms;
    wpoint *pts;
    size_t npts, cap_pts;
    wtag_slot *index;      /* open addressing by tag hash, index_cap slots */
    char (*tags)[WS_TAG_MAX + 1]; /* npts: the points' tags, dense (find_tag) */
    uint32_t *grp_cnt;     /* npts counters of apply's point-major order, zero between uses */
    size_t index_cap;
    warn_journal j;
    bool journaled;
    pend *pend;
    int npend;
    /* persist: transactions in ticket order. Lock order mu, then commit_mu;
     * the writer never takes mu. */
    pthread_mutex_t commit_mu;
    pthread_cond_t commit_cv;
    uint64_t ticket_next;      /* under mu */
    warn_commit *cq_head, *cq_tail; /* commits not yet taken by a writer, in ticket order */
    bool writing;              /* a writer has taken commits and is writing them */
    pend *stage;               /* the writer's transaction: retry, then the commits' */
    size_t stage_cap;          /* events (the writer's own while writing; kept, grown) */
    pend *retry;               /* events of failed transactions (under commit_mu), */
    _Atomic int nretry;        /* written first by the next; PEND_MAX at most */
    /* the syncer thread (persist.c): after a writer has committed only lazy
     * commits it asks for a sync (sync_want++), which the syncer makes
     * (store_sync) while the next transaction is written. Under commit_mu. */
    pthread_t syncer;
    bool syncs;                /* commits need store_sync (SQLite); set at open */
    bool syncer_on, sync_stop;
    pthread_cond_t sync_cv;
    uint64_t sync_want, sync_done;
    _Atomic uint64_t n_syncs, n_sync_failed;
    struct hub *ahub, *vhub;
    bool series_down;      /* the series-store system alarm is up */
    int64_t last_checkpoint_ms;
    uint64_t journal_kept;     /* bytes the journal kept at the last checkpoint (engine thread) */
    int64_t max_sealed; /* the highest wal_seq of a sealed chunk, at open */
    pthread_t thread;
    bool thread_on;
    _Atomic bool stop;
    pthread_mutex_t wait_mu;
    pthread_cond_t wait_cv;
    _Atomic uint64_t n_readings, n_late, n_unknown, n_skewed, n_failed, n_alarm_events;
    struct rule_engine *rules; /* the active alarm rule set (alarm/rule.h); NULL = none */
    int64_t rules_version;
    struct rule_event *rev;    /* RULE_READING_EVENTS, reused */
    warn_wo wo[64];            /* work orders count rules asked for, opened after the batch */
    int nwo;
    warn_page page[WARN_PAGE_MAX]; /* escalations to page, sent after the batch (page.c) */
    /* ingest's second stage (warn.c): the series appends of a batch, made
     * after mu is let go, under append_mu, which a batch takes before it
     * lets go of mu, so batches append in journal order while the next is
     * evaluated. Two buffers, each a batch's (WARN_GROUP), used in turn:
     * the batch after next can only start once this one's appends are done. */
    pthread_mutex_t append_mu;
    series_in *defer[2];
    int defer_turn;            /* under mu */
    /* apply's window (warn.c): the readings' points, times, series appends */
    wpoint *win_p[WARN_WIN];
    int64_t win_t[WARN_WIN];
    series_in win_s[WARN_WIN];
    /* apply's group: each reading's point (pts index, or UINT32_MAX when
     * unknown), the order readings are applied in, the points met */
    uint32_t grp_pt[WARN_GROUP], grp_met[WARN_GROUP];
    warn_grp_rd grp_rd[WARN_GROUP]; /* the readings to apply, in that order */
    int npage;
    int64_t last_plant_ms;
    int64_t last_retain_ms;
    warn_camera *cams;     /* configured once at start (warn_cameras_configure) */
    size_t ncams;
    _Atomic uint64_t n_camera_events, n_camera_refused, n_camera_bad;
    char camera_bad_sample[256];
    /* process monitors (monitor.c): the active ones, under mon_mu (taken
     * before mu) */
    pthread_mutex_t mon_mu;
    struct wmon *mons[WARN_MON_MAX];
    int nmons;
    int64_t last_mon_ms;
    _Atomic uint64_t n_refused;
    char refused_sample[256];
    int64_t refused_logged_ms;
};

extern const audit_entity WARN_ENTITY_ALARM; /* the alarms table's evidence entity (warn.c) */
extern const audit_entity WARN_ENTITY_MONITOR; /* process monitors (monitor.c) */

/* monitor.c: start the active process monitors (warn_open, after the
 * alarms are restored); judge their complete minutes (warn_tick, outside
 * w->mu; at most once a second); free them (warn_close). */
ws_err monitor_load(warn *w);
void monitor_tick(warn *w, int64_t now);
void monitor_free_all(warn *w);
/* Judge monitor id's minutes before until now, whether or not its points
 * are reporting: the demo, whose week of readings goes straight into the
 * series store. */
void monitor_judge_until(warn *w, int64_t id, int64_t until);

/* Publish an alarm event on the alarm hub (warn.c). Under w->mu. */
void warn_publish(warn *w, const pend *p);

/* persist.c: publish the queued alarm events and write them in one fsynced
 * transaction (warn.c), waiting for the transactions taken before. Under
 * w->mu. On failure the events are kept and written first by the next
 * (the alarm table already holds the state). */
ws_err persist(warn *w, const audit_actor *actor);
/* persist in two steps: take (under w->mu: publish, page, snapshot the
 * alarms' rows, move the events out, queue *c) and write (in ticket order;
 * w->mu may be let go between the two, and every take must be followed by
 * its write). *c is emptied by the write. lazy: the write returns once the
 * transaction is committed (it survives kill -9), and the syncer fsyncs it
 * right after; else it returns once fsynced (a power cut). */
ws_err persist_take(warn *w, const audit_actor *actor, bool lazy, warn_commit *c);
ws_err persist_write(warn *w, warn_commit *c);
/* The syncer thread: started by warn_open, stopped (after a last sync of
 * what is committed) by warn_close. Without it every commit syncs itself. */
ws_err syncer_start(warn *w);
void syncer_stop(warn *w);
/* persist for a caller holding w->mu, let go of between the two steps:
 * the caller waits for its fsync, ingest and other operators do not.
 * Returns with w->mu unlocked. */
ws_err persist_unlock(warn *w, const audit_actor *actor);
/* The tag index's hash of a tag's words (ws_tag_words): find_tag in warn.c
 * and the index builders of register.c. */
static inline uint64_t warn_tag_hash(const uint64_t *wd, int n)
{
    uint64_t h = UINT64_C(0x9E3779B97F4A7C15);
    for (int i = 0; i < n; i++) {
        h = (h ^ wd[i]) * UINT64_C(0xBF58476D1CE4E5B9);
        h ^= h >> 31;
    }
    return h * UINT64_C(0x94D049BB133111EB);
}

/* A point as the rule engine sees it (its slot kept in the point). */
static inline rule_point warn_rule_point(wpoint *p)
{
    return (rule_point){.id = p->id, .unit_id = p->unit_id, .device_id = p->device_id,
                        .unit_path = p->unit_path, .kind = p->kind, .tag = p->tag,
                        .resolution = p->resolution, .range_low = p->range_low,
                        .range_high = p->range_high, .slot = &p->rule_slot};
}

/* register.c: read the register and install it at once (warn_open, before
 * any thread). */
ws_err warn_load_points(warn *w);

/* warn.c: the cached point with this id (the cache is in id order), NULL
 * when none; and a copy of at most cap - 1 bytes of src (a too deep unit
 * path fails closed in scope checks). Under w->mu / anywhere. */
wpoint *warn_find_point(const warn *w, int64_t id);
void warn_copy_trunc(char *dst, size_t cap, const char *src);
/* Queue the events of one alarm call with a title (raise) and no reading. */
void queue_events_ext(warn *w, const alarm_events *ev, const wpoint *p, int64_t src_ms, const char *title);

typedef enum { OP_ACK, OP_SHELVE, OP_UNSHELVE, OP_CLOSE } op_kind;

typedef struct op_args {
    const char *reason, *cause, *action;
    int64_t until_ms, approver_id;
    const char *approver_name;
} op_args;

/* An operator action at an explicit time (the public warn_ack & co. pass
 * the clock; the demo seeds a plausible history with it). trusted: no role
 * check (a redeemed acknowledge link, the demo). */
ws_err warn_operate_at(warn *w, const org_caller *by, int64_t alarm_id, op_kind op, const op_args *a,
                       bool trusted, int64_t now);

#define WARN_RULE_CAMERA_BASE 200
#define WARN_RULE_OUTBOX 102   /* 通知通道故障, source = channel */
#define WARN_RULE_BYPASS 103   /* 联锁旁路超期, source = bypass */

/* page.c: queue an escalation for paging (under w->mu); send the queue
 * (outside it); the plant register's timer and its alarms (once a minute). */
void page_queue(warn *w, const pend *p);
void page_flush(warn *w);
void plant_alarms(warn *w, int64_t now);

#endif
