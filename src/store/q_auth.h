/* q_auth.h — named queries of the auth module (src/auth): accounts, their
 * side table account_security (failure count, lock), sessions, and the two
 * reads of units and people that scope checks and GET /me need (kept here so
 * auth does not depend on the org module above it). */
#ifndef WS_Q_AUTH_H
#define WS_Q_AUTH_H

/* $1 unit id: path */
extern const char Q_AUTH_UNIT_PATH[];
/* $1 person id: path of the person's unit */
extern const char Q_AUTH_PERSON_UNIT_PATH[];
/* $1 unit id: id, name, kind, path */
extern const char Q_AUTH_UNIT_INFO[];
/* $1 person id: id, unit_id, department_id, name, employee_no */
extern const char Q_AUTH_PERSON_INFO[];

/* $1 username: id, password_hash, active, failed_count, locked_until */
extern const char Q_AUTH_LOGIN_LOOKUP[];
/* $1 account id: failed_count after adding one failure */
extern const char Q_AUTH_FAIL[];
/* $1 account id, $2 locked_until */
extern const char Q_AUTH_LOCK[];
/* $1 account id, $2 now: failures and lock cleared, last login set */
extern const char Q_AUTH_LOGIN_OK[];
/* $1 account id */
extern const char Q_AUTH_UNLOCK[];

/* $1 token_hash, $2 account id, $3 created_at, $4 expires_at: id */
extern const char Q_AUTH_SESSION_INSERT[];
/* $1 token_hash: s.id, s.expires_at, s.revoked, a.id, a.username,
 * a.person_id, a.roles, a.scope_unit_id, a.active, a.must_change_password,
 * scope path */
extern const char Q_AUTH_SESSION_LOOKUP[];
/* $1 session id */
extern const char Q_AUTH_SESSION_REVOKE[];
/* $1 account id */
extern const char Q_AUTH_SESSIONS_REVOKE_ACCOUNT[];
/* $1 account id, $2 the session to keep */
extern const char Q_AUTH_SESSIONS_REVOKE_OTHERS[];
/* $1 now: drop sessions that expired before */
extern const char Q_AUTH_SESSIONS_PURGE[];

/* $1 username, $2 person_id, $3 password_hash, $4 roles, $5 scope_unit_id,
 * $6 must_change_password, $7 now: id */
extern const char Q_AUTH_ACCOUNT_INSERT[];
/* Account columns for auth_account: id, username, person_id, roles,
 * scope_unit_id, scope path, active, must_change_password, created_at,
 * updated_at, failed_count, locked_until, last_login_at. */
extern const char Q_AUTH_ACCOUNT_GET[];  /* $1 id */
extern const char Q_AUTH_ACCOUNT_LIST[]; /* $1 scope path LIKE pattern, $2 after id, $3 limit */
/* $1 id, $2 roles, $3 scope_unit_id, $4 person_id, $5 now */
extern const char Q_AUTH_ACCOUNT_UPDATE[];
/* $1 id, $2 active, $3 now */
extern const char Q_AUTH_ACCOUNT_SET_ACTIVE[];
/* $1 id, $2 password_hash, $3 must_change_password, $4 now */
extern const char Q_AUTH_ACCOUNT_SET_PASSWORD[];
/* $1 id: password_hash */
extern const char Q_AUTH_ACCOUNT_HASH[];
/* $1 person id: ids of the accounts linked to the person, by id */
extern const char Q_AUTH_ACCOUNTS_OF_PERSON[];
/* $1 id, $2 username, $3 password_hash, $4 now: erased (and inactive) */
extern const char Q_AUTH_ACCOUNT_ERASE[];

#endif
