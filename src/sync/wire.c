/* The sync messages, decoded once and encoded as proto/sync.md's table writes them (wire.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sync/wire.h"

/* The fewest bytes one item can take: a FRONTIER entry [bin32, uint, bin32] and a record
 * (an empty bin, refused later by ronda_record_open). Counts beyond bytes left / these are
 * refused before any item is read. */
#define ENTRY_MIN_BYTES (1u + 2u + RONDA_KEY_BYTES + 1u + 2u + RONDA_ID_BYTES)
#define RECORD_MIN_BYTES 2u

static ronda_err bad(ronda_detail *d, const char *what) {
    if (d) snprintf(d->text, sizeof d->text, "%s", what);
    return RONDA_ERR_MALFORMED;
}

static int bin_of(crd *r, const uint8_t **b, uint32_t want) {
    uint32_t n;
    return crd_bin(r, b, &n) == RONDA_OK && n == want;
}

static ronda_err hello(crd *r, uint32_t n, sync_wire_hello *h, ronda_detail *d) {
    memset(h, 0, sizeof *h);
    if (n < 4 || crd_uint(r, &h->version) != RONDA_OK || !bin_of(r, &h->authority, RONDA_KEY_BYTES) ||
        !bin_of(r, &h->digest, RONDA_HASH_BYTES) || (n >= 5 && crd_uint(r, &h->clock_ms) != RONDA_OK) ||
        (n >= 6 && crd_uint(r, &h->features) != RONDA_OK))
        return bad(d, "malformed HELLO");
    h->has_clock = n >= 5;
    h->has_features = n >= 6;
    if (n > 6) { /* a later build's items: each one msgpack item, at least one byte */
        h->later = n - 6;
        if (h->later > crd_left(r)) return bad(d, "malformed HELLO");
        h->later_bytes = r->p;
        for (uint32_t i = 0; i < h->later; i++)
            if (crd_skip(r, SYNC_HELLO_ITEM_DEPTH) != RONDA_OK) return bad(d, "malformed HELLO");
        h->later_len = (size_t)(r->p - h->later_bytes);
    }
    return RONDA_OK;
}

static ronda_err entry(crd *r, sync_wire_entry *e) {
    uint32_t items;
    memset(e, 0, sizeof *e);
    /* [author, seq, head], or [author, seq, head, fork seq] with the fork's two lowest ids
     * (64 bytes, ascending) as a fifth item */
    if (crd_array(r, &items) != RONDA_OK || items < 3 || items > 5 || !bin_of(r, &e->author, RONDA_KEY_BYTES) ||
        crd_uint(r, &e->seq) != RONDA_OK || !bin_of(r, &e->head, RONDA_ID_BYTES) ||
        (items >= 4 && crd_uint(r, &e->fork) != RONDA_OK) || (items >= 4 && e->fork == 0))
        return RONDA_ERR_MALFORMED;
    if (items == 5 &&
        (!bin_of(r, &e->pair, 2 * RONDA_ID_BYTES) || memcmp(e->pair, e->pair + RONDA_ID_BYTES, RONDA_ID_BYTES) >= 0))
        return RONDA_ERR_MALFORMED;
    return RONDA_OK;
}

static ronda_err frontier(crd *r, uint32_t n, sync_wire_msg *m, ronda_detail *d) {
    sync_wire_frontier *f = &m->u.frontier;
    uint32_t entries;
    f->n = 0;
    f->has_round = 0;
    f->round = f->chunk = 0;
    if ((n != 3 && n != 5) || crd_uint(r, &f->last) != RONDA_OK || crd_array(r, &entries) != RONDA_OK ||
        entries > SYNC_FRONTIER_CHUNK || entries > crd_left(r) / ENTRY_MIN_BYTES)
        return bad(d, "malformed FRONTIER");
    for (; f->n < entries; f->n++)
        if (entry(r, &f->e[f->n]) != RONDA_OK) {
            if (n == 3)
                m->partial = 1; /* the entries before it stand, as older builds used them */
            else
                f->n = 0; /* a delta chunk is used whole or not at all */
            return bad(d, "malformed FRONTIER entry");
        }
    if (n == 5 && (crd_uint(r, &f->round) != RONDA_OK || crd_uint(r, &f->chunk) != RONDA_OK || f->round == 0)) {
        f->n = 0; /* a delta chunk that does not say which: none of it is used */
        return bad(d, "malformed FRONTIER round");
    }
    f->has_round = n == 5;
    return RONDA_OK;
}

static ronda_err want(crd *r, uint32_t n, sync_wire_want *w, ronda_detail *d) {
    if (n != 4 || !bin_of(r, &w->author, RONDA_KEY_BYTES) || crd_uint(r, &w->from) != RONDA_OK ||
        crd_uint(r, &w->max) != RONDA_OK)
        return bad(d, "malformed WANT");
    return RONDA_OK;
}

static ronda_err records(crd *r, uint32_t n, sync_wire_msg *m, ronda_detail *d) {
    sync_wire_records *x = &m->u.records;
    x->author = NULL;
    x->count = x->got = 0;
    if (n != 4 || crd_uint(r, &x->reply) != RONDA_OK) return bad(d, "malformed RECORDS");
    if (!crd_nil(r) && !bin_of(r, &x->author, RONDA_KEY_BYTES)) return bad(d, "malformed RECORDS");
    if (crd_array(r, &x->count) != RONDA_OK || x->count > SYNC_BATCH_RECORDS ||
        x->count > crd_left(r) / RECORD_MIN_BYTES)
        return bad(d, "malformed RECORDS batch");
    for (; x->got < x->count; x->got++) {
        uint32_t len;
        if (crd_bin(r, &x->item[x->got], &len) != RONDA_OK) {
            /* The records before it stand (older builds apply them too): the batch ends here. */
            m->partial = 1;
            if (d) snprintf(d->text, sizeof d->text, "RECORDS item %u is not bytes", x->got);
            return RONDA_ERR_MALFORMED;
        }
        x->len[x->got] = len;
    }
    return RONDA_OK;
}

ronda_err sync_wire_decode(const uint8_t *bytes, size_t len, sync_wire_msg *m, ronda_detail *d) {
    m->type = SYNC_WIRE_NONE;
    m->partial = 0;
    if (len > SYNC_MSG_MAX) return bad(d, "message larger than SYNC_MSG_MAX");
    crd r = crd_make(bytes, len);
    uint32_t n;
    uint64_t type;
    if (crd_array(&r, &n) != RONDA_OK || n < 1 || crd_uint(&r, &type) != RONDA_OK) return bad(d, "not a sync message");
    switch (type) {
    case SYNC_WIRE_HELLO:
        m->type = SYNC_WIRE_HELLO;
        return hello(&r, n, &m->u.hello, d);
    case SYNC_WIRE_SYNCED:
        m->type = SYNC_WIRE_SYNCED;
        if (n != 2 || !bin_of(&r, &m->u.synced.digest, RONDA_HASH_BYTES)) return bad(d, "malformed SYNCED");
        return RONDA_OK;
    case SYNC_WIRE_FRONTIER:
        m->type = SYNC_WIRE_FRONTIER;
        return frontier(&r, n, m, d);
    case SYNC_WIRE_WANT:
        m->type = SYNC_WIRE_WANT;
        return want(&r, n, &m->u.want, d);
    case SYNC_WIRE_RECORDS:
        m->type = SYNC_WIRE_RECORDS;
        return records(&r, n, m, d);
    case SYNC_WIRE_ZSTD:
        m->type = SYNC_WIRE_ZSTD;
        if (n != 2 || crd_bin(&r, &m->u.zstd.frame, &m->u.zstd.len) != RONDA_OK) return bad(d, "malformed ZSTD");
        return RONDA_OK;
    default:
        return bad(d, "unknown message type");
    }
}

int sync_wire_large_reply(const sync_wire_msg *m) {
    /* Pushes (reply 0) are applied at once, whatever their size: a deferred one would wait
     * for the next message or SYNC_DEFER_MS, and so would every hop it is relayed over. */
    return m->type == SYNC_WIRE_RECORDS && m->u.records.reply != 0 && m->u.records.count > SYNC_PUSH_RELAY_MAX;
}

void sync_wire_hello_enc(cwr *w, const uint8_t *authority, const uint8_t *digest, uint64_t clock_ms,
                         const uint64_t *features) {
    cwr_array(w, features ? 6 : 5);
    cwr_uint(w, SYNC_WIRE_HELLO);
    cwr_uint(w, SYNC_PROTO_VERSION);
    cwr_bin(w, authority, RONDA_KEY_BYTES);
    cwr_bin(w, digest, RONDA_HASH_BYTES);
    cwr_uint(w, clock_ms);
    if (features) cwr_uint(w, *features);
}

ronda_err sync_wire_inflate(ZSTD_DCtx *dctx, const sync_wire_zstd *z, uint8_t **out, size_t *out_len, ronda_detail *d) {
    *out = NULL;
    *out_len = 0;
    /* One frame, all of the bin, that says how large it inflates: the size is checked
     * before anything is allocated, and the inflating stops there. */
    size_t framed = ZSTD_findFrameCompressedSize(z->frame, z->len);
    if (ZSTD_isError(framed) || framed != z->len) return bad(d, "ZSTD is not one zstd frame");
    unsigned long long size = ZSTD_getFrameContentSize(z->frame, z->len);
    if (size == ZSTD_CONTENTSIZE_UNKNOWN || size == ZSTD_CONTENTSIZE_ERROR)
        return bad(d, "ZSTD frame does not declare its size");
    if (size > SYNC_MSG_MAX || size < 2) return bad(d, "ZSTD frame inflates beyond SYNC_MSG_MAX");
    if (ZSTD_isError(ZSTD_DCtx_setParameter(dctx, ZSTD_d_windowLogMax, SYNC_ZSTD_WINDOW_LOG)))
        return bad(d, "ZSTD window limit could not be set");
    uint8_t *buf = malloc((size_t)size);
    if (!buf) return RONDA_ERR_NOMEM;
    size_t got = ZSTD_decompressDCtx(dctx, buf, (size_t)size, z->frame, z->len);
    if (ZSTD_isError(got) || got != size) {
        if (d)
            snprintf(d->text, sizeof d->text, "ZSTD frame does not inflate: %s",
                     ZSTD_isError(got) ? ZSTD_getErrorName(got) : "shorter than it declares");
        free(buf);
        return RONDA_ERR_MALFORMED;
    }
    /* Only RECORDS is compressed: a frame inside a frame, or any other message, is refused
     * (the caller decodes the inner message once, as any other). */
    crd r = crd_make(buf, got);
    uint32_t n;
    uint64_t type;
    if (crd_array(&r, &n) != RONDA_OK || crd_uint(&r, &type) != RONDA_OK || type != SYNC_WIRE_RECORDS) {
        free(buf);
        return bad(d, "ZSTD frame holds no RECORDS message");
    }
    *out = buf;
    *out_len = got;
    return RONDA_OK;
}

int sync_wire_deflate(ZSTD_CCtx *cctx, int level, const uint8_t *msg, size_t len, uint8_t **out, size_t *out_len) {
    size_t bound = ZSTD_compressBound(len) + 8;
    uint8_t *buf = malloc(bound);
    if (!buf) return 0;
    /* [5, bin32 frame]: the bin's header written once the frame's size is known */
    size_t head = 1 + 1 + 5;
    if (ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 1)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_windowLog, SYNC_ZSTD_WINDOW_LOG))) {
        free(buf);
        return 0;
    }
    size_t z = ZSTD_compress2(cctx, buf + head, bound - head, msg, len);
    if (ZSTD_isError(z) || z > UINT32_MAX) {
        free(buf);
        return 0;
    }
    cwr w;
    cwr_init(&w);
    cwr_array(&w, 2);
    cwr_uint(&w, SYNC_WIRE_ZSTD);
    cwr_bin(&w, buf + head, z);
    free(buf);
    uint8_t *data;
    size_t dlen;
    if (cwr_take(&w, &data, &dlen) != RONDA_OK) {
        cwr_destroy(&w);
        return 0;
    }
    cwr_destroy(&w);
    if (dlen >= len) {
        free(data);
        return 0;
    }
    *out = data;
    *out_len = dlen;
    return 1;
}

void sync_wire_synced_enc(cwr *w, const uint8_t *digest) {
    cwr_array(w, 2);
    cwr_uint(w, SYNC_WIRE_SYNCED);
    cwr_bin(w, digest, RONDA_HASH_BYTES);
}

void sync_wire_frontier_enc(cwr *w, int last, uint32_t n, int delta) {
    cwr_array(w, delta ? 5 : 3);
    cwr_uint(w, SYNC_WIRE_FRONTIER);
    cwr_uint(w, last ? 1 : 0);
    cwr_array(w, n);
}

void sync_wire_frontier_round_enc(cwr *w, uint64_t round, uint64_t chunk) {
    cwr_uint(w, round);
    cwr_uint(w, chunk);
}

void sync_wire_entry_enc(cwr *w, const uint8_t *author, uint64_t seq, const uint8_t *head, uint64_t fork,
                         const uint8_t *pair) {
    cwr_array(w, fork ? (pair ? 5 : 4) : 3);
    cwr_bin(w, author, RONDA_KEY_BYTES);
    cwr_uint(w, seq);
    cwr_bin(w, head, RONDA_ID_BYTES);
    if (fork) cwr_uint(w, fork);
    if (fork && pair) cwr_bin(w, pair, 2 * RONDA_ID_BYTES);
}

void sync_wire_want_enc(cwr *w, const uint8_t *author, uint64_t from, uint64_t max) {
    cwr_array(w, 4);
    cwr_uint(w, SYNC_WIRE_WANT);
    cwr_bin(w, author, RONDA_KEY_BYTES);
    cwr_uint(w, from);
    cwr_uint(w, max);
}

void sync_wire_records_enc(cwr *w, uint64_t reply, const uint8_t *author, uint32_t n) {
    cwr_array(w, 4);
    cwr_uint(w, SYNC_WIRE_RECORDS);
    cwr_uint(w, reply);
    if (author)
        cwr_bin(w, author, RONDA_KEY_BYTES);
    else
        cwr_nil(w);
    cwr_array(w, n);
}

void sync_wire_encode(cwr *w, const sync_wire_msg *m) {
    switch (m->type) {
    case SYNC_WIRE_HELLO: {
        const sync_wire_hello *h = &m->u.hello;
        cwr_array(w, h->has_features ? 6 + h->later : h->has_clock ? 5 : 4);
        cwr_uint(w, SYNC_WIRE_HELLO);
        cwr_uint(w, h->version);
        cwr_bin(w, h->authority, RONDA_KEY_BYTES);
        cwr_bin(w, h->digest, RONDA_HASH_BYTES);
        if (h->has_clock) cwr_uint(w, h->clock_ms);
        if (h->has_features) cwr_uint(w, h->features);
        if (h->later) cwr_raw(w, h->later_bytes, h->later_len);
        return;
    }
    case SYNC_WIRE_SYNCED:
        sync_wire_synced_enc(w, m->u.synced.digest);
        return;
    case SYNC_WIRE_FRONTIER: {
        const sync_wire_frontier *f = &m->u.frontier;
        cwr_array(w, f->has_round ? 5 : 3);
        cwr_uint(w, SYNC_WIRE_FRONTIER);
        cwr_uint(w, f->last); /* as sent: any uint is read */
        cwr_array(w, f->n);
        for (uint32_t i = 0; i < f->n; i++)
            sync_wire_entry_enc(w, f->e[i].author, f->e[i].seq, f->e[i].head, f->e[i].fork, f->e[i].pair);
        if (f->has_round) sync_wire_frontier_round_enc(w, f->round, f->chunk);
        return;
    }
    case SYNC_WIRE_WANT:
        sync_wire_want_enc(w, m->u.want.author, m->u.want.from, m->u.want.max);
        return;
    case SYNC_WIRE_RECORDS: {
        const sync_wire_records *x = &m->u.records;
        sync_wire_records_enc(w, x->reply, x->author, x->got);
        for (uint32_t i = 0; i < x->got; i++) cwr_bin(w, x->item[i], x->len[i]);
        return;
    }
    case SYNC_WIRE_ZSTD:
        cwr_array(w, 2);
        cwr_uint(w, SYNC_WIRE_ZSTD);
        cwr_bin(w, m->u.zstd.frame, m->u.zstd.len);
        return;
    default:
        w->failed = 1; /* nothing decoded */
        return;
    }
}
