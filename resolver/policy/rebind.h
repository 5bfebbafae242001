/*
 * rebind.h -- rebinding protection: which names of a view may get private addresses from
 * outside.
 *
 * DNS rebinding points a name on the internet at an address inside the house (a router's
 * admin page, 127.0.0.1) so that a web page's script can reach it as that name. As dnsmasq's
 * stop-dns-rebind and Unbound's private-address, megdns strips such answers when they come
 * from upstreams or authoritative servers (msg_answer_private marks them once, when they are
 * resolved; each view decides when it answers). A view leaves a name alone when its
 * rebind-protection is off, when the name is the view's own (zones, records, hosts, leases),
 * when a forward or stub zone serves it (the operator named those servers), or when it is at
 * or under one of the view's private-domains.
 */
#ifndef MEGDNS_REBIND_H
#define MEGDNS_REBIND_H

#include "policy/forward.h"
#include "policy/view.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * May view v answer lname (lower-case wire) with private addresses from outside? When why
 * is not NULL it gets the reason, or what protects the name, as a sentence for explain.
 */
bool rebind_exempt(const struct forward *f, const struct view *v, const uint8_t *lname, size_t len,
		   char *why, size_t whylen);

#endif
