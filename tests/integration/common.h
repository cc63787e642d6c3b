/* common.h — harness for integration tests: start the real worksafe (test
 * build) on a loopback port over a fresh data directory, on SQLite or on a
 * fresh PostgreSQL database, talk to it over HTTP with libcurl, run its
 * command line, and stop it with SIGTERM. */
#ifndef WS_TEST_COMMON_H
#define WS_TEST_COMMON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define WS_ADMIN_PW "Admin-Pass-2026"

typedef struct ws_server {
    char dir[256];       /* data directory */
    char db[512];        /* "" for SQLite, else the postgres URL */
    char base[64];       /* http://127.0.0.1:PORT */
    int port;
    int pid;
    bool pg;
} ws_server;

/* Backends the test should run on: "sqlite" always, "postgres" when
 * WS_TEST_PG_URL is set. Returns the count; names in out. */
int ws_backends(const char *out[2]);

/* init (with WS_ADMIN_PW) + serve. extra_init may add init arguments
 * (NULL-terminated), e.g. {"--org-kind", "park", NULL}. Returns 0 on success. */
int ws_server_start(ws_server *s, const char *backend, const char *const *extra_init);
/* A loopback TCP port that was free a moment ago (-1 on failure). */
int ws_free_port(void);
/* Extra arguments for every `serve` the harness starts (NULL-terminated,
 * e.g. {"--tick-seconds", "1", NULL}); empty by default. */
extern const char *ws_serve_extra[8];
/* Ask the server to run its deadline timer now (SIGUSR1), as a test that
 * waits for what the timer makes would otherwise wait up to a tick. */
void ws_server_tick(ws_server *s);
/* Start serve again on the same data (after ws_server_stop). */
int ws_server_restart(ws_server *s);
/* SIGTERM and wait; returns the exit status (0 = clean). */
int ws_server_stop(ws_server *s);
/* Stop if running, drop the PostgreSQL database, remove the directory. */
void ws_server_destroy(ws_server *s);

/* Run `worksafe ARGS…` (NULL-terminated, without the program name) with
 * --data/--db of s appended when with_data. Captures stdout+stderr into out
 * (cap bytes, NUL-terminated). Returns the exit status. */
int ws_cli(ws_server *s, bool with_data, char *out, size_t cap, const char *const *args);

/* One HTTP exchange. token may be NULL; body may be NULL; ctype defaults to
 * application/json. *reply gets the parsed JSON (or NULL when not JSON);
 * raw (optional) gets the body text (caller frees). Returns the status. */
long ws_http(ws_server *s, const char *method, const char *path, const char *token,
             const char *body, size_t body_len, const char *ctype, json_t **reply, char **raw);
/* Shorthand for JSON bodies (body NUL-terminated). */
long ws_req(ws_server *s, const char *method, const char *path, const char *token, const char *body,
            json_t **reply);
/* A reply kept as bytes (an XLSX file or a photo has NUL bytes; one more
 * NUL follows them), with two of its headers. p is the caller's to free. */
typedef struct ws_file {
    char *p;
    size_t n;
    char ctype[256], disp[512];
} ws_file;
/* GET path, or POST body[0..len) as ctype when body is not NULL, into *f
 * (zeroed first). token may be NULL. A 300-s timeout: a 10,000-row import or
 * export under the sanitizers on a busy machine can outlast ws_http's 30 s.
 * Returns the status, 0 when the exchange failed. */
long ws_fetch(ws_server *s, const char *path, const char *token, const char *body, size_t len,
              const char *ctype, ws_file *f);
/* POST a JSON body that must create something: 201 and an "id" above 0,
 * which is returned. Anything else fails the test, naming the path, the
 * status and the error's code, field and message. */
long long ws_post_id(ws_server *s, const char *token, const char *path, const char *body);
/* Log in and copy the token (65 bytes). Returns the status. */
long ws_login(ws_server *s, const char *user, const char *pw, char token[65]);

/* The error envelope's code and field of a reply ("" when absent). */
const char *ws_err_code_of(json_t *reply);
const char *ws_err_field_of(json_t *reply);

#endif
