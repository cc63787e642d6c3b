/* ruleset.c — the stored versions of the alarm rule set (ruleset.h): the
 * default set stored on first use, new versions checked by rule_set_parse
 * and stored in canonical form, and the one active version, each change with
 * its evidence-log leaf in the same transaction (the pattern of
 * src/risk/ruleset.c). docs/internals/alarm.md "Rules". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alarm/ruleset.h"
#include "auth/auth.h"
#include "core/clock.h"
#include "store/q_alarmrule.h"

static const audit_col ruleset_cols[] = {
    {"id", AC_INT}, {"doc", AC_TEXT}, {"comment", AC_TEXT}, {"created_by_person_id", AC_INT},
    {"created_at", AC_INT}, {"active", AC_INT},
};
const audit_entity ALARM_ENTITY_RULE_SET = {"alarm_rule_set", "alarm_rule_sets", ruleset_cols,
                                            (int)(sizeof ruleset_cols / sizeof ruleset_cols[0])};

ws_err alarm_ruleset_init(void)
{
    static bool done;
    if (done) return WS_OK;
    ws_err rc = audit_register(&ALARM_ENTITY_RULE_SET);
    if (!rc) done = true;
    return rc;
}

void alarm_ruleset_row_free(alarm_ruleset_row *r)
{
    if (!r) return;
    free(r->doc);
    r->doc = NULL;
}

static ws_err allow_write(const org_caller *by)
{
    if (!by || !by->subject) return WS_OK;
    return auth_decide(by->subject, "alarmrule.write", NULL);
}

static ws_err leaf(store_conn *c, const org_caller *by, int64_t version, const char *action)
{
    audit_actor sys = {"system"};
    return audit_record(c, by && by->actor ? by->actor : &sys, &ALARM_ENTITY_RULE_SET, version,
                        action, NULL);
}

static void read_row(store_stmt *st, alarm_ruleset_row *r, bool with_doc)
{
    memset(r, 0, sizeof *r);
    r->version = store_col_int(st, 0);
    snprintf(r->comment, sizeof r->comment, "%s", store_col_text(st, 1));
    r->created_by_person_id = store_col_opt_int(st, 2);
    r->created_at = store_col_int(st, 3);
    r->active = store_col_int(st, 4) != 0;
    if (with_doc) r->doc = strdup(store_col_text(st, 5));
}

/* One row of sql (bound to $1 = arg when arg > 0); *found. */
static ws_err one_row(store_conn *c, const char *sql, int64_t arg, alarm_ruleset_row *out,
                      bool *found)
{
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, sql, &st);
    if (!rc && arg > 0) rc = store_bind_int(st, 1, arg);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) {
        read_row(st, out, true);
        if (!out->doc) rc = ws_fail(WS_ENOMEM, NULL, "out of memory");
    }
    store_finalize(st);
    *found = !rc && row;
    return rc;
}

/* Store the default set as version 1, active, when the table has no active
 * row (first use). Concurrent first uses: ON CONFLICT keeps one. */
static ws_err seed_default(store_conn *c)
{
    rule_set *s = malloc(sizeof *s);
    if (!s) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    const char *d = rule_set_default_json();
    ws_err rc = rule_set_parse(d, strlen(d), s);
    char *canon = rc ? NULL : rule_set_to_json(s);
    free(s);
    if (rc) return rc;
    if (!canon) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    bool own = false;
    rc = store_tx_join(c, &own);
    store_stmt *st = NULL;
    bool row = false;
    if (!rc) rc = store_prepare(c, Q_ALARMRULE_SEED, &st);
    if (!rc) rc = store_bind_int(st, 1, 1);
    if (!rc) rc = store_bind_text(st, 2, canon);
    if (!rc) rc = store_bind_text(st, 3, "默认规则集（内置）：5 分钟无数据、设备离线、6 小时数值冻结、同一设备 30 天内 3 次故障");
    if (!rc) rc = store_bind_null(st, 4);
    if (!rc) rc = store_bind_int(st, 5, clock_now_ms());
    if (!rc) rc = store_bind_int(st, 6, 1);
    if (!rc) rc = store_step(st, &row);
    store_finalize(st);
    free(canon);
    if (!rc && row) rc = leaf(c, NULL, 1, "create");
    return store_tx_finish(c, own, rc);
}

ws_err alarm_ruleset_active(store_conn *c, alarm_ruleset_row *out)
{
    bool found = false;
    ws_err rc = one_row(c, Q_ALARMRULE_ACTIVE, 0, out, &found);
    if (rc || found) return rc;
    rc = seed_default(c);
    if (!rc) rc = one_row(c, Q_ALARMRULE_ACTIVE, 0, out, &found);
    if (!rc && !found) rc = ws_fail(WS_EINTERNAL, NULL, "no active alarm rule set");
    return rc;
}

ws_err alarm_ruleset_load_active(store_conn *c, rule_set *set, int64_t *version)
{
    alarm_ruleset_row r;
    ws_err rc = alarm_ruleset_active(c, &r);
    if (rc) return rc;
    rc = rule_set_parse(r.doc, strlen(r.doc), set);
    if (version) *version = r.version;
    alarm_ruleset_row_free(&r);
    return rc;
}

ws_err alarm_ruleset_get(store_conn *c, int64_t version, alarm_ruleset_row *out)
{
    alarm_ruleset_row act;
    ws_err rc = alarm_ruleset_active(c, &act); /* version 1 exists once anything is read */
    alarm_ruleset_row_free(&act);
    if (rc) return rc;
    bool found = false;
    if (version <= 0) return ws_fail(WS_ENOTFOUND, "version", "no such alarm rule set version");
    rc = one_row(c, Q_ALARMRULE_GET, version, out, &found);
    if (!rc && !found) rc = ws_fail(WS_ENOTFOUND, "version", "no such alarm rule set version");
    return rc;
}

ws_err alarm_ruleset_list(store_conn *c, alarm_ruleset_row **items, size_t *n)
{
    *items = NULL;
    *n = 0;
    alarm_ruleset_row act;
    ws_err rc = alarm_ruleset_active(c, &act);
    alarm_ruleset_row_free(&act);
    if (rc) return rc;
    size_t cap = 8, k = 0;
    alarm_ruleset_row *a = calloc(cap, sizeof *a);
    if (!a) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    store_stmt *st = NULL;
    bool row = false;
    rc = store_prepare(c, Q_ALARMRULE_LIST, &st);
    while (!rc && !(rc = store_step(st, &row)) && row) {
        if (k == cap) {
            alarm_ruleset_row *p = realloc(a, cap * 2 * sizeof *a);
            if (!p) {
                rc = ws_fail(WS_ENOMEM, NULL, "out of memory");
                break;
            }
            a = p;
            cap *= 2;
        }
        read_row(st, &a[k++], false);
    }
    store_finalize(st);
    if (rc) {
        free(a);
        return rc;
    }
    *items = a;
    *n = k;
    return WS_OK;
}

static ws_err check_comment(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    bool blank = true;
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return ws_fail(WS_EINVAL, "comment", "comment must not contain control characters");
        if (s[i] != ' ') blank = false;
    }
    if (blank) return ws_fail(WS_EINVAL, "comment", "comment is required (why this version)");
    if (n > ALARM_RULESET_COMMENT_MAX)
        return ws_fail(WS_EINVAL, "comment", "comment is longer than %d bytes",
                       ALARM_RULESET_COMMENT_MAX);
    if (!org_utf8_valid(s, n)) return ws_fail(WS_EINVAL, "comment", "comment is not valid UTF-8");
    return WS_OK;
}

ws_err alarm_ruleset_create(store_conn *c, const org_caller *by, const char *doc, size_t len,
                            const char *comment, bool dry_run, int64_t *version)
{
    *version = 0;
    ws_err rc = allow_write(by);
    if (rc) return rc;
    rule_set *s = malloc(sizeof *s);
    if (!s) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    rc = rule_set_parse(doc, len, s);
    if (!rc) rc = check_comment(comment);
    char *canon = rc ? NULL : rule_set_to_json(s);
    free(s);
    if (rc) return rc;
    if (!canon) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    if (dry_run) {
        free(canon);
        return WS_OK;
    }
    alarm_ruleset_row act;
    rc = alarm_ruleset_active(c, &act); /* the default stays version 1 */
    alarm_ruleset_row_free(&act);
    bool own = false;
    if (!rc) rc = store_tx_join(c, &own);
    if (rc) {
        free(canon);
        return rc;
    }
    int64_t v = 0;
    store_stmt *st = NULL;
    bool row = false;
    rc = store_prepare(c, Q_ALARMRULE_NEXT_VERSION, &st);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) v = store_col_int(st, 0);
    store_finalize(st);
    st = NULL;
    if (!rc && v < 1) rc = ws_fail(WS_ESTORE, NULL, "no next version");
    if (!rc) rc = store_prepare(c, Q_ALARMRULE_INSERT, &st);
    if (!rc) rc = store_bind_int(st, 1, v);
    if (!rc) rc = store_bind_text(st, 2, canon);
    if (!rc) rc = store_bind_text(st, 3, comment);
    if (!rc) rc = store_bind_opt_int(st, 4, by && by->subject ? by->subject->person_id : 0);
    if (!rc) rc = store_bind_int(st, 5, clock_now_ms());
    if (!rc) rc = store_bind_int(st, 6, 0);
    if (!rc) rc = store_step(st, &row);
    store_finalize(st);
    free(canon);
    if (!rc) rc = leaf(c, by, v, "create");
    rc = store_tx_finish(c, own, rc);
    if (!rc) *version = v;
    return rc;
}

ws_err alarm_ruleset_activate(store_conn *c, const org_caller *by, int64_t version)
{
    ws_err rc = allow_write(by);
    if (rc) return rc;
    alarm_ruleset_row cur;
    rc = alarm_ruleset_get(c, version, &cur);
    if (rc) return rc;
    bool was_active = cur.active;
    alarm_ruleset_row_free(&cur);
    if (was_active) return WS_OK;
    bool own = false;
    if ((rc = store_tx_join(c, &own))) return rc;
    int64_t others[16];
    size_t n = 0;
    store_stmt *st = NULL;
    bool row = false;
    rc = store_prepare(c, Q_ALARMRULE_OTHER_ACTIVE, &st);
    if (!rc) rc = store_bind_int(st, 1, version);
    while (!rc && !(rc = store_step(st, &row)) && row && n < 16) others[n++] = store_col_int(st, 0);
    store_finalize(st);
    /* The others off first, then this one on: the unique index sees one. */
    for (size_t i = 0; !rc && i <= n; i++) {
        int64_t id = i < n ? others[i] : version;
        rc = store_prepare(c, Q_ALARMRULE_SET_ACTIVE, &st);
        if (!rc) rc = store_bind_int(st, 1, id);
        if (!rc) rc = store_bind_int(st, 2, i < n ? 0 : 1);
        if (!rc) rc = store_step(st, &row);
        store_finalize(st);
        st = NULL;
        if (!rc) rc = leaf(c, by, id, "update");
    }
    return store_tx_finish(c, own, rc);
}
