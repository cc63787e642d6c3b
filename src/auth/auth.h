/* auth.h — accounts, passwords, sessions, and the one permission decision.
 *
 * Passwords: argon2id (libsodium, INTERACTIVE limits), at most two hashes
 * computed at once in the whole process (a semaphore), so a login flood cannot
 * take the server's memory. Tokens: 256 random bits, shown to the client once
 * as 64 hex characters, stored only as their SHA-256.
 *
 * Permissions: every request is decided by auth_decide() from the account's
 * roles and scope (a unit subtree), the action, and the resource's unit, state
 * and the account's relation to it. Later issues add rows to the policy table
 * in policy.c, not new mechanisms. Outcomes: WS_OK; WS_EFORBIDDEN when no role
 * of the account may perform the action; WS_ENOTFOUND when the resource is
 * outside the account's scope (its existence is not revealed). */
#ifndef WS_AUTH_H
#define WS_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "store/store.h"

typedef enum {
    ROLE_ADMIN = 1u << 0,
    ROLE_MANAGER = 1u << 1,
    ROLE_SAFETY_OFFICER = 1u << 2,
    ROLE_DEPT_HEAD = 1u << 3,
    ROLE_GRID_LEADER = 1u << 4,
    ROLE_WORKER = 1u << 5,
    ROLE_REGULATOR = 1u << 6,
} auth_role;
#define ROLE_ALL 0x7Fu

/* "admin,safety_officer" <-> bit set. Parse fails (WS_EINVAL, field "roles")
 * on an unknown or empty name; format writes names in the fixed order above. */
ws_err auth_roles_parse(const char *csv, unsigned *roles);
void auth_roles_format(unsigned roles, char *out, size_t cap);

#define AUTH_PATH_MAX 256

/* Who is asking; filled by auth_session(). */
typedef struct auth_subject {
    int64_t account_id;
    int64_t person_id;      /* 0 when the account has no person */
    char username[64];
    unsigned roles;
    int64_t scope_unit_id;
    char scope_path[AUTH_PATH_MAX]; /* materialised path of the scope unit, "/1/4/" */
    bool must_change_password;
    int64_t session_id;
} auth_subject;

/* What is acted on. unit_path NULL means "not tied to a unit" (then only the
 * role decides). Relations let rules such as "the reporter may read" work. */
typedef struct auth_resource {
    const char *unit_path;
    const char *state;          /* lifecycle state, NULL when none */
    int64_t reporter_person_id; /* 0 when none */
    int64_t assignee_person_id;
    int64_t owner_account_id;   /* e.g. the account itself for /me */
    bool unit_is_area;          /* the unit is an area (kind "area"): see REL_AREA_ABOVE */
} auth_resource;

/* The decision. r may be NULL for a role-only check (route level). */
ws_err auth_decide(const auth_subject *s, const char *action, const auth_resource *r);
/* True when path lies inside the subject's scope subtree. */
bool auth_in_scope(const auth_subject *s, const char *unit_path);

/* Process-wide set-up: sodium_init and the hashing semaphore. */
ws_err auth_init(void);

/* Hash a password (argon2id string, caller supplies out of cap >= 128). */
ws_err auth_hash_password(const char *password, char *out, size_t cap);
/* Password policy: 10..128 bytes, not all one character class. field names
 * the JSON field for the error. */
ws_err auth_check_password_policy(const char *password, const char *field);
/* A random password for init and admin resets: 16 characters, caller cap >= 17. */
void auth_random_password(char *out, size_t cap);

/* Log in. On success writes the token (64 hex + NUL) and fills *s.
 * Failures: WS_EUNAUTH (wrong user or password, one message for both),
 * WS_ELOCKED (locked; retry time in the detail). Appends login leaves. */
ws_err auth_login(store_conn *c, const char *username, const char *password, char token[65],
                  auth_subject *s, int64_t *expires_at_ms);
/* Resolve a bearer token (64 hex) into a subject. WS_EUNAUTH when unknown,
 * expired or revoked, or the account is inactive. */
ws_err auth_session(store_conn *c, const char *token, auth_subject *s);
ws_err auth_logout(store_conn *c, const auth_subject *s);


/* --- Added for accounts (issue 2): the session lifetime, the audited
 * account entity, and the account operations the API and the CLI share. --- */
#include "audit/audit.h"

/* The audited columns of accounts: id, username, person_id, password_hash,
 * roles, scope_unit_id, active, must_change_password, created_at,
 * updated_at. Registered by auth_init(). */
extern const audit_entity AUDIT_ENTITY_ACCOUNT;

/* Lifetime of new sessions (default 12 h); api_init() sets it. */
void auth_set_session_ttl(int64_t ms);
/* Verify password against an argon2id string (under the hashing semaphore).
 * WS_OK on a match, WS_EUNAUTH otherwise. */
ws_err auth_verify_password(const char *password, const char *hash);
/* Role sets an account may hold: non-empty, and a regulator may not also be
 * an admin. WS_EINVAL, field "roles", otherwise. */
ws_err auth_roles_check(unsigned roles);

/* An account as the API shows it (never the password hash). */
typedef struct auth_account {
    int64_t id;
    char username[64];
    int64_t person_id;     /* 0 = none */
    unsigned roles;
    int64_t scope_unit_id;
    char scope_path[AUTH_PATH_MAX];
    bool active;
    bool must_change_password;
    int64_t created_at, updated_at;
    int failed_count;
    int64_t locked_until;  /* > now while locked */
    int64_t last_login_at; /* 0 = never */
} auth_account;

/* Create an account (password hashed here; person_id 0 = none). Checks the
 * username (1..63 bytes, no spaces or control characters), the role set, the
 * password policy and that the scope unit exists (WS_ENOTFOUND,
 * "scope_unit_id"); a taken username is WS_ECONFLICT. Opens its own
 * transaction when c is not in one. Appends an "account" "create" leaf. */
ws_err auth_create_account(store_conn *c, const audit_actor *who, const char *username,
                           const char *password, unsigned roles, int64_t scope_unit_id,
                           int64_t person_id, bool must_change, int64_t *id);
/* WS_ENOTFOUND when there is no such account. */
ws_err auth_account_get(store_conn *c, int64_t id, auth_account *a);
/* Accounts whose scope unit lies inside scope_path, id > after_id, by id;
 * out has room for limit entries, *n gets the count. */
ws_err auth_account_list(store_conn *c, const char *scope_path, int64_t after_id, int limit,
                         auth_account *out, int *n);
/* Change roles, scope or person (each NULL = unchanged; *person_id 0 clears).
 * A change of roles or scope is a "permission_change" leaf, else "update".
 * Scope and person checks against the caller's scope are the caller's. */
ws_err auth_account_update(store_conn *c, const audit_actor *who, int64_t id,
                           const unsigned *roles, const int64_t *scope_unit_id,
                           const int64_t *person_id);
/* Activate or deactivate (deactivation revokes every session). */
ws_err auth_account_set_active(store_conn *c, const audit_actor *who, int64_t id, bool active);
/* Clear the failure count and any lock. */
ws_err auth_account_unlock(store_conn *c, const audit_actor *who, int64_t id);
/* Admin reset: a new random password (written to out, cap >= 17), must
 * change at next login, lock cleared, sessions revoked. */
ws_err auth_reset_password(store_conn *c, const audit_actor *who, int64_t id, char *out,
                           size_t cap);
/* The signed-in account changes its password: old_pw must verify (WS_EINVAL,
 * field "old_password" otherwise), new_pw must pass the policy and differ.
 * Clears must_change_password and revokes the account's other sessions. */
ws_err auth_change_password(store_conn *c, const auth_subject *s, const char *old_pw,
                            const char *new_pw);

/* The accounts linked to a person (accounts.person_id), by id: at most cap
 * ids into ids, *n the count (WS_ETOOBIG when there are more). */
ws_err auth_accounts_of_person(store_conn *c, int64_t person_id, int64_t *ids, int cap, int *n);
/* Usernames "erased-<id>" are reserved for erased accounts. */
#define AUTH_ERASED_PREFIX "erased-"
/* Erase an account with its person's personal data (org_person_erase): the
 * username becomes "erased-<id>", the password hash a marker no password
 * matches, the account inactive, every session revoked; the account's
 * versions and its "session" events (which carry the username) are purged
 * with reason (audit_purge, audit_purge_events). Joins the caller's write
 * transaction (opens its own when there is none). */
ws_err auth_account_erase(store_conn *c, const audit_actor *who, int64_t id, const char *reason);

/* Scope helpers: the materialised path of a unit, or of a person's unit.
 * WS_ENOTFOUND (field given) when there is no such row. */
ws_err auth_unit_path(store_conn *c, int64_t unit_id, const char *field, char *path, size_t cap);
ws_err auth_person_unit_path(store_conn *c, int64_t person_id, const char *field, char *path,
                             size_t cap);

/* What GET /me shows of the scope unit and the person. */
typedef struct auth_unit_info {
    int64_t id;
    char name[256];
    char kind[32];
    char path[AUTH_PATH_MAX];
} auth_unit_info;
typedef struct auth_person_info {
    int64_t id;
    int64_t unit_id;
    int64_t department_id;
    char name[256];
    char employee_no[64];
} auth_person_info;
ws_err auth_unit_info_get(store_conn *c, int64_t id, auth_unit_info *u);
ws_err auth_person_info_get(store_conn *c, int64_t id, auth_person_info *p);

#endif
