/* A member that stays silent, for the network tests: it proves a member's real CURVE key,
 * sends one HELLO (so the node registers it and syncs to it), then only listens and writes
 * down every byte it is sent and every connection event, in both directions:
 *
 *   out: its DEALER to the node's ROUTER (--connect), as a member's daemon dials;
 *   in:  its own ROUTER on the member's endpoint (--listen), which the node dials.
 *
 * A flood mode (--strangers N) makes N handshakes with fresh unknown keys instead and counts
 * how many the node refused.
 *
 *   net_silent_peer --key CURVE_KEY_FILE --server HEX --connect ENDPOINT [--listen ENDPOINT]
 *                   [--hello AUTHORITY_HEX] --seconds N
 *   net_silent_peer --strangers N --server HEX --connect ENDPOINT --seconds N
 *
 * Output, one line per event: `WALL_MS DIR EVENT [BYTES]`, DIR `out` or `in`, EVENT one of
 * connected, handshake (succeeded), refused (handshake failed: ZAP or protocol), recv,
 * disconnected; the flood mode ends with `WALL_MS flood refused K of N`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <time.h>
#include <zmq.h>

#include "ronda/ronda.h"
#include "util/util.h"

#define CURVE_KEY_TYPE "ronda-curve25519-secret-v1" /* as `ronda init` writes curve.key */
#define STRANGERS_MAX 200

static uint64_t wall_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void die(const char *what) {
    fprintf(stderr, "net_silent_peer: %s\n", what);
    exit(2);
}

static void must(int ok, const char *what) {
    if (!ok) {
        fprintf(stderr, "net_silent_peer: %s: %s\n", what, zmq_strerror(zmq_errno()));
        exit(2);
    }
}

/* A monitor PAIR for sock's connection events. */
static void *monitor(void *ctx, void *sock, const char *name) {
    char ep[64];
    snprintf(ep, sizeof ep, "inproc://silent-%s", name);
    must(zmq_socket_monitor(sock, ep,
                            ZMQ_EVENT_CONNECTED | ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_HANDSHAKE_SUCCEEDED |
                                ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                                ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_DISCONNECTED) == 0,
         "zmq_socket_monitor");
    void *m = zmq_socket(ctx, ZMQ_PAIR);
    must(m && zmq_connect(m, ep) == 0, "monitor connect");
    return m;
}

/* One monitor event, or 0 when none is waiting. */
static uint16_t monitor_event(void *m) {
    zmq_msg_t ev, addr;
    zmq_msg_init(&ev);
    zmq_msg_init(&addr);
    uint16_t event = 0;
    if (zmq_msg_recv(&ev, m, ZMQ_DONTWAIT) >= 0 && zmq_msg_size(&ev) >= 2) {
        memcpy(&event, zmq_msg_data(&ev), sizeof event);
        if (zmq_msg_more(&ev)) (void)zmq_msg_recv(&addr, m, 0);
    }
    zmq_msg_close(&ev);
    zmq_msg_close(&addr);
    return event;
}

static const char *event_name(uint16_t e) {
    switch (e) {
    case ZMQ_EVENT_CONNECTED:
    case ZMQ_EVENT_ACCEPTED:
        return "connected";
    case ZMQ_EVENT_HANDSHAKE_SUCCEEDED:
        return "handshake";
    case ZMQ_EVENT_DISCONNECTED:
        return "disconnected";
    default:
        return "refused";
    }
}

static void *client(void *ctx, const uint8_t server[32], const uint8_t pk[32], const uint8_t sk[32]) {
    void *s = zmq_socket(ctx, ZMQ_DEALER);
    int linger = 0;
    must(s && zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger) == 0 &&
             zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, server, 32) == 0 &&
             zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, pk, 32) == 0 && zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, sk, 32) == 0,
         "dealer options");
    return s;
}

int main(int argc, char **argv) {
    const char *key = NULL, *server_hex = NULL, *connect = NULL, *listen = NULL, *hello = NULL;
    int seconds = 10, strangers = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--key"))
            key = argv[i + 1];
        else if (!strcmp(argv[i], "--server"))
            server_hex = argv[i + 1];
        else if (!strcmp(argv[i], "--connect"))
            connect = argv[i + 1];
        else if (!strcmp(argv[i], "--listen"))
            listen = argv[i + 1];
        else if (!strcmp(argv[i], "--hello"))
            hello = argv[i + 1];
        else if (!strcmp(argv[i], "--seconds"))
            seconds = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--strangers"))
            strangers = atoi(argv[i + 1]);
        else
            die("unknown option");
    }
    if (sodium_init() < 0) die("sodium_init");
    uint8_t server[32], pk[32], sk[32], auth[32];
    if (!server_hex || ronda_unhex(server_hex, server, 32) != RONDA_OK || !connect) die("--server HEX --connect EP");
    if (strangers < 0 || strangers > STRANGERS_MAX) die("--strangers: 0..200");
    if (hello && ronda_unhex(hello, auth, 32) != RONDA_OK) die("--hello AUTHORITY_HEX");
    setvbuf(stdout, NULL, _IOLBF, 0);
    void *ctx = zmq_ctx_new();
    uint64_t end = wall_ms() + (uint64_t)seconds * 1000u;

    if (strangers) { /* each a fresh key the node never heard of */
        void *s[STRANGERS_MAX], *m[STRANGERS_MAX];
        int done[STRANGERS_MAX] = {0}, refused = 0, finished = 0;
        for (int i = 0; i < strangers; i++) {
            uint8_t spk[32], ssk[32];
            crypto_box_keypair(spk, ssk);
            s[i] = client(ctx, server, spk, ssk);
            char name[32];
            snprintf(name, sizeof name, "stranger-%d", i);
            m[i] = monitor(ctx, s[i], name);
            must(zmq_connect(s[i], connect) == 0, "connect");
        }
        while (finished < strangers && wall_ms() < end) {
            for (int i = 0; i < strangers; i++) {
                uint16_t e;
                while (!done[i] && (e = monitor_event(m[i])) != 0) {
                    if (e & (ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                             ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL))
                        done[i] = 1, refused++, finished++;
                    else if (e == ZMQ_EVENT_HANDSHAKE_SUCCEEDED)
                        done[i] = 1, finished++;
                }
            }
            struct timespec ts = {0, 10000000L};
            nanosleep(&ts, NULL);
        }
        printf("%llu flood refused %d of %d\n", (unsigned long long)wall_ms(), refused, strangers);
        for (int i = 0; i < strangers; i++) {
            zmq_close(m[i]);
            zmq_close(s[i]);
        }
        zmq_ctx_term(ctx);
        return 0;
    }

    if (!key || keyfile_read(key, CURVE_KEY_TYPE, sk, sizeof sk) != RONDA_OK) die("--key: a curve.key file");
    crypto_scalarmult_base(pk, sk);
    void *out = client(ctx, server, pk, sk), *mout = monitor(ctx, out, "out"), *in = NULL, *min = NULL;
    must(zmq_connect(out, connect) == 0, "connect");
    if (listen) { /* the member's endpoint, serving with its key, as its daemon would */
        int one = 1, linger = 0;
        in = zmq_socket(ctx, ZMQ_ROUTER);
        must(in && zmq_setsockopt(in, ZMQ_LINGER, &linger, sizeof linger) == 0 &&
                 zmq_setsockopt(in, ZMQ_CURVE_SERVER, &one, sizeof one) == 0 &&
                 zmq_setsockopt(in, ZMQ_CURVE_SECRETKEY, sk, 32) == 0,
             "router options");
        min = monitor(ctx, in, "in");
        must(zmq_bind(in, listen) == 0, "bind");
    }
    sodium_memzero(sk, sizeof sk);
    uint64_t bytes_out = 0, bytes_in = 0;
    while (wall_ms() < end) {
        zmq_pollitem_t items[4] = {
            {out, 0, ZMQ_POLLIN, 0}, {mout, 0, ZMQ_POLLIN, 0}, {in, 0, ZMQ_POLLIN, 0}, {min, 0, ZMQ_POLLIN, 0}};
        if (zmq_poll(items, in ? 4 : 2, 100) < 0) break;
        uint16_t e;
        while ((e = monitor_event(mout)) != 0) {
            printf("%llu out %s\n", (unsigned long long)wall_ms(), event_name(e));
            if (e == ZMQ_EVENT_HANDSHAKE_SUCCEEDED && hello) {
                /* HELLO [0, version 1, authority bin32, digest bin32]: a digest no ledger has,
                 * so the node answers with its frontier and then syncs to us. */
                uint8_t msg[71] = {0x94, 0x00, 0x01, 0xc4, 0x20};
                memcpy(msg + 5, auth, 32);
                msg[37] = 0xc4;
                msg[38] = 0x20;
                memset(msg + 39, 0xee, 32);
                (void)zmq_send(out, msg, sizeof msg, ZMQ_DONTWAIT);
                hello = NULL; /* once: silent from now on */
            }
        }
        while (min && (e = monitor_event(min)) != 0)
            printf("%llu in %s\n", (unsigned long long)wall_ms(), event_name(e));
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        while (zmq_msg_recv(&msg, out, ZMQ_DONTWAIT) >= 0) {
            bytes_out += zmq_msg_size(&msg);
            printf("%llu out recv %zu\n", (unsigned long long)wall_ms(), zmq_msg_size(&msg));
        }
        while (in && zmq_msg_recv(&msg, in, ZMQ_DONTWAIT) >= 0) {
            /* [routing id, payload]: only the payload counts as bytes the node sent us */
            int more = zmq_msg_more(&msg);
            if (!more) {
                bytes_in += zmq_msg_size(&msg);
                printf("%llu in recv %zu\n", (unsigned long long)wall_ms(), zmq_msg_size(&msg));
            }
        }
        zmq_msg_close(&msg);
    }
    printf("%llu total out %llu in %llu\n", (unsigned long long)wall_ms(), (unsigned long long)bytes_out,
           (unsigned long long)bytes_in);
    if (min) zmq_close(min);
    if (in) zmq_close(in);
    zmq_close(mout);
    zmq_close(out);
    zmq_ctx_term(ctx);
    return 0;
}
