/*
 * view.h -- views: which client sees which override data and which upstreams.
 *
 * A view_set is built from a config: for every configured view it loads the override zones
 * and records into a localdata table and fixes the view's cache scope (its own name when it
 * has its own upstreams, so its answers never mix with the shared cache, else ""). view_select
 * maps one query to the first view whose criteria all match: any match-clients prefix for the
 * source address, any match-interfaces name for the arrival interface, any match-destinations
 * prefix for the local address; a view without criteria matches everyone. Every view answers
 * the default local zones (special.h) but those its local-zones entries turn off.
 */
#ifndef MEGDNS_VIEW_H
#define MEGDNS_VIEW_H

#include "conf/config.h"
#include "policy/blocklist.h"
#include "policy/localdata.h"
#include "policy/special.h"
#include "util/notes.h"

#include <stdbool.h>
#include <sys/socket.h>

struct view {
	const struct config_view *cfg; /* owned by the config the set was built from */
	struct localdata *local;       /* owned */
	const char *scope;             /* cache scope: cfg->name or "" */
	bool *special_off;             /* per default local zone: local-zones says forward */
	struct blocklist **lists;      /* views[].blocklists, in order (owned by the set) */
	size_t n_lists;
};

struct view_set {
	struct view *views;
	size_t n_views;
	bool uses_interfaces; /* some view has match-interfaces: callers must name the interface */
	struct special *special;  /* the default local zones, shared by the views */
	struct notes notes;       /* what loading found wrong but not fatal */
	struct blocklist **lists; /* the top-level blocklists, config order; one reference each */
	bool *list_loaded;        /* ... read from disk by this build (else kept from reuse) */
	size_t n_lists;
};

/*
 * Build the views of cfg (which must outlive the set), loading every zone file, record,
 * hosts file and blocklist. A blocklist of reuse (the running set, or NULL) whose files are
 * the same and unchanged on disk is shared instead of read again. On error returns a
 * negative errno and writes "FILE:LINE: what is wrong" into err; nothing is left allocated.
 */
int view_set_build(struct view_set *vs, const struct config *cfg, const struct view_set *reuse,
		   char *err, size_t errlen);

/*
 * The warnings of `megdns -t` that need the loaded data: lines of hosts files skipped, and a
 * records entry and a zone of the same view that both answer one name and type. Each goes to warn
 * as "FILE:LINE: warning: ..."; returns how many.
 */
size_t view_set_lint(const struct view_set *vs, const struct config *cfg,
		     void (*warn)(void *ud, const char *text), void *ud);

/* Free what view_set_build allocated. */
void view_set_close(struct view_set *vs);

/*
 * The view for a query from client, sent to local (NULL if unknown), arriving on interface
 * ifname (NULL if unknown). Returns NULL when no view matches (the client gets REFUSED).
 */
const struct view *view_select(const struct view_set *vs, const struct sockaddr *client,
			       const struct sockaddr *local, const char *ifname);

/* Does view v match the query (the same rules as view_select, for one view)? */
bool view_matches(const struct view *v, const struct sockaddr *client, const struct sockaddr *local,
		  const char *ifname);

#endif
