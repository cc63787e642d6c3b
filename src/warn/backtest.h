/* backtest.h — what an alarm rule-set would have raised on stored history:
 * the points' limits, a rule set's rules and the active process monitors
 * replayed over [from, to) of the series store, per rule and source. The
 * quarterly review of the rule library (`worksafe rules backtest`) and the
 * rule editor's 试算 (POST /api/v1/alarm-rules/backtest) both call it.
 * docs/internals/alarm.md "Backtest". */
#ifndef WS_WARN_BACKTEST_H
#define WS_WARN_BACKTEST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "alarm/rule.h"
#include "core/err.h"
#include "core/json.h"
#include "store/store.h"

struct series;

typedef struct warn_backtest_opts {
    int64_t from, to;              /* ms, from < to */
    const char *scope_path;        /* points and monitors whose unit lies under it; NULL "/" */
    const char *const *tags;       /* only these points (and the monitors watching one) */
    int ntags;
    int64_t max_readings;          /* 0: no bound; over it WS_ETOOBIG naming "to" */
} warn_backtest_opts;

typedef struct warn_backtest warn_backtest;

/* Replay. *out is the caller's (warn_backtest_free) on success. The set is
 * copied into the replay's engine; s and c are borrowed and only read.
 * WS_ENOTFOUND naming "tags" for a tag no point in scope has. */
ws_err warn_backtest_run(store_conn *c, struct series *s, const rule_set *set, const warn_backtest_opts *o,
                         warn_backtest **out);
/* The result as one JSON object (version 0: a draft, null); a new reference. */
json_t *warn_backtest_json(const warn_backtest *b, int64_t version);
/* The result as the CLI's table. */
void warn_backtest_print(const warn_backtest *b, int64_t version, FILE *f);
void warn_backtest_free(warn_backtest *b);

#endif
