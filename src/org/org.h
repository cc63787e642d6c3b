/* org.h — the organisation: a tree of units (park, enterprise, site, area,
 * grid, workshop), the departments and posts (岗位) of each enterprise, and the
 * people who work there, with their transfers; bulk import from CSV or XLSX;
 * the demo enterprise.
 *
 * How it fits: org sits on store (named queries in store/q_org.c), audit
 * (every create, update and state change appends a leaf inside the same
 * transaction) and auth (permission checks through auth_decide). The API
 * layer (api/api_org.c) turns these structs into JSON; the CLI calls
 * org_create_root() at `init` and org_demo_seed() for `demo`.
 *
 * Invariants (asserted by tests/unit/test_org.c):
 *  1. units.path is the parent's path + id + "/" ("/1/", "/1/4/"); a root's
 *     is "/id/". A move rewrites every descendant's path in the same
 *     transaction; a unit never becomes its own ancestor.
 *  2. units.enterprise_id is the nearest enterprise at or above the unit (an
 *     enterprise's own id), NULL above enterprises (parks).
 *  3. Enterprises are isolated: a department, post or person belongs to one
 *     enterprise, and links across enterprises (person -> department, post,
 *     unit leader, transfer) are refused, naming the field.
 *  4. People are never deleted: deactivation sets active = 0 and left_at,
 *     and deactivates the person's accounts (sessions revoked) in the same
 *     transaction. Erasure (org_person_erase) anonymises a person who has
 *     left; the row and every leaf stay.
 *  5. Every change to units, departments, posts, people, person_posts and
 *     person_transfers has its audit leaf in the same transaction.
 *
 * Write functions run inside the caller's transaction when one is open on the
 * connection, else they open and commit their own. On failure inside a
 * caller's transaction the caller must roll back. */
#ifndef WS_ORG_H
#define WS_ORG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "audit/audit.h"
#include "auth/auth.h"
#include "core/clock.h"
#include "core/err.h"
#include "store/store.h"

#define ORG_KIND_MAX 16
#define ORG_CODE_MAX 64    /* bytes */
#define ORG_NAME_MAX 200   /* bytes (about 66 Chinese characters) */
#define ORG_TZ_MAX 64
#define ORG_EMPNO_MAX 32
#define ORG_PHONE_MAX 20
#define ORG_REASON_MAX 500
#define ORG_POSTS_MAX 16   /* posts one person may hold */
#define ORG_IMPORT_MAX_ROWS 10000
#define ORG_IMPORT_MAX_BYTES ((size_t)8 << 20) /* an import file (CSV or XLSX) */
#define ORG_DEFAULT_TZ "Asia/Shanghai"

/* Audited entities, registered by org_init(). Column lists are exactly the
 * columns of the tables in store/migrations.c. */
extern const audit_entity ORG_ENTITY_UNIT;            /* "unit" */
extern const audit_entity ORG_ENTITY_DEPARTMENT;      /* "department" */
extern const audit_entity ORG_ENTITY_POST;            /* "post" */
extern const audit_entity ORG_ENTITY_PERSON;          /* "person" */
extern const audit_entity ORG_ENTITY_PERSON_POST;     /* "person_post" */
extern const audit_entity ORG_ENTITY_PERSON_TRANSFER; /* "person_transfer" */

/* Register the audited entities. Call once at start-up (idempotent). */
ws_err org_init(void);

/* Who acts: actor names the audit leaves; subject, when not NULL, is checked
 * with auth_decide() against each unit touched. subject NULL means a trusted
 * caller (CLI init, demo seed) and skips permission checks. */
typedef struct org_caller {
    const audit_actor *actor;
    const auth_subject *subject;
    int64_t at_ms; /* 0: now. Else when it happened: only the demo's seeding, which
                      writes a plausible history, sets it (never from a request) */
} org_caller;

/* The one permission check of the domain modules: auth_decide(action) on a
 * record of the unit at unit_path, unless by is a trusted caller (no
 * subject). WS_ENOTFOUND outside the subject's scope, WS_EFORBIDDEN when no
 * role of it may. */
ws_err org_allow(const org_caller *by, const char *action, const char *unit_path);

/* The time an action of by is recorded at: by->at_ms, or now (as wf_now). */
static inline int64_t org_now(const org_caller *by)
{
    return by && by->at_ms ? by->at_ms : clock_now_ms();
}

/* ------------------------------------------------------------------ units */

typedef struct org_unit {
    int64_t id;
    int64_t parent_id;        /* 0 for a root */
    char kind[ORG_KIND_MAX + 1];
    char code[ORG_CODE_MAX + 1];
    char name[ORG_NAME_MAX + 1];
    char tz[ORG_TZ_MAX + 1];
    int64_t leader_person_id; /* 0 when none */
    char path[AUTH_PATH_MAX];
    int64_t enterprise_id;    /* 0 above enterprises */
    bool active;
    int64_t created_at, updated_at; /* ms UTC */
} org_unit;

/* True for the kinds a unit may have: park, enterprise, site, area, grid,
 * workshop. */
bool org_kind_valid(const char *kind);
/* True when name is an IANA zone present under /usr/share/zoneinfo. */
bool org_tz_valid(const char *tz);

typedef struct org_unit_in {
    int64_t parent_id;        /* required (>= 1) */
    const char *kind, *code, *name;
    const char *tz;           /* NULL: the parent's zone */
    int64_t leader_person_id; /* 0: none */
} org_unit_in;

/* The top unit of an install (kind "park" or "enterprise", no parent). For
 * `worksafe init`; an enterprise root gets its default departments. */
ws_err org_create_root(store_conn *c, const audit_actor *who, const char *kind, const char *code,
                       const char *name, int64_t *id);

/* Create a unit under in->parent_id. Kind rules: a park sits at the top or
 * under a park; an enterprise at the top or under a park; site, area, grid
 * and workshop inside an enterprise, in any order and depth. A new
 * enterprise gets the default departments (安全, 生产, 技术, 设备, 财务, 采购,
 * 人力). Permission: unit.write on the parent. */
ws_err org_unit_create(store_conn *c, const org_caller *by, const org_unit_in *in, int64_t *id);

enum {
    ORG_SET_PARENT = 1u << 0,
    ORG_SET_KIND = 1u << 1,
    ORG_SET_CODE = 1u << 2,
    ORG_SET_NAME = 1u << 3,
    ORG_SET_TZ = 1u << 4,
    ORG_SET_LEADER = 1u << 5,
};
typedef struct org_unit_patch {
    unsigned set; /* ORG_SET_* bits: which fields below apply */
    int64_t parent_id;
    const char *kind, *code, *name, *tz;
    int64_t leader_person_id; /* 0 clears */
} org_unit_patch;

/* Change a unit. A new parent moves the unit with its subtree (paths
 * rewritten, one audit leaf per descendant) and is refused with WS_ECONFLICT
 * when it would make a cycle or leave the enterprise. Kind changes among
 * site/area/grid/workshop only. Permission: unit.write on the unit (and on
 * the new parent). */
ws_err org_unit_update(store_conn *c, const org_caller *by, int64_t id, const org_unit_patch *p);

/* Deactivate a unit. Refused (WS_ECONFLICT) while it has active child units
 * or active people: deactivate bottom-up. Permission: unit.write. */
ws_err org_unit_deactivate(store_conn *c, const org_caller *by, int64_t id);

/* Read one unit (no permission check: callers decide on u->path). */
ws_err org_unit_get(store_conn *c, int64_t id, org_unit *u);
ws_err org_unit_by_code(store_conn *c, const char *code, org_unit *u);

typedef struct org_unit_filter {
    const char *scope_path; /* only units whose path starts with this; NULL = all */
    int64_t parent_id;      /* 0 = any */
    const char *kind;       /* NULL = any */
    int active;             /* -1 any, 0, 1 */
    int64_t cursor;         /* ids > cursor */
    int limit;              /* 1..200 */
} org_unit_filter;

/* A page of units ordered by id. *items: caller frees (free()). *next is the
 * cursor of the next page, 0 when this is the last. */
ws_err org_unit_list(store_conn *c, const org_unit_filter *f, org_unit **items, size_t *n,
                     int64_t *next);
/* The subtree of root ordered by path (parents before children), at most
 * max units (WS_ETOOBIG beyond). Caller frees *items. */
ws_err org_unit_subtree(store_conn *c, const org_unit *root, size_t max, org_unit **items,
                        size_t *n);

/* ---------------------------------------------------- departments, posts */

typedef struct org_dept {
    int64_t id;
    int64_t enterprise_id;
    char code[ORG_CODE_MAX + 1];
    char name[ORG_NAME_MAX + 1];
    bool active;
    int64_t created_at, updated_at;
} org_dept;

typedef struct org_post {
    int64_t id;
    int64_t enterprise_id;
    int64_t department_id; /* 0 when none */
    char code[ORG_CODE_MAX + 1];
    char name[ORG_NAME_MAX + 1];
    bool active;
    int64_t created_at, updated_at;
} org_post;

/* Permission for departments and posts: org.write on the enterprise. */
ws_err org_dept_create(store_conn *c, const org_caller *by, int64_t enterprise_id, const char *code,
                       const char *name, int64_t *id);
enum { ORG_SET_DEPT_CODE = 1u << 0, ORG_SET_DEPT_NAME = 1u << 1, ORG_SET_DEPT_ACTIVE = 1u << 2,
       ORG_SET_POST_DEPT = 1u << 3 };
/* Change code, name or active (deactivation refused while active people are
 * in the department). */
ws_err org_dept_update(store_conn *c, const org_caller *by, int64_t id, unsigned set,
                       const char *code, const char *name, bool active);
ws_err org_dept_get(store_conn *c, int64_t id, org_dept *d);

/* department_id 0 = none; otherwise a department of the same enterprise. */
ws_err org_post_create(store_conn *c, const org_caller *by, int64_t enterprise_id,
                       int64_t department_id, const char *code, const char *name, int64_t *id);
/* set: ORG_SET_DEPT_CODE/NAME/ACTIVE and ORG_SET_POST_DEPT (department_id,
 * 0 clears). */
ws_err org_post_update(store_conn *c, const org_caller *by, int64_t id, unsigned set,
                       const char *code, const char *name, bool active, int64_t department_id);
ws_err org_post_get(store_conn *c, int64_t id, org_post *p);
/* Lookups inside one enterprise by code, else by name; WS_ENOTFOUND naming
 * "department" / "posts" when neither matches. */
ws_err org_dept_find(store_conn *c, int64_t enterprise_id, const char *code_or_name,
                     org_dept *d);
ws_err org_post_find(store_conn *c, int64_t enterprise_id, const char *code_or_name,
                     org_post *p);

typedef struct org_ref_filter {
    const char *scope_path; /* caller's scope: enterprises inside it, or containing it */
    int64_t enterprise_id;  /* 0 = any */
    int64_t cursor;
    int limit;
} org_ref_filter;
/* Pages ordered by id; caller frees *items. */
ws_err org_dept_list(store_conn *c, const org_ref_filter *f, org_dept **items, size_t *n,
                     int64_t *next);
ws_err org_post_list(store_conn *c, const org_ref_filter *f, org_post **items, size_t *n,
                     int64_t *next);

/* ----------------------------------------------------------------- people */

typedef struct org_person {
    int64_t id;
    int64_t unit_id;
    int64_t department_id; /* 0 when none */
    char employee_no[ORG_EMPNO_MAX + 1]; /* "" when none */
    char name[ORG_NAME_MAX + 1];
    char phone[ORG_PHONE_MAX + 1];       /* "" when none */
    bool active;
    int64_t left_at;       /* 0 while active */
    int64_t created_at, updated_at;
    int64_t post_ids[ORG_POSTS_MAX];
    int npost;
    char unit_path[AUTH_PATH_MAX]; /* path of unit_id, for permission checks */
    int64_t enterprise_id;         /* of unit_id */
} org_person;

/* True when phone is 5..20 characters of digits, '+', '-' and spaces with at
 * least one digit (NULL or "" are "no phone" and also accepted). */
bool org_phone_valid(const char *phone);

typedef struct org_person_in {
    int64_t unit_id;
    int64_t department_id; /* 0: none */
    const char *employee_no, *name, *phone; /* NULL or "" for none */
    const int64_t *post_ids;
    int npost;
} org_person_in;

/* Create a person in a unit of an enterprise. Permission: person.write on
 * the unit. */
ws_err org_person_create(store_conn *c, const org_caller *by, const org_person_in *in,
                         int64_t *id);

enum {
    ORG_SET_P_DEPT = 1u << 0,
    ORG_SET_P_EMPNO = 1u << 1,
    ORG_SET_P_NAME = 1u << 2,
    ORG_SET_P_PHONE = 1u << 3,
    ORG_SET_P_POSTS = 1u << 4, /* replaces the set of posts */
};
typedef struct org_person_patch {
    unsigned set;
    int64_t department_id;
    const char *employee_no, *name, *phone;
    const int64_t *post_ids;
    int npost;
} org_person_patch;

/* Change a person (not the unit: that is a transfer). Refused for people
 * who have left. Permission: person.write on the person's unit. */
ws_err org_person_update(store_conn *c, const org_caller *by, int64_t id,
                         const org_person_patch *p);

/* A person leaves: active = 0, left_at = now; units they led lose their
 * leader; a person_transfers row to no unit keeps the reason; every account
 * linked to the person is deactivated and its sessions revoked, in the same
 * transaction. Never deletes. */
ws_err org_person_deactivate(store_conn *c, const org_caller *by, int64_t id, const char *reason);

/* The name an erased person keeps. */
#define ORG_ERASED_NAME "已删除人员"
/* Erase the personal data of a person who has left (refused with
 * WS_ECONFLICT, field "active", while the person is active), in one
 * transaction: name becomes ORG_ERASED_NAME, employee_no and phone NULL, the
 * reason of each of the person's transfers NULL; the person's and the
 * transfers' earlier versions are purged (audit_purge: tombstone leaves and
 * "erasure" events carrying reason); each linked account is erased
 * (auth_account_erase: renamed "erased-<id>", inactive, sessions revoked,
 * versions and session events purged). reason: 1..500 bytes, required.
 * Permission: person.erase on the person's unit. When the function opened
 * the transaction itself it then scrubs the freed bytes (SQLite: WAL
 * checkpoint and truncate; PostgreSQL: VACUUM of the tables), best effort;
 * a caller that passes its own transaction gets no scrub
 * (docs/internals/org.md, "Erasure"). */
ws_err org_person_erase(store_conn *c, const org_caller *by, int64_t id, const char *reason);

/* Move a person to another unit of the same enterprise (and optionally
 * another department: department_id 0 keeps the current one). Writes a
 * person_transfers row. Permission: person.write on both units. */
ws_err org_person_transfer(store_conn *c, const org_caller *by, int64_t id, int64_t to_unit_id,
                           int64_t department_id, const char *reason);

/* Read one person with posts and the unit's path (no permission check). */
ws_err org_person_get(store_conn *c, int64_t id, org_person *p);

typedef struct org_person_filter {
    const char *scope_path; /* people of units under this path; NULL = all */
    int64_t unit_id;        /* people of this unit and its subtree; 0 = any */
    int active;             /* -1 any, 0, 1 */
    const char *q;          /* substring of name or employee_no; NULL = none */
    bool q_phone;           /* q also matches phone numbers (callers with person.contact) */
    int64_t cursor;
    int limit;
} org_person_filter;
ws_err org_person_list(store_conn *c, const org_person_filter *f, org_person **items, size_t *n,
                       int64_t *next);

typedef struct org_transfer {
    int64_t id, person_id;
    int64_t from_unit_id, to_unit_id;             /* to 0: the person left */
    int64_t from_department_id, to_department_id; /* 0 when none */
    char reason[ORG_REASON_MAX + 1];
    int64_t at;
    char actor[64];
} org_transfer;
/* A person's transfers, oldest first (at most 1000). Caller frees *items. */
ws_err org_person_transfers(store_conn *c, int64_t person_id, org_transfer **items, size_t *n);

/* ----------------------------------------------------------------- import */

/* A table read from CSV or XLSX: rows of UTF-8 cells. Row numbers are those
 * a spreadsheet shows (the header is row 1). */
typedef struct org_table_row {
    int rownum;
    int ncells;
    char **cells; /* owned by the table */
} org_table_row;

typedef struct org_table {
    org_table_row *rows; /* rows[0] is the header */
    size_t nrows;
} org_table;

/* Read CSV (UTF-8 with or without BOM, else GBK/GB18030; RFC 4180 quoting)
 * or XLSX (detected by its ZIP signature; the first sheet). At most max_rows
 * data rows after the header (WS_ETOOBIG beyond). Fills t (org_table_free). */
ws_err org_table_read(const char *data, size_t len, size_t max_rows, org_table *t);
void org_table_free(org_table *t);
/* Exposed for tests: strict UTF-8 check. */
bool org_utf8_valid(const char *s, size_t n);
/* Free text a person writes (a note, a reason, measures): at most max bytes,
 * valid UTF-8, no control characters (line breaks and tabs allowed when
 * multiline); when required, not blank. Fails with WS_EINVAL naming field. */
ws_err org_check_free_text(const char *s, const char *field, size_t max, bool required, bool multiline);

typedef struct org_import_error {
    int row;
    char field[32];
    char message[200];
} org_import_error;

#define ORG_IMPORT_MAX_ERRORS 500
typedef struct org_import_result {
    int created, updated, unchanged; /* rows that inserted, changed, matched as they are */
    org_import_error *errors; /* caller frees with org_import_result_free */
    size_t nerrors;           /* at most ORG_IMPORT_MAX_ERRORS kept */
    size_t omitted;           /* further errors not kept */
} org_import_result;
void org_import_result_free(org_import_result *r);

/* Import units (columns 编码/code, 名称/name, 类型/kind, 上级编码/parent_code,
 * 时区/tz) or people (姓名/name, 工号/employee_no, 手机/phone, 单位编码/unit_code,
 * 部门/department, 岗位/posts) from a CSV or XLSX file. All or nothing: the
 * rows are applied in one transaction (c must not be in one) that is rolled
 * back when any row fails or dry_run is set. Returns WS_OK with r filled
 * when every row is good; WS_EINVAL with r->errors listing every bad row
 * (and the first in the thread's error detail as "row N: field"); other
 * codes for a file that cannot be read at all. Permission: import.run and
 * unit.write / person.write on each unit touched. */
ws_err org_import_units(store_conn *c, const org_caller *by, const char *data, size_t len,
                        bool dry_run, org_import_result *r);
ws_err org_import_people(store_conn *c, const org_caller *by, const char *data, size_t len,
                         bool dry_run, org_import_result *r);

/* The pieces every import shares (other modules' imports use them too). */
typedef struct org_import_col {
    const char *key;        /* field name in errors */
    const char *aliases[8]; /* accepted header texts (lower-case ASCII, or Chinese) */
    bool required;
} org_import_col;
typedef ws_err (*org_import_fn)(store_conn *c, const org_caller *by, const char *data, size_t len,
                                bool dry_run, org_import_result *r);
/* The steps every import starts with: the permission import.run, that c is
 * not in a transaction, reading the file (*t is the caller's to free on
 * WS_OK) and mapping the header row to spec (idx[k]: the cell index of
 * spec[k] or -1; unknown, twice-given or missing required columns become
 * row errors in r, which this clears first). */
ws_err org_import_open(store_conn *c, const org_caller *by, const char *data, size_t len,
                       const org_import_col *spec, int nspec, int *idx, org_import_result *r,
                       org_table *t);
/* A header cell as the aliases are written: ASCII lower-cased, ' ' and '-'
 * as '_', a '*' (a required-column marker) dropped. */
void org_import_header_norm(const char *s, char *out, size_t cap);
/* Cell k of a row ("" when the column or cell is absent). */
const char *org_import_cell(const org_table_row *row, const int *idx, int k);
/* Record a row error (at most ORG_IMPORT_MAX_ERRORS kept, the rest counted). */
void org_import_error_add(org_import_result *r, int row, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The outcome: WS_OK, or WS_EINVAL with the errors sorted by row and the
 * first as the thread's error detail. */
ws_err org_import_outcome(org_import_result *r);
/* A number cell into *v (NaN when empty); false when it is not a finite
 * number (spaces after it are allowed). */
bool org_import_number(const char *s, double *v);
/* A store failure that must stop applying rows (not a row's own error). */
bool org_import_fatal(ws_err rc);

/* ------------------------------------------------------------------- demo */

#define ORG_DEMO_CREWS 4
#define ORG_DEMO_CREW_SIZE 4
enum { ORG_CREW_LEADER, ORG_CREW_SYNTHESIS, ORG_CREW_TANK, ORG_CREW_OTHER };

typedef struct org_demo_ids {
    int64_t park;
    int64_t enterprise;        /* 华东精细化工有限公司 */
    int64_t site1, site2;      /* 一厂区, 二厂区 */
    int64_t area_synthesis;    /* 合成车间 */
    int64_t area_tank_farm;    /* 罐区 */
    int64_t grid_synthesis;    /* first grid of 合成车间 */
    int64_t enterprise2;       /* 滨江新材料科技有限公司 (isolation) */
    int64_t dept_safety, dept_production;
    /* People suited to demo accounts of each role. */
    int64_t person_manager;        /* general manager, enterprise scope */
    int64_t person_safety_officer; /* safety department */
    int64_t person_dept_head;      /* head of production */
    int64_t person_grid_leader;    /* leader of grid_synthesis */
    int64_t person_worker;         /* operator in grid_synthesis */
    int64_t person_e2_manager;     /* manager of enterprise2 */
    /* The tank farm's people of the special-work permits */
    int64_t person_tank_head;       /* 金涛, workshop head of 罐区 (approves) */
    int64_t person_tank_operator;   /* 陶然, operator in 罐区 (applies) */
    int64_t person_tank_operator2;  /* 戚红, operator in 罐区 (a second guardian) */
    int64_t person_tank_grid_leader; /* 魏东, grid leader in 罐区 (guardian) */
    int64_t person_welder;          /* 吕军, welder */
    int64_t person_electrician;     /* 褚亮, electrician */
    /* 四班两倒: the enterprise's four shift crews, each its 班长 first, then
     * its operators of 合成车间, of 罐区 and of 精馏 or 污水 (ORG_CREW_*).
     * Crew 0 is person_worker's, crew 1 person_grid_leader's, which takes
     * over from it (org_demo_crew_on). */
    int64_t crew[ORG_DEMO_CREWS][ORG_DEMO_CREW_SIZE];
    /* 值班领导 and the safety officer on call, each 24 h from 08:00 in turn;
     * [0] (person_manager, person_safety_officer) on the day of the shift
     * running when the demo is made */
    int64_t duty_manager[4], duty_safety[2];
    int npeople;
} org_demo_ids;

/* The crew (index into org_demo_ids.crew) on the k-th shift from the one
 * running when the demo was made (k = 0; k < 0 before it), day 08–20 and
 * night 20–08, each crew working a day, then a night, then two days off;
 * s0_day: shift 0 is a day shift. Crew 0 on shift 0, crew 1 on shift 1. */
int org_demo_crew_on(int64_t k, bool s0_day);

/* Seed a plausible chemical park: when the organisation is empty the park
 * becomes the root; when the only root is a park without children it is
 * renamed to the demo park and used. Otherwise WS_ECONFLICT. Runs in the
 * caller's transaction when one is open. */
ws_err org_demo_seed(store_conn *c, const audit_actor *who, org_demo_ids *out);

#endif
