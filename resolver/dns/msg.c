/*
 * msg.c -- DNS wire format helpers for the query path, see msg.h.
 *
 * Readers here get packets from anyone on the network. Every read is preceded by a bounds
 * check against the message length; compression pointers must point to a name that lies
 * wholly before them and past the header, and are followed at most 127 times, so a crafted
 * packet can neither read out of bounds nor loop, and a name never depends on what follows it.
 */
#include "dns/msg.h"
#include "util/addr.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#define MSG_TYPE_OPT    41
#define MSG_EDNS_DO     0x8000
#define MSG_OPT_EDE     15
#define MSG_OPT_PADDING 12
#define MSG_MAX_PTRS    127
#define MSG_QUERY_SIZE  (MSG_HDR_LEN + 4)

static inline uint8_t msg_lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

int msg_name_read(const uint8_t *pkt, size_t len, size_t *pos, uint8_t *out, size_t *outlen)
{
	size_t p = *pos, n = 0, end = 0, limit = len;
	unsigned ptrs = 0;
	for (;;) {
		if (p >= limit)
			return -EBADMSG;
		uint8_t lab = pkt[p];
		if ((lab & 0xc0) == 0xc0) {
			if (p + 1 >= len || ++ptrs > MSG_MAX_PTRS)
				return -EBADMSG;
			size_t target = ((size_t)(lab & 0x3f) << 8) | pkt[p + 1];
			if (!end)
				end = p + 2;
			/* To a name before the pointer (no loops, and what it points to cannot run
			 * on into the bytes after it), never into the header, which is no name and
			 * changes for every client (ID, flags): a name pointing there would too. */
			if (target >= p || target < MSG_HDR_LEN)
				return -EBADMSG;
			limit = p;
			p = target;
			continue;
		}
		if (lab & 0xc0) /* 0x40 / 0x80: obsolete label types */
			return -EBADMSG;
		if (p + 1 + lab > limit || n + 1 + lab > MSG_MAX_NAME)
			return -EBADMSG;
		if (out) {
			out[n] = lab;
			for (unsigned i = 1; i <= lab; i++)
				out[n + i] = msg_lower(pkt[p + i]);
		}
		n += 1u + lab;
		p += 1u + lab;
		if (lab == 0)
			break;
	}
	*pos = end ? end : p;
	if (outlen)
		*outlen = n;
	return 0;
}

size_t msg_name_len(const uint8_t *name, size_t max)
{
	size_t n = 0;
	while (n < max && n < MSG_MAX_NAME) {
		uint8_t lab = name[n];
		if (lab & 0xc0)
			return 0;
		n += 1u + lab;
		if (lab == 0)
			return n <= max ? n : 0;
	}
	return 0;
}

bool msg_name_equal(const uint8_t *a, const uint8_t *b)
{
	for (;;) {
		if (*a != *b)
			return false;
		uint8_t lab = *a;
		if (lab == 0)
			return true;
		for (unsigned i = 1; i <= lab; i++)
			if (msg_lower(a[i]) != msg_lower(b[i]))
				return false;
		a += 1u + lab;
		b += 1u + lab;
	}
}

bool msg_name_under(const uint8_t *name, size_t name_len, const uint8_t *zone, size_t zone_len)
{
	if (zone_len > name_len)
		return false;
	/* Walk labels of name until the remaining suffix has the zone's length. */
	size_t p = 0;
	while (p < name_len && name_len - p > zone_len)
		p += 1u + name[p];
	return p <= name_len && name_len - p == zone_len && memcmp(name + p, zone, zone_len) == 0;
}

char *msg_name_to_str(const uint8_t *name, size_t len, char *out, size_t cap)
{
	size_t o = 0, p = 0;
	if (cap < 2)
		return out;
	while (p < len && name[p] && o + 2 < cap) {
		uint8_t lab = name[p++];
		for (unsigned i = 0; i < lab && p < len && o + 5 < cap; i++, p++) {
			uint8_t c = name[p];
			if (c == '.' || c == '\\' || c <= ' ' || c >= 0x7f)
				o += (size_t)snprintf(out + o, cap - o, "\\%03u", c);
			else
				out[o++] = (char)c;
		}
		out[o++] = '.';
	}
	if (o == 0)
		out[o++] = '.';
	out[o] = '\0';
	return out;
}

const char *msg_type_str(uint16_t type)
{
	static const struct {
		uint16_t type;
		const char *name;
	} types[] = {{1, "A"},      {2, "NS"},    {5, "CNAME"},   {6, "SOA"},    {12, "PTR"},
		     {15, "MX"},    {16, "TXT"},  {28, "AAAA"},   {33, "SRV"},   {43, "DS"},
		     {46, "RRSIG"}, {47, "NSEC"}, {48, "DNSKEY"}, {50, "NSEC3"}, {64, "SVCB"},
		     {65, "HTTPS"}, {255, "ANY"}};
	static _Thread_local char buf[16];
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (types[i].type == type)
			return types[i].name;
	snprintf(buf, sizeof(buf), "TYPE%u", type);
	return buf;
}

int msg_name_from_str(const char *text, uint8_t *out, size_t *outlen)
{
	size_t n = 0, tl = strlen(text);
	if (tl == 0)
		return -EINVAL;
	if (strcmp(text, ".") == 0) {
		out[0] = 0;
		*outlen = 1;
		return 0;
	}
	const char *p = text;
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t lab = dot ? (size_t)(dot - p) : strlen(p);
		if (lab == 0 || lab > 63 || n + 1 + lab + 1 > MSG_MAX_NAME)
			return -EINVAL;
		out[n++] = (uint8_t)lab;
		for (size_t i = 0; i < lab; i++)
			out[n++] = msg_lower((uint8_t)p[i]);
		if (!dot)
			break;
		p = dot + 1;
	}
	out[n++] = 0;
	*outlen = n;
	return 0;
}

int msg_walk_init(struct msg_walk *w, const uint8_t *pkt, size_t len)
{
	if (len < MSG_HDR_LEN)
		return -EBADMSG;
	w->pkt = pkt;
	w->len = len;
	w->pos = MSG_HDR_LEN;
	unsigned qd = msg_get16(pkt + 4);
	for (unsigned i = 0; i < qd; i++) {
		if (msg_name_read(pkt, len, &w->pos, NULL, NULL) < 0 || w->pos + 4 > len)
			return -EBADMSG;
		w->pos += 4;
	}
	w->left[0] = msg_get16(pkt + 6);
	w->left[1] = msg_get16(pkt + 8);
	w->left[2] = msg_get16(pkt + 10);
	w->section = 0;
	return 0;
}

bool msg_answer_private(const uint8_t *pkt, size_t len)
{
	struct msg_walk w;
	struct msg_rr rr;
	if (msg_walk_init(&w, pkt, len) < 0)
		return false;
	while (msg_walk_next(&w, &rr) == 1 && rr.section == 1)
		if ((rr.type == 1 && rr.rdlen == 4 && addr_private(AF_INET, pkt + rr.rdata)) ||
		    (rr.type == 28 && rr.rdlen == 16 && addr_private(AF_INET6, pkt + rr.rdata)))
			return true;
	return false;
}

int msg_walk_next(struct msg_walk *w, struct msg_rr *rr)
{
	while (w->section < 3 && w->left[w->section] == 0)
		w->section++;
	if (w->section == 3)
		return 0;
	w->left[w->section]--;
	rr->section = w->section + 1;
	rr->owner = w->pos;
	if (msg_name_read(w->pkt, w->len, &w->pos, NULL, NULL) < 0 || w->pos + 10 > w->len)
		return -EBADMSG;
	const uint8_t *p = w->pkt + w->pos;
	rr->type = msg_get16(p);
	rr->rclass = msg_get16(p + 2);
	rr->ttl_off = w->pos + 4;
	rr->ttl = msg_get32(p + 4);
	rr->rdlen = msg_get16(p + 8);
	rr->rdata = w->pos + 10;
	if (rr->rdata + rr->rdlen > w->len)
		return -EBADMSG;
	rr->end = rr->rdata + rr->rdlen;
	w->pos = rr->end;
	return 1;
}

/* Read the OPT record of a query (additional section) into q; 0 or -EBADMSG. */
static int msg_parse_edns(const uint8_t *pkt, size_t len, struct msg_query *q)
{
	struct msg_walk w;
	struct msg_rr rr;
	int r;
	if (msg_walk_init(&w, pkt, len) < 0)
		return -EBADMSG;
	while ((r = msg_walk_next(&w, &rr)) > 0) {
		if (rr.type != MSG_TYPE_OPT)
			continue;
		/* RFC 6891: one OPT, in the additional section, owned by the root. */
		if (q->edns || rr.section != 3 || pkt[rr.owner] != 0)
			return -EBADMSG;
		q->edns = true;
		q->udp_size = rr.rclass < 512 ? 512 : rr.rclass;
		q->edns_version = (uint8_t)(rr.ttl >> 16);
		q->do_bit = (rr.ttl & MSG_EDNS_DO) != 0;
	}
	if (r < 0 || w.pos != len)
		return -EBADMSG;
	return 0;
}

enum msg_parse msg_parse_query(const uint8_t *pkt, size_t len, struct msg_query *q)
{
	/* Not a full memset: the two name buffers are written only as far as they are used. */
	q->id = q->flags = 0;
	q->opcode = 0;
	q->qname_len = 0;
	q->qtype = q->qclass = 0;
	q->edns = q->do_bit = false;
	q->edns_version = 0;
	q->udp_size = 512;
	if (len < MSG_HDR_LEN)
		return MSG_PARSE_DROP;
	q->id = msg_get16(pkt);
	q->flags = msg_get16(pkt + 2);
	if (q->flags & MSG_QR) /* never answer a response: no reflection loops */
		return MSG_PARSE_DROP;
	q->opcode = (uint8_t)((q->flags >> 11) & 0xf);
	if (msg_get16(pkt + 4) != 1)
		return q->opcode ? MSG_PARSE_NOTIMP : MSG_PARSE_FORMERR;
	/* The question name is never compressed: nothing precedes it to point at. */
	size_t nlen = msg_name_len(pkt + MSG_HDR_LEN, len - MSG_HDR_LEN);
	if (nlen == 0 || MSG_HDR_LEN + nlen + 4 > len)
		return MSG_PARSE_FORMERR;
	memcpy(q->qname, pkt + MSG_HDR_LEN, nlen);
	for (size_t i = 0; i < nlen; i++)
		q->lname[i] = msg_lower(q->qname[i]);
	q->qname_len = (uint8_t)nlen;
	q->qtype = msg_get16(pkt + MSG_HDR_LEN + nlen);
	q->qclass = msg_get16(pkt + MSG_HDR_LEN + nlen + 2);
	if (q->opcode != 0)
		return MSG_PARSE_NOTIMP;
	if (msg_get16(pkt + 6) != 0)
		return MSG_PARSE_FORMERR;
	if (msg_parse_edns(pkt, len, q) < 0)
		return MSG_PARSE_FORMERR;
	if (q->edns && q->edns_version != 0)
		return MSG_PARSE_BADVERS;
	return MSG_PARSE_OK;
}

size_t msg_error_body(const struct msg_query *q, enum msg_rcode rcode, uint8_t *out, size_t cap)
{
	size_t qlen = q->qname_len ? q->qname_len + 4u : 0;
	if (cap < MSG_HDR_LEN + qlen)
		return 0;
	memset(out, 0, MSG_HDR_LEN);
	msg_put16(out, q->id);
	uint16_t flags = MSG_QR | MSG_RA | (q->flags & (MSG_RD | MSG_CD)) |
			 (uint16_t)((q->opcode & 0xf) << 11) | (rcode & 0xf);
	msg_put16(out + 2, flags);
	if (qlen) {
		msg_put16(out + 4, 1);
		memcpy(out + MSG_HDR_LEN, q->qname, q->qname_len);
		msg_put16(out + MSG_HDR_LEN + q->qname_len, q->qtype);
		msg_put16(out + MSG_HDR_LEN + q->qname_len + 2, q->qclass);
	}
	return MSG_HDR_LEN + qlen;
}

/* Append an OPT record (with EDE when asked) at out+len; returns the new length. */
static size_t msg_add_opt(uint8_t *out, size_t len, const struct msg_finish_args *a,
			  unsigned ext_rcode)
{
	size_t tlen = (a->ede >= 0 && a->ede_text) ? strlen(a->ede_text) : 0;
	uint8_t *p = out + len;
	p[0] = 0; /* root owner */
	msg_put16(p + 1, MSG_TYPE_OPT);
	msg_put16(p + 3, a->server_udp);
	uint32_t ttl = ((uint32_t)(ext_rcode & 0xff) << 24) | (a->q->do_bit ? MSG_EDNS_DO : 0);
	msg_put32(p + 5, ttl);
	size_t rdlen = a->ede >= 0 ? 4 + 2 + tlen : 0;
	msg_put16(p + 9, (uint16_t)rdlen);
	if (a->ede >= 0) {
		msg_put16(p + 11, MSG_OPT_EDE);
		msg_put16(p + 13, (uint16_t)(2 + tlen));
		msg_put16(p + 15, (uint16_t)a->ede);
		memcpy(p + 17, a->ede_text ? a->ede_text : "", tlen);
	}
	msg_put16(out + 10, (uint16_t)(msg_get16(out + 10) + 1));
	return len + 11 + rdlen;
}

size_t msg_finish(const uint8_t *body, size_t body_len, const struct msg_finish_args *a,
		  uint8_t *out, size_t cap)
{
	const struct msg_query *q = a->q;
	size_t tlen = (a->ede >= 0 && a->ede_text) ? strlen(a->ede_text) : 0;
	size_t opt_len = q->edns ? 11 + (a->ede >= 0 ? 6 + tlen : 0) : 0;
	if (body_len < MSG_HDR_LEN || body_len + opt_len > cap)
		return 0;
	memcpy(out, body, body_len);
	msg_put16(out, q->id);
	uint16_t flags = msg_get16(out + 2);
	flags =
	    (uint16_t)((flags & ~(MSG_RD | MSG_CD | MSG_AD | MSG_TC)) |
		       (q->flags & (MSG_RD | MSG_CD)) | (a->ad ? MSG_AD : 0) | (flags & MSG_TC));
	msg_put16(out + 2, flags);
	/* Echo the client's qname case (0x20); bodies keep the question at offset 12. */
	if (q->qname_len && msg_get16(out + 4) == 1 &&
	    body_len >= MSG_HDR_LEN + (size_t)q->qname_len)
		memcpy(out + MSG_HDR_LEN, q->qname, q->qname_len);
	for (size_t i = 0; i < a->n_ttl; i++) {
		uint8_t *t = out + a->ttl_offs[i];
		uint32_t ttl = msg_get32(t);
		msg_put32(t, a->stale_ttl ? a->stale_ttl : ttl > a->elapsed ? ttl - a->elapsed : 0);
	}
	size_t len = body_len;
	if (len + opt_len > a->max_size) {
		/* RFC 2181 9: cut to the question and set TC; the client retries over TCP. */
		len = MSG_HDR_LEN + (msg_get16(out + 4) == 1 ? q->qname_len + 4u : 0);
		msg_put16(out + 2, msg_get16(out + 2) | MSG_TC);
		memset(out + 6, 0, 6);
	}
	if (q->edns)
		len = msg_add_opt(out, len, a, a->ext_rcode);
	return len;
}

size_t msg_build_query(const uint8_t *lname, size_t lname_len, uint16_t qtype, uint16_t qclass,
		       uint16_t id, uint16_t flags, bool do_bit, uint16_t udp_size, uint8_t *out,
		       size_t cap)
{
	size_t len = MSG_QUERY_SIZE + lname_len + (udp_size ? 11 : 0);
	if (len > cap)
		return 0;
	memset(out, 0, MSG_HDR_LEN);
	msg_put16(out, id);
	msg_put16(out + 2, flags & (MSG_RD | MSG_CD));
	msg_put16(out + 4, 1);
	msg_put16(out + 10, udp_size ? 1 : 0);
	memcpy(out + MSG_HDR_LEN, lname, lname_len);
	uint8_t *p = out + MSG_HDR_LEN + lname_len;
	msg_put16(p, qtype);
	msg_put16(p + 2, qclass);
	p += 4;
	if (!udp_size)
		return len;
	p[0] = 0;
	msg_put16(p + 1, MSG_TYPE_OPT);
	msg_put16(p + 3, udp_size);
	msg_put32(p + 5, do_bit ? MSG_EDNS_DO : 0);
	msg_put16(p + 9, 0);
	return len;
}

uint32_t msg_min_ttl(const uint8_t *pkt, size_t len)
{
	struct msg_walk w;
	struct msg_rr rr;
	uint32_t min = UINT32_MAX;
	int r;
	if (msg_walk_init(&w, pkt, len) < 0)
		return 0;
	while ((r = msg_walk_next(&w, &rr)) > 0)
		if (rr.type != MSG_TYPE_OPT && rr.ttl < min)
			min = rr.ttl;
	return r < 0 || min == UINT32_MAX ? 0 : min;
}

size_t msg_pad_query(uint8_t *msg, size_t len, size_t cap, size_t block)
{
	uint8_t *opt = msg + len - 11; /* the OPT record msg_build_query puts last */
	if (len < MSG_HDR_LEN + 11 || msg_get16(msg + 10) != 1 || opt[0] ||
	    msg_get16(opt + 1) != MSG_TYPE_OPT || msg_get16(opt + 9) != 0 || !block)
		return len;
	size_t want = (len + 4 + block - 1) / block * block;
	if (want > cap || want > 65535)
		return len;
	size_t pad = want - len - 4;
	msg_put16(opt + 9, (uint16_t)(4 + pad));
	msg_put16(msg + len, MSG_OPT_PADDING);
	msg_put16(msg + len + 2, (uint16_t)pad);
	memset(msg + len + 4, 0, pad);
	return want;
}

/* Is the question of reply the question of query? Both headers are known to be there. */
static bool msg_same_question(const uint8_t *query, size_t qlen, const uint8_t *reply, size_t rlen)
{
	size_t n = msg_name_len(query + MSG_HDR_LEN, qlen - MSG_HDR_LEN);
	if (n == 0 || MSG_HDR_LEN + n + 4 > qlen || MSG_HDR_LEN + n + 4 > rlen)
		return false;
	/* Uncompressed and of the same length: a compression pointer here is refused. */
	if (msg_name_len(reply + MSG_HDR_LEN, rlen - MSG_HDR_LEN) != n ||
	    !msg_name_equal(reply + MSG_HDR_LEN, query + MSG_HDR_LEN))
		return false;
	return !memcmp(reply + MSG_HDR_LEN + n, query + MSG_HDR_LEN + n, 4); /* type, class */
}

enum msg_reply msg_reply_check(const uint8_t *query, size_t qlen, const uint8_t *reply, size_t rlen)
{
	if (qlen < MSG_HDR_LEN || rlen < MSG_HDR_LEN || msg_get16(reply) != msg_get16(query))
		return MSG_REPLY_IGNORE;
	uint16_t flags = msg_get16(reply + 2);
	if (!(flags & MSG_QR) || ((flags >> 11) & 0xf) != 0 || msg_get16(reply + 4) != 1 ||
	    !msg_same_question(query, qlen, reply, rlen))
		return MSG_REPLY_IGNORE;
	if (flags & MSG_TC)
		return MSG_REPLY_TRUNCATED;
	/* The whole message must parse before anything downstream trusts its offsets. */
	struct msg_walk w;
	struct msg_rr rr;
	int r;
	if (msg_walk_init(&w, reply, rlen) < 0)
		return MSG_REPLY_IGNORE;
	while ((r = msg_walk_next(&w, &rr)) > 0)
		;
	if (r < 0)
		return MSG_REPLY_IGNORE;
	unsigned rcode = flags & 0xf;
	return rcode == MSG_NOERROR || rcode == MSG_NXDOMAIN ? MSG_REPLY_ACCEPT : MSG_REPLY_ERROR;
}

int msg_stream_frame(const uint8_t *buf, size_t len, size_t *msg_len)
{
	if (len < 2)
		return 0;
	size_t want = msg_get16(buf);
	if (want < MSG_HDR_LEN)
		return -EBADMSG;
	if (len - 2 < want)
		return 0;
	*msg_len = want;
	return 1;
}
