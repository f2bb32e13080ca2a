/* Bundles (proto/bundle.md): export/import round trips, all-or-nothing import of cut, lying and altered bundles. */
#include "fixtures.h"

#include <stdlib.h>
#include <string.h>

#include "record/canon.h"

static fx_key M1, M2, X;

/* A ledger with members, dialogues, a resolution, one fork, and M1 revoked after its seq 1 while
 * its seq 2 was already held (an excluded record). */
static void populate(fx_world *w) {
    uint8_t d1[32];
    fx_admit(w, &M1, "precinct", FX_T0, FX_T0 + FX_YEAR, NULL);
    fx_admit(w, &M2, "precinct", FX_T0, FX_T0 + FX_YEAR, NULL);
    json_t *j = fx_dialogue_json("Trenggalek", "Durenan", "2026-01-10", "traffic", "Balap liar");
    fx_topic(j, "unrest", "Tawuran pemuda");
    assert_ok(fx_append(w, &M1, RONDA_KIND_DIALOGUE, j, d1));
    assert_ok(fx_append(w, &M2, RONDA_KIND_RESOLUTION,
                        fx_resolution_json(d1, 1, "referred", "Karang Taruna", "Mediasi"), NULL));
    assert_ok(fx_append(w, &M2, RONDA_KIND_DIALOGUE,
                        fx_dialogue_json("Trenggalek", "Durenan", "2026-01-12", "vulnerable_area", "Pencurian ternak"),
                        NULL));
    /* A key admitted only to sign twice for its seq 1: fork evidence, its chain frozen at 0
     * (proto/record.md §3 step 7). */
    fx_admit(w, &X, "precinct", FX_T0, FX_T0 + FX_YEAR, NULL);
    fx_chain c = {&X, 0, {0}}, c2 = c;
    size_t len, len2, blen;
    uint8_t *r0 = fx_next_json(&c2, RONDA_KIND_DIALOGUE,
                               fx_dialogue_json("Trenggalek", "Durenan", "2026-01-09", "other", "w"), 0, &len2, NULL);
    fx_expect_ingest(w->s, r0, len2, RONDA_OK, RONDA_STORED);
    free(r0);
    uint8_t *r = fx_next_json(&c, RONDA_KIND_DIALOGUE,
                              fx_dialogue_json("Trenggalek", "Durenan", "2026-01-10", "other", "x"), 0, &len, NULL);
    fx_expect_ingest(w->s, r, len, RONDA_OK, RONDA_FORK);
    free(r);
    assert_ok(fx_append(w, &M1, RONDA_KIND_DIALOGUE,
                        fx_dialogue_json("Trenggalek", "Durenan", "2026-01-11", "other", "y"), NULL));
    uint8_t *body = fx_revoke_body(&M1, 1, d1, &blen);
    assert_ok(ronda_store_append(w->s, w->authority.sk, RONDA_KIND_REVOKE, body, blen, fx_now(w), NULL, NULL));
    free(body);
}

static char *path_in(const fx_world *w, const char *name) {
    static char p[8][256];
    static int k;
    k = (k + 1) % 8;
    snprintf(p[k], sizeof p[k], "%s/%s", w->dir, name);
    return p[k];
}

static uint8_t *export_bytes(fx_world *w, ronda_store *s, ronda_bundle_header *h, size_t *len) {
    const char *p = path_in(w, "export.bundle");
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_ok(ronda_bundle_export(s, f, FX_T0 + 5 * FX_DAY, h));
    assert_int_equal(fclose(f), 0);
    return fx_read_file(p, len);
}

static ronda_err import_bytes(fx_world *w, ronda_store *s, const uint8_t *b, size_t len, ronda_import_result *res) {
    const char *p = path_in(w, "import.bundle");
    fx_write_file(p, b, len);
    FILE *f = fopen(p, "rb");
    assert_non_null(f);
    ronda_err e = ronda_bundle_import(s, f, 2, NULL, NULL, res);
    fclose(f);
    return e;
}

static size_t value_len(const uint8_t *b, size_t len) {
    crd r = crd_make(b, len);
    assert_ok(crd_skip(&r, RONDA_DEPTH_MAX));
    return (size_t)(r.p - b);
}

/* A bundle with a rewritten header (digest and created kept) over the records of `b`. */
static uint8_t *rehead(const uint8_t *b, size_t len, const ronda_bundle_header *h, const char *format, uint64_t version,
                       int keep_records, size_t *out_len) {
    cwr w;
    cwr_init(&w);
    cwr_map(&w, 7);
    cwr_str(&w, "forks", 5);
    cwr_uint(&w, h->forks);
    cwr_str(&w, "digest", 6);
    cwr_bin(&w, h->digest, 32);
    cwr_str(&w, "format", 6);
    cwr_str(&w, format, strlen(format));
    cwr_str(&w, "created", 7);
    cwr_uint(&w, h->created_ms);
    cwr_str(&w, "records", 7);
    cwr_uint(&w, h->records);
    cwr_str(&w, "version", 7);
    cwr_uint(&w, version);
    cwr_str(&w, "authority", 9);
    cwr_bin(&w, h->authority, 32);
    size_t hl = value_len(b, len);
    if (keep_records) cwr_raw(&w, b + hl, len - hl);
    uint8_t *out;
    assert_ok(cwr_take(&w, &out, out_len));
    cwr_destroy(&w);
    return out;
}

static void test_export_import(void **state) {
    fx_world *w = *state;
    populate(w);
    ronda_stats src = fx_stats(w->s);
    assert_int_equal(src.forks, 1);
    ronda_bundle_header h;
    size_t len;
    uint8_t *b = export_bytes(w, w->s, &h, &len);
    assert_int_equal(h.records, src.records);
    assert_int_equal(h.forks, 1);
    assert_memory_equal(h.digest, src.digest, 32);
    assert_memory_equal(h.authority, w->authority.pk, 32);
    ronda_store *t = fx_store(w->dir, "t.db", &w->authority);
    ronda_import_result res;
    assert_ok(import_bytes(w, t, b, len, &res));
    assert_int_equal(res.read, src.records + 1);
    assert_int_equal(res.stored, src.records);
    assert_int_equal(res.forks, 1);
    assert_int_equal(res.duplicates, 0);
    ronda_stats got = fx_stats(t);
    fx_assert_stats_equal(&src, &got);
    /* A private temporary store (as for checking a bundle offline) reproduces the header's digest. */
    ronda_store *tmp = NULL;
    assert_ok(ronda_store_open("", w->authority.pk, &tmp));
    assert_ok(import_bytes(w, tmp, b, len, &res));
    ronda_stats ts = fx_stats(tmp);
    assert_memory_equal(ts.digest, h.digest, 32);
    ronda_store_close(&tmp);
    /* Twice: duplicates only (the excluded record too), nothing changes. */
    assert_ok(import_bytes(w, t, b, len, &res));
    assert_int_equal(res.stored, 0);
    assert_int_equal(res.forks, 0);
    assert_int_equal(res.revoked, 0);
    assert_int_equal(res.duplicates, src.records + 1);
    got = fx_stats(t);
    fx_assert_stats_equal(&src, &got);
    /* Into the exporter itself, too. */
    assert_ok(import_bytes(w, w->s, b, len, &res));
    assert_int_equal(res.duplicates, src.records + 1);
    /* The re-export of the importer is the same bundle but for the arrival order of ties. */
    ronda_bundle_header h2;
    size_t len2;
    uint8_t *b2 = export_bytes(w, t, &h2, &len2);
    assert_int_equal(len2, len);
    assert_memory_equal(h2.digest, h.digest, 32);
    assert_memory_equal(b2, b, len);
    free(b2);
    ronda_store_close(&t);
    /* A store that knew of the revocation first skips the excluded record and ends equal. */
    t = fx_store(w->dir, "c.db", &w->authority);
    for (uint64_t seq = 1; seq <= 4; seq++) { /* the authority's chain: three admissions, the revoke */
        fx_blob g = {NULL, 0};
        assert_ok(ronda_store_range(w->s, w->authority.pk, seq, 1, 1 << 20, fx_grab, &g));
        fx_expect_ingest(t, g.p, g.n, RONDA_OK, RONDA_STORED);
        free(g.p);
    }
    assert_ok(import_bytes(w, t, b, len, &res));
    assert_int_equal(res.revoked, 1);
    assert_int_equal(res.duplicates, 4);
    assert_int_equal(res.stored, src.records - 5);
    got = fx_stats(t);
    assert_memory_equal(got.digest, src.digest, 32);
    assert_int_equal(got.records, src.records - 1);
    /* A bundle holding a redacted record (its body stripped) is refused whole. */
    uint8_t head[32];
    uint64_t seq;
    assert_ok(ronda_store_head(w->s, M2.pk, &seq, head));
    fx_chain c = {&M2, seq, {0}};
    memcpy(c.prev, head, 32);
    size_t rl, blen;
    uint8_t *r = fx_next_json(&c, RONDA_KIND_DIALOGUE,
                              fx_dialogue_json("Trenggalek", "Durenan", "2026-01-13", "other", "z"), 90, &rl, NULL);
    ronda_record rec;
    assert_ok(ronda_record_open(r, rl, &rec, NULL));
    rec.body = NULL;
    uint8_t *red, *nb;
    assert_ok(ronda_record_encode(&rec, &red, &rl));
    ronda_bundle_header l = h;
    l.records++;
    nb = rehead(b, len, &l, RONDA_BUNDLE_FORMAT, 1, 1, &blen);
    nb = realloc(nb, blen + rl);
    memcpy(nb + blen, red, rl);
    ronda_stats before = fx_stats(t);
    assert_err(import_bytes(w, t, nb, blen + rl, &res), RONDA_ERR_SCHEMA);
    assert_int_equal(res.failed_index, h.records + h.forks + 1);
    got = fx_stats(t);
    fx_assert_stats_equal(&before, &got);
    free(nb);
    free(red);
    free(r);
    ronda_store_close(&t);
    free(b);
}

static void test_truncated(void **state) {
    fx_world *w = *state;
    populate(w);
    ronda_bundle_header h;
    size_t len;
    uint8_t *b = export_bytes(w, w->s, &h, &len);
    ronda_store *t = fx_store(w->dir, "t.db", &w->authority);
    ronda_stats before = fx_stats(t), after;
    size_t cuts[256], n = 0;
    for (size_t at = 0; at < len && n < 200; at += 97) cuts[n++] = at;
    size_t boundaries = 0;
    for (size_t at = 0; at < len;) { /* the end of the header and of every record but the last */
        at += value_len(b + at, len - at);
        if (at < len) cuts[n++] = at, boundaries++;
    }
    assert_int_equal(boundaries, h.records + h.forks);
    for (size_t i = 0; i < n; i++) {
        ronda_import_result res;
        ronda_err e = import_bytes(w, t, b, cuts[i], &res);
        if (e != RONDA_ERR_TRUNCATED)
            fail_msg("cut at %zu of %zu: %s (%s)", cuts[i], len, ronda_errname(e), res.detail.text);
        assert_int_equal(res.stored, 0);
        after = fx_stats(t);
        fx_assert_stats_equal(&before, &after);
    }
    ronda_import_result res;
    assert_ok(import_bytes(w, t, b, len, &res)); /* and the whole of it still goes in */
    ronda_store_close(&t);
    free(b);
}

static void test_header_counts(void **state) {
    fx_world *w = *state;
    populate(w);
    ronda_bundle_header h, l;
    size_t len, blen;
    uint8_t *b = export_bytes(w, w->s, &h, &len);
    ronda_store *t = fx_store(w->dir, "t.db", &w->authority);
    ronda_stats before = fx_stats(t), after;
    struct {
        int64_t drecords, dforks;
        uint64_t records, forks;
        int keep;
        ronda_err want;
    } c[] = {
        {0, 0, 0, 0, 1, RONDA_OK},
        {1, 0, 0, 0, 1, RONDA_ERR_TRUNCATED},  /* more declared than held */
        {-1, 0, 0, 0, 1, RONDA_ERR_MALFORMED}, /* fewer declared than held */
        {0, 1, 0, 0, 1, RONDA_ERR_TRUNCATED},
        {0, -1, 0, 0, 1, RONDA_ERR_MALFORMED},
        {0, 0, UINT64_MAX, 1, 0, RONDA_ERR_MALFORMED}, /* records + forks would wrap to 0 */
        {0, 0, (uint64_t)INT64_MAX, (uint64_t)INT64_MAX, 1, RONDA_ERR_TRUNCATED},
        {0, 0, 0, 0, 0, RONDA_ERR_TRUNCATED}, /* header only, counts as exported */
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        l = h;
        if (c[i].records || c[i].forks) {
            l.records = c[i].records;
            l.forks = c[i].forks;
        } else {
            l.records = (uint64_t)((int64_t)h.records + c[i].drecords);
            l.forks = (uint64_t)((int64_t)h.forks + c[i].dforks);
        }
        uint8_t *nb = rehead(b, len, &l, RONDA_BUNDLE_FORMAT, RONDA_BUNDLE_VERSION, c[i].keep, &blen);
        ronda_import_result res;
        ronda_err e = import_bytes(w, t, nb, blen, &res);
        if (e != c[i].want)
            fail_msg("case %zu: %s (%s), want %s", i, ronda_errname(e), res.detail.text, ronda_errname(c[i].want));
        if (i == 0) { /* the rewritten header with true counts is the exported one */
            assert_int_equal(blen, len);
            assert_memory_equal(nb, b, len);
            ronda_store_close(&t);
            t = fx_store(w->dir, "t2.db", &w->authority);
        } else {
            after = fx_stats(t);
            fx_assert_stats_equal(&before, &after);
        }
        free(nb);
    }
    /* An empty ledger's bundle is a header alone, and imports as nothing. */
    l = h;
    l.records = l.forks = 0;
    uint8_t *nb = rehead(b, len, &l, RONDA_BUNDLE_FORMAT, RONDA_BUNDLE_VERSION, 0, &blen);
    ronda_import_result res;
    assert_ok(import_bytes(w, t, nb, blen, &res));
    assert_int_equal(res.read, 0);
    free(nb);
    ronda_store_close(&t);
    free(b);
}

static void test_read_header(void **state) {
    fx_world *w = *state;
    populate(w);
    ronda_bundle_header h, r;
    ronda_detail d = {{0}};
    size_t len, blen;
    uint8_t *b = export_bytes(w, w->s, &h, &len);
    FILE *f = fopen(path_in(w, "export.bundle"), "rb");
    assert_ok(ronda_bundle_read_header(f, &r, &d));
    fclose(f);
    assert_memory_equal(r.authority, w->authority.pk, 32);
    assert_memory_equal(r.digest, h.digest, 32);
    assert_int_equal(r.records, h.records);
    assert_int_equal(r.forks, h.forks);
    assert_int_equal(r.created_ms, FX_T0 + 5 * FX_DAY);
    static const struct {
        const char *format;
        uint64_t version;
        ronda_err want;
    } c[] = {
        {"ronda-bundle", 2, RONDA_ERR_VERSION}, {"ronda-bundlx", 1, RONDA_ERR_MALFORMED}, {"", 1, RONDA_ERR_MALFORMED}};
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        uint8_t *nb = rehead(b, len, &h, c[i].format, c[i].version, 1, &blen);
        const char *p = path_in(w, "bad.bundle");
        fx_write_file(p, nb, blen);
        f = fopen(p, "rb");
        d.text[0] = 0;
        assert_err(ronda_bundle_read_header(f, &r, &d), c[i].want);
        assert_true(d.text[0] != 0);
        fclose(f);
        ronda_import_result res;
        assert_err(import_bytes(w, w->s, nb, blen, &res), c[i].want);
        assert_int_equal(res.failed_index, 0);
        free(nb);
    }
    static const char *const junk[] = {"", "hello", "\x93\x01\x02\x03",
                                       "\x87\xa5"
                                       "forks"};
    static const ronda_err jwant[] = {RONDA_ERR_TRUNCATED, RONDA_ERR_MALFORMED, RONDA_ERR_MALFORMED,
                                      RONDA_ERR_TRUNCATED};
    for (size_t i = 0; i < 4; i++) {
        const char *p = path_in(w, "junk.bundle");
        fx_write_file(p, (const uint8_t *)junk[i], strlen(junk[i]));
        f = fopen(p, "rb");
        assert_err(ronda_bundle_read_header(f, &r, &d), jwant[i]);
        fclose(f);
    }
    free(b);
}

static void test_other_authority(void **state) {
    fx_world *w = *state;
    populate(w);
    fx_key other;
    fx_key_make(&other, 0x42);
    ronda_store *o = fx_store(w->dir, "other.db", &other);
    ronda_bundle_header h;
    size_t len, olen;
    uint8_t *b = export_bytes(w, w->s, &h, &len);
    ronda_stats before = fx_stats(o), after;
    ronda_import_result res;
    assert_err(import_bytes(w, o, b, len, &res), RONDA_ERR_NOT_MEMBER);
    assert_int_equal(res.failed_index, 0);
    after = fx_stats(o);
    fx_assert_stats_equal(&before, &after);
    /* The other network's (empty) bundle into ours, and a header claiming ours over its records. */
    uint8_t *ob = export_bytes(w, o, &h, &olen);
    before = fx_stats(w->s);
    assert_err(import_bytes(w, w->s, ob, olen, &res), RONDA_ERR_NOT_MEMBER);
    after = fx_stats(w->s);
    fx_assert_stats_equal(&before, &after);
    ronda_bundle_header ours;
    uint8_t *mine = export_bytes(w, w->s, &ours, &len);
    memcpy(ours.authority, other.pk, 32); /* our records under the other key: their author is no authority there */
    size_t nl;
    uint8_t *nb = rehead(mine, len, &ours, RONDA_BUNDLE_FORMAT, 1, 1, &nl);
    assert_err(import_bytes(w, o, nb, nl, &res), RONDA_ERR_ROLE);
    assert_int_equal(res.failed_index, 1);
    after = fx_stats(o);
    assert_int_equal(after.records, 0);
    free(nb);
    free(mine);
    free(ob);
    ronda_store_close(&o);
    free(b);
}

/* Every single-byte change in the records region of a small bundle is refused, storing nothing. */
static void test_flip_records_region(void **state) {
    fx_world *w = *state;
    uint8_t did[32];
    fx_admit(w, &M1, "precinct", FX_T0, FX_T0 + FX_YEAR, NULL);
    assert_ok(fx_append(w, &M1, RONDA_KIND_DIALOGUE,
                        fx_dialogue_json("Trenggalek", "Durenan", "2026-01-10", "traffic", "Balap liar"), did));
    ronda_bundle_header h;
    size_t len;
    uint8_t *b = export_bytes(w, w->s, &h, &len);
    size_t hl = value_len(b, len);
    ronda_store *t = fx_store(w->dir, "t.db", &w->authority);
    ronda_stats before = fx_stats(t), after;
    uint8_t *m = malloc(len);
    for (size_t pos = hl; pos < len; pos++) {
        for (int k = 0; k < 2; k++) {
            memcpy(m, b, len);
            m[pos] ^= k ? 0x80 : 0x01;
            ronda_import_result res;
            ronda_err e = import_bytes(w, t, m, len, &res);
            if (e == RONDA_OK) fail_msg("flip at %zu (of %zu) imported", pos, len);
            assert_true(!ronda_err_is_db(e) && e != RONDA_ERR_NOMEM && e != RONDA_ERR_IO);
            assert_int_equal(res.stored + res.duplicates + res.forks, 0);
        }
        after = fx_stats(t);
        fx_assert_stats_equal(&before, &after);
    }
    ronda_import_result res;
    assert_ok(import_bytes(w, t, b, len, &res));
    assert_int_equal(res.stored, 2);
    free(m);
    ronda_store_close(&t);
    free(b);
}

static void progress(void *ctx, uint64_t read, uint64_t total) {
    uint64_t *seen = ctx;
    assert_true(read > seen[0] && read <= total);
    seen[0] = read;
    seen[1] = total;
}

/* More records than one import batch (RONDA_BATCH_MAX), checked on several threads. */
static void test_many_records(void **state) {
    fx_world *w = *state;
    fx_admit(w, &M1, "precinct", FX_T0, FX_T0 + FX_YEAR, NULL);
    assert_ok(ronda_store_begin(w->s));
    for (unsigned i = 0; i < RONDA_BATCH_MAX + 100; i++) {
        char summary[64];
        snprintf(summary, sizeof summary, "Laporan warga nomor %u", i);
        assert_ok(fx_append(w, &M1, RONDA_KIND_DIALOGUE,
                            fx_dialogue_json("Trenggalek", "Durenan", "2026-01-10", "other", summary), NULL));
    }
    assert_ok(ronda_store_commit(w->s));
    ronda_stats src = fx_stats(w->s);
    ronda_bundle_header h;
    size_t len, blen;
    uint8_t *b = export_bytes(w, w->s, &h, &len);
    ronda_store *t = fx_store(w->dir, "t.db", &w->authority);
    ronda_import_result res;
    /* A non-member's record appended after the last batch boundary: all of it is refused. */
    size_t xl, bl;
    uint8_t *xb =
        fx_body(RONDA_KIND_DIALOGUE, fx_dialogue_json("Trenggalek", "Durenan", "2026-01-10", "other", "x"), &bl);
    fx_chain c = {&X, 0, {0}};
    uint8_t *xr = fx_next(&c, RONDA_KIND_DIALOGUE, xb, bl, FX_T0 + FX_DAY, &xl, NULL);
    ronda_bundle_header l = h;
    l.records++;
    uint8_t *nb = rehead(b, len, &l, RONDA_BUNDLE_FORMAT, 1, 1, &blen);
    uint8_t *full = malloc(blen + xl);
    memcpy(full, nb, blen);
    memcpy(full + blen, xr, xl);
    assert_err(import_bytes(w, t, full, blen + xl, &res), RONDA_ERR_NOT_MEMBER);
    assert_int_equal(res.failed_index, h.records + 1);
    assert_int_equal(fx_stats(t).records, 0);
    l.records = h.records - 1; /* and a count one short, found only in the second batch */
    free(nb);
    nb = rehead(b, len, &l, RONDA_BUNDLE_FORMAT, 1, 1, &blen);
    assert_err(import_bytes(w, t, nb, blen, &res), RONDA_ERR_MALFORMED);
    assert_int_equal(fx_stats(t).records, 0);
    /* Cut exactly after the first full batch, and inside the last record. */
    size_t at = value_len(b, len);
    for (unsigned i = 0; i < RONDA_BATCH_MAX; i++) at += value_len(b + at, len - at);
    assert_err(import_bytes(w, t, b, at, &res), RONDA_ERR_TRUNCATED);
    assert_int_equal(res.failed_index, RONDA_BATCH_MAX + 1);
    assert_err(import_bytes(w, t, b, len - 10, &res), RONDA_ERR_TRUNCATED);
    assert_int_equal(res.failed_index, h.records);
    assert_int_equal(fx_stats(t).records, 0);
    const char *p = path_in(w, "export.bundle"); /* the whole of it, with progress reports */
    FILE *f = fopen(p, "rb");
    uint64_t seen[2] = {0, 0};
    assert_ok(ronda_bundle_import(t, f, 0, progress, seen, &res));
    fclose(f);
    assert_int_equal(seen[0], h.records);
    assert_int_equal(seen[1], h.records);
    assert_int_equal(res.stored, src.records);
    ronda_stats got = fx_stats(t);
    fx_assert_stats_equal(&src, &got);
    free(full);
    free(nb);
    free(xr);
    free(xb);
    ronda_store_close(&t);
    free(b);
}

int main(void) {
    if (ronda_init() != RONDA_OK) return 1;
    const char *only = getenv("FX_FILTER"); /* run one test while debugging */
    if (only && *only) cmocka_set_test_filter(only);
    fx_key_make(&M1, 2);
    fx_key_make(&M2, 3);
    fx_key_make(&X, 6);
#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)
    const struct CMUnitTest tests[] = {
        T(test_export_import),   T(test_truncated),           T(test_header_counts), T(test_read_header),
        T(test_other_authority), T(test_flip_records_region), T(test_many_records),
    };
    return cmocka_run_group_tests_name("bundle", tests, NULL, NULL);
}
