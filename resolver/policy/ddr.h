/*
 * ddr.h -- Discovery of Designated Resolvers (RFC 9462): "_dns.resolver.arpa. SVCB" names
 * megdns's encrypted listeners to a client that found it by its plain address.
 *
 * Every view answers it (the views apply on the encrypted listeners as on port 53): one SVCB
 * record per DoT port, priority 1, alpn "dot", and one per DoH port, priority 2, alpn "h2"
 * with dohpath "PATH{?dns}" (RFC 9461); each with target the name of the listeners'
 * certificate, port, and the listeners' addresses as ipv4hint / ipv6hint (a wildcard
 * listener gives the address the query was sent to). A client is told of the listeners at the
 * address it sent the query to, so each side of the house (the LAN, the WireGuard peers) learns
 * its own; when no listener of a kind is there, of all of that kind. Without encrypted listeners
 * the name has no SVCB: NODATA. resolver.arpa. is a default local zone (special.h): it is never
 * forwarded, since the upstream's answer would send the house's clients to the upstream's resolver
 * instead.
 */
#ifndef MEGDNS_DDR_H
#define MEGDNS_DDR_H

#include "conf/config.h"
#include "dns/msg.h"

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct ddr {
	uint8_t target[MSG_MAX_NAME]; /* lower-case wire; the root when there is no listener */
	size_t target_len;
	const struct config *cfg; /* the listeners */
};

/* From cfg's tls and https listeners and ctx (the certificate's first DNS name); ctx may be
 * NULL. */
void ddr_init(struct ddr *d, const struct config *cfg, SSL_CTX *ctx);

/* Is lname (lower-case wire) _dns.resolver.arpa.? */
bool ddr_is_query(const uint8_t *lname, size_t len);

/*
 * The answer body to q (a query for _dns.resolver.arpa.) that arrived at local (may be
 * NULL): SVCB records for type SVCB, NODATA for the others. Returns its length, 0 if cap is
 * too small.
 */
size_t ddr_answer(const struct ddr *d, const struct msg_query *q,
		  const struct sockaddr_storage *local, uint8_t *out, size_t cap);

#endif
