/* cli_common.c — steps shared by the commands: opening and migrating the
 * store, module start-up in layer order, first-time set-up of a data
 * directory, and the data directory lock. */
#include "cli/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alarm/ruleset.h"
#include "api/api.h"
#include "attach/attach.h"
#include "audit/audit.h"
#include "auth/auth.h"
#include "workflow/workflow.h"
#include "core/log.h"
#include "hazard/hazard.h"
#include "ledger/ledger.h"
#include "permit/permit.h"
#include "taskforce/taskforce.h"
#include "duty/duty.h"
#include "handover/handover.h"
#include "dynrisk/dynrisk.h"
#include "patrol/patrol.h"
#include "voice/voice.h"
#include "plant/plant.h"
#include "warn/warn.h"
#include "http/http.h"
#include "org/org.h"
#include "risk/risk.h"
#include "telemetry/point.h"
#include "store/q_meta.h"
#include "store/store.h"

ws_err cli_open_store(const cli_opts *o, int pool, store **out)
{
    ws_err rc = store_open(cli_db_url(o), pool, out);
    if (rc) fprintf(stderr, "cannot open the database %s: %s\n", o->db[0] ? "(postgres)" : cli_db_url(o),
                    ws_err_message());
    return rc;
}

static ws_err meta_get(store_conn *c, const char *key, char *out, size_t cap)
{
    store_stmt *st;
    bool row = false;
    ws_err rc = store_prepare(c, Q_META_GET, &st);
    if (rc) return rc;
    if (!(rc = store_bind_text(st, 1, key)) && !(rc = store_step(st, &row)))
        snprintf(out, cap, "%s", row ? store_col_text(st, 0) : "");
    store_finalize(st);
    if (!rc && !row) rc = ws_fail(WS_ENOTFOUND, key, "no %s in meta", key);
    return rc;
}

static ws_err meta_put(store_conn *c, const char *key, const char *value)
{
    store_stmt *st;
    bool row;
    ws_err rc = store_prepare(c, Q_META_PUT, &st);
    if (rc) return rc;
    if (!(rc = store_bind_text(st, 1, key)) && !(rc = store_bind_text(st, 2, value)))
        rc = store_step(st, &row);
    store_finalize(st);
    return rc;
}

ws_err cli_init_modules(const cli_opts *o)
{
    ws_err rc;
    if ((rc = auth_init()) || (rc = org_init())) return rc;
    if ((rc = workflow_init())) return rc;
    if ((rc = risk_init())) return rc;
    if ((rc = risk_map_init())) return rc;
    if ((rc = point_init())) return rc;
    if ((rc = alarm_ruleset_init())) return rc;
    if ((rc = hazard_init())) return rc;
    if ((rc = warn_init())) return rc;
    if ((rc = plant_init(ledger_tz_offset))) return rc;
    if ((rc = permit_init())) return rc;
    if ((rc = taskforce_init())) return rc;
    if ((rc = duty_init())) return rc;
    if ((rc = handover_init())) return rc; /* 交接班记录 */
    taskforce_hook_workflow(); /* the hazard lifecycle's open_task_force effect */
    if ((rc = patrol_init())) return rc;
    if ((rc = voice_init())) return rc; /* issue 6: anonymous reports and the points bank */
    if ((rc = dynrisk_init())) return rc; /* issue 7: the dynamic risk index */
    if ((rc = attach_init(o->data, NULL))) return rc;
    return WS_OK;
}

/* Open the evidence log with the key of the data directory and the origin
 * recorded at init. */
ws_err cli_open_audit(const cli_opts *o, store_conn *c)
{
    char key[CLI_PATH_MAX + 32], origin[160];
    snprintf(key, sizeof key, "%s/keys/audit.key", o->data);
    ws_err rc = meta_get(c, "audit_origin", origin, sizeof origin);
    if (rc) {
        fprintf(stderr, "the database has no evidence-log origin: was it made by worksafe init?\n");
        return rc;
    }
    rc = audit_open(key, origin);
    if (rc) fprintf(stderr, "cannot open the evidence log key %s: %s\n", key, ws_err_message());
    return rc;
}

ws_err cli_lock_data(const cli_opts *o)
{
    static int held = -1; /* flock is per open file: take it once per process */
    if (held >= 0) return WS_OK;
    char path[CLI_PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/.lock", o->data);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        fprintf(stderr, "cannot open %s: %s\n", path, strerror(errno));
        return WS_EIO;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        fprintf(stderr, "%s is in use by another worksafe process (a running server?)\n", o->data);
        close(fd);
        return WS_ECONFLICT;
    }
    held = fd; /* stays open: the lock lives as long as the process */
    return WS_OK;
}

static ws_err mkdir_p(const char *dir, mode_t mode)
{
    char p[CLI_PATH_MAX];
    snprintf(p, sizeof p, "%s", dir);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/') continue;
        *s = 0;
        if (mkdir(p, 0755) != 0 && errno != EEXIST) return WS_EIO;
        *s = '/';
    }
    if (mkdir(p, mode) != 0 && errno != EEXIST) {
        fprintf(stderr, "cannot create %s: %s\n", p, strerror(errno));
        return WS_EIO;
    }
    return WS_OK;
}

/* First-time set-up of the data directory: directories, the evidence-log key,
 * a self-signed TLS certificate, the schema, and the origin. Leaves the store
 * migrated and the audit log open. Refuses a directory already initialised. */
ws_err cli_prepare_data(cli_opts *o, store **db_out)
{
    char p[CLI_PATH_MAX + 32], host[128] = "localhost";
    ws_err rc;
    if ((rc = mkdir_p(o->data, 0700))) return rc;
    snprintf(p, sizeof p, "%s/keys", o->data);
    if ((rc = mkdir_p(p, 0700))) return rc;
    snprintf(p, sizeof p, "%s/tls", o->data);
    if ((rc = mkdir_p(p, 0700))) return rc;
    snprintf(p, sizeof p, "%s/backups", o->data);
    if ((rc = mkdir_p(p, 0700))) return rc;
    if ((rc = cli_lock_data(o))) return rc;

    snprintf(p, sizeof p, "%s/keys/audit.key", o->data);
    if (access(p, F_OK) == 0) {
        fprintf(stderr, "%s is already initialised (%s exists)\n", o->data, p);
        return WS_ECONFLICT;
    }
    gethostname(host, sizeof host - 1);
    cli_resolve(o);
    if (access(o->cert, F_OK) != 0 && (rc = http_tls_selfsigned(o->cert, o->key, host))) {
        fprintf(stderr, "cannot make a TLS certificate: %s\n", ws_err_message());
        return rc;
    }

    store *db = NULL;
    store_conn *c = NULL;
    if ((rc = cli_open_store(o, 2, &db))) return rc;
    if ((rc = store_acquire(db, &c))) goto fail;
    int v = 0;
    if ((rc = store_schema_version(c, &v))) goto fail;
    if (v != 0) {
        fprintf(stderr, "the database is not empty (schema version %d): refusing to initialise it\n", v);
        rc = WS_ECONFLICT;
        goto fail;
    }
    if ((rc = store_migrate(c))) {
        fprintf(stderr, "migration failed: %s\n", ws_err_message());
        goto fail;
    }
    if (!o->origin[0]) snprintf(o->origin, sizeof o->origin, "%.100s/worksafe/audit", host);
    if ((rc = meta_put(c, "audit_origin", o->origin))) goto fail;
    if ((rc = audit_keygen(p))) {
        fprintf(stderr, "cannot create the evidence-log key: %s\n", ws_err_message());
        goto fail;
    }
    if ((rc = cli_init_modules(o)) || (rc = cli_open_audit(o, c))) goto fail;
    store_release(c);
    *db_out = db;
    return WS_OK;
fail:
    if (c) store_release(c);
    store_close(db);
    return rc;
}
