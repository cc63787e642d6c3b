/* test_bank.c — the points bank in-process (src/bank) on a real SQLite file
 * (and PostgreSQL when WS_TEST_PG_URL is set).
 *
 * What a user checks: points are earned by the rules as data and once per
 * record; a redemption takes the cost off and refuses (naming the balance)
 * when it does not cover it, with nothing written; an anonymous holder buys
 * only rewards that need no name until its reporter reveals themselves, and
 * then the points are the person's; many redemptions fired at once from
 * their own connections never overspend a balance; the ledger is never
 * rewritten (no UPDATE or DELETE of bank_entries exists in the SQL) and the
 * evidence log verifies (bank.h invariants). */
#include <pthread.h>

#include "bank/bank.h"
#include "core/clock.h"
#include "store/q_bank.h"
#include "store/q_voice.h"
#include "unit/plant_fixture.h"

static const audit_actor SYSA = {"system:test"};

static void no_rewrites_in_sql(void **state)
{
    (void)state;
    /* invariant 1: the only statement on bank_entries that writes is the INSERT */
    FILE *f = fopen("src/store/q_bank.c", "r");
    assert_non_null(f);
    char line[4096];
    while (fgets(line, sizeof line, f)) {
        assert_null(strstr(line, "UPDATE bank_entries"));
        assert_null(strstr(line, "DELETE FROM bank_entries"));
    }
    fclose(f);
}

static int64_t item(const char *code, int64_t cost, bool needs_name, int64_t stock)
{
    bank_item_in in = {code, "奖励", cost, needs_name, stock};
    int64_t id = 0;
    OK(bank_item_create(tc.c, &SYSA, &in, &id));
    return id;
}

static int64_t balance(bank_holder_ref h)
{
    int64_t b = -1;
    OK(bank_balance(tc.c, h, &b, NULL));
    return b;
}

static void t_earn_and_redeem(void **state)
{
    (void)state;
    world w = org_world(tc.c);
    bank_holder_ref p = {w.p[0], 0};
    int64_t pts = 0;
    OK(bank_earn(tc.c, &SYSA, "hazard_confirmed", p, "hazard", 1, &pts));
    assert_int_equal(pts, 10);
    /* the same record pays once */
    OK(bank_earn(tc.c, &SYSA, "hazard_confirmed", p, "hazard", 1, &pts));
    assert_int_equal(pts, 0);
    OK(bank_earn(tc.c, &SYSA, "patrol_done", p, "patrol", 1, &pts));
    assert_int_equal(pts, 2);
    assert_int_equal(balance(p), 12);
    REFUSED(bank_earn(tc.c, &SYSA, "no_such_rule", p, "x", 1, &pts), WS_EINVAL, "rule_key");
    /* rules are data: a changed rule pays the new amount; an inactive one nothing */
    OK(bank_rule_set(tc.c, &SYSA, "patrol_done", 5, true));
    OK(bank_earn(tc.c, &SYSA, "patrol_done", p, "patrol", 2, &pts));
    assert_int_equal(pts, 5);
    OK(bank_rule_set(tc.c, &SYSA, "patrol_done", 5, false));
    OK(bank_earn(tc.c, &SYSA, "patrol_done", p, "patrol", 3, &pts));
    assert_int_equal(pts, 0);
    assert_int_equal(balance(p), 17);

    int64_t shoes = item("shoes", 15, false, 1), leave = item("leave", 300, true, -1);
    int64_t entry = 0, bal = 0;
    REFUSED(bank_redeem(tc.c, &SYSA, p, leave, &entry, &bal), WS_ECONFLICT, "balance");
    assert_int_equal(balance(p), 17);
    OK(bank_redeem(tc.c, &SYSA, p, shoes, &entry, &bal));
    assert_int_equal(bal, 2);
    assert_true(entry > 0);
    /* a second pair: sold out (and short of points anyway, the balance comes first) */
    REFUSED(bank_redeem(tc.c, &SYSA, p, shoes, &entry, &bal), WS_ECONFLICT, "balance");
    bank_holder_ref q = {w.p[1], 0};
    for (int i = 0; i < 10; i++) OK(bank_earn(tc.c, &SYSA, "hazard_confirmed", q, "hazard", 100 + i, NULL));
    REFUSED(bank_redeem(tc.c, &SYSA, q, shoes, &entry, &bal), WS_ECONFLICT, "item_id");
    assert_int_equal(balance(q), 100);
    REFUSED(bank_redeem(tc.c, &SYSA, q, 9999, &entry, &bal), WS_ENOTFOUND, "item_id");
    OK(bank_check(tc.c, p));
    OK(bank_check(tc.c, q));
    /* the statement, newest first */
    json_t *s = NULL;
    OK(bank_statement(tc.c, p, 10, &s));
    assert_int_equal(json_integer_value(json_object_get(s, "balance")), 2);
    assert_int_equal(json_integer_value(json_object_get(s, "earned")), 17);
    json_t *e0 = json_array_get(json_object_get(s, "entries"), 0);
    assert_string_equal(json_string_value(json_object_get(e0, "kind")), "redeem");
    assert_int_equal(json_integer_value(json_object_get(e0, "amount")), -15);
    json_decref(s);
    /* leaderboard: q first */
    json_t *b = NULL;
    OK(bank_board(tc.c, w.ent_path, "person", 0, 10, &b));
    assert_int_equal(json_integer_value(json_object_get(json_array_get(b, 0), "id")), w.p[1]);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(b, 0), "points")), 100);
    json_decref(b);
    OK(bank_board(tc.c, w.ent2_path, "unit", 0, 10, &b));
    assert_int_equal(json_array_size(b), 0);
    json_decref(b);
    REFUSED(bank_board(tc.c, "/", "nonsense", 0, 10, &b), WS_EINVAL, "by");
    verify_clean(tc.c);
}

/* A report row for an anonymous holder (the bank does not care how it was sent). */
static int64_t report_row(int64_t unit)
{
    static int n;
    char hash[65];
    snprintf(hash, sizeof hash, "%064d", ++n);
    store_stmt *st = NULL;
    bool row = false;
    int64_t id = 0;
    OK(store_prepare(tc.c, Q_VOICE_INSERT, &st));
    OK(store_bind_text(st, 1, hash));
    OK(store_bind_int(st, 2, unit));
    OK(store_bind_text(st, 3, "other"));
    OK(store_bind_text(st, 4, "text"));
    OK(store_bind_text(st, 5, "[]"));
    OK(store_bind_int(st, 6, clock_now_ms()));
    OK(store_bind_int(st, 7, clock_now_ms()));
    OK(store_step(st, &row));
    id = store_col_int(st, 0);
    store_finalize(st);
    return id;
}

static void t_anonymous_and_reveal(void **state)
{
    (void)state;
    world w = org_world(tc.c);
    int64_t rep = report_row(w.area);
    bank_holder_ref a = {0, rep};
    int64_t pts = 0, bal = 0, entry = 0, moved = 0;
    OK(bank_earn(tc.c, &SYSA, "voice_valid", a, "voice_report", rep, &pts));
    assert_int_equal(pts, 20);
    int64_t leave = item("leave", 15, true, -1), tickets = item("tickets", 5, false, -1);
    REFUSED(bank_redeem(tc.c, &SYSA, a, leave, &entry, &bal), WS_EFORBIDDEN, "item_id");
    assert_int_equal(balance(a), 20);
    OK(bank_redeem(tc.c, &SYSA, a, tickets, &entry, &bal));
    assert_int_equal(bal, 15);
    /* the reporter reveals themselves: the 15 points move to the person */
    OK(bank_reveal(tc.c, &SYSA, rep, w.p[2], &moved));
    assert_int_equal(moved, 15);
    bank_holder_ref p = {w.p[2], 0};
    assert_int_equal(balance(a), 0);
    assert_int_equal(balance(p), 15);
    OK(bank_redeem(tc.c, &SYSA, p, leave, &entry, &bal));
    assert_int_equal(bal, 0);
    OK(bank_check(tc.c, a));
    OK(bank_check(tc.c, p));
    verify_clean(tc.c);
}

/* --------------------------------------------------- concurrent redemptions */

#define THREADS 12
#define TRIES 10
typedef struct racer {
    store *s;
    bank_holder_ref h;
    int64_t item;
    int ok, short_, other;
    char why[200];
} racer;

static void *race(void *arg)
{
    racer *r = arg;
    store_conn *c = NULL;
    if (store_acquire(r->s, &c)) {
        r->other++;
        return NULL;
    }
    for (int i = 0; i < TRIES; i++) {
        ws_err rc = bank_redeem(c, &SYSA, r->h, r->item, NULL, NULL);
        if (rc == WS_OK) r->ok++;
        else if (rc == WS_ECONFLICT && !strcmp(ws_err_field(), "balance")) r->short_++;
        else {
            r->other++;
            snprintf(r->why, sizeof r->why, "%d %s", rc, ws_err_message());
        }
    }
    store_release(c);
    return NULL;
}

static void t_concurrent_redemptions(void **state)
{
    (void)state;
    world w = org_world(tc.c);
    bank_holder_ref p = {w.p[0], 0};
    /* a balance of 100 */
    for (int i = 0; i < 10; i++) OK(bank_earn(tc.c, &SYSA, "hazard_confirmed", p, "hazard", i + 1, NULL));
    int64_t it = item("gloves", 7, false, -1);
    store *s = NULL;
    OK(store_open(tc.url, THREADS, &s));
    racer r[THREADS];
    pthread_t th[THREADS];
    memset(r, 0, sizeof r);
    for (int i = 0; i < THREADS; i++) {
        r[i] = (racer){.s = s, .h = p, .item = it};
        assert_int_equal(pthread_create(&th[i], NULL, race, &r[i]), 0);
    }
    int ok = 0, shrt = 0, other = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        ok += r[i].ok;
        shrt += r[i].short_;
        other += r[i].other;
        if (r[i].other) fprintf(stderr, "racer %d: %s\n", i, r[i].why);
    }
    store_close(s);
    /* 100 points buy exactly 14 pairs at 7; every other try is refused naming the balance */
    assert_int_equal(other, 0);
    assert_int_equal(ok, 14);
    assert_int_equal(shrt, THREADS * TRIES - 14);
    assert_int_equal(balance(p), 2);
    OK(bank_check(tc.c, p));
    assert_int_equal(count_sql(tc.c, "SELECT COUNT(*) FROM bank_entries WHERE kind = 'redeem'"), 14);
    assert_int_equal(count_sql(tc.c, "SELECT MIN(balance_after) FROM bank_entries"), 2);
    verify_clean(tc.c);
}

int main(void)
{
    if (bank_init()) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(no_rewrites_in_sql),
        DB_TEST(t_earn_and_redeem),
        DB_TEST(t_anonymous_and_reveal),
        DB_TEST(t_concurrent_redemptions),
    };
    return run_all("bank", tests, sizeof tests / sizeof tests[0]);
}
