/* nab_bench.c — `make bench-nab`: the streaming detector (anomaly/detector.c)
 * over the whole NAB corpus, scored with anomaly/nab.c.
 * Honest protocol: the 58 scored files sorted by name, every other one from
 * the first (indices 0, 2, 4, ...) is half A, the rest half B. Parameters were
 * chosen with `nab_bench tune` which looks at half A only, then frozen in
 * det_params_default(). The run reports the three profiles on the whole corpus
 * and on half B, and the detector's readings per second on one core.
 * Other modes: tune, ablate, halves, diag (per file at theta*), miss (the
 * windows without an alarm), ctx and dist (grids of the time-of-day context
 * and of the distribution check, half A only), a (half A's three profiles
 * and their sum, nothing else) and diaga (half A only, at half A's own
 * theta*: each window's first alarm and each false positive); for
 * experiments DETP="name=value,..." overrides the defaults in every mode.
 * Data: WS_NAB_DIR (default ../shared/data/nab); skipped when absent. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "anomaly/detector.h"
#include "anomaly/nab.h"

static int by_name(const void *a, const void *b)
{
    return strcmp(((const nab_file *)a)->name, ((const nab_file *)b)->name);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* NAB's runner hands every detector the file's minimum and maximum
 * (inputMin, inputMax in its detectors/base.py; HTM and CAD OSE bucket over
 * them). Here they stand for what a plant point has: its measuring range
 * (量程), passed the same way (det_set_range). with_range = 0 runs without. */
static int with_range = 1;

static void run(const nab_corpus *c, const det_params *p, double **a)
{
    for (size_t f = 0; f < c->n; f++) {
        det_state s;
        det_init(&s, p);
        if (with_range) {
            double lo = c->f[f].v[0], hi = lo;
            for (size_t i = 1; i < c->f[f].n; i++) {
                if (c->f[f].v[i] < lo) lo = c->f[f].v[i];
                if (c->f[f].v[i] > hi) hi = c->f[f].v[i];
            }
            det_set_range(&s, lo, hi);
        }
        for (size_t i = 0; i < c->f[f].n; i++)
            a[f][i] = det_step(&s, c->f[f].ts[i], c->f[f].v[i]).score;
    }
}

/* Score the files of one half (0 = A, 1 = B) or all (-1). */
/* NAB's result on one half (0 A, 1 B; -1 the whole corpus) for profile prof;
 * score -1e9 when it cannot be scored. */
static nab_result half_result(const nab_corpus *c, double **a, int half, int prof)
{
    nab_file *fs = malloc(c->n * sizeof *fs);
    const double **as = malloc(c->n * sizeof *as);
    size_t m = 0;
    for (size_t f = 0; f < c->n; f++)
        if (half < 0 || (int)(f % 2) == half) { fs[m] = c->f[f]; as[m] = a[f]; m++; }
    nab_result r;
    if (nab_score(fs, m, as, &nab_profiles[prof], &r)) r.score = -1e9;
    free(fs);
    free(as);
    return r;
}

static double score(const nab_corpus *c, double **a, int half, int prof) { return half_result(c, a, half, prof).score; }

/* Whether row i of file f lies in one of its labelled windows. */
static bool in_window(const nab_file *f, size_t i)
{
    for (size_t k = 0; k < f->nwin; k++)
        if (i >= f->win[k].l && i <= f->win[k].r) return true;
    return false;
}

/* Issue 7 item 2: for four failures with a known cause, the lead time of the
 * detector's first alarm (score >= the standard profile's theta*) inside
 * each labelled window before the labelled moment (negative: after it). The
 * labels are read from combined_labels.json ("file": ["YYYY-MM-DD HH:MM:SS",
 * ...]); probation rows never alarm, as in the scoring. */
static void lead_times(const nab_corpus *c, double **a, const char *labels_path, double theta)
{
    static const char *const wanted[] = {
        "realKnownCause/machine_temperature_system_failure.csv",
        "realKnownCause/ambient_temperature_system_failure.csv",
        "realKnownCause/ec2_request_latency_system_failure.csv",
        "realKnownCause/cpu_utilization_asg_misconfiguration.csv",
    };
    FILE *fp = fopen(labels_path, "rb");
    if (!fp) { printf("lead times: no %s\n", labels_path); return; }
    static char text[1 << 20];
    size_t len = fread(text, 1, sizeof text - 1, fp);
    fclose(fp);
    text[len] = 0;
    printf("lead time of the first alarm before each labelled failure (theta* %.4f, standard):\n", theta);
    for (size_t w = 0; w < sizeof wanted / sizeof wanted[0]; w++) {
        const nab_file *f = NULL;
        size_t fi = 0;
        for (size_t k = 0; k < c->n; k++)
            if (!strcmp(c->f[k].name, wanted[w])) { f = &c->f[k]; fi = k; }
        char key[200];
        snprintf(key, sizeof key, "\"%s\"", wanted[w]);
        const char *p = strstr(text, key);
        if (!f || !p) { printf("  %s: not in the corpus\n", wanted[w]); continue; }
        const char *end = strchr(p, ']');
        size_t P = nab_probation(f->n);
        for (p = strchr(p + strlen(key), '"'); p && end && p < end; p = strchr(p + 21, '"')) {
            struct tm tm = {0};
            if (sscanf(p + 1, "%d-%d-%d %d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
                       &tm.tm_sec) != 6)
                break;
            tm.tm_year -= 1900;
            tm.tm_mon -= 1;
            double t = (double)timegm(&tm);
            const nab_window *win = NULL;
            for (size_t k = 0; k < f->nwin; k++)
                if (f->ts[f->win[k].l] <= t && t <= f->ts[f->win[k].r]) win = &f->win[k];
            const char *slash = strchr(wanted[w], '/');
            printf("  %-40.*s %.16s  ", (int)(strlen(slash + 1) - 4), slash + 1, p + 1);
            size_t first = SIZE_MAX;
            for (size_t i = win ? win->l : 1; win && i <= win->r && first == SIZE_MAX; i++)
                if (i >= P && a[fi][i] >= theta) first = i;
            if (first != SIZE_MAX) {
                printf("%+7.1f h\n", (t - f->ts[first]) / 3600.0);
                continue;
            }
            /* none inside: the last alarm in the day before the window opened, if any
             * (NAB counts it a false positive; an operator would have had it) */
            size_t before = SIZE_MAX;
            for (size_t i = P; win && i < win->l; i++)
                if (a[fi][i] >= theta && f->ts[win->l] - f->ts[i] <= 86400.0) before = i;
            double top = 0, top_before = 0;
            for (size_t i = win ? win->l : 1; win && i <= win->r; i++) if (i >= P && a[fi][i] > top) top = a[fi][i];
            for (size_t i = P; win && i < win->l; i++)
                if (f->ts[win->l] - f->ts[i] <= 86400.0 && a[fi][i] > top_before) top_before = a[fi][i];
            if (before == SIZE_MAX)
                printf("no alarm in its window (highest score %.2f; %.2f in the day before)\n", top, top_before);
            else printf("no alarm in its window; one %.1f h before it opened (%+.1f h)\n",
                        (f->ts[win->l] - f->ts[before]) / 3600.0, (t - f->ts[before]) / 3600.0);
        }
    }
}

static double half_a_obj(const nab_corpus *c, double **a)
{
    return score(c, a, 0, NAB_STANDARD) + score(c, a, 0, NAB_LOW_FP) + score(c, a, 0, NAB_LOW_FN);
}

typedef struct { const char *name; double *v; double cand[6]; } knob;
#define NKNOB 24
static void knobs_of(det_params *p, knob *out)
{
    knob t[] = {
        { "alpha_short", &p->alpha_short, { 0.05, 0.1, 0.2, 0.3, 0.5, 1.0 } },
        { "alpha_long", &p->alpha_long, { 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02 } },
        { "alpha0", &p->alpha[0], { 0.1, 0.3, 0.5, 0.7, 0.9, 1.0 } },
        { "alpha1", &p->alpha[1], { 0.01, 0.02, 0.05, 0.1, 0.2, 0.3 } },
        { "alpha2", &p->alpha[2], { 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02 } },
        { "suppress_at", &p->suppress_at, { 0.3, 0.4, 0.5, 0.6, 0.7, 0.8 } },
        { "suppress_gain", &p->suppress_gain, { 0, 0.1, 0.3, 0.5, 0.7, 1.0 } },
        { "w_ctx", &p->w_ctx, { 0, 0.5, 0.8, 0.9, 1, 2 } },
        { "ctx_k", &p->ctx_k, { 5, 6, 7, 8, 10, 12 } },
        { "alpha_ctx", &p->alpha_ctx, { 0.05, 0.1, 0.2, 0.3, 0.5, 1 } },
        { "ctx_floor", &p->ctx_floor, { 0.3, 0.5, 0.7, 0.8, 0.9, 1 } },
        { "suppress_frac", &p->suppress_frac, { 0.08, 0.1, 0.12, 0.15, 0.2, 0.25 } },
        { "w_tod", &p->w_tod, { 0.6, 0.8, 1.0, 1.2, 1.5, 2.0 } },
        { "tod_k", &p->tod_k, { 4, 5, 6, 7, 8, 10 } },
        { "tod_h", &p->tod_h, { 2, 3, 4, 6, 8, 12 } },
        { "z_scale", &p->z_scale, { 0.5, 1, 2, 3, 5, 8 } },
        { "dev_cap", &p->dev_cap, { 0.005, 0.01, 0.02, 0.05, 0.1, 1 } },
        { "peak_pow", &p->peak_pow, { 0, 0.25, 0.5, 1, 2, 4 } },
        { "peak_decay", &p->peak_decay, { 0.99, 0.999, 0.9995, 0.9999, 0.99999, 1 } },
        { "w_dist", &p->w_dist, { 0, 0.4, 0.6, 0.8, 1.0, 1.2 } },
        { "dist_w", &p->dist_w, { 64, 128, 192, 272, 384, 512 } },
        { "dist_k", &p->dist_k, { 4, 6, 8, 10, 12, 16 } },
        { "dist_rate", &p->dist_rate, { 0.001, 0.003, 0.01, 0.03, 0.1, 0.3 } },
        { "dist_alpha", &p->dist_alpha, { 0.001, 0.003, 0.01, 0.03, 0.1, 0.3 } },
    };
    memcpy(out, t, sizeof t);
}

/* DETP="name=value,..." overrides the defaults (experiments only) */
static det_params params(void)
{
    det_params p = det_params_default();
    const char *e = getenv("DETP");
    knob k[NKNOB];
    knobs_of(&p, k);
    while (e && *e) {
        char name[32]; double v; int used = 0;
        if (sscanf(e, "%31[^=]=%lf%n", name, &v, &used) != 2) break;
        for (int j = 0; j < NKNOB; j++) if (!strcmp(k[j].name, name)) *k[j].v = v;
        if (!strcmp(name, "warmup")) p.warmup = (uint32_t)v;
        if (!strcmp(name, "suppress_n")) p.suppress_n = (uint32_t)v;
        if (!strcmp(name, "ctx_order")) p.ctx_order = (uint32_t)v;
        e += used;
        if (*e == ',') e++;
    }
    return p;
}

/* Coordinate search over a few parameters, on half A only. */
static void tune(const nab_corpus *c, double **a)
{
    det_params p = params();
    run(c, &p, a);
    double best = half_a_obj(c, a);
    printf("start: half A sum %.2f\n", best);
    knob knobs[NKNOB];
    knobs_of(&p, knobs);
    for (int pass = 0; pass < 2; pass++)
        for (size_t k = 0; k < NKNOB; k++) {
            double keep = *knobs[k].v;
            for (int j = 0; j < 6; j++) {
                *knobs[k].v = knobs[k].cand[j];
                run(c, &p, a);
                double o = half_a_obj(c, a);
                if (o > best + 1e-9) { best = o; keep = knobs[k].cand[j]; }
            }
            *knobs[k].v = keep;
            printf("pass %d %-14s = %g  half A sum %.2f\n", pass, knobs[k].name, keep, best);
            fflush(stdout);
        }
    uint32_t wu[] = { 10, 50, 100, 150, 300, 600 };
    uint32_t keepw = p.warmup;
    for (int j = 0; j < 6; j++) {
        p.warmup = wu[j];
        run(c, &p, a);
        double o = half_a_obj(c, a);
        if (o > best + 1e-9) { best = o; keepw = wu[j]; }
    }
    p.warmup = keepw;
    printf("warmup = %u  half A sum %.2f\n", keepw, best);
    uint32_t sn[] = { 50, 100, 200, 300, 500, 800 };
    uint32_t keepn = p.suppress_n;
    for (int j = 0; j < 6; j++) {
        p.suppress_n = sn[j];
        run(c, &p, a);
        double o = half_a_obj(c, a);
        if (o > best + 1e-9) { best = o; keepn = sn[j]; }
    }
    p.suppress_n = keepn;
    printf("suppress_n = %u  half A sum %.2f\n", keepn, best);
    printf("DETP=");
    for (int k = 0; k < NKNOB; k++) printf("%s=%g,", knobs[k].name, *knobs[k].v);
    printf("warmup=%u,suppress_n=%u\n", p.warmup, p.suppress_n);
}

int main(int argc, char **argv)
{
    const char *dir = getenv("WS_NAB_DIR");
    if (!dir || !*dir) dir = "../shared/data/nab";
    char data[1024], wj[1024];
    snprintf(data, sizeof data, "%s/data", dir);
    snprintf(wj, sizeof wj, "%s/labels/combined_windows.json", dir);
    struct stat sb;
    if (stat(wj, &sb) != 0) {
        printf("nab: data absent (%s), skipped\n", wj);
        return 0;
    }
    nab_corpus c;
    if (nab_corpus_load(data, wj, &c)) { fprintf(stderr, "nab: cannot load %s\n", dir); return 1; }
    qsort(c.f, c.n, sizeof *c.f, by_name);
    double **a = malloc(c.n * sizeof *a);
    size_t rows = 0;
    for (size_t f = 0; f < c.n; f++) { a[f] = malloc(c.f[f].n * sizeof **a); rows += c.f[f].n; }

    if (argc > 1 && strcmp(argv[1], "tune") == 0) {
        tune(&c, a);
        return 0;
    }
    if (argc > 1 && strcmp(argv[1], "ctx") == 0) {     /* joint grid, half A only */
        det_params q = det_params_default();
        double ws[] = { 0.3, 0.5, 0.8 }, ks[] = { 3, 4, 6, 8, 12 }, hs[] = { 1, 2, 3, 6 };
        for (int i = 0; i < 3; i++) for (int j = 0; j < 5; j++) for (int k = 0; k < 4; k++) {
            q.w_tod = ws[i]; q.tod_k = ks[j]; q.tod_h = hs[k];
            run(&c, &q, a);
            printf("w %.1f k %2.0f h %.0f  half A sum %.2f\n", ws[i], ks[j], hs[k], half_a_obj(&c, a));
        }
        return 0;
    }
    if (argc > 1 && strcmp(argv[1], "dist") == 0) {   /* grid of the distribution check, half A only */
        det_params q = params();
        double ws[] = { 0.35, 0.4, 0.45, 0.5, 0.55, 0.6 }, Ws[] = { 96, 128, 160, 192, 224 }, ks[] = { 8, 12, 16 };
        for (int i = 0; i < 6; i++) for (int j = 0; j < 5; j++) for (int k = 0; k < 3; k++) {
            q.w_dist = ws[i]; q.dist_w = Ws[j]; q.dist_k = ks[k];
            run(&c, &q, a);
            printf("w %.2f W %3.0f k %2.0f  half A sum %.2f\n", ws[i], Ws[j], ks[k], half_a_obj(&c, a));
            fflush(stdout);
        }
        return 0;
    }
    if (argc > 1 && strcmp(argv[1], "ablate") == 0) {  /* each part switched off: the three sums per half */
        struct { const char *name; det_params p; } v[8];
        int nv = 0;
        det_params d = det_params_default();
        v[nv].name = "all parts"; v[nv++].p = d;
        v[nv].name = "no peak damping"; v[nv].p = d; v[nv++].p.peak_pow = 0;
        v[nv].name = "no value-pair context"; v[nv].p = d; v[nv++].p.w_ctx = 0;
        v[nv].name = "no time-of-day context"; v[nv].p = d; v[nv++].p.w_tod = 0;
        v[nv].name = "no damping after an alarm"; v[nv].p = d; v[nv++].p.suppress_gain = 1;
        v[nv].name = "no distribution check"; v[nv].p = d; v[nv++].p.w_dist = 0;
        v[nv].name = "no measuring range"; v[nv++].p = d;
        printf("%-28s %9s %9s %9s\n", "", "half A", "half B", "whole");
        for (int k = 0; k < nv; k++) {
            with_range = k != nv - 1;
            run(&c, &v[k].p, a);
            double ha_ = 0, hb_ = 0, wh_ = 0;
            for (int pr = 0; pr < NAB_NPROFILES; pr++) {
                ha_ += score(&c, a, 0, pr);
                hb_ += score(&c, a, 1, pr);
                wh_ += score(&c, a, -1, pr);
            }
            printf("%-28s %9.2f %9.2f %9.2f\n", v[k].name, ha_, hb_, wh_);
        }
        return 0;
    }
    if (argc > 1 && strcmp(argv[1], "a") == 0) {      /* half A only: the three profiles and their sum */
        det_params q = params();
        run(&c, &q, a);
        double s0 = score(&c, a, 0, NAB_STANDARD), s1 = score(&c, a, 0, NAB_LOW_FP), s2 = score(&c, a, 0, NAB_LOW_FN);
        printf("half A %.2f %.2f %.2f sum %.2f\n", s0, s1, s2, s0 + s1 + s2);
        return 0;
    }
    if (argc > 1 && strcmp(argv[1], "diaga") == 0) {  /* half A only, at half A's own theta* (PROF=0/1/2) */
        det_params dp = params();
        run(&c, &dp, a);
        int prof = getenv("PROF") ? atoi(getenv("PROF")) : NAB_STANDARD;   /* 0 standard, 1 low FP, 2 low FN */
        if (prof < 0 || prof >= NAB_NPROFILES) prof = NAB_STANDARD;
        nab_result r = half_result(&c, a, 0, prof);
        printf("half A theta* %.4f raw %.2f score %.2f\n", r.theta, r.raw, r.score);
        for (size_t f = 0; f < c.n; f += 2) {
            size_t P = nab_probation(c.f[f].n), fp = 0;
            printf("%6.2f n %6zu %s\n", nab_score_file_at(&c.f[f], a[f], &nab_profiles[prof], r.theta),
                   c.f[f].n, c.f[f].name);
            for (size_t k = 0; k < c.f[f].nwin; k++) {
                size_t first = SIZE_MAX; double mx = 0; size_t at = 0;
                for (size_t i = c.f[f].win[k].l; i <= c.f[f].win[k].r; i++) {
                    if (i >= P && a[f][i] >= r.theta && first == SIZE_MAX) first = i;
                    if (i >= P && a[f][i] > mx) { mx = a[f][i]; at = i; }
                }
                double w = (double)(c.f[f].win[k].r - c.f[f].win[k].l + 1);
                if (first != SIZE_MAX)
                    printf("     win [%zu,%zu] hit at %.2f of it (max %.3f at %.2f)\n", c.f[f].win[k].l, c.f[f].win[k].r,
                           (double)(first - c.f[f].win[k].l) / w, mx, (double)(at - c.f[f].win[k].l) / w);
                else
                    printf("     win [%zu,%zu] MISS max %.3f at %.2f\n", c.f[f].win[k].l, c.f[f].win[k].r, mx,
                           (double)(at - c.f[f].win[k].l) / w);
            }
            for (size_t i = P; i < c.f[f].n; i++)
                if (!in_window(&c.f[f], i) && a[f][i] >= r.theta) { fp++; printf("     fp at %zu score %.3f\n", i, a[f][i]); }
            if (fp) printf("     %zu false positives\n", fp);
        }
        return 0;
    }
    if (argc > 1 && strcmp(argv[1], "halves") == 0) {
        for (size_t f = 0; f < c.n; f++) printf("%c %s\n", f % 2 ? 'B' : 'A', c.f[f].name);
        return 0;
    }
    if (argc > 1 && strcmp(argv[1], "miss") == 0) {   /* missed windows: the highest score in each */
        det_params dp = params();
        run(&c, &dp, a);
        nab_result r;
        nab_score(c.f, c.n, (const double *const *)a, &nab_profiles[NAB_STANDARD], &r);
        for (size_t f = 0; f < c.n; f++) {
            size_t P = nab_probation(c.f[f].n);
            for (size_t k = 0; k < c.f[f].nwin; k++) {
                double mx = 0; size_t at = 0;
                for (size_t i = c.f[f].win[k].l; i <= c.f[f].win[k].r; i++)
                    if (i >= P && a[f][i] > mx) { mx = a[f][i]; at = i; }
                if (mx < r.theta) printf("%c %.3f at %zu of [%zu,%zu] n %zu %s\n", f % 2 ? 'B' : 'A', mx, at,
                                         c.f[f].win[k].l, c.f[f].win[k].r, c.f[f].n, c.f[f].name);
            }
        }
        return 0;
    }
    if (argc > 1 && strcmp(argv[1], "diag") == 0) {   /* per file at theta* (standard) */
        det_params dp = params();
        run(&c, &dp, a);
        nab_result r;
        nab_score(c.f, c.n, (const double *const *)a, &nab_profiles[NAB_STANDARD], &r);
        printf("theta* %.4f raw %.2f\n", r.theta, r.raw);
        for (size_t f = 0; f < c.n; f++) {
            size_t P = nab_probation(c.f[f].n), fp = 0, det = 0;
            for (size_t k = 0; k < c.f[f].nwin; k++) {
                int hit = 0;
                for (size_t i = c.f[f].win[k].l; i <= c.f[f].win[k].r; i++) hit |= i >= P && a[f][i] >= r.theta;
                det += (size_t)hit;
            }
            for (size_t i = P; i < c.f[f].n; i++) fp += !in_window(&c.f[f], i) && a[f][i] >= r.theta;
            printf("%6.2f win %zu/%zu fp %3zu %s\n",
                   nab_score_file_at(&c.f[f], a[f], &nab_profiles[NAB_STANDARD], r.theta),
                   det, c.f[f].nwin, fp, c.f[f].name);
        }
        return 0;
    }
    det_params p = params();
    /* speed: the best of 5 passes over the corpus, one thread */
    double best_t = 1e9;
    for (int rep = 0; rep < 5; rep++) {
        double t0 = now();
        run(&c, &p, a);
        double t = now() - t0;
        if (t < best_t) best_t = t;
    }
    double all[3], hb[3], ha[3];
    for (int pr = 0; pr < NAB_NPROFILES; pr++) {
        all[pr] = score(&c, a, -1, pr);
        ha[pr] = score(&c, a, 0, pr);
        hb[pr] = score(&c, a, 1, pr);
    }
    printf("%-10s %9s %9s %9s\n", "", "standard", "low_FP", "low_FN");
    printf("%-10s %9.2f %9.2f %9.2f\n", "whole", all[0], all[1], all[2]);
    printf("%-10s %9.2f %9.2f %9.2f\n", "half A", ha[0], ha[1], ha[2]);
    printf("%-10s %9.2f %9.2f %9.2f\n", "half B", hb[0], hb[1], hb[2]);
    printf("%-10s %9.2f %9.2f %9.2f\n", "ARTime", 74.85, 65.15, 80.36);
    printf("readings %zu, best of 5 passes %.4f s\n", rows, best_t);
    nab_result std;
    if (!nab_score(c.f, c.n, (const double *const *)a, &nab_profiles[NAB_STANDARD], &std)) {
        char lj[1024];
        snprintf(lj, sizeof lj, "%s/labels/combined_labels.json", dir);
        lead_times(&c, a, lj, std.theta);
    }
    printf("nab standard=%.2f low_fp=%.2f low_fn=%.2f half_b_standard=%.2f points_per_s=%.0f\n",
           all[0], all[1], all[2], hb[0], (double)rows / best_t);
    for (size_t f = 0; f < c.n; f++) free(a[f]);
    free(a);
    nab_corpus_free(&c);
    return 0;
}
