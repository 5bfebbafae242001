/*
 * hints.h -- root hints: the root servers to prime from (RFC 8109).
 *
 * Iteration starts at the root, and the first thing it needs is the root's NS set and the
 * addresses of those servers. The hints are only a starting point: a priming query to one of
 * them fetches the real, current set, which then lives in the cache with its TTL. megdns has
 * the IANA hints built in (a.root-servers.net .. m.root-servers.net, IPv4 and IPv6, as of
 * 2023-11 with b.root's new addresses); `recursion.root-hints` replaces them with a file in
 * zone-file format (the root's NS records and an A/AAAA for each of their names), as tests do
 * to point megdns at a fake root on loopback. A file is checked as a whole: it must hold at
 * least one NS record for the root, every record must be an NS of the root or an address of
 * one of its names, every name must have an address, and nothing else may be in it.
 */
#ifndef MEGDNS_HINTS_H
#define MEGDNS_HINTS_H

#include "conf/config.h"
#include "dns/msg.h"
#include "util/addr.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HINTS_MAX_SERVERS 32 /* NS names the root may have in a hints file */
#define HINTS_MAX_ADDRS   4  /* addresses kept per name */

struct hints_server {
	uint8_t name[MSG_MAX_NAME]; /* lower-case wire */
	size_t name_len;
	struct addr addrs[HINTS_MAX_ADDRS]; /* port 53 */
	size_t n_addrs;
};

struct hints {
	struct hints_server servers[HINTS_MAX_SERVERS];
	size_t n;
};

/*
 * May a resolution from the root send to a, under cfg's recursion keys? Not to a family
 * turned off (recursion.ip4, recursion.ip6), a wildcard address, or loopback unless
 * recursion.query-localhost. For hints, glue and looked-up NS addresses alike.
 */
bool hints_may_ask(const struct config *cfg, const struct addr *a);

/* The built-in IANA root hints. */
void hints_builtin(struct hints *h);

/*
 * Read the hints file at path into h. Returns 0, or a negative errno with "PATH:LINE: what is
 * wrong" (or "PATH: what is wrong" for what the file lacks) in err; h is then empty.
 */
int hints_load(struct hints *h, const char *path, char *err, size_t errlen);

#endif
