/*
 * stats.c -- per-worker counters. See stats.h.
 */
#include "daemon/stats.h"
#include "util/xalloc.h"

#include <stdlib.h>
#include <string.h>

const uint64_t stats_bucket_us[STATS_N_BUCKETS] = {100,   500,    1000,   5000,    10000,
						   50000, 100000, 500000, 1000000, UINT64_MAX};

static const struct {
	uint16_t type;
	const char *name;
} stats_types[STATS_N_TYPES - 1] = {
    {1, "A"},     {28, "AAAA"},  {12, "PTR"},    {15, "MX"},   {16, "TXT"},
    {33, "SRV"},  {65, "HTTPS"}, {64, "SVCB"},   {6, "SOA"},   {2, "NS"},
    {5, "CNAME"}, {43, "DS"},    {48, "DNSKEY"}, {255, "ANY"},
};

static const char *const stats_rcodes[STATS_N_RCODES] = {
    "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "other"};
static const char *const stats_sources[STATS_N_SOURCES] = {"local", "cache", "upstream", "error",
							   "stale", "nsec",  "blocked",  "rebind"};

const char *stats_type_name(size_t i)
{
	return i < STATS_N_TYPES - 1 ? stats_types[i].name : "other";
}

const char *stats_rcode_name(size_t i)
{
	return stats_rcodes[i];
}

const char *stats_source_name(size_t i)
{
	return stats_sources[i];
}

/* The slot named name, added if new. */
static unsigned stats_slot_named(struct stats *s, const char *name)
{
	for (size_t i = 0; i < s->n_views; i++)
		if (!strcmp(s->views[i].name, name))
			return (unsigned)i;
	s->views = xcheck(realloc(s->views, (s->n_views + 1) * sizeof(*s->views)));
	struct stats_view *v = &s->views[s->n_views];
	memset(v, 0, sizeof(*v));
	v->name = xcheck(strdup(name));
	return (unsigned)s->n_views++;
}

void stats_init(struct stats *s)
{
	memset(s, 0, sizeof(*s));
	stats_slot_named(s, "-");
}

void stats_close(struct stats *s)
{
	for (size_t i = 0; i < s->n_views; i++) {
		free(s->views[i].name);
		for (size_t k = 0; k < s->views[i].n_blocked; k++)
			free(s->views[i].blocked[k].name);
		free(s->views[i].blocked);
	}
	free(s->views);
	free(s->slot_of);
	memset(s, 0, sizeof(*s));
}

static struct stats_count *stats_blocked_of(struct stats_view *v, const char *name);

void stats_set_views(struct stats *s, const struct view_set *vs)
{
	free(s->slot_of);
	s->slot_of = xcheck(calloc(vs->n_views + 1, sizeof(*s->slot_of)));
	s->n_slot_of = vs->n_views;
	for (size_t i = 0; i < vs->n_views; i++) {
		s->slot_of[i] = stats_slot_named(s, vs->views[i].cfg->name);
		for (size_t k = 0; k < vs->views[i].n_lists; k++) /* listed at 0 from the start */
			stats_blocked_of(&s->views[s->slot_of[i]],
					 blocklist_name(vs->views[i].lists[k]));
	}
}

unsigned stats_slot(const struct stats *s, const struct view_set *vs, const struct view *v)
{
	if (!v)
		return 0;
	size_t i = (size_t)(v - vs->views);
	return i < s->n_slot_of ? s->slot_of[i] : 0;
}

static size_t stats_type_index(uint16_t qtype)
{
	for (size_t i = 0; i < STATS_N_TYPES - 1; i++)
		if (stats_types[i].type == qtype)
			return i;
	return STATS_N_TYPES - 1;
}

void stats_answer(struct stats *s, unsigned slot, bool tcp, uint16_t qtype, unsigned rcode,
		  enum stats_source source, uint64_t latency_us)
{
	struct stats_view *v = &s->views[slot < s->n_views ? slot : 0];
	v->queries[tcp]++;
	v->qtype[stats_type_index(qtype)]++;
	v->rcode[rcode < STATS_N_RCODES - 1 ? rcode : STATS_N_RCODES - 1]++;
	v->source[source]++;
	size_t b = 0;
	while (latency_us > stats_bucket_us[b])
		b++;
	v->latency[b]++;
	v->latency_sum_us += latency_us;
}

/* The counter named name of v's blocked, added if new. */
static struct stats_count *stats_blocked_of(struct stats_view *v, const char *name)
{
	for (size_t i = 0; i < v->n_blocked; i++)
		if (!strcmp(v->blocked[i].name, name))
			return &v->blocked[i];
	v->blocked = xcheck(realloc(v->blocked, (v->n_blocked + 1) * sizeof(*v->blocked)));
	struct stats_count *c = &v->blocked[v->n_blocked++];
	c->name = xcheck(strdup(name));
	c->n = 0;
	return c;
}

void stats_blocked(struct stats *s, unsigned slot, const char *list)
{
	stats_blocked_of(&s->views[slot < s->n_views ? slot : 0], list)->n++;
}

static void stats_add_view(struct stats_view *d, const struct stats_view *v)
{
	for (size_t i = 0; i < v->n_blocked; i++)
		stats_blocked_of(d, v->blocked[i].name)->n += v->blocked[i].n;
	for (size_t i = 0; i < 2; i++)
		d->queries[i] += v->queries[i];
	for (size_t i = 0; i < STATS_N_TYPES; i++)
		d->qtype[i] += v->qtype[i];
	for (size_t i = 0; i < STATS_N_RCODES; i++)
		d->rcode[i] += v->rcode[i];
	for (size_t i = 0; i < STATS_N_SOURCES; i++)
		d->source[i] += v->source[i];
	for (size_t i = 0; i < STATS_N_BUCKETS; i++)
		d->latency[i] += v->latency[i];
	d->latency_sum_us += v->latency_sum_us;
}

void stats_add(struct stats *dst, const struct stats *src)
{
	for (size_t i = 0; i < src->n_views; i++) {
		unsigned slot = stats_slot_named(dst, src->views[i].name); /* may move views */
		stats_add_view(&dst->views[slot], &src->views[i]);
	}
	for (size_t i = 0; i < 4; i++)
		dst->dnssec[i] += src->dnssec[i];
	for (size_t i = 0; i < STATS_N_AUTH; i++)
		dst->auth[i] += src->auth[i];
	dst->prefetches += src->prefetches;
	dst->busy += src->busy;
	for (size_t i = 0; i < 2; i++)
		dst->proxy_rejected[i] += src->proxy_rejected[i];
}

void stats_reset(struct stats *s)
{
	for (size_t i = 0; i < s->n_views; i++) {
		struct stats_view keep = s->views[i]; /* the names stay */
		memset(&s->views[i], 0, sizeof(s->views[i]));
		s->views[i].name = keep.name;
		s->views[i].blocked = keep.blocked;
		s->views[i].n_blocked = keep.n_blocked;
		for (size_t k = 0; k < keep.n_blocked; k++)
			keep.blocked[k].n = 0;
	}
	memset(s->dnssec, 0, sizeof(s->dnssec));
	memset(s->auth, 0, sizeof(s->auth));
	s->prefetches = 0;
	s->busy = 0;
	memset(s->proxy_rejected, 0, sizeof(s->proxy_rejected));
}

const char *stats_auth_name(size_t i)
{
	static const char *const names[STATS_N_AUTH] = {"reply", "timeout", "error"};
	return i < STATS_N_AUTH ? names[i] : "?";
}

void stats_print(const struct stats *s, FILE *out)
{
	static const char *const sec[4] = {"unchecked", "insecure", "secure", "bogus"};
	for (size_t i = 0; i < s->n_views; i++) {
		const struct stats_view *v = &s->views[i];
		fprintf(out, "view.%s.queries.udp %llu\n", v->name,
			(unsigned long long)v->queries[0]);
		fprintf(out, "view.%s.queries.tcp %llu\n", v->name,
			(unsigned long long)v->queries[1]);
		for (size_t j = 0; j < STATS_N_TYPES; j++)
			if (v->qtype[j])
				fprintf(out, "view.%s.type.%s %llu\n", v->name, stats_type_name(j),
					(unsigned long long)v->qtype[j]);
		for (size_t j = 0; j < STATS_N_RCODES; j++)
			if (v->rcode[j])
				fprintf(out, "view.%s.rcode.%s %llu\n", v->name, stats_rcodes[j],
					(unsigned long long)v->rcode[j]);
		for (size_t j = 0; j < STATS_N_SOURCES; j++)
			fprintf(out, "view.%s.answer.%s %llu\n", v->name, stats_sources[j],
				(unsigned long long)v->source[j]);
		for (size_t j = 0; j < v->n_blocked; j++)
			fprintf(out, "view.%s.blocked.%s %llu\n", v->name, v->blocked[j].name,
				(unsigned long long)v->blocked[j].n);
	}
	for (size_t i = 1; i < 4; i++)
		fprintf(out, "dnssec.%s %llu\n", sec[i], (unsigned long long)s->dnssec[i]);
	for (size_t i = 0; i < STATS_N_AUTH; i++)
		fprintf(out, "authoritative.%s %llu\n", stats_auth_name(i),
			(unsigned long long)s->auth[i]);
	fprintf(out, "cache.prefetches %llu\n", (unsigned long long)s->prefetches);
	fprintf(out, "inflight.busy %llu\n", (unsigned long long)s->busy);
	fprintf(out, "proxy.rejected.sender %llu\nproxy.rejected.header %llu\n",
		(unsigned long long)s->proxy_rejected[0], (unsigned long long)s->proxy_rejected[1]);
}
