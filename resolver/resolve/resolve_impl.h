/*
 * resolve_impl.h -- what the two files of the resolve step share (not for other modules).
 *
 * resolve.c holds the machine (struct resolve, its phases, forwarding, preparation,
 * validation, chase and stripping); resolve_iter.c is the walk from the root or a stub zone's
 * servers down to the authoritative answer, which resolve.c enters instead of forwarding
 * when no upstream serves the name (forward.h's FORWARD_ROOT and FORWARD_STUB).
 */
#ifndef MEGDNS_RESOLVE_IMPL_H
#define MEGDNS_RESOLVE_IMPL_H

#include "dnssec/validate.h"
#include "policy/forward.h"
#include "resolve/iterate.h"
#include "resolve/resolve.h"

enum resolve_phase {
	RESOLVE_START,      /* nothing asked yet */
	RESOLVE_SENDING,    /* a SEND is out (or, with retry_tcp, is to go out over TCP) */
	RESOLVE_VALIDATING, /* the validator's LOOKUP is out (or to be made) */
	RESOLVE_CHASING,    /* the LOOKUP for the rest of the chain is out */
	RESOLVE_FINISHED,
};

struct resolve_iter;

struct resolve {
	struct resolve_env env;
	enum resolve_phase phase;
	bool asked;    /* the action of this phase is out: the driver owes a feed */
	bool validate; /* validation is on and the question did not set CD */
	bool tcp;      /* the next SEND goes over TCP */
	uint16_t qtype, qclass;
	bool do_bit, cd;
	struct forward_set fs; /* the upstreams asked (in env.st) */
	struct validation *val;
	struct answer *ans;  /* the answer so far, owned */
	struct answer *full; /* a secure denial as validated, before stripping, or NULL */
	uint8_t sec;         /* its DNSSEC outcome */
	struct resolve_done done;
	struct resolve_iter *it; /* iterating; NULL: forwarding */
	size_t lname_len, zone_len;
	/* Buffers last: resolve_init does not clear them, each is written before it is read. */
	uint8_t lname[MSG_MAX_NAME];
	uint8_t zone[MSG_MAX_NAME]; /* the upstreams' bailiwick, or the zone cut (scrub.h) */
	struct validate_need need;
};

/* End r with a failure and its EDE. */
void resolve_fail(struct resolve *r, int status, int ede, const char *text);

/* resolve_iter.c: start the walk (from the cache's closest cut, a stub zone or priming). */
void resolve_iter_start(struct resolve *r);

/* The next SEND or LOOKUP of the walk into out; RESOLVE_DONE when r failed instead. */
enum resolve_action resolve_iter_next(struct resolve *r, struct resolve_out *out);

/*
 * A server's reply (status 0) or the failure of the SEND: true when it is the answer to
 * prepare (NXDOMAIN and NODATA too), with r->zone the bailiwick; false when the walk moved
 * on (a referral, another server) or failed.
 */
bool resolve_iter_reply(struct resolve *r, int status, const uint8_t *reply, size_t len,
			const struct addr *from);

/* from's answer (or, NULL, the SEND's) cannot be used: the cut's other servers next. */
void resolve_iter_reject(struct resolve *r, const struct addr *from);

/* The outcome of the walk's LOOKUP of an NS name's address. */
void resolve_iter_lookup(struct resolve *r, int status, const struct resolve_found *found);

/* Is the walk's LOOKUP out (not the validator's or the chase's)? */
bool resolve_iter_looking(const struct resolve *r);

/* Free the walk's state. */
void resolve_iter_free(struct resolve *r);

#endif
