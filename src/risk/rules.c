/* rules.c — the rule data of risk assessment: the four levels, the built-in
 * rule set (LEC and LS value tables with their cut-offs, chemical profile),
 * its JSON form as stored in risk_rule_sets, and the assessment itself.
 *
 * Numbers live here once, as a table with its sources
 * (docs/internals/risk.md and ../shared/domain/REGULATIONS.md "LEC", "LS");
 * the database row made from it at first use is what assessments read and
 * record (risk_event.rule_set_id), so a later edition is a new row, and old
 * events keep pointing at the tables they were assessed with.
 *
 * Arithmetic is exact: every table value is held in tenths (0.1 -> 1), a
 * score is the product of the tenths, and a cut-off is compared in the same
 * scale (LEC: D x 1000, LS: R x 100). Cut-offs are inclusive lower bounds:
 * a score equal to a cut-off takes the higher level ([160, 320) is 较大). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/json.h"
#include "risk/risk_int.h"
#include "store/q_risk.h"

/* ----------------------------------------------------------------- levels */

static const risk_level levels[] = {
    {0, NULL, NULL, NULL},
    {1, "low", "低", "blue"},
    {2, "medium", "一般", "yellow"},
    {3, "high", "较大", "orange"},
    {4, "major", "重大", "red"},
};

risk_level risk_level_of_rank(int rank)
{
    return rank >= 1 && rank <= 4 ? levels[rank] : levels[0];
}

int risk_rank_of(const char *code)
{
    for (int i = 1; i <= 4; i++)
        if (code && !strcmp(code, levels[i].code)) return i;
    return 0;
}

/* --------------------------------------------------------- built-in rules */

/* REGULATIONS.md "LEC" [src: xiaomilidoc.com/p-9291236.html ;
 * m.zixin.com.cn/doc/3134728.html ; max.book118.com/html/2023/0915/5322142200010330.shtm],
 * cut-offs [src: m.aqrzj.com/doc/348231.html]; "LS" bands [mem]. */
static risk_rules builtin = {
    .id = 0,
    .code = "chem-default",
    .version = 1,
    .name = "危险化学品企业 风险评价 默认规则 (LEC + LS)",
    .source = "LEC (作业条件危险性评价法, Graham-Kinney): xiaomilidoc.com/p-9291236.html; "
              "m.zixin.com.cn/doc/3134728.html; max.book118.com/html/2023/0915/"
              "5322142200010330.shtm; cut-offs m.aqrzj.com/doc/348231.html. LS (风险矩阵 R=L*S, "
              "5x5): common bands, no primary source seen. Levels 重大/较大/一般/低 = "
              "红/橙/黄/蓝: m.docduoduo.com/d-1888389.html; MEM 危险化学品企业双重预防机制建设"
              "指导手册(2021版)",
    .edition = "Graham-Kinney LEC; MEM 双重预防机制建设指导手册 2021版",
    .effective_on = "2021-01-01",
    .profile = "chemical",
    .lec = {
        .nfactors = 3,
        .names = {"l", "e", "c"},
        .nf = {7, 6, 6},
        .f = {
            {{100, "完全可以预料"}, {60, "相当可能"}, {30, "可能，但不经常"},
             {10, "可能性小，完全意外"}, {5, "很不可能，可以设想"}, {2, "极不可能"},
             {1, "实际不可能"}},
            {{100, "连续暴露"}, {60, "每天工作时间内暴露"}, {30, "每周一次或偶然暴露"},
             {20, "每月一次暴露"}, {10, "每年几次暴露"}, {5, "非常罕见地暴露"}},
            {{1000, "大灾难，许多人死亡"}, {400, "灾难，数人死亡"}, {150, "非常严重，一人死亡"},
             {70, "严重，重伤"}, {30, "重大，致残"}, {10, "引人注目，需要救护"}},
        },
        .cut = {{4, 320000, 320}, {3, 160000, 160}, {2, 70000, 70}, {1, 0, 0}},
        .ncut = 4,
    },
    .ls = {
        .nfactors = 2,
        .names = {"l", "s"},
        .nf = {5, 5},
        .f = {
            {{50, "几乎肯定发生"}, {40, "很可能发生"}, {30, "可能发生"}, {20, "较不可能发生"},
             {10, "基本不可能发生"}},
            {{50, "灾难性：多人死亡"}, {40, "严重：一人死亡或多人重伤"}, {30, "较重：重伤"},
             {20, "一般：轻伤"}, {10, "轻微：无伤害或急救"}},
        },
        .cut = {{4, 2000, 20}, {3, 1500, 15}, {2, 900, 9}, {1, 0, 0}},
        .ncut = 4,
    },
};

const risk_rules *risk_rules_builtin(void) { return &builtin; }

static int64_t scale_of(const risk_method_table *t)
{
    int64_t s = 1;
    for (int i = 0; i < t->nfactors; i++) s *= 10;
    return s;
}

/* ------------------------------------------------------------------- JSON */

static json_t *method_json(const risk_method_table *t)
{
    json_t *m = json_object(), *fs = json_object(), *cs = json_array();
    for (int i = 0; i < t->nfactors; i++) {
        json_t *a = json_array();
        for (int k = 0; k < t->nf[i]; k++) {
            json_t *v = json_object();
            json_object_set_new(v, "value", json_real(t->f[i][k].x10 / 10.0));
            json_object_set_new(v, "label", json_str(t->f[i][k].label));
            json_array_append_new(a, v);
        }
        json_object_set_new(fs, t->names[i], a);
    }
    for (int k = 0; k < t->ncut; k++) {
        json_t *v = json_object();
        json_object_set_new(v, "level", json_str(risk_level_of_rank(t->cut[k].rank).code));
        json_object_set_new(v, "min", json_real(t->cut[k].min));
        json_array_append_new(cs, v);
    }
    json_object_set_new(m, "factors", fs);
    json_object_set_new(m, "cutoffs", cs);
    return m;
}

char *risk_rules_tables_json(const risk_rules *r)
{
    json_t *o = json_object(), *lv = json_array();
    json_object_set_new(o, "boundary", json_str("min_inclusive"));
    json_object_set_new(o, "lec", method_json(&r->lec));
    json_object_set_new(o, "ls", method_json(&r->ls));
    for (int i = 4; i >= 1; i--) {
        json_t *v = json_object();
        json_object_set_new(v, "code", json_str(levels[i].code));
        json_object_set_new(v, "name", json_str(levels[i].name));
        json_object_set_new(v, "colour", json_str(levels[i].colour));
        json_object_set_new(v, "rank", json_integer(i));
        json_array_append_new(lv, v);
    }
    json_object_set_new(o, "levels", lv);
    char *s = json_dump_compact(o);
    json_decref(o);
    return s;
}

static ws_err parse_method(json_t *m, risk_method_table *t, const char *const *names, int n)
{
    memset(t, 0, sizeof *t);
    t->nfactors = n;
    json_t *fs = json_object_get(m, "factors"), *cs = json_object_get(m, "cutoffs");
    if (!json_is_object(fs) || !json_is_array(cs) || json_array_size(cs) == 0 ||
        json_array_size(cs) > 4)
        return ws_fail(WS_ECORRUPT, "tables", "rule set tables are malformed");
    for (int i = 0; i < n; i++) {
        snprintf(t->names[i], sizeof t->names[i], "%s", names[i]);
        json_t *a = json_object_get(fs, names[i]);
        if (!json_is_array(a) || json_array_size(a) == 0 || json_array_size(a) > RISK_FACTORS_MAX)
            return ws_fail(WS_ECORRUPT, "tables", "rule set has no table for %s", names[i]);
        for (size_t k = 0; k < json_array_size(a); k++) {
            json_t *v = json_array_get(a, k);
            double x = json_number_value(json_object_get(v, "value"));
            double x10 = x * 10;
            if (!json_is_number(json_object_get(v, "value")) || x <= 0 || x > 1e4 ||
                fabs(x10 - llround(x10)) > 1e-9)
                return ws_fail(WS_ECORRUPT, "tables", "rule set value %g of %s is not in tenths",
                               x, names[i]);
            t->f[i][k].x10 = (int)llround(x10);
            snprintf(t->f[i][k].label, sizeof t->f[i][k].label, "%s",
                     json_string_value(json_object_get(v, "label")) ?
                         json_string_value(json_object_get(v, "label")) : "");
        }
        t->nf[i] = (int)json_array_size(a);
    }
    int64_t scale = scale_of(t);
    for (size_t k = 0; k < json_array_size(cs); k++) {
        json_t *v = json_array_get(cs, k);
        int rank = risk_rank_of(json_string_value(json_object_get(v, "level")));
        if (!rank || !json_is_number(json_object_get(v, "min")))
            return ws_fail(WS_ECORRUPT, "tables", "rule set cut-off %zu is malformed", k);
        t->cut[k].rank = rank;
        t->cut[k].min = json_number_value(json_object_get(v, "min"));
        t->cut[k].min_scaled = llround(t->cut[k].min * (double)scale);
    }
    t->ncut = (int)json_array_size(cs);
    return WS_OK;
}

ws_err risk_rules_parse_tables(const char *s, risk_rules *r)
{
    json_error_t je;
    json_t *o = json_loads(s ? s : "", 0, &je);
    if (!o) return ws_fail(WS_ECORRUPT, "tables", "rule set tables are not JSON: %s", je.text);
    static const char *const lec[] = {"l", "e", "c"}, *const ls[] = {"l", "s"};
    ws_err rc = parse_method(json_object_get(o, "lec"), &r->lec, lec, 3);
    if (!rc) rc = parse_method(json_object_get(o, "ls"), &r->ls, ls, 2);
    json_decref(o);
    return rc;
}

/* ------------------------------------------------------------- assessment */

static const risk_method_table *table_of(const risk_rules *r, risk_method m)
{
    return m == RISK_LS ? &r->ls : &r->lec;
}

static int rank_scaled(const risk_method_table *t, int64_t scaled)
{
    for (int k = 0; k < t->ncut; k++)
        if (scaled >= t->cut[k].min_scaled) return t->cut[k].rank;
    return 1;
}

int risk_rank_of_score(const risk_rules *r, risk_method m, double score)
{
    /* Any score, not only table products: compared as written (a product of
     * table values goes through the exact path in risk_assess). */
    const risk_method_table *t = table_of(r, m);
    for (int k = 0; k < t->ncut; k++)
        if (score >= t->cut[k].min - 1e-9) return t->cut[k].rank;
    return 1;
}

ws_err risk_assess(const risk_rules *r, risk_method m, const double *v, const char *prefix,
                   risk_assessment *out)
{
    const risk_method_table *t = table_of(r, m);
    const char *mname = m == RISK_LS ? "LS" : "LEC";
    char field[48];
    int64_t scaled = 1;
    memset(out, 0, sizeof *out);
    for (int i = 0; i < 3; i++) out->v[i] = NAN;
    for (int i = 0; i < t->nfactors; i++) {
        snprintf(field, sizeof field, "%s%s", prefix, t->names[i]);
        if (isnan(v[i]))
            return ws_fail(WS_EINVAL, field, "%s is required for the %s method", field, mname);
        double x10 = v[i] * 10;
        int hit = -1;
        for (int k = 0; k < t->nf[i]; k++)
            if (fabs(x10 - t->f[i][k].x10) < 1e-6) hit = k;
        if (hit < 0) {
            char allowed[160];
            size_t n = 0;
            allowed[0] = 0;
            for (int k = 0; k < t->nf[i] && n < sizeof allowed; k++)
                n += (size_t)snprintf(allowed + n, sizeof allowed - n, "%s%g", k ? ", " : "",
                                      t->f[i][k].x10 / 10.0);
            return ws_fail(WS_EINVAL, field, "%s = %g is not in the %s table of rule set %s v%lld (%s)",
                           field, v[i], mname, r->code, (long long)r->version, allowed);
        }
        out->v[i] = t->f[i][hit].x10 / 10.0;
        scaled *= t->f[i][hit].x10;
    }
    /* A value for a factor the method does not use is a mistake, not noise. */
    if (m == RISK_LS && !isnan(v[2])) {
        snprintf(field, sizeof field, "%sc", prefix);
        return ws_fail(WS_EINVAL, field, "%s is not used by the LS method", field);
    }
    out->score = (double)scaled / (double)scale_of(t);
    out->rank = rank_scaled(t, scaled);
    return WS_OK;
}

/* --------------------------------------------------------- accident types */

/* GB 6441-1986 《企业职工伤亡事故分类》, coded 01-20. */
static const char *const accident_types[20] = {
    "物体打击", "车辆伤害", "机械伤害", "起重伤害", "触电",     "淹溺",     "灼烫",
    "火灾",     "高处坠落", "坍塌",     "冒顶片帮", "透水",     "放炮",     "火药爆炸",
    "瓦斯爆炸", "锅炉爆炸", "容器爆炸", "其它爆炸", "中毒和窒息", "其它伤害",
};

bool risk_accident_type(const char *code, const char **name)
{
    if (!code || strlen(code) != 2 || code[0] < '0' || code[0] > '2' || code[1] < '0' ||
        code[1] > '9')
        return false;
    int n = (code[0] - '0') * 10 + (code[1] - '0');
    if (n < 1 || n > 20) return false;
    if (name) *name = accident_types[n - 1];
    return true;
}

/* -------------------------------------------------------------- rule rows */

static ws_err read_rules(store_conn *c, const char *sql, int64_t id, risk_rules *out, bool *found)
{
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, sql, &st);
    if (!rc && id) rc = store_bind_int(st, 1, id);
    if (!rc) rc = store_step(st, &row);
    *found = row;
    if (!rc && row) {
        memset(out, 0, sizeof *out);
        out->id = store_col_int(st, 0);
        risk_copy(out->code, sizeof out->code, store_col_text(st, 1));
        out->version = store_col_int(st, 2);
        risk_copy(out->name, sizeof out->name, store_col_text(st, 3));
        risk_copy(out->source, sizeof out->source, store_col_text(st, 4));
        risk_copy(out->edition, sizeof out->edition, store_col_text(st, 5));
        risk_copy(out->effective_on, sizeof out->effective_on, store_col_text(st, 6));
        risk_copy(out->profile, sizeof out->profile, store_col_text(st, 7));
        rc = risk_rules_parse_tables(store_col_text(st, 8), out);
    }
    store_finalize(st);
    return rc;
}

ws_err risk_rules_get(store_conn *c, int64_t id, risk_rules *out)
{
    bool found = false;
    ws_err rc = read_rules(c, Q_RISK_RULESET_GET, id, out, &found);
    if (!rc && !found) rc = ws_fail(WS_ENOTFOUND, "rule_set_id", "no such rule set");
    return rc;
}

/* Store the built-in rule set (once: the unique (code, version) makes a
 * racing second insert a no-op) with its leaf. */
static ws_err seed_builtin(store_conn *c)
{
    bool own = !store_in_tx(c);
    ws_err rc = own ? store_begin(c) : WS_OK;
    if (rc) return rc;
    char *tables = risk_rules_tables_json(&builtin);
    store_stmt *st = NULL;
    bool row = false;
    int64_t id = 0;
    rc = tables ? store_prepare(c, Q_RISK_RULESET_INSERT, &st)
                : ws_fail(WS_ENOMEM, NULL, "out of memory");
    if (!rc) rc = store_bind_text(st, 1, builtin.code);
    if (!rc) rc = store_bind_int(st, 2, builtin.version);
    if (!rc) rc = store_bind_text(st, 3, builtin.name);
    if (!rc) rc = store_bind_text(st, 4, builtin.source);
    if (!rc) rc = store_bind_text(st, 5, builtin.edition);
    if (!rc) rc = store_bind_text(st, 6, builtin.effective_on);
    if (!rc) rc = store_bind_text(st, 7, builtin.profile);
    if (!rc) rc = store_bind_text(st, 8, tables);
    if (!rc) rc = store_bind_int(st, 9, clock_now_ms());
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) id = store_col_int(st, 0);
    store_finalize(st);
    free(tables);
    if (!rc && id) {
        audit_actor sys = {"system"};
        rc = audit_record(c, &sys, &RISK_ENTITY_RULE_SET, id, "create", NULL);
    }
    return risk_tx_end(c, own, rc);
}

ws_err risk_rules_active(store_conn *c, risk_rules *out)
{
    bool found = false;
    ws_err rc = read_rules(c, Q_RISK_RULESET_ACTIVE, 0, out, &found);
    if (rc || found) return rc;
    rc = seed_builtin(c);
    if (!rc) rc = read_rules(c, Q_RISK_RULESET_ACTIVE, 0, out, &found);
    if (!rc && !found) rc = ws_fail(WS_EINTERNAL, NULL, "no active risk rule set");
    return rc;
}
