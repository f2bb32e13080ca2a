/* A dialogue's history as JSON (include/ronda/json.h), from ronda_store_history_events. */
#include <string.h>

#include "json/json_int.h"

typedef struct hist {
    json_t *events;
    int all, nomem;
} hist;

static int each(void *ctx, const ronda_history_event *ev) {
    hist *h = ctx;
    json_t *o = json_object(), *sg = json_object(), *body = NULL;
    if (!o || !sg) {
        json_decref(o);
        json_decref(sg);
        h->nomem = 1;
        return 1;
    }
    json_object_set_new(o, "id", jx_hex(ev->id, RONDA_ID_BYTES));
    json_object_set_new(o, "kind", json_string(ronda_kind_name(ev->kind)));
    json_object_set_new(o, "author", jx_hex(ev->author, RONDA_KEY_BYTES));
    ronda_signer_json(&ev->signer, sg);
    json_object_set_new(o, "signer", sg);
    json_object_set_new(o, "seq", json_integer((json_int_t)ev->seq));
    json_object_set_new(o, "hlc", json_integer((json_int_t)ev->hlc));
    json_object_set_new(o, "signed_ms", json_integer((json_int_t)ev->signed_ms));
    json_object_set_new(o, "verified", json_boolean(ev->verified));
    if (ev->problem) json_object_set_new(o, "problem", json_string(ev->problem));
    if (!ev->body || ronda_body_json(ev->body, &body) != RONDA_OK) body = json_null();
    json_object_set_new(o, "body", body);
    h->all &= ev->verified;
    if (json_array_append_new(h->events, o) != 0) {
        h->nomem = 1;
        return 1;
    }
    return 0;
}

ronda_err ronda_store_history(ronda_store *s, const uint8_t id[RONDA_ID_BYTES], json_t **out) {
    hist h = {json_array(), 1, 0};
    if (!h.events) return RONDA_ERR_NOMEM;
    uint8_t dlg[RONDA_ID_BYTES];
    ronda_err e = ronda_store_history_events(s, id, dlg, each, &h);
    if (e == RONDA_OK && h.nomem) e = RONDA_ERR_NOMEM;
    if (e != RONDA_OK) {
        json_decref(h.events);
        return e;
    }
    *out = json_pack("{s:o, s:b, s:o}", "dialogue", jx_hex(dlg, RONDA_ID_BYTES), "verified", h.all, "events", h.events);
    return *out ? RONDA_OK : RONDA_ERR_NOMEM;
}
