/*
 * addr.c -- socket addresses and prefixes: parse, format, match, see addr.h.
 *
 * Addresses are parsed with inet_pton after the "%IF" scope and "@PORT" suffix are split off
 * by hand. IPv4-mapped IPv6 (::ffff:a.b.c.d) is folded to IPv4 wherever addresses are
 * compared, because a dual-stack socket reports IPv4 clients that way and ACLs are written
 * with IPv4 prefixes.
 */
#include "util/addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

static const uint8_t addr_mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

bool addr_ifname_valid(const char *name, size_t len)
{
	/*
	 * The kernel's dev_valid_name() rules, so a typo is caught at load time, plus '%' and
	 * '@', which the address syntax uses, and plain ASCII only.
	 */
	if (len == 0 || len >= IF_NAMESIZE)
		return false;
	if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c <= ' ' || c >= 0x7f || c == '/' || c == ':' || c == '%' || c == '@')
			return false;
	}
	return true;
}

/* Parse 1..65535 from exactly len decimal digits. */
static int addr_parse_port(const char *s, size_t len, uint16_t *out)
{
	unsigned long v = 0;

	if (len == 0 || len > 5)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v == 0 || v > 65535)
		return -EINVAL;
	*out = (uint16_t)v;
	return 0;
}

/*
 * Split "HOST%IF" (len bytes of text) into a NUL-terminated host in buf and the interface
 * name in ifname ("" when there is none).
 */
static int addr_split_scope(const char *text, size_t len, char *buf, size_t buflen,
			    char ifname[IF_NAMESIZE])
{
	const char *pct = memchr(text, '%', len);
	size_t hostlen = pct ? (size_t)(pct - text) : len;

	ifname[0] = '\0';
	if (hostlen == 0 || hostlen >= buflen)
		return -EINVAL;
	memcpy(buf, text, hostlen);
	buf[hostlen] = '\0';
	if (pct) {
		size_t iflen = len - hostlen - 1;
		if (!addr_ifname_valid(pct + 1, iflen))
			return -EINVAL;
		memcpy(ifname, pct + 1, iflen);
		ifname[iflen] = '\0';
	}
	return 0;
}

int addr_parse(const char *text, uint16_t default_port, struct addr *out)
{
	char host[INET6_ADDRSTRLEN];
	const char *at = strchr(text, '@');
	size_t len = at ? (size_t)(at - text) : strlen(text);
	uint16_t port = default_port;

	memset(out, 0, sizeof(*out));
	if (at && addr_parse_port(at + 1, strlen(at + 1), &port) < 0)
		return -EINVAL;
	if (addr_split_scope(text, len, host, sizeof(host), out->ifname) < 0)
		return -EINVAL;

	struct sockaddr_in *sin = (struct sockaddr_in *)&out->ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&out->ss;
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		if (out->ifname[0])
			goto fail; /* IPv4 has no scopes */
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		out->len = sizeof(*sin);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
		goto fail;
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(port);
	/* wg0 may not exist yet; users resolve the name again when they open a socket. */
	if (out->ifname[0])
		sin6->sin6_scope_id = if_nametoindex(out->ifname);
	out->len = sizeof(*sin6);
	return 0;
fail:
	memset(out, 0, sizeof(*out));
	return -EINVAL;
}

/* Parse the prefix length (decimal, 0..max). */
static int prefix_parse_len(const char *s, size_t len, unsigned max, uint8_t *out)
{
	unsigned v = 0;

	if (len == 0 || len > 3)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > max)
		return -EINVAL;
	*out = (uint8_t)v;
	return 0;
}

/* Are any of the bits after the first len bits of bytes (nbytes long) set? */
static bool prefix_host_bits_set(const uint8_t *bytes, size_t nbytes, unsigned len)
{
	for (size_t i = len / 8; i < nbytes; i++) {
		uint8_t keep = i == len / 8 ? (uint8_t)(0xff00u >> (len % 8)) : 0;
		if (bytes[i] & (uint8_t)~keep)
			return true;
	}
	return false;
}

/*
 * Rewrite ::ffff:a.b.c.d/96+ as a.b.c.d/(len-96): clients in that range are folded to IPv4
 * before matching, so only the IPv4 form of the prefix can ever match them.
 */
static void prefix_fold_mapped(struct prefix *p)
{
	if (p->family != AF_INET6 || p->len < 96 || p->ifname[0] ||
	    memcmp(p->bytes, addr_mapped_prefix, sizeof(addr_mapped_prefix)) != 0)
		return;
	memmove(p->bytes, p->bytes + 12, 4);
	memset(p->bytes + 4, 0, 12);
	p->family = AF_INET;
	p->len = (uint8_t)(p->len - 96);
}

/* Move "%IF" (before or after "/LEN") out of buf into ifname. */
static int prefix_take_scope(char *buf, char ifname[IF_NAMESIZE])
{
	char *pct = strchr(buf, '%');

	ifname[0] = '\0';
	if (!pct)
		return 0;
	const char *end = strchr(pct, '/');
	size_t iflen = end ? (size_t)(end - pct - 1) : strlen(pct + 1);
	if (!addr_ifname_valid(pct + 1, iflen))
		return -EINVAL;
	memcpy(ifname, pct + 1, iflen);
	ifname[iflen] = '\0';
	memmove(pct, pct + 1 + iflen, strlen(pct + 1 + iflen) + 1);
	return 0;
}

int prefix_parse(const char *text, struct prefix *out)
{
	char buf[INET6_ADDRSTRLEN + IF_NAMESIZE + 8];
	size_t tlen = strlen(text);
	size_t nbytes;
	unsigned max;

	memset(out, 0, sizeof(*out));
	if (tlen == 0 || tlen >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, text, tlen + 1);
	if (prefix_take_scope(buf, out->ifname) < 0)
		goto fail;
	char *slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	if (inet_pton(AF_INET, buf, out->bytes) == 1) {
		if (out->ifname[0])
			goto fail;
		out->family = AF_INET;
		nbytes = 4;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, out->bytes) == 1) {
		out->family = AF_INET6;
		nbytes = 16;
		max = 128;
	} else {
		goto fail;
	}
	out->len = (uint8_t)max;
	if (slash && prefix_parse_len(slash + 1, strlen(slash + 1), max, &out->len) < 0)
		goto fail;
	if (prefix_host_bits_set(out->bytes, nbytes, out->len))
		goto fail;
	prefix_fold_mapped(out);
	return 0;
fail:
	memset(out, 0, sizeof(*out));
	return -EINVAL;
}

/* The address bytes of sa, IPv4-mapped IPv6 folded to IPv4. Returns the family or 0. */
static int addr_bytes(const struct sockaddr *sa, const uint8_t **bytes)
{
	if (sa->sa_family == AF_INET) {
		*bytes = (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr;
		return AF_INET;
	}
	if (sa->sa_family == AF_INET6) {
		const uint8_t *b = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
		if (memcmp(b, addr_mapped_prefix, sizeof(addr_mapped_prefix)) == 0) {
			*bytes = b + 12;
			return AF_INET;
		}
		*bytes = b;
		return AF_INET6;
	}
	return 0;
}

/* Are the first len bits of a and b equal? */
static bool prefix_bits_equal(const uint8_t *a, const uint8_t *b, unsigned len)
{
	size_t whole = len / 8;

	if (memcmp(a, b, whole) != 0)
		return false;
	if (len % 8 == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff00u >> (len % 8));
	return ((a[whole] ^ b[whole]) & mask) == 0;
}

void addr_from_sockaddr(struct addr *out, const struct sockaddr *sa, socklen_t len)
{
	const uint8_t *bytes = NULL;
	int family = len >= (socklen_t)sizeof(sa_family_t) ? addr_bytes(sa, &bytes) : 0;

	memset(out, 0, sizeof(*out));
	if (family == AF_INET && sa->sa_family == AF_INET6 &&
	    len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&out->ss;
		sin->sin_family = AF_INET;
		sin->sin_port = ((const struct sockaddr_in6 *)sa)->sin6_port;
		memcpy(&sin->sin_addr, bytes, 4);
		out->len = sizeof(*sin);
		return;
	}
	size_t need = family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	if (family == 0 || (size_t)len < need) {
		out->ss.ss_family = AF_UNSPEC;
		return;
	}
	/*
	 * The scope stays numeric in sin6_scope_id: if_indextoname() is a syscall and this runs
	 * once per packet; addr_format prints the index when there is no name.
	 */
	memcpy(&out->ss, sa, need);
	out->len = (socklen_t)need;
}

const char *addr_format(const struct addr *a, char *buf, size_t buflen)
{
	char host[INET6_ADDRSTRLEN];
	char scope[IF_NAMESIZE + 12] = "";

	if (buflen == 0)
		return buf;
	if (a->ss.ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)&a->ss;
		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
	} else if (a->ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&a->ss;
		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		if (a->ifname[0])
			snprintf(scope, sizeof(scope), "%%%s", a->ifname);
		else if (sin6->sin6_scope_id)
			snprintf(scope, sizeof(scope), "%%%u", (unsigned)sin6->sin6_scope_id);
	} else {
		snprintf(buf, buflen, "(no address)");
		return buf;
	}
	snprintf(buf, buflen, "%s%s@%u", host, scope, (unsigned)addr_port(a));
	return buf;
}

const char *prefix_format(const struct prefix *p, char *buf, size_t buflen)
{
	char host[INET6_ADDRSTRLEN];

	if (buflen == 0)
		return buf;
	if (p->family != AF_INET && p->family != AF_INET6) {
		snprintf(buf, buflen, "(no prefix)");
		return buf;
	}
	inet_ntop(p->family, p->bytes, host, sizeof(host));
	snprintf(buf, buflen, "%s/%u%s%s", host, (unsigned)p->len, p->ifname[0] ? "%" : "",
		 p->ifname);
	return buf;
}

bool addr_equal(const struct addr *a, const struct addr *b)
{
	if (a->ss.ss_family != b->ss.ss_family)
		return false;
	if (a->ss.ss_family == AF_INET) {
		const struct sockaddr_in *x = (const struct sockaddr_in *)&a->ss;
		const struct sockaddr_in *y = (const struct sockaddr_in *)&b->ss;
		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->ss.ss_family != AF_INET6)
		return false;
	const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)&a->ss;
	const struct sockaddr_in6 *y = (const struct sockaddr_in6 *)&b->ss;
	if (x->sin6_port != y->sin6_port ||
	    memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) != 0)
		return false;
	if (x->sin6_scope_id && y->sin6_scope_id && x->sin6_scope_id != y->sin6_scope_id)
		return false;
	return !(a->ifname[0] && b->ifname[0] && strcmp(a->ifname, b->ifname) != 0);
}

uint16_t addr_port(const struct addr *a)
{
	if (a->ss.ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)&a->ss)->sin_port);
	if (a->ss.ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)&a->ss)->sin6_port);
	return 0;
}

bool addr_is_wildcard(const struct addr *a)
{
	if (a->ss.ss_family == AF_INET)
		return ((const struct sockaddr_in *)&a->ss)->sin_addr.s_addr == htonl(INADDR_ANY);
	if (a->ss.ss_family == AF_INET6)
		return IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)&a->ss)->sin6_addr);
	return false;
}

bool addr_is_loopback(const struct addr *a)
{
	const uint8_t *b = NULL;
	int family = addr_bytes((const struct sockaddr *)&a->ss, &b);

	if (family == AF_INET)
		return b[0] == 127;
	if (family == AF_INET6)
		return memcmp(b, &in6addr_loopback, sizeof(in6addr_loopback)) == 0;
	return false;
}

const char *addr_bind_hint(const struct addr *a, int err)
{
	if (err == -EACCES && addr_port(a) < 1024)
		return " (a port below 1024 needs root or CAP_NET_BIND_SERVICE: start megdns as "
		       "root with server.user, give it the capability (systemd: "
		       "AmbientCapabilities=CAP_NET_BIND_SERVICE), or use a port above 1023)";
	if (err == -EADDRINUSE)
		return " (another program listens there; `ss -lntup` shows which: often "
		       "systemd-resolved's stub, dnsmasq or another resolver)";
	return "";
}

bool prefix_match(const struct prefix *p, const struct sockaddr *sa, const char *ifname)
{
	const uint8_t *bytes = NULL;

	if (addr_bytes(sa, &bytes) != p->family)
		return false;
	if (p->ifname[0] && (!ifname || strcmp(p->ifname, ifname) != 0))
		return false;
	return prefix_bits_equal(p->bytes, bytes, p->len);
}

bool prefix_covers(const struct prefix *outer, const struct prefix *inner)
{
	if (outer->family != inner->family || outer->len > inner->len)
		return false;
	/* An unscoped inner prefix also matches packets from other interfaces. */
	if (outer->ifname[0] && strcmp(outer->ifname, inner->ifname) != 0)
		return false;
	return prefix_bits_equal(outer->bytes, inner->bytes, outer->len);
}

static bool addr_private4(const uint8_t *a)
{
	return a[0] == 10 || a[0] == 127 || a[0] == 0 || (a[0] == 172 && (a[1] & 0xf0) == 16) ||
	       (a[0] == 192 && a[1] == 168) || (a[0] == 169 && a[1] == 254);
}

bool addr_private(int family, const uint8_t *a)
{
	static const uint8_t mapped[12] = {[10] = 0xff, [11] = 0xff};
	if (family == AF_INET)
		return addr_private4(a);
	if (!memcmp(a, mapped, 12))
		return addr_private4(a + 12);
	bool zero = true; /* :: and ::1 */
	for (int i = 0; i < 15; i++)
		zero = zero && a[i] == 0;
	return (zero && a[15] <= 1) || (a[0] & 0xfe) == 0xfc ||
	       (a[0] == 0xfe && (a[1] & 0xc0) == 0x80);
}
