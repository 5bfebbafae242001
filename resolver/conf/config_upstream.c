/*
 * config_upstream.c -- the servers upstream lists name, and where DNS over TLS is set up.
 *
 * An entry of upstreams (top level, forward-zones, views) or of stub-zones' servers is
 * "ADDR[@PORT][#AUTH-NAME]", as Unbound writes them: with a name the server is reached over
 * TLS only (port 853 unless another is given) and its certificate must be valid for that name.
 * A server is one address and port, so every list that names it must say the same of it: one
 * written plain in one place and with a name in another would leave the choice of transport to
 * chance. Each server is recorded once (config.h upstream_addrs) for the upstream pool.
 */
#include "conf/config_impl.h"
#include "util/xalloc.h"

#include <stdlib.h>
#include <string.h>

/* The auth name of text after '#': lower case, no final dot; NULL when not a host name. */
static char *config_auth_name(const char *text)
{
	char *name = config_dname(text);
	if (!name)
		return NULL;
	size_t n = strlen(name);
	if (n <= 1) { /* "." names no host */
		free(name);
		return NULL;
	}
	name[n - 1] = '\0';
	return name;
}

/* Record a (named name, or plain) once; 0, or an error when another list said otherwise. */
static int config_upstream_record(struct confread *p, const struct yaml_node *node,
				  const struct addr *a, char *name)
{
	struct config *c = config_of(p);
	for (size_t i = 0; i < c->n_upstream_addrs; i++) {
		if (!addr_equal(&c->upstream_addrs[i], a))
			continue;
		const char *had = c->tls_names[i];
		bool same = had && name ? !strcmp(had, name) : had == name;
		free(name);
		if (same)
			return 0;
		return confread_fail(p, node,
				     "'%s': this server is named %s%s elsewhere; a server (address "
				     "and port) is reached one way, over TLS for one name or plain",
				     node->text, had ? "with #" : "without a #NAME",
				     had ? had : "");
	}
	size_t n = c->n_upstream_addrs;
	c->upstream_addrs = xrealloc(c->upstream_addrs, (n + 1) * sizeof(*c->upstream_addrs));
	c->tls_names = xrealloc(c->tls_names, (n + 1) * sizeof(*c->tls_names));
	c->upstream_addrs[n] = *a;
	c->tls_names[n] = name;
	c->n_upstream_addrs = n + 1;
	return 0;
}

int config_upstream_item(struct confread *p, const struct yaml_node *node, void *slot)
{
	struct addr *a = slot;
	const char *hash = strchr(node->text, '#');
	char *name = NULL;
	if (hash && !(name = config_auth_name(hash + 1)))
		return confread_fail(p, node,
				     "'%s': after '#' comes the name the server's TLS certificate "
				     "is for (ADDR@853#dns.example.net)",
				     node->text);
	size_t n = hash ? (size_t)(hash - node->text) : strlen(node->text);
	char text[128] = "";
	if (n < sizeof(text))
		memcpy(text, node->text, n);
	if (n >= sizeof(text) || addr_parse(text, name ? 853 : 53, a) < 0) {
		free(name);
		return confread_fail(p, node,
				     "'%s' is not a server (ADDR, ADDR@PORT or ADDR@PORT#TLS-NAME)",
				     node->text);
	}
	return config_upstream_record(p, node, a, name);
}

/* tls.ca-file, under server.tls or a top-level tls: (the same setting, given once). */
int config_tls_ca(struct confread *p, const struct yaml_node *v, void *obj)
{
	struct config *c = obj;
	int rc = confread_scalar(p, v, "ca-file");
	if (rc < 0)
		return rc;
	if (!v->text[0])
		return confread_fail(p, v, "tls.ca-file must name a file");
	if (c->tls_ca.path)
		return confread_fail(p, v, "tls.ca-file is set twice (server.tls and tls)");
	return config_zone_item(p, v, &c->tls_ca);
}

const struct confread_key config_tls_top_keys[CONFIG_N_TLS_TOP_KEYS] = {
    {"ca-file", CONFREAD_FUNC, .fn = config_tls_ca,
     .doc = "PEM CA certificates upstream TLS certificates may chain to, besides the system's"},
};

int config_tls_top(struct confread *p, const struct yaml_node *v, void *obj)
{
	return confread_map(p, v, "tls", config_tls_top_keys, CONFIG_N_TLS_TOP_KEYS, obj);
}

void config_free_upstreams(struct config *c)
{
	for (size_t i = 0; i < c->n_upstream_addrs; i++)
		free(c->tls_names[i]);
	free(c->tls_names);
	free(c->upstream_addrs);
	free(c->tls_ca.path);
}
