/* unit.c — the unit tree (park, enterprise, site, area, grid, workshop), the
 * audited entities of the module, and helpers shared by the other org files.
 *
 * A unit's path is its ancestors' ids from the root ("/1/4/9/"); scope checks
 * compare paths by prefix, so a move rewrites the subtree's paths in one
 * UPDATE and appends a leaf for each rewritten row (the path is hashed).
 *
 *   create ──► active ──deactivate (no active children, no active people)──► inactive
 *               │  ▲
 *               └──┘ update / move (no cycle, same enterprise)
 *
 * See org.h for the invariants the tests assert. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/clock.h"
#include "org/org_int.h"
#include "store/q_org.h"

/* ------------------------------------------------------- audited entities */

static const audit_col unit_cols[] = {
    {"id", AC_INT},          {"parent_id", AC_INT}, {"kind", AC_TEXT},
    {"code", AC_TEXT},       {"name", AC_TEXT},     {"tz", AC_TEXT},
    {"leader_person_id", AC_INT}, {"path", AC_TEXT}, {"enterprise_id", AC_INT},
    {"active", AC_INT},      {"created_at", AC_INT}, {"updated_at", AC_INT},
};
static const audit_col dept_cols[] = {
    {"id", AC_INT},     {"enterprise_id", AC_INT}, {"code", AC_TEXT},     {"name", AC_TEXT},
    {"active", AC_INT}, {"created_at", AC_INT},    {"updated_at", AC_INT},
};
static const audit_col post_cols[] = {
    {"id", AC_INT},      {"enterprise_id", AC_INT}, {"department_id", AC_INT},
    {"code", AC_TEXT},   {"name", AC_TEXT},         {"active", AC_INT},
    {"created_at", AC_INT}, {"updated_at", AC_INT},
};
static const audit_col person_cols[] = {
    {"id", AC_INT},         {"unit_id", AC_INT}, {"department_id", AC_INT},
    {"employee_no", AC_TEXT}, {"name", AC_TEXT}, {"phone", AC_TEXT},
    {"active", AC_INT},     {"left_at", AC_INT}, {"created_at", AC_INT},
    {"updated_at", AC_INT},
};
static const audit_col person_post_cols[] = {
    {"id", AC_INT}, {"person_id", AC_INT}, {"post_id", AC_INT}, {"created_at", AC_INT},
};
static const audit_col transfer_cols[] = {
    {"id", AC_INT},           {"person_id", AC_INT},        {"from_unit_id", AC_INT},
    {"to_unit_id", AC_INT},   {"from_department_id", AC_INT}, {"to_department_id", AC_INT},
    {"reason", AC_TEXT},      {"at", AC_INT},               {"actor", AC_TEXT},
};

#define NCOLS(a) ((int)(sizeof(a) / sizeof((a)[0])))
const audit_entity ORG_ENTITY_UNIT = {"unit", "units", unit_cols, NCOLS(unit_cols)};
const audit_entity ORG_ENTITY_DEPARTMENT = {"department", "departments", dept_cols,
                                            NCOLS(dept_cols)};
const audit_entity ORG_ENTITY_POST = {"post", "posts", post_cols, NCOLS(post_cols)};
const audit_entity ORG_ENTITY_PERSON = {"person", "people", person_cols, NCOLS(person_cols)};
const audit_entity ORG_ENTITY_PERSON_POST = {"person_post", "person_posts", person_post_cols,
                                             NCOLS(person_post_cols)};
const audit_entity ORG_ENTITY_PERSON_TRANSFER = {"person_transfer", "person_transfers",
                                                 transfer_cols, NCOLS(transfer_cols)};

ws_err org_init(void)
{
    static bool done;
    if (done) return WS_OK;
    const audit_entity *all[] = {&ORG_ENTITY_UNIT,   &ORG_ENTITY_DEPARTMENT,
                                 &ORG_ENTITY_POST,   &ORG_ENTITY_PERSON,
                                 &ORG_ENTITY_PERSON_POST, &ORG_ENTITY_PERSON_TRANSFER};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        ws_err rc = audit_register(all[i]);
        if (rc) return rc;
    }
    done = true;
    return WS_OK;
}

/* ---------------------------------------------------------- shared helpers */

/* Org writes check invariants across rows (no cycle, a parent still
 * active, the paths a move rewrites) before they write. On PostgreSQL, where
 * transactions run concurrently at READ COMMITTED, two such checks could
 * pass side by side; so every org write first takes one lock (Q_ORG_LOCK)
 * and reads after it. Order: the org lock before the audit head, which
 * audit_record takes at the end. */
ws_err org_tx_begin(store_conn *c, bool *own)
{
    ws_err rc = store_tx_join(c, own);
    if (rc) return rc;
    store_stmt *st = NULL;
    bool row;
    rc = store_prepare(c, Q_ORG_LOCK, &st);
    if (!rc) rc = store_step(st, &row);
    store_finalize(st);
    if (rc && *own) store_rollback(c);
    return rc;
}

ws_err org_tx_end(store_conn *c, bool own, ws_err rc) { return store_tx_finish(c, own, rc); }

ws_err org_allow(const org_caller *by, const char *action, const char *unit_path)
{
    if (!by || !by->subject) return WS_OK;
    auth_resource r = {0};
    r.unit_path = unit_path;
    return auth_decide(by->subject, action, &r);
}

const char *org_actor_name(const org_caller *by)
{
    return by && by->actor && by->actor->name ? by->actor->name : "system";
}

ws_err org_audit(store_conn *c, const org_caller *by, const audit_entity *e, int64_t id,
                 const char *action)
{
    audit_actor sys = {"system"};
    const audit_actor *a = by && by->actor ? by->actor : &sys;
    return audit_record(c, a, e, id, action, NULL);
}

void org_copy(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

ws_err org_check_code(const char *code, const char *field)
{
    size_t n = code ? strlen(code) : 0;
    if (n == 0) return ws_fail(WS_EINVAL, field, "%s must not be empty", field);
    if (n > ORG_CODE_MAX)
        return ws_fail(WS_EINVAL, field, "%s is longer than %d characters", field, ORG_CODE_MAX);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)code[i];
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
              ch == '-' || ch == '_' || ch == '.'))
            return ws_fail(WS_EINVAL, field,
                           "%s may hold only letters A-Z, digits, '-', '_' and '.'", field);
    }
    return WS_OK;
}

ws_err org_check_text(const char *s, const char *field, size_t max)
{
    size_t n = s ? strlen(s) : 0;
    if (n > max) return ws_fail(WS_EINVAL, field, "%s is longer than %zu bytes", field, max);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch < 0x20 || ch == 0x7f)
            return ws_fail(WS_EINVAL, field, "%s must not contain control characters", field);
    }
    if (n && !org_utf8_valid(s, n))
        return ws_fail(WS_EINVAL, field, "%s is not valid UTF-8", field);
    return WS_OK;
}

ws_err org_check_free_text(const char *s, const char *field, size_t max, bool required, bool multiline)
{
    size_t n = s ? strlen(s) : 0;
    bool blank = true;
    if (n > max) return ws_fail(WS_EINVAL, field, "%s is longer than %zu bytes", field, max);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        bool ws = ch == ' ' || (multiline && (ch == '\n' || ch == '\r' || ch == '\t'));
        if ((ch < 0x20 || ch == 0x7f) && !ws)
            return ws_fail(WS_EINVAL, field, "%s must not contain control characters", field);
        if (!ws) blank = false;
    }
    if (n && !org_utf8_valid(s, n)) return ws_fail(WS_EINVAL, field, "%s is not valid UTF-8", field);
    if (required && blank) return ws_fail(WS_EINVAL, field, "%s must not be empty", field);
    return WS_OK;
}

ws_err org_check_name(const char *name, const char *field, size_t max)
{
    ws_err rc = org_check_text(name, field, max);
    if (rc) return rc;
    bool blank = true;
    for (const char *p = name ? name : ""; *p; p++)
        if (*p != ' ') blank = false;
    if (blank) return ws_fail(WS_EINVAL, field, "%s must not be empty", field);
    return WS_OK;
}

ws_err org_query_int(store_conn *c, const char *sql, int nbind, int64_t a, int64_t b,
                     int64_t *out)
{
    store_stmt *st = NULL;
    bool row = false;
    *out = 0;
    ws_err rc = store_prepare(c, sql, &st);
    if (rc) return rc;
    if (nbind >= 1) rc = store_bind_int(st, 1, a);
    if (!rc && nbind >= 2) rc = store_bind_int(st, 2, b);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) *out = store_col_int(st, 0);
    store_finalize(st);
    return rc;
}

void org_unit_row(store_stmt *st, org_unit *u)
{
    memset(u, 0, sizeof *u);
    u->id = store_col_int(st, 0);
    u->parent_id = store_col_null(st, 1) ? 0 : store_col_int(st, 1);
    org_copy(u->kind, sizeof u->kind, store_col_text(st, 2));
    org_copy(u->code, sizeof u->code, store_col_text(st, 3));
    org_copy(u->name, sizeof u->name, store_col_text(st, 4));
    org_copy(u->tz, sizeof u->tz, store_col_text(st, 5));
    u->leader_person_id = store_col_null(st, 6) ? 0 : store_col_int(st, 6);
    org_copy(u->path, sizeof u->path, store_col_text(st, 7));
    u->enterprise_id = store_col_null(st, 8) ? 0 : store_col_int(st, 8);
    u->active = store_col_int(st, 9) != 0;
    u->created_at = store_col_int(st, 10);
    u->updated_at = store_col_int(st, 11);
}

/* ------------------------------------------------------------- validation */

static const char *const kinds[] = {"park", "enterprise", "site", "area", "grid", "workshop"};

bool org_kind_valid(const char *kind)
{
    for (size_t i = 0; kind && i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(kind, kinds[i]) == 0) return true;
    return false;
}

/* site, area, grid, workshop: the kinds that live inside an enterprise. */
static bool kind_inner(const char *kind)
{
    return org_kind_valid(kind) && strcmp(kind, "park") != 0 && strcmp(kind, "enterprise") != 0;
}

bool org_tz_valid(const char *tz)
{
    if (!tz || !*tz || strlen(tz) > ORG_TZ_MAX || tz[0] == '/' || strstr(tz, "..")) return false;
    for (const char *p = tz; *p; p++) {
        char ch = *p;
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
              ch == '/' || ch == '_' || ch == '-' || ch == '+'))
            return false;
    }
    char path[128];
    snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", tz);
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

static ws_err check_kind(const char *kind)
{
    if (!org_kind_valid(kind))
        return ws_fail(WS_EINVAL, "kind",
                       "kind must be one of park, enterprise, site, area, grid, workshop");
    return WS_OK;
}

static ws_err check_tz(const char *tz)
{
    if (!org_tz_valid(tz))
        return ws_fail(WS_EINVAL, "tz", "tz must be an IANA time zone such as Asia/Shanghai");
    return WS_OK;
}

/* May a unit of kind sit under parent? */
static ws_err check_placement(const char *kind, const org_unit *parent)
{
    if (strcmp(kind, "park") == 0 || strcmp(kind, "enterprise") == 0) {
        if (strcmp(parent->kind, "park") != 0)
            return ws_fail(WS_EINVAL, "parent_id", "a%s %s can only be placed under a park",
                           kind[0] == 'e' ? "n" : "", kind);
    } else if (parent->enterprise_id == 0) {
        return ws_fail(WS_EINVAL, "parent_id", "a %s must be placed inside an enterprise", kind);
    }
    return WS_OK;
}

ws_err org_unit_get(store_conn *c, int64_t id, org_unit *u)
{
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, Q_ORG_UNIT_GET, &st);
    if (!rc) rc = store_bind_int(st, 1, id);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) org_unit_row(st, u);
    store_finalize(st);
    if (!rc && !row) rc = ws_fail(WS_ENOTFOUND, "id", "no unit %lld", (long long)id);
    return rc;
}

ws_err org_unit_by_code(store_conn *c, const char *code, org_unit *u)
{
    store_stmt *st = NULL;
    bool row = false;
    ws_err rc = store_prepare(c, Q_ORG_UNIT_BY_CODE, &st);
    if (!rc) rc = store_bind_text(st, 1, code);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) org_unit_row(st, u);
    store_finalize(st);
    if (!rc && !row) rc = ws_fail(WS_ENOTFOUND, "code", "no unit with code %s", code);
    return rc;
}

/* Refuse a code that another unit (not self) uses. */
static ws_err check_code_free(store_conn *c, const char *code, int64_t self)
{
    org_unit other;
    ws_err rc = org_unit_by_code(c, code, &other);
    if (rc == WS_ENOTFOUND) return WS_OK;
    if (rc) return rc;
    if (other.id == self) return WS_OK;
    return ws_fail(WS_ECONFLICT, "code", "code %s is already used by another unit", code);
}

/* The leader must be an active person of the unit's enterprise. */
static ws_err check_leader(store_conn *c, int64_t person_id, int64_t enterprise_id)
{
    if (person_id <= 0) return WS_OK;
    org_person p;
    ws_err rc = org_person_get(c, person_id, &p);
    if (rc == WS_ENOTFOUND || (!rc && p.enterprise_id != enterprise_id) ||
        (!rc && enterprise_id == 0))
        return ws_fail(WS_EINVAL, "leader_person_id",
                       "leader_person_id is not a person of this unit's enterprise");
    if (rc) return rc;
    if (!p.active)
        return ws_fail(WS_ECONFLICT, "leader_person_id", "the leader has left (inactive)");
    return WS_OK;
}

static ws_err path_of(const char *parent_path, int64_t id, char *out)
{
    int n = snprintf(out, AUTH_PATH_MAX, "%s%lld/", parent_path ? parent_path : "/",
                     (long long)id);
    if (n < 0 || n >= AUTH_PATH_MAX)
        return ws_fail(WS_EINVAL, "parent_id", "the unit tree is too deep here");
    return WS_OK;
}

/* ----------------------------------------------------------------- create */

/* Insert the row, set path and enterprise, default departments, leaf. */
static ws_err insert_unit(store_conn *c, const org_caller *by, const org_unit *parent,
                          const char *kind, const char *code, const char *name, const char *tz,
                          int64_t leader, int64_t *id)
{
    store_stmt *st = NULL;
    bool row = false;
    int64_t now = clock_now_ms(), nid = 0;
    ws_err rc = store_prepare(c, Q_ORG_UNIT_INSERT, &st);
    if (!rc) rc = store_bind_opt_int(st, 1, parent ? parent->id : 0);
    if (!rc) rc = store_bind_text(st, 2, kind);
    if (!rc) rc = store_bind_text(st, 3, code);
    if (!rc) rc = store_bind_text(st, 4, name);
    if (!rc) rc = store_bind_text(st, 5, tz);
    if (!rc) rc = store_bind_opt_int(st, 6, leader);
    if (!rc) rc = store_bind_int(st, 7, now);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) nid = store_col_int(st, 0);
    store_finalize(st);
    if (!rc && nid <= 0) rc = ws_fail(WS_ESTORE, NULL, "insert returned no id");
    if (rc) return rc;

    char path[AUTH_PATH_MAX];
    rc = path_of(parent ? parent->path : NULL, nid, path);
    if (rc) return rc;
    int64_t ent = strcmp(kind, "enterprise") == 0 ? nid : parent ? parent->enterprise_id : 0;
    rc = store_prepare(c, Q_ORG_UNIT_SET_PATH, &st);
    if (!rc) rc = store_bind_int(st, 1, nid);
    if (!rc) rc = store_bind_text(st, 2, path);
    if (!rc) rc = store_bind_opt_int(st, 3, ent);
    if (!rc) rc = store_step(st, &row);
    store_finalize(st);
    if (!rc) rc = org_audit(c, by, &ORG_ENTITY_UNIT, nid, "create");
    if (!rc && strcmp(kind, "enterprise") == 0) rc = org_default_departments(c, by, nid);
    if (!rc) *id = nid;
    return rc;
}

ws_err org_create_root(store_conn *c, const audit_actor *who, const char *kind, const char *code,
                       const char *name, int64_t *id)
{
    org_caller by = {who, NULL};
    ws_err rc = check_kind(kind);
    if (!rc && strcmp(kind, "park") != 0 && strcmp(kind, "enterprise") != 0)
        rc = ws_fail(WS_EINVAL, "kind", "the root unit is a park or an enterprise");
    if (!rc) rc = org_check_code(code, "code");
    if (!rc) rc = org_check_name(name, "name", ORG_NAME_MAX);
    if (rc) return rc;
    bool own;
    rc = org_tx_begin(c, &own);
    if (rc) return rc;
    rc = check_code_free(c, code, 0);
    if (!rc) rc = insert_unit(c, &by, NULL, kind, code, name, ORG_DEFAULT_TZ, 0, id);
    return org_tx_end(c, own, rc);
}

ws_err org_unit_create(store_conn *c, const org_caller *by, const org_unit_in *in, int64_t *id)
{
    ws_err rc = check_kind(in->kind);
    if (!rc) rc = org_check_code(in->code, "code");
    if (!rc) rc = org_check_name(in->name, "name", ORG_NAME_MAX);
    if (!rc && in->tz) rc = check_tz(in->tz);
    if (!rc && in->parent_id <= 0)
        rc = ws_fail(WS_EINVAL, "parent_id", "parent_id is required");
    if (rc) return rc;

    bool own;
    rc = org_tx_begin(c, &own);
    if (rc) return rc;
    org_unit parent;
    rc = org_unit_get(c, in->parent_id, &parent);
    if (rc == WS_ENOTFOUND) rc = ws_fail(WS_ENOTFOUND, "parent_id", "no such parent unit");
    if (!rc) {
        rc = org_allow(by, "unit.write", parent.path);
        if (rc == WS_ENOTFOUND) rc = ws_fail(WS_ENOTFOUND, "parent_id", "no such parent unit");
    }
    if (!rc && !parent.active)
        rc = ws_fail(WS_ECONFLICT, "parent_id", "the parent unit is deactivated");
    if (!rc) rc = check_placement(in->kind, &parent);
    if (!rc) rc = check_code_free(c, in->code, 0);
    /* A new enterprise has no people yet, so it cannot have a leader. */
    if (!rc)
        rc = check_leader(c, in->leader_person_id,
                          strcmp(in->kind, "enterprise") == 0 ? -1 : parent.enterprise_id);
    if (!rc)
        rc = insert_unit(c, by, &parent, in->kind, in->code, in->name,
                         in->tz ? in->tz : parent.tz, in->leader_person_id, id);
    return org_tx_end(c, own, rc);
}

/* ----------------------------------------------------------------- update */

static ws_err write_unit(store_conn *c, const org_unit *u, int64_t now)
{
    store_stmt *st = NULL;
    bool row;
    ws_err rc = store_prepare(c, Q_ORG_UNIT_UPDATE, &st);
    if (!rc) rc = store_bind_int(st, 1, u->id);
    if (!rc) rc = store_bind_opt_int(st, 2, u->parent_id);
    if (!rc) rc = store_bind_text(st, 3, u->kind);
    if (!rc) rc = store_bind_text(st, 4, u->code);
    if (!rc) rc = store_bind_text(st, 5, u->name);
    if (!rc) rc = store_bind_text(st, 6, u->tz);
    if (!rc) rc = store_bind_opt_int(st, 7, u->leader_person_id);
    if (!rc) rc = store_bind_text(st, 8, u->path);
    if (!rc) rc = store_bind_int(st, 9, now);
    if (!rc) rc = store_step(st, &row);
    store_finalize(st);
    return rc;
}

/* Rewrite the paths below u (old path old) to start with u->path, then
 * append a leaf for every rewritten unit. */
static ws_err move_subtree(store_conn *c, const org_caller *by, const org_unit *u,
                           const char *old, int64_t now)
{
    store_stmt *st = NULL;
    bool row;
    ws_err rc = store_prepare(c, Q_ORG_UNIT_MOVE_DESC, &st);
    if (!rc) rc = store_bind_text(st, 1, old);
    if (!rc) rc = store_bind_text(st, 2, u->path);
    if (!rc) rc = store_bind_int(st, 3, (int64_t)strlen(old) + 1);
    if (!rc) rc = store_bind_int(st, 4, now);
    if (!rc) rc = store_bind_int(st, 5, u->id);
    if (!rc) rc = store_step(st, &row);
    store_finalize(st);
    if (rc) return rc;

    /* Collect the ids first: audit_record runs its own statements. */
    int64_t *ids = NULL;
    size_t n = 0, cap = 0;
    rc = store_prepare(c, Q_ORG_UNIT_DESC_IDS, &st);
    if (!rc) rc = store_bind_text(st, 1, u->path);
    if (!rc) rc = store_bind_int(st, 2, u->id);
    while (!rc && !(rc = store_step(st, &row)) && row) {
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 32;
            int64_t *p = realloc(ids, ncap * sizeof *p);
            if (!p) {
                rc = ws_fail(WS_ENOMEM, NULL, "out of memory");
                break;
            }
            ids = p;
            cap = ncap;
        }
        ids[n++] = store_col_int(st, 0);
    }
    store_finalize(st);
    for (size_t i = 0; !rc && i < n; i++) rc = org_audit(c, by, &ORG_ENTITY_UNIT, ids[i], "update");
    free(ids);
    return rc;
}

/* Validate and apply a new parent to u (in memory; paths of the subtree are
 * rewritten by move_subtree after the row is written). */
static ws_err plan_move(store_conn *c, const org_caller *by, org_unit *u, int64_t parent_id)
{
    if (u->parent_id == 0)
        return ws_fail(WS_ECONFLICT, "parent_id", "the root unit cannot be moved");
    if (parent_id == u->parent_id) return WS_OK;
    if (parent_id == u->id)
        return ws_fail(WS_ECONFLICT, "parent_id", "a unit cannot be its own parent");
    org_unit np;
    ws_err rc = org_unit_get(c, parent_id, &np);
    if (!rc) rc = org_allow(by, "unit.write", np.path);
    if (rc == WS_ENOTFOUND) return ws_fail(WS_ENOTFOUND, "parent_id", "no such parent unit");
    if (rc) return rc;
    if (strncmp(np.path, u->path, strlen(u->path)) == 0)
        return ws_fail(WS_ECONFLICT, "parent_id",
                       "unit %s lies below %s: the move would make a cycle", np.code, u->code);
    if (!np.active) return ws_fail(WS_ECONFLICT, "parent_id", "the new parent is deactivated");
    rc = check_placement(u->kind, &np);
    if (rc) return rc;
    if (kind_inner(u->kind) && np.enterprise_id != u->enterprise_id)
        return ws_fail(WS_ECONFLICT, "parent_id",
                       "a unit cannot be moved to another enterprise");
    char npath[AUTH_PATH_MAX];
    rc = path_of(np.path, u->id, npath);
    if (rc) return rc;
    int64_t longest = 0;
    store_stmt *st = NULL;
    bool row = false;
    rc = store_prepare(c, Q_ORG_UNIT_MAX_PATH, &st);
    if (!rc) rc = store_bind_text(st, 1, u->path);
    if (!rc) rc = store_step(st, &row);
    if (!rc && row) longest = store_col_int(st, 0);
    store_finalize(st);
    if (rc) return rc;
    if (longest - (int64_t)strlen(u->path) + (int64_t)strlen(npath) >= AUTH_PATH_MAX)
        return ws_fail(WS_EINVAL, "parent_id", "the unit tree would be too deep");
    u->parent_id = np.id;
    org_copy(u->path, sizeof u->path, npath);
    return WS_OK;
}

ws_err org_unit_update(store_conn *c, const org_caller *by, int64_t id, const org_unit_patch *p)
{
    ws_err rc = WS_OK;
    if ((p->set & ORG_SET_KIND)) rc = check_kind(p->kind);
    if (!rc && (p->set & ORG_SET_CODE)) rc = org_check_code(p->code, "code");
    if (!rc && (p->set & ORG_SET_NAME)) rc = org_check_name(p->name, "name", ORG_NAME_MAX);
    if (!rc && (p->set & ORG_SET_TZ)) rc = check_tz(p->tz);
    if (!rc && (p->set & ORG_SET_PARENT) && p->parent_id <= 0)
        rc = ws_fail(WS_EINVAL, "parent_id", "parent_id must be a unit id");
    if (rc) return rc;

    bool own;
    rc = org_tx_begin(c, &own);
    if (rc) return rc;
    org_unit u;
    rc = org_unit_get(c, id, &u);
    if (!rc) rc = org_allow(by, "unit.write", u.path);
    if (!rc && !u.active)
        rc = ws_fail(WS_ECONFLICT, "id", "the unit is deactivated");
    if (rc) goto done;
    char old_path[AUTH_PATH_MAX];
    org_copy(old_path, sizeof old_path, u.path);
    if ((p->set & ORG_SET_KIND) && strcmp(p->kind, u.kind) != 0) {
        if (!kind_inner(u.kind) || !kind_inner(p->kind)) {
            rc = ws_fail(WS_ECONFLICT, "kind",
                         "only site, area, grid and workshop may change into one another");
            goto done;
        }
        org_copy(u.kind, sizeof u.kind, p->kind);
    }
    if ((p->set & ORG_SET_CODE) && strcmp(p->code, u.code) != 0) {
        rc = check_code_free(c, p->code, u.id);
        if (rc) goto done;
        org_copy(u.code, sizeof u.code, p->code);
    }
    if (p->set & ORG_SET_NAME) org_copy(u.name, sizeof u.name, p->name);
    if (p->set & ORG_SET_TZ) org_copy(u.tz, sizeof u.tz, p->tz);
    if (p->set & ORG_SET_LEADER) {
        rc = check_leader(c, p->leader_person_id, u.enterprise_id);
        if (rc) goto done;
        u.leader_person_id = p->leader_person_id > 0 ? p->leader_person_id : 0;
    }
    bool moved = false;
    if (p->set & ORG_SET_PARENT) {
        rc = plan_move(c, by, &u, p->parent_id);
        if (rc) goto done;
        moved = strcmp(old_path, u.path) != 0;
    }
    int64_t now = clock_now_ms();
    rc = write_unit(c, &u, now);
    if (!rc && moved) rc = move_subtree(c, by, &u, old_path, now);
    if (!rc) rc = org_audit(c, by, &ORG_ENTITY_UNIT, u.id, moved ? "move" : "update");
done:
    return org_tx_end(c, own, rc);
}

ws_err org_unit_deactivate(store_conn *c, const org_caller *by, int64_t id)
{
    bool own;
    ws_err rc = org_tx_begin(c, &own);
    if (rc) return rc;
    org_unit u;
    int64_t n = 0;
    rc = org_unit_get(c, id, &u);
    if (!rc) rc = org_allow(by, "unit.write", u.path);
    if (!rc && !u.active) rc = ws_fail(WS_ECONFLICT, "id", "the unit is already deactivated");
    if (!rc) rc = org_query_int(c, Q_ORG_UNIT_ACTIVE_CHILDREN, 1, id, 0, &n);
    if (!rc && n > 0)
        rc = ws_fail(WS_ECONFLICT, "id",
                     "the unit has %lld active child unit(s); deactivate them first",
                     (long long)n);
    if (!rc) rc = org_query_int(c, Q_ORG_UNIT_ACTIVE_PEOPLE, 1, id, 0, &n);
    if (!rc && n > 0)
        rc = ws_fail(WS_ECONFLICT, "id",
                     "the unit has %lld active people; transfer or deactivate them first",
                     (long long)n);
    if (!rc) {
        store_stmt *st = NULL;
        bool row;
        rc = store_prepare(c, Q_ORG_UNIT_SET_ACTIVE, &st);
        if (!rc) rc = store_bind_int(st, 1, id);
        if (!rc) rc = store_bind_int(st, 2, 0);
        if (!rc) rc = store_bind_int(st, 3, clock_now_ms());
        if (!rc) rc = store_step(st, &row);
        store_finalize(st);
    }
    if (!rc) rc = org_audit(c, by, &ORG_ENTITY_UNIT, id, "deactivate");
    return org_tx_end(c, own, rc);
}

/* ------------------------------------------------------------------ reads */

/* Run a unit query and collect up to cap rows. */
static ws_err collect_units(store_stmt *st, size_t cap, org_unit **items, size_t *n)
{
    bool row;
    ws_err rc;
    org_unit *v = NULL;
    size_t len = 0, alloc = 0;
    while (!(rc = store_step(st, &row)) && row) {
        if (len == cap) break;
        if (len == alloc) {
            size_t na = alloc ? alloc * 2 : 16;
            org_unit *p = realloc(v, na * sizeof *p);
            if (!p) {
                rc = ws_fail(WS_ENOMEM, NULL, "out of memory");
                break;
            }
            v = p;
            alloc = na;
        }
        org_unit_row(st, &v[len++]);
    }
    if (rc) {
        free(v);
        return rc;
    }
    *items = v;
    *n = len;
    return WS_OK;
}

ws_err org_unit_list(store_conn *c, const org_unit_filter *f, org_unit **items, size_t *n,
                     int64_t *next)
{
    int limit = f->limit > 0 && f->limit <= 200 ? f->limit : 50;
    store_stmt *st = NULL;
    *items = NULL;
    *n = 0;
    *next = 0;
    ws_err rc = store_prepare(c, Q_ORG_UNIT_LIST, &st);
    if (!rc) rc = store_bind_text(st, 1, f->scope_path ? f->scope_path : "/");
    if (!rc) rc = store_bind_int(st, 2, f->parent_id > 0 ? f->parent_id : 0);
    if (!rc) rc = store_bind_text(st, 3, f->kind ? f->kind : "");
    if (!rc) rc = store_bind_int(st, 4, f->active < 0 ? -1 : f->active ? 1 : 0);
    if (!rc) rc = store_bind_int(st, 5, f->cursor);
    if (!rc) rc = store_bind_int(st, 6, limit + 1);
    if (!rc) rc = collect_units(st, (size_t)limit + 1, items, n);
    store_finalize(st);
    if (!rc && *n > (size_t)limit) {
        *n = (size_t)limit;
        *next = (*items)[limit - 1].id;
    }
    return rc;
}

ws_err org_unit_subtree(store_conn *c, const org_unit *root, size_t max, org_unit **items,
                        size_t *n)
{
    store_stmt *st = NULL;
    *items = NULL;
    *n = 0;
    ws_err rc = store_prepare(c, Q_ORG_UNIT_SUBTREE, &st);
    if (!rc) rc = store_bind_text(st, 1, root->path);
    if (!rc) rc = store_bind_int(st, 2, (int64_t)max + 1);
    if (!rc) rc = collect_units(st, max + 1, items, n);
    store_finalize(st);
    if (!rc && *n > max) {
        free(*items);
        *items = NULL;
        *n = 0;
        rc = ws_fail(WS_ETOOBIG, NULL, "the subtree has more than %zu units", max);
    }
    return rc;
}
