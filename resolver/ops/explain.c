/*
 * explain.c -- explain the answer a client would get. See explain.h.
 */
#include "ops/explain.h"

#include "dnssec/anchor.h"
#include "dns/cache.h"
#include "policy/chase.h"
#include "dnssec/keycache.h"
#include "policy/localdata.h"
#include "policy/blocklist.h"
#include "policy/rebind.h"
#include "policy/special.h"
#include "dns/msg.h"
#include "dns/pkt.h"
#include "policy/state.h"
#include "daemon/threads.h"
#include "daemon/upstream.h"
#include "daemon/worker.h"
#include "resolve/deleg.h"
#include "util/xalloc.h"

#include <errno.h>
#include <ldns/ldns.h>
#include <string.h>

int explain_parse(int argc, char **argv, struct explain_args *a, FILE *out)
{
	int pos = 0;
	memset(a, 0, sizeof(*a));
	a->qtype = LDNS_RR_TYPE_A;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--interface") && i + 1 < argc) {
			a->ifname = argv[++i];
		} else if (!strcmp(argv[i], "--destination") && i + 1 < argc) {
			if (addr_parse(argv[++i], 53, &a->dest) < 0)
				goto usage;
			a->has_dest = true;
		} else if (pos == 0 && addr_parse(argv[i], 53, &a->client) == 0) {
			pos++;
		} else if (pos == 1) {
			a->name = argv[i];
			pos++;
		} else if (pos == 2 && (a->qtype = ldns_get_rr_type_by_name(argv[i])) != 0) {
			pos++;
		} else {
			goto usage;
		}
	}
	if (pos >= 2)
		return 0;
usage:
	fprintf(out, "usage: explain CLIENT-ADDR [--interface IF] [--destination ADDR] NAME "
		     "[TYPE]\n");
	return -EINVAL;
}

/* Say whether one kind of criterion of view v matches, and why. */
static void explain_prefixes(const char *what, const struct prefix *p, size_t n,
			     const struct sockaddr *sa, const char *ifname, FILE *out)
{
	char buf[ADDR_STRLEN];
	for (size_t i = 0; i < n; i++)
		if (prefix_match(&p[i], sa, ifname)) {
			fprintf(out, "    %s: %s matches\n", what,
				prefix_format(&p[i], buf, sizeof(buf)));
			return;
		}
	fprintf(out, "    %s: no entry matches\n", what);
}

/* Say why view v matches the client or not; chosen: it is the one view_select picked. */
static void explain_view(const struct view *v, bool chosen, const struct explain_args *a, FILE *out)
{
	const struct config_view *c = v->cfg;
	fprintf(out, "view %s:\n", c->name);
	if (!c->n_clients && !c->n_interfaces && !c->n_destinations)
		fprintf(out, "    no criteria: matches every client\n");
	if (c->n_clients)
		explain_prefixes("match-clients", c->clients, c->n_clients,
				 (const struct sockaddr *)&a->client.ss, a->ifname, out);
	if (c->n_destinations && !a->has_dest) {
		fprintf(out, "    match-destinations: no --destination given\n");
	} else if (c->n_destinations) {
		explain_prefixes("match-destinations", c->destinations, c->n_destinations,
				 (const struct sockaddr *)&a->dest.ss, a->ifname, out);
	}
	if (c->n_interfaces) {
		bool any = false;
		for (size_t i = 0; a->ifname && i < c->n_interfaces; i++)
			any |= !strcmp(c->interfaces[i], a->ifname);
		fprintf(out, "    match-interfaces: %s\n",
			!a->ifname ? "no --interface given"
			: any      ? a->ifname
				   : "not listed");
	}
	/* The verdict is the pipeline's own (view_select); the lines above only say why. */
	fprintf(out, "    => %s\n", chosen ? "MATCHES (first match wins)" : "does not match");
}

/* Print the records of a reply body, dig style. */
static void explain_records(const uint8_t *body, size_t len, FILE *out)
{
	ldns_pkt *p = pkt_from_wire(body, len, NULL, NULL);
	if (!p)
		return;
	char *rc = ldns_pkt_rcode2str(ldns_pkt_get_rcode(p));
	fprintf(out, "    rcode %s%s\n", rc ? rc : "?",
		ldns_pkt_aa(p) ? ", authoritative (aa)" : "");
	free(rc);
	ldns_rr_list *sections[] = {ldns_pkt_answer(p), ldns_pkt_authority(p)};
	for (size_t s = 0; s < 2; s++)
		for (size_t i = 0; i < ldns_rr_list_rr_count(sections[s]); i++) {
			char *t = ldns_rr2str(ldns_rr_list_rr(sections[s], i));
			fprintf(out, "    %s%s", s ? "(authority) " : "", t ? t : "?\n");
			free(t);
		}
	ldns_pkt_free(p);
}

struct explain_cache {
	uint8_t key[CACHE_KEY_MAX];
	size_t key_len;
	const uint8_t *name; /* lower-case wire */
	size_t name_len;
	FILE *out;
};

/* Where this worker's key cache saw the chain of trust for name break, if it did. */
static void explain_broken_chain(struct worker *w, const uint8_t *name, size_t len, FILE *out)
{
	ldns_rdf *n = ldns_dname_new_frm_data((uint16_t)len, name);
	while (n) {
		const struct keycache_entry *e = keycache_get(w->keycache, n, worker_now(w));
		if (e && e->state == KEYCACHE_BOGUS) {
			char *z = ldns_rdf2str(n);
			fprintf(out, "        the chain of trust broke at %s (EDE %d)\n",
				z ? z : "?", e->ede);
			free(z);
		}
		if (e || ldns_dname_label_count(n) == 0)
			break;
		ldns_rdf *up = ldns_dname_left_chop(n);
		ldns_rdf_deep_free(n);
		n = up;
	}
	ldns_rdf_deep_free(n);
}

static void explain_cache_job(struct worker *w, size_t index, void *arg)
{
	static const char *const sec[4] = {"not validated", "insecure", "secure", "bogus"};
	struct explain_cache *ec = arg;
	uint64_t now = worker_now(w);
	/* Clients with and without DO are cached apart (the former get the RRSIGs). */
	for (int dnssec = 0; dnssec < 2; dnssec++) {
		struct cache_entry e;
		const char *who = dnssec ? "for DO clients" : "for plain queries";
		ec->key[ec->key_len - 1] = dnssec ? CACHE_KEY_DO : 0;
		if (!cache_lookup(w->cache, ec->key, ec->key_len, now, &e)) {
			fprintf(ec->out, "    worker %zu: not cached %s\n", index, who);
			continue;
		}
		fprintf(ec->out, "    worker %zu: cached %s, %llu s left, DNSSEC %s", index, who,
			(unsigned long long)((e.expire_ms - now) / 1000),
			sec[CACHE_SEC_STATUS(e.sec)]);
		if (CACHE_SEC_STATUS(e.sec) == CACHE_BOGUS)
			fprintf(ec->out, " (EDE %d): the client gets SERVFAIL",
				CACHE_SEC_EDE(e.sec));
		fputc('\n', ec->out);
		if (CACHE_SEC_STATUS(e.sec) == CACHE_BOGUS)
			explain_broken_chain(w, ec->name, ec->name_len, ec->out);
	}
}

/* Resolving from the root: the zone cut this worker's walk for the name starts at. */
struct explain_cut {
	FILE *out;
	const char *scope;
	const uint8_t *name;
	size_t name_len;
	uint16_t qtype;
};

static void explain_cut_job(struct worker *w, size_t index, void *arg)
{
	const struct explain_cut *ec = arg;
	struct iterate_referral *ref = xmalloc(sizeof(*ref));
	char z[MSG_MAX_NAME * 4 + 1], ns[sizeof(z)];
	unsigned from = ec->qtype == LDNS_RR_TYPE_DS && ec->name_len > 1;
	if (!deleg_closest(w->cache, ec->scope, ec->name, ec->name_len, from, worker_now(w), ref)) {
		fprintf(ec->out,
			"    worker %zu: no delegation cached: the walk starts by priming the root "
			"from the hints\n",
			index);
		free(ref);
		return;
	}
	fprintf(ec->out, "    worker %zu: zone cut %s (%u s left), %zu NS:", index,
		msg_name_to_str(ref->zone, ref->zone_len, z, sizeof(z)), (unsigned)ref->ttl,
		ref->n_ns);
	for (size_t i = 0; i < ref->n_ns && i < 4; i++)
		fprintf(ec->out, " %s%s",
			msg_name_to_str(ref->ns[i].name, ref->ns[i].name_len, ns, sizeof(ns)),
			ref->ns[i].n_addrs ? "" : " (glueless)");
	fprintf(ec->out, "%s; its servers answered what is cached, and are asked first\n",
		ref->n_ns > 4 ? " ..." : "");
	free(ref);
}

/* Which rule of forward.c picks the upstreams for name in view v. */
static struct forward_set explain_upstreams(const struct state *st, const struct view *v,
					    const uint8_t *name, size_t len, FILE *out)
{
	static const char *const why[] = {
	    [FORWARD_VIEW] = "the view's own upstreams (own cache scope)",
	    [FORWARD_ZONE] = "a forward-zones entry (longest suffix)",
	    [FORWARD_STUB] = "a stub-zones entry (longest suffix), asked with RD clear",
	    [FORWARD_DEFAULT] = "the global upstreams",
	    [FORWARD_ROOT] = "none (no upstreams for the name)",
	};
	/* The decision is the resolve step's own (resolve.c asks forward_lookup too). */
	struct forward_set fs = forward_lookup(&st->fwd, v, name, len);
	fprintf(out, "upstream: %s:", why[fs.rule]);
	for (size_t i = 0; i < fs.n; i++) {
		char buf[ADDR_STRLEN];
		fprintf(out, " %s", addr_format(&fs.addrs[i], buf, sizeof(buf)));
	}
	if (fs.rule == FORWARD_ROOT)
		fprintf(out, " resolved from the root, iteratively\n");
	else
		fprintf(out, " (fastest first)\n");
	return fs;
}

static void explain_dnssec(const struct state *st, const char *name, const struct forward_set *fs,
			   FILE *out)
{
	ldns_rdf *d = ldns_dname_new_frm_str(name);
	if (d)
		ldns_dname2canonical(d);
	if (!st->anchors) {
		fprintf(out, "dnssec: validation is off\n");
	} else if (d && anchor_is_insecure(st->anchors, d)) {
		fprintf(out, "dnssec: not validated (dnssec.insecure-domains, a forward zone with "
			     "dnssec: false, or a private name)\n");
	} else if (d && anchor_find(st->anchors, d)) {
		fprintf(out,
			"dnssec: validated from the trust anchor down; AD for DO/AD clients\n");
		if (fs->zone_len > 1) {
			char z[MSG_MAX_NAME * 4 + 1];
			msg_name_to_str(fs->zone, fs->zone_len, z, sizeof(z));
			fprintf(
			    out,
			    "    (forward zone %s: if it is private, not delegated in the public "
			    "DNS, its answers are bogus; set dnssec: false on its forward-zones "
			    "entry or list it in dnssec.insecure-domains)\n",
			    z);
		}
	} else {
		fprintf(out, "dnssec: no trust anchor above this name: insecure\n");
	}
	ldns_rdf_deep_free(d);
}

static const char *explain_action(enum blocklist_action a, const struct view *v)
{
	static const char *const answers[] = {"NXDOMAIN", "0.0.0.0 / :: (null)", "REFUSED"};
	switch (a) {
	case BLOCKLIST_BLOCK:
		return answers[v->cfg->block_answer];
	case BLOCKLIST_NXDOMAIN:
		return "NXDOMAIN (RPZ)";
	case BLOCKLIST_NODATA:
		return "NODATA (RPZ)";
	case BLOCKLIST_DROP:
		return "no reply (RPZ rpz-drop)";
	case BLOCKLIST_DATA:
		return "the list's local data (RPZ)";
	default:
		return "resolved as usual";
	}
}

/* The view's blocklists, as request_blocked decides; true when they answer the query. */
static bool explain_blocked(const struct view *v, const struct msg_query *q, FILE *out)
{
	if (!v->n_lists)
		return false;
	struct blocklist_match m;
	size_t which;
	enum blocklist_action a =
	    blocklist_decide(v->lists, v->n_lists, q->lname, q->qname_len, &which, &m);
	if (a == BLOCKLIST_NONE) {
		fprintf(out, "blocklists: no entry of the view's %zu list(s) matches\n",
			v->n_lists);
		return false;
	}
	const char *list = blocklist_name(v->lists[which]);
	char name[MSG_MAX_NAME * 4 + 1], at[16] = "";
	uint32_t line;
	const char *file = blocklist_where(v->lists[which], &m, &line);
	if (line)
		snprintf(at, sizeof(at), ":%u", (unsigned)line);
	fprintf(out, "blocklist %s: entry %s at %s%s: %s\n", list,
		msg_name_to_str(m.name, m.name_len, name, sizeof(name)),
		file ? file : "(a file changed since the list was loaded)", at,
		a == BLOCKLIST_ALLOW ? "allows it" : "blocks it");
	if (a == BLOCKLIST_ALLOW) {
		fprintf(out, "an allow entry wins: not blocked\n");
		return false;
	}
	fprintf(out, "blocked by list %s: the client gets %s with EDE 15 (Blocked)\n", list,
		explain_action(a, v));
	return true;
}

/* The default local zones; true when one answers the query. */
static bool explain_special(const struct state *st, const struct view *v, const struct msg_query *q,
			    FILE *out)
{
	int i = special_find(st->views.special, q->lname, q->qname_len);
	if (i < 0)
		return false;
	const char *zone = special_name(st->views.special, (size_t)i);
	if (v->special_off[i]) {
		fprintf(out, "default local zone %s: turned off (local-zones: forward)\n", zone);
		return false;
	}
	size_t alen;
	const uint8_t *apex = special_apex(st->views.special, (size_t)i, &alen);
	if (forward_within(&st->fwd, v, q->lname, q->qname_len, apex, alen)) {
		fprintf(out,
			"default local zone %s: a forward or stub zone inside it takes the name\n",
			zone);
		return false;
	}
	static uint8_t body[MSG_MAX_UDP];
	size_t n = special_answer(st->views.special, q, body, sizeof(body));
	fprintf(out, "default local zone %s answers (special-use names are never sent upstream):\n",
		zone);
	explain_records(body, n, out);
	return true;
}

/* After the view is known: local data, cache, upstream, DNSSEC. */
static int explain_answer(struct threads *th, const struct state *st, const struct view *v,
			  const struct explain_args *a, FILE *out)
{
	struct msg_query q = {.qtype = a->qtype, .qclass = 1, .udp_size = 512};
	size_t len;
	static uint8_t body[MSG_MAX_UDP];
	if (msg_name_from_str(a->name, q.lname, &len) < 0) {
		fprintf(out, "'%s' is not a domain name\n", a->name);
		return -EINVAL;
	}
	memcpy(q.qname, q.lname, len);
	q.qname_len = (uint8_t)len;
	char rebind[512]; /* decided for the name asked, as request_rebind does */
	rebind_exempt(&st->fwd, v, q.lname, q.qname_len, rebind, sizeof(rebind));
	size_t n = localdata_answer(v->local, &q, body, sizeof(body));
	uint8_t target[MSG_MAX_NAME];
	size_t tlen = 0;
	bool chase = n && chase_target(body, n, &q, target, &tlen);
	if (n) {
		fprintf(out, "local data of view %s answers (never cached, never validated):\n",
			v->cfg->name);
		explain_records(body, n, out);
		if (!chase)
			return 0;
		char t[MSG_MAX_NAME * 4 + 1];
		fprintf(out, "the CNAME target %s is outside local data and resolved:\n",
			msg_name_to_str(target, tlen, t, sizeof(t)));
		memcpy(q.lname, target, tlen);
		q.qname_len = (uint8_t)tlen;
	} else {
		fprintf(out,
			"local data: the view's zones, records and hosts do not cover this name\n");
		if (explain_blocked(v, &q, out) || explain_special(st, v, &q, out))
			return 0;
	}
	struct explain_cache ec = {.out = out, .name = q.lname, .name_len = q.qname_len};
	ec.key_len = cache_key_make(ec.key, v->scope, q.lname, q.qname_len, q.qtype, 1, 0);
	fprintf(out, "cache (scope %s):\n", v->scope[0] ? v->scope : "shared");
	threads_each(th, explain_cache_job, &ec);
	struct forward_set fs = explain_upstreams(st, v, q.lname, q.qname_len, out);
	if (fs.rule == FORWARD_ROOT) {
		struct explain_cut cut = {out, v->scope, q.lname, q.qname_len, q.qtype};
		threads_each(th, explain_cut_job, &cut);
	}
	explain_dnssec(st, a->name, &fs, out);
	fprintf(out, "%s\n", rebind);
	return 0;
}

/* Through a PROXY listener a query is the client its header names, not the proxy's. */
static void explain_proxy(const struct config *cfg, FILE *out)
{
	if (!cfg->n_proxy_listen)
		return;
	char buf[ADDR_STRLEN];
	fprintf(out, "through the PROXY listener(s)");
	for (size_t i = 0; i < cfg->n_proxy_listen; i++)
		fprintf(out, " %s", addr_format(&cfg->proxy_listen[i], buf, sizeof(buf)));
	fprintf(out, ", a query is this client when its PROXY header names it (senders:");
	for (size_t i = 0; i < cfg->n_proxy_from; i++)
		fprintf(out, " %s", prefix_format(&cfg->proxy_from[i], buf, sizeof(buf)));
	fprintf(out, ")\n");
}

int explain_run(struct state *st, struct threads *th, const struct explain_args *args, FILE *out)
{
	struct explain_args a = *args;
	char buf[ADDR_STRLEN];
	/* The address without "@53": a client's port plays no part in view selection. */
	const char *text = addr_format(&a.client, buf, sizeof(buf));
	char *at = strrchr(buf, '@');
	if (at)
		*at = '\0';
	fprintf(out, "client %s%s%s\n", text, a.ifname ? " on interface " : "",
		a.ifname ? a.ifname : "");
	explain_proxy(st->cfg, out);
	const struct view *v =
	    view_select(&st->views, (const struct sockaddr *)&a.client.ss,
			a.has_dest ? (const struct sockaddr *)&a.dest.ss : NULL, a.ifname);
	for (size_t i = 0; i < st->views.n_views; i++) {
		explain_view(&st->views.views[i], v == &st->views.views[i], &a, out);
		if (v == &st->views.views[i])
			return explain_answer(th, st, v, &a, out);
	}
	fprintf(out, "no view matches: the client gets REFUSED with EDE 18 (Prohibited)\n");
	return 0;
}
