/* Body schemas of the v1 kinds: one table per kind drives the decoding of canonical msgpack
 * bodies into their typed structs (include/ronda/body.h), which checks every rule, JSON made
 * from those structs (for the CLI and the HTTP server) and bodies made from JSON (input).
 *
 * Validation is written once: ronda_body_from_json converts JSON to msgpack by the table
 * and then runs the same decoder that checks every body from the wire over its output, and
 * JSON is only ever made from a decoded struct.
 * Field tables are kept in canonical key order (shorter keys first, then bytewise), so a
 * body's keys must appear in table order; schema_selfcheck() asserts that. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record/canon.h"
#include "ronda/body.h"
#include "ronda/json.h" /* ronda_body_from_json, _to_json, _json: the JSON of bodies, for the edges */
#include "record/schema.h"
#include "util/assert.h"
#include "util/util.h"

typedef enum ftype { T_NAME, T_TEXT, T_TIME, T_ENUM, T_UINT, T_BIN32, T_SIG64, T_LIST, T_MAP, T_BODY, T_AKIND } ftype;

/* One field of a schema, and where its value goes in the kind's struct (include/ronda/body.h):
 * ronda_text for T_NAME, T_TEXT and T_TIME; int for T_ENUM (the value's index in `enums`) and
 * T_AKIND (the amended ronda_kind); ronda_uint for T_UINT; const uint8_t * for T_BIN32 and
 * T_SIG64; ronda_list for T_LIST; the union of the amended kinds for T_BODY. */
typedef struct schema schema;
typedef struct field {
    const char *key;
    ftype type;
    int required;
    ftype elem;               /* T_LIST: type of the items */
    const char *const *enums; /* T_ENUM, T_AKIND (or items of T_ENUM): NULL-terminated */
    uint64_t min, max;        /* T_UINT: value range; T_LIST: item count range */
    const schema *sub;        /* T_MAP, or T_LIST of T_MAP */
    size_t off;               /* offset of the value in the struct */
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
/* A field of struct S named k (its key in the body). */
#define F(S, k, ...)                                                                                                   \
    { .key = #k, .off = offsetof(S, k), __VA_ARGS__ }

static const field topic_fields[] = {
    F(ronda_topic, summary, .type = T_TEXT, .required = 1),
    F(ronda_topic, category, .type = T_ENUM, .required = 1, .enums = categories),
};
static const schema topic_schema = {"topic", topic_fields, N(topic_fields)};

static const field dialogue_fields[] = {
    F(ronda_dialogue, when, .type = T_TIME, .required = 1),
    F(ronda_dialogue, title, .type = T_NAME, .required = 1),
    F(ronda_dialogue, venue, .type = T_NAME, .required = 1),
    F(ronda_dialogue, polres, .type = T_NAME, .required = 1),
    F(ronda_dialogue, polsek, .type = T_NAME, .required = 1),
    F(ronda_dialogue, topics, .type = T_LIST, .required = 1, .elem = T_MAP, .min = 1, .max = RONDA_LIST_MAX,
      .sub = &topic_schema),
    F(ronda_dialogue, village, .type = T_NAME, .required = 0),
    F(ronda_dialogue, messages, .type = T_LIST, .required = 0, .elem = T_TEXT, .max = RONDA_LIST_MAX),
    F(ronda_dialogue, officers, .type = T_LIST, .required = 0, .elem = T_NAME, .max = RONDA_LIST_MAX),
    F(ronda_dialogue, programme, .type = T_ENUM, .required = 1, .enums = programmes),
    F(ronda_dialogue, participants, .type = T_UINT, .required = 0, .max = RONDA_PARTICIPANTS_MAX),
    F(ronda_dialogue, stakeholders, .type = T_LIST, .required = 0, .elem = T_NAME, .max = RONDA_LIST_MAX),
};

static const field resolution_fields[] = {
    F(ronda_resolution, when, .type = T_TIME, .required = 1),
    F(ronda_resolution, topic, .type = T_UINT, .required = 1, .max = RONDA_LIST_MAX - 1),
    F(ronda_resolution, action, .type = T_TEXT, .required = 1),
    F(ronda_resolution, status, .type = T_ENUM, .required = 1, .enums = statuses),
    F(ronda_resolution, dialogue, .type = T_BIN32, .required = 1),
    F(ronda_resolution, referred_to, .type = T_NAME, .required = 0),
};

static const field amend_fields[] = {
    F(ronda_amend, body, .type = T_BODY, .required = 1),
    F(ronda_amend, kind, .type = T_AKIND, .required = 1, .enums = amendable),
    F(ronda_amend, reason, .type = T_TEXT, .required = 1),
    F(ronda_amend, target, .type = T_BIN32, .required = 1),
};

static const field member_fields[] = {
    F(ronda_member, name, .type = T_NAME, .required = 1),
    F(ronda_member, role, .type = T_ENUM, .required = 1, .enums = roles),
    F(ronda_member, polres, .type = T_NAME, .required = 0),
    F(ronda_member, polsek, .type = T_NAME, .required = 0),
    F(ronda_member, endpoint, .type = T_NAME, .required = 0),
    F(ronda_member, sign_key, .type = T_BIN32, .required = 1),
    F(ronda_member, curve_key, .type = T_BIN32, .required = 1),
    F(ronda_member, valid_from, .type = T_UINT, .required = 1, .max = UINT64_MAX),
    F(ronda_member, valid_until, .type = T_UINT, .required = 1, .max = UINT64_MAX),
};

static const field revoke_fields[] = {
    F(ronda_revoke, member, .type = T_BIN32, .required = 1),
    F(ronda_revoke, reason, .type = T_TEXT, .required = 1),
    F(ronda_revoke, last_id, .type = T_BIN32, .required = 0),
    F(ronda_revoke, last_seq, .type = T_UINT, .required = 1, .max = UINT64_MAX),
};

/* One frontier entry: the author's last record held when the checkpoint was written. */
static const field entry_fields[] = {
    F(ronda_entry, seq, .type = T_UINT, .required = 1, .min = 1, .max = UINT64_MAX),
    F(ronda_entry, head, .type = T_BIN32, .required = 1),
    F(ronda_entry, author, .type = T_BIN32, .required = 1),
};
static const schema entry_schema = {"frontier entry", entry_fields, N(entry_fields)};

static const field checkpoint_fields[] = {
    F(ronda_checkpoint, part, .type = T_UINT, .required = 1, .max = RONDA_CHECKPOINT_PARTS_MAX - 1),
    /* The writer's Merkle tree (proto/tree.md), in part 0: its root and size. Optional, so
     * checkpoints written before trees stay valid. */
    F(ronda_checkpoint, root, .type = T_BIN32, .required = 0),
    F(ronda_checkpoint, size, .type = T_UINT, .required = 0, .max = UINT64_MAX),
    F(ronda_checkpoint, parts, .type = T_UINT, .required = 1, .min = 1, .max = RONDA_CHECKPOINT_PARTS_MAX),
    F(ronda_checkpoint, digest, .type = T_BIN32, .required = 1),
    F(ronda_checkpoint, records, .type = T_UINT, .required = 1, .max = UINT64_MAX),
    F(ronda_checkpoint, frontier, .type = T_LIST, .required = 1, .elem = T_MAP, .min = 1,
      .max = RONDA_CHECKPOINT_AUTHORS_MAX, .sub = &entry_schema),
    /* The writer's signed-note signature over the checkpoint's note (proto/note.md), in
     * part 0; optional, so checkpoints written before notes stay valid. */
    F(ronda_checkpoint, note_sig, .type = T_SIG64, .required = 0),
};

/* A cosignature: another hq's note signature over a checkpoint it holds every record of. */
static const field cosign_fields[] = {
    F(ronda_cosign, seq, .type = T_UINT, .required = 1, .min = 1, .max = UINT64_MAX),
    F(ronda_cosign, root, .type = T_BIN32, .required = 1),
    F(ronda_cosign, size, .type = T_UINT, .required = 1, .max = UINT64_MAX),
    F(ronda_cosign, writer, .type = T_BIN32, .required = 1),
    F(ronda_cosign, note_sig, .type = T_SIG64, .required = 1),
    F(ronda_cosign, checkpoint, .type = T_BIN32, .required = 1),
};

/* The list fields whose items the ronda_body_* readers walk (schema_selfcheck checks them). */
#define TOPICS (&dialogue_fields[5])
#define TEXTS (&dialogue_fields[7])
#define FRONTIER (&checkpoint_fields[6])

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
    RONDA_ASSERT(strcmp(TOPICS->key, "topics") == 0 && TOPICS->elem == T_MAP && TOPICS->sub == &topic_schema);
    RONDA_ASSERT(strcmp(TEXTS->key, "messages") == 0 && TEXTS->elem == T_TEXT);
    RONDA_ASSERT(strcmp(FRONTIER->key, "frontier") == 0 && FRONTIER->sub == &entry_schema);
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

/* The index of a value in a NULL-terminated list; -1 when it is none of them. */
static int enum_index(const char *const *values, const uint8_t *s, size_t len) {
    for (int i = 0; values[i]; i++)
        if (strlen(values[i]) == len && memcmp(values[i], s, len) == 0) return i;
    return -1;
}

/* ---------------------------------------------------------------- decoding */

#define AT(base, f, T) ((T *)(void *)((char *)(base) + (f)->off))

static ronda_err decode_map(crd *r, const schema *s, unsigned depth, const char *path, void *out, ronda_detail *d);

/* One scalar of type t into *slot (the type's value, body.h). */
static ronda_err decode_scalar(crd *r, const field *f, ftype t, const char *path, void *slot, ronda_detail *d) {
    const uint8_t *p;
    uint32_t len;
    uint64_t v;
    ronda_err e;
    switch (t) {
    case T_NAME:
    case T_TEXT:
    case T_TIME:
    case T_ENUM:
    case T_AKIND:
        if ((e = crd_str(r, &p, &len)) != RONDA_OK) return fail(d, e, path, "expected a UTF-8 string");
        if (len == 0) return fail(d, RONDA_ERR_SCHEMA, path, "must not be empty");
        if (t == T_NAME && len > RONDA_NAME_MAX)
            return fail(d, RONDA_ERR_TOO_BIG, path, "longer than RONDA_NAME_MAX (160 bytes)");
        if (t == T_TEXT && len > RONDA_TEXT_MAX)
            return fail(d, RONDA_ERR_TOO_BIG, path, "longer than RONDA_TEXT_MAX (4096 bytes)");
        if (t == T_TIME && !time_parse((const char *)p, len, NULL))
            return fail(d, RONDA_ERR_SCHEMA, path, "not a time YYYY-MM-DDTHH:MM:SS+HH:MM");
        if (t == T_ENUM || t == T_AKIND) {
            int i = enum_index(f->enums, p, len);
            if (i < 0) return fail(d, RONDA_ERR_SCHEMA, path, "not one of the allowed values");
            *(int *)slot = t == T_ENUM ? i : (int)ronda_kind_from_name((const char *)p, len);
        } else {
            ((ronda_text *)slot)->p = (const char *)p;
            ((ronda_text *)slot)->len = len;
        }
        return RONDA_OK;
    case T_UINT:
        if ((e = crd_uint(r, &v)) != RONDA_OK) return fail(d, e, path, "expected an unsigned integer");
        if (v < f->min || v > f->max) return fail(d, RONDA_ERR_SCHEMA, path, "out of range");
        if (v > (uint64_t)INT64_MAX) return fail(d, RONDA_ERR_SCHEMA, path, "out of range");
        ((ronda_uint *)slot)->v = v;
        ((ronda_uint *)slot)->set = 1;
        return RONDA_OK;
    case T_BIN32:
    case T_SIG64:
        if ((e = crd_bin(r, &p, &len)) != RONDA_OK) return fail(d, e, path, "expected bytes");
        if (len != (t == T_BIN32 ? 32u : 64u))
            return fail(d, RONDA_ERR_SCHEMA, path, t == T_BIN32 ? "expected 32 bytes" : "expected 64 bytes");
        *(const uint8_t **)slot = p;
        return RONDA_OK;
    default:
        return fail(d, RONDA_ERR_SCHEMA, path, "unexpected type");
    }
}

/* Room for one item of any list: a topic, a frontier entry or a scalar. */
typedef union list_item {
    ronda_topic topic;
    ronda_entry entry;
    ronda_text text;
} list_item;

/* The next item of list field f from r into *it (depth: the list's own). */
static ronda_err decode_item(crd *r, const field *f, unsigned depth, const char *path, list_item *it, ronda_detail *d) {
    memset(it, 0, sizeof *it);
    return f->elem == T_MAP ? decode_map(r, f->sub, depth - 1, path, it, d) : decode_scalar(r, f, f->elem, path, it, d);
}

static ronda_err decode_field(crd *r, const field *f, unsigned depth, const char *path, void *out, ronda_detail *d) {
    ronda_err e;
    if (f->type == T_MAP || f->type == T_LIST) {
        if (depth == 0) return fail(d, RONDA_ERR_TOO_BIG, path, "nested too deep");
    }
    if (f->type != T_LIST) return decode_scalar(r, f, f->type, path, AT(out, f, void), d);
    uint32_t n;
    if ((e = crd_array(r, &n)) != RONDA_OK) return fail(d, e, path, "expected a list");
    if (n > f->max)
        return fail(d, RONDA_ERR_TOO_BIG, path,
                    f->max == RONDA_LIST_MAX ? "more items than RONDA_LIST_MAX (64)"
                                             : "more entries than RONDA_CHECKPOINT_AUTHORS_MAX (512)");
    if (n < f->min) return fail(d, RONDA_ERR_SCHEMA, path, "too few items");
    ronda_list *l = AT(out, f, ronda_list);
    l->at = r->p;
    l->n = n;
    for (uint32_t i = 0; i < n; i++) {
        char sub[200];
        snprintf(sub, sizeof sub, "%s[%u]", path, i);
        list_item it;
        if ((e = decode_item(r, f, depth, sub, &it, d)) != RONDA_OK) return e;
    }
    l->len = (size_t)(r->p - l->at);
    return RONDA_OK;
}

/* Cross-field rules that a table cannot say. */
static ronda_err check_rules(const schema *s, const char *path, const void *o, ronda_detail *d) {
    if (s == &kind_schemas[RONDA_KIND_RESOLUTION]) {
        const ronda_resolution *x = o;
        if ((x->status == RONDA_STATUS_REFERRED) != (x->referred_to.len > 0))
            return fail(d, RONDA_ERR_SCHEMA, path, "referred_to is required when status is referred, and only then");
    } else if (s == &kind_schemas[RONDA_KIND_MEMBER]) {
        const ronda_member *x = o;
        if (x->valid_until.v <= x->valid_from.v)
            return fail(d, RONDA_ERR_SCHEMA, path, "valid_until must follow valid_from");
        if (x->role == RONDA_ROLE_PRECINCT && (!x->polres.len || !x->polsek.len))
            return fail(d, RONDA_ERR_SCHEMA, path, "a precinct member names its polres and polsek");
        if (x->role == RONDA_ROLE_HQ && !x->polres.len)
            return fail(d, RONDA_ERR_SCHEMA, path, "an hq member names its polres");
    } else if (s == &kind_schemas[RONDA_KIND_CHECKPOINT]) {
        const ronda_checkpoint *x = o;
        if (x->part.v >= x->parts.v) return fail(d, RONDA_ERR_SCHEMA, path, "part must be below parts");
        /* Entries ascend strictly by author: one entry per author, one order per frontier. */
        crd r = crd_make(x->frontier.at, x->frontier.len);
        const uint8_t *prev = NULL;
        for (uint32_t i = 0; i < x->frontier.n; i++) {
            list_item it;
            if (decode_item(&r, FRONTIER, RONDA_DEPTH_MAX, "", &it, NULL) != RONDA_OK) break;
            if (prev && memcmp(prev, it.entry.author, RONDA_KEY_BYTES) >= 0)
                return fail(d, RONDA_ERR_SCHEMA, path, "frontier entries must ascend strictly by author");
            prev = it.entry.author;
        }
    } else if (s == &kind_schemas[RONDA_KIND_REVOKE]) {
        const ronda_revoke *x = o;
        if ((x->last_seq.v > 0) != (x->last_id != NULL))
            return fail(d, RONDA_ERR_SCHEMA, path, "last_id is required when last_seq > 0, and only then");
    }
    return RONDA_OK;
}

static ronda_err decode_map(crd *r, const schema *s, unsigned depth, const char *path, void *out, ronda_detail *d) {
    uint32_t n;
    ronda_err e;
    const uint8_t *body_at = NULL;
    size_t body_len = 0;
    uint64_t seen = 0; /* bit j: field j was read (a table has at most 64 fields) */
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
        if (f->type == T_BODY) {
            /* Checked against its kind's schema once "kind", which sorts after it, is read. */
            body_at = r->p;
            if ((e = crd_skip(r, depth)) != RONDA_OK) return fail(d, e, sub, "malformed body");
            body_len = (size_t)(r->p - body_at);
        } else if ((e = decode_field(r, f, depth, sub, out, d)) != RONDA_OK) {
            return e;
        }
        seen |= (uint64_t)1 << j;
        next = j + 1;
    }
    for (size_t j = 0; j < s->n; j++)
        if (s->fields[j].required && !(seen >> j & 1)) {
            char what[200];
            snprintf(what, sizeof what, "missing required field \"%s\"", s->fields[j].key);
            return fail(d, RONDA_ERR_SCHEMA, path, what);
        }
    if (body_at) { /* an amend: its kind (T_AKIND) follows the body in the table */
        ronda_amend *a = out;
        crd br = crd_make(body_at, body_len);
        if ((e = decode_map(&br, &kind_schemas[a->kind], depth - 1, "body", &a->body, d)) != RONDA_OK) return e;
    }
    return check_rules(s, path, out, d);
}

ronda_err ronda_body_decode(ronda_kind kind, const uint8_t *body, size_t body_len, ronda_body *out, ronda_detail *d) {
    if (kind <= RONDA_KIND_NONE || kind >= RONDA_KIND__COUNT) return RONDA_ERR_KIND;
    if (body_len > RONDA_BODY_MAX) return fail(d, RONDA_ERR_TOO_BIG, "body", "larger than RONDA_BODY_MAX");
    memset(out, 0, sizeof *out);
    out->kind = kind;
    out->bytes = body;
    out->len = body_len;
    crd r = crd_make(body, body_len);
    ronda_err e = decode_map(&r, &kind_schemas[kind], RONDA_DEPTH_MAX, "", &out->u, d);
    if (e == RONDA_OK && crd_left(&r) != 0) e = fail(d, RONDA_ERR_MALFORMED, "body", "trailing bytes");
    return e;
}

/* The items of a decoded list: re-read from its bytes (they passed the schema already). */
static size_t list_items(const ronda_list *l, const field *f, void *out, size_t size, size_t max) {
    crd r = crd_make(l->at, l->len);
    size_t i = 0;
    for (; i < l->n && i < max; i++) {
        list_item it;
        if (decode_item(&r, f, RONDA_DEPTH_MAX, "", &it, NULL) != RONDA_OK) break;
        memcpy((char *)out + i * size, &it, size);
    }
    return i;
}

size_t ronda_body_topics(const ronda_list *l, ronda_topic *out, size_t max) {
    return list_items(l, TOPICS, out, sizeof *out, max);
}
size_t ronda_body_texts(const ronda_list *l, ronda_text *out, size_t max) {
    return list_items(l, TEXTS, out, sizeof *out, max); /* any list of texts or names */
}
size_t ronda_body_entries(const ronda_list *l, ronda_entry *out, size_t max) {
    return list_items(l, FRONTIER, out, sizeof *out, max);
}

static const char *enum_name(const char *const *values, int i) {
    for (int k = 0; values[k]; k++)
        if (k == i) return values[k];
    return NULL;
}
const char *ronda_programme_name(int v) { return enum_name(programmes, v); }
const char *ronda_category_name(int v) { return enum_name(categories, v); }
const char *ronda_status_name(int v) { return enum_name(statuses, v); }
const char *ronda_role_name(int v) { return enum_name(roles, v); }

int ronda_text_is(ronda_text t, const char *s) { return strlen(s) == t.len && memcmp(t.p, s, t.len) == 0; }

/* ---------------------------------------------------------------- to JSON (the edges) */

/* Whether an optional scalar is present in its slot (required ones always are). */
static int scalar_present(ftype t, const void *slot) {
    switch (t) {
    case T_NAME:
    case T_TEXT:
    case T_TIME:
        return ((const ronda_text *)slot)->len > 0;
    case T_UINT:
        return ((const ronda_uint *)slot)->set;
    case T_BIN32:
    case T_SIG64:
        return *(const uint8_t *const *)slot != NULL;
    default:
        return 1;
    }
}

/* A present scalar as JSON; NULL only when out of memory. */
static json_t *scalar_json(const field *f, ftype t, const void *slot) {
    char hex[129];
    switch (t) {
    case T_NAME:
    case T_TEXT:
    case T_TIME:
        return json_stringn(((const ronda_text *)slot)->p, ((const ronda_text *)slot)->len);
    case T_ENUM:
        return json_string(enum_name(f->enums, *(const int *)slot));
    case T_AKIND:
        return json_string(ronda_kind_name((ronda_kind) * (const int *)slot));
    case T_UINT:
        return json_integer((json_int_t)((const ronda_uint *)slot)->v);
    case T_BIN32:
    case T_SIG64:
        ronda_hex(*(const uint8_t *const *)slot, t == T_BIN32 ? 32 : 64, hex);
        return json_string(hex);
    default:
        return NULL;
    }
}

static ronda_err map_json(const schema *s, const void *o, json_t *out);

static ronda_err list_json(const field *f, const ronda_list *l, json_t **out) {
    json_t *arr = json_array();
    if (!arr) return RONDA_ERR_NOMEM;
    crd r = crd_make(l->at, l->len);
    for (uint32_t i = 0; i < l->n; i++) {
        list_item it;
        json_t *v = NULL;
        ronda_err e = decode_item(&r, f, RONDA_DEPTH_MAX, "", &it, NULL);
        if (e == RONDA_OK && f->elem == T_MAP) {
            if ((v = json_object()) == NULL || map_json(f->sub, &it, v) != RONDA_OK) e = RONDA_ERR_NOMEM;
        } else if (e == RONDA_OK && (v = scalar_json(f, f->elem, &it)) == NULL) {
            e = RONDA_ERR_NOMEM;
        }
        if (e != RONDA_OK || json_array_append_new(arr, v) != 0) {
            if (e == RONDA_OK) e = RONDA_ERR_NOMEM;
            json_decref(v);
            json_decref(arr);
            return e;
        }
    }
    *out = arr;
    return RONDA_OK;
}

/* The fields of a decoded struct as JSON, in the table's (the body's canonical) order. */
static ronda_err map_json(const schema *s, const void *o, json_t *out) {
    const ronda_amend *a = o;
    for (size_t j = 0; j < s->n; j++) {
        const field *f = &s->fields[j];
        json_t *v = NULL;
        ronda_err e = RONDA_OK;
        if (f->type == T_LIST) {
            if (!AT(o, f, const ronda_list)->at) continue; /* absent */
            e = list_json(f, AT(o, f, const ronda_list), &v);
        } else if (f->type == T_BODY) {
            if ((v = json_object()) == NULL || map_json(&kind_schemas[a->kind], &a->body, v) != RONDA_OK)
                e = RONDA_ERR_NOMEM;
        } else if (!scalar_present(f->type, AT(o, f, const void))) {
            continue;
        } else if ((v = scalar_json(f, f->type, AT(o, f, const void))) == NULL) {
            e = RONDA_ERR_NOMEM;
        }
        if (e != RONDA_OK || json_object_set_new(out, f->key, v) != 0) {
            if (e == RONDA_OK) e = RONDA_ERR_NOMEM;
            return e;
        }
    }
    return RONDA_OK;
}

ronda_err ronda_body_json(const ronda_body *b, json_t **out) {
    if (b->kind <= RONDA_KIND_NONE || b->kind >= RONDA_KIND__COUNT) return RONDA_ERR_KIND;
    json_t *o = json_object();
    if (!o) return RONDA_ERR_NOMEM;
    ronda_err e = map_json(&kind_schemas[b->kind], &b->u, o);
    if (e != RONDA_OK) {
        json_decref(o);
        return e;
    }
    *out = o;
    return RONDA_OK;
}

ronda_err ronda_body_to_json(ronda_kind kind, const uint8_t *body, size_t body_len, json_t **out, ronda_detail *d) {
    ronda_body b;
    ronda_err e = ronda_body_decode(kind, body, body_len, &b, d);
    if (e != RONDA_OK || out == NULL) return e;
    return ronda_body_json(&b, out);
}

/* ---------------------------------------------------------------- from the typed struct */

/* A present scalar in canonical form. An enum value out of range is written as "", which
 * the decoder (ronda_body_encode's last step) refuses. */
static void scalar_encode(cwr *w, const field *f, ftype t, const void *slot) {
    const char *name;
    switch (t) {
    case T_NAME:
    case T_TEXT:
    case T_TIME:
        cwr_str(w, ((const ronda_text *)slot)->p, ((const ronda_text *)slot)->len);
        return;
    case T_ENUM:
    case T_AKIND:
        name =
            t == T_ENUM ? enum_name(f->enums, *(const int *)slot) : ronda_kind_name((ronda_kind) * (const int *)slot);
        cwr_str(w, name ? name : "", name ? strlen(name) : 0);
        return;
    case T_UINT:
        cwr_uint(w, ((const ronda_uint *)slot)->v);
        return;
    case T_BIN32:
    case T_SIG64:
        cwr_bin(w, *(const uint8_t *const *)slot, t == T_BIN32 ? 32 : 64);
        return;
    default:
        return;
    }
}

static int field_present(const field *f, const void *o) {
    if (f->type == T_LIST) return AT(o, f, const ronda_list)->at != NULL;
    return f->type == T_BODY || scalar_present(f->type, AT(o, f, const void));
}

static void map_encode(cwr *w, const schema *s, const void *o);

/* One present field's value (not its key). */
static void field_encode(cwr *w, const field *f, const void *o) {
    const ronda_amend *a = o;
    if (f->type == T_LIST) {
        const ronda_list *l = AT(o, f, const ronda_list);
        cwr_array(w, l->n);
        cwr_raw(w, l->at, l->len); /* its n items, as decoded or built (ronda_body_entries_list) */
    } else if (f->type == T_BODY) {
        if (a->kind == RONDA_KIND_DIALOGUE || a->kind == RONDA_KIND_RESOLUTION)
            map_encode(w, &kind_schemas[a->kind], &a->body);
        else
            cwr_map(w, 0); /* refused by the decoder: an amend names what it amends */
    } else {
        scalar_encode(w, f, f->type, AT(o, f, const void));
    }
}

/* The present fields of a struct, in the table's (canonical) order: map_json's twin. */
static void map_encode(cwr *w, const schema *s, const void *o) {
    uint32_t count = 0;
    for (size_t j = 0; j < s->n; j++) count += (uint32_t)field_present(&s->fields[j], o);
    cwr_map(w, count);
    for (size_t j = 0; j < s->n; j++) {
        const field *f = &s->fields[j];
        if (!field_present(f, o)) continue;
        cwr_str(w, f->key, strlen(f->key));
        field_encode(w, f, o);
    }
}

ronda_err ronda_body_encode(const ronda_body *b, uint8_t **out, size_t *out_len, ronda_detail *d) {
    if (b->kind <= RONDA_KIND_NONE || b->kind >= RONDA_KIND__COUNT) return RONDA_ERR_KIND;
    cwr w;
    cwr_init(&w);
    map_encode(&w, &kind_schemas[b->kind], &b->u);
    uint8_t *buf = NULL;
    size_t len = 0;
    ronda_err e = cwr_take(&w, &buf, &len);
    cwr_destroy(&w);
    if (e != RONDA_OK) return e;
    ronda_body check; /* one validator: the bytes we made must pass the decoder every peer runs */
    if ((e = ronda_body_decode(b->kind, buf, len, &check, d)) != RONDA_OK) {
        free(buf);
        return e;
    }
    *out = buf;
    *out_len = len;
    return RONDA_OK;
}

ronda_err ronda_body_entries_list(const ronda_entry *entries, size_t n, uint8_t **bytes, ronda_list *out) {
    if (n > RONDA_CHECKPOINT_AUTHORS_MAX) return RONDA_ERR_TOO_BIG;
    cwr w;
    cwr_init(&w);
    for (size_t i = 0; i < n; i++) map_encode(&w, &entry_schema, &entries[i]);
    size_t len = 0;
    ronda_err e = cwr_take(&w, bytes, &len);
    cwr_destroy(&w);
    if (e != RONDA_OK) return e;
    out->at = *bytes;
    out->len = len;
    out->n = (uint32_t)n;
    return RONDA_OK;
}

/* One field's value in canonical form into a fresh writer; 0 when absent. */
static int field_bytes(const schema *sc, const void *o, const char *key, uint8_t **out, size_t *len) {
    for (size_t j = 0; j < sc->n; j++) {
        const field *f = &sc->fields[j];
        if (strcmp(f->key, key) != 0) continue;
        if (!field_present(f, o)) return 0;
        cwr w;
        cwr_init(&w);
        field_encode(&w, f, o);
        int ok = cwr_take(&w, out, len) == RONDA_OK;
        cwr_destroy(&w);
        return ok ? 1 : -1;
    }
    return 0;
}

/* 1 when the key's values differ (or one side lacks it); -1 when out of memory. */
static int field_differs(const ronda_body *a, const ronda_body *b, const char *key) {
    uint8_t *x = NULL, *y = NULL;
    size_t xl = 0, yl = 0;
    int ha = field_bytes(&kind_schemas[a->kind], &a->u, key, &x, &xl);
    int hb = field_bytes(&kind_schemas[b->kind], &b->u, key, &y, &yl);
    int d = ha < 0 || hb < 0 ? -1 : ha != hb || (ha && (xl != yl || memcmp(x, y, xl) != 0));
    free(x);
    free(y);
    return d;
}

ronda_err ronda_body_differences(const ronda_body *a, const ronda_body *b, const char **out, size_t max, size_t *n) {
    *n = 0;
    if (a->kind <= RONDA_KIND_NONE || a->kind >= RONDA_KIND__COUNT || b->kind <= RONDA_KIND_NONE ||
        b->kind >= RONDA_KIND__COUNT)
        return RONDA_ERR_KIND;
    const schema *sa = &kind_schemas[a->kind], *sb = &kind_schemas[b->kind];
    for (int side = 0; side < 2; side++) {
        const schema *sc = side ? sb : sa;
        const void *mine = side ? (const void *)&b->u : (const void *)&a->u;
        for (size_t j = 0; j < sc->n; j++) {
            const field *f = &sc->fields[j];
            if (!field_present(f, mine)) continue;
            if (side) { /* b's keys that a lacks (those a has were compared) */
                uint8_t *x = NULL;
                size_t xl = 0;
                int ha = field_bytes(sa, &a->u, f->key, &x, &xl);
                free(x);
                if (ha < 0) return RONDA_ERR_NOMEM;
                if (ha) continue;
            } else {
                int d = field_differs(a, b, f->key);
                if (d < 0) return RONDA_ERR_NOMEM;
                if (!d) continue;
            }
            if (*n < max) out[(*n)++] = f->key;
        }
    }
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
    case T_AKIND:
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
