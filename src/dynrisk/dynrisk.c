/* dynrisk.c — the dynamic risk index in the server (dynrisk.h): inputs
 * gathered per area, the index with its explanation, the projection, the
 * history, the weekly profiles, weather observations and the versioned
 * parameters. The arithmetic is the pure model's (riskidx/model.c); this
 * file only reads records and writes its own tables (q_dynrisk.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "auth/auth.h"
#include "core/clock.h"
#include "core/json.h"
#include "dynrisk/dynrisk.h"
#include "ledger/ledger.h"
#include "risk/risk.h"
#include "store/q_dynrisk.h"
#include "warn/warn.h"

#define HOUR_MS 3600000LL
#define DAY_MIN 1440
#define NIGHT_FROM (22 * 60) /* night work: 22:00–06:00 (劳动法 practice) */
#define NIGHT_TO (6 * 60)
#define MAX_SHIFTS 16
#define MAX_AREAS 2000
#define MAX_FORECAST_LISTED 256 /* areas with an active forecast alarm projected again for a list */
#define MAX_HISTORY 5000

static const audit_col params_cols[] = {
    {"id", AC_INT}, {"doc", AC_TEXT}, {"comment", AC_TEXT}, {"created_by_person_id", AC_INT},
    {"created_at", AC_INT}, {"active", AC_INT},
};
const audit_entity DYNRISK_ENTITY_PARAMS = {"risk_index_params", "risk_index_params", params_cols,
                                            (int)(sizeof params_cols / sizeof params_cols[0])};

ws_err dynrisk_init(void)
{
    static bool done;
    if (done) return WS_OK;
    ws_err rc = audit_register(&DYNRISK_ENTITY_PARAMS);
    if (!rc) done = true;
    return rc;
}

static const char *const colour_names[] = {"none", "blue", "yellow", "orange", "red"};

static const char *colour_name(int c) { return c >= 1 && c <= 4 ? colour_names[c] : colour_names[0]; }

/* ------------------------------------------------------------- parameters */

static ws_err seed_default(store_conn *c, int64_t now)
{
    rx_params p;
    const char *d = rx_params_default_json();
    ws_err rc = rx_params_parse(d, strlen(d), &p);
    char *canon = rc ? NULL : rx_params_to_json(&p);
    if (!rc && !canon) rc = ws_fail(WS_ENOMEM, NULL, "out of memory");
    bool own = false;
    if (!rc) rc = store_tx_join(c, &own);
    store_stmt *st = NULL;
    bool row = false;
    /* Another writer may have stored it meanwhile: look again inside the tx. */
    if (!rc) rc = store_prepare(c, Q_DYN_PARAMS_ACTIVE, &st);
    if (!rc) rc = store_step(st, &row);
    store_finalize(st);
    st = NULL;
    if (!rc && !row) {
        rc = store_prepare(c, Q_DYN_PARAMS_INSERT, &st);
        if (!rc) rc = store_bind_int(st, 1, 1);
        if (!rc) rc = store_bind_text(st, 2, canon);
        if (!rc) rc = store_bind_text(st, 3, "默认参数");
        if (!rc) rc = store_bind_null(st, 4);
        if (!rc) rc = store_bind_int(st, 5, now);
        if (!rc) rc = store_bind_int(st, 6, 1);
        if (!rc) rc = store_step(st, &row);
        store_finalize(st);
        audit_actor sys = {"system"};
        if (!rc) rc = audit_record(c, &sys, &DYNRISK_ENTITY_PARAMS, 1, "create", NULL);
    }
    if (own) rc = store_tx_finish(c, own, rc);
    free(canon);
    return rc;
}

ws_err dynrisk_params_active(store_conn *c, rx_params *p, int64_t *version)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        store_stmt *st = NULL;
        bool row = false;
        ws_err rc = store_prepare(c, Q_DYN_PARAMS_ACTIVE, &st);
        if (!rc) rc = store_step(st, &row);
        if (!rc && row) {
            const char *doc = store_col_text(st, 1);
            if (version) *version = store_col_int(st, 0);
            rc = rx_params_parse(doc, strlen(doc), p);
            if (rc) rc = ws_fail(WS_ECORRUPT, "risk_index_params", "the stored risk-index parameters do not parse");
        }
        store_finalize(st);
        if (rc || row) return rc;
        if ((rc = seed_default(c, clock_now_ms()))) return rc;
    }
    return ws_fail(WS_EINTERNAL, NULL, "no active risk-index parameters");
}

ws_err dynrisk_params_json(store_conn *c, json_t **out)
{
    rx_params p;
    int64_t version = 0;
    ws_err rc = dynrisk_params_active(c, &p, &version);
    if (rc) return rc;
    char *canon = rx_params_to_json(&p);
    json_t *params = canon ? json_loads(canon, 0, NULL) : NULL;
    free(canon);
    if (!params) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    json_t *o = json_object(), *versions = json_array();
    json_object_set_new(o, "version", json_integer(version));
    json_object_set_new(o, "params", params);
    store_stmt *st = NULL;
    bool row = false;
    rc = store_prepare(c, Q_DYN_PARAMS_LIST, &st);
    while (!rc && !(rc = store_step(st, &row)) && row) {
        json_t *v = json_object();
        json_object_set_new(v, "version", json_integer(store_col_int(st, 0)));
        json_object_set_new(v, "comment", json_str(store_col_text(st, 1)));
        json_object_set_new(v, "created_by_person_id", json_id(store_col_opt_int(st, 2)));
        json_object_set_new(v, "created_at", json_time(store_col_int(st, 3)));
        json_object_set_new(v, "active", json_boolean(store_col_int(st, 4) != 0));
        json_array_append_new(versions, v);
    }
    store_finalize(st);
    json_object_set_new(o, "versions", versions);
    if (rc) {
        json_decref(o);
        return rc;
    }
    *out = o;
    return WS_OK;
}

ws_err dynrisk_params_put(store_conn *c, const org_caller *by, const char *doc, size_t len,
                          const char *comment, int64_t *version)
{
    if (by && by->subject) {
        ws_err rc = auth_decide(by->subject, "riskidx.rules", NULL);
        if (rc) return rc;
    }
    rx_params p;
    ws_err rc = rx_params_parse(doc, len, &p);
    if (rc) return rc;
    if (comment && strlen(comment) > 500) return ws_fail(WS_EINVAL, "comment", "comment is at most 500 bytes");
    rx_params cur;
    if ((rc = dynrisk_params_active(c, &cur, NULL))) return rc; /* version 1 exists before version 2 */
    char *canon = rx_params_to_json(&p);
    if (!canon) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    bool own = false;
    rc = store_tx_join(c, &own);
    store_stmt *st = NULL;
    bool row = false;
    int64_t v = 0, now = clock_now_ms();
    if (!rc) rc = store_prepare(c, Q_DYN_PARAMS_NEXT, &st);
    if (!rc) rc = store_step(st, &row);
    if (!rc) v = store_col_int(st, 0);
    store_finalize(st);
    st = NULL;
    int64_t off[8];
    int noff = 0;
    if (!rc) rc = store_prepare(c, Q_DYN_PARAMS_OFF, &st);
    while (!rc && !(rc = store_step(st, &row)) && row)
        if (noff < 8) off[noff++] = store_col_int(st, 0);
    store_finalize(st);
    st = NULL;
    if (!rc) rc = store_prepare(c, Q_DYN_PARAMS_INSERT, &st);
    if (!rc) rc = store_bind_int(st, 1, v);
    if (!rc) rc = store_bind_text(st, 2, canon);
    if (!rc) rc = store_bind_text(st, 3, comment ? comment : "");
    if (!rc) rc = store_bind_opt_int(st, 4, by && by->subject ? by->subject->person_id : 0);
    if (!rc) rc = store_bind_int(st, 5, now);
    if (!rc) rc = store_bind_int(st, 6, 1);
    if (!rc) rc = store_step(st, &row);
    store_finalize(st);
    audit_actor sys = {"system"};
    const audit_actor *who = by && by->actor ? by->actor : &sys;
    for (int i = 0; !rc && i < noff; i++) rc = audit_record(c, who, &DYNRISK_ENTITY_PARAMS, off[i], "deactivate", NULL);
    if (!rc) rc = audit_record(c, who, &DYNRISK_ENTITY_PARAMS, v, "create", NULL);
    rc = store_tx_finish(c, own, rc);
    free(canon);
    if (!rc && version) *version = v;
    return rc;
}

/* ---------------------------------------------------------------- weather */

ws_err dynrisk_weather_add(store_conn *c, const org_caller *by, const dynrisk_weather_in *in, int64_t *id)
{
    org_unit u;
    ws_err rc = org_unit_get(c, in->unit_id, &u);
    if (rc == WS_ENOTFOUND || (!rc && by && by->subject && !auth_in_scope(by->subject, u.path)))
        return ws_fail(WS_ENOTFOUND, "unit_id", "no such unit (unit_id)");
    if (rc) return rc;
    if (by && by->subject) {
        auth_resource r = {.unit_path = u.path};
        if ((rc = auth_decide(by->subject, "reading.write", &r))) return rc;
    }
    if (!isnan(in->wind_ms) && !(in->wind_ms >= 0 && in->wind_ms <= 100))
        return ws_fail(WS_EINVAL, "wind_ms", "wind_ms is a wind speed of 0 to 100 m/s");
    if (!isnan(in->rain_mmh) && !(in->rain_mmh >= 0 && in->rain_mmh <= 500))
        return ws_fail(WS_EINVAL, "rain_mmh", "rain_mmh is a rain rate of 0 to 500 mm/h");
    if (!isnan(in->temp_c) && !(in->temp_c >= -80 && in->temp_c <= 70))
        return ws_fail(WS_EINVAL, "temp_c", "temp_c is an air temperature of -80 to 70 °C");
    if (in->lightning < 0 || in->lightning > 4)
        return ws_fail(WS_EINVAL, "lightning", "lightning is a warning colour: none, blue, yellow, orange or red");
    if (isnan(in->wind_ms) && isnan(in->rain_mmh) && isnan(in->temp_c) && !in->lightning)
        return ws_fail(WS_EINVAL, "wind_ms", "an observation needs at least one of wind_ms, rain_mmh, temp_c or lightning");
    int64_t now = clock_now_ms();
    if (in->forecast && (in->observed_at < now - DYNRISK_WEATHER_MAX_AGE_MS || in->observed_at > now + 72 * HOUR_MS))
        return ws_fail(WS_EINVAL, "observed_at", "a forecast's observed_at is the time it is for, within the last 3 "
                       "and the next 72 hours");
    if (!in->forecast && (in->observed_at <= 0 || in->observed_at > now + 5 * 60000LL))
        return ws_fail(WS_EINVAL, "observed_at", "observed_at is a time not in the future (a forecast says "
                       "\"forecast\": true)");
    store_stmt *st = NULL;
    bool row = false;
    rc = store_prepare(c, Q_DYN_WEATHER_INSERT, &st);
    if (!rc) rc = store_bind_int(st, 1, in->unit_id);
    if (!rc) rc = store_bind_int(st, 2, in->observed_at);
    if (!rc) rc = store_bind_opt_double(st, 3, in->wind_ms);
    if (!rc) rc = store_bind_opt_double(st, 4, in->rain_mmh);
    if (!rc) rc = store_bind_opt_double(st, 5, in->temp_c);
    if (!rc) rc = store_bind_int(st, 6, in->lightning);
    if (!rc) rc = store_bind_text(st, 7, in->source && *in->source ? in->source : "api");
    if (!rc) rc = store_bind_int(st, 8, now);
    if (!rc) rc = store_bind_int(st, 9, in->forecast);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row && id) *id = store_col_int(st, 0);
    store_finalize(st);
    return rc;
}

static json_t *opt_real(double v) { return isnan(v) ? json_null() : json_real(v); }

ws_err dynrisk_weather_list(store_conn *c, const char *path, int64_t from, int64_t to, int limit, json_t **items)
{
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, Q_DYN_WEATHER_LIST, &st);
    if (!rc) rc = store_bind_text(st, 1, path);
    if (!rc) rc = store_bind_int(st, 2, from);
    if (!rc) rc = store_bind_int(st, 3, to);
    if (!rc) rc = store_bind_int(st, 4, limit);
    json_t *a = json_array();
    while (!rc && !(rc = store_step(st, &row)) && row) {
        json_t *o = json_object();
        json_object_set_new(o, "id", json_integer(store_col_int(st, 0)));
        json_object_set_new(o, "unit_id", json_integer(store_col_int(st, 1)));
        json_object_set_new(o, "observed_at", json_time(store_col_int(st, 2)));
        json_object_set_new(o, "wind_ms", opt_real(store_col_opt_double(st, 3)));
        json_object_set_new(o, "rain_mmh", opt_real(store_col_opt_double(st, 4)));
        json_object_set_new(o, "temp_c", opt_real(store_col_opt_double(st, 5)));
        json_object_set_new(o, "lightning", json_str(colour_name((int)store_col_int(st, 6))));
        json_object_set_new(o, "source", json_str(store_col_text(st, 7)));
        json_object_set_new(o, "forecast", json_boolean(store_col_int(st, 8) != 0));
        json_array_append_new(a, o);
    }
    store_finalize(st);
    if (rc) {
        json_decref(a);
        return rc;
    }
    *items = a;
    return WS_OK;
}

/* ----------------------------------------------------------------- inputs */

typedef struct shift_def {
    int start, len;
} shift_def;

/* Everything gathered for one area; the model's arrays point in here. */
typedef struct gathered {
    rx_inputs in;
    rx_point pts[RX_MAX_POINTS];
    rx_permit permits[RX_MAX_PERMITS];
    int tz_off;                   /* minutes, now */
    shift_def shifts[MAX_SHIFTS];
    int nshifts;
    int64_t weather_at;           /* 0 = none */
    int nplanned;                 /* permits planned in the horizon */
    struct planned {
        rx_permit p;
        int64_t from, to;
        int64_t id;
        bool active;              /* active now: from is now */
        char code[32];
    } planned[RX_MAX_PERMITS];
    int nforecasts;               /* weather forecasts for the horizon, oldest first */
    struct forecast {
        int64_t at;
        rx_weather w;
    } forecasts[128];
} gathered;

static const char *const permit_types[RX_NPERMIT_TYPES] = {
    "hot_work", "confined_space", "blind_plate", "work_at_height",
    "lifting", "temporary_power", "excavation", "road_closure",
};

/* The model's grade: hot work 特级 1, 一级 2, 二级 3; others their number. */
static bool permit_of(const char *type, const char *grade, rx_permit *out)
{
    int t = -1;
    for (int i = 0; i < RX_NPERMIT_TYPES; i++)
        if (!strcmp(type, permit_types[i])) t = i;
    if (t < 0) return false;
    out->type = (rx_permit_type)t;
    if (t == RX_HOT_WORK) out->grade = !strcmp(grade, "special") ? 1 : !strcmp(grade, "1") ? 2 : 3;
    else out->grade = grade[0] >= '1' && grade[0] <= '4' && !grade[1] ? grade[0] - '0' : 0;
    return true;
}

static const char *permit_grade_text(const rx_permit *p)
{
    static const char *const hot[] = {"", "special", "1", "2"};
    static const char *const num[] = {"", "1", "2", "3", "4"};
    if (p->type == RX_HOT_WORK) return p->grade >= 1 && p->grade <= 3 ? hot[p->grade] : "";
    return p->grade >= 1 && p->grade <= 4 ? num[p->grade] : "";
}

/* Whether instant t falls in a night shift (dynrisk.h), at the area's
 * offset of now (a DST change within the horizon is not followed). */
static bool night_at(const gathered *g, int64_t t)
{
    long long lm = ((t / 60000 + g->tz_off) % DAY_MIN + DAY_MIN) % DAY_MIN;
    int m = (int)lm;
    for (int i = 0; i < g->nshifts; i++) {
        const shift_def *s = &g->shifts[i];
        if (((m - s->start) % DAY_MIN + DAY_MIN) % DAY_MIN >= s->len) continue;
        int night = 0; /* minutes of the shift inside 22:00–06:00 */
        for (int k = 0; k < s->len; k += 15) {
            int x = (s->start + k) % DAY_MIN;
            if (x >= NIGHT_FROM || x < NIGHT_TO) night += 15;
        }
        return night * 2 >= s->len;
    }
    return m >= NIGHT_FROM || m < NIGHT_TO;
}

/* The inputs of area at now. historic: as the records say they were at now
 * (hazards open then, permits active then; no live points, no plans) — the
 * demo's back-filled week. */
static ws_err gather(store_conn *c, struct warn *w, const org_unit *area, int64_t now, int horizon_h, bool historic,
                     gathered *g)
{
    memset(g, 0, sizeof *g);
    g->in.points = g->pts;
    g->in.permits = g->permits;
    g->tz_off = ledger_tz_offset(area->tz, now);
    int64_t counts[5];
    int rank = 0;
    ws_err rc = risk_map_counts(c, area->path, counts, &rank);
    if (rc) return rc;
    g->in.static_rank = rank;
    /* live points, and after them the area's process monitors (their
     * departure as an anomaly score; room kept for up to 8) */
    if (w) {
        warn_point_state ps[RX_MAX_POINTS];
        warn_monitor_score ms[8];
        int n = 0, nm = 0;
        if (warn_monitors_under(w, area->path, now, ms, 8, &nm)) nm = 0;
        if (!warn_points_under(w, area->path, now, ps, RX_MAX_POINTS - nm, &n)) {
            for (int i = 0; i < n; i++) {
                snprintf(g->pts[i].tag, sizeof g->pts[i].tag, "%s", ps[i].tag);
                g->pts[i].ratio = ps[i].ratio;
                g->pts[i].past = ps[i].past;
                g->pts[i].climb = ps[i].climb;
                g->pts[i].score = ps[i].score;
            }
            for (int k = 0; k < nm; k++, n++) {
                rx_point *x = &g->pts[n];
                memset(x, 0, sizeof *x);
                snprintf(x->tag, sizeof x->tag, "%s", ms[k].top);
                x->ratio = NAN;
                x->score = ms[k].score;
                x->monitor = true;
            }
            g->in.npoints = n;
        }
    }
    /* open hidden dangers */
    store_stmt *st = NULL;
    bool row = false;
    rc = store_prepare(c, historic ? Q_DYN_HAZARDS_AT : Q_DYN_HAZARDS, &st);
    if (!rc) rc = store_bind_text(st, 1, area->path);
    if (!rc && historic) rc = store_bind_int(st, 2, now);
    while (!rc && !(rc = store_step(st, &row)) && row) {
        if (!strcmp(store_col_text(st, 0), "major")) g->in.hazards_major++;
        else g->in.hazards_general++;
        int64_t dl = store_col_opt_int(st, 1);
        if (dl > 0 && dl < now) g->in.hazard_overdue_days += (double)(now - dl) / 86400000.0;
    }
    store_finalize(st);
    st = NULL;
    /* permits: active now, and planned in the horizon */
    int64_t until = now + (int64_t)horizon_h * HOUR_MS + HOUR_MS;
    if (!rc) rc = store_prepare(c, historic ? Q_DYN_PERMITS_AT : Q_DYN_PERMITS, &st);
    if (!rc) rc = store_bind_text(st, 1, area->path);
    if (!rc) rc = store_bind_int(st, 2, now);
    if (!rc && !historic) rc = store_bind_int(st, 3, until);
    while (!rc && historic && !(rc = store_step(st, &row)) && row) {
        rx_permit p;
        if (permit_of(store_col_text(st, 0), store_col_text(st, 1), &p) && g->in.npermits < RX_MAX_PERMITS)
            g->permits[g->in.npermits++] = p;
    }
    while (!rc && !historic && !(rc = store_step(st, &row)) && row) {
        rx_permit p;
        if (!permit_of(store_col_text(st, 0), store_col_text(st, 1), &p)) continue;
        bool active = !strcmp(store_col_text(st, 2), "active");
        int64_t from = store_col_int(st, 3), to = store_col_int(st, 4);
        if (active && g->in.npermits < RX_MAX_PERMITS) g->permits[g->in.npermits++] = p;
        if (g->nplanned < RX_MAX_PERMITS) {
            struct planned *pl = &g->planned[g->nplanned++];
            *pl = (struct planned){p, active ? now : from, to, store_col_int(st, 5), active, ""};
            snprintf(pl->code, sizeof pl->code, "%s", store_col_text(st, 6));
        }
    }
    store_finalize(st);
    st = NULL;
    /* shifts of the nearest unit that has them */
    char first_path[AUTH_PATH_MAX] = "";
    if (!rc) rc = store_prepare(c, Q_DYN_SHIFTS, &st);
    if (!rc) rc = store_bind_text(st, 1, area->path);
    while (!rc && !(rc = store_step(st, &row)) && row) {
        const char *p = store_col_text(st, 2);
        if (!first_path[0]) snprintf(first_path, sizeof first_path, "%s", p);
        if (strcmp(first_path, p) || g->nshifts == MAX_SHIFTS) continue;
        g->shifts[g->nshifts++] = (shift_def){(int)store_col_int(st, 0), (int)store_col_int(st, 1)};
    }
    store_finalize(st);
    st = NULL;
    g->in.night = night_at(g, now);
    /* weather */
    if (!rc) rc = store_prepare(c, Q_DYN_WEATHER_LATEST, &st);
    if (!rc) rc = store_bind_text(st, 1, area->path);
    if (!rc) rc = store_bind_int(st, 2, now - DYNRISK_WEATHER_MAX_AGE_MS);
    if (!rc) rc = store_bind_int(st, 3, now);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) {
        g->in.weather.known = true;
        g->in.weather.wind_ms = store_col_opt_double(st, 0);
        g->in.weather.rain_mmh = store_col_opt_double(st, 1);
        g->in.weather.temp_c = store_col_opt_double(st, 2);
        g->in.weather.lightning = (int)store_col_int(st, 3);
        g->weather_at = store_col_int(st, 4);
    }
    store_finalize(st);
    st = NULL;
    /* forecasts for the projection's hours */
    if (!rc && !historic) rc = store_prepare(c, Q_DYN_FORECASTS, &st);
    if (!rc && !historic) rc = store_bind_text(st, 1, area->path);
    if (!rc && !historic) rc = store_bind_int(st, 2, now - DYNRISK_WEATHER_MAX_AGE_MS);
    if (!rc && !historic) rc = store_bind_int(st, 3, until);
    while (!rc && !historic && !(rc = store_step(st, &row)) && row) {
        if (g->nforecasts == (int)(sizeof g->forecasts / sizeof g->forecasts[0])) break;
        struct forecast *f = &g->forecasts[g->nforecasts++];
        f->w = (rx_weather){.known = true, .wind_ms = store_col_opt_double(st, 0),
                            .rain_mmh = store_col_opt_double(st, 1), .temp_c = store_col_opt_double(st, 2),
                            .lightning = (int)store_col_int(st, 3)};
        f->at = store_col_int(st, 4);
    }
    store_finalize(st);
    return rc;
}

/* -------------------------------------------------------------- profiles */

static ws_err profile_load(store_conn *c, int64_t unit, rx_profile *pr, int64_t *learnt_hour)
{
    rx_profile_init(pr);
    *learnt_hour = 0;
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, Q_DYN_PROFILE_GET, &st);
    if (!rc) rc = store_bind_int(st, 1, unit);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) {
        *learnt_hour = store_col_int(st, 0);
        json_t *o = json_loads(store_col_text(st, 1), 0, NULL);
        json_t *m = json_object_get(o, "mean"), *v = json_object_get(o, "var"), *n = json_object_get(o, "n");
        if (json_array_size(m) == RX_WEEK_H && json_array_size(v) == RX_WEEK_H && json_array_size(n) == RX_WEEK_H)
            for (int h = 0; h < RX_WEEK_H; h++) {
                pr->mean[h] = json_number_value(json_array_get(m, (size_t)h));
                pr->var[h] = json_number_value(json_array_get(v, (size_t)h));
                pr->n[h] = (uint32_t)json_integer_value(json_array_get(n, (size_t)h));
            }
        json_decref(o);
    }
    store_finalize(st);
    return rc;
}

static ws_err profile_save(store_conn *c, int64_t unit, const rx_profile *pr, int64_t learnt_hour)
{
    json_t *o = json_object(), *m = json_array(), *v = json_array(), *n = json_array();
    for (int h = 0; h < RX_WEEK_H; h++) {
        json_array_append_new(m, json_real(round(pr->mean[h] * 1000) / 1000));
        json_array_append_new(v, json_real(round(pr->var[h] * 1000) / 1000));
        json_array_append_new(n, json_integer(pr->n[h]));
    }
    json_object_set_new(o, "mean", m);
    json_object_set_new(o, "var", v);
    json_object_set_new(o, "n", n);
    char *txt = json_dump_compact(o);
    json_decref(o);
    if (!txt) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, Q_DYN_PROFILE_PUT, &st);
    if (!rc) rc = store_bind_int(st, 1, unit);
    if (!rc) rc = store_bind_int(st, 2, learnt_hour);
    if (!rc) rc = store_bind_text(st, 3, txt);
    if (!rc) rc = store_step(st, &row);
    store_finalize(st);
    free(txt);
    return rc;
}

/* Hour of the week (0 = Monday 00:00 local) of instant t at offset off. */
static int hour_of_week(int64_t t, int off_min)
{
    int64_t local_h = (t / 60000 + off_min) / 60;
    if (t / 60000 + off_min < 0) local_h--;
    int64_t days = local_h >= 0 ? local_h / 24 : (local_h - 23) / 24;
    int dow = (int)(((days + 3) % 7 + 7) % 7); /* 1970-01-01 was a Thursday: Monday = 0 */
    return dow * 24 + (int)(((local_h % 24) + 24) % 24);
}

/* Mean stored index per hour over [from_h, to_h) hours since the epoch:
 * out[i] NaN where the hour has no row. */
static ws_err hourly_means(store_conn *c, int64_t unit, int64_t from_h, int64_t to_h, double *out)
{
    int n = (int)(to_h - from_h);
    double sum[RX_WEEK_H + RX_MAX_HORIZON] = {0};
    int cnt[RX_WEEK_H + RX_MAX_HORIZON] = {0};
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, Q_DYN_HISTORY, &st);
    if (!rc) rc = store_bind_int(st, 1, unit);
    if (!rc) rc = store_bind_int(st, 2, from_h * HOUR_MS);
    if (!rc) rc = store_bind_int(st, 3, to_h * HOUR_MS);
    if (!rc) rc = store_bind_int(st, 4, MAX_HISTORY);
    while (!rc && !(rc = store_step(st, &row)) && row) {
        int k = (int)(store_col_int(st, 0) / HOUR_MS - from_h);
        if (k < 0 || k >= n) continue;
        sum[k] += store_col_double(st, 1);
        cnt[k]++;
    }
    store_finalize(st);
    for (int k = 0; k < n; k++) out[k] = cnt[k] ? sum[k] / cnt[k] : NAN;
    return rc;
}

/* -------------------------------------------------------------- the index */

static json_t *factors_json(const rx_result *r)
{
    json_t *a = json_array();
    for (int i = 0; i < r->ncontrib; i++) {
        json_t *f = json_object();
        json_object_set_new(f, "factor", json_str(rx_factor_name(r->contrib[i].factor)));
        json_object_set_new(f, "points", json_real(round(r->contrib[i].points * 10) / 10));
        json_object_set_new(f, "detail", json_str(r->contrib[i].detail));
        json_array_append_new(a, f);
    }
    return a;
}

static json_t *inputs_json(const gathered *g)
{
    json_t *o = json_object();
    json_object_set_new(o, "static_level", json_str(risk_level_of_rank(g->in.static_rank).code));
    json_t *h = json_object();
    json_object_set_new(h, "general", json_integer(g->in.hazards_general));
    json_object_set_new(h, "major", json_integer(g->in.hazards_major));
    json_object_set_new(h, "overdue_days", json_real(round(g->in.hazard_overdue_days * 10) / 10));
    json_object_set_new(o, "hazards", h);
    json_t *p = json_array();
    for (int i = 0; i < g->in.npermits; i++)
        json_array_append_new(p, json_pack("{s:s,s:s}", "type", permit_types[g->permits[i].type], "grade",
                                           permit_grade_text(&g->permits[i])));
    json_object_set_new(o, "permits", p);
    if (g->in.weather.known) {
        json_t *wx = json_object();
        json_object_set_new(wx, "observed_at", json_time(g->weather_at));
        json_object_set_new(wx, "wind_ms", opt_real(g->in.weather.wind_ms));
        json_object_set_new(wx, "rain_mmh", opt_real(g->in.weather.rain_mmh));
        json_object_set_new(wx, "temp_c", opt_real(g->in.weather.temp_c));
        json_object_set_new(wx, "lightning", json_str(colour_name(g->in.weather.lightning)));
        json_object_set_new(o, "weather", wx);
    } else {
        json_object_set_new(o, "weather", json_null());
    }
    json_object_set_new(o, "night", json_boolean(g->in.night));
    json_t *pts = json_array();
    for (int i = 0; i < g->in.npoints && i < 10; i++) {
        json_t *x = json_object();
        json_object_set_new(x, "tag", json_str(g->pts[i].tag));
        json_object_set_new(x, "ratio", isnan(g->pts[i].ratio) ? json_null() : json_real(round(g->pts[i].ratio * 100) / 100));
        json_object_set_new(x, "past", json_integer(g->pts[i].past));
        json_object_set_new(x, "climb_per_h", json_real(round(g->pts[i].climb * 1000) / 1000));
        json_object_set_new(x, "score", isnan(g->pts[i].score) ? json_null() : json_real(round(g->pts[i].score * 100) / 100));
        if (g->pts[i].monitor) json_object_set_new(x, "monitor", json_true());
        json_array_append_new(pts, x);
    }
    json_object_set_new(o, "points", pts);
    json_object_set_new(o, "npoints", json_integer(g->in.npoints));
    return o;
}

static json_t *area_head(const org_unit *a, const rx_result *r, int64_t now)
{
    json_t *o = json_object();
    json_object_set_new(o, "unit_id", json_integer(a->id));
    json_object_set_new(o, "code", json_str(a->code));
    json_object_set_new(o, "name", json_str(a->name));
    json_object_set_new(o, "path", json_str(a->path));
    json_object_set_new(o, "at", json_time(now));
    json_object_set_new(o, "index", json_real(round(r->index * 10) / 10));
    json_object_set_new(o, "colour", json_str(colour_name(r->colour)));
    json_object_set_new(o, "factors", factors_json(r));
    return o;
}

/* The schedule of the coming hours: permits planned to be active at the
 * start of each hour ahead, and whether that hour is in a night shift. */
static void schedule_of(const gathered *g, int64_t now, int nhours, rx_schedule *s)
{
    memset(s, 0, sizeof *s);
    s->nhours = nhours;
    for (int h = 0; h < nhours; h++) {
        int64_t t = now + (int64_t)(h + 1) * HOUR_MS;
        for (int i = 0; i < g->nplanned; i++)
            if (g->planned[i].from <= t && t < g->planned[i].to && s->npermits[h] < RX_MAX_PERMITS)
                s->permits[h][s->npermits[h]++] = g->planned[i].p;
        s->night[h] = night_at(g, t);
        /* the newest forecast for t (at most 3 hours before it) — unless an
         * observation newer than that forecast's time is already in */
        for (int i = 0; i < g->nforecasts; i++) {
            const struct forecast *f = &g->forecasts[i];
            if (f->at > t || t - f->at > DYNRISK_WEATHER_MAX_AGE_MS) continue;
            if (g->weather_at && g->weather_at >= f->at && g->in.weather.known) continue;
            s->forecast[h] = true;
            s->weather[h] = f->w;
        }
    }
}

/* Hour h's points per factor (those of at least 0.05), with "profile" for
 * what the weekly profile added: {"permits": 12.0, "profile": 3.4, …}. */
static json_t *hour_factors(const rx_projection *pj, int h)
{
    json_t *o = json_object();
    for (int f = 0; f < RX_NFACTORS; f++)
        if (pj->factor_pts[h][f] >= 0.05)
            json_object_set_new(o, rx_factor_name((rx_factor)f), json_real(round(pj->factor_pts[h][f] * 10) / 10));
    if (pj->profile_pts[h] >= 0.05) json_object_set_new(o, "profile", json_real(round(pj->profile_pts[h] * 10) / 10));
    return o;
}

/* What raises the index from now (r) to the warning hour: each factor with
 * at least half a point more then, with its detail at that hour, and the
 * weekly profile's part; largest first. */
static json_t *warning_why(const rx_result *r, const rx_projection *pj)
{
    int h = pj->warn_in_h - 1;
    struct {
        const char *factor, *detail;
        double change;
        char text[64];
    } why[RX_NFACTORS + 1];
    int n = 0;
    for (int f = 0; f < RX_NFACTORS; f++) {
        double was = 0;
        for (int i = 0; i < r->ncontrib; i++)
            if (r->contrib[i].factor == (rx_factor)f) was = r->contrib[i].points;
        double change = pj->factor_pts[h][f] - was;
        if (change < 0.5) continue;
        why[n].factor = rx_factor_name((rx_factor)f), why[n].change = change, why[n].detail = "";
        for (int i = 0; i < pj->warn_model.ncontrib; i++)
            if (pj->warn_model.contrib[i].factor == (rx_factor)f) why[n].detail = pj->warn_model.contrib[i].detail;
        n++;
    }
    if (pj->profile_pts[h] >= 0.5) {
        why[n].factor = "profile", why[n].change = pj->profile_pts[h];
        if (pj->unusual)
            snprintf(why[n].text, sizeof why[n].text, "running %.1f above the weekly profile", pj->deviation);
        else
            snprintf(why[n].text, sizeof why[n].text, "usually %.1f at this hour of the week", pj->profile_mean[h]);
        why[n].detail = why[n].text;
        n++;
    }
    json_t *a = json_array();
    bool used[RX_NFACTORS + 1] = {false};
    for (;;) {
        int best = -1;
        for (int i = 0; i < n; i++)
            if (!used[i] && (best < 0 || why[i].change > why[best].change)) best = i;
        if (best < 0) break;
        used[best] = true;
        json_array_append_new(a, json_pack("{s:s,s:f,s:s}", "factor", why[best].factor, "change",
                                           round(why[best].change * 10) / 10, "detail", why[best].detail));
    }
    return a;
}

/* The permits not active now that are planned to be at the warning hour t
 * (the ones to look at: rescheduled, or their measures reinforced). */
static json_t *warning_permits(const gathered *g, int64_t now, int64_t t)
{
    json_t *a = json_array();
    for (int i = 0; i < g->nplanned; i++) {
        const struct planned *pl = &g->planned[i];
        if (pl->active || pl->from > t || pl->to <= t) continue;
        json_array_append_new(a, json_pack("{s:I,s:s,s:s,s:s,s:o,s:o}", "id", (json_int_t)pl->id, "code", pl->code,
                                           "type", permit_types[pl->p.type], "grade", permit_grade_text(&pl->p),
                                           "from", json_time(pl->from), "to", json_time(pl->to)));
    }
    return a;
}

/* Whether the warning of pj is owed to a climbing point: projected again
 * with the climb weight at 0, it comes later, lower or not at all. Returns
 * the fastest-climbing point's index in g->pts then, else -1. */
static int climb_cause(const rx_params *p, const rx_profile *pr, const gathered *g, const rx_result *r, int how,
                       const double *recent, int nrecent, const rx_schedule *sched, const rx_projection *pj)
{
    int ic = -1;
    for (int i = 0; i < g->in.npoints; i++)
        if (g->pts[i].climb > 0 && (ic < 0 || g->pts[i].climb > g->pts[ic].climb)) ic = i;
    if (ic < 0 || !(p->pj.climb > 0)) return -1;
    rx_params q = *p;
    q.pj.climb = 0;
    rx_projection flat;
    rx_project(&q, pr, &g->in, r, how, recent, nrecent, sched, &flat);
    bool owed = !flat.warn_in_h || flat.warn_in_h > pj->warn_in_h || flat.warn_colour < pj->warn_colour;
    return owed ? ic : -1;
}

static ws_err area_eval(store_conn *c, struct warn *w, const org_unit *area, int64_t now, const rx_params *p,
                        bool project, json_t **out)
{
    gathered *g = malloc(sizeof *g);
    rx_schedule *sched = project ? malloc(sizeof *sched) : NULL;
    if (!g || (project && !sched)) {
        free(g);
        free(sched);
        return ws_fail(WS_ENOMEM, NULL, "out of memory");
    }
    ws_err rc = gather(c, w, area, now, p->horizon_h, false, g);
    rx_result r;
    if (!rc) rx_compute(p, &g->in, &r);
    /* the colour held against the last stored one (hysteresis, rx_colour_held) */
    store_stmt *st = NULL;
    bool row = false;
    if (!rc) rc = store_prepare(c, Q_DYN_LAST_COLOUR, &st);
    if (!rc) rc = store_bind_int(st, 1, area->id);
    if (!rc) rc = store_bind_int(st, 2, now - 2 * DYNRISK_BUCKET_MS);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) r.colour = rx_colour_held(p, r.index, (int)store_col_int(st, 0));
    store_finalize(st);
    json_t *o = rc ? NULL : area_head(area, &r, now);
    if (!rc) json_object_set_new(o, "inputs", inputs_json(g));
    if (!rc && project) {
        rx_profile pr;
        int64_t learnt = 0;
        rc = profile_load(c, area->id, &pr, &learnt);
        double recent[RX_MAX_HORIZON + 1];
        int nrecent = p->unusual_window_h < RX_MAX_HORIZON ? p->unusual_window_h : RX_MAX_HORIZON;
        if (nrecent < 1) nrecent = 1;
        int64_t now_h = now / HOUR_MS;
        if (!rc) rc = hourly_means(c, area->id, now_h - (nrecent - 1), now_h, recent);
        /* the hours with no history take the current value; the last is now */
        for (int k = 0; !rc && k < nrecent - 1; k++)
            if (isnan(recent[k])) recent[k] = r.index;
        recent[nrecent - 1] = r.index;
        int nh = p->horizon_h < RX_MAX_HORIZON ? p->horizon_h : RX_MAX_HORIZON;
        if (!rc) schedule_of(g, now, nh, sched);
        rx_projection pj;
        if (!rc) {
            rx_project(p, &pr, &g->in, &r, hour_of_week(now, g->tz_off), recent, nrecent, sched, &pj);
            json_t *pjo = json_object(), *hours = json_array();
            json_object_set_new(pjo, "horizon_h", json_integer(pj.nhours));
            for (int h = 0; h < pj.nhours; h++)
                json_array_append_new(hours, json_pack("{s:o,s:f,s:s,s:o}", "at", json_time(now + (int64_t)(h + 1) * HOUR_MS),
                                                       "index", round(pj.index[h] * 10) / 10, "colour",
                                                       colour_name(pj.colour[h]), "factors", hour_factors(&pj, h)));
            json_object_set_new(pjo, "hours", hours);
            json_object_set_new(pjo, "unusual", json_boolean(pj.unusual));
            json_object_set_new(pjo, "deviation", json_real(round(pj.deviation * 10) / 10));
            int known = 0;
            for (int h = 0; h < RX_WEEK_H; h++) known += pr.n[h] > 0;
            json_object_set_new(pjo, "profile_hours", json_integer(known)); /* hours of the week learnt */
            if (pj.warn_in_h > 0) {
                json_t *wj = json_pack("{s:i,s:s,s:o}", "in_h", pj.warn_in_h, "colour", colour_name(pj.warn_colour),
                                       "at", json_time(now + (int64_t)pj.warn_in_h * HOUR_MS));
                int ic = climb_cause(p, &pr, g, &r, hour_of_week(now, g->tz_off), recent, nrecent, sched, &pj);
                if (ic >= 0)
                    json_object_set_new(wj, "climbing", json_pack("{s:s,s:f}", "tag", g->pts[ic].tag, "climb_per_h",
                                                                  round(g->pts[ic].climb * 1000) / 1000));
                json_object_set_new(wj, "why", warning_why(&r, &pj));
                json_object_set_new(wj, "permits", warning_permits(g, now, now + (int64_t)pj.warn_in_h * HOUR_MS));
                json_object_set_new(pjo, "warning", wj);
            } else
                json_object_set_new(pjo, "warning", json_null());
            json_object_set_new(o, "projection", pjo);
        }
    }
    free(g);
    free(sched);
    if (rc) {
        json_decref(o);
        return rc;
    }
    *out = o;
    return WS_OK;
}

ws_err dynrisk_area(store_conn *c, struct warn *w, const org_unit *area, int64_t now, bool project, json_t **out)
{
    rx_params p;
    int64_t version = 0;
    ws_err rc = dynrisk_params_active(c, &p, &version);
    if (!rc) rc = area_eval(c, w, area, now, &p, project, out);
    if (!rc) json_object_set_new(*out, "params_version", json_integer(version));
    return rc;
}

/* The active areas under path (caller frees *areas). */
static ws_err areas_under(store_conn *c, const char *path, org_unit **areas, int *n)
{
    *areas = NULL;
    *n = 0;
    org_unit *a = calloc(64, sizeof *a);
    int cap = 64;
    if (!a) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, Q_DYN_AREAS, &st);
    if (!rc) rc = store_bind_text(st, 1, path);
    while (!rc && !(rc = store_step(st, &row)) && row) {
        if (*n == MAX_AREAS) {
            rc = ws_fail(WS_ETOOBIG, "unit_id", "more than %d areas: choose a smaller unit", MAX_AREAS);
            break;
        }
        if (*n == cap) {
            org_unit *b = realloc(a, (size_t)cap * 2 * sizeof *a);
            if (!b) {
                rc = ws_fail(WS_ENOMEM, NULL, "out of memory");
                break;
            }
            a = b;
            cap *= 2;
        }
        org_unit *u = &a[(*n)++];
        memset(u, 0, sizeof *u);
        u->id = store_col_int(st, 0);
        snprintf(u->path, sizeof u->path, "%s", store_col_text(st, 1));
        snprintf(u->name, sizeof u->name, "%s", store_col_text(st, 2));
        snprintf(u->code, sizeof u->code, "%s", store_col_text(st, 3));
        snprintf(u->tz, sizeof u->tz, "%s", store_col_text(st, 4));
        snprintf(u->kind, sizeof u->kind, "area");
        u->active = true;
    }
    store_finalize(st);
    if (rc) {
        free(a);
        *n = 0;
        return rc;
    }
    *areas = a;
    return WS_OK;
}

static int by_index_desc(const void *a, const void *b)
{
    double x = json_number_value(json_object_get(*(json_t *const *)a, "index"));
    double y = json_number_value(json_object_get(*(json_t *const *)b, "index"));
    return x < y ? 1 : x > y ? -1 : 0;
}

/* The warning of each area whose forecast alarm is active (the timer
 * projects every area each minute and raises one when orange or red is
 * coming): those areas are projected again, so the list says how far off it
 * is now and why, as "warning" (projection.warning with the alarm's id), or
 * null — without projecting every area of a large park on each request. */
static ws_err attach_warnings(store_conn *c, struct warn *w, const org_unit *areas, int nareas,
                              const org_unit *above, const rx_params *p, int64_t now, json_t **items)
{
    int n = nareas + (above != NULL); /* items[nareas] is above's */
    for (int i = 0; i < n; i++) json_object_set_new(items[i], "warning", json_null());
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, Q_DYN_FORECAST_ALARMS, &st);
    if (!rc) rc = store_bind_int(st, 1, WARN_RULE_RISK_FORECAST);
    int64_t alarm[MAX_FORECAST_LISTED], area[MAX_FORECAST_LISTED];
    int na = 0;
    while (!rc && !(rc = store_step(st, &row)) && row && na < MAX_FORECAST_LISTED) {
        area[na] = store_col_int(st, 0);
        alarm[na++] = store_col_int(st, 1);
    }
    store_finalize(st);
    for (int k = 0; !rc && k < na; k++) {
        for (int i = 0; !rc && i < n; i++) {
            const org_unit *u = i < nareas ? &areas[i] : above;
            if (u->id != area[k]) continue;
            json_t *o = NULL;
            rc = area_eval(c, w, u, now, p, true, &o);
            json_t *wj = rc ? NULL : json_object_get(json_object_get(o, "projection"), "warning");
            if (json_is_object(wj)) {
                json_object_set_new(wj, "alarm_id", json_integer(alarm[k]));
                json_object_set(items[i], "warning", wj);
            }
            json_decref(o);
        }
    }
    return rc;
}

ws_err dynrisk_areas(store_conn *c, struct warn *w, const char *path, const org_unit *above, int64_t now,
                     json_t **out)
{
    rx_params p;
    int64_t version = 0;
    ws_err rc = dynrisk_params_active(c, &p, &version);
    org_unit *areas = NULL;
    int n = 0;
    if (!rc && path) rc = areas_under(c, path, &areas, &n);
    json_t **items = rc ? NULL : calloc((size_t)n + 2, sizeof *items);
    if (!rc && !items) rc = ws_fail(WS_ENOMEM, NULL, "out of memory");
    int k = 0, nareas = n;
    for (; !rc && k < n; k++) rc = area_eval(c, w, &areas[k], now, &p, false, &items[k]);
    if (!rc && above && (rc = area_eval(c, w, above, now, &p, false, &items[k])) == WS_OK) n = ++k;
    if (!rc) rc = attach_warnings(c, w, areas, nareas, above, &p, now, items);
    json_t *a = json_array();
    if (!rc) {
        qsort(items, (size_t)n, sizeof *items, by_index_desc);
        for (int i = 0; i < n; i++) json_array_append_new(a, items[i]);
    } else {
        for (int i = 0; i < k; i++) json_decref(items[i]);
    }
    free(items);
    free(areas);
    if (rc) {
        json_decref(a);
        return rc;
    }
    *out = json_pack("{s:o,s:I,s:o}", "items", a, "params_version", (json_int_t)version, "at", json_time(now));
    return WS_OK;
}

ws_err dynrisk_history(store_conn *c, int64_t unit_id, int64_t from, int64_t to, json_t **out)
{
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, Q_DYN_HISTORY, &st);
    if (!rc) rc = store_bind_int(st, 1, unit_id);
    if (!rc) rc = store_bind_int(st, 2, from);
    if (!rc) rc = store_bind_int(st, 3, to);
    if (!rc) rc = store_bind_int(st, 4, MAX_HISTORY);
    json_t *a = json_array();
    while (!rc && !(rc = store_step(st, &row)) && row) {
        json_t *o = json_object();
        json_object_set_new(o, "at", json_time(store_col_int(st, 0)));
        json_object_set_new(o, "index", json_real(store_col_double(st, 1)));
        json_object_set_new(o, "colour", json_str(colour_name((int)store_col_int(st, 2))));
        json_t *f = json_loads(store_col_text(st, 3), 0, NULL);
        json_object_set_new(o, "factors", f ? f : json_array());
        json_array_append_new(a, o);
    }
    store_finalize(st);
    if (rc) {
        json_decref(a);
        return rc;
    }
    *out = json_pack("{s:I,s:o}", "unit_id", (json_int_t)unit_id, "items", a);
    return WS_OK;
}

/* ------------------------------------------------------------------ tick */

static ws_err store_bucket(store_conn *c, int64_t unit, int64_t bucket, const json_t *area)
{
    char *f = json_dump_compact(json_object_get(area, "factors"));
    if (!f) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    const char *col = json_string_value(json_object_get(area, "colour"));
    int colour = 0;
    for (int i = 1; i <= 4; i++)
        if (col && !strcmp(col, colour_names[i])) colour = i;
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, Q_DYN_HISTORY_PUT, &st);
    if (!rc) rc = store_bind_int(st, 1, unit);
    if (!rc) rc = store_bind_int(st, 2, bucket);
    if (!rc) rc = store_bind_double(st, 3, json_number_value(json_object_get(area, "index")));
    if (!rc) rc = store_bind_int(st, 4, colour);
    if (!rc) rc = store_bind_text(st, 5, f);
    if (!rc) rc = store_step(st, &row);
    store_finalize(st);
    free(f);
    return rc;
}

/* Learn the finished hours since the profile's last into it (at most a week). */
static ws_err learn(store_conn *c, const org_unit *a, int64_t now)
{
    rx_profile pr;
    int64_t learnt = 0, now_h = now / HOUR_MS;
    ws_err rc = profile_load(c, a->id, &pr, &learnt);
    if (rc || learnt >= now_h - 1) return rc;
    int64_t from = learnt ? learnt + 1 : now_h - RX_WEEK_H;
    if (from < now_h - RX_WEEK_H) from = now_h - RX_WEEK_H;
    double v[RX_WEEK_H];
    rc = hourly_means(c, a->id, from, now_h, v);
    bool any = false;
    for (int64_t h = from; !rc && h < now_h; h++) {
        if (isnan(v[h - from])) continue;
        int64_t t = h * HOUR_MS;
        rx_profile_learn(&pr, hour_of_week(t, ledger_tz_offset(a->tz, t)), v[h - from]);
        any = true;
    }
    if (!rc && (any || learnt)) rc = profile_save(c, a->id, &pr, now_h - 1);
    return rc;
}

/* The forecast alarm of each area as this process last set it (the timer
 * thread only): unknown at start, so the first tick clears what an earlier
 * run may have left raised. */
#define MAX_FORECAST 2048
static struct {
    int64_t area;
    bool on;
} forecast[MAX_FORECAST];
static int nforecast;

/* The main cause of a forecast warning wj in a few words, for its alarm's
 * title: a point still climbing, else the first permit planned by then
 * (its code and local start), else the factor that adds most (for the
 * weather, the forecast's lightning warning or wind). */
static void warning_cause(const org_unit *a, const json_t *wj, char *out, size_t n)
{
    static const char *const labels[RX_NPERMIT_TYPES] = {"动火作业", "受限空间作业", "盲板抽堵作业", "高处作业",
                                                         "吊装作业", "临时用电作业", "动土作业",     "断路作业"};
    static const char *const factors[][2] = {{"static", "固有风险"}, {"readings", "实时读数"}, {"anomaly", "异常评分"},
                                             {"hazards", "隐患"},     {"permits", "特殊作业"},  {"weather", "天气"},
                                             {"night", "夜班"},       {"profile", "该时段常态偏高"}};
    *out = 0;
    const char *tag = json_string_value(json_object_get(json_object_get(wj, "climbing"), "tag"));
    const json_t *pm = json_array_get(json_object_get(wj, "permits"), 0);
    const char *top = json_string_value(json_object_get(json_array_get(json_object_get(wj, "why"), 0), "factor"));
    if (tag) {
        snprintf(out, n, "%.31s 持续上升", tag);
    } else if (pm) {
        const char *type = json_string_value(json_object_get(pm, "type"));
        const char *label = "特殊作业";
        for (int i = 0; type && i < RX_NPERMIT_TYPES; i++)
            if (!strcmp(type, permit_types[i])) label = labels[i];
        int64_t from = 0;
        const char *fs = json_string_value(json_object_get(pm, "from"));
        if (fs) clock_parse_rfc3339(fs, &from);
        int64_t local_min = from / 60000 + ledger_tz_offset(a->tz, from);
        snprintf(out, n, "计划%s %.31s %02d:%02d 起", label, json_string_value(json_object_get(pm, "code")),
                 (int)((local_min / 60) % 24), (int)(local_min % 60));
    } else if (top && !strcmp(top, "weather")) {
        /* the forecast's worst: "… lightning warning red" / "wind 18.5 m/s" */
        static const char *const colours[][2] = {{"red", "红"}, {"orange", "橙"}, {"yellow", "黄"}, {"blue", "蓝"}};
        const char *d = json_string_value(json_object_get(json_array_get(json_object_get(wj, "why"), 0), "detail"));
        const char *l = d ? strstr(d, "lightning warning ") : NULL, *wind = d ? strstr(d, "wind ") : NULL;
        double v = 0;
        snprintf(out, n, "主因：天气预报");
        for (size_t i = 0; l && i < sizeof colours / sizeof colours[0]; i++)
            if (!strncmp(l + strlen("lightning warning "), colours[i][0], strlen(colours[i][0])))
                snprintf(out, n, "雷电%s色预警", colours[i][1]);
        if (!l && wind && sscanf(wind, "wind %lf", &v) == 1) snprintf(out, n, "预报大风 %.1f m/s", v);
    } else {
        for (size_t i = 0; top && i < sizeof factors / sizeof factors[0]; i++)
            if (!strcmp(top, factors[i][0])) snprintf(out, n, "主因：%s", factors[i][1]);
    }
}

/* Raise or clear the area's 预警 "turning orange/red within the horizon". */
static void forecast_alarm(struct warn *w, const org_unit *a, const json_t *o, int64_t now)
{
    const json_t *wj = json_object_get(json_object_get(o, "projection"), "warning");
    const char *col = json_string_value(json_object_get(wj, "colour"));
    bool on = col && (!strcmp(col, "orange") || !strcmp(col, "red"));
    int k = 0;
    while (k < nforecast && forecast[k].area != a->id) k++;
    bool known = k < nforecast;
    if (known && forecast[k].on == on) return;
    if (!known && nforecast == MAX_FORECAST) return;
    char title[256], cause[96];
    warning_cause(a, wj, cause, sizeof cause);
    snprintf(title, sizeof title, "动态风险预警：%.60s 预计 %d 小时后升为%s色（当前 %.0f 分%s%s）", a->name,
             (int)json_integer_value(json_object_get(wj, "in_h")), col && !strcmp(col, "red") ? "红" : "橙",
             json_number_value(json_object_get(o, "index")), *cause ? "；" : "", cause);
    if (warn_external_alarm(w, WARN_RULE_RISK_FORECAST, a->id, a->id, 1, on, on ? title : NULL, now)) return;
    if (!known) forecast[k = nforecast++].area = a->id;
    forecast[k].on = on;
}

ws_err dynrisk_tick(store_conn *c, struct warn *w, int64_t now, int *stored)
{
    if (stored) *stored = 0;
    rx_params p;
    ws_err rc = dynrisk_params_active(c, &p, NULL);
    org_unit *areas = NULL;
    int n = 0;
    if (!rc) rc = areas_under(c, "/", &areas, &n);
    int64_t bucket = now - now % DYNRISK_BUCKET_MS;
    for (int i = 0; !rc && i < n; i++) {
        json_t *o = NULL;
        rc = area_eval(c, w, &areas[i], now, &p, w != NULL, &o);
        if (!rc && w) forecast_alarm(w, &areas[i], o, now);
        bool own = false;
        if (!rc) rc = store_tx_join(c, &own);
        if (!rc) {
            rc = store_bucket(c, areas[i].id, bucket, o);
            if (!rc) rc = learn(c, &areas[i], now);
            rc = store_tx_finish(c, own, rc);
        }
        json_decref(o);
        if (!rc && stored) (*stored)++;
    }
    free(areas);
    return rc;
}

/* ------------------------------------------------------------------ demo */

/* A deterministic generator for the demo's weather. */
static double demo_rand(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return (double)(*s >> 8) / 16777216.0;
}

ws_err dynrisk_demo_seed(store_conn *c, int64_t site_unit_id, int64_t now)
{
    org_unit site;
    ws_err rc = org_unit_get(c, site_unit_id, &site);
    if (rc) return rc;
    rx_params p;
    if ((rc = dynrisk_params_active(c, &p, NULL))) return rc;
    /* A week of hourly weather at the site: a mild November diurnal cycle,
     * a thunderstorm two days ago (orange lightning warning, gale, heavy
     * rain) and, now, a yellow lightning warning with a strong breeze. */
    int64_t h0 = now / HOUR_MS - 7 * 24;
    uint32_t seed = 20261129u;
    bool own = false;
    if ((rc = store_tx_join(c, &own))) return rc;
    for (int64_t h = h0; !rc && h <= now / HOUR_MS; h++) {
        int64_t t = h * HOUR_MS;
        int local_h = (int)((((t / 60000 + ledger_tz_offset(site.tz, t)) / 60) % 24 + 24) % 24);
        double day = sin((local_h - 9) * M_PI / 12); /* warmest mid-afternoon */
        dynrisk_weather_in in = {.unit_id = site_unit_id, .observed_at = t, .source = "园区气象站",
                                 .wind_ms = round((3.0 + 1.5 * day + 2.0 * demo_rand(&seed)) * 10) / 10,
                                 .rain_mmh = 0, .temp_c = round((9.0 + 5.0 * day + demo_rand(&seed)) * 10) / 10};
        int64_t ago = now / HOUR_MS - h;
        if (ago >= 44 && ago <= 50) { /* the storm */
            in.wind_ms = round((14.0 + 3.0 * demo_rand(&seed)) * 10) / 10;
            in.rain_mmh = round((12.0 + 15.0 * demo_rand(&seed)) * 10) / 10;
            in.lightning = ago >= 46 && ago <= 48 ? 3 : 2;
        } else if (ago <= 1) {
            in.wind_ms = 11.2;
            in.lightning = 2;
        }
        if (in.observed_at > now) in.observed_at = now;
        rc = dynrisk_weather_add(c, NULL, &in, NULL);
    }
    /* the weather service's warning for this afternoon: a red lightning
     * warning with a gale and heavy rain from three hours on */
    for (int k = 3; !rc && k <= 5; k++) {
        dynrisk_weather_in fc = {.unit_id = site_unit_id, .observed_at = now + k * HOUR_MS, .source = "气象台预警",
                                 .wind_ms = 18.5, .rain_mmh = 25, .temp_c = 8, .lightning = 4, .forecast = true};
        rc = dynrisk_weather_add(c, NULL, &fc, NULL);
    }
    rc = store_tx_finish(c, own, rc);
    /* The week of history of every area, from the records as they were. */
    org_unit *areas = NULL;
    int n = 0;
    if (!rc) rc = areas_under(c, site.path, &areas, &n);
    gathered *g = rc ? NULL : malloc(sizeof *g);
    if (!rc && !g) rc = ws_fail(WS_ENOMEM, NULL, "out of memory");
    int64_t b0 = now - now % DYNRISK_BUCKET_MS - 7 * 24 * HOUR_MS;
    for (int i = 0; !rc && i < n; i++) {
        if ((rc = store_tx_join(c, &own))) break;
        int prev = 0;
        for (int64_t t = b0; !rc && t < now - now % DYNRISK_BUCKET_MS; t += DYNRISK_BUCKET_MS) {
            rx_result r;
            rc = gather(c, NULL, &areas[i], t, p.horizon_h, true, g);
            if (rc) break;
            rx_compute(&p, &g->in, &r);
            prev = r.colour = rx_colour_held(&p, r.index, prev);
            json_t *o = area_head(&areas[i], &r, t);
            rc = store_bucket(c, areas[i].id, t, o);
            json_decref(o);
        }
        if (!rc) rc = learn(c, &areas[i], now);
        rc = store_tx_finish(c, own, rc);
    }
    free(g);
    free(areas);
    return rc;
}
