/*
 * fuzz_validate.c -- DNSSEC validation of any answer against a fixed signed tree: it ends, with
 * a status and EDE the API allows, asks only for well-formed DS/DNSKEY needs, never crashes or
 * leaks.
 *
 * At start a small world is signed with tests/common/world.h, as tests/unit/test_validate.c
 * does, but with keys derived from fixed strings (SHA-256 of "megdns fuzz ZONE ROLE"), so a
 * signature made in one run verifies in every other and the seed corpus can hold genuinely
 * signed answers:
 *   .         KSK+ZSK ECDSA P-256, the only trust anchor (its DS)
 *   test.     KSK+ZSK Ed25519, NSEC; delegates a n3 (signed), insec (unsigned, NSEC proves
 *             no DS), unsup (DS of algorithm 100 only); corp.test. is a negative anchor
 *   a.test.   KSK+ZSK ECDSA, NSEC: www (A, TXT), mail, alias CNAME www.n3.test., *.w, y.w
 *   n3.test.  CSK ECDSA, NSEC3 (2 iterations, salt ab): www mail *.w, sub (unsigned)
 * The signatures are valid around WORLD_NOW, the time every validation is given.
 *
 * Input: [flags] then chunks, each [length, 2 bytes][bytes]; a chunk cut short takes what is
 * left. The first chunk is the answer body. The validator's needs are answered from the
 * world's fixed DS/DNSKEY replies (a need the world has no reply for is an upstream failure),
 * except need i (0..7) when flags bit i is set: it gets the next chunk, if any, so the fuzzer
 * can also bend the key replies. A fresh key cache per input keeps runs reproducible.
 * Seeds: MEGDNS_FUZZ_SEEDS=DIR writes them (see seed.h): secure answers (NSEC zone, NSEC3
 * zone, a CNAME across zones, a wildcard), NXDOMAIN and NODATA with NSEC and NSEC3, insecure
 * delegations, and secure answers whose key replies come from the input; each seed is checked
 * to validate as intended before it is written.
 */
#include "dnssec/anchor.h"
#include "dnssec/keycache.h"
#include "seed.h"
#include "dnssec/validate.h"
#include "world.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_NEEDS   200 /* far above what VAL_MAX_STEPS allows: more is a loop */
#define MAX_FIXED   16
#define KEY_SEED    "megdns fuzz" /* the keys' fixed strings: the corpus is signed with them */
#define TYPE_DS     43
#define TYPE_DNSKEY 48

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A fixed reply to a need. */
struct fixed {
	uint8_t name[MSG_MAX_NAME]; /* lower-case wire */
	size_t name_len;
	uint16_t type;
	uint8_t *wire;
	size_t len;
};

static struct world_zone zroot, ztld, za, zn3;
static struct anchor_set *world_anchors;
static struct fixed world_fixed[MAX_FIXED];
static size_t world_n_fixed;

/* Writing seeds: the fixed replies the first 8 needs got (NULL: none), in order. */
static bool seed_tracing;
static const struct fixed *seed_trace[8];
static size_t seed_n_trace;

/* ---- the harness ---- */

/* The input being consumed chunk by chunk. */
struct input {
	const uint8_t *p;
	size_t left;
};

static bool input_chunk(struct input *in, const uint8_t **out, size_t *len)
{
	if (in->left < 2)
		return false;
	size_t n = msg_get16(in->p);
	in->p += 2;
	in->left -= 2;
	*len = n < in->left ? n : in->left;
	*out = in->p;
	in->p += *len;
	in->left -= *len;
	return true;
}

static const struct fixed *fixed_find(const struct validate_need *need)
{
	for (size_t i = 0; i < world_n_fixed; i++) {
		const struct fixed *f = &world_fixed[i];
		if (f->type == need->type && f->name_len == need->name_len &&
		    memcmp(f->name, need->name, f->name_len) == 0)
			return f;
	}
	return NULL;
}

/* A need the validator may make: DS or DNSKEY of a well-formed lower-case name. */
static bool need_ok(const struct validate_need *need)
{
	if ((need->type != TYPE_DS && need->type != TYPE_DNSKEY) || need->name_len == 0 ||
	    need->name_len > MSG_MAX_NAME ||
	    msg_name_len(need->name, need->name_len) != need->name_len)
		return false;
	for (size_t i = 0; i < need->name_len; i++)
		if (need->name[i] >= 'A' && need->name[i] <= 'Z')
			return false; /* a length byte is never a letter: labels are < 64 */
	return true;
}

/* Validate the input as fetch.c would; traps on a broken promise of validate.h. */
static enum validate_status harness_run(const uint8_t *data, size_t size, int *ede)
{
	struct input in = {data + 1, size - 1};
	const uint8_t *body = NULL, *chunk;
	size_t len = 0, clen;
	input_chunk(&in, &body, &len);
	struct keycache *kc = keycache_new(64);
	struct validation *v =
	    validation_new(world_anchors, kc, body, len, WORLD_NOW, WORLD_NOW_MS);
	struct validate_need need;
	for (unsigned i = 0; validation_step(v, &need) == VALIDATE_NEED; i++) {
		if (i >= MAX_NEEDS || !need_ok(&need))
			__builtin_trap();
		if (i < 8 && (data[0] >> i & 1) && input_chunk(&in, &chunk, &clen)) {
			validation_feed(v, chunk, clen);
		} else {
			const struct fixed *f = fixed_find(&need);
			if (seed_tracing && i < 8)
				seed_trace[seed_n_trace++] = f;
			validation_feed(v, f ? f->wire : NULL, f ? f->len : 0);
		}
	}
	enum validate_status st = validation_result(v, ede);
	validation_free(v);
	keycache_free(kc);
	return st;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	int ede;
	enum validate_status st = harness_run(data, size, &ede);
	bool ede_ok = st == VALIDATE_BOGUS ? (ede >= 6 && ede <= 10) || ede == 12 : ede == -1;
	if (st < VALIDATE_UNCHECKED || st > VALIDATE_BOGUS || !ede_ok)
		__builtin_trap();
	return 0;
}

/* ---- the world ---- */

static void make_root_tld(void)
{
	world_zone_init(&zroot, ".", LDNS_SIGN_ECDSAP256SHA256, false, KEY_SEED);
	world_zone_init(&ztld, "test.", LDNS_SIGN_ED25519, false, KEY_SEED);
	world_zone_init(&za, "a.test.", LDNS_SIGN_ECDSAP256SHA256, false, KEY_SEED);
	world_zone_init(&zn3, "n3.test.", LDNS_SIGN_ECDSAP256SHA256, true, KEY_SEED);

	ldns_rr_list_push_rr(zroot.rrs, world_zone_ds(&ztld));
	world_zone_add(&zroot, ". NSEC test. NS SOA RRSIG NSEC DNSKEY");
	world_zone_add(&zroot, "test. NSEC . NS DS RRSIG NSEC");

	ldns_rr_list_push_rr(ztld.rrs, world_zone_ds(&za));
	ldns_rr_list_push_rr(ztld.rrs, world_zone_ds(&zn3));
	world_zone_add(&ztld, "unsup.test. DS 12345 100 2 "
			      "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	world_zone_add(&ztld, "test. NSEC a.test. NS SOA RRSIG NSEC DNSKEY");
	world_zone_add(&ztld, "a.test. NSEC insec.test. NS DS RRSIG NSEC");
	world_zone_add(&ztld, "insec.test. NSEC n3.test. NS RRSIG NSEC");
	world_zone_add(&ztld, "n3.test. NSEC unsup.test. NS DS RRSIG NSEC");
	world_zone_add(&ztld, "unsup.test. NSEC test. NS DS RRSIG NSEC");
}

static void make_leaves(void)
{
	world_zone_add(&za, "alias.a.test. CNAME www.n3.test.");
	world_zone_add(&za, "mail.a.test. A 192.0.2.25");
	world_zone_add(&za, "*.w.a.test. A 192.0.2.99");
	world_zone_add(&za, "y.w.a.test. A 192.0.2.50");
	world_zone_add(&za, "www.a.test. A 192.0.2.1");
	world_zone_add(&za, "www.a.test. TXT \"hello\"");
	world_zone_add(&za, "a.test. NSEC alias.a.test. SOA RRSIG NSEC DNSKEY");
	world_zone_add(&za, "alias.a.test. NSEC mail.a.test. CNAME RRSIG NSEC");
	world_zone_add(&za, "mail.a.test. NSEC *.w.a.test. A RRSIG NSEC");
	world_zone_add(&za, "*.w.a.test. NSEC y.w.a.test. A RRSIG NSEC");
	world_zone_add(&za, "y.w.a.test. NSEC www.a.test. A RRSIG NSEC");
	world_zone_add(&za, "www.a.test. NSEC a.test. A TXT RRSIG NSEC");

	zn3.n3_iter = 2;
	zn3.n3_salt = "ab";
	world_zone_add(&zn3, "www.n3.test. A 192.0.2.4");
	world_zone_add(&zn3, "mail.n3.test. A 192.0.2.5");
	world_zone_add(&zn3, "*.w.n3.test. A 192.0.2.98");
	static const char *const names[] = {"n3.test.",     "www.n3.test.", "mail.n3.test.",
					    "sub.n3.test.", "w.n3.test.",   "*.w.n3.test."};
	static const char *const types[] = {
	    "SOA RRSIG DNSKEY NSEC3PARAM", "A RRSIG", "A RRSIG", "NS", "", "A RRSIG"};
	world_zone_nsec3(&zn3, names, types, 6);

	struct world_zone *all[] = {&zroot, &ztld, &za, &zn3};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		world_zone_sign(all[i]);
}

static void fixed_add(const char *name, ldns_rr_type type, ldns_pkt *p)
{
	WORLD_REQUIRE(world_n_fixed < MAX_FIXED);
	struct fixed *f = &world_fixed[world_n_fixed++];
	WORLD_REQUIRE(msg_name_from_str(name, f->name, &f->name_len) == 0);
	f->type = type;
	f->wire = world_wire(p, &f->len);
}

/* (owner, type) answered with z's RRset. */
static void fixed_answer(struct world_zone *z, const char *owner, ldns_rr_type type)
{
	fixed_add(owner, type, world_reply(z, owner, type));
}

/* (qname, DS) answered NODATA by z with proof, the list of the denial's records. */
static void fixed_no_ds(struct world_zone *z, const char *qname, ldns_rr_list *proof)
{
	fixed_add(qname, LDNS_RR_TYPE_DS, world_no_ds(z, qname, proof));
}

static void make_anchors(void)
{
	char text[1024];
	ldns_rr *ds = world_zone_ds(&zroot);
	world_rr_text(ds, text, sizeof(text));
	ldns_rr_free(ds);
	world_anchors = world_anchors_from(text, (char *[]){"corp.test."}, 1);
}

static void make_world(void)
{
	make_root_tld();
	make_leaves();
	make_anchors();
	fixed_answer(&zroot, ".", LDNS_RR_TYPE_DNSKEY);
	fixed_answer(&zroot, "test.", LDNS_RR_TYPE_DS);
	fixed_answer(&ztld, "test.", LDNS_RR_TYPE_DNSKEY);
	fixed_answer(&ztld, "a.test.", LDNS_RR_TYPE_DS);
	fixed_answer(&za, "a.test.", LDNS_RR_TYPE_DNSKEY);
	fixed_answer(&ztld, "n3.test.", LDNS_RR_TYPE_DS);
	fixed_answer(&zn3, "n3.test.", LDNS_RR_TYPE_DNSKEY);
	fixed_answer(&ztld, "unsup.test.", LDNS_RR_TYPE_DS);
	fixed_no_ds(&ztld, "insec.test.", world_pick(&ztld, "insec.test.", LDNS_RR_TYPE_NSEC));
	fixed_no_ds(&zn3, "sub.n3.test.",
		    world_n3_proof(&zn3, (const char *const[]){"sub.n3.test."}, 1));
	/* Names inside a.test. are no zone cuts: asked when their data comes unsigned. */
	fixed_no_ds(&za, "www.a.test.", world_pick(&za, "www.a.test.", LDNS_RR_TYPE_NSEC));
}

/* ---- seeds ---- */

static void chunk_put(uint8_t *buf, size_t cap, size_t *n, const uint8_t *p, size_t len)
{
	WORLD_REQUIRE(*n + 2 + len <= cap && len <= 0xffff);
	msg_put16(buf + *n, (uint16_t)len);
	memcpy(buf + *n + 2, p, len);
	*n += 2 + len;
}

/*
 * Write the seed file: the answer p (freed), which must validate as want. With fed, the seed
 * also carries the key replies its needs get, as chunks for the fuzzer to bend.
 */
static void seed_emit(const char *dir, const char *file, ldns_pkt *p, enum validate_status want,
		      bool fed)
{
	static uint8_t buf[65536];
	size_t alen, n = 1;
	uint8_t *a = world_wire(p, &alen);
	int ede;
	buf[0] = 0;
	chunk_put(buf, sizeof(buf), &n, a, alen);
	free(a);
	seed_tracing = true;
	seed_n_trace = 0;
	enum validate_status st = harness_run(buf, n, &ede);
	seed_tracing = false;
	if (st != want)
		fprintf(stderr, "seed %s: status %d EDE %d, want %d\n", file, st, ede, want);
	WORLD_REQUIRE(st == want);
	if (fed) {
		WORLD_REQUIRE(seed_n_trace > 0);
		buf[0] = (uint8_t)((1u << seed_n_trace) - 1);
		for (size_t i = 0; i < seed_n_trace; i++)
			chunk_put(buf, sizeof(buf), &n, seed_trace[i] ? seed_trace[i]->wire : NULL,
				  seed_trace[i] ? seed_trace[i]->len : 0);
		WORLD_REQUIRE(harness_run(buf, n, &ede) == want);
	}
	seed_write(dir, file, buf, n, NULL);
}

/* An answer to qname/qtype with rcode, answer records an and authority records ns (NULL ok). */
static ldns_pkt *answer(const char *qname, ldns_rr_type qtype, ldns_pkt_rcode rcode,
			ldns_rr_list *an, ldns_rr_list *ns)
{
	ldns_pkt *p = world_pkt_new(qname, qtype, rcode);
	if (an)
		world_put(p, LDNS_SECTION_ANSWER, an);
	if (ns)
		world_put(p, LDNS_SECTION_AUTHORITY, ns);
	return p;
}

/* Two lists joined into the first (the second is consumed). */
static ldns_rr_list *cat(ldns_rr_list *a, ldns_rr_list *b)
{
	ldns_rr_list_cat(a, b);
	ldns_rr_list_free(b);
	return a;
}

static ldns_rr_list *unsigned_a(const char *owner, const char *addr)
{
	ldns_rr_list *l = ldns_rr_list_new();
	ldns_rr_list_push_rr(l, world_rr_new("%s A %s", owner, addr));
	return l;
}

static void seeds_secure(const char *dir)
{
	const ldns_rr_type A = LDNS_RR_TYPE_A;
	const ldns_pkt_rcode OK = LDNS_RCODE_NOERROR;
	seed_emit(dir, "secure-nsec-zone",
		  answer("www.a.test.", A, OK, world_pick(&za, "www.a.test.", A), NULL),
		  VALIDATE_SECURE, false);
	seed_emit(dir, "secure-fed-keys",
		  answer("www.a.test.", A, OK, world_pick(&za, "www.a.test.", A), NULL),
		  VALIDATE_SECURE, true);
	seed_emit(dir, "secure-txt",
		  answer("www.a.test.", LDNS_RR_TYPE_TXT, OK,
			 world_pick(&za, "www.a.test.", LDNS_RR_TYPE_TXT), NULL),
		  VALIDATE_SECURE, false);
	seed_emit(dir, "secure-nsec3-zone-fed-keys",
		  answer("www.n3.test.", A, OK, world_pick(&zn3, "www.n3.test.", A), NULL),
		  VALIDATE_SECURE, true);
	ldns_rr_list *chain = cat(world_pick(&za, "alias.a.test.", LDNS_RR_TYPE_CNAME),
				  world_pick(&zn3, "www.n3.test.", A));
	seed_emit(dir, "secure-cname-across-zones", answer("alias.a.test.", A, OK, chain, NULL),
		  VALIDATE_SECURE, false);
	seed_emit(dir, "secure-wildcard-nsec",
		  answer("foo.w.a.test.", A, OK,
			 world_expanded(&za, "*.w.a.test.", "foo.w.a.test."),
			 world_pick(&za, "*.w.a.test.", LDNS_RR_TYPE_NSEC)),
		  VALIDATE_SECURE, false);
	static const char *const wild3[] = {"foo.w.n3.test."};
	seed_emit(dir, "secure-wildcard-nsec3",
		  answer("foo.w.n3.test.", A, OK,
			 world_expanded(&zn3, "*.w.n3.test.", "foo.w.n3.test."),
			 world_n3_proof(&zn3, wild3, 1)),
		  VALIDATE_SECURE, false);
}

static void seeds_denial(const char *dir)
{
	const ldns_rr_type A = LDNS_RR_TYPE_A, AAAA = LDNS_RR_TYPE_AAAA, SOA = LDNS_RR_TYPE_SOA;
	ldns_rr_list *nx = cat(cat(world_pick(&za, "a.test.", SOA),
				   world_pick(&za, "mail.a.test.", LDNS_RR_TYPE_NSEC)),
			       world_pick(&za, "a.test.", LDNS_RR_TYPE_NSEC));
	seed_emit(dir, "nxdomain-nsec", answer("nx.a.test.", A, LDNS_RCODE_NXDOMAIN, NULL, nx),
		  VALIDATE_SECURE, false);
	ldns_rr_list *nd =
	    cat(world_pick(&za, "a.test.", SOA), world_pick(&za, "www.a.test.", LDNS_RR_TYPE_NSEC));
	seed_emit(dir, "nodata-nsec", answer("www.a.test.", AAAA, LDNS_RCODE_NOERROR, NULL, nd),
		  VALIDATE_SECURE, false);
	static const char *const proof[] = {"n3.test.", "nx.n3.test.", "*.n3.test."};
	ldns_rr_list *nx3 = cat(world_pick(&zn3, "n3.test.", SOA), world_n3_proof(&zn3, proof, 3));
	seed_emit(dir, "nxdomain-nsec3", answer("nx.n3.test.", A, LDNS_RCODE_NXDOMAIN, NULL, nx3),
		  VALIDATE_SECURE, false);
	static const char *const www[] = {"www.n3.test."};
	ldns_rr_list *nd3 = cat(world_pick(&zn3, "n3.test.", SOA), world_n3_proof(&zn3, www, 1));
	seed_emit(dir, "nodata-nsec3", answer("www.n3.test.", AAAA, LDNS_RCODE_NOERROR, NULL, nd3),
		  VALIDATE_SECURE, false);
}

static void seeds_insecure_bogus(const char *dir)
{
	const ldns_rr_type A = LDNS_RR_TYPE_A;
	const ldns_pkt_rcode OK = LDNS_RCODE_NOERROR;
	static const struct {
		const char *file, *name;
	} insecure[] = {{"insecure-nsec", "www.insec.test."},
			{"insecure-nsec3", "www.sub.n3.test."},
			{"insecure-unsupported-algorithm", "www.unsup.test."},
			{"insecure-negative-anchor", "www.corp.test."}};
	for (size_t i = 0; i < sizeof(insecure) / sizeof(insecure[0]); i++)
		seed_emit(dir, insecure[i].file,
			  answer(insecure[i].name, A, OK, unsigned_a(insecure[i].name, "192.0.2.7"),
				 NULL),
			  VALIDATE_INSECURE, false);
	ldns_rr_list *l = world_pick(&za, "www.a.test.", A);
	ldns_rdf *addr = NULL;
	WORLD_REQUIRE(ldns_str2rdf_a(&addr, "192.0.2.66") == LDNS_STATUS_OK);
	ldns_rdf_deep_free(ldns_rr_set_rdf(ldns_rr_list_rr(l, 0), addr, 0));
	seed_emit(dir, "bogus-altered", answer("www.a.test.", A, OK, l, NULL), VALIDATE_BOGUS,
		  false);
	seed_emit(dir, "bogus-unsigned",
		  answer("www.a.test.", A, OK, unsigned_a("www.a.test.", "192.0.2.1"), NULL),
		  VALIDATE_BOGUS, false);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	make_world();
	const char *dir = seed_dir();
	if (dir) {
		seeds_secure(dir);
		seeds_denial(dir);
		seeds_insecure_bogus(dir);
		exit(0);
	}
	return 0;
}
