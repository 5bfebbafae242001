/*
 * msg.h -- DNS wire format helpers for the query path.
 *
 * The hot path never builds ldns_pkt objects: a client query is checked and its question
 * extracted by a small bounds-checked reader (msg_parse_query), answers are kept as wire
 * "bodies" (header + question + sections, no OPT record) and msg_finish turns a body into the
 * reply for one client: its ID, the case of its qname, TTLs counted down, EDNS, truncation.
 * msg_walk iterates the resource records of any message, so upstream replies are checked,
 * cached and their TTLs located without a full parse. Every reader here treats its input as
 * hostile: offsets are checked before each read and compression loops are bounded.
 */
#ifndef MEGDNS_MSG_H
#define MEGDNS_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MSG_HDR_LEN    12
#define MSG_MAX_NAME   255
#define MSG_MAX_UDP    65535
#define MSG_MAX_TTL_RR 512 /* TTL offsets tracked per cached message */

/* Header flag bits (16-bit flags word, host order). */
#define MSG_QR 0x8000
#define MSG_AA 0x0400
#define MSG_TC 0x0200
#define MSG_RD 0x0100
#define MSG_RA 0x0080
#define MSG_AD 0x0020
#define MSG_CD 0x0010

enum msg_rcode {
	MSG_NOERROR = 0,
	MSG_FORMERR = 1,
	MSG_SERVFAIL = 2,
	MSG_NXDOMAIN = 3,
	MSG_NOTIMP = 4,
	MSG_REFUSED = 5,
	MSG_BADVERS = 16, /* extended: needs EDNS */
};

/* Extended DNS Error codes (RFC 8914) used by megdns. */
enum msg_ede {
	MSG_EDE_NONE = -1,
	MSG_EDE_OTHER = 0,
	MSG_EDE_STALE_ANSWER = 3,
	MSG_EDE_DNSKEY_MISSING = 9,
	MSG_EDE_BLOCKED = 15,
	MSG_EDE_PROHIBITED = 18,
	MSG_EDE_NO_REACHABLE_AUTHORITY = 22,
	MSG_EDE_NETWORK_ERROR = 23,
};

/* What a client asked, as parsed from its query. */
struct msg_query {
	uint16_t id;
	uint16_t flags; /* the query's flag word */
	uint8_t opcode;
	uint8_t qname[MSG_MAX_NAME]; /* as received (case kept, for 0x20) */
	uint8_t lname[MSG_MAX_NAME]; /* lower-cased: for lookups and keys */
	uint8_t qname_len;
	uint16_t qtype;
	uint16_t qclass;
	bool edns;            /* the query had an OPT record */
	bool do_bit;          /* DNSSEC OK */
	uint8_t edns_version; /* only meaningful with edns */
	uint16_t udp_size;    /* the client's buffer: 512 without EDNS, at least 512 with */
};

/* msg_parse_query outcome: what to do with the packet. */
enum msg_parse {
	MSG_PARSE_OK,      /* a query to process */
	MSG_PARSE_DROP,    /* not worth an answer (a response, too short for a header) */
	MSG_PARSE_FORMERR, /* answer FORMERR (with what could be read of the question) */
	MSG_PARSE_NOTIMP,  /* opcode other than QUERY */
	MSG_PARSE_BADVERS, /* EDNS version other than 0 */
};

/*
 * Check a client packet and fill *q. Never reads outside pkt[0..len).
 * On FORMERR/NOTIMP/BADVERS, q->id, q->flags and (if it parsed) the question are set so the
 * error reply can echo them; q->qname_len is 0 when there is no usable question.
 */
enum msg_parse msg_parse_query(const uint8_t *pkt, size_t len, struct msg_query *q);

/* One resource record found by msg_walk; offsets are into the message. */
struct msg_rr {
	int section;  /* 1 answer, 2 authority, 3 additional */
	size_t owner; /* offset of the owner name */
	uint16_t type;
	uint16_t rclass;
	uint32_t ttl;
	size_t ttl_off; /* offset of the 32-bit TTL */
	uint16_t rdlen;
	size_t rdata; /* offset of the rdata */
	size_t end;   /* offset after the record */
};

/* Iterator over a message's records. */
struct msg_walk {
	const uint8_t *pkt;
	size_t len;
	size_t pos;
	unsigned left[3]; /* records left per section */
	int section;      /* current section index 0..2 */
};

/* Start walking after the question. Returns 0, or -EBADMSG if the question is malformed. */
int msg_walk_init(struct msg_walk *w, const uint8_t *pkt, size_t len);

/* Next record into *rr: 1 when one was read, 0 at the end, -EBADMSG on malformed data. */
int msg_walk_next(struct msg_walk *w, struct msg_rr *rr);

/*
 * The smallest TTL of pkt's records (OPT aside): how long the whole message may be cached
 * (RFC 8484 5.1). 0 when there are none or pkt is malformed.
 */
uint32_t msg_min_ttl(const uint8_t *pkt, size_t len);

/*
 * Does the answer section of pkt hold an A or AAAA record with a private address
 * (addr_private: what DNS rebinding points names to)? A malformed packet holds none.
 */
bool msg_answer_private(const uint8_t *pkt, size_t len);

/*
 * Skip a (possibly compressed) name at pkt[*pos]; *pos moves past it. A compression pointer
 * must point to a name wholly before it and not into the 12-byte header. If out is not NULL the
 * uncompressed, lower-cased name is written there (MSG_MAX_NAME bytes) and *outlen set.
 * Returns 0 or -EBADMSG.
 */
int msg_name_read(const uint8_t *pkt, size_t len, size_t *pos, uint8_t *out, size_t *outlen);

/* Length of an uncompressed wire name, or 0 if it is malformed within max bytes. */
size_t msg_name_len(const uint8_t *name, size_t max);

/* Case-insensitive equality of two uncompressed wire names. */
bool msg_name_equal(const uint8_t *a, const uint8_t *b);

/* Is the lower-case wire name `name` equal to or below `zone` (also lower-case wire)? */
bool msg_name_under(const uint8_t *name, size_t name_len, const uint8_t *zone, size_t zone_len);

/* Write wire name (len bytes) as text ("www.example.org.") into out; returns out. */
char *msg_name_to_str(const uint8_t *name, size_t len, char *out, size_t cap);

/* The mnemonic of a query type ("AAAA"), or "TYPEnnn" in a static buffer per thread. */
const char *msg_type_str(uint16_t type);

/* Convert a presentation name ("corp.example.") to lower-case wire; 0 or -EINVAL. */
int msg_name_from_str(const char *text, uint8_t *out, size_t *outlen);

/*
 * Write a reply body with no records: the query's ID and question, QR, RD copied, RA, rcode.
 * Returns its length (MSG_HDR_LEN when q has no usable question).
 */
size_t msg_error_body(const struct msg_query *q, enum msg_rcode rcode, uint8_t *out, size_t cap);

/* How msg_finish should turn a stored body into the reply for one client. */
struct msg_finish_args {
	const struct msg_query *q;
	const uint16_t *ttl_offs; /* TTL offsets in the body to count down, or NULL */
	size_t n_ttl;
	uint32_t elapsed;     /* seconds to subtract from those TTLs */
	uint32_t stale_ttl;   /* > 0: every one of those TTLs becomes this (RFC 8767) */
	int ede;              /* MSG_EDE_* or an RFC 8914 code; <0 for none */
	const char *ede_text; /* optional EXTRA-TEXT */
	uint16_t max_size;    /* reply limit: client's UDP size or 65535 over TCP */
	uint16_t server_udp;  /* our advertised EDNS buffer size */
	bool ad;              /* set AD */
	uint8_t ext_rcode;    /* upper 8 bits of a 12-bit rcode (1 for BADVERS) */
};

/*
 * Copy body into out (cap >= body_len + 64) and make it the reply to a->q: ID, qname case, RD
 * and CD from the query, TTLs decremented, OPT appended when the client used EDNS (with the
 * EDE option if any), and TC with the answer sections emptied when it exceeds a->max_size.
 * Returns the reply length.
 */
size_t msg_finish(const uint8_t *body, size_t body_len, const struct msg_finish_args *a,
		  uint8_t *out, size_t cap);

/*
 * Build a plain query for (lname, qtype, qclass) with the given ID, the header flags of
 * flags that a query may carry (MSG_RD, MSG_CD), and an OPT record advertising udp_size with
 * DO when do_bit (udp_size 0: no OPT record, a query without EDNS). Returns its length, or 0
 * if cap is too small.
 */
size_t msg_build_query(const uint8_t *lname, size_t lname_len, uint16_t qtype, uint16_t qclass,
		       uint16_t id, uint16_t flags, bool do_bit, uint16_t udp_size, uint8_t *out,
		       size_t cap);

/*
 * Pad a query msg_build_query made (len bytes in a buffer of cap) with the EDNS padding option
 * (RFC 7830) to a multiple of block bytes (RFC 8467 advises 128 for queries over TLS).
 * Returns the new length; len unchanged when it has no OPT record or cap is too small.
 */
size_t msg_pad_query(uint8_t *msg, size_t len, size_t cap, size_t block);

/* What a datagram or TCP message is to the query we sent (msg_reply_check). */
enum msg_reply {
	MSG_REPLY_IGNORE,    /* not the reply to it, or malformed: drop it, keep waiting */
	MSG_REPLY_ACCEPT,    /* well-formed, NOERROR or NXDOMAIN: the answer */
	MSG_REPLY_TRUNCATED, /* its reply with TC set: ask again over TCP */
	MSG_REPLY_ERROR,     /* well-formed, another rcode (SERVFAIL, REFUSED...): try elsewhere */
};

/*
 * Does reply (rlen bytes, from anyone) answer query (qlen bytes, as msg_build_query wrote it)?
 * It must be a response with the query's ID, opcode QUERY, one question equal to the query's
 * (name compared case-insensitively, uncompressed), and, unless truncated, well-formed
 * throughout, so that whoever keeps it may trust its record offsets. The caller checks the
 * source address and port. Never reads outside either buffer; a malformed query gives IGNORE.
 */
enum msg_reply msg_reply_check(const uint8_t *query, size_t qlen, const uint8_t *reply,
			       size_t rlen);

/*
 * A length-prefixed DNS message arriving over TCP (RFC 1035 4.2.2): len bytes of the stream
 * are in buf. Returns 1 when the first message is whole (at buf + 2, *msg_len bytes), 0 when
 * more bytes are needed, -EBADMSG when the prefix announces less than a DNS header (never a
 * reply; the stream cannot be resynchronised). Bytes after the first message are not looked at.
 */
int msg_stream_frame(const uint8_t *buf, size_t len, size_t *msg_len);

static inline uint16_t msg_get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t msg_get32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static inline void msg_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void msg_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

#endif
