/* The transport: ZeroMQ ROUTER (CURVE server) and DEALERs (CURVE clients), and the ZAP
 * handler that admits only live members' CURVE keys. The only code that touches sockets.
 *
 * Bytes move between these sockets and the sync core; this layer knows nothing of
 * records. Every bound (message size, queues, heartbeats, linger) is set on every socket. */
#ifndef RONDA_NET_H
#define RONDA_NET_H

#include <stddef.h>
#include <stdint.h>

#include "ronda/ronda.h"

#define NET_ZAP_DOMAIN "ronda"        /* set on the server and enforced by our ZAP handler */
#define NET_HWM 32                    /* messages queued per connection, each way (x NET_MSG_MAX) */
#define NET_HEARTBEAT_MS 2000         /* ZMTP heartbeats detect dead peers... */
#define NET_HEARTBEAT_TIMEOUT_MS 6000 /* ...and drop them after this long without traffic */
#define NET_HANDSHAKE_MS 5000         /* a CURVE handshake must finish in this time */
#define NET_RECONNECT_MS 250          /* first retry of an unreachable peer... */
#define NET_RECONNECT_MAX_MS 30000    /* ...backing off to this */
#define NET_ALLOW_MAX 10000u          /* members in the allowlist */
#define NET_DEALERS_MAX 32u           /* peers this node connects to */
#define NET_ROUTER_PEER_BASE 1000u    /* ids of peers that connected to us start here */
/* The transport's own bounds, so that it includes no header of the sync protocol above it;
 * src/node/snapshot.c checks at compile time that they equal the protocol's (SYNC_MSG_MAX,
 * SYNC_PEERS_MAX). The largest message (ZMQ_MAXMSGSIZE) is a RECORDS message: 512 KiB of
 * records, plus one maximal record, plus 1 KiB of framing. */
#define NET_MSG_MAX (512u * 1024u + RONDA_RECORD_MAX + 1024u)
#define NET_ROUTER_PEERS_MAX 64u /* peers that connected to us, tracked at once */
/* net_poll stops delivering after this long, so the daemon's loop (ticks, watchdog, progress)
 * runs between big batches. It is also the daemon's group commit (sync_hold): the messages of
 * one poll share a transaction, and during a catch-up 500 ms holds ~5 replies of 1,024 records,
 * where 100 ms held one or two: fewer commits, a faster catch-up (README.md, Performance,
 * measured with bench/sync_bench.sh). Other writers wait at most this long for the lock. */
#define NET_POLL_BUDGET_MS 500
#define NET_BAN_MS 600000 /* a member cut off for bad records is ignored this long... */
#define NET_BANS_MAX 64u  /* ...up to this many at once (the oldest ban ends first) */
/* Signing keys the ZAP handler admitted since the ROUTER was last bound: a revocation or a
 * ban of one of them closes every connection to the ROUTER (net_allow). Beyond this many,
 * any key leaving the allowlist does (the set no longer says who may still be connected). */
#define NET_ADMITTED_MAX 256u
/* Closing connections to the ROUTER means unbinding and binding it again; libzmq closes the
 * old listener on its I/O thread, so the port may be busy for a moment. Retried this long,
 * every NET_REBIND_STEP_MS; after that the node stops serving (net_poll fails). */
#define NET_REBIND_MS 3000
#define NET_REBIND_STEP_MS 10
/* Refused handshakes are reported (net_events.refused) at most this many per window, plus
 * one line per window counting the rest: a flood of strangers cannot flood the log. */
#define NET_REFUSED_LOG_MAX 10u
#define NET_REFUSED_LOG_WINDOW_MS 60000
#define NET_ADDRESS_MAX 64u /* a peer address as reported (longer ones are cut) */
_Static_assert(NET_REFUSED_LOG_MAX >= 1 && NET_REFUSED_LOG_WINDOW_MS >= 1000,
               "some refusals are logged, per second or more");
_Static_assert(NET_REBIND_STEP_MS > 0 && NET_REBIND_STEP_MS < NET_REBIND_MS, "a rebind is retried");
_Static_assert(NET_REBIND_MS < NET_POLL_BUDGET_MS * 10, "a rebind stalls the daemon's loop a few polls at most");

typedef struct net net;
typedef struct net_events net_events;

typedef struct net_stats {
    uint64_t zap_accepted, zap_refused; /* handshakes the ZAP handler admitted / refused */
    uint64_t dropped_unauthorised;      /* messages from a key no longer live */
    uint64_t send_dropped;              /* sends refused by a full or absent connection */
    uint64_t dropped_banned;            /* messages from a member cut off by net_ban */
    uint64_t rebinds;                   /* times the ROUTER was bound again to close connections */
    uint64_t handshakes_failed;         /* handshakes that broke the protocol before ZAP (NULL, PLAIN) */
} net_stats;

/* Start the ZAP handler, then (when listen != NULL) bind the ROUTER there as a CURVE
 * server. Keys are this node's Curve25519 pair (copied). Every socket option is checked: a
 * failure (named on stderr) refuses to serve. */
ronda_err net_new(const char *listen, const uint8_t curve_pk[32], const uint8_t curve_sk[32],
                  net **out) RONDA_MUST_CHECK;
void net_destroy(net **n);

/* Replace the allowlist: n pairs of (Ed25519 sign key, Curve25519 key) of live members.
 * The ZAP handler refuses keys no longer in it from now on. Each ROUTER peer whose key left
 * it is reported to ev->down (ev may be NULL) and nothing more is sent to it; and when a key
 * that connected to the ROUTER since it was last bound left it, the ROUTER is unbound and
 * bound again, which closes every connection to it (libzmq has no per-peer close; other
 * members' DEALERs reconnect within their reconnect interval). RONDA_ERR_NOMEM: the
 * allowlist is emptied (every key refused); RONDA_ERR_IO: the ROUTER could not be bound
 * again and is closed (net_poll then fails). */
ronda_err net_allow(net *n, const uint8_t (*sign)[32], const uint8_t (*curve)[32], size_t count,
                    const net_events *ev) RONDA_MUST_CHECK;

/* Connect a DEALER to a peer's endpoint; its CURVE key authenticates the server. The
 * member's signing key (from the roster entry that gave the endpoint and CURVE key; NULL:
 * unknown) is the peer's identity from then on: net_peer_sign() answers it for this peer,
 * so the layers above keep no table of their own. Returns the peer id (1..NET_DEALERS_MAX)
 * or 0 (net_error says why, e.g. the option refused). Reconnects with backoff by itself. */
uint32_t net_connect(net *n, const char *endpoint, const uint8_t server_curve[32], const uint8_t server_sign[32]);
void net_disconnect(net *n, uint32_t peer);
/* The server key a DEALER peer was connected with (for dropping revoked servers). */
const uint8_t *net_peer_curve(const net *n, uint32_t peer);
/* The member's signing key behind a peer: for a ROUTER peer (id >= NET_ROUTER_PEER_BASE)
 * the key its handshake proved, for a DEALER peer the key given to net_connect. NULL when
 * the peer is not connected or its key is unknown. Borrowed: valid until the peer goes. */
const uint8_t *net_peer_sign(const net *n, uint32_t peer);

struct net_events {
    void *ctx;
    void (*up)(void *ctx, uint32_t peer);   /* a new peer connected to our ROUTER */
    void (*down)(void *ctx, uint32_t peer); /* a ROUTER peer lost its membership */
    void (*msg)(void *ctx, uint32_t peer, const uint8_t *data, size_t len);
    void (*ready)(void *ctx, uint32_t peer); /* a DEALER's handshake succeeded: it can send now */
    /* A handshake to our ROUTER the ZAP handler refused: the peer's address as libzmq gives
     * it (its IP; printable ASCII, at most NET_ADDRESS_MAX - 1 bytes) and a constant reason.
     * Handshakes that break the protocol before ZAP (a NULL or PLAIN client, a malformed
     * handshake) come too, as "unknown address": libzmq's events never name the peer.
     * At most NET_REFUSED_LOG_MAX calls per NET_REFUSED_LOG_WINDOW_MS; when more were
     * refused, one call with address and reason NULL gives how many were not reported. */
    void (*refused)(void *ctx, const char *address, const char *reason, uint64_t suppressed);
};

/* Cut off the member behind ROUTER peer `peer` for NET_BAN_MS: its connections to the
 * ROUTER are closed (the ROUTER is bound again, as in net_allow), its handshakes refused
 * and whatever it sends meanwhile dropped unread. A misbehaving peer cannot shed its ban by
 * reconnecting. */
void net_ban(net *n, uint32_t peer);

/* Wait up to timeout_ms for messages and deliver them. */
ronda_err net_poll(net *n, int timeout_ms, const net_events *ev);
/* Send without blocking; a full queue drops the message (the sync core repairs by rounds). */
ronda_err net_send(net *n, uint32_t peer, const uint8_t *data, size_t len);

void net_get_stats(net *n, net_stats *out);
/* The text of the last failure of net_connect, net_allow or net_poll ("" when none). */
const char *net_error(const net *n);

/* 1 when a ZAP handler in zmq context `ctx` answers a request for an unknown key with a
 * refusal; net_new() checks this before creating any server socket. */
int net_zap_probe(void *ctx);

#endif
