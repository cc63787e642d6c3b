/* cmd_audit.c — `worksafe audit verify` and `worksafe audit checkpoint`.
 *
 * verify recomputes the whole evidence log and every record hash and names
 * each record changed or deleted behind the server's back; with --against it
 * also checks checkpoints a regulator saved earlier. Exit 0 when clean, 1
 * when something was found, 2 on a usage or I/O error. It reads only, so it
 * may run beside a live server. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "cli/cli.h"

static void report(const audit_finding *f, void *arg)
{
    int *n = arg;
    (*n)++;
    if (f->entity[0]) printf("FAIL %s %lld: %s\n", f->entity, (long long)f->id, f->what);
    else printf("FAIL %s\n", f->what);
}

int cmd_audit(int argc, char **argv)
{
    const char *sub = argc > 2 ? argv[2] : "";
    if (strcmp(sub, "verify") != 0 && strcmp(sub, "checkpoint") != 0) {
        fprintf(stderr, "usage: worksafe audit verify [--data DIR] [--db URL] [--against FILE]\n"
                        "       worksafe audit checkpoint [--data DIR] [--db URL]\n"
                        "verify recomputes the evidence log and every record hash;\n"
                        "checkpoint prints a signed checkpoint of the log for a regulator to keep.\n");
        return strcmp(sub, "--help") == 0 ? 0 : 2;
    }
    cli_opts o;
    cli_defaults(&o);
    if (cli_parse(&o, argc, argv, 3, sub)) return 2;
    if (o.help) return 0;
    store *db = NULL;
    store_conn *c = NULL;
    int code = 2;
    if (cli_open_store(&o, 1, &db) || cli_init_modules(&o) || store_acquire(db, &c) ||
        cli_open_audit(&o, c))
        goto done;
    if (strcmp(sub, "checkpoint") == 0) {
        char *note = NULL;
        if (audit_checkpoint(c, &note)) {
            fprintf(stderr, "worksafe audit checkpoint: %s\n", ws_err_message());
            goto done;
        }
        fputs(note, stdout);
        free(note);
        code = 0;
        goto done;
    }
    int findings = 0;
    uint64_t leaves = 0;
    ws_err rc = audit_verify(c, o.against[0] ? o.against : NULL, report, &findings, &leaves);
    if (rc == WS_OK) {
        printf("OK: %llu leaves, every record hash and checkpoint verified\n", (unsigned long long)leaves);
        code = 0;
    } else if (rc == WS_ECORRUPT) {
        printf("FAILED: %d finding(s) in %llu leaves\n", findings, (unsigned long long)leaves);
        code = 1;
    } else {
        fprintf(stderr, "worksafe audit verify: %s\n", ws_err_message());
    }
done:
    if (c) store_release(c);
    audit_close();
    store_close(db);
    return code;
}
