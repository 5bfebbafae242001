/*
 * sigcheck.h -- check one RRSIG with one DNSKEY, the key's OpenSSL object built once.
 *
 * ldns checks a signature by building an EVP_PKEY from the DNSKEY's rdata every time, and
 * OpenSSL 3 then imports that fresh key into its provider before it verifies: for an ECDSA
 * P-256 answer that setup costs about as much as the arithmetic. A validating resolver checks
 * thousands of answers with the same few zone keys, so sigcheck keeps, for each ECDSA key it
 * has met, a provider-native EVP_PKEY and a context initialised once for verifying with it
 * (a direct-mapped table of SIGCHECK_SLOTS, by key bytes: bounded, and a key pushed out is
 * simply built again), digests the signed data with a digest fetched once and checks the
 * signature with EVP_PKEY_verify. The signed data is RFC 4034 section 3.1.8.1's: the RRSIG rdata
 * without its signature, then the RRset in canonical form and order (section 6), each record with
 * the original TTL and, for a wildcard expansion, the wildcard owner. The validity window is
 * checked as RFC 4034 section 3.1.5 says (serial-number arithmetic). Other algorithms (RSA,
 * EdDSA) are checked by ldns as before. One sigcheck belongs to one thread (the key cache's).
 */
#ifndef MEGDNS_SIGCHECK_H
#define MEGDNS_SIGCHECK_H

#include <ldns/ldns.h>
#include <time.h>

#define SIGCHECK_SLOTS 1024

struct sigcheck;

/* A new checker. Never NULL. */
struct sigcheck *sigcheck_new(void);

/* Free it and its keys; NULL is a no-op. */
void sigcheck_free(struct sigcheck *s);

/*
 * Does sig (an RRSIG over rrset, whose owner and type the caller matched) verify with key at
 * time now? LDNS_STATUS_OK, or the reason as ldns_verify_rrsig_time gives it (expired, not yet
 * valid, bogus, unknown algorithm, ...).
 */
ldns_status sigcheck_verify(struct sigcheck *s, const ldns_rr_list *rrset, const ldns_rr *sig,
			    const ldns_rr *key, time_t now);

#endif
