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

int forward_init(struct forward *f, const struct config *cfg, char *err, size_t errlen)
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
		fz->stub = z->stub;
	}
	f->defaults = cfg->upstreams;
	f->n_defaults = cfg->n_upstreams;
	return 0;
}

void forward_close(struct forward *f)
{
	free(f->zones);
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
				f->n_defaults ? FORWARD_DEFAULT : FORWARD_ROOT,
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
			s.rule = z->stub ? FORWARD_STUB : FORWARD_ZONE;
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

bool forward_within(const struct forward *f, const struct view *v, const uint8_t *lname,
		    size_t lname_len, const uint8_t *zone, size_t zone_len)
{
	struct forward_set fs = forward_lookup(f, v, lname, lname_len);
	return (fs.rule == FORWARD_ZONE || fs.rule == FORWARD_STUB) &&
	       msg_name_under(fs.zone, fs.zone_len, zone, zone_len);
}
