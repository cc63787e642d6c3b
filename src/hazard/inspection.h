/* inspection.h — inspection tasks generated from control measures
 * (隐患排查任务 → 排查记录), and the hidden dangers a failed check opens.
 *
 * A risk task (src/risk: what, frequency daily | weekly | monthly | hours
 * with every_hours, a post and/or a grid) yields one occurrence per period,
 * a row of `inspections` with its window [window_start, window_end) in UTC
 * ms, computed from local wall-clock time in the zone of the risk object's
 * org unit (units.tz, IANA; TZif offsets through ledger_tz_offset):
 *
 *   daily    local midnight .. next local midnight
 *   weekly   Monday 00:00 .. next Monday 00:00
 *   monthly  the 1st 00:00 .. the next 1st 00:00
 *   hours N  N dividing 24: local N-hour slots of each day (00:00, 0N:00,
 *            ...); a slot whose wall clock a DST change skips is empty and
 *            dropped, one it repeats is longer. Other N: N elapsed hours,
 *            counted from local midnight of the day the task was created.
 *
 * The task's `what` is the checklist: each non-blank line is one check item
 * (at most INSP_ITEMS_MAX; a one-line what is one item). The items are
 * copied into the occurrence when it is made, so a later edit of the task
 * does not change what an open or finished check asked.
 *
 *   inspection_tick  ─► for every active task: current and next window
 *                       (INSERT .. ON CONFLICT DO NOTHING: idempotent)
 *                    ─► pending occurrences whose window has ended → missed
 *   inspection_complete ─► checks (state pending, window begun, one result
 *                       per item, photos) ─► hazard_report per failed item
 *                       ─► row done with results and hazard ids ─► leaf
 *
 * The place of an occurrence (inspections.unit_id: scope, and the unit of
 * the hazards it opens) is the task's grid when it names one (the people
 * who patrol a grid are usually scoped to it), else the risk object's unit.
 *
 * Who may complete: a person holding the task's post, or the grid's leader
 * or a member of a unit in the grid's subtree; or an admin, manager or
 * safety officer; always with inspection.do in scope (not regulators).
 *
 * Invariants (tests/unit/test_inspection.c asserts them):
 *  1. At most one occurrence per (task, window_start); windows of one task
 *     do not overlap and each contains the instant it was made for.
 *  2. state moves pending → done or pending → missed, never back; a done
 *     occurrence is never changed again.
 *  3. Completing writes the hazards of the failed items, the record and
 *     their audit leaves in one transaction: all or nothing. */
#ifndef WS_INSPECTION_H
#define WS_INSPECTION_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "audit/audit.h"
#include "auth/auth.h"
#include "core/err.h"
#include "store/store.h"
#include "workflow/workflow.h"

#define INSP_ITEMS_MAX 50
#define INSP_NOTE_MAX 2000
#define INSP_PHOTOS_MAX 20
#define INSP_DEFAULT_ACCIDENT "20" /* GB 6441 其它伤害, when the event has none */

extern const audit_entity INSPECTION_ENTITY; /* "inspection" */

/* Register the audited entity (idempotent; called by hazard_init). */
ws_err inspection_init(void);

/* The window of a schedule containing now_ms, in zone tz (NULL/"" Asia/
 * Shanghai). frequency daily|weekly|monthly|hours; every_hours 1..8760 for
 * hours; anchor_ms (the task's creation) only for hours not dividing 24.
 * WS_EINVAL for an unknown frequency. */
ws_err inspection_window(const char *tz, const char *frequency, int64_t every_hours,
                         int64_t anchor_ms, int64_t now_ms, int64_t *start, int64_t *end);

/* The check items of a task's what (non-blank lines, trimmed), into out
 * (caller owns a JSON array of strings). */
json_t *inspection_items_of(const char *what);

/* One timer pass at now: creates the current and the next occurrence of
 * every active task (each its own transaction with a "create" leaf), then
 * marks pending occurrences whose window has ended as missed ("missed"
 * leaf). Counts may be NULL. */
ws_err inspection_tick(store_conn *c, int64_t now, int *created, int *missed);

typedef struct inspection_filter {
    const char *path;  /* unit subtree, already inside the caller's scope */
    const char *state; /* NULL any; pending, done, missed */
    int64_t from, to;  /* windows ending after from and starting before to (0: none) */
    int64_t person_id; /* > 0: only occurrences of that person's posts and grids */
    int64_t task_id;   /* 0 any */
    int64_t cursor;
    int limit;         /* 1..200 */
} inspection_filter;

/* Newest first; *items (caller owns) a JSON array, *next the next cursor. */
ws_err inspection_list(store_conn *c, const inspection_filter *f, json_t **items, int64_t *next);

/* One occurrence as the API shows it (caller owns); WS_ENOTFOUND when
 * missing or outside the subject's scope (subject NULL: no check). */
ws_err inspection_get_json(store_conn *c, const auth_subject *s, int64_t id, json_t **out);

typedef struct inspection_result {
    bool ok;
    const char *note;          /* NULL none; at most INSP_NOTE_MAX bytes */
    const int64_t *photo_ids;  /* image attachments the caller may read */
    size_t n_photos;           /* <= INSP_PHOTOS_MAX */
} inspection_result;

/* Complete occurrence id with one result per check item, in item order.
 * Refusals name the field ("items", "items[2].photo_ids", "state"): 404
 * outside the scope, 403 without the post/grid (or a role that may), 409
 * when it is not pending or its window has not begun. Each failed item
 * opens a hidden danger (source inspection, risk event and its accident
 * type, the item's note and photos, at the occurrence's place);
 * *hazards_opened may be NULL. One
 * transaction (the caller's when open). */
ws_err inspection_complete(store_conn *c, const wf_actor *by, int64_t id,
                           const inspection_result *res, size_t n, int *hazards_opened);

#endif
