/* Body schemas of the v1 kinds: one table per kind drives validation of canonical msgpack
 * bodies, conversion to JSON (for display and derived views) and from JSON (for input).
 *
 * Validation is written once: ronda_body_from_json converts JSON to msgpack by the table
 * and then runs the same decoder that checks every body from the wire over its output.
 * Field tables are kept in canonical key order (shorter keys first, then bytewise), so a
 * body's keys must appear in table order; schema_selfcheck() asserts that. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record/canon.h"
#include "record/schema.h"
#include "util/assert.h"
#include "util/util.h"

typedef enum ftype { T_NAME, T_TEXT, T_TIME, T_ENUM, T_UINT, T_BIN32, T_SIG64, T_LIST, T_MAP, T_BODY } ftype;

typedef struct schema schema;
typedef struct field {
    const char *key;
    ftype type;
    int required;
    ftype elem;               /* T_LIST: type of the items */
    const char *const *enums; /* T_ENUM (or items of T_ENUM): NULL-terminated */
    uint64_t min, max;        /* T_UINT: value range; T_LIST: item count range */
    const schema *sub;        /* T_MAP, or T_LIST of T_MAP */
} field;
struct schema {
    const char *name;
    const field *fields;
    size_t n;
};

static const char *const programmes[] = {"candu", "warkop", "curhat", "patroli_dialogis", "partnership", "other", NULL};
static const char *const categories[] = {"vulnerable_area", "social_problem", "traffic", "unrest",
                                         "criticism",       "aspiration",     "other",   NULL};
static const char *const statuses[] = {"in_progress", "referred", "resolved", NULL};
static const char *const roles[] = {"precinct", "hq", "auditor", NULL};
static const char *const amendable[] = {"dialogue", "resolution", NULL};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const field topic_fields[] = {
    {"summary", T_TEXT, 1, 0, NULL, 0, 0, NULL},
    {"category", T_ENUM, 1, 0, categories, 0, 0, NULL},
};
static const schema topic_schema = {"topic", topic_fields, N(topic_fields)};

static const field dialogue_fields[] = {
    {"when", T_TIME, 1, 0, NULL, 0, 0, NULL},
    {"title", T_NAME, 1, 0, NULL, 0, 0, NULL},
    {"venue", T_NAME, 1, 0, NULL, 0, 0, NULL},
    {"polres", T_NAME, 1, 0, NULL, 0, 0, NULL},
    {"polsek", T_NAME, 1, 0, NULL, 0, 0, NULL},
    {"topics", T_LIST, 1, T_MAP, NULL, 1, RONDA_LIST_MAX, &topic_schema},
    {"village", T_NAME, 0, 0, NULL, 0, 0, NULL},
    {"messages", T_LIST, 0, T_TEXT, NULL, 0, RONDA_LIST_MAX, NULL},
    {"officers", T_LIST, 0, T_NAME, NULL, 0, RONDA_LIST_MAX, NULL},
    {"programme", T_ENUM, 1, 0, programmes, 0, 0, NULL},
    {"participants", T_UINT, 0, 0, NULL, 0, RONDA_PARTICIPANTS_MAX, NULL},
    {"stakeholders", T_LIST, 0, T_NAME, NULL, 0, RONDA_LIST_MAX, NULL},
};

static const field resolution_fields[] = {
    {"when", T_TIME, 1, 0, NULL, 0, 0, NULL},      {"topic", T_UINT, 1, 0, NULL, 0, RONDA_LIST_MAX - 1, NULL},
    {"action", T_TEXT, 1, 0, NULL, 0, 0, NULL},    {"status", T_ENUM, 1, 0, statuses, 0, 0, NULL},
    {"dialogue", T_BIN32, 1, 0, NULL, 0, 0, NULL}, {"referred_to", T_NAME, 0, 0, NULL, 0, 0, NULL},
};

static const field amend_fields[] = {
    {"body", T_BODY, 1, 0, NULL, 0, 0, NULL},
    {"kind", T_ENUM, 1, 0, amendable, 0, 0, NULL},
    {"reason", T_TEXT, 1, 0, NULL, 0, 0, NULL},
    {"target", T_BIN32, 1, 0, NULL, 0, 0, NULL},
};

static const field member_fields[] = {
    {"name", T_NAME, 1, 0, NULL, 0, 0, NULL},
    {"role", T_ENUM, 1, 0, roles, 0, 0, NULL},
    {"polres", T_NAME, 0, 0, NULL, 0, 0, NULL},
    {"polsek", T_NAME, 0, 0, NULL, 0, 0, NULL},
    {"endpoint", T_NAME, 0, 0, NULL, 0, 0, NULL},
    {"sign_key", T_BIN32, 1, 0, NULL, 0, 0, NULL},
    {"curve_key", T_BIN32, 1, 0, NULL, 0, 0, NULL},
    {"valid_from", T_UINT, 1, 0, NULL, 0, UINT64_MAX, NULL},
    {"valid_until", T_UINT, 1, 0, NULL, 0, UINT64_MAX, NULL},
};

static const field revoke_fields[] = {
    {"member", T_BIN32, 1, 0, NULL, 0, 0, NULL},
    {"reason", T_TEXT, 1, 0, NULL, 0, 0, NULL},
    {"last_id", T_BIN32, 0, 0, NULL, 0, 0, NULL},
    {"last_seq", T_UINT, 1, 0, NULL, 0, UINT64_MAX, NULL},
};

/* One frontier entry: the author's last record held when the checkpoint was written. */
static const field entry_fields[] = {
    {"seq", T_UINT, 1, 0, NULL, 1, UINT64_MAX, NULL},
    {"head", T_BIN32, 1, 0, NULL, 0, 0, NULL},
    {"author", T_BIN32, 1, 0, NULL, 0, 0, NULL},
};
static const schema entry_schema = {"frontier entry", entry_fields, N(entry_fields)};

static const field checkpoint_fields[] = {
    {"part", T_UINT, 1, 0, NULL, 0, RONDA_CHECKPOINT_PARTS_MAX - 1, NULL},
    /* The writer's Merkle tree (proto/tree.md), in part 0: its root and size. Optional, so
     * checkpoints written before trees stay valid. */
    {"root", T_BIN32, 0, 0, NULL, 0, 0, NULL},
    {"size", T_UINT, 0, 0, NULL, 0, UINT64_MAX, NULL},
    {"parts", T_UINT, 1, 0, NULL, 1, RONDA_CHECKPOINT_PARTS_MAX, NULL},
    {"digest", T_BIN32, 1, 0, NULL, 0, 0, NULL},
    {"records", T_UINT, 1, 0, NULL, 0, UINT64_MAX, NULL},
    {"frontier", T_LIST, 1, T_MAP, NULL, 1, RONDA_CHECKPOINT_AUTHORS_MAX, &entry_schema},
    /* The writer's signed-note signature over the checkpoint's note (proto/note.md), in
     * part 0; optional, so checkpoints written before notes stay valid. */
    {"note_sig", T_SIG64, 0, 0, NULL, 0, 0, NULL},
};

/* A cosignature: another hq's note signature over a checkpoint it holds every record of. */
static const field cosign_fields[] = {
    {"seq", T_UINT, 1, 0, NULL, 1, UINT64_MAX, NULL},  {"root", T_BIN32, 1, 0, NULL, 0, 0, NULL},
    {"size", T_UINT, 1, 0, NULL, 0, UINT64_MAX, NULL}, {"writer", T_BIN32, 1, 0, NULL, 0, 0, NULL},
    {"note_sig", T_SIG64, 1, 0, NULL, 0, 0, NULL},     {"checkpoint", T_BIN32, 1, 0, NULL, 0, 0, NULL},
};

static const schema kind_schemas[RONDA_KIND__COUNT] = {
    [RONDA_KIND_DIALOGUE] = {"dialogue", dialogue_fields, N(dialogue_fields)},
    [RONDA_KIND_RESOLUTION] = {"resolution", resolution_fields, N(resolution_fields)},
    [RONDA_KIND_AMEND] = {"amend", amend_fields, N(amend_fields)},
    [RONDA_KIND_MEMBER] = {"member", member_fields, N(member_fields)},
    [RONDA_KIND_REVOKE] = {"revoke", revoke_fields, N(revoke_fields)},
    [RONDA_KIND_CHECKPOINT] = {"checkpoint", checkpoint_fields, N(checkpoint_fields)},
    [RONDA_KIND_COSIGN] = {"cosign", cosign_fields, N(cosign_fields)},
};

static int canonical_before(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    return la != lb ? la < lb : strcmp(a, b) < 0;
}

static void check_table(const schema *s) {
    for (size_t i = 1; i < s->n; i++) RONDA_ASSERT(canonical_before(s->fields[i - 1].key, s->fields[i].key));
    for (size_t i = 0; i < s->n; i++) RONDA_ASSERT(strlen(s->fields[i].key) < 32); /* fixstr keys */
}

void schema_selfcheck(void) {
    check_table(&topic_schema);
    check_table(&entry_schema);
    for (int k = RONDA_KIND_DIALOGUE; k < RONDA_KIND__COUNT; k++) check_table(&kind_schemas[k]);
}

const char *const *schema_enum_values(const char *what) {
    if (strcmp(what, "programme") == 0) return programmes;
    if (strcmp(what, "category") == 0) return categories;
    if (strcmp(what, "status") == 0) return statuses;
    if (strcmp(what, "role") == 0) return roles;
    return NULL;
}

static ronda_err fail(ronda_detail *d, ronda_err e, const char *path, const char *what) {
    if (d) snprintf(d->text, sizeof d->text, "%s%s%s", path, *path ? ": " : "", what);
    return e;
}

static int enum_has(const char *const *values, const uint8_t *s, size_t len) {
    for (size_t i = 0; values[i]; i++)
        if (strlen(values[i]) == len && memcmp(values[i], s, len) == 0) return 1;
    return 0;
}

/* ---------------------------------------------------------------- decoding */

static ronda_err decode_map(crd *r, const schema *s, unsigned depth, const char *path, json_t *out, ronda_detail *d);

static ronda_err decode_scalar(crd *r, const field *f, ftype t, const char *path, json_t **out, ronda_detail *d) {
    const uint8_t *p;
    uint32_t len;
    uint64_t v;
    ronda_err e;
    switch (t) {
    case T_NAME:
    case T_TEXT:
    case T_TIME:
    case T_ENUM:
        if ((e = crd_str(r, &p, &len)) != RONDA_OK) return fail(d, e, path, "expected a UTF-8 string");
        if (len == 0) return fail(d, RONDA_ERR_SCHEMA, path, "must not be empty");
        if (t == T_NAME && len > RONDA_NAME_MAX)
            return fail(d, RONDA_ERR_TOO_BIG, path, "longer than RONDA_NAME_MAX (160 bytes)");
        if (t == T_TEXT && len > RONDA_TEXT_MAX)
            return fail(d, RONDA_ERR_TOO_BIG, path, "longer than RONDA_TEXT_MAX (4096 bytes)");
        if (t == T_TIME && !time_parse((const char *)p, len, NULL))
            return fail(d, RONDA_ERR_SCHEMA, path, "not a time YYYY-MM-DDTHH:MM:SS+HH:MM");
        if (t == T_ENUM && !enum_has(f->enums, p, len))
            return fail(d, RONDA_ERR_SCHEMA, path, "not one of the allowed values");
        *out = json_stringn((const char *)p, len);
        break;
    case T_UINT:
        if ((e = crd_uint(r, &v)) != RONDA_OK) return fail(d, e, path, "expected an unsigned integer");
        if (v < f->min || v > f->max) return fail(d, RONDA_ERR_SCHEMA, path, "out of range");
        if (v > (uint64_t)INT64_MAX) return fail(d, RONDA_ERR_SCHEMA, path, "out of range");
        *out = json_integer((json_int_t)v);
        break;
    case T_BIN32: {
        if ((e = crd_bin(r, &p, &len)) != RONDA_OK) return fail(d, e, path, "expected bytes");
        if (len != 32) return fail(d, RONDA_ERR_SCHEMA, path, "expected 32 bytes");
        char hex[65];
        ronda_hex(p, 32, hex);
        *out = json_string(hex);
        break;
    }
    case T_SIG64: {
        if ((e = crd_bin(r, &p, &len)) != RONDA_OK) return fail(d, e, path, "expected bytes");
        if (len != 64) return fail(d, RONDA_ERR_SCHEMA, path, "expected 64 bytes");
        char hex[129];
        ronda_hex(p, 64, hex);
        *out = json_string(hex);
        break;
    }
    default:
        return fail(d, RONDA_ERR_SCHEMA, path, "unexpected type");
    }
    return *out ? RONDA_OK : RONDA_ERR_NOMEM;
}

static ronda_err decode_field(crd *r, const field *f, unsigned depth, const char *path, json_t **out, ronda_detail *d) {
    ronda_err e;
    if (f->type == T_MAP || f->type == T_LIST) {
        if (depth == 0) return fail(d, RONDA_ERR_TOO_BIG, path, "nested too deep");
    }
    if (f->type == T_LIST) {
        uint32_t n;
        if ((e = crd_array(r, &n)) != RONDA_OK) return fail(d, e, path, "expected a list");
        if (n > f->max)
            return fail(d, RONDA_ERR_TOO_BIG, path,
                        f->max == RONDA_LIST_MAX ? "more items than RONDA_LIST_MAX (64)"
                                                 : "more entries than RONDA_CHECKPOINT_AUTHORS_MAX (512)");
        if (n < f->min) return fail(d, RONDA_ERR_SCHEMA, path, "too few items");
        json_t *arr = json_array();
        if (!arr) return RONDA_ERR_NOMEM;
        for (uint32_t i = 0; i < n; i++) {
            char sub[200];
            snprintf(sub, sizeof sub, "%s[%u]", path, i);
            json_t *item = NULL;
            if (f->elem == T_MAP) {
                if ((item = json_object()) == NULL)
                    e = RONDA_ERR_NOMEM;
                else
                    e = decode_map(r, f->sub, depth - 1, sub, item, d);
            } else {
                e = decode_scalar(r, f, f->elem, sub, &item, d);
            }
            if (e != RONDA_OK || json_array_append_new(arr, item) != 0) {
                if (e == RONDA_OK)
                    e = RONDA_ERR_NOMEM;
                else
                    json_decref(item);
                json_decref(arr);
                return e;
            }
        }
        *out = arr;
        return RONDA_OK;
    }
    return decode_scalar(r, f, f->type, path, out, d);
}

/* Cross-field rules that a table cannot say. */
static ronda_err check_rules(const schema *s, const char *path, json_t *o, ronda_detail *d) {
    if (s == &kind_schemas[RONDA_KIND_RESOLUTION]) {
        const char *st = json_string_value(json_object_get(o, "status"));
        int referred = st && strcmp(st, "referred") == 0;
        if (referred != (json_object_get(o, "referred_to") != NULL))
            return fail(d, RONDA_ERR_SCHEMA, path, "referred_to is required when status is referred, and only then");
    } else if (s == &kind_schemas[RONDA_KIND_MEMBER]) {
        json_int_t from = json_integer_value(json_object_get(o, "valid_from"));
        json_int_t until = json_integer_value(json_object_get(o, "valid_until"));
        if (until <= from) return fail(d, RONDA_ERR_SCHEMA, path, "valid_until must follow valid_from");
        const char *role = json_string_value(json_object_get(o, "role"));
        if (role && strcmp(role, "precinct") == 0 && (!json_object_get(o, "polres") || !json_object_get(o, "polsek")))
            return fail(d, RONDA_ERR_SCHEMA, path, "a precinct member names its polres and polsek");
        if (role && strcmp(role, "hq") == 0 && !json_object_get(o, "polres"))
            return fail(d, RONDA_ERR_SCHEMA, path, "an hq member names its polres");
    } else if (s == &kind_schemas[RONDA_KIND_CHECKPOINT]) {
        if (json_integer_value(json_object_get(o, "part")) >= json_integer_value(json_object_get(o, "parts")))
            return fail(d, RONDA_ERR_SCHEMA, path, "part must be below parts");
        /* Entries ascend strictly by author: one entry per author, one order per frontier. */
        json_t *fr = json_object_get(o, "frontier");
        for (size_t i = 1; i < json_array_size(fr); i++) {
            const char *a = json_string_value(json_object_get(json_array_get(fr, i - 1), "author"));
            const char *b = json_string_value(json_object_get(json_array_get(fr, i), "author"));
            if (!a || !b || strcmp(a, b) >= 0)
                return fail(d, RONDA_ERR_SCHEMA, path, "frontier entries must ascend strictly by author");
        }
    } else if (s == &kind_schemas[RONDA_KIND_REVOKE]) {
        json_int_t last = json_integer_value(json_object_get(o, "last_seq"));
        if ((last > 0) != (json_object_get(o, "last_id") != NULL))
            return fail(d, RONDA_ERR_SCHEMA, path, "last_id is required when last_seq > 0, and only then");
    }
    return RONDA_OK;
}

static ronda_err decode_map(crd *r, const schema *s, unsigned depth, const char *path, json_t *out, ronda_detail *d) {
    uint32_t n;
    ronda_err e;
    const uint8_t *body_at = NULL;
    size_t body_len = 0;
    if ((e = crd_map(r, &n)) != RONDA_OK) return fail(d, e, path, "expected a map");
    size_t next = 0; /* keys must follow the table's (canonical) order */
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *k;
        uint32_t klen;
        if ((e = crd_str(r, &k, &klen)) != RONDA_OK) return fail(d, e, path, "map key is not a string");
        size_t j;
        for (j = next; j < s->n; j++)
            if (strlen(s->fields[j].key) == klen && memcmp(s->fields[j].key, k, klen) == 0) break;
        if (j == s->n) {
            for (size_t q = 0; q < next; q++)
                if (strlen(s->fields[q].key) == klen && memcmp(s->fields[q].key, k, klen) == 0)
                    return fail(d, RONDA_ERR_MALFORMED, path, "map keys out of canonical order or repeated");
            char what[200];
            snprintf(what, sizeof what, "unknown field \"%.*s\"", (int)(klen > 40 ? 40 : klen), k);
            return fail(d, RONDA_ERR_SCHEMA, path, what);
        }
        const field *f = &s->fields[j];
        char sub[160];
        snprintf(sub, sizeof sub, "%s%s%s", path, *path ? "." : "", f->key);
        json_t *v = NULL;
        if (f->type == T_BODY) {
            /* Checked against its kind's schema once "kind", which sorts after it, is read. */
            body_at = r->p;
            if ((e = crd_skip(r, depth)) != RONDA_OK) return fail(d, e, sub, "malformed body");
            body_len = (size_t)(r->p - body_at);
            v = json_null();
        } else if ((e = decode_field(r, f, depth, sub, &v, d)) != RONDA_OK) {
            return e;
        }
        if (json_object_set_new(out, f->key, v) != 0) return RONDA_ERR_NOMEM;
        next = j + 1;
    }
    for (size_t j = 0; j < s->n; j++)
        if (s->fields[j].required && !json_object_get(out, s->fields[j].key)) {
            char what[200];
            snprintf(what, sizeof what, "missing required field \"%s\"", s->fields[j].key);
            return fail(d, RONDA_ERR_SCHEMA, path, what);
        }
    if (body_at) {
        const char *kn = json_string_value(json_object_get(out, "kind"));
        ronda_kind k = ronda_kind_from_name(kn, strlen(kn));
        json_t *inner = json_object();
        if (!inner) return RONDA_ERR_NOMEM;
        crd br = crd_make(body_at, body_len);
        if ((e = decode_map(&br, &kind_schemas[k], depth - 1, "body", inner, d)) != RONDA_OK) {
            json_decref(inner);
            return e;
        }
        if (json_object_set_new(out, "body", inner) != 0) return RONDA_ERR_NOMEM;
    }
    return check_rules(s, path, out, d);
}

ronda_err ronda_body_to_json(ronda_kind kind, const uint8_t *body, size_t body_len, json_t **out, ronda_detail *d) {
    if (kind <= RONDA_KIND_NONE || kind >= RONDA_KIND__COUNT) return RONDA_ERR_KIND;
    if (body_len > RONDA_BODY_MAX) return fail(d, RONDA_ERR_TOO_BIG, "body", "larger than RONDA_BODY_MAX");
    json_t *o = json_object();
    if (!o) return RONDA_ERR_NOMEM;
    crd r = crd_make(body, body_len);
    ronda_err e = decode_map(&r, &kind_schemas[kind], RONDA_DEPTH_MAX, "", o, d);
    if (e == RONDA_OK && crd_left(&r) != 0) e = fail(d, RONDA_ERR_MALFORMED, "body", "trailing bytes");
    if (e != RONDA_OK || out == NULL) {
        json_decref(o);
        return e;
    }
    *out = o;
    return RONDA_OK;
}

/* ---------------------------------------------------------------- encoding */

static ronda_err encode_map(cwr *w, const schema *s, const json_t *o, const char *path, const char *amend_kind,
                            ronda_detail *d);

static ronda_err encode_value(cwr *w, const field *f, ftype t, const json_t *v, const char *path, ronda_detail *d) {
    switch (t) {
    case T_NAME:
    case T_TEXT:
    case T_TIME:
    case T_ENUM:
        if (!json_is_string(v)) return fail(d, RONDA_ERR_SCHEMA, path, "expected a string");
        cwr_str(w, json_string_value(v), json_string_length(v));
        return RONDA_OK;
    case T_UINT:
        if (!json_is_integer(v) || json_integer_value(v) < 0)
            return fail(d, RONDA_ERR_SCHEMA, path, "expected a non-negative integer");
        cwr_uint(w, (uint64_t)json_integer_value(v));
        return RONDA_OK;
    case T_BIN32: {
        uint8_t b[32];
        if (!json_is_string(v) || ronda_unhex(json_string_value(v), b, 32) != RONDA_OK)
            return fail(d, RONDA_ERR_SCHEMA, path, "expected 64 hex digits");
        cwr_bin(w, b, 32);
        return RONDA_OK;
    }
    case T_SIG64: {
        uint8_t b[64];
        if (!json_is_string(v) || ronda_unhex(json_string_value(v), b, 64) != RONDA_OK)
            return fail(d, RONDA_ERR_SCHEMA, path, "expected 128 hex digits");
        cwr_bin(w, b, 64);
        return RONDA_OK;
    }
    case T_MAP:
        return encode_map(w, f->sub, v, path, NULL, d);
    default:
        return fail(d, RONDA_ERR_SCHEMA, path, "unexpected type");
    }
}

static ronda_err encode_map(cwr *w, const schema *s, const json_t *o, const char *path, const char *amend_kind,
                            ronda_detail *d) {
    if (!json_is_object(o)) return fail(d, RONDA_ERR_SCHEMA, path, "expected an object");
    const char *key;
    json_t *val;
    uint32_t count = 0;
    json_object_foreach((json_t *)o, key, val) {
        size_t j;
        for (j = 0; j < s->n && strcmp(s->fields[j].key, key) != 0; j++) {}
        if (j == s->n) {
            char what[200];
            snprintf(what, sizeof what, "unknown field \"%.60s\"", key);
            return fail(d, RONDA_ERR_SCHEMA, path, what);
        }
        count++;
    }
    cwr_map(w, count);
    ronda_err e;
    for (size_t j = 0; j < s->n; j++) {
        const field *f = &s->fields[j];
        const json_t *v = json_object_get(o, f->key);
        if (!v) continue; /* missing required fields are reported by the decoder */
        char sub[160];
        snprintf(sub, sizeof sub, "%s%s%s", path, *path ? "." : "", f->key);
        cwr_str(w, f->key, strlen(f->key));
        if (f->type == T_LIST) {
            if (!json_is_array(v)) return fail(d, RONDA_ERR_SCHEMA, sub, "expected a list");
            if (json_array_size(v) > f->max)
                return fail(d, RONDA_ERR_TOO_BIG, sub,
                            f->max == RONDA_LIST_MAX ? "more items than RONDA_LIST_MAX (64)"
                                                     : "more entries than RONDA_CHECKPOINT_AUTHORS_MAX (512)");
            cwr_array(w, (uint32_t)json_array_size(v));
            for (size_t i = 0; i < json_array_size(v); i++) {
                char item[200];
                snprintf(item, sizeof item, "%s[%zu]", sub, i);
                e = encode_value(w, f, f->elem, json_array_get(v, i), item, d);
                if (e != RONDA_OK) return e;
            }
        } else if (f->type == T_BODY) {
            const char *kn = amend_kind ? amend_kind : "";
            ronda_kind k = ronda_kind_from_name(kn, strlen(kn));
            if (k != RONDA_KIND_DIALOGUE && k != RONDA_KIND_RESOLUTION)
                return fail(d, RONDA_ERR_SCHEMA, path, "kind must be dialogue or resolution");
            if ((e = encode_map(w, &kind_schemas[k], v, sub, NULL, d)) != RONDA_OK) return e;
        } else if ((e = encode_value(w, f, f->type, v, sub, d)) != RONDA_OK) {
            return e;
        }
    }
    return RONDA_OK;
}

ronda_err ronda_body_from_json(ronda_kind kind, const json_t *json, uint8_t **out, size_t *out_len, ronda_detail *d) {
    if (kind <= RONDA_KIND_NONE || kind >= RONDA_KIND__COUNT) return RONDA_ERR_KIND;
    cwr w;
    cwr_init(&w);
    const char *ak = NULL;
    if (kind == RONDA_KIND_AMEND) ak = json_string_value(json_object_get(json, "kind"));
    ronda_err e = encode_map(&w, &kind_schemas[kind], json, "", ak, d);
    uint8_t *buf = NULL;
    size_t len = 0;
    if (e == RONDA_OK) e = cwr_take(&w, &buf, &len);
    cwr_destroy(&w);
    if (e != RONDA_OK) return e;
    /* One validator: the bytes we made must pass the decoder every peer runs. */
    if ((e = ronda_body_to_json(kind, buf, len, NULL, d)) != RONDA_OK) {
        free(buf);
        return e;
    }
    *out = buf;
    *out_len = len;
    return RONDA_OK;
}
