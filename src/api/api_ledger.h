/* api_ledger.h — what list handlers share to answer ?format=xlsx|csv with a
 * ledger (台账) file instead of a JSON page: the format parameter, a cache of
 * the names a ledger shows instead of ids (unit, department, post, person),
 * the Chinese words for kinds, roles and states, and the reply with its
 * Content-Disposition. The writer itself is src/ledger (docs/internals/ledger.md).
 *
 * An export is the list with the same filters and scope, read page by page
 * (200 rows) to the end, capped at LEDGER_MAX_ROWS rows (413 naming "limit").
 * Permission: the list's own read action; nothing new. */
#ifndef WS_API_LEDGER_H
#define WS_API_LEDGER_H

#include "api/api.h"
#include "ledger/ledger.h"
#include "org/org.h"

#define API_LEDGER_PAGE 200

/* ?format=: absent or "json" -> *file false; "xlsx"/"csv" -> *file true and
 * *f set; anything else WS_EINVAL naming "format". */
ws_err api_ledger_format(api_ctx *ctx, ledger_format *f, bool *file);

/* Names of things by id, looked up once per export. Strings are borrowed
 * from the cache (valid until api_names_free); "" when the id is 0 or the
 * thing is gone. */
typedef struct api_names api_names;
api_names *api_names_new(store_conn *c);
void api_names_free(api_names *n);
/* The unit's name; *tz (when not NULL) its zone (Asia/Shanghai when unknown). */
const char *api_unit_name(api_names *n, int64_t id, const char **tz);
const char *api_dept_name(api_names *n, int64_t id);
const char *api_post_name(api_names *n, int64_t id);
const char *api_person_name(api_names *n, int64_t id);

/* 园区, 企业, 厂区, 区域/车间, 车间, 网格 (the UI's words); the code itself otherwise. */
const char *api_kind_zh(const char *kind);
/* 已上报, 已评估, … 不予受理: the default hazard lifecycle's states (the UI's
 * words); the id itself for a state an admin added. */
const char *api_hazard_state_zh(const char *state);
/* "系统管理员、安全管理员" for a role set, into out. */
const char *api_roles_zh(unsigned roles, char *out, size_t cap);

/* Finish l and make it the reply: 200, the format's Content-Type and
 * Content-Disposition: attachment; filename*=UTF-8''<name>-YYYYMMDD.<ext>,
 * the date taken in zone tz. Frees l in every case. */
ws_err api_ledger_reply(api_ctx *ctx, const ledger_spec *spec, ledger_format f, ledger *l,
                        const char *tz);

/* The end of an export read into l: when rc is 0 the reply (its file dated
 * in the zone of the caller's scope), else l is freed; names (NULL allowed)
 * is freed either way. Returns rc, or the reply's failure. */
ws_err api_ledger_finish(api_ctx *ctx, const ledger_spec *spec, ledger_format f, ledger *l,
                         api_names *names, ws_err rc);

/* POST /api/v1/imports/…: the body is a CSV or XLSX file (?dry_run=1), fn
 * imports it; 200 {created, updated, unchanged, dry_run, errors: []}, or
 * 400 with every bad row in error.rows [{row, field, message}] and
 * error.omitted. *applied: rows were committed (not a dry run, no error). */
ws_err api_import_run(api_ctx *ctx, org_import_fn fn, bool *applied);

#endif
