/*
 * proxy.h -- the PROXY protocol header (HAProxy's, versions 1 and 2): the client's address a
 * proxy such as frp, nginx or haproxy carries in front of the bytes it forwards.
 *
 * Version 2 (binary, for UDP and TCP): the 12-byte signature, version and command, family
 * and transport, a length, the addresses, then TLVs (skipped). Version 1 (text, TCP only):
 * "PROXY TCP4|TCP6 SRC DST SPORT DPORT\r\n" or "PROXY UNKNOWN ...\r\n", at most 107 bytes.
 * A LOCAL command (v2) or UNKNOWN (v1) carries no client: the connection is the proxy's own
 * (a health check), and its own address stands. Nothing here allocates; the caller checks
 * who may send a header at all.
 */
#ifndef MEGDNS_PROXY_H
#define MEGDNS_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define PROXY_V1_MAX 107 /* bytes of a version 1 line, "\r\n" included */

struct proxy_header {
	bool local; /* no client carried: LOCAL, UNKNOWN, or family UNSPEC */
	struct sockaddr_storage src, dst;
};

/*
 * Parse the header at the start of buf[0..len). Returns its length (the DNS data follows),
 * 0 when buf is a proper beginning of a header that needs more bytes (TCP), or -EBADMSG when
 * it is no header. v1 is accepted only when allow_v1 (TCP); a datagram must hold v2.
 */
int proxy_parse(const uint8_t *buf, size_t len, bool allow_v1, struct proxy_header *out);

#endif
