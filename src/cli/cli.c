/* cli.c — option and config-file parsing shared by the commands. */
#include "cli/cli.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void cli_defaults(cli_opts *o)
{
    memset(o, 0, sizeof *o);
    snprintf(o->data, sizeof o->data, "./data");
    snprintf(o->web, sizeof o->web, "build/web");
    snprintf(o->org_kind, sizeof o->org_kind, "enterprise");
    snprintf(o->log_level, sizeof o->log_level, "info");
}

typedef struct opt {
    const char *name; /* without the leading "--"; config key has '_' for '-' */
    size_t off;
    size_t cap;       /* 0 = integer */
    const char *help;
} opt;

#define S(f) offsetof(cli_opts, f), sizeof(((cli_opts *)0)->f)
static const opt opts[] = {
    {"data", S(data), "data directory (default ./data)"},
    {"db", S(db), "database: postgres://… URL (default: SQLite file DATA/worksafe.db)"},
    {"listen", S(listen), "plain HTTP ADDR:PORT, loopback only (e.g. 127.0.0.1:8080)"},
    {"listen-tls", S(listen_tls), "HTTPS ADDR:PORT (e.g. 0.0.0.0:8443)"},
    {"cert", S(cert), "TLS certificate PEM (default DATA/tls/cert.pem, made by init)"},
    {"key", S(key), "TLS private key PEM (default DATA/tls/key.pem)"},
    {"web", S(web), "directory of the built web assets (default build/web)"},
    {"origin", S(origin), "name of the evidence log in checkpoints (default worksafe/<host>/audit)"},
    {"admin-password", S(admin_password), "init: the admin password (default: generated and printed)"},
    {"org-name", S(org_name), "init: name of the root unit (default 企业)"},
    {"org-kind", S(org_kind), "init: kind of the root unit: enterprise or park"},
    {"out", S(out), "backup: directory to create (default DATA/backups/<time>)"},
    {"from", S(from), "restore: backup directory to restore"},
    {"against", S(against), "audit verify: file of checkpoints saved earlier"},
    {"log-level", S(log_level), "debug, info, warn or error"},
    {"public-origin", S(public_origin), "serve: https://host:port allowed as Origin for cookie writes"},
    {"threads", offsetof(cli_opts, threads), 0, "serve: HTTP worker threads (default 2 per core)"},
    {"tick-seconds", offsetof(cli_opts, tick_seconds), 0,
     "serve: period of the deadline timer (SLA escalation, overdue hazards; default 60)"},
    {"recurrence-days", offsetof(cli_opts, recurrence_days), 0,
     "serve: the same hazard again at a place within this many days is flagged (default 90)"},
    {"series-retention-days", offsetof(cli_opts, series_retention_days), 0,
     "serve: raw readings kept this many days, minute buckets twice as long, hour buckets always "
     "(default 0: keep everything)"},
};
#undef S

static const opt *find(const char *name)
{
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
        const char *a = opts[i].name, *b = name;
        while (*a && (*a == *b || (*a == '-' && *b == '_'))) a++, b++;
        if (!*a && !*b) return &opts[i];
    }
    return NULL;
}

static ws_err set(cli_opts *o, const opt *p, const char *v, const char *where)
{
    if (p->cap == 0) {
        char *end;
        long n = strtol(v, &end, 10);
        if (*end || n < 1 || n > 1024) {
            fprintf(stderr, "%s: --%s must be a number from 1 to 1024\n", where, p->name);
            return WS_EINVAL;
        }
        *(int *)((char *)o + p->off) = (int)n;
        return WS_OK;
    }
    if (strlen(v) >= p->cap) {
        fprintf(stderr, "%s: --%s is longer than %zu bytes\n", where, p->name, p->cap - 1);
        return WS_EINVAL;
    }
    memcpy((char *)o + p->off, v, strlen(v) + 1);
    return WS_OK;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    char *e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r')) *--e = 0;
    return s;
}

static ws_err read_config(cli_opts *o, const char *path, int must_exist)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        if (!must_exist) return WS_OK;
        fprintf(stderr, "cannot read config file %s\n", path);
        return WS_EIO;
    }
    char line[1024];
    int n = 0;
    ws_err rc = WS_OK;
    while (!rc && fgets(line, sizeof line, f)) {
        n++;
        char *s = trim(line);
        if (!*s || *s == '#') continue;
        char *eq = strchr(s, '=');
        char where[CLI_PATH_MAX + 16];
        snprintf(where, sizeof where, "%s:%d", path, n);
        if (!eq) {
            fprintf(stderr, "%s: expected key = value\n", where);
            rc = WS_EINVAL;
            break;
        }
        *eq = 0;
        const opt *p = find(trim(s));
        if (!p || strcmp(p->name, "admin-password") == 0) {
            fprintf(stderr, "%s: unknown key '%s'\n", where, trim(s));
            rc = WS_EINVAL;
            break;
        }
        rc = set(o, p, trim(eq + 1), where);
    }
    fclose(f);
    return rc;
}

static void usage(const char *cmd)
{
    fprintf(stderr, "usage: worksafe %s [options]\n\noptions (also keys of the config file):\n", cmd);
    fprintf(stderr, "  --config FILE            config file (default DATA/worksafe.conf if present)\n");
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
        fprintf(stderr, "  --%-22s %s\n", opts[i].name, opts[i].help);
}

ws_err cli_parse(cli_opts *o, int argc, char **argv, int first, const char *cmd)
{
    const char *config = NULL;
    /* The config file comes first so that the command line overrides it. */
    for (int i = first; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(cmd);
            o->help = true;
            return WS_OK;
        }
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) config = argv[i + 1];
        if (strcmp(argv[i], "--data") == 0 && i + 1 < argc) snprintf(o->data, sizeof o->data, "%s", argv[i + 1]);
    }
    ws_err rc;
    if (config) rc = read_config(o, config, 1);
    else {
        char path[CLI_PATH_MAX + 16];
        snprintf(path, sizeof path, "%s/worksafe.conf", o->data);
        rc = read_config(o, path, 0);
    }
    if (rc) return rc;
    for (int i = first; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--config") == 0) { i++; continue; }
        if (strncmp(a, "--", 2) != 0) {
            fprintf(stderr, "worksafe %s: unexpected argument '%s' (see --help)\n", cmd, a);
            return WS_EINVAL;
        }
        const char *eq = strchr(a, '=');
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)(eq ? (size_t)(eq - a - 2) : strlen(a + 2)), a + 2);
        const opt *p = find(name);
        if (!p) {
            fprintf(stderr, "worksafe %s: unknown option --%s (see --help)\n", cmd, name);
            return WS_EINVAL;
        }
        const char *v = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
        if (!v) {
            fprintf(stderr, "worksafe %s: --%s needs a value\n", cmd, name);
            return WS_EINVAL;
        }
        if ((rc = set(o, p, v, "command line"))) return rc;
    }
    return WS_OK;
}

void cli_resolve(cli_opts *o)
{
    if (!o->cert[0]) snprintf(o->cert, sizeof o->cert, "%.*s/tls/cert.pem", CLI_PATH_MAX - 20, o->data);
    if (!o->key[0]) snprintf(o->key, sizeof o->key, "%.*s/tls/key.pem", CLI_PATH_MAX - 20, o->data);
}

const char *cli_db_url(const cli_opts *o)
{
    static _Thread_local char path[CLI_PATH_MAX + 16];
    if (o->db[0]) return o->db;
    snprintf(path, sizeof path, "%s/worksafe.db", o->data);
    return path;
}
