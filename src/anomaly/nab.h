/* nab.h — the Numenta Anomaly Benchmark scorer, written from
 * shared/data/nab/SCORING.md (windows, the scaled sigmoid, three application
 * profiles, probation, the exhaustive corpus-wide threshold sweep and the
 * normalisation against the null and perfect detectors), plus a reader for
 * the corpus layout (data/<category>/<file>.csv and labels/combined_windows.json).
 * Used by tests/unit/test_nab.c (golden ARTime scores) and bench/nab/. */
#ifndef WS_ANOMALY_NAB_H
#define WS_ANOMALY_NAB_H

#include <stddef.h>

#include "core/err.h"

typedef struct {
    const char *name;              /* "standard", "reward_low_FP_rate", ... */
    double a_tp, a_fp, a_fn;       /* positive weights; signs in the formulas */
} nab_profile;

enum { NAB_STANDARD, NAB_LOW_FP, NAB_LOW_FN, NAB_NPROFILES };
extern const nab_profile nab_profiles[NAB_NPROFILES];

typedef struct { size_t l, r; } nab_window;   /* row indices, both inclusive */

typedef struct {
    char name[160];                /* "category/file.csv" (key of the windows file) */
    size_t n;                      /* rows */
    double *ts;                    /* seconds since the epoch (UTC, naive) */
    double *v;                     /* first column after the timestamp */
    double *w;                     /* second column, or NULL when absent */
    nab_window *win;
    size_t nwin;
} nab_file;

typedef struct {
    nab_file *f;
    size_t n;
} nab_corpus;

typedef struct {
    double score;                  /* normalised: 0 null, 100 perfect */
    double raw;                    /* S(theta*) */
    double theta;                  /* chosen threshold (1.1 = no detections) */
} nab_result;

/* Read every file listed in windows_json from data_dir/<key>; columns after
 * the timestamp go to v (and w when present). The corpus owns all memory;
 * release with nab_corpus_free. */
ws_err nab_corpus_load(const char *data_dir, const char *windows_json, nab_corpus *out);
void nab_corpus_free(nab_corpus *c);

/* Rows dropped from scoring at the start of a file of n rows. */
size_t nab_probation(size_t n);

/* The per-row sweep score s_i (Step 1) of every row, into s[0..n). */
void nab_row_scores(size_t n, const nab_window *win, size_t nwin,
                    const nab_profile *p, double *s);

/* Score a detector: a[k] holds one score per row of files[k]. Chooses the
 * corpus-optimal threshold and normalises. Returns WS_ENOMEM on allocation
 * failure. */
ws_err nab_score(const nab_file *files, size_t nfiles, const double *const *a,
                 const nab_profile *p, nab_result *out);

/* Raw score S_f(theta) of one file at a fixed threshold. */
double nab_score_file_at(const nab_file *f, const double *a, const nab_profile *p,
                         double theta);

#endif
