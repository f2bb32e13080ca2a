/* fuzz_seeds DIR [VECTORS]: writes the seed corpora of the harnesses (tests/fuzz/corpus) into
 * DIR/<harness>/: valid examples, each a few hundred bytes to a few KiB, from the harnesses'
 * own ledger (fuzz_common.c: same keys, same ids) and from proto/vectors.json (VECTORS).
 * Deterministic: running it again writes the same files. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_common.h"
#include "record/canon.h"

static const char *out_dir;

static void put(const char *harness, const char *name, const void *b, size_t len) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", out_dir, harness);
    if (mkdir(path, 0755) != 0 && errno != EEXIST) fz_fail("mkdir %s", path);
    snprintf(path, sizeof path, "%s/%s/%s", out_dir, harness, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(b, 1, len, f) != len || fclose(f) != 0) fz_fail("cannot write %s", path);
}

static void put_str(const char *harness, const char *name, const char *s) { put(harness, name, s, strlen(s)); }

static uint8_t *unhex(const char *hex, size_t *len) {
    size_t n = strlen(hex) / 2;
    uint8_t *b = malloc(n ? n : 1);
    if (!b || ronda_unhex(hex, b, n) != RONDA_OK) fz_fail("bad hex in the vectors");
    *len = n;
    return b;
}

/* ---- record and body seeds */

static void record_seeds(const char *vectors) {
    const fz_ledger *L = fz_ledger_get();
    char name[64];
    for (size_t i = 0; i < L->n; i++) {
        ronda_record r;
        if (ronda_record_open(L->rec[i], L->len[i], &r, NULL) != RONDA_OK) fz_fail("ledger record");
        snprintf(name, sizeof name, "ledger-%02zu-%s", i, ronda_kind_name(r.kind));
        put("record", name, L->rec[i], L->len[i]);
        char harness[64];
        snprintf(harness, sizeof harness, "body_%s", ronda_kind_name(r.kind));
        snprintf(name, sizeof name, "ledger-%02zu", i);
        put(harness, name, r.body, r.body_len);
    }
    if (!vectors) return;
    json_error_t err;
    json_t *v = json_load_file(vectors, 0, &err);
    if (!v) fz_fail("%s: %s", vectors, err.text);
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(v, "vectors"), i, x) {
        const char *vname = json_string_value(json_object_get(x, "name"));
        const char *kind = json_string_value(json_object_get(x, "kind"));
        size_t len;
        uint8_t *b = unhex(json_string_value(json_object_get(x, "record")), &len);
        snprintf(name, sizeof name, "vector-%s", vname);
        put("record", name, b, len);
        free(b);
        b = unhex(json_string_value(json_object_get(x, "body_hex")), &len);
        char harness[64];
        snprintf(harness, sizeof harness, "body_%s", kind);
        put(harness, name, b, len);
        free(b);
    }
    json_decref(v);
}

/* ---- bundles: real exports of the ledger, each after a mode byte (fuzz_bundle.c) */

static void bundle_seed(const char *name, uint8_t mode, int full) {
    ronda_store *s = fz_store("seed.db", full);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f || fputc(mode, f) == EOF || ronda_bundle_export(s, f, FZ_NOW0_MS, NULL) != RONDA_OK || fclose(f) != 0)
        fz_fail("export");
    put("bundle", name, buf, len);
    free(buf);
    fz_store_drop(&s, "seed.db");
}

/* ---- sync programs (fuzz_sync.c's operations) */

typedef struct prog {
    uint8_t b[16384];
    size_t n;
} prog;

static void emit(prog *p, const void *b, size_t len) {
    if (p->n + len > sizeof p->b) fz_fail("program too long");
    memcpy(p->b + p->n, b, len);
    p->n += len;
}
static void op(prog *p, int n, ...) {
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++) {
        uint8_t v = (uint8_t)va_arg(ap, int);
        emit(p, &v, 1);
    }
    va_end(ap);
}

/* SEAL peer who seqmode timemode kind reply body */
static void seal(prog *p, uint8_t peer, fz_who who, uint8_t seqmode, uint8_t timemode, ronda_kind kind, uint8_t reply,
                 const uint8_t *body, size_t len) {
    op(p, 9, 1, peer, who, seqmode, timemode, kind - RONDA_KIND_DIALOGUE, reply, (int)(len & 0xff), (int)(len >> 8));
    emit(p, body, len);
}

static char *run32(uint8_t v, char out[65]) {
    uint8_t b[32];
    memset(b, v, sizeof b);
    ronda_hex(b, 32, out);
    return out;
}

static uint8_t *body_of(ronda_kind kind, json_t *j, size_t *len) { return fz_body(kind, j, len); }

static json_t *dialogue(const char *polsek) {
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:[{s:s, s:s}], s:s}", "when", "2026-01-02T09:00:00+07:00", "title",
                     "Warkop Kamtibmas", "venue", "Balai desa", "polres", "Trenggalek", "polsek", polsek, "topics",
                     "summary", "Pencurian ternak", "category", "vulnerable_area", "programme", "warkop");
}

static void sync_seeds(void) {
    char h1[65], h2[65], h3[65];
    size_t len;
    uint8_t *b;
    prog p;

    memset(&p, 0, sizeof p); /* a round in step: HELLO with our digest, SYNCED back */
    op(&p, 3, 8, 0, 0);
    op(&p, 2, 5, 0);
    put("sync", "hello-synced", p.b, p.n);

    memset(&p, 0, sizeof p); /* a round out of step, the core's own messages echoed back */
    op(&p, 2, 3, 1);         /* peer 2 up */
    op(&p, 3, 8, 0, 1);
    op(&p, 2, 5, 1);
    op(&p, 2, 2, 60);
    op(&p, 2, 5, 0);
    put("sync", "hello-frontier-echo", p.b, p.n);

    memset(&p, 0, sizeof p); /* M1 files a dialogue, M2 resolves it, M1 amends it */
    b = body_of(RONDA_KIND_DIALOGUE, dialogue("Durenan"), &len);
    seal(&p, 0, FZ_M1, 0, 0, RONDA_KIND_DIALOGUE, 0, b, len);
    free(b);
    b = body_of(RONDA_KIND_RESOLUTION,
                json_pack("{s:s, s:i, s:s, s:s, s:s, s:s}", "when", "2026-01-02T12:00:00+07:00", "topic", 0, "action",
                          "Dirujuk ke Polres", "status", "referred", "dialogue", run32(0xd1, h1), "referred_to",
                          "Satreskrim Polres Trenggalek"),
                &len);
    seal(&p, 0, FZ_M2, 0, 0, RONDA_KIND_RESOLUTION, 0, b, len);
    free(b);
    b = body_of(RONDA_KIND_AMEND,
                json_pack("{s:o, s:s, s:s, s:s}", "body", dialogue("Durenan"), "kind", "dialogue", "reason",
                          "tempat salah", "target", run32(0xd0, h1)),
                &len);
    seal(&p, 0, FZ_M1, 0, 0, RONDA_KIND_AMEND, 0, b, len);
    free(b);
    op(&p, 2, 2, 1);
    op(&p, 2, 5, 0);
    put("sync", "dialogue-resolution-amend", p.b, p.n);

    memset(&p, 0, sizeof p); /* the authority admits the outsider, who then files a dialogue */
    b = body_of(RONDA_KIND_MEMBER,
                json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "name", "Polsek Panggul", "role", "precinct",
                          "polres", "Trenggalek", "polsek", "Panggul", "sign_key", run32(0xa0 + FZ_OUTSIDER, h1),
                          "curve_key", run32(0xb0 + FZ_OUTSIDER, h2), "valid_from", (json_int_t)(FZ_T0_MS - FZ_DAY_MS),
                          "valid_until", (json_int_t)(FZ_T0_MS + 365 * FZ_DAY_MS)),
                &len);
    seal(&p, 0, FZ_AUTHORITY, 0, 0, RONDA_KIND_MEMBER, 0, b, len);
    free(b);
    b = body_of(RONDA_KIND_DIALOGUE, dialogue("Panggul"), &len);
    seal(&p, 0, FZ_OUTSIDER, 0, 0, RONDA_KIND_DIALOGUE, 0, b, len);
    free(b);
    put("sync", "admit-then-write", p.b, p.n);

    memset(&p, 0, sizeof p); /* the authority revokes M1 at its head; M1 writes on anyway */
    b = body_of(RONDA_KIND_REVOKE,
                json_pack("{s:s, s:s, s:s, s:I}", "member", run32(0xa0 + FZ_M1, h1), "reason", "dipindahtugaskan",
                          "last_id", run32(0xc0 + FZ_M1, h2), "last_seq", (json_int_t)3),
                &len);
    seal(&p, 0, FZ_AUTHORITY, 0, 0, RONDA_KIND_REVOKE, 0, b, len);
    free(b);
    b = body_of(RONDA_KIND_DIALOGUE, dialogue("Durenan"), &len);
    seal(&p, 0, FZ_M1, 0, 0, RONDA_KIND_DIALOGUE, 0, b, len);
    free(b);
    put("sync", "revoke-then-write", p.b, p.n);

    memset(&p, 0, sizeof p); /* HQ writes a checkpoint of the frontier it holds */
    {
        json_t *fr = json_array();
        /* entries ascend by author hex; the order of the keys' hex is found at run time */
        fz_who order[FZ__KEYS - 1] = {FZ_AUTHORITY, FZ_M1, FZ_M2, FZ_M3, FZ_HQ};
        for (int i = 0; i < FZ__KEYS - 1; i++)
            for (int j = i + 1; j < FZ__KEYS - 1; j++)
                if (memcmp(fz_key_of(order[j])->pk, fz_key_of(order[i])->pk, 32) < 0) {
                    fz_who t = order[i];
                    order[i] = order[j];
                    order[j] = t;
                }
        /* real keys and heads (placeholders would not keep the authors' order) */
        const fz_ledger *L = fz_ledger_get();
        for (int i = 0; i < FZ__KEYS - 1; i++) {
            uint64_t seq = 0;
            uint8_t head[RONDA_ID_BYTES];
            for (size_t r = 0; r < L->n; r++) {
                ronda_record rec;
                if (ronda_record_open(L->rec[r], L->len[r], &rec, NULL) == RONDA_OK &&
                    memcmp(rec.author, fz_key_of(order[i])->pk, 32) == 0) {
                    seq = rec.seq;
                    memcpy(head, rec.id, sizeof head);
                }
            }
            if (seq == 0) continue; /* HQ holds no record of its own yet */
            ronda_hex(head, 32, h1);
            ronda_hex(fz_key_of(order[i])->pk, 32, h2);
            json_array_append_new(fr, json_pack("{s:I, s:s, s:s}", "seq", (json_int_t)seq, "head", h1, "author", h2));
        }
        b = body_of(RONDA_KIND_CHECKPOINT,
                    json_pack("{s:i, s:i, s:s, s:i, s:o}", "part", 0, "parts", 1, "digest", run32(0xdd, h3), "records",
                              10, "frontier", fr),
                    &len);
        seal(&p, 0, FZ_HQ, 0, 0, RONDA_KIND_CHECKPOINT, 0, b, len);
        free(b);
    }
    put("sync", "checkpoint", p.b, p.n);

    memset(&p, 0, sizeof p); /* a fork of M1's head, a gap, a wrong prev, a far-future record */
    b = body_of(RONDA_KIND_DIALOGUE, dialogue("Durenan"), &len);
    seal(&p, 0, FZ_M1, 1, 0, RONDA_KIND_DIALOGUE, 0, b, len);
    seal(&p, 0, FZ_M1, 2, 0, RONDA_KIND_DIALOGUE, 0, b, len);
    seal(&p, 0, FZ_M1, 3, 0, RONDA_KIND_DIALOGUE, 0, b, len);
    seal(&p, 0, FZ_M1, 0, 2 + 4 * 50, RONDA_KIND_DIALOGUE, 0, b, len);
    seal(&p, 0, FZ_M3, 0, 0, RONDA_KIND_DIALOGUE, 0, b, len);
    seal(&p, 0, FZ_OUTSIDER, 0, 0, RONDA_KIND_DIALOGUE, 0, b, len);
    free(b);
    op(&p, 2, 5, 0);
    put("sync", "fork-gap-chain-future", p.b, p.n);

    memset(&p, 0, sizeof p);           /* claims: our own key far ahead, others ahead; WANTs; group commit */
    op(&p, 2, 3, 1);                   /* peer 2 up */
    op(&p, 4, 6, 1, 3, 1);             /* CLAIM from peer 2, 3 entries, last */
    op(&p, 4, FZ_M2, 0xe8, 0x03, 1);   /*   M2 (ourselves) at 1000 */
    op(&p, 4, FZ_M1, 5, 0, 1);         /*   M1 at 5 */
    op(&p, 4, FZ_AUTHORITY, 5, 0, 0);  /*   the authority at its head */
    op(&p, 2, 5, 1);                   /* our WANTs echoed to peer 2 */
    op(&p, 6, 7, 0, FZ_M1, 1, 100, 0); /* WANT M1 from 1, at most 100 */
    op(&p, 1, 4);                      /* HOLD */
    b = body_of(RONDA_KIND_DIALOGUE, dialogue("Durenan"), &len);
    seal(&p, 1, FZ_M1, 0, 0, RONDA_KIND_DIALOGUE, 3, b, len); /* a reply naming its author */
    free(b);
    op(&p, 1, 0x84); /* RELEASE */
    op(&p, 2, 2, 255);
    op(&p, 2, 2, 255);
    op(&p, 2, 5, 1);
    put("sync", "claims-wants-hold", p.b, p.n);

    memset(&p, 0, sizeof p); /* a raw RECORDS push of the whole ledger: duplicates */
    {
        const fz_ledger *L = fz_ledger_get();
        cwr w;
        cwr_init(&w);
        cwr_array(&w, 4);
        cwr_uint(&w, 4);
        cwr_uint(&w, 0);
        cwr_nil(&w);
        cwr_array(&w, (uint32_t)L->n);
        for (size_t i = 0; i < L->n; i++) cwr_bin(&w, L->rec[i], L->len[i]);
        uint8_t *m;
        size_t mlen;
        if (cwr_take(&w, &m, &mlen) != RONDA_OK) fz_fail("out of memory");
        cwr_destroy(&w);
        op(&p, 4, 0, 0, (int)(mlen & 0xff), (int)(mlen >> 8));
        emit(&p, m, mlen);
        prog z; /* the same push inside a zstd frame (RAW's op byte 0x87: 0x87 % 9 = 0) */
        memset(&z, 0, sizeof z);
        op(&z, 4, 0x87, 0, (int)(mlen & 0xff), (int)(mlen >> 8));
        emit(&z, m, mlen);
        put("sync", "zstd-push-duplicates", z.b, z.n);
        free(m);
    }
    put("sync", "raw-push-duplicates", p.b, p.n);

    memset(&p, 0, sizeof p); /* peer 1 announces zstd (a 6-item HELLO, mode 11), asks for the
                              * authority's chain (a compressed reply), which is echoed to peer 2 */
    op(&p, 3, 8, 0, 11);
    op(&p, 6, 7, 0, FZ_AUTHORITY, 1, 100, 0);
    op(&p, 2, 3, 1);
    op(&p, 2, 5, 1);
    put("sync", "hello-zstd-want-echo", p.b, p.n);

    memset(&p, 0, sizeof p); /* delta frontiers: peer 1 announces them (HELLO mode 29: 6 items,
                              * zstd and delta), sends rounds 1 and 2, then 4 (a gap); ticks
                              * replay what its entries asked for; the core's deltas echoed */
    op(&p, 3, 8, 0, 29);
    op(&p, 8, 6, 0, 1, 7, FZ_M1, 40, 0, 1);
    op(&p, 8, 6, 0, 1, 11, FZ_M2, 9, 0, 1);
    op(&p, 2, 2, 40);
    op(&p, 8, 6, 0, 1, 19, FZ_M1, 41, 0, 1);
    op(&p, 2, 2, 40);
    op(&p, 3, 8, 0, 29);
    op(&p, 2, 5, 0);
    put("sync", "delta-frontier-rounds", p.b, p.n);
}

static void text_seeds(const char *examples) {
    if (examples) {
        FILE *f = fopen(examples, "rb");
        if (!f) fz_fail("cannot read %s", examples);
        static char buf[65536];
        size_t n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        put("ini", "example", buf, n);
    }
    put_str("ini", "peers",
            "[node]\ndir = /var/lib/ronda/durenan\n[net]\nlisten = tcp://0.0.0.0:7401\n"
            "peer = tcp://10.35.3.1:7401\npeer = ipc:///run/ronda/hq.sock\nfanout = 5\n"
            "[log]\nlevel = debug\nprefix = never\nprogress = json\n");
    put_str("ini", "http", "[http]\nlisten = 127.0.0.1:8080\nzone = WITA\n[audit]\ncheckpoint_every = 3600\n");
    put_str("ini", "errors",
            "dir = outside\n[nowhere]\nx = 1\n[net]\nfanout = 99\nfanout = 2\n  continued\n[log\n"
            "garbage line\n");
    static const char report[] = "\0by=polsek&polres=Trenggalek&from=2026-01-01&to=2026-12-31&overdue_days=30";
    put("http", "report", report, sizeof report - 1);
    put_str("http", "dialogues",
            "\x01polres=Trenggalek&polsek=Durenan&programme=curhat&category=traffic&status=open"
            "&q=parkir+liar&limit=50&offset=0");
    put_str("http", "utf8", "\x01q=%E2%82%AC+kopi+%C3%A9&polres=Ponorogo");
    put_str("http", "followups", "\x02state=overdue&overdue_days=14&limit=10&offset=20&from=2026-01-01");
    put_str("http", "unknown", "\x03x=1&y");
    put_str("http", "listen",
            "\x04"
            "127.0.0.1:8080");
    put_str("http", "listen6", "\x04[::1]:8080");
    put_str("http", "zone", "\x05WITA");
    char id[2 * RONDA_ID_BYTES + 2] = "\x05";
    ronda_hex(fz_ledger_get()->d1, RONDA_ID_BYTES, id + 1);
    put_str("http", "id", id);
}

int main(int argc, char **argv) {
    if (argc < 2 || argc > 4) {
        fprintf(stderr, "usage: fuzz_seeds DIR [proto/vectors.json [deploy/examples/ronda.ini]]\n");
        return 2;
    }
    out_dir = argv[1];
    if (mkdir(out_dir, 0755) != 0 && errno != EEXIST) fz_fail("mkdir %s", out_dir);
    fz_init();
    record_seeds(argc > 2 ? argv[2] : NULL);
    bundle_seed("full-into-empty", 0, 1);
    bundle_seed("full-into-full", 1, 1);
    bundle_seed("empty-into-full", 1, 0);
    sync_seeds();
    text_seeds(argc > 3 ? argv[3] : NULL);
    return 0;
}
