/* Records, query rows, members and the dialogue page as JSON (include/ronda/json.h), from the
 * typed views of include/ronda/store.h and report.h. */
#include <stdlib.h>
#include <string.h>

#include "json/json_int.h"

json_t *ronda_record_view_json(const ronda_record_view *v) {
    json_t *o = json_object();
    if (!o) return NULL;
    const ronda_record *rec = &v->rec;
    json_object_set_new(o, "id", jx_hex(v->id, RONDA_ID_BYTES));
    json_object_set_new(o, "fork_evidence", json_boolean(v->fork_evidence));
    json_object_set_new(o, "verified", json_boolean(v->error == RONDA_OK));
    if (v->error != RONDA_OK) {
        json_object_set_new(o, "error", json_string(ronda_errname(v->error)));
        json_object_set_new(o, "detail", json_string(v->detail.text));
        return o;
    }
    json_object_set_new(o, "author", jx_hex(rec->author, RONDA_KEY_BYTES));
    json_object_set_new(o, "author_name", v->has_author_name ? json_string(v->author_name) : json_null());
    json_object_set_new(o, "seq", json_integer((json_int_t)rec->seq));
    if (v->forked_at) {
        json_object_set_new(o, "author_forked_at", json_integer((json_int_t)v->forked_at));
        json_object_set_new(o, "frozen", json_boolean(v->frozen));
    }
    json_object_set_new(o, "prev", rec->has_prev ? jx_hex(rec->prev, RONDA_ID_BYTES) : json_null());
    json_object_set_new(o, "hlc", json_integer((json_int_t)rec->hlc));
    json_object_set_new(o, "hlc_ms", json_integer((json_int_t)ronda_hlc_ms(rec->hlc)));
    json_object_set_new(o, "kind", json_string(ronda_kind_name(rec->kind)));
    json_object_set_new(o, "body_hash", jx_hex(rec->body_hash, RONDA_HASH_BYTES));
    json_object_set_new(o, "signature", jx_hex(rec->signature, RONDA_SIG_BYTES));
    json_t *bj = NULL;
    if (rec->body && ronda_body_json(&rec->typed, &bj) != RONDA_OK) bj = NULL;
    json_object_set_new(o, "redacted", json_boolean(rec->body == NULL));
    json_object_set_new(o, "body", bj ? bj : json_null());
    if (!v->has_view) return o;
    json_t *view = json_object(), *res = json_array();
    for (size_t i = 0; view && res && i < v->nresolutions; i++) {
        const ronda_resolution_row *r = &v->resolutions[i];
        json_t *x = json_object();
        json_object_set_new(x, "id", jx_hex(r->id, RONDA_ID_BYTES));
        json_object_set_new(x, "topic", json_integer(r->topic));
        json_object_set_new(x, "status", jx_text(r->status));
        json_object_set_new(x, "referred_to", jx_text(r->referred_to));
        json_object_set_new(x, "action", jx_text(r->action));
        json_object_set_new(x, "when", jx_text(r->when));
        json_object_set_new(x, "author_name", r->has_author_name ? json_string(r->author_name) : json_null());
        json_array_append_new(res, x);
    }
    json_object_set_new(view, "resolutions", res);
    if (v->has_current) {
        json_t *cur = NULL;
        if (ronda_body_json(&v->current, &cur) != RONDA_OK) cur = NULL;
        json_object_set_new(view, "current", cur ? cur : json_null());
        json_object_set_new(view, "amendments", json_integer(v->amendments));
    }
    json_object_set_new(o, "view", view);
    return o;
}

ronda_err ronda_store_show(ronda_store *s, const uint8_t id[RONDA_ID_BYTES], json_t **out) {
    ronda_record_view v;
    ronda_err e = ronda_store_record_view(s, id, &v);
    if (e != RONDA_OK) return e;
    json_t *o = ronda_record_view_json(&v);
    ronda_record_view_free(&v);
    if (!o) return RONDA_ERR_NOMEM;
    *out = o;
    return RONDA_OK;
}

/* ---- query rows */

typedef struct rows {
    int (*cb)(void *, json_t *);
    void *ctx;
    int nomem;
} rows;

static int query_row(void *ctx, const ronda_query_row *r) {
    rows *w = ctx;
    json_t *o = json_object();
    if (!o) {
        w->nomem = 1;
        return 1;
    }
    jx_dialogue_head(o, "dialogue", r->dialogue, r->polres, r->polsek, r->programme, r->title, r->when);
    json_object_set_new(o, "village", jx_text(r->village));
    json_object_set_new(o, "venue", jx_text(r->venue));
    json_object_set_new(o, "participants", r->has_participants ? json_integer(r->participants) : json_null());
    jx_topic_status(o, r->topic, r->category, r->summary, r->status, r->referred_to, r->action, r->status_when);
    json_object_set_new(o, "resolution", r->has_resolution ? jx_hex(r->resolution, RONDA_ID_BYTES) : json_null());
    int stop = w->cb(w->ctx, o);
    json_decref(o);
    return stop;
}

ronda_err ronda_store_query(ronda_store *s, const ronda_query *q, int (*cb)(void *, json_t *), void *ctx) {
    rows w = {cb, ctx, 0};
    ronda_err e = ronda_store_query_rows(s, q, query_row, &w);
    return e == RONDA_OK && w.nomem ? RONDA_ERR_NOMEM : e;
}

/* ---- members */

ronda_err ronda_store_member(ronda_store *s, const uint8_t key[RONDA_KEY_BYTES], json_t **out) {
    ronda_member_info m;
    ronda_err e = ronda_store_member_info(s, key, &m);
    if (e != RONDA_OK) return e;
    json_t *o = json_object();
    if (!o) return RONDA_ERR_NOMEM;
    json_object_set_new(o, "name", m.name[0] ? json_string(m.name) : json_null());
    json_object_set_new(o, "polres", m.polres[0] ? json_string(m.polres) : json_null());
    json_object_set_new(o, "polsek", m.polsek[0] ? json_string(m.polsek) : json_null());
    json_object_set_new(o, "role", ronda_role_name(m.role) ? json_string(ronda_role_name(m.role)) : json_null());
    json_object_set_new(o, "endpoint", m.endpoint[0] ? json_string(m.endpoint) : json_null());
    json_object_set_new(o, "valid_from", json_integer((json_int_t)m.valid_from));
    json_object_set_new(o, "valid_until", json_integer((json_int_t)m.valid_until));
    json_object_set_new(o, "curve_key", m.has_curve_key ? jx_hex(m.curve_key, RONDA_KEY_BYTES) : json_null());
    json_object_set_new(o, "revoked", json_boolean(m.revoked));
    *out = o;
    return RONDA_OK;
}

/* ---- one dialogue for its page */

/* Whether a held record verifies now (signature, hash, form), and who wrote it. */
static void record_check(ronda_store *s, const uint8_t id[RONDA_ID_BYTES], json_t *into) {
    ronda_record_view v;
    if (ronda_store_record_view(s, id, &v) != RONDA_OK) {
        json_object_set_new(into, "verified", json_false());
        return;
    }
    json_object_set_new(into, "verified", json_boolean(v.error == RONDA_OK));
    if (v.error == RONDA_OK) {
        json_object_set_new(into, "author", jx_hex(v.rec.author, RONDA_KEY_BYTES));
        json_object_set_new(into, "author_name", v.has_author_name ? json_string(v.author_name) : json_null());
        json_object_set_new(into, "hlc_ms", json_integer((json_int_t)ronda_hlc_ms(v.rec.hlc)));
    }
    ronda_record_view_free(&v);
}

static int topic_item(void *ctx, const ronda_topic_row *r) {
    json_t *t = json_object();
    if (!t || json_array_append_new(ctx, t) != 0) return 1;
    jx_topic_status(t, r->topic, r->category, r->summary, r->status, r->referred_to, r->action, r->status_when);
    return 0;
}

typedef struct amends {
    json_t *arr;
    uint8_t (*ids)[RONDA_ID_BYTES];
    size_t n, cap;
    int nomem;
} amends;

static int amendment_item(void *ctx, const ronda_amendment_row *r) {
    amends *a = ctx;
    json_t *x = json_object();
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 8;
        uint8_t(*g)[RONDA_ID_BYTES] = realloc(a->ids, cap * sizeof *g);
        if (g) a->ids = g, a->cap = cap;
    }
    if (!x || a->n == a->cap || json_array_append_new(a->arr, x) != 0) {
        a->nomem = 1;
        return 1;
    }
    memcpy(a->ids[a->n++], r->id, RONDA_ID_BYTES);
    json_object_set_new(x, "id", jx_hex(r->id, RONDA_ID_BYTES));
    json_object_set_new(x, "reason", jx_text(r->reason));
    return 0;
}

ronda_err ronda_store_dialogue(ronda_store *s, const uint8_t id[RONDA_ID_BYTES], json_t **out) {
    ronda_record_view v;
    ronda_err e = ronda_store_record_view(s, id, &v);
    if (e != RONDA_OK) return e;
    /* Only a dialogue that verifies has a page; fork evidence and records written after a
     * revocation are in no view (no current body) and are shown by the network page. */
    if (v.error != RONDA_OK || v.rec.kind != RONDA_KIND_DIALOGUE || !v.has_current ||
        v.current.kind != RONDA_KIND_DIALOGUE) {
        ronda_record_view_free(&v);
        return RONDA_ERR_NOT_FOUND;
    }
    json_t *o = ronda_record_view_json(&v);
    json_t *topics = json_array();
    amends am = {json_array(), NULL, 0, 0, 0};
    if (!o || !topics || !am.arr) e = RONDA_ERR_NOMEM;
    /* Each topic of the current body with its current status. */
    if (e == RONDA_OK) e = ronda_store_topic_rows(s, id, topic_item, topics);
    /* Every amendment, and every resolution, with its signature status. */
    if (e == RONDA_OK) e = ronda_store_amendment_rows(s, id, amendment_item, &am);
    if (e == RONDA_OK && am.nomem) e = RONDA_ERR_NOMEM;
    if (e == RONDA_OK) {
        json_object_set_new(o, "topics", topics);
        json_t *res = json_object_get(json_object_get(o, "view"), "resolutions"); /* shared with the view */
        for (size_t i = 0; i < v.nresolutions; i++) record_check(s, v.resolutions[i].id, json_array_get(res, i));
        json_object_set(o, "resolutions", res);
        for (size_t i = 0; i < am.n; i++) record_check(s, am.ids[i], json_array_get(am.arr, i));
        json_object_set_new(o, "amendments", am.arr);
        topics = am.arr = NULL;
        *out = o;
        o = NULL;
    }
    json_decref(o);
    json_decref(topics);
    json_decref(am.arr);
    free(am.ids);
    ronda_record_view_free(&v);
    return e;
}
