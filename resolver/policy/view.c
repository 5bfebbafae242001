/*
 * view.c -- views: build from config, select per query. See view.h.
 */
#include "policy/view.h"
#include "policy/hosts.h"
#include "policy/leases.h"

#include <ldns/ldns.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool view_any_prefix(const struct prefix *p, size_t n, const struct sockaddr *sa,
			    const char *ifname)
{
	for (size_t i = 0; i < n; i++)
		if (prefix_match(&p[i], sa, ifname))
			return true;
	return false;
}

bool view_matches(const struct view *v, const struct sockaddr *client, const struct sockaddr *local,
		  const char *ifname)
{
	const struct config_view *c = v->cfg;
	if (c->n_clients && !view_any_prefix(c->clients, c->n_clients, client, ifname))
		return false;
	if (c->n_destinations &&
	    (!local || !view_any_prefix(c->destinations, c->n_destinations, local, ifname)))
		return false;
	if (c->n_interfaces) {
		if (!ifname)
			return false;
		size_t i;
		for (i = 0; i < c->n_interfaces; i++)
			if (strcmp(c->interfaces[i], ifname) == 0)
				break;
		if (i == c->n_interfaces)
			return false;
	}
	return true;
}

const struct view *view_select(const struct view_set *vs, const struct sockaddr *client,
			       const struct sockaddr *local, const char *ifname)
{
	for (size_t i = 0; i < vs->n_views; i++)
		if (view_matches(&vs->views[i], client, local, ifname))
			return &vs->views[i];
	return NULL;
}

/* The view's lease files into v->local, each host under lease-domain. */
static int view_leases(struct view *v, const struct config *cfg, struct notes *notes, char *err,
		       size_t errlen)
{
	const struct config_view *c = v->cfg;
	ldns_rdf *d = ldns_dname_new_frm_str(c->lease_domain);
	if (!d) {
		snprintf(err, errlen, "%s:%d:%d: lease-domain %s: no domain name", cfg->path,
			 c->lease_domain_pos.line, c->lease_domain_pos.col, c->lease_domain);
		return -EINVAL;
	}
	ldns_dname2canonical(d);
	char why[1024];
	int r = 0;
	for (size_t i = 0; r == 0 && i < c->n_leases; i++) {
		const struct config_zone *l = &c->leases[i];
		r = leases_load(v->local, l->path, ldns_rdf_data(d), ldns_rdf_size(d), notes, why,
				sizeof(why));
		if (r < 0)
			snprintf(err, errlen, "%s:%d:%d: lease file %s", cfg->path, l->pos.line,
				 l->pos.col, why);
	}
	ldns_rdf_deep_free(d);
	return r;
}

/* Load one view's zones, hosts files, leases and records into v->local. */
static int view_load(struct view *v, const struct config *cfg, struct notes *notes, char *err,
		     size_t errlen)
{
	const struct config_view *c = v->cfg;
	char why[2048]; /* may name two zone files */
	for (size_t i = 0; i < c->n_zones; i++) {
		const struct config_zone *z = &c->zones[i];
		int r = localdata_add_zone(v->local, z->path, why, sizeof(why));
		if (r < 0) {
			/* "PATH: reason" (unreadable file) has no line to point at: point at the
			 * config entry instead. Errors inside the zone keep their own FILE:LINE. */
			size_t pl = strlen(z->path);
			if (!strncmp(why, z->path, pl) && why[pl] == ':' && why[pl + 1] == ' ')
				snprintf(err, errlen, "%s:%d:%d: zone file %s", cfg->path,
					 z->pos.line, z->pos.col, why);
			else
				snprintf(err, errlen, "%s (view '%s')", why, c->name);
			return r;
		}
	}
	for (size_t i = 0; i < c->n_hosts; i++) {
		const struct config_zone *h = &c->hosts[i];
		int r = hosts_load(v->local, h->path, notes, why, sizeof(why));
		if (r < 0) {
			snprintf(err, errlen, "%s:%d:%d: hosts file %s", cfg->path, h->pos.line,
				 h->pos.col, why);
			return r;
		}
	}
	if (c->n_leases && view_leases(v, cfg, notes, err, errlen) < 0)
		return -EINVAL;
	for (size_t i = 0; i < c->n_records; i++) {
		int r = localdata_add_record(v->local, c->records[i].text, why, sizeof(why));
		if (r < 0) {
			snprintf(err, errlen, "%s:%d:%d: record '%s': %s", cfg->path,
				 c->records[i].pos.line, c->records[i].pos.col, c->records[i].text,
				 why);
			return r;
		}
	}
	return 0;
}

/* local-zones: NAME: forward turns off every default zone at or below NAME. */
static int view_special(struct view *v, const struct special *sp, const struct config *cfg,
			char *err, size_t errlen)
{
	const struct config_view *c = v->cfg;
	size_t n = special_count(sp);
	v->special_off = calloc(n, sizeof(*v->special_off));
	if (!v->special_off) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (size_t k = 0; k < c->n_local_forward; k++) {
		const struct config_local_zone *lz = &c->local_forward[k];
		ldns_rdf *name = ldns_dname_new_frm_str(lz->name);
		bool any = false;
		for (size_t i = 0; name && i < n; i++) {
			size_t len;
			const uint8_t *apex = special_apex(sp, i, &len);
			if (msg_name_under(apex, len, ldns_rdf_data(name), ldns_rdf_size(name)))
				any = v->special_off[i] = true;
		}
		ldns_rdf_deep_free(name);
		if (!any) {
			snprintf(
			    err, errlen,
			    "%s:%d:%d: local-zones: %s holds no default local zone (such as "
			    "home.arpa., 168.192.in-addr.arpa., localhost.: see megdns.yaml(5))",
			    cfg->path, lz->pos.line, lz->pos.col, lz->name);
			return -EINVAL;
		}
	}
	return 0;
}

/* The paths of n config entries, for blocklist_load. */
static char **view_paths(const struct config_zone *z, size_t n)
{
	char **p = calloc(n + 1, sizeof(*p));
	for (size_t i = 0; p && i < n; i++)
		p[i] = z[i].path;
	return p;
}

/* Load (or keep from reuse) the list of entry c. */
static int view_list(struct view_set *vs, size_t i, const struct config *cfg,
		     const struct view_set *reuse, char *err, size_t errlen)
{
	const struct config_blocklist *c = &cfg->blocklists[i];
	char **files = view_paths(c->files, c->n_files), **allow = view_paths(c->allow, c->n_allow);
	int r = files && allow ? 0 : -ENOMEM;
	for (size_t k = 0; r == 0 && reuse && k < reuse->n_lists && !vs->lists[i]; k++)
		if (!strcmp(blocklist_name(reuse->lists[k]), c->name) &&
		    blocklist_same(reuse->lists[k], files, c->n_files, allow, c->n_allow))
			vs->lists[i] = blocklist_ref(reuse->lists[k]);
	char why[1024] = "out of memory";
	if (r == 0 && !vs->lists[i]) {
		r = blocklist_load(&vs->lists[i], c->name, files, c->n_files, allow, c->n_allow,
				   &vs->notes, why, sizeof(why));
		vs->list_loaded[i] = r == 0;
	}
	if (r < 0)
		snprintf(err, errlen, "%s:%d:%d: blocklist '%s': %s", cfg->path, c->pos.line,
			 c->pos.col, c->name, why);
	free(files);
	free(allow);
	return r;
}

static int view_lists(struct view_set *vs, const struct config *cfg, const struct view_set *reuse,
		      char *err, size_t errlen)
{
	vs->n_lists = cfg->n_blocklists;
	vs->lists = calloc(vs->n_lists + 1, sizeof(*vs->lists));
	vs->list_loaded = calloc(vs->n_lists + 1, sizeof(*vs->list_loaded));
	if (!vs->lists || !vs->list_loaded) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < vs->n_lists; i++) {
		int r = view_list(vs, i, cfg, reuse, err, errlen);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The view's blocklists, in its order, from the set's. */
static int view_use_lists(struct view *v, const struct view_set *vs)
{
	const struct config_view *c = v->cfg;
	v->lists = calloc(c->n_blocklists + 1, sizeof(*v->lists));
	if (!v->lists)
		return -ENOMEM;
	for (size_t k = 0; k < c->n_blocklists; k++)
		v->lists[v->n_lists++] = vs->lists[c->blocklists[k].index];
	return 0;
}

int view_set_build(struct view_set *vs, const struct config *cfg, const struct view_set *reuse,
		   char *err, size_t errlen)
{
	memset(vs, 0, sizeof(*vs));
	int rl = view_lists(vs, cfg, reuse, err, errlen);
	if (rl < 0 || cfg->n_views == 0) {
		if (rl < 0)
			view_set_close(vs);
		return rl;
	}
	vs->views = calloc(cfg->n_views, sizeof(*vs->views));
	if (!vs->views) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	vs->n_views = cfg->n_views;
	vs->special = special_new();
	for (size_t i = 0; i < cfg->n_views; i++) {
		struct view *v = &vs->views[i];
		v->cfg = &cfg->views[i];
		v->scope = v->cfg->n_upstreams ? v->cfg->name : "";
		v->local = localdata_new();
		if (v->cfg->n_interfaces)
			vs->uses_interfaces = true;
		int r = view_load(v, cfg, &vs->notes, err, errlen);
		if (r == 0)
			localdata_finish(v->local);
		if (r == 0)
			r = view_special(v, vs->special, cfg, err, errlen);
		if (r == 0 && view_use_lists(v, vs) < 0) {
			snprintf(err, errlen, "out of memory");
			r = -ENOMEM;
		}
		if (r < 0) {
			view_set_close(vs);
			return r;
		}
	}
	return 0;
}

struct view_lint {
	const struct config *cfg;
	const struct view *v;
	void (*warn)(void *ud, const char *text);
	void *ud;
};

static void view_lint_overlap(void *arg, const char *name, const char *type, const char *apex)
{
	struct view_lint *L = arg;
	char text[2048];
	snprintf(text, sizeof(text),
		 "%s:%d: warning: view '%s': a records entry and the zone %s both answer %s %s; "
		 "the record wins (records come before zones)",
		 L->cfg->path, L->v->cfg->pos.line, L->v->cfg->name, apex, name, type);
	L->warn(L->ud, text);
}

size_t view_set_lint(const struct view_set *vs, const struct config *cfg,
		     void (*warn)(void *ud, const char *text), void *ud)
{
	size_t count = 0;
	for (size_t i = 0; i < vs->notes.n; i++, count++)
		warn(ud, vs->notes.text[i]);
	for (size_t i = 0; i < vs->n_views; i++) {
		struct view_lint L = {cfg, &vs->views[i], warn, ud};
		count += localdata_overlaps(vs->views[i].local, view_lint_overlap, &L);
	}
	return count;
}

void view_set_close(struct view_set *vs)
{
	for (size_t i = 0; i < vs->n_views; i++) {
		localdata_free(vs->views[i].local);
		free(vs->views[i].special_off);
		free(vs->views[i].lists);
	}
	for (size_t i = 0; vs->lists && i < vs->n_lists; i++)
		blocklist_unref(vs->lists[i]);
	free(vs->lists);
	free(vs->list_loaded);
	vs->lists = NULL;
	vs->n_lists = 0;
	special_free(vs->special);
	notes_free(&vs->notes);
	vs->special = NULL;
	free(vs->views);
	vs->views = NULL;
	vs->n_views = 0;
}
