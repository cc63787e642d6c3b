/* cmd_rules.c — `worksafe rules backtest`: replay stored history through the
 * points' limits and an alarm rule-set version, and report what would have
 * been raised — for the quarterly review of the rule library.
 *
 *   worksafe rules backtest [--data DIR | --db URL] --version N
 *                           [--from RFC3339] [--to RFC3339] [--tag T]... [--json]
 *
 * The replay is warn_backtest_run (src/warn/backtest.c: the points' limits,
 * the version's rules and the active process monitors over the stored raw
 * readings); this file parses the arguments and prints.
 *
 * Default range: the 90 days before now. Output: per rule and source the
 * number of raises (work-order actions for count rules), the total time
 * active within the range, and the first three raises with time and value;
 * --json prints one object instead. Exit 0, or 2 on a usage or store error.
 * It reads only (except storing the default set on a database that never
 * had one), so it may run beside a live server. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alarm/rule.h"
#include "alarm/ruleset.h"
#include "cli/cli.h"
#include "core/clock.h"
#include "core/json.h"
#include "telemetry/series.h"
#include "warn/backtest.h"

#define MAX_TAGS 64

/* ------------------------------------------------------------------- main */

static int usage(int code)
{
    fprintf(code ? stderr : stdout,
            "usage: worksafe rules backtest [--data DIR] [--db URL] --version N\n"
            "                               [--from RFC3339] [--to RFC3339] [--tag T]... [--json]\n"
            "replays stored readings (default: the last 90 days) through the points' limits,\n"
            "alarm rule-set version N and the active process monitors, and prints per rule and\n"
            "source what would have been raised.\n");
    return code;
}

int cmd_rules(int argc, char **argv)
{
    const char *sub = argc > 2 ? argv[2] : "";
    if (strcmp(sub, "backtest") != 0) return usage(strcmp(sub, "--help") && strcmp(sub, "-h") ? 2 : 0);
    const char *tags[MAX_TAGS];
    int ntags = 0;
    int64_t version = 0, from = INT64_MIN, to = INT64_MIN;
    bool as_json = false;
    char **rest = calloc((size_t)argc + 1, sizeof *rest);
    if (!rest) return 2;
    int nrest = 0;
    rest[nrest++] = argv[0];
    for (int i = 3; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            free(rest);
            return usage(0);
        } else if (!strcmp(a, "--json")) {
            as_json = true;
        } else if (!strcmp(a, "--version") || !strcmp(a, "--from") || !strcmp(a, "--to") ||
                   !strcmp(a, "--tag")) {
            if (!v) {
                fprintf(stderr, "worksafe rules backtest: %s needs a value\n", a);
                free(rest);
                return 2;
            }
            i++;
            char *end = NULL;
            if (!strcmp(a, "--version")) {
                long long n = strtoll(v, &end, 10);
                if (*end || n < 1) {
                    fprintf(stderr, "worksafe rules backtest: --version must be a version number >= 1\n");
                    free(rest);
                    return 2;
                }
                version = n;
            } else if (!strcmp(a, "--tag")) {
                if (ntags == MAX_TAGS) {
                    fprintf(stderr, "worksafe rules backtest: at most %d --tag\n", MAX_TAGS);
                    free(rest);
                    return 2;
                }
                tags[ntags++] = v;
            } else if (clock_parse_rfc3339(v, !strcmp(a, "--from") ? &from : &to) != 0) {
                fprintf(stderr, "worksafe rules backtest: %s must be an RFC 3339 time such as "
                                "2026-01-01T00:00:00+08:00\n", a);
                free(rest);
                return 2;
            }
        } else {
            rest[nrest++] = argv[i];
        }
    }
    cli_opts o;
    cli_defaults(&o);
    ws_err prc = cli_parse(&o, nrest, rest, 1, "rules backtest");
    free(rest);
    if (prc) return 2;
    if (o.help) return 0;
    if (!version) {
        fprintf(stderr, "worksafe rules backtest: --version N is required (GET /api/v1/alarm-rules lists them)\n");
        return 2;
    }
    int64_t now = clock_now_ms();
    if (to == INT64_MIN) to = now;
    if (from == INT64_MIN) from = to - INT64_C(90) * 86400000;
    if (from >= to) {
        fprintf(stderr, "worksafe rules backtest: --from must be before --to\n");
        return 2;
    }
    store *db = NULL;
    store_conn *c = NULL;
    series *s = NULL;
    rule_set *set = calloc(1, sizeof *set);
    warn_backtest *b = NULL;
    int code = 2;
    ws_err rc = WS_OK;
    char surl[CLI_PATH_MAX + 32];
    alarm_ruleset_row row = {0};
    if (!set) goto done;
    if (cli_open_store(&o, 1, &db) || cli_init_modules(&o) || store_acquire(db, &c) ||
        cli_open_audit(&o, c))
        goto done;
    if ((rc = alarm_ruleset_get(c, version, &row))) goto fail;
    if ((rc = rule_set_parse(row.doc, strlen(row.doc), set))) goto fail;
    if ((rc = series_url(cli_db_url(&o), o.data, surl, sizeof surl))) goto fail;
    if ((rc = series_open(surl, NULL, &s))) goto fail;
    warn_backtest_opts bo = {from, to, "/", tags, ntags, 0};
    if ((rc = warn_backtest_run(c, s, set, &bo, &b))) goto fail;
    if (as_json) {
        json_t *j = warn_backtest_json(b, version);
        char *txt = j ? json_dumps(j, JSON_COMPACT) : NULL;
        json_decref(j);
        if (txt) puts(txt);
        free(txt);
    } else {
        warn_backtest_print(b, version, stdout);
    }
    code = 0;
    goto done;
fail:
    if (ws_err_field()[0])
        fprintf(stderr, "worksafe rules backtest: %s (field %s)\n", ws_err_message(), ws_err_field());
    else
        fprintf(stderr, "worksafe rules backtest: %s\n", ws_err_message());
done:
    warn_backtest_free(b);
    alarm_ruleset_row_free(&row);
    if (s) series_close(s);
    if (c) store_release(c);
    audit_close();
    store_close(db);
    free(set);
    return code;
}
