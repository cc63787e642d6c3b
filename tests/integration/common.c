/* common.c — the integration-test harness; see common.h. */
#include "integration/common.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <pthread.h>
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BIN "build/test/worksafe"

int ws_backends(const char *out[2])
{
    int n = 0;
    out[n++] = "sqlite";
    const char *pg = getenv("WS_TEST_PG_URL");
    if (pg && *pg) out[n++] = "postgres";
    return n;
}

int ws_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t l = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) || getsockname(fd, (struct sockaddr *)&a, &l)) {
        if (fd >= 0) close(fd);
        return -1;
    }
    int p = ntohs(a.sin_port);
    close(fd);
    return p;
}

/* Run a statement on the maintenance database of WS_TEST_PG_URL. */
static int pg_admin(const char *sql)
{
    PGconn *c = PQconnectdb(getenv("WS_TEST_PG_URL"));
    int ok = PQstatus(c) == CONNECTION_OK;
    if (ok) {
        PGresult *r = PQexec(c, sql);
        ok = PQresultStatus(r) == PGRES_COMMAND_OK;
        if (!ok) fprintf(stderr, "pg_admin: %s", PQerrorMessage(c));
        PQclear(r);
    }
    PQfinish(c);
    return ok ? 0 : -1;
}

/* Fork/exec BIN with args; output to the file fd (or inherited when -1). */
static int spawn(const char *const *args, int outfd)
{
    pid_t pid = fork();
    if (pid == 0) {
        if (outfd >= 0) {
            dup2(outfd, 1);
            dup2(outfd, 2);
        }
        const char *argv[64];
        int n = 0;
        argv[n++] = BIN;
        for (int i = 0; args[i] && n < 63; i++) argv[n++] = args[i];
        argv[n] = NULL;
        execv(BIN, (char *const *)argv);
        _exit(127);
    }
    return pid;
}

static int wait_status(int pid)
{
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR) return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int ws_cli(ws_server *s, bool with_data, char *out, size_t cap, const char *const *args)
{
    const char *argv[64];
    int n = 0;
    for (int i = 0; args[i] && n < 56; i++) argv[n++] = args[i];
    if (with_data) {
        argv[n++] = "--data";
        argv[n++] = s->dir;
        if (s->db[0]) {
            argv[n++] = "--db";
            argv[n++] = s->db;
        }
    }
    argv[n] = NULL;
    char tmpl[] = "/tmp/ws-cli-XXXXXX";
    int fd = mkstemp(tmpl);
    int pid = spawn(argv, fd);
    int st = wait_status(pid);
    if (out && cap) {
        lseek(fd, 0, SEEK_SET);
        ssize_t r = read(fd, out, cap - 1);
        out[r > 0 ? r : 0] = 0;
    }
    close(fd);
    unlink(tmpl);
    return st;
}

static int wait_ready(ws_server *s)
{
    for (int i = 0; i < 200; i++) {
        long st = ws_http(s, "GET", "/healthz", NULL, NULL, 0, NULL, NULL, NULL);
        if (st == 200) return 0;
        int w;
        if (waitpid(s->pid, &w, WNOHANG) == s->pid) {
            s->pid = 0;
            return -1;
        }
        struct timespec t = {0, 50 * 1000 * 1000};
        nanosleep(&t, NULL);
    }
    return -1;
}

const char *ws_serve_extra[8];

void ws_server_tick(ws_server *s)
{
    if (s->pid > 0) kill(s->pid, SIGUSR1);
}

int ws_server_restart(ws_server *s)
{
    s->port = ws_free_port();
    snprintf(s->base, sizeof s->base, "http://127.0.0.1:%d", s->port);
    char listen[32];
    snprintf(listen, sizeof listen, "127.0.0.1:%d", s->port);
    char log[300];
    snprintf(log, sizeof log, "%s/server.log", s->dir);
    int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
    const char *args[32] = {"serve", "--data", s->dir, "--listen", listen, "--web", "build/web"};
    int n = 7;
    if (s->db[0]) {
        args[n++] = "--db";
        args[n++] = s->db;
    }
    for (int i = 0; ws_serve_extra[i] && n < 30; i++) args[n++] = ws_serve_extra[i];
    args[n] = NULL;
    s->pid = spawn(args, fd);
    close(fd);
    if (wait_ready(s)) {
        fprintf(stderr, "server did not become ready; log in %s\n", log);
        return -1;
    }
    return 0;
}

int ws_server_start(ws_server *s, const char *backend, const char *const *extra_init)
{
    static int seq;
    memset(s, 0, sizeof *s);
    snprintf(s->dir, sizeof s->dir, "/tmp/ws-it-%d-%d", (int)getpid(), ++seq);
    /* A directory or database of this name can only be left by a dead run
     * whose pid this one reuses (a crashed test does not clean up): clear it. */
    char rm[300];
    snprintf(rm, sizeof rm, "rm -rf '%s'", s->dir);
    if (system(rm) != 0) return -1;
    s->pg = strcmp(backend, "postgres") == 0;
    if (s->pg) {
        char sql[128], name[64];
        snprintf(name, sizeof name, "ws_it_%d_%d", (int)getpid(), seq);
        snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", name);
        if (pg_admin(sql)) return -1;
        snprintf(sql, sizeof sql, "CREATE DATABASE %s", name);
        if (pg_admin(sql)) return -1;
        /* Same server as WS_TEST_PG_URL, another database. */
        const char *u = getenv("WS_TEST_PG_URL");
        const char *slash = strrchr(u, '/');
        snprintf(s->db, sizeof s->db, "%.*s/%s", (int)(slash - u), u, name);
    }
    const char *args[40] = {"init", "--data", s->dir, "--admin-password", WS_ADMIN_PW};
    int n = 5;
    if (s->pg) {
        args[n++] = "--db";
        args[n++] = s->db;
    }
    for (int i = 0; extra_init && extra_init[i] && n < 38; i++) args[n++] = extra_init[i];
    args[n] = NULL;
    char out[4096];
    int st = ws_cli(s, false, out, sizeof out, args);
    if (st != 0) {
        fprintf(stderr, "worksafe init failed (%d): %s\n", st, out);
        return -1;
    }
    return ws_server_restart(s);
}

int ws_server_stop(ws_server *s)
{
    if (s->pid <= 0) return -1;
    kill(s->pid, SIGTERM);
    int st = wait_status(s->pid);
    s->pid = 0;
    return st;
}

void ws_server_destroy(ws_server *s)
{
    if (s->pid > 0) ws_server_stop(s);
    if (s->pg && s->db[0]) {
        char sql[160];
        snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", strrchr(s->db, '/') + 1);
        pg_admin(sql);
    }
    if (s->dir[0] && !getenv("WS_KEEP_TEST_DATA")) {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", s->dir);
        if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", s->dir);
    }
}

typedef struct { char *p; size_t n; } sink;

static size_t collect(char *d, size_t sz, size_t nm, void *u)
{
    sink *k = u;
    size_t add = sz * nm;
    char *q = realloc(k->p, k->n + add + 1);
    if (!q) return 0;
    memcpy(q + k->n, d, add);
    k->p = q;
    k->n += add;
    q[k->n] = 0;
    return add;
}

/* One curl handle a thread, kept between requests so that its keep-alive
 * connection is reused, as a browser's is: a new TCP connection a request
 * was most of a short request's cost (the permission matrix makes about
 * 6,000). Freed when its thread ends (the key's destructor); the main
 * thread's stays reachable until the process exits. */
static pthread_key_t handle_key;
static pthread_once_t handle_once = PTHREAD_ONCE_INIT;
static void handle_free(void *h) { curl_easy_cleanup(h); }
static void handle_key_make(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    pthread_key_create(&handle_key, handle_free);
}
static CURL *handle(void)
{
    pthread_once(&handle_once, handle_key_make);
    CURL *h = pthread_getspecific(handle_key);
    if (h) curl_easy_reset(h);
    else if ((h = curl_easy_init())) pthread_setspecific(handle_key, h);
    return h;
}

static size_t file_body(char *d, size_t sz, size_t nm, void *u)
{
    ws_file *f = u;
    size_t n = sz * nm;
    char *p = realloc(f->p, f->n + n + 1);
    if (!p) return 0;
    memcpy(p + f->n, d, n);
    f->p = p;
    f->n += n;
    f->p[f->n] = 0;
    return n;
}

static size_t file_header(char *d, size_t sz, size_t nm, void *u)
{
    ws_file *f = u;
    size_t n = sz * nm, k = n;
    while (k && (d[k - 1] == '\r' || d[k - 1] == '\n')) k--;
    if (k > 14 && !strncasecmp(d, "Content-Type: ", 14))
        snprintf(f->ctype, sizeof f->ctype, "%.*s", (int)(k - 14), d + 14);
    if (k > 21 && !strncasecmp(d, "Content-Disposition: ", 21))
        snprintf(f->disp, sizeof f->disp, "%.*s", (int)(k - 21), d + 21);
    return n;
}

/* What ws_http and ws_fetch set alike on h: the URL, the token, and the body
 * with its Content-Type (ctype, else dflt). Small bodies go at once; a large
 * one waits for "100 Continue", as a browser's does: a server that refuses it
 * by its Content-Length (413) answers before the body, instead of closing
 * while it is being sent (which curl reports as a send error, not the 413: a
 * flaky test). Returns the header list, the caller's to free after the
 * transfer (libcurl copies the strings). */
static struct curl_slist *request(CURL *h, ws_server *s, const char *path, const char *token,
                                  const char *body, size_t len, const char *ctype, const char *dflt)
{
    char url[1024], line[256];
    snprintf(url, sizeof url, "%s%s", s->base, path);
    curl_easy_setopt(h, CURLOPT_URL, url);
    struct curl_slist *hd = NULL;
    if (token) {
        snprintf(line, sizeof line, "Authorization: Bearer %s", token);
        hd = curl_slist_append(hd, line);
    }
    if (body) {
        snprintf(line, sizeof line, "Content-Type: %s", ctype ? ctype : dflt);
        hd = curl_slist_append(hd, line);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    if (len <= (1u << 20)) hd = curl_slist_append(hd, "Expect:");
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    return hd;
}

long ws_fetch(ws_server *s, const char *path, const char *token, const char *body, size_t len,
              const char *ctype, ws_file *f)
{
    memset(f, 0, sizeof *f);
    CURL *h = handle();
    struct curl_slist *hd = request(h, s, path, token, body, len, ctype, "application/octet-stream");
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, file_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, f);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, file_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, f);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 300L);
    long status = 0;
    if (curl_easy_perform(h) == CURLE_OK) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(hd);
    return status;
}

long ws_http(ws_server *s, const char *method, const char *path, const char *token, const char *body,
             size_t body_len, const char *ctype, json_t **reply, char **raw)
{
    CURL *h = handle();
    struct curl_slist *hd = request(h, s, path, token, body, body_len, ctype, "application/json");
    sink k = {0};
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &k);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
    long status = 0;
    CURLcode cc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (cc != CURLE_OK && status < 400) status = 0; /* an error reply that came before the
                                                       connection failed still counts */
    curl_slist_free_all(hd);
    if (reply) *reply = k.p ? json_loads(k.p, 0, NULL) : NULL;
    if (raw) *raw = k.p;
    else free(k.p);
    return status;
}

long ws_req(ws_server *s, const char *method, const char *path, const char *token, const char *body,
            json_t **reply)
{
    return ws_http(s, method, path, token, body, body ? strlen(body) : 0, NULL, reply, NULL);
}

long long ws_post_id(ws_server *s, const char *token, const char *path, const char *body)
{
    json_t *r = NULL;
    long st = ws_req(s, "POST", path, token, body, &r);
    if (st != 201) {
        const char *msg = json_string_value(json_object_get(json_object_get(r, "error"), "message"));
        fail_msg("POST %s -> %ld %s %s %s", path, st, ws_err_code_of(r), ws_err_field_of(r), msg ? msg : "");
    }
    long long id = json_integer_value(json_object_get(r, "id"));
    json_decref(r);
    if (id <= 0) fail_msg("POST %s -> 201 without an id", path);
    return id;
}

long ws_login(ws_server *s, const char *user, const char *pw, char token[65])
{
    json_t *b = json_pack("{s:s,s:s}", "username", user, "password", pw);
    char *txt = json_dumps(b, 0);
    json_t *r = NULL;
    long st = ws_req(s, "POST", "/api/v1/auth/login", NULL, txt, &r);
    token[0] = 0;
    const char *t = json_string_value(json_object_get(r, "token"));
    if (t) snprintf(token, 65, "%s", t);
    free(txt);
    json_decref(b);
    json_decref(r);
    return st;
}

const char *ws_err_code_of(json_t *reply)
{
    const char *c = json_string_value(json_object_get(json_object_get(reply, "error"), "code"));
    return c ? c : "";
}

const char *ws_err_field_of(json_t *reply)
{
    const char *c = json_string_value(json_object_get(json_object_get(reply, "error"), "field"));
    return c ? c : "";
}
