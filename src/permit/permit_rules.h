/* permit_rules.h — the GB 30871 compliance engine: pure functions that check
 * a special-work permit (特殊作业票) against a rule profile and a holiday
 * calendar, and say which rule fails and why.
 *
 * Nothing here touches the store or the clock: the caller passes a snapshot
 * of the permit (pr_permit), the profile and calendar (parsed once from their
 * JSON data) and the instant to judge at. The permit module (permit.c) calls
 * it on every transition into `active`, on resume, from its timer and from
 * the pre-check API; the compliance report calls it for every permit in a
 * range. The same inputs always give the same verdicts (tests/data/permits/
 * holds cases with their expected verdicts).
 *
 * Profiles are versioned data (data/permit/profile-*.json): every rule has an
 * id, the clause and edition it comes from, its effective date, whether its
 * number is confirmed from a primary text, and its parameters. The kinds of
 * rule are code (below); their numbers are data. A profile can make a rule's
 * numbers stricter or mark it not applicable to an industry, never remove the
 * rules the law requires (pr_profile_parse refuses a chemical profile without
 * them).
 *
 * Grades: hot work 特级 "special" / 一级 "1" / 二级 "2" (construction profile:
 * "1"/"2"/"3"); work at height I–IV by GB/T 3608 from height_m ("1".."4");
 * hoisting by mass ("1" > 100 t, "2" 40–100 t, "3" < 40 t); other types "".
 * Hot work on a night, holiday or rest day (a weekend that the calendar does
 * not mark as a 调休 working day) is upgraded one grade (二级 → 一级 → 特级);
 * every grade-dependent rule then uses the effective grade. */
#ifndef WS_PERMIT_RULES_H
#define WS_PERMIT_RULES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

typedef enum {
    PT_HOT_WORK = 0,      /* 动火 */
    PT_CONFINED_SPACE,    /* 受限空间 */
    PT_BLIND_PLATE,       /* 盲板抽堵 */
    PT_WORK_AT_HEIGHT,    /* 高处 */
    PT_LIFTING,           /* 吊装 */
    PT_TEMPORARY_POWER,   /* 临时用电 */
    PT_EXCAVATION,        /* 动土 */
    PT_ROAD_CLOSURE,      /* 断路 */
    PT_COUNT
} pr_type;

/* "hot_work" ... "road_closure" <-> pr_type; -1 for an unknown name. */
const char *pr_type_name(pr_type t);
const char *pr_type_label(pr_type t); /* "动火作业" */
int pr_type_of(const char *name);

#define PR_GRADE_MAX 12
#define PR_ID_MAX 48
#define PR_TEXT_MAX 240
#define PR_MAX_GAS 32
#define PR_MAX_WORKERS 32
#define PR_MAX_APPROVALS 8
#define PR_MAX_RULES 64
#define PR_MAX_MEASURES 64

/* One gas analysis (气体分析) or one reading of a continuous monitor. */
typedef enum { PR_GAS_COMBUSTIBLE = 0, PR_GAS_OXYGEN, PR_GAS_TOXIC } pr_gas_kind;
typedef enum { PR_UNIT_PCT_LEL = 0, PR_UNIT_PCT_VOL, PR_UNIT_MG_M3, PR_UNIT_PPM } pr_gas_unit;

#define PR_CERT_NO_MAX 40 /* a certificate number's bytes with its NUL */

typedef struct pr_gas {
    int64_t at_ms;             /* when the sample was analysed */
    pr_gas_kind kind;
    pr_gas_unit unit;
    double value;
    char substance[32];        /* "甲烷", "H2S" ... */
    double lel_pct_vol;        /* combustible by volume: the substance's LEL in %vol (0 unknown) */
    double limit;              /* toxic: the exposure limit in `unit` (GBZ 2.1), 0 unknown */
    bool portable;             /* measured with a portable detector */
    char position[12];         /* "upper" "middle" "lower" or "" (confined space) */
    int64_t analyst_person_id; /* 分析人 */
} pr_gas;

typedef struct pr_worker {
    int64_t person_id;
    char name[64];
    char cert_type[32];        /* the certificate shown for this job, "" none */
    char cert_no[PR_CERT_NO_MAX];
    int64_t cert_expires_ms;   /* 0 = none on record */
    bool cert_revoked;
} pr_worker;

typedef struct pr_approval {
    char post[PR_ID_MAX];      /* the post that approved ("workshop_head", ...) */
    int64_t person_id;
    int64_t at_ms;
} pr_approval;

/* The permit as the engine sees it. Times are ms UTC; 0 = not yet. */
typedef struct pr_permit {
    pr_type type;
    char grade[PR_GRADE_MAX];  /* as applied for; "" where the type has none */
    double height_m;           /* work at height */
    double mass_t;             /* lifting */
    char tz[64];               /* the unit's zone (nights, holidays); "" = Asia/Shanghai */

    int64_t planned_start_ms, planned_end_ms;
    int64_t activated_ms;      /* first entry into active */
    int64_t suspended_ms;      /* when the current break began (0 = not suspended) */
    int64_t resumed_ms;        /* end of the last break */

    bool enriched_oxygen;      /* confined space where the air is oxygen-enriched */
    bool continuous_monitor;   /* a fixed or portable detector reports continuously */
    bool hot_tapping;          /* 带压不置换 (always 特级) */

    pr_gas gas[PR_MAX_GAS];    /* oldest first */
    int ngas;

    pr_worker workers[PR_MAX_WORKERS];
    int nworkers;

    int64_t guardian_person_id;
    bool guardian_qualified;       /* a valid guardian qualification on record */
    int64_t guardian_qual_expires_ms;
    int64_t guardian_checkin_ms;   /* 监护人签到 */

    pr_approval approvals[PR_MAX_APPROVALS];
    int napprovals;

    int nmeasures, nmeasures_confirmed; /* the measures checklist (安全措施) */

    /* temporary power serving another permit (its window) */
    int64_t served_start_ms, served_end_ms; /* 0 = serves none */
    char extension_reason[PR_TEXT_MAX];     /* temporary power over 15 days */
} pr_permit;

/* A rule profile (parsed; immutable; owns its JSON). */
typedef struct pr_profile pr_profile;
/* A national holiday calendar covering one or more years (parsed). */
typedef struct pr_calendar pr_calendar;

/* Parse a profile document (data/permit/profile-*.json). Strict: unknown
 * members, a rule kind that does not exist, a missing clause, or a chemical
 * profile without a statutory rule are refused naming the path
 * ("rules[3].hours.special"). Caller frees. */
ws_err pr_profile_parse(const json_t *doc, pr_profile **out);
void pr_profile_free(pr_profile *p);
const char *pr_profile_key(const pr_profile *p);   /* "gb30871_2022_chem" */
const json_t *pr_profile_json(const pr_profile *p); /* borrowed */
/* The compiled-in profile documents (static JSON text): key -> text, NULL if
 * unknown. Keys: gb30871_2022_chem (default), gongmao_ref, construction. */
const char *pr_profile_builtin(const char *key);
const char *pr_profile_builtin_key(size_t i); /* NULL after the last */

/* Parse a calendar document {"year":2026,"source":"...","holidays":[{"from":
 * "2026-01-01","to":"2026-01-03","name":"元旦"}],"workdays":["2026-01-04"]}
 * or an array of them. Caller frees. */
ws_err pr_calendar_parse(const json_t *doc, pr_calendar **out);
void pr_calendar_free(pr_calendar *c);
const char *pr_calendar_builtin(void); /* the years shipped (static JSON text) */
/* Day kind of a local date (y, m, d): 0 working day, 1 rest day (weekend,
 * not a 调休 working day), 2 statutory holiday. *name gets the holiday's name
 * (static/borrowed) or NULL. Years the calendar lacks: weekends are rest
 * days, *known = false. */
int pr_calendar_day(const pr_calendar *c, int y, int m, int d, const char **name, bool *known);

/* What is being checked. */
typedef enum {
    PR_STAGE_PRECHECK = 0, /* a draft: everything still missing, nothing final */
    PR_STAGE_ACTIVATE,     /* entering active (guardian check-in) at now */
    PR_STAGE_RESUME,       /* suspended -> active at now */
    PR_STAGE_RUNNING,      /* while active: validity, periodic gas tests, monitoring */
    PR_STAGE_AUDIT,        /* after the fact: the permit's whole record */
} pr_stage;

typedef enum { PR_PASS = 0, PR_FAIL, PR_NA } pr_result;

/* What a failing rule means while active (PR_STAGE_RUNNING). */
typedef enum { PR_EFFECT_NONE = 0, PR_EFFECT_SUSPEND, PR_EFFECT_EXPIRE } pr_effect;

typedef struct pr_verdict {
    char rule[PR_ID_MAX];      /* "validity", "gas_before_start", ... */
    char clause[64];           /* "GB 30871-2022 5.2.6" */
    char edition[24];          /* "GB 30871-2022" */
    bool confirmed;            /* the number is confirmed from a primary text */
    pr_result result;
    pr_effect effect;
    char field[PR_ID_MAX];     /* the permit field to fix ("gas", "planned_end", "workers[1].cert") */
    char evidence[PR_TEXT_MAX];/* "gas test 42 min before start; limit 30" (zh + numbers) */
} pr_verdict;

typedef struct pr_report {
    char effective_grade[PR_GRADE_MAX];
    char upgrade_reason[PR_TEXT_MAX]; /* "夜间 22:00–06:00" / "国庆节" / "" */
    char required_posts[PR_MAX_APPROVALS][PR_ID_MAX]; /* the approval chain of the effective grade */
    int nrequired_posts;
    int64_t validity_ms;       /* the maximum window of the effective grade */
    double pass_limit_lel;     /* combustible pass limit in %LEL for linked detectors (0 = none) */
    pr_verdict v[PR_MAX_RULES];
    int n;
    int nfail;
} pr_report;

/* Check permit p against profile pf and calendar cal (may be NULL: weekends
 * only) at now for stage. Fills every applicable rule, passing or not, in
 * the profile's order. Never fails on a permit's content (that is a
 * verdict); WS_EINVAL only for an impossible snapshot (type out of range). */
ws_err pr_check(const pr_profile *pf, const pr_calendar *cal, const pr_permit *p, int64_t now_ms,
                pr_stage stage, pr_report *out);

/* The grade from the permit's measurements where the type defines one
 * (height from height_m, hoisting from mass_t), else p->grade. */
const char *pr_grade_of(const pr_permit *p, char *out, size_t cap);

/* "precheck" "activate" "resume" "running" "audit" <-> pr_stage; -1 unknown. */
const char *pr_stage_name(pr_stage s);
int pr_stage_of(const char *name);

/* The JSON form of a snapshot (src/permit/snapshot.c): the struct's member
 * names, except that times drop "_ms" and are RFC 3339 strings or null
 * ("planned_start": "2026-03-02T08:00:00+08:00"); "type" and gas "kind" /
 * "unit" ("%LEL" "%vol" "mg/m3" "ppm") by name; the arrays gas, workers and
 * approvals set their counts. Strict: an unknown member or a bad value is
 * WS_EINVAL naming its path ("permit.gas[2].unit"). Fills *out. */
ws_err pr_permit_from_json(const json_t *o, pr_permit *out);

/* The verdicts as JSON [{"rule","clause","edition","confirmed","result":
 * "pass"|"fail"|"na","effect","field","evidence"}] plus "effective_grade",
 * "upgrade_reason", "required_posts" — the API's form (new reference). */
json_t *pr_report_json(const pr_report *r);

/* A certificate number as people other than the register's keepers see it:
 * the first four and last four characters, the rest as '*'
 * ("T320***********0017"); a special-operation certificate's number is the
 * holder's identity-card number with a letter before it (personal
 * information: PIPL art. 28). Short numbers keep one character at each end.
 * out gets at most cap - 1 bytes, cut at a character. */
void pr_cert_mask(const char *no, char *out, size_t cap);

#endif
