/* fuzz_permit.c — libFuzzer target for the permit compliance engine's
 * decoders (src/permit): a recorded case ({profile, stage, now, permit}, the
 * form of tests/data/permits), a rule profile and a holiday calendar, all
 * read from JSON that admins post and the database keeps.
 *
 * Every input must end in WS_OK or WS_EINVAL with a field named, never read
 * outside the buffer (a malloc'd copy of the input's exact size). A snapshot
 * that decodes is judged at every stage under the shipped default profile
 * and calendar, and its report serialised; a profile or calendar that parses
 * judges a fixed permit.
 *   make build/fuzz/fuzz_permit && build/fuzz/fuzz_permit -max_total_time=20 tests/fuzz/seeds-permit */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "permit/permit_rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static pr_profile *dflt;
static pr_calendar *cal;
static pr_permit snap;
static pr_report rep;

static void init(void)
{
    if (dflt) return;
    json_error_t je;
    json_t *p = json_loads(pr_profile_builtin("gb30871_2022_chem"), 0, &je);
    json_t *c = json_loads(pr_calendar_builtin(), 0, &je);
    if (!p || !c || pr_profile_parse(p, &dflt) || pr_calendar_parse(c, &cal)) abort();
    json_decref(p);
    json_decref(c);
}

static void must_name(ws_err rc)
{
    if (rc == WS_OK) return;
    if (rc != WS_EINVAL || !ws_err_field()[0]) abort();
}

static void judge(const pr_profile *pf, const pr_calendar *cl, const pr_permit *p, int64_t now)
{
    for (int st = PR_STAGE_PRECHECK; st <= PR_STAGE_AUDIT; st++) {
        ws_err rc = pr_check(pf, cl, p, now, (pr_stage)st, &rep);
        if (rc && rc != WS_EINVAL) abort();
        if (!rc) {
            if (rep.n < 0 || rep.n > PR_MAX_RULES || rep.nfail > rep.n) abort();
            json_t *j = pr_report_json(&rep);
            if (!j) abort();
            json_decref(j);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    init();
    char *copy = malloc(size ? size : 1);
    if (!copy) return 0;
    memcpy(copy, data, size);
    json_error_t je;
    json_t *doc = json_loadb(copy, size, 0, &je);
    free(copy);
    if (!doc) return 0;
    const int64_t now = 1772499600000LL; /* 2026-03-03T09:00:00+08:00 */
    /* a recorded case, or a bare snapshot */
    const json_t *pj = json_is_object(json_object_get(doc, "permit")) ? json_object_get(doc, "permit") : doc;
    ws_err rc = pr_permit_from_json(pj, &snap);
    must_name(rc);
    if (!rc) judge(dflt, cal, &snap, now);
    /* a profile */
    pr_profile *pf = NULL;
    rc = pr_profile_parse(doc, &pf);
    must_name(rc);
    if (!rc) {
        memset(&snap, 0, sizeof snap);
        snap.type = PT_HOT_WORK;
        strcpy(snap.grade, "1");
        snap.planned_start_ms = now;
        snap.planned_end_ms = now + 3600000;
        judge(pf, cal, &snap, now);
        pr_profile_free(pf);
    }
    /* a calendar */
    pr_calendar *c = NULL;
    rc = pr_calendar_parse(doc, &c);
    must_name(rc);
    if (!rc) {
        for (int m = 1; m <= 12; m++) {
            bool known = false;
            const char *name = NULL;
            int k = pr_calendar_day(c, 2026, m, 1 + m, &name, &known);
            if (k < 0 || k > 2) abort();
        }
        pr_calendar_free(c);
    }
    json_decref(doc);
    return 0;
}
