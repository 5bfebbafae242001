/*
 * servsel.c -- upstream server selection: tiers, smoothed RTT, hold-down, probes. See servsel.h.
 *
 * Pure bookkeeping on a handful of numbers per server, so the whole policy is unit-tested
 * without sockets; upstream.c only reports what happened and asks whom to send to.
 */
#include "resolve/servsel.h"

#define SERVSEL_TIER_SHIFT 56

enum servsel_tier servsel_tier(const struct servsel *s, uint64_t now)
{
	if (s->fails)
		return s->down_until > now ? SERVSEL_DOWN : SERVSEL_RETRY;
	return s->known ? SERVSEL_GOOD : SERVSEL_UNTRIED;
}

/* Sort key: the tier first, then RTT (GOOD) or the end of the hold-down (RETRY, DOWN). */
static uint64_t servsel_key(const struct servsel *s, uint64_t now)
{
	enum servsel_tier tier = servsel_tier(s, now);
	uint64_t sub = 0;
	if (tier == SERVSEL_GOOD)
		sub = s->srtt_us;
	else if (tier != SERVSEL_UNTRIED)
		sub = s->down_until;
	const uint64_t max = (1ull << SERVSEL_TIER_SHIFT) - 1;
	return ((uint64_t)tier << SERVSEL_TIER_SHIFT) | (sub < max ? sub : max);
}

void servsel_order(const struct servsel *const *s, size_t n, uint64_t now, size_t *order)
{
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	/* Insertion sort: stable, and server lists are a handful long. */
	for (size_t i = 1; i < n; i++) {
		size_t v = order[i], j = i;
		uint64_t kv = servsel_key(s[v], now);
		while (j > 0 && servsel_key(s[order[j - 1]], now) > kv) {
			order[j] = order[j - 1];
			j--;
		}
		order[j] = v;
	}
}

size_t servsel_probe(const struct servsel *const *s, const size_t *order, size_t n, uint64_t now)
{
	if (n == 0 || servsel_tier(s[order[0]], now) != SERVSEL_GOOD)
		return n;
	for (size_t i = 1; i < n; i++) {
		enum servsel_tier tier = servsel_tier(s[order[i]], now);
		if ((tier == SERVSEL_UNTRIED || tier == SERVSEL_RETRY) && !s[order[i]]->probing)
			return i;
	}
	return n;
}

void servsel_answered(struct servsel *s, uint64_t rtt_us)
{
	uint32_t rtt = rtt_us < UINT32_MAX / 8 ? (uint32_t)rtt_us : UINT32_MAX / 8;
	if (!s->known) {
		s->srtt_us = rtt;
		s->rttvar_us = rtt / 2;
		s->known = true;
	} else {
		uint32_t diff = rtt > s->srtt_us ? rtt - s->srtt_us : s->srtt_us - rtt;
		s->rttvar_us = (3 * s->rttvar_us + diff) / 4;
		s->srtt_us = (7 * s->srtt_us + rtt) / 8;
	}
	s->fails = 0;
	s->down_until = 0;
}

void servsel_failed(struct servsel *s, uint64_t now)
{
	s->fails++;
	s->down_until = now + SERVSEL_HOLD_DOWN;
}

uint32_t servsel_rto(const struct servsel *s, uint32_t max_ms)
{
	if (!s->known)
		return max_ms;
	uint64_t rto = (s->srtt_us + 4ull * s->rttvar_us) / 1000 * 2 + SERVSEL_MIN_RTO;
	return rto < max_ms ? (uint32_t)rto : max_ms;
}
