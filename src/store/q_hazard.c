/* q_hazard.c — SQL of hidden dangers (q_hazard.h has the column orders).
 *
 * The list queries come in four shapes so that each filter that narrows a
 * list has an index to walk in id order (newest first) and stops after one
 * page: by state, by the overdue flag, by a search term, or by the primary
 * key when nothing narrows. The unit subtree is a LIKE on the materialised
 * path of the joined unit. */
#include "store/q_hazard.h"

#define ROW_COLS                                                                         \
    "h.id, h.unit_id, h.instance_id, h.title, h.accident_type, h.hazard_factor, "      \
    "h.risk_event_id, h.location, h.grade, h.state, h.source, h.sup_level, h.found_at, " \
    "h.deadline, h.created_at, h.updated_at, h.closed_at, h.reporter_person_id, "        \
    "h.assignee_person_id, h.rectifier_person_id, h.acceptor_person_id, "                \
    "h.recurrence_of, h.overdue, u.name, u.path"
#define FROM " FROM hazards h JOIN units u ON u.id = h.unit_id "
#define FILTERS                                                                          \
    "u.path LIKE CAST($1 AS TEXT) || '%' "                                               \
    "AND (CAST($2 AS TEXT) = '' OR h.grade = $2) "                                       \
    "AND (CAST($3 AS BIGINT) = 0 OR h.sup_at IS NOT NULL) "                              \
    "AND (CAST($4 AS BIGINT) = 0 OR h.id < $4) "
#define TAIL "ORDER BY h.id DESC LIMIT $5"

const char Q_HAZARD_INSERT[] =
    "INSERT INTO hazards (unit_id, instance_id, title, description, accident_type, "
    "hazard_factor, risk_event_id, lat, lon, location, photo_ids, source, found_at, "
    "reporter_person_id, grade, state, deadline, assignee_person_id, overdue, created_at, "
    "updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, "
    "$16, $17, $18, 0, $19, $19) RETURNING id";
const char Q_HAZARD_GET[] =
    "SELECT " ROW_COLS ", h.description, h.lat, h.lon, h.photo_ids, h.sup_document_no, "
    "h.sup_note, h.sup_regulator_acceptance, h.sup_at, h.sup_by" FROM "WHERE h.id = $1";
const char Q_HAZARD_SYNC[] =
    "UPDATE hazards SET state = $2, grade = $3, deadline = $4, assignee_person_id = $5, "
    "rectifier_person_id = $6, acceptor_person_id = $7, overdue = $8, updated_at = $9, "
    "closed_at = $10 WHERE id = $1";
const char Q_HAZARD_BY_INSTANCE[] = "SELECT id FROM hazards WHERE instance_id = $1";
const char Q_HAZARD_SUPERVISE[] =
    "UPDATE hazards SET sup_level = $2, sup_document_no = $3, sup_note = $4, "
    "sup_regulator_acceptance = $5, sup_at = $6, sup_by = $7, updated_at = $6 WHERE id = $1";
const char Q_HAZARD_SET_RECURRENCE[] = "UPDATE hazards SET recurrence_of = $2 WHERE id = $1";
const char Q_HAZARD_RECURRENCE[] =
    "SELECT id FROM hazards WHERE unit_id = $1 AND id <> $6 AND created_at >= $5 "
    "AND ((CAST($2 AS BIGINT) > 0 AND risk_event_id = $2) "
    "OR (accident_type = $3 AND COALESCE(hazard_factor, '') = $4)) "
    "AND state <> 'rejected' ORDER BY id DESC LIMIT 1";
const char Q_HAZARD_OVERDUE_DUE[] =
    "SELECT id, instance_id FROM hazards WHERE closed_at IS NULL AND deadline <= $1 "
    "AND overdue = 0 ORDER BY deadline LIMIT $2";
const char Q_HAZARD_MARK_OVERDUE[] =
    "UPDATE hazards SET overdue = 1, updated_at = $2 WHERE id = $1 AND overdue = 0 "
    "AND closed_at IS NULL AND deadline <= $2";

const char Q_HAZARD_LIST[] =
    "SELECT " ROW_COLS FROM "WHERE " FILTERS "AND (CAST($6 AS TEXT) = '' OR h.state = $6) "
    "AND (CAST($7 AS BIGINT) = 0 OR h.overdue = 1) " TAIL;
const char Q_HAZARD_LIST_STATE[] =
    "SELECT " ROW_COLS FROM "WHERE h.state = $6 AND " FILTERS TAIL;
const char Q_HAZARD_LIST_OVERDUE[] =
    "SELECT " ROW_COLS FROM "WHERE h.overdue = 1 AND " FILTERS
    "AND (CAST($6 AS TEXT) = '' OR h.state = $6) " TAIL;
/* The other terms are probed on the walked term's hazard_id, not h.id, so
 * that they are checked on the index before the hazard row is read, and a
 * term repeated to fill the slots ($p = $n) is not probed again
 * (bench/RESULTS.md, bench-hazards). */
#define TERM_AND(n, p)                                                                   \
    "AND (CAST($" #n " AS TEXT) = $" #p " OR EXISTS (SELECT 1 FROM hazard_terms t" #n \
    " WHERE t" #n ".term = $" #n " AND t" #n ".hazard_id = t.hazard_id)) "
#define TEXT_LIKE(n) "AND lower(h.title || ' ' || COALESCE(h.location, '') || ' ' || "  \
    "COALESCE(h.description, '')) LIKE $" #n " ESCAPE '!' "
const char Q_HAZARD_LIST_TERMS[] =
    "SELECT " ROW_COLS " FROM hazard_terms t JOIN hazards h ON h.id = t.hazard_id "
    "JOIN units u ON u.id = h.unit_id WHERE t.term = $6 " TERM_AND(7, 6) TERM_AND(8, 7)
    TERM_AND(9, 8)
    TEXT_LIKE(10) TEXT_LIKE(11) TEXT_LIKE(12) TEXT_LIKE(13)
    "AND (CAST($14 AS TEXT) = '' OR h.state = $14) "
    "AND (CAST($15 AS BIGINT) = 0 OR h.overdue = 1) "
    "AND t.hazard_id < $16 AND t.hazard_id >= $17 "
    "AND " FILTERS "ORDER BY t.hazard_id DESC LIMIT $5";
const char Q_HAZARD_TERM_WINDOW[] =
    "SELECT hazard_id FROM hazard_terms WHERE term = $1 AND hazard_id < $2 "
    "ORDER BY hazard_id DESC LIMIT 1 OFFSET $3";
const char Q_HAZARD_STATS[] =
    "SELECT h.state, COUNT(*), SUM(h.overdue), "
    "SUM(CASE WHEN h.grade = 'major' AND h.closed_at IS NULL THEN 1 ELSE 0 END), "
    "SUM(CASE WHEN h.sup_at IS NOT NULL AND h.closed_at IS NULL THEN 1 ELSE 0 END)" FROM
    "WHERE u.path LIKE CAST($1 AS TEXT) || '%' GROUP BY h.state ORDER BY h.state";

const char Q_HAZARD_TERMS_DELETE[] = "DELETE FROM hazard_terms WHERE hazard_id = $1";
const char Q_HAZARD_TERM_INSERT[] =
    "INSERT INTO hazard_terms (term, hazard_id) VALUES ($1, $2) ON CONFLICT DO NOTHING";

const char Q_HAZARD_FACTOR_LIST[] = "SELECT code, name, parent FROM hazard_factors ORDER BY code";
const char Q_HAZARD_FACTOR_GET[] = "SELECT name FROM hazard_factors WHERE code = $1";
const char Q_HAZARD_FACTOR_INSERT[] =
    "INSERT INTO hazard_factors (code, name, parent, created_at) VALUES ($1, $2, $3, $4) "
    "RETURNING id";
