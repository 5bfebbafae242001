/*
 * forward.c -- choose the upstream servers for a query. See forward.h.
 */
#include "policy/forward.h"

#include "dns/msg.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FORWARD_MAX_RESOLV 8

/* Is a one of this machine's own addresses (loopback or on any interface)? */
static bool forward_is_local(const struct addr *a)
{
	if (addr_is_loopback(a))
		return true;
	struct ifaddrs *ifa;
	bool found = false;
	if (getifaddrs(&ifa) < 0)
		return false;
	for (struct ifaddrs *i = ifa; i && !found; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != a->ss.ss_family)
			continue;
		struct addr local;
		addr_from_sockaddr(&local, i->ifa_addr,
				   i->ifa_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
								      : sizeof(struct sockaddr_in));
		if (local.ss.ss_family == AF_INET)
			((struct sockaddr_in *)&local.ss)->sin_port = htons(addr_port(a));
		else
			((struct sockaddr_in6 *)&local.ss)->sin6_port = htons(addr_port(a));
		found = addr_equal(&local, a);
	}
	freeifaddrs(ifa);
	return found;
}

/*
 * Would sending to a reach megdns itself? A wildcard listener receives on every local
 * address, so any of them with the listener's port counts (a router's resolv.conf often
 * names its own LAN address).
 */
static bool forward_is_self(const struct config *cfg, const struct addr *a)
{
	for (size_t i = 0; i < cfg->n_listen; i++) {
		const struct addr *l = &cfg->listen[i];
		if (addr_equal(l, a))
			return true;
		if (addr_is_wildcard(l) && addr_port(l) == addr_port(a) &&
		    l->ss.ss_family == a->ss.ss_family && forward_is_local(a))
			return true;
	}
	return false;
}

int forward_read_resolv_conf(const char *path, const struct config *cfg, struct addr *out,
			     size_t max)
{
	FILE *fp = fopen(path, "r");
	if (!fp)
		return -errno;
	char line[512];
	size_t n = 0;
	while (n < max && fgets(line, sizeof(line), fp)) {
		char word[32], value[256];
		if (sscanf(line, "%31s %255s", word, value) != 2 || strcmp(word, "nameserver"))
			continue;
		struct addr a;
		if (addr_parse(value, 53, &a) < 0 || forward_is_self(cfg, &a))
			continue;
		out[n++] = a;
	}
	fclose(fp);
	return (int)n;
}

static int forward_defaults(struct forward *f, const struct config *cfg, const char *resolv_conf,
			    char *err, size_t errlen)
{
	size_t n = cfg->n_upstreams ? cfg->n_upstreams : FORWARD_MAX_RESOLV;
	f->defaults = calloc(n, sizeof(*f->defaults));
	if (!f->defaults) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (cfg->n_upstreams) {
		memcpy(f->defaults, cfg->upstreams, n * sizeof(*f->defaults));
		f->n_defaults = n;
		return 0;
	}
	bool any_view_upstreams = false;
	for (size_t i = 0; i < cfg->n_views; i++)
		any_view_upstreams |= cfg->views[i].n_upstreams > 0;
	if (any_view_upstreams || cfg->n_fwd_zones)
		return 0; /* upstreams exist somewhere: no implicit fallback */
	int r = forward_read_resolv_conf(resolv_conf, cfg, f->defaults, n);
	if (r < 0) {
		snprintf(err, errlen, "%s: no upstreams configured and %s: %s", cfg->path,
			 resolv_conf, strerror(-r));
		return r;
	}
	f->n_defaults = (size_t)r;
	f->from_resolv_conf = true;
	return 0;
}

int forward_init(struct forward *f, const struct config *cfg, const char *resolv_conf, char *err,
		 size_t errlen)
{
	memset(f, 0, sizeof(*f));
	if (cfg->n_fwd_zones) {
		f->zones = calloc(cfg->n_fwd_zones, sizeof(*f->zones));
		if (!f->zones) {
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
	}
	for (size_t i = 0; i < cfg->n_fwd_zones; i++) {
		const struct config_fwd_zone *z = &cfg->fwd_zones[i];
		struct forward_zone *fz = &f->zones[f->n_zones++];
		if (msg_name_from_str(z->name, fz->name, &fz->name_len) < 0) {
			snprintf(err, errlen, "%s:%d:%d: bad zone name '%s'", cfg->path,
				 z->pos.line, z->pos.col, z->name);
			forward_close(f);
			return -EINVAL;
		}
		fz->upstreams = z->upstreams;
		fz->n_upstreams = z->n_upstreams;
	}
	int r = forward_defaults(f, cfg, resolv_conf, err, errlen);
	if (r < 0)
		forward_close(f);
	return r;
}

void forward_close(struct forward *f)
{
	free(f->zones);
	free(f->defaults);
	memset(f, 0, sizeof(*f));
}

struct forward_set forward_lookup(const struct forward *f, const struct view *v,
				  const uint8_t *lname, size_t lname_len)
{
	static const uint8_t root[1] = {0};
	struct forward_set s = {f->defaults,
				f->n_defaults,
				root,
				sizeof(root),
				f->from_resolv_conf ? FORWARD_RESOLV_CONF : FORWARD_DEFAULT,
				0};
	if (v && v->cfg->n_upstreams) {
		s.addrs = v->cfg->upstreams;
		s.n = v->cfg->n_upstreams;
		s.rule = FORWARD_VIEW;
		return s;
	}
	size_t best = 0;
	for (size_t i = 0; i < f->n_zones; i++) {
		const struct forward_zone *z = &f->zones[i];
		if (z->name_len > best && msg_name_under(lname, lname_len, z->name, z->name_len)) {
			best = z->name_len;
			s.addrs = z->upstreams;
			s.n = z->n_upstreams;
			s.zone = z->name;
			s.zone_len = z->name_len;
			s.rule = FORWARD_ZONE;
			s.zone_index = i;
		}
	}
	return s;
}

bool forward_elsewhere(const struct forward *f, const struct view *v,
		       const struct forward_set *asked, const uint8_t *zone, size_t zone_len,
		       const uint8_t *lname, size_t lname_len)
{
	struct forward_set s = forward_lookup(f, v, lname, lname_len);
	if (s.zone_len <= zone_len || !msg_name_under(s.zone, s.zone_len, zone, zone_len))
		return false; /* the bailiwick itself, or above it (a DS at a forward zone's apex)
			       */
	return s.zone_len != asked->zone_len || memcmp(s.zone, asked->zone, s.zone_len) != 0;
}
