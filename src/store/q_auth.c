/* q_auth.c — SQL of the auth module; see q_auth.h. Written once for SQLite
 * 3.40 and PostgreSQL 15 (numbered placeholders, ON CONFLICT, RETURNING). */
#include "store/q_auth.h"

const char Q_AUTH_UNIT_PATH[] = "SELECT path FROM units WHERE id = $1";
const char Q_AUTH_PERSON_UNIT_PATH[] =
    "SELECT u.path FROM people p JOIN units u ON u.id = p.unit_id WHERE p.id = $1";
const char Q_AUTH_UNIT_INFO[] = "SELECT id, name, kind, path FROM units WHERE id = $1";
const char Q_AUTH_PERSON_INFO[] =
    "SELECT id, unit_id, department_id, name, employee_no FROM people WHERE id = $1";

const char Q_AUTH_LOGIN_LOOKUP[] =
    "SELECT a.id, a.password_hash, a.active, COALESCE(s.failed_count, 0), "
    "COALESCE(s.locked_until, 0) "
    "FROM accounts a LEFT JOIN account_security s ON s.account_id = a.id "
    "WHERE a.username = $1";
const char Q_AUTH_FAIL[] =
    "INSERT INTO account_security (account_id, failed_count, locked_until) VALUES ($1, 1, 0) "
    "ON CONFLICT (account_id) DO UPDATE SET failed_count = account_security.failed_count + 1 "
    "RETURNING failed_count";
const char Q_AUTH_LOCK[] = "UPDATE account_security SET locked_until = $2 WHERE account_id = $1";
const char Q_AUTH_LOGIN_OK[] =
    "INSERT INTO account_security (account_id, failed_count, locked_until, last_login_at) "
    "VALUES ($1, 0, 0, $2) "
    "ON CONFLICT (account_id) DO UPDATE SET failed_count = 0, locked_until = 0, "
    "last_login_at = excluded.last_login_at";
const char Q_AUTH_UNLOCK[] =
    "UPDATE account_security SET failed_count = 0, locked_until = 0 WHERE account_id = $1";

const char Q_AUTH_SESSION_INSERT[] =
    "INSERT INTO sessions (token_hash, account_id, created_at, expires_at, revoked) "
    "VALUES ($1, $2, $3, $4, 0) RETURNING id";
const char Q_AUTH_SESSION_LOOKUP[] =
    "SELECT s.id, s.expires_at, s.revoked, a.id, a.username, a.person_id, a.roles, "
    "a.scope_unit_id, a.active, a.must_change_password, u.path "
    "FROM sessions s JOIN accounts a ON a.id = s.account_id "
    "JOIN units u ON u.id = a.scope_unit_id "
    "WHERE s.token_hash = $1";
const char Q_AUTH_SESSION_REVOKE[] = "UPDATE sessions SET revoked = 1 WHERE id = $1";
const char Q_AUTH_SESSIONS_REVOKE_ACCOUNT[] =
    "UPDATE sessions SET revoked = 1 WHERE account_id = $1 AND revoked = 0";
const char Q_AUTH_SESSIONS_REVOKE_OTHERS[] =
    "UPDATE sessions SET revoked = 1 WHERE account_id = $1 AND id <> $2 AND revoked = 0";
const char Q_AUTH_SESSIONS_PURGE[] = "DELETE FROM sessions WHERE expires_at < $1";

const char Q_AUTH_ACCOUNT_INSERT[] =
    "INSERT INTO accounts (username, person_id, password_hash, roles, scope_unit_id, active, "
    "must_change_password, created_at, updated_at) "
    "VALUES ($1, $2, $3, $4, $5, 1, $6, $7, $7) RETURNING id";

#define ACCOUNT_COLS                                                                        \
    "SELECT a.id, a.username, a.person_id, a.roles, a.scope_unit_id, u.path, a.active, "    \
    "a.must_change_password, a.created_at, a.updated_at, COALESCE(s.failed_count, 0), "     \
    "COALESCE(s.locked_until, 0), COALESCE(s.last_login_at, 0) "                            \
    "FROM accounts a JOIN units u ON u.id = a.scope_unit_id "                               \
    "LEFT JOIN account_security s ON s.account_id = a.id "

const char Q_AUTH_ACCOUNT_GET[] = ACCOUNT_COLS "WHERE a.id = $1";
const char Q_AUTH_ACCOUNT_LIST[] =
    ACCOUNT_COLS "WHERE u.path LIKE $1 AND a.id > $2 ORDER BY a.id LIMIT $3";
const char Q_AUTH_ACCOUNT_UPDATE[] =
    "UPDATE accounts SET roles = $2, scope_unit_id = $3, person_id = $4, updated_at = $5 "
    "WHERE id = $1";
const char Q_AUTH_ACCOUNT_SET_ACTIVE[] =
    "UPDATE accounts SET active = $2, updated_at = $3 WHERE id = $1";
const char Q_AUTH_ACCOUNT_SET_PASSWORD[] =
    "UPDATE accounts SET password_hash = $2, must_change_password = $3, updated_at = $4 "
    "WHERE id = $1";
const char Q_AUTH_ACCOUNT_HASH[] = "SELECT password_hash FROM accounts WHERE id = $1";
const char Q_AUTH_ACCOUNTS_OF_PERSON[] = "SELECT id FROM accounts WHERE person_id = $1 ORDER BY id";
const char Q_AUTH_ACCOUNT_ERASE[] =
    "UPDATE accounts SET username = $2, password_hash = $3, active = 0, updated_at = $4 "
    "WHERE id = $1";
