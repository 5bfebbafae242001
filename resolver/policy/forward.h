/*
 * forward.h -- which servers serve a (view, qname): upstreams, stub servers, or the root.
 *
 * Precedence, as in the config reference: the view's own upstreams; else the forward or stub
 * zone with the longest suffix match of the qname; else the global upstreams. Without global
 * upstreams the set is empty and the name is resolved from the root (resolve.h). A stub zone's
 * servers are authoritative: the resolution iterates from them with RD clear.
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
	bool stub; /* a stub zone: authoritative servers */
};

struct forward {
	struct forward_zone *zones;
	size_t n_zones;
	const struct addr *defaults; /* the global upstreams, owned by the config */
	size_t n_defaults;
};

/*
 * A list of servers to try, and the bailiwick they were chosen for: the forward or stub
 * zone, or the root for a view's own and the global upstreams. Points into the config or the
 * forward. FORWARD_ROOT has no servers: the name is resolved from the root.
 */
enum forward_rule {
	FORWARD_VIEW,    /* the view's own upstreams (its own cache scope) */
	FORWARD_ZONE,    /* a forward-zones entry, the longest suffix match */
	FORWARD_STUB,    /* a stub-zones entry, the longest suffix match */
	FORWARD_DEFAULT, /* the global upstreams */
	FORWARD_ROOT,    /* no upstreams for the name: iterate from the root */
};

struct forward_set {
	const struct addr *addrs;
	size_t n;
	const uint8_t *zone; /* lower-case wire */
	size_t zone_len;
	enum forward_rule rule; /* which rule chose them */
	size_t zone_index;      /* FORWARD_ZONE, _STUB: the entry's index in forward.zones */
};

/* Prepare f from cfg (which must outlive f). Returns 0 or a negative errno with err set. */
int forward_init(struct forward *f, const struct config *cfg, char *err, size_t errlen);

void forward_close(struct forward *f);

/* The servers for lname (lower-case wire) asked in view v (NULL: none). May be empty. */
struct forward_set forward_lookup(const struct forward *f, const struct view *v,
				  const uint8_t *lname, size_t lname_len);

/*
 * Does a forward or stub zone at or inside zone (lower-case wire) take lname in view v? The
 * default local zones give way to such zones (special.h).
 */
bool forward_within(const struct forward *f, const struct view *v, const uint8_t *lname,
		    size_t lname_len, const uint8_t *zone, size_t zone_len);

/*
 * Is lname, a name inside the bailiwick zone of the upstreams `asked` (forward_lookup's set
 * for the question they are asked, in view v), served by others: does it belong to a forward
 * zone below that bailiwick other than the one `asked` was chosen for? Then those upstreams
 * are not trusted for it (scrub.h), however far up their bailiwick reaches.
 */
bool forward_elsewhere(const struct forward *f, const struct view *v,
		       const struct forward_set *asked, const uint8_t *zone, size_t zone_len,
		       const uint8_t *lname, size_t lname_len);

#endif
