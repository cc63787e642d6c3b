/* test_ingest_vendor.c — the binary and vendor decoders of ingestion:
 * Sparkplug B (a protobuf reader, alias tables, bdSeq, DEATH → stale),
 * Hikvision ISAPI pushes (XML, JSON, multipart with pictures) and the Dahua
 * eventManager stream (any chunking, bounded blocks), with every mapping to
 * a worksafe violation. Fixtures are written here by hand from the format
 * descriptions in shared/domain/INTEGRATIONS.md; Sparkplug payloads are
 * built from readable structs by a tiny protobuf encoder in this file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#include <cmocka.h>

#include "ingest/dahua.h"
#include "ingest/hikvision.h"
#include "ingest/sparkplug.h"

/* ---- Sparkplug B ------------------------------------------------------ */

/* A tiny protobuf ENCODER for fixtures (test code only): readable structs in,
 * wire bytes out, so every fixture below can be checked by eye against the
 * field numbers in sparkplug.h. */
enum { TV_NONE, TV_INT, TV_LONG, TV_FLOAT, TV_DOUBLE, TV_BOOL, TV_STRING };

typedef struct tmetric {
    const char *name;  /* NULL = absent */
    int64_t alias;     /* -1 = absent */
    uint64_t ts;       /* 0 = absent */
    uint32_t dt;       /* 0 = absent */
    bool is_null;
    int kind;          /* TV_* */
    uint64_t u;
    double d;
    const char *s;
} tmetric;

typedef struct enc {
    uint8_t b[4096];
    size_t n;
} enc;

static void e_byte(enc *e, uint8_t v) { assert_true(e->n < sizeof e->b); e->b[e->n++] = v; }
static void e_varint(enc *e, uint64_t v)
{
    do {
        uint8_t c = v & 0x7F;
        v >>= 7;
        e_byte(e, c | (v ? 0x80 : 0));
    } while (v);
}
static void e_key(enc *e, unsigned field, unsigned wt) { e_varint(e, (uint64_t)field << 3 | wt); }
static void e_bytes(enc *e, unsigned field, const void *p, size_t n)
{
    e_key(e, field, 2);
    e_varint(e, n);
    for (size_t i = 0; i < n; i++) e_byte(e, ((const uint8_t *)p)[i]);
}
static void e_fixed(enc *e, unsigned field, uint64_t v, int width)
{
    e_key(e, field, width == 4 ? 5 : 1);
    for (int i = 0; i < width; i++) e_byte(e, (uint8_t)(v >> (8 * i)));
}

static void enc_metric(enc *out, const tmetric *m)
{
    enc e = {.n = 0};
    if (m->name) e_bytes(&e, 1, m->name, strlen(m->name));
    if (m->alias >= 0) { e_key(&e, 2, 0); e_varint(&e, (uint64_t)m->alias); }
    if (m->ts) { e_key(&e, 3, 0); e_varint(&e, m->ts); }
    if (m->dt) { e_key(&e, 4, 0); e_varint(&e, m->dt); }
    if (m->is_null) { e_key(&e, 7, 0); e_varint(&e, 1); }
    switch (m->kind) {
    case TV_INT: e_key(&e, 10, 0); e_varint(&e, (uint32_t)m->u); break;
    case TV_LONG: e_key(&e, 11, 0); e_varint(&e, m->u); break;
    case TV_FLOAT: { float f = (float)m->d; uint32_t b; memcpy(&b, &f, 4); e_fixed(&e, 12, b, 4); break; }
    case TV_DOUBLE: { uint64_t b; memcpy(&b, &m->d, 8); e_fixed(&e, 13, b, 8); break; }
    case TV_BOOL: e_key(&e, 14, 0); e_varint(&e, m->u); break;
    case TV_STRING: e_bytes(&e, 15, m->s, strlen(m->s)); break;
    default: break;
    }
    e_bytes(out, 2, e.b, e.n);
}

/* Payload{timestamp=ts, metrics, seq} (seq < 0: absent). */
static size_t enc_payload(enc *e, uint64_t ts, int seq, const tmetric *m, size_t nm)
{
    e->n = 0;
    if (ts) { e_key(e, 1, 0); e_varint(e, ts); }
    for (size_t i = 0; i < nm; i++) enc_metric(e, &m[i]);
    if (seq >= 0) { e_key(e, 3, 0); e_varint(e, (uint64_t)seq); }
    return e->n;
}

#define NM(a) (sizeof(a) / sizeof((a)[0]))
#define T0 1700000000000ull

static ws_err spb(spb_session *s, const char *topic, const enc *e, ws_reading *out, size_t cap, spb_result *res)
{
    return spb_session_handle(s, topic, strlen(topic), e->b, e->n, out, cap, res);
}

static const ws_reading *find_tag(const ws_reading *r, size_t n, const char *tag)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(r[i].tag, tag)) return &r[i];
    return NULL;
}

static void spb_topics(void **state)
{
    (void)state;
    spb_topic t;
#define TP(s) spb_topic_parse(s, strlen(s), &t)
    assert_int_equal(TP("spBv1.0/plant1/NDATA/edge7"), WS_OK);
    assert_int_equal(t.type, SPB_NDATA);
    assert_string_equal(t.group, "plant1");
    assert_string_equal(t.node, "edge7");
    assert_string_equal(t.device, "");
    assert_int_equal(TP("spBv1.0/plant1/DBIRTH/edge7/gas-01"), WS_OK);
    assert_int_equal(t.type, SPB_DBIRTH);
    assert_string_equal(t.device, "gas-01");
    assert_int_equal(TP("spBv1.0/STATE/scada-host"), WS_OK);
    assert_int_equal(t.type, SPB_STATE);
    assert_string_equal(t.node, "scada-host");
    const char *bad[] = {"spBv1.0/plant1/NDATA", "spAv1.0/plant1/NDATA/edge7", "spBv1.0/plant1/DDATA/edge7",
                         "spBv1.0/plant1/NDATA/edge7/dev", "spBv1.0//NDATA/edge7", "spBv1.0/plant1/NDATA/ed+ge",
                         "spBv1.0/plant1/XDATA/edge7", "spBv1.0/a/DDATA/b/c/d", "", "spBv1.0/STATE"};
    for (size_t i = 0; i < NM(bad); i++) {
        ws_err_clear();
        assert_int_equal(TP(bad[i]), WS_EINVAL);
        assert_string_equal(ws_err_field(), "topic");
    }
#undef TP
}

static const tmetric nbirth_m[] = {
    {"bdSeq", -1, 0, 8, false, TV_LONG, 7, 0, NULL},
    {"Node Control/Rebirth", 0, 0, 11, false, TV_BOOL, 0, 0, NULL},
    {"TT-101", 1, 0, 10, false, TV_DOUBLE, 0, 21.5, NULL},
    {"PT-7", 2, 0, 9, false, TV_FLOAT, 0, 1.25, NULL},
    {"trim", 3, 0, 1, false, TV_INT, 0xFB, 0, NULL},          /* Int8 -5, one byte */
    {"delta", 4, 0, 3, false, TV_INT, 0xFFFFFFF6u, 0, NULL},  /* Int32 -10 */
    {"big", 5, 0, 4, false, TV_LONG, (uint64_t)-3, 0, NULL},  /* Int64 -3 */
    {"count", 6, 0, 7, false, TV_INT, 4000000000u, 0, NULL},  /* UInt32 */
    {"pump", 7, 0, 11, false, TV_BOOL, 1, 0, NULL},
    {"model", 8, 0, 12, false, TV_STRING, 0, 0, "GD-9"},      /* a string: not a reading */
    {"LT-3", 9, T0 - 500, 10, true, TV_NONE, 0, 0, NULL},     /* null: quality BAD */
};

static spb_session *born(ws_reading *out, size_t cap)
{
    spb_session *s = spb_session_new(16, 64, NULL);
    assert_non_null(s);
    enc e;
    spb_result res;
    enc_payload(&e, T0, 0, nbirth_m, NM(nbirth_m));
    assert_int_equal(spb(s, "spBv1.0/plant1/NBIRTH/edge7", &e, out, cap, &res), WS_OK);
    return s;
}

static void spb_birth_values_and_types(void **state)
{
    (void)state;
    ws_reading out[32];
    enc e;
    spb_result res;
    spb_session *s = spb_session_new(16, 64, NULL);
    enc_payload(&e, T0, 0, nbirth_m, NM(nbirth_m));
    assert_int_equal(spb(s, "spBv1.0/plant1/NBIRTH/edge7", &e, out, 32, &res), WS_OK);
    assert_int_equal(res.nout, 8);
    assert_int_equal(res.skipped, 3); /* bdSeq, Node Control/Rebirth, the string */
    assert_int_equal(res.bad, 0);
    assert_true(res.has_bdseq);
    assert_int_equal(res.bdseq, 7);
    const ws_reading *r = find_tag(out, res.nout, "edge7/TT-101");
    assert_non_null(r);
    assert_true(r->value == 21.5 && r->quality == WS_Q_GOOD && r->source_ms == (int64_t)T0);
    assert_true(find_tag(out, res.nout, "edge7/PT-7")->value == 1.25);
    assert_true(find_tag(out, res.nout, "edge7/trim")->value == -5.0);
    assert_true(find_tag(out, res.nout, "edge7/delta")->value == -10.0);
    assert_true(find_tag(out, res.nout, "edge7/big")->value == -3.0);
    assert_true(find_tag(out, res.nout, "edge7/count")->value == 4000000000.0);
    assert_true(find_tag(out, res.nout, "edge7/pump")->value == 1.0);
    assert_null(find_tag(out, res.nout, "edge7/model"));
    r = find_tag(out, res.nout, "edge7/LT-3");
    assert_true(isnan(r->value) && r->quality == WS_Q_BAD && r->source_ms == (int64_t)(T0 - 500));
    assert_int_equal(spb_session_points(s), NM(nbirth_m));
    spb_session_free(s);

    /* include_group puts the group first */
    spb_opts o = {.include_group = true};
    s = spb_session_new(4, 64, &o);
    assert_int_equal(spb(s, "spBv1.0/plant1/NBIRTH/edge7", &e, out, 32, &res), WS_OK);
    assert_non_null(find_tag(out, res.nout, "plant1/edge7/TT-101"));
    spb_session_free(s);
}

static void spb_data_by_alias_and_unknown_alias(void **state)
{
    (void)state;
    ws_reading out[32];
    enc e;
    spb_result res;
    spb_session *s = born(out, 32);
    const tmetric d1[] = {
        {NULL, 1, 0, 0, false, TV_DOUBLE, 0, 22.0, NULL},      /* TT-101 by alias */
        {NULL, 3, T0 + 5, 0, false, TV_INT, 0xFE, 0, NULL},    /* trim: Int8 from the BIRTH: -2 */
        {"extra", -1, 0, 10, false, TV_DOUBLE, 0, 3.5, NULL},  /* by name, not in the BIRTH */
        {NULL, 42, 0, 0, false, TV_DOUBLE, 0, 1.0, NULL},      /* unknown alias */
        {NULL, 0, 0, 0, false, TV_BOOL, 1, 0, NULL},           /* Node Control: not a reading */
    };
    enc_payload(&e, T0 + 1000, 1, d1, NM(d1));
    assert_int_equal(spb(s, "spBv1.0/plant1/NDATA/edge7", &e, out, 32, &res), WS_OK);
    assert_int_equal(res.nout, 3);
    assert_int_equal(res.bad, 1);
    assert_true(res.rebirth);
    assert_false(res.seq_gap);
    assert_string_equal(out[0].tag, "edge7/TT-101");
    assert_true(out[0].value == 22.0 && out[0].source_ms == (int64_t)(T0 + 1000));
    assert_string_equal(out[1].tag, "edge7/trim");
    assert_true(out[1].value == -2.0 && out[1].source_ms == (int64_t)(T0 + 5));
    assert_string_equal(out[2].tag, "edge7/extra");

    /* a seq gap is flagged (2 → 5) */
    enc_payload(&e, T0 + 2000, 5, d1, 1);
    assert_int_equal(spb(s, "spBv1.0/plant1/NDATA/edge7", &e, out, 32, &res), WS_OK);
    assert_true(res.seq_gap);
    assert_false(res.rebirth);

    /* data of a device that never had a DBIRTH: counted bad, rebirth */
    enc_payload(&e, T0, 6, d1, 1);
    assert_int_equal(spb(s, "spBv1.0/plant1/DDATA/edge7/gas-09", &e, out, 32, &res), WS_OK);
    assert_int_equal(res.nout, 0);
    assert_int_equal(res.bad, 1);
    assert_true(res.rebirth);
    /* and of another node */
    assert_int_equal(spb(s, "spBv1.0/plant1/NDATA/edge8", &e, out, 32, &res), WS_OK);
    assert_true(res.rebirth && res.bad == 1);
    spb_session_free(s);
}

static const tmetric dbirth_m[] = {
    {"LEL", 1, 0, 9, false, TV_FLOAT, 0, 3.0, NULL},
    {"H2S", 2, 0, 9, false, TV_FLOAT, 0, 0.5, NULL},
};

static void spb_bdseq_and_death(void **state)
{
    (void)state;
    ws_reading out[32];
    enc e;
    spb_result res;
    spb_session *s = born(out, 32); /* bdSeq 7 */
    enc_payload(&e, T0, 1, dbirth_m, NM(dbirth_m));
    assert_int_equal(spb(s, "spBv1.0/plant1/DBIRTH/edge7/gas-01", &e, out, 32, &res), WS_OK);
    assert_int_equal(res.nout, 2);
    assert_string_equal(out[0].tag, "edge7/gas-01/LEL");
    /* device aliases are their own: alias 1 of gas-01 is LEL, not TT-101 */
    const tmetric dd[] = {{NULL, 1, 0, 0, false, TV_FLOAT, 0, 12.0, NULL}};
    enc_payload(&e, T0 + 1, 2, dd, 1);
    assert_int_equal(spb(s, "spBv1.0/plant1/DDATA/edge7/gas-01", &e, out, 32, &res), WS_OK);
    assert_int_equal(res.nout, 1);
    assert_string_equal(out[0].tag, "edge7/gas-01/LEL");
    assert_true(out[0].value == 12.0);

    /* the node reconnects with bdSeq 8; the broker then delivers the old
     * session's will (bdSeq 7): it must not kill the new session */
    tmetric nb2[NM(nbirth_m)];
    memcpy(nb2, nbirth_m, sizeof nb2);
    nb2[0].u = 8;
    enc_payload(&e, T0 + 10, 0, nb2, NM(nb2));
    assert_int_equal(spb(s, "spBv1.0/plant1/NBIRTH/edge7", &e, out, 32, &res), WS_OK);
    /* the NBIRTH forgot the devices: their data asks for a rebirth */
    enc_payload(&e, T0 + 11, 1, dd, 1);
    assert_int_equal(spb(s, "spBv1.0/plant1/DDATA/edge7/gas-01", &e, out, 32, &res), WS_OK);
    assert_true(res.rebirth && res.nout == 0);
    enc_payload(&e, T0 + 12, 2, dbirth_m, NM(dbirth_m));
    assert_int_equal(spb(s, "spBv1.0/plant1/DBIRTH/edge7/gas-01", &e, out, 32, &res), WS_OK);

    const tmetric death7[] = {{"bdSeq", -1, 0, 8, false, TV_LONG, 7, 0, NULL}};
    enc_payload(&e, T0 + 20, -1, death7, 1);
    assert_int_equal(spb(s, "spBv1.0/plant1/NDEATH/edge7", &e, out, 32, &res), WS_OK);
    assert_true(res.ignored);
    assert_int_equal(res.nout, 0);
    enc_payload(&e, T0 + 21, 3, dd, 1); /* the new session still delivers */
    assert_int_equal(spb(s, "spBv1.0/plant1/DDATA/edge7/gas-01", &e, out, 32, &res), WS_OK);
    assert_int_equal(res.nout, 1);
    assert_false(res.rebirth);

    /* DDEATH: only that device's points go stale */
    enc_payload(&e, T0 + 30, 4, NULL, 0);
    assert_int_equal(spb(s, "spBv1.0/plant1/DDEATH/edge7/gas-01", &e, out, 32, &res), WS_OK);
    assert_int_equal(res.nout, 2);
    for (size_t i = 0; i < res.nout; i++) {
        assert_int_equal(out[i].quality, WS_Q_STALE);
        assert_true(isnan(out[i].value));
        assert_int_equal(out[i].source_ms, (int64_t)(T0 + 30));
        assert_true(!strncmp(out[i].tag, "edge7/gas-01/", 13));
    }
    enc_payload(&e, T0 + 31, 5, dd, 1);
    assert_int_equal(spb(s, "spBv1.0/plant1/DDATA/edge7/gas-01", &e, out, 32, &res), WS_OK);
    assert_true(res.rebirth && res.nout == 0);
    enc_payload(&e, T0 + 32, 6, dbirth_m, NM(dbirth_m));
    assert_int_equal(spb(s, "spBv1.0/plant1/DBIRTH/edge7/gas-01", &e, out, 32, &res), WS_OK);

    /* the matching NDEATH (bdSeq 8): every point of the node and its device
     * stale — 8 numeric node points + 2 device points; a small array is refused first */
    const tmetric death8[] = {{"bdSeq", -1, 0, 8, false, TV_LONG, 8, 0, NULL}};
    enc_payload(&e, T0 + 40, -1, death8, 1);
    assert_int_equal(spb(s, "spBv1.0/plant1/NDEATH/edge7", &e, out, 4, &res), WS_ETOOBIG);
    assert_int_equal(spb(s, "spBv1.0/plant1/NDEATH/edge7", &e, out, 32, &res), WS_OK);
    assert_false(res.ignored);
    assert_int_equal(res.nout, 10);
    for (size_t i = 0; i < res.nout; i++) assert_int_equal(out[i].quality, WS_Q_STALE);
    assert_non_null(find_tag(out, res.nout, "edge7/TT-101"));
    assert_non_null(find_tag(out, res.nout, "edge7/gas-01/H2S"));
    assert_null(find_tag(out, res.nout, "edge7/model"));
    /* a second NDEATH has nothing live to kill; data after death asks for rebirth */
    assert_int_equal(spb(s, "spBv1.0/plant1/NDEATH/edge7", &e, out, 32, &res), WS_OK);
    assert_true(res.ignored);
    enc_payload(&e, T0 + 50, 1, dd, 1);
    assert_int_equal(spb(s, "spBv1.0/plant1/NDATA/edge7", &e, out, 32, &res), WS_OK);
    assert_true(res.rebirth && res.nout == 0 && res.bad == 1);
    /* commands and host state are not acted on */
    assert_int_equal(spb(s, "spBv1.0/plant1/NCMD/edge7", &e, out, 32, &res), WS_OK);
    assert_true(res.ignored);
    spb_session_free(s);
}

static void spb_capacity_and_long_tags(void **state)
{
    (void)state;
    ws_reading out[32];
    enc e;
    spb_result res;
    spb_session *s = spb_session_new(2, 8, NULL);
    const tmetric lng[] = {
        {"a-name-that-is-far-too-long-to-fit-in-a-tag-of-sixty-three-bytes-really", 1, 0, 10, false, TV_DOUBLE, 0, 1, NULL},
        {"ok", 2, 0, 10, false, TV_DOUBLE, 0, 2, NULL},
    };
    enc_payload(&e, T0, 0, lng, NM(lng));
    assert_int_equal(spb(s, "spBv1.0/g/NBIRTH/n1", &e, out, 32, &res), WS_OK);
    assert_int_equal(res.bad, 1);
    assert_int_equal(res.nout, 1);
    assert_int_equal(spb_session_points(s), 1);
    /* a BIRTH bigger than the pool is refused and changes nothing */
    enc_payload(&e, T0, 0, nbirth_m, NM(nbirth_m));
    assert_int_equal(spb(s, "spBv1.0/g/NBIRTH/n2", &e, out, 32, &res), WS_ETOOBIG);
    assert_int_equal(spb_session_points(s), 1);
    /* more metrics than room for readings */
    assert_int_equal(spb(s, "spBv1.0/g/NBIRTH/n1", &e, out, 4, &res), WS_ETOOBIG);
    /* re-births of the same node reuse the pool (compaction) */
    for (int i = 0; i < 20; i++) {
        enc_payload(&e, T0, 0, dbirth_m, NM(dbirth_m));
        assert_int_equal(spb(s, "spBv1.0/g/NBIRTH/n1", &e, out, 32, &res), WS_OK);
        assert_int_equal(spb_session_points(s), 2);
    }
    const tmetric dd[] = {{NULL, 2, 0, 0, false, TV_FLOAT, 0, 9.0, NULL}};
    enc_payload(&e, T0, 1, dd, 1);
    assert_int_equal(spb(s, "spBv1.0/g/NDATA/n1", &e, out, 32, &res), WS_OK);
    assert_string_equal(out[0].tag, "n1/H2S");
    spb_session_free(s);
}

static void spb_malformed_payloads(void **state)
{
    (void)state;
    ws_reading out[32];
    spb_result res;
    spb_session *s = born(out, 32);
    size_t pts = spb_session_points(s);
    static const struct { const char *why; uint8_t b[16]; size_t n; const char *says; } cases[] = {
        {"truncated varint", {0x08, 0x80}, 2, "truncated"},
        {"overlong varint", {0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F}, 11, "overlong"},
        {"length past end", {0x12, 0x05, 0x10, 0x01}, 4, "remaining"},
        {"metric field past end", {0x12, 0x03, 0x0A, 0x05, 0x41}, 5, "remaining"},
        {"wrong wire type", {0x08 | 2, 0x00}, 2, "wrong wire type"},
        {"group wire type", {0x1B, 0x1C}, 2, "wire type"},
        {"field zero", {0x00, 0x01}, 2, "field number"},
        {"truncated double", {0x12, 0x05, 0x69, 1, 2, 3, 4}, 7, "fixed64"},
        {"bad utf-8 name", {0x12, 0x04, 0x0A, 0x02, 0xC3, 0x28}, 6, "UTF-8"},
    };
    for (size_t i = 0; i < NM(cases); i++) {
        ws_err_clear();
        ws_err rc = spb_session_handle(s, "spBv1.0/plant1/NDATA/edge7", 26, cases[i].b, cases[i].n, out, 32, &res);
        if (rc != WS_EINVAL) fail_msg("%s: rc %d", cases[i].why, rc);
        assert_string_equal(ws_err_field(), "payload");
        if (!strstr(ws_err_message(), cases[i].says)) fail_msg("%s: message '%s'", cases[i].why, ws_err_message());
    }
    /* unknown fields of every wire type are skipped */
    static const uint8_t unk[] = {0xA0, 0x01, 0x05,             /* field 20 varint */
                                  0xAA, 0x01, 0x02, 'h', 'i',   /* field 21 bytes */
                                  0xB5, 0x01, 1, 2, 3, 4,       /* field 22 fixed32 */
                                  0x12, 0x0F, 0x10, 0x01,       /* metric: alias 1 */
                                  0x4A, 0x02, 0x08, 0x01,       /*   properties (skipped) */
                                  0x69, 0, 0, 0, 0, 0, 0, 0x24, 0x40, /* double 10.0 */
                                  0x18, 0x01};                  /* seq 1 */
    assert_int_equal(spb_session_handle(s, "spBv1.0/plant1/NDATA/edge7", 26, unk, sizeof unk, out, 32, &res), WS_OK);
    assert_int_equal(res.nout, 1);
    assert_string_equal(out[0].tag, "edge7/TT-101");
    assert_true(out[0].value == 10.0);
    assert_int_equal(spb_session_points(s), pts);
    /* an empty payload is a valid, empty message */
    assert_int_equal(spb_session_handle(s, "spBv1.0/plant1/NDATA/edge7", 26, unk, 0, out, 32, &res), WS_OK);
    assert_int_equal(res.nout, 0);
    spb_session_free(s);
}
/* ---- Hikvision ISAPI --------------------------------------------------- */

/* Written by hand from the element list in INTEGRATIONS.md §3.1. */
static const char hik_xml_field[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<EventNotificationAlert version=\"2.0\" xmlns=\"http://www.isapi.org/ver20/XMLSchema\">\n"
    " <ipAddress>10.20.0.31</ipAddress>\n <ipv6Address></ipv6Address>\n <portNo>80</portNo>\n"
    " <protocol>HTTP</protocol>\n <macAddress>44:19:b6:0a:11:02</macAddress>\n <channelID>2</channelID>\n"
    " <dateTime>2024-03-05T08:15:30+08:00</dateTime>\n <activePostCount>3</activePostCount>\n"
    " <eventType>fielddetection</eventType>\n <eventState>active</eventState>\n"
    " <eventDescription>fielddetection alarm</eventDescription>\n"
    " <DetectionRegionList><DetectionRegionEntry><regionID>1</regionID>"
    "<detectionTarget>human</detectionTarget>"
    "<TargetRect><X>0.41</X><Y>0.3</Y><width>0.1</width><height>0.4</height></TargetRect>"
    "</DetectionRegionEntry></DetectionRegionList>\n"
    " <channelName>罐区北门</channelName>\n <detectionPictureTransType>binary</detectionPictureTransType>\n"
    " <detectionPicturesNumber>1</detectionPicturesNumber>\n <isDataRetransmission>true</isDataRetransmission>\n"
    "</EventNotificationAlert>\n";

static const char hik_json_helmet[] =
    "{\"ipAddress\":\"10.20.0.40\",\"ipv6Address\":\"\",\"portNo\":80,\"protocolType\":\"HTTP\","
    "\"macAddress\":\"44:19:b6:0a:22:07\",\"channelID\":1,\"releatedChannelList\":[1],"
    "\"dateTime\":\"2024-06-01T20:00:00+08:00\",\"activePostCount\":1,"
    "\"eventType\":\"safetyHelmetDetection\",\"eventState\":\"active\",\"eventDescription\":\"安全帽检测\","
    "\"channelName\":\"Gate 3\",\"deviceID\":\"PUID-0007\","
    "\"Target\":[{\"recognitionType\":\"safetyHelmet\",\"TargetInfo\":{\"wearHelmet\":false}}]}";

static void hik_xml_event(void **state)
{
    (void)state;
    hik_event h;
    assert_int_equal(hik_decode("application/xml; charset=\"UTF-8\"", (const uint8_t *)hik_xml_field,
                                strlen(hik_xml_field), 0, NULL, 0, &h), WS_OK);
    const ws_camera_event *e = &h.ev;
    assert_int_equal(e->vendor, WS_CAM_HIKVISION);
    assert_int_equal(e->violation, WS_VIOL_INTRUSION);
    assert_string_equal(e->raw_type, "fielddetection");
    assert_int_equal(e->action, WS_CAM_START);
    assert_false(e->heartbeat);
    assert_true(e->retransmission);
    assert_int_equal(e->channel, 2);
    assert_int_equal(e->post_count, 3);
    assert_int_equal(e->source_ms, 1709597730000LL); /* 08:15:30+08:00 = 00:15:30Z */
    assert_int_equal(e->offset_min, 480);
    assert_string_equal(e->ip, "10.20.0.31");
    assert_string_equal(e->mac, "44:19:b6:0a:11:02");
    assert_string_equal(e->target, "human");
    assert_string_equal(e->channel_name, "罐区北门");
    assert_string_equal(e->description, "fielddetection alarm");
    assert_int_equal(h.pictures_announced, 1);
    assert_int_equal(h.npics, 0);

    /* the other namespace, with a prefix: local names match */
    static const char pfx[] =
        "<h:EventNotificationAlert xmlns:h=\"http://www.hikvision.com/ver20/XMLSchema\">"
        "<h:ipv6Address>fd00::31</h:ipv6Address><h:channelID>35</h:channelID>"
        "<h:dateTime>2024-03-05T00:15:30Z</h:dateTime><h:eventType>linedetection</h:eventType>"
        "<h:eventState>active</h:eventState></h:EventNotificationAlert>";
    assert_int_equal(hik_decode("text/xml", (const uint8_t *)pfx, strlen(pfx), 0, NULL, 0, &h), WS_OK);
    assert_int_equal(h.ev.violation, WS_VIOL_INTRUSION);
    assert_int_equal(h.ev.channel, 35); /* an NVR's IP channel 3, kept as sent */
    assert_string_equal(h.ev.ip, "fd00::31"); /* no IPv4: the IPv6 address */
    assert_int_equal(h.ev.source_ms, 1709597730000LL);
    assert_int_equal(h.ev.offset_min, 0);

    /* no Content-Type: sniffed */
    assert_int_equal(hik_decode(NULL, (const uint8_t *)hik_xml_field, strlen(hik_xml_field), 0, NULL, 0, &h), WS_OK);
    assert_int_equal(h.ev.violation, WS_VIOL_INTRUSION);
}

static void hik_json_event(void **state)
{
    (void)state;
    hik_event h;
    assert_int_equal(hik_decode("application/json", (const uint8_t *)hik_json_helmet, strlen(hik_json_helmet), 0,
                                NULL, 0, &h), WS_OK);
    assert_int_equal(h.ev.violation, WS_VIOL_NO_HELMET);
    assert_string_equal(h.ev.raw_type, "safetyHelmetDetection");
    assert_string_equal(h.ev.target, "safetyHelmet");
    assert_string_equal(h.ev.mac, "44:19:b6:0a:22:07");
    assert_string_equal(h.ev.device_id, "PUID-0007");
    assert_int_equal(h.ev.channel, 1);
    assert_int_equal(h.ev.source_ms, 1717243200000LL);
    assert_false(h.ev.retransmission);

    /* an AI box's custom algorithm: the rule name decides */
    static const char aiop[] =
        "{\"EventNotificationAlert\":{\"ipAddress\":\"10.20.0.50\",\"channelID\":4,"
        "\"dateTime\":\"2024-06-01T12:00:00\",\"eventType\":\"AIOP_Video\",\"eventState\":\"active\","
        "\"eventDescription\":\"AI open platform\","
        "\"AIOPData\":{\"events\":{\"alertInfo\":[{\"ruleInfo\":{\"ruleID\":\"17\",\"ruleName\":\"吸烟检测\"}}]}}}}";
    assert_int_equal(hik_decode("application/json", (const uint8_t *)aiop, strlen(aiop), 480, NULL, 0, &h), WS_OK);
    assert_int_equal(h.ev.violation, WS_VIOL_SMOKING);
    assert_string_equal(h.ev.rule, "吸烟检测");
    assert_string_equal(h.ev.rule_id, "17");
    assert_int_equal(h.ev.source_ms, 1717243200000LL - 8 * 3600000LL); /* no offset: the camera's zone (+08:00) */
    /* the camera's own table wins: rule 17 of this box means fire */
    const ws_cam_rule map[] = {{"17", WS_VIOL_FIRE}};
    assert_int_equal(hik_decode("application/json", (const uint8_t *)aiop, strlen(aiop), 480, map, 1, &h), WS_OK);
    assert_int_equal(h.ev.violation, WS_VIOL_FIRE);
}

static void hik_every_mapping(void **state)
{
    (void)state;
    static const struct { const char *type, *target, *rule; int v; } m[] = {
        {"safetyHelmetDetection", "", "", WS_VIOL_NO_HELMET},
        {"fireDetection", "", "", WS_VIOL_FIRE},
        {"fielddetection", "human", "", WS_VIOL_INTRUSION},
        {"linedetection", "vehicle", "", WS_VIOL_INTRUSION},
        {"regionEntrance", "", "", WS_VIOL_INTRUSION},
        {"regionExiting", "", "", WS_VIOL_INTRUSION},
        {"loitering", "", "", WS_VIOL_INTRUSION},
        {"FIELDDETECTION", "", "", WS_VIOL_INTRUSION},
        {"personDensityDetection", "", "", WS_VIOL_OTHER},
        {"group", "", "", WS_VIOL_OTHER},
        {"mixedTargetDetection", "", "", WS_VIOL_OTHER},
        {"VMD", "", "", WS_VIOL_OTHER},
        {"IO", "", "", WS_VIOL_OTHER},
        {"videoloss", "", "", WS_VIOL_OTHER},
        {"somethingNew", "safetyHelmet", "", WS_VIOL_NO_HELMET},
        {"somethingNew", "", "smoking", WS_VIOL_OTHER}, /* keywords only for AIOP_Video */
        {"AIOP_Video", "", "Smoking area rule", WS_VIOL_SMOKING},
        {"AIOP_Video", "", "抽烟", WS_VIOL_SMOKING},
        {"AIOP_Video", "", "Helmet check", WS_VIOL_NO_HELMET},
        {"AIOP_Video", "", "未戴安全帽", WS_VIOL_NO_HELMET},
        {"AIOP_Video", "", "烟火识别", WS_VIOL_FIRE},
        {"AIOP_Video", "", "flame", WS_VIOL_FIRE},
        {"AIOP_Video", "", "区域入侵", WS_VIOL_INTRUSION},
        {"AIOP_Video", "", "phone call", WS_VIOL_OTHER},
    };
    for (size_t i = 0; i < NM(m); i++) {
        ws_camera_event e;
        memset(&e, 0, sizeof e);
        strcpy(e.raw_type, m[i].type);
        strcpy(e.target, m[i].target);
        strcpy(e.rule, m[i].rule);
        if ((int)hik_map(&e) != m[i].v) fail_msg("%s/%s/%s", m[i].type, m[i].target, m[i].rule);
    }
    assert_string_equal(ws_violation_name(WS_VIOL_NO_HELMET), "no_helmet");
    assert_string_equal(ws_violation_name(WS_VIOL_FIRE), "fire");
    assert_string_equal(ws_violation_name(99), "other");
}

static void hik_heartbeat(void **state)
{
    (void)state;
    hik_event h;
    static const char hb[] = "<EventNotificationAlert><ipAddress>10.20.0.31</ipAddress><channelID>1</channelID>"
                             "<dateTime>2024-03-05T08:15:30+08:00</dateTime><eventType>videoloss</eventType>"
                             "<eventState>inactive</eventState></EventNotificationAlert>";
    assert_int_equal(hik_decode("application/xml", (const uint8_t *)hb, strlen(hb), 0, NULL, 0, &h), WS_OK);
    assert_true(h.ev.heartbeat);
    assert_int_equal(h.ev.action, WS_CAM_STOP);
    assert_int_equal(h.ev.violation, WS_VIOL_OTHER);
}

/* multipart/form-data: a JSON event and two JPEGs delimited by
 * Content-Length; the second JPEG's bytes contain the boundary line, which a
 * search for the boundary would cut. */
static size_t build_multipart(char *b, size_t cap, const char *pic2, size_t pic2_len)
{
    size_t n = 0;
    n += (size_t)snprintf(b + n, cap - n,
                          "--MIME_boundary\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s\r\n",
                          strlen(hik_json_helmet), hik_json_helmet);
    n += (size_t)snprintf(b + n, cap - n,
                          "--MIME_boundary\r\nContent-Disposition: form-data; name=\"safetyHelmet\"; "
                          "filename=\"helmet_1.jpg\"\r\nContent-Type: image/jpeg\r\nContent-Length: 6\r\n\r\n");
    memcpy(b + n, "\xFF\xD8\x01\x02\xFF\xD9", 6);
    n += 6;
    n += (size_t)snprintf(b + n, cap - n,
                          "\r\n--MIME_boundary\r\nContent-Type: image/jpeg\r\nContent-ID: <pic2>\r\n"
                          "Content-Length: %zu\r\n\r\n", pic2_len);
    memcpy(b + n, pic2, pic2_len);
    n += pic2_len;
    n += (size_t)snprintf(b + n, cap - n, "\r\n--MIME_boundary--\r\n");
    return n;
}

static void hik_multipart(void **state)
{
    (void)state;
    char b[4096];
    static const char pic2[] = "\xFF\xD8 junk\r\n--MIME_boundary\r\nmore \xFF\xD9";
    size_t n = build_multipart(b, sizeof b, pic2, sizeof pic2 - 1);
    hik_event h;
    assert_int_equal(hik_decode("multipart/form-data; boundary=MIME_boundary", (const uint8_t *)b, n, 0, NULL, 0, &h),
                     WS_OK);
    assert_int_equal(h.ev.violation, WS_VIOL_NO_HELMET);
    assert_int_equal(h.npics, 2);
    assert_string_equal(h.pics[0].content_type, "image/jpeg");
    assert_string_equal(h.pics[0].name, "helmet_1.jpg");
    assert_int_equal(h.pics[0].len, 6);
    assert_memory_equal(b + h.pics[0].off, "\xFF\xD8\x01\x02\xFF\xD9", 6);
    assert_string_equal(h.pics[1].name, "pic2");
    assert_int_equal(h.pics[1].len, sizeof pic2 - 1);
    assert_memory_equal(b + h.pics[1].off, pic2, sizeof pic2 - 1);

    /* XML part and a picture without Content-Length (cut at the delimiter),
     * quoted boundary, a preamble */
    static const char mp2[] =
        "preamble\r\n--bnd7\r\nContent-Disposition: form-data; name=\"fireDetection\"\r\n"
        "Content-Type: application/xml\r\n\r\n"
        "<EventNotificationAlert><channelID>1</channelID><eventType>fireDetection</eventType>"
        "<eventState>active</eventState><FireDetection><fireMaxTemperature>412</fireMaxTemperature>"
        "</FireDetection></EventNotificationAlert>\r\n"
        "--bnd7\r\nContent-Disposition: form-data; name=\"fireDetection\"; filename=\"fireDetection.jpg\"\r\n"
        "Content-Type: image/jpeg\r\n\r\nJPEGBYTES\r\n--bnd7--\r\n";
    assert_int_equal(hik_decode("multipart/form-data; boundary=\"bnd7\"", (const uint8_t *)mp2, sizeof mp2 - 1, 0,
                                NULL, 0, &h), WS_OK);
    assert_int_equal(h.ev.violation, WS_VIOL_FIRE);
    assert_int_equal(h.npics, 1);
    assert_int_equal(h.pics[0].len, 9);
    assert_memory_equal(mp2 + h.pics[0].off, "JPEGBYTES", 9);
    assert_string_equal(h.pics[0].name, "fireDetection.jpg");

    /* a Content-Length that does not end at a boundary is refused */
    char bad[4096];
    memcpy(bad, b, n);
    char *cl = memmem(bad, n, "Content-Length: 6", 17);
    cl[16] = '5';
    ws_err_clear();
    assert_int_equal(hik_decode("multipart/form-data; boundary=MIME_boundary", (const uint8_t *)bad, n, 0, NULL, 0, &h),
                     WS_EINVAL);
    assert_non_null(strstr(ws_err_message(), "part 1"));
    assert_int_equal(h.npics, 0); /* nothing half-decoded */
}

static void hik_refusals(void **state)
{
    (void)state;
    char big[600];
    memset(big, 0, sizeof big);
    strcpy(big, "<EventNotificationAlert><eventType>VMD</eventType><macAddress>");
    memset(big + strlen(big), 'a', 100);
    strcat(big, "</macAddress></EventNotificationAlert>");
    const struct { const char *ct, *body; ws_err rc; const char *field; } c[] = {
        {"application/xml", "<EventNotificationAlert><eventType>VMD</eventType>", WS_EINVAL, "body"},
        {"application/xml", "<Other><eventType>VMD</eventType></Other>", WS_EINVAL, "body"},
        {"application/xml", "<EventNotificationAlert><channelID>1</channelID></EventNotificationAlert>", WS_EINVAL,
         "eventType"},
        {"application/xml",
         "<!DOCTYPE lol [<!ENTITY a \"aaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;\">]>"
         "<EventNotificationAlert><eventType>&b;</eventType></EventNotificationAlert>", WS_EINVAL, "body"},
        {"application/xml", "<EventNotificationAlert><eventType>VMD</eventType><dateTime>yesterday</dateTime>"
                            "</EventNotificationAlert>", WS_EINVAL, "dateTime"},
        {"application/xml", "<EventNotificationAlert><eventType>VMD</eventType><channelID>x1</channelID>"
                            "</EventNotificationAlert>", WS_EINVAL, "channelID"},
        {"application/xml", big, WS_EINVAL, "macAddress"},
        {"application/json", "{\"eventType\":\"VMD\",", WS_EINVAL, "body"},
        {"application/json", "[1,2]", WS_EINVAL, "body"},
        {"application/json", "{\"eventType\":\"VMD\",\"eventType\":\"IO\"}", WS_EINVAL, "body"},
        {"application/json", "{\"eventType\":\"VMD\",\"dateTime\":\"2024-02-30T00:00:00Z\"}", WS_EINVAL, "dateTime"},
        {"image/png", "<EventNotificationAlert/>", WS_EMEDIA, "Content-Type"},
        {NULL, "garbage", WS_EMEDIA, "Content-Type"},
        {"application/xml", "", WS_EINVAL, "body"},
        {"multipart/form-data", "--x\r\n\r\n", WS_EINVAL, "Content-Type"},
        {"multipart/form-data; boundary=x", "--x\r\nContent-Length: 99\r\n\r\nshort\r\n--x--", WS_EINVAL, "body"},
        {"multipart/form-data; boundary=x", "--x\r\nContent-Type: image/jpeg\r\n\r\nJPEG\r\n--x--", WS_EINVAL, "body"},
        {"multipart/form-data; boundary=x", "--x\r\nContent-Type: application/xml\r\n", WS_EINVAL, "body"},
        {"multipart/form-data; boundary=x", "no boundary here", WS_EINVAL, "body"},
    };
    for (size_t i = 0; i < NM(c); i++) {
        hik_event h;
        ws_err_clear();
        ws_err rc = hik_decode(c[i].ct, (const uint8_t *)c[i].body, strlen(c[i].body), 0, NULL, 0, &h);
        if (rc != c[i].rc || strcmp(ws_err_field(), c[i].field))
            fail_msg("case %zu: rc %d field '%s' (%s)", i, rc, ws_err_field(), ws_err_message());
        assert_true(ws_err_message()[0] != 0);
        assert_int_equal(h.ev.raw_type[0], 0);
    }
    int64_t ms;
    int off;
    assert_int_equal(hik_parse_time("2024-03-05T08:15:30.250+0800", 0, &ms, &off), 0);
    assert_int_equal(ms, 1709597730250LL);
    assert_int_equal(hik_parse_time("2024-03-05 00:15:30-01:30", 0, &ms, &off), 0);
    assert_int_equal(ms, 1709597730000LL + 90 * 60000LL);
    assert_int_equal(off, -90);
    assert_int_equal(hik_parse_time("2024-03-05T00:15:30+08", 0, &ms, &off), -1);
    assert_int_equal(hik_parse_time("2023-02-29T00:00:00Z", 0, &ms, &off), -1);
}

/* ---- Dahua eventManager ------------------------------------------------ */

typedef struct got {
    ws_camera_event ev[32];
    long event_id[32]; /* data.EventID, -1 without data */
    size_t n;
} got;

static void collect(void *ud, const ws_camera_event *ev, json_t *data)
{
    got *g = ud;
    if (g->n >= 32) return;
    g->ev[g->n] = *ev;
    json_t *id = json_object_get(data, "EventID");
    g->event_id[g->n++] = data ? (json_is_integer(id) ? (long)json_integer_value(id) : 0) : -1;
}

static void dahua_blocks_and_mapping(void **state)
{
    (void)state;
    ws_camera_event e;
    json_t *d = NULL;
    static const char blk[] = "Code=CrossRegionDetection;action=Start;index=3;data={\n"
                              "   \"Name\":\"Rule=1;north\",\"RuleID\":3,\"EventID\":101,\"Action\":\"Appear\",\n"
                              "   \"UTC\":1717243200,\n"
                              "   \"Object\":{\"ObjectType\":\"Human\",\"ObjectID\":99,\"BoundingBox\":[10,20,4000,8191]}\n}\n";
    assert_int_equal(dahua_parse_block(blk, sizeof blk - 1, NULL, 0, &e, &d), WS_OK);
    assert_non_null(d);
    assert_int_equal(e.vendor, WS_CAM_DAHUA);
    assert_string_equal(e.raw_type, "CrossRegionDetection");
    assert_int_equal(e.violation, WS_VIOL_INTRUSION);
    assert_int_equal(e.action, WS_CAM_START);
    assert_int_equal(e.channel, 3);
    assert_string_equal(e.rule, "Rule=1;north"); /* '=' and ';' inside data survive */
    assert_string_equal(e.rule_id, "3");
    assert_string_equal(e.target, "Human");
    assert_int_equal(e.source_ms, 1717243200000LL);
    assert_int_equal(json_integer_value(json_object_get(d, "EventID")), 101);
    json_decref(d);

    static const struct { const char *code, *rule; int v; } m[] = {
        {"CrossLineDetection", "", WS_VIOL_INTRUSION},   {"CrossRegionDetection", "", WS_VIOL_INTRUSION},
        {"SmokingDetection", "", WS_VIOL_SMOKING},       {"SmokingDetect", "", WS_VIOL_SMOKING},
        {"FireWarning", "", WS_VIOL_FIRE},               {"FireDetection", "", WS_VIOL_FIRE},
        {"SmokeDetection", "", WS_VIOL_FIRE},            {"HelmetDetection", "", WS_VIOL_NO_HELMET},
        {"WorkClothesDetection", "", WS_VIOL_NO_HELMET}, {"WorkClothesDetection", "Helmet Detection", WS_VIOL_NO_HELMET},
        {"WorkClothesDetection", "Workwear Detection", WS_VIOL_OTHER},
        {"WorkClothesDetection", "工装检测", WS_VIOL_OTHER},
        {"VideoMotion", "", WS_VIOL_OTHER},              {"VideoLoss", "", WS_VIOL_OTHER},
        {"VideoBlind", "", WS_VIOL_OTHER},               {"AlarmLocal", "", WS_VIOL_OTHER},
        {"LeftDetection", "", WS_VIOL_OTHER},            {"ParkingDetection", "", WS_VIOL_OTHER},
        {"FaceDetection", "", WS_VIOL_OTHER},            {"SmartMotionHuman", "", WS_VIOL_OTHER},
        {"NoSuchCode", "", WS_VIOL_OTHER},
    };
    for (size_t i = 0; i < NM(m); i++) {
        char b[256];
        int k = snprintf(b, sizeof b, "Code=%s;action=Pulse;index=0;data={\"Name\":\"%s\"}", m[i].code, m[i].rule);
        assert_int_equal(dahua_parse_block(b, (size_t)k, NULL, 0, &e, NULL), WS_OK);
        if ((int)e.violation != m[i].v) fail_msg("%s/%s: %d", m[i].code, m[i].rule, e.violation);
        assert_int_equal(e.action, WS_CAM_PULSE);
    }
    /* the camera's table first */
    const ws_cam_rule map[] = {{"VideoMotion", WS_VIOL_INTRUSION}};
    assert_int_equal(dahua_parse_block("Code=VideoMotion;action=Stop;index=1", 36, map, 1, &e, NULL), WS_OK);
    assert_int_equal(e.violation, WS_VIOL_INTRUSION);
    assert_int_equal(e.action, WS_CAM_STOP);
    assert_int_equal(e.channel, 1);
    /* heartbeat */
    assert_int_equal(dahua_parse_block("Heartbeat\r\n", 11, NULL, 0, &e, NULL), WS_OK);
    assert_true(e.heartbeat);
    /* refusals name the key */
    static const struct { const char *b, *field; } bad[] = {
        {"action=Start;index=0", "Code"},      {"Code=VideoMotion;index=0", "action"},
        {"Code=VideoMotion;action=Go", "action"}, {"Code=VideoMotion;action=Start;index=-1", "index"},
        {"Code=;action=Start", "Code"},        {"garbage", "block"},
        {"Code=Video\x01Motion;action=Start", "Code"},
    };
    for (size_t i = 0; i < NM(bad); i++) {
        ws_err_clear();
        assert_int_equal(dahua_parse_block(bad[i].b, strlen(bad[i].b), NULL, 0, &e, NULL), WS_EINVAL);
        assert_string_equal(ws_err_field(), bad[i].field);
    }
}

/* A stream as a camera sends it: parts with Content-Length, a heartbeat, a
 * part without Content-Length, a malformed block, bad data JSON. */
static size_t dahua_stream(char *b, size_t cap)
{
    static const char *blocks[] = {
        "Code=CrossLineDetection;action=Start;index=0;data={\"EventID\":1,\"Name\":\"fence\"}",
        "Heartbeat",
        "Code=SmokingDetection;action=Pulse;index=2;data={\n  \"EventID\": 2,\n  \"Name\": \"a=b;c\"\n}",
        "Code=VideoMotion;action=Launch;index=0",
        "Code=FireWarning;action=Start;index=1;data={not json",
    };
    size_t n = (size_t)snprintf(b, cap, "HTTP junk before the first boundary\r\n");
    for (size_t i = 0; i < NM(blocks); i++)
        n += (size_t)snprintf(b + n, cap - n, "--myboundary\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n\r\n%s\r\n\r\n",
                              strlen(blocks[i]), blocks[i]);
    /* without Content-Length: ends at the next delimiter */
    n += (size_t)snprintf(b + n, cap - n, "--myboundary\r\nContent-Type: text/plain\r\n\r\n"
                                          "Code=CrossRegionDetection;action=Stop;index=0;data={\r\n\"EventID\":3}\r\n"
                                          "--myboundary\r\nContent-Type: text/plain\r\nContent-Length: 37\r\n\r\n"
                                          "Code=VideoLoss;action=Start;index=5\r\n\r\n");
    return n;
}

static void check_stream(const got *g, const dahua_parser *p)
{
    assert_int_equal(g->n, 6);
    assert_string_equal(g->ev[0].raw_type, "CrossLineDetection");
    assert_int_equal(g->ev[0].violation, WS_VIOL_INTRUSION);
    assert_int_equal(g->event_id[0], 1);
    assert_true(g->ev[1].heartbeat);
    assert_int_equal(g->ev[2].violation, WS_VIOL_SMOKING);
    assert_int_equal(g->ev[2].channel, 2);
    assert_string_equal(g->ev[2].rule, "a=b;c");
    assert_string_equal(g->ev[3].raw_type, "FireWarning");
    assert_int_equal(g->event_id[3], -1); /* its data did not parse */
    assert_string_equal(g->ev[4].raw_type, "CrossRegionDetection");
    assert_int_equal(g->ev[4].action, WS_CAM_STOP);
    assert_int_equal(g->event_id[4], 3);
    assert_string_equal(g->ev[5].raw_type, "VideoLoss");
    assert_int_equal(g->ev[5].channel, 5);
    assert_int_equal(p->stats.events, 6);
    assert_int_equal(p->stats.heartbeats, 1);
    assert_int_equal(p->stats.malformed, 2); /* the junk line and action=Launch */
    assert_int_equal(p->stats.bad_data, 1);
    assert_int_equal(p->stats.oversized, 0);
}

static void dahua_stream_any_split(void **state)
{
    (void)state;
    static char s[4096];
    size_t n = dahua_stream(s, sizeof s);
    static dahua_parser p;
    got g;
    /* whole */
    memset(&g, 0, sizeof g);
    dahua_init(&p, NULL, NULL, 0);
    dahua_feed(&p, (const uint8_t *)s, n, collect, &g);
    check_stream(&g, &p);
    /* one byte at a time */
    memset(&g, 0, sizeof g);
    dahua_init(&p, "--myboundary", NULL, 0);
    for (size_t i = 0; i < n; i++) dahua_feed(&p, (const uint8_t *)s + i, 1, collect, &g);
    check_stream(&g, &p);
    /* every two-chunk split */
    for (size_t cut = 0; cut <= n; cut++) {
        memset(&g, 0, sizeof g);
        dahua_init(&p, "myboundary", NULL, 0);
        dahua_feed(&p, (const uint8_t *)s, cut, collect, &g);
        dahua_feed(&p, (const uint8_t *)s + cut, n - cut, collect, &g);
        check_stream(&g, &p);
    }
    /* an event is delivered when its last byte arrives, not at the next part */
    memset(&g, 0, sizeof g);
    dahua_init(&p, NULL, NULL, 0);
    static const char one[] = "--myboundary\r\nContent-Length: 37\r\n\r\nCode=VideoMotion;action=Start;index=0";
    dahua_feed(&p, (const uint8_t *)one, sizeof one - 1, collect, &g);
    assert_int_equal(g.n, 1);
}

static void dahua_oversized_blocks(void **state)
{
    (void)state;
    static dahua_parser p;
    static char s[3 * DAHUA_BLOCK_MAX];
    got g;
    memset(&g, 0, sizeof g);
    dahua_init(&p, NULL, NULL, 0);
    /* declared too big: skipped by count without buffering */
    size_t n = (size_t)snprintf(s, sizeof s, "--myboundary\r\nContent-Length: %d\r\n\r\n", 2 * DAHUA_BLOCK_MAX);
    memset(s + n, 'x', 2 * DAHUA_BLOCK_MAX);
    n += 2 * DAHUA_BLOCK_MAX;
    dahua_feed(&p, (const uint8_t *)s, n, collect, &g);
    static const char next[] = "\r\n--myboundary\r\nContent-Length: 37\r\n\r\nCode=VideoMotion;action=Start;index=0\r\n";
    dahua_feed(&p, (const uint8_t *)next, sizeof next - 1, collect, &g);
    assert_int_equal(p.stats.oversized, 1);
    assert_int_equal(g.n, 1);
    /* no Content-Length and no end: lines beyond the cap are dropped until the delimiter */
    n = (size_t)snprintf(s, sizeof s, "--myboundary\r\n\r\nCode=VideoMotion;action=Start;index=0;data={\"x\":\"");
    for (size_t i = 0; i < 2 * DAHUA_BLOCK_MAX / 100; i++) {
        memset(s + n, 'y', 99);
        s[n + 99] = '\n';
        n += 100;
    }
    n += (size_t)snprintf(s + n, sizeof s - n, "\"}\r\n");
    dahua_feed(&p, (const uint8_t *)s, n, collect, &g);
    dahua_feed(&p, (const uint8_t *)next + 2, sizeof next - 3, collect, &g);
    assert_int_equal(p.stats.oversized, 2);
    assert_int_equal(g.n, 2);
    assert_non_null(strstr(p.last_error, "DAHUA_BLOCK_MAX"));
    assert_true(sizeof(dahua_parser) < DAHUA_BLOCK_MAX + 2048); /* the parser's memory is fixed */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(spb_topics),
        cmocka_unit_test(spb_birth_values_and_types),
        cmocka_unit_test(spb_data_by_alias_and_unknown_alias),
        cmocka_unit_test(spb_bdseq_and_death),
        cmocka_unit_test(spb_capacity_and_long_tags),
        cmocka_unit_test(spb_malformed_payloads),
        cmocka_unit_test(hik_xml_event),
        cmocka_unit_test(hik_json_event),
        cmocka_unit_test(hik_every_mapping),
        cmocka_unit_test(hik_heartbeat),
        cmocka_unit_test(hik_multipart),
        cmocka_unit_test(hik_refusals),
        cmocka_unit_test(dahua_blocks_and_mapping),
        cmocka_unit_test(dahua_stream_any_split),
        cmocka_unit_test(dahua_oversized_blocks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
