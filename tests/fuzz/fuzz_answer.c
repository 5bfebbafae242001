/*
 * fuzz_answer.c -- reply preparation (OPT removal, scrubbing, TTLs) and DNSSEC stripping.
 *
 * The input is an upstream reply. The question is the reply's own (or a.test. A when it has
 * none that parses), the bailiwick the root or a suffix of that name chosen by the first byte,
 * the minimum TTL by the second. Whatever the bytes, an answer that comes out must:
 *  - walk cleanly to its last byte, with one TTL offset per record (at most MSG_MAX_TTL_RR);
 *  - hold the same question, no OPT record, AA and AD clear, RA set;
 *  - keep only owners inside the bailiwick, in the authority section only SOA, NS, DS, NSEC,
 *    NSEC3 and RRSIG, in the additional section only A, AAAA and RRSIG;
 *  - be scrubbed already: scrubbing it again drops nothing;
 *  - be no longer than the input when nothing was dropped, and otherwise no longer than the
 *    input plus 253 bytes per byte that could start a compression pointer (a rewritten name
 *    can lose at most that much compression);
 * and so must its DNSSEC-stripped copy.
 */
#include "resolve/answer.h"
#include "resolve/scrub.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                                                                                   \
	do {                                                                                       \
		if (!(x))                                                                          \
			__builtin_trap();                                                          \
	} while (0)

static void fuzz_check(const struct answer *a, const struct scrub_question *q, size_t in_len,
		       size_t pointer_bytes, bool scrubbed)
{
	struct msg_walk w;
	struct msg_rr rr;
	uint8_t name[MSG_MAX_NAME];
	size_t nlen, pos = MSG_HDR_LEN, i = 0;
	int r;
	CHECK(a->len <= MSG_MAX_UDP && a->len >= MSG_HDR_LEN);
	CHECK(a->len <= in_len + 253 * pointer_bytes);
	if (!a->dropped)
		CHECK(a->len <= in_len);
	uint16_t flags = msg_get16(a->body + 2);
	CHECK(!(flags & (MSG_AA | MSG_AD)) && (flags & MSG_RA));
	CHECK(msg_walk_init(&w, a->body, a->len) == 0);
	if (msg_get16(a->body + 4) == 1) {
		CHECK(msg_name_read(a->body, a->len, &pos, name, &nlen) == 0);
		CHECK(nlen == q->lname_len && !memcmp(name, q->lname, nlen));
		CHECK(msg_get16(a->body + pos) == q->qtype);
	}
	while ((r = msg_walk_next(&w, &rr)) > 0) {
		CHECK(rr.type != 41);
		CHECK(i < a->n_ttl && a->ttl_offs[i++] == rr.ttl_off);
		if (!scrubbed)
			continue;
		pos = rr.owner;
		CHECK(msg_name_read(a->body, a->len, &pos, name, &nlen) == 0);
		/* Outside the bailiwick only a negative answer's SOA and proofs of the zone above
		 * it (a forward zone below a zone's apex) may be kept. */
		CHECK(msg_name_under(name, nlen, q->zone, q->zone_len) ||
		      (rr.section == 2 &&
		       (rr.type == 6 || rr.type == 46 || rr.type == 47 || rr.type == 50)));
		if (rr.section == 2)
			CHECK(rr.type == 6 || rr.type == 2 || rr.type == 43 || rr.type == 46 ||
			      rr.type == 47 || rr.type == 50);
		if (rr.section == 3)
			CHECK(rr.type == 1 || rr.type == 28 || rr.type == 46);
	}
	CHECK(r == 0 && w.pos == a->len && i == a->n_ttl);
	if (scrubbed) {
		struct scrub_plan p;
		CHECK(scrub_plan(a->body, a->len, q, &p) == 0 && p.n_drop == 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t dflt[] = "\1a\4test";
	uint8_t lname[MSG_MAX_NAME];
	size_t lname_len = sizeof(dflt), pos = MSG_HDR_LEN, pointer_bytes = 0;
	struct scrub_question q = {.qtype = 1, .qclass = 1};
	if (size < MSG_HDR_LEN)
		return 0;
	memcpy(lname, dflt, sizeof(dflt));
	if (msg_get16(data + 4) >= 1 && msg_name_read(data, size, &pos, lname, &lname_len) == 0 &&
	    pos + 4 <= size) {
		q.qtype = msg_get16(data + pos);
		q.qclass = msg_get16(data + pos + 2);
	} else {
		memcpy(lname, dflt, sizeof(dflt));
		lname_len = sizeof(dflt);
	}
	q.lname = lname;
	q.lname_len = lname_len;
	/* Bailiwick: the name without its first data[0] % 4 labels (the root when none left). */
	q.zone = lname;
	q.zone_len = lname_len;
	for (unsigned k = data[0] % 4; k && q.zone_len > 1; k--) {
		q.zone_len -= 1u + q.zone[0];
		q.zone += 1u + q.zone[0];
	}
	if (data[0] & 0x80) {
		q.zone = (const uint8_t *)"";
		q.zone_len = 1;
	}
	for (size_t i = 0; i < size; i++)
		pointer_bytes += (data[i] & 0xc0) == 0xc0;
	struct answer_policy pol = {data[1] % 8, 86400};
	struct answer *a = answer_prepare(&pol, &q, data, size);
	if (!a)
		return 0;
	fuzz_check(a, &q, size, pointer_bytes, true);
	struct answer *s = answer_strip(&pol, a, q.qtype);
	if (s)
		fuzz_check(s, &q, size, pointer_bytes, true);
	answer_free(s);
	answer_free(a);
	return 0;
}
