/* fuzz_rule.c — libFuzzer target for the alarm rule-set decoder
 * (alarm/rule_json.c: rule_set_parse), which reads rule sets posted by
 * admins and stored versions read back from the database.
 *
 * Every input must end in WS_OK or WS_EINVAL with a field named, never read
 * outside the buffer (a malloc'd copy of the input's exact size). A set that
 * parses is serialised canonically; the canonical text must parse again to
 * the same fingerprint and serialise to the same text. Then an engine with
 * small tables runs a few readings, ticks, a context fact and count events
 * derived from the input, and its state must export and import.
 *   make build/fuzz/fuzz_rule && build/fuzz/fuzz_rule -max_total_time=20 tests/fuzz/seeds-rule */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alarm/rule.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static rule_set s1, s2;
static rule_event ev[RULE_READING_EVENTS];

static void run_engine(const uint8_t *data, size_t size)
{
    rule_engine_config c = {8, 64, 4, 4, 4, 8};
    rule_engine *e = NULL;
    if (rule_engine_init(&s1, &c, &e)) return;
    static const char *const kinds[] = {"combustible", "toxic", "oxygen", "temperature"};
    static const char *const tags[] = {"GT-101", "GT-102", "TT-1", "AT-O2-1"};
    int n = 0;
    int64_t t = 1764300000000LL;
    for (size_t i = 0; i < size && i < 256; i++) {
        uint8_t b = data[i];
        int k = b & 3;
        rule_point p = {k + 1, 9, (b & 4) ? 77 : 0, "/1/4/9/", kinds[k], tags[k], k == 3 ? NAN : 1.0};
        t += (b >> 3) * 7000;
        if ((b & 0xc0) == 0xc0) {
            rule_on_tick(e, t, ev, RULE_READING_EVENTS, &n);
        } else if ((b & 0xf0) == 0x80) {
            rule_on_context(e, (b & 1) ? 4 : 9, "hot_work_active", b & 2, 0, t, ev,
                            RULE_READING_EVENTS, &n);
        } else if ((b & 0xf0) == 0x90) {
            rule_on_fact_event(e, "equipment_fault:E1", 1 + (b & 1), 9, t, ev, RULE_READING_EVENTS, &n);
        } else {
            rule_on_reading(e, &p, t - (b & 1) * 60000, (double)(b % 40), (b & 8) ? 2 : 0, ev,
                            RULE_READING_EVENTS, &n);
        }
        for (int j = 0; j < n; j++)
            if (ev[j].kind < RULE_EV_RAISE || ev[j].kind > RULE_EV_ACTION) abort();
    }
    size_t len = rule_state_size(e), got = 0;
    void *blob = malloc(len);
    rule_engine *e2 = NULL;
    if (blob && !rule_state_export(e, blob, len, &got) && !rule_engine_init(&s1, &c, &e2)) {
        if (rule_state_import(e2, blob, got) != WS_OK) abort();
    }
    rule_engine_free(e2);
    free(blob);
    rule_engine_free(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy = malloc(size ? size : 1);
    if (!copy) return 0;
    if (size) memcpy(copy, data, size);
    ws_err rc = rule_set_parse(copy, size, &s1);
    free(copy);
    if (rc != WS_OK) {
        if (rc != WS_EINVAL || !ws_err_field()[0]) abort();
        return 0;
    }
    char *t1 = rule_set_to_json(&s1);
    if (!t1) return 0;
    if (rule_set_parse(t1, strlen(t1), &s2) != WS_OK) abort();
    char *t2 = rule_set_to_json(&s2);
    if (!t2 || strcmp(t1, t2) || s1.fingerprint != s2.fingerprint) abort();
    free(t1);
    free(t2);
    run_engine(data, size);
    return 0;
}
