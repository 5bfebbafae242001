/*
 * servsel.h -- which upstream server to ask, from what its past replies say; no I/O.
 *
 * One struct servsel per server holds what the upstream client has learned of it: a smoothed
 * round-trip time and its variance (RFC 6298, as Unbound's rtt.c keeps them), whether it has
 * ever answered, and whether it failed (timed out, refused the connection) since it last did.
 * That puts every server in one tier, and servers are asked tier by tier:
 *
 *   GOOD     answered, and no failure since           fastest smoothed RTT first
 *   UNTRIED  never answered, never failed             in the configured order
 *   RETRY    failed, hold-down over                   worth a probe
 *   DOWN     failed less than SERVSEL_HOLD_DOWN ago   only when everything else failed
 *
 * A server that has only ever timed out is RETRY after its hold-down, never UNTRIED: it ranks
 * behind a server that answers, so no client waits for it. Instead, while the best server is
 * GOOD, the first UNTRIED or RETRY server is probed alongside it (servsel_probe) -- the caller
 * sends to both and takes whichever valid reply comes first -- one probe per server at a time,
 * so a server that comes back is noticed and one that stays dead costs clients nothing.
 * Times are milliseconds on the caller's monotonic clock; RTTs are microseconds.
 */
#ifndef MEGDNS_SERVSEL_H
#define MEGDNS_SERVSEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SERVSEL_HOLD_DOWN 10000 /* ms a failed server is asked only as a last resort */
#define SERVSEL_MIN_RTO   150   /* ms added to every retransmit timeout of a known server */

/* What is known of one server. Zero-initialised: never asked. */
struct servsel {
	uint32_t srtt_us;    /* smoothed RTT, valid when known */
	uint32_t rttvar_us;  /* its mean deviation */
	uint64_t down_until; /* ms; with fails: asked last until then */
	unsigned fails;      /* failures since the last reply (0: healthy or untried) */
	bool known;          /* has answered at least once */
	bool probing;        /* a probe to it is in flight (set and cleared by the caller) */
};

enum servsel_tier { SERVSEL_GOOD, SERVSEL_UNTRIED, SERVSEL_RETRY, SERVSEL_DOWN };

/* The tier of s at time now. */
enum servsel_tier servsel_tier(const struct servsel *s, uint64_t now);

/*
 * Order the n servers s[0..n) best first: order[0..n) receives a permutation of 0..n-1. Equal
 * servers (all UNTRIED, say) keep their configured order.
 */
void servsel_order(const struct servsel *const *s, size_t n, uint64_t now, size_t *order);

/*
 * The position in order[0..n) (from servsel_order) of a server to probe alongside order[0],
 * or n for none: the first UNTRIED or RETRY server not already being probed, when order[0] is
 * GOOD (otherwise the plain attempts reach those servers anyway).
 */
size_t servsel_probe(const struct servsel *const *s, const size_t *order, size_t n, uint64_t now);

/* A reply (any rcode) came rtt_us after the query was sent: update the RTT, clear failures. */
void servsel_answered(struct servsel *s, uint64_t rtt_us);

/* The server failed at now (no reply within its timeout, or an error): hold it down. */
void servsel_failed(struct servsel *s, uint64_t now);

/*
 * Retransmit timeout for s in ms: a known server's RTT plus four deviations, doubled, plus
 * SERVSEL_MIN_RTO; max_ms for a server never heard from; never more than max_ms.
 */
uint32_t servsel_rto(const struct servsel *s, uint32_t max_ms);

#endif
