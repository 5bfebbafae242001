/*
 * config.c -- the YAML configuration, see config.h.
 *
 * yaml.c turns the file into a tree whose nodes know their line and column, so that every
 * message points at the offending node. The tree is walked once against the key tables
 * below, which check each value and store it in the config.
 *
 * Forgiving where it is unambiguous: a single value where a list is expected is a one-element
 * list, an empty value ("key:" or ~) is an empty section or list, and anchors/aliases work.
 * Strict everywhere else: unknown or repeated keys, wrong types and bad values are errors.
 */
#include "config.h"

#include "suggest.h"
#include "yaml.h"
#include "xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define CONFIG_MIN_CACHE    (64u << 10)
#define CONFIG_MAX_TTL      2147483647u /* RFC 2181 section 8 */
#define CONFIG_VIEW_NAMELEN 63

/* One config_load: where messages go and the config being filled. */
struct cfgp {
	const char *path;
	char *err;
	size_t errlen;
	struct yaml y; /* its arena also holds one-element lists made from single values */
	struct config *cfg;
};

static struct config_pos cfgp_pos(const struct yaml_node *n)
{
	struct config_pos pos = {n->line, n->col};
	return pos;
}

__attribute__((format(printf, 3, 4))) static int
cfgp_fail(struct cfgp *p, const struct yaml_node *at, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (p->errlen == 0)
		return -EINVAL;
	n = snprintf(p->err, p->errlen, "%s:%d:%d: ", p->path, at->line, at->col);
	if (n >= 0 && (size_t)n < p->errlen) {
		va_start(ap, fmt);
		vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* ---- values ---- */

/* A non-empty scalar, or an error naming what. */
static int yscalar(struct cfgp *p, const struct yaml_node *v, const char *what)
{
	if (v->type != YAML_SCALAR)
		return cfgp_fail(p, v, "%s must be a single value, not %s", what,
				 yaml_type_name(v));
	if (v->null)
		return cfgp_fail(p, v, "%s needs a value", what);
	return 0;
}

static int yuint(struct cfgp *p, const struct yaml_node *v, const char *what, uint32_t min,
		 uint32_t max, uint32_t *out)
{
	uint64_t x = 0;
	int rc = yscalar(p, v, what);

	if (rc < 0)
		return rc;
	if (!v->text[0])
		x = (uint64_t)max + 1;
	for (const char *s = v->text; *s && x <= max; s++) {
		if (!isdigit((unsigned char)*s)) {
			x = (uint64_t)max + 1;
			break;
		}
		x = x * 10 + (uint64_t)(*s - '0');
	}
	if (x < min || x > max)
		return cfgp_fail(p, v, "%s must be a number from %u to %u, not '%s'", what,
				 (unsigned)min, (unsigned)max, v->text);
	*out = (uint32_t)x;
	return 0;
}

static int ybool(struct cfgp *p, const struct yaml_node *v, const char *what, bool *out)
{
	static const char *const yes[] = {"true", "yes", "on"};
	static const char *const no[] = {"false", "no", "off"};
	int rc = yscalar(p, v, what);

	if (rc < 0)
		return rc;
	for (size_t i = 0; i < 3; i++) {
		if (!strcasecmp(v->text, yes[i]) || !strcasecmp(v->text, no[i])) {
			*out = !strcasecmp(v->text, yes[i]);
			return 0;
		}
	}
	return cfgp_fail(p, v, "%s must be true or false, not '%s'", what, v->text);
}

/*
 * The items of a list value: a sequence, or a single value taken as a one-element list; an
 * empty value is an empty list. Returns the item count or a negative errno.
 */
static long ylist(struct cfgp *p, const struct yaml_node *v, const char *what,
		  const struct yaml_item **items)
{
	*items = NULL;
	if (v->type == YAML_MAP)
		return cfgp_fail(p, v, "%s must be a list, not a mapping", what);
	if (v->null) {
		*items = NULL;
		return 0;
	}
	if (v->type == YAML_SCALAR) {
		struct yaml_item *s = arena_alloc(&p->y.arena, sizeof(*s));
		s->node = (struct yaml_node *)v;
		s->next = NULL;
		*items = s;
		return 1;
	}
	*items = v->items;
	return (long)v->n;
}

/* An entry of a list, which must be a single value. */
static int yitem(struct cfgp *p, const struct yaml_item *s, const char *what)
{
	if (s->node->type != YAML_SCALAR)
		return cfgp_fail(p, s->node, "entries of %s must be single values, not %s", what,
				 yaml_type_name(s->node));
	if (s->node->null)
		return cfgp_fail(p, s->node, "%s has an empty entry", what);
	return 0;
}

/*
 * Read a list of scalars into a new array of item_size-byte slots (*out, *n): each entry is
 * checked by yitem, then parsed into its slot by item, which reports its own errors.
 */
typedef int (*yitem_fn)(struct cfgp *p, const struct yaml_node *node, void *slot);

static int yread_list(struct cfgp *p, const struct yaml_node *v, const char *what, void **out,
		      size_t *n, size_t item_size, yitem_fn item)
{
	const struct yaml_item *s;
	long count = ylist(p, v, what, &s);

	if (count < 0)
		return (int)count;
	char *slot = xcalloc((size_t)count, item_size);
	*out = slot;
	*n = (size_t)count;
	for (; s; s = s->next, slot += item_size) {
		int rc = yitem(p, s, what);
		if (rc < 0 || (rc = item(p, s->node, slot)) < 0)
			return rc;
	}
	return 0;
}

static int yaddr_item(struct cfgp *p, const struct yaml_node *node, void *slot)
{
	if (addr_parse(node->text, 53, slot) < 0)
		return cfgp_fail(p, node, "'%s' is not an address (ADDR or ADDR@PORT)", node->text);
	return 0;
}

static int yprefix_item(struct cfgp *p, const struct yaml_node *node, void *slot)
{
	if (prefix_parse(node->text, slot) < 0)
		return cfgp_fail(p, node,
				 "'%s' is not an address prefix (ADDR/LEN, host bits zero)",
				 node->text);
	return 0;
}

static int yifname_item(struct cfgp *p, const struct yaml_node *node, void *slot)
{
	if (!addr_ifname_valid(node->text, strlen(node->text)))
		return cfgp_fail(p, node, "'%s' is not an interface name", node->text);
	*(char **)slot = xstrdup(node->text);
	return 0;
}

/* Zone paths are made absolute here so that nothing later depends on the working folder. */
static int yzone_item(struct cfgp *p, const struct yaml_node *node, void *slot)
{
	struct config_zone *z = slot;
	const char *rel = node->text;
	const char *dir = rel[0] == '/' ? "" : p->cfg->dir;
	const char *sep = dir[0] && strcmp(dir, "/") != 0 ? "/" : "";
	size_t len = strlen(dir) + strlen(rel) + 2;
	z->path = xcalloc(len, 1);
	snprintf(z->path, len, "%s%s%s", dir, sep, rel);
	z->pos = cfgp_pos(node);
	return 0;
}

/* Records are only kept with their position: localdata parses them and reports errors. */
static int yrecord_item(struct cfgp *p, const struct yaml_node *node, void *slot)
{
	struct config_record *r = slot;
	(void)p;
	r->text = xstrdup(node->text);
	r->pos = cfgp_pos(node);
	return 0;
}

static int yaddrs(struct cfgp *p, const struct yaml_node *v, const char *what, struct addr **out,
		  size_t *n)
{
	void *arr = NULL;
	int rc = yread_list(p, v, what, &arr, n, sizeof(**out), yaddr_item);
	*out = arr;
	return rc;
}

static int yprefixes(struct cfgp *p, const struct yaml_node *v, const char *what,
		     struct prefix **out, size_t *n)
{
	void *arr = NULL;
	int rc = yread_list(p, v, what, &arr, n, sizeof(**out), yprefix_item);
	*out = arr;
	return rc;
}

/* ---- the schema ---- */

enum ykind {
	YK_U16,
	YK_U32,
	YK_INT,
	YK_BOOL,
	YK_ADDRS,
	YK_PREFIXES,
	YK_IFNAMES,
	YK_ZONES,
	YK_RECORDS,
	YK_FUNC
};

/* One allowed key: how its value is checked and where in obj it is stored. */
struct ykey {
	const char *name;
	enum ykind kind;
	size_t off;   /* the field, or the array pointer of a list */
	size_t off_n; /* lists: the item count */
	uint32_t min, max, scale;
	int (*fn)(struct cfgp *p, const struct yaml_node *v, void *obj);
};

#define YFIELD(type, field) offsetof(type, field)
#define YLIST(type, a, n)   offsetof(type, a), offsetof(type, n)
#define YCOUNT(a)           (sizeof(a) / sizeof((a)[0]))
#define YKEYS(keys)         keys, YCOUNT(keys)

/* A list key of the schema: the array pointer at k->off, its count at k->off_n. */
static int ylist_field(struct cfgp *p, const struct yaml_node *v, const struct ykey *k, char *o,
		       size_t item_size, yitem_fn item)
{
	void *arr = NULL;
	int rc = yread_list(p, v, k->name, &arr, (size_t *)(o + k->off_n), item_size, item);
	memcpy(o + k->off, &arr, sizeof(arr)); /* the field is a pointer to the item type */
	return rc;
}

static int ykey_store(struct cfgp *p, const struct ykey *k, const struct yaml_node *v, void *obj)
{
	char *o = obj;
	uint32_t u = 0;
	int rc = 0;

	switch (k->kind) {
	case YK_U16:
	case YK_U32:
	case YK_INT:
		rc = yuint(p, v, k->name, k->min, k->max, &u);
		u *= k->scale ? k->scale : 1;
		if (rc == 0 && k->kind == YK_U16)
			*(uint16_t *)(o + k->off) = (uint16_t)u;
		else if (rc == 0 && k->kind == YK_U32)
			*(uint32_t *)(o + k->off) = u;
		else if (rc == 0)
			*(int *)(o + k->off) = (int)u;
		return rc;
	case YK_BOOL:
		return ybool(p, v, k->name, (bool *)(o + k->off));
	case YK_ADDRS:
		return ylist_field(p, v, k, o, sizeof(struct addr), yaddr_item);
	case YK_PREFIXES:
		return ylist_field(p, v, k, o, sizeof(struct prefix), yprefix_item);
	case YK_IFNAMES:
		return ylist_field(p, v, k, o, sizeof(char *), yifname_item);
	case YK_ZONES:
		return ylist_field(p, v, k, o, sizeof(struct config_zone), yzone_item);
	case YK_RECORDS:
		return ylist_field(p, v, k, o, sizeof(struct config_record), yrecord_item);
	case YK_FUNC:
		return k->fn(p, v, obj);
	}
	return -EINVAL;
}

static int ykey_unknown(struct cfgp *p, const struct yaml_node *key, const char *in,
			const char *name, const struct ykey *keys);

/*
 * Check every key of mapping m against keys and store the values in obj. name says which
 * mapping this is, for messages ("server"; "" at the top level). An empty value is an empty
 * mapping.
 */
static int ymap_walk(struct cfgp *p, const struct yaml_node *m, const char *name,
		     const struct ykey *keys, size_t nkeys, void *obj)
{
	const char *in = name[0] ? "in " : "at the top level";
	uint32_t seen = 0;

	if (m->null)
		return 0;
	if (m->type != YAML_MAP)
		return cfgp_fail(p, m, "%s must be a mapping (key: value), not %s", name,
				 yaml_type_name(m));
	for (const struct yaml_item *s = m->items; s && s->next; s = s->next->next) {
		const struct yaml_node *key = s->node;
		size_t i = 0;
		if (key->type != YAML_SCALAR)
			return cfgp_fail(p, key, "keys must be names, not %s", yaml_type_name(key));
		while (i < nkeys && strcmp(keys[i].name, key->text) != 0)
			i++;
		if (i == nkeys)
			return ykey_unknown(p, key, in, name, keys);
		if (seen & (1u << i))
			return cfgp_fail(p, key, "duplicate key '%s' %s%s", key->text, in, name);
		seen |= 1u << i;
		int rc = ykey_store(p, &keys[i], s->next->node, obj);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* listen: at least one address, each once. */
static int config_listen(struct cfgp *p, const struct yaml_node *v, void *obj)
{
	struct config *c = obj;
	const struct yaml_item *s;
	int rc = yaddrs(p, v, "listen", &c->listen, &c->n_listen);

	if (rc < 0)
		return rc;
	if (c->n_listen == 0)
		return cfgp_fail(p, v, "listen needs at least one address");
	ylist(p, v, "listen", &s);
	for (size_t i = 0; s; s = s->next, i++)
		for (size_t j = 0; j < i; j++)
			if (addr_equal(&c->listen[i], &c->listen[j]))
				return cfgp_fail(p, s->node, "'%s' is listed twice", s->node->text);
	return 0;
}

static int config_user(struct cfgp *p, const struct yaml_node *v, void *obj)
{
	struct config *c = obj;
	int rc = yscalar(p, v, "user");
	if (rc < 0)
		return rc;
	if (!v->text[0])
		return cfgp_fail(p, v, "user must not be empty");
	free(c->user);
	c->user = xstrdup(v->text);
	return 0;
}

static const struct ykey server_keys[] = {
    {"listen", YK_FUNC, .fn = config_listen},
    {"view-query", YK_BOOL, YFIELD(struct config, view_query)},
    {"edns-buffer-size", YK_U16, YFIELD(struct config, edns_buffer_size), 0, 512, 65535},
    {"tcp-idle-timeout", YK_U32, YFIELD(struct config, tcp_idle_timeout_ms), 0, 1, 3600, 1000},
    {"tcp-max-connections", YK_U32, YFIELD(struct config, tcp_max_connections), 0, 1, 1000000},
    {"upstream-timeout", YK_U32, YFIELD(struct config, upstream_timeout_ms), 0, 10, 60000},
    {"verbosity", YK_INT, YFIELD(struct config, verbosity), 0, 0, 3},
    {"threads", YK_U32, YFIELD(struct config, threads), 0, 1, 64},
    {"query-log", YK_BOOL, YFIELD(struct config, query_log)},
    {"user", YK_FUNC, .fn = config_user},
};

static int config_server(struct cfgp *p, const struct yaml_node *v, void *obj)
{
	return ymap_walk(p, v, "server", YKEYS(server_keys), obj);
}

static int config_cache_size(struct cfgp *p, const struct yaml_node *v, void *obj)
{
	struct config *c = obj;
	int rc = yscalar(p, v, "size");

	if (rc < 0)
		return rc;
	if (config_parse_size(v->text, &c->cache_size) < 0)
		return cfgp_fail(p, v, "'%s' is not a size (e.g. 64MiB, 500k, 1G)", v->text);
	if (c->cache_size < CONFIG_MIN_CACHE)
		return cfgp_fail(p, v, "cache size '%s' is below the minimum of 64KiB", v->text);
	return 0;
}

static const struct ykey cache_keys[] = {
    {"size", YK_FUNC, .fn = config_cache_size},
    {"min-ttl", YK_U32, YFIELD(struct config, cache_min_ttl), 0, 0, CONFIG_MAX_TTL},
    {"max-ttl", YK_U32, YFIELD(struct config, cache_max_ttl), 0, 0, CONFIG_MAX_TTL},
};

static int config_cache(struct cfgp *p, const struct yaml_node *v, void *obj)
{
	struct config *c = obj;
	int rc = ymap_walk(p, v, "cache", YKEYS(cache_keys), obj);

	if (rc == 0 && c->cache_min_ttl > c->cache_max_ttl) {
		const struct yaml_node *at = yaml_get(v, "min-ttl");
		return cfgp_fail(p, at ? at : v, "min-ttl %u is above max-ttl %u",
				 (unsigned)c->cache_min_ttl, (unsigned)c->cache_max_ttl);
	}
	return rc;
}

/*
 * Lower-case name, add the final dot and check it is a domain name: labels of 1..63 letters,
 * digits, '-' or '_', at most 255 bytes in wire form. Returns a new string or NULL.
 */
static char *config_dname(const char *name)
{
	size_t len = strlen(name);
	size_t label = 0;

	if (!strcmp(name, "."))
		return xstrdup(".");
	if (len == 0 || len > 254 || (len == 254 && name[len - 1] != '.'))
		return NULL;
	char *out = xcalloc(len + 2, 1);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c == '.') {
			if (label == 0)
				goto fail;
			label = 0;
		} else if (isalnum(c) || c == '-' || c == '_') {
			if (++label > 63)
				goto fail;
		} else {
			goto fail;
		}
		out[i] = (char)tolower(c);
	}
	if (out[len - 1] != '.')
		out[len] = '.';
	return out;
fail:
	free(out);
	return NULL;
}

static int config_fwd_name(struct cfgp *p, const struct yaml_node *v, void *obj)
{
	struct config_fwd_zone *z = obj;
	int rc = yscalar(p, v, "name");

	if (rc < 0)
		return rc;
	z->name = config_dname(v->text);
	if (!z->name)
		return cfgp_fail(p, v, "'%s' is not a domain name", v->text);
	return 0;
}

static const struct ykey fwd_zone_keys[] = {
    {"name", YK_FUNC, .fn = config_fwd_name},
    {"upstreams", YK_ADDRS, YLIST(struct config_fwd_zone, upstreams, n_upstreams)},
    {"dnssec", YK_BOOL, YFIELD(struct config_fwd_zone, dnssec)},
};

static int config_fwd_zone_check(struct cfgp *p, const struct yaml_node *v,
				 struct config_fwd_zone *z, const struct config *c)
{
	z->dnssec = true;
	int rc = ymap_walk(p, v, "forward zone", YKEYS(fwd_zone_keys), z);

	z->pos = cfgp_pos(v);
	if (rc < 0)
		return rc;
	if (!z->name)
		return cfgp_fail(p, v, "forward zone has no 'name'");
	if (z->n_upstreams == 0)
		return cfgp_fail(p, v, "forward zone '%s' has no upstreams", z->name);
	for (const struct config_fwd_zone *o = c->fwd_zones; o < z; o++)
		if (!strcmp(o->name, z->name))
			return cfgp_fail(p, yaml_get(v, "name"), "duplicate forward zone '%s'",
					 z->name);
	return 0;
}

/* Lists of mappings: views and forward-zones. */
static long ylist_of_maps(struct cfgp *p, const struct yaml_node *v, const char *what,
			  const struct yaml_item **items)
{
	long n = ylist(p, v, what, items);

	for (const struct yaml_item *s = *items; n > 0 && s; s = s->next)
		if (s->node->type != YAML_MAP)
			return cfgp_fail(p, s->node, "%s entries must be mappings, not %s", what,
					 yaml_type_name(s->node));
	return n;
}

static int config_fwd_zones(struct cfgp *p, const struct yaml_node *v, void *obj)
{
	struct config *c = obj;
	const struct yaml_item *s;
	long n = ylist_of_maps(p, v, "forward-zones", &s);

	if (n < 0)
		return (int)n;
	c->fwd_zones = xcalloc((size_t)n, sizeof(*c->fwd_zones));
	c->n_fwd_zones = (size_t)n;
	for (struct config_fwd_zone *z = c->fwd_zones; s; s = s->next, z++) {
		int rc = config_fwd_zone_check(p, s->node, z, c);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* View names show up in CHAOS TXT answers, logs and cache scopes: keep them plain. */
static int config_view_name(struct cfgp *p, const struct yaml_node *v, void *obj)
{
	struct config_view *view = obj;
	int rc = yscalar(p, v, "name");

	if (rc < 0)
		return rc;
	size_t len = strspn(v->text, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				     "0123456789-_.");
	if (len == 0 || v->text[len] != '\0' || len > CONFIG_VIEW_NAMELEN)
		return cfgp_fail(p, v,
				 "view name '%s' must be 1 to 63 letters, digits, '-', '_' or '.'",
				 v->text);
	view->name = xstrdup(v->text);
	return 0;
}

static const struct ykey view_keys[] = {
    {"name", YK_FUNC, .fn = config_view_name},
    {"match-clients", YK_PREFIXES, YLIST(struct config_view, clients, n_clients)},
    {"match-interfaces", YK_IFNAMES, YLIST(struct config_view, interfaces, n_interfaces)},
    {"match-destinations", YK_PREFIXES, YLIST(struct config_view, destinations, n_destinations)},
    {"zones", YK_ZONES, YLIST(struct config_view, zones, n_zones)},
    {"records", YK_RECORDS, YLIST(struct config_view, records, n_records)},
    {"upstreams", YK_ADDRS, YLIST(struct config_view, upstreams, n_upstreams)},
};

static int config_views(struct cfgp *p, const struct yaml_node *v, void *obj)
{
	struct config *c = obj;
	const struct yaml_item *s;
	long n = ylist_of_maps(p, v, "views", &s);

	if (n < 0)
		return (int)n;
	c->views = xcalloc((size_t)n, sizeof(*c->views));
	c->n_views = (size_t)n;
	for (struct config_view *view = c->views; s; s = s->next, view++) {
		int rc = ymap_walk(p, s->node, "view", YKEYS(view_keys), view);
		view->pos = cfgp_pos(s->node);
		if (rc < 0)
			return rc;
		if (!view->name)
			return cfgp_fail(p, s->node, "view has no 'name'");
		for (const struct config_view *o = c->views; o < view; o++)
			if (!strcmp(o->name, view->name))
				return cfgp_fail(p, yaml_get(s->node, "name"),
						 "duplicate view name '%s'", view->name);
	}
	return 0;
}

/* insecure-domains: domain names, normalised like forward zones. */
static int config_insecure(struct cfgp *p, const struct yaml_node *v, void *obj)
{
	struct config *c = obj;
	const struct yaml_item *s;
	long count = ylist(p, v, "insecure-domains", &s);

	if (count < 0)
		return (int)count;
	c->insecure_domains = xcalloc((size_t)count, sizeof(char *));
	for (; s; s = s->next) {
		int rc = yitem(p, s, "insecure-domains");
		if (rc < 0)
			return rc;
		char *name = config_dname(s->node->text);
		if (!name)
			return cfgp_fail(p, s->node, "'%s' is not a domain name", s->node->text);
		c->insecure_domains[c->n_insecure_domains++] = name;
	}
	return 0;
}

static const struct ykey dnssec_keys[] = {
    {"validation", YK_BOOL, YFIELD(struct config, dnssec_validation)},
    {"trust-anchor-file", YK_ZONES, YLIST(struct config, anchor_files, n_anchor_files)},
    {"insecure-domains", YK_FUNC, .fn = config_insecure},
};

static int config_dnssec(struct cfgp *p, const struct yaml_node *v, void *obj)
{
	return ymap_walk(p, v, "dnssec", YKEYS(dnssec_keys), obj);
}

/* control.socket: a path, relative to the config folder; "" turns the socket off. */
static int config_control_socket(struct cfgp *p, const struct yaml_node *v, void *obj)
{
	struct config *c = obj;
	int rc = yscalar(p, v, "socket");
	if (rc < 0)
		return rc;
	free(c->control_socket);
	if (!v->text[0] || v->text[0] == '/') {
		c->control_socket = xstrdup(v->text);
		return 0;
	}
	size_t len = strlen(p->cfg->dir) + strlen(v->text) + 2;
	c->control_socket = xcalloc(len, 1);
	snprintf(c->control_socket, len, "%s/%s", p->cfg->dir, v->text);
	return 0;
}

static const struct ykey control_keys[] = {
    {"socket", YK_FUNC, .fn = config_control_socket},
};

static int config_control(struct cfgp *p, const struct yaml_node *v, void *obj)
{
	return ymap_walk(p, v, "control", YKEYS(control_keys), obj);
}

static int config_metrics_listen(struct cfgp *p, const struct yaml_node *v, void *obj)
{
	struct config *c = obj;
	int rc = yscalar(p, v, "listen");
	if (rc < 0)
		return rc;
	if (addr_parse(v->text, 9153, &c->metrics_listen) < 0)
		return cfgp_fail(p, v, "'%s' is not an address (ADDR or ADDR@PORT)", v->text);
	c->metrics = true;
	return 0;
}

/* metrics.allow replaces the default (loopback) list. */
static int config_metrics_allow(struct cfgp *p, const struct yaml_node *v, void *obj)
{
	struct config *c = obj;
	free(c->metrics_allow);
	c->metrics_allow = NULL;
	c->n_metrics_allow = 0;
	return yprefixes(p, v, "allow", &c->metrics_allow, &c->n_metrics_allow);
}

static const struct ykey metrics_keys[] = {
    {"listen", YK_FUNC, .fn = config_metrics_listen},
    {"allow", YK_FUNC, .fn = config_metrics_allow},
};

static int config_metrics(struct cfgp *p, const struct yaml_node *v, void *obj)
{
	return ymap_walk(p, v, "metrics", YKEYS(metrics_keys), obj);
}

static const struct ykey top_keys[] = {
    {"server", YK_FUNC, .fn = config_server},
    {"upstreams", YK_ADDRS, YLIST(struct config, upstreams, n_upstreams)},
    {"forward-zones", YK_FUNC, .fn = config_fwd_zones},
    {"cache", YK_FUNC, .fn = config_cache},
    {"views", YK_FUNC, .fn = config_views},
    {"dnssec", YK_FUNC, .fn = config_dnssec},
    {"control", YK_FUNC, .fn = config_control},
    {"metrics", YK_FUNC, .fn = config_metrics},
};

/* Every mapping of the file, for "it belongs under ..." and "did you mean ...". */
static const struct ysection {
	const char *where; /* follows "belongs " */
	const struct ykey *keys;
	size_t n;
} ysections[] = {
    {"at the top level", YKEYS(top_keys)},   {"under server:", YKEYS(server_keys)},
    {"under cache:", YKEYS(cache_keys)},     {"under dnssec:", YKEYS(dnssec_keys)},
    {"under control:", YKEYS(control_keys)}, {"under metrics:", YKEYS(metrics_keys)},
    {"in a views entry", YKEYS(view_keys)},  {"in a forward-zones entry", YKEYS(fwd_zone_keys)},
};

/* The closest key of sec to typed, if nearer than *best_d so far; where is NULL for home. */
static void ykey_nearest(const char *typed, const struct ysection *sec, bool home,
			 const char **best, int *best_d, const char **where)
{
	for (size_t j = 0; j < sec->n; j++) {
		int d = suggest_distance(typed, sec->keys[j].name);
		if (suggest_near(typed, sec->keys[j].name) && (!*best || d < *best_d)) {
			*best = sec->keys[j].name;
			*best_d = d;
			*where = home ? NULL : sec->where;
		}
	}
}

/*
 * An unknown key in the mapping whose keys are `keys`: say where it belongs when another
 * mapping has it, else the closest key when one is near enough (this mapping's first, so a
 * tie goes to a key that is valid where it was written).
 */
static int ykey_unknown(struct cfgp *p, const struct yaml_node *key, const char *in,
			const char *name, const struct ykey *keys)
{
	char hint[256] = "";
	size_t n = 0;
	const struct ysection *home = NULL;
	for (size_t i = 0; i < YCOUNT(ysections); i++) {
		const struct ysection *sec = &ysections[i];
		if (sec->keys == keys)
			home = sec;
		for (size_t j = 0; sec->keys != keys && j < sec->n && n < sizeof(hint); j++)
			if (!strcmp(sec->keys[j].name, key->text))
				n +=
				    (size_t)snprintf(hint + n, sizeof(hint) - n,
						     n ? ", or %s" : "; it belongs %s", sec->where);
	}
	const char *best = NULL, *where = NULL;
	int best_d = 0;
	if (!hint[0] && home)
		ykey_nearest(key->text, home, true, &best, &best_d, &where);
	for (size_t i = 0; !hint[0] && i < YCOUNT(ysections); i++)
		if (&ysections[i] != home)
			ykey_nearest(key->text, &ysections[i], false, &best, &best_d, &where);
	if (best && where)
		snprintf(hint, sizeof(hint), "; did you mean '%s' (%s)?", best, where);
	else if (best)
		snprintf(hint, sizeof(hint), "; did you mean '%s'?", best);
	return cfgp_fail(p, key, "unknown key '%s' %s%s%s", key->text, in, name, hint);
}

/* ---- loading ---- */

static struct config *config_new(const char *path)
{
	struct config *c = xcalloc(1, sizeof(*c));

	c->path = xstrdup(path);
	c->view_query = true;
	c->edns_buffer_size = 1232;
	c->tcp_idle_timeout_ms = 10000;
	c->tcp_max_connections = 256;
	c->upstream_timeout_ms = 1500;
	c->verbosity = 2;
	c->threads = 1;
	c->cache_size = 64u << 20;
	c->cache_min_ttl = 0;
	c->cache_max_ttl = 86400;
	c->dnssec_validation = true;
	c->control_socket = xstrdup(CONFIG_CONTROL_SOCKET);
	c->n_metrics_allow = 2;
	c->metrics_allow = xcalloc(2, sizeof(*c->metrics_allow));
	if (prefix_parse("127.0.0.0/8", &c->metrics_allow[0]) < 0 ||
	    prefix_parse("::1/128", &c->metrics_allow[1]) < 0)
		abort();
	return c;
}

/* The folder of path, made absolute so zone paths survive a change of working folder. */
static char *config_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	int dlen = slash ? (int)(slash - path) : 0;
	const char *base = "";
	char cwd[4096];

	if (slash == path)
		return xstrdup("/");
	if (path[0] != '/' && getcwd(cwd, sizeof(cwd)))
		base = cwd;
	else if (!slash)
		base = "."; /* no working folder: stay relative */
	const char *sep = slash && *base && strcmp(base, "/") != 0 ? "/" : "";
	size_t len = strlen(base) + 1 + (size_t)dlen + 1;
	char *dir = xcalloc(len, 1);
	snprintf(dir, len, "%s%s%.*s", base, sep, dlen, path);
	return dir;
}

/* Read the whole file into a new NUL-terminated buffer. Returns 0 or -errno. */
static int config_read(const char *path, char **bufp, size_t *lenp)
{
	size_t cap = 8192, len = 0;
	char *buf = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		close(fd);
		return -EISDIR;
	}
	buf = xcalloc(cap + 1, 1);
	for (;;) {
		ssize_t r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			int rc = r < 0 ? -errno : 0;
			close(fd);
			if (rc < 0)
				free(buf);
			*bufp = rc < 0 ? NULL : buf;
			*lenp = len;
			return rc;
		}
		len += (size_t)r;
		if (len > YAML_MAX_INPUT) {
			/* One byte past the limit is enough for yaml_parse to say where the file
			 * is too long; /dev/zero or a FIFO ends here too. */
			close(fd);
			*bufp = buf;
			*lenp = len;
			return 0;
		}
		if (len == cap) {
			cap = cap * 2 > YAML_MAX_INPUT ? YAML_MAX_INPUT + 1 : cap * 2;
			buf = xrealloc(buf, cap + 1);
		}
	}
}

static int config_walk(struct cfgp *p)
{
	const struct yaml_node *root = p->y.root;

	if (!root || root->null)
		return 0;
	if (root->type != YAML_MAP)
		return cfgp_fail(p, root,
				 "the configuration must be a mapping of sections "
				 "(server:, upstreams:, views:, ...), not %s",
				 yaml_type_name(root));
	return ymap_walk(p, root, "", YKEYS(top_keys), p->cfg);
}

/* The default listeners, loopback only: serving a network is an explicit decision. */
static void config_default_listen(struct config *c)
{
	c->listen = xcalloc(2, sizeof(*c->listen));
	c->n_listen = 2;
	addr_parse("127.0.0.1", 53, &c->listen[0]);
	addr_parse("::1", 53, &c->listen[1]);
}

int config_load(const char *path, struct config **out, char *err, size_t errlen)
{
	struct cfgp p = {.path = path, .err = err, .errlen = errlen};
	char *buf = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	if (errlen)
		err[0] = '\0';
	rc = config_read(path, &buf, &len);
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	p.cfg = config_new(path);
	p.cfg->dir = config_dir(path);
	rc = yaml_parse(&p.y, path, buf, len, err, errlen);
	free(buf);
	if (rc == 0) {
		rc = config_walk(&p);
		yaml_close(&p.y);
	}
	if (rc < 0) {
		config_free(p.cfg);
		return rc;
	}
	if (p.cfg->n_listen == 0)
		config_default_listen(p.cfg);
	*out = p.cfg;
	return 0;
}

static void config_free_view(struct config_view *v)
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
}

void config_free(struct config *cfg)
{
	if (!cfg)
		return;
	free(cfg->path);
	free(cfg->dir);
	free(cfg->listen);
	free(cfg->upstreams);
	for (size_t i = 0; cfg->fwd_zones && i < cfg->n_fwd_zones; i++) {
		free(cfg->fwd_zones[i].name);
		free(cfg->fwd_zones[i].upstreams);
	}
	free(cfg->fwd_zones);
	for (size_t i = 0; cfg->views && i < cfg->n_views; i++)
		config_free_view(&cfg->views[i]);
	free(cfg->views);
	for (size_t i = 0; cfg->anchor_files && i < cfg->n_anchor_files; i++)
		free(cfg->anchor_files[i].path);
	free(cfg->anchor_files);
	for (size_t i = 0; i < cfg->n_insecure_domains; i++)
		free(cfg->insecure_domains[i]);
	free(cfg->insecure_domains);
	free(cfg->user);
	free(cfg->control_socket);
	free(cfg->metrics_allow);
	free(cfg);
}

/* ---- sizes ---- */

int config_parse_size(const char *text, uint64_t *out)
{
	static const struct {
		const char *suffix;
		unsigned shift;
	} units[] = {
	    {"", 0},    {"b", 0},    {"k", 10}, {"kb", 10}, {"kib", 10}, {"m", 20},
	    {"mb", 20}, {"mib", 20}, {"g", 30}, {"gb", 30}, {"gib", 30},
	};
	uint64_t v = 0;
	const char *s = text;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	for (; isdigit((unsigned char)*s); s++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -EINVAL;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	while (*s == ' ')
		s++;
	/* All units are powers of 1024: "64MB" of cache means what the user thinks it means. */
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcasecmp(s, units[i].suffix) != 0)
			continue;
		if (v == 0 || v > (UINT64_MAX >> units[i].shift))
			return -EINVAL;
		*out = v << units[i].shift;
		return 0;
	}
	return -EINVAL;
}
