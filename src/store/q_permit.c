/* q_permit.c — SQL of the special-work permits; parameters and column
 * orders in q_permit.h. Written once for SQLite 3.40 and PostgreSQL 15. */
#include "store/q_permit.h"

const char Q_PERMIT_PARAM[] = "SELECT value FROM permit_params WHERE name = $1";
const char Q_PERMIT_PARAM_SET[] = "UPDATE permit_params SET value = $2 WHERE name = $1";

#define PERMIT_COLS                                                                            \
    "p.id, p.unit_id, p.package_id, p.code, p.type, p.grade, p.state, p.profile, p.title, "    \
    "p.location, p.planned_start, p.planned_end, p.applicant_person_id, p.guardian_person_id, " \
    "p.serves_permit_id, p.activated_at, p.suspended_at, p.closed_at, p.reason, p.doc, "       \
    "p.created_by, p.created_at, p.updated_at, u.path, u.tz"
#define PERMIT_FROM " FROM permits p JOIN units u ON u.id = p.unit_id "

const char Q_PERMIT_INSERT[] =
    "INSERT INTO permits (unit_id, package_id, code, type, grade, state, profile, title, location, "
    "planned_start, planned_end, applicant_person_id, guardian_person_id, serves_permit_id, doc, "
    "created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 'draft', $6, $7, $8, $9, $10, "
    "$11, $12, $13, $14, $15, $16, $16) RETURNING id";
const char Q_PERMIT_UPDATE[] =
    "UPDATE permits SET package_id = $2, grade = $3, state = $4, title = $5, location = $6, "
    "planned_start = $7, planned_end = $8, guardian_person_id = $9, serves_permit_id = $10, "
    "activated_at = $11, suspended_at = $12, closed_at = $13, reason = $14, doc = $15, "
    "updated_at = $16 WHERE id = $1";
const char Q_PERMIT_GET[] = "SELECT " PERMIT_COLS PERMIT_FROM "WHERE p.id = $1";
const char Q_PERMIT_NEXT_SEQ[] = "SELECT count(*) FROM permits WHERE code LIKE CAST($1 AS TEXT) || '%'";
const char Q_PERMIT_LIST[] = /* in the scope, or on an area that holds it (属地, read only) */
    "SELECT " PERMIT_COLS PERMIT_FROM
    "WHERE (u.path LIKE CAST($1 AS TEXT) || '%' OR (u.kind = 'area' AND CAST($1 AS TEXT) LIKE u.path || '%')) "
    "AND (CAST($2 AS BIGINT) = 0 OR u.path LIKE (SELECT path FROM units WHERE id = $2) || '%') "
    "AND (CAST($5 AS TEXT) = '' OR p.state = $5 OR ($5 = 'open' AND p.state NOT IN "
    "('closed', 'cancelled', 'expired'))) "
    "AND (CAST($6 AS TEXT) = '' OR p.type = $6) "
    "AND (CAST($7 AS BIGINT) = 0 OR p.package_id = $7) "
    "AND (CAST($8 AS BIGINT) = 0 OR p.planned_end > $8) "
    "AND (CAST($9 AS BIGINT) = 0 OR p.planned_start < $9) "
    "AND (CAST($3 AS BIGINT) = 0 OR p.id < $3) ORDER BY p.id DESC LIMIT $4";
const char Q_PERMIT_OVERLAP[] =
    "SELECT " PERMIT_COLS ", k.verdict, k.note" PERMIT_FROM
    "JOIN permit_conflicts k ON (k.type_a = p.type AND k.type_b = CAST($5 AS TEXT)) "
    "OR (k.type_a = CAST($5 AS TEXT) AND k.type_b = p.type) "
    "WHERE p.unit_id = $1 AND p.planned_start < $3 AND p.planned_end > $2 AND p.id <> $4 "
    "AND p.state NOT IN ('draft', 'closed', 'cancelled', 'expired') "
    "AND (CAST($6 AS BIGINT) = 0 OR p.state IN ('active', 'suspended')) ORDER BY p.id LIMIT $7";
const char Q_PERMIT_DUE[] =
    "SELECT id FROM permits WHERE state IN ('active', 'suspended', 'approved', 'tested', "
    "'identified', 'applied') AND id > $1 ORDER BY id LIMIT $2";
const char Q_PERMIT_REPORT[] =
    "SELECT " PERMIT_COLS PERMIT_FROM
    "WHERE u.path LIKE CAST($1 AS TEXT) || '%' "
    "AND (CAST($2 AS BIGINT) = 0 OR u.path LIKE (SELECT path FROM units WHERE id = $2) || '%') "
    "AND p.planned_start < $4 AND p.planned_end > $3 AND p.state <> 'draft' "
    "ORDER BY p.planned_start, p.id LIMIT $5";

const char Q_PERMIT_EVENT_INSERT[] =
    "INSERT INTO permit_events (permit_id, at, kind, from_state, to_state, actor, detail) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id";
const char Q_PERMIT_EVENTS[] =
    "SELECT id, at, kind, from_state, to_state, actor, detail FROM permit_events "
    "WHERE permit_id = $1 ORDER BY id";

const char Q_PACKAGE_INSERT[] =
    "INSERT INTO permit_packages (unit_id, title, created_by, created_at, updated_at) "
    "VALUES ($1, $2, $3, $4, $4) RETURNING id";
const char Q_PACKAGE_ASSESS[] =
    "UPDATE permit_packages SET joint_assessment = $2, assessed_by_person_id = $3, "
    "assessed_at = $4, updated_at = $4 WHERE id = $1";
const char Q_PACKAGE_GET[] =
    "SELECT k.id, k.unit_id, k.title, k.joint_assessment, k.assessed_by_person_id, k.assessed_at, "
    "k.created_by, k.created_at, k.updated_at, u.path FROM permit_packages k "
    "JOIN units u ON u.id = k.unit_id WHERE k.id = $1";

#define CERT_COLS                                                                           \
    "c.id, c.person_id, c.type, c.number, c.issued_on, c.expires_at, c.authority, c.revoked, " \
    "c.created_at, c.updated_at, pe.name, u.path"
#define CERT_FROM " FROM certificates c JOIN people pe ON pe.id = c.person_id JOIN units u ON u.id = pe.unit_id "
const char Q_CERT_INSERT[] =
    "INSERT INTO certificates (person_id, type, number, issued_on, expires_at, authority, revoked, "
    "created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id";
const char Q_CERT_REVOKE[] = "UPDATE certificates SET revoked = 1, updated_at = $2 WHERE id = $1";
const char Q_CERT_GET[] = "SELECT " CERT_COLS CERT_FROM "WHERE c.id = $1";
const char Q_CERT_BY_NUMBER[] = "SELECT " CERT_COLS CERT_FROM "WHERE c.type = $1 AND c.number = $2";
const char Q_CERT_OF_PERSON[] =
    "SELECT " CERT_COLS CERT_FROM "WHERE c.person_id = $1 AND c.type = $2 "
    "ORDER BY c.revoked, c.expires_at DESC LIMIT 8";
const char Q_CERT_LIST[] =
    "SELECT " CERT_COLS CERT_FROM "WHERE u.path LIKE CAST($1 AS TEXT) || '%' "
    "AND (CAST($2 AS BIGINT) = 0 OR c.person_id = $2) AND c.id > $3 ORDER BY c.id LIMIT $4";

const char Q_CONFLICT_GET[] = "SELECT verdict, note FROM permit_conflicts WHERE type_a = $1 AND type_b = $2";
const char Q_CONFLICT_LIST[] = "SELECT type_a, type_b, verdict, note FROM permit_conflicts ORDER BY type_a, type_b";
const char Q_CONFLICT_CLEAR[] = "DELETE FROM permit_conflicts";
const char Q_CONFLICT_INSERT[] =
    "INSERT INTO permit_conflicts (type_a, type_b, verdict, note) VALUES ($1, $2, $3, $4)";

const char Q_CALENDAR_LIST[] = "SELECT year, doc, loaded_by, loaded_at FROM holiday_calendars ORDER BY year";
const char Q_CALENDAR_PUT[] =
    "INSERT INTO holiday_calendars (year, doc, loaded_by, loaded_at) VALUES ($1, $2, $3, $4) "
    "ON CONFLICT (year) DO UPDATE SET doc = excluded.doc, loaded_by = excluded.loaded_by, "
    "loaded_at = excluded.loaded_at";

const char Q_PERMIT_LEAF[] =
    "SELECT seq, leaf_hash, ts FROM audit_leaf WHERE entity = 'permit' AND entity_id = $1 ORDER BY seq DESC LIMIT 1";
