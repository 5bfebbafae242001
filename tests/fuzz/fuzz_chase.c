/*
 * fuzz_chase.c -- local CNAME splicing: any local part and resolved part make a reply that
 * parses and fits, or none.
 *
 * Input: [elapsed][cap][local length, 2 bytes][local body][resolved body]. The local body
 * plays localdata's answer (its question gives the query chase_target sees), the resolved
 * body the upstream's; its TTL offsets are found by walking it, as fetch.c does. cap 0 gives
 * the reply buffer request.c gives (both lengths + 512), else cap * 4 bytes, so the size
 * check is exercised; the buffer is exactly that big, so ASan sees any write past it.
 * Checked: a chased target is a well-formed name; a spliced reply is at most cap bytes, walks
 * cleanly with msg_walk, has AA clear and the resolved rcode.
 * Seeds: MEGDNS_FUZZ_SEEDS=DIR writes them (see seed.h).
 */
#include "policy/chase.h"
#include "seed.h"

#include <ldns/ldns.h>
#include <stdlib.h>
#include <string.h>

#define HDR 4

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* The query the local body answers: its question, or an A query for the root. */
static void chase_fuzz_query(const uint8_t *body, size_t len, struct msg_query *q)
{
	size_t pos = MSG_HDR_LEN, nlen = 1;
	memset(q, 0, sizeof(*q));
	q->qtype = 1;
	q->qclass = 1;
	if (len > MSG_HDR_LEN && msg_get16(body + 4) > 0 &&
	    msg_name_read(body, len, &pos, q->lname, &nlen) == 0 && pos + 4 <= len) {
		q->qtype = msg_get16(body + pos);
		q->qclass = msg_get16(body + pos + 2);
	} else {
		q->lname[0] = 0;
		nlen = 1;
	}
	memcpy(q->qname, q->lname, nlen);
	q->qname_len = (uint8_t)nlen;
}

/* Does the reply walk to its end without an error? */
static bool chase_fuzz_walks(const uint8_t *msg, size_t len)
{
	struct msg_walk w;
	struct msg_rr rr;
	int r;
	if (msg_walk_init(&w, msg, len) < 0)
		return false;
	while ((r = msg_walk_next(&w, &rr)) > 0)
		if (rr.end > len)
			return false;
	return r == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < HDR)
		return 0;
	uint32_t elapsed = data[0];
	size_t local_len = msg_get16(data + 2);
	if (local_len > size - HDR)
		local_len = size - HDR;
	const uint8_t *local = data + HDR, *resolved = local + local_len;
	size_t resolved_len = size - HDR - local_len;

	struct msg_query q;
	uint8_t target[MSG_MAX_NAME];
	size_t target_len = 0;
	chase_fuzz_query(local, local_len, &q);
	if (chase_target(local, local_len, &q, target, &target_len) &&
	    (target_len == 0 || target_len > MSG_MAX_NAME ||
	     msg_name_len(target, target_len) != target_len))
		__builtin_trap();

	static uint16_t offs[MSG_MAX_TTL_RR];
	size_t n_ttl = 0;
	struct msg_walk w;
	struct msg_rr rr;
	if (msg_walk_init(&w, resolved, resolved_len) == 0)
		while (n_ttl < MSG_MAX_TTL_RR && msg_walk_next(&w, &rr) > 0)
			offs[n_ttl++] = (uint16_t)rr.ttl_off;

	size_t cap = data[1] ? (size_t)data[1] * 4 : local_len + resolved_len + 512;
	uint8_t *out = malloc(cap);
	if (!out)
		abort();
	size_t n =
	    chase_splice(local, local_len, resolved, resolved_len, offs, n_ttl, elapsed, out, cap);
	if (n > cap)
		__builtin_trap();
	if (n > 0) {
		if (n < MSG_HDR_LEN || !chase_fuzz_walks(out, n) || (msg_get16(out + 2) & MSG_AA) ||
		    (msg_get16(out + 2) & 0xf) != (msg_get16(resolved + 2) & 0xf))
			__builtin_trap();
	}
	free(out);
	return 0;
}

/* ---- seeds ---- */

/* Wire of a response to name/type with rcode, answer and authority records (NULL-ended). */
static uint8_t *chase_fuzz_pkt(const char *name, ldns_rr_type type, ldns_pkt_rcode rcode,
			       const char *const *an, const char *const *ns, size_t *len)
{
	ldns_pkt *p = NULL;
	if (ldns_pkt_query_new_frm_str(&p, name, type, LDNS_RR_CLASS_IN, LDNS_RD) != LDNS_STATUS_OK)
		abort();
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_ra(p, true);
	ldns_pkt_set_rcode(p, rcode);
	for (int s = 0; s < 2; s++) {
		for (const char *const *t = s ? ns : an; t && *t; t++) {
			ldns_rr *rr = NULL;
			if (ldns_rr_new_frm_str(&rr, *t, 0, NULL, NULL) != LDNS_STATUS_OK)
				abort();
			ldns_pkt_push_rr(p, s ? LDNS_SECTION_AUTHORITY : LDNS_SECTION_ANSWER, rr);
		}
	}
	uint8_t *wire;
	if (ldns_pkt2wire(&wire, p, len) != LDNS_STATUS_OK)
		abort();
	ldns_pkt_free(p);
	return wire;
}

/* One seed: a local answer to qname/qtype with local_an, joined with a resolved answer. */
static void chase_fuzz_seed(const char *dir, const char *file, uint8_t cap, const char *qname,
			    ldns_rr_type qtype, const char *const *local_an, const char *rname,
			    ldns_pkt_rcode rcode, const char *const *an, const char *const *ns)
{
	size_t ll, rl;
	uint8_t *l = chase_fuzz_pkt(qname, qtype, LDNS_RCODE_NOERROR, local_an, NULL, &ll);
	uint8_t *r = chase_fuzz_pkt(rname, qtype, rcode, an, ns, &rl);
	uint8_t hdr[HDR] = {30, cap, (uint8_t)(ll >> 8), (uint8_t)ll};
	seed_write(dir, file, hdr, (size_t)HDR, l, ll, r, rl, NULL);
	free(l);
	free(r);
}

#define SOA_ORG "example.org. 300 IN SOA ns.example.org. hostmaster.example.org. 1 2 3 4 60"

static void chase_fuzz_seeds(const char *dir)
{
	static const char *const git[] = {"git.home.arpa. 300 IN CNAME code.example.org.", NULL};
	static const char *const code[] = {"code.example.org. 60 IN A 192.0.2.7",
					   "code.example.org. 60 IN A 192.0.2.8", NULL};
	chase_fuzz_seed(dir, "a-positive", 0, "git.home.arpa.", LDNS_RR_TYPE_A, git,
			"code.example.org.", LDNS_RCODE_NOERROR, code, NULL);
	static const char *const two[] = {"a.home.arpa. 300 IN CNAME b.home.arpa.",
					  "b.home.arpa. 300 IN CNAME Www.Example.ORG.", NULL};
	static const char *const www[] = {"www.example.org. 60 IN CNAME cdn.example.net.",
					  "cdn.example.net. 20 IN AAAA 2001:db8::1", NULL};
	chase_fuzz_seed(dir, "aaaa-two-chains", 0, "a.home.arpa.", LDNS_RR_TYPE_AAAA, two,
			"www.example.org.", LDNS_RCODE_NOERROR, www, NULL);
	static const char *const soa[] = {SOA_ORG, NULL};
	static const char *const nope[] = {"git.home.arpa. 300 IN CNAME nope.example.org.", NULL};
	chase_fuzz_seed(dir, "nxdomain-soa", 0, "git.home.arpa.", LDNS_RR_TYPE_A, nope,
			"nope.example.org.", LDNS_RCODE_NXDOMAIN, NULL, soa);
	chase_fuzz_seed(dir, "nodata-soa", 0, "git.home.arpa.", LDNS_RR_TYPE_MX, git,
			"code.example.org.", LDNS_RCODE_NOERROR, NULL, soa);
	static const char *const mx[] = {"code.example.org. 60 IN MX 10 mail.example.org.",
					 "code.example.org. 60 IN MX 20 mail2.example.org.", NULL};
	static const char *const ns[] = {"example.org. 60 IN NS ns1.example.org.", NULL};
	chase_fuzz_seed(dir, "mx-small-cap", 20, "git.home.arpa.", LDNS_RR_TYPE_MX, git,
			"code.example.org.", LDNS_RCODE_NOERROR, mx, ns);
	chase_fuzz_seed(dir, "servfail", 0, "git.home.arpa.", LDNS_RR_TYPE_TXT, git,
			"code.example.org.", LDNS_RCODE_SERVFAIL, NULL, NULL);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	const char *dir = seed_dir();
	if (dir) {
		chase_fuzz_seeds(dir);
		exit(0);
	}
	return 0;
}
