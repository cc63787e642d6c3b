/* roles.c — the seven role names and their bit set, as stored in
 * accounts.roles ("admin,safety_officer": names in the fixed order of the
 * auth_role enum, so the same set always reads back as the same text, which
 * the audit log's record hashes rely on). */
#include <stdio.h>
#include <string.h>

#include "auth/auth.h"

static const char *const role_names[] = {
    "admin", "manager", "safety_officer", "dept_head", "grid_leader", "worker", "regulator",
};
#define NROLES (sizeof role_names / sizeof role_names[0])

ws_err auth_roles_parse(const char *csv, unsigned *roles)
{
    unsigned set = 0;
    if (!csv || !*csv) return ws_fail(WS_EINVAL, "roles", "at least one role is required");
    const char *p = csv;
    for (;;) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        size_t i;
        for (i = 0; i < NROLES; i++)
            if (strlen(role_names[i]) == n && memcmp(role_names[i], p, n) == 0) break;
        if (i == NROLES) {
            if (n == 0) return ws_fail(WS_EINVAL, "roles", "empty role name");
            return ws_fail(WS_EINVAL, "roles", "unknown role \"%.*s\"", (int)(n > 32 ? 32 : n), p);
        }
        set |= 1u << i;
        if (!e) break;
        p = e + 1;
    }
    *roles = set;
    return WS_OK;
}

void auth_roles_format(unsigned roles, char *out, size_t cap)
{
    size_t k = 0;
    if (cap) out[0] = 0;
    for (size_t i = 0; i < NROLES; i++) {
        if (!(roles & (1u << i))) continue;
        int w = snprintf(out + k, cap > k ? cap - k : 0, "%s%s", k ? "," : "", role_names[i]);
        if (w < 0 || (size_t)w >= (cap > k ? cap - k : 0)) return; /* truncated, NUL-terminated */
        k += (size_t)w;
    }
}

ws_err auth_roles_check(unsigned roles)
{
    if (!roles) return ws_fail(WS_EINVAL, "roles", "at least one role is required");
    if (roles & ~ROLE_ALL) return ws_fail(WS_EINVAL, "roles", "unknown role");
    if ((roles & ROLE_REGULATOR) && (roles & ROLE_ADMIN))
        return ws_fail(WS_EINVAL, "roles", "a regulator account cannot also be an admin");
    return WS_OK;
}
