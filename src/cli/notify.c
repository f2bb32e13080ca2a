/* sd_notify glue (see notify.h). */
#include <stdio.h>

#include "cli/notify.h"

#ifdef RONDA_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>

static void send_state(const char *state) { (void)sd_notify(0, state); }

uint64_t notify_watchdog_ms(void) {
    uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return 0;
    return usec / 2000u ? usec / 2000u : 1u;
}
#else
static void send_state(const char *state) { (void)state; }
uint64_t notify_watchdog_ms(void) { return 0; }
#endif

void notify_ready(const char *status) {
    char buf[512];
    snprintf(buf, sizeof buf, "READY=1\nSTATUS=%s", status);
    send_state(buf);
}

void notify_status(const char *status) {
    char buf[512];
    snprintf(buf, sizeof buf, "STATUS=%s", status);
    send_state(buf);
}

void notify_stopping(void) { send_state("STOPPING=1\nSTATUS=stopping"); }

void notify_watchdog(void) { send_state("WATCHDOG=1"); }
