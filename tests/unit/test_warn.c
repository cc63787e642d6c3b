/* test_warn.c — the early-warning engine in-process (src/warn): readings in
 * through the journal, the series store and the thresholds, alarms out, on a
 * real SQLite file (and PostgreSQL when WS_TEST_PG_URL is set).
 *
 * Times are explicit (readings carry source times, warn_tick takes now), so
 * escalation timing, dedup and late data are tested without waiting. What a
 * user checks: one alarm per (condition, point) with its occurrence count; a
 * late or out-of-order reading never raises or clears; escalation steps fire
 * once each, also across a restart; a restart brings back open alarms and
 * the readings of the journal, with nothing doubled; the evidence log
 * verifies. */
#include "unit/warn_fixture.h"

/* Over H (25 %LEL, GB/T 50493 一级) raises one 报警; staying over it does
 * not raise again; a clear and a new excursion count a second occurrence on
 * the same alarm; late and out-of-order readings change nothing. */
static void t_dedup_and_late(void **state)
{
    (void)state;
    add_point("GT-101");
    engine_open();
    int64_t t0 = clock_now_ms() - 600000;
    warn_result res;
    in1("GT-101", 5, t0, &res);
    assert_int_equal(res.accepted, 1);
    assert_int_equal(open_alarms(), 0);
    in1("GT-101", 30, t0 + 1000, &res);
    assert_int_equal(open_alarms(), 1);
    assert_int_equal(sql_int("SELECT level FROM alarms WHERE open = 1", 0), 2);
    in1("GT-101", 32, t0 + 2000, &res);
    assert_int_equal(open_alarms(), 1);
    assert_int_equal(events_of("raise"), 1);
    /* a late reading below the limit (older than the last) does not clear */
    in1("GT-101", 0, t0 + 1500, &res);
    assert_int_equal(res.late, 1);
    assert_int_equal(events_of("clear"), 0);
    /* clear, then raise again: one alarm, count 2 */
    in1("GT-101", 3, t0 + 3000, &res);
    assert_int_equal(events_of("clear"), 1);
    in1("GT-101", 28, t0 + 4000, &res);
    assert_int_equal(open_alarms(), 1);
    assert_int_equal(sql_int("SELECT count FROM alarms WHERE open = 1", 0), 2);
    /* HH (50 %LEL, 二级) is its own 紧急 alarm */
    in1("GT-101", 55, t0 + 5000, &res);
    assert_int_equal(open_alarms(), 2);
    assert_int_equal(sql_int("SELECT max(level) FROM alarms WHERE open = 1", 0), 3);
    /* unknown tags are counted, not stored */
    in1("NO-SUCH", 1, t0 + 5000, &res);
    assert_int_equal(res.unknown_tag, 1);
    /* a late excursion never raises */
    in1("GT-101", 3, t0 + 6000, &res);
    in1("GT-101", 99, t0 + 500, &res);
    assert_int_equal(res.late, 1);
    engine_close();
}

static void no_findings(const audit_finding *f, void *arg)
{
    (void)arg;
    fail_msg("audit verify: %s %lld: %s", f->entity, (long long)f->id, f->what);
}

/* Operators: acknowledge, close only when cleared with the record; the
 * evidence log has a leaf per change and verifies. */

static void t_operator_actions(void **state)
{
    (void)state;
    add_point("GT-102");
    engine_open();
    int64_t t0 = clock_now_ms() - 600000;
    warn_result res;
    in1("GT-102", 30, t0, &res);
    int64_t id = sql_int("SELECT id FROM alarms WHERE open = 1", 0);
    officer o;
    officer_init(&o, 7);
    OK(warn_ack(tc.w, &o.by, id));
    assert_int_equal(warn_ack(tc.w, &o.by, id), WS_ECONFLICT);
    assert_int_equal(sql_int("SELECT acked_by_person_id FROM alarms WHERE id = $1", id), 7);
    /* still active: close refused, naming the state */
    assert_int_equal(warn_close_alarm(tc.w, &o.by, id, "法兰泄漏", "紧固"), WS_ECONFLICT);
    in1("GT-102", 2, t0 + 1000, &res); /* the clear rewrites the row: who acknowledged stays */
    assert_int_equal(sql_int("SELECT acked_by_person_id FROM alarms WHERE id = $1", id), 7);
    assert_int_equal(warn_close_alarm(tc.w, &o.by, id, "", "紧固"), WS_EINVAL);
    OK(warn_close_alarm(tc.w, &o.by, id, "法兰泄漏", "紧固法兰并复测"));
    assert_int_equal(sql_int("SELECT acked_by_person_id * 100 + closed_by_person_id FROM alarms WHERE id = $1", id),
                     707);
    assert_int_equal(open_alarms(), 0);
    assert_int_equal(sql_int("SELECT count(*) FROM alarms WHERE state = 'closed' AND cause IS NOT NULL", 0), 1);
    /* a caller outside the scope cannot see it */
    snprintf(o.su.scope_path, sizeof o.su.scope_path, "/99999/");
    in1("GT-102", 40, t0 + 2000, &res);
    int64_t id2 = sql_int("SELECT id FROM alarms WHERE open = 1", 0);
    assert_int_equal(warn_ack(tc.w, &o.by, id2), WS_ENOTFOUND);
    engine_close();
    store_conn *c;
    OK(store_acquire(tc.s, &c));
    uint64_t n = 0;
    OK(audit_verify(c, NULL, no_findings, NULL, &n));
    assert_true(n >= 4);
    store_release(c);
}

/* Escalation: grid leader at once, safety officer after 5 min, manager after
 * 15 — each step once, and the timers resume after a restart. */
static void t_escalation_resumes(void **state)
{
    (void)state;
    add_point("GT-103");
    engine_open();
    int64_t t0 = clock_now_ms() - 3600000;
    warn_result res;
    in1("GT-103", 30, t0, &res);
    OK(warn_tick(tc.w, t0 + 1000));
    assert_int_equal(events_of("escalate"), 1);
    OK(warn_tick(tc.w, t0 + 6 * 60000));
    assert_int_equal(events_of("escalate"), 2);
    OK(warn_tick(tc.w, t0 + 7 * 60000));
    assert_int_equal(events_of("escalate"), 2);
    engine_close();
    engine_open();
    assert_int_equal(open_alarms(), 1);
    OK(warn_tick(tc.w, t0 + 10 * 60000));
    assert_int_equal(events_of("escalate"), 2);
    OK(warn_tick(tc.w, t0 + 16 * 60000));
    assert_int_equal(events_of("escalate"), 3);
    engine_close();
}

/* A restart replays the journal: readings that were journaled but not sealed
 * come back, sealed ones are not doubled, alarms are not raised twice. */
/* "Crash": drop the engine and the series store without sealing, by copying
 * the files aside as they are now and putting them back after a close; then
 * open again (journal replay). PostgreSQL: the series rows are in the
 * database, so a close and reopen only (the journal is empty after it). */
static void crash_and_reopen(void)
{
    char cmd[1200];
    if (tc.f->kind == STORE_POSTGRES) {
        engine_close();
        engine_open();
        return;
    }
    snprintf(cmd, sizeof cmd, "cp -r %s %s.crash", tc.sdir, tc.sdir);
    assert_int_equal(system(cmd), 0);
    engine_close();
    store_close(tc.s);
    snprintf(cmd, sizeof cmd, "rm -rf %s && mv %s.crash %s", tc.sdir, tc.sdir, tc.sdir);
    assert_int_equal(system(cmd), 0);
    OK(store_open(tc.url, 4, &tc.s));
    tc.db.s = tc.s; /* the fixture closes this one */
    engine_open();
}

static void t_journal_replay(void **state)
{
    (void)state;
    int64_t pid = add_point("GT-104");
    engine_open();
    int64_t t0 = clock_now_ms() - 3600000;
    ws_reading r[500];
    for (int i = 0; i < 500; i++) r[i] = rd("GT-104", i == 250 ? 40 : 1 + (i % 7) * 0.5, t0 + i * 1000);
    warn_result res;
    OK(warn_ingest(tc.w, WARN_SRC_HTTP, r, 250, &res));
    OK(series_flush_all(tc.ser, NULL)); /* the first half sealed, still in the journal */
    OK(warn_ingest(tc.w, WARN_SRC_HTTP, r + 250, 250, &res));
    assert_int_equal(events_of("raise"), 1);
    crash_and_reopen();
    series_sample out[600];
    size_t n = 0;
    OK(series_history(tc.ser, pid, t0 - 1, t0 + 600000, 600, out, &n, NULL));
    assert_int_equal(n, 500);
    assert_int_equal(events_of("raise"), 1);
    assert_int_equal(open_alarms(), 1);
    engine_close();
}

/* Bytes of the ingest journal's segments (not rules.state beside them). */
static long journal_bytes(void)
{
    char dir[300], path[600];
    snprintf(dir, sizeof dir, "%s/journal", tc.sdir);
    DIR *d = opendir(dir);
    assert_non_null(d);
    long total = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        struct stat st;
        if (strncmp(e->d_name, "ingest-", 7)) continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (!stat(path, &st)) total += (long)st.st_size;
    }
    closedir(d);
    return total;
}

/* A checkpoint (every 10 s) leaves open a chunk that is neither full nor
 * SERIES_MAX_AGE_MS old: sealing them all, as it did, gave a 1 Hz point a
 * chunk of ten readings, each paying a header, a checksum, a row and a
 * minute entry. The journal keeps their readings meanwhile, so a crash
 * loses none; once the chunks are old enough they are sealed and the
 * journal lets the readings go. */
static void t_open_chunks_kept(void **state)
{
    (void)state;
    int64_t pid = add_point("GT-131");
    add_point("GT-132");
    engine_open();
    int64_t now = clock_now_ms(), t0 = now - 600000;
    ws_reading r[20];
    for (int k = 0; k < 6; k++) { /* a minute of 1 Hz readings of each point, 10 s a batch */
        for (int i = 0; i < 20; i++)
            r[i] = rd(i % 2 ? "GT-132" : "GT-131", 1 + (i % 5) * 0.5, t0 + (k * 10 + i / 2) * 1000);
        OK(warn_ingest(tc.w, WARN_SRC_HTTP, r, 20, NULL));
        OK(warn_tick(tc.w, now + 10001 * (k + 1))); /* a checkpoint each time */
    }
    series_digest_out d;
    OK(series_digest(tc.ser, 0, 1000, &d));
    assert_int_equal(d.chunks, 0);   /* nothing sealed by the checkpoints */
    assert_true(journal_bytes() > 0); /* the journal holds the open chunks' readings */
    crash_and_reopen();
    series_sample out[100];
    size_t n = 0;
    OK(series_history(tc.ser, pid, t0 - 1, t0 + 120000, 100, out, &n, NULL));
    assert_int_equal(n, 60);
    /* old enough: sealed at the next checkpoint, and the journal is let go */
    OK(warn_tick(tc.w, clock_now_ms() + SERIES_MAX_AGE_MS + 20000));
    OK(series_digest(tc.ser, 0, 1000, &d));
    assert_int_equal(d.chunks, 2);
    assert_int_equal(d.readings, 120);
    assert_int_equal(journal_bytes(), 0);
    engine_close();
}

/* Journal sequences go on across a clean restart: were they to start again
 * at 1, the readings of the next run would sit under the series store's
 * sealed marks of the last one, and a crash would lose those not yet
 * sealed (replay would take them for sealed). */
static void t_restart_then_crash(void **state)
{
    (void)state;
    int64_t pid = add_point("GT-142");
    engine_open();
    int64_t t0 = clock_now_ms() - 3600000;
    ws_reading r[100];
    for (int i = 0; i < 100; i++) r[i] = rd("GT-142", 1 + (i % 4) * 0.5, t0 + i * 1000);
    OK(warn_ingest(tc.w, WARN_SRC_HTTP, r, 100, NULL));
    engine_close(); /* a clean stop: sealed, the journal emptied */
    engine_open();
    for (int i = 0; i < 100; i++) r[i] = rd("GT-142", 2 + (i % 3) * 0.5, t0 + (100 + i) * 1000);
    OK(warn_ingest(tc.w, WARN_SRC_HTTP, r, 100, NULL)); /* open chunk, in the journal only */
    crash_and_reopen();
    series_sample out[300];
    size_t n = 0;
    OK(series_history(tc.ser, pid, t0 - 1, t0 + 300000, 300, out, &n, NULL));
    assert_int_equal(n, 200);
    engine_close();
    /* the same when the journal's segments were removed by hand meanwhile */
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -f %s/journal/ingest-*.wal", tc.sdir);
    assert_int_equal(system(cmd), 0);
    engine_open();
    for (int i = 0; i < 100; i++) r[i] = rd("GT-142", 3 + (i % 3) * 0.5, t0 + (200 + i) * 1000);
    OK(warn_ingest(tc.w, WARN_SRC_HTTP, r, 100, NULL));
    crash_and_reopen();
    OK(series_history(tc.ser, pid, t0 - 1, t0 + 400000, 300, out, &n, NULL));
    assert_int_equal(n, 300);
    engine_close();
}

/* The journal is bounded: once what it keeps passes journal_keep bytes (a
 * point that reports rarely pins its segments), the next checkpoint seals
 * every chunk, full or not, and the journal is let go. */
static void t_journal_bounded(void **state)
{
    (void)state;
    add_point("GT-133");
    engine_open_with(NULL, 1000);
    int64_t now = clock_now_ms(), t0 = now - 600000;
    ws_reading r[100];
    for (int i = 0; i < 100; i++) r[i] = rd("GT-133", 2 + (i % 3), t0 + i * 1000);
    OK(warn_ingest(tc.w, WARN_SRC_HTTP, r, 100, NULL)); /* about 2.5 KB of journal */
    OK(warn_tick(tc.w, now + 10001));
    series_digest_out d;
    OK(series_digest(tc.ser, 0, 1000, &d));
    assert_int_equal(d.chunks, 0); /* young, not full: kept open, the journal keeps it */
    assert_true(journal_bytes() > 1000);
    OK(warn_tick(tc.w, now + 20002));
    OK(series_digest(tc.ser, 0, 1000, &d));
    assert_int_equal(d.chunks, 1);
    assert_int_equal(d.readings, 100);
    assert_int_equal(journal_bytes(), 0);
    engine_close();
}

/* The active rule set (version 1, the defaults) runs beside the limits: a
 * gas point silent for 5 minutes raises "数据中断" (rule 1001) at the tick;
 * a late reading does not clear it; a fresh one does. */
static void t_rules_stale(void **state)
{
    (void)state;
    add_point("GT-105");
    engine_open();
    int64_t now = clock_now_ms();
    warn_result res;
    in1("GT-105", 3, now - 400000, &res);
    /* the engine counts silence from when it started watching the point */
    OK(warn_tick(tc.w, now + 250000));
    assert_int_equal(sql_int("SELECT count(*) FROM alarms WHERE rule_id = 1001", 0), 0);
    OK(warn_tick(tc.w, now + 301000));
    assert_int_equal(sql_int("SELECT count(*) FROM alarms WHERE rule_id = 1001 AND open = 1", 0), 1);
    assert_int_equal(sql_int("SELECT level FROM alarms WHERE rule_id = 1001", 0), 1);
    /* a silent point has no value to show (not the silence in ms, in %LEL) */
    assert_int_equal(sql_int("SELECT count(*) FROM alarms WHERE rule_id = 1001 AND value IS NULL", 0), 1);
    in1("GT-105", 3, now - 390000, &res); /* a late reading: stays stale */
    OK(warn_tick(tc.w, now + 302000));
    assert_int_equal(sql_int("SELECT count(*) FROM alarm_events e JOIN alarms a ON a.id = e.alarm_id "
                             "WHERE a.rule_id = 1001 AND e.kind = 'clear'", 0), 0);
    clock_test_advance(303000); /* the server's clock moves on: the reading is not ahead of it */
    in1("GT-105", 3, now + 303000, &res);
    assert_int_equal(res.skewed, 0);
    assert_int_equal(sql_int("SELECT count(*) FROM alarm_events e JOIN alarms a ON a.id = e.alarm_id "
                             "WHERE a.rule_id = 1001 AND e.kind = 'clear'", 0), 1);
    engine_close();
}

/* One batch, interleaved points: applied point by point, each point's
 * readings still judged in their order (a raise, a clear and a raise again
 * of one alarm; a late reading inside the batch counted late), stored in
 * time order. With a composite over two points in force the batch goes in
 * the order it came, so two excursions that overlap in time inside it
 * raise the composite (point by point they would never have met). */
static void t_point_major(void **state)
{
    (void)state;
    int64_t a = add_point("GT-201");
    add_point("GT-202");
    engine_open();
    int64_t t0 = clock_now_ms() - 600000;
    ws_reading b1[] = {rd("GT-201", 5, t0), rd("GT-202", 5, t0), rd("GT-201", 30, t0 + 1000),
                       rd("GT-202", 2, t0 - 1000), rd("GT-201", 3, t0 + 2000), rd("GT-202", 6, t0 + 2000),
                       rd("GT-201", 28, t0 + 3000)};
    warn_result res;
    OK(warn_ingest(tc.w, WARN_SRC_HTTP, b1, sizeof b1 / sizeof b1[0], &res));
    assert_int_equal(res.accepted, 6);
    assert_int_equal(res.late, 1);
    assert_int_equal(events_of("raise"), 1);
    assert_int_equal(events_of("clear"), 1);
    assert_int_equal(sql_int("SELECT count FROM alarms WHERE open = 1 AND source_id = $1", a), 2);
    series_sample out[8];
    size_t n = 0;
    OK(series_history(tc.ser, a, t0 - 60000, t0 + 60000, 8, out, &n, NULL));
    assert_int_equal(n, 4);
    for (size_t i = 1; i < n; i++) assert_true(out[i].t > out[i - 1].t);
    /* a caller whose scope holds neither point: all unknown, nothing stored */
    ws_reading b3[] = {rd("GT-201", 40, t0 + 4000), rd("GT-202", 40, t0 + 4000), rd("GT-201", 41, t0 + 5000)};
    OK(warn_ingest_scoped(tc.w, WARN_SRC_HTTP, "/999999/", b3, 3, &res));
    assert_int_equal(res.unknown_tag, 3);
    assert_int_equal(res.accepted, 0);
    OK(warn_ingest_scoped(tc.w, WARN_SRC_HTTP, tc.unit_path, b3, 3, &res));
    assert_int_equal(res.unknown_tag, 0);
    assert_int_equal(res.accepted, 3);
    engine_close();

    store_conn *c;
    OK(store_acquire(tc.s, &c));
    char doc[512];
    snprintf(doc, sizeof doc,
             "{\"rules\":[{\"id\":3101,\"kind\":\"composite\",\"name\":\"两点同时超 20 %%LEL\",\"level\":3,"
             "\"unit_id\":%lld,\"mode\":\"all\",\"conditions\":[{\"tag\":\"GT-201\",\"op\":\">=\",\"value\":20},"
             "{\"tag\":\"GT-202\",\"op\":\">=\",\"value\":20}]}]}",
             (long long)tc.unit_id);
    activate_rules(c, doc, "两点联合判断");
    store_release(c);
    engine_open();
    int64_t t1 = t0 + 10000;
    ws_reading b2[] = {rd("GT-201", 22, t1), rd("GT-202", 23, t1 + 1000), rd("GT-201", 4, t1 + 2000),
                       rd("GT-202", 4, t1 + 3000)};
    OK(warn_ingest(tc.w, WARN_SRC_HTTP, b2, 4, &res));
    assert_int_equal(sql_int("SELECT count(*) FROM alarms WHERE rule_id = 3101", 0), 1);
    engine_close();
}

/* A rate-of-change alarm shows the reading that raised it, in the point's
 * unit, and says its rate in the title (per second, the rule's own unit). */
static void t_rule_alarm_value(void **state)
{
    (void)state;
    add_point("GT-108");
    store_conn *c;
    OK(store_acquire(tc.s, &c));
    const char *doc = "{\"rules\":[{\"id\":2001,\"kind\":\"roc\",\"name\":\"升速\",\"level\":1,"
                      "\"select\":{\"tags\":[\"GT-108\"]},\"limit_per_s\":0.1,\"window_s\":60}]}";
    activate_rules(c, doc, "升速");
    store_release(c);
    engine_open();
    int64_t t0 = clock_now_ms() - 600000;
    warn_result res;
    for (int i = 0; i <= 6; i++) in1("GT-108", 2, t0 + i * 10000, &res);
    /* the slot keeps a sample every 15 s: 12 %LEL over the 50 s since the
     * oldest kept one in the window, 0.24 a second */
    in1("GT-108", 14, t0 + 70000, &res);
    assert_int_equal(sql_int("SELECT count(*) FROM alarms WHERE rule_id = 2001 AND open = 1", 0), 1);
    assert_int_equal(sql_int("SELECT count(*) FROM alarms WHERE rule_id = 2001 AND value = 14", 0), 1);
    assert_int_equal(sql_int("SELECT count(*) FROM alarms WHERE rule_id = 2001 AND title = 'GT-108 升速（0.24/秒）'", 0), 1);
    engine_close();
}

/* An anomaly rule that watches for stuck sensors: a detector that stops
 * moving after varying gets one corrective work order on its device, titled
 * with the tag and the fault, and no second one the same day; the score
 * part of the rule is tested in test_rule. */
static void t_sensor_fault_work_order(void **state)
{
    (void)state;
    int64_t dev = add_device("GD-7", 0);
    (void)add_point_on("GT-107", dev);
    store_conn *c;
    OK(store_acquire(tc.s, &c));
    const char *doc = "{\"rules\":[{\"id\":2201,\"kind\":\"anomaly\",\"name\":\"探测器故障识别\",\"level\":1,"
                      "\"select\":{\"tags\":[\"GT-107\"]},\"score_above\":0.9,\"for_s\":600,\"faults\":[\"stuck\"]}]}";
    activate_rules(c, doc, "识别卡滞的探测器");
    store_release(c);
    engine_open();
    int64_t t0 = clock_now_ms() - 200 * 60000LL;
    warn_result res;
    for (int i = 0; i < 60; i++) in1("GT-107", 2 + (i % 4), t0 + i * 60000LL, &res);   /* alive */
    for (int i = 60; i < 120; i++) in1("GT-107", 3, t0 + i * 60000LL, &res);           /* stuck */
    OK(warn_tick(tc.w, clock_now_ms()));
    assert_int_equal(sql_int("SELECT count(*) FROM work_orders WHERE device_id = $1 AND kind = 'corrective'", dev), 1);
    assert_int_equal(sql_int("SELECT count(*) FROM work_orders WHERE device_id = $1 AND title LIKE '%GT-107%卡滞%'", dev), 1);
    for (int i = 120; i < 190; i++) in1("GT-107", i % 2 ? 2 : 6, t0 + i * 60000LL, &res);  /* alive again */
    for (int i = 190; i < 200; i++) in1("GT-107", 3, t0 + i * 60000LL, &res);
    OK(warn_tick(tc.w, clock_now_ms()));
    assert_int_equal(sql_int("SELECT count(*) FROM work_orders WHERE device_id = $1", dev), 1);
    engine_close();
}

/* The series store fails (here: its chunk table is gone, as a full or broken
 * disk would refuse writes): the "时序库写入失败" system alarm says so as soon
 * as its writer fails; once the writer's queue of sealed chunks is full,
 * readings are refused by it and counted; limits, alarms and
 * acknowledgements go on working. */
static void t_series_failure(void **state)
{
    (void)state;
    add_point("GT-106");
    series_config sc = {.chunk_bytes = 64}; /* small chunks: a seal every few readings */
    engine_open_with(&sc, 0);
    store_conn *sc2;
    OK(store_acquire(series_store(tc.ser), &sc2));
    OK(store_exec(sc2, "DROP TABLE series_chunks"));
    store_release(sc2);
    int64_t t0 = clock_now_ms() - 12 * 3600000LL;
    warn_result res;
    size_t failed = 0;
    in1("GT-106", 2, t0 - 1000, &res);
    OK(series_flush_all(tc.ser, NULL) == WS_ESTORE ? WS_OK : WS_EINTERNAL); /* the writer has failed */
    in1("GT-106", 2, t0 - 500, &res);
    assert_int_equal(res.failed, 0); /* held: the chunk waits in the queue */
    assert_int_equal(sql_int("SELECT count(*) FROM alarms WHERE rule_id = 100 AND open = 1", 0), 1);
    for (int i = 0; i < 40000 && !failed; i++) { /* until the writer's queue is full */
        in1("GT-106", i == 250 ? 40 : 2 + (i % 7) * 1.3, t0 + i * 1000, &res);
        failed += res.failed;
    }
    assert_true(failed > 0);
    assert_int_equal(sql_int("SELECT count(*) FROM alarms WHERE rule_id = 100 AND open = 1", 0), 1);
    /* the limit still raised its alarm, and it can be acknowledged */
    int64_t id = sql_int("SELECT id FROM alarms WHERE rule_id = 5 AND open = 1", 0);
    auth_subject su = {.account_id = 1, .roles = ROLE_SAFETY_OFFICER};
    snprintf(su.username, sizeof su.username, "zhang.wei");
    snprintf(su.scope_path, sizeof su.scope_path, "%s", tc.unit_path);
    audit_actor act = {"account:1"};
    org_caller by = {&act, &su};
    OK(warn_ack(tc.w, &by, id));
    warn_close(tc.w);
    tc.w = NULL;
    (void)series_close(tc.ser); /* its seals fail: the table is gone */
    tc.ser = NULL;
}

/* Sealed chunks leave a digest in the evidence log (entity series, action
 * seal); recomputing it over the same range gives the same SHA-256 until a
 * stored chunk is changed behind the server's back. */
static void t_seal_evidence(void **state)
{
    (void)state;
    add_point("GT-107");
    engine_open();
    int64_t t0 = clock_now_ms() - 3600000;
    ws_reading r[300];
    for (int i = 0; i < 300; i++) r[i] = rd("GT-107", 1 + (i % 9) * 0.7, t0 + i * 1000);
    OK(warn_ingest(tc.w, WARN_SRC_HTTP, r, 300, NULL));
    warn_close(tc.w); /* a clean stop seals everything and writes the leaf */
    tc.w = NULL;
    assert_true(sql_int("SELECT count(*) FROM audit_leaf WHERE entity = 'series' AND action = 'seal'", 0) >= 1);
    int64_t last = 0;
    OK(series_digest_last(tc.ser, &last));
    assert_true(last > 0);
    series_digest_out a, b, c2;
    OK(series_digest(tc.ser, 0, 100000, &a));
    OK(series_digest(tc.ser, 0, 100000, &b));
    assert_int_equal(a.to_id, last);
    assert_int_equal(a.readings, 300);
    assert_memory_equal(a.sha256, b.sha256, 32);
    store_conn *sc;
    OK(store_acquire(series_store(tc.ser), &sc));
    OK(store_exec(sc, "UPDATE series_chunks SET t_last = t_last + 1 WHERE id = (SELECT min(id) FROM series_chunks)"));
    store_release(sc);
    OK(series_digest(tc.ser, 0, 100000, &c2));
    assert_memory_not_equal(a.sha256, c2.sha256, 32);
    OK(series_close(tc.ser));
    tc.ser = NULL;
}

/* The alarm store refuses a write (its events table renamed away): the
 * batch that raised is answered with the error and the alarm stands in the
 * engine; the events are kept, and the next change writes them first, in
 * one transaction with its own. */
static void t_persist_retry(void **state)
{
    (void)state;
    add_point("GT-108");
    engine_open();
    int64_t t0 = clock_now_ms() - 7200000;
    warn_result res;
    in1("GT-108", 5, t0, &res);
    store_conn *c;
    OK(store_acquire(tc.s, &c));
    OK(store_exec(c, "ALTER TABLE alarm_events RENAME TO alarm_events_away"));
    store_release(c);
    ws_reading r = rd("GT-108", 30, t0 + 1000);
    assert_int_not_equal(warn_ingest(tc.w, WARN_SRC_HTTP, &r, 1, &res), WS_OK);
    assert_int_equal(res.accepted, 1); /* applied: the engine holds the alarm */
    OK(store_acquire(tc.s, &c));
    OK(store_exec(c, "ALTER TABLE alarm_events_away RENAME TO alarm_events"));
    store_release(c);
    assert_int_equal(events_of("raise"), 0);
    in1("GT-108", 3, t0 + 2000, &res); /* a clear: both events go now, in order */
    assert_int_equal(events_of("raise"), 1);
    assert_int_equal(events_of("clear"), 1);
    assert_int_equal(sql_int("SELECT count(*) FROM alarms WHERE open = 1 AND cleared_at IS NOT NULL", 0), 1);
    /* A long outage: the events kept are bounded (1,024, the newest), and
     * they all go with the next change once the store is back. */
    OK(store_acquire(tc.s, &c));
    OK(store_exec(c, "ALTER TABLE alarm_events RENAME TO alarm_events_away"));
    store_release(c);
    for (int i = 0; i < 6000; i++) { /* a chattering alarm: about one event in five readings */
        r = rd("GT-108", i % 2 ? 3 : 30, t0 + 3000 + i * 1000);
        (void)warn_ingest(tc.w, WARN_SRC_HTTP, &r, 1, NULL);
    }
    OK(store_acquire(tc.s, &c));
    OK(store_exec(c, "ALTER TABLE alarm_events_away RENAME TO alarm_events"));
    store_release(c);
    int64_t before = sql_int("SELECT count(*) FROM alarm_events", 0);
    in1("GT-108", 3, t0 + 3000 + 6000 * 1000, &res);
    int64_t kept = sql_int("SELECT count(*) FROM alarm_events", 0) - before;
    assert_true(kept >= 1024 && kept <= 1024 + 2);
    engine_close();
}

/* Join n threads, each to have returned NULL (no failure). */
static void join_all(pthread_t *th, int n)
{
    for (int i = 0; i < n; i++) {
        void *ret = NULL;
        pthread_join(th[i], &ret);
        assert_null(ret);
    }
}

typedef struct flapper {
    const char *tag;
    _Atomic int64_t *t; /* the point's clock, shared by the threads that feed it */
    int rounds;
} flapper;

static void *flap(void *arg)
{
    const flapper *f = arg;
    for (int i = 0; i < 2 * f->rounds; i++) {
        ws_reading r = rd(f->tag, i % 2 ? 3 : 30, atomic_fetch_add(f->t, 1000));
        if (warn_ingest(tc.w, WARN_SRC_HTTP, &r, 1, NULL)) return (void *)1;
    }
    return NULL;
}

/* Eight threads raise and clear the alarms of four points, two threads a
 * point, a batch a reading (the engine orders them; a reading that loses
 * the race is late and changes nothing). The alarm events are written
 * after the engine's lock is let go, in turn, so every event is stored
 * once, each alarm's row ends in the state of its last event with every
 * occurrence counted (raises, reactivations and the repeats of a
 * chattering alarm), and the evidence log verifies. */
static void t_concurrent_persist(void **state)
{
    (void)state;
    static const char *tags[4] = {"GT-111", "GT-112", "GT-113", "GT-114"};
    for (int i = 0; i < 4; i++) add_point(tags[i]);
    engine_open();
    enum { ROUNDS = 60 };
    _Atomic int64_t clk[4];
    flapper f[8];
    pthread_t th[8];
    for (int i = 0; i < 4; i++) atomic_init(&clk[i], clock_now_ms() - 3600000);
    for (int i = 0; i < 8; i++) {
        f[i] = (flapper){tags[i % 4], &clk[i % 4], ROUNDS};
        assert_int_equal(pthread_create(&th[i], NULL, flap, &f[i]), 0);
    }
    join_all(th, 8);
    assert_int_equal(sql_int("SELECT count(*) FROM alarms WHERE open = 1", 0), 4);
    /* every event once, none missing (the engine numbers them in order) */
    assert_true(events_of("raise") == 4 && events_of("clear") > 0);
    assert_int_equal(sql_int("SELECT count(*) - (max(seq) - min(seq) + 1) FROM alarm_events", 0), 0);
    /* each row is its alarm's state after its last event, with every occurrence counted */
    assert_int_equal(sql_int("SELECT count(*) FROM alarms a WHERE a.state = (SELECT e.state_to FROM alarm_events e "
                             "WHERE e.alarm_id = a.id AND e.state_to IS NOT NULL ORDER BY e.seq DESC LIMIT 1) "
                             "AND a.count = (SELECT count(*) FROM alarm_events e WHERE e.alarm_id = a.id "
                             "AND e.kind IN ('raise', 'reactivate', 'repeat')) AND a.count > $1", 1), 4);
    store_conn *c;
    OK(store_acquire(tc.s, &c));
    uint64_t n = 0;
    OK(audit_verify(c, NULL, no_findings, NULL, &n));
    store_release(c);
    engine_close();
}

typedef struct feeder {
    const char *tag;
    int64_t t0;
    _Atomic int *running;
} feeder;

enum { FEED_BATCHES = 100, FEED_N = 100 };

static void *feed(void *arg)
{
    feeder *f = arg;
    ws_reading r[FEED_N];
    void *ret = NULL;
    for (int b = 0; b < FEED_BATCHES && !ret; b++) {
        for (int i = 0; i < FEED_N; i++) r[i] = rd(f->tag, 1 + i % 5, f->t0 + (int64_t)(b * FEED_N + i) * 1000);
        if (warn_ingest(tc.w, WARN_SRC_HTTP, r, FEED_N, NULL)) ret = (void *)1;
    }
    atomic_fetch_sub(f->running, 1);
    return ret;
}

/* Four threads ingest while the timer checkpoints the journal (a tick 10 s
 * on each time). A batch's series appends are made after the engine's lock
 * is let go (the next batch is evaluated meanwhile); a checkpoint waits for
 * those of every batch journaled before it, or dropping the journal would
 * lose them at a crash. Then a "crash" (the files as they are): every
 * reading is in the series store exactly once, sealed or replayed. */
static void t_pipeline_checkpoint(void **state)
{
    (void)state;
    static const char *tags[4] = {"GT-121", "GT-122", "GT-123", "GT-124"};
    for (int i = 0; i < 4; i++) add_point(tags[i]);
    engine_open();
    _Atomic int running = 4;
    feeder f[4];
    pthread_t th[4];
    int64_t now = clock_now_ms();
    for (int i = 0; i < 4; i++) {
        f[i] = (feeder){tags[i], now - 3600000 * 2, &running};
        assert_int_equal(pthread_create(&th[i], NULL, feed, &f[i]), 0);
    }
    int ticks = 0; /* checkpoints while the threads feed (and a few after) */
    while ((atomic_load(&running) || ticks < 20) && ticks < 1000) OK(warn_tick(tc.w, now + 10001 * ++ticks));
    join_all(th, 4);
    crash_and_reopen();
    OK(series_flush_all(tc.ser, NULL));
    series_digest_out d;
    OK(series_digest(tc.ser, 0, 1000000, &d));
    assert_int_equal(d.readings, 4 * FEED_BATCHES * FEED_N);
    engine_close();
}

/* An acknowledgement's commit waits without the engine's mutex: while the
 * main store's write lock is held elsewhere (another writer, a checkpoint,
 * a slow disk), the operator's request waits for it, and readings keep
 * going through the engine meanwhile. SQLite: the lock is a transaction of
 * the test's own. */
typedef struct ack_arg {
    org_caller *by;
    int64_t id;
    ws_err rc;
    atomic_bool done;
} ack_arg;

static void *ack_later(void *p)
{
    ack_arg *a = p;
    a->rc = warn_ack(tc.w, a->by, a->id);
    atomic_store(&a->done, true);
    return NULL;
}

static void t_ack_waits_alone(void **state)
{
    (void)state;
    add_point("GT-103");
    add_point("GT-104");
    engine_open();
    int64_t t0 = clock_now_ms() - 600000;
    warn_result res;
    in1("GT-103", 30, t0, &res);
    int64_t id = sql_int("SELECT id FROM alarms WHERE open = 1", 0);
    officer o;
    officer_init(&o, 0);
    store_conn *c;
    OK(store_acquire(tc.s, &c));
    OK(store_begin(c)); /* BEGIN IMMEDIATE: the write lock, until the rollback below */
    ack_arg a = {.by = &o.by, .id = id};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, ack_later, &a), 0);
    usleep(200 * 1000); /* the acknowledgement is now waiting for the lock */
    int64_t t = clock_now_ms();
    for (int i = 1; i <= 20; i++) in1("GT-104", 1, t0 + 1000 * i, &res);
    assert_true(clock_now_ms() - t < 1000); /* not behind the acknowledgement (its wait is up to 5 s) */
    assert_false(atomic_load(&a.done));
    store_rollback(c);
    store_release(c);
    pthread_join(th, NULL);
    OK(a.rc);
    assert_int_equal(sql_int("SELECT count(*) FROM alarms WHERE acked_at IS NOT NULL", 0), 1);
    engine_close();
}

/* A batch is answered once its alarm events are committed, and the syncer
 * fsyncs them right after; an operator's action is answered once synced.
 * On PostgreSQL the server flushes every commit itself: no syncs at all. */
static void t_synced_after_commit(void **state)
{
    (void)state;
    add_point("GT-108");
    engine_open();
    warn_stats_out s0, s1;
    warn_stats(tc.w, &s0);
    warn_result res;
    in1("GT-108", 30, clock_now_ms() - 60000, &res);
    assert_true(sql_int("SELECT count(*) FROM alarm_events", 0) >= 1); /* committed when answered */
    bool pg = tc.f->kind == STORE_POSTGRES;
    for (int i = 0; i < 500 && !pg; i++) {
        warn_stats(tc.w, &s1);
        if (s1.syncs > s0.syncs) break;
        usleep(10 * 1000);
    }
    if (!pg) assert_true(s1.syncs > s0.syncs); /* the syncer's, asked for by the batch's commit */
    int64_t id = sql_int("SELECT id FROM alarms WHERE open = 1", 0);
    officer o;
    officer_init(&o, 0);
    warn_stats(tc.w, &s0); /* nothing lazy is waiting now: only the acknowledgement can sync */
    OK(warn_ack(tc.w, &o.by, id));
    warn_stats(tc.w, &s1);
    if (pg) assert_int_equal(s1.syncs, 0);
    else assert_true(s1.syncs > s0.syncs);
    assert_int_equal(s1.sync_failed, 0);
    engine_close();
}

static double climb_now(const char *tag)
{
    warn_point_state ps[8];
    int n = 0;
    OK(warn_points_under(tc.w, tc.unit_path, clock_now_ms(), ps, 8, &n));
    for (int i = 0; i < n; i++)
        if (!strcmp(ps[i].tag, tag)) return ps[i].climb;
    fail_msg("%s not among the unit's points", tag);
    return NAN;
}

/* The risk index's climb: the smallest of a point's last three hourly rises
 * of its ratio, by source time (the last value of each hour), 0 unless all
 * three rose in hours one after another. */
static void t_points_climb(void **state)
{
    (void)state;
    add_point("GT-106"); /* combustible: H 25 %LEL, ratio = value / 25 */
    add_point("GT-107");
    engine_open();
    const int64_t H = 3600000;
    int64_t t0 = (clock_now_ms() / H - 6) * H; /* the five hours, then one for the fall below */
    warn_result res;
    /* every 10 minutes for five hours: +2.5 %LEL an hour (ratio +0.1) */
    for (int i = 0; i <= 30; i++) in1("GT-106", 5 + 2.5 * i / 6.0, t0 + i * 600000, &res);
    assert_true(fabs(climb_now("GT-106") - 0.1) < 1e-9);
    OK(warn_reload_points(tc.w)); /* an edit of the register keeps the hours */
    assert_true(fabs(climb_now("GT-106") - 0.1) < 1e-9);
    /* the same, with the third hour missing: no row of three rises */
    for (int i = 0; i <= 30; i++)
        if (i / 6 != 2) in1("GT-107", 5 + 2.5 * i / 6.0, t0 + i * 600000, &res);
    assert_true(climb_now("GT-107") == 0);
    /* a fall in the last hour: not a climb */
    in1("GT-106", 1, t0 + 5 * H + 1, &res);
    in1("GT-106", 1, t0 + 6 * H + 1, &res);
    assert_true(climb_now("GT-106") == 0);
    engine_close();
}

/* Points made while readings flow, each followed by a reload, from two
 * threads at once: the store is read outside the engine's lock, and
 * reloads run one at a time, so the last reload installed knows every
 * point made before it; points that stay keep their evaluation. */
#define RC_PER_THREAD 25
static int64_t rc_ids[2][RC_PER_THREAD];
static _Atomic bool rc_stop;

static void *rc_maker(void *arg)
{
    int k = (int)(intptr_t)arg;
    for (int i = 0; i < RC_PER_THREAD; i++) {
        char tag[16];
        snprintf(tag, sizeof tag, "RC-%d%02d", k, i);
        rc_ids[k][i] = add_point(tag);
        if (warn_reload_points(tc.w)) return (void *)1;
        /* no later install may be older than this one */
        warn_latest l;
        for (int j = 0; j <= i; j++)
            if (warn_point_latest(tc.w, rc_ids[k][j], &l)) return (void *)2;
    }
    return NULL;
}

static void *rc_feeder(void *arg)
{
    (void)arg;
    int64_t t = clock_now_ms() - 3600000;
    while (!atomic_load(&rc_stop)) {
        warn_result res;
        ws_reading r = rd("GT-110", 10, t += 1000);
        if (warn_ingest(tc.w, WARN_SRC_HTTP, &r, 1, &res)) return (void *)1;
    }
    return NULL;
}

static void t_reload_concurrent(void **state)
{
    (void)state;
    int64_t fed = add_point("GT-110");
    engine_open();
    atomic_store(&rc_stop, false);
    pthread_t a, b, f;
    assert_int_equal(pthread_create(&f, NULL, rc_feeder, NULL), 0);
    assert_int_equal(pthread_create(&a, NULL, rc_maker, (void *)0), 0);
    assert_int_equal(pthread_create(&b, NULL, rc_maker, (void *)1), 0);
    void *ra, *rb, *rf;
    pthread_join(a, &ra);
    pthread_join(b, &rb);
    atomic_store(&rc_stop, true);
    pthread_join(f, &rf);
    assert_null(ra);
    assert_null(rb);
    assert_null(rf);
    warn_latest l;
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < RC_PER_THREAD; i++) OK(warn_point_latest(tc.w, rc_ids[k][i], &l));
    OK(warn_point_latest(tc.w, fed, &l)); /* kept its last reading through 50 reloads */
    assert_true(l.value == 10 && l.src_ms > 0);
    engine_close();
}

/* The readings stream (warn_value_hub, SSE /points/stream) carries a point's
 * latest value at most once a second, however fast it is read, and nothing
 * for a point with no new reading; two points changed in a second are two
 * records. */
static void t_values_at_most_1hz(void **state)
{
    (void)state;
    add_point("HZ-1");
    add_point("HZ-2");
    engine_open();
    struct hub *vh = warn_value_hub(tc.w);
    uint64_t base = hub_last(vh);
    int64_t t0 = clock_now_ms(), src = t0 - 60000;
    warn_result res;
    in1("HZ-1", 1, src += 100, &res);
    OK(warn_tick(tc.w, t0));
    assert_int_equal(hub_last(vh) - base, 1); /* the first value at once */
    for (int i = 1; i <= 9; i++) { /* ten readings a second */
        in1("HZ-1", 1 + i, src += 100, &res);
        OK(warn_tick(tc.w, t0 + 100 * i));
    }
    assert_int_equal(hub_last(vh) - base, 1);
    OK(warn_tick(tc.w, t0 + 1000));
    assert_int_equal(hub_last(vh) - base, 2); /* the newest of them, a second on */
    warn_value_msg m;
    hub_sub sub;
    bool gap = false;
    hub_subscribe(vh, &sub, hub_last(vh) - 1, &gap);
    uint64_t seq = 0, lost = 0;
    assert_int_equal(hub_read(vh, &sub, &m, &seq, &lost), 1);
    assert_true(m.value == 10);
    hub_unsubscribe(vh, &sub);
    OK(warn_tick(tc.w, t0 + 2500)); /* nothing new: nothing sent */
    assert_int_equal(hub_last(vh) - base, 2);
    in1("HZ-1", 20, src += 100, &res);
    in1("HZ-2", 30, src += 100, &res);
    OK(warn_tick(tc.w, t0 + 2600));
    assert_int_equal(hub_last(vh) - base, 4);
    engine_close();
}

/* Device clock skew: a reading dated more than skew_ms (5 s) ahead of its
 * arrival is counted, stored at its arrival time, and raises at that time,
 * never in the future; one a second ahead is the device's own time. */
static void t_clock_skew(void **state)
{
    (void)state;
    int64_t pid = add_point("SK-1");
    engine_open();
    warn_result res;
    int64_t now = clock_now_ms();
    in1("SK-1", 30, now + 3600000, &res); /* an hour ahead, over H */
    assert_int_equal(res.skewed, 1);
    assert_int_equal(res.accepted, 1);
    int64_t after = clock_now_ms();
    warn_latest l;
    OK(warn_point_latest(tc.w, pid, &l));
    assert_true(l.src_ms >= now && l.src_ms <= after); /* the arrival time */
    assert_int_equal(sql_int("SELECT count(*) FROM alarms WHERE open = 1 AND point_id = $1", pid), 1);
    assert_true(sql_int("SELECT max(raised_at) FROM alarms WHERE point_id = $1", pid) <= after);
    in1("SK-1", 31, after + 1000, &res); /* a second ahead: within the allowance */
    assert_int_equal(res.skewed, 0);
    OK(warn_point_latest(tc.w, pid, &l));
    assert_int_equal(l.src_ms, after + 1000);
    warn_stats_out st;
    warn_stats(tc.w, &st);
    assert_int_equal(st.skewed, 1);
    engine_close();
}

/* A notification channel that keeps failing raises its own alarm (通知通道
 * 故障, rule 102, one per channel however often it is reported) and clears
 * it when the channel works again. */
static void t_outbox_alarm(void **state)
{
    (void)state;
    engine_open();
    const char *q = "SELECT count(*) FROM alarms WHERE rule_id = 102 AND source_id = $1 AND state = 'unack'";
    warn_notify_health(tc.w, 7, "钉钉机器人 安全群", true);
    warn_notify_health(tc.w, 7, "钉钉机器人 安全群", true);
    assert_int_equal(sql_int(q, 7), 1);
    assert_int_equal(sql_int("SELECT count(*) FROM alarms WHERE rule_id = 102", 0), 1);
    warn_notify_health(tc.w, 7, "钉钉机器人 安全群", false);
    assert_int_equal(sql_int(q, 7), 0); /* returned to normal, still to be acknowledged */
    assert_int_equal(sql_int("SELECT count(*) FROM alarms WHERE rule_id = 102 AND state = 'rtn_unack'", 0), 1);
    engine_close();
}

/* A title longer than an alarm's 160 bytes is cut at a character, never
 * inside one: "A" and 60 three-byte characters (181 bytes) keep "A" and 52
 * (157 bytes), not two bytes of the 53rd. */
static void t_long_title_cut_whole(void **state)
{
    (void)state;
    engine_open();
    char title[200] = "A";
    for (int i = 0; i < 60; i++) strcat(title, "危");
    assert_int_equal(warn_external_alarm(tc.w, WARN_RULE_RISK_FORECAST, 9, 1, 1, true, title, clock_now_ms()), WS_OK);
    char want[200] = "A";
    for (int i = 0; i < 52; i++) strcat(want, "危");
    char q[400];
    snprintf(q, sizeof q, "SELECT count(*) FROM alarms WHERE rule_id = %d AND source_id = $1 AND title = '%s'",
             WARN_RULE_RISK_FORECAST, want);
    assert_int_equal(sql_int(q, 9), 1);
    engine_close();
}

/* The default count rule (1004): the same device's sensor fault three times
 * in 30 days opens one preventive work order on that device, and the count
 * survives a clean restart of the engine (DATA/journal/rules.state): two
 * faults before it, the third after. The device's id is also the id of
 * another point (ids are per table), which must not be taken for it. */
static void t_count_rule_work_order(void **state)
{
    (void)state;
    int64_t other = add_point("CF-0"); /* no device; its id may equal the device's */
    int64_t dev = add_device("GD-CF", 0);
    (void)add_point_on("CF-1", dev);
    assert_int_equal(dev, other); /* the case the engine must not confuse */
    engine_open();
    int64_t t = clock_now_ms() - 600000;
    warn_result res;
    for (int k = 0; k < 2; k++) { /* fault, then good again: two faults */
        ws_reading r = rd("CF-1", NAN, t + 2000 * k);
        r.quality = WS_Q_BAD;
        OK(warn_ingest(tc.w, WARN_SRC_HTTP, &r, 1, &res));
        in1("CF-1", 1, t + 2000 * k + 1000, &res);
    }
    assert_int_equal(sql_int("SELECT count(*) FROM work_orders", 0), 0);
    engine_close(); /* clean: the rules' counts are saved */
    engine_open();
    ws_reading r = rd("CF-1", NAN, t + 10000);
    r.quality = WS_Q_BAD;
    OK(warn_ingest(tc.w, WARN_SRC_HTTP, &r, 1, &res));
    OK(warn_tick(tc.w, clock_now_ms())); /* orders are opened outside the engine's lock */
    assert_int_equal(sql_int("SELECT count(*) FROM work_orders WHERE device_id = $1 AND kind = 'preventive' "
                             "AND source_kind = 'rule' AND source_id = 1004", dev), 1);
    assert_int_equal(sql_int("SELECT count(*) FROM work_orders", 0), 1);
    assert_int_equal(sql_int("SELECT count(*) FROM work_orders WHERE title LIKE '预防性维护%'", 0), 1);
    engine_close();
}

/* A device in maintenance or calibration mode (维护/标定): its points' test
 * gas over H is recorded and pages nobody; once the mode ends (a register
 * reload) the same reading raises. Five devices, so that each point finds
 * its own device's window among several, and a point added to the running
 * engine (warn_add_point) takes its device's window too. */
static void t_maintenance_mode(void **state)
{
    (void)state;
    int64_t now = clock_now_ms(), dev[5];
    for (int i = 0; i < 5; i++) {
        char code[16];
        snprintf(code, sizeof code, "GD-%d", i);
        dev[i] = add_device(code, i == 2 || i == 4 ? now + 3600000 : 0);
    }
    const char *tags[3] = {"MT-1", "MT-2", "MT-3"};
    int on[3] = {1, 2, 4}; /* MT-1 on a device at work, MT-2 and MT-3 on two in calibration */
    int64_t pid[3];
    for (int i = 0; i < 2; i++) pid[i] = add_point_on(tags[i], dev[on[i]]);
    engine_open();
    pid[2] = add_point_on(tags[2], dev[on[2]]);
    OK(warn_add_point(tc.w, pid[2]));
    store_conn *c;
    warn_result res;
    int64_t t = now - 60000;
    int64_t base = open_alarms();
    for (int i = 0; i < 3; i++) in1(tags[i], 40, t, &res); /* test gas, 40 %LEL: over H */
    assert_int_equal(open_alarms(), base + 1); /* only MT-1's */
    warn_latest l;
    for (int i = 0; i < 3; i++) {
        OK(warn_point_latest(tc.w, pid[i], &l)); /* recorded all the same */
        assert_true(l.value == 40);
    }
    /* calibration over: the next test gas pages */
    OK(store_acquire(tc.s, &c));
    point_device_in end = {.set = POINT_DSET_MAINT, .maintenance_until = 0};
    OK(point_device_update(c, &TRUSTED, dev[2], &end));
    OK(point_device_update(c, &TRUSTED, dev[4], &end));
    store_release(c);
    OK(warn_reload_points(tc.w));
    for (int i = 1; i < 3; i++) in1(tags[i], 41, t + 1000, &res);
    assert_int_equal(open_alarms(), base + 3);
    engine_close();
}

/* Points created one by one join the running engine through warn_add_point
 * (one read each, not the whole register): each is evaluated right away, a
 * reading over its GB/T 50493 H raises, the arrays and the tag index grow
 * past their first sizes (256 points, 64 slots) without losing the points
 * before them or their state, and an id already there falls back to a
 * reload with no duplicate. */
static void t_add_point(void **state)
{
    (void)state;
    int64_t first = add_point("AP-000");
    engine_open();
    int64_t t = clock_now_ms() - 3600000;
    warn_result res;
    in1("AP-000", 5, t, &res);
    assert_int_equal(res.accepted, 1);
    enum { N = 300 };
    static int64_t ids[N];
    for (int i = 1; i < N; i++) {
        char tag[16];
        snprintf(tag, sizeof tag, "AP-%03d", i);
        ids[i] = add_point(tag);
        OK(warn_add_point(tc.w, ids[i]));
        in1(tag, 3, t + i, &res);
        if (res.accepted != 1 || res.unknown_tag) fail_msg("%s not taken after warn_add_point", tag);
    }
    warn_latest l;
    for (int i = 1; i < N; i++) {
        OK(warn_point_latest(tc.w, ids[i], &l));
        assert_true(l.value == 3);
    }
    OK(warn_point_latest(tc.w, first, &l)); /* kept through 299 additions */
    assert_true(l.value == 5 && l.src_ms == t);
    int64_t before = open_alarms();
    in1("AP-299", 30, t + 1000, &res); /* over H 25 %LEL */
    assert_int_equal(open_alarms(), before + 1);
    OK(warn_add_point(tc.w, first)); /* not the newest: a reload */
    in1("AP-000", 6, t + 2000, &res);
    assert_int_equal(res.accepted, 1);
    OK(warn_point_latest(tc.w, first, &l));
    assert_true(l.value == 6);
    engine_close();
}

/* ------------------------------------------------ the journal's records */

#define JF_MAX 400
static ws_reading jf_got[JF_MAX];
static int64_t jf_seq[JF_MAX];
static size_t jf_n;

static ws_err jf_collect(void *ctx, const ws_reading *r, size_t n, int64_t first_seq)
{
    (void)ctx;
    for (size_t i = 0; i < n; i++) {
        assert_true(jf_n < JF_MAX);
        jf_seq[jf_n] = first_seq + (int64_t)i;
        jf_got[jf_n++] = r[i];
    }
    return WS_OK;
}

static void jf_replay(const char *dir, warn_journal *j)
{
    jf_n = 0;
    OK(journal_open(j, dir));
    OK(journal_replay(j, jf_collect, NULL, NULL));
}

static void jf_same(const ws_reading *a, const ws_reading *b)
{
    assert_string_equal(a->tag, b->tag);
    assert_int_equal(a->source_ms, b->source_ms);
    assert_memory_equal(&a->value, &b->value, 8); /* bit for bit: NaN, -0 */
    assert_int_equal(a->quality, b->quality);
}

/* Records come back as written: every tag length, quality and value bit
 * pattern, and times that jump anywhere (0 = none, the extremes, backwards)
 * through the WSJ2 delta encoding; a segment of the older WSJ1 records
 * before them still replays; a torn tail is cut, the rest kept. */
static void t_journal_format(void **state)
{
    (void)state;
    char dir[] = "/tmp/ws-journal-XXXXXX";
    assert_non_null(mkdtemp(dir));
    /* a WSJ1 segment, as the previous release wrote it: two readings, sequences 1, 2 */
    ws_reading old[2] = {{.tag = "GT-101", .source_ms = 1764460800000, .value = 12.5, .quality = 0},
                         {.tag = "", .source_ms = 0, .value = -3.25, .quality = 2}};
    uint8_t rec[24 + 2 * 81], *p = rec + 24;
    for (int i = 0; i < 2; i++) {
        size_t tl = strlen(old[i].tag);
        *p++ = (uint8_t)tl;
        memcpy(p, old[i].tag, tl), p += tl;
        memcpy(p, &old[i].source_ms, 8), p += 8;
        memcpy(p, &old[i].value, 8), p += 8;
        *p++ = old[i].quality;
    }
    uint32_t hdr[4] = {0x314a5357u, (uint32_t)(p - rec - 24), 0, 2};
    hdr[2] = gorilla_crc32c(rec + 24, hdr[1]);
    int64_t first = 1;
    memcpy(rec, hdr, 16);
    memcpy(rec + 16, &first, 8);
    char path[256];
    snprintf(path, sizeof path, "%s/ingest-%020d.wal", dir, 1);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(rec, 1, (size_t)(p - rec), f), (size_t)(p - rec));
    fclose(f);

    warn_journal j;
    jf_replay(dir, &j);
    assert_int_equal(jf_n, 2);
    jf_same(&jf_got[0], &old[0]);
    jf_same(&jf_got[1], &old[1]);

    /* WSJ2: 300 readings in two records */
    static ws_reading r[300];
    const int64_t times[] = {0, INT64_MAX, INT64_MIN, -1, 1764460800000, 1764460800000, 1764460801000,
                             1764460799999, 1};
    const double vals[] = {0.0, -0.0, NAN, INFINITY, -INFINITY, 1e-300, 23.375, -1e300};
    for (int i = 0; i < 300; i++) {
        int tl = i % 64;
        for (int k = 0; k < tl; k++) r[i].tag[k] = (char)('A' + (i + k) % 26);
        r[i].tag[tl] = 0;
        r[i].source_ms = i < 100 ? times[i % 9] : 1764460800000 + 1000 * (i / 7);
        r[i].value = vals[i % 8];
        r[i].quality = (uint8_t)(i % 4);
    }
    journal_rec a, b;
    int64_t s1, s2;
    OK(journal_record(r, 170, &a));
    OK(journal_record(r + 170, 130, &b));
    assert_true(b.len < 24 + 130 * (1 + 63 + 17)); /* smaller than WSJ1 */
    OK(journal_write(&j, &a, &s1));
    OK(journal_write(&j, &b, &s2));
    journal_rec_free(&a);
    journal_rec_free(&b);
    assert_int_equal(s1, 3);
    assert_int_equal(s2, 173);
    journal_close(&j);

    jf_replay(dir, &j);
    assert_int_equal(jf_n, 302);
    for (size_t i = 0; i < 302; i++) assert_int_equal(jf_seq[i], (int64_t)i + 1);
    for (int i = 0; i < 300; i++) jf_same(&jf_got[2 + i], &r[i]);
    /* a torn tail: half a record more; cut at replay, the whole ones kept */
    OK(journal_record(r, 50, &a));
    OK(journal_write(&j, &a, &s1));
    journal_close(&j);
    DIR *d = opendir(dir);
    assert_non_null(d);
    char last[64] = "";
    for (struct dirent *e; (e = readdir(d));)
        if (!strncmp(e->d_name, "ingest-", 7) && strcmp(e->d_name, last) > 0)
            snprintf(last, sizeof last, "%.40s", e->d_name);
    closedir(d);
    snprintf(path, sizeof path, "%s/%s", dir, last);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(truncate(path, sb.st_size - (off_t)a.len / 2), 0);
    journal_rec_free(&a);
    jf_replay(dir, &j);
    assert_int_equal(jf_n, 302);
    journal_close(&j);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest sq[] = {
        cmocka_unit_test(t_journal_format),
        T(t_dedup_and_late, &fx_sqlite), T(t_operator_actions, &fx_sqlite),
        T(t_escalation_resumes, &fx_sqlite),
        T(t_journal_replay, &fx_sqlite),
        T(t_rules_stale, &fx_sqlite), T(t_rule_alarm_value, &fx_sqlite), T(t_point_major, &fx_sqlite), T(t_sensor_fault_work_order, &fx_sqlite),
        T(t_series_failure, &fx_sqlite), T(t_seal_evidence, &fx_sqlite), T(t_open_chunks_kept, &fx_sqlite), T(t_journal_bounded, &fx_sqlite),
        T(t_restart_then_crash, &fx_sqlite),
        T(t_persist_retry, &fx_sqlite), T(t_concurrent_persist, &fx_sqlite),
        T(t_pipeline_checkpoint, &fx_sqlite), T(t_ack_waits_alone, &fx_sqlite), T(t_points_climb, &fx_sqlite), T(t_reload_concurrent, &fx_sqlite),
        T(t_add_point, &fx_sqlite), T(t_maintenance_mode, &fx_sqlite),
        T(t_clock_skew, &fx_sqlite), T(t_outbox_alarm, &fx_sqlite), T(t_count_rule_work_order, &fx_sqlite), T(t_values_at_most_1hz, &fx_sqlite),
        T(t_synced_after_commit, &fx_sqlite), T(t_long_title_cut_whole, &fx_sqlite),
    };
    int rc = cmocka_run_group_tests_name("warn (sqlite)", sq, group_setup, group_teardown);
    const char *pg = getenv("WS_TEST_PG_URL");
    if (pg && *pg) {
        snprintf(fx_pg.pg_admin, sizeof fx_pg.pg_admin, "%s", pg);
        const struct CMUnitTest pq[] = {
            T(t_dedup_and_late, &fx_pg), T(t_operator_actions, &fx_pg),
            T(t_escalation_resumes, &fx_pg),
            T(t_journal_replay, &fx_pg),
            T(t_rules_stale, &fx_pg), T(t_rule_alarm_value, &fx_pg), T(t_point_major, &fx_pg), T(t_sensor_fault_work_order, &fx_pg),
            T(t_seal_evidence, &fx_pg), T(t_open_chunks_kept, &fx_pg), T(t_restart_then_crash, &fx_pg),
            T(t_persist_retry, &fx_pg), T(t_concurrent_persist, &fx_pg),
            T(t_pipeline_checkpoint, &fx_pg), T(t_synced_after_commit, &fx_pg), T(t_add_point, &fx_pg), T(t_maintenance_mode, &fx_pg), T(t_clock_skew, &fx_pg), T(t_outbox_alarm, &fx_pg), T(t_count_rule_work_order, &fx_pg),
        };
        rc |= cmocka_run_group_tests_name("warn (postgres)", pq, group_setup, group_teardown);
    }
    return rc;
}
