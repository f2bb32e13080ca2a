/* The sync messages (src/sync/wire.c, proto/sync.md "Messages"): each message's encoder and
 * the decoder agree byte for byte; every truncation of every message, every count beyond its
 * limit or the bytes left and every item of the wrong kind is refused as malformed, with
 * ASan watching each read (every input sits in a buffer of exactly its size). */
#include "fixtures.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "record/canon.h"
#include "sync/wire.h"

static uint8_t key_a[RONDA_KEY_BYTES], key_b[RONDA_KEY_BYTES], hash_a[RONDA_HASH_BYTES];
static uint8_t pair_ab[2 * RONDA_ID_BYTES];

static void fill(void) {
    memset(key_a, 0xa1, sizeof key_a);
    memset(key_b, 0xb2, sizeof key_b);
    memset(hash_a, 0x5c, sizeof hash_a);
    memset(pair_ab, 0x11, RONDA_ID_BYTES);
    memset(pair_ab + RONDA_ID_BYTES, 0x22, RONDA_ID_BYTES);
}

static uint8_t *take(cwr *w, size_t *len) {
    uint8_t *out;
    assert_ok(cwr_take(w, &out, len));
    cwr_destroy(w);
    return out;
}

/* Decode from a copy of exactly len bytes (so ASan sees any read past them). */
static ronda_err decode_exact(const uint8_t *b, size_t len, sync_wire_msg *m, ronda_detail *d) {
    uint8_t *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    if (len) memcpy(copy, b, len);
    ronda_err e = sync_wire_decode(copy, len, m, d);
    free(copy); /* m's pointers are not used after this */
    return e;
}

/* Decode, write back with sync_wire_encode, compare; then every prefix is refused. */
static void round_trip(const uint8_t *b, size_t len, sync_wire_type type) {
    static sync_wire_msg m;
    ronda_detail d;
    assert_ok(sync_wire_decode(b, len, &m, &d));
    assert_int_equal(m.type, type);
    assert_int_equal(m.partial, 0);
    cwr w;
    cwr_init(&w);
    sync_wire_encode(&w, &m);
    size_t olen;
    uint8_t *out = take(&w, &olen);
    assert_int_equal(olen, len);
    assert_memory_equal(out, b, len);
    free(out);
    for (size_t cut = 0; cut < len; cut++) {
        ronda_err e = decode_exact(b, cut, &m, &d);
        if (e != RONDA_ERR_MALFORMED) fail_msg("type %d cut at %zu of %zu: %s", (int)type, cut, len, ronda_errname(e));
    }
}

static void test_hello(void **state) {
    (void)state;
    cwr w;
    cwr_init(&w);
    uint64_t features = SYNC_FEATURES_ALL | 0x40; /* a bit this build does not know */
    sync_wire_hello_enc(&w, key_a, hash_a, 1700000000123ull, &features);
    size_t len;
    uint8_t *b = take(&w, &len);
    round_trip(b, len, SYNC_WIRE_HELLO);
    static sync_wire_msg m;
    assert_ok(sync_wire_decode(b, len, &m, NULL));
    assert_int_equal(m.u.hello.version, SYNC_PROTO_VERSION);
    assert_memory_equal(m.u.hello.authority, key_a, RONDA_KEY_BYTES);
    assert_memory_equal(m.u.hello.digest, hash_a, RONDA_HASH_BYTES);
    assert_true(m.u.hello.has_clock);
    assert_int_equal(m.u.hello.clock_ms, 1700000000123ull);
    assert_true(m.u.hello.has_features);
    assert_int_equal(m.u.hello.features, SYNC_FEATURES_ALL | 0x40);
    assert_int_equal(m.u.hello.later, 0);
    free(b);
    /* the 5-item HELLO of the builds before features: a clock, no features */
    cwr_init(&w);
    sync_wire_hello_enc(&w, key_a, hash_a, 7, NULL);
    b = take(&w, &len);
    round_trip(b, len, SYNC_WIRE_HELLO);
    assert_ok(sync_wire_decode(b, len, &m, NULL));
    assert_true(m.u.hello.has_clock);
    assert_false(m.u.hello.has_features);
    free(b);
    /* a later build's HELLO of 8 items: the 7th and 8th (a text, an array) are read,
     * bounded, and ignored, and the message still writes back as it came */
    cwr_init(&w);
    cwr_array(&w, 8);
    cwr_uint(&w, 0);
    cwr_uint(&w, 1);
    cwr_bin(&w, key_a, RONDA_KEY_BYTES);
    cwr_bin(&w, hash_a, RONDA_HASH_BYTES);
    cwr_uint(&w, 9);
    cwr_uint(&w, SYNC_FEAT_ZSTD);
    cwr_str(&w, "v2", 2);
    cwr_array(&w, 2);
    cwr_uint(&w, 1);
    cwr_uint(&w, 2);
    b = take(&w, &len);
    round_trip(b, len, SYNC_WIRE_HELLO);
    assert_ok(sync_wire_decode(b, len, &m, NULL));
    assert_int_equal(m.u.hello.features, SYNC_FEAT_ZSTD);
    assert_int_equal(m.u.hello.later, 2);
    free(b);
    /* the 4-item HELLO of older builds: no clock */
    cwr_init(&w);
    cwr_array(&w, 4);
    cwr_uint(&w, 0);
    cwr_uint(&w, 1);
    cwr_bin(&w, key_a, RONDA_KEY_BYTES);
    cwr_bin(&w, hash_a, RONDA_HASH_BYTES);
    b = take(&w, &len);
    round_trip(b, len, SYNC_WIRE_HELLO);
    assert_ok(sync_wire_decode(b, len, &m, NULL));
    assert_false(m.u.hello.has_clock);
    free(b);
}

static void test_synced_want(void **state) {
    (void)state;
    cwr w;
    size_t len;
    cwr_init(&w);
    sync_wire_synced_enc(&w, hash_a);
    uint8_t *b = take(&w, &len);
    round_trip(b, len, SYNC_WIRE_SYNCED);
    free(b);
    cwr_init(&w);
    sync_wire_want_enc(&w, key_b, 70000, 1024);
    b = take(&w, &len);
    round_trip(b, len, SYNC_WIRE_WANT);
    static sync_wire_msg m;
    assert_ok(sync_wire_decode(b, len, &m, NULL));
    assert_memory_equal(m.u.want.author, key_b, RONDA_KEY_BYTES);
    assert_int_equal(m.u.want.from, 70000);
    assert_int_equal(m.u.want.max, 1024);
    free(b);
}

static void test_frontier(void **state) {
    (void)state;
    cwr w;
    size_t len;
    cwr_init(&w);
    sync_wire_frontier_enc(&w, 1, 3, 0);
    sync_wire_entry_enc(&w, key_a, 5, hash_a, 0, NULL);
    sync_wire_entry_enc(&w, key_b, 9, hash_a, 7, NULL);      /* 4 items: a fork, no evidence */
    sync_wire_entry_enc(&w, key_b, 300, hash_a, 3, pair_ab); /* 5 items */
    uint8_t *b = take(&w, &len);
    round_trip(b, len, SYNC_WIRE_FRONTIER);
    static sync_wire_msg m;
    assert_ok(sync_wire_decode(b, len, &m, NULL));
    const sync_wire_frontier *f = &m.u.frontier;
    assert_int_equal(f->last, 1);
    assert_int_equal(f->n, 3);
    assert_int_equal(f->e[0].fork, 0);
    assert_null(f->e[0].pair);
    assert_int_equal(f->e[1].fork, 7);
    assert_null(f->e[1].pair);
    assert_int_equal(f->e[2].seq, 300);
    assert_memory_equal(f->e[2].pair, pair_ab, sizeof pair_ab);
    free(b);
    /* a chunk of a delta frontier: round and chunk after the entries */
    cwr_init(&w);
    sync_wire_frontier_enc(&w, 0, 1, 1);
    sync_wire_entry_enc(&w, key_a, 5, hash_a, 0, NULL);
    sync_wire_frontier_round_enc(&w, 7, 2);
    b = take(&w, &len);
    round_trip(b, len, SYNC_WIRE_FRONTIER);
    assert_ok(sync_wire_decode(b, len, &m, NULL));
    assert_true(f->has_round);
    assert_int_equal(f->round, 7);
    assert_int_equal(f->chunk, 2);
    assert_int_equal(f->n, 1);
    free(b);
    /* round 0 is not a round; a bad entry in a delta chunk leaves none of it */
    ronda_detail dd;
    cwr_init(&w);
    sync_wire_frontier_enc(&w, 1, 1, 1);
    sync_wire_entry_enc(&w, key_a, 5, hash_a, 0, NULL);
    sync_wire_frontier_round_enc(&w, 0, 0);
    b = take(&w, &len);
    assert_err(decode_exact(b, len, &m, &dd), RONDA_ERR_MALFORMED);
    assert_string_equal(dd.text, "malformed FRONTIER round");
    assert_false(m.partial);
    free(b);
    cwr_init(&w);
    sync_wire_frontier_enc(&w, 1, 2, 1);
    sync_wire_entry_enc(&w, key_a, 5, hash_a, 0, NULL);
    cwr_array(&w, 2); /* an entry of 2 items */
    cwr_bin(&w, key_b, RONDA_KEY_BYTES);
    cwr_uint(&w, 1);
    sync_wire_frontier_round_enc(&w, 1, 0);
    b = take(&w, &len);
    assert_err(decode_exact(b, len, &m, &dd), RONDA_ERR_MALFORMED);
    assert_false(m.partial);
    assert_int_equal(m.u.frontier.n, 0);
    free(b);
    /* a full chunk round-trips; one entry more is refused before any is read */
    for (uint32_t n = SYNC_FRONTIER_CHUNK; n <= SYNC_FRONTIER_CHUNK + 1; n++) {
        cwr_init(&w);
        sync_wire_frontier_enc(&w, 0, n, 0);
        for (uint32_t i = 0; i < n; i++) sync_wire_entry_enc(&w, key_a, i, hash_a, 0, NULL);
        b = take(&w, &len);
        ronda_detail d;
        if (n == SYNC_FRONTIER_CHUNK) {
            assert_ok(sync_wire_decode(b, len, &m, &d));
            assert_int_equal(m.u.frontier.n, n);
        } else {
            assert_err(sync_wire_decode(b, len, &m, &d), RONDA_ERR_MALFORMED);
            assert_string_equal(d.text, "malformed FRONTIER");
            assert_false(m.partial);
        }
        free(b);
    }
}

static void test_records(void **state) {
    (void)state;
    uint8_t rec[300];
    memset(rec, 0x42, sizeof rec);
    cwr w;
    size_t len;
    for (int reply = 0; reply <= 1; reply++) {
        cwr_init(&w);
        sync_wire_records_enc(&w, (uint64_t)reply, reply ? key_a : NULL, 3);
        cwr_bin(&w, rec, 1);
        cwr_bin(&w, rec, 200);
        cwr_bin(&w, rec, sizeof rec);
        uint8_t *b = take(&w, &len);
        round_trip(b, len, SYNC_WIRE_RECORDS);
        static sync_wire_msg m;
        assert_ok(sync_wire_decode(b, len, &m, NULL));
        assert_int_equal(m.u.records.reply, (uint64_t)reply);
        if (reply)
            assert_memory_equal(m.u.records.author, key_a, RONDA_KEY_BYTES);
        else
            assert_null(m.u.records.author);
        assert_int_equal(m.u.records.count, 3);
        assert_int_equal(m.u.records.got, 3);
        assert_int_equal(m.u.records.len[2], sizeof rec);
        assert_false(sync_wire_large_reply(&m));
        free(b);
    }
    /* the limits: SYNC_BATCH_RECORDS round-trips (and is a large reply), one more is refused */
    for (uint32_t n = SYNC_BATCH_RECORDS; n <= SYNC_BATCH_RECORDS + 1; n++) {
        cwr_init(&w);
        sync_wire_records_enc(&w, 1, key_b, n);
        for (uint32_t i = 0; i < n; i++) cwr_bin(&w, rec, 4);
        uint8_t *b = take(&w, &len);
        static sync_wire_msg m;
        ronda_detail d;
        if (n == SYNC_BATCH_RECORDS) {
            round_trip(b, len, SYNC_WIRE_RECORDS);
            assert_ok(sync_wire_decode(b, len, &m, &d));
            assert_true(sync_wire_large_reply(&m));
        } else {
            assert_err(sync_wire_decode(b, len, &m, &d), RONDA_ERR_MALFORMED);
            assert_string_equal(d.text, "malformed RECORDS batch");
        }
        free(b);
    }
}

/* Messages refused, each with the text the core logs against its peer. */
static void test_refused(void **state) {
    (void)state;
    static const struct {
        const char *hex;
        const char *why;
    } cases[] = {
        {"", "not a sync message"},
        {"c0", "not a sync message"},
        {"90", "not a sync message"},
        {"91c0", "not a sync message"},
        {"9106", "unknown message type"},
        {"9105", "malformed ZSTD"},
        {"91cd0005", "not a sync message"}, /* a non-canonical uint: the reader refuses it */
        {"9100", "malformed HELLO"},
        {"920100", "malformed SYNCED"},
        {"9301c0", "not a sync message"}, /* 3 items in 2 bytes: the reader checks counts */
        {"920200", "malformed FRONTIER"},
        {"930200dc0000", "malformed FRONTIER"},     /* array16 for a count < 16 is not canonical */
        {"930200dd7fffffff", "malformed FRONTIER"}, /* a count of 2^31 over no bytes */
        {"930200dd00010000", "malformed FRONTIER"}, /* 65536 > SYNC_FRONTIER_CHUNK */
        {"930200dc0011", "malformed FRONTIER"},     /* 17 entries, no bytes for them */
        {"930200910a", "malformed FRONTIER"},       /* 1 entry in fewer bytes than any entry takes */
        {"93030000", "malformed WANT"},
        {"940300000000", "malformed WANT"},
        {"9404000000", "malformed RECORDS"},
        {"940401c0dc0400", "malformed RECORDS batch"}, /* 1024 records over no bytes */
        {"940401c0dd00010000", "malformed RECORDS batch"},
        {"940401c09100", "malformed RECORDS batch"}, /* a count of 1, one byte left */
        {"940401c4ff", "malformed RECORDS"},
        {"940401c0c0", "malformed RECORDS batch"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len;
        uint8_t *b = fx_unhex(cases[i].hex, &len);
        static sync_wire_msg m;
        ronda_detail d;
        ronda_err e = decode_exact(b, len, &m, &d);
        free(b);
        if (e != RONDA_ERR_MALFORMED || strcmp(d.text, cases[i].why) != 0)
            fail_msg("\"%s\": got %s \"%s\", want MALFORMED \"%s\"", cases[i].hex, ronda_errname(e),
                     e == RONDA_OK ? "" : d.text, cases[i].why);
        assert_false(m.partial);
    }
    /* larger than any message a peer may send: refused before it is read */
    size_t big = (size_t)SYNC_MSG_MAX + 1;
    uint8_t *b = calloc(big, 1);
    assert_non_null(b);
    b[0] = 0x91;
    static sync_wire_msg m;
    ronda_detail d;
    assert_err(sync_wire_decode(b, big, &m, &d), RONDA_ERR_MALFORMED);
    assert_string_equal(d.text, "message larger than SYNC_MSG_MAX");
    free(b);
}

/* Items of the wrong kind or length in each message, wrong item counts. */
static void test_wrong_items(void **state) {
    (void)state;
    uint8_t short_key[RONDA_KEY_BYTES - 1];
    memset(short_key, 1, sizeof short_key);
    static sync_wire_msg m;
    ronda_detail d;
    cwr w;
    size_t len;
    uint8_t *b;
    /* HELLO claiming 6 items and holding 5, with a short authority, with a str clock */
    cwr_init(&w);
    sync_wire_hello_enc(&w, key_a, hash_a, 1, NULL);
    b = take(&w, &len);
    b[0] = 0x96;
    assert_err(decode_exact(b, len, &m, &d), RONDA_ERR_MALFORMED);
    assert_string_equal(d.text, "malformed HELLO");
    free(b);
    cwr_init(&w);
    cwr_array(&w, 4);
    cwr_uint(&w, 0);
    cwr_uint(&w, 1);
    cwr_bin(&w, short_key, sizeof short_key);
    cwr_bin(&w, hash_a, RONDA_HASH_BYTES);
    b = take(&w, &len);
    assert_err(decode_exact(b, len, &m, &d), RONDA_ERR_MALFORMED);
    assert_string_equal(d.text, "malformed HELLO");
    free(b);
    /* FRONTIER entries: 2 items, a 4-item entry with fork 0, evidence not ascending, a short
     * head. The entries before a bad one stand (partial), as older builds acted on them. */
    for (int bad = 0; bad < 4; bad++) {
        cwr_init(&w);
        sync_wire_frontier_enc(&w, 1, 2, 0);
        sync_wire_entry_enc(&w, key_a, 1, hash_a, 0, NULL);
        if (bad == 0) {
            cwr_array(&w, 2); /* long enough for the count's bound: it is refused for its items */
            cwr_bin(&w, key_b, RONDA_KEY_BYTES);
            cwr_bin(&w, pair_ab, sizeof pair_ab);
        } else if (bad == 1) {
            cwr_array(&w, 4);
            cwr_bin(&w, key_b, RONDA_KEY_BYTES);
            cwr_uint(&w, 1);
            cwr_bin(&w, hash_a, RONDA_ID_BYTES);
            cwr_uint(&w, 0);
        } else if (bad == 2) {
            uint8_t down[2 * RONDA_ID_BYTES];
            memcpy(down, pair_ab + RONDA_ID_BYTES, RONDA_ID_BYTES);
            memcpy(down + RONDA_ID_BYTES, pair_ab, RONDA_ID_BYTES);
            sync_wire_entry_enc(&w, key_b, 4, hash_a, 2, down);
        } else {
            cwr_array(&w, 3);
            cwr_bin(&w, key_b, RONDA_KEY_BYTES);
            cwr_uint(&w, 1000); /* 3 bytes: keeps the entries within the count's bound */
            cwr_bin(&w, short_key, sizeof short_key);
        }
        b = take(&w, &len);
        assert_err(decode_exact(b, len, &m, &d), RONDA_ERR_MALFORMED);
        assert_string_equal(d.text, "malformed FRONTIER entry");
        assert_true(m.partial);
        assert_int_equal(m.type, SYNC_WIRE_FRONTIER);
        assert_int_equal(m.u.frontier.n, 1);
        free(b);
    }
    /* RECORDS: a short author, an item that is not bytes (the records before it stand) */
    cwr_init(&w);
    cwr_array(&w, 4);
    cwr_uint(&w, 4);
    cwr_uint(&w, 1);
    cwr_bin(&w, short_key, sizeof short_key);
    cwr_array(&w, 0);
    b = take(&w, &len);
    assert_err(decode_exact(b, len, &m, &d), RONDA_ERR_MALFORMED);
    assert_string_equal(d.text, "malformed RECORDS");
    free(b);
    cwr_init(&w);
    sync_wire_records_enc(&w, 0, NULL, 3);
    cwr_bin(&w, key_a, 10);
    cwr_uint(&w, 9);
    cwr_bin(&w, key_a, 10);
    b = take(&w, &len);
    assert_err(decode_exact(b, len, &m, &d), RONDA_ERR_MALFORMED);
    assert_string_equal(d.text, "RECORDS item 1 is not bytes");
    assert_true(m.partial);
    assert_int_equal(m.u.records.count, 3);
    assert_int_equal(m.u.records.got, 1);
    free(b);
    /* WANT with a str author */
    cwr_init(&w);
    cwr_array(&w, 4);
    cwr_uint(&w, 3);
    cwr_str(&w, "abc", 3);
    cwr_uint(&w, 1);
    cwr_uint(&w, 1);
    b = take(&w, &len);
    assert_err(decode_exact(b, len, &m, &d), RONDA_ERR_MALFORMED);
    assert_string_equal(d.text, "malformed WANT");
    free(b);
}

/* A RECORDS reply of n records of `size` bytes each, alike but for a counter (as dialogues
 * are alike but for their texts, ids and signatures). */
static uint8_t *records_msg(uint32_t n, size_t size, size_t *len) {
    cwr w;
    cwr_init(&w);
    sync_wire_records_enc(&w, 1, key_a, n);
    uint8_t *rec = malloc(size);
    assert_non_null(rec);
    for (uint32_t i = 0; i < n; i++) {
        for (size_t k = 0; k < size; k++)
            rec[k] = (uint8_t)("Warkop Kamtibmas di Desa Sumberejo "[k % 35] ^ (k < 8 ? i : 0));
        cwr_bin(&w, rec, size);
    }
    free(rec);
    return take(&w, len);
}

/* ZSTD: a RECORDS message deflated and inflated is the same message, decoded as RECORDS;
 * a small or incompressible one is not deflated. */
static void test_zstd(void **state) {
    (void)state;
    ZSTD_CCtx *cc = ZSTD_createCCtx();
    ZSTD_DCtx *dc = ZSTD_createDCtx();
    assert_non_null(cc);
    assert_non_null(dc);
    size_t len, zlen, ilen;
    uint8_t *msg = records_msg(200, 400, &len), *z, *inner;
    assert_int_equal(sync_wire_deflate(cc, SYNC_ZSTD_LEVEL, msg, len, &z, &zlen), 1);
    assert_true(zlen < len / 4);
    round_trip(z, zlen, SYNC_WIRE_ZSTD);
    static sync_wire_msg m;
    ronda_detail d;
    assert_ok(sync_wire_decode(z, zlen, &m, &d));
    assert_ok(sync_wire_inflate(dc, &m.u.zstd, &inner, &ilen, &d));
    assert_int_equal(ilen, len);
    assert_memory_equal(inner, msg, len);
    assert_ok(sync_wire_decode(inner, ilen, &m, &d));
    assert_int_equal(m.type, SYNC_WIRE_RECORDS);
    assert_int_equal(m.u.records.count, 200);
    free(inner);
    free(z);
    free(msg);
    /* random bytes do not compress: the message stays as it is */
    uint8_t noise[600];
    randombytes_buf(noise, sizeof noise);
    cwr w;
    cwr_init(&w);
    sync_wire_records_enc(&w, 0, NULL, 1);
    cwr_bin(&w, noise, sizeof noise);
    msg = take(&w, &len);
    assert_int_equal(sync_wire_deflate(cc, SYNC_ZSTD_LEVEL, msg, len, &z, &zlen), 0);
    free(msg);
    ZSTD_freeCCtx(cc);
    ZSTD_freeDCtx(dc);
}

/* [5, bin] around the given frame bytes */
static uint8_t *zstd_msg(const uint8_t *frame, size_t flen, size_t *len) {
    cwr w;
    cwr_init(&w);
    cwr_array(&w, 2);
    cwr_uint(&w, SYNC_WIRE_ZSTD);
    cwr_bin(&w, frame, flen);
    return take(&w, len);
}

static void expect_refused(ZSTD_DCtx *dc, const uint8_t *frame, size_t flen, const char *why) {
    size_t len, ilen;
    uint8_t *b = zstd_msg(frame, flen, &len), *inner = (uint8_t *)"x";
    static sync_wire_msg m;
    ronda_detail d;
    assert_ok(decode_exact(b, len, &m, &d));
    uint8_t *copy = malloc(flen ? flen : 1); /* the frame in a buffer of exactly its size */
    assert_non_null(copy);
    memcpy(copy, frame, flen);
    sync_wire_zstd z = {copy, (uint32_t)flen};
    ronda_err e = sync_wire_inflate(dc, &z, &inner, &ilen, &d);
    free(copy);
    free(b);
    if (e != RONDA_ERR_MALFORMED) fail_msg("%s: %s", why, ronda_errname(e));
    assert_null(inner);
    if (!strstr(d.text, "ZSTD")) fail_msg("%s: %s", why, d.text);
}

/* Frames that must not be inflated: no declared size, larger than SYNC_MSG_MAX, two frames,
 * every truncation, bytes after the frame, a frame holding a HELLO or another ZSTD, and a
 * ZSTD message of the wrong shape. */
static void test_zstd_refused(void **state) {
    (void)state;
    ZSTD_CCtx *cc = ZSTD_createCCtx();
    ZSTD_DCtx *dc = ZSTD_createDCtx();
    size_t len, zlen, cap = ZSTD_compressBound(SYNC_MSG_MAX + 64);
    uint8_t *msg = records_msg(100, 300, &len), *z, *buf = malloc(2 * cap);
    assert_non_null(buf);
    assert_int_equal(sync_wire_deflate(cc, SYNC_ZSTD_LEVEL, msg, len, &z, &zlen), 1);
    static sync_wire_msg m;
    ronda_detail d;
    assert_ok(sync_wire_decode(z, zlen, &m, &d));
    const uint8_t *frame = m.u.zstd.frame;
    size_t flen = m.u.zstd.len;
    for (size_t cut = 0; cut < flen; cut += (cut < 40 ? 1 : 97)) expect_refused(dc, frame, cut, "truncated frame");
    memcpy(buf, frame, flen);
    memcpy(buf + flen, frame, flen);
    expect_refused(dc, buf, 2 * flen, "two frames");
    buf[flen] = 0;
    expect_refused(dc, buf, flen + 1, "a byte after the frame");
    /* a frame that does not say its size (streamed) */
    ZSTD_outBuffer out = {buf, cap, 0};
    ZSTD_inBuffer in = {msg, len, 0};
    assert_false(ZSTD_isError(ZSTD_CCtx_reset(cc, ZSTD_reset_session_and_parameters)));
    assert_false(ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_contentSizeFlag, 0)));
    assert_int_equal(ZSTD_compressStream2(cc, &out, &in, ZSTD_e_end), 0);
    expect_refused(dc, buf, out.pos, "no declared size");
    /* a frame that inflates beyond SYNC_MSG_MAX: a bomb of zeros */
    uint8_t *zeros = calloc(1, SYNC_MSG_MAX + 1);
    assert_non_null(zeros);
    zeros[0] = 0x92;
    zeros[1] = SYNC_WIRE_RECORDS;
    size_t bomb = ZSTD_compress(buf, cap, zeros, SYNC_MSG_MAX + 1, 1);
    assert_false(ZSTD_isError(bomb));
    assert_true(bomb < 1024);
    expect_refused(dc, buf, bomb, "beyond SYNC_MSG_MAX");
    free(zeros);
    /* frames holding a HELLO, and a ZSTD message */
    cwr w;
    cwr_init(&w);
    sync_wire_hello_enc(&w, key_a, hash_a, 1, NULL);
    size_t hlen;
    uint8_t *hello = take(&w, &hlen);
    size_t hz = ZSTD_compress(buf, cap, hello, hlen, 3);
    expect_refused(dc, buf, hz, "a HELLO inside");
    free(hello);
    size_t inz = ZSTD_compress(buf, cap, z, zlen, 3);
    expect_refused(dc, buf, inz, "a ZSTD inside");
    free(z);
    free(msg);
    /* [5] and [5, "text"] */
    uint8_t five[] = {0x91, 0x05}, text[] = {0x92, 0x05, 0xa1, 'x'};
    assert_err(decode_exact(five, sizeof five, &m, &d), RONDA_ERR_MALFORMED);
    assert_string_equal(d.text, "malformed ZSTD");
    assert_err(decode_exact(text, sizeof text, &m, &d), RONDA_ERR_MALFORMED);
    free(buf);
    ZSTD_freeCCtx(cc);
    ZSTD_freeDCtx(dc);
}

int main(void) {
    if (ronda_init() != RONDA_OK) return 1;
    fill();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hello),   cmocka_unit_test(test_synced_want),  cmocka_unit_test(test_frontier),
        cmocka_unit_test(test_records), cmocka_unit_test(test_refused),      cmocka_unit_test(test_wrong_items),
        cmocka_unit_test(test_zstd),    cmocka_unit_test(test_zstd_refused),
    };
    return cmocka_run_group_tests_name("wire", tests, NULL, NULL);
}
