/* The chains a report lists (ronda_store_chain_rows): every author with its head, and who
 * signed for it. */
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

ronda_err ronda_store_signer(ronda_store *s, const uint8_t key[RONDA_KEY_BYTES], ronda_chain_info *out) {
    out->authority = memcmp(key, s->authority, RONDA_KEY_BYTES) == 0;
    out->known = 0;
    out->name[0] = out->polres[0] = out->polsek[0] = '\0';
    out->role = -1;
    out->revoked = 0;
    ronda_member_info m;
    ronda_err e = out->authority ? RONDA_ERR_NOT_FOUND : ronda_store_member_info(s, key, &m);
    if (e == RONDA_OK) {
        out->known = 1;
        memcpy(out->name, m.name, sizeof out->name);
        memcpy(out->polres, m.polres, sizeof out->polres);
        memcpy(out->polsek, m.polsek, sizeof out->polsek);
        out->role = m.role;
        out->revoked = m.revoked;
    } else if (e != RONDA_ERR_NOT_FOUND) {
        return e;
    }
    /* A forked chain is frozen below its lowest fork seq (proto/record.md §3 step 7). */
    uint64_t fork = 0;
    if ((e = store_fork_low(s, key, &fork)) != RONDA_OK) return e;
    out->forked_at = fork;
    return RONDA_OK;
}

ronda_err ronda_store_chain_rows(ronda_store *s, int (*cb)(void *, const ronda_chain_info *), void *ctx) {
    static const ronda_kind kinds[] = {RONDA_KIND_DIALOGUE,   RONDA_KIND_RESOLUTION, RONDA_KIND_AMEND,
                                       RONDA_KIND_CHECKPOINT, RONDA_KIND_MEMBER,     RONDA_KIND_REVOKE,
                                       RONDA_KIND_COSIGN};
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT author, count(*), min(seq), max(seq), min(hlc), max(hlc), sum(kind = 'dialogue'),"
                           " sum(kind = 'resolution'), sum(kind = 'amend'), sum(kind = 'checkpoint'),"
                           " sum(kind = 'member'), sum(kind = 'revoke'), sum(kind = 'cosign') FROM records GROUP BY "
                           "author ORDER BY author",
                           -1, &st, NULL) != SQLITE_OK)
        return store_fail(s, 0);
    ronda_chain_info *c = malloc(sizeof *c);
    if (!c) {
        sqlite3_finalize(st);
        return RONDA_ERR_NOMEM;
    }
    ronda_err e = RONDA_OK;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (sqlite3_column_bytes(st, 0) != RONDA_KEY_BYTES) continue; /* a tampered row: verify reports it */
        memset(c, 0, sizeof *c);
        memcpy(c->author, sqlite3_column_blob(st, 0), RONDA_KEY_BYTES);
        if ((e = ronda_store_signer(s, c->author, c)) != RONDA_OK) break;
        c->records = (uint64_t)sqlite3_column_int64(st, 1);
        c->first_seq = (uint64_t)sqlite3_column_int64(st, 2);
        c->last_seq = (uint64_t)sqlite3_column_int64(st, 3);
        c->first_ms = ronda_hlc_ms((uint64_t)sqlite3_column_int64(st, 4));
        c->last_ms = ronda_hlc_ms((uint64_t)sqlite3_column_int64(st, 5));
        for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
            c->kinds[kinds[i]] = (uint64_t)sqlite3_column_int64(st, 6 + (int)i);
        if (cb(ctx, c)) break;
    }
    if (e == RONDA_OK && rc != SQLITE_ROW && rc != SQLITE_DONE) e = store_fail(s, rc);
    sqlite3_finalize(st);
    free(c);
    return e;
}
