/*
 * resolve_iter.c -- the walk down the zone cuts: iteration in the resolve step. See
 * resolve_impl.h.
 *
 * A walk starts at the deepest delegation the cache holds for the name (deleg.h), at a stub
 * zone's servers, or, when not even the root's delegation is cached, with priming (RFC 8109:
 * ". NS" to the root hints, whose answer becomes the root's delegation). At each cut the
 * servers are the glue's addresses; when they are used up (lame, broken, silent), the
 * delegation's glueless NS names are looked up, at most RESOLVE_MAX_GLUELESS of them, each
 * a LOOKUP the driver turns into a resolution of its own (NXNS: CVE-2020-12662), counted
 * against the same budget of RESOLVE_MAX_SENDS as the queries sent. A referral
 * moves the walk one cut down and is stored as that cut's delegation. With qname
 * minimisation (RFC 9156, relaxed) a cut's servers are asked for one label more than the
 * cut, type A; whatever but a referral or NODATA comes back, the full question is asked
 * instead. Every SEND counts against RESOLVE_MAX_SENDS and every referral against
 * ITERATE_REFERRAL_DEPTH, so no name costs more than that, whatever the servers say.
 */
#include "resolve/resolve_impl.h"

#include "resolve/deleg.h"
#include "util/log.h"
#include "util/xalloc.h"

#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define TYPE_A    1
#define TYPE_NS   2
#define TYPE_AAAA 28
#define TYPE_DS   43

struct resolve_iter {
	unsigned sends;     /* queries sent, at most RESOLVE_MAX_SENDS */
	unsigned referrals; /* referrals followed, at most ITERATE_REFERRAL_DEPTH */
	unsigned lookups;   /* glueless NS names looked up at this cut */
	unsigned qmin;      /* minimised queries sent */
	bool priming;       /* the SEND out is ". NS" to the root hints */
	bool looking;       /* the LOOKUP out is for dp.ns[ns_next]'s address */
	bool ns_aaaa;       /* ... its AAAA (the A gave none) */
	bool qmin_off;      /* a server answered a minimised query badly: full names only */
	size_t ns_next;     /* the next NS name to look up */
	size_t soff;        /* the name asked is lname + soff (minimised when soff > 0) */
	size_t n_srv, n_out;
	struct addr srv[RESOLVE_MAX_ADDRS]; /* the cut's server addresses known so far */
	bool bad[RESOLVE_MAX_ADDRS];        /* ... that failed or answered badly */
	struct addr out[RESOLVE_MAX_ADDRS]; /* those of the SEND out */
	struct iterate_referral dp;         /* the cut's delegation */
};

static const uint8_t resolve_root[1] = {0};

static const char *resolve_iter_scope(const struct resolve *r)
{
	return r->env.view ? r->env.view->scope : "";
}

/* One more server address for the cut (once; a stub zone's are taken as configured). */
static void resolve_iter_add(struct resolve *r, const struct addr *a, bool check)
{
	struct resolve_iter *it = r->it;
	if (it->n_srv >= RESOLVE_MAX_ADDRS || (check && !hints_may_ask(r->env.st->cfg, a)))
		return;
	for (size_t i = 0; i < it->n_srv; i++)
		if (addr_equal(&it->srv[i], a))
			return;
	it->bad[it->n_srv] = false;
	it->srv[it->n_srv++] = *a;
}

static unsigned resolve_labels(const uint8_t *name, size_t len)
{
	unsigned n = 0;
	for (size_t i = 0; i < len && name[i]; i += 1u + name[i])
		n++;
	return n;
}

/* The name to ask at this cut: one label below it (RFC 9156), or the question itself. */
static void resolve_iter_qmin(struct resolve *r)
{
	struct resolve_iter *it = r->it;
	unsigned nl = resolve_labels(r->lname, r->lname_len);
	unsigned zl = resolve_labels(r->zone, r->zone_len);
	it->soff = 0;
	if (!r->env.st->cfg->qname_minimisation || it->qmin_off || nl <= zl + 1 ||
	    it->qmin >= RESOLVE_MAX_QMIN)
		return;
	for (unsigned skip = nl - zl - 1; skip > 0; skip--)
		it->soff += 1u + r->lname[it->soff];
}

/* NODATA for a minimised name (an empty non-terminal, or data of another type): one label
 * more, at the same cut. */
static void resolve_iter_deeper(struct resolve *r)
{
	struct resolve_iter *it = r->it;
	size_t off = 0, prev = 0;
	while (off < it->soff) {
		prev = off;
		off += 1u + r->lname[off];
	}
	it->soff = it->qmin >= RESOLVE_MAX_QMIN ? 0 : prev;
}

/* Enter the cut of it->dp: its name is the bailiwick, its glue the servers. */
static void resolve_iter_enter(struct resolve *r)
{
	struct resolve_iter *it = r->it;
	const struct iterate_referral *dp = &it->dp;
	memcpy(r->zone, dp->zone, dp->zone_len);
	r->zone_len = dp->zone_len;
	it->n_srv = it->ns_next = 0;
	it->lookups = 0;
	it->ns_aaaa = false;
	for (size_t k = 0; k < ITERATE_MAX_GLUE; k++) /* every name's first address first */
		for (size_t i = 0; i < dp->n_ns; i++)
			if (k < dp->ns[i].n_addrs)
				resolve_iter_add(r, &dp->ns[i].addrs[k], true);
	r->tcp = false;
	resolve_iter_qmin(r);
}

/* The root hints as the servers to prime from. */
static void resolve_iter_hints(struct resolve *r)
{
	const struct hints *h = r->env.st->hints;
	for (size_t k = 0; k < HINTS_MAX_ADDRS; k++)
		for (size_t i = 0; i < h->n; i++)
			if (k < h->servers[i].n_addrs)
				resolve_iter_add(r, &h->servers[i].addrs[k], true);
}

void resolve_iter_start(struct resolve *r)
{
	struct resolve_iter *it = r->it = xmalloc(sizeof(*it));
	memset(it, 0, offsetof(struct resolve_iter, srv));
	if (r->fs.rule == FORWARD_STUB) {
		memset(&it->dp, 0, offsetof(struct iterate_referral, ns));
		memcpy(it->dp.zone, r->fs.zone, r->fs.zone_len);
		it->dp.zone_len = r->fs.zone_len;
		resolve_iter_enter(r);
		for (size_t i = 0; i < r->fs.n; i++)
			resolve_iter_add(r, &r->fs.addrs[i], false);
		return;
	}
	/* A DS lives on the parent side of its cut: start above the name. */
	unsigned from = r->qtype == TYPE_DS && r->lname_len > 1 ? 1 : 0;
	if (r->env.cache && deleg_closest(r->env.cache, resolve_iter_scope(r), r->lname,
					  r->lname_len, from, r->env.now_ms, &it->dp)) {
		resolve_iter_enter(r);
		return;
	}
	it->priming = true; /* no delegation yet: no NS names to look up if the hints fail */
	memset(&it->dp, 0, offsetof(struct iterate_referral, ns));
	memcpy(r->zone, resolve_root, 1);
	r->zone_len = 1;
	resolve_iter_hints(r);
}

bool resolve_iter_looking(const struct resolve *r)
{
	return r->it && r->it->looking;
}

void resolve_iter_free(struct resolve *r)
{
	free(r->it);
	r->it = NULL;
}

/* The LOOKUP of the next glueless NS name's address, if any is left to try. */
static bool resolve_iter_ns_lookup(struct resolve *r, struct resolve_lookup *lk)
{
	struct resolve_iter *it = r->it;
	const struct config *c = r->env.st->cfg;
	for (; it->ns_next < it->dp.n_ns; it->ns_next++, it->ns_aaaa = false) {
		const struct iterate_ns *ns = &it->dp.ns[it->ns_next];
		/* Glue was tried; an NS name inside the cut without glue cannot be reached. */
		if (ns->n_addrs || msg_name_under(ns->name, ns->name_len, r->zone, r->zone_len))
			continue;
		if (!c->recursion_ip4)
			it->ns_aaaa = true;
		if (!it->ns_aaaa || !c->recursion_ip4) {
			if (it->lookups >= RESOLVE_MAX_GLUELESS)
				return false;
			it->lookups++;
		}
		/* Each lookup may cost a query: it counts against the same budget. */
		if (++it->sends > RESOLVE_MAX_SENDS)
			return false;
		*lk = (struct resolve_lookup){
		    ns->name, ns->name_len, it->ns_aaaa ? TYPE_AAAA : TYPE_A, 1, false,
		    true,     false};
		it->looking = true;
		return true;
	}
	return false;
}

void resolve_iter_lookup(struct resolve *r, int status, const struct resolve_found *found)
{
	struct resolve_iter *it = r->it;
	struct addr a[RESOLVE_MAX_ADDRS];
	size_t n = status == 0 && found
		       ? iterate_answer_addrs(found->body, found->len, a, RESOLVE_MAX_ADDRS)
		       : 0;
	size_t before = it->n_srv;
	it->looking = false;
	for (size_t i = 0; i < n; i++)
		resolve_iter_add(r, &a[i], true);
	bool nxdomain = n == 0 && status == 0 && found && found->len >= MSG_HDR_LEN &&
			(msg_get16(found->body + 2) & 0xf) == MSG_NXDOMAIN;
	if (it->n_srv == before && !it->ns_aaaa && !nxdomain && r->env.st->cfg->recursion_ip6) {
		it->ns_aaaa = true; /* no IPv4 address: its IPv6 one, next */
		return;
	}
	it->ns_next++;
	it->ns_aaaa = false;
}

/* The servers not yet failed into the SEND; false when there is none. */
static bool resolve_iter_send(struct resolve *r, struct resolve_send *s)
{
	struct resolve_iter *it = r->it;
	it->n_out = 0;
	for (size_t i = 0; i < it->n_srv; i++)
		if (!it->bad[i])
			it->out[it->n_out++] = it->srv[i];
	if (!it->n_out)
		return false;
	bool full = it->soff == 0;
	*s = (struct resolve_send){it->priming ? resolve_root : r->lname + it->soff,
				   it->priming ? 1 : r->lname_len - it->soff,
				   it->priming ? TYPE_NS
				   : full      ? r->qtype
					       : TYPE_A,
				   r->qclass,
				   r->do_bit || r->validate,
				   r->cd || r->validate,
				   false,
				   true,
				   r->tcp,
				   it->out,
				   it->n_out};
	return true;
}

enum resolve_action resolve_iter_next(struct resolve *r, struct resolve_out *out)
{
	struct resolve_iter *it = r->it;
	if (resolve_iter_send(r, &out->send)) {
		if (++it->sends > RESOLVE_MAX_SENDS) {
			resolve_fail(r, -ELOOP, MSG_EDE_NO_REACHABLE_AUTHORITY,
				     "too many queries for one name");
			return RESOLVE_DONE;
		}
		if (it->soff)
			it->qmin++;
		return RESOLVE_SEND;
	}
	if (resolve_iter_ns_lookup(r, &out->lookup))
		return RESOLVE_LOOKUP;
	resolve_fail(r, -EHOSTUNREACH, MSG_EDE_NO_REACHABLE_AUTHORITY,
		     it->n_srv ? "no server of the zone answered usefully"
			       : "no address for any server of the zone");
	return RESOLVE_DONE;
}

/* from (or, not known, every server of the SEND) answered badly: not asked again here. */
static void resolve_iter_bad(struct resolve *r, const struct addr *from)
{
	struct resolve_iter *it = r->it;
	for (size_t i = 0; i < it->n_srv; i++) {
		if (from && !addr_equal(&it->srv[i], from))
			continue;
		for (size_t j = 0; j < it->n_out; j++)
			it->bad[i] |= addr_equal(&it->srv[i], &it->out[j]);
	}
}

void resolve_iter_reject(struct resolve *r, const struct addr *from)
{
	resolve_iter_bad(r, from);
}

/* Keep dp as its cut's delegation, for its NS TTL within cache.max-ttl (as Unbound). */
static void resolve_iter_store(struct resolve *r, struct iterate_referral *dp)
{
	if (dp->ttl > r->env.st->cfg->cache_max_ttl)
		dp->ttl = r->env.st->cfg->cache_max_ttl;
	if (r->env.cache && dp->ttl)
		deleg_store(r->env.cache, resolve_iter_scope(r), dp, r->env.now_ms);
}

/* A referral: one cut down, remembered as that cut's delegation. */
static void resolve_iter_referral(struct resolve *r, const struct iterate_referral *ref)
{
	struct resolve_iter *it = r->it;
	if (++it->referrals > ITERATE_REFERRAL_DEPTH) {
		resolve_fail(r, -ELOOP, MSG_EDE_NO_REACHABLE_AUTHORITY, "too many referrals");
		return;
	}
	it->dp = *ref;
	resolve_iter_store(r, &it->dp);
	resolve_iter_enter(r);
}

/*
 * A signed delegation's DS came with the referral: cached as the answer to (child, DS) under
 * the key the validator's LOOKUP uses (DO and CD), so validating below the cut needs no query
 * to the parent for it (Unbound does the same).
 */
static void resolve_iter_keep_ds(struct resolve *r, const uint8_t *reply, size_t len,
				 const struct iterate_referral *ref)
{
	uint8_t body[MSG_MAX_UDP], key[CACHE_KEY_MAX];
	uint16_t offs[32];
	size_t n;
	uint32_t ttl = 0;
	if (!r->env.cache || !r->env.st->anchors || !ref->has_ds)
		return;
	size_t blen = iterate_ds_answer(reply, len, ref, body, sizeof(body), offs, 32, &n, &ttl);
	if (ttl > r->env.st->cfg->cache_max_ttl)
		ttl = r->env.st->cfg->cache_max_ttl;
	if (!blen || !ttl)
		return;
	size_t klen = cache_key_make(key, resolve_iter_scope(r), ref->zone, ref->zone_len, TYPE_DS,
				     1, CACHE_KEY_DO | CACHE_KEY_CD);
	cache_store(r->env.cache, key, klen, body, blen, offs, n, ttl, MSG_NOERROR, 0,
		    r->env.now_ms);
}

/* The reply to the priming query: the root's NS set becomes its delegation. */
static void resolve_iter_primed(struct resolve *r, const uint8_t *reply, size_t len,
				const struct addr *from)
{
	struct resolve_iter *it = r->it;
	if (!iterate_ns_answer(reply, len, resolve_root, 1, &it->dp)) {
		resolve_iter_bad(r, from);
		return;
	}
	it->priming = false;
	resolve_iter_store(r, &it->dp);
	resolve_iter_enter(r);
	if (!it->n_srv) /* the root's servers came without glue: use the hints' addresses */
		resolve_iter_hints(r);
}

/* A reply to a minimised query: go deeper, follow a referral, or ask the full name. */
static void resolve_iter_minimised(struct resolve *r, enum iterate_kind k,
				   const struct iterate_referral *ref)
{
	if (k == ITERATE_REFERRAL) {
		resolve_iter_referral(r, ref);
	} else if (k == ITERATE_NODATA) {
		resolve_iter_deeper(r);
	} else { /* relaxed (RFC 9156 section 2.3): whatever else, the full question */
		r->it->qmin_off = true;
		r->it->soff = 0;
	}
}

bool resolve_iter_reply(struct resolve *r, int status, const uint8_t *reply, size_t len,
			const struct addr *from)
{
	struct resolve_iter *it = r->it;
	struct iterate_referral ref;
	if (status < 0) { /* timed out, or only errors (REFUSED, SERVFAIL): the next servers */
		resolve_iter_bad(r, NULL);
		return false;
	}
	if (it->priming) {
		resolve_iter_primed(r, reply, len, from);
		return false;
	}
	bool full = it->soff == 0;
	enum iterate_kind k =
	    iterate_classify(reply, len, r->lname + it->soff, r->lname_len - it->soff,
			     full ? r->qtype : TYPE_A, r->zone, r->zone_len, &ref);
	/* A DS is the parent's: a referral to the name itself is no answer to it. */
	if (k == ITERATE_REFERRAL && r->qtype == TYPE_DS && full && ref.zone_len == r->lname_len)
		k = ITERATE_LAME;
	if (k == ITERATE_REFERRAL)
		resolve_iter_keep_ds(r, reply, len, &ref);
	if (!full) {
		resolve_iter_minimised(r, k, &ref);
		return false;
	}
	if (k == ITERATE_ANSWER || k == ITERATE_NXDOMAIN || k == ITERATE_NODATA)
		return true;
	if (k == ITERATE_REFERRAL) {
		resolve_iter_referral(r, &ref);
		return false;
	}
	log_debug("iterate: a server of the zone answered %s; trying the others",
		  iterate_kind_name(k));
	resolve_iter_bad(r, from);
	return false;
}
