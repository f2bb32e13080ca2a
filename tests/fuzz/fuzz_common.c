/* Shared by the libFuzzer harnesses (see fuzz_common.h): real keys, a real sealed ledger,
 * real SQLite stores copied from a template file for every input. */
#include "fuzz_common.h"

#include <fcntl.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static fz_key keys[FZ__KEYS];
static fz_ledger ledger;
static char dir[256];
static uint8_t *tmpl[2]; /* template database files: [0] empty, [1] with the ledger */
static size_t tmpl_len[2];
static int ready;
uint64_t fz_clock_ms = FZ_NOW0_MS;

void fz_fail(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("fuzz oracle failed: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

const fz_key *fz_key_of(fz_who who) { return &keys[who]; }
const fz_ledger *fz_ledger_get(void) { return &ledger; }
const char *fz_dir(void) { return dir; }

static void hex_of(const uint8_t *b, char out[65]) { ronda_hex(b, 32, out); }

uint8_t *fz_body(ronda_kind kind, json_t *json, size_t *len) {
    uint8_t *out = NULL;
    ronda_detail d = {{0}};
    ronda_err e = ronda_body_from_json(kind, json, &out, len, &d);
    json_decref(json);
    if (e != RONDA_OK) fz_fail("fixture body of kind %s: %s (%s)", ronda_kind_name(kind), ronda_errname(e), d.text);
    return out;
}

static json_t *member_json(fz_who who, const char *role, const char *polsek) {
    char sign[65], curve[65];
    hex_of(keys[who].pk, sign);
    hex_of(keys[who].curve, curve);
    json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "name", polsek ? polsek : "Polres Trenggalek", "role",
                          role, "polres", "Trenggalek", "sign_key", sign, "curve_key", curve, "valid_from",
                          (json_int_t)(FZ_T0_MS - FZ_DAY_MS), "valid_until", (json_int_t)(FZ_T0_MS + 365 * FZ_DAY_MS));
    if (polsek) json_object_set_new(j, "polsek", json_string(polsek));
    if (who == FZ_M1) json_object_set_new(j, "endpoint", json_string("tcp://10.35.3.12:7400"));
    return j;
}

static json_t *dialogue_json(const char *polsek, const char *when, int topics) {
    json_t *t = json_array();
    json_array_append_new(t, json_pack("{s:s, s:s}", "summary", "Parkir liar di depan pasar", "category", "traffic"));
    if (topics > 1)
        json_array_append_new(
            t, json_pack("{s:s, s:s}", "summary", "Warga minta patroli malam", "category", "aspiration"));
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:[s], s:I}", "when", when, "title", "Jumat Curhat",
                     "venue", "Warkop Bu Sri", "polres", "Trenggalek", "polsek", polsek, "topics", t, "programme",
                     "curhat", "village", "Durenan", "officers", "Aiptu Suharto", "participants", (json_int_t)23);
}

/* Seal the next record of `who` in the ledger being built; `prev` is its last id. */
static void seal(fz_who who, uint64_t *seq, uint8_t prev[RONDA_ID_BYTES], ronda_kind kind, json_t *body,
                 unsigned second) {
    size_t blen;
    uint8_t *b = fz_body(kind, body, &blen);
    uint8_t *rec = NULL;
    size_t len = 0;
    uint64_t hlc = (FZ_T0_MS + second * 1000ull) << RONDA_HLC_COUNTER_BITS;
    (*seq)++;
    if (ronda_record_seal(keys[who].sk, *seq, *seq > 1 ? prev : NULL, hlc, kind, b, blen, &rec, &len) != RONDA_OK)
        fz_fail("seal");
    free(b);
    ronda_record r;
    if (ronda_record_open(rec, len, &r, NULL) != RONDA_OK) fz_fail("open of a sealed fixture");
    memcpy(prev, r.id, RONDA_ID_BYTES);
    if (ledger.n >= FZ_LEDGER_MAX) fz_fail("ledger full");
    memcpy(ledger.id[ledger.n], r.id, RONDA_ID_BYTES);
    ledger.rec[ledger.n] = rec;
    ledger.len[ledger.n++] = len;
}

static void build_ledger(void) {
    uint64_t sa = 0, s1 = 0, s2 = 0, s3 = 0;
    uint8_t pa[32], p1[32], p2[32], p3[32], m3_first[32];
    char hex[65];
    seal(FZ_AUTHORITY, &sa, pa, RONDA_KIND_MEMBER, member_json(FZ_M1, "precinct", "Durenan"), 10);
    seal(FZ_AUTHORITY, &sa, pa, RONDA_KIND_MEMBER, member_json(FZ_M2, "precinct", "Gandusari"), 11);
    seal(FZ_AUTHORITY, &sa, pa, RONDA_KIND_MEMBER, member_json(FZ_M3, "precinct", "Pogalan"), 12);
    seal(FZ_AUTHORITY, &sa, pa, RONDA_KIND_MEMBER, member_json(FZ_HQ, "hq", NULL), 13);
    seal(FZ_M1, &s1, p1, RONDA_KIND_DIALOGUE, dialogue_json("Durenan", "2026-01-01T09:00:00+07:00", 2), 20);
    memcpy(ledger.d1, p1, 32);
    hex_of(ledger.d1, hex);
    seal(FZ_M2, &s2, p2, RONDA_KIND_RESOLUTION,
         json_pack("{s:s, s:i, s:s, s:s, s:s}", "when", "2026-01-01T11:00:00+07:00", "topic", 0, "action",
                   "Parkir ditertibkan bersama Dishub", "status", "resolved", "dialogue", hex),
         21);
    seal(FZ_M3, &s3, p3, RONDA_KIND_DIALOGUE, dialogue_json("Pogalan", "2026-01-01T10:00:00+07:00", 1), 22);
    memcpy(m3_first, p3, 32);
    char m3[65], last[65];
    hex_of(keys[FZ_M3].pk, m3);
    hex_of(m3_first, last);
    seal(FZ_AUTHORITY, &sa, pa, RONDA_KIND_REVOKE,
         json_pack("{s:s, s:s, s:s, s:I}", "member", m3, "reason", "laptop stolen", "last_id", last, "last_seq",
                   (json_int_t)1),
         23);
    seal(FZ_M1, &s1, p1, RONDA_KIND_DIALOGUE, dialogue_json("Durenan", "2026-01-01T13:00:00+07:00", 1), 24);
    seal(FZ_M1, &s1, p1, RONDA_KIND_AMEND,
         json_pack("{s:o, s:s, s:s, s:s}", "body", dialogue_json("Durenan", "2026-01-01T09:30:00+07:00", 2), "kind",
                   "dialogue", "reason", "jam salah ketik", "target", hex),
         25);
}

static void rmtree_scratch(void) {
    if (!dir[0]) return;
    char cmd[300];
    /* Only our own mkdtemp directory, whose name we made. */
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "fuzz: could not remove %s\n", dir);
}

static void make_dir(void) {
    const char *bases[3] = {"/dev/shm", getenv("TMPDIR"), "/tmp"};
    for (int i = 0; i < 3; i++) {
        if (!bases[i] || !*bases[i] || strlen(bases[i]) > 200 || access(bases[i], W_OK) != 0) continue;
        snprintf(dir, sizeof dir, "%s/ronda-fuzz-XXXXXX", bases[i]);
        if (mkdtemp(dir)) {
            atexit(rmtree_scratch);
            return;
        }
    }
    dir[0] = '\0';
    fz_fail("no writable scratch directory");
}

static void path_of(const char *name, char *out, size_t len) { snprintf(out, len, "%s/%s", dir, name); }

static uint8_t *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) fz_fail("cannot read %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc(n > 0 ? (size_t)n : 1);
    if (!b || n <= 0 || fread(b, 1, (size_t)n, f) != (size_t)n) fz_fail("cannot read %s", path);
    fclose(f);
    *len = (size_t)n;
    return b;
}

static void remove_db(const char *path) {
    char p[300];
    unlink(path);
    snprintf(p, sizeof p, "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", path);
    unlink(p);
}

static void make_template(int full) {
    char path[300];
    path_of(full ? "template-full.db" : "template-empty.db", path, sizeof path);
    ronda_store *s = NULL;
    if (ronda_store_create(path, keys[FZ_AUTHORITY].pk, keys[FZ_M2].pk, &s) != RONDA_OK) fz_fail("store_create");
    for (size_t i = 0; full && i < ledger.n; i++) {
        ronda_outcome o;
        ronda_detail d = {{0}};
        ronda_err e = ronda_store_ingest(s, ledger.rec[i], ledger.len[i], &o, &d);
        if (e != RONDA_OK || o != RONDA_STORED) fz_fail("ledger record %zu: %s (%s)", i, ronda_errname(e), d.text);
    }
    ronda_store_close(&s); /* the last close checkpoints the WAL into the file */
    tmpl[full] = slurp(path, &tmpl_len[full]);
    remove_db(path);
}

void fz_init(void) {
    if (ready) return;
    if (ronda_init() != RONDA_OK) fz_fail("ronda_init");
    for (int i = 0; i < FZ__KEYS; i++) {
        uint8_t seed[crypto_sign_SEEDBYTES];
        memset(seed, 0x40 + i, sizeof seed);
        crypto_sign_seed_keypair(keys[i].pk, keys[i].sk, seed);
        if (crypto_sign_ed25519_pk_to_curve25519(keys[i].curve, keys[i].pk) != 0) fz_fail("curve key");
    }
    build_ledger();
    make_dir();
    make_template(0);
    make_template(1);
    ready = 1;
}

ronda_store *fz_store(const char *name, int full) {
    char path[300];
    fz_clock_ms = FZ_NOW0_MS;
    path_of(name, path, sizeof path);
    remove_db(path);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || write(fd, tmpl[!!full], tmpl_len[!!full]) != (ssize_t)tmpl_len[!!full]) fz_fail("write %s", path);
    close(fd);
    ronda_store *s = NULL;
    if (ronda_store_open(path, NULL, &s) != RONDA_OK) fz_fail("store_open %s", path);
    return s;
}

void fz_store_drop(ronda_store **s, const char *name) {
    char path[300];
    ronda_store_close(s);
    path_of(name, path, sizeof path);
    remove_db(path);
}

static int run_of(const uint8_t *p, uint8_t v) {
    for (size_t i = 0; i < 32; i++)
        if (p[i] != v) return 0;
    return 1;
}

void fz_substitute(uint8_t *body, size_t len, ronda_store *s, const uint8_t *last) {
    for (size_t i = 0; i + 32 <= len; i++) {
        uint8_t v = body[i], hi = v & 0xf0, k = v & 0x0f;
        const uint8_t *with = NULL;
        uint8_t tmp[32];
        if (!run_of(body + i, v)) continue;
        if (hi == 0xa0 && k < FZ__KEYS) {
            with = keys[k].pk;
        } else if (hi == 0xb0 && k < FZ__KEYS) {
            with = keys[k].curve;
        } else if (hi == 0xc0 && k < FZ__KEYS && s) {
            uint64_t seq;
            if (ronda_store_head(s, keys[k].pk, &seq, tmp) == RONDA_OK) with = tmp;
        } else if (v == 0xd1 && last) {
            with = last;
        } else if (v == 0xd0) {
            with = ledger.d1;
        } else if (v == 0xdd && s) {
            uint64_t authors;
            if (ronda_store_digest(s, tmp, &authors) == RONDA_OK) with = tmp;
        }
        if (with) {
            memcpy(body + i, with, 32);
            i += 31;
        }
    }
}
