/* api_ledger.c — the shared half of every ledger export: ?format=, the name
 * cache, the Chinese words, and the file reply (interface in api_ledger.h). */
#include "api/api_ledger.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "org/org.h"

#define NAMES_SLOTS 16384u /* power of two */
#define NAMES_MAX 12000u   /* past this, look up without caching */

enum { K_UNIT = 1, K_DEPT, K_POST, K_PERSON };

typedef struct {
    int kind;
    int64_t id;
    char *name, *tz;
} name_slot;

struct api_names {
    store_conn *c;
    name_slot *slot;
    size_t used;
    char scratch_name[ORG_NAME_MAX + 1], scratch_tz[ORG_TZ_MAX + 1];
};

ws_err api_ledger_format(api_ctx *ctx, ledger_format *f, bool *file)
{
    const char *s = api_query(ctx, "format");
    *file = false;
    if (!s || strcmp(s, "json") == 0) return WS_OK;
    ws_err rc = ledger_format_parse(s, f);
    if (rc) return ws_fail(WS_EINVAL, "format", "format must be json, xlsx or csv");
    *file = true;
    return WS_OK;
}

api_names *api_names_new(store_conn *c)
{
    api_names *n = calloc(1, sizeof *n);
    if (n) n->slot = calloc(NAMES_SLOTS, sizeof *n->slot);
    if (n && !n->slot) {
        free(n);
        n = NULL;
    }
    if (n) n->c = c;
    return n;
}

void api_names_free(api_names *n)
{
    if (!n) return;
    for (size_t i = 0; i < NAMES_SLOTS; i++) {
        free(n->slot[i].name);
        free(n->slot[i].tz);
    }
    free(n->slot);
    free(n);
}

/* Read a name (and zone) from the store into the scratch fields. */
static void fetch(api_names *n, int kind, int64_t id)
{
    n->scratch_name[0] = 0;
    snprintf(n->scratch_tz, sizeof n->scratch_tz, "%s", ORG_DEFAULT_TZ);
    ws_err rc = WS_OK;
    if (kind == K_UNIT) {
        org_unit u;
        if (!(rc = org_unit_get(n->c, id, &u))) {
            snprintf(n->scratch_name, sizeof n->scratch_name, "%s", u.name);
            if (u.tz[0]) snprintf(n->scratch_tz, sizeof n->scratch_tz, "%s", u.tz);
        }
    } else if (kind == K_DEPT) {
        org_dept d;
        if (!(rc = org_dept_get(n->c, id, &d)))
            snprintf(n->scratch_name, sizeof n->scratch_name, "%s", d.name);
    } else if (kind == K_POST) {
        org_post p;
        if (!(rc = org_post_get(n->c, id, &p)))
            snprintf(n->scratch_name, sizeof n->scratch_name, "%s", p.name);
    } else {
        org_person *p = malloc(sizeof *p);
        if (p && !(rc = org_person_get(n->c, id, p)))
            snprintf(n->scratch_name, sizeof n->scratch_name, "%s", p->name);
        free(p);
    }
    if (rc) ws_err_clear(); /* a vanished reference shows as an empty cell */
}

static const char *lookup(api_names *n, int kind, int64_t id, const char **tz)
{
    if (tz) *tz = ORG_DEFAULT_TZ;
    if (!n || id <= 0) return "";
    uint64_t h = ((uint64_t)id * 0x9E3779B97F4A7C15ull) ^ (uint64_t)kind;
    size_t i = (size_t)(h >> 40) & (NAMES_SLOTS - 1);
    for (;; i = (i + 1) & (NAMES_SLOTS - 1)) {
        name_slot *s = &n->slot[i];
        if (s->kind == kind && s->id == id) {
            if (tz) *tz = s->tz;
            return s->name;
        }
        if (!s->kind) break;
    }
    fetch(n, kind, id);
    if (n->used < NAMES_MAX) {
        name_slot *s = &n->slot[i];
        s->name = strdup(n->scratch_name);
        s->tz = strdup(n->scratch_tz);
        if (s->name && s->tz) {
            s->kind = kind;
            s->id = id;
            n->used++;
            if (tz) *tz = s->tz;
            return s->name;
        }
        free(s->name);
        free(s->tz);
        s->name = s->tz = NULL;
    }
    if (tz) *tz = n->scratch_tz;
    return n->scratch_name;
}

const char *api_unit_name(api_names *n, int64_t id, const char **tz)
{
    return lookup(n, K_UNIT, id, tz);
}
const char *api_dept_name(api_names *n, int64_t id) { return lookup(n, K_DEPT, id, NULL); }
const char *api_post_name(api_names *n, int64_t id) { return lookup(n, K_POST, id, NULL); }
const char *api_person_name(api_names *n, int64_t id) { return lookup(n, K_PERSON, id, NULL); }

const char *api_kind_zh(const char *kind)
{
    static const char *const map[][2] = {
        {"park", "园区"}, {"enterprise", "企业"}, {"site", "厂区"},
        {"area", "区域/车间"}, {"workshop", "车间"}, {"grid", "网格"},
    };
    for (size_t i = 0; kind && i < sizeof map / sizeof map[0]; i++)
        if (strcmp(kind, map[i][0]) == 0) return map[i][1];
    return kind ? kind : "";
}

const char *api_hazard_state_zh(const char *state)
{
    static const char *const map[][2] = {
        {"reported", "已上报"},   {"assessed", "已评估"},   {"assigned", "已派单"}, {"rectifying", "整改中"},
        {"acceptance", "待验收"}, {"closed", "已销号"},     {"rejected", "不予受理"},
    };
    for (size_t i = 0; state && i < sizeof map / sizeof map[0]; i++)
        if (strcmp(state, map[i][0]) == 0) return map[i][1];
    return state ? state : "";
}

const char *api_roles_zh(unsigned roles, char *out, size_t cap)
{
    static const char *const map[][2] = {
        {"admin", "系统管理员"}, {"manager", "企业负责人"}, {"safety_officer", "安全管理员"},
        {"dept_head", "部门负责人"}, {"grid_leader", "网格长"}, {"worker", "员工"},
        {"regulator", "监管人员"},
    };
    size_t len = 0;
    out[0] = 0;
    for (unsigned bit = 1; bit & ROLE_ALL; bit <<= 1) {
        if (!(roles & bit)) continue;
        char name[32];
        auth_roles_format(bit, name, sizeof name);
        const char *zh = name;
        for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
            if (strcmp(name, map[i][0]) == 0) zh = map[i][1];
        int w = snprintf(out + len, cap - len, "%s%s", len ? "、" : "", zh);
        if (w < 0 || (size_t)w >= cap - len) break;
        len += (size_t)w;
    }
    return out;
}

ws_err api_ledger_reply(api_ctx *ctx, const ledger_spec *spec, ledger_format f, ledger *l,
                        const char *tz)
{
    char name[160], disp[600];
    buf_reset(&ctx->resp->body);
    ws_err rc = ledger_finish(l, &ctx->resp->body);
    ledger_free(l);
    if (!rc) rc = ledger_filename(spec, f, clock_now_ms(), tz, name, sizeof name);
    if (!rc) rc = ledger_disposition(name, disp, sizeof disp);
    if (rc) {
        buf_reset(&ctx->resp->body);
        return rc;
    }
    ctx->resp->status = 200;
    ctx->resp->content_type = ledger_content_type(f);
    api_add_header(ctx->resp, "Content-Disposition", disp);
    return WS_OK;
}

ws_err api_ledger_finish(api_ctx *ctx, const ledger_spec *spec, ledger_format f, ledger *l,
                         api_names *names, ws_err rc)
{
    const char *tz = NULL; /* borrowed from names: the reply comes before they go */
    if (names) api_unit_name(names, ctx->who.scope_unit_id, &tz);
    if (!rc) rc = api_ledger_reply(ctx, spec, f, l, tz);
    else ledger_free(l);
    if (names) api_names_free(names);
    return rc;
}
