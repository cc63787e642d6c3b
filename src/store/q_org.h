/* q_org.h — named queries of the organisation module (src/org): units,
 * departments, posts, people, their posts and transfers.
 *
 * Column orders of the row-returning queries (the readers in src/org rely on
 * them):
 *   unit rows:   id, parent_id, kind, code, name, tz, leader_person_id, path,
 *                enterprise_id, active, created_at, updated_at
 *   dept rows:   id, enterprise_id, code, name, active, created_at, updated_at
 *   post rows:   id, enterprise_id, department_id, code, name, active,
 *                created_at, updated_at
 *   person rows: id, unit_id, department_id, employee_no, name, phone, active,
 *                left_at, created_at, updated_at, unit path, unit enterprise_id
 *   transfer rows: id, person_id, from_unit_id, to_unit_id,
 *                from_department_id, to_department_id, reason, at, actor
 * Paths hold only digits and '/', so LIKE prefix matches are exact. */
#ifndef WS_Q_ORG_H
#define WS_Q_ORG_H

/* The org writer lock: an upsert of one meta row, which holds a row lock
 * until the transaction ends (PostgreSQL; SQLite writers are serialised by
 * BEGIN IMMEDIATE anyway). */
extern const char Q_ORG_LOCK[];

/* units */
extern const char Q_ORG_UNIT_GET[];          /* $1 id */
extern const char Q_ORG_UNIT_BY_CODE[];      /* $1 code */
extern const char Q_ORG_UNIT_INSERT[];       /* $1 parent_id, $2 kind, $3 code, $4 name, $5 tz,
                                                $6 leader, $7 now -> id */
extern const char Q_ORG_UNIT_SET_PATH[];     /* $1 id, $2 path, $3 enterprise_id */
extern const char Q_ORG_UNIT_UPDATE[];       /* $1 id, $2 parent_id, $3 kind, $4 code, $5 name,
                                                $6 tz, $7 leader, $8 path, $9 now */
extern const char Q_ORG_UNIT_MOVE_DESC[];    /* $1 old path, $2 new path, $3 len(old)+1, $4 now,
                                                $5 id of the moved unit */
extern const char Q_ORG_UNIT_DESC_IDS[];     /* $1 path, $2 id to exclude -> id */
extern const char Q_ORG_UNIT_MAX_PATH[];     /* $1 path -> longest path length below */
extern const char Q_ORG_UNIT_ACTIVE_CHILDREN[]; /* $1 id -> count */
extern const char Q_ORG_UNIT_ACTIVE_PEOPLE[];   /* $1 id -> count */
extern const char Q_ORG_UNIT_SET_ACTIVE[];   /* $1 id, $2 active, $3 now */
extern const char Q_ORG_UNIT_LIST[];         /* $1 scope path, $2 parent_id|0, $3 kind|'',
                                                $4 active|-1, $5 cursor, $6 limit */
extern const char Q_ORG_UNIT_SUBTREE[];      /* $1 path, $2 limit */
extern const char Q_ORG_UNIT_ROOTS[];        /* -> id of each root, at most 2 */
extern const char Q_ORG_UNIT_CHILDREN[];     /* $1 id -> count of all children */
extern const char Q_ORG_UNIT_LED_BY[];       /* $1 person_id -> unit ids */
extern const char Q_ORG_UNIT_CLEAR_LEADER[]; /* $1 id, $2 now */

/* departments */
extern const char Q_ORG_DEPT_INSERT[];       /* $1 enterprise, $2 code, $3 name, $4 now -> id */
extern const char Q_ORG_DEPT_GET[];          /* $1 id */
extern const char Q_ORG_DEPT_BY_CODE[];      /* $1 enterprise, $2 code */
extern const char Q_ORG_DEPT_BY_NAME[];      /* $1 enterprise, $2 name */
extern const char Q_ORG_DEPT_UPDATE[];       /* $1 id, $2 code, $3 name, $4 active, $5 now */
extern const char Q_ORG_DEPT_ACTIVE_PEOPLE[]; /* $1 id -> count */
extern const char Q_ORG_DEPT_LIST[];         /* $1 scope path, $2 enterprise|0, $3 cursor, $4 limit */

/* posts */
extern const char Q_ORG_POST_INSERT[];       /* $1 enterprise, $2 department|NULL, $3 code, $4 name,
                                                $5 now -> id */
extern const char Q_ORG_POST_GET[];          /* $1 id */
extern const char Q_ORG_POST_BY_CODE[];      /* $1 enterprise, $2 code */
extern const char Q_ORG_POST_BY_NAME[];      /* $1 enterprise, $2 name */
extern const char Q_ORG_POST_UPDATE[];       /* $1 id, $2 department|NULL, $3 code, $4 name,
                                                $5 active, $6 now */
extern const char Q_ORG_POST_ACTIVE_PEOPLE[]; /* $1 id -> count */
extern const char Q_ORG_POST_LIST[];         /* $1 scope path, $2 enterprise|0, $3 cursor, $4 limit */

/* people */
extern const char Q_ORG_PERSON_INSERT[];     /* $1 unit, $2 dept|NULL, $3 employee_no|NULL,
                                                $4 name, $5 phone|NULL, $6 now -> id */
extern const char Q_ORG_PERSON_GET[];        /* $1 id */
extern const char Q_ORG_PERSON_BY_EMPNO[];   /* $1 unit, $2 employee_no -> id, active */
extern const char Q_ORG_PERSON_UPDATE[];     /* $1 id, $2 unit, $3 dept|NULL, $4 employee_no|NULL,
                                                $5 name, $6 phone|NULL, $7 active, $8 left_at|NULL,
                                                $9 now */
extern const char Q_ORG_PERSON_LIST[];       /* $1 path, $2 active|-1, $3 like-pattern|'',
                                                $4 cursor, $5 limit, $6 1 = also match phone */
extern const char Q_ORG_PERSON_POSTS[];      /* $1 person -> id, post_id */
extern const char Q_ORG_PERSON_POST_INSERT[]; /* $1 person, $2 post, $3 now -> id */
extern const char Q_ORG_PERSON_POST_DELETE[]; /* $1 id */

/* transfers */
extern const char Q_ORG_TRANSFER_INSERT[];   /* $1 person, $2 from_unit, $3 to_unit|NULL,
                                                $4 from_dept|NULL, $5 to_dept|NULL,
                                                $6 reason|NULL, $7 at, $8 actor -> id */
extern const char Q_ORG_TRANSFER_LIST[];     /* $1 person, $2 limit */
extern const char Q_ORG_TRANSFER_IDS[];      /* $1 person, $2 after id, $3 limit -> id */
extern const char Q_ORG_TRANSFER_CLEAR_REASON[]; /* $1 id */

/* After an erasure has committed (org_person_erase), outside any transaction:
 * SQLite moves the WAL into the database file and truncates it (one row:
 * busy, log frames, checkpointed frames); PostgreSQL vacuums the tables that
 * held the personal data (VACUUM refuses to run inside a transaction). */
extern const char Q_ORG_ERASE_CHECKPOINT_SQLITE[];
extern const char Q_ORG_ERASE_VACUUM_PG[];

#endif
