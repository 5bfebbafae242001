/*
 * ddr.c -- "_dns.resolver.arpa. SVCB", see ddr.h.
 */
#include "policy/ddr.h"
#include "util/addr.h"

#include <netinet/in.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>

#define DDR_TTL         300
#define DDR_TYPE_SVCB   64
#define DDR_KEY_ALPN    1
#define DDR_KEY_PORT    3
#define DDR_KEY_V4HINT  4
#define DDR_KEY_V6HINT  6
#define DDR_KEY_DOHPATH 7

static const uint8_t ddr_name[] = "\4_dns\10resolver\4arpa";

bool ddr_is_query(const uint8_t *lname, size_t len)
{
	return len == sizeof(ddr_name) && !memcmp(lname, ddr_name, len);
}

/* The first DNS name of the certificate's subjectAltName, as lower-case wire. */
static void ddr_cert_name(struct ddr *d, SSL_CTX *ctx)
{
	X509 *cert = ctx ? SSL_CTX_get0_certificate(ctx) : NULL;
	GENERAL_NAMES *names =
	    cert ? X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL) : NULL;
	for (int i = 0; names && i < sk_GENERAL_NAME_num(names); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);
		if (g->type != GEN_DNS)
			continue;
		char text[256];
		int n = ASN1_STRING_length(g->d.dNSName);
		if (n <= 0 || n >= (int)sizeof(text) - 1)
			continue;
		memcpy(text, ASN1_STRING_get0_data(g->d.dNSName), (size_t)n);
		text[n] = 0;
		size_t len;
		if (text[0] != '*' && msg_name_from_str(text, d->target, &len) == 0) {
			d->target_len = len;
			break;
		}
	}
	GENERAL_NAMES_free(names);
}

void ddr_init(struct ddr *d, const struct config *cfg, SSL_CTX *ctx)
{
	memset(d, 0, sizeof(*d));
	d->cfg = cfg;
	d->target_len = 1; /* the root: "the owner's name", when the certificate names none */
	ddr_cert_name(d, ctx);
}

/* The listeners of one protocol: DoT (priority 1) or DoH (priority 2, its path). */
struct ddr_kind {
	const struct addr *l;
	size_t n;
	const char *alpn; /* wire: length-prefixed */
	size_t alpn_len;
	char dohpath[300]; /* "" for DoT */
	uint16_t prio;
	const struct sockaddr_storage *only; /* listeners at this address only, or NULL: all */
};

/* Is listener a at the address local (wildcard: of its family)? */
static bool ddr_at(const struct addr *a, const struct sockaddr_storage *local)
{
	if (a->ss.ss_family != local->ss_family)
		return false;
	if (addr_is_wildcard(a))
		return true;
	if (local->ss_family == AF_INET)
		return !memcmp(&((const struct sockaddr_in *)&a->ss)->sin_addr,
			       &((const struct sockaddr_in *)local)->sin_addr, 4);
	return !memcmp(&((const struct sockaddr_in6 *)&a->ss)->sin6_addr,
		       &((const struct sockaddr_in6 *)local)->sin6_addr, 16);
}

/* Does k name listener i? All of them, or those at the address the query came to. */
static bool ddr_names(const struct ddr_kind *k, size_t i)
{
	return !k->only || ddr_at(&k->l[i], k->only);
}

/* The listeners' addresses on port into hints, a wildcard one giving local instead. */
static void ddr_hints(const struct ddr_kind *k, uint16_t port, const struct sockaddr_storage *local,
		      uint8_t *v4, size_t *n4, uint8_t *v6, size_t *n6)
{
	*n4 = *n6 = 0;
	for (size_t i = 0; i < k->n; i++) {
		const struct addr *a = &k->l[i];
		const struct sockaddr_storage *ss = addr_is_wildcard(a) && local ? local : &a->ss;
		if (!ddr_names(k, i) || addr_port(a) != port || ss->ss_family != a->ss.ss_family)
			continue;
		if (ss->ss_family == AF_INET && *n4 < 16)
			memcpy(v4 + 4 * (*n4)++, &((const struct sockaddr_in *)ss)->sin_addr, 4);
		else if (ss->ss_family == AF_INET6 && *n6 < 16)
			memcpy(v6 + 16 * (*n6)++, &((const struct sockaddr_in6 *)ss)->sin6_addr,
			       16);
	}
}

/* One SVCB record for k's listeners on port: owner compressed to the question. */
static size_t ddr_record(const struct ddr *d, const struct ddr_kind *k, uint16_t port,
			 const struct sockaddr_storage *local, uint8_t *p, size_t cap)
{
	uint8_t v4[16 * 4], v6[16 * 16];
	size_t n4, n6, path = strlen(k->dohpath);
	ddr_hints(k, port, local, v4, &n4, v6, &n6);
	size_t rdlen = 2 + d->target_len + 4 + k->alpn_len + 4 + 2 + (n4 ? 4 + 4 * n4 : 0) +
		       (n6 ? 4 + 16 * n6 : 0) + (path ? 4 + path : 0);
	if (12 + rdlen > cap)
		return 0;
	msg_put16(p, 0xc000 | MSG_HDR_LEN);
	msg_put16(p + 2, DDR_TYPE_SVCB);
	msg_put16(p + 4, 1);
	msg_put32(p + 6, DDR_TTL);
	msg_put16(p + 10, (uint16_t)rdlen);
	uint8_t *r = p + 12;
	msg_put16(r, k->prio), r += 2; /* ServiceMode */
	memcpy(r, d->target, d->target_len), r += d->target_len;
	/* SvcParams in increasing key order (RFC 9460 2.2) */
	msg_put16(r, DDR_KEY_ALPN), msg_put16(r + 2, (uint16_t)k->alpn_len);
	memcpy(r + 4, k->alpn, k->alpn_len), r += 4 + k->alpn_len;
	msg_put16(r, DDR_KEY_PORT), msg_put16(r + 2, 2), msg_put16(r + 4, port), r += 6;
	if (n4) {
		msg_put16(r, DDR_KEY_V4HINT), msg_put16(r + 2, (uint16_t)(4 * n4));
		memcpy(r + 4, v4, 4 * n4), r += 4 + 4 * n4;
	}
	if (n6) {
		msg_put16(r, DDR_KEY_V6HINT), msg_put16(r + 2, (uint16_t)(16 * n6));
		memcpy(r + 4, v6, 16 * n6), r += 4 + 16 * n6;
	}
	if (path) { /* RFC 9461 5: the URI template of the DoH endpoint */
		msg_put16(r, DDR_KEY_DOHPATH), msg_put16(r + 2, (uint16_t)path);
		memcpy(r + 4, k->dohpath, path);
	}
	return 12 + rdlen;
}

/* One record per port of k's listeners onto out[*n..cap); false when it does not fit. */
static bool ddr_kind_records(const struct ddr *d, struct ddr_kind *k,
			     const struct sockaddr_storage *local, uint8_t *out, size_t cap,
			     size_t *n, uint16_t *count)
{
	/* A client is told of the listeners at the address it asked (its view's side of the
	 * house: the LAN address for the LAN, the tunnel's for peers); of all of them when none
	 * is there. */
	for (size_t i = 0; local && i < k->n && !k->only; i++)
		if (ddr_at(&k->l[i], local))
			k->only = local;
	for (size_t i = 0; i < k->n; i++) {
		uint16_t port = addr_port(&k->l[i]);
		bool seen = !ddr_names(k, i);
		for (size_t j = 0; j < i; j++)
			seen = seen || (ddr_names(k, j) && addr_port(&k->l[j]) == port);
		if (seen)
			continue;
		size_t r = ddr_record(d, k, port, local, out + *n, cap - *n);
		if (!r)
			return false;
		*n += r, (*count)++;
	}
	return true;
}

size_t ddr_answer(const struct ddr *d, const struct msg_query *q,
		  const struct sockaddr_storage *local, uint8_t *out, size_t cap)
{
	size_t n = msg_error_body(q, MSG_NOERROR, out, cap);
	if (n <= MSG_HDR_LEN)
		return 0;
	msg_put16(out + 2, msg_get16(out + 2) | MSG_AA);
	if (q->qtype != DDR_TYPE_SVCB)
		return n; /* NODATA */
	struct ddr_kind dot = {d->cfg->tls_listen, d->cfg->n_tls_listen, "\3dot", 4, "", 1, NULL};
	struct ddr_kind doh = {
	    d->cfg->https_listen, d->cfg->n_https_listen, "\2h2", 3, "", 2, NULL};
	snprintf(doh.dohpath, sizeof(doh.dohpath), "%s{?dns}", d->cfg->https_path);
	uint16_t count = 0;
	if (!ddr_kind_records(d, &dot, local, out, cap, &n, &count) ||
	    !ddr_kind_records(d, &doh, local, out, cap, &n, &count))
		return 0;
	msg_put16(out + 6, count);
	return n;
}
