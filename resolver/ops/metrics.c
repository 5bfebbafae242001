/*
 * metrics.c -- Prometheus exposition over HTTP. See metrics.h.
 */
#include "ops/metrics.h"

#include "dns/cache.h"
#include "util/log.h"
#include "ops/oplisten.h"
#include "daemon/stats.h"
#include "daemon/upstream.h"
#include "daemon/worker.h"
#include "util/xalloc.h"

#include <stdlib.h>
#include <string.h>

#define METRICS_UPSTREAM 64

struct metrics {
	struct oplisten *listener;
	struct control_host host;
};

/* What the workers report, summed. */
struct metrics_sum {
	struct stats stats;
	size_t entries, bytes, inflight, queued;
	struct upstream_stats up[METRICS_UPSTREAM];
	size_t n_up;
	unsigned rtt_n[METRICS_UPSTREAM];
	bool tls[METRICS_UPSTREAM]; /* a DNS-over-TLS server */
};

static void metrics_job(struct worker *w, size_t index, void *arg)
{
	struct metrics_sum *s = arg;
	struct upstream_stats us[METRICS_UPSTREAM];
	(void)index;
	stats_add(&s->stats, &w->stats);
	s->entries += cache_count(w->cache);
	s->bytes += cache_bytes(w->cache);
	s->inflight += inflight_count(w->rq.inflight);
	s->queued += inflight_count(w->rq.queue);
	size_t n = upstream_pool_stats(w->pool, us, METRICS_UPSTREAM);
	for (size_t i = 0; i < n && i < METRICS_UPSTREAM; i++) {
		size_t j = 0;
		while (j < s->n_up && !addr_equal(&s->up[j].addr, &us[i].addr))
			j++;
		if (j == s->n_up) {
			if (s->n_up == METRICS_UPSTREAM)
				continue;
			memset(&s->up[j], 0, sizeof(s->up[j]));
			s->up[j].addr = us[i].addr;
			s->up[j].fail_age_ms = UINT64_MAX;
			s->n_up++;
		}
		/* up unless some worker holds it down or probes it (failing, not asked first) */
		if (us[i].health == UPSTREAM_HELD_DOWN || us[i].health == UPSTREAM_PROBING)
			s->up[j].health = us[i].health;
		if (us[i].fail_age_ms < s->up[j].fail_age_ms)
			s->up[j].fail_age_ms = us[i].fail_age_ms;
		s->up[j].queries += us[i].queries;
		s->up[j].timeouts += us[i].timeouts;
		s->up[j].errors += us[i].errors;
		s->tls[j] = s->tls[j] || us[i].tls_name;
		s->up[j].tls_handshakes += us[i].tls_handshakes;
		s->up[j].tls_resumed += us[i].tls_resumed;
		if (us[i].known) {
			s->up[j].srtt_us += us[i].srtt_us; /* averaged below */
			s->rtt_n[j]++;
		}
	}
}

static void metrics_head(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void metrics_views(const struct stats *st, FILE *out)
{
	metrics_head(out, "megdns_queries_total", "counter",
		     "Queries answered, by view and protocol.");
	for (size_t i = 0; i < st->n_views; i++)
		for (int p = 0; p < 2; p++)
			fprintf(out, "megdns_queries_total{view=\"%s\",protocol=\"%s\"} %llu\n",
				st->views[i].name, p ? "tcp" : "udp",
				(unsigned long long)st->views[i].queries[p]);
	metrics_head(out, "megdns_queries_by_type_total", "counter", "Queries by view and type.");
	for (size_t i = 0; i < st->n_views; i++)
		for (size_t t = 0; t < STATS_N_TYPES; t++)
			if (st->views[i].qtype[t])
				fprintf(
				    out,
				    "megdns_queries_by_type_total{view=\"%s\",type=\"%s\"} %llu\n",
				    st->views[i].name, stats_type_name(t),
				    (unsigned long long)st->views[i].qtype[t]);
	metrics_head(out, "megdns_responses_total", "counter", "Responses by view and rcode.");
	for (size_t i = 0; i < st->n_views; i++)
		for (size_t r = 0; r < STATS_N_RCODES; r++)
			fprintf(out, "megdns_responses_total{view=\"%s\",rcode=\"%s\"} %llu\n",
				st->views[i].name, stats_rcode_name(r),
				(unsigned long long)st->views[i].rcode[r]);
	metrics_head(out, "megdns_answers_total", "counter",
		     "Answers by view and source (local data, cache, upstream, error, stale, nsec, "
		     "blocked).");
	for (size_t i = 0; i < st->n_views; i++)
		for (size_t s = 0; s < STATS_N_SOURCES; s++)
			fprintf(out, "megdns_answers_total{view=\"%s\",source=\"%s\"} %llu\n",
				st->views[i].name, stats_source_name(s),
				(unsigned long long)st->views[i].source[s]);
	metrics_head(out, "megdns_blocked_total", "counter",
		     "Queries answered from a blocklist, by view and list.");
	for (size_t i = 0; i < st->n_views; i++)
		for (size_t k = 0; k < st->views[i].n_blocked; k++)
			fprintf(out, "megdns_blocked_total{view=\"%s\",list=\"%s\"} %llu\n",
				st->views[i].name, st->views[i].blocked[k].name,
				(unsigned long long)st->views[i].blocked[k].n);
	metrics_head(out, "megdns_cache_hits_total", "counter", "Answers from the cache, by view.");
	for (size_t i = 0; i < st->n_views; i++)
		fprintf(out, "megdns_cache_hits_total{view=\"%s\"} %llu\n", st->views[i].name,
			(unsigned long long)st->views[i].source[STATS_CACHE]);
	metrics_head(out, "megdns_cache_misses_total", "counter",
		     "Answers that had to be fetched upstream, by view.");
	for (size_t i = 0; i < st->n_views; i++)
		fprintf(out, "megdns_cache_misses_total{view=\"%s\"} %llu\n", st->views[i].name,
			(unsigned long long)st->views[i].source[STATS_UPSTREAM]);
}

static void metrics_latency(const struct stats *st, FILE *out)
{
	metrics_head(out, "megdns_query_duration_seconds", "histogram",
		     "Time from a query's arrival to its answer, by view.");
	for (size_t i = 0; i < st->n_views; i++) {
		const struct stats_view *v = &st->views[i];
		uint64_t cum = 0;
		for (size_t b = 0; b < STATS_N_BUCKETS; b++) {
			cum += v->latency[b];
			if (b + 1 < STATS_N_BUCKETS)
				fprintf(out,
					"megdns_query_duration_seconds_bucket{view=\"%s\",le=\"%"
					"g\"} %llu\n",
					v->name, (double)stats_bucket_us[b] / 1e6,
					(unsigned long long)cum);
			else
				fprintf(out,
					"megdns_query_duration_seconds_bucket{view=\"%s\",le=\"+"
					"Inf\"} %llu\n",
					v->name, (unsigned long long)cum);
		}
		fprintf(out, "megdns_query_duration_seconds_sum{view=\"%s\"} %g\n", v->name,
			(double)v->latency_sum_us / 1e6);
		fprintf(out, "megdns_query_duration_seconds_count{view=\"%s\"} %llu\n", v->name,
			(unsigned long long)cum);
	}
}

/* DNS-over-TLS upstreams: connections made, and how many resumed a session. */
static void metrics_upstreams_tls(const struct metrics_sum *s, FILE *out)
{
	static const char *const names[2] = {"megdns_upstream_tls_handshakes_total",
					     "megdns_upstream_tls_resumed_total"};
	static const char *const help[2] = {
	    "TLS connections made to the upstream (handshakes completed).",
	    "Of those, the ones that resumed a TLS session."};
	for (int k = 0; k < 2; k++) {
		metrics_head(out, names[k], "counter", help[k]);
		for (size_t i = 0; i < s->n_up; i++) {
			char a[ADDR_STRLEN];
			if (s->tls[i])
				fprintf(out, "%s{upstream=\"%s\"} %llu\n", names[k],
					addr_format(&s->up[i].addr, a, sizeof(a)),
					(unsigned long long)(k ? s->up[i].tls_resumed
							       : s->up[i].tls_handshakes));
		}
	}
}

static void metrics_upstreams(const struct metrics_sum *s, FILE *out)
{
	static const char *const names[3] = {"megdns_upstream_queries_total",
					     "megdns_upstream_timeouts_total",
					     "megdns_upstream_errors_total"};
	static const char *const help[3] = {
	    "Upstream attempts sent, by server.", "Upstream attempts that timed out, by server.",
	    "Upstream attempts that failed (refused, unreachable, error rcode), by server."};
	for (int k = 0; k < 3; k++) {
		metrics_head(out, names[k], "counter", help[k]);
		for (size_t i = 0; i < s->n_up; i++) {
			char a[ADDR_STRLEN];
			uint64_t v = k == 0   ? s->up[i].queries
				     : k == 1 ? s->up[i].timeouts
					      : s->up[i].errors;
			fprintf(out, "%s{upstream=\"%s\"} %llu\n", names[k],
				addr_format(&s->up[i].addr, a, sizeof(a)), (unsigned long long)v);
		}
	}
	metrics_head(out, "megdns_upstream_up", "gauge",
		     "1 when the upstream is used as usual, 0 while it is held down or probed.");
	for (size_t i = 0; i < s->n_up; i++) {
		char a[ADDR_STRLEN];
		fprintf(out, "megdns_upstream_up{upstream=\"%s\"} %d\n",
			addr_format(&s->up[i].addr, a, sizeof(a)),
			s->up[i].health != UPSTREAM_HELD_DOWN &&
			    s->up[i].health != UPSTREAM_PROBING);
	}
	metrics_head(
	    out, "megdns_upstream_last_failure_age_seconds", "gauge",
	    "Seconds since the upstream last failed (a timeout, an error rcode, garbage).");
	for (size_t i = 0; i < s->n_up; i++) {
		char a[ADDR_STRLEN];
		if (s->up[i].fail_age_ms != UINT64_MAX)
			fprintf(out,
				"megdns_upstream_last_failure_age_seconds{upstream=\"%s\"} %.3f\n",
				addr_format(&s->up[i].addr, a, sizeof(a)),
				s->up[i].fail_age_ms / 1000.0);
	}
	metrics_upstreams_tls(s, out);
	metrics_head(out, "megdns_upstream_rtt_seconds", "gauge", "Smoothed RTT per upstream.");
	for (size_t i = 0; i < s->n_up; i++) {
		char a[ADDR_STRLEN];
		if (s->rtt_n[i])
			fprintf(out, "megdns_upstream_rtt_seconds{upstream=\"%s\"} %g\n",
				addr_format(&s->up[i].addr, a, sizeof(a)),
				(double)s->up[i].srtt_us / s->rtt_n[i] / 1e6);
	}
}

void metrics_write(const struct control_host *host, FILE *out)
{
	static const char *const sec[4] = {"unchecked", "insecure", "secure", "bogus"};
	struct metrics_sum *s = xcalloc(1, sizeof(*s));
	stats_init(&s->stats);
	threads_each(host->threads(host->ud), metrics_job, s);
	metrics_views(&s->stats, out);
	metrics_latency(&s->stats, out);
	metrics_head(out, "megdns_authoritative_queries_total", "counter",
		     "Queries to authoritative servers (resolving from the root), by outcome.");
	for (size_t i = 0; i < STATS_N_AUTH; i++)
		fprintf(out, "megdns_authoritative_queries_total{outcome=\"%s\"} %llu\n",
			stats_auth_name(i), (unsigned long long)s->stats.auth[i]);
	metrics_head(out, "megdns_prefetches_total", "counter",
		     "Refreshes started by a cache hit in the last 10 % of its TTL.");
	fprintf(out, "megdns_prefetches_total %llu\n", (unsigned long long)s->stats.prefetches);
	metrics_head(out, "megdns_inflight", "gauge",
		     "Cache misses being resolved now, prefetches included (server.max-inflight).");
	fprintf(out, "megdns_inflight %zu\n", s->inflight);
	metrics_head(
	    out, "megdns_queued", "gauge",
	    "Misses of the heaviest client waiting for a free slot (server.max-inflight).");
	fprintf(out, "megdns_queued %zu\n", s->queued);
	metrics_head(out, "megdns_busy_total", "counter",
		     "Misses answered SERVFAIL (resolver busy): overload, shed the heaviest "
		     "client's first.");
	fprintf(out, "megdns_busy_total %llu\n", (unsigned long long)s->stats.busy);
	metrics_head(out, "megdns_proxy_rejected_total", "counter",
		     "Datagrams dropped and connections closed on PROXY listeners: a sender not "
		     "in proxy-protocol.from, or a missing or malformed header.");
	fprintf(out, "megdns_proxy_rejected_total{reason=\"sender\"} %llu\n",
		(unsigned long long)s->stats.proxy_rejected[0]);
	fprintf(out, "megdns_proxy_rejected_total{reason=\"header\"} %llu\n",
		(unsigned long long)s->stats.proxy_rejected[1]);
	metrics_head(out, "megdns_dnssec_total", "counter", "Fetched answers by DNSSEC outcome.");
	for (int i = 0; i < 4; i++)
		fprintf(out, "megdns_dnssec_total{status=\"%s\"} %llu\n", sec[i],
			(unsigned long long)s->stats.dnssec[i]);
	metrics_head(out, "megdns_cache_entries", "gauge", "Entries in the answer cache.");
	fprintf(out, "megdns_cache_entries %zu\n", s->entries);
	metrics_head(out, "megdns_cache_bytes", "gauge", "Bytes charged to the answer cache.");
	fprintf(out, "megdns_cache_bytes %zu\n", s->bytes);
	metrics_upstreams(s, out);
	stats_close(&s->stats);
	free(s);
}

/* ---- the listener ---- */

size_t metrics_request_end(const char *buf, size_t len)
{
	/* memmem, not strstr: a NUL in the request must not hide its end. */
	const char *crlf = memmem(buf, len, "\r\n\r\n", 4), *lf = memmem(buf, len, "\n\n", 2);
	if (crlf && (!lf || crlf < lf))
		return (size_t)(crlf - buf) + 4;
	return lf ? (size_t)(lf - buf) + 2 : 0;
}

enum metrics_req metrics_request_kind(const char *req, bool whole)
{
	if (!whole)
		return METRICS_REQ_TOO_LONG;
	if (!strncmp(req, "GET /metrics ", 13) || !strncmp(req, "GET /metrics?", 13))
		return METRICS_REQ_GET;
	return METRICS_REQ_OTHER;
}

static void metrics_answer(void *ud, const char *req, size_t len, bool whole, FILE *out)
{
	static const char *const status[] = {[METRICS_REQ_GET] = "200 OK",
					     [METRICS_REQ_OTHER] = "404 Not Found",
					     [METRICS_REQ_TOO_LONG] =
						 "431 Request Header Fields Too Large"};
	struct metrics *m = ud;
	char *body = NULL;
	size_t body_len = 0;
	(void)len;
	FILE *b = xcheck(open_memstream(&body, &body_len));
	enum metrics_req kind = metrics_request_kind(req, whole);
	if (kind == METRICS_REQ_GET && !m->host.threads(m->host.ud))
		kind = METRICS_REQ_OTHER; /* stopping */
	if (kind == METRICS_REQ_GET)
		metrics_write(&m->host, b);
	else if (kind == METRICS_REQ_TOO_LONG)
		fprintf(b, "megdns: request head too long\n");
	else
		fprintf(b, "megdns: only GET /metrics is served here\n");
	fclose(b);
	fprintf(out,
		"HTTP/1.0 %s\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
		"Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
		status[kind], body_len, body);
	free(body);
}

/* metrics.allow, read from the current state so a reload applies to the next client. */
static bool metrics_admit(void *ud, const struct sockaddr_storage *peer)
{
	struct metrics *m = ud;
	const struct config *cfg = m->host.state(m->host.ud)->cfg;
	for (size_t i = 0; i < cfg->n_metrics_allow; i++)
		if (prefix_match(&cfg->metrics_allow[i], (const struct sockaddr *)peer, ""))
			return true;
	struct addr a;
	char buf[ADDR_STRLEN];
	addr_from_sockaddr(&a, (const struct sockaddr *)peer, sizeof(*peer));
	log_debug("metrics: %s is not in metrics.allow", addr_format(&a, buf, sizeof(buf)));
	return false;
}

static const char metrics_forbidden[] =
    "HTTP/1.0 403 Forbidden\r\nContent-Type: text/plain; charset=utf-8\r\n"
    "Content-Length: 52\r\nConnection: close\r\n\r\n"
    "megdns: metrics.allow does not include your address\n";

int metrics_open(struct metrics **out, uv_loop_t *loop, const struct addr *addr,
		 const struct control_host *host, char *err, size_t errlen)
{
	struct metrics *m = xcalloc(1, sizeof(*m));
	m->host = *host;
	struct oplisten_handler h = {.ud = m,
				     .name = "metrics.listen",
				     .admit = metrics_admit,
				     .refusal = metrics_forbidden,
				     .complete = metrics_request_end,
				     .answer = metrics_answer};
	int r = oplisten_tcp(&m->listener, loop, addr, &h, err, errlen);
	if (r < 0) {
		free(m);
		return r;
	}
	*out = m;
	return 0;
}

void metrics_close(struct metrics *m)
{
	if (!m)
		return;
	oplisten_close(m->listener); /* no callback reaches m after this */
	free(m);
}
