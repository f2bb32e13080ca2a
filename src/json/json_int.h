/* What the writers of src/json/ share: values as JSON, and the fields every dialogue row
 * carries. Private to src/json/. */
#ifndef RONDA_JSON_INT_H
#define RONDA_JSON_INT_H

#include <stdlib.h>

#include "ronda/json.h"

/* Bytes as a lower-case hex string (NULL when out of memory). */
static inline json_t *jx_hex(const uint8_t *b, size_t n) {
    char small[2 * RONDA_SIG_BYTES + 1], *h = 2 * n + 1 <= sizeof small ? small : malloc(2 * n + 1);
    if (!h) return NULL;
    ronda_hex(b, n, h);
    json_t *j = json_string(h);
    if (h != small) free(h);
    return j;
}

/* A text, or null when there is none (NULL). */
static inline json_t *jx_text(const char *s) { return s ? json_string(s) : json_null(); }

/* A name held in a buffer, or null when it is empty. */
static inline json_t *jx_name(const char *s) { return s[0] ? json_string(s) : json_null(); }

/* A dialogue's id (under `id_key`), Polres, Polsek, programme, title and time, as every row
 * of a dialogue list gives them. */
static inline void jx_dialogue_head(json_t *o, const char *id_key, const uint8_t id[RONDA_ID_BYTES], const char *polres,
                                    const char *polsek, const char *programme, const char *title, const char *when) {
    json_object_set_new(o, id_key, jx_hex(id, RONDA_ID_BYTES));
    json_object_set_new(o, "polres", jx_text(polres));
    json_object_set_new(o, "polsek", jx_text(polsek));
    json_object_set_new(o, "programme", jx_text(programme));
    json_object_set_new(o, "title", jx_text(title));
    json_object_set_new(o, "when", jx_text(when));
}

/* A topic with its current follow-up, as the follow-up lists, queries and the dialogue page
 * give it. */
static inline void jx_topic_status(json_t *o, int64_t topic, const char *category, const char *summary,
                                   const char *status, const char *referred_to, const char *action,
                                   const char *status_when) {
    json_object_set_new(o, "topic", json_integer(topic));
    json_object_set_new(o, "category", jx_text(category));
    json_object_set_new(o, "summary", jx_text(summary));
    json_object_set_new(o, "status", jx_text(status));
    json_object_set_new(o, "referred_to", jx_text(referred_to));
    json_object_set_new(o, "action", jx_text(action));
    json_object_set_new(o, "status_when", jx_text(status_when));
}

#endif
