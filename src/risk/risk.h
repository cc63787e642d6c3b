/* risk.h — the risk register of 双重预防机制 (dual prevention) in the shape of
 * the national data model (MEM 《危险化学品企业双重预防机制建设指导手册(2021版)》):
 *
 *   risk object (风险分析对象: installation, unit, process, activity; sits on an
 *   org unit, has a responsible person; a major hazard 重大危险源 carries its
 *   三个包保责任人 主要负责人, 技术负责人, 操作负责人)
 *     └ risk unit (风险分析单元, responsible person)
 *         └ risk event (风险事件: description, GB 6441 accident type, assessed by
 *           LEC or LS with inherent and residual values -> levels)
 *             └ control measure (管控措施: engineering, management, training,
 *               ppe, emergency)
 *                 └ inspection task (隐患排查任务: what, how often, which post
 *                   or grid)
 *
 * How it fits: risk sits on store (named queries in store/q_risk.c), audit
 * (every write appends a leaf in its transaction), auth (auth_decide with the
 * object's unit path: "risk.read", "risk.write") and org (units, people,
 * posts, org_caller). api/api_risk.c turns these structs into JSON.
 *
 * Rule data (docs/internals/risk.md): the LEC and LS value tables, cut-offs
 * and the four levels are compiled in as the default rule set
 * "chem-default" version 1 and stored in risk_rule_sets as a versioned row
 * the first time they are needed (risk_rules_active). Every assessment
 * records the id of the rule-set row it used.
 *
 * Invariants (asserted by tests/unit/test_risk.c):
 *  1. An event's score is the product of table values (LEC: D = L x E x C;
 *     LS: R = L x S), computed in exact integer tenths; a value not in the
 *     active table is refused naming the field.
 *  2. A score takes the highest level whose cut-off it reaches: cut-offs are
 *     lower bounds, inclusive (LEC: [320,inf) 重大, [160,320) 较大, [70,160)
 *     一般, below 70 低).
 *  3. An event's level is its residual level; a unit's level is the highest
 *     of its active events'; an object's the highest of its active units'.
 *     Computed on read (SQL MAX over the children), so always current.
 *  4. A major-hazard object has all three responsible persons.
 *  5. Every change has its audit leaf in the same transaction. */
#ifndef WS_RISK_H
#define WS_RISK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "audit/audit.h"
#include "auth/auth.h"
#include "core/err.h"
#include "core/json.h" /* json_t of risk_ruleset_check_tables */
#include "org/org.h"
#include "store/store.h"

#define RISK_NAME_MAX 200
#define RISK_TEXT_MAX 2000
#define RISK_CODE_MAX 64
#define RISK_FACTORS_MAX 10 /* values in one factor table */

extern const audit_entity RISK_ENTITY_RULE_SET; /* "risk_rule_set" */
extern const audit_entity RISK_ENTITY_OBJECT;   /* "risk_object" */
extern const audit_entity RISK_ENTITY_UNIT;     /* "risk_unit" */
extern const audit_entity RISK_ENTITY_EVENT;    /* "risk_event" */
extern const audit_entity RISK_ENTITY_MEASURE;  /* "risk_measure" */
extern const audit_entity RISK_ENTITY_TASK;     /* "risk_task" */

/* Register the audited entities (idempotent). */
ws_err risk_init(void);

/* ------------------------------------------------------------- levels */

/* rank 4 major 重大 red, 3 high 较大 orange, 2 medium 一般 yellow, 1 low 低 blue;
 * 0 = not assessed. */
typedef struct risk_level {
    int rank;
    const char *code, *name, *colour; /* static */
} risk_level;
/* The level of a rank (0 gives code NULL). */
risk_level risk_level_of_rank(int rank);
/* The rank of a level code, 0 when unknown. */
int risk_rank_of(const char *code);

/* ---------------------------------------------------------- rule sets */

typedef struct risk_factor {
    int x10;            /* the value in tenths (0.1 -> 1, 10 -> 100) */
    char label[96];
} risk_factor;

typedef struct risk_cutoff {
    int rank;           /* level reached */
    int64_t min_scaled; /* lower bound, inclusive, in the method's scale */
    double min;         /* the same as written in the table */
} risk_cutoff;

typedef struct risk_method_table {
    int nfactors;                 /* 3 (LEC: l, e, c) or 2 (LS: l, s) */
    char names[3][2];             /* "l","e","c" or "l","s" */
    risk_factor f[3][RISK_FACTORS_MAX];
    int nf[3];
    risk_cutoff cut[4];           /* highest level first */
    int ncut;
} risk_method_table;

typedef struct risk_rules {
    int64_t id;                   /* row of risk_rule_sets */
    char code[RISK_CODE_MAX + 1];
    int64_t version;
    char name[RISK_NAME_MAX + 1];
    char source[600];
    char edition[RISK_NAME_MAX + 1];
    char effective_on[16];        /* YYYY-MM-DD */
    char profile[RISK_CODE_MAX + 1];
    risk_method_table lec, ls;
} risk_rules;

/* The built-in default (chemical profile), as compiled in. Static. */
const risk_rules *risk_rules_builtin(void);
/* The tables of a rule set as JSON (caller frees with free()). */
char *risk_rules_tables_json(const risk_rules *r);
/* Parse the tables JSON of a rule-set row into r (header fields untouched). */
ws_err risk_rules_parse_tables(const char *json, risk_rules *r);

/* The active rule set, from the database; stores the built-in one first
 * when the table holds none (own transaction unless one is open; one
 * "risk_rule_set" create leaf). */
ws_err risk_rules_active(store_conn *c, risk_rules *out);
/* A rule set by row id. */
ws_err risk_rules_get(store_conn *c, int64_t id, risk_rules *out);

typedef enum { RISK_LEC = 1, RISK_LS = 2 } risk_method;

/* One assessment: v holds the factor values (LEC l, e, c; LS l, s). */
typedef struct risk_assessment {
    double v[3];
    double score;
    int rank;
} risk_assessment;

/* Score and level of values v under method m of rules r. A value not in
 * its table fails WS_EINVAL naming prefix + factor ("inherent_l"). */
ws_err risk_assess(const risk_rules *r, risk_method m, const double *v, const char *prefix,
                   risk_assessment *out);
/* The level a score reaches under method m (for tests at the cut-offs). */
int risk_rank_of_score(const risk_rules *r, risk_method m, double score);

/* ---------------------------------------------------------- register */

typedef struct risk_object {
    int64_t id, unit_id;
    char kind[16];
    char code[RISK_CODE_MAX + 1];
    char name[RISK_NAME_MAX + 1];
    char description[RISK_TEXT_MAX + 1];
    int64_t responsible_person_id;
    bool major_hazard;
    int64_t mh_principal_person_id, mh_technical_person_id, mh_operational_person_id;
    bool active;
    int64_t created_at, updated_at;
    char unit_path[AUTH_PATH_MAX];
    int level_rank; /* max over active units' events, 0 when none */
    int64_t nunits;
} risk_object;

enum {
    RISK_SET_UNIT = 1u << 0, RISK_SET_KIND = 1u << 1, RISK_SET_CODE = 1u << 2,
    RISK_SET_NAME = 1u << 3, RISK_SET_DESC = 1u << 4, RISK_SET_RESP = 1u << 5,
    RISK_SET_MH = 1u << 6, RISK_SET_MH_PRINCIPAL = 1u << 7, RISK_SET_MH_TECHNICAL = 1u << 8,
    RISK_SET_MH_OPERATIONAL = 1u << 9, RISK_SET_ACTIVE = 1u << 10,
};

typedef struct risk_object_in {
    unsigned set; /* for updates: which fields apply (RISK_SET_*); create uses all */
    int64_t unit_id;
    const char *kind, *code, *name, *description;
    int64_t responsible_person_id;
    bool major_hazard;
    int64_t mh_principal_person_id, mh_technical_person_id, mh_operational_person_id;
    bool active;
} risk_object_in;

/* Permission: risk.write on the unit (and the new unit on a move). A major
 * hazard without one of its three persons is WS_EINVAL naming it. */
ws_err risk_object_create(store_conn *c, const org_caller *by, const risk_object_in *in,
                          int64_t *id);
ws_err risk_object_update(store_conn *c, const org_caller *by, int64_t id,
                          const risk_object_in *in);
/* Read one (no permission check: callers decide on unit_path). */
ws_err risk_object_get(store_conn *c, int64_t id, risk_object *o);

typedef struct risk_filter {
    const char *scope_path; /* objects whose unit path starts with this */
    int64_t parent_id;      /* unit_id (objects, subtree), object_id, risk_unit_id, event_id, measure_id; 0 any */
    const char *kind;       /* objects: kind; measures: category; NULL any */
    int active;             /* -1 any, 0, 1 */
    int64_t cursor;
    int limit;
} risk_filter;
/* Pages ordered by id; caller frees *items. */
ws_err risk_object_list(store_conn *c, const risk_filter *f, risk_object **items, size_t *n,
                        int64_t *next);

typedef struct risk_unit {
    int64_t id, object_id;
    char name[RISK_NAME_MAX + 1];
    char description[RISK_TEXT_MAX + 1];
    int64_t responsible_person_id;
    bool active;
    int64_t created_at, updated_at;
    char unit_path[AUTH_PATH_MAX];
    int level_rank;
    int64_t nevents;
} risk_unit;

typedef struct risk_unit_in {
    unsigned set; /* RISK_SET_NAME, _DESC, _RESP, _ACTIVE */
    int64_t object_id;
    const char *name, *description;
    int64_t responsible_person_id;
    bool active;
} risk_unit_in;
ws_err risk_unit_create(store_conn *c, const org_caller *by, const risk_unit_in *in, int64_t *id);
ws_err risk_unit_update(store_conn *c, const org_caller *by, int64_t id, const risk_unit_in *in);
ws_err risk_unit_get(store_conn *c, int64_t id, risk_unit *u);
ws_err risk_unit_list(store_conn *c, const risk_filter *f, risk_unit **items, size_t *n,
                      int64_t *next);

typedef struct risk_event {
    int64_t id, risk_unit_id, object_id;
    char description[RISK_TEXT_MAX + 1];
    char accident_type[4];    /* GB 6441 code "01".."20", "" when none */
    risk_method method;
    int64_t rule_set_id;
    risk_assessment inherent, residual;
    bool active;
    int64_t created_at, updated_at;
    char unit_path[AUTH_PATH_MAX];
} risk_event;

enum { RISK_SET_EV_DESC = 1u << 0, RISK_SET_EV_TYPE = 1u << 1, RISK_SET_EV_ASSESS = 1u << 2,
       RISK_SET_EV_ACTIVE = 1u << 3 };
typedef struct risk_event_in {
    unsigned set;
    int64_t risk_unit_id;
    const char *description, *accident_type;
    const char *method;       /* "LEC" or "LS" */
    double inherent[3];       /* LEC l, e, c; LS l, s */
    double residual[3];
    bool has_residual;        /* false: residual = inherent */
    bool active;
} risk_event_in;
/* Assessed with the active rule set, whose id the event records. */
ws_err risk_event_create(store_conn *c, const org_caller *by, const risk_event_in *in,
                         int64_t *id);
/* A new assessment (RISK_SET_EV_ASSESS) uses the active rule set again. */
ws_err risk_event_update(store_conn *c, const org_caller *by, int64_t id, const risk_event_in *in);
ws_err risk_event_get(store_conn *c, int64_t id, risk_event *e);
ws_err risk_event_list(store_conn *c, const risk_filter *f, risk_event **items, size_t *n,
                       int64_t *next);
/* True for a GB 6441 accident type code "01".."20"; *name its name. */
bool risk_accident_type(const char *code, const char **name);

typedef struct risk_measure {
    int64_t id, event_id;
    char category[16];
    char text[RISK_TEXT_MAX + 1];
    bool active;
    int64_t created_at, updated_at;
    char unit_path[AUTH_PATH_MAX];
} risk_measure;
enum { RISK_SET_M_CATEGORY = 1u << 0, RISK_SET_M_TEXT = 1u << 1, RISK_SET_M_ACTIVE = 1u << 2 };
typedef struct risk_measure_in {
    unsigned set;
    int64_t event_id;
    const char *category, *text;
    bool active;
} risk_measure_in;
ws_err risk_measure_create(store_conn *c, const org_caller *by, const risk_measure_in *in,
                           int64_t *id);
ws_err risk_measure_update(store_conn *c, const org_caller *by, int64_t id,
                           const risk_measure_in *in);
ws_err risk_measure_get(store_conn *c, int64_t id, risk_measure *m);
ws_err risk_measure_list(store_conn *c, const risk_filter *f, risk_measure **items, size_t *n,
                         int64_t *next);

typedef struct risk_task {
    int64_t id, measure_id;
    char what[RISK_TEXT_MAX + 1];
    char frequency[16];       /* daily, weekly, monthly, hours */
    int64_t every_hours;      /* frequency "hours": 1..8760, else 0 */
    int64_t post_id, grid_unit_id; /* at least one; 0 when none */
    bool active;
    int64_t created_at, updated_at;
    char unit_path[AUTH_PATH_MAX];
} risk_task;
enum { RISK_SET_T_WHAT = 1u << 0, RISK_SET_T_FREQ = 1u << 1, RISK_SET_T_HOURS = 1u << 2,
       RISK_SET_T_POST = 1u << 3, RISK_SET_T_GRID = 1u << 4, RISK_SET_T_ACTIVE = 1u << 5 };
typedef struct risk_task_in {
    unsigned set;
    int64_t measure_id;
    const char *what, *frequency;
    int64_t every_hours, post_id, grid_unit_id;
    bool active;
} risk_task_in;
ws_err risk_task_create(store_conn *c, const org_caller *by, const risk_task_in *in, int64_t *id);
ws_err risk_task_update(store_conn *c, const org_caller *by, int64_t id, const risk_task_in *in);
ws_err risk_task_get(store_conn *c, int64_t id, risk_task *t);
ws_err risk_task_list(store_conn *c, const risk_filter *f, risk_task **items, size_t *n,
                      int64_t *next);

/* ------------------------------------------- rule-set management (ruleset.c) */

/* One stored rule set with its flag (GET /api/v1/risk/rule-sets). */
typedef struct risk_rule_set_row {
    risk_rules r;
    bool active;
    int64_t created_at;
} risk_rule_set_row;

/* Every stored rule set, oldest first (at most 500; the built-in one is
 * stored first when none is). Caller frees *items. */
ws_err risk_ruleset_list(store_conn *c, risk_rule_set_row **items, size_t *n);

/* Check the tables of a new rule set strictly (the JSON shape of
 * risk_rules_tables_json): lec.factors l, e, c and ls.factors l, s each 1..10
 * values, positive, in tenths, distinct; cutoffs exactly the four levels
 * major, high, medium, low in that order with min strictly descending and
 * >= 0. WS_EINVAL naming the field ("lec.factors.e[2].value",
 * "ls.cutoffs[1].min"). Fills r's tables on success. */
ws_err risk_ruleset_check_tables(json_t *tables, risk_rules *r);

/* Store a new, inactive version of rule set in->code (version = the highest
 * of that code + 1) with the tables of in (checked as above); header fields
 * required: code, name, source, edition, effective_on (YYYY-MM-DD), profile.
 * Permission: risk.rules.write. One "risk_rule_set" create leaf. */
ws_err risk_ruleset_create(store_conn *c, const org_caller *by, const risk_rules *in,
                           int64_t *id);
/* Make rule set id the only active one (new assessments use it; existing
 * events keep the rule_set_id they were assessed with). An update leaf for
 * every row whose flag changes. Permission: risk.rules.write. */
ws_err risk_ruleset_activate(store_conn *c, const org_caller *by, int64_t id);

/* ----------------------------------------------------- bulk import (import.c) */

/* Import an existing register from one sheet (CSV UTF-8/GBK or XLSX, read by
 * org_table_read), one row per control measure, or per event without one
 * (docs/internals/risk.md "Import"). All or nothing in one transaction (c
 * must not be in one), rolled back when any row fails or dry_run. Records
 * are matched, not duplicated: an object by (org unit, code), or by (org
 * unit, name) when the row has no code; a risk unit by name within its
 * object; an event by description within its unit; a measure by text within
 * its event; a task by its text within its measure. A match whose fields
 * differ is updated. Returns WS_OK, or WS_EINVAL with r->base.errors listing
 * every bad row ("row N: field", the first also as the error detail).
 * Permission: import.run, and risk.write on every row's unit. */
enum { RISK_IMP_OBJECT, RISK_IMP_UNIT, RISK_IMP_EVENT, RISK_IMP_MEASURE, RISK_IMP_TASK,
       RISK_IMP_NLEVELS };
typedef struct risk_import_result {
    org_import_result base;   /* totals over all levels, row errors */
    int created[RISK_IMP_NLEVELS], updated[RISK_IMP_NLEVELS], unchanged[RISK_IMP_NLEVELS];
} risk_import_result;
ws_err risk_import(store_conn *c, const org_caller *by, const char *data, size_t len,
                   bool dry_run, risk_import_result *r);
void risk_import_result_free(risk_import_result *r);
/* ==================================================================
 * Four-colour map and risk card (src/risk/map.c; issue 3 item 2).
 *
 * A site plan is an image attachment set as the plan of an org unit (a
 * site, usually): one plan per unit, table site_plans. On it, each area
 * (any org unit strictly below the plan's unit) may have one polygon, table
 * area_shapes, in coordinates normalised to the image (0..1 from the left
 * and the top), 3..200 points. An area's level is the highest level of the
 * active risk objects in its subtree (so the highest residual level of
 * their active events), with the count of objects at each level; computed
 * on read like the register's levels. Writes need risk.write on the plan's
 * unit and append their audit leaf in the same transaction. */

#define RISK_SHAPE_MIN_POINTS 3
#define RISK_SHAPE_MAX_POINTS 200
#define RISK_POINTS_TEXT_MAX (RISK_SHAPE_MAX_POINTS * 24 + 8) /* "[0.123456,0.123456]," */

extern const audit_entity RISK_ENTITY_SITE_PLAN;  /* "site_plan" (site_plans) */
extern const audit_entity RISK_ENTITY_AREA_SHAPE; /* "area_shape" (area_shapes) */

/* Register the two audited entities of the map (idempotent). */
ws_err risk_map_init(void);

typedef struct risk_plan {
    int64_t id, unit_id, attachment_id;
    int64_t width, height; /* pixels of the image when it was set */
    int64_t created_at, updated_at;
} risk_plan;

typedef struct risk_shape {
    int64_t id, plan_id, unit_id;
    char name[RISK_NAME_MAX + 1]; /* the area unit's name and kind */
    char kind[16];
    char unit_path[AUTH_PATH_MAX];
    char points[RISK_POINTS_TEXT_MAX]; /* JSON [[x,y],...] as stored */
    int level_rank;                    /* highest level below, 0 when none */
    int64_t counts[5];                 /* active risk objects by level rank 0..4 */
    int64_t updated_at;
} risk_shape;

/* The plan of unit_id; WS_ENOTFOUND when it has none. */
ws_err risk_plan_get(store_conn *c, int64_t unit_id, risk_plan *p);
/* Set (or replace) the plan of unit_id to an image attachment the caller
 * may read (else WS_ENOTFOUND naming "attachment_id"; not an image:
 * WS_EINVAL naming it). risk.write on the unit. Fills *out. */
ws_err risk_plan_set(store_conn *c, const org_caller *by, int64_t unit_id, int64_t attachment_id,
                     risk_plan *out);
/* The shapes of a plan with their levels and counts, ordered by id; caller
 * frees *items. */
ws_err risk_shape_list(store_conn *c, int64_t plan_id, risk_shape **items, size_t *n);
/* Active risk objects under the unit path by level rank (0..4); *rank gets
 * the highest rank with a count. */
ws_err risk_map_counts(store_conn *c, const char *path, int64_t counts[5], int *rank);
/* Check a polygon: npoints in 3..200 (else WS_EINVAL "points"), every
 * coordinate finite and in 0..1 (else "points[i]"), not flat ("points"). */
ws_err risk_shape_check(const double *xy, size_t npoints);
/* Set the polygon (xy = x0, y0, x1, y1, ...) of area_unit_id on the plan of
 * unit_id. The area must be an active unit strictly below unit_id
 * ("area_unit_id"); the unit must have a plan (WS_ECONFLICT "unit_id").
 * *created says whether it was new. */
ws_err risk_shape_set(store_conn *c, const org_caller *by, int64_t unit_id, int64_t area_unit_id,
                      const double *xy, size_t npoints, bool *created);
/* Remove the polygon of area_unit_id (WS_ENOTFOUND naming "area_unit_id"
 * when there is none). */
ws_err risk_shape_delete(store_conn *c, const org_caller *by, int64_t unit_id,
                         int64_t area_unit_id);

/* An SVG of the QR code (libqrencode, level M, 8-bit) of text, with a quiet
 * zone of 4 modules: one path of horizontal runs of dark modules, viewBox in
 * modules. *svg (caller frees) is NUL-terminated, *len its length. *modules
 * (may be NULL) gets the symbol's width in modules without the quiet zone. */
#define RISK_QR_QUIET 4
ws_err risk_qr_svg(const char *text, char **svg, size_t *len, int *modules);

#endif
