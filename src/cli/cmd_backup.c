/* cmd_backup.c — `worksafe backup` and `worksafe restore`.
 *
 * A backup is a directory: the database (an online, consistent copy: SQLite
 * VACUUM INTO, or pg_dump), the evidence-log key, the TLS files, the
 * series store (DATA/series.db on SQLite; its tables are in the dump on
 * PostgreSQL), the attachment files (DATA/attachments, hard-linked when the backup is on the
 * same file system: they are never changed in place, only added by rename),
 * and a MANIFEST of SHA-256 sums with the log size at the time. Taking a backup and
 * restoring one each append a leaf to the evidence log, so `audit verify`
 * still passes after a restore and a regulator sees that history was rolled
 * back to the backup (checkpoints saved after the backup will no longer be
 * consistent, which is the point). Restore needs the server stopped. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit/audit.h"
#include "cli/cli.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/sha256.h"

/* SHA-256 of a file as hex into out (65 bytes). */
static ws_err file_sha256(const char *path, char out[65])
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ws_fail(WS_EIO, path, "cannot read %s: %s", path, strerror(errno));
    ws_sha256_ctx s;
    ws_sha256_init(&s);
    unsigned char b[65536];
    ssize_t n;
    while ((n = read(fd, b, sizeof b)) > 0) ws_sha256_update(&s, b, (size_t)n);
    close(fd);
    if (n < 0) return ws_fail(WS_EIO, path, "cannot read %s", path);
    unsigned char h[32];
    ws_sha256_final(&s, h);
    hex_encode(h, 32, out);
    return WS_OK;
}

/* Copy src to dst (created with mode), failing if dst exists when excl. */
static ws_err copy_file(const char *src, const char *dst, mode_t mode, int excl)
{
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0) return ws_fail(WS_EIO, src, "cannot read %s: %s", src, strerror(errno));
    char tmp[CLI_PATH_MAX + 16];
    snprintf(tmp, sizeof tmp, "%s.tmp", dst);
    int out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (out < 0) {
        close(in);
        return ws_fail(WS_EIO, dst, "cannot write %s: %s", tmp, strerror(errno));
    }
    char b[65536];
    ssize_t n;
    ws_err rc = WS_OK;
    while ((n = read(in, b, sizeof b)) > 0)
        if (write(out, b, (size_t)n) != n) { rc = WS_EIO; break; }
    if (n < 0 || fsync(out) != 0) rc = WS_EIO;
    close(in);
    close(out);
    if (!rc && excl && access(dst, F_OK) == 0) rc = ws_fail(WS_ECONFLICT, dst, "%s exists", dst);
    if (!rc && rename(tmp, dst) != 0) rc = WS_EIO;
    if (rc) {
        unlink(tmp);
        if (rc == WS_EIO) ws_fail(WS_EIO, dst, "cannot write %s: %s", dst, strerror(errno));
    }
    return rc;
}

static const char *const side_files[] = {"keys/audit.key", "tls/cert.pem", "tls/key.pem"};

/* Attachments: DATA/attachments/ab/cdef…, each named by its SHA-256. Taken
 * after the database copy: files are only ever added, so every file a row of
 * the copy names is there. Each is linked (or copied) into the backup, its
 * sum checked against its name, and listed in the MANIFEST. */
static ws_err backup_attachments(const char *data, const char *dir, buf *man, unsigned *count)
{
    char src[CLI_PATH_MAX + 64], dst[CLI_PATH_MAX + 128], a[CLI_PATH_MAX + 80], b[CLI_PATH_MAX + 144];
    snprintf(src, sizeof src, "%s/attachments", data);
    DIR *top = opendir(src);
    if (!top) return errno == ENOENT ? WS_OK : ws_fail(WS_EIO, src, "cannot read %s", src);
    snprintf(dst, sizeof dst, "%s/attachments", dir);
    mkdir(dst, 0700);
    ws_err rc = WS_OK;
    struct dirent *e;
    while (!rc && (e = readdir(top))) {
        if (strlen(e->d_name) != 2 || e->d_name[0] == '.') continue;
        snprintf(a, sizeof a, "%s/%.2s", src, e->d_name);
        snprintf(b, sizeof b, "%s/%.2s", dst, e->d_name);
        DIR *sub = opendir(a);
        if (!sub) continue;
        mkdir(b, 0700);
        struct dirent *f;
        while (!rc && (f = readdir(sub))) {
            if (f->d_name[0] == '.' || strlen(f->d_name) != 62) continue; /* temporaries */
            char from[CLI_PATH_MAX + 160], to[CLI_PATH_MAX + 224], h[65], name[80];
            snprintf(from, sizeof from, "%s/%.62s", a, f->d_name);
            snprintf(to, sizeof to, "%s/%.62s", b, f->d_name);
            snprintf(name, sizeof name, "%.2s%.62s", e->d_name, f->d_name);
            if (link(from, to) != 0 && (rc = copy_file(from, to, 0600, 1))) break;
            if ((rc = file_sha256(to, h))) break;
            if (strcmp(h, name) != 0) {
                rc = ws_fail(WS_ECORRUPT, from, "attachment %s does not match its SHA-256", from);
                break;
            }
            rc = buf_printf(man, "%s  attachments/%.2s/%.62s\n", h, e->d_name, f->d_name);
            (*count)++;
        }
        closedir(sub);
    }
    closedir(top);
    return rc;
}

/* Bring back the attachment files listed in the MANIFEST (already checked
 * against their sums); files present with the right content are kept. */
static ws_err restore_attachments(const char *manifest, const char *from, const char *data)
{
    FILE *f = fopen(manifest, "r");
    if (!f) return ws_fail(WS_EIO, manifest, "cannot read %s", manifest);
    char line[1024], p[CLI_PATH_MAX + 300], q[CLI_PATH_MAX + 300];
    ws_err rc = WS_OK;
    snprintf(q, sizeof q, "%s/attachments", data);
    mkdir(q, 0700);
    while (!rc && fgets(line, sizeof line, f)) {
        char sum[65], name[256], h[65];
        if (sscanf(line, "%64s  %255s", sum, name) != 2 || strncmp(name, "attachments/", 12) != 0 ||
            strlen(name) != 12 + 2 + 1 + 62 || strstr(name, ".."))
            continue;
        snprintf(q, sizeof q, "%s/%.14s", data, name);
        mkdir(q, 0700);
        snprintf(q, sizeof q, "%s/%s", data, name);
        if (access(q, F_OK) == 0 && file_sha256(q, h) == WS_OK && strcmp(h, sum) == 0) continue;
        snprintf(p, sizeof p, "%s/%s", from, name);
        rc = copy_file(p, q, 0600, 0);
    }
    fclose(f);
    return rc;
}

int cmd_backup(int argc, char **argv)
{
    cli_opts o;
    cli_defaults(&o);
    if (cli_parse(&o, argc, argv, 2, "backup")) return 2;
    if (o.help) return 0;
    cli_resolve(&o);
    if (sodium_init() < 0) return 1;
    char dir[CLI_PATH_MAX], ts[40], p[CLI_PATH_MAX + 64], q[CLI_PATH_MAX + 64];
    clock_format_rfc3339(clock_now_ms(), ts, sizeof ts);
    for (char *s = ts; *s; s++) if (*s == ':' || *s == '.') *s = '-';
    if (o.out[0]) snprintf(dir, sizeof dir, "%s", o.out);
    else snprintf(dir, sizeof dir, "%.*s/backups/%s", CLI_PATH_MAX - 64, o.data, ts);
    if (mkdir(dir, 0700) != 0) {
        fprintf(stderr, "worksafe backup: cannot create %s: %s\n", dir, strerror(errno));
        return 1;
    }
    snprintf(p, sizeof p, "%s/keys", dir);
    mkdir(p, 0700);
    snprintf(p, sizeof p, "%s/tls", dir);
    mkdir(p, 0700);

    store *db = NULL;
    store_conn *c = NULL;
    uint64_t size = 0;
    uint8_t root[AUDIT_HASH_LEN];
    buf man = BUF_INIT((size_t)1 << 30); /* a line per attachment file */
    int code = 1;
    if (cli_open_store(&o, 2, &db)) goto done;
    /* The log size first: the copy holds at least these leaves. */
    if (store_acquire(db, &c) || audit_head(c, &size, root)) goto fail;
    store_release(c);
    c = NULL;
    const char *dbname = store_backend(db) == STORE_SQLITE ? "database.db" : "database.pgdump";
    snprintf(p, sizeof p, "%s/%s", dir, dbname);
    if (store_backup(db, p)) goto fail;
    char h[65];
    if (file_sha256(p, h)) goto fail;
    buf_printf(&man, "worksafe-backup 1\ncreated %s\nbackend %s\nlog_size_at_least %llu\n%s  %s\n", ts,
               store_backend(db) == STORE_SQLITE ? "sqlite" : "postgres", (unsigned long long)size, h,
               dbname);
    /* The series store: its own SQLite file beside the database (on
     * PostgreSQL its tables are in the dump above). */
    snprintf(q, sizeof q, "%s/series.db", o.data);
    if (store_backend(db) == STORE_SQLITE && access(q, F_OK) == 0) {
        store *sdb = NULL;
        snprintf(p, sizeof p, "%s/series.db", dir);
        ws_err src = store_open(q, 1, &sdb);
        if (!src) src = store_backup(sdb, p);
        store_close(sdb);
        if (src || file_sha256(p, h)) goto fail;
        buf_printf(&man, "%s  series.db\n", h);
    }
    for (size_t i = 0; i < sizeof side_files / sizeof *side_files; i++) {
        snprintf(q, sizeof q, "%s/%s", o.data, side_files[i]);
        if (access(q, F_OK) != 0) continue;
        snprintf(p, sizeof p, "%s/%s", dir, side_files[i]);
        if (copy_file(q, p, 0600, 1) || file_sha256(p, h)) goto fail;
        buf_printf(&man, "%s  %s\n", h, side_files[i]);
    }
    unsigned nattach = 0;
    if (backup_attachments(o.data, dir, &man, &nattach)) goto fail;
    snprintf(p, sizeof p, "%s/MANIFEST", dir);
    FILE *f = fopen(p, "w");
    if (!f || fwrite(man.data, 1, man.len, f) != man.len || fclose(f) != 0) goto fail;
    /* Record the backup in the evidence log. */
    if (cli_init_modules(&o) || store_acquire(db, &c) || cli_open_audit(&o, c)) goto fail;
    audit_actor who = {"cli"};
    audit_field fl[] = {{"backup", AC_TEXT, 0, dir}, {"log_size", AC_INT, (int64_t)size, NULL}};
    if (audit_event(c, &who, "system", 0, "backup", fl, 2, NULL)) goto fail;
    printf("backup written to %s (evidence log size %llu, %u attachment files)\n", dir,
           (unsigned long long)size, nattach);
    code = 0;
    goto done;
fail:
    fprintf(stderr, "worksafe backup: %s\n", ws_err_message());
done:
    if (c) store_release(c);
    buf_free(&man);
    audit_close();
    store_close(db);
    return code;
}

int cmd_restore(int argc, char **argv)
{
    cli_opts o;
    cli_defaults(&o);
    if (cli_parse(&o, argc, argv, 2, "restore")) return 2;
    if (o.help) return 0;
    if (!o.from[0]) {
        fprintf(stderr, "worksafe restore: --from BACKUP_DIR is required\n");
        return 2;
    }
    if (sodium_init() < 0) return 1;
    if (cli_lock_data(&o)) return 1;
    char p[CLI_PATH_MAX + 300], line[1024], dbfile[CLI_PATH_MAX + 300] = "";
    unsigned long long size = 0;
    snprintf(p, sizeof p, "%s/MANIFEST", o.from);
    FILE *f = fopen(p, "r");
    if (!f || !fgets(line, sizeof line, f) || strcmp(line, "worksafe-backup 1\n") != 0) {
        fprintf(stderr, "worksafe restore: %s is not a worksafe backup (no MANIFEST)\n", o.from);
        if (f) fclose(f);
        return 1;
    }
    /* Check every file against its sum before touching anything. */
    int bad = 0;
    while (fgets(line, sizeof line, f)) {
        char sum[65], name[256];
        if (sscanf(line, "log_size_at_least %llu", &size) == 1) continue;
        if (sscanf(line, "%64s  %255s", sum, name) != 2 || strlen(sum) != 64) continue;
        if (strstr(name, "..")) { bad = 1; break; }
        char h[65];
        snprintf(p, sizeof p, "%s/%s", o.from, name);
        if (file_sha256(p, h) || strcmp(h, sum) != 0) {
            fprintf(stderr, "worksafe restore: %s does not match its checksum\n", name);
            bad = 1;
        }
        if (!strncmp(name, "database.", 9)) snprintf(dbfile, sizeof dbfile, "%s", p);
    }
    fclose(f);
    if (bad || !dbfile[0]) {
        fprintf(stderr, "worksafe restore: backup is damaged or incomplete; nothing restored\n");
        return 1;
    }
    if (store_restore(cli_db_url(&o), dbfile)) {
        fprintf(stderr, "worksafe restore: %s\n", ws_err_message());
        return 1;
    }
    /* The series store of a SQLite installation (checked above with the rest). */
    snprintf(p, sizeof p, "%s/series.db", o.from);
    if (!strstr(dbfile, ".pgdump") && access(p, F_OK) == 0) {
        char sfile[CLI_PATH_MAX + 32];
        snprintf(sfile, sizeof sfile, "%s/series.db", o.data);
        if (store_restore(sfile, p)) {
            fprintf(stderr, "worksafe restore: %s\n", ws_err_message());
            return 1;
        }
    }
    for (size_t i = 0; i < sizeof side_files / sizeof *side_files; i++) {
        char src[CLI_PATH_MAX + 64], dst[CLI_PATH_MAX + 64];
        snprintf(src, sizeof src, "%s/%s", o.from, side_files[i]);
        snprintf(dst, sizeof dst, "%s/%s", o.data, side_files[i]);
        if (access(src, F_OK) == 0 && copy_file(src, dst, 0600, 0)) {
            fprintf(stderr, "worksafe restore: %s\n", ws_err_message());
            return 1;
        }
    }
    snprintf(p, sizeof p, "%s/MANIFEST", o.from);
    if (restore_attachments(p, o.from, o.data)) {
        fprintf(stderr, "worksafe restore: %s\n", ws_err_message());
        return 1;
    }
    store *db = NULL;
    store_conn *c = NULL;
    int code = 1;
    char *note = NULL;
    if (cli_open_store(&o, 2, &db) || cli_init_modules(&o) || store_acquire(db, &c) ||
        cli_open_audit(&o, c))
        goto done;
    audit_actor who = {"cli"};
    audit_field fl[] = {{"backup", AC_TEXT, 0, o.from}, {"log_size", AC_INT, (int64_t)size, NULL}};
    if (audit_event(c, &who, "system", 0, "restore", fl, 2, NULL) || audit_checkpoint(c, &note)) {
        fprintf(stderr, "worksafe restore: %s\n", ws_err_message());
        goto done;
    }
    printf("restored %s; the restore is recorded in the evidence log\n", o.from);
    code = 0;
done:
    free(note);
    if (c) store_release(c);
    audit_close();
    store_close(db);
    return code;
}
