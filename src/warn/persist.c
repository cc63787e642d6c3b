/* persist.c — alarm events into the main store (see warn_int.h): each
 * event an alarm_events row, each changed alarm its row once (at its last
 * event among those written, from the snapshot taken with it) and an
 * evidence leaf, in one transaction on the engine's own connection.
 * persist_take moves the queued events out under the engine's mutex;
 * persist_write commits them in ticket order, with or without it; the
 * events of a failed transaction go first into the next.
 *
 * Durability in two steps: a commit reaches the WAL file (it survives
 * kill -9), then store_sync fsyncs it (a power cut). A batch of readings
 * (lazy) is answered after the first: the syncer thread makes the second
 * while the next transaction is written, so a batch's reply does not wait
 * for the disk — its readings themselves are journaled for kill -9, not for
 * a power cut. Every other commit (an operator's action, the timer's, the
 * replay's) is answered after its own sync. Either way each event is
 * fsynced within one sync of its commit:
 *
 *   writer: BEGIN … COMMIT ─┬─ all lazy ─▶ done (replies) ─▶ sync_want++ ─┐
 *                           └─ any other ─▶ store_sync ─▶ done (replies)  │
 *   syncer: waits while sync_done == sync_want ◀──────────────────────────┘
 *           g = sync_want; store_sync; sync_done = g
 *
 * Invariants (under commit_mu): sync_done <= sync_want; a request is made
 * after its commit, and the sync that answers it starts after the request,
 * so it covers the commit; syncer_stop lets no request go unanswered (it
 * waits for a writer under way; later writers sync themselves).
 * t_synced_after_commit (test_warn) checks both ways of answering. */
#include "warn/warn_int.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "store/q_warn.h"

static const char *ev_kind_name(int k)
{
    static const char *const n[AEV_COUNT] = {
        "raise", "repeat", "reactivate", "level_up", "clear", "ack", "shelve", "unshelve",
        "suppress", "unsuppress", "close", "escalate", "chatter_begin", "chatter_end",
        "flood_begin", "flood_end"};
    return k >= 0 && k < AEV_COUNT ? n[k] : "?";
}

static const char *state_name(int st)
{
    static const char *const n[ALARM_ST_COUNT] = {"unack", "acked", "rtn_unack", "rtn_acked",
                                                  "shelved", "oos", "closed"};
    return st >= 0 && st < ALARM_ST_COUNT ? n[st] : "?";
}

static ws_err bind_opt_ms(store_stmt *st, int i, int64_t v) { return store_bind_opt_int(st, i, v); }

/* Write one alarm's row (insert on raise, update otherwise). */
static ws_err write_alarm(store_conn *c, const alarm *a, const pend *p, int64_t acked_by,
                          int64_t closed_by)
{
    store_stmt *st = NULL;
    bool row;
    buf doc = BUF_INIT(1 << 20);
    ws_err rc = alarm_to_text(a, &doc);
    if (rc) return rc;
    const char *ds = doc.data;
    int stt = a->closed ? ALARM_ST_CLOSED : alarm_state_of(a);
    rc = store_prepare(c, Q_ALARM_UPSERT, &st);
    if (!rc) rc = store_bind_int(st, 1, a->id);
    if (!rc) rc = store_bind_int(st, 2, a->rule_id);
    if (!rc) rc = store_bind_int(st, 3, a->source_id);
    if (!rc) rc = store_bind_opt_int(st, 4, p->point_id);
    if (!rc) rc = store_bind_int(st, 5, a->area_id);
    if (!rc) rc = store_bind_int(st, 6, a->level);
    if (!rc) rc = store_bind_text(st, 7, state_name(stt));
    if (!rc) rc = store_bind_int(st, 8, a->closed ? 0 : 1);
    if (!rc) rc = store_bind_text(st, 9, p->title);
    if (!rc) rc = store_bind_opt_double(st, 10, p->value);
    if (!rc) rc = store_bind_int(st, 11, a->count);
    if (!rc) rc = store_bind_int(st, 12, a->raised_ms);
    if (!rc) rc = bind_opt_ms(st, 13, a->acked_ms);
    if (!rc) rc = store_bind_opt_int(st, 14, acked_by);
    if (!rc) rc = bind_opt_ms(st, 15, a->cleared_ms);
    if (!rc) rc = bind_opt_ms(st, 16, a->closed ? a->closed_ms : 0);
    if (!rc) rc = store_bind_opt_int(st, 17, closed_by);
    if (!rc) rc = store_bind_opt_text(st, 18, a->closed ? a->cause : NULL);
    if (!rc) rc = store_bind_opt_text(st, 19, a->closed ? a->action : NULL);
    if (!rc) rc = store_bind_text(st, 20, ds);
    if (!rc) rc = store_bind_int(st, 21, p->src_ms);
    if (!rc) rc = store_step(st, &row);
    store_finalize(st);
    buf_free(&doc);
    return rc;
}

static ws_err write_event(store_conn *c, const pend *p)
{
    const alarm_event *e = &p->ev;
    store_stmt *st = NULL;
    bool row;
    ws_err rc = store_prepare(c, Q_ALARM_EVENT_INSERT, &st);
    if (!rc) rc = store_bind_int(st, 1, e->seq);
    if (!rc) rc = store_bind_int(st, 2, e->alarm_id);
    if (!rc) rc = store_bind_int(st, 3, e->area_id);
    if (!rc) rc = store_bind_int(st, 4, e->at_ms);
    if (!rc) rc = store_bind_text(st, 5, ev_kind_name(e->kind));
    if (!rc) rc = store_bind_int(st, 6, e->level);
    bool flood = e->kind == AEV_FLOOD_BEGIN || e->kind == AEV_FLOOD_END;
    if (!rc) rc = store_bind_opt_text(st, 7, flood ? NULL : state_name(e->from));
    if (!rc) rc = store_bind_opt_text(st, 8, flood ? NULL : state_name(e->to));
    if (!rc) rc = store_bind_opt_int(st, 9, p->person_id);
    if (!rc) rc = store_bind_opt_text(st, 10, e->who[0] ? e->who : NULL);
    if (!rc) rc = store_bind_int(st, 11, e->flood_group);
    if (!rc) rc = store_bind_int(st, 12, e->flood_ms);
    if (!rc) rc = store_step(st, &row);
    store_finalize(st);
    return rc;
}

/* Write events P[0..n) in one fsynced transaction: an alarm_events row
 * each, and for each alarm its row once, at its last event (from the
 * snapshot taken with that event), with an evidence leaf. */
static ws_err write_events(warn *w, const pend *P, int n)
{
    store_conn *c = NULL;
    ws_err rc = store_acquire(w->dur, &c);
    if (rc) return rc;
    if ((rc = store_begin(c))) goto done;
    for (int i = 0; i < n && !rc; i++) {
        const pend *p = &P[i];
        const alarm_event *e = &p->ev;
        if ((rc = write_event(c, p))) break;
        if (e->kind == AEV_FLOOD_BEGIN || e->kind == AEV_FLOOD_END || !p->has_row) continue;
        const alarm *a = &p->row;
        int64_t acked_by = 0, closed_by = 0; /* 0 (NULL): the row keeps the one it has */
        for (int k = 0; k <= i; k++) {
            const pend *q = &P[k];
            if (q->ev.alarm_id != e->alarm_id || !q->person_id) continue;
            if (q->ev.kind == AEV_ACK) acked_by = q->person_id;
            if (q->ev.kind == AEV_CLOSE) closed_by = q->person_id;
        }
        /* title and value: from the raise among these events, else kept */
        pend row = *p;
        for (int k = 0; k <= i; k++) {
            const pend *q = &P[k];
            if (q->ev.alarm_id == e->alarm_id && q->title[0]) {
                snprintf(row.title, sizeof row.title, "%s", q->title);
                row.value = q->value;
            }
        }
        if ((rc = write_alarm(c, a, &row, acked_by, closed_by))) break;
        const audit_actor who = {p->actor};
        rc = audit_record(c, &who, &WARN_ENTITY_ALARM, a->id, ev_kind_name(e->kind), NULL);
    }
    if (!rc) rc = store_commit(c);
done:
    if (rc) store_rollback(c);
    store_release(c);
    return rc;
}

ws_err persist_take(warn *w, const audit_actor *actor, bool lazy, warn_commit *out)
{
    *out = (warn_commit){.lazy = lazy};
    if (!w->npend && !atomic_load(&w->nretry)) return WS_OK;
    /* The live stream first: the fsync takes milliseconds, and the console
     * should not wait for it. The state is the table's already; the reply
     * to the caller (the reading's POST, the acknowledgement) still waits
     * for the commit. */
    if (w->npend && !(out->ev = malloc((size_t)w->npend * sizeof *out->ev)))
        return ws_fail(WS_ENOMEM, NULL, "out of memory for %d alarm events", w->npend);
    const char *name = actor ? actor->name : "system:early-warning";
    for (int i = 0; i < w->npend; i++) {
        pend *p = &w->pend[i];
        if (!p->published) warn_publish(w, p), p->published = true;
        page_queue(w, p);
        snprintf(p->actor, sizeof p->actor, "%s", name);
        const alarm_event *e = &p->ev;
        bool later = false; /* the row goes with the alarm's last event here */
        for (int k = i + 1; k < w->npend && !later; k++) later = w->pend[k].ev.alarm_id == e->alarm_id;
        if (later || e->kind == AEV_FLOOD_BEGIN || e->kind == AEV_FLOOD_END) continue;
        if (e->kind == AEV_CLOSE) p->has_row = true; /* row: as it left the table (set by operate) */
        else {
            const alarm *a = alarm_table_get(w->alarms, e->rule_id, e->source_id);
            if (a) p->row = *a, p->has_row = true;
        }
    }
    if (w->npend) {
        memcpy(out->ev, w->pend, (size_t)w->npend * sizeof *out->ev);
        out->n = w->npend;
        w->npend = 0;
    }
    out->ticket = ++w->ticket_next;
    pthread_mutex_lock(&w->commit_mu); /* queued in ticket order: tickets are handed out under mu */
    if (w->cq_tail) w->cq_tail->next = out;
    else w->cq_head = out;
    w->cq_tail = out;
    pthread_mutex_unlock(&w->commit_mu);
    return WS_OK;
}

/* Write c, and with it every commit queued by then: the first caller to
 * find no writer at work takes the whole queue (its own commit, those of
 * batches that were applied during the last write, and any before its own
 * whose owners have not come to write yet) into one transaction, after the
 * events of a failed one; the others wait until theirs is done. So
 * commits stay in ticket order and concurrent batches share one
 * transaction and one fsync: the writer's own when a commit in it is not
 * lazy (or no syncer runs), else the syncer's, asked for as the writer
 * finishes. */
ws_err persist_write(warn *w, warn_commit *c)
{
    if (!c->ticket) return WS_OK;
    pthread_mutex_lock(&w->commit_mu);
    while (!c->done && w->writing) pthread_cond_wait(&w->commit_cv, &w->commit_mu);
    bool wrote = !c->done;
    if (wrote) {
        warn_commit *list = w->cq_head; /* c is among them: it was queued, and is not done */
        w->cq_head = w->cq_tail = NULL;
        w->writing = true;
        bool syncer = w->syncer_on;
        int nr = atomic_load(&w->nretry), total = nr;
        for (warn_commit *x = list; x; x = x->next) total += x->n;
        pthread_mutex_unlock(&w->commit_mu);
        /* retry, stage and writing are this writer's alone until writing is false */
        ws_err rc = WS_OK;
        if ((size_t)total > w->stage_cap) { /* kept between writes: an outage retries often */
            size_t cap = (size_t)total > 2 * w->stage_cap ? (size_t)total : 2 * w->stage_cap;
            pend *g = realloc(w->stage, cap * sizeof *g);
            if (g) w->stage = g, w->stage_cap = cap;
            else rc = ws_fail(WS_ENOMEM, NULL, "out of memory for %d alarm events", total);
        }
        pend *all = w->stage;
        bool gathered = !rc; /* all[0..total): the retry queue, then the commits' events */
        if (gathered) {
            int k = nr;
            if (nr) memcpy(all, w->retry, (size_t)nr * sizeof *all);
            for (warn_commit *x = list; x; x = x->next)
                if (x->n) memcpy(all + k, x->ev, (size_t)x->n * sizeof *all), k += x->n;
        }
        if (!rc && total) rc = write_events(w, all, total);
        if (!rc) {
            atomic_store(&w->nretry, 0);
            atomic_fetch_add(&w->n_alarm_events, (uint64_t)total);
        } else if (gathered) {
            log_warn("alarm events not persisted; retried at the next change", "detail", ws_err_message());
            /* kept for the next write, the newest PEND_MAX: past it the oldest go */
            int keep = total > PEND_MAX ? PEND_MAX : total;
            if (keep < total)
                log_warn("alarm event retry queue full; the oldest events are not persisted", "alarm", "");
            memcpy(w->retry, all + (total - keep), (size_t)keep * sizeof *w->retry);
            atomic_store(&w->nretry, keep);
        } else { /* no room to gather them: keep what was waiting, and the newest of these */
            log_warn("alarm events not persisted; retried at the next change", "detail", ws_err_message());
            for (warn_commit *x = list; x; x = x->next) {
                int add = x->n > PEND_MAX ? PEND_MAX : x->n, drop = nr + add > PEND_MAX ? nr + add - PEND_MAX : 0;
                if (drop) memmove(w->retry, w->retry + drop, (size_t)(nr - drop) * sizeof *w->retry), nr -= drop;
                if (add) memcpy(w->retry + nr, x->ev + (x->n - add), (size_t)add * sizeof *w->retry);
                nr += add;
            }
            atomic_store(&w->nretry, nr);
        }
        /* synced now when a commit waits for it (or no syncer runs), else
         * by the syncer; the events are committed either way (no retry) */
        ws_err src = WS_OK;
        bool now = !syncer, ask = false;
        if (!rc && total && w->syncs) {
            for (warn_commit *x = list; x && !now; x = x->next) now = !x->lazy;
            if (now && (src = store_sync(w->dur))) {
                atomic_fetch_add(&w->n_sync_failed, 1);
                log_warn("alarm events committed but not synced to the disk", "detail", ws_err_message());
            } else if (now) atomic_fetch_add(&w->n_syncs, 1);
            ask = !now;
        }
        pthread_mutex_lock(&w->commit_mu);
        for (warn_commit *x = list, *nx; x; x = nx) {
            nx = x->next; /* read before done: its owner may return at once */
            x->rc = rc ? rc : x->lazy ? WS_OK : src;
            x->done = true;
        }
        if (ask) {
            w->sync_want++;
            pthread_cond_signal(&w->sync_cv);
        }
        w->writing = false;
        pthread_cond_broadcast(&w->commit_cv);
    }
    ws_err rc = c->rc;
    pthread_mutex_unlock(&w->commit_mu);
    free(c->ev);
    *c = (warn_commit){0};
    if (rc && !wrote) ws_fail(rc, NULL, "alarm events not persisted or not synced (written with another batch's)");
    return rc;
}

ws_err persist_unlock(warn *w, const audit_actor *actor)
{
    warn_commit c;
    ws_err rc = persist_take(w, actor, false, &c); /* on failure nothing is queued */
    pthread_mutex_unlock(&w->mu);
    return rc ? rc : persist_write(w, &c);
}

ws_err persist(warn *w, const audit_actor *actor)
{
    warn_commit c;
    ws_err rc = persist_take(w, actor, false, &c);
    return rc ? rc : persist_write(w, &c);
}

/* The syncer: one store_sync for every request made while the last ran.
 * A failure is counted (/metrics) and logged at most once a minute; the
 * next sync covers the same writes again. */
static void *syncer_main(void *arg)
{
    warn *w = arg;
    int64_t logged = 0;
    pthread_mutex_lock(&w->commit_mu);
    for (;;) {
        while (w->sync_done == w->sync_want && !w->sync_stop) pthread_cond_wait(&w->sync_cv, &w->commit_mu);
        if (w->sync_done == w->sync_want) break; /* stopped, nothing left to sync */
        uint64_t g = w->sync_want;
        pthread_mutex_unlock(&w->commit_mu);
        if (!store_sync(w->dur)) atomic_fetch_add(&w->n_syncs, 1);
        else {
            atomic_fetch_add(&w->n_sync_failed, 1);
            int64_t now = clock_now_ms();
            if (now - logged >= 60000) {
                log_warn("alarm events committed but not synced to the disk (first of this minute)", "detail",
                         ws_err_message());
                logged = now;
            }
        }
        pthread_mutex_lock(&w->commit_mu);
        w->sync_done = g;
    }
    pthread_mutex_unlock(&w->commit_mu);
    return NULL;
}

ws_err syncer_start(warn *w)
{
    if (pthread_create(&w->syncer, NULL, syncer_main, w))
        return ws_fail(WS_EINTERNAL, NULL, "cannot start the syncer thread");
    pthread_mutex_lock(&w->commit_mu);
    w->syncer_on = true;
    pthread_mutex_unlock(&w->commit_mu);
    return WS_OK;
}

void syncer_stop(warn *w)
{
    pthread_mutex_lock(&w->commit_mu);
    bool on = w->syncer_on;
    w->syncer_on = false; /* writers from now on sync themselves; */
    while (w->writing) pthread_cond_wait(&w->commit_cv, &w->commit_mu); /* one under way may still ask */
    w->sync_stop = true;
    pthread_cond_signal(&w->sync_cv);
    pthread_mutex_unlock(&w->commit_mu);
    if (on) pthread_join(w->syncer, NULL);
}
