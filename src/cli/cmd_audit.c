/* cmd_audit.c — `worksafe audit verify`, `checkpoint` and `check-proof`.
 *
 * verify recomputes the whole evidence log and every record hash and names
 * each record changed or deleted behind the server's back; with --against it
 * also checks checkpoints a regulator saved earlier. Exit 0 when clean, 1
 * when something was found, 2 on a usage or I/O error. It reads only, so it
 * may run beside a live server. check-proof reads one record's proof file
 * (from the evidence page) and checks it against the published verifier
 * key, with no database: the same exit codes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "cli/cli.h"
#include "core/buf.h"

static void report(const audit_finding *f, void *arg)
{
    int *n = arg;
    (*n)++;
    if (f->entity[0]) printf("FAIL %s %lld: %s\n", f->entity, (long long)f->id, f->what);
    else printf("FAIL %s\n", f->what);
}

static void print_line(const char *msg, void *arg)
{
    (void)arg;
    puts(msg);
}

/* check-proof FILE --key KEY: no database, no key file; the file and the
 * published verifier key are all it reads. */
static int check_proof(int argc, char **argv)
{
    const char *file = NULL, *vkey = NULL;
    for (int i = 3; i < argc; i++) {
        if (!strcmp(argv[i], "--key") && i + 1 < argc) vkey = argv[++i];
        else if (!file && argv[i][0] != '-') file = argv[i];
        else {
            fprintf(stderr, "worksafe audit check-proof: unexpected argument %s\n", argv[i]);
            return 2;
        }
    }
    if (!file || !vkey) {
        fprintf(stderr, "usage: worksafe audit check-proof FILE --key VERIFIER_KEY\n");
        return 2;
    }
    buf b = BUF_INIT(64u << 20);
    ws_err rc = buf_append_file(&b, file, "file");
    bool ok = false;
    if (!rc) rc = audit_proof_check(b.data ? b.data : "", b.len, vkey, print_line, NULL, &ok);
    buf_free(&b);
    if (rc) {
        fprintf(stderr, "worksafe audit check-proof: %s\n", ws_err_message());
        return 2;
    }
    return ok ? 0 : 1;
}

int cmd_audit(int argc, char **argv)
{
    const char *sub = argc > 2 ? argv[2] : "";
    if (strcmp(sub, "check-proof") == 0) return check_proof(argc, argv);
    if (strcmp(sub, "verify") != 0 && strcmp(sub, "checkpoint") != 0) {
        fprintf(stderr, "usage: worksafe audit verify [--data DIR] [--db URL] [--against FILE]\n"
                        "       worksafe audit checkpoint [--data DIR] [--db URL]\n"
                        "       worksafe audit check-proof FILE --key VERIFIER_KEY\n"
                        "verify recomputes the evidence log and every record hash;\n"
                        "checkpoint prints a signed checkpoint of the log for a regulator to keep;\n"
                        "check-proof checks a record's proof file from the evidence page, offline.\n");
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
