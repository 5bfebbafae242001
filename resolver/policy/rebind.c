/*
 * rebind.c -- rebinding protection, see rebind.h.
 */
#include "policy/rebind.h"
#include "dns/msg.h"
#include "policy/localdata.h"

#include <stdio.h>

/* The private-domains entry lname is at or under, or NULL. */
static const char *rebind_private_domain(const struct config_view *c, const uint8_t *lname,
					 size_t len)
{
	for (size_t i = 0; i < c->n_private_domains; i++) {
		uint8_t d[MSG_MAX_NAME]; /* config_dname made it lower case: no allocation here */
		size_t dl;
		if (msg_name_from_str(c->private_domains[i], d, &dl) == 0 &&
		    msg_name_under(lname, len, d, dl))
			return c->private_domains[i];
	}
	return NULL;
}

bool rebind_exempt(const struct forward *f, const struct view *v, const uint8_t *lname, size_t len,
		   char *why, size_t whylen)
{
	const struct config_view *c = v->cfg;
	char zone[MSG_MAX_NAME * 4 + 1];
	const char *domain;
	struct forward_set fs;
	if (!c->rebind_protection) {
		if (why)
			snprintf(why, whylen, "rebind-protection is off in view '%s'", c->name);
		return true;
	}
	if ((domain = rebind_private_domain(c, lname, len))) {
		if (why)
			snprintf(why, whylen, "private addresses allowed: under private-domains %s",
				 domain);
		return true;
	}
	if (localdata_holds(v->local, lname, len)) {
		if (why)
			snprintf(why, whylen, "private addresses allowed: the view's own name");
		return true;
	}
	fs = forward_lookup(f, v, lname, len);
	if (fs.rule == FORWARD_ZONE || fs.rule == FORWARD_STUB) {
		if (why)
			snprintf(why, whylen, "private addresses allowed: the %s zone %s serves it",
				 fs.rule == FORWARD_ZONE ? "forward" : "stub",
				 msg_name_to_str(fs.zone, fs.zone_len, zone, sizeof(zone)));
		return true;
	}
	if (why)
		snprintf(why, whylen,
			 "rebinding protection: an answer from outside with a private address "
			 "(RFC 1918, loopback, link-local, ULA) gets NODATA with EDE 15");
	return false;
}
