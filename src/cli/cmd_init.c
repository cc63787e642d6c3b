/* cmd_init.c — `worksafe init`: a new data directory (or PostgreSQL
 * database) with its schema, evidence-log key, TLS certificate, root unit and
 * an admin account whose password is printed when none was given. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "auth/auth.h"
#include "cli/cli.h"
#include "org/org.h"

int cmd_init(int argc, char **argv)
{
    cli_opts o;
    cli_defaults(&o);
    if (cli_parse(&o, argc, argv, 2, "init")) return 2;
    if (o.help) return 0;
    if (strcmp(o.org_kind, "enterprise") != 0 && strcmp(o.org_kind, "park") != 0) {
        fprintf(stderr, "worksafe init: --org-kind must be enterprise or park\n");
        return 2;
    }
    char password[130];
    bool generated = !o.admin_password[0];
    if (generated) auth_random_password(password, sizeof password);
    else {
        if (auth_check_password_policy(o.admin_password, "admin-password")) {
            fprintf(stderr, "worksafe init: %s\n", ws_err_message());
            return 2;
        }
        snprintf(password, sizeof password, "%s", o.admin_password);
    }
    store *db = NULL;
    store_conn *c = NULL;
    if (cli_prepare_data(&o, &db)) return 1;
    audit_actor who = {"cli"};
    int64_t root = 0, admin = 0;
    ws_err rc = store_acquire(db, &c);
    if (!rc) rc = store_begin(c);
    if (!rc) rc = org_create_root(c, &who, o.org_kind, "ROOT",
                                  o.org_name[0] ? o.org_name : (strcmp(o.org_kind, "park") ? "企业" : "园区"),
                                  &root);
    if (!rc) rc = auth_create_account(c, &who, "admin", password, ROLE_ADMIN, root, 0, generated, &admin);
    if (!rc) rc = store_commit(c);
    if (rc) {
        fprintf(stderr, "worksafe init: %s\n", ws_err_message());
        if (c) store_rollback(c);
    } else {
        char *note = NULL;
        if (!audit_checkpoint(c, &note)) free(note);
        printf("worksafe initialised in %s\n", o.data);
        if (generated) printf("admin password: %s\n(change it at first login)\n", password);
        else printf("admin account: admin\n");
    }
    if (c) store_release(c);
    audit_close();
    store_close(db);
    return rc ? 1 : 0;
}
