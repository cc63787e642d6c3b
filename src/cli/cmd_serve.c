/* cmd_serve.c — `worksafe serve` and `worksafe demo`.
 *
 * serve: lock the data directory, open the store (refusing a newer schema,
 * backing up then migrating an older one), start the modules and the HTTP
 * listeners, then wait for SIGTERM/SIGINT. A signed checkpoint is made every
 * minute when the log has grown, and once more at shutdown. Shutdown stops
 * accepting, lets requests in flight finish (each commits or rolls back as a
 * whole), then closes the store: no committed write is lost. */
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api/api.h"
#include "audit/audit.h"
#include "cli/cli.h"
#include "core/clock.h"
#include "core/log.h"
#include "hazard/hazard.h"
#include "telemetry/series.h"
#include "hazard/inspection.h"
#include "patrol/patrol.h"
#include "http/http.h"
#include "permit/permit.h"
#include "taskforce/taskforce.h"
#include "duty/duty.h"
#include "dynrisk/dynrisk.h"
#include "handover/handover.h"
#include "voice/voice.h"
#include "warn/warn.h"

ws_err cli_open_for_serve(const cli_opts *o, int pool, store **out)
{
    store *db = NULL;
    store_conn *c = NULL;
    ws_err rc = cli_open_store(o, pool, &db);
    if (rc) return rc;
    int v = 0;
    if ((rc = store_acquire(db, &c)) || (rc = store_schema_version(c, &v))) goto fail;
    if (v == 0) {
        fprintf(stderr, "the database is empty: run `worksafe init --data %s` first\n", o->data);
        rc = WS_ENOTFOUND;
        goto fail;
    }
    if (v > store_schema_latest()) {
        fprintf(stderr, "the database has schema version %d, newer than this worksafe (%d): "
                        "refusing to start; install the newer worksafe\n", v, store_schema_latest());
        rc = WS_ESCHEMA;
        goto fail;
    }
    if (v < store_schema_latest()) {
        char dest[CLI_PATH_MAX + 128], ts[40];
        clock_format_rfc3339(clock_now_ms(), ts, sizeof ts);
        for (char *p = ts; *p; p++) if (*p == ':') *p = '-';
        snprintf(dest, sizeof dest, "%s/backups/pre-migrate-v%d-%s.%s", o->data, v, ts,
                 store_backend(db) == STORE_SQLITE ? "db" : "pgdump");
        store_release(c);
        c = NULL;
        if ((rc = store_backup(db, dest))) {
            fprintf(stderr, "cannot back up before migrating: %s\n", ws_err_message());
            goto fail;
        }
        log_info("schema backup taken before migration", "path", dest);
        if ((rc = store_acquire(db, &c)) || (rc = store_migrate(c))) {
            fprintf(stderr, "migration failed: %s\n", ws_err_message());
            goto fail;
        }
        char from[16], to[16];
        snprintf(from, sizeof from, "%d", v);
        snprintf(to, sizeof to, "%d", store_schema_latest());
        log_info("schema migrated", "from", from, "to", to);
    }
    store_release(c);
    *out = db;
    return WS_OK;
fail:
    if (c) store_release(c);
    store_close(db);
    return rc;
}

/* The deadline timer: SLA escalations of every workflow instance and overdue
 * hidden dangers (hazard_tick), one pass per period. */
static series *readings; /* the series store, flushed by the timer */
static warn *live;       /* the early-warning engine (the risk index reads its points) */

static void timer_tick(store *db)
{
    int sealed = 0;
    if (readings && series_flush(readings, clock_now_ms(), &sealed))
        log_warn("series flush failed", "detail", ws_err_message());
    store_conn *c = NULL;
    int esc = 0, marked = 0;
    if (store_acquire(db, &c)) return;
    if (hazard_tick(c, clock_now_ms(), &esc, &marked))
        log_warn("deadline timer failed", "detail", ws_err_message());
    else if (esc || marked) {
        char e[16], m[16];
        snprintf(e, sizeof e, "%d", esc);
        snprintf(m, sizeof m, "%d", marked);
        log_info("deadline timer", "escalated", e, "overdue", m);
    }
    if (inspection_tick(c, clock_now_ms(), NULL, NULL)) log_warn("inspection timer failed", "detail", ws_err_message());
    if (duty_tick(c, clock_now_ms(), NULL, NULL)) log_warn("duty timer failed", "detail", ws_err_message());
    if (patrol_tick(c, clock_now_ms(), NULL, NULL)) log_warn("patrol timer failed", "detail", ws_err_message());
    /* issue 6: anonymous reports past their reply deadline escalate */
    if (voice_tick(c, clock_now_ms(), NULL)) log_warn("anonymous-report timer failed", "detail", ws_err_message());
    /* issue 7: the risk index of every area into its history, profiles learnt */
    if (dynrisk_tick(c, live, clock_now_ms(), NULL)) log_warn("risk index timer failed", "detail", ws_err_message());
    /* a shift handover nobody has taken for 30 minutes pages the duty roster */
    if (handover_tick(c, live, clock_now_ms(), NULL)) log_warn("handover timer failed", "detail", ws_err_message());
    store_release(c);
}

/* Task forces form within seconds of their cause (a 重大 hazard, a 紧急
 * alarm, a serious incident): a small thread looks every 5 s. */
typedef struct tf_timer {
    store *db;
    pthread_t thread;
    bool on;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop;
} tf_timer;

static void *tf_thread(void *arg)
{
    tf_timer *t = arg;
    pthread_mutex_lock(&t->mu);
    while (!t->stop) {
        pthread_mutex_unlock(&t->mu);
        store_conn *c = NULL;
        if (!store_acquire(t->db, &c)) {
            int formed = 0;
            if (taskforce_tick(c, clock_now_ms(), &formed)) log_warn("task force timer failed", "detail", ws_err_message());
            store_release(c);
        }
        pthread_mutex_lock(&t->mu);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 5;
        if (!t->stop) pthread_cond_timedwait(&t->cv, &t->mu, &ts);
    }
    pthread_mutex_unlock(&t->mu);
    return NULL;
}

static void tf_timer_start(tf_timer *t, store *db)
{
    memset(t, 0, sizeof *t);
    t->db = db;
    pthread_mutex_init(&t->mu, NULL);
    pthread_cond_init(&t->cv, NULL);
    t->on = pthread_create(&t->thread, NULL, tf_thread, t) == 0;
}

/* Run a pass now instead of at the end of the 5 s wait (SIGUSR1). */
static void tf_timer_wake(tf_timer *t)
{
    if (!t->on) return;
    pthread_mutex_lock(&t->mu);
    pthread_cond_signal(&t->cv);
    pthread_mutex_unlock(&t->mu);
}

static void tf_timer_stop(tf_timer *t)
{
    if (!t->on) return;
    pthread_mutex_lock(&t->mu);
    t->stop = true;
    pthread_cond_signal(&t->cv);
    pthread_mutex_unlock(&t->mu);
    pthread_join(t->thread, NULL);
    t->on = false;
}

static void checkpoint(store *db)
{
    store_conn *c;
    char *note = NULL;
    if (store_acquire(db, &c)) return;
    if (audit_checkpoint(c, &note)) log_warn("checkpoint failed", "detail", ws_err_message());
    free(note);
    store_release(c);
}

int cli_serve(cli_opts *o)
{
    log_level lv = LOG_INFO;
    if (!strcmp(o->log_level, "debug")) lv = LOG_DEBUG;
    else if (!strcmp(o->log_level, "warn")) lv = LOG_WARN;
    else if (!strcmp(o->log_level, "error")) lv = LOG_ERROR;
    log_set_level(lv);
    /* Ingest requests take buffers of a few MiB (the body, its readings, the
     * journal record). glibc would map each afresh and fault its pages in
     * (about a sixth of the server's CPU under load) and hand freed heap
     * tops back to the kernel; fixed thresholds keep them on the heap, for
     * the next request to reuse. Memory held stays bounded by the peak. */
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
    cli_resolve(o);
    if (!o->listen[0] && !o->listen_tls[0]) snprintf(o->listen, sizeof o->listen, "127.0.0.1:8080");
    int threads = o->threads ? o->threads : (int)sysconf(_SC_NPROCESSORS_ONLN) * 2;
    if (threads < 4) threads = 4;

    /* Signals are taken synchronously by this thread only: block them before
     * any thread starts so every thread inherits the mask. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGUSR1); /* run the deadline timer now (operators, tests) */
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    store *db = NULL;
    store_conn *c = NULL;
    http_server *srv = NULL;
    warn *engine = NULL;
    permit_svc *permits = NULL;
    tf_timer forces = {0};
    cli_integrations *adapters = NULL;
    cli_demo_sim *sim = NULL;
    int code = 1;
    if (cli_lock_data(o) || cli_open_for_serve(o, threads + 2, &db)) return 1;
    if (cli_init_modules(o) || store_acquire(db, &c) || cli_open_audit(o, c)) goto done;
    store_release(c);
    c = NULL;
    char surl[CLI_PATH_MAX + 32];
    if (series_url(cli_db_url(o), o->data, surl, sizeof surl) || series_open(surl, NULL, &readings)) {
        fprintf(stderr, "cannot open the series store: %s\n", ws_err_message());
        goto done;
    }
    char wal_dir[CLI_PATH_MAX + 16];
    snprintf(wal_dir, sizeof wal_dir, "%s/journal", o->data);
    warn_config wc = {.db = db, .db_url = cli_db_url(o), .series = readings, .wal_dir = wal_dir,
                      .public_url = o->public_origin[0] ? o->public_origin : NULL,
                      .retention_days = o->series_retention_days};
    if (warn_open(&wc, &engine)) {
        fprintf(stderr, "cannot start the early-warning engine: %s\n", ws_err_message());
        goto done;
    }
    live = engine;
    permit_config pc = {.db = db, .warn = engine};
    if (permit_open(&pc, &permits)) {
        fprintf(stderr, "cannot start the permit service: %s\n", ws_err_message());
        goto done;
    }
    api_config ac = {.db = db, .max_body = 1 << 20, .session_ttl_ms = 12 * 3600 * 1000LL,
                     .public_origin = o->public_origin[0] ? o->public_origin : NULL,
                     .series = readings, .warn = engine, .permits = permits};
    if (api_init(&ac)) goto done;
    http_config hc = {
        .listen = o->listen[0] ? o->listen : NULL,
        .listen_tls = o->listen_tls[0] ? o->listen_tls : NULL,
        .cert_path = o->cert,
        .key_path = o->key,
        .web_dir = o->web,
        .max_body = 1 << 20,
        .threads = threads,
        .db = db,
    };
    http_metrics_add_source(warn_metrics, engine);
    if (cli_integrations_start(o, db, engine, &adapters)) {
        fprintf(stderr, "integrations.json: %s (field %s)\n", ws_err_message(),
                ws_err_field() ? ws_err_field() : "-");
        goto done;
    }
    if (o->simulate && cli_demo_sim_start(db, engine, &sim))
        log_warn("demo simulator not started", "detail", ws_err_message());
    /* Deadlines that passed while the server was down, and the day's duties
     * and patrols, are settled before the first request: a client never sees
     * the state from before the pass, nor has its reads raced by it. */
    if (o->recurrence_days) hazard_set_recurrence_days(o->recurrence_days);
    checkpoint(db);
    timer_tick(db);
    if (http_start(&hc, &srv)) {
        fprintf(stderr, "cannot start HTTP: %s\n", ws_err_message());
        goto done;
    }
    tf_timer_start(&forces, db);
    log_info("worksafe serving", "http", o->listen[0] ? o->listen : "off", "https",
             o->listen_tls[0] ? o->listen_tls : "off", "data", o->data, "version", WS_VERSION);
    int tick = o->tick_seconds ? o->tick_seconds : 60;
    int64_t last_checkpoint = clock_mono_ms();
    for (;;) {
        struct timespec t = {tick, 0};
        int sig = sigtimedwait(&set, NULL, &t);
        if (sig == SIGTERM || sig == SIGINT) {
            char s[8];
            snprintf(s, sizeof s, "%d", sig);
            log_info("shutting down", "signal", s);
            break;
        }
        timer_tick(db); /* the period passed, or SIGUSR1 / SIGHUP asked for it now */
        if (sig == SIGUSR1) tf_timer_wake(&forces);
        if (clock_mono_ms() - last_checkpoint >= 60000) {
            checkpoint(db); /* every minute; a no-op when the log has not grown */
            last_checkpoint = clock_mono_ms();
        }
    }
    http_stop(srv);
    srv = NULL;
    checkpoint(db);
    code = 0;
    log_info("stopped cleanly");
done:
    if (c) store_release(c);
    if (srv) http_stop(srv);
    cli_demo_sim_stop(sim);
    cli_integrations_stop(adapters); /* no more readings into the engine */
    http_metrics_clear_sources();
    tf_timer_stop(&forces);
    permit_close(permits); /* its timer reads the engine */
    live = NULL;
    warn_close(engine); /* before the series store: it seals what the journal holds */
    if (readings && series_close(readings)) log_warn("series close failed", "detail", ws_err_message());
    readings = NULL;
    audit_close();
    store_close(db);
    return code;
}

int cmd_serve(int argc, char **argv)
{
    cli_opts o;
    cli_defaults(&o);
    if (cli_parse(&o, argc, argv, 2, "serve")) return 2;
    if (o.help) return 0;
    return cli_serve(&o);
}
