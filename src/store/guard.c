/* The restore guard: whether this node may append, kept in the database's meta table so
 * every process on the node (`ronda record`, `ronda run`, the authority's verbs) sees it.
 *
 * A node restored from an older backup may be behind its own history: what it wrote after
 * the backup may already live at its peers. If it appended now, it would sign a second
 * record for a seq that is taken: a fork, evidence against an honest node. So:
 *
 *     none ──restore──▶ restored ──a peer shows our head at a seq <= ours──▶ none
 *       ▲                  │
 *       │                  └──a peer shows our author at seq N > ours──▶ behind(N)
 *       │                                                                  │
 *       └─────────────────── we hold our own records up to N ◀─────────────┘
 *     none ──a verified record of our own author at seq N > ours arrives──▶ behind(N)
 *     any ──fork evidence of our own key held (lowest seq k)──▶ forked(k), for good
 *
 * Only records of our own chain that arrive and verify move the guard to behind, never a
 * peer's claim: a frontier entry naming our key at a high seq only makes the sync core ask
 * that peer for those records (a member could otherwise lock any node, the authority too,
 * with one forged entry). forked is derived, never stored: it is read from the forks table
 * each time, so no --confirm can lift it; the way forward is a new key (docs/operations.md).
 *
 * The transitions after `restore` are made by the sync core (src/sync/sync.c). The guard
 * is stored as one meta row `guard` = "restored SEQ" or "behind SEQ"; no row means none.
 * ronda_store_append() reads it inside its own transaction, so a record cannot slip in
 * between the daemon's decision and the append. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

#define GUARD_TEXT_MAX 40 /* "restored 18446744073709551615" fits with room */

const char *ronda_guard_name(ronda_guard state) {
    switch (state) {
    case RONDA_GUARD_NONE:
        return "none";
    case RONDA_GUARD_RESTORED:
        return "restored";
    case RONDA_GUARD_BEHIND:
        return "behind";
    case RONDA_GUARD_FORKED:
        return "forked";
    }
    return "unknown";
}

ronda_err ronda_store_guard(ronda_store *s, ronda_guard *state, uint64_t *seq) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT value FROM meta WHERE key = 'guard'", -1, &st, NULL) != SQLITE_OK)
        return store_fail(s, 0);
    int rc = sqlite3_step(st);
    ronda_guard g = RONDA_GUARD_NONE;
    uint64_t n = 0;
    ronda_err e = RONDA_OK;
    if (rc == SQLITE_ROW) {
        char text[GUARD_TEXT_MAX + 1] = "";
        int len = sqlite3_column_bytes(st, 0);
        const void *v = sqlite3_column_blob(st, 0);
        if (v && len > 0 && len <= GUARD_TEXT_MAX) memcpy(text, v, (size_t)len);
        char word[16];
        unsigned long long u;
        if (sscanf(text, "%15s %llu", word, &u) == 2 && strcmp(word, "restored") == 0) {
            g = RONDA_GUARD_RESTORED;
            n = u;
        } else if (sscanf(text, "%15s %llu", word, &u) == 2 && strcmp(word, "behind") == 0) {
            g = RONDA_GUARD_BEHIND;
            n = u;
        } else {
            /* An unreadable guard is treated as the strictest state: never append blindly. */
            g = RONDA_GUARD_RESTORED;
        }
    } else if (rc != SQLITE_DONE) {
        e = store_fail(s, rc);
    }
    sqlite3_finalize(st);
    uint64_t fork = 0;
    if (e == RONDA_OK && (e = store_fork_low(s, s->node, &fork)) == RONDA_OK && fork != 0) {
        g = RONDA_GUARD_FORKED;
        n = fork;
    }
    if (e == RONDA_OK) {
        *state = g;
        if (seq) *seq = n;
    }
    return e;
}

ronda_err ronda_store_set_guard(ronda_store *s, ronda_guard state, uint64_t seq) {
    if (state == RONDA_GUARD_FORKED) return RONDA_ERR_INVALID; /* derived from the evidence, never stored */
    sqlite3_stmt *st;
    const char *sql = state == RONDA_GUARD_NONE ? "DELETE FROM meta WHERE key = 'guard'"
                                                : "INSERT OR REPLACE INTO meta(key, value) VALUES ('guard', ?1)";
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) return store_fail(s, 0);
    char text[GUARD_TEXT_MAX + 1];
    int len = snprintf(text, sizeof text, "%s %" PRIu64, ronda_guard_name(state), seq);
    if (state != RONDA_GUARD_NONE) sqlite3_bind_blob(st, 1, text, len, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? RONDA_OK : store_fail(s, rc);
}

ronda_err guard_refuses(ronda_store *s, ronda_detail *d) {
    ronda_guard g = RONDA_GUARD_NONE;
    uint64_t seq = 0;
    ronda_err e = ronda_store_guard(s, &g, &seq);
    if (e != RONDA_OK) return e;
    if (g == RONDA_GUARD_NONE) return RONDA_OK;
    if (d) {
        if (g == RONDA_GUARD_FORKED)
            snprintf(d->text, sizeof d->text,
                     "this node's own chain forked at seq %" PRIu64
                     " (two records of that seq are held as evidence): this key may write no more; the node"
                     " needs a new key, admitted by the authority, which revokes the old key at seq %" PRIu64,
                     seq, seq - 1);
        else if (g == RONDA_GUARD_RESTORED)
            snprintf(d->text, sizeof d->text,
                     "restored from a backup holding our own records up to seq %" PRIu64
                     "; no peer has confirmed our head yet",
                     seq);
        else
            snprintf(d->text, sizeof d->text, "a peer holds our own records up to seq %" PRIu64 "; we do not yet", seq);
    }
    return RONDA_ERR_BEHIND;
}
