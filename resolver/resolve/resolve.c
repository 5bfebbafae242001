/*
 * resolve.c -- the resolve step: forward, prepare, validate, chase, strip. See resolve.h.
 *
 * A resolution moves through a few phases, each waiting for one thing from the driver:
 * SENDING (a reply to the query), VALIDATING (the DS/DNSKEY the validator asked for), CHASING
 * (the rest of a chain that left the upstreams' bailiwick), then DONE. resolve_next does the
 * work of the phase it is in until it needs the driver again, so the order of the policy is
 * the order of the code in resolve_next and resolve_feed_*.
 */
#include "resolve/resolve_impl.h"

#include "dns/cache.h"
#include "dnssec/validate.h"
#include "policy/chase.h"
#include "policy/forward.h"
#include "util/log.h"
#include "util/xalloc.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define TYPE_DS 43

static struct answer_policy resolve_policy(const struct resolve *r)
{
	struct answer_policy p = {r->env.st->cfg->cache_min_ttl, r->env.st->cfg->cache_max_ttl};
	return p;
}

size_t resolve_size(void)
{
	return sizeof(struct resolve);
}

struct resolve *resolve_new(const struct resolve_env *env, const struct resolve_question *q)
{
	struct resolve *r = xmalloc(sizeof(*r));
	resolve_init(r, env, q);
	return r;
}

void resolve_init(struct resolve *r, const struct resolve_env *env,
		  const struct resolve_question *q)
{
	memset(r, 0, offsetof(struct resolve, lname));
	r->env = *env;
	r->qtype = q->qtype;
	r->qclass = q->qclass;
	r->do_bit = q->do_bit;
	r->cd = q->cd;
	r->validate = env->st->anchors && !q->cd;
	r->lname_len = q->lname_len <= MSG_MAX_NAME ? q->lname_len : MSG_MAX_NAME;
	memcpy(r->lname, q->lname, r->lname_len);
}

void resolve_close(struct resolve *r)
{
	validation_free(r->val);
	answer_free(r->ans);
	answer_free(r->full);
	resolve_iter_free(r);
}

void resolve_tick(struct resolve *r, time_t now, uint64_t now_ms)
{
	r->env.now = now;
	r->env.now_ms = now_ms;
}

void resolve_free(struct resolve *r)
{
	if (!r)
		return;
	resolve_close(r);
	free(r);
}

void resolve_fail(struct resolve *r, int status, int ede, const char *text)
{
	r->phase = RESOLVE_FINISHED;
	r->done = (struct resolve_done){.status = status, .ede = ede, .ede_text = text};
}

/*
 * The bailiwick of the upstreams chosen: their forward zone. A DS record lives in the parent
 * zone, so the reply to a DS query for a forward zone's apex comes from the zone above it.
 */
static void resolve_bailiwick(struct resolve *r)
{
	const uint8_t *zone = r->fs.zone;
	size_t len = r->fs.zone_len;
	if (r->qtype == TYPE_DS && len > 1 && len == r->lname_len && !memcmp(zone, r->lname, len)) {
		len -= 1u + zone[0];
		zone += 1u + zone[0];
	}
	memcpy(r->zone, zone, len);
	r->zone_len = len;
}

/* Is the name resolved by iteration: no upstream serves it, or a stub zone's servers do? */
static bool resolve_iterates(struct resolve *r)
{
	/* A stub zone's own DS is its parent's: found from the root. */
	if (r->fs.rule == FORWARD_STUB && r->qtype == TYPE_DS && r->lname_len == r->fs.zone_len &&
	    !memcmp(r->lname, r->fs.zone, r->lname_len))
		r->fs.rule = FORWARD_ROOT;
	return r->fs.rule == FORWARD_STUB || r->fs.rule == FORWARD_ROOT;
}

/* The query to send: a validating resolution needs the signatures (DO) and the data even if
 * bogus (CD). */
static void resolve_send_out(const struct resolve *r, struct resolve_send *s)
{
	*s = (struct resolve_send){r->lname,
				   r->lname_len,
				   r->qtype,
				   r->qclass,
				   r->do_bit || r->validate,
				   r->cd || r->validate,
				   true,
				   false,
				   r->tcp,
				   r->fs.addrs,
				   r->fs.n};
}

/* Is ans, validated as sec, a secure NXDOMAIN or NODATA (its NSEC records are proven)? */
static bool resolve_secure_denial(const struct answer *ans, uint8_t sec)
{
	return CACHE_SEC_STATUS(sec) == CACHE_SECURE && ans->len >= MSG_HDR_LEN &&
	       (ans->rcode == MSG_NXDOMAIN ||
		(ans->rcode == MSG_NOERROR && !msg_get16(ans->body + 6)));
}

/* The answer is complete: strip what clients without DO must not get, bound a bogus TTL. */
static void resolve_complete(struct resolve *r, struct answer *ans, uint8_t sec)
{
	bool denial = r->validate && resolve_secure_denial(ans, sec);
	answer_free(r->full);
	r->full = NULL;
	if (r->validate && !r->do_bit) {
		struct answer_policy pol = resolve_policy(r);
		struct answer *stripped = answer_strip(&pol, ans, r->qtype);
		if (stripped) {
			if (denial)
				r->full = ans; /* kept for its NSEC records */
			else
				answer_free(ans);
			ans = stripped;
		}
	}
	uint32_t ttl = ans->ttl;
	if (CACHE_SEC_STATUS(sec) == CACHE_BOGUS && ttl > RESOLVE_BOGUS_TTL)
		ttl = RESOLVE_BOGUS_TTL;
	if (msg_answer_private(ans->body, ans->len))
		sec |= CACHE_SEC_PRIVATE; /* marked once: each view decides when it answers */
	answer_free(r->ans);
	r->ans = ans;
	r->sec = sec;
	r->phase = RESOLVE_FINISHED;
	r->done = (struct resolve_done){.ans = ans, .ttl = ttl, .sec = sec, .ede = -1};
	if (denial) {
		const struct answer *full = r->full ? r->full : ans;
		r->done.proof = full->body;
		r->done.proof_len = full->len;
	}
}

/* The answer (validated or not) is in: complete it, or first chase the rest of its chain. */
static void resolve_answered(struct resolve *r, struct answer *ans, uint8_t sec)
{
	r->asked = false;
	if (ans->target_len && CACHE_SEC_STATUS(sec) != CACHE_BOGUS) {
		answer_free(r->ans);
		r->ans = ans;
		r->sec = sec;
		r->phase = RESOLVE_CHASING;
		return;
	}
	resolve_complete(r, ans, sec);
}

/* Has the forward zone the question went to been warned about? Marks it if not. */
static bool resolve_warned(const struct resolve *r)
{
	return r->fs.rule != FORWARD_ZONE || state_warned_unprovable(r->env.st, r->fs.zone_index);
}

/*
 * Say why the answer is bogus, with the type's name. When the chain broke at or above the
 * forward zone the question went to, the zone is most likely private (an NSD or the router
 * serving lan. or example.test. unsigned): warn once, with the two fixes.
 */
static void resolve_log_bogus(const struct resolve *r, int ede)
{
	char name[MSG_MAX_NAME * 4 + 1], zone[sizeof(name)];
	msg_name_to_str(r->lname, r->lname_len, name, sizeof(name));
	/* No root DNSKEY at all: the upstreams strip or refuse DNSSEC, whatever the name. */
	bool no_root = ede == MSG_EDE_DNSKEY_MISSING &&
		       validation_broken_above(r->val, (const uint8_t *)"", 1);
	log_info("validation: %s %s is bogus (EDE %d): %s%s", name, msg_type_str(r->qtype), ede,
		 validation_why(r->val),
		 no_root
		     ? " (the upstreams gave no usable DNSKEY for the root: they drop or refuse "
		       "DNSSEC records; use upstreams that pass them on, or dnssec.validation: "
		       "false)"
		     : "");
	if (r->fs.zone_len <= 1 || !validation_broken_above(r->val, r->fs.zone, r->fs.zone_len) ||
	    resolve_warned(r))
		return;
	msg_name_to_str(r->fs.zone, r->fs.zone_len, zone, sizeof(zone));
	log_warn("forward zone %s: its answers fail DNSSEC validation because the chain of trust "
		 "from the root cannot prove it (%s). If %s is a private zone (not delegated in "
		 "the public DNS), set `dnssec: false` on its forward-zones entry or list it in "
		 "dnssec.insecure-domains",
		 zone, validation_why(r->val), zone);
}

/* VALIDATING: step the validator; true when it needs a lookup (filled in), else it is done. */
static bool resolve_validate_step(struct resolve *r, struct resolve_lookup *lk)
{
	if (validation_step(r->val, &r->need) == VALIDATE_NEED) {
		*lk = (struct resolve_lookup){
		    r->need.name, r->need.name_len, r->need.type, 1, true, true, false};
		r->asked = true;
		return true;
	}
	int ede;
	enum validate_status st = validation_result(r->val, &ede);
	if (st == VALIDATE_BOGUS)
		resolve_log_bogus(r, ede);
	struct answer *ans = r->ans;
	r->ans = NULL;
	resolve_answered(r, ans, CACHE_SEC(st, ede));
	return false;
}

enum resolve_action resolve_next(struct resolve *r, struct resolve_out *out)
{
	switch (r->phase) {
	case RESOLVE_START:
		r->fs = forward_lookup(&r->env.st->fwd, r->env.view, r->lname, r->lname_len);
		resolve_bailiwick(r);
		if (resolve_iterates(r))
			resolve_iter_start(r);
		r->phase = RESOLVE_SENDING;
		/* fall through */
	case RESOLVE_SENDING:
		if (r->it) {
			enum resolve_action a = resolve_iter_next(r, out);
			if (a == RESOLVE_DONE)
				break;
			r->asked = true;
			return a;
		}
		resolve_send_out(r, &out->send);
		r->asked = true;
		return RESOLVE_SEND;
	case RESOLVE_VALIDATING:
		if (resolve_validate_step(r, &out->lookup))
			return RESOLVE_LOOKUP;
		return resolve_next(r, out);
	case RESOLVE_CHASING:
		out->lookup = (struct resolve_lookup){r->ans->target,
						      r->ans->target_len,
						      r->qtype,
						      r->qclass,
						      r->do_bit,
						      r->cd,
						      true};
		r->asked = true;
		return RESOLVE_LOOKUP;
	case RESOLVE_FINISHED:
		break;
	}
	out->done = r->done;
	return RESOLVE_DONE;
}

/* A debug line for what the scrubber removed (an upstream adding records is worth a look). */
static void resolve_log_scrub(const struct resolve *r, const struct answer *ans)
{
	char name[MSG_MAX_NAME * 4 + 1];
	if (!log_enabled(LOG_DEBUG))
		return;
	msg_name_to_str(r->lname, r->lname_len, name, sizeof(name));
	log_debug("scrub: %u record(s) in the reply for %s %s did not answer it (dropped)",
		  ans->dropped, name, msg_type_str(r->qtype));
}

/* scrub.h: is name, inside the upstreams' bailiwick, one that other upstreams serve? */
static bool resolve_elsewhere_cb(const void *ud, const uint8_t *name, size_t len)
{
	const struct resolve *r = ud;
	return forward_elsewhere(&r->env.st->fwd, r->env.view, &r->fs, r->zone, r->zone_len, name,
				 len);
}

/* The reply, prepared for the cache (answer.h); NULL when it cannot be used. */
static struct answer *resolve_prepare(const struct resolve *r, const uint8_t *reply, size_t len)
{
	struct answer_policy pol = resolve_policy(r);
	struct scrub_question sq = {.lname = r->lname,
				    .lname_len = r->lname_len,
				    .qtype = r->qtype,
				    .qclass = r->qclass,
				    .zone = r->zone,
				    .zone_len = r->zone_len};
	if (r->env.st->fwd.n_zones) { /* else nothing is cut out of any bailiwick */
		sq.elsewhere = resolve_elsewhere_cb;
		sq.elsewhere_ud = r;
	}
	return answer_prepare(&pol, &sq, reply, len);
}

void resolve_feed_reply(struct resolve *r, int status, const uint8_t *reply, size_t len,
			const struct addr *from)
{
	if (r->phase != RESOLVE_SENDING || !r->asked)
		return;
	r->asked = false;
	bool truncated = status == 0 && len >= MSG_HDR_LEN && (msg_get16(reply + 2) & MSG_TC);
	if (!r->tcp && (status == -EMSGSIZE || truncated)) {
		r->tcp = true; /* RFC 7766: the whole answer over TCP */
		return;
	}
	if (r->it && !resolve_iter_reply(r, status, reply, len, from))
		return; /* down a referral, on to other servers, or failed */
	struct answer *ans = status == 0 && !truncated ? resolve_prepare(r, reply, len) : NULL;
	if (!ans && r->it && status == 0) {
		resolve_iter_reject(r, from); /* an answer that does not parse: the others */
		return;
	}
	if (!ans) {
		status = status < 0 ? status : -EBADMSG;
		log_debug("fetch failed: %s", strerror(-status));
		if (status == -ETIMEDOUT)
			resolve_fail(r, status, MSG_EDE_NO_REACHABLE_AUTHORITY,
				     "upstream timed out");
		else
			resolve_fail(r, status, MSG_EDE_NETWORK_ERROR, "upstream failed");
		return;
	}
	if (ans->dropped)
		resolve_log_scrub(r, ans);
	if (!r->validate) {
		resolve_answered(r, ans, CACHE_SEC(CACHE_UNCHECKED, -1));
		return;
	}
	r->ans = ans;
	r->val = validation_new(r->env.st->anchors, r->env.kc, ans->body, ans->len, r->env.now,
				r->env.now_ms);
	r->phase = RESOLVE_VALIDATING;
}

/* The outcome of an answer made of two validated parts: the weaker one. */
static uint8_t resolve_sec_join(uint8_t a, uint8_t b)
{
	unsigned sa = CACHE_SEC_STATUS(a), sb = CACHE_SEC_STATUS(b);
	if (sa == CACHE_BOGUS || sb == CACHE_BOGUS)
		return sa == CACHE_BOGUS ? a : b;
	if (sa == CACHE_UNCHECKED || sb == CACHE_UNCHECKED)
		return CACHE_SEC(CACHE_UNCHECKED, -1);
	if (sa == CACHE_INSECURE || sb == CACHE_INSECURE)
		return CACHE_SEC(CACHE_INSECURE, -1);
	return CACHE_SEC(CACHE_SECURE, -1);
}

/* The chain so far continued by the answer records of the rest; NULL when they do not join. */
static struct answer *resolve_join(const struct resolve *r, const struct answer *first,
				   const struct resolve_found *rest)
{
	size_t cap = MSG_MAX_UDP; /* a longer join is refused (chase_splice) */
	uint8_t *tmp = xcalloc(1, cap);
	size_t n = chase_splice(first->body, first->len, rest->body, rest->len, rest->ttl_offs,
				rest->n_ttl, rest->elapsed, tmp, cap);
	struct answer_policy pol = resolve_policy(r);
	struct answer *joined = n ? answer_prepare(&pol, NULL, tmp, n) : NULL;
	free(tmp);
	return joined;
}

/*
 * CHASING: the rest of the chain came (or not). A chain cut short is answered as far as it
 * goes but not cached, nor is a join with a rest that may not be cached: the next query may
 * get all of it. A chase the driver declined leaves the answer as the upstream gave it.
 */
static void resolve_chased(struct resolve *r, int status, const struct resolve_found *rest)
{
	struct answer *first = r->ans, *joined = NULL;
	r->ans = NULL;
	if (status == -ELOOP) {
		resolve_complete(r, first, r->sec);
		return;
	}
	if (status == 0 && rest)
		joined = resolve_join(r, first, rest);
	if (joined) {
		answer_free(first);
		if (!rest->ttl)
			joined->ttl = 0;
		resolve_complete(r, joined, resolve_sec_join(r->sec, rest->sec));
		return;
	}
	first->target_len = 0;
	first->ttl = 0;
	resolve_complete(r, first, r->sec);
}

void resolve_feed_lookup(struct resolve *r, int status, const struct resolve_found *found)
{
	if (!r->asked)
		return;
	r->asked = false;
	if (resolve_iter_looking(r))
		resolve_iter_lookup(r, status, found);
	else if (r->phase == RESOLVE_VALIDATING)
		validation_feed(r->val, status == 0 && found ? found->body : NULL,
				status == 0 && found ? found->len : 0);
	else if (r->phase == RESOLVE_CHASING)
		resolve_chased(r, status, found);
}
