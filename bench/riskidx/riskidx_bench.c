/* riskidx_bench.c — `make bench-riskidx`: a backtest of the risk index's
 * projection (src/riskidx/model.c, issue 7 item 5) on a generated history.
 *
 * 50 areas × 12 weeks, hourly, from a fixed-seed PRNG: static levels, four
 * live points each with a production-load pattern (weekday day shifts high,
 * weekends low) and AR(1) noise, spurious anomaly blips, general hidden
 * dangers found on weekday patrols and closed days later (some overdue),
 * day-shift permits (80 % applied for a day ahead and so in the schedule,
 * 20 % ad hoc), night shifts in 24/7 areas, and weather episodes (wind,
 * heat afternoons, storms with a lightning warning that forecasts the
 * storm's hours — in the schedule from the warning on). In weeks 5–12 every
 * area also gets four injected changes, at random hours:
 *   gas      one point's reading climbs to 1.15 of its limit over 8 hours
 *   major    a 重大 hidden danger is found (open 3–7 days)
 *   storm    an orange lightning warning, the storm (18 m/s, 30 mm/h) 3 hours later
 *   job      a 特级 hot-work job in a confined space, scheduled a day ahead, 6 hours
 * Weeks 1–4 only teach the weekly profiles. Weeks 5–12 are replayed hour by
 * hour: the index is computed, rx_project runs with the permits and shifts
 * known at that hour, and then the hour is learnt into the profile.
 *
 * Scoring, per area: a rise is an hour t whose colour is above hour t−1's.
 * It is hit when some hour s with t−H ≤ s < t, during which the colour was
 * already the pre-rise one (no change between s and t−1), warned (warn_in_h
 * > 0); its lead time is t − the earliest such s. A warning episode (a run of
 * consecutive warned hours a..b) is false when no rise happens in (a, b+H].
 * "timed" counts the hits where one of those warnings also named the hour
 * of the rise to within one hour (s + warn_in_h within t ± 1); "sustained"
 * is the hit rate over the rises whose old colour had held 3 hours and whose
 * new colour holds 3 hours (no flapping at a cut-off).
 *
 * Peers in the same run: "persistence" (no projection: a change is seen when
 * it has happened — hit rate 0, lead 0 by construction), "profile only" (the
 * hour's profile mean plus the current deviation decaying with the model's
 * half-life: the seasonal-naive forecast), "margin" (warn while the index is
 * within 5 points of the next cut-off: the usual pre-alarm band) and "model
 * only" (rx_project without a profile: schedule and decay, no weekly
 * pattern, no unusual-day test). Options: RISKIDX_SEED (default 7), RISKIDX_AREAS (default 50),
 * RISKIDX_PARAMS (a parameters document instead of the default one).
 * Ends with the one line
 *   riskidx hit_rate=N lead_time_h=N false_warnings=N persistence_hit_rate=N */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "riskidx/model.h"

#define WEEKS 12
#define LEARN_WEEKS 4
#define T (WEEKS * RX_WEEK_H)
#define T0 (LEARN_WEEKS * RX_WEEK_H)
#define NPTS 4
#define MAXP 8
#define MAX_AREAS 200

/* ----------------------------------------------------------------- PRNG */

static uint64_t rng_state;
static uint64_t next_u64(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);  /* splitmix64 */
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}
static double uni(void) { return (double)(next_u64() >> 11) / 9007199254740992.0; }
static int irand(int lo, int hi) { return lo + (int)(uni() * (hi - lo + 1)); }
static double gauss(void)
{
    double u = uni() + 1e-12, v = uni();
    return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

/* ---------------------------------------------------------------- world */

enum { K_GAS, K_MAJOR, K_STORM, K_JOB, K_NKINDS };
static const char *const kind_names[K_NKINDS] = {"gas trend", "major hazard", "storm", "scheduled job"};

typedef struct hour {
    double ratio[NPTS], score[NPTS];
    int hz_general, hz_major;
    double overdue;
    int npermits;
    rx_permit permits[MAXP];
    int known_at[MAXP];        /* hour from which the permit is in the schedule */
    rx_weather wx;
    int wx_known;              /* hour from which this hour's weather is forecast (a storm's warning), -1 none */
    bool night;
} hour;

typedef struct injection {
    int kind, t0, t1;          /* its effect lasts t0..t1 */
} injection;

static hour H_[T];
static injection inj[K_NKINDS];
static rx_weather base_wx[T];
static int base_wxk[T];        /* as hour.wx_known, for the site's weather */

static int how_of(int t) { return t % RX_WEEK_H; }
static int dow_of(int t) { return (t / 24) % 7; }       /* 0 Monday */
static int hod_of(int t) { return t % 24; }

/* The site's weather, shared by all areas: calm, windy spells, hot
 * afternoons, storms with a lightning warning a few hours ahead. */
static void gen_weather(void)
{
    for (int t = 0; t < T; t++) {
        base_wx[t] = (rx_weather){true, 3 + 4 * uni(), 0, 22 + 4 * sin(2 * M_PI * (hod_of(t) - 9) / 24.0), 0};
        base_wxk[t] = -1;
    }
    for (int t = 0; t < T;) {
        double u = uni();
        if (u < 0.004) {                                  /* windy spell, 6–18 h */
            int d = irand(6, 18);
            double w = 11 + 6 * uni();
            for (int k = t; k < t + d && k < T; k++) base_wx[k].wind_ms = w + gauss();
            t += d;
        } else if (u < 0.006) {                           /* a storm: warning, then rain and wind */
            int lead = irand(2, 5), d = irand(3, 8);
            int col = uni() < 0.6 ? 2 : 3;
            for (int k = t; k < t + lead + d && k < T; k++) base_wx[k].lightning = col;
            for (int k = t + lead; k < t + lead + d && k < T; k++) {
                base_wx[k].rain_mmh = 16 + 20 * uni();
                base_wx[k].wind_ms = 9 + 6 * uni();
                base_wxk[k] = t;                          /* the warning forecasts the storm's hours */
            }
            t += lead + d;
        } else if (hod_of(t) == 12 && u < 0.15) {         /* a hot afternoon, about one day in seven */
            for (int k = t; k < t + 5 && k < T; k++) base_wx[k].temp_c = 35 + 3 * uni();
            t += 5;
        } else {
            t++;
        }
    }
}

typedef struct area {
    int static_rank;
    bool night_ops;
} area;

static void add_permit(hour *h, rx_permit p, int known_at)
{
    if (h->npermits >= MAXP) return;
    h->permits[h->npermits] = p;
    h->known_at[h->npermits++] = known_at;
}

static rx_permit random_job(void)
{
    double u = uni();
    if (u < 0.40) return (rx_permit){RX_HEIGHT, irand(1, 3)};
    if (u < 0.60) return (rx_permit){RX_HOT_WORK, 3};
    if (u < 0.70) return (rx_permit){RX_HOT_WORK, 2};
    if (u < 0.80) return (rx_permit){RX_LIFTING, 0};
    if (u < 0.90) return (rx_permit){RX_TEMP_POWER, 0};
    if (u < 0.95) return (rx_permit){RX_BLIND_PLATE, 0};
    return (rx_permit){RX_EXCAVATION, 0};
}

static void gen_area(area *a)
{
    double u = uni();
    a->static_rank = u < 0.3 ? 1 : u < 0.65 ? 2 : u < 0.9 ? 3 : 4;
    a->night_ops = uni() < 0.6;
    memset(H_, 0, sizeof H_);
    double base[NPTS], ar[NPTS] = {0};
    for (int i = 0; i < NPTS; i++) base[i] = 0.2 + 0.3 * uni();
    /* hidden dangers: found on weekday patrols, deadline 7 days, closed 2–12 days later */
    static int hz_open[T], hz_close[T];
    int nhz = 0;
    for (int t = 0; t < T; t++) {
        int d = dow_of(t), hr = hod_of(t);
        bool weekday = d < 5, day = hr >= 8 && hr < 20;
        hour *h = &H_[t];
        h->night = a->night_ops && !day;
        double load = weekday ? (day ? 0.12 : a->night_ops ? 0.06 : 0) : -0.05;
        for (int i = 0; i < NPTS; i++) {
            ar[i] = 0.8 * ar[i] + 0.03 * gauss();
            h->ratio[i] = base[i] + load + ar[i];
            h->score[i] = 0.15 + 0.1 * fabs(gauss());
        }
        if (uni() < 0.002) {                               /* a spurious anomaly blip */
            int i = irand(0, NPTS - 1), d2 = irand(1, 2);
            double s = 0.5 + 0.3 * uni();
            for (int k = t; k < t + d2 && k < T; k++) H_[k].score[i] = s;
        }
        if (weekday && hr >= 8 && hr < 17 && uni() < 0.02 && nhz < T) {
            hz_open[nhz] = t;
            hz_close[nhz++] = t + 24 * irand(2, 12);
        }
        h->wx = base_wx[t];
        h->wx_known = base_wxk[t];
    }
    for (int k = 0; k < nhz; k++)
        for (int t = hz_open[k]; t < hz_close[k] && t < T; t++) {
            H_[t].hz_general++;
            double over = (t - hz_open[k]) / 24.0 - 7;
            if (over > 0) H_[t].overdue += over;
        }
    /* day-shift permits: weekdays 0–3 jobs, weekends sometimes one */
    for (int day = 0; day < T / 24; day++) {
        int d = day % 7;
        int k = d < 5 ? (u = uni(), u < 0.2 ? 0 : u < 0.55 ? 1 : u < 0.85 ? 2 : 3) : (uni() < 0.2 ? 1 : 0);
        for (int j = 0; j < k; j++) {
            rx_permit p = random_job();
            int start = day * 24 + irand(8, 12), dur = irand(2, 8);
            if (start + dur > day * 24 + 18) dur = day * 24 + 18 - start;
            int known = uni() < 0.8 ? start - 24 : start;  /* applied for the day before, or ad hoc */
            for (int t = start; t < start + dur && t < T; t++) add_permit(&H_[t], p, known);
        }
    }
}

/* Four changes at random hours of weeks 5–12, at least 2 days apart. */
static void inject(void)
{
    int used[K_NKINDS];
    for (int k = 0; k < K_NKINDS; k++) {
        int t0;
        bool ok;
        do {
            t0 = T0 + 24 + irand(0, T - T0 - 24 * 4);
            if (k == K_JOB) t0 = t0 / 24 * 24 + irand(8, 10);   /* a day-shift job */
            ok = true;
            for (int j = 0; j < k; j++)
                if (abs(used[j] - t0) < 48) ok = false;
        } while (!ok);
        used[k] = t0;
        injection *in = &inj[k];
        in->kind = k, in->t0 = t0;
        switch (k) {
        case K_GAS: {
            int pt = 0, ramp = 8, hold = 4;
            double from = H_[t0].ratio[pt];
            for (int t = t0; t < t0 + ramp + hold && t < T; t++) {
                double f = t - t0 < ramp ? (double)(t - t0 + 1) / ramp : 1.0;
                H_[t].ratio[pt] += f * (1.15 - from);
            }
            in->t1 = t0 + ramp + hold;
            break;
        }
        case K_MAJOR: {
            int d = 24 * irand(3, 7);
            for (int t = t0; t < t0 + d && t < T; t++) H_[t].hz_major++;
            in->t1 = t0 + 6;      /* the rise it causes is at t0 */
            break;
        }
        case K_STORM: {
            int lead = 3, d = 6;
            for (int t = t0; t < t0 + lead + d && t < T; t++) H_[t].wx.lightning = 3;
            for (int t = t0 + lead; t < t0 + lead + d && t < T; t++) {
                H_[t].wx.wind_ms = 18, H_[t].wx.rain_mmh = 30;
                H_[t].wx_known = t0;
            }
            in->t1 = t0 + lead + d;
            break;
        }
        case K_JOB:
            for (int t = t0; t < t0 + 6 && t < T; t++) {
                add_permit(&H_[t], (rx_permit){RX_HOT_WORK, 1}, t0 - 24);
                add_permit(&H_[t], (rx_permit){RX_CONFINED, 0}, t0 - 24);
            }
            in->t1 = t0 + 6;
            break;
        }
    }
}

/* ------------------------------------------------------------ the replay */

enum { M_RX, M_MODEL, M_PROFILE, M_MARGIN, M_PERSIST, NMETHODS };
static const char *const method_names[NMETHODS] = {"worksafe rx_project", "model only (no profile)",
                                                   "profile only (seasonal naive)", "margin (5 below next cut)",
                                                   "persistence"};
#define MARGIN 5.0

typedef struct stats {
    long rises, hits, timed, sus_rises, sus_hits, episodes, false_eps, warned_hours, hours;
    long kind_rises[K_NKINDS], kind_hits[K_NKINDS];
    int *leads;
    long nleads, cap_leads;
    int *kind_leads[K_NKINDS];
    long kind_nleads[K_NKINDS];
} stats;

static stats S[NMETHODS];
static double idx[T];
static int col[T];
static int warn[NMETHODS][T];

static void push_lead(stats *s, int kind, int lead)
{
    if (s->nleads < s->cap_leads) s->leads[s->nleads++] = lead;
    if (kind >= 0 && s->kind_nleads[kind] < s->cap_leads) s->kind_leads[kind][s->kind_nleads[kind]++] = lead;
}

static void inputs_at(int t, rx_inputs *in, rx_point *pts)
{
    static const char *const tags[NPTS] = {"GT-101", "GT-102", "PT-201", "TT-301"};
    for (int i = 0; i < NPTS; i++) {
        snprintf(pts[i].tag, sizeof pts[i].tag, "%s", tags[i]);
        pts[i].ratio = H_[t].ratio[i];
        pts[i].past = pts[i].ratio >= 1; /* the history's limits are its first ones (no HH or LL) */
        double c = t >= 3 ? INFINITY : 0; /* the smallest of the last three hourly rises, as the server's */
        for (int k = 0; k < 3 && t >= 3; k++) {
            double rise = H_[t - k].ratio[i] - H_[t - k - 1].ratio[i];
            if (rise < c) c = rise;
        }
        pts[i].climb = c > 0 ? c : 0;
        pts[i].score = H_[t].score[i];
    }
    in->npoints = NPTS, in->points = pts;
    in->hazards_general = H_[t].hz_general, in->hazards_major = H_[t].hz_major;
    in->hazard_overdue_days = H_[t].overdue;
    in->npermits = H_[t].npermits, in->permits = H_[t].permits;
    in->weather = H_[t].wx;
    in->night = H_[t].night;
}

/* What is known at hour t of hour t+h: permits applied for by then, shifts. */
static void schedule_at(int t, int horizon, rx_schedule *s)
{
    s->nhours = horizon;
    for (int h = 1; h <= horizon; h++) {
        int u = t + h < T ? t + h : T - 1;
        s->npermits[h - 1] = 0;
        for (int k = 0; k < H_[u].npermits; k++)
            if (H_[u].known_at[k] <= t) s->permits[h - 1][s->npermits[h - 1]++] = H_[u].permits[k];
        s->night[h - 1] = H_[u].night;
        /* a storm's hours are forecast from its warning on (POST /weather with "forecast") */
        s->forecast[h - 1] = H_[u].wx_known >= 0 && H_[u].wx_known <= t;
        if (s->forecast[h - 1]) s->weather[h - 1] = H_[u].wx;
    }
}

static void score_area(const rx_params *p)
{
    int Hh = p->horizon_h;
    for (int m = 0; m < NMETHODS; m++) {
        stats *s = &S[m];
        int seg = T0;           /* first hour of the current colour run */
        for (int t = T0 + 1; t < T; t++) {
            s->hours++;
            if (warn[m][t]) s->warned_hours++;
            if (col[t] == col[t - 1]) continue;
            if (col[t] > col[t - 1]) {
                int kind = -1;
                for (int k = 0; k < K_NKINDS; k++)
                    if (t >= inj[k].t0 && t <= inj[k].t1) kind = k;
                s->rises++;
                if (kind >= 0) s->kind_rises[kind]++;
                /* sustained: the old colour held 3 hours before, the new one 3 hours after */
                bool sus = t - seg >= 3 && t + 2 < T;
                for (int u = t; sus && u <= t + 2; u++) sus = col[u] >= col[t];
                int first = -1;
                bool on_time = false;
                for (int u = t - Hh > seg ? t - Hh : seg; u < t; u++)
                    if (warn[m][u]) {
                        if (first < 0) first = u;
                        if (abs(u + warn[m][u] - t) <= 1) on_time = true;
                    }
                if (on_time) s->timed++;
                if (sus) s->sus_rises++;
                if (sus && first >= 0) s->sus_hits++;
                if (first >= 0) {
                    s->hits++;
                    if (kind >= 0) s->kind_hits[kind]++;
                    push_lead(s, kind, t - first);
                }
            }
            seg = t;
        }
        /* warning episodes */
        for (int t = T0; t < T; t++) {
            if (!warn[m][t] || (t > T0 && warn[m][t - 1])) continue;
            int b = t;
            while (b + 1 < T && warn[m][b + 1]) b++;
            s->episodes++;
            bool rose = false;
            for (int u = t + 1; u <= b + Hh && u < T && !rose; u++) rose = col[u] > col[u - 1];
            if (!rose) s->false_eps++;
        }
    }
}

static int cmp_int(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }

static double quantile(int *v, long n, double q)
{
    if (n == 0) return 0;
    qsort(v, (size_t)n, sizeof *v, cmp_int);
    long i = (long)floor(q * (double)(n - 1) + 0.5);
    return v[i];
}

int main(void)
{
    const char *e = getenv("RISKIDX_SEED");
    uint64_t seed = e ? strtoull(e, NULL, 10) : 7;
    e = getenv("RISKIDX_AREAS");
    int nareas = e ? atoi(e) : 50;
    if (nareas < 1 || nareas > MAX_AREAS) nareas = 50;
    rx_params p;
    const char *dj = getenv("RISKIDX_PARAMS");         /* exploration: other parameters */
    if (!dj) dj = rx_params_default_json();
    if (rx_params_parse(dj, strlen(dj), &p)) {
        fprintf(stderr, "default parameters refused: %s\n", ws_err_message());
        return 1;
    }
    int Hh = p.horizon_h;
    for (int m = 0; m < NMETHODS; m++) {
        S[m].cap_leads = (long)nareas * 400;
        S[m].leads = calloc((size_t)S[m].cap_leads, sizeof(int));
        for (int k = 0; k < K_NKINDS; k++) S[m].kind_leads[k] = calloc((size_t)S[m].cap_leads, sizeof(int));
    }
    struct timespec c0, c1;
    clock_gettime(CLOCK_MONOTONIC, &c0);
    rng_state = seed;
    gen_weather();
    static rx_profile pr;
    static rx_schedule sch;
    long projections = 0;
    double proj_ns = 0;
    for (int a = 0; a < nareas; a++) {
        area ar;
        gen_area(&ar);
        inject();
        rx_profile_init(&pr);
        memset(warn, 0, sizeof warn);
        for (int t = 0; t < T; t++) {
            rx_point pts[NPTS];
            rx_inputs in = {.static_rank = ar.static_rank};
            inputs_at(t, &in, pts);
            rx_result r;
            rx_compute(&p, &in, &r);
            idx[t] = r.index, col[t] = r.colour;
            if (t >= T0) {
                int nrec = p.unusual_window_h < t + 1 ? p.unusual_window_h : t + 1;
                const double *rec = &idx[t + 1 - nrec];
                schedule_at(t, Hh, &sch);
                rx_projection pj;
                struct timespec q0, q1;
                clock_gettime(CLOCK_MONOTONIC, &q0);
                rx_project(&p, &pr, &in, &r, how_of(t), rec, nrec, &sch, &pj);
                clock_gettime(CLOCK_MONOTONIC, &q1);
                proj_ns += (q1.tv_sec - q0.tv_sec) * 1e9 + (q1.tv_nsec - q0.tv_nsec);
                projections++;
                warn[M_RX][t] = pj.warn_in_h;
                rx_project(&p, NULL, &in, &r, how_of(t), rec, nrec, &sch, &pj);
                warn[M_MODEL][t] = pj.warn_in_h;
                /* profile only: the hour's mean plus the current deviation, decaying */
                int hn = how_of(t);
                double dev = pr.n[hn] >= (uint32_t)p.pj.min_n ? r.index - pr.mean[hn] : 0;
                for (int h = 1; h <= Hh; h++) {
                    int hh = how_of(t + h);
                    if (pr.n[hh] < (uint32_t)p.pj.min_n) continue;
                    double q = pr.mean[hh] + dev * pow(0.5, h / p.pj.half_life_h);
                    if (rx_colour_of(&p, q) > r.colour) {
                        warn[M_PROFILE][t] = h;
                        break;
                    }
                }
                /* margin: warn while the index is within MARGIN of the next cut-off */
                double next = r.colour == RX_BLUE ? p.cut_yellow : r.colour == RX_YELLOW ? p.cut_orange
                            : r.colour == RX_ORANGE ? p.cut_red : 1e9;
                warn[M_MARGIN][t] = r.index >= next - MARGIN ? 1 : 0;
                warn[M_PERSIST][t] = 0;
            }
            rx_profile_learn(&pr, how_of(t), r.index);
        }
        score_area(&p);
    }
    clock_gettime(CLOCK_MONOTONIC, &c1);
    double secs = (c1.tv_sec - c0.tv_sec) + (c1.tv_nsec - c0.tv_nsec) / 1e9;

    printf("riskidx backtest: %d areas x %d weeks hourly (seed %llu), profiles learnt on weeks 1-%d,\n"
           "weeks %d-%d replayed with rx_project each hour (horizon %d h, k_sigma %.1f, window %d h)\n\n",
           nareas, WEEKS, (unsigned long long)seed, LEARN_WEEKS, LEARN_WEEKS + 1, WEEKS, Hh, p.k_sigma,
           p.unusual_window_h);
    printf("%-31s %6s %6s %8s %6s %9s %7s %8s %8s %9s %8s\n", "method", "rises", "hits", "hit_rate", "timed",
           "sustained", "lead_md", "lead_p10", "warn_eps", "false_eps", "warned_%");
    double out_hit = 0, out_lead = 0, persist_hit = 0;
    long out_false = 0;
    for (int m = 0; m < NMETHODS; m++) {
        stats *s = &S[m];
        double hr = s->rises ? (double)s->hits / (double)s->rises : 0;
        double md = quantile(s->leads, s->nleads, 0.5), p10 = quantile(s->leads, s->nleads, 0.1);
        printf("%-31s %6ld %6ld %8.3f %6.3f %9.3f %7.0f %8.0f %8ld %9ld %8.1f\n", method_names[m], s->rises, s->hits,
               hr, s->rises ? (double)s->timed / (double)s->rises : 0,
               s->sus_rises ? (double)s->sus_hits / (double)s->sus_rises : 0, md, p10, s->episodes, s->false_eps,
               100.0 * (double)s->warned_hours / (double)(s->hours ? s->hours : 1));
        if (m == M_RX) out_hit = hr, out_lead = md, out_false = s->false_eps;
        if (m == M_PERSIST) persist_hit = hr;
    }
    printf("\nrises caused by the injected changes (hit / rises, median lead h):\n");
    printf("%-31s", "method");
    for (int k = 0; k < K_NKINDS; k++) printf(" %18s", kind_names[k]);
    printf("\n");
    for (int m = 0; m < NMETHODS; m++) {
        stats *s = &S[m];
        printf("%-31s", method_names[m]);
        for (int k = 0; k < K_NKINDS; k++) {
            char cell[40];
            snprintf(cell, sizeof cell, "%ld/%ld, %.0f h", s->kind_hits[k], s->kind_rises[k],
                     quantile(s->kind_leads[k], s->kind_nleads[k], 0.5));
            printf(" %18s", cell);
        }
        printf("\n");
    }
    printf("\n%ld projections, %.2f us each; whole run %.2f s\n", projections,
           projections ? proj_ns / (double)projections / 1e3 : 0, secs);
    printf("riskidx hit_rate=%.3f lead_time_h=%.0f false_warnings=%ld persistence_hit_rate=%.3f\n", out_hit,
           out_lead, out_false, persist_hit);
    for (int m = 0; m < NMETHODS; m++) {
        free(S[m].leads);
        for (int k = 0; k < K_NKINDS; k++) free(S[m].kind_leads[k]);
    }
    return 0;
}
