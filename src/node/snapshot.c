/* The HQ snapshot (see snapshot.h): the one place that reads the sync core and the
 * transport on behalf of the web server. */
#include <string.h>
#include <sodium.h>

#include "node/snapshot.h"

/* The transport's bounds are its own (net.h), so that it includes nothing of the protocol;
 * here, where both are known, they must be the protocol's. */
_Static_assert(NET_MSG_MAX == SYNC_MSG_MAX, "the transport's largest message is the protocol's (ZMQ_MAXMSGSIZE)");
_Static_assert(NET_ROUTER_PEERS_MAX == SYNC_PEERS_MAX, "the transport tracks as many incoming peers as sync keeps");
_Static_assert(HTTP_PEERS_MAX >= SYNC_PEERS_MAX, "a snapshot lists every connected peer");
_Static_assert(sizeof(((http_sync_counters *)0)->rejected_by) == sizeof(((sync_stats *)0)->rejected_by),
               "refusals are counted by the same error codes");

void node_snapshot_take(http_snapshot *snap, const sync_core *sync, net *n, sync_clock started, sync_clock now) {
    memset(snap, 0, sizeof *snap);
    snap->taken_ms = now.wall.ms;
#define WALL_OF(mono_ms) (now.wall.ms - (now.mono.ms > (mono_ms) ? now.mono.ms - (mono_ms) : 0))
    snap->started_ms = WALL_OF(started.mono.ms);
    snap->offset_peers = sync_clock_offset(sync, &snap->offset_ms);
    sync_stats st;
    sync_get_stats(sync, &st);
    snap->sync.received = st.received;
    snap->sync.stored = st.stored;
    snap->sync.duplicates = st.duplicates;
    snap->sync.forks = st.forks;
    snap->sync.rejected = st.rejected;
    snap->sync.deferred = st.deferred;
    snap->sync.future = st.future;
    snap->sync.msgs_in = st.msgs_in;
    snap->sync.msgs_out = st.msgs_out;
    snap->sync.bytes_in = st.bytes_in;
    snap->sync.bytes_out = st.bytes_out;
    snap->sync.records_wire_in = st.records_wire_in;
    snap->sync.records_wire_out = st.records_wire_out;
    snap->sync.records_raw_in = st.records_raw_in;
    snap->sync.records_raw_out = st.records_raw_out;
    memcpy(snap->sync.rejected_by, st.rejected_by, sizeof snap->sync.rejected_by);
    net_stats ns;
    net_get_stats(n, &ns);
    snap->net.zap_accepted = ns.zap_accepted;
    snap->net.zap_refused = ns.zap_refused;
    sync_peer_info info[SYNC_PEERS_MAX];
    size_t np = sync_get_peers(sync, info, SYNC_PEERS_MAX);
    for (size_t i = 0; i < np; i++) {
        http_peer *p = &snap->peers[snap->npeers++];
        p->id = info[i].id;
        p->outgoing = info[i].id <= NET_DEALERS_MAX;
        p->up_ms = WALL_OF(info[i].up_ms);
        p->last_sync_ms = info[i].last_sync_ms ? WALL_OF(info[i].last_sync_ms) : 0;
        p->has_offset = info[i].has_offset;
        p->offset_ms = info[i].offset_ms;
        p->bad = info[i].bad;
        p->banned = info[i].banned;
        const uint8_t *k = net_peer_sign(n, p->id);
        if (k) {
            memcpy(p->sign, k, RONDA_KEY_BYTES);
            p->known = !sodium_is_zero(k, RONDA_KEY_BYTES);
        }
    }
#undef WALL_OF
}
