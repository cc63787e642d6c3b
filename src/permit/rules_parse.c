/* rules_parse.c — a rule profile (permit_rules.h) read from JSON into typed
 * rules: every member checked, a bad value refused with its JSON path, the
 * statutory kinds required of a chemical profile. The judging is rules.c. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/json.h"
#include "permit/rules_int.h"

static const char *const KIND_NAMES[K_COUNT] = {
    "grade", "grade_upgrade", "grade_measured", "validity", "temp_power_validity",
    "gas_before_start", "gas_after_break", "gas_continuous", "gas_periodic", "oxygen_range",
    "toxic_limit", "combustible_limit", "certificate", "guardian", "measures", "approvals"};

/* The kinds a chemical profile must have: the rules the law requires. */
static const kind STATUTORY[] = {K_GRADE,      K_GRADE_UPGRADE, K_GRADE_MEASURED, K_VALIDITY,
                                 K_TEMP_POWER, K_GAS_BEFORE,    K_GAS_BREAK,      K_GAS_CONT,
                                 K_GAS_PERIODIC, K_OXYGEN,      K_TOXIC,          K_COMBUSTIBLE,
                                 K_CERT,       K_GUARDIAN,      K_MEASURES,       K_APPROVALS};

/* ---------------------------------------------------------------- parse */

typedef struct pctx {
    char path[160];
} pctx;

static ws_err bad(const char *path, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static ws_err bad(const char *path, const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return ws_fail(WS_EINVAL, path, "%s: %s", path, msg);
}

static ws_err get_str(const json_t *o, const char *base, const char *name, char *out, size_t cap,
                      bool required)
{
    char path[200];
    sf(path, sizeof path, "%s.%s", base, name);
    json_t *v = json_object_get(o, name);
    if (!v) {
        if (required) return bad(path, "is required");
        out[0] = 0;
        return WS_OK;
    }
    if (!json_is_string(v) || !json_string_length(v) || json_string_length(v) >= cap)
        return bad(path, "must be a string of 1 to %zu bytes", cap - 1);
    sf(out, cap, "%s", json_string_value(v));
    return WS_OK;
}

static ws_err get_num(const json_t *o, const char *base, const char *name, double lo, double hi,
                      double *out)
{
    char path[200];
    sf(path, sizeof path, "%s.%s", base, name);
    json_t *v = json_object_get(o, name);
    if (!json_is_number(v)) return bad(path, "must be a number");
    double d = json_number_value(v);
    if (!(d >= lo && d <= hi)) return bad(path, "must be from %g to %g", lo, hi);
    *out = d;
    return WS_OK;
}

static ws_err get_bool(const json_t *o, const char *base, const char *name, bool *out)
{
    char path[200];
    sf(path, sizeof path, "%s.%s", base, name);
    json_t *v = json_object_get(o, name);
    if (!json_is_boolean(v)) return bad(path, "must be true or false");
    *out = json_is_true(v);
    return WS_OK;
}

static long parse_day(const char *s)
{
    int y, m, d;
    char tail;
    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-' ||
        sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || m < 1 || m > 12 || d < 1 || d > 31)
        return -1;
    return clock_days_from_civil(y, m, d);
}

static int parse_hhmm(const char *s)
{
    int h, m;
    char tail;
    if (!s || strlen(s) != 5 || s[2] != ':' || sscanf(s, "%2d:%2d%c", &h, &m, &tail) != 2 || h > 23 ||
        m > 59 || h < 0 || m < 0)
        return -1;
    return h * 60 + m;
}

static bool grade_key_ok(const char *k)
{
    return *k && strlen(k) < PR_GRADE_MAX;
}

/* {"special": 8, "1": 8, "*": 24} */
static ws_err parse_gnum(const json_t *params, const char *base, const char *name, double hi, rule *r)
{
    char path[200];
    sf(path, sizeof path, "%s.%s", base, name);
    json_t *o = json_object_get(params, name);
    if (!json_is_object(o) || !json_object_size(o) || json_object_size(o) > MAX_GRADE_KEYS)
        return bad(path, "must be an object of 1 to %d grades", MAX_GRADE_KEYS);
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v) {
        char sub[220];
        sf(sub, sizeof sub, "%s.%s", path, k);
        if (!grade_key_ok(k)) return bad(sub, "is not a grade");
        if (!json_is_number(v) || json_number_value(v) <= 0 || json_number_value(v) > hi)
            return bad(sub, "must be a number above 0 and at most %g", hi);
        gnum *g = &r->num[r->nnum++];
        sf(g->g, sizeof g->g, "%s", k);
        g->v = json_number_value(v);
    }
    return WS_OK;
}

static ws_err parse_kinds(const json_t *arr, const char *path, unsigned *out)
{
    static const char *const names[] = {"combustible", "oxygen", "toxic"};
    if (!json_is_array(arr) || !json_array_size(arr)) return bad(path, "must list gas kinds");
    size_t i;
    json_t *v;
    *out = 0;
    json_array_foreach(arr, i, v) {
        int f = -1;
        for (int j = 0; j < 3; j++)
            if (json_is_string(v) && !strcmp(json_string_value(v), names[j])) f = j;
        if (f < 0) {
            char sub[220];
            sf(sub, sizeof sub, "%s[%zu]", path, i);
            return bad(sub, "must be combustible, oxygen or toxic");
        }
        *out |= 1u << f;
    }
    return WS_OK;
}

static ws_err parse_params(rule *r, const json_t *pa, const char *base)
{
    ws_err rc = WS_OK;
    char path[200];
    switch (r->k) {
    case K_GRADE: {
        static const char *const al[] = {"grades", "hot_tapping", NULL};
        if ((rc = json_known_keys(pa, base, al))) return rc;
        json_t *g = json_object_get(pa, "grades");
        sf(path, sizeof path, "%s.grades", base);
        if (!json_is_array(g) || json_array_size(g) < 2 || json_array_size(g) > 4)
            return bad(path, "must list 2 to 4 grades, the most severe first");
        size_t i;
        json_t *v;
        json_array_foreach(g, i, v) {
            if (!json_is_string(v) || !grade_key_ok(json_string_value(v))) {
                sf(path, sizeof path, "%s.grades[%zu]", base, i);
                return bad(path, "must be a grade name");
            }
            sf(r->grades[r->ngrades++], PR_GRADE_MAX, "%s", json_string_value(v));
        }
        if ((rc = get_str(pa, base, "hot_tapping", r->hot_tapping, sizeof r->hot_tapping, true))) return rc;
        bool found = false;
        for (int j = 0; j < r->ngrades; j++)
            if (!strcmp(r->grades[j], r->hot_tapping)) found = true;
        if (!found) {
            sf(path, sizeof path, "%s.hot_tapping", base);
            return bad(path, "must be one of grades");
        }
        return WS_OK;
    }
    case K_GRADE_UPGRADE: {
        static const char *const al[] = {"night_from", "night_to", "holidays", "rest_days", NULL};
        if ((rc = json_known_keys(pa, base, al))) return rc;
        char t[8];
        if ((rc = get_str(pa, base, "night_from", t, sizeof t, true))) return rc;
        r->night_from = parse_hhmm(t);
        sf(path, sizeof path, "%s.night_from", base);
        if (r->night_from < 0) return bad(path, "must be HH:MM");
        if ((rc = get_str(pa, base, "night_to", t, sizeof t, true))) return rc;
        r->night_to = parse_hhmm(t);
        sf(path, sizeof path, "%s.night_to", base);
        if (r->night_to < 0) return bad(path, "must be HH:MM");
        if ((rc = get_bool(pa, base, "holidays", &r->holidays))) return rc;
        return get_bool(pa, base, "rest_days", &r->rest_days);
    }
    case K_GRADE_MEASURED: {
        static const char *const al[] = {"basis", "bounds", NULL};
        if ((rc = json_known_keys(pa, base, al))) return rc;
        char b[16];
        if ((rc = get_str(pa, base, "basis", b, sizeof b, true))) return rc;
        r->basis = !strcmp(b, "height_m") ? 0 : !strcmp(b, "mass_t") ? 1 : -1;
        sf(path, sizeof path, "%s.basis", base);
        if (r->basis < 0) return bad(path, "must be height_m or mass_t");
        json_t *bo = json_object_get(pa, "bounds");
        size_t want = r->basis == 0 ? 4 : 2;
        sf(path, sizeof path, "%s.bounds", base);
        if (!json_is_array(bo) || json_array_size(bo) != want)
            return bad(path, "must list %zu increasing numbers", want);
        for (size_t i = 0; i < want; i++) {
            json_t *v = json_array_get(bo, i);
            double d = json_is_number(v) ? json_number_value(v) : -1;
            if (d <= 0 || (i && d <= r->bounds[i - 1])) {
                sf(path, sizeof path, "%s.bounds[%zu]", base, i);
                return bad(path, "must be a number above the previous bound");
            }
            r->bounds[r->nbounds++] = d;
        }
        return WS_OK;
    }
    case K_VALIDITY: {
        static const char *const al[] = {"hours", "same_day", NULL};
        if ((rc = json_known_keys(pa, base, al))) return rc;
        if (json_object_get(pa, "same_day")) {
            if ((rc = get_bool(pa, base, "same_day", &r->same_day))) return rc;
            if (!json_object_get(pa, "hours") && r->same_day) return WS_OK;
        }
        return parse_gnum(pa, base, "hours", 24 * 366, r);
    }
    case K_TEMP_POWER: {
        static const char *const al[] = {"days", "max_days", "within_served", NULL};
        if ((rc = json_known_keys(pa, base, al))) return rc;
        if ((rc = get_num(pa, base, "days", 0.01, 366, &r->days))) return rc;
        if ((rc = get_num(pa, base, "max_days", r->days, 366, &r->max_days))) return rc;
        return get_bool(pa, base, "within_served", &r->within_served);
    }
    case K_GAS_BEFORE: {
        static const char *const al[] = {"max_age_min", "kinds", NULL};
        if ((rc = json_known_keys(pa, base, al))) return rc;
        if ((rc = get_num(pa, base, "max_age_min", 1, 24 * 60, &r->max_age_min))) return rc;
        json_t *ko = json_object_get(pa, "kinds");
        sf(path, sizeof path, "%s.kinds", base);
        if (!json_is_object(ko)) return bad(path, "must map a type to the gas kinds tested");
        const char *k;
        json_t *v;
        json_object_foreach(ko, k, v) {
            char sub[220];
            sf(sub, sizeof sub, "%s.%s", path, k);
            int t = pr_type_of(k);
            if (t < 0) return bad(sub, "is not a permit type");
            if ((rc = parse_kinds(v, sub, &r->kinds_of[t]))) return rc;
        }
        return WS_OK;
    }
    case K_GAS_BREAK: {
        static const char *const al[] = {"break_min", "max_age_min", "kinds", NULL};
        if ((rc = json_known_keys(pa, base, al))) return rc;
        if ((rc = parse_gnum(pa, base, "break_min", 24 * 60, r))) return rc;
        if ((rc = get_num(pa, base, "max_age_min", 1, 24 * 60, &r->max_age_min))) return rc;
        sf(path, sizeof path, "%s.kinds", base);
        unsigned ks = 0;
        if ((rc = parse_kinds(json_object_get(pa, "kinds"), path, &ks))) return rc;
        for (int t = 0; t < PT_COUNT; t++) r->kinds_of[t] = ks;
        return WS_OK;
    }
    case K_GAS_CONT: {
        static const char *const al[] = {"grades", NULL};
        if ((rc = json_known_keys(pa, base, al))) return rc;
        json_t *g = json_object_get(pa, "grades");
        sf(path, sizeof path, "%s.grades", base);
        if (!json_is_array(g) || !json_array_size(g) || json_array_size(g) > 4)
            return bad(path, "must list 1 to 4 grades");
        size_t i;
        json_t *v;
        json_array_foreach(g, i, v) {
            if (!json_is_string(v) || !grade_key_ok(json_string_value(v))) {
                sf(path, sizeof path, "%s.grades[%zu]", base, i);
                return bad(path, "must be a grade name");
            }
            sf(r->grades[r->ngrades++], PR_GRADE_MAX, "%s", json_string_value(v));
        }
        return WS_OK;
    }
    case K_GAS_PERIODIC: {
        static const char *const al[] = {"interval_min", "kinds", NULL};
        if ((rc = json_known_keys(pa, base, al))) return rc;
        if ((rc = get_num(pa, base, "interval_min", 1, 7 * 24 * 60, &r->interval_min))) return rc;
        sf(path, sizeof path, "%s.kinds", base);
        unsigned ks = 0;
        if ((rc = parse_kinds(json_object_get(pa, "kinds"), path, &ks))) return rc;
        for (int t = 0; t < PT_COUNT; t++) r->kinds_of[t] = ks;
        return WS_OK;
    }
    case K_OXYGEN: {
        static const char *const al[] = {"min", "max", "max_enriched", NULL};
        if ((rc = json_known_keys(pa, base, al))) return rc;
        if ((rc = get_num(pa, base, "min", 10, 25, &r->o2_min))) return rc;
        if ((rc = get_num(pa, base, "max", r->o2_min, 25, &r->o2_max))) return rc;
        return get_num(pa, base, "max_enriched", r->o2_max, 30, &r->o2_max_enriched);
    }
    case K_TOXIC:
    case K_MEASURES: {
        static const char *const al[] = {NULL};
        return json_known_keys(pa, base, al);
    }
    case K_COMBUSTIBLE: {
        static const char *const al[] = {"portable_max_lel", "lel_split_vol", "vol_max_high_lel",
                                         "vol_max_low_lel", NULL};
        if ((rc = json_known_keys(pa, base, al))) return rc;
        if ((rc = get_num(pa, base, "portable_max_lel", 0.1, 100, &r->portable_max_lel))) return rc;
        if ((rc = get_num(pa, base, "lel_split_vol", 0.1, 100, &r->lel_split))) return rc;
        if ((rc = get_num(pa, base, "vol_max_high_lel", 0.01, 100, &r->vol_high))) return rc;
        return get_num(pa, base, "vol_max_low_lel", 0.01, 100, &r->vol_low);
    }
    case K_CERT: {
        static const char *const al[] = {"required", NULL};
        if ((rc = json_known_keys(pa, base, al))) return rc;
        json_t *ro = json_object_get(pa, "required");
        sf(path, sizeof path, "%s.required", base);
        if (!json_is_object(ro)) return bad(path, "must map a type to certificate types");
        const char *k;
        json_t *v;
        json_object_foreach(ro, k, v) {
            char sub[220];
            sf(sub, sizeof sub, "%s.%s", path, k);
            int t = pr_type_of(k);
            if (t < 0) return bad(sub, "is not a permit type");
            if (!json_is_array(v) || !json_array_size(v) || json_array_size(v) > MAX_CERTS)
                return bad(sub, "must list 1 to %d certificate types", MAX_CERTS);
            size_t i;
            json_t *c;
            json_array_foreach(v, i, c) {
                if (!json_is_string(c) || !json_string_length(c) || json_string_length(c) >= 32) {
                    char sub2[240];
                    sf(sub2, sizeof sub2, "%s[%zu]", sub, i);
                    return bad(sub2, "must be a certificate type of 1 to 31 bytes");
                }
                sf(r->certs[t][r->ncerts[t]++], 32, "%s", json_string_value(c));
            }
        }
        return WS_OK;
    }
    case K_GUARDIAN: {
        static const char *const al[] = {"checkin", NULL};
        if ((rc = json_known_keys(pa, base, al))) return rc;
        return get_bool(pa, base, "checkin", &r->checkin);
    }
    case K_APPROVALS: {
        static const char *const al[] = {"chain", NULL};
        if ((rc = json_known_keys(pa, base, al))) return rc;
        json_t *co = json_object_get(pa, "chain");
        sf(path, sizeof path, "%s.chain", base);
        if (!json_is_object(co) || !json_object_size(co) || json_object_size(co) > MAX_GRADE_KEYS)
            return bad(path, "must map 1 to %d grades to their posts", MAX_GRADE_KEYS);
        const char *k;
        json_t *v;
        json_object_foreach(co, k, v) {
            char sub[220];
            sf(sub, sizeof sub, "%s.%s", path, k);
            if (!grade_key_ok(k)) return bad(sub, "is not a grade");
            if (!json_is_array(v) || !json_array_size(v) || json_array_size(v) > PR_MAX_APPROVALS)
                return bad(sub, "must list 1 to %d posts", PR_MAX_APPROVALS);
            gchain *gc = &r->chain[r->nchain++];
            sf(gc->g, sizeof gc->g, "%s", k);
            size_t i;
            json_t *c;
            json_array_foreach(v, i, c) {
                if (!json_is_string(c) || !json_string_length(c) || json_string_length(c) >= POST_MAX) {
                    char sub2[240];
                    sf(sub2, sizeof sub2, "%s[%zu]", sub, i);
                    return bad(sub2, "must be a post (alternatives joined by |)");
                }
                sf(gc->posts[gc->n++], POST_MAX, "%s", json_string_value(c));
            }
        }
        return WS_OK;
    }
    case K_COUNT:
        break;
    }
    return bad(base, "unknown kind");
}

static ws_err parse_rule(pr_profile *pf, const json_t *o, size_t idx, rule *r)
{
    static const char *const al[] = {"id",      "kind",       "types",  "clause", "edition",
                                     "effective", "confirmed", "source", "note",   "applicable",
                                     "params",  NULL};
    char base[64], path[200];
    ws_err rc;
    sf(base, sizeof base, "rules[%zu]", idx);
    if (!json_is_object(o)) return bad(base, "must be an object");
    if ((rc = json_known_keys(o, base, al))) return rc;
    if ((rc = get_str(o, base, "id", r->id, sizeof r->id, true))) return rc;
    for (int i = 0; i < pf->n; i++)
        if (!strcmp(pf->rules[i].id, r->id)) {
            sf(path, sizeof path, "%s.id", base);
            return bad(path, "repeats the id of rules[%d]", i);
        }
    char kname[32];
    if ((rc = get_str(o, base, "kind", kname, sizeof kname, true))) return rc;
    r->k = K_COUNT;
    for (int i = 0; i < K_COUNT; i++)
        if (!strcmp(kname, KIND_NAMES[i])) r->k = (kind)i;
    sf(path, sizeof path, "%s.kind", base);
    if (r->k == K_COUNT) return bad(path, "is not a rule kind");
    json_t *ty = json_object_get(o, "types");
    if (!ty) r->types = (1u << PT_COUNT) - 1;
    else {
        sf(path, sizeof path, "%s.types", base);
        if (!json_is_array(ty) || !json_array_size(ty)) return bad(path, "must list permit types");
        size_t i;
        json_t *v;
        json_array_foreach(ty, i, v) {
            int t = pr_type_of(json_string_value(v));
            if (t < 0) {
                sf(path, sizeof path, "%s.types[%zu]", base, i);
                return bad(path, "is not a permit type");
            }
            r->types |= 1u << t;
        }
    }
    if ((rc = get_str(o, base, "clause", r->clause, sizeof r->clause, true))) return rc;
    if ((rc = get_str(o, base, "edition", r->edition, sizeof r->edition, true))) return rc;
    char eff[16];
    if ((rc = get_str(o, base, "effective", eff, sizeof eff, true))) return rc;
    r->effective_day = parse_day(eff);
    sf(path, sizeof path, "%s.effective", base);
    if (r->effective_day < 0) return bad(path, "must be a date YYYY-MM-DD");
    if ((rc = get_bool(o, base, "confirmed", &r->confirmed))) return rc;
    json_t *src = json_object_get(o, "source");
    sf(path, sizeof path, "%s.source", base);
    if (!json_is_string(src) || !json_string_length(src)) return bad(path, "must name the source");
    r->applicable = true;
    if (json_object_get(o, "applicable") && (rc = get_bool(o, base, "applicable", &r->applicable)))
        return rc;
    json_t *pa = json_object_get(o, "params");
    sf(path, sizeof path, "%s.params", base);
    if (!json_is_object(pa)) return bad(path, "must be an object");
    return parse_params(r, pa, path);
}

ws_err pr_profile_parse(const json_t *doc, pr_profile **out)
{
    static const char *const al[] = {"key",       "name",   "industry", "reference_only",
                                     "edition",   "effective", "source", "rules", NULL};
    *out = NULL;
    ws_err rc;
    if (!json_is_object(doc)) return bad("profile", "must be an object");
    if ((rc = json_known_keys(doc, "profile", al))) return rc;
    pr_profile *pf = calloc(1, sizeof *pf);
    if (!pf) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    char txt[128];
    if ((rc = get_str(doc, "profile", "key", pf->key, sizeof pf->key, true))) goto fail;
    for (const char *c = pf->key; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_')) {
            rc = bad("key", "must be [a-z0-9_]");
            goto fail;
        }
    if ((rc = get_str(doc, "profile", "name", txt, sizeof txt, true))) goto fail;
    char ind[32];
    if ((rc = get_str(doc, "profile", "industry", ind, sizeof ind, true))) goto fail;
    pf->chemical = !strcmp(ind, "chemical");
    if ((rc = get_bool(doc, "profile", "reference_only", &pf->reference_only))) goto fail;
    if ((rc = get_str(doc, "profile", "edition", txt, sizeof txt, true))) goto fail;
    if ((rc = get_str(doc, "profile", "effective", txt, sizeof txt, true))) goto fail;
    if (parse_day(txt) < 0) {
        rc = bad("effective", "must be a date YYYY-MM-DD");
        goto fail;
    }
    if ((rc = get_str(doc, "profile", "source", txt, sizeof txt, true))) goto fail;
    json_t *rules = json_object_get(doc, "rules");
    if (!json_is_array(rules) || !json_array_size(rules) || json_array_size(rules) > PR_MAX_RULES) {
        rc = bad("rules", "must list 1 to %d rules", PR_MAX_RULES);
        goto fail;
    }
    size_t i;
    json_t *ro;
    json_array_foreach(rules, i, ro) {
        rule *r = &pf->rules[pf->n];
        if ((rc = parse_rule(pf, ro, i, r))) goto fail;
        pf->n++;
    }
    if (pf->chemical) {
        for (size_t s = 0; s < sizeof STATUTORY / sizeof STATUTORY[0]; s++) {
            bool have = false;
            for (int j = 0; j < pf->n; j++)
                if (pf->rules[j].k == STATUTORY[s]) {
                    if (!pf->rules[j].applicable) {
                        char path[64];
                        sf(path, sizeof path, "rules[%d].applicable", j);
                        rc = bad(path, "a chemical profile may not switch off the statutory rule %s",
                                 KIND_NAMES[STATUTORY[s]]);
                        goto fail;
                    }
                    have = true;
                }
            if (!have) {
                rc = bad("rules", "a chemical profile must have a rule of kind %s",
                         KIND_NAMES[STATUTORY[s]]);
                goto fail;
            }
        }
    }
    pf->doc = json_deep_copy(doc);
    if (!pf->doc) {
        rc = ws_fail(WS_ENOMEM, NULL, "out of memory");
        goto fail;
    }
    *out = pf;
    return WS_OK;
fail:
    free(pf);
    return rc;
}

void pr_profile_free(pr_profile *p)
{
    if (!p) return;
    json_decref(p->doc);
    free(p);
}

const char *pr_profile_key(const pr_profile *p)
{
    return p->key;
}

const json_t *pr_profile_json(const pr_profile *p)
{
    return p->doc;
}

