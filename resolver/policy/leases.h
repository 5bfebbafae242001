/*
 * leases.h -- views[].leases: the names a DHCP server handed out, answered by the view.
 *
 * Every lease with a hostname that has not ended gives HOST.LEASE-DOMAIN its address (A or
 * AAAA, TTL LEASES_TTL) and the address its PTR, like a hosts file; a lease that ends while
 * loaded stops being answered then (localdata's expiry), and the file is read again when it
 * changes. See leasefile.h for the formats (dnsmasq, Kea memfile CSV).
 */
#ifndef MEGDNS_LEASES_H
#define MEGDNS_LEASES_H

#include "policy/localdata.h"
#include "util/notes.h"

#include <stddef.h>
#include <stdint.h>

#define LEASES_TTL      60 /* leases change: clients should not keep them long */
#define LEASES_MAX_FILE (64u << 20)

/*
 * Load the lease file at path into ld, each host under domain (lower-case wire). Returns 0
 * (bad lines noted, and a file that does not exist yet noted too: the DHCP server may not
 * have written it), or a negative errno for a file that cannot be read, with "PATH: reason"
 * in err.
 */
int leases_load(struct localdata *ld, const char *path, const uint8_t *domain, size_t domain_len,
		struct notes *notes, char *err, size_t errlen);

#endif
