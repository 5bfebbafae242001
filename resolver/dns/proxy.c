/*
 * proxy.c -- PROXY protocol headers, see proxy.h.
 */
#include "dns/proxy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

static const uint8_t proxy_sig[12] = {0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d,
				      0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a};

static void proxy_in4(struct sockaddr_storage *ss, const uint8_t *a, const uint8_t *port)
{
	struct sockaddr_in *s = (struct sockaddr_in *)ss;
	memset(ss, 0, sizeof(*ss));
	s->sin_family = AF_INET;
	memcpy(&s->sin_addr, a, 4);
	memcpy(&s->sin_port, port, 2);
}

static void proxy_in6(struct sockaddr_storage *ss, const uint8_t *a, const uint8_t *port)
{
	struct sockaddr_in6 *s = (struct sockaddr_in6 *)ss;
	memset(ss, 0, sizeof(*ss));
	s->sin6_family = AF_INET6;
	memcpy(&s->sin6_addr, a, 16);
	memcpy(&s->sin6_port, port, 2);
}

/* Version 2: 16 bytes of header, then len bytes of addresses and TLVs. */
static int proxy_v2(const uint8_t *buf, size_t len, struct proxy_header *out)
{
	if (len < 16)
		return 0;
	size_t body = (size_t)buf[14] << 8 | buf[15];
	uint8_t ver = buf[12] >> 4, cmd = buf[12] & 15, fam = buf[13] >> 4, proto = buf[13] & 15;
	if (ver != 2 || cmd > 1 || fam > 2 || proto > 2)
		return -EBADMSG;
	if (len < 16 + body)
		return 0;
	const uint8_t *p = buf + 16;
	memset(out, 0, sizeof(*out));
	out->local = cmd == 0 || fam == 0;
	if (!out->local && fam == 1) { /* AF_INET: src, dst, sport, dport */
		if (body < 12)
			return -EBADMSG;
		proxy_in4(&out->src, p, p + 8);
		proxy_in4(&out->dst, p + 4, p + 10);
	} else if (!out->local) { /* AF_INET6 */
		if (body < 36)
			return -EBADMSG;
		proxy_in6(&out->src, p, p + 32);
		proxy_in6(&out->dst, p + 16, p + 34);
	}
	return (int)(16 + body);
}

/* One space-separated field of a v1 line into out (cap bytes, NUL-terminated). */
static bool proxy_field(const char **p, const char *end, char *out, size_t cap)
{
	size_t n = 0;
	while (*p < end && **p != ' ' && n + 1 < cap)
		out[n++] = *(*p)++;
	out[n] = 0;
	if (*p < end && **p == ' ')
		(*p)++;
	return n > 0 && (*p == end || (*p)[-1] == ' ');
}

static bool proxy_port(const char *t, uint8_t *out)
{
	unsigned v = 0;
	if (!*t || (t[0] == '0' && t[1]))
		return false;
	for (; *t; t++) {
		if (*t < '0' || *t > '9' || (v = v * 10 + (unsigned)(*t - '0')) > 65535)
			return false;
	}
	out[0] = (uint8_t)(v >> 8), out[1] = (uint8_t)v;
	return true;
}

/* Version 1: "PROXY TCP4 1.2.3.4 5.6.7.8 1111 2222\r\n". */
static int proxy_v1(const uint8_t *buf, size_t len, struct proxy_header *out)
{
	const uint8_t *crlf = NULL;
	for (size_t i = 0; i + 1 < len && i + 2 <= PROXY_V1_MAX && !crlf; i++)
		if (buf[i] == '\r' && buf[i + 1] == '\n')
			crlf = buf + i;
	if (!crlf)
		return len >= PROXY_V1_MAX ? -EBADMSG : 0;
	const char *p = (const char *)buf + 6, *end = (const char *)crlf;
	char fam[8], src[48], dst[48], sport[8], dport[8];
	uint8_t sa[16], da[16], sp[2], dp[2];
	memset(out, 0, sizeof(*out));
	if (!proxy_field(&p, end, fam, sizeof(fam)))
		return -EBADMSG;
	if (!strcmp(fam, "UNKNOWN")) {
		out->local = true;
		return (int)(crlf + 2 - buf);
	}
	int af = !strcmp(fam, "TCP4") ? AF_INET : !strcmp(fam, "TCP6") ? AF_INET6 : 0;
	if (!af || !proxy_field(&p, end, src, sizeof(src)) ||
	    !proxy_field(&p, end, dst, sizeof(dst)) ||
	    !proxy_field(&p, end, sport, sizeof(sport)) ||
	    !proxy_field(&p, end, dport, sizeof(dport)) || p != end ||
	    inet_pton(af, src, sa) != 1 || inet_pton(af, dst, da) != 1 || !proxy_port(sport, sp) ||
	    !proxy_port(dport, dp))
		return -EBADMSG;
	if (af == AF_INET)
		proxy_in4(&out->src, sa, sp), proxy_in4(&out->dst, da, dp);
	else
		proxy_in6(&out->src, sa, sp), proxy_in6(&out->dst, da, dp);
	return (int)(crlf + 2 - buf);
}

int proxy_parse(const uint8_t *buf, size_t len, bool allow_v1, struct proxy_header *out)
{
	size_t n = len < 12 ? len : 12;
	if (!memcmp(buf, proxy_sig, n))
		return len < 12 ? 0 : proxy_v2(buf, len, out);
	n = len < 6 ? len : 6;
	if (allow_v1 && !memcmp(buf, "PROXY ", n))
		return len < 6 ? 0 : proxy_v1(buf, len, out);
	return -EBADMSG;
}
