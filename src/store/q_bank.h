/* q_bank.h — named queries of the points bank (src/bank); the schema is
 * migration 18 of src/store/migrations.c. bank_entries is append-only: there
 * is an INSERT for it and no UPDATE or DELETE (the test greps for one).
 *
 * Holder rows: id, person_id, report_id, balance, earned.
 * Item rows: id, code, name, cost, needs_name, stock (NULL = unlimited),
 *   active.
 * Entry rows: id, holder_id, kind, amount, balance_after, rule_key, item_id,
 *   ref_entity, ref_id, actor, created_at, item name. */
#ifndef WS_Q_BANK_H
#define WS_Q_BANK_H

/* PostgreSQL only: the evidence log's head, locked first so that every bank
 * write takes its locks in one order (head, then holder) like the modules
 * that call bank_earn after writing their own leaves. */
extern const char Q_BANK_LOCK_HEAD_PG[];

extern const char Q_BANK_HOLDER_BY_PERSON[]; /* $1 person -> holder row */
extern const char Q_BANK_HOLDER_BY_REPORT[]; /* $1 report -> holder row */
extern const char Q_BANK_HOLDER_INSERT[];    /* $1 person, $2 report, $3 now -> id */
/* Guarded debit: only when the balance covers it; no row = not enough. */
extern const char Q_BANK_HOLDER_DEBIT[];     /* $1 id, $2 amount, $3 now -> balance */
extern const char Q_BANK_HOLDER_CREDIT[];    /* $1 id, $2 amount, $3 now, $4 earned add -> balance */

extern const char Q_BANK_ENTRY_INSERT[];     /* $1 holder, $2 kind, $3 amount, $4 balance_after,
                                                $5 rule_key, $6 item, $7 ref_entity, $8 ref_id,
                                                $9 actor, $10 now -> id */
extern const char Q_BANK_ENTRY_EARNED[];     /* $1 rule_key, $2 ref_entity, $3 ref_id -> id */
extern const char Q_BANK_ENTRIES_OF[];       /* $1 holder, $2 limit -> entry rows, newest first */
extern const char Q_BANK_SUMS_OF[];          /* $1 holder -> SUM(amount), COUNT(*) */

extern const char Q_BANK_RULE_GET[];         /* $1 key -> id, key, name, points, active */
extern const char Q_BANK_RULES[];            /* -> id, key, name, points, active */
extern const char Q_BANK_RULE_SET[];         /* $1 key, $2 points, $3 active, $4 now */

extern const char Q_BANK_ITEM_GET[];         /* $1 id -> item row */
extern const char Q_BANK_ITEMS[];            /* $1 include inactive (0/1) -> item rows by cost */
extern const char Q_BANK_ITEM_INSERT[];      /* $1 code, $2 name, $3 cost, $4 needs_name, $5 stock, $6 now -> id */
extern const char Q_BANK_ITEM_TAKE[];        /* $1 id, $2 now: one off the stock (none = sold out) -> id */

/* Leaderboards: points earned since $2 by holders who are people of units
 * under path $1, grouped; at most $3 rows, most first. */
extern const char Q_BANK_BOARD_UNIT[];       /* -> unit id, unit name, unit kind, points, people */
extern const char Q_BANK_BOARD_DEPT[];       /* -> department id, name, points, people */
extern const char Q_BANK_BOARD_PERSON[];     /* -> person id, name, unit name, points */

#endif
