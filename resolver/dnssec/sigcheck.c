/*
 * sigcheck.c -- check one RRSIG with one DNSKEY, keys built once. See sigcheck.h.
 */
#include "dnssec/sigcheck.h"

#include "util/xalloc.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIGCHECK_KEY_MAX 96 /* P-384: two 48-byte coordinates */

/*
 * An ECDSA key met before: its bytes, the provider key built from them, and a context set up
 * once for verifying with it (EVP_PKEY_verify over a digest: no per-check setup at all).
 */
struct sigcheck_slot {
	uint8_t alg;
	uint8_t len;
	uint8_t key[SIGCHECK_KEY_MAX];
	EVP_PKEY *pkey;
	EVP_PKEY_CTX *vctx;
};

struct sigcheck {
	EVP_MD *sha256, *sha384; /* fetched once: an implicit fetch per check costs */
	ldns_buffer *data, *der;
	struct sigcheck_slot slots[SIGCHECK_SLOTS];
};

struct sigcheck *sigcheck_new(void)
{
	struct sigcheck *s = xcalloc(1, sizeof(*s));
	s->sha256 = EVP_MD_fetch(NULL, "SHA2-256", NULL);
	s->sha384 = EVP_MD_fetch(NULL, "SHA2-384", NULL);
	s->data = xcheck(ldns_buffer_new(LDNS_MAX_PACKETLEN));
	s->der = xcheck(ldns_buffer_new(256));
	if (!s->sha256 || !s->sha384)
		abort(); /* OpenSSL without SHA-2: nothing could be validated */
	return s;
}

void sigcheck_free(struct sigcheck *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < SIGCHECK_SLOTS; i++) {
		EVP_PKEY_CTX_free(s->slots[i].vctx);
		EVP_PKEY_free(s->slots[i].pkey);
	}
	EVP_MD_free(s->sha256);
	EVP_MD_free(s->sha384);
	ldns_buffer_free(s->data);
	ldns_buffer_free(s->der);
	free(s);
}

/* A provider-native EC public key from DNSKEY bytes (RFC 6605: x || y), or NULL. */
static EVP_PKEY *sigcheck_ec_key(uint8_t alg, const uint8_t *key, size_t len)
{
	uint8_t point[1 + SIGCHECK_KEY_MAX];
	char group[16];
	EVP_PKEY *pkey = NULL;
	snprintf(group, sizeof(group), "%s",
		 alg == LDNS_ECDSAP256SHA256 ? "prime256v1" : "secp384r1");
	if (len != (alg == LDNS_ECDSAP256SHA256 ? 64u : 96u))
		return NULL;
	point[0] = 0x04; /* uncompressed */
	memcpy(point + 1, key, len);
	OSSL_PARAM params[] = {OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
			       OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point, len + 1),
			       OSSL_PARAM_END};
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (!c || EVP_PKEY_fromdata_init(c) != 1 ||
	    EVP_PKEY_fromdata(c, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
		pkey = NULL;
	EVP_PKEY_CTX_free(c);
	return pkey;
}

/* The slot of an ECDSA key (algorithm alg, raw bytes), filled now if it held another. */
static struct sigcheck_slot *sigcheck_slot(struct sigcheck *s, uint8_t alg, const uint8_t *key,
					   size_t len)
{
	uint32_t h = 2166136261u ^ alg;
	for (size_t i = 0; i < len; i++)
		h = (h ^ key[i]) * 16777619u;
	struct sigcheck_slot *slot = &s->slots[h % SIGCHECK_SLOTS];
	if (slot->vctx && slot->alg == alg && slot->len == len && !memcmp(slot->key, key, len))
		return slot;
	EVP_PKEY_CTX_free(slot->vctx);
	EVP_PKEY_free(slot->pkey);
	slot->vctx = NULL;
	slot->pkey = sigcheck_ec_key(alg, key, len);
	if (slot->pkey) {
		slot->vctx = EVP_PKEY_CTX_new_from_pkey(NULL, slot->pkey, NULL);
		if (slot->vctx && EVP_PKEY_verify_init(slot->vctx) != 1) {
			EVP_PKEY_CTX_free(slot->vctx);
			slot->vctx = NULL;
		}
	}
	slot->alg = alg;
	slot->len = (uint8_t)len;
	memcpy(slot->key, key, len);
	return slot->vctx ? slot : NULL;
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

/* ECDSA (13, 14) with a kept key: the digest of the signed data, then EVP_PKEY_verify. */
static ldns_status sigcheck_ecdsa(struct sigcheck *s, const ldns_rr_list *rrset, const ldns_rr *sig,
				  uint8_t alg, const ldns_rdf *key)
{
	struct sigcheck_slot *slot = sigcheck_slot(s, alg, ldns_rdf_data(key), ldns_rdf_size(key));
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	if (!slot)
		return LDNS_STATUS_CRYPTO_BOGUS;
	ldns_buffer_clear(s->der);
	if (!sigcheck_signed_data(s, rrset, sig) ||
	    ldns_convert_ecdsa_rrsig_rdf2asn1(s->der, ldns_rr_rrsig_sig(sig)) != LDNS_STATUS_OK ||
	    EVP_Digest(ldns_buffer_begin(s->data), ldns_buffer_position(s->data), md, &mdlen,
		       alg == LDNS_ECDSAP256SHA256 ? s->sha256 : s->sha384, NULL) != 1)
		return LDNS_STATUS_CRYPTO_BOGUS;
	int r = EVP_PKEY_verify(slot->vctx, ldns_buffer_begin(s->der), ldns_buffer_position(s->der),
				md, mdlen);
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
