/* Findings in plain words as JSON (include/ronda/json.h): the finding context and a fork's
 * two versions of include/ronda/audit.h, written out for `ronda audit --json`, its report
 * and the dashboard. */
#include <string.h>

#include "json/json_int.h"

static json_t *dialogue_json(const ronda_dialogue_ref *d) {
    if (!d) return json_null();
    json_t *o = json_object();
    if (!o) return NULL;
    json_object_set_new(o, "id", jx_hex(d->id, RONDA_ID_BYTES));
    json_object_set_new(o, "title", jx_text(d->title));
    json_object_set_new(o, "programme", jx_text(d->programme));
    json_object_set_new(o, "polres", jx_text(d->polres));
    json_object_set_new(o, "polsek", jx_text(d->polsek));
    json_object_set_new(o, "when", jx_text(d->when));
    json_object_set_new(o, "from", jx_text(d->from));
    return o;
}

/* author_name and, for a member, author_polres, author_polsek and author_role. */
static void signer_json(const ronda_signer_ref *r, json_t *into) {
    json_object_set_new(into, "author_name", jx_text(r->name));
    if (r->kind != 2) return;
    json_object_set_new(into, "author_polres", jx_text(r->polres));
    json_object_set_new(into, "author_polsek", jx_text(r->polsek));
    json_object_set_new(into, "author_role", jx_text(r->role));
}

/* What the views say, into o (nothing when they do not know it). */
static void views_json(const ronda_views_said *v, json_t *o) {
    if (!v->known) return;
    json_object_set_new(o, "kind", json_string(v->kind));
    if (strcmp(v->kind, "resolution") == 0) {
        json_object_set_new(o, "topic", v->has_topic ? json_integer(v->topic) : json_null());
        json_object_set_new(o, "status", jx_text(v->status));
        json_object_set_new(o, "referred_to", jx_text(v->referred_to));
        json_object_set_new(o, "action", jx_text(v->action));
        json_object_set_new(o, "when", jx_text(v->when));
    } else if (strcmp(v->kind, "amend") == 0) {
        json_object_set_new(o, "reason", jx_text(v->reason));
    }
    if (v->has_dialogue) json_object_set_new(o, "dialogue", dialogue_json(v->dialogue));
    json_object_set_new(o, "from", json_string("views"));
}

static json_t *missing_json(const ronda_missing_record *x) {
    json_t *o = json_object(), *named = json_array();
    if (!o || !named) {
        json_decref(o);
        json_decref(named);
        return NULL;
    }
    json_object_set_new(o, "seq", json_integer((json_int_t)x->seq));
    json_object_set_new(o, "id", x->has_id ? jx_hex(x->id, RONDA_ID_BYTES) : json_null());
    json_object_set_new(o, "kind", json_null());
    json_object_set_new(o, "dialogue", json_null());
    views_json(&x->views, o);
    if (x->kind) json_object_set_new(o, "kind", json_string(x->kind));
    if (x->followed_up_by > 0) json_object_set_new(o, "followed_up_by", json_integer(x->followed_up_by));
    if (x->has_fork_evidence) json_object_set_new(o, "fork_evidence", jx_hex(x->fork_evidence, RONDA_ID_BYTES));
    for (size_t i = 0; i < x->n_named_by; i++) json_array_append_new(named, json_string(x->named_by[i]));
    json_object_set_new(o, "named_by", named);
    return o;
}

static json_t *version_json(const ronda_record *rec, const char *held) {
    json_t *o = json_object();
    if (!o) return NULL;
    json_object_set_new(o, "id", jx_hex(rec->id, RONDA_ID_BYTES));
    json_object_set_new(o, "held", json_string(held));
    json_object_set_new(o, "kind", json_string(ronda_kind_name(rec->kind)));
    json_object_set_new(o, "seq", json_integer((json_int_t)rec->seq));
    json_object_set_new(o, "hlc_ms", json_integer((json_int_t)ronda_hlc_ms(rec->hlc)));
    json_object_set_new(o, "prev", rec->has_prev ? jx_hex(rec->prev, RONDA_ID_BYTES) : json_null());
    json_object_set_new(o, "signature", jx_hex(rec->signature, RONDA_SIG_BYTES));
    json_object_set_new(o, "verified", json_true());
    json_t *body = NULL;
    if (!rec->body || rec->typed.kind != rec->kind || ronda_body_json(&rec->typed, &body) != RONDA_OK) body = NULL;
    json_object_set_new(o, "body", body ? body : json_null());
    return o;
}

json_t *ronda_fork_versions_json(const ronda_fork_versions *v) {
    json_t *o = json_object(), *vs = json_array(), *diff = json_array();
    if (!o || !vs || !diff) {
        json_decref(o);
        json_decref(vs);
        json_decref(diff);
        return NULL;
    }
    json_object_set_new(o, "author", jx_hex(v->author, RONDA_KEY_BYTES));
    signer_json(&v->signer, o);
    json_object_set_new(o, "seq", json_integer((json_int_t)v->seq));
    json_object_set_new(o, "asked", jx_hex(v->asked, RONDA_ID_BYTES));
    json_array_append_new(vs, version_json(&v->versions[0], "ledger"));
    json_array_append_new(vs, version_json(&v->versions[1], "fork evidence"));
    json_object_set_new(o, "versions", vs);
    for (size_t i = 0; i < v->n_differences; i++) json_array_append_new(diff, json_string(v->differences[i]));
    json_object_set_new(o, "differences", diff);
    json_object_set_new(o, "dialogue", dialogue_json(v->dialogue));
    return o;
}

json_t *ronda_finding_context_json(const ronda_finding_context *c) {
    json_t *o = json_object();
    if (!o) return NULL;
    if (c->has_author) {
        json_t *who = json_object();
        json_object_set_new(who, "key", jx_hex(c->author, RONDA_KEY_BYTES));
        signer_json(&c->author_ref, who);
        json_object_set_new(o, "author", who);
    }
    if (c->record == 1) {
        json_t *r = json_object();
        json_object_set_new(r, "kind", json_string(ronda_kind_name(c->kind)));
        json_object_set_new(r, "seq", json_integer((json_int_t)c->seq));
        json_object_set_new(r, "held", json_string(c->held));
        json_object_set_new(r, "id", jx_hex(c->id, RONDA_ID_BYTES));
        json_object_set_new(r, "hlc_ms", json_integer((json_int_t)c->hlc_ms));
        if (c->has_followup) {
            json_object_set_new(r, "topic", json_integer(c->topic));
            json_object_set_new(r, "status", jx_text(c->status));
            json_object_set_new(r, "action", jx_text(c->action));
        }
        json_object_set_new(o, "record", r);
    } else if (c->record == 2) {
        json_t *r = json_object();
        json_object_set_new(r, "id", jx_hex(c->id, RONDA_ID_BYTES));
        json_object_set_new(r, "seq", json_integer((json_int_t)c->seq));
        views_json(&c->record_views, r);
        json_object_set_new(o, "record", r);
    }
    if (c->dialogue) json_object_set_new(o, "dialogue", dialogue_json(c->dialogue));
    if (c->has_missing) {
        json_t *arr = json_array();
        for (size_t i = 0; arr && i < c->nmissing; i++) json_array_append_new(arr, missing_json(&c->missing[i]));
        json_object_set_new(o, "missing", arr);
        json_object_set_new(o, "missing_count", json_integer((json_int_t)c->missing_count));
    }
    if (c->has_names_missing) {
        json_t *m = json_object();
        json_object_set_new(m, "id", jx_hex(c->names_missing, RONDA_ID_BYTES));
        if (c->names_missing_views.known)
            views_json(&c->names_missing_views, m);
        else
            json_object_set_new(m, "kind", json_null());
        json_object_set_new(o, "names_missing", m);
    }
    if (c->fork) json_object_set_new(o, "fork", ronda_fork_versions_json(c->fork));
    return o;
}

ronda_err ronda_store_finding_context(ronda_store *s, const ronda_finding *f, json_t **out) {
    ronda_finding_context c;
    ronda_err e = ronda_store_explain(s, f, &c);
    if (e != RONDA_OK) return e;
    json_t *o = ronda_finding_context_json(&c);
    ronda_finding_context_free(&c);
    if (!o) return RONDA_ERR_NOMEM;
    *out = o;
    return RONDA_OK;
}

ronda_err ronda_store_fork_versions(ronda_store *s, const uint8_t id[RONDA_ID_BYTES], json_t **out) {
    ronda_fork_versions v;
    ronda_err e = ronda_store_fork(s, id, &v);
    if (e != RONDA_OK) return e;
    json_t *o = ronda_fork_versions_json(&v);
    ronda_fork_versions_free(&v);
    if (!o) return RONDA_ERR_NOMEM;
    *out = o;
    return RONDA_OK;
}
