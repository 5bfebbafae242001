/*
 * fuzz_negcache.c -- learning NSEC ranges from an answer, and the answers made from them.
 *
 * The input is an answer body as the validator passes it on (negcache trusts the validator for
 * signatures, so any bytes may arrive here in a broken build). It is learned, then every owner
 * in its authority section is asked, as itself and with a label in front, for A, TXT and DS.
 * Whatever the bytes, every answer that comes out must parse, be NXDOMAIN or NOERROR with no
 * answer records, start its authority section with an SOA, and be learnable in turn.
 * MEGDNS_FUZZ_SEEDS=DIR writes the seeds (an NXDOMAIN with a zone's whole chain) and exits.
 */
#include "dnssec/negcache.h"
#include "seed.h"

#include <ldns/ldns.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define CHECK(x)                                                                                   \
	do {                                                                                       \
		if (!(x))                                                                          \
			__builtin_trap();                                                          \
	} while (0)

#define NOW   1700000000
#define START 1000000

static void fuzz_check(struct negcache *nc, const uint8_t *out, size_t n)
{
	ldns_pkt *pkt = NULL;
	CHECK(ldns_wire2pkt(&pkt, out, n) == LDNS_STATUS_OK);
	ldns_pkt_rcode rc = ldns_pkt_get_rcode(pkt);
	CHECK(rc == LDNS_RCODE_NXDOMAIN || rc == LDNS_RCODE_NOERROR);
	CHECK(ldns_pkt_ancount(pkt) == 0 && ldns_pkt_nscount(pkt) >= 1);
	CHECK(ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_authority(pkt), 0)) == LDNS_RR_TYPE_SOA);
	ldns_pkt_free(pkt);
	negcache_learn(nc, "", out, n, NOW, START + 2000);
}

static void fuzz_ask(struct negcache *nc, const ldns_rdf *name, uint16_t type)
{
	uint8_t out[4096], root = 0;
	struct negcache_question q = {"",   &root, 1,   ldns_rdf_data(name), ldns_rdf_size(name),
				      type, 1,     true};
	size_t n = negcache_answer(nc, &q, START + 1000, out, sizeof(out));
	if (n)
		fuzz_check(nc, out, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct negcache *nc = negcache_new(64, 3600);
	negcache_learn(nc, "", data, size, NOW, START);
	ldns_pkt *pkt = NULL;
	if (ldns_wire2pkt(&pkt, data, size) == LDNS_STATUS_OK) {
		const ldns_rr_list *au = ldns_pkt_authority(pkt);
		for (size_t i = 0; i < ldns_rr_list_rr_count(au) && i < 8; i++) {
			const ldns_rdf *owner = ldns_rr_owner(ldns_rr_list_rr(au, i));
			ldns_rdf *below = ldns_dname_new_frm_str("b");
			if (below && ldns_dname_cat(below, owner) == LDNS_STATUS_OK) {
				fuzz_ask(nc, below, LDNS_RR_TYPE_A);
				fuzz_ask(nc, below, LDNS_RR_TYPE_DS);
			}
			ldns_rdf_deep_free(below);
			fuzz_ask(nc, owner, LDNS_RR_TYPE_TXT);
			fuzz_ask(nc, owner, LDNS_RR_TYPE_DS);
		}
		ldns_pkt_free(pkt);
	}
	negcache_free(nc);
	return 0;
}

#define SIG " 13 2 300 20501231000000 20200101000000 4711 z.test. AAECAwQFBgcICQoLDA0ODw=="

/* An NXDOMAIN of z.test. carrying its whole chain (a, c, d delegated, x.ent, m). */
static void fuzz_seeds(const char *dir)
{
	static const char *const records[] = {
	    "z.test. 3600 IN SOA ns.z.test. h.z.test. 1 3600 600 86400 300",
	    "z.test. 3600 IN RRSIG SOA" SIG,
	    "z.test. 300 IN NSEC a.z.test. SOA NS RRSIG NSEC DNSKEY",
	    "z.test. 300 IN RRSIG NSEC" SIG,
	    "a.z.test. 300 IN NSEC c.z.test. A RRSIG NSEC",
	    "a.z.test. 300 IN RRSIG NSEC" SIG,
	    "c.z.test. 300 IN NSEC d.z.test. A RRSIG NSEC",
	    "c.z.test. 300 IN RRSIG NSEC" SIG,
	    "d.z.test. 300 IN NSEC x.ent.z.test. NS RRSIG NSEC",
	    "d.z.test. 300 IN RRSIG NSEC" SIG,
	    "x.ent.z.test. 300 IN NSEC m.z.test. A RRSIG NSEC",
	    "x.ent.z.test. 300 IN RRSIG NSEC" SIG,
	    "m.z.test. 200 IN NSEC z.test. A RRSIG NSEC",
	    "m.z.test. 200 IN RRSIG NSEC" SIG,
	    NULL};
	ldns_pkt *pkt = ldns_pkt_new();
	ldns_pkt_set_qr(pkt, true);
	ldns_pkt_set_rcode(pkt, LDNS_RCODE_NXDOMAIN);
	for (size_t i = 0; records[i]; i++) {
		ldns_rr *rr = NULL;
		if (ldns_rr_new_frm_str(&rr, records[i], 300, NULL, NULL) != LDNS_STATUS_OK)
			exit(1);
		ldns_pkt_push_rr(pkt, LDNS_SECTION_AUTHORITY, rr);
	}
	uint8_t *wire = NULL;
	size_t n = 0;
	if (ldns_pkt2wire(&wire, pkt, &n) != LDNS_STATUS_OK)
		exit(1);
	seed_write(dir, "nxdomain-chain", wire, n, NULL);
	free(wire);
	ldns_pkt_free(pkt);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	const char *dir = seed_dir();
	if (dir) {
		fuzz_seeds(dir);
		exit(0);
	}
	return 0;
}
