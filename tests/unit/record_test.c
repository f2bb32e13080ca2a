/* Records (proto/record.md §3-4): seal/open round trips, every stateless refusal, schemas, redaction, bit flips. */
#include "fixtures.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static fx_key A, B;
#define HLC ((FX_T0 + FX_DAY) << RONDA_HLC_COUNTER_BITS)

static json_t *dialogue(void) {
    json_t *j = fx_dialogue_json("Trenggalek", "Durenan", "2026-01-10", "traffic", "Balap liar di jalan raya");
    fx_topic(j, "unrest", "Tawuran pemuda antar desa");
    json_object_set_new(j, "participants", json_integer(40));
    json_object_set_new(j, "officers", json_pack("[s]", "Aipda Suyono"));
    return j;
}

static uint8_t *seal(const fx_key *k, uint64_t seq, const uint8_t *prev, ronda_kind kind, const uint8_t *body,
                     size_t blen, size_t *len) {
    uint8_t *out = NULL;
    assert_ok(ronda_record_seal(k->sk, seq, prev, HLC + seq, kind, body, blen, &out, len));
    return out;
}

static void test_roundtrip(void **state) {
    (void)state;
    size_t blen, len, len2;
    json_t *j = dialogue();
    uint8_t *body = fx_body(RONDA_KIND_DIALOGUE, json_incref(j), &blen);
    uint8_t *bytes = seal(&A, 1, NULL, RONDA_KIND_DIALOGUE, body, blen, &len);
    ronda_record r1, r2;
    assert_ok(ronda_record_open(bytes, len, &r1, NULL));
    assert_memory_equal(r1.author, A.pk, 32);
    assert_int_equal(r1.seq, 1);
    assert_int_equal(r1.has_prev, 0);
    assert_int_equal(r1.hlc, HLC + 1);
    assert_int_equal(r1.kind, RONDA_KIND_DIALOGUE);
    uint8_t h[32], id[32];
    fx_hash(body, blen, h);
    assert_memory_equal(r1.body_hash, h, 32);
    assert_int_equal(r1.body_len, blen);
    assert_memory_equal(r1.body, body, blen);
    size_t elen;
    uint8_t *env = fx_envelope(1, A.pk, 1, NULL, HLC + 1, "dialogue", h, &elen); /* the exact v1 layout */
    assert_int_equal(r1.envelope_len, elen);
    assert_memory_equal(r1.envelope, env, elen);
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, 32);
    crypto_generichash_update(&st, r1.envelope, r1.envelope_len);
    crypto_generichash_update(&st, r1.signature, 64);
    crypto_generichash_final(&st, id, 32);
    assert_memory_equal(r1.id, id, 32);
    uint8_t msg[512];
    memcpy(msg, RONDA_SIGN_TAG, RONDA_SIGN_TAG_LEN);
    memcpy(msg + RONDA_SIGN_TAG_LEN, env, elen);
    assert_int_equal(crypto_sign_verify_detached(r1.signature, msg, RONDA_SIGN_TAG_LEN + elen, A.pk), 0);
    uint8_t *enc;
    assert_ok(ronda_record_encode(&r1, &enc, &len2));
    assert_int_equal(len2, len);
    assert_memory_equal(enc, bytes, len);
    free(enc);
    assert_ok(ronda_record_open_parts(r1.envelope, r1.envelope_len, r1.signature, 64, body, blen, &r2, NULL));
    assert_memory_equal(r2.id, r1.id, 32);
    json_t *back = NULL;
    assert_ok(ronda_body_to_json(RONDA_KIND_DIALOGUE, r1.body, r1.body_len, &back, NULL));
    assert_true(json_equal(back, j));
    json_decref(back);
    size_t plen; /* the generic packer agrees with the schema encoder on a valid body */
    uint8_t *packed = fx_pack(j, &plen);
    assert_int_equal(plen, blen);
    assert_memory_equal(packed, body, blen);
    free(packed);
    json_decref(j);
    /* seq 2 names seq 1 */
    uint8_t *b2 = seal(&A, 2, r1.id, RONDA_KIND_DIALOGUE, body, blen, &len2);
    assert_ok(ronda_record_open(b2, len2, &r2, NULL));
    assert_int_equal(r2.seq, 2);
    assert_int_equal(r2.has_prev, 1);
    assert_memory_equal(r2.prev, r1.id, 32);
    assert_memory_not_equal(r2.id, r1.id, 32);
    free(b2);
    free(env);
    free(bytes);
    free(body);
}

static void test_truncated_every_length(void **state) {
    (void)state;
    size_t blen, len;
    uint8_t *body = fx_body(RONDA_KIND_DIALOGUE, dialogue(), &blen);
    uint8_t *bytes = seal(&A, 1, NULL, RONDA_KIND_DIALOGUE, body, blen, &len);
    ronda_record r;
    for (size_t n = 0; n < len; n++) {
        uint8_t *cut = malloc(n + 1); /* exact-size copy: ASan catches any read past the cut */
        memcpy(cut, bytes, n);
        ronda_err e = ronda_record_open(cut, n, &r, NULL);
        free(cut);
        if (e != RONDA_ERR_TRUNCATED) fail_msg("cut at %zu of %zu: %s", n, len, ronda_errname(e));
    }
    free(bytes);
    free(body);
}

static void test_signature_and_body_hash(void **state) {
    (void)state;
    size_t blen, len, l2;
    uint8_t *body = fx_body(RONDA_KIND_DIALOGUE, dialogue(), &blen);
    uint8_t *bytes = seal(&A, 1, NULL, RONDA_KIND_DIALOGUE, body, blen, &len);
    ronda_record r, o;
    assert_ok(ronda_record_open(bytes, len, &r, NULL));
    uint8_t sig[64];
    for (int i = 0; i < 64; i++) {
        memcpy(sig, r.signature, 64);
        sig[i] ^= (uint8_t)(1u << (i % 8));
        assert_err(ronda_record_open_parts(r.envelope, r.envelope_len, sig, 64, body, blen, &o, NULL),
                   RONDA_ERR_SIGNATURE);
    }
    assert_err(ronda_record_open_parts(r.envelope, r.envelope_len, r.signature, 63, body, blen, &o, NULL),
               RONDA_ERR_MALFORMED);
    /* B signs an envelope naming A as author. */
    uint8_t *forged = fx_record(&B, r.envelope, r.envelope_len, body, blen, &l2);
    assert_err(ronda_record_open(forged, l2, &o, NULL), RONDA_ERR_SIGNATURE);
    free(forged);
    /* A signature over the envelope without the domain tag. */
    crypto_sign_detached(sig, NULL, r.envelope, r.envelope_len, A.sk);
    assert_err(ronda_record_open_parts(r.envelope, r.envelope_len, sig, 64, body, blen, &o, NULL), RONDA_ERR_SIGNATURE);
    /* A 63-byte signature inside a whole record (its first byte dropped). */
    uint8_t old[3] = {0xc4, 0x40, r.signature[0]};
    uint8_t *bad = fx_splice(bytes, len, old, 3, "\xc4\x3f", 2, &l2);
    assert_int_equal(l2, len - 1);
    assert_err(ronda_record_open(bad, l2, &o, NULL), RONDA_ERR_MALFORMED);
    free(bad);
    /* Body hash: another valid body, a shorter one, an empty one. */
    size_t b2len;
    json_t *j2 = dialogue();
    json_object_set_new(j2, "participants", json_integer(41));
    uint8_t *body2 = fx_body(RONDA_KIND_DIALOGUE, j2, &b2len);
    assert_err(ronda_record_open_parts(r.envelope, r.envelope_len, r.signature, 64, body2, b2len, &o, NULL),
               RONDA_ERR_BODY_HASH);
    assert_err(ronda_record_open_parts(r.envelope, r.envelope_len, r.signature, 64, body, blen - 1, &o, NULL),
               RONDA_ERR_BODY_HASH);
    assert_err(ronda_record_open_parts(r.envelope, r.envelope_len, r.signature, 64, body, 0, &o, NULL),
               RONDA_ERR_BODY_HASH);
    free(bytes);
    free(body);
    free(body2);
}

/* Each envelope field altered under the original signature. */
static void test_altered_envelope(void **state) {
    (void)state;
    size_t blen, len, elen;
    uint8_t *body = fx_body(RONDA_KIND_DIALOGUE, dialogue(), &blen);
    uint8_t prev[32], other[32];
    memset(prev, 0x11, 32);
    memset(other, 0x22, 32);
    uint8_t *bytes = seal(&A, 2, prev, RONDA_KIND_DIALOGUE, body, blen, &len);
    ronda_record r, o;
    assert_ok(ronda_record_open(bytes, len, &r, NULL));
    uint64_t hlc = r.hlc;
    struct {
        uint64_t version;
        const uint8_t *author;
        uint64_t seq;
        const uint8_t *prev;
        uint64_t hlc;
        const char *kind;
        const uint8_t *hash;
        ronda_err want;
    } c[] = {{1, A.pk, 2, prev, hlc, "dialogue", r.body_hash, RONDA_OK},
             {2, A.pk, 2, prev, hlc, "dialogue", r.body_hash, RONDA_ERR_VERSION},
             {1, B.pk, 2, prev, hlc, "dialogue", r.body_hash, RONDA_ERR_SIGNATURE},
             {1, A.pk, 3, prev, hlc, "dialogue", r.body_hash, RONDA_ERR_SIGNATURE},
             {1, A.pk, 2, other, hlc, "dialogue", r.body_hash, RONDA_ERR_SIGNATURE},
             {1, A.pk, 2, prev, hlc + 1, "dialogue", r.body_hash, RONDA_ERR_SIGNATURE},
             {1, A.pk, 2, prev, hlc, "resolution", r.body_hash, RONDA_ERR_SIGNATURE},
             {1, A.pk, 2, prev, hlc, "memo", r.body_hash, RONDA_ERR_KIND},
             {1, A.pk, 2, prev, hlc, "dialogue", other, RONDA_ERR_SIGNATURE}};
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        uint8_t *env =
            fx_envelope(c[i].version, c[i].author, c[i].seq, c[i].prev, c[i].hlc, c[i].kind, c[i].hash, &elen);
        ronda_err e = ronda_record_open_parts(env, elen, r.signature, 64, body, blen, &o, NULL);
        if (e != c[i].want) fail_msg("case %zu: got %s want %s", i, ronda_errname(e), ronda_errname(c[i].want));
        free(env);
    }
    free(bytes);
    free(body);
}

/* Properly signed envelopes that break the v1 envelope rules. */
static void expect_env(const uint8_t *env, size_t elen, const uint8_t *body, size_t blen, ronda_err want,
                       const char *what) {
    size_t len;
    uint8_t *rec = fx_record(&A, env, elen, body, blen, &len);
    ronda_record r;
    ronda_err e = ronda_record_open(rec, len, &r, NULL);
    free(rec);
    if (e != want) fail_msg("%s: got %s want %s", what, ronda_errname(e), ronda_errname(want));
}

static void test_envelope_rules(void **state) {
    (void)state;
    size_t blen, elen, l2;
    uint8_t *body = fx_body(RONDA_KIND_DIALOGUE, dialogue(), &blen);
    uint8_t h[32], prev[32];
    fx_hash(body, blen, h);
    memset(prev, 0x33, 32);
    static const struct {
        uint64_t version, seq;
        int prev;
        const char *kind;
        ronda_err want;
    } c[] = {{1, 1, 0, "dialogue", RONDA_OK},
             {0, 1, 0, "dialogue", RONDA_ERR_VERSION},
             {2, 1, 0, "dialogue", RONDA_ERR_VERSION},
             {256, 1, 0, "dialogue", RONDA_ERR_VERSION},
             {1, 1, 0, "memo", RONDA_ERR_KIND},
             {1, 1, 0, "", RONDA_ERR_KIND},
             {1, 1, 0, "Dialogue", RONDA_ERR_KIND},
             {1, 1, 0, "dialoguex", RONDA_ERR_KIND},
             {1, 2, 0, "dialogue", RONDA_ERR_MALFORMED}, /* seq > 1 with prev nil */
             {1, 1, 1, "dialogue", RONDA_ERR_MALFORMED}, /* seq 1 with a prev */
             {1, 0, 0, "dialogue", RONDA_ERR_MALFORMED}, /* seq 0 */
             {1, 2, 1, "dialogue", RONDA_OK}};
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        uint8_t *env = fx_envelope(c[i].version, A.pk, c[i].seq, c[i].prev ? prev : NULL, HLC, c[i].kind, h, &elen);
        expect_env(env, elen, body, blen, c[i].want, c[i].kind);
        free(env);
    }
    uint8_t *env = fx_envelope(1, A.pk, 1, NULL, HLC, "dialogue", h, &elen);
    uint8_t *e2 = malloc(elen + 1); /* trailing byte after the envelope's array */
    memcpy(e2, env, elen);
    e2[elen] = 0;
    expect_env(e2, elen + 1, body, blen, RONDA_ERR_MALFORMED, "trailing");
    free(e2);
    e2 = fx_splice(env, elen, "\xa8\x64ialogue", 9, "\x08", 1, &l2); /* kind as an integer */
    expect_env(e2, l2, body, blen, RONDA_ERR_MALFORMED, "kind uint");
    free(e2);
    uint8_t old[4] = {0x01, 0xc4, 0x20, A.pk[0]};
    e2 = fx_splice(env, elen, old, 4, "\x01\xc4\x1f", 3, &l2); /* a 31-byte author */
    expect_env(e2, l2, body, blen, RONDA_ERR_MALFORMED, "author 31");
    free(e2);
    e2 = fx_splice(env, elen, "\x97\x01", 2, "\x97\xcc\x01", 3, &l2); /* version not shortest */
    expect_env(e2, l2, body, blen, RONDA_ERR_MALFORMED, "version cc 01");
    free(e2);
    e2 = fx_splice(env, elen, "\x97", 1, "\x96", 1, &l2); /* an array of 6 */
    expect_env(e2, l2, body, blen, RONDA_ERR_MALFORMED, "array of 6");
    free(e2);
    free(env);
    env = fx_envelope(1, A.pk, 1, NULL, (uint64_t)INT64_MAX, "dialogue", h, &elen);
    expect_env(env, elen, body, blen, RONDA_OK, "hlc 2^63-1");
    free(env);
    /* seal refuses what open would refuse */
    uint8_t *out;
    size_t len;
    assert_err(ronda_record_seal(A.sk, 2, NULL, HLC, RONDA_KIND_DIALOGUE, body, blen, &out, &len), RONDA_ERR_INVALID);
    assert_err(ronda_record_seal(A.sk, 1, prev, HLC, RONDA_KIND_DIALOGUE, body, blen, &out, &len), RONDA_ERR_INVALID);
    assert_err(ronda_record_seal(A.sk, 0, NULL, HLC, RONDA_KIND_DIALOGUE, body, blen, &out, &len), RONDA_ERR_INVALID);
    assert_err(ronda_record_seal(A.sk, 1, NULL, HLC, RONDA_KIND_NONE, body, blen, &out, &len), RONDA_ERR_KIND);
    assert_err(ronda_record_seal(A.sk, 1, NULL, HLC, RONDA_KIND__COUNT, body, blen, &out, &len), RONDA_ERR_KIND);
    free(body);
}

static void test_outer_layout(void **state) {
    (void)state;
    size_t blen, len;
    uint8_t *body = fx_body(RONDA_KIND_DIALOGUE, dialogue(), &blen);
    uint8_t *bytes = seal(&A, 1, NULL, RONDA_KIND_DIALOGUE, body, blen, &len);
    ronda_record r;
    uint8_t *b = malloc(len + 1);
    memcpy(b, bytes, len);
    b[len] = 0xc0;
    assert_err(ronda_record_open(b, len + 1, &r, NULL), RONDA_ERR_MALFORMED); /* trailing bytes */
    b[0] = 0x94;
    assert_err(ronda_record_open(b, len + 1, &r, NULL), RONDA_ERR_MALFORMED); /* array of 4 */
    b[0] = 0x92;
    assert_err(ronda_record_open(b, len, &r, NULL), RONDA_ERR_MALFORMED); /* array of 2 */
    b[0] = 0x83;
    assert_err(ronda_record_open(b, len, &r, NULL), RONDA_ERR_MALFORMED); /* a map */
    free(b);
    assert_true(blen > 255);
    b = malloc(len);
    memcpy(b, bytes, len);
    assert_int_equal(b[len - blen - 3], 0xc5);
    b[len - blen - 3] = 0xda; /* the body as str16 instead of bin16 */
    assert_err(ronda_record_open(b, len, &r, NULL), RONDA_ERR_MALFORMED);
    free(b);
    /* Body with a trailing byte, body hash and signature made to match. */
    uint8_t *body2 = malloc(blen + 1), h[32];
    memcpy(body2, body, blen);
    body2[blen] = 0x00;
    fx_hash(body2, blen + 1, h);
    size_t elen;
    uint8_t *env = fx_envelope(1, A.pk, 1, NULL, HLC, "dialogue", h, &elen);
    expect_env(env, elen, body2, blen + 1, RONDA_ERR_MALFORMED, "trailing body byte");
    free(env);
    free(body2);
    free(bytes);
    free(body);
}

static void test_too_big(void **state) {
    (void)state;
    size_t blen, len, elen;
    uint8_t *body = fx_body(RONDA_KIND_DIALOGUE, dialogue(), &blen);
    uint8_t *bytes = seal(&A, 1, NULL, RONDA_KIND_DIALOGUE, body, blen, &len);
    ronda_record r;
    uint8_t *big = calloc(1, RONDA_RECORD_MAX + 1);
    memcpy(big, bytes, len);
    assert_err(ronda_record_open(big, RONDA_RECORD_MAX + 1, &r, NULL), RONDA_ERR_TOO_BIG);
    /* An envelope over 256 bytes (a long kind), signed. */
    uint8_t h[32];
    fx_hash(body, blen, h);
    char kind[256];
    memset(kind, 'k', 220);
    kind[220] = 0;
    uint8_t *env = fx_envelope(1, A.pk, 1, NULL, HLC, kind, h, &elen);
    assert_true(elen > RONDA_ENVELOPE_MAX);
    expect_env(env, elen, body, blen, RONDA_ERR_TOO_BIG, "envelope");
    free(env);
    /* A body one byte over RONDA_BODY_MAX, hashed and signed: the record itself is under the max. */
    memset(big, 'x', RONDA_BODY_MAX + 1);
    fx_hash(big, RONDA_BODY_MAX + 1, h);
    env = fx_envelope(1, A.pk, 1, NULL, HLC, "dialogue", h, &elen);
    size_t rlen;
    uint8_t *rec = fx_record(&A, env, elen, big, RONDA_BODY_MAX + 1, &rlen);
    assert_true(rlen <= RONDA_RECORD_MAX);
    assert_err(ronda_record_open(rec, rlen, &r, NULL), RONDA_ERR_TOO_BIG);
    assert_err(ronda_record_open_parts(env, elen, rec + elen + 3 + 2, 64, big, RONDA_BODY_MAX + 1, &r, NULL),
               RONDA_ERR_TOO_BIG);
    uint8_t *out;
    size_t olen;
    assert_err(ronda_record_seal(A.sk, 1, NULL, HLC, RONDA_KIND_DIALOGUE, big, RONDA_BODY_MAX + 1, &out, &olen),
               RONDA_ERR_INVALID);
    free(rec);
    free(env);
    free(big);
    free(bytes);
    free(body);
}

/* A dialogue with one string field set to n copies of 'x'; key "title" (name) or a topic summary (text). */
static json_t *with_len(const char *field, size_t n) {
    json_t *j = dialogue();
    char *s = malloc(n + 1);
    memset(s, 'x', n);
    s[n] = 0;
    if (strcmp(field, "summary") == 0)
        json_object_set_new(json_array_get(json_object_get(j, "topics"), 0), "summary", json_string(s));
    else
        json_object_set_new(j, field, json_string(s));
    free(s);
    return j;
}

/* Refused by ronda_body_from_json with `from_json`, and on the wire (signed, via open) with `on_wire`. */
static void expect_body(ronda_kind kind, json_t *j, ronda_err from_json, ronda_err on_wire, const char *what) {
    uint8_t *out = NULL;
    size_t len, rlen, plen;
    ronda_detail d = {{0}};
    ronda_err e = ronda_body_from_json(kind, j, &out, &len, &d);
    if (e == RONDA_OK) free(out);
    if (e != from_json)
        fail_msg("%s: from_json %s (%s), want %s", what, ronda_errname(e), d.text, ronda_errname(from_json));
    json_t *w = fx_wire(j);
    uint8_t *packed = fx_pack(w, &plen);
    json_decref(w);
    uint8_t *rec = seal(&A, 1, NULL, kind, packed, plen, &rlen);
    ronda_record r;
    e = ronda_record_open(rec, rlen, &r, &d);
    if (e != on_wire)
        fail_msg("%s: on the wire %s (%s), want %s", what, ronda_errname(e), d.text, ronda_errname(on_wire));
    e = ronda_body_to_json(kind, packed, plen, NULL, NULL);
    if (e != on_wire) fail_msg("%s: body_to_json %s, want %s", what, ronda_errname(e), ronda_errname(on_wire));
    free(rec);
    free(packed);
    json_decref(j);
}

static void test_field_sizes(void **state) {
    (void)state;
    expect_body(RONDA_KIND_DIALOGUE, with_len("title", RONDA_NAME_MAX), RONDA_OK, RONDA_OK, "name 160");
    expect_body(RONDA_KIND_DIALOGUE, with_len("title", RONDA_NAME_MAX + 1), RONDA_ERR_TOO_BIG, RONDA_ERR_TOO_BIG,
                "name 161");
    expect_body(RONDA_KIND_DIALOGUE, with_len("village", 300), RONDA_ERR_TOO_BIG, RONDA_ERR_TOO_BIG, "village 300");
    expect_body(RONDA_KIND_DIALOGUE, with_len("summary", RONDA_TEXT_MAX), RONDA_OK, RONDA_OK, "text 4096");
    expect_body(RONDA_KIND_DIALOGUE, with_len("summary", RONDA_TEXT_MAX + 1), RONDA_ERR_TOO_BIG, RONDA_ERR_TOO_BIG,
                "text 4097");
    json_t *j = dialogue();
    json_t *officers = json_array();
    for (unsigned i = 0; i < RONDA_LIST_MAX; i++) json_array_append_new(officers, json_string("Bripka Agus"));
    json_object_set_new(j, "officers", json_incref(officers));
    expect_body(RONDA_KIND_DIALOGUE, json_deep_copy(j), RONDA_OK, RONDA_OK, "64 officers");
    json_array_append_new(officers, json_string("Bripka Agus"));
    json_decref(officers);
    expect_body(RONDA_KIND_DIALOGUE, j, RONDA_ERR_TOO_BIG, RONDA_ERR_TOO_BIG, "65 officers");
}

static json_t *with(json_t *j, const char *key, json_t *v) {
    v ? json_object_set_new(j, key, v) : json_object_del(j, key);
    return j;
}

static void test_schema(void **state) {
    (void)state;
    uint8_t id[32];
    memset(id, 0x44, 32);
    const ronda_kind D = RONDA_KIND_DIALOGUE, R = RONDA_KIND_RESOLUTION;
    const ronda_err S = RONDA_ERR_SCHEMA, M = RONDA_ERR_MALFORMED;
    expect_body(D, dialogue(), RONDA_OK, RONDA_OK, "valid dialogue");
    expect_body(D, with(dialogue(), "title", NULL), S, S, "missing title");
    expect_body(D, with(dialogue(), "topics", NULL), S, S, "missing topics");
    expect_body(D, with(dialogue(), "mood", json_string("calm")), S, S, "unknown field");
    expect_body(D, with(dialogue(), "programme", json_string("karaoke")), S, S, "bad programme");
    expect_body(D, with(dialogue(), "title", json_string("")), S, S, "empty title");
    expect_body(D, with(dialogue(), "when", json_string("2026-01-10 09:00")), S, S, "bad time");
    expect_body(D, with(dialogue(), "when", json_string("2026-02-30T09:00:00+07:00")), S, S, "no such day");
    expect_body(D, with(dialogue(), "topics", json_array()), S, S, "no topics");
    expect_body(D, with(dialogue(), "participants", json_integer(RONDA_PARTICIPANTS_MAX)), RONDA_OK, RONDA_OK, "max");
    expect_body(D, with(dialogue(), "participants", json_integer(RONDA_PARTICIPANTS_MAX + 1)), S, S, "participants");
    expect_body(D, with(dialogue(), "title", json_integer(5)), S, M, "title not a string");
    json_t *j = dialogue();
    json_object_set_new(json_array_get(json_object_get(j, "topics"), 0), "category", json_string("weather"));
    expect_body(D, j, S, S, "bad category");
    j = dialogue();
    json_object_set_new(json_array_get(json_object_get(j, "topics"), 1), "votes", json_integer(3));
    expect_body(D, j, S, S, "unknown topic field");
    expect_body(R, fx_resolution_json(id, 0, "resolved", NULL, "Patroli malam"), RONDA_OK, RONDA_OK, "resolution");
    expect_body(R, fx_resolution_json(id, 0, "done", NULL, "Patroli"), S, S, "bad status");
    expect_body(R, fx_resolution_json(id, 0, "referred", NULL, "Diteruskan"), S, S, "referred without referred_to");
    expect_body(R, fx_resolution_json(id, 0, "resolved", "Dishub", "Selesai"), S, S, "referred_to when resolved");
    expect_body(R, fx_resolution_json(id, 0, "referred", "Dishub", "Diteruskan"), RONDA_OK, RONDA_OK, "referred");
    expect_body(R, fx_resolution_json(id, RONDA_LIST_MAX, "resolved", NULL, "x"), S, S, "topic 64");
    expect_body(R, with(fx_resolution_json(id, 0, "resolved", NULL, "x"), "dialogue", json_string("hex:abcd")), S, S,
                "short id");
    const ronda_kind MB = RONDA_KIND_MEMBER, RV = RONDA_KIND_REVOKE;
    expect_body(MB, fx_member_json(&B, "precinct", "Polsek Durenan", FX_T0, FX_T0 + 1), RONDA_OK, RONDA_OK, "member");
    expect_body(MB, fx_member_json(&B, "precinct", "Polsek Durenan", FX_T0, FX_T0), S, S, "until == from");
    expect_body(MB, fx_member_json(&B, "precinct", "Polsek Durenan", FX_T0, FX_T0 - 1), S, S, "until < from");
    expect_body(MB, fx_member_json(&B, "chief", "Polsek Durenan", FX_T0, FX_T0 + 1), S, S, "bad role");
    expect_body(MB, with(fx_member_json(&B, "precinct", "P", FX_T0, FX_T0 + 1), "polsek", NULL), S, S, "no polsek");
    expect_body(MB, with(fx_member_json(&B, "hq", "Polres", FX_T0, FX_T0 + 1), "polres", NULL), S, S, "hq no polres");
    expect_body(MB, with(fx_member_json(&B, "hq", "P", FX_T0, FX_T0 + 1), "sign_key", NULL), S, S, "no sign_key");
    expect_body(MB, with(fx_member_json(&B, "auditor", "BPK", FX_T0, FX_T0 + 1), "sign_key", json_integer(1)), S, M,
                "sign_key not bytes");
    char hex[65];
    fx_hex(B.pk, 32, hex);
    json_t *rv = json_pack("{s:s, s:s, s:I}", "member", hex, "reason", "Kunci hilang", "last_seq", (json_int_t)3);
    expect_body(RV, json_deep_copy(rv), S, S, "last_seq > 0 without last_id");
    json_object_set_new(rv, "last_id", json_string(hex));
    expect_body(RV, json_deep_copy(rv), RONDA_OK, RONDA_OK, "revoke");
    json_object_set_new(rv, "last_seq", json_integer(0));
    expect_body(RV, rv, S, S, "last_id with last_seq 0");
    fx_hex(id, 32, hex);
    json_t *am = json_pack("{s:o, s:s, s:s, s:s}", "body", dialogue(), "kind", "dialogue", "reason", "Salah ketik",
                           "target", hex);
    expect_body(RONDA_KIND_AMEND, json_deep_copy(am), RONDA_OK, RONDA_OK, "amend");
    json_object_del(json_object_get(am, "body"), "venue");
    expect_body(RONDA_KIND_AMEND, json_deep_copy(am), S, S, "amend body without venue");
    json_object_set_new(am, "body", fx_member_json(&B, "hq", "P", FX_T0, FX_T0 + 1));
    json_object_set_new(am, "kind", json_string("member"));
    expect_body(RONDA_KIND_AMEND, am, S, S, "amend of a member");
}

/* ronda_body_encode is ronda_body_decode's inverse: every kind's canonical bytes come back
 * byte for byte from their typed body; a typed body that breaks its schema is refused with
 * the decoder's error; ronda_body_entries_list builds a frontier the decoder reads back. */
static void encode_same(ronda_kind kind, json_t *json) {
    size_t len = 0, len2 = 0;
    uint8_t *bytes = fx_body(kind, json, &len), *again = NULL;
    ronda_body b;
    assert_ok(ronda_body_decode(kind, bytes, len, &b, NULL));
    assert_ok(ronda_body_encode(&b, &again, &len2, NULL));
    assert_int_equal(len2, len);
    assert_memory_equal(again, bytes, len);
    free(again);
    free(bytes);
}

static void test_typed_encode(void **state) {
    (void)state;
    uint8_t id[32];
    memset(id, 0x44, 32);
    char hex[65];
    encode_same(RONDA_KIND_DIALOGUE, dialogue());
    encode_same(RONDA_KIND_RESOLUTION, fx_resolution_json(id, 1, "referred", "Dishub", "Diteruskan"));
    encode_same(RONDA_KIND_MEMBER, fx_member_json(&B, "precinct", "Polsek Durenan", FX_T0, FX_T0 + 1));
    fx_hex(id, 32, hex);
    encode_same(RONDA_KIND_AMEND, json_pack("{s:o, s:s, s:s, s:s}", "body", dialogue(), "kind", "dialogue", "reason",
                                            "Salah ketik", "target", hex));
    encode_same(RONDA_KIND_REVOKE, json_pack("{s:s, s:s, s:I, s:s}", "member", hex, "reason", "Kunci hilang",
                                             "last_seq", (json_int_t)3, "last_id", hex));

    /* A checkpoint's frontier from entries, then the whole body, read back. */
    uint8_t keys[3][32], heads[3][32], digest[32], root[32], sig[64];
    ronda_entry en[3];
    for (int i = 0; i < 3; i++) {
        memset(keys[i], 0x10 + i, 32);
        memset(heads[i], 0x20 + i, 32);
        en[i] = (ronda_entry){.seq = {(uint64_t)(i + 1), 1}, .head = heads[i], .author = keys[i]};
    }
    memset(digest, 0x30, 32);
    memset(root, 0x31, 32);
    memset(sig, 0x32, 64);
    uint8_t *items = NULL, *bytes = NULL;
    size_t len = 0;
    ronda_body b;
    memset(&b, 0, sizeof b);
    b.kind = RONDA_KIND_CHECKPOINT;
    assert_ok(ronda_body_entries_list(en, 3, &items, &b.u.checkpoint.frontier));
    b.u.checkpoint.part = (ronda_uint){0, 1};
    b.u.checkpoint.parts = (ronda_uint){1, 1};
    b.u.checkpoint.records = (ronda_uint){6, 1};
    b.u.checkpoint.digest = digest;
    b.u.checkpoint.size = (ronda_uint){6, 1};
    b.u.checkpoint.root = root;
    b.u.checkpoint.note_sig = sig;
    assert_ok(ronda_body_encode(&b, &bytes, &len, NULL));
    ronda_body back;
    assert_ok(ronda_body_decode(RONDA_KIND_CHECKPOINT, bytes, len, &back, NULL));
    ronda_entry got[3];
    assert_int_equal(ronda_body_entries(&back.u.checkpoint.frontier, got, 3), 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(got[i].seq.v, (uint64_t)(i + 1));
        assert_memory_equal(got[i].author, keys[i], 32);
        assert_memory_equal(got[i].head, heads[i], 32);
    }
    assert_memory_equal(back.u.checkpoint.root, root, 32);
    assert_memory_equal(back.u.checkpoint.note_sig, sig, 64);
    free(bytes);

    /* What the schema refuses, the encoder refuses: no digest (required), more parts than
     * RONDA_CHECKPOINT_PARTS_MAX, an empty frontier; and no list beyond its bound is built. */
    ronda_detail d = {{0}};
    bytes = NULL;
    b.u.checkpoint.digest = NULL;
    assert_int_equal(ronda_body_encode(&b, &bytes, &len, &d), RONDA_ERR_SCHEMA);
    assert_null(bytes);
    assert_non_null(strstr(d.text, "digest"));
    b.u.checkpoint.digest = digest;
    b.u.checkpoint.parts = (ronda_uint){RONDA_CHECKPOINT_PARTS_MAX + 1, 1};
    assert_int_equal(ronda_body_encode(&b, &bytes, &len, NULL), RONDA_ERR_SCHEMA);
    b.u.checkpoint.parts = (ronda_uint){1, 1};
    free(items);
    assert_ok(ronda_body_entries_list(en, 0, &items, &b.u.checkpoint.frontier));
    assert_int_equal(ronda_body_encode(&b, &bytes, &len, NULL), RONDA_ERR_SCHEMA);
    free(items);
    ronda_list big;
    assert_int_equal(ronda_body_entries_list(en, RONDA_CHECKPOINT_AUTHORS_MAX + 1, &items, &big), RONDA_ERR_TOO_BIG);

    /* An enum out of range, a kind out of range. */
    ronda_body m;
    size_t mlen = 0;
    uint8_t *mb = fx_body(RONDA_KIND_MEMBER, fx_member_json(&B, "hq", "Polres", FX_T0, FX_T0 + 1), &mlen);
    assert_ok(ronda_body_decode(RONDA_KIND_MEMBER, mb, mlen, &m, NULL));
    m.u.member.role = 9;
    assert_int_equal(ronda_body_encode(&m, &bytes, &len, NULL), RONDA_ERR_SCHEMA);
    m.kind = RONDA_KIND__COUNT;
    assert_int_equal(ronda_body_encode(&m, &bytes, &len, NULL), RONDA_ERR_KIND);
    free(mb);
}

static void test_redacted(void **state) {
    (void)state;
    size_t blen, len, rlen;
    uint8_t *body = fx_body(RONDA_KIND_DIALOGUE, dialogue(), &blen);
    uint8_t *bytes = seal(&A, 1, NULL, RONDA_KIND_DIALOGUE, body, blen, &len);
    ronda_record r, red;
    assert_ok(ronda_record_open(bytes, len, &r, NULL));
    r.body = NULL;
    r.body_len = 0;
    uint8_t *redacted;
    assert_ok(ronda_record_encode(&r, &redacted, &rlen));
    assert_int_equal(redacted[rlen - 1], 0xc0);
    assert_ok(ronda_record_open(redacted, rlen, &red, NULL));
    assert_null(red.body);
    assert_int_equal(red.body_len, 0);
    assert_memory_equal(red.id, r.id, 32);
    assert_memory_equal(red.body_hash, r.body_hash, 32);
    assert_ok(ronda_record_open_parts(r.envelope, r.envelope_len, r.signature, 64, NULL, 0, &red, NULL));
    assert_memory_equal(red.id, r.id, 32);
    uint8_t sig[64];
    memcpy(sig, r.signature, 64);
    sig[5] ^= 1; /* the signature still binds a redacted record */
    assert_err(ronda_record_open_parts(r.envelope, r.envelope_len, sig, 64, NULL, 0, &red, NULL), RONDA_ERR_SIGNATURE);
    for (size_t n = 0; n < rlen; n++) assert_err(ronda_record_open(redacted, n, &red, NULL), RONDA_ERR_TRUNCATED);
    free(redacted);
    free(bytes);
    free(body);
}

/* No single-byte change (xor 0x01 or 0x80 anywhere) opens, and none crashes. */
static void flip_all(const uint8_t *bytes, size_t len, const uint8_t *id) {
    uint8_t *b = malloc(len);
    size_t refused = 0;
    for (size_t pos = 0; pos < len; pos++) {
        for (int m = 0; m < 2; m++) {
            memcpy(b, bytes, len);
            b[pos] ^= m ? 0x80 : 0x01;
            ronda_record r;
            ronda_err e = ronda_record_open(b, len, &r, NULL);
            if (e == RONDA_OK && memcmp(r.id, id, 32) == 0) fail_msg("flip at %zu opens with the same id", pos);
            if (e == RONDA_OK) fail_msg("flip at %zu (mask %d) opens as another record", pos, m);
            assert_true(e != RONDA_ERR_NOMEM && !ronda_err_is_db(e) && e != RONDA_ERR_INVALID);
            refused++;
        }
    }
    assert_int_equal(refused, 2 * len);
    free(b);
}

static void test_flip_every_byte(void **state) {
    (void)state;
    size_t blen, len, rlen;
    uint8_t prev[32];
    memset(prev, 0x55, 32);
    uint8_t *body = fx_body(RONDA_KIND_DIALOGUE, dialogue(), &blen);
    uint8_t *bytes = seal(&A, 7, prev, RONDA_KIND_DIALOGUE, body, blen, &len);
    ronda_record r;
    assert_ok(ronda_record_open(bytes, len, &r, NULL));
    flip_all(bytes, len, r.id);
    r.body = NULL;
    uint8_t *redacted;
    assert_ok(ronda_record_encode(&r, &redacted, &rlen));
    flip_all(redacted, rlen, r.id);
    free(redacted);
    free(bytes);
    free(body);
}

static void test_helpers(void **state) {
    (void)state;
    for (int k = RONDA_KIND_DIALOGUE; k < RONDA_KIND__COUNT; k++) {
        const char *n = ronda_kind_name((ronda_kind)k);
        assert_non_null(n);
        assert_int_equal(ronda_kind_from_name(n, strlen(n)), k);
        assert_int_equal(ronda_kind_is_authority((ronda_kind)k), k == RONDA_KIND_MEMBER || k == RONDA_KIND_REVOKE);
    }
    assert_null(ronda_kind_name(RONDA_KIND_NONE));
    assert_null(ronda_kind_name(RONDA_KIND__COUNT));
    assert_int_equal(ronda_kind_from_name("dialog", 6), RONDA_KIND_NONE);
    assert_int_equal(ronda_kind_from_name(NULL, 0), RONDA_KIND_NONE);
    uint8_t b[4];
    assert_ok(ronda_unhex("00fFa0", b, 3));
    assert_int_equal(b[1], 0xff);
    assert_err(ronda_unhex("00ff", b, 3), RONDA_ERR_INVALID);
    assert_err(ronda_unhex("00ffzz", b, 3), RONDA_ERR_INVALID);
    assert_err(ronda_unhex(NULL, b, 1), RONDA_ERR_INVALID);
    assert_int_equal(ronda_hlc_next(5, 0), 5ull << 16);
    assert_int_equal(ronda_hlc_next(5, (5ull << 16) + 3), (5ull << 16) + 4); /* same ms: counter */
    assert_int_equal(ronda_hlc_next(4, 5ull << 16), (5ull << 16) + 1);       /* clock went back */
    assert_int_equal(ronda_hlc_ms((7ull << 16) | 9), 7);
    assert_err(ronda_body_to_json(RONDA_KIND_NONE, b, 1, NULL, NULL), RONDA_ERR_KIND);
}

int main(void) {
    if (ronda_init() != RONDA_OK) return 1;
    fx_key_make(&A, 2);
    fx_key_make(&B, 3);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_truncated_every_length),
        cmocka_unit_test(test_signature_and_body_hash),
        cmocka_unit_test(test_altered_envelope),
        cmocka_unit_test(test_envelope_rules),
        cmocka_unit_test(test_outer_layout),
        cmocka_unit_test(test_too_big),
        cmocka_unit_test(test_field_sizes),
        cmocka_unit_test(test_schema),
        cmocka_unit_test(test_typed_encode),
        cmocka_unit_test(test_redacted),
        cmocka_unit_test(test_flip_every_byte),
        cmocka_unit_test(test_helpers),
    };
    return cmocka_run_group_tests_name("record", tests, NULL, NULL);
}
