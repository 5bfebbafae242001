/*
 * addr.h -- socket addresses and prefixes: parse, format, match.
 *
 * Config strings are "ADDR" or "ADDR@PORT" (IPv6 too, e.g. "2620:fe::fe@853") and prefixes
 * "ADDR/LEN". IPv6 link-local addresses may carry a scope ("fe80::1%wg0"). ldns has no zone-id
 * support, so the scope is kept here as an interface *name*: wg0 may not exist yet when the
 * config is read, so the name is turned into an index only when a socket needs it.
 */
#ifndef MEGDNS_ADDR_H
#define MEGDNS_ADDR_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* A transport address with an optional scope interface name. */
struct addr {
	struct sockaddr_storage ss; /* AF_INET or AF_INET6, port set */
	socklen_t len;
	char ifname[IF_NAMESIZE]; /* scope interface ("" = none) */
};

/* An address prefix, optionally limited to one scope interface (IPv6 link-local). */
struct prefix {
	int family;        /* AF_INET or AF_INET6 */
	uint8_t bytes[16]; /* network bytes, host bits zeroed */
	uint8_t len;       /* prefix length in bits */
	char ifname[IF_NAMESIZE];
};

/* Longest text addr_format writes, with NUL: "[ipv6%ifname]:port". */
#define ADDR_STRLEN (INET6_ADDRSTRLEN + IF_NAMESIZE + 10)

/*
 * Parse "ADDR", "ADDR@PORT", "ADDR%IF" or "ADDR%IF@PORT" into *out; a missing port is
 * default_port. Returns 0, or -EINVAL when the text is not such an address.
 */
int addr_parse(const char *text, uint16_t default_port, struct addr *out);

/*
 * Parse "ADDR/LEN", "ADDR" (a host prefix) or either with "%IF" after ADDR.
 * Host bits that are set are an error (-EINVAL), as in most resolvers' ACL syntax.
 */
int prefix_parse(const char *text, struct prefix *out);

/* Fill *out from a sockaddr (IPv4-mapped IPv6 becomes IPv4). */
void addr_from_sockaddr(struct addr *out, const struct sockaddr *sa, socklen_t len);

/* Format "192.0.2.1@53" / "2001:db8::1%wg0@53" into buf (ADDR_STRLEN); returns buf. */
const char *addr_format(const struct addr *a, char *buf, size_t buflen);

/* Format the prefix as "ADDR/LEN[%IF]" into buf; returns buf. */
const char *prefix_format(const struct prefix *p, char *buf, size_t buflen);

/* Same family, address and port (scope ids compared too when both set). */
bool addr_equal(const struct addr *a, const struct addr *b);

/* The port of a (host order). */
uint16_t addr_port(const struct addr *a);

/* Is a 0.0.0.0 or ::? */
bool addr_is_wildcard(const struct addr *a);

/* Is a in 127.0.0.0/8 or ::1? */
bool addr_is_loopback(const struct addr *a);

/*
 * Is the address (family AF_INET or AF_INET6, 4 or 16 bytes) one that names on the internet
 * must not point to, as DNS rebinding does: RFC 1918, 127/8, 0/8, 169.254/16, ::, ::1,
 * fc00::/7, fe80::/10, and IPv4-mapped forms of the IPv4 ones?
 */
bool addr_private(int family, const uint8_t *a);

/*
 * What a user can do about binding a failing with err (a negative errno), as text to follow
 * strerror: " (...)"; "" when there is nothing to add. Port 53 without root fails with EACCES,
 * which alone reads like a file permission problem.
 */
const char *addr_bind_hint(const struct addr *a, int err);

/*
 * Does sa (IPv4, IPv6 or IPv4-mapped IPv6) fall in p?  When p has a scope interface, ifname
 * (the interface the packet arrived on, NULL if unknown) must equal it.
 */
bool prefix_match(const struct prefix *p, const struct sockaddr *sa, const char *ifname);

/*
 * Could name[0..len) be a network interface name (1..IF_NAMESIZE-1 bytes, no blanks, '/',
 * ':', '%' or '@', not "." or "..")? The interface need not exist.
 */
bool addr_ifname_valid(const char *name, size_t len);

/* Does every address in inner also fall in outer (same scope rule)? Used for lint warnings. */
bool prefix_covers(const struct prefix *outer, const struct prefix *inner);

#endif
