/* The HQ snapshot, filled from what only the daemon knows: the sync core's counters and
 * peers, the transport's counters and the member key behind each connection.
 *
 * The node layer sits above sync/, net/ and http/, so that none of them needs another:
 * http/ renders an http_snapshot (plain data, http.h) and never sees a sync_core or a net. */
#ifndef RONDA_NODE_SNAPSHOT_H
#define RONDA_NODE_SNAPSHOT_H

#include <stdint.h>

#include "http/http.h"
#include "net/net.h"
#include "sync/sync.h"

/* Fill *snap (every field it had is overwritten; the view-check fields are left zero for
 * the caller) from the sync core's counters and peers and the transport's counters, with
 * the member key the transport knows for each connected peer (net_peer_sign: the roster's
 * for peers we dialled, the handshake's for those that dialled us). Times are measured on the monotonic clock
 * (`started`, the sync core's peer times) and shown on the wall clock as `now` reads it, so a step of the wall clock
 * shifts them all. */
void node_snapshot_take(http_snapshot *snap, const sync_core *sync, net *n, sync_clock started, sync_clock now);

#endif
