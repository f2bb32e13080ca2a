/* The chains a report lists (ronda_store_chains): every author with its head, and who
 * signed for it. */
#include <stdlib.h>
#include <string.h>

#include "store/store_json.h"
#include "store/tlog.h"

/* Name, role, Polres and Polsek of a key from the roster, into o (nulls when unknown). */
void store_signer(ronda_store *s, const uint8_t key[32], json_t *o) {
    json_t *m = NULL;
    int auth = memcmp(key, s->authority, 32) == 0;
    if (!auth && ronda_store_member(s, key, &m) != RONDA_OK) m = NULL;
    json_object_set_new(o, "name",
                        auth ? json_string("authority")
                        : m  ? json_incref(json_object_get(m, "name"))
                             : json_null());
    json_object_set_new(o, "role",
                        auth ? json_string("authority")
                        : m  ? json_incref(json_object_get(m, "role"))
                             : json_null());
    json_t *pr = m ? json_object_get(m, "polres") : NULL, *ps = m ? json_object_get(m, "polsek") : NULL;
    json_object_set_new(o, "polres", pr ? json_incref(pr) : json_null());
    json_object_set_new(o, "polsek", ps ? json_incref(ps) : json_null());
    json_object_set_new(o, "revoked", json_boolean(m && json_is_true(json_object_get(m, "revoked"))));
    /* A forked chain is frozen below its lowest fork seq (proto/record.md §3 step 7). */
    uint64_t fork = 0;
    json_object_set_new(o, "forked_at",
                        store_fork_low(s, key, &fork) == RONDA_OK && fork ? json_integer((json_int_t)fork)
                                                                          : json_null());
    json_decref(m);
}

ronda_err ronda_store_chains(ronda_store *s, int (*cb)(void *, json_t *), void *ctx) {
    static const char *const kinds[] = {"dialogue", "resolution", "amend", "checkpoint", "member", "revoke", "cosign"};
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT author, count(*), min(seq), max(seq), min(hlc), max(hlc), sum(kind = 'dialogue'),"
                           " sum(kind = 'resolution'), sum(kind = 'amend'), sum(kind = 'checkpoint'),"
                           " sum(kind = 'member'), sum(kind = 'revoke'), sum(kind = 'cosign') FROM records GROUP BY "
                           "author ORDER BY author",
                           -1, &st, NULL) != SQLITE_OK)
        return store_fail(s, 0);
    ronda_err e = RONDA_OK;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (sqlite3_column_bytes(st, 0) != 32) continue; /* a tampered row: verify reports it */
        json_t *o = json_object();
        char hex[65];
        ronda_hex(sqlite3_column_blob(st, 0), 32, hex);
        json_object_set_new(o, "author", json_string(hex));
        store_signer(s, sqlite3_column_blob(st, 0), o);
        json_object_set_new(o, "records", json_integer(sqlite3_column_int64(st, 1)));
        json_object_set_new(o, "first_seq", json_integer(sqlite3_column_int64(st, 2)));
        json_object_set_new(o, "last_seq", json_integer(sqlite3_column_int64(st, 3)));
        json_object_set_new(o, "first_ms",
                            json_integer((json_int_t)ronda_hlc_ms((uint64_t)sqlite3_column_int64(st, 4))));
        json_object_set_new(o, "last_ms",
                            json_integer((json_int_t)ronda_hlc_ms((uint64_t)sqlite3_column_int64(st, 5))));
        json_t *k = json_object();
        for (int i = 0; i < 7; i++)
            if (sqlite3_column_int64(st, 6 + i))
                json_object_set_new(k, kinds[i], json_integer(sqlite3_column_int64(st, 6 + i)));
        json_object_set_new(o, "kinds", k);
        int stop = cb(ctx, o);
        json_decref(o);
        if (stop) break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) e = store_fail(s, rc);
    sqlite3_finalize(st);
    return e;
}
