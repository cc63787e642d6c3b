/* ruleset.h — the stored versions of the alarm rule set (rule.h): list, read,
 * add a version, choose the active one. Table alarm_rule_sets (migration 14,
 * SQL in store/q_alarmrule.c); every new version and every activation is an
 * evidence-log leaf ("alarm_rule_set" create / update) in the same
 * transaction, as risk's rule sets are (src/risk/ruleset.c).
 *
 * Exactly one version is active. Version 1 is the default set
 * (rule_set_default_json), stored by the system the first time the rule sets
 * are read, so a new install always has one. A new version is stored
 * inactive; activating it is a separate, audited step (the warn engine
 * rebuilds its rule engine from the active version).
 *
 * Permissions: "alarmrule.write" (admins) for create and activate, checked
 * here when the caller has a subject; reads are the API's ("alarmrule.read"). */
#ifndef WS_ALARM_RULESET_H
#define WS_ALARM_RULESET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alarm/rule.h"
#include "audit/audit.h"
#include "org/org.h"
#include "store/store.h"

#define ALARM_RULESET_COMMENT_MAX 500

extern const audit_entity ALARM_ENTITY_RULE_SET; /* "alarm_rule_set" */

/* Register the audited entity (idempotent). */
ws_err alarm_ruleset_init(void);

typedef struct alarm_ruleset_row {
    int64_t version;
    char comment[ALARM_RULESET_COMMENT_MAX + 1];
    int64_t created_by_person_id; /* 0 = the system */
    int64_t created_at;           /* ms UTC */
    bool active;
    char *doc;                    /* canonical JSON; owned by the row (NULL in lists) */
} alarm_ruleset_row;

void alarm_ruleset_row_free(alarm_ruleset_row *r); /* frees doc only */

/* Every version, oldest first, without docs (stores the default first when
 * none is). Caller frees *items. */
ws_err alarm_ruleset_list(store_conn *c, alarm_ruleset_row **items, size_t *n);
/* One version with its doc (caller: alarm_ruleset_row_free). WS_ENOTFOUND
 * naming "version". */
ws_err alarm_ruleset_get(store_conn *c, int64_t version, alarm_ruleset_row *out);
/* The active version with its doc (the default when none is stored yet). */
ws_err alarm_ruleset_active(store_conn *c, alarm_ruleset_row *out);
/* The active version, parsed into *set (caller-owned, large) and its
 * version number. */
ws_err alarm_ruleset_load_active(store_conn *c, rule_set *set, int64_t *version);

/* Check doc strictly (rule_set_parse: WS_EINVAL naming "rules[3].window_s")
 * and, unless dry_run, store it as the next version, inactive, in canonical
 * form, with its leaf. comment: 1..500 bytes of text (field "comment").
 * *version gets the new number (0 on a dry run). */
ws_err alarm_ruleset_create(store_conn *c, const org_caller *by, const char *doc, size_t len,
                            const char *comment, bool dry_run, int64_t *version);
/* Make version the only active one (leaves for every row changed).
 * WS_ENOTFOUND naming "version". Activating the active one changes nothing. */
ws_err alarm_ruleset_activate(store_conn *c, const org_caller *by, int64_t version);

#endif
