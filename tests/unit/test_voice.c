/* test_voice.c — anonymous reports in-process (src/voice) on a real SQLite
 * file (and PostgreSQL when WS_TEST_PG_URL is set), with the test build's
 * clock.
 *
 * What a user checks: the receipt code opens the report (typed in lower case
 * or without dashes too) and the database holds only its hash; a report not
 * answered within reply_hours escalates — one notice to the unit's leader
 * through the outbox and a note to the reporter — and again one level up
 * every escalate_every_hours, never twice for one period; a staff reply stops
 * it; the reporter writing again makes it due again; a valid report pays its
 * receipt code; turned into a hidden danger it links both ways; a confirmed
 * hazard pays its reporter; the evidence log verifies (voice.h invariants). */
#include "bank/bank.h"
#include "core/clock.h"
#include "hazard/hazard.h"
#include "notify/channel.h"
#include "notify/outbox.h"
#include "risk/risk.h"
#include "voice/voice.h"
#include "voice/voice_int.h"
#include "workflow/workflow.h"
#include "unit/plant_fixture.h"

#define HOUR 3600000LL

static void t_escalation(void **state)
{
    (void)state;
    voice_admit_reset();
    world w = org_world(tc.c);
    /* leaders: 张伟 of the area, 王强 of the site */
    org_unit_patch pa = {.set = ORG_SET_LEADER, .leader_person_id = w.p[0]};
    OK(org_unit_update(tc.c, &TRUSTED, w.area, &pa));
    org_unit_patch ps = {.set = ORG_SET_LEADER, .leader_person_id = w.p[2]};
    OK(org_unit_update(tc.c, &TRUSTED, w.site, &ps));
    int64_t ch = 0;
    OK(notify_channel_add(tc.c, "webhook", "hook", "http://127.0.0.1:9/h", NULL, 0, clock_now_ms(), &ch));
    char code[VOICE_CODE_BUF];
    int64_t id = 0;
    voice_in in = {w.area, "equipment", "2 号泵机封泄漏", NULL, 0};
    OK(voice_submit(tc.c, &in, code, &id));
    assert_int_equal(strlen(code), 24);
    /* only the hash is stored */
    assert_int_equal(count_sql(tc.c, "SELECT COUNT(*) FROM voice_reports WHERE length(code_hash) = 64"), 1);
    /* lower case, no dashes */
    char loose[VOICE_CODE_BUF];
    size_t k = 0;
    for (const char *p = code; *p; p++) if (*p != '-') loose[k++] = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
    loose[k] = 0;
    json_t *f = NULL;
    OK(voice_follow(tc.c, loose, &f));
    assert_string_equal(json_string_value(json_object_get(f, "state")), "open");
    json_decref(f);
    REFUSED(voice_follow(tc.c, "ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ", &f), WS_ENOTFOUND, "code");

    int esc = 0;
    OK(voice_tick(tc.c, clock_now_ms(), &esc));
    assert_int_equal(esc, 0);
    clock_test_advance(72 * HOUR - 1000);
    OK(voice_tick(tc.c, clock_now_ms(), &esc));
    assert_int_equal(esc, 0);
    clock_test_advance(2000); /* 72 h passed */
    OK(voice_tick(tc.c, clock_now_ms(), &esc));
    assert_int_equal(esc, 1);
    OK(voice_tick(tc.c, clock_now_ms(), &esc)); /* not twice for one period */
    assert_int_equal(esc, 0);
    assert_int_equal(count_sql(tc.c, "SELECT COUNT(*) FROM notify_outbox"), 1);
    notify_row nr;
    OK(notify_get(tc.c, 1, &nr));
    assert_non_null(strstr(nr.body, "罐区"));
    notify_row_free(&nr);
    clock_test_advance(24 * HOUR);
    OK(voice_tick(tc.c, clock_now_ms(), &esc));
    assert_int_equal(esc, 1);
    OK(notify_get(tc.c, 2, &nr));
    assert_non_null(strstr(nr.body, "一厂区")); /* one level up: the site's leader */
    notify_row_free(&nr);
    OK(voice_follow(tc.c, code, &f));
    assert_int_equal(json_integer_value(json_object_get(f, "escalations")), 2);
    assert_true(json_is_true(json_object_get(f, "overdue")));
    assert_int_equal(json_array_size(json_object_get(f, "messages")), 2); /* two notes to the reporter */
    json_decref(f);
    /* a staff reply stops it */
    auth_subject so = subject(ROLE_SAFETY_OFFICER, w.p[1], w.ent_path);
    OK(auth_create_account(tc.c, &WHO, "so", "Safety-Pass-2026", ROLE_SAFETY_OFFICER, w.ent, w.p[1], false,
                           &so.account_id));
    audit_actor sa = {"account:7"};
    voice_caller by = {&sa, &so};
    auth_subject wk = subject(ROLE_WORKER, w.p[3], w.ent_path);
    voice_caller worker = {&sa, &wk};
    REFUSED(voice_reply(tc.c, &worker, id, "好", false), WS_EFORBIDDEN, "");
    auth_subject other = subject(ROLE_SAFETY_OFFICER, w.q[0], w.ent2_path);
    voice_caller outsider = {&sa, &other};
    REFUSED(voice_reply(tc.c, &outsider, id, "好", false), WS_ENOTFOUND, "id");
    OK(voice_reply(tc.c, &by, id, "已更换机封。", false));
    clock_test_advance(100 * HOUR);
    OK(voice_tick(tc.c, clock_now_ms(), &esc));
    assert_int_equal(esc, 0);
    OK(voice_rate(tc.c, code, 4));
    /* the reporter writes again: due again in 72 h */
    OK(voice_message(tc.c, code, "北侧还有一台"));
    clock_test_advance(71 * HOUR);
    OK(voice_tick(tc.c, clock_now_ms(), &esc));
    assert_int_equal(esc, 0);
    clock_test_advance(2 * HOUR);
    OK(voice_tick(tc.c, clock_now_ms(), &esc));
    assert_int_equal(esc, 1);
    OK(voice_reply(tc.c, &by, id, "已处理并关闭。", true));
    REFUSED(voice_message(tc.c, code, "再补充"), WS_ECONFLICT, "state");
    /* valid: the code earns the rule's points */
    OK(voice_judge(tc.c, &by, id, true));
    bank_holder_ref h = {0, id};
    int64_t bal = 0;
    OK(bank_balance(tc.c, h, &bal, NULL));
    assert_int_equal(bal, 20);
    OK(voice_judge(tc.c, &by, id, true)); /* pays once */
    OK(bank_balance(tc.c, h, &bal, NULL));
    assert_int_equal(bal, 20);
    REFUSED(voice_judge(tc.c, &by, id, false), WS_ECONFLICT, "valid");
    /* turned into a hidden danger */
    int64_t hid = 0;
    OK(voice_to_hazard(tc.c, &by, id, NULL, "03", &hid));
    assert_true(hid > 0);
    REFUSED(voice_to_hazard(tc.c, &by, id, NULL, "03", &hid), WS_ECONFLICT, "hazard_id");
    json_t *hz = NULL;
    OK(hazard_get_json(tc.c, NULL, hid, &hz));
    assert_string_equal(json_string_value(json_object_get(hz, "source")), "anonymous");
    assert_non_null(strstr(json_string_value(json_object_get(hz, "description")), "NM-"));
    json_decref(hz);
    /* the reporter reveals themselves: 20 points move to 刘洋 */
    int64_t moved = 0;
    audit_actor ra = {"account:9"};
    OK(voice_reveal(tc.c, &ra, &wk, code, &moved));
    assert_int_equal(moved, 20);
    REFUSED(voice_reveal(tc.c, &ra, &wk, code, &moved), WS_ECONFLICT, "code");
    verify_clean(tc.c);
}

static void t_confirmed_hazard_pays(void **state)
{
    (void)state;
    world w = org_world(tc.c);
    auth_subject rep = subject(ROLE_WORKER, w.p[0], w.ent_path);
    auth_subject so = subject(ROLE_SAFETY_OFFICER, w.p[1], w.ent_path);
    audit_actor ra = {"account:1"}, sa = {"account:2"};
    wf_actor by_rep = {&ra, &rep}, by_so = {&sa, &so};
    hazard_in in = {.unit_id = w.area, .title = "阀门泄漏", .accident_type = "03"};
    int64_t hid = 0;
    OK(hazard_report(tc.c, &by_rep, &in, &hid));
    bank_holder_ref h = {w.p[0], 0};
    int64_t bal = -1;
    OK(bank_balance(tc.c, h, &bal, NULL));
    assert_int_equal(bal, 0);
    json_t *fields = json_pack("{s:s}", "grade", "general");
    OK(hazard_act(tc.c, &by_so, hid, "assess", fields));
    json_decref(fields);
    OK(bank_balance(tc.c, h, &bal, NULL));
    assert_int_equal(bal, 10);
    verify_clean(tc.c);
}

static void t_bad_input(void **state)
{
    (void)state;
    voice_admit_reset();
    world w = org_world(tc.c);
    char code[VOICE_CODE_BUF];
    voice_in in = {w.area, "gossip", "x", NULL, 0};
    REFUSED(voice_submit(tc.c, &in, code, NULL), WS_EINVAL, "category");
    in.category = "other";
    in.text = "   ";
    REFUSED(voice_submit(tc.c, &in, code, NULL), WS_EINVAL, "text");
    in.text = "ok";
    in.unit_id = w.park; /* a park is not a place to choose */
    REFUSED(voice_submit(tc.c, &in, code, NULL), WS_EINVAL, "unit_id");
    const char pdf[] = "%PDF-1.4\n%%EOF\n";
    voice_photo ph = {pdf, sizeof pdf - 1};
    in.unit_id = w.area;
    in.photos = &ph;
    in.n_photos = 1;
    REFUSED(voice_submit(tc.c, &in, code, NULL), WS_EMEDIA, "photos[0]");
    assert_int_equal(count_sql(tc.c, "SELECT COUNT(*) FROM voice_reports"), 0);
    /* the rate limit: source_per_hour from one address, then 429; another address goes on */
    OK(voice_param_set(tc.c, &WHO, "source_per_hour", 2));
    int64_t now = clock_now_ms();
    OK(voice_admit(tc.c, "10.0.0.1", 's', now));
    OK(voice_admit(tc.c, "10.0.0.1", 's', now));
    REFUSED(voice_admit(tc.c, "10.0.0.1", 's', now), WS_ERATE, "");
    OK(voice_admit(tc.c, "10.0.0.2", 's', now));
    /* the next hour forgets everyone */
    OK(voice_admit(tc.c, "10.0.0.1", 's', now + HOUR));
    REFUSED(voice_param_set(tc.c, &WHO, "reply_hours", 0), WS_EINVAL, "reply_hours");
    verify_clean(tc.c);
}

int main(void)
{
    if (risk_init() || workflow_init() || hazard_init() || voice_init()) return 1;
    const struct CMUnitTest tests[] = {
        DB_TEST(t_escalation),
        DB_TEST(t_confirmed_hazard_pays),
        DB_TEST(t_bad_input),
    };
    return run_all("voice", tests, sizeof tests / sizeof tests[0]);
}
