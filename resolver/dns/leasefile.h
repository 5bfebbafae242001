/*
 * leasefile.h -- the leases of a DHCP server's lease file: dnsmasq's and Kea's memfile CSV.
 *
 * dnsmasq writes one lease per line, "EXPIRY MAC-OR-IAID ADDRESS HOSTNAME CLIENT-ID" (EXPIRY
 * in Unix seconds, 0: never; HOSTNAME "*": none), and a "duid ..." line before its DHCPv6
 * leases. Kea's memfile backend writes CSV with a header line naming the columns ("address,
 * hwaddr,...,expire,...,hostname,state,..."): it appends a line for each change, so the last
 * line of an address wins; a valid_lifetime of 0 is a deleted lease and a state other than 0
 * (declined, expired-reclaimed) no lease. The format is told by the first line.
 *
 * Only a hostname's first label is taken: the name a client asks for is its own label, placed
 * by the caller under the view's lease domain, never an FQDN the client chose. Nothing is
 * read or allocated beyond the leases handed to the callback.
 */
#ifndef MEGDNS_LEASEFILE_H
#define MEGDNS_LEASEFILE_H

#include <stddef.h>
#include <stdint.h>

struct leasefile_lease {
	int family;        /* AF_INET or AF_INET6 */
	uint8_t addr[16];  /* 4 or 16 bytes, network order */
	uint8_t label[64]; /* the host's label: its length byte, then its lower-case bytes */
	int64_t expire;    /* Unix time the lease ends, 0: never */
};

/* One lease that holds at now; a line that is no lease (why, with its line number). */
struct leasefile_cbs {
	void (*lease)(void *ud, const struct leasefile_lease *l);
	void (*bad)(void *ud, size_t line, const char *why);
	void *ud;
};

/*
 * Hand every lease of buf[0..len) that has a hostname and has not expired at now to
 * cbs->lease, in file order (for Kea, the last line of each address). Lines that are no
 * lease of the format go to cbs->bad; leases without a name are no error. Returns 0, or
 * -ENOMEM.
 */
int leasefile_parse(const char *buf, size_t len, int64_t now, const struct leasefile_cbs *cbs);

#endif
