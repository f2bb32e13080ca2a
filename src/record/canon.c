/* Canonical msgpack reader and writer (see canon.h and proto/record.md, "Canonical msgpack").
 *
 * A byte string has exactly one decoding and each value exactly one encoding: integers
 * and lengths in their shortest form, map keys as strings in ascending order of their
 * encoded bytes, no floats, no negative integers, no booleans, no ext types. */
#include "record/canon.h"

#include <stdlib.h>
#include <string.h>

#include "util/assert.h"

static uint64_t be(const uint8_t *p, unsigned n) {
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++) v = (v << 8) | p[i];
    return v;
}

/* Reads a length/count field of n bytes after the type byte; checks it is present. */
static ronda_err read_be(crd *r, unsigned n, uint64_t *v) {
    if (crd_left(r) < n) return RONDA_ERR_TRUNCATED;
    *v = be(r->p, n);
    r->p += n;
    return RONDA_OK;
}

/* Shared by array and map: fix form below 16, 16-bit below 65536, else 32-bit. */
static ronda_err read_container(crd *r, uint8_t fix_base, uint8_t t16, uint8_t t32, uint32_t per_item,
                                uint32_t *count) {
    if (crd_left(r) < 1) return RONDA_ERR_TRUNCATED;
    uint8_t t = *r->p++;
    uint64_t n;
    ronda_err e = RONDA_OK;
    if ((t & 0xf0) == fix_base) {
        n = t & 0x0f;
    } else if (t == t16) {
        e = read_be(r, 2, &n);
        if (e == RONDA_OK && n < 16) return RONDA_ERR_MALFORMED;
    } else if (t == t32) {
        e = read_be(r, 4, &n);
        if (e == RONDA_OK && n < 65536) return RONDA_ERR_MALFORMED;
    } else {
        return RONDA_ERR_MALFORMED;
    }
    if (e != RONDA_OK) return e;
    /* Every item takes at least one byte: a count larger than what is left is a lie. */
    if (n > crd_left(r) / per_item) return RONDA_ERR_TRUNCATED;
    *count = (uint32_t)n;
    return RONDA_OK;
}

ronda_err crd_array(crd *r, uint32_t *count) { return read_container(r, 0x90, 0xdc, 0xdd, 1, count); }

ronda_err crd_map(crd *r, uint32_t *count) { return read_container(r, 0x80, 0xde, 0xdf, 2, count); }

ronda_err crd_uint(crd *r, uint64_t *v) {
    if (crd_left(r) < 1) return RONDA_ERR_TRUNCATED;
    uint8_t t = *r->p++;
    uint64_t x;
    ronda_err e;
    if (t <= 0x7f) {
        *v = t;
        return RONDA_OK;
    }
    switch (t) {
    case 0xcc:
        if ((e = read_be(r, 1, &x)) != RONDA_OK) return e;
        if (x < 0x80) return RONDA_ERR_MALFORMED;
        break;
    case 0xcd:
        if ((e = read_be(r, 2, &x)) != RONDA_OK) return e;
        if (x <= 0xff) return RONDA_ERR_MALFORMED;
        break;
    case 0xce:
        if ((e = read_be(r, 4, &x)) != RONDA_OK) return e;
        if (x <= 0xffff) return RONDA_ERR_MALFORMED;
        break;
    case 0xcf:
        if ((e = read_be(r, 8, &x)) != RONDA_OK) return e;
        if (x <= 0xffffffffu || x > (uint64_t)INT64_MAX) return RONDA_ERR_MALFORMED; /* §2.2: at most 2^63-1 */
        break;
    default:
        return RONDA_ERR_MALFORMED;
    }
    *v = x;
    return RONDA_OK;
}

/* Bytes of a str or bin after its header; n was checked canonical by the caller. */
static ronda_err take(crd *r, uint64_t n, const uint8_t **s, uint32_t *len) {
    if (n > crd_left(r)) return RONDA_ERR_TRUNCATED;
    *s = r->p;
    *len = (uint32_t)n;
    r->p += n;
    return RONDA_OK;
}

ronda_err crd_str(crd *r, const uint8_t **s, uint32_t *len) {
    if (crd_left(r) < 1) return RONDA_ERR_TRUNCATED;
    uint8_t t = *r->p++;
    uint64_t n;
    ronda_err e;
    if ((t & 0xe0) == 0xa0) {
        n = t & 0x1f;
    } else if (t == 0xd9) {
        if ((e = read_be(r, 1, &n)) != RONDA_OK) return e;
        if (n < 32) return RONDA_ERR_MALFORMED;
    } else if (t == 0xda) {
        if ((e = read_be(r, 2, &n)) != RONDA_OK) return e;
        if (n <= 0xff) return RONDA_ERR_MALFORMED;
    } else if (t == 0xdb) {
        if ((e = read_be(r, 4, &n)) != RONDA_OK) return e;
        if (n <= 0xffff) return RONDA_ERR_MALFORMED;
    } else {
        return RONDA_ERR_MALFORMED;
    }
    const uint8_t *p;
    uint32_t l;
    if ((e = take(r, n, &p, &l)) != RONDA_OK) return e;
    if (!canon_utf8_ok(p, l)) return RONDA_ERR_MALFORMED;
    *s = p;
    *len = l;
    return RONDA_OK;
}

ronda_err crd_bin(crd *r, const uint8_t **b, uint32_t *len) {
    if (crd_left(r) < 1) return RONDA_ERR_TRUNCATED;
    uint8_t t = *r->p++;
    uint64_t n;
    ronda_err e;
    if (t == 0xc4) {
        e = read_be(r, 1, &n);
    } else if (t == 0xc5) {
        e = read_be(r, 2, &n);
        if (e == RONDA_OK && n <= 0xff) return RONDA_ERR_MALFORMED;
    } else if (t == 0xc6) {
        e = read_be(r, 4, &n);
        if (e == RONDA_OK && n <= 0xffff) return RONDA_ERR_MALFORMED;
    } else {
        return RONDA_ERR_MALFORMED;
    }
    if (e != RONDA_OK) return e;
    return take(r, n, b, len);
}

int crd_nil(crd *r) {
    if (crd_left(r) >= 1 && *r->p == 0xc0) {
        r->p++;
        return 1;
    }
    return 0;
}

/* Compare two encoded keys bytewise; a proper prefix sorts first. */
static int key_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen) {
    size_t n = alen < blen ? alen : blen;
    int c = memcmp(a, b, n);
    if (c != 0) return c;
    return (alen > blen) - (alen < blen);
}

ronda_err crd_skip(crd *r, unsigned depth) {
    if (crd_left(r) < 1) return RONDA_ERR_TRUNCATED;
    uint8_t t = *r->p;
    const uint8_t *s;
    uint32_t n;
    uint64_t v;
    ronda_err e;
    if (t == 0xc0) {
        r->p++;
        return RONDA_OK;
    }
    if (t <= 0x7f || (t >= 0xcc && t <= 0xcf)) return crd_uint(r, &v);
    if ((t & 0xe0) == 0xa0 || (t >= 0xd9 && t <= 0xdb)) return crd_str(r, &s, &n);
    if (t >= 0xc4 && t <= 0xc6) return crd_bin(r, &s, &n);
    if (depth == 0) return RONDA_ERR_TOO_BIG;
    if ((t & 0xf0) == 0x90 || t == 0xdc || t == 0xdd) {
        if ((e = crd_array(r, &n)) != RONDA_OK) return e;
        for (uint32_t i = 0; i < n; i++)
            if ((e = crd_skip(r, depth - 1)) != RONDA_OK) return e;
        return RONDA_OK;
    }
    if ((t & 0xf0) == 0x80 || t == 0xde || t == 0xdf) {
        if ((e = crd_map(r, &n)) != RONDA_OK) return e;
        const uint8_t *prev = NULL;
        size_t prev_len = 0;
        for (uint32_t i = 0; i < n; i++) {
            const uint8_t *k = r->p;
            uint32_t slen;
            if ((e = crd_str(r, &s, &slen)) != RONDA_OK) return e;
            size_t klen = (size_t)(r->p - k);
            if (prev && key_cmp(prev, prev_len, k, klen) >= 0) return RONDA_ERR_MALFORMED;
            prev = k;
            prev_len = klen;
            if ((e = crd_skip(r, depth - 1)) != RONDA_OK) return e;
        }
        return RONDA_OK;
    }
    return RONDA_ERR_MALFORMED; /* floats, negative ints, booleans, ext */
}

int canon_utf8_ok(const uint8_t *s, size_t len) {
    size_t i = 0;
    while (i < len) {
        uint8_t c = s[i];
        if (c == 0) return 0;
        if (c < 0x80) {
            i++;
            continue;
        }
        uint32_t cp;
        size_t need;
        if (c >= 0xc2 && c <= 0xdf) {
            cp = c & 0x1f;
            need = 1;
        } else if (c >= 0xe0 && c <= 0xef) {
            cp = c & 0x0f;
            need = 2;
        } else if (c >= 0xf0 && c <= 0xf4) {
            cp = c & 0x07;
            need = 3;
        } else {
            return 0;
        }
        if (len - i - 1 < need) return 0;
        for (size_t k = 1; k <= need; k++) {
            uint8_t cc = s[i + k];
            if ((cc & 0xc0) != 0x80) return 0;
            cp = (cp << 6) | (cc & 0x3f);
        }
        if ((need == 2 && cp < 0x800) || (need == 3 && (cp < 0x10000 || cp > 0x10ffff)))
            return 0;                               /* overlong or beyond Unicode */
        if (cp >= 0xd800 && cp <= 0xdfff) return 0; /* surrogates */
        i += need + 1;
    }
    return 1;
}

static int sbuf_write(void *data, const char *buf, size_t len) {
    cwr *w = data;
    if (w->failed) return -1;
    if (msgpack_sbuffer_write(&w->buf, buf, len) != 0) {
        w->failed = 1;
        return -1;
    }
    return 0;
}

void cwr_init(cwr *w) {
    memset(w, 0, sizeof *w);
    msgpack_sbuffer_init(&w->buf);
    msgpack_packer_init(&w->pk, w, sbuf_write);
}

void cwr_destroy(cwr *w) { msgpack_sbuffer_destroy(&w->buf); }

/* One value is about to be written: it fills a slot of the innermost container that still
 * needs items (full ones close here, lazily, so `depth` is the true nesting meanwhile). */
static void item(cwr *w) {
    while (w->depth > 0 && w->left[w->depth - 1] == 0) w->depth--;
    if (w->depth > 0) w->left[w->depth - 1]--;
}

/* A container of n items opens: nested at most RONDA_DEPTH_MAX deep, what the reader takes. */
static void open_container(cwr *w, uint64_t n) {
    item(w);
    if (n == 0) return;
    RONDA_ASSERT_MSG(w->depth < RONDA_DEPTH_MAX, "a container nested %u deep", w->depth + 1);
    RONDA_ASSERT(n <= UINT32_MAX);
    w->left[w->depth++] = (uint32_t)n;
}

/* msgpack-c's packer picks the shortest form for every integer and length, which is
 * what canonical form asks; uint goes through msgpack_pack_uint64 for that reason. */
void cwr_array(cwr *w, uint32_t n) {
    open_container(w, n);
    (void)msgpack_pack_array(&w->pk, n);
}
void cwr_map(cwr *w, uint32_t n) {
    open_container(w, 2 * (uint64_t)n); /* a key and a value each */
    (void)msgpack_pack_map(&w->pk, n);
}
void cwr_uint(cwr *w, uint64_t v) {
    item(w);
    (void)msgpack_pack_uint64(&w->pk, v);
}
void cwr_nil(cwr *w) {
    item(w);
    (void)msgpack_pack_nil(&w->pk);
}
/* Lengths: msgpack has 32 bits for them, and every caller's own limit (RONDA_RECORD_MAX,
 * SYNC_MSG_MAX) is far below; beyond it the header would silently wrap. */
void cwr_str(cwr *w, const char *s, size_t len) {
    RONDA_ASSERT(len <= UINT32_MAX && (s || len == 0));
    item(w);
    (void)msgpack_pack_str_with_body(&w->pk, s, len);
}
void cwr_bin(cwr *w, const uint8_t *b, size_t len) {
    RONDA_ASSERT(len <= UINT32_MAX && (b || len == 0));
    item(w);
    (void)msgpack_pack_bin_with_body(&w->pk, b, len);
}
void cwr_raw(cwr *w, const uint8_t *b, size_t len) {
    /* Count the values: for the records a batch carries (bin) a skip is a header read. */
    crd r = crd_make(b, len);
    while (crd_left(&r) > 0) {
        ronda_err e = crd_skip(&r, RONDA_DEPTH_MAX);
        RONDA_ASSERT_MSG(e == RONDA_OK, "raw bytes that are not canonical values (%s at byte %zu of %zu)",
                         ronda_strerror(e), len - crd_left(&r), len);
        item(w);
    }
    (void)sbuf_write(w, (const char *)b, len);
}

int cwr_complete(const cwr *w) {
    for (unsigned i = 0; i < w->depth; i++)
        if (w->left[i] != 0) return 0;
    return 1;
}

ronda_err cwr_take(cwr *w, uint8_t **out, size_t *len) {
    if (w->failed) return RONDA_ERR_NOMEM;
    RONDA_ASSERT_MSG(cwr_complete(w), "a container of the %zu bytes written lacks items", w->buf.size);
    RONDA_ASSERT(w->buf.size <= w->buf.alloc);
    size_t n = w->buf.size;
    uint8_t *p = (uint8_t *)msgpack_sbuffer_release(&w->buf);
    if (p == NULL) { /* empty buffer: hand back a valid, freeable pointer */
        p = malloc(1);
        if (p == NULL) return RONDA_ERR_NOMEM;
    }
    *out = p;
    *len = n;
    w->depth = 0;
    return RONDA_OK;
}
