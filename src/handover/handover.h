/* handover.h — 交接班记录: the record of what one shift hands the next for a
 * unit, signed by both in the system (issue 4: alarms reach the right person
 * with the context to act, and that includes the next shift).
 *
 * The outgoing person hands over (交班): the server reads, in the same
 * transaction that writes the record, the alarms raised in the shift's window
 * counted by level, and what the next shift inherits — the alarms still open,
 * the interlock bypasses in force or overdue, the special work active or
 * suspended, the work orders not done — and who is on duty along the
 * escalation chain. That snapshot is stored with the row, so the evidence
 * log seals what was handed over, not what the lists say later. Another
 * person takes it (接班: accepts, or refuses with a reason). The states are
 * drawn in handover.c.
 *
 * How it fits: rank 7 beside permit and dashboard; it reads the alarms,
 * permits, bypasses and work orders of the unit's subtree through its own
 * queries (store/q_handover.c), uses plant for zones and the duty roster,
 * and posts 交接班待接 / 拒绝接班 notices through notify's channels.
 * Permissions: plant.read to read (every role in scope), handover.write to
 * hand over and take (every role but the regulator: the shift's own people).
 * by->subject NULL is a trusted caller (CLI, demo): no permission check.
 *
 * Invariants (tests/integration/test_handover.c):
 *  1. handed -> accepted | refused, nothing else; accepted and refused are
 *     final.
 *  2. The person who takes a handover is not the one who handed it over, and
 *     a refusal says why.
 *  3. At most one handover of a unit waits to be taken.
 *  4. The snapshot and summary are the server's reading at hand-over time and
 *     never change; every change of a record has its audit leaf in the same
 *     transaction (the leaf hashes snapshot and summary with the row).
 *  5. A unit's windows follow on: a window starts where the unit's last
 *     accepted handover ended when that lies in the last 24 hours; else at the
 *     start of the rostered shift (of the unit or its nearest ancestor with
 *     shifts) whose end is nearest the hand-over; else `hours` before it.
 *  6. The next shift is the first occurrence of the same rostered shifts
 *     that starts after the handed-over one; the snapshot names it and the
 *     people and crews (班组) its roster had at hand-over time, and the same
 *     of the handed-over occurrence. A take records whether the
 *     taker is on that occurrence's roster as it stands at taking time
 *     (taken_on_roster: 1 on it, 0 not, NULL when the roster names nobody).
 *     It never refuses on that ground: a shift change at night must not wait
 *     for the roster to be edited; the record and the figures show it. */
#ifndef WS_HANDOVER_H
#define WS_HANDOVER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "audit/audit.h"
#include "core/err.h"
#include "org/org.h"
#include "store/store.h"

#define HANDOVER_NOTE_MAX 2000
#define HANDOVER_LIST_CAP 100     /* rows a snapshot list keeps; "more" says there were more */
#define HANDOVER_HOURS_DEFAULT 12 /* the window without a roster or an earlier handover */
#define HANDOVER_SHIFT_NAME_MAX 60
#define HANDOVER_WAIT_MIN 30      /* default: a handover waiting longer raises 交接班超时未接 */
#define HANDOVER_RULE 108         /* the engine's rule id of that alarm; source = handover id */
#define HANDOVER_MISSED_RULE 109  /* 交接班未交: a shift ended with no handover; source = unit id */
#define HANDOVER_EARLY_MIN 120    /* default: a handover this long before a shift's end counts for it */
#define HANDOVER_LOOK_H 6         /* shift ends further back are not looked at (a restart) */
#define HANDOVER_KEEP_DAYS 7      /* a unit with a handover in these days keeps handovers */

extern const audit_entity HANDOVER_ENTITY;         /* "handover" */
extern const audit_entity HANDOVER_SETTING_ENTITY; /* "handover_setting" (settings.c) */

/* Register the audited entities (start-up; idempotent). */
ws_err handover_init(void);

/* 交接班要求 of one unit (settings.c): whether it must hand over in the
 * system (交接班未交 then applies whether or not it used the record in the
 * last HANDOVER_KEEP_DAYS), the wait before 交接班超时未接 (also the end of
 * the in-time window after a shift end) and the early window. A unit
 * without settings has HANDOVER_WAIT_MIN and HANDOVER_EARLY_MIN and keeps
 * handovers by using them. Not inherited: each unit that hands over has
 * its own. */
#define HANDOVER_WAIT_LO 5
#define HANDOVER_WAIT_HI 240
#define HANDOVER_EARLY_HI 480
typedef struct handover_settings {
    int64_t unit_id;
    bool required;
    int wait_min, early_min;
    bool stored;        /* false: the defaults (no row) */
    int64_t updated_at; /* 0 with the defaults */
} handover_settings;
/* Permission: plant.read on the unit. */
ws_err handover_settings_get(store_conn *c, const org_caller *by, int64_t unit_id, handover_settings *s);
/* Permission: plant.write on the unit; wait_min HANDOVER_WAIT_LO..HI,
 * early_min 0..HANDOVER_EARLY_HI; required only for an active unit inside
 * an enterprise. Refusals name the field. */
ws_err handover_settings_put(store_conn *c, const org_caller *by, const handover_settings *in);

/* A handover as the server would write it now: the window and the snapshot. */
typedef struct handover_draft {
    int64_t unit_id, shift_id; /* shift 0: none found */
    int64_t shift_from;        /* when that occurrence of the shift started (0: none) */
    int64_t shift_day;         /* the local day it started on (days since 1970-01-01) */
    char shift_name[HANDOVER_SHIFT_NAME_MAX + 1];
    int64_t period_from, period_to;
    const char *from_kind;     /* "previous", "shift" or "hours" (invariant 5) */
    json_t *summary, *snapshot; /* owned; handover_draft_clear */
} handover_draft;

/* The draft of unit_id at now (hours: 1..24, the window when nothing else
 * gives one; 0 takes the default). Permission: plant.read on the unit. */
ws_err handover_draft_make(store_conn *c, const org_caller *by, int64_t unit_id, int hours,
                           int64_t now, handover_draft *d);
void handover_draft_clear(handover_draft *d);

typedef struct handover_in {
    int64_t unit_id;
    const char *note;  /* 交班说明: required, what the next shift must know */
    int hours;         /* as in handover_draft_make */
    int64_t person_id; /* who hands over; 0 takes the caller's person */
} handover_in;

/* Hand over (state handed). Permission: handover.write on the unit, which is
 * active and inside an enterprise; a handover of the unit already waiting is
 * WS_ECONFLICT naming unit_id with its id. */
ws_err handover_give(store_conn *c, const org_caller *by, const handover_in *in, int64_t *id);

/* Take a waiting handover: accept (a blank note is none), or refuse with
 * note (required then).
 * person_id as above; the taker is not the one who handed over. Anything but
 * a handed record is WS_ECONFLICT naming "state". */
ws_err handover_take(store_conn *c, const org_caller *by, int64_t id, bool accept,
                     const char *note, int64_t person_id);

typedef struct handover {
    int64_t id, unit_id, shift_id; /* shift 0: none */
    int64_t period_from, period_to;
    char state[12];                /* handed, accepted, refused */
    int64_t handed_by_person_id;
    char handed_note[HANDOVER_NOTE_MAX + 1];
    char *summary, *snapshot;      /* JSON text, owned (handover_clear); snapshot "" in lists */
    int64_t taken_by_person_id, taken_at; /* 0 until taken */
    int taken_on_roster;           /* invariant 6: 1, 0, or -1 (NULL: not taken, or no roster) */
    char taken_note[HANDOVER_NOTE_MAX + 1];
    int64_t created_at, updated_at;
    char unit_path[AUTH_PATH_MAX];
    char unit_name[ORG_NAME_MAX + 1], shift_name[HANDOVER_SHIFT_NAME_MAX + 1];
    char handed_by_name[ORG_NAME_MAX + 1], taken_by_name[ORG_NAME_MAX + 1];
} handover;

/* No permission check (the caller checks plant.read on h->unit_path). */
ws_err handover_get(store_conn *c, int64_t id, handover *h);
void handover_clear(handover *h);

typedef struct handover_filter {
    const char *scope_path; /* rows whose unit path starts with this */
    int64_t unit_id;        /* subtree; 0 any */
    const char *state;      /* NULL any */
    int64_t cursor;         /* ids below it, newest first; 0 from the newest */
    int limit;              /* 1..200 */
} handover_filter;

/* Newest first, without snapshots; caller frees with handover_list_free. */
ws_err handover_list(store_conn *c, const handover_filter *f, handover **items, size_t *n,
                     int64_t *next);
void handover_list_free(handover *items, size_t n);

/* 交接班统计: for each unit under f->scope_path (and f->unit_id's subtree)
 * with handovers made in the last `days` (1..90) days at now, from its first
 * one in that time: the rostered shift ends (those HANDOVER_WAIT_MIN ago at
 * least), how many had a handover in time (from HANDOVER_EARLY_MIN before
 * the end to HANDOVER_WAIT_MIN after it), the handovers by state, and the
 * minutes the next shift took to take them (median; how many took longer
 * than HANDOVER_WAIT_MIN; how many were taken by someone off the next
 * shift's roster). *out: a JSON array by unit id, caller owns. */
#define HANDOVER_KPI_DAYS_MAX 90
ws_err handover_kpi(store_conn *c, const handover_filter *f, int days, int64_t now, json_t **out);

struct warn;
/* The server's minute timer: each handover waiting longer than
 * HANDOVER_WAIT_MIN raises one 预警 "交接班超时未接" on its unit through the
 * engine (paged along the duty roster and escalated like any alarm; once a
 * handover, even if someone closes that alarm); the alarm of a handover
 * taken since clears. *raised (may be NULL) counts the new ones, of this
 * alarm and of the next. */
ws_err handover_tick(store_conn *c, struct warn *w, int64_t now, int *raised);
/* Clear the waiting alarm of handover id at once (when it is taken). */
void handover_alarm_clear(struct warn *w, int64_t id, int64_t unit_id, int64_t now);
/* The same timer, for a unit that keeps handovers (one in the last
 * HANDOVER_KEEP_DAYS): when HANDOVER_WAIT_MIN have passed since one of its
 * rostered shifts ended (the unit's or its nearest ancestor's shifts; ends
 * in the last HANDOVER_LOOK_H hours) and no handover of the unit was made
 * from HANDOVER_EARLY_MIN before that end, one 预警 "交接班未交" on the unit
 * (HANDOVER_MISSED_RULE), once a shift end; it clears when a handover is
 * made (the timer, or handover_missed_clear from the API at once). Units
 * that never used the record in worksafe are not nagged. */
void handover_missed_clear(struct warn *w, int64_t unit_id, int64_t now);

/* The demo's handovers (demo.c): the last day's shift changes of 合成车间's
 * reactor grid accepted (one refused first and handed over again), and
 * 罐区's last two.
 * After the roster exists. */
ws_err handover_demo_seed(store_conn *c, const org_demo_ids *ids, int64_t now);

#endif
