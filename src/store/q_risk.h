/* q_risk.h — named queries of the risk register (src/risk): rule sets,
 * risk objects, risk units, risk events, control measures, inspection tasks.
 *
 * Column orders of the row-returning queries (the readers in src/risk rely
 * on them):
 *   rule set rows: id, code, version, name, source, edition, effective_on,
 *                  profile, tables
 *   object rows:   id, unit_id, kind, code, name, description,
 *                  responsible_person_id, major_hazard, mh_principal_person_id,
 *                  mh_technical_person_id, mh_operational_person_id, active,
 *                  created_at, updated_at, unit path, level rank, active units
 *   unit rows:     id, object_id, name, description, responsible_person_id,
 *                  active, created_at, updated_at, unit path, level rank,
 *                  active events
 *   event rows:    id, risk_unit_id, object_id, description, accident_type,
 *                  method, rule_set_id, inherent_l, inherent_e, inherent_c,
 *                  inherent_s, inherent_score, inherent_level, residual_l,
 *                  residual_e, residual_c, residual_s, residual_score,
 *                  residual_level, residual_rank, active, created_at,
 *                  updated_at, unit path
 *   measure rows:  id, event_id, category, content, active, created_at,
 *                  updated_at, unit path
 *   task rows:     id, measure_id, what, frequency, every_hours, post_id,
 *                  grid_unit_id, active, created_at, updated_at, unit path
 * The unit path is that of the object's org unit (the scope of every level).
 * Levels of units and objects are computed on read: MAX(residual_rank) of the
 * active events below (0 when none). List parameters: $1 scope path, $2
 * parent id or 0, $3 kind/category or '', $4 active or -1, $5 cursor,
 * $6 limit. */
#ifndef WS_Q_RISK_H
#define WS_Q_RISK_H

extern const char Q_RISK_RULESET_INSERT[]; /* $1 code, $2 version, $3 name, $4 source,
                                              $5 edition, $6 effective_on, $7 profile,
                                              $8 tables, $9 now -> id (none on conflict) */
extern const char Q_RISK_RULESET_ACTIVE[];
extern const char Q_RISK_RULESET_GET[];    /* $1 id */

extern const char Q_RISK_OBJECT_INSERT[];  /* $1 unit_id, $2 kind, $3 code, $4 name, $5 desc,
                                              $6 resp, $7 major_hazard, $8 principal,
                                              $9 technical, $10 operational, $11 now -> id */
extern const char Q_RISK_OBJECT_UPDATE[];  /* $1 id, $2..$11 as insert, $12 active, $13 now */
extern const char Q_RISK_OBJECT_GET[];     /* $1 id */
extern const char Q_RISK_OBJECT_LIST[];    /* $2: unit_id (its subtree) */

extern const char Q_RISK_UNIT_INSERT[];    /* $1 object_id, $2 name, $3 desc, $4 resp, $5 now */
extern const char Q_RISK_UNIT_UPDATE[];    /* $1 id, $2 name, $3 desc, $4 resp, $5 active, $6 now */
extern const char Q_RISK_UNIT_GET[];
extern const char Q_RISK_UNIT_LIST[];      /* $2: object_id */

extern const char Q_RISK_EVENT_INSERT[];   /* $1 risk_unit_id, $2 desc, $3 accident_type,
                                              $4 method, $5 rule_set_id, $6..$9 inherent
                                              l e c s, $10 score, $11 level, $12..$15 residual
                                              l e c s, $16 score, $17 level, $18 rank,
                                              $19 now -> id */
extern const char Q_RISK_EVENT_UPDATE[];   /* $1 id, $2..$18 as insert, $19 active, $20 now */
extern const char Q_RISK_EVENT_GET[];
extern const char Q_RISK_EVENT_LIST[];     /* $2: risk_unit_id */

extern const char Q_RISK_MEASURE_INSERT[]; /* $1 event_id, $2 category, $3 content, $4 now */
extern const char Q_RISK_MEASURE_UPDATE[]; /* $1 id, $2 category, $3 content, $4 active, $5 now */
extern const char Q_RISK_MEASURE_GET[];
extern const char Q_RISK_MEASURE_LIST[];   /* $2: event_id, $3 category */

extern const char Q_RISK_TASK_INSERT[];    /* $1 measure_id, $2 what, $3 frequency,
                                              $4 every_hours, $5 post_id, $6 grid_unit_id,
                                              $7 now */
extern const char Q_RISK_TASK_UPDATE[];    /* $1 id, $2..$6 as insert, $7 active, $8 now */
extern const char Q_RISK_TASK_GET[];
extern const char Q_RISK_TASK_LIST[];      /* $2: measure_id */

/* --- bulk import and rule-set management (src/risk/import.c, src/risk/ruleset.c) --- */
/* Matching rows of an import: the id of the active record, at most 2 rows
 * (two people: ambiguous). */
extern const char Q_RISK_IMP_OBJECT_BY_CODE[]; /* $1 unit_id, $2 code -> id */
extern const char Q_RISK_IMP_OBJECT_BY_NAME[]; /* $1 unit_id, $2 name -> id */
extern const char Q_RISK_IMP_UNIT_FIND[];      /* $1 object_id, $2 name -> id */
extern const char Q_RISK_IMP_EVENT_FIND[];     /* $1 risk_unit_id, $2 description -> id */
extern const char Q_RISK_IMP_MEASURE_FIND[];   /* $1 event_id, $2 content -> id */
extern const char Q_RISK_IMP_TASK_FIND[];      /* $1 measure_id, $2 what -> id */
extern const char Q_RISK_IMP_PERSON_BY_EMPNO[]; /* $1 enterprise_id, $2 employee_no -> id */
extern const char Q_RISK_IMP_PERSON_BY_NAME[];  /* $1 enterprise_id, $2 name -> id */
extern const char Q_RISK_RULESET_LIST[];     /* rule set rows + active, created_at; oldest first */
extern const char Q_RISK_RULESET_NEXT_VERSION[]; /* $1 code -> next version */
extern const char Q_RISK_RULESET_CREATE[];   /* as RULESET_INSERT, inactive, -> id */
extern const char Q_RISK_RULESET_OTHER_ACTIVE[]; /* $1 id -> ids of the other active rows */
extern const char Q_RISK_RULESET_SET_ACTIVE[];   /* $1 id, $2 active */
extern const char Q_RISK_RULESET_ACTIVE_OF[];    /* $1 id -> active */
/* --- four-colour map (src/risk/map.c; tables site_plans, area_shapes) --- */
/* plan rows: id, unit_id, attachment_id, width, height, created_at, updated_at
 * shape rows: id, plan_id, unit_id, area name, area kind, area path, points,
 *             updated_at */
extern const char Q_RISK_PLAN_GET[];        /* $1 unit_id -> plan row */
extern const char Q_RISK_PLAN_INSERT[];     /* $1 unit_id, $2 attachment_id, $3 width,
                                               $4 height, $5 now -> id */
extern const char Q_RISK_PLAN_UPDATE[];     /* $1 id, $2..$5 as insert */
extern const char Q_RISK_PLAN_ATTACHMENT[]; /* $1 attachment id -> width, height,
                                               media_type, unit path */
extern const char Q_RISK_SHAPE_LIST[];      /* $1 plan_id -> shape rows by id */
extern const char Q_RISK_SHAPE_FIND[];      /* $1 plan_id, $2 unit_id -> id */
extern const char Q_RISK_SHAPE_INSERT[];    /* $1 plan_id, $2 unit_id, $3 points, $4 now -> id */
extern const char Q_RISK_SHAPE_UPDATE[];    /* $1 id, $2 points, $3 now */
extern const char Q_RISK_SHAPE_DELETE[];    /* $1 id */
extern const char Q_RISK_MAP_COUNTS[];      /* $1 unit path -> level rank, active objects
                                               at that level (objects under the path) */

#endif
