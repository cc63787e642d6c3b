/* import.c — bulk import of an existing risk register (风险分级管控清单) from
 * one sheet of CSV (UTF-8 with or without BOM, or GBK) or XLSX, the way a
 * Chinese safety office keeps it: one row per control measure, or per event
 * when it has none (docs/internals/risk.md "Import").
 *
 * How it fits: the file is read by org_table_read (src/org/table.c, the same
 * reader as the unit and people imports) and the result has the shape of
 * org_import_result, so the API replies alike. Three phases, all or
 * nothing, as in src/org/import.c:
 *   1. map the header row (Chinese or English) to the columns;
 *   2. check every row on its own and the rows against each other (two rows
 *      of the same event must agree on its values), collecting every error;
 *   3. apply the rows in one transaction through the register's own
 *      functions (risk_object_create, risk_event_update, …), so checks,
 *      permissions (risk.write on the row's unit) and audit leaves are those
 *      of single writes; commit only when no row failed and not a dry run.
 * Matching makes a re-import idempotent: an object by (org unit, code), or
 * (org unit, name) without a code; a risk unit by name within the object; an
 * event by description within the unit; a measure by text within the event;
 * a task by text within the measure. A match whose fields differ is updated
 * (an event with other values is reassessed with the active rule set). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "risk/risk_int.h"
#include "store/q_risk.h"

/* ------------------------------------------------------------------ header */

typedef struct colspec {
    const char *key;        /* field name in errors */
    const char *aliases[6]; /* accepted header texts (ASCII lower-cased) */
} colspec;

enum {
    C_OBJ_CODE, C_OBJ_NAME, C_OBJ_KIND, C_UNIT_CODE, C_RESP_NO, C_RESP_NAME, C_UNIT_RESP_NO,
    C_RUNIT, C_EVENT, C_ACC, C_METHOD, C_L, C_E, C_C, C_S, C_RL, C_RE, C_RC, C_RS, C_MCAT,
    C_MEASURE, C_TASK, C_FREQ, C_POST, C_NCOLS, C_IGNORED = -2
};

static const colspec cols[C_NCOLS] = {
    {"object_code", {"object_code", "风险分析对象编码", "对象编码", "风险点编码"}},
    {"object_name", {"object_name", "风险分析对象名称", "风险分析对象", "对象名称", "风险点名称"}},
    {"object_kind", {"object_kind", "对象类型", "风险分析对象类型", "风险点类型"}},
    {"unit_code", {"unit_code", "所属单位编码", "单位编码"}},
    {"responsible_no", {"responsible_no", "责任人工号"}},
    {"responsible", {"responsible", "责任人", "责任人姓名"}},
    {"unit_responsible_no", {"unit_responsible_no", "单元责任人工号"}},
    {"risk_unit", {"risk_unit", "风险分析单元", "风险分析单元名称", "单元名称"}},
    {"event", {"event", "风险事件", "风险事件描述"}},
    {"accident_type", {"accident_type", "事故类型", "可能导致的事故类型", "事故类别"}},
    {"method", {"method", "评价方法", "风险评价方法"}},
    {"l", {"l", "固有l", "inherent_l"}},
    {"e", {"e", "固有e", "inherent_e"}},
    {"c", {"c", "固有c", "inherent_c"}},
    {"s", {"s", "固有s", "inherent_s"}},
    {"residual_l", {"residual_l", "残余l", "剩余l", "管控后l"}},
    {"residual_e", {"residual_e", "残余e", "剩余e", "管控后e"}},
    {"residual_c", {"residual_c", "残余c", "剩余c", "管控后c"}},
    {"residual_s", {"residual_s", "残余s", "剩余s", "管控后s"}},
    {"measure_category", {"measure_category", "管控措施类别", "措施类别", "管控措施分类"}},
    {"measure", {"measure", "管控措施", "管控措施内容"}},
    {"task", {"task", "排查内容", "隐患排查内容"}},
    {"frequency", {"frequency", "排查频次", "排查周期"}},
    {"post_code", {"post_code", "岗位编码", "岗位", "排查岗位"}},
};
static const int required_cols[] = {C_OBJ_NAME, C_OBJ_KIND, C_UNIT_CODE, C_RUNIT, C_EVENT,
                                    C_METHOD,   C_L};

/* Columns registers often carry that the server computes or does not keep:
 * accepted and ignored. */
static const char *const ignored_cols[] = {"序号", "no", "d", "r", "风险值", "风险等级",
                                           "level", "管控层级", "备注", NULL};

/* ------------------------------------------------------------------ errors */

/* The error of a register function on this row, its field renamed to the
 * column (pairs from, to; NULL ends); dflt when the field is not listed. */
static void add_rc_error(org_import_result *r, int row, const char *const *rename,
                         const char *dflt)
{
    const char *f = ws_err_field(), *to = dflt;
    for (int i = 0; rename[i]; i += 2)
        if (!strcmp(f, rename[i])) to = rename[i + 1];
    org_import_error_add(r, row, to, "%s", ws_err_message());
}

void risk_import_result_free(risk_import_result *r)
{
    if (r) org_import_result_free(&r->base);
}

static void map_header(const org_table *t, int *idx, org_import_result *r)
{
    const org_table_row *h = &t->rows[0];
    for (int k = 0; k < C_NCOLS; k++) idx[k] = -1;
    for (int c = 0; c < h->ncells; c++) {
        char name[96];
        org_import_header_norm(h->cells[c], name, sizeof name);
        if (!name[0]) continue;
        int hit = -1;
        for (int k = 0; k < C_NCOLS && hit < 0; k++)
            for (int a = 0; a < 6 && cols[k].aliases[a]; a++)
                if (!strcmp(name, cols[k].aliases[a])) hit = k;
        for (int k = 0; hit < 0 && ignored_cols[k]; k++)
            if (!strcmp(name, ignored_cols[k])) hit = C_IGNORED;
        if (hit == C_IGNORED) continue;
        if (hit < 0) org_import_error_add(r, h->rownum, h->cells[c], "unknown column \"%s\"", h->cells[c]);
        else if (idx[hit] >= 0)
            org_import_error_add(r, h->rownum, cols[hit].key, "column %s appears twice", cols[hit].key);
        else idx[hit] = c;
    }
    for (size_t k = 0; k < sizeof required_cols / sizeof required_cols[0]; k++)
        if (idx[required_cols[k]] < 0)
            org_import_error_add(r, h->rownum, cols[required_cols[k]].key, "the column %s (%s) is missing",
                      cols[required_cols[k]].key, cols[required_cols[k]].aliases[1]);
    if (idx[C_RESP_NO] < 0 && idx[C_RESP_NAME] < 0)
        org_import_error_add(r, h->rownum, "responsible_no",
                  "the column responsible_no (责任人工号) or responsible (责任人) is missing");
}

/* --------------------------------------------------------------- mappings */

typedef struct alias {
    const char *text, *code;
} alias;

static const char *lookup(const char *s, const alias *a)
{
    char low[64];
    size_t n = strlen(s);
    if (n >= sizeof low) return NULL;
    for (size_t i = 0; i <= n; i++) low[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
    for (; a->text; a++)
        if (!strcmp(low, a->text)) return a->code;
    return NULL;
}

static const alias kinds[] = {
    {"installation", "installation"}, {"unit", "unit"}, {"process", "process"},
    {"activity", "activity"}, {"装置", "installation"}, {"设施", "installation"},
    {"设备设施", "installation"}, {"设备", "installation"}, {"装置设施", "installation"},
    {"单元", "unit"}, {"生产单元", "unit"}, {"区域", "unit"}, {"场所", "unit"},
    {"工艺", "process"}, {"工艺过程", "process"}, {"过程", "process"},
    {"作业活动", "activity"}, {"活动", "activity"}, {"作业", "activity"}, {NULL, NULL},
};
static const alias categories[] = {
    {"engineering", "engineering"}, {"management", "management"}, {"training", "training"},
    {"ppe", "ppe"}, {"emergency", "emergency"}, {"工程技术", "engineering"},
    {"工程技术措施", "engineering"}, {"工程措施", "engineering"}, {"管理", "management"},
    {"管理措施", "management"}, {"培训教育", "training"}, {"教育培训", "training"},
    {"培训教育措施", "training"}, {"培训", "training"}, {"个体防护", "ppe"},
    {"个人防护", "ppe"}, {"个体防护措施", "ppe"}, {"应急处置", "emergency"},
    {"应急处置措施", "emergency"}, {"应急", "emergency"}, {NULL, NULL},
};
static const alias methods[] = {
    {"lec", "LEC"}, {"ls", "LS"}, {"作业条件危险性分析法", "LEC"},
    {"作业条件危险性评价法", "LEC"}, {"风险矩阵", "LS"}, {"风险矩阵法", "LS"}, {NULL, NULL},
};
static const alias frequencies[] = {
    {"daily", "daily"}, {"weekly", "weekly"}, {"monthly", "monthly"}, {"每天", "daily"},
    {"每日", "daily"}, {"日", "daily"}, {"天", "daily"}, {"每周", "weekly"}, {"周", "weekly"},
    {"每月", "monthly"}, {"月", "monthly"}, {"每小时", "hours"}, {NULL, NULL},
};

/* "每4小时", "4小时", "4h", "每小时" -> hours; else the aliases above. */
static const char *frequency_of(const char *s, int64_t *hours)
{
    *hours = 0;
    const char *f = lookup(s, frequencies);
    if (f) {
        if (!strcmp(f, "hours")) *hours = 1;
        return f;
    }
    const char *p = s;
    if (!strncmp(p, "每", strlen("每"))) p += strlen("每");
    char *end = NULL;
    long long n = strtoll(p, &end, 10);
    if (end == p || n < 1 || n > 8760) return NULL;
    if (!strcmp(end, "小时") || !strcmp(end, "h") || !strcmp(end, "H")) {
        *hours = n;
        return "hours";
    }
    return NULL;
}

/* A GB 6441 code ("17", "1") or name ("容器爆炸") into code[3]. */
static bool accident_of(const char *s, char code[4])
{
    char c[12];
    const char *name = NULL;
    if (strlen(s) == 1 && s[0] >= '1' && s[0] <= '9') {
        snprintf(c, sizeof c, "0%c", s[0]);
        s = c;
    }
    if (risk_accident_type(s, NULL)) {
        memcpy(code, s, 3); /* two digits and the NUL */
        return true;
    }
    for (int k = 1; k <= 20; k++) {
        snprintf(c, sizeof c, "%02d", k);
        if (risk_accident_type(c, &name) && !strcmp(name, s)) {
            memcpy(code, c, 3);
            return true;
        }
    }
    return false;
}

/* ------------------------------------------------------------------- rows */

typedef struct rrow {
    int rownum;
    const char *cell[C_NCOLS];
    const char *kind, *method, *category, *frequency;
    int64_t every_hours;
    char accident[4];
    double inh[3], res[3]; /* LEC l, e, c; LS l, s */
    bool has_res, bad;
    bool first[RISK_IMP_NLEVELS]; /* first row of its record: counts it */
} rrow;

static const char *cell(const org_table_row *row, const int *idx, int k)
{
    int c = idx[k];
    return c >= 0 && c < row->ncells ? row->cells[c] : "";
}

static void check_row(rrow *w, org_import_result *r)
{
    size_t before = r->nerrors + r->omitted;
    int n = w->rownum;
    static const int need[] = {C_OBJ_NAME, C_UNIT_CODE, C_RUNIT, C_EVENT};
    for (size_t k = 0; k < sizeof need / sizeof need[0]; k++)
        if (!*w->cell[need[k]])
            org_import_error_add(r, n, cols[need[k]].key, "%s (%s) is required", cols[need[k]].key,
                      cols[need[k]].aliases[1]);
    w->kind = lookup(w->cell[C_OBJ_KIND], kinds);
    if (!w->kind)
        org_import_error_add(r, n, "object_kind",
                  "object_kind must be installation, unit, process or activity "
                  "(装置, 单元, 工艺, 作业活动)");
    if (!*w->cell[C_RESP_NO] && !*w->cell[C_RESP_NAME])
        org_import_error_add(r, n, "responsible_no", "the responsible person (责任人工号 or 责任人) is required");
    w->method = lookup(w->cell[C_METHOD], methods);
    if (!w->method) org_import_error_add(r, n, "method", "method must be LEC or LS");
    if (*w->cell[C_ACC] && !accident_of(w->cell[C_ACC], w->accident))
        org_import_error_add(r, n, "accident_type",
                  "accident_type must be a GB 6441 code 01 to 20 or its name (e.g. 容器爆炸)");
    static const int inh[4] = {C_L, C_E, C_C, C_S}, res[4] = {C_RL, C_RE, C_RC, C_RS};
    double vi[4], vr[4];
    for (int k = 0; k < 4; k++) {
        if (!org_import_number(w->cell[inh[k]], &vi[k]))
            org_import_error_add(r, n, cols[inh[k]].key, "%s must be a number", cols[inh[k]].key);
        if (!org_import_number(w->cell[res[k]], &vr[k]))
            org_import_error_add(r, n, cols[res[k]].key, "%s must be a number", cols[res[k]].key);
        if (!isnan(vr[k])) w->has_res = true;
    }
    bool ls = w->method && !strcmp(w->method, "LS");
    /* LEC: l, e, c; LS: l, s. A value of the other method is a mistake. */
    static const int lec_unused[] = {3}, ls_unused[] = {1, 2};
    const int *unused = ls ? ls_unused : lec_unused;
    for (int u = 0; w->method && u < (ls ? 2 : 1); u++) {
        int k = unused[u];
        if (!isnan(vi[k]))
            org_import_error_add(r, n, cols[inh[k]].key, "%s is not used by the %s method", cols[inh[k]].key,
                      w->method);
        if (!isnan(vr[k]))
            org_import_error_add(r, n, cols[res[k]].key, "%s is not used by the %s method", cols[res[k]].key,
                      w->method);
    }
    for (int k = 0; k < 3; k++) w->inh[k] = w->res[k] = NAN;
    if (ls) {
        w->inh[0] = vi[0], w->inh[1] = vi[3];
        w->res[0] = vr[0], w->res[1] = vr[3];
    } else {
        for (int k = 0; k < 3; k++) w->inh[k] = vi[k], w->res[k] = vr[k];
    }
    const char *m = w->cell[C_MEASURE], *mc = w->cell[C_MCAT];
    if (*m) {
        w->category = lookup(mc, categories);
        if (!*mc)
            org_import_error_add(r, n, "measure_category", "measure_category (管控措施类别) is required "
                      "with a measure");
        else if (!w->category)
            org_import_error_add(r, n, "measure_category",
                      "measure_category must be engineering, management, training, ppe or "
                      "emergency (工程技术, 管理, 培训教育, 个体防护, 应急处置)");
    } else if (*mc) {
        org_import_error_add(r, n, "measure", "measure (管控措施) is empty but has a category");
    }
    const char *task = w->cell[C_TASK], *fr = w->cell[C_FREQ], *post = w->cell[C_POST];
    if (*task) {
        if (!*m) org_import_error_add(r, n, "measure", "an inspection task (排查内容) belongs to a measure");
        w->frequency = frequency_of(fr, &w->every_hours);
        if (!w->frequency)
            org_import_error_add(r, n, "frequency", "frequency must be 每天, 每周, 每月 or 每N小时 "
                      "(daily, weekly, monthly, Nh)");
        if (!*post) org_import_error_add(r, n, "post_code", "post_code (岗位编码) is required with a task");
    } else if (*fr || *post) {
        org_import_error_add(r, n, "task", "task (排查内容) is empty but has a frequency or post");
    }
    w->bad = r->nerrors + r->omitted != before;
}

/* ------------------------------------------------- agreement between rows */

typedef struct rkey {
    char *key;
    size_t i;
} rkey;

static int rkey_cmp(const void *a, const void *b)
{
    const rkey *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : (x->i > y->i) - (x->i < y->i);
}

static bool same_num(double a, double b) { return (isnan(a) && isnan(b)) || a == b; }

/* The first field in which rows a and b describe the same record of level
 * differently, NULL when they agree. */
static const char *differs(const rrow *a, const rrow *b, int level)
{
    switch (level) {
    case RISK_IMP_OBJECT:
        if (strcmp(a->cell[C_OBJ_NAME], b->cell[C_OBJ_NAME])) return "object_name";
        if (a->kind && b->kind && strcmp(a->kind, b->kind)) return "object_kind";
        if (strcmp(a->cell[C_RESP_NO], b->cell[C_RESP_NO])) return "responsible_no";
        if (strcmp(a->cell[C_RESP_NAME], b->cell[C_RESP_NAME])) return "responsible";
        return NULL;
    case RISK_IMP_UNIT: {
        const char *ra = *a->cell[C_UNIT_RESP_NO] ? a->cell[C_UNIT_RESP_NO] : a->cell[C_RESP_NO];
        const char *rb = *b->cell[C_UNIT_RESP_NO] ? b->cell[C_UNIT_RESP_NO] : b->cell[C_RESP_NO];
        return strcmp(ra, rb) ? "unit_responsible_no" : NULL;
    }
    case RISK_IMP_EVENT: {
        static const char *const names[2][3] = {{"l", "e", "c"}, {"residual_l", "residual_e",
                                                                  "residual_c"}};
        if (strcmp(a->accident, b->accident)) return "accident_type";
        if (a->method && b->method && strcmp(a->method, b->method)) return "method";
        bool ls = a->method && !strcmp(a->method, "LS");
        for (int k = 0; k < 3; k++) {
            if (!same_num(a->inh[k], b->inh[k])) return ls && k == 1 ? "s" : names[0][k];
            if (!same_num(a->res[k], b->res[k])) return ls && k == 1 ? "residual_s" : names[1][k];
        }
        return NULL;
    }
    case RISK_IMP_MEASURE:
        return a->category && b->category && strcmp(a->category, b->category) ? "measure_category"
                                                                              : NULL;
    case RISK_IMP_TASK:
        if (a->frequency && b->frequency &&
            (strcmp(a->frequency, b->frequency) || a->every_hours != b->every_hours))
            return "frequency";
        return strcmp(a->cell[C_POST], b->cell[C_POST]) ? "post_code" : NULL;
    }
    return NULL;
}

static const char *const level_names[] = {"risk object", "risk unit", "risk event", "measure",
                                          "task"};

/* Keys of every level; rows naming one record must agree on it. Marks the
 * first row of each record. */
static ws_err agree(rrow *rows, size_t n, org_import_result *r)
{
    rkey *keys = calloc(n ? n : 1, sizeof *keys);
    if (!keys) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    ws_err rc = WS_OK;
    for (int level = 0; level < RISK_IMP_NLEVELS && !rc; level++) {
        size_t nk = 0;
        for (size_t i = 0; i < n && !rc; i++) {
            const rrow *w = &rows[i];
            if (level == RISK_IMP_MEASURE && !*w->cell[C_MEASURE]) continue;
            if (level == RISK_IMP_TASK && !*w->cell[C_TASK]) continue;
            const char *oc = w->cell[C_OBJ_CODE];
            char *k = NULL;
            int len = asprintf(&k, "%s\x1f%s%s\x1f%s\x1f%s\x1f%s\x1f%s", w->cell[C_UNIT_CODE],
                               *oc ? "c:" : "n:", *oc ? oc : w->cell[C_OBJ_NAME],
                               level >= RISK_IMP_UNIT ? w->cell[C_RUNIT] : "",
                               level >= RISK_IMP_EVENT ? w->cell[C_EVENT] : "",
                               level >= RISK_IMP_MEASURE ? w->cell[C_MEASURE] : "",
                               level >= RISK_IMP_TASK ? w->cell[C_TASK] : "");
            if (len < 0) {
                rc = ws_fail(WS_ENOMEM, NULL, "out of memory");
                break;
            }
            keys[nk].key = k;
            keys[nk++].i = i;
        }
        if (!rc) qsort(keys, nk, sizeof *keys, rkey_cmp);
        for (size_t k = 0; k < nk && !rc; k++) {
            size_t first = k;
            while (first > 0 && !strcmp(keys[first - 1].key, keys[k].key)) first--;
            rrow *w = &rows[keys[k].i];
            if (first == k) {
                w->first[level] = true;
                continue;
            }
            const rrow *f = &rows[keys[first].i];
            const char *field = differs(f, w, level);
            if (field && !w->bad && !f->bad) {
                org_import_error_add(r, w->rownum, field, "%s differs from row %d, which describes the same "
                          "%s", field, f->rownum, level_names[level]);
                w->bad = true;
            }
        }
        for (size_t k = 0; k < nk; k++) free(keys[k].key);
    }
    free(keys);
    return rc;
}

/* ------------------------------------------------------------------ apply */

/* The id of sql's first row for (a, text), 0 when none; *two when a second
 * row exists. */
static ws_err find_id(store_conn *c, const char *sql, int64_t a, const char *text, int64_t *id,
                      bool *two)
{
    store_stmt *st = NULL;
    bool row = false;
    *id = 0;
    if (two) *two = false;
    ws_err rc = store_prepare(c, sql, &st);
    if (!rc) rc = store_bind_int(st, 1, a);
    if (!rc) rc = store_bind_text(st, 2, text);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) {
        *id = store_col_int(st, 0);
        if (two) {
            rc = store_step(st, &row);
            *two = !rc && row;
        }
    }
    store_finalize(st);
    return rc;
}

typedef enum { OUT_NONE, OUT_CREATED, OUT_UPDATED, OUT_UNCHANGED } outcome_t;

static void count(risk_import_result *r, const rrow *w, int level, outcome_t o)
{
    if (!w->first[level]) return;
    int *a = o == OUT_CREATED ? r->created : o == OUT_UPDATED ? r->updated : r->unchanged;
    a[level]++;
    if (o == OUT_CREATED) r->base.created++;
    else if (o == OUT_UPDATED) r->base.updated++;
    else r->base.unchanged++;
}

/* An active person of the enterprise by employee number, else by name. */
static ws_err person_of(store_conn *c, int64_t ent, const char *no, const char *name,
                        const char *field, const rrow *w, org_import_result *r, int64_t *id)
{
    bool two = false;
    ws_err rc = *no ? find_id(c, Q_RISK_IMP_PERSON_BY_EMPNO, ent, no, id, &two)
                    : find_id(c, Q_RISK_IMP_PERSON_BY_NAME, ent, name, id, &two);
    if (rc) return rc;
    if (!*id)
        org_import_error_add(r, w->rownum, *no ? field : "responsible",
                  "no active person %s %s in this enterprise", *no ? "with employee number" : "named",
                  *no ? no : name);
    else if (two) {
        org_import_error_add(r, w->rownum, *no ? field : "responsible",
                  "several people %s %s in this enterprise; give the employee number (工号)",
                  *no ? "have employee number" : "are named", *no ? no : name);
        *id = 0;
    }
    return WS_OK;
}

static const char *const object_rename[] = {"unit_id", "unit_code", "kind", "object_kind",
                                            "code", "object_code", "name", "object_name",
                                            "responsible_person_id", "responsible_no", NULL};
static const char *const unit_rename[] = {"name", "risk_unit", "responsible_person_id",
                                          "unit_responsible_no", NULL};
static const char *const event_rename[] = {
    "description", "event", "accident_type", "accident_type", "method", "method",
    "inherent_l", "l", "inherent_e", "e", "inherent_c", "c", "inherent_s", "s",
    "residual_l", "residual_l", "residual_e", "residual_e", "residual_c", "residual_c",
    "residual_s", "residual_s", NULL};
static const char *const measure_rename[] = {"category", "measure_category", "text", "measure",
                                             NULL};
static const char *const task_rename[] = {"what", "task", "frequency", "frequency",
                                          "every_hours", "frequency", "post_id", "post_code",
                                          NULL};

/* A register function's result: fatal errors stop the import, others are
 * this row's error (false). */
static bool step_ok(ws_err *rc, risk_import_result *r, const rrow *w, const char *const *rename,
                    const char *dflt)
{
    if (!*rc) return true;
    if (!org_import_fatal(*rc)) {
        add_rc_error(&r->base, w->rownum, rename, dflt);
        *rc = WS_OK;
    }
    return false;
}

static ws_err apply_row(store_conn *c, const org_caller *by, const rrow *w,
                        risk_import_result *r)
{
    const auth_subject *s = by ? by->subject : NULL;
    org_import_result *b = &r->base;
    org_unit u;
    ws_err rc = org_unit_by_code(c, w->cell[C_UNIT_CODE], &u);
    if (rc && rc != WS_ENOTFOUND) return rc;
    if (rc || (s && !auth_in_scope(s, u.path))) {
        org_import_error_add(b, w->rownum, "unit_code", "no unit with code %s", w->cell[C_UNIT_CODE]);
        return WS_OK;
    }
    if (s) {
        auth_resource res = {0};
        res.unit_path = u.path;
        rc = auth_decide(s, "risk.write", &res);
        if (rc == WS_EFORBIDDEN || rc == WS_ENOTFOUND) {
            org_import_error_add(b, w->rownum, "unit_code", "you may not change the risk register of unit %s",
                      w->cell[C_UNIT_CODE]);
            return WS_OK;
        }
        if (rc) return rc;
    }
    if (u.enterprise_id <= 0) {
        org_import_error_add(b, w->rownum, "unit_code", "unit %s is not inside an enterprise",
                  w->cell[C_UNIT_CODE]);
        return WS_OK;
    }
    int64_t resp = 0, uresp = 0;
    rc = person_of(c, u.enterprise_id, w->cell[C_RESP_NO], w->cell[C_RESP_NAME], "responsible_no",
                   w, b, &resp);
    if (rc || !resp) return rc;
    if (*w->cell[C_UNIT_RESP_NO]) {
        rc = person_of(c, u.enterprise_id, w->cell[C_UNIT_RESP_NO], "", "unit_responsible_no", w,
                       b, &uresp);
        if (rc || !uresp) return rc;
    } else {
        uresp = resp;
    }

    /* The object. */
    int64_t oid = 0;
    const char *code = w->cell[C_OBJ_CODE];
    rc = find_id(c, *code ? Q_RISK_IMP_OBJECT_BY_CODE : Q_RISK_IMP_OBJECT_BY_NAME, u.id,
                 *code ? code : w->cell[C_OBJ_NAME], &oid, NULL);
    if (rc) return rc;
    if (!oid) {
        risk_object_in in = {.unit_id = u.id, .kind = w->kind, .code = code,
                             .name = w->cell[C_OBJ_NAME], .responsible_person_id = resp};
        rc = risk_object_create(c, by, &in, &oid);
        if (!step_ok(&rc, r, w, object_rename, "object_name")) return rc;
        count(r, w, RISK_IMP_OBJECT, OUT_CREATED);
    } else {
        risk_object o;
        if ((rc = risk_object_get(c, oid, &o))) return rc;
        risk_object_in in = {.kind = w->kind, .name = w->cell[C_OBJ_NAME],
                             .responsible_person_id = resp};
        if (strcmp(o.name, in.name)) in.set |= RISK_SET_NAME;
        if (strcmp(o.kind, in.kind)) in.set |= RISK_SET_KIND;
        if (o.responsible_person_id != resp) in.set |= RISK_SET_RESP;
        if (in.set) {
            rc = risk_object_update(c, by, oid, &in);
            if (!step_ok(&rc, r, w, object_rename, "object_name")) return rc;
        }
        count(r, w, RISK_IMP_OBJECT, in.set ? OUT_UPDATED : OUT_UNCHANGED);
    }

    /* The risk unit. */
    int64_t ruid = 0;
    if ((rc = find_id(c, Q_RISK_IMP_UNIT_FIND, oid, w->cell[C_RUNIT], &ruid, NULL))) return rc;
    if (!ruid) {
        risk_unit_in in = {.object_id = oid, .name = w->cell[C_RUNIT],
                           .responsible_person_id = uresp};
        rc = risk_unit_create(c, by, &in, &ruid);
        if (!step_ok(&rc, r, w, unit_rename, "risk_unit")) return rc;
        count(r, w, RISK_IMP_UNIT, OUT_CREATED);
    } else {
        risk_unit ru;
        if ((rc = risk_unit_get(c, ruid, &ru))) return rc;
        risk_unit_in in = {.responsible_person_id = uresp};
        if (ru.responsible_person_id != uresp) in.set |= RISK_SET_RESP;
        if (in.set) {
            rc = risk_unit_update(c, by, ruid, &in);
            if (!step_ok(&rc, r, w, unit_rename, "risk_unit")) return rc;
        }
        count(r, w, RISK_IMP_UNIT, in.set ? OUT_UPDATED : OUT_UNCHANGED);
    }

    /* The event. */
    int64_t eid = 0;
    if ((rc = find_id(c, Q_RISK_IMP_EVENT_FIND, ruid, w->cell[C_EVENT], &eid, NULL))) return rc;
    risk_event_in ein = {.risk_unit_id = ruid, .description = w->cell[C_EVENT],
                         .accident_type = w->accident, .method = w->method,
                         .has_residual = w->has_res};
    for (int k = 0; k < 3; k++) ein.inherent[k] = w->inh[k], ein.residual[k] = w->res[k];
    if (!eid) {
        rc = risk_event_create(c, by, &ein, &eid);
        if (!step_ok(&rc, r, w, event_rename, "event")) return rc;
        count(r, w, RISK_IMP_EVENT, OUT_CREATED);
    } else {
        risk_event e;
        if ((rc = risk_event_get(c, eid, &e))) return rc;
        if (strcmp(e.accident_type, w->accident)) ein.set |= RISK_SET_EV_TYPE;
        bool same = (e.method == RISK_LS) == !strcmp(w->method, "LS");
        for (int k = 0; k < 3 && same; k++) {
            double ri = w->has_res ? w->res[k] : w->inh[k];
            same = same_num(e.inherent.v[k], w->inh[k]) && same_num(e.residual.v[k], ri);
        }
        if (!same) ein.set |= RISK_SET_EV_ASSESS;
        if (ein.set) {
            rc = risk_event_update(c, by, eid, &ein);
            if (!step_ok(&rc, r, w, event_rename, "event")) return rc;
        }
        count(r, w, RISK_IMP_EVENT, ein.set ? OUT_UPDATED : OUT_UNCHANGED);
    }

    /* The measure and its task. */
    if (!*w->cell[C_MEASURE]) return WS_OK;
    int64_t mid = 0;
    if ((rc = find_id(c, Q_RISK_IMP_MEASURE_FIND, eid, w->cell[C_MEASURE], &mid, NULL))) return rc;
    if (!mid) {
        risk_measure_in in = {.event_id = eid, .category = w->category, .text = w->cell[C_MEASURE]};
        rc = risk_measure_create(c, by, &in, &mid);
        if (!step_ok(&rc, r, w, measure_rename, "measure")) return rc;
        count(r, w, RISK_IMP_MEASURE, OUT_CREATED);
    } else {
        risk_measure m;
        if ((rc = risk_measure_get(c, mid, &m))) return rc;
        risk_measure_in in = {.category = w->category};
        if (strcmp(m.category, w->category)) in.set |= RISK_SET_M_CATEGORY;
        if (in.set) {
            rc = risk_measure_update(c, by, mid, &in);
            if (!step_ok(&rc, r, w, measure_rename, "measure")) return rc;
        }
        count(r, w, RISK_IMP_MEASURE, in.set ? OUT_UPDATED : OUT_UNCHANGED);
    }
    if (!*w->cell[C_TASK]) return WS_OK;
    org_post p;
    rc = org_post_find(c, u.enterprise_id, w->cell[C_POST], &p);
    if (rc && rc != WS_ENOTFOUND) return rc;
    if (rc || !p.active) {
        org_import_error_add(b, w->rownum, "post_code", "no post %s in this enterprise", w->cell[C_POST]);
        return WS_OK;
    }
    int64_t tid = 0;
    if ((rc = find_id(c, Q_RISK_IMP_TASK_FIND, mid, w->cell[C_TASK], &tid, NULL))) return rc;
    risk_task_in tin = {.measure_id = mid, .what = w->cell[C_TASK], .frequency = w->frequency,
                        .every_hours = !strcmp(w->frequency, "hours") ? w->every_hours : 0,
                        .post_id = p.id};
    if (!tid) {
        rc = risk_task_create(c, by, &tin, &tid);
        if (!step_ok(&rc, r, w, task_rename, "task")) return rc;
        count(r, w, RISK_IMP_TASK, OUT_CREATED);
    } else {
        risk_task t;
        if ((rc = risk_task_get(c, tid, &t))) return rc;
        if (strcmp(t.frequency, tin.frequency) || t.every_hours != tin.every_hours)
            tin.set |= RISK_SET_T_FREQ | RISK_SET_T_HOURS;
        if (t.post_id != p.id) tin.set |= RISK_SET_T_POST;
        if (tin.set) {
            rc = risk_task_update(c, by, tid, &tin);
            if (!step_ok(&rc, r, w, task_rename, "task")) return rc;
        }
        count(r, w, RISK_IMP_TASK, tin.set ? OUT_UPDATED : OUT_UNCHANGED);
    }
    return WS_OK;
}

ws_err risk_import(store_conn *c, const org_caller *by, const char *data, size_t len,
                   bool dry_run, risk_import_result *r)
{
    memset(r, 0, sizeof *r);
    if (by && by->subject) {
        ws_err rc = auth_decide(by->subject, "import.run", NULL);
        if (rc) return rc;
    }
    if (store_in_tx(c)) return ws_fail(WS_EINTERNAL, NULL, "import runs its own transaction");
    org_table t;
    int idx[C_NCOLS];
    ws_err rc = org_table_read(data, len, ORG_IMPORT_MAX_ROWS, &t);
    if (rc) return rc;
    map_header(&t, idx, &r->base);
    size_t n = t.nrows - 1;
    rrow *rows = calloc(n ? n : 1, sizeof *rows);
    if (!rows) {
        rc = ws_fail(WS_ENOMEM, NULL, "out of memory");
        goto out;
    }
    if (r->base.nerrors) goto done;
    for (size_t i = 0; i < n; i++) {
        rows[i].rownum = t.rows[i + 1].rownum;
        for (int k = 0; k < C_NCOLS; k++) rows[i].cell[k] = cell(&t.rows[i + 1], idx, k);
        check_row(&rows[i], &r->base);
    }
    if ((rc = agree(rows, n, &r->base))) goto out;
    risk_rules act;
    if ((rc = risk_rules_active(c, &act))) goto out; /* stores the built-in set when none is */
    if ((rc = store_begin(c))) goto out;
    for (size_t i = 0; !rc && i < n; i++) {
        if (rows[i].bad) continue;
        rc = apply_row(c, by, &rows[i], r);
        if (rc) org_import_error_add(&r->base, rows[i].rownum, "event", "%s", ws_err_message());
    }
    if (rc) {
        char msg[256];
        snprintf(msg, sizeof msg, "%s", ws_err_message());
        store_rollback(c);
        rc = ws_fail(rc, NULL, "%s", msg);
        goto out;
    }
    if (r->base.nerrors || dry_run) store_rollback(c);
    else rc = store_commit(c);
    if (rc) goto out;
done:
    rc = org_import_outcome(&r->base);
out:
    free(rows);
    org_table_free(&t);
    return rc;
}
