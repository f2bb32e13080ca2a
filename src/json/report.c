/* The HQ reports as JSON (include/ronda/json.h): the typed results of include/ronda/report.h
 * rendered for `ronda report --json`, the lists and the HTTP API. Nothing here reads the
 * database: the store builds the results, this layer only writes them out. */
#include <string.h>

#include "json/json_int.h"
#include "ronda/report.h"

/* One group; `by` is (ronda_report_by)-1 for the total, which has no key. */
static json_t *group_json(const ronda_report_group *g, ronda_report_by by) {
    json_t *o = json_object();
    if (!o) return NULL;
    if (by == RONDA_REPORT_BY_POLSEK) {
        json_object_set_new(o, "polres", json_string(g->polres ? g->polres : ""));
        json_object_set_new(o, "polsek", json_string(g->key));
    } else if (by != (ronda_report_by)-1) {
        json_object_set_new(o, ronda_report_by_name(by), json_string(g->key));
    }
    json_object_set_new(o, "dialogues", json_integer((json_int_t)g->dialogues));
    json_object_set_new(o, "participants", json_integer((json_int_t)g->participants));
    json_object_set_new(o, "topics", json_integer((json_int_t)g->topics));
    json_t *cats = json_object();
    for (int i = 0; i < (int)RONDA_CATEGORY_COUNT; i++)
        if (g->categories[i])
            json_object_set_new(cats, ronda_category_name(i), json_integer((json_int_t)g->categories[i]));
    json_object_set_new(o, "categories", cats);
    json_object_set_new(o, "followups",
                        json_pack("{s:I, s:I, s:I, s:I}", "open", (json_int_t)g->open, "in_progress",
                                  (json_int_t)g->in_progress, "referred", (json_int_t)g->referred, "resolved",
                                  (json_int_t)g->resolved));
    json_t *to = json_object();
    for (size_t i = 0; i < g->n_referred_to; i++)
        json_object_set_new(to, g->referred_to[i].name, json_integer((json_int_t)g->referred_to[i].n));
    json_object_set_new(o, "referred_to", to);
    json_object_set_new(o, "median_days_to_resolution", g->has_median ? json_real(g->median_days) : json_null());
    json_object_set_new(o, "overdue", json_integer((json_int_t)g->overdue));
    return o;
}

ronda_err ronda_store_report(ronda_store *s, const ronda_filter *f, ronda_report_by by, unsigned overdue_days,
                             int64_t now_ms, json_t **out) {
    ronda_report r;
    ronda_err e = ronda_report_build(s, f, by, overdue_days, now_ms, &r);
    if (e != RONDA_OK) return e;
    json_t *o = json_object(), *arr = json_array();
    for (size_t i = 0; o && arr && i < r.n_groups; i++) json_array_append_new(arr, group_json(&r.groups[i], by));
    json_object_set_new(o, "by", json_string(ronda_report_by_name(by)));
    json_object_set_new(o, "overdue_days", json_integer(overdue_days));
    json_object_set_new(o, "groups", arr);
    json_object_set_new(o, "total", group_json(&r.total, (ronda_report_by)-1));
    ronda_report_free(&r);
    if (!o) return RONDA_ERR_NOMEM;
    *out = o;
    return RONDA_OK;
}

/* ---- lists: the rows into "items" */

typedef struct items {
    json_t *arr;
    int nomem;
} items;

static int push(items *it, json_t *o) {
    if (!o || json_array_append_new(it->arr, o) != 0) {
        it->nomem = 1;
        return 1; /* stop */
    }
    return 0;
}

static ronda_err page(items *it, ronda_err e, int more, json_t **out) {
    if (e == RONDA_OK && it->nomem) e = RONDA_ERR_NOMEM;
    if (e != RONDA_OK) {
        json_decref(it->arr);
        return e;
    }
    *out = json_pack("{s:o, s:b}", "items", it->arr, "more", more);
    return *out ? RONDA_OK : RONDA_ERR_NOMEM;
}

static int dialogue_item(void *ctx, const ronda_dialogue_row *r) {
    json_t *o = json_object();
    if (o) {
        jx_dialogue_head(o, "id", r->id, r->polres, r->polsek, r->programme, r->title, r->when);
        json_object_set_new(o, "when_ms", json_integer(r->when_ms));
        json_object_set_new(o, "village", jx_text(r->village));
        json_object_set_new(o, "venue", jx_text(r->venue));
        json_object_set_new(o, "participants", r->has_participants ? json_integer(r->participants) : json_null());
        json_object_set_new(o, "amendments", json_integer(r->amendments));
        json_object_set_new(o, "topics", json_integer(r->topics));
        json_object_set_new(o, "open", json_integer(r->open));
    }
    return push(ctx, o);
}

ronda_err ronda_store_dialogues(ronda_store *s, const ronda_filter *f, unsigned offset, unsigned limit, json_t **out) {
    items it = {json_array(), 0};
    if (!it.arr) return RONDA_ERR_NOMEM;
    int more = 0;
    ronda_err e = ronda_store_dialogue_rows(s, f, offset, limit, dialogue_item, &it, &more);
    return page(&it, e, more, out);
}

static int followup_item(void *ctx, const ronda_followup_row *r) {
    json_t *o = json_object();
    if (o) {
        jx_dialogue_head(o, "dialogue", r->dialogue, r->polres, r->polsek, r->programme, r->title, r->when);
        json_object_set_new(o, "when_ms", json_integer(r->when_ms));
        jx_topic_status(o, r->topic, r->category, r->summary, r->status, r->referred_to, r->action, r->status_when);
        json_object_set_new(o, "days_since", json_integer(r->days_since));
    }
    return push(ctx, o);
}

ronda_err ronda_store_followups(ronda_store *s, const ronda_filter *f, const char *state, unsigned overdue_days,
                                int64_t now_ms, unsigned offset, unsigned limit, json_t **out) {
    items it = {json_array(), 0};
    if (!it.arr) return RONDA_ERR_NOMEM;
    int more = 0;
    ronda_err e =
        ronda_store_followup_rows(s, f, state, overdue_days, now_ms, offset, limit, followup_item, &it, &more);
    return page(&it, e, more, out);
}

/* ---- the network page */

static json_t *key_or_null(const uint8_t *k, int has) { return has ? jx_hex(k, RONDA_ID_BYTES) : json_null(); }

ronda_err ronda_store_network(ronda_store *s, json_t **out) {
    ronda_network n;
    ronda_err e = ronda_store_network_view(s, &n);
    if (e != RONDA_OK) return e;
    json_t *o = json_object(), *members = json_array(), *revs = json_array(), *forks = json_array(),
           *frozen = json_array();
    for (size_t i = 0; members && i < n.nmembers; i++) {
        const ronda_network_member *x = &n.members[i];
        json_t *m = json_object();
        json_object_set_new(m, "key", key_or_null(x->key, x->has_key));
        json_object_set_new(m, "name", jx_text(x->name));
        json_object_set_new(m, "polres", jx_text(x->polres));
        json_object_set_new(m, "polsek", jx_text(x->polsek));
        json_object_set_new(m, "role", jx_text(x->role));
        json_object_set_new(m, "endpoint", jx_text(x->endpoint));
        json_object_set_new(m, "valid_from", json_integer(x->valid_from));
        json_object_set_new(m, "valid_until", json_integer(x->valid_until));
        json_object_set_new(m, "revoked", json_boolean(x->revoked));
        json_object_set_new(m, "forked_at", x->forked_at ? json_integer(x->forked_at) : json_null());
        json_object_set_new(m, "records", json_integer(x->records));
        json_object_set_new(m, "last_record_ms",
                            x->has_last_record ? json_integer((json_int_t)x->last_record_ms) : json_null());
        json_array_append_new(members, m);
    }
    for (size_t i = 0; revs && i < n.nrevocations; i++) {
        const ronda_network_revocation *x = &n.revocations[i];
        json_t *r = json_object();
        json_object_set_new(r, "member", key_or_null(x->member, x->has_member));
        json_object_set_new(r, "last_seq", json_integer(x->last_seq));
        json_object_set_new(r, "reason", jx_text(x->reason));
        json_object_set_new(r, "name", jx_text(x->name));
        json_array_append_new(revs, r);
    }
    for (size_t i = 0; forks && i < n.nforks; i++) {
        const ronda_network_fork *x = &n.forks[i];
        json_t *f = json_object();
        json_object_set_new(f, "id", key_or_null(x->id, x->has_id));
        json_object_set_new(f, "author", key_or_null(x->author, x->has_author));
        json_object_set_new(f, "seq", json_integer(x->seq));
        json_object_set_new(f, "kind", jx_text(x->kind));
        json_object_set_new(f, "other", key_or_null(x->other, x->has_other));
        json_object_set_new(f, "hlc_ms", json_integer((json_int_t)x->hlc_ms));
        json_object_set_new(f, "author_name", jx_text(x->author_name));
        json_array_append_new(forks, f);
    }
    for (size_t i = 0; frozen && i < n.nfrozen; i++) {
        const ronda_network_frozen *x = &n.frozen[i];
        json_t *f = json_object();
        json_object_set_new(f, "author", key_or_null(x->author, x->has_author));
        json_object_set_new(f, "fork_seq", json_integer(x->fork_seq));
        json_object_set_new(f, "frozen_at", json_integer(x->fork_seq - 1));
        json_object_set_new(f, "name", jx_text(x->name));
        json_array_append_new(frozen, f);
    }
    json_object_set_new(o, "frozen", frozen);
    char hex[2 * RONDA_HASH_BYTES + 1];
    ronda_hex(n.digest, sizeof n.digest, hex);
    json_object_set_new(o, "digest", json_string(hex));
    json_object_set_new(o, "authors", json_integer((json_int_t)n.authors));
    json_object_set_new(o, "node", jx_hex(n.node, RONDA_ID_BYTES));
    json_object_set_new(o, "members", members);
    json_object_set_new(o, "revocations", revs);
    json_object_set_new(o, "forks", forks);
    json_object_set_new(o, "fork_count", json_integer(n.fork_count));
    ronda_network_free(&n);
    if (!o || !members || !revs || !forks || !frozen) {
        json_decref(o);
        return RONDA_ERR_NOMEM;
    }
    *out = o;
    return RONDA_OK;
}
