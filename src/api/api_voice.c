/* api_voice.c — anonymous reports over REST (src/voice; docs/internals/voice.md).
 *
 * The reporter's door (API_ANON: no token or cookie is read, nothing about the
 * caller but the peer address reaches the in-memory rate limiter):
 *   GET  /api/v1/public/report-form          the places and categories to choose from
 *   POST /api/v1/public/reports              send {unit_id, category, text, photos: [base64]}
 *                                            -> 201 {receipt_code, number, due_at}
 *   POST /api/v1/public/reports/follow       {code} -> the report, replies, points
 *   POST /api/v1/public/reports/message      {code, text}
 *   POST /api/v1/public/reports/rate         {code, rating 1..5}
 *   POST /api/v1/public/reports/redeem       {code, item_id}: a reward that needs no name
 *   GET  /api/v1/public/rewards              the rewards that need no name
 * The receipt code travels in bodies, never in a URL (proxies log URLs).
 *
 * The staff (voice.read / voice.answer, in scope; outside it 404):
 *   GET  /api/v1/voice/reports ?state=&unit_id=   GET /api/v1/voice/stats ?unit_id=
 *   GET  /api/v1/voice/reports/{id}
 *   POST /api/v1/voice/reports/{id}/actions/{reply|close|judge|to_hazard}
 *   GET/PUT /api/v1/voice/params              reply deadline, escalation, rate limits
 *   POST /api/v1/voice/reveal {code}          a signed-in reporter reveals themselves */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "bank/bank.h"
#include "core/clock.h"
#include "voice/voice.h"

#define PHOTO_B64_MAX (11u << 20) /* base64 of one photo: ~8 MiB of JPEG */
#define SUBMIT_MAX_BODY (34u << 20)

static ws_err admit(api_ctx *ctx, char kind)
{
    return voice_admit(ctx->conn, ctx->req->peer, kind, clock_now_ms());
}

/* The caller's scope narrowed to ?unit_id= (a subtree inside the scope). */
static ws_err list_path(api_ctx *ctx, char *path, size_t cap)
{
    int64_t unit_id = 0;
    ws_err rc = api_query_id(ctx, "unit_id", &unit_id);
    if (rc) return rc;
    snprintf(path, cap, "%s", ctx->who.scope_path);
    if (!unit_id) return WS_OK;
    char up[AUTH_PATH_MAX];
    rc = auth_unit_path(ctx->conn, unit_id, "unit_id", up, sizeof up);
    if (rc) return rc;
    if (!auth_in_scope(&ctx->who, up)) return ws_fail(WS_ENOTFOUND, "unit_id", "no such unit");
    snprintf(path, cap, "%s", up);
    return WS_OK;
}

/* ------------------------------------------------------------- public */

static ws_err form(api_ctx *ctx)
{
    json_t *units = NULL;
    ws_err rc = voice_public_units(ctx->conn, &units);
    if (rc) return rc;
    int64_t hours = 72;
    json_t *p = NULL;
    if (!voice_params_json(ctx->conn, &p)) hours = json_integer_value(json_object_get(p, "reply_hours"));
    json_decref(p);
    return api_reply_json(ctx, 200, json_pack("{s:o,s:o,s:I,s:i}", "units", units, "categories",
                                              voice_categories(), "reply_hours", (json_int_t)hours,
                                              "max_photos", VOICE_PHOTOS_MAX));
}

typedef struct submit_body {
    int64_t unit_id;
    const char *category, *text;
    json_t *photos;
} submit_body;
static const json_field submit_fields[] = {
    {"unit_id", JF_ID, true, false, offsetof(submit_body, unit_id), 0, 0, 0, -1},
    {"category", JF_STRING, true, false, offsetof(submit_body, category), 24, 0, 0, -1},
    {"text", JF_STRING, true, false, offsetof(submit_body, text), VOICE_TEXT_MAX, 0, 0, -1},
    {"photos", JF_ARRAY, false, false, offsetof(submit_body, photos), VOICE_PHOTOS_MAX, 0, 0, -1},
};

static ws_err submit(api_ctx *ctx)
{
    ws_err rc = admit(ctx, 's');
    if (rc) return rc;
    submit_body b = {0};
    json_t *root = NULL;
    if (!(rc = api_json_type(ctx)))
        rc = json_decode_body(ctx->req->body, ctx->req->body_len, SUBMIT_MAX_BODY, submit_fields, 4, &b, NULL, &root);
    if (rc) return rc;
    voice_photo ph[VOICE_PHOTOS_MAX];
    unsigned char *bin[VOICE_PHOTOS_MAX] = {0};
    size_t np = 0, i;
    json_t *v;
    json_array_foreach(b.photos, i, v) {
        char f[40];
        snprintf(f, sizeof f, "photos[%zu]", i);
        const char *s = json_string_value(v);
        if (!s) {
            rc = ws_fail(WS_EINVAL, f, "a photo is a base64 string");
            break;
        }
        const char *comma = strncmp(s, "data:", 5) == 0 ? strstr(s, ";base64,") : NULL;
        if (comma) s = comma + 8;
        size_t n = strlen(s), out = 0;
        if (!n || n > PHOTO_B64_MAX) {
            rc = ws_fail(WS_ETOOBIG, f, "a photo may be at most 8 MiB");
            break;
        }
        bin[np] = malloc(n);
        if (!bin[np]) {
            rc = ws_fail(WS_ENOMEM, NULL, "out of memory");
            break;
        }
        if (sodium_base642bin(bin[np], n, s, n, " \r\n", &out, NULL, sodium_base64_VARIANT_ORIGINAL) != 0) {
            free(bin[np]);
            bin[np] = NULL;
            rc = ws_fail(WS_EINVAL, f, "a photo is a base64 string");
            break;
        }
        ph[np].data = bin[np];
        ph[np].len = out;
        np++;
    }
    char code[VOICE_CODE_BUF] = "";
    int64_t id = 0;
    if (!rc) {
        voice_in in = {b.unit_id, b.category, b.text, ph, np};
        rc = voice_submit(ctx->conn, &in, code, &id);
    }
    for (size_t k = 0; k < np; k++) free(bin[k]);
    json_decref(root);
    if (rc) return rc;
    json_t *o = NULL;
    rc = voice_follow(ctx->conn, code, &o);
    if (rc) return rc;
    json_object_set_new(o, "receipt_code", json_string(code));
    sodium_memzero(code, sizeof code);
    return api_reply_json(ctx, 201, o);
}

typedef struct code_body {
    const char *code, *text;
    int64_t rating, item_id;
} code_body;
static const json_field follow_fields[] = {
    {"code", JF_STRING, true, false, offsetof(code_body, code), 64, 0, 0, -1},
};
static const json_field message_fields[] = {
    {"code", JF_STRING, true, false, offsetof(code_body, code), 64, 0, 0, -1},
    {"text", JF_STRING, true, false, offsetof(code_body, text), VOICE_TEXT_MAX, 0, 0, -1},
};
static const json_field rate_fields[] = {
    {"code", JF_STRING, true, false, offsetof(code_body, code), 64, 0, 0, -1},
    {"rating", JF_INT, true, false, offsetof(code_body, rating), 0, 1, 5, -1},
};
static const json_field redeem_fields[] = {
    {"code", JF_STRING, true, false, offsetof(code_body, code), 64, 0, 0, -1},
    {"item_id", JF_ID, true, false, offsetof(code_body, item_id), 0, 0, 0, -1},
};

static ws_err by_code(api_ctx *ctx, const json_field *f, size_t n, code_body *b, json_t **root)
{
    ws_err rc = admit(ctx, 'f');
    if (!rc) rc = api_decode(ctx, f, n, b, NULL, root);
    return rc;
}

static ws_err follow_reply(api_ctx *ctx, const char *code, int status)
{
    json_t *o = NULL;
    ws_err rc = voice_follow(ctx->conn, code, &o);
    return rc ? rc : api_reply_json(ctx, status, o);
}

static ws_err follow(api_ctx *ctx)
{
    code_body b = {0};
    json_t *root = NULL;
    ws_err rc = by_code(ctx, follow_fields, 1, &b, &root);
    if (!rc) rc = follow_reply(ctx, b.code, 200);
    json_decref(root);
    return rc;
}

static ws_err message(api_ctx *ctx)
{
    code_body b = {0};
    json_t *root = NULL;
    ws_err rc = by_code(ctx, message_fields, 2, &b, &root);
    if (!rc) rc = voice_message(ctx->conn, b.code, b.text);
    if (!rc) rc = follow_reply(ctx, b.code, 200);
    json_decref(root);
    return rc;
}

static ws_err rate(api_ctx *ctx)
{
    code_body b = {0};
    json_t *root = NULL;
    ws_err rc = by_code(ctx, rate_fields, 2, &b, &root);
    if (!rc) rc = voice_rate(ctx->conn, b.code, b.rating);
    if (!rc) rc = follow_reply(ctx, b.code, 200);
    json_decref(root);
    return rc;
}

static ws_err redeem(api_ctx *ctx)
{
    code_body b = {0};
    json_t *root = NULL;
    int64_t rid = 0, entry = 0, bal = 0;
    ws_err rc = by_code(ctx, redeem_fields, 2, &b, &root);
    if (!rc) rc = voice_report_of(ctx->conn, b.code, &rid);
    if (!rc) {
        static const audit_actor anon = {"anonymous"};
        bank_holder_ref h = {0, rid};
        rc = bank_redeem(ctx->conn, &anon, h, b.item_id, &entry, &bal);
    }
    json_decref(root);
    if (rc) return rc;
    /* the pickup number: the entry id (no name needed; shown once) */
    return api_reply_json(ctx, 201, json_pack("{s:I,s:I}", "pickup_no", (json_int_t)entry, "balance", (json_int_t)bal));
}

static ws_err rewards(api_ctx *ctx)
{
    json_t *all = NULL, *out = json_array();
    ws_err rc = bank_items_json(ctx->conn, false, &all);
    size_t i;
    json_t *v;
    if (!rc)
        json_array_foreach(all, i, v) if (!json_is_true(json_object_get(v, "needs_name")))
            json_array_append(out, v);
    json_decref(all);
    if (rc) {
        json_decref(out);
        return rc;
    }
    return api_reply_json(ctx, 200, json_pack("{s:o}", "items", out));
}

/* -------------------------------------------------------------- staff */

static ws_err list(api_ctx *ctx)
{
    char path[AUTH_PATH_MAX];
    int limit = 50;
    int64_t cursor = 0, next = 0;
    ws_err rc = list_path(ctx, path, sizeof path);
    if (!rc) rc = api_page(ctx, &limit, &cursor);
    json_t *items = NULL;
    if (!rc) rc = voice_list(ctx->conn, path, api_query(ctx, "state"), cursor, limit, &items, &next);
    return rc ? rc : api_reply_json(ctx, 200, api_page_json(items, next));
}

static ws_err stats(api_ctx *ctx)
{
    char path[AUTH_PATH_MAX];
    json_t *o = NULL;
    ws_err rc = list_path(ctx, path, sizeof path);
    if (!rc) rc = voice_stats(ctx->conn, path, &o);
    return rc ? rc : api_reply_json(ctx, 200, o);
}

static ws_err get(api_ctx *ctx)
{
    int64_t id;
    json_t *o = NULL;
    ws_err rc = api_param_id(ctx, 0, &id);
    if (!rc) rc = voice_get(ctx->conn, &ctx->who, id, &o);
    return rc ? rc : api_reply_json(ctx, 200, o);
}

typedef struct act_body {
    const char *text, *title, *accident_type;
    bool close, valid;
} act_body;
static const json_field reply_fields[] = {
    {"text", JF_STRING, true, false, offsetof(act_body, text), VOICE_TEXT_MAX, 0, 0, -1},
    {"close", JF_BOOL, false, false, offsetof(act_body, close), 0, 0, 0, -1},
};
static const json_field judge_fields[] = {
    {"valid", JF_BOOL, true, false, offsetof(act_body, valid), 0, 0, 0, -1},
};
static const json_field hazard_fields[] = {
    {"title", JF_STRING, false, false, offsetof(act_body, title), 200, 0, 0, -1},
    {"accident_type", JF_STRING, false, false, offsetof(act_body, accident_type), 4, 0, 0, -1},
};

static ws_err act(api_ctx *ctx)
{
    int64_t id;
    ws_err rc = api_param_id(ctx, 0, &id);
    if (rc) return rc;
    const char *a = ctx->req->params[1];
    char abuf[32];
    audit_actor who = {api_actor(ctx, abuf, sizeof abuf)};
    voice_caller by = {&who, &ctx->who};
    act_body b = {0};
    json_t *root = NULL;
    if (!strcmp(a, "reply") || !strcmp(a, "close")) {
        rc = api_decode(ctx, reply_fields, 2, &b, NULL, &root);
        if (!rc) rc = voice_reply(ctx->conn, &by, id, b.text, b.close || !strcmp(a, "close"));
    } else if (!strcmp(a, "judge")) {
        rc = api_decode(ctx, judge_fields, 1, &b, NULL, &root);
        if (!rc) rc = voice_judge(ctx->conn, &by, id, b.valid);
    } else if (!strcmp(a, "to_hazard")) {
        int64_t hid = 0;
        rc = ctx->req->body_len ? api_decode(ctx, hazard_fields, 2, &b, NULL, &root) : WS_OK;
        if (!rc) rc = voice_to_hazard(ctx->conn, &by, id, b.title, b.accident_type, &hid);
    } else {
        rc = ws_fail(WS_ENOTFOUND, "action", "actions: reply, close, judge, to_hazard");
    }
    json_decref(root);
    if (rc) return rc;
    json_t *o = NULL;
    rc = voice_get(ctx->conn, &ctx->who, id, &o);
    return rc ? rc : api_reply_json(ctx, 200, o);
}

static ws_err params_get(api_ctx *ctx)
{
    json_t *o = NULL;
    ws_err rc = voice_params_json(ctx->conn, &o);
    return rc ? rc : api_reply_json(ctx, 200, o);
}

typedef struct params_body {
    int64_t v[4];
} params_body;
static const json_field params_fields[] = {
    {"reply_hours", JF_INT, false, false, offsetof(params_body, v[0]), 0, 1, 720, 0},
    {"escalate_every_hours", JF_INT, false, false, offsetof(params_body, v[1]), 0, 1, 720, 1},
    {"source_per_hour", JF_INT, false, false, offsetof(params_body, v[2]), 0, 1, 100000, 2},
    {"global_per_hour", JF_INT, false, false, offsetof(params_body, v[3]), 0, 1, 100000, 3},
};

static ws_err params_put(api_ctx *ctx)
{
    params_body b = {0};
    uint64_t present = 0;
    json_t *root = NULL;
    ws_err rc = api_decode(ctx, params_fields, 4, &b, &present, &root);
    json_decref(root);
    if (rc) return rc;
    char abuf[32];
    audit_actor who = {api_actor(ctx, abuf, sizeof abuf)};
    bool own = false;
    rc = store_tx_join(ctx->conn, &own);
    for (int i = 0; !rc && i < 4; i++)
        if (present & (1u << i)) rc = voice_param_set(ctx->conn, &who, params_fields[i].name, b.v[i]);
    rc = store_tx_finish(ctx->conn, own, rc);
    return rc ? rc : params_get(ctx);
}

static ws_err reveal(api_ctx *ctx)
{
    code_body b = {0};
    json_t *root = NULL;
    ws_err rc = api_decode(ctx, follow_fields, 1, &b, NULL, &root);
    char abuf[32];
    audit_actor who = {api_actor(ctx, abuf, sizeof abuf)};
    int64_t moved = 0;
    if (!rc) rc = voice_reveal(ctx->conn, &who, &ctx->who, b.code, &moved);
    json_decref(root);
    return rc ? rc : api_reply_json(ctx, 200, json_pack("{s:I}", "moved", (json_int_t)moved));
}

#define PUB(m, p, fn, sum, cap) {m, p, fn, API_ANON, NULL, sum, "anonymous reports", NULL, 0, cap}
#define R(m, p, fn, act, sum) {m, p, fn, API_AUTH, act, sum, "anonymous reports", NULL, 0, 0}
const api_route api_voice_routes[] = {
    PUB("GET", "/api/v1/public/report-form", form,
        "The places (enterprises, sites, areas, workshops) and categories an anonymous report chooses from", 0),
    PUB("POST", "/api/v1/public/reports", submit,
        "Send an anonymous report {unit_id, category, text, photos: [base64 JPEG/PNG/WebP, at most 3]}; no "
        "identity is stored; 201 with the receipt code, shown once", SUBMIT_MAX_BODY),
    PUB("POST", "/api/v1/public/reports/follow", follow, "Read a report, its replies and points {code}", 0),
    PUB("POST", "/api/v1/public/reports/message", message, "Write again on a report {code, text}", 0),
    PUB("POST", "/api/v1/public/reports/rate", rate, "Rate the answer {code, rating 1..5}, once", 0),
    PUB("POST", "/api/v1/public/reports/redeem", redeem,
        "Redeem the report's points for a reward that needs no name {code, item_id}", 0),
    PUB("GET", "/api/v1/public/rewards", rewards, "The rewards that need no name", 0),
    R("GET", "/api/v1/voice/reports", list, "voice.read",
      "Anonymous reports in scope (?state=open|answered|closed|overdue, &unit_id= subtree), newest first"),
    R("GET", "/api/v1/voice/stats", stats, "voice.read", "Counts of anonymous reports (?unit_id=)"),
    R("GET", "/api/v1/voice/reports/{id}", get, "voice.read", "One anonymous report with its messages"),
    R("POST", "/api/v1/voice/reports/{id}/actions/{action}", act, "voice.answer",
      "reply {text, close}, close {text}, judge {valid} (valid pays the receipt code), to_hazard {title, "
      "accident_type} (opens a hidden danger linked to the report)"),
    R("GET", "/api/v1/voice/params", params_get, "voice.read",
      "Reply deadline (hours), escalation period, rate limits per source and in all per hour"),
    R("PUT", "/api/v1/voice/params", params_put, "voice.admin", "Change the settings (any of the four)"),
    R("POST", "/api/v1/voice/reveal", reveal, "bank.redeem",
      "The signed-in reporter of {code} reveals themselves: the report records the person and its points "
      "move to them"),
};
const size_t api_voice_nroutes = sizeof api_voice_routes / sizeof api_voice_routes[0];
