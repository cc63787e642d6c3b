/* alarm.c — the alarm lifecycle (interface and conventions in alarm.h).
 *
 * THE STATE MACHINE (ISA-18.2 states; "raise"/"clear" come from the rule
 * engine, the others from people or the timer alarm_due):
 *
 *                 raise (new key)
 *   (normal) ─────────────────────► UNACK ───────── ack ─────────► ACKED
 *      ▲                            │  ▲  ▲                         │  ▲
 *      │                      clear │  │  └── raise (reactivate; ───┼──┘ raise: count+1
 *      │                            ▼  │ raise  acked is reset) ┐   │ clear
 *      │                       RTN_UNACK ──── ack ───► RTN_ACKED ◄┘   ◄┘
 *      │                                                  │ raise → UNACK (reactivate)
 *      │       close {cause, action, person}              │
 *      └──────────── CLOSED (terminal; leaves the table) ◄┘
 *
 *   any open state ── shelve {by, reason, until; 紧急: approver ≠ by} ──► SHELVED
 *   any open state ── suppress {by, reason; 紧急: approver ≠ by} ────────► OOS
 *   SHELVED ── unshelve, or alarm_due at until (exactly) ─┐
 *   OOS ────── unsuppress ────────────────────────────────┴─► active ? UNACK
 *                                                             : RTN_UNACK / RTN_ACKED
 *   raise on an open key never opens a second alarm: count + 1 (REPEAT), or
 *   REACTIVATE from RTN_*; while SHELVED/OOS raise and clear are tracked
 *   (active) without annunciation.
 *
 * Orthogonal to the states:
 *   chattering  more than flap_transitions raise/clear transitions within
 *               flap_window_ms: the alarm stays up (clears are held back,
 *               raises count); it ends flap_window_ms after the last
 *               transition, and a held-back clear is applied then.
 *   escalation  while unacknowledged in normal mode: step k of the alarm's
 *               chain is due at esc_base_ms + chain[k].after_ms (esc_base_ms:
 *               when it became unacknowledged); alarm_due emits one
 *               AEV_ESCALATE per step at its due time. ack, shelve, suppress
 *               stop it; reactivation after an ack or an unshelve of an
 *               active alarm starts it again from step 0.
 *   flood       per area: more than flood_alarms annunciations (a new alarm,
 *               a reactivation, an unshelved active alarm) within
 *               flood_window_ms begin a flood group (AEV_FLOOD_BEGIN); it ends
 *               when fewer remain in the window (AEV_FLOOD_END with its
 *               duration). Alarms in a flood still exist, count and escalate;
 *               they carry the flood group's id.
 *
 * INVARIANTS (alarm_check returns the number of the first one broken; the
 * unit test checks them after each of 10,000 random operations):
 *   1 identity: id, rule_id, source_id > 0; area_id >= 0; level 1..3; count >=
 *     1; 0 < raised_ms <= last_raise_ms.
 *   2 closed ⇔ the handling record is complete (cause, action, person non-blank,
 *     closed_ms > 0); closed ⇒ cleared, acknowledged, normal mode, not chattering.
 *   3 acked ⇔ acked_ms > 0 ⇔ acked_by non-empty; acked_ms >= raised_ms.
 *   4 mode: SHELVED ⇒ by and reason set, shelved_until > mode_ms; OOS ⇒ by and
 *     reason set, no expiry; NORMAL ⇒ no by/reason/approver/expiry; a 紧急
 *     alarm shelved or out of service has an approver other than by.
 *   5 escalation: esc_next_ms = esc_base_ms + chain[esc_step].after_ms when
 *     unacknowledged, open, in normal mode and esc_step < chain.n; else 0;
 *     0 <= esc_step <= chain.n; chain times non-decreasing.
 *   6 chattering ⇔ chatter_ms > 0; chattering ⇒ active; not chattering ⇒
 *     active = raw_active.
 *   7 flap history: 0 <= flap_n <= ALARM_FLAP_MAX, times non-decreasing.
 *   8 (given now) nothing overdue after alarm_due(now): shelve expiry,
 *     escalation and chatter end all later than now.
 *   Table level (tested): one open alarm per (rule, source); count <= capacity.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alarm/alarm.h"
#include "core/bigmem.h"

typedef struct area {
    int64_t id;
    bool used;
    bool in_flood;
    int64_t flood_since, flood_group, flood_ms;
    int32_t floods;
    int32_t ring_n, ring_head; /* circular: the last ring_n annunciation times */
    int64_t ring[ALARM_FLOOD_MAX];
} area;

struct alarm_table {
    alarm_config cfg;
    size_t mask, count;
    alarm *slot;
    uint8_t *used;
    size_t amask, acount;
    area *area;
    size_t nflood; /* areas in_flood: the timer scans skip the area table when 0 */
    int64_t next_id, next_seq, next_group;
    int64_t flood_untracked; /* annunciations not counted: every area slot busy */
};

static const char *const ST_NAMES[ALARM_ST_COUNT] = {"unack",   "acked", "rtn_unack", "rtn_acked",
                                                     "shelved", "oos",   "closed"};
static const char *const EV_NAMES[AEV_COUNT] = {
    "raise",      "repeat",     "reactivate", "level_up",      "clear",       "ack",
    "shelve",     "unshelve",   "suppress",   "unsuppress",    "close",       "escalate",
    "chatter_begin", "chatter_end", "flood_begin", "flood_end"};

const char *alarm_state_name(int st) { return st >= 0 && st < ALARM_ST_COUNT ? ST_NAMES[st] : "?"; }
const char *alarm_ev_name(int k) { return k >= 0 && k < AEV_COUNT ? EV_NAMES[k] : "?"; }

alarm_state alarm_state_of(const alarm *a)
{
    if (a->closed) return ALARM_ST_CLOSED;
    if (a->mode == ALARM_MODE_SHELVED) return ALARM_ST_SHELVED;
    if (a->mode == ALARM_MODE_OOS) return ALARM_ST_OOS;
    if (a->active) return a->acked ? ALARM_ST_ACKED : ALARM_ST_UNACK;
    return a->acked ? ALARM_ST_RTN_ACKED : ALARM_ST_RTN_UNACK;
}

/* ------------------------------------------------------------ config */

static void default_chain(alarm_chain *c)
{
    memset(c, 0, sizeof *c);
    c->n = 3;
    c->step[0].after_ms = 0;
    snprintf(c->step[0].target, sizeof c->step[0].target, "grid_leader");
    c->step[1].after_ms = 5 * 60000;
    snprintf(c->step[1].target, sizeof c->step[1].target, "safety_officer");
    c->step[2].after_ms = 15 * 60000;
    snprintf(c->step[2].target, sizeof c->step[2].target, "manager");
}

void alarm_config_default(alarm_config *c, size_t capacity, size_t areas)
{
    memset(c, 0, sizeof *c);
    c->capacity = capacity;
    c->areas = areas;
    c->flap_transitions = 6;
    c->flap_window_ms = 60000;
    c->flood_alarms = 10;
    c->flood_window_ms = 600000;
    c->shelve_max_ms = 8 * 3600000LL;
    for (int i = 0; i < 4; i++) default_chain(&c->chain[i]);
}

static bool chain_ok(const alarm_chain *c)
{
    if (c->n < 0 || c->n > ALARM_ESC_MAX) return false;
    for (int i = 0; i < c->n; i++) {
        if (c->step[i].after_ms < 0 || c->step[i].after_ms > 366 * 86400000LL) return false;
        if (i > 0 && c->step[i].after_ms < c->step[i - 1].after_ms) return false;
        if (!memchr(c->step[i].target, 0, sizeof c->step[i].target) || !c->step[i].target[0])
            return false;
    }
    return true;
}

static size_t pow2_at_least(size_t n)
{
    size_t p = 16;
    while (p < n) p <<= 1;
    return p;
}

ws_err alarm_table_init(const alarm_config *c, alarm_table **out)
{
    *out = NULL;
    if (c->capacity < 1 || c->capacity > (1u << 24))
        return ws_fail(WS_EINVAL, "capacity", "capacity must be 1..16777216");
    if (c->areas < 1 || c->areas > (1u << 20))
        return ws_fail(WS_EINVAL, "areas", "areas must be 1..1048576");
    if (c->flap_transitions < 1 || c->flap_transitions >= ALARM_FLAP_MAX || c->flap_window_ms < 1)
        return ws_fail(WS_EINVAL, "flap_transitions", "flap_transitions must be 1..%d, window > 0",
                       ALARM_FLAP_MAX - 1);
    if (c->flood_alarms < 1 || c->flood_alarms >= ALARM_FLOOD_MAX || c->flood_window_ms < 1)
        return ws_fail(WS_EINVAL, "flood_alarms", "flood_alarms must be 1..%d, window > 0",
                       ALARM_FLOOD_MAX - 1);
    if (c->shelve_max_ms < 1) return ws_fail(WS_EINVAL, "shelve_max_ms", "shelve_max_ms must be > 0");
    for (int i = 0; i < 4; i++)
        if (!chain_ok(&c->chain[i]))
            return ws_fail(WS_EINVAL, "chain", "escalation chain of level %d is not valid", i);
    alarm_table *t = calloc(1, sizeof *t);
    if (!t) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    t->cfg = *c;
    size_t ns = pow2_at_least(c->capacity * 2), na = pow2_at_least(c->areas * 2);
    t->mask = ns - 1;
    t->amask = na - 1;
    t->slot = bigmem_sparse(ns, sizeof *t->slot); /* mostly empty: pages as used */
    t->used = calloc(ns, 1);
    t->area = calloc(na, sizeof *t->area);
    if (!t->slot || !t->used || !t->area) {
        alarm_table_free(t);
        return ws_fail(WS_ENOMEM, NULL, "out of memory");
    }
    t->next_id = 1;
    t->next_seq = 1;
    t->next_group = 1;
    *out = t;
    return WS_OK;
}

void alarm_table_free(alarm_table *t)
{
    if (!t) return;
    bigmem_sparse_free(t->slot, t->mask + 1, sizeof *t->slot);
    free(t->used);
    free(t->area);
    free(t);
}

size_t alarm_table_count(const alarm_table *t) { return t->count; }
size_t alarm_table_capacity(const alarm_table *t) { return t->cfg.capacity; }

/* ------------------------------------------------------------ hashing */

static inline uint64_t mix(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

static inline size_t home(const alarm_table *t, int64_t rule, int64_t src)
{
    return (size_t)(mix((uint64_t)rule * 0x9e3779b97f4a7c15ULL ^ (uint64_t)src)) & t->mask;
}

/* Slot index of (rule, src), or SIZE_MAX. */
static size_t find(const alarm_table *t, int64_t rule, int64_t src)
{
    for (size_t i = home(t, rule, src);; i = (i + 1) & t->mask) {
        if (!t->used[i]) return SIZE_MAX;
        if (t->slot[i].rule_id == rule && t->slot[i].source_id == src) return i;
    }
}

static size_t insert_slot(alarm_table *t, int64_t rule, int64_t src)
{
    size_t i = home(t, rule, src);
    while (t->used[i]) i = (i + 1) & t->mask;
    t->used[i] = 1;
    t->count++;
    return i;
}

/* Backward-shift delete: no tombstones, probe chains stay short. */
static void delete_slot(alarm_table *t, size_t i)
{
    t->used[i] = 0;
    t->count--;
    size_t j = i;
    for (;;) {
        j = (j + 1) & t->mask;
        if (!t->used[j]) return;
        size_t k = home(t, t->slot[j].rule_id, t->slot[j].source_id);
        bool move = i <= j ? (k <= i || k > j) : (k <= i && k > j);
        if (move) {
            t->slot[i] = t->slot[j];
            t->used[i] = 1;
            t->used[j] = 0;
            i = j;
        }
    }
}

const alarm *alarm_table_get(const alarm_table *t, int64_t rule_id, int64_t source_id)
{
    size_t i = find(t, rule_id, source_id);
    return i == SIZE_MAX ? NULL : &t->slot[i];
}

const alarm *alarm_table_next(const alarm_table *t, size_t *pos)
{
    while (*pos <= t->mask) {
        size_t i = (*pos)++;
        if (t->used[i]) return &t->slot[i];
    }
    return NULL;
}

/* ------------------------------------------------------------ areas */

static inline size_t ahome(const alarm_table *t, int64_t id)
{
    return (size_t)mix((uint64_t)id) & t->amask;
}

static area *area_find(alarm_table *t, int64_t id)
{
    for (size_t i = ahome(t, id);; i = (i + 1) & t->amask) {
        if (!t->area[i].used) return NULL;
        if (t->area[i].id == id) return &t->area[i];
    }
}

static int64_t ring_oldest(const area *ar)
{
    int cap = ALARM_FLOOD_MAX;
    return ar->ring[(ar->ring_head - ar->ring_n + cap * 2) % cap];
}

static void area_delete(alarm_table *t, size_t i)
{
    t->area[i].used = false;
    t->acount--;
    size_t j = i;
    for (;;) {
        j = (j + 1) & t->amask;
        if (!t->area[j].used) return;
        size_t k = ahome(t, t->area[j].id);
        bool move = i <= j ? (k <= i || k > j) : (k <= i && k > j);
        if (move) {
            t->area[i] = t->area[j];
            t->area[j].used = false;
            i = j;
        }
    }
}

/* The area's record, created when missing; when every slot is taken, an
 * idle one (no flood, nothing in the window) is reused. NULL when all are
 * busy (the annunciation is counted in flood_untracked). */
static area *area_get(alarm_table *t, int64_t id, int64_t now)
{
    area *ar = area_find(t, id);
    if (ar) return ar;
    if (t->acount >= t->cfg.areas) {
        size_t victim = SIZE_MAX;
        for (size_t i = 0; i <= t->amask; i++) {
            area *x = &t->area[i];
            if (x->used && !x->in_flood &&
                (x->ring_n == 0 ||
                 x->ring[(x->ring_head + ALARM_FLOOD_MAX - 1) % ALARM_FLOOD_MAX] <=
                     now - t->cfg.flood_window_ms)) {
                victim = i;
                break;
            }
        }
        if (victim == SIZE_MAX) return NULL;
        area_delete(t, victim);
    }
    size_t i = ahome(t, id);
    while (t->area[i].used) i = (i + 1) & t->amask;
    memset(&t->area[i], 0, sizeof t->area[i]);
    t->area[i].used = true;
    t->area[i].id = id;
    t->acount++;
    return &t->area[i];
}

ws_err alarm_area_get(const alarm_table *t, int64_t area_id, alarm_area_stats *out)
{
    area *ar = area_find((alarm_table *)t, area_id);
    if (!ar) return ws_fail(WS_ENOTFOUND, "area_id", "area %lld is not tracked", (long long)area_id);
    out->area_id = ar->id;
    out->in_flood = ar->in_flood;
    out->flood_since = ar->flood_since;
    out->flood_group = ar->flood_group;
    out->flood_ms = ar->flood_ms;
    out->floods = ar->floods;
    return WS_OK;
}

/* ------------------------------------------------------------ events */

static alarm_event *ev_new(alarm_table *t, alarm_event *e, int kind, int64_t at, const alarm *a,
                           int from)
{
    memset(e, 0, sizeof *e);
    e->seq = t->next_seq++;
    e->at_ms = at;
    e->kind = (uint8_t)kind;
    if (a) {
        e->level = a->level;
        e->from = (uint8_t)from;
        e->to = (uint8_t)alarm_state_of(a);
        e->alarm_id = a->id;
        e->rule_id = a->rule_id;
        e->source_id = a->source_id;
        e->area_id = a->area_id;
        e->count = a->count;
        e->esc_step = a->esc_step;
        e->flood_group = a->flood_group;
    }
    return e;
}

static alarm_event *push(alarm_table *t, alarm_events *ev, int kind, int64_t at, const alarm *a,
                         int from)
{
    return ev_new(t, &ev->ev[ev->n++], kind, at, a, from);
}

static void set_who(alarm_event *e, const char *who)
{
    snprintf(e->who, sizeof e->who, "%s", who ? who : "");
}

/* An annunciation in area a->area_id at time at: counts towards a flood. */
static void annunciate(alarm_table *t, alarm *a, int64_t at, alarm_events *ev)
{
    if (a->area_id <= 0) return;
    area *ar = area_get(t, a->area_id, at);
    if (!ar) {
        t->flood_untracked++;
        return;
    }
    ar->ring[ar->ring_head] = at;
    ar->ring_head = (ar->ring_head + 1) % ALARM_FLOOD_MAX;
    int k = t->cfg.flood_alarms + 1;
    if (ar->ring_n < k) ar->ring_n++;
    if (!ar->in_flood && ar->ring_n == k && at - ring_oldest(ar) < t->cfg.flood_window_ms) {
        ar->in_flood = true;
        t->nflood++;
        ar->flood_since = at;
        ar->flood_group = t->next_group++;
        ar->floods++;
        alarm_event *e = push(t, ev, AEV_FLOOD_BEGIN, at, NULL, 0);
        e->area_id = ar->id;
        e->flood_group = ar->flood_group;
    }
    if (ar->in_flood) a->flood_group = ar->flood_group;
}

/* ------------------------------------------------------------ escalation */

static void esc_recompute(alarm *a)
{
    if (!a->closed && !a->acked && a->mode == ALARM_MODE_NORMAL && a->esc_step < a->chain.n)
        a->esc_next_ms = a->esc_base_ms + a->chain.step[a->esc_step].after_ms;
    else
        a->esc_next_ms = 0;
}

static void esc_restart(alarm *a, int64_t at)
{
    a->esc_base_ms = at;
    a->esc_step = 0;
    esc_recompute(a);
}

/* ------------------------------------------------------------ flap */

/* Record a raw transition at now; true when it makes the alarm chatter. */
static bool flap_push(const alarm_table *t, alarm *a, int64_t now)
{
    int k = t->cfg.flap_transitions + 1;
    if (a->flap_n >= k) {
        memmove(a->flap, a->flap + 1, (size_t)(k - 1) * sizeof a->flap[0]);
        a->flap_n = k - 1;
    }
    a->flap[a->flap_n++] = now;
    return !a->chattering && a->flap_n == k && now - a->flap[0] < t->cfg.flap_window_ms;
}

static int64_t chatter_end_at(const alarm_table *t, const alarm *a)
{
    return a->flap_n > 0 ? a->flap[a->flap_n - 1] + t->cfg.flap_window_ms : a->chatter_ms;
}

/* ------------------------------------------------------------ input checks */

static bool blank(const char *s)
{
    if (!s) return true;
    for (; *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r') return false;
    return true;
}

static ws_err put(char *dst, size_t cap, const char *src, const char *field)
{
    if (blank(src)) return ws_fail(WS_EINVAL, field, "%s is required", field);
    size_t n = strlen(src);
    if (n >= cap) return ws_fail(WS_EINVAL, field, "%s is longer than %zu bytes", field, cap - 1);
    memcpy(dst, src, n + 1);
    return WS_OK;
}

static ws_err lookup(alarm_table *t, int64_t rule, int64_t src, alarm **out)
{
    size_t i = find(t, rule, src);
    if (i == SIZE_MAX)
        return ws_fail(WS_ENOTFOUND, "alarm", "no open alarm for rule %lld source %lld",
                       (long long)rule, (long long)src);
    *out = &t->slot[i];
    return WS_OK;
}

/* ------------------------------------------------------------ operations */

/* Bring the first escalation (step 1) forward to respond_ms when that is
 * sooner, and the later steps by as much: a source whose response card says
 * three minutes pages the next level at three, not at the chain's five. The
 * times stay non-decreasing and never later than the chain's. */
static void fit_chain(alarm_chain *c, int64_t respond_ms)
{
    if (respond_ms <= 0 || c->n < 2 || c->step[1].after_ms <= respond_ms) return;
    int64_t to = respond_ms > c->step[0].after_ms ? respond_ms : c->step[0].after_ms;
    int64_t d = c->step[1].after_ms - to;
    for (int i = 1; i < c->n; i++) c->step[i].after_ms -= d;
}

ws_err alarm_raise(alarm_table *t, const alarm_raise_in *in, int64_t now, alarm_events *ev)
{
    ev->n = 0;
    if (in->rule_id <= 0) return ws_fail(WS_EINVAL, "rule_id", "rule_id must be > 0");
    if (in->source_id <= 0) return ws_fail(WS_EINVAL, "source_id", "source_id must be > 0");
    if (in->area_id < 0) return ws_fail(WS_EINVAL, "area_id", "area_id must be >= 0");
    if (in->level < ALARM_LVL_NOTICE || in->level > ALARM_LVL_EMERGENCY)
        return ws_fail(WS_EINVAL, "level", "level must be 1..3");
    if (now <= 0) return ws_fail(WS_EINVAL, "now", "time must be > 0");
    size_t i = find(t, in->rule_id, in->source_id);
    if (i == SIZE_MAX) {
        if (t->count >= t->cfg.capacity)
            return ws_fail(WS_ETOOBIG, "alarm_table", "alarm table full (%zu open alarms)",
                           t->count);
        i = insert_slot(t, in->rule_id, in->source_id);
        alarm *a = &t->slot[i];
        memset(a, 0, sizeof *a);
        a->id = t->next_id++;
        a->rule_id = in->rule_id;
        a->source_id = in->source_id;
        a->area_id = in->area_id;
        a->level = in->level;
        a->active = a->raw_active = true;
        a->count = 1;
        a->raised_ms = a->last_raise_ms = now;
        a->chain = t->cfg.chain[in->level];
        fit_chain(&a->chain, in->respond_ms);
        a->flap[0] = now;
        a->flap_n = 1;
        esc_restart(a, now);
        annunciate(t, a, now, ev);
        push(t, ev, AEV_RAISE, now, a, ALARM_ST_CLOSED);
        return WS_OK;
    }
    alarm *a = &t->slot[i];
    int from = alarm_state_of(a);
    if (now < a->last_raise_ms) now = a->last_raise_ms; /* times never go backwards in an alarm */
    a->count++;
    a->last_raise_ms = now;
    bool up = in->level > a->level;
    if (up) {
        a->level = in->level;
        int step = a->esc_step;
        a->chain = t->cfg.chain[in->level];
        fit_chain(&a->chain, in->respond_ms);
        a->esc_step = step < a->chain.n ? step : a->chain.n;
        esc_recompute(a);
    }
    if (a->raw_active) { /* the same condition reported again */
        push(t, ev, up ? AEV_LEVEL_UP : AEV_REPEAT, now, a, from);
        return WS_OK;
    }
    a->raw_active = true;
    if (flap_push(t, a, now)) {
        a->chattering = true;
        a->chatter_ms = now;
        push(t, ev, AEV_CHATTER_BEGIN, now, a, from);
    }
    if (a->active) { /* held up by chattering */
        push(t, ev, up ? AEV_LEVEL_UP : AEV_REPEAT, now, a, from);
        return WS_OK;
    }
    a->active = true;
    if (a->mode == ALARM_MODE_NORMAL) {
        if (a->acked) {
            a->acked = false;
            a->acked_ms = 0;
            a->acked_by[0] = 0;
            esc_restart(a, now);
        }
        annunciate(t, a, now, ev);
    }
    push(t, ev, AEV_REACTIVATE, now, a, from);
    return WS_OK;
}

static void apply_clear(alarm_table *t, alarm *a, int64_t at, alarm_events *ev)
{
    int from = alarm_state_of(a);
    a->active = false;
    a->cleared_ms = at;
    push(t, ev, AEV_CLEAR, at, a, from);
}

ws_err alarm_clear(alarm_table *t, int64_t rule_id, int64_t source_id, int64_t now,
                   alarm_events *ev)
{
    ev->n = 0;
    alarm *a = NULL;
    ws_err rc = lookup(t, rule_id, source_id, &a);
    if (rc) return rc;
    if (!a->raw_active) return ws_fail(WS_ECONFLICT, "state", "the alarm is already clear");
    if (now < a->last_raise_ms) now = a->last_raise_ms;
    a->raw_active = false;
    if (flap_push(t, a, now)) {
        int from = alarm_state_of(a);
        a->chattering = true;
        a->chatter_ms = now;
        push(t, ev, AEV_CHATTER_BEGIN, now, a, from);
    }
    if (a->chattering) return WS_OK; /* held up until the chatter ends */
    apply_clear(t, a, now, ev);
    return WS_OK;
}

ws_err alarm_ack(alarm_table *t, int64_t rule_id, int64_t source_id, const char *by, int64_t now,
                 alarm_events *ev)
{
    ev->n = 0;
    alarm *a = NULL;
    ws_err rc = lookup(t, rule_id, source_id, &a);
    if (rc) return rc;
    if (a->acked) return ws_fail(WS_ECONFLICT, "state", "the alarm is already acknowledged");
    char who[ALARM_NAME_MAX + 1];
    rc = put(who, sizeof who, by, "by");
    if (rc) return rc;
    int from = alarm_state_of(a);
    a->acked = true;
    a->acked_ms = now > a->raised_ms ? now : a->raised_ms;
    memcpy(a->acked_by, who, sizeof who);
    esc_recompute(a);
    set_who(push(t, ev, AEV_ACK, a->acked_ms, a, from), who);
    return WS_OK;
}

static ws_err set_mode(alarm_table *t, int64_t rule_id, int64_t source_id,
                       const alarm_shelve_in *in, int64_t now, alarm_events *ev, int mode)
{
    ev->n = 0;
    alarm *a = NULL;
    ws_err rc = lookup(t, rule_id, source_id, &a);
    if (rc) return rc;
    if (a->mode != ALARM_MODE_NORMAL)
        return ws_fail(WS_ECONFLICT, "state", "the alarm is %s already",
                       alarm_state_name(alarm_state_of(a)));
    char by[ALARM_NAME_MAX + 1], appr[ALARM_NAME_MAX + 1] = "", reason[ALARM_TEXT_MAX + 1];
    rc = put(by, sizeof by, in->by, "by");
    if (!rc) rc = put(reason, sizeof reason, in->reason, "reason");
    if (rc) return rc;
    if (a->level == ALARM_LVL_EMERGENCY) {
        if (blank(in->approver))
            return ws_fail(WS_EFORBIDDEN, "approver",
                           "a 紧急 (emergency) alarm needs an approver to be %s",
                           mode == ALARM_MODE_SHELVED ? "shelved" : "taken out of service");
        rc = put(appr, sizeof appr, in->approver, "approver");
        if (rc) return rc;
        if (strcmp(appr, by) == 0)
            return ws_fail(WS_EFORBIDDEN, "approver",
                           "the approver must be someone other than %s", by);
    } else if (!blank(in->approver)) {
        rc = put(appr, sizeof appr, in->approver, "approver");
        if (rc) return rc;
    }
    if (now < a->last_raise_ms) now = a->last_raise_ms;
    if (mode == ALARM_MODE_SHELVED) {
        if (in->until_ms <= now)
            return ws_fail(WS_EINVAL, "until", "the shelving must end after now");
        if (in->until_ms - now > t->cfg.shelve_max_ms)
            return ws_fail(WS_EINVAL, "until", "shelving is limited to %lld ms",
                           (long long)t->cfg.shelve_max_ms);
    }
    int from = alarm_state_of(a);
    a->mode = (uint8_t)mode;
    a->mode_ms = now;
    a->shelved_until = mode == ALARM_MODE_SHELVED ? in->until_ms : 0;
    memcpy(a->mode_by, by, sizeof by);
    memcpy(a->mode_approver, appr, sizeof appr);
    memcpy(a->mode_reason, reason, sizeof reason);
    esc_recompute(a);
    set_who(push(t, ev, mode == ALARM_MODE_SHELVED ? AEV_SHELVE : AEV_SUPPRESS, now, a, from), by);
    return WS_OK;
}

ws_err alarm_shelve(alarm_table *t, int64_t rule_id, int64_t source_id,
                    const alarm_shelve_in *in, int64_t now, alarm_events *ev)
{
    return set_mode(t, rule_id, source_id, in, now, ev, ALARM_MODE_SHELVED);
}

ws_err alarm_suppress(alarm_table *t, int64_t rule_id, int64_t source_id,
                      const alarm_shelve_in *in, int64_t now, alarm_events *ev)
{
    return set_mode(t, rule_id, source_id, in, now, ev, ALARM_MODE_OOS);
}

static void back_to_normal(alarm_table *t, alarm *a, int64_t at, const char *by, alarm_events *ev)
{
    int from = alarm_state_of(a);
    int kind = a->mode == ALARM_MODE_SHELVED ? AEV_UNSHELVE : AEV_UNSUPPRESS;
    a->mode = ALARM_MODE_NORMAL;
    a->mode_ms = 0;
    a->shelved_until = 0;
    a->mode_by[0] = a->mode_approver[0] = a->mode_reason[0] = 0;
    if (a->active) { /* re-annunciate */
        a->acked = false;
        a->acked_ms = 0;
        a->acked_by[0] = 0;
        annunciate(t, a, at, ev);
    }
    if (!a->acked) esc_restart(a, at);
    else esc_recompute(a);
    set_who(push(t, ev, kind, at, a, from), by);
}

ws_err alarm_unshelve(alarm_table *t, int64_t rule_id, int64_t source_id, const char *by,
                      int64_t now, alarm_events *ev)
{
    ev->n = 0;
    alarm *a = NULL;
    ws_err rc = lookup(t, rule_id, source_id, &a);
    if (rc) return rc;
    if (a->mode == ALARM_MODE_NORMAL)
        return ws_fail(WS_ECONFLICT, "state", "the alarm is neither shelved nor out of service");
    char who[ALARM_NAME_MAX + 1];
    rc = put(who, sizeof who, by, "by");
    if (rc) return rc;
    if (now < a->mode_ms) now = a->mode_ms;
    back_to_normal(t, a, now, who, ev);
    return WS_OK;
}

ws_err alarm_close(alarm_table *t, int64_t rule_id, int64_t source_id, const alarm_record *rec,
                   int64_t now, alarm *closed_out, alarm_events *ev)
{
    ev->n = 0;
    alarm *a = NULL;
    ws_err rc = lookup(t, rule_id, source_id, &a);
    if (rc) return rc;
    if (a->active || !a->acked || a->mode != ALARM_MODE_NORMAL)
        return ws_fail(WS_ECONFLICT, "state",
                       "only a cleared and acknowledged alarm can be closed (it is %s)",
                       alarm_state_name(alarm_state_of(a)));
    char cause[ALARM_TEXT_MAX + 1], action[ALARM_TEXT_MAX + 1], person[ALARM_NAME_MAX + 1];
    rc = put(cause, sizeof cause, rec ? rec->cause : NULL, "cause");
    if (!rc) rc = put(action, sizeof action, rec ? rec->action : NULL, "action");
    if (!rc) rc = put(person, sizeof person, rec ? rec->person : NULL, "person");
    if (rc) return rc;
    int from = alarm_state_of(a);
    int64_t at = now;
    if (at < a->cleared_ms) at = a->cleared_ms;
    if (at < a->acked_ms) at = a->acked_ms;
    a->closed = true;
    a->closed_ms = at;
    memcpy(a->cause, cause, sizeof cause);
    memcpy(a->action, action, sizeof action);
    memcpy(a->person, person, sizeof person);
    esc_recompute(a);
    set_who(push(t, ev, AEV_CLOSE, at, a, from), person);
    if (closed_out) *closed_out = *a;
    delete_slot(t, (size_t)(a - t->slot));
    return WS_OK;
}

/* ------------------------------------------------------------ timer */

/* The alarm's earliest pending timer and which; INT64_MAX none. */
enum { T_NONE, T_UNSHELVE, T_ESC, T_CHATTER };
static int64_t next_timer(const alarm_table *t, const alarm *a, int *which)
{
    int64_t best = INT64_MAX;
    *which = T_NONE;
    if (a->mode == ALARM_MODE_SHELVED && a->shelved_until < best) {
        best = a->shelved_until;
        *which = T_UNSHELVE;
    }
    if (a->chattering) {
        int64_t c = chatter_end_at(t, a);
        if (c < best) {
            best = c;
            *which = T_CHATTER;
        }
    }
    if (a->esc_next_ms && a->esc_next_ms < best) {
        best = a->esc_next_ms;
        *which = T_ESC;
    }
    return best;
}

/* The first used slot at or after i (mask + 1: none). The timer scans run
 * under the engine's lock every tick over a mostly empty table, so empty
 * stretches are skipped eight slots at a time. */
static size_t next_used(const alarm_table *t, size_t i)
{
    const size_t n = t->mask + 1;
    for (; i < n && (i & 7); i++)
        if (t->used[i]) return i;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, t->used + i, sizeof w);
        if (w) break;
    }
    while (i < n && !t->used[i]) i++;
    return i;
}

int64_t alarm_next_due(const alarm_table *t)
{
    int64_t best = INT64_MAX;
    for (size_t i = next_used(t, 0); i <= t->mask; i = next_used(t, i + 1)) {
        int w;
        int64_t x = next_timer(t, &t->slot[i], &w);
        if (x < best) best = x;
    }
    for (size_t i = 0; t->nflood && i <= t->amask; i++)
        if (t->area[i].used && t->area[i].in_flood) {
            int64_t x = ring_oldest(&t->area[i]) + t->cfg.flood_window_ms;
            if (x < best) best = x;
        }
    return best;
}

ws_err alarm_due(alarm_table *t, int64_t now, alarm_event *out, int cap, int *n)
{
    *n = 0;
    alarm_events buf;
    for (size_t i = 0; t->nflood && i <= t->amask; i++) {
        area *ar = &t->area[i];
        if (!ar->used || !ar->in_flood) continue;
        int64_t end = ring_oldest(ar) + t->cfg.flood_window_ms;
        if (end > now) continue;
        if (*n >= cap) return WS_OK;
        ar->in_flood = false;
        t->nflood--;
        ar->flood_ms += end - ar->flood_since;
        alarm_event *e = ev_new(t, &out[(*n)++], AEV_FLOOD_END, end, NULL, 0);
        e->area_id = ar->id;
        e->flood_group = ar->flood_group;
        e->flood_ms = end - ar->flood_since;
    }
    for (size_t i = next_used(t, 0); i <= t->mask; i = next_used(t, i + 1)) {
        alarm *a = &t->slot[i];
        for (;;) {
            int which;
            int64_t at = next_timer(t, a, &which);
            if (which == T_NONE || at > now) break;
            if (*n + ALARM_EVBUF > cap) return WS_OK; /* the rest stays due */
            buf.n = 0;
            if (which == T_UNSHELVE) {
                back_to_normal(t, a, at, "expiry", &buf);
            } else if (which == T_CHATTER) {
                int from = alarm_state_of(a);
                a->chattering = false;
                a->chatter_ms = 0;
                push(t, &buf, AEV_CHATTER_END, at, a, from);
                if (a->active && !a->raw_active) apply_clear(t, a, at, &buf);
            } else {
                int from = alarm_state_of(a);
                int step = a->esc_step;
                a->esc_step++;
                esc_recompute(a);
                alarm_event *e = push(t, &buf, AEV_ESCALATE, at, a, from);
                e->esc_step = step;
                set_who(e, a->chain.step[step].target);
            }
            for (int k = 0; k < buf.n; k++) out[(*n)++] = buf.ev[k];
        }
    }
    return WS_OK;
}

/* ------------------------------------------------------------ restore */

ws_err alarm_table_restore(alarm_table *t, const alarm *a)
{
    if (a->closed) return ws_fail(WS_EINVAL, "closed", "a closed alarm is not restored");
    if (alarm_check(a, 0)) return ws_fail(WS_EINVAL, "alarm", "%s", ws_err_message());
    if (find(t, a->rule_id, a->source_id) != SIZE_MAX)
        return ws_fail(WS_ECONFLICT, "alarm", "rule %lld source %lld is open already",
                       (long long)a->rule_id, (long long)a->source_id);
    if (t->count >= t->cfg.capacity)
        return ws_fail(WS_ETOOBIG, "alarm_table", "alarm table full (%zu open alarms)", t->count);
    size_t i = insert_slot(t, a->rule_id, a->source_id);
    t->slot[i] = *a;
    if (a->id >= t->next_id) t->next_id = a->id + 1;
    if (a->flood_group >= t->next_group) t->next_group = a->flood_group + 1;
    return WS_OK;
}

/* ------------------------------------------------------------ invariants */

static bool str_ok(const char *s, size_t cap) { return memchr(s, 0, cap) != NULL; }

#define BROKEN(k, ...) return (ws_fail(WS_EINTERNAL, "invariant", __VA_ARGS__), (k))

int alarm_check(const alarm *a, int64_t now)
{
    if (a->id <= 0 || a->rule_id <= 0 || a->source_id <= 0 || a->area_id < 0 ||
        a->level < ALARM_LVL_NOTICE || a->level > ALARM_LVL_EMERGENCY || a->count < 1 ||
        a->raised_ms <= 0 || a->last_raise_ms < a->raised_ms || a->mode > ALARM_MODE_OOS)
        BROKEN(1, "1: identity, level, count or raise times out of range");
    if (!str_ok(a->acked_by, sizeof a->acked_by) || !str_ok(a->mode_by, sizeof a->mode_by) ||
        !str_ok(a->mode_approver, sizeof a->mode_approver) ||
        !str_ok(a->mode_reason, sizeof a->mode_reason) || !str_ok(a->cause, sizeof a->cause) ||
        !str_ok(a->action, sizeof a->action) || !str_ok(a->person, sizeof a->person))
        BROKEN(1, "1: unterminated string");
    bool record = !blank(a->cause) && !blank(a->action) && !blank(a->person) && a->closed_ms > 0;
    bool no_record = !a->cause[0] && !a->action[0] && !a->person[0] && a->closed_ms == 0;
    if (a->closed ? !record : !no_record)
        BROKEN(2, "2: closed must go with a complete handling record");
    if (a->closed && (a->active || a->raw_active || !a->acked || a->mode != ALARM_MODE_NORMAL ||
                      a->chattering || a->closed_ms < a->acked_ms || a->closed_ms < a->cleared_ms))
        BROKEN(2, "2: closed while active, unacknowledged, shelved or chattering");
    if (a->acked != (a->acked_ms > 0) || a->acked != (a->acked_by[0] != 0) ||
        (a->acked && a->acked_ms < a->raised_ms))
        BROKEN(3, "3: acknowledgement fields disagree");
    bool by = a->mode_by[0] && a->mode_reason[0];
    switch (a->mode) {
    case ALARM_MODE_SHELVED:
        if (!by || a->shelved_until <= a->mode_ms) BROKEN(4, "4: shelved without by/reason/expiry");
        break;
    case ALARM_MODE_OOS:
        if (!by || a->shelved_until != 0) BROKEN(4, "4: out of service without by/reason");
        break;
    default:
        if (a->mode_by[0] || a->mode_reason[0] || a->mode_approver[0] || a->shelved_until ||
            a->mode_ms)
            BROKEN(4, "4: normal mode with shelving fields set");
    }
    if (a->mode != ALARM_MODE_NORMAL && a->level == ALARM_LVL_EMERGENCY &&
        (!a->mode_approver[0] || strcmp(a->mode_approver, a->mode_by) == 0))
        BROKEN(4, "4: 紧急 shelved or out of service without a different approver");
    if (a->chain.n < 0 || a->chain.n > ALARM_ESC_MAX || !chain_ok(&a->chain) || a->esc_step < 0 ||
        a->esc_step > a->chain.n)
        BROKEN(5, "5: escalation chain or step out of range");
    int64_t want = (!a->closed && !a->acked && a->mode == ALARM_MODE_NORMAL &&
                    a->esc_step < a->chain.n)
                       ? a->esc_base_ms + a->chain.step[a->esc_step].after_ms
                       : 0;
    if (a->esc_next_ms != want) BROKEN(5, "5: esc_next_ms %lld, expected %lld",
                                       (long long)a->esc_next_ms, (long long)want);
    if (a->chattering != (a->chatter_ms > 0) || (a->chattering && !a->active) ||
        (!a->chattering && a->active != a->raw_active))
        BROKEN(6, "6: chattering fields disagree");
    if (a->flap_n < 0 || a->flap_n > ALARM_FLAP_MAX) BROKEN(7, "7: flap history size");
    for (int i = 1; i < a->flap_n; i++)
        if (a->flap[i] < a->flap[i - 1]) BROKEN(7, "7: flap history out of order");
    if (now > 0) {
        if (a->mode == ALARM_MODE_SHELVED && a->shelved_until <= now)
            BROKEN(8, "8: shelving expired but not ended");
        if (a->esc_next_ms && a->esc_next_ms <= now) BROKEN(8, "8: escalation overdue");
    }
    return 0;
}

void alarm_table_set_counters(alarm_table *t, int64_t next_id, int64_t next_seq)
{
    if (next_id > t->next_id) t->next_id = next_id;
    if (next_seq > t->next_seq) t->next_seq = next_seq;
}
