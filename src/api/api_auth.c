/* api_auth.c — sign in and out, change one's password, and GET /me.
 *
 *   POST /api/v1/auth/login     {username, password} -> 200 {token, expires_at, user}
 *                               and the cookie ws_session (HttpOnly,
 *                               SameSite=Strict, Secure over TLS); 401 for a
 *                               wrong user or password (one message), 423
 *                               while locked.
 *   POST /api/v1/auth/logout    -> 204, the session revoked, the cookie cleared
 *   POST /api/v1/auth/password  {old_password, new_password} -> 204
 *   GET  /api/v1/me             who am I: roles, person, scope unit
 * The logic is in src/auth; this file only maps JSON to it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"

#define COOKIE_ATTRS "; Path=/; HttpOnly; SameSite=Strict"

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

/* ---- login ---- */

typedef struct {
    const char *username;
    const char *password;
} login_body;

static const json_field login_fields[] = {
    {"username", JF_STRING, true, false, offsetof(login_body, username), 64, 0, 0, -1},
    {"password", JF_STRING, true, false, offsetof(login_body, password), 1024, 0, 0, -1},
};

static ws_err login(api_ctx *ctx)
{
    login_body b = {0};
    json_t *root = NULL;
    char token[65], cookie[160];
    auth_subject s;
    int64_t expires = 0;
    ws_err rc = api_decode(ctx, login_fields, 2, &b, NULL, &root);
    if (rc) return rc;
    rc = auth_login(ctx->conn, b.username, b.password, token, &s, &expires);
    json_decref(root);
    if (rc) return rc;
    json_t *user = json_object();
    json_object_set_new(user, "id", json_id(s.account_id));
    json_object_set_new(user, "username", json_str(s.username));
    json_object_set_new(user, "roles", roles_json(s.roles));
    json_object_set_new(user, "scope_unit_id", json_id(s.scope_unit_id));
    json_object_set_new(user, "person_id", json_id(s.person_id));
    json_object_set_new(user, "must_change_password", json_boolean(s.must_change_password));
    json_t *o = json_object();
    json_object_set_new(o, "token", json_string(token));
    json_object_set_new(o, "expires_at", json_time(expires));
    json_object_set_new(o, "user", user);
    snprintf(cookie, sizeof cookie, "ws_session=%s" COOKIE_ATTRS "%s", token,
             ctx->req->tls ? "; Secure" : "");
    memset(token, 0, sizeof token);
    rc = api_reply_json(ctx, 200, o);
    if (!rc) api_add_header(ctx->resp, "Set-Cookie", cookie);
    memset(cookie, 0, sizeof cookie);
    return rc;
}

/* ---- logout ---- */

static ws_err logout(api_ctx *ctx)
{
    ws_err nb = api_no_body(ctx);
    if (nb) return nb;
    ws_err rc = auth_logout(ctx->conn, &ctx->who);
    if (rc) return rc;
    ctx->resp->status = 204;
    api_add_header(ctx->resp, "Set-Cookie",
                   ctx->req->tls ? "ws_session=; Max-Age=0" COOKIE_ATTRS "; Secure"
                                 : "ws_session=; Max-Age=0" COOKIE_ATTRS);
    return WS_OK;
}

/* ---- password change ---- */

typedef struct {
    const char *old_password;
    const char *new_password;
} password_body;

static const json_field password_fields[] = {
    {"old_password", JF_STRING, true, false, offsetof(password_body, old_password), 1024, 0, 0, -1},
    {"new_password", JF_STRING, true, false, offsetof(password_body, new_password), 1024, 0, 0, -1},
};

static ws_err change_password(api_ctx *ctx)
{
    password_body b = {0};
    json_t *root = NULL;
    ws_err rc = api_decode(ctx, password_fields, 2, &b, NULL, &root);
    if (rc) return rc;
    rc = auth_change_password(ctx->conn, &ctx->who, b.old_password, b.new_password);
    json_decref(root);
    if (rc) return rc;
    ctx->resp->status = 204;
    return WS_OK;
}

/* ---- me ---- */

/* The units above the scope unit, root first, from its materialised path
 * ("/1/4/9/" gives 1 and 4), so a page can show where the scope sits even
 * though units above it are outside the caller's scope for reading. New
 * reference; NULL on a store error. */
static json_t *ancestors_json(api_ctx *ctx, const char *path, int64_t self)
{
    json_t *a = json_array();
    for (const char *p = path; *p == '/' && p[1];) {
        char *end;
        long long id = strtoll(p + 1, &end, 10);
        if (end == p + 1 || *end != '/' || id == self) break;
        auth_unit_info u;
        if (auth_unit_info_get(ctx->conn, id, &u)) {
            json_decref(a);
            return NULL;
        }
        json_t *o = json_object();
        json_object_set_new(o, "id", json_id(u.id));
        json_object_set_new(o, "name", json_str(u.name));
        json_object_set_new(o, "kind", json_str(u.kind));
        json_array_append_new(a, o);
        p = end;
    }
    return a;
}

static ws_err me(api_ctx *ctx)
{
    const auth_subject *s = &ctx->who;
    auth_unit_info u;
    auth_person_info p;
    ws_err rc = auth_unit_info_get(ctx->conn, s->scope_unit_id, &u);
    if (rc) return rc;
    json_t *person = json_null();
    if (s->person_id) {
        rc = auth_person_info_get(ctx->conn, s->person_id, &p);
        if (rc == WS_OK) {
            json_decref(person);
            person = json_object();
            json_object_set_new(person, "id", json_id(p.id));
            json_object_set_new(person, "name", json_str(p.name));
            json_object_set_new(person, "unit_id", json_id(p.unit_id));
            json_object_set_new(person, "department_id", json_id(p.department_id));
            json_object_set_new(person, "employee_no", json_str(p.employee_no[0] ? p.employee_no : NULL));
        } else if (rc != WS_ENOTFOUND) {
            json_decref(person);
            return rc;
        }
        ws_err_clear();
    }
    json_t *anc = ancestors_json(ctx, u.path, u.id);
    if (!anc) {
        json_decref(person);
        return WS_ESTORE;
    }
    json_t *scope = json_object();
    json_object_set_new(scope, "ancestors", anc);
    json_object_set_new(scope, "id", json_id(u.id));
    json_object_set_new(scope, "name", json_str(u.name));
    json_object_set_new(scope, "kind", json_str(u.kind));
    json_object_set_new(scope, "path", json_str(u.path));
    json_t *o = json_object();
    json_object_set_new(o, "id", json_id(s->account_id));
    json_object_set_new(o, "username", json_str(s->username));
    json_object_set_new(o, "roles", roles_json(s->roles));
    json_object_set_new(o, "person", person);
    json_object_set_new(o, "scope", scope);
    json_object_set_new(o, "must_change_password", json_boolean(s->must_change_password));
    return api_reply_json(ctx, 200, o);
}

const api_route api_auth_routes[] = {
    {"POST", "/api/v1/auth/login", login, API_PUBLIC, NULL,
     "Sign in; returns a bearer token and sets the ws_session cookie", "auth", login_fields, 2},
    {"POST", "/api/v1/auth/logout", logout, API_AUTH, NULL, "Sign out (revokes the session)",
     "auth", NULL, 0},
    {"POST", "/api/v1/auth/password", change_password, API_AUTH, "auth.password",
     "Change one's own password", "auth", password_fields, 2},
    {"GET", "/api/v1/me", me, API_AUTH, "me.read", "The signed-in account, its person and scope",
     "auth", NULL, 0},
};
const size_t api_auth_nroutes = sizeof api_auth_routes / sizeof api_auth_routes[0];
