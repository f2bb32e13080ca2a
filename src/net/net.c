/* ZeroMQ transport with CURVE encryption and a ZAP allowlist (see net.h).
 *
 * Known trap: a CURVE server with no ZAP handler accepts any client key. So the handler
 * thread binds inproc://zeromq.zap.01 and answers before the ROUTER is created, the
 * server sets ZMQ_ZAP_DOMAIN, and the handler refuses every other domain (libzmq 4.3's
 * ZMQ_ZAP_ENFORCE_DOMAIN is a draft option, so the enforcement is ours). The User-Id the
 * handler returns (the member's signing key, hex) is checked on every message received.
 *
 * Closing a member's connection: a ROUTER in libzmq 4.3 cannot close one peer's
 * connection, but zmq_unbind() terminates every session its listener accepted. So when a
 * key that the ZAP handler admitted since the last bind leaves the allowlist (revoked) or
 * is banned, the ROUTER is unbound and bound again on the same address: that member's
 * connections close and its next handshake is refused; the others reconnect by themselves.
 * The ZAP handler records each admitted key in the same critical section in which it checks
 * the allowlist, so a key admitted under the old allowlist is always seen by net_allow.
 *
 * Refused handshakes are queued by the ZAP thread under the lock, rate-limited there, and
 * reported by net_poll on the caller's thread (the daemon's logger is not thread-safe). */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sodium.h>
#include <zmq.h>

#include "net/net.h"
#include "util/assert.h"

#define ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define IDENTITY_MAX 256u
#define NET_MON_FLAG 0x80000000u /* in net_poll: a dealer's monitor, not the dealer */
#define ENDPOINT_MAX 256u        /* the ROUTER's bound address (ZMQ_LAST_ENDPOINT) */
_Static_assert(NET_DEALERS_MAX < NET_ROUTER_PEER_BASE, "dealer ids (1..NET_DEALERS_MAX) and ROUTER ids do not meet");
_Static_assert(NET_DEALERS_MAX < NET_MON_FLAG, "a dealer's index leaves the monitor flag free");

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
    uint8_t sign[32]; /* the member's signing key the roster gave for this server (net_connect) */
    char endpoint[256];
} dpeer;

struct net {
    void *ctx;
    void *router;     /* NULL when not listening */
    void *router_mon; /* PAIR: the ROUTER's failed handshakes that never reach ZAP */
    void *zap;        /* REP, owned by the ZAP thread */
    pthread_t zap_thread;
    int zap_running;
    pthread_mutex_t lock; /* guards allow and the ZAP counters */
    allow_entry *allow;
    size_t nallow;
    uint8_t curve_pk[32], curve_sk[32];
    char bound_ep[ENDPOINT_MAX]; /* the address the ROUTER is bound to, for binding again */
    int router_lost;             /* it could not be bound again: closed */
    rpeer rpeers[NET_ROUTER_PEERS_MAX];
    uint32_t next_rid;
    dpeer dpeers[NET_DEALERS_MAX];
    unsigned mon_gen; /* makes each monitor endpoint unique */
    unsigned poll_rr; /* net_poll's first socket */
    net_stats st;
    struct { /* under lock: the ZAP handler refuses banned keys */
        uint8_t sign[32];
        uint64_t until; /* mono_ms; 0 = free */
    } bans[NET_BANS_MAX];
    /* Under lock: keys the ZAP handler admitted since the ROUTER was last bound. */
    uint8_t admitted[NET_ADMITTED_MAX][32];
    size_t nadmitted;
    int admitted_lost; /* more were admitted than the set holds */
    /* Under lock: refused handshakes waiting for net_poll, and the rate limit's window. */
    struct {
        char address[NET_ADDRESS_MAX];
        const char *reason; /* a constant */
    } refusals[NET_REFUSED_LOG_MAX];
    size_t nrefusals;
    uint64_t refused_window_end; /* mono_ms */
    uint64_t refused_in_window;  /* refusals queued in this window */
    uint64_t refused_suppressed; /* ...and not queued, in this window */
    uint64_t refused_summary;    /* suppressed in windows that ended, not yet reported */
    char err[200];               /* net_error() */
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

static void set_err(net *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_err(net *n, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(n->err, sizeof n->err, fmt, ap);
    va_end(ap);
}

/* Under lock. */
static int banned_locked(net *n, const uint8_t sign[32], uint64_t now) {
    for (size_t i = 0; i < NET_BANS_MAX; i++)
        if (n->bans[i].until > now && memcmp(n->bans[i].sign, sign, 32) == 0) return 1;
    return 0;
}

/* Under lock: a new window of the refusal log's rate limit when the last one ended. */
static void refused_roll(net *n, uint64_t now) {
    if (now < n->refused_window_end) return;
    n->refused_summary += n->refused_suppressed;
    n->refused_suppressed = 0;
    n->refused_in_window = 0;
    n->refused_window_end = now + NET_REFUSED_LOG_WINDOW_MS;
}

/* Under lock: queue a refusal for net_poll, or count it as not reported. The address comes
 * from libzmq, but is kept printable and bounded all the same. */
static void refused_note(net *n, const char *address, size_t len, const char *reason) {
    refused_roll(n, mono_ms());
    if (n->refused_in_window >= NET_REFUSED_LOG_MAX || n->nrefusals >= NET_REFUSED_LOG_MAX) {
        n->refused_suppressed++;
        return;
    }
    n->refused_in_window++;
    char *a = n->refusals[n->nrefusals].address;
    size_t k = 0;
    for (; k < len && k + 1 < NET_ADDRESS_MAX; k++) a[k] = address[k] >= 0x20 && address[k] < 0x7f ? address[k] : '?';
    a[k] = 0;
    if (k == 0) snprintf(a, NET_ADDRESS_MAX, "(none given)");
    n->refusals[n->nrefusals++].reason = reason;
    RONDA_ASSERT(n->nrefusals <= NET_REFUSED_LOG_MAX && n->refused_in_window <= NET_REFUSED_LOG_MAX);
}

/* The ZAP decision for a CURVE client key, in one critical section with the record of the
 * admitted key (see the file comment). Returns NULL (admitted, sign_out written) or why not. */
static const char *zap_decide(net *n, const uint8_t *curve, uint8_t sign_out[32]) {
    const char *why = "not a live member's key";
    pthread_mutex_lock(&n->lock);
    for (size_t i = 0; i < n->nallow; i++)
        if (memcmp(n->allow[i].curve, curve, 32) == 0) {
            if (banned_locked(n, n->allow[i].sign, mono_ms())) {
                why = "cut off (banned)";
                break;
            }
            memcpy(sign_out, n->allow[i].sign, 32);
            why = NULL;
            int known = 0;
            for (size_t k = 0; k < n->nadmitted && !known; k++) known = memcmp(n->admitted[k], sign_out, 32) == 0;
            if (!known && n->nadmitted < NET_ADMITTED_MAX)
                memcpy(n->admitted[n->nadmitted++], sign_out, 32);
            else if (!known)
                n->admitted_lost = 1;
            RONDA_ASSERT(n->nadmitted <= NET_ADMITTED_MAX);
            break;
        }
    pthread_mutex_unlock(&n->lock);
    return why;
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
    if (zmq_getsockopt(sock, ZMQ_RCVMORE, &m, &ml) != 0) return -1; /* then no frame boundary is known */
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
        const char *status = "400", *text = "malformed ZAP request";
        char user[65] = "";
        if (k == 7 && len[0] == 3 && memcmp(f[0], "1.0", 3) == 0 && len[1] >= 0) {
            uint8_t sign[32];
            int domain_ok = len[2] == (int)strlen(NET_ZAP_DOMAIN) && memcmp(f[2], NET_ZAP_DOMAIN, (size_t)len[2]) == 0;
            int curve = len[5] == 5 && memcmp(f[5], "CURVE", 5) == 0;
            const char *why = NULL;
            if (!domain_ok)
                text = "wrong ZAP domain";
            else if (!curve)
                text = "CURVE required";
            else if (len[6] != 32)
                text = "malformed CURVE key";
            else if ((why = zap_decide(n, (const uint8_t *)f[6], sign)) != NULL)
                text = why;
            else {
                status = "200";
                text = "OK";
                ronda_hex(sign, 32, user);
            }
        }
        /* Frame 3 is the peer's address (an IP, from libzmq). */
        pthread_mutex_lock(&n->lock);
        if (status[0] == '2')
            n->st.zap_accepted++;
        else {
            n->st.zap_refused++;
            refused_note(n, f[3], k > 3 && len[3] > 0 ? (size_t)len[3] : 0, text);
        }
        pthread_mutex_unlock(&n->lock);
        zmq_send(n->zap, "1.0", 3, ZMQ_SNDMORE);
        zmq_send(n->zap, f[1], (size_t)(len[1] > 0 ? len[1] : 0), ZMQ_SNDMORE);
        zmq_send(n->zap, status, 3, ZMQ_SNDMORE);
        zmq_send(n->zap, text, strlen(text), ZMQ_SNDMORE);
        zmq_send(n->zap, user, strlen(user), ZMQ_SNDMORE);
        zmq_send(n->zap, "", 0, 0);
    }
}

/* Set one option; on failure return its name (the caller refuses to serve). ZMQ_MAXMSGSIZE
 * is a security bound: an option that did not take is never silently skipped. */
#define SETOPT(sock, opt, val, len)                                                                                    \
    do {                                                                                                               \
        if (zmq_setsockopt((sock), (opt), (val), (len)) != 0) return #opt;                                             \
    } while (0)

/* Every bound on a socket; NULL, or the name of the option libzmq refused. */
static const char *bound(void *sock) {
    int hwm = NET_HWM, linger = 0, hb = NET_HEARTBEAT_MS, hbt = NET_HEARTBEAT_TIMEOUT_MS, hs = NET_HANDSHAKE_MS;
    int64_t maxmsg = NET_MSG_MAX;
    int rc = NET_RECONNECT_MS, rcmax = NET_RECONNECT_MAX_MS;
    SETOPT(sock, ZMQ_SNDHWM, &hwm, sizeof hwm);
    SETOPT(sock, ZMQ_RCVHWM, &hwm, sizeof hwm);
    SETOPT(sock, ZMQ_LINGER, &linger, sizeof linger);
    SETOPT(sock, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
    SETOPT(sock, ZMQ_HEARTBEAT_IVL, &hb, sizeof hb);
    SETOPT(sock, ZMQ_HEARTBEAT_TIMEOUT, &hbt, sizeof hbt);
    SETOPT(sock, ZMQ_HEARTBEAT_TTL, &hbt, sizeof hbt);
    SETOPT(sock, ZMQ_HANDSHAKE_IVL, &hs, sizeof hs);
    SETOPT(sock, ZMQ_RECONNECT_IVL, &rc, sizeof rc);
    SETOPT(sock, ZMQ_RECONNECT_IVL_MAX, &rcmax, sizeof rcmax);
    /* Read back the security bound: a libzmq that took the call but not the value must not serve. */
    int64_t got = 0;
    size_t gl = sizeof got;
    if (zmq_getsockopt(sock, ZMQ_MAXMSGSIZE, &got, &gl) != 0 || gl != sizeof got || got != maxmsg)
        return "ZMQ_MAXMSGSIZE";
    return NULL;
}

/* The ROUTER's options: the bounds, CURVE server with our key, our ZAP domain. */
static const char *router_options(net *n, void *sock) {
    int one = 1;
    const char *bad = bound(sock);
    if (bad) return bad;
    SETOPT(sock, ZMQ_CURVE_SERVER, &one, sizeof one);
    SETOPT(sock, ZMQ_CURVE_SECRETKEY, n->curve_sk, 32);
    SETOPT(sock, ZMQ_ZAP_DOMAIN, NET_ZAP_DOMAIN, strlen(NET_ZAP_DOMAIN));
    SETOPT(sock, ZMQ_ROUTER_MANDATORY, &one, sizeof one);
    /* Read back what admits peers: a CURVE server, in our domain. */
    int srv = 0;
    size_t sl = sizeof srv;
    char dom[32];
    size_t dl = sizeof dom;
    if (zmq_getsockopt(sock, ZMQ_CURVE_SERVER, &srv, &sl) != 0 || srv != 1) return "ZMQ_CURVE_SERVER";
    if (zmq_getsockopt(sock, ZMQ_ZAP_DOMAIN, dom, &dl) != 0 || dl != strlen(NET_ZAP_DOMAIN) + 1 ||
        memcmp(dom, NET_ZAP_DOMAIN, dl) != 0)
        return "ZMQ_ZAP_DOMAIN";
    return NULL;
}

/* Ask the ZAP endpoint about an all-zero key, as libzmq would: a handler must answer, and
 * must refuse. Without an answer no server socket is created (a CURVE server without a
 * ZAP handler would admit anyone). */
int net_zap_probe(void *ctx) {
    void *req = zmq_socket(ctx, ZMQ_REQ);
    if (!req) return 0;
    int linger = 0, timeout = 1000, ok = 0;
    /* Without its timeouts the probe could wait for ever: an option refused is a failed probe. */
    if (zmq_setsockopt(req, ZMQ_LINGER, &linger, sizeof linger) == 0 &&
        zmq_setsockopt(req, ZMQ_RCVTIMEO, &timeout, sizeof timeout) == 0 &&
        zmq_setsockopt(req, ZMQ_SNDTIMEO, &timeout, sizeof timeout) == 0 && zmq_connect(req, ZAP_ENDPOINT) == 0) {
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
        zmq_bind(n->zap, ZAP_ENDPOINT) != 0) {
        fprintf(stderr, "ronda: cannot start the ZAP handler (socket, ZMQ_LINGER or bind): %s; refusing to serve\n",
                zmq_strerror(zmq_errno()));
        goto fail;
    }
    if (pthread_create(&n->zap_thread, NULL, zap_main, n) != 0) goto fail;
    n->zap_running = 1;
    if (!net_zap_probe(n->ctx)) {
        fprintf(stderr, "ronda: the ZAP handler does not answer; refusing to serve\n");
        goto fail;
    }
    /* The probe's refusal is not a peer's. */
    pthread_mutex_lock(&n->lock);
    memset(&n->st, 0, sizeof n->st);
    n->nrefusals = 0;
    n->refused_in_window = n->refused_suppressed = 0;
    pthread_mutex_unlock(&n->lock);
    if (listen) {
        n->router = zmq_socket(n->ctx, ZMQ_ROUTER);
        if (!n->router) goto fail;
        const char *bad = router_options(n, n->router);
        if (bad) {
            fprintf(stderr, "ronda: cannot set %s on the ROUTER: %s; refusing to serve\n", bad,
                    zmq_strerror(zmq_errno()));
            goto fail;
        }
        /* A NULL or PLAIN client fails at the ZMTP greeting, before ZAP: only a monitor sees it. */
        if (zmq_socket_monitor(n->router, "inproc://ronda-router-monitor", ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) != 0 ||
            !(n->router_mon = zmq_socket(n->ctx, ZMQ_PAIR)) ||
            zmq_setsockopt(n->router_mon, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
            zmq_connect(n->router_mon, "inproc://ronda-router-monitor") != 0) {
            fprintf(stderr, "ronda: cannot monitor the ROUTER's handshakes: %s; refusing to serve\n",
                    zmq_strerror(zmq_errno()));
            goto fail;
        }
        size_t el = sizeof n->bound_ep;
        if (zmq_bind(n->router, listen) != 0) {
            fprintf(stderr, "ronda: cannot listen on %s: %s\n", listen, zmq_strerror(zmq_errno()));
            goto fail;
        }
        /* The concrete address (a wildcard port resolved) is what is bound again later. */
        if (zmq_getsockopt(n->router, ZMQ_LAST_ENDPOINT, n->bound_ep, &el) != 0 || el < 2 || n->bound_ep[el - 1] != 0) {
            fprintf(stderr, "ronda: cannot read ZMQ_LAST_ENDPOINT of %s: %s; refusing to serve\n", listen,
                    zmq_strerror(zmq_errno()));
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
    if (n->router_mon) zmq_close(n->router_mon);
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

/* Close every connection to the ROUTER: unbind it (libzmq terminates the sessions its
 * listener accepted) and bind the same address again. The old listener closes on libzmq's
 * I/O thread, so the port can be busy for a moment: retried for NET_REBIND_MS. On failure
 * the ROUTER is closed and the node no longer serves (net_poll reports it). */
static ronda_err rebind(net *n) {
    if (!n->router) return RONDA_OK;
    n->st.rebinds++;
    /* Whoever is admitted from here on connected after the old connections were closed. */
    pthread_mutex_lock(&n->lock);
    n->nadmitted = 0;
    n->admitted_lost = 0;
    pthread_mutex_unlock(&n->lock);
    if (zmq_unbind(n->router, n->bound_ep) != 0) {
        set_err(n, "cannot unbind %s to close revoked connections: %s", n->bound_ep, zmq_strerror(zmq_errno()));
        goto lost;
    }
    for (int waited = 0;; waited += NET_REBIND_STEP_MS) {
        if (zmq_bind(n->router, n->bound_ep) == 0) return RONDA_OK;
        if (zmq_errno() != EADDRINUSE || waited >= NET_REBIND_MS) break;
        struct timespec ts = {0, NET_REBIND_STEP_MS * 1000000L};
        nanosleep(&ts, NULL);
    }
    set_err(n, "cannot listen again on %s: %s", n->bound_ep, zmq_strerror(zmq_errno()));
lost:
    zmq_close(n->router_mon);
    zmq_close(n->router);
    n->router = n->router_mon = NULL;
    n->router_lost = 1;
    memset(n->rpeers, 0, sizeof n->rpeers);
    return RONDA_ERR_IO;
}

/* Under lock: whether a key admitted since the last bind may still be connected and is no
 * longer welcome (not in the allowlist, or banned). */
static int admitted_unwelcome_locked(net *n) {
    if (n->admitted_lost) return 1;
    uint64_t now = mono_ms();
    for (size_t k = 0; k < n->nadmitted; k++) {
        int ok = !banned_locked(n, n->admitted[k], now);
        int found = 0;
        for (size_t i = 0; i < n->nallow && ok && !found; i++)
            found = memcmp(n->allow[i].sign, n->admitted[k], 32) == 0;
        if (!ok || !found) return 1;
    }
    return 0;
}

ronda_err net_allow(net *n, const uint8_t (*sign)[32], const uint8_t (*curve)[32], size_t count, const net_events *ev) {
    if (count > NET_ALLOW_MAX) count = NET_ALLOW_MAX;
    ronda_err e = RONDA_OK;
    allow_entry *a = calloc(count ? count : 1, sizeof *a);
    if (!a) { /* fail closed: no list we can trust, so nobody is admitted */
        count = 0;
        e = RONDA_ERR_NOMEM;
        set_err(n, "out of memory for the allowlist: every handshake refused");
    }
    for (size_t i = 0; i < count; i++) {
        memcpy(a[i].sign, sign[i], 32);
        memcpy(a[i].curve, curve[i], 32);
    }
    pthread_mutex_lock(&n->lock);
    free(n->allow);
    n->allow = a;
    n->nallow = count;
    int close_all = admitted_unwelcome_locked(n);
    pthread_mutex_unlock(&n->lock);
    /* Nothing more goes to a ROUTER peer whose key left the list: its slot goes now. */
    for (size_t i = 0; i < NET_ROUTER_PEERS_MAX; i++) {
        rpeer *r = &n->rpeers[i];
        if (!r->id || allowed_sign(n, r->sign)) continue;
        if (ev && ev->down) ev->down(ev->ctx, r->id);
        memset(r, 0, sizeof *r);
    }
    if (close_all && rebind(n) != RONDA_OK) e = RONDA_ERR_IO;
    return e;
}

uint32_t net_connect(net *n, const char *endpoint, const uint8_t server_curve[32], const uint8_t server_sign[32]) {
    for (uint32_t i = 0; i < NET_DEALERS_MAX; i++) {
        dpeer *d = &n->dpeers[i];
        if (d->sock) continue;
        void *s = zmq_socket(n->ctx, ZMQ_DEALER);
        if (!s) {
            set_err(n, "cannot create a DEALER for %s: %s", endpoint, zmq_strerror(zmq_errno()));
            return 0;
        }
        int one = 1;
        const char *bad = bound(s);
        if (!bad && zmq_setsockopt(s, ZMQ_IMMEDIATE, &one, sizeof one) != 0) bad = "ZMQ_IMMEDIATE";
        if (bad) {
            set_err(n, "cannot set %s on the DEALER: %s; not connecting", bad, zmq_strerror(zmq_errno()));
            zmq_close(s);
            return 0;
        }
        /* A handshake the server refuses (ZAP 400: e.g. our admission has not reached it
         * yet) ends the connection for good in libzmq 4.3: no reconnect. Watch for it and
         * connect again ourselves, with backoff (net_poll). The monitor is attached before
         * connecting: events before it are lost, and a lost refusal would be final. */
        char mon_ep[64];
        snprintf(mon_ep, sizeof mon_ep, "inproc://ronda-dealer-%u-%u", i, ++n->mon_gen);
        void *m = NULL;
        int linger = 0;
        bad = zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, server_curve, 32) != 0  ? "ZMQ_CURVE_SERVERKEY"
              : zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, n->curve_pk, 32) != 0 ? "ZMQ_CURVE_PUBLICKEY"
              : zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, n->curve_sk, 32) != 0 ? "ZMQ_CURVE_SECRETKEY"
                                                                             : NULL;
        if (bad) {
            set_err(n, "cannot set %s on the DEALER: %s; not connecting", bad, zmq_strerror(zmq_errno()));
            zmq_close(s);
            return 0;
        }
        if (zmq_socket_monitor(s, mon_ep,
                               ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                                   ZMQ_EVENT_HANDSHAKE_SUCCEEDED) != 0 ||
            !(m = zmq_socket(n->ctx, ZMQ_PAIR)) || zmq_setsockopt(m, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
            zmq_connect(m, mon_ep) != 0 || zmq_connect(s, endpoint) != 0) {
            set_err(n, "cannot connect to %s: %s", endpoint, zmq_strerror(zmq_errno()));
            if (m) zmq_close(m);
            zmq_close(s);
            return 0;
        }
        d->sock = s;
        d->mon = m;
        d->backoff_ms = NET_RECONNECT_MS;
        memcpy(d->curve, server_curve, 32);
        if (server_sign)
            memcpy(d->sign, server_sign, 32);
        else
            memset(d->sign, 0, 32);
        snprintf(d->endpoint, sizeof d->endpoint, "%s", endpoint);
        RONDA_ASSERT(i + 1 <= NET_DEALERS_MAX);
        return i + 1;
    }
    return 0;
}

void net_disconnect(net *n, uint32_t peer) {
    if (peer >= 1 && peer <= NET_DEALERS_MAX && n->dpeers[peer - 1].sock) dpeer_close(&n->dpeers[peer - 1]);
    for (size_t i = 0; i < NET_ROUTER_PEERS_MAX; i++)
        if (n->rpeers[i].id == peer && peer != 0) memset(&n->rpeers[i], 0, sizeof n->rpeers[i]);
}

const uint8_t *net_peer_curve(const net *n, uint32_t peer) {
    if (peer >= 1 && peer <= NET_DEALERS_MAX && n->dpeers[peer - 1].sock) return n->dpeers[peer - 1].curve;
    return NULL;
}

const uint8_t *net_peer_sign(const net *n, uint32_t peer) {
    if (peer >= 1 && peer <= NET_DEALERS_MAX) {
        const dpeer *d = &n->dpeers[peer - 1];
        return d->sock && !sodium_is_zero(d->sign, sizeof d->sign) ? d->sign : NULL;
    }
    for (size_t i = 0; i < NET_ROUTER_PEERS_MAX && peer >= NET_ROUTER_PEER_BASE; i++)
        if (n->rpeers[i].id == peer) return n->rpeers[i].sign;
    return NULL;
}

/* The ROUTER peer table: a used slot has an id of the ROUTER range, unique, and an identity
 * that fits; a free one is all zero. Walked when a slot is taken (a new member's first
 * message), not per message. */
static void rpeers_assert(const net *n) {
    for (size_t i = 0; i < NET_ROUTER_PEERS_MAX; i++) {
        const rpeer *r = &n->rpeers[i];
        if (!r->id) {
            RONDA_ASSERT(r->identity_len == 0);
            continue;
        }
        RONDA_ASSERT_MSG(r->id >= NET_ROUTER_PEER_BASE && r->identity_len <= IDENTITY_MAX, "slot %zu: id %u", i, r->id);
        for (size_t k = 0; k < i; k++)
            RONDA_ASSERT_MSG(n->rpeers[k].id != r->id, "id %u in slots %zu and %zu", r->id, k, i);
    }
}

/* One slot (and peer id) per member, found by the signing key its handshake proved. Each
 * connection has a new routing id (a restarted or reconnected peer), so keying slots by
 * routing id leaked one per reconnection until the table was full and new peers were
 * ignored. A member's newest connection takes over its slot: replies go there. */
static rpeer *rpeer_for(net *n, const uint8_t *identity, size_t len, const uint8_t *sign, const net_events *ev) {
    rpeer *free_slot = NULL;
    if (len > IDENTITY_MAX) return NULL;
    for (size_t i = 0; i < NET_ROUTER_PEERS_MAX; i++) {
        rpeer *r = &n->rpeers[i];
        if (r->id && memcmp(r->sign, sign, 32) == 0) {
            memcpy(r->identity, identity, len);
            r->identity_len = len;
            return r;
        }
        if (!r->id && !free_slot) free_slot = r;
    }
    if (!free_slot) return NULL; /* full: the peer is ignored */
    /* Ids are never reused while in use and stay above the dealers' 1..NET_DEALERS_MAX, also
     * after 2^32 connections have worn the counter round (each member reconnecting often). */
    for (int taken = 1; taken;) {
        if (n->next_rid < NET_ROUTER_PEER_BASE) n->next_rid = NET_ROUTER_PEER_BASE;
        taken = 0;
        for (size_t i = 0; i < NET_ROUTER_PEERS_MAX; i++) taken |= n->rpeers[i].id == n->next_rid;
        if (taken) n->next_rid++;
    }
    free_slot->id = n->next_rid++;
    memcpy(free_slot->identity, identity, len);
    free_slot->identity_len = len;
    memcpy(free_slot->sign, sign, 32);
    rpeers_assert(n);
    if (ev->up) ev->up(ev->ctx, free_slot->id);
    return free_slot;
}

static int banned(net *n, const uint8_t sign[32]) {
    pthread_mutex_lock(&n->lock);
    int b = banned_locked(n, sign, mono_ms());
    pthread_mutex_unlock(&n->lock);
    return b;
}

void net_ban(net *n, uint32_t peer) {
    int close_all = 0;
    pthread_mutex_lock(&n->lock);
    for (size_t i = 0; i < NET_ROUTER_PEERS_MAX; i++) {
        rpeer *r = &n->rpeers[i];
        if (r->id != peer || peer == 0) continue;
        size_t slot = 0; /* a free or expired slot, else the ban ending first */
        for (size_t k = 0; k < NET_BANS_MAX; k++)
            if (n->bans[k].until < n->bans[slot].until) slot = k;
        memcpy(n->bans[slot].sign, r->sign, 32);
        n->bans[slot].until = mono_ms() + NET_BAN_MS;
        close_all = admitted_unwelcome_locked(n);
    }
    pthread_mutex_unlock(&n->lock);
    net_disconnect(n, peer);
    /* A failure closes the ROUTER; net_poll then reports it (net_error says why). */
    if (close_all) (void)rebind(n);
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
        for (size_t i = 0; i < NET_ROUTER_PEERS_MAX; i++) {
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
    if (banned(n, sign)) {
        n->st.dropped_banned++;
        goto out;
    }
    rpeer *r = rpeer_for(n, zmq_msg_data(&id), zmq_msg_size(&id), sign, ev);
    if (r && ev->msg) ev->msg(ev->ctx, r->id, zmq_msg_data(&body), zmq_msg_size(&body));
out:
    zmq_msg_close(&id);
    zmq_msg_close(&body);
}

/* One monitor event of a dealer: a refused handshake schedules a connect again. */
static void monitor_recv(dpeer *d, uint32_t peer, const net_events *nev) {
    zmq_msg_t ev, addr;
    zmq_msg_init(&ev);
    zmq_msg_init(&addr);
    if (zmq_msg_recv(&ev, d->mon, ZMQ_DONTWAIT) >= 0 && zmq_msg_more(&ev) &&
        zmq_msg_recv(&addr, d->mon, ZMQ_DONTWAIT) >= 0 && zmq_msg_size(&ev) >= 2) {
        uint16_t event;
        memcpy(&event, zmq_msg_data(&ev), sizeof event);
        if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
            d->backoff_ms = NET_RECONNECT_MS;
            if (nev->ready) nev->ready(nev->ctx, peer);
        } else {
            d->redial_at = mono_ms() + (uint64_t)d->backoff_ms;
            d->backoff_ms = d->backoff_ms * 2 > NET_RECONNECT_MAX_MS ? NET_RECONNECT_MAX_MS : d->backoff_ms * 2;
        }
    }
    zmq_msg_close(&ev);
    zmq_msg_close(&addr);
}

/* One event of the ROUTER's monitor: a handshake that broke the protocol before ZAP (a NULL
 * or PLAIN client, a malformed handshake). libzmq names only our own endpoint in these
 * events, never the peer's address; so they are reported without one. Handshakes that are
 * merely abandoned (closed, timed out) are not: every ZAP refusal also ends that way. */
static int router_monitor_recv(net *n) {
    int got = 0;
    zmq_msg_t ev, addr;
    zmq_msg_init(&ev);
    zmq_msg_init(&addr);
    if (zmq_msg_recv(&ev, n->router_mon, ZMQ_DONTWAIT) >= 0 && zmq_msg_more(&ev) &&
        zmq_msg_recv(&addr, n->router_mon, ZMQ_DONTWAIT) >= 0 && zmq_msg_size(&ev) >= 6) {
        uint16_t event;
        uint32_t value;
        memcpy(&event, zmq_msg_data(&ev), sizeof event);
        memcpy(&value, (const uint8_t *)zmq_msg_data(&ev) + 2, sizeof value);
        got = 1;
        (void)event; /* only ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL is asked for */
        const char *why = "malformed handshake";
        if (value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH)
            why = "not CURVE (a NULL or PLAIN client)";
        else if (value == ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC)
            why = "CURVE handshake failed (bad key or box)";
        else if (value >= ZMQ_PROTOCOL_ERROR_ZAP_UNSPECIFIED && value <= ZMQ_PROTOCOL_ERROR_ZAP_INVALID_METADATA)
            why = "ZAP reply malformed";
        static const char unknown[] = "unknown address";
        pthread_mutex_lock(&n->lock);
        n->st.handshakes_failed++;
        refused_note(n, unknown, sizeof unknown - 1, why);
        pthread_mutex_unlock(&n->lock);
    }
    zmq_msg_close(&ev);
    zmq_msg_close(&addr);
    return got;
}

static void dealer_recv(net *n, uint32_t peer, const net_events *ev) {
    RONDA_ASSERT(peer >= 1 && peer <= NET_DEALERS_MAX && n->dpeers[peer - 1].sock);
    zmq_msg_t body;
    zmq_msg_init(&body);
    if (zmq_msg_recv(&body, n->dpeers[peer - 1].sock, ZMQ_DONTWAIT) >= 0 && !zmq_msg_more(&body) && ev->msg)
        ev->msg(ev->ctx, peer, zmq_msg_data(&body), zmq_msg_size(&body));
    zmq_msg_close(&body);
}

/* Report the refusals the ZAP thread queued, outside the lock (the callback logs). */
static void report_refusals(net *n, const net_events *ev) {
    char addr[NET_REFUSED_LOG_MAX][NET_ADDRESS_MAX];
    const char *why[NET_REFUSED_LOG_MAX];
    pthread_mutex_lock(&n->lock);
    refused_roll(n, mono_ms());
    size_t k = n->nrefusals;
    RONDA_ASSERT(k <= NET_REFUSED_LOG_MAX);
    for (size_t i = 0; i < k; i++) {
        memcpy(addr[i], n->refusals[i].address, NET_ADDRESS_MAX);
        why[i] = n->refusals[i].reason;
    }
    n->nrefusals = 0;
    uint64_t summary = n->refused_summary;
    n->refused_summary = 0;
    pthread_mutex_unlock(&n->lock);
    if (!ev || !ev->refused) return;
    for (size_t i = 0; i < k; i++) ev->refused(ev->ctx, addr[i], why[i], 0);
    if (summary) ev->refused(ev->ctx, NULL, NULL, summary);
}

ronda_err net_poll(net *n, int timeout_ms, const net_events *ev) {
    if (n->router_lost) return RONDA_ERR_IO; /* rebind failed: this node no longer serves (net_error) */
    report_refusals(n, ev);
    zmq_pollitem_t items[2 + 2 * NET_DEALERS_MAX];
    uint32_t who[2 + 2 * NET_DEALERS_MAX];
    int k = 0;
    uint64_t now = mono_ms();
    for (uint32_t i = 0; i < NET_DEALERS_MAX; i++) {
        dpeer *d = &n->dpeers[i];
        if (!d->sock || !d->redial_at) continue;
        if (now >= d->redial_at) {
            (void)zmq_disconnect(d->sock, d->endpoint); /* the refused endpoint is dead; its entry goes */
            d->redial_at = 0;
            if (zmq_connect(d->sock, d->endpoint) != 0) /* tried again after the next backoff */
                d->redial_at = now + (uint64_t)d->backoff_ms;
        } else if (timeout_ms < 0 || d->redial_at - now < (uint64_t)timeout_ms) {
            timeout_ms = (int)(d->redial_at - now);
        }
    }
    if (n->router) {
        items[k] = (zmq_pollitem_t){n->router, 0, ZMQ_POLLIN, 0};
        who[k++] = 0;
        items[k] = (zmq_pollitem_t){n->router_mon, 0, ZMQ_POLLIN, 0};
        who[k++] = NET_MON_FLAG;
    }
    for (uint32_t i = 0; i < NET_DEALERS_MAX; i++)
        if (n->dpeers[i].sock) {
            items[k] = (zmq_pollitem_t){n->dpeers[i].sock, 0, ZMQ_POLLIN, 0};
            who[k++] = i + 1;
            items[k] = (zmq_pollitem_t){n->dpeers[i].mon, 0, ZMQ_POLLIN, 0};
            who[k++] = NET_MON_FLAG | (i + 1);
        }
    RONDA_ASSERT(k <= (int)(2 + 2 * NET_DEALERS_MAX));
    int r = zmq_poll(items, k, timeout_ms);
    if (r < 0) return zmq_errno() == EINTR ? RONDA_OK : RONDA_ERR_IO;
    uint64_t began = mono_ms();
    /* Each poll starts at the next socket, so when the budget runs out it is not always the
     * same sockets that wait. */
    int first = k > 0 ? (int)(n->poll_rr++ % (unsigned)k) : 0;
    for (int step = 0; step < k && mono_ms() - began < NET_POLL_BUDGET_MS; step++) {
        int i = (first + step) % k;
        if (!(items[i].revents & ZMQ_POLLIN)) continue;
        /* A callback may have closed the ROUTER (net_ban, a failed rebind): its items are stale. */
        if ((who[i] == 0 || who[i] == NET_MON_FLAG) && !n->router) continue;
        if (who[i] == NET_MON_FLAG) {
            for (int j = 0; j < 64 && router_monitor_recv(n); j++) continue;
            continue;
        }
        if (who[i] & NET_MON_FLAG) {
            RONDA_ASSERT((who[i] & ~NET_MON_FLAG) >= 1 && (who[i] & ~NET_MON_FLAG) <= NET_DEALERS_MAX);
            dpeer *d = &n->dpeers[(who[i] & ~NET_MON_FLAG) - 1];
            if (d->mon) monitor_recv(d, who[i] & ~NET_MON_FLAG, ev);
            continue;
        }
        /* A bounded number per socket per poll, so one busy peer cannot starve the rest. */
        for (int j = 0; j < 64; j++) {
            int events = 0;
            size_t el = sizeof events;
            if (who[i] == 0 && !n->router) break; /* closed by a callback */
            if (zmq_getsockopt(items[i].socket, ZMQ_EVENTS, &events, &el) != 0 || !(events & ZMQ_POLLIN)) break;
            if (who[i] == 0)
                router_recv(n, ev);
            else
                dealer_recv(n, who[i], ev);
            if (who[i] != 0 && !n->dpeers[who[i] - 1].sock) break; /* disconnected by a callback */
            if (mono_ms() - began >= NET_POLL_BUDGET_MS) break;    /* the rest waits for the next poll */
        }
    }
    return RONDA_OK;
}

ronda_err net_send(net *n, uint32_t peer, const uint8_t *data, size_t len) {
    int rc = -1;
    if (peer >= 1 && peer <= NET_DEALERS_MAX) {
        if (n->dpeers[peer - 1].sock) rc = zmq_send(n->dpeers[peer - 1].sock, data, len, ZMQ_DONTWAIT);
    } else if (n->router) {
        for (size_t i = 0; i < NET_ROUTER_PEERS_MAX; i++) {
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

const char *net_error(const net *n) { return n->err; }

void net_get_stats(net *n, net_stats *out) {
    pthread_mutex_lock(&n->lock);
    *out = n->st;
    pthread_mutex_unlock(&n->lock);
}
