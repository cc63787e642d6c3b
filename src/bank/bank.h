/* bank.h — the points bank (积分银行): an append-only ledger of points earned
 * by rules and redeemed from a catalogue, every entry a leaf of the evidence
 * log (docs/internals/bank.md).
 *
 *   earn    bank_earn(rule_key, holder, ref) ─► credit holder ─► entry ─► leaves
 *   redeem  bank_redeem(holder, item)         ─► guarded debit ─► stock ─► entry ─► leaves
 *   reveal  bank_reveal(report, person)       ─► the report holder's balance moves to the person
 *
 * A holder is a person, or an anonymous report (its receipt code: the
 * module never learns who that is). Other modules call bank_earn for their
 * events: src/hazard when a hidden danger is assessed (confirmed), src/voice
 * when an anonymous report is found valid; the grid patrols will call it with
 * "patrol_done".
 *
 * Invariants (tests/unit/test_bank.c asserts them, on SQLite and PostgreSQL):
 *  1. bank_entries is append-only: rows are inserted, never updated or
 *     deleted; every row has its leaf in the same transaction.
 *  2. A holder's balance equals the sum of its entries' amounts and equals the
 *     balance_after of its newest entry; it is never negative (CHECK, and a
 *     debit guarded by balance >= cost in the same statement), also when many
 *     redemptions race (on PostgreSQL every bank write first locks the
 *     evidence log's head, so writers serialise in one lock order).
 *  3. A rule earns at most once per referenced record (rule_key, ref_entity,
 *     ref_id unique): confirming a hazard twice pays once.
 *  4. An anonymous holder buys only items that need no name. */
#ifndef WS_BANK_H
#define WS_BANK_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "audit/audit.h"
#include "core/err.h"
#include "store/store.h"

#define BANK_NAME_MAX 100
#define BANK_CODE_MAX 40
#define BANK_POINTS_MAX 100000

extern const audit_entity BANK_ENTITY_ENTRY;  /* "bank_entry" */
extern const audit_entity BANK_ENTITY_HOLDER; /* "bank_holder" */
extern const audit_entity BANK_ENTITY_ITEM;   /* "bank_item" */

/* Register the audited entities (idempotent). */
ws_err bank_init(void);

/* Whose points: exactly one of person_id, report_id. */
typedef struct bank_holder_ref {
    int64_t person_id;
    int64_t report_id;
} bank_holder_ref;

/* Earn the points of rule_key for (ref_entity, ref_id), to holder. Joins the
 * caller's transaction. *points (may be NULL) gets what was credited: 0 when
 * the rule is inactive or this record already earned it. An unknown rule is
 * WS_EINVAL naming "rule_key". */
ws_err bank_earn(store_conn *c, const audit_actor *who, const char *rule_key, bank_holder_ref to,
                 const char *ref_entity, int64_t ref_id, int64_t *points);

/* Redeem one of item_id. WS_ENOTFOUND ("item_id") for a missing or inactive
 * item; WS_EFORBIDDEN ("item_id") when an anonymous holder asks for an item
 * that needs a name; WS_ECONFLICT ("balance") when the balance does not cover
 * the cost, ("item_id") when sold out. *entry_id, *balance (may be NULL). */
ws_err bank_redeem(store_conn *c, const audit_actor *who, bank_holder_ref from, int64_t item_id,
                   int64_t *entry_id, int64_t *balance);

/* The reporter of report_id reveals themselves as person_id: the report
 * holder's whole balance moves to the person (reveal_out / reveal_in
 * entries, each naming the other holder). *moved (may be NULL) the points. */
ws_err bank_reveal(store_conn *c, const audit_actor *who, int64_t report_id, int64_t person_id,
                   int64_t *moved);

/* Balance and total earned (0, 0 for a holder with no entries yet). */
ws_err bank_balance(store_conn *c, bank_holder_ref h, int64_t *balance, int64_t *earned);
/* {"balance","earned","entries":[{id,kind,amount,balance_after,rule_key,item,
 * ref_entity,ref_id,at}]} newest first, at most limit entries (caller owns). */
ws_err bank_statement(store_conn *c, bank_holder_ref h, int limit, json_t **out);
/* Check invariant 2 for a holder: WS_ECORRUPT when the sums disagree. */
ws_err bank_check(store_conn *c, bank_holder_ref h);

/* The rules: [{key,name,points,active}] (caller owns). */
ws_err bank_rules_json(store_conn *c, json_t **out);
/* Change a rule's points (0..BANK_POINTS_MAX) and whether it is active;
 * recorded as an event leaf. */
ws_err bank_rule_set(store_conn *c, const audit_actor *who, const char *key, int64_t points,
                     bool active);

/* The catalogue: [{id,code,name,cost,needs_name,stock,active}] (caller owns). */
ws_err bank_items_json(store_conn *c, bool include_inactive, json_t **out);
typedef struct bank_item_in {
    const char *code, *name;
    int64_t cost;
    bool needs_name;
    int64_t stock; /* < 0: unlimited */
} bank_item_in;
ws_err bank_item_create(store_conn *c, const audit_actor *who, const bank_item_in *in, int64_t *id);

/* Leaderboard of points earned since `since` by people of units under path:
 * by "unit" (the person's unit: a grid, a workshop), "department" or
 * "person"; at most limit rows (caller owns the array). */
ws_err bank_board(store_conn *c, const char *path, const char *by, int64_t since, int limit,
                  json_t **out);

#endif
