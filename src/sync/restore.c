/* The restore guard's side in sync (src/store/guard.c keeps the state): after a restore
 * from an old backup, this node writes no record of its own until a peer proves how far its
 * own chain got. A peer's frontier only claims; delivered records of our key are proof
 * (sync_guard_after), and a peer whose claims never deliver is counted (undelivered). */
#include <string.h>

#include "record/canon.h"
#include "sync/sync_int.h"
#include "sync/wire.h"

static void guard_set(sync_core *c, uint32_t peer_id, ronda_guard g, uint64_t seq) {
    if (ronda_store_set_guard(c->s, g, seq) != RONDA_OK) {
        sync_logf(c, 3, peer_id, "cannot store the restore guard (%s %llu)", ronda_guard_name(g),
                  (unsigned long long)seq);
        return;
    }
    c->guard = g;
    c->guard_seq = seq;
}

/* A peer's frontier names our own author at `seq` with head `head`. Beyond what we hold: a
 * claim, and only a claim (anyone can write a number): the FRONTIER handler asks the peer
 * for those records, and only records that arrive and verify move the guard (guard_after).
 * Equal to our head: the peer confirms it (a restored node may append again). */
void sync_guard_seen(sync_core *c, peer *p, uint64_t seq, const uint8_t *head) {
    uint8_t ours_id[RONDA_ID_BYTES];
    uint64_t ours = 0;
    if (ronda_store_head(c->s, c->self, &ours, ours_id) != RONDA_OK) ours = 0;
    if (seq > ours) {
        if (seq > p->self_claim) p->self_claim = seq;
    } else if (c->guard == RONDA_GUARD_RESTORED && seq == ours && ours > 0 && memcmp(head, ours_id, 32) == 0) {
        sync_logf(c, 5, p->id, "peer confirms our head at seq %llu: appending allowed again", (unsigned long long)ours);
        guard_set(c, p->id, RONDA_GUARD_NONE, 0);
    }
}

/* Equal digests: the peer holds exactly our ledger, our own head included. */
void sync_guard_synced(sync_core *c, uint32_t peer_id) {
    if (c->guard != RONDA_GUARD_RESTORED) return;
    sync_logf(c, 5, peer_id, "peer holds our exact ledger: restored node confirmed, appending allowed again");
    guard_set(c, peer_id, RONDA_GUARD_NONE, 0);
}

/* After a batch from peer p was applied. Behind: a verified record of our own key beyond
 * what we hold arrived (a gap: c->self_proof), or this peer's batch stored records of ours
 * we lacked, so its claim of more (p->self_claim) is believed until it fails to deliver
 * (claim_undelivered). Behind no longer once we hold our own author up to the guard's seq. */
void sync_guard_after(sync_core *c, peer *p) {
    uint64_t ours = sync_our_seq(c, c->self);
    if (c->self_proof <= ours) c->self_proof = 0;
    uint64_t target = c->self_proof;
    if (p->self_delivered && p->self_claim > ours && p->self_claim > target) target = p->self_claim;
    if (p->self_delivered && c->guard == RONDA_GUARD_RESTORED)
        sync_logf(c, 5, p->id, "fetched our own newer records from the peer: we hold them up to seq %llu now",
                  (unsigned long long)ours);
    p->self_delivered = 0;
    if (c->guard == RONDA_GUARD_FORKED) return; /* for good: nothing to lift or raise */
    if (target > ours && (c->guard != RONDA_GUARD_BEHIND || c->guard_seq < target)) {
        sync_logf(
            c, 4, p->id,
            "records of our own key up to seq %llu exist beyond the %llu we hold: appending is refused until we have "
            "them",
            (unsigned long long)target, (unsigned long long)ours);
        guard_set(c, p->id, RONDA_GUARD_BEHIND, target);
        return;
    }
    if (c->guard != RONDA_GUARD_BEHIND || ours < c->guard_seq) return;
    sync_logf(c, 5, p->id, "caught up with our own records to seq %llu: appending allowed again",
              (unsigned long long)ours);
    guard_set(c, p->id, RONDA_GUARD_NONE, 0);
}

/* Peer p answered our WANT of our own records from `from` with none of them, though its
 * frontier claimed them: logged (every 64th time), counted, and its claim no longer
 * believed. A guard raised on its word alone is lowered to what verified records prove. */
void sync_claim_undelivered(sync_core *c, peer *p, uint64_t from) {
    c->st.claims_undelivered++;
    if (p->undelivered++ % 64 == 0)
        sync_logf(c, 4, p->id, "peer claims our own records up to seq %llu but sent none from seq %llu when asked",
                  (unsigned long long)p->self_claim, (unsigned long long)from);
    p->self_claim = 0;
    uint64_t ours = sync_our_seq(c, c->self);
    if (c->guard != RONDA_GUARD_BEHIND || c->guard_seq <= ours || c->guard_seq <= c->self_proof) return;
    if (c->self_proof > ours)
        guard_set(c, p->id, RONDA_GUARD_BEHIND, c->self_proof);
    else
        guard_set(c, p->id, RONDA_GUARD_NONE, 0);
}
