/* rule_json.c — the JSON form of an alarm rule set (rule.h): the strict
 * parser (rule_set_parse), the canonical serialiser (rule_set_to_json, whose
 * FNV-1a hash is the set's fingerprint) and the default set (version 1).
 *
 * Every refusal is WS_EINVAL naming the field as a path into the document,
 * "rules[3].window_s", so the rule-library editor can point at it. Keys that
 * belong to another kind of rule are refused like unknown keys (a "window_s"
 * on a stale rule would silently do nothing otherwise). Format:
 * docs/internals/alarm.md "Rules". */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alarm/rule.h"
#include "anomaly/detector.h"

#define DAY_S INT64_C(86400)

static const char *const kind_names[] = {NULL, "roc", "stale", "flatline", "count", "composite", "anomaly"};

const char *rule_kind_name(int kind)
{
    return kind >= RULE_ROC && kind <= RULE_ANOMALY ? kind_names[kind] : "unknown";
}

static const char *const op_names[] = {">=", ">", "<=", "<"};

/* ---------------------------------------------------------------- helpers */

typedef struct pctx {
    char path[200]; /* "rules[3]" or "rules[3].conditions[1]" */
    char field[256];
} pctx;

static const char *fld(pctx *p, const char *key)
{
    snprintf(p->field, sizeof p->field, "%.170s%s%.80s", p->path, p->path[0] && key[0] != '[' ? "." : "",
             key);
    return p->field;
}

/* WS_EINVAL naming the field, message "<field><msg>". */
static ws_err bad(pctx *p, const char *key, const char *msg)
{
    const char *f = fld(p, key);
    return ws_fail(WS_EINVAL, f, "%s%s", f, msg);
}

static bool name_char(char c, bool upper, bool colon)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-' ||
           (upper && c >= 'A' && c <= 'Z') || (colon && c == ':');
}

static bool word_ok(const char *s, size_t max, bool upper, bool colon)
{
    size_t n = strlen(s);
    if (!n || n > max) return false;
    for (size_t i = 0; i < n; i++)
        if (!name_char(s[i], upper, colon)) return false;
    return true;
}

static bool tag_ok(const char *s)
{
    size_t n = strlen(s);
    if (!n || n > RULE_TAG_MAX) return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == ':' || c == '/' || c == '-'))
            return false;
    }
    return true;
}

/* An integer in [lo, hi]. */
static ws_err get_int(pctx *p, json_t *o, const char *key, bool req, int64_t lo, int64_t hi,
                      int64_t *out)
{
    json_t *v = json_object_get(o, key);
    if (!v) return req ? bad(p, key, " is required") : WS_OK;
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
        const char *f = fld(p, key);
        return ws_fail(WS_EINVAL, f, "%s must be an integer from %lld to %lld", f, (long long)lo,
                       (long long)hi);
    }
    *out = json_integer_value(v);
    return WS_OK;
}

static ws_err get_num(pctx *p, json_t *o, const char *key, bool req, double lo, double hi,
                      bool lo_open, double *out)
{
    json_t *v = json_object_get(o, key);
    if (!v) return req ? bad(p, key, " is required") : WS_OK;
    double x = json_is_number(v) ? json_number_value(v) : NAN;
    if (!isfinite(x) || x < lo || x > hi || (lo_open && x == lo)) {
        const char *f = fld(p, key);
        return ws_fail(WS_EINVAL, f, "%s must be a number %s %g and at most %g", f,
                       lo_open ? "above" : "from", lo, hi);
    }
    *out = x;
    return WS_OK;
}

static ws_err get_bool(pctx *p, json_t *o, const char *key, bool *out)
{
    json_t *v = json_object_get(o, key);
    if (!v) return WS_OK;
    if (!json_is_boolean(v)) return bad(p, key, " must be true or false");
    *out = json_is_true(v);
    return WS_OK;
}

/* A string; *out borrowed from the document. */
static ws_err get_str(pctx *p, json_t *o, const char *key, bool req, const char **out)
{
    json_t *v = json_object_get(o, key);
    *out = NULL;
    if (!v) return req ? bad(p, key, " is required") : WS_OK;
    if (!json_is_string(v)) return bad(p, key, " must be text");
    *out = json_string_value(v);
    return WS_OK;
}

/* Only keys of allowed (NULL-terminated) may appear. */
static ws_err only_keys(pctx *p, json_t *o, const char *const *allowed, const char *what)
{
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v) {
        bool ok = false;
        for (int i = 0; allowed[i]; i++)
            if (!strcmp(k, allowed[i])) ok = true;
        if (!ok) {
            char key[80];
            snprintf(key, sizeof key, "%.60s", *k ? k : "\"\""); /* an empty key is named "" */
            const char *f = fld(p, key);
            return ws_fail(WS_EINVAL, f, "%s: unknown key for %s", f, what);
        }
    }
    return WS_OK;
}

static ws_err parse_select(pctx *p, json_t *o, bool req, rule_select *s)
{
    memset(s, 0, sizeof *s);
    if (!o) return req ? bad(p, "select", " is required") : WS_OK;
    pctx q;
    snprintf(q.path, sizeof q.path, "%.190s", fld(p, "select"));
    if (!json_is_object(o)) return ws_fail(WS_EINVAL, q.path, "%s must be an object", q.path);
    static const char *const keys[] = {"tags", "kinds", "unit_ids", NULL};
    ws_err rc = only_keys(&q, o, keys, "a selector (tags, kinds, unit_ids)");
    if (rc) return rc;
    static const struct {
        const char *key;
        int max;
    } lists[] = {{"tags", RULE_SEL_TAGS}, {"kinds", RULE_SEL_KINDS}, {"unit_ids", RULE_SEL_UNITS}};
    for (int l = 0; l < 3; l++) {
        json_t *a = json_object_get(o, lists[l].key);
        if (!a) continue;
        if (!json_is_array(a) || json_array_size(a) < 1 || json_array_size(a) > (size_t)lists[l].max) {
            const char *f = fld(&q, lists[l].key);
            return ws_fail(WS_EINVAL, f, "%s must list 1 to %d entries", f, lists[l].max);
        }
        for (size_t i = 0; i < json_array_size(a); i++) {
            json_t *x = json_array_get(a, i);
            char key[40];
            snprintf(key, sizeof key, "%s[%zu]", lists[l].key, i);
            const char *f = fld(&q, key);
            if (l == 0) {
                if (!json_is_string(x) || !tag_ok(json_string_value(x)))
                    return ws_fail(WS_EINVAL, f, "%s must be a tag ([A-Za-z0-9_.:/-], 1..%d bytes)",
                                   f, RULE_TAG_MAX);
                for (int j = 0; j < s->ntags; j++)
                    if (!strcmp(s->tags[j], json_string_value(x)))
                        return ws_fail(WS_EINVAL, f, "%s repeats a tag", f);
                snprintf(s->tags[s->ntags++], RULE_TAG_MAX + 1, "%s", json_string_value(x));
            } else if (l == 1) {
                if (!json_is_string(x) || !word_ok(json_string_value(x), RULE_KIND_MAX, false, false))
                    return ws_fail(WS_EINVAL, f, "%s must be a point kind such as combustible", f);
                snprintf(s->kinds[s->nkinds++], RULE_KIND_MAX + 1, "%s", json_string_value(x));
            } else {
                if (!json_is_integer(x) || json_integer_value(x) < 1)
                    return ws_fail(WS_EINVAL, f, "%s must be a unit id (>= 1)", f);
                s->units[s->nunits++] = json_integer_value(x);
            }
        }
    }
    if (!s->ntags && !s->nkinds && !s->nunits)
        return ws_fail(WS_EINVAL, q.path, "%s needs tags, kinds or unit_ids (an empty selector "
                       "would match every point)", q.path);
    return WS_OK;
}

/* The detector's sensor faults by name, in DET_* bit order. */
static const char *const fault_names[4] = {"stuck", "drift", "spike", "dropout"};
_Static_assert(DET_STUCK == 1 && DET_DRIFT == 2 && DET_SPIKE == 4 && DET_DROPOUT == 8, "fault bit order");

/* anomaly "faults": a list of distinct fault names (absent: none). */
static ws_err parse_faults(pctx *p, json_t *a, uint8_t *out)
{
    *out = 0;
    if (!a) return WS_OK;
    if (!json_is_array(a) || json_array_size(a) > 4) return bad(p, "faults", " must list up to 4 of stuck, drift, spike, dropout");
    for (size_t i = 0; i < json_array_size(a); i++) {
        char key[40];
        snprintf(key, sizeof key, "faults[%zu]", i);
        const char *s = json_string_value(json_array_get(a, i));
        int k = 0;
        while (s && k < 4 && strcmp(s, fault_names[k])) k++;
        if (!s || k == 4) return bad(p, key, " must be stuck, drift, spike or dropout");
        if (*out & (1u << k)) return bad(p, key, " repeats a fault");
        *out |= (uint8_t)(1u << k);
    }
    return WS_OK;
}

static ws_err parse_cond(pctx *p, json_t *c, rule_cond *out)
{
    memset(out, 0, sizeof *out);
    if (!json_is_object(c)) return ws_fail(WS_EINVAL, p->path, "%s must be an object", p->path);
    const char *fact = NULL, *tag = NULL, *op = NULL;
    ws_err rc = get_str(p, c, "fact", false, &fact);
    if (rc) return rc;
    if (fact) {
        static const char *const keys[] = {"fact", NULL};
        if ((rc = only_keys(p, c, keys, "a fact condition (fact)"))) return rc;
        if (!word_ok(fact, RULE_FACT_MAX, false, false))
            return bad(p, "fact", " must be a fact name ([a-z0-9_.-], 1..31 bytes)");
        out->is_fact = true;
        snprintf(out->fact, sizeof out->fact, "%s", fact);
        return WS_OK;
    }
    static const char *const keys[] = {"tag", "select", "op", "value", NULL};
    if ((rc = only_keys(p, c, keys, "a point condition (tag or select, op, value)"))) return rc;
    if ((rc = get_str(p, c, "tag", false, &tag))) return rc;
    json_t *sel = json_object_get(c, "select");
    if (tag && sel) return bad(p, "select", ": give tag or select, not both");
    if (tag) {
        if (!tag_ok(tag)) return bad(p, "tag", " must be a tag");
        out->sel.ntags = 1;
        snprintf(out->sel.tags[0], sizeof out->sel.tags[0], "%s", tag);
    } else if ((rc = parse_select(p, sel, true, &out->sel))) {
        return rc;
    }
    if ((rc = get_str(p, c, "op", true, &op))) return rc;
    int k = -1;
    for (int i = 0; i < 4; i++)
        if (!strcmp(op, op_names[i])) k = i;
    if (k < 0) return bad(p, "op", " must be one of >=, >, <=, <");
    out->op = (uint8_t)k;
    return get_num(p, c, "value", true, -1e15, 1e15, false, &out->value);
}

static const char *const common_keys[] = {"id", "kind", "name", "level", "enabled"};

static ws_err check_keys_for(pctx *p, json_t *o, const char *const *extra, const char *what)
{
    const char *all[16];
    int n = 0;
    for (int i = 0; i < 5; i++) all[n++] = common_keys[i];
    for (int i = 0; extra[i]; i++) all[n++] = extra[i];
    all[n] = NULL;
    return only_keys(p, o, all, what);
}

static ws_err parse_rule(pctx *p, json_t *o, rule_set *set, rule *r)
{
    memset(r, 0, sizeof *r);
    if (!json_is_object(o)) return ws_fail(WS_EINVAL, p->path, "%s must be an object", p->path);
    const char *kind = NULL, *name = NULL;
    ws_err rc = get_str(p, o, "kind", true, &kind);
    if (rc) return rc;
    for (int k = RULE_ROC; k <= RULE_ANOMALY; k++)
        if (!strcmp(kind, kind_names[k])) r->kind = (uint8_t)k;
    if (!r->kind)
        return bad(p, "kind", " must be roc, stale, flatline, count, composite or anomaly");
    static const char *const roc_k[] = {"select", "limit_per_s", "window_s", "while", NULL};
    static const char *const stale_k[] = {"select", "max_gap_s", "offline", NULL};
    static const char *const flat_k[] = {"select", "window_s", "epsilon", "while", NULL};
    static const char *const count_k[] = {"key", "n", "window_s", "action", "action_kind", "alarm", NULL};
    static const char *const comp_k[] = {"unit_id", "mode", "conditions", "on_delay_s", NULL};
    static const char *const anom_k[] = {"select", "score_above", "for_s", "faults", "while", NULL};
    static const char *const *const keys[] = {NULL, roc_k, stale_k, flat_k, count_k, comp_k, anom_k};
    char what[48];
    snprintf(what, sizeof what, "a %s rule", kind_names[r->kind]);
    if ((rc = check_keys_for(p, o, keys[r->kind], what))) return rc;
    int64_t v = 0;
    if ((rc = get_int(p, o, "id", true, RULE_ID_MIN, RULE_ID_MAX, &v))) return rc;
    r->id = v;
    for (int i = 0; i < set->n; i++)
        if (set->rules[i].id == r->id) return bad(p, "id", " repeats the id of another rule");
    if ((rc = get_str(p, o, "name", true, &name))) return rc;
    size_t nl = strlen(name);
    bool blank = true;
    for (size_t i = 0; i < nl; i++) {
        if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
            return bad(p, "name", " must not contain control characters");
        if (name[i] != ' ') blank = false;
    }
    if (blank || nl > RULE_NAME_MAX) return bad(p, "name", " must be 1 to 127 bytes of text");
    snprintf(r->name, sizeof r->name, "%s", name);
    if ((rc = get_int(p, o, "level", true, 1, 3, &v))) return rc;
    r->level = (uint8_t)v;
    r->enabled = true;
    if ((rc = get_bool(p, o, "enabled", &r->enabled))) return rc;
    switch (r->kind) {
    case RULE_ROC:
        if ((rc = parse_select(p, json_object_get(o, "select"), true, &r->sel))) return rc;
        if ((rc = get_num(p, o, "limit_per_s", true, 0, 1e12, true, &r->limit_per_s))) return rc;
        if ((rc = get_int(p, o, "window_s", true, 1, DAY_S, &v))) return rc;
        r->window_ms = v * 1000;
        break;
    case RULE_STALE:
        if ((rc = parse_select(p, json_object_get(o, "select"), true, &r->sel))) return rc;
        if ((rc = get_int(p, o, "max_gap_s", true, 1, 7 * DAY_S, &v))) return rc;
        r->max_gap_ms = v * 1000;
        if ((rc = get_bool(p, o, "offline", &r->offline))) return rc;
        if (r->offline && set->noffline >= RULE_OFFLINE_MAX)
            return bad(p, "offline", ": at most 4 offline rules in a set");
        if (r->offline) set->noffline++;
        break;
    case RULE_ANOMALY:
        if ((rc = parse_select(p, json_object_get(o, "select"), true, &r->sel))) return rc;
        if ((rc = get_num(p, o, "score_above", true, 0, 1, true, &r->score_above))) return rc;
        if (r->score_above >= 1) return bad(p, "score_above", " must be below 1 (scores are in [0, 1])");
        if ((rc = get_int(p, o, "for_s", true, 0, DAY_S, &v))) return rc;
        r->on_delay_ms = v * 1000;
        if ((rc = parse_faults(p, json_object_get(o, "faults"), &r->faults))) return rc;
        break;
    case RULE_FLATLINE: {
        if ((rc = parse_select(p, json_object_get(o, "select"), true, &r->sel))) return rc;
        if ((rc = get_int(p, o, "window_s", true, 60, 7 * DAY_S, &v))) return rc;
        r->window_ms = v * 1000;
        json_t *eps = json_object_get(o, "epsilon");
        if (json_is_string(eps) && !strcmp(json_string_value(eps), "resolution")) {
            r->eps_resolution = true;
        } else if (eps && !json_is_number(eps)) {
            return bad(p, "epsilon", " must be a number >= 0 or \"resolution\"");
        } else if ((rc = get_num(p, o, "epsilon", true, 0, 1e12, false, &r->epsilon))) {
            return rc;
        }
        break;
    }
    case RULE_COUNT: {
        const char *key = NULL, *act = NULL, *ak = NULL;
        if ((rc = get_str(p, o, "key", true, &key))) return rc;
        if (!word_ok(key, RULE_KEY_MAX, false, false))
            return bad(p, "key", " must be an event key ([a-z0-9_.-], 1..63 bytes)");
        snprintf(r->key, sizeof r->key, "%s", key);
        if ((rc = get_int(p, o, "n", true, 2, RULE_COUNT_N_MAX, &v))) return rc;
        r->n = (int)v;
        if ((rc = get_int(p, o, "window_s", true, 1, 366 * DAY_S, &v))) return rc;
        r->window_ms = v * 1000;
        if ((rc = get_bool(p, o, "alarm", &r->alarm))) return rc;
        if ((rc = get_str(p, o, "action", true, &act))) return rc;
        if (strcmp(act, "work_order") && strcmp(act, "none"))
            return bad(p, "action", " must be work_order or none");
        snprintf(r->action, sizeof r->action, "%s", act);
        if ((rc = get_str(p, o, "action_kind", !strcmp(act, "work_order"), &ak))) return rc;
        if (ak && strcmp(ak, "preventive") && strcmp(ak, "corrective") && strcmp(ak, "inspection"))
            return bad(p, "action_kind", " must be preventive, corrective or inspection");
        if (ak && !strcmp(act, "none"))
            return bad(p, "action_kind", " needs action work_order");
        snprintf(r->action_kind, sizeof r->action_kind, "%s", ak ? ak : "");
        if (!r->alarm && !strcmp(act, "none"))
            return bad(p, "action", ": a count rule needs an action or \"alarm\": true");
        break;
    }
    case RULE_COMPOSITE: {
        const char *mode = NULL;
        if ((rc = get_int(p, o, "unit_id", true, 1, INT64_MAX, &r->unit_id))) return rc;
        if ((rc = get_str(p, o, "mode", true, &mode))) return rc;
        if (strcmp(mode, "all") && strcmp(mode, "any"))
            return bad(p, "mode", " must be all or any");
        r->any = !strcmp(mode, "any");
        v = 0; /* optional */
        if ((rc = get_int(p, o, "on_delay_s", false, 0, DAY_S, &v))) return rc;
        r->on_delay_ms = v * 1000;
        json_t *cs = json_object_get(o, "conditions");
        if (!json_is_array(cs) || json_array_size(cs) < 1 || json_array_size(cs) > RULE_COND_MAX)
            return bad(p, "conditions", " must list 1 to 8 conditions");
        if (set->ncond + (int)json_array_size(cs) > RULE_CONDS_TOTAL)
            return bad(p, "conditions", ": at most 64 conditions in all composites of a set");
        r->cond0 = set->ncond;
        for (size_t i = 0; i < json_array_size(cs); i++) {
            pctx q;
            snprintf(q.path, sizeof q.path, "%.64s.conditions[%zu]", p->path, i);
            if ((rc = parse_cond(&q, json_array_get(cs, i), &set->conds[set->ncond]))) return rc;
            set->ncond++;
            r->ncond++;
        }
        break;
    }
    }
    json_t *wc = json_object_get(o, "while"); /* only roc, flatline and anomaly keys let it through */
    if (wc) {
        pctx q;
        snprintf(q.path, sizeof q.path, "%.64s.while", p->path);
        if (set->ncond >= RULE_CONDS_TOTAL) return bad(p, "while", ": at most 64 conditions in a set");
        if ((rc = parse_cond(&q, wc, &set->conds[set->ncond]))) return rc;
        if (set->conds[set->ncond].is_fact)
            return bad(&q, "fact", ": an operating state is a point condition (tag or select, op, value)");
        r->while_cond = (int16_t)++set->ncond;
    }
    return WS_OK;
}

static uint64_t fnv1a(const char *s)
{
    uint64_t h = UINT64_C(14695981039346656037);
    for (; *s; s++) h = (h ^ (unsigned char)*s) * UINT64_C(1099511628211);
    return h;
}

ws_err rule_set_parse(const char *doc, size_t len, rule_set *out)
{
    memset(out, 0, sizeof *out);
    if (!doc || len > RULE_DOC_MAX)
        return ws_fail(WS_EINVAL, "doc", "the rule set must be a JSON document of at most 1 MiB");
    json_error_t jerr;
    json_t *root = json_loadb(doc, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return ws_fail(WS_EINVAL, "doc", "the rule set is not valid JSON (line %d, column %d): %s",
                       jerr.line, jerr.column, jerr.text);
    pctx p = {{0}, {0}};
    ws_err rc = WS_OK;
    static const char *const top[] = {"rules", NULL};
    json_t *rules = json_object_get(root, "rules");
    if (!json_is_object(root)) rc = ws_fail(WS_EINVAL, "doc", "the rule set must be an object {\"rules\": [...]}");
    if (!rc) rc = only_keys(&p, root, top, "a rule set (rules)");
    if (!rc && (!json_is_array(rules) || json_array_size(rules) > RULE_MAX))
        rc = ws_fail(WS_EINVAL, "rules", "rules must be a list of at most %d rules", RULE_MAX);
    for (size_t i = 0; !rc && i < json_array_size(rules); i++) {
        snprintf(p.path, sizeof p.path, "rules[%zu]", i);
        rc = parse_rule(&p, json_array_get(rules, i), out, &out->rules[out->n]);
        if (!rc) out->n++;
    }
    json_decref(root);
    if (!rc) {
        char *canon = rule_set_to_json(out);
        if (!canon) return ws_fail(WS_ENOMEM, NULL, "out of memory");
        out->fingerprint = fnv1a(canon);
        free(canon);
    }
    return rc;
}

/* ------------------------------------------------------------- serialise */

static json_t *select_json(const rule_select *s)
{
    json_t *o = json_object();
    if (s->ntags) {
        json_t *a = json_array();
        for (int i = 0; i < s->ntags; i++) json_array_append_new(a, json_string(s->tags[i]));
        json_object_set_new(o, "tags", a);
    }
    if (s->nkinds) {
        json_t *a = json_array();
        for (int i = 0; i < s->nkinds; i++) json_array_append_new(a, json_string(s->kinds[i]));
        json_object_set_new(o, "kinds", a);
    }
    if (s->nunits) {
        json_t *a = json_array();
        for (int i = 0; i < s->nunits; i++) json_array_append_new(a, json_integer(s->units[i]));
        json_object_set_new(o, "unit_ids", a);
    }
    return o;
}

static json_t *cond_json(const rule_cond *c)
{
    json_t *co = json_object();
    if (c->is_fact) {
        json_object_set_new(co, "fact", json_string(c->fact));
    } else {
        json_object_set_new(co, "select", select_json(&c->sel));
        json_object_set_new(co, "op", json_string(op_names[c->op & 3]));
        json_object_set_new(co, "value", json_real(c->value));
    }
    return co;
}

char *rule_set_to_json(const rule_set *s)
{
    json_t *root = json_object(), *a = json_array();
    if (!root || !a) {
        json_decref(root);
        json_decref(a);
        return NULL;
    }
    json_object_set_new(root, "rules", a);
    for (int i = 0; i < s->n; i++) {
        const rule *r = &s->rules[i];
        json_t *o = json_object();
        json_object_set_new(o, "id", json_integer(r->id));
        json_object_set_new(o, "kind", json_string(rule_kind_name(r->kind)));
        json_object_set_new(o, "name", json_string(r->name));
        json_object_set_new(o, "level", json_integer(r->level));
        json_object_set_new(o, "enabled", json_boolean(r->enabled));
        switch (r->kind) {
        case RULE_ROC:
            json_object_set_new(o, "select", select_json(&r->sel));
            json_object_set_new(o, "limit_per_s", json_real(r->limit_per_s));
            json_object_set_new(o, "window_s", json_integer(r->window_ms / 1000));
            break;
        case RULE_STALE:
            json_object_set_new(o, "select", select_json(&r->sel));
            json_object_set_new(o, "max_gap_s", json_integer(r->max_gap_ms / 1000));
            json_object_set_new(o, "offline", json_boolean(r->offline));
            break;
        case RULE_ANOMALY: {
            json_object_set_new(o, "select", select_json(&r->sel));
            json_object_set_new(o, "score_above", json_real(r->score_above));
            json_object_set_new(o, "for_s", json_integer(r->on_delay_ms / 1000));
            json_t *f = json_array();
            for (int k = 0; k < 4; k++)
                if (r->faults & (1u << k)) json_array_append_new(f, json_string(fault_names[k]));
            json_object_set_new(o, "faults", f);
            break;
        }
        case RULE_FLATLINE:
            json_object_set_new(o, "select", select_json(&r->sel));
            json_object_set_new(o, "window_s", json_integer(r->window_ms / 1000));
            json_object_set_new(o, "epsilon", r->eps_resolution ? json_string("resolution")
                                                                : json_real(r->epsilon));
            break;
        case RULE_COUNT:
            json_object_set_new(o, "key", json_string(r->key));
            json_object_set_new(o, "n", json_integer(r->n));
            json_object_set_new(o, "window_s", json_integer(r->window_ms / 1000));
            json_object_set_new(o, "action", json_string(r->action));
            if (r->action_kind[0]) json_object_set_new(o, "action_kind", json_string(r->action_kind));
            json_object_set_new(o, "alarm", json_boolean(r->alarm));
            break;
        case RULE_COMPOSITE: {
            json_object_set_new(o, "unit_id", json_integer(r->unit_id));
            json_object_set_new(o, "mode", json_string(r->any ? "any" : "all"));
            json_object_set_new(o, "on_delay_s", json_integer(r->on_delay_ms / 1000));
            json_t *cs = json_array();
            for (int k = 0; k < r->ncond; k++) json_array_append_new(cs, cond_json(&s->conds[r->cond0 + k]));
            json_object_set_new(o, "conditions", cs);
            break;
        }
        }
        if (r->while_cond) /* only when set: the fingerprints of sets without one are unchanged */
            json_object_set_new(o, "while", cond_json(&s->conds[r->while_cond - 1]));
        json_array_append_new(a, o);
    }
    char *txt = json_dumps(root, JSON_COMPACT | JSON_REAL_PRECISION(17));
    json_decref(root);
    return txt;
}

static const char default_json[] =
    "{\"rules\":[\n"
    " {\"id\":1001,\"kind\":\"stale\",\"name\":\"气体检测点数据中断（5 分钟无数据）\",\"level\":1,"
    "\"select\":{\"kinds\":[\"combustible\",\"toxic\",\"oxygen\"]},\"max_gap_s\":300},\n"
    " {\"id\":1002,\"kind\":\"stale\",\"name\":\"气体检测设备离线（全部检测点 5 分钟无数据）\","
    "\"level\":2,\"select\":{\"kinds\":[\"combustible\",\"toxic\",\"oxygen\"]},\"max_gap_s\":300,"
    "\"offline\":true},\n"
    " {\"id\":1003,\"kind\":\"flatline\",\"name\":\"气体检测点数值冻结（6 小时变化小于分辨率）\","
    "\"level\":1,\"select\":{\"kinds\":[\"combustible\",\"toxic\",\"oxygen\"]},\"window_s\":21600,"
    "\"epsilon\":\"resolution\"},\n"
    " {\"id\":1004,\"kind\":\"count\",\"name\":\"同一设备 30 天内 3 次故障：预防性维护工单\","
    "\"level\":1,\"key\":\"equipment_fault\",\"n\":3,\"window_s\":2592000,"
    "\"action\":\"work_order\",\"action_kind\":\"preventive\"}\n"
    "]}\n";

const char *rule_set_default_json(void) { return default_json; }
