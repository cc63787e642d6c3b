/* rule.h — the versioned alarm rules of issue 4 item 4 beside the per-point
 * limits of threshold.h: rate of change over a window, stale / device
 * offline, flatline (a stuck sensor), count of an event key in a window (→ a
 * preventive work order), composites over several points and context
 * facts of an area ("hot_work_active"), and anomaly: the streaming
 * detector's score (anomaly/detector.h) above a limit for a time. Roc,
 * flatline and anomaly rules may apply in an operating state only
 * ("while": a point condition such as a feed flow >= 3), so a stopped unit
 * does not flood the console; the points' limits never are suppressed.
 *
 * A rule set is JSON data (docs/internals/alarm.md "Rules"), parsed strictly
 * by rule_set_parse: unknown keys, wrong types, out-of-range numbers, keys
 * that do not belong to a rule's kind and duplicate ids are refused with
 * WS_EINVAL naming the field ("rules[3].window_s"). Versions are stored by
 * ruleset.c (alarm_rule_sets, migration 14); this header is the pure part.
 *
 * The engine (rule_engine) is pure and deterministic like threshold.c:
 * every call takes the time as an explicit ms argument, no clock, no store,
 * and nothing is allocated after rule_engine_init (points, devices, counters
 * and facts live in tables whose capacities are fixed there). One owner
 * calls it (the warn engine under its mutex, or `worksafe rules backtest`).
 * Each call writes rule_events (raise / clear / action) to a caller-owned
 * array; the caller turns raises and clears into alarm_raise / alarm_clear
 * of alarm.h with (rule_id, source_id) as the key, and actions into work
 * orders.
 *
 * Late readings: a reading whose source time is not newer than the last
 * evaluated one of its point (t <= last) is never evaluated — no event,
 * state unchanged — as in thr_eval. Stale is raised only by rule_on_tick,
 * never by a reading, and a reading older than (latest tick − max_gap) does
 * not clear it (a back-filled old reading is not a sign of life). */
#ifndef WS_ALARM_RULE_H
#define WS_ALARM_RULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alarm/level.h"
#include "core/err.h"

#define RULE_MAX 256          /* rules in a set */
#define RULE_ID_MIN 1000      /* ids below are the point limits' (threshold.h) */
#define RULE_ID_MAX INT64_C(999999999)
#define RULE_NAME_MAX 127     /* bytes, UTF-8 */
#define RULE_TAG_MAX 63       /* = WS_TAG_MAX of ingest/reading.h */
#define RULE_KIND_MAX 15      /* point kind, e.g. "combustible" */
#define RULE_SEL_TAGS 16      /* tags in one selector */
#define RULE_SEL_KINDS 8
#define RULE_SEL_UNITS 8
#define RULE_COND_MAX 8       /* conditions of one composite */
#define RULE_CONDS_TOTAL 64   /* conditions of all composites of a set */
#define RULE_FACT_MAX 31      /* fact / key names: [a-z0-9_.:-] */
#define RULE_KEY_MAX 63
#define RULE_COUNT_N_MAX 32   /* the largest N of a count rule */
#define RULE_ROC_RING 6       /* samples a rate-of-change slot keeps */
#define RULE_OFFLINE_MAX 4    /* stale rules with "offline": true in one set */
#define RULE_PATH_MAX 96      /* unit path '/1/4/9/' */
#define RULE_DOC_MAX (1024 * 1024)

typedef enum rule_kind {
    RULE_ROC = 1,  /* |Δvalue/Δt| over a window above a limit */
    RULE_STALE,    /* no reading for max_gap (per point; offline: per device) */
    RULE_FLATLINE, /* moved less than epsilon over window while readings came */
    RULE_COUNT,    /* the same event key N times in a window → action */
    RULE_COMPOSITE, /* all/any of point conditions and area facts, on-delay */
    RULE_ANOMALY   /* the streaming detector's score above a limit for a time */
} rule_kind;

/* Which points a rule (or a composite condition) applies to. Each list that
 * is not empty must match (tag in tags, kind in kinds, the point's unit in
 * the subtree of one of units); within a list any entry matches. */
typedef struct rule_select {
    int ntags, nkinds, nunits;
    char tags[RULE_SEL_TAGS][RULE_TAG_MAX + 1];
    char kinds[RULE_SEL_KINDS][RULE_KIND_MAX + 1];
    int64_t units[RULE_SEL_UNITS];
} rule_select;

typedef enum { RULE_OP_GE = 0, RULE_OP_GT, RULE_OP_LE, RULE_OP_LT } rule_op;

/* One condition of a composite: a point condition ("any point of select
 * whose last reading satisfies op value") or a fact of the rule's area. */
typedef struct rule_cond {
    bool is_fact;
    uint8_t op;        /* rule_op */
    double value;
    rule_select sel;   /* points: intersected with the area's subtree */
    char fact[RULE_FACT_MAX + 1];
} rule_cond;

typedef struct rule {
    int64_t id;
    char name[RULE_NAME_MAX + 1];
    uint8_t kind;      /* rule_kind */
    uint8_t level;     /* alarm_level 1..3 */
    bool enabled;
    rule_select sel;   /* roc, stale, flatline */
    int64_t window_ms; /* roc, flatline, count */
    double limit_per_s;     /* roc: units per second, > 0 */
    int64_t max_gap_ms;     /* stale */
    bool offline;           /* stale: per device, when all its points are stale */
    double epsilon;         /* flatline, >= 0 */
    bool eps_resolution;    /* flatline: epsilon = the point's resolution */
    char key[RULE_KEY_MAX + 1]; /* count: event key (or key prefix before ':') */
    int n;                      /* count: N */
    bool alarm;                 /* count: also raise an alarm */
    char action[16];            /* count: "work_order" or "none" */
    char action_kind[16];       /* count: "preventive", "corrective", "inspection" */
    int64_t unit_id;            /* composite: the area (the alarm's source) */
    bool any;                   /* composite: any (else all) */
    int64_t on_delay_ms;        /* composite; anomaly: how long the score stays above */
    double score_above;         /* anomaly: 0 < limit < 1 on the detector's score */
    uint8_t faults;             /* anomaly: DET_* sensor faults that ask for a corrective work
                                   order (at most one a day per point), 0 = none */
    int cond0, ncond;           /* composite: conds[cond0 .. cond0+ncond) of the set */
    /* roc, flatline, anomaly: 1 + the index in conds of the operating state
     * the rule applies in ("while": a point condition, e.g. the feed flow
     * >= 3: designed suppression, ISA-18.2), 0 none. Otherwise the rule does
     * not judge its points' readings, clears what it raised and forgets its
     * window, so a stopped unit does not flood the console. */
    int16_t while_cond;
} rule;

typedef struct rule_set {
    int n;
    rule rules[RULE_MAX];
    int ncond;
    rule_cond conds[RULE_CONDS_TOTAL];
    int noffline;            /* stale rules with offline */
    uint64_t fingerprint;    /* FNV-1a of the canonical form; ties exported state to a set */
} rule_set;

/* Parse and check a rule-set document {"rules":[...]} (len bytes, need not be
 * NUL-terminated) into *out (caller-owned; large, allocate it). WS_EINVAL
 * naming the field ("rules[3].window_s", "rules[0].select.kinds[1]"), or
 * "doc" for malformed JSON / a document over RULE_DOC_MAX. */
ws_err rule_set_parse(const char *doc, size_t len, rule_set *out);
/* The canonical compact JSON of a parsed set (caller frees); parsing it again
 * gives the same set. NULL on allocation failure. */
char *rule_set_to_json(const rule_set *s);
/* The default set (version 1), as JSON text; static. Gas points are the
 * kinds combustible, toxic and oxygen:
 *   1001 stale     gas points, no reading for 300 s                 预警
 *   1002 stale     offline: every gas point of a device for 300 s   报警
 *   1003 flatline  gas points, moved less than the resolution in 6 h 预警
 *   1004 count     "equipment_fault" 3 times in 30 days on one equipment
 *                  → {"action":"work_order","kind":"preventive"}         */
const char *rule_set_default_json(void);
/* Whether an enabled composite of s has a point condition: it judges
 * several points' readings together, so they must be applied in the order
 * they came (the engine otherwise applies a batch point by point). */
bool rule_set_cross_point(const rule_set *s);
const char *rule_kind_name(int kind); /* "roc", … ; static */

/* ----------------------------------------------------------------- engine */

/* A point as the engine sees it (from the point register). */
typedef struct rule_point {
    int64_t id;          /* > 0 */
    int64_t unit_id;
    int64_t device_id;   /* 0 = none */
    const char *unit_path; /* '/1/4/9/' (subtree selection) */
    const char *kind;    /* "combustible", … */
    const char *tag;
    double resolution;   /* NaN or 0 = none (flatline "resolution" then means exactly equal) */
    double range_low, range_high; /* measuring range (NaN = none): anomaly contexts use it */
    int32_t *slot;       /* optional: where the caller keeps the point's place in an engine,
                            which readings then use instead of a lookup (-1 at first; a
                            place that is not this point's, as after a new engine, is
                            looked up again and rewritten) */
} rule_point;

typedef enum { RULE_EV_RAISE = 1, RULE_EV_CLEAR, RULE_EV_ACTION } rule_ev_kind;

typedef struct rule_event {
    int64_t rule_id;
    int64_t source_id;   /* point id; device id (offline); area unit id (composite);
                            the event's source (count) */
    int64_t unit_id;     /* the unit of the source */
    uint8_t level;
    uint8_t kind;        /* rule_ev_kind */
    uint8_t rule_kind;   /* rule_kind */
    int64_t at_ms;
    double value;        /* the reading (roc: the rate per second; flatline: the band;
                            stale: ms since the last reading; count: N; composite: NaN;
                            anomaly: the score, or for its work order the DET_* flags) */
    char action[16];     /* RULE_EV_ACTION: "work_order" */
    char action_kind[16];/* RULE_EV_ACTION: "preventive", … */
    char key[RULE_KEY_MAX + 1]; /* count: the event key */
} rule_event;

/* Events of one reading at most (size out with this for rule_on_reading). */
#define RULE_READING_EVENTS (2 * RULE_MAX)

typedef struct rule_engine_config {
    size_t points;    /* points tracked (default 65,536) */
    size_t slots;     /* (rule, point) states (default 4 × points) */
    size_t devices;   /* devices for offline rules (default points / 4) */
    size_t counters;  /* (count rule, key, source) counters (default 4,096) */
    size_t facts;     /* (unit, fact) context facts (default 1,024) */
    size_t detectors; /* (anomaly rule, point) detector states, when the set has anomaly rules
                         (default 4,096; ~2.5 KB each) */
} rule_engine_config;

typedef struct rule_engine rule_engine;

/* Build an engine for a parsed set (copied). cfg NULL or zero fields take
 * the defaults. Caller owns *out (rule_engine_free). */
ws_err rule_engine_init(const rule_set *set, const rule_engine_config *cfg, rule_engine **out);
void rule_engine_free(rule_engine *e);
const rule_set *rule_engine_set(const rule_engine *e);

/* Start tracking a point at now_ms (so a point that never reports goes stale
 * max_gap after now). Readings track unknown points themselves (their first
 * reading's time). WS_ETOOBIG naming "rule_points" / "rule_slots" when full.
 * Tracking a known point is a no-op. The point's attributes are copied at
 * first sight; after a change of the register rebuild the engine. */
ws_err rule_track(rule_engine *e, const rule_point *p, int64_t now_ms);

/* One reading at source time t_ms (quality: ws_quality, GOOD 0, UNCERTAIN 1,
 * BAD 2, STALE 3). Writes at most cap events to out and their number to *n;
 * cap must be >= RULE_READING_EVENTS (else WS_EINVAL, field "cap"). A late
 * reading (t_ms <= the point's last evaluated time) returns WS_OK with *n = 0
 * and changes nothing. BAD/STALE or a non-finite value restarts roc and
 * flatline (a dead sensor is not flat) and makes the point's composite
 * conditions false; it still counts as a sign of life for stale. */
ws_err rule_on_reading(rule_engine *e, const rule_point *p, int64_t t_ms, double value,
                       uint8_t quality, rule_event *out, int cap, int *n);

/* The timer: stale and offline raises (at_ms = last reading + max_gap, so
 * the tick's phase does not matter), composite on-delays that fell due
 * (at_ms = when it became due), facts that expired (at their until_ms).
 * cap >= RULE_READING_EVENTS. When many things fall due at once the events
 * may not fit: repeat the call with the same now until it returns *n == 0
 * (what was emitted is not emitted again). now_ms must not go backwards (an
 * older now is treated as the latest). */
ws_err rule_on_tick(rule_engine *e, int64_t now_ms, rule_event *out, int cap, int *n);

/* A context fact of an area (unit), e.g. "hot_work_active", on or off;
 * until_ms > 0: it turns itself off then (at a tick). WS_ETOOBIG naming
 * "rule_facts" when the table is full; WS_EINVAL naming "fact" for a bad
 * name. cap >= RULE_READING_EVENTS. */
ws_err rule_on_context(rule_engine *e, int64_t unit_id, const char *fact, bool on,
                       int64_t until_ms, int64_t now_ms, rule_event *out, int cap, int *n);

/* The fact keys of a sensor fault for count rules (the default rule set's
 * "equipment_fault" matches both): the source is a device id, or a point id
 * for a point without a device (the ids are separate sequences). */
#define RULE_FAULT_DEVICE "equipment_fault:device"
#define RULE_FAULT_POINT "equipment_fault:point"

/* An event for count rules: key (e.g. "equipment_fault" or
 * "equipment_fault:E42"), on source_id (e.g. the equipment) of unit_id, at
 * now_ms. A count rule matches a key equal to its own or starting with its
 * own followed by ':'; counting is per (rule, key as given, source). The
 * N-th occurrence within the window emits an RULE_EV_ACTION (and a raise
 * when the rule has "alarm": true) and starts the count again. WS_ETOOBIG
 * naming "rule_counters" when the table is full. cap >= RULE_READING_EVENTS. */
ws_err rule_on_fact_event(rule_engine *e, const char *key, int64_t source_id, int64_t unit_id,
                          int64_t now_ms, rule_event *out, int cap, int *n);

/* Whether (rule_id, source_id) is raised now (tests, the backtest's end). */
bool rule_active(const rule_engine *e, int64_t rule_id, int64_t source_id);
/* The latest anomaly score of a point (the highest over its anomaly rules),
 * NaN when no anomaly rule scores it (the dynamic risk index reads it). */
double rule_point_score(const rule_engine *e, int64_t point_id);

/* State export / import for restarts: one opaque blob (plain structs with a
 * header: magic, format version, the set's fingerprint, capacities, and an
 * FNV-1a checksum). rule_state_size gives the bytes needed. Import into an
 * engine built from the same set and capacities; otherwise WS_ECONFLICT
 * naming "state" (start fresh); a damaged blob is WS_ECORRUPT naming "state".
 * Import replaces the whole state. */
size_t rule_state_size(const rule_engine *e);
ws_err rule_state_export(const rule_engine *e, void *buf, size_t cap, size_t *len);
ws_err rule_state_import(rule_engine *e, const void *buf, size_t len);

#endif
