/* Records: open (parse + verify) and seal (build + sign) the v1 layout of proto/record.md.
 *
 * Order of checks on open: size, outer layout, envelope layout, signature, body hash,
 * body schema. The signature is checked before the body is parsed, so a forged record
 * costs one verify and never reaches the schema code. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "record/canon.h"
#include "record/record_int.h"

static const char *const kind_names[RONDA_KIND__COUNT] = {
    [RONDA_KIND_DIALOGUE] = "dialogue", [RONDA_KIND_RESOLUTION] = "resolution", [RONDA_KIND_AMEND] = "amend",
    [RONDA_KIND_MEMBER] = "member",     [RONDA_KIND_REVOKE] = "revoke",         [RONDA_KIND_CHECKPOINT] = "checkpoint",
    [RONDA_KIND_COSIGN] = "cosign",
};

const char *ronda_kind_name(ronda_kind kind) {
    return kind > RONDA_KIND_NONE && kind < RONDA_KIND__COUNT ? kind_names[kind] : NULL;
}

ronda_kind ronda_kind_from_name(const char *name, size_t len) {
    if (name == NULL) return RONDA_KIND_NONE;
    for (int k = RONDA_KIND_DIALOGUE; k < RONDA_KIND__COUNT; k++)
        if (strlen(kind_names[k]) == len && memcmp(kind_names[k], name, len) == 0) return (ronda_kind)k;
    return RONDA_KIND_NONE;
}

int ronda_kind_is_authority(ronda_kind kind) { return kind == RONDA_KIND_MEMBER || kind == RONDA_KIND_REVOKE; }

uint64_t ronda_hlc_ms(uint64_t hlc) { return hlc >> RONDA_HLC_COUNTER_BITS; }

uint64_t ronda_hlc_next(uint64_t now_ms, uint64_t last_hlc) {
    uint64_t wall = now_ms << RONDA_HLC_COUNTER_BITS;
    /* A clock that went backwards, or two events in one ms, advance the counter instead. */
    return wall > last_hlc ? wall : last_hlc + 1;
}

static ronda_err why(ronda_detail *d, ronda_err e, const char *text) {
    if (d) {
        size_t n = strlen(text);
        if (n >= sizeof d->text) n = sizeof d->text - 1;
        memcpy(d->text, text, n);
        d->text[n] = '\0';
    }
    return e;
}

static ronda_err parse_envelope(const uint8_t *env, size_t len, ronda_record *rec, ronda_detail *d) {
    crd r = crd_make(env, len);
    uint32_t n, blen;
    uint64_t version;
    const uint8_t *b;
    ronda_err e;
    if ((e = crd_array(&r, &n)) != RONDA_OK || n != 7)
        return why(d, e ? e : RONDA_ERR_MALFORMED, "envelope is not an array of 7");
    if ((e = crd_uint(&r, &version)) != RONDA_OK) return why(d, e, "envelope version");
    if (version != RONDA_ENVELOPE_VERSION) return why(d, RONDA_ERR_VERSION, "envelope version is not 1");
    if ((e = crd_bin(&r, &b, &blen)) != RONDA_OK || blen != RONDA_KEY_BYTES)
        return why(d, e ? e : RONDA_ERR_MALFORMED, "author is not 32 bytes");
    memcpy(rec->author, b, RONDA_KEY_BYTES);
    if ((e = crd_uint(&r, &rec->seq)) != RONDA_OK) return why(d, e, "seq");
    if (rec->seq == 0 || rec->seq > (uint64_t)INT64_MAX) return why(d, RONDA_ERR_MALFORMED, "seq out of range");
    if (crd_nil(&r)) {
        rec->has_prev = 0;
        memset(rec->prev, 0, sizeof rec->prev);
    } else {
        if ((e = crd_bin(&r, &b, &blen)) != RONDA_OK || blen != RONDA_ID_BYTES)
            return why(d, e ? e : RONDA_ERR_MALFORMED, "prev is neither nil nor 32 bytes");
        rec->has_prev = 1;
        memcpy(rec->prev, b, RONDA_ID_BYTES);
    }
    if (rec->has_prev != (rec->seq > 1)) return why(d, RONDA_ERR_MALFORMED, "prev must be nil exactly when seq is 1");
    if ((e = crd_uint(&r, &rec->hlc)) != RONDA_OK) return why(d, e, "hlc");
    if (rec->hlc > (uint64_t)INT64_MAX) return why(d, RONDA_ERR_MALFORMED, "hlc out of range");
    if ((e = crd_str(&r, &b, &blen)) != RONDA_OK) return why(d, e, "kind is not a string");
    rec->kind = ronda_kind_from_name((const char *)b, blen);
    if (rec->kind == RONDA_KIND_NONE) return why(d, RONDA_ERR_KIND, "unknown record kind");
    if ((e = crd_bin(&r, &b, &blen)) != RONDA_OK || blen != RONDA_HASH_BYTES)
        return why(d, e ? e : RONDA_ERR_MALFORMED, "body_hash is not 32 bytes");
    memcpy(rec->body_hash, b, RONDA_HASH_BYTES);
    if (crd_left(&r) != 0) return why(d, RONDA_ERR_MALFORMED, "trailing bytes after the envelope");
    return RONDA_OK;
}

static void record_id(const uint8_t *env, size_t env_len, const uint8_t *sig, uint8_t *id) {
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, RONDA_ID_BYTES);
    crypto_generichash_update(&st, env, env_len);
    crypto_generichash_update(&st, sig, RONDA_SIG_BYTES);
    crypto_generichash_final(&st, id, RONDA_ID_BYTES);
}

static ronda_err open_parts(const uint8_t *env, size_t env_len, const uint8_t *sig, size_t sig_len, const uint8_t *body,
                            size_t body_len, ronda_record *out, ronda_detail *d, int check_signature);

ronda_err ronda_record_open_parts(const uint8_t *env, size_t env_len, const uint8_t *sig, size_t sig_len,
                                  const uint8_t *body, size_t body_len, ronda_record *out, ronda_detail *d) {
    return open_parts(env, env_len, sig, sig_len, body, body_len, out, d, 1);
}

static ronda_err open_parts(const uint8_t *env, size_t env_len, const uint8_t *sig, size_t sig_len, const uint8_t *body,
                            size_t body_len, ronda_record *out, ronda_detail *d, int check_signature) {
    ronda_record rec;
    ronda_err e;
    if (env_len > RONDA_ENVELOPE_MAX) return why(d, RONDA_ERR_TOO_BIG, "envelope larger than RONDA_ENVELOPE_MAX");
    if (body && body_len > RONDA_BODY_MAX) return why(d, RONDA_ERR_TOO_BIG, "body larger than RONDA_BODY_MAX");
    if (sig_len != RONDA_SIG_BYTES) return why(d, RONDA_ERR_MALFORMED, "signature is not 64 bytes");
    memset(&rec, 0, sizeof rec);
    if ((e = parse_envelope(env, env_len, &rec, d)) != RONDA_OK) return e;

    uint8_t msg[RONDA_SIGN_TAG_LEN + RONDA_ENVELOPE_MAX];
    memcpy(msg, RONDA_SIGN_TAG, RONDA_SIGN_TAG_LEN);
    memcpy(msg + RONDA_SIGN_TAG_LEN, env, env_len);
    if (check_signature && crypto_sign_verify_detached(sig, msg, RONDA_SIGN_TAG_LEN + env_len, rec.author) != 0)
        return why(d, RONDA_ERR_SIGNATURE, "signature does not verify against the author key");

    if (body) {
        uint8_t h[RONDA_HASH_BYTES];
        crypto_generichash(h, sizeof h, body, body_len, NULL, 0);
        if (sodium_memcmp(h, rec.body_hash, sizeof h) != 0)
            return why(d, RONDA_ERR_BODY_HASH, "body does not match the envelope's body_hash");
        if ((e = ronda_body_decode(rec.kind, body, body_len, &rec.typed, d)) != RONDA_OK) return e;
    }
    record_id(env, env_len, sig, rec.id);
    rec.envelope = env;
    rec.envelope_len = env_len;
    rec.signature = sig;
    rec.body = body;
    rec.body_len = body ? body_len : 0;
    *out = rec;
    return RONDA_OK;
}

static ronda_err open_whole(const uint8_t *bytes, size_t len, ronda_record *out, ronda_detail *d, int check_signature);

ronda_err ronda_record_open(const uint8_t *bytes, size_t len, ronda_record *out, ronda_detail *d) {
    return open_whole(bytes, len, out, d, 1);
}

ronda_err record_open_sealed(const uint8_t *bytes, size_t len, ronda_record *out, ronda_detail *d) {
    return open_whole(bytes, len, out, d, 0);
}

static ronda_err open_whole(const uint8_t *bytes, size_t len, ronda_record *out, ronda_detail *d, int check_signature) {
    if (len > RONDA_RECORD_MAX) return why(d, RONDA_ERR_TOO_BIG, "record larger than RONDA_RECORD_MAX");
    crd r = crd_make(bytes, len);
    uint32_t n, env_len, sig_len, body_len = 0;
    const uint8_t *env, *sig, *body = NULL;
    ronda_err e;
    if ((e = crd_array(&r, &n)) != RONDA_OK || n != 3)
        return why(d, e ? e : RONDA_ERR_MALFORMED, "record is not an array of 3");
    if ((e = crd_bin(&r, &env, &env_len)) != RONDA_OK) return why(d, e, "envelope is not bytes");
    if ((e = crd_bin(&r, &sig, &sig_len)) != RONDA_OK) return why(d, e, "signature is not bytes");
    if (!crd_nil(&r) && (e = crd_bin(&r, &body, &body_len)) != RONDA_OK)
        return why(d, e, "body is neither bytes nor nil");
    if (crd_left(&r) != 0) return why(d, RONDA_ERR_MALFORMED, "trailing bytes after the record");
    return open_parts(env, env_len, sig, sig_len, body, body_len, out, d, check_signature);
}

static ronda_err encode_parts(const uint8_t *env, size_t env_len, const uint8_t *sig, const uint8_t *body,
                              size_t body_len, uint8_t **out, size_t *out_len) {
    cwr w;
    cwr_init(&w);
    cwr_array(&w, 3);
    cwr_bin(&w, env, env_len);
    cwr_bin(&w, sig, RONDA_SIG_BYTES);
    if (body)
        cwr_bin(&w, body, body_len);
    else
        cwr_nil(&w);
    ronda_err e = cwr_take(&w, out, out_len);
    cwr_destroy(&w);
    return e;
}

ronda_err ronda_record_encode(const ronda_record *rec, uint8_t **out, size_t *out_len) {
    return encode_parts(rec->envelope, rec->envelope_len, rec->signature, rec->body, rec->body_len, out, out_len);
}

ronda_err ronda_record_seal(const uint8_t secret[RONDA_SECRET_BYTES], uint64_t seq, const uint8_t *prev, uint64_t hlc,
                            ronda_kind kind, const uint8_t *body, size_t body_len, uint8_t **out, size_t *out_len) {
    const char *kn = ronda_kind_name(kind);
    if (!kn) return RONDA_ERR_KIND;
    if (seq == 0 || (seq == 1) != (prev == NULL) || body_len > RONDA_BODY_MAX) return RONDA_ERR_INVALID;
    uint8_t hash[RONDA_HASH_BYTES];
    crypto_generichash(hash, sizeof hash, body, body_len, NULL, 0);
    cwr w;
    cwr_init(&w);
    cwr_array(&w, 7);
    cwr_uint(&w, RONDA_ENVELOPE_VERSION);
    cwr_bin(&w, secret + 32, RONDA_KEY_BYTES); /* Ed25519 secret = seed || public key */
    cwr_uint(&w, seq);
    if (prev)
        cwr_bin(&w, prev, RONDA_ID_BYTES);
    else
        cwr_nil(&w);
    cwr_uint(&w, hlc);
    cwr_str(&w, kn, strlen(kn));
    cwr_bin(&w, hash, sizeof hash);
    uint8_t *env;
    size_t env_len;
    ronda_err e = cwr_take(&w, &env, &env_len);
    cwr_destroy(&w);
    if (e != RONDA_OK) return e;

    uint8_t msg[RONDA_SIGN_TAG_LEN + RONDA_ENVELOPE_MAX];
    uint8_t sig[RONDA_SIG_BYTES];
    memcpy(msg, RONDA_SIGN_TAG, RONDA_SIGN_TAG_LEN);
    memcpy(msg + RONDA_SIGN_TAG_LEN, env, env_len);
    crypto_sign_detached(sig, NULL, msg, RONDA_SIGN_TAG_LEN + env_len, secret);
    e = encode_parts(env, env_len, sig, body, body_len, out, out_len);
    free(env);
    return e;
}
