/* q_risk.c — SQL of the risk register; see q_risk.h for parameters and column
 * orders. Written once for SQLite 3.40 and PostgreSQL 15. Each child row
 * reaches its scope through the chain task -> measure -> event -> risk unit ->
 * object -> org unit, so moving an org unit moves its register with it. */
#include "store/q_risk.h"

#define RULESET_COLS "id, code, version, name, source, edition, effective_on, profile, tables"

/* The level of an object / a risk unit: the highest residual rank of the
 * active events below, 0 when none. */
#define OBJECT_LEVEL                                                                      \
    "(SELECT COALESCE(MAX(e.residual_rank), 0) FROM risk_events e "                       \
    "JOIN risk_units ru ON ru.id = e.risk_unit_id "                                       \
    "WHERE ru.object_id = o.id AND ru.active = 1 AND e.active = 1)"
#define UNIT_LEVEL                                                                        \
    "(SELECT COALESCE(MAX(e.residual_rank), 0) FROM risk_events e "                       \
    "WHERE e.risk_unit_id = ru.id AND e.active = 1)"

#define OBJECT_COLS                                                                       \
    "o.id, o.unit_id, o.kind, o.code, o.name, o.description, o.responsible_person_id, "  \
    "o.major_hazard, o.mh_principal_person_id, o.mh_technical_person_id, "               \
    "o.mh_operational_person_id, o.active, o.created_at, o.updated_at, u.path, "         \
    OBJECT_LEVEL ", "                                                                     \
    "(SELECT COUNT(*) FROM risk_units ru WHERE ru.object_id = o.id AND ru.active = 1)"
#define OBJECT_FROM " FROM risk_objects o JOIN units u ON u.id = o.unit_id "

#define UNIT_COLS                                                                         \
    "ru.id, ru.object_id, ru.name, ru.description, ru.responsible_person_id, ru.active, " \
    "ru.created_at, ru.updated_at, u.path, " UNIT_LEVEL ", "                              \
    "(SELECT COUNT(*) FROM risk_events e WHERE e.risk_unit_id = ru.id AND e.active = 1)"
#define UNIT_FROM                                                                         \
    " FROM risk_units ru JOIN risk_objects o ON o.id = ru.object_id "                     \
    "JOIN units u ON u.id = o.unit_id "

#define EVENT_COLS                                                                        \
    "e.id, e.risk_unit_id, ru.object_id, e.description, e.accident_type, e.method, "      \
    "e.rule_set_id, e.inherent_l, e.inherent_e, e.inherent_c, e.inherent_s, "            \
    "e.inherent_score, e.inherent_level, e.residual_l, e.residual_e, e.residual_c, "     \
    "e.residual_s, e.residual_score, e.residual_level, e.residual_rank, e.active, "      \
    "e.created_at, e.updated_at, u.path"
#define EVENT_FROM                                                                        \
    " FROM risk_events e JOIN risk_units ru ON ru.id = e.risk_unit_id "                  \
    "JOIN risk_objects o ON o.id = ru.object_id JOIN units u ON u.id = o.unit_id "

#define MEASURE_COLS                                                                      \
    "m.id, m.event_id, m.category, m.content, m.active, m.created_at, m.updated_at, u.path"
#define MEASURE_FROM                                                                      \
    " FROM risk_measures m JOIN risk_events e ON e.id = m.event_id "                     \
    "JOIN risk_units ru ON ru.id = e.risk_unit_id "                                       \
    "JOIN risk_objects o ON o.id = ru.object_id JOIN units u ON u.id = o.unit_id "

#define TASK_COLS                                                                         \
    "t.id, t.measure_id, t.what, t.frequency, t.every_hours, t.post_id, t.grid_unit_id, " \
    "t.active, t.created_at, t.updated_at, u.path"
#define TASK_FROM                                                                         \
    " FROM risk_tasks t JOIN risk_measures m ON m.id = t.measure_id "                    \
    "JOIN risk_events e ON e.id = m.event_id JOIN risk_units ru ON ru.id = e.risk_unit_id " \
    "JOIN risk_objects o ON o.id = ru.object_id JOIN units u ON u.id = o.unit_id "

#define LIST_TAIL(alias)                                                                  \
    "AND (CAST($4 AS BIGINT) < 0 OR " alias ".active = $4) AND " alias ".id > $5 "       \
    "ORDER BY " alias ".id LIMIT $6"
/* In the scope $1, or an area that holds it (risk.read's REL_AREA_ABOVE in
 * src/auth/policy.c: a grid's people read their area's register). */
#define IN_SCOPE                                                                          \
    "WHERE (u.path LIKE CAST($1 AS TEXT) || '%' "                                         \
    "OR (u.kind = 'area' AND CAST($1 AS TEXT) LIKE u.path || '%')) "

/* -------------------------------------------------------------- rule sets */
const char Q_RISK_RULESET_INSERT[] =
    "INSERT INTO risk_rule_sets (code, version, name, source, edition, effective_on, profile, "
    "tables, active, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9) "
    "ON CONFLICT (code, version) DO NOTHING RETURNING id";
const char Q_RISK_RULESET_ACTIVE[] =
    "SELECT " RULESET_COLS " FROM risk_rule_sets WHERE active = 1 ORDER BY id DESC LIMIT 1";
const char Q_RISK_RULESET_GET[] = "SELECT " RULESET_COLS " FROM risk_rule_sets WHERE id = $1";

/* ---------------------------------------------------------------- objects */
const char Q_RISK_OBJECT_INSERT[] =
    "INSERT INTO risk_objects (unit_id, kind, code, name, description, responsible_person_id, "
    "major_hazard, mh_principal_person_id, mh_technical_person_id, mh_operational_person_id, "
    "active, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1, $11, $11) "
    "RETURNING id";
const char Q_RISK_OBJECT_UPDATE[] =
    "UPDATE risk_objects SET unit_id = $2, kind = $3, code = $4, name = $5, description = $6, "
    "responsible_person_id = $7, major_hazard = $8, mh_principal_person_id = $9, "
    "mh_technical_person_id = $10, mh_operational_person_id = $11, active = $12, "
    "updated_at = $13 WHERE id = $1";
const char Q_RISK_OBJECT_GET[] = "SELECT " OBJECT_COLS OBJECT_FROM "WHERE o.id = $1";
const char Q_RISK_OBJECT_LIST[] =
    "SELECT " OBJECT_COLS OBJECT_FROM IN_SCOPE
    "AND (CAST($2 AS BIGINT) = 0 OR u.path LIKE (SELECT path FROM units WHERE id = $2) || '%') "
    "AND (CAST($3 AS TEXT) = '' OR o.kind = $3) " LIST_TAIL("o");

/* ------------------------------------------------------------------ units */
const char Q_RISK_UNIT_INSERT[] =
    "INSERT INTO risk_units (object_id, name, description, responsible_person_id, active, "
    "created_at, updated_at) VALUES ($1, $2, $3, $4, 1, $5, $5) RETURNING id";
const char Q_RISK_UNIT_UPDATE[] =
    "UPDATE risk_units SET name = $2, description = $3, responsible_person_id = $4, "
    "active = $5, updated_at = $6 WHERE id = $1";
const char Q_RISK_UNIT_GET[] = "SELECT " UNIT_COLS UNIT_FROM "WHERE ru.id = $1";
const char Q_RISK_UNIT_LIST[] =
    "SELECT " UNIT_COLS UNIT_FROM IN_SCOPE
    "AND (CAST($2 AS BIGINT) = 0 OR ru.object_id = $2) AND CAST($3 AS TEXT) = $3 "
    LIST_TAIL("ru");

/* ----------------------------------------------------------------- events */
const char Q_RISK_EVENT_INSERT[] =
    "INSERT INTO risk_events (risk_unit_id, description, accident_type, method, rule_set_id, "
    "inherent_l, inherent_e, inherent_c, inherent_s, inherent_score, inherent_level, "
    "residual_l, residual_e, residual_c, residual_s, residual_score, residual_level, "
    "residual_rank, active, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, "
    "$9, $10, $11, $12, $13, $14, $15, $16, $17, $18, 1, $19, $19) RETURNING id";
const char Q_RISK_EVENT_UPDATE[] =
    "UPDATE risk_events SET risk_unit_id = $2, description = $3, accident_type = $4, "
    "method = $5, rule_set_id = $6, inherent_l = $7, inherent_e = $8, inherent_c = $9, "
    "inherent_s = $10, inherent_score = $11, inherent_level = $12, residual_l = $13, "
    "residual_e = $14, residual_c = $15, residual_s = $16, residual_score = $17, "
    "residual_level = $18, residual_rank = $19, active = $20, updated_at = $21 WHERE id = $1";
const char Q_RISK_EVENT_GET[] = "SELECT " EVENT_COLS EVENT_FROM "WHERE e.id = $1";
const char Q_RISK_EVENT_LIST[] =
    "SELECT " EVENT_COLS EVENT_FROM IN_SCOPE
    "AND (CAST($2 AS BIGINT) = 0 OR e.risk_unit_id = $2) AND CAST($3 AS TEXT) = $3 "
    LIST_TAIL("e");

/* --------------------------------------------------------------- measures */
const char Q_RISK_MEASURE_INSERT[] =
    "INSERT INTO risk_measures (event_id, category, content, active, created_at, updated_at) "
    "VALUES ($1, $2, $3, 1, $4, $4) RETURNING id";
const char Q_RISK_MEASURE_UPDATE[] =
    "UPDATE risk_measures SET category = $2, content = $3, active = $4, updated_at = $5 "
    "WHERE id = $1";
const char Q_RISK_MEASURE_GET[] = "SELECT " MEASURE_COLS MEASURE_FROM "WHERE m.id = $1";
const char Q_RISK_MEASURE_LIST[] =
    "SELECT " MEASURE_COLS MEASURE_FROM IN_SCOPE
    "AND (CAST($2 AS BIGINT) = 0 OR m.event_id = $2) "
    "AND (CAST($3 AS TEXT) = '' OR m.category = $3) " LIST_TAIL("m");

/* ------------------------------------------------------------------ tasks */
const char Q_RISK_TASK_INSERT[] =
    "INSERT INTO risk_tasks (measure_id, what, frequency, every_hours, post_id, grid_unit_id, "
    "active, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $7) RETURNING id";
const char Q_RISK_TASK_UPDATE[] =
    "UPDATE risk_tasks SET what = $2, frequency = $3, every_hours = $4, post_id = $5, "
    "grid_unit_id = $6, active = $7, updated_at = $8 WHERE id = $1";
const char Q_RISK_TASK_GET[] = "SELECT " TASK_COLS TASK_FROM "WHERE t.id = $1";
const char Q_RISK_TASK_LIST[] =
    "SELECT " TASK_COLS TASK_FROM IN_SCOPE
    "AND (CAST($2 AS BIGINT) = 0 OR t.measure_id = $2) AND CAST($3 AS TEXT) = $3 "
    LIST_TAIL("t");

/* ------------------------------------- bulk import and rule-set management */
#define IMP_FIND(tbl, parent, col) \
    "SELECT id FROM " tbl " WHERE " parent " = $1 AND " col " = $2 AND active = 1 " \
    "ORDER BY id LIMIT 1"
const char Q_RISK_IMP_OBJECT_BY_CODE[] = IMP_FIND("risk_objects", "unit_id", "code");
const char Q_RISK_IMP_OBJECT_BY_NAME[] = IMP_FIND("risk_objects", "unit_id", "name");
const char Q_RISK_IMP_UNIT_FIND[] = IMP_FIND("risk_units", "object_id", "name");
const char Q_RISK_IMP_EVENT_FIND[] = IMP_FIND("risk_events", "risk_unit_id", "description");
const char Q_RISK_IMP_MEASURE_FIND[] = IMP_FIND("risk_measures", "event_id", "content");
const char Q_RISK_IMP_TASK_FIND[] = IMP_FIND("risk_tasks", "measure_id", "what");
const char Q_RISK_IMP_PERSON_BY_EMPNO[] =
    "SELECT p.id FROM people p JOIN units u ON u.id = p.unit_id WHERE u.enterprise_id = $1 "
    "AND p.employee_no = $2 AND p.active = 1 ORDER BY p.id LIMIT 2";
const char Q_RISK_IMP_PERSON_BY_NAME[] =
    "SELECT p.id FROM people p JOIN units u ON u.id = p.unit_id WHERE u.enterprise_id = $1 "
    "AND p.name = $2 AND p.active = 1 ORDER BY p.id LIMIT 2";
const char Q_RISK_RULESET_LIST[] =
    "SELECT " RULESET_COLS ", active, created_at FROM risk_rule_sets ORDER BY id LIMIT 500";
const char Q_RISK_RULESET_NEXT_VERSION[] =
    "SELECT COALESCE(MAX(version), 0) + 1 FROM risk_rule_sets WHERE code = $1";
const char Q_RISK_RULESET_CREATE[] =
    "INSERT INTO risk_rule_sets (code, version, name, source, edition, effective_on, profile, "
    "tables, active, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9) RETURNING id";
const char Q_RISK_RULESET_OTHER_ACTIVE[] =
    "SELECT id FROM risk_rule_sets WHERE active = 1 AND id <> $1 ORDER BY id";
const char Q_RISK_RULESET_SET_ACTIVE[] = "UPDATE risk_rule_sets SET active = $2 WHERE id = $1";
const char Q_RISK_RULESET_ACTIVE_OF[] = "SELECT active FROM risk_rule_sets WHERE id = $1";
/* --------------------------------------------------- four-colour map */
#define PLAN_COLS "id, unit_id, attachment_id, width, height, created_at, updated_at"
const char Q_RISK_PLAN_GET[] = "SELECT " PLAN_COLS " FROM site_plans WHERE unit_id = $1";
const char Q_RISK_PLAN_INSERT[] =
    "INSERT INTO site_plans (unit_id, attachment_id, width, height, created_at, updated_at) "
    "VALUES ($1, $2, $3, $4, $5, $5) RETURNING id";
const char Q_RISK_PLAN_UPDATE[] =
    "UPDATE site_plans SET attachment_id = $2, width = $3, height = $4, updated_at = $5 "
    "WHERE id = $1";
const char Q_RISK_PLAN_ATTACHMENT[] =
    "SELECT a.width, a.height, a.media_type, u.path FROM attachments a "
    "JOIN units u ON u.id = a.unit_id WHERE a.id = $1";
const char Q_RISK_SHAPE_LIST[] =
    "SELECT s.id, s.plan_id, s.unit_id, u.name, u.kind, u.path, s.points, s.updated_at "
    "FROM area_shapes s JOIN units u ON u.id = s.unit_id WHERE s.plan_id = $1 ORDER BY s.id";
const char Q_RISK_SHAPE_FIND[] = "SELECT id FROM area_shapes WHERE plan_id = $1 AND unit_id = $2";
const char Q_RISK_SHAPE_INSERT[] =
    "INSERT INTO area_shapes (plan_id, unit_id, points, created_at, updated_at) "
    "VALUES ($1, $2, $3, $4, $4) RETURNING id";
const char Q_RISK_SHAPE_UPDATE[] = "UPDATE area_shapes SET points = $2, updated_at = $3 WHERE id = $1";
const char Q_RISK_SHAPE_DELETE[] = "DELETE FROM area_shapes WHERE id = $1";
/* An area's colour: the level of each active object below it (OBJECT_LEVEL,
 * the highest residual rank of its active units' active events), counted. */
const char Q_RISK_MAP_COUNTS[] =
    "SELECT lv, COUNT(*) FROM (SELECT " OBJECT_LEVEL " AS lv FROM risk_objects o "
    "JOIN units u ON u.id = o.unit_id WHERE o.active = 1 "
    "AND u.path LIKE CAST($1 AS TEXT) || '%') x GROUP BY lv";
