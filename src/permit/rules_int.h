/* rules_int.h — what the two halves of the compliance engine share (rules.c
 * judges, rules_parse.c reads a profile): the rule kinds, the typed rule and
 * the profile they fill, and a bounded snprintf. Internal to src/permit. */
#ifndef WS_PERMIT_RULES_INT_H
#define WS_PERMIT_RULES_INT_H

#include <stdarg.h>
#include <stdio.h>

#include "permit/permit_rules.h"

#define MIN_MS 60000LL
#define HOUR_MS 3600000LL
#define DAY_MS 86400000LL
#define EPS 1e-9

typedef enum {
    K_GRADE = 0,
    K_GRADE_UPGRADE,
    K_GRADE_MEASURED,
    K_VALIDITY,
    K_TEMP_POWER,
    K_GAS_BEFORE,
    K_GAS_BREAK,
    K_GAS_CONT,
    K_GAS_PERIODIC,
    K_OXYGEN,
    K_TOXIC,
    K_COMBUSTIBLE,
    K_CERT,
    K_GUARDIAN,
    K_MEASURES,
    K_APPROVALS,
    K_COUNT
} kind;

#define MAX_GRADE_KEYS 8
#define MAX_CERTS 4
#define POST_MAX 96

typedef struct gnum {
    char g[PR_GRADE_MAX]; /* a grade or "*" */
    double v;
} gnum;

typedef struct gchain {
    char g[PR_GRADE_MAX];
    char posts[PR_MAX_APPROVALS][POST_MAX]; /* "plant_manager|chief_engineer" = either */
    int n;
} gchain;

typedef struct rule {
    char id[PR_ID_MAX];
    kind k;
    unsigned types; /* bit per pr_type */
    char clause[64], edition[24];
    long effective_day; /* days since 1970-01-01 */
    bool confirmed, applicable;
    /* grade */
    char grades[4][PR_GRADE_MAX];
    int ngrades;
    char hot_tapping[PR_GRADE_MAX];
    /* grade_upgrade */
    int night_from, night_to; /* minutes after local midnight */
    bool holidays, rest_days;
    /* grade_measured */
    int basis; /* 0 height_m, 1 mass_t */
    double bounds[4];
    int nbounds;
    /* validity, gas_after_break */
    gnum num[MAX_GRADE_KEYS];
    int nnum;
    bool same_day;
    /* temporary power */
    double days, max_days;
    bool within_served;
    /* gas timing */
    double max_age_min, interval_min;
    unsigned kinds_of[PT_COUNT]; /* bit per pr_gas_kind */
    /* gas criteria */
    double o2_min, o2_max, o2_max_enriched;
    double portable_max_lel, lel_split, vol_high, vol_low;
    /* certificate */
    char certs[PT_COUNT][MAX_CERTS][32];
    int ncerts[PT_COUNT];
    bool checkin;
    /* approvals */
    gchain chain[MAX_GRADE_KEYS];
    int nchain;
} rule;

struct pr_profile {
    json_t *doc;
    char key[PR_ID_MAX];
    bool chemical, reference_only;
    rule rules[PR_MAX_RULES];
    int n;
};

/* snprintf without the compiler's truncation guesses: every caller's buffer
 * is bounded and a cut text is acceptable (paths, evidence). Returns the
 * length the full text would have, clamped to what fits. */
static inline int sf(char *out, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static inline int sf(char *out, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out, cap, fmt, ap);
    va_end(ap);
    if (n < 0) n = 0;
    if (cap && (size_t)n >= cap) n = (int)cap - 1;
    return n;
}

#endif
