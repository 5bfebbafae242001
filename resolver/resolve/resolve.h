/*
 * resolve.h -- one question resolved step by step, with no I/O.
 *
 * A resolution is the decision-making half of a cache miss (Knot Resolver's
 * kr_resolve_begin/consume/produce/finish, without its layer stack); daemon/fetch.c is the
 * other half, the driver that does what it is told. The driver asks resolve_next for the next
 * action and carries it out:
 *
 *   RESOLVE_SEND    ask one of these servers this question (over TCP when tcp is set), then
 *                   resolve_feed_reply with the reply or the failure;
 *   RESOLVE_LOOKUP  find this RRset, from the cache or by a resolution of its own (a DS or
 *                   DNSKEY for validation, or the rest of a CNAME chain), then
 *                   resolve_feed_lookup with what was found, or why not;
 *   RESOLVE_DONE    the answer (body, TTL offsets, how long to cache it, rcode, DNSSEC
 *                   status), or a failure with its Extended DNS Error (22, 23).
 *
 * In between, straight-line code does what a forwarding resolver must: the forward decision
 * (forward.h) and the upstreams' bailiwick, truncation to TCP, reply preparation and scrubbing
 * (answer.h: OPT, TTL clamps, RFC 2308 negative TTLs), DNSSEC validation through validate.h's
 * ask-and-feed machine, the chase of a chain that leaves the bailiwick, and stripping of the
 * DNSSEC records for clients without DO. Bogus answers are cached for at most
 * RESOLVE_BOGUS_TTL seconds. What a client then gets (SERVFAIL for bogus, AD) is not decided
 * here: that is request.c's reply policy.
 *
 * A resolution reads its environment (state, view, key cache) and never outlives it; it owns
 * its answer until resolve_free. Unit tests drive it against a fake world
 * (tests/unit/resolve/test_resolve.c).
 */
#ifndef MEGDNS_RESOLVE_H
#define MEGDNS_RESOLVE_H

#include "dnssec/keycache.h"
#include "policy/state.h"
#include "policy/view.h"
#include "resolve/answer.h"
#include "dns/cache.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define RESOLVE_BOGUS_TTL    60 /* seconds a bogus answer is remembered */
#define RESOLVE_MAX_SENDS    32 /* queries one iterating resolution may send (Unbound's limit) */
#define RESOLVE_MAX_ADDRS    16 /* server addresses of one zone cut tried */
#define RESOLVE_MAX_GLUELESS 5  /* NS names of one delegation resolved for their address */
#define RESOLVE_MAX_QMIN     10 /* minimised queries per name (RFC 9156 MAX_MINIMISE_COUNT) */

struct resolve;

enum resolve_action { RESOLVE_SEND, RESOLVE_LOOKUP, RESOLVE_DONE };

/* What is asked: the question and the cache key's flags. */
struct resolve_question {
	const uint8_t *lname; /* lower-case wire, copied */
	size_t lname_len;
	uint16_t qtype, qclass;
	bool do_bit; /* for clients that set DO: the DNSSEC records stay in the answer */
	bool cd;     /* checking disabled: not validated */
};

/* What the resolution reads. st, view and kc must outlive it. */
struct resolve_env {
	struct state *st;        /* config, forwarding, trust anchors (NULL: no validation) */
	const struct view *view; /* the client's view, in st */
	struct keycache *kc;     /* validated zone keys */
	time_t now;              /* wall clock: signature validity */
	uint64_t now_ms;         /* the driver's clock: key cache expiry */
	/* Iteration: where delegations are kept (deleg.h), the answer cache of the driver;
	 * NULL: none are (every resolution starts at the root). */
	struct cache *cache;
};

/* RESOLVE_SEND: ask one of servers[0..n_servers) (the driver orders them). */
struct resolve_send {
	const uint8_t *lname;
	size_t lname_len;
	uint16_t qtype, qclass;
	bool do_bit, cd; /* the flags of the query sent */
	bool rd;         /* recursion desired: set for upstreams, clear for authoritative servers */
	bool iterating;  /* to authoritative servers (metrics count them apart) */
	bool tcp;        /* the UDP reply was truncated */
	const struct addr *servers;
	size_t n_servers;
};

/* RESOLVE_LOOKUP: an RRset under the cache key of (name, type, class, do_bit, cd). */
struct resolve_lookup {
	const uint8_t *name; /* lower-case wire */
	size_t name_len;
	uint16_t qtype, qclass;
	bool do_bit, cd;
	bool chase; /* the rest of the answer's chain; else a DS/DNSKEY for validation */
};

/* RESOLVE_DONE. */
struct resolve_done {
	int status;               /* 0, or a negative errno when nothing usable came */
	const struct answer *ans; /* status 0: the answer, owned by the resolution */
	uint32_t ttl;             /* seconds to cache it; 0: not at all */
	uint8_t sec;              /* DNSSEC outcome, CACHE_SEC layout (dns/cache.h) */
	int ede;                  /* failure: the RFC 8914 code (22 timed out, 23 failed) */
	const char *ede_text;     /* and its text */
	/* A SECURE NXDOMAIN/NODATA: the validated body with its NSEC records and signatures
	 * (before stripping for a client without DO), for negcache.h; NULL otherwise. */
	const uint8_t *proof;
	size_t proof_len;
};

/* The action resolve_next returns, in the member of its name. */
struct resolve_out {
	struct resolve_send send;
	struct resolve_lookup lookup;
	struct resolve_done done;
};

/* An RRset the driver found for a RESOLVE_LOOKUP; valid during resolve_feed_lookup. */
struct resolve_found {
	const uint8_t *body; /* msg.h body, as cached */
	size_t len;
	const uint16_t *ttl_offs; /* its TTL fields, lowered by elapsed seconds; NULL: none */
	size_t n_ttl;
	uint32_t elapsed;
	uint32_t ttl; /* seconds it may still be cached (0: not cacheable) */
	uint8_t sec;  /* its DNSSEC outcome, CACHE_SEC layout */
};

/* Start resolving q in env. Never NULL (aborts on OOM). */
struct resolve *resolve_new(const struct resolve_env *env, const struct resolve_question *q);

/*
 * The same in memory of the caller's (resolve_size() bytes, aligned for any object), so a
 * driver can keep its resolution in its own allocation; end it with resolve_close.
 */
size_t resolve_size(void);
void resolve_init(struct resolve *r, const struct resolve_env *env,
		  const struct resolve_question *q);

/*
 * The next action, described in out's member of its name (pointers valid until the next call
 * on r). After SEND or LOOKUP, feed before asking again; DONE stays DONE.
 */
enum resolve_action resolve_next(struct resolve *r, struct resolve_out *out);

/*
 * The outcome of the last SEND: status 0 with the reply (checked by upstream.c against the
 * question and ID) and the server it came from (NULL: unknown), -EMSGSIZE when it was too
 * large for the UDP buffer, or another negative errno (-ETIMEDOUT: no server answered in
 * time).
 */
void resolve_feed_reply(struct resolve *r, int status, const uint8_t *reply, size_t len,
			const struct addr *from);

/* The driver's clocks moved on (before a feed): wall clock and milliseconds. */
void resolve_tick(struct resolve *r, time_t now, uint64_t now_ms);

/*
 * The outcome of the last LOOKUP: status 0 with found, -ELOOP when the driver will not follow
 * a chase (the chain is too long or would wait for itself: the answer stands as it is), or
 * another negative errno when it could not be had (the chain is answered as far as it goes,
 * and not cached).
 */
void resolve_feed_lookup(struct resolve *r, int status, const struct resolve_found *found);

/* Free what r holds (its answer, its validation): resolve_init's counterpart. */
void resolve_close(struct resolve *r);

/* resolve_close and free a resolution from resolve_new; NULL is a no-op. */
void resolve_free(struct resolve *r);

#endif
