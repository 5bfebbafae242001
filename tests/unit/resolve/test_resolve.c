/*
 * test_resolve.c -- the resolve step against a fake world, with no I/O (resolve.h).
 *
 * Each case loads a real state from a small config (state_load on a temporary file), starts a
 * resolution and plays the driver: it checks each action the resolution asks for (the
 * servers and flags of a SEND, the name and type of a LOOKUP) and feeds it what a world of
 * upstreams would answer, built with ldns. DNSSEC cases use a signed world (tests/common/
 * world.h): a root whose KSK is the trust anchor, test. and a.test., the DS and DNSKEY
 * answers served to the resolution's LOOKUPs. Cases: a forwarded answer and its TTL, the
 * RFC 2308 TTLs of NXDOMAIN and NODATA, truncation to TCP, upstream failures (EDE 22, 23),
 * no upstream at all (iteration from the built-in hints), a CNAME answer whose chain leaves
 * the bailiwick (chased, declined, failed), secure answers (stripped for clients without DO),
 * bogus ones, CD. Iteration against fake authoritative servers: priming, referrals, NXDOMAIN,
 * lame servers, bailiwick, limits, glueless delegations, the delegation cache, qname
 * minimisation, stub zones.
 */
#include "check_main.h"
#include "dns/cache.h"
#include "dns/msg.h"
#include "dnssec/anchor.h"
#include "resolve/iterate.h"
#include "resolve/resolve.h"
#include "world.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const base_config = "server:\n"
				       "  listen: [127.0.0.1@53]\n"
				       "upstreams: [192.0.2.53]\n"
				       "forward-zones:\n"
				       "  - name: corp.example.\n"
				       "    upstreams: [198.51.100.53]\n"
				       "cache:\n"
				       "  max-ttl: 86400\n"
				       "dnssec:\n"
				       "  validation: false\n"
				       "views:\n"
				       "  - name: lan\n";

/* A resolution and everything it reads. */
struct run {
	struct state *st;
	struct keycache *kc;
	struct cache *cache; /* delegations, when iterating */
	struct resolve *r;
	struct resolve_out out;
};

static struct state *load_state(const char *yaml)
{
	char path[] = "/tmp/test_resolve.XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, yaml, strlen(yaml)), (ssize_t)strlen(yaml));
	close(fd);
	struct state *st = NULL;
	char err[512] = "";
	int r = state_load(path, NULL, &st, err, sizeof(err));
	unlink(path);
	ck_assert_msg(r == 0, "state_load: %s", err);
	return st;
}

static void run_start(struct run *t, struct state *st, struct anchor_set *anchors,
		      const char *qname, uint16_t qtype, bool do_bit, bool cd)
{
	memset(t, 0, sizeof(*t));
	t->st = st;
	t->st->anchors = anchors;
	t->kc = keycache_new(100);
	uint8_t lname[MSG_MAX_NAME];
	size_t len;
	ck_assert_int_eq(msg_name_from_str(qname, lname, &len), 0);
	struct resolve_env env = {st, &st->views.views[0], t->kc, WORLD_NOW, WORLD_NOW_MS, NULL};
	struct resolve_question q = {lname, len, qtype, 1, do_bit, cd};
	t->r = resolve_new(&env, &q);
}

static void run_end(struct run *t)
{
	resolve_free(t->r);
	keycache_free(t->kc);
	cache_free(t->cache);
	t->st->anchors = NULL; /* the test's, not the state's */
	state_unref(t->st);
}

static enum resolve_action next(struct run *t)
{
	return resolve_next(t->r, &t->out);
}

/* Feed p (freed) as the reply to the SEND that is out, from server (NULL: unknown). */
static void feed_from(struct run *t, ldns_pkt *p, const char *server)
{
	size_t len;
	struct addr from;
	uint8_t *wire = world_wire(p, &len);
	if (server)
		ck_assert_int_eq(addr_parse(server, 53, &from), 0);
	resolve_feed_reply(t->r, 0, wire, len, server ? &from : NULL);
	free(wire);
}

static void feed_pkt(struct run *t, ldns_pkt *p)
{
	feed_from(t, p, NULL);
}

/* The answer of DONE as an ldns packet (the caller's). */
static ldns_pkt *done_pkt(const struct run *t)
{
	ldns_pkt *p = NULL;
	ck_assert_int_eq(t->out.done.status, 0);
	ck_assert_ptr_nonnull(t->out.done.ans);
	ck_assert_int_eq(ldns_wire2pkt(&p, t->out.done.ans->body, t->out.done.ans->len),
			 LDNS_STATUS_OK);
	return p;
}

/* How many records of type in section s of p. */
static size_t count_type(const ldns_pkt *p, ldns_pkt_section s, ldns_rr_type type)
{
	ldns_rr_list *l = ldns_pkt_get_section_clone(p, s);
	size_t n = 0;
	for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++)
		n += ldns_rr_get_type(ldns_rr_list_rr(l, i)) == type;
	ldns_rr_list_deep_free(l);
	return n;
}

/* Does the answer section of p hold the record text (presentation form, no TTL check)? */
static bool has_rr(const ldns_pkt *p, const char *text)
{
	ldns_rr *want = world_rr_new("%s", text);
	bool found = false;
	for (size_t i = 0; i < ldns_rr_list_rr_count(ldns_pkt_answer(p)); i++) {
		ldns_rr *rr = ldns_rr_clone(ldns_rr_list_rr(ldns_pkt_answer(p), i));
		ldns_rr_set_ttl(rr, WORLD_TTL);
		found |= ldns_rr_compare(rr, want) == 0;
		ldns_rr_free(rr);
	}
	ldns_rr_free(want);
	return found;
}

/* A reply to qname/qtype with the records texts[] (NULL-ended) in the answer section. */
static ldns_pkt *reply(const char *qname, ldns_rr_type qtype, ldns_pkt_rcode rcode,
		       const char *const *answer, const char *const *authority)
{
	ldns_pkt *p = world_pkt_new(qname, qtype, rcode);
	for (size_t i = 0; answer && answer[i]; i++)
		ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, world_rr_new("%s", answer[i]));
	for (size_t i = 0; authority && authority[i]; i++)
		ldns_pkt_push_rr(p, LDNS_SECTION_AUTHORITY, world_rr_new("%s", authority[i]));
	return p;
}

/* The one SEND a question starts with, to the servers of the config. */
static void expect_send(struct run *t, const char *server, bool do_bit, bool cd, bool tcp)
{
	char buf[ADDR_STRLEN];
	ck_assert_int_eq(next(t), RESOLVE_SEND);
	ck_assert_uint_eq(t->out.send.n_servers, 1);
	ck_assert_str_eq(addr_format(&t->out.send.servers[0], buf, sizeof(buf)), server);
	ck_assert_int_eq(t->out.send.do_bit, do_bit);
	ck_assert_int_eq(t->out.send.cd, cd);
	ck_assert_int_eq(t->out.send.tcp, tcp);
}

START_TEST(forwarded_answer)
{
	struct run t;
	run_start(&t, load_state(base_config), NULL, "www.example.net.", 1, false, false);
	expect_send(&t, "192.0.2.53@53", false, false, false);
	static const char *const an[] = {"www.example.net. 600 IN A 192.0.2.10", NULL};
	feed_pkt(&t, reply("www.example.net.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, NULL));
	ck_assert_int_eq(next(&t), RESOLVE_DONE);
	ldns_pkt *p = done_pkt(&t);
	ck_assert(has_rr(p, "www.example.net. IN A 192.0.2.10"));
	ck_assert_uint_eq(t.out.done.ttl, 600);
	ck_assert_uint_eq(t.out.done.ans->rcode, LDNS_RCODE_NOERROR);
	ck_assert_uint_eq(CACHE_SEC_STATUS(t.out.done.sec), CACHE_UNCHECKED);
	ck_assert(!ldns_pkt_aa(p)); /* not ours to claim */
	ldns_pkt_free(p);
	ck_assert_int_eq(next(&t), RESOLVE_DONE); /* DONE stays DONE */
	run_end(&t);
}
END_TEST

/* RFC 2308 section 5: a negative answer lives min(SOA TTL, SOA MINIMUM); without SOA, not. */
START_TEST(negative_ttls)
{
	static const struct {
		ldns_pkt_rcode rcode;
		const char *soa; /* NULL: none */
		uint32_t ttl;
	} cases[] = {
	    {LDNS_RCODE_NXDOMAIN, "example.net. 3600 IN SOA ns. h. 1 2 3 4 300", 300},
	    {LDNS_RCODE_NXDOMAIN, "example.net. 120 IN SOA ns. h. 1 2 3 4 900", 120},
	    {LDNS_RCODE_NOERROR, "example.net. 3600 IN SOA ns. h. 1 2 3 4 60", 60},
	    {LDNS_RCODE_NOERROR, NULL, 0},
	    {LDNS_RCODE_NXDOMAIN, NULL, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct run t;
		run_start(&t, load_state(base_config), NULL, "nx.example.net.", 1, false, false);
		expect_send(&t, "192.0.2.53@53", false, false, false);
		const char *const ns[] = {cases[i].soa, NULL};
		feed_pkt(&t, reply("nx.example.net.", LDNS_RR_TYPE_A, cases[i].rcode, NULL, ns));
		ck_assert_int_eq(next(&t), RESOLVE_DONE);
		ck_assert_msg(t.out.done.ttl == cases[i].ttl, "case %zu: ttl %u, want %u", i,
			      t.out.done.ttl, cases[i].ttl);
		ck_assert_uint_eq(t.out.done.ans->rcode, cases[i].rcode);
		run_end(&t);
	}
}
END_TEST

/* A truncated reply, or one too large for the buffer, is asked again over TCP (RFC 7766). */
START_TEST(truncated_to_tcp)
{
	for (int too_large = 0; too_large < 2; too_large++) {
		struct run t;
		run_start(&t, load_state(base_config), NULL, "big.example.net.", 16, false, false);
		expect_send(&t, "192.0.2.53@53", false, false, false);
		if (too_large) {
			resolve_feed_reply(t.r, -EMSGSIZE, NULL, 0, NULL);
		} else {
			ldns_pkt *p = reply("big.example.net.", LDNS_RR_TYPE_TXT,
					    LDNS_RCODE_NOERROR, NULL, NULL);
			ldns_pkt_set_tc(p, true);
			feed_pkt(&t, p);
		}
		expect_send(&t, "192.0.2.53@53", false, false, true);
		static const char *const an[] = {"big.example.net. 60 IN TXT \"all of it\"", NULL};
		feed_pkt(&t,
			 reply("big.example.net.", LDNS_RR_TYPE_TXT, LDNS_RCODE_NOERROR, an, NULL));
		ck_assert_int_eq(next(&t), RESOLVE_DONE);
		ck_assert_int_eq(t.out.done.status, 0);
		ck_assert_uint_eq(t.out.done.ttl, 60);
		run_end(&t);
	}
}
END_TEST

/* Nothing usable from the upstreams: DONE with a failure and its EDE (RFC 8914 22, 23). */
START_TEST(upstream_failures)
{
	static const struct {
		int status;
		const char *garbage; /* a reply that is no message */
		int ede;
		const char *text;
	} cases[] = {
	    {-ETIMEDOUT, NULL, MSG_EDE_NO_REACHABLE_AUTHORITY, "upstream timed out"},
	    {-ECONNREFUSED, NULL, MSG_EDE_NETWORK_ERROR, "upstream failed"},
	    {-EREMOTEIO, NULL, MSG_EDE_NETWORK_ERROR, "upstream failed"},
	    {0, "\x12\x34\x81\x80\x00\x01\x00\x01", MSG_EDE_NETWORK_ERROR, "upstream failed"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct run t;
		run_start(&t, load_state(base_config), NULL, "www.example.net.", 1, false, false);
		expect_send(&t, "192.0.2.53@53", false, false, false);
		const char *g = cases[i].garbage;
		resolve_feed_reply(t.r, cases[i].status, (const uint8_t *)g, g ? 8 : 0, NULL);
		ck_assert_int_eq(next(&t), RESOLVE_DONE);
		ck_assert_int_lt(t.out.done.status, 0);
		ck_assert_ptr_null(t.out.done.ans);
		ck_assert_int_eq(t.out.done.ede, cases[i].ede);
		ck_assert_str_eq(t.out.done.ede_text, cases[i].text);
		run_end(&t);
	}
}
END_TEST

START_TEST(no_upstream)
{
	static const char *const cfg = "server:\n  listen: [127.0.0.1@53]\n"
				       "dnssec:\n  validation: false\n"
				       "views:\n  - name: lan\n";
	struct run t;
	run_start(&t, load_state(cfg), NULL, "www.example.net.", 1, false, false);
	/* No upstreams: resolved from the root, starting with priming (". NS", RD clear) to
	 * the built-in hints' 13 servers, both families, capped at RESOLVE_MAX_ADDRS. */
	ck_assert_int_eq(next(&t), RESOLVE_SEND);
	ck_assert(!t.out.send.rd);
	ck_assert_uint_eq(t.out.send.lname_len, 1);
	ck_assert_uint_eq(t.out.send.qtype, 2);
	ck_assert_uint_eq(t.out.send.n_servers, RESOLVE_MAX_ADDRS);
	char buf[ADDR_STRLEN];
	ck_assert_str_eq(addr_format(&t.out.send.servers[0], buf, sizeof(buf)), "198.41.0.4@53");
	resolve_feed_reply(t.r, -ETIMEDOUT, NULL, 0, NULL);
	ck_assert_int_eq(next(&t), RESOLVE_DONE); /* no root server answered */
	ck_assert_int_lt(t.out.done.status, 0);
	ck_assert_int_eq(t.out.done.ede, MSG_EDE_NO_REACHABLE_AUTHORITY);
	run_end(&t);
}
END_TEST

/* The reply of the global upstream for a.evil.test: a CNAME into corp.example (which has
 * upstreams of its own) and an address for it that the global upstream may not give. */
static void feed_evil(struct run *t)
{
	expect_send(t, "192.0.2.53@53", false, false, false);
	static const char *const an[] = {"a.evil.test. 300 IN CNAME secret.corp.example.",
					 "secret.corp.example. 300 IN A 203.0.113.66", NULL};
	feed_pkt(t, reply("a.evil.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, NULL));
}

START_TEST(cname_chased)
{
	struct run t;
	run_start(&t, load_state(base_config), NULL, "a.evil.test.", 1, false, false);
	feed_evil(&t);
	ck_assert_int_eq(next(&t), RESOLVE_LOOKUP);
	char name[MSG_MAX_NAME * 4 + 1];
	msg_name_to_str(t.out.lookup.name, t.out.lookup.name_len, name, sizeof(name));
	ck_assert_str_eq(name, "secret.corp.example.");
	ck_assert_uint_eq(t.out.lookup.qtype, 1);
	ck_assert(t.out.lookup.chase);
	static const char *const an[] = {"secret.corp.example. 120 IN A 192.0.2.77", NULL};
	size_t len;
	uint8_t *rest = world_wire(
	    reply("secret.corp.example.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, NULL), &len);
	struct resolve_found found = {rest, len, NULL, 0, 0, 120, CACHE_SEC(CACHE_UNCHECKED, -1)};
	resolve_feed_lookup(t.r, 0, &found);
	free(rest);
	ck_assert_int_eq(next(&t), RESOLVE_DONE);
	ldns_pkt *p = done_pkt(&t);
	ck_assert(has_rr(p, "a.evil.test. IN CNAME secret.corp.example."));
	ck_assert(has_rr(p, "secret.corp.example. IN A 192.0.2.77"));
	ck_assert(!has_rr(p, "secret.corp.example. IN A 203.0.113.66"));
	ck_assert_uint_eq(t.out.done.ttl, 120);
	ldns_pkt_free(p);
	run_end(&t);
}
END_TEST

/* A chase the driver declines leaves the CNAME as it is (cached); a failed one, not cached. */
START_TEST(cname_declined_or_failed)
{
	for (int failed = 0; failed < 2; failed++) {
		struct run t;
		run_start(&t, load_state(base_config), NULL, "a.evil.test.", 1, false, false);
		feed_evil(&t);
		ck_assert_int_eq(next(&t), RESOLVE_LOOKUP);
		resolve_feed_lookup(t.r, failed ? -ETIMEDOUT : -ELOOP, NULL);
		ck_assert_int_eq(next(&t), RESOLVE_DONE);
		ldns_pkt *p = done_pkt(&t);
		ck_assert(has_rr(p, "a.evil.test. IN CNAME secret.corp.example."));
		ck_assert_uint_eq(count_type(p, LDNS_SECTION_ANSWER, LDNS_RR_TYPE_A), 0);
		ck_assert_uint_eq(t.out.done.ttl, failed ? 0 : 300);
		ldns_pkt_free(p);
		run_end(&t);
	}
}
END_TEST

/* ---- iterating from the root ---- */

static const char *const no_upstreams = "server:\n  listen: [127.0.0.1@53]\n"
					"recursion:\n  query-localhost: true\n"
					"  qname-minimisation: false\n"
					"dnssec:\n  validation: false\n"
					"views:\n  - name: lan\n";

static uint64_t iter_now_ms = WORLD_NOW_MS; /* the driver's clock for the next iter_start */

/* A resolution of qname/qtype in st, whose hints are one root server, 127.0.0.10, with a
 * delegation cache (t->cache: kept when reused, else new). */
static void iter_start_in(struct run *t, struct state *st, const char *qname, uint16_t qtype)
{
	struct cache *c = t->cache ? t->cache : cache_new(1u << 20);
	run_start(t, st, NULL, qname, qtype, false, false);
	resolve_free(t->r);
	t->cache = c;
	st->hints->n = 1;
	st->hints->servers[0].n_addrs = 1;
	ck_assert_int_eq(addr_parse("127.0.0.10", 53, &st->hints->servers[0].addrs[0]), 0);
	uint8_t lname[MSG_MAX_NAME];
	size_t len;
	ck_assert_int_eq(msg_name_from_str(qname, lname, &len), 0);
	struct resolve_env env = {st, &st->views.views[0], t->kc, WORLD_NOW, iter_now_ms, c};
	struct resolve_question q = {lname, len, qtype, 1, false, false};
	t->r = resolve_new(&env, &q);
}

static void iter_start(struct run *t, const char *qname)
{
	memset(t, 0, sizeof(*t));
	iter_start_in(t, load_state(no_upstreams), qname, 1);
}

/* The SEND (RD clear) of qname/qtype to exactly the servers listed, comma-separated. */
static void expect_iter_ask(struct run *t, const char *qname, uint16_t qtype, const char *servers)
{
	char buf[ADDR_STRLEN], name[MSG_MAX_NAME * 4 + 1], list[512] = "";
	ck_assert_int_eq(next(t), RESOLVE_SEND);
	ck_assert(!t->out.send.rd);
	ck_assert(t->out.send.iterating);
	for (size_t i = 0; i < t->out.send.n_servers; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? "," : "",
			 addr_format(&t->out.send.servers[i], buf, sizeof(buf)));
	ck_assert_str_eq(list, servers);
	msg_name_to_str(t->out.send.lname, t->out.send.lname_len, name, sizeof(name));
	ck_assert_str_eq(name, qname);
	ck_assert_uint_eq(t->out.send.qtype, qtype);
}

/* The SEND of the question to one server that the walk is at. */
static void expect_iter_send(struct run *t, const char *server)
{
	ck_assert_int_eq(next(t), RESOLVE_SEND);
	ck_assert(!t->out.send.rd);
	ck_assert_uint_eq(t->out.send.n_servers, 1);
	char buf[ADDR_STRLEN];
	ck_assert_str_eq(addr_format(&t->out.send.servers[0], buf, sizeof(buf)), server);
}

/* Priming (RFC 8109): ". NS" to the hints; the root answers with a.root. at 127.0.0.10. */
static void expect_priming(struct run *t)
{
	expect_iter_ask(t, ".", 2, "127.0.0.10@53");
	static const char *const an[] = {". 518400 IN NS a.root.", NULL};
	ldns_pkt *p = reply(".", LDNS_RR_TYPE_NS, LDNS_RCODE_NOERROR, an, NULL);
	ldns_pkt_set_aa(p, true);
	ldns_pkt_push_rr(p, LDNS_SECTION_ADDITIONAL,
			 world_rr_new("a.root. 518400 IN A 127.0.0.10"));
	feed_pkt(t, p);
}

/* A referral to child: NS ns.CHILD with glue at addr (no glue: addr NULL), or to ns_name. */
static ldns_pkt *referral_ns(const char *qname, const char *child, const char *ns_name,
			     const char *addr)
{
	char ns[2400], glue[1200];
	snprintf(ns, sizeof(ns), "%s 172800 IN NS %s", child, ns_name);
	snprintf(glue, sizeof(glue), "%s 172800 IN A %s", ns_name, addr ? addr : "");
	const char *const auth[] = {ns, NULL};
	ldns_pkt *p = reply(qname, LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, NULL, auth);
	ldns_pkt_set_rd(p, false);
	ldns_pkt_set_ra(p, false);
	if (addr)
		ldns_pkt_push_rr(p, LDNS_SECTION_ADDITIONAL, world_rr_new("%s", glue));
	return p;
}

static ldns_pkt *referral(const char *qname, const char *child, const char *addr)
{
	char ns_name[1100];
	snprintf(ns_name, sizeof(ns_name), "ns.%s", child);
	return referral_ns(qname, child, ns_name, addr);
}

/* An authoritative answer of one A record. */
static ldns_pkt *aa_answer(const char *qname, const char *addr)
{
	char rr[300];
	snprintf(rr, sizeof(rr), "%s 300 IN A %s", qname, addr);
	const char *const an[] = {rr, NULL};
	ldns_pkt *p = reply(qname, LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, NULL);
	ldns_pkt_set_aa(p, true);
	return p;
}

START_TEST(iterate_referrals_to_answer)
{
	struct run t;
	iter_start(&t, "www.example.test.");
	expect_priming(&t);
	expect_iter_send(&t, "127.0.0.10@53"); /* the root, from the priming answer */
	feed_pkt(&t, referral("www.example.test.", "test.", "127.0.0.11"));
	expect_iter_send(&t, "127.0.0.11@53"); /* test.'s server, from the glue */
	feed_pkt(&t, referral("www.example.test.", "example.test.", "127.0.0.12"));
	expect_iter_send(&t, "127.0.0.12@53");
	feed_pkt(&t, aa_answer("www.example.test.", "192.0.2.80"));
	ck_assert_int_eq(next(&t), RESOLVE_DONE);
	ldns_pkt *a = done_pkt(&t);
	ck_assert(has_rr(a, "www.example.test. IN A 192.0.2.80"));
	ck_assert(!ldns_pkt_aa(a)); /* ours is a recursive answer */
	ck_assert_uint_eq(t.out.done.ttl, 300);
	ldns_pkt_free(a);
	run_end(&t);
}
END_TEST

/* An authoritative NXDOMAIN ends the walk; an answer without AA is a cache's: it fails. */
START_TEST(iterate_nxdomain_and_lame)
{
	for (int lame = 0; lame < 2; lame++) {
		struct run t;
		iter_start(&t, "nx.test.");
		expect_priming(&t);
		expect_iter_send(&t, "127.0.0.10@53");
		feed_pkt(&t, referral("nx.test.", "test.", "127.0.0.11"));
		expect_iter_send(&t, "127.0.0.11@53");
		static const char *const soa[] = {"test. 300 IN SOA ns.test. h.test. 1 2 3 4 60",
						  NULL};
		static const char *const an[] = {"nx.test. 300 IN A 203.0.113.9", NULL};
		ldns_pkt *p =
		    lame ? reply("nx.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, NULL)
			 : reply("nx.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, NULL, soa);
		ldns_pkt_set_aa(p, !lame);
		feed_pkt(&t, p);
		ck_assert_int_eq(next(&t), RESOLVE_DONE);
		if (lame) {
			ck_assert_int_lt(t.out.done.status, 0);
			ck_assert_int_eq(t.out.done.ede, MSG_EDE_NO_REACHABLE_AUTHORITY);
		} else {
			ck_assert_uint_eq(t.out.done.ans->rcode, LDNS_RCODE_NXDOMAIN);
			ck_assert_uint_eq(t.out.done.ttl, 60);
		}
		run_end(&t);
	}
}
END_TEST

/*
 * Bailiwick: example.test.'s server may not speak for other.test.: its address for the CNAME
 * target is dropped and the rest of the chain is looked up on its own.
 */
START_TEST(iterate_bailiwick)
{
	struct run t;
	iter_start(&t, "www.example.test.");
	expect_priming(&t);
	expect_iter_send(&t, "127.0.0.10@53");
	feed_pkt(&t, referral("www.example.test.", "example.test.", "127.0.0.12"));
	expect_iter_send(&t, "127.0.0.12@53");
	static const char *const an[] = {"www.example.test. 300 IN CNAME www.other.test.",
					 "www.other.test. 300 IN A 203.0.113.66", NULL};
	ldns_pkt *p = reply("www.example.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, NULL);
	ldns_pkt_set_aa(p, true);
	feed_pkt(&t, p);
	ck_assert_int_eq(next(&t), RESOLVE_LOOKUP);
	char name[MSG_MAX_NAME * 4 + 1];
	msg_name_to_str(t.out.lookup.name, t.out.lookup.name_len, name, sizeof(name));
	ck_assert_str_eq(name, "www.other.test.");
	ck_assert(t.out.lookup.chase);
	resolve_feed_lookup(t.r, -ELOOP, NULL);
	ck_assert_int_eq(next(&t), RESOLVE_DONE);
	ldns_pkt *a = done_pkt(&t);
	ck_assert(has_rr(a, "www.example.test. IN CNAME www.other.test."));
	ck_assert(!has_rr(a, "www.other.test. IN A 203.0.113.66"));
	ldns_pkt_free(a);
	run_end(&t);
}
END_TEST

/* Limits: at most ITERATE_REFERRAL_DEPTH referrals, and RESOLVE_MAX_SENDS queries. */
START_TEST(iterate_limits)
{
	char qname[512] = "x.", child[512];
	for (int i = 0; i < 40; i++) {
		memmove(qname + 2, qname, strlen(qname) + 1);
		memcpy(qname, "a.", 2);
	}
	struct run t;
	iter_start(&t, qname);
	expect_priming(&t);
	const char *zone = qname + strlen(qname) - 2; /* "x." */
	unsigned sends = 1;
	while (next(&t) == RESOLVE_SEND) {
		ck_assert_uint_lt(++sends, 40);
		snprintf(child, sizeof(child), "%s", zone);
		feed_pkt(&t, referral(qname, child, "127.0.0.11"));
		zone -= 2; /* one label down each time */
	}
	ck_assert_int_lt(t.out.done.status, 0);
	ck_assert_str_eq(t.out.done.ede_text, "too many referrals");
	ck_assert_uint_eq(sends, 1 + ITERATE_REFERRAL_DEPTH + 1);
	run_end(&t);

	/* Every cut has a lame server that is asked first: two queries per referral, and the
	 * budget of RESOLVE_MAX_SENDS ends the walk before the referral limit. */
	iter_start(&t, qname);
	expect_priming(&t);
	zone = qname + strlen(qname) - 2;
	sends = 1;
	while (next(&t) == RESOLVE_SEND) {
		ck_assert_uint_le(++sends, RESOLVE_MAX_SENDS);
		if (t.out.send.n_servers == 2) {
			ldns_pkt *p = aa_answer(qname, "203.0.113.1");
			ldns_pkt_set_aa(p, false);
			feed_from(&t, p, "127.0.0.11");
			continue;
		}
		ldns_pkt *p = referral(qname, zone, "127.0.0.11");
		ldns_pkt_push_rr(p, LDNS_SECTION_AUTHORITY,
				 world_rr_new("%s 300 IN NS n2.%s", zone, zone));
		ldns_pkt_push_rr(p, LDNS_SECTION_ADDITIONAL,
				 world_rr_new("n2.%s 300 IN A 127.0.0.12", zone));
		feed_pkt(&t, p);
		zone -= 2;
	}
	ck_assert_str_eq(t.out.done.ede_text, "too many queries for one name");
	ck_assert_uint_eq(sends, RESOLVE_MAX_SENDS);
	run_end(&t);
}
END_TEST

/* The found of a LOOKUP: the A records of name (the body of an answer). */
static void feed_found_a(struct run *t, const char *name, const char *const *addrs)
{
	char rr[300];
	ldns_pkt *p = world_pkt_new(name, LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
	for (size_t i = 0; addrs[i]; i++) {
		snprintf(rr, sizeof(rr), "%s 300 IN A %s", name, addrs[i]);
		ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, world_rr_new("%s", rr));
	}
	size_t len;
	uint8_t *wire = world_wire(p, &len);
	struct resolve_found f = {wire, len, NULL, 0, 0, 300, 0};
	resolve_feed_lookup(t->r, 0, &f);
	free(wire);
}

/*
 * Glueless delegations: the NS name's address is a LOOKUP of its own (A, CD, no chase), and
 * the walk goes on at the address found. At most RESOLVE_MAX_GLUELESS names are looked up.
 */
START_TEST(iterate_glueless)
{
	struct run t;
	iter_start(&t, "www.example.test.");
	expect_priming(&t);
	expect_iter_send(&t, "127.0.0.10@53");
	feed_pkt(&t, referral_ns("www.example.test.", "test.", "ns.elsewhere.", NULL));
	ck_assert_int_eq(next(&t), RESOLVE_LOOKUP);
	char name[MSG_MAX_NAME * 4 + 1];
	msg_name_to_str(t.out.lookup.name, t.out.lookup.name_len, name, sizeof(name));
	ck_assert_str_eq(name, "ns.elsewhere.");
	ck_assert_uint_eq(t.out.lookup.qtype, 1);
	ck_assert(t.out.lookup.cd && !t.out.lookup.chase);
	static const char *const addrs[] = {"127.0.0.44", NULL};
	feed_found_a(&t, "ns.elsewhere.", addrs);
	expect_iter_send(&t, "127.0.0.44@53");
	feed_pkt(&t, aa_answer("www.example.test.", "192.0.2.44"));
	ck_assert_int_eq(next(&t), RESOLVE_DONE);
	ck_assert_int_eq(t.out.done.status, 0);
	run_end(&t);

	/* 100 glueless NS names (NXNS): 5 looked up, each failing, then SERVFAIL. */
	iter_start(&t, "www.example.test.");
	expect_priming(&t);
	expect_iter_send(&t, "127.0.0.10@53");
	ldns_pkt *p = reply("www.example.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, NULL, NULL);
	for (int i = 0; i < 100; i++)
		ldns_pkt_push_rr(p, LDNS_SECTION_AUTHORITY,
				 world_rr_new("test. 300 IN NS ns%d.elsewhere%d.", i, i));
	feed_pkt(&t, p);
	unsigned lookups = 0;
	while (next(&t) == RESOLVE_LOOKUP) {
		ck_assert_uint_le(++lookups, RESOLVE_MAX_GLUELESS * 2); /* A, then AAAA */
		resolve_feed_lookup(t.r, -ETIMEDOUT, NULL);
	}
	ck_assert_uint_eq(lookups, RESOLVE_MAX_GLUELESS * 2);
	ck_assert_int_lt(t.out.done.status, 0);
	ck_assert_int_eq(t.out.done.ede, MSG_EDE_NO_REACHABLE_AUTHORITY);
	run_end(&t);
}
END_TEST

/* A lame server (an answer without AA) is not asked again: the zone's other servers are. */
START_TEST(iterate_lame_failover)
{
	struct run t;
	iter_start(&t, "www.example.test.");
	expect_priming(&t);
	expect_iter_send(&t, "127.0.0.10@53");
	ldns_pkt *p = referral("www.example.test.", "test.", "127.0.0.11");
	ldns_pkt_push_rr(p, LDNS_SECTION_AUTHORITY, world_rr_new("test. 300 IN NS ns2.test."));
	ldns_pkt_push_rr(p, LDNS_SECTION_ADDITIONAL, world_rr_new("ns2.test. 300 IN A 127.0.0.13"));
	feed_pkt(&t, p);
	expect_iter_ask(&t, "www.example.test.", 1, "127.0.0.11@53,127.0.0.13@53");
	p = aa_answer("www.example.test.", "203.0.113.1");
	ldns_pkt_set_aa(p, false);
	feed_from(&t, p, "127.0.0.11");
	expect_iter_ask(&t, "www.example.test.", 1, "127.0.0.13@53");
	resolve_feed_reply(t.r, -ETIMEDOUT, NULL, 0, NULL);
	ck_assert_int_eq(next(&t), RESOLVE_DONE);
	ck_assert_int_eq(t.out.done.ede, MSG_EDE_NO_REACHABLE_AUTHORITY);
	run_end(&t);
}
END_TEST

/* Delegations are cached: the next name of example.test. costs one query; its DS starts at
 * test. (the parent side). */
START_TEST(iterate_delegation_cache)
{
	struct run t;
	iter_start(&t, "www.example.test.");
	expect_priming(&t);
	expect_iter_send(&t, "127.0.0.10@53");
	feed_pkt(&t, referral("www.example.test.", "test.", "127.0.0.11"));
	expect_iter_send(&t, "127.0.0.11@53");
	feed_pkt(&t, referral("www.example.test.", "example.test.", "127.0.0.12"));
	expect_iter_send(&t, "127.0.0.12@53");
	feed_pkt(&t, aa_answer("www.example.test.", "192.0.2.80"));
	ck_assert_int_eq(next(&t), RESOLVE_DONE);
	struct state *st = state_ref(t.st);
	resolve_free(t.r);
	t.r = NULL;
	keycache_free(t.kc);
	state_unref(t.st);

	iter_start_in(&t, st, "mail.example.test.", 1);
	expect_iter_ask(&t, "mail.example.test.", 1, "127.0.0.12@53");
	resolve_free(t.r);
	t.r = NULL;
	keycache_free(t.kc);
	iter_start_in(&t, state_ref(st), "example.test.", 43);
	expect_iter_ask(&t, "example.test.", 43, "127.0.0.11@53");
	resolve_free(t.r);
	t.r = NULL;
	keycache_free(t.kc);
	state_unref(t.st);
	/* A day later (the root's NS TTL of 518400 s, clamped to cache.max-ttl 86400): every
	 * delegation has expired, and the walk starts with priming again (RFC 8109). */
	iter_now_ms = WORLD_NOW_MS + 86401ull * 1000;
	iter_start_in(&t, state_ref(st), "mail.example.test.", 1);
	expect_iter_ask(&t, ".", 2, "127.0.0.10@53");
	iter_now_ms = WORLD_NOW_MS;
	run_end(&t);
	state_unref(st);
}
END_TEST

/* RFC 9156: each cut is asked for one label more (type A), NODATA goes one label deeper. */
START_TEST(iterate_qname_minimisation)
{
	struct run t;
	memset(&t, 0, sizeof(t));
	static const char *const cfg = "server:\n  listen: [127.0.0.1@53]\n"
				       "recursion:\n  query-localhost: true\n"
				       "dnssec:\n  validation: false\n"
				       "views:\n  - name: lan\n";
	iter_start_in(&t, load_state(cfg), "a.b.example.test.", 28);
	expect_priming(&t);
	expect_iter_ask(&t, "test.", 1, "127.0.0.10@53");
	feed_pkt(&t, referral("test.", "test.", "127.0.0.11"));
	expect_iter_ask(&t, "example.test.", 1, "127.0.0.11@53");
	feed_pkt(&t, referral("example.test.", "example.test.", "127.0.0.12"));
	expect_iter_ask(&t, "b.example.test.", 1, "127.0.0.12@53");
	ldns_pkt *p = reply("b.example.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, NULL, NULL);
	ldns_pkt_set_aa(p, true); /* an empty non-terminal */
	feed_pkt(&t, p);
	expect_iter_ask(&t, "a.b.example.test.", 28, "127.0.0.12@53");
	run_end(&t);

	/* Relaxed: an NXDOMAIN for the minimised name is checked with the full question. */
	memset(&t, 0, sizeof(t));
	iter_start_in(&t, load_state(cfg), "a.b.example.test.", 28);
	expect_priming(&t);
	expect_iter_ask(&t, "test.", 1, "127.0.0.10@53");
	p = reply("test.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, NULL, NULL);
	ldns_pkt_set_aa(p, true);
	feed_pkt(&t, p);
	expect_iter_ask(&t, "a.b.example.test.", 28, "127.0.0.10@53");
	run_end(&t);
}
END_TEST

/* A stub zone's servers are asked directly, RD clear, as the authority for the zone. */
START_TEST(iterate_stub_zone)
{
	static const char *const cfg = "server:\n  listen: [127.0.0.1@53]\n"
				       "upstreams: [192.0.2.53]\n"
				       "stub-zones:\n  - name: lan.example.\n"
				       "    servers: [127.0.0.2@5300]\n"
				       "dnssec:\n  validation: false\n"
				       "views:\n  - name: lan\n";
	struct run t;
	run_start(&t, load_state(cfg), NULL, "nas.lan.example.", 1, false, false);
	expect_iter_ask(&t, "nas.lan.example.", 1, "127.0.0.2@5300");
	feed_pkt(&t, aa_answer("nas.lan.example.", "192.168.1.10"));
	ck_assert_int_eq(next(&t), RESOLVE_DONE);
	ldns_pkt *a = done_pkt(&t);
	ck_assert(has_rr(a, "nas.lan.example. IN A 192.168.1.10"));
	ldns_pkt_free(a);
	run_end(&t);
}
END_TEST

/* With upstreams configured, nothing iterates: forwarded, RD set. */
START_TEST(iterate_not_when_forwarding)
{
	struct run t;
	run_start(&t, load_state(base_config), NULL, "www.example.net.", 1, false, false);
	expect_send(&t, "192.0.2.53@53", false, false, false);
	ck_assert(t.out.send.rd);
	ck_assert(!t.out.send.iterating);
	run_end(&t);
}
END_TEST

/* ---- DNSSEC, on a signed world ---- */

static struct world_zone zroot, ztld, za;
static char anchor_text[1024];

static void make_world(void)
{
	world_zone_init(&zroot, ".", LDNS_SIGN_ECDSAP256SHA256, false, NULL);
	world_zone_init(&ztld, "test.", LDNS_SIGN_ED25519, false, NULL);
	world_zone_init(&za, "a.test.", LDNS_SIGN_ECDSAP256SHA256, false, NULL);
	ldns_rr_list_push_rr(zroot.rrs, world_zone_ds(&ztld));
	ldns_rr_list_push_rr(ztld.rrs, world_zone_ds(&za));
	world_zone_add(&za, "www.a.test. A 192.0.2.1");
	world_zone_sign(&zroot);
	world_zone_sign(&ztld);
	world_zone_sign(&za);
	ldns_rr *ds = world_zone_ds(&zroot);
	world_rr_text(ds, anchor_text, sizeof(anchor_text));
	ldns_rr_free(ds);
}

/* Serve the validator's LOOKUPs from the world until DONE; how many there were. */
static unsigned serve_lookups(struct run *t)
{
	unsigned n = 0;
	enum resolve_action a;
	while ((a = next(t)) == RESOLVE_LOOKUP) {
		ck_assert_uint_lt(++n, 20);
		ck_assert(t->out.lookup.do_bit && t->out.lookup.cd && !t->out.lookup.chase);
		char name[MSG_MAX_NAME * 4 + 1];
		msg_name_to_str(t->out.lookup.name, t->out.lookup.name_len, name, sizeof(name));
		uint16_t type = t->out.lookup.qtype;
		struct world_zone *z = NULL;
		if (type == LDNS_RR_TYPE_DNSKEY)
			z = !strcmp(name, ".") ? &zroot : !strcmp(name, "test.") ? &ztld : &za;
		else if (type == LDNS_RR_TYPE_DS)
			z = !strcmp(name, "test.") ? &zroot : &ztld;
		ck_assert_ptr_nonnull(z);
		size_t len;
		uint8_t *b = world_wire(world_reply(z, name, type), &len);
		struct resolve_found found = {b, len, NULL, 0, 0, 3600, 0};
		resolve_feed_lookup(t->r, 0, &found);
		free(b);
	}
	ck_assert_int_eq(a, RESOLVE_DONE);
	return n;
}

START_TEST(secure_answer)
{
	for (int do_bit = 0; do_bit < 2; do_bit++) {
		struct run t;
		struct anchor_set *anchors = world_anchors_from(anchor_text, NULL, 0);
		run_start(&t, load_state(base_config), anchors, "www.a.test.", 1, do_bit, false);
		expect_send(&t, "192.0.2.53@53", true, true, false); /* DO and CD to validate */
		feed_pkt(&t, world_reply(&za, "www.a.test.", LDNS_RR_TYPE_A));
		/* DNSKEY ., DS test., DNSKEY test., DS a.test., DNSKEY a.test. */
		ck_assert_uint_eq(serve_lookups(&t), 5);
		ck_assert_uint_eq(CACHE_SEC_STATUS(t.out.done.sec), CACHE_SECURE);
		ldns_pkt *p = done_pkt(&t);
		ck_assert(has_rr(p, "www.a.test. IN A 192.0.2.1"));
		/* A client without DO gets no RRSIG (RFC 4035 3.2.1) */
		ck_assert_uint_eq(count_type(p, LDNS_SECTION_ANSWER, LDNS_RR_TYPE_RRSIG),
				  do_bit ? 1 : 0);
		ldns_pkt_free(p);
		run_end(&t);
		anchor_set_free(anchors);
	}
}
END_TEST

START_TEST(bogus_answer)
{
	struct run t;
	struct anchor_set *anchors = world_anchors_from(anchor_text, NULL, 0);
	run_start(&t, load_state(base_config), anchors, "www.a.test.", 1, true, false);
	expect_send(&t, "192.0.2.53@53", true, true, false);
	ldns_pkt *p = world_reply(&za, "www.a.test.", LDNS_RR_TYPE_A);
	ldns_rr *a = ldns_rr_list_rr(ldns_pkt_answer(p), 0);
	if (ldns_rr_get_type(a) != LDNS_RR_TYPE_A)
		a = ldns_rr_list_rr(ldns_pkt_answer(p), 1);
	world_rr_set(a, 0, ldns_rdf_new_frm_str(LDNS_RDF_TYPE_A, "203.0.113.1")); /* forged */
	feed_pkt(&t, p);
	serve_lookups(&t);
	ck_assert_uint_eq(CACHE_SEC_STATUS(t.out.done.sec), CACHE_BOGUS);
	ck_assert_uint_eq(CACHE_SEC_EDE(t.out.done.sec), 6); /* DNSSEC Bogus */
	ck_assert_uint_le(t.out.done.ttl, RESOLVE_BOGUS_TTL);
	ck_assert_int_eq(t.out.done.status, 0); /* the data is kept for CD clients */
	run_end(&t);
	anchor_set_free(anchors);
}
END_TEST

/* A DNSKEY that cannot be had: the chain cannot be proven, bogus. */
START_TEST(lookup_failure_is_bogus)
{
	struct run t;
	struct anchor_set *anchors = world_anchors_from(anchor_text, NULL, 0);
	run_start(&t, load_state(base_config), anchors, "www.a.test.", 1, false, false);
	expect_send(&t, "192.0.2.53@53", true, true, false);
	feed_pkt(&t, world_reply(&za, "www.a.test.", LDNS_RR_TYPE_A));
	ck_assert_int_eq(next(&t), RESOLVE_LOOKUP);
	ck_assert_uint_eq(t.out.lookup.qtype, LDNS_RR_TYPE_DNSKEY);
	resolve_feed_lookup(t.r, -ETIMEDOUT, NULL);
	while (next(&t) == RESOLVE_LOOKUP)
		resolve_feed_lookup(t.r, -ETIMEDOUT, NULL);
	ck_assert_uint_eq(CACHE_SEC_STATUS(t.out.done.sec), CACHE_BOGUS);
	run_end(&t);
	anchor_set_free(anchors);
}
END_TEST

/* CD: the data as it is, not validated, nothing looked up. */
START_TEST(checking_disabled)
{
	struct run t;
	struct anchor_set *anchors = world_anchors_from(anchor_text, NULL, 0);
	run_start(&t, load_state(base_config), anchors, "www.a.test.", 1, true, true);
	expect_send(&t, "192.0.2.53@53", true, true, false);
	feed_pkt(&t, world_reply(&za, "www.a.test.", LDNS_RR_TYPE_A));
	ck_assert_int_eq(next(&t), RESOLVE_DONE);
	ck_assert_uint_eq(CACHE_SEC_STATUS(t.out.done.sec), CACHE_UNCHECKED);
	run_end(&t);
	anchor_set_free(anchors);
}
END_TEST

static Suite *resolve_suite(void)
{
	Suite *s = suite_create("resolve");
	TCase *tc = tcase_create("forwarding");
	tcase_add_test(tc, forwarded_answer);
	tcase_add_test(tc, negative_ttls);
	tcase_add_test(tc, truncated_to_tcp);
	tcase_add_test(tc, upstream_failures);
	tcase_add_test(tc, no_upstream);
	tcase_add_test(tc, cname_chased);
	tcase_add_test(tc, cname_declined_or_failed);
	suite_add_tcase(s, tc);
	tc = tcase_create("iterating");
	tcase_add_test(tc, iterate_referrals_to_answer);
	tcase_add_test(tc, iterate_nxdomain_and_lame);
	tcase_add_test(tc, iterate_bailiwick);
	tcase_add_test(tc, iterate_limits);
	tcase_add_test(tc, iterate_glueless);
	tcase_add_test(tc, iterate_lame_failover);
	tcase_add_test(tc, iterate_delegation_cache);
	tcase_add_test(tc, iterate_qname_minimisation);
	tcase_add_test(tc, iterate_stub_zone);
	tcase_add_test(tc, iterate_not_when_forwarding);
	suite_add_tcase(s, tc);
	tc = tcase_create("dnssec");
	tcase_add_unchecked_fixture(tc, make_world, NULL);
	tcase_add_test(tc, secure_answer);
	tcase_add_test(tc, bogus_answer);
	tcase_add_test(tc, lookup_failure_is_bogus);
	tcase_add_test(tc, checking_disabled);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_main_run(resolve_suite());
}
