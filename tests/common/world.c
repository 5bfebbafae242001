/*
 * world.c -- a fake DNSSEC-signed world: zones made and signed with ldns at start-up, and the
 * records and replies the validator's tests and fuzzer build from them (see world.h).
 */
#include "world.h"

#include "dnssec/anchor.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <string.h>
#include <unistd.h>

/* ---- names and records ---- */

ldns_rdf *world_dname(const char *s)
{
	ldns_rdf *d = ldns_dname_new_frm_str(s);
	WORLD_REQUIRE(d);
	return d;
}

ldns_rr *world_rr_vnew(const char *fmt, va_list ap)
{
	char text[1024];
	ldns_rr *rr = NULL;
	vsnprintf(text, sizeof(text), fmt, ap);
	if (ldns_rr_new_frm_str(&rr, text, WORLD_TTL, NULL, NULL) != LDNS_STATUS_OK) {
		fprintf(stderr, "world: cannot parse '%s'\n", text);
		abort();
	}
	return rr;
}

ldns_rr *world_rr_new(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	ldns_rr *rr = world_rr_vnew(fmt, ap);
	va_end(ap);
	return rr;
}

void world_rr_set(ldns_rr *rr, int i, ldns_rdf *value)
{
	if (i < 0) {
		ldns_rdf *old = ldns_rr_owner(rr);
		ldns_rr_set_owner(rr, value);
		ldns_rdf_deep_free(old);
	} else {
		ldns_rdf_deep_free(ldns_rr_set_rdf(rr, value, (size_t)i));
	}
}

void world_rename_all(ldns_rr_list *l, const char *name)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++)
		world_rr_set(ldns_rr_list_rr(l, i), -1, world_dname(name));
}

void world_rr_text(const ldns_rr *rr, char *out, size_t cap)
{
	char *s = ldns_rr2str(rr);
	WORLD_REQUIRE(s);
	snprintf(out, cap, "%s", s);
	free(s);
}

/* ---- zones ---- */

/* The key of alg whose private key is SHA-256 of seed, read as a BIND private-key file. */
static ldns_key *key_derived(const char *seed, ldns_signing_algorithm alg)
{
	char text[512];
	uint8_t secret[SHA256_DIGEST_LENGTH], b64[64];
	SHA256((const uint8_t *)seed, strlen(seed), secret);
	EVP_EncodeBlock(b64, secret, sizeof(secret));
	snprintf(text, sizeof(text),
		 "Private-key-format: v1.3\nAlgorithm: %d (X)\nPrivateKey: %s\n", (int)alg,
		 (const char *)b64);
	FILE *fp = fmemopen(text, strlen(text), "r");
	WORLD_REQUIRE(fp);
	ldns_key *k = NULL;
	int line = 0;
	WORLD_REQUIRE(ldns_key_new_frm_fp_l(&k, fp, &line) == LDNS_STATUS_OK);
	fclose(fp);
	return k;
}

ldns_key_list *world_key_new(const char *owner, ldns_signing_algorithm alg, uint16_t flags,
			     const char *seed, ldns_rr **dnskey)
{
	ldns_key *k = seed ? key_derived(seed, alg) : ldns_key_new_frm_algorithm(alg, 256);
	WORLD_REQUIRE(k);
	ldns_key_set_pubkey_owner(k, world_dname(owner));
	ldns_key_set_flags(k, flags);
	ldns_key_set_inception(k, (uint32_t)(WORLD_NOW - WORLD_DAY));
	ldns_key_set_expiration(k, (uint32_t)(WORLD_NOW + 30 * WORLD_DAY));
	ldns_rr *rr = ldns_key2rr(k);
	WORLD_REQUIRE(rr);
	ldns_rr_set_ttl(rr, WORLD_TTL);
	ldns_key_set_keytag(k, ldns_calc_keytag(rr));
	ldns_key_list *l = ldns_key_list_new();
	ldns_key_list_push_key(l, k);
	*dnskey = rr;
	return l;
}

/* A key of z for role, random or derived from key_seed; its DNSKEY goes into z. */
static ldns_key_list *zone_key(struct world_zone *z, ldns_signing_algorithm alg, uint16_t flags,
			       const char *key_seed, const char *role)
{
	char seed[300];
	ldns_rr *dnskey;
	if (key_seed)
		snprintf(seed, sizeof(seed), "%s %s %s", key_seed, z->origin, role);
	ldns_key_list *l = world_key_new(z->origin, alg, flags, key_seed ? seed : NULL, &dnskey);
	ldns_rr_list_push_rr(z->rrs, dnskey);
	return l;
}

void world_zone_init(struct world_zone *z, const char *origin, ldns_signing_algorithm alg, bool csk,
		     const char *key_seed)
{
	z->origin = origin;
	z->rrs = ldns_rr_list_new();
	z->sigs = ldns_rr_list_new();
	z->ksk = zone_key(z, alg, 257, key_seed, csk ? "csk" : "ksk");
	z->zsk = csk ? z->ksk : zone_key(z, alg, 256, key_seed, "zsk");
	world_zone_add(z, "%s SOA ns.invalid. hostmaster.invalid. 1 7200 900 1209600 300", origin);
}

void world_zone_free(struct world_zone *z)
{
	ldns_rr_list_deep_free(z->rrs);
	ldns_rr_list_deep_free(z->sigs);
	if (z->zsk != z->ksk)
		ldns_key_list_free(z->zsk);
	ldns_key_list_free(z->ksk);
	z->rrs = z->sigs = NULL;
	z->ksk = z->zsk = NULL;
}

void world_zone_add(struct world_zone *z, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	ldns_rr_list_push_rr(z->rrs, world_rr_vnew(fmt, ap));
	va_end(ap);
}

ldns_rr *world_zone_ds(const struct world_zone *z)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(z->rrs); i++) {
		ldns_rr *rr = ldns_rr_list_rr(z->rrs, i);
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_DNSKEY &&
		    ldns_rdf2native_int16(ldns_rr_rdf(rr, 0)) == 257) {
			ldns_rr *ds = ldns_key_rr2ds(rr, LDNS_SHA256);
			WORLD_REQUIRE(ds);
			ldns_rr_set_ttl(ds, WORLD_TTL);
			return ds;
		}
	}
	abort();
}

/* The NSEC3 owner label of name in z (lower case base32hex). */
static void n3_hash(const struct world_zone *z, const char *name, char *out, size_t cap)
{
	uint8_t salt[16];
	size_t slen = strlen(z->n3_salt) / 2;
	WORLD_REQUIRE(slen <= sizeof(salt));
	for (size_t i = 0; i < slen; i++)
		WORLD_REQUIRE(sscanf(z->n3_salt + 2 * i, "%2hhx", &salt[i]) == 1);
	ldns_rdf *n = world_dname(name);
	ldns_rdf *h = ldns_nsec3_hash_name(n, 1, z->n3_iter, (uint8_t)slen, salt);
	WORLD_REQUIRE(h);
	char *s = ldns_rdf2str(h);
	WORLD_REQUIRE(s && strlen(s) > 1 && strlen(s) < cap);
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

void world_zone_nsec3(struct world_zone *z, const char *const *names, const char *const *types,
		      size_t n)
{
	struct {
		char hash[40]; /* first: what the entries sort by */
		const char *types;
	} map[WORLD_N3_MAX];
	WORLD_REQUIRE(n > 0 && n <= WORLD_N3_MAX);
	for (size_t i = 0; i < n; i++) {
		n3_hash(z, names[i], map[i].hash, sizeof(map[i].hash));
		map[i].types = types[i];
	}
	qsort(map, n, sizeof(map[0]), n3_cmp);
	for (size_t i = 0; i < n; i++) {
		memcpy(z->n3_hash[i], map[i].hash, sizeof(z->n3_hash[i]));
		world_zone_add(z, "%s.%s NSEC3 1 0 %u %s %s %s", map[i].hash, z->origin, z->n3_iter,
			       *z->n3_salt ? z->n3_salt : "-", map[(i + 1) % n].hash, map[i].types);
	}
	z->n3_count = n;
}

static bool same_set(const ldns_rr *a, const ldns_rr *b)
{
	return ldns_rr_get_type(a) == ldns_rr_get_type(b) &&
	       ldns_dname_compare(ldns_rr_owner(a), ldns_rr_owner(b)) == 0;
}

ldns_rr_list *world_sign_set(const ldns_rr_list *set, ldns_key_list *keys, time_t inception,
			     time_t expiration)
{
	ldns_key *k = ldns_key_list_key(keys, 0);
	uint32_t inc = ldns_key_inception(k), exp = ldns_key_expiration(k);
	ldns_key_set_inception(k, (uint32_t)inception);
	ldns_key_set_expiration(k, (uint32_t)expiration);
	ldns_rr_list *copy = ldns_rr_list_clone(set);
	ldns_rr_list *sigs = ldns_sign_public(copy, keys);
	WORLD_REQUIRE(sigs && ldns_rr_list_rr_count(sigs) == 1);
	ldns_rr_list_deep_free(copy);
	ldns_key_set_inception(k, inc);
	ldns_key_set_expiration(k, exp);
	return sigs;
}

/* DNSKEY with the KSK, the rest with the ZSK: as a zone with a KSK/ZSK split is signed. */
void world_zone_sign(struct world_zone *z)
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
		ldns_rr_list *sigs =
		    world_sign_set(set, dnskey ? z->ksk : z->zsk, WORLD_NOW - WORLD_DAY,
				   WORLD_NOW + 30 * WORLD_DAY);
		ldns_rr_list_cat(z->sigs, sigs);
		ldns_rr_list_free(sigs);
		ldns_rr_list_free(set); /* shallow: the records are z->rrs's */
	}
}

/* ---- what a signed zone gives ---- */

ldns_rr_list *world_zone_set(const struct world_zone *z, const char *owner, ldns_rr_type type)
{
	ldns_rdf *o = world_dname(owner);
	ldns_rr_list *l = ldns_rr_list_new();
	for (size_t i = 0; i < ldns_rr_list_rr_count(z->rrs); i++) {
		ldns_rr *rr = ldns_rr_list_rr(z->rrs, i);
		if (ldns_rr_get_type(rr) == type && ldns_dname_compare(ldns_rr_owner(rr), o) == 0)
			ldns_rr_list_push_rr(l, ldns_rr_clone(rr));
	}
	ldns_rdf_deep_free(o);
	WORLD_REQUIRE(ldns_rr_list_rr_count(l) > 0);
	return l;
}

ldns_rr_list *world_pick(const struct world_zone *z, const char *owner, ldns_rr_type type)
{
	ldns_rr_list *l = world_zone_set(z, owner, type);
	ldns_rdf *o = world_dname(owner);
	for (size_t i = 0; i < ldns_rr_list_rr_count(z->sigs); i++) {
		ldns_rr *s = ldns_rr_list_rr(z->sigs, i);
		if (ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(s)) == type &&
		    ldns_dname_compare(ldns_rr_owner(s), o) == 0)
			ldns_rr_list_push_rr(l, ldns_rr_clone(s));
	}
	ldns_rdf_deep_free(o);
	return l;
}

size_t world_n3_index(const struct world_zone *z, const char *name)
{
	char h[40];
	n3_hash(z, name, h, sizeof(h));
	size_t at = z->n3_count - 1; /* below the first hash: the last one wraps around */
	for (size_t i = 0; i < z->n3_count; i++)
		if (strcmp(z->n3_hash[i], h) <= 0)
			at = i;
	return at;
}

/* The NSEC3 RRset number i of z, with its RRSIG. */
static ldns_rr_list *n3_at(const struct world_zone *z, size_t i)
{
	char owner[300];
	snprintf(owner, sizeof(owner), "%s.%s", z->n3_hash[i], z->origin);
	return world_pick(z, owner, LDNS_RR_TYPE_NSEC3);
}

ldns_rr_list *world_n3_pick(const struct world_zone *z, const char *name)
{
	return n3_at(z, world_n3_index(z, name));
}

ldns_rr_list *world_n3_proof(const struct world_zone *z, const char *const *names, size_t n)
{
	bool used[WORLD_N3_MAX] = {false};
	ldns_rr_list *l = ldns_rr_list_new();
	for (size_t i = 0; i < n; i++) {
		size_t at = world_n3_index(z, names[i]);
		if (used[at])
			continue;
		used[at] = true;
		ldns_rr_list *one = n3_at(z, at);
		ldns_rr_list_cat(l, one);
		ldns_rr_list_free(one);
	}
	return l;
}

ldns_rr_list *world_expanded(const struct world_zone *z, const char *wild, const char *name)
{
	ldns_rr_list *l = world_pick(z, wild, LDNS_RR_TYPE_A);
	world_rename_all(l, name);
	return l;
}

/* ---- replies ---- */

ldns_pkt *world_pkt_new(const char *qname, ldns_rr_type qtype, ldns_pkt_rcode rcode)
{
	ldns_pkt *p = ldns_pkt_new();
	WORLD_REQUIRE(p);
	ldns_pkt_set_id(p, 4711);
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_rd(p, true);
	ldns_pkt_set_ra(p, true);
	ldns_pkt_set_rcode(p, rcode);
	ldns_rr *q = ldns_rr_new();
	ldns_rr_set_owner(q, world_dname(qname));
	ldns_rr_set_type(q, qtype);
	ldns_rr_set_class(q, LDNS_RR_CLASS_IN);
	ldns_rr_set_question(q, true);
	ldns_pkt_push_rr(p, LDNS_SECTION_QUESTION, q);
	return p;
}

void world_put(ldns_pkt *p, ldns_pkt_section s, ldns_rr_list *l)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++)
		ldns_pkt_push_rr(p, s, ldns_rr_list_rr(l, i));
	ldns_rr_list_free(l);
}

uint8_t *world_wire(ldns_pkt *p, size_t *len)
{
	uint8_t *w;
	WORLD_REQUIRE(ldns_pkt2wire(&w, p, len) == LDNS_STATUS_OK);
	ldns_pkt_free(p);
	return w;
}

ldns_pkt *world_reply(const struct world_zone *z, const char *owner, ldns_rr_type type)
{
	ldns_pkt *p = world_pkt_new(owner, type, LDNS_RCODE_NOERROR);
	world_put(p, LDNS_SECTION_ANSWER, world_pick(z, owner, type));
	return p;
}

ldns_pkt *world_no_ds(const struct world_zone *z, const char *qname, ldns_rr_list *proof)
{
	ldns_pkt *p = world_pkt_new(qname, LDNS_RR_TYPE_DS, LDNS_RCODE_NOERROR);
	world_put(p, LDNS_SECTION_AUTHORITY, world_pick(z, z->origin, LDNS_RR_TYPE_SOA));
	world_put(p, LDNS_SECTION_AUTHORITY, proof);
	return p;
}

/* ---- trust anchors ---- */

/* anchor_set_load reads files: the text goes through a temporary one, removed at once. */
struct anchor_set *world_anchors_from(const char *text, char *const *insecure, size_t n)
{
	char path[] = "/tmp/megdns-world-anchor-XXXXXX", err[256];
	int fd = mkstemp(path);
	WORLD_REQUIRE(fd >= 0);
	WORLD_REQUIRE(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
	struct anchor_set *s = NULL;
	int r = anchor_set_load(&s, (const char *const[]){path}, 1, insecure, n, err, sizeof(err));
	unlink(path);
	if (r != 0) {
		fprintf(stderr, "world: anchors: %s\n", err);
		abort();
	}
	return s;
}
