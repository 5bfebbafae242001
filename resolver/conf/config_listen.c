/*
 * config_listen.c -- the listeners of server: besides server.listen: proxy-protocol (queries
 * behind a PROXY header) and tls (DNS over TLS), and the rule that an address serves one
 * kind of listener only.
 */
#include "conf/config_impl.h"
#include "util/addr.h"
#include "util/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct confread_key config_proxy_keys[CONFIG_N_PROXY_KEYS] = {
    {"listen", CONFREAD_ADDRS, CONFREAD_ARRAY(struct config, proxy_listen, n_proxy_listen),
     .doc = "addresses whose UDP and TCP queries start with a PROXY header (v2; v1 on TCP)"},
    {"from", CONFREAD_PREFIXES, CONFREAD_ARRAY(struct config, proxy_from, n_proxy_from),
     .doc = "the proxies (frp, nginx, haproxy) that may send headers; others are dropped"},
};

/* proxy-protocol: its own listeners, and who may send them headers. */
int config_proxy(struct confread *p, const struct yaml_node *v, void *obj)
{
	struct config *c = obj;
	int rc = confread_map(p, v, "proxy-protocol", config_proxy_keys, CONFIG_N_PROXY_KEYS, obj);
	if (rc < 0)
		return rc;
	if (c->n_proxy_listen && !c->n_proxy_from)
		return confread_fail(p, v,
				     "proxy-protocol needs 'from': the addresses of the proxies "
				     "that may send PROXY headers (anyone else could claim any "
				     "client address)");
	return 0;
}

/* An encrypted listener's addresses, port default_port unless one is given. */
static int config_port_listen(struct confread *p, const struct yaml_node *v, uint16_t default_port,
			      struct addr **out, size_t *n_out)
{
	const struct yaml_item *s;
	long n = confread_items(p, v, "listen", false, &s);
	if (n < 0)
		return (int)n;
	free(*out);
	*out = xcalloc((size_t)n + 1, sizeof(**out));
	*n_out = 0;
	for (; s; s = s->next)
		if (addr_parse(s->node->text, default_port, &(*out)[(*n_out)++]) < 0)
			return confread_fail(p, s->node, "'%s' is not an address (ADDR[@PORT])",
					     s->node->text);
	return 0;
}

static int config_tls_listen(struct confread *p, const struct yaml_node *v, void *obj)
{
	struct config *c = obj;
	return config_port_listen(p, v, 853, &c->tls_listen, &c->n_tls_listen);
}

static int config_tls_file(struct confread *p, const struct yaml_node *v, struct config_zone *z,
			   const char *what)
{
	int rc = confread_scalar(p, v, what);
	if (rc < 0)
		return rc;
	if (!v->text[0])
		return confread_fail(p, v, "tls.%s must name a file", what);
	free(z->path);
	return config_zone_item(p, v, z);
}

static int config_tls_cert(struct confread *p, const struct yaml_node *v, void *obj)
{
	return config_tls_file(p, v, &((struct config *)obj)->tls_cert, "certificate");
}

static int config_tls_key(struct confread *p, const struct yaml_node *v, void *obj)
{
	return config_tls_file(p, v, &((struct config *)obj)->tls_key, "key");
}

const struct confread_key config_tls_keys[CONFIG_N_TLS_KEYS] = {
    {"listen", CONFREAD_FUNC, .fn = config_tls_listen,
     .doc = "addresses for DNS over TLS, ADDR[@PORT], port 853 by default"},
    {"certificate", CONFREAD_FUNC, .fn = config_tls_cert,
     .doc = "the server's PEM certificate chain (read again at reload)"},
    {"key", CONFREAD_FUNC, .fn = config_tls_key, .doc = "its PEM private key"},
    {"ca-file", CONFREAD_FUNC, .fn = config_tls_ca,
     .doc = "the same as the top-level tls.ca-file (CAs for upstream certificates)"},
};

int config_tls(struct confread *p, const struct yaml_node *v, void *obj)
{
	struct config *c = obj;
	int rc = confread_map(p, v, "tls", config_tls_keys, CONFIG_N_TLS_KEYS, obj);
	if (rc < 0)
		return rc;
	if (c->n_tls_listen && (!c->tls_cert.path || !c->tls_key.path))
		return confread_fail(p, v, "tls needs 'certificate' and 'key' for its listeners");
	return 0;
}

static int config_https_listen(struct confread *p, const struct yaml_node *v, void *obj)
{
	struct config *c = obj;
	return config_port_listen(p, v, 443, &c->https_listen, &c->n_https_listen);
}

static int config_https_path(struct confread *p, const struct yaml_node *v, void *obj)
{
	struct config *c = obj;
	int rc = confread_scalar(p, v, "path");
	if (rc < 0)
		return rc;
	if (v->text[0] != '/' || strpbrk(v->text, "?# \t"))
		return confread_fail(p, v,
				     "https.path must be an absolute URL path like "
				     "/dns-query, not '%s'",
				     v->text);
	free(c->https_path);
	c->https_path = xstrdup(v->text);
	return 0;
}

static int config_https_cert(struct confread *p, const struct yaml_node *v, void *obj)
{
	return config_tls_file(p, v, &((struct config *)obj)->https_cert, "certificate");
}

static int config_https_key(struct confread *p, const struct yaml_node *v, void *obj)
{
	return config_tls_file(p, v, &((struct config *)obj)->https_key, "key");
}

const struct confread_key config_https_keys[CONFIG_N_HTTPS_KEYS] = {
    {"listen", CONFREAD_FUNC, .fn = config_https_listen,
     .doc = "addresses for DNS over HTTPS (HTTP/2), ADDR[@PORT], port 443 by default"},
    {"path", CONFREAD_FUNC, .fn = config_https_path,
     .doc = "the URL path of the DoH endpoint, default /dns-query"},
    {"certificate", CONFREAD_FUNC, .fn = config_https_cert,
     .doc = "its PEM certificate chain; default: server.tls's"},
    {"key", CONFREAD_FUNC, .fn = config_https_key,
     .doc = "its PEM private key; default: server.tls's"},
};

int config_https(struct confread *p, const struct yaml_node *v, void *obj)
{
	struct config *c = obj;
	int rc = confread_map(p, v, "https", config_https_keys, CONFIG_N_HTTPS_KEYS, obj);
	if (rc < 0)
		return rc;
	if (!c->https_cert.path != !c->https_key.path)
		return confread_fail(p, v,
				     "https needs both 'certificate' and 'key', or neither "
				     "(then server.tls's are used)");
	return 0;
}

/* Does a appear in l[0..n)? */
static bool config_addr_in(const struct addr *a, const struct addr *l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (addr_equal(a, &l[i]))
			return true;
	return false;
}

int config_listeners_apart(struct confread *p, const struct yaml_node *root, const struct config *c)
{
	struct addr defaults[2];
	addr_parse("127.0.0.1", 53, &defaults[0]);
	addr_parse("::1", 53, &defaults[1]);
	const struct addr *l = c->n_listen ? c->listen : defaults;
	size_t n = c->n_listen ? c->n_listen : 2;
	const struct yaml_node *server = yaml_get(root, "server");
	for (size_t i = 0; i < c->n_proxy_listen; i++)
		if (config_addr_in(&c->proxy_listen[i], l, n) ||
		    config_addr_in(&c->proxy_listen[i], c->proxy_listen, i))
			return confread_fail(
			    p, yaml_get(yaml_get(server, "proxy-protocol"), "listen"),
			    "proxy-protocol.listen: an address of server.listen, or one listed "
			    "twice; PROXY listeners need addresses (or ports) of their own");
	for (size_t i = 0; i < c->n_tls_listen; i++)
		if (config_addr_in(&c->tls_listen[i], l, n) ||
		    config_addr_in(&c->tls_listen[i], c->proxy_listen, c->n_proxy_listen) ||
		    config_addr_in(&c->tls_listen[i], c->tls_listen, i))
			return confread_fail(p, yaml_get(yaml_get(server, "tls"), "listen"),
					     "tls.listen: an address another listener has, or one "
					     "listed twice");
	for (size_t i = 0; i < c->n_https_listen; i++)
		if (config_addr_in(&c->https_listen[i], l, n) ||
		    config_addr_in(&c->https_listen[i], c->proxy_listen, c->n_proxy_listen) ||
		    config_addr_in(&c->https_listen[i], c->tls_listen, c->n_tls_listen) ||
		    config_addr_in(&c->https_listen[i], c->https_listen, i))
			return confread_fail(
			    p, yaml_get(yaml_get(server, "https"), "listen"),
			    "https.listen: an address another listener has, or one "
			    "listed twice");
	if (c->n_https_listen && !c->https_cert.path && !c->tls_cert.path)
		return confread_fail(p, yaml_get(server, "https"),
				     "https needs a 'certificate' and 'key' (its own, or "
				     "server.tls's)");
	return 0;
}
