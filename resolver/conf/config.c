/*
 * config.c -- megdns's configuration schema, see config.h.
 *
 * One table per mapping of the file, one row per option: its type, bounds, unit and default
 * (confread.h). confread walks the YAML tree against the tables and checks each value where
 * it is read; what a row cannot say (addresses listed twice, domain names, a view's name, the
 * control socket's path) is checked by the functions below. The defaults of numbers and
 * booleans come from the rows; config_new sets the few others.
 */
#include "conf/config.h"

#include "conf/config_impl.h"
#include "conf/confread.h"
#include "util/xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define CONFIG_MIN_CACHE (64u << 10)
#define CONFIG_MAX_TTL   2147483647u /* RFC 2181 section 8 */

/* The position of a node, kept with values that are checked later (zones, records). */
struct config_pos config_pos_of(const struct yaml_node *n)
{
	struct config_pos pos = {n->line, n->col};
	return pos;
}

struct config *config_of(struct confread *r)
{
	return r->ud;
}

/* Zone paths are made absolute here so that nothing later depends on the working folder. */
int config_zone_item(struct confread *p, const struct yaml_node *node, void *slot)
{
	struct config_zone *z = slot;
	const char *rel = node->text;
	const char *dir = rel[0] == '/' ? "" : config_of(p)->dir;
	const char *sep = dir[0] && strcmp(dir, "/") != 0 ? "/" : "";
	size_t len = strlen(dir) + strlen(rel) + 2;
	z->path = xcalloc(len, 1);
	snprintf(z->path, len, "%s%s%s", dir, sep, rel);
	z->pos = config_pos_of(node);
	return 0;
}

/* Records are only kept with their position: localdata parses them and reports errors. */
int config_record_item(struct confread *p, const struct yaml_node *node, void *slot)
{
	struct config_record *r = slot;
	(void)p;
	r->text = xstrdup(node->text);
	r->pos = config_pos_of(node);
	return 0;
}

/* listen: at least one address, each once. */
static int config_listen(struct confread *p, const struct yaml_node *v, void *obj)
{
	struct config *c = obj;
	const struct yaml_item *s;
	int rc = confread_addrs(p, v, "listen", &c->listen, &c->n_listen);

	if (rc < 0)
		return rc;
	if (c->n_listen == 0)
		return confread_fail(p, v, "listen needs at least one address");
	confread_items(p, v, "listen", false, &s);
	for (size_t i = 0; s; s = s->next, i++)
		for (size_t j = 0; j < i; j++)
			if (addr_equal(&c->listen[i], &c->listen[j]))
				return confread_fail(p, s->node, "'%s' is listed twice",
						     s->node->text);
	return 0;
}

/* outgoing-addresses: source addresses for queries to other servers, without a port. */
static int config_outgoing(struct confread *p, const struct yaml_node *v, void *obj)
{
	struct config *c = obj;
	const struct yaml_item *s;
	int rc = confread_addrs(p, v, "outgoing-addresses", &c->outgoing, &c->n_outgoing);

	if (rc < 0)
		return rc;
	confread_items(p, v, "outgoing-addresses", false, &s);
	for (size_t i = 0; s; s = s->next, i++) {
		if (strchr(s->node->text, '@'))
			return confread_fail(p, s->node,
					     "'%s': outgoing addresses take no port (each query "
					     "gets a random one)",
					     s->node->text);
		struct sockaddr_storage *ss = &c->outgoing[i].ss;
		if (ss->ss_family == AF_INET)
			((struct sockaddr_in *)ss)->sin_port = 0;
		else
			((struct sockaddr_in6 *)ss)->sin6_port = 0;
	}
	return 0;
}

static int config_user(struct confread *p, const struct yaml_node *v, void *obj)
{
	struct config *c = obj;
	int rc = confread_scalar(p, v, "user");
	if (rc < 0)
		return rc;
	if (!v->text[0])
		return confread_fail(p, v, "user must not be empty");
	free(c->user);
	c->user = xstrdup(v->text);
	return 0;
}

static const struct confread_key server_keys[] = {
    {"listen", CONFREAD_FUNC, .fn = config_listen,
     .doc = "addresses to answer on, ADDR[%IF][@PORT]; default 127.0.0.1@53, ::1@53"},
    /* name, kind, field, min, max, scale (file unit -> field unit), default (file unit) */
    {"view-query", CONFREAD_BOOL, CONFREAD_FIELD(struct config, view_query), .def = 1,
     .doc = "answer CHAOS TXT view.megdns. with the client's view name"},
    {"edns-buffer-size", CONFREAD_U16, CONFREAD_FIELD(struct config, edns_buffer_size), 0, 512,
     65535, .def = 1232, .doc = "our EDNS UDP size, to upstreams and clients (bytes)"},
    {"tcp-idle-timeout", CONFREAD_U32, CONFREAD_FIELD(struct config, tcp_idle_timeout_ms), 0, 1,
     3600, 1000, .def = 10, .doc = "seconds an idle TCP connection stays open"},
    {"tcp-max-connections", CONFREAD_U32, CONFREAD_FIELD(struct config, tcp_max_connections), 0, 1,
     1000000, .def = 256,
     .doc = "TCP connections per thread; when full, the longest idle makes room"},
    {"max-inflight", CONFREAD_U32, CONFREAD_FIELD(struct config, max_inflight), 0, 16, 1000000,
     .def = 4096, .doc = "cache misses resolved at once per thread, shared fairly by clients"},
    {"upstream-timeout", CONFREAD_U32, CONFREAD_FIELD(struct config, upstream_timeout_ms), 0, 10,
     60000, .def = 1500, .doc = "ms an upstream attempt waits before the next one is sent"},
    {"verbosity", CONFREAD_INT, CONFREAD_FIELD(struct config, verbosity), 0, 0, 3, .def = 2,
     .doc = "0 errors, 1 warnings, 2 info, 3 debug"},
    {"threads", CONFREAD_U32, CONFREAD_FIELD(struct config, threads), 0, 1, 64, .def = 1,
     .doc = "worker loops, one per core; each has 1/threads of the cache"},
    {"query-log", CONFREAD_BOOL, CONFREAD_FIELD(struct config, query_log), .def = 0,
     .doc = "one stderr line per query"},
    {"outgoing-addresses", CONFREAD_FUNC, .fn = config_outgoing,
     .doc = "source addresses of queries to other servers (default: the kernel's choice)"},
    {"user", CONFREAD_FUNC, .fn = config_user,
     .doc = "drop root to this user once the sockets are bound"},
    {"proxy-protocol", CONFREAD_FUNC, .fn = config_proxy,
     .doc = "listeners behind frp, nginx or haproxy: the PROXY header names the client"},
    {"tls", CONFREAD_FUNC, .fn = config_tls,
     .doc = "DNS over TLS (RFC 7858) listeners, with their certificate and key"},
    {"https", CONFREAD_FUNC, .fn = config_https,
     .doc = "DNS over HTTPS (RFC 8484) listeners: listen, path, certificate, key"},
};

static int config_server(struct confread *p, const struct yaml_node *v, void *obj)
{
	return confread_map(p, v, "server", CONFREAD_KEYS(server_keys), obj);
}

static int config_cache_size(struct confread *p, const struct yaml_node *v, void *obj)
{
	struct config *c = obj;
	int rc = confread_scalar(p, v, "size");

	if (rc < 0)
		return rc;
	if (confread_parse_size(v->text, &c->cache_size) < 0)
		return confread_fail(p, v, "'%s' is not a size (e.g. 64MiB, 500k, 1G)", v->text);
	if (c->cache_size < CONFIG_MIN_CACHE)
		return confread_fail(p, v, "cache size '%s' is below the minimum of 64KiB",
				     v->text);
	return 0;
}

/* A path as written in the config: relative to the config file's folder (a new string). */
static char *config_path_at(struct confread *p, const char *text)
{
	if (text[0] == '/')
		return xstrdup(text);
	size_t len = strlen(config_of(p)->dir) + strlen(text) + 2;
	char *path = xcalloc(len, 1);
	snprintf(path, len, "%s/%s", config_of(p)->dir, text);
	return path;
}

/* cache.file: the saved cache, relative to the config folder. */
static int config_cache_file(struct confread *p, const struct yaml_node *v, void *obj)
{
	struct config *c = obj;
	int rc = confread_scalar(p, v, "file");
	if (rc < 0)
		return rc;
	if (!v->text[0])
		return confread_fail(p, v, "file must name a file");
	free(c->cache_file);
	c->cache_file = config_path_at(p, v->text);
	return 0;
}

static const struct confread_key cache_keys[] = {
    {"size", CONFREAD_FUNC, .fn = config_cache_size,
     .doc = "hard bound on cache memory (bytes, k/M/G, KiB/MiB/GiB); default 64MiB"},
    {"min-ttl", CONFREAD_U32, CONFREAD_FIELD(struct config, cache_min_ttl), 0, 0, CONFIG_MAX_TTL,
     .def = 0, .doc = "TTLs below are raised to this (seconds)"},
    {"max-ttl", CONFREAD_U32, CONFREAD_FIELD(struct config, cache_max_ttl), 0, 0, CONFIG_MAX_TTL,
     .def = 86400, .doc = "TTLs above are lowered to this (seconds)"},
    {"serve-stale", CONFREAD_BOOL, CONFREAD_FIELD(struct config, serve_stale), .def = 1,
     .doc = "answer from expired data when the servers fail or are slow (RFC 8767)"},
    {"stale-answer-ttl", CONFREAD_U32, CONFREAD_FIELD(struct config, stale_answer_ttl), 0, 1, 3600,
     .def = 30, .doc = "TTL of a stale answer (seconds)"},
    {"stale-max-age", CONFREAD_U32, CONFREAD_FIELD(struct config, stale_max_age), 0, 0,
     CONFIG_MAX_TTL, .def = 86400, .doc = "how long past expiry data may still be served (s)"},
    {"stale-client-timeout", CONFREAD_U32, CONFREAD_FIELD(struct config, stale_client_timeout), 0,
     0, 10000, .def = 1800,
     .doc = "ms a client waits for a fresh answer before it gets the stale one (0: at once)"},
    {"prefetch", CONFREAD_BOOL, CONFREAD_FIELD(struct config, prefetch), .def = 1,
     .doc = "refresh an entry hit in the last 10 % of its TTL, before it expires"},
    {"file", CONFREAD_FUNC, .fn = config_cache_file,
     .doc = "the cache is saved there at stop and every save-interval, loaded at start"},
    {"save-interval", CONFREAD_U32, CONFREAD_FIELD(struct config, cache_save_interval), 0, 10,
     86400, .def = 600, .doc = "seconds between saves of cache.file"},
};

static int config_cache(struct confread *p, const struct yaml_node *v, void *obj)
{
	struct config *c = obj;
	int rc = confread_map(p, v, "cache", CONFREAD_KEYS(cache_keys), obj);

	if (rc == 0 && c->cache_min_ttl > c->cache_max_ttl) {
		const struct yaml_node *at = yaml_get(v, "min-ttl");
		return confread_fail(p, at ? at : v, "min-ttl %u is above max-ttl %u",
				     (unsigned)c->cache_min_ttl, (unsigned)c->cache_max_ttl);
	}
	return rc;
}

/*
 * Lower-case name, add the final dot and check it is a domain name: labels of 1..63 letters,
 * digits, '-' or '_', at most 255 bytes in wire form. Returns a new string or NULL.
 */
char *config_dname(const char *name)
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

static int config_fwd_name(struct confread *p, const struct yaml_node *v, void *obj)
{
	struct config_fwd_zone *z = obj;
	int rc = confread_scalar(p, v, "name");

	if (rc < 0)
		return rc;
	z->name = config_dname(v->text);
	if (!z->name)
		return confread_fail(p, v, "'%s' is not a domain name", v->text);
	return 0;
}

static const struct confread_key fwd_zone_keys[] = {
    {"name", CONFREAD_FUNC, .fn = config_fwd_name, .doc = "the zone forwarded (a domain name)"},
    {"upstreams", CONFREAD_LIST, CONFREAD_ARRAY(struct config_fwd_zone, upstreams, n_upstreams),
     .item_size = sizeof(struct addr), .item = config_upstream_item,
     .doc = "the servers that answer for it, ADDR[@PORT][#TLS-NAME]"},
    {"dnssec", CONFREAD_BOOL, CONFREAD_FIELD(struct config_fwd_zone, dnssec), .def = 1,
     .doc = "false: a private zone, not validated (a negative trust anchor)"},
};

/* A stub zone's servers are authoritative servers; the same struct holds them. */
static const struct confread_key stub_zone_keys[] = {
    {"name", CONFREAD_FUNC, .fn = config_fwd_name, .doc = "the zone (a domain name)"},
    {"servers", CONFREAD_LIST, CONFREAD_ARRAY(struct config_fwd_zone, upstreams, n_upstreams),
     .item_size = sizeof(struct addr), .item = config_upstream_item,
     .doc = "its authoritative servers, asked with RD clear, ADDR[@PORT][#TLS-NAME]"},
    {"dnssec", CONFREAD_BOOL, CONFREAD_FIELD(struct config_fwd_zone, dnssec), .def = 1,
     .doc = "false: a private zone, not validated (a negative trust anchor)"},
};

static int config_fwd_zone_check(struct confread *p, const struct yaml_node *v,
				 struct config_fwd_zone *z, const struct config *c)
{
	const char *what = z->stub ? "stub zone" : "forward zone";
	if (z->stub) {
		confread_defaults(CONFREAD_KEYS(stub_zone_keys), z);
		z->stub = true;
	} else {
		confread_defaults(CONFREAD_KEYS(fwd_zone_keys), z);
	}
	int rc = z->stub ? confread_map(p, v, what, CONFREAD_KEYS(stub_zone_keys), z)
			 : confread_map(p, v, what, CONFREAD_KEYS(fwd_zone_keys), z);

	z->pos = config_pos_of(v);
	if (rc < 0)
		return rc;
	if (!z->name)
		return confread_fail(p, v, "%s has no 'name'", what);
	if (z->n_upstreams == 0)
		return confread_fail(p, v, "%s '%s' has no %s", what, z->name,
				     z->stub ? "servers" : "upstreams");
	for (const struct config_fwd_zone *o = c->fwd_zones; o < z; o++)
		if (!strcmp(o->name, z->name))
			return confread_fail(p, yaml_get(v, "name"), "'%s' is both a %s and a %s",
					     z->name, o->stub ? "stub zone" : "forward zone", what);
	return 0;
}

/* forward-zones and stub-zones go into one array (forward.c picks the longest match). */
static int config_zone_list(struct confread *p, const struct yaml_node *v, struct config *c,
			    bool stub)
{
	const struct yaml_item *s;
	long n = confread_items(p, v, stub ? "stub-zones" : "forward-zones", true, &s);

	if (n < 0)
		return (int)n;
	size_t old = c->n_fwd_zones;
	c->fwd_zones = xrealloc(c->fwd_zones, (old + (size_t)n + 1) * sizeof(*c->fwd_zones));
	memset(c->fwd_zones + old, 0, ((size_t)n + 1) * sizeof(*c->fwd_zones));
	for (struct config_fwd_zone *z = c->fwd_zones + old; s; s = s->next, z++) {
		z->stub = stub;
		c->n_fwd_zones++;
		int rc = config_fwd_zone_check(p, s->node, z, c);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int config_fwd_zones(struct confread *p, const struct yaml_node *v, void *obj)
{
	return config_zone_list(p, v, obj, false);
}

static int config_stub_zones(struct confread *p, const struct yaml_node *v, void *obj)
{
	return config_zone_list(p, v, obj, true);
}

static int config_root_hints(struct confread *p, const struct yaml_node *v, void *obj)
{
	struct config *c = obj;
	int rc = confread_scalar(p, v, "root-hints");
	if (rc < 0)
		return rc;
	if (!v->text[0])
		return confread_fail(p, v, "root-hints must name a file");
	free(c->root_hints.path);
	return config_zone_item(p, v, &c->root_hints);
}

static const struct confread_key recursion_keys[] = {
    {"root-hints", CONFREAD_FUNC, .fn = config_root_hints,
     .doc = "root servers to prime from, a zone file (default: the built-in IANA hints)"},
    {"qname-minimisation", CONFREAD_BOOL, CONFREAD_FIELD(struct config, qname_minimisation),
     .def = 1, .doc = "RFC 9156: ask each zone only for the next label"},
    {"query-localhost", CONFREAD_BOOL, CONFREAD_FIELD(struct config, query_localhost), .def = 0,
     .doc = "may authoritative servers be on 127.0.0.0/8 or ::1 (tests)"},
    {"ip4", CONFREAD_BOOL, CONFREAD_FIELD(struct config, recursion_ip4), .def = 1,
     .doc = "query authoritative servers over IPv4"},
    {"ip6", CONFREAD_BOOL, CONFREAD_FIELD(struct config, recursion_ip6), .def = 1,
     .doc = "query authoritative servers over IPv6"},
    {"use-0x20", CONFREAD_BOOL, CONFREAD_FIELD(struct config, use_0x20), .def = 0,
     .doc = "randomise the case of names sent to authoritative servers"},
};

static int config_recursion(struct confread *p, const struct yaml_node *v, void *obj)
{
	struct config *c = obj;
	int rc = confread_map(p, v, "recursion", CONFREAD_KEYS(recursion_keys), obj);
	if (rc == 0 && !c->recursion_ip4 && !c->recursion_ip6)
		return confread_fail(p, v, "recursion needs ip4 or ip6 (both are false)");
	return rc;
}

/* insecure-domains: domain names, normalised like forward zones. */
static int config_domain_item(struct confread *p, const struct yaml_node *node, void *slot)
{
	char *name = config_dname(node->text);
	if (!name)
		return confread_fail(p, node, "'%s' is not a domain name", node->text);
	*(char **)slot = name;
	return 0;
}

static const struct confread_key dnssec_keys[] = {
    {"validation", CONFREAD_BOOL, CONFREAD_FIELD(struct config, dnssec_validation), .def = 1,
     .doc = "validate every forwarded answer (AD, SERVFAIL + EDE)"},
    {"aggressive-nsec", CONFREAD_BOOL, CONFREAD_FIELD(struct config, aggressive_nsec), .def = 1,
     .doc = "answer NXDOMAIN/NODATA from validated NSEC ranges (RFC 8198)"},
    {"trust-anchor-file", CONFREAD_LIST,
     CONFREAD_ARRAY(struct config, anchor_files, n_anchor_files),
     .item_size = sizeof(struct config_zone), .item = config_zone_item,
     .doc = "trust anchors (DS or DNSKEY records); default the root KSK"},
    {"insecure-domains", CONFREAD_LIST,
     CONFREAD_ARRAY(struct config, insecure_domains, n_insecure_domains),
     .item_size = sizeof(char *), .item = config_domain_item,
     .doc = "negative trust anchors (RFC 7646): not validated"},
};

static int config_dnssec(struct confread *p, const struct yaml_node *v, void *obj)
{
	return confread_map(p, v, "dnssec", CONFREAD_KEYS(dnssec_keys), obj);
}

/* control.socket: a path, relative to the config folder; "" turns the socket off. */
static int config_control_socket(struct confread *p, const struct yaml_node *v, void *obj)
{
	struct config *c = obj;
	int rc = confread_scalar(p, v, "socket");
	if (rc < 0)
		return rc;
	free(c->control_socket);
	c->control_socket = v->text[0] ? config_path_at(p, v->text) : xstrdup("");
	return 0;
}

static const struct confread_key control_keys[] = {
    {"socket", CONFREAD_FUNC, .fn = config_control_socket,
     .doc = "the socket of megdns-control; default " CONFIG_CONTROL_SOCKET ", \"\" for none"},
};

static int config_control(struct confread *p, const struct yaml_node *v, void *obj)
{
	return confread_map(p, v, "control", CONFREAD_KEYS(control_keys), obj);
}

static int config_metrics_listen(struct confread *p, const struct yaml_node *v, void *obj)
{
	struct config *c = obj;
	int rc = confread_scalar(p, v, "listen");
	if (rc < 0)
		return rc;
	if (addr_parse(v->text, 9153, &c->metrics_listen) < 0)
		return confread_fail(p, v, "'%s' is not an address (ADDR or ADDR@PORT)", v->text);
	c->metrics = true;
	return 0;
}

/* metrics.allow replaces the default (loopback) list. */
static int config_metrics_allow(struct confread *p, const struct yaml_node *v, void *obj)
{
	struct config *c = obj;
	free(c->metrics_allow);
	c->metrics_allow = NULL;
	c->n_metrics_allow = 0;
	return confread_prefixes(p, v, "allow", &c->metrics_allow, &c->n_metrics_allow);
}

static const struct confread_key metrics_keys[] = {
    {"listen", CONFREAD_FUNC, .fn = config_metrics_listen,
     .doc = "address of the Prometheus /metrics listener (off when absent)"},
    {"allow", CONFREAD_FUNC, .fn = config_metrics_allow,
     .doc = "prefixes allowed to read /metrics; default 127.0.0.0/8, ::1/128"},
};

static int config_metrics(struct confread *p, const struct yaml_node *v, void *obj)
{
	return confread_map(p, v, "metrics", CONFREAD_KEYS(metrics_keys), obj);
}

static const struct confread_key top_keys[] = {
    {"server", CONFREAD_FUNC, .fn = config_server, .doc = "listeners, threads, logging, limits"},
    {"upstreams", CONFREAD_LIST, CONFREAD_ARRAY(struct config, upstreams, n_upstreams),
     .item_size = sizeof(struct addr), .item = config_upstream_item,
     .doc = "the upstreams for every name nothing else covers, ADDR[@PORT][#TLS-NAME]"},
    {"tls", CONFREAD_FUNC, .fn = config_tls_top,
     .doc = "TLS to upstreams written ADDR@853#AUTH-NAME"},
    {"forward-zones", CONFREAD_FUNC, .fn = config_fwd_zones,
     .doc = "zones forwarded to servers of their own"},
    {"stub-zones", CONFREAD_FUNC, .fn = config_stub_zones,
     .doc = "zones asked of their authoritative servers directly"},
    {"recursion", CONFREAD_FUNC, .fn = config_recursion,
     .doc = "resolving from the root (without top-level upstreams)"},
    {"cache", CONFREAD_FUNC, .fn = config_cache, .doc = "the answer cache"},
    {"views", CONFREAD_FUNC, .fn = config_views,
     .doc = "views, first match wins: who they are for and what they answer"},
    {"blocklists", CONFREAD_FUNC, .fn = config_blocklists,
     .doc = "named blocklists that views apply (views[].blocklists)"},
    {"dnssec", CONFREAD_FUNC, .fn = config_dnssec, .doc = "DNSSEC validation"},
    {"control", CONFREAD_FUNC, .fn = config_control, .doc = "the control socket"},
    {"metrics", CONFREAD_FUNC, .fn = config_metrics, .doc = "the Prometheus metrics listener"},
};

/* Every mapping of the file, for "it belongs under ..." and "did you mean ...". */
static const struct confread_section config_sections[] = {
    {"", "at the top level", CONFREAD_KEYS(top_keys)},
    {"server.", "under server:", CONFREAD_KEYS(server_keys)},
    {"server.proxy-protocol.", "under server.proxy-protocol:", config_proxy_keys,
     CONFIG_N_PROXY_KEYS},
    {"server.tls.", "under server.tls:", config_tls_keys, CONFIG_N_TLS_KEYS},
    {"server.https.", "under server.https:", config_https_keys, CONFIG_N_HTTPS_KEYS},
    {"tls.", "under tls:", config_tls_top_keys, CONFIG_N_TLS_TOP_KEYS},
    {"cache.", "under cache:", CONFREAD_KEYS(cache_keys)},
    {"dnssec.", "under dnssec:", CONFREAD_KEYS(dnssec_keys)},
    {"control.", "under control:", CONFREAD_KEYS(control_keys)},
    {"metrics.", "under metrics:", CONFREAD_KEYS(metrics_keys)},
    {"views[].", "in a views entry", config_view_keys, CONFIG_N_VIEW_KEYS},
    {"blocklists[].", "in a blocklists entry", config_blocklist_keys, CONFIG_N_BLOCKLIST_KEYS},
    {"forward-zones[].", "in a forward-zones entry", CONFREAD_KEYS(fwd_zone_keys)},
    {"stub-zones[].", "in a stub-zones entry", CONFREAD_KEYS(stub_zone_keys)},
    {"recursion.", "under recursion:", CONFREAD_KEYS(recursion_keys)},
};

/* ---- loading ---- */

static struct config *config_new(const char *path)
{
	struct config *c = xcalloc(1, sizeof(*c));

	c->path = xstrdup(path);
	confread_defaults(CONFREAD_KEYS(server_keys), c);
	confread_defaults(CONFREAD_KEYS(cache_keys), c);
	confread_defaults(CONFREAD_KEYS(dnssec_keys), c);
	confread_defaults(CONFREAD_KEYS(recursion_keys), c);
	/* The defaults of keys read by functions (CONFREAD_FUNC); listen comes in at the end. */
	c->cache_size = 64u << 20;
	c->control_socket = xstrdup(CONFIG_CONTROL_SOCKET);
	c->https_path = xstrdup("/dns-query");
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

static int config_walk(struct confread *p)
{
	const struct yaml_node *root = p->y.root;

	if (!root || root->null)
		return 0;
	if (root->type != YAML_MAP)
		return confread_fail(p, root,
				     "the configuration must be a mapping of sections "
				     "(server:, upstreams:, views:, ...), not %s",
				     yaml_type_name(root));
	int rc = confread_map(p, root, "", CONFREAD_KEYS(top_keys), config_of(p));
	if (rc == 0)
		rc = config_listeners_apart(p, root, config_of(p));
	return rc < 0 ? rc : config_views_resolve(p, config_of(p));
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
	struct confread p = {.path = path,
			     .err = err,
			     .errlen = errlen,
			     .sections = config_sections,
			     .n_sections = CONFREAD_COUNT(config_sections)};
	struct config *c;
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
	p.ud = c = config_new(path);
	c->dir = config_dir(path);
	rc = yaml_parse(&p.y, path, buf, len, err, errlen);
	free(buf);
	if (rc == 0) {
		rc = config_walk(&p);
		yaml_close(&p.y);
	}
	if (rc < 0) {
		config_free(c);
		return rc;
	}
	if (c->n_listen == 0)
		config_default_listen(c);
	*out = c;
	return 0;
}

void config_free(struct config *cfg)
{
	if (!cfg)
		return;
	free(cfg->path);
	free(cfg->dir);
	free(cfg->listen);
	free(cfg->proxy_listen);
	free(cfg->proxy_from);
	free(cfg->tls_listen);
	free(cfg->tls_cert.path);
	free(cfg->tls_key.path);
	free(cfg->https_listen);
	free(cfg->https_path);
	free(cfg->https_cert.path);
	free(cfg->https_key.path);
	free(cfg->upstreams);
	config_free_upstreams(cfg);
	for (size_t i = 0; cfg->fwd_zones && i < cfg->n_fwd_zones; i++) {
		free(cfg->fwd_zones[i].name);
		free(cfg->fwd_zones[i].upstreams);
	}
	free(cfg->fwd_zones);
	free(cfg->root_hints.path);
	free(cfg->outgoing);
	for (size_t i = 0; cfg->views && i < cfg->n_views; i++)
		config_free_view(&cfg->views[i]);
	free(cfg->views);
	for (size_t i = 0; cfg->blocklists && i < cfg->n_blocklists; i++)
		config_free_blocklist(&cfg->blocklists[i]);
	free(cfg->blocklists);
	for (size_t i = 0; cfg->anchor_files && i < cfg->n_anchor_files; i++)
		free(cfg->anchor_files[i].path);
	free(cfg->anchor_files);
	for (size_t i = 0; i < cfg->n_insecure_domains; i++)
		free(cfg->insecure_domains[i]);
	free(cfg->insecure_domains);
	free(cfg->user);
	free(cfg->control_socket);
	free(cfg->cache_file);
	free(cfg->metrics_allow);
	free(cfg);
}

const struct confread_section *config_schema(size_t *n)
{
	*n = CONFREAD_COUNT(config_sections);
	return config_sections;
}
