/* The sync messages (src/sync/wire.c, proto/sync.md "Messages"): each message's encoder and
 * the decoder agree byte for byte; every truncation of every message, every count beyond its
 * limit or the bytes left and every item of the wrong kind is refused as malformed, with
 * ASan watching each read (every input sits in a buffer of exactly its size). */
#include "fixtures.h"

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
    sync_wire_hello_enc(&w, key_a, hash_a, 1700000000123ull);
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
    sync_wire_frontier_enc(&w, 1, 3);
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
    /* a full chunk round-trips; one entry more is refused before any is read */
    for (uint32_t n = SYNC_FRONTIER_CHUNK; n <= SYNC_FRONTIER_CHUNK + 1; n++) {
        cwr_init(&w);
        sync_wire_frontier_enc(&w, 0, n);
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
        {"9105", "unknown message type"},
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
    /* HELLO of 6 items, with a short authority, with a str clock */
    cwr_init(&w);
    sync_wire_hello_enc(&w, key_a, hash_a, 1);
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
        sync_wire_frontier_enc(&w, 1, 2);
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

int main(void) {
    if (ronda_init() != RONDA_OK) return 1;
    fill();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hello),   cmocka_unit_test(test_synced_want), cmocka_unit_test(test_frontier),
        cmocka_unit_test(test_records), cmocka_unit_test(test_refused),     cmocka_unit_test(test_wrong_items),
    };
    return cmocka_run_group_tests_name("wire", tests, NULL, NULL);
}
