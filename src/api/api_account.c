/* api_account.c — accounts, for administrators.
 *
 *   GET   /api/v1/accounts                      accounts whose scope lies in the caller's
 *                                               (?format=xlsx|csv: every one, as the 账号台账)
 *   POST  /api/v1/accounts                      {username, password?, roles:[..],
 *                                               scope_unit_id, person_id?,
 *                                               must_change_password?} -> 201 account
 *                                               (+ initial_password when generated)
 *   GET   /api/v1/accounts/{id}
 *   PATCH /api/v1/accounts/{id}                 {roles?, scope_unit_id?, person_id?}
 *   POST  /api/v1/accounts/{id}/actions/reset_password -> {initial_password}
 *   POST  /api/v1/accounts/{id}/actions/unlock | deactivate | activate -> account
 *
 * Rules on top of the policy (account.read: admin, manager; account.write:
 * admin; both within the caller's scope, else 404):
 *   - a new or changed scope_unit_id must lie inside the caller's scope (404
 *     naming "scope_unit_id"), so an admin cannot hand out reach it does not
 *     have; the same for person_id;
 *   - a regulator account cannot also be an admin (400, "roles");
 *   - nobody changes their own roles or scope, or deactivates themselves;
 *   - an account whose password the server generated (create without a
 *     password, or reset) must change it at the next sign-in; when the
 *     admin sets the password, must_change_password (default false) says.
 * Every change is a leaf in the evidence log (src/auth/account.c); role and
 * scope changes have the action "permission_change". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/api_ledger.h"
#include "core/clock.h"

static json_t *roles_json(unsigned roles)
{
    json_t *a = json_array();
    for (unsigned bit = 1; bit & ROLE_ALL; bit <<= 1) {
        if (!(roles & bit)) continue;
        char name[32];
        auth_roles_format(bit, name, sizeof name);
        json_array_append_new(a, json_string(name));
    }
    return a;
}

/* ["admin","manager"] -> bits; WS_EINVAL naming "roles". */
static ws_err roles_from_json(const json_t *arr, unsigned *roles)
{
    size_t i;
    json_t *v;
    unsigned set = 0;
    if (!json_array_size(arr)) return ws_fail(WS_EINVAL, "roles", "at least one role is required");
    json_array_foreach(arr, i, v) {
        unsigned one;
        if (!json_is_string(v) || strchr(json_string_value(v), ','))
            return ws_fail(WS_EINVAL, "roles", "roles must be a list of role names");
        ws_err rc = auth_roles_parse(json_string_value(v), &one);
        if (rc) return rc;
        set |= one;
    }
    *roles = set;
    return auth_roles_check(set);
}

static json_t *account_json(const auth_account *a)
{
    int64_t now = clock_now_ms();
    json_t *o = json_object();
    json_object_set_new(o, "id", json_id(a->id));
    json_object_set_new(o, "username", json_str(a->username));
    json_object_set_new(o, "roles", roles_json(a->roles));
    json_object_set_new(o, "scope_unit_id", json_id(a->scope_unit_id));
    json_object_set_new(o, "person_id", json_id(a->person_id));
    json_object_set_new(o, "active", json_boolean(a->active));
    json_object_set_new(o, "must_change_password", json_boolean(a->must_change_password));
    json_object_set_new(o, "locked", json_boolean(a->locked_until > now));
    json_object_set_new(o, "locked_until", json_time(a->locked_until > now ? a->locked_until : 0));
    json_object_set_new(o, "failed_logins", json_integer(a->failed_count));
    json_object_set_new(o, "last_login_at", json_time(a->last_login_at));
    json_object_set_new(o, "created_at", json_time(a->created_at));
    json_object_set_new(o, "updated_at", json_time(a->updated_at));
    return o;
}

static ws_err reply_account(api_ctx *ctx, int status, int64_t id)
{
    auth_account a;
    ws_err rc = auth_account_get(ctx->conn, id, &a);
    if (rc) return rc;
    return api_reply_json(ctx, status, account_json(&a));
}

/* The account of path parameter 0, checked against the caller's scope for
 * action; WS_ENOTFOUND when missing or outside. */
static ws_err load_target(api_ctx *ctx, const char *action, auth_account *a)
{
    int64_t id;
    ws_err rc = api_param_id(ctx, 0, &id);
    if (!rc) rc = auth_account_get(ctx->conn, id, a);
    if (!rc) {
        auth_resource r = {.unit_path = a->scope_path, .owner_account_id = a->id};
        rc = auth_decide(&ctx->who, action, &r);
    }
    if (rc == WS_ENOTFOUND) return ws_fail(WS_ENOTFOUND, "id", "no such account");
    return rc;
}

/* A unit or person the caller hands to an account must be in its scope. */
static ws_err check_unit_in_scope(api_ctx *ctx, int64_t unit_id)
{
    char path[AUTH_PATH_MAX];
    ws_err rc = auth_unit_path(ctx->conn, unit_id, "scope_unit_id", path, sizeof path);
    if (!rc && !auth_in_scope(&ctx->who, path)) rc = WS_ENOTFOUND;
    if (rc == WS_ENOTFOUND)
        return ws_fail(WS_ENOTFOUND, "scope_unit_id", "no such unit in your scope");
    return rc;
}

static ws_err check_person_in_scope(api_ctx *ctx, int64_t person_id)
{
    char path[AUTH_PATH_MAX];
    ws_err rc = auth_person_unit_path(ctx->conn, person_id, "person_id", path, sizeof path);
    if (!rc && !auth_in_scope(&ctx->who, path)) rc = WS_ENOTFOUND;
    if (rc == WS_ENOTFOUND) return ws_fail(WS_ENOTFOUND, "person_id", "no such person in your scope");
    return rc;
}

/* ---- list ---- */

static const ledger_col account_ledger_cols[] = {
    {"用户名", LEDGER_TEXT, 16},   {"角色", LEDGER_TEXT, 24},     {"管辖单位", LEDGER_TEXT, 28},
    {"关联人员", LEDGER_TEXT, 12}, {"状态", LEDGER_TEXT, 8},      {"需修改密码", LEDGER_TEXT, 10},
    {"最后登录", LEDGER_TIME, 18}, {"创建时间", LEDGER_TIME, 18},
};
static const ledger_spec account_ledger = {"账号台账", NULL, true, account_ledger_cols, 8, 0};

/* Every account in the caller's scope, as a ledger (no passwords, no hashes). */
static ws_err export(api_ctx *ctx, ledger_format fmt)
{
    ledger *l = NULL;
    api_names *names = api_names_new(ctx->conn);
    auth_account *rows = calloc(API_LEDGER_PAGE, sizeof *rows);
    ws_err rc = names && rows ? ledger_open(&account_ledger, fmt, &l)
                              : ws_fail(WS_ENOMEM, NULL, "out of memory");
    int64_t cursor = 0;
    int n = 0;
    int64_t now = clock_now_ms();
    do {
        if (!rc) rc = auth_account_list(ctx->conn, ctx->who.scope_path, cursor, API_LEDGER_PAGE, rows, &n);
        for (int i = 0; !rc && i < n; i++) {
            const auth_account *a = &rows[i];
            const char *tz = NULL;
            char roles[256];
            const char *scope = api_unit_name(names, a->scope_unit_id, &tz);
            rc = ledger_text(l, a->username);
            if (!rc) rc = ledger_text(l, api_roles_zh(a->roles, roles, sizeof roles));
            if (!rc) rc = ledger_text(l, scope);
            if (!rc) rc = ledger_text(l, api_person_name(names, a->person_id));
            if (!rc) rc = ledger_text(l, !a->active ? "已停用" : a->locked_until > now ? "已锁定" : "启用");
            if (!rc) rc = ledger_text(l, a->must_change_password ? "是" : "否");
            if (!rc) rc = ledger_time(l, a->last_login_at, tz);
            if (!rc) rc = ledger_time(l, a->created_at, tz);
            if (!rc) rc = ledger_row_end(l);
        }
        if (n > 0) cursor = rows[n - 1].id;
    } while (!rc && n == API_LEDGER_PAGE);
    rc = api_ledger_finish(ctx, &account_ledger, fmt, l, names, rc);
    free(rows);
    return rc;
}

static ws_err list(api_ctx *ctx)
{
    int limit;
    int64_t cursor;
    ledger_format fmt;
    bool file = false;
    ws_err rc = api_ledger_format(ctx, &fmt, &file);
    if (!rc) rc = api_page(ctx, &limit, &cursor);
    if (rc) return rc;
    if (file) return export(ctx, fmt);
    auth_account *rows = calloc((size_t)limit + 1, sizeof *rows);
    if (!rows) return ws_fail(WS_ENOMEM, NULL, "out of memory");
    int n = 0;
    rc = auth_account_list(ctx->conn, ctx->who.scope_path, cursor, limit + 1, rows, &n);
    if (rc) goto out;
    json_t *items = json_array();
    for (int i = 0; i < n && i < limit; i++) json_array_append_new(items, account_json(&rows[i]));
    json_t *o = json_object();
    json_object_set_new(o, "items", items);
    json_object_set_new(o, "next_cursor", n > limit ? json_id(rows[limit - 1].id) : json_null());
    rc = api_reply_json(ctx, 200, o);
out:
    free(rows);
    return rc;
}

/* ---- create ---- */

typedef struct {
    const char *username;
    const char *password;
    json_t *roles;
    int64_t scope_unit_id;
    int64_t person_id;
    bool must_change_password;
} create_body;

static const json_field create_fields[] = {
    {"username", JF_STRING, true, false, offsetof(create_body, username), 63, 0, 0, -1},
    {"password", JF_STRING, false, true, offsetof(create_body, password), 1024, 0, 0, -1},
    {"roles", JF_ARRAY, true, false, offsetof(create_body, roles), 7, 0, 0, -1},
    {"scope_unit_id", JF_ID, true, false, offsetof(create_body, scope_unit_id), 0, 0, 0, -1},
    {"person_id", JF_ID, false, true, offsetof(create_body, person_id), 0, 0, 0, -1},
    {"must_change_password", JF_BOOL, false, false, offsetof(create_body, must_change_password), 0,
     0, 0, -1},
};
#define N_CREATE (sizeof create_fields / sizeof create_fields[0])

static ws_err create(api_ctx *ctx)
{
    create_body b = {0};
    json_t *root = NULL;
    unsigned roles = 0;
    char pw[17] = "", actor_name[32];
    int64_t id = 0;
    ws_err rc = api_decode(ctx, create_fields, N_CREATE, &b, NULL, &root);
    if (rc) return rc;
    rc = roles_from_json(b.roles, &roles);
    if (!rc) rc = check_unit_in_scope(ctx, b.scope_unit_id);
    if (!rc && b.person_id) rc = check_person_in_scope(ctx, b.person_id);
    if (rc) goto out;
    if (!b.password) auth_random_password(pw, sizeof pw);
    audit_actor who = {api_actor(ctx, actor_name, sizeof actor_name)};
    rc = auth_create_account(ctx->conn, &who, b.username, b.password ? b.password : pw, roles,
                             b.scope_unit_id, b.person_id, !b.password || b.must_change_password,
                             &id);
    if (rc) goto out;
    auth_account a;
    rc = auth_account_get(ctx->conn, id, &a);
    if (rc) goto out;
    json_t *o = account_json(&a);
    if (!b.password) json_object_set_new(o, "initial_password", json_string(pw));
    rc = api_reply_json(ctx, 201, o);
out:
    memset(pw, 0, sizeof pw);
    json_decref(root);
    return rc;
}

/* ---- get ---- */

static ws_err get(api_ctx *ctx)
{
    auth_account a;
    ws_err rc = load_target(ctx, "account.read", &a);
    if (rc) return rc;
    return api_reply_json(ctx, 200, account_json(&a));
}

/* ---- patch ---- */

typedef struct {
    json_t *roles;
    int64_t scope_unit_id;
    int64_t person_id;
} patch_body;

enum { P_ROLES, P_SCOPE, P_PERSON };
static const json_field patch_fields[] = {
    {"roles", JF_ARRAY, false, false, offsetof(patch_body, roles), 7, 0, 0, -1},
    {"scope_unit_id", JF_ID, false, false, offsetof(patch_body, scope_unit_id), 0, 0, 0, -1},
    {"person_id", JF_ID, false, true, offsetof(patch_body, person_id), 0, 0, 0, -1},
};
#define N_PATCH (sizeof patch_fields / sizeof patch_fields[0])

static ws_err patch(api_ctx *ctx)
{
    auth_account a;
    patch_body b = {0};
    uint64_t present = 0;
    json_t *root = NULL;
    unsigned roles = 0;
    char actor_name[32];
    ws_err rc = load_target(ctx, "account.write", &a);
    if (rc) return rc;
    rc = api_decode(ctx, patch_fields, N_PATCH, &b, &present, &root);
    if (rc) return rc;
    bool has_roles = present & (1u << P_ROLES), has_scope = present & (1u << P_SCOPE),
         has_person = present & (1u << P_PERSON);
    if (has_roles) rc = roles_from_json(b.roles, &roles);
    if (!rc && a.id == ctx->who.account_id &&
        ((has_roles && roles != a.roles) || (has_scope && b.scope_unit_id != a.scope_unit_id)))
        rc = ws_fail(WS_EFORBIDDEN, has_roles ? "roles" : "scope_unit_id",
                     "you cannot change your own roles or scope; ask another administrator");
    if (!rc && has_scope && b.scope_unit_id != a.scope_unit_id)
        rc = check_unit_in_scope(ctx, b.scope_unit_id);
    if (!rc && has_person && b.person_id && b.person_id != a.person_id)
        rc = check_person_in_scope(ctx, b.person_id);
    if (rc) goto out;
    audit_actor who = {api_actor(ctx, actor_name, sizeof actor_name)};
    rc = auth_account_update(ctx->conn, &who, a.id, has_roles ? &roles : NULL,
                             has_scope ? &b.scope_unit_id : NULL,
                             has_person ? &b.person_id : NULL);
    if (!rc) rc = reply_account(ctx, 200, a.id);
out:
    json_decref(root);
    return rc;
}

/* ---- actions ---- */

static ws_err reset_password(api_ctx *ctx)
{
    ws_err nb = api_no_body(ctx);
    if (nb) return nb;
    auth_account a;
    char pw[17], actor_name[32];
    ws_err rc = load_target(ctx, "account.write", &a);
    if (rc) return rc;
    /* one's own password is changed with the current one (POST
     * /api/v1/auth/password): a stolen session must not set a new one */
    if (a.id == ctx->who.account_id)
        return ws_fail(WS_ECONFLICT, "id",
                       "you cannot reset your own password; change it with your current one");
    audit_actor who = {api_actor(ctx, actor_name, sizeof actor_name)};
    rc = auth_reset_password(ctx->conn, &who, a.id, pw, sizeof pw);
    if (rc) return rc;
    json_t *o = json_object();
    json_object_set_new(o, "initial_password", json_string(pw));
    memset(pw, 0, sizeof pw);
    return api_reply_json(ctx, 200, o);
}

static ws_err unlock(api_ctx *ctx)
{
    ws_err nb = api_no_body(ctx);
    if (nb) return nb;
    auth_account a;
    char actor_name[32];
    ws_err rc = load_target(ctx, "account.write", &a);
    if (rc) return rc;
    audit_actor who = {api_actor(ctx, actor_name, sizeof actor_name)};
    rc = auth_account_unlock(ctx->conn, &who, a.id);
    return rc ? rc : reply_account(ctx, 200, a.id);
}

static ws_err set_active(api_ctx *ctx, bool active)
{
    ws_err nb = api_no_body(ctx);
    if (nb) return nb;
    auth_account a;
    char actor_name[32];
    ws_err rc = load_target(ctx, "account.write", &a);
    if (rc) return rc;
    if (!active && a.id == ctx->who.account_id)
        return ws_fail(WS_ECONFLICT, "id", "you cannot deactivate your own account");
    audit_actor who = {api_actor(ctx, actor_name, sizeof actor_name)};
    rc = auth_account_set_active(ctx->conn, &who, a.id, active);
    return rc ? rc : reply_account(ctx, 200, a.id);
}

static ws_err deactivate(api_ctx *ctx) { return set_active(ctx, false); }
static ws_err activate(api_ctx *ctx) { return set_active(ctx, true); }

const api_route api_account_routes[] = {
    {"GET", "/api/v1/accounts", list, API_AUTH, "account.read",
     "Accounts whose scope lies inside the caller's (?format=xlsx|csv: the 账号台账 file)", "accounts", NULL, 0},
    {"POST", "/api/v1/accounts", create, API_AUTH, "account.write",
     "Create an account (a password is generated when none is given)", "accounts", create_fields,
     N_CREATE},
    {"GET", "/api/v1/accounts/{id}", get, API_AUTH, "account.read", "One account", "accounts",
     NULL, 0},
    {"PATCH", "/api/v1/accounts/{id}", patch, API_AUTH, "account.write",
     "Change roles, scope or person (a permission change)", "accounts", patch_fields, N_PATCH},
    {"POST", "/api/v1/accounts/{id}/actions/reset_password", reset_password, API_AUTH,
     "account.write", "Set a new random password that must be changed at next sign-in",
     "accounts", NULL, 0},
    {"POST", "/api/v1/accounts/{id}/actions/unlock", unlock, API_AUTH, "account.write",
     "Clear failed sign-ins and any lock", "accounts", NULL, 0},
    {"POST", "/api/v1/accounts/{id}/actions/deactivate", deactivate, API_AUTH, "account.write",
     "Deactivate an account (its sessions end)", "accounts", NULL, 0},
    {"POST", "/api/v1/accounts/{id}/actions/activate", activate, API_AUTH, "account.write",
     "Activate an account again", "accounts", NULL, 0},
};
const size_t api_account_nroutes = sizeof api_account_routes / sizeof api_account_routes[0];
