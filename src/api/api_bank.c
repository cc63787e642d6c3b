/* api_bank.c — the points bank over REST (src/bank; docs/internals/bank.md).
 *
 *   GET  /api/v1/bank/me                   my balance and statement (the account's person)
 *   POST /api/v1/bank/redeem {item_id}     redeem a reward (409 when the balance is short)
 *   GET  /api/v1/bank/items                the catalogue       POST /api/v1/bank/items (bank.admin)
 *   GET  /api/v1/bank/rules                the earning rules   PUT /api/v1/bank/rules/{key} (bank.admin)
 *   GET  /api/v1/bank/leaderboard ?by=unit|department|person&unit_id=&days=
 * Anonymous receipt codes redeem through /api/v1/public/reports/redeem. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "bank/bank.h"
#include "core/clock.h"

static ws_err me(api_ctx *ctx)
{
    if (ctx->who.person_id < 1)
        return api_reply_json(ctx, 200, json_pack("{s:b,s:i,s:i,s:[]}", "person", 0, "balance", 0, "earned", 0,
                                                  "entries"));
    json_t *o = NULL;
    bank_holder_ref h = {ctx->who.person_id, 0};
    ws_err rc = bank_statement(ctx->conn, h, 100, &o);
    if (rc) return rc;
    json_object_set_new(o, "person", json_true());
    return api_reply_json(ctx, 200, o);
}

typedef struct redeem_body {
    int64_t item_id;
} redeem_body;
static const json_field redeem_fields[] = {
    {"item_id", JF_ID, true, false, offsetof(redeem_body, item_id), 0, 0, 0, -1},
};

static ws_err redeem(api_ctx *ctx)
{
    redeem_body b = {0};
    json_t *root = NULL;
    ws_err rc = api_decode(ctx, redeem_fields, 1, &b, NULL, &root);
    json_decref(root);
    if (rc) return rc;
    if (ctx->who.person_id < 1)
        return ws_fail(WS_EFORBIDDEN, "person", "this account is not linked to a person");
    char abuf[32];
    audit_actor who = {api_actor(ctx, abuf, sizeof abuf)};
    bank_holder_ref h = {ctx->who.person_id, 0};
    int64_t entry = 0, bal = 0;
    rc = bank_redeem(ctx->conn, &who, h, b.item_id, &entry, &bal);
    if (rc) return rc;
    return api_reply_json(ctx, 201, json_pack("{s:I,s:I}", "pickup_no", (json_int_t)entry, "balance", (json_int_t)bal));
}

static ws_err items(api_ctx *ctx)
{
    json_t *a = NULL;
    ws_err rc = bank_items_json(ctx->conn, false, &a);
    return rc ? rc : api_reply_json(ctx, 200, json_pack("{s:o}", "items", a));
}

typedef struct item_body {
    const char *code, *name;
    int64_t cost, stock;
    bool needs_name;
} item_body;
static const json_field item_fields[] = {
    {"code", JF_STRING, true, false, offsetof(item_body, code), BANK_CODE_MAX, 0, 0, -1},
    {"name", JF_STRING, true, false, offsetof(item_body, name), BANK_NAME_MAX, 0, 0, -1},
    {"cost", JF_INT, true, false, offsetof(item_body, cost), 0, 1, BANK_POINTS_MAX, -1},
    {"needs_name", JF_BOOL, true, false, offsetof(item_body, needs_name), 0, 0, 0, -1},
    {"stock", JF_INT, false, true, offsetof(item_body, stock), 0, 0, 1000000, 4},
};

static ws_err item_create(api_ctx *ctx)
{
    item_body b = {0};
    uint64_t present = 0;
    json_t *root = NULL;
    ws_err rc = api_decode(ctx, item_fields, 5, &b, &present, &root);
    if (rc) return rc;
    char abuf[32];
    audit_actor who = {api_actor(ctx, abuf, sizeof abuf)};
    bool has_stock = (present & (1u << 4)) && !json_is_null(json_object_get(root, "stock"));
    bank_item_in in = {b.code, b.name, b.cost, b.needs_name, has_stock ? b.stock : -1};
    int64_t id = 0;
    rc = bank_item_create(ctx->conn, &who, &in, &id);
    json_decref(root);
    if (rc) return rc;
    return api_reply_json(ctx, 201, json_pack("{s:I}", "id", (json_int_t)id));
}

static ws_err rules(api_ctx *ctx)
{
    json_t *a = NULL;
    ws_err rc = bank_rules_json(ctx->conn, &a);
    return rc ? rc : api_reply_json(ctx, 200, json_pack("{s:o}", "items", a));
}

typedef struct rule_body {
    int64_t points;
    bool active;
} rule_body;
static const json_field rule_fields[] = {
    {"points", JF_INT, true, false, offsetof(rule_body, points), 0, 0, BANK_POINTS_MAX, -1},
    {"active", JF_BOOL, true, false, offsetof(rule_body, active), 0, 0, 0, -1},
};

static ws_err rule_put(api_ctx *ctx)
{
    rule_body b = {0};
    json_t *root = NULL;
    ws_err rc = api_decode(ctx, rule_fields, 2, &b, NULL, &root);
    json_decref(root);
    if (rc) return rc;
    char abuf[32];
    audit_actor who = {api_actor(ctx, abuf, sizeof abuf)};
    rc = bank_rule_set(ctx->conn, &who, ctx->req->params[0], b.points, b.active);
    return rc ? rc : rules(ctx);
}

static ws_err board(api_ctx *ctx)
{
    int64_t unit_id = 0, days = 30;
    ws_err rc = api_query_id(ctx, "unit_id", &unit_id);
    if (rc) return rc;
    const char *d = api_query(ctx, "days");
    if (d) {
        char *end = NULL;
        days = strtoll(d, &end, 10);
        if (!end || *end || days < 1 || days > 3660) return ws_fail(WS_EINVAL, "days", "days: 1 to 3660");
    }
    char path[AUTH_PATH_MAX];
    snprintf(path, sizeof path, "%s", ctx->who.scope_path);
    if (unit_id) {
        char up[AUTH_PATH_MAX];
        rc = auth_unit_path(ctx->conn, unit_id, "unit_id", up, sizeof up);
        if (rc) return rc;
        if (!auth_in_scope(&ctx->who, up)) return ws_fail(WS_ENOTFOUND, "unit_id", "no such unit");
        snprintf(path, sizeof path, "%s", up);
    }
    const char *by = api_query(ctx, "by");
    json_t *a = NULL;
    rc = bank_board(ctx->conn, path, by ? by : "person", clock_now_ms() - days * 86400000LL, 20, &a);
    return rc ? rc : api_reply_json(ctx, 200, json_pack("{s:s,s:I,s:o}", "by", by ? by : "person", "days",
                                                        (json_int_t)days, "items", a));
}

#define R(m, p, fn, act, sum) {m, p, fn, API_AUTH, act, sum, "points bank", NULL, 0, 0}
const api_route api_bank_routes[] = {
    R("GET", "/api/v1/bank/me", me, "bank.read", "My points 积分: balance, earned, the newest 100 entries"),
    R("POST", "/api/v1/bank/redeem", redeem, "bank.redeem",
      "Redeem a reward {item_id}; 409 naming balance when the points do not cover it"),
    R("GET", "/api/v1/bank/items", items, "bank.read", "The rewards catalogue (cost, needs a name, stock)"),
    R("POST", "/api/v1/bank/items", item_create, "bank.admin",
      "Add a reward {code, name, cost, needs_name, stock (null = unlimited)}"),
    R("GET", "/api/v1/bank/rules", rules, "bank.read", "The rules that earn points, as data"),
    R("PUT", "/api/v1/bank/rules/{key}", rule_put, "bank.admin", "Change a rule {points, active}"),
    R("GET", "/api/v1/bank/leaderboard", board, "bank.read",
      "Points earned in the last ?days= (30) by people under ?unit_id=, ?by=unit|department|person"),
};
const size_t api_bank_nroutes = sizeof api_bank_routes / sizeof api_bank_routes[0];
