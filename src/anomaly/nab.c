/* nab.c — the NAB scorer (see nab.h) and the corpus reader. Everything here
 * follows shared/data/nab/SCORING.md step by step; the step numbers in the
 * comments are the spec's. */
#include "anomaly/nab.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const nab_profile nab_profiles[NAB_NPROFILES] = {
    { "standard", 1.0, 0.11, 1.0 },
    { "reward_low_FP_rate", 1.0, 0.22, 1.0 },
    { "reward_low_FN_rate", 1.0, 0.11, 2.0 },
};

/* ---- reading the corpus ---------------------------------------------- */

/* "YYYY-MM-DD HH:MM:SS..." -> seconds; -1 when malformed. */
static double parse_ts(const char *s)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (sscanf(s, "%4d-%2d-%2d %2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
               &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (double)timegm(&tm);
}

/* Read the whole file; caller frees. */
static char *slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    char *b = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n + 65536 + 1 > cap) {
            size_t nc = cap ? cap * 2 : 1 << 20;
            char *nb = realloc(b, nc);
            if (!nb) { free(b); fclose(fp); return NULL; }
            b = nb; cap = nc;
        }
        size_t got = fread(b + n, 1, cap - n - 1, fp);
        n += got;
        if (got == 0) break;
    }
    fclose(fp);
    b[n] = 0;
    if (len) *len = n;
    return b;
}

static ws_err load_csv(const char *path, nab_file *f)
{
    size_t len;
    char *b = slurp(path, &len);
    if (!b) return ws_fail(WS_EIO, "path", "cannot read %s", path);
    size_t lines = 0;
    for (size_t i = 0; i < len; i++) lines += b[i] == '\n';
    lines++;
    f->ts = malloc(lines * sizeof *f->ts);
    f->v = malloc(lines * sizeof *f->v);
    f->w = malloc(lines * sizeof *f->w);
    if (!f->ts || !f->v || !f->w) { free(b); return WS_ENOMEM; }
    int have_w = 0;
    char *p = strchr(b, '\n');            /* skip the header */
    p = p ? p + 1 : b + len;
    size_t n = 0;
    while (p < b + len) {
        char *e = strchr(p, '\n');
        if (!e) e = b + len;
        *e = 0;
        if (e > p && e[-1] == '\r') e[-1] = 0;
        if (*p) {
            char *c1 = strchr(p, ',');
            if (!c1) { free(b); return ws_fail(WS_EINVAL, "csv", "%s: no comma", path); }
            f->ts[n] = parse_ts(p);
            char *end;
            f->v[n] = strtod(c1 + 1, &end);
            if (*end == ',') { f->w[n] = strtod(end + 1, NULL); have_w = 1; }
            else f->w[n] = 0;
            n++;
        }
        p = e + 1;
    }
    free(b);
    f->n = n;
    if (!have_w) { free(f->w); f->w = NULL; }
    return WS_OK;
}

/* Row of timestamp t (binary search: timestamps strictly increase). */
static long find_row(const nab_file *f, double t)
{
    size_t lo = 0, hi = f->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (f->ts[mid] < t) lo = mid + 1; else hi = mid;
    }
    return (lo < f->n && f->ts[lo] == t) ? (long)lo : -1;
}

ws_err nab_corpus_load(const char *data_dir, const char *windows_json, nab_corpus *out)
{
    memset(out, 0, sizeof *out);
    size_t len;
    char *js = slurp(windows_json, &len);
    if (!js) return ws_fail(WS_EIO, "path", "cannot read %s", windows_json);
    ws_err rc = WS_OK;
    size_t cap = 0;
    nab_file *cur = NULL;
    double pend = -1;                 /* start of a pair waiting for its end */
    /* A scanner over quoted strings: a string ending in ".csv" starts a file,
     * the strings after it pair up as (start, end). */
    for (char *p = js; (p = strchr(p, '"')) != NULL;) {
        char *q = strchr(p + 1, '"');
        if (!q) break;
        *q = 0;
        char *s = p + 1;
        size_t sl = (size_t)(q - s);
        p = q + 1;
        if (sl > 4 && strcmp(s + sl - 4, ".csv") == 0) {
            if (out->n == cap) {
                size_t nc = cap ? cap * 2 : 64;
                nab_file *nf = realloc(out->f, nc * sizeof *nf);
                if (!nf) { rc = WS_ENOMEM; goto fail; }
                out->f = nf; cap = nc;
            }
            cur = &out->f[out->n++];
            memset(cur, 0, sizeof *cur);
            snprintf(cur->name, sizeof cur->name, "%s", s);
            char path[1024];
            snprintf(path, sizeof path, "%s/%s", data_dir, s);
            rc = load_csv(path, cur);
            if (rc) goto fail;
            cur->win = malloc(64 * sizeof *cur->win);
            if (!cur->win) { rc = WS_ENOMEM; goto fail; }
            pend = -1;
            continue;
        }
        if (!cur) continue;
        double t = parse_ts(s);
        if (t < 0) continue;
        if (pend < 0) { pend = t; continue; }
        long l = find_row(cur, pend), r = find_row(cur, t);
        pend = -1;
        if (l < 0 || r < 0 || r < l || cur->nwin >= 64) {
            rc = ws_fail(WS_EINVAL, "window", "%s: window not on rows", cur->name);
            goto fail;
        }
        cur->win[cur->nwin].l = (size_t)l;
        cur->win[cur->nwin].r = (size_t)r;
        cur->nwin++;
    }
    free(js);
    return WS_OK;
fail:
    free(js);
    nab_corpus_free(out);
    return rc;
}

void nab_corpus_free(nab_corpus *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->f[i].ts); free(c->f[i].v); free(c->f[i].w); free(c->f[i].win);
    }
    free(c->f);
    c->f = NULL;
    c->n = 0;
}

/* ---- scoring ----------------------------------------------------------- */

size_t nab_probation(size_t n)
{
    size_t p = (size_t)floor(0.15 * (double)n);
    return p < 750 ? p : 750;
}

/* The scaled sigmoid: 2/(1+e^{5x}) - 1, and -1 beyond x > 3. */
static double ssig(double x)
{
    if (x > 3.0) return -1.0;
    return 2.0 / (1.0 + exp(5.0 * x)) - 1.0;
}

void nab_row_scores(size_t n, const nab_window *win, size_t nwin,
                    const nab_profile *p, double *s)
{
    const double max_tp = ssig(-1.0);
    size_t k = 0;                     /* next window not yet ended */
    for (size_t i = 0; i < n; i++) {
        while (k < nwin && win[k].r < i) k++;
        if (k < nwin && win[k].l <= i) {            /* inside window k */
            double w = (double)(win[k].r - win[k].l + 1);
            double pos = -(double)(win[k].r - i + 1) / w;
            s[i] = p->a_tp * ssig(pos) / max_tp;
        } else if (k == 0) {                         /* before any window ended */
            s[i] = -p->a_fp;
        } else {                                     /* after window k-1 */
            double wp = (double)(win[k - 1].r - win[k - 1].l + 1);
            double pos = (double)(i - win[k - 1].r) / (wp - 1.0);
            s[i] = p->a_fp * ssig(pos);
        }
    }
}

/* Window index of each row, -1 outside; into wid[0..n). */
static void row_windows(const nab_file *f, int32_t base, int32_t *wid)
{
    for (size_t i = 0; i < f->n; i++) wid[i] = -1;
    for (size_t k = 0; k < f->nwin; k++)
        for (size_t i = f->win[k].l; i <= f->win[k].r && i < f->n; i++)
            wid[i] = base + (int32_t)k;
}

double nab_score_file_at(const nab_file *f, const double *a, const nab_profile *p,
                         double theta)
{
    double *s = malloc((f->n ? f->n : 1) * sizeof *s);
    if (!s) return NAN;
    nab_row_scores(f->n, f->win, f->nwin, p, s);
    size_t P = nab_probation(f->n);
    double S = 0;
    size_t k = 0;
    for (size_t i = P; i < f->n; i++) {
        while (k < f->nwin && f->win[k].r < i) k++;
        int inside = k < f->nwin && f->win[k].l <= i;
        if (!inside && a[i] >= theta) S += s[i];
    }
    for (k = 0; k < f->nwin; k++) {
        double best = 0;
        int det = 0;
        for (size_t i = f->win[k].l; i <= f->win[k].r; i++)
            if (i >= P && a[i] >= theta && (!det || s[i] > best)) { best = s[i]; det = 1; }
        S += det ? best : -p->a_fn;
    }
    free(s);
    return S;
}

typedef struct { double a, s; int32_t w; } sweep_row;

static int by_score_desc(const void *x, const void *y)
{
    double a = ((const sweep_row *)x)->a, b = ((const sweep_row *)y)->a;
    return (a < b) - (a > b);
}

ws_err nab_score(const nab_file *files, size_t nfiles, const double *const *a,
                 const nab_profile *p, nab_result *out)
{
    size_t rows = 0, maxn = 1, nwin = 0;
    for (size_t f = 0; f < nfiles; f++) {
        rows += files[f].n;
        if (files[f].n > maxn) maxn = files[f].n;
        nwin += files[f].nwin;
    }
    sweep_row *r = malloc((rows ? rows : 1) * sizeof *r);
    double *s = malloc(maxn * sizeof *s);
    int32_t *wid = malloc(maxn * sizeof *wid);
    double *best = calloc(nwin ? nwin : 1, sizeof *best);
    unsigned char *det = calloc(nwin ? nwin : 1, 1);
    ws_err rc = WS_OK;
    if (!r || !s || !wid || !best || !det) { rc = WS_ENOMEM; goto done; }

    /* Steps 1-2: the scorable rows with their sweep scores and windows. */
    size_t m = 0;
    int32_t base = 0;
    for (size_t f = 0; f < nfiles; f++) {
        const nab_file *fl = &files[f];
        nab_row_scores(fl->n, fl->win, fl->nwin, p, s);
        row_windows(fl, base, wid);
        for (size_t i = nab_probation(fl->n); i < fl->n; i++) {
            r[m].a = a[f][i];
            r[m].s = s[i];
            r[m].w = wid[i];
            m++;
        }
        base += (int32_t)fl->nwin;
    }
    /* Steps 3-5: lower the threshold through every distinct score. */
    qsort(r, m, sizeof *r, by_score_desc);
    double S = -p->a_fn * (double)nwin;
    double bestS = S, theta = 1.1;
    for (size_t i = 0; i < m;) {
        double th = r[i].a;
        for (; i < m && r[i].a == th; i++) {
            int32_t w = r[i].w;
            if (w < 0) S += r[i].s;
            else if (!det[w]) { det[w] = 1; best[w] = r[i].s; S += r[i].s + p->a_fn; }
            else if (r[i].s > best[w]) { S += r[i].s - best[w]; best[w] = r[i].s; }
        }
        if (th > 1.1) continue;               /* 1.1 itself is the "none" candidate */
        if (S > bestS) { bestS = S; theta = th; }
    }
    /* Step 6. */
    double perfect = p->a_tp * (double)nwin, null = -p->a_fn * (double)nwin;
    out->raw = bestS;
    out->theta = theta;
    out->score = perfect > null ? 100.0 * (bestS - null) / (perfect - null) : 0.0;
done:
    free(r); free(s); free(wid); free(best); free(det);
    return rc;
}
