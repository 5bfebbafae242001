/*
 * sigcheck.c -- check one RRSIG with one DNSKEY, keys built once. See sigcheck.h.
 */
#include "dnssec/sigcheck.h"

#include "util/xalloc.h"

#include <openssl/evp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SIGCHECK_KEY_MAX 96 /* P-384: two 48-byte coordinates */

/* An ECDSA key met before: its bytes and the EVP_PKEY built from them. */
struct sigcheck_slot {
	uint8_t alg;
	uint8_t len;
	uint8_t key[SIGCHECK_KEY_MAX];
	EVP_PKEY *pkey;
};

struct sigcheck {
	EVP_MD *sha256, *sha384; /* fetched once: an implicit fetch per check costs */
	EVP_MD_CTX *ctx;
	ldns_buffer *data, *der;
	struct sigcheck_slot slots[SIGCHECK_SLOTS];
};

struct sigcheck *sigcheck_new(void)
{
	struct sigcheck *s = xcalloc(1, sizeof(*s));
	s->sha256 = EVP_MD_fetch(NULL, "SHA2-256", NULL);
	s->sha384 = EVP_MD_fetch(NULL, "SHA2-384", NULL);
	s->ctx = EVP_MD_CTX_new();
	s->data = xcheck(ldns_buffer_new(LDNS_MAX_PACKETLEN));
	s->der = xcheck(ldns_buffer_new(256));
	if (!s->sha256 || !s->sha384 || !s->ctx)
		abort(); /* OpenSSL without SHA-2: nothing could be validated */
	return s;
}

void sigcheck_free(struct sigcheck *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < SIGCHECK_SLOTS; i++)
		EVP_PKEY_free(s->slots[i].pkey);
	EVP_MD_free(s->sha256);
	EVP_MD_free(s->sha384);
	EVP_MD_CTX_free(s->ctx);
	ldns_buffer_free(s->data);
	ldns_buffer_free(s->der);
	free(s);
}

/* The EVP_PKEY of an ECDSA key (algorithm alg, raw bytes), from its slot or built now. */
static EVP_PKEY *sigcheck_pkey(struct sigcheck *s, uint8_t alg, const uint8_t *key, size_t len)
{
	uint32_t h = 2166136261u ^ alg;
	for (size_t i = 0; i < len; i++)
		h = (h ^ key[i]) * 16777619u;
	struct sigcheck_slot *slot = &s->slots[h % SIGCHECK_SLOTS];
	if (slot->pkey && slot->alg == alg && slot->len == len && !memcmp(slot->key, key, len))
		return slot->pkey;
	EVP_PKEY_free(slot->pkey);
	slot->pkey = ldns_ecdsa2pkey_raw(key, len, alg);
	slot->alg = alg;
	slot->len = (uint8_t)len;
	memcpy(slot->key, key, len);
	return slot->pkey;
}

/* RFC 4034 3.1.5: inception <= now <= expiration, in serial-number arithmetic. */
static ldns_status sigcheck_window(const ldns_rr *sig, time_t now)
{
	int32_t inception = (int32_t)ldns_rdf2native_time_t(ldns_rr_rrsig_inception(sig));
	int32_t expiration = (int32_t)ldns_rdf2native_time_t(ldns_rr_rrsig_expiration(sig));
	int32_t t = (int32_t)now;
	if ((int32_t)((uint32_t)expiration - (uint32_t)inception) < 0)
		return LDNS_STATUS_CRYPTO_EXPIRATION_BEFORE_INCEPTION;
	if ((int32_t)((uint32_t)t - (uint32_t)inception) < 0)
		return LDNS_STATUS_CRYPTO_SIG_NOT_INCEPTED;
	if ((int32_t)((uint32_t)expiration - (uint32_t)t) < 0)
		return LDNS_STATUS_CRYPTO_SIG_EXPIRED;
	return LDNS_STATUS_OK;
}

/* A wildcard expansion is signed as its wildcard: "*." and the RRSIG's labels of owner. */
static void sigcheck_wildcard(ldns_rr *rr, uint8_t labels)
{
	uint8_t count = ldns_dname_label_count(ldns_rr_owner(rr));
	if (labels >= count)
		return;
	ldns_rdf *suffix = ldns_dname_clone_from(ldns_rr_owner(rr), count - labels);
	ldns_rdf *wild = NULL;
	if (suffix && ldns_str2rdf_dname(&wild, "*") == LDNS_STATUS_OK &&
	    ldns_dname_cat(wild, suffix) == LDNS_STATUS_OK) {
		ldns_rdf_deep_free(ldns_rr_owner(rr));
		ldns_rr_set_owner(rr, wild);
		wild = NULL;
	}
	ldns_rdf_deep_free(wild);
	ldns_rdf_deep_free(suffix);
}

/* RFC 4034 3.1.8.1: the data sig signs over rrset, into s->data. */
static bool sigcheck_signed_data(struct sigcheck *s, const ldns_rr_list *rrset, const ldns_rr *sig)
{
	ldns_buffer_clear(s->data);
	if (ldns_rrsig2buffer_wire(s->data, sig) != LDNS_STATUS_OK)
		return false;
	ldns_rr_list *c = xcheck(ldns_rr_list_clone(rrset));
	uint32_t ttl = ldns_rdf2native_int32(ldns_rr_rrsig_origttl(sig));
	uint8_t labels = ldns_rdf2native_int8(ldns_rr_rrsig_labels(sig));
	for (size_t i = 0; i < ldns_rr_list_rr_count(c); i++) {
		ldns_rr *rr = ldns_rr_list_rr(c, i);
		ldns_rr2canonical(rr);
		ldns_rr_set_ttl(rr, ttl);
		sigcheck_wildcard(rr, labels);
	}
	ldns_rr_list_sort(c);
	bool ok = ldns_rr_list2buffer_wire(s->data, c) == LDNS_STATUS_OK;
	ldns_rr_list_deep_free(c);
	return ok;
}

/* ECDSA (13, 14) with a kept key: EVP_DigestVerify over the signed data. */
static ldns_status sigcheck_ecdsa(struct sigcheck *s, const ldns_rr_list *rrset, const ldns_rr *sig,
				  uint8_t alg, const ldns_rdf *key)
{
	EVP_PKEY *pkey = sigcheck_pkey(s, alg, ldns_rdf_data(key), ldns_rdf_size(key));
	if (!pkey)
		return LDNS_STATUS_CRYPTO_BOGUS;
	ldns_buffer_clear(s->der);
	if (!sigcheck_signed_data(s, rrset, sig) ||
	    ldns_convert_ecdsa_rrsig_rdf2asn1(s->der, ldns_rr_rrsig_sig(sig)) != LDNS_STATUS_OK)
		return LDNS_STATUS_CRYPTO_BOGUS;
	const EVP_MD *md = alg == LDNS_ECDSAP256SHA256 ? s->sha256 : s->sha384;
	int r =
	    EVP_DigestVerifyInit(s->ctx, NULL, md, NULL, pkey) == 1
		? EVP_DigestVerify(s->ctx, ldns_buffer_begin(s->der), ldns_buffer_position(s->der),
				   ldns_buffer_begin(s->data), ldns_buffer_position(s->data))
		: -1;
	EVP_MD_CTX_reset(s->ctx);
	return r == 1 ? LDNS_STATUS_OK : LDNS_STATUS_CRYPTO_BOGUS;
}

ldns_status sigcheck_verify(struct sigcheck *s, const ldns_rr_list *rrset, const ldns_rr *sig,
			    const ldns_rr *key, time_t now)
{
	uint8_t alg = ldns_rdf2native_int8(ldns_rr_rrsig_algorithm(sig));
	const ldns_rdf *raw = ldns_rr_dnskey_key(key);
	bool ecdsa = alg == LDNS_ECDSAP256SHA256 || alg == LDNS_ECDSAP384SHA384;
	if (ecdsa && ldns_calc_keytag(key) != ldns_rdf2native_int16(ldns_rr_rrsig_keytag(sig)))
		return LDNS_STATUS_CRYPTO_NO_MATCHING_KEYTAG_DNSKEY;
	if (!ecdsa || !raw || ldns_rdf_size(raw) > SIGCHECK_KEY_MAX ||
	    ldns_rdf2native_int8(ldns_rr_dnskey_algorithm(key)) != alg)
		return ldns_verify_rrsig_time((ldns_rr_list *)rrset, (ldns_rr *)sig, (ldns_rr *)key,
					      now);
	/* The signature first, as ldns does: a broken signature is bogus whatever its dates. */
	ldns_status st = sigcheck_ecdsa(s, rrset, sig, alg, raw);
	return st == LDNS_STATUS_OK ? sigcheck_window(sig, now) : st;
}
