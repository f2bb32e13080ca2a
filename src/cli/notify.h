/* Telling systemd how the daemon is doing (Type=notify services): READY=1 once serving,
 * STATUS=... lines, WATCHDOG=1 pings, STOPPING=1. Through libsystemd's sd_notify when ronda
 * is built with it (RONDA_HAVE_SYSTEMD); otherwise every call does nothing. Outside systemd
 * ($NOTIFY_SOCKET unset) the calls do nothing either. */
#ifndef RONDA_CLI_NOTIFY_H
#define RONDA_CLI_NOTIFY_H

#include <stdint.h>

void notify_ready(const char *status);
void notify_status(const char *status);
void notify_stopping(void);
/* How often to send WATCHDOG=1 (half of WatchdogSec), in ms; 0 when no watchdog is set. */
uint64_t notify_watchdog_ms(void);
void notify_watchdog(void);

#endif
