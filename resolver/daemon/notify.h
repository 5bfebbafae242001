/*
 * notify.h -- tell systemd how the service is doing (sd_notify protocol, Type=notify).
 *
 * The protocol is one datagram of "KEY=VALUE" lines to the unix socket in $NOTIFY_SOCKET;
 * writing it directly spares megdns a libsystemd dependency. Outside systemd (no
 * $NOTIFY_SOCKET) every call does nothing.
 */
#ifndef MEGDNS_NOTIFY_H
#define MEGDNS_NOTIFY_H

/* Send state, e.g. "READY=1" or "RELOADING=1". Returns 0, or a negative errno. */
int notify_send(const char *state);

#endif
