/* Proof files (proto/tree.md §5) as JSON (include/ronda/json.h): ronda_proof written out, and
 * read back from an untrusted file with every field checked before it is used. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/json_int.h"

#define PROOF_FORMAT "ronda-proof-v1"

static void set(ronda_detail *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set(ronda_detail *d, const char *fmt, ...) {
    if (!d) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->text, sizeof d->text, fmt, ap);
    va_end(ap);
}

json_t *ronda_proof_json(const ronda_proof *p) {
    json_t *o = json_object(), *path = json_array();
    if (!o || !path) {
        json_decref(o);
        json_decref(path);
        return NULL;
    }
    for (unsigned i = 0; i < p->path_len && i < RONDA_TREE_PROOF_MAX; i++)
        json_array_append_new(path, jx_hex(p->path[i].b, sizeof p->path[i].b));
    json_object_set_new(o, "format", json_string(PROOF_FORMAT));
    json_object_set_new(o, "type", json_string(p->consistency ? "consistency" : "inclusion"));
    json_object_set_new(o, "authority", jx_hex(p->authority, RONDA_KEY_BYTES));
    json_object_set_new(o, "writer", jx_hex(p->writer, RONDA_KEY_BYTES));
    if (!p->consistency) {
        json_object_set_new(o, "record", jx_hex(p->record, p->record_len));
        json_object_set_new(o, "checkpoint", jx_hex(p->checkpoint, p->checkpoint_len));
        json_object_set_new(o, "index", json_integer((json_int_t)p->index));
        json_object_set_new(o, "size", json_integer((json_int_t)p->size));
    } else {
        json_object_set_new(o, "old", jx_hex(p->old, p->old_len));
        json_object_set_new(o, "new", jx_hex(p->checkpoint, p->checkpoint_len));
        json_object_set_new(o, "old_size", json_integer((json_int_t)p->old_size));
        json_object_set_new(o, "new_size", json_integer((json_int_t)p->new_size));
    }
    json_object_set_new(o, "path", path);
    return o;
}

/* A hex string of at most `max` bytes, decoded into a malloc'd buffer. */
static ronda_err unhex_field(const json_t *p, const char *key, size_t max, uint8_t **out, size_t *len,
                             ronda_detail *d) {
    const char *h = json_string_value(json_object_get(p, key));
    size_t n = h ? strlen(h) : 0;
    if (!h || n == 0 || n % 2 || n / 2 > max) {
        set(d, "\"%s\" must be a hex string of at most %zu bytes", key, max);
        return RONDA_ERR_MALFORMED;
    }
    uint8_t *b = malloc(n / 2);
    if (!b) return RONDA_ERR_NOMEM;
    if (ronda_unhex(h, b, n / 2) != RONDA_OK) {
        free(b);
        set(d, "\"%s\" is not hex", key);
        return RONDA_ERR_MALFORMED;
    }
    *out = b;
    *len = n / 2;
    return RONDA_OK;
}

static ronda_err uint_field(const json_t *p, const char *key, uint64_t *v, ronda_detail *d) {
    const json_t *j = json_object_get(p, key);
    if (!json_is_integer(j) || json_integer_value(j) < 0) {
        set(d, "\"%s\" must be an unsigned integer", key);
        return RONDA_ERR_MALFORMED;
    }
    *v = (uint64_t)json_integer_value(j);
    return RONDA_OK;
}

static ronda_err path_field(const json_t *p, ronda_tree_hash *path, unsigned *len, ronda_detail *d) {
    const json_t *a = json_object_get(p, "path");
    if (!json_is_array(a) || json_array_size(a) > RONDA_TREE_PROOF_MAX) {
        set(d, "\"path\" must be an array of at most %u hashes", RONDA_TREE_PROOF_MAX);
        return RONDA_ERR_MALFORMED;
    }
    for (size_t i = 0; i < json_array_size(a); i++) {
        const char *h = json_string_value(json_array_get(a, i));
        if (!h || strlen(h) != 64 || ronda_unhex(h, path[i].b, 32) != RONDA_OK) {
            set(d, "\"path\" item %zu is not a 32-byte hex hash", i);
            return RONDA_ERR_MALFORMED;
        }
    }
    *len = (unsigned)json_array_size(a);
    return RONDA_OK;
}

ronda_err ronda_proof_from_json(const json_t *p, ronda_proof *out, ronda_detail *d) {
    memset(out, 0, sizeof *out);
    const char *fmt = json_string_value(json_object_get(p, "format"));
    const char *type = json_string_value(json_object_get(p, "type"));
    if (!json_is_object(p) || !fmt || strcmp(fmt, PROOF_FORMAT) != 0 || !type ||
        (strcmp(type, "inclusion") != 0 && strcmp(type, "consistency") != 0)) {
        set(d, "not a ronda proof file (\"format\" must be \"" PROOF_FORMAT "\", \"type\" inclusion or consistency)");
        return RONDA_ERR_MALFORMED;
    }
    const char *ah = json_string_value(json_object_get(p, "authority"));
    const char *wh = json_string_value(json_object_get(p, "writer"));
    if (!ah || ronda_unhex(ah, out->authority, 32) != RONDA_OK || !wh || ronda_unhex(wh, out->writer, 32) != RONDA_OK) {
        set(d, "\"authority\" and \"writer\" must be 32-byte hex keys");
        return RONDA_ERR_MALFORMED;
    }
    out->consistency = strcmp(type, "consistency") == 0;
    ronda_err e = path_field(p, out->path, &out->path_len, d);
    if (e == RONDA_OK && !out->consistency) {
        if ((e = uint_field(p, "index", &out->index, d)) == RONDA_OK &&
            (e = uint_field(p, "size", &out->size, d)) == RONDA_OK &&
            (e = unhex_field(p, "checkpoint", RONDA_RECORD_MAX, &out->checkpoint, &out->checkpoint_len, d)) == RONDA_OK)
            e = unhex_field(p, "record", RONDA_RECORD_MAX, &out->record, &out->record_len, d);
    } else if (e == RONDA_OK) {
        if ((e = uint_field(p, "old_size", &out->old_size, d)) == RONDA_OK &&
            (e = uint_field(p, "new_size", &out->new_size, d)) == RONDA_OK &&
            (e = unhex_field(p, "old", RONDA_RECORD_MAX, &out->old, &out->old_len, d)) == RONDA_OK)
            e = unhex_field(p, "new", RONDA_RECORD_MAX, &out->checkpoint, &out->checkpoint_len, d);
    }
    if (e != RONDA_OK) ronda_proof_free(out);
    return e;
}

static ronda_err as_json(ronda_err e, ronda_proof *p, json_t **out) {
    if (e != RONDA_OK) return e;
    json_t *o = ronda_proof_json(p);
    ronda_proof_free(p);
    if (!o) return RONDA_ERR_NOMEM;
    *out = o;
    return RONDA_OK;
}

ronda_err ronda_store_prove_inclusion(ronda_store *s, const uint8_t id[RONDA_ID_BYTES], const uint8_t *checkpoint,
                                      json_t **out, ronda_detail *d) {
    ronda_proof p;
    return as_json(ronda_store_proof_inclusion(s, id, checkpoint, &p, d), &p, out);
}

ronda_err ronda_store_prove_consistency(ronda_store *s, const uint8_t old_cp[RONDA_ID_BYTES],
                                        const uint8_t new_cp[RONDA_ID_BYTES], json_t **out, ronda_detail *d) {
    ronda_proof p;
    return as_json(ronda_store_proof_consistency(s, old_cp, new_cp, &p, d), &p, out);
}

ronda_err ronda_proof_check(const json_t *json, const uint8_t *authority, ronda_proof_result *out, ronda_detail *d) {
    ronda_proof p;
    ronda_err e = ronda_proof_from_json(json, &p, d);
    if (e != RONDA_OK) return e;
    e = ronda_proof_verify(&p, authority, out, d);
    ronda_proof_free(&p);
    return e;
}
