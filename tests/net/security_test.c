/* The transport's security properties, in process, on 127.0.0.1 (see src/net/net.h).
 *
 * A server built on net_* echoes every message it is given. Against it:
 *   (a) a client whose CURVE key is on the allowlist gets its echo;
 *   (b) a client with an unknown CURVE key gets nothing, and the ZAP handler counted the
 *       refusal; (b2) a client that expects another server key gets nothing either;
 *   (c) a plaintext (NULL mechanism) client gets nothing; its refused handshake (which
 *       libzmq ends before ZAP) is counted and reported;
 *   (d) a client that was allowed and exchanged messages, then removed from the allowlist
 *       (revocation), gets nothing more on its open connection (net_allow reports its peer
 *       down and closes its connection by binding the ROUTER again) and cannot connect
 *       again; others go on;
 *   (e) the trap the net layer exists to close: a raw libzmq CURVE server WITHOUT a ZAP
 *       handler (own context) accepts a client with any key, and the net layer's probe
 *       reports that context as unsafe;
 *   (f) a message larger than ZMQ_MAXMSGSIZE (SYNC_MSG_MAX) from an allowed client is not
 *       delivered (one of SYNC_MSG_MAX - 64 bytes is), and the server keeps serving;
 *   (g) a member that connects again and again (each connection a new ROUTER routing id,
 *       as after a restart or a reconnection) more times than the server has peer slots
 *       is served every time;
 *   (h) a banned member's connection is closed and its new handshakes refused;
 *   (i) every refused handshake is counted, and reported (address and reason) at most
 *       NET_REFUSED_LOG_MAX times a window, however many strangers try.
 * One line per check; exit status 1 on any failure. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "net/net.h"
#include "sync/sync.h"

#define NOTHING_MS 1500 /* "gets nothing" means nothing within this */
#define REPLY_MS 10000  /* a reply that should come must come within this */

static int failures;

static void check(int ok, const char *what, const char *detail) {
    printf("%s %s%s%s\n", ok ? "ok  " : "FAIL", what, detail && *detail ? ": " : "", detail ? detail : "");
    fflush(stdout);
    if (!ok) failures++;
}

static uint64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

typedef struct keys {
    uint8_t sign[32]; /* opaque to the net layer: the member id the ZAP User-Id carries */
    uint8_t cpk[32], csk[32];
} keys;

static void make_keys(keys *k) {
    randombytes_buf(k->sign, sizeof k->sign);
    crypto_box_keypair(k->cpk, k->csk);
}

/* The echo server: its net, and what its callbacks saw. */
typedef struct server {
    net *n;
    char endpoint[64];
    unsigned msgs, ups, downs;
    const char *watch; /* deliveries of this payload (or, when NULL, of this length) */
    size_t watch_len;
    unsigned watched;
    size_t last_len;
    uint32_t last_peer, last_down;
    unsigned refused;                       /* refusals reported one by one */
    char refused_addr[64], refused_why[64]; /* the last one */
} server;

static void srv_up(void *ctx, uint32_t peer) {
    server *s = ctx;
    s->ups++;
    (void)peer;
}
static void srv_down(void *ctx, uint32_t peer) {
    server *s = ctx;
    s->downs++;
    s->last_down = peer;
}
static void srv_refused(void *ctx, const char *address, const char *reason, uint64_t suppressed) {
    server *s = ctx;
    (void)suppressed;
    if (!address) return;
    s->refused++;
    snprintf(s->refused_addr, sizeof s->refused_addr, "%s", address);
    snprintf(s->refused_why, sizeof s->refused_why, "%s", reason);
}
static void srv_msg(void *ctx, uint32_t peer, const uint8_t *data, size_t len) {
    server *s = ctx;
    s->msgs++;
    if (s->watch_len && len == s->watch_len && (!s->watch || memcmp(data, s->watch, len) == 0)) s->watched++;
    s->last_len = len;
    s->last_peer = peer;
    (void)net_send(s->n, peer, data, len);
}

/* A client built on net_*: what it received. */
typedef struct client {
    net *n;
    uint32_t peer;
    unsigned msgs;
    size_t last_len;
    uint8_t last[64];
} client;

static void cli_msg(void *ctx, uint32_t peer, const uint8_t *data, size_t len) {
    client *c = ctx;
    (void)peer;
    c->msgs++;
    c->last_len = len;
    memcpy(c->last, data, len < sizeof c->last ? len : sizeof c->last);
}

static void pump(server *s, client *c, int ms) {
    net_events sev = {s, srv_up, srv_down, srv_msg, NULL, srv_refused};
    net_events cev = {c, NULL, NULL, cli_msg, NULL, NULL};
    (void)net_poll(s->n, ms, &sev);
    if (c) (void)net_poll(c->n, 0, &cev);
}

static int client_new(client *c, const keys *k, const server *s, const uint8_t server_pk[32]) {
    memset(c, 0, sizeof *c);
    if (net_new(NULL, k->cpk, k->csk, &c->n) != RONDA_OK) return 0;
    c->peer = net_connect(c->n, s->endpoint, server_pk, NULL);
    return c->peer != 0;
}

/* Send `msg` (again every 100 ms: the DEALER refuses sends until its handshake is done)
 * until the client has a reply or `ms` pass. Returns whether a reply came. */
static int ask(server *s, client *c, const uint8_t *msg, size_t len, int ms) {
    unsigned before = c->msgs;
    uint64_t end = now_ms() + (uint64_t)ms, next_send = 0;
    while (now_ms() < end && c->msgs == before) {
        if (now_ms() >= next_send) {
            (void)net_send(c->n, c->peer, msg, len);
            next_send = now_ms() + 100;
        }
        pump(s, c, 10);
    }
    return c->msgs != before;
}

/* Pump the server for ms with a raw libzmq client socket sending every 100 ms; returns
 * whether the raw socket received anything. */
static int raw_ask(server *s, void *sock, int ms) {
    uint64_t end = now_ms() + (uint64_t)ms, next_send = 0;
    while (now_ms() < end) {
        if (now_ms() >= next_send) {
            (void)zmq_send(sock, "plain", 5, ZMQ_DONTWAIT);
            next_send = now_ms() + 100;
        }
        pump(s, NULL, 10);
        char buf[64];
        if (zmq_recv(sock, buf, sizeof buf, ZMQ_DONTWAIT) >= 0) return 1;
    }
    return 0;
}

static int server_new(server *s, const keys *k) {
    memset(s, 0, sizeof *s);
    for (int tries = 0; tries < 40; tries++) {
        snprintf(s->endpoint, sizeof s->endpoint, "tcp://127.0.0.1:%u", 20000u + randombytes_uniform(20000));
        if (net_new(s->endpoint, k->cpk, k->csk, &s->n) == RONDA_OK) return 1;
    }
    return 0;
}

/* From now on count deliveries of this payload (a late duplicate of an earlier message,
 * re-sent by ask(), must not count as the check's). */
static void watch(server *s, const char *payload, size_t len) {
    s->watch = payload;
    s->watch_len = len;
    s->watched = 0;
}

static void allow(server *s, const keys *const *members, size_t count) {
    uint8_t sign[8][32], curve[8][32];
    for (size_t i = 0; i < count; i++) {
        memcpy(sign[i], members[i]->sign, 32);
        memcpy(curve[i], members[i]->cpk, 32);
    }
    net_events sev = {s, srv_up, srv_down, srv_msg, NULL, srv_refused};
    if (net_allow(s->n, (const uint8_t(*)[32])sign, (const uint8_t(*)[32])curve, count, &sev) != RONDA_OK)
        check(0, "net_allow", net_error(s->n));
}

/* A ZMTP 3.0 greeting offering `mechanism`, written byte by byte to the server's TCP port
 * (a libzmq client may notice the mismatch first and hang up before the server reads its
 * mechanism). Returns once the server closes the connection, or after REPLY_MS. */
static void raw_greeting(server *s, const char *mechanism) {
    unsigned port = 0;
    if (sscanf(s->endpoint, "tcp://127.0.0.1:%u", &port) != 1) return;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return;
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    uint8_t g[64] = {0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, 3, 0};
    memcpy(g + 12, mechanism, strlen(mechanism)); /* 20 bytes, zero-padded; as-server 0 */
    struct timeval tv = {0, 50000};
    if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0 && write(fd, g, sizeof g) == (ssize_t)sizeof g &&
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0) {
        uint64_t end = now_ms() + REPLY_MS;
        while (now_ms() < end) {
            char buf[256];
            ssize_t r = read(fd, buf, sizeof buf);
            if (r == 0) break; /* the server hung up */
            pump(s, NULL, 10);
        }
    }
    close(fd);
    for (int i = 0; i < 10; i++) pump(s, NULL, 10);
}

/* (e): a CURVE ROUTER in a context with no ZAP handler, and a client it never heard of. */
static void zap_trap(void) {
    void *ctx = zmq_ctx_new();
    keys srv, stranger;
    make_keys(&srv);
    make_keys(&stranger);
    void *router = zmq_socket(ctx, ZMQ_ROUTER), *dealer = zmq_socket(ctx, ZMQ_DEALER);
    int one = 1, linger = 0, bound = 0;
    zmq_setsockopt(router, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(dealer, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(router, ZMQ_CURVE_SERVER, &one, sizeof one);
    zmq_setsockopt(router, ZMQ_CURVE_SECRETKEY, srv.csk, 32);
    /* Even with a ZAP domain set, libzmq 4.3 admits everyone when no handler is bound. */
    zmq_setsockopt(router, ZMQ_ZAP_DOMAIN, NET_ZAP_DOMAIN, strlen(NET_ZAP_DOMAIN));
    char ep[64];
    for (int tries = 0; tries < 40 && !bound; tries++) {
        snprintf(ep, sizeof ep, "tcp://127.0.0.1:%u", 20000u + randombytes_uniform(20000));
        bound = zmq_bind(router, ep) == 0;
    }
    zmq_setsockopt(dealer, ZMQ_CURVE_SERVERKEY, srv.cpk, 32);
    zmq_setsockopt(dealer, ZMQ_CURVE_PUBLICKEY, stranger.cpk, 32);
    zmq_setsockopt(dealer, ZMQ_CURVE_SECRETKEY, stranger.csk, 32);
    int got = 0;
    if (bound && zmq_connect(dealer, ep) == 0) {
        zmq_send(dealer, "anyone", 6, 0);
        int timeout = REPLY_MS;
        zmq_setsockopt(router, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
        char id[256], body[64];
        got = zmq_recv(router, id, sizeof id, 0) >= 0 && zmq_recv(router, body, sizeof body, 0) == 6 &&
              memcmp(body, "anyone", 6) == 0;
    }
    check(got, "(e) ZAP trap: a raw CURVE server with no ZAP handler accepts an unknown client key",
          got ? "demonstrated (this is what net_new's ZAP handler and probe prevent)"
              : "the unknown client was not accepted");
    check(!net_zap_probe(ctx), "(e) net_zap_probe() reports a context without a ZAP handler as unsafe", NULL);
    zmq_close(dealer);
    zmq_close(router);
    zmq_ctx_term(ctx);
}

int main(void) {
    if (sodium_init() < 0) return 2;
    setvbuf(stdout, NULL, _IOLBF, 0);
    keys skeys, a, r, u, other;
    make_keys(&skeys);
    make_keys(&a);
    make_keys(&r);
    make_keys(&u);
    make_keys(&other);
    server s;
    if (!server_new(&s, &skeys)) {
        printf("FAIL cannot start the server on loopback\n");
        return 1;
    }
    const keys *members[] = {&a, &r};
    allow(&s, members, 2);
    char detail[200];
    net_stats st;

    /* (a) */
    client ca;
    int ok = client_new(&ca, &a, &s, skeys.cpk) && ask(&s, &ca, (const uint8_t *)"hello", 5, REPLY_MS);
    ok = ok && ca.last_len == 5 && memcmp(ca.last, "hello", 5) == 0 && s.last_peer >= NET_ROUTER_PEER_BASE;
    net_get_stats(s.n, &st);
    snprintf(detail, sizeof detail, "echo of %zu bytes; server peer %u; zap_accepted %llu", ca.last_len, s.last_peer,
             (unsigned long long)st.zap_accepted);
    check(ok && st.zap_accepted > 0, "(a) an allowed client key gets an echo", detail);

    /* (b) */
    net_stats before;
    net_get_stats(s.n, &before);
    client cu;
    watch(&s, "let me in", 9);
    ok = client_new(&cu, &u, &s, skeys.cpk) && !ask(&s, &cu, (const uint8_t *)"let me in", 9, NOTHING_MS);
    net_get_stats(s.n, &st);
    snprintf(detail, sizeof detail, "zap_refused %llu -> %llu; delivered %u; reported: %s, %s",
             (unsigned long long)before.zap_refused, (unsigned long long)st.zap_refused, s.watched, s.refused_addr,
             s.refused_why);
    check(ok && st.zap_refused > before.zap_refused && s.watched == 0 && s.refused > 0 &&
              strcmp(s.refused_addr, "127.0.0.1") == 0 && strcmp(s.refused_why, "not a live member's key") == 0,
          "(b) an unknown CURVE key gets nothing and is refused by ZAP", detail);
    net_destroy(&cu.n);

    /* (b2) an allowed client key, but the client expects another server's key */
    client cw;
    watch(&s, "who are you", 11);
    ok = client_new(&cw, &a, &s, other.cpk) && !ask(&s, &cw, (const uint8_t *)"who are you", 11, NOTHING_MS);
    check(ok && s.watched == 0, "(b2) a client expecting another server key gets nothing", NULL);
    net_destroy(&cw.n);

    /* (c) */
    void *pctx = zmq_ctx_new();
    void *plain = zmq_socket(pctx, ZMQ_DEALER);
    int linger = 0;
    zmq_setsockopt(plain, ZMQ_LINGER, &linger, sizeof linger);
    watch(&s, "plain", 5);
    ok = zmq_connect(plain, s.endpoint) == 0 && !raw_ask(&s, plain, NOTHING_MS);
    snprintf(detail, sizeof detail, "delivered %u", s.watched);
    check(ok && s.watched == 0, "(c) a plaintext (NULL mechanism) client gets nothing", detail);
    /* It never reaches ZAP (the greeting's mechanism differs), but it is counted and reported. */
    raw_greeting(&s, "NULL");
    net_get_stats(s.n, &st);
    snprintf(detail, sizeof detail, "handshakes_failed %llu; last reported: %s, %s",
             (unsigned long long)st.handshakes_failed, s.refused_addr, s.refused_why);
    check(st.handshakes_failed > 0 && strcmp(s.refused_why, "not CURVE (a NULL or PLAIN client)") == 0,
          "(c) the NULL client's refused handshake is counted and reported", detail);
    zmq_close(plain);
    zmq_ctx_term(pctx);

    /* (d) */
    client cr;
    ok = client_new(&cr, &r, &s, skeys.cpk);
    int exchanged = 0;
    for (int i = 0; ok && i < 3; i++) exchanged += ask(&s, &cr, (const uint8_t *)"report", 6, REPLY_MS);
    uint32_t r_peer = s.last_peer;
    check(exchanged == 3, "(d) before revocation: the member exchanges messages", NULL);
    net_get_stats(s.n, &before);
    unsigned downs_before = s.downs;
    const keys *remaining[] = {&a};
    allow(&s, remaining, 1); /* revoke r */
    watch(&s, "still here?", 11);
    ok = !ask(&s, &cr, (const uint8_t *)"still here?", 11, NOTHING_MS);
    net_get_stats(s.n, &st);
    snprintf(detail, sizeof detail, "ROUTER bound again %llu -> %llu; peer %u reported down: %s",
             (unsigned long long)before.rebinds, (unsigned long long)st.rebinds, r_peer,
             s.downs > downs_before && s.last_down == r_peer ? "yes" : "no");
    check(ok && s.watched == 0 && st.rebinds > before.rebinds && s.downs > downs_before && s.last_down == r_peer,
          "(d) after revocation: nothing more on its open connection", detail);
    net_destroy(&cr.n);
    net_get_stats(s.n, &before);
    watch(&s, "again", 5);
    ok = client_new(&cr, &r, &s, skeys.cpk) && !ask(&s, &cr, (const uint8_t *)"again", 5, NOTHING_MS);
    net_get_stats(s.n, &st);
    snprintf(detail, sizeof detail, "zap_refused %llu -> %llu", (unsigned long long)before.zap_refused,
             (unsigned long long)st.zap_refused);
    check(ok && st.zap_refused > before.zap_refused && s.watched == 0, "(d) after revocation: it cannot connect again",
          detail);
    net_destroy(&cr.n);
    check(ask(&s, &ca, (const uint8_t *)"still on", 8, REPLY_MS), "(d) the remaining member is still served", NULL);

    /* (e) */
    zap_trap();

    /* (f) */
    size_t big = SYNC_MSG_MAX + 1, fits = SYNC_MSG_MAX - 64;
    uint8_t *buf = calloc(1, big);
    if (!buf) return 2;
    memset(buf, 'x', big);
    ok = ask(&s, &ca, buf, fits, REPLY_MS) && ca.last_len == fits;
    snprintf(detail, sizeof detail, "%zu bytes", fits);
    check(ok, "(f) a message just under SYNC_MSG_MAX is delivered and echoed", detail);
    watch(&s, NULL, big);
    (void)net_send(ca.n, ca.peer, buf, big);
    uint64_t end = now_ms() + NOTHING_MS;
    while (now_ms() < end) pump(&s, &ca, 10);
    snprintf(detail, sizeof detail, "%zu bytes (ZMQ_MAXMSGSIZE %u); delivered %u", big, (unsigned)SYNC_MSG_MAX,
             s.watched);
    check(s.watched == 0, "(f) a message larger than ZMQ_MAXMSGSIZE is not delivered", detail);
    free(buf);
    /* The server dropped that connection; the client's DEALER reconnects by itself. */
    check(ask(&s, &ca, (const uint8_t *)"after", 5, REPLY_MS), "(f) afterwards the server still serves the member",
          NULL);

    /* (g) */
    int served = 0, rounds = (int)SYNC_PEERS_MAX + 8;
    unsigned ups0 = s.ups;
    watch(&s, NULL, 0);
    for (int i = 0; i < rounds; i++) {
        client cg;
        if (client_new(&cg, &a, &s, skeys.cpk) && ask(&s, &cg, (const uint8_t *)"hi", 2, REPLY_MS)) served++;
        if (cg.n) net_destroy(&cg.n);
    }
    snprintf(detail, sizeof detail, "%d of %d connections served; new peer ids %u", served, rounds, s.ups - ups0);
    check(served == rounds, "(g) a member reconnecting more often than there are peer slots is served", detail);

    /* (h) a member cut off (net_ban) stays cut off when it reconnects; others are served */
    client cb;
    ok = client_new(&cb, &r, &s, skeys.cpk);
    allow(&s, members, 2); /* r is a member again */
    ok = ok && ask(&s, &cb, (const uint8_t *)"before ban", 10, REPLY_MS);
    uint32_t b_peer = s.last_peer;
    net_get_stats(s.n, &before);
    net_ban(s.n, b_peer);
    watch(&s, "banned?", 7);
    ok = ok && !ask(&s, &cb, (const uint8_t *)"banned?", 7, NOTHING_MS);
    net_destroy(&cb.n);
    ok = ok && client_new(&cb, &r, &s, skeys.cpk) && !ask(&s, &cb, (const uint8_t *)"banned?", 7, NOTHING_MS);
    net_get_stats(s.n, &st);
    snprintf(detail, sizeof detail,
             "ROUTER bound again %llu -> %llu; zap_refused %llu -> %llu (last: %s); delivered %u",
             (unsigned long long)before.rebinds, (unsigned long long)st.rebinds, (unsigned long long)before.zap_refused,
             (unsigned long long)st.zap_refused, s.refused_why, s.watched);
    check(ok && s.watched == 0 && st.rebinds > before.rebinds && st.zap_refused > before.zap_refused,
          "(h) a banned member gets nothing, also on a new connection", detail);
    net_destroy(&cb.n);
    check(ask(&s, &ca, (const uint8_t *)"not me", 6, REPLY_MS), "(h) other members are still served", NULL);

    /* (i) a flood of strangers: all refused and counted, a bounded number reported */
    net_get_stats(s.n, &before);
    unsigned reported0 = s.refused;
    s.refused_addr[0] = s.refused_why[0] = 0;
    enum { STRANGERS = 3 * NET_REFUSED_LOG_MAX };
    client cs[STRANGERS];
    for (int i = 0; i < STRANGERS; i++) {
        keys k;
        make_keys(&k);
        (void)client_new(&cs[i], &k, &s, skeys.cpk);
    }
    end = now_ms() + REPLY_MS;
    do {
        pump(&s, NULL, 10);
        net_get_stats(s.n, &st);
    } while (now_ms() < end && st.zap_refused - before.zap_refused < STRANGERS);
    for (int i = 0; i < 20; i++) pump(&s, NULL, 10);
    for (int i = 0; i < STRANGERS; i++) net_destroy(&cs[i].n);
    /* Earlier checks used part of this window; a window may also end during the flood. */
    unsigned reported = s.refused - reported0;
    snprintf(detail, sizeof detail, "%llu refused, %u reported (at most %u a window); last from %s: %s",
             (unsigned long long)(st.zap_refused - before.zap_refused), reported, NET_REFUSED_LOG_MAX, s.refused_addr,
             s.refused_why);
    check(st.zap_refused - before.zap_refused >= STRANGERS && reported <= 2 * NET_REFUSED_LOG_MAX &&
              s.refused <= 2 * NET_REFUSED_LOG_MAX && (reported == 0 || strcmp(s.refused_addr, "127.0.0.1") == 0),
          "(i) a flood of refused handshakes is counted whole and reported bounded", detail);

    net_destroy(&ca.n);
    net_destroy(&s.n);
    printf("%s: %d failure(s)\n", failures ? "FAIL" : "PASS", failures);
    return failures ? 1 : 0;
}
