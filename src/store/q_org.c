/* q_org.c — SQL of the organisation module; see q_org.h for parameters and
 * column orders. Written once for SQLite 3.40 and PostgreSQL 15: parameters
 * whose type the context does not fix are CAST, LIKE prefixes are built with
 * ||, and the escape character of user search patterns is '\'. */
#include "store/q_org.h"

#define UNIT_COLS                                                                            \
    "id, parent_id, kind, code, name, tz, leader_person_id, path, enterprise_id, active, " \
    "created_at, updated_at"
#define DEPT_COLS "id, enterprise_id, code, name, active, created_at, updated_at"
#define POST_COLS "id, enterprise_id, department_id, code, name, active, created_at, updated_at"
#define PERSON_COLS                                                                      \
    "p.id, p.unit_id, p.department_id, p.employee_no, p.name, p.phone, p.active, "      \
    "p.left_at, p.created_at, p.updated_at, u.path, u.enterprise_id"
#define TRANSFER_COLS                                                                    \
    "id, person_id, from_unit_id, to_unit_id, from_department_id, to_department_id, "   \
    "reason, at, actor"

const char Q_ORG_LOCK[] =
    "INSERT INTO meta (key, value) VALUES ('org_write_lock', '1') "
    "ON CONFLICT (key) DO UPDATE SET value = excluded.value";

/* ------------------------------------------------------------------ units */
const char Q_ORG_UNIT_GET[] = "SELECT " UNIT_COLS " FROM units WHERE id = $1";
const char Q_ORG_UNIT_BY_CODE[] = "SELECT " UNIT_COLS " FROM units WHERE code = $1";
const char Q_ORG_UNIT_INSERT[] =
    "INSERT INTO units (parent_id, kind, code, name, tz, leader_person_id, path, enterprise_id, "
    "active, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, '', NULL, 1, $7, $7) "
    "RETURNING id";
const char Q_ORG_UNIT_SET_PATH[] = "UPDATE units SET path = $2, enterprise_id = $3 WHERE id = $1";
const char Q_ORG_UNIT_UPDATE[] =
    "UPDATE units SET parent_id = $2, kind = $3, code = $4, name = $5, tz = $6, "
    "leader_person_id = $7, path = $8, updated_at = $9 WHERE id = $1";
const char Q_ORG_UNIT_MOVE_DESC[] =
    "UPDATE units SET path = CAST($2 AS TEXT) || substr(path, CAST($3 AS INTEGER)), "
    "updated_at = $4 WHERE path LIKE CAST($1 AS TEXT) || '%' AND id <> $5";
const char Q_ORG_UNIT_DESC_IDS[] =
    "SELECT id FROM units WHERE path LIKE CAST($1 AS TEXT) || '%' AND id <> $2 ORDER BY id";
const char Q_ORG_UNIT_MAX_PATH[] =
    "SELECT COALESCE(MAX(length(path)), 0) FROM units WHERE path LIKE CAST($1 AS TEXT) || '%'";
const char Q_ORG_UNIT_ACTIVE_CHILDREN[] =
    "SELECT COUNT(*) FROM units WHERE parent_id = $1 AND active = 1";
const char Q_ORG_UNIT_ACTIVE_PEOPLE[] =
    "SELECT COUNT(*) FROM people WHERE unit_id = $1 AND active = 1";
const char Q_ORG_UNIT_SET_ACTIVE[] = "UPDATE units SET active = $2, updated_at = $3 WHERE id = $1";
const char Q_ORG_UNIT_LIST[] =
    "SELECT " UNIT_COLS " FROM units WHERE path LIKE CAST($1 AS TEXT) || '%' "
    "AND (CAST($2 AS BIGINT) = 0 OR parent_id = $2) "
    "AND (CAST($3 AS TEXT) = '' OR kind = $3) "
    "AND (CAST($4 AS BIGINT) < 0 OR active = $4) "
    "AND id > $5 ORDER BY id LIMIT $6";
const char Q_ORG_UNIT_SUBTREE[] =
    "SELECT " UNIT_COLS " FROM units WHERE path LIKE CAST($1 AS TEXT) || '%' "
    "ORDER BY length(path), id LIMIT $2";
const char Q_ORG_UNIT_ROOTS[] = "SELECT id FROM units WHERE parent_id IS NULL ORDER BY id LIMIT 2";
const char Q_ORG_UNIT_CHILDREN[] = "SELECT COUNT(*) FROM units WHERE parent_id = $1";
const char Q_ORG_UNIT_LED_BY[] =
    "SELECT id FROM units WHERE leader_person_id = $1 ORDER BY id";
const char Q_ORG_UNIT_CLEAR_LEADER[] =
    "UPDATE units SET leader_person_id = NULL, updated_at = $2 WHERE id = $1";

/* ------------------------------------------------------------ departments */
const char Q_ORG_DEPT_INSERT[] =
    "INSERT INTO departments (enterprise_id, code, name, active, created_at, updated_at) "
    "VALUES ($1, $2, $3, 1, $4, $4) RETURNING id";
const char Q_ORG_DEPT_GET[] = "SELECT " DEPT_COLS " FROM departments WHERE id = $1";
const char Q_ORG_DEPT_BY_CODE[] =
    "SELECT " DEPT_COLS " FROM departments WHERE enterprise_id = $1 AND code = $2";
const char Q_ORG_DEPT_BY_NAME[] =
    "SELECT " DEPT_COLS " FROM departments WHERE enterprise_id = $1 AND name = $2 ORDER BY id";
const char Q_ORG_DEPT_UPDATE[] =
    "UPDATE departments SET code = $2, name = $3, active = $4, updated_at = $5 WHERE id = $1";
const char Q_ORG_DEPT_ACTIVE_PEOPLE[] =
    "SELECT COUNT(*) FROM people WHERE department_id = $1 AND active = 1";
const char Q_ORG_DEPT_LIST[] =
    "SELECT d.id, d.enterprise_id, d.code, d.name, d.active, d.created_at, d.updated_at "
    "FROM departments d JOIN units e ON e.id = d.enterprise_id "
    "WHERE (e.path LIKE CAST($1 AS TEXT) || '%' OR CAST($1 AS TEXT) LIKE e.path || '%') "
    "AND (CAST($2 AS BIGINT) = 0 OR d.enterprise_id = $2) "
    "AND d.id > $3 ORDER BY d.id LIMIT $4";

/* ------------------------------------------------------------------ posts */
const char Q_ORG_POST_INSERT[] =
    "INSERT INTO posts (enterprise_id, department_id, code, name, active, created_at, "
    "updated_at) VALUES ($1, $2, $3, $4, 1, $5, $5) RETURNING id";
const char Q_ORG_POST_GET[] = "SELECT " POST_COLS " FROM posts WHERE id = $1";
const char Q_ORG_POST_BY_CODE[] =
    "SELECT " POST_COLS " FROM posts WHERE enterprise_id = $1 AND code = $2";
const char Q_ORG_POST_BY_NAME[] =
    "SELECT " POST_COLS " FROM posts WHERE enterprise_id = $1 AND name = $2 ORDER BY id";
const char Q_ORG_POST_UPDATE[] =
    "UPDATE posts SET department_id = $2, code = $3, name = $4, active = $5, updated_at = $6 "
    "WHERE id = $1";
const char Q_ORG_POST_ACTIVE_PEOPLE[] =
    "SELECT COUNT(*) FROM person_posts pp JOIN people p ON p.id = pp.person_id "
    "WHERE pp.post_id = $1 AND p.active = 1";
const char Q_ORG_POST_LIST[] =
    "SELECT d.id, d.enterprise_id, d.department_id, d.code, d.name, d.active, d.created_at, "
    "d.updated_at FROM posts d JOIN units e ON e.id = d.enterprise_id "
    "WHERE (e.path LIKE CAST($1 AS TEXT) || '%' OR CAST($1 AS TEXT) LIKE e.path || '%') "
    "AND (CAST($2 AS BIGINT) = 0 OR d.enterprise_id = $2) "
    "AND d.id > $3 ORDER BY d.id LIMIT $4";

/* ----------------------------------------------------------------- people */
const char Q_ORG_PERSON_INSERT[] =
    "INSERT INTO people (unit_id, department_id, employee_no, name, phone, active, left_at, "
    "created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 1, NULL, $6, $6) RETURNING id";
const char Q_ORG_PERSON_GET[] =
    "SELECT " PERSON_COLS " FROM people p JOIN units u ON u.id = p.unit_id WHERE p.id = $1";
const char Q_ORG_PERSON_BY_EMPNO[] =
    "SELECT id, active FROM people WHERE unit_id = $1 AND employee_no = $2";
const char Q_ORG_PERSON_UPDATE[] =
    "UPDATE people SET unit_id = $2, department_id = $3, employee_no = $4, name = $5, "
    "phone = $6, active = $7, left_at = $8, updated_at = $9 WHERE id = $1";
const char Q_ORG_PERSON_LIST[] =
    "SELECT " PERSON_COLS " FROM people p JOIN units u ON u.id = p.unit_id "
    "WHERE u.path LIKE CAST($1 AS TEXT) || '%' "
    "AND (CAST($2 AS BIGINT) < 0 OR p.active = $2) "
    "AND (CAST($3 AS TEXT) = '' OR p.name LIKE $3 ESCAPE '\\' "
    "     OR lower(p.employee_no) LIKE lower($3) ESCAPE '\\' "
    "     OR (CAST($6 AS BIGINT) = 1 AND p.phone LIKE $3 ESCAPE '\\')) "
    "AND p.id > $4 ORDER BY p.id LIMIT $5";
const char Q_ORG_PERSON_POSTS[] =
    "SELECT id, post_id FROM person_posts WHERE person_id = $1 ORDER BY post_id";
const char Q_ORG_PERSON_POST_INSERT[] =
    "INSERT INTO person_posts (person_id, post_id, created_at) VALUES ($1, $2, $3) RETURNING id";
const char Q_ORG_PERSON_POST_DELETE[] = "DELETE FROM person_posts WHERE id = $1";

/* -------------------------------------------------------------- transfers */
const char Q_ORG_TRANSFER_INSERT[] =
    "INSERT INTO person_transfers (person_id, from_unit_id, to_unit_id, from_department_id, "
    "to_department_id, reason, at, actor) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id";
const char Q_ORG_TRANSFER_LIST[] =
    "SELECT " TRANSFER_COLS " FROM person_transfers WHERE person_id = $1 ORDER BY id LIMIT $2";
const char Q_ORG_TRANSFER_IDS[] =
    "SELECT id FROM person_transfers WHERE person_id = $1 AND id > $2 ORDER BY id LIMIT $3";
const char Q_ORG_TRANSFER_CLEAR_REASON[] = "UPDATE person_transfers SET reason = NULL WHERE id = $1";

/* ---------------------------------------------------------------- erasure */
const char Q_ORG_ERASE_CHECKPOINT_SQLITE[] = "PRAGMA wal_checkpoint(TRUNCATE)";
const char Q_ORG_ERASE_VACUUM_PG[] = "VACUUM people, person_transfers, accounts, record_version";
