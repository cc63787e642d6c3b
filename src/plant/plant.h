/* plant.h — the plant registers the early-warning engine and later issues
 * lean on (issue 4 item 1): minimal shift rosters (who is on duty in a unit,
 * in its time zone), a minimal equipment register with work orders, the
 * register of interlock bypasses (联锁旁路) with approval and expiry, and
 * calibration work orders for devices whose calibration falls due.
 *
 * How it fits: plant (rank 5, beside telemetry) sits on store (named queries
 * in store/q_plant.c, migrations 15 and 34), audit (every write appends a leaf in its
 * transaction), auth (auth_decide on the row's unit path: "plant.read",
 * "plant.write", "bypass.approve") and org (units, people, org_caller). It
 * may not include telemetry or ledger (same rank): it reads the devices and
 * points tables through its own queries, and gets time-zone offsets through
 * the function given to plant_init (the server passes ledger_tz_offset).
 * api/api_plant.c turns these structs into JSON; the engine (src/warn) calls
 * plant_on_duty (escalation grid_leader -> safety_officer -> manager),
 * plant_workorder_open (count-in-window rules) and plant_tick.
 *
 * Write functions run inside the caller's transaction when one is open on the
 * connection, else open and commit their own. by->subject NULL is a trusted
 * caller (engine, timer, CLI): no permission check. Outside the caller's
 * scope a row is WS_ENOTFOUND. Refusals name the field (ws_err_field).
 *
 * Invariants (asserted by tests/unit/test_roster.c, test_equipment.c,
 * test_bypass.c):
 *  1. A shift starts at a local time of its unit's zone and lasts 1..1440
 *     wall-clock minutes; an entry of day D covers [D start, D start +
 *     length) in local time, converted to UTC at each end (so a night shift
 *     ends at its local end time across a DST change; a start inside a
 *     spring-forward gap moves forward by the gap, one in an autumn overlap
 *     takes the earlier instant).
 *  2. A roster entry's person is active and in the shift's enterprise.
 *  3. Work orders move open -> in_progress -> done, open|in_progress ->
 *     cancelled, nothing else (the diagram is in equipment.c); a closed order
 *     has closed_at, closed_by and a note.
 *  4. At most one open (open|in_progress) order per (equipment or device,
 *     kind, source) when the source is an alarm or a rule; at most one
 *     calibration order per device and due date, ever.
 *  5. A bypass's approver differs from its requester and holds
 *     bypass.approve; its expiry is never more than plant_params
 *     bypass_max_hours after the approval that allowed it (the request,
 *     approval or an extension); the states are drawn in bypass.c.
 *  6. Every change has its audit leaf in the same transaction.
 *  7. A person is in at most one active crew (班组) of a unit; a crew has at
 *     most one 班长 (grid_leader) and 1..PLANT_CREW_MAX members; an entry
 *     made for a crew names it, and its crew is of the shift's unit. */
#ifndef WS_PLANT_H
#define WS_PLANT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "audit/audit.h"
#include "auth/auth.h"
#include "core/err.h"
#include "org/org.h"
#include "store/store.h"

#define PLANT_NAME_MAX 200
#define PLANT_SHIFT_NAME_MAX 60
#define PLANT_CODE_MAX 63
#define PLANT_KIND_MAX 32
#define PLANT_TEXT_MAX 2000
#define PLANT_ACTOR_MAX 47
#define PLANT_ROSTER_BATCH_MAX 1000 /* entries in one bulk add */
#define PLANT_TICK_MAX 32           /* expired bypasses one tick flags and returns */

extern const audit_entity PLANT_ENTITY_SHIFT;     /* "shift" */
extern const audit_entity PLANT_ENTITY_ROSTER;    /* "roster_entry" */
extern const audit_entity PLANT_ENTITY_EQUIPMENT; /* "equipment" */
extern const audit_entity PLANT_ENTITY_WORKORDER; /* "work_order" */
extern const audit_entity PLANT_ENTITY_BYPASS;    /* "bypass" */
extern const audit_entity PLANT_ENTITY_CREW;      /* "crew" */

/* The offset from UTC in minutes of IANA zone tz at instant ms (the server
 * passes ledger_tz_offset of ledger/ledger.h). */
typedef int (*plant_tz_fn)(const char *tz, int64_t ms);

/* Register the audited entities and set the zone function (start-up, not
 * thread-safe; idempotent). Without a zone function the time-zone functions
 * below fail with WS_EINTERNAL rather than guess. */
ws_err plant_init(plant_tz_fn tz);

/* A plant_params value (bypass_max_hours, calibration_lead_days); dflt when
 * the row is missing. */
ws_err plant_param(store_conn *c, const char *name, int64_t dflt, int64_t *value);

/* Filters of every list; fields a list does not know are ignored. */
typedef struct plant_filter {
    const char *scope_path;  /* rows whose unit path starts with this */
    int64_t unit_id;         /* subtree; 0 any */
    const char *state;       /* work orders, bypasses; NULL any */
    const char *kind;        /* equipment, work orders; NULL any */
    const char *status;      /* equipment; NULL any */
    const char *role;        /* roster; NULL any */
    const char *from, *to;   /* roster days YYYY-MM-DD inclusive; NULL open */
    const char *source_kind; /* work orders; NULL any */
    const char *q;           /* equipment code or name; NULL any */
    int64_t equipment_id, device_id, point_id, person_id, shift_id; /* 0 any */
    int active;              /* shifts: -1 any, 0, 1 */
    int64_t cursor;
    int limit;               /* 1..200, default 50 */
} plant_filter;

/* ================================================================ rosters */

/* Duty roles of a roster entry. */
bool plant_role_valid(const char *role); /* operator, grid_leader, safety_officer, manager */

typedef struct plant_shift {
    int64_t id, unit_id;
    char name[PLANT_SHIFT_NAME_MAX + 1]; /* 白班, 夜班 */
    int start_min;                       /* local minutes after midnight */
    int length_min;                      /* 1..1440 */
    bool active;
    int64_t created_at, updated_at;
    char unit_path[AUTH_PATH_MAX];
} plant_shift;

enum { PLANT_SH_NAME = 1u << 0, PLANT_SH_START = 1u << 1, PLANT_SH_LENGTH = 1u << 2,
       PLANT_SH_ACTIVE = 1u << 3 };
typedef struct plant_shift_in {
    unsigned set;       /* updates: which fields apply (the unit never changes) */
    int64_t unit_id;
    const char *name;
    const char *start;  /* "HH:MM", 00:00..23:59 */
    int64_t length_min; /* 1..1440 */
    bool active;
} plant_shift_in;

/* Permission: plant.write on the unit. Names unique per unit. */
ws_err plant_shift_create(store_conn *c, const org_caller *by, const plant_shift_in *in,
                          int64_t *id);
ws_err plant_shift_update(store_conn *c, const org_caller *by, int64_t id,
                          const plant_shift_in *in);
ws_err plant_shift_get(store_conn *c, int64_t id, plant_shift *s);
/* Pages by id; caller frees *items. */
ws_err plant_shift_list(store_conn *c, const plant_filter *f, plant_shift **items, size_t *n,
                        int64_t *next);

typedef struct plant_roster {
    int64_t id, unit_id, shift_id, person_id;
    char day[11];  /* local date the shift starts on */
    char role[16];
    int64_t created_at;
    char shift_name[PLANT_SHIFT_NAME_MAX + 1];
    char person_name[ORG_NAME_MAX + 1];
    char unit_path[AUTH_PATH_MAX];
    int64_t crew_id;                          /* 0: rostered as one person */
    char crew_name[PLANT_SHIFT_NAME_MAX + 1]; /* "" when no crew */
    bool person_active; /* false: the person has left since (离职); paging skips them */
} plant_roster;

typedef struct plant_roster_in {
    int64_t shift_id, person_id;
    const char *day;  /* YYYY-MM-DD */
    const char *role;
    int64_t crew_id;  /* 0 none; else a crew of the shift's unit (active or not: a copy of the rota keeps it) */
} plant_roster_in;

/* Add n entries (a week's roster) all or nothing, in one transaction; ids
 * (n slots, may be NULL) get their ids. Permission: plant.write on each
 * shift's unit. A refusal names "entries[i].field" (i from 0); a duplicate
 * entry is WS_ECONFLICT. */
ws_err plant_roster_add(store_conn *c, const org_caller *by, const plant_roster_in *in, size_t n,
                        int64_t *ids);
ws_err plant_roster_delete(store_conn *c, const org_caller *by, int64_t id);
ws_err plant_roster_get(store_conn *c, int64_t id, plant_roster *r);
ws_err plant_roster_list(store_conn *c, const plant_filter *f, plant_roster **items, size_t *n,
                         int64_t *next);

/* ================================================================= crews */

/* A crew (班组): a named group of a unit's people that is rostered as one, a
 * 班长 (role grid_leader, the first step of an alarm's escalation) and
 * operators. Invariant 7: a person is in at most one active crew of a unit,
 * a crew has at most one 班长, and its members are active people of the
 * unit's enterprise when they are put in (a member deactivated later stays
 * listed, and plant_on_duty passes over inactive people). */
#define PLANT_CREW_MAX 30       /* members of one crew */
#define PLANT_SCHEDULE_DAYS 400 /* days of one crew schedule */

typedef struct plant_crew_member {
    int64_t person_id;
    char name[ORG_NAME_MAX + 1];
    char role[16]; /* grid_leader or operator */
    bool active;   /* false: has left since (the crew is to be edited) */
} plant_crew_member;

typedef struct plant_crew {
    int64_t id, unit_id;
    char name[PLANT_SHIFT_NAME_MAX + 1];
    bool active;
    int64_t created_at, updated_at;
    char unit_path[AUTH_PATH_MAX];
    size_t nmembers;
    plant_crew_member members[PLANT_CREW_MAX]; /* in the order given */
} plant_crew;

enum { PLANT_CR_NAME = 1u << 0, PLANT_CR_MEMBERS = 1u << 1, PLANT_CR_ACTIVE = 1u << 2 };
typedef struct plant_crew_in {
    unsigned set; /* updates: which fields apply (the unit never changes) */
    int64_t unit_id;
    const char *name;
    size_t nmembers; /* 1..PLANT_CREW_MAX */
    const int64_t *person_ids;
    const char *const *roles; /* grid_leader or operator, one a member */
    bool active;
} plant_crew_in;

/* Permission: plant.write on the unit. Names unique per unit; refusals name
 * "members[i].person_id" or "members[i].role". */
ws_err plant_crew_create(store_conn *c, const org_caller *by, const plant_crew_in *in, int64_t *id);
ws_err plant_crew_update(store_conn *c, const org_caller *by, int64_t id, const plant_crew_in *in);
ws_err plant_crew_get(store_conn *c, int64_t id, plant_crew *cr);
/* Pages by id (with members); caller frees *items. */
ws_err plant_crew_list(store_conn *c, const plant_filter *f, plant_crew **items, size_t *n,
                       int64_t *next);

/* Put every member of crew crew_id on shift_id on each of ndays days (YYYY-MM-DD),
 * in their crew role, as entries of the crew: all or nothing, in one
 * transaction; a member already on that shift and day in that role is
 * kept as is (*kept counts them, *added the new entries). The shift is an
 * active shift of the crew's unit and the crew is active. Permission:
 * plant.write on the unit. Refusals name "shift_id", "days[i]", "id" (a retired
 * crew) or "members[i].person_id" (a member who has left since). */
ws_err plant_crew_schedule(store_conn *c, const org_caller *by, int64_t crew_id, int64_t shift_id,
                           const char *const *days, size_t ndays, size_t *added, size_t *kept);

/* One of a person's rostered shifts, with its instants (the shift's unit's zone). */
typedef struct plant_my_shift {
    plant_roster r;
    int64_t from_ms, to_ms;
} plant_my_shift;
#define PLANT_MY_SHIFTS_MAX 16

/* The active shifts person_id is rostered on that have not ended at at_ms and begin
 * within 36 hours of it, by start: at most PLANT_MY_SHIFTS_MAX into out. No
 * permission check: a person's own duties (GET /me/shifts). */
ws_err plant_shifts_of(store_conn *c, int64_t person_id, int64_t at_ms, plant_my_shift *out, size_t *n);

/* The people on duty for role at instant at_ms in unit_id or, when nobody
 * there, in the nearest ancestor unit that has someone (walking up
 * units.path), each unit in its own zone. At most cap ids (ascending, no
 * repeats) into ids; *n how many; *from_unit (may be NULL) the unit they were
 * found in, 0 when nobody anywhere (WS_OK, *n 0). No permission check. */
ws_err plant_on_duty(store_conn *c, int64_t unit_id, const char *role, int64_t at_ms,
                     int64_t *ids, size_t cap, size_t *n);
ws_err plant_on_duty_at(store_conn *c, int64_t unit_id, const char *role, int64_t at_ms,
                        int64_t *ids, size_t cap, size_t *n, int64_t *from_unit);

/* Local-time helpers (exposed for tests and the API). A day number is days
 * since 1970-01-01. */
bool plant_date_parse(const char *s, int64_t *day);    /* YYYY-MM-DD, a real date */
void plant_date_format(int64_t day, char out[11]);
/* The local day of instant ms in tz. */
ws_err plant_local_day(const char *tz, int64_t ms, int64_t *day);
/* The UTC instant of local wall time (day, minute of day; minute may exceed
 * 1440 to run into later days) in tz, per invariant 1. */
ws_err plant_local_to_utc(const char *tz, int64_t day, int64_t minute, int64_t *ms);

/* ============================================================== equipment */

typedef struct plant_equipment {
    int64_t id, unit_id, device_id; /* device_id 0: none */
    char code[PLANT_CODE_MAX + 1];
    char name[PLANT_NAME_MAX + 1];
    char kind[PLANT_KIND_MAX + 1]; /* free word: pump, compressor, vessel, valve, ... */
    char status[16];               /* in_service, out_of_service */
    int64_t created_at, updated_at;
    char unit_path[AUTH_PATH_MAX];
} plant_equipment;

enum { PLANT_EQ_UNIT = 1u << 0, PLANT_EQ_CODE = 1u << 1, PLANT_EQ_NAME = 1u << 2,
       PLANT_EQ_KIND = 1u << 3, PLANT_EQ_DEVICE = 1u << 4, PLANT_EQ_STATUS = 1u << 5 };
typedef struct plant_equipment_in {
    unsigned set; /* updates; create uses all (status default in_service) */
    int64_t unit_id, device_id;
    const char *code, *name, *kind, *status;
} plant_equipment_in;

/* Permission: plant.write on the unit; code unique across the install; the
 * device in the same enterprise. */
ws_err plant_equipment_create(store_conn *c, const org_caller *by, const plant_equipment_in *in,
                              int64_t *id);
ws_err plant_equipment_update(store_conn *c, const org_caller *by, int64_t id,
                              const plant_equipment_in *in);
ws_err plant_equipment_get(store_conn *c, int64_t id, plant_equipment *e);
ws_err plant_equipment_list(store_conn *c, const plant_filter *f, plant_equipment **items,
                            size_t *n, int64_t *next);
/* The equipment linked to device_id (lowest id), *id 0 when none. */
ws_err plant_equipment_of_device(store_conn *c, int64_t device_id, int64_t *id);

/* ============================================================ work orders */

typedef struct plant_workorder {
    int64_t id, unit_id, equipment_id, device_id; /* 0: none (one of the two is set) */
    char kind[16];  /* corrective, preventive, calibration */
    char title[PLANT_NAME_MAX + 1];
    char description[PLANT_TEXT_MAX + 1];
    char state[16]; /* open, in_progress, done, cancelled */
    int64_t due_at; /* 0 none */
    int64_t assignee_person_id;
    char source_kind[16]; /* manual, alarm, rule, calibration */
    int64_t source_id;    /* alarm id, rule id, device id; 0 manual */
    char source_ref[16];  /* calibration: the due date */
    char created_by[PLANT_ACTOR_MAX + 1];
    int64_t closed_at;
    char closed_by[PLANT_ACTOR_MAX + 1];
    char close_note[PLANT_TEXT_MAX + 1];
    int64_t created_at, updated_at;
    char unit_path[AUTH_PATH_MAX];
} plant_workorder;

enum { PLANT_WO_TITLE = 1u << 0, PLANT_WO_DESC = 1u << 1, PLANT_WO_DUE = 1u << 2,
       PLANT_WO_ASSIGNEE = 1u << 3 };
typedef struct plant_workorder_in {
    unsigned set; /* updates only: which of title, description, due_at, assignee apply */
    int64_t equipment_id, device_id; /* one at least; the order's unit is theirs */
    const char *kind, *title, *description;
    int64_t due_at;             /* 0 none */
    int64_t assignee_person_id; /* 0 none; active, same enterprise */
    const char *source_kind;    /* NULL/"" = manual; "alarm" or "rule" with source_id */
    int64_t source_id;
} plant_workorder_in;

/* Open a work order. Permission: plant.write on the unit. For an alarm or
 * rule source an order that is still open for the same equipment (or
 * device), kind and source is returned instead (*created false): what the
 * engine calls when a count-in-window rule fires. created may be NULL. */
ws_err plant_workorder_open(store_conn *c, const org_caller *by, const plant_workorder_in *in,
                            int64_t *id, bool *created);
/* Change title, description, due_at, assignee of an order not closed. */
ws_err plant_workorder_update(store_conn *c, const org_caller *by, int64_t id,
                              const plant_workorder_in *in);
/* A transition: "start", "done", "cancel" (note required for done and
 * cancel: what was done, why cancelled). A transition the state does not
 * allow is WS_ECONFLICT naming "state" with the state in the message. */
ws_err plant_workorder_act(store_conn *c, const org_caller *by, int64_t id, const char *action,
                           const char *note);
ws_err plant_workorder_get(store_conn *c, int64_t id, plant_workorder *w);
ws_err plant_workorder_list(store_conn *c, const plant_filter *f, plant_workorder **items,
                            size_t *n, int64_t *next);
/* When device_id was last calibrated: the closing time of its latest done
 * calibration order, 0 when never. */
ws_err plant_device_last_calibrated(store_conn *c, int64_t device_id, int64_t *at_ms);

/* =============================================================== bypasses */

typedef struct plant_bypass {
    int64_t id, unit_id, point_id, equipment_id; /* 0: none (one at least) */
    char interlock[PLANT_NAME_MAX + 1];
    char reason[PLANT_TEXT_MAX + 1];
    char measures[PLANT_TEXT_MAX + 1]; /* risk measures while bypassed */
    int64_t requested_by_person_id, approver_person_id;
    char state[16]; /* requested, approved, active, expired, restored, cancelled */
    int64_t expires_at, requested_at, approved_at, activated_at, expired_at, closed_at;
    char closed_by[PLANT_ACTOR_MAX + 1];
    int extensions;
    int64_t created_at, updated_at;
    char unit_path[AUTH_PATH_MAX];
} plant_bypass;

typedef struct plant_bypass_in {
    int64_t unit_id, point_id, equipment_id;
    const char *interlock, *reason, *measures;
    int64_t requested_by_person_id; /* 0: the caller's person */
    int64_t expires_at;             /* at most bypass_max_hours from now */
} plant_bypass_in;

/* Request a bypass. Permission: plant.write on the unit; the point or
 * equipment in the unit's enterprise. */
ws_err plant_bypass_request(store_conn *c, const org_caller *by, const plant_bypass_in *in,
                            int64_t *id);
/* approver_person_id: the caller's person when the account has one (0 takes
 * it), else required. Permission: bypass.approve; the approver is not the
 * requester. The expiry must still lie within bypass_max_hours of now. */
ws_err plant_bypass_approve(store_conn *c, const org_caller *by, int64_t id,
                            int64_t approver_person_id);
/* approved -> active (plant.write); refused once the expiry has passed. */
ws_err plant_bypass_activate(store_conn *c, const org_caller *by, int64_t id);
/* active|expired -> restored (plant.write). */
ws_err plant_bypass_restore(store_conn *c, const org_caller *by, int64_t id);
/* requested|approved -> cancelled (plant.write). */
ws_err plant_bypass_cancel(store_conn *c, const org_caller *by, int64_t id);
/* A new approval of a later expiry (at most bypass_max_hours from now) for
 * an active or expired bypass, which is active again. Same rules as approve. */
ws_err plant_bypass_extend(store_conn *c, const org_caller *by, int64_t id,
                           int64_t approver_person_id, int64_t expires_at);
ws_err plant_bypass_get(store_conn *c, int64_t id, plant_bypass *b);
ws_err plant_bypass_list(store_conn *c, const plant_filter *f, plant_bypass **items, size_t *n,
                         int64_t *next);

/* ================================================================= timer */

typedef struct plant_expired {
    int64_t bypass_id, unit_id, point_id, equipment_id, expires_at;
    char interlock[PLANT_NAME_MAX + 1];
} plant_expired;

typedef struct plant_tick_out {
    plant_expired expired[PLANT_TICK_MAX]; /* flagged by this tick */
    size_t n_expired;
    bool more_expired;         /* more are overdue: the next tick flags them */
    size_t calibration_opened; /* calibration work orders opened */
} plant_tick_out;

/* The timer: active bypasses past their expiry become expired (audit leaf
 * each, at most PLANT_TICK_MAX a tick) and are returned so the engine raises
 * "联锁旁路超期"; devices whose calibration_due falls within
 * calibration_lead_days (in their unit's zone) get one calibration work
 * order per due date. out may be NULL. */
ws_err plant_tick(store_conn *c, int64_t now_ms, plant_tick_out *out);

#endif
