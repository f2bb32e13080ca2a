/* The chains and their signers as JSON (include/ronda/json.h), from ronda_chain_info. */
#include <string.h>

#include "json/json_int.h"

void ronda_signer_json(const ronda_chain_info *c, json_t *o) {
    const char *role = c->authority ? "authority" : ronda_role_name(c->role);
    json_object_set_new(o, "name", c->authority ? json_string("authority") : c->known ? jx_name(c->name) : json_null());
    json_object_set_new(o, "role", role ? json_string(role) : json_null());
    json_object_set_new(o, "polres", c->known ? jx_name(c->polres) : json_null());
    json_object_set_new(o, "polsek", c->known ? jx_name(c->polsek) : json_null());
    json_object_set_new(o, "revoked", json_boolean(c->revoked));
    json_object_set_new(o, "forked_at", c->forked_at ? json_integer((json_int_t)c->forked_at) : json_null());
}

json_t *ronda_chain_json(const ronda_chain_info *c, int with_findings) {
    json_t *o = json_object(), *k = json_object();
    if (!o || !k) {
        json_decref(o);
        json_decref(k);
        return NULL;
    }
    char hex[2 * RONDA_KEY_BYTES + 1];
    ronda_hex(c->author, RONDA_KEY_BYTES, hex);
    json_object_set_new(o, "author", json_string(hex));
    ronda_signer_json(c, o);
    json_object_set_new(o, "records", json_integer((json_int_t)c->records));
    json_object_set_new(o, "first_seq", json_integer((json_int_t)c->first_seq));
    json_object_set_new(o, "last_seq", json_integer((json_int_t)c->last_seq));
    json_object_set_new(o, "first_ms", json_integer((json_int_t)c->first_ms));
    json_object_set_new(o, "last_ms", json_integer((json_int_t)c->last_ms));
    static const ronda_kind order[] = {RONDA_KIND_DIALOGUE,   RONDA_KIND_RESOLUTION, RONDA_KIND_AMEND,
                                       RONDA_KIND_CHECKPOINT, RONDA_KIND_MEMBER,     RONDA_KIND_REVOKE,
                                       RONDA_KIND_COSIGN};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
        if (c->kinds[order[i]])
            json_object_set_new(k, ronda_kind_name(order[i]), json_integer((json_int_t)c->kinds[order[i]]));
    json_object_set_new(o, "kinds", k);
    if (with_findings) json_object_set_new(o, "findings", json_integer((json_int_t)c->findings));
    return o;
}

typedef struct walk {
    int (*cb)(void *, json_t *);
    void *ctx;
    int nomem;
} walk;

static int each(void *ctx, const ronda_chain_info *c) {
    walk *w = ctx;
    json_t *o = ronda_chain_json(c, 0);
    if (!o) {
        w->nomem = 1;
        return 1;
    }
    int stop = w->cb(w->ctx, o);
    json_decref(o);
    return stop;
}

ronda_err ronda_store_chains(ronda_store *s, int (*cb)(void *, json_t *), void *ctx) {
    walk w = {cb, ctx, 0};
    ronda_err e = ronda_store_chain_rows(s, each, &w);
    return e == RONDA_OK && w.nomem ? RONDA_ERR_NOMEM : e;
}
