/*
 * test_proxy.c -- PROXY protocol headers: v2 for IPv4 and IPv6 with TLVs, LOCAL, v1 TCP4,
 * TCP6 and UNKNOWN, each in pieces (0: more bytes needed) and whole, and headers that are
 * no header: another version or command, short addresses, v1 on UDP, bad ports, no CRLF.
 */
#include "check_main.h"
#include "dns/proxy.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

static const uint8_t sig[12] = {0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d,
				0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a};

static const char *src(const struct proxy_header *h)
{
	static char out[64];
	char a[48];
	const struct sockaddr_storage *ss = &h->src;
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const void *)ss;
		inet_ntop(AF_INET, &s->sin_addr, a, sizeof(a));
		snprintf(out, sizeof(out), "%s@%u", a, ntohs(s->sin_port));
	} else {
		const struct sockaddr_in6 *s = (const void *)ss;
		inet_ntop(AF_INET6, &s->sin6_addr, a, sizeof(a));
		snprintf(out, sizeof(out), "%s@%u", a, ntohs(s->sin6_port));
	}
	return out;
}

/* Every proper prefix needs more bytes; the whole is n bytes long. */
static void pieces(const uint8_t *b, size_t n, bool v1, struct proxy_header *h)
{
	for (size_t k = 0; k < n; k++)
		ck_assert_msg(proxy_parse(b, k, v1, h) == 0, "prefix %zu of %zu", k, n);
	ck_assert_int_eq(proxy_parse(b, n, v1, h), (int)n);
}

START_TEST(v2)
{
	uint8_t b[64];
	memcpy(b, sig, 12);
	b[12] = 0x21, b[13] = 0x12, b[14] = 0, b[15] = 12 + 4;
	uint8_t a4[] = {192, 168, 1, 70, 10, 0, 0, 1, 0x14, 0xe9, 0, 53, 1, 0, 1, 'x'};
	memcpy(b + 16, a4, sizeof(a4));
	struct proxy_header h;
	pieces(b, 32, false, &h);
	ck_assert(!h.local);
	ck_assert_str_eq(src(&h), "192.168.1.70@5353");
	b[13] = 0x21, b[15] = 36; /* TCP6 */
	memset(b + 16, 0, 36);
	b[31] = 1, b[47] = 2, b[48] = 0, b[49] = 7, b[50] = 0, b[51] = 53;
	pieces(b, 52, true, &h);
	ck_assert_str_eq(src(&h), "::1@7");
	b[12] = 0x20, b[13] = 0, b[15] = 0; /* LOCAL */
	pieces(b, 16, false, &h);
	ck_assert(h.local);
	b[12] = 0x31; /* version 3 */
	ck_assert_int_eq(proxy_parse(b, 16, false, &h), -EBADMSG);
	b[12] = 0x22; /* command 2 */
	ck_assert_int_eq(proxy_parse(b, 16, false, &h), -EBADMSG);
	b[12] = 0x21, b[13] = 0x11, b[15] = 8; /* IPv4 with 8 bytes of addresses */
	ck_assert_int_eq(proxy_parse(b, 24, false, &h), -EBADMSG);
}
END_TEST

START_TEST(v1)
{
	struct proxy_header h;
	const char *t4 = "PROXY TCP4 192.168.1.70 10.0.0.1 5353 53\r\n";
	pieces((const uint8_t *)t4, strlen(t4), true, &h);
	ck_assert_str_eq(src(&h), "192.168.1.70@5353");
	const char *t6 = "PROXY TCP6 fd00::7 fd00::1 40000 53\r\n";
	pieces((const uint8_t *)t6, strlen(t6), true, &h);
	ck_assert_str_eq(src(&h), "fd00::7@40000");
	const char *u = "PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n";
	ck_assert_int_eq(proxy_parse((const uint8_t *)u, strlen(u), true, &h), (int)strlen(u));
	ck_assert(h.local);
	ck_assert_int_eq(proxy_parse((const uint8_t *)t4, strlen(t4), false, &h), -EBADMSG);
	const char *bad[] = {"PROXY TCP4 192.168.1.70 10.0.0.1 5353 65536\r\n",
			     "PROXY TCP4 192.168.1.70 10.0.0.1 05 53\r\n",
			     "PROXY TCP4 fd00::7 10.0.0.1 1 53\r\n",
			     "PROXY TCP4 1.2.3.4 10.0.0.1 1\r\n",
			     "PROXY UDP4 1.2.3.4 10.0.0.1 1 2\r\n",
			     "PROXY TCP4  1.2.3.4 10.0.0.1 1 2\r\n",
			     "GET / HTTP/1.0\r\n"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(proxy_parse((const uint8_t *)bad[i], strlen(bad[i]), true, &h) ==
				  -EBADMSG,
			      "%s", bad[i]);
	char longline[200];
	memset(longline, 'x', sizeof(longline));
	memcpy(longline, "PROXY TCP4 ", 11);
	ck_assert_int_eq(proxy_parse((const uint8_t *)longline, sizeof(longline), true, &h),
			 -EBADMSG); /* no CRLF within 107 bytes */
}
END_TEST

int main(void)
{
	Suite *s = suite_create("proxy");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, v2);
	tcase_add_test(tc, v1);
	suite_add_tcase(s, tc);
	return check_main_run(s);
}
