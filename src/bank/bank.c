/* bank.c — the points bank: holders, the append-only ledger, rules, the
 * catalogue and leaderboards. Contract and invariants in bank.h; SQL in
 * src/store/q_bank.c; docs/internals/bank.md. */
#include "bank/bank.h"

#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/json.h"
#include "store/q_bank.h"

static const audit_col entry_cols[] = {
    {"id", AC_INT},         {"holder_id", AC_INT}, {"kind", AC_TEXT},    {"amount", AC_INT},
    {"balance_after", AC_INT}, {"rule_key", AC_TEXT}, {"item_id", AC_INT}, {"ref_entity", AC_TEXT},
    {"ref_id", AC_INT},     {"actor", AC_TEXT},    {"created_at", AC_INT},
};
static const audit_col holder_cols[] = {
    {"id", AC_INT},      {"person_id", AC_INT},  {"report_id", AC_INT}, {"balance", AC_INT},
    {"earned", AC_INT},  {"created_at", AC_INT}, {"updated_at", AC_INT},
};
static const audit_col item_cols[] = {
    {"id", AC_INT},     {"code", AC_TEXT},   {"name", AC_TEXT},       {"cost", AC_INT},
    {"needs_name", AC_INT}, {"stock", AC_INT}, {"active", AC_INT},    {"created_at", AC_INT},
    {"updated_at", AC_INT},
};
#define NCOLS(a) ((int)(sizeof(a) / sizeof((a)[0])))
const audit_entity BANK_ENTITY_ENTRY = {"bank_entry", "bank_entries", entry_cols, NCOLS(entry_cols)};
const audit_entity BANK_ENTITY_HOLDER = {"bank_holder", "bank_holders", holder_cols, NCOLS(holder_cols)};
const audit_entity BANK_ENTITY_ITEM = {"bank_item", "bank_items", item_cols, NCOLS(item_cols)};

ws_err bank_init(void)
{
    static bool done;
    if (done) return WS_OK;
    const audit_entity *all[] = {&BANK_ENTITY_ENTRY, &BANK_ENTITY_HOLDER, &BANK_ENTITY_ITEM};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        ws_err rc = audit_register(all[i]);
        if (rc) return rc;
    }
    done = true;
    return WS_OK;
}

/* ------------------------------------------------------------ helpers */

/* Run a prepared one-row statement; *row tells whether a row came. The
 * statement stays open for reading (caller finalizes). */
static ws_err step1(store_stmt *st, bool *row)
{
    bool r = false;
    ws_err rc = store_step(st, &r);
    if (row) *row = r;
    return rc;
}

/* On PostgreSQL, lock the evidence log's head first (bank.h, invariant 2). */
static ws_err lock_order(store_conn *c)
{
    if (store_conn_backend(c) != STORE_POSTGRES) return WS_OK;
    store_stmt *st = NULL;
    ws_err rc = store_prepare(c, Q_BANK_LOCK_HEAD_PG, &st);
    if (!rc) rc = step1(st, NULL);
    store_finalize(st);
    return rc;
}

typedef struct holder {
    int64_t id, person_id, report_id, balance, earned;
} holder;

static ws_err ref_check(bank_holder_ref h)
{
    if ((h.person_id > 0) == (h.report_id > 0))
        return ws_fail(WS_EINVAL, "holder", "a holder is a person or an anonymous report");
    return WS_OK;
}

/* The holder of h into *out; created (with its leaf) when create, else
 * out->id = 0 when there is none. */
static ws_err holder_get(store_conn *c, const audit_actor *who, bank_holder_ref h, bool create, holder *out)
{
    memset(out, 0, sizeof *out);
    ws_err rc = ref_check(h);
    if (rc) return rc;
    store_stmt *st = NULL;
    bool row = false;
    rc = store_prepare(c, h.person_id > 0 ? Q_BANK_HOLDER_BY_PERSON : Q_BANK_HOLDER_BY_REPORT, &st);
    if (!rc) rc = store_bind_int(st, 1, h.person_id > 0 ? h.person_id : h.report_id);
    if (!rc) rc = step1(st, &row);
    if (!rc && row) {
        out->id = store_col_int(st, 0);
        out->person_id = store_col_opt_int(st, 1);
        out->report_id = store_col_opt_int(st, 2);
        out->balance = store_col_int(st, 3);
        out->earned = store_col_int(st, 4);
    }
    store_finalize(st);
    if (rc || row || !create) return rc;
    st = NULL;
    rc = store_prepare(c, Q_BANK_HOLDER_INSERT, &st);
    if (!rc) rc = store_bind_opt_int(st, 1, h.person_id);
    if (!rc) rc = store_bind_opt_int(st, 2, h.report_id);
    if (!rc) rc = store_bind_int(st, 3, clock_now_ms());
    if (!rc) rc = step1(st, &row);
    if (!rc && row) out->id = store_col_int(st, 0);
    store_finalize(st);
    if (!rc && !out->id) rc = ws_fail(WS_ESTORE, NULL, "no holder id returned");
    if (rc) return rc;
    out->person_id = h.person_id;
    out->report_id = h.report_id;
    return audit_record(c, who, &BANK_ENTITY_HOLDER, out->id, "create", NULL);
}

typedef struct entry_in {
    int64_t holder_id;
    const char *kind;
    int64_t amount, balance_after;
    const char *rule_key;
    int64_t item_id;
    const char *ref_entity;
    int64_t ref_id;
} entry_in;

static ws_err entry_add(store_conn *c, const audit_actor *who, const entry_in *e, int64_t *id)
{
    store_stmt *st = NULL;
    bool row = false;
    int64_t eid = 0;
    ws_err rc = store_prepare(c, Q_BANK_ENTRY_INSERT, &st);
    if (!rc) rc = store_bind_int(st, 1, e->holder_id);
    if (!rc) rc = store_bind_text(st, 2, e->kind);
    if (!rc) rc = store_bind_int(st, 3, e->amount);
    if (!rc) rc = store_bind_int(st, 4, e->balance_after);
    if (!rc) rc = store_bind_opt_text(st, 5, e->rule_key);
    if (!rc) rc = store_bind_opt_int(st, 6, e->item_id);
    if (!rc) rc = store_bind_opt_text(st, 7, e->ref_entity);
    if (!rc) rc = store_bind_opt_int(st, 8, e->ref_id);
    if (!rc) rc = store_bind_text(st, 9, who && who->name ? who->name : "system");
    if (!rc) rc = store_bind_int(st, 10, clock_now_ms());
    if (!rc) rc = step1(st, &row);
    if (!rc && row) eid = store_col_int(st, 0);
    store_finalize(st);
    if (!rc && !eid) rc = ws_fail(WS_ESTORE, NULL, "no entry id returned");
    if (!rc) rc = audit_record(c, who, &BANK_ENTITY_ENTRY, eid, "create", NULL);
    if (!rc) rc = audit_record(c, who, &BANK_ENTITY_HOLDER, e->holder_id, "update", NULL);
    if (!rc && id) *id = eid;
    return rc;
}

/* Credit (amount >= 0) and return the new balance. */
static ws_err credit(store_conn *c, int64_t holder_id, int64_t amount, bool earned, int64_t *balance)
{
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, Q_BANK_HOLDER_CREDIT, &st);
    if (!rc) rc = store_bind_int(st, 1, holder_id);
    if (!rc) rc = store_bind_int(st, 2, amount);
    if (!rc) rc = store_bind_int(st, 3, clock_now_ms());
    if (!rc) rc = store_bind_int(st, 4, earned ? amount : 0);
    if (!rc) rc = step1(st, &row);
    if (!rc && row) *balance = store_col_int(st, 0);
    store_finalize(st);
    if (!rc && !row) rc = ws_fail(WS_ENOTFOUND, "holder", "no such holder");
    return rc;
}

/* Guarded debit: *ok false (nothing changed) when the balance is short. */
static ws_err debit(store_conn *c, int64_t holder_id, int64_t amount, bool *ok, int64_t *balance)
{
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, Q_BANK_HOLDER_DEBIT, &st);
    if (!rc) rc = store_bind_int(st, 1, holder_id);
    if (!rc) rc = store_bind_int(st, 2, amount);
    if (!rc) rc = store_bind_int(st, 3, clock_now_ms());
    if (!rc) rc = step1(st, &row);
    if (!rc && row) *balance = store_col_int(st, 0);
    store_finalize(st);
    *ok = row;
    return rc;
}

/* --------------------------------------------------------------- earn */

ws_err bank_earn(store_conn *c, const audit_actor *who, const char *rule_key, bank_holder_ref to,
                 const char *ref_entity, int64_t ref_id, int64_t *points)
{
    if (points) *points = 0;
    if (!rule_key || !*rule_key) return ws_fail(WS_EINVAL, "rule_key", "a rule is required");
    if (!ref_entity || !*ref_entity || ref_id < 1)
        return ws_fail(WS_EINVAL, "ref", "points are earned for a record (entity and id)");
    ws_err rc = ref_check(to);
    if (rc) return rc;
    bool own = false;
    rc = store_tx_join(c, &own);
    if (rc) return rc;
    rc = lock_order(c);
    store_stmt *st = NULL;
    bool row = false;
    int64_t pts = 0;
    bool active = false;
    if (!rc) rc = store_prepare(c, Q_BANK_RULE_GET, &st);
    if (!rc) rc = store_bind_text(st, 1, rule_key);
    if (!rc) rc = step1(st, &row);
    if (!rc && row) {
        pts = store_col_int(st, 3);
        active = store_col_int(st, 4) != 0;
    }
    store_finalize(st);
    if (!rc && !row) rc = ws_fail(WS_EINVAL, "rule_key", "no points rule %s", rule_key);
    if (rc || !active || pts <= 0) return store_tx_finish(c, own, rc);
    /* once per record (invariant 3) */
    st = NULL;
    rc = store_prepare(c, Q_BANK_ENTRY_EARNED, &st);
    if (!rc) rc = store_bind_text(st, 1, rule_key);
    if (!rc) rc = store_bind_text(st, 2, ref_entity);
    if (!rc) rc = store_bind_int(st, 3, ref_id);
    if (!rc) rc = step1(st, &row);
    store_finalize(st);
    if (rc || row) return store_tx_finish(c, own, rc);
    holder h;
    int64_t bal = 0;
    rc = holder_get(c, who, to, true, &h);
    if (!rc) rc = credit(c, h.id, pts, true, &bal);
    entry_in e = {h.id, "earn", pts, bal, rule_key, 0, ref_entity, ref_id};
    if (!rc) rc = entry_add(c, who, &e, NULL);
    if (!rc && points) *points = pts;
    return store_tx_finish(c, own, rc);
}

/* ------------------------------------------------------------- redeem */

typedef struct item {
    int64_t id, cost, stock;
    bool needs_name, active, unlimited;
    char code[BANK_CODE_MAX + 1], name[BANK_NAME_MAX + 1];
} item;

static ws_err item_get(store_conn *c, int64_t id, item *it)
{
    memset(it, 0, sizeof *it);
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, Q_BANK_ITEM_GET, &st);
    if (!rc) rc = store_bind_int(st, 1, id);
    if (!rc) rc = step1(st, &row);
    if (!rc && row) {
        it->id = store_col_int(st, 0);
        snprintf(it->code, sizeof it->code, "%s", store_col_text(st, 1));
        snprintf(it->name, sizeof it->name, "%s", store_col_text(st, 2));
        it->cost = store_col_int(st, 3);
        it->needs_name = store_col_int(st, 4) != 0;
        it->unlimited = store_col_null(st, 5);
        it->stock = store_col_opt_int(st, 5);
        it->active = store_col_int(st, 6) != 0;
    }
    store_finalize(st);
    if (!rc && (!row || !it->active)) rc = ws_fail(WS_ENOTFOUND, "item_id", "no such reward in the catalogue");
    return rc;
}

ws_err bank_redeem(store_conn *c, const audit_actor *who, bank_holder_ref from, int64_t item_id,
                   int64_t *entry_id, int64_t *balance)
{
    ws_err rc = ref_check(from);
    if (rc) return rc;
    if (item_id < 1) return ws_fail(WS_EINVAL, "item_id", "choose a reward");
    bool own = false;
    rc = store_tx_join(c, &own);
    if (rc) return rc;
    rc = lock_order(c);
    item it;
    holder h;
    if (!rc) rc = item_get(c, item_id, &it);
    if (!rc && from.report_id > 0 && it.needs_name)
        rc = ws_fail(WS_EFORBIDDEN, "item_id",
                     "this reward needs your name: points of an anonymous report buy only rewards "
                     "that need no name, unless you reveal yourself");
    if (!rc) rc = holder_get(c, who, from, false, &h);
    bool ok = false;
    int64_t bal = 0;
    if (!rc && h.id) rc = debit(c, h.id, it.cost, &ok, &bal);
    if (!rc && !ok)
        rc = ws_fail(WS_ECONFLICT, "balance", "not enough points: the reward costs %lld",
                     (long long)it.cost);
    if (!rc) {
        store_stmt *st = NULL;
        bool row = false;
        rc = store_prepare(c, Q_BANK_ITEM_TAKE, &st);
        if (!rc) rc = store_bind_int(st, 1, item_id);
        if (!rc) rc = store_bind_int(st, 2, clock_now_ms());
        if (!rc) rc = step1(st, &row);
        store_finalize(st);
        if (!rc && !row) rc = ws_fail(WS_ECONFLICT, "item_id", "this reward is sold out");
        if (!rc) rc = audit_record(c, who, &BANK_ENTITY_ITEM, item_id, "update", NULL);
    }
    entry_in e = {h.id, "redeem", -it.cost, bal, NULL, item_id, NULL, 0};
    if (!rc) rc = entry_add(c, who, &e, entry_id);
    if (!rc && balance) *balance = bal;
    return store_tx_finish(c, own, rc);
}

/* ------------------------------------------------------------- reveal */

ws_err bank_reveal(store_conn *c, const audit_actor *who, int64_t report_id, int64_t person_id,
                   int64_t *moved)
{
    if (moved) *moved = 0;
    if (report_id < 1 || person_id < 1) return ws_fail(WS_EINVAL, "person_id", "a person is required");
    bool own = false;
    ws_err rc = store_tx_join(c, &own);
    if (rc) return rc;
    rc = lock_order(c);
    holder from, to;
    bank_holder_ref rf = {0, report_id}, rt = {person_id, 0};
    if (!rc) rc = holder_get(c, who, rf, false, &from);
    if (rc || !from.id || from.balance <= 0) return store_tx_finish(c, own, rc);
    int64_t amount = from.balance, bal_from = 0, bal_to = 0;
    bool ok = false;
    rc = holder_get(c, who, rt, true, &to);
    if (!rc) rc = debit(c, from.id, amount, &ok, &bal_from);
    if (!rc && !ok) rc = ws_fail(WS_ECONFLICT, "balance", "the balance changed; try again");
    if (!rc) rc = credit(c, to.id, amount, false, &bal_to);
    entry_in out = {from.id, "reveal_out", -amount, bal_from, NULL, 0, "bank_holder", to.id};
    entry_in in = {to.id, "reveal_in", amount, bal_to, NULL, 0, "bank_holder", from.id};
    if (!rc) rc = entry_add(c, who, &out, NULL);
    if (!rc) rc = entry_add(c, who, &in, NULL);
    if (!rc && moved) *moved = amount;
    return store_tx_finish(c, own, rc);
}

/* -------------------------------------------------------------- reads */

ws_err bank_balance(store_conn *c, bank_holder_ref h, int64_t *balance, int64_t *earned)
{
    holder x;
    ws_err rc = holder_get(c, NULL, h, false, &x);
    if (rc) return rc;
    if (balance) *balance = x.balance;
    if (earned) *earned = x.earned;
    return WS_OK;
}

ws_err bank_check(store_conn *c, bank_holder_ref h)
{
    holder x;
    ws_err rc = holder_get(c, NULL, h, false, &x);
    if (rc || !x.id) return rc;
    store_stmt *st = NULL;
    bool row = false;
    int64_t sum = 0, newest = -1;
    rc = store_prepare(c, Q_BANK_SUMS_OF, &st);
    if (!rc) rc = store_bind_int(st, 1, x.id);
    if (!rc) rc = step1(st, &row);
    if (!rc && row) sum = store_col_int(st, 0);
    store_finalize(st);
    st = NULL;
    if (!rc) rc = store_prepare(c, Q_BANK_ENTRIES_OF, &st);
    if (!rc) rc = store_bind_int(st, 1, x.id);
    if (!rc) rc = store_bind_int(st, 2, 1);
    if (!rc) rc = step1(st, &row);
    if (!rc && row) newest = store_col_int(st, 4);
    store_finalize(st);
    if (rc) return rc;
    if (sum != x.balance || (newest >= 0 && newest != x.balance) || x.balance < 0)
        return ws_fail(WS_ECORRUPT, "balance", "holder %lld: balance %lld, entries sum %lld, newest %lld",
                       (long long)x.id, (long long)x.balance, (long long)sum, (long long)newest);
    return WS_OK;
}

ws_err bank_statement(store_conn *c, bank_holder_ref h, int limit, json_t **out)
{
    *out = NULL;
    holder x;
    ws_err rc = holder_get(c, NULL, h, false, &x);
    if (rc) return rc;
    json_t *items = json_array();
    if (x.id) {
        store_stmt *st = NULL;
        bool row = false;
        rc = store_prepare(c, Q_BANK_ENTRIES_OF, &st);
        if (!rc) rc = store_bind_int(st, 1, x.id);
        if (!rc) rc = store_bind_int(st, 2, limit);
        while (!rc && !(rc = step1(st, &row)) && row) {
            json_t *e = json_object();
            json_object_set_new(e, "id", json_integer(store_col_int(st, 0)));
            json_object_set_new(e, "kind", json_str(store_col_text(st, 2)));
            json_object_set_new(e, "amount", json_integer(store_col_int(st, 3)));
            json_object_set_new(e, "balance_after", json_integer(store_col_int(st, 4)));
            json_object_set_new(e, "rule_key", store_col_null(st, 5) ? json_null() : json_str(store_col_text(st, 5)));
            json_object_set_new(e, "item", store_col_null(st, 11) ? json_null() : json_str(store_col_text(st, 11)));
            json_object_set_new(e, "ref_entity", store_col_null(st, 7) ? json_null() : json_str(store_col_text(st, 7)));
            json_object_set_new(e, "ref_id", json_id(store_col_opt_int(st, 8)));
            json_object_set_new(e, "at", json_time(store_col_int(st, 10)));
            json_array_append_new(items, e);
        }
        store_finalize(st);
    }
    if (rc) {
        json_decref(items);
        return rc;
    }
    *out = json_pack("{s:I,s:I,s:o}", "balance", (json_int_t)x.balance, "earned", (json_int_t)x.earned,
                     "entries", items);
    return WS_OK;
}

ws_err bank_rules_json(store_conn *c, json_t **out)
{
    store_stmt *st = NULL;
    bool row = false;
    json_t *a = json_array();
    ws_err rc = store_prepare(c, Q_BANK_RULES, &st);
    while (!rc && !(rc = step1(st, &row)) && row)
        json_array_append_new(a, json_pack("{s:s,s:s,s:I,s:b}", "key", store_col_text(st, 1), "name",
                                           store_col_text(st, 2), "points", (json_int_t)store_col_int(st, 3),
                                           "active", store_col_int(st, 4) != 0));
    store_finalize(st);
    if (rc) {
        json_decref(a);
        a = NULL;
    }
    *out = a;
    return rc;
}

ws_err bank_rule_set(store_conn *c, const audit_actor *who, const char *key, int64_t points, bool active)
{
    if (points < 0 || points > BANK_POINTS_MAX)
        return ws_fail(WS_EINVAL, "points", "points must be 0 to %d", BANK_POINTS_MAX);
    bool own = false;
    ws_err rc = store_tx_join(c, &own);
    if (rc) return rc;
    store_stmt *st = NULL;
    bool row = false;
    int64_t id = 0;
    rc = store_prepare(c, Q_BANK_RULE_GET, &st);
    if (!rc) rc = store_bind_text(st, 1, key);
    if (!rc) rc = step1(st, &row);
    if (!rc && row) id = store_col_int(st, 0);
    store_finalize(st);
    if (!rc && !row) rc = ws_fail(WS_ENOTFOUND, "key", "no such rule");
    st = NULL;
    if (!rc) rc = store_prepare(c, Q_BANK_RULE_SET, &st);
    if (!rc) rc = store_bind_text(st, 1, key);
    if (!rc) rc = store_bind_int(st, 2, points);
    if (!rc) rc = store_bind_int(st, 3, active ? 1 : 0);
    if (!rc) rc = store_bind_int(st, 4, clock_now_ms());
    if (!rc) rc = step1(st, NULL);
    store_finalize(st);
    audit_field f[] = {{"key", AC_TEXT, 0, key}, {"points", AC_INT, points, NULL}, {"active", AC_INT, active, NULL}};
    if (!rc) rc = audit_event(c, who, "bank_rule", id, "update", f, 3, NULL);
    return store_tx_finish(c, own, rc);
}

ws_err bank_items_json(store_conn *c, bool include_inactive, json_t **out)
{
    store_stmt *st = NULL;
    bool row = false;
    json_t *a = json_array();
    ws_err rc = store_prepare(c, Q_BANK_ITEMS, &st);
    if (!rc) rc = store_bind_int(st, 1, include_inactive ? 1 : 0);
    while (!rc && !(rc = step1(st, &row)) && row) {
        json_t *o = json_pack("{s:I,s:s,s:s,s:I,s:b}", "id", (json_int_t)store_col_int(st, 0), "code",
                              store_col_text(st, 1), "name", store_col_text(st, 2), "cost",
                              (json_int_t)store_col_int(st, 3), "needs_name", store_col_int(st, 4) != 0);
        json_object_set_new(o, "stock", store_col_null(st, 5) ? json_null() : json_integer(store_col_int(st, 5)));
        json_object_set_new(o, "active", json_boolean(store_col_int(st, 6) != 0));
        json_array_append_new(a, o);
    }
    store_finalize(st);
    if (rc) {
        json_decref(a);
        a = NULL;
    }
    *out = a;
    return rc;
}

static bool code_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (!n || n > BANK_CODE_MAX) return false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-')) return false;
    }
    return true;
}

ws_err bank_item_create(store_conn *c, const audit_actor *who, const bank_item_in *in, int64_t *id)
{
    if (!code_ok(in->code)) return ws_fail(WS_EINVAL, "code", "code: 1..40 of a-z, 0-9, _ and -");
    if (!in->name || !*in->name || strlen(in->name) > BANK_NAME_MAX)
        return ws_fail(WS_EINVAL, "name", "name: 1..%d bytes", BANK_NAME_MAX);
    if (in->cost < 1 || in->cost > BANK_POINTS_MAX)
        return ws_fail(WS_EINVAL, "cost", "cost must be 1 to %d points", BANK_POINTS_MAX);
    if (in->stock > 1000000) return ws_fail(WS_EINVAL, "stock", "stock must be at most 1000000");
    bool own = false;
    ws_err rc = store_tx_join(c, &own);
    if (rc) return rc;
    store_stmt *st = NULL;
    bool row = false;
    int64_t nid = 0;
    rc = store_prepare(c, Q_BANK_ITEM_INSERT, &st);
    if (!rc) rc = store_bind_text(st, 1, in->code);
    if (!rc) rc = store_bind_text(st, 2, in->name);
    if (!rc) rc = store_bind_int(st, 3, in->cost);
    if (!rc) rc = store_bind_int(st, 4, in->needs_name ? 1 : 0);
    if (!rc) rc = in->stock < 0 ? store_bind_null(st, 5) : store_bind_int(st, 5, in->stock);
    if (!rc) rc = store_bind_int(st, 6, clock_now_ms());
    if (!rc) rc = step1(st, &row);
    if (!rc && row) nid = store_col_int(st, 0);
    store_finalize(st);
    if (rc == WS_ECONFLICT) rc = ws_fail(WS_ECONFLICT, "code", "a reward with this code exists");
    if (!rc) rc = audit_record(c, who, &BANK_ENTITY_ITEM, nid, "create", NULL);
    if (!rc && id) *id = nid;
    return store_tx_finish(c, own, rc);
}

ws_err bank_board(store_conn *c, const char *path, const char *by, int64_t since, int limit, json_t **out)
{
    *out = NULL;
    int k = !strcmp(by, "unit") ? 0 : !strcmp(by, "department") ? 1 : !strcmp(by, "person") ? 2 : -1;
    if (k < 0) return ws_fail(WS_EINVAL, "by", "by is unit, department or person");
    static const char *const qs[3] = {Q_BANK_BOARD_UNIT, Q_BANK_BOARD_DEPT, Q_BANK_BOARD_PERSON};
    store_stmt *st = NULL;
    bool row = false;
    json_t *a = json_array();
    ws_err rc = store_prepare(c, qs[k], &st);
    if (!rc) rc = store_bind_text(st, 1, path);
    if (!rc) rc = store_bind_int(st, 2, since);
    if (!rc) rc = store_bind_int(st, 3, limit);
    while (!rc && !(rc = step1(st, &row)) && row) {
        json_t *o = json_object();
        json_object_set_new(o, "id", json_integer(store_col_int(st, 0)));
        json_object_set_new(o, "name", json_str(store_col_text(st, 1)));
        if (k == 0) {
            json_object_set_new(o, "kind", json_str(store_col_text(st, 2)));
            json_object_set_new(o, "points", json_integer(store_col_int(st, 3)));
            json_object_set_new(o, "people", json_integer(store_col_int(st, 4)));
        } else if (k == 1) {
            json_object_set_new(o, "points", json_integer(store_col_int(st, 2)));
            json_object_set_new(o, "people", json_integer(store_col_int(st, 3)));
        } else {
            json_object_set_new(o, "unit", json_str(store_col_text(st, 2)));
            json_object_set_new(o, "points", json_integer(store_col_int(st, 3)));
        }
        json_array_append_new(a, o);
    }
    store_finalize(st);
    if (rc) {
        json_decref(a);
        return rc;
    }
    *out = a;
    return WS_OK;
}
