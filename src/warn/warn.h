/* warn.h — the early-warning engine (预警引擎): where readings from every
 * ingest path (HTTP batches, MQTT, Modbus, CSV) meet the point register, the
 * series store, the threshold and rule evaluation and the alarm table, and
 * where alarm state is made durable and published to people.
 *
 * How it fits (rank 6, beside hazard): it sits on telemetry (points, series),
 * alarm (threshold, lifecycle), ingest (the reading type), notify (outbox)
 * and org/auth/audit/store. The API layer (api_ingest.c, api_alarm.c) and
 * the server (cmd_serve.c) call it; ingest adapters feed it through
 * warn_sink (an ingest_sink_fn).
 *
 * Durability (docs/internals/warn.md):
 *  - Readings: a batch is appended to the ingest journal DATA/ingest.wal
 *    (write(2), one record per batch: header, CRC-32C, the body as it came)
 *    before it is applied and acknowledged, so an acknowledged batch survives
 *    kill -9. Every reading carries a journal sequence number; sealed series
 *    chunks record the highest one they hold, so a replay after a crash skips
 *    what is stored already and nothing is doubled.
 *  - Alarm changes of one batch or one operator action are written in one
 *    transaction, with the evidence-log leaf, before the reply, and fsynced:
 *    an operator's action before its reply, a batch's right after it (the
 *    syncer thread; the batch's reply waits for the commit, which survives
 *    kill -9 as its journaled readings do).
 *
 * Threads: one mutex guards the point cache, the evaluation state and the
 * alarm table (the alarm core has one owner); a batch takes it once. */
#ifndef WS_WARN_WARN_H
#define WS_WARN_WARN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/err.h"
#include "ingest/camera.h"
#include "ingest/reading.h"
#include "org/org.h"
#include "store/store.h"

struct series;
struct hub;

typedef struct warn warn;

typedef struct warn_config {
    store *db;              /* main store (alarms); borrowed */
    const char *db_url;     /* for the engine's own connection (alarm events, fsynced) */
    struct series *series;  /* series store; borrowed; NULL = none (alarms still work) */
    const char *wal_dir;    /* directory of ingest.wal; NULL = no journal (tests of the core only) */
    size_t alarm_capacity;  /* open alarms; default 65,536 */
    size_t max_points;      /* point cache; default 65,536 */
    int64_t skew_ms;        /* a source time further ahead than this is clock skew; default 5 s */
    bool no_thread;         /* tests: no timer thread, the test calls warn_tick */
    const char *public_url; /* "https://safety.example.com": acknowledge links in pages; NULL = none */
    int retention_days;     /* series: raw chunks kept this long, minute buckets twice; 0 = forever */
    uint64_t journal_keep;  /* journal bytes past which a checkpoint seals every chunk; default 256 MiB */
} warn_config;

/* Register the audited entity "alarm" (idempotent; before audit verify). */
ws_err warn_init(void);

/* Open: load points and their limits, restore open alarms (with timers) and
 * replay the journal. Caller owns *out (warn_close). */
ws_err warn_open(const warn_config *cfg, warn **out);
void warn_close(warn *w);

/* Where a batch came from (metrics, skew attribution). */
typedef enum { WARN_SRC_HTTP = 0, WARN_SRC_MQTT, WARN_SRC_MODBUS, WARN_SRC_CSV, WARN_SRC_COUNT } warn_src;

typedef struct warn_result {
    size_t accepted;    /* stored (and evaluated unless late) */
    size_t late;        /* stored in place, not evaluated (older than the last evaluated) */
    size_t unknown_tag; /* no such point: not stored */
    size_t skewed;      /* source time ahead of arrival by more than skew_ms: arrival time used */
    size_t failed;      /* the series store refused it (an alarm says so) */
} warn_result;

/* Apply readings (arrival time now). With a journal, r is journaled first:
 * on WS_OK the batch is durable against kill -9. res may be NULL.
 * WARN_SRC_CSV is imported history: stored, never evaluated (last year's
 * excursions page nobody; `worksafe rules backtest` replays them). A replay
 * of the journal after a crash evaluates CSV readings like live ones. */
ws_err warn_ingest(warn *w, warn_src src, const ws_reading *r, size_t n, warn_result *res);
/* The same for a caller with a unit scope (HTTP): readings of points outside
 * scope_path are counted as unknown tags (their existence is not revealed). */
ws_err warn_ingest_scoped(warn *w, warn_src src, const char *scope_path, const ws_reading *r,
                          size_t n, warn_result *res);

/* An ingest_sink_fn (ingest/ingest.h) for adapters: ctx is a warn_sink_ctx. */
typedef struct warn_sink_ctx {
    warn *w;
    warn_src src;
} warn_sink_ctx;
ws_err warn_sink(void *ctx, const ws_reading *r, size_t n);

/* The timer (the server's tick and a 1 s engine thread): escalations, shelve
 * expiries, stale points, journal checkpoint. */
ws_err warn_tick(warn *w, int64_t now_ms);

typedef struct warn_stats_out {
    uint64_t readings, late, unknown_tag, skewed, failed, alarm_events;
    uint64_t syncs, sync_failed; /* fsyncs of committed alarm events (persist.c) */
    size_t open_alarms, points;
} warn_stats_out;
/* A batch refused as malformed by an ingest path (HTTP line/JSON, CSV):
 * counted for /metrics with the last sample (bounded, no payload bytes
 * beyond the reason and where), and logged at most once a minute. */
void warn_note_refused(warn *w, warn_src src, const char *sample);

/* Counters for /metrics. */
void warn_stats(warn *w, warn_stats_out *s);
/* The counters as Prometheus text (an http_metrics_source_fn; ctx = the engine). */
ws_err warn_metrics(void *ctx, buf *out);

/* Rebuild the rule engine from the active alarm rule set (api_alarmrule
 * calls it after an activation). */
ws_err warn_reload_rules(warn *w);

/* Re-read the point register after a change (api_telemetry calls it, after
 * its commit). The store is read without the engine's mutex; ingest waits
 * only for the swap. Any thread; calls run one at a time. */
ws_err warn_reload_points(warn *w);
/* The same for a point just created (id): added without re-reading the rest
 * of the register, so that creating points one by one costs each one read,
 * not one of the whole register (a reload when it is not the newest). */
ws_err warn_add_point(warn *w, int64_t id);

/* Context facts about an area ("hot_work_active"), published by other
 * modules (permits) for composite rules; until_ms 0 = until retracted. */
ws_err warn_context_set(warn *w, int64_t unit_id, const char *fact, bool on, int64_t until_ms);

/* The newest reading the engine holds for a point (permits read their linked
 * gas detectors). WS_ENOTFOUND for a point the engine does not know. */
typedef struct warn_latest {
    double value;
    uint8_t quality;      /* WS_Q_* of core readings */
    int64_t src_ms;       /* source time of the newest reading, 0 = none yet */
    int64_t arrival_ms;
    int64_t unit_id;
    char kind[16];        /* combustible, toxic, oxygen, ... */
    char tag[64];
} warn_latest;
ws_err warn_point_latest(warn *w, int64_t point_id, warn_latest *out);

/* The points of a unit's subtree as the dynamic risk index sees them:
 * ratio = how far the newest good value is toward the first alarm limit of
 * its side (0 at the middle of L..H, or at 0 for a high-only point; 1 at
 * the limit; > 1 beyond; NaN without limits, a value, or good quality),
 * past = how many of its alarm limits that value is at or past on its side
 * (0; 1: L or H; 2: LL or HH), climb = how fast its ratio has risen per
 * hour (the smallest of the last three hourly rises, by source time, when
 * all three rose; else 0), score = its latest anomaly score (NaN when
 * no anomaly rule scores it). Points in maintenance are left out. At most
 * cap are written; *n is how many were, worst first (most limits past, then
 * the highest ratio). */
typedef struct warn_point_state {
    int64_t id;
    char tag[64];
    double value, ratio, score, climb;
    int past;
} warn_point_state;
ws_err warn_points_under(warn *w, const char *unit_path, int64_t now_ms, warn_point_state *out, int cap,
                         int *n);

/* Alarms that other modules decide (permits: 作业气体超限 / 检测器失联):
 * raised once per (rule, source) and cleared by the same call with on =
 * false, then persisted, streamed and paged like every other alarm. */
#define WARN_RULE_PERMIT_GAS 104   /* source = permit id */
#define WARN_RULE_DRILL 105        /* source = drill id (【演练】 alarms of the stress test) */
#define WARN_RULE_RISK_FORECAST 106 /* source = area id: its risk index is projected to turn orange or red */
/* 107 process monitors (below); 108 交接班超时未接 and 109 交接班未交 of src/handover (HANDOVER_RULE,
 * source = handover id; HANDOVER_MISSED_RULE, source = unit id) */
ws_err warn_external_alarm(warn *w, int64_t rule_id, int64_t source_id, int64_t unit_id, int level,
                           bool on, const char *title, int64_t now);

/* The area of unit_id: the nearest unit of kind "area" at or above it, its
 * id, name (name_cap 0: not wanted) and path; when there is none, *area_id 0
 * and the unit's own path (page.c; the duty message and the alarm detail
 * list the special work under way there). */
ws_err warn_area_of(store_conn *c, int64_t unit_id, int64_t *area_id, char *name, size_t name_cap, char *path,
                    size_t path_cap);

/* Hubs of the live streams (core/hub.h): alarm events (warn_alarm_msg) and
 * point values at most once a second per point (warn_value_msg). Borrowed. */
struct hub *warn_alarm_hub(warn *w);
struct hub *warn_value_hub(warn *w);

/* What the alarm hub carries (fixed size, rendered per subscriber). */
typedef struct warn_alarm_msg {
    int64_t seq;       /* alarm event seq */
    int64_t alarm_id, rule_id, source_id, point_id, unit_id;
    int64_t at_ms;
    uint8_t kind;      /* alarm_ev_kind of alarm/alarm.h */
    uint8_t level;     /* alarm_level */
    uint8_t state;     /* alarm_state after the event */
    int32_t count;
    double value;      /* the reading that raised (NaN when none) */
    char unit_path[128]; /* '/1/4/9/' for the subscriber's scope check */
    char tag[WS_TAG_MAX + 1];
    char title[160];   /* e.g. "GT-102 可燃气体 高报 H" */
    char who[64];      /* the person acting, or the escalation target */
} warn_alarm_msg;

typedef struct warn_value_msg {
    int64_t point_id, unit_id, t_ms;
    double value;
    uint8_t quality;
    char unit_path[128];
} warn_value_msg;

/* ----------------------------------------------------------- cameras
 * (camera.c). Configured once at start from DATA/integrations.json
 * "cameras"; the pointers stay valid until warn_close. */
#define WARN_CAM_MAP_MAX 16
#define WARN_CAMERAS_MAX 256
#define WARN_CAM_ALLOW_MAX 8
typedef struct warn_camera {
    char code[64];          /* the device's code in the register */
    char vendor_name[16];   /* "hikvision" | "dahua" */
    uint8_t vendor;         /* ws_cam_vendor */
    char user[64], password[128]; /* push Basic auth (Hikvision) / stream digest (Dahua); never logged */
    char base_url[256];     /* Dahua: where its event stream is read */
    int offset_min;         /* the camera's zone for times sent without an offset */
    unsigned nmap;
    char match[WARN_CAM_MAP_MAX][64];
    ws_cam_rule map[WARN_CAM_MAP_MAX]; /* vendor event / rule name → violation */
    unsigned nallow;
    char allow[WARN_CAM_ALLOW_MAX][48]; /* addresses or IPv4 CIDR blocks that may push without credentials */
    int64_t device_id, unit_id;
    char name[96];
    char unit_path[128];
} warn_camera;

/* Parse and resolve the "cameras" array strictly (refusals name
 * cameras[i].key); a camera's device must exist. Call once. */
ws_err warn_cameras_configure(warn *w, const json_t *arr);
size_t warn_camera_count(warn *w);
const warn_camera *warn_camera_at(warn *w, size_t i);
/* A decoded event of cam (Dahua stream callback): raise or clear its alarm. */
void warn_camera_event(warn *w, const warn_camera *cam, const ws_camera_event *ev);

typedef struct warn_camera_result {
    int64_t alarm_id;        /* the alarm raised (0 none: heartbeat, "other", a stop) */
    int violation;           /* ws_violation */
    size_t pictures, pictures_refused;
} warn_camera_result;
/* A Hikvision ISAPI push to camera `code`: from an address on the camera's
 * allow-list, or with its Basic credentials (checked in constant time;
 * WS_EUNAUTH, unknown cameras alike), decoded (WS_EINVAL /
 * WS_EMEDIA, counted with a sample for /metrics), pictures stored through
 * the attachment store and linked to the alarm. */
ws_err warn_camera_push(warn *w, const char *code, const char *peer, const char *authorization,
                        const char *content_type, const void *body, size_t len, warn_camera_result *res);

/* A notify_health_fn (notify/sender.h; ctx = the engine): a failing robot
 * channel raises "通知通道故障" (报警), its recovery clears it. */
void warn_notify_health(void *ctx, int64_t channel_id, const char *name, bool failing);

/* Acknowledge through a signed one-time link already redeemed for
 * person_id (the link is the authority: no role check). */
ws_err warn_ack_link(warn *w, int64_t person_id, const char *person_name, int64_t alarm_id);

/* `worksafe demo`: a week's duty roster, an equipment work order, an active
 * interlock bypass, and alarms in every state raised through the engine
 * from readings of the demo's detectors (demo.c). */
ws_err warn_demo_seed(warn *w, store_conn *c, const org_demo_ids *ids, int64_t now);

/* Operator actions, each checked (auth "alarm.ack" etc. on the alarm's unit),
 * fsynced with its evidence-log leaf, published. WS_ENOTFOUND when the alarm
 * is not open, WS_ECONFLICT for a state that does not allow it (field
 * "state"), WS_EINVAL naming the field. */
ws_err warn_ack(warn *w, const org_caller *by, int64_t alarm_id);
ws_err warn_shelve(warn *w, const org_caller *by, int64_t alarm_id, const char *reason,
                   int64_t until_ms, int64_t approver_person_id);
ws_err warn_unshelve(warn *w, const org_caller *by, int64_t alarm_id);
ws_err warn_close_alarm(warn *w, const org_caller *by, int64_t alarm_id, const char *cause,
                        const char *action);

/* ------------------------------------------------ process monitors (monitor.c)
 *
 * 多变量过程监控 (issue 7 item 3): a unit's correlated points (a reactor's
 * temperatures, pressures, feeds) watched together by anomaly/mvmon. A
 * monitor is trained once, at creation, on the 1-minute means of its points
 * over a window of normal operation taken from the series store; it is then
 * fed each minute's means as the points' readings arrive and raises an alarm
 * (rule WARN_RULE_MVMON, source = the monitor, area = its unit) when the
 * group leaves its normal region for on_delay_min minutes in a row, naming
 * the points that contribute most; five normal minutes clear it. Monitors
 * are immutable: retraining is a new monitor and the old one deactivated.
 * docs/internals/mvmon.md "In the server". */
#define WARN_RULE_MVMON 107        /* source = process monitor id */
#define WARN_MON_POINTS_MIN 2
#define WARN_MON_POINTS_MAX 32
#define WARN_MON_NAME_MAX 64       /* bytes, UTF-8 */
#define WARN_MON_COMMENT_MAX 500
#define WARN_MON_MAX 64            /* active monitors in an installation */
#define WARN_MON_HIST 240          /* minutes of the decision statistic kept for the page */
#define WARN_MON_HOLD 5            /* minutes a point's last mean stands in for minutes without one */
#define WARN_MON_HOLD_MAX 60       /* the longest hold: a point sampled every 30 minutes at most */

typedef struct warn_monitor_in {
    int64_t unit_id;
    const char *name, *comment; /* comment may be NULL */
    const int64_t *point_ids;   /* npoints distinct points of the unit's subtree */
    int npoints;
    int64_t train_from, train_to; /* ms: a window of normal operation, 24 h .. 14 days, in the past */
    int level;                  /* alarm level 1..3; 0 = 1 (预警) */
    int on_delay_min;           /* 1..60; 0 = 3 */
    /* The run condition (运行工况), optional: the minutes in which the unit
     * runs are those with run_point_id's mean inside [run_min, run_max]
     * (NaN: open; at least one set). Only they are trained on and judged,
     * so a shut-down unit is not measured against its running model.
     * run_point_id 0: none (run_min, run_max ignored). */
    int64_t run_point_id;
    double run_min, run_max;
} warn_monitor_in;

typedef enum {
    WARN_MON_INACTIVE = 0, /* deactivated */
    WARN_MON_WAITING,      /* no minute judged yet (no readings since it started) */
    WARN_MON_NORMAL,
    WARN_MON_ABNORMAL,     /* its alarm is up */
    WARN_MON_NO_DATA,      /* the last minute lacked a point's value (missing_point_id) */
    WARN_MON_IDLE          /* the unit is not running (its run condition): nothing judged */
} warn_mon_state;

typedef struct warn_monitor {
    int64_t id, unit_id;
    char unit_path[128];
    char name[WARN_MON_NAME_MAX + 1];
    char comment[WARN_MON_COMMENT_MAX + 1];
    int level, on_delay_min;
    int npoints;
    int64_t point_ids[WARN_MON_POINTS_MAX];
    int64_t train_from, train_to;
    int samples;                /* complete minutes trained on */
    int components;             /* principal components kept */
    /* each point's hold in minutes: WARN_MON_HOLD, or twice the sampling
     * interval of a slower point (an analyser's 15 minutes: 30), learnt
     * from the training window; a held point is not waited for */
    int hold_min[WARN_MON_POINTS_MAX];
    int64_t run_point_id;       /* the run condition (warn_monitor_in); 0 none */
    double run_min, run_max;
    bool active;
    int64_t created_by_person_id, created_at, deactivated_at;
    /* from the engine (active monitors) */
    warn_mon_state state;
    int64_t last_minute;        /* start of the last minute judged; 0 none */
    double ratio;               /* its decision statistic over the limit (> 1: outside) */
    double contrib[WARN_MON_POINTS_MAX]; /* each point's share of it, summing to 1 */
    int64_t missing_point_id;   /* WARN_MON_NO_DATA: a point without a value */
    int nhist;                  /* the last nhist minutes judged, oldest first */
    int64_t hist_t[WARN_MON_HIST];
    float hist_ratio[WARN_MON_HIST];
} warn_monitor;

/* What a monitor would have raised on the stored minutes after its training
 * window (at most WARN_MON_BACKTEST_DAYS, up to now) — what a new monitor
 * judges first, as it starts at the end of its window (a day back at most). */
#define WARN_MON_BACKTEST_DAYS 7
#define WARN_MON_BACKTEST_ALARMS 10
typedef struct warn_monitor_backtest {
    int64_t from, to;           /* the minutes looked at, [from, to) */
    int minutes;                /* judged (complete) */
    int outside;                /* of them over the limit */
    double max_ratio;
    int alarms;                 /* raises, with the on-delay and the 5-minute clear */
    int nlisted;                /* the first WARN_MON_BACKTEST_ALARMS of them: */
    int64_t raised[WARN_MON_BACKTEST_ALARMS], cleared[WARN_MON_BACKTEST_ALARMS]; /* cleared 0: still up at `to` */
} warn_monitor_backtest;

/* What training learnt besides the model: its principal components and
 * each point's hold (warn_monitor.hold_min). */
typedef struct warn_monitor_fit {
    int components;
    int hold_min[WARN_MON_POINTS_MAX];
} warn_monitor_fit;

/* Train a monitor and backtest it (*bt, may be NULL); unless dry_run, store
 * and start it (auth "monitor.write" on the unit; the points must lie in its
 * subtree). WS_EINVAL naming the field — "point_ids[2]" for a point that is
 * unknown, outside the unit or did not vary, "train_from" when the window
 * holds too few complete minutes (a monitor of p points needs max(1440,
 * 12·p), "point_ids[2]" too for a point sampled less often than every
 * WARN_MON_HOLD_MAX / 2 minutes); WS_ECONFLICT at WARN_MON_MAX active
 * monitors. *id is the new monitor's (0 on a dry run); *fit (may be NULL)
 * what training learnt. */
ws_err warn_monitor_create(warn *w, store_conn *c, const org_caller *by, const warn_monitor_in *in,
                           bool dry_run, warn_monitor_backtest *bt, warn_monitor_fit *fit, int64_t *id);
/* The active monitors replayed over the series store's minutes [from, to)
 * as they judge live (each from the end of its training window at the
 * earliest), without an engine: `worksafe rules backtest`. fn gets START
 * once a monitor with the minute it starts at (false skips the monitor),
 * then its RAISEs and CLEARs in time order with the statistic over its
 * limit at that minute (false stops the monitor). */
struct series;
typedef enum { WARN_REPLAY_START, WARN_REPLAY_RAISE, WARN_REPLAY_CLEAR } warn_replay_ev;
typedef bool (*warn_replay_fn)(void *arg, const warn_monitor *m, warn_replay_ev ev, int64_t at, double ratio);
ws_err warn_monitor_replay(store_conn *c, struct series *s, int64_t from, int64_t to, warn_replay_fn fn, void *arg);
/* One monitor with its live status (no permission check: the caller checks
 * unit_path). Allocated by the caller: the struct is a few KiB. */
ws_err warn_monitor_get(warn *w, store_conn *c, int64_t id, warn_monitor *out);
/* Monitors whose unit lies under scope_path (and under unit_id's when > 0),
 * active -1 any, 0, 1; newest first, at most 500. *items is the caller's. */
ws_err warn_monitor_list(warn *w, store_conn *c, const char *scope_path, int64_t unit_id, int active,
                         warn_monitor **items, size_t *n);
/* The active monitors judged in the last 10 minutes whose unit lies under
 * unit_path, as the dynamic risk index takes them into its anomaly factor:
 * score = ratio / (1 + ratio) (0.5 at the limit, toward 1 beyond it), top
 * = the tag of the point that contributes most. At most cap into out. */
typedef struct warn_monitor_score {
    int64_t id;
    char top[64];
    double score;
} warn_monitor_score;
ws_err warn_monitors_under(warn *w, const char *unit_path, int64_t now_ms, warn_monitor_score *out, int cap,
                           int *n);
/* Stop a monitor for good and clear its alarm (auth "monitor.write").
 * WS_ECONFLICT when it is inactive already. */
ws_err warn_monitor_deactivate(warn *w, store_conn *c, const org_caller *by, int64_t id);

#endif
