/*
 * state.c -- build and reference-count the serving state. See state.h.
 */
#include "policy/state.h"
#include "util/tls.h"
#include "util/xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Trust anchors for a validating config, with the negative trust anchors of insecure-domains
 * and of forward zones that have dnssec: false; an unreadable file is reported at its config
 * entry.
 */
static int state_anchors(struct state *s, char *err, size_t errlen)
{
	const struct config *c = s->cfg;
	const char *files[16];
	char why[512];
	if (!c->dnssec_validation)
		return 0;
	if (c->n_anchor_files > sizeof(files) / sizeof(files[0])) {
		snprintf(err, errlen, "%s: at most 16 trust anchor files", c->path);
		return -EINVAL;
	}
	for (size_t i = 0; i < c->n_anchor_files; i++)
		files[i] = c->anchor_files[i].path;
	/* A forward zone with dnssec: false is a negative trust anchor like insecure-domains. */
	char **insecure = xcalloc(c->n_insecure_domains + c->n_fwd_zones + 1, sizeof(*insecure));
	size_t n = 0;
	for (size_t i = 0; i < c->n_insecure_domains; i++)
		insecure[n++] = c->insecure_domains[i];
	for (size_t i = 0; i < c->n_fwd_zones; i++)
		if (!c->fwd_zones[i].dnssec)
			insecure[n++] = c->fwd_zones[i].name;
	int r =
	    anchor_set_load(&s->anchors, files, c->n_anchor_files, insecure, n, why, sizeof(why));
	free(insecure);
	if (r == 0)
		return 0;
	snprintf(err, errlen, "%s", why);
	for (size_t i = 0; i < c->n_anchor_files; i++) {
		size_t pl = strlen(files[i]);
		if (!strncmp(why, files[i], pl) && why[pl] == ':' && why[pl + 1] == ' ')
			snprintf(err, errlen, "%s:%d:%d: trust anchor file %s", c->path,
				 c->anchor_files[i].pos.line, c->anchor_files[i].pos.col, why);
	}
	return r;
}

/* The root hints: the config's file (an error points at its key) or the built-in ones. */
static int state_hints(struct state *s, char *err, size_t errlen)
{
	const struct config *c = s->cfg;
	char why[512];
	s->hints = xcalloc(1, sizeof(*s->hints));
	if (!c->root_hints.path) {
		hints_builtin(s->hints);
		return 0;
	}
	int r = hints_load(s->hints, c->root_hints.path, why, sizeof(why));
	if (r < 0)
		snprintf(err, errlen, "%s:%d:%d: recursion.root-hints: %s", c->path,
			 c->root_hints.pos.line, c->root_hints.pos.col, why);
	return r;
}

/* Upstreams over TLS: the client context, with tls.ca-file read now (at reload too). */
static int state_tls_client(struct state *s, char *err, size_t errlen)
{
	const struct config *c = s->cfg;
	bool any = false;
	for (size_t i = 0; i < c->n_upstream_addrs; i++)
		any = any || c->tls_names[i];
	if (!any)
		return 0;
	char why[1024];
	s->tls_client = tls_client_ctx(c->tls_ca.path, why, sizeof(why));
	if (!s->tls_client) {
		snprintf(err, errlen, "%s:%d:%d: tls.ca-file: %s", c->path, c->tls_ca.pos.line,
			 c->tls_ca.pos.col, why);
		return -EINVAL;
	}
	return 0;
}

/* A listener's context for cert and key (read now, at reload too): errors point at cert. */
static SSL_CTX *state_tls_ctx(const struct config *c, const struct config_zone *cert,
			      const struct config_zone *key, const char *alpn, char *err,
			      size_t errlen)
{
	char why[1024];
	SSL_CTX *ctx = tls_server_ctx(cert->path, key->path, alpn, why, sizeof(why));
	if (!ctx)
		snprintf(err, errlen, "%s:%d:%d: %s: %s", c->path, cert->pos.line, cert->pos.col,
			 !strcmp(alpn, "h2") ? "https" : "tls", why);
	return ctx;
}

/* server.tls and server.https (ALPN dot and h2), then the upstreams' client context. */
static int state_tls(struct state *s, char *err, size_t errlen)
{
	const struct config *c = s->cfg;
	if (c->n_tls_listen &&
	    !(s->tls = state_tls_ctx(c, &c->tls_cert, &c->tls_key, "dot", err, errlen)))
		return -EINVAL;
	bool own = c->https_cert.path != NULL;
	if (c->n_https_listen &&
	    !(s->https = state_tls_ctx(c, own ? &c->https_cert : &c->tls_cert,
				       own ? &c->https_key : &c->tls_key, "h2", err, errlen)))
		return -EINVAL;
	return state_tls_client(s, err, errlen);
}

int state_load(const char *config_path, const struct state *reuse, struct state **out, char *err,
	       size_t errlen)
{
	struct state *s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	int r = config_load(config_path, &s->cfg, err, errlen);
	if (r < 0)
		goto fail;
	r = view_set_build(&s->views, s->cfg, reuse ? &reuse->views : NULL, err, errlen);
	if (r < 0)
		goto fail_cfg;
	r = forward_init(&s->fwd, s->cfg, err, errlen);
	if (r < 0)
		goto fail_views;
	r = state_hints(s, err, errlen);
	if (r == 0)
		r = state_anchors(s, err, errlen);
	if (r == 0)
		r = state_tls(s, err, errlen);
	if (r == 0)
		ddr_init(&s->ddr, s->cfg, s->tls ? s->tls : s->https);
	if (r < 0)
		goto fail_fwd;
	s->warned_unprovable = xcalloc(s->fwd.n_zones + 1, sizeof(*s->warned_unprovable));
	for (size_t i = 0; i < s->fwd.n_zones; i++)
		atomic_init(&s->warned_unprovable[i], false);
	atomic_init(&s->refs, 1);
	*out = s;
	return 0;
fail_fwd:
	anchor_set_free(s->anchors);
	SSL_CTX_free(s->tls);
	SSL_CTX_free(s->https);
	SSL_CTX_free(s->tls_client);
	free(s->hints);
	forward_close(&s->fwd);
fail_views:
	view_set_close(&s->views);
fail_cfg:
	config_free(s->cfg);
fail:
	free(s);
	return r;
}

struct state *state_ref(struct state *s)
{
	atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
	return s;
}

void state_unref(struct state *s)
{
	if (!s || atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) > 1)
		return;
	anchor_set_free(s->anchors);
	SSL_CTX_free(s->tls);
	SSL_CTX_free(s->https);
	SSL_CTX_free(s->tls_client);
	free(s->hints);
	free(s->warned_unprovable);
	forward_close(&s->fwd);
	view_set_close(&s->views);
	config_free(s->cfg);
	free(s);
}

int state_lint(const struct state *s, void (*warn)(void *ud, const char *text), void *ud)
{
	const struct config *c = s->cfg;
	char text[1024];
	if (s->fwd.n_defaults)
		return 0; /* forwarding: the hints are not used */
	for (size_t i = 0; i < s->hints->n; i++)
		for (size_t j = 0; j < s->hints->servers[i].n_addrs; j++)
			if (hints_may_ask(c, &s->hints->servers[i].addrs[j]))
				return 0;
	snprintf(text, sizeof(text),
		 "%s:%d: warning: no root server can be asked: every address of the root hints is "
		 "on loopback (set recursion.query-localhost: true for a test root) or of a family "
		 "turned off (recursion.ip4, recursion.ip6); names that are not local data will "
		 "get SERVFAIL",
		 c->path, c->root_hints.path ? c->root_hints.pos.line : 1);
	warn(ud, text);
	return 1;
}

bool state_warned_unprovable(struct state *s, size_t i)
{
	return i >= s->fwd.n_zones || atomic_exchange(&s->warned_unprovable[i], true);
}
