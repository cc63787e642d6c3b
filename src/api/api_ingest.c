/* api_ingest.c — POST /api/v1/ingest: batches of readings over HTTP into the
 * early-warning engine (src/warn).
 *
 * Content-Type text/plain: the line format `TAG VALUE [TIME_MS|- [QUALITY]]`
 * (ingest/ingest.h), up to 16 MiB; application/json: the JSON batch
 * {"readings":[…],"series":[…]}, up to 1 MiB.
 *
 * All or nothing for malformed input: the whole body is decoded before any
 * reading is applied; a bad line → 400 naming the first (field "line 12" or
 * the JSON path) with up to 16 samples, and nothing is stored. (Bodies of
 * more than 262,144 readings are checked in a first pass and decoded again
 * slice by slice, to bound memory.) The readings go to warn_ingest in slices
 * of 32,768 (a bigger slice gives the engine more readings of each point to
 * apply together), each journaled before it is applied; the 200 reply
 * therefore means the readings survive kill -9. Readings of tags that are
 * not in the register are not stored: counted (unknown_tag) with a few
 * samples in the reply and in /metrics, so one unregistered tag never
 * blocks a DCS feed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "ingest/ingest.h"
#include "ledger/ledger.h"
#include "org/org.h"
#include "warn/warn.h"

#define SLICE 32768
#define ONE_PASS 262144 /* readings decoded in one pass (23 MiB of them) */

static json_t *errors_json(const ingest_errors *e)
{
    json_t *a = json_array();
    for (size_t i = 0; i < e->nsample; i++) {
        const ingest_error *x = &e->sample[i];
        json_t *o = json_object();
        json_object_set_new(o, "line", json_integer((json_int_t)x->line));
        if (x->path[0]) json_object_set_new(o, "path", json_string(x->path));
        json_object_set_new(o, "reason", json_string(ingest_reason_name(x->reason)));
        json_object_set_new(o, "message", json_string(ingest_reason_text(x->reason)));
        json_array_append_new(a, o);
    }
    return a;
}

static ws_err refuse(api_ctx *ctx, const ingest_errors *e)
{
    const ingest_error *x = &e->sample[0];
    char field[80];
    if (strchr(x->path, '[')) snprintf(field, sizeof field, "%s", x->path);      /* JSON: readings[3].value */
    else if (x->path[0]) snprintf(field, sizeof field, "line %zu %s", x->line, x->path); /* CSV column */
    else snprintf(field, sizeof field, "line %zu", x->line);
    json_t *err = json_object();
    json_object_set_new(err, "code", json_string("invalid"));
    char msg[200];
    snprintf(msg, sizeof msg, "%zu bad reading(s), nothing stored; first: %s: %s", e->count, field,
             ingest_reason_text(x->reason));
    if (api_warn()) {
        char sample[160];
        snprintf(sample, sizeof sample, "%s %s (%zu bad)", field, ingest_reason_name(x->reason), e->count);
        warn_note_refused(api_warn(), strstr(ctx->req->path, "imports") ? WARN_SRC_CSV : WARN_SRC_HTTP, sample);
    }
    json_object_set_new(err, "message", json_string(msg));
    json_object_set_new(err, "field", json_string(field));
    json_object_set_new(err, "errors", errors_json(e));
    json_t *r = json_object();
    json_object_set_new(r, "error", err);
    api_reply_json(ctx, 400, r);
    return WS_OK;
}

static void add(warn_result *t, const warn_result *r)
{
    t->accepted += r->accepted;
    t->late += r->late;
    t->unknown_tag += r->unknown_tag;
    t->skewed += r->skewed;
    t->failed += r->failed;
}

/* Hand r[0..n) to the engine SLICE readings at a time, adding up into tot;
 * stops at the first error. */
static ws_err apply_slices(api_ctx *ctx, warn *w, const ws_reading *r, size_t n, warn_result *tot)
{
    ws_err rc = WS_OK;
    for (size_t k = 0; k < n && !rc; k += SLICE) {
        warn_result res;
        rc = warn_ingest_scoped(w, WARN_SRC_HTTP, ctx->who.scope_path, r + k, n - k < SLICE ? n - k : SLICE, &res);
        add(tot, &res);
    }
    return rc;
}

/* Line feeds in p[0..n): the lines a decoder consumed, to keep numbering. */
static size_t lines_in(const char *p, size_t n)
{
    size_t k = 0;
    for (const char *e = p + n; (p = memchr(p, '\n', (size_t)(e - p))); p++) k++;
    return k;
}

static ws_err ingest_post(api_ctx *ctx)
{
    warn *w = api_warn();
    if (!w) return ws_fail(WS_EUNAVAILABLE, NULL, "the early-warning engine is not running");
    const char *ct = ctx->req->header(ctx->req->hctx, "Content-Type");
    bool json = api_media_is(ct, "application/json");
    if (!json && ct && !api_media_is(ct, "text/plain"))
        return ws_fail(WS_EINVAL, "Content-Type", "send text/plain (line format) or application/json");
    const char *body = ctx->req->body ? ctx->req->body : "";
    size_t len = ctx->req->body_len;
    if (json && len > (1u << 20))
        return ws_fail(WS_ETOOBIG, "body", "a JSON batch may hold at most 1 MiB; use the line format");
    warn_result tot = {0};
    ingest_errors errs;
    ingest_errors_init(&errs);
    ws_err rc = WS_OK;
    if (json) {
        size_t cap = len / 2 + 16, n = 0;
        ws_reading *r = malloc(cap * sizeof *r);
        if (!r) return WS_ENOMEM;
        rc = ingest_batch_decode(body, len, r, cap, &n, &errs);
        if (rc == WS_EINVAL || errs.count) {
            free(r);
            if (!errs.nsample) return rc ? rc : ws_fail(WS_EINVAL, "body", "malformed batch");
            return refuse(ctx, &errs);
        }
        if (!rc) rc = apply_slices(ctx, w, r, n, &tot);
        free(r);
    } else {
        /* Pass 0 decodes the whole body: into one array, sized from the
         * body's length for lines of 24 bytes or more and grown when they
         * are shorter, up to ONE_PASS readings; past that the array is
         * reused a slice at a time, to check the rest only. Any bad line:
         * refused whole. Else the array is applied, or (over ONE_PASS)
         * pass 1 decodes again slice by slice and applies, so memory stays
         * bounded. */
        size_t cap = len / 24 + 16;
        if (cap > ONE_PASS) cap = ONE_PASS;
        ws_reading *r = malloc(cap * sizeof *r);
        if (!r) return WS_ENOMEM;
        size_t n = 0, off = 0, line = 0;
        ingest_errors pe;
        ingest_errors_init(&pe);
        bool one_pass = true;
        for (;;) {
            size_t got = 0;
            pe.full = false;
            ws_err d = ingest_line_decode_at(body + off, len - off, line, off, r + n, cap - n, &got, &pe);
            n += got;
            if (d != WS_ETOOBIG) break;
            line += lines_in(body + off, pe.resume - off);
            off = pe.resume;
            if (cap == ONE_PASS) { /* full: keep checking, keep nothing */
                one_pass = false;
                n = 0;
                continue;
            }
            size_t nc = 2 * cap > ONE_PASS ? ONE_PASS : 2 * cap;
            ws_reading *g = realloc(r, nc * sizeof *r);
            if (!g) {
                free(r);
                return WS_ENOMEM;
            }
            r = g, cap = nc;
        }
        if (pe.count) {
            free(r);
            return refuse(ctx, &pe);
        }
        if (one_pass) rc = apply_slices(ctx, w, r, n, &tot);
        for (off = 0, line = 0; !one_pass && !rc;) { /* pass 1 */
            n = 0;
            pe.full = false;
            ws_err d = ingest_line_decode_at(body + off, len - off, line, off, r, cap, &n, &pe);
            rc = apply_slices(ctx, w, r, n, &tot);
            if (d != WS_ETOOBIG) break;
            line += lines_in(body + off, pe.resume - off);
            off = pe.resume;
        }
        free(r);
    }
    if (rc) return rc;
    json_t *o = json_object();
    json_object_set_new(o, "accepted", json_integer((json_int_t)tot.accepted));
    json_object_set_new(o, "late", json_integer((json_int_t)tot.late));
    json_object_set_new(o, "unknown_tag", json_integer((json_int_t)tot.unknown_tag));
    json_object_set_new(o, "skewed", json_integer((json_int_t)tot.skewed));
    json_object_set_new(o, "failed", json_integer((json_int_t)tot.failed));
    return api_reply_json(ctx, 200, o);
}

/* ---- CSV history (DCS / LIMS exports) ---- */

typedef struct csv_ctx {
    warn *w;
    const char *scope;
    bool store;          /* pass 2: hand readings to the engine */
    warn_result tot;
    ws_err rc;
} csv_ctx;

static ws_err csv_sink(void *arg, const ws_reading *r, size_t n)
{
    csv_ctx *x = arg;
    if (!x->store) return WS_OK;
    warn_result res;
    ws_err rc = warn_ingest_scoped(x->w, WARN_SRC_CSV, x->scope, r, n, &res);
    add(&x->tot, &res);
    return rc;
}

/* POST /api/v1/imports/readings?tz=Asia/Shanghai — a CSV of history, long
 * (time,tag,value[,quality]) or wide (time, one column per tag), local times
 * in tz unless they carry an offset. Checked whole first (any bad row: 400
 * naming it, nothing stored), then stored as history (not evaluated). The
 * page shows the upload's progress; the decoding runs at millions of rows a
 * second, so the reply follows the last byte closely. */
static ws_err readings_import(api_ctx *ctx)
{
    warn *w = api_warn();
    if (!w) return ws_fail(WS_EUNAVAILABLE, NULL, "the early-warning engine is not running");
    const char *tz = api_query(ctx, "tz");
    if (!tz) tz = "Asia/Shanghai";
    if (!org_tz_valid(tz)) return ws_fail(WS_EINVAL, "tz", "tz is an IANA time zone, e.g. Asia/Shanghai");
    const char *body = ctx->req->body ? ctx->req->body : "";
    size_t len = ctx->req->body_len;
    const char *ct = ctx->req->header(ctx->req->hctx, "Content-Type");
    if (ct && !api_media_is(ct, "text/csv") && !api_media_is(ct, "text/plain") &&
        !api_media_is(ct, "application/octet-stream"))
        return ws_fail(WS_EMEDIA, "Content-Type", "send the history as text/csv (an Excel file: save it as CSV)");
    if (!len) return ws_fail(WS_EINVAL, "body", "send the CSV file as the body");
    if (memchr(body, 0, len)) return ws_fail(WS_EINVAL, "body", "the file is not CSV text (it holds NUL bytes)");
    csv_ctx x = {.w = w, .scope = ctx->who.scope_path};
    ingest_errors errs;
    for (int pass = 0; pass < 2; pass++) {
        x.store = pass == 1;
        ingest_errors_init(&errs);
        ingest_csv_opts o = {.tz = tz, .tz_offset = ledger_tz_offset, .sink = csv_sink, .ctx = &x,
                             .total = len};
        ingest_csv *c = ingest_csv_new(&o);
        if (!c) return WS_ENOMEM;
        ws_err rc = ingest_csv_feed(c, body, len, &errs);
        if (!rc) rc = ingest_csv_finish(c, &errs);
        uint64_t rows = ingest_csv_count(c);
        ingest_csv_free(c);
        if (pass == 0 && (errs.count || rc == WS_EINVAL)) {
            if (!errs.nsample) return rc ? rc : ws_fail(WS_EINVAL, "body", "malformed CSV");
            return refuse(ctx, &errs);
        }
        if (rc) return rc;
        if (pass == 0 && !rows) return ws_fail(WS_EINVAL, "body", "the CSV holds no readings (a header at most)");
        if (pass == 1) {
            json_t *out = json_object();
            json_object_set_new(out, "rows", json_integer((json_int_t)rows));
            json_object_set_new(out, "accepted", json_integer((json_int_t)x.tot.accepted));
            json_object_set_new(out, "unknown_tag", json_integer((json_int_t)x.tot.unknown_tag));
            json_object_set_new(out, "failed", json_integer((json_int_t)x.tot.failed));
            json_object_set_new(out, "tz", json_string(tz));
            return api_reply_json(ctx, 200, out);
        }
    }
    return WS_OK;
}

/* A Hikvision ISAPI push (XML, JSON or multipart with pictures). The camera
 * authenticates with its own HTTP Basic credentials from integrations.json,
 * not a session; an unknown camera and a wrong password both get 401. */
static ws_err camera_push(api_ctx *ctx)
{
    warn *w = api_warn();
    if (!w) return ws_fail(WS_EUNAVAILABLE, NULL, "the early-warning engine is not running");
    const api_req *q = ctx->req;
    warn_camera_result res;
    ws_err rc = warn_camera_push(w, q->params[0], q->peer, q->header(q->hctx, "Authorization"),
                                 q->header(q->hctx, "Content-Type"), q->body ? q->body : "", q->body_len, &res);
    if (rc == WS_EUNAUTH) api_add_header(ctx->resp, "WWW-Authenticate", "Basic realm=\"worksafe camera\"");
    if (rc) return rc;
    json_t *o = json_object();
    json_object_set_new(o, "violation", json_string(ws_violation_name(res.violation)));
    json_object_set_new(o, "alarm_id", res.alarm_id ? json_integer(res.alarm_id) : json_null());
    json_object_set_new(o, "pictures", json_integer((json_int_t)res.pictures));
    json_object_set_new(o, "pictures_refused", json_integer((json_int_t)res.pictures_refused));
    return api_reply_json(ctx, 200, o);
}

const api_route api_ingest_routes[] = {
    {"POST", "/api/v1/ingest", ingest_post, API_AUTH, "reading.write",
     "Readings in: text/plain line format `TAG VALUE [TIME_MS|- [QUALITY]]` (up to 16 MiB) or "
     "application/json {\"readings\":[…],\"series\":[…]} (up to 1 MiB). All or nothing for "
     "malformed lines (400 names the first); 200 means journaled (survives a crash) and "
     "evaluated; unknown tags are counted, not stored",
     "ingest", NULL, 0, 16u << 20},
    {"POST", "/api/v1/imports/readings", readings_import, API_AUTH, "reading.write",
     "Import DCS/LIMS history from CSV (long: time,tag,value[,quality]; wide: time + a column per "
     "tag), local times in ?tz= (default Asia/Shanghai) unless they carry an offset; checked whole "
     "first (400 names the row), stored as history without raising alarms", "ingest", NULL, 0,
     64u << 20},
    {"POST", "/api/v1/cameras/{code}/events", camera_push, API_PUBLIC, NULL,
     "An AI camera's event push (Hikvision ISAPI: XML, JSON or multipart with pictures), "
     "authenticated with the camera's own HTTP Basic credentials; mapped to a violation (no "
     "helmet, intrusion, smoking, fire) and an alarm, pictures kept as attachments",
     "ingest", NULL, 0, 8u << 20},
};
const size_t api_ingest_nroutes = sizeof api_ingest_routes / sizeof api_ingest_routes[0];
