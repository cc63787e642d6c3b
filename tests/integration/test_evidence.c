/* test_evidence.c — the evidence log as a regulator would test it, on SQLite
 * and PostgreSQL:
 *  - an untouched database verifies; changing an account's role with the
 *    database shell (sqlite3 / psql) makes `audit verify` exit non-zero and
 *    name that record; deleting a row behind the server's back is named too;
 *  - a log rebuilt from scratch with the same key fails `verify --against`
 *    the checkpoints saved before, although it verifies on its own;
 *  - backup, more writes, restore: verify passes, the writes after the backup
 *    are gone, and the restore is a leaf anyone can see;
 *  - a record's proof file checks out offline (`audit check-proof`) with the
 *    published key, and fails when any part of it is changed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "integration/common.h"

/* Run SQL against the server's database with the engine's own shell. */
static void db_shell(ws_server *s, const char *sql)
{
    char cmd[2048];
    if (s->pg) snprintf(cmd, sizeof cmd, "psql -q -v ON_ERROR_STOP=1 '%s' -c \"%s\" >/dev/null", s->db, sql);
    else snprintf(cmd, sizeof cmd, "sqlite3 %s/worksafe.db \"%s\"", s->dir, sql);
    assert_int_equal(system(cmd), 0);
}

static json_int_t root_unit(ws_server *s, const char *tok)
{
    json_t *r = NULL;
    assert_int_equal(ws_req(s, "GET", "/api/v1/me", tok, NULL, &r), 200);
    json_int_t id = json_integer_value(json_object_get(json_object_get(r, "scope"), "id"));
    json_decref(r);
    assert_true(id > 0);
    return id;
}

static json_int_t create_worker(ws_server *s, const char *tok, const char *name, json_int_t scope)
{
    char body[300];
    snprintf(body, sizeof body,
             "{\"username\":\"%s\",\"password\":\"Worker-Pass-2026\",\"roles\":[\"worker\"],"
             "\"scope_unit_id\":%lld}",
             name, (long long)scope);
    json_t *r = NULL;
    assert_int_equal(ws_req(s, "POST", "/api/v1/accounts", tok, body, &r), 201);
    json_int_t id = json_integer_value(json_object_get(r, "id"));
    json_decref(r);
    return id;
}

static json_int_t create_site(ws_server *s, const char *tok, json_int_t parent, const char *code)
{
    char body[300];
    snprintf(body, sizeof body, "{\"parent_id\":%lld,\"kind\":\"site\",\"code\":\"%s\",\"name\":\"厂区 %s\"}",
             (long long)parent, code, code);
    json_t *r = NULL;
    assert_int_equal(ws_req(s, "POST", "/api/v1/units", tok, body, &r), 201);
    json_int_t id = json_integer_value(json_object_get(r, "id"));
    json_decref(r);
    return id;
}

static int verify(ws_server *s, const char *against, char *out, size_t cap)
{
    const char *a[] = {"audit", "verify", against ? "--against" : NULL, against, NULL};
    return ws_cli(s, true, out, cap, a);
}

/* GET /api/v1/audit/record: the state of one record, the column named when
 * one changed, and every leaf's inclusion proof checks out against the root
 * of the tree at the size it was asked for. */
static void record_state(ws_server *s, const char *tok, const char *entity, json_int_t id,
                         const char *state, const char *column)
{
    char path[200];
    json_t *r = NULL;
    assert_int_equal(ws_req(s, "GET", "/api/v1/audit/checkpoint", tok, NULL, NULL), 200);
    snprintf(path, sizeof path, "/api/v1/audit/record?entity=%s&id=%lld", entity, (long long)id);
    assert_int_equal(ws_req(s, "GET", path, tok, NULL, &r), 200);
    assert_string_equal(json_string_value(json_object_get(r, "state")), state);
    json_t *cols = json_object_get(r, "columns");
    if (column) {
        assert_int_equal(json_array_size(cols), 1);
        assert_string_equal(json_string_value(json_array_get(cols, 0)), column);
    } else {
        assert_int_equal(json_array_size(cols), 0);
    }
    assert_true(json_is_object(json_object_get(r, "actor_names")));
    /* accounts and units are not records whose content the log shows */
    assert_true(json_is_false(json_object_get(r, "content_shown")));
    assert_null(json_object_get(json_array_get(json_object_get(r, "items"), 0), "content"));
    uint64_t size = (uint64_t)json_integer_value(json_object_get(r, "size"));
    json_t *items = json_object_get(r, "items");
    assert_true(json_array_size(items) >= 1);
    /* the proofs against the root the single-leaf route gives at that size */
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it) {
        json_t *one = NULL;
        uint64_t seq = (uint64_t)json_integer_value(json_object_get(it, "seq"));
        snprintf(path, sizeof path, "/api/v1/audit/proof/inclusion?index=%llu&size=%llu",
                 (unsigned long long)seq, (unsigned long long)size);
        assert_int_equal(ws_req(s, "GET", path, tok, NULL, &one), 200);
        assert_true(json_equal(json_object_get(one, "path"), json_object_get(it, "path")));
        assert_string_equal(json_string_value(json_object_get(one, "leaf_hash")),
                            json_string_value(json_object_get(it, "leaf_hash")));
        json_decref(one);
    }
    json_decref(r);
    /* bad input names its field */
    snprintf(path, sizeof path, "/api/v1/audit/record?entity=no_such&id=%lld", (long long)id);
    assert_int_equal(ws_req(s, "GET", path, tok, NULL, &r), 400);
    assert_string_equal(json_string_value(json_object_get(json_object_get(r, "error"), "field")), "entity");
    json_decref(r);
    snprintf(path, sizeof path, "/api/v1/audit/record?entity=%s&id=%lld&size=99999999", entity, (long long)id);
    assert_int_equal(ws_req(s, "GET", path, tok, NULL, &r), 400);
    assert_string_equal(json_string_value(json_object_get(json_object_get(r, "error"), "field")), "size");
    json_decref(r);
}

static void tamper_is_named(void **state)
{
    const char *be[2];
    int nb = ws_backends(be);
    for (int b = 0; b < nb; b++) {
        ws_server s;
        assert_int_equal(ws_server_start(&s, be[b], NULL), 0);
        char tok[65], out[8192], want[64];
        assert_int_equal(ws_login(&s, "admin", WS_ADMIN_PW, tok), 200);
        json_int_t root = root_unit(&s, tok);
        json_int_t acc = create_worker(&s, tok, "wang.wei", root);
        json_int_t site = create_site(&s, tok, root, "T1");
        create_site(&s, tok, root, "T2");
        /* Untouched: clean, while the server runs. */
        assert_int_equal(verify(&s, NULL, out, sizeof out), 0);
        assert_non_null(strstr(out, "OK"));

        /* Raise the worker to admin behind the server's back. */
        char sql[256];
        snprintf(sql, sizeof sql, "UPDATE accounts SET roles = 'admin' WHERE id = %lld", (long long)acc);
        db_shell(&s, sql);
        assert_int_equal(verify(&s, NULL, out, sizeof out), 1);
        snprintf(want, sizeof want, "account %lld", (long long)acc);
        assert_non_null(strstr(out, want));
        assert_non_null(strstr(out, "changed"));
        /* The record's own seal, over HTTP, says the same and names the column. */
        record_state(&s, tok, "account", acc, "changed_outside", "roles");
        /* Putting it back makes the record verify again. */
        snprintf(sql, sizeof sql, "UPDATE accounts SET roles = 'worker' WHERE id = %lld", (long long)acc);
        db_shell(&s, sql);
        assert_int_equal(verify(&s, NULL, out, sizeof out), 0);
        record_state(&s, tok, "account", acc, "same", NULL);

        /* A unit renamed and another deleted behind the server's back. */
        snprintf(sql, sizeof sql, "UPDATE units SET name = 'x' WHERE id = %lld", (long long)site);
        db_shell(&s, sql);
        db_shell(&s, "DELETE FROM units WHERE code = 'T2'");
        assert_int_equal(verify(&s, NULL, out, sizeof out), 1);
        snprintf(want, sizeof want, "unit %lld", (long long)site);
        assert_non_null(strstr(out, want));
        assert_non_null(strstr(out, "deleted"));
        record_state(&s, tok, "unit", site, "changed_outside", "name");

        /* A hazard deleted behind the server's back (its references
         * unchecked): its sealed content is still shown to who may read the
         * unit its last sealed version names. */
        snprintf(sql, sizeof sql, "{\"unit_id\":%lld,\"title\":\"罐区呼吸阀渗漏\",\"accident_type\":\"13\"}",
                 (long long)root);
        long long hz = ws_post_id(&s, tok, "/api/v1/hazards", sql);
        assert_true(hz > 0);
        if (s.pg)
            snprintf(sql, sizeof sql, "SET session_replication_role = replica; DELETE FROM hazards WHERE id = %lld", hz);
        else snprintf(sql, sizeof sql, "DELETE FROM hazards WHERE id = %lld", hz);
        db_shell(&s, sql);
        json_t *r = NULL;
        snprintf(sql, sizeof sql, "/api/v1/audit/record?entity=hazard&id=%lld", hz);
        assert_int_equal(ws_req(&s, "GET", sql, tok, NULL, &r), 200);
        assert_string_equal(json_string_value(json_object_get(r, "state")), "deleted_outside");
        assert_true(json_is_true(json_object_get(r, "content_shown")));
        assert_true(json_is_string(json_object_get(json_array_get(json_object_get(r, "items"), 0), "content")));
        json_decref(r);
        ws_server_destroy(&s);
    }
}

static void rebuilt_log_fails_against_saved_checkpoints(void **state)
{
    const char *be[2];
    int nb = ws_backends(be);
    for (int b = 0; b < nb; b++) {
        ws_server a, r;
        char tok[65], out[8192], saved[300], cmd[1200];
        assert_int_equal(ws_server_start(&a, be[b], NULL), 0);
        assert_int_equal(ws_login(&a, "admin", WS_ADMIN_PW, tok), 200);
        json_int_t root = root_unit(&a, tok);
        create_worker(&a, tok, "li.na", root);
        create_site(&a, tok, root, "R1");
        /* The regulator saves a checkpoint over HTTP. */
        char *note = NULL;
        assert_int_equal(ws_http(&a, "GET", "/api/v1/audit/checkpoint", tok, NULL, 0, NULL, NULL, &note), 200);
        assert_non_null(note);
        snprintf(saved, sizeof saved, "%s.saved-checkpoints", a.dir);
        FILE *f = fopen(saved, "w");
        fputs(note, f);
        fclose(f);
        free(note);
        assert_int_equal(verify(&a, saved, out, sizeof out), 0);

        /* The company rebuilds its history from scratch: a fresh database
         * where li.na is an admin, signed with the same key, no old
         * checkpoints. On its own it verifies... */
        assert_int_equal(ws_server_start(&r, be[b], NULL), 0);
        assert_int_equal(ws_login(&r, "admin", WS_ADMIN_PW, tok), 200);
        root = root_unit(&r, tok);
        char body[300];
        snprintf(body, sizeof body,
                 "{\"username\":\"li.na\",\"password\":\"Worker-Pass-2026\",\"roles\":[\"admin\"],"
                 "\"scope_unit_id\":%lld}", (long long)root);
        assert_int_equal(ws_req(&r, "POST", "/api/v1/accounts", tok, body, NULL), 201);
        create_site(&r, tok, root, "R1");
        assert_int_equal(ws_server_stop(&r), 0);
        snprintf(cmd, sizeof cmd, "cp %s/keys/audit.key %s/keys/audit.key", a.dir, r.dir);
        assert_int_equal(system(cmd), 0);
        db_shell(&r, "DELETE FROM audit_checkpoint");
        assert_int_equal(verify(&r, NULL, out, sizeof out), 0);
        /* ...but not against what the regulator kept. */
        assert_int_equal(verify(&r, saved, out, sizeof out), 1);
        unlink(saved);
        ws_server_destroy(&a);
        ws_server_destroy(&r);
    }
}

/* Write j to a fresh file under the server's directory and run
 * `worksafe audit check-proof FILE --key KEY` on it, with no database. */
static int check_proof(ws_server *s, json_t *j, const char *key, char *out, size_t cap)
{
    char path[600];
    snprintf(path, sizeof path, "%s/proof.json", s->dir);
    assert_int_equal(json_dump_file(j, path, 0), 0);
    const char *a[] = {"audit", "check-proof", path, "--key", key, NULL};
    return ws_cli(s, false, out, cap, a);
}

/* The proof file of the evidence page, built here from the same routes, is
 * checked offline by the CLI with the published key; a change to any of
 * its fields, or to the checkpoint, fails it; a malformed key is a usage
 * error. */
static void proof_file_checks_offline(void **state)
{
    (void)state;
    const char *be[2];
    ws_backends(be);
    ws_server s;
    assert_int_equal(ws_server_start(&s, be[0], NULL), 0);
    char tok[65], out[8192], path[200];
    assert_int_equal(ws_login(&s, "admin", WS_ADMIN_PW, tok), 200);
    json_int_t acc = create_worker(&s, tok, "li.na", root_unit(&s, tok));
    char *note = NULL;
    json_t *k = NULL, *rec = NULL;
    assert_int_equal(ws_http(&s, "GET", "/api/v1/audit/checkpoint", tok, NULL, 0, NULL, NULL, &note), 200);
    assert_int_equal(ws_req(&s, "GET", "/api/v1/audit/key", tok, NULL, &k), 200);
    char key[300];
    snprintf(key, sizeof key, "%s", json_string_value(json_object_get(k, "verifier_key")));
    long long size = atoll(strchr(note, '\n') + 1);
    snprintf(path, sizeof path, "/api/v1/audit/record?entity=account&id=%lld&size=%lld", (long long)acc, size);
    assert_int_equal(ws_req(&s, "GET", path, tok, NULL, &rec), 200);
    json_t *proof = json_pack("{s:s, s:s, s:s, s:I, s:O}", "format", "worksafe-record-proof/1", "checkpoint",
                              note, "entity", "account", "id", acc, "items", json_object_get(rec, "items"));
    assert_int_equal(check_proof(&s, proof, key, out, sizeof out), 0);
    assert_non_null(strstr(out, "signature valid"));
    char want[80];
    snprintf(want, sizeof want, "OK: account %lld", (long long)acc);
    assert_non_null(strstr(out, want));

    /* who did it, changed in the file */
    json_t *items = json_deep_copy(json_object_get(rec, "items"));
    json_object_set_new(json_array_get(items, 0), "actor", json_string("account:999"));
    json_object_set(proof, "items", items);
    assert_int_equal(check_proof(&s, proof, key, out, sizeof out), 1);
    assert_non_null(strstr(out, "not in the signed log"));
    json_decref(items);
    /* another record's change passed off as this one's */
    json_object_set(proof, "items", json_object_get(rec, "items"));
    json_object_set_new(proof, "id", json_integer(acc + 1));
    assert_int_equal(check_proof(&s, proof, key, out, sizeof out), 1);
    assert_non_null(strstr(out, "not of this record"));
    json_object_set_new(proof, "id", json_integer(acc));
    /* the checkpoint's root changed: its signature no longer holds */
    char *bad = strdup(note);
    char *root = strchr(strchr(bad, '\n') + 1, '\n') + 1;
    root[0] = root[0] == 'A' ? 'B' : 'A';
    json_object_set_new(proof, "checkpoint", json_string(bad));
    assert_int_equal(check_proof(&s, proof, key, out, sizeof out), 1);
    assert_non_null(strstr(out, "not signed by this key"));
    free(bad);
    /* a key that is not one, and a file that is not a proof */
    json_object_set_new(proof, "checkpoint", json_string(note));
    assert_int_equal(check_proof(&s, proof, "vm/worksafe/audit+00000000+AAAA", out, sizeof out), 2);
    json_object_del(proof, "format");
    assert_int_equal(check_proof(&s, proof, key, out, sizeof out), 2);
    json_decref(proof);
    json_decref(rec);
    json_decref(k);
    free(note);
    ws_server_destroy(&s);
}

static void backup_writes_restore(void **state)
{
    const char *be[2];
    int nb = ws_backends(be);
    for (int b = 0; b < nb; b++) {
        ws_server s;
        char tok[65], out[8192], bdir[300];
        assert_int_equal(ws_server_start(&s, be[b], NULL), 0);
        assert_int_equal(ws_login(&s, "admin", WS_ADMIN_PW, tok), 200);
        json_int_t root = root_unit(&s, tok);
        json_int_t before = create_site(&s, tok, root, "B1");
        /* Online backup while the server runs. */
        snprintf(bdir, sizeof bdir, "%s/backups/it-backup", s.dir);
        const char *bk[] = {"backup", "--out", bdir, NULL};
        assert_int_equal(ws_cli(&s, true, out, sizeof out, bk), 0);
        json_int_t after = create_site(&s, tok, root, "B2");
        /* Restore refuses while the server holds the data directory. */
        const char *rs[] = {"restore", "--from", bdir, NULL};
        assert_int_not_equal(ws_cli(&s, true, out, sizeof out, rs), 0);
        assert_int_equal(ws_server_stop(&s), 0);
        assert_int_equal(ws_cli(&s, true, out, sizeof out, rs), 0);
        assert_int_equal(verify(&s, NULL, out, sizeof out), 0);
        assert_int_equal(ws_server_restart(&s), 0);
        assert_int_equal(ws_login(&s, "admin", WS_ADMIN_PW, tok), 200);
        char path[96];
        snprintf(path, sizeof path, "/api/v1/units/%lld", (long long)before);
        assert_int_equal(ws_req(&s, "GET", path, tok, NULL, NULL), 200);
        snprintf(path, sizeof path, "/api/v1/units/%lld", (long long)after);
        assert_int_equal(ws_req(&s, "GET", path, tok, NULL, NULL), 404);
        /* The restore is in the log for everyone to see. */
        json_t *r = NULL;
        assert_int_equal(ws_req(&s, "GET", "/api/v1/audit/leaves?entity=system&limit=200", tok, NULL, &r), 200);
        int seen = 0;
        size_t i;
        json_t *it;
        json_array_foreach(json_object_get(r, "items"), i, it)
            if (!strcmp(json_string_value(json_object_get(it, "action")), "restore")) seen = 1;
        json_decref(r);
        assert_true(seen);
        /* A damaged backup is refused before anything is touched. */
        char cmd[400];
        snprintf(cmd, sizeof cmd, "printf x >> %s/%s", bdir, s.pg ? "database.pgdump" : "database.db");
        assert_int_equal(system(cmd), 0);
        assert_int_equal(ws_server_stop(&s), 0);
        assert_int_not_equal(ws_cli(&s, true, out, sizeof out, rs), 0);
        assert_non_null(strstr(out, "checksum"));
        ws_server_destroy(&s);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tamper_is_named),
        cmocka_unit_test(rebuilt_log_fails_against_saved_checkpoints),
        cmocka_unit_test(backup_writes_restore),
        cmocka_unit_test(proof_file_checks_offline),
    };
    return cmocka_run_group_tests_name("evidence", tests, NULL, NULL);
}
