/* cli.h — the worksafe command line: options, the config file, and the
 * commands (init, serve, demo, audit verify, backup, restore, version).
 *
 * Every option can also be set in a config file of "key = value" lines with
 * the same names (listen_tls for --listen-tls); the command line wins. The
 * file is --config FILE, else DATA/worksafe.conf when it exists. */
#ifndef WS_CLI_H
#define WS_CLI_H

#include <stdbool.h>

#include "core/err.h"
#include "store/store.h"

#define CLI_PATH_MAX 512

typedef struct cli_opts {
    char data[CLI_PATH_MAX];        /* data directory (SQLite file, keys, TLS, backups) */
    char db[CLI_PATH_MAX];          /* "" = DATA/worksafe.db, or postgres://… */
    char listen[64];                /* plain HTTP, loopback only */
    char listen_tls[64];            /* HTTPS */
    char cert[CLI_PATH_MAX];        /* "" = DATA/tls/cert.pem */
    char key[CLI_PATH_MAX];         /* "" = DATA/tls/key.pem */
    char web[CLI_PATH_MAX];         /* built web assets */
    char origin[128];               /* checkpoint origin / key name */
    char admin_password[130];
    char org_name[128];
    char org_kind[32];
    char out[CLI_PATH_MAX];         /* backup: where to write */
    char from[CLI_PATH_MAX];        /* restore: which backup */
    char against[CLI_PATH_MAX];     /* audit verify --against */
    char log_level[16];
    char public_origin[128];        /* allowed Origin for cookie writes when behind a proxy */
    int threads;
    int tick_seconds;               /* serve: SLA / overdue timer period (default 60) */
    int recurrence_days;            /* serve: a hazard repeating within this is flagged (90) */
    int series_retention_days;      /* serve: raw chunks kept (0 = forever) */
    bool simulate;                  /* demo: the demo plant's detectors send live readings */
    bool help;
} cli_opts;

/* Parse argv[first..argc) into o (already holding defaults), reading the
 * config file first. Unknown options fail with a message on stderr. */
ws_err cli_parse(cli_opts *o, int argc, char **argv, int first, const char *cmd);
void cli_defaults(cli_opts *o);
/* Resolve derived paths: db URL, cert, key. */
void cli_resolve(cli_opts *o);
/* db URL or SQLite file path, for store_open. */
const char *cli_db_url(const cli_opts *o);

int cmd_init(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_backup(int argc, char **argv);
int cmd_restore(int argc, char **argv);
int cmd_rules(int argc, char **argv);

/* Run the server until SIGTERM/SIGINT (cmd_serve.c); exit code. */
int cli_serve(cli_opts *o);

/* The plant-side adapters of DATA/integrations.json (MQTT, Modbus, cameras)
 * feeding the engine, and the outbox sender (always; its options under
 * "notify"). Stop before the engine. */
typedef struct cli_integrations cli_integrations;
struct warn;
ws_err cli_integrations_start(const cli_opts *o, store *db, struct warn *w, cli_integrations **out);
void cli_integrations_stop(cli_integrations *x);

/* The demo plant's live detectors (demo_sim.c): readings of every demo
 * point through the engine every 5 s while `worksafe demo` runs. */
typedef struct cli_demo_sim cli_demo_sim;
ws_err cli_demo_sim_start(store *db, struct warn *w, cli_demo_sim **out);
void cli_demo_sim_stop(cli_demo_sim *s);

/* Shared steps of the commands (cli_common.c). */
ws_err cli_open_store(const cli_opts *o, int pool, store **out);
/* Module start-up in layer order (auth, org: entity registration). */
ws_err cli_init_modules(const cli_opts *o);
/* Open the evidence log with DATA/keys/audit.key and the stored origin. */
ws_err cli_open_audit(const cli_opts *o, store_conn *c);
/* First-time set-up of DATA: directories, key, TLS certificate, schema,
 * origin; locks DATA and leaves the log open. Caller owns *db. */
ws_err cli_prepare_data(cli_opts *o, store **db);
/* Open an existing database for serving: refuse a newer schema, back up and
 * migrate an older one. Caller owns *db. */
ws_err cli_open_for_serve(const cli_opts *o, int pool, store **db);
/* Take the data directory's lock (flock on DATA/.lock); fails when a server
 * holds it. The descriptor stays open for the life of the process. */
ws_err cli_lock_data(const cli_opts *o);

#endif
