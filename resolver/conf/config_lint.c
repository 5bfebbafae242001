/*
 * config_lint.c -- the non-fatal warnings of `megdns -t`, see config_lint in config.h.
 *
 * Only provable problems are reported. No views at all refuses every client; an interface
 * name that this machine lacks matches nothing (today: it may come later, so only a warning).
 * A view is called unreachable when one earlier view matches every query it could match,
 * judged criterion by criterion (prefix coverage, interface names). Unions of several earlier
 * prefixes are not merged, so a warning may be missed, but never given wrongly.
 */
#include "conf/config.h"

#include <net/if.h>
#include <stdio.h>
#include <string.h>

/* Does a list of outer prefixes match every address the inner list matches? Empty = all. */
static bool config_lint_prefixes_cover(const struct prefix *outer, size_t n_outer,
				       const struct prefix *inner, size_t n_inner)
{
	if (n_outer == 0)
		return true;
	if (n_inner == 0)
		return false;
	for (size_t i = 0; i < n_inner; i++) {
		size_t o = 0;
		while (o < n_outer && !prefix_covers(&outer[o], &inner[i]))
			o++;
		if (o == n_outer)
			return false;
	}
	return true;
}

static bool config_lint_ifnames_cover(char *const *outer, size_t n_outer, char *const *inner,
				      size_t n_inner)
{
	if (n_outer == 0)
		return true;
	if (n_inner == 0)
		return false;
	for (size_t i = 0; i < n_inner; i++) {
		size_t o = 0;
		while (o < n_outer && strcmp(outer[o], inner[i]) != 0)
			o++;
		if (o == n_outer)
			return false;
	}
	return true;
}

/*
 * Does view a match every query that view b matches? A view matches when each of its
 * criteria kinds matches (see view.h), so a shadows b when every criterion of a is implied
 * by b's criterion of the same kind.
 */
static bool config_lint_shadows(const struct config_view *a, const struct config_view *b)
{
	return config_lint_prefixes_cover(a->clients, a->n_clients, b->clients, b->n_clients) &&
	       config_lint_ifnames_cover(a->interfaces, a->n_interfaces, b->interfaces,
					 b->n_interfaces) &&
	       config_lint_prefixes_cover(a->destinations, a->n_destinations, b->destinations,
					  b->n_destinations);
}

int config_lint_host(const struct config *cfg, void (*warn)(void *ud, const char *text), void *ud)
{
	char text[512];
	int count = 0;
	for (size_t k = 0; k < cfg->n_views; k++) {
		const struct config_view *v = &cfg->views[k];
		for (size_t i = 0; i < v->n_interfaces; i++) {
			if (if_nametoindex(v->interfaces[i]) != 0)
				continue;
			snprintf(text, sizeof(text),
				 "%s:%d: warning: view '%s': interface %s does not exist on this "
				 "machine (yet); no query can arrive on it until it does",
				 cfg->path, v->pos.line, v->name, v->interfaces[i]);
			warn(ud, text);
			count++;
		}
	}
	return count;
}

int config_lint(const struct config *cfg, void (*warn)(void *ud, const char *text), void *ud)
{
	char text[512];
	int count = 0;

	if (cfg->n_views == 0) {
		snprintf(text, sizeof(text),
			 "%s: warning: no views: every client will be REFUSED (add one under "
			 "views:; a view without match-* keys matches every client)",
			 cfg->path);
		warn(ud, text);
		count++;
	}

	for (size_t i = 0; i < cfg->n_views; i++) {
		const struct config_view *b = &cfg->views[i];
		for (size_t j = 0; j < i; j++) {
			if (!config_lint_shadows(&cfg->views[j], b))
				continue;
			snprintf(text, sizeof(text),
				 "%s:%d: warning: view '%s' can never match: view '%s' above it "
				 "matches all its clients",
				 cfg->path, b->pos.line, b->name, cfg->views[j].name);
			warn(ud, text);
			count++;
			break;
		}
		if (b->n_zones == 0 && b->n_records == 0 && b->n_upstreams == 0 &&
		    b->n_hosts == 0 && b->n_local_forward == 0 && b->n_blocklists == 0) {
			snprintf(
			    text, sizeof(text),
			    "%s:%d: warning: view '%s' has no zones, records, hosts or upstreams",
			    cfg->path, b->pos.line, b->name);
			warn(ud, text);
			count++;
		}
	}
	return count;
}
