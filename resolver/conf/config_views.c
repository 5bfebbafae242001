/*
 * config_views.c -- the views: entries of the configuration schema, see config.h.
 *
 * A view's keys say whom it serves (match-*), what it answers itself (zones, records, hosts,
 * local-zones) and where the rest goes (upstreams). Everything read here is checked later
 * against the loaded data by view.c; this file only reads and normalises.
 */
#include "conf/config_impl.h"
#include "conf/confread.h"
#include "util/xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONFIG_VIEW_NAMELEN 63

/* View names show up in CHAOS TXT answers, logs and cache scopes: keep them plain. */
static int config_view_name(struct confread *p, const struct yaml_node *v, void *obj)
{
	struct config_view *view = obj;
	int rc = confread_scalar(p, v, "name");

	if (rc < 0)
		return rc;
	size_t len = strspn(v->text, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				     "0123456789-_.");
	if (len == 0 || v->text[len] != '\0' || len > CONFIG_VIEW_NAMELEN)
		return confread_fail(
		    p, v, "view name '%s' must be 1 to 63 letters, digits, '-', '_' or '.'",
		    v->text);
	view->name = xstrdup(v->text);
	return 0;
}

/* local-zones: {NAME: forward, ...}. */
static int config_local_zones(struct confread *p, const struct yaml_node *v, void *obj)
{
	struct config_view *view = obj;
	if (v->null)
		return 0;
	if (v->type != YAML_MAP)
		return confread_fail(p, v, "local-zones must be a mapping (NAME: forward), not %s",
				     yaml_type_name(v));
	view->local_forward = xcalloc(v->n / 2 + 1, sizeof(*view->local_forward));
	for (const struct yaml_item *k = v->items; k && k->next; k = k->next->next) {
		const struct yaml_node *val = k->next->node;
		char *name = k->node->type == YAML_SCALAR ? config_dname(k->node->text) : NULL;
		if (!name)
			return confread_fail(p, k->node, "'%s' is not a domain name",
					     k->node->text);
		struct config_local_zone *z = &view->local_forward[view->n_local_forward++];
		z->name = name;
		z->pos = config_pos_of(k->node);
		if (val->type != YAML_SCALAR || strcmp(val->text, "forward") != 0)
			return confread_fail(
			    p, val,
			    "local-zones: %s: the value must be 'forward' (resolve "
			    "the default local zone normally), not '%s'",
			    name, val->text);
	}
	return 0;
}

/* A view's blocklists entry: a name, resolved to its list after the whole file is read. */
static int config_list_ref_item(struct confread *p, const struct yaml_node *node, void *slot)
{
	struct config_list_ref *r = slot;
	(void)p;
	r->name = xstrdup(node->text);
	r->pos = config_pos_of(node);
	return 0;
}

static int config_lease_domain(struct confread *p, const struct yaml_node *v, void *obj)
{
	struct config_view *view = obj;
	int rc = confread_scalar(p, v, "lease-domain");
	if (rc < 0)
		return rc;
	free(view->lease_domain);
	view->lease_domain = config_dname(v->text);
	if (!view->lease_domain || !strcmp(view->lease_domain, "."))
		return confread_fail(p, v, "lease-domain '%s' is not a domain name", v->text);
	view->lease_domain_pos = config_pos_of(v);
	return 0;
}

/* A private-domains entry: a domain name, lower case, absolute. */
static int config_private_domain_item(struct confread *p, const struct yaml_node *node, void *slot)
{
	char **name = slot;
	*name = config_dname(node->text);
	if (!*name)
		return confread_fail(p, node, "private-domains: '%s' is not a domain name",
				     node->text);
	return 0;
}

static int config_block_answer(struct confread *p, const struct yaml_node *v, void *obj)
{
	struct config_view *view = obj;
	static const char *const names[] = {"nxdomain", "null", "refused"};
	if (v->type == YAML_SCALAR && v->null && !strcmp(v->text, "null")) {
		view->block_answer = CONFIG_BLOCK_NULL; /* YAML reads a plain null as no value */
		return 0;
	}
	int rc = confread_scalar(p, v, "block-answer");
	for (size_t i = 0; rc == 0 && i < 3; i++)
		if (!strcmp(v->text, names[i])) {
			view->block_answer = (enum config_block_answer)i;
			return 0;
		}
	return rc < 0
		   ? rc
		   : confread_fail(p, v, "block-answer must be nxdomain, null or refused, not '%s'",
				   v->text);
}

const struct confread_key config_view_keys[CONFIG_N_VIEW_KEYS] = {
    {"name", CONFREAD_FUNC, .fn = config_view_name,
     .doc = "the view's name (query logs, metrics, CHAOS TXT view.megdns.)"},
    {"match-clients", CONFREAD_PREFIXES, CONFREAD_ARRAY(struct config_view, clients, n_clients),
     .doc = "source prefixes of the view's clients"},
    {"match-interfaces", CONFREAD_IFNAMES,
     CONFREAD_ARRAY(struct config_view, interfaces, n_interfaces),
     .doc = "interfaces the view's queries arrive on"},
    {"match-destinations", CONFREAD_PREFIXES,
     CONFREAD_ARRAY(struct config_view, destinations, n_destinations),
     .doc = "local addresses the view's queries are sent to"},
    {"zones", CONFREAD_LIST, CONFREAD_ARRAY(struct config_view, zones, n_zones),
     .item_size = sizeof(struct config_zone), .item = config_zone_item,
     .doc = "zone files the view answers authoritatively (AA)"},
    {"records", CONFREAD_LIST, CONFREAD_ARRAY(struct config_view, records, n_records),
     .item_size = sizeof(struct config_record), .item = config_record_item,
     .doc = "single records the view answers (zone-file lines)"},
    {"upstreams", CONFREAD_LIST, CONFREAD_ARRAY(struct config_view, upstreams, n_upstreams),
     .item_size = sizeof(struct addr), .item = config_upstream_item,
     .doc = "the view's own upstreams (ADDR[@PORT][#TLS-NAME]), with a cache scope of its own"},
    {"local-zones", CONFREAD_FUNC, .fn = config_local_zones,
     .doc = "default local zones (RFC 6303, home.arpa...) resolved normally: NAME: forward"},
    {"hosts", CONFREAD_LIST, CONFREAD_ARRAY(struct config_view, hosts, n_hosts),
     .item_size = sizeof(struct config_zone), .item = config_zone_item,
     .doc = "/etc/hosts-format files whose names the view answers (and their PTR)"},
    {"leases", CONFREAD_LIST, CONFREAD_ARRAY(struct config_view, leases, n_leases),
     .item_size = sizeof(struct config_zone), .item = config_zone_item,
     .doc = "DHCP lease files (dnsmasq, Kea memfile CSV): HOST.lease-domain and its PTR"},
    {"lease-domain", CONFREAD_FUNC, .fn = config_lease_domain,
     .doc = "the domain the leases' hostnames are answered under (lan.home.arpa.)"},
    {"blocklists", CONFREAD_LIST, CONFREAD_ARRAY(struct config_view, blocklists, n_blocklists),
     .item_size = sizeof(struct config_list_ref), .item = config_list_ref_item,
     .doc = "names of top-level blocklists this view applies"},
    {"rebind-protection", CONFREAD_BOOL, CONFREAD_FIELD(struct config_view, rebind_protection),
     .def = 1, .doc = "strip answers from outside that point names to private addresses"},
    {"private-domains", CONFREAD_LIST,
     CONFREAD_ARRAY(struct config_view, private_domains, n_private_domains),
     .item_size = sizeof(char *), .item = config_private_domain_item,
     .doc = "names whose upstream answers may hold private addresses"},
    {"block-answer", CONFREAD_FUNC, .fn = config_block_answer,
     .doc = "what a blocked name gets: nxdomain (default), null (0.0.0.0 / ::) or refused"},
};
_Static_assert(CONFREAD_COUNT(config_view_keys) == CONFIG_N_VIEW_KEYS,
	       "CONFIG_N_VIEW_KEYS must count the rows of config_view_keys");

int config_views(struct confread *p, const struct yaml_node *v, void *obj)
{
	struct config *c = obj;
	const struct yaml_item *s;
	long n = confread_items(p, v, "views", true, &s);

	if (n < 0)
		return (int)n;
	c->views = xcalloc((size_t)n, sizeof(*c->views));
	c->n_views = (size_t)n;
	for (struct config_view *view = c->views; s; s = s->next, view++) {
		confread_defaults(config_view_keys, CONFIG_N_VIEW_KEYS, view);
		int rc =
		    confread_map(p, s->node, "view", config_view_keys, CONFIG_N_VIEW_KEYS, view);
		view->pos = config_pos_of(s->node);
		if (rc < 0)
			return rc;
		if (!view->name)
			return confread_fail(p, s->node, "view has no 'name'");
		if (view->n_leases && !view->lease_domain)
			return confread_fail(p, yaml_get(s->node, "leases"),
					     "view '%s' has leases but no lease-domain to answer "
					     "them under (lease-domain: lan.home.arpa.)",
					     view->name);
		for (const struct config_view *o = c->views; o < view; o++)
			if (!strcmp(o->name, view->name))
				return confread_fail(p, yaml_get(s->node, "name"),
						     "duplicate view name '%s'", view->name);
	}
	return 0;
}

void config_free_view(struct config_view *v)
{
	free(v->name);
	free(v->clients);
	for (size_t i = 0; v->interfaces && i < v->n_interfaces; i++)
		free(v->interfaces[i]);
	free(v->interfaces);
	free(v->destinations);
	for (size_t i = 0; v->zones && i < v->n_zones; i++)
		free(v->zones[i].path);
	free(v->zones);
	for (size_t i = 0; v->records && i < v->n_records; i++)
		free(v->records[i].text);
	free(v->records);
	free(v->upstreams);
	for (size_t i = 0; v->local_forward && i < v->n_local_forward; i++)
		free(v->local_forward[i].name);
	free(v->local_forward);
	for (size_t i = 0; v->hosts && i < v->n_hosts; i++)
		free(v->hosts[i].path);
	free(v->hosts);
	for (size_t i = 0; v->leases && i < v->n_leases; i++)
		free(v->leases[i].path);
	free(v->leases);
	free(v->lease_domain);
	for (size_t i = 0; v->private_domains && i < v->n_private_domains; i++)
		free(v->private_domains[i]);
	free(v->private_domains);
	for (size_t i = 0; v->blocklists && i < v->n_blocklists; i++)
		free(v->blocklists[i].name);
	free(v->blocklists);
}

/* ---- blocklists: ---- */

static int config_blocklist_name(struct confread *p, const struct yaml_node *v, void *obj)
{
	struct config_blocklist *bl = obj;
	int rc = confread_scalar(p, v, "name");
	if (rc < 0)
		return rc;
	size_t len = strspn(v->text, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				     "0123456789-_.");
	if (v->text[len] != '\0' || len > CONFIG_VIEW_NAMELEN)
		return confread_fail(
		    p, v, "blocklist name '%s' must be 1 to 63 letters, digits, '-', '_' or '.'",
		    v->text);
	bl->name = xstrdup(v->text);
	return 0;
}

const struct confread_key config_blocklist_keys[CONFIG_N_BLOCKLIST_KEYS] = {
    {"name", CONFREAD_FUNC, .fn = config_blocklist_name,
     .doc = "the list's name (views[].blocklists, metrics, EDE text)"},
    {"files", CONFREAD_LIST, CONFREAD_ARRAY(struct config_blocklist, files, n_files),
     .item_size = sizeof(struct config_zone), .item = config_zone_item,
     .doc = "files of names to block: hosts, domains, Adblock or RPZ, found per file"},
    {"allow", CONFREAD_LIST, CONFREAD_ARRAY(struct config_blocklist, allow, n_allow),
     .item_size = sizeof(struct config_zone), .item = config_zone_item,
     .doc = "files of names this list never blocks (and the names below them)"},
};

int config_blocklists(struct confread *p, const struct yaml_node *v, void *obj)
{
	struct config *c = obj;
	const struct yaml_item *s;
	long n = confread_items(p, v, "blocklists", true, &s);
	if (n < 0)
		return (int)n;
	c->blocklists = xcalloc((size_t)n + 1, sizeof(*c->blocklists));
	for (; s; s = s->next) {
		struct config_blocklist *bl = &c->blocklists[c->n_blocklists++];
		int rc = confread_map(p, s->node, "blocklist", config_blocklist_keys,
				      CONFIG_N_BLOCKLIST_KEYS, bl);
		bl->pos = config_pos_of(s->node);
		if (rc < 0)
			return rc;
		if (!bl->name)
			return confread_fail(p, s->node, "blocklist has no 'name'");
		if (!bl->n_files)
			return confread_fail(p, s->node, "blocklist '%s' has no 'files'", bl->name);
		for (const struct config_blocklist *o = c->blocklists; o < bl; o++)
			if (!strcmp(o->name, bl->name))
				return confread_fail(p, yaml_get(s->node, "name"),
						     "duplicate blocklist name '%s'", bl->name);
	}
	return 0;
}

int config_views_resolve(struct confread *p, struct config *c)
{
	for (size_t i = 0; i < c->n_views; i++) {
		struct config_view *v = &c->views[i];
		for (size_t k = 0; k < v->n_blocklists; k++) {
			struct config_list_ref *r = &v->blocklists[k];
			for (r->index = 0; r->index < c->n_blocklists; r->index++)
				if (!strcmp(c->blocklists[r->index].name, r->name))
					break;
			if (r->index < c->n_blocklists)
				continue;
			snprintf(p->err, p->errlen,
				 "%s:%d:%d: view '%s': no blocklist named '%s' (define it under "
				 "the top-level blocklists:)",
				 p->path, r->pos.line, r->pos.col, v->name, r->name);
			return -EINVAL;
		}
	}
	return 0;
}

void config_free_blocklist(struct config_blocklist *bl)
{
	free(bl->name);
	for (size_t i = 0; bl->files && i < bl->n_files; i++)
		free(bl->files[i].path);
	free(bl->files);
	for (size_t i = 0; bl->allow && i < bl->n_allow; i++)
		free(bl->allow[i].path);
	free(bl->allow);
}

char **config_data_files(const struct config *cfg, size_t *n)
{
	size_t cap = 1;
	for (size_t i = 0; i < cfg->n_blocklists; i++)
		cap += cfg->blocklists[i].n_files + cfg->blocklists[i].n_allow;
	for (size_t i = 0; i < cfg->n_views; i++)
		cap += cfg->views[i].n_hosts + cfg->views[i].n_leases;
	char **out = xcalloc(cap, sizeof(*out));
	*n = 0;
	for (size_t i = 0; i < cfg->n_blocklists; i++) {
		const struct config_blocklist *b = &cfg->blocklists[i];
		for (size_t k = 0; k < b->n_files; k++)
			out[(*n)++] = b->files[k].path;
		for (size_t k = 0; k < b->n_allow; k++)
			out[(*n)++] = b->allow[k].path;
	}
	for (size_t i = 0; i < cfg->n_views; i++) {
		for (size_t k = 0; k < cfg->views[i].n_hosts; k++)
			out[(*n)++] = cfg->views[i].hosts[k].path;
		for (size_t k = 0; k < cfg->views[i].n_leases; k++)
			out[(*n)++] = cfg->views[i].leases[k].path;
	}
	return out;
}
