/*
 * fuzz_validate.c -- DNSSEC validation of any answer against a fixed signed tree: it ends, with
 * a status and EDE the API allows, asks only for well-formed DS/DNSKEY needs, never crashes or
 * leaks.
 *
 * At start a small world is signed with ldns, as tests/unit/test_validate.c does, but with
 * keys derived from fixed strings (SHA-256 of "megdns fuzz ZONE ROLE"), so a signature made in
 * one run verifies in every other and the seed corpus can hold genuinely signed answers:
 *   .         KSK+ZSK ECDSA P-256, the only trust anchor (its DS)
 *   test.     KSK+ZSK Ed25519, NSEC; delegates a n3 (signed), insec (unsigned, NSEC proves
 *             no DS), unsup (DS of algorithm 100 only); corp.test. is a negative anchor
 *   a.test.   KSK+ZSK ECDSA, NSEC: www (A, TXT), mail, alias CNAME www.n3.test., *.w, y.w
 *   n3.test.  CSK ECDSA, NSEC3 (2 iterations, salt ab): www mail *.w, sub (unsigned)
 * The signatures are valid around NOW, the time every validation is given.
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
#include "anchor.h"
#include "keycache.h"
#include "seed.h"
#include "validate.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOW         ((time_t)1700000000)
#define NOW_MS      ((uint64_t)5000000)
#define DAY         86400
#define TTL         3600
#define MAX_NEEDS   200 /* far above what VAL_MAX_STEPS allows: more is a loop */
#define MAX_FIXED   16
#define N3_MAX      8
#define N3_ITER     2
#define N3_SALT     "ab"
#define TYPE_DS     43
#define TYPE_DNSKEY 48

#define REQUIRE(x)                                                                                 \
	do {                                                                                       \
		if (!(x)) {                                                                        \
			fprintf(stderr, "%s:%d: world: %s\n", __FILE__, __LINE__, #x);             \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

struct zone {
	const char *origin;
	ldns_key_list *ksk, *zsk; /* the same list for a CSK */
	ldns_rr_list *rrs;        /* every record, unsigned */
	ldns_rr_list *sigs;       /* the RRSIGs over each RRset of rrs */
	char n3_hash[N3_MAX][40]; /* NSEC3 zones: the owner labels, sorted */
	size_t n3_count;
};

/* A fixed reply to a need. */
struct fixed {
	uint8_t name[MSG_MAX_NAME]; /* lower-case wire */
	size_t name_len;
	uint16_t type;
	uint8_t *wire;
	size_t len;
};

static struct zone zroot, ztld, za, zn3;
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
	struct validation *v = validation_new(world_anchors, kc, body, len, NOW, NOW_MS);
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

static ldns_rdf *dname(const char *s)
{
	ldns_rdf *d = ldns_dname_new_frm_str(s);
	REQUIRE(d);
	return d;
}

__attribute__((format(printf, 1, 0))) static ldns_rr *rr_vnew(const char *fmt, va_list ap)
{
	char text[1024];
	ldns_rr *rr = NULL;
	vsnprintf(text, sizeof(text), fmt, ap);
	if (ldns_rr_new_frm_str(&rr, text, TTL, NULL, NULL) != LDNS_STATUS_OK) {
		fprintf(stderr, "world: cannot parse '%s'\n", text);
		abort();
	}
	return rr;
}

__attribute__((format(printf, 1, 2))) static ldns_rr *rr_new(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	ldns_rr *rr = rr_vnew(fmt, ap);
	va_end(ap);
	return rr;
}

__attribute__((format(printf, 2, 3))) static void zone_add(struct zone *z, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	ldns_rr_list_push_rr(z->rrs, rr_vnew(fmt, ap));
	va_end(ap);
}

/*
 * The key of owner for role ("ksk", "zsk"): its private key is SHA-256 of a fixed string, so
 * every run has the same keys. In a list of its own; *dnskey gets its record.
 */
static ldns_key_list *key_fixed(const char *owner, const char *role, int alg, uint16_t flags,
				ldns_rr **dnskey)
{
	char seed[300], text[512];
	uint8_t secret[SHA256_DIGEST_LENGTH], b64[64];
	snprintf(seed, sizeof(seed), "megdns fuzz %s %s", owner, role);
	SHA256((const uint8_t *)seed, strlen(seed), secret);
	EVP_EncodeBlock(b64, secret, sizeof(secret));
	snprintf(text, sizeof(text),
		 "Private-key-format: v1.3\nAlgorithm: %d (X)\nPrivateKey: %s\n", alg,
		 (const char *)b64);
	FILE *fp = fmemopen(text, strlen(text), "r");
	REQUIRE(fp);
	ldns_key *k = NULL;
	int line = 0;
	REQUIRE(ldns_key_new_frm_fp_l(&k, fp, &line) == LDNS_STATUS_OK);
	fclose(fp);
	ldns_key_set_pubkey_owner(k, dname(owner));
	ldns_key_set_flags(k, flags);
	ldns_key_set_inception(k, (uint32_t)(NOW - DAY));
	ldns_key_set_expiration(k, (uint32_t)(NOW + 30 * DAY));
	ldns_rr *rr = ldns_key2rr(k);
	REQUIRE(rr);
	ldns_rr_set_ttl(rr, TTL);
	ldns_key_set_keytag(k, ldns_calc_keytag(rr));
	ldns_key_list *l = ldns_key_list_new();
	ldns_key_list_push_key(l, k);
	*dnskey = rr;
	return l;
}

static void zone_init(struct zone *z, const char *origin, int alg, bool csk)
{
	ldns_rr *k;
	z->origin = origin;
	z->rrs = ldns_rr_list_new();
	z->sigs = ldns_rr_list_new();
	z->ksk = key_fixed(origin, csk ? "csk" : "ksk", alg, 257, &k);
	ldns_rr_list_push_rr(z->rrs, k);
	if (csk) {
		z->zsk = z->ksk;
	} else {
		z->zsk = key_fixed(origin, "zsk", alg, 256, &k);
		ldns_rr_list_push_rr(z->rrs, k);
	}
	zone_add(z, "%s SOA ns.invalid. hostmaster.invalid. 1 7200 900 1209600 300", origin);
}

/* The DS (SHA-256) of the zone's KSK. */
static ldns_rr *zone_ds(const struct zone *z)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(z->rrs); i++) {
		ldns_rr *rr = ldns_rr_list_rr(z->rrs, i);
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_DNSKEY &&
		    ldns_rdf2native_int16(ldns_rr_rdf(rr, 0)) == 257) {
			ldns_rr *ds = ldns_key_rr2ds(rr, LDNS_SHA256);
			REQUIRE(ds);
			ldns_rr_set_ttl(ds, TTL);
			return ds;
		}
	}
	abort();
}

static bool same_set(const ldns_rr *a, const ldns_rr *b)
{
	return ldns_rr_get_type(a) == ldns_rr_get_type(b) &&
	       ldns_dname_compare(ldns_rr_owner(a), ldns_rr_owner(b)) == 0;
}

/* Sign every RRset of z: DNSKEY with the KSK, the rest with the ZSK. */
static void zone_sign(struct zone *z)
{
	size_t n = ldns_rr_list_rr_count(z->rrs);
	for (size_t i = 0; i < n; i++) {
		ldns_rr *first = ldns_rr_list_rr(z->rrs, i);
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++)
			seen = same_set(ldns_rr_list_rr(z->rrs, j), first);
		if (seen)
			continue;
		ldns_rr_list *set = ldns_rr_list_new();
		for (size_t j = i; j < n; j++)
			if (same_set(ldns_rr_list_rr(z->rrs, j), first))
				ldns_rr_list_push_rr(set, ldns_rr_list_rr(z->rrs, j));
		bool dnskey = ldns_rr_get_type(first) == LDNS_RR_TYPE_DNSKEY;
		ldns_rr_list *sigs = ldns_sign_public(set, dnskey ? z->ksk : z->zsk);
		REQUIRE(sigs && ldns_rr_list_rr_count(sigs) == 1);
		ldns_rr_list_cat(z->sigs, sigs);
		ldns_rr_list_free(sigs);
		ldns_rr_list_free(set); /* shallow: the records are z->rrs's */
	}
}

/* The RRset (owner, type) of z and the RRSIGs over it: a new list. */
static ldns_rr_list *pick(const struct zone *z, const char *owner, ldns_rr_type type)
{
	ldns_rdf *o = dname(owner);
	ldns_rr_list *l = ldns_rr_list_new();
	for (size_t i = 0; i < ldns_rr_list_rr_count(z->rrs); i++) {
		ldns_rr *rr = ldns_rr_list_rr(z->rrs, i);
		if (ldns_rr_get_type(rr) == type && ldns_dname_compare(ldns_rr_owner(rr), o) == 0)
			ldns_rr_list_push_rr(l, ldns_rr_clone(rr));
	}
	REQUIRE(ldns_rr_list_rr_count(l) > 0);
	for (size_t i = 0; i < ldns_rr_list_rr_count(z->sigs); i++) {
		ldns_rr *s = ldns_rr_list_rr(z->sigs, i);
		if (ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(s)) == type &&
		    ldns_dname_compare(ldns_rr_owner(s), o) == 0)
			ldns_rr_list_push_rr(l, ldns_rr_clone(s));
	}
	ldns_rdf_deep_free(o);
	return l;
}

/* The NSEC3 owner label of name (lower case base32hex) with the world's parameters. */
static void n3_hash(const char *name, char *out, size_t cap)
{
	static const uint8_t salt[] = {0xab};
	ldns_rdf *n = dname(name);
	ldns_rdf *h = ldns_nsec3_hash_name(n, 1, N3_ITER, sizeof(salt), (uint8_t *)salt);
	REQUIRE(h);
	char *s = ldns_rdf2str(h);
	REQUIRE(s && strlen(s) > 1 && strlen(s) < cap);
	s[strlen(s) - 1] = '\0'; /* the root label */
	for (char *p = s; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	snprintf(out, cap, "%s", s);
	free(s);
	ldns_rdf_deep_free(h);
	ldns_rdf_deep_free(n);
}

static int n3_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* The NSEC3 chain of z over names[i] with types[i] (no opt-out). */
static void zone_nsec3(struct zone *z, const char *const *names, const char *const *types, size_t n)
{
	struct {
		char hash[40]; /* first: what the entries sort by */
		const char *types;
	} map[N3_MAX];
	REQUIRE(n <= N3_MAX);
	for (size_t i = 0; i < n; i++) {
		n3_hash(names[i], map[i].hash, sizeof(map[i].hash));
		map[i].types = types[i];
	}
	qsort(map, n, sizeof(map[0]), n3_cmp);
	for (size_t i = 0; i < n; i++) {
		memcpy(z->n3_hash[i], map[i].hash, sizeof(z->n3_hash[i]));
		zone_add(z, "%s.%s NSEC3 1 0 %d %s %s %s", map[i].hash, z->origin, N3_ITER, N3_SALT,
			 map[(i + 1) % n].hash, map[i].types);
	}
	z->n3_count = n;
}

/* The index in z->n3_hash of the NSEC3 that matches or covers hash(name). */
static size_t n3_index(const struct zone *z, const char *name)
{
	char h[40];
	n3_hash(name, h, sizeof(h));
	size_t at = z->n3_count - 1; /* below the first hash: the last one wraps around */
	for (size_t i = 0; i < z->n3_count; i++)
		if (strcmp(z->n3_hash[i], h) <= 0)
			at = i;
	return at;
}

/* The NSEC3s of z that match or cover names[0..n), each once, with their RRSIGs. */
static ldns_rr_list *n3_proof(const struct zone *z, const char *const *names, size_t n)
{
	bool used[N3_MAX] = {false};
	ldns_rr_list *l = ldns_rr_list_new();
	for (size_t i = 0; i < n; i++) {
		size_t at = n3_index(z, names[i]);
		if (used[at])
			continue;
		used[at] = true;
		char owner[300];
		snprintf(owner, sizeof(owner), "%s.%s", z->n3_hash[at], z->origin);
		ldns_rr_list *one = pick(z, owner, LDNS_RR_TYPE_NSEC3);
		ldns_rr_list_cat(l, one);
		ldns_rr_list_free(one);
	}
	return l;
}

static void world_root_tld(void)
{
	zone_init(&zroot, ".", LDNS_SIGN_ECDSAP256SHA256, false);
	zone_init(&ztld, "test.", LDNS_SIGN_ED25519, false);
	zone_init(&za, "a.test.", LDNS_SIGN_ECDSAP256SHA256, false);
	zone_init(&zn3, "n3.test.", LDNS_SIGN_ECDSAP256SHA256, true);

	ldns_rr_list_push_rr(zroot.rrs, zone_ds(&ztld));
	zone_add(&zroot, ". NSEC test. NS SOA RRSIG NSEC DNSKEY");
	zone_add(&zroot, "test. NSEC . NS DS RRSIG NSEC");

	ldns_rr_list_push_rr(ztld.rrs, zone_ds(&za));
	ldns_rr_list_push_rr(ztld.rrs, zone_ds(&zn3));
	zone_add(&ztld, "unsup.test. DS 12345 100 2 "
			"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	zone_add(&ztld, "test. NSEC a.test. NS SOA RRSIG NSEC DNSKEY");
	zone_add(&ztld, "a.test. NSEC insec.test. NS DS RRSIG NSEC");
	zone_add(&ztld, "insec.test. NSEC n3.test. NS RRSIG NSEC");
	zone_add(&ztld, "n3.test. NSEC unsup.test. NS DS RRSIG NSEC");
	zone_add(&ztld, "unsup.test. NSEC test. NS DS RRSIG NSEC");
}

static void world_leaves(void)
{
	zone_add(&za, "alias.a.test. CNAME www.n3.test.");
	zone_add(&za, "mail.a.test. A 192.0.2.25");
	zone_add(&za, "*.w.a.test. A 192.0.2.99");
	zone_add(&za, "y.w.a.test. A 192.0.2.50");
	zone_add(&za, "www.a.test. A 192.0.2.1");
	zone_add(&za, "www.a.test. TXT \"hello\"");
	zone_add(&za, "a.test. NSEC alias.a.test. SOA RRSIG NSEC DNSKEY");
	zone_add(&za, "alias.a.test. NSEC mail.a.test. CNAME RRSIG NSEC");
	zone_add(&za, "mail.a.test. NSEC *.w.a.test. A RRSIG NSEC");
	zone_add(&za, "*.w.a.test. NSEC y.w.a.test. A RRSIG NSEC");
	zone_add(&za, "y.w.a.test. NSEC www.a.test. A RRSIG NSEC");
	zone_add(&za, "www.a.test. NSEC a.test. A TXT RRSIG NSEC");

	zone_add(&zn3, "www.n3.test. A 192.0.2.4");
	zone_add(&zn3, "mail.n3.test. A 192.0.2.5");
	zone_add(&zn3, "*.w.n3.test. A 192.0.2.98");
	static const char *const names[] = {"n3.test.",     "www.n3.test.", "mail.n3.test.",
					    "sub.n3.test.", "w.n3.test.",   "*.w.n3.test."};
	static const char *const types[] = {
	    "SOA RRSIG DNSKEY NSEC3PARAM", "A RRSIG", "A RRSIG", "NS", "", "A RRSIG"};
	zone_nsec3(&zn3, names, types, 6);

	struct zone *all[] = {&zroot, &ztld, &za, &zn3};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		zone_sign(all[i]);
}

/* A response (QR, RD, RA) to qname/qtype with rcode and nothing else yet. */
static ldns_pkt *pkt_new(const char *qname, ldns_rr_type qtype, ldns_pkt_rcode rcode)
{
	ldns_pkt *p = ldns_pkt_new();
	REQUIRE(p);
	ldns_pkt_set_id(p, 4711);
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_rd(p, true);
	ldns_pkt_set_ra(p, true);
	ldns_pkt_set_rcode(p, rcode);
	ldns_rr *q = ldns_rr_new();
	ldns_rr_set_owner(q, dname(qname));
	ldns_rr_set_type(q, qtype);
	ldns_rr_set_class(q, LDNS_RR_CLASS_IN);
	ldns_rr_set_question(q, true);
	ldns_pkt_push_rr(p, LDNS_SECTION_QUESTION, q);
	return p;
}

/* Append the records of l to a section of p; l is consumed. */
static void put(ldns_pkt *p, ldns_pkt_section s, ldns_rr_list *l)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++)
		ldns_pkt_push_rr(p, s, ldns_rr_list_rr(l, i));
	ldns_rr_list_free(l);
}

/* The wire of p, which is freed; malloc'ed. */
static uint8_t *wire_of(ldns_pkt *p, size_t *len)
{
	uint8_t *w;
	REQUIRE(ldns_pkt2wire(&w, p, len) == LDNS_STATUS_OK);
	ldns_pkt_free(p);
	return w;
}

static void fixed_add(const char *name, ldns_rr_type type, ldns_pkt *p)
{
	REQUIRE(world_n_fixed < MAX_FIXED);
	struct fixed *f = &world_fixed[world_n_fixed++];
	REQUIRE(msg_name_from_str(name, f->name, &f->name_len) == 0);
	f->type = type;
	f->wire = wire_of(p, &f->len);
}

/* (owner, type) answered with z's RRset. */
static void fixed_answer(struct zone *z, const char *owner, ldns_rr_type type)
{
	ldns_pkt *p = pkt_new(owner, type, LDNS_RCODE_NOERROR);
	put(p, LDNS_SECTION_ANSWER, pick(z, owner, type));
	fixed_add(owner, type, p);
}

/* (qname, DS) answered NODATA by z with proof, the list of the denial's records. */
static void fixed_no_ds(struct zone *z, const char *qname, ldns_rr_list *proof)
{
	ldns_pkt *p = pkt_new(qname, LDNS_RR_TYPE_DS, LDNS_RCODE_NOERROR);
	put(p, LDNS_SECTION_AUTHORITY, pick(z, z->origin, LDNS_RR_TYPE_SOA));
	put(p, LDNS_SECTION_AUTHORITY, proof);
	fixed_add(qname, LDNS_RR_TYPE_DS, p);
}

static void world_anchor(void)
{
	char path[] = "/tmp/megdns-fuzz-anchor-XXXXXX", err[256];
	ldns_rr *ds = zone_ds(&zroot);
	char *text = ldns_rr2str(ds);
	REQUIRE(text);
	int fd = mkstemp(path);
	REQUIRE(fd >= 0);
	REQUIRE(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
	char *insecure[] = {"corp.test."};
	int r = anchor_set_load(&world_anchors, (const char *const[]){path}, 1, insecure, 1, err,
				sizeof(err));
	unlink(path);
	if (r != 0)
		fprintf(stderr, "world: anchors: %s\n", err);
	REQUIRE(r == 0);
	free(text);
	ldns_rr_free(ds);
}

static void world_build(void)
{
	world_root_tld();
	world_leaves();
	world_anchor();
	fixed_answer(&zroot, ".", LDNS_RR_TYPE_DNSKEY);
	fixed_answer(&zroot, "test.", LDNS_RR_TYPE_DS);
	fixed_answer(&ztld, "test.", LDNS_RR_TYPE_DNSKEY);
	fixed_answer(&ztld, "a.test.", LDNS_RR_TYPE_DS);
	fixed_answer(&za, "a.test.", LDNS_RR_TYPE_DNSKEY);
	fixed_answer(&ztld, "n3.test.", LDNS_RR_TYPE_DS);
	fixed_answer(&zn3, "n3.test.", LDNS_RR_TYPE_DNSKEY);
	fixed_answer(&ztld, "unsup.test.", LDNS_RR_TYPE_DS);
	fixed_no_ds(&ztld, "insec.test.", pick(&ztld, "insec.test.", LDNS_RR_TYPE_NSEC));
	fixed_no_ds(&zn3, "sub.n3.test.", n3_proof(&zn3, (const char *const[]){"sub.n3.test."}, 1));
	/* Names inside a.test. are no zone cuts: asked when their data comes unsigned. */
	fixed_no_ds(&za, "www.a.test.", pick(&za, "www.a.test.", LDNS_RR_TYPE_NSEC));
}

/* ---- seeds ---- */

static void chunk_put(uint8_t *buf, size_t cap, size_t *n, const uint8_t *p, size_t len)
{
	REQUIRE(*n + 2 + len <= cap && len <= 0xffff);
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
	uint8_t *a = wire_of(p, &alen);
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
	REQUIRE(st == want);
	if (fed) {
		REQUIRE(seed_n_trace > 0);
		buf[0] = (uint8_t)((1u << seed_n_trace) - 1);
		for (size_t i = 0; i < seed_n_trace; i++)
			chunk_put(buf, sizeof(buf), &n, seed_trace[i] ? seed_trace[i]->wire : NULL,
				  seed_trace[i] ? seed_trace[i]->len : 0);
		REQUIRE(harness_run(buf, n, &ede) == want);
	}
	seed_write(dir, file, buf, n, NULL);
}

/* An answer to qname/qtype with rcode, answer records an and authority records ns (NULL ok). */
static ldns_pkt *answer(const char *qname, ldns_rr_type qtype, ldns_pkt_rcode rcode,
			ldns_rr_list *an, ldns_rr_list *ns)
{
	ldns_pkt *p = pkt_new(qname, qtype, rcode);
	if (an)
		put(p, LDNS_SECTION_ANSWER, an);
	if (ns)
		put(p, LDNS_SECTION_AUTHORITY, ns);
	return p;
}

/* Two lists joined into the first (the second is consumed). */
static ldns_rr_list *cat(ldns_rr_list *a, ldns_rr_list *b)
{
	ldns_rr_list_cat(a, b);
	ldns_rr_list_free(b);
	return a;
}

/* The RRset (wild, A) of z as synthesised for name, signatures and all. */
static ldns_rr_list *expanded(const struct zone *z, const char *wild, const char *name)
{
	ldns_rr_list *l = pick(z, wild, LDNS_RR_TYPE_A);
	for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++) {
		ldns_rr *rr = ldns_rr_list_rr(l, i);
		ldns_rdf_deep_free(ldns_rr_owner(rr));
		ldns_rr_set_owner(rr, dname(name));
	}
	return l;
}

static ldns_rr_list *unsigned_a(const char *owner, const char *addr)
{
	ldns_rr_list *l = ldns_rr_list_new();
	ldns_rr_list_push_rr(l, rr_new("%s A %s", owner, addr));
	return l;
}

static void seeds_secure(const char *dir)
{
	const ldns_rr_type A = LDNS_RR_TYPE_A;
	const ldns_pkt_rcode OK = LDNS_RCODE_NOERROR;
	seed_emit(dir, "secure-nsec-zone",
		  answer("www.a.test.", A, OK, pick(&za, "www.a.test.", A), NULL), VALIDATE_SECURE,
		  false);
	seed_emit(dir, "secure-fed-keys",
		  answer("www.a.test.", A, OK, pick(&za, "www.a.test.", A), NULL), VALIDATE_SECURE,
		  true);
	seed_emit(dir, "secure-txt",
		  answer("www.a.test.", LDNS_RR_TYPE_TXT, OK,
			 pick(&za, "www.a.test.", LDNS_RR_TYPE_TXT), NULL),
		  VALIDATE_SECURE, false);
	seed_emit(dir, "secure-nsec3-zone-fed-keys",
		  answer("www.n3.test.", A, OK, pick(&zn3, "www.n3.test.", A), NULL),
		  VALIDATE_SECURE, true);
	ldns_rr_list *chain =
	    cat(pick(&za, "alias.a.test.", LDNS_RR_TYPE_CNAME), pick(&zn3, "www.n3.test.", A));
	seed_emit(dir, "secure-cname-across-zones", answer("alias.a.test.", A, OK, chain, NULL),
		  VALIDATE_SECURE, false);
	seed_emit(dir, "secure-wildcard-nsec",
		  answer("foo.w.a.test.", A, OK, expanded(&za, "*.w.a.test.", "foo.w.a.test."),
			 pick(&za, "*.w.a.test.", LDNS_RR_TYPE_NSEC)),
		  VALIDATE_SECURE, false);
	static const char *const wild3[] = {"foo.w.n3.test."};
	seed_emit(dir, "secure-wildcard-nsec3",
		  answer("foo.w.n3.test.", A, OK, expanded(&zn3, "*.w.n3.test.", "foo.w.n3.test."),
			 n3_proof(&zn3, wild3, 1)),
		  VALIDATE_SECURE, false);
}

static void seeds_denial(const char *dir)
{
	const ldns_rr_type A = LDNS_RR_TYPE_A, AAAA = LDNS_RR_TYPE_AAAA, SOA = LDNS_RR_TYPE_SOA;
	ldns_rr_list *nx =
	    cat(cat(pick(&za, "a.test.", SOA), pick(&za, "mail.a.test.", LDNS_RR_TYPE_NSEC)),
		pick(&za, "a.test.", LDNS_RR_TYPE_NSEC));
	seed_emit(dir, "nxdomain-nsec", answer("nx.a.test.", A, LDNS_RCODE_NXDOMAIN, NULL, nx),
		  VALIDATE_SECURE, false);
	ldns_rr_list *nd =
	    cat(pick(&za, "a.test.", SOA), pick(&za, "www.a.test.", LDNS_RR_TYPE_NSEC));
	seed_emit(dir, "nodata-nsec", answer("www.a.test.", AAAA, LDNS_RCODE_NOERROR, NULL, nd),
		  VALIDATE_SECURE, false);
	static const char *const proof[] = {"n3.test.", "nx.n3.test.", "*.n3.test."};
	ldns_rr_list *nx3 = cat(pick(&zn3, "n3.test.", SOA), n3_proof(&zn3, proof, 3));
	seed_emit(dir, "nxdomain-nsec3", answer("nx.n3.test.", A, LDNS_RCODE_NXDOMAIN, NULL, nx3),
		  VALIDATE_SECURE, false);
	static const char *const www[] = {"www.n3.test."};
	ldns_rr_list *nd3 = cat(pick(&zn3, "n3.test.", SOA), n3_proof(&zn3, www, 1));
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
	ldns_rr_list *l = pick(&za, "www.a.test.", A);
	ldns_rdf *addr = NULL;
	REQUIRE(ldns_str2rdf_a(&addr, "192.0.2.66") == LDNS_STATUS_OK);
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
	world_build();
	const char *dir = seed_dir();
	if (dir) {
		seeds_secure(dir);
		seeds_denial(dir);
		seeds_insecure_bogus(dir);
		exit(0);
	}
	return 0;
}
