/* rules.c — the GB 30871 compliance engine (see permit_rules.h): pr_check,
 * which judges a permit snapshot against a rule profile at a given instant
 * and stage. The profile is read from JSON into typed rules by rules_parse.c;
 * the types both share are rules_int.h.
 *
 * The kinds of rule are code (enum kind in rules_int.h, one judging function each);
 * their numbers, clauses and the types they apply to are the profile's data.
 * pr_check first settles the effective grade (grade, hot tapping, the
 * night/holiday upgrade), then walks the profile in order and writes one
 * verdict per rule that applies to the permit's type and the stage. Nothing
 * here reads the clock or the store; local time comes from ledger_tz_offset.
 * The JSON form of a snapshot (pr_permit_from_json) lives in snapshot.c. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "ledger/ledger.h"
#include "permit/rules_int.h"

/* ---------------------------------------------------------------- names */

static const char *const TYPE_NAMES[PT_COUNT] = {"hot_work",       "confined_space", "blind_plate",
                                                 "work_at_height", "lifting",        "temporary_power",
                                                 "excavation",     "road_closure"};
static const char *const TYPE_LABELS[PT_COUNT] = {"动火作业", "受限空间作业", "盲板抽堵作业",
                                                  "高处作业", "吊装作业",     "临时用电作业",
                                                  "动土作业", "断路作业"};

const char *pr_type_name(pr_type t)
{
    return (unsigned)t < PT_COUNT ? TYPE_NAMES[t] : "";
}

const char *pr_type_label(pr_type t)
{
    return (unsigned)t < PT_COUNT ? TYPE_LABELS[t] : "";
}

int pr_type_of(const char *name)
{
    for (int i = 0; name && i < PT_COUNT; i++)
        if (!strcmp(name, TYPE_NAMES[i])) return i;
    return -1;
}

static const char *const STAGE_NAMES[] = {"precheck", "activate", "resume", "running", "audit"};

const char *pr_stage_name(pr_stage s)
{
    return (unsigned)s <= PR_STAGE_AUDIT ? STAGE_NAMES[s] : "";
}

int pr_stage_of(const char *name)
{
    for (int i = 0; name && i <= PR_STAGE_AUDIT; i++)
        if (!strcmp(name, STAGE_NAMES[i])) return i;
    return -1;
}

/* "special" -> "特级", "1" -> "一级" ... for evidence. Static. */
static const char *grade_zh(const char *g)
{
    static const char *const zh[] = {"", "一级", "二级", "三级", "四级"};
    if (!g || !*g) return "无等级";
    if (!strcmp(g, "special")) return "特级";
    if (g[0] >= '1' && g[0] <= '4' && !g[1]) return zh[g[0] - '0'];
    return g;
}

/* ---------------------------------------------------------------- time */


static long floor_div(int64_t a, int64_t b)
{
    return (long)(a >= 0 ? a / b : -((-a + b - 1) / b));
}

static const char *tz_of(const pr_permit *p)
{
    return p->tz[0] ? p->tz : "Asia/Shanghai";
}

/* ms UTC -> local ms (wall clock as if UTC). */
static int64_t to_local(const pr_permit *p, int64_t ms)
{
    return ms + (int64_t)ledger_tz_offset(tz_of(p), ms) * MIN_MS;
}

static char *fmt_local(const pr_permit *p, int64_t ms, bool with_time, char *out, size_t cap)
{
    return ledger_format_time(ms, tz_of(p), with_time, out, cap);
}

/* "8 小时 1 分" / "8 h 1 min" style duration into zh and en. */
static void fmt_dur(int64_t ms, char *zh, size_t zcap, char *en, size_t ecap)
{
    int64_t mins = (ms + MIN_MS - 1) / MIN_MS;
    long long d = mins / 1440, h = (mins % 1440) / 60, m = mins % 60;
    if (d && !h && !m) {
        sf(zh, zcap, "%lld 天", d);
        sf(en, ecap, "%lld d", d);
    } else if (d) {
        sf(zh, zcap, "%lld 天 %lld 小时 %lld 分", d, h, m);
        sf(en, ecap, "%lld d %lld h %lld min", d, h, m);
    } else if (!m) {
        sf(zh, zcap, "%lld 小时", h);
        sf(en, ecap, "%lld h", h);
    } else {
        sf(zh, zcap, "%lld 小时 %lld 分", h, m);
        sf(en, ecap, "%lld h %lld min", h, m);
    }
}

/* Whole minutes, rounded up: 30 min 00 s -> 30, 30 min 01 s -> 31. */
static long long ceil_min(int64_t ms)
{
    return ms <= 0 ? 0 : (long long)((ms + MIN_MS - 1) / MIN_MS);
}

/* ---------------------------------------------------------------- grades */

static const char *height_grade(double h, const double *b)
{
    if (h < b[0] - EPS) return "";
    if (h <= b[1] + EPS) return "1";
    if (h <= b[2] + EPS) return "2";
    if (h <= b[3] + EPS) return "3";
    return "4";
}

static const char *mass_grade(double m, const double *b)
{
    if (m <= 0) return "";
    if (m < b[0] - EPS) return "3";
    if (m <= b[1] + EPS) return "2";
    return "1";
}

static const double HEIGHT_BOUNDS[4] = {2, 5, 15, 30}; /* GB/T 3608-2008 */
static const double MASS_BOUNDS[2] = {40, 100};        /* GB 30871 吊装 */

const char *pr_grade_of(const pr_permit *p, char *out, size_t cap)
{
    const char *g = p->grade;
    if (p->type == PT_WORK_AT_HEIGHT && p->height_m > 0) g = height_grade(p->height_m, HEIGHT_BOUNDS);
    else if (p->type == PT_LIFTING && p->mass_t > 0) g = mass_grade(p->mass_t, MASS_BOUNDS);
    sf(out, cap, "%s", g);
    return out;
}

/* ---------------------------------------------------------------- check */

typedef struct cctx {
    const pr_profile *pf;
    const pr_calendar *cal;
    const pr_permit *p;
    int64_t now;
    pr_stage stage;
    pr_report *out;
    char base_grade[PR_GRADE_MAX];
    char eff_grade[PR_GRADE_MAX];
} cctx;

static bool applies(const rule *r, pr_type t)
{
    return (r->types >> t) & 1u;
}

static const rule *find_kind(const pr_profile *pf, kind k, pr_type t)
{
    for (int i = 0; i < pf->n; i++)
        if (pf->rules[i].k == k && pf->rules[i].applicable && applies(&pf->rules[i], t))
            return &pf->rules[i];
    return NULL;
}

static const gnum *lookup_num(const rule *r, const char *grade)
{
    for (int i = 0; i < r->nnum; i++)
        if (!strcmp(r->num[i].g, grade)) return &r->num[i];
    for (int i = 0; i < r->nnum; i++)
        if (!strcmp(r->num[i].g, "*")) return &r->num[i];
    return NULL;
}

static const gchain *lookup_chain(const rule *r, const char *grade)
{
    for (int i = 0; i < r->nchain; i++)
        if (!strcmp(r->chain[i].g, grade)) return &r->chain[i];
    for (int i = 0; i < r->nchain; i++)
        if (!strcmp(r->chain[i].g, "*")) return &r->chain[i];
    return NULL;
}

static pr_verdict *verdict(cctx *c, const rule *r)
{
    pr_report *o = c->out;
    if (o->n >= PR_MAX_RULES) return NULL;
    pr_verdict *v = &o->v[o->n++];
    memset(v, 0, sizeof *v);
    sf(v->rule, sizeof v->rule, "%s", r->id);
    sf(v->clause, sizeof v->clause, "%s", r->clause);
    sf(v->edition, sizeof v->edition, "%s", r->edition);
    v->confirmed = r->confirmed;
    v->result = PR_PASS;
    return v;
}

static void say(pr_verdict *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(pr_verdict *v, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->evidence, sizeof v->evidence, fmt, ap);
    va_end(ap);
}

static void fail(cctx *c, pr_verdict *v, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void fail(cctx *c, pr_verdict *v, const char *field, const char *fmt, ...)
{
    va_list ap;
    v->result = PR_FAIL;
    sf(v->field, sizeof v->field, "%s", field ? field : "");
    va_start(ap, fmt);
    vsnprintf(v->evidence, sizeof v->evidence, fmt, ap);
    va_end(ap);
}

static void na(pr_verdict *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void na(pr_verdict *v, const char *fmt, ...)
{
    va_list ap;
    v->result = PR_NA;
    va_start(ap, fmt);
    vsnprintf(v->evidence, sizeof v->evidence, fmt, ap);
    va_end(ap);
}

/* The instant the stage judges "before start" against: now, or for an
 * audit the first activation (0 = never activated). */
static int64_t ref_time(const cctx *c)
{
    return c->stage == PR_STAGE_AUDIT ? c->p->activated_ms : c->now;
}

static const char *GAS_ZH[] = {"可燃气体", "氧气", "有毒气体"};
static const char *GAS_EN[] = {"combustible", "O2", "toxic"};
static const char *UNIT_NAMES[] = {"%LEL", "%vol", "mg/m3", "ppm"};

/* Judge one sample against the profile's criteria for the permit's type.
 * Returns true when it passes; why gets the evidence either way. */
static bool judge_gas(const cctx *c, const pr_gas *g, char *why, size_t cap)
{
    const pr_permit *p = c->p;
    switch (g->kind) {
    case PR_GAS_COMBUSTIBLE: {
        const rule *r = find_kind(c->pf, K_COMBUSTIBLE, p->type);
        if (!r) {
            sf(why, cap, "可燃气体 %g%s (combustible %g %s; no criterion)", g->value,
                     UNIT_NAMES[g->unit], g->value, UNIT_NAMES[g->unit]);
            return true;
        }
        if (g->unit == PR_UNIT_PCT_LEL) {
            bool ok = g->value <= r->portable_max_lel + EPS;
            sf(why, cap, "可燃气体 %g%%LEL, 上限 %g%%LEL (combustible %g %%LEL; limit %g)", g->value,
                     r->portable_max_lel, g->value, r->portable_max_lel);
            return ok;
        }
        if (g->unit == PR_UNIT_PCT_VOL) {
            bool high = g->lel_pct_vol >= r->lel_split - EPS;
            double lim = high ? r->vol_high : r->vol_low;
            bool ok = g->value <= lim + EPS;
            sf(why, cap, "可燃气体 %g%%vol, 爆炸下限%s%g%%时上限 %g%%vol (combustible %g %%vol; limit %g)",
                     g->value, high ? "≥" : "<", r->lel_split, lim, g->value, lim);
            return ok;
        }
        sf(why, cap, "可燃气体单位 %s 无法判定, 须用 %%LEL 或 %%vol (unit %s not judged)",
                 UNIT_NAMES[g->unit], UNIT_NAMES[g->unit]);
        return false;
    }
    case PR_GAS_OXYGEN: {
        const rule *r = find_kind(c->pf, K_OXYGEN, p->type);
        if (!r) {
            sf(why, cap, "氧含量 %g%% (O2 %g %%; no criterion)", g->value, g->value);
            return true;
        }
        if (g->unit != PR_UNIT_PCT_VOL) {
            sf(why, cap, "氧含量单位须为 %%vol (O2 unit must be %%vol)");
            return false;
        }
        double hi = p->enriched_oxygen ? r->o2_max_enriched : r->o2_max;
        bool ok = g->value >= r->o2_min - EPS && g->value <= hi + EPS;
        sf(why, cap, "氧含量 %g%%vol, 合格范围 %g–%g%%vol (O2 %g %%vol; range %g–%g)", g->value,
                 r->o2_min, hi, g->value, r->o2_min, hi);
        return ok;
    }
    case PR_GAS_TOXIC: {
        const rule *r = find_kind(c->pf, K_TOXIC, p->type);
        if (!r) {
            sf(why, cap, "有毒气体 %s %g%s (toxic; no criterion)", g->substance, g->value,
                     UNIT_NAMES[g->unit]);
            return true;
        }
        if (g->limit <= 0) {
            sf(why, cap, "有毒气体 %s 未给出 GBZ 2.1 限值 (toxic %s: no exposure limit)",
                     g->substance, g->substance);
            return false;
        }
        bool ok = g->value <= g->limit + EPS;
        sf(why, cap, "有毒气体 %s %g%s, 限值 %g (toxic %s %g; limit %g)", g->substance, g->value,
                 UNIT_NAMES[g->unit], g->limit, g->substance, g->value, g->limit);
        return ok;
    }
    }
    sf(why, cap, "unknown gas kind");
    return false;
}

/* Index of the latest sample of gas kind k at or before ref and not before
 * since; -1 if none. */
static int latest_of(const pr_permit *p, pr_gas_kind k, int64_t since, int64_t ref)
{
    int best = -1;
    for (int i = 0; i < p->ngas; i++) {
        const pr_gas *g = &p->gas[i];
        if (g->kind != k || g->at_ms > ref || g->at_ms < since) continue;
        if (best < 0 || g->at_ms >= p->gas[best].at_ms) best = i;
    }
    return best;
}

/* A passing test of every kind in kinds within max_age before ref, taken
 * no earlier than since. On failure writes the verdict. */
static bool timed_test(cctx *c, pr_verdict *v, unsigned kinds, int64_t since, int64_t ref,
                       double max_age_min, const char *zh_when, const char *en_when)
{
    const pr_permit *p = c->p;
    int64_t max_ms = (int64_t)llround(max_age_min * MIN_MS);
    int64_t oldest_age = -1;
    for (int k = 0; k < 3; k++) {
        if (!((kinds >> k) & 1u)) continue;
        int i = latest_of(p, (pr_gas_kind)k, since, ref);
        char field[24];
        sf(field, sizeof field, "gas");
        if (i < 0) {
            fail(c, v, field, "%s无%s分析; 须在 %g 分钟内 (no %s test %s; limit %g min)", zh_when,
                 GAS_ZH[k], max_age_min, GAS_EN[k], en_when, max_age_min);
            return false;
        }
        char why[160];
        if (!judge_gas(c, &p->gas[i], why, sizeof why)) {
            sf(field, sizeof field, "gas[%d]", i);
            fail(c, v, field, "最近一次%s分析不合格: %s", GAS_ZH[k], why);
            return false;
        }
        int64_t age = ref - p->gas[i].at_ms;
        if (age > max_ms) {
            sf(field, sizeof field, "gas[%d]", i);
            fail(c, v, field, "气体分析在%s %lld 分钟; 上限 %g 分钟 (gas test %lld min %s; limit %g)",
                 zh_when, ceil_min(age), max_age_min, ceil_min(age), en_when, max_age_min);
            return false;
        }
        if (age > oldest_age) oldest_age = age;
    }
    say(v, "气体分析在%s %lld 分钟; 上限 %g 分钟 (gas test %lld min %s; limit %g)", zh_when,
        ceil_min(oldest_age), max_age_min, ceil_min(oldest_age), en_when, max_age_min);
    return true;
}

static int grade_index(const char grades[][PR_GRADE_MAX], int n, const char *g)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(grades[i], g)) return i;
    return -1;
}

/* Night, holiday or rest day in the planned window; reason gets a text. */
static bool upgrade_due(cctx *c, const rule *r, char *reason, size_t cap, char *note, size_t ncap)
{
    const pr_permit *p = c->p;
    int64_t s = p->planned_start_ms, e = p->planned_end_ms;
    reason[0] = note[0] = 0;
    if (!s || !e || e <= s) return false;
    int64_t ls = to_local(p, s), le = to_local(p, e);
    long d0 = floor_div(ls, DAY_MS), d1 = floor_div(le - 1, DAY_MS);
    if (d1 - d0 > 400) d1 = d0 + 400;
    bool due = false;
    size_t len = 0;
    if (r->holidays || r->rest_days) {
        for (long d = d0; d <= d1 && !due; d++) {
            int64_t yy;
            int m, dd;
            clock_civil_from_days(d, &yy, &m, &dd);
            int y = (int)yy;
            const char *name = NULL;
            bool known = true;
            int dk = pr_calendar_day(c->cal, y, m, dd, &name, &known);
            if (!known && !note[0])
                sf(note, ncap, "; 日历缺 %d 年数据, 仅按周末判断 (calendar lacks %d; weekends only)", y, y);
            if ((dk == 2 && r->holidays) || (dk == 1 && r->rest_days)) {
                due = true;
                len += (size_t)sf(reason + len, cap - len, "%04d-%02d-%02d %s", y, m, dd,
                                        dk == 2 ? (name ? name : "法定节假日") : "休息日");
            }
        }
    }
    for (long d = d0 - 1; d <= d1; d++) {
        int64_t ns = d * DAY_MS + (int64_t)r->night_from * MIN_MS;
        int64_t ne = (r->night_to <= r->night_from ? (d + 1) * DAY_MS : d * DAY_MS) +
                     (int64_t)r->night_to * MIN_MS;
        if (ls < ne && le > ns) {
            if (len < cap)
                len += (size_t)sf(reason + len, cap - len, "%s夜间 %02d:%02d–%02d:%02d",
                                        len ? "; " : "", r->night_from / 60, r->night_from % 60,
                                        r->night_to / 60, r->night_to % 60);
            due = true;
            break;
        }
    }
    return due;
}

/* Settle the applied and effective grades before the rules run. */
static void settle_grade(cctx *c)
{
    const pr_permit *p = c->p;
    pr_report *o = c->out;
    const rule *gm = find_kind(c->pf, K_GRADE_MEASURED, p->type);
    if (gm && gm->basis == 0 && p->height_m > 0)
        sf(c->base_grade, sizeof c->base_grade, "%s", height_grade(p->height_m, gm->bounds));
    else if (gm && gm->basis == 1 && p->mass_t > 0)
        sf(c->base_grade, sizeof c->base_grade, "%s", mass_grade(p->mass_t, gm->bounds));
    else
        pr_grade_of(p, c->base_grade, sizeof c->base_grade);
    const rule *gr = find_kind(c->pf, K_GRADE, p->type);
    if (gr && p->hot_tapping) sf(c->base_grade, sizeof c->base_grade, "%s", gr->hot_tapping);
    sf(c->eff_grade, sizeof c->eff_grade, "%s", c->base_grade);
    const rule *up = find_kind(c->pf, K_GRADE_UPGRADE, p->type);
    if (gr && up) {
        char note[160];
        if (upgrade_due(c, up, o->upgrade_reason, sizeof o->upgrade_reason, note, sizeof note)) {
            int i = grade_index(gr->grades, gr->ngrades, c->base_grade);
            if (i > 0) sf(c->eff_grade, sizeof c->eff_grade, "%s", gr->grades[i - 1]);
        }
    }
    sf(o->effective_grade, sizeof o->effective_grade, "%s", c->eff_grade);
}

static bool window_ok(cctx *c, pr_verdict *v)
{
    const pr_permit *p = c->p;
    if (!p->planned_start_ms) {
        fail(c, v, "planned_start", "未填写计划开始时间 (planned start missing)");
        return false;
    }
    if (!p->planned_end_ms || p->planned_end_ms <= p->planned_start_ms) {
        fail(c, v, "planned_end", "计划结束时间未填写或早于开始 (planned end missing or before start)");
        return false;
    }
    return true;
}

/* The stage's checks of now against the window [start, end). */
static void window_now(cctx *c, pr_verdict *v, int64_t end)
{
    const pr_permit *p = c->p;
    char t1[24], t2[24];
    switch (c->stage) {
    case PR_STAGE_PRECHECK:
        if (c->now >= end)
            fail(c, v, "planned_end", "有效期已于 %s 结束 (validity ended %s)",
                 fmt_local(p, end, true, t1, sizeof t1), t1);
        break;
    case PR_STAGE_ACTIVATE:
        if (c->now < p->planned_start_ms)
            fail(c, v, "planned_start", "未到计划开始时间 %s (before the planned start %s)",
                 fmt_local(p, p->planned_start_ms, true, t1, sizeof t1), t1);
        else if (c->now >= end)
            fail(c, v, "planned_end", "有效期已于 %s 结束 (validity ended %s)",
                 fmt_local(p, end, true, t1, sizeof t1), t1);
        break;
    case PR_STAGE_RESUME:
    case PR_STAGE_RUNNING:
        if (c->now >= end) {
            fail(c, v, "planned_end", "有效期已于 %s 结束, 超出 %lld 分钟 (validity ended %s)",
                 fmt_local(p, end, true, t1, sizeof t1), ceil_min(c->now - end), t1);
            if (c->stage == PR_STAGE_RUNNING) v->effect = PR_EFFECT_EXPIRE;
        }
        break;
    case PR_STAGE_AUDIT:
        if (p->activated_ms && (p->activated_ms < p->planned_start_ms || p->activated_ms >= end))
            fail(c, v, "activated", "作业于 %s 开始, 不在有效期 %s 起内 (activated outside the window)",
                 fmt_local(p, p->activated_ms, true, t1, sizeof t1),
                 fmt_local(p, p->planned_start_ms, true, t2, sizeof t2));
        break;
    }
}

static void r_validity(cctx *c, const rule *r, pr_verdict *v)
{
    const pr_permit *p = c->p;
    if (!window_ok(c, v)) return;
    int64_t len = p->planned_end_ms - p->planned_start_ms;
    char zh[48], en[48], lz[48], le[48];
    fmt_dur(len, zh, sizeof zh, en, sizeof en);
    int64_t end = p->planned_end_ms;
    if (r->same_day) {
        int64_t ls = to_local(p, p->planned_start_ms), lend = to_local(p, p->planned_end_ms);
        long d0 = floor_div(ls, DAY_MS);
        int64_t day_end = (d0 + 1) * DAY_MS;
        c->out->validity_ms = day_end - ls;
        if (lend > day_end) {
            char t1[24], t2[24];
            fail(c, v, "planned_end", "开始 %s, 结束 %s; 须当日有效 (valid the same day only)",
                 fmt_local(p, p->planned_start_ms, true, t1, sizeof t1),
                 fmt_local(p, p->planned_end_ms, true, t2, sizeof t2));
            return;
        }
        say(v, "有效期 %s, 当日有效 (validity %s; same day)", zh, en);
    } else {
        const gnum *g = lookup_num(r, c->eff_grade);
        if (!g) {
            fail(c, v, "grade", "规则未给出%s的有效期 (no validity for grade %s)", grade_zh(c->eff_grade),
                 c->eff_grade);
            return;
        }
        int64_t max = (int64_t)llround(g->v * HOUR_MS);
        c->out->validity_ms = max;
        fmt_dur(max, lz, sizeof lz, le, sizeof le);
        if (len > max) {
            fail(c, v, "planned_end", "有效期 %s, %s上限 %s (validity %s; limit %s)", zh,
                 grade_zh(c->eff_grade), lz, en, le);
            return;
        }
        say(v, "有效期 %s, %s上限 %s (validity %s; limit %s)", zh, grade_zh(c->eff_grade), lz, en, le);
    }
    window_now(c, v, end);
}

static void r_temp_power(cctx *c, const rule *r, pr_verdict *v)
{
    const pr_permit *p = c->p;
    if (!window_ok(c, v)) return;
    int64_t len = p->planned_end_ms - p->planned_start_ms;
    int64_t base = (int64_t)llround(r->days * DAY_MS), max = (int64_t)llround(r->max_days * DAY_MS);
    bool reason = p->extension_reason[0] != 0;
    char zh[48], en[48];
    fmt_dur(len, zh, sizeof zh, en, sizeof en);
    c->out->validity_ms = reason ? max : base;
    if (len > max) {
        fail(c, v, "planned_end", "临时用电有效期 %s, 最长 %g 天 (temporary power %s; never over %g d)", zh,
             r->max_days, en, r->max_days);
        return;
    }
    if (len > base && !reason) {
        fail(c, v, "extension_reason", "临时用电有效期 %s 超过 %g 天, 未填写延期理由 (%s over %g d without a reason)",
             zh, r->days, en, r->days);
        return;
    }
    if (r->within_served && p->served_end_ms) {
        if (p->planned_start_ms < p->served_start_ms || p->planned_end_ms > p->served_end_ms) {
            char t1[24], t2[24];
            fail(c, v, "planned_end", "临时用电时间超出所服务作业票 %s 至 %s (outside the served permit's window)",
                 fmt_local(p, p->served_start_ms, true, t1, sizeof t1),
                 fmt_local(p, p->served_end_ms, true, t2, sizeof t2));
            return;
        }
    }
    say(v, "临时用电有效期 %s, 上限 %g 天%s (temporary power %s; limit %g d)", zh, reason ? r->max_days : r->days,
        reason ? " (已填延期理由)" : "", en, reason ? r->max_days : r->days);
    window_now(c, v, p->planned_end_ms);
}

static void r_grade(cctx *c, const rule *r, pr_verdict *v)
{
    const pr_permit *p = c->p;
    if (grade_index(r->grades, r->ngrades, p->grade) < 0) {
        fail(c, v, "grade", "动火等级未填写或无效 \"%s\" (hot-work grade missing or unknown)", p->grade);
        return;
    }
    if (p->hot_tapping && strcmp(p->grade, r->hot_tapping)) {
        fail(c, v, "grade", "带压不置换动火须为%s, 申请为%s (hot tapping is grade %s; applied %s)",
             grade_zh(r->hot_tapping), grade_zh(p->grade), r->hot_tapping, p->grade);
        return;
    }
    say(v, "申请%s, 执行%s (applied %s; effective %s)", grade_zh(p->grade), grade_zh(c->eff_grade), p->grade,
        c->eff_grade);
}

static void r_grade_measured(cctx *c, const rule *r, pr_verdict *v)
{
    const pr_permit *p = c->p;
    double val = r->basis == 0 ? p->height_m : p->mass_t;
    const char *field = r->basis == 0 ? "height_m" : "mass_t";
    if (val <= 0) {
        fail(c, v, field, "%s (%s missing)", r->basis == 0 ? "未填写作业高度" : "未填写吊装质量", field);
        return;
    }
    const char *g = r->basis == 0 ? height_grade(val, r->bounds) : mass_grade(val, r->bounds);
    if (!*g) {
        na(v, "作业高度 %g m 低于 %g m, 不属于高处作业 (%g m: below %g m)", val, r->bounds[0], val,
           r->bounds[0]);
        return;
    }
    if (p->grade[0] && strcmp(p->grade, g)) {
        fail(c, v, "grade", "申请%s, 但%s %g %s 对应%s (applied %s; %g %s is grade %s)", grade_zh(p->grade),
             r->basis == 0 ? "高度" : "质量", val, r->basis == 0 ? "m" : "t", grade_zh(g), p->grade, val,
             r->basis == 0 ? "m" : "t", g);
        return;
    }
    say(v, "%s %g %s 为%s (%g %s: grade %s)", r->basis == 0 ? "高度" : "质量", val, r->basis == 0 ? "m" : "t",
        grade_zh(g), val, r->basis == 0 ? "m" : "t", g);
}

static void r_upgrade(cctx *c, const rule *r, pr_verdict *v)
{
    char reason[PR_TEXT_MAX], note[160];
    if (!c->p->planned_start_ms || !c->p->planned_end_ms) {
        na(v, "未填写作业时间, 无法判断是否升级 (no planned window)");
        return;
    }
    bool due = upgrade_due(c, r, reason, sizeof reason, note, sizeof note);
    if (!due) say(v, "非夜间、非节假日, 不升级 (no upgrade)%s", note);
    else if (strcmp(c->base_grade, c->eff_grade))
        say(v, "%s: %s升为%s (upgraded %s -> %s)%s", reason, grade_zh(c->base_grade), grade_zh(c->eff_grade),
            c->base_grade, c->eff_grade, note);
    else
        say(v, "%s: 已是最高等级%s (already the highest grade)%s", reason, grade_zh(c->eff_grade), note);
}

static void r_gas_before(cctx *c, const rule *r, pr_verdict *v)
{
    unsigned kinds = r->kinds_of[c->p->type];
    if (!kinds) {
        na(v, "该类作业无需气体分析 (no gas test for this type)");
        return;
    }
    int64_t ref = ref_time(c);
    if (!ref) {
        na(v, "作业未开始 (never activated)");
        return;
    }
    timed_test(c, v, kinds, INT64_MIN, ref, r->max_age_min, "开始作业前", "before start");
}

static void r_gas_break(cctx *c, const rule *r, pr_verdict *v)
{
    const pr_permit *p = c->p;
    int64_t from, to;
    if (c->stage == PR_STAGE_RESUME) {
        from = p->suspended_ms;
        to = c->now;
    } else { /* audit: the last break, when the snapshot kept its start */
        from = p->suspended_ms;
        to = p->resumed_ms;
    }
    if (!from || !to || to < from) {
        na(v, "无中断记录 (no break on record)");
        return;
    }
    const gnum *g = lookup_num(r, c->eff_grade);
    if (!g) {
        na(v, "%s无中断重测要求 (no re-test rule for grade %s)", grade_zh(c->eff_grade), c->eff_grade);
        return;
    }
    int64_t brk = to - from;
    if (brk <= (int64_t)llround(g->v * MIN_MS)) {
        say(v, "中断 %lld 分钟, 未超过 %g 分钟, 无需重新分析 (break %lld min; limit %g)", ceil_min(brk), g->v,
            ceil_min(brk), g->v);
        return;
    }
    char zh[64], en[64];
    sf(zh, sizeof zh, "中断 %lld 分钟后恢复前", ceil_min(brk));
    sf(en, sizeof en, "before resuming after a %lld min break", ceil_min(brk));
    timed_test(c, v, r->kinds_of[p->type], from, to, r->max_age_min, zh, en);
}

static bool grade_listed(const rule *r, const char *g)
{
    return grade_index(r->grades, r->ngrades, g) >= 0;
}

static void r_gas_cont(cctx *c, const rule *r, pr_verdict *v)
{
    if (!grade_listed(r, c->eff_grade)) {
        na(v, "%s不要求连续监测 (grade %s: no continuous monitoring required)", grade_zh(c->eff_grade),
           c->eff_grade);
        return;
    }
    if (!c->p->continuous_monitor) {
        fail(c, v, "continuous_monitor", "%s动火须连续监测气体, 未配置 (grade %s needs continuous gas monitoring)",
             grade_zh(c->eff_grade), c->eff_grade);
        if (c->stage == PR_STAGE_RUNNING) v->effect = PR_EFFECT_SUSPEND;
        return;
    }
    say(v, "%s动火已配置连续监测 (continuous monitoring on)", grade_zh(c->eff_grade));
}

static void r_gas_periodic(cctx *c, const rule *r, pr_verdict *v)
{
    const pr_permit *p = c->p;
    unsigned kinds = r->kinds_of[p->type];
    int64_t max = (int64_t)llround(r->interval_min * MIN_MS);
    int64_t worst = 0;
    for (int k = 0; k < 3; k++) {
        if (!((kinds >> k) & 1u)) continue;
        int i = latest_of(p, (pr_gas_kind)k, INT64_MIN, c->now);
        if (i < 0) {
            fail(c, v, "gas", "作业中无%s分析记录 (no %s test on record)", GAS_ZH[k], GAS_EN[k]);
            v->effect = PR_EFFECT_SUSPEND;
            return;
        }
        int64_t age = c->now - p->gas[i].at_ms;
        if (age > max) {
            fail(c, v, "gas", "上次%s分析在 %lld 分钟前; 间隔上限 %g 分钟 (last %s test %lld min ago; interval %g)",
                 GAS_ZH[k], ceil_min(age), r->interval_min, GAS_EN[k], ceil_min(age), r->interval_min);
            v->effect = PR_EFFECT_SUSPEND;
            return;
        }
        if (age > worst) worst = age;
    }
    say(v, "上次气体分析在 %lld 分钟前; 间隔上限 %g 分钟 (last test %lld min ago; interval %g)", ceil_min(worst),
        r->interval_min, ceil_min(worst), r->interval_min);
}

/* Criteria rules: the latest sample per (kind, position, substance) at or
 * before the reference instant. */
static void r_criteria(cctx *c, const rule *r, pr_verdict *v, pr_gas_kind k)
{
    const pr_permit *p = c->p;
    int64_t ref = ref_time(c);
    if (!ref) {
        na(v, "作业未开始 (never activated)");
        return;
    }
    int judged = 0;
    char why[160];
    for (int i = 0; i < p->ngas; i++) {
        const pr_gas *g = &p->gas[i];
        if (g->kind != k || g->at_ms > ref) continue;
        bool superseded = false;
        for (int j = 0; j < p->ngas; j++) {
            const pr_gas *h = &p->gas[j];
            if (j != i && h->kind == k && h->at_ms <= ref && !strcmp(h->position, g->position) &&
                !strcmp(h->substance, g->substance) && (h->at_ms > g->at_ms || (h->at_ms == g->at_ms && j > i)))
                superseded = true;
        }
        if (superseded) continue;
        judged++;
        if (!judge_gas(c, g, why, sizeof why)) {
            char field[24];
            sf(field, sizeof field, "gas[%d]", i);
            fail(c, v, field, "%s%s%s", why, g->position[0] ? " @" : "", g->position);
            if (c->stage == PR_STAGE_RUNNING) v->effect = PR_EFFECT_SUSPEND;
            return;
        }
    }
    if (!judged) {
        if (k == PR_GAS_TOXIC) {
            say(v, "无有毒气体分析项 (no toxic gas analysed)");
            return;
        }
        fail(c, v, "gas", "无%s分析 (no %s analysis)", GAS_ZH[k], GAS_EN[k]);
        if (c->stage == PR_STAGE_RUNNING) v->effect = PR_EFFECT_SUSPEND;
        return;
    }
    if (judged == 1) say(v, "%s", why);
    else say(v, "%d 个%s分析点合格; 末项 %s", judged, GAS_ZH[k], why);
    (void)r;
}

static void r_cert(cctx *c, const rule *r, pr_verdict *v)
{
    const pr_permit *p = c->p;
    int n = r->ncerts[p->type];
    if (!n) {
        na(v, "%s无需特种作业证 (no certificate required)", pr_type_label(p->type));
        return;
    }
    char want[160];
    size_t len = 0;
    want[0] = 0;
    for (int i = 0; i < n && len < sizeof want; i++)
        len += (size_t)sf(want + len, sizeof want - len, "%s%s", i ? "/" : "", r->certs[p->type][i]);
    if (p->nworkers <= 0) {
        fail(c, v, "workers", "未登记作业人员 (no workers; need %s)", want);
        return;
    }
    int64_t end = p->planned_end_ms ? p->planned_end_ms : c->now;
    char field[PR_ID_MAX], t1[24], t2[24];
    for (int w = 0; w < p->nworkers && w < PR_MAX_WORKERS; w++) {
        const pr_worker *wk = &p->workers[w];
        bool type_ok = false;
        for (int i = 0; i < n; i++)
            if (!strcmp(wk->cert_type, r->certs[p->type][i])) type_ok = true;
        sf(field, sizeof field, "workers[%d].cert", w);
        if (!type_ok || !wk->cert_no[0]) {
            fail(c, v, field, "%s 无 %s 特种作业证 (worker %d has no %s certificate)", wk->name, want, w, want);
            return;
        }
        char no[PR_CERT_NO_MAX];
        pr_cert_mask(wk->cert_no, no, sizeof no);
        if (wk->cert_revoked) {
            fail(c, v, field, "%s 的证书 %s 已吊销 (certificate revoked)", wk->name, no);
            return;
        }
        if (!wk->cert_expires_ms) {
            fail(c, v, field, "%s 的证书 %s 无有效期记录 (no expiry on record)", wk->name, no);
            return;
        }
        if (wk->cert_expires_ms < end) {
            fail(c, v, field, "%s 的证书 %s 于 %s 到期, 早于作业结束 %s (certificate expires before the planned end)",
                 wk->name, no, fmt_local(p, wk->cert_expires_ms, false, t1, sizeof t1),
                 fmt_local(p, end, true, t2, sizeof t2));
            return;
        }
    }
    say(v, "%d 名作业人员持有效 %s 证 (%d workers hold a valid %s certificate)", p->nworkers, want, p->nworkers,
        want);
}

void pr_cert_mask(const char *no, char *out, size_t cap)
{
    if (!cap) return;
    size_t n = 0, len = no ? strlen(no) : 0; /* characters (UTF-8) */
    for (size_t i = 0; i < len; i++) n += ((unsigned char)no[i] & 0xC0) != 0x80;
    size_t keep = n >= 10 ? 4 : n >= 4 ? 1 : 0, o = 0, k = 0;
    for (size_t i = 0; i < len;) {
        size_t w = 1; /* this character's bytes */
        while (i + w < len && ((unsigned char)no[i + w] & 0xC0) == 0x80) w++;
        bool show = k < keep || k >= n - keep;
        size_t need = show ? w : 1;
        if (o + need >= cap) break;
        if (show) memcpy(out + o, no + i, w);
        else out[o] = '*';
        o += need;
        i += w;
        k++;
    }
    out[o] = 0;
}

static void r_guardian(cctx *c, const rule *r, pr_verdict *v)
{
    const pr_permit *p = c->p;
    char t1[24];
    if (!p->guardian_person_id) {
        fail(c, v, "guardian", "未指定监护人 (no guardian assigned)");
        return;
    }
    if (!p->guardian_qualified) {
        fail(c, v, "guardian", "监护人无有效资格 (guardian not qualified)");
        return;
    }
    int64_t end = p->planned_end_ms ? p->planned_end_ms : c->now;
    if (p->guardian_qual_expires_ms && p->guardian_qual_expires_ms < end) {
        fail(c, v, "guardian", "监护人资格于 %s 到期, 早于作业结束 (guardian qualification expires before the end)",
             fmt_local(p, p->guardian_qual_expires_ms, false, t1, sizeof t1));
        return;
    }
    if (r->checkin && (c->stage == PR_STAGE_ACTIVATE || c->stage == PR_STAGE_AUDIT)) {
        int64_t ref = c->stage == PR_STAGE_ACTIVATE ? c->now : p->activated_ms;
        if (c->stage == PR_STAGE_AUDIT && !ref) {
            say(v, "监护人已指定且有资格; 作业未开始 (guardian assigned; never activated)");
            return;
        }
        if (!p->guardian_checkin_ms || p->guardian_checkin_ms > ref) {
            fail(c, v, "guardian_checkin", "监护人未在作业开始前签到 (guardian not checked in before start)");
            return;
        }
        say(v, "监护人已于 %s 签到 (guardian checked in)", fmt_local(p, p->guardian_checkin_ms, true, t1, sizeof t1));
        return;
    }
    say(v, "监护人已指定且有资格%s (guardian assigned and qualified)",
        c->stage == PR_STAGE_PRECHECK ? "; 开始作业时签到" : "");
}

static void r_measures(cctx *c, const rule *r, pr_verdict *v)
{
    const pr_permit *p = c->p;
    if (p->nmeasures <= 0) {
        fail(c, v, "measures", "安全措施清单为空 (no safety measures listed)");
        return;
    }
    if (p->nmeasures_confirmed < p->nmeasures) {
        fail(c, v, "measures", "安全措施已确认 %d/%d (measures confirmed %d of %d)", p->nmeasures_confirmed,
             p->nmeasures, p->nmeasures_confirmed, p->nmeasures);
        return;
    }
    say(v, "安全措施 %d/%d 已确认 (all %d measures confirmed)", p->nmeasures_confirmed, p->nmeasures, p->nmeasures);
}

static bool post_matches(const char *alts, const char *post)
{
    size_t pl = strlen(post);
    const char *s = alts;
    while (*s) {
        const char *bar = strchr(s, '|');
        size_t n = bar ? (size_t)(bar - s) : strlen(s);
        if (n == pl && !strncmp(s, post, n)) return true;
        if (!bar) break;
        s = bar + 1;
    }
    return false;
}

static void r_approvals(cctx *c, const rule *r, pr_verdict *v)
{
    const pr_permit *p = c->p;
    pr_report *o = c->out;
    const gchain *ch = lookup_chain(r, c->eff_grade);
    if (!ch) {
        fail(c, v, "grade", "规则未给出%s的审批岗位 (no approval chain for grade %s)", grade_zh(c->eff_grade),
             c->eff_grade);
        return;
    }
    if (!o->nrequired_posts) {
        for (int i = 0; i < ch->n && i < PR_MAX_APPROVALS; i++)
            sf(o->required_posts[i], PR_ID_MAX, "%.*s", PR_ID_MAX - 1, ch->posts[i]);
        o->nrequired_posts = ch->n;
    }
    int64_t ref = c->stage == PR_STAGE_AUDIT ? p->activated_ms : c->now;
    char missing[PR_TEXT_MAX];
    size_t len = 0;
    int nmiss = 0, nlate = 0;
    missing[0] = 0;
    for (int i = 0; i < ch->n; i++) {
        bool got = false, late = false;
        for (int a = 0; a < p->napprovals && a < PR_MAX_APPROVALS; a++) {
            if (!post_matches(ch->posts[i], p->approvals[a].post)) continue;
            if (p->approvals[a].at_ms && (!ref || p->approvals[a].at_ms <= ref)) got = true;
            else late = true;
        }
        if (!got) {
            nmiss++;
            if (late) nlate++;
            if (len < sizeof missing)
                len += (size_t)sf(missing + len, sizeof missing - len, "%s%s", nmiss > 1 ? ", " : "",
                                        ch->posts[i]);
        }
    }
    if (nmiss) {
        fail(c, v, "approvals", "%s缺少审批 %d/%d: %s%s (missing approvals)", grade_zh(c->eff_grade), nmiss, ch->n,
             missing, nlate ? " (审批晚于开始作业)" : "");
        return;
    }
    say(v, "%s审批齐全 %d/%d (all %d approvals)", grade_zh(c->eff_grade), ch->n, ch->n, ch->n);
}

/* Which kinds a stage judges. */
static bool stage_runs(kind k, pr_stage s)
{
    switch (k) {
    case K_GRADE:
    case K_GRADE_MEASURED:
    case K_CERT:
    case K_MEASURES:
    case K_APPROVALS:
    case K_GAS_BEFORE:
        return s == PR_STAGE_PRECHECK || s == PR_STAGE_ACTIVATE || s == PR_STAGE_AUDIT;
    case K_GUARDIAN:
        return s == PR_STAGE_PRECHECK || s == PR_STAGE_ACTIVATE || s == PR_STAGE_AUDIT;
    case K_GRADE_UPGRADE:
    case K_VALIDITY:
    case K_TEMP_POWER:
    case K_GAS_CONT:
    case K_OXYGEN:
    case K_TOXIC:
    case K_COMBUSTIBLE:
        return true;
    case K_GAS_BREAK:
        return s == PR_STAGE_RESUME || s == PR_STAGE_AUDIT;
    case K_GAS_PERIODIC:
        return s == PR_STAGE_RUNNING;
    case K_COUNT:
        break;
    }
    return false;
}

ws_err pr_check(const pr_profile *pf, const pr_calendar *cal, const pr_permit *p, int64_t now_ms,
                pr_stage stage, pr_report *out)
{
    memset(out, 0, sizeof *out);
    if (!pf || !p || (unsigned)p->type >= PT_COUNT || (unsigned)stage > PR_STAGE_AUDIT)
        return ws_fail(WS_EINVAL, "type", "permit type or stage out of range");
    if (p->ngas < 0 || p->ngas > PR_MAX_GAS || p->nworkers < 0 || p->nworkers > PR_MAX_WORKERS ||
        p->napprovals < 0 || p->napprovals > PR_MAX_APPROVALS)
        return ws_fail(WS_EINVAL, "gas", "permit snapshot counts out of range");
    cctx c = {.pf = pf, .cal = cal, .p = p, .now = now_ms, .stage = stage, .out = out};
    settle_grade(&c);
    const rule *comb = find_kind(pf, K_COMBUSTIBLE, p->type);
    if (comb) out->pass_limit_lel = comb->portable_max_lel;
    int64_t day_ref = p->planned_start_ms ? p->planned_start_ms : now_ms;
    long day = floor_div(to_local(p, day_ref), DAY_MS);
    for (int i = 0; i < pf->n; i++) {
        const rule *r = &pf->rules[i];
        if (!r->applicable || !applies(r, p->type) || !stage_runs(r->k, stage)) continue;
        if (day < r->effective_day) continue; /* not yet in force for this permit */
        pr_verdict *v = verdict(&c, r);
        if (!v) break;
        switch (r->k) {
        case K_GRADE: r_grade(&c, r, v); break;
        case K_GRADE_UPGRADE: r_upgrade(&c, r, v); break;
        case K_GRADE_MEASURED: r_grade_measured(&c, r, v); break;
        case K_VALIDITY: r_validity(&c, r, v); break;
        case K_TEMP_POWER: r_temp_power(&c, r, v); break;
        case K_GAS_BEFORE: r_gas_before(&c, r, v); break;
        case K_GAS_BREAK: r_gas_break(&c, r, v); break;
        case K_GAS_CONT: r_gas_cont(&c, r, v); break;
        case K_GAS_PERIODIC: r_gas_periodic(&c, r, v); break;
        case K_OXYGEN: r_criteria(&c, r, v, PR_GAS_OXYGEN); break;
        case K_TOXIC: r_criteria(&c, r, v, PR_GAS_TOXIC); break;
        case K_COMBUSTIBLE: r_criteria(&c, r, v, PR_GAS_COMBUSTIBLE); break;
        case K_CERT: r_cert(&c, r, v); break;
        case K_GUARDIAN: r_guardian(&c, r, v); break;
        case K_MEASURES: r_measures(&c, r, v); break;
        case K_APPROVALS: r_approvals(&c, r, v); break;
        case K_COUNT: break;
        }
        if (v->result == PR_FAIL) out->nfail++;
    }
    return WS_OK;
}

/* ---------------------------------------------------------------- JSON */

json_t *pr_report_json(const pr_report *r)
{
    static const char *const res[] = {"pass", "fail", "na"};
    static const char *const eff[] = {"none", "suspend", "expire"};
    json_t *o = json_object();
    json_t *arr = json_array();
    json_t *posts = json_array();
    if (!o || !arr || !posts) {
        json_decref(o);
        json_decref(arr);
        json_decref(posts);
        return NULL;
    }
    for (int i = 0; i < r->n; i++) {
        const pr_verdict *v = &r->v[i];
        json_array_append_new(
            arr, json_pack("{s:s,s:s,s:s,s:b,s:s,s:s,s:s,s:s}", "rule", v->rule, "clause", v->clause, "edition",
                           v->edition, "confirmed", v->confirmed, "result", res[v->result], "effect",
                           eff[v->effect], "field", v->field, "evidence", v->evidence));
    }
    for (int i = 0; i < r->nrequired_posts; i++) json_array_append_new(posts, json_string(r->required_posts[i]));
    json_object_set_new(o, "pass", json_boolean(r->nfail == 0));
    json_object_set_new(o, "effective_grade", json_string(r->effective_grade));
    json_object_set_new(o, "upgrade_reason", json_string(r->upgrade_reason));
    json_object_set_new(o, "required_posts", posts);
    json_object_set_new(o, "validity_ms", json_integer(r->validity_ms));
    json_object_set_new(o, "pass_limit_lel", json_real(r->pass_limit_lel));
    json_object_set_new(o, "verdicts", arr);
    return o;
}
