/* Shared unit-test helpers (see fixtures.h): real keys, real files in a temp dir, real signatures. */
#include "fixtures.h"

#include <dirent.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "record/canon.h"

void fx_key_make(fx_key *k, uint8_t seed) {
    uint8_t s[crypto_sign_SEEDBYTES];
    memset(s, seed, sizeof s);
    assert_int_equal(crypto_sign_seed_keypair(k->pk, k->sk, s), 0);
}

void fx_tmpdir(char out[64]) {
    const char *base = getenv("TMPDIR");
    snprintf(out, 64, "%s/ronda-unit-XXXXXX", base && *base && strlen(base) < 40 ? base : "/tmp");
    assert_non_null(mkdtemp(out));
}

void fx_rmtree(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        char p[512];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
            fx_rmtree(p);
        else
            unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

ronda_store *fx_store(const char *dir, const char *name, const fx_key *authority) {
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    fx_key node;
    fx_key_make(&node, 0xee);
    ronda_store *s = NULL;
    assert_ok(ronda_store_create(path, authority->pk, node.pk, &s));
    return s;
}

int fx_setup(void **state) {
    fx_world *w = calloc(1, sizeof *w);
    assert_non_null(w);
    fx_tmpdir(w->dir);
    snprintf(w->path, sizeof w->path, "%s/ledger.db", w->dir);
    fx_key_make(&w->authority, 1);
    fx_key_make(&w->node, 0xee);
    assert_ok(ronda_store_create(w->path, w->authority.pk, w->node.pk, &w->s));
    w->now = FX_T0 + FX_DAY;
    *state = w;
    return 0;
}

int fx_teardown(void **state) {
    fx_world *w = *state;
    ronda_store_close(&w->s);
    fx_rmtree(w->dir);
    free(w);
    return 0;
}

uint64_t fx_now(fx_world *w) { return w->now += 1000; }

static json_t *hexjson(const uint8_t *b, size_t len) {
    char hex[129];
    assert_true(len <= 64);
    ronda_hex(b, len, hex);
    return json_string(hex);
}

json_t *fx_member_json(const fx_key *member, const char *role, const char *name, uint64_t from, uint64_t until) {
    uint8_t curve[32];
    assert_int_equal(crypto_sign_ed25519_pk_to_curve25519(curve, member->pk), 0);
    json_t *j = json_object();
    json_object_set_new(j, "name", json_string(name));
    json_object_set_new(j, "role", json_string(role));
    if (strcmp(role, "auditor") != 0) json_object_set_new(j, "polres", json_string("Trenggalek"));
    if (strcmp(role, "precinct") == 0) json_object_set_new(j, "polsek", json_string("Durenan"));
    json_object_set_new(j, "sign_key", hexjson(member->pk, 32));
    json_object_set_new(j, "curve_key", hexjson(curve, 32));
    json_object_set_new(j, "valid_from", json_integer((json_int_t)from));
    json_object_set_new(j, "valid_until", json_integer((json_int_t)until));
    return j;
}

void fx_admit(fx_world *w, const fx_key *member, const char *role, uint64_t from, uint64_t until,
              uint8_t id_out[RONDA_ID_BYTES]) {
    json_t *j = fx_member_json(member, role, "Polsek Durenan", from, until);
    assert_ok(fx_append(w, &w->authority, RONDA_KIND_MEMBER, j, id_out));
}

json_t *fx_dialogue_json(const char *polres, const char *polsek, const char *date, const char *category,
                         const char *summary) {
    char when[40], title[200];
    snprintf(when, sizeof when, "%sT09:00:00+07:00", date);
    snprintf(title, sizeof title, "Jumat Curhat %s", polsek);
    json_t *j = json_object();
    json_object_set_new(j, "when", json_string(when));
    json_object_set_new(j, "title", json_string(title));
    json_object_set_new(j, "venue", json_string("Warkop Bu Sri"));
    json_object_set_new(j, "polres", json_string(polres));
    json_object_set_new(j, "polsek", json_string(polsek));
    json_object_set_new(j, "topics", json_array());
    json_object_set_new(j, "programme", json_string("curhat"));
    fx_topic(j, category, summary);
    return j;
}

void fx_topic(json_t *dialogue, const char *category, const char *summary) {
    json_t *t = json_object();
    json_object_set_new(t, "summary", json_string(summary));
    json_object_set_new(t, "category", json_string(category));
    json_array_append_new(json_object_get(dialogue, "topics"), t);
}

json_t *fx_resolution_json(const uint8_t dialogue[RONDA_ID_BYTES], unsigned topic, const char *status,
                           const char *referred_to, const char *action) {
    json_t *j = json_object();
    json_object_set_new(j, "when", json_string("2026-02-01T10:00:00+07:00"));
    json_object_set_new(j, "topic", json_integer(topic));
    json_object_set_new(j, "action", json_string(action));
    json_object_set_new(j, "status", json_string(status));
    json_object_set_new(j, "dialogue", hexjson(dialogue, 32));
    if (referred_to) json_object_set_new(j, "referred_to", json_string(referred_to));
    return j;
}

uint8_t *fx_body(ronda_kind kind, json_t *json, size_t *len) {
    uint8_t *out = NULL;
    ronda_detail d = {{0}};
    ronda_err e = ronda_body_from_json(kind, json, &out, len, &d);
    json_decref(json);
    if (e != RONDA_OK) fail_msg("body_from_json: %s (%s)", ronda_errname(e), d.text);
    return out;
}

ronda_err fx_append(fx_world *w, const fx_key *key, ronda_kind kind, json_t *json, uint8_t id_out[RONDA_ID_BYTES]) {
    size_t len;
    uint8_t *body = fx_body(kind, json, &len);
    ronda_detail d = {{0}};
    ronda_err e = ronda_store_append(w->s, key->sk, kind, body, len, fx_now(w), id_out, &d);
    free(body);
    return e;
}

static int key_order(const void *a, const void *b) {
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;
    size_t lx = strlen(x), ly = strlen(y);
    return lx != ly ? (lx < ly ? -1 : 1) : strcmp(x, y);
}

static void pack(cwr *w, const json_t *j) {
    if (json_is_object(j)) {
        size_t n = json_object_size(j), i = 0;
        const char **keys = calloc(n ? n : 1, sizeof *keys);
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)j, k, v) keys[i++] = k;
        qsort(keys, n, sizeof *keys, key_order);
        cwr_map(w, (uint32_t)n);
        for (i = 0; i < n; i++) {
            cwr_str(w, keys[i], strlen(keys[i]));
            pack(w, json_object_get(j, keys[i]));
        }
        free(keys);
    } else if (json_is_array(j)) {
        cwr_array(w, (uint32_t)json_array_size(j));
        for (size_t i = 0; i < json_array_size(j); i++) pack(w, json_array_get(j, i));
    } else if (json_is_string(j)) {
        const char *s = json_string_value(j);
        if (strncmp(s, "hex:", 4) == 0) {
            size_t n;
            uint8_t *b = fx_unhex(s + 4, &n);
            cwr_bin(w, b, n);
            free(b);
        } else {
            cwr_str(w, s, json_string_length(j));
        }
    } else if (json_is_integer(j)) {
        assert_true(json_integer_value(j) >= 0);
        cwr_uint(w, (uint64_t)json_integer_value(j));
    } else {
        assert_true(json_is_null(j));
        cwr_nil(w);
    }
}

uint8_t *fx_pack(const json_t *json, size_t *len) {
    cwr w;
    cwr_init(&w);
    pack(&w, json);
    uint8_t *out;
    assert_ok(cwr_take(&w, &out, len));
    cwr_destroy(&w);
    return out;
}

/* The id of encoded record bytes, whatever their body: BLAKE2b(envelope || signature). */
static void id_of(const uint8_t *rec, size_t len, uint8_t id[RONDA_ID_BYTES]) {
    crd r = crd_make(rec, len);
    uint32_t n, el, sl;
    const uint8_t *env, *sig;
    assert_ok(crd_array(&r, &n));
    assert_ok(crd_bin(&r, &env, &el));
    assert_ok(crd_bin(&r, &sig, &sl));
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, RONDA_ID_BYTES);
    crypto_generichash_update(&st, env, el);
    crypto_generichash_update(&st, sig, sl);
    crypto_generichash_final(&st, id, RONDA_ID_BYTES);
}

uint8_t *fx_next(fx_chain *c, ronda_kind kind, const uint8_t *body, size_t body_len, uint64_t ms, size_t *len,
                 uint8_t id_out[RONDA_ID_BYTES]) {
    uint8_t *out = NULL;
    assert_ok(ronda_record_seal(c->key->sk, c->seq + 1, c->seq ? c->prev : NULL, ms << RONDA_HLC_COUNTER_BITS, kind,
                                body, body_len, &out, len));
    c->seq++;
    id_of(out, *len, c->prev);
    if (id_out) memcpy(id_out, c->prev, RONDA_ID_BYTES);
    return out;
}

uint8_t *fx_next_json(fx_chain *c, ronda_kind kind, json_t *json, uint64_t n, size_t *len,
                      uint8_t id_out[RONDA_ID_BYTES]) {
    size_t blen;
    uint8_t *body = fx_body(kind, json, &blen);
    uint8_t *r = fx_next(c, kind, body, blen, FX_MS(n), len, id_out);
    free(body);
    return r;
}

uint8_t *fx_member_body(const fx_key *k, const char *role, uint64_t from, uint64_t until, size_t *len) {
    return fx_body(RONDA_KIND_MEMBER, fx_member_json(k, role, "Polsek", from, until), len);
}

uint8_t *fx_revoke_body(const fx_key *k, uint64_t last_seq, const uint8_t *last_id, size_t *len) {
    json_t *j = json_object();
    json_object_set_new(j, "member", hexjson(k->pk, 32));
    json_object_set_new(j, "reason", json_string("Kunci dicuri"));
    json_object_set_new(j, "last_seq", json_integer((json_int_t)last_seq));
    if (last_id) json_object_set_new(j, "last_id", hexjson(last_id, 32));
    return fx_body(RONDA_KIND_REVOKE, j, len);
}

void fx_expect_ingest(ronda_store *s, const uint8_t *b, size_t len, ronda_err want, ronda_outcome want_o) {
    ronda_outcome o = 0;
    ronda_detail d = {{0}};
    ronda_err e = ronda_store_ingest(s, b, len, &o, &d);
    if (e != want) fail_msg("ingest: got %s (%s), want %s", ronda_errname(e), d.text, ronda_errname(want));
    if (e == RONDA_OK) assert_int_equal(o, want_o);
}

const int fx_in_order[8] = {0, 1, 2, 3, 4, 5, 6, 7};

void fx_ledger_build(fx_world *w, fx_ledger *L, const fx_key *m1, const fx_key *m2) {
    L->ca = (fx_chain){&w->authority, 0, {0}};
    L->c1 = (fx_chain){m1, 0, {0}};
    L->c2 = (fx_chain){m2, 0, {0}};
    size_t b;
    /* Both write for several Polsek of Polres Trenggalek (proto/record.md §5): HQ members. */
    uint8_t *body = fx_member_body(m1, "hq", FX_T0, FX_T0 + FX_YEAR, &b);
    L->rec[0] = fx_next(&L->ca, RONDA_KIND_MEMBER, body, b, FX_MS(1), &L->len[0], NULL);
    free(body);
    body = fx_member_body(m2, "hq", FX_T0, FX_T0 + FX_YEAR, &b);
    L->rec[1] = fx_next(&L->ca, RONDA_KIND_MEMBER, body, b, FX_MS(2), &L->len[1], NULL);
    free(body);
    json_t *j = fx_dialogue_json("Trenggalek", "Durenan", "2026-01-10", "traffic", "Balap liar di jalan raya");
    fx_topic(j, "unrest", "Tawuran pemuda antar desa");
    L->rec[2] = fx_next_json(&L->c1, RONDA_KIND_DIALOGUE, j, 10, &L->len[2], L->d1);
    j = fx_dialogue_json("Trenggalek", "Ngunut", "2026-02-05", "social_problem", "Peredaran miras oplosan");
    L->rec[3] = fx_next_json(&L->c1, RONDA_KIND_DIALOGUE, j, 11, &L->len[3], L->d2);
    j = fx_resolution_json(L->d1, 0, "resolved", NULL, "Patroli rutin di jalan raya");
    L->rec[4] = fx_next_json(&L->c2, RONDA_KIND_RESOLUTION, j, 20, &L->len[4], NULL);
    j = fx_resolution_json(L->d1, 1, "referred", "Karang Taruna", "Mediasi kedua kelompok");
    L->rec[5] = fx_next_json(&L->c2, RONDA_KIND_RESOLUTION, j, 21, &L->len[5], NULL);
    j = fx_dialogue_json("Trenggalek", "Watulimo", "2026-03-01", "vulnerable_area", "Pencurian ternak di malam hari");
    L->rec[6] = fx_next_json(&L->c2, RONDA_KIND_DIALOGUE, j, 22, &L->len[6], L->d3);
    j = fx_resolution_json(L->d1, 0, "in_progress", NULL, "Balap liar kambuh lagi");
    L->rec[7] = fx_next_json(&L->c1, RONDA_KIND_RESOLUTION, j, 30, &L->len[7], NULL);
}

void fx_ledger_load(ronda_store *s, const fx_ledger *L, const int *order) {
    for (int i = 0; i < 8; i++) fx_expect_ingest(s, L->rec[order[i]], L->len[order[i]], RONDA_OK, RONDA_STORED);
}

void fx_ledger_free(fx_ledger *L) {
    for (int i = 0; i < 8; i++) free(L->rec[i]);
}

int fx_grab(void *ctx, const uint8_t *rec, size_t n) {
    fx_blob *g = ctx;
    free(g->p);
    g->p = malloc(n);
    assert_non_null(g->p);
    memcpy(g->p, rec, n);
    g->n = n;
    return 0;
}

uint8_t *fx_splice(const uint8_t *b, size_t len, const void *old, size_t olen, const void *nw, size_t nlen,
                   size_t *out_len) {
    size_t at = 0;
    while (at + olen <= len && memcmp(b + at, old, olen) != 0) at++;
    assert_true(at + olen <= len);
    uint8_t *o = malloc(len - olen + nlen + 1);
    memcpy(o, b, at);
    memcpy(o + at, nw, nlen);
    memcpy(o + at + nlen, b + at + olen, len - at - olen);
    *out_len = len - olen + nlen;
    return o;
}

json_t *fx_wire(const json_t *j) {
    if (json_is_object(j)) {
        json_t *o = json_object();
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)j, k, v) json_object_set_new(o, k, fx_wire(v));
        return o;
    }
    if (json_is_array(j)) {
        json_t *a = json_array();
        for (size_t i = 0; i < json_array_size(j); i++) json_array_append_new(a, fx_wire(json_array_get(j, i)));
        return a;
    }
    uint8_t b[32];
    if (json_is_string(j) && json_string_length(j) == 64 && ronda_unhex(json_string_value(j), b, 32) == RONDA_OK) {
        char s[70];
        snprintf(s, sizeof s, "hex:%s", json_string_value(j));
        return json_string(s);
    }
    return json_deep_copy(j);
}

uint8_t *fx_envelope(uint64_t version, const uint8_t author[RONDA_KEY_BYTES], uint64_t seq, const uint8_t *prev,
                     uint64_t hlc, const char *kind, const uint8_t hash[RONDA_HASH_BYTES], size_t *len) {
    cwr w;
    cwr_init(&w);
    cwr_array(&w, 7);
    cwr_uint(&w, version);
    cwr_bin(&w, author, RONDA_KEY_BYTES);
    cwr_uint(&w, seq);
    if (prev)
        cwr_bin(&w, prev, RONDA_ID_BYTES);
    else
        cwr_nil(&w);
    cwr_uint(&w, hlc);
    cwr_str(&w, kind, strlen(kind));
    cwr_bin(&w, hash, RONDA_HASH_BYTES);
    uint8_t *out;
    assert_ok(cwr_take(&w, &out, len));
    cwr_destroy(&w);
    return out;
}

uint8_t *fx_record(const fx_key *signer, const uint8_t *env, size_t env_len, const uint8_t *body, size_t body_len,
                   size_t *len) {
    uint8_t *msg = malloc(RONDA_SIGN_TAG_LEN + env_len), sig[RONDA_SIG_BYTES];
    assert_non_null(msg);
    memcpy(msg, RONDA_SIGN_TAG, RONDA_SIGN_TAG_LEN);
    memcpy(msg + RONDA_SIGN_TAG_LEN, env, env_len);
    crypto_sign_detached(sig, NULL, msg, RONDA_SIGN_TAG_LEN + env_len, signer->sk);
    free(msg);
    cwr w;
    cwr_init(&w);
    cwr_array(&w, 3);
    cwr_bin(&w, env, env_len);
    cwr_bin(&w, sig, sizeof sig);
    if (body)
        cwr_bin(&w, body, body_len);
    else
        cwr_nil(&w);
    uint8_t *out;
    assert_ok(cwr_take(&w, &out, len));
    cwr_destroy(&w);
    return out;
}

void fx_hash(const uint8_t *b, size_t len, uint8_t out[RONDA_HASH_BYTES]) {
    crypto_generichash(out, RONDA_HASH_BYTES, b, len, NULL, 0);
}

uint8_t *fx_unhex(const char *hex, size_t *len) {
    size_t n = 0, cap = strlen(hex) / 2 + 1;
    uint8_t *out = malloc(cap);
    assert_non_null(out);
    for (const char *p = hex; *p;) {
        if (*p == ' ') {
            p++;
            continue;
        }
        char two[3] = {p[0], p[1], 0};
        assert_true(p[1] != '\0');
        assert_ok(ronda_unhex(two, &out[n++], 1));
        p += 2;
    }
    *len = n;
    return out;
}

void fx_hex(const uint8_t *b, size_t len, char *out) { ronda_hex(b, len, out); }

ronda_stats fx_stats(ronda_store *s) {
    ronda_stats st;
    assert_ok(ronda_store_stats(s, &st));
    return st;
}

void fx_assert_stats_equal(const ronda_stats *a, const ronda_stats *b) {
    assert_int_equal(a->records, b->records);
    assert_int_equal(a->authors, b->authors);
    assert_int_equal(a->forks, b->forks);
    assert_int_equal(a->dialogues, b->dialogues);
    assert_int_equal(a->topics, b->topics);
    assert_int_equal(a->resolutions, b->resolutions);
    assert_int_equal(a->members, b->members);
    assert_int_equal(a->revoked, b->revoked);
    assert_memory_equal(a->digest, b->digest, RONDA_HASH_BYTES);
}

static int collect(void *ctx, json_t *row) {
    json_array_append(ctx, row);
    return 0;
}

json_t *fx_query(ronda_store *s, const ronda_query *q) {
    ronda_query none;
    memset(&none, 0, sizeof none);
    json_t *a = json_array();
    assert_ok(ronda_store_query(s, q ? q : &none, collect, a));
    return a;
}

uint8_t *fx_read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t cap = 4096, n = 0, got;
    uint8_t *b = malloc(cap);
    while ((got = fread(b + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) b = realloc(b, cap *= 2);
        assert_non_null(b);
    }
    fclose(f);
    *len = n;
    return b;
}

void fx_write_file(const char *path, const uint8_t *b, size_t len) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

#if defined(__SANITIZE_ADDRESS__)
int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void *, size_t),
                                              void (*free_hook)(const volatile void *));
static volatile int watching;
static volatile size_t largest;
static int installed;
static void on_malloc(const volatile void *p, size_t n) {
    (void)p;
    if (watching && n > largest) largest = n;
}
static void on_free(const volatile void *p) { (void)p; }
void fx_alloc_watch(int on) {
    if (!installed) installed = __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free) != 0;
    if (on) largest = 0;
    watching = on;
}
size_t fx_alloc_largest(void) { return largest; }
int fx_alloc_watch_works(void) { return installed; }
#else
void fx_alloc_watch(int on) { (void)on; }
size_t fx_alloc_largest(void) { return 0; }
int fx_alloc_watch_works(void) { return 0; }
#endif
