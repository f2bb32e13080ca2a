/* Canonical msgpack (proto/record.md §2): every rule of the reader, and the writer's forms. */
#include "fixtures.h"

#include <stdlib.h>
#include <string.h>

#include "record/canon.h"

typedef struct vcase {
    const char *hex;
    ronda_err want;
} vcase;

/* crd_skip over the whole input; a value that leaves bytes behind is reported MALFORMED. */
static ronda_err skip_all(const uint8_t *b, size_t len) {
    crd r = crd_make(b, len);
    ronda_err e = crd_skip(&r, RONDA_DEPTH_MAX);
    if (e == RONDA_OK && crd_left(&r) != 0) return RONDA_ERR_MALFORMED;
    return e;
}

static void run_cases(const vcase *cases, size_t n) {
    for (size_t i = 0; i < n; i++) {
        size_t len;
        uint8_t *b = fx_unhex(cases[i].hex, &len);
        ronda_err e = skip_all(b, len);
        free(b);
        if (e != cases[i].want)
            fail_msg("\"%s\": got %s, want %s", cases[i].hex, ronda_errname(e), ronda_errname(cases[i].want));
    }
}

/* A header (hex) followed by `n` copies of the byte `fill`. */
static uint8_t *with_fill(const char *hex, size_t n, uint8_t fill, size_t *len) {
    size_t hl;
    uint8_t *h = fx_unhex(hex, &hl);
    uint8_t *b = malloc(hl + n + 1);
    memcpy(b, h, hl);
    memset(b + hl, fill, n);
    free(h);
    *len = hl + n;
    return b;
}

static void expect_fill(const char *hex, size_t n, uint8_t fill, ronda_err want) {
    size_t len;
    uint8_t *b = with_fill(hex, n, fill, &len);
    ronda_err e = skip_all(b, len);
    free(b);
    if (e != want) fail_msg("%s + %zu x %02x: got %s, want %s", hex, n, fill, ronda_errname(e), ronda_errname(want));
}

static void test_integers(void **state) {
    (void)state;
    static const vcase c[] = {
        {"00", RONDA_OK},
        {"7f", RONDA_OK},
        {"cc 80", RONDA_OK},
        {"cc ff", RONDA_OK},
        {"cd 01 00", RONDA_OK},
        {"cd ff ff", RONDA_OK},
        {"ce 00 01 00 00", RONDA_OK},
        {"ce ff ff ff ff", RONDA_OK},
        {"cf 00 00 00 01 00 00 00 00", RONDA_OK},
        {"cf 7f ff ff ff ff ff ff ff", RONDA_OK},
        /* non-shortest */
        {"cc 05", RONDA_ERR_MALFORMED},
        {"cc 00", RONDA_ERR_MALFORMED},
        {"cc 7f", RONDA_ERR_MALFORMED},
        {"cd 00 05", RONDA_ERR_MALFORMED},
        {"cd 00 ff", RONDA_ERR_MALFORMED},
        {"ce 00 00 00 05", RONDA_ERR_MALFORMED},
        {"ce 00 00 ff ff", RONDA_ERR_MALFORMED},
        {"cf 00 00 00 00 00 00 00 05", RONDA_ERR_MALFORMED},
        {"cf 00 00 00 00 ff ff ff ff", RONDA_ERR_MALFORMED},
        /* above 2^63-1 */
        {"cf 80 00 00 00 00 00 00 00", RONDA_ERR_MALFORMED},
        {"cf ff ff ff ff ff ff ff ff", RONDA_ERR_MALFORMED},
        /* negative, float, bool, ext, never-used */
        {"ff", RONDA_ERR_MALFORMED},
        {"e0", RONDA_ERR_MALFORMED},
        {"d0 80", RONDA_ERR_MALFORMED},
        {"d1 80 00", RONDA_ERR_MALFORMED},
        {"d2 80 00 00 00", RONDA_ERR_MALFORMED},
        {"d3 80 00 00 00 00 00 00 00", RONDA_ERR_MALFORMED},
        {"d0 05", RONDA_ERR_MALFORMED},
        {"ca 00 00 00 00", RONDA_ERR_MALFORMED},
        {"cb 00 00 00 00 00 00 00 00", RONDA_ERR_MALFORMED},
        {"c2", RONDA_ERR_MALFORMED},
        {"c3", RONDA_ERR_MALFORMED},
        {"c1", RONDA_ERR_MALFORMED},
        {"d4 01 00", RONDA_ERR_MALFORMED},
        {"d5 01 00 00", RONDA_ERR_MALFORMED},
        {"d6 01 00 00 00 00", RONDA_ERR_MALFORMED},
        {"d7 01 00 00 00 00 00 00 00 00", RONDA_ERR_MALFORMED},
        {"c7 01 01 00", RONDA_ERR_MALFORMED},
        {"c8 00 01 01 00", RONDA_ERR_MALFORMED},
        {"c9 00 00 00 01 01 00", RONDA_ERR_MALFORMED},
        {"91 c3", RONDA_ERR_MALFORMED},
        {"81 a1 61 ca 00 00 00 00", RONDA_ERR_MALFORMED},
        {"c0", RONDA_OK},
        /* truncated */
        {"", RONDA_ERR_TRUNCATED},
        {"cc", RONDA_ERR_TRUNCATED},
        {"cd 01", RONDA_ERR_TRUNCATED},
        {"ce 00 01 00", RONDA_ERR_TRUNCATED},
        {"cf 00 00 00 01 00 00 00", RONDA_ERR_TRUNCATED},
    };
    run_cases(c, sizeof c / sizeof c[0]);

    /* The typed reader returns the value. */
    size_t len;
    uint8_t *b = fx_unhex("cf 7f ff ff ff ff ff ff ff", &len);
    crd r = crd_make(b, len);
    uint64_t v = 0;
    assert_ok(crd_uint(&r, &v));
    assert_true(v == (uint64_t)INT64_MAX);
    assert_int_equal(crd_left(&r), 0);
    free(b);
    b = fx_unhex("a1 61", &len);
    r = crd_make(b, len);
    assert_err(crd_uint(&r, &v), RONDA_ERR_MALFORMED);
    free(b);
}

static void test_lengths(void **state) {
    (void)state;
    static const vcase c[] = {
        {"a0", RONDA_OK},
        {"a3 61 62 63", RONDA_OK},
        {"c4 00", RONDA_OK},
        {"c4 03 01 02 03", RONDA_OK},
        {"90", RONDA_OK},
        {"93 01 02 03", RONDA_OK},
        {"80", RONDA_OK},
        {"d9 05 61 62 63 64 65", RONDA_ERR_MALFORMED},
        {"da 00 03 61 62 63", RONDA_ERR_MALFORMED},
        {"db 00 00 00 03 61 62 63", RONDA_ERR_MALFORMED},
        {"c5 00 03 01 02 03", RONDA_ERR_MALFORMED},
        {"c6 00 00 00 03 01 02 03", RONDA_ERR_MALFORMED},
        {"dc 00 03 01 02 03", RONDA_ERR_MALFORMED},
        {"dd 00 00 00 03 01 02 03", RONDA_ERR_MALFORMED},
        {"de 00 01 a1 61 01", RONDA_ERR_MALFORMED},
        {"df 00 00 00 01 a1 61 01", RONDA_ERR_MALFORMED},
        {"a3 61 62", RONDA_ERR_TRUNCATED},
        {"d9", RONDA_ERR_TRUNCATED},
        {"d9 20 61", RONDA_ERR_TRUNCATED},
        {"c4", RONDA_ERR_TRUNCATED},
        {"c4 05 01", RONDA_ERR_TRUNCATED},
        {"dc 00", RONDA_ERR_TRUNCATED},
        {"92 01", RONDA_ERR_TRUNCATED},
        {"81 a1 61", RONDA_ERR_TRUNCATED},
        {"93 01 02 03 04", RONDA_ERR_MALFORMED}, /* trailing byte after the value */
    };
    run_cases(c, sizeof c / sizeof c[0]);
    /* Boundaries of every length form, each side. */
    expect_fill("bf", 31, 'x', RONDA_OK);
    expect_fill("d9 1f", 31, 'x', RONDA_ERR_MALFORMED);
    expect_fill("d9 20", 32, 'x', RONDA_OK);
    expect_fill("d9 ff", 255, 'x', RONDA_OK);
    expect_fill("da 00 ff", 255, 'x', RONDA_ERR_MALFORMED);
    expect_fill("da 01 00", 256, 'x', RONDA_OK);
    expect_fill("da ff ff", 65535, 'x', RONDA_OK);
    expect_fill("db 00 00 ff ff", 65535, 'x', RONDA_ERR_MALFORMED);
    expect_fill("db 00 01 00 00", 65536, 'x', RONDA_OK);
    expect_fill("c4 ff", 255, 1, RONDA_OK);
    expect_fill("c5 00 ff", 255, 1, RONDA_ERR_MALFORMED);
    expect_fill("c5 01 00", 256, 1, RONDA_OK);
    expect_fill("c5 ff ff", 65535, 1, RONDA_OK);
    expect_fill("c6 00 00 ff ff", 65535, 1, RONDA_ERR_MALFORMED);
    expect_fill("c6 00 01 00 00", 65536, 1, RONDA_OK);
    expect_fill("9f", 15, 0, RONDA_OK);
    expect_fill("dc 00 0f", 15, 0, RONDA_ERR_MALFORMED);
    expect_fill("dc 00 10", 16, 0, RONDA_OK);
    expect_fill("dc ff ff", 65535, 0, RONDA_OK);
    expect_fill("dd 00 00 ff ff", 65535, 0, RONDA_ERR_MALFORMED);
    expect_fill("dd 00 01 00 00", 65536, 0, RONDA_OK);
    /* Maps of 15 and 16 distinct one-letter keys with nil values. */
    expect_fill("8f a1 41 c0 a1 42 c0 a1 43 c0 a1 44 c0 a1 45 c0 a1 46 c0 a1 47 c0 a1 48 c0 a1 49 c0 a1 4a c0 a1 4b c0 "
                "a1 4c c0 a1 4d c0 a1 4e c0 a1 4f c0",
                0, 0, RONDA_OK);
    expect_fill("de 00 0f a1 41 c0 a1 42 c0 a1 43 c0 a1 44 c0 a1 45 c0 a1 46 c0 a1 47 c0 a1 48 c0 a1 49 c0 a1 4a c0 a1 "
                "4b c0 a1 4c c0 a1 4d c0 a1 4e c0 a1 4f c0",
                0, 0, RONDA_ERR_MALFORMED);
    expect_fill("de 00 10 a1 41 c0 a1 42 c0 a1 43 c0 a1 44 c0 a1 45 c0 a1 46 c0 a1 47 c0 a1 48 c0 a1 49 c0 a1 4a c0 a1 "
                "4b c0 a1 4c c0 a1 4d c0 a1 4e c0 a1 4f c0 a1 50 c0",
                0, 0, RONDA_OK);
}

static void test_utf8(void **state) {
    (void)state;
    static const vcase c[] = {
        {"a2 c3 a9", RONDA_OK},            /* é */
        {"a3 e2 82 ac", RONDA_OK},         /* € */
        {"a4 f0 9f 98 80", RONDA_OK},      /* U+1F600 */
        {"a4 f4 8f bf bf", RONDA_OK},      /* U+10FFFF */
        {"a3 ed 9f bf", RONDA_OK},         /* U+D7FF */
        {"a3 ee 80 80", RONDA_OK},         /* U+E000 */
        {"a2 c2 80", RONDA_OK},            /* U+0080 */
        {"a3 e0 a0 80", RONDA_OK},         /* U+0800 */
        {"a4 f0 90 80 80", RONDA_OK},      /* U+10000 */
        {"a2 c0 80", RONDA_ERR_MALFORMED}, /* overlong NUL */
        {"a2 c1 bf", RONDA_ERR_MALFORMED},
        {"a3 e0 80 80", RONDA_ERR_MALFORMED},
        {"a3 e0 9f bf", RONDA_ERR_MALFORMED},
        {"a4 f0 80 80 80", RONDA_ERR_MALFORMED},
        {"a4 f0 8f bf bf", RONDA_ERR_MALFORMED},
        {"a3 ed a0 80", RONDA_ERR_MALFORMED}, /* surrogates */
        {"a3 ed bf bf", RONDA_ERR_MALFORMED},
        {"a6 ed a0 bd ed b8 80", RONDA_ERR_MALFORMED}, /* CESU-8 pair */
        {"a4 f4 90 80 80", RONDA_ERR_MALFORMED},       /* above U+10FFFF */
        {"a4 f5 80 80 80", RONDA_ERR_MALFORMED},
        {"a1 c3", RONDA_ERR_MALFORMED}, /* truncated sequences */
        {"a2 e2 82", RONDA_ERR_MALFORMED},
        {"a3 f0 9f 98", RONDA_ERR_MALFORMED},
        {"a2 61 c3", RONDA_ERR_MALFORMED},
        {"a1 80", RONDA_ERR_MALFORMED}, /* lone continuation */
        {"a2 c3 28", RONDA_ERR_MALFORMED},
        {"a1 fe", RONDA_ERR_MALFORMED},
        {"a1 ff", RONDA_ERR_MALFORMED},
        {"a1 00", RONDA_ERR_MALFORMED}, /* NUL */
        {"a3 61 00 62", RONDA_ERR_MALFORMED},
        {"c4 01 00", RONDA_OK},               /* bin may hold anything */
        {"81 a1 00 01", RONDA_ERR_MALFORMED}, /* keys are strings too */
    };
    run_cases(c, sizeof c / sizeof c[0]);
    assert_true(canon_utf8_ok((const uint8_t *)"Durenan", 7));
    assert_true(canon_utf8_ok((const uint8_t *)"", 0));
    assert_false(canon_utf8_ok((const uint8_t *)"a\0b", 3));
    assert_false(canon_utf8_ok((const uint8_t *)"\xed\xa0\x80", 3));
}

static void test_map_keys(void **state) {
    (void)state;
    static const vcase c[] = {
        {"82 a1 61 01 a1 62 02", RONDA_OK},
        {"82 a1 62 01 a2 61 61 02", RONDA_OK},            /* shorter key first, though "b" > "aa" */
        {"82 a1 62 01 a1 61 02", RONDA_ERR_MALFORMED},    /* out of order */
        {"82 a2 61 61 01 a1 62 02", RONDA_ERR_MALFORMED}, /* longer before shorter */
        {"82 a1 61 01 a1 61 02", RONDA_ERR_MALFORMED},    /* duplicate */
        {"83 a1 61 01 a1 62 02 a1 61 03", RONDA_ERR_MALFORMED},
        {"82 a0 01 a0 02", RONDA_ERR_MALFORMED},
        {"81 01 01", RONDA_ERR_MALFORMED},                      /* int key */
        {"81 c4 01 61 01", RONDA_ERR_MALFORMED},                /* bin key */
        {"81 c0 01", RONDA_ERR_MALFORMED},                      /* nil key */
        {"81 90 01", RONDA_ERR_MALFORMED},                      /* array key */
        {"81 a1 61 82 a1 63 01 a1 62 02", RONDA_ERR_MALFORMED}, /* nested map out of order */
        {"92 82 a1 61 01 a1 62 02 80", RONDA_OK},
    };
    run_cases(c, sizeof c / sizeof c[0]);
}

/* Declared counts and lengths beyond the input are TRUNCATED, and nothing of their size is allocated. */
static void test_lying_counts(void **state) {
    (void)state;
    static const vcase c[] = {
        {"dd ff ff ff ff", RONDA_ERR_TRUNCATED},
        {"df ff ff ff ff", RONDA_ERR_TRUNCATED},
        {"db ff ff ff ff", RONDA_ERR_TRUNCATED},
        {"c6 ff ff ff ff", RONDA_ERR_TRUNCATED},
        {"dc ff ff", RONDA_ERR_TRUNCATED},
        {"de ff ff", RONDA_ERR_TRUNCATED},
        {"da ff ff", RONDA_ERR_TRUNCATED},
        {"c5 ff ff", RONDA_ERR_TRUNCATED},
        {"d9 ff", RONDA_ERR_TRUNCATED},
        {"c4 ff", RONDA_ERR_TRUNCATED},
        {"9f", RONDA_ERR_TRUNCATED},
        {"8f", RONDA_ERR_TRUNCATED},
        {"91 dd ff ff ff ff 00", RONDA_ERR_TRUNCATED},
        {"81 a1 61 df ff ff ff ff", RONDA_ERR_TRUNCATED},
    };
    run_cases(c, sizeof c / sizeof c[0]);
    /* A map needs two bytes per entry: 65536 entries in 65536 bytes is a lie. */
    expect_fill("df 00 01 00 00", 65536, 0, RONDA_ERR_TRUNCATED);

    if (fx_alloc_watch_works()) { /* the watch itself sees allocations */
        fx_alloc_watch(1);
        void *volatile p = malloc(1000);
        free(p);
        fx_alloc_watch(0);
        assert_true(fx_alloc_largest() >= 1000);
    }
    size_t len;
    uint8_t *b = fx_unhex("dd ff ff ff ff", &len);
    crd r = crd_make(b, len);
    uint32_t n = 7;
    fx_alloc_watch(1);
    assert_err(crd_array(&r, &n), RONDA_ERR_TRUNCATED);
    fx_alloc_watch(0);
    assert_int_equal(n, 7); /* out-parameter untouched */
    assert_int_equal(fx_alloc_largest(), 0);
    free(b);

    /* Through the body decoder (which does allocate JSON): a dialogue whose topics list
     * declares 4 billion items, and a record whose outer array does. */
    b = fx_unhex("81 a6 74 6f 70 69 63 73 dd ff ff ff ff", &len); /* {topics: [4G items]} */
    fx_alloc_watch(1);
    assert_err(ronda_body_to_json(RONDA_KIND_DIALOGUE, b, len, NULL, NULL), RONDA_ERR_TRUNCATED);
    fx_alloc_watch(0);
    assert_true(fx_alloc_largest() < 4096);
    free(b);
    b = fx_unhex("8c a4 77 68 65 6e dd ff ff ff ff", &len); /* a map of 12 with 9 bytes left */
    fx_alloc_watch(1);
    assert_err(ronda_body_to_json(RONDA_KIND_DIALOGUE, b, len, NULL, NULL), RONDA_ERR_TRUNCATED);
    fx_alloc_watch(0);
    assert_true(fx_alloc_largest() < 4096);
    free(b);
    b = fx_unhex("df ff ff ff ff", &len);
    fx_alloc_watch(1);
    assert_err(ronda_body_to_json(RONDA_KIND_DIALOGUE, b, len, NULL, NULL), RONDA_ERR_TRUNCATED);
    fx_alloc_watch(0);
    assert_true(fx_alloc_largest() < 4096);
    free(b);
    ronda_record rec;
    b = fx_unhex("dd ff ff ff ff", &len);
    fx_alloc_watch(1);
    assert_err(ronda_record_open(b, len, &rec, NULL), RONDA_ERR_TRUNCATED);
    fx_alloc_watch(0);
    assert_int_equal(fx_alloc_largest(), 0);
    free(b);
    b = fx_unhex("93 c6 ff ff ff ff", &len);
    assert_err(ronda_record_open(b, len, &rec, NULL), RONDA_ERR_TRUNCATED);
    free(b);
    if (!fx_alloc_watch_works()) print_message("note: allocation watch needs AddressSanitizer; sizes not checked\n");
}

static uint8_t *nested(const char *open, unsigned depth, size_t *len) {
    size_t ol;
    uint8_t *o = fx_unhex(open, &ol);
    uint8_t *b = malloc(ol * depth + 1);
    for (unsigned i = 0; i < depth; i++) memcpy(b + i * ol, o, ol);
    b[ol * depth] = 0x00;
    *len = ol * depth + 1;
    free(o);
    return b;
}

static void test_depth(void **state) {
    (void)state;
    static const char *const opens[] = {"91", "81 a1 6b"};
    for (int k = 0; k < 2; k++) {
        size_t len;
        uint8_t *b = nested(opens[k], RONDA_DEPTH_MAX, &len);
        assert_ok(skip_all(b, len));
        free(b);
        b = nested(opens[k], RONDA_DEPTH_MAX + 1, &len);
        assert_err(skip_all(b, len), RONDA_ERR_TOO_BIG);
        free(b);
        b = nested(opens[k], 10000, &len); /* deep-nesting attack: refused, no stack overflow */
        assert_err(skip_all(b, len), RONDA_ERR_TOO_BIG);
        free(b);
    }
    /* Scalars need no depth; containers need one level each. */
    size_t len;
    uint8_t *b = fx_unhex("91 00", &len);
    crd r = crd_make(b, len);
    assert_err(crd_skip(&r, 0), RONDA_ERR_TOO_BIG);
    r = crd_make(b, len);
    assert_ok(crd_skip(&r, 1));
    r = crd_make(b + 1, 1);
    assert_ok(crd_skip(&r, 0));
    free(b);
    /* Deeply nested junk inside a body field is refused, not recursed into without bound. */
    b = nested("91", 5000, &len);
    uint8_t *body = malloc(len + 6);
    memcpy(body, "\x81\xa4when", 6);
    memcpy(body + 6, b, len);
    assert_err(ronda_body_to_json(RONDA_KIND_DIALOGUE, body, len + 6, NULL, NULL), RONDA_ERR_MALFORMED);
    memcpy(body,
           "\x81\xa4"
           "body",
           6);
    assert_err(ronda_body_to_json(RONDA_KIND_AMEND, body, len + 6, NULL, NULL), RONDA_ERR_TOO_BIG);
    free(body);
    free(b);
}

static void test_readers(void **state) {
    (void)state;
    size_t len;
    uint8_t *b = fx_unhex("c0 a2 68 69 c4 02 01 02 92 80 de 00 10", &len);
    crd r = crd_make(b, len);
    const uint8_t *p;
    uint32_t n;
    assert_int_equal(crd_nil(&r), 1);
    assert_int_equal(crd_nil(&r), 0); /* not nil: does not move */
    assert_err(crd_bin(&r, &p, &n), RONDA_ERR_MALFORMED);
    r = crd_make(b + 1, len - 1);
    assert_ok(crd_str(&r, &p, &n));
    assert_int_equal(n, 2);
    assert_memory_equal(p, "hi", 2);
    assert_err(crd_str(&r, &p, &n), RONDA_ERR_MALFORMED); /* bin is not str */
    r = crd_make(b + 4, len - 4);
    assert_ok(crd_bin(&r, &p, &n));
    assert_int_equal(n, 2);
    assert_int_equal(p[1], 2);
    assert_err(crd_map(&r, &n), RONDA_ERR_MALFORMED); /* array is not map */
    r = crd_make(b + 8, len - 8);
    assert_ok(crd_array(&r, &n));
    assert_int_equal(n, 2);
    assert_ok(crd_map(&r, &n));
    assert_int_equal(n, 0);
    assert_err(crd_map(&r, &n), RONDA_ERR_TRUNCATED); /* de 00 10: 16 entries, no bytes */
    free(b);
}

/* The writer produces the shortest form at every boundary, and its output passes the reader. */
static void test_writer(void **state) {
    (void)state;
    static const struct {
        uint64_t v;
        const char *hex;
    } u[] = {{0, "00"},
             {127, "7f"},
             {128, "cc80"},
             {255, "ccff"},
             {256, "cd0100"},
             {65535, "cdffff"},
             {65536, "ce00010000"},
             {0xffffffffu, "ceffffffff"},
             {0x100000000ull, "cf0000000100000000"},
             {(uint64_t)INT64_MAX, "cf7fffffffffffffff"}};
    for (size_t i = 0; i < sizeof u / sizeof u[0]; i++) {
        cwr w;
        cwr_init(&w);
        cwr_uint(&w, u[i].v);
        uint8_t *out;
        size_t len;
        assert_ok(cwr_take(&w, &out, &len));
        cwr_destroy(&w);
        char hex[64];
        fx_hex(out, len, hex);
        assert_string_equal(hex, u[i].hex);
        assert_ok(skip_all(out, len));
        free(out);
    }
    static const size_t sizes[] = {0, 15, 16, 31, 32, 255, 256, 65535, 65536};
    static const uint8_t str_hdr[] = {0xa0, 0xaf, 0xb0, 0xbf, 0xd9, 0xd9, 0xda, 0xda, 0xdb};
    static const uint8_t bin_hdr[] = {0xc4, 0xc4, 0xc4, 0xc4, 0xc4, 0xc4, 0xc5, 0xc5, 0xc6};
    static const uint8_t arr_hdr[] = {0x90, 0x9f, 0xdc, 0xdc, 0xdc, 0xdc, 0xdc, 0xdc, 0xdd};
    char *text = malloc(65536);
    memset(text, 'y', 65536);
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        for (int kind = 0; kind < 3; kind++) {
            cwr w;
            cwr_init(&w);
            if (kind == 0)
                cwr_str(&w, text, sizes[i]);
            else if (kind == 1)
                cwr_bin(&w, (const uint8_t *)text, sizes[i]);
            else {
                cwr_array(&w, (uint32_t)sizes[i]);
                for (size_t k = 0; k < sizes[i]; k++) cwr_nil(&w);
            }
            uint8_t *out;
            size_t len;
            assert_ok(cwr_take(&w, &out, &len));
            cwr_destroy(&w);
            assert_int_equal(out[0], kind == 0 ? str_hdr[i] : kind == 1 ? bin_hdr[i] : arr_hdr[i]);
            assert_ok(skip_all(out, len));
            free(out);
        }
    }
    free(text);
}

int main(void) {
    if (ronda_init() != RONDA_OK) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_integers), cmocka_unit_test(test_lengths),      cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_map_keys), cmocka_unit_test(test_lying_counts), cmocka_unit_test(test_depth),
        cmocka_unit_test(test_readers),  cmocka_unit_test(test_writer),
    };
    return cmocka_run_group_tests_name("canon", tests, NULL, NULL);
}
