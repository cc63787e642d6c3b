/* alarm.h — the in-memory core of the three-level alarm lifecycle (issue 4
 * item 5): one active alarm per (rule id, source id) with an occurrence
 * count, ISA-18.2 states, acknowledge, shelve with expiry, out of service,
 * clear, close with a handling record, flap (chatter) suppression, flood
 * grouping per area, and escalation along a chain that is data.
 *
 * Pure and deterministic: every call takes the time as an explicit int64 ms
 * argument (no clock reads), so the test build's clock and a restart replay
 * it. Every state change returns event records (alarm_events) that the caller
 * appends to the evidence log and the stream; the caller also persists the
 * changed alarm (alarm_table_get + alarm_to_text) in the same transaction.
 * An alarm is a plain struct; alarm_from_json restores it strictly and
 * alarm_table_restore puts it back, with its escalation timers.
 *
 * The table is an open-addressed hash (linear probing, backward-shift
 * delete) with a capacity fixed at init; nothing is allocated after
 * alarm_table_init. A full table refuses a new alarm with WS_ETOOBIG and the
 * field "alarm_table" (the named error "alarm table full"), never a silent
 * drop. Not thread-safe: one owner (the rule engine's thread) calls it.
 *
 * The state machine is drawn in alarm.c's header comment and in
 * docs/internals/alarm.md, with its invariants (checked by alarm_check). */
#ifndef WS_ALARM_ALARM_H
#define WS_ALARM_ALARM_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alarm/level.h"
#include "core/err.h"

#define ALARM_NAME_MAX 63  /* person / role / approver ids and names, bytes */
#define ALARM_TEXT_MAX 255 /* reason, cause, action, bytes */
#define ALARM_ESC_MAX 6    /* escalation steps in a chain */
#define ALARM_FLAP_MAX 16  /* most transitions a flap window can count */
#define ALARM_FLOOD_MAX 32 /* most annunciations a flood window can count */

/* The state an operator sees (derived from the fields, see alarm_state). */
typedef enum alarm_state {
    ALARM_ST_UNACK = 0,     /* active, unacknowledged */
    ALARM_ST_ACKED = 1,     /* active, acknowledged */
    ALARM_ST_RTN_UNACK = 2, /* returned to normal (cleared), unacknowledged */
    ALARM_ST_RTN_ACKED = 3, /* cleared and acknowledged: awaiting the handling record */
    ALARM_ST_SHELVED = 4,   /* shelved by an operator until an expiry */
    ALARM_ST_OOS = 5,       /* suppressed: out of service (maintenance) */
    ALARM_ST_CLOSED = 6,    /* closed with a handling record (terminal, leaves the table) */
    ALARM_ST_COUNT
} alarm_state;

typedef enum alarm_mode { ALARM_MODE_NORMAL = 0, ALARM_MODE_SHELVED = 1, ALARM_MODE_OOS = 2 } alarm_mode;

typedef struct alarm_esc_step {
    int64_t after_ms;                 /* since the alarm became unacknowledged */
    char target[ALARM_NAME_MAX + 1];  /* e.g. "grid_leader", "safety_officer", "manager" */
} alarm_esc_step;

typedef struct alarm_chain {
    int n;
    alarm_esc_step step[ALARM_ESC_MAX]; /* after_ms non-decreasing */
} alarm_chain;

/* One alarm: the whole state, plain data (serialised by alarm_to_text). */
typedef struct alarm {
    int64_t id;          /* assigned by the table, unique, > 0 */
    int64_t rule_id;     /* key part 1 (> 0) */
    int64_t source_id;   /* key part 2 (> 0), e.g. the point */
    int64_t area_id;     /* flood grouping (>= 0; 0 = no area) */
    uint8_t level;       /* alarm_level, the highest raised */
    uint8_t mode;        /* alarm_mode */
    bool active;         /* the condition is present (as annunciated) */
    bool raw_active;     /* the condition as last reported (differs while chattering) */
    bool acked;
    bool closed;
    bool chattering;     /* flap suppression on: stays up, counts, no new alarms */
    int32_t count;       /* occurrences (raises) since the alarm opened, >= 1 */
    int64_t raised_ms;   /* first raise */
    int64_t last_raise_ms;
    int64_t cleared_ms;  /* last clear applied (0 = never) */
    int64_t acked_ms;    /* 0 = not acked */
    char acked_by[ALARM_NAME_MAX + 1];
    /* shelving / out of service */
    int64_t mode_ms;     /* when the mode was entered */
    int64_t shelved_until; /* expiry (ALARM_MODE_SHELVED only; else 0) */
    char mode_by[ALARM_NAME_MAX + 1];
    char mode_approver[ALARM_NAME_MAX + 1];
    char mode_reason[ALARM_TEXT_MAX + 1];
    /* escalation: a copy of the chain in force when the alarm opened */
    alarm_chain chain;
    int64_t esc_base_ms; /* when the alarm became unacknowledged (the chain's zero) */
    int32_t esc_step;    /* next step index, 0..chain.n */
    int64_t esc_next_ms; /* due time of step esc_step; 0 = nothing due */
    /* flap detection: the last transition times (raise/clear as reported) */
    int32_t flap_n;      /* entries used in flap[] */
    int64_t flap[ALARM_FLAP_MAX];
    int64_t chatter_ms;  /* chattering since (0 = not) */
    int64_t flood_group; /* flood group id the alarm was annunciated in (0 = none) */
    /* handling record (closed only) */
    int64_t closed_ms;
    char cause[ALARM_TEXT_MAX + 1];
    char action[ALARM_TEXT_MAX + 1];
    char person[ALARM_NAME_MAX + 1];
} alarm;

typedef enum alarm_ev_kind {
    AEV_RAISE = 0,     /* a new alarm opened (UNACK) */
    AEV_REPEAT,        /* dedup: the same (rule, source) raised again; count + 1 */
    AEV_REACTIVATE,    /* a cleared, not yet closed alarm became active again (UNACK) */
    AEV_LEVEL_UP,      /* a raise at a higher level */
    AEV_CLEAR,         /* the condition went away */
    AEV_ACK,
    AEV_SHELVE,
    AEV_UNSHELVE,      /* by a person or at expiry (at_ms = the expiry) */
    AEV_SUPPRESS,      /* out of service */
    AEV_UNSUPPRESS,
    AEV_CLOSE,
    AEV_ESCALATE,      /* step esc_step of the chain is due: notify target */
    AEV_CHATTER_BEGIN,
    AEV_CHATTER_END,
    AEV_FLOOD_BEGIN,   /* area area_id: flood group flood_group begins */
    AEV_FLOOD_END,     /* ... ends; flood_ms = its duration */
    AEV_COUNT
} alarm_ev_kind;

typedef struct alarm_event {
    int64_t seq;        /* table-wide, strictly increasing */
    int64_t at_ms;
    uint8_t kind;       /* alarm_ev_kind */
    uint8_t level;
    uint8_t from, to;   /* alarm_state before / after (flood events: 0, 0) */
    int64_t alarm_id, rule_id, source_id, area_id;
    int32_t count;
    int32_t esc_step;   /* AEV_ESCALATE: the step taken (0-based) */
    int64_t flood_group;
    int64_t flood_ms;   /* AEV_FLOOD_END */
    char who[ALARM_NAME_MAX + 1]; /* the person acting, or the escalation target */
} alarm_event;

#define ALARM_EVBUF 6
/* Events of one call (a raise can also begin chattering and a flood). */
typedef struct alarm_events {
    int n;
    alarm_event ev[ALARM_EVBUF];
} alarm_events;

typedef struct alarm_config {
    size_t capacity;         /* most open alarms (>= 1) */
    size_t areas;            /* most areas tracked for floods (>= 1) */
    int flap_transitions;    /* more than this many transitions ... (1..ALARM_FLAP_MAX-1) */
    int64_t flap_window_ms;  /* ... within this window → chattering */
    int flood_alarms;        /* more than this many annunciations ... (1..ALARM_FLOOD_MAX-1) */
    int64_t flood_window_ms; /* ... within this window in one area → flood */
    int64_t shelve_max_ms;   /* longest allowed shelving */
    alarm_chain chain[4];    /* per level (index alarm_level); copied into each alarm */
} alarm_config;

typedef struct alarm_table alarm_table;

/* Defaults: flap > 6 transitions in 60 s; flood > 10 in 10 min (EEMUA 191);
 * shelve at most 8 h; chain for every level: grid_leader at 0,
 * safety_officer at 5 min, manager at 15 min. capacity and areas as given. */
void alarm_config_default(alarm_config *c, size_t capacity, size_t areas);

/* The table; caller owns it (alarm_table_free). NULL config fields refused
 * with WS_EINVAL naming the field. All memory is allocated here, once. */
ws_err alarm_table_init(const alarm_config *c, alarm_table **out);
void alarm_table_free(alarm_table *t);

typedef struct alarm_raise_in {
    int64_t rule_id, source_id, area_id;
    uint8_t level;
    /* the source's response time limit (its response card), 0 none: the
     * chain's second step (the first escalation) comes no later than this
     * after the raise, the later steps as much earlier; never later than
     * the chain says */
    int64_t respond_ms;
} alarm_raise_in;

typedef struct alarm_shelve_in {
    const char *by;       /* required */
    const char *approver; /* required for 紧急, and different from by */
    const char *reason;   /* required */
    int64_t until_ms;     /* now < until_ms <= now + shelve_max_ms (shelve only) */
} alarm_shelve_in;

typedef struct alarm_record {
    const char *cause, *action, *person; /* all required, non-blank */
} alarm_record;

/* The condition of (rule, source) is present at now. Opens an alarm
 * (AEV_RAISE), or counts one more occurrence of the open one (AEV_REPEAT,
 * re-annunciating a cleared one: AEV_REACTIVATE). WS_ETOOBIG "alarm_table"
 * when a new alarm does not fit; WS_EINVAL for bad ids or level. */
ws_err alarm_raise(alarm_table *t, const alarm_raise_in *in, int64_t now, alarm_events *ev);
/* The condition is gone. WS_ENOTFOUND no open alarm; WS_ECONFLICT already clear. */
ws_err alarm_clear(alarm_table *t, int64_t rule_id, int64_t source_id, int64_t now,
                   alarm_events *ev);
/* WS_ECONFLICT when already acknowledged; stops escalation. */
ws_err alarm_ack(alarm_table *t, int64_t rule_id, int64_t source_id, const char *by,
                 int64_t now, alarm_events *ev);
/* Shelve until in->until_ms. 紧急 needs an approver other than the shelver
 * (WS_EFORBIDDEN, field "approver"). WS_ECONFLICT unless mode is normal. */
ws_err alarm_shelve(alarm_table *t, int64_t rule_id, int64_t source_id,
                    const alarm_shelve_in *in, int64_t now, alarm_events *ev);
/* Out of service (maintenance): like shelve without expiry (until_ms ignored). */
ws_err alarm_suppress(alarm_table *t, int64_t rule_id, int64_t source_id,
                      const alarm_shelve_in *in, int64_t now, alarm_events *ev);
/* Back to normal mode (shelved or out of service); an active alarm
 * re-annunciates (UNACK) and its escalation starts again at now. */
ws_err alarm_unshelve(alarm_table *t, int64_t rule_id, int64_t source_id, const char *by,
                      int64_t now, alarm_events *ev);
/* Close with the handling record: only when cleared, acknowledged and in
 * normal mode (WS_ECONFLICT, field "state"); each record field required
 * (WS_EINVAL, field "cause" / "action" / "person"). The closed alarm is
 * copied to *closed_out (may be NULL) and leaves the table. */
ws_err alarm_close(alarm_table *t, int64_t rule_id, int64_t source_id, const alarm_record *rec,
                   int64_t now, alarm *closed_out, alarm_events *ev);

/* The timer: everything due at or before now, in time order per alarm —
 * shelve expiries (at the expiry), escalation steps (each overdue step, at
 * its due time), chatter ends, flood ends. Writes up to cap events to out and
 * their number to *n; more pending than cap → *n = cap and the rest stays
 * due for the next call (never lost). */
ws_err alarm_due(alarm_table *t, int64_t now, alarm_event *out, int cap, int *n);
/* The earliest time alarm_due has something to do (INT64_MAX none). */
int64_t alarm_next_due(const alarm_table *t);

/* Borrowed pointer to the open alarm of (rule, source), NULL when none;
 * valid until the next call that changes the table. */
const alarm *alarm_table_get(const alarm_table *t, int64_t rule_id, int64_t source_id);
/* Iterate open alarms: *pos starts at 0; returns NULL at the end. */
const alarm *alarm_table_next(const alarm_table *t, size_t *pos);
size_t alarm_table_count(const alarm_table *t);
size_t alarm_table_capacity(const alarm_table *t);

/* Put a restored (alarm_from_json) open alarm back, keeping its id and timers.
 * WS_ECONFLICT when its key is open already, WS_EINVAL when closed or
 * inconsistent (alarm_check), WS_ETOOBIG "alarm_table" when full. */
ws_err alarm_table_restore(alarm_table *t, const alarm *a);

/* After a restart: continue alarm ids at next_id and event sequences at
 * next_seq at least (ids of closed alarms are not in the table). */
void alarm_table_set_counters(alarm_table *t, int64_t next_id, int64_t next_seq);

/* Flood state of an area, for the KPI (time in flood). */
typedef struct alarm_area_stats {
    int64_t area_id;
    bool in_flood;
    int64_t flood_since;  /* when the current flood began */
    int64_t flood_group;
    int64_t flood_ms;     /* total of ended floods tracked by this table */
    int32_t floods;       /* number of floods begun */
} alarm_area_stats;
/* WS_ENOTFOUND when the area is not tracked. */
ws_err alarm_area_get(const alarm_table *t, int64_t area_id, alarm_area_stats *out);

/* The derived state (ALARM_ST_*). */
alarm_state alarm_state_of(const alarm *a);
const char *alarm_state_name(int st);
const char *alarm_ev_name(int kind);

/* The invariants of docs/internals/alarm.md, for one alarm at time now.
 * Returns 0, or the number (1..) of the first invariant broken, with a
 * message in ws_fail detail. */
int alarm_check(const alarm *a, int64_t now);

/* Append the whole state to out as a JSON document (alarm_from_json reads
 * it back); WS_ETOOBIG past out's cap. */
struct buf;
ws_err alarm_to_text(const alarm *a, struct buf *out);
/* Strict restore: every key required, no unknown keys, types and ranges
 * checked, then alarm_check; WS_EINVAL naming the field on refusal. */
ws_err alarm_from_json(const json_t *j, alarm *out);

#endif
