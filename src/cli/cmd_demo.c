/* cmd_demo.c — `worksafe demo`: on first run, a data directory holding a
 * plausible chemical park (two enterprises, sites, areas, grids,
 * departments, posts, people) and one account per role with generated
 * passwords, kept in DATA/demo-accounts.txt (mode 0600); then it serves on
 * http://127.0.0.1:8080 and https://127.0.0.1:8443 and prints the accounts. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alarm/ruleset.h"
#include "audit/audit.h"
#include "auth/auth.h"
#include "cli/cli.h"
#include "core/clock.h"
#include "hazard/hazard.h"
#include "telemetry/series.h"
#include "permit/permit.h"
#include "taskforce/taskforce.h"
#include "duty/duty.h"
#include "handover/handover.h"
#include "dynrisk/dynrisk.h"
#include "patrol/patrol.h"
#include "voice/voice.h"
#include "warn/warn.h"
#include "org/org.h"

/* Version 2 of the demo's alarm rules, active: the default set plus an
 * anomaly rule on the process tags (temperature, pressure, level, flow) —
 * the detector's score held above 0.35 for 5 minutes raises a 预警, and a
 * stuck or drifting transmitter asks for a corrective work order — that
 * applies while R-201 has feed (FI-201 >= 3 m³/h; its process tags are
 * R-201's): a planned stop floods nobody's console. */
static ws_err demo_anomaly_rules(store_conn *c, const audit_actor *who)
{
    json_t *doc = json_loads(rule_set_default_json(), 0, NULL);
    json_t *anomaly = json_pack("{s:i,s:s,s:s,s:i,s:{s:[s,s,s,s]},s:f,s:i,s:[s,s],s:{s:s,s:s,s:f}}", "id", 2101,
                                "kind", "anomaly", "name", "工艺参数异常（异常检测）", "level", 1, "select", "kinds",
                                "temperature", "pressure", "level", "flow", "score_above", 0.35, "for_s", 300,
                                "faults", "stuck", "drift", "while", "tag", "FI-201", "op", ">=", "value", 3.0);
    if (!doc || !anomaly) {
        json_decref(doc);
        json_decref(anomaly);
        return ws_fail(WS_ENOMEM, NULL, "out of memory");
    }
    json_array_append_new(json_object_get(doc, "rules"), anomaly);
    char *txt = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (!txt) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    org_caller by = {who, NULL};
    int64_t v = 0;
    ws_err rc = store_begin(c);
    if (!rc) rc = alarm_ruleset_create(c, &by, txt, strlen(txt), "演示：增加工艺参数异常检测规则", false, &v);
    if (!rc) rc = alarm_ruleset_activate(c, &by, v);
    if (!rc) rc = store_commit(c);
    else store_rollback(c);
    free(txt);
    return rc;
}

typedef struct demo_account {
    const char *username;
    unsigned roles;
    const char *what;
} demo_account;

static ws_err seed(cli_opts *o, const char *accounts_path)
{
    store *db = NULL;
    store_conn *c = NULL;
    snprintf(o->org_kind, sizeof o->org_kind, "park");
    ws_err rc = cli_prepare_data(o, &db);
    if (rc) return rc;
    audit_actor who = {"cli"};
    org_demo_ids ids;
    static const demo_account acc[] = {
        {"admin", ROLE_ADMIN, "系统管理员 (whole park)"},
        {"manager", ROLE_MANAGER, "总经理 (enterprise)"},
        {"safety", ROLE_SAFETY_OFFICER, "安全员 (enterprise)"},
        {"depthead", ROLE_DEPT_HEAD, "生产部部长 (enterprise)"},
        {"gridleader", ROLE_GRID_LEADER, "网格长 (grid)"},
        {"worker", ROLE_WORKER, "操作工 (grid)"},
        {"regulator", ROLE_REGULATOR, "园区监管 (park, read-only)"},
        {"manager2", ROLE_MANAGER, "第二家企业总经理 (other enterprise)"},
        {"workshop", ROLE_DEPT_HEAD, "罐区车间主任 金涛 (enterprise; approves permits)"},
        {"applicant", ROLE_WORKER, "罐区操作工 陶然 (enterprise; applies for permits)"},
        {"guardian", ROLE_GRID_LEADER, "罐区网格长 魏东 (enterprise; permit guardian)"},
    };
    enum { N = sizeof acc / sizeof acc[0] };
    char pw[N][132];
    char vcodes[4][VOICE_CODE_BUF];
    const char *vstates[4];
    int nv = 0;
    FILE *f = NULL;
    if ((rc = store_acquire(db, &c)) || (rc = store_begin(c)) || (rc = org_demo_seed(c, &who, &ids)) ||
        (rc = hazard_demo_seed(c, &who, &ids)))
        goto fail;
    const int64_t scope[N] = {ids.park, ids.enterprise, ids.enterprise, ids.enterprise,
                              ids.grid_synthesis, ids.grid_synthesis, ids.park, ids.enterprise2,
                              ids.enterprise, ids.enterprise, ids.enterprise};
    const int64_t person[N] = {0, ids.person_manager, ids.person_safety_officer, ids.person_dept_head,
                               ids.person_grid_leader, ids.person_worker, 0, ids.person_e2_manager,
                               ids.person_tank_head, ids.person_tank_operator, ids.person_tank_grid_leader};
    for (int i = 0; i < N; i++) {
        if (i == 0 && o->admin_password[0]) snprintf(pw[i], sizeof pw[i], "%s", o->admin_password);
        else auth_random_password(pw[i], sizeof pw[i]);
        int64_t id;
        if ((rc = auth_create_account(c, &who, acc[i].username, pw[i], acc[i].roles, scope[i], person[i],
                                      false, &id)))
            goto fail;
    }
    if ((rc = store_commit(c))) goto fail;
    /* A week of readings of the demo's points, in the series store. */
    {
        char surl[CLI_PATH_MAX + 32];
        series *s = NULL;
        rc = series_url(cli_db_url(o), o->data, surl, sizeof surl);
        if (!rc) rc = series_open(surl, NULL, &s);
        if (!rc) rc = hazard_demo_readings(c, s, clock_now_ms());
        /* rosters, a work order, a bypass and alarms in every state, through the engine */
        warn *w = NULL;
        char wal[CLI_PATH_MAX + 16];
        snprintf(wal, sizeof wal, "%s/journal", o->data);
        warn_config wc = {.db = db, .db_url = cli_db_url(o), .series = s, .wal_dir = wal, .no_thread = true};
        /* issue 7: the default alarm rules plus an anomaly rule on the DCS tags,
         * active before the engine starts, so the state it saves is the server's */
        if (!rc) rc = demo_anomaly_rules(c, &who);
        if (!rc) rc = warn_open(&wc, &w);
        if (!rc) rc = warn_demo_seed(w, c, &ids, clock_now_ms());
        /* special-work permits in every state, through their lifecycle */
        permit_svc *ps = NULL;
        permit_config pc = {.db = db, .warn = w, .no_thread = true};
        if (!rc) rc = permit_open(&pc, &ps);
        if (!rc) rc = permit_demo_seed(ps, c, &ids);
        /* grid patrols: points, templates, the rota, patrols in several states (issue 6) */
        if (!rc) rc = patrol_demo_seed(c, &who, &ids, clock_now_ms());
        /* issue 6: anonymous reports (answered, overdue, turned into a hazard) and points */
        if (!rc) rc = store_begin(c);
        if (!rc) {
            rc = voice_demo_seed(c, &who, &ids, vcodes, vstates, 4, &nv);
            if (!rc) rc = store_commit(c);
            else store_rollback(c);
        }
        permit_close(ps);
        /* the task forces the demo's major hazards, emergencies and an incident form */
        if (!rc) rc = taskforce_demo_seed(c, &ids);
        /* duty lists of the demo's posts and today's duties */
        if (!rc) rc = duty_demo_seed(c, ids.enterprise, clock_now_ms());
        /* a day of shift handovers, one waiting to be taken */
        if (!rc) rc = handover_demo_seed(c, &ids, clock_now_ms());
        /* issue 7: weather and a week of each area's dynamic risk index */
        if (!rc) rc = dynrisk_demo_seed(c, ids.enterprise, clock_now_ms());
        warn_close(w);
        ws_err rc2 = series_close(s);
        if (!rc) rc = rc2;
        if (rc) goto fail;
    }
    int fd = open(accounts_path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0 || !(f = fdopen(fd, "w"))) {
        rc = ws_fail(WS_EIO, NULL, "cannot write %s", accounts_path);
        goto fail;
    }
    fprintf(f, "# worksafe demo accounts: username password role/scope\n");
    for (int i = 0; i < N; i++) fprintf(f, "%s %s %s\n", acc[i].username, pw[i], acc[i].what);
    fprintf(f, "# anonymous report receipt codes (follow them at /report/follow): code state\n");
    for (int i = 0; i < nv; i++) fprintf(f, "# %s %s\n", vcodes[i], vstates[i]);
    fclose(f);
    char *note = NULL;
    if (!audit_checkpoint(c, &note)) free(note);
    store_release(c);
    audit_close();
    store_close(db);
    return WS_OK;
fail:
    fprintf(stderr, "worksafe demo: %s\n", ws_err_message());
    if (c) {
        store_rollback(c);
        store_release(c);
    }
    audit_close();
    store_close(db);
    return rc ? rc : WS_EINTERNAL;
}

int cmd_demo(int argc, char **argv)
{
    cli_opts o;
    cli_defaults(&o);
    snprintf(o.listen, sizeof o.listen, "127.0.0.1:8080");
    snprintf(o.listen_tls, sizeof o.listen_tls, "127.0.0.1:8443");
    if (cli_parse(&o, argc, argv, 2, "demo")) return 2;
    if (o.help) return 0;
    o.simulate = true;
    char key[CLI_PATH_MAX + 32], accounts[CLI_PATH_MAX + 32];
    snprintf(key, sizeof key, "%s/keys/audit.key", o.data);
    snprintf(accounts, sizeof accounts, "%s/demo-accounts.txt", o.data);
    if (access(key, F_OK) != 0 && seed(&o, accounts)) return 1;
    FILE *f = fopen(accounts, "r");
    if (!f) {
        fprintf(stderr, "worksafe demo: %s exists but was not made by `worksafe demo` (no %s)\n", o.data,
                accounts);
        return 1;
    }
    printf("\nworksafe demo: 江苏滨江化工园区 / 华东精细化工有限公司\n");
    if (o.listen[0]) printf("  open http://%s\n", o.listen);
    if (o.listen_tls[0]) printf("  or   https://%s (self-signed certificate)\n", o.listen_tls);
    printf("  accounts (also in %s):\n", accounts);
    char line[256];
    while (fgets(line, sizeof line, f))
        if (line[0] != '#') printf("    %s", line);
    fclose(f);
    printf("\n");
    fflush(stdout);
    return cli_serve(&o);
}
