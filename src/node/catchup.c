/* Catch-up progress (see catchup.h). */
#include "node/catchup.h"

#include "util/assert.h"

node_catchup_event node_catchup_update(node_catchup *c, uint64_t stored, uint64_t backlog, uint64_t *done,
                                       uint64_t *total) {
    *done = *total = 0;
    node_catchup_event ev = NODE_CATCHUP_GOING;
    if (!c->active) {
        if (backlog == 0) return NODE_CATCHUP_IDLE;
        c->active = 1;
        c->base = stored;
        ev = NODE_CATCHUP_BEGAN;
    }
    RONDA_ASSERT_MSG(stored >= c->base, "stored %llu below the catch-up's start %llu", (unsigned long long)stored,
                     (unsigned long long)c->base);
    *done = stored - c->base;
    *total = *done + backlog;
    if (backlog == 0) {
        c->active = 0;
        return NODE_CATCHUP_ENDED;
    }
    return ev;
}
