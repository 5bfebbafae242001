/*
 * test_tlsframe.c -- a client and a server tlsframe talking through memory: the handshake,
 * DNS frames both ways, the certificate's name checked, a session resumed, and a connection
 * that is not fooled by what another one left in the thread's OpenSSL error queue.
 */
#include "check_main.h"
#include "dns/tlsframe.h"
#include "util/tls.h"

#include <check.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <string.h>

#define CERT MEGDNS_TEST_DATA "/tls/cert.pem" /* self-signed, for fuzz.test */
#define KEY  MEGDNS_TEST_DATA "/tls/key.pem"

struct end {
	SSL *ssl;
	bool hs;
	struct framer in;
	enum tlsframe_status st;
};

static SSL_CTX *server_ctx(void)
{
	char err[512];
	SSL_CTX *ctx = tls_server_ctx(CERT, KEY, "dot", err, sizeof(err));
	ck_assert_msg(ctx != NULL, "%s", err);
	return ctx;
}

static SSL_CTX *client_ctx(void)
{
	char err[512];
	SSL_CTX *ctx = tls_client_ctx(CERT, err, sizeof(err)); /* the certificate is its own CA */
	ck_assert_msg(ctx != NULL, "%s", err);
	return ctx;
}

/* Move what from has to send to to; false when there was nothing. */
static bool carry(struct end *from, struct end *to)
{
	uint8_t buf[16384];
	size_t n = tlsframe_output(from->ssl, buf, sizeof(buf));
	if (n)
		to->st = tlsframe_input(to->ssl, &to->hs, buf, n, &to->in);
	return n > 0;
}

/* Run the exchange until neither side has anything to send. */
static void pump(struct end *c, struct end *s)
{
	bool moved = true;
	for (int i = 0; i < 20 && moved; i++) {
		moved = carry(c, s);
		moved = carry(s, c) || moved;
	}
}

static void end_init(struct end *e, SSL *ssl)
{
	ck_assert_ptr_nonnull(ssl);
	e->ssl = ssl;
	e->hs = false;
	e->st = TLSFRAME_MORE;
	framer_init(&e->in);
}

static void end_close(struct end *e)
{
	SSL_free(e->ssl);
	framer_close(&e->in);
}

/* A client to "fuzz.test" (with session, if any) and a server, handshaken or failed. */
static void connect_pair(SSL_CTX *cctx, SSL_CTX *sctx, const char *host, SSL_SESSION *session,
			 struct end *c, struct end *s)
{
	end_init(c, tlsframe_client(cctx, host, session));
	end_init(s, tlsframe_new(sctx));
	c->st = tlsframe_input(c->ssl, &c->hs, NULL, 0, &c->in); /* the ClientHello */
	ck_assert_int_eq(c->st, TLSFRAME_MORE);
	pump(c, s);
}

START_TEST(frames_both_ways)
{
	SSL_CTX *sctx = server_ctx(), *cctx = client_ctx();
	struct end c, s;
	connect_pair(cctx, sctx, "fuzz.test", NULL, &c, &s);
	ck_assert(c.hs && s.hs);
	static const uint8_t q[] = {0, 3, 'a', 'b', 'c'};
	ck_assert(tlsframe_write(c.ssl, q, sizeof(q)));
	pump(&c, &s);
	const uint8_t *msg;
	size_t len;
	ck_assert_int_eq(framer_next(&s.in, &msg, &len), 1);
	ck_assert_uint_eq(len, 3);
	ck_assert(!memcmp(msg, "abc", 3));
	ck_assert(tlsframe_write(s.ssl, q, sizeof(q)));
	pump(&c, &s);
	ck_assert_int_eq(framer_next(&c.in, &msg, &len), 1);
	ck_assert_uint_eq(len, 3);
	end_close(&c);
	end_close(&s);
	SSL_CTX_free(cctx);
	SSL_CTX_free(sctx);
}
END_TEST

START_TEST(wrong_name_refused)
{
	SSL_CTX *sctx = server_ctx(), *cctx = client_ctx();
	struct end c, s;
	connect_pair(cctx, sctx, "other.test", NULL, &c, &s);
	ck_assert(!c.hs);
	ck_assert_int_eq(c.st, TLSFRAME_ERROR);
	ck_assert_int_eq(SSL_get_verify_result(c.ssl), X509_V_ERR_HOSTNAME_MISMATCH);
	end_close(&c);
	end_close(&s);
	SSL_CTX_free(cctx);
	SSL_CTX_free(sctx);
}
END_TEST

/* The regression: one upstream's refused certificate made a healthy connection fail. */
START_TEST(error_queue_of_others_ignored)
{
	SSL_CTX *sctx = server_ctx(), *cctx = client_ctx();
	struct end c, s;
	connect_pair(cctx, sctx, "fuzz.test", NULL, &c, &s);
	ck_assert(c.hs);
	static const uint8_t q[] = {0, 2, 'h', 'i'};
	ck_assert(tlsframe_write(s.ssl, q, sizeof(q)));
	uint8_t rec[512];
	size_t n = tlsframe_output(s.ssl, rec, sizeof(rec));
	ck_assert_uint_gt(n, 2);
	ERR_raise(ERR_LIB_SSL, SSL_R_CERTIFICATE_VERIFY_FAILED); /* another connection's */
	ck_assert_int_eq(tlsframe_input(c.ssl, &c.hs, rec, 2, &c.in), TLSFRAME_MORE);
	ERR_raise(ERR_LIB_SSL, SSL_R_CERTIFICATE_VERIFY_FAILED);
	ck_assert_int_eq(tlsframe_input(c.ssl, &c.hs, rec + 2, n - 2, &c.in), TLSFRAME_MORE);
	ERR_raise(ERR_LIB_SSL, SSL_R_CERTIFICATE_VERIFY_FAILED);
	ck_assert(tlsframe_write(c.ssl, q, sizeof(q)));
	const uint8_t *msg;
	size_t len;
	ck_assert_int_eq(framer_next(&c.in, &msg, &len), 1);
	end_close(&c);
	end_close(&s);
	SSL_CTX_free(cctx);
	SSL_CTX_free(sctx);
}
END_TEST

START_TEST(session_resumed)
{
	SSL_CTX *sctx = server_ctx(), *cctx = client_ctx();
	SSL_SESSION *slot = NULL;
	struct end c, s;
	end_init(&c, tlsframe_client(cctx, "fuzz.test", NULL));
	SSL_set_app_data(c.ssl, &slot); /* tls.h: new sessions land here */
	end_init(&s, tlsframe_new(sctx));
	tlsframe_input(c.ssl, &c.hs, NULL, 0, &c.in);
	pump(&c, &s);
	ck_assert(c.hs);
	ck_assert_ptr_nonnull(slot); /* TLS 1.3 tickets came after the handshake */
	ck_assert_int_eq(SSL_session_reused(c.ssl), 0);
	SSL_shutdown(c.ssl); /* a connection freed without close_notify spoils its session */
	end_close(&c);
	end_close(&s);
	connect_pair(cctx, sctx, "fuzz.test", slot, &c, &s);
	ck_assert(c.hs);
	ck_assert_int_eq(SSL_session_reused(c.ssl), 1);
	end_close(&c);
	end_close(&s);
	SSL_SESSION_free(slot);
	SSL_CTX_free(cctx);
	SSL_CTX_free(sctx);
}
END_TEST

int main(void)
{
	Suite *su = suite_create("tlsframe");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, frames_both_ways);
	tcase_add_test(tc, wrong_name_refused);
	tcase_add_test(tc, error_queue_of_others_ignored);
	tcase_add_test(tc, session_resumed);
	suite_add_tcase(su, tc);
	return check_main_run(su);
}
