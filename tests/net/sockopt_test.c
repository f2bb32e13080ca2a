/* Every socket option the transport sets is checked (src/net/net.c): when libzmq refuses
 * one, net_new refuses to serve and net_connect refuses to connect, naming the option.
 *
 * The test links the transport with zmq_setsockopt and zmq_getsockopt wrapped (ld --wrap):
 * the wrapper fails the one option under test, or (for the read-back of ZMQ_MAXMSGSIZE)
 * reports another value, and passes every other call to libzmq. For each option:
 *   - a ROUTER option: net_new(listen) fails;
 *   - a DEALER option: net_connect returns 0 and net_error() names the option;
 *   - the ZMQ_MAXMSGSIZE read-back differs: both refuse.
 * One line per check; exit status 1 on any failure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <zmq.h>

#include "net/net.h"

int __real_zmq_setsockopt(void *s, int option, const void *val, size_t len);
int __real_zmq_getsockopt(void *s, int option, void *val, size_t *len);
int __wrap_zmq_setsockopt(void *s, int option, const void *val, size_t len);
int __wrap_zmq_getsockopt(void *s, int option, void *val, size_t *len);

static int fail_set = -1;      /* the option zmq_setsockopt refuses (EINVAL) */
static int lie_maxmsgsize = 0; /* zmq_getsockopt(ZMQ_MAXMSGSIZE) reports another bound */

int __wrap_zmq_setsockopt(void *s, int option, const void *val, size_t len) {
    if (option == fail_set) {
        errno = EINVAL;
        return -1;
    }
    return __real_zmq_setsockopt(s, option, val, len);
}

int __wrap_zmq_getsockopt(void *s, int option, void *val, size_t *len) {
    int rc = __real_zmq_getsockopt(s, option, val, len);
    if (rc == 0 && option == ZMQ_MAXMSGSIZE && lie_maxmsgsize && *len == sizeof(int64_t)) {
        int64_t unbounded = -1; /* what libzmq reports for "no limit" */
        memcpy(val, &unbounded, sizeof unbounded);
    }
    return rc;
}

static int failures;

static void check(int ok, const char *what, const char *detail) {
    printf("%s %s%s%s\n", ok ? "ok  " : "FAIL", what, detail && *detail ? ": " : "", detail ? detail : "");
    if (!ok) failures++;
}

typedef struct opt {
    int option;
    const char *name;
    int router, dealer; /* set on the ROUTER / on a DEALER */
} opt;

int main(void) {
    if (sodium_init() < 0) return 2;
    setvbuf(stdout, NULL, _IOLBF, 0);
    uint8_t pk[32], sk[32], server[32], server_sk[32];
    crypto_box_keypair(pk, sk);
    crypto_box_keypair(server, server_sk);
    static const opt opts[] = {
        {ZMQ_SNDHWM, "ZMQ_SNDHWM", 1, 1},
        {ZMQ_RCVHWM, "ZMQ_RCVHWM", 1, 1},
        {ZMQ_LINGER, "ZMQ_LINGER", 1, 1},
        {ZMQ_MAXMSGSIZE, "ZMQ_MAXMSGSIZE", 1, 1},
        {ZMQ_HEARTBEAT_IVL, "ZMQ_HEARTBEAT_IVL", 1, 1},
        {ZMQ_HEARTBEAT_TIMEOUT, "ZMQ_HEARTBEAT_TIMEOUT", 1, 1},
        {ZMQ_HEARTBEAT_TTL, "ZMQ_HEARTBEAT_TTL", 1, 1},
        {ZMQ_HANDSHAKE_IVL, "ZMQ_HANDSHAKE_IVL", 1, 1},
        {ZMQ_RECONNECT_IVL, "ZMQ_RECONNECT_IVL", 1, 1},
        {ZMQ_RECONNECT_IVL_MAX, "ZMQ_RECONNECT_IVL_MAX", 1, 1},
        {ZMQ_CURVE_SERVER, "ZMQ_CURVE_SERVER", 1, 0},
        {ZMQ_ZAP_DOMAIN, "ZMQ_ZAP_DOMAIN", 1, 0},
        {ZMQ_ROUTER_MANDATORY, "ZMQ_ROUTER_MANDATORY", 1, 0},
        {ZMQ_IMMEDIATE, "ZMQ_IMMEDIATE", 0, 1},
        {ZMQ_CURVE_SERVERKEY, "ZMQ_CURVE_SERVERKEY", 0, 1},
        {ZMQ_CURVE_PUBLICKEY, "ZMQ_CURVE_PUBLICKEY", 0, 1},
    };
    char detail[300];
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
        const opt *o = &opts[i];
        char what[120];
        if (o->router) {
            fail_set = o->option;
            net *n = NULL;
            char ep[64];
            snprintf(ep, sizeof ep, "tcp://127.0.0.1:%u", 20000u + randombytes_uniform(20000));
            ronda_err e = net_new(ep, pk, sk, &n);
            fail_set = -1;
            snprintf(what, sizeof what, "ROUTER: %s refused -> net_new refuses to serve", o->name);
            check(e != RONDA_OK && n == NULL, what, NULL);
            net_destroy(&n);
        }
        if (o->dealer) {
            net *n = NULL;
            if (net_new(NULL, pk, sk, &n) != RONDA_OK) {
                check(0, "net_new without listening", NULL);
                continue;
            }
            fail_set = o->option;
            uint32_t peer = net_connect(n, "tcp://127.0.0.1:9", server, NULL);
            fail_set = -1;
            snprintf(what, sizeof what, "DEALER: %s refused -> net_connect refuses, naming it", o->name);
            snprintf(detail, sizeof detail, "peer %u; net_error: %s", peer, net_error(n));
            check(peer == 0 && strstr(net_error(n), o->name) != NULL, what, detail);
            net_destroy(&n);
        }
    }
    /* A libzmq that takes the call but not the value: the security bound is read back. */
    lie_maxmsgsize = 1;
    net *n = NULL;
    ronda_err e = net_new("tcp://127.0.0.1:*", pk, sk, &n);
    check(e != RONDA_OK && n == NULL, "ZMQ_MAXMSGSIZE read back as unbounded -> net_new refuses to serve", NULL);
    net_destroy(&n);
    uint32_t peer = 0;
    if (net_new(NULL, pk, sk, &n) == RONDA_OK) peer = net_connect(n, "tcp://127.0.0.1:9", server, NULL);
    snprintf(detail, sizeof detail, "peer %u; net_error: %s", peer, n ? net_error(n) : "(no net)");
    check(n && peer == 0 && strstr(net_error(n), "ZMQ_MAXMSGSIZE"), "ZMQ_MAXMSGSIZE read back -> net_connect refuses",
          detail);
    net_destroy(&n);
    lie_maxmsgsize = 0;
    /* And with nothing refused, both work. */
    e = net_new("tcp://127.0.0.1:*", pk, sk, &n);
    peer = e == RONDA_OK ? net_connect(n, "tcp://127.0.0.1:9", server, NULL) : 0;
    check(e == RONDA_OK && peer != 0, "nothing refused: net_new serves and net_connect connects", net_error(n));
    net_destroy(&n);
    printf("%s: %d failure(s)\n", failures ? "FAIL" : "PASS", failures);
    return failures ? 1 : 0;
}
