/* ZeroMQ transport with CURVE encryption and a ZAP allowlist (see net.h).
 *
 * Known trap: a CURVE server with no ZAP handler accepts any client key. So the handler
 * thread binds inproc://zeromq.zap.01 and answers before the ROUTER is created, the
 * server sets ZMQ_ZAP_DOMAIN, and the handler refuses every other domain (libzmq 4.3's
 * ZMQ_ZAP_ENFORCE_DOMAIN is a draft option, so the enforcement is ours). The User-Id the
 * handler returns (the member's signing key, hex) is checked on every message received. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sodium.h>
#include <zmq.h>

#include "net/net.h"
#include "sync/sync.h"

#define ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define IDENTITY_MAX 256u
#define NET_MON_FLAG 0x80000000u /* in net_poll: a dealer's monitor, not the dealer */

typedef struct allow_entry {
    uint8_t sign[32], curve[32];
} allow_entry;

typedef struct rpeer {
    uint32_t id; /* 0 = free */
    uint8_t identity[IDENTITY_MAX];
    size_t identity_len;
    uint8_t sign[32]; /* from the ZAP User-Id */
} rpeer;

typedef struct dpeer {
    void *sock;         /* NULL = free */
    void *mon;          /* PAIR: the socket's handshake events (libzmq gives up after a refusal) */
    uint64_t redial_at; /* monotonic ms of the next connect after a refusal; 0 = none */
    int backoff_ms;
    uint8_t curve[32];
    char endpoint[256];
} dpeer;

struct net {
    void *ctx;
    void *router; /* NULL when not listening */
    void *zap;    /* REP, owned by the ZAP thread */
    pthread_t zap_thread;
    int zap_running;
    pthread_mutex_t lock; /* guards allow and the ZAP counters */
    allow_entry *allow;
    size_t nallow;
    uint8_t curve_pk[32], curve_sk[32];
    rpeer rpeers[SYNC_PEERS_MAX];
    uint32_t next_rid;
    dpeer dpeers[NET_DEALERS_MAX];
    unsigned mon_gen; /* makes each monitor endpoint unique */
    net_stats st;
};

static uint64_t mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void dpeer_close(dpeer *d) {
    if (d->mon) zmq_close(d->mon);
    if (d->sock) zmq_close(d->sock);
    memset(d, 0, sizeof *d);
}

static int allowed_curve(net *n, const uint8_t *curve, uint8_t sign_out[32]) {
    int ok = 0;
    pthread_mutex_lock(&n->lock);
    for (size_t i = 0; i < n->nallow && !ok; i++)
        if (memcmp(n->allow[i].curve, curve, 32) == 0) {
            memcpy(sign_out, n->allow[i].sign, 32);
            ok = 1;
        }
    pthread_mutex_unlock(&n->lock);
    return ok;
}

static int allowed_sign(net *n, const uint8_t *sign) {
    int ok = 0;
    pthread_mutex_lock(&n->lock);
    for (size_t i = 0; i < n->nallow && !ok; i++) ok = memcmp(n->allow[i].sign, sign, 32) == 0;
    pthread_mutex_unlock(&n->lock);
    return ok;
}

/* Receive one frame into buf (truncated copies are refused); returns its size or -1. */
static int recv_frame(void *sock, char *buf, size_t cap, int *more) {
    int r = zmq_recv(sock, buf, cap, 0);
    if (r < 0) return -1;
    int m = 0;
    size_t ml = sizeof m;
    zmq_getsockopt(sock, ZMQ_RCVMORE, &m, &ml);
    *more = m;
    return (size_t)r > cap ? -2 : r;
}

/* ZAP (RFC 27): version, request id, domain, address, identity, mechanism, credentials. */
static void *zap_main(void *arg) {
    net *n = arg;
    for (;;) {
        char f[7][256];
        int len[7], more = 1, k;
        for (k = 0; k < 7 && more; k++) {
            len[k] = recv_frame(n->zap, f[k], sizeof f[k], &more);
            if (len[k] == -1) return NULL; /* context terminated */
        }
        while (more) { /* drain unexpected frames */
            char junk[64];
            if (recv_frame(n->zap, junk, sizeof junk, &more) == -1) return NULL;
        }
        const char *status = "400", *text = "refused";
        char user[65] = "";
        if (k == 7 && len[0] == 3 && memcmp(f[0], "1.0", 3) == 0 && len[1] >= 0) {
            uint8_t sign[32];
            int domain_ok = len[2] == (int)strlen(NET_ZAP_DOMAIN) && memcmp(f[2], NET_ZAP_DOMAIN, (size_t)len[2]) == 0;
            int curve = len[5] == 5 && memcmp(f[5], "CURVE", 5) == 0;
            if (!domain_ok)
                text = "wrong ZAP domain";
            else if (!curve)
                text = "CURVE required";
            else if (len[6] != 32 || !allowed_curve(n, (const uint8_t *)f[6], sign))
                text = "not a live member";
            else {
                status = "200";
                text = "OK";
                ronda_hex(sign, 32, user);
            }
        }
        pthread_mutex_lock(&n->lock);
        if (status[0] == '2')
            n->st.zap_accepted++;
        else
            n->st.zap_refused++;
        pthread_mutex_unlock(&n->lock);
        zmq_send(n->zap, "1.0", 3, ZMQ_SNDMORE);
        zmq_send(n->zap, f[1], (size_t)(len[1] > 0 ? len[1] : 0), ZMQ_SNDMORE);
        zmq_send(n->zap, status, 3, ZMQ_SNDMORE);
        zmq_send(n->zap, text, strlen(text), ZMQ_SNDMORE);
        zmq_send(n->zap, user, strlen(user), ZMQ_SNDMORE);
        zmq_send(n->zap, "", 0, 0);
    }
}

static void bound(void *sock) {
    int hwm = NET_HWM, linger = 0, hb = NET_HEARTBEAT_MS, hbt = NET_HEARTBEAT_TIMEOUT_MS, hs = NET_HANDSHAKE_MS;
    int64_t maxmsg = SYNC_MSG_MAX;
    int rc = NET_RECONNECT_MS, rcmax = NET_RECONNECT_MAX_MS;
    zmq_setsockopt(sock, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(sock, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(sock, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
    zmq_setsockopt(sock, ZMQ_HEARTBEAT_IVL, &hb, sizeof hb);
    zmq_setsockopt(sock, ZMQ_HEARTBEAT_TIMEOUT, &hbt, sizeof hbt);
    zmq_setsockopt(sock, ZMQ_HEARTBEAT_TTL, &hbt, sizeof hbt);
    zmq_setsockopt(sock, ZMQ_HANDSHAKE_IVL, &hs, sizeof hs);
    zmq_setsockopt(sock, ZMQ_RECONNECT_IVL, &rc, sizeof rc);
    zmq_setsockopt(sock, ZMQ_RECONNECT_IVL_MAX, &rcmax, sizeof rcmax);
}

/* Ask the ZAP endpoint about an all-zero key, as libzmq would: a handler must answer, and
 * must refuse. Without an answer no server socket is created (a CURVE server without a
 * ZAP handler would admit anyone). */
int net_zap_probe(void *ctx) {
    void *req = zmq_socket(ctx, ZMQ_REQ);
    if (!req) return 0;
    int linger = 0, timeout = 1000, ok = 0;
    zmq_setsockopt(req, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(req, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    zmq_setsockopt(req, ZMQ_SNDTIMEO, &timeout, sizeof timeout);
    if (zmq_connect(req, ZAP_ENDPOINT) == 0) {
        static const uint8_t zero[32];
        const char *frames[6] = {"1.0", "probe", NET_ZAP_DOMAIN, "127.0.0.1", "", "CURVE"};
        int sent = 1;
        for (int i = 0; i < 6 && sent; i++) sent = zmq_send(req, frames[i], strlen(frames[i]), ZMQ_SNDMORE) >= 0;
        if (sent && zmq_send(req, zero, sizeof zero, 0) >= 0) {
            char f[64];
            int more = 1, k = 0;
            while (more && k < 8) {
                int len = recv_frame(req, f, sizeof f, &more);
                if (len < 0) break;
                if (k == 2) ok = len == 3 && memcmp(f, "400", 3) == 0;
                k++;
            }
        }
    }
    zmq_close(req);
    return ok;
}

ronda_err net_new(const char *listen, const uint8_t curve_pk[32], const uint8_t curve_sk[32], net **out) {
    net *n = calloc(1, sizeof *n);
    if (!n) return RONDA_ERR_NOMEM;
    memcpy(n->curve_pk, curve_pk, 32);
    memcpy(n->curve_sk, curve_sk, 32);
    pthread_mutex_init(&n->lock, NULL);
    n->next_rid = NET_ROUTER_PEER_BASE;
    if (!zmq_has("curve") || !(n->ctx = zmq_ctx_new())) goto fail;
    /* The ZAP handler first: no server socket exists before it answers. */
    n->zap = zmq_socket(n->ctx, ZMQ_REP);
    int linger = 0;
    if (!n->zap || zmq_setsockopt(n->zap, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        zmq_bind(n->zap, ZAP_ENDPOINT) != 0)
        goto fail;
    if (pthread_create(&n->zap_thread, NULL, zap_main, n) != 0) goto fail;
    n->zap_running = 1;
    if (!net_zap_probe(n->ctx)) {
        fprintf(stderr, "ronda: the ZAP handler does not answer; refusing to serve\n");
        goto fail;
    }
    memset(&n->st, 0, sizeof n->st); /* the probe's refusal is not a peer's */
    if (listen) {
        int one = 1;
        n->router = zmq_socket(n->ctx, ZMQ_ROUTER);
        if (!n->router) goto fail;
        bound(n->router);
        if (zmq_setsockopt(n->router, ZMQ_CURVE_SERVER, &one, sizeof one) != 0 ||
            zmq_setsockopt(n->router, ZMQ_CURVE_SECRETKEY, n->curve_sk, 32) != 0 ||
            zmq_setsockopt(n->router, ZMQ_ZAP_DOMAIN, NET_ZAP_DOMAIN, strlen(NET_ZAP_DOMAIN)) != 0 ||
            zmq_setsockopt(n->router, ZMQ_ROUTER_MANDATORY, &one, sizeof one) != 0 ||
            zmq_bind(n->router, listen) != 0) {
            fprintf(stderr, "ronda: cannot listen on %s: %s\n", listen, zmq_strerror(zmq_errno()));
            goto fail;
        }
    }
    *out = n;
    return RONDA_OK;
fail:
    net_destroy(&n);
    return RONDA_ERR_IO;
}

void net_destroy(net **np) {
    if (!np || !*np) return;
    net *n = *np;
    if (n->router) zmq_close(n->router);
    for (size_t i = 0; i < NET_DEALERS_MAX; i++)
        if (n->dpeers[i].sock) dpeer_close(&n->dpeers[i]);
    if (n->zap && !n->zap_running) zmq_close(n->zap);
    if (n->ctx) {
        /* Terminating the context wakes the ZAP thread with ETERM; it then closes. */
        if (n->zap_running) {
            zmq_ctx_shutdown(n->ctx);
            pthread_join(n->zap_thread, NULL);
            zmq_close(n->zap);
        }
        zmq_ctx_term(n->ctx);
    }
    pthread_mutex_destroy(&n->lock);
    sodium_memzero(n->curve_sk, sizeof n->curve_sk);
    free(n->allow);
    free(n);
    *np = NULL;
}

void net_allow(net *n, const uint8_t (*sign)[32], const uint8_t (*curve)[32], size_t count) {
    if (count > NET_ALLOW_MAX) count = NET_ALLOW_MAX;
    allow_entry *a = calloc(count ? count : 1, sizeof *a);
    if (!a) return;
    for (size_t i = 0; i < count; i++) {
        memcpy(a[i].sign, sign[i], 32);
        memcpy(a[i].curve, curve[i], 32);
    }
    pthread_mutex_lock(&n->lock);
    free(n->allow);
    n->allow = a;
    n->nallow = count;
    pthread_mutex_unlock(&n->lock);
}

uint32_t net_connect(net *n, const char *endpoint, const uint8_t server_curve[32]) {
    for (uint32_t i = 0; i < NET_DEALERS_MAX; i++) {
        dpeer *d = &n->dpeers[i];
        if (d->sock) continue;
        void *s = zmq_socket(n->ctx, ZMQ_DEALER);
        if (!s) return 0;
        int one = 1;
        bound(s);
        zmq_setsockopt(s, ZMQ_IMMEDIATE, &one, sizeof one);
        /* A handshake the server refuses (ZAP 400: e.g. our admission has not reached it
         * yet) ends the connection for good in libzmq 4.3: no reconnect. Watch for it and
         * connect again ourselves, with backoff (net_poll). The monitor is attached before
         * connecting: events before it are lost, and a lost refusal would be final. */
        char mon_ep[64];
        snprintf(mon_ep, sizeof mon_ep, "inproc://ronda-dealer-%u-%u", i, ++n->mon_gen);
        void *m = NULL;
        int linger = 0;
        if (zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, server_curve, 32) != 0 ||
            zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, n->curve_pk, 32) != 0 ||
            zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, n->curve_sk, 32) != 0 ||
            zmq_socket_monitor(s, mon_ep,
                               ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                                   ZMQ_EVENT_HANDSHAKE_SUCCEEDED) != 0 ||
            !(m = zmq_socket(n->ctx, ZMQ_PAIR)) || zmq_setsockopt(m, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
            zmq_connect(m, mon_ep) != 0 || zmq_connect(s, endpoint) != 0) {
            if (m) zmq_close(m);
            zmq_close(s);
            return 0;
        }
        d->sock = s;
        d->mon = m;
        d->backoff_ms = NET_RECONNECT_MS;
        memcpy(d->curve, server_curve, 32);
        snprintf(d->endpoint, sizeof d->endpoint, "%s", endpoint);
        return i + 1;
    }
    return 0;
}

void net_disconnect(net *n, uint32_t peer) {
    if (peer >= 1 && peer <= NET_DEALERS_MAX && n->dpeers[peer - 1].sock) dpeer_close(&n->dpeers[peer - 1]);
    for (size_t i = 0; i < SYNC_PEERS_MAX; i++)
        if (n->rpeers[i].id == peer && peer != 0) memset(&n->rpeers[i], 0, sizeof n->rpeers[i]);
}

const uint8_t *net_peer_curve(const net *n, uint32_t peer) {
    if (peer >= 1 && peer <= NET_DEALERS_MAX && n->dpeers[peer - 1].sock) return n->dpeers[peer - 1].curve;
    return NULL;
}

const uint8_t *net_peer_sign(const net *n, uint32_t peer) {
    for (size_t i = 0; peer >= NET_ROUTER_PEER_BASE && i < SYNC_PEERS_MAX; i++)
        if (n->rpeers[i].id == peer) return n->rpeers[i].sign;
    return NULL;
}

/* One slot (and peer id) per member, found by the signing key its handshake proved. Each
 * connection has a new routing id (a restarted or reconnected peer), so keying slots by
 * routing id leaked one per reconnection until the table was full and new peers were
 * ignored. A member's newest connection takes over its slot: replies go there. */
static rpeer *rpeer_for(net *n, const uint8_t *identity, size_t len, const uint8_t *sign, const net_events *ev) {
    rpeer *free_slot = NULL;
    if (len > IDENTITY_MAX) return NULL;
    for (size_t i = 0; i < SYNC_PEERS_MAX; i++) {
        rpeer *r = &n->rpeers[i];
        if (r->id && memcmp(r->sign, sign, 32) == 0) {
            memcpy(r->identity, identity, len);
            r->identity_len = len;
            return r;
        }
        if (!r->id && !free_slot) free_slot = r;
    }
    if (!free_slot) return NULL; /* full: the peer is ignored */
    free_slot->id = n->next_rid++;
    memcpy(free_slot->identity, identity, len);
    free_slot->identity_len = len;
    memcpy(free_slot->sign, sign, 32);
    if (ev->up) ev->up(ev->ctx, free_slot->id);
    return free_slot;
}

/* One message from the ROUTER: [identity, payload]. */
static void router_recv(net *n, const net_events *ev) {
    zmq_msg_t id, body;
    zmq_msg_init(&id);
    zmq_msg_init(&body);
    if (zmq_msg_recv(&id, n->router, ZMQ_DONTWAIT) < 0) goto out;
    if (!zmq_msg_more(&id)) goto out;
    if (zmq_msg_recv(&body, n->router, ZMQ_DONTWAIT) < 0) goto out;
    while (zmq_msg_more(&body)) { /* extra frames: not ours; drain them */
        zmq_msg_t junk;
        zmq_msg_init(&junk);
        int r = zmq_msg_recv(&junk, n->router, ZMQ_DONTWAIT);
        int more = r >= 0 && zmq_msg_more(&junk);
        zmq_msg_close(&junk);
        if (!more) goto out;
    }
    /* Tie the message to a member: the ZAP handler's User-Id, checked again now. */
    const char *user = zmq_msg_gets(&body, "User-Id");
    uint8_t sign[32];
    int have_sign = user && ronda_unhex(user, sign, 32) == RONDA_OK;
    if (!have_sign || !allowed_sign(n, sign)) {
        n->st.dropped_unauthorised++;
        for (size_t i = 0; i < SYNC_PEERS_MAX; i++) {
            rpeer *r = &n->rpeers[i];
            if (r->id && ((have_sign && memcmp(r->sign, sign, 32) == 0) ||
                          (r->identity_len == zmq_msg_size(&id) &&
                           memcmp(r->identity, zmq_msg_data(&id), r->identity_len) == 0))) {
                if (ev->down) ev->down(ev->ctx, r->id);
                memset(r, 0, sizeof *r);
            }
        }
        goto out;
    }
    rpeer *r = rpeer_for(n, zmq_msg_data(&id), zmq_msg_size(&id), sign, ev);
    if (r && ev->msg) ev->msg(ev->ctx, r->id, zmq_msg_data(&body), zmq_msg_size(&body));
out:
    zmq_msg_close(&id);
    zmq_msg_close(&body);
}

/* One monitor event of a dealer: a refused handshake schedules a connect again. */
static void monitor_recv(dpeer *d) {
    zmq_msg_t ev, addr;
    zmq_msg_init(&ev);
    zmq_msg_init(&addr);
    if (zmq_msg_recv(&ev, d->mon, ZMQ_DONTWAIT) >= 0 && zmq_msg_more(&ev) &&
        zmq_msg_recv(&addr, d->mon, ZMQ_DONTWAIT) >= 0 && zmq_msg_size(&ev) >= 2) {
        uint16_t event;
        memcpy(&event, zmq_msg_data(&ev), sizeof event);
        if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
            d->backoff_ms = NET_RECONNECT_MS;
        } else {
            d->redial_at = mono_ms() + (uint64_t)d->backoff_ms;
            d->backoff_ms = d->backoff_ms * 2 > NET_RECONNECT_MAX_MS ? NET_RECONNECT_MAX_MS : d->backoff_ms * 2;
        }
    }
    zmq_msg_close(&ev);
    zmq_msg_close(&addr);
}

static void dealer_recv(net *n, uint32_t peer, const net_events *ev) {
    zmq_msg_t body;
    zmq_msg_init(&body);
    if (zmq_msg_recv(&body, n->dpeers[peer - 1].sock, ZMQ_DONTWAIT) >= 0 && !zmq_msg_more(&body) && ev->msg)
        ev->msg(ev->ctx, peer, zmq_msg_data(&body), zmq_msg_size(&body));
    zmq_msg_close(&body);
}

ronda_err net_poll(net *n, int timeout_ms, const net_events *ev) {
    zmq_pollitem_t items[1 + 2 * NET_DEALERS_MAX];
    uint32_t who[1 + 2 * NET_DEALERS_MAX];
    int k = 0;
    uint64_t now = mono_ms();
    for (uint32_t i = 0; i < NET_DEALERS_MAX; i++) {
        dpeer *d = &n->dpeers[i];
        if (!d->sock || !d->redial_at) continue;
        if (now >= d->redial_at) {
            zmq_disconnect(d->sock, d->endpoint); /* the refused endpoint is dead; its entry goes */
            zmq_connect(d->sock, d->endpoint);
            d->redial_at = 0;
        } else if (timeout_ms < 0 || d->redial_at - now < (uint64_t)timeout_ms) {
            timeout_ms = (int)(d->redial_at - now);
        }
    }
    if (n->router) {
        items[k] = (zmq_pollitem_t){n->router, 0, ZMQ_POLLIN, 0};
        who[k++] = 0;
    }
    for (uint32_t i = 0; i < NET_DEALERS_MAX; i++)
        if (n->dpeers[i].sock) {
            items[k] = (zmq_pollitem_t){n->dpeers[i].sock, 0, ZMQ_POLLIN, 0};
            who[k++] = i + 1;
            items[k] = (zmq_pollitem_t){n->dpeers[i].mon, 0, ZMQ_POLLIN, 0};
            who[k++] = NET_MON_FLAG | (i + 1);
        }
    int r = zmq_poll(items, k, timeout_ms);
    if (r < 0) return zmq_errno() == EINTR ? RONDA_OK : RONDA_ERR_IO;
    for (int i = 0; i < k; i++) {
        if (!(items[i].revents & ZMQ_POLLIN)) continue;
        if (who[i] & NET_MON_FLAG) {
            dpeer *d = &n->dpeers[(who[i] & ~NET_MON_FLAG) - 1];
            if (d->mon) monitor_recv(d);
            continue;
        }
        /* A bounded number per socket per poll, so one busy peer cannot starve the rest. */
        for (int j = 0; j < 64; j++) {
            int events = 0;
            size_t el = sizeof events;
            zmq_getsockopt(items[i].socket, ZMQ_EVENTS, &events, &el);
            if (!(events & ZMQ_POLLIN)) break;
            if (who[i] == 0)
                router_recv(n, ev);
            else
                dealer_recv(n, who[i], ev);
            if (who[i] != 0 && !n->dpeers[who[i] - 1].sock) break; /* disconnected by a callback */
        }
    }
    return RONDA_OK;
}

ronda_err net_send(net *n, uint32_t peer, const uint8_t *data, size_t len) {
    int rc = -1;
    if (peer >= 1 && peer <= NET_DEALERS_MAX) {
        if (n->dpeers[peer - 1].sock) rc = zmq_send(n->dpeers[peer - 1].sock, data, len, ZMQ_DONTWAIT);
    } else if (n->router) {
        for (size_t i = 0; i < SYNC_PEERS_MAX; i++) {
            rpeer *r = &n->rpeers[i];
            if (r->id != peer || peer == 0) continue;
            if (zmq_send(n->router, r->identity, r->identity_len, ZMQ_DONTWAIT | ZMQ_SNDMORE) >= 0)
                rc = zmq_send(n->router, data, len, ZMQ_DONTWAIT);
            break;
        }
    }
    if (rc < 0) {
        n->st.send_dropped++;
        return RONDA_ERR_IO;
    }
    return RONDA_OK;
}

void net_get_stats(net *n, net_stats *out) {
    pthread_mutex_lock(&n->lock);
    *out = n->st;
    pthread_mutex_unlock(&n->lock);
}
