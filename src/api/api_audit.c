/* api_audit.c — the evidence log for regulators and auditors.
 *
 *   GET /api/v1/audit/checkpoint                 text/plain C2SP checkpoint note of the
 *                                                current head (stored when its size is new)
 *   GET /api/v1/audit/proof/inclusion?index=&size=   {index,size,leaf_hash,path:[hex],root}
 *   GET /api/v1/audit/proof/consistency?old=&new=    {old,new,path:[hex]}
 *   GET /api/v1/audit/leaves?entity=&id=&cursor=&limit=
 *                                                timeline {items:[{seq,ts,actor,entity,
 *                                                entity_id,action,content_hash,leaf_hash}],
 *                                                next_cursor}
 *   GET /api/v1/audit/record?entity=&id=&size=&cursor=&limit=
 *                                                one record's seal: {entity,id,size,state,
 *                                                columns,last_seq,items:[leaf + path],
 *                                                actor_names,content_shown,next_cursor};
 *                                                state is same, changed_outside,
 *                                                created_outside, deleted, deleted_outside,
 *                                                purged or none
 *   GET /api/v1/audit/key                        {origin, verifier_key}
 *
 * size and new default to the current size of the log. Every route needs
 * audit.read (admin, safety_officer, regulator, manager). A leaf shows only
 * the salted hash of its record's content; the content itself comes only
 * with /audit/record, for a record the caller may read through its own
 * routes (READABLE below). How a
 * regulator checks what these return: docs/internals/audit.md. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "audit/audit.h"
#include "auth/auth.h"
#include "org/org.h"
#include "store/q_audit.h"
#include "store/q_auth.h"

#define TEXT_TYPE "text/plain; charset=utf-8"

/* ?name= as a non-negative integer; *present false when absent. */
static ws_err query_u64(api_ctx *ctx, const char *name, uint64_t *out, bool *present)
{
    const char *s = api_query(ctx, name);
    *present = s != NULL;
    if (!s) return WS_OK;
    uint64_t v = 0;
    size_t n = 0;
    for (; s[n]; n++) {
        if (s[n] < '0' || s[n] > '9' || n >= 18)
            return ws_fail(WS_EINVAL, name, "%s must be a non-negative integer", name);
        v = v * 10 + (uint64_t)(s[n] - '0');
    }
    *out = v;
    return WS_OK;
}

static json_t *hex_json(const uint8_t h[AUDIT_HASH_LEN])
{
    char hex[2 * AUDIT_HASH_LEN + 1];
    return json_string(hex_encode(h, AUDIT_HASH_LEN, hex));
}

static json_t *path_json(const uint8_t (*path)[AUDIT_HASH_LEN], size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++) json_array_append_new(a, hex_json(path[i]));
    return a;
}

static ws_err checkpoint(api_ctx *ctx)
{
    char *note = NULL;
    ws_err rc = audit_checkpoint(ctx->conn, &note);
    if (rc) return rc;
    buf_reset(&ctx->resp->body);
    rc = buf_puts(&ctx->resp->body, note);
    free(note);
    if (rc) return rc;
    ctx->resp->status = 200;
    ctx->resp->content_type = TEXT_TYPE;
    return WS_OK;
}

static ws_err inclusion(api_ctx *ctx)
{
    uint64_t index = 0, size = 0;
    bool has_index, has_size;
    ws_err rc = query_u64(ctx, "index", &index, &has_index);
    if (!rc) rc = query_u64(ctx, "size", &size, &has_size);
    if (rc) return rc;
    if (!has_index) return ws_fail(WS_EINVAL, "index", "index is required");
    if (!has_size && (rc = audit_head(ctx->conn, &size, NULL))) return rc;
    uint8_t leaf[AUDIT_HASH_LEN], root[AUDIT_HASH_LEN];
    uint8_t (*path)[AUDIT_HASH_LEN] = NULL;
    size_t n = 0;
    rc = audit_proof_inclusion(ctx->conn, index, size, leaf, &path, &n);
    if (!rc) rc = audit_root_at(ctx->conn, size, root);
    if (rc) {
        free(path);
        return rc;
    }
    json_t *o = json_object();
    json_object_set_new(o, "index", json_integer((json_int_t)index));
    json_object_set_new(o, "size", json_integer((json_int_t)size));
    json_object_set_new(o, "leaf_hash", hex_json(leaf));
    json_object_set_new(o, "path", path_json((const uint8_t (*)[AUDIT_HASH_LEN])path, n));
    json_object_set_new(o, "root", hex_json(root));
    free(path);
    return api_reply_json(ctx, 200, o);
}

static ws_err consistency(api_ctx *ctx)
{
    uint64_t old_size = 0, new_size = 0;
    bool has_old, has_new;
    ws_err rc = query_u64(ctx, "old", &old_size, &has_old);
    if (!rc) rc = query_u64(ctx, "new", &new_size, &has_new);
    if (rc) return rc;
    if (!has_old) return ws_fail(WS_EINVAL, "old", "old is required");
    if (!has_new && (rc = audit_head(ctx->conn, &new_size, NULL))) return rc;
    uint8_t (*path)[AUDIT_HASH_LEN] = NULL;
    size_t n = 0;
    rc = audit_proof_consistency(ctx->conn, old_size, new_size, &path, &n);
    if (rc) return rc;
    json_t *o = json_object();
    json_object_set_new(o, "old", json_integer((json_int_t)old_size));
    json_object_set_new(o, "new", json_integer((json_int_t)new_size));
    json_object_set_new(o, "path", path_json((const uint8_t (*)[AUDIT_HASH_LEN])path, n));
    free(path);
    return api_reply_json(ctx, 200, o);
}

static bool entity_name_ok(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (!((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= '0' && s[n] <= '9') || s[n] == '_') ||
            n >= 64)
            return false;
    return n > 0;
}

/* A leaf row of Q_AUDIT_LEAVES_PAGE* as JSON. */
static json_t *leaf_item(store_stmt *st)
{
    size_t hn = 0, ln = 0;
    const void *ch = store_col_blob(st, 6, &hn);
    const void *lh = store_col_blob(st, 7, &ln);
    char chex[2 * AUDIT_HASH_LEN + 1] = "", lhex[2 * AUDIT_HASH_LEN + 1] = "";
    if (ch && hn == AUDIT_HASH_LEN) hex_encode(ch, hn, chex);
    if (lh && ln == AUDIT_HASH_LEN) hex_encode(lh, ln, lhex);
    json_t *it = json_object();
    json_object_set_new(it, "seq", json_integer(store_col_int(st, 0)));
    json_object_set_new(it, "ts", json_time(store_col_int(st, 1)));
    json_object_set_new(it, "actor", json_string(store_col_text(st, 2)));
    json_object_set_new(it, "entity", json_string(store_col_text(st, 3)));
    json_object_set_new(it, "entity_id", json_integer(store_col_int(st, 4)));
    json_object_set_new(it, "action", json_string(store_col_text(st, 5)));
    json_object_set_new(it, "content_hash", json_string(chex));
    json_object_set_new(it, "leaf_hash", json_string(lhex));
    return it;
}

/* A blob column as base64 into a JSON string; null when NULL. */
static json_t *b64_json(store_stmt *st, int col)
{
    size_t n = 0;
    const unsigned char *b = store_col_null(st, col) ? NULL : store_col_blob(st, col, &n);
    if (!b) return json_null();
    size_t cap = sodium_base64_encoded_len(n, sodium_base64_VARIANT_ORIGINAL);
    char *out = malloc(cap);
    if (!out) return NULL;
    sodium_bin2base64(out, cap, b, n, sodium_base64_VARIANT_ORIGINAL);
    json_t *j = json_string(out);
    free(out);
    return j;
}

/* Up to limit leaf rows of st (a LIMIT limit + 1 page) into items; *next
 * gets the seq of the row after them (0 when none). With content (a
 * Q_AUDIT_RECORD_PAGE row), each item gets its version's salt and content
 * too, and the path null until its proof is in; seqs (room for limit) gets
 * each item's seq when not NULL. */
static ws_err read_page(store_stmt *st, int limit, bool content, json_t *items, size_t *seqs,
                        int64_t *next)
{
    ws_err rc = WS_OK;
    bool row = false;
    int count = 0;
    *next = 0;
    while (!rc && !(rc = store_step(st, &row)) && row) {
        int64_t seq = store_col_int(st, 0);
        if (count == limit) {
            *next = seq;
            break;
        }
        json_t *it = leaf_item(st);
        if (seqs) {
            json_object_set_new(it, "path", json_null());
            seqs[count] = (size_t)seq;
        }
        if (content) {
            json_t *salt = b64_json(st, 8), *data = b64_json(st, 9);
            if (!salt || !data) {
                json_decref(salt);
                json_decref(data);
                json_decref(it);
                return ws_fail(WS_ENOMEM, NULL, "out of memory");
            }
            json_object_set_new(it, "salt", salt);
            json_object_set_new(it, "content", data);
        }
        json_array_append_new(items, it);
        count++;
    }
    return rc;
}

static ws_err leaves(api_ctx *ctx)
{
    int limit;
    int64_t cursor;
    ws_err rc = api_page(ctx, &limit, &cursor);
    if (rc) return rc;
    const char *entity = api_query(ctx, "entity");
    uint64_t id = 0;
    bool has_id;
    rc = query_u64(ctx, "id", &id, &has_id);
    if (rc) return rc;
    if (entity && !entity_name_ok(entity))
        return ws_fail(WS_EINVAL, "entity", "entity must be a name such as person or account");
    if (has_id && !entity) return ws_fail(WS_EINVAL, "entity", "id needs an entity");

    store_stmt *st = NULL;
    int p = 1;
    const char *q = entity ? (has_id ? Q_AUDIT_LEAVES_PAGE_RECORD : Q_AUDIT_LEAVES_PAGE_ENTITY)
                           : Q_AUDIT_LEAVES_PAGE;
    rc = store_prepare(ctx->conn, q, &st);
    if (!rc && entity) rc = store_bind_text(st, p++, entity);
    if (!rc && has_id) rc = store_bind_int(st, p++, (int64_t)id);
    if (!rc) rc = store_bind_int(st, p++, cursor);
    if (!rc) rc = store_bind_int(st, p++, limit + 1); /* one more tells whether a page follows */
    json_t *items = json_array();
    int64_t next = 0;
    if (!rc) rc = read_page(st, limit, false, items, NULL, &next);
    store_finalize(st);
    if (rc) {
        json_decref(items);
        return rc;
    }
    json_t *o = json_object();
    json_object_set_new(o, "items", items);
    json_object_set_new(o, "next_cursor", next > 0 ? json_integer(next) : json_null());
    return api_reply_json(ctx, 200, o);
}

static const char *rec_state_name(audit_rec_state st)
{
    switch (st) {
    case AUDIT_REC_SAME: return "same";
    case AUDIT_REC_CHANGED: return "changed_outside";
    case AUDIT_REC_CREATED: return "created_outside";
    case AUDIT_REC_DELETED: return "deleted";
    case AUDIT_REC_DELETED_OUTSIDE: return "deleted_outside";
    case AUDIT_REC_PURGED: return "purged";
    case AUDIT_REC_NONE: break;
    }
    return "none";
}

static void put_path(size_t j, const uint8_t leaf[AUDIT_HASH_LEN],
                     const uint8_t (*path)[AUDIT_HASH_LEN], size_t n, void *arg)
{
    (void)leaf;
    json_object_set_new(json_array_get(arg, j), "path", path_json(path, n));
}

/* The name the page shows for a leaf's actor: the person's ("person:33", or
 * "account:10" with a person) when the caller may read that person
 * (person.read on the person's unit); NULL otherwise, and for cli, system
 * or an id that no longer resolves. Into out. */
static const char *actor_name(api_ctx *ctx, const char *actor, char *out, size_t cap)
{
    long long id = 0;
    char kind[16];
    if (!actor || sscanf(actor, "%15[a-z]:%lld", kind, &id) != 2 || id <= 0) return NULL;
    if (!strcmp(kind, "account")) {
        auth_account a;
        if (auth_account_get(ctx->conn, id, &a) || !a.person_id) return NULL;
        id = a.person_id;
    } else if (strcmp(kind, "person")) {
        return NULL;
    }
    org_person p;
    if (org_person_get(ctx->conn, id, &p)) return NULL;
    auth_resource r = {0};
    r.unit_path = p.unit_path;
    if (auth_decide(&ctx->who, "person.read", &r)) return NULL;
    snprintf(out, cap, "%s", p.name);
    return out;
}

/* Records whose sealed versions (salt and content) are shown to a caller
 * who may read the record itself: the read action of the record's own
 * routes on its unit. People and accounts are not among them: personal
 * data is read through the person routes only. */
static const struct {
    const char *entity, *unit_query, *action;
} READABLE[] = {
    {"hazard", Q_AUDIT_UNIT_HAZARD, "hazard.read"},
    {"permit", Q_AUDIT_UNIT_PERMIT, "permit.read"},
    {"alarm", Q_AUDIT_UNIT_ALARM, "alarm.read"},
    {"inspection", Q_AUDIT_UNIT_INSPECTION, "inspection.read"},
    {"patrol", Q_AUDIT_UNIT_PATROL, "patrol.read"},
    {"work_order", Q_AUDIT_UNIT_WORK_ORDER, "plant.read"},
    {"bypass", Q_AUDIT_UNIT_BYPASS, "plant.read"},
};

/* Whether the caller may read the sealed versions of this record: by the
 * live row's unit, or, when the row was deleted outside worksafe, by the
 * unit its last sealed version names (chk->sealed_unit) — a record removed
 * behind the server's back is the one whose content a regulator most needs
 * to read. */
static ws_err may_read_versions(api_ctx *ctx, const char *entity, int64_t id, const audit_rec_check *chk,
                                bool *ok)
{
    *ok = false;
    for (size_t i = 0; i < sizeof READABLE / sizeof READABLE[0]; i++) {
        if (strcmp(READABLE[i].entity, entity)) continue;
        bool gone = chk->state == AUDIT_REC_DELETED_OUTSIDE;
        if (gone && chk->sealed_unit <= 0) return WS_OK;
        store_stmt *st = NULL;
        bool row = false;
        ws_err rc = store_prepare(ctx->conn, gone ? Q_AUTH_UNIT_PATH : READABLE[i].unit_query, &st);
        if (!rc) rc = store_bind_int(st, 1, gone ? chk->sealed_unit : id);
        if (!rc) rc = store_step(st, &row);
        if (!rc && row) {
            auth_resource r = {0};
            r.unit_path = store_col_text(st, 0);
            *ok = auth_decide(&ctx->who, READABLE[i].action, &r) == WS_OK;
        }
        store_finalize(st);
        return rc;
    }
    return WS_OK;
}

/* One record's seal: its leaves (a page, oldest first), each with its
 * inclusion path in the tree of ?size= (the checkpoint the caller holds;
 * default the current size; a leaf after it has path null), and whether the
 * live row is still the last sealed version. Each version's salt and
 * content (base64; null once purged) come with it only when the caller may
 * read the record itself (READABLE; content_shown says which). */
static ws_err record(api_ctx *ctx)
{
    int limit;
    int64_t cursor;
    ws_err rc = api_page(ctx, &limit, &cursor);
    const char *entity = api_query(ctx, "entity");
    uint64_t id = 0, size = 0;
    bool has_id, has_size;
    if (!rc && !entity) rc = ws_fail(WS_EINVAL, "entity", "entity is required");
    if (!rc && !entity_name_ok(entity))
        rc = ws_fail(WS_EINVAL, "entity", "entity must be a name such as hazard or permit");
    if (!rc) rc = query_u64(ctx, "id", &id, &has_id);
    if (!rc && (!has_id || id == 0)) rc = ws_fail(WS_EINVAL, "id", "id must be a positive integer");
    if (!rc) rc = query_u64(ctx, "size", &size, &has_size);
    if (!rc && !has_size) rc = audit_head(ctx->conn, &size, NULL);
    audit_rec_check chk;
    bool show = false;
    if (!rc) rc = audit_record_check(ctx->conn, entity, (int64_t)id, &chk);
    if (!rc) rc = may_read_versions(ctx, entity, (int64_t)id, &chk, &show);
    if (rc) return rc;

    store_stmt *st = NULL;
    rc = store_prepare(ctx->conn, Q_AUDIT_RECORD_PAGE, &st);
    if (!rc) rc = store_bind_text(st, 1, entity);
    if (!rc) rc = store_bind_int(st, 2, (int64_t)id);
    if (!rc) rc = store_bind_int(st, 3, cursor);
    if (!rc) rc = store_bind_int(st, 4, limit + 1);
    json_t *items = json_array();
    size_t seqs[200]; /* api_page caps limit at 200 */
    int64_t next = 0;
    if (!rc) rc = read_page(st, limit, show, items, seqs, &next);
    int count = (int)json_array_size(items);
    store_finalize(st);
    if (!rc && count == 0 && cursor == 0 && chk.state == AUDIT_REC_NONE)
        rc = ws_fail(WS_ENOTFOUND, "id", "the log has no %s %llu", entity, (unsigned long long)id);
    if (!rc) rc = audit_proofs_inclusion(ctx->conn, size, seqs, (size_t)count, put_path, items);
    if (rc) {
        json_decref(items);
        return rc;
    }
    json_t *o = json_object();
    json_object_set_new(o, "entity", json_string(entity));
    json_object_set_new(o, "id", json_integer((json_int_t)id));
    json_object_set_new(o, "size", json_integer((json_int_t)size));
    json_object_set_new(o, "state", json_string(rec_state_name(chk.state)));
    json_object_set_new(o, "content_shown", json_boolean(show));
    json_t *cols = json_array();
    for (char *p = chk.cols, *end; *p; p = *end ? end + 1 : end) {
        while (*p == ' ') p++;
        end = strchr(p, ',');
        if (!end) end = p + strlen(p);
        if (end > p) json_array_append_new(cols, json_stringn(p, (size_t)(end - p)));
    }
    json_object_set_new(o, "columns", cols);
    json_object_set_new(o, "last_seq", chk.last_seq >= 0 ? json_integer(chk.last_seq) : json_null());
    /* the names of the page's actors the caller may see, once each */
    json_t *names = json_object();
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it) {
        const char *a = json_string_value(json_object_get(it, "actor"));
        char name[ORG_NAME_MAX + 1];
        if (!a || json_object_get(names, a)) continue;
        const char *n = actor_name(ctx, a, name, sizeof name);
        json_object_set_new(names, a, n ? json_string(n) : json_null());
    }
    json_object_set_new(o, "actor_names", names);
    json_object_set_new(o, "items", items);
    json_object_set_new(o, "next_cursor", next > 0 ? json_integer(next) : json_null());
    return api_reply_json(ctx, 200, o);
}

static ws_err key(api_ctx *ctx)
{
    char vk[256];
    ws_err rc = audit_verifier_key(vk, sizeof vk);
    if (rc) return rc;
    json_t *o = json_object();
    json_object_set_new(o, "origin", json_string(audit_origin()));
    json_object_set_new(o, "verifier_key", json_string(vk));
    return api_reply_json(ctx, 200, o);
}

const api_route api_audit_routes[] = {
    {"GET", "/api/v1/audit/checkpoint", checkpoint, API_AUTH, "audit.read",
     "Signed checkpoint (C2SP note, text/plain) of the evidence log's current head", "audit",
     NULL, 0},
    {"GET", "/api/v1/audit/proof/inclusion", inclusion, API_AUTH, "audit.read",
     "RFC 6962 inclusion proof of leaf ?index= in the tree of ?size= (default: current)",
     "audit", NULL, 0},
    {"GET", "/api/v1/audit/proof/consistency", consistency, API_AUTH, "audit.read",
     "RFC 6962 consistency proof from ?old= to ?new= (default: current)", "audit", NULL, 0},
    {"GET", "/api/v1/audit/leaves", leaves, API_AUTH, "audit.read",
     "Leaves of the log, optionally of one ?entity= and ?id=, oldest first", "audit", NULL, 0},
    {"GET", "/api/v1/audit/record", record, API_AUTH, "audit.read",
     "One record's seal (?entity=&id=&size=&cursor=&limit=): its leaves with inclusion proofs at "
     "size, whether the live row is its last sealed version, and each version's content where the "
     "caller may read the record", "audit", NULL, 0},
    {"GET", "/api/v1/audit/key", key, API_AUTH, "audit.read",
     "The log's origin and Ed25519 verifier key (signed-note format)", "audit", NULL, 0},
};
const size_t api_audit_nroutes = sizeof api_audit_routes / sizeof api_audit_routes[0];
