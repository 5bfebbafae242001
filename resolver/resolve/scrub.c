/*
 * scrub.c -- keep the records that answer the question. See scrub.h.
 *
 * Names are compared decompressed and lower-cased (msg_name_read). The names the decision
 * depends on -- the chain, the zones the answer comes from, the names kept records mention --
 * live in small fixed tables on the stack; a table that is full takes no more names, so a
 * hostile reply can make the scrubber drop more than it should, never keep more.
 */
#include "resolve/scrub.h"

#include "dns/pkt.h"

#include <errno.h>
#include <ldns/ldns.h>
#include <stdlib.h>
#include <string.h>

#define TYPE_A     1
#define TYPE_NS    2
#define TYPE_CNAME 5
#define TYPE_SOA   6
#define TYPE_MX    15
#define TYPE_AAAA  28
#define TYPE_SRV   33
#define TYPE_KX    36
#define TYPE_DNAME 39
#define TYPE_DS    43
#define TYPE_RRSIG 46
#define TYPE_NSEC  47
#define TYPE_NSEC3 50
#define TYPE_SVCB  64
#define TYPE_HTTPS 65
#define TYPE_ANY   255

#define RRSIG_FIXED 18 /* type covered .. key tag: the signer name follows */

#define SCRUB_NAMES 40   /* names per table */
#define SCRUB_POOL  4096 /* bytes of names per table */

/* Flags of a name of the chain. */
#define SCRUB_CNAME 1 /* its CNAME is a link of the chain */
#define SCRUB_DNAME 2 /* its DNAME is a link of the chain */
#define SCRUB_DATA  4 /* records of the question's type are kept here */

/* A small set of lower-case wire names with a flag byte each. */
struct scrub_names {
	unsigned n;
	size_t used;
	uint16_t off[SCRUB_NAMES];
	uint8_t len[SCRUB_NAMES];
	uint8_t flags[SCRUB_NAMES];
	uint8_t pool[SCRUB_POOL];
};

/* One link of the chain: a CNAME at the current name or a DNAME above it. */
struct scrub_link {
	unsigned rr; /* its index */
	uint16_t type;
	uint8_t owner[MSG_MAX_NAME];
	size_t owner_len;
	uint8_t target[MSG_MAX_NAME];
	size_t target_len;
};

struct scrub {
	const uint8_t *msg;
	size_t len;
	const struct scrub_question *q;
	struct scrub_plan *p;
	unsigned links[2 * SCRUB_MAX_HOPS]; /* records that are links of the chain */
	unsigned n_links;
	uint8_t last[MSG_MAX_NAME]; /* the chain's last name */
	size_t last_len;
	bool ended;     /* the chain ended where no further link was (no loop, no hop limit) */
	bool data_kept; /* a record of the question's type is kept at a name of the chain */
	bool soa_kept;  /* an SOA is kept: the answer says what is not there */
	struct scrub_names chain;     /* names of the chain, DNAME owners included */
	struct scrub_names zones;     /* zones the answer comes from */
	struct scrub_names mentioned; /* targets of kept NS, MX, SRV, ... */
};

static int scrub_names_find(const struct scrub_names *t, const uint8_t *name, size_t len)
{
	for (unsigned i = 0; i < t->n; i++)
		if (t->len[i] == len && !memcmp(t->pool + t->off[i], name, len))
			return (int)i;
	return -1;
}

/* Add name (or add flags to it); its index, or -1 when the table is full. */
static int scrub_names_add(struct scrub_names *t, const uint8_t *name, size_t len, uint8_t flags)
{
	int i = scrub_names_find(t, name, len);
	if (i < 0) {
		if (t->n == SCRUB_NAMES || t->used + len > SCRUB_POOL || len > MSG_MAX_NAME)
			return -1;
		i = (int)t->n++;
		t->off[i] = (uint16_t)t->used;
		t->len[i] = (uint8_t)len;
		t->flags[i] = 0;
		memcpy(t->pool + t->used, name, len);
		t->used += len;
	}
	t->flags[i] |= flags;
	return i;
}

static bool scrub_in_bailiwick(const struct scrub *s, const uint8_t *name, size_t len)
{
	const struct scrub_question *q = s->q;
	return msg_name_under(name, len, q->zone, q->zone_len) &&
	       !(q->elsewhere && q->elsewhere(q->elsewhere_ud, name, len));
}

static bool scrub_is_link(const struct scrub *s, unsigned rr)
{
	for (unsigned i = 0; i < s->n_links; i++)
		if (s->links[i] == rr)
			return true;
	return false;
}

static bool scrub_owner(const struct scrub *s, const struct msg_rr *rr, uint8_t *out, size_t *len)
{
	size_t pos = rr->owner;
	return msg_name_read(s->msg, s->len, &pos, out, len) == 0;
}

/* The name at offset skip of rr's rdata; false when there is none inside the rdata. */
static bool scrub_rdata_name(const struct scrub *s, const struct msg_rr *rr, size_t skip,
			     uint8_t *out, size_t *len)
{
	size_t pos = rr->rdata + skip;
	if (skip >= rr->rdlen || msg_name_read(s->msg, s->len, &pos, out, len) < 0)
		return false;
	return pos <= rr->end;
}

/* The type an RRSIG covers, or 0 when its rdata is too short to be one. */
static uint16_t scrub_covered(const struct scrub *s, const struct msg_rr *rr)
{
	return rr->rdlen > RRSIG_FIXED ? msg_get16(s->msg + rr->rdata) : 0;
}

/* The next link after cur: a DNAME above cur (it wins), else the first CNAME at cur. */
static bool scrub_next_link(const struct scrub *s, const uint8_t *cur, size_t cur_len,
			    struct scrub_link *out)
{
	struct msg_walk w;
	struct msg_rr rr;
	uint8_t o[MSG_MAX_NAME];
	size_t olen;
	bool cname = false;
	if (msg_walk_init(&w, s->msg, s->len) < 0)
		return false;
	for (unsigned i = 0; msg_walk_next(&w, &rr) > 0 && rr.section == 1; i++) {
		if ((rr.type != TYPE_CNAME && rr.type != TYPE_DNAME) || rr.rclass != s->q->qclass ||
		    scrub_is_link(s, i) || !scrub_owner(s, &rr, o, &olen))
			continue;
		bool dname = rr.type == TYPE_DNAME && olen < cur_len &&
			     msg_name_under(cur, cur_len, o, olen) &&
			     scrub_in_bailiwick(s, o, olen);
		bool here =
		    rr.type == TYPE_CNAME && !cname && olen == cur_len && !memcmp(o, cur, olen);
		if (!(dname || here) || !scrub_rdata_name(s, &rr, 0, out->target, &out->target_len))
			continue;
		out->rr = i;
		out->type = rr.type;
		memcpy(out->owner, o, olen);
		out->owner_len = olen;
		if (dname)
			return true;
		cname = true;
	}
	return cname;
}

/* Keep the CNAME at cur that points to synth (what a DNAME above cur makes of it). */
static void scrub_synth_cname(struct scrub *s, const uint8_t *cur, size_t cur_len,
			      const uint8_t *synth, size_t synth_len, int at)
{
	struct msg_walk w;
	struct msg_rr rr;
	uint8_t o[MSG_MAX_NAME], t[MSG_MAX_NAME];
	size_t olen, tlen;
	if (msg_walk_init(&w, s->msg, s->len) < 0)
		return;
	for (unsigned i = 0; msg_walk_next(&w, &rr) > 0 && rr.section == 1; i++) {
		if (rr.type != TYPE_CNAME || rr.rclass != s->q->qclass || scrub_is_link(s, i) ||
		    !scrub_owner(s, &rr, o, &olen) || olen != cur_len || memcmp(o, cur, olen) ||
		    !scrub_rdata_name(s, &rr, 0, t, &tlen) || tlen != synth_len ||
		    memcmp(t, synth, tlen))
			continue;
		s->links[s->n_links++] = i;
		s->chain.flags[at] |= SCRUB_CNAME;
		return;
	}
}

/*
 * Take link l from cur (the chain's name with index at in s->chain): cur becomes the link's
 * target. Returns the index of the new name, at itself when a DNAME ends the chain at cur (the
 * question is for the CNAME), or -1 when the chain ends (a loop, a table full, YXDOMAIN).
 */
static int scrub_follow(struct scrub *s, const struct scrub_link *l, uint8_t *cur, size_t *cur_len,
			int at)
{
	uint8_t next[MSG_MAX_NAME];
	size_t next_len = l->target_len;
	s->links[s->n_links++] = l->rr;
	if (l->type == TYPE_CNAME) {
		s->chain.flags[at] |= SCRUB_CNAME;
		memcpy(next, l->target, next_len);
	} else {
		size_t prefix = *cur_len - l->owner_len;
		scrub_names_add(&s->chain, l->owner, l->owner_len, SCRUB_DNAME);
		if (prefix + l->target_len > MSG_MAX_NAME)
			return -1; /* YXDOMAIN: the DNAME makes no name */
		memcpy(next, cur, prefix);
		memcpy(next + prefix, l->target, l->target_len);
		next_len = prefix + l->target_len;
		scrub_synth_cname(s, cur, *cur_len, next, next_len, at);
		if (s->q->qtype == TYPE_CNAME)
			return at; /* the synthesised CNAME is the answer */
	}
	if (scrub_names_find(&s->chain, next, next_len) >= 0)
		return -1; /* a loop */
	memcpy(cur, next, next_len);
	*cur_len = next_len;
	return scrub_names_add(&s->chain, cur, next_len, s->q->qtype == TYPE_ANY ? SCRUB_DATA : 0);
}

/* Follow the chain from the question name; the name it ends at goes to s->last. */
static void scrub_chain(struct scrub *s)
{
	const struct scrub_question *q = s->q;
	uint8_t cur[MSG_MAX_NAME];
	size_t cur_len = q->lname_len;
	memcpy(cur, q->lname, cur_len);
	int at = scrub_names_add(&s->chain, cur, cur_len, q->qtype == TYPE_ANY ? SCRUB_DATA : 0);
	bool out = false;
	for (unsigned hop = 0; hop < SCRUB_MAX_HOPS && at >= 0; hop++) {
		struct scrub_link l;
		if (!scrub_next_link(s, cur, cur_len, &l)) {
			s->ended = true;
			break;
		}
		if (l.type == TYPE_CNAME && q->qtype == TYPE_CNAME)
			break; /* the CNAME at the question is what was asked */
		at = scrub_follow(s, &l, cur, &cur_len, at);
		if (l.type == TYPE_DNAME && q->qtype == TYPE_CNAME)
			break;
		if (at >= 0 && !scrub_in_bailiwick(s, cur, cur_len)) {
			out = true;
			break;
		}
	}
	memcpy(s->last, cur, cur_len);
	s->last_len = cur_len;
	if (out) {
		memcpy(s->p->target, cur, cur_len);
		s->p->target_len = cur_len;
	} else if (at >= 0 && scrub_in_bailiwick(s, cur, cur_len)) {
		s->chain.flags[at] |= SCRUB_DATA;
	}
}

/* Would an answer record of this type (not a link) at a name with chain flags f be kept? */
static bool scrub_answer_data(uint16_t qtype, uint8_t f, uint16_t type)
{
	if (!(f & SCRUB_DATA))
		return false;
	if (type == TYPE_CNAME)
		return qtype == TYPE_CNAME;
	if (type == TYPE_DNAME)
		return qtype == TYPE_DNAME || qtype == TYPE_ANY;
	return qtype == TYPE_ANY || qtype == type;
}

/*
 * Is o a zone apex above the bailiwick whose SOA may stay? A forward zone need not be a zone
 * of its own: the negative answer for nx.lab.corp.example. from lab.corp.example.'s upstream
 * carries the SOA (and the NSEC records) of corp.example., without which it is neither
 * cached (RFC 2308) nor provable. Only for a chain that ends inside the bailiwick.
 */
static bool scrub_apex_above(const struct scrub *s, const uint8_t *o, size_t olen)
{
	return msg_name_under(s->q->zone, s->q->zone_len, o, olen) &&
	       scrub_in_bailiwick(s, s->last, s->last_len);
}

/*
 * Note the zone a kept answer RRSIG was made by: its NSEC/NSEC3 records are kept too (a
 * wildcard expansion's proof). It may be above the bailiwick, as an SOA may.
 */
static void scrub_signer(struct scrub *s, const struct msg_rr *rr, const uint8_t *o, size_t olen)
{
	uint8_t signer[MSG_MAX_NAME];
	size_t slen;
	if (scrub_rdata_name(s, rr, RRSIG_FIXED, signer, &slen) &&
	    msg_name_under(o, olen, signer, slen) &&
	    (scrub_in_bailiwick(s, signer, slen) || scrub_apex_above(s, signer, slen)))
		scrub_names_add(&s->zones, signer, slen, 0);
}

static bool scrub_keep_answer(struct scrub *s, unsigned i, const struct msg_rr *rr,
			      const uint8_t *o, size_t olen)
{
	if (scrub_is_link(s, i))
		return true;
	int at = scrub_names_find(&s->chain, o, olen);
	uint8_t f = at >= 0 ? s->chain.flags[at] : 0;
	uint16_t qtype = s->q->qtype, covered;
	if (rr->type != TYPE_RRSIG) {
		bool keep = scrub_answer_data(qtype, f, rr->type);
		s->data_kept |= keep;
		return keep;
	}
	if (!(covered = scrub_covered(s, rr)))
		return false;
	bool keep = scrub_answer_data(qtype, f, TYPE_RRSIG) ||
		    scrub_answer_data(qtype, f, covered) ||
		    (covered == TYPE_CNAME && (f & SCRUB_CNAME)) ||
		    (covered == TYPE_DNAME && (f & SCRUB_DNAME));
	if (keep)
		scrub_signer(s, rr, o, olen);
	return keep;
}

/* Is o inside a zone the answer comes from (NSEC3: directly below its apex)? */
static bool scrub_in_zone(const struct scrub *s, const uint8_t *o, size_t olen, bool nsec3)
{
	if (nsec3) {
		size_t skip = 1u + o[0];
		return o[0] && skip < olen &&
		       scrub_names_find(&s->zones, o + skip, olen - skip) >= 0;
	}
	for (unsigned i = 0; i < s->zones.n; i++)
		if (msg_name_under(o, olen, s->zones.pool + s->zones.off[i], s->zones.len[i]))
			return true;
	return false;
}

/* Would an authority record of this type at o be kept? */
static bool scrub_authority_type(const struct scrub *s, uint16_t type, const uint8_t *o,
				 size_t olen)
{
	switch (type) {
	case TYPE_SOA:
	case TYPE_NS:
	case TYPE_DS:
		return msg_name_under(s->last, s->last_len, o, olen);
	case TYPE_NSEC:
		return scrub_in_zone(s, o, olen, false);
	case TYPE_NSEC3:
		return scrub_in_zone(s, o, olen, true);
	default:
		return false;
	}
}

/*
 * Would an authority record at o, outside the bailiwick, be kept? The SOA of a zone above the
 * bailiwick (scrub_apex_above), and the NSEC and NSEC3 records of a zone the answer comes from
 * wherever their owners are: a proof names its zone's neighbours, which may lie above the
 * bailiwick or in a forward zone below it (the NSEC at www.lab.secure.test. proves that
 * nx.secure.test. does not exist). With their RRSIGs. Never NS or DS records: what is
 * delegated where is not this upstream's to say.
 */
static bool scrub_keep_outside(const struct scrub *s, const struct msg_rr *rr, const uint8_t *o,
			       size_t olen)
{
	uint16_t type = rr->type == TYPE_RRSIG ? scrub_covered(s, rr) : rr->type;
	if (rr->section != 2)
		return false;
	if (type == TYPE_SOA)
		return scrub_apex_above(s, o, olen);
	return (type == TYPE_NSEC || type == TYPE_NSEC3) && scrub_authority_type(s, type, o, olen);
}

static bool scrub_keep_other(const struct scrub *s, const struct msg_rr *rr, const uint8_t *o,
			     size_t olen)
{
	uint16_t type = rr->type == TYPE_RRSIG ? scrub_covered(s, rr) : rr->type;
	if (rr->section == 2)
		return scrub_authority_type(s, type, o, olen);
	return (type == TYPE_A || type == TYPE_AAAA) &&
	       scrub_names_find(&s->mentioned, o, olen) >= 0;
}

/* Remember the name a kept record points to, so its addresses may stay in additional. */
static void scrub_mention(struct scrub *s, const struct msg_rr *rr)
{
	uint8_t name[MSG_MAX_NAME];
	size_t len, skip;
	switch (rr->type) {
	case TYPE_NS:
		skip = 0;
		break;
	case TYPE_MX:
	case TYPE_KX:
	case TYPE_SVCB:
	case TYPE_HTTPS:
		skip = 2;
		break;
	case TYPE_SRV:
		skip = 6;
		break;
	default:
		return;
	}
	if (scrub_rdata_name(s, rr, skip, name, &len) && len > 1)
		scrub_names_add(&s->mentioned, name, len, 0);
}

/* The zones of the kept SOA records (before the walk: NSECs may come first). */
static void scrub_soa_zones(struct scrub *s)
{
	struct msg_walk w;
	struct msg_rr rr;
	uint8_t o[MSG_MAX_NAME];
	size_t olen;
	if (msg_get16(s->msg + 8) == 0 || msg_walk_init(&w, s->msg, s->len) < 0)
		return; /* no authority section */
	while (msg_walk_next(&w, &rr) > 0 && rr.section <= 2)
		if (rr.section == 2 && rr.type == TYPE_SOA && rr.rclass == s->q->qclass &&
		    scrub_owner(s, &rr, o, &olen) &&
		    (scrub_in_bailiwick(s, o, olen) ? scrub_authority_type(s, TYPE_SOA, o, olen)
						    : scrub_keep_outside(s, &rr, o, olen))) {
			scrub_names_add(&s->zones, o, olen, 0);
			s->soa_kept = true;
		}
}

static bool scrub_keep(struct scrub *s, unsigned i, const struct msg_rr *rr)
{
	uint8_t o[MSG_MAX_NAME];
	size_t olen;
	if (rr->rclass != s->q->qclass || !scrub_owner(s, rr, o, &olen))
		return false;
	if (!scrub_in_bailiwick(s, o, olen))
		return scrub_keep_outside(s, rr, o, olen);
	bool keep = rr->section == 1 ? scrub_keep_answer(s, i, rr, o, olen)
				     : scrub_keep_other(s, rr, o, olen);
	if (keep && rr->section < 3)
		scrub_mention(s, rr);
	return keep;
}

/*
 * A chain that ends at a name the reply says nothing about -- no records, no SOA saying there
 * are none -- was not followed by the upstream (an authoritative server whose CNAME leads into
 * another zone): its end is resolved like a target outside the bailiwick.
 */
static void scrub_unfollowed(struct scrub *s)
{
	uint16_t qtype = s->q->qtype;
	if (s->p->target_len || !s->ended || !s->n_links || s->data_kept || s->soa_kept ||
	    (msg_get16(s->msg + 2) & 0xf) != MSG_NOERROR || qtype == TYPE_ANY ||
	    qtype == TYPE_CNAME)
		return;
	memcpy(s->p->target, s->last, s->last_len);
	s->p->target_len = s->last_len;
}

int scrub_plan(const uint8_t *msg, size_t len, const struct scrub_question *q, struct scrub_plan *p)
{
	struct scrub s;
	struct msg_walk w;
	struct msg_rr rr;
	int r;
	unsigned i = 0;
	memset(p, 0, sizeof(*p));
	if (msg_walk_init(&w, msg, len) < 0)
		return -EBADMSG;
	s.msg = msg;
	s.len = len;
	s.q = q;
	s.p = p;
	s.n_links = 0;
	s.ended = s.data_kept = s.soa_kept = false;
	s.chain.n = s.zones.n = s.mentioned.n = 0;
	s.chain.used = s.zones.used = s.mentioned.used = 0;
	scrub_chain(&s);
	scrub_soa_zones(&s);
	while ((r = msg_walk_next(&w, &rr)) > 0) {
		if (i >= SCRUB_MAX_RR)
			return -EBADMSG;
		if (!scrub_keep(&s, i, &rr)) {
			p->drop[i / 8] |= (uint8_t)(1u << (i % 8));
			p->n_drop++;
		}
		i++;
	}
	p->n_rr = i;
	if (r < 0)
		return -EBADMSG;
	scrub_unfollowed(&s);
	return 0;
}

static bool scrub_keep_cb(void *ud, unsigned i, const struct msg_rr *rr)
{
	(void)rr;
	return !scrub_dropped(ud, i);
}

int scrub_apply(const uint8_t *msg, size_t len, const struct scrub_plan *p, uint8_t **out,
		size_t *out_len)
{
	ldns_pkt *pkt = pkt_from_wire(msg, len, scrub_keep_cb, (void *)p);
	uint8_t *wire;
	size_t wlen;
	int r = -EBADMSG;
	*out = NULL;
	*out_len = 0;
	if (pkt && ldns_pkt2wire(&wire, pkt, &wlen) == LDNS_STATUS_OK) {
		if (wlen <= MSG_MAX_UDP) {
			*out = wire;
			*out_len = wlen;
			r = 0;
		} else {
			free(wire);
		}
	}
	ldns_pkt_free(pkt);
	return r;
}
