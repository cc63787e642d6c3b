/* dashboard.c — how fast the organisation responds (issue 6 item 7): from
 * the hidden dangers' timelines, task forces and duty tasks of a scope and
 * period. See dashboard.h for the figures and their definitions. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/json.h"
#include "dashboard/dashboard.h"
#include "store/q_dashboard.h"

typedef struct hz {
    int64_t id, reported, first_action, assigned, closed;
    int returns, assigns, rejects, accepts;
} hz;

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* {n, median_s, p90_s} of n durations in ms (sorted here). */
static json_t *stats(int64_t *v, size_t n)
{
    if (!n) return json_pack("{s:i, s:n, s:n}", "n", 0, "median_s", "p90_s");
    qsort(v, n, sizeof *v, cmp64);
    size_t p90 = (size_t)((double)n * 0.9 + 0.999999);
    if (p90 < 1) p90 = 1;
    return json_pack("{s:I, s:f, s:f}", "n", (json_int_t)n, "median_s", (double)v[(n - 1) / 2] / 1000.0, "p90_s",
                     (double)v[p90 - 1] / 1000.0);
}

static ws_err by_department(store_conn *c, const char *sql, const char *scope, int64_t unit, int64_t a, int64_t b,
                            int nargs, json_t **out)
{
    store_stmt *st = NULL;
    bool row = false;
    *out = json_array();
    ws_err rc = store_prepare(c, sql, &st);
    if (!rc) rc = store_bind_text(st, 1, scope);
    if (!rc) rc = store_bind_int(st, 2, unit);
    if (!rc && nargs > 2) rc = store_bind_int(st, 3, a);
    if (!rc && nargs > 3) rc = store_bind_int(st, 4, b);
    while (!rc && !(rc = store_step(st, &row)) && row)
        json_array_append_new(*out, json_pack("{s:s, s:I}", "department", store_col_text(st, 0), "count",
                                              (json_int_t)store_col_int(st, 1)));
    store_finalize(st);
    return rc;
}

ws_err dashboard_collaboration(store_conn *c, const char *scope, int64_t unit, int64_t from, int64_t to,
                               const json_t *satisfaction, json_t **out)
{
    *out = NULL;
    if (from <= 0 || to <= from) return ws_fail(WS_EINVAL, "to", "the period is from < to");
    if (to - from > 366LL * 86400000) return ws_fail(WS_EINVAL, "to", "the period is at most a year");
    size_t cap = 1024, n = 0;
    hz *h = calloc(cap, sizeof *h);
    if (!h) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, Q_DASH_HAZARD_EVENTS, &st);
    if (!rc) rc = store_bind_text(st, 1, scope);
    if (!rc) rc = store_bind_int(st, 2, unit);
    if (!rc) rc = store_bind_int(st, 3, from);
    if (!rc) rc = store_bind_int(st, 4, to);
    while (!rc && !(rc = store_step(st, &row)) && row) {
        int64_t id = store_col_int(st, 0), at = store_col_int(st, 1);
        const char *kind = store_col_text(st, 2), *action = store_col_text(st, 3);
        if (!n || h[n - 1].id != id) {
            if (n == cap) {
                hz *m = realloc(h, cap * 2 * sizeof *h);
                if (!m) {
                    rc = ws_fail(WS_ENOMEM, NULL, "out of memory");
                    break;
                }
                h = m;
                cap *= 2;
            }
            memset(&h[n], 0, sizeof h[n]);
            h[n++].id = id;
        }
        hz *x = &h[n - 1];
        if (!strcmp(kind, "start")) x->reported = at;
        if (strcmp(kind, "action") || !action) continue;
        if (!x->first_action) x->first_action = at;
        if (!strcmp(action, "assign")) {
            x->assigns++;
            if (!x->assigned) x->assigned = at;
        } else if (!strcmp(action, "return_assignment")) {
            x->returns++;
        } else if (!strcmp(action, "reject_acceptance")) {
            x->rejects++;
        } else if (!strcmp(action, "accept")) {
            x->accepts++;
            x->closed = at;
        }
    }
    store_finalize(st);
    int64_t *first = calloc(n + 1, sizeof *first), *done = calloc(n + 1, sizeof *done);
    size_t nf = 0, nd = 0;
    int assigns = 0, returns = 0, rejects = 0, accepts = 0, reported = 0;
    if (!first || !done) rc = ws_fail(WS_ENOMEM, NULL, "out of memory");
    for (size_t i = 0; !rc && i < n; i++) {
        if (!h[i].reported) continue;
        reported++;
        if (h[i].first_action) first[nf++] = h[i].first_action - h[i].reported;
        if (h[i].assigned && h[i].closed) done[nd++] = h[i].closed - h[i].assigned;
        assigns += h[i].assigns;
        returns += h[i].returns;
        rejects += h[i].rejects;
        accepts += h[i].accepts;
    }
    json_t *o = NULL;
    if (!rc) {
        o = json_pack("{s:o, s:o, s:I}", "from", json_time(from), "to", json_time(to), "hazards_reported",
                      (json_int_t)reported);
        json_object_set_new(o, "report_to_first_action", stats(first, nf));
        json_object_set_new(o, "assignment_to_done", stats(done, nd));
        json_object_set_new(o, "return_rate", assigns ? json_real((double)returns / assigns) : json_null());
        json_object_set_new(o, "rejection_rate",
                            accepts + rejects ? json_real((double)rejects / (accepts + rejects)) : json_null());
        json_object_set_new(o, "counts", json_pack("{s:i, s:i, s:i, s:i}", "assignments", assigns, "returns", returns,
                                                   "acceptance_rejections", rejects, "acceptances", accepts));
        json_t *sat = satisfaction ? json_deep_copy(satisfaction) : NULL;
        if (!sat) { /* the reporters' ratings of answered anonymous reports */
            store_stmt *q = NULL;
            bool r2 = false;
            rc = store_prepare(c, Q_DASH_SATISFACTION, &q);
            if (!rc) rc = store_bind_text(q, 1, scope);
            if (!rc) rc = store_bind_int(q, 2, unit);
            if (!rc) rc = store_bind_int(q, 3, from);
            if (!rc) rc = store_bind_int(q, 4, to);
            if (!rc) rc = store_step(q, &r2);
            if (!rc && r2 && store_col_int(q, 0) > 0)
                sat = json_pack("{s:I, s:f, s:I}", "rated", (json_int_t)store_col_int(q, 0), "average",
                                round(store_col_double(q, 1) * 100) / 100, "answered", (json_int_t)store_col_int(q, 2));
            store_finalize(q);
        }
        json_object_set_new(o, "satisfaction", sat ? sat : json_null());
        json_t *a = NULL, *b = NULL, *d = NULL;
        int64_t now = clock_now_ms();
        rc = by_department(c, Q_DASH_OVERDUE_HAZARDS, scope, unit, 0, 0, 2, &a);
        if (!rc) rc = by_department(c, Q_DASH_OVERDUE_TASKS, scope, unit, now, 0, 3, &b);
        if (!rc) rc = by_department(c, Q_DASH_MISSED_DUTIES, scope, unit, from, to, 4, &d);
        json_object_set_new(o, "overdue_by_department",
                            json_pack("{s:o, s:o, s:o}", "hazards", a ? a : json_array(), "task_force_tasks",
                                      b ? b : json_array(), "missed_duties", d ? d : json_array()));
    }
    free(h);
    free(first);
    free(done);
    if (rc) {
        json_decref(o);
        return rc;
    }
    *out = o;
    return WS_OK;
}

ws_err dashboard_committee_list(store_conn *c, const char *scope, int64_t unit, json_t **out)
{
    *out = json_array();
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, Q_DASH_RISKS, &st);
    if (!rc) rc = store_bind_text(st, 1, scope);
    if (!rc) rc = store_bind_int(st, 2, unit);
    while (!rc && !(rc = store_step(st, &row)) && row)
        json_array_append_new(*out, json_pack("{s:s, s:I, s:s, s:s, s:s, s:s}", "kind", "risk", "id",
                                              (json_int_t)store_col_int(st, 0), "title", store_col_text(st, 1),
                                              "level", store_col_int(st, 2) >= 4 ? "major" : "high", "department",
                                              store_col_text(st, 3), "where", store_col_text(st, 4)));
    store_finalize(st);
    st = NULL;
    if (!rc) rc = store_prepare(c, Q_DASH_OPEN_MAJOR, &st);
    if (!rc) rc = store_bind_text(st, 1, scope);
    if (!rc) rc = store_bind_int(st, 2, unit);
    while (!rc && !(rc = store_step(st, &row)) && row)
        json_array_append_new(*out, json_pack("{s:s, s:I, s:s, s:s, s:b, s:s, s:o}", "kind", "hazard", "id",
                                              (json_int_t)store_col_int(st, 0), "title", store_col_text(st, 1),
                                              "state", store_col_text(st, 2), "overdue", store_col_int(st, 3) != 0,
                                              "department", store_col_text(st, 4), "since",
                                              json_time(store_col_int(st, 5))));
    store_finalize(st);
    st = NULL;
    if (!rc) rc = store_prepare(c, Q_DASH_OPEN_FORCES, &st);
    if (!rc) rc = store_bind_text(st, 1, scope);
    if (!rc) rc = store_bind_int(st, 2, unit);
    while (!rc && !(rc = store_step(st, &row)) && row)
        json_array_append_new(*out, json_pack("{s:s, s:I, s:s, s:s, s:o, s:I}", "kind", "task_force", "id",
                                              (json_int_t)store_col_int(st, 0), "title", store_col_text(st, 1),
                                              "trigger", store_col_text(st, 2), "since", json_time(store_col_int(st, 3)),
                                              "open_tasks", (json_int_t)store_col_int(st, 4)));
    store_finalize(st);
    if (rc) {
        json_decref(*out);
        *out = NULL;
    }
    return rc;
}
