/*
 * test_validate.c -- unit tests for validate.c on a private, freshly signed world.
 *
 * The world is made at test time with tests/common/world.h: a root "." whose KSK is the only
 * trust anchor, the TLD "test." and leaf zones under it, each with new random keys and every
 * RRset signed. A table plays the upstream ((name, type) -> reply body) and the loop that
 * drives a validation feeds from it as resolve.c does, counting what was asked. Cases with one
 * answer and one outcome are rows of a table (cases[], run by test_case); the rest, which look
 * at what was asked or build their own upstream, are tests of their own. The cases cover
 * each outcome and Extended DNS Error of the validator: secure answers and denials (NSEC,
 * NSEC3, wildcards, CNAME chains), broken ones (altered data, expired and not yet valid
 * signatures, a DS matching no key, missing signatures and proofs, signatures and proofs of
 * another zone, wildcards expanded over names that exist), insecure delegations (NSEC, NSEC3,
 * unsupported algorithm, too many NSEC3 iterations, negative trust anchors), trust anchors
 * given as DNSKEY or deeper than the root, key cache reuse, upstream failure, and
 * validate_strip.
 *
 * Zones (canonical order):
 *   .            KSK+ZSK ECDSA P-256, the trust anchor
 *   test.        KSK+ZSK Ed25519; delegates a b bad hmac insec it n3 unsup (NSEC)
 *   a.test.      KSK+ZSK ECDSA: alias alias2 mail *.w y.w www (NSEC)
 *   b.test.      CSK Ed25519: www (NSEC)
 *   bad.test.    CSK ECDSA, but the DS in test. is of another key
 *   hmac.test.   DS of algorithm 157 only (a TSIG HMAC number, no DNSSEC algorithm)
 *   insec.test.  unsigned (test. proves no DS)
 *   it.test.     CSK ECDSA, NSEC3 with 200 iterations
 *   n3.test.     CSK ECDSA, NSEC3 (5 iterations, salt cafe): www mail *.w y.w, sub (unsigned)
 *   unsup.test.  DS of algorithm 100 only
 *   corp.test.   a negative trust anchor
 */
#include "dnssec/anchor.h"
#include "check_main.h"
#include "dnssec/keycache.h"
#include "dnssec/validate.h"
#include "world.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EDE_NONE           -1
#define EDE_BOGUS          6
#define EDE_SIG_EXPIRED    7
#define EDE_SIG_NOT_YET    8
#define EDE_DNSKEY_MISSING 9
#define EDE_RRSIGS_MISSING 10
#define EDE_NSEC_MISSING   12

#define KEY64                                                                                      \
	"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+P"    \
	"w=="

#define ECDSA   LDNS_SIGN_ECDSAP256SHA256
#define ED25519 LDNS_SIGN_ED25519

/* A reply body in msg.h format, malloc'ed. */
struct body {
	uint8_t *data;
	size_t len;
};

struct fake_entry {
	ldns_rdf *name;
	ldns_rr_type type;
	struct body body; /* data NULL: the upstream fails */
	bool owned;
};

/* The upstream: later entries win, so a case can override the world's. */
struct fake {
	struct fake_entry e[96];
	size_t n;
	unsigned asks, ds_asks, dnskey_asks, misses;
	bool fail_all;
	char log[2048]; /* what was asked, for failure messages */
};

static struct world_zone zroot, ztld, za, zb, zn3, zit, zbad;
/* KeyTrap: zones whose DNSKEY RRsets cost up to VAL_MAX_SIGS_PER_RRSET checks (ke0..ke13). */
#define N_COSTLY 14
static struct world_zone zcostly[N_COSTLY];
static char zcostly_origin[N_COSTLY][16]; /* world_zone keeps the pointer */
static struct anchor_set *world_anchors;
static struct fake world_up;

static void an(ldns_pkt *p, ldns_rr_list *l)
{
	world_put(p, LDNS_SECTION_ANSWER, l);
}

static void ns(ldns_pkt *p, ldns_rr_list *l)
{
	world_put(p, LDNS_SECTION_AUTHORITY, l);
}

/* The wire body of p, which is freed. */
static struct body body_of(ldns_pkt *p)
{
	struct body b = {0};
	b.data = world_wire(p, &b.len);
	return b;
}

static void fake_add(struct fake *up, const char *name, ldns_rr_type type, struct body b,
		     bool owned)
{
	WORLD_REQUIRE(up->n < sizeof(up->e) / sizeof(up->e[0]));
	up->e[up->n++] = (struct fake_entry){world_dname(name), type, b, owned};
}
/* A case's upstream: the world's replies, nothing asked yet. */
static void fake_init(struct fake *up)
{
	*up = world_up;
	for (size_t i = 0; i < up->n; i++) {
		up->e[i].name = ldns_rdf_clone(world_up.e[i].name);
		up->e[i].owned = false;
	}
}

static void fake_free(struct fake *up)
{
	for (size_t i = 0; i < up->n; i++) {
		ldns_rdf_deep_free(up->e[i].name);
		if (up->e[i].owned)
			free(up->e[i].body.data);
	}
	up->n = 0;
}

/* Answer one need: count it, log it, find the reply (NULL: failure). */
static const struct body *fake_ask(struct fake *up, const struct validate_need *need)
{
	ldns_rdf *n = ldns_dname_new_frm_data((uint16_t)need->name_len, need->name);
	char *s = n ? ldns_rdf2str(n) : NULL;
	char *t = ldns_rr_type2str(need->type);
	size_t used = strlen(up->log);
	snprintf(up->log + used, sizeof(up->log) - used, " %s/%s", s ? s : "?", t ? t : "?");
	free(s);
	free(t);
	up->asks++;
	up->ds_asks += need->type == LDNS_RR_TYPE_DS;
	up->dnskey_asks += need->type == LDNS_RR_TYPE_DNSKEY;
	const struct body *b = NULL;
	for (size_t i = up->n; n && !b && i-- > 0;)
		if (up->e[i].type == need->type && ldns_dname_compare(up->e[i].name, n) == 0)
			b = &up->e[i].body;
	ldns_rdf_deep_free(n);
	if (!b)
		up->misses++;
	return up->fail_all || !b || !b->data ? NULL : b;
}

/* Validate body as fetch.c does, with the given anchors and key cache. */
static unsigned last_cost; /* signature checks of the last run */

static enum validate_status run_with(struct fake *up, const struct anchor_set *anchors,
				     struct keycache *kc, struct body b, int *ede)
{
	struct validation *v = validation_new(anchors, kc, b.data, b.len, WORLD_NOW, WORLD_NOW_MS);
	struct validate_need need;
	unsigned guard = 0;
	while (validation_step(v, &need) == VALIDATE_NEED) {
		ck_assert_uint_lt(++guard, 100);
		const struct body *r = fake_ask(up, &need);
		validation_feed(v, r ? r->data : NULL, r ? r->len : 0);
	}
	enum validate_status st = validation_result(v, ede);
	last_cost = validation_cost(v);
	validation_free(v);
	return st;
}

/* Validate the answer p against the world with a fresh key cache. */
static enum validate_status run(struct fake *up, ldns_pkt *p, int *ede)
{
	struct keycache *kc = keycache_new(1000);
	struct body b = body_of(p);
	enum validate_status st = run_with(up, world_anchors, kc, b, ede);
	free(b.data);
	keycache_free(kc);
	return st;
}

static const char *status_name(enum validate_status st)
{
	static const char *const names[] = {"UNCHECKED", "INSECURE", "SECURE", "BOGUS"};
	return st <= VALIDATE_BOGUS ? names[st] : "?";
}

/* Validate p and check the outcome exactly; with no_miss, every need had a reply. */
static void expect(struct fake *up, ldns_pkt *p, enum validate_status want, int want_ede)
{
	int ede;
	enum validate_status st = run(up, p, &ede);
	ck_assert_msg(st == want && ede == want_ede, "got %s EDE %d, want %s EDE %d; asked:%s",
		      status_name(st), ede, status_name(want), want_ede, up->log);
	ck_assert_msg(up->misses == 0, "asked for what the world lacks:%s", up->log);
}

/* Validate p and check that it is BOGUS with one of two acceptable EDEs. */
static void expect_bogus(struct fake *up, ldns_pkt *p, int ede1, int ede2)
{
	int ede;
	enum validate_status st = run(up, p, &ede);
	ck_assert_msg(st == VALIDATE_BOGUS && (ede == ede1 || ede == ede2),
		      "got %s EDE %d, want BOGUS EDE %d or %d; asked:%s", status_name(st), ede,
		      ede1, ede2, up->log);
}

/* (qname, DS) answered NODATA by z with the NSEC at nsec_owner. */
static void up_nodata_nsec(struct fake *up, struct world_zone *z, const char *qname,
			   const char *nsec_owner)
{
	ldns_rr_list *proof = world_pick(z, nsec_owner, LDNS_RR_TYPE_NSEC);
	fake_add(up, qname, LDNS_RR_TYPE_DS, body_of(world_no_ds(z, qname, proof)), true);
}

/* (owner, type) answered with z's RRset. */
static void up_answer(struct fake *up, struct world_zone *z, const char *owner, ldns_rr_type type)
{
	fake_add(up, owner, type, body_of(world_reply(z, owner, type)), true);
}

static void make_root_tld(void)
{
	world_zone_init(&zroot, ".", ECDSA, false, NULL);
	world_zone_init(&ztld, "test.", ED25519, false, NULL);
	world_zone_init(&za, "a.test.", ECDSA, false, NULL);
	world_zone_init(&zb, "b.test.", ED25519, true, NULL);
	world_zone_init(&zbad, "bad.test.", ECDSA, true, NULL);
	world_zone_init(&zit, "it.test.", ECDSA, true, NULL);
	world_zone_init(&zn3, "n3.test.", ECDSA, true, NULL);
	for (int i = 0; i < N_COSTLY; i++) {
		snprintf(zcostly_origin[i], sizeof(zcostly_origin[i]), "ke%d.test.", i);
		world_zone_init(&zcostly[i], zcostly_origin[i], ECDSA, true, NULL);
		ldns_rr_list_push_rr(ztld.rrs, world_zone_ds(&zcostly[i]));
	}

	ldns_rr_list_push_rr(zroot.rrs, world_zone_ds(&ztld));
	world_zone_add(&zroot, ". NSEC test. NS SOA RRSIG NSEC DNSKEY");
	world_zone_add(&zroot, "test. NSEC . NS DS RRSIG NSEC");

	ldns_rr *other;
	ldns_key_list *otherkey = world_key_new("bad.test.", ECDSA, 257, NULL, &other);
	ldns_rr *bad_ds = ldns_key_rr2ds(other, LDNS_SHA256);
	WORLD_REQUIRE(bad_ds);
	ldns_rr_list_push_rr(ztld.rrs, bad_ds);
	ldns_rr_free(other);
	ldns_key_list_free(otherkey);
	ldns_rr_list_push_rr(ztld.rrs, world_zone_ds(&za));
	ldns_rr_list_push_rr(ztld.rrs, world_zone_ds(&zb));
	ldns_rr_list_push_rr(ztld.rrs, world_zone_ds(&zit));
	ldns_rr_list_push_rr(ztld.rrs, world_zone_ds(&zn3));
	world_zone_add(&ztld, "unsup.test. DS 12345 100 2 "
			      "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	ldns_rr *hmac_key = world_rr_new("hmac.test. DNSKEY 257 3 157 %s", KEY64);
	ldns_rr *hmac_ds = ldns_key_rr2ds(hmac_key, LDNS_SHA256);
	WORLD_REQUIRE(hmac_ds);
	ldns_rr_list_push_rr(ztld.rrs, hmac_ds);
	ldns_rr_free(hmac_key);
	world_zone_add(&ztld, "test. NSEC a.test. NS SOA RRSIG NSEC DNSKEY");
	world_zone_add(&ztld, "a.test. NSEC b.test. NS DS RRSIG NSEC");
	world_zone_add(&ztld, "b.test. NSEC bad.test. NS DS RRSIG NSEC");
	world_zone_add(&ztld, "bad.test. NSEC hmac.test. NS DS RRSIG NSEC");
	world_zone_add(&ztld, "hmac.test. NSEC insec.test. NS DS RRSIG NSEC");
	world_zone_add(&ztld, "insec.test. NSEC it.test. NS RRSIG NSEC");
	world_zone_add(&ztld, "it.test. NSEC n3.test. NS DS RRSIG NSEC");
	world_zone_add(&ztld, "n3.test. NSEC unsup.test. NS DS RRSIG NSEC");
	world_zone_add(&ztld, "unsup.test. NSEC test. NS DS RRSIG NSEC");
}

static void make_leaves(void)
{
	world_zone_add(&za, "alias.a.test. CNAME www.b.test.");
	world_zone_add(&za, "alias2.a.test. CNAME www.insec.test.");
	world_zone_add(&za, "mail.a.test. A 192.0.2.25");
	world_zone_add(&za, "*.w.a.test. A 192.0.2.99");
	world_zone_add(&za, "y.w.a.test. A 192.0.2.50");
	world_zone_add(&za, "www.a.test. A 192.0.2.1");
	world_zone_add(&za, "www.a.test. TXT \"hello\"");
	world_zone_add(&za, "a.test. NSEC alias.a.test. SOA RRSIG NSEC DNSKEY");
	world_zone_add(&za, "alias.a.test. NSEC alias2.a.test. CNAME RRSIG NSEC");
	world_zone_add(&za, "alias2.a.test. NSEC mail.a.test. CNAME RRSIG NSEC");
	world_zone_add(&za, "mail.a.test. NSEC *.w.a.test. A RRSIG NSEC");
	world_zone_add(&za, "*.w.a.test. NSEC y.w.a.test. A RRSIG NSEC");
	world_zone_add(&za, "y.w.a.test. NSEC www.a.test. A RRSIG NSEC");
	world_zone_add(&za, "www.a.test. NSEC a.test. A TXT RRSIG NSEC");

	world_zone_add(&zb, "www.b.test. A 192.0.2.2");
	world_zone_add(&zb, "b.test. NSEC www.b.test. SOA RRSIG NSEC DNSKEY");
	world_zone_add(&zb, "www.b.test. NSEC b.test. A RRSIG NSEC");

	world_zone_add(&zbad, "www.bad.test. A 192.0.2.3");

	zn3.n3_iter = 5;
	zn3.n3_salt = "cafe";
	world_zone_add(&zn3, "www.n3.test. A 192.0.2.4");
	world_zone_add(&zn3, "mail.n3.test. A 192.0.2.5");
	world_zone_add(&zn3, "*.w.n3.test. A 192.0.2.98");
	world_zone_add(&zn3, "y.w.n3.test. A 192.0.2.51");
	static const char *const n3_names[] = {"n3.test.",     "www.n3.test.", "mail.n3.test.",
					       "sub.n3.test.", "w.n3.test.",   "*.w.n3.test.",
					       "y.w.n3.test."};
	static const char *const n3_types[] = {
	    "SOA RRSIG DNSKEY NSEC3PARAM", "A RRSIG", "A RRSIG", "NS", "", "A RRSIG", "A RRSIG"};
	world_zone_nsec3(&zn3, n3_names, n3_types, 7);

	zit.n3_iter = 200;
	zit.n3_salt = "";
	world_zone_add(&zit, "www.it.test. A 192.0.2.6");
	static const char *const it_names[] = {"it.test.", "www.it.test."};
	static const char *const it_types[] = {"SOA RRSIG DNSKEY NSEC3PARAM", "A RRSIG"};
	world_zone_nsec3(&zit, it_names, it_types, 2);

	for (int i = 0; i < N_COSTLY; i++) {
		if (i + 1 < N_COSTLY)
			world_zone_add(&zcostly[i], "x.ke%d.test. CNAME x.ke%d.test.", i, i + 1);
		else
			world_zone_add(&zcostly[i], "x.ke%d.test. CNAME www.b.test.", i);
	}

	struct world_zone *all[] = {&zroot, &ztld, &za, &zb, &zbad, &zit, &zn3};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		world_zone_sign(all[i]);
	for (int i = 0; i < N_COSTLY; i++)
		world_zone_sign(&zcostly[i]);
}

static void make_world(void)
{
	make_root_tld();
	make_leaves();

	char text[1024];
	ldns_rr *ds = world_zone_ds(&zroot);
	world_rr_text(ds, text, sizeof(text));
	ldns_rr_free(ds);
	world_anchors = world_anchors_from(text, (char *[]){"corp.test."}, 1);

	struct fake *up = &world_up;
	up_answer(up, &zroot, ".", LDNS_RR_TYPE_DNSKEY);
	up_answer(up, &zroot, "test.", LDNS_RR_TYPE_DS);
	up_answer(up, &ztld, "test.", LDNS_RR_TYPE_DNSKEY);
	struct world_zone *leaves[] = {&za, &zb, &zbad, &zit, &zn3};
	for (size_t i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++) {
		up_answer(up, &ztld, leaves[i]->origin, LDNS_RR_TYPE_DS);
		up_answer(up, leaves[i], leaves[i]->origin, LDNS_RR_TYPE_DNSKEY);
	}
	up_answer(up, &ztld, "unsup.test.", LDNS_RR_TYPE_DS);
	up_answer(up, &ztld, "hmac.test.", LDNS_RR_TYPE_DS);
	ldns_pkt *k = world_pkt_new("hmac.test.", LDNS_RR_TYPE_DNSKEY, LDNS_RCODE_NOERROR);
	ldns_pkt_push_rr(k, LDNS_SECTION_ANSWER,
			 world_rr_new("hmac.test. DNSKEY 257 3 157 %s", KEY64));
	fake_add(up, "hmac.test.", LDNS_RR_TYPE_DNSKEY, body_of(k), true);
	up_nodata_nsec(up, &ztld, "insec.test.", "insec.test.");
	/* Names inside a.test. are no zone cuts: asked when their data comes unsigned. */
	up_nodata_nsec(up, &za, "www.a.test.", "www.a.test.");
	fake_add(up, "sub.n3.test.", LDNS_RR_TYPE_DS,
		 body_of(world_no_ds(&zn3, "sub.n3.test.", world_n3_pick(&zn3, "sub.n3.test."))),
		 true);
}

static void setup_world(void)
{
	if (!world_anchors)
		make_world();
}

/* ---- secure answers ---- */

START_TEST(test_secure_answer)
{
	struct fake up;
	fake_init(&up);
	ldns_pkt *p = world_pkt_new("www.a.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
	an(p, world_pick(&za, "www.a.test.", LDNS_RR_TYPE_A));
	expect(&up, p, VALIDATE_SECURE, EDE_NONE);
	/* The chain was walked from the root: DNSKEY of ., test., a.test. and two DS. */
	ck_assert_uint_eq(up.dnskey_asks, 3);
	ck_assert_uint_eq(up.ds_asks, 2);
	fake_free(&up);
}
END_TEST

/* b.test. signs with one Ed25519 key that is both KSK and ZSK. */
static ldns_pkt *case_secure_answer_csk_ed25519(void)
{
	ldns_pkt *p = world_pkt_new("www.b.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
	an(p, world_pick(&zb, "www.b.test.", LDNS_RR_TYPE_A));
	return p;
}

/* A query name in another case than the zone's records is the same name. */
static ldns_pkt *case_secure_answer_mixed_case(void)
{
	ldns_pkt *p = world_pkt_new("WwW.A.tEsT.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
	ldns_rr_list *l = world_pick(&za, "www.a.test.", LDNS_RR_TYPE_A);
	world_rename_all(l, "WwW.A.tEsT.");
	an(p, l);
	return p;
}

static ldns_pkt *case_altered_answer(void)
{
	ldns_pkt *p = world_pkt_new("www.a.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
	ldns_rr_list *l = world_pick(&za, "www.a.test.", LDNS_RR_TYPE_A);
	ldns_rdf *addr = NULL;
	ck_assert_int_eq(ldns_str2rdf_a(&addr, "192.0.2.66"), LDNS_STATUS_OK);
	world_rr_set(ldns_rr_list_rr(l, 0), 0, addr);
	an(p, l);
	return p;
}

/* www.a.test. A signed by a.test.'s ZSK for [inception, expiration]. */
static ldns_pkt *www_signed_for(time_t inception, time_t expiration)
{
	ldns_pkt *p = world_pkt_new("www.a.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
	ldns_rr_list *set = world_zone_set(&za, "www.a.test.", LDNS_RR_TYPE_A);
	ldns_rr_list *sigs = world_sign_set(set, za.zsk, inception, expiration);
	an(p, set);
	an(p, sigs);
	return p;
}

static ldns_pkt *case_expired_signature(void)
{
	return www_signed_for(WORLD_NOW - 20 * WORLD_DAY, WORLD_NOW - WORLD_DAY);
}

static ldns_pkt *case_signature_not_yet_valid(void)
{
	return www_signed_for(WORLD_NOW + WORLD_DAY, WORLD_NOW + 20 * WORLD_DAY);
}

/* The window is checked against the time given to validation_new, not the clock. */
static ldns_pkt *case_signature_window_uses_given_time(void)
{
	return www_signed_for(WORLD_NOW - 2, WORLD_NOW + 2);
}

static ldns_pkt *case_ds_matches_no_dnskey(void)
{
	ldns_pkt *p = world_pkt_new("www.bad.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
	an(p, world_pick(&zbad, "www.bad.test.", LDNS_RR_TYPE_A));
	return p;
}

static ldns_pkt *case_missing_rrsig(void)
{
	ldns_pkt *p = world_pkt_new("www.a.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
	an(p, world_zone_set(&za, "www.a.test.", LDNS_RR_TYPE_A));
	return p;
}

/* A DNSKEY set whose only signature is by the ZSK (not the key the DS vouches for). */
START_TEST(test_dnskey_not_signed_by_ds_key)
{
	struct fake up;
	fake_init(&up);
	ldns_pkt *k = world_pkt_new("a.test.", LDNS_RR_TYPE_DNSKEY, LDNS_RCODE_NOERROR);
	ldns_rr_list *set = world_zone_set(&za, "a.test.", LDNS_RR_TYPE_DNSKEY);
	ldns_rr_list *sigs =
	    world_sign_set(set, za.zsk, WORLD_NOW - WORLD_DAY, WORLD_NOW + WORLD_DAY);
	an(k, set);
	an(k, sigs);
	fake_add(&up, "a.test.", LDNS_RR_TYPE_DNSKEY, body_of(k), true);
	ldns_pkt *p = world_pkt_new("www.a.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
	an(p, world_pick(&za, "www.a.test.", LDNS_RR_TYPE_A));
	expect_bogus(&up, p, EDE_BOGUS, EDE_DNSKEY_MISSING);
	fake_free(&up);
}
END_TEST

/* ---- denial of existence ---- */

static ldns_pkt *case_nxdomain_nsec(void)
{
	ldns_pkt *p = world_pkt_new("nx.a.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN);
	ns(p, world_pick(&za, "a.test.", LDNS_RR_TYPE_SOA));
	ns(p, world_pick(&za, "mail.a.test.", LDNS_RR_TYPE_NSEC)); /* covers nx.a.test. */
	ns(p, world_pick(&za, "a.test.", LDNS_RR_TYPE_NSEC));      /* covers *.a.test. */
	return p;
}

static ldns_pkt *case_nodata_nsec(void)
{
	ldns_pkt *p = world_pkt_new("www.a.test.", LDNS_RR_TYPE_AAAA, LDNS_RCODE_NOERROR);
	ns(p, world_pick(&za, "a.test.", LDNS_RR_TYPE_SOA));
	ns(p, world_pick(&za, "www.a.test.", LDNS_RR_TYPE_NSEC));
	return p;
}

/* NODATA for a type the NSEC says is there. */
START_TEST(test_nodata_nsec_type_present)
{
	struct fake up;
	fake_init(&up);
	ldns_pkt *p = world_pkt_new("www.a.test.", LDNS_RR_TYPE_TXT, LDNS_RCODE_NOERROR);
	ns(p, world_pick(&za, "a.test.", LDNS_RR_TYPE_SOA));
	ns(p, world_pick(&za, "www.a.test.", LDNS_RR_TYPE_NSEC));
	expect_bogus(&up, p, EDE_BOGUS, EDE_NSEC_MISSING);
	fake_free(&up);
}
END_TEST

static ldns_pkt *case_nxdomain_nsec3(void)
{
	ldns_pkt *p = world_pkt_new("nx.n3.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN);
	ns(p, world_pick(&zn3, "n3.test.", LDNS_RR_TYPE_SOA));
	/* The closest encloser's match, the next closer's and the wildcard's cover. */
	static const char *const proof[] = {"n3.test.", "nx.n3.test.", "*.n3.test."};
	ns(p, world_n3_proof(&zn3, proof, 3));
	return p;
}

static ldns_pkt *case_nodata_nsec3(void)
{
	ldns_pkt *p = world_pkt_new("www.n3.test.", LDNS_RR_TYPE_AAAA, LDNS_RCODE_NOERROR);
	ns(p, world_pick(&zn3, "n3.test.", LDNS_RR_TYPE_SOA));
	ns(p, world_n3_pick(&zn3, "www.n3.test."));
	return p;
}

/* NODATA with NSEC3 for a type the name's NSEC3 lists. */
START_TEST(test_nodata_nsec3_type_present)
{
	struct fake up;
	fake_init(&up);
	ldns_pkt *p = world_pkt_new("www.n3.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
	ns(p, world_pick(&zn3, "n3.test.", LDNS_RR_TYPE_SOA));
	ns(p, world_n3_pick(&zn3, "www.n3.test."));
	expect_bogus(&up, p, EDE_BOGUS, EDE_NSEC_MISSING);
	fake_free(&up);
}
END_TEST

/* NSEC3 NXDOMAIN with the closest encloser and next closer but no cover of the wildcard. */
static ldns_pkt *case_nxdomain_nsec3_without_wildcard_cover(void)
{
	size_t ce = world_n3_index(&zn3, "n3.test."), wc = world_n3_index(&zn3, "*.n3.test.");
	ck_assert_uint_ne(ce, wc); /* else the apex's own NSEC3 covers the wildcard */
	char qname[64];
	size_t nc = wc;
	for (unsigned i = 0; nc == wc && i < 1000; i++) {
		snprintf(qname, sizeof(qname), "nx%u.n3.test.", i);
		nc = world_n3_index(&zn3, qname);
	}
	ck_assert_uint_ne(nc, wc);
	ldns_pkt *p = world_pkt_new(qname, LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN);
	ns(p, world_pick(&zn3, "n3.test.", LDNS_RR_TYPE_SOA));
	const char *const proof[] = {"n3.test.", qname};
	ns(p, world_n3_proof(&zn3, proof, 2));
	return p;
}

/*
 * NODATA at the empty non-terminal w.a.test. (only *.w.a.test. and y.w.a.test. exist below
 * it). The proof is the NSEC that covers the name and whose next name is below it, which is
 * what authoritative servers send; no wildcard proof is needed, since the name exists.
 */
static ldns_pkt *case_nodata_nsec_empty_non_terminal(void)
{
	ldns_pkt *p = world_pkt_new("w.a.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
	ns(p, world_pick(&za, "a.test.", LDNS_RR_TYPE_SOA));
	ns(p,
	   world_pick(&za, "mail.a.test.", LDNS_RR_TYPE_NSEC)); /* mail -> *.w: covers w.a.test. */
	return p;
}

static ldns_pkt *case_nxdomain_without_nsec(void)
{
	ldns_pkt *p = world_pkt_new("nx.a.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN);
	ns(p, world_pick(&za, "a.test.", LDNS_RR_TYPE_SOA));
	/* RFC 8914 4.13: the data is missing and no covering NSEC or NSEC3 came with it. */
	return p;
}

/* The NSEC proves the name but not the wildcard: *.a.test. could have answered. */
static ldns_pkt *case_nxdomain_without_wildcard_proof(void)
{
	ldns_pkt *p = world_pkt_new("nx.a.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN);
	ns(p, world_pick(&za, "a.test.", LDNS_RR_TYPE_SOA));
	ns(p, world_pick(&za, "mail.a.test.", LDNS_RR_TYPE_NSEC));
	return p;
}

/*
 * NXDOMAIN "proven" by the NSEC that owns the name: it shows www.a.test. exists, so an
 * NXDOMAIN is false (RFC 4035 5.4 wants an NSEC covering the name, not matching it).
 */
START_TEST(test_nxdomain_with_nodata_proof)
{
	struct fake up;
	fake_init(&up);
	ldns_pkt *p = world_pkt_new("www.a.test.", LDNS_RR_TYPE_AAAA, LDNS_RCODE_NXDOMAIN);
	ns(p, world_pick(&za, "a.test.", LDNS_RR_TYPE_SOA));
	ns(p, world_pick(&za, "www.a.test.", LDNS_RR_TYPE_NSEC));
	expect_bogus(&up, p, EDE_BOGUS, EDE_NSEC_MISSING);
	fake_free(&up);
}
END_TEST

/*
 * NXDOMAIN for www.b.test. with a.test.'s own, validly signed SOA and NSECs: a.test.'s last
 * NSEC (www.a.test. -> a.test.) "covers" every name outside a.test., but a.test. can deny
 * nothing in b.test. (RFC 4035 5.3.1/5.4: the signer must be the zone holding the name).
 */
START_TEST(test_nxdomain_proof_from_other_zone)
{
	struct fake up;
	fake_init(&up);
	ldns_pkt *p = world_pkt_new("www.b.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN);
	ns(p, world_pick(&za, "a.test.", LDNS_RR_TYPE_SOA));
	ns(p, world_pick(&za, "www.a.test.", LDNS_RR_TYPE_NSEC));
	expect_bogus(&up, p, EDE_BOGUS, EDE_NSEC_MISSING);
	fake_free(&up);
}
END_TEST

/* ---- insecure ---- */

START_TEST(test_insecure_delegation_nsec)
{
	struct fake up;
	fake_init(&up);
	ldns_pkt *p = world_pkt_new("www.insec.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
	ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, world_rr_new("www.insec.test. A 192.0.2.7"));
	expect(&up, p, VALIDATE_INSECURE, EDE_NONE);
	ck_assert_uint_eq(up.ds_asks, 2); /* test., insec.test. */
	fake_free(&up);
}
END_TEST

static ldns_pkt *case_insecure_delegation_nsec3(void)
{
	ldns_pkt *p = world_pkt_new("www.sub.n3.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
	ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, world_rr_new("www.sub.n3.test. A 192.0.2.8"));
	return p;
}

/* A parent that claims DS at the child in its NSEC but gives none is lying. */
START_TEST(test_no_ds_but_nsec_has_ds_bit)
{
	struct fake up;
	fake_init(&up);
	up_nodata_nsec(&up, &ztld, "a.test.", "a.test.");
	ldns_pkt *p = world_pkt_new("www.a.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
	an(p, world_pick(&za, "www.a.test.", LDNS_RR_TYPE_A));
	expect(&up, p, VALIDATE_BOGUS, EDE_BOGUS);
	fake_free(&up);
}
END_TEST

/* A parent that answers the DS query with nothing at all (no DS, no proof). */
START_TEST(test_no_ds_without_proof)
{
	struct fake up;
	fake_init(&up);
	fake_add(&up, "a.test.", LDNS_RR_TYPE_DS,
		 body_of(world_pkt_new("a.test.", LDNS_RR_TYPE_DS, LDNS_RCODE_NOERROR)), true);
	ldns_pkt *p = world_pkt_new("www.a.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
	an(p, world_pick(&za, "www.a.test.", LDNS_RR_TYPE_A));
	expect(&up, p, VALIDATE_BOGUS, EDE_NSEC_MISSING);
	fake_free(&up);
}
END_TEST

static ldns_pkt *case_nsec3_too_many_iterations(void)
{
	ldns_pkt *p = world_pkt_new("nx.it.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN);
	ns(p, world_pick(&zit, "it.test.", LDNS_RR_TYPE_SOA));
	static const char *const proof[] = {"it.test.", "nx.it.test.", "*.it.test."};
	ns(p, world_n3_proof(&zit, proof, 3));
	return p;
}

START_TEST(test_ds_unsupported_algorithm)
{
	struct fake up;
	fake_init(&up);
	ldns_pkt *p = world_pkt_new("www.unsup.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
	ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, world_rr_new("www.unsup.test. A 192.0.2.9"));
	expect(&up, p, VALIDATE_INSECURE, EDE_NONE);
	ck_assert_msg(!strstr(up.log, "unsup.test./DNSKEY"), "asked:%s", up.log);
	fake_free(&up);
}
END_TEST

/*
 * A DS whose algorithm, 157, is no DNSSEC algorithm (it is a TSIG HMAC number in ldns's
 * table): RFC 4035 5.2 and RFC 6840 5.2 make the zone insecure, as for 100 above.
 */
static ldns_pkt *case_ds_non_dnssec_algorithm(void)
{
	ldns_pkt *p = world_pkt_new("www.hmac.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
	ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, world_rr_new("www.hmac.test. A 192.0.2.10"));
	return p;
}

START_TEST(test_negative_trust_anchor)
{
	struct fake up;
	fake_init(&up);
	ldns_pkt *p = world_pkt_new("www.corp.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
	ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, world_rr_new("www.corp.test. A 10.1.2.3"));
	expect(&up, p, VALIDATE_INSECURE, EDE_NONE);
	ck_assert_uint_eq(up.asks, 0);
	fake_free(&up);
}
END_TEST

/* The built-in negative anchors (home.arpa. here) need no configuration. */
START_TEST(test_builtin_negative_trust_anchor)
{
	struct fake up;
	fake_init(&up);
	ldns_pkt *p = world_pkt_new("nas.home.arpa.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
	ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, world_rr_new("nas.home.arpa. A 10.1.2.4"));
	expect(&up, p, VALIDATE_INSECURE, EDE_NONE);
	ck_assert_uint_eq(up.asks, 0);
	fake_free(&up);
}
END_TEST

/* ---- wildcards ---- */

static ldns_rr_list *wild_expanded(const char *name)
{
	return world_expanded(&za, "*.w.a.test.", name);
}

static ldns_pkt *case_wildcard_with_proof(void)
{
	ldns_pkt *p = world_pkt_new("foo.w.a.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
	an(p, wild_expanded("foo.w.a.test."));
	ns(p, world_pick(&za, "*.w.a.test.", LDNS_RR_TYPE_NSEC)); /* covers foo.w.a.test. */
	return p;
}

static ldns_pkt *case_wildcard_without_proof(void)
{
	ldns_pkt *p = world_pkt_new("foo.w.a.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
	an(p, wild_expanded("foo.w.a.test."));
	return p;
}

/* The proof must cover the name: an NSEC elsewhere in the zone proves nothing. */
static ldns_pkt *case_wildcard_with_unrelated_nsec(void)
{
	ldns_pkt *p = world_pkt_new("foo.w.a.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
	an(p, wild_expanded("foo.w.a.test."));
	ns(p, world_pick(&za, "mail.a.test.", LDNS_RR_TYPE_NSEC));
	return p;
}

/*
 * Found in review: the wildcard proof was decided by the first RRSIG listed, not by the one
 * that verified. A forged RRSIG claiming the owner's full label count, listed before the
 * wildcard's genuine one, made the expansion pass without any NSEC proof.
 */
START_TEST(test_wildcard_forged_first_rrsig)
{
	struct fake up;
	fake_init(&up);
	ldns_pkt *p = world_pkt_new("foo.w.a.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
	ldns_rr_list *l = wild_expanded("foo.w.a.test.");
	ldns_rr *real = NULL;
	for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++) {
		ldns_rr *rr = ldns_rr_list_rr(l, i);
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG)
			real = rr;
		else
			ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, ldns_rr_clone(rr));
	}
	ck_assert_ptr_nonnull(real);
	ldns_rr *forged = ldns_rr_clone(real);
	world_rr_set(forged, 2, ldns_native2rdf_int8(LDNS_RDF_TYPE_INT8, 4)); /* no wildcard */
	uint8_t junk[64];
	memset(junk, 0x5a, sizeof(junk));
	world_rr_set(forged, 8, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_B64, sizeof(junk), junk));
	ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, forged);
	ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, ldns_rr_clone(real));
	ldns_rr_list_deep_free(l);
	expect(&up, p, VALIDATE_BOGUS, EDE_NSEC_MISSING);
	fake_free(&up);
}
END_TEST

/*
 * Found in review: *.w.a.test.'s NSEC (signed with 3 labels, as a wildcard owner) copied onto
 * y.w.a.test. verifies, as a wildcard expansion would, so any bitmap of a wildcard's NSEC could
 * be made to speak for a name below it (NODATA or NXDOMAIN for data that exists). An NSEC
 * counts only for its own owner: this proof is refused, though here its claim (no TXT at
 * y.w.a.test.) happens to be true; y.w.a.test.'s own NSEC is the proof.
 */
START_TEST(test_nodata_with_expanded_wildcard_nsec)
{
	struct fake up;
	fake_init(&up);
	ldns_pkt *p = world_pkt_new("y.w.a.test.", LDNS_RR_TYPE_TXT, LDNS_RCODE_NOERROR);
	ns(p, world_pick(&za, "a.test.", LDNS_RR_TYPE_SOA));
	ldns_rr_list *wn = world_pick(&za, "*.w.a.test.", LDNS_RR_TYPE_NSEC);
	world_rename_all(wn, "y.w.a.test.");
	ns(p, wn);
	expect_bogus(&up, p, EDE_BOGUS, EDE_NSEC_MISSING);
	fake_free(&up);
}
END_TEST

/*
 * x.y.w.a.test. cannot come from *.w.a.test.: y.w.a.test. exists, so the closest encloser is
 * y.w.a.test. and the real answer is NXDOMAIN. The NSEC y.w.a.test. -> www.a.test. covers
 * x.y.w.a.test. but also shows that closer match (RFC 4035 5.3.4, RFC 4592 4.1).
 */
START_TEST(test_wildcard_below_existing_name)
{
	struct fake up;
	fake_init(&up);
	ldns_pkt *p = world_pkt_new("x.y.w.a.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
	an(p, wild_expanded("x.y.w.a.test."));
	ns(p, world_pick(&za, "y.w.a.test.", LDNS_RR_TYPE_NSEC));
	expect_bogus(&up, p, EDE_BOGUS, EDE_NSEC_MISSING);
	fake_free(&up);
}
END_TEST

/*
 * *.w.a.test. expanded for y.w.a.test., which exists (its A is 192.0.2.50). The only NSEC
 * offered is y.w.a.test.'s own: it proves the name exists, so no wildcard can answer for it.
 * Accepting this lets anyone replace the data of existing names with the wildcard's, using
 * nothing but validly signed records.
 */
START_TEST(test_wildcard_replaces_existing_name)
{
	struct fake up;
	fake_init(&up);
	ldns_pkt *p = world_pkt_new("y.w.a.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
	an(p, wild_expanded("y.w.a.test."));
	ns(p, world_pick(&za, "y.w.a.test.", LDNS_RR_TYPE_NSEC));
	expect_bogus(&up, p, EDE_BOGUS, EDE_NSEC_MISSING);
	fake_free(&up);
}
END_TEST

static ldns_pkt *case_wildcard_nsec3_with_proof(void)
{
	ldns_pkt *p = world_pkt_new("foo.w.n3.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
	an(p, world_expanded(&zn3, "*.w.n3.test.", "foo.w.n3.test."));
	ns(p, world_n3_pick(&zn3, "foo.w.n3.test.")); /* covers the next closer name */
	return p;
}

static ldns_pkt *case_wildcard_nsec3_without_proof(void)
{
	ldns_pkt *p = world_pkt_new("foo.w.n3.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
	an(p, world_expanded(&zn3, "*.w.n3.test.", "foo.w.n3.test."));
	return p;
}

/* The NSEC3 variant: y.w.n3.test. exists, and its NSEC3 matches (not covers) the name. */
START_TEST(test_wildcard_nsec3_replaces_existing_name)
{
	struct fake up;
	fake_init(&up);
	ldns_pkt *p = world_pkt_new("y.w.n3.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
	an(p, world_expanded(&zn3, "*.w.n3.test.", "y.w.n3.test."));
	ns(p, world_n3_pick(&zn3, "y.w.n3.test."));
	expect_bogus(&up, p, EDE_BOGUS, EDE_NSEC_MISSING);
	fake_free(&up);
}
END_TEST

/* ---- CNAME chains ---- */

static ldns_pkt *case_cname_secure_to_secure(void)
{
	ldns_pkt *p = world_pkt_new("alias.a.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
	an(p, world_pick(&za, "alias.a.test.", LDNS_RR_TYPE_CNAME));
	an(p, world_pick(&zb, "www.b.test.", LDNS_RR_TYPE_A));
	return p;
}

static ldns_pkt *case_cname_secure_to_insecure(void)
{
	ldns_pkt *p = world_pkt_new("alias2.a.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
	an(p, world_pick(&za, "alias2.a.test.", LDNS_RR_TYPE_CNAME));
	ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, world_rr_new("www.insec.test. A 192.0.2.7"));
	return p;
}

/*
 * Only the CNAME, no data for its target and no SOA saying there is none: the server did not
 * follow the chain (fetch.c resolves the target on its own). The CNAME is what there is to
 * check; a forged one is still bogus, and a NODATA for the target with its SOA still needs
 * its denial.
 */
START_TEST(test_cname_not_followed)
{
	struct fake up;
	fake_init(&up);
	ldns_pkt *p = world_pkt_new("alias.a.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
	an(p, world_pick(&za, "alias.a.test.", LDNS_RR_TYPE_CNAME));
	expect(&up, p, VALIDATE_SECURE, EDE_NONE);
	p = world_pkt_new("alias.a.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
	ldns_rr_list *l = world_pick(&za, "alias.a.test.", LDNS_RR_TYPE_CNAME);
	ldns_rdf *target = ldns_dname_new_frm_str("www.evil.test.");
	world_rr_set(ldns_rr_list_rr(l, 0), 0, target);
	an(p, l);
	expect(&up, p, VALIDATE_BOGUS, EDE_BOGUS);
	p = world_pkt_new("alias.a.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
	an(p, world_pick(&za, "alias.a.test.", LDNS_RR_TYPE_CNAME));
	ns(p, world_pick(&zb, "b.test.", LDNS_RR_TYPE_SOA));
	expect(&up, p, VALIDATE_BOGUS, EDE_NSEC_MISSING);
	fake_free(&up);
}
END_TEST

/* The CNAME is fine; its target's record in the secure b.test. was altered. */
static ldns_pkt *case_cname_to_bogus_target(void)
{
	ldns_pkt *p = world_pkt_new("alias.a.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
	an(p, world_pick(&za, "alias.a.test.", LDNS_RR_TYPE_CNAME));
	ldns_rr_list *l = world_pick(&zb, "www.b.test.", LDNS_RR_TYPE_A);
	ldns_rdf *addr = NULL;
	ck_assert_int_eq(ldns_str2rdf_a(&addr, "192.0.2.66"), LDNS_STATUS_OK);
	world_rr_set(ldns_rr_list_rr(l, 0), 0, addr);
	an(p, l);
	return p;
}

/* ---- signatures that name the wrong signer ---- */

/* RRSIGs of l made to look as if zone `signer` had signed them. */
static void resign_as(ldns_rr_list *l, const char *signer)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++)
		if (ldns_rr_get_type(ldns_rr_list_rr(l, i)) == LDNS_RR_TYPE_RRSIG)
			world_rr_set(ldns_rr_list_rr(l, i), 7, world_dname(signer));
}

/*
 * A forged www.a.test. A whose RRSIG claims the unsigned insec.test. as signer. a.test. is
 * secure, so this must not pass as INSECURE (RFC 4035 5.3.1: the signer is the zone that
 * holds the RRset; here it is not even an ancestor of the owner).
 */
START_TEST(test_signer_outside_owner_zone)
{
	struct fake up;
	fake_init(&up);
	ldns_pkt *p = world_pkt_new("www.a.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
	ldns_rr_list *l = world_pick(&za, "www.a.test.", LDNS_RR_TYPE_A);
	ldns_rdf *addr = NULL;
	ck_assert_int_eq(ldns_str2rdf_a(&addr, "192.0.2.66"), LDNS_STATUS_OK);
	world_rr_set(ldns_rr_list_rr(l, 0), 0, addr);
	resign_as(l, "insec.test.");
	an(p, l);
	expect_bogus(&up, p, EDE_BOGUS, EDE_RRSIGS_MISSING);
	fake_free(&up);
}
END_TEST

/* The same with a built-in negative trust anchor as the claimed signer: no lookup at all. */
START_TEST(test_signer_is_negative_anchor)
{
	struct fake up;
	fake_init(&up);
	ldns_pkt *p = world_pkt_new("www.a.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
	ldns_rr_list *l = world_pick(&za, "www.a.test.", LDNS_RR_TYPE_A);
	resign_as(l, "home.arpa.");
	an(p, l);
	expect_bogus(&up, p, EDE_BOGUS, EDE_RRSIGS_MISSING);
	fake_free(&up);
}
END_TEST

/* A forged NXDOMAIN for the secure www.a.test. whose authority claims the insecure signer. */
START_TEST(test_nxdomain_signed_by_other_zone)
{
	struct fake up;
	fake_init(&up);
	ldns_pkt *p = world_pkt_new("www.a.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN);
	ldns_rr_list *l = world_pick(&za, "a.test.", LDNS_RR_TYPE_SOA);
	world_rename_all(l, "insec.test.");
	resign_as(l, "insec.test.");
	ns(p, l);
	expect_bogus(&up, p, EDE_BOGUS, EDE_NSEC_MISSING);
	fake_free(&up);
}
END_TEST

/* ---- key cache, anchors, failures ---- */

START_TEST(test_keycache_reuse)
{
	struct fake up;
	fake_init(&up);
	struct keycache *kc = keycache_new(1000);
	int ede;
	ldns_pkt *p = world_pkt_new("www.a.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
	an(p, world_pick(&za, "www.a.test.", LDNS_RR_TYPE_A));
	struct body b = body_of(p);
	ck_assert_int_eq(run_with(&up, world_anchors, kc, b, &ede), VALIDATE_SECURE);
	free(b.data);
	ck_assert_uint_gt(up.ds_asks, 0);
	ck_assert_uint_gt(up.dnskey_asks, 0);

	struct fake again;
	fake_init(&again);
	p = world_pkt_new("mail.a.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
	an(p, world_pick(&za, "mail.a.test.", LDNS_RR_TYPE_A));
	b = body_of(p);
	ck_assert_int_eq(run_with(&again, world_anchors, kc, b, &ede), VALIDATE_SECURE);
	free(b.data);
	ck_assert_msg(again.asks == 0, "asked:%s", again.log);

	/* A sibling zone reuses the root and test. keys: only its own DS and DNSKEY. */
	struct fake sib;
	fake_init(&sib);
	p = world_pkt_new("www.b.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
	an(p, world_pick(&zb, "www.b.test.", LDNS_RR_TYPE_A));
	b = body_of(p);
	ck_assert_int_eq(run_with(&sib, world_anchors, kc, b, &ede), VALIDATE_SECURE);
	free(b.data);
	ck_assert_msg(sib.asks == 2 && sib.ds_asks == 1, "asked:%s", sib.log);

	keycache_free(kc);
	fake_free(&up);
	fake_free(&again);
	fake_free(&sib);
}
END_TEST

/* A broken chain is remembered too: the second answer costs no lookup and stays bogus. */
START_TEST(test_keycache_remembers_bogus)
{
	struct fake up;
	fake_init(&up);
	struct keycache *kc = keycache_new(1000);
	int ede;
	for (int i = 0; i < 2; i++) {
		unsigned before = up.asks;
		ldns_pkt *p = world_pkt_new("www.bad.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
		an(p, world_pick(&zbad, "www.bad.test.", LDNS_RR_TYPE_A));
		struct body b = body_of(p);
		ck_assert_int_eq(run_with(&up, world_anchors, kc, b, &ede), VALIDATE_BOGUS);
		ck_assert_int_eq(ede, EDE_DNSKEY_MISSING);
		free(b.data);
		if (i == 1)
			ck_assert_msg(up.asks == before, "asked:%s", up.log);
	}
	keycache_free(kc);
	fake_free(&up);
}
END_TEST

/* The root anchor given as its KSK's DNSKEY instead of a DS. */
START_TEST(test_anchor_as_dnskey)
{
	char text[1024];
	ldns_rr_list *keys = world_zone_set(&zroot, ".", LDNS_RR_TYPE_DNSKEY);
	for (size_t i = 0; i < ldns_rr_list_rr_count(keys); i++)
		if (ldns_rdf2native_int16(ldns_rr_rdf(ldns_rr_list_rr(keys, i), 0)) == 257)
			world_rr_text(ldns_rr_list_rr(keys, i), text, sizeof(text));
	ldns_rr_list_deep_free(keys);
	struct anchor_set *as = world_anchors_from(text, NULL, 0);
	struct fake up;
	fake_init(&up);
	struct keycache *kc = keycache_new(100);
	int ede;
	ldns_pkt *p = world_pkt_new("www.a.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
	an(p, world_pick(&za, "www.a.test.", LDNS_RR_TYPE_A));
	struct body b = body_of(p);
	ck_assert_int_eq(run_with(&up, as, kc, b, &ede), VALIDATE_SECURE);
	free(b.data);
	keycache_free(kc);
	anchor_set_free(as);
	fake_free(&up);
}
END_TEST

/* An anchor at a.test.: the walk starts there; b.test. has no anchor above it at all. */
START_TEST(test_anchor_below_root)
{
	char text[1024];
	ldns_rr *ds = world_zone_ds(&za);
	world_rr_text(ds, text, sizeof(text));
	ldns_rr_free(ds);
	struct anchor_set *as = world_anchors_from(text, NULL, 0);
	struct fake up;
	fake_init(&up);
	struct keycache *kc = keycache_new(100);
	int ede;
	ldns_pkt *p = world_pkt_new("www.a.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
	an(p, world_pick(&za, "www.a.test.", LDNS_RR_TYPE_A));
	struct body b = body_of(p);
	ck_assert_int_eq(run_with(&up, as, kc, b, &ede), VALIDATE_SECURE);
	free(b.data);
	ck_assert_msg(up.asks == 1 && strstr(up.log, "a.test./DNSKEY"), "asked:%s", up.log);

	p = world_pkt_new("www.b.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
	an(p, world_pick(&zb, "www.b.test.", LDNS_RR_TYPE_A));
	b = body_of(p);
	ck_assert_int_eq(run_with(&up, as, kc, b, &ede), VALIDATE_INSECURE);
	free(b.data);
	ck_assert_uint_eq(up.asks, 1);
	keycache_free(kc);
	anchor_set_free(as);
	fake_free(&up);
}
END_TEST

START_TEST(test_upstream_failure)
{
	struct fake up;
	fake_init(&up);
	up.fail_all = true;
	ldns_pkt *p = world_pkt_new("www.a.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
	an(p, world_pick(&za, "www.a.test.", LDNS_RR_TYPE_A));
	/* No DNSKEY for the anchored root could be had. */
	expect(&up, p, VALIDATE_BOGUS, EDE_DNSKEY_MISSING);
	ck_assert_uint_eq(up.asks, 1);
	fake_free(&up);
}
END_TEST

START_TEST(test_upstream_failure_on_ds)
{
	struct fake up;
	fake_init(&up);
	fake_add(&up, "a.test.", LDNS_RR_TYPE_DS, (struct body){0}, false);
	ldns_pkt *p = world_pkt_new("www.a.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
	an(p, world_pick(&za, "www.a.test.", LDNS_RR_TYPE_A));
	expect(&up, p, VALIDATE_BOGUS, EDE_BOGUS);
	fake_free(&up);
}
END_TEST

START_TEST(test_unparsable_answer)
{
	static const uint8_t junk[] = {0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, 3, 'w'};
	struct keycache *kc = keycache_new(10);
	struct validation *v =
	    validation_new(world_anchors, kc, junk, sizeof(junk), WORLD_NOW, WORLD_NOW_MS);
	struct validate_need need;
	int ede;
	ck_assert_int_eq(validation_step(v, &need), VALIDATE_DONE);
	ck_assert_int_eq(validation_result(v, &ede), VALIDATE_BOGUS);
	ck_assert_int_eq(ede, EDE_BOGUS);
	validation_free(v);
	validation_free(NULL);
	keycache_free(kc);
}
END_TEST

/* The record of text with only its first keep rdata fields, as ldns parses one cut short. */
static ldns_rr *rr_cut(const char *text, size_t keep)
{
	ldns_rr *rr = world_rr_new("%s", text);
	while (ldns_rr_rd_count(rr) > keep)
		ldns_rdf_deep_free(ldns_rr_pop_rdf(rr));
	return rr;
}

/* Records of the types validation reads, each cut before a field its type requires. */
static const struct {
	const char *text;
	size_t keep;
} cut_records[] = {
    {"www.a.test. CNAME www.b.test.", 0},
    {"www.a.test. DNAME b.test.", 0},
    {"a.test. SOA ns.invalid. hostmaster.invalid. 1 7200 900 1209600 300", 2},
    {"www.a.test. DS 12345 13 2 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
     2},
    {"www.a.test. DNSKEY 257 3 13 " KEY64, 3},
    {"www.a.test. RRSIG A 13 3 3600 20231215000000 20231101000000 12345 a.test. " KEY64, 1},
    {"www.a.test. NSEC zzz.a.test. A RRSIG NSEC", 0},
    {"0123456789abcdefghijklmnopqrstuv.a.test. NSEC3 1 0 1 ab 0123456789abcdefghijklmnopqrstuv A",
     3},
    {"a.test. NSEC3PARAM 1 0 1 ab", 2},
};

/*
 * An answer with such a record, in any section, is malformed: BOGUS before anything is asked.
 * (ldns's accessors assert on the missing fields: a CNAME without rdata crashed the daemon.)
 */
START_TEST(test_record_cut_short)
{
	for (size_t i = 0; i < sizeof(cut_records) / sizeof(cut_records[0]); i++) {
		for (int sec = LDNS_SECTION_ANSWER; sec <= LDNS_SECTION_ADDITIONAL; sec++) {
			struct fake up;
			fake_init(&up);
			ldns_pkt *p =
			    world_pkt_new("www.a.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
			an(p, world_pick(&za, "www.a.test.", LDNS_RR_TYPE_A));
			ldns_pkt_push_rr(p, sec, rr_cut(cut_records[i].text, cut_records[i].keep));
			int ede;
			enum validate_status st = run(&up, p, &ede);
			ck_assert_msg(st == VALIDATE_BOGUS && ede == EDE_BOGUS && up.asks == 0,
				      "%s (section %d): got %s EDE %d; asked:%s",
				      cut_records[i].text, sec, status_name(st), ede, up.log);
			fake_free(&up);
		}
	}
}
END_TEST

/* A key reply with its RRSIG cut after the type field counts as no reply (the root's: EDE 9). */
START_TEST(test_key_reply_cut_short)
{
	struct fake up;
	fake_init(&up);
	ldns_pkt *k = world_pkt_new(".", LDNS_RR_TYPE_DNSKEY, LDNS_RCODE_NOERROR);
	ldns_rr_list *keys = world_pick(&zroot, ".", LDNS_RR_TYPE_DNSKEY);
	for (size_t i = 0; i < ldns_rr_list_rr_count(keys); i++) {
		ldns_rr *rr = ldns_rr_list_rr(keys, i);
		while (ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG && ldns_rr_rd_count(rr) > 1)
			ldns_rdf_deep_free(ldns_rr_pop_rdf(rr));
	}
	an(k, keys);
	fake_add(&up, ".", LDNS_RR_TYPE_DNSKEY, body_of(k), true);
	ldns_pkt *p = world_pkt_new("www.a.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
	an(p, world_pick(&za, "www.a.test.", LDNS_RR_TYPE_A));
	expect(&up, p, VALIDATE_BOGUS, EDE_DNSKEY_MISSING);
	ck_assert_uint_eq(up.asks, 1);
	fake_free(&up);
}
END_TEST

/* ---- validate_strip ---- */

/* The answer and authority of a signed NODATA-plus-data reply, for stripping. */
static struct body strip_input(ldns_rr_type qtype)
{
	ldns_pkt *p = world_pkt_new("www.a.test.", qtype, LDNS_RCODE_NOERROR);
	if (qtype == LDNS_RR_TYPE_NSEC)
		an(p, world_pick(&za, "www.a.test.", LDNS_RR_TYPE_NSEC));
	else
		an(p, world_pick(&za, "www.a.test.", LDNS_RR_TYPE_A));
	ns(p, world_pick(&za, "a.test.", LDNS_RR_TYPE_SOA));
	ns(p, world_pick(&za, "mail.a.test.", LDNS_RR_TYPE_NSEC));
	world_put(p, LDNS_SECTION_ADDITIONAL, world_pick(&za, "mail.a.test.", LDNS_RR_TYPE_A));
	return body_of(p);
}

/* How many records of type t in section s of the body. */
static size_t count_type(const uint8_t *data, size_t len, ldns_pkt_section s, ldns_rr_type t)
{
	ldns_pkt *p = NULL;
	ck_assert_int_eq(ldns_wire2pkt(&p, data, len), LDNS_STATUS_OK);
	ldns_rr_list *l = ldns_pkt_rr_list_by_type(p, t, s);
	size_t n = l ? ldns_rr_list_rr_count(l) : 0;
	ldns_rr_list_deep_free(l);
	ldns_pkt_free(p);
	return n;
}

START_TEST(test_strip)
{
	struct body in = strip_input(LDNS_RR_TYPE_A);
	uint8_t out[4096];
	size_t n = validate_strip(in.data, in.len, LDNS_RR_TYPE_A, out, sizeof(out));
	ck_assert_uint_gt(n, MSG_HDR_LEN);
	ck_assert_uint_lt(n, in.len);
	ck_assert_uint_eq(msg_get16(out + 6), 1);  /* ANCOUNT: the A */
	ck_assert_uint_eq(msg_get16(out + 8), 1);  /* NSCOUNT: the SOA */
	ck_assert_uint_eq(msg_get16(out + 10), 1); /* ARCOUNT: mail's A */
	ck_assert_uint_eq(count_type(out, n, LDNS_SECTION_ANSWER, LDNS_RR_TYPE_A), 1);
	ck_assert_uint_eq(count_type(out, n, LDNS_SECTION_AUTHORITY, LDNS_RR_TYPE_SOA), 1);
	ck_assert_uint_eq(count_type(out, n, LDNS_SECTION_ADDITIONAL, LDNS_RR_TYPE_A), 1);
	ck_assert_uint_eq(msg_get16(out), msg_get16(in.data)); /* the header is kept */
	ck_assert_uint_eq(msg_get16(out + 2), msg_get16(in.data + 2));
	free(in.data);
}
END_TEST

START_TEST(test_strip_keeps_asked_type)
{
	uint8_t out[4096];
	struct body in = strip_input(LDNS_RR_TYPE_NSEC);
	size_t n = validate_strip(in.data, in.len, LDNS_RR_TYPE_NSEC, out, sizeof(out));
	ck_assert_uint_gt(n, 0);
	ck_assert_uint_eq(count_type(out, n, LDNS_SECTION_ANSWER, LDNS_RR_TYPE_NSEC), 1);
	ck_assert_uint_eq(count_type(out, n, LDNS_SECTION_ANSWER, LDNS_RR_TYPE_RRSIG), 0);
	ck_assert_uint_eq(count_type(out, n, LDNS_SECTION_AUTHORITY, LDNS_RR_TYPE_NSEC), 0);
	free(in.data);

	in = strip_input(LDNS_RR_TYPE_RRSIG);
	n = validate_strip(in.data, in.len, LDNS_RR_TYPE_RRSIG, out, sizeof(out));
	ck_assert_uint_gt(n, 0);
	ck_assert_uint_eq(count_type(out, n, LDNS_SECTION_ANSWER, LDNS_RR_TYPE_RRSIG), 1);
	ck_assert_uint_eq(count_type(out, n, LDNS_SECTION_AUTHORITY, LDNS_RR_TYPE_RRSIG), 0);
	ck_assert_uint_eq(count_type(out, n, LDNS_SECTION_ADDITIONAL, LDNS_RR_TYPE_RRSIG), 0);
	free(in.data);

	ldns_rr_list *l = world_n3_pick(&zn3, "n3.test.");
	char *owner = ldns_rdf2str(ldns_rr_owner(ldns_rr_list_rr(l, 0)));
	ldns_pkt *p = world_pkt_new(owner, LDNS_RR_TYPE_NSEC3, LDNS_RCODE_NOERROR);
	free(owner);
	an(p, l);
	in = body_of(p);
	n = validate_strip(in.data, in.len, LDNS_RR_TYPE_NSEC3, out, sizeof(out));
	ck_assert_uint_eq(count_type(out, n, LDNS_SECTION_ANSWER, LDNS_RR_TYPE_NSEC3), 1);
	ck_assert_uint_eq(count_type(out, n, LDNS_SECTION_ANSWER, LDNS_RR_TYPE_RRSIG), 0);
	free(in.data);
}
END_TEST

START_TEST(test_strip_limits)
{
	uint8_t out[4096];
	struct body in = strip_input(LDNS_RR_TYPE_A);
	ck_assert_uint_eq(validate_strip(in.data, 7, LDNS_RR_TYPE_A, out, sizeof(out)), 0);
	size_t n = validate_strip(in.data, in.len, LDNS_RR_TYPE_A, out, sizeof(out));
	ck_assert_uint_eq(validate_strip(in.data, in.len, LDNS_RR_TYPE_A, out, n - 1), 0);
	ck_assert_uint_eq(validate_strip(in.data, in.len, LDNS_RR_TYPE_A, out, n), n);
	free(in.data);
}
END_TEST

/*
 * The cases that are one answer and one outcome: each row names the case, the function that
 * builds its answer (above, with what it shows) and the status and EDE the validator must
 * give, against the world's upstream and a fresh key cache.
 */
struct validate_case {
	const char *name;
	ldns_pkt *(*answer)(void);
	enum validate_status want;
	int ede;
};

static const struct validate_case cases[] = {
    {"secure_answer_csk_ed25519", case_secure_answer_csk_ed25519, VALIDATE_SECURE, EDE_NONE},
    {"secure_answer_mixed_case", case_secure_answer_mixed_case, VALIDATE_SECURE, EDE_NONE},
    {"altered_answer", case_altered_answer, VALIDATE_BOGUS, EDE_BOGUS},
    {"expired_signature", case_expired_signature, VALIDATE_BOGUS, EDE_SIG_EXPIRED},
    {"signature_not_yet_valid", case_signature_not_yet_valid, VALIDATE_BOGUS, EDE_SIG_NOT_YET},
    {"signature_window_uses_given_time", case_signature_window_uses_given_time, VALIDATE_SECURE,
     EDE_NONE},
    {"ds_matches_no_dnskey", case_ds_matches_no_dnskey, VALIDATE_BOGUS, EDE_DNSKEY_MISSING},
    {"missing_rrsig", case_missing_rrsig, VALIDATE_BOGUS, EDE_RRSIGS_MISSING},
    {"nxdomain_nsec", case_nxdomain_nsec, VALIDATE_SECURE, EDE_NONE},
    {"nodata_nsec", case_nodata_nsec, VALIDATE_SECURE, EDE_NONE},
    {"nxdomain_nsec3", case_nxdomain_nsec3, VALIDATE_SECURE, EDE_NONE},
    {"nodata_nsec3", case_nodata_nsec3, VALIDATE_SECURE, EDE_NONE},
    {"nxdomain_nsec3_without_wildcard_cover", case_nxdomain_nsec3_without_wildcard_cover,
     VALIDATE_BOGUS, EDE_NSEC_MISSING},
    {"nodata_nsec_empty_non_terminal", case_nodata_nsec_empty_non_terminal, VALIDATE_SECURE,
     EDE_NONE},
    {"nxdomain_without_nsec", case_nxdomain_without_nsec, VALIDATE_BOGUS, EDE_NSEC_MISSING},
    {"nxdomain_without_wildcard_proof", case_nxdomain_without_wildcard_proof, VALIDATE_BOGUS,
     EDE_NSEC_MISSING},
    {"insecure_delegation_nsec3", case_insecure_delegation_nsec3, VALIDATE_INSECURE, EDE_NONE},
    {"nsec3_too_many_iterations", case_nsec3_too_many_iterations, VALIDATE_INSECURE, EDE_NONE},
    {"ds_non_dnssec_algorithm", case_ds_non_dnssec_algorithm, VALIDATE_INSECURE, EDE_NONE},
    {"wildcard_with_proof", case_wildcard_with_proof, VALIDATE_SECURE, EDE_NONE},
    {"wildcard_without_proof", case_wildcard_without_proof, VALIDATE_BOGUS, EDE_NSEC_MISSING},
    {"wildcard_with_unrelated_nsec", case_wildcard_with_unrelated_nsec, VALIDATE_BOGUS,
     EDE_NSEC_MISSING},
    {"wildcard_nsec3_with_proof", case_wildcard_nsec3_with_proof, VALIDATE_SECURE, EDE_NONE},
    {"wildcard_nsec3_without_proof", case_wildcard_nsec3_without_proof, VALIDATE_BOGUS,
     EDE_NSEC_MISSING},
    {"cname_secure_to_secure", case_cname_secure_to_secure, VALIDATE_SECURE, EDE_NONE},
    {"cname_secure_to_insecure", case_cname_secure_to_insecure, VALIDATE_INSECURE, EDE_NONE},
    {"cname_to_bogus_target", case_cname_to_bogus_target, VALIDATE_BOGUS, EDE_BOGUS},
};

/* (owner, type) of z with its RRSIG and n forged ones (same key tag, garbage signature)
 * before it (real_first false) or after it. */
static ldns_pkt *set_with_forged_sigs(struct world_zone *z, const char *owner, ldns_rr_type type,
				      unsigned n, bool real_first)
{
	ldns_pkt *p = world_pkt_new(owner, type, LDNS_RCODE_NOERROR);
	ldns_rr_list *l = world_pick(z, owner, type);
	ldns_rr *real = NULL;
	for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++)
		if (ldns_rr_get_type(ldns_rr_list_rr(l, i)) == LDNS_RR_TYPE_RRSIG)
			real = ldns_rr_list_rr(l, i);
	ck_assert_ptr_nonnull(real);
	ldns_rr *keep = ldns_rr_clone(real);
	ldns_rr_list *set = world_zone_set(z, owner, type);
	an(p, set);
	if (real_first)
		ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, ldns_rr_clone(keep));
	for (unsigned i = 0; i < n; i++) {
		ldns_rr *f = ldns_rr_clone(keep);
		uint8_t junk[64];
		memset(junk, (int)(i + 1), sizeof(junk));
		world_rr_set(f, 8, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_B64, sizeof(junk), junk));
		ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, f);
	}
	if (!real_first)
		ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, ldns_rr_clone(keep));
	ldns_rr_free(keep);
	ldns_rr_list_deep_free(l);
	return p;
}

static ldns_pkt *www_with_forged_sigs(unsigned n, bool real_first)
{
	return set_with_forged_sigs(&za, "www.a.test.", LDNS_RR_TYPE_A, n, real_first);
}

/*
 * KeyTrap (CVE-2023-50387): an RRset with 20 RRSIGs that fail before the good one costs at
 * most 8 checks, and is bogus; the good one first is secure at its first check.
 */
START_TEST(test_keytrap_sig_limit)
{
	struct fake up;
	int ede;
	fake_init(&up);
	ldns_pkt *p = world_pkt_new("www.a.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
	an(p, world_pick(&za, "www.a.test.", LDNS_RR_TYPE_A));
	ck_assert_int_eq(run(&up, p, &ede), VALIDATE_SECURE);
	unsigned base = last_cost; /* the chain from the root and the one good signature */
	ck_assert_uint_gt(base, 1);
	ck_assert_int_eq(run(&up, www_with_forged_sigs(20, true), &ede), VALIDATE_SECURE);
	ck_assert_uint_eq(last_cost, base);
	ck_assert_int_eq(run(&up, www_with_forged_sigs(20, false), &ede), VALIDATE_BOGUS);
	ck_assert_int_eq(ede, 6);
	ck_assert_uint_eq(last_cost, base - 1 + 8);
	fake_free(&up);
}
END_TEST

/*
 * KeyTrap budget spent in the chain: a CNAME chain through 14 zones whose DNSKEY RRsets cost
 * 8 checks each (7 forged RRSIGs before the good one; the last zone's `forged` of them) ends
 * at b.test. For one value of `forged` the answer's 128 checks run out exactly at b.test's
 * own step. The answer is then bogus, but b.test's keys must not be remembered as bogus:
 * www.b.test, asked next with the same key cache, is secure (regression: b.test was cached
 * BOGUS for 60 s, a denial of service on any zone at the end of such a chain).
 */
static enum validate_status costly_chain_then_b(unsigned forged, enum validate_status *then)
{
	struct fake up;
	fake_init(&up);
	for (int i = 0; i < N_COSTLY; i++) {
		const char *o = zcostly[i].origin;
		up_answer(&up, &ztld, o, LDNS_RR_TYPE_DS);
		fake_add(&up, o, LDNS_RR_TYPE_DNSKEY,
			 body_of(set_with_forged_sigs(&zcostly[i], o, LDNS_RR_TYPE_DNSKEY,
						      i + 1 < N_COSTLY ? 7 : forged, false)),
			 true);
	}
	struct keycache *kc = keycache_new(1000);
	int ede;
	ldns_pkt *p = world_pkt_new("x.ke0.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
	for (int i = 0; i < N_COSTLY; i++) {
		char owner[32];
		snprintf(owner, sizeof(owner), "x.ke%d.test.", i);
		an(p, world_pick(&zcostly[i], owner, LDNS_RR_TYPE_CNAME));
	}
	an(p, world_pick(&zb, "www.b.test.", LDNS_RR_TYPE_A));
	struct body b = body_of(p);
	enum validate_status first = run_with(&up, world_anchors, kc, b, &ede);
	free(b.data);
	p = world_pkt_new("www.b.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
	an(p, world_pick(&zb, "www.b.test.", LDNS_RR_TYPE_A));
	b = body_of(p);
	*then = run_with(&up, world_anchors, kc, b, &ede);
	free(b.data);
	keycache_free(kc);
	fake_free(&up);
	return first;
}

START_TEST(test_keytrap_budget_not_cached)
{
	unsigned bogus = 0;
	for (unsigned forged = 0; forged <= 7; forged++) {
		enum validate_status then;
		bogus += costly_chain_then_b(forged, &then) == VALIDATE_BOGUS;
		ck_assert_msg(then == VALIDATE_SECURE, "%u forged: www.b.test next is %s", forged,
			      status_name(then));
	}
	ck_assert_uint_gt(bogus, 0); /* the budget did run out */
}
END_TEST

START_TEST(test_case)
{
	const struct validate_case *c = &cases[_i];
	struct fake up;
	fake_init(&up);
	int ede;
	enum validate_status st = run(&up, c->answer(), &ede);
	ck_assert_msg(st == c->want && ede == c->ede, "%s: got %s EDE %d, want %s EDE %d; asked:%s",
		      c->name, status_name(st), ede, status_name(c->want), c->ede, up.log);
	ck_assert_msg(up.misses == 0, "%s: asked for what the world lacks:%s", c->name, up.log);
	fake_free(&up);
}
END_TEST

static Suite *validate_suite(void)
{
	Suite *s = suite_create("validate");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_unchecked_fixture(tc, setup_world, NULL);
	tcase_add_loop_test(tc, test_case, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, test_secure_answer);
	tcase_add_test(tc, test_keytrap_sig_limit);
	tcase_add_test(tc, test_keytrap_budget_not_cached);
	tcase_add_test(tc, test_dnskey_not_signed_by_ds_key);
	tcase_add_test(tc, test_nodata_nsec_type_present);
	tcase_add_test(tc, test_nodata_nsec3_type_present);
	tcase_add_test(tc, test_nxdomain_with_nodata_proof);
	tcase_add_test(tc, test_nxdomain_proof_from_other_zone);
	tcase_add_test(tc, test_insecure_delegation_nsec);
	tcase_add_test(tc, test_no_ds_but_nsec_has_ds_bit);
	tcase_add_test(tc, test_no_ds_without_proof);
	tcase_add_test(tc, test_ds_unsupported_algorithm);
	tcase_add_test(tc, test_negative_trust_anchor);
	tcase_add_test(tc, test_builtin_negative_trust_anchor);
	tcase_add_test(tc, test_wildcard_below_existing_name);
	tcase_add_test(tc, test_wildcard_forged_first_rrsig);
	tcase_add_test(tc, test_nodata_with_expanded_wildcard_nsec);
	tcase_add_test(tc, test_wildcard_replaces_existing_name);
	tcase_add_test(tc, test_wildcard_nsec3_replaces_existing_name);
	tcase_add_test(tc, test_cname_not_followed);
	tcase_add_test(tc, test_signer_outside_owner_zone);
	tcase_add_test(tc, test_signer_is_negative_anchor);
	tcase_add_test(tc, test_nxdomain_signed_by_other_zone);
	tcase_add_test(tc, test_keycache_reuse);
	tcase_add_test(tc, test_keycache_remembers_bogus);
	tcase_add_test(tc, test_anchor_as_dnskey);
	tcase_add_test(tc, test_anchor_below_root);
	tcase_add_test(tc, test_upstream_failure);
	tcase_add_test(tc, test_upstream_failure_on_ds);
	tcase_add_test(tc, test_unparsable_answer);
	tcase_add_test(tc, test_record_cut_short);
	tcase_add_test(tc, test_key_reply_cut_short);
	tcase_add_test(tc, test_strip);
	tcase_add_test(tc, test_strip_keeps_asked_type);
	tcase_add_test(tc, test_strip_limits);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_main_run(validate_suite());
}
