/* permit.h — special-work permits (特殊作业票) under GB 30871-2022: the eight
 * operation types, their locked lifecycle, the register of special-operation
 * certificates, simultaneous-operation conflicts, the live gas link, and the
 * compliance report. The rules themselves are permit_rules.h (pure); this
 * module keeps the records and enforces the verdicts.
 *
 * The lifecycle (every type; the statutory steps cannot be skipped, and no
 * setting turns a rule off):
 *
 *   draft ─submit─► applied ─confirm_measures─► identified ─gas (passing)─► tested
 *     │                │                            │                         │ approve (each post of
 *     │                │                            │     types without gas:  │  the effective grade's
 *     │                │                            └─confirm_measures────────┤  chain; the last one)
 *     │                │                                                      ▼
 *     │                │                       active ◄──────check_in─────  approved
 *     │                │              (guardian; every rule passes;  │ ▲
 *     │                │               no conflicting permit)  suspend│ │resume (rules of RESUME pass)
 *     │                │                                              ▼ │
 *     └───cancel───────┴─── (any state before active) ──────►     suspended
 *                                                                   │
 *   active | suspended ─close─► closed      active | suspended ─tick: validity over─► expired
 *   suspended ─cancel─► cancelled           active ─tick: a RUNNING rule fails, a linked detector
 *                                                    beyond the pass limit or stale─► suspended
 *
 * Invariants (tests/unit/test_permit.c):
 *  1. A permit enters active only when pr_check(ACTIVATE or RESUME) has no
 *     failing rule and no conflicting permit is active in its unit and window;
 *     the refusal (WS_ECONFLICT, field = the rule id) names the rule and why.
 *  2. Every change of a permit writes one timeline entry and one audit leaf
 *     of the row (doc included) in the same transaction.
 *  3. Terminal states (closed, cancelled, expired) never change again.
 *  4. A permit past its validity is never active after a tick.
 *  5. The gas link raises at most one open 紧急 alarm per permit.
 *
 * Permissions (auth policy): permit.read (all roles in scope), permit.write
 * (apply, edit a draft, measures, gas tests, guardian check-in, suspend,
 * close: admin, manager, safety officer, department head, grid leader,
 * worker), permit.approve (admin, manager, safety officer, department head;
 * plus the approver must hold the chain's post), permit.admin (the
 * certificate register: admin, manager, safety officer), permit.rules (the
 * profile in force, the calendar, the conflict matrix: install-wide, admin). */
#ifndef WS_PERMIT_H
#define WS_PERMIT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "audit/audit.h"
#include "org/org.h"
#include "permit/permit_rules.h"
#include "store/store.h"

struct warn;

extern const audit_entity PERMIT_ENTITY;             /* "permit" */
extern const audit_entity PERMIT_ENTITY_PACKAGE;     /* "permit_package" */
extern const audit_entity PERMIT_ENTITY_CERTIFICATE; /* "certificate" */

#define PERMIT_TEXT_MAX 2000
#define PERMIT_TITLE_MAX 200
#define PERMIT_DOC_MAX (256u << 10)  /* bytes of one permit's record */
#define PERMIT_GAS_POINTS_MAX 8

/* Register the audited entities. Call once at start-up (idempotent). */
ws_err permit_init(void);

/* The running service: the rule profile in force, the calendar, the
 * early-warning engine (for linked gas points; may be NULL), and the 1 s
 * timer thread (no_thread: the caller calls permit_tick itself). */
typedef struct permit_svc permit_svc;
typedef struct permit_config {
    store *db;
    struct warn *warn;
    bool no_thread;
} permit_config;
ws_err permit_open(const permit_config *cfg, permit_svc **out);
void permit_close(permit_svc *s);

/* One pass of the timer at now: permits past their validity expire, active
 * ones whose RUNNING rules fail or whose linked detectors cross the pass
 * limit (or go stale) suspend, with a 紧急 alarm for the gas; the people on
 * the permit are told. *changed (may be NULL) gets the number of permits
 * moved. */
ws_err permit_tick(permit_svc *s, int64_t now, int *changed);

/* ----------------------------------------------------------------- permits */

typedef struct permit_row {
    int64_t id;
    int64_t unit_id;
    int64_t package_id;
    char code[32];
    char type[24];
    char grade[PR_GRADE_MAX];
    char state[16];
    char profile[40];
    char title[PERMIT_TITLE_MAX + 1];
    char location[PERMIT_TITLE_MAX + 1];
    int64_t planned_start, planned_end;
    int64_t applicant_person_id, guardian_person_id, serves_permit_id;
    int64_t activated_at, suspended_at, closed_at;
    char reason[PERMIT_TEXT_MAX + 1];
    json_t *doc;                /* owned: permit_row_free */
    char created_by[48];
    int64_t created_at, updated_at;
    char unit_path[AUTH_PATH_MAX];
    char unit_tz[64];
} permit_row;
void permit_row_free(permit_row *p);

/* Apply: a new permit in draft from body (JSON, see docs/internals/permit.md:
 * type, grade, unit_id, title, location, planned_start, planned_end, package_id,
 * serves_permit_id, height_m, mass_t, hot_tapping, enriched_oxygen, workers
 * [{person_id, cert_type, cert_no}], guardian_person_id, gas_points [ids],
 * measures [{item}] beyond the statutory ones, note). Refusals name the field. */
ws_err permit_create(permit_svc *s, store_conn *c, const org_caller *by, const json_t *body,
                     int64_t *id);
/* Change a draft (same fields; absent ones kept). */
ws_err permit_update(permit_svc *s, store_conn *c, const org_caller *by, int64_t id,
                     const json_t *body);
ws_err permit_get(store_conn *c, int64_t id, permit_row *p);

/* Fire action with its body: submit, confirm_measures ({confirmed:[items]} or
 * all), gas ({kind, value, unit, substance, lel_pct_vol, limit, portable,
 * position, at}), approve ({post, signature?}), check_in ({signature?}:
 * the guardian, activates), suspend ({reason}), resume, close ({note}),
 * cancel ({reason}). Refusals: WS_ECONFLICT naming "state" or the failing
 * rule (with the verdicts in *report when given), WS_EFORBIDDEN, WS_EINVAL
 * naming the field. report (may be NULL) gets the verdicts of the check
 * that decided (new reference). */
ws_err permit_act(permit_svc *s, store_conn *c, const org_caller *by, int64_t id, const char *action,
                  const json_t *body, json_t **report);

/* Everything the permit still lacks at now (PRECHECK), with the effective
 * grade, the approval chain and conflicts, as JSON (new reference). */
ws_err permit_precheck(permit_svc *s, store_conn *c, int64_t id, int64_t now, json_t **out);

typedef struct permit_filter {
    const char *scope_path;
    int64_t unit_id;
    const char *state;     /* "" any; "open" = every non-terminal state */
    const char *type;
    int64_t package_id;
    int64_t from, to;      /* planned window overlapping [from, to); 0 = open */
    int limit;
    int64_t cursor;
} permit_filter;
/* A page as JSON array of permit summaries (new reference); *next the cursor. */
ws_err permit_list(store_conn *c, const permit_filter *f, json_t **items, int64_t *next);
/* The permit as JSON: row, record, timeline, live verdicts (new reference). */
ws_err permit_json(permit_svc *s, store_conn *c, const permit_row *p, bool with_timeline, json_t **out);

/* ---------------------------------------------------------------- packages */

ws_err permit_package_create(store_conn *c, const org_caller *by, int64_t unit_id, const char *title,
                             int64_t *id);
/* Record the joint risk assessment (联合风险评估) of a package. */
ws_err permit_package_assess(store_conn *c, const org_caller *by, int64_t id, const char *assessment);
/* A package as JSON; with path (AUTH_PATH_MAX bytes, may be NULL) its
 * unit's path, for the caller's permission check. */
ws_err permit_package_json(store_conn *c, int64_t id, char *path, json_t **out);

/* ------------------------------------------------------------ certificates */

typedef struct permit_cert_in {
    int64_t person_id;
    const char *type, *number, *issued_on, *authority;
    int64_t expires_at;
    bool revoked;
} permit_cert_in;
ws_err permit_cert_create(store_conn *c, const org_caller *by, const permit_cert_in *in, int64_t *id);
ws_err permit_cert_revoke(store_conn *c, const org_caller *by, int64_t id);
/* The register in scope_path, by id; numbers whole for by's units where by
 * holds permit.admin (by NULL: everywhere), masked elsewhere (pr_cert_mask). */
ws_err permit_cert_list(store_conn *c, const org_caller *by, const char *scope_path, int64_t person_id, int limit,
                        int64_t cursor, json_t **items, int64_t *next);
/* Import a table (xlsx or CSV; columns 工号/employee_no, 证书类型/type,
 * 证书编号/number, 有效期至/expires_on, 发证机关/authority, 发证日期/issued_on):
 * all rows or none; a bad row is refused naming "row N column". */
ws_err permit_cert_import(store_conn *c, const org_caller *by, int64_t enterprise_id,
                          const char *data, size_t len, const char *filename, int *imported);

/* ---------------------------------------------------------- rules as data */

/* The eight types as the lifecycle and the profile in force define them:
 * {profile, items: [{type, label, gas_analysis, states (the locked lifecycle),
 * statutory_measures, rules (the profile's rules for the type: grades,
 * validity, gas, certificates, approval chains)}]} (new reference). */
ws_err permit_types_json(permit_svc *s, store_conn *c, json_t **out);
/* The profile in force and the others shipped: [{key, active, doc}] (new ref). */
ws_err permit_profiles_json(permit_svc *s, store_conn *c, json_t **out);
/* Switch the profile in force (permit.admin). */
ws_err permit_profile_select(permit_svc *s, store_conn *c, const org_caller *by, const char *key);
/* Load a year's holiday calendar (the 国务院办公厅 notice as data). */
ws_err permit_calendar_put(permit_svc *s, store_conn *c, const org_caller *by, int year,
                           const json_t *doc);
ws_err permit_calendars_json(store_conn *c, json_t **out);
/* The conflict matrix [{type_a, type_b, verdict, note}] and its replacement. */
ws_err permit_conflicts_json(store_conn *c, json_t **out);
ws_err permit_conflicts_put(store_conn *c, const org_caller *by, const json_t *rows);

/* -------------------------------------------------------------------- demo */

/* The demo plant's certificates and permits in every state, each taken
 * through the lifecycle by the demo's people (cmd_demo, after the org, the
 * points and the engine's seed). */
ws_err permit_demo_seed(permit_svc *s, store_conn *c, const org_demo_ids *ids);

/* ------------------------------------------------------------------ report */

/* Compliance audit of the permits of unit (subtree) whose window overlaps
 * [from, to): each permit with every rule checked (AUDIT) and each violation
 * with its rule, clause and evidence, as JSON (new reference). */
ws_err permit_report(permit_svc *s, store_conn *c, const char *scope_path, int64_t unit_id,
                     int64_t from, int64_t to, json_t **out);

#endif
