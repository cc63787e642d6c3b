/* hazard.h — hidden dangers (隐患) and their closed loop, on the workflow
 * engine.
 *
 * A hidden danger is a record (this module: what, where, accident type, hazard
 * factor, photos, the risk event it belongs to) plus one workflow instance of
 * the key "hazard" (src/workflow: the lifecycle, who may act, the statutory
 * guards 五落实 / 治理方案 / not the rectifier / ordered dates, SLA
 * escalation). The record mirrors what lists filter on (state, grade,
 * deadline, the people) and is rewritten in the same transaction as every
 * move of its instance, with its own audit leaf:
 *
 *   hazard_report ─► workflow_start ─► row (state = initial) ─► recurrence check
 *   hazard_act    ─► [supervision rule] ─► workflow_fire ─► row synced
 *   hazard_tick   ─► workflow_tick (SLA escalation) ─► overdue marking
 *
 * Overdue: an open hazard whose deadline (时限) has passed is marked overdue
 * by hazard_tick (timeline "overdue", audit leaf); the rectifying state's SLA,
 * due at the deadline, escalates it up the organisation in the same tick.
 * Recurrence: a hazard reported at a unit where the same hazard (same risk
 * event, or same accident type and hazard factor) was reported within the
 * recurrence period is flagged (recurrence_of) and a timeline entry names the
 * leader it is escalated to.
 * 挂牌督办: a regulator lists a major hazard for supervision; when it asks for
 * it (regulator_acceptance), only a regulator may accept the rectification.
 *
 * Invariants (tests/unit/test_hazard.c asserts them):
 *  1. hazards.state always equals its instance's state; every change of
 *     either has audit leaves in the same transaction.
 *  2. closed_at is set exactly when the state is terminal; overdue is 0 then.
 *  3. overdue = 1 only when deadline <= the time of the tick that set it.
 *  4. Search terms are rewritten with the text they index. */
#ifndef WS_HAZARD_H
#define WS_HAZARD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "audit/audit.h"
#include "auth/auth.h"
#include "core/err.h"
#include "store/store.h"
#include "workflow/workflow.h"

#define HAZARD_TITLE_MAX 200
#define HAZARD_TEXT_MAX 4000
#define HAZARD_LOCATION_MAX 200
#define HAZARD_PHOTOS_MAX 20
#define HAZARD_CODE_MAX 16
#define HAZARD_NAME_MAX 100

extern const audit_entity HAZARD_ENTITY;        /* "hazard" */
extern const audit_entity HAZARD_ENTITY_FACTOR; /* "hazard_factor" */

/* Register the audited entities (idempotent). */
ws_err hazard_init(void);

/* Recurrence period in days (default 90, 1..3650). */
void hazard_set_recurrence_days(int days);

/* ------------------------------------------------------ reference data */

/* {"accident_types":[{code,name}], "hazard_factors":[{code,name,parent}]}:
 * the four GB/T 13861 top classes and the imported finer codes (caller owns). */
ws_err hazard_reference(store_conn *c, json_t **out);
/* Name of a hazard-factor code into name (cap), WS_ENOTFOUND when unknown. */
ws_err hazard_factor_name(store_conn *c, const char *code, char *name, size_t cap);
/* Import finer GB/T 13861 codes: items [{code (digits, 2..12), name, parent
 * (an existing code, whose digits prefix this one)}], sorted parents first
 * by the caller or not: all or nothing, refusals name "items[i].field".
 * Existing codes are refused (WS_ECONFLICT). *added gets the count. */
ws_err hazard_factors_import(store_conn *c, const audit_actor *who, const json_t *items,
                             int *added);

/* ---------------------------------------------------------- records */

typedef struct hazard_in {
    int64_t unit_id;
    const char *title, *description, *accident_type, *hazard_factor, *location;
    int64_t risk_event_id;      /* 0 none */
    bool has_gps;
    double lat, lon;
    const int64_t *photo_ids;   /* attachment ids, n_photos <= HAZARD_PHOTOS_MAX */
    size_t n_photos;
    const char *grade;          /* NULL, "general", "major" */
    int64_t found_at;           /* 0 = now; never in the future */
    const char *source;         /* NULL = "report"; "inspection" */
    bool event_vouched;         /* the caller vouches for risk_event_id (an inspection of the
                                   event's own task): not checked against the subject's scope */
} hazard_in;

/* Report a hidden danger: validates (fields named), starts its workflow
 * instance at unit_id (the subject must have hazard.report there), writes the
 * row, its terms and leaves, and checks recurrence; one transaction (the
 * caller's when open). */
ws_err hazard_report(store_conn *c, const wf_actor *by, const hazard_in *in, int64_t *id);

/* The hazard as the API shows it (caller owns), WS_ENOTFOUND when missing or
 * outside the subject's scope (subject NULL: no check). */
ws_err hazard_get_json(store_conn *c, const auth_subject *s, int64_t id, json_t **out);

/* Fire a workflow action on the hazard's instance and sync the row; extra
 * rule: on a supervised hazard with regulator acceptance, "accept" needs a
 * regulator (WS_EFORBIDDEN otherwise). */
ws_err hazard_act(store_conn *c, const wf_actor *by, int64_t id, const char *action,
                  const json_t *fields);
/* The actions the subject may take, and the timeline (caller owns). */
ws_err hazard_actions(store_conn *c, const auth_subject *s, int64_t id, json_t **out);
ws_err hazard_timeline(store_conn *c, const auth_subject *s, int64_t id, json_t **out);

/* 挂牌督办 by a regulator: level province|city|county, document_no 1..64,
 * note ..2000. Major, open hazards only (WS_ECONFLICT otherwise). */
typedef struct hazard_supervision {
    const char *level, *document_no, *note;
    bool regulator_acceptance;
} hazard_supervision;
ws_err hazard_supervise(store_conn *c, const wf_actor *by, int64_t id,
                        const hazard_supervision *in);

typedef struct hazard_filter {
    const char *path;     /* unit subtree (already intersected with the scope) */
    const char *state;    /* NULL any */
    const char *grade;    /* NULL any */
    bool overdue, supervised;
    const char *q;        /* text, NULL none */
    int64_t cursor;       /* ids below this (0 = from the newest) */
    int limit;            /* 1..HAZARD_EXPORT_MAX */
} hazard_filter;
#define HAZARD_EXPORT_MAX 100000

/* One row of a list, what ledgers and boards need. */
typedef struct hazard_row {
    int64_t id, unit_id, risk_event_id, instance_id;
    char unit_name[128];
    char title[HAZARD_TITLE_MAX + 1];
    char accident_type[4], hazard_factor[HAZARD_CODE_MAX + 1];
    char location[HAZARD_LOCATION_MAX + 1];
    char grade[12], state[WF_ID_MAX + 1], source[16];
    char sup_level[12];
    int64_t found_at, deadline, created_at, updated_at, closed_at;
    int64_t reporter_person_id, assignee_person_id, rectifier_person_id, acceptor_person_id;
    int64_t recurrence_of;
    bool overdue;
} hazard_row;

/* A list filter's state: WS_OK when the hazard workflow's current version
 * has it, else WS_EINVAL naming "state" (a misspelt filter is an error, not
 * an empty list). */
ws_err hazard_state_check(store_conn *c, const char *state);
/* Newest first. *items (caller frees) gets up to f->limit rows, *next the
 * cursor of the next page (0 when none). */
ws_err hazard_list(store_conn *c, const hazard_filter *f, hazard_row **items, size_t *n,
                   int64_t *next);
/* A list row as the API shows it (caller owns). */
json_t *hazard_row_json(const hazard_row *r);
/* The code shown to people: "YH-2026-000123" (cap >= 24). */
void hazard_code(int64_t id, int64_t created_at, char *out, size_t cap);
/* Counts under path: by state, overdue, major open, supervised open. */
ws_err hazard_stats(store_conn *c, const char *path, json_t **out);

/* Text search terms of s (CJK bigrams, lower-cased ASCII words), distinct,
 * at most max, each < 64 bytes, written to terms[i] (static-size rows).
 * Returns the count. Used for indexing and for queries. */
int hazard_terms_of(const char *s, char (*terms)[64], int max);

/* ------------------------------------------------------------- demo */

/* The demo plant's risk register and hidden dangers in every state
 * (demo.c), inside the caller's transaction, after org_demo_seed. */
struct org_demo_ids;
ws_err hazard_demo_seed(store_conn *c, const audit_actor *who, const struct org_demo_ids *ids);
/* A week of one-minute readings of the demo's points into the series store,
 * ending at now (a weeping flange on GT-102 three days ago reaches 报警). */
struct series;
ws_err hazard_demo_readings(store_conn *c, struct series *s, int64_t now);
/* The demo's value of point p at t_ms (the same daily patterns; st is the
 * point's noise state, seeded by the caller). For the live simulator. */
struct point;
double hazard_demo_value(const struct point *p, int64_t t_ms, uint64_t *st);
/* Minutes between p's samples: 1, or 15 for the reactor's online analyser
 * AI-201 (a sample at every minute since the epoch divisible by it). */
int hazard_demo_period_min(const struct point *p);

/* ------------------------------------------------------------ timer */

/* One tick at time now: workflow_tick (escalations), then mark overdue every
 * open hazard whose deadline has passed. Counts may be NULL. */
ws_err hazard_tick(store_conn *c, int64_t now, int *escalated, int *marked);

#endif
