/*
 * forward.h -- which upstream servers serve a (view, qname).
 *
 * Precedence, as in the config reference: the view's own upstreams; else the forward zone
 * with the longest suffix match of the qname; else the global upstreams. A config without any
 * upstreams falls back to the nameservers of /etc/resolv.conf, skipping megdns's own listen
 * addresses so a default install never forwards to itself.
 */
#ifndef MEGDNS_FORWARD_H
#define MEGDNS_FORWARD_H

#include "util/addr.h"
#include "conf/config.h"
#include "policy/view.h"

#include <stddef.h>
#include <stdint.h>

struct forward_zone {
	uint8_t name[255]; /* lower-case wire */
	size_t name_len;
	const struct addr *upstreams; /* owned by the config */
	size_t n_upstreams;
};

struct forward {
	struct forward_zone *zones;
	size_t n_zones;
	struct addr *defaults; /* owned copy: config upstreams or resolv.conf nameservers */
	size_t n_defaults;
	bool from_resolv_conf;
};

/*
 * A list of servers to try, and the bailiwick they were chosen for: the forward zone, or the
 * root for a view's own, the global and the resolv.conf upstreams. Points into the config or
 * the forward.
 */
enum forward_rule {
	FORWARD_VIEW,        /* the view's own upstreams (its own cache scope) */
	FORWARD_ZONE,        /* a forward-zones entry, the longest suffix match */
	FORWARD_DEFAULT,     /* the global upstreams */
	FORWARD_RESOLV_CONF, /* no upstreams configured: the nameservers of /etc/resolv.conf */
};

struct forward_set {
	const struct addr *addrs;
	size_t n;
	const uint8_t *zone; /* lower-case wire */
	size_t zone_len;
	enum forward_rule rule; /* which rule chose them */
	size_t zone_index;      /* FORWARD_ZONE: the entry's index in forward.zones */
};

/*
 * Prepare f from cfg (which must outlive f). resolv_conf is the file to read when cfg has no
 * upstreams at all (normally "/etc/resolv.conf"). Returns 0 or a negative errno with err set.
 */
int forward_init(struct forward *f, const struct config *cfg, const char *resolv_conf, char *err,
		 size_t errlen);

void forward_close(struct forward *f);

/* The servers for lname (lower-case wire) asked in view v (NULL: none). May be empty. */
struct forward_set forward_lookup(const struct forward *f, const struct view *v,
				  const uint8_t *lname, size_t lname_len);

/*
 * Is lname, a name inside the bailiwick zone of the upstreams `asked` (forward_lookup's set
 * for the question they are asked, in view v), served by others: does it belong to a forward
 * zone below that bailiwick other than the one `asked` was chosen for? Then those upstreams
 * are not trusted for it (scrub.h), however far up their bailiwick reaches.
 */
bool forward_elsewhere(const struct forward *f, const struct view *v,
		       const struct forward_set *asked, const uint8_t *zone, size_t zone_len,
		       const uint8_t *lname, size_t lname_len);

/*
 * Read "nameserver" lines of a resolv.conf-format file into out (at most max), skipping any
 * address equal to one of cfg's listen addresses. Returns the count, or a negative errno.
 */
int forward_read_resolv_conf(const char *path, const struct config *cfg, struct addr *out,
			     size_t max);

#endif
