/* demo_sim.c — the demo plant's live detectors: while `worksafe demo` runs,
 * every 5 s each point of the demo sends a reading through the engine, as a
 * gas detection system would, continuing the daily patterns of the demo's
 * week of history (hazard_demo_value). So trends move, the live streams
 * carry values, and the leak at the loading arm (GT-301, seeded as a 紧急
 * alarm by warn_demo_seed) and the methanol at the pump house (AT-201) stay
 * in progress for the demo's first half hour, then ease. The analyser
 * AI-201 sends one sample every 15 minutes.
 * GT-101 is left alone for the visitor's own readings (and the browser
 * test's): POST /api/v1/ingest "GT-101 30" raises its 报警. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "core/clock.h"
#include "core/log.h"
#include "hazard/hazard.h"
#include "telemetry/point.h"
#include "warn/warn.h"

#define SIM_PERIOD_S 5
#define SIM_MAX 256

struct cli_demo_sim {
    warn *w;
    point *pts;
    size_t n;
    uint64_t st[SIM_MAX];
    int64_t sampled[SIM_MAX]; /* the minute of a slow point's last sample (hazard_demo_period_min) */
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop;
};

/* The seeded leaks go on for the first half hour of the demo, then ease. */
static double held(const char *tag, int64_t since_start_s)
{
    if (!strcmp(tag, "GT-301")) return since_start_s < 1800 ? 52 + (double)(since_start_s % 7) : -1;
    if (!strcmp(tag, "AT-201")) return since_start_s < 1800 ? 29 + (double)(since_start_s % 5) * 0.4 : -1;
    return -1;
}

static void *sim_main(void *arg)
{
    cli_demo_sim *s = arg;
    ws_reading *r = calloc(s->n ? s->n : 1, sizeof *r);
    int64_t start = clock_now_ms();
    pthread_mutex_lock(&s->mu);
    while (!s->stop && r) {
        pthread_mutex_unlock(&s->mu);
        int64_t now = clock_now_ms();
        size_t k = 0;
        for (size_t i = 0; i < s->n; i++) {
            const point *p = &s->pts[i];
            if (!strcmp(p->tag, "GT-101")) continue;
            int64_t minute = now / 60000, period = hazard_demo_period_min(p);
            if (period > 1 && (minute % period || s->sampled[i] == minute)) continue;
            s->sampled[i] = minute;
            double v = held(p->tag, (now - start) / 1000);
            if (v < 0) v = hazard_demo_value(p, now, &s->st[i]);
            snprintf(r[k].tag, sizeof r[k].tag, "%s", p->tag);
            r[k].source_ms = now;
            r[k].value = v;
            r[k].quality = 0;
            k++;
        }
        if (k && warn_ingest(s->w, WARN_SRC_HTTP, r, k, NULL))
            log_warn("demo simulator: readings refused", "detail", ws_err_message());
        pthread_mutex_lock(&s->mu);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += SIM_PERIOD_S;
        if (!s->stop) pthread_cond_timedwait(&s->cv, &s->mu, &ts);
    }
    pthread_mutex_unlock(&s->mu);
    free(r);
    return NULL;
}

ws_err cli_demo_sim_start(store *db, warn *w, cli_demo_sim **out)
{
    *out = NULL;
    cli_demo_sim *s = calloc(1, sizeof *s);
    if (!s) return WS_ENOMEM;
    s->w = w;
    store_conn *c = NULL;
    int64_t next = 0;
    point_filter f = {.scope_path = "/", .active = 1, .limit = 200};
    ws_err rc = store_acquire(db, &c);
    if (!rc) rc = point_list(c, &f, &s->pts, &s->n, &next);
    if (c) store_release(c);
    if (!rc && s->n > SIM_MAX) s->n = SIM_MAX;
    for (size_t i = 0; !rc && i < s->n; i++) s->st[i] = (uint64_t)s->pts[i].id * 104729u;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    if (!rc && pthread_create(&s->th, NULL, sim_main, s)) rc = WS_EINTERNAL;
    if (rc) {
        free(s->pts);
        free(s);
        return rc;
    }
    *out = s;
    return WS_OK;
}

void cli_demo_sim_stop(cli_demo_sim *s)
{
    if (!s) return;
    pthread_mutex_lock(&s->mu);
    s->stop = true;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->th, NULL);
    free(s->pts);
    free(s);
}
