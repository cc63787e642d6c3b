/* main.c — wiring only: pick the command and hand over to it (src/cli/). */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"

static int usage(FILE *to)
{
    fprintf(to,
            "worksafe %s — work-safety management server\n\n"
            "usage: worksafe COMMAND [options]    (worksafe COMMAND --help for its options)\n\n"
            "commands:\n"
            "  init      create a data directory (or PostgreSQL database) with an admin account\n"
            "  serve     run the server\n"
            "  demo      initialise a demo chemical enterprise (first run) and serve it\n"
            "  audit     audit verify | audit checkpoint: check or checkpoint the evidence log\n"
            "  backup    take an online, consistent backup\n"
            "  restore   restore a backup (server stopped); recorded in the evidence log\n"
            "  rules     rules backtest: replay stored readings through an alarm rule-set version\n"
            "  version   print the version\n",
            WS_VERSION);
    return to == stdout ? 0 : 2;
}

int main(int argc, char **argv)
{
    /* Everything worksafe writes (database, keys, backups) holds personal
     * data or secrets: private to the service user, whoever starts it. */
    umask(077);
    if (argc < 2) return usage(stderr);
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) return usage(stdout);
    if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
        printf("worksafe %s\n", WS_VERSION);
        return 0;
    }
    if (!strcmp(cmd, "init")) return cmd_init(argc, argv);
    if (!strcmp(cmd, "serve")) return cmd_serve(argc, argv);
    if (!strcmp(cmd, "demo")) return cmd_demo(argc, argv);
    if (!strcmp(cmd, "audit")) return cmd_audit(argc, argv);
    if (!strcmp(cmd, "backup")) return cmd_backup(argc, argv);
    if (!strcmp(cmd, "restore")) return cmd_restore(argc, argv);
    if (!strcmp(cmd, "rules")) return cmd_rules(argc, argv);
    fprintf(stderr, "worksafe: unknown command '%s'\n\n", cmd);
    return usage(stderr);
}
