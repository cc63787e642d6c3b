/* test_permissions.c — the permission matrix, over the wire, on SQLite and
 * PostgreSQL.
 *
 * tests/data/permissions.csv is written by hand: for every route, and for a
 * resource inside and outside the caller's scope, the status each role must
 * get (anonymous, admin, manager, safety_officer, dept_head, grid_leader,
 * worker, regulator). Every role's account is scoped to enterprise A; "in"
 * resources lie in A, "out" resources in enterprise B of the same park.
 * The test fails when a route of the server has no row, when a row names a
 * route the server does not have, and when any cell differs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api/api.h"
#include "integration/common.h"
#include "core/clock.h"

#define NCOL 8
static const char *const cols[NCOL] = {"anonymous", "admin",     "manager", "safety_officer",
                                       "dept_head", "grid_leader", "worker",  "regulator"};

typedef struct row {
    char method[8], pattern[96], scope[4];
    int want[NCOL];
    int line;
} row;

typedef struct world {
    ws_server s;
    char root_tok[65];
    char tok[NCOL][65];
    long long park, ent[2], unit[2], person[2], account[2], dept[2], post[2], attach[2], hazard[2];
    char unit_code[2][32];
    long long risk[2][5]; /* risk object, unit, event, measure, task: made on first use */
    long long device[2], point[2]; /* {device}, {point}: made on first use */
    long long channel; /* {channel}: a notification channel, made on first use */
    long long plant[2][7]; /* {shift} {roster} {equipment} {workorder} {bypass} {handover} {crew}: made on first use */
    long long alarm[2];            /* {alarm}: made on first use */
    long long permit[2], package[2]; /* {permit} {package}: made on first use */
    long long force[2], incident[2]; /* {force} {incident}: made on first use */
    long long duty[2], dtask[2];     /* {duty} {dtask}: made on first use */
    long long drill[2];              /* {drill}: made on first use */
    /* Grid patrols: {grid} {ppoint} {patrol} {ptpl} {phazard}, made on first use;
     * {fpatrol} a fresh grid, point and its patrol, {fppoint} that fresh point. */
    long long pgrid[2], ppoint[2], patrol[2], ptpl[2], phazard[2], fppoint[2];
    long long vreport[2];            /* {vreport}: an anonymous report, made on first use */
    char vcode[40];                  /* {vcode}: its receipt code (enterprise A) */
    long long mpts[2][2], mon[2], mt0; /* {mpoints} {monitor} {mfrom}: made on first use */
    int mtag[2];
    int n;
} world;

#include "integration/permission_calls.h"

/* Live streams (ctype "text/event-stream") never end: the status comes from
 * the headers and the exchange stops at the first byte of a 200's body; an
 * error reply's envelope is read whole. */
typedef struct sbody {
    CURL *h;
    char buf[2048];
    size_t n;
} sbody;

static size_t stream_body(char *d, size_t sz, size_t nm, void *u)
{
    sbody *b = u;
    long code = 0;
    curl_easy_getinfo(b->h, CURLINFO_RESPONSE_CODE, &code);
    if (code == 200) return 0; /* the stream is open: hang up */
    size_t k = sz * nm;
    if (k > sizeof b->buf - 1 - b->n) k = sizeof b->buf - 1 - b->n;
    memcpy(b->buf + b->n, d, k);
    b->n += k;
    b->buf[b->n] = 0;
    return sz * nm;
}

static long stream_status(ws_server *s, const char *path, const char *token, json_t **reply)
{
    sbody b = {0};
    b.h = curl_easy_init();
    char url[1024], auth[128];
    snprintf(url, sizeof url, "%s%s", s->base, path);
    struct curl_slist *hd = NULL;
    if (token) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
        hd = curl_slist_append(hd, auth);
    }
    curl_easy_setopt(b.h, CURLOPT_URL, url);
    curl_easy_setopt(b.h, CURLOPT_HTTPHEADER, hd);
    curl_easy_setopt(b.h, CURLOPT_WRITEFUNCTION, stream_body);
    curl_easy_setopt(b.h, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(b.h, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(b.h, CURLOPT_NOSIGNAL, 1L);
    long status = 0;
    CURLcode cc = curl_easy_perform(b.h);
    if (cc == CURLE_OK || cc == CURLE_WRITE_ERROR) curl_easy_getinfo(b.h, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(hd);
    curl_easy_cleanup(b.h);
    *reply = b.n ? json_loads(b.buf, 0, NULL) : NULL;
    return status;
}

/* Body "@jpeg": the bytes of tests/data/photo-gps.jpg (binary, so not a
 * template). Read once; lives for the process. */
static const char *jpeg_body(size_t *n)
{
    static char *p;
    static size_t len;
    if (!p) {
        FILE *f = fopen("tests/data/photo-gps.jpg", "rb");
        assert_non_null(f);
        p = malloc(1 << 20);
        len = fread(p, 1, 1 << 20, f);
        fclose(f);
        assert_true(len > 0);
    }
    *n = len;
    return p;
}

static const tmpl *find_tmpl(const char *method, const char *pattern)
{
    for (size_t i = 0; i < sizeof tmpls / sizeof *tmpls; i++)
        if (!strcmp(tmpls[i].method, method) && !strcmp(tmpls[i].pattern, pattern)) return &tmpls[i];
    return NULL;
}

static int load_rows(row *rows, int cap)
{
    FILE *f = fopen("tests/data/permissions.csv", "r");
    assert_non_null(f);
    char line[512];
    int n = 0, ln = 0;
    while (fgets(line, sizeof line, f)) {
        ln++;
        if (line[0] == '#' || line[0] == '\n' || !strncmp(line, "method,", 7)) continue;
        assert_true(n < cap);
        row *r = &rows[n];
        char *save = NULL, *tok = strtok_r(line, ",\n", &save);
        int k = 0;
        while (tok) {
            if (k == 0) snprintf(r->method, sizeof r->method, "%s", tok);
            else if (k == 1) snprintf(r->pattern, sizeof r->pattern, "%s", tok);
            else if (k == 2) snprintf(r->scope, sizeof r->scope, "%s", tok);
            else if (k - 3 < NCOL) r->want[k - 3] = atoi(tok);
            k++;
            tok = strtok_r(NULL, ",\n", &save);
        }
        if (k != 3 + NCOL) fail_msg("permissions.csv:%d: %d cells, want %d", ln, k, 3 + NCOL);
        r->line = ln;
        n++;
    }
    fclose(f);
    return n;
}

/* The inspection checks of each side ({insp}, {finsp}), per world. */
static long long insp_pool[2][64];
static int insp_made[2], insp_used[2];

static void setup_world(world *w, const char *backend)
{
    const char *extra[] = {"--org-kind", "park", "--org-name", "测试园区", NULL};
    ws_serve_extra[0] = "--tick-seconds"; /* and sooner when ws_server_tick asks */
    ws_serve_extra[1] = "1";
    memset(insp_made, 0, sizeof insp_made);
    memset(insp_used, 0, sizeof insp_used);
    assert_int_equal(ws_server_start(&w->s, backend, extra), 0);
    assert_int_equal(ws_login(&w->s, "admin", WS_ADMIN_PW, w->root_tok), 200);
    json_t *r = NULL;
    assert_int_equal(ws_req(&w->s, "GET", "/api/v1/me", w->root_tok, NULL, &r), 200);
    w->park = json_integer_value(json_object_get(json_object_get(r, "scope"), "id"));
    json_decref(r);
    char b[512];
    for (int i = 0; i < 2; i++) {
        const char *e = i ? "B" : "A";
        snprintf(b, sizeof b, "{\"parent_id\":%lld,\"kind\":\"enterprise\",\"code\":\"E%s\",\"name\":\"企业%s\"}",
                 w->park, e, e);
        w->ent[i] = ws_post_id(&w->s, w->root_tok, "/api/v1/units", b);
        snprintf(w->unit_code[i], sizeof w->unit_code[i], "S%s", e);
        snprintf(b, sizeof b, "{\"parent_id\":%lld,\"kind\":\"site\",\"code\":\"%s\",\"name\":\"厂区%s\"}",
                 w->ent[i], w->unit_code[i], e);
        w->unit[i] = ws_post_id(&w->s, w->root_tok, "/api/v1/units", b);
        snprintf(b, sizeof b, "{\"unit_id\":%lld,\"name\":\"员工%s\",\"phone\":\"13900000000\"}", w->unit[i], e);
        w->person[i] = ws_post_id(&w->s, w->root_tok, "/api/v1/people", b);
        snprintf(b, sizeof b, "{\"enterprise_id\":%lld,\"code\":\"setup\",\"name\":\"部门\"}", w->ent[i]);
        w->dept[i] = ws_post_id(&w->s, w->root_tok, "/api/v1/departments", b);
        snprintf(b, sizeof b, "{\"enterprise_id\":%lld,\"code\":\"setup\",\"name\":\"岗位\"}", w->ent[i]);
        w->post[i] = ws_post_id(&w->s, w->root_tok, "/api/v1/posts", b);
        snprintf(b, sizeof b,
                 "{\"username\":\"target%s\",\"password\":\"" PW "\",\"roles\":[\"worker\"],\"scope_unit_id\":%lld}",
                 e, w->unit[i]);
        w->account[i] = ws_post_id(&w->s, w->root_tok, "/api/v1/accounts", b);
    }
    for (int c = 1; c < NCOL; c++) {
        snprintf(b, sizeof b, "{\"username\":\"r_%s\",\"password\":\"" PW "\",\"roles\":[\"%s\"],\"scope_unit_id\":%lld}",
                 cols[c], cols[c], w->ent[0]);
        ws_post_id(&w->s, w->root_tok, "/api/v1/accounts", b);
        char user[48];
        snprintf(user, sizeof user, "r_%s", cols[c]);
        assert_int_equal(ws_login(&w->s, user, PW, w->tok[c]), 200);
    }
}

static void put(char *out, size_t cap, size_t *n, const char *s)
{
    size_t l = strlen(s);
    assert_true(*n + l < cap);
    memcpy(out + *n, s, l);
    *n += l;
    out[*n] = 0;
}

/* The risk register chain of side (object -> unit -> event -> measure ->
 * task), made once by the root admin; the id of the link named kind. */
static long long risk_id(world *w, int side, const char *kind)
{
    static const char *const kinds[5] = {"object", "unit", "event", "measure", "task"};
    long long *r = w->risk[side];
    char b[512];
    if (!r[0]) {
        snprintf(b, sizeof b, "{\"unit_id\":%lld,\"kind\":\"installation\",\"name\":\"装置\","
                 "\"responsible_person_id\":%lld}", w->unit[side], w->person[side]);
        r[0] = ws_post_id(&w->s, w->root_tok, "/api/v1/risk/objects", b);
        snprintf(b, sizeof b, "{\"object_id\":%lld,\"name\":\"单元\",\"responsible_person_id\":%lld}",
                 r[0], w->person[side]);
        r[1] = ws_post_id(&w->s, w->root_tok, "/api/v1/risk/units", b);
        snprintf(b, sizeof b, "{\"risk_unit_id\":%lld,\"description\":\"泄漏\",\"method\":\"LEC\","
                 "\"inherent_l\":3,\"inherent_e\":6,\"inherent_c\":15}", r[1]);
        r[2] = ws_post_id(&w->s, w->root_tok, "/api/v1/risk/events", b);
        snprintf(b, sizeof b, "{\"event_id\":%lld,\"category\":\"engineering\",\"text\":\"报警\"}", r[2]);
        r[3] = ws_post_id(&w->s, w->root_tok, "/api/v1/risk/measures", b);
        snprintf(b, sizeof b, "{\"measure_id\":%lld,\"what\":\"检查\",\"frequency\":\"daily\","
                 "\"post_id\":%lld}", r[3], w->post[side]);
        r[4] = ws_post_id(&w->s, w->root_tok, "/api/v1/risk/tasks", b);
    }
    for (int i = 0; i < 5; i++)
        if (!strcmp(kind, kinds[i])) return r[i];
    fail_msg("unknown risk placeholder %s", kind);
    return 0;
}

/* Inspections of side: fresh daily tasks of the side's post, whose current
 * checks the server's timer makes; {insp} is the first, {finsp} takes the
 * next unused one (a batch of 8 more when none is left). */
static long long inspection_of(world *w, int side, bool fresh)
{
    if (!insp_made[side] || (fresh && insp_used[side] == insp_made[side])) {
        assert_true(insp_made[side] + 8 <= 64);
        long long tasks[8];
        char b[256], p[128];
        for (int i = 0; i < 8; i++) {
            snprintf(b, sizeof b, "{\"measure_id\":%lld,\"what\":\"巡检%d\",\"frequency\":"
                     "\"daily\",\"post_id\":%lld}", risk_id(w, side, "measure"), ++w->n,
                     w->post[side]);
            tasks[i] = ws_post_id(&w->s, w->root_tok, "/api/v1/risk/tasks", b);
        }
        for (int i = 0; i < 8; i++) {
            long long id = 0;
            for (int tries = 0; !id && tries < 500; tries++) {
                json_t *r = NULL;
                ws_server_tick(&w->s);
                snprintf(p, sizeof p, "/api/v1/inspections?task_id=%lld&state=pending", tasks[i]);
                if (ws_req(&w->s, "GET", p, w->root_tok, NULL, &r) == 200) {
                    json_t *items = json_object_get(r, "items");
                    /* newest first: [next window, current window] */
                    if (json_array_size(items) == 2)
                        id = json_integer_value(json_object_get(json_array_get(items, 1), "id"));
                }
                json_decref(r);
                if (!id) usleep(20000);
            }
            if (!id) fail_msg("no inspection made for task %lld within 10 s", tasks[i]);
            insp_pool[side][insp_made[side]++] = id;
        }
        if (!insp_used[side]) insp_used[side] = 1; /* the first is {insp}'s */
    }
    return fresh ? insp_pool[side][insp_used[side]++] : insp_pool[side][0];
}

/* A fresh alarm of the unit of side: a new combustible point read at 30 %LEL
 * (over H 25) by the root admin; then, by mode, cleared and acknowledged
 * ('r') or shelved ('s'). */
static long long make_alarm(world *w, int side, char mode)
{
    char b[256], p[128];
    int n = ++w->n;
    snprintf(b, sizeof b, "{\"unit_id\":%lld,\"tag\":\"PA%d\",\"name\":\"报警测点\","
             "\"kind\":\"combustible\"}", w->unit[side], n);
    long long point = ws_post_id(&w->s, w->root_tok, "/api/v1/points", b);
    long long now = (long long)time(NULL) * 1000;
    snprintf(b, sizeof b, "PA%d 30 %lld\nPA%d %s %lld\n", n, now - 2000, n, mode == 'r' ? "0" : "31",
             now - 1000);
    json_t *r = NULL;
    long st = ws_http(&w->s, "POST", "/api/v1/ingest", w->root_tok, b, strlen(b), "text/plain", &r, NULL);
    if (st != 200) fail_msg("setup ingest -> %ld %s", st, ws_err_field_of(r));
    json_decref(r);
    snprintf(p, sizeof p, "/api/v1/alarms?unit_id=%lld&limit=1", w->unit[side]);
    st = ws_req(&w->s, "GET", p, w->root_tok, NULL, &r);
    json_t *a = json_array_get(json_object_get(r, "items"), 0);
    if (st != 200 || json_integer_value(json_object_get(a, "point_id")) != point)
        fail_msg("setup: no alarm for point PA%d (%ld)", n, st);
    long long id = json_integer_value(json_object_get(a, "id"));
    json_decref(r);
    if (mode == 'r') {
        snprintf(p, sizeof p, "/api/v1/alarms/%lld/actions/ack", id);
        if ((st = ws_req(&w->s, "POST", p, w->root_tok, "{}", NULL)) != 200) fail_msg("setup ack -> %ld", st);
    } else if (mode == 's') {
        char ts[40];
        snprintf(p, sizeof p, "/api/v1/alarms/%lld/actions/shelve", id);
        snprintf(b, sizeof b, "{\"reason\":\"检修\",\"until\":\"%s\"}",
                 clock_format_rfc3339(now + 3600000, ts, sizeof ts));
        if ((st = ws_req(&w->s, "POST", p, w->root_tok, b, NULL)) != 200) fail_msg("setup shelve -> %ld", st);
    }
    return id;
}

static void expand(world *w, const char *t, int side, int c, char *out, size_t cap);

/* The plant placeholders ({shift} {roster} {equipment} {workorder} {bypass}
 * {handover} {crew} and their fresh {f...} forms, {soon}) into v; false for
 * other keys. Made by the root admin in the side's unit. */
static bool plant_ref(world *w, const char *key, int side, int c, char *v, size_t cap)
{
    static const char *const kinds[7] = {"shift", "roster", "equipment", "workorder", "bypass", "handover", "crew"};
    char b[768], x[64], y[64];
    if (!strcmp(key, "soon")) {
        time_t t = time(NULL) + 3600;
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(v, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
        return true;
    }
    bool fresh = key[0] == 'f';
    int k = 0;
    while (k < 7 && strcmp(key + fresh, kinds[k])) k++;
    if (k == 7) return false;
    long long *slot = &w->plant[side][k];
    if (*slot && !fresh) {
        snprintf(v, cap, "%lld", *slot);
        return true;
    }
    long long id = 0;
    switch (k) {
    case 0:
        snprintf(b, sizeof b, "{\"unit_id\":%lld,\"name\":\"班次%d\",\"start\":\"20:00\",\"length_min\":720}",
                 w->unit[side], ++w->n);
        id = ws_post_id(&w->s, w->root_tok, "/api/v1/shifts", b);
        break;
    case 1: {
        expand(w, "{fshift}", side, c, x, sizeof x);
        snprintf(b, sizeof b, "{\"entries\":[{\"shift_id\":%s,\"person_id\":%lld,\"day\":\"2026-03-10\","
                 "\"role\":\"operator\"}]}", x, w->person[side]);
        json_t *r = NULL;
        long st = ws_req(&w->s, "POST", "/api/v1/roster-entries", w->root_tok, b, &r);
        if (st != 201) fail_msg("setup POST /api/v1/roster-entries -> %ld", st);
        id = json_integer_value(json_object_get(json_array_get(json_object_get(r, "items"), 0), "id"));
        json_decref(r);
        break;
    }
    case 2:
        snprintf(b, sizeof b, "{\"unit_id\":%lld,\"code\":\"PE%d\",\"name\":\"压缩机\",\"kind\":\"compressor\"}",
                 w->unit[side], ++w->n);
        id = ws_post_id(&w->s, w->root_tok, "/api/v1/equipment", b);
        break;
    case 3:
        expand(w, "{equipment}", side, c, x, sizeof x);
        snprintf(b, sizeof b, "{\"equipment_id\":%s,\"title\":\"检修%d\"}", x, ++w->n);
        id = ws_post_id(&w->s, w->root_tok, "/api/v1/work-orders", b);
        break;
    case 4:
        expand(w, "{point}", side, c, x, sizeof x);
        expand(w, "{soon}", side, c, y, sizeof y);
        snprintf(b, sizeof b, "{\"unit_id\":%lld,\"point_id\":%s,\"interlock\":\"联锁%d\",\"reason\":\"检修\","
                 "\"measures\":\"专人监护\",\"requested_by_person_id\":%lld,\"expires_at\":\"%s\"}",
                 w->unit[side], x, ++w->n, w->person[side], y);
        id = ws_post_id(&w->s, w->root_tok, "/api/v1/bypasses", b);
        break;
    case 5: /* on a fresh unit: one handover of a unit waits at a time */
        expand(w, "{funit}", side, c, x, sizeof x);
        snprintf(b, sizeof b, "{\"unit_id\":%s,\"note\":\"正常\",\"handed_by_person_id\":%lld}", x,
                 w->person[side]);
        id = ws_post_id(&w->s, w->root_tok, "/api/v1/handovers", b);
        break;
    case 6: /* a fresh person: one active crew of a unit a person */
        expand(w, "{fperson}", side, c, x, sizeof x);
        snprintf(b, sizeof b, "{\"unit_id\":%lld,\"name\":\"班组%d\",\"members\":[{\"person_id\":%s,"
                 "\"role\":\"grid_leader\"}]}", w->unit[side], ++w->n, x);
        id = ws_post_id(&w->s, w->root_tok, "/api/v1/crews", b);
        break;
    }
    if (!fresh) *slot = id;
    snprintf(v, cap, "%lld", id);
    return true;
}

/* The patrol placeholders into v; false for other keys. A grid under the
 * side's unit with one point; the server's timer makes its patrol when
 * ws_server_tick asks, waited for here. Made by the root admin. */
static long long patrol_wait(world *w, long long grid)
{
    char p[96];
    snprintf(p, sizeof p, "/api/v1/patrols?unit_id=%lld", grid);
    for (int i = 0; i < 500; i++) {
        json_t *r = NULL;
        ws_server_tick(&w->s);
        long st = ws_req(&w->s, "GET", p, w->root_tok, NULL, &r);
        long long id = json_integer_value(json_object_get(json_array_get(json_object_get(r, "items"), 0), "id"));
        json_decref(r);
        if (st == 200 && id) return id;
        usleep(20000);
    }
    fail_msg("no patrol made for grid %lld within 10 s", grid);
    return 0;
}

static bool patrol_ref(world *w, const char *key, int side, char *v, size_t cap)
{
    char b[512];
    if (!strcmp(key, "pnow")) {
        clock_format_rfc3339((int64_t)time(NULL) * 1000 - 1000, v, cap);
        return true;
    }
    bool fresh = !strcmp(key, "fpatrol");
    if (strcmp(key, "grid") && strcmp(key, "ppoint") && strcmp(key, "patrol") && strcmp(key, "ptpl") &&
        strcmp(key, "phazard") && strcmp(key, "fppoint") && !fresh)
        return false;
    if (!strcmp(key, "fppoint")) {
        snprintf(v, cap, "%lld", w->fppoint[side]);
        return true;
    }
    if (!strcmp(key, "ptpl")) {
        if (!w->ptpl[side]) {
            snprintf(b, sizeof b, "{\"enterprise_id\":%lld,\"name\":\"日常巡查\",\"items\":[\"消防器材完好\"]}",
                     w->ent[side]);
            w->ptpl[side] = ws_post_id(&w->s, w->root_tok, "/api/v1/patrol-templates", b);
        }
        snprintf(v, cap, "%lld", w->ptpl[side]);
        return true;
    }
    long long grid = fresh ? 0 : w->pgrid[side];
    if (!grid) {
        int k = ++w->n;
        snprintf(b, sizeof b, "{\"parent_id\":%lld,\"kind\":\"grid\",\"code\":\"PG%d\",\"name\":\"网格%d\"}",
                 w->unit[side], k, k);
        grid = ws_post_id(&w->s, w->root_tok, "/api/v1/units", b);
        snprintf(b, sizeof b, "{\"grid_unit_id\":%lld,\"code\":\"PQ%d\",\"name\":\"巡查点\"}", grid, ++w->n);
        long long pt = ws_post_id(&w->s, w->root_tok, "/api/v1/patrol-points", b);
        if (fresh) {
            w->fppoint[side] = pt;
            snprintf(v, cap, "%lld", patrol_wait(w, grid));
            return true;
        }
        w->pgrid[side] = grid;
        w->ppoint[side] = pt;
    }
    if (!strcmp(key, "grid")) snprintf(v, cap, "%lld", grid);
    else if (!strcmp(key, "ppoint")) snprintf(v, cap, "%lld", w->ppoint[side]);
    else if (!strcmp(key, "patrol")) {
        if (!w->patrol[side]) w->patrol[side] = patrol_wait(w, grid);
        snprintf(v, cap, "%lld", w->patrol[side]);
    } else { /* phazard: a failed item of a fresh patrol, recorded by the root admin */
        if (!w->phazard[side]) {
            char pid[32], now[40], p[96];
            patrol_ref(w, "fpatrol", side, pid, sizeof pid);
            patrol_ref(w, "pnow", side, now, sizeof now);
            snprintf(p, sizeof p, "/api/v1/patrols/%s/actions/check", pid);
            snprintf(b, sizeof b, "{\"point_id\":%lld,\"offline\":true,\"client_time\":\"%s\","
                     "\"items\":[{\"ok\":false,\"note\":\"漏液\"}]}", w->fppoint[side], now);
            json_t *r = NULL;
            long st = ws_req(&w->s, "POST", p, w->root_tok, b, &r);
            json_t *stop = json_array_get(json_object_get(r, "stops"), 0);
            w->phazard[side] = json_integer_value(json_array_get(json_object_get(stop, "hazard_ids"), 0));
            json_decref(r);
            if (st != 200 || !w->phazard[side]) fail_msg("setup patrol hazard -> %ld", st);
        }
        snprintf(v, cap, "%lld", w->phazard[side]);
    }
    return true;
}

/* Issue 6: {vreport} and {vcode} into v; false for other keys. The report is
 * sent without a token, as a reporter would. */
static bool voice_ref(world *w, const char *key, int side, char *v, size_t cap)
{
    if (strcmp(key, "vreport") && strcmp(key, "vcode")) return false;
    if (key[1] == 'c') side = 0;
    if (!w->vreport[side]) {
        char b[256], p[96];
        json_t *r = NULL;
        snprintf(b, sizeof b, "{\"unit_id\":%lld,\"category\":\"equipment\",\"text\":\"泵房漏油%d\"}",
                 w->unit[side], ++w->n);
        long st = ws_req(&w->s, "POST", "/api/v1/public/reports", NULL, b, &r);
        if (st != 201) fail_msg("setup POST /api/v1/public/reports -> %ld %s", st, ws_err_field_of(r));
        if (!side) snprintf(w->vcode, sizeof w->vcode, "%s", json_string_value(json_object_get(r, "receipt_code")));
        json_decref(r);
        snprintf(p, sizeof p, "/api/v1/voice/reports?unit_id=%lld&limit=1", w->unit[side]);
        st = ws_req(&w->s, "GET", p, w->root_tok, NULL, &r);
        if (st != 200) fail_msg("setup GET %s -> %ld", p, st);
        w->vreport[side] = json_integer_value(json_object_get(json_array_get(json_object_get(r, "items"), 0), "id"));
        json_decref(r);
    }
    if (key[1] == 'c') snprintf(v, cap, "%s", w->vcode);
    else snprintf(v, cap, "%lld", w->vreport[side]);
    return true;
}

/* Issue 7: process monitors. {mpoints} two points of the side's unit with
 * a day of correlated minute readings ending half an hour ago ({mrun} the
 * first, as a run condition),
 * {mfrom} {mto} that window, {monitor} a monitor trained on it,
 * {fmonitor} a fresh one; into v, false for other keys. */
static bool monitor_ref(world *w, const char *key, int side, char *v, size_t cap)
{
    long long(*pts)[2] = w->mpts, *mon = w->mon;
    int *tags = w->mtag;
    long long t0 = w->mt0;
    if (strcmp(key, "mpoints") && strcmp(key, "mrun") && strcmp(key, "mfrom") && strcmp(key, "mto") &&
        strcmp(key, "monitor") && strcmp(key, "fmonitor"))
        return false;
    enum { MINUTES = 1450 };
    if (!t0) t0 = w->mt0 = ((long long)time(NULL) / 60 - MINUTES - 30) * 60000;
    if (!pts[side][0]) {
        char b[256];
        tags[side] = ++w->n;
        for (int j = 0; j < 2; j++) {
            snprintf(b, sizeof b, "{\"unit_id\":%lld,\"tag\":\"MV%d-%d\",\"name\":\"反应温度%d\",\"kind\":\"temperature\"}",
                     w->unit[side], tags[side], j, j);
            pts[side][j] = ws_post_id(&w->s, w->root_tok, "/api/v1/points", b);
        }
        size_t cap2 = MINUTES * 2 * 48, len = 0;
        char *body = malloc(cap2);
        unsigned rnd = 12345u + (unsigned)side;
        for (int i = 0; i < MINUTES; i++) {
            rnd = rnd * 1103515245u + 12345u;
            double a = 50 + 5 * sin(i / 30.0) + (double)(rnd >> 16 & 1023) / 512.0;
            rnd = rnd * 1103515245u + 12345u;
            double c2 = 2 * a + (double)(rnd >> 16 & 1023) / 512.0;
            len += (size_t)snprintf(body + len, cap2 - len, "MV%d-0 %.3f %lld\nMV%d-1 %.3f %lld\n", tags[side], a,
                                    t0 + i * 60000LL + 1000, tags[side], c2, t0 + i * 60000LL + 1000);
        }
        json_t *r = NULL;
        long st = ws_http(&w->s, "POST", "/api/v1/ingest", w->root_tok, body, len, "text/plain", &r, NULL);
        free(body);
        if (st != 200) fail_msg("setup monitor ingest -> %ld %s", st, ws_err_field_of(r));
        json_decref(r);
    }
    char f[40], t[40];
    clock_format_rfc3339(t0, f, sizeof f);
    clock_format_rfc3339(t0 + MINUTES * 60000LL, t, sizeof t);
    if (!strcmp(key, "mpoints")) snprintf(v, cap, "%lld,%lld", pts[side][0], pts[side][1]);
    else if (!strcmp(key, "mrun")) snprintf(v, cap, "%lld", pts[side][0]);
    else if (!strcmp(key, "mfrom")) snprintf(v, cap, "%s", f);
    else if (!strcmp(key, "mto")) snprintf(v, cap, "%s", t);
    else if (key[0] == 'm' && mon[side]) snprintf(v, cap, "%lld", mon[side]);
    else {
        char b[512];
        snprintf(b, sizeof b, "{\"name\":\"监控%d\",\"unit_id\":%lld,\"point_ids\":[%lld,%lld],"
                 "\"train_from\":\"%s\",\"train_to\":\"%s\"}", ++w->n, w->unit[side], pts[side][0], pts[side][1], f, t);
        long long id = ws_post_id(&w->s, w->root_tok, "/api/v1/process-monitors", b);
        if (key[0] == 'm') mon[side] = id;
        snprintf(v, cap, "%lld", id);
    }
    return true;
}

/* Expand a template for side (0 in, 1 out) and column c. */
static void expand(world *w, const char *t, int side, int c, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = 0;
    char v[64], b[512];
    while (*t) {
        if (*t != '{' || t[1] < 'a' || t[1] > 'z') { /* JSON braces, not a placeholder */
            char ch[2] = {*t++, 0};
            put(out, cap, &n, ch);
            continue;
        }
        const char *e = strchr(t, '}');
        char key[32];
        snprintf(key, sizeof key, "%.*s", (int)(e - t - 1), t + 1);
        t = e + 1;
        if (!strcmp(key, "unit")) snprintf(v, sizeof v, "%lld", w->unit[side]);
        else if (!strcmp(key, "ent")) snprintf(v, sizeof v, "%lld", w->ent[side]);
        else if (!strcmp(key, "person")) snprintf(v, sizeof v, "%lld", w->person[side]);
        else if (!strcmp(key, "account")) snprintf(v, sizeof v, "%lld", w->account[side]);
        else if (!strcmp(key, "dept")) snprintf(v, sizeof v, "%lld", w->dept[side]);
        else if (!strcmp(key, "post")) snprintf(v, sizeof v, "%lld", w->post[side]);
        else if (!strcmp(key, "unit_code")) snprintf(v, sizeof v, "%s", w->unit_code[side]);
        else if (!strcmp(key, "n")) snprintf(v, sizeof v, "%d", ++w->n);
        else if (!strncmp(key, "risk_", 5)) snprintf(v, sizeof v, "%lld", risk_id(w, side, key + 5));
        else if (!strcmp(key, "self")) snprintf(v, sizeof v, "r_%s", c ? cols[c] : "worker");
        else if (!strcmp(key, "attach")) {
            if (!w->attach[side]) {
                size_t jn;
                const char *jp = jpeg_body(&jn);
                char p[96];
                json_t *r = NULL;
                snprintf(p, sizeof p, "/api/v1/attachments?unit_id=%lld", w->unit[side]);
                long st = ws_http(&w->s, "POST", p, w->root_tok, jp, jn, "image/jpeg", &r, NULL);
                if (st != 201) fail_msg("setup POST %s -> %ld %s", p, st, ws_err_field_of(r));
                w->attach[side] = json_integer_value(json_object_get(r, "id"));
                json_decref(r);
            }
            snprintf(v, sizeof v, "%lld", w->attach[side]);
        } else if (!strcmp(key, "hazard") || !strcmp(key, "fhazard") || !strcmp(key, "fmajor")) {
            if (key[0] == 'h' && w->hazard[side]) {
                snprintf(v, sizeof v, "%lld", w->hazard[side]);
            } else {
                snprintf(b, sizeof b, "{\"unit_id\":%lld,\"title\":\"检查发现隐患%d\","
                         "\"accident_type\":\"08\",\"grade\":\"%s\"}",
                         w->unit[side], ++w->n, key[1] == 'm' ? "major" : "general");
                long long id = ws_post_id(&w->s, w->root_tok, "/api/v1/hazards", b);
                if (key[0] == 'h') w->hazard[side] = id;
                snprintf(v, sizeof v, "%lld", id);
            }
        } else if (!strcmp(key, "alarm")) {
            if (!w->alarm[side]) w->alarm[side] = make_alarm(w, side, 0);
            snprintf(v, sizeof v, "%lld", w->alarm[side]);
        } else if (!strcmp(key, "falarm") || !strcmp(key, "frtn") || !strcmp(key, "fshelved")) {
            snprintf(v, sizeof v, "%lld", make_alarm(w, side, key[1] == 'r' ? 'r' : key[1] == 's' ? 's' : 0));
        } else if (!strcmp(key, "until")) {
            clock_format_rfc3339(((int64_t)time(NULL) + 3600) * 1000, v, sizeof v);
        } else if (!strcmp(key, "channel")) {
            if (!w->channel) {
                snprintf(b, sizeof b, "{\"kind\":\"webhook\",\"name\":\"perm-hook%d\","
                         "\"url\":\"http://127.0.0.1:9/hook\"}", ++w->n);
                w->channel = ws_post_id(&w->s, w->root_tok, "/api/v1/notify/channels", b);
            }
            snprintf(v, sizeof v, "%lld", w->channel);
        } else if (!strcmp(key, "device") || !strcmp(key, "point")) {
            bool dev = key[0] == 'd';
            long long *slot = dev ? &w->device[side] : &w->point[side];
            if (!*slot) {
                if (dev)
                    snprintf(b, sizeof b, "{\"unit_id\":%lld,\"code\":\"PD%d\",\"name\":\"探测器\","
                             "\"kind\":\"gas_detector\",\"protocol\":\"mqtt\"}", w->unit[side], ++w->n);
                else
                    snprintf(b, sizeof b, "{\"unit_id\":%lld,\"tag\":\"PP%d\",\"name\":\"测点\","
                             "\"kind\":\"combustible\"}", w->unit[side], ++w->n);
                *slot = ws_post_id(&w->s, w->root_tok, dev ? "/api/v1/devices" : "/api/v1/points", b);
            }
            snprintf(v, sizeof v, "%lld", *slot);
        } else if (!strcmp(key, "funit")) {
            snprintf(b, sizeof b, "{\"parent_id\":%lld,\"kind\":\"area\",\"code\":\"F%d\",\"name\":\"临时\"}",
                     w->unit[side], ++w->n);
            snprintf(v, sizeof v, "%lld", ws_post_id(&w->s, w->root_tok, "/api/v1/units", b));
        } else if (!strcmp(key, "insp") || !strcmp(key, "finsp")) {
            snprintf(v, sizeof v, "%lld", inspection_of(w, side, key[0] == 'f'));
        } else if (!strcmp(key, "fperson")) {
            snprintf(b, sizeof b, "{\"unit_id\":%lld,\"name\":\"临时工\"}", w->unit[side]);
            snprintf(v, sizeof v, "%lld", ws_post_id(&w->s, w->root_tok, "/api/v1/people", b));
        } else if (!strcmp(key, "fleaver")) {
            snprintf(b, sizeof b, "{\"unit_id\":%lld,\"name\":\"离职工\",\"phone\":\"13900000099\"}",
                     w->unit[side]);
            long long id = ws_post_id(&w->s, w->root_tok, "/api/v1/people", b);
            char p[96];
            snprintf(p, sizeof p, "/api/v1/people/%lld/actions/deactivate", id);
            long st = ws_req(&w->s, "POST", p, w->root_tok, "{\"reason\":\"离职\"}", NULL);
            if (st != 200) fail_msg("setup POST %s -> %ld", p, st);
            snprintf(v, sizeof v, "%lld", id);
        } else if (!strcmp(key, "map_area")) {
            /* the unit's plan (the {attach} JPEG), a fresh area below it, its polygon */
            char a[32], p[128];
            expand(w, "{attach}", side, c, a, sizeof a);
            snprintf(p, sizeof p, "/api/v1/risk/maps/%lld", w->unit[side]);
            snprintf(b, sizeof b, "{\"attachment_id\":%s}", a);
            long st = ws_req(&w->s, "PUT", p, w->root_tok, b, NULL);
            if (st != 200) fail_msg("setup PUT %s -> %ld", p, st);
            snprintf(b, sizeof b, "{\"parent_id\":%lld,\"kind\":\"area\",\"code\":\"M%d\",\"name\":\"区域\"}",
                     w->unit[side], ++w->n);
            long long area = ws_post_id(&w->s, w->root_tok, "/api/v1/units", b);
            snprintf(p, sizeof p, "/api/v1/risk/maps/%lld/shapes/%lld", w->unit[side], area);
            st = ws_req(&w->s, "PUT", p, w->root_tok, "{\"points\":[[0,0],[1,0],[1,1]]}", NULL);
            if (st != 201) fail_msg("setup PUT %s -> %ld", p, st);
            snprintf(v, sizeof v, "%lld", area);
        } else if (!strcmp(key, "faccount")) {
            snprintf(b, sizeof b,
                     "{\"username\":\"f%d\",\"password\":\"" PW "\",\"roles\":[\"worker\"],\"scope_unit_id\":%lld}",
                     ++w->n, w->unit[side]);
            snprintf(v, sizeof v, "%lld", ws_post_id(&w->s, w->root_tok, "/api/v1/accounts", b));
        } else if (!strcmp(key, "person_name")) { /* its name now (other rows rename it) */
            json_t *r = NULL;
            char p[64];
            snprintf(p, sizeof p, "/api/v1/people/%lld", w->person[side]);
            long st = ws_req(&w->s, "GET", p, w->root_tok, NULL, &r);
            if (st != 200) fail_msg("setup GET %s -> %ld", p, st);
            snprintf(v, sizeof v, "%s", json_string_value(json_object_get(r, "name")));
            json_decref(r);
        } else if (!strcmp(key, "ruleset") || !strcmp(key, "rule_set")) {
            json_t *r = NULL;
            long st = ws_req(&w->s, "GET", "/api/v1/risk/rules", w->root_tok, NULL, &r);
            if (st != 200) fail_msg("setup GET /api/v1/risk/rules -> %ld", st);
            if (!strcmp(key, "rule_set")) {
                snprintf(v, sizeof v, "%lld", (long long)json_integer_value(json_object_get(r, "id")));
                json_decref(r);
                put(out, cap, &n, v);
                continue;
            }
            json_object_del(r, "id");
            json_object_del(r, "version");
            json_object_del(r, "levels");
            json_object_set_new(r, "code", json_string("perm-test"));
            char *txt = json_dumps(r, JSON_COMPACT);
            json_decref(r);
            put(out, cap, &n, txt);
            free(txt);
            continue;
        } else if (!strcmp(key, "wf_hazard")) {
            /* The current hazard definition with a harmless change (a description). */
            json_t *r = NULL;
            long st = ws_req(&w->s, "GET", "/api/v1/workflows/hazard", w->root_tok, NULL, &r);
            if (st != 200) fail_msg("setup GET /api/v1/workflows/hazard -> %ld", st);
            json_t *d = json_object_get(r, "definition");
            json_object_set_new(d, "description", json_string("permissions test"));
            char *txt = json_dumps(d, JSON_COMPACT);
            json_decref(r);
            put(out, cap, &n, txt);
            free(txt);
            continue;
        } else if (!strcmp(key, "pstart") || !strcmp(key, "pend")) {
            clock_format_rfc3339(((int64_t)time(NULL) + (key[1] == 's' ? 3600 : 3 * 3600)) * 1000, v, sizeof v);
        } else if (!strcmp(key, "permit") || !strcmp(key, "fpermit")) {
            bool fresh = key[0] == 'f';
            if (fresh || !w->permit[side]) {
                char t0[40], t1[40];
                clock_format_rfc3339(((int64_t)time(NULL) + 3600) * 1000, t0, sizeof t0);
                clock_format_rfc3339(((int64_t)time(NULL) + 3 * 3600) * 1000, t1, sizeof t1);
                snprintf(b, sizeof b, "{\"type\":\"work_at_height\",\"unit_id\":%lld,\"title\":\"高处%d\","
                         "\"location\":\"管廊\",\"planned_start\":\"%s\",\"planned_end\":\"%s\","
                         "\"height_m\":6,\"applicant_person_id\":%lld}", w->unit[side], ++w->n, t0, t1, w->person[side]);
                long long id = ws_post_id(&w->s, w->root_tok, "/api/v1/permits", b);
                if (!fresh) w->permit[side] = id;
                snprintf(v, sizeof v, "%lld", id);
            } else {
                snprintf(v, sizeof v, "%lld", w->permit[side]);
            }
        } else if (!strcmp(key, "duty") || !strcmp(key, "dtask")) {
            if (!w->duty[side]) {
                /* the person of {person} holds {post}; the timer (1 s) makes the task */
                char p[96];
                snprintf(p, sizeof p, "/api/v1/people/%lld", w->person[side]);
                snprintf(b, sizeof b, "{\"post_ids\":[%lld]}", w->post[side]);
                long st = ws_req(&w->s, "PATCH", p, w->root_tok, b, NULL);
                if (st != 200) fail_msg("setup PATCH %s -> %ld", p, st);
                snprintf(b, sizeof b, "{\"enterprise_id\":%lld,\"post_id\":%lld,\"title\":\"周检%d\","
                         "\"frequency\":\"daily\"}", w->ent[side], w->post[side], ++w->n);
                w->duty[side] = ws_post_id(&w->s, w->root_tok, "/api/v1/duties", b);
            }
            if (key[1] == 't' && !w->dtask[side]) {
                char p[96];
                snprintf(p, sizeof p, "/api/v1/duty-tasks?person_id=%lld", w->person[side]);
                for (int i = 0; i < 500 && !w->dtask[side]; i++) {
                    json_t *r = NULL;
                    ws_server_tick(&w->s);
                    long st = ws_req(&w->s, "GET", p, w->root_tok, NULL, &r);
                    if (st != 200) fail_msg("setup GET %s -> %ld", p, st);
                    json_t *it = json_array_get(json_object_get(r, "items"), 0);
                    if (it) w->dtask[side] = json_integer_value(json_object_get(it, "id"));
                    json_decref(r);
                    if (!w->dtask[side]) usleep(20000);
                }
                if (!w->dtask[side]) fail_msg("setup: no duty task was made within 10 s");
            }
            snprintf(v, sizeof v, "%lld", key[1] == 't' ? w->dtask[side] : w->duty[side]);
        } else if (!strcmp(key, "drill")) {
            if (!w->drill[side]) {
                snprintf(b, sizeof b, "{\"scenario\":\"major_hazard\",\"unit_id\":%lld}", w->unit[side]);
                w->drill[side] = ws_post_id(&w->s, w->root_tok, "/api/v1/drills", b);
            }
            snprintf(v, sizeof v, "%lld", w->drill[side]);
        } else if (!strcmp(key, "until0")) { /* a minute ago */
            clock_format_rfc3339(((int64_t)time(NULL) - 60) * 1000, v, sizeof v);
        } else if (!strcmp(key, "force")) {
            if (!w->force[side]) {
                snprintf(b, sizeof b, "{\"unit_id\":%lld,\"title\":\"专项组%d\"}", w->unit[side], ++w->n);
                w->force[side] = ws_post_id(&w->s, w->root_tok, "/api/v1/task-forces", b);
            }
            snprintf(v, sizeof v, "%lld", w->force[side]);
        } else if (!strcmp(key, "ftask")) {
            char fid[32], p[96];
            expand(w, "{force}", side, c, fid, sizeof fid);
            snprintf(p, sizeof p, "/api/v1/task-forces/%s/tasks", fid);
            snprintf(b, sizeof b, "{\"title\":\"任务%d\"}", ++w->n);
            json_t *r = NULL;
            long st = ws_req(&w->s, "POST", p, w->root_tok, b, &r);
            if (st != 201) fail_msg("setup POST %s -> %ld", p, st);
            json_t *tasks = json_object_get(r, "tasks");
            snprintf(v, sizeof v, "%lld", (long long)json_integer_value(
                                              json_object_get(json_array_get(tasks, json_array_size(tasks) - 1), "id")));
            json_decref(r);
        } else if (!strcmp(key, "incident")) {
            if (!w->incident[side]) {
                char t0[40];
                clock_format_rfc3339(((int64_t)time(NULL) - 60) * 1000, t0, sizeof t0);
                snprintf(b, sizeof b, "{\"unit_id\":%lld,\"title\":\"事件%d\",\"occurred_at\":\"%s\","
                         "\"severity\":\"minor\"}", w->unit[side], ++w->n, t0);
                w->incident[side] = ws_post_id(&w->s, w->root_tok, "/api/v1/incidents", b);
            }
            snprintf(v, sizeof v, "%lld", w->incident[side]);
        } else if (!strcmp(key, "lpoint")) {
            /* {point} with a location the root admin set */
            char pt[32], p[96];
            expand(w, "{point}", side, c, pt, sizeof pt);
            snprintf(p, sizeof p, "/api/v1/points/%s/location", pt);
            long st = ws_req(&w->s, "PUT", p, w->root_tok, "{\"lat\":31.98,\"lon\":120.89,\"note\":\"罐根\"}", NULL);
            if (st != 200) fail_msg("setup PUT %s -> %ld", p, st);
            snprintf(v, sizeof v, "%s", pt);
        } else if (!strcmp(key, "rpoint")) {
            /* {point} with a response card the root admin wrote */
            char pt[32], p[96];
            expand(w, "{point}", side, c, pt, sizeof pt);
            snprintf(p, sizeof p, "/api/v1/points/%s/response", pt);
            long st = ws_req(&w->s, "PUT", p, w->root_tok, "{\"action\":\"关闭根部阀\",\"response_min\":5}", NULL);
            if (st != 200) fail_msg("setup PUT %s -> %ld", p, st);
            snprintf(v, sizeof v, "%s", pt);
        } else if (!strcmp(key, "package")) {
            if (!w->package[side]) {
                snprintf(b, sizeof b, "{\"unit_id\":%lld,\"title\":\"检修包%d\"}", w->unit[side], ++w->n);
                w->package[side] = ws_post_id(&w->s, w->root_tok, "/api/v1/permit-packages", b);
            }
            snprintf(v, sizeof v, "%lld", w->package[side]);
        } else if (!strcmp(key, "fcert")) {
            char t1[40];
            clock_format_rfc3339(((int64_t)time(NULL) + 86400) * 1000, t1, sizeof t1);
            snprintf(b, sizeof b, "{\"person_id\":%lld,\"type\":\"welding_cutting\",\"number\":\"W%d\","
                     "\"expires_at\":\"%s\"}", w->person[side], ++w->n, t1);
            snprintf(v, sizeof v, "%lld", ws_post_id(&w->s, w->root_tok, "/api/v1/certificates", b));
        } else if (patrol_ref(w, key, side, v, sizeof v)) {
        } else if (plant_ref(w, key, side, c, v, sizeof v)) {
        } else if (voice_ref(w, key, side, v, sizeof v)) { /* issue 6 */
        } else if (monitor_ref(w, key, side, v, sizeof v)) { /* issue 7 */
        } else fail_msg("unknown placeholder {%s}", key);
        put(out, cap, &n, v);
    }
}

static void matrix(void **state)
{
    static row rows[1000];
    int nrows = load_rows(rows, (int)(sizeof rows / sizeof rows[0]));
    /* Every route has a row, every row a route, every route a template. */
    size_t nr;
    const api_route *const *routes = api_route_table(&nr);
    int missing = 0;
    for (size_t i = 0; i < nr; i++) {
        int found = 0;
        for (int k = 0; k < nrows; k++)
            if (!strcmp(rows[k].method, routes[i]->method) && !strcmp(rows[k].pattern, routes[i]->pattern))
                found = 1;
        if (!found) {
            fprintf(stderr, "route %s %s has no row in tests/data/permissions.csv\n", routes[i]->method,
                    routes[i]->pattern);
            missing++;
        }
        if (!find_tmpl(routes[i]->method, routes[i]->pattern)) {
            fprintf(stderr, "route %s %s has no request template in %s\n", routes[i]->method,
                    routes[i]->pattern, __FILE__);
            missing++;
        }
    }
    for (int k = 0; k < nrows; k++) {
        int found = 0;
        for (size_t i = 0; i < nr; i++)
            if (!strcmp(rows[k].method, routes[i]->method) && !strcmp(rows[k].pattern, routes[i]->pattern))
                found = 1;
        if (!found) {
            fprintf(stderr, "permissions.csv:%d: %s %s is not a route\n", rows[k].line, rows[k].method,
                    rows[k].pattern);
            missing++;
        }
    }
    assert_int_equal(missing, 0);

    const char *be[2];
    int nb = ws_backends(be);
    for (int b = 0; b < nb; b++) {
        world *w = calloc(1, sizeof *w);
        setup_world(w, be[b]);
        int wrong = 0, cells = 0;
        for (int k = 0; k < nrows; k++) {
            const row *r = &rows[k];
            const tmpl *t = find_tmpl(r->method, r->pattern);
            int side = !strcmp(r->scope, "out") ? 1 : 0;
            for (int c = 0; c < NCOL; c++) {
                char path[512], body[32768], tok[65];
                expand(w, t->path, side, c, path, sizeof path);
                if (t->body) expand(w, t->body, side, c, body, sizeof body);
                snprintf(tok, sizeof tok, "%s", w->tok[c]);
                /* logout must not spend the shared token */
                if (!strcmp(t->pattern, "/api/v1/auth/logout") && c) {
                    char user[48];
                    snprintf(user, sizeof user, "r_%s", cols[c]);
                    assert_int_equal(ws_login(&w->s, user, PW, tok), 200);
                }
                json_t *rep = NULL;
                const char *bp = t->body ? body : NULL;
                size_t bn = t->body ? strlen(body) : 0;
                if (t->body && !strcmp(t->body, "@jpeg")) bp = jpeg_body(&bn);
                long st = t->ctype && !strcmp(t->ctype, "text/event-stream")
                              ? stream_status(&w->s, path, c ? tok : NULL, &rep)
                              : ws_http(&w->s, r->method, path, c ? tok : NULL, bp, bn, t->ctype, &rep, NULL);
                cells++;
                if (st != r->want[c]) {
                    fprintf(stderr, "%s: permissions.csv:%d %s %s [%s] as %s: got %ld, want %d (%s %s)\n",
                            be[b], r->line, r->method, r->pattern, r->scope, cols[c], st, r->want[c],
                            ws_err_code_of(rep), ws_err_field_of(rep));
                    wrong++;
                }
                json_decref(rep);
            }
        }
        fprintf(stderr, "%s: %d cells checked, %d wrong\n", be[b], cells, wrong);
        ws_server_destroy(&w->s);
        free(w);
        assert_int_equal(wrong, 0);
    }
}

/* A regulator reads people but never their phone numbers. */
static void regulator_sees_no_contact_data(void **state)
{
    world *w = calloc(1, sizeof *w);
    setup_world(w, "sqlite");
    char path[64];
    snprintf(path, sizeof path, "/api/v1/people/%lld", w->person[0]);
    json_t *r = NULL;
    assert_int_equal(ws_req(&w->s, "GET", path, w->tok[7], NULL, &r), 200);
    assert_null(json_object_get(r, "phone"));
    json_decref(r);
    assert_int_equal(ws_req(&w->s, "GET", path, w->tok[2], NULL, &r), 200);
    assert_string_equal(json_string_value(json_object_get(r, "phone")), "13900000000");
    json_decref(r);
    char *raw = NULL;
    assert_int_equal(ws_http(&w->s, "GET", "/api/v1/people?limit=200", w->tok[7], NULL, 0, NULL, NULL, &raw), 200);
    assert_null(strstr(raw, "13900000000"));
    free(raw);
    ws_server_destroy(&w->s);
    free(w);
}

/* /me names the units above the scope (root first), though they are outside it. */
static void me_shows_scope_ancestors(void **state)
{
    world *w = calloc(1, sizeof *w);
    setup_world(w, "sqlite");
    json_t *r = NULL;
    assert_int_equal(ws_req(&w->s, "GET", "/api/v1/me", w->tok[6], NULL, &r), 200);
    json_t *scope = json_object_get(r, "scope");
    assert_int_equal(json_integer_value(json_object_get(scope, "id")), w->ent[0]);
    json_t *anc = json_object_get(scope, "ancestors");
    assert_int_equal(json_array_size(anc), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(anc, 0), "id")), w->park);
    assert_string_equal(json_string_value(json_object_get(json_array_get(anc, 0), "kind")), "park");
    json_decref(r);
    /* ...while the park itself stays unreadable for the worker. */
    char path[64];
    snprintf(path, sizeof path, "/api/v1/units/%lld", w->park);
    assert_int_equal(ws_req(&w->s, "GET", path, w->tok[6], NULL, NULL), 404);
    ws_server_destroy(&w->s);
    free(w);
}

/* An administrator cannot lock themself out or around the password check:
 * their own roles and scope, deactivating their own account and resetting
 * their own password (which would skip the current password) are refused,
 * naming the field, and the session goes on. */
static void admin_cannot_lock_self_out(void **state)
{
    (void)state;
    ws_server s;
    char tok[65];
    assert_int_equal(ws_server_start(&s, "sqlite", NULL), 0);
    assert_int_equal(ws_login(&s, "admin", WS_ADMIN_PW, tok), 200);
    json_t *r = NULL;
    assert_int_equal(ws_req(&s, "GET", "/api/v1/me", tok, NULL, &r), 200);
    long long id = (long long)json_integer_value(json_object_get(r, "id"));
    json_decref(r);
    char path[96];
    snprintf(path, sizeof path, "/api/v1/accounts/%lld", id);
    r = NULL;
    assert_int_equal(ws_req(&s, "PATCH", path, tok, "{\"roles\":[\"worker\"]}", &r), 403);
    assert_string_equal(ws_err_field_of(r), "roles");
    json_decref(r);
    static const char *const acts[] = {"deactivate", "reset_password"};
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "/api/v1/accounts/%lld/actions/%s", id, acts[i]);
        r = NULL;
        assert_int_equal(ws_req(&s, "POST", path, tok, "{}", &r), 409);
        assert_string_equal(ws_err_field_of(r), "id");
        json_decref(r);
    }
    r = NULL;
    assert_int_equal(ws_req(&s, "GET", "/api/v1/me", tok, NULL, &r), 200);
    assert_true(json_is_false(json_object_get(r, "must_change_password")));
    assert_int_equal(json_array_size(json_object_get(r, "roles")), 1);
    json_decref(r);
    ws_server_destroy(&s);
}

/* A value of the wrong kind for v: a number for a string, a string for
 * anything else. */
static json_t *wrong_kind(const json_t *v)
{
    return json_is_string(v) ? json_integer(12345) : json_string("x");
}

/* Any value, for a member the route does not have. */
static json_t *unknown(const json_t *v)
{
    (void)v;
    return json_integer(1);
}

/* A string far over any field's limit (70,000 bytes). */
static json_t *too_long(const json_t *v)
{
    (void)v;
    static char big[70001];
    memset(big, 'a', sizeof big - 1);
    return json_string(big);
}

/* Send t's body (admin, resources in scope, fresh ones expanded anew) with
 * one field replaced by mutate(its value): top-level key, or key of the first
 * element of the array at top-level key arr (when arr is not NULL). The
 * answer must be 4xx and a 400 must name the field. Returns 1 when it is not. */
static int send_bad(world *w, const tmpl *t, const char *arr, const char *key, json_t *(*mutate)(const json_t *))
{
    static char body[32768];
    char path[512], want[96];
    expand(w, t->path, 0, 1, path, sizeof path);
    expand(w, t->body, 0, 1, body, sizeof body);
    json_t *o = json_loads(body, 0, NULL);
    json_t *at = arr ? json_array_get(json_object_get(o, arr), 0) : o;
    json_object_set_new(at, key, mutate(json_object_get(at, key)));
    if (arr) snprintf(want, sizeof want, "%s[0].%s", arr, key);
    else snprintf(want, sizeof want, "%s", key);
    char *txt = json_dumps(o, 0);
    json_decref(o);
    json_t *rep = NULL;
    long st = ws_req(&w->s, t->method, path, w->tok[1], txt, &rep);
    const char *fld = ws_err_field_of(rep);
    int bad = !(st >= 400 && st < 500 && (st != 400 || (fld && !strncmp(fld, want, strlen(want)))));
    if (bad)
        fprintf(stderr, "%s %s: %s %s -> %ld (field %s)\n", t->method, t->pattern, want,
                mutate == too_long ? "too long" : mutate == unknown ? "unknown" : "of the wrong kind", st,
                fld ? fld : "-");
    json_decref(rep);
    free(txt);
    return bad;
}

/* Bad input, field by field: for every route that takes a JSON object, each
 * of its fields in turn (top level, and those of the first object of a
 * top-level array) is sent with a value of the wrong kind, and each text
 * field 70,000 bytes long; and a member the route does not have (actions
 * that take no body included). By the
 * admin, on both backends. The server must answer 4xx, never accept it
 * (nor cut it short), never 5xx or drop the connection, and a 400 must name
 * the field as sent. */
static void bad_fields(void **state)
{
    (void)state;
    const char *be[2];
    int nb = ws_backends(be);
    for (int b = 0; b < nb; b++) {
        world *w = calloc(1, sizeof *w);
        setup_world(w, be[b]);
        int wrong = 0, sent = 0;
        static char body[32768];
        for (size_t i = 0; i < sizeof tmpls / sizeof *tmpls; i++) {
            const tmpl *t = &tmpls[i];
            if (!t->body || t->body[0] != '{' || (t->ctype && strcmp(t->ctype, "application/json"))) continue;
            if (!strcmp(t->pattern, "/api/v1/auth/logout")) continue;
            expand(w, t->body, 0, 1, body, sizeof body);
            json_t *obj = json_loads(body, 0, NULL);
            const char *key, *k2;
            json_t *val, *v2;
            json_object_foreach(obj, key, val) {
                wrong += send_bad(w, t, NULL, key, wrong_kind);
                if (json_is_string(val)) wrong += send_bad(w, t, NULL, key, too_long);
                sent += 1 + json_is_string(val);
                json_t *first = json_array_get(val, 0);
                json_object_foreach(first, k2, v2) {
                    wrong += send_bad(w, t, key, k2, wrong_kind);
                    if (json_is_string(v2)) wrong += send_bad(w, t, key, k2, too_long);
                    sent += 1 + json_is_string(v2);
                }
            }
            /* a member the route does not know (a misspelt optional field),
             * on every route: an action that takes no body ({}) refuses data
             * too, rather than drop it (api_no_body) */
            wrong += send_bad(w, t, NULL, "zz_unknown", unknown);
            sent++;
            json_decref(obj);
        }
        fprintf(stderr, "%s: bad fields: %d requests, %d wrong\n", be[b], sent, wrong);
        ws_server_destroy(&w->s);
        free(w);
        assert_int_equal(wrong, 0);
    }
}

/* Bad query parameters: every parameter of a GET route's request, in turn,
 * set to a word where the route expects a number, a time, a state or a
 * flag; and limit=x on every list that takes a limit. The answer is 400
 * naming the parameter, not the parameter ignored. */
static void bad_query(void **state)
{
    (void)state;
    world *w = calloc(1, sizeof *w);
    setup_world(w, "sqlite");
    int wrong = 0, sent = 0;
    for (size_t i = 0; i < sizeof tmpls / sizeof *tmpls; i++) {
        const tmpl *t = &tmpls[i];
        if (strcmp(t->method, "GET") || (t->ctype && !strcmp(t->ctype, "text/event-stream"))) continue;
        char path[512];
        expand(w, t->path, 0, 1, path, sizeof path);
        char *q = strchr(path, '?');
        /* the parameters as sent, then limit=x when the route lists items */
        char names[8][32];
        int nn = 0;
        for (char *p = q ? q + 1 : NULL; p && *p && nn < 8;) {
            size_t k = strcspn(p, "=&");
            snprintf(names[nn++], sizeof names[0], "%.*s", (int)k, p);
            p = strchr(p, '&');
            if (p) p++;
        }
        /* a list that takes limit (limit=1 cuts a longer list to one item) */
        json_t *rep = NULL, *one = NULL;
        bool has = false;
        for (int k = 0; k < nn; k++) has |= !strcmp(names[k], "limit");
        if (!has && nn < 8 && ws_req(&w->s, "GET", path, w->tok[1], NULL, &rep) == 200 &&
            json_array_size(json_object_get(rep, "items")) > 1) {
            char p1[600];
            snprintf(p1, sizeof p1, "%s%climit=1", path, q ? '&' : '?');
            if (ws_req(&w->s, "GET", p1, w->tok[1], NULL, &one) == 200 &&
                json_array_size(json_object_get(one, "items")) == 1)
                snprintf(names[nn++], sizeof names[0], "limit");
        }
        json_decref(rep);
        json_decref(one);
        for (int k = 0; k < nn; k++) {
            /* the path with names[k]=x in place of its value (or added) */
            char bad[600], *o = bad;
            size_t base = q ? (size_t)(q - path) : strlen(path);
            o += snprintf(o, sizeof bad, "%.*s?%s=x", (int)base, path, names[k]);
            for (char *p = q ? q + 1 : NULL; p && *p;) {
                size_t len = strcspn(p, "&"), kl = strcspn(p, "=&");
                if (!(kl == strlen(names[k]) && !strncmp(p, names[k], kl)))
                    o += snprintf(o, sizeof bad - (size_t)(o - bad), "&%.*s", (int)len, p);
                p = p[len] ? p + len + 1 : NULL;
            }
            json_t *r2 = NULL;
            long st = ws_req(&w->s, "GET", bad, w->tok[1], NULL, &r2);
            const char *fld = ws_err_field_of(r2);
            sent++;
            if (st != 400 || !fld || strcmp(fld, names[k])) {
                fprintf(stderr, "GET %s: %s=x -> %ld (field %s)\n", bad, names[k], st, fld ? fld : "-");
                wrong++;
            }
            json_decref(r2);
        }
    }
    fprintf(stderr, "bad query: %d requests, %d wrong\n", sent, wrong);
    ws_server_destroy(&w->s);
    free(w);
    assert_int_equal(wrong, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(matrix),
        cmocka_unit_test(regulator_sees_no_contact_data),
        cmocka_unit_test(me_shows_scope_ancestors),
        cmocka_unit_test(admin_cannot_lock_self_out),
        cmocka_unit_test(bad_fields),
        cmocka_unit_test(bad_query),
    };
    return cmocka_run_group_tests_name("permissions", tests, NULL, NULL);
}
