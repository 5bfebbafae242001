/*
 * state.h -- everything megdns serves from, built from one config file.
 *
 * A state bundles the parsed config, the views with their loaded override data and the
 * forwarding table. It is immutable once built, but for log-once flags. Reload builds a complete
 * new state beside the running one and swaps only when every part loaded; requests hold a reference
 * to the state they started with, so an old state lives until its last in-flight query is answered.
 */
#ifndef MEGDNS_STATE_H
#define MEGDNS_STATE_H

#include "dnssec/anchor.h"
#include "conf/config.h"
#include "policy/ddr.h"
#include "policy/forward.h"
#include "policy/hints.h"
#include "policy/view.h"

#include <stdatomic.h>

struct state {
	struct config *cfg; /* owned */
	struct view_set views;
	struct forward fwd;
	struct anchor_set *anchors; /* NULL when dnssec.validation is off */
	struct hints *hints;        /* the root servers to start from: recursion.root-hints */
	struct ssl_ctx_st *tls;     /* server.tls's context (util/tls.h), NULL without listeners */
	struct ssl_ctx_st *https;   /* server.https's (ALPN h2), NULL without its listeners */
	struct ssl_ctx_st *tls_client; /* for ADDR#NAME upstreams (util/tls.h), NULL without */
	struct ddr ddr;                /* _dns.resolver.arpa. SVCB: the encrypted listeners */
	atomic_uint refs;              /* workers on several threads hold references */
	/* Per forward zone (fwd.zones order): warned that validation cannot prove it. The one
	 * thing that changes after the build: a log-once flag, set by any worker. */
	atomic_bool *warned_unprovable;
};

/*
 * Has forward zone i (index into s->fwd.zones) been warned about as unprovable? Marks it:
 * true for every caller but the first.
 */
bool state_warned_unprovable(struct state *s, size_t i);

/*
 * Load config_path and everything it names; blocklists unchanged since reuse (the running
 * state, or NULL) was built are shared, not read again. On success *out holds one reference.
 * On error returns a negative errno and err holds "FILE:LINE[:COL]: what is wrong".
 */
int state_load(const char *config_path, const struct state *reuse, struct state **out, char *err,
	       size_t errlen);

/*
 * Call warn(ud, "FILE:LINE: warning: ...") for what makes resolving from the root impossible
 * though the config asks for it: no root server the walk may ask (every hints address on
 * loopback without recursion.query-localhost, or of a family turned off). Returns the count.
 */
int state_lint(const struct state *s, void (*warn)(void *ud, const char *text), void *ud);

/* Take / drop a reference; the last unref frees the state. */
struct state *state_ref(struct state *s);
void state_unref(struct state *s);

#endif
