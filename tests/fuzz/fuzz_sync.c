/* libFuzzer harness: the sync core (src/sync) fed peer messages over a real store that
 * holds the harness's ledger, signed with keys the harness holds.
 *
 * The input is a program of operations, so that one input can bring peers up, say HELLO,
 * claim frontiers, ask for records and deliver records that verify: a mutated record
 * fails its signature first, so the harness seals records itself, from fuzz bytes (who
 * signs, which seq and prev, which time, which kind; the rest is the body, whose
 * placeholders name real keys and ids, see fz_substitute), and so reaches every check of
 * ronda_store_apply. Each operation is one byte, then its arguments:
 *
 *   0 RAW     peer, len16, bytes      any message, as a peer sends it (an op byte of 0x80 or
 *                                     more: the bytes inside a zstd frame, a ZSTD message)
 *   1 SEAL    peer, who, seqmode, time, kind, reply, len16, body   one sealed record in RECORDS
 *   2 TICK    step                    the clock advances step * 50 ms, then sync_tick
 *   3 PEER    peer                    the connection comes up (or goes down when it is up)
 *   4 HOLD                            sync_hold, or sync_release when held
 *   5 ECHO    peer                    what the core sends is delivered back as from `peer`
 *   6 CLAIM   peer, n, last, n x (who, seq16, head?)   a FRONTIER claim (last's bit 1: a
 *                                     delta frontier's chunk, round and chunk from its other bits)
 *   7 WANT    peer, who, from, max    a WANT
 *   8 HELLO   peer, digest?           a HELLO naming our authority (our digest or another), of
 *                                     4, 5 or 6 items (the 6th announcing zstd, or not)
 *
 * Oracles: no crash or sanitizer report; sync_receive and sync_tick never fail (the store is
 * healthy); the store verifies after every input that changed it; no more records are
 * accounted for than were received; the core sends only to peers that are up; the wire
 * decoder (src/sync/wire.c, which sync_receive calls) reads back exactly the bytes of every
 * message it accepts (written again by sync_wire_encode), and accepts every message the core
 * sends, whole; a ZSTD message the core sends inflates to a RECORDS message, accepted whole. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "record/canon.h"
#include "sync/sync.h"
#include "sync/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PEERS 3u     /* peer ids 1..PEERS */
#define OPS_MAX 64u  /* operations per input: bounds the time one input takes */
#define ECHO_MAX 64u /* messages echoed back per ECHO */
#define STEP_MS 50u  /* TICK's unit: the daemon's tick */

/* ---- the calls into the sync core, in one place: the only code to adapt when its API
 * changes (the clock the core takes, for one). */

/* Both of the core's clocks read the fuzzed time; the store's clock (the bound on records
 * dated ahead) too. */
static sync_clock clock_at(uint64_t now_ms) { return (sync_clock){{now_ms}, {now_ms}}; }
static ronda_wall fz_wall(void *ctx) {
    (void)ctx;
    return (ronda_wall){fz_clock_ms};
}
static ronda_err drive_new(ronda_store *s, sync_core **c) {
    ronda_store_set_clock(s, fz_wall, NULL);
    return sync_new(s, NULL, NULL, c);
}
static ronda_err drive_up(sync_core *c, uint32_t peer, uint64_t now_ms) {
    return sync_peer_up(c, peer, clock_at(now_ms));
}
static ronda_err drive_receive(sync_core *c, uint32_t peer, const uint8_t *m, size_t len, uint64_t now_ms) {
    return sync_receive(c, peer, m, len, clock_at(now_ms));
}
static ronda_err drive_tick(sync_core *c, uint64_t now_ms) { return sync_tick(c, clock_at(now_ms)); }

/* ---- input reading */

typedef struct in {
    const uint8_t *p, *end;
} in;

static uint8_t u8(in *x) { return x->p < x->end ? *x->p++ : 0; }
static uint16_t u16(in *x) {
    uint16_t v = u8(x);
    return (uint16_t)(v | (uint16_t)(u8(x) << 8));
}
static const uint8_t *bytes(in *x, size_t want, size_t *got) {
    size_t left = (size_t)(x->end - x->p);
    *got = want < left ? want : left;
    const uint8_t *p = x->p;
    x->p += *got;
    return p;
}

/* ---- the world of one input */

typedef struct world {
    ronda_store *s;
    sync_core *c;
    uint64_t now;                 /* ms, wall and monotonic alike here */
    uint64_t hlc;                 /* the last HLC the harness sealed: its records ascend */
    int up[PEERS + 1];            /* connection state per peer id */
    uint8_t last[RONDA_ID_BYTES]; /* id of the record sealed before */
    int has_last;
} world;

static uint32_t peer_of(uint8_t b) { return 1u + b % PEERS; }

static void check(ronda_err e, const char *what) {
    if (e != RONDA_OK) fz_fail("%s failed: %s (the store is healthy)", what, ronda_errname(e));
}

static uint8_t *take(cwr *wr, size_t *len) {
    uint8_t *out = NULL;
    if (cwr_take(wr, &out, len) != RONDA_OK) fz_fail("out of memory");
    cwr_destroy(wr);
    return out;
}

/* The decoder against its encoders: a message decoded whole is written back as the bytes it
 * began with (canonical msgpack has one form); `whole`: the core wrote it, so it decodes and
 * has no bytes after its array. */
static void wire_oracle(const uint8_t *m, size_t len, int whole) {
    static sync_wire_msg msg; /* ~24 KiB: not on the stack */
    ronda_detail d;
    ronda_err e = sync_wire_decode(m, len, &msg, &d);
    if (e != RONDA_OK) {
        if (whole) fz_fail("the core sent a message its own decoder refuses: %s", d.text);
        if (e != RONDA_ERR_MALFORMED) fz_fail("sync_wire_decode: %s, not MALFORMED", ronda_errname(e));
        return;
    }
    cwr wr;
    cwr_init(&wr);
    sync_wire_encode(&wr, &msg);
    size_t olen;
    uint8_t *out = take(&wr, &olen);
    if (olen > len || (whole && olen != len) || memcmp(out, m, olen) != 0)
        fz_fail("a decoded message (%zu bytes) is written back as other bytes (%zu)", len, olen);
    free(out);
    if (whole && msg.type == SYNC_WIRE_ZSTD) {
        static ZSTD_DCtx *dc;
        if (!dc && !(dc = ZSTD_createDCtx())) fz_fail("out of memory");
        uint8_t *inner;
        size_t ilen;
        sync_wire_zstd z = msg.u.zstd;
        if (sync_wire_inflate(dc, &z, &inner, &ilen, &d) != RONDA_OK)
            fz_fail("the core sent a ZSTD message that does not inflate: %s", d.text);
        if (ilen <= len) fz_fail("the core sent a ZSTD message no smaller than its RECORDS");
        wire_oracle(inner, ilen, 1);
        free(inner);
    }
}

static void deliver(world *w, uint32_t peer, const uint8_t *m, size_t len) {
    wire_oracle(m, len, 0);
    check(drive_receive(w->c, peer, m, len, w->now), "sync_receive");
}

/* RAW with the op's high bit: the bytes as the content of a zstd frame in a ZSTD message. */
static void deliver_zstd(world *w, uint32_t peer, const uint8_t *m, size_t len) {
    size_t cap = ZSTD_compressBound(len) + 16;
    uint8_t *frame = malloc(cap);
    if (!frame) fz_fail("out of memory");
    size_t flen = ZSTD_compress(frame, cap, m, len, 1);
    if (ZSTD_isError(flen)) fz_fail("ZSTD_compress: %s", ZSTD_getErrorName(flen));
    cwr wr;
    cwr_init(&wr);
    cwr_array(&wr, 2);
    cwr_uint(&wr, SYNC_WIRE_ZSTD);
    cwr_bin(&wr, frame, flen);
    free(frame);
    size_t zlen;
    uint8_t *z = take(&wr, &zlen);
    deliver(w, peer, z, zlen);
    free(z);
}

static int range_cb(void *ctx, const uint8_t *rec, size_t len) {
    ronda_record r;
    if (ronda_record_open(rec, len, &r, NULL) == RONDA_OK) memcpy(ctx, r.id, RONDA_ID_BYTES);
    return 0;
}

/* SEAL: a record signed by one of the harness's keys, delivered in a RECORDS message. */
static void op_seal(world *w, in *x) {
    uint32_t peer = peer_of(u8(x));
    fz_who who = (fz_who)(u8(x) % FZ__KEYS);
    uint8_t seqmode = u8(x), timemode = u8(x), kindb = u8(x), reply = u8(x);
    size_t blen;
    const uint8_t *b = bytes(x, u16(x), &blen);
    const fz_key *k = fz_key_of(who);

    uint64_t head = 0;
    uint8_t head_id[RONDA_ID_BYTES] = {0}, prev[RONDA_ID_BYTES];
    memset(prev, 0x5a, sizeof prev); /* what an unknown prev names */
    if (ronda_store_head(w->s, k->pk, &head, head_id) != RONDA_OK) head = 0;
    uint64_t seq;
    int prev_known = 1;
    switch (seqmode % 5) {
    case 0: /* the next record of the chain */
        seq = head + 1;
        memcpy(prev, head_id, sizeof prev);
        break;
    case 1: /* a second record for the head's seq: a fork */
        seq = head ? head : 1;
        prev_known = seq > 1 && ronda_store_range(w->s, k->pk, seq - 1, 1, 0, range_cb, prev) == RONDA_OK;
        break;
    case 2: /* beyond a gap */
        seq = head + 2 + seqmode / 5;
        prev_known = 0;
        break;
    case 3: /* the next seq naming a wrong prev */
        seq = head + 1;
        memcpy(prev, head_id, sizeof prev);
        prev[0] ^= 1;
        break;
    default: /* any earlier seq */
        seq = 1 + (head ? (uint64_t)(seqmode / 5) % head : 0);
        prev_known = seq > 1 && ronda_store_range(w->s, k->pk, seq - 1, 1, 0, range_cb, prev) == RONDA_OK;
    }
    if (!prev_known) memset(prev, 0x5a, sizeof prev);

    uint64_t ms;
    switch (timemode % 4) {
    case 0: /* now: ascending from the harness's last */
        ms = w->now;
        break;
    case 1: /* in the past (before the ledger, or before a member's validity) */
        ms = FZ_T0_MS - (uint64_t)(timemode / 4) * FZ_DAY_MS;
        break;
    case 2: /* ahead of our clock */
        ms = w->now + (uint64_t)(timemode / 4) * FZ_DAY_MS * 7;
        break;
    default: /* within the ledger's own seconds */
        ms = FZ_T0_MS + (uint64_t)(timemode / 4) * 1000u;
    }
    uint64_t hlc = ms << RONDA_HLC_COUNTER_BITS;
    if (timemode % 4 == 0 && hlc <= w->hlc) hlc = w->hlc + 1;
    if (hlc > w->hlc) w->hlc = hlc;

    ronda_kind kind = (ronda_kind)(RONDA_KIND_DIALOGUE + kindb % (RONDA_KIND__COUNT - 1));
    uint8_t *body = malloc(blen ? blen : 1);
    if (!body) fz_fail("out of memory");
    memcpy(body, b, blen);
    fz_substitute(body, blen, w->s, w->has_last ? w->last : NULL);
    uint8_t *rec = NULL;
    size_t rlen = 0;
    ronda_err e = ronda_record_seal(k->sk, seq, seq > 1 ? prev : NULL, hlc, kind, body, blen, &rec, &rlen);
    free(body);
    if (e != RONDA_OK) return; /* a body beyond RONDA_BODY_MAX */
    ronda_record r;
    if (ronda_record_open(rec, rlen, &r, NULL) == RONDA_OK) {
        memcpy(w->last, r.id, RONDA_ID_BYTES);
        w->has_last = 1;
    }

    cwr wr;
    cwr_init(&wr);
    cwr_array(&wr, 4);
    cwr_uint(&wr, 4); /* RECORDS */
    cwr_uint(&wr, reply & 1);
    if (reply & 2)
        cwr_bin(&wr, k->pk, RONDA_KEY_BYTES);
    else
        cwr_nil(&wr);
    cwr_array(&wr, 1);
    cwr_bin(&wr, rec, rlen);
    free(rec);
    size_t mlen;
    uint8_t *m = take(&wr, &mlen);
    deliver(w, peer, m, mlen);
    free(m);
}

/* CLAIM: a FRONTIER of up to 8 entries naming the harness's keys at any seq. */
static void op_claim(world *w, in *x) {
    uint32_t peer = peer_of(u8(x));
    uint8_t n = u8(x) % 9, lastb = u8(x), last = lastb & 1;
    int delta = (lastb & 2) != 0;
    cwr wr;
    cwr_init(&wr);
    cwr_array(&wr, delta ? 5 : 3);
    cwr_uint(&wr, 2); /* FRONTIER */
    cwr_uint(&wr, last);
    cwr_array(&wr, n);
    for (uint8_t i = 0; i < n; i++) {
        fz_who who = (fz_who)(u8(x) % FZ__KEYS);
        uint64_t seq = u16(x);
        uint8_t headmode = u8(x), head[RONDA_ID_BYTES];
        uint64_t held;
        if (headmode & 1 || ronda_store_head(w->s, fz_key_of(who)->pk, &held, head) != RONDA_OK)
            memset(head, headmode, sizeof head);
        cwr_array(&wr, 3);
        cwr_bin(&wr, fz_key_of(who)->pk, RONDA_KEY_BYTES);
        cwr_uint(&wr, seq);
        cwr_bin(&wr, head, sizeof head);
    }
    if (delta) { /* round 0 (refused) to 7, chunk 0 to 3 */
        cwr_uint(&wr, (uint64_t)(lastb >> 2) & 7u);
        cwr_uint(&wr, (uint64_t)(lastb >> 5) & 3u);
    }
    size_t len;
    uint8_t *m = take(&wr, &len);
    deliver(w, peer, m, len);
    free(m);
}

static void op_want(world *w, in *x) {
    uint32_t peer = peer_of(u8(x));
    fz_who who = (fz_who)(u8(x) % FZ__KEYS);
    uint64_t from = u8(x), max = u16(x);
    cwr wr;
    cwr_init(&wr);
    cwr_array(&wr, 4);
    cwr_uint(&wr, 3); /* WANT */
    cwr_bin(&wr, fz_key_of(who)->pk, RONDA_KEY_BYTES);
    cwr_uint(&wr, from);
    cwr_uint(&wr, max);
    size_t len;
    uint8_t *m = take(&wr, &len);
    deliver(w, peer, m, len);
    free(m);
}

static void op_hello(world *w, in *x) {
    uint32_t peer = peer_of(u8(x));
    uint8_t mode = u8(x), digest[RONDA_HASH_BYTES];
    uint64_t authors;
    if (mode & 1 || ronda_store_digest(w->s, digest, &authors) != RONDA_OK) memset(digest, mode, sizeof digest);
    unsigned items = 4u + (mode >> 1) % 3u; /* 4: no clock, 5: a clock, 6: and features */
    cwr wr;
    cwr_init(&wr);
    cwr_array(&wr, items);
    cwr_uint(&wr, 0); /* HELLO */
    cwr_uint(&wr, SYNC_PROTO_VERSION);
    cwr_bin(&wr, fz_key_of(FZ_AUTHORITY)->pk, RONDA_KEY_BYTES);
    cwr_bin(&wr, digest, sizeof digest);
    if (items >= 5) cwr_uint(&wr, w->now);
    if (items >= 6) cwr_uint(&wr, (mode >> 3) & SYNC_FEATURES_ALL);
    size_t len;
    uint8_t *m = take(&wr, &len);
    deliver(w, peer, m, len);
    free(m);
}

/* What the core sends: dropped, or (ECHO) delivered back as from another peer, so its own
 * HELLOs, FRONTIERs, WANTs and RECORDS replies are parsed and answered too. */
static void drain(world *w, uint32_t echo_to) {
    uint32_t peer;
    uint8_t *m;
    size_t len;
    unsigned echoed = 0;
    while (sync_next_out(w->c, &peer, &m, &len)) {
        if (peer == 0 || peer > PEERS || !w->up[peer]) fz_fail("a message for peer %u, which is not up", peer);
        wire_oracle(m, len, 1);
        if (echo_to && echoed++ < ECHO_MAX) deliver(w, echo_to, m, len);
        free(m);
    }
}

static void no_finding(void *ctx, const ronda_finding *f) {
    uint64_t *bad = ctx;
    if (strcmp(f->what, "fork") != 0) (*bad)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fz_init();
    world w;
    memset(&w, 0, sizeof w);
    w.now = FZ_NOW0_MS;
    w.s = fz_store("sync.db", 1);
    check(drive_new(w.s, &w.c), "sync_new");
    check(drive_up(w.c, 1, w.now), "sync_peer_up");
    w.up[1] = 1;
    in x = {data, data + size};
    for (unsigned ops = 0; x.p < x.end && ops < OPS_MAX; ops++) {
        uint8_t op = u8(&x);
        switch (op % 9) {
        case 0: {
            uint32_t peer = peer_of(u8(&x));
            size_t len;
            const uint8_t *m = bytes(&x, u16(&x), &len);
            if (op & 0x80)
                deliver_zstd(&w, peer, m, len);
            else
                deliver(&w, peer, m, len);
            break;
        }
        case 1:
            op_seal(&w, &x);
            break;
        case 2:
            w.now += (uint64_t)u8(&x) * STEP_MS;
            fz_clock_ms = w.now;
            check(drive_tick(w.c, w.now), "sync_tick");
            break;
        case 3: {
            uint32_t peer = peer_of(u8(&x));
            if (w.up[peer]) {
                drain(&w, 0); /* its queue goes with it; what others wait for stays */
                sync_peer_down(w.c, peer);
                w.up[peer] = 0;
            } else {
                check(drive_up(w.c, peer, w.now), "sync_peer_up");
                w.up[peer] = 1;
            }
            break;
        }
        case 4:
            if (op & 0x80)
                check(sync_release(w.c), "sync_release");
            else
                sync_hold(w.c);
            break;
        case 5:
            drain(&w, peer_of(u8(&x)));
            break;
        case 6:
            op_claim(&w, &x);
            break;
        case 7:
            op_want(&w, &x);
            break;
        default:
            op_hello(&w, &x);
        }
    }
    check(sync_release(w.c), "sync_release");
    drain(&w, 0);
    sync_stats st;
    sync_get_stats(w.c, &st);
    if (st.stored + st.duplicates + st.forks + st.deferred > st.received)
        fz_fail("more records accounted for than received");
    if (getenv("RONDA_FUZZ_TRACE")) /* what one input did, to check what a seed reaches */
        fprintf(stderr,
                "sync: received %llu stored %llu duplicates %llu forks %llu deferred %llu rejected %llu msgs in %llu "
                "out %llu zstd in %llu out %llu\n",
                (unsigned long long)st.received, (unsigned long long)st.stored, (unsigned long long)st.duplicates,
                (unsigned long long)st.forks, (unsigned long long)st.deferred, (unsigned long long)st.rejected,
                (unsigned long long)st.msgs_in, (unsigned long long)st.msgs_out, (unsigned long long)st.zstd_in,
                (unsigned long long)st.zstd_out);
    sync_destroy(&w.c);
    uint64_t bad = 0;
    ronda_verify_summary sum;
    /* Verifying costs a signature check per record: only when the ledger changed. */
    if (st.stored + st.forks > 0 && (ronda_store_verify(w.s, 1, no_finding, &bad, &sum) != RONDA_OK || bad != 0))
        fz_fail("the store does not verify after sync (%llu findings)", (unsigned long long)bad);
    fz_store_drop(&w.s, "sync.db");
    return 0;
}
