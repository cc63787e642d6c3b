/* q_bank.c — SQL of the points bank; parameters and column orders in
 * q_bank.h. Written once for SQLite 3.40 and PostgreSQL 15. */
#include "store/q_bank.h"

const char Q_BANK_LOCK_HEAD_PG[] = "SELECT size FROM audit_head WHERE id = 1 FOR UPDATE";

#define HOLDER_COLS "id, person_id, report_id, balance, earned"
const char Q_BANK_HOLDER_BY_PERSON[] = "SELECT " HOLDER_COLS " FROM bank_holders WHERE person_id = $1";
const char Q_BANK_HOLDER_BY_REPORT[] = "SELECT " HOLDER_COLS " FROM bank_holders WHERE report_id = $1";
const char Q_BANK_HOLDER_INSERT[] =
    "INSERT INTO bank_holders (person_id, report_id, balance, earned, created_at, updated_at) "
    "VALUES ($1, $2, 0, 0, $3, $3) RETURNING id";
const char Q_BANK_HOLDER_DEBIT[] =
    "UPDATE bank_holders SET balance = balance - $2, updated_at = $3 "
    "WHERE id = $1 AND balance >= $2 RETURNING balance";
const char Q_BANK_HOLDER_CREDIT[] =
    "UPDATE bank_holders SET balance = balance + $2, earned = earned + $4, updated_at = $3 "
    "WHERE id = $1 RETURNING balance";

const char Q_BANK_ENTRY_INSERT[] =
    "INSERT INTO bank_entries (holder_id, kind, amount, balance_after, rule_key, item_id, ref_entity, "
    "ref_id, actor, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id";
const char Q_BANK_ENTRY_EARNED[] =
    "SELECT id FROM bank_entries WHERE rule_key = $1 AND ref_entity = $2 AND ref_id = $3";
const char Q_BANK_ENTRIES_OF[] =
    "SELECT e.id, e.holder_id, e.kind, e.amount, e.balance_after, e.rule_key, e.item_id, e.ref_entity, "
    "e.ref_id, e.actor, e.created_at, i.name FROM bank_entries e LEFT JOIN bank_items i ON i.id = e.item_id "
    "WHERE e.holder_id = $1 ORDER BY e.id DESC LIMIT $2";
const char Q_BANK_SUMS_OF[] =
    "SELECT COALESCE(SUM(amount), 0), COUNT(*) FROM bank_entries WHERE holder_id = $1";

const char Q_BANK_RULE_GET[] = "SELECT id, key, name, points, active FROM bank_rules WHERE key = $1";
const char Q_BANK_RULES[] = "SELECT id, key, name, points, active FROM bank_rules ORDER BY id";
const char Q_BANK_RULE_SET[] = "UPDATE bank_rules SET points = $2, active = $3, updated_at = $4 WHERE key = $1";

#define ITEM_COLS "id, code, name, cost, needs_name, stock, active"
const char Q_BANK_ITEM_GET[] = "SELECT " ITEM_COLS " FROM bank_items WHERE id = $1";
const char Q_BANK_ITEMS[] =
    "SELECT " ITEM_COLS " FROM bank_items WHERE active = 1 OR CAST($1 AS BIGINT) = 1 ORDER BY cost, id";
const char Q_BANK_ITEM_INSERT[] =
    "INSERT INTO bank_items (code, name, cost, needs_name, stock, active, created_at, updated_at) "
    "VALUES ($1, $2, $3, $4, $5, 1, $6, $6) RETURNING id";
const char Q_BANK_ITEM_TAKE[] =
    "UPDATE bank_items SET stock = CASE WHEN stock IS NULL THEN NULL ELSE stock - 1 END, updated_at = $2 "
    "WHERE id = $1 AND active = 1 AND (stock IS NULL OR stock > 0) RETURNING id";

#define BOARD_JOIN                                                                              \
    " FROM bank_entries e JOIN bank_holders h ON h.id = e.holder_id JOIN people p ON p.id = h.person_id " \
    "JOIN units u ON u.id = p.unit_id "
#define BOARD_WHERE " WHERE e.kind = 'earn' AND u.path LIKE $1 || '%' AND e.created_at >= $2 "
const char Q_BANK_BOARD_UNIT[] =
    "SELECT u.id, u.name, u.kind, SUM(e.amount), COUNT(DISTINCT p.id)" BOARD_JOIN BOARD_WHERE
    "GROUP BY u.id, u.name, u.kind ORDER BY 4 DESC, u.id LIMIT $3";
const char Q_BANK_BOARD_DEPT[] =
    "SELECT d.id, d.name, SUM(e.amount), COUNT(DISTINCT p.id)" BOARD_JOIN
    "JOIN departments d ON d.id = p.department_id" BOARD_WHERE
    "GROUP BY d.id, d.name ORDER BY 3 DESC, d.id LIMIT $3";
const char Q_BANK_BOARD_PERSON[] =
    "SELECT p.id, p.name, u.name, SUM(e.amount)" BOARD_JOIN BOARD_WHERE
    "GROUP BY p.id, p.name, u.name ORDER BY 4 DESC, p.id LIMIT $3";
