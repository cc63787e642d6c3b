/* person.c — people, the posts they hold, and their transfers.
 *
 * A person belongs to a unit inside an enterprise; department and posts must
 * be of the same enterprise. People are never deleted:
 *
 *   create ──► active ──deactivate (left_at, transfer row to no unit)──► left
 *               │  ▲
 *               └──┘ update; transfer (unit/department, transfer row)
 *
 *   left ──erase (personal data anonymised, versions purged)──► left, erased
 *
 * Every write appends leaves: the person ("create", "update", "transfer",
 * "deactivate", "purge"), each person_posts row added ("create") or removed
 * ("delete"), each person_transfers row ("create", "purge"). Deactivation
 * also deactivates the person's accounts (auth), erasure erases them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "org/org_int.h"
#include "store/q_org.h"

bool org_phone_valid(const char *phone)
{
    if (!phone || !*phone) return true;
    size_t n = strlen(phone);
    if (n < 5 || n > ORG_PHONE_MAX) return false;
    bool digit = false;
    for (size_t i = 0; i < n; i++) {
        char ch = phone[i];
        if (ch >= '0' && ch <= '9') digit = true;
        else if (ch != '+' && ch != '-' && ch != ' ') return false;
    }
    return digit;
}

ws_err org_check_empno(const char *s)
{
    if (!s || !*s) return WS_OK;
    size_t n = strlen(s);
    if (n > ORG_EMPNO_MAX)
        return ws_fail(WS_EINVAL, "employee_no", "employee_no is longer than %d characters",
                       ORG_EMPNO_MAX);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
              ch == '-' || ch == '_' || ch == '.' || ch == '/'))
            return ws_fail(WS_EINVAL, "employee_no",
                           "employee_no may hold only letters A-Z, digits, '-', '_', '.', '/'");
    }
    return WS_OK;
}

static ws_err check_phone(const char *phone)
{
    if (!org_phone_valid(phone))
        return ws_fail(WS_EINVAL, "phone",
                       "phone must be 5 to 20 characters of digits, '+', '-' and spaces");
    return WS_OK;
}

void org_person_row(store_stmt *st, org_person *p)
{
    memset(p, 0, sizeof *p);
    p->id = store_col_int(st, 0);
    p->unit_id = store_col_int(st, 1);
    p->department_id = store_col_null(st, 2) ? 0 : store_col_int(st, 2);
    org_copy(p->employee_no, sizeof p->employee_no, store_col_text(st, 3));
    org_copy(p->name, sizeof p->name, store_col_text(st, 4));
    org_copy(p->phone, sizeof p->phone, store_col_text(st, 5));
    p->active = store_col_int(st, 6) != 0;
    p->left_at = store_col_null(st, 7) ? 0 : store_col_int(st, 7);
    p->created_at = store_col_int(st, 8);
    p->updated_at = store_col_int(st, 9);
    org_copy(p->unit_path, sizeof p->unit_path, store_col_text(st, 10));
    p->enterprise_id = store_col_null(st, 11) ? 0 : store_col_int(st, 11);
}

/* The person_posts rows of a person: ids and post ids (at most cap). */
static ws_err load_posts(store_conn *c, int64_t person_id, int64_t *row_ids, int64_t *post_ids,
                         int cap, int *n)
{
    store_stmt *st = NULL;
    bool row;
    *n = 0;
    ws_err rc = store_prepare(c, Q_ORG_PERSON_POSTS, &st);
    if (!rc) rc = store_bind_int(st, 1, person_id);
    while (!rc && !(rc = store_step(st, &row)) && row) {
        if (*n == cap) break;
        if (row_ids) row_ids[*n] = store_col_int(st, 0);
        post_ids[*n] = store_col_int(st, 1);
        (*n)++;
    }
    store_finalize(st);
    return rc;
}

ws_err org_person_get(store_conn *c, int64_t id, org_person *p)
{
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, Q_ORG_PERSON_GET, &st);
    if (!rc) rc = store_bind_int(st, 1, id);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) org_person_row(st, p);
    store_finalize(st);
    if (!rc && !row) rc = ws_fail(WS_ENOTFOUND, "id", "no person %lld", (long long)id);
    if (!rc) rc = load_posts(c, id, NULL, p->post_ids, ORG_POSTS_MAX, &p->npost);
    return rc;
}

/* A unit people can belong to: exists, active, inside an enterprise; the
 * caller may write people there. */
static ws_err person_unit(store_conn *c, const org_caller *by, int64_t unit_id, org_unit *u)
{
    ws_err rc = org_unit_get(c, unit_id, u);
    if (!rc) rc = org_allow(by, "person.write", u->path);
    if (rc == WS_ENOTFOUND) return ws_fail(WS_ENOTFOUND, "unit_id", "no such unit");
    if (rc) return rc;
    if (u->enterprise_id == 0)
        return ws_fail(WS_EINVAL, "unit_id",
                       "people belong to an enterprise or a unit inside one, not to a %s",
                       u->kind);
    if (!u->active) return ws_fail(WS_ECONFLICT, "unit_id", "the unit is deactivated");
    return WS_OK;
}

static ws_err check_dept(store_conn *c, int64_t enterprise_id, int64_t department_id)
{
    if (department_id <= 0) return WS_OK;
    org_dept d;
    ws_err rc = org_dept_get(c, department_id, &d);
    if (rc == WS_ENOTFOUND || (!rc && d.enterprise_id != enterprise_id))
        return ws_fail(WS_EINVAL, "department_id", "no such department in this enterprise");
    if (!rc && !d.active)
        rc = ws_fail(WS_ECONFLICT, "department_id", "the department is deactivated");
    return rc;
}

static ws_err check_posts(store_conn *c, int64_t enterprise_id, const int64_t *ids, int n)
{
    if (n < 0 || n > ORG_POSTS_MAX)
        return ws_fail(WS_EINVAL, "post_ids", "a person holds at most %d posts", ORG_POSTS_MAX);
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < i; j++)
            if (ids[j] == ids[i])
                return ws_fail(WS_EINVAL, "post_ids", "post %lld is listed twice",
                               (long long)ids[i]);
        org_post p;
        ws_err rc = ids[i] > 0 ? org_post_get(c, ids[i], &p) : WS_ENOTFOUND;
        if (rc == WS_ENOTFOUND || (!rc && p.enterprise_id != enterprise_id))
            return ws_fail(WS_EINVAL, "post_ids", "no post %lld in this enterprise",
                           (long long)ids[i]);
        if (rc) return rc;
        if (!p.active)
            return ws_fail(WS_ECONFLICT, "post_ids", "post %s is deactivated", p.code);
    }
    return WS_OK;
}

ws_err org_person_by_empno(store_conn *c, int64_t unit_id, const char *empno, int64_t *id)
{
    store_stmt *st = NULL;
    bool row = false;
    *id = 0;
    ws_err rc = store_prepare(c, Q_ORG_PERSON_BY_EMPNO, &st);
    if (!rc) rc = store_bind_int(st, 1, unit_id);
    if (!rc) rc = store_bind_text(st, 2, empno);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) *id = store_col_int(st, 0);
    store_finalize(st);
    return rc;
}

/* employee_no must be free in the unit (self excluded). */
static ws_err empno_free(store_conn *c, int64_t unit_id, const char *empno, int64_t self)
{
    if (!empno || !*empno) return WS_OK;
    int64_t other = 0;
    ws_err rc = org_person_by_empno(c, unit_id, empno, &other);
    if (!rc && other && other != self)
        rc = ws_fail(WS_ECONFLICT, "employee_no",
                     "employee_no %s is already used in this unit", empno);
    return rc;
}

/* Make the person's posts exactly ids[0..n). */
static ws_err set_posts(store_conn *c, const org_caller *by, int64_t person_id, const int64_t *ids,
                        int n)
{
    int64_t rows[ORG_POSTS_MAX * 2], cur[ORG_POSTS_MAX * 2];
    int ncur = 0;
    ws_err rc = load_posts(c, person_id, rows, cur, ORG_POSTS_MAX * 2, &ncur);
    int64_t now = clock_now_ms();
    for (int i = 0; !rc && i < ncur; i++) {
        bool keep = false;
        for (int j = 0; j < n; j++)
            if (ids[j] == cur[i]) keep = true;
        if (keep) continue;
        store_stmt *st = NULL;
        bool row;
        rc = store_prepare(c, Q_ORG_PERSON_POST_DELETE, &st);
        if (!rc) rc = store_bind_int(st, 1, rows[i]);
        if (!rc) rc = store_step(st, &row);
        store_finalize(st);
        if (!rc) rc = org_audit(c, by, &ORG_ENTITY_PERSON_POST, rows[i], "delete");
    }
    for (int j = 0; !rc && j < n; j++) {
        bool have = false;
        for (int i = 0; i < ncur; i++)
            if (ids[j] == cur[i]) have = true;
        if (have) continue;
        store_stmt *st = NULL;
        bool row = false;
        int64_t nid = 0;
        rc = store_prepare(c, Q_ORG_PERSON_POST_INSERT, &st);
        if (!rc) rc = store_bind_int(st, 1, person_id);
        if (!rc) rc = store_bind_int(st, 2, ids[j]);
        if (!rc) rc = store_bind_int(st, 3, now);
        if (!rc) rc = store_step(st, &row);
        if (!rc && row) nid = store_col_int(st, 0);
        store_finalize(st);
        if (!rc && nid <= 0) rc = ws_fail(WS_ESTORE, NULL, "insert returned no id");
        if (!rc) rc = org_audit(c, by, &ORG_ENTITY_PERSON_POST, nid, "create");
    }
    return rc;
}

/* Accounts one person may have, as far as deactivation and erasure go. */
#define ORG_ACCOUNTS_MAX 64

static const audit_actor *actor_of(const org_caller *by)
{
    static const audit_actor sys = {"system"};
    return by && by->actor ? by->actor : &sys;
}

static ws_err write_person(store_conn *c, const org_person *p, int64_t now)
{
    store_stmt *st = NULL;
    bool row;
    ws_err rc = store_prepare(c, Q_ORG_PERSON_UPDATE, &st);
    if (!rc) rc = store_bind_int(st, 1, p->id);
    if (!rc) rc = store_bind_int(st, 2, p->unit_id);
    if (!rc) rc = store_bind_opt_int(st, 3, p->department_id);
    if (!rc) rc = store_bind_opt_text(st, 4, p->employee_no);
    if (!rc) rc = store_bind_text(st, 5, p->name);
    if (!rc) rc = store_bind_opt_text(st, 6, p->phone);
    if (!rc) rc = store_bind_int(st, 7, p->active ? 1 : 0);
    if (!rc) rc = store_bind_opt_int(st, 8, p->left_at);
    if (!rc) rc = store_bind_int(st, 9, now);
    if (!rc) rc = store_step(st, &row);
    store_finalize(st);
    return rc;
}

ws_err org_person_create(store_conn *c, const org_caller *by, const org_person_in *in,
                         int64_t *id)
{
    ws_err rc = org_check_name(in->name, "name", ORG_NAME_MAX);
    if (!rc) rc = org_check_empno(in->employee_no);
    if (!rc) rc = check_phone(in->phone);
    if (!rc && (in->npost < 0 || in->npost > ORG_POSTS_MAX))
        rc = ws_fail(WS_EINVAL, "post_ids", "a person holds at most %d posts", ORG_POSTS_MAX);
    if (rc) return rc;
    bool own;
    rc = org_tx_begin(c, &own);
    if (rc) return rc;
    org_unit u;
    rc = person_unit(c, by, in->unit_id, &u);
    if (!rc) rc = check_dept(c, u.enterprise_id, in->department_id);
    if (!rc) rc = check_posts(c, u.enterprise_id, in->post_ids, in->npost);
    if (!rc) rc = empno_free(c, u.id, in->employee_no, 0);
    store_stmt *st = NULL;
    bool row = false;
    int64_t nid = 0;
    if (!rc) rc = store_prepare(c, Q_ORG_PERSON_INSERT, &st);
    if (!rc) rc = store_bind_int(st, 1, u.id);
    if (!rc) rc = store_bind_opt_int(st, 2, in->department_id);
    if (!rc) rc = store_bind_opt_text(st, 3, in->employee_no);
    if (!rc) rc = store_bind_text(st, 4, in->name);
    if (!rc) rc = store_bind_opt_text(st, 5, in->phone);
    if (!rc) rc = store_bind_int(st, 6, clock_now_ms());
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) nid = store_col_int(st, 0);
    store_finalize(st);
    if (!rc && nid <= 0) rc = ws_fail(WS_ESTORE, NULL, "insert returned no id");
    if (!rc) rc = org_audit(c, by, &ORG_ENTITY_PERSON, nid, "create");
    if (!rc) rc = set_posts(c, by, nid, in->post_ids, in->npost);
    if (!rc && id) *id = nid;
    return org_tx_end(c, own, rc);
}

/* Load a person for a write: exists, the caller may write, still active. */
static ws_err person_for_write(store_conn *c, const org_caller *by, int64_t id, org_person *p)
{
    ws_err rc = org_person_get(c, id, p);
    if (!rc) rc = org_allow(by, "person.write", p->unit_path);
    if (!rc && !p->active) rc = ws_fail(WS_ECONFLICT, "id", "the person has left (inactive)");
    return rc;
}

ws_err org_person_update(store_conn *c, const org_caller *by, int64_t id,
                         const org_person_patch *pa)
{
    ws_err rc = WS_OK;
    if (pa->set & ORG_SET_P_NAME) rc = org_check_name(pa->name, "name", ORG_NAME_MAX);
    if (!rc && (pa->set & ORG_SET_P_EMPNO)) rc = org_check_empno(pa->employee_no);
    if (!rc && (pa->set & ORG_SET_P_PHONE)) rc = check_phone(pa->phone);
    if (!rc && (pa->set & ORG_SET_P_POSTS) && (pa->npost < 0 || pa->npost > ORG_POSTS_MAX))
        rc = ws_fail(WS_EINVAL, "post_ids", "a person holds at most %d posts", ORG_POSTS_MAX);
    if (rc) return rc;
    bool own;
    rc = org_tx_begin(c, &own);
    if (rc) return rc;
    org_person p;
    rc = person_for_write(c, by, id, &p);
    if (!rc && (pa->set & ORG_SET_P_DEPT)) {
        rc = check_dept(c, p.enterprise_id, pa->department_id);
        p.department_id = pa->department_id > 0 ? pa->department_id : 0;
    }
    if (!rc && (pa->set & ORG_SET_P_EMPNO)) {
        rc = empno_free(c, p.unit_id, pa->employee_no, p.id);
        org_copy(p.employee_no, sizeof p.employee_no, pa->employee_no);
    }
    if (!rc && (pa->set & ORG_SET_P_NAME)) org_copy(p.name, sizeof p.name, pa->name);
    if (!rc && (pa->set & ORG_SET_P_PHONE)) org_copy(p.phone, sizeof p.phone, pa->phone);
    if (!rc && (pa->set & ORG_SET_P_POSTS))
        rc = check_posts(c, p.enterprise_id, pa->post_ids, pa->npost);
    if (!rc) rc = write_person(c, &p, clock_now_ms());
    if (!rc) rc = org_audit(c, by, &ORG_ENTITY_PERSON, p.id, "update");
    if (!rc && (pa->set & ORG_SET_P_POSTS)) rc = set_posts(c, by, p.id, pa->post_ids, pa->npost);
    return org_tx_end(c, own, rc);
}

static ws_err insert_transfer(store_conn *c, const org_caller *by, const org_person *p,
                              int64_t to_unit, int64_t to_dept, const char *reason, int64_t at)
{
    store_stmt *st = NULL;
    bool row = false;
    int64_t nid = 0;
    ws_err rc = store_prepare(c, Q_ORG_TRANSFER_INSERT, &st);
    if (!rc) rc = store_bind_int(st, 1, p->id);
    if (!rc) rc = store_bind_int(st, 2, p->unit_id);
    if (!rc) rc = store_bind_opt_int(st, 3, to_unit);
    if (!rc) rc = store_bind_opt_int(st, 4, p->department_id);
    if (!rc) rc = store_bind_opt_int(st, 5, to_dept);
    if (!rc) rc = store_bind_opt_text(st, 6, reason);
    if (!rc) rc = store_bind_int(st, 7, at);
    if (!rc) rc = store_bind_text(st, 8, org_actor_name(by));
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) nid = store_col_int(st, 0);
    store_finalize(st);
    if (!rc && nid <= 0) rc = ws_fail(WS_ESTORE, NULL, "insert returned no id");
    if (!rc) rc = org_audit(c, by, &ORG_ENTITY_PERSON_TRANSFER, nid, "create");
    return rc;
}

ws_err org_person_deactivate(store_conn *c, const org_caller *by, int64_t id, const char *reason)
{
    ws_err rc = org_check_text(reason, "reason", ORG_REASON_MAX);
    if (rc) return rc;
    bool own;
    rc = org_tx_begin(c, &own);
    if (rc) return rc;
    org_person p;
    rc = person_for_write(c, by, id, &p);
    int64_t now = clock_now_ms();
    /* Units this person led lose their leader (a leader must be active). */
    int64_t led[64];
    int nled = 64;
    store_stmt *st = NULL;
    bool row;
    while (!rc && nled == 64) { /* in batches: cleared units drop out of the query */
        nled = 0;
        rc = store_prepare(c, Q_ORG_UNIT_LED_BY, &st);
        if (!rc) rc = store_bind_int(st, 1, id);
        while (!rc && nled < 64 && !(rc = store_step(st, &row)) && row)
            led[nled++] = store_col_int(st, 0);
        store_finalize(st);
        for (int i = 0; !rc && i < nled; i++) {
            rc = store_prepare(c, Q_ORG_UNIT_CLEAR_LEADER, &st);
            if (!rc) rc = store_bind_int(st, 1, led[i]);
            if (!rc) rc = store_bind_int(st, 2, now);
            if (!rc) rc = store_step(st, &row);
            store_finalize(st);
            if (!rc) rc = org_audit(c, by, &ORG_ENTITY_UNIT, led[i], "update");
        }
    }
    if (!rc) rc = insert_transfer(c, by, &p, 0, 0, reason, now);
    if (!rc) {
        p.active = false;
        p.left_at = now;
        rc = write_person(c, &p, now);
    }
    if (!rc) rc = org_audit(c, by, &ORG_ENTITY_PERSON, id, "deactivate");
    /* A leaver loses access at once: their accounts end with them. */
    int64_t acc[ORG_ACCOUNTS_MAX];
    int nacc = 0;
    if (!rc) rc = auth_accounts_of_person(c, id, acc, ORG_ACCOUNTS_MAX, &nacc);
    for (int i = 0; !rc && i < nacc; i++) rc = auth_account_set_active(c, actor_of(by), acc[i], false);
    return org_tx_end(c, own, rc);
}

/* Purge the versions of every transfer of person_id after clearing its
 * reason (free text that may say why someone left). */
static ws_err erase_transfers(store_conn *c, const org_caller *by, int64_t person_id,
                              const char *reason)
{
    int64_t ids[64], after = 0;
    int n = 64;
    ws_err rc = WS_OK;
    while (!rc && n == 64) { /* in batches, by id */
        store_stmt *st = NULL;
        bool row;
        n = 0;
        rc = store_prepare(c, Q_ORG_TRANSFER_IDS, &st);
        if (!rc) rc = store_bind_int(st, 1, person_id);
        if (!rc) rc = store_bind_int(st, 2, after);
        if (!rc) rc = store_bind_int(st, 3, 64);
        while (!rc && n < 64 && !(rc = store_step(st, &row)) && row) ids[n++] = store_col_int(st, 0);
        store_finalize(st);
        for (int i = 0; !rc && i < n; i++) {
            rc = store_prepare(c, Q_ORG_TRANSFER_CLEAR_REASON, &st);
            if (!rc) rc = store_bind_int(st, 1, ids[i]);
            if (!rc) rc = store_step(st, &row);
            store_finalize(st);
            if (!rc)
                rc = audit_purge(c, actor_of(by), &ORG_ENTITY_PERSON_TRANSFER, ids[i], reason, NULL);
            after = ids[i];
        }
    }
    return rc;
}

/* After an erasure has committed: make the old bytes unreachable on disk as
 * far as the engine allows (docs/internals/store.md, "Erasure"). SQLite
 * (secure_delete on) already zeroed freed space in the pages it wrote; the
 * checkpoint copies them into the database file and truncates the WAL, which
 * still held the older page images. PostgreSQL keeps dead tuples until
 * VACUUM. Best effort: the erasure stands either way; a failure is logged. */
static void erase_scrub(store_conn *c)
{
    if (store_conn_backend(c) == STORE_POSTGRES) {
        if (store_exec(c, Q_ORG_ERASE_VACUUM_PG) != WS_OK)
            log_warn("erasure: VACUUM after the erasure failed; dead tuples remain until the next "
                     "(auto)vacuum", "error", ws_err_message());
        ws_err_clear();
        return;
    }
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, Q_ORG_ERASE_CHECKPOINT_SQLITE, &st);
    if (!rc) rc = store_step(st, &row);
    bool busy = !rc && row && store_col_int(st, 0) != 0;
    store_finalize(st);
    if (rc || busy)
        log_warn("erasure: the SQLite WAL could not be checkpointed and truncated (readers busy); "
                 "older page images stay in the -wal file until the next checkpoint",
                 "error", rc ? ws_err_message() : "busy");
    ws_err_clear();
}

ws_err org_person_erase(store_conn *c, const org_caller *by, int64_t id, const char *reason)
{
    ws_err rc = org_check_name(reason, "reason", ORG_REASON_MAX);
    if (rc) return rc;
    bool own;
    rc = org_tx_begin(c, &own);
    if (rc) return rc;
    org_person p;
    rc = org_person_get(c, id, &p);
    if (!rc) rc = org_allow(by, "person.erase", p.unit_path);
    if (!rc && p.active)
        rc = ws_fail(WS_ECONFLICT, "active",
                     "the person is still active: deactivate (the person leaves) before erasing");
    if (!rc) rc = erase_transfers(c, by, id, reason);
    if (!rc) {
        org_copy(p.name, sizeof p.name, ORG_ERASED_NAME);
        p.employee_no[0] = 0;
        p.phone[0] = 0;
        rc = write_person(c, &p, clock_now_ms());
    }
    if (!rc) rc = audit_purge(c, actor_of(by), &ORG_ENTITY_PERSON, id, reason, NULL);
    int64_t acc[ORG_ACCOUNTS_MAX];
    int nacc = 0;
    if (!rc) rc = auth_accounts_of_person(c, id, acc, ORG_ACCOUNTS_MAX, &nacc);
    for (int i = 0; !rc && i < nacc; i++) rc = auth_account_erase(c, actor_of(by), acc[i], reason);
    rc = org_tx_end(c, own, rc);
    if (!rc && own) erase_scrub(c);
    return rc;
}

ws_err org_person_transfer(store_conn *c, const org_caller *by, int64_t id, int64_t to_unit_id,
                           int64_t department_id, const char *reason)
{
    ws_err rc = org_check_text(reason, "reason", ORG_REASON_MAX);
    if (!rc && to_unit_id <= 0) rc = ws_fail(WS_EINVAL, "unit_id", "unit_id is required");
    if (rc) return rc;
    bool own;
    rc = org_tx_begin(c, &own);
    if (rc) return rc;
    org_person p;
    org_unit to;
    rc = person_for_write(c, by, id, &p);
    if (!rc) rc = person_unit(c, by, to_unit_id, &to);
    if (!rc && to.enterprise_id != p.enterprise_id)
        rc = ws_fail(WS_EINVAL, "unit_id",
                     "a transfer stays inside the enterprise; someone who changes employer "
                     "leaves (deactivate) and is created anew");
    int64_t to_dept = department_id > 0 ? department_id : p.department_id;
    if (!rc) rc = check_dept(c, p.enterprise_id, to_dept);
    if (!rc && to.id == p.unit_id && to_dept == p.department_id)
        rc = ws_fail(WS_EINVAL, "unit_id", "the person is already in this unit and department");
    if (!rc && to.id != p.unit_id) rc = empno_free(c, to.id, p.employee_no, p.id);
    int64_t now = clock_now_ms();
    if (!rc) rc = insert_transfer(c, by, &p, to.id, to_dept, reason, now);
    if (!rc) {
        p.unit_id = to.id;
        p.department_id = to_dept;
        rc = write_person(c, &p, now);
    }
    if (!rc) rc = org_audit(c, by, &ORG_ENTITY_PERSON, id, "transfer");
    return org_tx_end(c, own, rc);
}

ws_err org_person_list(store_conn *c, const org_person_filter *f, org_person **items, size_t *n,
                       int64_t *next)
{
    int limit = f->limit > 0 && f->limit <= 200 ? f->limit : 50;
    char pat[256] = "";
    const char *path = f->scope_path ? f->scope_path : "/";
    org_unit u;
    *items = NULL;
    *n = 0;
    *next = 0;
    if (f->q && *f->q && !store_like_contains(f->q, pat, sizeof pat))
        return ws_fail(WS_EINVAL, "q", "q is too long (at most %zu bytes)", (sizeof pat - 3) / 2);
    ws_err rc = WS_OK;
    if (f->unit_id > 0) {
        rc = org_unit_get(c, f->unit_id, &u);
        if (!rc && strncmp(u.path, path, strlen(path)) != 0) rc = WS_ENOTFOUND;
        if (rc == WS_ENOTFOUND) return ws_fail(WS_ENOTFOUND, "unit_id", "no such unit");
        if (rc) return rc;
        path = u.path;
    }
    org_person *v = calloc((size_t)limit + 1, sizeof *v);
    if (!v) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    store_stmt *st = NULL;
    bool row;
    size_t len = 0;
    rc = store_prepare(c, Q_ORG_PERSON_LIST, &st);
    if (!rc) rc = store_bind_text(st, 1, path);
    if (!rc) rc = store_bind_int(st, 2, f->active < 0 ? -1 : f->active ? 1 : 0);
    if (!rc) rc = store_bind_text(st, 3, pat);
    if (!rc) rc = store_bind_int(st, 4, f->cursor);
    if (!rc) rc = store_bind_int(st, 5, limit + 1);
    if (!rc) rc = store_bind_int(st, 6, f->q_phone ? 1 : 0);
    while (!rc && len <= (size_t)limit && !(rc = store_step(st, &row)) && row)
        org_person_row(st, &v[len++]);
    store_finalize(st);
    for (size_t i = 0; !rc && i < len; i++)
        rc = load_posts(c, v[i].id, NULL, v[i].post_ids, ORG_POSTS_MAX, &v[i].npost);
    if (rc) {
        free(v);
        return rc;
    }
    if (len > (size_t)limit) {
        len = (size_t)limit;
        *next = v[limit - 1].id;
    }
    *items = v;
    *n = len;
    return WS_OK;
}

ws_err org_person_transfers(store_conn *c, int64_t person_id, org_transfer **items, size_t *n)
{
    const size_t max = 1000;
    store_stmt *st = NULL;
    bool row;
    org_transfer *v = NULL;
    size_t len = 0, alloc = 0;
    *items = NULL;
    *n = 0;
    ws_err rc = store_prepare(c, Q_ORG_TRANSFER_LIST, &st);
    if (!rc) rc = store_bind_int(st, 1, person_id);
    if (!rc) rc = store_bind_int(st, 2, (int64_t)max);
    while (!rc && !(rc = store_step(st, &row)) && row) {
        if (len == alloc) {
            size_t na = alloc ? alloc * 2 : 8;
            org_transfer *p = realloc(v, na * sizeof *p);
            if (!p) {
                rc = ws_fail(WS_ENOMEM, NULL, "out of memory");
                break;
            }
            v = p;
            alloc = na;
        }
        org_transfer *t = &v[len++];
        memset(t, 0, sizeof *t);
        t->id = store_col_int(st, 0);
        t->person_id = store_col_int(st, 1);
        t->from_unit_id = store_col_null(st, 2) ? 0 : store_col_int(st, 2);
        t->to_unit_id = store_col_null(st, 3) ? 0 : store_col_int(st, 3);
        t->from_department_id = store_col_null(st, 4) ? 0 : store_col_int(st, 4);
        t->to_department_id = store_col_null(st, 5) ? 0 : store_col_int(st, 5);
        org_copy(t->reason, sizeof t->reason, store_col_text(st, 6));
        t->at = store_col_int(st, 7);
        org_copy(t->actor, sizeof t->actor, store_col_text(st, 8));
    }
    store_finalize(st);
    if (rc) {
        free(v);
        return rc;
    }
    *items = v;
    *n = len;
    return WS_OK;
}
