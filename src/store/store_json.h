/* The store's JSON documents (include/ronda/json.h): the helpers the
 * files that build them share. Only those files include this header; the rest of the store
 * reads and writes typed bodies and is compiled without jansson (docs/architecture.md). */
#ifndef RONDA_STORE_JSON_H
#define RONDA_STORE_JSON_H

#include "ronda/json.h"
#include "store/store_int.h"

/* A JSON object's string member, or NULL. */
static inline const char *store_jstr(const json_t *o, const char *k) {
    return json_string_value(json_object_get(o, k));
}
/* A 32-byte key or id from a JSON object's hex member; 0 when absent or not 64 hex digits. */
static inline int store_unhex32(const json_t *o, const char *k, uint8_t out[32]) {
    const char *h = store_jstr(o, k);
    return h && ronda_unhex(h, out, 32) == RONDA_OK;
}

#endif
